"""Corrections of issue 12 (funding-rules.md, « Corrections (2026-12) »): bonus mixité sociale
tranches, the barème's dates, carried-forward values, bonus inclusion handicap eligibility and
the veille (`territoire parametres --depuis`).

Every expected amount is worked out by hand in a comment from the values of the parameter
files and names its source, never copied from what the code printed.
"""

from __future__ import annotations

import datetime as dt
import textwrap

import numpy as np
import pytest

from territoire_lib import cli
from territoire_lib import rules as R
from territoire_lib.errors import DataError

P = R.load_parameters()


def _write(root, rel, text):
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")


@pytest.fixture
def run(monkeypatch, capsys):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["parametres", "participation"])

    def _run(*argv):
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def _row(out, *texts):
    return next(line for line in out.splitlines() if all(t in line for t in texts))


# --------------------------------------------------------------------------------------------
# 1. Bonus mixité sociale: circ. CNAF 2018-002 (21 Nov 2018), UNCCAS (29 Nov 2018)


@pytest.mark.parametrize(
    ("pf", "expected"),
    [
        (0.00, 2100),  # ≤ 0.75 → 2 100
        (0.75, 2100),  # « inférieure ou égale à 0,75 € »: the bound belongs to the 1st tranche
        (0.7501, 800),  # « supérieure à 0,75 € et inférieure ou égale à 1 € » → 800
        (1.00, 800),
        (1.0001, 300),  # ]1.00, 1.25] → 300
        (1.25, 300),
        (1.2501, 0),  # above 1.25 → no bonus
        (1.30, 0),  # the demo scenarios' participation (1,30 €/h)
    ],
)
def test_bonus_mixite_bounds_circ_2018_002(pf, expected):
    res = R.bonus_mixite_par_place(pf, "2025-06-01")
    assert res.value == expected
    assert res.a_verifier == []  # « confirmée »


def test_bonus_mixite_vectorised_and_source():
    # circ. CNAF 2018-002: 0.60 → 2 100, 0.80 → 800, 1.20 → 300, 1.50 → 0
    res = R.bonus_mixite_par_place(np.array([0.60, 0.80, 1.20, 1.50]), "2019-01-01")
    assert list(res.value) == [2100, 800, 300, 0]
    pv = P.at("bonus.mixite_sociale", "2025-06-01")
    assert pv.statut == "confirmée" and "2018-002" in pv.source and "UNCCAS" in pv.source
    assert pv.included_bound == "upper"


def test_bonus_mixite_tranche_labels_say_which_bound_is_included():
    table = P.list_at("2025-06-01", theme="bonus")
    rows = table[table["nom"] == "bonus.mixite_sociale"]
    labels = [d.split(" — ")[-1] for d in rows["description"]]
    assert labels == [
        "jusqu'à 0,75 €/h inclus",
        "plus de 0,75 €/h et jusqu'à 1 €/h inclus",
        "plus de 1 €/h et jusqu'à 1,25 €/h inclus",
        "plus de 1,25 €/h",
    ]
    assert list(rows["valeur"]) == [2100, 800, 300, 0]


def test_eaje_bonus_mixite_from_the_billed_participation():
    # 20 places, 30 000 h réalisées = facturées, resources 1 000 €/month, 1 child, 2025-06-01:
    # PF/h = 1 000 × 0.0619 % = 0.619 €/h ≤ 0.75 → 2 100 × 20 places = 42 000 (2018-002)
    inp = R.EajeInput(
        places=20,
        heures_realisees=30_000,
        heures_facturees=30_000,
        charges=360_000,
        ressources_mensuelles=1000,
        nom="Les Tilleuls",
    )
    f = R.simulate_eaje(inp, "2025-06-01")
    assert f.participation_horaire_moyenne == pytest.approx(0.619)
    assert f.bonus_mixite == pytest.approx(42_000)
    assert not f.a_verifier_par_ligne.get("bonus_mixite")
    # resources 1 500: 1 500 × 0.0619 % = 0.9285 €/h in ]0.75, 1.00] → 800 × 20 = 16 000
    inp.ressources_mensuelles = 1500
    assert R.simulate_eaje(inp, "2025-06-01").bonus_mixite == pytest.approx(16_000)
    # given participation 1.30 €/h (the demo scenarios') > 1.25 → 0
    inp.ressources_mensuelles, inp.participation_horaire = None, 1.30
    assert R.simulate_eaje(inp, "2025-06-01").bonus_mixite == 0


