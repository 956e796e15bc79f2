"""The committee dashboard in headless Chromium (Voilà on a free port).

Every figure checked on the page is recomputed here with the library (indicator table,
diagnostic, scenario simulation) and formatted with the library's French formatting: the
page must show exactly the library's values. Screenshots go to ``test-artifacts/``.
"""

from __future__ import annotations

import io

import pytest
from playwright.sync_api import expect

from territoire_lib import scenario as sc
from territoire_lib.diagnostic import diagnose
from territoire_lib.indicators import indicator_table, load_catalogue_full
from territoire_lib.indicators.table import format_value
from territoire_lib.key_figures import fr_number

from .conftest import ARTIFACTS, REPO

pytestmark = pytest.mark.browser
LONG = 120_000
EPCI = "296000011"  # CA de Valmont-sur-Loue (demo)


# -- helpers --------------------------------------------------------------------------------------
def open_dashboard(page, url: str, query: str = "") -> None:
    page.goto(url + query, timeout=LONG)
    page.locator(".tdb-etat", has_text="Territoire affiché").first.wait_for(timeout=LONG)


def wait_shown(page, name: str) -> None:
    page.locator(".tdb-etat", has_text=f"Territoire affiché : {name}").first.wait_for(timeout=LONG)


def open_tab(page, title: str) -> None:
    page.get_by_role("tab", name=title).click()


def screenshot(page, name: str) -> None:
    """A tall screenshot (Voilà scrolls inside the page, so enlarge the viewport first)."""
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 2600})
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size(size)


def assert_clean(page) -> None:
    text = page.content()
    for marker in ("Traceback", "Error:", "Exception"):
        assert marker not in text


def scenario_document(territory, code: str, levers: list[dict]) -> dict:
    """The scenario a fresh panel holds: latest places year as base, five years after it."""
    base = max(territory.years("places_total"))
    return {
        "nom": "Scénario A",
        "territoire": code,
        "annee_base": base,
        "horizon": [base + 1, base + 5],
        "leviers": levers,
    }


def coverage_end(territory, doc: dict) -> float:
    result = sc.simulate(territory, sc.Scenario.from_dict(doc))
    return result.indicateurs()["taux_couverture_fin"]


def commune_code(territory, name: str) -> str:
    c = territory.geography.communes
    return str(c.loc[c["nom"] == name, "code"].iloc[0])


# -- territory and themes -------------------------------------------------------------------------
def test_choose_epci_key_figures_equal_library(page, dashboard_url, territory):
    geo = territory.geography
    name = geo.name_of(EPCI)
    open_dashboard(page, dashboard_url)
    assert "Données fictives" in page.content()
    page.locator(".tdb-choix-groupe select").select_option(label=f"EPCI : {name}")
    wait_shown(page, name)
    # synthesis: the diagnostic's own summary sentence
    expect(page.locator("#resume")).to_have_text(diagnose(territory, EPCI).resume)
    # petite enfance: every card is the indicator table's value, département and France
    open_tab(page, "Petite enfance")
    table = indicator_table(territory, EPCI)
    cat = load_catalogue_full()
    rows = table[(table["theme"] == "petite_enfance") & table["disponible"]]
    assert len(rows) >= 5
    page.locator("#carte-taux_couverture_global").wait_for(timeout=LONG)
    for r in rows.to_dict("records"):
        ind = cat.indicators[r["indicateur"]]
        card = page.locator(f"#carte-{r['indicateur']}")
        if r["masque"]:
            expected = "secret statistique"
        elif ind.type == "categorie":
            expected = str(r["categorie"])
        else:
            expected = format_value(ind, r["valeur"])
        expect(card.locator(".tdb-valeur")).to_have_text(expected)
        if ind.type == "taux" and not r["masque"]:
            refs = card.locator(".tdb-ref").inner_text()
            assert f"Département : {format_value(ind, r['valeur_departement'])}" in refs
            if r["valeur_france"] == r["valeur_france"]:  # not NaN
                assert format_value(ind, r["valeur_france"]) in refs
    # alerts in French sentences, the map and the series with their key figure beside them
    for alert in rows["alertes"].explode().dropna():
        assert alert in page.locator(".tdb-onglet-petite-enfance .tdb-alertes").inner_text()
    expect(page.locator("#carte-petite-enfance svg")).to_have_count(1)
    caption = page.locator("#serie-petite-enfance figcaption").inner_text()
    cov = rows.set_index("indicateur").loc["taux_couverture_global"]
    assert format_value(cat.indicators["taux_couverture_global"], cov["valeur"]) in caption
    screenshot(page, "tableau-de-bord-epci-petite-enfance.png")
    assert_clean(page)


