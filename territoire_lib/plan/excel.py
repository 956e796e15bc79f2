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
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from ..errors import DataError, Issue, quote
from .document import (
    AUTO_USER,
    DEFAULT_STATUS,
    QUESTION_LABELS,
    QUESTIONS,
    STATUSES,
    THEMES,
    AxisSpec,
    BudgetLine,
    CopilSpec,
    CtgSpec,
    EvaluationSpec,
    FicheSpec,
    IndicatorSpec,
    PlanDocument,
    StatusChangeSpec,
    ValueSpec,
    fold,
    join_list,
    match_choice,
    split_list,
)

SHEET_GUIDE = "Mode d'emploi"
SHEET_CTG = "CTG"
SHEET_FICHES = "Axes et fiches"
SHEET_BUDGETS = "Budgets"
SHEET_INDICATORS = "Indicateurs et valeurs"
SHEET_HISTORY = "Historique des statuts"
SHEET_EVALUATION = "Évaluation"
SHEET_COPIL = "Comités de pilotage"
REQUIRED_SHEETS = (SHEET_CTG, SHEET_FICHES, SHEET_INDICATORS)
MAX_CODE = 40
HEADER_FILL = "DCE6F1"
AXIS_FILL = "EDEDED"


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


# -- layout ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One column of a sheet: header, field, kind of value, documentation, example."""

    header: str
    key: str
    kind: str
    doc: str
    example: str = ""
    required: bool = False  # the column must be present (values: see each sheet's rules)
    width: int = 14


@dataclass(frozen=True)
class CtgRow:
    """One « Rubrique » of the « CTG » sheet."""

    label: str
    key: str
    kind: str
    doc: str
    example: str = ""
    required: bool = False


CTG_ROWS: tuple[CtgRow, ...] = (
    CtgRow(
        "Code de la CTG",
        "code",
        "code",
        "Identifiant court et unique de la CTG.",
        "CTG-VALMONT-2022",
        True,
    ),
    CtgRow(
        "Intitulé",
        "name",
        "text",
        "Nom de la convention.",
        "CTG de la CA de Valmont-sur-Loue 2022-2025",
        True,
    ),
    CtgRow(
        "Territoire",
        "territory_code",
        "code",
        "Code du territoire couvert : EPCI (SIREN à 9 chiffres), commune (5 caractères), "
        "département ou périmètre déclaré dans les données.",
        "296000011",
        True,
    ),
    CtgRow(
        "Nom du territoire",
        "territory_name",
        "text",
        "Nom en clair du territoire.",
        "CA de Valmont-sur-Loue",
    ),
    CtgRow(
        "Communes du périmètre",
        "communes",
        "communes",
        "Codes des communes séparés par « ; », seulement si le périmètre n'est pas tout le "
        "territoire ci-dessus (vide : toutes ses communes).",
        "96001 ; 96002",
    ),
    CtgRow(
        "Année de début", "start_year", "year", "Première année de la convention.", "2022", True
    ),
    CtgRow("Année de fin", "end_year", "year", "Dernière année de la convention.", "2025", True),
    CtgRow(
        "Date de signature", "signed_on", "date", "Date de signature (JJ/MM/AAAA).", "15/03/2022"
    ),
    CtgRow(
        "Signataires",
        "signatories",
        "list",
        "Signataires séparés par « ; ».",
        "Caf ; CA de Valmont-sur-Loue",
    ),
    CtgRow(
        "Partenaires",
        "partners",
        "list",
        "Autres partenaires associés, séparés par « ; ».",
        "Conseil départemental ; MSA",
    ),
)

FICHE_ONLY = (
    "theme",
    "pilot",
    "partners",
    "public",
    "communes",
    "start",
    "end",
    "status",
    "version",
)

