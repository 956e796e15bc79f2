"""CAFDATA loaders: communal household counts, early-childhood places and rates, legacy
coverage rates. Fixtures are small synthetic files with the real headers (data-formats §1)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from territoire_lib.errors import DataError
from territoire_lib.sources.cafdata import (
    read_cafdata_communal,
    read_early_childhood,
    read_tauxcouv_legacy,
)
from territoire_lib.sources.reading import dialects
from territoire_lib.variables import VARIABLES

BOM = "\ufeff"
S_BEN_HEADER = "dtreffre;numcomdo;nomcom;indfoy_ndur;indnbp_ndur;indfoy_rsa;indmtt_rsa"


def write(tmp_path: Path, name: str, lines: list[str], *, bom: bool = False, enc="utf-8") -> Path:
    path = tmp_path / name
    text = ("\n".join(lines) + "\n").encode(enc)
    path.write_bytes((BOM.encode("utf-8") if bom else b"") + text)
    return path


def value(obs: pd.DataFrame, commune: str, variable: str, annee: int | None = None) -> float:
    sel = (obs["commune"] == commune) & (obs["variable"] == variable)
    if annee is not None:
        sel &= obs["annee"] == annee
    assert sel.sum() == 1, obs[sel]
    return float(obs.loc[sel, "valeur"].iloc[0])


def statut(obs: pd.DataFrame, commune: str, variable: str) -> str:
    sel = (obs["commune"] == commune) & (obs["variable"] == variable)
    return str(obs.loc[sel, "statut"].iloc[0])


def error_of(func, *args, **kwargs) -> str:
    with pytest.raises(DataError) as exc:
        func(*args, **kwargs)
    return str(exc.value)


# --------------------------------------------------------------------------------------------
# read_cafdata_communal: s_ben_com_f
# --------------------------------------------------------------------------------------------

S_BEN_ROWS = [
    S_BEN_HEADER,
    "2023-12;90010;Belfort;1000;2500;105;52300",
    "2022-12;90010;Belfort;990;2480;100;50100",
    "2023-12;01001;L'Abergement-Clémenciat;35;80;0;0",
]


@pytest.mark.parametrize("bom", [True, False])
def test_s_ben_with_and_without_bom(tmp_path, bom):
    path = write(tmp_path, "s_ben_com_f.csv", S_BEN_ROWS, bom=bom)
    obs, report = read_cafdata_communal(path)
    # 3 rows × 3 count columns (indmtt_rsa is an amount: not kept)
    assert len(obs) == 9
    assert set(obs["variable"]) == {"allocataires", "personnes_couvertes", "foyers_rsa"}
    assert value(obs, "90010", "allocataires", 2023) == 1000
    assert value(obs, "90010", "allocataires", 2022) == 990  # December 2022 → 2022
    assert value(obs, "01001", "personnes_couvertes") == 80  # leading zero kept
    assert obs["commune"].map(len).eq(5).all()
    assert report.rows_read == 3 and report.rows_kept == 3
    assert set(obs["variable"]) <= set(VARIABLES)


def test_s_ben_rounding_flag_and_blurred_count(tmp_path):
    path = write(tmp_path, "s_ben_com_f.csv", S_BEN_ROWS, bom=True)
    obs, report = read_cafdata_communal(path)
    assert (obs["statut"] == "arrondi_5").all()
    assert report.blurred_values == 9
    assert not any("multiple de 5" in n for n in report.notes)


def test_s_ben_not_multiple_of_5_is_noted(tmp_path):
    rows = [S_BEN_HEADER, "2023-12;90010;Belfort;1003;2500;105;0", "2023-12;90011;X;7;10;0;0"]
    _, report = read_cafdata_communal(write(tmp_path, "s.csv", rows))
    note = next(n for n in report.notes if "multiple de 5" in n)
    assert "valeur non multiple de 5 : le fichier n'est peut-être pas un export Cafdata" in note
    assert "2 valeur(s)" in note  # 1003 and 7
    assert "ligne 2" in note and "indfoy_ndur" in note


def test_s_ben_placeholder_rows_dropped_and_counted(tmp_path):
    rows = [
        S_BEN_HEADER,
        "2023-12;;;150;300;20;0",  # households not localised
        "2023-12;90010;Belfort;1000;2500;105;0",
        "2023-12;XX;;5;5;0;0",
        "2023-12;XXXXX;;10;10;0;0",
        "2023-12;99999;Etranger;20;40;0;0",
    ]
    obs, report = read_cafdata_communal(write(tmp_path, "s.csv", rows, bom=True))
    assert set(obs["commune"]) == {"90010"}
    assert report.rows_read == 5 and report.rows_kept == 1
    assert report.dropped["foyers non localisés (code commune vide)"] == 1
    placeholder = next(k for k in report.dropped if k.startswith("ligne fictive"))
    assert report.dropped[placeholder] == 3
    assert "foyers non localisés" in report.french()


def test_s_ben_arrondissements_folded(tmp_path):
    rows = [
        S_BEN_HEADER,
        "2023-12;75101;Paris 1er Arrondissement;10;20;0;0",
        "2023-12;75102;Paris 2e Arrondissement;15;30;5;0",
    ]
    obs, report = read_cafdata_communal(write(tmp_path, "s.csv", rows), known_communes={"75056"})
    # 10 + 15 = 25 allocataires; 20 + 30 = 50 persons; 0 + 5 = 5 RSA
    assert value(obs, "75056", "allocataires") == 25
    assert value(obs, "75056", "personnes_couvertes") == 50
    assert value(obs, "75056", "foyers_rsa") == 5
    assert set(obs["commune"]) == {"75056"}
    assert report.unmatched_codes == []
    assert any("arrondissements" in n for n in report.notes)


def test_s_ben_all_mapped_columns(tmp_path):
    cols = [
        "indfoy_ndur",
        "indnbp_ndur",
        "indfoy_af",
        "indfoy_cf",
        "indfoy_asf",
        "indfoy_ndurpaje",
        "indfoy_ab",
        "indfoy_cmg",
        "indfoy_ndural",
        "indfoy_apl",
        "indfoy_als",
        "indfoy_alf",
        "indfoy_rsa",
        "indfoy_ppa",
        "indfoy_aah",
        "indfoy_aeeh",
        "indmtt_ppa",
    ]
    header = "dtreffre;numcomdo;nomcom;" + ";".join(cols)
    # every benefit's households within all allocataires (indfoy_ndur), themselves within the
    # persons covered (indnbp_ndur): 500 and 1 000, the others 5 × their rank
    counts = [500, 1000] + [5 * (i + 1) for i in range(2, len(cols))]
    row = "2024-12;2A004;Ajaccio;" + ";".join(str(c) for c in counts)
    obs, _ = read_cafdata_communal(write(tmp_path, "s.csv", [header, row]))
    assert len(obs) == 16  # 16 counts, the amount indmtt_ppa dropped
    assert value(obs, "2A004", "allocataires") == 500
    assert value(obs, "2A004", "foyers_aide_logement") == 45  # 9th column → 5 × 9
    assert value(obs, "2A004", "foyers_aeeh") == 80  # 16th column → 5 × 16
    assert set(obs["variable"]) <= set(VARIABLES)


def test_unknown_communes_are_listed(tmp_path):
    path = write(tmp_path, "s.csv", S_BEN_ROWS)
    obs, report = read_cafdata_communal(path, known_communes={"90010"})
    assert report.unmatched_codes == ["01001"]
    assert "01001" in set(obs["commune"])  # kept


# --------------------------------------------------------------------------------------------
# read_cafdata_communal: QF bands and RSA types
# --------------------------------------------------------------------------------------------

QF_LABELS = [
    ("Moins de 400 euros", "allocataires_qf_0_399"),
    ("Entre 400 et 799 euros", "allocataires_qf_400_799"),
    ("Entre 800 et 1199 euros", "allocataires_qf_800_1199"),
    ("Entre 1200 et 1599 euros", "allocataires_qf_1200_1599"),
    ("Entre 1600 et 1999 euros", "allocataires_qf_1600_1999"),
    ("Entre 2000 et 3999 euros", "allocataires_qf_2000_3999"),
    ("4000 euros ou plus", "allocataires_qf_4000_plus"),
    ("Inconnu", "allocataires_qf_inconnu"),
]
QF_HEADER = "dtreffre;numcomdo;nomcom;qf_400;indfoy_ndur;indnbp_ndur"


def test_qf_bands_mapped(tmp_path):
    rows = [QF_HEADER] + [
        f"2023-12;90010;Belfort;{label};{5 * (i + 1)};{10 * (i + 1)}"
        for i, (label, _) in enumerate(QF_LABELS)
    ]
    obs, report = read_cafdata_communal(write(tmp_path, "ndur_s_qf_400_com_f.csv", rows, bom=True))
    assert len(obs) == 8
    for i, (_, variable) in enumerate(QF_LABELS):
        assert value(obs, "90010", variable) == 5 * (i + 1)
    assert (obs["statut"] == "arrondi_5").all()
    assert "quotient familial" in report.source


def test_qf_bands_of_arrondissements_summed_per_band(tmp_path):
    rows = [
        QF_HEADER,
        "2023-12;13201;Marseille 1er;Moins de 400 euros;10;20",
        "2023-12;13202;Marseille 2e;Moins de 400 euros;15;30",
        "2023-12;13202;Marseille 2e;Inconnu;5;5",
    ]
    obs, _ = read_cafdata_communal(write(tmp_path, "q.csv", rows))
    assert value(obs, "13055", "allocataires_qf_0_399") == 25  # 10 + 15
    assert value(obs, "13055", "allocataires_qf_inconnu") == 5


def test_qf_unknown_label_names_the_line(tmp_path):
    rows = [QF_HEADER, "2023-12;90010;Belfort;Moins de 400 euros;5;5", "2023-12;90010;B;Riche;5;5"]
    msg = error_of(read_cafdata_communal, write(tmp_path, "q.csv", rows))
    assert "ligne 3" in msg and "colonne « qf_400 »" in msg and "« Riche »" in msg


def test_qf_same_band_twice(tmp_path):
    rows = [
        QF_HEADER,
        "2023-12;90010;Belfort;Moins de 400 euros;5;5",
        "2023-12;90010;Belfort;Entre 400 et 799 euros;5;5",
        "2023-12;90010;Belfort;Moins de 400 euros;10;10",
    ]
    msg = error_of(read_cafdata_communal, write(tmp_path, "q.csv", rows))
    assert "ligne 4" in msg and "déjà ligne 2" in msg and "colonne « numcomdo »" in msg


RSA_HEADER = "dtreffre;numcomdo;nomcom;rsa_type;indfoy_rsa;indnbp_rsa"


def test_rsa_types_mapped_case_and_accent_insensitive(tmp_path):
    rows = [
        RSA_HEADER,
        "2023-12;90010;Belfort;RSA non majoré;400;800",
        "2023-12;90010;Belfort;RSA majoré;60;150",
        "2023-12;90011;Bavilliers;rsa NON MAJORE;20;35",
        "2023-12;90011;Bavilliers;Rsa Majore;5;10",
    ]
    obs, _ = read_cafdata_communal(write(tmp_path, "rsa_s_type_com_f.csv", rows, bom=True))
    assert value(obs, "90010", "foyers_rsa_non_majore") == 400
    assert value(obs, "90010", "foyers_rsa_majore") == 60
    assert value(obs, "90011", "foyers_rsa_non_majore") == 20
    assert value(obs, "90011", "foyers_rsa_majore") == 5
    assert len(obs) == 4


def test_rsa_unknown_type_names_the_line(tmp_path):
    rows = [RSA_HEADER, "2023-12;90010;Belfort;RSA jeunes;5;5"]
    msg = error_of(read_cafdata_communal, write(tmp_path, "r.csv", rows))
    assert "ligne 2" in msg and "colonne « rsa_type »" in msg and "« RSA jeunes »" in msg


# --------------------------------------------------------------------------------------------
# read_cafdata_communal: errors
# --------------------------------------------------------------------------------------------


def test_duplicate_commune_year_names_both_lines(tmp_path):
    rows = [*S_BEN_ROWS, "2023-12;90010;Belfort;1005;2500;105;0"]
    msg = error_of(read_cafdata_communal, write(tmp_path, "s.csv", rows))
    # the repeated row is line 5; the first one is line 2
    assert "ligne 5" in msg and "déjà ligne 2" in msg and "colonne « numcomdo »" in msg
    assert "90010 / 2023" in msg


def test_duplicate_checked_on_raw_arrondissement_code(tmp_path):
    rows = [S_BEN_HEADER, "2023-12;75101;P1;10;20;0;0", "2023-12;75101;P1;15;30;0;0"]
    msg = error_of(read_cafdata_communal, write(tmp_path, "s.csv", rows))
    assert "75101 / 2023" in msg and "ligne 3" in msg


def test_parent_and_arrondissements_together_rejected(tmp_path):
    rows = [S_BEN_HEADER, "2023-12;75056;Paris;100;200;0;0", "2023-12;75101;P1;10;20;0;0"]
    msg = error_of(read_cafdata_communal, write(tmp_path, "s.csv", rows))
    assert "ligne 2" in msg and "75056" in msg and "arrondissements" in msg


def test_lost_leading_zero(tmp_path):
    rows = [S_BEN_HEADER, "2023-12;1001;L'Abergement;35;80;0;0"]
    msg = error_of(read_cafdata_communal, write(tmp_path, "s.csv", rows))
    assert "ligne 2" in msg and "colonne « numcomdo »" in msg
    assert "zéro initial" in msg and "01001" in msg


def test_malformed_code(tmp_path):
    rows = [S_BEN_HEADER, "2023-12;9001A;Truc;35;80;0;0"]
    msg = error_of(read_cafdata_communal, write(tmp_path, "s.csv", rows))
    assert "ligne 2" in msg and "« 9001A »" in msg


def test_text_in_numeric_column(tmp_path):
    rows = [*S_BEN_ROWS, "2021-12;90010;Belfort;beaucoup;2500;105;0"]
    msg = error_of(read_cafdata_communal, write(tmp_path, "s.csv", rows))
    assert "ligne 5" in msg and "colonne « indfoy_ndur »" in msg and "« beaucoup »" in msg


def test_negative_count(tmp_path):
    rows = [S_BEN_HEADER, "2023-12;90010;Belfort;1000;-5;105;0"]
    msg = error_of(read_cafdata_communal, write(tmp_path, "s.csv", rows))
    assert "ligne 2" in msg and "colonne « indnbp_ndur »" in msg and "positif" in msg


def test_malformed_month(tmp_path):
    rows = [S_BEN_HEADER, "12/2023;90010;Belfort;1000;5;105;0"]
    msg = error_of(read_cafdata_communal, write(tmp_path, "s.csv", rows))
    assert "ligne 2" in msg and "colonne « dtreffre »" in msg and "AAAA-MM" in msg


def test_resaved_by_excel_is_read(tmp_path):
    # commas instead of « ; », Windows-1252 instead of UTF-8 with BOM: same values
    rows = [line.replace(";", ",") for line in S_BEN_ROWS]
    with dialects() as log:
        obs, _ = read_cafdata_communal(write(tmp_path, "s.csv", rows, enc="cp1252"))
    assert value(obs, "01001", "allocataires", 2023) == 35
    assert [(d.encoding, d.separator) for d in log] == [("cp1252", ",")]


def test_missing_column_and_labels_header(tmp_path):
    rows = ["Date référence;Numéro commune;Nom commune;Nombre foyers NDUR", "2023-12;90010;B;5"]
    msg = error_of(read_cafdata_communal, write(tmp_path, "s.csv", rows, bom=True))
    assert "colonne « dtreffre »" in msg and "use_labels" in msg


# --------------------------------------------------------------------------------------------
# read_early_childhood
# --------------------------------------------------------------------------------------------

EPCI_A = "200000001"
EPCI_B = "200000002"


def pe_header(kind: str, suffix: str, keys: str) -> str:
    stems = (
        ["pl_psu_col", "pl_hors_psu_col", "pl_eaje", "pl_prescol", "pl_am_ind", "pl_gad_ind"]
        + ["tot_offre"]
        if kind == "pl"
        else [
            "txcouv_psu_col",
            "txcouv_hors_psu_col",
            "txcouv_eaje",
            "txcouv_prescol",
            "txcouv_am_ind",
            "txcouv_gad_ind",
            "txcouv_ind",
            "txcouv",
        ]
    )
    return keys + ";" + ";".join(f"{s}_{suffix}" for s in stems)


@pytest.fixture
def pe_files(tmp_path):
    """EPCI A: 3 communes, 90010 over 10,000 inhabitants with 120 places; EPCI total 200.

    Place columns: psu, hors_psu, eaje, prescol, am, gad, total (no pl_ind: derived).
    """
    places_com = write(
        tmp_path,
        "nbpla_pe_com.csv",
        [
            pe_header("pl", "com", "annee;numcom;nomcom;numepci;nomepci;numdep;nomdep"),
            f"2023;90010;Belfort;{EPCI_A};CA A;90;Territoire de Belfort;60;10;70;5;40;5;120",
        ],
        bom=True,
    )
    places_epci = write(
        tmp_path,
        "nbpla_pe_epci.csv",
        [
            pe_header("pl", "epci", "annee;numepci;nomepci;numdep;nomdep"),
            f"2023;{EPCI_A};CA A;90;Territoire de Belfort;100;10;110;10;70;10;200",
            f"2023;{EPCI_B};CC B;90;Territoire de Belfort;0;0;0;0;20;0;20",
            "2023;XX;;XXX;;50000;0;50000;0;0;0;50000",
        ],
        bom=True,
    )
    rates_epci = write(
        tmp_path,
        "txcouv_pe_epci.csv",
        [
            pe_header("tx", "epci", "annee;numepci;nomepci;numdep;nomdep"),
            f"2023;{EPCI_A};CA A;90;TdB;30.5;3;33.5;3;20.1;3;23.1;59.7",
            f"2023;{EPCI_B};CC B;90;TdB;0;0;0;0;104,2;0;104,2;104,2",
            "2023;XX;;XXX;;150;0;150;0;45.8;0;45.8;195.8",
        ],
    )
    return places_com, places_epci, rates_epci


@pytest.fixture
def communes():
    return pd.DataFrame(
        {
            "code": ["90010", "90001", "90002", "90003", "90004"],
            "epci": [EPCI_A, EPCI_A, EPCI_A, EPCI_B, "ZZZZZZZZZ"],
            "population": [45000.0, 900.0, 2700.0, 500.0, 100.0],
        }
    )


def kids(rows: list[tuple[str, int, float]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "commune": [r[0] for r in rows],
            "annee": [r[1] for r in rows],
            "variable": "pop_0_2",
            "valeur": [r[2] for r in rows],
            "statut": "publie",
        }
    )


def test_fallback_worked_by_hand(pe_files, communes):
    places_com, places_epci, rates_epci = pe_files
    children = kids([("90010", 2021, 1500.0), ("90001", 2021, 30.0), ("90002", 2021, 10.0)])
    obs, refs, report = read_early_childhood(
        {"epci": rates_epci}, {"com": places_com, "epci": places_epci}, communes, children
    )
    # 90010 published: 120 places in total
    assert value(obs, "90010", "places_total") == 120
    assert statut(obs, "90010", "places_total") == "publie"
    # EPCI A: 200 - 120 = 80 places shared 30:10 → 60 and 20
    assert value(obs, "90001", "places_total") == pytest.approx(60)
    assert value(obs, "90002", "places_total") == pytest.approx(20)
    assert statut(obs, "90001", "places_total") == "estime"
    # PSU: 100 - 60 = 40 → 30 and 10; assistantes maternelles: 70 - 40 = 30 → 22.5 and 7.5
    assert value(obs, "90001", "places_eaje_psu") == pytest.approx(30)
    assert value(obs, "90002", "places_assistantes_maternelles") == pytest.approx(7.5)
    # the EPCI sum equals the published EPCI figure
    in_a = obs[obs["commune"].isin(["90010", "90001", "90002"])]
    assert in_a.loc[in_a["variable"] == "places_total", "valeur"].sum() == pytest.approx(200)
    # EPCI B: only 90003, no children count (weight 0) → the whole EPCI, shared equally: 20
    assert value(obs, "90003", "places_total") == pytest.approx(20)
    assert any("parts égales" in n for n in report.notes)
    # 90004 has no EPCI: no estimate
    assert "90004" not in set(obs["commune"])
    assert any("3 communes sous 10 000 habitants" in n for n in report.notes)
    assert any("places estimées par repli sur l'EPCI" in n for n in report.notes)
    # XX placeholder rows (places and rates) dropped and reported
    assert sum(report.dropped.values()) == 2
    assert "XX" not in set(refs["code"])
    assert obs["valeur"].max() < 50000
    assert set(obs["variable"]) <= set(VARIABLES)


def test_individual_care_derived_when_not_published(pe_files, communes):
    places_com, places_epci, _ = pe_files
    children = kids([("90001", 2021, 30.0), ("90002", 2021, 10.0)])
    obs, _, _ = read_early_childhood(
        {}, {"com": places_com, "epci": places_epci}, communes, children
    )
    # 90010: am 40 + gad 5 = 45, computed by us → estime
    assert value(obs, "90010", "places_accueil_individuel") == 45
    assert statut(obs, "90010", "places_accueil_individuel") == "estime"
    assert statut(obs, "90010", "places_assistantes_maternelles") == "publie"
    # EPCI A individual: 70 + 10 = 80, minus 45 = 35 → 26.25 and 8.75
    assert value(obs, "90001", "places_accueil_individuel") == pytest.approx(26.25)


def test_fallback_by_population_without_children(pe_files, communes):
    places_com, places_epci, _ = pe_files
    obs, _, _ = read_early_childhood({}, {"com": places_com, "epci": places_epci}, communes)
    # residual 80 shared by population 900 : 2700 → 20 and 60
    assert value(obs, "90001", "places_total") == pytest.approx(20)
    assert value(obs, "90002", "places_total") == pytest.approx(60)


def test_fallback_uses_closest_census_year(pe_files, communes):
    places_com, places_epci, _ = pe_files
    children = kids(
        [
            ("90001", 2015, 10.0),
            ("90002", 2015, 30.0),
            ("90001", 2021, 30.0),  # 2021 is closest to 2023
            ("90002", 2021, 10.0),
        ]
    )
    obs, _, _ = read_early_childhood(
        {}, {"com": places_com, "epci": places_epci}, communes, children
    )
    assert value(obs, "90001", "places_total") == pytest.approx(60)


def test_fallback_without_commune_file(tmp_path, pe_files, communes):
    _, places_epci, _ = pe_files
    children = kids([("90010", 2021, 160.0), ("90001", 2021, 30.0), ("90002", 2021, 10.0)])
    obs, _, _ = read_early_childhood({}, {"epci": places_epci}, communes, children)
    # 200 places shared 160:30:10 → 160, 30, 10
    assert value(obs, "90010", "places_total") == pytest.approx(160)
    assert statut(obs, "90010", "places_total") == "estime"
    assert value(obs, "90002", "places_total") == pytest.approx(10)


def test_references_every_level(tmp_path, pe_files, communes):
    places_com, places_epci, rates_epci = pe_files
    rates_nat = write(
        tmp_path,
        "txcouv_pe_nat.csv",
        [
            "annee;national;txcouv_psu_nat;txcouv_hors_psu_col_nat;txcouv_eaje_nat;"
            "txcouv_prescol_nat;txcouv_am_nat;txcouv_gad_nat;txcouv_ind_nat;txcouv_nat",
            "2023-01-01;FRANCE ENTIERE HORS MAYOTTE;20.1;4.2;24.3;2.3;31.8;2.5;34.3;60.9",
            "2022-01-01;FRANCE ENTIERE HORS MAYOTTE;20.0;3.8;23.8;2.4;31.0;2.3;33.3;59.5",
        ],
        bom=True,
    )
    rates_dep = write(
        tmp_path,
        "txcouv_pe_dep.csv",
        [
            pe_header("tx", "dep", "annee;numdep;nomdep;numregi;nomregi"),
            "2023;90;Territoire de Belfort;27;BFC;25;3;28;3;20;1;21;52",
            "2023;XXX;;;;0;0;0;0;0;0;0;0",
        ],
    )
    rates_reg = write(
        tmp_path,
        "txcouv_pe_reg.csv",
        [
            "annee;numregi;nomregi;txcouv_reg",
            "2023;27;Bourgogne-Franche-Comté;62.1",
        ],
    )
    _, refs, report = read_early_childhood(
        {"epci": rates_epci, "nat": rates_nat, "dep": rates_dep, "reg": rates_reg},
        {"com": places_com, "epci": places_epci},
        communes,
    )
    assert list(refs.columns) == ["niveau", "code", "annee", "variable", "valeur"]
    assert set(refs["niveau"]) == {"commune", "epci", "departement", "region", "france"}

    def ref(niveau, code, variable, annee=2023):
        sel = (
            (refs["niveau"] == niveau)
            & (refs["code"] == code)
            & (refs["variable"] == variable)
            & (refs["annee"] == annee)
        )
        assert sel.sum() == 1
        return float(refs.loc[sel, "valeur"].iloc[0])

    # national file: date annee → year; short stems txcouv_am_nat / txcouv_psu_nat accepted
    assert ref("france", "FR", "taux_couverture_publie") == 60.9
    assert ref("france", "FR", "taux_couverture_publie", 2022) == 59.5
    assert ref("france", "FR", "taux_couverture_assistantes_maternelles_publie") == 31.8
    assert ref("france", "FR", "taux_couverture_eaje_psu_publie") == 20.1
    assert ref("departement", "90", "taux_couverture_publie") == 52
    assert ref("region", "27", "taux_couverture_publie") == 62.1
    # rate above 100 kept (decimal comma accepted)
    assert ref("epci", EPCI_B, "taux_couverture_publie") == 104.2
    # published places at every level
    assert ref("epci", EPCI_A, "places_total") == 200
    assert ref("commune", "90010", "places_eaje_psu") == 60
    assert set(refs["variable"]) <= set(VARIABLES)
    # dep placeholder XXX dropped too: 1 (places epci) + 1 (rates epci) + 1 (dep)
    assert sum(report.dropped.values()) == 3


def test_commune_arrondissements_folded_in_places(tmp_path):
    places_com = write(
        tmp_path,
        "nbpla_pe_com.csv",
        [
            "annee;numcom;nomcom;numepci;pl_psu_col_com;tot_offre_com",
            "2023;75101;Paris 1er;200054781;10;30",
            "2023;75102;Paris 2e;200054781;15;40",
        ],
    )
    communes = pd.DataFrame({"code": ["75056"], "epci": ["200054781"], "population": [2.1e6]})
    obs, refs, _ = read_early_childhood({}, {"com": places_com}, communes)
    assert value(obs, "75056", "places_eaje_psu") == 25  # 10 + 15
    assert value(obs, "75056", "places_total") == 70  # 30 + 40
    # references keep the published arrondissement rows
    assert {"75101", "75102"} <= set(refs["code"])


def test_pe_duplicate_epci_year(tmp_path, communes):
    path = write(
        tmp_path,
        "nbpla_pe_epci.csv",
        [
            "annee;numepci;tot_offre_epci",
            f"2023;{EPCI_A};200",
            f"2023;{EPCI_B};20",
            f"2023;{EPCI_A};210",
        ],
    )
    msg = error_of(read_early_childhood, {}, {"epci": path}, communes)
    assert "ligne 4" in msg and "déjà ligne 2" in msg and "colonne « numepci »" in msg


def test_pe_lost_leading_zero_in_departement(tmp_path, communes):
    path = write(tmp_path, "txcouv_pe_dep.csv", ["annee;numdep;txcouv_dep", "2023;1;55.2"])
    msg = error_of(read_early_childhood, {"dep": path}, {}, communes)
    assert "ligne 2" in msg and "colonne « numdep »" in msg and "01" in msg


def test_pe_text_in_numeric(tmp_path, communes):
    path = write(
        tmp_path, "nbpla_pe_epci.csv", ["annee;numepci;tot_offre_epci", f"2023;{EPCI_A};n.d."]
    )
    msg = error_of(read_early_childhood, {}, {"epci": path}, communes)
    assert "ligne 2" in msg and "colonne « tot_offre_epci »" in msg


def test_pe_bad_year(tmp_path, communes):
    path = write(tmp_path, "txcouv_pe_nat.csv", ["annee;txcouv_nat", "janvier 2023;60.9"])
    msg = error_of(read_early_childhood, {"nat": path}, {}, communes)
    assert "ligne 2" in msg and "colonne « annee »" in msg


def test_pe_hist_then_current_file(tmp_path, communes):
    hist = write(
        tmp_path,
        "nbpla_pe_epci_hist.csv",
        ["annee;numepci;tot_offre_epci", f"2021;{EPCI_A};180", f"2022;{EPCI_A};190"],
    )
    current = write(
        tmp_path,
        "nbpla_pe_epci.csv",
        ["annee;numepci;tot_offre_epci", f"2022;{EPCI_A};195", f"2023;{EPCI_A};200"],
    )
    _, refs, report = read_early_childhood({}, {"epci": [hist, current]}, communes)
    epci = refs[refs["niveau"] == "epci"].set_index("annee")["valeur"]
    # 2022 is revised by the current file: 195 wins over 190
    assert epci.to_dict() == {2021: 180, 2022: 195, 2023: 200}
    assert any("2022" in n for n in report.notes)


# --------------------------------------------------------------------------------------------
# read_tauxcouv_legacy
# --------------------------------------------------------------------------------------------


def test_legacy_lower_case_header_decimal_comma(tmp_path):
    path = write(
        tmp_path,
        "TAUXCOUV2021.csv",
        [
            "NUM_COM;NOM_COM;NUM_EPCI;NOM_EPCI;NUMZEMPL;NOMZEMPL;"
            "tauxcouv_com;tauxcouv_epci;tauxcouv_dep;tauxcouv_reg;tauxcouv_fe",
            "99999;Etranger;;;;;0;0;0;0;0",
            "XXXXX;Inconnue;;;;;0;0;0;0;0",
            f"90010;Belfort;{EPCI_A};CA A;2701;Belfort;57,4;55,1;52,3;62,1;59,5",
            f"90001;Andelnans;{EPCI_A};CA A;2701;Belfort;40;55,1;52,3;62,1;59,5",
            f"90003;Angeot;{EPCI_B};CC B;2701;Belfort;104,2;104,2;52,3;62,1;59,5",
        ],
    )
    refs, report = read_tauxcouv_legacy(path, known_communes={"90010", "90001"})
    assert list(refs.columns) == ["niveau", "code", "annee", "variable", "valeur"]
    assert (refs["annee"] == 2021).all()
    assert (refs["variable"] == "taux_couverture_publie").all()
    by = refs.set_index(["niveau", "code"])["valeur"]
    assert by[("commune", "90010")] == 57.4
    assert by[("commune", "90003")] == 104.2
    assert by[("epci", EPCI_A)] == 55.1  # two communes, one EPCI row
    assert by[("departement", "90")] == 52.3
    assert by[("france", "FR")] == 59.5
    assert (refs["niveau"] == "epci").sum() == 2
    assert (refs["niveau"] == "france").sum() == 1
    assert "region" not in set(refs["niveau"])  # no région code in the file
    assert sum(report.dropped.values()) == 2
    assert report.unmatched_codes == ["90003"]


def test_legacy_upper_case_spelling_and_regions(tmp_path):
    path = write(
        tmp_path,
        "taux_couverture.csv",
        [
            "NUM_COM;NOM_COM;NUM_EPCI;NOM_EPCI;"
            "TAUXCOUV_COMM;TAUXCOUV_EPCI;TAUXCOUV_DEP;TAUXCOUV_REG;TAUXCOUV_NAT",
            f"90010;Belfort;{EPCI_A};CA A;57,4;55,1;52,3;62,1;58,8",
            "2A004;Ajaccio;200066819;CA Pays Ajaccien;45,5;44;41,2;40,8;58,8",
        ],
    )
    refs, _ = read_tauxcouv_legacy(path, annee=2020, region_of_departement={"90": "27", "2A": "94"})
    by = refs.set_index(["niveau", "code"])["valeur"]
    assert (refs["annee"] == 2020).all()
    assert by[("commune", "90010")] == 57.4
    assert by[("commune", "2A004")] == 45.5
    assert by[("departement", "2A")] == 41.2
    assert by[("region", "27")] == 62.1 and by[("region", "94")] == 40.8
    assert by[("france", "FR")] == 58.8


def test_legacy_year_missing(tmp_path):
    path = write(tmp_path, "taux.csv", ["NUM_COM;tauxcouv_com", "90010;57,4"])
    msg = error_of(read_tauxcouv_legacy, path)
    assert "TAUXCOUV2021" in msg


def test_legacy_errors_name_line_and_column(tmp_path):
    path = write(
        tmp_path,
        "TAUXCOUV2020.csv",
        ["NUM_COM;NOM_COM;tauxcouv_com", "90010;Belfort;57,4", "1001;Abergement;abc"],
    )
    msg = error_of(read_tauxcouv_legacy, path)
    assert "ligne 3" in msg and "colonne « NUM_COM »" in msg and "01001" in msg
    assert "colonne « tauxcouv_com »" in msg and "« abc »" in msg


def test_legacy_windows_1252_is_read(tmp_path):
    path = write(
        tmp_path,
        "TAUXCOUV2020.csv",
        ["NUM_COM;NOM_COM;tauxcouv_com", "90039;Évette-Salbert;33,3"],
        enc="cp1252",
    )
    refs, report = read_tauxcouv_legacy(path)
    assert refs["valeur"].tolist() == [33.3]
    assert any("Windows-1252" in n for n in report.notes)
