"""The shared database of CTG plans: engine, sessions, migrations and the audit trail.

Where the plans live:

* ``TERRITOIRE_DB`` (or the ``url`` argument) — a PostgreSQL URL
  (``postgresql://user:password@host/base``) so that several partners update the same plan,
  or a SQLite URL / file path;
* otherwise the SQLite file ``data/ctg/territoire.sqlite`` of the repository (not committed).

SQLite runs with WAL (readers never block the writer), foreign keys on and a busy timeout.
``postgresql://`` URLs use the psycopg 3 driver.

The schema is created and upgraded by the Alembic migrations of ``migrations/``:
:func:`upgrade` (or :func:`open_database`, which upgrades then returns the engine). To write a
new migration after changing :mod:`~territoire_lib.plan.models`::

    .venv/bin/python -c "from territoire_lib.plan import db; db.revision('what changed')"

Every flush of a :class:`PlanSession` writes one :class:`~.models.AuditEntry` per inserted,
updated or deleted row (who: ``session.info["user"]``; when: UTC; before / after as JSON), in
the same transaction as the change itself.

Layer: base partagée (``plan``). Imports the socle, and within ``plan`` :mod:`.models`,
:mod:`.errors` (:class:`DatabaseError`, re-exported here) and :mod:`.conflicts` (the commit
of :func:`session_scope`, which turns a lost race into a ``ConflictError``); never the
service modules above it.
"""

from __future__ import annotations

import contextlib
import getpass
import math
import os
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, insert, inspect, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from .conflicts import commit
from .errors import DatabaseError
from .models import AUDITED, AuditEntry, Axis, Ctg, Fiche, FollowUpIndicator, utcnow

ENV_VAR = "TERRITOIRE_DB"
REPO_DIR = Path(__file__).resolve().parents[2]
DEFAULT_PATH = REPO_DIR / "data" / "ctg" / "territoire.sqlite"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000


