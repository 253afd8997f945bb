"""survey submissions (issue 20): follow_up.submission_uuid

A follow-up visit imported from a KoboToolbox or ODK export carries the submission's stable
id (Kobo's ``meta/rootUuid``, else ``_uuid``; ODK Central's ``KEY``), so that importing the
same export again changes nothing and an edited submission updates its visit, even when the
edit changed the visit date or the case. NULL for visits typed in the workbook. Unique per
country (the import reads only its importer's countries).

Revision ID: 0015
Revises: 0012
Create Date: 2026-12-02 17:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None

INDEX = 'uq_follow_up_country_submission'


def upgrade() -> None:
    op.add_column('follow_up', sa.Column('submission_uuid', sa.String(64), nullable=True))
    op.create_index(INDEX, 'follow_up', ['country', 'submission_uuid'], unique=True)


def downgrade() -> None:
    op.drop_index(INDEX, table_name='follow_up')
    # A plain ALTER TABLE … DROP COLUMN (SQLite 3.35+): a batch copy would lose the table's
    # triggers (migration 0004).
    op.drop_column('follow_up', 'submission_uuid')
