"""Statistical secrecy: public data shown (« peu significatif » on a small denominator),
confidential data suppressed (« < 5 ») with complements, and no suppressed value recoverable.

The attacks are written here, independently of the library: every subtraction of visible
totals (a parent total minus any set of visible cells inside it, at any level, perimeters
straddling EPCIs included), every linear combination of the printed totals (rank test), and
the same with what a reader knows of the hidden cells (« < 5 » lies in 1..4, a « secret »
complement is at least 5: linear programming). Expected patterns are worked out by hand in
the comments.
"""

from __future__ import annotations

import math
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from territoire_lib.dataset import DEMO_DIR, Territory, load_territory
from territoire_lib.errors import DataError, LoadReport
from territoire_lib.geo import Geography
from territoire_lib.indicators import compute, indicator_table, load_catalogue_full
from territoire_lib.indicators import suppression as S
from territoire_lib.indicators.catalogue import parse_catalogue

E1, E2, E3 = "200000001", "200000002", "200000003"


# -- an attacker, written independently of the library ------------------------------------------
@dataclass(frozen=True)
class Cell:
    level: str
    code: str
    members: frozenset  # commune codes
    value: float
    status: int  # 0 shown, 1 « < 5 », 2 or 3 « secret »

    @property
    def hidden(self) -> bool:
        return self.status > 0


def cells_of(geo: Geography, values: dict[str, float], status_of) -> list[Cell]:
    """Every printed or hidden figure: communes, EPCI, départements, régions, France and
    perimeters, with their members and their sums (straight from the geography)."""
    c = geo.communes.assign(code=geo.communes["code"].astype(str))
    groups: list[tuple[str, str, frozenset]] = [
        ("commune", code, frozenset([code])) for code in c["code"]
    ]
    for level in ("epci", "departement", "region"):
        for code, part in c.groupby(level):
            groups.append((level, str(code), frozenset(part["code"])))
    groups.append(("france", "FR", frozenset(c["code"])))
    for p in geo.perimeters.values():
        groups.append(("perimetre", p.code, frozenset(map(str, p.communes))))
    return [
        Cell(lv, code, m, float(sum(values.get(x, 0.0) for x in m)), status_of(lv, code))
        for lv, code, m in groups
    ]


def recovered_by_subtraction(cells: list[Cell]) -> set[tuple[str, str]]:
    """Hidden cells equal to a visible total minus visible cells (disjoint, inside it), or to
    a sum of visible cells: every subtraction a reader can do, across levels."""
    visible = [c for c in cells if not c.hidden]

    @cache
    def covered(target: frozenset) -> bool:  # an exact cover by disjoint visible cells
        if not target:
            return True
        first = min(target)
        return any(
            first in v.members and v.members <= target and covered(target - v.members)
            for v in visible
        )

    out = set()
    for h in (c for c in cells if c.hidden):
        if covered(h.members) or any(
            h.members < p.members and covered(p.members - h.members) for p in visible
        ):
            out.add((h.level, h.code))
    return out


def _system(cells: list[Cell]):
    """Unknowns (hidden communes and hidden totals) and the equations every printed figure
    gives: total = sum of its communes."""
    communes = {c.code: c for c in cells if c.level == "commune"}
    unknown = [c for c in cells if c.hidden]
    col = {(c.level, c.code): i for i, c in enumerate(unknown)}
    rows, rhs = [], []
    for agg in (c for c in cells if c.level != "commune"):
        row = np.zeros(len(unknown))
        b = 0.0 if agg.hidden else agg.value
        if agg.hidden:
            row[col[(agg.level, agg.code)]] -= 1
        for m in agg.members:
            if communes[m].hidden:
                row[col[("commune", m)]] += 1
            else:
                b -= communes[m].value
        if row.any():
            rows.append(row)
            rhs.append(b)
    a = np.array(rows) if rows else np.zeros((0, len(unknown)))
    return unknown, a, np.array(rhs)


def recovered_by_any_combination(cells: list[Cell]) -> set[tuple[str, str]]:
    """Hidden cells the printed totals determine, by any linear combination: its unit vector
    lies in the row space of the equations."""
    unknown, a, _ = _system(cells)
    if not unknown:
        return set()
    rank = np.linalg.matrix_rank(a) if len(a) else 0
    out = set()
    for i, c in enumerate(unknown):
        unit = np.zeros(len(unknown))
        unit[i] = 1
        if np.linalg.matrix_rank(np.vstack([a, unit])) == rank:
            out.add((c.level, c.code))
    return out