SHEETS: dict[str, tuple[Column, ...]] = {
    SHEET_FICHES: (
        Column("Axe", "axis", "code", "Code de l'axe (enjeu). Une ligne par axe avec la "
               "colonne « Fiche » vide, puis ses fiches.", "1", True, 8),
        Column("Fiche", "code", "code", "Code de la fiche action, unique dans la CTG ; vide "
               "sur la ligne qui définit l'axe.", "1.2", True, 8),
        Column("Intitulé", "title", "text", "Intitulé de l'axe ou de la fiche (obligatoire).",
               "Soutenir l'installation d'assistantes maternelles", True, 45),
        Column("Objectif", "objective", "text", "Enjeu de l'axe, ou objectif de la fiche.",
               "Maintenir le nombre de places chez les assistantes maternelles", False, 45),
        Column("Thème", "theme", "theme", "Thème de la fiche : " + ", ".join(THEMES) + ".",
               "petite enfance", False, 18),
        Column("Pilote", "pilot", "text", "Qui pilote la fiche.", "Relais petite enfance",
               False, 22),
        Column("Partenaires", "partners", "list", "Partenaires de la fiche, séparés par « ; ».",
               "Caf ; PMI", False, 24),
        Column("Public", "public", "text", "Public visé.", "Assistantes maternelles",
               False, 22),
        Column("Communes", "communes", "communes", "Codes des communes concernées séparés par "
               "« ; » ; vide : tout le territoire de la CTG. Les indicateurs du catalogue de la "
               "fiche sont alors calculés sur ces communes.", "96006 ; 96008", False, 16),
        Column("Début", "start", "date", "Début prévu (JJ/MM/AAAA).", "01/09/2023", False, 12),
        Column("Fin", "end", "date", "Fin prévue (JJ/MM/AAAA).", "31/12/2025", False, 12),
        Column("Statut", "status", "status", "Statut de la fiche : " + ", ".join(STATUSES)
               + " (vide : à lancer). Un changement est daté du jour de l'import dans "
               "l'historique.", "en cours", True, 12),
        Column("Version", "version", "version", "Écrit par l'export : ne pas modifier. Protège "
               "les fiches modifiées dans la base depuis l'export.", "3", False, 9),
    ),
    SHEET_BUDGETS: (
        Column("Fiche", "fiche", "code", "Code de la fiche.", "1.2", True, 8),
        Column("Financeur", "funder", "text", "Financeur.", "Caf", True, 28),
        Column("Année", "year", "year", "Année du budget.", "2024", True, 8),
        Column("Montant (€)", "amount", "amount", "Montant prévu en euros (nombre).", "12000",
               True, 14),
        Column("Dépensé (€)", "spent", "amount", "Montant dépensé en euros, une fois connu "
               "(vide : pas encore renseigné).", "11500", False, 14),
    ),
    SHEET_INDICATORS: (
        Column("Fiche", "fiche", "code", "Code de la fiche suivie.", "1.1", True, 8),
        Column("Indicateur", "code", "code", "Code de l'indicateur dans la fiche.",
               "taux_couverture", True, 22),
        Column("Libellé", "label", "text", "Libellé (vide : celui du catalogue).",
               "Taux de couverture global", False, 40),
        Column("Catalogue", "catalogue_id", "catalogue", "Identifiant de l'indicateur du "
               "catalogue, dont les valeurs sont calculées depuis les données (commande "
               "« territoire plan calculer ») ; vide pour un indicateur propre à l'action, "
               "saisi par les partenaires.", "taux_couverture_global", False, 26),
        Column("Unité", "unit", "text", "Unité.", "places pour 100 enfants", False, 16),
        Column("Valeur de référence", "baseline_value", "number", "Valeur avant la CTG.",
               "60,4", False, 12),
        Column("Année de référence", "baseline_year", "year", "Année de la valeur de "
               "référence.", "2021", False, 11),
        Column("Cible", "target_value", "number", "Valeur visée.", "63", False, 10),
        Column("Année cible", "target_year", "year", "Année de la cible.", "2025", False, 10),
        Column("Année", "year", "year", "Vide sur la ligne qui définit l'indicateur ; l'année "
               "de la valeur réalisée sur les lignes suivantes.", "2023", True, 8),
        Column("Valeur réalisée", "value", "number", "Valeur réalisée cette année-là.",
               "61,2", False, 12),
        Column("Source", "source", "text", "D'où vient la valeur.", "Bilan du RPE 2023",
               False, 30),
        Column("Saisi par", "entered_by", "text", "Qui a saisi la valeur (« " + AUTO_USER
               + " » : calculée depuis les données).", "Marie Durand", False, 18),
    ),
    SHEET_HISTORY: (
        Column("Fiche", "fiche", "code", "Code de la fiche.", "1.2", True, 8),
        Column("Date", "date", "date", "Date du changement (JJ/MM/AAAA).", "01/09/2023", True,
               12),
        Column("Ancien statut", "old_status", "status", "Statut avant (vide au départ).",
               "à lancer", False, 14),
        Column("Nouveau statut", "new_status", "status", "Statut après.", "en cours", True, 14),
        Column("Par", "user", "text", "Qui a changé le statut.", "Marie Durand", False, 18),
        Column("Commentaire", "comment", "text", "Pourquoi.", "Validé en comité", False, 40),
    ),
    SHEET_EVALUATION: (
        Column("Axe", "axis", "code", "Code de l'axe évalué.", "1", True, 8),
        Column("Question", "question", "question", "Question du référentiel d'évaluation : "
               + ", ".join(QUESTIONS) + ".", "efficacité", True, 14),
        Column("Année", "year", "year", "Année de l'évaluation (mi-parcours, finale…).",
               "2024", True, 8),
        Column("Réponse", "answer", "text", "Réponse argumentée.", "Objectif atteint à 80 %",
               True, 60),
        Column("Par", "author", "text", "Qui a rédigé la réponse.", "Comité technique", False,
               18),
        Column("Date", "date", "date", "Date de la réponse.", "15/06/2024", False, 12),
    ),
    SHEET_COPIL: (
        Column("Date", "date", "date", "Date du comité de pilotage.", "20/06/2024", True, 12),
        Column("Décision", "text", "text", "Décision prise.", "Report de la fiche 2.3 à 2025",
               True, 70),
        Column("Auteur", "author", "text", "Qui a consigné la décision.", "Secrétariat CTG",
               False, 20),
    ),
}  # fmt: skip

