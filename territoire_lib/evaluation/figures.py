"""The charts of a CTG evaluation (mixin of :class:`.core.Evaluation`): bullet charts of
the axes and indicators, trajectories, budget. The Altair builders live in :mod:`.charts`
(imported when a chart is drawn, so that reading an evaluation does not load Altair).

Layer « évaluation »; imports :mod:`.charts` and :mod:`.wording`.
"""

from __future__ import annotations

import pandas as pd

from .wording import _clip, pct


class EvaluationFigures:
    """Charts of :class:`~territoire_lib.evaluation.Evaluation` (a mixin: it reads the
    evaluation's tables and labels)."""

    # -- charts ---------------------------------------------------------------------------------
    def axes_chart(self):
        """Bullet chart of the axes (mean shares, :func:`rollup`)."""
        from .charts import bullet_chart

        a = self.axes
        data = pd.DataFrame(
            {
                "libelle": a["axe"].map(lambda c: self.axis_label(c, 48)),
                "part_atteinte": a["part_atteinte"],
                "part_attendue": a["part_attendue"],
                "statut": a["statut"],
                "texte": [
                    f"{pct(x)} atteint, {pct(y)} attendu" if pd.notna(x) else ""
                    for x, y in zip(a["part_atteinte"], a["part_attendue"], strict=True)
                ],
            }
        )
        return bullet_chart(
            data,
            f"Avancement des axes de la CTG en {self.annee}",
            self.source,
            tolerance=self.tolerance,
        )

    def indicators_chart(self, axe=None, fiche=None):
        """Bullet chart of the indicators (of an axis, a fiche, or all)."""
        from .charts import bullet_chart

        i = self._select(self.indicators, axe, fiche)
        data = pd.DataFrame(
            {
                "libelle": [
                    _clip(f"{f} · {x}", 56) for f, x in zip(i["fiche"], i["libelle"], strict=True)
                ],
                "part_atteinte": i["part_atteinte"],
                "part_attendue": i["part_attendue"],
                "statut": i["statut"],
                "texte": i["texte"]
                + i["abandonnee"].map(lambda d: " (fiche abandonnée)" if d else ""),
            }
        )
        where = f" — axe {axe}" if axe is not None else ""
        where = f" — fiche {fiche}" if fiche is not None else where
        return bullet_chart(
            data,
            f"Avancement des indicateurs en {self.annee}{where}",
            self.source,
            tolerance=self.tolerance,
        )

    def trajectory_data(self, axe=None, fiche=None) -> pd.DataFrame:
        from .charts import trajectory_frame

        i = self._select(self.indicators, axe, fiche)
        i = i[
            i[["valeur_reference", "annee_reference", "cible", "annee_cible"]].notna().all(axis=1)
        ]
        i = i.assign(
            indicateur=i["fiche"] + "/" + i["indicateur"],
            label=[
                _clip(f"{f} · {x}", 48) + (f" ({u})" if u else "")
                for f, x, u in zip(i["fiche"], i["libelle"], i["unite"], strict=True)
            ],
        )
        v = self.values[self.values["annee"] <= self.annee]
        v = v.assign(indicateur=v["fiche"] + "/" + v["indicateur"])
        return trajectory_frame(v, i, label="label")

    def trajectories_chart(self, axe=None, fiche=None, columns: int = 2):
        """Realised values against the expected path, one panel per indicator."""
        from .charts import trajectory_chart

        where = f" — axe {axe}" if axe is not None else ""
        where = f" — fiche {fiche}" if fiche is not None else where
        return trajectory_chart(
            self.trajectory_data(axe, fiche),
            f"Trajectoires des indicateurs jusqu'en {self.annee}{where}",
            self.source,
            columns=columns,
        )

    def budget_chart(self, by: str = "axe"):
        """Planned (up to the evaluation year) against spent, per ``by``."""
        from .charts import budget_chart

        b = self.budget_summary(by)
        if by == "axe":
            b["libelle"] = b["axe"].map(lambda c: self.axis_label(c, 44))
        else:
            b["libelle"] = b[by].astype(str)
        return budget_chart(
            b,
            f"Budget prévu jusqu'en {self.annee} et dépensé",
            self.source,
        )
