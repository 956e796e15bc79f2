"""Storing a whole plan (a :class:`~.document.PlanDocument`, read from a workbook): a new
CTG, or the update of an existing one matched by codes, without losing anything.

Layer: base partagée (``plan``). Imports the socle, and within ``plan`` :mod:`.errors`,
:mod:`.models`, :mod:`.document`, :mod:`.reading`, :mod:`.conflicts` and :mod:`.editing`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .conflicts import _record_conflicts
from .document import EvaluationSpec, FicheSpec, IndicatorSpec, PlanDocument, StatusChangeSpec
from .editing import (
    _apply_fiche,
    _assign,
    _checked,
    _question,
    _set_ctg,
    _set_user,
    _status,
    _today,
    add_indicator,
    create_ctg,
)
from .errors import PlanError
from .models import (
    Axis,
    CopilDecision,
    Ctg,
    EvaluationAnswer,
    Fiche,
    FicheStatusChange,
    RealisedValue,
    utcnow,
)
from .reading import fiche_spec


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
        _assign(axis, title=spec.title, description=spec.description, position=pos)
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
        changed = _assign(
            ind,
            catalogue_id=spec.catalogue_id or None,
            label=spec.label,
            unit=spec.unit,
            baseline_value=spec.baseline_value,
            baseline_year=spec.baseline_year,
            target_value=spec.target_value,
            target_year=spec.target_year,
        )
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
