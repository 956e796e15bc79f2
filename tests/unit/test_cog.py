"""COG communes (v_commune_YYYY.csv) and EPCI composition (Intercommunalite_….xlsx) loaders."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from territoire_lib.errors import DataError
from territoire_lib.sources.cog import read_cog_communes, read_epci_composition
from territoire_lib.sources.reading import dialects

COG_HEADER = "TYPECOM,COM,REG,DEP,CTCD,ARR,TNCC,NCC,NCCENR,LIBELLE,CAN,COMPARENT"
COG_ROWS = [
    "COM,01001,84,01,01D,012,5,ABERGEMENT CLEMENCIAT,Abergement-Clémenciat,L'Abergement-Clémenciat,0108,",
    "COM,01004,84,01,01D,012,1,AMBERIEU EN BUGEY,Ambérieu-en-Bugey,Ambérieu-en-Bugey,0101,",
    "COMD,01015,84,01,01D,011,1,ARBIGNIEU,Arbignieu,Arbignieu,0113,01015",
    "COMD,01340,84,01,01D,011,0,BRENAZ,Brénaz,Brénaz,0113,01453",
    "COMA,01091,84,01,01D,011,0,CHAVORNAY,Chavornay,Chavornay,0113,01453",
    "COM,2A004,94,2A,20R,2A1,0,AJACCIO,Ajaccio,Ajaccio,2A98,",
    "COM,2B033,94,2B,20R,2B2,0,BASTIA,Bastia,Bastia,2B98,",
    "COM,75056,11,75,75C,751,0,PARIS,Paris,Paris,7598,",
    "ARM,75101,11,75,75C,751,0,PARIS 1ER ARRONDISSEMENT,Paris 1er Arrondissement,"
    "Paris 1er Arrondissement,,75056",
    "COM,97101,01,971,971,9711,0,ABYMES,Abymes,Les Abymes,97198,",
    "COM,97411,04,974,974,9741,0,SAINT DENIS,Saint-Denis,Saint-Denis,97498,",
]


def write_cog(tmp_path: Path, rows: list[str], header: str = COG_HEADER, **kw) -> Path:
    path = tmp_path / "v_commune_2024.csv"
    path.write_text("\n".join([header, *rows]) + "\n", encoding=kw.get("encoding", "utf-8"))
    return path


# -- v_commune ------------------------------------------------------------------------------


def test_cog_keeps_communes_only(tmp_path):
    communes, report = read_cog_communes(write_cog(tmp_path, COG_ROWS))
    # 11 rows: 7 COM (01001, 01004, 2A004, 2B033, 75056, 97101, 97411), 2 COMD, 1 COMA, 1 ARM
    assert list(communes.columns) == ["code", "nom", "departement", "region"]
    assert communes["code"].tolist() == [
        "01001",
        "01004",
        "2A004",
        "2B033",
        "75056",
        "97101",
        "97411",
    ]
    assert report.rows_read == 11
    assert report.rows_kept == 7
    assert report.dropped == {
        "commune associée (COMA)": 1,
        "commune déléguée (COMD)": 2,
        "arrondissement municipal (ARM)": 1,
    }
    assert "commune déléguée (COMD)" in report.french()


def test_cog_columns_are_strings_with_leading_zeros(tmp_path):
    communes, _ = read_cog_communes(write_cog(tmp_path, COG_ROWS))
    row = communes.set_index("code").loc["01001"]
    assert row["nom"] == "L'Abergement-Clémenciat"  # LIBELLE, not NCC
    assert row["departement"] == "01"
    assert row["region"] == "84"
    # Corsica and overseas: département 2A / 971
    assert communes.set_index("code").loc["2A004", "departement"] == "2A"
    assert communes.set_index("code").loc["97101", "departement"] == "971"
    assert communes.set_index("code").loc["97411", "region"] == "04"
    for col in communes.columns:
        assert all(isinstance(v, str) for v in communes[col])


def test_cog_accepts_bom(tmp_path):
    path = tmp_path / "v_commune_2024.csv"
    path.write_bytes(("\ufeff" + COG_HEADER + "\n" + COG_ROWS[0] + "\n").encode("utf-8"))
    communes, _ = read_cog_communes(path)
    assert communes["code"].tolist() == ["01001"]


def test_cog_resaved_by_excel_is_read(tmp_path):
    # Excel on a French Windows: « ; » instead of « , » and Windows-1252 instead of UTF-8
    path = write_cog(
        tmp_path,
        [r.replace(",", ";") for r in COG_ROWS],
        COG_HEADER.replace(",", ";"),
        encoding="cp1252",
    )
    with dialects() as log:
        communes, _ = read_cog_communes(path)
    assert communes["code"].tolist()[:2] == ["01001", "01004"]
    assert communes["nom"].tolist()[1] == "Ambérieu-en-Bugey"
    assert [(d.encoding, d.separator, d.expected_separator) for d in log] == [("cp1252", ";", ",")]


def test_cog_not_a_text_file(tmp_path):
    path = tmp_path / "v_commune_2024.csv"
    path.write_bytes(b"COM,01001\n" + bytes([0x81, 0x8D]) + b"\n")  # undefined in Windows-1252
    with pytest.raises(DataError) as err:
        read_cog_communes(path)
    assert str(err.value) == (
        "Le fichier ne peut pas être chargé :\n- fichier « v_commune_2024.csv », ligne 2 : "
        "trouvé un octet 0x81 qui n'est ni de l'UTF-8 ni du Windows-1252 ; attendu un fichier "
        "texte en UTF-8 ou Windows-1252 (dans Excel : « Enregistrer sous » puis « CSV UTF-8 "
        "(délimité par des virgules) » ou « CSV (séparateur : point-virgule) »)."
    )


def test_cog_lost_leading_zero(tmp_path):
    rows = [COG_ROWS[0].replace("COM,01001,84,01,", "COM,1001,84,1,"), COG_ROWS[1]]
    with pytest.raises(DataError) as err:
        read_cog_communes(write_cog(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 2, colonne « COM »" in msg
    assert "« 1001 » (le zéro initial a disparu : 01001 ?)" in msg


def test_cog_departement_inconsistent(tmp_path):
    rows = [COG_ROWS[0], COG_ROWS[1].replace(",84,01,", ",84,02,")]
    with pytest.raises(DataError) as err:
        read_cog_communes(write_cog(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 3, colonne « DEP »" in msg
    assert "« 02 » pour la commune 01004" in msg
    assert "le département 01" in msg


def test_cog_lost_zero_in_departement_and_region(tmp_path):
    rows = [COG_ROWS[9].replace(",01,971,", ",1,971,"), COG_ROWS[0].replace(",84,01,", ",84,1,")]
    with pytest.raises(DataError) as err:
        read_cog_communes(write_cog(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 2, colonne « REG »" in msg
    assert "« 1 » (le zéro initial a disparu : 01 ?)" in msg
    assert "ligne 3, colonne « DEP »" in msg


def test_cog_duplicate_commune(tmp_path):
    rows = [COG_ROWS[0], COG_ROWS[1], COG_ROWS[0]]
    with pytest.raises(DataError) as err:
        read_cog_communes(write_cog(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 4, colonne « COM »" in msg
    assert "« 01001 » en double (déjà ligne 2)" in msg


def test_cog_missing_column(tmp_path):
    header = COG_HEADER.replace(",LIBELLE", ",NOM")
    with pytest.raises(DataError) as err:
        read_cog_communes(write_cog(tmp_path, COG_ROWS[:1], header))
    msg = str(err.value)
    assert "ligne 1, colonne « LIBELLE »" in msg
    assert "aucune colonne « LIBELLE »" in msg


def test_cog_unknown_typecom(tmp_path):
    rows = [COG_ROWS[0], "XYZ" + COG_ROWS[1][3:]]
    with pytest.raises(DataError) as err:
        read_cog_communes(write_cog(tmp_path, rows))
    assert "ligne 3, colonne « TYPECOM »" in str(err.value)


def test_cog_empty_code_dropped(tmp_path):
    rows = [COG_ROWS[0], "COM,,84,01,01D,012,5,X,X,X,0108,"]
    communes, report = read_cog_communes(write_cog(tmp_path, rows))
    assert communes["code"].tolist() == ["01001"]
    assert report.dropped == {"code commune (COM) vide": 1}
    assert report.dropped_examples["code commune (COM) vide"] == ["ligne 3"]


# -- Intercommunalite_Metropole_au_01-01-YYYY.xlsx ------------------------------------------

XLSX_NAME = "Intercommunalite_Metropole_au_01-01-2024.xlsx"
COMPOSITION_HEADER = ["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"]
COMPOSITION_LABELS = [
    "Code géographique",
    "Libellé géographique",
    "EPCI - Métropole",
    "Libellé de l'EPCI / Métropole",
    "Département",
    "Région",
]
EPCI_HEADER = ["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"]
EPCI_LABELS = ["EPCI - Métropole", "Libellé de l'EPCI / Métropole", "Nature d'EPCI", "Nombre"]
COMPOSITION_ROWS = [
    ["01001", "L'Abergement-Clémenciat", "200069193", "CC de la Dombes", "01", "84"],
    ["01002", "L'Abergement-de-Varey", "240100883", "CC de la Plaine de l'Ain", "01", "84"],
    ["01004", "Ambérieu-en-Bugey", "240100883", "CC de la Plaine de l'Ain", "01", "84"],
    ["2A004", "Ajaccio", "242010056", "CA du Pays Ajaccien", "2A", "94"],
    ["22016", "Île-de-Bréhat", "ZZZZZZZZZ", "Sans objet", "22", "53"],
]
EPCI_ROWS = [
    ["200069193", "CC de la Dombes", "CC", 36],
    ["240100883", "CC de la Plaine de l'Ain", "CC", 2],
    ["242010056", "CA du Pays Ajaccien", "CA", 10],
    ["ZZZZZZZZZ", "Sans objet", "ZZ", 1],
]


def write_xlsx(
    tmp_path: Path,
    composition: list[list] | None = None,
    epcis: list[list] | None = None,
    *,
    sheets: tuple[str, str] = ("Composition_communale", "EPCI"),
    composition_header: list[str] = COMPOSITION_HEADER,
) -> Path:
    """Workbook shaped like INSEE's: 5 title/label rows, the codes on row 6, data from row 7."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    specs = [
        (sheets[0], composition_header, COMPOSITION_LABELS, composition or COMPOSITION_ROWS),
        (sheets[1], EPCI_HEADER, EPCI_LABELS, epcis or EPCI_ROWS),
    ]
    for name, header, labels, rows in specs:
        ws = wb.create_sheet(name)
        ws.append(["Composition communale des EPCI au 1er janvier 2024"])
        ws.append([])
        ws.append(["Source : Insee, code officiel géographique ; DGCL, Banatic"])
        ws.append([])
        ws.append(labels)
        ws.append(header)
        for row in rows:
            ws.append(row)
    path = tmp_path / XLSX_NAME
    wb.save(path)
    return path


