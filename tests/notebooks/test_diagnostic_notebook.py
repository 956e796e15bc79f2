"""`notebooks/01_diagnostic.ipynb` runs under Papermill for every EPCI of the demo, and the
figures it prints are the library's for that EPCI."""

from __future__ import annotations

from pathlib import Path

import nbformat
import papermill as pm
import pytest

from territoire_lib.dataset import load_territory
from territoire_lib.diagnostic import diagnose

REPO = Path(__file__).resolve().parents[2]
NOTEBOOK = REPO / "notebooks" / "01_diagnostic.ipynb"

pytestmark = pytest.mark.notebook

DEMO = load_territory("demo")
EPCIS = DEMO.geography.epcis["code"].tolist()


def _outputs(nb) -> tuple[str, list[str]]:
    """All printed text, and the MIME types of every output."""
    text, kinds = [], []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                text.append(out["text"])
            kinds.extend(out.get("data", {}))
    return "\n".join(text), kinds


def test_committed_without_outputs_and_with_a_parameters_cell():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    params = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(params) == 1
    assert params[0].source.splitlines() == [
        'territoire = "296000011"',
        "annee = None",
        'source = ""',  # empty: the active source (`territoire source`)
    ]
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    # charts are static SVG (offline): no default CDN renderer
    assert all("alt.renderers" not in c.source for c in nb.cells)


@pytest.mark.parametrize("code", EPCIS)
def test_runs_for_every_epci(code, tmp_path):
    nb = pm.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "out.ipynb"),
        parameters={"territoire": code}, cwd=str(REPO), kernel_name="python3",
        start_timeout=60, execution_timeout=300, progress_bar=False,
    )  # fmt: skip
    text, kinds = _outputs(nb)
    d = diagnose(DEMO, code)
    assert d.resume in text  # first cell: the summary, with its coverage rate
    assert d.text() in text  # strengths and points of vigilance
    assert d.sppe_territoire in text
    assert kinds.count("image/svg+xml") >= 8
    assert "application/vnd.vegalite.v5+json" not in kinds  # nothing needing a CDN


def test_a_small_commune_shows_its_remarks_whole(tmp_path):
    # Bréval-la-Côte (1 253 inhabitants): Filosofi does not publish its poverty rate; the
    # remark says so in 100 characters, which pandas would cut at 50 (« … »)
    nb = pm.execute_notebook(
        str(NOTEBOOK), str(tmp_path / "out.ipynb"),
        parameters={"territoire": "96003"}, cwd=str(REPO), kernel_name="python3",
        start_timeout=60, execution_timeout=300, progress_bar=False,
    )  # fmt: skip
    html = "".join(
        out.get("data", {}).get("text/html", "")
        for cell in nb.cells
        for out in cell.get("outputs", [])
    )
    remark = diagnose(DEMO, "96003").theme_table("contexte").loc["Taux de pauvreté", "Remarques"]
    assert len(remark) > 50 and remark in html.replace("&#x27;", "'")
    assert "...</td>" not in html
