"""analytics cells indexed on their full key (issue 8): the incremental refresh

An import merges the difference of the touched beneficiaries' cells into analytics_cell
(``analytics.delta``): every difference row finds its cell by the whole key.
``ix_analytics_cell_key`` keeps its first columns (cube, variant, rollup, month: what the
readers ask for) and gains the rest of the key, so that lookup is one index probe instead
of a scan of every cell (about 10 s at a million beneficiaries).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 15:00:00
"""
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

FULL_KEY = ['cube', 'variant', 'rollup', 'month', 'country', 'link', 'days', 'region', 'sex',
            'age_group', 'vulnerability', 'return_type', 'sector', 'modality', 'kind']


def upgrade() -> None:
    op.drop_index('ix_analytics_cell_key', 'analytics_cell')
    op.create_index('ix_analytics_cell_key', 'analytics_cell', FULL_KEY)


def downgrade() -> None:
    op.drop_index('ix_analytics_cell_key', 'analytics_cell')
    op.create_index('ix_analytics_cell_key', 'analytics_cell',
                    ['cube', 'variant', 'rollup', 'month'])