def test_epci_composition_reads_both_sheets(tmp_path):
    communes, epcis, report = read_epci_composition(write_xlsx(tmp_path))
    assert list(communes.columns) == ["code", "nom", "epci", "departement", "region"]
    assert communes["code"].tolist() == ["01001", "01002", "01004", "2A004", "22016"]
    assert communes.set_index("code").loc["01004", "epci"] == "240100883"
    assert communes.set_index("code").loc["2A004", "departement"] == "2A"
    assert communes.set_index("code").loc["22016", "epci"] == "ZZZZZZZZZ"
    assert list(epcis.columns) == ["code", "nom", "nature", "nb_communes"]
    # the "sans objet" row is not an EPCI
    assert epcis["code"].tolist() == ["200069193", "240100883", "242010056"]
    assert epcis["nb_communes"].tolist() == [36, 2, 10]
    assert sum(report.dropped.values()) == 1
    assert report.rows_read == 5 + 4


def test_epci_nb_com_mismatch_is_a_note(tmp_path):
    _, _, report = read_epci_composition(write_xlsx(tmp_path))
    # 200069193 announces 36 communes, the cut file lists 1; 242010056: 10 announced, 1 found;
    # 240100883: 2 announced, 2 found (01002, 01004) → 2 EPCI differ.
    text = " ".join(report.notes)
    assert "pour 2 EPCI" in text
    assert "200069193 : 36 annoncée(s), 1 trouvée(s)" in text
    assert "240100883" not in text.split("pour 2 EPCI")[1].split("242010056")[0]
    assert "1 commune(s) hors EPCI" in text