SHEET_DOCS = {
    SHEET_CTG: "La convention : une ligne par rubrique (colonnes « Rubrique » et « Valeur »).",
    SHEET_FICHES: "Les axes (enjeux) et les fiches actions : une ligne par axe (colonne « Fiche "
    "» vide), puis une ligne par fiche.",
    SHEET_BUDGETS: "Le budget prévu de chaque fiche, par financeur et par année.",
    SHEET_INDICATORS: "Les indicateurs de suivi : une ligne qui définit l'indicateur (colonne "
    "« Année » vide : référence et cible), puis une ligne par valeur réalisée.",
    SHEET_HISTORY: "L'historique des statuts de chaque fiche (facultatif).",
    SHEET_EVALUATION: "Les réponses aux questions du référentiel d'évaluation Cnaf, par axe "
    "(facultatif).",
    SHEET_COPIL: "Le relevé des décisions du comité de pilotage (facultatif).",
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


class _Reader:
    def __init__(self, path: Path, geographies: Sequence[Any]):
        self.path = path
        self.file = path.name
        self.geographies = list(geographies)
        self.issues: list[Issue] = []

    def add(self, sheet: str | None, found: str, expected: str, line=None, column=None) -> None:
        self.issues.append(SheetIssue(self.file, found, expected, line, column, sheet))

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

    # sheets ----------------------------------------------------------------------------------
    def read(self) -> PlanDocument:
        wb = self.open()
        try:
            return self._read(wb)
        finally:
            wb.close()

    def _read(self, wb) -> PlanDocument:
        for sheet in REQUIRED_SHEETS:
            if sheet not in wb.sheetnames:
                self.add(
                    sheet,
                    "aucune feuille de ce nom (feuilles du classeur : "
                    + ", ".join(f"« {s} »" for s in wb.sheetnames)
                    + ")",
                    f"une feuille « {sheet} » ({SHEET_DOCS[sheet][:1].lower()}"
                    f"{SHEET_DOCS[sheet][1:-1]} ; voir le modèle : « territoire plan modele »)",
                )
        ctg = self.ctg_sheet(wb) if SHEET_CTG in wb.sheetnames else None
        tables = {s: self.table(wb, s, cols) for s, cols in SHEETS.items()}
        perimeter, geography = self.perimeter(ctg)
        if (
            ctg is not None
            and geography is not None
            and not ctg.territory_name
            and not ctg.communes
        ):
            ctg = dataclasses.replace(ctg, territory_name=geography.name_of(ctg.territory_code))
        axes, fiches = self.fiches_sheet(tables[SHEET_FICHES] or [], perimeter, geography)
        # a sheet that could not be read does not make every reference to it an error too
        fiche_codes = {f.code for f in fiches} if tables[SHEET_FICHES] is not None else None
        budgets = self.budgets_sheet(tables[SHEET_BUDGETS] or [], fiche_codes)
        indicators = self.indicators_sheet(tables[SHEET_INDICATORS] or [], fiche_codes)
        history = self.history_sheet(tables[SHEET_HISTORY] or [], fiche_codes)
        axis_codes = {a.code for a in axes} if tables[SHEET_FICHES] is not None else None
        evaluations = self.evaluation_sheet(tables[SHEET_EVALUATION] or [], axis_codes)
        copil = self.copil_sheet(tables[SHEET_COPIL] or [])
        if self.issues or ctg is None:
            raise DataError(self.issues)
        fiches = [dataclasses.replace(f, budgets=tuple(budgets.get(f.code, ()))) for f in fiches]
        return PlanDocument(
            ctg=ctg,
            axes=tuple(axes),
            fiches=tuple(fiches),
            history=tuple(history),
            indicators=tuple(indicators),
            evaluations=tuple(evaluations),
            copil=tuple(copil),
        ).normalised()

    def ctg_sheet(self, wb) -> CtgSpec | None:
        sheet = SHEET_CTG
        rows = self.rows(wb[sheet])
        by_label = {_header_key(r.label): r for r in CTG_ROWS}
        found: dict[str, Any] = {}
        lines: dict[str, int] = {}
        start = 0
        if rows and _header_key(rows[0][1][0] if rows[0][1] else "") == "rubrique":
            start = 1
        for line, raw in rows[start:]:
            label = raw[0] if raw else None
            value = raw[1] if len(raw) > 1 else None
            spec = by_label.get(_header_key(label))
            if spec is None:
                self.add(
                    sheet,
                    f"la rubrique {quote(_text(label))}",
                    "l'une des rubriques : " + ", ".join(r.label for r in CTG_ROWS),
                    line,
                    "Rubrique",
                )
                continue
            if spec.key in found:
                self.add(
                    sheet,
                    f"la rubrique « {spec.label} » une seconde fois",
                    "chaque rubrique une seule fois",
                    line,
                    "Rubrique",
                )
                continue
            lines[spec.key] = line
            found[spec.key] = self.cell(sheet, line, "Valeur", spec.kind, value)
            if spec.required and _is_blank(value):
                self.add(
                    sheet,
                    "une cellule vide",
                    f"{spec.doc[:1].lower()}{spec.doc[1:-1]}",
                    line,
                    "Valeur",
                )
                found[spec.key] = _INVALID
        for spec in CTG_ROWS:
            if spec.required and spec.key not in found:
                self.add(
                    sheet,
                    f"aucune ligne « {spec.label} »",
                    f"une ligne « {spec.label} » : {spec.doc[:1].lower()}{spec.doc[1:-1]}",
                    None,
                    "Rubrique",
                )
                found[spec.key] = _INVALID
        if any(v is _INVALID for v in found.values()):
            return None
        self.ctg_lines = lines
        start_year, end_year = found["start_year"], found["end_year"]
        if end_year < start_year:
            self.add(
                sheet,
                f"« {end_year} », avant l'année de début {start_year}",
                "une année de fin égale ou postérieure à l'année de début",
                lines["end_year"],
                "Valeur",
            )
            return None
        return CtgSpec(
            code=found["code"],
            name=found["name"],
            territory_code=found["territory_code"],
            start_year=start_year,
            end_year=end_year,
            territory_name=found.get("territory_name") or "",
            communes=found.get("communes") or (),
            signed_on=found.get("signed_on"),
            signatories=found.get("signatories") or (),
            partners=found.get("partners") or (),
        )

    def perimeter(self, ctg: CtgSpec | None) -> tuple[set[str] | None, Any]:
        """Communes of the CTG when some loaded geography knows its territory (else None)."""
        if ctg is None or not self.geographies:
            return None, None
        for i, geo in enumerate(self.geographies):
            if callable(geo):  # loaded only when the previous ones did not know the territory
                geo = self.geographies[i] = geo()
            known = set(geo.communes["code"])
            if ctg.communes:
                if set(ctg.communes) <= known:
                    return set(ctg.communes), geo
                continue
            try:
                members = geo.members(ctg.territory_code)
            except Exception:  # unknown code in this geography: try the next one
                continue
            if members:
                return set(members), geo
        lines = getattr(self, "ctg_lines", {})
        if ctg.communes:
            unknown = sorted(set(ctg.communes) - set(self.geographies[0].communes["code"]))
            self.add(
                SHEET_CTG,
                f"des communes inconnues des données ({', '.join(unknown[:10])})",
                "des codes de communes existantes",
                lines.get("communes"),
                "Valeur",
            )
        else:
            self.add(
                SHEET_CTG,
                f"{quote(ctg.territory_code)} (territoire inconnu des données chargées)",
                "le code d'un EPCI, d'une commune, d'un département ou d'un périmètre des "
                "données (option --source), ou la liste des communes du périmètre",
                lines.get("territory_code"),
                "Valeur",
            )
        return None, None

    def fiches_sheet(self, rows: list[_Row], perimeter: set[str] | None, geography):
        sheet = SHEET_FICHES
        cols = {c.key: c for c in SHEETS[sheet]}
        axes: list[AxisSpec] = []
        fiches: list[FicheSpec] = []
        axis_lines: dict[str, int] = {}
        fiche_lines: dict[str, int] = {}
        for row in rows:
            v = row.values
            if not self.need(sheet, row, [cols["axis"], cols["title"]]) or not row.ok:
                continue
            if _is_blank(row.raw["code"]):
                filled = [k for k in FICHE_ONLY if not _is_blank(row.raw.get(k))]
                for k in filled:
                    self.add(
                        sheet,
                        f"{quote(_text(row.raw[k]))} sur la ligne d'un axe",
                        "une cellule vide : cette colonne décrit les fiches (donnez un code "
                        "dans la colonne « Fiche » pour une fiche)",
                        row.line,
                        cols[k].header,
                    )
                if v["axis"] in axis_lines:
                    self.add(
                        sheet,
                        f"l'axe {quote(v['axis'])} déjà défini ligne {axis_lines[v['axis']]}",
                        "un code d'axe unique",
                        row.line,
                        "Axe",
                    )
                    continue
                if filled:
                    continue
                axis_lines[v["axis"]] = row.line
                axes.append(AxisSpec(v["axis"], v["title"], v["objective"], line=row.line))
                continue
            if v["code"] in fiche_lines:
                self.add(
                    sheet,
                    f"la fiche {quote(v['code'])} déjà définie ligne {fiche_lines[v['code']]}",
                    "un code de fiche unique dans la CTG",
                    row.line,
                    "Fiche",
                )
                continue
            fiche_lines[v["code"]] = row.line
            if v["start"] and v["end"] and v["end"] < v["start"]:
                self.add(
                    sheet,
                    f"« {v['end']:%d/%m/%Y} », avant le début « {v['start']:%d/%m/%Y} »",
                    "une fin postérieure au début",
                    row.line,
                    "Fin",
                )
                continue
            if perimeter is not None:
                outside = [c for c in v["communes"] if c not in perimeter]
                if outside:
                    known = set(geography.communes["code"])
                    unknown = [c for c in outside if c not in known]
                    found = (
                        f"{', '.join(unknown)} (code(s) commune inconnu(s))"
                        if unknown
                        else f"{', '.join(outside)} (commune(s) hors du territoire de la CTG)"
                    )
                    self.add(
                        sheet, found, "des communes du territoire de la CTG", row.line, "Communes"
                    )
                    continue
            fiches.append(
                FicheSpec(
                    axis=v["axis"],
                    code=v["code"],
                    title=v["title"],
                    objective=v["objective"],
                    theme=v["theme"] or "",
                    pilot=v["pilot"],
                    partners=v["partners"],
                    public=v["public"],
                    communes=v["communes"],
                    start=v["start"],
                    end=v["end"],
                    status=v["status"] or DEFAULT_STATUS,
                    version=v["version"],
                    line=row.line,
                )
            )
        defined = ", ".join(axis_lines) or "aucun"
        for f in fiches:
            if f.axis not in axis_lines:
                self.add(
                    sheet,
                    f"l'axe {quote(f.axis)}, qui n'est défini sur aucune ligne",
                    "un axe défini sur sa propre ligne (colonne « Fiche » vide) ; axes "
                    f"définis : {defined}",
                    f.line,
                    "Axe",
                )
        return axes, fiches

    def _fiche_ref(
        self, sheet: str, row: _Row, fiches: set[str] | None, key: str = "fiche"
    ) -> bool:
        code = row.values[key]
        if fiches is not None and code not in fiches:
            self.add(
                sheet,
                f"la fiche {quote(code)}, absente de la feuille « {SHEET_FICHES} »",
                "le code d'une fiche de la feuille « Axes et fiches »",
                row.line,
                "Fiche",
            )
            return False
        return True

    def budgets_sheet(
        self, rows: list[_Row], fiches: set[str] | None
    ) -> dict[str, list[BudgetLine]]:
        sheet = SHEET_BUDGETS
        out: dict[str, list[BudgetLine]] = {}
        seen: dict[tuple, int] = {}
        for row in rows:
            needed = [c for c in SHEETS[sheet] if c.required]
            if not self.need(sheet, row, needed) or not row.ok:
                continue
            if not self._fiche_ref(sheet, row, fiches):
                continue
            v = row.values
            key = (v["fiche"], v["funder"], v["year"])
            if key in seen:
                self.add(
                    sheet,
                    f"un second montant pour {v['funder']} en {v['year']} (déjà ligne {seen[key]})",
                    "un seul montant par fiche, financeur et année",
                    row.line,
                    "Montant (€)",
                )
                continue
            seen[key] = row.line
            out.setdefault(v["fiche"], []).append(
                BudgetLine(v["funder"], v["year"], v["amount"], v["spent"], line=row.line)
            )
        return out

    def indicators_sheet(self, rows: list[_Row], fiches: set[str] | None) -> list[IndicatorSpec]:
        sheet = SHEET_INDICATORS
        cols = {c.key: c for c in SHEETS[sheet]}
        definition_keys = (
            "label",
            "catalogue_id",
            "unit",
            "baseline_value",
            "baseline_year",
            "target_value",
            "target_year",
        )
        value_keys = ("value", "source", "entered_by")
        defs: dict[tuple[str, str], dict[str, Any]] = {}
        def_lines: dict[tuple[str, str], dict[str, int]] = {}
        first_line: dict[tuple[str, str], int] = {}
        values: dict[tuple[str, str], list[ValueSpec]] = {}
        value_lines: dict[tuple, int] = {}
        order: list[tuple[str, str]] = []
        for row in rows:
            if not self.need(sheet, row, [cols["fiche"], cols["code"]]) or not row.ok:
                continue
            if not self._fiche_ref(sheet, row, fiches):
                continue
            v = row.values
            key = (v["fiche"], v["code"])
            if key not in first_line:
                first_line[key] = row.line
                order.append(key)
                defs[key] = {}
                def_lines[key] = {}
            bad = False
            for k in definition_keys:
                if _is_blank(row.raw[k]):
                    continue
                if k in defs[key] and defs[key][k] != v[k]:
                    self.add(
                        sheet,
                        f"{quote(_text(row.raw[k]))}, différent de la ligne {def_lines[key][k]}",
                        "la même valeur sur toutes les lignes de "
                        "l'indicateur (ou une cellule vide)",
                        row.line,
                        cols[k].header,
                    )
                    bad = True
                    continue
                defs[key][k] = v[k]
                def_lines[key][k] = row.line
            if bad:
                continue
            if v["year"] is None:
                filled = [k for k in value_keys if not _is_blank(row.raw[k])]
                if filled:
                    self.add(
                        sheet,
                        f"une cellule vide alors que « {cols[filled[0]].header} » est remplie",
                        "l'année de la valeur réalisée",
                        row.line,
                        "Année",
                    )
                continue
            if v["value"] is None:
                self.add(
                    sheet,
                    "une cellule vide",
                    f"la valeur réalisée en {v['year']}",
                    row.line,
                    "Valeur réalisée",
                )
                continue
            vkey = (*key, v["year"])
            if vkey in value_lines:
                self.add(
                    sheet,
                    f"une seconde valeur pour {v['year']} (déjà ligne {value_lines[vkey]})",
                    "une seule valeur réalisée par indicateur et par année",
                    row.line,
                    "Année",
                )
                continue
            value_lines[vkey] = row.line
            who = v["entered_by"]
            values.setdefault(key, []).append(
                ValueSpec(
                    v["year"],
                    v["value"],
                    v["source"],
                    who,
                    computed=fold(who) == fold(AUTO_USER),
                    line=row.line,
                )
            )
        out = []
        for key in order:
            d = defs[key]
            label = d.get("label") or ""
            if not label and d.get("catalogue_id"):
                from ..indicators import load_catalogue

                label = load_catalogue()[d["catalogue_id"]].label
            if not label:
                self.add(
                    sheet,
                    "une cellule vide",
                    "le libellé de l'indicateur (ou son identifiant dans la colonne « Catalogue »)",
                    first_line[key],
                    "Libellé",
                )
                continue
            out.append(
                IndicatorSpec(
                    fiche=key[0],
                    code=key[1],
                    label=label,
                    catalogue_id=d.get("catalogue_id"),
                    unit=d.get("unit") or "",
                    baseline_value=d.get("baseline_value"),
                    baseline_year=d.get("baseline_year"),
                    target_value=d.get("target_value"),
                    target_year=d.get("target_year"),
                    values=tuple(values.get(key, ())),
                    line=first_line[key],
                )
            )
        return out

    def history_sheet(self, rows: list[_Row], fiches: set[str] | None) -> list[StatusChangeSpec]:
        sheet = SHEET_HISTORY
        cols = {c.key: c for c in SHEETS[sheet]}
        out = []
        for row in rows:
            needed = [cols["fiche"], cols["date"], cols["new_status"]]
            if not self.need(sheet, row, needed) or not row.ok:
                continue
            if not self._fiche_ref(sheet, row, fiches):
                continue
            v = row.values
            out.append(
                StatusChangeSpec(
                    v["fiche"],
                    v["date"],
                    v["new_status"],
                    v["old_status"],
                    v["user"],
                    v["comment"],
                    line=row.line,
                )
            )
        return out

    def evaluation_sheet(self, rows: list[_Row], axes: set[str] | None) -> list[EvaluationSpec]:
        sheet = SHEET_EVALUATION
        cols = {c.key: c for c in SHEETS[sheet]}
        out = []
        seen: dict[tuple, int] = {}
        for row in rows:
            needed = [cols[k] for k in ("axis", "question", "year", "answer")]
            if not self.need(sheet, row, needed) or not row.ok:
                continue
            v = row.values
            if axes is not None and v["axis"] not in axes:
                self.add(
                    sheet,
                    f"l'axe {quote(v['axis'])}, absent de la feuille « {SHEET_FICHES} »",
                    "le code d'un axe défini",
                    row.line,
                    "Axe",
                )
                continue
            key = (v["axis"], v["question"], v["year"])
            if key in seen:
                self.add(
                    sheet,
                    f"une seconde réponse (déjà ligne {seen[key]})",
                    "une réponse par axe, question et année",
                    row.line,
                    "Question",
                )
                continue
            seen[key] = row.line
            out.append(
                EvaluationSpec(
                    v["axis"],
                    v["question"],
                    v["year"],
                    v["answer"],
                    v["author"],
                    v["date"],
                    line=row.line,
                )
            )
        return out

    def copil_sheet(self, rows: list[_Row]) -> list[CopilSpec]:
        sheet = SHEET_COPIL
        cols = {c.key: c for c in SHEETS[sheet]}
        out = []
        for row in rows:
            if not self.need(sheet, row, [cols["date"], cols["text"]]) or not row.ok:
                continue
            v = row.values
            out.append(CopilSpec(v["date"], v["text"], v["author"], line=row.line))
        return out


def _geographies(geography) -> list[Any]:
    if geography is None:
        return []
    if isinstance(geography, list | tuple):
        return [g for g in geography if g is not None]
    return [geography]


def read_workbook(path: str | Path, geography=None) -> PlanDocument:
    """Read and check a plan workbook; raise :class:`DataError` listing every problem.

    ``geography`` (a :class:`~territoire_lib.geo.Geography`, or a list of them — or of
    functions returning one, called only when needed — tried in turn): when
    given, the CTG's territory must be known to one of them and the communes of the fiches
    must belong to the CTG's perimeter; without it only the form of commune codes is checked.
    """
    return _Reader(Path(path), _geographies(geography)).read()


# -- writing -----------------------------------------------------------------------------------
_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]")


