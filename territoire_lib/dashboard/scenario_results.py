"""The results view of a scenario panel: key figures in French, trajectory, costs by funder.

Owns the formatting of :meth:`ScenarioResult.indicateurs` figures (:func:`key_figure_text`,
:func:`euros`, the « à vérifier » badge of :func:`flagged`) and :class:`ScenarioResultsView`,
the part of :class:`~.scenario_panel.ScenarioPanel` that lays out a simulated result (coverage
sentence, trajectory and funders charts, cost table, values to check). Every figure comes
from :mod:`territoire_lib.scenario`; nothing here computes one.

Layer « applications » (12): may import every lower layer (here charts, french, scenario,
key_figures). Inside the package it imports :mod:`.ui` only.
"""

from __future__ import annotations

import pandas as pd

from .. import charts, french
from .. import scenario as sc
from ..key_figures import fr_number
from .ui import esc, slug, table_html

COST_ROWS = [
    "cout_fonctionnement",
    "financement_caf",
    "familles",
    "reste_commune",
    "autres",
    "cout_investissement",
    "aide_investissement_caf",
    "investissement_commune",
]
EURO_KEYS = set(COST_ROWS)  # the key figures written in euros: the cost table's rows
FUNDER_OF = {  # key figure → (funder, nature) in scenario.DISPOSITIFS
    "financement_caf": ("CAF", "fonctionnement"),
    "familles": ("Familles", "fonctionnement"),
    "reste_commune": ("Commune", "fonctionnement"),
    "autres": ("Autres financeurs", "fonctionnement"),
    "aide_investissement_caf": ("CAF", "investissement"),
    "investissement_commune": ("Commune", "investissement"),
}
VERIFY_BADGE = '<span class="tdb-badge tdb-averifier">⚠ à vérifier</span>'


def euros(x: float) -> str:
    return french.euros(x, 0)


def key_figure_text(key: str, value: float) -> str:
    """A key figure of ``ScenarioResult.indicateurs()`` in French."""
    if key in EURO_KEYS:
        return euros(value)
    if key.startswith("taux"):
        return fr_number(value, 1)
    return fr_number(value, 0 if float(value).is_integer() else 1)


def flagged(key: str, result: sc.ScenarioResult) -> bool:
    """Does this key figure rest on a value « à vérifier »?"""
    if key not in FUNDER_OF:
        return False
    funder, nature = FUNDER_OF[key]
    keys = {k for k, f, _, n in sc.DISPOSITIFS if f == funder and n == nature}
    return bool(keys & set(result.dispositifs_a_verifier))


