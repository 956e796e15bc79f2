"""Papermill passes `-p territoire 296000011` as an int (issue 13, item 6): the notebooks take
it as the code, exactly as they take the text "296000011"."""

from __future__ import annotations

from pathlib import Path

import papermill as pm
import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.notebook


def _run(tmp_path: Path, territoire) -> tuple[str, str]:
    nb = pm.execute_notebook(
        str(REPO / "notebooks" / "00_donnees.ipynb"), str(tmp_path / f"{territoire!r}.ipynb"),
        parameters={"territoire": territoire}, cwd=str(REPO), kernel_name="python3",
        start_timeout=60, execution_timeout=300, progress_bar=False,
    )  # fmt: skip
    injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    text = "\n".join(
        o.get("text", "") for c in nb.cells for o in c.get("outputs", []) if "text" in o
    )
    return injected.source, text


def test_donnees_with_an_int_code(tmp_path):
    injected, text = _run(tmp_path, 296000011)
    assert "territoire = 296000011\n" in injected + "\n"  # an int, not a string
    # before: IndexError in Geography.members; now the CA de Valmont-sur-Loue (demo README)
    assert "En 2023, CA de Valmont-sur-Loue compte " in text
    _, as_text = _run(tmp_path, "296000011")
    assert text == as_text
