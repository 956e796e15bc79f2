"""The committee dashboard's widgets, in process (no browser): what they show is the library's
value, link parameters, French messages instead of tracebacks, exports."""

from __future__ import annotations

import base64
import datetime as dt
import html
import re

import pytest

from territoire_lib import scenario as sc
from territoire_lib.dashboard import app as app_module
from territoire_lib.dashboard import create_app
from territoire_lib.dashboard.exports_widget import DownloadButton, data_link, size_text
from territoire_lib.dashboard.scenario_tab import key_figure_text
from territoire_lib.dashboard.selection import query_parameters, request_query, share_link
from territoire_lib.dashboard.ui import FigureBox, slug
from territoire_lib.errors import TerritoireError
from territoire_lib.indicators import indicator_table, load_catalogue_full
from territoire_lib.indicators.table import format_value
from territoire_lib.key_figures import fr_number

EPCI = "296000011"
NNBSP = "\u202f"


@pytest.fixture(scope="module")
def app():
    return create_app("demo")


def text_of(fragment: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", fragment))


def card_value(cards_html: str, ident: str) -> str:
    m = re.search(rf'id="carte-{ident}".*?class="tdb-valeur">(.*?)</div>', cards_html, re.S)
    assert m, ident
    return html.unescape(m.group(1))


# -- helpers worked out by hand -------------------------------------------------------------------
def test_small_helpers():
    assert slug("CA de Valmont-sur-Loue") == "ca-de-valmont-sur-loue"
    assert slug("Saint-Aubin-lès-Valmont") == "saint-aubin-les-valmont"
    assert size_text(500) == "500 octets"
    assert size_text(2048) == "2 Ko"  # 2048 / 1024 = 2
    assert size_text(3 * 1024 * 1024 // 2) == "1,5 Mo"  # 1 572 864 octets = 1,5 Mio
    assert key_figure_text("financement_caf", 1234.4) == f"1{NNBSP}234\u00a0€"
    assert key_figure_text("taux_couverture_fin", 61.94) == "61,9"
    assert key_figure_text("places_creees", 15.0) == "15"


def test_query_parameters_and_request_query(monkeypatch):
    assert query_parameters("territoire=96001&onglet=scenarios") == {
        "territoire": "96001",
        "onglet": "scenarios",
    }
    assert query_parameters("territoire=+296000011+&x=") == {"territoire": "296000011"}
    assert query_parameters(None) == {}
    monkeypatch.delenv("VOILA_PREHEAT", raising=False)
    monkeypatch.setenv("QUERY_STRING", "territoire=96")
    assert request_query() == "territoire=96"


def test_share_link(monkeypatch):
    for var in ("SERVER_NAME", "SERVER_PORT", "SCRIPT_NAME", "VOILA_REQUEST_URL"):
        monkeypatch.delenv(var, raising=False)
    assert share_link("96001") == "?territoire=96001"
    monkeypatch.setenv("SERVER_NAME", "192.168.1.20")
    monkeypatch.setenv("SERVER_PORT", "8866")
    monkeypatch.setenv("SCRIPT_NAME", "/")
    assert (
        share_link("CTG-VALMONT-COEUR") == "http://192.168.1.20:8866/?territoire=CTG-VALMONT-COEUR"
    )


def test_data_link_carries_the_file():
    link = data_link(b"abc", "essai.xlsx")
    assert 'download="essai.xlsx"' in link
    # base64 of b"abc" is YWJj
    assert "base64,YWJj" in link and "(3 octets)" in link


# -- territory and themes -------------------------------------------------------------------------
def test_default_view_is_the_departement(app):
    assert app.selector.code == "96"
    assert "Territoire affiché" in app.status.value
    assert "?territoire=96" in app.link.value


def test_epci_cards_are_the_library_values(app, monkeypatch):
    territory = app.territory
    app.selector.select(EPCI)
    assert app.selector.group.value == EPCI
    assert app.diag.code == EPCI
    app.tabs.selected_index = app.keys.index("petite-enfance")
    tab = app.themes[0]
    table = indicator_table(territory, EPCI)
    cat = load_catalogue_full()
    rows = table[(table["theme"] == "petite_enfance") & table["disponible"] & ~table["masque"]]
    rows = rows[rows["type"] != "categorie"]
    assert len(rows) >= 5
    for r in rows.to_dict("records"):
        assert card_value(tab.cards.value, r["indicateur"]) == format_value(
            cat.indicators[r["indicateur"]], r["valeur"]
        )
    # the map and the series carry their key figure in a sentence
    assert "<svg" in tab.map.html.value and "<figcaption>" in tab.map.html.value
    cov = rows.set_index("indicateur").loc["taux_couverture_global"]
    caption = text_of(tab.series.html.value.split("<figcaption>")[1])
    assert format_value(cat.indicators["taux_couverture_global"], cov["valeur"]) in caption


def test_cascade_lists(app):
    geo = app.territory.geography
    app.selector.select("CTG-VALMONT-COEUR")
    members = geo.perimeters["CTG-VALMONT-COEUR"].communes
    communes = [v for _, v in app.selector.commune.options if v]
    assert sorted(communes) == sorted(members)
    app.selector.select("96003")
    assert app.selector.group.value == EPCI  # a commune shows its EPCI in the middle list
    assert app.selector.code == "96003"
    app.selector.commune.value = ""
    assert app.selector.code == EPCI


def test_link_parameters_and_bad_codes():
    a = create_app("demo", territoire="CTG-VALMONT-COEUR", onglet="scenarios")
    assert a.selector.code == "CTG-VALMONT-COEUR"
    assert a.tabs.selected_index == a.keys.index("scenarios")
    assert "couverture-a" in a.scenarios.panels["A"].figure.value
    a.apply(territoire="1234", onglet="nulle-part")
    notice = text_of(a.notice.value)
    assert "« 1234 »" in notice and "Territoire inconnu" in notice
    assert "« nulle-part »" in notice
    assert a.selector.code == "CTG-VALMONT-COEUR"  # the current territory stays


def test_failure_becomes_french_message(app, monkeypatch):
    def boom(*_a, **_k):
        raise ValueError("internal detail")

    monkeypatch.setattr(app_module, "diagnose", boom)
    app.selector.select("96005")
    assert "ne peuvent pas être affichés" in app.status.value
    assert "internal detail" not in app.status.value
    assert "Traceback" not in app.status.value


def test_loading_failure_is_french():
    w = create_app("/nulle/part/donnees")
    assert "ne peuvent pas être chargées" in w.value
    assert "Traceback" not in w.value


def test_figure_and_download_failures_are_french():
    box = FigureBox("essai")

    def broken():
        raise KeyError("colonne")

    box.render(broken, "Le graphique ne peut pas être dessiné.")
    assert "Le graphique ne peut pas être dessiné." in box.html.value
    assert "KeyError" not in box.html.value

    def refused():
        raise TerritoireError("Aucun graphique à exporter.")

    button = DownloadButton("Exporter", refused)
    button._click()
    assert "Aucun graphique à exporter." in button.link.value


# -- scenarios ------------------------------------------------------------------------------------
def scenario_coverage(territory, code: str, levers: list[dict]) -> float:
    base = max(territory.years("places_total"))
    doc = {
        "nom": "x",
        "territoire": code,
        "annee_base": base,
        "horizon": [base + 1, base + 5],
        "leviers": levers,
    }
    return sc.simulate(territory, sc.Scenario.from_dict(doc)).indicateurs()["taux_couverture_fin"]


def test_slider_figure_is_the_library_value():
    a = create_app("demo", territoire=EPCI, onglet="scenarios")
    territory = a.territory
    panel = a.scenarios.panels["A"]
    figure = re.compile(r'id="couverture-a">([^<]+)<')
    start = scenario_coverage(territory, EPCI, [])
    assert figure.search(panel.figure.value).group(1) == fr_number(start, 1)
    # the default commune is the territory's most populated one (Valmont-sur-Loue)
    assert panel.commune.value == "96001"
    panel.years["creche_psu"].value = 2026
    panel.sliders["creche_psu"].value = 30
    lever = {"levier": "creche_psu", "commune": "96001", "annee": 2026, "places": 30}
    expected = scenario_coverage(territory, EPCI, [lever])
    assert figure.search(panel.figure.value).group(1) == fr_number(expected, 1)
    assert fr_number(expected, 1) != fr_number(start, 1)
    # departures of childminders close places: coverage goes down
    panel.sliders["assistantes_maternelles"].value = 4
    closing = {
        "levier": "assistantes_maternelles",
        "commune": "96001",
        "annee": 2024,
        "action": "fermer",
        "assistantes": 4,
    }
    lower = scenario_coverage(territory, EPCI, [lever, closing])
    assert lower < expected
    assert figure.search(panel.figure.value).group(1) == fr_number(lower, 1)
    # the other scenario did not move; the comparison shows both
    other = a.scenarios.panels["B"]
    assert re.search(r'id="couverture-b">([^<]+)<', other.figure.value).group(1) == fr_number(
        start, 1
    )
    assert "Scénario A" in a.scenarios.comparison.value
    # hypotheses: occupancy and co-financing reach the scenario document
    panel.occupation.slider.value = 0.75
    panel.cofinancing.slider.value = 500
    doc = panel.document()
    assert doc["hypotheses"]["taux_occupation"] == 0.75
    assert doc["cofinancements"]["autres_par_place"] == {"creche_psu": 500.0}
    assert "à vérifier" in panel.costs.value


def test_bad_upload_names_file_and_line():
    a = create_app("demo", territoire=EPCI, onglet="scenarios")
    panel = a.scenarios.panels["B"]
    content = (
        b"nom: Essai\nterritoire: '296000011'\nannee_base: 2023\nhorizon: [2024, 2028]\n"
        b"leviers:\n  - levier: creche_psu\n    commune: '96001'\n    annee: 2035\n"
        b"    places: 12\n"
    )
    panel.upload.value = (
        {
            "name": "mauvais.yaml",
            "type": "",
            "size": len(content),
            "content": memoryview(content),
            "last_modified": dt.datetime(2026, 11, 1),
        },
    )
    message = text_of(panel.status.value)
    # line 8 is « annee: 2035 »
    assert "mauvais.yaml" in message and "ligne 8" in message and "2035" in message
    assert panel.result is not None  # the previous scenario is still shown


def test_yaml_export_round_trip(tmp_path):
    a = create_app("demo", territoire=EPCI, onglet="scenarios")
    panel = a.scenarios.panels["A"]
    panel.sliders["mam"].value = 12
    panel.save._click()
    m = re.search(r'download="([^"]+)" href="data:[^;]+;base64,([^"]+)"', panel.save.link.value)
    assert m and m.group(1) == "scenario-a.yaml"
    path = tmp_path / m.group(1)
    path.write_bytes(base64.b64decode(m.group(2)))
    loaded = sc.load_scenario(path)
    assert loaded.leviers[["levier", "commune", "places"]].values.tolist() == [
        ["mam", "96001", 12.0]
    ]
