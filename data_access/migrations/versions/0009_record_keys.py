"""record keys (issue 14): a random key on every record donor counts are made of

``beneficiary``, ``cooperative`` and ``capacity_activity`` gain ``record_key``, an integer
drawn uniformly from [0, 2**20) once per record and never changed, shown or exported. A
count's cell key is the sum of the keys of the records behind it (data_access.disclosure
perturbs donor counts with it). Existing rows get random keys here; new rows get theirs from
the models' default (data_access.models.new_record_key) or the demo generator.

``analytics_cell`` gains the key sums beside its counts: ``k`` (behind ``n``) and
``k1``..``k4`` (behind ``s1``..``s4`` where those are counts). The cells are rebuilt by the
next refresh (analytics.LAYOUT changed with this revision, so old cells are never read).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 05:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

KEYED = ('beneficiary', 'cooperative', 'capacity_activity')
CELL_KEYS = ('k', 'k1', 'k2', 'k3', 'k4')
KEY_RANGE = 2**20


def _random_key() -> str:
    if op.get_bind().dialect.name == 'sqlite':
        # random() is a signed 64-bit integer: its residue is uniform enough (2**64 is a
        # multiple of 2**20, so exactly uniform).
        return f"(random() & {KEY_RANGE - 1})"
    return f"CAST(floor(random() * {KEY_RANGE}) AS INTEGER)"


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in KEYED:
        # NOT NULL needs a default for the rows already there; it is replaced by random keys
        # at once. (SQLite cannot drop a column default without rebuilding the table, which
        # would drop its triggers: there the default 0 stays, and every writer gives a key.)
        op.add_column(table, sa.Column('record_key', sa.Integer(), nullable=False,
                                       server_default='0'))
        op.execute(f"UPDATE {table} SET record_key = {_random_key()}")
        if not sqlite:
            op.alter_column(table, 'record_key', server_default=None)
    for column in CELL_KEYS:
        op.add_column('analytics_cell', sa.Column(column, sa.BigInteger(), nullable=True))
    # The cells built before this revision have no key sums: mark them stale (the layout
    # in the settings key changed too, so they are never read either way).
    op.execute("UPDATE analytics_state SET dirty = 1")


def downgrade() -> None:
    # (SQLite 3.35+ drops a column in place, keeping the table's triggers.)
    for column in CELL_KEYS:
        op.drop_column('analytics_cell', column)
    for table in KEYED:
        op.drop_column(table, 'record_key')
