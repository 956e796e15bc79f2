"""`notebooks/02_scenarios.ipynb` runs under Papermill, and the figures it prints are the
library's."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
import pytest

from territoire_lib.dataset import load_territory
from territoire_lib.diagnostic import diagnose
from territoire_lib.optimise import candidates_from_scenario, optimise
from territoire_lib.scenario import load_scenario, simulate

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "02_scenarios.ipynb"
SCENARIOS = REPO / "data" / "scenarios"

pytestmark = pytest.mark.notebook


def _run(tmp_path: Path, cwd: Path = REPO, **parameters):
    return pm.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "out.ipynb"), parameters=parameters, cwd=str(cwd),
        kernel_name="python3", start_timeout=60, execution_timeout=300, progress_bar=False,
    )  # fmt: skip


def _text(nb) -> str:
    return "\n".join(o["text"] for c in nb.cells for o in c.get("outputs", []) if "text" in o)


def test_committed_without_outputs_and_with_a_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    assert params[0].source.splitlines() == [
        'territoire = "296000011"',
        'scenario = "data/scenarios/scenario_a.yaml"',
        'scenario_b = "data/scenarios/scenario_b.yaml"',
        'source = ""',  # empty: the active source (`territoire source`)
        "budget_investissement = 600000",
        "budget_fonctionnement = 60000",
    ]
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    assert all("alt.renderers" not in c.source for c in nb.cells)


def _expected(code: str, inv: float = 600_000, op: float = 60_000) -> tuple[str, str, str]:
    t = load_territory("demo")
    a = load_scenario(SCENARIOS / "scenario_a.yaml")
    b = load_scenario(SCENARIOS / "scenario_b.yaml")
    needs = diagnose(t, code).inclusion.set_index("commune")["indice_besoins"]
    cands, _ = candidates_from_scenario(
        t, a, needs, perimetre=code, taille_bloc=12, couverture_cible=80
    )
    proposal = optimise(cands, inv, op)
    return (
        simulate(t, a, perimetre=code).french(),
        simulate(t, b, perimetre=code).french(),
        proposal.french(),
    )


def test_defaults_print_the_library_figures(tmp_path):
    # run from notebooks/, as nbval does: the scenario paths resolve from the repository
    nb = _run(tmp_path, cwd=REPO / "notebooks")
    text = _text(nb)
    a, b, proposal = _expected("296000011")
    assert a in text  # coverage trajectory, costs by funder, SPPE of scenario A
    assert b in text
    assert proposal in text
    # the coverage of scenario A in 2029, as printed: 2 117 places of December 2029 for the
    # 3 368 children projected on 1 January 2030 (Onape method) = 62.86 → « 62,9 » (it was
    # « 61,9 » with the children of 1 January 2029)
    assert "2029    2\u202f117           15        3\u202f368        62,9" in a
    kinds = {k for c in nb.cells for o in c.get("outputs", []) for k in o.get("data", {})}
    assert "image/svg+xml" in kinds  # charts are static SVG


def test_another_epci_and_budget(tmp_path):
    nb = _run(tmp_path, territoire="296000045", budget_investissement=300000)
    text = _text(nb)
    a, _, proposal = _expected("296000045", inv=300_000)
    assert a in text
    assert proposal in text
