""""data as of" indexes (issue 8): the latest update a viewer may see, in index probes

``reports.content.data_as_of`` (printed on every export and the donor report) is the
latest ``updated_at`` of the case tables the viewer's scope can see. Without an index that
was a scan of every row of seven tables (~290 ms at a million beneficiaries, on every
page's first run). With ``(country, updated_at)`` it is, per table, one index probe per
country: the scope's ``country IN (…)`` — or, unscoped, ``country IN (SELECT DISTINCT
country …)``, which SQLite answers by skipping through the same index.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 15:20:00
"""
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

TABLES = ('beneficiary', 'assistance', 'cooperative', 'training_session', 'attendance',
          'follow_up', 'capacity_activity')


def upgrade() -> None:
    for table in TABLES:
        op.create_index(f'ix_{table}_country_updated', table, ['country', 'updated_at'])
    if op.get_bind().dialect.name == "sqlite":
        for table in TABLES:
            op.execute(f"ANALYZE {table}")
    else:
        op.execute(f"ANALYZE {', '.join(TABLES)}")


def downgrade() -> None:
    for table in TABLES:
        op.drop_index(f'ix_{table}_country_updated', table)