def test_commune_and_theme_indicator_choice(page, dashboard_url, territory):
    geo = territory.geography
    code = "96002"
    name = geo.name_of(code)
    open_dashboard(page, dashboard_url)
    page.locator(".tdb-choix-commune select").select_option(label=name)
    wait_shown(page, name)
    expect(page.locator("#resume")).to_have_text(diagnose(territory, code).resume)
    open_tab(page, "Accès aux droits")
    select = page.locator(".tdb-indicateur-acces-droits select")
    select.wait_for(timeout=LONG)
    before = page.locator("#carte-acces-droits").inner_html()
    select.select_option(value="Foyers percevant le RSA (pour 100 allocataires)")
    expect(page.locator("#carte-acces-droits figcaption")).to_contain_text("RSA")
    assert page.locator("#carte-acces-droits").inner_html() != before
    screenshot(page, "tableau-de-bord-commune-acces-droits.png")
    assert_clean(page)


def test_six_theme_tabs_of_an_epci(page, dashboard_url, territory):
    """Each CTG theme has its tab: « Ce qu'il faut retenir » (the library's sentences), at
    least six indicators with their département value, a map and a series; the vie sociale
    tab says what the register of facilities would add."""
    d = diagnose(territory, EPCI)
    open_dashboard(page, dashboard_url, f"?territoire={EPCI}")
    tabs = {
        "Petite enfance": ("petite-enfance", "petite_enfance"),
        "Enfance-jeunesse": ("enfance-jeunesse", "enfance_jeunesse"),
        "Parentalité": ("parentalite", "parentalite"),
        "Vie sociale": ("vie-sociale", "avs"),
        "Logement": ("logement", "logement"),
        "Accès aux droits": ("acces-droits", "acces_droits"),
    }
    for title, (key, theme) in tabs.items():
        open_tab(page, title)
        tab = page.locator(f".tdb-onglet-{key}")
        tab.locator(f"#carte-{key} svg").wait_for(timeout=LONG)
        expect(tab.locator(f"#serie-{key} svg")).to_have_count(1)
        retenir = tab.locator(".tdb-retenir").inner_text()
        for sentence in d.takeaways(theme):
            assert sentence in retenir
        refs = tab.locator(".tdb-carte .tdb-ref", has_text="Département :")
        assert refs.count() >= 6, title
        assert_clean(page)
    assert "Ce qui manque" in page.locator(".tdb-onglet-vie-sociale").inner_text()
    assert "Contexte départemental" in page.locator(".tdb-onglet-enfance-jeunesse").inner_text()


@pytest.mark.parametrize("server", ["dashboard_url", "preheated_url"])
def test_preselected_link(server, browser, request, territory):
    """``?territoire=CODE`` opens the dashboard on that territory, with and without
    preheated kernels; ``onglet`` opens a tab."""
    from .conftest import new_page

    url = request.getfixturevalue(server)
    context, page = new_page(browser)
    try:
        perimeter = "CTG-VALMONT-COEUR"
        name = territory.geography.name_of(perimeter)
        open_dashboard(page, url, f"?territoire={perimeter}&onglet=petite-enfance")
        wait_shown(page, name)
        expect(page.locator(".tdb-choix-groupe select")).to_have_value(f"Périmètre CTG : {name}")
        expect(page.get_by_role("tab", name="Petite enfance")).to_have_attribute(
            "aria-selected", "true"
        )
        table = indicator_table(territory, perimeter)
        row = table.set_index("indicateur").loc["taux_couverture_global"]
        ind = load_catalogue_full().indicators["taux_couverture_global"]
        expect(page.locator("#carte-taux_couverture_global .tdb-valeur")).to_have_text(
            format_value(ind, row["valeur"])
        )
        assert f"territoire={perimeter}" in page.locator(".tdb-lien").inner_text()
        screenshot(page, f"lien-preselection-{server}.png")
        assert_clean(page)
    finally:
        context.close()


def test_bad_link_gives_french_note(page, dashboard_url):
    open_dashboard(page, dashboard_url, "?territoire=1234")
    note = page.locator(".tdb-note", has_text="1234")
    expect(note).to_contain_text("ne peut pas être affiché")
    expect(note).to_contain_text("Territoire inconnu")
    assert_clean(page)


