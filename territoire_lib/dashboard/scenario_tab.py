"""The scenario tab: two scenarios side by side, each with sliders for the main levers (places
to open by mode and year, childminders leaving, occupancy, co-financing), its coverage
trajectory and its costs by funder updated when a lever moves; the comparison; loading and
saving scenario files; the optimiser's proposal for a budget.

Every figure comes from :func:`territoire_lib.scenario.simulate` (rules of
:mod:`territoire_lib.rules`), :func:`territoire_lib.scenario.compare` and
:mod:`territoire_lib.optimise`: the sliders only write a scenario document (the same shape as
a scenario file) and lay out what the library returns. Values « à vérifier » used by a result
are listed beside it and flagged in the cost tables.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as widgets
import pandas as pd

from .. import charts, french, rules
from .. import scenario as sc
from ..errors import TerritoireError
from ..key_figures import fr_number
from .exports_widget import DownloadButton, file_bytes, uploaded_file
from .ui import LOG, FigureBox, error_html, esc, french_message, note_html, slug, table_html

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
EURO_KEYS = {
    "cout_fonctionnement",
    "financement_caf",
    "familles",
    "reste_commune",
    "autres",
    "cout_investissement",
    "aide_investissement_caf",
    "investissement_commune",
}
FUNDER_OF = {  # key figure → (funder, nature) in scenario.DISPOSITIFS
    "financement_caf": ("CAF", "fonctionnement"),
    "familles": ("Familles", "fonctionnement"),
    "reste_commune": ("Commune", "fonctionnement"),
    "autres": ("Autres financeurs", "fonctionnement"),
    "aide_investissement_caf": ("CAF", "investissement"),
    "investissement_commune": ("Commune", "investissement"),
}
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


class ScenarioPanel:
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
        self.occupation = FrenchSlider(
            "Taux d'occupation des crèches", 0.622, 0.30, 1.0, 0.005, pct, "tdb-hyp-occupation"
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
        for s in (self.occupation, self.cofinancing, self.commune_share):
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
            self.cofinancing.slider.value = float(cof["autres_par_place"].get("creche_psu", 0.0))
            self.commune_share.slider.value = float(cof["part_commune"])
            self._initial = {
                "occupation": self.occupation.slider.value,
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


class OptimiserBox:
    """The optimiser's proposal for a budget, added on request to scenario A or B."""

    def __init__(self, territory, panels: dict[str, ScenarioPanel]):
        self.territory = territory
        self.panels = panels
        self.proposal = None
        self._needs: dict[str, pd.Series] = {}
        style = {"description_width": "initial"}
        self.target = widgets.Dropdown(
            options=[(f"Scénario {k}", k) for k in panels],
            description="Partir du scénario :",
            style=style,
        )
        self.investment = widgets.BoundedIntText(
            value=1_000_000,
            min=0,
            max=100_000_000,
            step=50_000,
            style=style,
            description="Budget d'investissement (€) :",
            layout=widgets.Layout(width="360px"),
        )
        self.operating = widgets.BoundedIntText(
            value=150_000,
            min=0,
            max=50_000_000,
            step=10_000,
            style=style,
            description="Budget de fonctionnement (€ par an) :",
            layout=widgets.Layout(width="380px"),
        )
        self.cost = widgets.BoundedIntText(
            value=30_000,
            min=1,
            max=200_000,
            step=1_000,
            style=style,
            description="Coût d'investissement par place de crèche (€) :",
            layout=widgets.Layout(width="420px"),
        )
        self.block = widgets.Dropdown(
            options=[("1 place", 1), ("6 places", 6), ("12 places (micro-crèche)", 12)],
            value=12,
            description="Par blocs de :",
            style=style,
        )
        self.run = widgets.Button(
            description="Proposer une répartition", button_style="primary", icon="calculator"
        )
        self.apply = widgets.Button(
            description="Ajouter ces places au scénario", disabled=True, icon="plus"
        )
        self.out = widgets.HTML()
        self.run.on_click(lambda _b: self._run())
        self.apply.on_click(lambda _b: self._apply())
        self.widget = widgets.VBox(
            [
                widgets.HTML(
                    '<h2 lang="fr">Proposition de l\'optimiseur pour un budget</h2>'
                    '<p lang="fr">Où ouvrir des places de crèche PSU pour que le budget '
                    "serve d'abord les communes aux besoins les plus marqués et à la "
                    "couverture la plus faible.</p>"
                ),
                widgets.HBox(
                    [self.target, self.block], layout=widgets.Layout(flex_flow="row wrap")
                ),
                widgets.HBox(
                    [self.investment, self.operating], layout=widgets.Layout(flex_flow="row wrap")
                ),
                self.cost,
                widgets.HBox([self.run, self.apply]),
                self.out,
            ]
        )
        self.widget.add_class("tdb-optimiseur")

    def _needs_of(self, code: str) -> pd.Series:
        if code not in self._needs:
            from ..diagnostic import diagnose

            inc = diagnose(self.territory, code).inclusion
            self._needs[code] = inc.set_index("commune")["indice_besoins"]
        return self._needs[code]

    def _run(self) -> None:
        from ..optimise import candidates_from_scenario, optimise

        self.apply.disabled = True
        self.proposal = None
        self.out.value = "Calcul en cours…"
        try:
            panel = self.panels[self.target.value]
            scenario = panel.scenario()
            inv = dict(scenario.hypotheses["investissement_par_place"])
            note = ""
            if "creche_psu" not in inv:
                inv["creche_psu"] = float(self.cost.value)
                scenario = scenario.with_hypotheses(investissement_par_place=inv)
                note = (
                    f"Coût d'investissement retenu : {euros(self.cost.value)} par place "
                    "(hypothèse locale saisie ici, à vérifier)."
                )
            needs = self._needs_of(scenario.territoire)
            candidates, notes = candidates_from_scenario(
                self.territory, scenario, needs, taille_bloc=int(self.block.value)
            )
            proposal = optimise(
                candidates, float(self.investment.value), float(self.operating.value)
            )
        except Exception as exc:
            LOG.exception("optimiseur")
            self.out.value = error_html(
                french_message(
                    exc, "L'optimiseur ne peut pas proposer de répartition avec ces données."
                )
            )
            return
        self.proposal = (proposal, scenario.debut)
        lines = proposal.french().split("\n")
        head = f'<p class="tdb-phrase" id="proposition" lang="fr">{esc(lines[0])}</p>'
        rest = "".join(f"<li>{esc(x.lstrip('- '))}</li>" for x in lines[1:])
        extra = "".join(f"<li>{esc(n)}</li>" for n in notes)
        warn = f" {VERIFY_BADGE}" if notes else ""
        self.out.value = (
            head
            + (f'<ul lang="fr">{rest}</ul>' if rest else "")
            + (note_html(note) if note else "")
            + f'<details><summary>Méthode et coûts nets{warn}</summary><ul lang="fr">{extra}'
            "</ul></details>"
        )
        self.apply.disabled = proposal.total_places == 0

    def _apply(self) -> None:
        if self.proposal is None:
            return
        proposal, year = self.proposal
        panel = self.panels[self.target.value]
        try:
            panel.add_levers(
                proposal.to_levers(year),
                f"Proposition de l'optimiseur ajoutée : {proposal.total_places} places en {year}.",
            )
        except Exception as exc:
            LOG.exception("optimiseur → scénario")
            self.out.value += error_html(french_message(exc))
        self.apply.disabled = True


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
