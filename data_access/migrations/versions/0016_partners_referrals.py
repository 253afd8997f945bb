"""partners and referrals (issue 21)

New case tables ``partner`` (name, country, institution type, services offered, record
key; unique on name + country) and ``referral`` (a returnee referred to a partner for a
service on a date, its status and dates). ``assistance``, ``training_session``,
``follow_up`` and ``cooperative`` gain an optional ``partner_id``.

The cooperatives' free-text ``partner`` is migrated to the entity: every distinct
non-blank name (trimmed) within a country becomes one partner of type ``civil_society``
(the domain's "partner association"; names equal once trimmed and lower-cased are one
partner, spelled as the earliest cooperative wrote it), and each cooperative points to the
partner of its name. The text column stays (it is what the file said; the import keeps
both in step), so nothing is lost and the downgrade is exact.

Both new tables get the analytics triggers (a write marks the cubes stale).

Revision ID: 0016
Revises: 0012
Create Date: 2026-12-02 17:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

# app_user too: a partner user's partner (the users moved into the database in 0013)
PARTNERED = ('assistance', 'training_session', 'follow_up', 'cooperative', 'app_user')
KEY_RANGE = 2**20


def _random_key() -> str:
    if op.get_bind().dialect.name == 'sqlite':
        return f"(random() & {KEY_RANGE - 1})"
    return f"CAST(floor(random() * {KEY_RANGE}) AS INTEGER)"


def _stamps() -> list[sa.Column]:
    return [sa.Column('created_at', sa.DateTime(), server_default=sa.func.now(), nullable=False),
            sa.Column('updated_at', sa.DateTime(), server_default=sa.func.now(), nullable=False)]


def upgrade() -> None:
    from data_access.triggers import PARTNER_TABLES, trigger_sql

    op.create_table(
        'partner',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('country', sa.String(2), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('institution_type', sa.String(32), nullable=False),
        sa.Column('services', sa.String(200), nullable=True),
        sa.Column('record_key', sa.Integer(), nullable=False),
        *_stamps(),
        sa.UniqueConstraint('name', 'country', name='uq_partner_name_country'),
    )
    op.create_index('ix_partner_country', 'partner', ['country'])
    op.create_table(
        'referral',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('country', sa.String(2), nullable=False),
        sa.Column('beneficiary_id', sa.Integer(),
                  sa.ForeignKey('beneficiary.id', ondelete='CASCADE',
                                name='fk_referral_beneficiary_id_beneficiary'), nullable=False),
        sa.Column('partner_id', sa.Integer(),
                  sa.ForeignKey('partner.id', name='fk_referral_partner_id_partner'),
                  nullable=False),
        sa.Column('service', sa.String(32), nullable=False),
        sa.Column('referral_date', sa.Date(), nullable=False),
        sa.Column('status', sa.String(32), nullable=False),
        sa.Column('accepted_date', sa.Date(), nullable=True),
        sa.Column('service_date', sa.Date(), nullable=True),
        *_stamps(),
        sa.UniqueConstraint('beneficiary_id', 'partner_id', 'service', 'referral_date',
                            name='uq_referral_key'),
    )
    op.create_index('ix_referral_country', 'referral', ['country'])
    op.create_index('ix_referral_partner', 'referral', ['partner_id', 'referral_date'])
    op.create_index('ix_referral_beneficiary', 'referral', ['beneficiary_id'])
    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in PARTNERED:
        if sqlite:  # in place, with an inline REFERENCES: no table copy (which would
            # lose the table's triggers and expression indexes)
            op.execute(f"ALTER TABLE {table} ADD COLUMN partner_id INTEGER "
                       f"CONSTRAINT fk_{table}_partner_id_partner REFERENCES partner (id)")
        else:
            op.add_column(table, sa.Column(
                'partner_id', sa.Integer(),
                sa.ForeignKey('partner.id', name=f'fk_{table}_partner_id_partner'),
                nullable=True))
    # The cooperatives' free-text partner → partner entities.
    op.execute(
        "INSERT INTO partner (country, name, institution_type, services, record_key) "
        "SELECT c.country, trim(c.partner), 'civil_society', NULL, "
        f"{_random_key()} FROM cooperative c WHERE c.partner IS NOT NULL "
        "AND trim(c.partner) <> '' AND c.id = (SELECT min(c2.id) FROM cooperative c2 "
        "WHERE c2.country = c.country AND lower(trim(c2.partner)) = lower(trim(c.partner)))")
    op.execute(
        "UPDATE cooperative SET partner_id = (SELECT p.id FROM partner p WHERE "
        "p.country = cooperative.country AND lower(p.name) = lower(trim(cooperative.partner))) "
        "WHERE partner IS NOT NULL AND trim(partner) <> ''")
    dialect = op.get_bind().dialect.name
    for statement in trigger_sql(dialect, tables=PARTNER_TABLES):
        op.execute(statement)


def downgrade() -> None:
    from data_access.triggers import PARTNER_TABLES

    sqlite = op.get_bind().dialect.name == 'sqlite'
    for table in PARTNER_TABLES:
        if sqlite:
            for what in ('insert', 'update', 'delete'):
                op.execute(f"DROP TRIGGER IF EXISTS trg_analytics_{table}_{what}")
        else:
            op.execute(f"DROP TRIGGER IF EXISTS trg_analytics_{table} ON {table}")
    for table in PARTNERED:
        if sqlite:  # SQLite 3.35+ drops a column in place, but not one with a constraint
            op.execute(f"ALTER TABLE {table} DROP COLUMN partner_id")
        else:
            op.drop_column(table, 'partner_id')
    op.drop_table('referral')
    op.drop_table('partner')
