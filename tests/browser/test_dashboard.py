"""The committee dashboard in headless Chromium: choose a territory, a figure appears, and the
key figure shown is the library's."""

from __future__ import annotations

import pytest

from territoire_lib.dataset import load_territory
from territoire_lib.key_figures import compare_coverage

from .conftest import ARTIFACTS

pytestmark = pytest.mark.browser


def test_choose_epci_shows_figures(page, dashboard_url):
    territory = load_territory("demo")
    geo = territory.geography
    label, code = geo.choices("epci")[0]
    expected = compare_coverage(territory, code).sentence(geo.name_of(code))

    page.goto(dashboard_url, timeout=120_000)
    select = page.locator(".widget-dropdown select").first
    select.wait_for(state="visible", timeout=120_000)
    assert "Données fictives" in page.content()
    select.select_option(label=label)

    figure = page.locator("#figure-couverture svg")
    figure.wait_for(state="visible", timeout=60_000)
    assert page.locator("#figure-ages svg").count() == 1
    assert page.locator("#chiffre-cle").inner_text().strip() == expected
    page.screenshot(path=str(ARTIFACTS / "tableau-de-bord-epci.png"), full_page=True)


def test_commune_level(page, dashboard_url):
    territory = load_territory("demo")
    label, code = territory.geography.choices("commune")[0]
    page.goto(dashboard_url, timeout=120_000)
    page.get_by_role("button", name="Commune").click(timeout=120_000)
    select = page.locator(".widget-dropdown select").first
    select.select_option(label=label)
    page.locator("#figure-ages svg").wait_for(state="visible", timeout=60_000)
    assert territory.geography.name_of(code) in page.locator("#chiffre-cle").inner_text()
    assert "Traceback" not in page.content()
