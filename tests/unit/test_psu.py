"""The PSU paid on billed hours, through the rules, the scenarios, the optimiser, the dashboard
and the one-crèche calculator (`territoire psu`), every value worked out by hand.

Sources: funding-rules.md « Corrections (2026-12) »: the « actes ouvrant droit » are the hours
billed to families, the cost price is measured per billed hour and the taux de facturation
(billed ÷ performed) only selects the prix plafond (CNAF « Conditions particulières PSU »,
2011; weka.fr 2024). §1.1: 2025 reform, prix plafond at its maximum up to 107 %, linear
decrease to the minimum reached at 120 % (caf45-partenaires.fr). Parameters read in 2025:
prix plafond avec couches et repas 10,25 €/h (maximum) and 9,34 €/h (minimum), both « à
vérifier »; PSU rate 66 % (confirmée). The share of the régime général multiplies the whole
net amount (existing convention, funding-rules §1.1 [P]).

Linear band at TF 108 %: 10,25 − (108 − 107) / (120 − 107) × (10,25 − 9,34) = 10,25 − 0,07
= 10,18 €/h; at TF 110 %: 10,25 − 3/13 × 0,91 = 10,25 − 0,21 = 10,04 €/h.
"""

from __future__ import annotations

import datetime as dt

import openpyxl
import pandas as pd
import pytest

from territoire_lib import rules as R
from territoire_lib.cli import main
from territoire_lib.optimise import candidates_from_scenario, optimise
from territoire_lib.rules.psu_calculator import psu_calculator
from territoire_lib.scenario import (
    DEFAULT_HYPOTHESES,
    HYPOTHESIS_SOURCES,
    load_scenario,
    simulate,
)
from tests.unit.test_scenario import REPO, make_territory, write

DATE = "2025-10-01"


def _crèche(**kw):
    """40 places, 80 000 h performed, 86 400 h billed (TF 108 %), families 2,00 €/h billed
    (172 800 €): mixité 0 € with the 2018 tranches (above 1,25 €/h)."""
    base = dict(
        places=40,
        heures_realisees=80_000,
        heures_facturees=86_400,
        charges=800_000,
        participation_horaire=2.0,
        nom="Les Hirondelles",
    )
    base.update(kw)
    return R.simulate_eaje(R.EajeInput(**base), DATE)


# -- the rule ----------------------------------------------------------------------------------
def test_cost_under_the_ceiling():
    # taux de facturation 86 400 / 80 000 = 108 % → linear band, plafond 10,18 €/h;
    # prix de revient 800 000 / 86 400 = 9,259 €/h < 10,18 → price 9,259;
    # PSU = 9,259… × 66 % × 86 400 − 172 800 = 528 000 − 172 800 = 355 200 €
    # (under the ceiling, PSU + families = 66 % of the charges, whatever the hours)
    f = _crèche()
    assert f.taux_facturation == pytest.approx(1.08)
    assert f.prix_de_revient_horaire == pytest.approx(800_000 / 86_400)
    assert f.prix_plafond_horaire == pytest.approx(10.18)
    assert f.prix_retenu_horaire == pytest.approx(800_000 / 86_400)
    assert f.participations_familiales == pytest.approx(172_800)
    assert f.psu == pytest.approx(355_200)
    # remaining = 800 000 − 172 800 − 355 200 = 272 000 € (34 % of the charges);
    # per place 272 000 / 40 = 6 800; per billed hour 272 000 / 86 400 = 3,148 €
    assert f.reste_a_charge == pytest.approx(272_000)
    rest = f.tableau().set_index("ligne").loc["Reste à charge (commune / gestionnaire)"]
    assert rest["par_place"] == pytest.approx(6_800)
    assert rest["par_heure_facturee"] == pytest.approx(272_000 / 86_400)
    assert rest["par_heure"] == pytest.approx(272_000 / 80_000)  # per hour performed
    assert "psu.prix_plafond_avec_couches_repas.maximum" in f.a_verifier_par_ligne["psu"]