# -- exports --------------------------------------------------------------------------------------
def test_export_png_and_xlsx(page, dashboard_url, tmp_path):
    from openpyxl import load_workbook

    open_dashboard(page, dashboard_url, f"?territoire={EPCI}&onglet=petite-enfance")
    box = page.locator(".tdb-carte-petite-enfance")
    box.locator("svg").first.wait_for(timeout=LONG)
    box.get_by_role("button", name="Exporter le graphique (PNG)").click()
    link = box.locator("a[download]")
    link.wait_for(timeout=LONG)
    with page.expect_download() as info:
        link.click()
    png = ARTIFACTS / info.value.suggested_filename
    info.value.save_as(png)
    assert png.suffix == ".png" and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"

    tab = page.locator(".tdb-onglet-petite-enfance")
    tab.get_by_role("button", name="Exporter le tableau du thème (XLSX)").click()
    link = tab.locator(".tdb-export a[download]").last
    expect(link).to_have_attribute("download", "petite-enfance-ca-de-valmont-sur-loue.xlsx")
    with page.expect_download() as info:
        link.click()
    xlsx = tmp_path / info.value.suggested_filename
    info.value.save_as(xlsx)
    wb = load_workbook(io.BytesIO(xlsx.read_bytes()))
    assert wb.sheetnames == ["Petite enfance", "Définitions et sources"]
    labels = [c.value for c in wb["Petite enfance"]["A"]]
    assert "Taux de couverture global" in labels
    assert_clean(page)


# -- scenarios ------------------------------------------------------------------------------------
def move_slider(page, panel: str, lever: str, presses: int) -> None:
    handle = page.locator(f".tdb-scenario-{panel} .tdb-levier-{lever} .noUi-handle")
    handle.focus()
    for _ in range(presses):
        handle.press("ArrowRight")
    expect(page.locator(f".tdb-scenario-{panel} .tdb-levier-{lever} .widget-readout")).to_have_text(
        str(presses)
    )


def test_scenario_slider_updates_figure_and_chart(page, dashboard_url, territory, tmp_path):
    open_dashboard(page, dashboard_url, f"?territoire={EPCI}&onglet=scenarios")
    figure = page.locator("#couverture-a")
    figure.wait_for(timeout=LONG)
    page.locator("#couverture-b").wait_for(timeout=LONG)
    start = coverage_end(territory, scenario_document(territory, EPCI, []))
    expect(figure).to_have_text(fr_number(start, 1))
    chart_before = page.locator("#trajectoire-a").inner_html()

    panel = page.locator(".tdb-scenario-a")
    commune = commune_code(territory, panel.locator(".tdb-commune select").input_value())
    year = int(panel.locator(".tdb-levier-creche_psu select").input_value())
    move_slider(page, "a", "creche_psu", 12)
    lever = {"levier": "creche_psu", "commune": commune, "annee": year, "places": 12}
    expected = coverage_end(territory, scenario_document(territory, EPCI, [lever]))
    assert fr_number(expected, 1) != fr_number(start, 1)
    expect(figure).to_have_text(fr_number(expected, 1), timeout=LONG)
    expect(page.locator("#trajectoire-a figcaption")).to_contain_text(fr_number(expected, 1))
    assert page.locator("#trajectoire-a").inner_html() != chart_before
    # values « à vérifier » are visibly marked beside the costs
    expect(panel.locator(".tdb-averifier").first).to_be_visible()
    screenshot(page, "scenario-curseur.png")

    # save the scenario file from the page: it reloads to the same figure
    panel.get_by_role("button", name="Enregistrer le scénario (YAML)").click()
    link = panel.locator("a[download$='.yaml']")
    link.wait_for(timeout=LONG)
    with page.expect_download() as info:
        link.click()
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    reloaded = sc.simulate(territory, sc.load_scenario(saved))
    assert fr_number(reloaded.indicateurs()["taux_couverture_fin"], 1) == fr_number(expected, 1)
    assert_clean(page)


