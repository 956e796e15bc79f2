"""Plan database: URLs, SQLite settings, Alembic migrations from an empty database on SQLite
and PostgreSQL, models and migrations in agreement, French errors."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from territoire_lib.plan import db
from territoire_lib.plan.models import Base

TABLES = {
    "ctg",
    "ctg_commune",
    "partner",
    "axis",
    "fiche",
    "fiche_commune",
    "fiche_budget",
    "fiche_status_change",
    "follow_up_indicator",
    "realised_value",
    "evaluation_answer",
    "copil_decision",
    "fiche_conflict",
    "audit_entry",
}


def test_database_url(monkeypatch, tmp_path):
    monkeypatch.delenv(db.ENV_VAR, raising=False)
    assert db.database_url() == f"sqlite:///{db.DEFAULT_PATH}"
    assert str(db.DEFAULT_PATH).endswith("data/ctg/territoire.sqlite")
    monkeypatch.setenv(db.ENV_VAR, "postgresql://ctg:secret@serveur/plans")
    assert db.database_url() == "postgresql+psycopg://ctg:secret@serveur/plans"
    assert db.database_url("postgres://a@b/c") == "postgresql+psycopg://a@b/c"
    # a plain path is a SQLite file, the argument wins over the variable
    assert db.database_url(tmp_path / "x.sqlite") == f"sqlite:///{tmp_path / 'x.sqlite'}"
    # no password in messages
    shown = db.display_url("postgresql://ctg:secret@serveur/plans")
    assert "secret" not in shown and "serveur/plans" in shown


def test_sqlite_wal_and_foreign_keys(plan_sqlite_url):
    engine = db.get_engine(plan_sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_migrations_from_empty_database(plan_db_url):
    engine = db.get_engine(plan_db_url)
    assert db.current_revision(engine) is None
    assert db.upgrade(engine=engine) == db.head_revision() == "0001"
    assert set(inspect(engine).get_table_names()) >= TABLES
    # idempotent
    assert db.upgrade(engine=engine) == "0001"
    # models and migrations agree (what `alembic check` does): no difference at all
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_open_database_migrates(plan_sqlite_url):
    engine = db.open_database(plan_sqlite_url)
    assert db.current_revision(engine) == db.head_revision()


def test_unknown_revision_is_a_french_error(plan_sqlite_url):
    engine = db.open_database(plan_sqlite_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(db.DatabaseError, match="n'est pas au format attendu"):
        db.upgrade(engine=engine)


def test_unreachable_server_is_a_french_error():
    # port 1 on the loopback: nobody listens, the connection is refused at once
    with pytest.raises(db.DatabaseError, match="inaccessible") as err:
        db.open_database("postgresql://personne@127.0.0.1:1/base")
    message = str(err.value)
    assert "TERRITOIRE_DB" in message
    # French first; the driver's words only after, marked as the technical detail
    french, _, detail = message.partition(" Détail technique, pour le service informatique : ")
    assert french.endswith("que vous avez les droits.") and "OperationalError" not in french
    assert "127.0.0.1" in detail and "port 1" in detail
    db.dispose_engines()