def test_cost_over_the_ceiling():
    # charges 960 000: prix de revient 960 000 / 86 400 = 11,111 €/h > plafond 10,18 →
    # PSU = 10,18 × 66 % × 86 400 − 172 800 = 580 504,32 − 172 800 = 407 704,32 €
    f = _crèche(charges=960_000)
    assert f.prix_de_revient_horaire == pytest.approx(11.1111, abs=1e-4)
    assert f.prix_retenu_horaire == pytest.approx(10.18)
    assert f.psu == pytest.approx(407_704.32)
    # paid on the hours performed it would be 10,18 × 66 % × 80 000 − 172 800 = 364 704 €:
    # the billed hours add 10,18 × 66 % × 6 400 = 43 000,32 €
    assert f.psu - (10.18 * 0.66 * 80_000 - 172_800) == pytest.approx(43_000.32)
    # remaining = 960 000 − 172 800 − 407 704,32 = 379 495,68 €
    assert f.reste_a_charge == pytest.approx(379_495.68)


@pytest.mark.parametrize(
    ("billed", "ceiling", "psu"),
    [
        # 80 000 h billed (TF 100 %): maximum 10,25; cost 960 000 / 80 000 = 12 > 10,25 →
        # 10,25 × 66 % × 80 000 − 2 × 80 000 = 541 200 − 160 000 = 381 200
        (80_000, 10.25, 381_200.0),
        # 96 000 h (TF 120 %): minimum 9,34; cost 10 > 9,34 →
        # 9,34 × 66 % × 96 000 − 192 000 = 591 782,40 − 192 000 = 399 782,40
        (96_000, 9.34, 399_782.40),
        # 104 000 h (TF 130 %): still the minimum 9,34; cost 9,2308 < 9,34 →
        # 66 % × 960 000 − 208 000 = 633 600 − 208 000 = 425 600
        (104_000, 9.34, 425_600.0),
    ],
)
def test_billing_rate_selects_the_ceiling_band(billed, ceiling, psu):
    f = _crèche(charges=960_000, heures_facturees=billed)
    assert f.prix_plafond_horaire == pytest.approx(ceiling)
    assert f.psu == pytest.approx(psu)


def test_regime_general_share_and_given_ceiling():
    # régime général 85 %: (580 504,32 − 172 800) × 85 % = 346 548,672 €
    f = _crèche(charges=960_000, part_regime_general=0.85)
    assert f.psu == pytest.approx(346_548.672)
    # ceiling given 9,50 €/h: 9,50 × 66 % × 86 400 − 172 800 = 541 728 − 172 800 = 368 928 €;
    # no CNAF ceiling read, so the PSU rests on no « à vérifier » value
    given = _crèche(charges=960_000, prix_plafond=9.50)
    assert given.psu == pytest.approx(368_928)
    assert given.a_verifier_par_ligne["psu"] == []
    assert any("prix plafond fourni" in n for n in given.notes)


def test_old_inputs_give_the_same_hours():
    # 40 places × 2 500 h × 80 % = 80 000 h performed; × 108 % = 86 400 h billed;
    # 20 000 € per place × 40 = 800 000 €: the same crèche as test_cost_under_the_ceiling
    by_rates = R.simulate_eaje(
        R.EajeInput(
            places=40,
            heures_ouverture_an=2_500,
            taux_occupation=0.80,
            taux_facturation=1.08,
            cout_par_place=20_000,
            participation_horaire=2.0,
        ),
        DATE,
    )
    assert by_rates.heures_realisees == pytest.approx(80_000)
    assert by_rates.heures_facturees == pytest.approx(86_400)
    assert by_rates.psu == pytest.approx(355_200)
    assert by_rates.heures_ouvertes == pytest.approx(100_000)
    # cout_horaire stays « € per hour performed »: 10 € × 80 000 h = 800 000 €
    hourly = _crèche(charges=None, cout_horaire=10.0)
    assert hourly.cout_total == pytest.approx(800_000)
    assert hourly.psu == pytest.approx(355_200)


