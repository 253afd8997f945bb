"""case numbers unique per country (issue 14): unique (country, case_number)

Each field office numbers its own cases, so one number may exist in two countries; the
import matches cases on (country, case_number) and resolves a fact row's case among the
importer's countries only, so that no answer depends on another country's numbers. The
global unique constraint ``uq_beneficiary_case_number`` is replaced by
``uq_beneficiary_country_case_number``.

SQLite cannot drop a constraint: the table is copied (batch mode). With foreign keys on,
dropping the old table would run ``ON DELETE CASCADE`` on every fact table, so they are
switched off for the copy (SQLite only allows that outside a transaction) and checked
before they are switched on again. The copy loses what reflection cannot carry (the
expression index of the name sort, migration 0003) and the table's triggers (migration
0004): both are made again.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 06:00:00
"""
import warnings

from alembic import op
from sqlalchemy import exc

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

OLD, NEW = 'uq_beneficiary_case_number', 'uq_beneficiary_country_case_number'
SORT_NAME_SQL = "lower(coalesce(last_name, '') || ' ' || coalesce(first_name, ''))"


def _sqlite_copy(drop: str, create: str, columns: list[str]) -> None:
    from data_access.triggers import trigger_sql

    op.execute("COMMIT")  # PRAGMA foreign_keys is ignored inside a transaction
    op.execute("PRAGMA foreign_keys=OFF")
    op.execute("BEGIN")
    with warnings.catch_warnings():  # the expression index, made again below
        warnings.filterwarnings("ignore", "Skipped unsupported reflection", exc.SAWarning)
        with op.batch_alter_table('beneficiary', recreate='always') as batch:
            batch.drop_constraint(drop, type_='unique')
            batch.create_unique_constraint(create, columns)
    op.execute("DROP INDEX IF EXISTS ix_beneficiary_page_name")
    op.execute(f"CREATE INDEX ix_beneficiary_page_name ON beneficiary ({SORT_NAME_SQL}, id, "
               "country)")
    for statement in trigger_sql("sqlite"):
        op.execute(statement)
    broken = op.get_bind().exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise RuntimeError(f"foreign keys broken by the copy of beneficiary: {broken[:5]}")
    op.execute("COMMIT")
    op.execute("PRAGMA foreign_keys=ON")
    op.execute("BEGIN")
    op.execute("ANALYZE beneficiary")


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_copy(OLD, NEW, ['country', 'case_number'])
    else:
        op.drop_constraint(OLD, 'beneficiary', type_='unique')
        op.create_unique_constraint(NEW, 'beneficiary', ['country', 'case_number'])


def downgrade() -> None:
    # Fails if a case number is now used in two countries: rename one first.
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_copy(NEW, OLD, ['case_number'])
    else:
        op.drop_constraint(NEW, 'beneficiary', type_='unique')
        op.create_unique_constraint(OLD, 'beneficiary', ['case_number'])
