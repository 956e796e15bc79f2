"""XLSX and CSV exports: sheets, French headers, number formats, secrecy visible, atomic and
non-destructive writes."""

from __future__ import annotations

import numpy as np
import openpyxl
import pandas as pd
import pytest

from territoire_lib import exports
from territoire_lib.dataset import load_territory
from territoire_lib.diagnostic import diagnose
from territoire_lib.errors import TerritoireError
from territoire_lib.indicators import indicator_table


@pytest.fixture(scope="module")
def demo():
    return load_territory("demo")


def _frame():
    f = pd.DataFrame(
        {
            "Commune": ["Alpha", "Bêta", "Gamma"],
            "Année": [2023, 2023, 2023],
            "Valeur": [1234.5, "secret", "n.d."],
            "Remarques": ["", "secret statistique", "part estimée : 40 %, à vérifier"],
            "_decimales": [1, 1, 1],
        }
    )
    f.attrs["row_decimals"] = ["Valeur"]
    f.attrs["formats"] = {"Année": "0"}
    return f


def _rows(ws):
    return [list(r) for r in ws.iter_rows(values_only=True)]


def test_xlsx_round_trip_of_frames(tmp_path):
    path = tmp_path / "tableau.xlsx"
    out = exports.to_xlsx({"Petite enfance": _frame(), "Définitions et sources": _frame()}, path)
    assert out == path
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Petite enfance", "Définitions et sources"]
    ws = wb["Petite enfance"]
    rows = _rows(ws)
    assert rows[0] == ["Commune", "Année", "Valeur", "Remarques"]  # hidden column dropped
    assert rows[1][:3] == ["Alpha", 2023, 1234.5]
    assert rows[2][2] == "secret" and rows[3][2] == "n.d."
    # invariant Excel syntax: shown « 1 234,5 » by a French Excel
    assert ws["C2"].number_format == "#,##0.0"
    assert ws["B2"].number_format == "0"
    assert ws["A1"].font.bold and ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:D4"
    assert ws["C3"].font.italic  # « secret » greyed
    assert ws["D4"].fill.fgColor.rgb.endswith("FCE4D6")  # « à vérifier » highlighted
    assert ws.column_dimensions["D"].width >= len("part estimée : 40 %, à vérifier")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["tableau.xlsx"]  # no temp file left


def test_xlsx_of_an_indicator_table_one_sheet_per_theme(demo, tmp_path):
    table = indicator_table(demo, "96003")
    path = exports.to_xlsx(table, tmp_path / "commune.xlsx")
    wb = openpyxl.load_workbook(path)
    themes = list(dict.fromkeys(table["theme_libelle"]))
    assert wb.sheetnames == [*themes, "Définitions et sources"]
    ctx = wb["Contexte"]
    header = [c.value for c in ctx[1]]
    # the recomputed value stands beside a published headline (coverage rates)
    assert header[:6] == [
        "Indicateur", "Année", "Valeur", "Valeur recalculée", "Unité", "Département"
    ]  # fmt: skip
    by_label = {r[0]: r for r in _rows(ctx)[1:]}
    # Bréval-la-Côte's poverty rate is not published by Filosofi: written « secret »
    assert by_label["Taux de pauvreté"][2] == "secret"
    assert "secret statistique" in by_label["Taux de pauvreté"][-1]
    # a count has no decimals, a rate one
    pop_row = next(i for i, r in enumerate(_rows(ctx)) if r[0] == "Population") + 1
    share_row = next(i for i, r in enumerate(_rows(ctx)) if r[0] == "Part des moins de 18 ans") + 1
    assert ctx.cell(pop_row, 3).number_format == "#,##0"
    assert ctx.cell(share_row, 3).number_format == "#,##0.0"
    assert ctx.cell(share_row, 7).number_format == "+#,##0.0;-#,##0.0;0.0"
    defs = _rows(wb["Définitions et sources"])
    assert defs[0][:4] == ["Thème", "Indicateur", "Identifiant", "Définition"]
    assert {r[2] for r in defs[1:]} == set(table["indicateur"])


