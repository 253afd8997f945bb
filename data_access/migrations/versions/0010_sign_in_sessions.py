"""sign-in attempts and login sessions (issue 15)

``sign_in_attempt``: one row per username, counted atomically before a password is checked
(accounts/lockout.py), so a burst of parallel attempts checks at most LOCKOUT_ATTEMPTS
passwords. ``login_session``: the server-side record every re-login cookie points at
(accounts/login_sessions.py), revoked by sign-out, password changes, disabling and
removal; its expiry is fixed when it is issued.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 06:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'sign_in_attempt',
        sa.Column('username', sa.String(64), primary_key=True),
        sa.Column('window_start', sa.DateTime(), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(), nullable=True),
    )
    op.create_table(
        'login_session',
        sa.Column('id', sa.String(64), primary_key=True),
        sa.Column('username', sa.String(64), nullable=False),
        sa.Column('credential', sa.String(64), nullable=False),
        sa.Column('issued_at', sa.DateTime(), nullable=False),
        sa.Column('expires_at', sa.DateTime(), nullable=False),
        sa.Column('revoked_at', sa.DateTime(), nullable=True),
        sa.Column('revoked_reason', sa.String(40), nullable=True),
    )
    op.create_index('ix_login_session_username', 'login_session', ['username'])


def downgrade() -> None:
    op.drop_index('ix_login_session_username', 'login_session')
    op.drop_table('login_session')
    op.drop_table('sign_in_attempt')
