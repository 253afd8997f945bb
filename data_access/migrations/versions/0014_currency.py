"""grants in local currency (issue 20): assistance.amount_local, .currency, .rate_date and
the exchange_rate table

A grant paid in dirham, Tunisian dinar or CFA franc keeps what was paid (``amount_local``
in ``currency``, ISO 4217) and the date that fixes its rate (``rate_date``);
``amount_eur`` stays the amount in the reporting currency that every figure and cube
reads, converted at the month's rate of ``exchange_rate`` (``rate`` units of the currency
per unit of the reporting currency, unique per currency and month). Existing rows have no
local amount: nothing to convert, no figure changes.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-02 17:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None

COLUMNS = ('amount_local', 'currency', 'rate_date')


def upgrade() -> None:
    op.add_column('assistance', sa.Column('amount_local', sa.Numeric(14, 2), nullable=True))
    op.add_column('assistance', sa.Column('currency', sa.String(length=3), nullable=True))
    op.add_column('assistance', sa.Column('rate_date', sa.Date(), nullable=True))
    op.create_table(
        'exchange_rate',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('currency', sa.String(length=3), nullable=False),
        sa.Column('month', sa.Date(), nullable=False),
        sa.Column('rate', sa.Numeric(18, 6), nullable=False),
        sa.Column('source', sa.String(length=200), nullable=True),
        sa.Column('created_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.Column('updated_at', sa.DateTime(), server_default=sa.text('(CURRENT_TIMESTAMP)'),
                  nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_exchange_rate')),
        sa.UniqueConstraint('currency', 'month', name='uq_exchange_rate_key'),
    )


def downgrade() -> None:
    op.drop_table('exchange_rate')
    for column in reversed(COLUMNS):
        # SQLite 3.35+ drops a plain column in place (no table copy, so the triggers of
        # migration 0004 stay); alembic would copy the table.
        op.execute(f"ALTER TABLE assistance DROP COLUMN {column}")
