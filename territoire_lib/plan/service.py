"""The API of CTG action plans: create, read, save, follow up — over a shared database.

Every function takes an open session (from :func:`territoire_lib.plan.db.session_scope`) and
the name of the person acting (``user``: it goes to the audit trail). Typical use::

    from territoire_lib.plan import db, service

    engine = db.open_database()                       # $TERRITOIRE_DB or data/ctg/…sqlite
    with db.session_scope(engine=engine, user="marie") as s:
        ctg = service.get_ctg(s, "CTG-VALMONT")
        fiche = service.get_fiche(s, ctg, "1.2")
        spec = service.fiche_spec(fiche)                 # FicheSpec, with spec.version
    # … later, maybe in another session:
    with db.session_scope(engine=engine, user="marie") as s:
        service.save_fiche(s, fiche.id, {"pilot": "Caf"}, expected_version=spec.version,
                           user="marie")              # ConflictError if somebody saved first

Transactions: functions that *add* things (``create_ctg``, ``add_axis``, ``add_fiche``,
``add_indicator``, ``record_value``, ``answer_evaluation``, ``record_copil_decision``,
``fill_catalogue_indicators``, ``import_document``) only flush: the caller's
``session_scope`` commits. :func:`save_fiche` and :func:`change_status` are the « Enregistrer »
button of a fiche: they commit themselves, so that a lost race is detected and the losing
version kept (a :class:`~.models.FicheConflict` committed on its own), then raise
:class:`ConflictError` — after rolling back whatever else the session held.

Optimistic locking: ``Fiche.version`` is read with the fiche and checked when it is saved
(``expected_version``), and again by the database itself (``UPDATE … WHERE version = …``),
so two people saving the same fiche at once never silently overwrite each other.

Read-only tables for notebooks, dashboards and the ``territoire suivi`` command:
:func:`plan_status` (one row per fiche), :func:`indicator_status` (one row per indicator),
:func:`indicator_values` (one row per realised value), :func:`audit_trail`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
from sqlalchemy import select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ..errors import TerritoireError
from .document import (
    AUTO_USER,
    QUESTIONS,
    STATUSES,
    THEMES,
    AxisSpec,
    BudgetLine,
    CopilSpec,
    CtgSpec,
    EvaluationSpec,
    FicheSpec,
    IndicatorSpec,
    PlanDocument,
    StatusChangeSpec,
    ValueSpec,
    join_list,
    match_choice,
)
from .models import (
    AuditEntry,
    Axis,
    CopilDecision,
    Ctg,
    CtgCommune,
    EvaluationAnswer,
    Fiche,
    FicheBudget,
    FicheCommune,
    FicheConflict,
    FicheStatusChange,
    FollowUpIndicator,
    Partner,
    RealisedValue,
    utcnow,
)


class PlanError(TerritoireError):
    """A request on a plan that cannot be done (French message)."""


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


# -- small checks -------------------------------------------------------------------------------
def _status(text: str) -> str:
    found = match_choice(text, STATUSES)
    if found is None:
        raise PlanError(f"Statut inconnu : « {text} ». Statuts possibles : {', '.join(STATUSES)}.")
    return found


def _question(text: str) -> str:
    found = match_choice(text, tuple(QUESTIONS))
    if found is None:
        raise PlanError(
            f"Question d'évaluation inconnue : « {text} ». Questions possibles : "
            f"{', '.join(QUESTIONS)}."
        )
    return found


def _theme(text: str) -> str:
    if not text:
        return ""
    found = match_choice(text, THEMES)
    if found is None:
        raise PlanError(f"Thème inconnu : « {text} ». Thèmes possibles : {', '.join(THEMES)}.")
    return found


def _today() -> date:
    return utcnow().date()


def _set_user(session: Session, user: str | None) -> str:
    if user:
        session.info["user"] = user
    return str(session.info.get("user") or "")


# -- reading ------------------------------------------------------------------------------------
def list_ctgs(session: Session) -> list[Ctg]:
    """Every CTG of the database, by code."""
    return list(session.scalars(select(Ctg).order_by(Ctg.code)))


def get_ctg(session: Session, ctg: Ctg | str | int | None = None) -> Ctg:
    """A CTG by code (or id); ``None``: the only CTG of the database."""
    if isinstance(ctg, Ctg):
        return ctg
    if ctg is None:
        all_ = list_ctgs(session)
        if len(all_) == 1:
            return all_[0]
        if not all_:
            raise PlanError(
                "Aucune CTG dans la base. Importez un plan avec « territoire plan importer "
                "FICHIER.xlsx » (par exemple data/ctg/ctg_demo_valmont.xlsx)."
            )
        raise PlanError(
            "La base contient plusieurs CTG : précisez laquelle (option --ctg) parmi "
            + ", ".join(c.code for c in all_)
            + "."
        )
    found = session.scalar(select(Ctg).where(Ctg.code == str(ctg).strip()))
    if found is None and str(ctg).strip().isdigit():
        found = session.get(Ctg, int(ctg))
    if found is None:
        codes = ", ".join(c.code for c in list_ctgs(session)) or "aucune"
        raise PlanError(f"CTG introuvable : « {ctg} ». CTG de la base : {codes}.")
    return found


def get_axis(session: Session, ctg: Ctg, code: str) -> Axis:
    axis = session.scalar(select(Axis).where(Axis.ctg_id == ctg.id, Axis.code == str(code)))
    if axis is None:
        raise PlanError(f"Axe introuvable dans la CTG « {ctg.code} » : « {code} ».")
    return axis


def get_fiche(session: Session, ctg: Ctg, code: str) -> Fiche:
    """A fiche of a CTG by its code (« 1.2 »)."""
    fiche = session.scalar(select(Fiche).where(Fiche.ctg_id == ctg.id, Fiche.code == str(code)))
    if fiche is None:
        raise PlanError(f"Fiche introuvable dans la CTG « {ctg.code} » : « {code} ».")
    return fiche


def get_indicator(session: Session, fiche: Fiche, code: str) -> FollowUpIndicator:
    ind = session.scalar(
        select(FollowUpIndicator).where(
            FollowUpIndicator.fiche_id == fiche.id, FollowUpIndicator.code == str(code)
        )
    )
    if ind is None:
        raise PlanError(f"Indicateur introuvable dans la fiche « {fiche.code} » : « {code} ».")
    return ind


def fiche_spec(fiche: Fiche) -> FicheSpec:
    """The editable content of a fiche, with the version it was read at."""
    return FicheSpec(
        axis=fiche.axis.code,
        code=fiche.code,
        title=fiche.title,
        objective=fiche.objective,
        theme=fiche.theme,
        pilot=fiche.pilot,
        partners=tuple(fiche.partner_list),
        public=fiche.public,
        communes=tuple(sorted(c.commune for c in fiche.communes)),
        start=fiche.start_date,
        end=fiche.end_date,
        status=fiche.status,
        budgets=tuple(
            BudgetLine(b.funder, b.year, b.amount, b.spent)
            for b in sorted(fiche.budgets, key=lambda b: (b.year, b.funder))
        ),
        version=fiche.version,
    )


def fiche_conflicts(session: Session, fiche: Fiche | int) -> list[FicheConflict]:
    """The refused saves of a fiche, oldest first (``rejected`` / ``current`` contents)."""
    fid = fiche if isinstance(fiche, int) else fiche.id
    return list(
        session.scalars(
            select(FicheConflict).where(FicheConflict.fiche_id == fid).order_by(FicheConflict.id)
        )
    )


def ctg_spec(ctg: Ctg) -> CtgSpec:
    return CtgSpec(
        code=ctg.code,
        name=ctg.name,
        territory_code=ctg.territory_code,
        start_year=ctg.start_year,
        end_year=ctg.end_year,
        territory_name=ctg.territory_name,
        communes=tuple(sorted(c.commune for c in ctg.communes)),
        signed_on=ctg.signed_on,
        signatories=tuple(ctg.signatories),
        partners=tuple(ctg.other_partners),
    )


def plan_document(session: Session, ctg: Ctg | str | int | None = None) -> PlanDocument:
    """The whole plan of a CTG as a :class:`PlanDocument` (what the workbook holds)."""
    ctg = get_ctg(session, ctg)
    fiches = list(ctg.fiches)
    history = [
        StatusChangeSpec(
            fiche=f.code,
            date=h.date,
            new_status=h.new_status,
            old_status=h.old_status,
            user=h.user,
            comment=h.comment,
        )
        for f in fiches
        for h in f.status_changes
    ]
    indicators = [
        IndicatorSpec(
            fiche=f.code,
            code=i.code,
            label=i.label,
            catalogue_id=i.catalogue_id,
            unit=i.unit,
            baseline_value=i.baseline_value,
            baseline_year=i.baseline_year,
            target_value=i.target_value,
            target_year=i.target_year,
            values=tuple(
                ValueSpec(v.year, v.value, v.source, v.entered_by, v.computed) for v in i.values
            ),
        )
        for f in fiches
        for i in f.indicators
    ]
    evaluations = [
        EvaluationSpec(
            axis=a.code,
            question=e.question,
            year=e.year,
            answer=e.answer,
            author=e.author,
            date=e.answered_on,
        )
        for a in ctg.axes
        for e in a.evaluation_answers
    ]
    return PlanDocument(
        ctg=ctg_spec(ctg),
        axes=tuple(AxisSpec(a.code, a.title, a.description) for a in ctg.axes),
        fiches=tuple(fiche_spec(f) for f in fiches),
        history=tuple(history),
        indicators=tuple(indicators),
        evaluations=tuple(evaluations),
        copil=tuple(CopilSpec(c.date, c.text, c.author) for c in ctg.copil_decisions),
    ).normalised()


# -- writing: CTG, axes, fiches -------------------------------------------------------------------
def _set_ctg(session: Session, ctg: Ctg, spec: CtgSpec) -> None:
    if spec.end_year < spec.start_year:
        raise PlanError(
            f"Période de la CTG « {spec.code} » invalide : fin {spec.end_year} avant le début "
            f"{spec.start_year}."
        )
    for attr, value in (
        ("name", spec.name),
        ("territory_code", spec.territory_code),
        ("territory_name", spec.territory_name),
        ("start_year", spec.start_year),
        ("end_year", spec.end_year),
        ("signed_on", spec.signed_on),
    ):
        if getattr(ctg, attr) != value:
            setattr(ctg, attr, value)
    wanted = set(spec.communes)
    for c in list(ctg.communes):
        if c.commune not in wanted:
            ctg.communes.remove(c)
    have = {c.commune for c in ctg.communes}
    for code in sorted(wanted - have):
        ctg.communes.append(CtgCommune(commune=code))
    names = [(n, True) for n in spec.signatories] + [(n, False) for n in spec.partners]
    seen: set[str] = set()
    for name, _ in names:
        if name in seen:
            raise PlanError(f"Partenaire cité deux fois dans la CTG « {spec.code} » : « {name} ».")
        seen.add(name)
    by_name = {p.name: p for p in ctg.partners}
    for p in list(ctg.partners):
        if p.name not in seen:
            ctg.partners.remove(p)
    for pos, (name, signatory) in enumerate(names):
        p = by_name.get(name)
        if p is None:
            ctg.partners.append(Partner(name=name, signatory=signatory, position=pos))
            continue
        if p.signatory != signatory:
            p.signatory = signatory
        if p.position != pos:
            p.position = pos
    session.flush()


def create_ctg(session: Session, spec: CtgSpec, user: str | None = None) -> Ctg:
    """A new CTG (its code must be new)."""
    user = _set_user(session, user)
    if session.scalar(select(Ctg.id).where(Ctg.code == spec.code)) is not None:
        raise PlanError(f"La CTG « {spec.code} » existe déjà dans la base.")
    ctg = Ctg(
        code=spec.code,
        name=spec.name,
        territory_code=spec.territory_code,
        start_year=spec.start_year,
        end_year=spec.end_year,
        created_by=user,
    )
    session.add(ctg)
    _set_ctg(session, ctg, spec)
    return ctg


def add_axis(session: Session, ctg: Ctg, spec: AxisSpec, user: str | None = None) -> Axis:
    """A new axis at the end of the plan."""
    _set_user(session, user)
    if any(a.code == spec.code for a in ctg.axes):
        raise PlanError(f"L'axe « {spec.code} » existe déjà dans la CTG « {ctg.code} ».")
    axis = Axis(
        code=spec.code, title=spec.title, description=spec.description, position=len(ctg.axes)
    )
    ctg.axes.append(axis)
    session.flush()
    return axis


def _checked(spec: FicheSpec) -> FicheSpec:
    if not str(spec.code).strip() or not str(spec.title).strip():
        raise PlanError("Une fiche action a besoin d'un code et d'un intitulé.")
    if spec.start and spec.end and spec.end < spec.start:
        raise PlanError(
            f"Fiche « {spec.code} » : la fin ({spec.end:%d/%m/%Y}) précède le début "
            f"({spec.start:%d/%m/%Y})."
        )
    keys = [(b.funder, b.year) for b in spec.budgets]
    if len(set(keys)) != len(keys):
        dup = next(k for k in keys if keys.count(k) > 1)
        raise PlanError(
            f"Fiche « {spec.code} » : deux montants pour le financeur « {dup[0]} » en {dup[1]}."
        )
    return dataclasses.replace(
        spec, status=_status(spec.status), theme=_theme(spec.theme)
    ).normalised()


def _apply_fiche(
    session: Session,
    fiche: Fiche,
    spec: FicheSpec,
    user: str,
    *,
    on: date | None = None,
    comment: str = "",
    record_status: bool = True,
) -> None:
    """Write ``spec`` into ``fiche`` (children by difference, so the audit shows what moved);
    a status change is added to the history (dated ``on``, default today). No autoflush
    meanwhile: one save is one UPDATE of the fiche, one version."""
    with session.no_autoflush:
        _apply_fiche_fields(session, fiche, spec, user, on, comment, record_status)


def _apply_fiche_fields(
    session: Session,
    fiche: Fiche,
    spec: FicheSpec,
    user: str,
    on: date | None,
    comment: str,
    record_status: bool,
) -> None:
    if fiche.axis is None or fiche.axis.code != spec.axis:
        fiche.axis = get_axis(session, fiche.ctg, spec.axis)
    for attr, value in (
        ("code", spec.code),
        ("title", spec.title),
        ("objective", spec.objective),
        ("theme", spec.theme),
        ("pilot", spec.pilot),
        ("partners", join_list(spec.partners)),
        ("public", spec.public),
        ("start_date", spec.start),
        ("end_date", spec.end),
    ):
        if getattr(fiche, attr) != value:
            setattr(fiche, attr, value)
    wanted = set(spec.communes)
    for c in list(fiche.communes):
        if c.commune not in wanted:
            fiche.communes.remove(c)
    have = {c.commune for c in fiche.communes}
    for code in sorted(wanted - have):
        fiche.communes.append(FicheCommune(commune=code))
    wanted = {(b.funder, b.year): b for b in spec.budgets}
    kept = set()
    for row in list(fiche.budgets):
        key = (row.funder, row.year)
        if key not in wanted:
            fiche.budgets.remove(row)
            continue
        if row.amount != wanted[key].amount:
            row.amount = wanted[key].amount
        if row.spent != wanted[key].spent:
            row.spent = wanted[key].spent
        kept.add(key)
    for b in spec.budgets:
        if (b.funder, b.year) not in kept:
            fiche.budgets.append(
                FicheBudget(funder=b.funder, year=b.year, amount=b.amount, spent=b.spent)
            )
    if spec.status != fiche.status:
        if record_status:
            fiche.status_changes.append(
                FicheStatusChange(
                    date=on or _today(),
                    old_status=fiche.status,
                    new_status=spec.status,
                    user=user,
                    comment=comment,
                )
            )
        fiche.status = spec.status
    # always touch the row: the version moves even when only budgets or communes changed
    fiche.updated_at = utcnow()
    fiche.updated_by = user


def add_fiche(
    session: Session, ctg: Ctg, spec: FicheSpec, user: str | None = None, *, on: date | None = None
) -> Fiche:
    """A new fiche action (version 1); its first status goes to the history, dated ``on``
    (default: today)."""
    user = _set_user(session, user)
    spec = _checked(spec)
    if any(f.code == spec.code for f in ctg.fiches):
        raise PlanError(f"La fiche « {spec.code} » existe déjà dans la CTG « {ctg.code} ».")
    fiche = Fiche(
        ctg=ctg,
        axis=get_axis(session, ctg, spec.axis),
        code=spec.code,
        title=spec.title,
        status=spec.status,
        position=len(ctg.fiches),
        created_by=user,
        created_at=utcnow(),
    )
    session.add(fiche)
    fiche.status_changes.append(
        FicheStatusChange(
            date=on or _today(), old_status=None, new_status=spec.status, user=user, comment=""
        )
    )
    _apply_fiche(session, fiche, spec, user, record_status=False)
    session.flush()
    return fiche


def _fresh_fiche(session: Session, fiche: Fiche | int) -> Fiche:
    fid = fiche if isinstance(fiche, int) else fiche.id
    obj = session.get(Fiche, fid)
    if obj is not None:
        session.expire(obj)  # read the row as it is now, children included
        obj = session.get(Fiche, fid)
    if obj is None:
        raise PlanError(f"Fiche introuvable (n° {fid}) : elle a peut-être été supprimée.")
    return obj


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
    from .db import DatabaseError

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


def save_fiche(
    session: Session,
    fiche: Fiche | int,
    changes: FicheSpec | Mapping[str, Any],
    expected_version: int | None,
    user: str,
    *,
    on: date | None = None,
    comment: str = "",
) -> Fiche:
    """Save the content of a fiche read at ``expected_version``, and commit.

    ``changes`` is a whole :class:`FicheSpec` or a mapping of the :class:`FicheSpec` fields
    to change (``{"pilot": "Caf", "status": "en cours"}``). A new status is added to the
    history, dated ``on`` (default today), with ``comment``. Nothing changed: nothing saved.

    Raises :class:`ConflictError` when the fiche is no longer at ``expected_version``
    (somebody saved first, or saves at the same instant): the refused content is kept in a
    :class:`~.models.FicheConflict`, the fiche keeps the other person's version.
    """
    _set_user(session, user)
    current = _fresh_fiche(session, fiche)
    base = fiche_spec(current)
    if isinstance(changes, FicheSpec):
        spec = changes
    else:
        unknown = set(changes) - {f.name for f in dataclasses.fields(FicheSpec)}
        if unknown:
            raise PlanError(f"Champ(s) de fiche inconnu(s) : {', '.join(sorted(unknown))}.")
        spec = dataclasses.replace(base, **dict(changes))
    spec = dataclasses.replace(_checked(spec), version=expected_version)
    if current.version != expected_version:
        raise _record_conflicts(session, [(current.id, spec, expected_version, user)])
    if spec == base:
        return current
    _apply_fiche(session, current, spec, user, on=on, comment=comment)
    commit(session, [(current.id, spec, expected_version, user)])
    return current


def change_status(
    session: Session,
    fiche: Fiche | int,
    new_status: str,
    user: str,
    *,
    on: date | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> Fiche:
    """Change the status of a fiche (history dated ``on``, default today) and commit.

    ``expected_version`` None: the version read now (the change applies to the fiche as it
    is; it still fails if somebody saves the fiche at the same instant).
    """
    current = _fresh_fiche(session, fiche)
    version = current.version if expected_version is None else expected_version
    return save_fiche(
        session, current, {"status": new_status}, version, user, on=on, comment=comment
    )


# -- writing: indicators, values, evaluation, committees -------------------------------------------
def _catalogue():
    from ..indicators import load_catalogue

    return load_catalogue()


def add_indicator(
    session: Session, fiche: Fiche, spec: IndicatorSpec, user: str | None = None
) -> FollowUpIndicator:
    """A follow-up indicator for a fiche: ``spec.catalogue_id`` for a catalogue indicator
    (label and unit default to the catalogue's), else specific to the action. Its values
    (``spec.values``) are recorded too."""
    _set_user(session, user)
    label, unit = spec.label, spec.unit
    if spec.catalogue_id:
        cat = _catalogue()
        if spec.catalogue_id not in cat:
            raise PlanError(
                f"Indicateur inconnu du catalogue : « {spec.catalogue_id} » (fiche "
                f"« {fiche.code} »)."
            )
        label = label or cat[spec.catalogue_id].label
        unit = unit or cat[spec.catalogue_id].unit
    if not label:
        raise PlanError(f"Un indicateur de la fiche « {fiche.code} » n'a pas de libellé.")
    if any(i.code == spec.code for i in fiche.indicators):
        raise PlanError(f"L'indicateur « {spec.code} » existe déjà dans la fiche « {fiche.code} ».")
    ind = FollowUpIndicator(
        code=spec.code,
        catalogue_id=spec.catalogue_id or None,
        label=label,
        unit=unit,
        baseline_value=spec.baseline_value,
        baseline_year=spec.baseline_year,
        target_value=spec.target_value,
        target_year=spec.target_year,
        position=len(fiche.indicators),
    )
    fiche.indicators.append(ind)
    for v in spec.values:
        ind.values.append(
            RealisedValue(
                year=v.year,
                value=v.value,
                source=v.source,
                entered_by=v.entered_by or str(session.info.get("user") or ""),
                computed=v.computed,
            )
        )
    session.flush()
    return ind


def record_value(
    session: Session,
    indicator: FollowUpIndicator,
    year: int,
    value: float,
    source: str,
    user: str,
    *,
    computed: bool = False,
) -> RealisedValue:
    """Record (or correct) the realised value of an indicator for a year, with its source.
    The previous value stays in the audit trail."""
    _set_user(session, user)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise PlanError(f"Valeur manquante pour l'indicateur « {indicator.label} » en {year}.")
    year = int(year)
    row = next((v for v in indicator.values if v.year == year), None)
    if row is None:
        row = RealisedValue(year=year)
        indicator.values.append(row)
    for attr, new in (
        ("value", float(value)),
        ("source", source or ""),
        ("entered_by", user),
        ("computed", computed),
    ):
        if getattr(row, attr) != new:
            setattr(row, attr, new)
    row.entered_at = utcnow()
    session.flush()
    return row


def answer_evaluation(
    session: Session,
    axis: Axis,
    question: str,
    year: int,
    answer: str,
    user: str,
    *,
    on: date | None = None,
) -> EvaluationAnswer:
    """Record (or replace) the answer to an evaluation question (pertinence, cohérence,
    efficacité, efficience) for an axis and the evaluation of ``year``."""
    _set_user(session, user)
    question = _question(question)
    row = next(
        (e for e in axis.evaluation_answers if e.question == question and e.year == int(year)),
        None,
    )
    if row is None:
        row = EvaluationAnswer(question=question, year=int(year))
        axis.evaluation_answers.append(row)
    row.answer = answer
    row.author = user
    row.answered_on = on or _today()
    session.flush()
    return row


def record_copil_decision(
    session: Session, ctg: Ctg, on: date, text: str, author: str, user: str | None = None
) -> CopilDecision:
    """Add a decision of the comité de pilotage to the CTG's log."""
    _set_user(session, user or author)
    row = CopilDecision(date=on, text=text, author=author)
    ctg.copil_decisions.append(row)
    session.flush()
    return row


# -- values computed from the data ---------------------------------------------------------------
def ctg_communes(ctg: Ctg | CtgSpec, geography) -> list[str]:
    """The communes of a CTG: its explicit perimeter, else those of its territory code."""
    communes = [c.commune for c in ctg.communes] if isinstance(ctg, Ctg) else list(ctg.communes)
    if communes:
        return sorted(communes)
    try:
        return list(geography.members(ctg.territory_code))
    except TerritoireError:
        raise PlanError(
            f"Le territoire « {ctg.territory_code} » de la CTG « {ctg.code} » est inconnu des "
            "données chargées : chargez les données de ce territoire (option --source) ou "
            "donnez la liste de ses communes."
        ) from None


def catalogue_values(
    territory, scopes: Mapping[str, Iterable[str]], indicator_ids: Iterable[str]
) -> pd.DataFrame:
    """Catalogue indicators over several sets of communes, every year with data.

    ``scopes`` maps a key to commune codes. One engine call for every scope (each becomes
    a perimeter of a copy of the geography). Returns columns ``perimetre, indicateur,
    annee, valeur, masque, motif_masque``; values as the engine computes them (ratios of
    sums), not rounded.
    """
    from ..geo import Geography, Perimeter
    from ..indicators import compute

    geo = territory.geography
    perimeters = {k: Perimeter(k, k, tuple(v)) for k, v in scopes.items() if tuple(v)}
    ids = sorted(set(indicator_ids))
    if not perimeters or not ids:
        return pd.DataFrame(
            columns=["perimetre", "indicateur", "annee", "valeur", "masque", "motif_masque"]
        )
    copy = Geography(geo.communes, geo.epcis, geo.departements, geo.regions, perimeters)
    view = dataclasses.replace(territory, geography=copy)
    out = compute(view, "perimetre", ids)
    out = out.rename(columns={"territoire": "perimetre"})
    for col in ("perimetre", "indicateur", "motif_masque"):
        out[col] = out[col].astype(str)
    out["annee"] = out["annee"].astype("int64")
    return out[["perimetre", "indicateur", "annee", "valeur", "masque", "motif_masque"]]


def computed_source(indicator, territory) -> str:
    """The source written next to a computed value."""
    tail = " ; données fictives de démonstration" if territory.fictional else ""
    return f"Calcul Territoire : {indicator.source}{tail}"


def fill_catalogue_indicators(
    session: Session, ctg: Ctg | str | int | None, territory, user: str = AUTO_USER
) -> pd.DataFrame:
    """Compute the realised values of every catalogue indicator of a CTG from the data, for
    every year available, and store them (rounded as the catalogue publishes them).

    An indicator is computed over the communes of its fiche when the fiche names some, else
    over the CTG's territory. Values computed earlier are refreshed; values entered by people
    are never overwritten. A baseline value left empty is filled from the data of its year.
    Masked values (statistical secrecy, too small a denominator) are not stored.

    Returns one row per indicator and year: ``fiche, indicateur, annee, valeur, action``
    (``ajoutée``, ``mise à jour``, ``inchangée``, ``saisie conservée``, ``masquée``).
    """
    _set_user(session, user)
    ctg = get_ctg(session, ctg)
    cat = _catalogue()
    geo = territory.geography
    base = ctg_communes(ctg, geo)
    inds = [i for f in ctg.fiches for i in f.indicators if i.catalogue_id]
    unknown = sorted({i.catalogue_id for i in inds} - set(cat))
    if unknown:
        raise PlanError(f"Indicateur(s) inconnu(s) du catalogue : {', '.join(unknown)}.")
    scopes: dict[str, tuple[str, ...]] = {}
    key_of: dict[int, str] = {}
    for ind in inds:
        communes = tuple(sorted(c.commune for c in ind.fiche.communes)) or tuple(base)
        key = "|".join(communes)
        scopes.setdefault(key, communes)
        key_of[ind.id] = key
    values = catalogue_values(territory, scopes, [i.catalogue_id for i in inds])
    by = {k: g for k, g in values.groupby(["perimetre", "indicateur"], observed=True)}
    report = []
    for ind in inds:
        meta = cat[ind.catalogue_id]
        rows = by.get((key_of[ind.id], ind.catalogue_id))
        if rows is None:
            continue
        source = computed_source(meta, territory)
        existing = {v.year: v for v in ind.values}
        for year, value, masked in zip(rows["annee"], rows["valeur"], rows["masque"], strict=True):
            year = int(year)
            entry = {"fiche": ind.fiche.code, "indicateur": ind.code, "annee": year}
            if bool(masked) or pd.isna(value):
                report.append({**entry, "valeur": math.nan, "action": "masquée"})
                continue
            value = round(float(value), meta.decimals)
            if ind.baseline_year == year and ind.baseline_value is None:
                ind.baseline_value = value
            old = existing.get(year)
            if old is not None and not old.computed:
                action = "saisie conservée"
            elif old is not None and old.value == value and old.source == source:
                action = "inchangée"
            else:
                action = "ajoutée" if old is None else "mise à jour"
                record_value(session, ind, year, value, source, AUTO_USER, computed=True)
            report.append({**entry, "valeur": value, "action": action})
    session.flush()
    return pd.DataFrame(report, columns=["fiche", "indicateur", "annee", "valeur", "action"])


# -- importing a whole document -------------------------------------------------------------------
@dataclass
class ImportSummary:
    """What an import did, for the French report of ``territoire plan importer``."""

    ctg_code: str
    created_ctg: bool
    counts: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def add(self, what: str, n: int = 1) -> None:
        self.counts[what] = self.counts.get(what, 0) + n

    def french(self) -> str:
        head = (
            f"CTG « {self.ctg_code} » créée."
            if self.created_ctg
            else f"CTG « {self.ctg_code} » mise à jour."
        )
        lines = [head]
        lines += [f"  {what} : {n}" for what, n in self.counts.items() if n]
        lines += [f"  remarque : {n}" for n in self.notes]
        return "\n".join(lines)


def _check_document(doc: PlanDocument) -> None:
    axes = {a.code for a in doc.axes}
    fiches = {f.code for f in doc.fiches}
    for f in doc.fiches:
        if f.axis not in axes:
            raise PlanError(f"La fiche « {f.code} » cite l'axe « {f.axis} », qui n'est pas défini.")
    for what, codes in (
        ("axe", [a.code for a in doc.axes]),
        ("fiche", [f.code for f in doc.fiches]),
    ):
        dup = {c for c in codes if codes.count(c) > 1}
        if dup:
            raise PlanError(f"Code de {what} en double : {', '.join(sorted(dup))}.")
    for ref in [h.fiche for h in doc.history] + [i.fiche for i in doc.indicators]:
        if ref not in fiches:
            raise PlanError(f"La fiche « {ref} » est citée mais n'est pas définie.")
    for e in doc.evaluations:
        if e.axis not in axes:
            raise PlanError(f"L'axe « {e.axis} » est cité mais n'est pas défini.")


def import_document(
    session: Session, doc: PlanDocument, user: str, *, update: bool = False
) -> ImportSummary:
    """Store a whole plan (read from a workbook): a new CTG, or with ``update=True`` the
    update of an existing one, matched by codes.

    Update rules (nothing is lost): a fiche whose content differs is saved only if the
    document says it started from the fiche's current version (``FicheSpec.version``, the
    « Version » column of the workbook) — otherwise the whole import is refused with a
    :class:`ConflictError` and the refused contents are kept; axes, fiches, indicators and
    values absent from the document are kept (an action is dropped by giving it the status
    « abandonnée »); history lines, values, answers and decisions are added or corrected.
    A fiche whose status differs from its last history line gets a line dated today.
    The caller commits (``session_scope``).
    """
    _set_user(session, user)
    doc = doc.normalised()
    _check_document(doc)
    with session.no_autoflush:
        return _import(session, doc, user, update)


def _import(session: Session, doc: PlanDocument, user: str, update: bool) -> ImportSummary:
    ctg = session.scalar(select(Ctg).where(Ctg.code == doc.ctg.code))
    summary = ImportSummary(doc.ctg.code, created_ctg=ctg is None)
    if ctg is None:
        ctg = create_ctg(session, doc.ctg, user)
    elif not update:
        raise PlanError(
            f"La CTG « {doc.ctg.code} » existe déjà dans la base. Pour la mettre à jour avec ce "
            "classeur, relancez avec l'option --mettre-a-jour (les fiches modifiées entre-temps "
            "par d'autres sont protégées)."
        )
    else:
        _set_ctg(session, ctg, doc.ctg)
    # axes
    axes = {a.code: a for a in ctg.axes}
    for pos, spec in enumerate(doc.axes):
        axis = axes.get(spec.code)
        if axis is None:
            axis = Axis(code=spec.code, title=spec.title, description=spec.description)
            ctg.axes.append(axis)
            axes[spec.code] = axis
            summary.add("axes créés")
        for attr, value in (("title", spec.title), ("description", spec.description)):
            if getattr(axis, attr) != value:
                setattr(axis, attr, value)
        if axis.position != pos:
            axis.position = pos
    session.flush()
    # fiches
    fiches = {f.code: f for f in ctg.fiches}
    conflicts: list[tuple[int, FicheSpec, int | None, str]] = []
    history_of: dict[str, list[StatusChangeSpec]] = {}
    for h in doc.history:
        history_of.setdefault(h.fiche, []).append(h)
    for pos, raw in enumerate(doc.fiches):
        spec = _checked(raw)
        fiche = fiches.get(spec.code)
        if fiche is None:
            fiche = Fiche(
                ctg=ctg,
                axis=axes[spec.axis],
                code=spec.code,
                title=spec.title,
                status=spec.status,
                position=pos,
                created_by=user,
            )
            session.add(fiche)
            _apply_fiche(session, fiche, spec, user, record_status=False)
            fiches[spec.code] = fiche
            summary.add("fiches créées")
        else:
            if fiche.position != pos:
                fiche.position = pos
            current = fiche_spec(fiche)
            if current == spec:
                summary.add("fiches inchangées")
            elif raw.version != fiche.version:
                conflicts.append(
                    (fiche.id, dataclasses.replace(spec, version=raw.version), raw.version, user)
                )
                continue
            else:
                _apply_fiche(session, fiche, spec, user, record_status=False)
                summary.add("fiches modifiées")
        _merge_history(fiche, history_of.get(spec.code, []), spec.status, user, summary)
    session.flush()
    if conflicts:
        raise _record_conflicts(session, conflicts)
    kept = sorted(set(fiches) - {f.code for f in doc.fiches})
    if kept:
        summary.notes.append(
            "fiches de la base absentes du classeur, conservées telles quelles : " + ", ".join(kept)
        )
    _merge_indicators(session, fiches, doc.indicators, user, summary)
    _merge_evaluations(axes, doc.evaluations, summary)
    known = {(c.date, c.text) for c in ctg.copil_decisions}
    for c in doc.copil:
        if (c.date, c.text) not in known:
            ctg.copil_decisions.append(CopilDecision(date=c.date, text=c.text, author=c.author))
            summary.add("décisions de comité ajoutées")
    session.flush()
    return summary


def _merge_history(
    fiche: Fiche, lines: list[StatusChangeSpec], status: str, user: str, summary: ImportSummary
) -> None:
    have = {(h.date, h.old_status, h.new_status) for h in fiche.status_changes}
    for h in lines:
        new = _status(h.new_status)
        old = _status(h.old_status) if h.old_status else None
        if (h.date, old, new) in have:
            continue
        fiche.status_changes.append(
            FicheStatusChange(
                date=h.date, old_status=old, new_status=new, user=h.user, comment=h.comment
            )
        )
        have.add((h.date, old, new))
        summary.add("lignes d'historique ajoutées")
    ordered = sorted(fiche.status_changes, key=lambda h: (h.date, h.id or 10**12))
    last = ordered[-1].new_status if ordered else None
    if last != status:
        fiche.status_changes.append(
            FicheStatusChange(
                date=_today(),
                old_status=last,
                new_status=status,
                user=user,
                comment="statut indiqué par le classeur importé",
            )
        )
        summary.add("lignes d'historique ajoutées")


def _merge_indicators(
    session: Session,
    fiches: dict[str, Fiche],
    specs: tuple[IndicatorSpec, ...],
    user: str,
    summary: ImportSummary,
) -> None:
    for spec in specs:
        fiche = fiches[spec.fiche]
        ind = next((i for i in fiche.indicators if i.code == spec.code), None)
        if ind is None:
            add_indicator(session, fiche, spec, user)
            summary.add("indicateurs créés")
            summary.add("valeurs ajoutées", len(spec.values))
            continue
        changed = False
        for attr in (
            "catalogue_id",
            "label",
            "unit",
            "baseline_value",
            "baseline_year",
            "target_value",
            "target_year",
        ):
            value = getattr(spec, attr)
            if attr == "catalogue_id":
                value = value or None
            if getattr(ind, attr) != value:
                setattr(ind, attr, value)
                changed = True
        if changed:
            summary.add("indicateurs modifiés")
        have = {v.year: v for v in ind.values}
        for v in spec.values:
            old = have.get(v.year)
            new = (float(v.value), v.source, v.entered_by, v.computed)
            if old is not None and (old.value, old.source, old.entered_by, old.computed) == new:
                continue
            if old is None:
                old = RealisedValue(year=v.year)
                ind.values.append(old)
                summary.add("valeurs ajoutées")
            else:
                summary.add("valeurs corrigées")
            old.value, old.source, old.entered_by, old.computed = new
            old.entered_at = utcnow()


def _merge_evaluations(
    axes: dict[str, Axis], specs: tuple[EvaluationSpec, ...], summary: ImportSummary
) -> None:
    for e in specs:
        axis = axes[e.axis]
        question = _question(e.question)
        row = next(
            (a for a in axis.evaluation_answers if a.question == question and a.year == e.year),
            None,
        )
        new = (e.answer, e.author, e.date)
        if row is not None and (row.answer, row.author, row.answered_on) == new:
            continue
        if row is None:
            row = EvaluationAnswer(question=question, year=e.year)
            axis.evaluation_answers.append(row)
            summary.add("réponses d'évaluation ajoutées")
        else:
            summary.add("réponses d'évaluation modifiées")
        row.answer, row.author, row.answered_on = new


# -- tables -------------------------------------------------------------------------------------
PLAN_STATUS_COLUMNS = [
    "axe",
    "axe_intitule",
    "fiche",
    "intitule",
    "theme",
    "pilote",
    "statut",
    "statut_depuis",
    "debut",
    "fin",
    "communes",
    "budget_total",
    "depense_total",
    "indicateurs",
    "version",
    "modifiee_le",
    "modifiee_par",
]


def plan_status(session: Session, ctg: Ctg | str | int | None = None) -> pd.DataFrame:
    """One row per fiche, in plan order: axis, fiche, theme, pilot, status and since when,
    calendar, communes (« ; »-joined, empty: whole territory), budget planned and spent (all
    funders and years, euros; spent NaN when nothing entered), number of indicators, version
    and last save (UTC, by whom)."""
    ctg = get_ctg(session, ctg)
    rows = []
    for f in ctg.fiches:
        changes = f.status_changes
        rows.append(
            {
                "axe": f.axis.code,
                "axe_intitule": f.axis.title,
                "fiche": f.code,
                "intitule": f.title,
                "theme": f.theme,
                "pilote": f.pilot,
                "statut": f.status,
                "statut_depuis": changes[-1].date if changes else None,
                "debut": f.start_date,
                "fin": f.end_date,
                "communes": join_list([c.commune for c in f.communes]),
                "budget_total": float(sum(b.amount for b in f.budgets)),
                "depense_total": (
                    float(sum(b.spent for b in f.budgets if b.spent is not None))
                    if any(b.spent is not None for b in f.budgets)
                    else math.nan
                ),
                "indicateurs": len(f.indicators),
                "version": f.version,
                "modifiee_le": f.updated_at,
                "modifiee_par": f.updated_by,
            }
        )
    return pd.DataFrame(rows, columns=PLAN_STATUS_COLUMNS)


INDICATOR_STATUS_COLUMNS = [
    "axe",
    "fiche",
    "indicateur",
    "libelle",
    "origine",
    "catalogue",
    "unite",
    "valeur_reference",
    "annee_reference",
    "valeur_cible",
    "annee_cible",
    "derniere_valeur",
    "derniere_annee",
    "source",
    "nombre_valeurs",
]


def indicator_status(session: Session, ctg: Ctg | str | int | None = None) -> pd.DataFrame:
    """One row per follow-up indicator: baseline, target, last realised value (year, source),
    number of realised values; ``origine`` is ``catalogue`` or ``spécifique``."""
    ctg = get_ctg(session, ctg)
    rows = []
    for f in ctg.fiches:
        for i in f.indicators:
            last = i.values[-1] if i.values else None
            rows.append(
                {
                    "axe": f.axis.code,
                    "fiche": f.code,
                    "indicateur": i.code,
                    "libelle": i.label,
                    "origine": "catalogue" if i.catalogue_id else "spécifique",
                    "catalogue": i.catalogue_id or "",
                    "unite": i.unit,
                    "valeur_reference": _nan(i.baseline_value),
                    "annee_reference": i.baseline_year,
                    "valeur_cible": _nan(i.target_value),
                    "annee_cible": i.target_year,
                    "derniere_valeur": _nan(last.value if last else None),
                    "derniere_annee": last.year if last else None,
                    "source": last.source if last else "",
                    "nombre_valeurs": len(i.values),
                }
            )
    out = pd.DataFrame(rows, columns=INDICATOR_STATUS_COLUMNS)
    for col in ("annee_reference", "annee_cible", "derniere_annee"):
        out[col] = out[col].astype("Int64")
    return out


def _nan(v: float | None) -> float:
    return math.nan if v is None else float(v)


INDICATOR_VALUES_COLUMNS = [
    "axe",
    "fiche",
    "indicateur",
    "libelle",
    "catalogue",
    "unite",
    "annee",
    "valeur",
    "source",
    "saisi_par",
    "calcule",
    "valeur_reference",
    "annee_reference",
    "valeur_cible",
    "annee_cible",
]


def indicator_values(session: Session, ctg: Ctg | str | int | None = None) -> pd.DataFrame:
    """One row per realised value (indicator × year), with the indicator's baseline and
    target repeated on each row — the long table evaluation charts start from. Indicators
    without values have no row (see :func:`indicator_status`)."""
    ctg = get_ctg(session, ctg)
    rows = [
        {
            "axe": f.axis.code,
            "fiche": f.code,
            "indicateur": i.code,
            "libelle": i.label,
            "catalogue": i.catalogue_id or "",
            "unite": i.unit,
            "annee": v.year,
            "valeur": v.value,
            "source": v.source,
            "saisi_par": v.entered_by,
            "calcule": v.computed,
            "valeur_reference": _nan(i.baseline_value),
            "annee_reference": i.baseline_year,
            "valeur_cible": _nan(i.target_value),
            "annee_cible": i.target_year,
        }
        for f in ctg.fiches
        for i in f.indicators
        for v in i.values
    ]
    out = pd.DataFrame(rows, columns=INDICATOR_VALUES_COLUMNS)
    for col in ("annee_reference", "annee_cible"):
        out[col] = out[col].astype("Int64")
    return out


AUDIT_COLUMNS = ["quand", "qui", "table", "ligne", "action", "avant", "apres"]


def audit_trail(
    session: Session,
    ctg: Ctg | str | int | None = None,
    *,
    table: str | None = None,
    row_id: int | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The audit trail, newest first: when (UTC), who, table, row id, action (insert, update,
    delete), before / after (dicts). Filtered by CTG (``None``: every CTG), table, row."""
    q = select(AuditEntry).order_by(AuditEntry.id.desc())
    if ctg is not None:
        q = q.where(AuditEntry.ctg_id == get_ctg(session, ctg).id)
    if table is not None:
        q = q.where(AuditEntry.table_name == table)
    if row_id is not None:
        q = q.where(AuditEntry.row_id == row_id)
    if limit is not None:
        q = q.limit(limit)
    rows = [
        {
            "quand": e.at,
            "qui": e.user,
            "table": e.table_name,
            "ligne": e.row_id,
            "action": e.action,
            "avant": e.before,
            "apres": e.after,
        }
        for e in session.scalars(q)
    ]
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)
