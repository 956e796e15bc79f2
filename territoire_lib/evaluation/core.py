"""The evaluation of one stored CTG plan for one year (:class:`Evaluation`): progress of
every indicator, roll-ups per fiche, axis and for the whole CTG, the budget, and the fiche
statuses at the evaluation date. Its French texts, display tables and charts come from the
mixins of :mod:`.texts`, :mod:`.tables` and :mod:`.figures`.

It reads a CTG plan (a :class:`~territoire_lib.plan.document.PlanDocument`, itself read from
the plan database) and applies the rules of :mod:`.status`. Fiche-level rules:

- a fiche « en retard » by its calendar: not « réalisée » nor « abandonnée » and its planned
  end before the 31 December of the evaluation year; « à surveiller » when still « à
  lancer » after its planned start;
- otherwise (and at worst with the calendar), the roll-up of its indicators;
- the indicators of an abandoned fiche are shown but left out of the axis and CTG roll-ups
  (its target is no longer pursued);
- a fiche's status is the one it had on the 31 December of the evaluation year (its status
  history), so a past year is evaluated as it stood then; realised values likewise: the
  latest value of a year up to the evaluation year.

Layer « évaluation »; it is given a plan document and never reads the database; imports
:mod:`.constants`, :mod:`.status`, :mod:`.budget`, :mod:`.frames`, :mod:`.wording` and the
mixins.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from .budget import budget_summary
from .constants import (
    AT_RISK,
    DONE,
    DROPPED,
    LATE,
    NOT_EVALUABLE,
    NOT_STARTED,
    TOLERANCE,
    _fold,
)
from .figures import EvaluationFigures
from .frames import BUDGET_COLUMNS, _indicator_frame, _worst
from .status import rollup
from .tables import EvaluationTables
from .texts import EvaluationTexts
from .wording import _clip, fmt_date


class Evaluation(EvaluationTexts, EvaluationTables, EvaluationFigures):
    """The evaluation of one CTG for one year: progress of every indicator, roll-ups per
    fiche, axis and for the whole CTG, actions late or at risk, budget, decisions to take.

    Tables (DataFrames, French column names): ``indicators`` (one row per indicator),
    ``values`` (one row per realised value), ``fiches``, ``axes``, ``whole`` (one row),
    ``budget`` (one row per fiche × funder × year), ``history``, ``copil``, ``answers``.
    Build it with :func:`evaluate_document`, :func:`evaluate` or :func:`evaluate_plan`.
    """

    def __init__(self, doc, annee: int, tolerance: float = TOLERANCE, fictional: bool = False):
        from datetime import date

        self.doc = doc
        self.ctg = doc.ctg
        self.annee = int(annee)
        self.tolerance = tolerance
        self.fictional = fictional
        self.date = date(self.annee, 12, 31)
        self.history = pd.DataFrame(
            [
                {
                    "fiche": h.fiche,
                    "date": h.date,
                    "ancien_statut": h.old_status or "",
                    "nouveau_statut": h.new_status,
                    "par": h.user,
                    "commentaire": h.comment,
                }
                for h in doc.history
            ],
            columns=["fiche", "date", "ancien_statut", "nouveau_statut", "par", "commentaire"],
        )
        self.status_at, self.status_since = self._statuses()
        self.indicators, self.values = _indicator_frame(doc, self.annee, tolerance, self.status_at)
        kept = self.indicators[~self.indicators["abandonnee"]]
        self.whole = rollup(kept, tolerance=tolerance)
        self.budget = pd.DataFrame(
            [
                {
                    "axe": f.axis,
                    "fiche": f.code,
                    "financeur": b.funder,
                    "annee": int(b.year),
                    "prevu": float(b.amount),
                    "depense": getattr(b, "spent", None),
                }
                for f in doc.fiches
                for b in f.budgets
            ],
            columns=BUDGET_COLUMNS,
        )
        self.budget["depense"] = pd.to_numeric(self.budget["depense"], errors="coerce")
        self.fiches = self._fiche_frame()
        self.axes = self._axis_frame(kept)
        self.copil = pd.DataFrame(
            [{"date": c.date, "decision": c.text, "auteur": c.author} for c in doc.copil],
            columns=["date", "decision", "auteur"],
        )
        self.answers = pd.DataFrame(
            [
                {
                    "axe": e.axis,
                    "question": e.question,
                    "annee": e.year,
                    "reponse": e.answer,
                    "auteur": e.author,
                    "date": e.date,
                }
                for e in doc.evaluations
            ],
            columns=["axe", "question", "annee", "reponse", "auteur", "date"],
        )

    # -- tables ---------------------------------------------------------------------------------
    def _statuses(self) -> tuple[dict[str, str], dict[str, object]]:
        """Status of each fiche on the evaluation date, and since when, from its history: a
        past year is evaluated with the statuses of that time. A fiche without history keeps
        its current status; one whose history starts later was « à lancer »."""
        h = self.history
        h = h[pd.to_datetime(h["date"]) <= pd.Timestamp(self.date)].sort_values(
            "date", kind="stable"
        )
        last = h.groupby("fiche").tail(1).set_index("fiche")
        with_history = set(self.history["fiche"])
        status, since = {}, {}
        for f in self.doc.fiches:
            if f.code in last.index:
                status[f.code] = last.loc[f.code, "nouveau_statut"]
                since[f.code] = last.loc[f.code, "date"]
            else:
                status[f.code] = NOT_STARTED if f.code in with_history else f.status
                since[f.code] = None
        return status, since

    def _fiche_frame(self) -> pd.DataFrame:
        doc = self.doc
        titles = {a.code: a.title for a in doc.axes}
        upto = self.budget[self.budget["annee"] <= self.annee].groupby("fiche")["prevu"].sum()
        total = self.budget.groupby("fiche")["prevu"].sum()
        fiches = pd.DataFrame(
            [
                {
                    "axe": f.axis,
                    "axe_intitule": titles.get(f.axis, ""),
                    "fiche": f.code,
                    "intitule": f.title,
                    "pilote": f.pilot,
                    "partenaires": " ; ".join(f.partners),
                    "statut": self.status_at[f.code],
                    "debut": f.start,
                    "fin": f.end,
                }
                for f in doc.fiches
            ],
            columns=["axe", "axe_intitule", "fiche", "intitule", "pilote", "partenaires",
                     "statut", "debut", "fin"],
        )  # fmt: skip
        fiches["statut_depuis"] = fiches["fiche"].map(self.status_since)
        fiches["budget_prevu"] = fiches["fiche"].map(total).fillna(0.0).astype(float)
        fiches["budget_prevu_a_date"] = fiches["fiche"].map(upto).fillna(0.0).astype(float)
        roll = rollup(self.indicators, "fiche", tolerance=self.tolerance).set_index("fiche")
        fiches["n_indicateurs"] = fiches["fiche"].map(roll["n_indicateurs"]).fillna(0).astype(int)
        fiches["part_atteinte"] = fiches["fiche"].map(roll["part_atteinte"]).astype(float)
        fiches["part_attendue"] = fiches["fiche"].map(roll["part_attendue"]).astype(float)
        fiches["statut_indicateurs"] = (
            fiches["fiche"].map(roll["statut"]).fillna(NOT_EVALUABLE).astype(object)
        )
        open_ = ~fiches["statut"].isin([DONE, DROPPED])
        end = pd.to_datetime(fiches["fin"], errors="coerce")
        start = pd.to_datetime(fiches["debut"], errors="coerce")
        limit = pd.Timestamp(self.date)
        overdue = open_ & end.notna() & (end < limit)
        unstarted = fiches["statut"].eq(NOT_STARTED) & start.notna() & (start <= limit)
        calendar = pd.Series(None, index=fiches.index, dtype=object)
        calendar[unstarted] = AT_RISK
        calendar[overdue] = LATE
        suivi = _worst(calendar, fiches["statut_indicateurs"])
        suivi[fiches["statut"].eq(DROPPED)] = DROPPED
        fiches["suivi"] = suivi.astype(object)
        late_inds = self.indicators[self.indicators["statut"] == LATE].groupby("fiche")["libelle"]
        risk_inds = self.indicators[self.indicators["statut"] == AT_RISK].groupby("fiche")[
            "libelle"
        ]
        late_names = late_inds.agg(lambda s: " ; ".join(s))
        risk_names = risk_inds.agg(lambda s: " ; ".join(s))
        reasons = []
        for r in fiches.itertuples():
            parts = []
            if overdue[r.Index]:
                parts.append(f"échéance du {fmt_date(r.fin)} dépassée (action « {r.statut} »)")
            if unstarted[r.Index]:
                parts.append(f"début prévu le {fmt_date(r.debut)}, action pas encore lancée")
            if r.fiche in late_names.index and r.statut != DROPPED:
                parts.append(f"indicateur(s) en retard : {late_names[r.fiche]}")
            if r.fiche in risk_names.index and r.statut != DROPPED:
                parts.append(f"indicateur(s) à surveiller : {risk_names[r.fiche]}")
            reasons.append(" ; ".join(parts))
        fiches["motif"] = reasons
        return fiches

    def _axis_frame(self, kept: pd.DataFrame) -> pd.DataFrame:
        axes = pd.DataFrame(
            [{"axe": a.code, "intitule": a.title} for a in self.doc.axes],
            columns=["axe", "intitule"],
        )
        roll = rollup(kept, "axe", tolerance=self.tolerance)
        out = axes.merge(roll, on="axe", how="left")
        counts = [c for c in roll.columns if c.startswith("n_")]
        out[counts] = out[counts].fillna(0).astype(int)
        out["statut"] = out["statut"].fillna(NOT_EVALUABLE)
        f = self.fiches
        out["n_fiches"] = out["axe"].map(f.groupby("axe").size()).fillna(0).astype(int)
        for key, status in (("n_fiches_en_retard", LATE), ("n_fiches_a_surveiller", AT_RISK)):
            n = f[f["suivi"] == status].groupby("axe").size()
            out[key] = out["axe"].map(n).fillna(0).astype(int)
        for status in ("à lancer", "en cours", DONE, DROPPED):
            n = f[f["statut"] == status].groupby("axe").size()
            out["fiches_" + _fold(status).replace(" ", "_")] = (
                out["axe"].map(n).fillna(0).astype(int)
            )
        out["budget_prevu"] = out["axe"].map(f.groupby("axe")["budget_prevu"].sum()).fillna(0.0)
        return out

    def budget_summary(self, by: str | Sequence[str] | None = "axe", upto: bool = True):
        """Planned against spent (:func:`budget_summary`) per ``by``; ``upto``: the budget
        years up to the evaluation year only (what should be spent by now)."""
        frame = self.budget[self.budget["annee"] <= self.annee] if upto else self.budget
        return budget_summary(frame, by)

    @property
    def spending_known(self) -> bool:
        return bool(self.budget["depense"].notna().any())

    # -- labels ---------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        tail = " ; données fictives de démonstration" if self.fictional else ""
        return f"plan d'actions de la CTG « {self.ctg.code} », valeurs saisies et calculées{tail}"

    def axis_label(self, code: str, width: int = 60) -> str:
        title = next((a.title for a in self.doc.axes if a.code == code), "")
        return _clip(f"Axe {code} — {title}", width)

    def _select(self, frame: pd.DataFrame, axe=None, fiche=None) -> pd.DataFrame:
        if axe is not None:
            frame = frame[frame["axe"] == str(axe)]
        if fiche is not None:
            frame = frame[frame["fiche"] == str(fiche)]
        return frame
