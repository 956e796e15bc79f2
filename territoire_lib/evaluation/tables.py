"""The display tables of a CTG evaluation (mixin of :class:`.core.Evaluation`): French
headers, formatted values, for the report, the notebook and the dashboard.

Layer « évaluation »; imports :mod:`.wording`.
"""

from __future__ import annotations

import pandas as pd

from .wording import euros, fmt_date, fmt_value, pct, status_label


class EvaluationTables:
    """Display tables of :class:`~territoire_lib.evaluation.Evaluation` (a mixin: it reads
    the evaluation's tables and labels)."""

    # -- display tables (French headers, formatted) --------------------------------------------
    def axes_table(self) -> pd.DataFrame:
        a = self.axes
        return pd.DataFrame(
            {
                "Axe": a["axe"].map(lambda c: self.axis_label(c, 70)),
                "Statut": a["statut"].map(status_label),
                "Part atteinte": a["part_atteinte"].map(pct),
                "Part attendue": a["part_attendue"].map(pct),
                "Indicateurs évalués": [
                    f"{e} sur {n}" for e, n in zip(a["n_evalues"], a["n_indicateurs"], strict=True)
                ],
                "Fiches en retard": a["n_fiches_en_retard"],
                "Fiches à surveiller": a["n_fiches_a_surveiller"],
                "Budget prévu": a["budget_prevu"].map(euros),
            }
        )

    def indicator_table(self, axe=None, fiche=None) -> pd.DataFrame:
        i = self._select(self.indicators, axe, fiche)

        def with_year(v, y):
            return fmt_value(v) + ("" if pd.isna(y) else f" ({int(y)})") if pd.notna(v) else "—"

        return pd.DataFrame(
            {
                "Fiche": i["fiche"],
                "Indicateur": i["libelle"],
                "Unité": i["unite"],
                "Référence": [
                    with_year(v, y)
                    for v, y in zip(i["valeur_reference"], i["annee_reference"], strict=True)
                ],
                "Réalisé": [
                    with_year(v, y)
                    for v, y in zip(i["valeur_realisee"], i["annee_realisee"], strict=True)
                ],
                "Cible": [
                    with_year(v, y) for v, y in zip(i["cible"], i["annee_cible"], strict=True)
                ],
                "Part atteinte": i["part_atteinte"].map(pct),
                "Part attendue": i["part_attendue"].map(pct),
                "Statut": i["statut"].map(status_label)
                + i["motif"].map(lambda m: f" ({m})" if m else "")
                + i["abandonnee"].map(lambda d: " — fiche abandonnée" if d else ""),
            }
        ).reset_index(drop=True)

    def fiche_table(self, axe=None) -> pd.DataFrame:
        f = self._select(self.fiches, axe)
        return pd.DataFrame(
            {
                "Fiche": f["fiche"],
                "Intitulé": f["intitule"],
                "Pilote": f["pilote"],
                "Statut de l'action": f["statut"],
                "Échéance": f["fin"].map(fmt_date),
                "Suivi": f["suivi"].map(status_label),
                "Motif": f["motif"],
                "Budget prévu": f["budget_prevu"].map(euros),
            }
        ).reset_index(drop=True)

    def late_table(self) -> pd.DataFrame:
        f = self.late_actions()
        return pd.DataFrame(
            {
                "Fiche": f["fiche"],
                "Intitulé": f["intitule"],
                "Pilote": f["pilote"],
                "Suivi": f["suivi"].map(status_label),
                "Motif": f["motif"],
            }
        ).reset_index(drop=True)

    def budget_table(self, by: str = "financeur") -> pd.DataFrame:
        labels = {"axe": "Axe", "fiche": "Fiche", "financeur": "Financeur", "annee": "Année"}
        b = self.budget_summary(by)
        total = self.budget.groupby(by)["prevu"].sum()
        out = pd.DataFrame(
            {
                labels.get(by, by): b[by],
                "Prévu sur la CTG": b[by].map(total).map(euros),
                f"Prévu jusqu'en {self.annee}": b["prevu"].map(euros),
                "Dépensé": b["depense"].map(lambda v: euros(v) if pd.notna(v) else "non saisi"),
                "Taux d'exécution": b["taux_execution"].map(pct),
            }
        )
        return out.reset_index(drop=True)

    def history_table(self, fiche) -> pd.DataFrame:
        h = self.history[self.history["fiche"] == str(fiche)].sort_values("date", kind="stable")
        return pd.DataFrame(
            {
                "Date": h["date"].map(fmt_date),
                "Statut": [
                    f"{a} → {b}" if a else b
                    for a, b in zip(h["ancien_statut"], h["nouveau_statut"], strict=True)
                ],
                "Par": h["par"],
                "Commentaire": h["commentaire"],
            }
        ).reset_index(drop=True)

    def copil_table(self) -> pd.DataFrame:
        c = self.copil
        return pd.DataFrame(
            {"Date": c["date"].map(fmt_date), "Décision": c["decision"], "Auteur": c["auteur"]}
        )