def test_ambiguous_hours_are_french_errors():
    with pytest.raises(R.RulesError) as err:
        _crèche(taux_facturation=1.08, taux_occupation=0.8, heures_ouverture_an=2500)
    msg = str(err.value)
    assert "EAJE « Les Hirondelles »" in msg
    assert "heures facturées : trouvé à la fois heures_facturees et taux_facturation" in msg
    assert "heures réalisées : trouvé à la fois heures_realisees et taux_occupation" in msg
    with pytest.raises(R.RulesError, match="heures facturées : trouvé ni heures_facturees"):
        _crèche(heures_facturees=None)
    with pytest.raises(R.RulesError, match=r"coût : trouvé 2 coûts \(charges, cout_par_place\)"):
        _crèche(cout_par_place=20_000)
    with pytest.raises(R.RulesError, match="heures facturées : trouvé « 0 »"):
        _crèche(heures_facturees=0)
    with pytest.raises(R.RulesError, match=r"taux de facturation : trouvé 350,0 %"):
        _crèche(heures_facturees=280_000)


# -- the scenarios -------------------------------------------------------------------------------
OVER = """\
nom: Crèche au-dessus du plafond
territoire: "296000011"
annee_base: 2024
horizon: [2025, 2027]
hypotheses:
  taux_occupation: 0.70
  taux_facturation: 1.10
  heures_ouverture_an: 2475
  participation_horaire: 2.00
  cout_par_place: {creche_psu: 20000}
  investissement_par_place: {creche_psu: 30000}
leviers:
  - levier: creche_psu
    commune: "96001"
    annee: 2026
    places: 10
    nom: Crèche Alpha
"""


def test_scenario_place_over_the_ceiling_by_hand(tmp_path):
    # One place in 2026: 2 475 h × 70 % = 1 732,5 h performed; × 110 % = 1 905,75 h billed.
    # Prix de revient 20 000 / 1 905,75 = 10,495 €/h > plafond at 110 % = 10,04 €/h →
    # PSU = 10,04 × 66 % × 1 905,75 − 2,00 × 1 905,75 = 12 628,2618 − 3 811,50 = 8 816,7618 €
    # (on the hours performed it would be 10,04 × 66 % × 1 732,5 − 3 811,50 = 7 668,738 €).
    # Bonus mixité 0 € (2,00 €/h > 1,25), bonus territoire 2 600 € (new place, tier « autre »),
    # commune: 20 000 − 3 811,50 − 8 816,7618 − 2 600 = 4 771,7382 € a place.
    res = simulate(make_territory(), load_scenario(write(tmp_path, OVER)))
    c = res.couts[(res.couts["code"] == "96001") & (res.couts["annee"] == 2026)].iloc[0]
    assert c["familles"] == pytest.approx(10 * 3_811.50)
    assert c["psu"] == pytest.approx(10 * 8_816.7618)
    assert c["bonus_mixite"] == pytest.approx(0)
    assert c["bonus_territoire"] == pytest.approx(10 * 2_600)
    assert c["reste_commune"] == pytest.approx(10 * 4_771.7382)
    # under the ceiling (cost 16 000 €: 8,396 €/h billed) the billing rate changes nothing for
    # the commune: PSU + families = 66 % × 16 000 = 10 560; commune 16 000 − 10 560 − 2 600
    under = simulate(make_territory(), load_scenario(write(tmp_path, OVER.replace("20000", "16000"))))  # fmt: skip
    u = under.couts[(under.couts["code"] == "96001") & (under.couts["annee"] == 2026)].iloc[0]
    assert u["psu"] + u["familles"] == pytest.approx(10 * 10_560)
    assert u["reste_commune"] == pytest.approx(10 * 2_840)


