"""pandas display settings for notebooks and reports (territoire_lib.notebook_display)."""

from __future__ import annotations

import pandas as pd
import pytest

from territoire_lib.notebook_display import show_whole_tables


@pytest.fixture
def restore_pandas_options():
    yield
    for option in ("display.max_colwidth", "display.max_columns", "display.max_rows"):
        pd.reset_option(option)


def test_whole_remarks_and_long_tables(restore_pandas_options):
    remark = "secret statistique : valeur non diffusée par la source ; " + "x" * 60
    frame = pd.DataFrame({"Remarques": [remark] * 150, **{f"c{i}": range(150) for i in range(30)}})
    before = frame._repr_html_()
    assert remark not in before and "..." in before  # pandas' defaults cut the text and rows
    show_whole_tables()
    after = frame._repr_html_()
    assert after.count(remark) == 150  # every row, each remark whole
    assert "<th>c29</th>" in after  # every column
    show_whole_tables(max_rows=100)
    assert frame._repr_html_().count(remark) < 150  # beyond max_rows pandas shortens again
