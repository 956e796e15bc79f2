"""INSEE geographic referential: COG communes and the commune → EPCI composition.

* :func:`read_cog_communes` reads ``v_commune_YYYY.csv`` (``,`` separator, UTF-8) and keeps
  the ``TYPECOM=COM`` rows (data-formats.md §3.1);
* :func:`read_epci_composition` reads ``Intercommunalite_Metropole_au_01-01-YYYY.xlsx``, sheets
  ``Composition_communale`` and ``EPCI`` with 5 title rows above the code header (§3.2).

Both return plain frames whose codes are 5-character strings, plus a :class:`LoadReport`, and
raise :class:`DataError` listing every problem (file, line, column, found, expected) in French.

Layer « sources »: imports socle (errors, geo, input_limits); its own layer (sources.reading).
"""

from __future__ import annotations

import dataclasses
import zipfile
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ..errors import DataError, Issue, IssueCollector, LoadReport, quote
from ..geo import NO_EPCI, check_commune_codes, departement_of
from ..input_limits import check_archive, check_regular
from .reading import LINE, check_unique, read_delimited, to_number

COG_REQUIRED = ["TYPECOM", "COM", "REG", "DEP", "LIBELLE"]
TYPECOM_LABELS = {
    "COMA": "commune associée (COMA)",
    "COMD": "commune déléguée (COMD)",
    "ARM": "arrondissement municipal (ARM)",
}
DEPARTEMENT_PATTERN = r"^(?:\d{2}|2[AB]|97\d)$"
REGION_PATTERN = r"^\d{2}$"
EPCI_PATTERN = rf"^(?:\d{{9}}|{NO_EPCI})$"

SHEET_COMPOSITION = "Composition_communale"
SHEET_EPCI = "EPCI"
COMPOSITION_REQUIRED = ["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"]
EPCI_REQUIRED = ["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"]
HEADER_ROW = 6  # INSEE puts 5 title/label rows above the row of column codes
HEADER_SEARCH_ROWS = 20


def _with_zero_hint(value: str, width: int | None) -> str:
    """Quote a found code, with a hint when a spreadsheet dropped its leading zero."""
    if width and value.isdigit() and len(value) == width - 1:
        return f"{quote(value)} (le zéro initial a disparu : {value.zfill(width)} ?)"
    return quote(value)


def _check_pattern(
    frame: pd.DataFrame,
    column: str,
    pattern: str,
    issues: IssueCollector,
    expected: str,
    width: int | None,
) -> pd.Series:
    """Issue for each value of ``column`` not matching ``pattern``; returns the valid mask."""
    values = frame[column].astype("string")
    ok = values.str.fullmatch(pattern).fillna(False).astype(bool)
    for idx in ok[~ok].index[:50]:
        issues.add(
            _with_zero_hint(str(values.loc[idx] or ""), width),
            expected,
            line=int(frame.at[idx, LINE]),
            column=column,
        )
    return ok


def _check_departement(
    frame: pd.DataFrame,
    code_col: str,
    dep_col: str,
    valid_code: pd.Series,
    issues: IssueCollector,
) -> None:
    """The département column must be the one implied by the commune code."""
    expected_dep = departement_of(frame[code_col])
    bad = valid_code & (frame[dep_col].astype("string") != expected_dep).fillna(True)
    for idx in bad[bad].index[:50]:
        found = str(frame.at[idx, dep_col])
        exp = str(expected_dep.loc[idx])
        hint = " (le zéro initial a disparu ?)" if found.isdigit() and found.zfill(2) == exp else ""
        issues.add(
            f"{quote(found)} pour la commune {frame.at[idx, code_col]}{hint}",
            f"le département {exp}, déduit du code commune",
            line=int(frame.at[idx, LINE]),
            column=dep_col,
        )


