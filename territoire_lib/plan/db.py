"""The shared database of CTG plans: engine, sessions, migrations and the audit trail.

Where the plans live:

* ``TERRITOIRE_DB`` (or the ``url`` argument) — a PostgreSQL URL
  (``postgresql://user:password@host/base``) so that several partners update the same plan,
  or a SQLite URL / file path;
* otherwise the SQLite file ``data/ctg/territoire.sqlite`` of the repository (not committed).

SQLite runs with WAL (readers never block the writer), foreign keys on and a busy timeout.
Its log is copied into the file after every commit that wrote (passive :func:`checkpoint`)
and emptied when the process ends (:func:`dispose_engines`, registered with ``atexit``): the
``.sqlite`` file alone holds every committed change. ``postgresql://`` URLs use the psycopg 3
driver.

Contention: :func:`session_scope` turns every database failure into French
(:func:`~.conflicts.database_error`: a lost race, a database locked too long, a refusal — never
the SQL nor its parameters), and :func:`write` runs a write that lost a race again on the new
state of the database.

The schema is created and upgraded by the Alembic migrations of ``migrations/``:
:func:`upgrade` (or :func:`open_database`, which checks the schema once per process by plain
SQL, upgrades it if needed, then returns the engine). To write a new migration after changing
:mod:`~territoire_lib.plan.models`::

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

import atexit
import contextlib
import getpass
import math
import os
import random
import re
import time
from collections.abc import Callable, Iterator
from datetime import date, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event, insert, inspect, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError
from sqlalchemy.orm.util import identity_key

from .conflicts import commit, database_error, is_busy
from .errors import ConcurrentWriteError, DatabaseError
from .models import AUDITED, AuditEntry, Axis, Ctg, Fiche, FollowUpIndicator, utcnow

ENV_VAR = "TERRITOIRE_DB"
REPO_DIR = Path(__file__).resolve().parents[2]
DEFAULT_PATH = REPO_DIR / "data" / "ctg" / "territoire.sqlite"
MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
WRITE_ATTEMPTS = 4  # a write that lost a race is run again on the new state, this many times
T = TypeVar("T")


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
_CHECKED: set[str] = set()  # URLs whose schema was found at the head revision
_AT_EXIT: list[bool] = []


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.close()


def get_engine(url: str | os.PathLike | None = None) -> Engine:
    """The (cached) engine of a database URL; creates the SQLite file's folder if needed.

    Cached engines are closed when the process ends (:func:`dispose_engines`: a SQLite file
    is checkpointed, its ``-wal`` emptied into it)."""
    full = database_url(url)
    if full in _ENGINES:
        return _ENGINES[full]
    if not _ENGINES and not _AT_EXIT:
        atexit.register(dispose_engines)
        _AT_EXIT.append(True)
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


def is_sqlite(engine: Engine) -> bool:
    return engine.url.get_backend_name() == "sqlite"


def checkpoint(engine: Engine, mode: str = "TRUNCATE", wait_ms: int = 2_000) -> bool:
    """Copy a SQLite file's write-ahead log (``-wal``) into the file itself, so that the
    ``.sqlite`` alone holds every committed change (a copy of it, a backup, an e-mail).

    ``TRUNCATE`` also empties the ``-wal`` (it waits at most ``wait_ms`` for readers);
    ``PASSIVE`` never waits and copies what it can. True when the whole log was copied.
    Nothing to do for PostgreSQL."""
    if not is_sqlite(engine) or engine.url.database in (None, "", ":memory:"):
        return True
    if not Path(engine.url.database).is_file():
        return True  # never opened: connecting would create an empty file
    try:
        with engine.connect() as conn:
            if mode != "PASSIVE":
                conn.exec_driver_sql(f"PRAGMA busy_timeout={int(wait_ms)}")
            busy, log, done = conn.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})").one()
            if mode != "PASSIVE":
                conn.exec_driver_sql(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    except DBAPIError:
        return False  # busy or gone: the log stays, SQLite replays it at the next opening
    return not busy and (log == done or log == -1)


def dispose_engines() -> None:
    """Close every cached engine (tests, end of a process); a SQLite file is checkpointed
    first, so that no committed change is left in its ``-wal`` only."""
    for engine in _ENGINES.values():
        checkpoint(engine)
        engine.dispose()
    _ENGINES.clear()
    _CHECKED.clear()


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
    """The newest migration (read by Alembic)."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(alembic_config()).get_current_head()


_REVISION_LINE = re.compile(
    r"""^(down_revision|revision)\s*(?::[^=]*)?=\s*(?:None|["']([^"']+)["'])\s*$""", re.M
)
_SCRIPT_HEAD: list[str] = []


def script_head() -> str:
    """The newest migration, read from the scripts of ``migrations/versions`` without
    importing Alembic (once per process): the revision no other script revises. Falls back
    to :func:`head_revision` when the scripts are not that simple (a merge, a tuple)."""
    if _SCRIPT_HEAD:
        return _SCRIPT_HEAD[0]
    revisions: set[str] = set()
    revised: set[str] = set()
    simple = True
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = dict((k, v) for k, v in _REVISION_LINE.findall(path.read_text(encoding="utf-8")))
        if "revision" not in found or "down_revision" not in found:
            simple = False
            break
        revisions.add(found["revision"])
        if found["down_revision"]:
            revised.add(found["down_revision"])
    heads = revisions - revised
    head = next(iter(heads)) if simple and len(heads) == 1 else head_revision()
    _SCRIPT_HEAD.append(head)
    return head


