"""users in the database (issue 18): app_user and app_user_country, filled from USERS_FILE

The users YAML file was rewritten without a lock across processes (also on every language
change), so two replicas or two threads lost each other's changes. The users now live in
``app_user`` (one row each; every change is one transaction, ``accounts.users``) and a
focal point's countries in ``app_user_country``. The YAML file stays an import format
(``manage.py users import users.yaml``).

When the USERS_FILE setting names an existing file, its users are copied in here; a
username already in the table is left as it is, so running this again (or after an import)
changes nothing. The file is kept. This parser is frozen with the migration (it does not
import ``accounts``, which may change).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 17:15:00
"""
import datetime as dt
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml
from alembic import op

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'app_user',
        sa.Column('id', sa.Integer(), primary_key=True),
        sa.Column('username', sa.String(64), nullable=False),
        sa.Column('name', sa.String(200), nullable=False),
        sa.Column('email', sa.String(320), nullable=True),
        sa.Column('password_hash', sa.String(200), nullable=True),
        sa.Column('role', sa.String(20), nullable=False),
        sa.Column('disabled', sa.Boolean(), nullable=False),
        sa.Column('demo', sa.Boolean(), nullable=False),
        sa.Column('language', sa.String(8), nullable=False),
        sa.Column('preferences', sa.JSON(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id', name='pk_app_user'),
        sa.UniqueConstraint('username', name='uq_app_user_username'),
        sa.UniqueConstraint('email', name='uq_app_user_email'),
        sa.CheckConstraint('username = lower(username)', name='ck_app_user_username_lower'),
        sa.CheckConstraint('email = lower(email)', name='ck_app_user_email_lower'),
    )
    op.create_table(
        'app_user_country',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('country', sa.String(2), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['app_user.id'], ondelete='CASCADE',
                                name='fk_app_user_country_user_id_app_user'),
        sa.PrimaryKeyConstraint('user_id', 'country', name='pk_app_user_country'),
    )
    _copy_users_file()


def downgrade() -> None:
    op.drop_table('app_user_country')
    op.drop_table('app_user')


def _copy_users_file() -> None:
    from data_access.settings import SettingsError, load_settings

    path = Path(load_settings().users_file)
    if not path.is_file():
        return
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as exc:
        raise SettingsError(f"users file {path} is not valid YAML ({' '.join(str(exc).split())})"
                            ": fix it, or point USERS_FILE at no file to start with no "
                            "users") from exc
    entries = (data.get("credentials") or {}).get("usernames") or {}
    bind = op.get_bind()
    users = sa.table('app_user', sa.column('id', sa.Integer), sa.column('username'),
                     sa.column('name'), sa.column('email'), sa.column('password_hash'),
                     sa.column('role'), sa.column('disabled', sa.Boolean),
                     sa.column('demo', sa.Boolean), sa.column('language'),
                     sa.column('preferences', sa.JSON), sa.column('created_at', sa.DateTime),
                     sa.column('updated_at', sa.DateTime))
    countries = sa.table('app_user_country', sa.column('user_id', sa.Integer),
                         sa.column('country'))
    present = set(bind.execute(sa.select(users.c.username)).scalars())
    emails = {e for e in bind.execute(sa.select(users.c.email)).scalars() if e}
    now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    for key, raw in entries.items():
        entry: dict[str, Any] = raw if isinstance(raw, dict) else {}
        username = str(key).strip().lower()
        if username in present:
            continue
        roles = entry.get("roles") or []
        role = str(roles[0]) if isinstance(roles, list) and roles else str(entry.get("role", ""))
        email = str(entry.get("email") or "").strip().lower() or None
        if email in emails:
            raise SettingsError(f"users file {path}: the e-mail address of {username} is "
                                "another user's too; give each user their own (or none) and "
                                "run `python manage.py db upgrade` again")
        if email:
            emails.add(email)
        row = bind.execute(sa.insert(users).values(
            username=username, name=str(entry.get("name") or username), email=email,
            password_hash=str(entry.get("password") or "") or None, role=role,
            disabled=bool(entry.get("disabled", False)),
            demo=bool(entry.get("demo", False)) or username.startswith("demo-"),
            language=str(entry.get("language") or ""), preferences={},
            created_at=now, updated_at=now).returning(users.c.id)).scalar_one()
        for country in sorted({str(c).strip().upper() for c in entry.get("countries") or []}):
            bind.execute(sa.insert(countries).values(user_id=row, country=country))
        present.add(username)
