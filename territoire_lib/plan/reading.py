"""Reading plans from the database: CTGs, axes, fiches and indicators by code, and the
conversion of stored rows back into plain values (:func:`fiche_spec`, :func:`ctg_spec`,
:func:`plan_document`).

Every function takes an open session; none of them writes.

Layer: base partagée (``plan``). Imports the socle, and within ``plan`` only
:mod:`.errors`, :mod:`.models` and :mod:`.document`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .document import (
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
)
from .errors import PlanError
from .models import Axis, Ctg, Fiche, FicheConflict, FollowUpIndicator


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
