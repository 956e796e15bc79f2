"""INSEE loaders: RP IRIS bases (population by age, families) and Filosofi (wide and Melodi)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from territoire_lib.errors import DataError
from territoire_lib.sources.insee import (
    read_families,
    read_filosofi_long,
    read_filosofi_wide,
    read_population_age,
)
from territoire_lib.sources.reading import dialects

GEO_COLS = "IRIS;REG;DEP;UU2020;COM;LIBCOM;TRIRIS;GRD_QUART;LIBIRIS;TYP_IRIS;MODIF_IRIS;LAB_IRIS"
POP_SUFFIXES = ["POP", "POP0002", "POP0305", "POP0610", "POP1117", "POP1824", "POP2539"]


def geo(iris: str, com: str, dep: str = "01", name: str = "Commune") -> str:
    return f"{iris};84;{dep};01000;{com};{name};ZZZZZZ;{com}00;{name};H;00;5"


def pop_header(yy: str = "21") -> str:
    return GEO_COLS + ";" + ";".join(f"P{yy}_{s}" for s in POP_SUFFIXES) + f";C{yy}_POP15P"


def write(tmp_path: Path, name: str, lines: list[str], encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


# Belfort-like commune 01002 split in two IRIS, 01001 as one pseudo-IRIS <COM>0000
POP_ROWS = [
    geo("010010000", "01001", name="L'Abergement") + ";12.3456;0.5;1;2;3;4;5;10",
    geo("010020101", "01002") + ";12.3456;1.25;2.5;3;4;5;6;10",
    geo("010020102", "01002") + ";7.5;0.75;1.5;2;3;4;5;6",
]


def pop_file(tmp_path: Path, rows: list[str] = POP_ROWS, yy: str = "21", **kw) -> Path:
    return write(tmp_path, f"base-ic-evol-struct-pop-20{yy}.csv", [pop_header(yy), *rows], **kw)


def value(obs: pd.DataFrame, commune: str, variable: str, annee: int | None = None) -> float:
    sel = obs[(obs["commune"] == commune) & (obs["variable"] == variable)]
    if annee is not None:
        sel = sel[sel["annee"] == annee]
    assert len(sel) == 1, sel
    return float(sel["valeur"].iloc[0])


def statut(obs: pd.DataFrame, commune: str, variable: str) -> str:
    sel = obs[(obs["commune"] == commune) & (obs["variable"] == variable)]
    assert len(sel) == 1, sel
    return str(sel["statut"].iloc[0])


# -- RP population by age -------------------------------------------------------------------


def test_population_sums_iris_with_decimals(tmp_path):
    obs, report = read_population_age(pop_file(tmp_path))
    assert list(obs.columns) == ["commune", "annee", "variable", "valeur", "statut"]
    # 01002 = 12.3456 + 7.5 = 19.8456 (weighted counts, never rounded)
    assert value(obs, "01002", "pop_totale") == pytest.approx(19.8456)
    # 0-2: 1.25 + 0.75 = 2.0 ; 3-5: 2.5 + 1.5 = 4.0 ; 6-10: 3 + 2 = 5 ; 18-24: 5 + 4 = 9
    assert value(obs, "01002", "pop_0_2") == pytest.approx(2.0)
    assert value(obs, "01002", "pop_3_5") == pytest.approx(4.0)
    assert value(obs, "01002", "pop_6_10") == pytest.approx(5.0)
    assert value(obs, "01002", "pop_18_24") == pytest.approx(9.0)
    assert value(obs, "01001", "pop_0_2") == pytest.approx(0.5)
    assert obs["valeur"].dtype == "float64"
    assert set(obs["annee"]) == {2021}
    assert set(obs["statut"]) == {"publie"}
    # 6 variables × 2 communes; P21_POP2539 is not read
    assert len(obs) == 12
    assert set(obs["variable"]) == {
        "pop_totale",
        "pop_0_2",
        "pop_3_5",
        "pop_6_10",
        "pop_11_17",
        "pop_18_24",
    }
    assert report.rows_read == 3 and report.rows_kept == 3


@pytest.mark.parametrize(("yy", "year"), [("21", 2021), ("22", 2022)])
def test_population_year_from_prefix(tmp_path, yy, year):
    obs, _ = read_population_age(pop_file(tmp_path, yy=yy))
    assert set(obs["annee"]) == {year}


def test_population_without_year_prefix(tmp_path):
    header = GEO_COLS + ";POP;POP0002"
    path = write(tmp_path, "pop.csv", [header, geo("010010000", "01001") + ";1;2"])
    with pytest.raises(DataError) as err:
        read_population_age(path)
    msg = str(err.value)
    assert "ligne 1" in msg and "P21_POP" in msg and "préfixe de l'année" in msg


def test_population_folds_arrondissements(tmp_path):
    rows = [
        geo("751010101", "75101", "75", "Paris 1er") + ";100.25;1;1;1;1;1;1;1",
        geo("751020101", "75102", "75", "Paris 2e") + ";50.5;2;2;2;2;2;2;2",
        geo("132010101", "13201", "13", "Marseille 1er") + ";10;1;1;1;1;1;1;1",
    ]
    obs, report = read_population_age(pop_file(tmp_path, rows))
    # 75101 + 75102 → 75056: 100.25 + 50.5 = 150.75 ; 0-2: 1 + 2 = 3
    assert value(obs, "75056", "pop_totale") == pytest.approx(150.75)
    assert value(obs, "75056", "pop_0_2") == pytest.approx(3.0)
    assert value(obs, "13055", "pop_totale") == pytest.approx(10.0)
    assert set(obs["commune"]) == {"75056", "13055"}
    assert any("arrondissements municipaux" in n for n in report.notes)


def test_population_corsica_and_overseas_codes(tmp_path):
    rows = [
        geo("2A0040101", "2A004", "2A") + ";1.5;1;1;1;1;1;1;1",
        geo("2B0330000", "2B033", "2B") + ";2.5;1;1;1;1;1;1;1",
        geo("971010101", "97101", "971") + ";3.5;1;1;1;1;1;1;1",
        geo("976110000", "97611", "976") + ";4.5;1;1;1;1;1;1;1",
    ]
    obs, _ = read_population_age(pop_file(tmp_path, rows))
    assert sorted(set(obs["commune"])) == ["2A004", "2B033", "97101", "97611"]
    assert value(obs, "2A004", "pop_totale") == pytest.approx(1.5)
    assert value(obs, "97611", "pop_totale") == pytest.approx(4.5)


def test_population_unmatched_codes(tmp_path):
    obs, report = read_population_age(pop_file(tmp_path), known_communes={"01001"})
    assert report.unmatched_codes == ["01002"]
    assert "01002" in set(obs["commune"])  # kept; the dataset decides
    assert "codes absents du référentiel : 1 (01002)" in report.french()


def test_population_empty_code_dropped(tmp_path):
    rows = [*POP_ROWS, geo("", "") + ";1;1;1;1;1;1;1;1"]
    obs, report = read_population_age(pop_file(tmp_path, rows))
    assert report.dropped == {"code commune (COM) vide": 1}
    assert report.dropped_examples["code commune (COM) vide"] == ["ligne 5"]
    assert report.rows_kept == 3
    assert value(obs, "01002", "pop_totale") == pytest.approx(19.8456)


def test_population_comma_separator_is_detected(tmp_path):
    # the same file resaved with commas (issue 13, item 5): read as it is, noted in the log
    lines = [pop_header().replace(";", ","), *(r.replace(";", ",") for r in POP_ROWS)]
    path = write(tmp_path, "base-ic-evol-struct-pop-2021.csv", lines)
    with dialects() as log:
        obs, _ = read_population_age(path)
    assert value(obs, "01002", "pop_totale") == pytest.approx(19.8456)  # 12.3456 + 7.5
    assert [(d.separator, d.expected_separator, d.encoding) for d in log] == [(",", ";", "utf-8")]


def test_population_windows_1252(tmp_path):
    # Excel on a French Windows writes « Ambérieu » as the single byte 0xE9 (line 3)
    rows = [POP_ROWS[0], geo("010020101", "01002", name="Ambérieu") + ";1;1;1;1;1;1;1;1"]
    with dialects() as log:
        obs, _ = read_population_age(pop_file(tmp_path, rows, encoding="cp1252"))
    assert value(obs, "01002", "pop_totale") == pytest.approx(1.0)
    assert log[0].encoding == "cp1252"
    assert "lu en Windows-1252" in log[0].french()


def test_population_lost_leading_zero(tmp_path):
    rows = [geo("10010000", "1001") + ";1;1;1;1;1;1;1;1", POP_ROWS[1]]
    with pytest.raises(DataError) as err:
        read_population_age(pop_file(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 2, colonne « COM »" in msg
    assert "« 1001 » (le zéro initial a disparu : 01001 ?)" in msg
    assert "ligne 2, colonne « IRIS »" in msg
    assert "« 10010000 » (le zéro initial a disparu : 010010000 ?)" in msg


def test_population_missing_column_is_a_remark(tmp_path):
    # issue 13, item 3: an extract without P21_POP1824 loads; only 18-24 is missing
    header = pop_header().replace(";P21_POP1824", ";P21_POP1825")
    path = write(tmp_path, "base-ic-evol-struct-pop-2021.csv", [header, *POP_ROWS])
    obs, report = read_population_age(path)
    assert "pop_18_24" not in set(obs["variable"])
    assert value(obs, "01002", "pop_0_2") == pytest.approx(2.0)  # 1.25 + 0.75
    # (the fixture has no P21_POP65P either: the 65 and over are missing too)
    assert report.missing_columns == {"P21_POP1824": "pop_18_24", "P21_POP65P": "pop_65_plus"}
    assert report.missing_column_texts({})[0] == (
        "colonne « P21_POP1824 » absente : la variable « Jeunes de 18 à 24 ans » n'est pas "
        "chargée ; aucun indicateur du catalogue ne l'utilise."
    )


def test_population_without_any_census_column_is_refused(tmp_path):
    header = GEO_COLS + ";POP;POP0002"
    path = write(
        tmp_path, "base-ic-evol-struct-pop-2021.csv", [header, geo("010010000", "01001") + ";1;1"]
    )
    with pytest.raises(DataError) as err:
        read_population_age(path)
    assert "ligne 1 : trouvé aucune colonne P21_POP, P22_POP" in str(err.value)


def test_population_missing_com_column(tmp_path):
    header = pop_header().replace(";COM;", ";CODGEO;")
    path = write(tmp_path, "base-ic-evol-struct-pop-2021.csv", [header, *POP_ROWS])
    with pytest.raises(DataError) as err:
        read_population_age(path)
    assert "ligne 1, colonne « COM »" in str(err.value)


def test_population_text_in_numeric_column(tmp_path):
    rows = [POP_ROWS[0], geo("010020101", "01002") + ";12.3456;n/a;1;1;1;1;1;1"]
    with pytest.raises(DataError) as err:
        read_population_age(pop_file(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 3, colonne « P21_POP0002 »" in msg
    assert "trouvé « n/a » ; attendu un nombre" in msg


def test_population_negative_count(tmp_path):
    rows = [POP_ROWS[0], geo("010020101", "01002") + ";12.3456;1;-2.5;1;1;1;1;1"]
    with pytest.raises(DataError) as err:
        read_population_age(pop_file(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 3, colonne « P21_POP0305 »" in msg
    assert "« -2.5 » ; attendu un effectif positif ou nul" in msg


def test_population_duplicate_iris(tmp_path):
    rows = [*POP_ROWS, POP_ROWS[1]]
    with pytest.raises(DataError) as err:
        read_population_age(pop_file(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 5, colonne « IRIS »" in msg
    assert "IRIS « 010020101 » en double (déjà ligne 3)" in msg


def test_population_iris_of_another_commune(tmp_path):
    rows = [POP_ROWS[0], geo("010030101", "01002") + ";1;1;1;1;1;1;1;1"]
    with pytest.raises(DataError) as err:
        read_population_age(pop_file(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 3, colonne « IRIS »" in msg and "01002" in msg


def test_population_decimal_comma(tmp_path):
    rows = [geo("010010000", "01001") + ";12,3456;0,5;1;2;3;4;5;10"]
    obs, _ = read_population_age(pop_file(tmp_path, rows))
    assert value(obs, "01001", "pop_totale") == pytest.approx(12.3456)


# -- RP families ----------------------------------------------------------------------------

FAM_SUFFIXES = ["MEN", "MENPSEUL", "MENFAMMONO", "FAM", "FAMMONO", "COUPAENF", "COUPSENF"]


def fam_file(tmp_path: Path, rows: list[str], yy: str = "21") -> Path:
    header = GEO_COLS + ";" + ";".join(f"C{yy}_{s}" for s in FAM_SUFFIXES) + f";P{yy}_POP80P_PSEUL"
    return write(tmp_path, f"base-ic-couples-familles-menages-20{yy}.csv", [header, *rows])


def test_families_sum_iris(tmp_path):
    rows = [
        geo("900100101", "90010", "90") + ";100.4;40.1;8.2;55.5;10.25;20;25;3",
        geo("900100102", "90010", "90") + ";50.6;20.9;4.3;30.5;5.5;10;15;2",
        geo("900040000", "90004", "90") + ";12;3;1;8;0.75;4;3;0",
    ]
    obs, report = read_families(fam_file(tmp_path, rows, "22"))
    assert set(obs["annee"]) == {2022}
    # menages 100.4 + 50.6 = 151.0 ; familles 55.5 + 30.5 = 86.0 ;
    # familles monoparentales 10.25 + 5.5 = 15.75 ; couples avec enfants 20 + 10 = 30 ;
    # ménages d'une personne 40.1 + 20.9 = 61.0
    assert value(obs, "90010", "menages") == pytest.approx(151.0)
    assert value(obs, "90010", "familles") == pytest.approx(86.0)
    assert value(obs, "90010", "familles_monoparentales") == pytest.approx(15.75)
    assert value(obs, "90010", "couples_avec_enfants") == pytest.approx(30.0)
    assert value(obs, "90010", "menages_une_personne") == pytest.approx(61.0)
    assert value(obs, "90004", "familles_monoparentales") == pytest.approx(0.75)
    # people of 80 or more living alone (P22_POP80P_PSEUL, a « P » column): 3 + 2 = 5
    assert value(obs, "90010", "personnes_seules_80_plus") == pytest.approx(5.0)
    assert len(obs) == 2 * 6
    assert "3 IRIS regroupés en 2 communes" in report.french()


def test_families_missing_column_is_a_remark(tmp_path):
    # the real case of issue 13: C21_MENPSEUL absent, no indicator needs it; and C21_FAMMONO
    header = GEO_COLS + ";C21_MEN;C21_FAM;C21_COUPAENF"
    path = write(tmp_path, "f.csv", [header, geo("010010000", "01001") + ";1;2;1"])
    obs, report = read_families(path)
    assert value(obs, "01001", "familles") == pytest.approx(2.0)
    # (the families by number of children and the people living alone are missing too)
    assert list(report.missing_columns.items())[:2] == [
        ("C21_FAMMONO", "familles_monoparentales"),
        ("C21_MENPSEUL", "menages_une_personne"),
    ]
    assert report.missing_columns["C21_NE24F3"] == "familles_3_enfants"
    assert report.missing_columns["P21_POP80P_PSEUL"] == "personnes_seules_80_plus"
    uses = {
        "familles_monoparentales": ["Familles monoparentales", "Part des familles monoparentales"]
    }
    assert report.missing_column_texts(uses)[:2] == [
        "colonne « C21_FAMMONO » absente : la variable « Familles monoparentales » n'est pas "
        "chargée ; indicateurs désactivés (« n.d. ») : Familles monoparentales, Part des "
        "familles monoparentales.",
        "colonne « C21_MENPSEUL » absente : la variable « Ménages d'une personne » n'est pas "
        "chargée ; aucun indicateur du catalogue ne l'utilise.",
    ]


# -- Filosofi wide --------------------------------------------------------------------------

DISP_HEADER = "CODGEO;NBMEN21;NBPERS21;NBUC21;Q121;Q221;Q321;D121;D921;RD;GI21;PACT21"
PAUVRES_HEADER = "CODGEO;TP6021;TP4021;TP5021"
DISP_ROWS = [
    "01004;612;1234.5;8000.3;16000;21450.5;28000;11000;35000;3.2;0.28;70.1",
    "01001;s;s;s;s;s;s;s;s;s;s;s",
    "01002;110;260.5;180;nd;nd;nd;nd;nd;nd;nd;nd",
    "2A004;30000;65000;45000;15000;20010;27000;10000;36000;3.6;0.3;71",
    "97411;50000;120000;80000;9000;16500;24000;6000;32000;5.3;0.35;60",
]
PAUVRES_ROWS = [
    "01004;14.2;5;9",
    "2A004;s;s;s",
    "97411;35.5;15;25",
    "01053;12.5;4;7",  # in the poverty file only
]


def filo_files(
    tmp_path: Path,
    disp_rows: list[str] = DISP_ROWS,
    pauvres_rows: list[str] = PAUVRES_ROWS,
    disp_header: str = DISP_HEADER,
    pauvres_header: str = PAUVRES_HEADER,
) -> tuple[Path, Path]:
    disp = tmp_path / "FILO2021_DISP_COM.csv"
    pauv = tmp_path / "FILO2021_DISP_PAUVRES_COM.csv"
    # INSEE ships these with a BOM (read as utf-8-sig)
    disp.write_text("\ufeff" + "\n".join([disp_header, *disp_rows]) + "\n", encoding="utf-8")
    pauv.write_text("\ufeff" + "\n".join([pauvres_header, *pauvres_rows]) + "\n", encoding="utf-8")
    return disp, pauv


def test_filosofi_wide_values_and_year(tmp_path):
    obs, report = read_filosofi_wide(*filo_files(tmp_path))
    assert set(obs["annee"]) == {2021}
    assert value(obs, "01004", "menages_fiscaux") == pytest.approx(612)
    assert value(obs, "01004", "personnes_menages_fiscaux") == pytest.approx(1234.5)
    assert value(obs, "01004", "niveau_vie_median") == pytest.approx(21450.5)
    assert value(obs, "01004", "taux_pauvrete_publie") == pytest.approx(14.2)
    assert statut(obs, "01004", "niveau_vie_median") == "publie"
    assert report.rows_read == 9


def test_filosofi_wide_persons_in_poverty(tmp_path):
    obs, _ = read_filosofi_wide(*filo_files(tmp_path))
    # 14.2 % × 1,234.5 = 0.142 × 1234.5 = 175.299
    assert value(obs, "01004", "personnes_pauvres") == pytest.approx(175.299)
    assert statut(obs, "01004", "personnes_pauvres") == "estime"
    # 35.5 % × 120,000 = 42,600
    assert value(obs, "97411", "personnes_pauvres") == pytest.approx(42600.0)


def test_filosofi_wide_secret_markers(tmp_path):
    obs, report = read_filosofi_wide(*filo_files(tmp_path))
    # 01001: s on NBMEN21, NBPERS21, Q221 → 3 secret observations
    for variable in ("menages_fiscaux", "personnes_menages_fiscaux", "niveau_vie_median"):
        assert statut(obs, "01001", variable) == "secret"
        assert pd.isna(value(obs, "01001", variable))
    # 01002: nd on Q221 only
    assert statut(obs, "01002", "niveau_vie_median") == "secret"
    assert value(obs, "01002", "menages_fiscaux") == pytest.approx(110)
    # 2A004: TP6021 = s → the rate and the persons in poverty are secret
    assert statut(obs, "2A004", "taux_pauvrete_publie") == "secret"
    assert statut(obs, "2A004", "personnes_pauvres") == "secret"
    assert pd.isna(value(obs, "2A004", "personnes_pauvres"))
    # secret cells read: 01001 ×3 + 01002 Q221 + 2A004 TP6021 = 5
    assert report.secret_values == 5
    assert "secret statistique : 5" in report.french()


def test_filosofi_wide_outer_join(tmp_path):
    obs, _ = read_filosofi_wide(*filo_files(tmp_path))
    # 01002 is not in the poverty file: no rate, no persons in poverty (not even secret)
    assert obs[(obs["commune"] == "01002") & (obs["variable"] == "taux_pauvrete_publie")].empty
    assert obs[(obs["commune"] == "01002") & (obs["variable"] == "personnes_pauvres")].empty
    # 01053 is in the poverty file only: its rate is kept, persons cannot be computed
    assert value(obs, "01053", "taux_pauvrete_publie") == pytest.approx(12.5)
    assert obs[(obs["commune"] == "01053") & (obs["variable"] == "personnes_pauvres")].empty
    assert set(obs["commune"]) == {"01001", "01002", "01004", "01053", "2A004", "97411"}


def test_filosofi_wide_year_2020(tmp_path):
    disp_header = DISP_HEADER.replace("21", "20")
    pauvres_header = PAUVRES_HEADER.replace("21", "20")
    obs, _ = read_filosofi_wide(
        *filo_files(tmp_path, disp_header=disp_header, pauvres_header=pauvres_header)
    )
    assert set(obs["annee"]) == {2020}


def test_filosofi_wide_years_differ(tmp_path):
    pauvres_header = PAUVRES_HEADER.replace("21", "20")
    with pytest.raises(DataError) as err:
        read_filosofi_wide(*filo_files(tmp_path, pauvres_header=pauvres_header))
    msg = str(err.value)
    assert "FILO2021_DISP_PAUVRES_COM.csv » , ligne 1" in msg.replace("»,", "» ,")
    assert "colonne « TP6020 »" in msg and "(2021)" in msg


def test_filosofi_wide_arrondissements(tmp_path):
    disp_rows = [
        "75101;1000;2000.5;1;1;30000;1;1;1;1;1;1",
        "75102;500;999.5;1;1;32000;1;1;1;1;1;1",
    ]
    pauvres_rows = ["75101;10;1;1", "75102;20;1;1"]
    obs, report = read_filosofi_wide(*filo_files(tmp_path, disp_rows, pauvres_rows))
    # counts summed: 1000 + 500 = 1500 households, 2000.5 + 999.5 = 3000 persons;
    # poor persons 10 % × 2000.5 + 20 % × 999.5 = 200.05 + 199.9 = 399.95 (estimated)
    assert value(obs, "75056", "menages_fiscaux") == pytest.approx(1500)
    assert value(obs, "75056", "personnes_menages_fiscaux") == pytest.approx(3000)
    assert value(obs, "75056", "personnes_pauvres") == pytest.approx(399.95)
    assert statut(obs, "75056", "personnes_pauvres") == "estime"
    # medians and rates of arrondissements cannot be folded
    assert obs[(obs["commune"] == "75056") & (obs["variable"] == "niveau_vie_median")].empty
    assert set(obs["commune"]) == {"75056"}
    # 2 medians + 2 rates left out: values, not rows of the file → a note
    assert any(n.startswith("4 valeur d'arrondissement") for n in report.notes)
    assert report.dropped == {}


def test_filosofi_wide_lost_leading_zero(tmp_path):
    disp_rows = [DISP_ROWS[0], "1001;s;s;s;s;s;s;s;s;s;s;s"]
    with pytest.raises(DataError) as err:
        read_filosofi_wide(*filo_files(tmp_path, disp_rows))
    msg = str(err.value)
    assert "« FILO2021_DISP_COM.csv », ligne 3, colonne « CODGEO »" in msg
    assert "le zéro initial a disparu : 01001 ?" in msg


def test_filosofi_wide_text_and_negative(tmp_path):
    disp_rows = [DISP_ROWS[0], "01001;12;abc;1;1;-5;1;1;1;1;1;1"]
    with pytest.raises(DataError) as err:
        read_filosofi_wide(*filo_files(tmp_path, disp_rows))
    msg = str(err.value)
    assert "ligne 3, colonne « NBPERS21 » : trouvé « abc »" in msg
    assert "un nombre ou un marqueur de secret (nd, s)" in msg
    assert "ligne 3, colonne « Q221 » : trouvé « -5 »" in msg


def test_filosofi_wide_duplicate_commune(tmp_path):
    pauvres_rows = [*PAUVRES_ROWS, "01004;14.3;5;9"]
    with pytest.raises(DataError) as err:
        read_filosofi_wide(*filo_files(tmp_path, pauvres_rows=pauvres_rows))
    msg = str(err.value)
    assert "« FILO2021_DISP_PAUVRES_COM.csv », ligne 6, colonne « CODGEO »" in msg
    assert "« 01004 » en double (déjà ligne 2)" in msg


def test_filosofi_wide_missing_column_is_a_remark(tmp_path):
    # issue 13, item 3: the median column is missing; households, persons and poverty load
    obs, report = read_filosofi_wide(
        *filo_files(tmp_path, disp_header=DISP_HEADER.replace("Q221", "Q2X"))
    )
    assert "niveau_vie_median" not in set(obs["variable"])
    assert value(obs, "01004", "menages_fiscaux") == pytest.approx(612)
    # 14.2 % × 1 234.5 persons = 175.299 poor persons (01004)
    assert value(obs, "01004", "personnes_pauvres") == pytest.approx(175.299)
    assert report.missing_columns == {"Q221": "niveau_vie_median"}
    text = report.french(uses={"niveau_vie_median": []})
    assert (
        "  remarque : colonne « Q221 » absente : la variable « Niveau de vie médian » n'est "
        "pas chargée ; aucun indicateur du catalogue ne l'utilise."
    ) in text


def test_filosofi_wide_without_any_disp_column_is_refused(tmp_path):
    header = "CODGEO;NBUC21;Q121"
    with pytest.raises(DataError) as err:
        read_filosofi_wide(
            *filo_files(tmp_path, disp_rows=["01004;8000.3;16000"], disp_header=header)
        )
    msg = str(err.value)
    assert "« FILO2021_DISP_COM.csv », ligne 1, colonne « NBMEN21 »" in msg


def test_filosofi_poverty_file_alone(tmp_path):
    # issue 13, item 4: FILO2021_DISP_PAUVRES_COM.csv declared on its own
    _, pauv = filo_files(tmp_path)
    obs, report = read_filosofi_wide(None, pauv)
    assert set(obs["variable"]) == {"taux_pauvrete_publie"}
    assert value(obs, "01004", "taux_pauvrete_publie") == pytest.approx(14.2)
    assert report.file == "FILO2021_DISP_PAUVRES_COM.csv"
    assert report.missing_columns == {"NBPERS21": "personnes_menages_fiscaux"}
    text = report.french(uses={"personnes_menages_fiscaux": ["Taux de pauvreté"]})
    assert (
        "colonne « NBPERS21 » absente : la variable « Personnes des ménages fiscaux » n'est pas "
        "chargée ; indicateurs désactivés (« n.d. ») : Taux de pauvreté."
    ) in text


def test_filosofi_income_file_alone(tmp_path):
    disp, _ = filo_files(tmp_path)
    obs, report = read_filosofi_wide(disp, None)
    assert set(obs["variable"]) == {
        "menages_fiscaux",
        "personnes_menages_fiscaux",
        "niveau_vie_median",
    }
    assert value(obs, "01004", "niveau_vie_median") == pytest.approx(21450.5)
    assert report.missing_columns == {"TP6021": "personnes_pauvres"}


def test_filosofi_wide_comma_separator_is_detected(tmp_path):
    disp, pauv = filo_files(tmp_path)
    disp.write_text(
        "\n".join(r.replace(";", ",") for r in [DISP_HEADER, *DISP_ROWS]) + "\n", encoding="utf-8"
    )
    obs, _ = read_filosofi_wide(disp, pauv)
    assert value(obs, "01004", "niveau_vie_median") == pytest.approx(21450.5)


def test_filosofi_wide_unmatched(tmp_path):
    _, report = read_filosofi_wide(*filo_files(tmp_path), known_communes={"01001", "01004"})
    assert report.unmatched_codes == ["01002", "01053", "2A004", "97411"]


# -- Filosofi long (Melodi) -----------------------------------------------------------------

MELODI_HEADER = (
    "GEO;GEO_OBJECT;FILOSOFI_MEASURE;UNIT_MEASURE;UNIT_MULT;CONF_STATUS;OBS_STATUS;"
    "TIME_PERIOD;OBS_VALUE"
)


def melodi(geo_: str, obj: str, measure: str, val: str, conf: str = "F", year: str = "2021"):
    unit = {"MED_SL": "EUR", "PR_MD60": "PC"}.get(measure, "NB")
    return f"{geo_};{obj};{measure};{unit};0;{conf};A;{year};{val}"


MELODI_ROWS = [
    melodi("01004", "COM", "MED_SL", "21450.5"),
    melodi("01004", "COM", "PR_MD60", "14.2"),
    melodi("01004", "COM", "NUM_HH", "6123"),
    melodi("01004", "COM", "D1_SL", "11000"),
    melodi("01001", "COM", "MED_SL", "", conf="C"),
    melodi("01001", "COM", "NUM_HH", "", conf="C"),
    melodi("2B033", "COM", "MED_SL", "20500"),
    melodi("75101", "ARM", "NUM_HH", "9000.5"),
    melodi("75102", "ARM", "NUM_HH", "11000.25"),
    melodi("75101", "ARM", "MED_SL", "33000"),
    melodi("200040715", "EPCI", "MED_SL", "22000"),
    melodi("01", "DEP", "PR_MD60", "10.5"),
    melodi("84", "REG", "NUM_HH", "", conf="C"),
    melodi("FM", "FRANCE", "MED_SL", "23160"),
]


def melodi_file(tmp_path: Path, rows: list[str] = MELODI_ROWS, header: str = MELODI_HEADER):
    return write(tmp_path, "DS_FILOSOFI_CC_2021_data.csv", [header, *rows])


def test_filosofi_long_communes(tmp_path):
    obs, refs, report = read_filosofi_long(melodi_file(tmp_path))
    assert value(obs, "01004", "niveau_vie_median") == pytest.approx(21450.5)
    assert value(obs, "01004", "taux_pauvrete_publie") == pytest.approx(14.2)
    assert value(obs, "01004", "menages_fiscaux") == pytest.approx(6123)
    assert value(obs, "2B033", "niveau_vie_median") == pytest.approx(20500)
    assert set(obs["annee"]) == {2021}
    # CONF_STATUS=C → secret, NaN
    assert statut(obs, "01001", "niveau_vie_median") == "secret"
    assert pd.isna(value(obs, "01001", "menages_fiscaux"))
    # 3 secret rows: 01001 ×2, REG 84
    assert report.secret_values == 3
    assert report.dropped["mesure Filosofi non utilisée"] == 1  # D1_SL
    assert report.dropped_examples["mesure Filosofi non utilisée"] == ["D1_SL"]


def test_filosofi_long_arm_folding(tmp_path):
    obs, _, report = read_filosofi_long(melodi_file(tmp_path))
    # NUM_HH 75101 + 75102 → 75056: 9000.5 + 11000.25 = 20000.75
    assert value(obs, "75056", "menages_fiscaux") == pytest.approx(20000.75)
    # the ARM median cannot be folded: dropped and reported
    assert obs[(obs["commune"] == "75056") & (obs["variable"] == "niveau_vie_median")].empty
    assert not obs["commune"].isin(["75101", "75102"]).any()
    reason = next(r for r in report.dropped if "non additionnable" in r)
    assert report.dropped[reason] == 1
    # 14 rows read: D1_SL and the ARM median left out
    assert report.rows_read == 14 and report.rows_kept == 12


def test_filosofi_long_arm_not_added_twice(tmp_path):
    rows = [*MELODI_ROWS, melodi("75056", "COM", "NUM_HH", "20001")]
    obs, _, report = read_filosofi_long(melodi_file(tmp_path, rows))
    assert value(obs, "75056", "menages_fiscaux") == pytest.approx(20001)
    assert report.dropped["arrondissement municipal déjà compris dans la commune publiée"] == 2


def test_filosofi_long_references(tmp_path):
    _, refs, _ = read_filosofi_long(melodi_file(tmp_path))
    assert list(refs.columns) == ["niveau", "code", "annee", "variable", "valeur"]
    by = refs.set_index(["niveau", "code", "variable"])["valeur"]
    assert by[("epci", "200040715", "niveau_vie_median")] == pytest.approx(22000)
    assert by[("departement", "01", "taux_pauvrete_publie")] == pytest.approx(10.5)
    assert by[("france", "FM", "niveau_vie_median")] == pytest.approx(23160)
    assert pd.isna(by[("region", "84", "menages_fiscaux")])
    assert len(refs) == 4


def test_filosofi_long_without_persons_notes_it(tmp_path):
    obs, _, report = read_filosofi_long(melodi_file(tmp_path))
    assert "personnes_pauvres" not in set(obs["variable"])
    assert any("personnes pauvres n'est pas calculable" in n for n in report.notes)


def test_filosofi_long_with_persons(tmp_path):
    rows = [
        *MELODI_ROWS,
        melodi("01004", "COM", "NUM_PER", "1234.5"),
        melodi("01", "DEP", "NUM_PER", "600000"),
    ]
    obs, refs, report = read_filosofi_long(melodi_file(tmp_path, rows))
    # 14.2 % × 1,234.5 = 175.299
    assert value(obs, "01004", "personnes_pauvres") == pytest.approx(175.299)
    assert statut(obs, "01004", "personnes_pauvres") == "estime"
    assert value(obs, "01004", "personnes_menages_fiscaux") == pytest.approx(1234.5)
    # département: 10.5 % × 600,000 = 63,000
    by = refs.set_index(["niveau", "code", "variable"])["valeur"]
    assert by[("departement", "01", "personnes_pauvres")] == pytest.approx(63000)
    assert not any("pas calculable" in n for n in report.notes)


def test_filosofi_long_duplicate(tmp_path):
    rows = [*MELODI_ROWS, melodi("01004", "COM", "MED_SL", "21000")]
    with pytest.raises(DataError) as err:
        read_filosofi_long(melodi_file(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 16, colonne « GEO »" in msg
    assert "« 01004 / COM / MED_SL / 2021 » en double (déjà ligne 2)" in msg


def test_filosofi_long_text_value(tmp_path):
    rows = [*MELODI_ROWS[:3], melodi("01053", "COM", "NUM_HH", "douze")]
    with pytest.raises(DataError) as err:
        read_filosofi_long(melodi_file(tmp_path, rows))
    assert "ligne 5, colonne « OBS_VALUE » : trouvé « douze »" in str(err.value)


def test_filosofi_long_negative_value(tmp_path):
    rows = [*MELODI_ROWS[:3], melodi("01053", "COM", "NUM_HH", "-4")]
    with pytest.raises(DataError) as err:
        read_filosofi_long(melodi_file(tmp_path, rows))
    assert "ligne 5, colonne « OBS_VALUE » : trouvé « -4 »" in str(err.value)


def test_filosofi_long_lost_leading_zero_and_bad_year(tmp_path):
    rows = [
        melodi("1004", "COM", "MED_SL", "21000"),
        melodi("01004", "COM", "NUM_HH", "1", year="21"),
    ]
    with pytest.raises(DataError) as err:
        read_filosofi_long(melodi_file(tmp_path, rows))
    msg = str(err.value)
    assert "ligne 2, colonne « GEO »" in msg and "01004 ?" in msg
    assert "ligne 3, colonne « TIME_PERIOD »" in msg


def test_filosofi_long_missing_column(tmp_path):
    header = MELODI_HEADER.replace("CONF_STATUS", "CONF")
    with pytest.raises(DataError) as err:
        read_filosofi_long(melodi_file(tmp_path, MELODI_ROWS, header))
    assert "ligne 1, colonne « CONF_STATUS »" in str(err.value)


def test_filosofi_long_empty_geo_dropped(tmp_path):
    rows = [*MELODI_ROWS, melodi("", "COM", "MED_SL", "1")]
    _, _, report = read_filosofi_long(melodi_file(tmp_path, rows))
    assert report.dropped["code géographique (GEO) vide"] == 1