def test_epci_lost_leading_zero_from_excel_number(tmp_path):
    rows = [list(r) for r in COMPOSITION_ROWS]
    rows[1][0] = 1002  # Excel turned 01002 into the number 1002 (Excel row 8)
    with pytest.raises(DataError) as err:
        read_epci_composition(write_xlsx(tmp_path, rows))
    msg = str(err.value)
    assert f"fichier « {XLSX_NAME} (feuille Composition_communale) »" in msg
    assert "ligne 8, colonne « A (CODGEO) »" in msg
    assert "« 1002 » (le zéro initial a disparu : 01002 ?)" in msg


def test_epci_bad_epci_code_and_departement(tmp_path):
    rows = [list(r) for r in COMPOSITION_ROWS]
    rows[0][2] = "20006919"  # 8 digits, Excel row 7
    rows[2][4] = "1"  # DEP lost its zero, Excel row 9
    with pytest.raises(DataError) as err:
        read_epci_composition(write_xlsx(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 7, colonne « C (EPCI) »" in msg
    assert "un SIREN d'EPCI à 9 chiffres ou ZZZZZZZZZ" in msg
    assert "ligne 9, colonne « E (DEP) »" in msg


def test_epci_text_in_nb_com(tmp_path):
    epcis = [list(r) for r in EPCI_ROWS]
    epcis[2][3] = "dix"  # Excel row 9 of sheet EPCI, column D
    with pytest.raises(DataError) as err:
        read_epci_composition(write_xlsx(tmp_path, epcis=epcis))
    msg = str(err.value)
    assert f"« {XLSX_NAME} (feuille EPCI) », ligne 9, colonne « D (NB_COM) »" in msg
    assert "trouvé « dix »" in msg


def test_epci_negative_nb_com(tmp_path):
    epcis = [list(r) for r in EPCI_ROWS]
    epcis[0][3] = -3
    with pytest.raises(DataError) as err:
        read_epci_composition(write_xlsx(tmp_path, epcis=epcis))
    msg = str(err.value)
    assert "ligne 7, colonne « D (NB_COM) »" in msg and "positif" in msg


def test_epci_duplicate_commune(tmp_path):
    rows = [*COMPOSITION_ROWS, COMPOSITION_ROWS[0]]  # repeated on Excel row 12
    with pytest.raises(DataError) as err:
        read_epci_composition(write_xlsx(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 12, colonne « A (CODGEO) »" in msg
    assert "« 01001 » en double (déjà ligne 7)" in msg


def test_epci_missing_sheet_lists_sheets(tmp_path):
    path = write_xlsx(tmp_path, sheets=("Composition", "EPCI"))
    with pytest.raises(DataError) as err:
        read_epci_composition(path)
    msg = str(err.value)
    assert "aucune feuille « Composition_communale »" in msg
    assert "feuilles présentes : Composition, EPCI" in msg


def test_epci_missing_column(tmp_path):
    header = ["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEPARTEMENT", "REG"]
    with pytest.raises(DataError) as err:
        read_epci_composition(write_xlsx(tmp_path, composition_header=header))
    msg = str(err.value)
    assert "(feuille Composition_communale) », ligne 6" in msg
    assert "CODGEO, LIBGEO, EPCI, LIBEPCI, DEPARTEMENT, REG" in msg


def test_epci_header_without_title_rows_is_accepted(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Composition_communale"
    ws.append(COMPOSITION_HEADER)
    ws.append(COMPOSITION_ROWS[0])
    ws2 = wb.create_sheet("EPCI")
    ws2.append(EPCI_HEADER)
    ws2.append(["200069193", "CC de la Dombes", "CC", 1])
    path = tmp_path / XLSX_NAME
    wb.save(path)
    communes, epcis, report = read_epci_composition(path)
    assert communes["code"].tolist() == ["01001"]
    assert epcis["nb_communes"].tolist() == [1]
    assert not any("NB_COM" in n for n in report.notes)


def test_epci_not_an_xlsx(tmp_path):
    path = tmp_path / "Intercommunalite_Metropole_au_01-01-2024.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0 old excel")
    with pytest.raises(DataError) as err:
        read_epci_composition(path)
    assert ".xls (ancien format Excel)" in str(err.value)


def test_epci_empty_code_rows_dropped(tmp_path):
    rows = [*COMPOSITION_ROWS, [None, "Ligne sans code", "200069193", "x", "01", "84"]]
    communes, _, report = read_epci_composition(write_xlsx(tmp_path, rows))
    assert len(communes) == 5
    reason = "code commune (CODGEO) vide, feuille Composition_communale"
    assert report.dropped[reason] == 1
    assert report.dropped_examples[reason] == ["ligne 12"]
