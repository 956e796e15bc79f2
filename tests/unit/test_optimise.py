"""The optimiser: integer programs small enough that their optimum is known by hand."""

from __future__ import annotations

import pandas as pd
import pytest

from territoire_lib.optimise import (
    INFEASIBLE,
    NOTHING,
    OPTIMAL,
    OptimisationError,
    candidates_from_scenario,
    optimise,
)

NB = "\u202f"  # French thousands separator


def cands(rows: list[tuple]) -> pd.DataFrame:
    """(commune, nom, enfants, places, besoin, max, investissement/place, fonctionnement/place)"""
    cols = ["commune", "nom", "enfants_0_2", "places_actuelles", "indice_besoins", "places_max",
            "cout_investissement_place", "cout_fonctionnement_place"]  # fmt: skip
    return pd.DataFrame(rows, columns=cols)


def test_known_optimum_with_single_places():
    # gain of a place = need × 100 / children: A 1 × 100/100 = 1, B 1 × 100/50 = 2,
    # C 0.5 × 100/100 = 0.5. Investment 1 000 €/place, budget 25 000 € → 25 places:
    # B takes its maximum 20, then A 5; objective 20 × 2 + 5 × 1 = 45.
    c = cands(
        [
            ("96001", "A", 100, 50, 1.0, 20, 1000, 100),
            ("96002", "B", 50, 25, 1.0, 20, 1000, 100),
            ("96003", "C", 100, 50, 0.5, 20, 1000, 100),
        ]
    )
    p = optimise(c, 25_000, 1_000_000, reference_coverage=100)
    got = p.places.set_index("commune")["places_nouvelles"].to_dict()
    assert got == {"96001": 5, "96002": 20, "96003": 0}
    assert p.statut == OPTIMAL
    assert p.objectif == pytest.approx(45)
    assert p.investissement_utilise == pytest.approx(25_000)
    assert p.fonctionnement_utilise == pytest.approx(2_500)
    # reasons in French, by need rank (A and B tie for the first rank)
    assert p.raisons[1] == (
        "20 places à B : indice de besoins 1,0 (1er rang sur 3), couverture 50 → 90 ; "
        f"20{NB}000 € d'investissement, 2{NB}000 € de fonctionnement par an."
    )
    assert "Budget restant : 0 € d'investissement" in p.french()


def test_blocks_beat_the_greedy_choice():
    # A: blocks of 10 places, gain 1 a place → 10 a block, 10 000 €;
    # B: one block of 6 places, gain 1.1 a place → 6.6, 6 000 €. Budget 12 000 €.
    # Greedy by gain per euro takes B first (1.1 > 1.0), then A no longer fits: 6.6.
    # The optimum takes A alone: 10.
    c = cands(
        [
            ("96001", "A", 100, 0, 1.0, 10, 1000, 0),
            ("96002", "B", 100, 0, 1.1, 6, 1000, 0),
        ]
    )
    c["taille_bloc"] = [10, 6]
    p = optimise(c, 12_000, 1_000_000, reference_coverage=100)
    got = p.places.set_index("commune")[["places_nouvelles", "blocs"]]
    assert got.loc["96001"].tolist() == [10, 1]
    assert got.loc["96002"].tolist() == [0, 0]
    assert p.objectif == pytest.approx(10)
    assert "(1 bloc de 10)" in p.raisons[0]


def test_concave_gain_spreads_places():
    # same needs and children (100); reference coverage 60 %: A has 55 places (5 places
    # before the reference), B has 40 (20 places). Beyond the reference a place counts ½.
    # Budget 25 places: B 20 + A 5, all fully weighted: 25 (anything else is less).
    c = cands(
        [
            ("96001", "A", 100, 55, 1.0, 25, 1000, 0),
            ("96002", "B", 100, 40, 1.0, 25, 1000, 0),
        ]
    )
    p = optimise(c, 25_000, 1e9, reference_coverage=60, weight_beyond=0.5)
    got = p.places.set_index("commune")["places_nouvelles"].to_dict()
    assert got == {"96001": 5, "96002": 20}
    assert p.objectif == pytest.approx(25)


