"""Alembic environment of the CTG plan database.

Run programmatically by :func:`territoire_lib.plan.db.upgrade`, which hands over an open
connection (``config.attributes["connection"]``); without one, the database of
``$TERRITOIRE_DB`` (or the default SQLite file) is used. SQLite gets batch mode, so that
later migrations can alter tables.

Layer « base partagée »: imports its own layer (plan.db, plan.models).
"""

from alembic import context

from territoire_lib.plan import db
from territoire_lib.plan.models import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_offline() -> None:
    context.configure(
        url=db.database_url(config.get_main_option("sqlalchemy.url") or None),
        target_metadata=target_metadata,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = db.get_engine(config.get_main_option("sqlalchemy.url") or None)
    with engine.begin() as conn:
        _run(conn)


if context.is_offline_mode():
    run_offline()
else:
    run_online()
