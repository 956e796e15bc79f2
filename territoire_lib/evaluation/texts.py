"""The French texts of a CTG evaluation (mixin of :class:`.core.Evaluation`): the summary,
one sentence per axis, the actions late or at risk, the decisions the comité de pilotage has
to take, the budget and the answers to the evaluation questions, and the whole report.

Layer « évaluation »; imports the plan's question list (lazily), :mod:`.constants` and
:mod:`.wording`.
"""

from __future__ import annotations

import pandas as pd

from .constants import (
    AT_RISK,
    DONE,
    DROPPED,
    LATE,
    NO_VALUE,
    NOT_EVALUABLE,
    NOT_STARTED,
    ON_TRACK,
)
from .wording import _plural, _signed, euros, fmt_date, pct, status_label


class EvaluationTexts:
    """French texts of :class:`~territoire_lib.evaluation.Evaluation` (a mixin: it reads the
    evaluation's tables and labels)."""

    # -- French text ----------------------------------------------------------------------------
    def counts_text(self, frame: pd.DataFrame) -> str:
        """« 6 en bonne voie, 2 à surveiller, 3 en retard, 1 sans valeur, 2 non évaluables »."""
        n = frame["statut"].value_counts()
        parts = []
        for status, word in (
            (ON_TRACK, "en bonne voie"),
            (AT_RISK, "à surveiller"),
            (LATE, "en retard"),
            (NO_VALUE, "sans valeur réalisée"),
            (NOT_EVALUABLE, "non évaluable"),
        ):
            k = int(n.get(status, 0))
            if k:
                parts.append(f"{k} {word}{'s' if k > 1 and word == 'non évaluable' else ''}")
        return ", ".join(parts) or "aucun"

    def resume(self) -> str:
        """The situation in a few French sentences."""
        ctg = self.ctg
        where = f"{ctg.territory_name} ({ctg.territory_code})" if ctg.territory_name else ""
        w = self.whole.iloc[0]
        kept = self.indicators[~self.indicators["abandonnee"]]
        lines = [
            f"Évaluation {self.annee} de la CTG « {ctg.name} » ({ctg.code})"
            + (f", {where}" if where else "")
            + f", période {ctg.start_year}-{ctg.end_year}"
            + (" — données fictives de démonstration." if self.fictional else "."),
            f"Situation au {fmt_date(self.date)} : {_plural(len(kept), 'indicateur')} de suivi des "
            f"actions poursuivies : {self.counts_text(kept)}.",
        ]
        if w["n_evalues"]:
            lines.append(
                f"En moyenne, {pct(w['part_atteinte'])} de l'objectif est atteint pour "
                f"{pct(w['part_attendue'])} attendus à cette date "
                f"({_signed(w['ecart_points'])}) : la CTG est « {w['statut']} »."
            )
        f = self.fiches
        n = f["statut"].value_counts()
        states = ", ".join(
            f"{int(n[s])} {s}{'s' if n[s] > 1 and s != 'à lancer' and s != 'en cours' else ''}"
            for s in ("réalisée", "en cours", "à lancer", "abandonnée")
            if s in n
        )
        late = int((f["suivi"] == LATE).sum())
        risk = int((f["suivi"] == AT_RISK).sum())
        lines.append(
            f"{len(f)} {'fiches actions' if len(f) > 1 else 'fiche action'} : {states} ; "
            f"{_plural(late, 'action')} en retard et {risk} à surveiller."
        )
        return "\n".join(lines)

    def axes_text(self) -> str:
        """One sentence per axis."""
        lines = []
        for r in self.axes.itertuples():
            head = f"{self.axis_label(r.axe, 200)} : {status_label(r.statut)}"
            if r.n_evalues:
                head += (
                    f" ; {pct(r.part_atteinte)} de l'objectif atteint pour "
                    f"{pct(r.part_attendue)} attendus ({r.n_evalues} indicateur"
                    f"{'s' if r.n_evalues > 1 else ''} évalué{'s' if r.n_evalues > 1 else ''}"
                    f" sur {r.n_indicateurs})"
                )
            head += (
                f" ; {_plural(r.n_fiches, 'fiche')}, dont {r.n_fiches_en_retard} en retard et "
                f"{r.n_fiches_a_surveiller} à surveiller ; budget prévu "
                f"{euros(r.budget_prevu)}."
            )
            lines.append(head)
        return "\n".join(lines)

    def late_actions(self) -> pd.DataFrame:
        """The fiches late or at risk, late first, with the reasons."""
        f = self.fiches[self.fiches["suivi"].isin([LATE, AT_RISK])].copy()
        f["_o"] = f["suivi"].map({LATE: 0, AT_RISK: 1})
        return f.sort_values(["_o", "axe", "fiche"], kind="stable").drop(columns="_o")

    def late_text(self) -> str:
        late = self.late_actions()
        if late.empty:
            return f"Aucune action en retard ni à surveiller au {fmt_date(self.date)}."
        lines = [
            f"{status_label(r.suivi)} — fiche {r.fiche} « {r.intitule} » (pilote : "
            f"{r.pilote or 'non désigné'}) : {r.motif}."
            for r in late.itertuples()
        ]
        return "\n".join(lines)

    def decisions(self) -> list[str]:
        """The decisions the comité de pilotage has to take, as French sentences drawn from
        the data (late actions, indicators behind, missing values or targets, budget)."""
        out: list[str] = []
        f = self.fiches
        limit = pd.Timestamp(self.date)
        for r in f.itertuples():
            if r.statut in (DONE, DROPPED):
                continue
            end = pd.to_datetime(r.fin, errors="coerce")
            start = pd.to_datetime(r.debut, errors="coerce")
            if pd.notna(end) and end < limit:
                out.append(
                    f"Fiche {r.fiche} « {r.intitule} » : échéance du {fmt_date(r.fin)} dépassée — "
                    "décider de la prolonger (nouvelle date de fin), de la déclarer réalisée "
                    "ou de l'abandonner."
                )
            elif r.statut == NOT_STARTED and pd.notna(start) and start <= limit:
                out.append(
                    f"Fiche {r.fiche} « {r.intitule} » : début prévu le {fmt_date(r.debut)}, "
                    "action pas encore lancée — confirmer son pilote et son calendrier, ou la "
                    "reporter."
                )
        ind = self.indicators[~self.indicators["abandonnee"]]
        for r in ind[ind["statut"] == LATE].itertuples():
            where = (
                f"en {int(r.annee_realisee)}, il a reculé par rapport à sa valeur de référence "
                f"alors que {pct(r.part_attendue)} du chemin vers la cible était attendu"
                if r.part_atteinte < 0
                else f"{pct(r.part_atteinte)} de l'objectif atteint en {int(r.annee_realisee)} "
                f"pour {pct(r.part_attendue)} attendus"
            )
            out.append(
                f"Indicateur « {r.libelle} » (fiche {r.fiche}) : {where} ({r.texte}) — "
                "renforcer les moyens de l'action ou réviser la cible."
            )
        risk = ind[ind["statut"] == AT_RISK]
        if len(risk):
            names = " ; ".join(f"« {x} » (fiche {y})" for x, y in zip(risk["libelle"],
                               risk["fiche"], strict=True))  # fmt: skip
            out.append(
                f"Indicateurs à surveiller : {names} — faire le point avec les pilotes au "
                "prochain comité technique."
            )
        stale = ind[
            (ind["catalogue"] == "")
            & ind["statut"].isin([ON_TRACK, AT_RISK, LATE, NO_VALUE])
            & (ind["annee_realisee"].isna() | (ind["annee_realisee"] < self.annee))
        ]
        if len(stale):
            names = " ; ".join(f"« {x} » (fiche {y})" for x, y in zip(stale["libelle"],
                               stale["fiche"], strict=True))  # fmt: skip
            out.append(f"Faire saisir la valeur {self.annee} des indicateurs : {names}.")
        undefined = ind[ind["statut"] == NOT_EVALUABLE]
        if len(undefined):
            names = " ; ".join(
                f"« {x} » (fiche {y} ; {m})"
                for x, y, m in zip(
                    undefined["libelle"], undefined["fiche"], undefined["motif"], strict=True
                )
            )
            out.append(f"Compléter la définition des indicateurs : {names}.")
        dropped = self.budget.merge(
            f.loc[f["statut"] == DROPPED, ["fiche", "statut_depuis"]], on="fiche"
        )
        if len(dropped):
            years = pd.to_datetime(dropped["statut_depuis"], errors="coerce").dt.year
            after = dropped[dropped["annee"] > years]
            for fiche, amount in after.groupby("fiche", sort=False)["prevu"].sum().items():
                out.append(
                    f"Fiche {fiche} abandonnée : {euros(amount)} prévus après son abandon sont "
                    "à réaffecter ou à annuler."
                )
        if self.spending_known:
            b = self.budget_summary("fiche")
            low = b[(b["prevu"] > 0) & (b["taux_execution"] < 0.5)]
            for r in low.itertuples():
                out.append(
                    f"Fiche {r.fiche} : {pct(r.taux_execution)} du budget prévu jusqu'en "
                    f"{self.annee} est dépensé — vérifier l'avancement avec les financeurs."
                )
        answered = self.answers[self.answers["annee"] == self.annee]
        if len(answered):
            from ..plan.document import QUESTIONS

            for a in self.doc.axes:
                got = set(answered.loc[answered["axe"] == a.code, "question"])
                missing = [q for q in QUESTIONS if q not in got]
                if missing:
                    out.append(
                        f"Axe {a.code} : compléter l'évaluation {self.annee} (questions sans "
                        f"réponse : {', '.join(missing)})."
                    )
        return out

    def decisions_text(self) -> str:
        items = self.decisions()
        if not items:
            return "Aucune décision particulière : le plan se déroule comme prévu."
        return "\n".join(f"{i}. {d}" for i, d in enumerate(items, 1))

    def budget_text(self) -> str:
        total = float(self.budget["prevu"].sum())
        b = self.budget_summary(None).iloc[0]
        lines = [
            f"Budget prévu sur la durée de la CTG : {euros(total)}, dont "
            f"{euros(b['prevu'])} pour les années jusqu'à {self.annee} "
            f"({pct(b['prevu'] / total) if total else 'n.d.'})."
        ]
        funders = self.budget_summary("financeur")
        funders = funders.sort_values("prevu", ascending=False, kind="stable")
        lines.append(
            f"Par financeur, jusqu'en {self.annee} : "
            + " ; ".join(f"{r.financeur} {euros(r.prevu)}" for r in funders.itertuples())
            + "."
        )
        if self.spending_known:
            lines.append(
                f"Dépensé : {euros(b['depense'])}, soit {pct(b['taux_execution'])} du budget "
                f"prévu jusqu'en {self.annee}."
            )
        else:
            lines.append(
                "Les dépenses réalisées ne sont pas enregistrées dans la base du plan : le taux "
                "d'exécution ne peut pas encore être calculé (à demander aux financeurs)."
            )
        return "\n".join(lines)

    def answers_text(self) -> str:
        from ..plan.document import QUESTION_LABELS

        answered = self.answers[self.answers["annee"] == self.annee]
        if answered.empty:
            return f"Aucune réponse aux questions d'évaluation pour {self.annee}."
        lines = []
        for a in self.doc.axes:
            part = answered[answered["axe"] == a.code]
            lines.append(self.axis_label(a.code, 200))
            if part.empty:
                lines.append("  (aucune réponse)")
            for r in part.itertuples():
                lines.append(f"  {QUESTION_LABELS.get(r.question, r.question)} : {r.reponse}")
        return "\n".join(lines)

    def text(self) -> str:
        """The whole report as plain French text."""
        return "\n\n".join(
            [
                self.resume(),
                "Axes\n" + self.axes_text(),
                "Actions en retard ou à surveiller\n" + self.late_text(),
                "Budget\n" + self.budget_text(),
                "Décisions à prendre\n" + self.decisions_text(),
            ]
        )
