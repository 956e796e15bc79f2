"""Writing a plan workbook: the plan of a :class:`~.document.PlanDocument` laid out on the
sheets of the template, typed cells (dates, codes as text, euros), axis lines greyed, drop-down
lists; :func:`write_workbook`, :func:`write_template` (the empty documented workbook) and
:func:`export_plan` (from the database). Files are written to a temporary file then renamed
(:mod:`territoire_lib.files`).

A round trip loses nothing: ``read_workbook(write_workbook(doc))`` equals ``doc``.

Text cells go through :func:`territoire_lib.xlsx_cells.put`: a name starting with ``=``, ``+``,
``-`` or ``@`` is stored as text with Excel's quote prefix, never as a formula.

Layer: base partagée (``plan``). Imports the socle (``files``, ``xlsx_cells``), and within ``plan``
:mod:`.document`, :mod:`.workbook_template`, and lazily :mod:`.db` and :mod:`.reading`;
openpyxl lazily.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..xlsx_cells import put
from .document import QUESTIONS, STATUSES, THEMES, CtgSpec, FicheSpec, PlanDocument, join_list
from .workbook_template import (
    AXIS_FILL,
    CTG_ROWS,
    SHEET_BUDGETS,
    SHEET_COPIL,
    SHEET_CTG,
    SHEET_EVALUATION,
    SHEET_FICHES,
    SHEET_HISTORY,
    SHEET_INDICATORS,
    SHEETS,
    _style_table,
    _validation,
    _write_guide,
)


# -- writing -----------------------------------------------------------------------------------
def _put(ws, row: int, col: int, value: Any, kind: str = "text"):
    cell = put(ws, row, col, value if value != "" else None)  # text, never a formula
    if kind == "date" and value is not None:
        cell.number_format = "DD/MM/YYYY"
    elif kind in ("code", "communes"):
        cell.number_format = "@"
    elif kind == "amount":
        cell.number_format = "#,##0.00"
    return cell


def _write_table(wb, sheet: str, records: list[dict[str, Any]], *, axis_rows=()) -> None:
    from openpyxl.styles import PatternFill

    columns = SHEETS[sheet]
    ws = wb.create_sheet(sheet)
    for j, c in enumerate(columns, start=1):
        ws.cell(row=1, column=j, value=c.header)
    grey = PatternFill("solid", fgColor=AXIS_FILL)
    for i, rec in enumerate(records, start=2):
        for j, c in enumerate(columns, start=1):
            value = rec.get(c.key)
            if isinstance(value, tuple | list):
                value = join_list(value)
            cell = _put(ws, i, j, value, c.kind)
            if (i - 2) in axis_rows:
                cell.fill = grey
    _style_table(ws, columns)
    if sheet in (SHEET_FICHES, SHEET_HISTORY):
        for key in ("status", "new_status", "old_status"):
            if any(c.key == key for c in columns):
                _validation(ws, columns, key, STATUSES, len(records) + 1)
    if sheet == SHEET_FICHES:
        _validation(ws, columns, "theme", THEMES, len(records) + 1)
    if sheet == SHEET_EVALUATION:
        _validation(ws, columns, "question", tuple(QUESTIONS), len(records) + 1)


def _write_ctg(wb, ctg: CtgSpec | None) -> None:
    ws = wb.create_sheet(SHEET_CTG)
    ws.cell(row=1, column=1, value="Rubrique")
    ws.cell(row=1, column=2, value="Valeur")
    for i, r in enumerate(CTG_ROWS, start=2):
        _put(ws, i, 1, r.label)
        value = getattr(ctg, r.key) if ctg is not None else None
        if isinstance(value, tuple):
            value = join_list(value)
        _put(ws, i, 2, value, r.kind)
    _style_table(ws, None, (26, 70))
    ws.auto_filter.ref = None


def _keys(sheet: str) -> tuple[str, ...]:
    """The fields of a sheet's columns, in order."""
    return tuple(c.key for c in SHEETS[sheet])


def _record(obj: Any, keys: Iterable[str], **extra: Any) -> dict[str, Any]:
    """One line of a sheet: ``obj``'s attribute for each key, then ``extra``."""
    return {**{k: getattr(obj, k) for k in keys}, **extra}


def _records(doc: PlanDocument) -> dict[str, Any]:
    fiches_by_axis: dict[str, list[FicheSpec]] = {}
    for f in doc.fiches:
        fiches_by_axis.setdefault(f.axis, []).append(f)
    rows: list[dict[str, Any]] = []
    axis_rows = []
    for a in doc.axes:
        axis_rows.append(len(rows))
        rows.append({"axis": a.code, "title": a.title, "objective": a.description})
        rows += [_record(f, _keys(SHEET_FICHES)) for f in fiches_by_axis.get(a.code, [])]
    budget_keys = ("funder", "year", "amount", "spent")
    budgets = [_record(b, budget_keys, fiche=f.code) for f in doc.fiches for b in f.budgets]
    value_keys = ("year", "value", "source", "entered_by")
    definition_keys = [k for k in _keys(SHEET_INDICATORS) if k not in value_keys]
    indicators: list[dict[str, Any]] = []
    for i in doc.indicators:
        indicators.append(_record(i, definition_keys))
        indicators += [_record(v, value_keys, fiche=i.fiche, code=i.code) for v in i.values]
    return {
        SHEET_FICHES: (rows, axis_rows),
        SHEET_BUDGETS: (budgets, ()),
        SHEET_INDICATORS: (indicators, ()),
        SHEET_HISTORY: ([_record(h, _keys(SHEET_HISTORY)) for h in doc.history], ()),
        SHEET_EVALUATION: ([_record(e, _keys(SHEET_EVALUATION)) for e in doc.evaluations], ()),
        SHEET_COPIL: ([_record(c, _keys(SHEET_COPIL)) for c in doc.copil], ()),
    }


def _save(wb, path: str | Path, overwrite: bool) -> Path:
    from ..files import atomic_path, output_path

    target = output_path(path, ".xlsx", overwrite)
    with atomic_path(target) as tmp:
        wb.save(tmp)
    return target


def write_workbook(doc: PlanDocument | None, path: str | Path, *, overwrite: bool = True) -> Path:
    """Write a plan as a workbook (``doc=None``: the empty template); atomic."""
    from openpyxl import Workbook

    wb = Workbook()
    _write_guide(wb)
    _write_ctg(wb, doc.ctg if doc is not None else None)
    records = _records(doc.normalised()) if doc is not None else {}
    for sheet in SHEETS:
        rows, axis_rows = records.get(sheet, ([], ()))
        _write_table(wb, sheet, rows, axis_rows=set(axis_rows))
    return _save(wb, path, overwrite)


def write_template(path: str | Path, *, overwrite: bool = False) -> Path:
    """The empty, documented workbook template."""
    return write_workbook(None, path, overwrite=overwrite)


def export_plan(
    ctg=None,
    path: str | Path = "plan.xlsx",
    *,
    url: str | None = None,
    engine=None,
    session=None,
    overwrite: bool = True,
) -> Path:
    """Write the plan of a CTG (object, code or id; None: the only one) as a workbook that
    :func:`import_plan` reads back identically; atomic. Returns the path written."""
    from . import db
    from .reading import plan_document

    if session is not None:
        return write_workbook(plan_document(session, ctg), path, overwrite=overwrite)
    engine = engine or db.open_database(url)
    with db.session_scope(engine=engine) as s:
        doc = plan_document(s, ctg)
    return write_workbook(doc, path, overwrite=overwrite)
