"""Tables to files that French users open in Excel or LibreOffice: XLSX and CSV.

* :func:`to_xlsx`: one sheet per theme plus « Définitions et sources » (and, for a whole
  diagnostic, « Synthèse », « Inclusion » and « SPPE »); French headers; numbers stay numbers
  with a display format; masked values are written « secret » or « < 5 » (a confidential
  count), missing ones « n.d. » (greyed);
  any cell saying « à vérifier » is highlighted; columns sized; header frozen and filtered.
* :func:`to_csv`: ``;`` separator, UTF-8 with BOM (Excel FR detects the encoding), decimal
  comma, no thousands separator (the file stays machine-readable).

Number formats are stored in Excel's invariant syntax (``#,##0.0``): Excel and LibreOffice
show them with the user's locale, ``1 234,5`` in French. Writing ``# ##0,0`` literally would
make the space a literal character and the comma a thousands separator.

Files are written to a temporary file in the target folder, then renamed (atomic). An existing
file is only replaced when ``overwrite=True`` (the CLI passes it: the user named the file).

Frames laid out by :mod:`territoire_lib.diagnostic` tell the writers how to format them through
``DataFrame.attrs``: ``formats`` (column → Excel format) and ``row_decimals`` (columns whose
decimals are given row by row in the hidden ``_decimales`` column).

Text is written as text, never as a formula (:mod:`territoire_lib.xlsx_cells`): a commune
named ``=HYPERLINK(…)`` stays a name in the workbook, and a CSV text cell starting with ``=``,
``+``, ``-``, ``@``, tab or carriage return gets a leading ``'`` (OWASP rule; numbers, negative
ones included, stay numbers).

Layer « sorties »: imports diagnostic (diagnostic); socle (errors, files, xlsx_cells).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from .errors import TerritoireError
from .files import atomic_path, output_path
from .xlsx_cells import csv_text, put

DEFINITIONS_SHEET = "Définitions et sources"
SECRET_TEXTS = {"secret", "< 5", "n.d."}  # what stands for a masked or missing value
VERIFY = "à vérifier"
HEADER_FILL = "DCE6F1"
VERIFY_FILL = "FCE4D6"
MAX_WIDTH = 60
HIDDEN = "_decimales"


# -- helpers ------------------------------------------------------------------------------------
def _is_number(v) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    return isinstance(v, float) and math.isnan(v)


def _format_decimals(fmt: str) -> int:
    """Decimals of an Excel number format (first section): '#,##0.0' → 1, '0' → 0."""
    first = fmt.split(";")[0]
    m = re.search(r"\.(0+)", first)
    return len(m.group(1)) if m else 0


def _excel_format(decimals: int) -> str:
    return "#,##0" if decimals <= 0 else "#,##0." + "0" * decimals


class _Layout:
    """How to write the cells of one frame: Excel format (and decimals) per cell."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self.formats: dict[str, str] = dict(frame.attrs.get("formats") or {})
        self.row_decimals = set(frame.attrs.get("row_decimals") or [])
        self.decimals = frame.get(HIDDEN, None)
        self.columns = [c for c in frame.columns if c != HIDDEN]

    def number_format(self, row: int, column: str, value) -> str:
        if column in self.formats:
            return self.formats[column]
        if column in self.row_decimals and self.decimals is not None:
            return _excel_format(int(self.decimals.iloc[row]))
        return "#,##0" if isinstance(value, int) else "#,##0.0"


def _cell_value(v):
    """A Python value openpyxl can write (numbers, text); lists joined; NaN → None."""
    if isinstance(v, list | tuple):
        return " ; ".join(str(x) for x in v)
    if _missing(v):
        return None
    if isinstance(v, bool):
        return "oui" if v else "non"
    if hasattr(v, "item") and not isinstance(v, str):  # numpy scalars
        v = v.item()
    if _is_number(v):
        return v
    return str(v)


