"""pandas display settings for the notebooks and the reports written from them.

By default pandas shortens what it shows: a cell's text is cut after 50 characters (« … ») and
a table after 60 rows. A diagnostic's remarks (why a value is secret, which share is estimated)
and the inclusion table of a département (several hundred communes) must be read whole in a
committee report: the notebooks call :func:`show_whole_tables` in their first cell.

Layer « socle »: imports nothing from the library.
"""

from __future__ import annotations

import pandas as pd

MAX_ROWS = 2000  # a département has at most about 900 communes


def show_whole_tables(max_rows: int = MAX_ROWS) -> None:
    """Show whole cell texts, every column and tables up to ``max_rows`` rows."""
    pd.set_option("display.max_colwidth", None)
    pd.set_option("display.max_columns", None)
    pd.set_option("display.max_rows", max_rows)
