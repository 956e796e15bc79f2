"""Cells of the spreadsheets the library writes: text stays text, never a formula.

A commune, perimeter, lever or fiche name comes from a user's file. One starting with ``=``
(``=HYPERLINK(…)``, the DDE ``=cmd|' /C calc'!A0``), ``+``, ``-`` or ``@`` would be run as a
formula by Excel or LibreOffice if it were written as one. Every XLSX and CSV writer of the
library (exports, batch, dashboard, scenario and plan workbooks) goes through this module:

* :func:`put` writes one value into an openpyxl cell: numbers stay numbers, text is stored as
  a string (``data_type = "s"``, never ``"f"``) and, when it starts with a formula character,
  with Excel's « quote prefix » (the cell shows the text as typed, and editing it does not turn
  it into a formula). Characters XML forbids (controls other than tab, line feed and carriage
  return) are dropped, as Excel cannot store them.
* :func:`protect_sheet` does the same afterwards for a sheet another writer filled
  (``pandas.DataFrame.to_excel``, which writes any ``"=…"`` string as a formula).
* :func:`csv_text` applies the OWASP « CSV injection » rule to a text cell of a CSV file: a
  leading ``=``, ``+``, ``-``, ``@``, tab or carriage return gets a single quote ``'`` before
  it. Numbers are not text: a negative number is written as a number, not quoted.

Layer « socle »: imports nothing from the library (openpyxl cells are passed in).
"""

from __future__ import annotations

import re
from typing import Any

#: Characters that make a spreadsheet read a cell as a formula (OWASP « CSV injection »).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def starts_like_formula(text: str) -> bool:
    """True when a spreadsheet would read ``text`` as a formula."""
    return text.startswith(FORMULA_START)


def clean_text(text: str) -> str:
    """``text`` without the control characters an XLSX file cannot hold."""
    return _ILLEGAL.sub("", text)


def mark_text(cell) -> None:
    """Store the string value of an openpyxl ``cell`` as text (never a formula)."""
    value = cell.value
    if not isinstance(value, str):
        return
    cell.data_type = "s"
    if starts_like_formula(value):
        cell.quotePrefix = True


def put(ws, row: int, column: int, value: Any):
    """Write ``value`` into ``ws`` at (``row``, ``column``), text as text; returns the cell."""
    if isinstance(value, str):
        value = clean_text(value)
    cell = ws.cell(row=row, column=column, value=value)
    mark_text(cell)
    return cell


def protect_sheet(ws) -> None:
    """Turn every formula of ``ws`` back into the text it was written from.

    For sheets filled by a writer that does not know the rule (``DataFrame.to_excel``): the
    library never writes a formula on purpose, so every ``"=…"`` string there is data.
    """
    for row in ws.iter_rows():
        for cell in row:
            if cell.data_type == "f" or isinstance(cell.value, str):
                mark_text(cell)


def csv_text(value: str) -> str:
    """A text cell of a CSV file, a leading formula character neutralised (OWASP rule)."""
    return "'" + value if starts_like_formula(value) else value