def test_lever_billing_rate_and_sourced_default(tmp_path):
    # the lever's own taux de facturation wins: 100 % → 1 732,5 h billed, plafond 10,25;
    # cost 20 000 / 1 732,5 = 11,544 > 10,25 → PSU = 10,25 × 66 % × 1 732,5 − 2 × 1 732,5
    # = 11 720,3625 − 3 465 = 8 255,3625 € a place
    text = OVER.replace("    nom: Crèche Alpha\n", "    nom: Crèche Alpha\n    taux_facturation: 1.0\n")  # fmt: skip
    sc = load_scenario(write(tmp_path, text))
    assert sc.leviers.loc[0, "taux_facturation"] == 1.0
    res = simulate(make_territory(), sc)
    c = res.couts[(res.couts["code"] == "96001") & (res.couts["annee"] == 2026)].iloc[0]
    assert c["psu"] == pytest.approx(10 * 8_255.3625)
    assert sc.to_dict()["leviers"][0]["taux_facturation"] == 1.0  # saved with the lever
    # the default billing rate is sourced (Cnaf study: 8,3 / 7,7 ≈ 1,08), not « à vérifier »
    assert DEFAULT_HYPOTHESES["taux_facturation"] == 1.08
    assert "8,3 / 7,7" in HYPOTHESIS_SOURCES["taux_facturation"]
    plain = load_scenario(write(tmp_path, OVER.replace("  taux_facturation: 1.10\n", "")))
    flagged = " ".join(simulate(make_territory(), plain).a_verifier)
    assert (
        "(taux_facturation)" not in flagged and "non sourcée : taux de facturation" not in flagged
    )


def test_demo_scenario_a_psu_line_by_hand():
    # data/scenarios/scenario_a.yaml: 24 PSU places at Valmont-sur-Loue (96001) from 2026,
    # 2 475 h × 70 % = 1 732,5 h performed × 105 % = 1 819,125 h billed a place; cost
    # 16 000 € → 8,795 €/h billed < plafond 10,25 (TF ≤ 107 %) → PSU + families = 66 % ×
    # 16 000 = 10 560 €; families 1,30 × 1 819,125 = 2 364,8625 €; PSU 8 195,1375 € a place;
    # 24 places: PSU 196 683,30 €, families 56 756,70 € a year.
    from territoire_lib.dataset import load_territory

    sc = load_scenario(REPO / "data" / "scenarios" / "scenario_a.yaml")
    res = simulate(load_territory("demo"), sc)
    c = res.couts[(res.couts["code"] == "96001") & (res.couts["annee"] == 2026)].iloc[0]
    assert c["psu"] == pytest.approx(196_683.30)
    assert c["familles"] == pytest.approx(56_756.70)
    assert c["cout_fonctionnement"] == pytest.approx(24 * 16_000)


# -- the optimiser ---------------------------------------------------------------------------------
def test_optimiser_costs_a_place_on_its_billed_hours(tmp_path):
    # The scenario OVER without levers, in 2025 (first year): a new place costs the commune
    # 4 771,7382 € a year (see test_scenario_place_over_the_ceiling_by_hand: 2025 has the same
    # rules for these lines); investment 30 000 − PIAJE (7 400 + 1 800 at Alpha, coverage
    # 50 % < 58 %) = 20 800 €. Needs: Alpha 1, Beta 0, so only Alpha gets places.
    # Operating budget 60 000 / 4 771,7382 = 12,57 → 12 places (paid on the hours performed,
    # 5 919,762 € a place, it would have been 10); 12 × 20 800 = 249 600 ≤ 600 000.
    text = OVER.split("leviers:")[0] + "leviers: []\n"
    sc = load_scenario(write(tmp_path, text))
    needs = pd.Series({"96001": 1.0, "96002": 0.0})
    cand, notes = candidates_from_scenario(make_territory(), sc, needs, taille_bloc=1)
    alpha = cand.set_index("commune").loc["96001"]
    assert alpha["cout_fonctionnement_place"] == pytest.approx(4_771.7382)
    assert alpha["cout_investissement_place"] == pytest.approx(20_800)
    assert any("heures facturées, taux de facturation 110 %" in n for n in notes)
    p = optimise(cand, 600_000, 60_000)
    assert p.retenues["commune"].tolist() == ["96001"]
    assert p.total_places == 12
    assert p.fonctionnement_utilise == pytest.approx(12 * 4_771.7382)


