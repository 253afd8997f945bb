"""data version (issue 9): analytics_state.version, advanced by every committed write

The case-table triggers now also advance ``analytics_state.version`` (SQLite: per row;
PostgreSQL: once per transaction, remembered in ``version_xact``), and a trigger on the
state row advances it on any other update (a refresh). Pages read it first in their
snapshot and key cached figures on it (ui/data.py).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 14:40:00
"""
import sqlalchemy as sa
from alembic import op

from data_access.triggers import drop_trigger_sql, trigger_sql

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_trigger_sql(dialect):
        op.execute(statement)
    op.add_column('analytics_state', sa.Column('version', sa.BigInteger(), nullable=False,
                                               server_default='0'))
    op.add_column('analytics_state', sa.Column('version_xact', sa.BigInteger(),
                                               nullable=True))
    for statement in trigger_sql(dialect):
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for statement in drop_trigger_sql(dialect):
        op.execute(statement)
    with op.batch_alter_table('analytics_state', schema=None) as batch_op:
        batch_op.drop_column('version_xact')
        batch_op.drop_column('version')
    for statement in trigger_sql(dialect, versioned=False):
        op.execute(statement)