class ScenarioResultsView:
    """Lays out a simulated result in a :class:`~.scenario_panel.ScenarioPanel` (a mixin: the
    panel owns the widgets ``title``, ``figure``, ``trajectory``, ``funders``, ``costs``,
    ``checks``, ``save``, ``xlsx`` and the state ``k``, ``k_base``, ``baseline``, ``france``,
    ``letter``, ``key``, ``territory`` that these methods read)."""

    # -- results --------------------------------------------------------------------------------
    def coverage_sentence(self, result: sc.ScenarioResult) -> str:
        k, base = self.k, self.k_base
        fin = result.scenario.fin
        text = (
            f"{result.nom} : en {fin}, {fr_number(k['taux_couverture_fin'], 1)} places d'accueil "
            f"pour 100 enfants de moins de 3 ans à {result.nom_perimetre} "
            f"({result.annee_base} : {fr_number(k['taux_couverture_debut'], 1)}"
        )
        if base:
            text += f" ; sans nouveau levier : {fr_number(base['taux_couverture_fin'], 1)}"
        created = k["places_creees"]
        sign = "+" if created > 0 else ""
        return text + f") ; {sign}{fr_number(created)} places nettes pour les moins de 3 ans."

    def _show(self, result: sc.ScenarioResult) -> None:
        k = self.k
        self.title.value = (
            f'<h2 lang="fr">Scénario {esc(self.letter)} — {esc(result.nom_perimetre)}</h2>'
        )
        sentence = self.coverage_sentence(result)
        self.figure.value = (
            f'<p class="tdb-phrase" lang="fr" aria-live="polite">Taux de couverture en '
            f"{result.scenario.fin} : "
            f'<span class="tdb-grand" id="couverture-{self.key}">'
            f"{fr_number(k['taux_couverture_fin'], 1)}</span> places pour 100 enfants</p>"
        )
        self.trajectory.render(
            lambda: (
                self._trajectory_chart(result),
                sentence,
                f"trajectoire-{slug(result.nom)}.png",
            ),
            "La trajectoire ne peut pas être dessinée.",
        )
        if result.couts_long()["montant"].abs().sum() < 0.5:
            self.funders.message(
                f'<p class="tdb-phrase" lang="fr">{esc(self._funders_sentence(result))}</p>'
            )
        else:
            self.funders.render(
                lambda: (
                    self._funders_chart(result),
                    self._funders_sentence(result),
                    f"financeurs-{slug(result.nom)}.png",
                ),
                "Le graphique des financeurs ne peut pas être dessiné.",
            )
        self.costs.value = self._costs_html(result)
        self.checks.value = self._checks_html(result)
        self.save.reset()
        self.xlsx.reset()

    def _source(self) -> str:
        fict = " (données fictives)" if self.territory.fictional else ""
        return f"simulation Territoire, règles Cnaf datées{fict}"

    def _trajectory_chart(self, result: sc.ScenarioResult):
        frames = [result.territoire()[["annee", "taux_couverture"]].assign(scenario=result.nom)]
        if self.baseline is not None:
            frames.append(
                self.baseline.territoire()[["annee", "taux_couverture"]].assign(
                    scenario="Sans nouveau levier"
                )
            )
        data = pd.concat(frames, ignore_index=True).rename(columns={"taux_couverture": "taux"})
        ref, label = None, None
        if self.france is not None:
            ref = self.france[0]
            label = f"France {self.france[1]} : {fr_number(ref, 1)}"
        return charts.scenario_trajectory_chart(
            data,
            f"Taux de couverture — {result.nom_perimetre}",
            self._source(),
            reference=ref,
            reference_label=label,
        )

    def _funders_chart(self, result: sc.ScenarioResult):
        data = result.couts_long()
        data = data[data["nature"] == "fonctionnement"]
        return charts.funders_chart(
            data, "Fonctionnement des places nouvelles par financeur (€ par an)", self._source()
        )

    def _funders_sentence(self, result: sc.ScenarioResult) -> str:
        k = self.k
        s = result.scenario
        if abs(k["cout_fonctionnement"]) < 0.5:
            return f"{result.nom} : aucun coût de fonctionnement nouveau (aucune place ouverte)."
        warn = " (montants en partie « à vérifier »)" if result.dispositifs_a_verifier else ""
        return (
            f"{result.nom}, {s.debut}–{s.fin} : coût de fonctionnement cumulé "
            f"{euros(k['cout_fonctionnement'])}, dont CAF {euros(k['financement_caf'])}, "
            f"familles {euros(k['familles'])}, commune {euros(k['reste_commune'])}, autres "
            f"financeurs {euros(k['autres'])}{warn}."
        )

    def _costs_html(self, result: sc.ScenarioResult) -> str:
        k = self.k
        rows = []
        for key in COST_ROWS:
            badge = VERIFY_BADGE if flagged(key, result) else ""
            rows.append([esc(sc.INDICATOR_LABELS[key]), esc(key_figure_text(key, k[key])) + badge])
        return table_html(
            rows,
            ["Sur l'horizon du scénario", "Montant"],
            table_id=f"couts-{self.key}",
            numeric={1},
            caption="Coûts et financements cumulés des leviers",
        )

    def _checks_html(self, result: sc.ScenarioResult) -> str:
        out = []
        if result.a_verifier:
            lis = "".join(f"<li>{esc(t)}</li>" for t in result.a_verifier)
            out.append(
                f'<details class="tdb-averifier-liste"><summary>{VERIFY_BADGE} '
                f"{len(result.a_verifier)} valeur(s) « à vérifier » utilisée(s) par ce "
                "résultat"
                f'</summary><ul lang="fr">{lis}</ul></details>'
            )
        if result.notes:
            lis = "".join(f"<li>{esc(t)}</li>" for t in result.notes)
            out.append(
                f"<details><summary>Remarques ({len(result.notes)})</summary>"
                f'<ul lang="fr">{lis}</ul></details>'
            )
        return "".join(out)