def recovered_with_bounds(cells: list[Cell], secret_low: int = 1) -> set[tuple[str, str]]:
    """Hidden cells pinned to their true value, within less than one unit, by the equations
    and what a reader knows: a « < 5 » is between 1 and 4; a « secret » is at least 1 (a
    zero is always shown) — or, for a reader who guesses that every « secret » is a
    complement, at least ``secret_low`` = 5 (a guess the figures may refute: then it
    teaches nothing)."""
    unknown, a, b = _system(cells)
    if not unknown:
        return set()
    bounds = [(1, 4) if c.status == 1 else (secret_low, None) for c in unknown]
    out = set()
    for i, c in enumerate(unknown):
        cost = np.zeros(len(unknown))
        cost[i] = 1
        low = linprog(cost, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        if low.status == 2:  # infeasible: the guess is wrong for these figures
            assert secret_low > 1, c
            return set()
        high = linprog(-cost, A_eq=a, b_eq=b, bounds=bounds, method="highs")
        assert low.status == 0 and high.status in (0, 3), (c, low.message, high.message)
        upper = math.inf if high.status == 3 else -high.fun
        if upper - low.fun < 1 - 1e-6 and abs(low.fun - c.value) < 1:
            out.add((c.level, c.code))
    return out


def attacks(cells: list[Cell]) -> dict[str, set]:
    return {
        "soustraction": recovered_by_subtraction(cells),
        "combinaison": recovered_by_any_combination(cells),
        "bornes": recovered_with_bounds(cells) | recovered_with_bounds(cells, secret_low=5),
    }


# -- geographies --------------------------------------------------------------------------------
def geography(communes, perimeters=()) -> Geography:
    """``communes``: (code, département, EPCI); région 27 for all."""
    frame = pd.DataFrame(communes, columns=["code", "departement", "epci"]).assign(
        nom=lambda f: "Commune " + f["code"], region="27", population=1000
    )
    geo = Geography(
        communes=frame[["code", "nom", "departement", "region", "epci", "population"]],
        epcis=pd.DataFrame({"code": sorted(frame["epci"].unique()), "nom": "EPCI", "nature": "CC"}),
        departements=pd.DataFrame(
            {"code": sorted(frame["departement"].unique()), "nom": "Dép.", "region": "27"}
        ),
        regions=pd.DataFrame({"code": ["27"], "nom": "Région"}),
    )
    for code, members in perimeters:
        geo.add_perimeter(code, code, members)
    return geo


def protect(geo: Geography, values: dict[str, float]):
    """The library's pattern, and the status of a cell by (level, code)."""
    h = S.build_hierarchy(geo)
    status = S.protect(h, np.array([values.get(c, np.nan) for c in h.communes], dtype=float))
    keys = zip(h.cell_level, h.cell_code, status, strict=True)
    by_key = {(lv, str(code)): int(s) for lv, code, s in keys}
    return h, status, lambda lv, code: by_key[(lv, code)]


def hidden(cells: list[Cell]) -> dict[tuple[str, str], int]:
    return {(c.level, c.code): c.status for c in cells if c.hidden}


# -- the method, by hand --------------------------------------------------------------------------
def test_hand_worked_pattern_with_a_perimeter_across_two_epcis():
    # EPCI E1: a 3, b 12, c 7, d 20 (total 42); EPCI E2: e 9, f 15 (24); one département,
    # one région; perimeter P = {c, e} (16) straddles the two EPCIs.
    geo = geography(
        [("96001", "96", E1), ("96002", "96", E1), ("96003", "96", E1), ("96004", "96", E1),
         ("96005", "96", E2), ("96006", "96", E2)],
        [("P", ["96003", "96005"])],
    )  # fmt: skip
    values = {"96001": 3, "96002": 12, "96003": 7, "96004": 20, "96005": 9, "96006": 15}
    _, _, status = protect(geo, values)
    cells = cells_of(geo, values, status)
    # a (3) is « < 5 ». E1 then holds one hidden cell: its smallest child above 5 is hidden,
    # c (7). P = {c, e} now holds one: e (9). E2 = {e, f} holds one: f (15). Every equation
    # then holds two: a + c = 42 − 12 − 20 = 10, c + e = 16, e + f = 24 — one free
    # direction (+1, −1, +1, −1), and a ranges over 1..4 (c 6..9, e 7..10, f 14..17).
    assert hidden(cells) == {
        ("commune", "96001"): S.PRIMARY,
        ("commune", "96003"): S.COMPLEMENTARY,
        ("commune", "96005"): S.COMPLEMENTARY,
        ("commune", "96006"): S.COMPLEMENTARY,
    }
    assert attacks(cells) == {"soustraction": set(), "combinaison": set(), "bornes": set()}


def test_a_complement_of_exactly_5_would_pin_a_1_so_a_larger_one_is_taken():
    # EPCI: a 1, b 5, c 30 (total 36). Hiding b with a gives a + b = 36 − 30 = 6, and with
    # a ≥ 1, b ≥ 5 the only answer is a = 1, b = 5.
    geo = geography([("96001", "96", E1), ("96002", "96", E1), ("96003", "96", E1)])
    values = {"96001": 1, "96002": 5, "96003": 30}
    naive = {("commune", "96001"): 1, ("commune", "96002"): 2}
    cells = cells_of(geo, values, lambda lv, code: naive.get((lv, code), 0))
    assert recovered_by_subtraction(cells) == set()  # no subtraction alone gives them…
    # …but a reader who takes every « secret » for a complement (at least 5) pins both
    assert recovered_with_bounds(cells, secret_low=5) == set(naive)
    h = S.build_hierarchy(geo)
    status = np.zeros(h.n_cells, dtype="int8")
    status[h.cells_of("commune", ["96001", "96002"])] = [S.PRIMARY, S.COMPLEMENTARY]
    flagged = S.exposed(h, h.values(np.array([1.0, 5.0, 30.0])), status)
    assert set(h.cell_code[flagged]) == {"96001", "96002"}  # the library's audit agrees
    # the library takes c (30), strictly above 5: a + c = 6 + 30 = 31 → a in 1..4
    _, _, status_of = protect(geo, values)
    cells = cells_of(geo, values, status_of)
    assert hidden(cells) == {("commune", "96001"): 1, ("commune", "96003"): 2}
    assert attacks(cells) == {"soustraction": set(), "combinaison": set(), "bornes": set()}


def test_three_perimeters_pin_cells_that_no_single_subtraction_reveals():
    # x 2, y 3, z 4 in three EPCIs (each with a second small commune and one of 10);
    # perimeters P1 = {x, y} (5), P2 = {y, z} (7), P3 = {x, z} (6).
    geo = geography(
        [("96001", "96", E1), ("96002", "96", E1), ("96003", "96", E1),
         ("96004", "96", E2), ("96005", "96", E2), ("96006", "96", E2),
         ("96007", "96", E3), ("96008", "96", E3), ("96009", "96", E3)],
        [("P1", ["96001", "96004"]), ("P2", ["96004", "96007"]), ("P3", ["96001", "96007"])],
    )  # fmt: skip
    values = {"96001": 2, "96002": 1, "96003": 10, "96004": 3, "96005": 2, "96006": 10}
    values |= {"96007": 4, "96008": 3, "96009": 10}
    # hiding the six counts under 5 leaves two hidden cells in every equation (each EPCI,
    # each perimeter): the rule « never one hidden cell alone » holds…
    small = {("commune", c): 1 for c, v in values.items() if 0 < v < 5}
    cells = cells_of(geo, values, lambda lv, code: small.get((lv, code), 0))
    assert recovered_by_subtraction(cells) == set()
    # …yet x = (P1 + P3 − P2) / 2 = (5 + 6 − 7) / 2 = 2, and likewise y and z
    assert {("commune", c) for c in ("96001", "96004", "96007")} <= (
        recovered_by_any_combination(cells)
    )
    # the library's audit finds them and hides more
    _, _, status_of = protect(geo, values)
    cells = cells_of(geo, values, status_of)
    assert set(small) <= set(hidden(cells))
    assert attacks(cells) == {"soustraction": set(), "combinaison": set(), "bornes": set()}


def test_a_total_under_5_of_hidden_communes_is_shown_secret_not_under_5():
    # E1: 1, 1, 30; E2: 1, 1, 30; perimeter P = the four 1s (total 4). Were P « < 5 », its
    # four communes (each at least 1) could only be 1 each. So P is « secret » (nothing said
    # of its size). Then E1 gives 96001 + 96002 = 32 − 30 = 2, so both are 1: the audit
    # hides 96003 (30), and 96006 in E2 the same way; 96001 + 96002 + 96003 = 32 with
    # 96003 ≥ 5 leaves 96001 anywhere in 1..4.
    geo = geography(
        [("96001", "96", E1), ("96002", "96", E1), ("96003", "96", E1),
         ("96004", "96", E2), ("96005", "96", E2), ("96006", "96", E2)],
        [("P", ["96001", "96002", "96004", "96005"])],
    )  # fmt: skip
    values = {"96001": 1, "96002": 1, "96003": 30, "96004": 1, "96005": 1, "96006": 30}
    small = {("commune", c): 1 for c in ("96001", "96002", "96004", "96005")}
    naive = cells_of(geo, values, lambda lv, code: small.get((lv, code), int(lv == "perimetre")))
    assert recovered_with_bounds(naive) >= set(small)  # « < 5 » everywhere: four 1s
    _, _, status_of = protect(geo, values)
    cells = cells_of(geo, values, status_of)
    assert hidden(cells) == {
        **small,
        ("perimetre", "P"): S.MASKED_PRIMARY,
        ("commune", "96003"): S.COMPLEMENTARY,
        ("commune", "96006"): S.COMPLEMENTARY,
    }
    assert attacks(cells) == {"soustraction": set(), "combinaison": set(), "bornes": set()}


# -- every subtraction, on many tables --------------------------------------------------------------
def test_no_suppressed_value_can_be_recovered_on_random_tables():
    # 2 départements, 4 EPCI (E4 straddles nothing: 96/97 each keep whole EPCIs), 24
    # communes; perimeters: one across two EPCIs, one inside an EPCI, one equal to an EPCI,
    # one across the two départements.
    E4 = "200000004"
    rows = [(f"96{i:03d}", "96", E1) for i in range(1, 8)]
    rows += [(f"96{i:03d}", "96", E2) for i in range(8, 14)]
    rows += [(f"97{i:03d}", "97", E3) for i in range(14, 20)]
    rows += [(f"97{i:03d}", "97", E4) for i in range(20, 25)]
    codes = [r[0] for r in rows]
    perimeters = [
        ("P-A", codes[4:10]),  # E1 and E2
        ("P-B", codes[0:3]),  # inside E1
        ("P-C", codes[13:19]),  # all of E3
        ("P-D", [codes[1], codes[12], codes[15], codes[22]]),  # two départements
    ]
    geo = geography(rows, perimeters)
    rng = np.random.default_rng(14)
    leaks_without_complements = 0
    for _ in range(25):
        draw = rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 12, 20, 40], size=len(codes))
        values = dict(zip(codes, draw.astype(float), strict=True))
        _, _, status_of = protect(geo, values)
        cells = cells_of(geo, values, status_of)
        # every figure from 1 to 4 is hidden, at every level; « < 5 » is only ever one of them
        small = {(c.level, c.code) for c in cells if 0 < c.value < 5}
        assert small <= set(hidden(cells))
        assert {k for k, s in hidden(cells).items() if s == S.PRIMARY} <= small
        # no hidden cell ever shows 0, and no zero is hidden
        assert all(c.value >= 1 for c in cells if c.hidden)
        assert attacks(cells) == {"soustraction": set(), "combinaison": set(), "bornes": set()}
        naive = cells_of(geo, values, lambda lv, code, small=small: int((lv, code) in small))
        leaks_without_complements += bool(recovered_by_subtraction(naive))
    # the attack has teeth: without complements, subtraction recovers values in most draws
    assert leaks_without_complements >= 20