# --------------------------------------------------------------------------------------------
# 3. The barème's dates


def test_plafond_2021_is_5800_minimall_2021():
    # minimall.fr (2021): plafond 5 800 € in 2021; 2021 rate for 1 child 0.0615 % (toupty.org):
    # 5 800 × 0.0615 % = 3.567 €/h
    res = R.family_participation_hourly(10_000, 1, "collectif", 0, "2021-06-01")
    assert res.value == pytest.approx(3.567)
    assert res.details["plafond"] == 5800 and res.details["plafond_statut"] == "confirmée"
    assert res.a_verifier == ["bareme.taux_effort_collectif"]  # 2021 rates still to verify
    # caf45-partenaires.fr (« depuis 2022 »): 6 000 from 1 January 2022; 6 000 × 0.0619 % = 3.714
    assert R.family_participation_hourly(10_000, 1, date="2022-01-01").value == pytest.approx(3.714)
    assert P.at("bareme.plafond_ressources", "2021-12-31").value == 5800


def test_plancher_2021_is_711_62_minimall_2021():
    # minimall.fr (2021): plancher 711.62 €; 711.62 × 0.0615 % = 0.4376463 €/h
    res = R.family_participation_hourly(0, 1, "collectif", 0, "2021-06-01")
    assert res.value == pytest.approx(0.4376463)
    assert res.details["plancher_statut"] == "confirmée"


def test_plancher_january_august_2019_is_705_27_babilou_2019():
    # babilou.fr (June 2019): plancher « actuel » 705.27 €, from January to August 2019;
    # 2018 rate 0.06 %: 705.27 × 0.06 % = 0.423162 €/h, confirmed, not carried forward
    res = R.family_participation_hourly(0, 1, "collectif", 0, "2019-03-01")
    assert res.value == pytest.approx(0.423162)
    assert res.details["plancher_statut"] == "confirmée"
    assert res.details["plancher_reconduction"] == ""
    # September 2019: the value is no longer documented (valid_until 2019-08-31): still used,
    # flagged; rate 0.0605 %: 705.27 × 0.0605 % = 0.42668835 €/h
    sept = R.family_participation_hourly(0, 1, "collectif", 0, "2019-09-15")
    assert sept.value == pytest.approx(0.42668835)
    assert sept.details["plancher_reconduction"] == "valeur 2019 reconduite, à vérifier"
    assert "bareme.plancher_ressources" in sept.a_verifier
    # 2020: no plancher entered (revised every 1 January) → still the 2019 value, flagged;
    # 705.27 × 0.0610 % = 0.4302147 €/h
    y2020 = R.family_participation_hourly(0, 1, "collectif", 0, "2020-06-01")
    assert y2020.value == pytest.approx(0.4302147)
    assert "valeur 2019 reconduite, à vérifier" in " ".join(y2020.notes)


@pytest.mark.parametrize(
    ("date", "plancher", "source"),
    [
        ("2023-06-01", 754.16, "atelierspetits.fr"),  # two crèche pages (2023)
        ("2024-06-01", 765.77, "suresnes.fr"),  # suresnes.fr (Sept 2024)
    ],
)
def test_planchers_2023_and_2024_are_confirmed(date, plancher, source):
    pv = P.at("bareme.plancher_ressources", date)
    assert pv.value == plancher and pv.statut == "confirmée" and source in pv.source
    # plancher × 0.0619 %: 754.16 → 0.46682504; 765.77 → 0.47401163 €/h; nothing to verify
    res = R.family_participation_hourly(0, 1, "collectif", 0, date)
    assert res.value == pytest.approx(plancher * 0.000619)
    assert res.a_verifier == []