def stored_revision(engine: Engine) -> str | None:
    """The revision recorded in the database's ``alembic_version`` table, by plain SQL (None
    for a database without it)."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        rows = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return rows[0] if len(rows) == 1 else None


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
    schema); returns the revision the database is now at.

    Two processes opening a new database at the same moment both start the migrations; the
    second waits for the first (SQLite: the write lock taken first; PostgreSQL: transactional
    DDL), then finds the schema made, or fails on a table already there while the first one's
    revision is recorded: that is a success, not an error."""
    from alembic import command
    from alembic.util.exc import CommandError
    from sqlalchemy.exc import OperationalError

    engine = engine or get_engine(url)
    try:
        with engine.begin() as conn:
            if is_sqlite(engine):
                # Python's sqlite3 runs DDL outside any transaction unless one is open: take the
                # write lock first, so a migration is all or nothing and two never interleave
                conn.exec_driver_sql("BEGIN IMMEDIATE")
            command.upgrade(alembic_config(conn), revision)
    except CommandError as exc:
        raise DatabaseError(
            f"La base « {display_url(engine.url.render_as_string(False))} » n'est pas au "
            f"format attendu par cette version de Territoire ({exc}). Mettez Territoire à jour."
        ) from None
    except DBAPIError as exc:
        wanted = script_head() if revision == "head" else revision
        with contextlib.suppress(DBAPIError):
            if stored_revision(engine) == wanted:  # migrated meanwhile by another process
                return wanted
        if isinstance(exc, OperationalError) and not is_busy(exc):
            raise _unreachable(engine, exc) from None
        raise database_error(exc, engine.url) from None
    return current_revision(engine) or ""


def open_database(url: str | os.PathLike | None = None) -> Engine:
    """The engine of a database whose schema is up to date (migrated if needed).

    The schema is checked once per process and database, cheaply: the revision stored in the
    database against the newest migration script (:func:`stored_revision`,
    :func:`script_head`); Alembic runs only when they differ."""
    from sqlalchemy.exc import OperationalError

    engine = get_engine(url)
    key = engine.url.render_as_string(hide_password=False)
    if key in _CHECKED:
        return engine
    try:
        at = stored_revision(engine)
    except OperationalError as exc:
        if is_busy(exc):
            raise database_error(exc, engine.url) from None
        raise _unreachable(engine, exc) from None
    except DBAPIError as exc:  # e.g. a file that is not a SQLite database
        raise database_error(exc, engine.url) from None
    if at != script_head():
        upgrade(engine=engine)
    _CHECKED.add(key)
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
    except (StaleDataError, DBAPIError) as exc:  # a flush inside the block: French words
        with contextlib.suppress(Exception):
            session.rollback()
        raise database_error(exc, session) from None
    except BaseException:
        with contextlib.suppress(Exception):
            session.rollback()
        raise
    finally:
        session.close()


def write(
    work: Callable[[PlanSession], T],
    url: str | os.PathLike | None = None,
    *,
    engine: Engine | None = None,
    user: str | None = None,
    attempts: int = WRITE_ATTEMPTS,
) -> T:
    """Run ``work(session)`` in one transaction and commit it (:func:`session_scope`).

    A write that lost a race (:class:`ConcurrentWriteError`: a fiche saved meanwhile by
    another process, a row created twice, a deadlock) is run again from the start, on the new
    state of the database, up to ``attempts`` times; so ``work`` must read what it needs
    inside the session. Run again, an import finds the other version in place and keeps its
    own refused fiches aside (:class:`~.conflicts.ConflictError`, both versions kept). A
    database locked too long (:class:`BusyError`) is not retried: it was already waited for.
    """
    for attempt in range(1, attempts + 1):
        try:
            with session_scope(url, engine=engine, user=user) as session:
                return work(session)
        except ConcurrentWriteError:
            if attempt == attempts:
                raise
            time.sleep(random.uniform(0.02, 0.1) * attempt)  # let the winner finish
    raise AssertionError("unreachable")  # pragma: no cover


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


@event.listens_for(PlanSession, "after_commit")
def _checkpoint_after_write(session: Session) -> None:
    """After a commit that wrote, copy SQLite's log into the file (passive: never waits), so
    that the ``.sqlite`` file alone is up to date even while a dashboard keeps it open."""
    if session.info.pop("wrote", False) and isinstance(session.bind, Engine):
        checkpoint(session.bind, "PASSIVE")


@event.listens_for(PlanSession, "after_soft_rollback")
def _forget_writes(session: Session, _previous) -> None:
    session.info.pop("wrote", None)


@event.listens_for(PlanSession, "after_flush")
def _write_audit(session: Session, _flush_context) -> None:
    session.info["wrote"] = True
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
