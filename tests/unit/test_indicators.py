"""Indicator catalogue and engine: ratios of sums at every level, census-year alignment,
secrecy, estimated share, rank and quintile, alert wording, catalogue validation.

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from territoire_lib.dataset import DEMO_DIR, Territory
from territoire_lib.errors import DataError, LoadReport
from territoire_lib.geo import Geography
from territoire_lib.indicators import (
    CATALOGUE_PATH,
    LEVELS,
    OUTPUT_COLUMNS,
    UnknownIndicatorError,
    alerts,
    compute,
    evolutions,
    indicator_table,
    load_catalogue,
    parse_catalogue,
)

E1, E2, E3 = "200000001", "200000002", "200000003"
NNBSP = "\u202f"

# code, name, département, EPCI, municipal population
COMMUNES = [
    ("90001", "Aville", "90", E1, 12000),
    ("90002", "Bourg", "90", E1, 800),
    ("90003", "Cité", "90", E1, 4000),
    ("90004", "Dampierre", "90", E2, 3500),  # exactly 3 500: not « plus de 3 500 »
    ("90005", "Essert", "90", E2, 300),
    ("90006", "Fontaine", "90", E2, 15000),
    ("25001", "Gray", "25", E3, 3600),  # another département: never ranked with the 90 ones
]
# children 0-2 at the censuses 2019 and 2021 (1 January of those years)
POP_0_2 = {
    "90001": (400, 380),
    "90002": (30, 25),
    "90003": (130, 120),
    "90004": (110, 100),
    "90005": (14, 12),
    "90006": (520, 500),
    "25001": (210, 200),
}
# children under 3 on 1 January 2022 and 2023, estimated (the census years 2019 and 2021 take
# the census): the denominators of the places of December 2021 and 2022 (Onape method);
# chosen equal to the 2021 census to keep the arithmetic short
UNDER3_ESTIMATED = {c: (y21, y21) for c, (_, y21) in POP_0_2.items()}
# childcare places in December 2018, 2020, 2021, 2022 and their status
PLACES = {
    "90001": ((212, 210, 200, 190), "publie"),
    "90002": ((None, 9, 10, 15), "estime"),
    "90003": ((None, 40, 38, 36), "estime"),
    "90004": ((None, 45, 42, 40), "estime"),
    "90005": ((None, 5, 5, 6), "estime"),
    "90006": ((None, 340, 345, 350), "publie"),
    "25001": ((None, 170, 175, 180), "publie"),
}
# Filosofi 2021: persons of tax households, poor persons (None = secret)
POVERTY = {
    "90001": (11000, 1650),  # 15 %
    "90002": (750, None),
    "90003": (2000, 200),  # 10 %
    "90004": (2400, None),
    "90005": (280, None),
    "90006": (14000, 2940),  # 21 %
    "25001": (3000, 360),  # 12 %
}
# CAFDATA December 2022, rounded to 5: allocataires, foyers RSA
CAF = {
    "90001": (1500, 150),
    "90002": (45, 5),
    "90003": (400, 20),
    "90004": (300, 30),
    "90005": (25, 0),
    "90006": (2000, 260),
    "25001": (500, 25),
}
POP_TOTALE_2021 = {
    "90001": 12100,
    "90002": 790,
    "90003": 3950,
    "90004": 3480,
    "90005": 310,
    "90006": 15200,
    "25001": 3550,
}


def _observations() -> pd.DataFrame:
    rows = []
    for c, (y19, y21) in POP_0_2.items():
        rows += [(c, 2019, "pop_0_2", y19, "publie"), (c, 2021, "pop_0_2", y21, "publie")]
        rows += [
            (c, 2019, "enfants_0_2_estimes", y19, "publie"),
            (c, 2021, "enfants_0_2_estimes", y21, "publie"),
        ]
    for c, (y22, y23) in UNDER3_ESTIMATED.items():
        rows += [
            (c, 2022, "enfants_0_2_estimes", y22, "estime"),
            (c, 2023, "enfants_0_2_estimes", y23, "estime"),
        ]
    # populations légales millésime 2021: population totale (the SPPE thresholds)
    for c, *_, population in COMMUNES:
        rows.append((c, 2021, "pop_legale_totale", population, "publie"))
    for c, (values, statut) in PLACES.items():
        for year, v in zip((2018, 2020, 2021, 2022), values, strict=True):
            if v is not None:
                rows.append((c, year, "places_total", v, statut))
    for c, (persons, poor) in POVERTY.items():
        rows.append((c, 2021, "personnes_menages_fiscaux", persons, "publie"))
        if poor is None:
            rows.append((c, 2021, "personnes_pauvres", math.nan, "secret"))
        else:
            rows.append((c, 2021, "personnes_pauvres", poor, "estime"))
    for c, (alloc, rsa) in CAF.items():
        rows += [
            (c, 2022, "allocataires", alloc, "arrondi_5"),
            (c, 2022, "foyers_rsa", rsa, "arrondi_5"),
        ]
    for c, pop in POP_TOTALE_2021.items():
        rows.append((c, 2021, "pop_totale", pop, "publie"))
    obs = pd.DataFrame(rows, columns=["commune", "annee", "variable", "valeur", "statut"])
    return obs.astype({"annee": "int64", "valeur": "float64"})


def make_territory(references: pd.DataFrame | None = None) -> Territory:
    communes = pd.DataFrame(
        COMMUNES, columns=["code", "nom", "departement", "epci", "population"]
    ).assign(region="27")
    geo = Geography(
        communes=communes[["code", "nom", "departement", "region", "epci", "population"]],
        epcis=pd.DataFrame(
            {"code": [E1, E2, E3], "nom": ["CC Un", "CC Deux", "CC Trois"], "nature": "CC"}
        ),
        departements=pd.DataFrame(
            {"code": ["25", "90"], "nom": ["Doubs", "Territoire de Belfort"], "region": "27"}
        ),
        regions=pd.DataFrame({"code": ["27"], "nom": ["Bourgogne-Franche-Comté"]}),
    )
    geo.add_perimeter("ctg-bd", "CTG Bourg-Dampierre", ["90002", "90004"])
    geo.add_perimeter("ctg-cd", "CTG Cité-Dampierre", ["90003", "90004"])
    if references is None:
        references = pd.DataFrame(
            {
                "niveau": ["france", "departement", "epci"],
                "code": ["FR", "90", E2],
                "annee": [2022, 2021, 2021],
                "variable": ["taux_couverture_publie", "taux_pauvrete_publie"]
                + ["taux_pauvrete_publie"],
                "valeur": [60.0, 16.8, 19.5],
            }
        )
    qpv = pd.DataFrame(
        {
            "commune": ["90001", "90001", "90006"],
            "code_qp": ["QN09001M", "QN09002M", "QN09003M"],
            "lib_qp": ["Résidences", "Glacis", "Bougenel"],
        }
    )
    zonages = pd.DataFrame(
        {
            "commune": [c[0] for c in COMMUNES],
            "qpv": [2, 0, 0, 0, 0, 1, 0],
            "frr": ["non", "frr", "non", "frr_plus", "beneficiaire", "non", "non"],
        }
    )
    return Territory(
        name="Test",
        fictional=True,
        geography=geo,
        observations=_observations(),
        references=references,
        qpv=qpv,
        zonages=zonages,
        contours=None,
        reports=[LoadReport("Zonage FRR", "frr.csv")],
    )


@pytest.fixture(scope="module")
def territory() -> Territory:
    return make_territory()


def one(frame: pd.DataFrame, indicateur: str, territoire: str, annee: int) -> pd.Series:
    sel = frame[
        (frame["indicateur"] == indicateur)
        & (frame["territoire"] == territoire)
        & (frame["annee"] == annee)
    ]
    assert len(sel) == 1, sel
    return sel.iloc[0]


# -- catalogue --------------------------------------------------------------------------------
def test_catalogue_has_the_required_indicators():
    cat = load_catalogue()
    for ident in [
        "enfants_0_2",
        "enfants_3_5",
        "enfants_6_10",
        "jeunes_11_17",
        "naissances",
        "taux_couverture_global",
        "taux_couverture_eaje_psu",
        "taux_couverture_eaje_hors_psu",
        "taux_couverture_assistantes_maternelles",
        "taux_couverture_garde_domicile",
        "taux_couverture_prescolarisation",
        "part_familles_monoparentales",
        "taux_pauvrete",
        "part_qf_moins_800",
        "part_rsa",
        "part_aide_logement",
        "part_aeeh",
        "communes_qpv",
        "part_population_communes_qpv",
        "part_population_communes_frr",
        "strate_sppe",
    ]:
        assert ident in cat, ident
    tc = cat["taux_couverture_global"]
    # places of December N over the children on 1 January N+1 (Onape method)
    assert tc.denominator.alignment == "annee_suivante"
    assert tc.denominator.variables == ("enfants_0_2_estimes",)
    assert tc.published_headline
    assert tc.references[2023] == 60.9  # data-formats.md §2
    assert tc.direction == "hausse_favorable"
    assert cat["enfants_6_10"].label == "Enfants de 6 à 10 ans"  # honest RP band


def test_catalogue_errors_name_the_yaml_key_and_line(tmp_path: Path):
    text = """\