# -- the dashboard ---------------------------------------------------------------------------------
def test_dashboard_billing_rate_slider():
    from territoire_lib.dashboard import create_app

    panel = create_app("demo", territoire="296000011", onglet="scenarios").scenarios.panels["A"]
    assert panel.billing.slider.value == pytest.approx(1.08)  # the sourced default
    assert "heures facturées / heures réalisées" in panel.billing.widget.children[0].value
    assert "heures réalisées / heures ouvertes" in panel.occupation.widget.children[0].value
    panel.billing.slider.value = 1.15
    assert panel.document()["hypotheses"]["taux_facturation"] == 1.15


# -- the calculator ------------------------------------------------------------------------------
ARGS = [
    "psu", "--places", "40", "--heures-realisees", "80000", "--heures-facturees", "86 400",
    "--charges", "800000", "--participations", "172800", "--date", DATE,
]  # fmt: skip


def test_calculator_under_and_over_the_ceiling():
    c = psu_calculator(40, 80_000, 86_400, 800_000, 172_800, date=DATE)
    assert c.taux_facturation == pytest.approx(1.08)
    assert c.prix_de_revient == pytest.approx(9.259259, abs=1e-6)
    assert c.prix_plafond == pytest.approx(10.18)
    assert c.prix_plafond_statut == "à vérifier"
    assert c.participation_horaire == pytest.approx(2.0)
    assert c.psu == pytest.approx(355_200)
    assert c.bonus == {
        "bonus_mixite": 0.0,
        "bonus_handicap": 0.0,
        "bonus_territoire": 0.0,
        "bonus_trajectoire": 0.0,
        "bonus_attractivite": 0.0,
    }
    assert c.total_caf == pytest.approx(355_200)
    assert c.reste_a_charge == pytest.approx(272_000)
    assert c.reste_par_place == pytest.approx(6_800)
    assert c.reste_par_heure_facturee == pytest.approx(272_000 / 86_400)
    flagged = c.lignes.set_index("cle")["a_verifier"].map(bool)
    assert not flagged["taux_facturation"] and not flagged["prix_de_revient"]
    assert flagged["prix_plafond"] and flagged["psu"] and flagged["reste_heure"]
    assert not flagged["bonus_mixite"]
    over = psu_calculator(40, 80_000, 86_400, 960_000, 172_800, date=DATE)
    assert over.psu == pytest.approx(407_704.32)
    assert over.prix_retenu == pytest.approx(10.18)


def test_calculator_bonuses():
    # 2 children with a disability out of 50 (4 % < 5 %): 15 % × cost per place
    # (960 000 / 40 = 24 000) × 4 % = 144 € a place × 40 = 5 760 € (assiette « à vérifier »);
    # CTG in QPV, 10 new places × 3 600 € = 36 000 € (30 existing places: ex-CEJ amount not
    # entered, 0 €, flagged); total CAF 407 704,32 + 5 760 + 36 000 = 449 464,32 €;
    # remaining 960 000 − 172 800 − 449 464,32 = 337 735,68 €, / 40 = 8 443,392 a place
    c = psu_calculator(
        40, 80_000, 86_400, 960_000, 172_800, date=DATE,
        enfants_handicap=2, enfants_accueillis=50, ctg=True, qpv=True, nouvelles_places=10,
    )  # fmt: skip
    assert c.bonus["bonus_handicap"] == pytest.approx(5_760)
    assert c.bonus["bonus_territoire"] == pytest.approx(36_000)
    assert c.total_caf == pytest.approx(449_464.32)
    assert c.reste_a_charge == pytest.approx(337_735.68)
    assert c.reste_par_place == pytest.approx(8_443.392)
    assert any("bonus territoire des places existantes" in n for n in c.notes)
    # mixité (circ. CNAF 2018-002): 0,90 €/h billed (77 760 / 86 400) is in the 0,75-1,00
    # tranche → 800 € a place × 40 = 32 000 €
    low = psu_calculator(40, 80_000, 86_400, 960_000, 77_760, date=DATE)
    assert low.participation_horaire == pytest.approx(0.90)
    assert low.bonus["bonus_mixite"] == pytest.approx(32_000)