# -- URLs and engines ---------------------------------------------------------------------------
def database_url(url: str | os.PathLike | None = None) -> str:
    """The URL to use: ``url``, else ``$TERRITOIRE_DB``, else the default SQLite file.

    A plain file path means a SQLite file; ``postgres://`` and ``postgresql://`` URLs get the
    psycopg 3 driver (``postgresql+psycopg://``).
    """
    text = str(url) if url is not None else (os.environ.get(ENV_VAR) or "").strip()
    if not text:
        return f"sqlite:///{DEFAULT_PATH}"
    if "://" not in text:
        return f"sqlite:///{Path(text).expanduser().resolve()}"
    for prefix in ("postgres://", "postgresql://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix) :]
    return text


def display_url(url: str | os.PathLike | None = None) -> str:
    """The URL without its password, for messages: a SQLite file is shown as its path."""
    u = make_url(database_url(url))
    if u.get_backend_name() == "sqlite":
        return u.database or "(mémoire)"
    return u.render_as_string(hide_password=True)


_ENGINES: dict[str, Engine] = {}


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def get_engine(url: str | os.PathLike | None = None) -> Engine:
    """The (cached) engine of a database URL; creates the SQLite file's folder if needed."""
    full = database_url(url)
    if full in _ENGINES:
        return _ENGINES[full]
    try:
        u = make_url(full)
    except ArgumentError:
        raise DatabaseError(
            f"Adresse de base de données invalide : « {full} ». Attendu par exemple "
            "« postgresql://utilisateur:motdepasse@serveur/base » ou le chemin d'un fichier "
            "SQLite."
        ) from None
    if u.get_backend_name() == "sqlite":
        if u.database and u.database != ":memory:":
            Path(u.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(u, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
        event.listen(engine, "connect", _sqlite_pragmas)
    else:
        engine = create_engine(u, pool_pre_ping=True)
    _ENGINES[full] = engine
    return engine


def dispose_engines() -> None:
    """Close every cached engine (tests, end of a process)."""
    for engine in _ENGINES.values():
        engine.dispose()
    _ENGINES.clear()


# -- migrations ---------------------------------------------------------------------------------
def alembic_config(connection=None):
    """An Alembic ``Config`` for the migrations of this package (no alembic.ini needed);
    ``connection`` is handed to ``migrations/env.py``."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """Revision the database is at (None for an empty database)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _unreachable(engine: Engine, exc: Exception) -> DatabaseError:
    """A French message; the driver's own words (often English) come last, marked as the
    technical detail to pass on to whoever runs the server."""
    detail = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return DatabaseError(
        f"La base de données « {display_url(str(engine.url.render_as_string(False)))} » est "
        "inaccessible. Vérifiez l'adresse (variable TERRITOIRE_DB ou option --base), que le "
        "serveur est démarré et que vous avez les droits."
        + (f" Détail technique, pour le service informatique : {detail[0]}" if detail else "")
    )


def upgrade(url: str | os.PathLike | None = None, revision: str = "head", *, engine=None) -> str:
    """Run the Alembic migrations up to ``revision`` (an empty database gets the whole
    schema); returns the revision the database is now at."""
    from alembic import command
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import OperationalError

    engine = engine or get_engine(url)
    try:
        with engine.begin() as conn:
            command.upgrade(alembic_config(conn), revision)
    except CommandError as exc:
        raise DatabaseError(
            f"La base « {display_url(engine.url.render_as_string(False))} » n'est pas au "
            f"format attendu par cette version de Territoire ({exc}). Mettez Territoire à jour."
        ) from None
    except OperationalError as exc:
        raise _unreachable(engine, exc) from None
    return current_revision(engine) or ""


def open_database(url: str | os.PathLike | None = None) -> Engine:
    """The engine of a database whose schema is up to date (migrated if needed)."""
    from sqlalchemy.exc import OperationalError

    engine = get_engine(url)
    try:
        at = current_revision(engine)
    except OperationalError as exc:
        raise _unreachable(engine, exc) from None
    if at != head_revision():
        upgrade(engine=engine)
    return engine


def revision(message: str, autogenerate: bool = True, url: str | None = None) -> None:
    """Developer helper: write a new migration comparing the models with the database at
    ``url`` (migrated to head first; default: a throwaway SQLite file)."""
    import tempfile

    from alembic import command

    with tempfile.TemporaryDirectory() as tmp:
        engine = get_engine(url or Path(tmp) / "revision.sqlite")
        upgrade(engine=engine)
        with engine.begin() as conn:
            command.revision(alembic_config(conn), message=message, autogenerate=autogenerate)
        engine.dispose()


# -- sessions -----------------------------------------------------------------------------------
def default_user() -> str:
    """The operating-system user (the default author of changes)."""
    try:
        return getpass.getuser()
    except Exception:  # no user name in some containers
        return "inconnu"


class PlanSession(Session):
    """A session whose flushes write the audit trail. ``info["user"]`` names the author."""


@contextlib.contextmanager
def session_scope(
    url: str | os.PathLike | None = None, *, user: str | None = None, engine: Engine | None = None
) -> Iterator[PlanSession]:
    """A session committed at the end of the block, rolled back on error.

    Objects stay usable after the block (``expire_on_commit=False``). A save that lost a
    race on a fiche raises :class:`~territoire_lib.plan.service.ConflictError` (the losing
    version is kept). The database must already be migrated (see :func:`open_database`).
    """
    session = PlanSession(bind=engine or get_engine(url), expire_on_commit=False)
    session.info["user"] = user or default_user()
    try:
        yield session
        commit(session)
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# -- audit trail --------------------------------------------------------------------------------
def _json(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _columns(obj) -> list[str]:
    return [a.key for a in inspect(obj).mapper.column_attrs]


def _row(obj, original: bool = False) -> dict[str, Any]:
    state = inspect(obj)
    out = {}
    for key in _columns(obj):
        if original and key in state.committed_state:
            value = state.committed_state[key]
        else:
            value = state.dict.get(key)
        out[key] = _json(value)
    return out


def _changes(obj) -> tuple[dict[str, Any], dict[str, Any]]:
    state = inspect(obj)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for key in _columns(obj):
        hist = state.attrs[key].history
        if not hist.has_changes():
            continue
        old = hist.deleted[0] if hist.deleted else None
        new = hist.added[0] if hist.added else None
        if old == new:
            continue
        before[key] = _json(old)
        after[key] = _json(new)
    if after and isinstance(obj, Fiche):  # the version moved with the row (version_id_col)
        old = state.committed_state.get("version")
        before.setdefault("version", _json(old) if old is not None else obj.version - 1)
        after["version"] = obj.version
    return before, after


def _value(session: Session, obj, key: str):
    state = inspect(obj)
    if key in state.dict:
        return state.dict[key]
    return state.committed_state.get(key)


def _parent_ctg(session: Session, model, pk) -> int | None:
    if pk is None:
        return None
    parent = session.identity_map.get(identity_key(model, pk))
    if parent is not None:
        return _ctg_of(session, parent)
    if model is FollowUpIndicator:
        fiche_id = session.connection().scalar(
            select(FollowUpIndicator.fiche_id).where(FollowUpIndicator.id == pk)
        )
        return _parent_ctg(session, Fiche, fiche_id)
    return session.connection().scalar(select(model.ctg_id).where(model.id == pk))


def _ctg_of(session: Session, obj) -> int | None:
    """The CTG a row belongs to, without lazy loading (identity map first, then SQL)."""
    if isinstance(obj, Ctg):
        return _value(session, obj, "id")
    state = inspect(obj)
    keys = state.mapper.column_attrs.keys()
    if "ctg_id" in keys:
        return _value(session, obj, "ctg_id")
    for key, model in (("fiche_id", Fiche), ("indicator_id", FollowUpIndicator), ("axis_id", Axis)):
        if key in keys:
            return _parent_ctg(session, model, _value(session, obj, key))
    return None


@event.listens_for(PlanSession, "after_flush")
def _write_audit(session: Session, _flush_context) -> None:
    user = str(session.info.get("user") or default_user())
    now = utcnow()
    rows: list[dict[str, Any]] = []

    def entry(obj, action: str, before, after) -> None:
        rows.append(
            {
                "at": now,
                "user": user,
                "table_name": obj.__tablename__,
                "row_id": _value(session, obj, "id"),
                "ctg_id": _ctg_of(session, obj),
                "action": action,
                "before": before,
                "after": after,
            }
        )

    with session.no_autoflush:
        for obj in session.new:
            if isinstance(obj, AUDITED):
                entry(obj, "insert", None, _row(obj))
        for obj in session.dirty:
            if isinstance(obj, AUDITED) and obj not in session.deleted:
                before, after = _changes(obj)
                if after:
                    entry(obj, "update", before, after)
        for obj in session.deleted:
            if isinstance(obj, AUDITED):
                entry(obj, "delete", _row(obj, original=True), None)
    if rows:
        session.connection().execute(insert(AuditEntry), rows)
