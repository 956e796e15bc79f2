"""One scenario of the scenario tab (A or B): its levers and hypotheses as sliders, its file.

Owns :class:`ScenarioPanel` (the sliders for places to open by mode and year, childminders
leaving, occupancy, co-financing and the commune's share; loading and saving scenario files;
simulating on every change), :class:`FrenchSlider`, :func:`labelled`, the default empty
scenario (:func:`default_document`) and the list of saved scenarios. The sliders only write a
scenario document; the result's layout is :class:`~.scenario_results.ScenarioResultsView`.

Layer « applications » (12): may import every lower layer (here errors, rules, scenario,
key_figures). Inside the package it imports :mod:`.exports_widget`, :mod:`.scenario_results`
and :mod:`.ui`.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from .. import rules
from .. import scenario as sc
from ..errors import TerritoireError
from ..key_figures import fr_number
from .exports_widget import DownloadButton, file_bytes, uploaded_file
from .scenario_results import ScenarioResultsView, euros
from .ui import LOG, FigureBox, error_html, esc, french_message, note_html, slug

HORIZON_YEARS = 5
SCENARIO_DIR = sc.REPO_DIR / "data" / "scenarios"
DASHBOARD_LEVER = "Levier du tableau de bord"
OPEN_LEVERS = (
    # lever, slider maximum, step
    ("creche_psu", 120, 1),
    ("micro_creche_paje", 60, 1),
    ("mam", 48, 1),
    ("alsh", 200, 5),
)
DEPARTURES = ("assistantes_maternelles", 40, 1)


def saved_scenarios() -> list[tuple[str, str]]:
    """(label, path) of the scenario files of ``data/scenarios``."""
    if not SCENARIO_DIR.is_dir():
        return []
    return [(p.stem.replace("_", " "), str(p)) for p in sorted(SCENARIO_DIR.glob("*.y*ml"))]


def default_document(territory, code: str, name: str) -> dict[str, Any]:
    """A scenario without levers on ``code``: base year = latest year of published places,
    horizon = the five following years (a CTG's length)."""
    years = territory.years("places_total")
    if not years:
        raise TerritoireError(
            "Aucune donnée de places d'accueil n'est chargée : les scénarios ne peuvent pas "
            "être simulés."
        )
    base = int(max(years))
    return {
        "nom": name,
        "territoire": code,
        "annee_base": base,
        "horizon": [base + 1, base + HORIZON_YEARS],
        "leviers": [],
    }


def labelled(label: str, control: widgets.Widget, css: str) -> widgets.VBox:
    """A control under its label (long French labels would squeeze a slider's track)."""
    box = widgets.VBox([widgets.HTML(f'<div class="tdb-etiquette">{esc(label)}</div>'), control])
    box.add_class(css)
    return box


class FrenchSlider:
    """A slider whose readout is written in French (« 62,2 % », « 1 500 € »)."""

    def __init__(
        self,
        description: str,
        value: float,
        low: float,
        high: float,
        step: float,
        fmt: Callable[[float], str],
        css: str,
    ):
        self.fmt = fmt
        self.slider = widgets.FloatSlider(
            value=value,
            min=low,
            max=high,
            step=step,
            readout=False,
            continuous_update=False,
            layout=widgets.Layout(width="380px"),
        )
        self.readout = widgets.HTML(layout=widgets.Layout(min_width="110px"))
        self.widget = labelled(description, widgets.HBox([self.slider, self.readout]), css)
        self.slider.observe(lambda _c: self._show(), names="value")
        self._show()

    def _show(self) -> None:
        self.readout.value = f'<b class="tdb-lecture">{esc(self.fmt(self.slider.value))}</b>'


class ScenarioPanel(ScenarioResultsView):
    """One scenario (A or B): levers, hypotheses, results, load / save."""

    def __init__(
        self,
        letter: str,
        territory,
        params: rules.ParameterSet,
        on_result: Callable[[], None] | None = None,
        baselines: dict | None = None,
    ):
        self.letter = letter
        self.key = letter.lower()
        self.territory = territory
        self.params = params
        self.on_result = on_result
        self.base: dict[str, Any] = {}
        self.result: sc.ScenarioResult | None = None
        self.k: dict[str, float] = {}  # key figures of ``result`` (computed once per update)
        self.k_base: dict[str, float] = {}
        self.baseline: sc.ScenarioResult | None = None
        self.baselines = {} if baselines is None else baselines  # shared by both panels
        self._initial: dict[str, float] = {}
        self._quiet = True
        self.france: tuple[float, int] | None = None
        geo = territory.geography
        self.geo = geo
        style = {"description_width": "initial"}

        self.title = widgets.HTML()
        self.name = widgets.Text(
            description="Nom :", style=style, layout=widgets.Layout(width="460px")
        )
        self.status = widgets.HTML()
        self.status.add_class("tdb-etat")
        # load
        self.saved = widgets.Dropdown(
            options=[("— scénario vide sur le territoire choisi —", "")] + saved_scenarios(),
            description="Scénario enregistré :",
            style=style,
            layout=widgets.Layout(width="460px"),
        )
        self.load_button = widgets.Button(
            description="Charger",
            icon="folder-open",
            tooltip="Charger le scénario choisi dans la liste",
        )
        self.upload = widgets.FileUpload(
            accept=".yaml,.yml", multiple=False, description="Ouvrir un fichier…"
        )
        self.upload.layout.width = "auto"
        self.load_button.on_click(lambda _b: self._load_saved())
        self.upload.observe(lambda _c: self._load_upload(), names="value")
        # levers
        self.commune = widgets.Dropdown(
            description="Commune d'implantation :",
            style=style,
            layout=widgets.Layout(width="460px"),
        )
        self.commune.add_class("tdb-commune")
        self.sliders: dict[str, widgets.IntSlider] = {}
        self.years: dict[str, widgets.Dropdown] = {}
        rows = []
        for lever, high, step in (*OPEN_LEVERS, DEPARTURES):
            label = sc.LEVERS[lever].label
            text = (
                "Assistantes maternelles qui cessent leur activité"
                if lever == DEPARTURES[0]
                else f"Places à ouvrir — {label}"
            )
            slider = widgets.IntSlider(
                value=0,
                min=0,
                max=high,
                step=step,
                continuous_update=False,
                layout=widgets.Layout(width="380px"),
            )
            year = widgets.Dropdown(
                description="en", style=style, layout=widgets.Layout(width="130px")
            )
            box = labelled(text, widgets.HBox([slider, year]), f"tdb-levier-{lever}")
            self.sliders[lever], self.years[lever] = slider, year
            rows.append(box)
        pct = lambda v: f"{fr_number(100 * v, 1)} %"  # noqa: E731
        defaults = sc.DEFAULT_HYPOTHESES
        self.occupation = FrenchSlider(
            "Taux d'occupation des crèches (heures réalisées / heures ouvertes)",
            defaults["taux_occupation"],
            0.30,
            1.0,
            0.005,
            pct,
            "tdb-hyp-occupation",
        )
        self.billing = FrenchSlider(
            "Taux de facturation des crèches (heures facturées / heures réalisées) : la PSU est "
            "versée sur les heures facturées ; prix plafond maximal jusqu'à 107 %, dégressif "
            "jusqu'à 120 %",
            defaults["taux_facturation"],
            0.80,
            1.40,
            0.005,
            pct,
            "tdb-hyp-facturation",
        )
        self.cofinancing = FrenchSlider(
            "Cofinancements (€ par place de crèche et par an)",
            0,
            0,
            5000,
            50,
            euros,
            "tdb-hyp-cofinancement",
        )
        self.commune_share = FrenchSlider(
            "Part du reste à charge payée par la commune",
            1.0,
            0,
            1.0,
            0.05,
            pct,
            "tdb-hyp-part-commune",
        )
        for w in (*self.sliders.values(), *self.years.values(), self.commune):
            w.observe(self._changed, names="value")
        for s in (self.occupation, self.billing, self.cofinancing, self.commune_share):
            s.slider.observe(self._changed, names="value")
        self.name.observe(self._changed, names="value")
        # results
        self.figure = widgets.HTML()
        self.figure.add_class("tdb-chiffre-scenario")
        self.trajectory = FigureBox(f"trajectoire-{self.key}", min_width="420px")
        self.funders = FigureBox(f"financeurs-{self.key}", min_width="420px")
        self.costs = widgets.HTML()
        self.checks = widgets.HTML()
        self.save = DownloadButton(
            "Enregistrer le scénario (YAML)",
            self._yaml,
            tooltip="Fichier de scénario à recharger plus tard",
        )
        self.xlsx = DownloadButton(
            "Exporter les résultats (XLSX)",
            self._xlsx,
            tooltip="Capacités, coûts par financeur, SPPE, à vérifier",
        )
        levers_box = widgets.VBox(
            [
                widgets.HTML("<h3>Leviers</h3>"),
                self.commune,
                *rows,
                widgets.HTML("<h3>Hypothèses</h3>"),
                self.occupation.widget,
                self.billing.widget,
                self.cofinancing.widget,
                self.commune_share.widget,
            ]
        )
        self.file_levers = widgets.HTML()
        self.widget = widgets.VBox(
            [
                self.title,
                self.name,
                widgets.HBox([self.saved, self.load_button]),
                widgets.HBox([self.upload]),
                self.file_levers,
                levers_box,
                self.status,
                self.figure,
                self.trajectory.widget,
                self.funders.widget,
                self.costs,
                self.checks,
                self.save.widget,
                self.xlsx.widget,
            ],
            layout=widgets.Layout(width="50%", min_width="560px", padding="4px"),
        )
        self.widget.add_class("tdb-panneau")
        self.widget.add_class(f"tdb-scenario-{self.key}")

    # -- state ----------------------------------------------------------------------------------
    def reset(self, code: str) -> None:
        """A new empty scenario on ``code`` (the territory chosen at the top of the page)."""
        doc = default_document(self.territory, code, f"Scénario {self.letter}")
        self._set_base(doc, note="")

    def _set_base(self, doc: dict[str, Any], note: str) -> None:
        scenario = sc.Scenario.from_dict(doc)  # validated (French DataError)
        self.base = scenario.to_dict()
        self._quiet = True
        try:
            self.name.value = scenario.nom
            members = self.geo.members(scenario.territoire)
            c = self.geo.communes.set_index("code").loc[members]
            options = sorted(zip(c["nom"], c.index, strict=True))
            self.commune.options = options
            self.commune.value = str(c["population"].astype(float).idxmax())
            years = scenario.years
            for lever in self.sliders:
                self.sliders[lever].value = 0
                self.years[lever].options = [(str(y), y) for y in years]
                self.years[lever].value = years[0]
            hyp, cof = scenario.hypotheses, scenario.cofinancements
            self.occupation.slider.value = float(hyp["taux_occupation"])
            self.billing.slider.value = float(hyp["taux_facturation"])
            self.cofinancing.slider.value = float(cof["autres_par_place"].get("creche_psu", 0.0))
            self.commune_share.slider.value = float(cof["part_commune"])
            self._initial = {
                "occupation": self.occupation.slider.value,
                "billing": self.billing.slider.value,
                "cofinancing": self.cofinancing.slider.value,
                "share": self.commune_share.slider.value,
            }
        finally:
            self._quiet = False
        self.file_levers.value = self._file_levers_html(scenario, note)
        self.update()

    def _file_levers_html(self, scenario: sc.Scenario, note: str) -> str:
        where = self.geo.name_of(scenario.territoire)
        head = (
            f'<p lang="fr">Territoire du scénario : <b>{esc(where)}</b> ; année de base '
            f"{scenario.annee_base}, horizon {scenario.debut}–{scenario.fin}.</p>"
        )
        if note:
            head = note_html(note) + head
        lev = scenario.leviers
        if lev.empty:
            return head
        names = self.geo.communes.set_index("code")["nom"]
        items = []
        for r in lev.to_dict("records"):
            closing = r["action"] == "fermer"
            what = sc.LEVERS[r["levier"]].label
            if pd.notna(r["places"]):
                verb = "fermer" if closing else "ouvrir"
                count = f"{fr_number(float(r['places']))} places, "
            elif pd.notna(r["assistantes"]):
                verb = "départ de" if closing else "arrivée de"
                count = f"{fr_number(float(r['assistantes']))} assistantes maternelles, "
            else:
                verb, count = ("fermer" if closing else "ouvrir"), ""
            label = f" — {r['nom']}" if isinstance(r["nom"], str) and r["nom"] else ""
            items.append(
                f"<li>{esc(what)} : {esc(verb)} {esc(count)}"
                f"{esc(names.get(r['commune'], r['commune']))}"
                f", {int(r['annee'])}{esc(label)}</li>"
            )
        return head + (
            f"<details open><summary>Leviers déjà inscrits dans le scénario ({len(items)})"
            f'</summary><ul lang="fr">{"".join(items)}</ul></details>'
        )

    def document(self) -> dict[str, Any]:
        """The scenario document: the loaded one plus the sliders' levers and hypotheses."""
        doc = copy.deepcopy(self.base)
        doc["nom"] = self.name.value.strip() or f"Scénario {self.letter}"
        levers = list(doc.get("leviers") or [])
        commune = self.commune.value
        for lever, _high, _step in OPEN_LEVERS:
            n = int(self.sliders[lever].value)
            if n > 0:
                levers.append(
                    {
                        "levier": lever,
                        "commune": commune,
                        "annee": int(self.years[lever].value),
                        "places": n,
                        "nom": DASHBOARD_LEVER,
                    }
                )
        departures = int(self.sliders[DEPARTURES[0]].value)
        if departures > 0:
            levers.append(
                {
                    "levier": DEPARTURES[0],
                    "commune": commune,
                    "action": "fermer",
                    "annee": int(self.years[DEPARTURES[0]].value),
                    "assistantes": departures,
                }
            )
        doc["leviers"] = levers
        if self.occupation.slider.value != self._initial.get("occupation"):
            doc.setdefault("hypotheses", {})["taux_occupation"] = round(
                float(self.occupation.slider.value), 4
            )
        if self.billing.slider.value != self._initial.get("billing"):
            doc.setdefault("hypotheses", {})["taux_facturation"] = round(
                float(self.billing.slider.value), 4
            )
        cof = doc.setdefault("cofinancements", {})
        if self.cofinancing.slider.value != self._initial.get("cofinancing"):
            others = dict(cof.get("autres_par_place") or {})
            others["creche_psu"] = float(self.cofinancing.slider.value)
            cof["autres_par_place"] = others
        if self.commune_share.slider.value != self._initial.get("share"):
            cof["part_commune"] = round(float(self.commune_share.slider.value), 4)
        if not cof:
            doc.pop("cofinancements")
        return doc

    def scenario(self) -> sc.Scenario:
        return sc.Scenario.from_dict(self.document(), fichier=f"scénario {self.letter}")

    def add_levers(self, levers: list[dict[str, Any]], note: str) -> None:
        """Add levers (e.g. the optimiser's proposal): the sliders' levers and hypotheses become
        part of the scenario, the sliders go back to zero."""
        doc = self.document()
        doc["leviers"] = [*doc["leviers"], *levers]
        self._set_base(doc, note)

    # -- events ---------------------------------------------------------------------------------
    def _changed(self, _change=None) -> None:
        if not self._quiet:
            self.update()

    def update(self) -> None:
        """Simulate the current scenario and redraw its results (French message on failure)."""
        if self._quiet or not self.base:
            return
        self.status.value = "Calcul en cours…"
        try:
            scenario = self.scenario()
            result = sc.simulate(self.territory, scenario, params=self.params)
            self.baseline = self._baseline_for(scenario)
        except Exception as exc:
            LOG.exception("scénario %s", self.letter)
            self.result = None
            self.status.value = error_html(
                french_message(
                    exc,
                    "Ce scénario ne peut pas être simulé avec ces leviers. "
                    "Modifiez un levier ; l'autre scénario reste utilisable.",
                )
            )
            if self.on_result:
                self.on_result()
            return
        self.result = result
        self.k = result.indicateurs()
        self.k_base = self.baseline.indicateurs()
        self.status.value = ""
        self._show(result)
        if self.on_result:
            self.on_result()

    def _baseline_for(self, scenario: sc.Scenario) -> sc.ScenarioResult:
        """The same territory, horizon and demography without any lever (cached, shared by
        the two panels)."""
        hyp = scenario.hypotheses
        key = (
            scenario.territoire,
            scenario.annee_base,
            scenario.debut,
            scenario.fin,
            repr(hyp["croissance_naissances"]),
            hyp["places_par_assistante"],
        )
        if key not in self.baselines:
            doc = scenario.to_dict()
            doc["leviers"] = []
            doc["nom"] = "Sans nouveau levier"
            if len(self.baselines) > 8:
                self.baselines.clear()
            self.baselines[key] = sc.simulate(
                self.territory, sc.Scenario.from_dict(doc), params=self.params
            )
        return self.baselines[key]

    # -- files ----------------------------------------------------------------------------------
    def _load_saved(self) -> None:
        path = self.saved.value
        try:
            if not path:
                self.reset(self.base.get("territoire") or self._fallback_code())
                return
            scenario = sc.load_scenario(path)
            self._set_base(scenario.to_dict(), f"Scénario chargé : « {Path(path).name} ».")
        except Exception as exc:
            LOG.exception("chargement de scénario")
            self.status.value = error_html(
                french_message(exc, "Ce scénario ne peut pas être chargé.")
            )

    def _load_upload(self) -> None:
        if not self.upload.value:
            return
        try:
            name, content = uploaded_file(self.upload)
            with tempfile.TemporaryDirectory(prefix="territoire-") as tmp:
                path = Path(tmp) / Path(name).name
                path.write_bytes(content)
                scenario = sc.load_scenario(path)
            self._set_base(scenario.to_dict(), f"Fichier ouvert : « {name} ».")
        except Exception as exc:
            LOG.exception("ouverture de scénario")
            self.status.value = error_html(
                french_message(exc, "Ce fichier ne peut pas être ouvert comme scénario.")
            )
        finally:
            self.upload.value = ()

    def _fallback_code(self) -> str:
        return str(self.geo.departements["code"].iloc[0])

    def _yaml(self) -> tuple[bytes, str]:
        scenario = self.scenario()
        data = file_bytes(lambda p: sc.save_scenario(scenario, p), ".yaml")
        return data, f"{slug(scenario.nom)}.yaml"

    def _xlsx(self) -> tuple[bytes, str]:
        if self.result is None:
            raise TerritoireError("Aucun résultat à exporter : corrigez d'abord le scénario.")
        result = self.result
        return file_bytes(lambda p: result.to_xlsx(p), ".xlsx"), f"{slug(result.nom)}.xlsx"