def _strip_all(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    frame = frame.copy()
    for col in columns:
        frame[col] = frame[col].astype(str).str.strip()
    return frame


def _drop_empty_codes(
    frame: pd.DataFrame, column: str, report: LoadReport, reason: str
) -> pd.DataFrame:
    empty = frame[column] == ""
    if empty.any():
        report.drop(reason, int(empty.sum()), (f"ligne {n}" for n in frame.loc[empty, LINE]))
    return frame[~empty]


# -- COG communes ---------------------------------------------------------------------------


def read_cog_communes(path: str | Path) -> tuple[pd.DataFrame, LoadReport]:
    """Read INSEE ``v_commune_YYYY.csv``; keep the communes (``TYPECOM=COM``).

    Returns a frame with the str columns ``code, nom, departement, region`` and the load
    report (associated/delegated communes and arrondissements are counted as dropped rows).
    """
    path = Path(path)
    frame = read_delimited(path, sep=",", required=COG_REQUIRED)
    report = LoadReport("Insee, COG – communes", path.name, rows_read=len(frame))
    issues = IssueCollector(path)
    frame = _strip_all(frame, COG_REQUIRED)
    frame = _drop_empty_codes(frame, "COM", report, "code commune (COM) vide")

    typecom = frame["TYPECOM"].str.upper()
    unknown = ~typecom.isin(["COM", *TYPECOM_LABELS])
    for idx in unknown[unknown].index[:50]:
        issues.add(
            quote(frame.at[idx, "TYPECOM"]),
            "un type de commune parmi COM, COMA, COMD, ARM",
            line=int(frame.at[idx, LINE]),
            column="TYPECOM",
        )
    for typ, label in TYPECOM_LABELS.items():
        mask = typecom == typ
        report.drop(label, int(mask.sum()), frame.loc[mask, "COM"])
    kept = frame[typecom == "COM"]

    valid = check_commune_codes(kept["COM"], issues, "COM", kept[LINE])
    _check_departement(kept, "COM", "DEP", valid, issues)
    _check_pattern(kept, "REG", REGION_PATTERN, issues, "un code région à 2 chiffres (ex. 84)", 2)
    empty_name = kept["LIBELLE"] == ""
    for idx in empty_name[empty_name].index[:50]:
        issues.add(
            "une valeur vide",
            "le nom de la commune",
            line=int(kept.at[idx, LINE]),
            column="LIBELLE",
        )
    check_unique(kept, ["COM"], issues, "commune")
    issues.raise_if_any()

    out = pd.DataFrame(
        {
            "code": kept["COM"].astype(str),
            "nom": kept["LIBELLE"].astype(str),
            "departement": kept["DEP"].astype(str),
            "region": kept["REG"].astype(str),
        }
    ).reset_index(drop=True)
    report.rows_kept = len(out)
    return out, report


# -- EPCI composition (xlsx) ----------------------------------------------------------------


def _cell_text(value: object) -> str:
    """Text of an Excel cell as a code reader wants it (1001.0 → '1001', None → '')."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _open_workbook(path: Path):
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    check_regular(path)  # a regular file under the size cap, not a device or a pipe
    check_archive(path)  # nor a « zip bomb »
    try:
        return load_workbook(path, read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        found = (
            "un classeur au format .xls (ancien format Excel)"
            if path.suffix.lower() == ".xls"
            else "un fichier qui n'est pas un classeur Excel .xlsx lisible"
        )
        raise DataError(
            Issue(
                path.name,
                found,
                "un classeur .xlsx (dans Excel : « Enregistrer sous » → « Classeur Excel "
                "(.xlsx) »)",
            )
        ) from None


def _sheet_frame(
    workbook, sheet: str, required: list[str], issues: IssueCollector
) -> tuple[pd.DataFrame, dict[str, str]] | None:
    """Read one sheet as text below its code header; returns (frame, column labels).

    The header is the row that holds every required code, expected on row 6 (5 title rows
    above it, as INSEE publishes) but accepted anywhere in the first rows. The frame has one
    str column per header code plus ``_ligne`` (the Excel row number); fully empty rows are
    skipped. Column labels are 'A (CODGEO)'-like names for the issues.
    """
    from openpyxl.utils import get_column_letter

    rows = workbook[sheet].iter_rows(values_only=True)
    header: list[str] | None = None
    header_row = 0
    seen: list[str] = []
    for number, row in enumerate(rows, start=1):
        cells = [_cell_text(v) for v in row]
        if set(required) <= set(cells):
            header, header_row = cells, number
            break
        if number == HEADER_ROW:
            seen = cells
        if number >= HEADER_SEARCH_ROWS:
            break
    if header is None:
        shown_txt = ", ".join(c for c in seen if c) or "une ligne vide"
        issues.add(
            f"aucune ligne d'en-tête avec les codes {', '.join(required)} (ligne {HEADER_ROW} : "
            f"{shown_txt})",
            f"les codes de colonnes {', '.join(required)} sur la ligne {HEADER_ROW}, sous 5 "
            "lignes de titre comme dans le fichier Insee",
            line=HEADER_ROW,
        )
        return None
    positions = {code: header.index(code) for code in required}
    labels = {code: f"{get_column_letter(pos + 1)} ({code})" for code, pos in positions.items()}
    data: dict[str, list[str]] = {code: [] for code in required}
    lines: list[int] = []
    width = max(positions.values()) + 1
    for number, row in enumerate(rows, start=header_row + 1):
        cells = list(row[:width]) + [None] * (width - len(row[:width]))
        if all(v is None or str(v).strip() == "" for v in cells):
            continue
        for code, pos in positions.items():
            data[code].append(_cell_text(cells[pos]))
        lines.append(number)
    frame = pd.DataFrame(data, dtype=str)
    frame[LINE] = pd.Series(lines, dtype="int64")
    return frame, labels


def _relabel(issues: list[Issue], labels: Mapping[str, str]) -> list[Issue]:
    return [
        dataclasses.replace(i, column=labels.get(i.column, i.column)) if i.column else i
        for i in issues
    ]


def read_epci_composition(
    path: str | Path,
) -> tuple[pd.DataFrame, pd.DataFrame, LoadReport]:
    """Read INSEE ``Intercommunalite_Metropole_au_01-01-YYYY.xlsx``.

    Returns ``(communes, epcis, report)``: ``communes`` has the str columns
    ``code, nom, epci, departement, region`` (``epci`` is ``ZZZZZZZZZ`` for the island
    communes outside any EPCI); ``epcis`` has ``code, nom, nature`` (str) and
    ``nb_communes`` (int, as announced by the file). The ``ZZZZZZZZZ`` "sans objet" row of the
    EPCI sheet is not an EPCI and is left out of ``epcis``.
    """
    path = Path(path)
    workbook = _open_workbook(path)
    try:
        names = list(workbook.sheetnames)
        missing = [s for s in (SHEET_COMPOSITION, SHEET_EPCI) if s not in names]
        if missing:
            raise DataError(
                Issue(
                    path.name,
                    "aucune feuille "
                    + " ni ".join(f"« {s} »" for s in missing)
                    + f" (feuilles présentes : {', '.join(names) or 'aucune'})",
                    f"les feuilles « {SHEET_COMPOSITION} » et « {SHEET_EPCI} » du fichier "
                    "Insee des intercommunalités",
                )
            )
        comp_issues = IssueCollector(path)
        comp_issues.file = f"{path.name} (feuille {SHEET_COMPOSITION})"
        epci_issues = IssueCollector(path)
        epci_issues.file = f"{path.name} (feuille {SHEET_EPCI})"
        comp_read = _sheet_frame(workbook, SHEET_COMPOSITION, COMPOSITION_REQUIRED, comp_issues)
        epci_read = _sheet_frame(workbook, SHEET_EPCI, EPCI_REQUIRED, epci_issues)
    finally:
        workbook.close()
    if comp_read is None or epci_read is None:
        raise DataError(comp_issues.issues + epci_issues.issues)
    comp, comp_labels = comp_read
    epci, epci_labels = epci_read

    report = LoadReport(
        "Insee, intercommunalités (EPCI)", path.name, rows_read=len(comp) + len(epci)
    )
    comp = _drop_empty_codes(
        comp, "CODGEO", report, f"code commune (CODGEO) vide, feuille {SHEET_COMPOSITION}"
    )
    epci = _drop_empty_codes(epci, "EPCI", report, f"code EPCI vide, feuille {SHEET_EPCI}")

    # Composition_communale
    valid = check_commune_codes(comp["CODGEO"], comp_issues, "CODGEO", comp[LINE])
    _check_departement(comp, "CODGEO", "DEP", valid, comp_issues)
    _check_pattern(
        comp, "EPCI", EPCI_PATTERN, comp_issues, f"un SIREN d'EPCI à 9 chiffres ou {NO_EPCI}", None
    )
    _check_pattern(comp, "REG", REGION_PATTERN, comp_issues, "un code région à 2 chiffres", 2)
    check_unique(comp, ["CODGEO"], comp_issues, "commune")

    # EPCI
    _check_pattern(
        epci, "EPCI", EPCI_PATTERN, epci_issues, f"un SIREN d'EPCI à 9 chiffres ou {NO_EPCI}", None
    )
    nb_com, _ = to_number(epci, "NB_COM", epci_issues, allow_empty=False)
    not_int = nb_com.notna() & (nb_com % 1 != 0)
    for idx in not_int[not_int].index[:50]:
        epci_issues.add(
            quote(epci.at[idx, "NB_COM"]),
            "un nombre entier de communes",
            line=int(epci.at[idx, LINE]),
            column="NB_COM",
        )
    check_unique(epci, ["EPCI"], epci_issues, "EPCI")

    all_issues = _relabel(comp_issues.issues, comp_labels) + _relabel(
        epci_issues.issues, epci_labels
    )
    if all_issues:
        raise DataError(all_issues)

    communes = pd.DataFrame(
        {
            "code": comp["CODGEO"].astype(str),
            "nom": comp["LIBGEO"].astype(str),
            "epci": comp["EPCI"].astype(str),
            "departement": comp["DEP"].astype(str),
            "region": comp["REG"].astype(str),
        }
    ).reset_index(drop=True)
    epcis = pd.DataFrame(
        {
            "code": epci["EPCI"].astype(str),
            "nom": epci["LIBEPCI"].astype(str),
            "nature": epci["NATURE_EPCI"].astype(str),
            "nb_communes": nb_com.astype("int64"),
        }
    )
    sans_objet = epcis["code"] == NO_EPCI
    report.drop(
        f"ligne « sans objet » ({NO_EPCI}) de la feuille {SHEET_EPCI} : communes hors EPCI",
        int(sans_objet.sum()),
    )
    epcis = epcis[~sans_objet].reset_index(drop=True)

    # consistency between the two sheets: notes, not errors
    counted = communes.loc[communes["epci"] != NO_EPCI, "epci"].value_counts()
    found = epcis["code"].map(counted).fillna(0).astype("int64")
    differ = found != epcis["nb_communes"]
    if differ.any():
        details = " ; ".join(
            f"{c} : {a} annoncée(s), {f} trouvée(s)"
            for c, a, f in zip(
                epcis.loc[differ, "code"][:5],
                epcis.loc[differ, "nb_communes"][:5],
                found[differ][:5],
                strict=True,
            )
        )
        more = " …" if differ.sum() > 5 else ""
        report.note(
            f"NB_COM de la feuille {SHEET_EPCI} ne correspond pas au nombre de communes de la "
            f"feuille {SHEET_COMPOSITION} pour {int(differ.sum())} EPCI ({details}{more})."
        )
    orphan = sorted(set(counted.index) - set(epcis["code"]))
    if orphan:
        report.note(
            f"{len(orphan)} EPCI de la feuille {SHEET_COMPOSITION} absent(s) de la feuille "
            f"{SHEET_EPCI} : {', '.join(orphan[:10])}{' …' if len(orphan) > 10 else ''}."
        )
    outside = int((communes["epci"] == NO_EPCI).sum())
    if outside:
        report.note(f"{outside} commune(s) hors EPCI (code {NO_EPCI}, « sans objet »).")
    report.rows_kept = len(communes) + len(epcis)
    return communes, epcis, report