def _put(ws, row: int, col: int, value: Any, kind: str = "text"):
    if isinstance(value, str):
        value = _ILLEGAL.sub("", value)
    cell = ws.cell(row=row, column=col, value=value if value != "" else None)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, not a formula
    if kind == "date" and value is not None:
        cell.number_format = "DD/MM/YYYY"
    elif kind in ("code", "communes"):
        cell.number_format = "@"
    elif kind == "amount":
        cell.number_format = "#,##0.00"
    return cell


def _style_table(ws, columns: Sequence[Column] | None, widths: Sequence[int] = ()) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A2"
    widths = list(widths) or [c.width for c in columns or ()]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    if ws.max_row > 1 or columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(max(len(widths), 1))}{max(ws.max_row, 1)}"


def _validation(ws, columns: Sequence[Column], key: str, choices: Sequence[str], rows: int):
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    idx = next(i for i, c in enumerate(columns, start=1) if c.key == key)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Valeur inconnue",
        error="Choisissez une valeur de la liste (voir la feuille « Mode d'emploi »).",
    )
    letter = get_column_letter(idx)
    dv.add(f"{letter}2:{letter}{max(rows, 200)}")
    ws.add_data_validation(dv)


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


def _write_guide(wb) -> None:
    from openpyxl.styles import Alignment, Font

    ws = wb.active
    ws.title = SHEET_GUIDE
    lines = [
        ("Plan d'actions de la CTG — mode d'emploi du classeur", "title"),
        ("Ce classeur décrit le plan d'actions d'une Convention territoriale globale : la "
         "convention, ses axes et fiches actions, leurs budgets, leurs indicateurs de suivi et "
         "leurs valeurs, l'historique des statuts, l'évaluation et les décisions du comité de "
         "pilotage.", ""),
        ("Importer : territoire plan importer FICHIER.xlsx (ajoutez --mettre-a-jour pour une CTG "
         "déjà dans la base). Exporter : territoire plan exporter FICHIER.xlsx. Calculer les "
         "indicateurs du catalogue : territoire plan calculer. Suivi : territoire suivi.", ""),
        ("Règles : ne renommez ni les feuilles ni les en-têtes de colonnes ; une ligne par "
         "élément ; les listes (partenaires, communes, signataires) sont séparées par « ; » ; "
         "les dates au format JJ/MM/AAAA ; les codes commune sur 5 caractères (format texte, "
         "pour garder le zéro initial). Les feuilles « CTG », « Axes et fiches » et « Indicateurs "
         "et valeurs » sont obligatoires, les autres facultatives. À l'import, toutes les "
         "erreurs sont signalées avec la feuille, la ligne et la colonne.", ""),
        ("Mise à jour : une fiche modifiée dans la base depuis l'export (colonne « Version » "
         "différente) n'est jamais écrasée : l'import est refusé et votre version conservée à "
         "part. Rien n'est supprimé par un import : pour arrêter une action, donnez-lui le "
         "statut « abandonnée ».", ""),
        ("Statuts : " + ", ".join(STATUSES) + ". Thèmes : " + ", ".join(THEMES) + ".", ""),
        ("", ""),
        ("Questions du référentiel d'évaluation (feuille « Évaluation ») :", "bold"),
    ]  # fmt: skip
    lines += [
        (f"{QUESTION_LABELS[q]} — {text.split(' : ', 1)[1]}", "") for q, text in QUESTIONS.items()
    ]
    lines += [("", ""), ("Colonnes de chaque feuille :", "bold")]
    row = 1
    for text, style in lines:
        cell = ws.cell(row=row, column=1, value=text or None)
        if style == "title":
            cell.font = Font(bold=True, size=14)
        elif style == "bold":
            cell.font = Font(bold=True)
        row += 1
    headers = ("Feuille", "Colonne / rubrique", "Obligatoire", "Contenu", "Exemple")
    for j, h in enumerate(headers, start=1):
        ws.cell(row=row, column=j, value=h).font = Font(bold=True)
    row += 1
    entries = [(SHEET_CTG, r.label, r.required, r.doc, r.example) for r in CTG_ROWS]
    for sheet, cols in SHEETS.items():
        entries.append((sheet, "(feuille)", sheet in REQUIRED_SHEETS, SHEET_DOCS[sheet], ""))
        entries += [(sheet, c.header, c.required, c.doc, c.example) for c in cols]
    for sheet, col, required, doc, example in entries:
        values = (sheet, col, "oui" if required else "non", doc, example)
        for j, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=j, value=value or None)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if j == 5:
                cell.number_format = "@"
        row += 1
    for letter, width in zip("ABCDE", (24, 24, 12, 80, 34), strict=True):
        ws.column_dimensions[letter].width = width


