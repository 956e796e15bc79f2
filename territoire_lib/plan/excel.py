"""The CTG plan workbook: a documented Excel template, import with French errors, export.

Sheets (the « Mode d'emploi » sheet of every exported workbook documents each column):

* « CTG » — the convention: code, title, territory, perimeter, period, signatories, partners
  (two columns « Rubrique » / « Valeur »);
* « Axes et fiches » — one line per axis (column « Fiche » empty), one line per fiche action;
* « Budgets » — one line per fiche, funder and year;
* « Indicateurs et valeurs » — one line per indicator (column « Année » empty: its baseline
  and target) and one line per realised value (year, value, source, who entered it);
* « Historique des statuts », « Évaluation » (questions of the CNAF référentiel per axis),
  « Comités de pilotage » (decisions).

« CTG », « Axes et fiches » and « Indicateurs et valeurs » are required; the other sheets may
be absent (nothing to import). Every problem found is reported at once, in French, naming the
sheet, the line, the column, what was found and what was expected
(:class:`SheetIssue` in a :class:`~territoire_lib.errors.DataError`). Input files are only
read; the export is written to a temporary file then renamed.

A round trip loses nothing: ``read_workbook(write_workbook(doc))`` equals ``doc``
(:class:`~territoire_lib.plan.document.PlanDocument` equality).

Entry points: :func:`import_plan`, :func:`export_plan`, :func:`write_template`,
:func:`read_workbook`, :func:`write_workbook`.

Layout: this module is the facade; the code lives in

* :mod:`.workbook_template` — sheets, columns and « CTG » rubriques, styles, drop-down lists
  and the « Mode d'emploi » sheet;
* :mod:`.workbook_cells` — the cell parsers (French « found … ; expected … »),
  :class:`SheetIssue` and the sheet reader's base;
* :mod:`.workbook_import` — :func:`read_workbook` and :func:`import_plan`;
* :mod:`.workbook_export` — :func:`write_workbook`, :func:`write_template` and
  :func:`export_plan`.

Layer: base partagée (``plan``). Re-exports only.
"""

from __future__ import annotations

from .workbook_cells import PARSERS, SheetIssue
from .workbook_export import export_plan, write_template, write_workbook
from .workbook_import import import_plan, read_workbook
from .workbook_template import (
    AXIS_FILL,
    CTG_ROWS,
    FICHE_ONLY,
    HEADER_FILL,
    MAX_CODE,
    REQUIRED_SHEETS,
    SHEET_BUDGETS,
    SHEET_COPIL,
    SHEET_CTG,
    SHEET_DOCS,
    SHEET_EVALUATION,
    SHEET_FICHES,
    SHEET_GUIDE,
    SHEET_HISTORY,
    SHEET_INDICATORS,
    SHEETS,
    Column,
    CtgRow,
)

__all__ = [
    "AXIS_FILL",
    "CTG_ROWS",
    "FICHE_ONLY",
    "HEADER_FILL",
    "MAX_CODE",
    "PARSERS",
    "REQUIRED_SHEETS",
    "SHEETS",
    "SHEET_BUDGETS",
    "SHEET_COPIL",
    "SHEET_CTG",
    "SHEET_DOCS",
    "SHEET_EVALUATION",
    "SHEET_FICHES",
    "SHEET_GUIDE",
    "SHEET_HISTORY",
    "SHEET_INDICATORS",
    "Column",
    "CtgRow",
    "SheetIssue",
    "export_plan",
    "import_plan",
    "read_workbook",
    "write_template",
    "write_workbook",
]