def test_calculator_inconsistent_inputs_are_french_errors():
    cases = [
        (dict(heures_facturees=0), "heures facturées (--heures-facturees) : trouvé « 0 »"),
        (dict(enfants_handicap=3), "trouvé « 3 » sans le nombre d'enfants accueillis"),
        (dict(enfants_handicap=5, enfants_accueillis=4), "trouvé 5 pour 4 enfants accueillis"),
        (dict(qpv=True, frr=True), "trouvé à la fois --qpv et --frr"),
        (dict(nouvelles_places=41), "trouvé 41 pour 40 places"),
        (dict(part_regime_general=1.5), "part du régime général (--part-regime-general)"),
    ]
    for extra, text in cases:
        kw = dict(places=40, heures_realisees=80_000, heures_facturees=86_400, charges=800_000, participations=172_800, date=DATE)  # fmt: skip
        kw.update(extra)
        with pytest.raises(R.RulesError) as err:
            psu_calculator(**kw)
        assert text in str(err.value), (extra, str(err.value))
        assert str(err.value).startswith("Calcul de la PSU impossible")


def _plain(text: str) -> str:
    """French output with its no-break spaces (thousands, before € and %) made plain."""
    return text.replace("\u202f", " ").replace("\u00a0", " ")


def test_cli_end_to_end(tmp_path, capsys):
    out = tmp_path / "psu.xlsx"
    assert main([*ARGS, "--sortie", str(out)]) == 0
    text = _plain(capsys.readouterr().out)
    lines = {line.split("  ")[0]: line for line in text.splitlines() if "  " in line}
    assert "108 %" in lines["Taux de facturation"]
    assert "9,2593 €/h" in lines["Prix de revient par heure facturée"]
    assert "10,18 €/h  ⚠ à vérifier" in lines["Prix plafond PSU (valeur à vérifier)"]
    assert "2,00 €/h" in lines["Participation familiale horaire moyenne"]
    assert "355 200,00 €  ⚠ à vérifier" in lines["Prestation de service unique (PSU)"]
    for bonus in ("mixité sociale", "inclusion handicap", "territoire CTG", "trajectoire"):
        assert lines[f"Bonus {bonus}"].rstrip().endswith("0,00 €")  # not due: 0 €
    assert "272 000,00 €" in lines["Reste à charge du gestionnaire"]
    assert "6 800,00 €" in lines["Reste à charge par place"]
    assert "3,1481 €/h" in lines["Reste à charge par heure facturée"]
    assert "= charges / heures facturées = 800 000 / 86 400" in text
    assert "10,25 − (108 − 107) / (120 − 107) × (10,25 − 9,34)" in text
    assert "règles au 1er octobre 2025" in text and "Classeur écrit" in text
    # the workbook: French headers, numbers as numbers
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Calcul PSU", "Données saisies", "À vérifier"]
    ws = wb["Calcul PSU"]
    assert [c.value for c in ws[3]] == ["Ligne", "Valeur", "Unité", "Calcul", "À vérifier"]
    rows = {r[0]: r for r in ws.iter_rows(min_row=4, values_only=True)}
    assert rows["Prestation de service unique (PSU)"][1] == pytest.approx(355_200)
    assert isinstance(rows["Taux de facturation"][1], float)
    assert rows["Taux de facturation"][1] == pytest.approx(1.08)
    assert rows["Reste à charge par place"][4] == "⚠ à vérifier"
    data = {r[0]: r[1] for r in wb["Données saisies"].iter_rows(min_row=2, values_only=True)}
    assert data["Heures facturées"] == 86_400
    # an existing workbook is not replaced without --ecraser
    assert main([*ARGS, "--sortie", str(out)]) == 1
    assert "existe déjà" in capsys.readouterr().err
    assert main([*ARGS, "--sortie", str(out), "--ecraser"]) == 0