themes:
  contexte: Contexte
indicateurs:
  taux_test:
    libelle: Test
    definition: Test
    theme: contexte
    type: taux
    numerateur: foyers_rsa
    denominateur: allocatair
    unite: "%"
    sens: plus_haut_mieux
    source: Cnaf
    millesime: "2022"
"""
    with pytest.raises(DataError) as err:
        parse_catalogue(text, "catalogue.yaml")
    msg = str(err.value)
    # line 10: the misspelt denominator; line 12: the unknown direction
    assert (
        "fichier « catalogue.yaml », ligne 10, colonne « indicateurs → taux_test → "
        "denominateur » : trouvé la variable inconnue « allocatair »"
    ) in msg
    assert "ligne 12, colonne « indicateurs → taux_test → sens » : trouvé « plus_haut_mieux »" in (
        msg
    )
    assert "hausse_favorable, baisse_favorable, neutre" in msg


def test_catalogue_error_on_a_nested_key_names_its_own_line():
    text = """\
themes: {contexte: Contexte}
indicateurs:
  part_test:
    libelle: Test
    definition: Test
    theme: contexte
    type: taux
    numerateur: foyers_rsa
    denominateur: allocataires
    unite: "%"
    sens: neutre
    source: Cnaf
    millesime: "2022"
    secret:
      denominateur_minimum: 50