def test_xlsx_of_a_whole_diagnostic(demo, tmp_path):
    d = diagnose(demo, "CTG-COTEAUX-ORVANNE")
    path = exports.to_xlsx(d, tmp_path / "diagnostic.xlsx")
    wb = openpyxl.load_workbook(path)
    names = wb.sheetnames
    assert names[0] == "Synthèse" and names[-3:] == ["Inclusion", "SPPE", "Définitions et sources"]
    assert "Petite enfance" in names
    inc = _rows(wb["Inclusion"])
    assert inc[0][:3] == ["Rang", "Code", "Commune"] and "Indice de besoins" in inc[0]
    assert len(inc) == 1 + 5
    col = inc[0].index("Taux de pauvreté (%)")
    assert "secret" in [r[col] for r in inc[1:]]
    sppe = _rows(wb["SPPE"])
    # the SPPE thresholds apply to the population totale (populations légales loaded)
    assert sppe[0] == [
        "Code",
        "Commune",
        "Population totale",
        "Population retenue pour les seuils",
        "Compétence exercée par",
        "Strate",
        "Compétences obligatoires",
    ]
    # estimated places of a perimeter are marked « à vérifier » and highlighted
    pe = wb["Petite enfance"]
    marked = [c for row in pe.iter_rows(min_row=2) for c in row if "à vérifier" in str(c.value)]
    assert marked and all(c.fill.fgColor.rgb.endswith("FCE4D6") for c in marked)
    syn = _rows(wb["Synthèse"])
    assert syn[0] == ["Rubrique", "Contenu"] and ["Données", "fictives (démonstration)"] in syn


def test_csv_bom_separator_and_decimal_comma(tmp_path):
    path = exports.to_csv(_frame(), tmp_path / "tableau.csv")
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel FR reads the accents
    lines = raw.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Commune;Année;Valeur;Remarques"
    assert lines[1] == "Alpha;2023;1234,5;"  # decimal comma, no thousands separator
    assert lines[2] == "Bêta;2023;secret;secret statistique"
    assert lines[3] == "Gamma;2023;n.d.;part estimée : 40 %, à vérifier"


def test_csv_of_an_indicator_table(demo, tmp_path):
    table = indicator_table(demo, "96003")
    path = exports.to_csv(table, tmp_path / "commune.csv")
    frame = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert list(frame.columns[:4]) == ["Thème", "Indicateur", "Année", "Valeur"]
    pov = frame[frame["Indicateur"] == "Taux de pauvreté"].iloc[0]
    assert pov["Valeur"] == "secret"
    share = frame[frame["Indicateur"] == "Part des moins de 18 ans"].iloc[0]
    t = table.set_index("indicateur").loc["part_moins_18_ans"]
    assert share["Valeur"] == f"{t['valeur']:.1f}".replace(".", ",")


def test_existing_files_are_kept_unless_overwrite(tmp_path):
    path = tmp_path / "tableau.csv"
    path.write_text("ancien", encoding="utf-8")
    with pytest.raises(TerritoireError, match="existe déjà"):
        exports.to_csv(_frame(), path)
    assert path.read_text(encoding="utf-8") == "ancien"
    exports.to_csv(_frame(), path, overwrite=True)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")


def test_bad_names_give_french_errors(tmp_path):
    with pytest.raises(TerritoireError, match=r"« tableau\.txt ».*\.csv ou \.xlsx"):
        exports.write(_frame(), tmp_path / "tableau.txt")
    with pytest.raises(TerritoireError, match="attendu un fichier .xlsx"):
        exports.to_xlsx(_frame(), tmp_path / "tableau.csv")
    with pytest.raises(TerritoireError, match="n'existe pas"):
        exports.to_csv(_frame(), tmp_path / "absent" / "tableau.csv")


def test_sheet_names_are_cleaned_and_unique(tmp_path):
    f = pd.DataFrame({"a": [1.0, np.nan]})
    name = "Logement / accès aux droits : un nom bien trop long pour Excel"
    path = exports.to_xlsx({name: f, name + " bis": f}, tmp_path / "x.xlsx")
    names = openpyxl.load_workbook(path).sheetnames
    assert all(len(n) <= 31 and "/" not in n and ":" not in n for n in names)
    assert len(set(names)) == 2