def test_cli_given_ceiling_share_and_errors(capsys):
    # --prix-plafond 9,50 and 85 %: (min(11,1111 ; 9,50) × 66 % × 86 400 − 172 800) × 85 %
    # = (541 728 − 172 800) × 85 % = 313 588,80 €; the ceiling is « fourni », no flag
    args = [a if a != "800000" else "960 000" for a in ARGS]
    assert main([*args, "--prix-plafond", "9,50", "--part-regime-general", "85 %"]) == 0
    text = _plain(capsys.readouterr().out)
    lines = {line.split("  ")[0]: line for line in text.splitlines() if "  " in line}
    assert "9,50 €/h" in lines["Prix plafond PSU (fourni)"]
    assert "⚠" not in lines["Prix plafond PSU (fourni)"]
    assert "313 588,80 €" in lines["Prestation de service unique (PSU)"]
    assert "⚠" not in lines["Prestation de service unique (PSU)"]
    # French errors, no traceback
    assert main([*ARGS, "--enfants-handicap", "2"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Erreur : Calcul de la PSU impossible") and "Traceback" not in err
    assert "--enfants-accueillis" in err
    assert main([*ARGS, "--part-regime-general", "85"]) == 1
    assert "attendu une part entre 0 et 1 (0,85) ou un pourcentage" in capsys.readouterr().err
    assert main([*ARGS, "--charges", "beaucoup"]) == 1
    assert "--charges : trouvé « beaucoup » ; attendu un montant en euros" in capsys.readouterr().err  # fmt: skip
    with pytest.raises(SystemExit) as stop:
        main([*ARGS, "--qpv", "--frr"])
    assert stop.value.code == 2
    assert "argument --frr : incompatible avec l'argument --qpv" in capsys.readouterr().err


def test_cli_default_date_is_today(capsys):
    args = [a for a in ARGS if a not in ("--date", DATE)]
    assert main(args) == 0
    assert f"règles au {R.fmt_date(dt.date.today())}" in capsys.readouterr().out


def test_carried_forward_ceiling_is_flagged(capsys):
    # the prix plafond is an annual CNAF barème (revision: annuelle); no 2026 value is entered,
    # so in 2026 the 2025 values are used and said to be carried forward (correction 2026-12:
    # « never reused silently »); the figures stay 10,18 €/h and 407 704,32 €
    args = [a if a != DATE else "2026-03-01" for a in ARGS]
    assert main([*[a if a != "800000" else "960000" for a in args]]) == 0
    text = _plain(capsys.readouterr().out)
    assert "Prix plafond PSU (valeur 2025 reconduite, à vérifier)" in text
    assert "10,18 €/h  ⚠ à vérifier" in text and "407 704,32 €  ⚠ à vérifier" in text
    assert "(psu.prix_plafond_avec_couches_repas.maximum) : valeur 2025 reconduite" in text
    # in 2025 the same value is the year's own: not said to be carried forward
    c = psu_calculator(40, 80_000, 86_400, 960_000, 172_800, date=DATE)
    assert not any("reconduite" in x for x in c.a_verifier + c.notes)


def test_sensitivity_moves_the_levers_own_billing_rate(tmp_path):
    # The lever of OVER with its own taux de facturation 100 %: the sensitivity's 115 % must
    # move it too. One place a year, commune's share = 20 000 − (PSU + families) − 2 600:
    # 100 %: 20 000 − 10,25 × 66 % × 1 732,5 − 2 600 = 5 679,6375 €;
    # 115 %: 1 992,375 h billed, plafond 10,25 − 8/13 × 0,91 = 9,69 < 20 000 / 1 992,375 →
    # 20 000 − 9,69 × 66 % × 1 992,375 − 2 600 = 4 657,96… €; × 10 places × 2 years.
    from territoire_lib.scenario import sensitivity

    text = OVER.replace("    nom: Crèche Alpha\n", "    nom: Crèche Alpha\n    taux_facturation: 1.0\n")  # fmt: skip
    sens = sensitivity(make_territory(), load_scenario(write(tmp_path, text)))
    row = sens.set_index("hypothese").loc["taux_facturation"]
    assert row["resultat_central"] == pytest.approx(20 * (20_000 - 10.25 * 0.66 * 1_732.5 - 2_600))  # fmt: skip
    assert row["resultat_bas"] == pytest.approx(20 * 5_679.6375)
    assert row["resultat_haut"] == pytest.approx(20 * (20_000 - 9.69 * 0.66 * 1_992.375 - 2_600))
