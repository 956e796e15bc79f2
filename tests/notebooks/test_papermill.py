"""Every notebook runs under Papermill with its default parameters and with others, and the
figures it prints are the library's."""

from __future__ import annotations

from pathlib import Path

import papermill as pm
import pytest

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb")) + sorted(
    (REPO / "dashboards").glob("*.ipynb")
)

pytestmark = pytest.mark.notebook


def _outputs_text(nb) -> str:
    chunks = []
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if "text" in out:
                chunks.append(out["text"])
            data = out.get("data", {})
            if "text/plain" in data:
                chunks.append(data["text/plain"])
    return "\n".join(chunks)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_runs_with_defaults(path, tmp_path):
    pm.execute_notebook(
        str(path), str(tmp_path / path.name), cwd=str(REPO), kernel_name="python3",
        start_timeout=60, execution_timeout=300, progress_bar=False,
    )  # fmt: skip


def test_donnees_for_an_epci(tmp_path):
    from territoire_lib.dataset import load_territory
    from territoire_lib.key_figures import compare_coverage

    territory = load_territory("demo")
    code = territory.geography.epcis["code"].iloc[0]
    nb = pm.execute_notebook(
        str(REPO / "notebooks" / "00_donnees.ipynb"), str(tmp_path / "out.ipynb"),
        parameters={"territoire": code}, cwd=str(REPO), kernel_name="python3",
        start_timeout=60, execution_timeout=300, progress_bar=False,
    )  # fmt: skip
    expected = compare_coverage(territory, code).sentence(territory.geography.name_of(code))
    assert expected in _outputs_text(nb)
