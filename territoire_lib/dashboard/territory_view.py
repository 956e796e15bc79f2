"""The first committee view: choose an EPCI, a perimeter or a commune; see its children by age
band and its childcare coverage against the département.

Results go to ``HTML`` widgets (never an ``Output`` cleared at start-up: it stalls Voilà now
and then, tech-notes pitfall 4). Any failure becomes a French message; the page keeps working.
"""

from __future__ import annotations

import html
import logging

import ipywidgets as widgets
import pandas as pd

from .. import charts
from ..dataset import Territory, load_territory
from ..key_figures import children_by_age, compare_coverage, coverage, fr_number

LOG = logging.getLogger(__name__)
PLACEHOLDER = "— choisir —"
LEVELS = {"EPCI": "epci", "Périmètre CTG": "perimetre", "Commune": "commune"}
CSS = """
<style>
.territoire-app { font-size: 16px; max-width: 1100px; }
.territoire-app h1 { font-size: 26px; margin: 4px 0; color: #1a1a1a; }
.territoire-fictif { background: #fff3cd; color: #5c4400; padding: 4px 10px; border-radius: 4px;
  display: inline-block; font-weight: bold; }
.territoire-sentence { font-size: 18px; line-height: 1.5; color: #1a1a1a; margin: 8px 0; }
.territoire-error { background: #fdecea; color: #7a1c12; padding: 8px 12px; border-radius: 4px; }
.territoire-figure { margin: 8px 0; }
.territoire-figure figcaption { font-size: 15px; color: #333; max-width: 480px; }
.widget-dropdown select, .widget-toggle-button { font-size: 16px; }
</style>
"""


def figure_html(svg: str, caption: str, fig_id: str) -> str:
    """An SVG chart with its key figure as caption and accessible label."""
    return (
        f'<figure class="territoire-figure" id="{fig_id}" role="img" '
        f'aria-label="{html.escape(caption)}">{svg}'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


class TerritoryView:
    """Territory chooser + key figures. ``widget`` is what the dashboard shows."""

    def __init__(self, territory: Territory):
        self.territory = territory
        geo = territory.geography
        self.level = widgets.ToggleButtons(
            options=list(LEVELS),
            value="EPCI",
            description="Niveau :",
            style={"description_width": "initial"},
        )
        self.choice = widgets.Dropdown(
            description="Territoire :",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="480px"),
        )
        self.sentence = widgets.HTML()
        self.ages = widgets.HTML(layout=widgets.Layout(min_width="560px"))
        self.cover = widgets.HTML(layout=widgets.Layout(min_width="560px"))
        self.status = widgets.HTML()
        banner = (
            '<span class="territoire-fictif">Données fictives de démonstration</span>'
            if territory.fictional
            else ""
        )
        dep_names = ", ".join(geo.departements["nom"])
        self.header = widgets.HTML(
            CSS + '<div class="territoire-app"><h1>Territoire — comité de pilotage</h1>'
            f"<div>{html.escape(dep_names)} {banner}</div></div>"
        )
        self.level.observe(self._on_level, names="value")
        self.choice.observe(self._on_choice, names="value")
        self._fill_choices()
        self.widget = widgets.VBox(
            [
                self.header,
                widgets.HBox([self.level]),
                self.choice,
                self.status,
                self.sentence,
                widgets.HBox([self.ages, self.cover], layout=widgets.Layout(flex_flow="row wrap")),
            ],
            layout=widgets.Layout(padding="8px"),
        )
        self.widget.add_class("territoire-app")

    # -- events -------------------------------------------------------------------------------
    def _fill_choices(self) -> None:
        level = LEVELS[self.level.value]
        options = [(PLACEHOLDER, "")] + self.territory.geography.choices(level)
        self.choice.options = options
        self.choice.value = ""

    def _on_level(self, _change: dict) -> None:
        self._fill_choices()

    def _on_choice(self, change: dict) -> None:
        code = change["new"]
        if not code:
            self.sentence.value = self.ages.value = self.cover.value = ""
            self.status.value = "<p>Choisissez un territoire pour afficher ses chiffres clés.</p>"
            return
        try:
            self.show(code)
        except Exception:  # never a traceback on the projector
            LOG.exception("affichage de %s", code)
            self.sentence.value = self.ages.value = self.cover.value = ""
            self.status.value = (
                '<p class="territoire-error">Les chiffres de ce territoire ne peuvent pas être '
                "affichés (données manquantes ou incohérentes). Les autres territoires restent "
                "disponibles.</p>"
            )

    # -- content ------------------------------------------------------------------------------
    def show(self, code: str) -> None:
        t = self.territory
        geo = t.geography
        name = geo.name_of(code)
        self.status.value = ""
        ages = children_by_age(t, code)
        year = int(ages["annee"].iloc[0])
        fict = " (données fictives)" if t.fictional else ""
        age_chart = charts.children_by_age_chart(
            ages, f"Enfants et jeunes par âge — {name}, {year}", f"Insee, recensement{fict}"
        )
        under3 = ages.loc[ages["variable"] == "pop_0_2", "effectif"].iloc[0]
        age_caption = (
            f"{name} compte {fr_number(under3)} enfants de moins de 3 ans et "
            f"{fr_number(ages['effectif'].sum())} enfants et jeunes de 0 à 17 ans ({year})."
        )
        self.ages.value = figure_html(charts.to_svg(age_chart), age_caption, "figure-ages")

        comp = compare_coverage(t, code)
        series = [coverage(t, code).assign(serie=name)]
        if geo.level_of(code) != "departement":
            dep_name = geo.name_of(comp.departement)
            series.append(coverage(t, comp.departement).assign(serie=dep_name))
        france = t.reference("taux_couverture_publie", "france", "FR")
        if len(france):
            series.append(
                pd.DataFrame({"annee": france.index, "taux": france.values, "serie": "France"})
            )
        data = pd.concat(series, ignore_index=True)[["annee", "taux", "serie"]]
        cov_chart = charts.coverage_chart(
            data, f"Taux de couverture petite enfance — {name}", f"Cnaf, Onape{fict}"
        )
        caption = comp.sentence(name)
        short = (
            f"Taux de couverture {comp.annee} : {fr_number(comp.taux, 1)} places pour 100 enfants "
            f"de moins de 3 ans (département : {fr_number(comp.taux_departement, 1)} ; France : "
            f"{fr_number(comp.taux_france, 1)})."
        )
        self.cover.value = figure_html(charts.to_svg(cov_chart), short, "figure-couverture")
        self.sentence.value = (
            f'<p class="territoire-sentence" id="chiffre-cle">{html.escape(caption)}</p>'
        )


def build_app(source: str = "demo") -> widgets.Widget:
    """The dashboard's single app object; a loading failure becomes a French message."""
    try:
        territory = load_territory(source)
    except Exception as exc:  # shown to officials: French, no traceback
        LOG.exception("chargement")
        message = str(exc) if exc.__class__.__module__.startswith("territoire") else ""
        return widgets.HTML(
            CSS + '<p class="territoire-error">Les données du territoire ne peuvent pas être '
            f"chargées. {html.escape(message)}</p>"
        )
    return TerritoryView(territory).widget