"""
    with pytest.raises(DataError) as err:
        parse_catalogue(text, "catalogue.yaml")
    # line 15: the misspelt key inside « secret »
    assert (
        "ligne 15, colonne « indicateurs → part_test → secret → denominateur_minimum » : "
        "trouvé la clé inconnue « denominateur_minimum »"
    ) in str(err.value)


def test_catalogue_file_error_for_invalid_yaml(tmp_path: Path):
    with pytest.raises(DataError) as err:
        parse_catalogue("indicateurs:\n  x: [1,\n", "catalogue.yaml")
    assert "fichier « catalogue.yaml », ligne 3" in str(err.value)
    assert "YAML invalide" in str(err.value)


def test_shipped_catalogue_path_exists():
    assert CATALOGUE_PATH.exists()


# -- ratio of sums ----------------------------------------------------------------------------
def test_output_columns(territory):
    out = compute(territory, "epci")
    assert list(out.columns) == OUTPUT_COLUMNS


def test_commune_coverage_uses_the_children_of_the_next_january(territory):
    out = compute(territory, "commune", ["taux_couverture_global"])
    # 2020 places over the children on 1 January 2021 (the 2021 census): 210 / 380 × 100
    # = 55.263…, never the 2019 census (210 / 400 = 52.5)
    r = one(out, "taux_couverture_global", "90001", 2020)
    assert r["valeur"] == pytest.approx(210 / 380 * 100)
    assert r["annee_denominateur"] == 2021
    # 2022 places over the children on 1 January 2023 (estimated 380): 190 / 380 × 100 = 50.0
    r = one(out, "taux_couverture_global", "90001", 2022)
    assert r["valeur"] == pytest.approx(50.0)
    assert r["annee_denominateur"] == 2023
    # 2018 places over the children on 1 January 2019 (the 2019 census): 212 / 400 = 53.0
    r = one(out, "taux_couverture_global", "90001", 2018)
    assert r["valeur"] == pytest.approx(53.0)
    assert r["annee_denominateur"] == 2019
    assert not r["arrondi"] and r["estime"] == 0.0
    # no value on 1 January 2020: the places of December 2019 would have no rate (none here)
    assert 2019 not in set(out["annee"])


def test_epci_is_a_ratio_of_sums_with_estimated_share(territory):
    out = compute(territory, "epci", ["taux_couverture_global"])
    r = one(out, "taux_couverture_global", E1, 2022)
    # places 190 + 15 + 36 = 241, children 380 + 25 + 120 = 525 → 45.904…;
    # the mean of the three rates (50 + 60 + 30) / 3 = 46.67 would be wrong
    assert r["numerateur"] == 241 and r["denominateur"] == 525
    assert r["valeur"] == pytest.approx(241 / 525 * 100)
    assert r["valeur"] != pytest.approx((50 + 60 + 30) / 3)
    # estimated places: Bourg 15 + Cité 36 = 51 of 241
    assert r["estime"] == pytest.approx(51 / 241)
    assert r["couverture"] == pytest.approx(1.0)


def test_perimeter_of_two_communes_ratio_of_sums_differs_from_mean_of_rates(territory):
    out = compute(territory, "perimetre", ["taux_couverture_global"])
    r = one(out, "taux_couverture_global", "ctg-bd", 2022)
    # Bourg 15 / 25 = 60.0 and Dampierre 40 / 100 = 40.0: mean 50.0;
    # ratio of sums (15 + 40) / (25 + 100) × 100 = 44.0
    assert r["valeur"] == pytest.approx(44.0)
    assert (60.0 + 40.0) / 2 == 50.0
    assert r["niveau"] == "perimetre"


def test_departement_region_france_levels(territory):
    dep = compute(territory, "departement", ["taux_couverture_global"])
    # 90: (190 + 15 + 36 + 40 + 6 + 350) / (380 + 25 + 120 + 100 + 12 + 500) = 637 / 1137
    assert one(dep, "taux_couverture_global", "90", 2022)["valeur"] == pytest.approx(
        637 / 1137 * 100
    )
    reg = compute(territory, "region", ["taux_couverture_global"])
    # région 27 adds Gray: (637 + 180) / (1137 + 200) = 817 / 1337
    assert one(reg, "taux_couverture_global", "27", 2022)["valeur"] == pytest.approx(
        817 / 1337 * 100
    )
    fr = compute(territory, "france", ["taux_couverture_global"])
    assert one(fr, "taux_couverture_global", "FR", 2022)["valeur"] == pytest.approx(
        817 / 1337 * 100
    )


def test_counts_and_zoning_indicators(territory):
    out = compute(territory, "epci")
    # children 0-2 of CC Un in 2021: 380 + 25 + 120 = 525
    assert one(out, "enfants_0_2", E1, 2021)["valeur"] == 525
    # communes with a QPV in CC Un: Aville only
    assert one(out, "communes_qpv", E1, 2021)["valeur"] == 1
    # population of QPV communes: 12 100 / (12 100 + 790 + 3 950) = 71.85 %
    assert one(out, "part_population_communes_qpv", E1, 2021)["valeur"] == pytest.approx(
        12100 / 16840 * 100
    )
    dep = compute(territory, "departement")
    # FRR communes of the 90: Bourg (frr) and Dampierre (frr_plus); Essert is only
    # « bénéficiaire » → 2; population (790 + 3 480) / 35 830 = 11.92 %
    assert one(dep, "communes_frr", "90", 2021)["valeur"] == 2
    assert one(dep, "part_population_communes_frr", "90", 2021)["valeur"] == pytest.approx(
        4270 / 35830 * 100
    )


def test_sppe_band_is_strictly_above_the_thresholds(territory):
    com = compute(territory, "commune", ["strate_sppe"])
    by = com.set_index("territoire")
    assert by.loc["90001", "categorie"] == "Plus de 10 000 habitants"  # 12 000
    assert by.loc["90003", "categorie"] == "Plus de 3 500 habitants"  # 4 000
    assert by.loc["90004", "categorie"] == "Toutes communes (3 500 habitants ou moins)"  # 3 500
    assert by.loc["90004", "valeur"] == 0 and by.loc["90001", "valeur"] == 2
    # the populations légales loaded: population totale of millésime 2021
    assert set(com["annee"]) == {2021}
    assert by.loc["90004", "numerateur"] == 3500
    dep = compute(territory, "departement", ["communes_sppe_plus_3500", "communes_sppe_plus_10000"])
    # 90: Aville, Cité, Fontaine over 3 500; Aville and Fontaine over 10 000
    assert one(dep, "communes_sppe_plus_3500", "90", 2021)["valeur"] == 3
    assert one(dep, "communes_sppe_plus_10000", "90", 2021)["valeur"] == 2


def test_missing_optional_variable_is_not_an_error(territory):
    out = compute(territory, "commune")
    assert "naissances" not in set(out["indicateur"].astype(str))
    table = indicator_table(territory, "90001").set_index("indicateur")
    assert not table.loc["naissances", "disponible"]
    assert table.loc["naissances", "note"] == "données non chargées : naissances"


def test_unknown_indicator_and_level_are_french_errors(territory):
    with pytest.raises(UnknownIndicatorError, match="Indicateur inconnu : « taux_x »"):
        compute(territory, "epci", ["taux_x"])
    with pytest.raises(Exception, match="Niveau inconnu : « canton »"):
        compute(territory, "canton")


# -- secrecy ----------------------------------------------------------------------------------
def test_small_denominator_is_shown_flagged_peu_significatif(territory):
    # public data (Cafdata places, Insee children): both counts are published, so the rate is
    # shown, flagged « peu significatif », never called secret
    out = compute(territory, "commune", ["taux_couverture_global"])
    r = one(out, "taux_couverture_global", "90005", 2022)  # 6 places for 12 children
    assert not r["masque"] and r["etiquette"] == "" and r["motif_masque"] == ""
    assert r["valeur"] == pytest.approx(50.0)  # 6 / 12 × 100
    assert r["numerateur"] == 6 and r["denominateur"] == 12
    assert r["peu_significatif"]
    assert r["motif_peu_significatif"] == "peu significatif : moins de 20 enfants au dénominateur"
    # Aville: 190 places for 380 children (≥ 20): not flagged
    assert not one(out, "taux_couverture_global", "90001", 2022)["peu_significatif"]


def test_secret_commune_is_masked_and_aggregate_marks_partial_coverage(territory):
    com = compute(territory, "commune", ["taux_pauvrete"])
    r = one(com, "taux_pauvrete", "90002", 2021)
    assert r["masque"] and r["secret"] and math.isnan(r["valeur"])
    assert r["motif_masque"] == "secret statistique : valeur non diffusée par la source"
    epci = compute(territory, "epci", ["taux_pauvrete"])
    r = one(epci, "taux_pauvrete", E1, 2021)
    # Bourg is secret: it leaves numerator AND denominator.
    # (1 650 + 200) / (11 000 + 2 000) = 14.23 %; covered 13 000 of 13 750 persons
    assert r["valeur"] == pytest.approx(1850 / 13000 * 100)
    assert r["couverture"] == pytest.approx(13000 / 13750)
    assert r["secret"] and not r["masque"]
    assert r["estime"] == 0.0  # poor persons are a reconstitution, not flagged
    per = compute(territory, "perimetre", ["taux_pauvrete"])
    # Bourg and Dampierre both secret → nothing to show
    r = one(per, "taux_pauvrete", "ctg-bd", 2021)
    assert r["masque"] and r["motif_masque"].startswith("secret statistique")
    # Cité (2 000 persons, published) and Dampierre (2 400, secret): 2 000 / 4 400 = 45 %
    # of the denominator covered, under the 50 % minimum → masked as too partial
    r = one(per, "taux_pauvrete", "ctg-cd", 2021)
    assert r["masque"]
    assert r["motif_masque"] == (
        "données trop partielles : moins de 50 % du dénominateur repose sur des communes "
        "dont la valeur est diffusée"
    )


def test_rounded_inputs_are_flagged_and_small_households_peu_significatif(territory):
    com = compute(territory, "commune", ["part_rsa"])
    r = one(com, "part_rsa", "90002", 2022)  # 45 allocataires < 50
    assert not r["masque"] and r["arrondi"] and r["peu_significatif"]
    assert r["valeur"] == pytest.approx(5 / 45 * 100)  # 11.1 %
    assert r["motif_peu_significatif"] == "peu significatif : moins de 50 foyers au dénominateur"
    epci = compute(territory, "epci", ["part_rsa"])
    r = one(epci, "part_rsa", E1, 2022)
    # (150 + 5 + 20) / (1 500 + 45 + 400) × 100 = 175 / 1 945 = 9.00 %
    assert r["valeur"] == pytest.approx(175 / 1945 * 100)
    assert r["arrondi"] and not r["masque"]


# -- table: comparisons, evolution, rank ------------------------------------------------------
def test_indicator_table_commune(territory):
    t = indicator_table(territory, "90001", 2022).set_index("indicateur")
    r = t.loc["taux_couverture_global"]
    assert r["annee"] == 2022 and r["valeur"] == pytest.approx(50.0)
    # département 90 computed: 637 / 1137 = 56.02
    assert r["valeur_departement"] == pytest.approx(637 / 1137 * 100)
    assert r["source_departement"] == "calculée"
    assert r["ecart_departement"] == pytest.approx(50.0 - 637 / 1137 * 100)
    # the published national value of the loaded references wins over the catalogue: 60.0;
    # Aville's rate is recomputed (no published commune rate): like with like, no gap to the
    # published France is computed (and no alert on it)
    assert r["source_valeur"] == "calculée"
    assert r["valeur_france"] == 60.0 and r["annee_france"] == 2022
    assert pd.isna(r["ecart_france"])
    # 2018: 53.0 → 2022: 50.0
    assert r["annee_debut"] == 2018 and r["evolution"] == pytest.approx(-3.0)
    assert r["evolution_unite"] == "points"
    assert r["evolution_texte"] == "en baisse de 3,0 points depuis 2018"
    # 2022 rates in the 90 (Essert masked, Gray in the 25): Fontaine 70, Bourg 60,
    # Aville 50, Dampierre 40, Cité 30 → Aville 3rd of 5, middle quintile
    assert (r["rang"], r["rang_sur"], r["quintile"]) == (3, 5, 3)
    assert r["alertes"] == [
        "Taux de couverture global : 50,0 places pour 100 enfants, 6,0 points sous le "
        "département (56,0).",
        "Taux de couverture global : en baisse de 3,0 points depuis 2018.",
        "Taux de couverture global : 50,0 places pour 100 enfants, sous le seuil de "
        "bonification du Plan rebond de 58 places pour 100 enfants.",
    ]
    # a census indicator keeps its own latest year beside CAF figures of 2022
    assert t.loc["enfants_0_2", "annee"] == 2021


def test_quintiles_and_catalogue_reference_fallback(territory):
    cite = indicator_table(territory, "90003", 2022).set_index("indicateur")
    assert (cite.loc["taux_couverture_global", "rang"], cite.loc["taux_couverture_global", "quintile"]) == (5, 1)  # fmt: skip
    font = indicator_table(territory, "90006", 2022).set_index("indicateur")
    assert (font.loc["taux_couverture_global", "rang"], font.loc["taux_couverture_global", "quintile"]) == (1, 5)  # fmt: skip
    # year 2021: no published national value → catalogue 2020 value 58.8 (one year old)
    t = indicator_table(territory, "90001", 2021).set_index("indicateur")
    assert t.loc["taux_couverture_global", "valeur_france"] == 58.8
    assert t.loc["taux_couverture_global", "annee_france"] == 2020


def test_table_uses_published_departement_when_computed_is_partial(territory):
    t = indicator_table(territory, "90006").set_index("indicateur")
    r = t.loc["taux_pauvrete"]
    # computed 90: (1 650 + 200 + 2 940) / 27 000 = 17.74 %, but only 27 000 of 30 430
    # persons covered (88.7 % < 90 %) → published 16.8 is the reference
    assert r["valeur_departement_calculee"] == pytest.approx(4790 / 27000 * 100)
    assert r["valeur_departement"] == 16.8 and r["source_departement"] == "publiée"
    assert r["valeur"] == pytest.approx(21.0)
    assert r["alertes"] == [
        f"Taux de pauvreté : 21,0{NNBSP}%, 4,2 points au-dessus du département (16,8).",
        f"Taux de pauvreté : 21,0{NNBSP}%, au-dessus du seuil d'alerte de 20{NNBSP}%.",
    ]


def test_table_for_a_perimeter_and_an_epci(territory):
    t = indicator_table(territory, "ctg-bd", 2022).set_index("indicateur")
    r = t.loc["taux_couverture_global"]
    assert r["valeur"] == pytest.approx(44.0)
    assert pd.isna(r["rang"]) and pd.isna(r["quintile"])  # no rank for a perimeter
    assert r["departement"] == "90"
    e = indicator_table(territory, E1, 2022).set_index("indicateur")
    # CC Un 45.90, CC Deux (40 + 6 + 350) / 612 = 64.71: CC Un is 2nd of 2, quintile 1
    r = e.loc["taux_couverture_global"]
    assert (r["rang"], r["rang_sur"], r["quintile"]) == (2, 2, 1)
    assert e.loc["strate_sppe", "categorie"] == "Plus de 10 000 habitants"  # 16 800


def test_table_prefers_the_published_value_of_a_partial_aggregate(territory):
    t = indicator_table(territory, E2).set_index("indicateur")
    r = t.loc["taux_pauvrete"]
    # CC Deux: computed 2 940 / 14 000 = 21.0 % on 14 000 of 16 680 persons (83.9 % < 90 %);
    # Insee publishes 19.5 % for the EPCI → shown, the sum is kept beside it
    assert r["valeur"] == 19.5 and r["source_valeur"] == "publiée"
    assert r["valeur_calculee"] == pytest.approx(21.0)
    assert r["valeur_publiee"] == 19.5
    # CC Un: 94.5 % covered → the computed value stays
    u = indicator_table(territory, E1).set_index("indicateur").loc["taux_pauvrete"]
    assert u["source_valeur"] == "calculée" and u["valeur"] == pytest.approx(1850 / 13000 * 100)


def test_peu_significatif_row_in_table_has_no_alert_nor_rank(territory):
    t = indicator_table(territory, "90005", 2022).set_index("indicateur")
    r = t.loc["taux_couverture_global"]
    # 6 / 12 = 50.0, under the 58 threshold, but on 12 children: shown, no alert, no rank
    assert r["valeur"] == pytest.approx(50.0) and r["peu_significatif"]
    assert not r["masque"] and r["alertes"] == [] and pd.isna(r["rang"])


# -- alert wording ----------------------------------------------------------------------------
def test_alert_sentences():
    row = {
        "indicateur": "taux_couverture_global",
        "valeur": 42.1,
        "valeur_departement": 54.4,
        "valeur_france": 60.9,
        "annee_france": 2023,
        "evolution": -3.2,
        "annee_debut": 2019,
    }
    assert alerts(row) == [
        "Taux de couverture global : 42,1 places pour 100 enfants, 12,3 points sous le "
        "département (54,4).",
        "Taux de couverture global : 42,1 places pour 100 enfants, 18,8 points sous la "
        "référence nationale (60,9 en 2023).",
        "Taux de couverture global : en baisse de 3,2 points depuis 2019.",
        "Taux de couverture global : 42,1 places pour 100 enfants, sous le seuil de "
        "bonification du Plan rebond de 58 places pour 100 enfants.",
    ]
    # a favourable position gives no alert
    good = dict(row, valeur=70.0, evolution=2.0)
    assert alerts(good) == []
    # a gap under the threshold (1 point) is not an alert; « point » is singular under 2
    near = dict(row, valeur=59.0, valeur_departement=60.5, valeur_france=None, evolution=None)
    assert alerts(near) == [
        "Taux de couverture global : 59,0 places pour 100 enfants, 1,5 point sous le "
        "département (60,5)."
    ]
    assert alerts(dict(row, masque=True)) == []
    assert alerts({"indicateur": "taux_pauvrete", "valeur": 23.4}) == [
        f"Taux de pauvreté : 23,4{NNBSP}%, au-dessus du seuil d'alerte de 20{NNBSP}%."
    ]
    # counts: change in %, here a fall of children under 3 flagged from 5 %
    assert alerts(
        {"indicateur": "enfants_0_2", "valeur": 1234, "evolution": -8.5, "annee_debut": 2016}
    ) == [f"Enfants de 0 à 2 ans : en baisse de 8,5{NNBSP}% depuis 2016."]
    assert alerts({"indicateur": "enfants_0_2", "valeur": 1234, "evolution": 3.0}) == []


def test_evolution_never_spans_a_series_break():
    frame = pd.DataFrame(
        {
            "indicateur": ["taux_pauvrete"] * 2 + ["taux_couverture_global"] * 2,
            "niveau": "commune",
            "territoire": "90001",
            "annee": [2021, 2023, 2019, 2023],
            "valeur": [15.0, 16.0, 50.0, 55.0],
            "masque": False,
        }
    )
    evo = evolutions(frame).set_index("indicateur")
    # Filosofi 1 (2021) → Filosofi 2 (2023) is a break (ruptures: [2023]): no evolution
    assert evo.loc["taux_pauvrete", "annee_debut"] == 2023
    assert math.isnan(evo.loc["taux_pauvrete", "evolution"])
    # coverage 50.0 (2019) → 55.0 (2023): +5 points
    assert evo.loc["taux_couverture_global", "evolution"] == pytest.approx(5.0)
    assert evo.loc["taux_couverture_global", "evolution_unite"] == "points"


def test_region_code_and_departement_table(territory):
    t = indicator_table(territory, "reg:27", 2022).set_index("indicateur")
    # région 27: 817 / 1337 (see above); no département, no rank
    assert t.loc["taux_couverture_global", "valeur"] == pytest.approx(817 / 1337 * 100)
    assert pd.isna(t.loc["taux_couverture_global", "rang"])
    d = indicator_table(territory, "90", 2022).set_index("indicateur")
    # départements of the région: 90 (56.02) and 25 (90.0) → the 90 is 2nd of 2
    assert d.loc["taux_couverture_global", "rang"] == 2
    assert pd.isna(d.loc["taux_couverture_global", "valeur_departement"])


def test_duplicated_observations_are_summed_and_no_perimeter_is_no_error():
    t = make_territory()
    obs = t.observations
    extra = obs[(obs["commune"] == "90002") & (obs["variable"] == "pop_0_2")]
    t.observations = pd.concat([obs, extra], ignore_index=True)
    out = compute(t, "commune", ["enfants_0_2"])
    # Bourg's two 2021 rows (25 + 25) are summed, as Territory.wide does
    assert one(out, "enfants_0_2", "90002", 2021)["valeur"] == 50
    t.geography.perimeters.clear()
    assert compute(t, "perimetre").empty


def test_results_are_cached_and_vectorised_levels_agree(territory):
    a = compute(territory, "epci")
    b = compute(territory, "epci")
    pd.testing.assert_frame_equal(a, b)
    b.loc[b.index[0], "valeur"] = -1.0  # editing a result never alters the cache
    assert compute(territory, "epci")["valeur"].iloc[0] == a["valeur"].iloc[0] != -1.0
    # summing the commune numerators of CC Un gives the EPCI numerator
    com = compute(territory, "commune", ["enfants_0_2"])
    members = ["90001", "90002", "90003"]
    total = com[com["territoire"].isin(members) & (com["annee"] == 2021)]["valeur"].sum()
    assert total == one(a, "enfants_0_2", E1, 2021)["valeur"]


# -- the demo ---------------------------------------------------------------------------------
@pytest.mark.skipif(
    not (DEMO_DIR / "manifeste.yaml").exists(), reason="démo absente (data/demo/manifeste.yaml)"
)
def test_every_indicator_computes_at_every_level_on_the_demo():
    from territoire_lib.dataset import load_territory

    demo = load_territory("demo")
    for level in LEVELS:
        out = compute(demo, level)
        assert list(out.columns) == OUTPUT_COLUMNS
        finite = out["valeur"].dropna()
        assert np.isfinite(finite).all()
    com = compute(demo, "commune")
    assert {"taux_couverture_global", "enfants_0_2", "strate_sppe"} <= set(
        com["indicateur"].astype(str)
    )
    code = demo.geography.epcis["code"].iloc[0]
    table = indicator_table(demo, code)
    assert len(table) == len(load_catalogue())
