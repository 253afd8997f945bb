"""caseload indexes (issue 8): page the caseload in SQL at a million beneficiaries

Each sort of the Caseload page reads its page's ids in index order (sort key, id), with
the country in the index so that the scope and country filters are checked without
reading the table, instead of sorting every beneficiary; a page's first delivery and
assistance summary look up assistance by beneficiary. ``SORT_NAME_SQL`` must stay the expression
``casework.caseload.sort_name`` compiles to, or the name sort stops using its index.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-23 14:30:00
"""
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

SORT_NAME_SQL = "lower(coalesce(last_name, '') || ' ' || coalesce(first_name, ''))"


def upgrade() -> None:
    op.create_index('ix_assistance_beneficiary', 'assistance',
                    ['beneficiary_id', 'status', 'delivered_date'])
    for key in ('case_number', 'region', 'status'):
        op.create_index(f'ix_beneficiary_page_{key}', 'beneficiary', [key, 'id', 'country'])
    op.execute("CREATE INDEX ix_beneficiary_page_name ON beneficiary "
               f"({SORT_NAME_SQL}, id, country)")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ANALYZE assistance")
        op.execute("ANALYZE beneficiary")
    else:
        op.execute("ANALYZE assistance, beneficiary")


def downgrade() -> None:
    for key in ('name', 'status', 'region', 'case_number'):
        op.drop_index(f'ix_beneficiary_page_{key}', 'beneficiary')
    op.drop_index('ix_assistance_beneficiary', 'assistance')
