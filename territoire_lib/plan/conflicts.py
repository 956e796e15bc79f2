"""Optimistic locking of fiches: the refused save kept aside, and the commit that detects it.

Owns :class:`ConflictInfo` / :class:`ConflictError` (somebody else saved the fiche first),
the recording of the losing versions as :class:`~.models.FicheConflict` rows, and
:func:`commit`, the commit every save goes through (``db.session_scope`` uses it too, so this
module sits below :mod:`~territoire_lib.plan.db` and never imports it).

Layer: base partagée (``plan``). Imports the socle, and within ``plan`` only
:mod:`.errors`, :mod:`.models`, :mod:`.document` and :mod:`.reading`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from .document import FicheSpec
from .errors import DatabaseError, PlanError
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
) -> ConflictError:
    """Roll back, keep each refused content in a FicheConflict (own commit), return the
    error to raise. ``items``: (fiche id, refused content, version it started from, user)."""
    session.rollback()
    infos = []
    rows = []
    for fid, spec, expected, user in items:
        current = session.get(Fiche, fid)
        if current is None:
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
    if items:
        session.info["user"] = items[0][3]
    session.commit()
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
    (the losing content is kept), a locked SQLite file a French error."""
    if pending is None:
        pending = (
            _pending_fiches(session) if any(isinstance(o, Fiche) for o in session.dirty) else []
        )
    try:
        session.commit()
    except StaleDataError:
        raise _record_conflicts(session, pending) from None
    except OperationalError as exc:
        session.rollback()
        if "locked" in str(exc).lower():
            raise DatabaseError(
                "La base de données est occupée par un autre enregistrement : réessayez dans "
                "un instant."
            ) from None
        raise
