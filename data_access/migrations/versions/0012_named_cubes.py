"""named cubes (issue 17): analytics_cell.cube and .variant widen to 32 characters

The catalogue's cubes are named for what they count (``first_delivery``,
``business_visits``, ``sector_modality_kind`` …) instead of codes of up to 8 letters
(``first``, ``f2``, ``smk``). PostgreSQL enforces the width (widening a VARCHAR is a
catalogue change, no table rewrite); SQLite does not, so nothing changes there. The cells
of the old names are never read: the layout hash (``analytics.cubes.layout``) changed with
them, so they count as stale until the next rebuild replaces them.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 14:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for column in ("cube", "variant"):
            op.alter_column("analytics_cell", column, type_=sa.String(32),
                            existing_type=sa.String(8))


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DELETE FROM analytics_cell")  # names longer than 8 do not fit
        op.execute("UPDATE analytics_state SET dirty = 1")
        for column in ("cube", "variant"):
            op.alter_column("analytics_cell", column, type_=sa.String(8),
                            existing_type=sa.String(32))
