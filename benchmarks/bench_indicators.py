"""Benchmark of the indicator engine on a synthetic France.

    .venv/bin/python benchmarks/bench_indicators.py [--communes 35000] [--annees 6]

Builds a synthetic France (35,000 communes in about 1,250 EPCI, 101 départements, 18 régions,
200 CTG perimeters, 6 years, every variable the catalogue uses, with the statuses of the real
sources: places of small communes estimated, CAF counts rounded to 5, Filosofi secret for small
communes), then times :func:`compute` for every indicator at every level and measures the peak
memory. Two naive alternatives are timed beside it:

* a loop over territories (``Territory.totals`` for each EPCI, as a first implementation
  would do), run on a sample of EPCI and extrapolated to all of them;
* one pandas pivot and groupby per indicator on the long observation frame.

Figures are printed in French.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthetic import synthetic_geography  # noqa: E402

from territoire_lib.dataset import Territory  # noqa: E402
from territoire_lib.errors import LoadReport  # noqa: E402
from territoire_lib.indicators import (  # noqa: E402
    LEVELS,
    clear_cache,
    compute,
    indicator_table,
    load_catalogue_full,
)
from territoire_lib.indicators.engine import _needed_variables  # noqa: E402
from territoire_lib.key_figures import fr_number  # noqa: E402

QF = [
    "allocataires_qf_0_399",
    "allocataires_qf_400_799",
    "allocataires_qf_800_1199",
    "allocataires_qf_1200_1599",
    "allocataires_qf_1600_1999",
    "allocataires_qf_2000_3999",
    "allocataires_qf_4000_plus",
    "allocataires_qf_inconnu",
]
PLACE_SHARES = {
    "places_eaje_psu": 0.15,
    "places_eaje_hors_psu": 0.04,
    "places_assistantes_maternelles": 0.33,
    "places_garde_domicile": 0.02,
    "places_prescolarisation": 0.04,
}


def synthetic_france(n_communes: int, n_years: int, seed: int = 2024) -> Territory:
    rng = np.random.default_rng(seed)
    # overseas départements hold few communes, as in France (17 to 34)
    geo, population = synthetic_geography(rng, n_communes, overseas_weight=0.05)
    communes = geo.communes
    for p in range(200):
        start = int(rng.integers(0, n_communes - 10))
        size = int(rng.integers(2, 11))
        geo.add_perimeter(f"ctg-{p:03d}", f"CTG {p}", communes["code"].iloc[start : start + size])
    years = np.arange(2024 - n_years, 2024)
    pop = population[:, None] * (1 + 0.01 * rng.standard_normal((n_communes, n_years)))
    kids = pop * rng.uniform(0.02, 0.045, size=(n_communes, 1))
    alloc = np.round(pop * rng.uniform(0.08, 0.2, size=(n_communes, 1)) / 5) * 5
    big = population >= 10000
    filo_secret = population < 2000

    def rounded(x):
        return np.round(x / 5) * 5

    values: dict[str, np.ndarray] = {
        "pop_totale": pop,
        "pop_0_2": kids,
        "pop_3_5": kids * 1.05,
        "pop_6_10": kids * 1.8,
        "pop_11_17": kids * 2.5,
        "naissances": kids / 3,
        "familles": pop * 0.28,
        "familles_monoparentales": pop * 0.28 * rng.uniform(0.1, 0.3, size=(n_communes, 1)),
        "personnes_menages_fiscaux": pop * 0.97,
        "allocataires": alloc,
        "foyers_rsa": rounded(alloc * rng.uniform(0.05, 0.2, size=(n_communes, 1))),
        "foyers_aide_logement": rounded(alloc * 0.45),
        "foyers_asf": rounded(alloc * 0.06),
        "foyers_aeeh": rounded(alloc * 0.03),
    }
    values["personnes_pauvres"] = values["personnes_menages_fiscaux"] * rng.uniform(
        0.05, 0.3, size=(n_communes, 1)
    )
    shares = rng.dirichlet(np.ones(len(QF)), size=n_communes)
    for i, q in enumerate(QF):
        values[q] = rounded(alloc * shares[:, i : i + 1])
    total_places = kids * rng.uniform(0.2, 0.9, size=(n_communes, 1))
    for name, share in PLACE_SHARES.items():
        values[name] = total_places * share / sum(PLACE_SHARES.values())
    values["places_eaje"] = values["places_eaje_psu"] + values["places_eaje_hors_psu"]
    values["places_total"] = total_places
    # variables added since (issue 16 and the coverage rate), drawn last so that the draws
    # above stay the same as before
    fam = values["familles"]
    with_kids = fam * 0.55
    values.update(
        {
            "couples_avec_enfants": with_kids * 0.75,
            "familles_1_enfant": with_kids * 0.42,
            "familles_2_enfants": with_kids * 0.38,
            "familles_3_enfants": with_kids * 0.15,
            "familles_4_enfants_plus": with_kids * 0.05,
            "pop_65_79": pop * 0.15,
            "pop_80_plus": pop * 0.06,
            "pop_65_plus": pop * 0.21,
            "menages": pop * 0.45,
            "menages_une_personne": pop * 0.45 * rng.uniform(0.25, 0.45, size=(n_communes, 1)),
            "personnes_seules_65_79": pop * 0.15 * 0.3,
            "personnes_seules_80_plus": pop * 0.06 * 0.5,
            "pop_legale_totale": population[:, None] * 1.015 + 0 * pop,
            "enfants_0_2_estimes": kids * 0.98,
            "personnes_couvertes": rounded(alloc * 2.3),
        }
    )
    for name, share in {
        "foyers_af": 0.3,
        "foyers_cf": 0.05,
        "foyers_ab": 0.12,
        "foyers_paje": 0.14,
        "foyers_cmg": 0.05,
        "foyers_apl": 0.3,
        "foyers_alf": 0.08,
        "foyers_als": 0.07,
        "foyers_ppa": 0.25,
        "foyers_aah": 0.06,
    }.items():
        values[name] = rounded(alloc * share)
    values["foyers_rsa_majore"] = rounded(values["foyers_rsa"] * 0.2)
    values["foyers_rsa_non_majore"] = values["foyers_rsa"] - values["foyers_rsa_majore"]
    in_qpv = (population >= 10000)[:, None] * rng.uniform(0.1, 0.3, size=(n_communes, 1))
    for i, q in enumerate(QF):
        values[q.replace("allocataires_qf", "allocataires_qpv_qf")] = rounded(
            alloc * in_qpv * shares[:, i : i + 1]
        )
    statuses = {}
    for name in values:
        if name.startswith("places_"):
            statuses[name] = np.where(big, "publie", "estime")
        elif name in ("allocataires", *QF) or name.startswith("foyers_"):
            statuses[name] = "arrondi_5"
        elif name == "personnes_pauvres":
            statuses[name] = np.where(filo_secret, "secret", "estime")
        else:
            statuses[name] = "publie"
    catalogue_vars = _needed_variables(load_catalogue_full())
    missing = catalogue_vars - set(values)
    assert not missing, missing
    parts = []
    code_col = np.repeat(communes["code"].to_numpy(dtype=object), n_years)
    year_col = np.tile(years, n_communes)
    for name, arr in values.items():
        v = arr.reshape(-1).astype("float64")
        st = statuses[name]
        st_col = np.repeat(st, n_years) if isinstance(st, np.ndarray) else st
        if name == "personnes_pauvres":
            v = np.where(np.repeat(filo_secret, n_years), np.nan, v)
        parts.append(
            pd.DataFrame(
                {
                    "commune": code_col,
                    "annee": year_col,
                    "variable": name,
                    "valeur": v,
                    "statut": st_col,
                }
            )
        )
    obs = pd.concat(parts, ignore_index=True).astype(
        {"commune": str, "annee": "int64", "variable": str, "valeur": "float64", "statut": str}
    )
    zonages = pd.DataFrame(
        {
            "commune": communes["code"],
            "qpv": (rng.random(n_communes) < 0.03).astype("int64"),
            "frr": np.where(rng.random(n_communes) < 0.5, "frr", "non"),
        }
    )
    return Territory(
        name="France synthétique",
        fictional=True,
        geography=geo,
        observations=obs,
        references=pd.DataFrame(columns=["niveau", "code", "annee", "variable", "valeur"]),
        qpv=pd.DataFrame(columns=["commune", "code_qp", "lib_qp"]),
        zonages=zonages,
        contours=None,
        reports=[LoadReport("Quartiers prioritaires (QPV 2024, ANCT)", "qpv.csv")],
    )


def seconds(t: float) -> str:
    return f"{fr_number(t, 3 if t < 1 else 2)} s"


def megabytes(n: float) -> str:
    return f"{fr_number(n / 2**20, 0)} Mo"


def naive_loop(territory: Territory, sample: int) -> tuple[float, int]:
    """Per-territory loop: Territory.totals of every EPCI, then every indicator's ratio."""
    cat = load_catalogue_full()
    inds = [i for i in cat.indicators.values() if i.type != "categorie"]
    variables = sorted(
        {
            v
            for i in inds
            for v in i.variables
            if v not in cat.derived and v != "population_municipale"
        }
    )
    codes = territory.geography.epcis["code"].tolist()[:sample]
    t0 = time.perf_counter()
    for code in codes:
        tot = territory.totals(code, variables)
        wide = tot.pivot(index="annee", columns="variable", values="valeur")
        for ind in inds:
            if any(v not in wide.columns for v in ind.variables):
                continue
            num = wide[list(ind.numerator.variables)].sum(axis=1)
            if ind.denominator is not None:
                _ = num / wide[list(ind.denominator.variables)].sum(axis=1) * ind.multiplier
    return time.perf_counter() - t0, len(codes)