# -- the engine: confidential data, every level, every output -------------------------------------
BIRTHS_2022 = {  # a confidential count per commune (births, marked « confidentiel »)
    "90001": 40,
    "90002": 2,
    "90003": 12,
    "90004": 9,
    "90005": 0,
    "90006": 60,
    "25001": 3,
}
POPULATION_2022 = {
    "90001": 12100,
    "90002": 790,
    "90003": 3950,
    "90004": 3480,
    "90005": 310,
    "90006": 15200,
    "25001": 3550,
}
UNDER_3 = {  # children under 3, census 2022 (confidential in one test)
    "90001": 400,
    "90002": 3,
    "90003": 130,
    "90004": 110,
    "90005": 14,
    "90006": 520,
    "25001": 210,
}
CATALOGUE = """\
themes: {contexte: Contexte}
indicateurs:
  naissances_test:
    libelle: Naissances
    definition: Naissances domiciliées.
    theme: contexte
    type: effectif
    numerateur: naissances
    unite: naissances
    sens: neutre
    source: état civil
    millesime: "2022"
  natalite_test:
    libelle: Natalité
    definition: Naissances pour 1 000 habitants.
    theme: contexte
    type: taux
    numerateur: naissances
    denominateur: pop_totale
    multiplicateur: 1000
    unite: pour 1 000 habitants
    decimales: 1
    sens: neutre
    source: état civil ; recensement
    millesime: "2022"
"""


