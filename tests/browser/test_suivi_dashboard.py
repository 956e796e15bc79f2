"""The CTG follow-up dashboard (``dashboards/suivi_ctg.ipynb``) in headless Chromium.

Voilà serves the dashboard on a free port over a temporary SQLite plan database (the
``TERRITOIRE_DB`` variable of the Voilà process) holding the demo CTG. The figures checked on
the page are recomputed here with :mod:`territoire_lib.evaluation`; the value entered in the
form is then read back from the database, with its audit trail. Screenshot in
``test-artifacts/``.
"""

from __future__ import annotations

import os
import sys

import pytest

from territoire_lib import evaluation as ev
from territoire_lib.plan import db, service

from .conftest import ARTIFACTS, free_port, start_command, stop

pytestmark = pytest.mark.browser
LONG = 120_000
CTG = "CTG-VALMONT-2022"
USER = "Camille Essai (CA de Valmont)"


@pytest.fixture(scope="module")
def plan_db(tmp_path_factory):
    path = tmp_path_factory.mktemp("suivi") / "plan.sqlite"
    engine = ev.ensure_demo_database(path)
    yield path, engine
    db.dispose_engines()


@pytest.fixture(scope="module")
def suivi_url(plan_db):
    """Voilà on the follow-up dashboard, as ``make run`` serves the committee one (no
    traceback, no source, no file served), reading the temporary database."""
    path, _ = plan_db
    ARTIFACTS.mkdir(exist_ok=True)
    port = free_port()
    command = [
        sys.executable, "-m", "voila", "dashboards/suivi_ctg.ipynb", "--no-browser",
        "--Voila.ip=127.0.0.1", f"--port={port}", "--show_tracebacks=False",
        "--strip_sources=True", "--VoilaConfiguration.file_denylist=.*",
        "--MappingKernelManager.cull_interval=60",
        "--MappingKernelManager.cull_idle_timeout=120", "--VoilaExecutor.timeout=120",
    ]  # fmt: skip
    before = os.environ.get(db.ENV_VAR)
    os.environ[db.ENV_VAR] = str(path)  # inherited by Voilà and its kernels
    try:
        proc = start_command(command, port)
    finally:
        if before is None:
            os.environ.pop(db.ENV_VAR, None)
        else:
            os.environ[db.ENV_VAR] = before
    yield f"http://127.0.0.1:{port}/"
    stop(proc)


def screenshot(page, name: str) -> None:
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": 2600})
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / name), full_page=True)
    page.set_viewport_size(size)


def test_drill_down_and_enter_a_value(page, suivi_url, plan_db):
    _, engine = plan_db
    with db.session_scope(engine=engine) as s:
        expected = ev.evaluate(s, CTG, 2024)
    page.goto(suivi_url, timeout=LONG)
    page.locator(".tdb-etat", has_text="CTG affichée").first.wait_for(timeout=LONG)

    # the plan at a glance: the whole CTG and each axis, as the library rolls them up
    whole = expected.whole.iloc[0]
    card = page.locator("#sv-ctg")
    assert ev.status_label(whole["statut"]) in card.inner_text()
    assert f"{ev.pct(whole['part_atteinte'])} atteint" in card.inner_text()
    axes = expected.axes.set_index("axe")
    for code, row in axes.iterrows():
        text = page.locator(f"#sv-axe-{code}").inner_text()
        assert ev.status_label(row["statut"]) in text
        assert f"{ev.pct(row['part_atteinte'])} atteint" in text
    assert page.locator("#suivi-axes svg, #suivi-axes img").count() >= 1
    screenshot(page, "suivi_ctg_vue.png")

    # drill into axis 1 then fiche 1.2
    page.get_by_role("button", name=f"Axe 1 : {ev.status_label(axes.loc['1', 'statut'])}").click()
    detail = page.locator('#sv-axe-detail[data-axe="1"]')
    detail.wait_for(timeout=LONG)
    fiches = expected.fiches.set_index("fiche")
    row = detail.locator("#sv-fiches tr", has_text="Soutenir l'installation")
    assert ev.status_label(fiches.loc["1.2", "suivi"]) in row.inner_text()
    page.get_by_role(
        "button", name=f"Fiche 1.2 : {ev.status_label(fiches.loc['1.2', 'suivi'])}"
    ).click()
    fiche = page.locator('#sv-fiche-detail[data-fiche="1.2"]')
    fiche.wait_for(timeout=LONG)
    assert "Sophie Lambert (RPE)" in fiche.locator("#sv-historique").inner_text()
    assert "401 (2024)" in fiche.locator("#sv-indicateurs").inner_text()

    # a missing name is refused in French
    form = page.locator(".sv-form")
    form.locator("select").select_option(
        label="Assistantes maternelles en activité (assistantes maternelles)"
    )
    page.get_by_text("Valeur enregistrée pour 2024 : 401").wait_for(timeout=LONG)
    page.get_by_placeholder("ex. 12,5").fill("415")
    page.get_by_placeholder("ex. Bilan d'activité 2024").fill("Listes de la PMI, mars 2025")
    page.get_by_role("button", name="Enregistrer la valeur").click()
    page.get_by_text("Indiquez votre nom").wait_for(timeout=LONG)

    # entered with a name: saved, shown, stored with the audit trail
    page.get_by_placeholder("Prénom Nom (structure)").fill(USER)
    page.get_by_role("button", name="Enregistrer la valeur").click()
    page.locator("#sv-enregistre").wait_for(timeout=LONG)
    assert "415 (2024)" in page.locator("#sv-indicateurs").inner_text()
    screenshot(page, "suivi_ctg_fiche.png")
    content = page.content()
    for marker in ("Traceback", "Error:", "Exception"):
        assert marker not in content

    with db.session_scope(engine=engine) as s:
        ctg = service.get_ctg(s, CTG)
        ind = service.get_indicator(s, service.get_fiche(s, ctg, "1.2"), "am_actives")
        stored = next(v for v in ind.values if v.year == 2024)
        assert (stored.value, stored.source, stored.entered_by) == (
            415.0,
            "Listes de la PMI, mars 2025",
            USER,
        )
        trail = service.audit_trail(s, ctg, table="realised_value", row_id=stored.id)
        last = trail.iloc[0]
        assert last["qui"] == USER and last["action"] == "update"
        assert last["avant"]["value"] == 401.0 and last["apres"]["value"] == 415.0
        after = ev.evaluate(s, ctg, 2024)
    # the page's new status for the indicator is the library's on the stored data
    new = after.indicators.set_index("indicateur").loc["am_actives"]
    assert ev.status_label(new["statut"]) in page.locator("#sv-indicateurs tr", has_text=
                                                          "Assistantes maternelles en").inner_text()  # fmt: skip
