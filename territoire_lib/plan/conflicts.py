"""Optimistic locking of fiches: the refused save kept aside, and the commit that detects it.

Owns :class:`ConflictInfo` / :class:`ConflictError` (somebody else saved the fiche first),
the recording of the losing versions as :class:`~.models.FicheConflict` rows,
:func:`commit`, the commit every save goes through (``db.session_scope`` uses it too, so this
module sits below :mod:`~territoire_lib.plan.db` and never imports it), and the French words
for contention (:func:`database_error`): a lost race (:func:`is_race`, run again by
``db.write``), a database locked too long (:func:`is_busy`), any other refusal — never the
SQL nor its parameters.

Layer: base partagée (``plan``). Imports the socle, and within ``plan`` only
:mod:`.errors`, :mod:`.models`, :mod:`.document` and :mod:`.reading`.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .document import FicheSpec
from .errors import BusyError, ConcurrentWriteError, DatabaseError, PlanError
from .models import Fiche, FicheConflict
from .reading import fiche_spec


@dataclass(frozen=True)
class ConflictInfo:
    """One refused save: who tried, who saved first, and where the losing version is kept."""

    fiche_code: str
    fiche_title: str
    user: str
    expected_version: int | None
    found_version: int
    saved_by: str
    saved_at: datetime | None
    conflict_id: int

    def french(self) -> str:
        when = (
            f" le {self.saved_at:%d/%m/%Y à %H:%M} (heure UTC)" if self.saved_at is not None else ""
        )
        if self.expected_version is None:
            start = (
                f"la fiche existait déjà dans la base (version {self.found_version}, enregistrée "
                f"par {self.saved_by or 'une autre personne'}{when}) et le classeur ne dit pas "
                "de quelle version il part (colonne « Version » vide)"
            )
        else:
            start = (
                f"elle a été enregistrée par {self.saved_by or 'une autre personne'}{when} "
                f"pendant que vous la modifiiez (vous partiez de la version "
                f"{self.expected_version}, elle est maintenant à la version {self.found_version})"
            )
        return (
            f"la fiche « {self.fiche_code} — {self.fiche_title} » : {start}. Vos modifications "
            f"n'ont pas remplacé les siennes : elles sont conservées à part (conflit n° "
            f"{self.conflict_id}) et la version en place reste celle "
            f"{_of(self.saved_by or 'une autre personne')}"
        )


def _of(name: str) -> str:
    """« de Marie », « d'Alice »."""
    return f"d'{name}" if name[:1].lower() in "aeiouyhéèêàâîô" else f"de {name}"


class ConflictError(PlanError):
    """Somebody else saved the same fiche first. Both versions are kept: the one in place, and
    the refused one in a :class:`~.models.FicheConflict` (``conflicts[i].conflict_id``)."""

    def __init__(self, conflicts: list[ConflictInfo]):
        self.conflicts = conflicts
        if len(conflicts) == 1:
            text = f"Enregistrement refusé pour {conflicts[0].french()}."
        else:
            text = f"Enregistrement refusé pour {len(conflicts)} fiches :\n- " + "\n- ".join(
                c.french() + "." for c in conflicts
            )
        super().__init__(
            text + "\nRechargez la ou les fiches, puis reportez vos modifications "
            "(« territoire plan conflits » les affiche)."
        )


def _record_conflicts(
    session: Session, items: list[tuple[int, FicheSpec, int | None, str]]
) -> ConflictError | DatabaseError:
    """Roll back, keep each refused content in a FicheConflict (own commit), return the
    error to raise. ``items``: (fiche id, refused content, version it started from, user);
    a fiche still at the version it started from did not lose and is not recorded (when
    none lost, the error is a :class:`ConcurrentWriteError`: nothing saved, run again)."""
    session.rollback()
    infos = []
    rows = []
    for fid, spec, expected, user in items:
        current = session.get(Fiche, fid)
        if current is None or (expected is not None and current.version == expected):
            continue
        conflict = FicheConflict(
            fiche=current,
            user=user,
            expected_version=expected,
            found_version=current.version,
            saved_by=current.updated_by,
            saved_at=current.updated_at,
            rejected=spec.as_dict(),
            current=fiche_spec(current).as_dict(),
        )
        session.add(conflict)
        rows.append((current, conflict, expected, user))
    if not rows:
        return database_error(StaleDataError(), session)
    session.info["user"] = items[0][3]
    try:
        session.commit()
    except DBAPIError as exc:
        _quiet_rollback(session)
        return database_error(exc, session)
    for current, conflict, expected, user in rows:
        infos.append(
            ConflictInfo(
                fiche_code=current.code,
                fiche_title=current.title,
                user=user,
                expected_version=expected,
                found_version=current.version,
                saved_by=current.updated_by,
                saved_at=current.updated_at,
                conflict_id=conflict.id,
            )
        )
    return ConflictError(infos)