def confidential_territory(confidential=("naissances",)) -> Territory:
    communes = [
        ("90001", "90", E1), ("90002", "90", E1), ("90003", "90", E1),
        ("90004", "90", E2), ("90005", "90", E2), ("90006", "90", E2),
        ("25001", "25", E3),
    ]  # fmt: skip
    geo = geography(communes, [("ctg-bd", ["90002", "90004"]), ("ctg-cd", ["90003", "90004"])])
    rows = [(c, 2022, "naissances", float(v), "publie") for c, v in BIRTHS_2022.items()]
    rows += [(c, 2022, "pop_totale", float(v), "publie") for c, v in POPULATION_2022.items()]
    rows += [(c, 2022, "pop_0_2", float(v), "publie") for c, v in UNDER_3.items()]
    obs = pd.DataFrame(rows, columns=["commune", "annee", "variable", "valeur", "statut"])
    return Territory(
        name="Test",
        fictional=True,
        geography=geo,
        observations=obs,
        references=pd.DataFrame(columns=["niveau", "code", "annee", "variable", "valeur"]),
        qpv=pd.DataFrame(columns=["commune", "code_qp", "lib_qp"]),
        zonages=pd.DataFrame({"commune": list(BIRTHS_2022), "qpv": 0, "frr": "non"}),
        contours=None,
        reports=[LoadReport("Test", "test.csv")],
        confidential=list(confidential),
    )


