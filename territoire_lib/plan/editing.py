"""Writing plans: create a CTG, add axes, fiches and indicators, save a fiche, change its
status, record realised values, evaluation answers and comité de pilotage decisions.

:func:`save_fiche` and :func:`change_status` commit themselves (through
:func:`~.conflicts.commit`, so that a lost race becomes a :class:`~.conflicts.ConflictError`
with the losing version kept); the other functions only flush and the caller commits.
The small checks of statuses, questions and themes (French errors) live here too.

The bounds of a realised value (a finite number, a past year, the plausible range of its
unit, confirmed when outside: :func:`check_value`) live here too.

Layer: base partagée (``plan``). Imports the socle, ``indicators`` (the catalogue), and
within ``plan`` :mod:`.errors`, :mod:`.models`, :mod:`.document`, :mod:`.reading` and
:mod:`.conflicts`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..french import auto_number
from ..variables import latest_year, plausible, unit_bounds
from .conflicts import _record_conflicts, commit
from .document import (
    QUESTIONS,
    STATUSES,
    THEMES,
    AxisSpec,
    CtgSpec,
    FicheSpec,
    IndicatorSpec,
    join_list,
    match_choice,
)
from .errors import PlanError
from .models import (
    Axis,
    CopilDecision,
    Ctg,
    CtgCommune,
    EvaluationAnswer,
    Fiche,
    FicheBudget,
    FicheCommune,
    FicheStatusChange,
    FollowUpIndicator,
    Partner,
    RealisedValue,
    utcnow,
)
from .reading import fiche_spec, get_axis


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


# -- the one way rows are written -----------------------------------------------------------------
def _assign(obj: Any, /, **values: Any) -> bool:
    """Set the attributes whose value differs, in order (an unchanged attribute is not
    touched, so the audit trail shows only what moved); True when something changed."""
    changed = False
    for attr, value in values.items():
        if getattr(obj, attr) != value:
            setattr(obj, attr, value)
            changed = True
    return changed


def _sync_communes(rows: list, communes: Iterable[str], row_type: type) -> None:
    """Make the commune rows of a CTG or a fiche those of ``communes``: rows no longer
    wanted are removed, new ones appended in code order (the others are left alone)."""
    wanted = set(communes)
    for c in list(rows):
        if c.commune not in wanted:
            rows.remove(c)
    have = {c.commune for c in rows}
    for code in sorted(wanted - have):
        rows.append(row_type(commune=code))


# -- writing: CTG, axes, fiches -------------------------------------------------------------------
def _set_ctg(session: Session, ctg: Ctg, spec: CtgSpec) -> None:
    if spec.end_year < spec.start_year:
        raise PlanError(
            f"Période de la CTG « {spec.code} » invalide : fin {spec.end_year} avant le début "
            f"{spec.start_year}."
        )
    _assign(
        ctg,
        name=spec.name,
        territory_code=spec.territory_code,
        territory_name=spec.territory_name,
        start_year=spec.start_year,
        end_year=spec.end_year,
        signed_on=spec.signed_on,
    )
    _sync_communes(ctg.communes, spec.communes, CtgCommune)
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
        _assign(p, signatory=signatory, position=pos)
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
    _assign(
        fiche,
        code=spec.code,
        title=spec.title,
        objective=spec.objective,
        theme=spec.theme,
        pilot=spec.pilot,
        partners=join_list(spec.partners),
        public=spec.public,
        start_date=spec.start,
        end_date=spec.end,
    )
    _sync_communes(fiche.communes, spec.communes, FicheCommune)
    wanted = {(b.funder, b.year): b for b in spec.budgets}
    kept = set()
    for row in list(fiche.budgets):
        key = (row.funder, row.year)
        if key not in wanted:
            fiche.budgets.remove(row)
            continue
        _assign(row, amount=wanted[key].amount, spent=wanted[key].spent)
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
        if v.value is not None:  # imported values: finite, of a past year (no question asked)
            check_value(ind, int(v.year), v.value, confirmed=True)
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


class OutOfBoundsValue(PlanError):
    """A realised value outside the plausible range of its indicator's unit (412,5 « places
    pour 100 enfants »): saved only once the user confirms it (``confirmed=True``)."""

    def __init__(self, message: str, low: float | None, high: float | None):
        super().__init__(message)
        self.low, self.high = low, high


def check_value(indicator: FollowUpIndicator, year: int, value: float, confirmed: bool) -> None:
    """Refuse a value that is not a finite number or whose year is not a past one
    (:class:`PlanError`); ask for a confirmation (:class:`OutOfBoundsValue`) of a value out of
    the plausible range of the indicator's unit (:func:`territoire_lib.variables.unit_bounds`:
    0 to 100 for a rate « pour 100 … » or a percentage, 0 or more for a count), unless
    ``confirmed``: a coverage rate may exceed 100, a typing slip should not pass unseen."""
    label = indicator.label
    if value is None or not math.isfinite(float(value)):
        raise PlanError(
            f"Valeur réalisée invalide pour l'indicateur « {label} » en {year} : "
            f"« {value} ». Attendu un nombre fini."
        )
    last = latest_year()
    if not 1990 <= int(year) <= last:
        raise PlanError(
            f"Année {year} invalide pour l'indicateur « {label} » : attendu une année de 1990 "
            f"à {last} (une valeur réalisée ne date pas d'une année à venir)."
        )
    low, high = unit_bounds(indicator.unit)
    if confirmed or plausible(value, low, high):
        return
    unit = f" {indicator.unit}" if indicator.unit else ""
    expected = (
        f"de {auto_number(low)} à {auto_number(high)}{unit}"
        if low is not None and high is not None
        else f"d'au moins {auto_number(low)}{unit}"
        if low is not None
        else f"d'au plus {auto_number(high)}{unit}"
    )
    raise OutOfBoundsValue(
        f"Valeur hors des bornes plausibles pour l'indicateur « {label} » en {year} : "
        f"{auto_number(value)}{unit}, alors qu'on attend une valeur {expected}. Confirmer ? "
        "Si la valeur est juste, enregistrez-la de nouveau en la confirmant ; sinon "
        "corrigez-la.",
        low,
        high,
    )


def record_value(
    session: Session,
    indicator: FollowUpIndicator,
    year: int,
    value: float,
    source: str,
    user: str,
    *,
    computed: bool = False,
    confirmed: bool = False,
) -> RealisedValue:
    """Record (or correct) the realised value of an indicator for a year, with its source.
    The previous value stays in the audit trail. A value that is not finite, or of a year to
    come, is refused; one out of the plausible range of the indicator's unit raises
    :class:`OutOfBoundsValue` unless ``confirmed`` (values computed from the data were
    checked when the data were loaded: they are not asked)."""
    _set_user(session, user)
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise PlanError(f"Valeur manquante pour l'indicateur « {indicator.label} » en {year}.")
    check_value(indicator, int(year), value, confirmed or computed)
    year = int(year)
    row = next((v for v in indicator.values if v.year == year), None)
    if row is None:
        row = RealisedValue(year=year)
        indicator.values.append(row)
    _assign(row, value=float(value), source=source or "", entered_by=user, computed=computed)
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
