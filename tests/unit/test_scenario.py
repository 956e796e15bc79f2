"""Scenarios: YAML validation with French errors naming the line, atomic save, a simulation
checked by hand (coverage trajectory and costs by funder), comparison, sensitivity, CLI."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from territoire_lib.cli import main
from territoire_lib.dataset import Territory
from territoire_lib.errors import DataError
from territoire_lib.geo import Geography
from territoire_lib.scenario import (
    Scenario,
    ScenarioExistsError,
    compare,
    load_scenario,
    save_scenario,
    sensitivity,
    simulate,
)

REPO = Path(__file__).resolve().parents[2]


# -- a tiny territory whose figures are known by hand ------------------------------------------
def make_territory(
    communes: dict[str, dict] | None = None, epci: str = "296000011", name: str = "Test"
) -> Territory:
    """Communes with constant children over the censuses 2017-2021 (so the projection keeps
    them constant) and the places of December 2023.

    Default: 96001 « Alpha » (12 000 inhabitants, 100 children 0-2, 20 PSU places + 30 at
    childminders = 50 places) and 96002 « Beta » (2 000 inhabitants, 50 children, 40 places)."""
    communes = communes or {
        "96001": {"nom": "Alpha", "population": 12000, "enfants": 100, "psu": 20, "am": 30},
        "96002": {"nom": "Beta", "population": 2000, "enfants": 50, "psu": 0, "am": 40},
    }
    rows = []
    for code, c in communes.items():
        kids = c["enfants"]
        for year in range(2017, 2022):
            for var, value in (("pop_0_2", kids), ("pop_3_5", kids), ("pop_6_10", kids * 5 / 3)):
                rows.append((code, year, var, float(value), "publie"))
        psu, am = c.get("psu", 0), c.get("am", 0)
        hors, presco, garde = c.get("hors_psu", 0), 0.0, 0.0
        for var, value in (
            ("places_eaje_psu", psu),
            ("places_eaje_hors_psu", hors),
            ("places_eaje", psu + hors),
            ("places_assistantes_maternelles", am),
            ("places_prescolarisation", presco),
            ("places_garde_domicile", garde),
            ("places_accueil_individuel", am + garde),
            ("places_total", psu + hors + am + presco + garde),
        ):
            rows.append((code, 2023, var, float(value), c.get("statut", "publie")))
    obs = pd.DataFrame(rows, columns=["commune", "annee", "variable", "valeur", "statut"])
    geo = Geography(
        communes=pd.DataFrame(
            {
                "code": list(communes),
                "nom": [c["nom"] for c in communes.values()],
                "departement": "96",
                "region": "96",
                "epci": [c.get("epci", epci) for c in communes.values()],
                "population": [c["population"] for c in communes.values()],
            }
        ),
        epcis=pd.DataFrame({"code": [epci], "nom": ["CA Test"], "nature": ["CA"]}),
        departements=pd.DataFrame({"code": ["96"], "nom": ["Dép. test"], "region": ["96"]}),
        regions=pd.DataFrame({"code": ["96"], "nom": ["Rég. test"]}),
    )
    zon = pd.DataFrame(
        {
            "commune": list(communes),
            "qpv": [c.get("qpv", 0) for c in communes.values()],
            "frr": [c.get("frr", "non") for c in communes.values()],
        }
    )
    return Territory(
        name=name,
        fictional=True,
        geography=geo,
        observations=obs,
        references=pd.DataFrame(columns=["niveau", "code", "annee", "variable", "valeur"]),
        qpv=pd.DataFrame(columns=["code_qp", "commune"]),
        zonages=zon,
        contours=None,
    )


HAND = """\
nom: Scénario calculé à la main
territoire: "296000011"
annee_base: 2024
horizon: [2025, 2027]
hypotheses:
  taux_occupation: 0.70
  taux_facturation: 1.0
  heures_ouverture_an: 2475
  participation_horaire: 1.30
  cout_par_place: {creche_psu: 16000}
  investissement_par_place: {creche_psu: 30000}
leviers:
  - levier: creche_psu
    commune: "96001"
    annee: 2026
    places: 10
    nom: Crèche Alpha