def test_two_people_do_not_share_a_scenario(page, second_page, dashboard_url, territory):
    query = f"?territoire={EPCI}&onglet=scenarios"
    open_dashboard(page, dashboard_url, query)
    open_dashboard(second_page, dashboard_url, query)
    first, other = page.locator("#couverture-a"), second_page.locator("#couverture-a")
    first.wait_for(timeout=LONG)
    other.wait_for(timeout=LONG)
    initial = other.inner_text()
    assert first.inner_text() == initial
    move_slider(page, "a", "micro_creche_paje", 6)
    panel = page.locator(".tdb-scenario-a")
    commune = commune_code(territory, panel.locator(".tdb-commune select").input_value())
    year = int(panel.locator(".tdb-levier-micro_creche_paje select").input_value())
    lever = {"levier": "micro_creche_paje", "commune": commune, "annee": year, "places": 6}
    moved = fr_number(coverage_end(territory, scenario_document(territory, EPCI, [lever])), 1)
    expect(first).to_have_text(moved, timeout=LONG)
    second_page.wait_for_timeout(1500)
    assert other.inner_text() == initial
    readout = second_page.locator(".tdb-scenario-a .tdb-levier-micro_creche_paje .widget-readout")
    assert readout.inner_text() == "0"
    screenshot(second_page, "isolation-deuxieme-personne.png")


def upload(page, panel, path) -> None:
    """Choose a file with the « Ouvrir un fichier… » button (keyboard-reachable button; the
    file input itself is not in the page)."""
    with page.expect_file_chooser() as chooser:
        panel.locator(".widget-upload").click()
    chooser.value.set_files(str(path))


def test_load_scenario_file_and_bad_file(page, dashboard_url, territory, tmp_path):
    open_dashboard(page, dashboard_url, f"?territoire={EPCI}&onglet=scenarios")
    page.locator("#couverture-b").wait_for(timeout=LONG)
    path = REPO / "data" / "scenarios" / "scenario_b.yaml"
    expected = sc.simulate(territory, sc.load_scenario(path)).indicateurs()["taux_couverture_fin"]
    panel = page.locator(".tdb-scenario-b")
    upload(page, panel, path)
    expect(panel.locator(".tdb-note")).to_contain_text("scenario_b.yaml", timeout=LONG)
    expect(page.locator("#couverture-b")).to_have_text(fr_number(expected, 1), timeout=LONG)
    expect(page.locator("#comparaison")).to_contain_text("Scénario B — micro-crèches")

    bad = tmp_path / "mauvais.yaml"
    bad.write_text(
        "nom: Essai\nterritoire: '296000011'\nannee_base: 2023\nhorizon: [2024, 2028]\n"
        "leviers:\n  - levier: creche_psu\n    commune: '96001'\n    annee: 2035\n"
        "    places: 12\n",
        encoding="utf-8",
    )
    upload(page, panel, bad)
    error = panel.locator(".tdb-erreur")
    expect(error).to_contain_text("mauvais.yaml", timeout=LONG)
    expect(error).to_contain_text("2035")
    expect(error).to_contain_text("ligne 8")
    # the loaded scenario B is still shown and scenario A still works
    expect(page.locator("#couverture-b")).to_have_text(fr_number(expected, 1))
    screenshot(page, "scenario-fichiers.png")
    assert_clean(page)


def test_optimiser_proposal_added_to_scenario(page, dashboard_url, territory):
    open_dashboard(page, dashboard_url, f"?territoire={EPCI}&onglet=scenarios")
    page.locator("#couverture-a").wait_for(timeout=LONG)
    box = page.locator(".tdb-optimiseur")
    box.get_by_role("button", name="Proposer une répartition").click()
    proposal = page.locator("#proposition")
    expect(proposal).to_contain_text("Proposition", timeout=LONG)
    box.get_by_role("button", name="Ajouter ces places au scénario").click()
    expect(page.locator(".tdb-scenario-a .tdb-note")).to_contain_text("optimiseur", timeout=LONG)
    assert_clean(page)


# -- keyboard -------------------------------------------------------------------------------------
def test_keyboard_only(page, dashboard_url, territory):
    """Choose a territory and change tab without the mouse."""
    open_dashboard(page, dashboard_url)
    select = page.locator(".tdb-choix-groupe select")
    select.focus()
    page.keyboard.press("ArrowDown")  # first EPCI of the list
    first_epci = territory.geography.choices("epci")[0][0]
    wait_shown(page, first_epci)
    current = page.locator("[role=tab][aria-selected=true]")
    current.focus()
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Enter")
    expect(page.get_by_role("tab", name="Petite enfance")).to_have_attribute(
        "aria-selected", "true"
    )
    page.locator("#carte-taux_couverture_global").wait_for(timeout=LONG)
    assert_clean(page)