def test_no_eleven_children_band_in_2021():
    # crèche pages quoting the 2021 scale: it stops at 10 children, 8-10 share the last rate
    # 0.0205 %; 11 children get that rate too (no 0.01 % band): 3 000 × 0.0205 % = 0.615 €/h
    for n in (8, 10, 11):
        res = R.family_participation_hourly(3000, n, "collectif", 0, "2021-06-01")
        assert res.value == pytest.approx(0.615)
    thresholds = [t for t, _ in P.at("bareme.taux_effort_collectif", "2021-06-01").value]
    assert thresholds == [1, 2, 3, 4, 8]


@pytest.mark.parametrize(
    ("children", "expected"),
    [
        # familial and parental bands 1 / 2 / 3-5 / 6+ (circ. CNAF 2019-005, à vérifier),
        # 2022 rates; resources 3 000 €/month:
        (1, 1.548),  # 3 000 × 0.0516 %
        (2, 1.239),  # 3 000 × 0.0413 %
        (3, 0.93),  # 3 000 × 0.0310 %
        (5, 0.93),  # still the 3-5 band
        (6, 0.618),  # 6 and more: 3 000 × 0.0206 %
        (9, 0.618),
    ],
)
def test_family_and_parental_bands_1_2_3to5_6plus(children, expected):
    res = R.family_participation_hourly(3000, children, "parental", 0, "2025-10-01")
    assert res.value == pytest.approx(expected)
    assert res.a_verifier == ["bareme.taux_effort_familial"]  # « à vérifier »


def test_family_band_labels():
    table = P.list_at("2025-10-01", theme="bareme")
    rows = table[table["nom"] == "bareme.taux_effort_familial"]
    assert [d.split(" — ")[-1] for d in rows["description"]] == [
        "1 enfant",
        "2 enfants",
        "3 à 5 enfants",
        "6 enfants et plus",
    ]
    assert set(rows["statut"]) == {"à vérifier"}


# --------------------------------------------------------------------------------------------
# Carried-forward values (« valeur 2025 reconduite, à vérifier »)


def test_parameter_carried_forward_after_its_yearly_revision():
    # plancher revised every 1 January: the 2025 value (801, estimate) is carried forward in
    # 2026 and 2027; plafond 8 500 (1 Sept 2025, confirmed) is carried from 1 Sept 2026
    plancher = P.at("bareme.plancher_ressources", "2027-03-01")
    assert plancher.value == 801.0
    assert plancher.reconduction == "valeur 2025 reconduite, à vérifier"
    assert P.at("bareme.plancher_ressources", "2025-12-31").reconduction == ""
    assert P.at("bareme.plancher_ressources", "2026-01-01").reconduction != ""
    assert P.at("bareme.plafond_ressources", "2026-08-31").statut == "confirmée"
    plafond = P.at("bareme.plafond_ressources", "2026-09-01")
    assert plafond.value == 8500 and plafond.statut == "à vérifier"
    assert plafond.reconduction == "valeur 2025 reconduite, à vérifier"
    # a value documented up to a date (valid_until) is not carried before: plafond 6 000
    # « non revalorisé » until 31 August 2024 (caf45-partenaires.fr)
    assert P.at("bareme.plafond_ressources", "2024-08-31").reconduction == ""
    # taux d'effort: no periodic revision → the 2022 rates stay without a flag
    assert P.at("bareme.taux_effort_collectif", "2027-03-01").statut == "confirmée"