def shown(territory, catalogue, indicator="naissances_test") -> dict[tuple[str, str], object]:
    """(level, code) → the value printed, or what stands for it (« < 5 », « secret »)."""
    out = {}
    for level in ("commune", "epci", "departement", "region", "france", "perimetre"):
        f = compute(territory, level, [indicator], catalogue=catalogue)
        for r in f.itertuples():
            out[(level, str(r.territoire))] = str(r.etiquette) if r.masque else r.valeur
    return out


def test_confidential_counts_are_suppressed_identically_at_every_level():
    cat = parse_catalogue(CATALOGUE)
    t = confidential_territory()
    got = shown(t, cat)
    # cells: E1 54, E2 69, E3 3, 90 → 123, 25 → 3, région 126, France 126, ctg-bd 11, ctg-cd 21.
    # Primary (1 to 4): 90002 (2), 25001 (3), E3 (3), 25 (3).
    # Pass 1: E1 = {90001, 90002, 90003} holds one hidden cell → its smallest child above 5,
    #   90003 (12); ctg-bd = {90002, 90004} → 90004 (9); the région = {25, 90} holds one
    #   (25) → 90 (123). Pass 2: E2 = {90004, 90005, 90006} → 90006 (60; 90005 is 0);
    #   90 = {E1, E2} holds one (itself) → E1 (54). Then every equation holds 0 or ≥ 2.
    # The audit: 25001 = E3 = 25 = d; 90 = 126 − d; E1 = 57 − d; 90002 = (7 − d) / 2;
    #   90004 = (15 + d) / 2: one free value, d in 1..4 — nothing pinned, nothing added.
    assert got == {
        ("commune", "90001"): 40.0,
        ("commune", "90002"): "< 5",
        ("commune", "90003"): "secret",
        ("commune", "90004"): "secret",
        ("commune", "90005"): 0.0,
        ("commune", "90006"): "secret",
        ("commune", "25001"): "< 5",
        ("epci", E1): "secret",
        ("epci", E2): 69.0,
        ("epci", E3): "< 5",
        ("departement", "90"): "secret",
        ("departement", "25"): "< 5",
        ("region", "27"): 126.0,
        ("france", "FR"): 126.0,
        ("perimetre", "ctg-bd"): 11.0,
        ("perimetre", "ctg-cd"): 21.0,
    }
    status = {k: (0 if not isinstance(v, str) else 1 if v == "< 5" else 2) for k, v in got.items()}
    cells = cells_of(t.geography, BIRTHS_2022, lambda lv, code: status[(lv, code)])
    assert attacks(cells) == {"soustraction": set(), "combinaison": set(), "bornes": set()}
    f = compute(t, "commune", ["naissances_test"], catalogue=cat).set_index("territoire")
    assert f.loc["90002", "motif_masque"] == "donnée confidentielle : moins de 5 naissances"
    assert f.loc["90003", "motif_masque"] == (
        "donnée confidentielle : masquée pour qu'aucune valeur de moins de 5 ne puisse être "
        "retrouvée par différence"
    )
    assert math.isnan(f.loc["90003", "valeur"]) and math.isnan(f.loc["90003", "numerateur"])


