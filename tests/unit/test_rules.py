"""CNAF rules: parameter files and funding formulas.

Every expected amount is worked out by hand in a comment from the values of the parameter
files (territoire_lib/parameters/), never copied from what the code printed.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import textwrap

import numpy as np
import pandas as pd
import pytest

from territoire_lib import rules as R
from territoire_lib.errors import DataError

P = R.load_parameters()

# Rates used throughout (bareme/taux_effort_collectif.yaml, 1 January 2022 onwards):
# 1 child 0.0619 %, 2 children 0.0516 %, 3 children 0.0413 %, 4 to 7 children 0.0310 %.
T1, T2, T3 = 0.000619, 0.000516, 0.000413


# --------------------------------------------------------------------------------------------
# Parameter files


def test_parameters_are_found_in_the_installed_package():
    root = importlib.resources.files("territoire_lib") / "parameters"
    assert (root / "psu" / "taux.yaml").is_file()
    assert (root / "bareme" / "plafond_ressources.yaml").is_file()
    assert R.load_parameters() is P  # cached


def test_every_value_has_a_source_and_a_status():
    for name in P.names:
        param = P.parameter(name)
        assert param.description and param.unit, name
        for entry in param.entries:
            statuts = entry.statut.values() if isinstance(entry.statut, dict) else [entry.statut]
            assert set(statuts) <= {"confirmée", "à vérifier"}, name
            refs = (
                entry.reference.values() if isinstance(entry.reference, dict) else [entry.reference]
            )
            assert all(r.strip() for r in refs), name


def test_reference_tags_map_to_statuses():
    # [C] plafond 8 500 € from 1 Sept 2025 (caf.fr 15.05.2025)
    pv = P.at("bareme.plafond_ressources", "2025-09-01")
    assert (pv.value, pv.unit, pv.statut) == (8500, "€/mois", "confirmée")
    assert "15/05/2025" in pv.source
    # [U] plancher 2025 = 801.00 (unconfirmed estimate)
    assert P.at("bareme.plancher_ressources", "2025-03-01").statut == "à vérifier"
    # [C] PSU 66 %; [U] prix plafond by band; [C] 2025 thresholds but [U] linear formula
    assert P.at("psu.taux", "2025-01-01").value == 0.66
    assert P.at("psu.prix_plafond_avec_couches_repas.maximum", "2025-01-01").a_verifier
    assert P.at("psu.seuil_tf_haut", "2025-01-01").statut == "confirmée"
    assert P.at("psu.modulation_tf", "2025-01-01").statut == "à vérifier"
    # a table keeps a status per key: 3 600 (QPV/FRR) confirmed, intermediate tier to verify
    assert P.at("bonus.territoire_nouvelles_places.qpv_frr", "2025-01-01").statut == "confirmée"
    assert P.at("bonus.territoire_nouvelles_places.intermediaire", "2025-01-01").a_verifier
    assert P.at("bonus.territoire_nouvelles_places", "2025-01-01").statut == "à vérifier"


def test_values_change_on_their_dates():
    plafond = "bareme.plafond_ressources"
    assert P.at(plafond, "2024-08-31").value == 6000
    assert P.at(plafond, "2024-09-01").value == 7000
    assert P.at(plafond, "2025-08-31").value == 7000
    assert P.at(plafond, "2025-09-01").value == 8500
    assert P.at(plafond, "2031-01-01").value == 8500  # last value stays in force
    assert P.at(plafond, "2025-09-01").since == dt.date(2025, 9, 1)
    assert P.at("psu/taux", "2025-01-01").value == 0.66  # file path form accepted


def test_no_value_in_force_is_a_french_error():
    with pytest.raises(R.RulesError) as err:
        P.at("bonus.attractivite", "2023-12-31")
    msg = str(err.value)
    assert "Aucune valeur" in msg and "31 décembre 2023" in msg
    assert "1er janvier 2024" in msg and "bonus/attractivite.yaml" in msg


def test_unknown_parameter_suggests_close_names():
    with pytest.raises(R.RulesError, match="Paramètre inconnu.*bareme.plafond_ressources"):
        P.at("bareme.plafond_ressource", "2025-01-01")


def test_bad_date_is_a_french_error():
    with pytest.raises(R.RulesError, match="AAAA-MM-JJ"):
        P.at("psu.taux", "01/09/2025")
    with pytest.raises(R.RulesError, match="2025-02-30"):
        P.at("psu.taux", "2025-02-30")


def test_list_at_gives_every_value_in_force():
    table = P.list_at("2025-09-01")
    assert list(table.columns) == [
        "nom",
        "description",
        "valeur",
        "unité",
        "depuis",
        "source",
        "statut",
        "reconduction",  # « valeur 2025 reconduite, à vérifier » past the documented date
    ]
    row = table[table["nom"] == "bareme.plafond_ressources"].iloc[0]
    assert (row["valeur"], row["unité"], row["statut"]) == (8500, "€/mois", "confirmée")
    # a bracket parameter gives one row per tranche: 1, 2, 3, 4 to 7, 8 and more children
    rates = table[table["nom"] == "bareme.taux_effort_collectif"]
    assert list(rates["valeur"]) == [T1, T2, T3, 0.000310, 0.000206]
    assert rates["description"].iloc[3].endswith("4 à 7 enfants")
    # the trajectoire bonus only starts on 1 November 2025
    assert "bonus.trajectoire" not in set(table["nom"])
    assert "bonus.trajectoire" in set(P.list_at("2025-11-01")["nom"])
    assert set(P.list_at("2025-09-01", theme="psu")["nom"].str.split(".").str[0]) == {"psu"}


def _write(tmp_path, rel, text):
    path = tmp_path / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


def test_malformed_yaml_names_file_line_and_key(tmp_path):
    _write(
        tmp_path,
        "psu/taux.yaml",
        """
        description: Taux de test
        unit: /1
        values:
          2024-13-01:
            value: 0.5
            reference: "source"
            statut: confirmée
          2025-01-01:
            value: 0.6
            reference: "source"
            statut: confirmed
        """,
    )
    with pytest.raises(DataError) as err:
        R.load_parameters(tmp_path)
    msg = str(err.value)
    assert "fichier « psu/taux.yaml », ligne 4, colonne « values › 2024-13-01 »" in msg
    assert "la date « 2024-13-01 »" in msg
    assert "ligne 11, colonne « values › 2025-01-01 › statut »" in msg
    assert "trouvé « confirmed » ; attendu « confirmée » ou « à vérifier »" in msg


def test_malformed_yaml_missing_keys_and_bad_brackets(tmp_path):
    _write(
        tmp_path,
        "bareme/taux.yaml",
        """
        description: Test
        unit: /1
        type: brackets
        valeurs: 3
        values:
          2024-01-01:
            value:
              - {threshold: 1, value: 0.1}
              - {threshold: 1, value: 0.2}
            statut: à vérifier
        """,
    )
    with pytest.raises(DataError) as err:
        R.load_parameters(tmp_path)
    msg = str(err.value)
    assert "ligne 4, colonne « valeurs » : trouvé la clé inconnue « valeurs »" in msg
    assert "ligne 6, colonne « values › 2024-01-01 » : trouvé aucune clé « reference »" in msg


def test_brackets_must_increase(tmp_path):
    _write(
        tmp_path,
        "bareme/taux.yaml",
        """
        description: Test
        unit: /1
        type: brackets
        values:
          2024-01-01:
            value:
              - {threshold: 2, value: 0.1}
              - {threshold: 1, value: 0.2}
            reference: source
            statut: à vérifier
        """,
    )
    with pytest.raises(DataError) as err:
        R.load_parameters(tmp_path)
    msg = str(err.value)
    assert "ligne 8, colonne « values › 2024-01-01 › value › 2 »" in msg
    assert "strictement supérieur au précédent" in msg


def test_yaml_syntax_error_names_line_and_column(tmp_path):
    _write(tmp_path, "psu/taux.yaml", "description: Test\nunit: [/1\nvalues: {}\n")
    with pytest.raises(DataError) as err:
        R.load_parameters(tmp_path)
    msg = str(err.value)
    assert "fichier « psu/taux.yaml », ligne 3, colonne « caractère 7 »" in msg
    assert "erreur de syntaxe YAML" in msg


# --------------------------------------------------------------------------------------------
# Barème des participations familiales


def test_caf66_2018_example():
    # partenaires-caf66.fr (2019), 2018 values: plancher 687.30 × 0.06 % = 0.41 €/h;
    # plafond 4 874.62 × 0.06 % = 2.92 €/h (1 child, collective)
    res = R.family_participation_hourly([300, 10_000], 1, "collectif", 0, "2018-06-15")
    assert res.value == pytest.approx([0.412380, 2.924772])
    # familial: 4 874.62 × 0.05 % = 2.44 €/h
    fam = R.family_participation_hourly(10_000, 1, "familial", 0, "2018-06-15")
    assert round(fam.value, 2) == 2.44
    # January 2019: plancher 705.27 (babilou.fr, June 2019; correction 2026-12), plafond
    # still 4 874.62 until August 2019 (caf66): 705.27 × 0.06 % = 0.423162 €/h
    jan = R.family_participation_hourly([300, 10_000], 1, "collectif", 0, "2019-01-15")
    assert jan.value == pytest.approx([0.423162, 2.924772])


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        # plafond 6 000 until 31 Aug 2024: 6 000 × 0.0619 % = 3.714 €/h
        ("2024-08-31", 3.714),
        # plafond 7 000 from 1 Sept 2024: 7 000 × 0.0619 % = 4.333 €/h
        ("2024-09-01", 4.333),
        ("2025-08-31", 4.333),
        # plafond 8 500 from 1 Sept 2025: 8 500 × 0.0619 % = 5.2615 €/h
        ("2025-09-01", 5.2615),
    ],
)
def test_plafond_before_and_after_each_1_september(date, expected):
    res = R.family_participation_hourly(10_000, 1, "collectif", 0, date)
    assert res.value == pytest.approx(expected)
    assert res.details["borne"] == "plafond"
    assert res.a_verifier == []  # plafond and 2022 rates are confirmed


@pytest.mark.parametrize(
    ("date", "expected", "flagged"),
    [
        # plancher 765.77 (2024, confirmed by suresnes.fr, Sept 2024) × 0.0619 % = 0.47401163
        ("2024-08-31", 0.47401163, []),
        ("2024-09-01", 0.47401163, []),
        # plancher 801.00 (2025, à vérifier) × 0.0619 % = 0.495819 €/h
        ("2025-08-31", 0.495819, ["bareme.plancher_ressources"]),
        ("2025-09-01", 0.495819, ["bareme.plancher_ressources"]),
    ],
)
def test_plancher_before_and_after_each_1_september(date, expected, flagged):
    res = R.family_participation_hourly(0, 1, "collectif", 0, date)
    assert res.value == pytest.approx(expected)
    assert res.details["borne"] == "plancher"
    assert res.a_verifier == flagged


def test_between_plancher_and_plafond_uses_the_resources():
    # 3 000 × 0.0619 % = 1.857 €/h; 2 children: 3 000 × 0.0516 % = 1.548 €/h
    assert R.family_participation_hourly(3000, 1, date="2025-10-01").value == pytest.approx(1.857)
    assert R.family_participation_hourly(3000, 2, date="2025-10-01").value == pytest.approx(1.548)
    # 5 children (4 to 7 tranche): 3 000 × 0.0310 % = 0.93 €/h
    assert R.family_participation_hourly(3000, 5, date="2025-10-01").value == pytest.approx(0.93)


def test_child_with_aeeh_steps_down_one_rate():
    # 2 children, one with AEEH → rate of 3 children: 3 000 × 0.0413 % = 1.239 €/h
    res = R.family_participation_hourly(3000, 2, "collectif", True, "2025-10-01")
    assert res.value == pytest.approx(1.239)
    assert "bareme.rang_supplementaire_aeeh" in res.parametres
    # two AEEH children → rate of 4 children: 3 000 × 0.0310 % = 0.93 €/h
    assert R.family_participation_hourly(3000, 2, aeeh=2, date="2025-10-01").value == (
        pytest.approx(0.93)
    )
    # familial, 1 child with AEEH → familial rate of 2 children (0.0413 %, à vérifier)
    fam = R.family_participation_hourly(3000, 1, "familial", 1, "2025-10-01")
    assert fam.value == pytest.approx(1.239)
    assert "bareme.taux_effort_familial" in fam.a_verifier


def test_vectorised_over_a_series_of_incomes():
    incomes = pd.Series([500.0, 3000.0, 9000.0], index=["a", "b", "c"], name="ressources")
    res = R.family_participation_hourly(incomes, [1, 2, 3], date="2025-10-01")
    assert isinstance(res.value, pd.Series)
    assert list(res.value.index) == ["a", "b", "c"]
    # 801 × 0.0619 % = 0.495819; 3 000 × 0.0516 % = 1.548; 8 500 × 0.0413 % = 3.5105
    assert res.value.to_numpy() == pytest.approx([0.495819, 1.548, 3.5105])
    assert list(res.details["borne"]) == ["plancher", "", "plafond"]


def test_bad_family_inputs_are_french_errors():
    with pytest.raises(R.RulesError) as err:
        R.family_participation_hourly([1000, -5, np.nan], 1, date="2025-10-01")
    msg = str(err.value)
    assert "ressources mensuelles" in msg and "« -5.0 » (position 2)" in msg
    assert "(position 3)" in msg
    with pytest.raises(R.RulesError, match="au moins 1"):
        R.family_participation_hourly(1000, 0, date="2025-10-01")
    with pytest.raises(R.RulesError, match="entre 0 et le nombre d'enfants"):
        R.family_participation_hourly(1000, 1, aeeh=2, date="2025-10-01")
    with pytest.raises(R.RulesError, match="collectif.*familial"):
        R.family_participation_hourly(1000, 1, "domicile", date="2025-10-01")
    with pytest.raises(R.RulesError, match="première valeur connue"):
        R.family_participation_hourly(1000, 1, date="2017-06-01")


# --------------------------------------------------------------------------------------------
# PSU


def test_prix_plafond_2025_linear_reform():
    # 2025, couches+repas: maximum 10.25 up to 107 %, minimum 9.34 from 120 %;
    # 110 %: 10.25 − (1.10 − 1.07) / (1.20 − 1.07) × (10.25 − 9.34) = 10.25 − 0.21 = 10.04
    res = R.psu_prix_plafond([1.00, 1.07, 1.10, 1.20, 1.25], True, "2025-03-01")
    assert res.value == pytest.approx([10.25, 10.25, 10.04, 9.34, 9.34])
    assert "psu.modulation_tf" in res.a_verifier
    # sans couches-repas: 9.16 → 8.27; 110 %: 9.16 − 0.03/0.13 × 0.89 = 8.954615…
    sans = R.psu_prix_plafond(1.10, False, "2025-03-01")
    assert sans.value == pytest.approx(9.16 - 0.03 / 0.13 * 0.89)


def test_prix_plafond_2024_steps():
    # 2024 (2014 circular): ≤ 107 % → 10.05; 107-117 % → 9.69; > 117 % → 9.34
    res = R.psu_prix_plafond([1.00, 1.10, 1.17, 1.25], True, "2024-06-01")
    assert res.value == pytest.approx([10.05, 9.69, 9.69, 9.34])
    # 2013-2017, without couches-repas: frozen 6.89 €/h, confirmed
    old = R.psu_prix_plafond(1.10, False, "2016-06-01")
    assert old.value == pytest.approx(6.89)
    assert old.a_verifier == []


def test_prix_plafond_not_documented_is_a_french_error():
    with pytest.raises(R.RulesError, match="n'est pas documentée.*prix_plafond_sans"):
        R.psu_prix_plafond(1.0, False, "2020-06-01")


def _eaje(**kw):
    base = dict(
        places=20,
        heures_ouverture_an=2000,
        taux_occupation=0.75,
        taux_facturation=1.0,
        cout_horaire=12.0,
        ressources_mensuelles=3000,
        enfants=1,
        nom="Les Lutins",
    )
    base.update(kw)
    return R.EajeInput(**base)


@pytest.mark.parametrize(
    ("tf", "families", "psu"),
    [
        # 20 places × 2 000 h × 75 % = 30 000 h réalisées; charges 12 × 30 000 = 360 000 €;
        # PF/h = 3 000 × 0.0619 % = 1.857. The PSU is paid on the billed hours, the cost price
        # is charges / billed hours (CNAF « actes ouvrant droit = actes facturés »).
        # TF 100 %: 30 000 h facturées, PF = 55 710; cost 360 000 / 30 000 = 12 > plafond 10.25
        # → PSU = 10.25 × 66 % × 30 000 − 55 710 = 202 950 − 55 710 = 147 240
        (1.00, 55_710.0, 147_240.0),
        # TF 110 %: 33 000 h facturées, PF = 61 281; cost 360 000 / 33 000 = 10.909 >
        # plafond 10.25 − 3/13 × 0.91 = 10.04 → PSU = 10.04 × 66 % × 33 000 − 61 281
        # = 218 671.2 − 61 281 = 157 390.2
        (1.10, 61_281.0, 157_390.2),
        # TF 125 %: 37 500 h facturées, PF = 69 637.5; cost 360 000 / 37 500 = 9.60 > plafond
        # 9.34 → PSU = 9.34 × 66 % × 37 500 − 69 637.5 = 231 165 − 69 637.5 = 161 527.5
        (1.25, 69_637.5, 161_527.5),
    ],
)
def test_psu_at_100_110_125_percent_billing(tf, families, psu):
    f = R.simulate_eaje(_eaje(taux_facturation=tf), "2025-10-01")
    assert f.heures_realisees == pytest.approx(30_000)
    assert f.participations_familiales == pytest.approx(families)
    assert f.psu == pytest.approx(psu)
    # no CTG, PF/h 1.857 ≥ 1.75 → no bonus: remaining = 360 000 − families − PSU
    assert f.bonus_total == 0
    assert f.reste_a_charge == pytest.approx(360_000 - families - psu)
    # the 2025 prix plafond (maximum, minimum or both) is still « à vérifier »
    assert any(n.startswith("psu.prix_plafond_avec") for n in f.a_verifier_par_ligne["psu"])


def test_remaining_charge_per_year_place_and_hour():
    # TF 110 %: remaining = 360 000 − 61 281 − 157 390.2 = 141 328.8 €/year;
    # per place 141 328.8 / 20 = 7 066.44; per hour performed 141 328.8 / 30 000 = 4.71096;
    # per billed hour 141 328.8 / 33 000 = 4.28269…
    table = R.simulate_eaje(_eaje(taux_facturation=1.10), "2025-10-01").tableau()
    rest = table[table["ligne"].str.startswith("Reste")].iloc[0]
    assert rest["par_an"] == pytest.approx(141_328.8)
    assert rest["par_place"] == pytest.approx(7_066.44)
    assert rest["par_heure"] == pytest.approx(4.71096)
    assert rest["par_heure_facturee"] == pytest.approx(141_328.8 / 33_000)
    assert rest["a_verifier"] == "⚠ à vérifier"  # the 2025 prix plafond is still to verify


def test_eaje_with_every_bonus():
    # 2025-12-01; cost 18 000 €/place → 360 000 €, 12 €/h for 30 000 h, TF 100 %.
    # PF/h: 1 500 × 0.0619 % = 0.9285 without AEEH, 1 500 × 0.0516 % = 0.774 with;
    # 10 % AEEH children: 0.9 × 0.9285 + 0.1 × 0.774 = 0.91305 €/h → PF = 27 391.50
    # PSU = 10.25 × 66 % × 30 000 − 27 391.50 = 175 558.50
    # mixité (circ. CNAF 2018-002): 0.75 < PF/h 0.91305 ≤ 1.00 → 800 × 20 = 16 000
    # handicap: share 10 % ≥ 7.5 % → 45 % × 18 000 × 10 % = 810 × 20 = 16 200
    # territoire: QPV, 10 new × 3 600 + 10 existing × 1 000 = 46 000
    # trajectoire: +9 % → 200 × 20 = 4 000; attractivité public 475 × 20 = 9 500
    # bonuses = 16 000 + 16 200 + 46 000 + 4 000 + 9 500 = 91 700
    # remaining = 360 000 − 27 391.50 − 175 558.50 − 91 700 − 20 000 = 45 350
    f = R.simulate_eaje(
        _eaje(
            cout_horaire=None,
            cout_par_place=18_000,
            ressources_mensuelles=1500,
            part_enfants_aeeh=0.10,
            ctg=True,
            qpv=True,
            places_nouvelles=10,
            bonus_territoire_existant_par_place=1000,
            croissance_places_ctg=0.09,
            eligible_attractivite=True,
            gestionnaire="public",
            cofinancements=20_000,
            depense_investissement=200_000,
        ),
        "2025-12-01",
    )
    assert f.participation_horaire_moyenne == pytest.approx(0.91305)
    assert f.psu == pytest.approx(175_558.5)
    assert f.bonus_mixite == pytest.approx(16_000)
    assert f.bonus_handicap == pytest.approx(16_200)
    assert f.bonus_territoire == pytest.approx(46_000)
    assert f.bonus_trajectoire == pytest.approx(4_000)
    assert f.bonus_attractivite == pytest.approx(9_500)
    assert f.reste_a_charge == pytest.approx(45_350)
    # PIAJE 2025: (7 400 + 7 000 QPV) × 10 = 144 000 ≤ 80 % × 200 000 = 160 000
    assert f.aide_investissement == pytest.approx(144_000)
    assert not f.a_verifier_par_ligne.get("bonus_mixite")  # tranches confirmed (2018-002)
    assert "bonus.inclusion_handicap_assiette" in f.a_verifier_par_ligne["bonus_handicap"]
    assert not f.a_verifier_par_ligne.get("bonus_trajectoire")  # confirmed tiers


def test_eaje_year_pro_rata_of_1_september():
    # 2025, family at 10 000 €/month: 7 000 × 0.0619 % = 4.333 €/h until 31 August,
    # 8 500 × 0.0619 % = 5.2615 €/h after; segments 243, 61 and 61 days (trajectoire starts
    # on 1 November). Average PF/h = (243 × 4.333 + 122 × 5.2615) / 365.
    # PSU + families = 10.25 × 66 % × 30 000 = 202 950 whatever the families pay;
    # trajectoire +13 % → 300 × 20 places × 61 / 365.
    f = R.simulate_eaje(
        _eaje(
            ressources_mensuelles=10_000,
            ctg=True,
            croissance_places_ctg=0.13,
            bonus_territoire_existant_par_place=0,
        ),
        2025,
    )
    pf_h = (243 * 4.333 + 122 * 5.2615) / 365
    assert f.participation_horaire_moyenne == pytest.approx(pf_h)
    assert f.participations_familiales + f.psu == pytest.approx(202_950)
    assert f.bonus_trajectoire == pytest.approx(300 * 20 * 61 / 365)
    assert f.reste_a_charge == pytest.approx(360_000 - 202_950 - 300 * 20 * 61 / 365)
    assert "1er septembre 2025" in f.periode


def test_eaje_bad_inputs_are_french_errors():
    with pytest.raises(R.RulesError) as err:
        R.simulate_eaje(_eaje(places=-3, taux_occupation=1.4, cout_par_place=1), "2025-01-01")
    msg = str(err.value)
    assert "EAJE « Les Lutins »" in msg
    assert "nombre de places : trouvé « -3 »" in msg
    assert "taux d'occupation : trouvé « 1.4 »" in msg
    assert "coût : trouvé 2 coûts (cout_par_place, cout_horaire)" in msg


# --------------------------------------------------------------------------------------------
# Each bonus tier


def test_bonus_mixite_tiers_circ_2018_002():
    # circ. CNAF 2018-002 (21 Nov 2018), UNCCAS (29 Nov 2018): ≤ 0.75 → 2 100;
    # ]0.75, 1.00] → 800; ]1.00, 1.25] → 300; > 1.25 → 0 (confirmée)
    res = R.bonus_mixite_par_place([0.50, 0.90, 1.10, 1.30, 2.00], "2025-01-01")
    assert list(res.value) == [2100, 800, 300, 0, 0]
    assert res.a_verifier == []
    assert R.bonus_mixite_par_place(0.5, "2018-12-31").value == 0  # before 2019


def test_bonus_handicap_tiers_and_cap():
    # 16 000 €/place: 3 % → 15 % × 16 000 × 3 % = 72; 6 % → 30 % × 16 000 × 6 % = 288;
    # 10 % → 45 % × 16 000 × 10 % = 720; 20 % → 1 440 capped at 1 300; none → 0
    res = R.bonus_handicap_par_place([0.03, 0.06, 0.10, 0.20, 0.0], 16_000, "2025-01-01")
    assert res.value == pytest.approx([72, 288, 720, 1300, 0])
    assert "bonus.inclusion_handicap_assiette" in res.a_verifier


def test_bonus_territoire_tiers():
    # 2020: 3 100 (QPV/FRR) / 2 600 (intermediate) / 2 100; 2021 onwards: 3 600 / 3 100 / 2 600
    at2020 = [R.bonus_territoire_par_place(t, "2020-06-01").value for t in R.TRANCHES_TERRITOIRE]
    at2025 = [R.bonus_territoire_par_place(t, "2025-06-01").value for t in R.TRANCHES_TERRITOIRE]
    assert at2020 == [3100, 2600, 2100]
    assert at2025 == [3600, 3100, 2600]
    assert R.bonus_territoire_par_place("qpv_frr", "2025-06-01").a_verifier == []
    assert R.bonus_territoire_par_place("intermediaire", "2025-06-01").a_verifier == [
        "bonus.territoire_nouvelles_places.intermediaire"
    ]
    assert R.tranche_territoire(qpv=False, frr=True) == "qpv_frr"
    assert R.bonus_territoire_par_place("autre", "2019-06-01").value == 0  # before CTG bonus


def test_bonus_trajectoire_tiers():
    # +4 % → 100; +8 % → 200; +12 % → 300 €/place, from 1 November 2025
    res = R.bonus_trajectoire_par_place([0.03, 0.04, 0.05, 0.08, 0.15], "2025-12-01")
    assert list(res.value) == [0, 100, 100, 200, 300]
    before = R.bonus_trajectoire_par_place(0.15, "2025-10-31")
    assert before.value == 0 and "pas encore en vigueur" in before.notes[0]


def test_bonus_attractivite_tiers():
    # 970 € (private) and 475 € (public) per place from 1 January 2024
    assert R.bonus_attractivite_par_place("prive", "2024-06-01").value == 970
    assert R.bonus_attractivite_par_place("public", "2024-06-01").value == 475
    assert R.bonus_attractivite_par_place("public", "2023-12-31").value == 0
    with pytest.raises(R.RulesError, match="public.*prive"):
        R.bonus_attractivite_par_place("associatif", "2024-06-01")


def test_piaje_investment_aid():
    # 2024, 10 places, QPV, coverage 50 < 58: (7 400 + 7 000 + 1 800) × 10 = 162 000,
    # capped at 80 % × 180 000 = 144 000
    res = R.aide_investissement(
        10, "2024-06-01", qpv_frr=True, taux_couverture=50, depense_eligible=180_000
    )
    assert res.value == pytest.approx(144_000)
    assert res.details["par_place"] == pytest.approx(16_200)
    assert "investissement.piaje_majoration_qpv_frr" in res.a_verifier
    # 2021 (plan rebond): 7 400 + 7 000 + 3 500 = 17 900 ≤ 22 500; no 80 % rule yet
    res = R.aide_investissement(
        10, "2021-06-01", qpv_frr=True, taux_couverture=50, depense_eligible=100_000
    )
    assert res.value == pytest.approx(179_000)
    assert res.a_verifier == []
    # coverage above the threshold: base only, 7 400 × 10
    assert R.aide_investissement(10, "2021-06-01", taux_couverture=70).value == 74_000


# --------------------------------------------------------------------------------------------
# ALSH and AVS


def test_alsh_ps_plan_mercredi_and_remaining_charge():
    # 10 000 h at 4 €/h = 40 000; PS/h = min(30 % × 4 = 1.20, 0.54) = 0.54 → 5 400;
    # Plan mercredi 0.46 × 2 000 = 920; remaining = 40 000 − 8 000 − 5 400 − 920 = 25 680;
    # per place (50) 513.60, per hour 2.568
    inp = R.AlshInput(
        heures_realisees=10_000,
        cout_horaire=4,
        participations_familiales=8_000,
        heures_mercredi_nouvelles=2_000,
        plan_mercredi=True,
        places=50,
    )
    f = R.simulate_alsh(inp, "2025-01-01")
    assert (f.ps_alsh, f.bonification_plan_mercredi) == pytest.approx((5_400, 920))
    assert f.reste_a_charge == pytest.approx(25_680)
    rest = f.tableau().iloc[-1]
    assert (rest["par_place"], rest["par_heure"]) == pytest.approx((513.6, 2.568))
    assert f.a_verifier == ["alsh.montant_horaire_plafond"]  # 2018 value carried forward
    assert R.simulate_alsh(inp, "2018-10-01").a_verifier == []  # confirmed in 2018
    # a cheap ALSH stays under the ceiling: 30 % × 1.50 = 0.45 €/h → 4 500
    cheap = R.simulate_alsh(R.AlshInput(heures_realisees=10_000, cout_horaire=1.5), "2025-01-01")
    assert cheap.ps_alsh == pytest.approx(4_500)


def test_centre_social_and_evs():
    # 2025: AGC 42.4 % × 200 000 = 84 800; ACF 63.6 % × 50 000 = 31 800;
    # remaining = 300 000 − 84 800 − 31 800 − 100 000 = 83 400 (ceilings not documented)
    cs = R.AvsInput("centre_social", 200_000, 50_000, cout_total=300_000, cofinancements=100_000)
    f = R.simulate_avs(cs, "2025-01-01")
    assert (f.ps_animation, f.ps_famille) == pytest.approx((84_800, 31_800))
    assert f.reste_a_charge == pytest.approx(83_400)
    assert "avs.plafonds_depenses.animation_globale" in f.a_verifier
    # with a known ceiling of 150 000: 42.4 % × 150 000 = 63 600
    capped = R.AvsInput("centre_social", 200_000, plafond_animation=150_000)
    assert R.simulate_avs(capped, "2025-01-01").ps_animation == pytest.approx(63_600)
    # EVS: 63.6 % × 100 000 = 63 600 in 2024 (confirmed), 60 % = 60 000 in 2020
    evs = R.AvsInput("evs", 100_000)
    assert R.simulate_avs(evs, "2024-06-01").ps_animation == pytest.approx(63_600)
    assert R.simulate_avs(evs, "2020-06-01").ps_animation == pytest.approx(60_000)
    # 2023: 63.6 % with an unconfirmed start date → flagged
    assert "avs.taux_animation_locale_evs" in R.simulate_avs(evs, "2023-06-01").a_verifier
    with pytest.raises(R.RulesError, match="type de structure : trouvé « mjc »"):
        R.simulate_avs(R.AvsInput("mjc", 1000), "2025-01-01")


# --------------------------------------------------------------------------------------------
# French formats


def test_french_formats():
    assert R.fmt_euros(1234.56) == "1\u202f234,56\u00a0€"
    assert R.fmt_pct(0.000619) == "0,0619 %"
    assert R.fmt_valeur(8500, "€/mois") == "8\u202f500"
    assert R.fmt_valeur(765.77, "€/mois") == "765,77"
    assert R.fmt_valeur(0.424, "/1") == "42,4"
    assert R.fmt_valeur(None, "€/an") == "non documentée"
    assert R.fmt_date(dt.date(2025, 9, 1)) == "1er septembre 2025"