def test_parametres_table_flags_carried_values(run):
    code, out, err = run("parametres", "--date", "2027-03-01", "--theme", "bareme")
    assert code == 0 and err == ""
    assert "dont 2 valeurs reconduites" in out.splitlines()[0]
    plafond = _row(out, "bareme.plafond_ressources ")
    assert "8\u202f500" in plafond and "⚠ valeur 2025 reconduite, à vérifier" in plafond
    plancher = _row(out, "bareme.plancher_ressources ")
    assert "801" in plancher and "⚠ valeur 2025 reconduite, à vérifier" in plancher
    assert "« reconduite »" in out  # footnote
    # within its documented year the plafond is simply « confirmée »
    _, before, _ = run("parametres", "--date", "2026-03-01", "--theme", "bareme")
    assert "reconduite" not in _row(before, "bareme.plafond_ressources ")


def test_funding_result_at_2027_flags_carried_values():
    # two families, resources 500 and 10 000 €/month, 1 child, 1 March 2027:
    # 500 < plancher 801 (2025, carried) → 801 × 0.0619 % = 0.495819 €/h;
    # 10 000 > plafond 8 500 (2025, carried) → 8 500 × 0.0619 % = 5.2615 €/h;
    # mean = (0.495819 + 5.2615) / 2 = 2.8786595 €/h > 1.25 → bonus mixité 0
    inp = R.EajeInput(
        places=20,
        heures_realisees=30_000,
        heures_facturees=30_000,
        charges=360_000,
        ressources_mensuelles=[500, 10_000],
        nom="Les Tilleuls",
    )
    f = R.simulate_eaje(inp, "2027-03-01")
    assert f.participation_horaire_moyenne == pytest.approx(2.8786595)
    assert f.bonus_mixite == 0
    assert {"bareme.plancher_ressources", "bareme.plafond_ressources"} <= set(f.a_verifier)
    notes = "\n".join(f.notes)
    assert "(bareme.plafond_ressources) : valeur 2025 reconduite, à vérifier" in notes
    assert "(bareme.plancher_ressources) : valeur 2025 reconduite, à vérifier" in notes
    described = P.describe(f.a_verifier, "2027-03-01")
    assert any("(bareme.plafond_ressources) : valeur 2025 reconduite" in d for d in described)


def test_year_2026_is_split_where_the_plafond_becomes_carried():
    # plafond 8 500 documented until 31 August 2026: a 2026 funding is computed pro rata of
    # the rules with a break on 1 September 2026, and says the value is carried from then
    assert P.change_dates(dt.date(2026, 1, 1), dt.date(2027, 1, 1)) == [dt.date(2026, 9, 1)]
    inp = R.EajeInput(
        places=10,
        heures_realisees=15_000,
        heures_facturees=15_000,
        charges=180_000,
        ressources_mensuelles=10_000,
    )
    f = R.simulate_eaje(inp, 2026)
    assert "1er septembre 2026" in f.periode
    # PF/h 8 500 × 0.0619 % = 5.2615 all year (the value does not change, its status does)
    assert f.participation_horaire_moyenne == pytest.approx(5.2615)
    assert "bareme.plafond_ressources" in f.a_verifier
    assert any("valeur 2025 reconduite" in n for n in f.notes)
    # over a period, describe says from when
    text = P.describe(["bareme.plafond_ressources"], "2026-01-01", "2026-12-31")[0]
    assert text.endswith("valeur 2025 reconduite à partir du 1er septembre 2026, à vérifier")


def test_alsh_2018_value_carried_forward_says_so():
    # ps ALSH 0.54 €/h (atda.fr, 2018), revised every year, no later value entered
    pv = P.at("alsh.montant_horaire_plafond", "2025-03-01")
    assert pv.value == 0.54 and pv.reconduction == "valeur 2018 reconduite, à vérifier"
    assert P.at("alsh.montant_horaire_plafond", "2018-06-01").statut == "confirmée"


def test_participation_cli_at_2027_says_carried(run):
    # 10 000 €/month → plafond 8 500 (carried) × 0.0619 % = 5.2615 → 5,26 €/h
    code, out, _ = run("participation", "--ressources", "10000", "--date", "2027-03-01")
    assert code == 0
    assert out.count("⚠ valeur 2025 reconduite, à vérifier") >= 1
    assert _row(out, "plafond appliqué").endswith("5,26\u00a0€")
    assert "(bareme.plafond_ressources) : valeur 2025 reconduite, à vérifier" in out