def naive_groupby(territory: Territory) -> float:
    """One pivot + groupby per indicator on the long frame (EPCI level)."""
    cat = load_catalogue_full()
    inds = [
        i
        for i in cat.indicators.values()
        if i.type != "categorie" and not any(v in cat.derived for v in i.variables)
    ]
    geo = territory.geography
    obs = territory.observations
    t0 = time.perf_counter()
    for ind in inds:
        sel = obs[obs["variable"].isin(ind.variables)]
        wide = sel.pivot_table(
            index=["commune", "annee"], columns="variable", values="valeur", aggfunc="sum"
        ).reset_index()
        agg = geo.aggregate(wide, "epci", [v for v in ind.variables if v in wide], by=["annee"])
        num = agg[list(ind.numerator.variables)].sum(axis=1)
        if ind.denominator is not None:
            _ = num / agg[list(ind.denominator.variables)].sum(axis=1)
    return time.perf_counter() - t0


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Banc d'essai du moteur d'indicateurs")
    parser.add_argument("--communes", type=int, default=35000)
    parser.add_argument("--annees", type=int, default=6)
    parser.add_argument("--echantillon-epci", type=int, default=20)
    args = parser.parse_args(argv)

    print("Moteur d'indicateurs — banc d'essai sur une France synthétique")
    t0 = time.perf_counter()
    territory = synthetic_france(args.communes, args.annees)
    geo = territory.geography
    n_ind = len(load_catalogue_full().indicators)
    print(
        f"  {fr_number(len(geo.communes))} communes, {fr_number(len(geo.epcis))} EPCI, "
        f"{len(geo.departements)} départements, {len(geo.regions)} régions, "
        f"{len(geo.perimeters)} périmètres, {args.annees} années, "
        f"{fr_number(len(territory.observations))} observations, {n_ind} indicateurs "
        f"(construits en {seconds(time.perf_counter() - t0)})"
    )
    gc.collect()

    # 1. timings, cold then per level
    clear_cache(territory)
    t0 = time.perf_counter()
    from territoire_lib.indicators.engine import _observation_cube

    _observation_cube(territory, load_catalogue_full())
    t_cube = time.perf_counter() - t0
    print(f"\nPréparation des tableaux communes × années (une fois) : {seconds(t_cube)}")
    print("Calcul de tous les indicateurs, par niveau :")
    total_rows, total_time = 0, t_cube
    for level in LEVELS:
        t0 = time.perf_counter()
        out = compute(territory, level)
        dt = time.perf_counter() - t0
        total_time += dt
        total_rows += len(out)
        n_terr = out["territoire"].nunique()
        print(
            f"  {level:<12} {seconds(dt):>10}   {fr_number(n_terr):>7} "
            f"territoire{'s' if n_terr > 1 else ''}, {fr_number(len(out)):>10} lignes"
        )
    print(
        f"  total        {seconds(total_time):>10}   {fr_number(total_rows)} lignes "
        "(préparation comprise)"
    )

    # indicator tables (warm cache): what a workbook per territory asks for
    commune = geo.communes["code"].iloc[len(geo.communes) // 2]
    epci = geo.epcis["code"].iloc[len(geo.epcis) // 2]
    for label, code in (("commune", commune), ("EPCI", epci)):
        t0 = time.perf_counter()
        indicator_table(territory, code)
        print(f"  tableau d'indicateurs, {label} ({code}) : {seconds(time.perf_counter() - t0)}")

    # 2. peak memory of cold runs (tracemalloc sees numpy and pandas allocations)
    print("\nMémoire (pic des allocations pendant le calcul, tracemalloc) :")
    for levels, label in (
        (("epci",), "niveau EPCI seul, préparation comprise"),
        (("commune",), "niveau commune seul, préparation comprise"),
        (LEVELS, "tous les niveaux à la suite"),
    ):
        clear_cache(territory)
        gc.collect()
        tracemalloc.start()
        for level in levels:
            compute(territory, level)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        print(f"  {label} : {megabytes(peak)}")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    obs_mem = territory.observations.memory_usage(deep=True).sum()
    print(f"  pour comparaison, les observations chargées occupent : {megabytes(obs_mem)}")
    print(f"  pic du processus entier (ru_maxrss) : {megabytes(rss)}")

    # 3. naive alternatives
    clear_cache(territory)
    t0 = time.perf_counter()
    compute(territory, "epci")
    t_epci = time.perf_counter() - t0
    print("\nComparaison au niveau EPCI (tous les indicateurs, toutes les années) :")
    print(f"  moteur vectorisé (préparation comprise) : {seconds(t_epci)}")
    t_loop, n = naive_loop(territory, args.echantillon_epci)
    n_epci = len(geo.epcis)
    t_loop_all = t_loop / n * n_epci
    print(
        f"  boucle par territoire (Territory.totals) : {seconds(t_loop)} pour {n} EPCI, "
        f"soit environ {seconds(t_loop_all)} pour les {fr_number(n_epci)} EPCI "
        f"(×{fr_number(t_loop_all / t_epci, 0)})"
    )
    t_gb = naive_groupby(territory)
    print(
        f"  un pivot et un groupby par indicateur : {seconds(t_gb)} "
        f"(×{fr_number(t_gb / t_epci, 1)})"
    )


if __name__ == "__main__":
    main()
