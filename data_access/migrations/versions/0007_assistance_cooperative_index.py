"""assistance by cooperative (issue 8): the Cooperatives page's list and status counts

``metrics.cooperatives`` counts, per cooperative, the distinct members with a delivered
assistance by the period end, and finds the cooperatives with a member's assistance
started by then. Both read only the assistance rows of a cooperative (a third of them);
without an index that was a scan of every assistance row, twice (~600 ms at a million
beneficiaries). ``(cooperative_id, status, delivered_date, approved_date,
beneficiary_id)`` holds every column both ask for, in cooperative order, so each is a scan
of that index's cooperative rows with no sort for the grouping.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 15:40:00
"""
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

COLUMNS = ['cooperative_id', 'status', 'delivered_date', 'approved_date', 'beneficiary_id']


def upgrade() -> None:
    op.create_index('ix_assistance_cooperative', 'assistance', COLUMNS)
    op.execute("ANALYZE assistance")


def downgrade() -> None:
    op.drop_index('ix_assistance_cooperative', 'assistance')