def test_revision_keys_are_checked_in_french(tmp_path):
    _write(
        tmp_path,
        "bareme/plancher.yaml",
        """
        description: Plancher de test
        unit: €/mois
        revision: mensuelle
        revision_date: "13-01"
        values:
          2024-01-01:
            value: 700
            reference: source
            statut: confirmée
            valid_until: 2023-12-31
          2025-01-01:
            value: 800
            reference: source
            statut: confirmée
        """,
    )
    _write(
        tmp_path,
        "bonus/taux.yaml",
        """
        description: Taux de test
        unit: /1
        included_bound: upper
        values:
          2024-01-01:
            value: 0.5
            reference: source
            statut: confirmée
            valid_until: 2024-02-30
        """,
    )
    with pytest.raises(DataError) as err:
        R.load_parameters(tmp_path)
    msg = str(err.value)
    assert "ligne 3, colonne « revision » : trouvé « mensuelle »" in msg
    assert "« annuelle » ou « aucune »" in msg
    assert "la date « 2023-12-31 »" in msg and "postérieure ou égale au 2024-01-01" in msg
    assert "colonne « included_bound »" in msg and "pour des tranches" in msg
    assert "la date « 2024-02-30 »" in msg


def test_valid_until_must_end_before_the_next_value(tmp_path):
    _write(
        tmp_path,
        "bareme/plafond.yaml",
        """
        description: Plafond de test
        unit: €/mois
        revision: annuelle
        revision_date: "02-30"
        values:
          2024-01-01:
            value: 7000
            reference: source
            statut: confirmée
            valid_until: 2025-01-01
          2025-01-01:
            value: 8000
            reference: source
            statut: confirmée
        """,
    )
    with pytest.raises(DataError) as err:
        R.load_parameters(tmp_path)
    msg = str(err.value)
    assert "colonne « revision_date » : trouvé « 02-30 »" in msg
    assert "une date antérieure à la valeur suivante (2025-01-01)" in msg


# --------------------------------------------------------------------------------------------
# 4. Bonus inclusion handicap: who counts (circ. CNAF 2020-011)


def test_children_counted_for_the_bonus_handicap_since_2020():
    # circ. CNAF 2018-002: AEEH only in 2019; circ. 2020-011: since 1 January 2020 also PCO,
    # CAMSP, SESSAD or SAFEP, hospital or PMI attestation
    assert P.at("bonus.inclusion_handicap_eligibilite", "2019-06-01").value == (
        "bénéficiaires de l'AEEH"
    )
    since = P.at("bonus.inclusion_handicap_eligibilite", "2020-01-01")
    for word in ("AEEH", "PCO", "CAMSP", "SESSAD", "SAFEP", "PMI"):
        assert word in since.value
    assert "2020-011" in since.source and since.statut == "confirmée"
    # 6 % of the children, 16 000 €/place: 30 % × 16 000 × 6 % = 288 €/place (tranche 5-7.5 %)
    res = R.bonus_handicap_par_place(0.06, 16_000, "2025-01-01")
    assert res.value == pytest.approx(288)
    assert "PCO" in res.details["enfants_comptes"]
    assert "bonus.inclusion_handicap_eligibilite" in res.parametres


def test_handicap_labels_name_every_eligible_child():
    label = P.parameter("bonus.inclusion_handicap_taux").threshold_label
    for word in ("AEEH", "PCO", "CAMSP", "SESSAD", "SAFEP", "PMI"):
        assert word in label
        assert word in R.ENFANTS_HANDICAP
    from territoire_lib.scenario import HYPOTHESIS_LABELS

    assert "CAMSP" in HYPOTHESIS_LABELS["part_enfants_handicap"]
    with pytest.raises(R.RulesError, match="Part d'enfants en situation de handicap.*PCO"):
        R.bonus_handicap_par_place(1.5, 16_000, "2025-01-01")
    with pytest.raises(R.RulesError, match="part d'enfants en situation de handicap.*CAMSP"):
        R.simulate_eaje(
            R.EajeInput(
                places=10,
                heures_realisees=15_000,
                heures_facturees=15_000,
                charges=180_000,
                participation_horaire=1.0,
                part_enfants_aeeh=2,
            ),
            "2025-06-01",
        )


