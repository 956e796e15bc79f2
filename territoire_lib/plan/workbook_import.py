"""Importing a plan workbook: every sheet read and checked (French errors naming sheet, line
and column, all reported at once in a :class:`~territoire_lib.errors.DataError`), the plan
assembled as a :class:`~.document.PlanDocument` (:func:`read_workbook`) and stored in the
database (:func:`import_plan`). Input files are only read.

« CTG », « Axes et fiches » and « Indicateurs et valeurs » are required; the other sheets may
be absent (nothing to import).

Layer: base partagée (``plan``). Imports the socle (``errors``), ``indicators`` (the catalogue,
lazily), and within ``plan`` :mod:`.document`, :mod:`.workbook_template`,
:mod:`.workbook_cells`, and lazily :mod:`.db` and :mod:`.document_import` (the database
entry point).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from ..errors import DataError, quote
from .document import (
    AUTO_USER,
    DEFAULT_STATUS,
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
)
from .workbook_cells import _INVALID, _header_key, _is_blank, _Row, _SheetReader, _text
from .workbook_template import (
    CTG_ROWS,
    FICHE_ONLY,
    REQUIRED_SHEETS,
    SHEET_BUDGETS,
    SHEET_COPIL,
    SHEET_CTG,
    SHEET_DOCS,
    SHEET_EVALUATION,
    SHEET_FICHES,
    SHEET_HISTORY,
    SHEET_INDICATORS,
    SHEETS,
)


class _Reader(_SheetReader):
    """The sheets of the plan workbook, checked one by one then assembled."""

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
    committed (:func:`~.db.write`: an import that lost a race with another one is run again
    on the new state). Raises :class:`DataError` for a bad workbook (nothing stored),
    :class:`~territoire_lib.plan.service.ConflictError` when a fiche moved meanwhile (the
    refused versions are kept), a French :class:`~.errors.DatabaseError` when the database
    is busy or refuses.
    """
    from . import db
    from .document_import import import_document

    doc = read_workbook(path, geography)
    if session is not None:
        return import_document(session, doc, user, update=update)
    engine = engine or db.open_database(url)
    return db.write(
        lambda s: import_document(s, doc, user, update=update), engine=engine, user=user
    )