def test_target_coverage_and_max_communes():
    c = cands(
        [
            ("96001", "A", 100, 80, 0.9, 50, 1000, 0),  # already at the 80 % target
            ("96002", "B", 100, 40, 0.5, 50, 1000, 0),
            ("96003", "C", 100, 40, 0.4, 50, 1000, 0),
        ]
    )
    p = optimise(c, 1e9, 1e9, target_coverage=80, reference_coverage=100)
    got = p.places.set_index("commune")
    # B and C filled up to the target: 80 − 40 = 40 places each; A none
    assert got["places_nouvelles"].to_dict() == {"96001": 0, "96002": 40, "96003": 40}
    assert "couverture 80 déjà au niveau de la cible (80)" in got.loc["96001", "raison"]
    # at most one commune: the one with the higher need, B
    one = optimise(c, 1e9, 1e9, target_coverage=80, reference_coverage=100, max_communes=1)
    assert one.places.set_index("commune")["places_nouvelles"].to_dict() == {
        "96001": 0,
        "96002": 40,
        "96003": 0,
    }


def test_operating_budget_binds():
    # investment free; 500 €/year per place, operating budget 5 000 € → 10 places
    c = cands([("96001", "A", 100, 0, 1.0, 50, 0, 500)])
    p = optimise(c, 0, 5_000)
    assert p.total_places == 10
    assert p.fonctionnement_utilise == pytest.approx(5_000)


def test_nothing_fits_and_infeasible_messages():
    c = cands([("96001", "A", 100, 0, 1.0, 24, 30_000, 0)])
    c["taille_bloc"] = 12
    p = optimise(c, 200_000, 1e9)
    assert p.statut == NOTHING and p.total_places == 0
    assert (
        f"le plus petit bloc possible coûte 360{NB}000 € d'investissement, au-delà du budget de "
        f"200{NB}000 €" in p.french()
    )
    q = optimise(c, 400_000, 1e9, min_places=24)
    assert q.statut == INFEASIBLE
    assert "impossible d'ouvrir au moins 24 places" in q.messages[0]


def test_bad_inputs_are_french_errors():
    c = cands([("96001", "A", 100, 0, 1.0, 24, 30_000, 0)])
    with pytest.raises(OptimisationError, match=r"colonne\(s\) manquante\(s\) « indice_besoins »"):
        optimise(c.drop(columns="indice_besoins"), 1, 1)
    with pytest.raises(OptimisationError, match=r"budget d'investissement : trouvé « -5 »"):
        optimise(c, -5, 1)
    bad = c.assign(places_max=-1)
    with pytest.raises(OptimisationError, match=r"colonne « places_max », commune 96001"):
        optimise(bad, 1, 1)


def test_candidates_from_a_demo_scenario():
    from territoire_lib.dataset import load_territory
    from territoire_lib.scenario import load_scenario, simulate
    from tests.unit.test_scenario import REPO

    t = load_territory("demo")
    sc = load_scenario(REPO / "data" / "scenarios" / "scenario_a.yaml")
    members = t.geography.members(sc.territoire)
    needs = pd.Series({c: float(i) for i, c in enumerate(members)})  # any index works
    c, notes = candidates_from_scenario(t, sc, needs, taille_bloc=12, couverture_cible=80)
    assert len(c) == len(members)
    # net investment: 30 000 € − PIAJE (7 400 € + 1 800 € when coverage < 58 %, + 7 000 € in
    # QPV/FRR): between 13 800 € and 22 600 € a place
    assert c["cout_investissement_place"].between(13_800, 22_600).all()
    assert (c["cout_fonctionnement_place"] > 0).all()
    p = optimise(c, 600_000, 60_000)
    assert p.investissement_utilise <= 600_000 and p.total_places % 12 == 0
    more = sc.with_levers(p.to_levers(2026), nom="A + optimiseur")
    res = simulate(t, more)
    assert res.indicateurs()["places_creees"] == pytest.approx(15 + p.total_places)
    assert any("coûts nets" in n for n in notes)