def test_participation_help_says_only_aeeh_counts_for_the_bareme(run, capsys):
    with pytest.raises(SystemExit):
        cli.main(["participation", "--help"])
    out = capsys.readouterr().out
    assert "PCO" in out and "CAMSP" in out and "seule l'AEEH compte" in out


# --------------------------------------------------------------------------------------------
# 8. Veille: what changed between two dates


def test_parameter_changes_lists_the_bareme_changes_2021_2025():
    table = R.parameter_changes(P, "2021-01-01", "2025-12-31", theme="bareme")
    plafond = table[table["nom"] == "bareme.plafond_ressources"]
    # babilou 5 600 (2020) → minimall 5 800 (2021) → caf45 6 000 (2022) → 7 000 (Sept 2024)
    # → 8 500 (Sept 2025)
    assert list(
        zip(
            plafond["date"].astype(str),
            plafond["ancienne_valeur"],
            plafond["nouvelle_valeur"],
            strict=True,
        )
    ) == [  # fmt: skip
        ("2021-01-01", 5600, 5800),
        ("2022-01-01", 5800, 6000),
        ("2024-09-01", 6000, 7000),
        ("2025-09-01", 7000, 8500),
    ]
    plancher = table[table["nom"] == "bareme.plancher_ressources"]
    assert list(zip(plancher["ancienne_valeur"], plancher["nouvelle_valeur"], strict=True)) == [
        (705.27, 711.62),
        (711.62, 712.33),
        (712.33, 754.16),
        (754.16, 765.77),
        (765.77, 801.00),
    ]
    assert list(plancher["statut"]) == [
        "confirmée",
        "à vérifier",
        "confirmée",
        "confirmée",
        "à vérifier",
    ]
    # 2022 collective scale, tranche by tranche: 1 child 0.0615 % → 0.0619 %
    one = table[
        (table["nom"] == "bareme.taux_effort_collectif")
        & (table["date"] == dt.date(2022, 1, 1))
        & table["description"].str.endswith("— 1 enfant")
    ].iloc[0]
    assert (one["ancienne_valeur"], one["nouvelle_valeur"]) == (0.000615, 0.000619)
    assert list(table["date"]) == sorted(table["date"])
    assert not (table["nature"] == "reconduction").any()  # nothing carried before 2026


def test_parameter_changes_lists_values_becoming_carried():
    table = R.parameter_changes(P, "2025-06-01", "2027-03-01", theme="bareme")
    carried = table[table["nature"] == "reconduction"]
    assert list(zip(carried["date"].astype(str), carried["nom"], strict=True)) == [
        ("2026-01-01", "bareme.plancher_ressources"),
        ("2026-09-01", "bareme.plafond_ressources"),
    ]
    assert set(carried["reconduction"]) == {"valeur 2025 reconduite, à vérifier"}
    assert set(carried["statut"]) == {"à vérifier"}