def test_a_rate_on_a_confidential_count_is_hidden_with_it():
    cat = parse_catalogue(CATALOGUE)
    t = confidential_territory()
    counts, rates = shown(t, cat), shown(t, cat, "natalite_test")
    for key, count in counts.items():
        assert isinstance(rates[key], str) == isinstance(count, str), key
    # a rate is never « < 5 »: its numerator is
    assert rates[("commune", "90002")] == "secret"
    # shown: 40 births / 12 100 inhabitants × 1 000 = 3.3058; E2: 69 / (3 480 + 310 + 15 200)
    # × 1 000 = 69 / 18 990 × 1 000 = 3.6335
    assert rates[("commune", "90001")] == pytest.approx(40 / 12100 * 1000)
    assert rates[("epci", E2)] == pytest.approx(69 / 18990 * 1000)
    f = compute(t, "commune", ["natalite_test"], catalogue=cat).set_index("territoire")
    assert f.loc["90002", "motif_masque"] == (
        "donnée confidentielle : moins de 5 naissances au numérateur"
    )
    # the public denominator stays printed; the hidden numerator is not
    assert f.loc["90002", "denominateur"] == 790 and math.isnan(f.loc["90002", "numerateur"])


def test_the_catalogue_can_mark_an_indicator_confidential():
    cat = parse_catalogue(
        CATALOGUE.replace("    millesime: \"2022\"\n  natalite_test:", "    millesime: \"2022\"\n"
                          "    confidentiel: true\n  natalite_test:")
    )  # fmt: skip
    assert cat.indicators["naissances_test"].confidential
    # no variable is marked in the manifest: the catalogue alone hides the same cells
    got = shown(confidential_territory(confidential=()), cat)
    assert got[("commune", "90002")] == "< 5" and got[("epci", E1)] == "secret"
    # and public data stays public: without the mark, every count is printed
    plain = shown(confidential_territory(confidential=()), parse_catalogue(CATALOGUE))
    assert plain[("commune", "90002")] == 2.0 and plain[("epci", E3)] == 3.0


def test_every_output_shows_the_same_suppressed_cells():
    from territoire_lib.diagnostic import indicator_display

    t = confidential_territory()
    cat = load_catalogue_full()  # the shipped « naissances » indicator
    table = indicator_table(t, "90002").set_index("indicateur")
    row = table.loc["naissances"]
    assert row["masque"] and row["etiquette"] == "< 5" and math.isnan(row["valeur"])
    assert row["alertes"] == []
    display = indicator_display(indicator_table(t, "90002"), formatted=True)
    births = display[display["Indicateur"] == cat.indicators["naissances"].label].iloc[0]
    assert births["Valeur"] == "< 5"
    assert "donnée confidentielle : moins de 5 naissances" in births["Remarques"]
    numbers = indicator_display(indicator_table(t, E1), formatted=False)
    births = numbers[numbers["Indicateur"] == cat.indicators["naissances"].label].iloc[0]
    assert births["Valeur"] == "secret"  # a complement, in files as on screen


def test_files_write_the_labels_as_text(tmp_path: Path):
    from openpyxl import load_workbook

    from territoire_lib.exports import to_csv, to_xlsx

    t = confidential_territory()
    label = load_catalogue_full().indicators["naissances"].label
    book = load_workbook(to_xlsx(indicator_table(t, "90002"), tmp_path / "c.xlsx"))
    cells = [
        row for ws in book.worksheets for row in ws.iter_rows(values_only=True) if label in row
    ]
    assert cells and "< 5" in cells[0]  # text, not a number, never a formula
    text = to_csv(indicator_table(t, "90002"), tmp_path / "c.csv").read_text("utf-8-sig")
    line = next(x for x in text.splitlines() if x.startswith(f"{label};") or f";{label};" in x)
    assert ";< 5;" in line