def _records(doc: PlanDocument) -> dict[str, Any]:
    fiches_by_axis: dict[str, list[FicheSpec]] = {}
    for f in doc.fiches:
        fiches_by_axis.setdefault(f.axis, []).append(f)
    rows: list[dict[str, Any]] = []
    axis_rows = []
    for a in doc.axes:
        axis_rows.append(len(rows))
        rows.append({"axis": a.code, "title": a.title, "objective": a.description})
        for f in fiches_by_axis.get(a.code, []):
            rows.append(
                {
                    "axis": f.axis,
                    "code": f.code,
                    "title": f.title,
                    "objective": f.objective,
                    "theme": f.theme,
                    "pilot": f.pilot,
                    "partners": f.partners,
                    "public": f.public,
                    "communes": f.communes,
                    "start": f.start,
                    "end": f.end,
                    "status": f.status,
                    "version": f.version,
                }
            )
    budgets = [
        {"fiche": f.code, "funder": b.funder, "year": b.year, "amount": b.amount, "spent": b.spent}
        for f in doc.fiches
        for b in f.budgets
    ]
    indicators: list[dict[str, Any]] = []
    for i in doc.indicators:
        indicators.append(
            {
                "fiche": i.fiche,
                "code": i.code,
                "label": i.label,
                "catalogue_id": i.catalogue_id,
                "unit": i.unit,
                "baseline_value": i.baseline_value,
                "baseline_year": i.baseline_year,
                "target_value": i.target_value,
                "target_year": i.target_year,
            }
        )
        indicators += [
            {
                "fiche": i.fiche,
                "code": i.code,
                "year": v.year,
                "value": v.value,
                "source": v.source,
                "entered_by": v.entered_by,
            }
            for v in i.values
        ]
    history = [
        {
            "fiche": h.fiche,
            "date": h.date,
            "old_status": h.old_status,
            "new_status": h.new_status,
            "user": h.user,
            "comment": h.comment,
        }
        for h in doc.history
    ]
    evaluations = [
        {
            "axis": e.axis,
            "question": e.question,
            "year": e.year,
            "answer": e.answer,
            "author": e.author,
            "date": e.date,
        }
        for e in doc.evaluations
    ]
    copil = [{"date": c.date, "text": c.text, "author": c.author} for c in doc.copil]
    return {
        SHEET_FICHES: (rows, axis_rows),
        SHEET_BUDGETS: (budgets, ()),
        SHEET_INDICATORS: (indicators, ()),
        SHEET_HISTORY: (history, ()),
        SHEET_EVALUATION: (evaluations, ()),
        SHEET_COPIL: (copil, ()),
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


# -- database entry points ---------------------------------------------------------------------
def import_plan(
    path: str | Path,
    user: str,
    *,
    url: str | None = None,
    engine=None,
    session=None,
    geography=None,
    update: bool = False,
):
    """Read a workbook and store its plan (see
    :func:`~territoire_lib.plan.service.import_document`); returns the
    :class:`~territoire_lib.plan.service.ImportSummary`.

    With ``session`` the caller commits; otherwise the database (``url``, ``engine``, else
    ``$TERRITOIRE_DB`` or the default SQLite file) is migrated if needed and the import
    committed. Raises :class:`DataError` for a bad workbook (nothing stored),
    :class:`~territoire_lib.plan.service.ConflictError` when a fiche moved meanwhile.
    """
    from . import db, service

    doc = read_workbook(path, geography)
    if session is not None:
        return service.import_document(session, doc, user, update=update)
    engine = engine or db.open_database(url)
    with db.session_scope(engine=engine, user=user) as s:
        return service.import_document(s, doc, user, update=update)


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
    from . import db, service

    if session is not None:
        return write_workbook(service.plan_document(session, ctg), path, overwrite=overwrite)
    engine = engine or db.open_database(url)
    with db.session_scope(engine=engine) as s:
        doc = service.plan_document(s, ctg)
    return write_workbook(doc, path, overwrite=overwrite)
