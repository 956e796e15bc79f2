"""The scenario tab: two scenarios side by side, each with sliders for the main levers (places
to open by mode and year, childminders leaving, occupancy, co-financing), its coverage
trajectory and its costs by funder updated when a lever moves; the comparison; loading and
saving scenario files; the optimiser's proposal for a budget.

Every figure comes from :func:`territoire_lib.scenario.simulate` (rules of
:mod:`territoire_lib.rules`), :func:`territoire_lib.scenario.compare` and
:mod:`territoire_lib.optimise`: the sliders only write a scenario document (the same shape as
a scenario file) and lay out what the library returns. Values « à vérifier » used by a result
are listed beside it and flagged in the cost tables.

The tab is split by part: :mod:`.scenario_panel` (one scenario's levers and files),
:mod:`.scenario_results` (its results), :mod:`.optimiser_box` (the optimiser); this module
assembles them with the comparison and re-exports their public names (``key_figure_text``,
``ScenarioPanel``…), which stay importable from here.

Layer « applications » (12): may import every lower layer (here charts, rules, scenario,
key_figures, errors). Inside the package it imports the modules above, :mod:`.exports_widget`
and :mod:`.ui`.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd

from .. import charts, rules
from .. import scenario as sc
from ..errors import TerritoireError
from ..key_figures import fr_number
from .exports_widget import DownloadButton
from .optimiser_box import OptimiserBox
from .scenario_panel import (
    DASHBOARD_LEVER,
    DEPARTURES,
    HORIZON_YEARS,
    OPEN_LEVERS,
    SCENARIO_DIR,
    FrenchSlider,
    ScenarioPanel,
    default_document,
    labelled,
    saved_scenarios,
)
from .scenario_results import (
    COST_ROWS,
    EURO_KEYS,
    FUNDER_OF,
    VERIFY_BADGE,
    euros,
    flagged,
    key_figure_text,
)
from .ui import LOG, FigureBox, error_html, esc, french_message, note_html, table_html

__all__ = [
    "COST_ROWS",
    "DASHBOARD_LEVER",
    "DEPARTURES",
    "EURO_KEYS",
    "FUNDER_OF",
    "HORIZON_YEARS",
    "OPEN_LEVERS",
    "SCENARIO_DIR",
    "VERIFY_BADGE",
    "FrenchSlider",
    "OptimiserBox",
    "ScenarioPanel",
    "ScenarioTab",
    "default_document",
    "euros",
    "flagged",
    "key_figure_text",
    "labelled",
    "saved_scenarios",
]


class ScenarioTab:
    """Scenarios A and B side by side, their comparison and the optimiser."""

    spec_key = "scenarios"

    def __init__(self, territory):
        self.territory = territory
        self.params = rules.load_parameters()
        self.code: str | None = None
        self.dirty = False
        self.france: tuple[float, int] | None = None
        self.status = widgets.HTML()
        baselines: dict = {}
        self.panels = {
            letter: ScenarioPanel(
                letter, territory, self.params, on_result=self._compare, baselines=baselines
            )
            for letter in ("A", "B")
        }
        self.comparison = widgets.HTML()
        self.compare_figure = FigureBox("comparaison-trajectoires", min_width="520px")
        self.compare_xlsx = DownloadButton("Exporter la comparaison (XLSX)", self._compare_xlsx)
        self.optimiser = OptimiserBox(territory, self.panels)
        self._ready = False
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    '<h2 lang="fr">Scénarios</h2><p lang="fr">Déplacez un curseur (souris '
                    "ou flèches du clavier) : la couverture et les coûts se recalculent. "
                    "Les valeurs marquées « ⚠ à vérifier » reposent sur des règles ou "
                    "hypothèses non confirmées.</p>"
                ),
                self.status,
                widgets.HBox(
                    [p.widget for p in self.panels.values()],
                    layout=widgets.Layout(flex_flow="row wrap", width="100%"),
                ),
                widgets.HTML('<h2 lang="fr">Comparaison des deux scénarios</h2>'),
                self.compare_figure.widget,
                self.comparison,
                self.compare_xlsx.widget,
                self.optimiser.widget,
            ]
        )
        self.widget.add_class("tdb-onglet-scenarios")

    def set_territory(self, code: str, diag=None) -> None:
        self.code = code
        self.dirty = True
        if diag is not None:
            row = diag.table[diag.table["indicateur"] == "taux_couverture_global"]
            if len(row) and pd.notna(row["valeur_france"].iloc[0]):
                self.france = (
                    float(row["valeur_france"].iloc[0]),
                    int(row["annee_france"].iloc[0]),
                )
        for p in self.panels.values():
            p.france = self.france

    def render(self) -> None:
        if not self.dirty or self.code is None:
            return
        self.dirty = False
        self.status.value = ""
        self._ready = False
        try:
            for p in self.panels.values():
                p.reset(self.code)
        except Exception as exc:
            LOG.exception("scénarios")
            self.status.value = error_html(french_message(exc))
        self._ready = True
        self._compare()

    def _results(self) -> dict[str, sc.ScenarioResult]:
        out = {}
        for letter, p in self.panels.items():
            if p.result is not None:
                name = p.result.nom if p.result.nom not in out else f"{p.result.nom} ({letter})"
                out[name] = p.result
        return out

    def _compare(self) -> None:
        if not self._ready:
            return
        results = self._results()
        if len(results) < 2:
            self.comparison.value = note_html(
                "La comparaison apparaît quand les deux scénarios sont simulés."
            )
            self.compare_figure.message("")
            return
        try:
            table = sc.compare(results)
            keys = list(next(p.k for p in self.panels.values() if p.result is not None))
            rows = []
            for key, (label, values) in zip(keys, table.iterrows(), strict=True):
                cells = [esc(label)]
                for name, v in values.items():
                    badge = VERIFY_BADGE if flagged(key, results[name]) else ""
                    cells.append(esc(key_figure_text(key, v)) + badge)
                rows.append(cells)
            self.comparison.value = table_html(
                rows,
                ["Indicateur", *table.columns],
                table_id="comparaison",
                numeric=set(range(1, len(table.columns) + 1)),
            )
        except Exception as exc:
            LOG.exception("comparaison")
            self.comparison.value = error_html(french_message(exc))
        what = "La comparaison ne peut pas être dessinée."
        self.compare_figure.render(self._compare_chart, what)

    def _compare_chart(self):
        results = self._results()
        frames = [
            r.territoire()[["annee", "taux_couverture"]].assign(scenario=name)
            for name, r in results.items()
        ]
        data = pd.concat(frames, ignore_index=True).rename(columns={"taux_couverture": "taux"})
        ref, label = None, None
        if self.france is not None:
            ref, label = self.france[0], f"France {self.france[1]} : {fr_number(self.france[0], 1)}"
        fict = " (données fictives)" if self.territory.fictional else ""
        chart = charts.scenario_trajectory_chart(
            data,
            "Taux de couverture des deux scénarios",
            f"simulation Territoire, règles Cnaf datées{fict}",
            reference=ref,
            reference_label=label,
        )
        parts = []
        figures = {p.result.nom: p.k for p in self.panels.values() if p.result is not None}
        for name, r in results.items():
            k = figures.get(name) or r.indicateurs()
            parts.append(
                f"{name} : {fr_number(k['taux_couverture_fin'], 1)} en {r.scenario.fin}, reste à "
                f"charge de la commune {euros(k['reste_commune'])}"
            )
        return chart, " ; ".join(parts) + ".", "comparaison-scenarios.png"

    def _compare_xlsx(self) -> tuple[bytes, str]:
        from .exports_widget import xlsx_bytes

        results = self._results()
        if len(results) < 2:
            raise TerritoireError("La comparaison demande deux scénarios simulés.")
        table = sc.compare(results).reset_index().rename(columns={"indicateur": "Indicateur"})
        sheets = {"Comparaison": table}
        for name, r in results.items():
            sheets[name[:31]] = r.synthese()
        return xlsx_bytes(sheets, title="Comparaison de scénarios"), "comparaison-scenarios.xlsx"