def test_the_age_chart_hides_what_the_indicator_table_hides():
    from territoire_lib.diagnostic import diagnose

    t = confidential_territory(confidential=("pop_0_2",))
    got = shown(t, load_catalogue_full(), "enfants_0_2")
    # children under 3: E1 = 400 + 3 + 130 = 533, E2 = 110 + 14 + 520 = 644, E3 = 210;
    # ctg-bd = 3 + 110 = 113, ctg-cd = 130 + 110 = 240. 90002 (3) is « < 5 »; then 90003
    # (E1's smallest above 5), 90004 (ctg-bd's), 90005 (E2's: 14). Every equation holds two
    # hidden cells, yet x2 + x3 = 133, x2 + x4 = 113, x3 + x4 = 240 give x2 = (133 + 113 −
    # 240) / 2 = 3: the audit hides ctg-bd and ctg-cd (their communes are all hidden
    # already) and 90006 (E2: x5 = 124 − x4 was pinned with x4); x2 then ranges over 1..4.
    assert {k: v for k, v in got.items() if isinstance(v, str)} == {
        ("commune", "90002"): "< 5",
        ("commune", "90003"): "secret",
        ("commune", "90004"): "secret",
        ("commune", "90005"): "secret",
        ("commune", "90006"): "secret",
        ("perimetre", "ctg-bd"): "secret",
        ("perimetre", "ctg-cd"): "secret",
    }
    assert got[("epci", E1)] == 533 and got[("departement", "90")] == 1177
    status = {k: (0 if not isinstance(v, str) else 1 if v == "< 5" else 2) for k, v in got.items()}
    cells = cells_of(t.geography, UNDER_3, lambda lv, code: status[(lv, code)])
    assert attacks(cells) == {"soustraction": set(), "combinaison": set(), "bornes": set()}
    # the age chart of a diagnostic hides the same counts
    ages = diagnose(t, "90002").age_bands().set_index("variable")
    assert math.isnan(ages.loc["pop_0_2", "effectif"]) and math.isnan(ages.loc["pop_0_2", "part"])
    assert ages.loc["pop_3_5", "effectif"] != ages.loc["pop_3_5", "effectif"]  # not loaded
    epci = diagnose(t, E1).age_bands().set_index("variable")
    assert epci.loc["pop_0_2", "effectif"] == 533  # shown: two hidden communes inside it


