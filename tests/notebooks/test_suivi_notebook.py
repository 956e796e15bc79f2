"""`notebooks/03_suivi_evaluation.ipynb` runs under Papermill over a temporary plan database,
and the figures it prints are the library's."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
import pytest

from territoire_lib import evaluation as ev
from territoire_lib.plan import db

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "03_suivi_evaluation.ipynb"
CTG = "CTG-VALMONT-2022"

pytestmark = pytest.mark.notebook


def _run(tmp_path: Path, **parameters):
    return pm.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "out.ipynb"), parameters=parameters,
        cwd=str(REPO / "notebooks"), kernel_name="python3", start_timeout=60,
        execution_timeout=300, progress_bar=False,
    )  # fmt: skip


def _text(nb) -> str:
    return "\n".join(o["text"] for c in nb.cells for o in c.get("outputs", []) if "text" in o)


def _html(nb) -> str:
    return "\n".join(
        o["data"]["text/html"]
        for c in nb.cells
        for o in c.get("outputs", [])
        if "text/html" in o.get("data", {})
    )


def test_committed_without_outputs_and_with_a_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    assert params[0].source.splitlines() == [f'ctg = "{CTG}"', "annee = 2024", "base = None"]
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert all("alt.renderers" not in c.source for c in nb.cells)


@pytest.fixture
def base(tmp_path):
    yield str(tmp_path / "plan.sqlite")
    db.dispose_engines()


def test_report_prints_the_library_figures(tmp_path, base):
    nb = _run(tmp_path, base=base)  # the demo CTG is imported into the empty database
    expected = ev.evaluate_plan(CTG, 2024, base=base)
    text = _text(nb)
    for part in (
        expected.resume(),
        ev.rule_text(),
        expected.axes_text(),
        expected.late_text(),
        expected.budget_text(),
        expected.answers_text(),
        expected.decisions_text(),
    ):
        assert part in text
    # fiche 2.1 : 0 enfant (2021) → 34 (2024), cible 40 en 2025 : atteint 34/40 = 85 %,
    # attendu (2024 − 2021)/(2025 − 2021) = 75 % → en bonne voie
    row = expected.indicators.set_index("indicateur").loc["enfants_mercredi"]
    assert row["part_atteinte"] == pytest.approx(0.85)
    assert row["part_attendue"] == pytest.approx(0.75)
    assert row["statut"] == ev.ON_TRACK
    assert "Enfants accueillis le mercredi (moyenne)" in _html(nb)
    kinds = {k for c in nb.cells for o in c.get("outputs", []) for k in o.get("data", {})}
    assert "image/svg+xml" in kinds  # charts are static SVG


def test_another_year(tmp_path, base):
    nb = _run(tmp_path, base=base, annee=2023)
    expected = ev.evaluate_plan(CTG, 2023, base=base)
    text = _text(nb)
    assert "Évaluation 2023 de la CTG" in text
    assert expected.resume() in text
    assert expected.decisions_text() in text
