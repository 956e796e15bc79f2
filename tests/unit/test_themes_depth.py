"""The six CTG themes in depth (issue 16): every new indicator against figures worked out by
hand from the demo files, the new loaders (Cafdata QPV level, Insee QPV income, DREES
accueils collectifs de mineurs), « Ce qu'il faut retenir », and the six tabs of a demo EPCI.

The hand figures come from the rows of ``data/demo/`` quoted in the comments: the perimeter
CTG-VALMONT-COEUR (communes 96001, 96002, 96003 and 96004) for the Cafdata shares, the commune
96003 (Bréval-la-Côte, one pseudo-IRIS 960030000) for the census.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from territoire_lib.dataset import load_territory
from territoire_lib.diagnostic import diagnose
from territoire_lib.errors import DataError
from territoire_lib.indicators import indicator_table, load_catalogue_full
from territoire_lib.sources.cafdata import read_cafdata_communal
from territoire_lib.sources.drees import read_acm_table
from territoire_lib.sources.insee_qpv import read_qpv_income

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"
PERIMETER = "CTG-VALMONT-COEUR"  # 96001, 96002, 96003, 96004
EPCI = "296000011"  # CA de Valmont-sur-Loue
CTG_THEMES = (
    "petite_enfance",
    "enfance_jeunesse",
    "parentalite",
    "avs",
    "logement",
    "acces_droits",
)


@pytest.fixture(scope="module")
def demo():
    return load_territory("demo")


@pytest.fixture(scope="module")
def perimeter(demo):
    return indicator_table(demo, PERIMETER).set_index("indicateur")


@pytest.fixture(scope="module")
def breval(demo):
    return indicator_table(demo, "96003").set_index("indicateur")


def value(table, ident):
    row = table.loc[ident]
    assert bool(row["disponible"]), ident
    return float(row["valeur"])


# -- s_ben_com_f: every benefit, December 2024 ------------------------------------------------
# s_ben_com_f.csv, dtreffre 2024-12, communes 96001 ; 96002 ; 96003 ; 96004:
#   indfoy_ndur      10975 ; 2680 ; 200 ; 340  → 14 195 foyers allocataires
#   indnbp_ndur      25145 ; 6075 ; 475 ; 750  → 32 445 personnes couvertes
#   indfoy_af         4490 ;  910 ;  75 ; 105  →  5 580
#   indfoy_cf          725 ;  175 ;  10 ;  20  →    930
#   indfoy_ndurpaje   1735 ;  355 ;  30 ;  40  →  2 160
#   indfoy_ab         1250 ;  255 ;  20 ;  30  →  1 555
#   indfoy_cmg         590 ;  120 ;  10 ;  15  →    735
#   indfoy_ndural     7095 ; 1410 ;  65 ; 120  →  8 690
#   indfoy_apl        3405 ;  675 ;  30 ;  55  →  4 165
#   indfoy_als        2625 ;  520 ;  25 ;  45  →  3 215
#   indfoy_alf        1065 ;  210 ;  10 ;  20  →  1 305
#   indfoy_ppa        3140 ;  720 ;  55 ; 105  →  4 020
#   indfoy_aah         825 ;  205 ;  15 ;  30  →  1 075
@pytest.mark.parametrize(
    "ident, expected",
    [
        ("part_paje_base", 100 * 1555 / 14195),  # 10,95
        ("part_cmg", 100 * 735 / 14195),  # 5,18
        ("part_cmg_paje", 100 * 735 / 2160),  # 34,03 (CMG among PAJE households)
        ("part_af", 100 * 5580 / 14195),  # 39,31
        ("part_cf", 100 * 930 / 14195),  # 6,55
        ("part_apl", 100 * 4165 / 14195),  # 29,34
        ("part_als", 100 * 3215 / 14195),  # 22,65
        ("part_alf", 100 * 1305 / 14195),  # 9,19
        ("part_ppa", 100 * 4020 / 14195),  # 28,32
        ("part_aah", 100 * 1075 / 14195),  # 7,57
    ],
)
def test_cafdata_shares_of_the_perimeter(perimeter, ident, expected):
    assert value(perimeter, ident) == pytest.approx(expected)
    assert int(perimeter.loc[ident, "annee"]) == 2024
    assert bool(perimeter.loc[ident, "arrondi"])  # the Cnaf's counts rounded to 5


def test_rsa_by_type(perimeter):
    # rsa_s_type_com_f.csv, 2024-12: RSA majoré 380 + 50 + 0 + 5 = 435 ; non majoré
    # 2140 + 335 + 15 + 20 = 2 510 → 435 / 2 945 = 14,77 %
    assert value(perimeter, "part_rsa_majore") == pytest.approx(100 * 435 / 2945)


def test_every_cafdata_indicator_states_its_unit_direction_and_rounding():
    cat = load_catalogue_full()
    cafdata = [
        i for i in cat.indicators.values() if "Cafdata" in i.source and "Onape" not in i.source
    ]
    assert len(cafdata) >= 30
    for ind in cafdata:
        assert ind.unit and ind.direction in ("hausse_favorable", "baisse_favorable", "neutre")
        assert "arrondis à 5" in ind.definition, ind.id
    # the CMG is published as one total: the definition says so
    assert "ne détaille pas le CMG par mode de garde" in cat.indicators["part_cmg"].definition


# -- family quotient, « Inconnu » left out of the denominator ----------------------------------
# ndur_s_qf_400_com_f.csv, 2024-12, communes 96001 ; 96002 ; 96003 ; 96004:
#   Moins de 400     1975 ; 360 ; 15 ; 25 → 2 375
#   400 à 799        2540 ; 535 ; 30 ; 45 → 3 150
#   800 à 1199       2030 ; 495 ; 35 ; 55 → 2 615
#   1200 à 1599      1110 ; 315 ; 30 ; 50 → 1 505
#   1600 à 1999       650 ; 200 ; 20 ; 35 →   905
#   2000 à 3999       855 ; 290 ; 35 ; 60 → 1 240
#   4000 ou plus      105 ;  40 ;  5 ; 10 →   160
#   Inconnu          1715 ; 445 ; 35 ; 55 → 2 250
# QF known: 2375 + 3150 + 2615 + 1505 + 905 + 1240 + 160 = 11 950
@pytest.mark.parametrize(
    "ident, expected",
    [
        ("part_qf_moins_400", 100 * 2375 / 11950),  # 19,87
        ("part_qf_400_799", 100 * 3150 / 11950),  # 26,36
        ("part_qf_800_1199", 100 * 2615 / 11950),  # 21,88
        ("part_qf_1200_1599", 100 * 1505 / 11950),  # 12,59
        ("part_qf_1600_1999", 100 * 905 / 11950),  # 7,57
        ("part_qf_2000_3999", 100 * 1240 / 11950),  # 10,38
        ("part_qf_4000_plus", 100 * 160 / 11950),  # 1,34
        ("part_qf_moins_800", 100 * (2375 + 3150) / 11950),  # 46,23
        ("part_qf_inconnu", 100 * 2250 / (11950 + 2250)),  # 15,85, over every band
    ],
)
def test_family_quotient_bands(perimeter, ident, expected):
    assert value(perimeter, ident) == pytest.approx(expected)


def test_the_bands_add_up_to_100_and_the_choice_is_stated(perimeter):
    cat = load_catalogue_full()
    bands = ["part_qf_moins_400", "part_qf_400_799", "part_qf_800_1199", "part_qf_1200_1599",
             "part_qf_1600_1999", "part_qf_2000_3999", "part_qf_4000_plus"]  # fmt: skip
    assert sum(value(perimeter, b) for b in bands) == pytest.approx(100)
    for ident in [*bands, "part_qf_moins_800"]:
        assert "« Inconnu » est exclue du dénominateur" in cat.indicators[ident].definition
    assert "« Inconnu » exclue" in cat.indicators["part_qf_moins_800_qpv"].definition


# -- the QPV level: real QPV figures ----------------------------------------------------------
# ndur_s_qf_400_qpv_f.csv, 2024-12: 96001 Bellevue - Les Tilleuls ; Faubourg de Loue ; Les
# Hauts de Loue, then 96002 Les Hauts de Loue:
#   Moins de 400    285 ; 235 ; 395 ; 85 → 1 000
#   400 à 799       330 ; 290 ; 430 ; 95 → 1 145
#   800 à 1199      240 ; 220 ; 290 ; 70 →   820
#   1200 à 1599     120 ; 115 ; 135 ; 35 →   405
#   1600 à 1999      65 ;  65 ;  70 ; 20 →   220
#   2000 à 3999      80 ;  85 ;  85 ; 20 →   270
#   4000 ou plus     10 ;  10 ;  10 ;  0 →    30
#   Inconnu         195 ; 185 ; 230 ; 55 →   665
# known 3 890 ; all bands 3 890 + 665 = 4 555
def test_qpv_shares(perimeter, demo):
    assert value(perimeter, "part_qf_moins_800_qpv") == pytest.approx(100 * 2145 / 3890)  # 55,14
    # households living in a QPV for 100 households of the perimeter: 4 555 / 14 195 = 32,09
    assert value(perimeter, "part_allocataires_qpv") == pytest.approx(100 * 4555 / 14195)
    # a commune without QPV counts 0 (not « not available »): 96003 has none
    breval = indicator_table(demo, "96003").set_index("indicateur")
    assert value(breval, "part_allocataires_qpv") == 0


def test_cafdata_qpv_loader(tmp_path):
    obs, report = read_cafdata_communal(DEMO / "ndur_s_qf_400_qpv_f.csv", {"96001", "96002"})
    got = obs[(obs["annee"] == 2024) & (obs["variable"] == "allocataires_qpv_qf_0_399")]
    got = got.set_index("commune")["valeur"]
    assert got["96001"] == 285 + 235 + 395  # the three QPV of Valmont-sur-Loue summed
    assert got["96002"] == 85
    assert "3 quartier(s) prioritaire(s)" in report.french()
    # a known commune absent from the file has no household in a QPV: 0
    obs, report = read_cafdata_communal(DEMO / "ndur_s_qf_400_qpv_f.csv", {"96001", "96003"})
    zero = obs[(obs["commune"] == "96003") & (obs["variable"] == "allocataires_qpv_qf_inconnu")]
    assert sorted(zero["annee"]) == [2020, 2021, 2022, 2023, 2024] and (zero["valeur"] == 0).all()
    # the same QPV, band and month twice is refused with its line
    text = (DEMO / "ndur_s_qf_400_qpv_f.csv").read_text(encoding="utf-8-sig").splitlines()
    path = tmp_path / "q.csv"
    path.write_text("\n".join([*text[:3], text[2]]) + "\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        read_cafdata_communal(path)
    assert "ligne 4" in str(err.value) and "en double (déjà ligne 3)" in str(err.value)


def test_qpv_income_loader_and_table(demo, tmp_path):
    refs, report = read_qpv_income(DEMO / "revenu-disponible-qp24-2021_QP.csv")
    # revenu-disponible-qp24-2021_QP.csv: QN09601M;10810;46.2;…
    row = refs[(refs["code"] == "QN09601M")].set_index("variable")["valeur"]
    assert row["niveau_vie_median"] == 10810 and row["taux_pauvrete_publie"] == 46.2
    assert set(refs["annee"]) == {2021} and set(refs["niveau"]) == {"qpv"}
    table = diagnose(demo, EPCI).qpv_table().set_index("Code")
    hauts = table.loc["QN09601M"]
    assert hauts["Quartier"] == "Les Hauts de Loue"
    assert hauts["Taux de pauvreté du quartier (%)"] == "46,2"
    # FILO2021_DISP_PAUVRES_COM.csv: TP6021 24.5 (96001), 18.3 (96002); FILO2021_DISP_COM.csv:
    # Q221 18640 (96001), 21590 (96002)
    assert hauts["Taux de pauvreté de la commune (%)"] == (
        "Valmont-sur-Loue : 24,5 ; Saint-Aubin-lès-Valmont : 18,3"
    )
    assert hauts["Niveau de vie médian du quartier (€)"] == "10\u202f810"
    assert table.loc["QN09603M", "Niveau de vie médian de la commune (€)"] == "18\u202f640"
    # an « ensemble des QPV » row is left out, a malformed QPV code refused with its line
    path = tmp_path / "qp.csv"
    path.write_text(
        "CODGEO;DISP_MED_A21;DISP_TP60_A21\n00;14000;43.0\nQN09601M;10810;s\nQX1;1;1\n",
        encoding="utf-8",
    )
    with pytest.raises(DataError) as err:
        read_qpv_income(path)
    assert "ligne 4, colonne « CODGEO » : trouvé « QX1 »" in str(err.value)
    path.write_text("CODGEO;DISP_MED_A21;DISP_TP60_A21\n00;14000;43.0\nQN09601M;10810;s\n")
    refs, report = read_qpv_income(path)
    assert list(refs["variable"]) == ["niveau_vie_median"]  # the secret « s » is not a value
    assert report.secret_values == 1 and "ligne qui n'est pas un quartier" in report.french()


# -- census: enfance-jeunesse, parentalité, vie sociale, logement -------------------------------
# base-ic-evol-struct-pop-2021.csv, IRIS 960030000: P21_POP 1253.062548, P21_POP0305
# 51.065597, P21_POP0610 76.826949, P21_POP1117 115.387489, P21_POP65P 277.199888
# base-ic-couples-familles-menages-2021.csv, IRIS 960030000: C21_MEN 537.080253, C21_MENPSEUL
# 177.444758, C21_FAMMONO 45.057391, C21_COUPAENF 156.165774, C21_NE24F1 86.525961, C21_NE24F2
# 76.464803, C21_NE24F3 27.36635, C21_NE24F4P 10.866051, P21_POP6579 198.556358, P21_POP80P
# 78.64353, P21_POP6579_PSEUL 48.976639, P21_POP80P_PSEUL 34.320425
POP = 1253.062548


@pytest.mark.parametrize(
    "ident, expected",
    [
        ("part_3_5", 100 * 51.065597 / POP),  # 4,08
        ("part_6_10", 100 * 76.826949 / POP),  # 6,13
        ("part_11_17", 100 * 115.387489 / POP),  # 9,21
        ("part_3_17", 100 * (51.065597 + 76.826949 + 115.387489) / POP),  # 19,41
        ("part_65_plus", 100 * 277.199888 / POP),  # 22,12
        # 45.057391 / (156.165774 + 45.057391) = 22,39 %
        ("part_monoparentales_familles_enfants", 100 * 45.057391 / (156.165774 + 45.057391)),
        # (27.36635 + 10.866051) / (86.525961 + 76.464803 + 27.36635 + 10.866051) = 19,00 %
        (
            "part_familles_nombreuses",
            100 * (27.36635 + 10.866051) / (86.525961 + 76.464803 + 27.36635 + 10.866051),
        ),
        # (48.976639 + 34.320425) / (198.556358 + 78.64353) = 30,05 %
        ("part_65_plus_seules", 100 * (48.976639 + 34.320425) / (198.556358 + 78.64353)),
        ("part_80_plus_seules", 100 * 34.320425 / 78.64353),  # 43,64
        ("part_menages_une_personne", 100 * 177.444758 / 537.080253),  # 33,04
    ],
)
def test_census_shares_of_a_commune(breval, ident, expected):
    assert value(breval, ident) == pytest.approx(expected)
    assert int(breval.loc[ident, "annee"]) == 2021


def test_counts_and_their_trend(breval):
    # familles nombreuses: 27.36635 + 10.866051 = 38.232401
    assert value(breval, "familles_nombreuses") == pytest.approx(38.232401)
    # 3-5 year olds: 50.986851 in 2017 (base-ic-evol-struct-pop-2017.csv), 51.065597 in 2021:
    # + 0,15 %
    assert float(breval.loc["enfants_3_5", "evolution"]) == pytest.approx(
        100 * (51.065597 / 50.986851 - 1)
    )
    assert breval.loc["enfants_3_5", "evolution_texte"] == "en hausse de 0,2\u202f% depuis 2017"


def test_births_rates_against_the_census(breval):
    # DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv: 96003, 2023, 13 births; population of the latest
    # census not after 2023 (2021): 13 / 1 253.062548 × 1 000 = 10,37 ‰
    assert value(breval, "taux_natalite") == pytest.approx(13 / POP * 1000)
    assert int(breval.loc["taux_natalite", "annee_denominateur"]) == 2021
    # s_ben_com_f.csv 2024: indfoy_ndural 65, indnbp_ndur 475 ; census 2021: C21_MEN 537.080253
    assert value(breval, "part_aide_logement_menages") == pytest.approx(100 * 65 / 537.080253)
    assert value(breval, "part_personnes_couvertes") == pytest.approx(100 * 475 / POP)


# -- DREES: accueils collectifs de mineurs ------------------------------------------------------
def test_acm_loader_and_context_lines(demo):
    refs, report = read_acm_table(
        DEMO / "drees_acm_2018_96.csv",
        2018,
        "96",
        {"libelle": "Libellé", "departement": "Département de démonstration (fictif)",
         "france": "FRANCE entière"},
    )  # fmt: skip
    got = refs.set_index(["niveau", "variable"])["valeur"]
    # drees_acm_2018_96.csv: « Nombre de communes disposant d'un accueil de loisirs;44;44;
    # 12 380;12 489 » and « Le mercredi » … « Nombre de places ouvertes;1 392;1 392;355 862;
    # 368 524 »
    assert got[("departement", "acm_communes_accueil_loisirs")] == 44
    assert got[("france", "acm_communes_accueil_loisirs")] == 12489
    assert got[("france", "acm_mercredi_places")] == 368524
    assert got[("departement", "acm_periscolaire_age_14_17")] == 145
    lines = diagnose(demo, EPCI).acm_context().set_index("cle")
    # 44 / 120 = 36,7 % ; France entière 12 489 / 35 357 = 35,3 %
    assert lines.loc["communes_accueil_loisirs", "phrase"] == (
        "Contexte départemental (DREES, 2018) : 44 communes sur 120 du département ont au moins "
        "un accueil de loisirs, soit 36,7\u202f% (France : 35,3\u202f%)."
    )
    # children aged 3 to 17 of the département in 2018, summed from the census file
    with open(DEMO / "base-ic-evol-struct-pop-2018.csv", encoding="utf-8") as fh:
        children = sum(
            float(r["P18_POP0305"]) + float(r["P18_POP0610"]) + float(r["P18_POP1117"])
            for r in csv.DictReader(fh, delimiter=";")
        )
    mercredi = lines.loc["places_mercredi"]
    assert mercredi["departement"] == pytest.approx(100 * 1392 / children)
    # under 6: 456 / 1 392 = 33 % ; France entière 127 417 / 368 524 = 35 %
    assert mercredi["phrase"].endswith("; 33\u202f% pour les moins de 6 ans (France : 35\u202f%).")


def test_acm_other_layouts(tmp_path):
    # the 2019 heading names périscolaire, mercredi and samedi at once; 2016 had 6-11 ans
    path = tmp_path / "acm.csv"
    path.write_text(
        "Libellé;Aisne;FRANCE entière\n"
        "Au moins une période au cours de la semaine (en périscolaire, y compris le mercredi "
        "ou le samedi);;\n"
        "Nombre de places ouvertes;13 299;2 254 779\n"
        "Au moins une période d'activité le mercredi;;\n"
        "Nombre de places ouvertes;6 345;1 485 629\n"
        "Congés scolaires de Toussaint;;\n"
        "6-11 ans;2 649;414 977\n"
        "Une ligne inconnue;1;2\n",
        encoding="utf-8",
    )
    refs, report = read_acm_table(
        path, 2019, "02", {"libelle": "Libellé", "departement": "Aisne", "france": "FRANCE entière"}
    )
    got = refs[refs["niveau"] == "departement"].set_index("variable")["valeur"]
    assert got["acm_periscolaire_places"] == 13299
    assert got["acm_mercredi_places"] == 6345
    assert got["acm_toussaint_age_6_11"] == 2649
    assert "« Une ligne inconnue »" in report.french()
    with pytest.raises(DataError) as err:
        read_acm_table(path, 2019, "02", {"libelle": "Libellé", "departement": "Oise"})
    assert "aucune colonne « Oise »" in str(err.value)


# -- the school-age projection ----------------------------------------------------------------
def test_school_age_projection_starts_from_the_census(demo):
    proj = diagnose(demo, "96003").school_age_projection().set_index("annee")
    # census 2021: 51.065597 (3-5) and 76.826949 (6-10); projected six years after it
    assert proj.loc[2021, "pop_3_5"] == pytest.approx(51.065597)
    assert proj.loc[2021, "pop_6_10"] == pytest.approx(76.826949)
    assert proj.loc[2021, "statut"] == "observé"
    assert proj.index.max() == 2027 and proj.loc[2027, "statut"] == "projeté"


# -- « Ce qu'il faut retenir » ------------------------------------------------------------------
def test_takeaways_are_drawn_from_the_figures(demo):
    d = diagnose(demo, PERIMETER)
    # QPV 55,14 % (2 145 / 3 890) against 46,23 % (5 525 / 11 950)
    assert (
        "Dans les quartiers prioritaires, 55,1\u202f% des foyers allocataires ont un quotient "
        "familial inférieur à 800 € en 2024, contre 46,2\u202f% pour tout le territoire."
    ) in d.takeaways("acces_droits")
    # housing aid 8 690 / 14 195 = 61,2 ; APL 29,3 ; ALS 22,6 ; ALF 9,2
    assert d.takeaways("logement")[0] == (
        "61,2 foyers allocataires sur 100 perçoivent une aide au logement en 2024 : APL 29,3, "
        "ALS 22,6, ALF 9,2."
    )
    # 4 555 / 14 195 = 32,1 foyers sur 100 en QPV
    assert (
        "En 2024, 32,1 foyers allocataires sur 100 vivent dans un quartier prioritaire de la "
        "politique de la ville."
    ) in d.takeaways("avs")
    # 22,39 % of families with children: 100 / 5 = 20 < 22,39, more than 5 % away → « plus
    # d'une » ; the département: C21_FAMMONO / (C21_COUPAENF + C21_FAMMONO) of every IRIS
    with open(DEMO / "base-ic-couples-familles-menages-2021.csv", encoding="utf-8") as fh:
        iris = list(csv.DictReader(fh, delimiter=";"))
    mono = sum(float(r["C21_FAMMONO"]) for r in iris)
    couples = sum(float(r["C21_COUPAENF"]) for r in iris)
    dep = f"{100 * mono / (couples + mono):.1f}".replace(".", ",")  # 28,4
    breval = diagnose(demo, "96003")
    assert breval.takeaways("parentalite")[0] == (
        "Plus d'une famille avec enfants sur 5 est monoparentale (22,4\u202f% en 2021 ; "
        f"département : {dep}\u202f%)."
    )
    for theme in CTG_THEMES:
        sentences = d.takeaways(theme)
        assert 1 <= len(sentences) <= 5 and all(s.endswith(".") for s in sentences), theme


def test_associated_themes(demo):
    d = diagnose(demo, EPCI)
    avs = list(d.theme_rows("avs")["indicateur"])
    # the vie sociale theme also shows the population, the poverty rate, the FRR share and the
    # one-person households, after its own indicators
    assert avs[:4] == ["part_65_plus", "part_65_plus_seules", "part_80_plus_seules",
                       "part_allocataires_qpv"]  # fmt: skip
    assert {"population", "taux_pauvrete", "part_population_communes_frr",
            "part_menages_une_personne"} <= set(avs[4:])  # fmt: skip
    assert "naissances" in set(d.theme_rows("parentalite")["indicateur"])
    assert "Taux de pauvreté" in d.theme_table("avs").index


# -- the six tabs of a demo EPCI ---------------------------------------------------------------
def test_six_tabs_each_with_six_indicators_with_references_and_a_map(demo):
    from territoire_lib.dashboard.app import create_app

    app = create_app("demo", territoire=EPCI)
    assert [t.spec.key for t in app.themes] == [
        "petite-enfance", "enfance-jeunesse", "parentalite", "vie-sociale", "logement",
        "acces-droits",
    ]  # fmt: skip
    for tab in app.themes:
        tab.render()
        html = tab.cards.value
        cards = html.split('<div class="tdb-carte')[1:]
        with_ref = [c for c in cards if "Département :" in c]
        assert len(with_ref) >= 6, tab.spec.key
        assert "<svg" in tab.map.html.value, tab.spec.key
        assert "<svg" in tab.series.html.value, tab.spec.key
        assert "Ce qu'il faut retenir" in tab.retenir.value, tab.spec.key
        assert not tab.status.value, tab.spec.key
    by_key = {t.spec.key: t for t in app.themes}
    assert "<svg" in by_key["enfance-jeunesse"].projection.html.value
    assert "Contexte départemental" in by_key["enfance-jeunesse"].context.value
    assert "Les quartiers prioritaires face à leur commune" in by_key["acces-droits"].context.value
    # an old link to the former « logement et accès aux droits » tab opens « Logement »
    app.apply(onglet="logement-droits")
    assert app.keys[app.tabs.selected_index] == "logement"


def test_vie_sociale_is_never_empty(demo):
    from dataclasses import replace

    from territoire_lib.dashboard.themes import THEME_TABS, ThemeTab, context_html

    d = diagnose(demo, "96050")  # a small rural commune
    note = d.register_note("avs")
    assert note.startswith("Ce qui manque : la liste des centres sociaux et des espaces de vie")
    assert "zone de compétence" in note
    # even with no indicator at all, the tab says what is missing and how to prepare it
    empty = replace(d, table=d.table.assign(disponible=False))
    assert "Ce qui manque" in context_html(empty, "avs")
    tab = ThemeTab(next(s for s in THEME_TABS if s.key == "vie-sociale"), demo)
    tab.set_diagnostic(empty)
    tab.render()
    assert tab.cards.value and "Ce qui manque" in tab.context.value