def _pending_fiches(session: Session) -> list[tuple[int, FicheSpec, int | None, str]]:
    """Content of the modified fiches of a session, read before a commit that may lose."""
    from sqlalchemy import inspect

    user = str(session.info.get("user") or "")
    out = []
    with session.no_autoflush:
        for obj in session.dirty:
            if isinstance(obj, Fiche) and obj.id is not None:
                loaded = inspect(obj).committed_state.get("version", obj.version)
                out.append((obj.id, fiche_spec(obj), loaded, user))
    return out


def commit(session: Session, pending: list | None = None) -> None:
    """Commit; a fiche saved meanwhile by somebody else becomes a :class:`ConflictError`
    (the losing content is kept), any other database failure a French error
    (:func:`database_error`: no SQL, no parameters)."""
    if pending is None:
        pending = (
            _pending_fiches(session) if any(isinstance(o, Fiche) for o in session.dirty) else []
        )
    try:
        session.commit()
    except StaleDataError as exc:
        if pending:
            raise _record_conflicts(session, pending) from None
        _quiet_rollback(session)
        raise database_error(exc, session) from None
    except DBAPIError as exc:
        _quiet_rollback(session)
        raise database_error(exc, session) from None


# -- contention: French messages ------------------------------------------------------------------
BUSY_TEXT = (
    "La base de données « {where} » est occupée par un autre enregistrement depuis trop "
    "longtemps : rien n'a été enregistré. Réessayez dans un instant ; si cela se répète, "
    "vérifiez qu'aucun programme ne garde la base bloquée."
)
RACE_TEXT = (
    "Une autre personne a enregistré dans la base « {where} » au même moment : rien n'a été "
    "enregistré de votre côté. Relancez l'opération : elle repartira de l'état actuel de la "
    "base, et une fiche modifiée entre-temps par l'autre personne y sera signalée comme "
    "conflit, les deux versions conservées."
)
FAILED_TEXT = (
    "La base de données « {where} » a refusé l'opération : rien n'a été enregistré. Vérifiez "
    "qu'il s'agit bien d'une base du plan (option --base, variable TERRITOIRE_DB), accessible "
    "en écriture, et que le disque n'est pas plein."
)
DETAIL = " Détail technique, pour le service informatique : {detail}"
# serialization failure, deadlock, unique violation, foreign key violation
_RACE_SQLSTATES = {"40001", "40P01", "23505", "23503"}
_BUSY_SQLSTATES = {"55P03", "57014"}  # lock not available, statement/lock timeout


def _quiet_rollback(session: Session) -> None:
    with contextlib.suppress(Exception):  # the connection may be gone; the error says so
        session.rollback()


def _where(session_or_url) -> str:
    """The database, for a message: a SQLite file's path, a server URL without password."""
    bind = getattr(session_or_url, "bind", None) if session_or_url is not None else None
    url = getattr(bind, "url", None) if bind is not None else session_or_url
    if url is None:
        return "(base du plan)"
    if not hasattr(url, "get_backend_name"):
        return str(url)
    if url.get_backend_name() == "sqlite":
        return url.database or "(mémoire)"
    return url.render_as_string(hide_password=True)


def _detail(exc: BaseException) -> str:
    """The first line of the driver's own message (never the SQL nor its parameters)."""
    orig = getattr(exc, "orig", None)
    lines = str(orig if orig is not None else exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


def is_race(exc: BaseException) -> bool:
    """True for a write that lost a race: running it again on the new state may succeed."""
    if isinstance(exc, StaleDataError):
        return True
    if isinstance(exc, IntegrityError):  # a row created twice, or its parent deleted meanwhile
        code = getattr(exc.orig, "sqlstate", None)
        if code is not None:
            return code in _RACE_SQLSTATES
        text = str(exc.orig)
        return "UNIQUE constraint failed" in text or "FOREIGN KEY constraint failed" in text
    if not isinstance(exc, DBAPIError):
        return False
    orig = exc.orig
    if getattr(orig, "sqlite_errorname", "") == "SQLITE_BUSY_SNAPSHOT":
        return True
    return getattr(orig, "sqlstate", None) in _RACE_SQLSTATES


def is_busy(exc: BaseException) -> bool:
    """True for a database locked by another writer beyond the wait allowed."""
    if not isinstance(exc, OperationalError) or is_race(exc):
        return False
    orig = exc.orig
    name = getattr(orig, "sqlite_errorname", "") or ""
    if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return True
    if getattr(orig, "sqlstate", None) in _BUSY_SQLSTATES:
        return True
    text = str(orig).lower()
    return "database is locked" in text or "database is busy" in text


def database_error(exc: BaseException, where=None) -> DatabaseError:
    """The French error for a database failure (``where``: a session, an engine URL or a
    text): :class:`ConcurrentWriteError` for a lost race, :class:`BusyError` for a locked
    database, :class:`DatabaseError` otherwise. The driver's first line comes last, as the
    technical detail; the SQL and its parameters never appear."""
    place = _where(where)
    if is_race(exc):
        return ConcurrentWriteError(RACE_TEXT.format(where=place))
    if is_busy(exc):
        return BusyError(BUSY_TEXT.format(where=place))
    return DatabaseError(FAILED_TEXT.format(where=place) + DETAIL.format(detail=_detail(exc)))
