"""Reading the cells of a plan workbook: one parser per kind of value (text, code, list,
communes, date, year, number, amount, version, status, theme, question, catalogue id), each
raising a French « found … ; expected … » on a bad cell, :class:`SheetIssue` (an issue naming
the sheet), and the sheet reader's base (open the workbook, find the header row and the
columns, parse every cell, report missing values).

Layer: base partagée (``plan``). Imports the socle (``errors``), ``indicators`` (the catalogue,
lazily), and within ``plan`` :mod:`.document` and :mod:`.workbook_template`; openpyxl lazily.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import DataError, Issue, quote
from .document import QUESTIONS, STATUSES, THEMES, fold, match_choice, split_list
from .workbook_template import MAX_CODE, Column


# -- errors ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class SheetIssue(Issue):
    """An :class:`Issue` that also names the sheet of the workbook."""

    sheet: str | None = None

    def __str__(self) -> str:
        where = [f"fichier « {self.file} »"]
        if self.sheet is not None:
            where.append(f"feuille « {self.sheet} »")
        if self.line is not None:
            where.append(f"ligne {self.line}")
        if self.column is not None:
            where.append(f"colonne « {self.column} »")
        return f"{', '.join(where)} : trouvé {self.found} ; attendu {self.expected}."


class _Bad(Exception):
    def __init__(self, found: str, expected: str):
        self.found, self.expected = found, expected


_INVALID = object()


# -- cell parsers (raise _Bad) -----------------------------------------------------------------
def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _text(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "oui" if v else "non"
    if isinstance(v, datetime):
        return f"{v:%d/%m/%Y}" if v.time() == datetime.min.time() else v.isoformat(" ")
    if isinstance(v, date):
        return f"{v:%d/%m/%Y}"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v).strip()


def _code(v: Any) -> str:
    text = _text(v)
    if len(text) > MAX_CODE:
        raise _Bad(quote(text), f"un code court (au plus {MAX_CODE} caractères)")
    if ";" in text or "\n" in text:
        raise _Bad(quote(text), "un seul code, sans « ; » ni retour à la ligne")
    return text


def _list(v: Any) -> tuple[str, ...]:
    return split_list(_text(v))


def _communes(v: Any) -> tuple[str, ...]:
    out = []
    for code in split_list(_text(v)):
        if re.fullmatch(r"\d{5}|2[AB]\d{3}", code):
            out.append(code)
        elif code.isdigit() and len(code) == 4:
            raise _Bad(
                f"{quote(code)} (le zéro initial a disparu : {code.zfill(5)} ?)",
                "des codes commune de 5 caractères séparés par « ; » (ex. 01001 ; 2A004)",
            )
        else:
            raise _Bad(
                quote(code),
                "des codes commune de 5 caractères séparés par « ; » (ex. 01001 ; 2A004)",
            )
    return tuple(out)


def _date(v: Any) -> date | None:
    if _is_blank(v):
        return None
    if isinstance(v, datetime):
        return v.date()
    if isinstance(v, date):
        return v
    text = _text(v)
    for pattern, order in (
        (r"(\d{1,2})/(\d{1,2})/(\d{4})", "dmy"),
        (r"(\d{4})-(\d{2})-(\d{2})", "ymd"),
    ):
        m = re.fullmatch(pattern, text)
        if m:
            a, b, c = (int(x) for x in m.groups())
            try:
                return date(c, b, a) if order == "dmy" else date(a, b, c)
            except ValueError:
                break
    raise _Bad(quote(text), "une date (JJ/MM/AAAA, ex. 15/03/2024)")


def _number(v: Any, expected: str = "un nombre (ex. 12,5)") -> float | None:
    if _is_blank(v):
        return None
    if isinstance(v, bool):
        raise _Bad(quote(v), expected)
    if isinstance(v, int | float):
        if isinstance(v, float) and math.isnan(v):
            return None
        return float(v)
    text = _text(v)
    clean = re.sub(r"[\s\u00a0\u202f€]", "", text).replace(",", ".")
    if re.fullmatch(r"[-+]?\d+(\.\d+)?", clean):
        return float(clean)
    raise _Bad(quote(text), expected)


def _amount(v: Any) -> float | None:
    value = _number(v, "un montant en euros (un nombre, ex. 12000 ou 12 000,50)")
    if value is not None and value < 0:
        raise _Bad(quote(_text(v)), "un montant positif ou nul, en euros")
    return value


def _year(v: Any) -> int | None:
    if _is_blank(v):
        return None
    expected = "une année sur 4 chiffres (ex. 2024)"
    if isinstance(v, bool | datetime | date):
        raise _Bad(quote(_text(v)), expected)
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    text = _text(v)
    if not (text.isdigit() and len(text) == 4 and 1900 <= int(text) <= 2100):
        raise _Bad(quote(text), expected)
    return int(text)


def _version(v: Any) -> int | None:
    if _is_blank(v):
        return None
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    text = _text(v)
    if not text.isdigit() or int(text) < 1:
        raise _Bad(quote(text), "le numéro de version écrit par l'export (à ne pas modifier)")
    return int(text)


def _choice(choices: tuple[str, ...], what: str) -> Callable[[Any], str | None]:
    def parse(v: Any) -> str | None:
        if _is_blank(v):
            return None
        found = match_choice(_text(v), choices)
        if found is None:
            raise _Bad(quote(_text(v)), f"{what} : {', '.join(choices)}")
        return found

    return parse


def _catalogue_id(v: Any) -> str | None:
    if _is_blank(v):
        return None
    from ..indicators import load_catalogue

    text = _text(v)
    cat = load_catalogue()
    if text not in cat:
        raise _Bad(
            f"{quote(text)} (absent du catalogue des indicateurs)",
            "l'identifiant d'un indicateur du catalogue (ex. taux_couverture_global), ou une "
            "cellule vide pour un indicateur propre à l'action",
        )
    return text


PARSERS: dict[str, Callable[[Any], Any]] = {
    "text": _text,
    "code": _code,
    "list": _list,
    "communes": _communes,
    "date": _date,
    "year": _year,
    "number": _number,
    "amount": _amount,
    "version": _version,
    "status": _choice(STATUSES, "l'un des statuts"),
    "theme": _choice(THEMES, "l'un des thèmes"),
    "question": _choice(tuple(QUESTIONS), "l'une des questions"),
    "catalogue": _catalogue_id,
}


def _header_key(text: Any) -> str:
    return re.sub(r"[^a-z0-9]", "", fold(_text(text)))


# -- reading -----------------------------------------------------------------------------------
@dataclass
class _Row:
    line: int
    values: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    ok: bool = True


class _SheetReader:
    """What every sheet needs: issues collected in French, the workbook opened, a table
    sheet read through its header row, each cell parsed, required values checked."""

    def __init__(self, path: Path, geographies: Sequence[Any]):
        self.path = path
        self.file = path.name
        self.geographies = list(geographies)
        self.issues: list[Issue] = []

    def add(self, sheet: str | None, found: str, expected: str, line=None, column=None) -> None:
        self.issues.append(
            SheetIssue(self.file, found, expected, line=line, column=column, sheet=sheet)
        )

    # workbook and sheets ---------------------------------------------------------------------
    def open(self):
        from openpyxl import load_workbook

        if not self.path.exists():
            self.add(None, "aucun fichier à cet endroit", "un classeur Excel (.xlsx) existant")
            raise DataError(self.issues)
        try:
            return load_workbook(self.path, read_only=True, data_only=True)
        except Exception as exc:  # zip, XML or format errors: not a readable workbook
            self.add(
                None,
                f"un fichier illisible comme classeur Excel ({type(exc).__name__})",
                "un classeur Excel .xlsx (enregistré depuis Excel ou LibreOffice au format "
                "« Classeur Excel 2007-365 »)",
            )
            raise DataError(self.issues) from None

    def rows(self, ws) -> list[tuple[int, tuple]]:
        out = []
        for n, row in enumerate(ws.iter_rows(values_only=True), start=1):
            if any(not _is_blank(v) for v in row):
                out.append((n, row))
        return out

    def table(self, wb, sheet: str, columns: tuple[Column, ...]) -> list[_Row] | None:
        """Rows of a table sheet, cells parsed; None when the sheet cannot be read."""
        if sheet not in wb.sheetnames:
            return None
        rows = self.rows(wb[sheet])
        header_line, header = rows[0] if rows else (1, ())
        where: dict[str, int] = {}
        by_key = {_header_key(c.header): c for c in columns}
        for i, h in enumerate(header):
            col = by_key.get(_header_key(h))
            if col is None:
                continue
            if col.key in where:
                self.add(
                    sheet,
                    f"la colonne {quote(h)} deux fois",
                    "chaque colonne une seule fois",
                    header_line,
                    _text(h),
                )
            where[col.key] = i
        missing = [c for c in columns if c.required and c.key not in where]
        for c in missing:
            self.add(
                sheet,
                "aucune colonne de ce nom dans la ligne d'en-tête",
                f"une colonne « {c.header} » ({c.doc[:1].lower() + c.doc[1:]})",
                header_line,
                c.header,
            )
        if missing:
            return None
        out = []
        for line, raw in rows[1:]:
            row = _Row(line)
            for col in columns:
                i = where.get(col.key)
                value = raw[i] if i is not None and i < len(raw) else None
                row.raw[col.key] = value
                row.values[col.key] = self.cell(sheet, line, col.header, col.kind, value)
                if row.values[col.key] is _INVALID:
                    row.ok = False
            out.append(row)
        return out

    def cell(self, sheet: str, line: int, header: str, kind: str, value: Any) -> Any:
        try:
            return PARSERS[kind](value)
        except _Bad as bad:
            self.add(sheet, bad.found, bad.expected, line, header)
            return _INVALID

    def need(self, sheet: str, row: _Row, columns: Sequence[Column], what: str = "") -> bool:
        """Record an issue for each required value missing in ``row``."""
        ok = True
        for c in columns:
            if _is_blank(row.raw.get(c.key)):
                self.add(
                    sheet,
                    "une cellule vide",
                    what or c.doc[:1].lower() + c.doc[1:],
                    row.line,
                    c.header,
                )
                ok = False
        return ok