"""


def write(tmp_path: Path, text: str, name: str = "scenario.yaml") -> Path:
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


@pytest.fixture
def territory():
    return make_territory()


# -- the hand-checked scenario ---------------------------------------------------------------
def test_coverage_trajectory_by_hand(tmp_path, territory):
    res = simulate(territory, load_scenario(write(tmp_path, HAND)))
    per = res.territoire().set_index("annee")
    # children stay 100 + 50 = 150 (constant census history, growth 0)
    assert per["enfants_0_2"].tolist() == pytest.approx([150, 150, 150, 150])
    # places: 50 + 40 = 90 in 2024 and 2025; + 10 PSU places from 2026 → 100
    assert per["places_total"].tolist() == pytest.approx([90, 90, 100, 100])
    # coverage = sum of places / sum of children × 100: 90/150 = 60 %, then 100/150 = 66.67 %
    assert per.loc[2025, "taux_couverture"] == pytest.approx(60.0)
    assert per.loc[2026, "taux_couverture"] == pytest.approx(100 / 150 * 100)
    alpha = res.territoire("96001").set_index("annee")
    # Alpha alone: 50/100 = 50 %, then 60/100 = 60 %; EAJE only: 20 → 30 places
    assert alpha["taux_couverture"].tolist() == pytest.approx([50, 50, 60, 60])
    assert alpha.loc[2027, "taux_couverture_eaje"] == pytest.approx(30.0)
    assert alpha.loc[2027, "places_creees"] == 10
    # low-income children: 18 % of PSU places + 6 % of childminders' places (national 2022)
    assert alpha.loc[2027, "places_bas_revenus"] == pytest.approx(30 * 0.18 + 30 * 0.06)
    # places guaranteed for parents in insertion: 1 per 20 PSU places, rounded up: ceil(30/20)
    assert alpha.loc[2027, "places_garanties_insertion"] == 2


def test_costs_by_funder_by_hand(tmp_path, territory):
    res = simulate(territory, load_scenario(write(tmp_path, HAND)))
    fin = res.financeurs().set_index("annee")
    # One place, 2026: 2 475 h open × 70 % = 1 732.5 h performed (billed alike, TF 100 %);
    # cost 16 000 € → 9.235 €/h, under the PSU ceiling (10.25 €/h in 2026) → PSU + families =
    # 66 % × 16 000 = 10 560 €; families 1.30 × 1 732.5 = 2 252.25 €; PSU 8 307.75 €;
    # bonus mixité 0 € (1.30 €/h > 1.25, circ. CNAF 2018-002); bonus territoire for a new place
    # in a CTG, tier « autre » 2 600 €; commune: 16 000 − 10 560 − 0 − 2 600 = 2 840 €.
    assert fin.loc[2025, "cout_fonctionnement"] == 0
    assert fin.loc[2026, "cout_fonctionnement"] == pytest.approx(160_000)
    assert fin.loc[2026, "Familles"] == pytest.approx(22_522.5)
    assert fin.loc[2026, "CAF"] == pytest.approx(10 * (8_307.75 + 0 + 2_600))
    assert fin.loc[2026, "Commune"] == pytest.approx(28_400)
    assert fin.loc[2027, "Commune"] == pytest.approx(28_400)
    assert fin.loc[2026, "Autres financeurs"] == pytest.approx(0)
    # costs add up: cost = CAF + families + commune + others
    total = fin[["CAF", "Familles", "Commune", "Autres financeurs"]].sum(axis=1)
    assert total.to_numpy() == pytest.approx(fin["cout_fonctionnement"].to_numpy())
    # investment 2026 only: 10 × 30 000 €; PIAJE per place 7 400 € + 1 800 € (Alpha covers
    # 50 % < 58 %) = 9 200 € (under the 26 000 € cap and 80 % of the cost) → 92 000 €
    assert fin.loc[2026, "cout_investissement"] == pytest.approx(300_000)
    assert fin.loc[2026, "CAF (investissement)"] == pytest.approx(92_000)
    assert fin.loc[2026, "Commune (investissement)"] == pytest.approx(208_000)
    assert fin.loc[2027, "cout_investissement"] == 0
    # CAF by dispositif
    c = res.couts[(res.couts["code"] == "96001") & (res.couts["annee"] == 2026)].iloc[0]
    assert c["psu"] == pytest.approx(83_077.5)
    assert c["bonus_territoire"] == pytest.approx(26_000)
    # the values still « à vérifier » are listed (PSU ceiling, PIAJE bonus); the bonus mixité
    # tranches are confirmed (circ. CNAF 2018-002) and no longer listed
    text = " ".join(res.a_verifier)
    assert "psu.prix_plafond_avec_couches_repas.maximum" in text
    assert "bonus.mixite_sociale" not in text
    assert "psu" in res.dispositifs_a_verifier
    ind = res.indicateurs()
    assert ind["reste_commune"] == pytest.approx(2 * 28_400)
    assert ind["taux_couverture_fin"] == pytest.approx(100 / 150 * 100)


def test_closures_and_childminders(tmp_path, territory):
    text = HAND.replace(
        "leviers:\n",
        "leviers:\n"
        '  - {levier: assistantes_maternelles, commune: "96002", annee: 2025,'
        " action: fermer, assistantes: 4}\n"
        '  - {levier: creche_psu, commune: "96001", annee: 2027, action: fermer, places: 5}\n',
    )
    res = simulate(territory, load_scenario(write(tmp_path, text)))
    beta = res.territoire("96002").set_index("annee")
    # 4 childminders leave × 3.5 places each (default) = 14 places: 40 → 26
    assert beta.loc[2025, "places_total"] == pytest.approx(26)
    assert "3,5 places par assistante maternelle" in " ".join(res.a_verifier)
    alpha = res.territoire("96001").set_index("annee")
    assert alpha.loc[2027, "places_eaje_psu"] == pytest.approx(25)  # 20 + 10 − 5
    # closing 5 existing PSU places saves their cost: 2027 operating cost 10 − 5 = 5 places
    fin = res.financeurs().set_index("annee")
    assert fin.loc[2027, "cout_fonctionnement"] == pytest.approx(5 * 16_000)


def test_closing_more_than_exists_names_the_line(tmp_path, territory):
    text = HAND + "  - levier: micro_creche_paje\n    commune: \"96002\"\n    annee: 2025\n" \
        "    action: fermer\n    places: 3\n"  # fmt: skip
    with pytest.raises(DataError) as err:
        simulate(territory, load_scenario(write(tmp_path, text)))
    msg = str(err.value)
    assert "ligne 22" in msg and "leviers › 2 › places" in msg
    assert "places de micro-crèche PAJE" in msg


# -- bad files: each with its French message naming the line ------------------------------------
def test_unknown_commune(tmp_path, territory):
    path = write(tmp_path, HAND.replace('commune: "96001"', 'commune: "96999"'))
    scenario = load_scenario(path)  # well formed: checked against the data
    with pytest.raises(DataError) as err:
        simulate(territory, scenario)
    msg = str(err.value)
    assert "fichier « scenario.yaml », ligne 14, colonne « leviers › 1 › commune »" in msg
    assert "trouvé la commune « 96999 », inconnue des données « Test »" in msg


def test_commune_outside_the_territory(tmp_path):
    t = make_territory(
        {
            "96001": {"nom": "Alpha", "population": 12000, "enfants": 100, "psu": 20},
            "96002": {"nom": "Gamma", "population": 900, "enfants": 20, "epci": "296000029"},
        }
    )
    t.geography.epcis = pd.DataFrame(
        {"code": ["296000011", "296000029"], "nom": ["CA Test", "CC Autre"], "nature": ["CA", "CC"]}
    )
    path = write(tmp_path, HAND.replace('commune: "96001"', 'commune: "96002"'))
    with pytest.raises(DataError, match=r"ligne 14.*hors du territoire du scénario"):
        simulate(t, load_scenario(path))
    # reported on another perimeter, the lever outside it is left out with a note
    res = simulate(t, load_scenario(path), perimetre="96001")
    assert res.territoire().set_index("annee").loc[2027, "places_total"] == 20
    assert any("laissé(s) de côté" in n for n in res.notes)


def test_negative_places(tmp_path):
    with pytest.raises(DataError) as err:
        load_scenario(write(tmp_path, HAND.replace("places: 10", "places: -10")))
    msg = str(err.value)
    assert "ligne 16, colonne « leviers › 1 › places »" in msg
    assert "trouvé un nombre négatif (« -10 »)" in msg
    assert "pour fermer des places, écrire « action: fermer »" in msg


def test_year_outside_the_horizon(tmp_path):
    with pytest.raises(DataError) as err:
        load_scenario(write(tmp_path, HAND.replace("annee: 2026", "annee: 2031")))
    msg = str(err.value)
    assert "ligne 15, colonne « leviers › 1 › annee »" in msg
    assert "trouvé l'année 2031, hors de l'horizon" in msg
    assert "une année de l'horizon du scénario (2025 à 2027)" in msg


def test_unknown_lever(tmp_path):
    with pytest.raises(DataError) as err:
        load_scenario(write(tmp_path, HAND.replace("levier: creche_psu", "levier: creche_pus")))
    msg = str(err.value)
    assert "ligne 13, colonne « leviers › 1 › levier »" in msg
    assert "trouvé « creche_pus » (vouliez-vous dire « creche_psu » ?)" in msg
    assert "un levier connu : creche_psu, micro_creche_paje, mam" in msg


def test_other_bad_files(tmp_path):
    # several problems at once, each with its line
    text = HAND.replace("annee_base: 2024\n", "annee_base: 2024\nannee_base: 2023\n")
    text = text.replace("  taux_occupation: 0.70", "  taux_occupation: 70\n  taux_ocupation: 1")
    text = text.replace('commune: "96001"', "commune: 6001")
    with pytest.raises(DataError) as err:
        load_scenario(write(tmp_path, text))
    msg = str(err.value)
    assert "ligne 4, colonne « annee_base » : trouvé la clé « annee_base » en double" in msg
    assert "ligne 7, colonne « hypotheses › taux_occupation » : trouvé « 70 »" in msg
    assert "ligne 8" in msg and "la clé inconnue « taux_ocupation » (vouliez-vous dire" in msg
    assert "« 6001 » (le zéro initial a disparu : 06001 ?)" in msg
    # YAML syntax
    # (the parser notices the unclosed bracket at the end of the text: line 4)
    with pytest.raises(DataError, match=r"ligne 4.*erreur de syntaxe YAML"):
        load_scenario(write(tmp_path, "nom: x\nterritoire: [\nhorizon: 2025\n", "b.yaml"))
    # missing keys and a bad horizon
    with pytest.raises(DataError) as err:
        load_scenario(write(tmp_path, "nom: x\nannee_base: 2024\nhorizon: [2024, 2028]\n", "c.yaml"))  # fmt: skip
    msg = str(err.value)
    assert "aucune clé « territoire »" in msg
    assert "ligne 3, colonne « horizon » : trouvé un horizon commençant en 2024" in msg
    # a lever without places
    with pytest.raises(DataError, match=r"ligne 13.*aucune clé « places »"):
        load_scenario(write(tmp_path, HAND.replace("    places: 10\n", ""), "d.yaml"))


def test_missing_file_is_a_french_error(tmp_path):
    from territoire_lib.scenario import ScenarioError

    with pytest.raises(ScenarioError, match="Fichier de scénario introuvable"):
        load_scenario(tmp_path / "absent.yaml")


# -- save -----------------------------------------------------------------------------------------
def test_save_round_trip_and_no_overwrite(tmp_path):
    sc = load_scenario(write(tmp_path, HAND))
    out = save_scenario(sc, tmp_path / "copie.yaml")
    back = load_scenario(out)
    assert back.to_dict() == sc.to_dict()
    assert back.leviers["places"].tolist() == [10.0]
    before = out.read_bytes()
    with pytest.raises(ScenarioExistsError) as err:
        save_scenario(sc.with_levers([], nom="Autre"), out)
    assert isinstance(err.value, FileExistsError)
    assert "existe déjà : il n'est pas remplacé" in str(err.value)
    assert out.read_bytes() == before  # untouched
    save_scenario(sc.with_levers([], nom="Autre"), out, overwrite=True)
    assert load_scenario(out).nom == "Autre"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_programmatic_scenarios_are_validated():
    sc = Scenario.from_dict(
        {"nom": "x", "territoire": "96001", "annee_base": 2024, "horizon": [2025, 2026]}
    )
    assert sc.years == [2025, 2026] and sc.leviers.empty
    more = sc.with_levers([{"levier": "mam", "commune": "96002", "annee": 2026, "places": 8}])
    assert more.leviers["levier"].tolist() == ["mam"]
    with pytest.raises(DataError, match=r"colonne « leviers › 1 › annee »"):
        sc.with_levers([{"levier": "mam", "commune": "96002", "annee": 2030, "places": 8}])
    changed = sc.with_hypotheses(taux_occupation=0.8, part_commune=0.5)
    assert changed.hypotheses["taux_occupation"] == 0.8
    assert changed.cofinancements["part_commune"] == 0.5


# -- comparison, sensitivity, exports ------------------------------------------------------------
def test_compare_and_sensitivity(tmp_path, territory):
    a = load_scenario(write(tmp_path, HAND))
    b = a.with_levers(
        [{"levier": "creche_psu", "commune": "96002", "annee": 2025, "places": 15}], nom="B"
    )
    ra, rb = simulate(territory, a), simulate(territory, b)
    table = compare([ra, rb])
    assert list(table.columns) == ["Scénario calculé à la main", "B"]
    row = table.loc["Taux de couverture (fin d'horizon)"]
    assert row["B"] == pytest.approx(115 / 150 * 100)  # 90 + 10 + 15 places
    sens = sensitivity(territory, a)
    assert list(sens["hypothese"])[0] == "cout_par_place"  # the widest bar on top
    cost = sens.set_index("hypothese").loc["cout_par_place"]
    # cost − 20 %: 12 800 € = 7.39 €/h, under the ceiling: the commune pays 34 % of the cost
    # minus 2 600 € of bonuses (territoire 2 600; mixité 0 since 1.30 €/h > 1.25, circ. CNAF
    # 2018-002) = 0.34 × 12 800 − 2 600 = 1 752 € per place;
    # cost + 20 %: 19 200 € = 11.08 €/h, above the 10.25 €/h ceiling: PSU + families =
    # 66 % × 10.25 × 1 732.5 = 11 720.36 €, commune = 19 200 − 11 720.36 − 2 600 = 4 879.64 €;
    # × 10 places × 2 years (2026, 2027)
    assert cost["resultat_bas"] == pytest.approx(1752 * 20)
    assert cost["resultat_haut"] == pytest.approx((19_200 - 0.66 * 10.25 * 1732.5 - 2_600) * 20)
    assert cost["resultat_haut"] == pytest.approx(97_592.75)
    assert cost["resultat_central"] == pytest.approx(2840 * 20)
    # the billing rate moves nothing while the cost per hour stays under the ceiling
    assert sens.set_index("hypothese").loc["taux_facturation", "ecart"] == pytest.approx(0)
    cov = sensitivity(territory, a, indicateur="taux_couverture_fin")
    growth = cov.set_index("hypothese").loc["croissance_naissances"]
    # the 2027 places are divided by the children on 1 January 2028 (Onape method): −2 %/year
    # from the 2021 census to 1 January 2028 (7 years): 150 × 0.98^7 = 130.22 children →
    # 100 / 130.22 × 100 = 76.79 (was 0.98^6, the children of 1 January 2027)
    assert growth["resultat_bas"] == pytest.approx(100 / (150 * 0.98**7) * 100)
    from territoire_lib import charts

    spec = charts.tornado_chart(sens, "Sensibilité", "calcul", sens.attrs["indicateur"]).to_dict()
    assert spec["title"]["text"] == "Sensibilité"


def test_xlsx_export(tmp_path, territory):
    import openpyxl

    res = simulate(territory, load_scenario(write(tmp_path, HAND)))
    out = res.to_xlsx(tmp_path / "r.xlsx")
    wb = openpyxl.load_workbook(out)
    assert {"Synthèse", "Capacité", "Coûts", "Leviers", "SPPE", "À vérifier"} <= set(wb.sheetnames)
    with pytest.raises(ScenarioExistsError):
        res.to_xlsx(out)


def test_sppe_duties(tmp_path, territory):
    text = HAND + '  - {levier: rpe, commune: "96001", annee: 2027}\n'
    res = simulate(territory, load_scenario(write(tmp_path, text)))
    s = res.sppe[res.sppe["obligation"] == "Relais petite enfance (RPE)"].set_index("annee")
    # Alpha (12 000 inhabitants) must have an RPE from 2026: missing in 2026, opened in 2027
    assert s.loc[2026, "statut"] == "non satisfaite"
    assert s.loc[2027, "statut"] == "satisfaite"
    assert "Beta" not in set(res.sppe.loc[res.sppe["obligation"].str.startswith("Planifier"), "nom"])  # fmt: skip


# -- the demo scenarios and the command ------------------------------------------------------------
def test_demo_scenarios_load_and_simulate():
    from territoire_lib.dataset import load_territory

    t = load_territory("demo")
    for name in ("scenario_a.yaml", "scenario_b.yaml"):
        res = simulate(t, load_scenario(REPO / "data" / "scenarios" / name))
        per = res.territoire()
        assert per["taux_couverture"].notna().all()
        assert np.isfinite(res.couts.select_dtypes("number").to_numpy()).all()


def test_cli_prints_and_exports(tmp_path, capsys):
    path = REPO / "data" / "scenarios" / "scenario_a.yaml"
    out = tmp_path / "resultats.xlsx"
    assert main(["scenario", str(path), "--sortie", str(out)]) == 0
    text = capsys.readouterr().out
    from territoire_lib.dataset import load_territory
    from territoire_lib.rules import fmt_nombre

    res = simulate(load_territory("demo"), load_scenario(path))
    last = res.territoire().iloc[-1]
    assert f"{fmt_nombre(last['taux_couverture'], 1)}" in text
    assert "⚠ à vérifier" in text and out.exists()
    assert main(["scenario", str(path), "--sortie", str(out)]) == 1
    assert "existe déjà" in capsys.readouterr().err
    bad = write(tmp_path, HAND.replace("places: 10", "places: -10"))
    assert main(["scenario", str(bad)]) == 1
    err = capsys.readouterr().err
    assert err.startswith("Erreur : ") and "ligne 16" in err and "Traceback" not in err
