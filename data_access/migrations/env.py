"""Alembic environment: migrates the database named by the config's sqlalchemy.url."""

from alembic import context
from sqlalchemy import Connection

from data_access.db import get_engine
from data_access.models import Base
from data_access.settings import load_settings

config = context.config
target_metadata = Base.metadata
if not config.get_main_option("sqlalchemy.url"):
    config.set_main_option("sqlalchemy.url",
                           load_settings().database_url.replace("%", "%%"))


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"),
                      target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    given = config.attributes.get("connection")
    if given is not None:  # data_access.db.upgrade: the connection holding the lock
        _migrate(given)
        return
    url = config.get_main_option("sqlalchemy.url")
    assert url is not None
    engine = get_engine(url)
    with engine.connect() as connection:
        _migrate(connection)


def _migrate(connection: Connection) -> None:
    # render_as_batch: SQLite can only ALTER a table by copying it. On SQLite each
    # migration commits on its own (alembic's default there; 0011 must commit to switch
    # foreign keys off), so concurrent upgrades are kept apart by data_access.db.upgrade's
    # file lock, not by a transaction.
    context.configure(connection=connection, target_metadata=target_metadata,
                      render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
    connection.commit()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