def test_parameter_changes_compare_tables_and_removed_tranches(tmp_path):
    _write(
        tmp_path,
        "bareme/taux.yaml",
        """
        description: Taux de test
        unit: /1
        type: brackets
        threshold_unit: enfants
        values:
          2020-01-01:
            value:
              - {threshold: 1, value: 0.0006}
              - {threshold: 8, value: 0.0002}
              - {threshold: 11, value: 0.0001}
            reference: ancien
            statut: à vérifier
          2022-01-01:
            value:
              - {threshold: 1, value: 0.0006}
              - {threshold: 8, value: 0.0003}
            reference: nouveau
            statut: confirmée
        """,
    )
    _write(
        tmp_path,
        "bonus/table.yaml",
        """
        description: Bonus de test
        unit: €/place/an
        type: table
        labels: {prive: privé, public: public}
        values:
          2024-01-01:
            value: {prive: 970, public: 475}
            reference: source 2024
            statut: confirmée
          2025-01-01:
            value: {prive: 1000, public: 475}
            reference: {prive: source 2025, public: source 2025}
            statut: {prive: à vérifier, public: confirmée}
        """,
    )
    params = R.load_parameters(tmp_path)
    table = R.parameter_changes(params, "2021-01-01", "2025-12-31")
    rows = list(
        zip(table["description"], table["ancienne_valeur"], table["nouvelle_valeur"], strict=True)
    )
    # 8 children: 0.0002 → 0.0003; 11 children: the « 11 enfants et plus » band (0.0001) is
    # removed, 11 children now get the 8+ rate 0.0003; unchanged 1 child not listed
    assert rows[:2] == [
        ("Taux de test — 8 enfants et plus", 0.0002, 0.0003),
        ("Taux de test — 11 enfants et plus (tranche supprimée)", 0.0001, 0.0003),
    ]
    # the table's first value (2024) is a new parameter, without old values; in 2025, key by
    # key, only the private amount changed (970 → 1 000, à vérifier)
    assert rows[2:] == [
        ("Bonus de test — privé", None, 970),
        ("Bonus de test — public", None, 475),
        ("Bonus de test — privé", 970, 1000),
    ]
    assert list(table["nature"][2:]) == ["nouveau paramètre", "nouveau paramètre", "changement"]
    assert table.iloc[4]["statut"] == "à vérifier" and table.iloc[4]["source"] == "source 2025"


def test_veille_cli_lists_old_and_new_values(run):
    code, out, err = run("parametres", "--depuis", "2021-01-01", "--date", "2025-12-31")
    assert code == 0 and err == ""
    assert out.startswith(
        "Changements des paramètres CNAF du 1er janvier 2021 au 31 décembre 2025 inclus"
    )
    row = _row(out, "01/01/2021", "bareme.plafond_ressources")
    assert "5\u202f600" in row and "5\u202f800" in row and "confirmée" in row
    assert "minimall.fr" in row
    row = _row(out, "01/01/2021", "bareme.plancher_ressources")
    assert "705,27" in row and "711,62" in row
    row = _row(out, "01/09/2025", "bareme.plafond_ressources")
    assert "7\u202f000" in row and "8\u202f500" in row
    lines = [line for line in out.splitlines() if line[:2].isdigit()]
    dates = [dt.datetime.strptime(line[:10], "%d/%m/%Y").date() for line in lines]
    assert dates == sorted(dates)
    # bonus trajectoire appears on 1 November 2025 as a new parameter
    assert "— (nouveau)" in _row(out, "01/11/2025", "bonus.trajectoire")


def test_veille_cli_carried_rows_and_default_end(run):
    code, out, _ = run("parametres", "--depuis", "2026-01-01", "--theme", "bareme")
    today = R.fmt_date(dt.date.today())
    assert code == 0 and f"au {today} inclus" in out
    row = _row(out, "01/01/2026", "bareme.plancher_ressources")
    assert "inchangée" in row and "⚠ valeur 2025 reconduite, à vérifier" in row


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--depuis", "2021-13-01"], "Date de début (--depuis) « 2021-13-01 » invalide"),
        (["--depuis", "2021-01-01", "--date", "31/12/2025"], "Date de fin (--date) « 31/12/2025 »"),
        (
            ["--depuis", "2026-01-01", "--date", "2025-12-31"],
            "la date de début (1er janvier 2026) est postérieure à la date de fin "
            "(31 décembre 2025)",
        ),
        (["--depuis", "2021-01-01", "--theme", "logement"], "Thème « logement » inconnu"),
    ],
)
def test_veille_cli_errors_are_french(run, argv, message):
    code, out, err = run("parametres", *argv)
    assert code == 1 and out == ""
    assert err.startswith("Erreur : ") and message in err