def test_manifest_marks_a_file_or_variables_confidential(tmp_path: Path):
    folder = tmp_path / "demo"
    shutil.copytree(DEMO_DIR, folder, ignore=shutil.ignore_patterns("cache"))
    manifest = folder / "manifeste.yaml"
    text = manifest.read_text(encoding="utf-8")
    births = "naissances: [DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv]"
    assert births in text
    manifest.write_text(
        text.replace(
            births,
            "naissances: [{fichier: DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv, confidentiel: true}]",
        ),
        encoding="utf-8",
    )
    t = load_territory(folder, use_cache=False)
    # the births file, and the children under 3 estimated from births
    assert set(t.confidential) == {"naissances", "enfants_0_2_estimes"}
    births = compute(t, "commune", ["naissances"])
    raw = t.observations[t.observations["variable"] == "naissances"]
    small = raw[(raw["valeur"] > 0) & (raw["valeur"] < 5)]
    shown_small = births.merge(
        small.rename(columns={"commune": "territoire"})[["territoire", "annee"]]
        .astype({"territoire": str})
        .assign(territoire=lambda f: f["territoire"].astype("category")),
        on=["territoire", "annee"],
    )
    assert len(small) > 0 and (shown_small["etiquette"] == "< 5").all()
    # the demo's births of 2023, as every output shows them, resist every attack
    year = int(raw["annee"].max())
    got = {}
    for level in ("commune", "epci", "departement", "region", "france", "perimetre"):
        for r in compute(t, level, ["naissances"], years=[year]).itertuples():
            got[(level, str(r.territoire))] = 0 if not r.masque else 1 + (r.etiquette != "< 5")
    counts = raw[raw["annee"] == year].set_index("commune")["valeur"].to_dict()
    cells = cells_of(t.geography, counts, lambda lv, code: got[(lv, code)])
    assert sum(v == 1 for v in got.values()) > 20  # many communes under 5 births
    assert attacks(cells) == {"soustraction": set(), "combinaison": set(), "bornes": set()}
    # Cernibois (96106): 1 birth in 2023, « < 5 »; no evolution beside it (it would compare
    # shown years and read as the hidden one's), nor beside its birth rate, « secret »
    row = indicator_table(t, "96106").set_index("indicateur")
    assert row.loc["naissances", "etiquette"] == "< 5" and row.loc["naissances", "annee"] == 2023
    assert row.loc["naissances", "evolution_texte"] == ""
    # its birth rate: births 0 in 2015 and 2022 (shown), hidden in 2023: no « stable depuis
    # 2015 » beside the hidden 2023 rate
    rate = row.loc["taux_natalite"]
    assert rate["masque"] and rate["etiquette"] == "secret" and rate["annee"] == 2023
    assert rate["evolution_texte"] == "" and _nan(rate["evolution"])
    # a name of the list that is no variable is refused, with its line
    manifest.write_text(text + "confidentiel: [naissance]\n", encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_territory(folder, use_cache=False)
    assert "la variable inconnue « naissance » (vouliez-vous dire « naissances » ?)" in str(
        err.value
    )


# -- the demo: public data, nothing recomputable behind a « secret » ------------------------------
def _recomputable(table: pd.DataFrame, cat) -> list[str]:
    """Masked rates of one page whose numerator and denominator counts are both printed on
    it (as count indicators of the same variables, same year)."""
    counts = {
        cat.indicators[i].numerator.variables: r
        for i, r in table.set_index("indicateur").iterrows()
        if cat.indicators[i].type == "effectif" and r["disponible"]
    }
    out = []
    for r in table.to_dict(orient="records"):
        ind = cat.indicators[r["indicateur"]]
        if ind.type != "taux" or not r["masque"]:
            continue
        assert _nan(r["numerateur"]) and _nan(r["valeur"])  # never printed beside it
        num, den = counts.get(ind.numerator.variables), counts.get(ind.denominator.variables)
        if num is None or den is None or num["masque"] or den["masque"]:
            continue
        if _nan(num["valeur"]) or _nan(den["valeur"]) or num["annee"] != r["annee"]:
            continue
        out.append(r["indicateur"])
    return out


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or x is pd.NA


def test_demo_no_masked_share_is_recomputable_from_its_page():
    # Before: a small commune's RSA share was « secret » (fewer than 50 allocataires) while
    # its RSA households and its allocataires were printed on the same page — 66 of the 106
    # masked shares « pour 100 allocataires » were recomputable. Now the Cafdata counts are
    # public (rounded to 5 by the Cnaf): those shares are shown, flagged « peu significatif »;
    # what stays masked is what the source itself did not publish (Filosofi « s », « nd »).
    demo = load_territory("demo")
    cat = load_catalogue_full()
    codes = demo.geography.communes["code"].astype(str).tolist()
    raw = pd.read_csv(DEMO_DIR / "s_ben_com_f.csv", sep=";", dtype=str, encoding="utf-8-sig")
    latest = raw[(raw["dtreffre"] == raw["dtreffre"].max()) & raw["numcomdo"].isin(codes)]
    small = set(latest.loc[latest["indfoy_ndur"].astype(int) < 50, "numcomdo"])
    assert len(small) == 22  # communes under 50 allocataires in December 2024 (ghost rows out)
    masked, recomputable = 0, []
    for code in codes:
        table = indicator_table(demo, code)
        rows = table.set_index("indicateur")
        masked += int((rows["masque"] & (rows["type"] == "taux")).sum())
        recomputable += _recomputable(table, cat)
        share = rows.loc["part_rsa"]
        if code in small:
            assert not share["masque"] and share["peu_significatif"] and share["etiquette"] == ""
            assert share["motif_peu_significatif"] == (
                "peu significatif : moins de 50 foyers au dénominateur"
            )
        else:
            assert not share["peu_significatif"]
        masked_rows = rows[rows["masque"]]
        assert set(masked_rows.index) <= {"taux_pauvrete"}  # the source's own secret only
        assert (masked_rows["etiquette"] == "secret").all()
    assert masked > 0 and recomputable == []