def _sheet_name(name: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique."""
    clean = re.sub(r"[\[\]:*?/\\]", "-", str(name)).strip() or "Feuille"
    clean = clean[:31]
    base, n = clean, 2
    while clean.lower() in used:
        suffix = f" ({n})"
        clean = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(clean.lower())
    return clean


# -- what to write ------------------------------------------------------------------------------
def diagnostic_sheets(diag) -> dict[str, pd.DataFrame]:
    """The sheets of a whole diagnostic: synthesis, one per theme, inclusion, SPPE,
    definitions and sources."""
    sheets = {"Synthèse": diag.synthesis_table()}
    sheets.update(diag.theme_tables(formatted=False))
    sheets["Inclusion"] = diag.inclusion_table(formatted=False)
    sheets["SPPE"] = diag.sppe_table(formatted=False)
    sheets[DEFINITIONS_SHEET] = diag.definitions()
    return sheets


def table_sheets(table: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The sheets of an indicator table (:func:`indicators.indicator_table`): one per theme,
    plus definitions and sources."""
    from .diagnostic import definitions_frame, indicator_display

    shown = indicator_display(table, formatted=False)
    sheets: dict[str, pd.DataFrame] = {}
    for theme in dict.fromkeys(shown["Thème"]):
        part = shown[shown["Thème"] == theme].drop(columns="Thème").reset_index(drop=True)
        part.attrs = dict(shown.attrs)
        sheets[str(theme)] = part
    sheets[DEFINITIONS_SHEET] = definitions_frame(table)
    return sheets


def _as_sheets(source) -> dict[str, pd.DataFrame]:
    if isinstance(source, Mapping):
        return {str(k): v for k, v in source.items()}
    if isinstance(source, pd.DataFrame):
        if "indicateur" in source and "theme_libelle" in source:
            return table_sheets(source)
        return {"Tableau": source}
    if hasattr(source, "theme_tables") and hasattr(source, "inclusion_table"):
        return diagnostic_sheets(source)
    raise TypeError(f"cannot export {type(source).__name__}")


def _as_table(source) -> pd.DataFrame:
    from .diagnostic import indicator_display

    if isinstance(source, pd.DataFrame):
        if "indicateur" in source and "theme_libelle" in source:
            return indicator_display(source, formatted=False)
        return source
    if hasattr(source, "table"):
        return indicator_display(source.table, formatted=False)
    raise TypeError(f"cannot export {type(source).__name__}")


# -- XLSX -----------------------------------------------------------------------------------------
def _write_sheet(ws, frame: pd.DataFrame) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    layout = _Layout(frame.reset_index(drop=True))
    columns = layout.columns
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    grey = Font(italic=True, color="666666")
    verify_fill = PatternFill("solid", fgColor=VERIFY_FILL)
    widths = [len(str(c)) for c in columns]
    for j, col in enumerate(columns, start=1):
        cell = put(ws, 1, j, str(col))
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    values = layout.frame[columns].to_numpy(dtype=object)
    for i, row in enumerate(values):
        for j, raw in enumerate(row, start=1):
            col = columns[j - 1]
            v = _cell_value(raw)
            cell = put(ws, i + 2, j, v)
            if _is_number(v):
                fmt = layout.number_format(i, col, v)
                cell.number_format = fmt
                text = f"{v:,.{_format_decimals(fmt)}f}"
                widths[j - 1] = max(widths[j - 1], len(text) + 1)
            elif isinstance(v, str):
                if v in SECRET_TEXTS:
                    cell.font = grey
                    cell.alignment = Alignment(horizontal="right")
                if VERIFY in v:
                    cell.fill = verify_fill
                if len(v) > MAX_WIDTH:
                    cell.alignment = Alignment(wrap_text=True, vertical="top")
                widths[j - 1] = max(widths[j - 1], min(len(v), MAX_WIDTH))
    for j, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(max(w + 2, 8), MAX_WIDTH + 2)
    ws.freeze_panes = "A2"
    if len(values) and columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(columns))}{len(values) + 1}"


def to_xlsx(source, path: str | Path, *, overwrite: bool = False, title: str = "") -> Path:
    """Write a diagnostic, an indicator table or ``{sheet name: frame}`` to an XLSX file.

    A :class:`~territoire_lib.diagnostic.Diagnostic` gives « Synthèse », one sheet per theme,
    « Inclusion », « SPPE » and « Définitions et sources »; an indicator table gives one sheet
    per theme and « Définitions et sources ». Returns the path written.
    """
    from openpyxl import Workbook

    path = output_path(path, ".xlsx", overwrite)
    sheets = _as_sheets(source)
    wb = Workbook()
    wb.remove(wb.active)
    used: set[str] = set()
    for name, frame in sheets.items():
        ws = wb.create_sheet(_sheet_name(name, used))
        _write_sheet(ws, frame)
    if title:
        wb.properties.title = title
    wb.properties.creator = "Territoire"
    with atomic_path(path) as tmp:
        wb.save(tmp)
    return path


# -- CSV ------------------------------------------------------------------------------------------
def _csv_text(frame: pd.DataFrame) -> pd.DataFrame:
    """Every cell as text: numbers with a decimal comma and their display decimals."""
    layout = _Layout(frame.reset_index(drop=True))
    cols = layout.columns
    values = layout.frame[cols].to_numpy(dtype=object)
    out = []
    for i, row in enumerate(values):
        line = []
        for j, raw in enumerate(row):
            v = _cell_value(raw)
            if v is None:
                line.append("")
            elif _is_number(v):
                d = _format_decimals(layout.number_format(i, cols[j], v))
                line.append(f"{v:.{d}f}".replace(".", ","))
            else:
                line.append(csv_text(v))
        out.append(line)
    return pd.DataFrame(out, columns=[csv_text(str(c)) for c in cols])


def to_csv(source, path: str | Path, *, overwrite: bool = False) -> Path:
    """Write a table (an indicator table, a diagnostic's indicators, or any frame) as a CSV
    for Excel FR: ``;`` separator, UTF-8 with BOM, decimal comma. Returns the path written."""
    path = output_path(path, ".csv", overwrite)
    text = _csv_text(_as_table(source))
    with atomic_path(path) as tmp:
        text.to_csv(tmp, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")
    return path


def write(source, path: str | Path, *, overwrite: bool = False) -> Path:
    """:func:`to_xlsx` or :func:`to_csv` by the file's extension (French error otherwise)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".xlsx":
        return to_xlsx(source, path, overwrite=overwrite)
    if suffix == ".csv":
        return to_csv(source, path, overwrite=overwrite)
    raise TerritoireError(
        f"Format de fichier non pris en charge : « {Path(path).name} ». "
        "Attendu un fichier .csv ou .xlsx."
    )
