"""attendance by beneficiary: the import reads only its cases' attendance

The import matches a file's training rows against the attendance of the file's cases
(``WHERE beneficiary_id IN (...)``, importing/apply.py). The only index on
``attendance`` that holds ``beneficiary_id`` is the unique ``(session_id, beneficiary_id)``,
which cannot be searched by beneficiary first: without this index the look-up walks every
training session (SQLite's plan on the 100k demo) or every attendance row. The other fact
tables already have an index starting with ``beneficiary_id``.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 17:50:00
"""
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index('ix_attendance_beneficiary', 'attendance', ['beneficiary_id'])
    op.execute("ANALYZE attendance")


def downgrade() -> None:
    op.drop_index('ix_attendance_beneficiary', 'attendance')
