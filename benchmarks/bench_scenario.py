"""Benchmark of the scenario simulation on a synthetic France.

    .venv/bin/python benchmarks/bench_scenario.py [--communes 35000] [--echantillon 300]

Builds a synthetic France (35,000 communes in about 1,250 EPCI and 101 départements; children
0-2, 3-5 and 6-10 at the five censuses 2017-2021; places of December 2023 by mode, estimated
for communes under 10,000 inhabitants; QPV and FRR zonings) and one five-year scenario
(2025-2029) with levers in every commune: a crèche PSU where there are enough children,
childminders arriving elsewhere, an ALSH in one commune out of seven, childminders leaving in
one out of ten. Then it times:

* the validation of the scenario (``Scenario.from_dict``);
* :func:`simulate` over the whole perimeter: children projected per commune, capacity and
  coverage per year and territory, costs by funder through the CNAF rules, SPPE duties —
  and its peak memory (tracemalloc, second run);
* the YAML round trip (``save_scenario`` then ``load_scenario``, with the line of every key);
* a naive alternative, commune by commune: filter the observations of the commune, project
  its children alone, call the funding rules for each lever and each year. Timed on a sample
  and extrapolated to every commune.

Figures are printed in French.
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from synthetic import synthetic_geography  # noqa: E402

from territoire_lib import rules  # noqa: E402
from territoire_lib.dataset import Territory  # noqa: E402
from territoire_lib.demography import project_history  # noqa: E402
from territoire_lib.key_figures import fr_number  # noqa: E402
from territoire_lib.scenario import (  # noqa: E402
    Scenario,
    load_scenario,
    save_scenario,
    simulate,
)

CENSUS = [2017, 2018, 2019, 2020, 2021]
PLACE_SHARES = {
    "places_eaje_psu": 0.15,
    "places_eaje_hors_psu": 0.04,
    "places_assistantes_maternelles": 0.33,
    "places_garde_domicile": 0.02,
    "places_prescolarisation": 0.04,
}


def synthetic_france(n: int, seed: int = 2025) -> Territory:
    rng = np.random.default_rng(seed)
    # overseas départements get fewer communes (their codes have 2 digits left: at most 99)
    geo, population = synthetic_geography(rng, n, overseas_weight=0.2)
    communes = geo.communes
    geo.add_perimeter("FRANCE", "France synthétique", communes["code"])
    # children: a share of the population, an annual trend per commune, census noise
    kids = population * rng.uniform(0.02, 0.045, n)
    trend = rng.normal(-0.01, 0.02, n)
    steps = np.arange(len(CENSUS)) - (len(CENSUS) - 1)
    noise = lambda: 1 + 0.03 * rng.standard_normal((n, len(CENSUS)))  # noqa: E731
    bands = {
        "pop_0_2": kids[:, None] * (1 + trend[:, None]) ** steps * noise(),
        "pop_3_5": kids[:, None] * 1.05 * (1 + trend[:, None]) ** steps * noise(),
        "pop_6_10": kids[:, None] * 1.8 * (1 + trend[:, None]) ** steps * noise(),
    }
    parts = []
    code_rep = np.repeat(communes["code"].to_numpy(), len(CENSUS))
    year_rep = np.tile(CENSUS, n)
    for name, arr in bands.items():
        parts.append(
            pd.DataFrame(
                {"commune": code_rep, "annee": year_rep, "variable": name,
                 "valeur": arr.reshape(-1), "statut": "publie"}
            )
        )  # fmt: skip
    total = kids * rng.uniform(0.3, 0.9, n)
    status = np.where(population >= 10000, "publie", "estime")
    places = {k: total * s / sum(PLACE_SHARES.values()) for k, s in PLACE_SHARES.items()}
    places["places_eaje"] = places["places_eaje_psu"] + places["places_eaje_hors_psu"]
    places["places_total"] = total
    for name, arr in places.items():
        parts.append(
            pd.DataFrame(
                {"commune": communes["code"], "annee": 2023, "variable": name, "valeur": arr,
                 "statut": status}
            )
        )  # fmt: skip
    obs = pd.concat(parts, ignore_index=True).astype(
        {"commune": str, "annee": "int64", "variable": str, "valeur": "float64", "statut": str}
    )
    zonages = pd.DataFrame(
        {
            "commune": communes["code"],
            "qpv": (rng.random(n) < 0.03).astype("int64"),
            "frr": np.where(rng.random(n) < 0.5, "frr", "non"),
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
    )


def scenario_document(territory: Territory) -> dict:
    """One lever or more in every commune, spread over 2025-2029."""
    c = territory.geography.communes
    kids = (
        territory.observations.query("variable == 'pop_0_2' and annee == 2021")
        .set_index("commune")["valeur"]
        .reindex(c["code"])
        .to_numpy()
    )
    years = 2025 + np.arange(len(c)) % 5
    levers = []
    for i, (code, k, y) in enumerate(zip(c["code"], kids, years, strict=True)):
        if k >= 40:
            levers.append({"levier": "creche_psu", "commune": code, "annee": int(y),
                           "places": int(max(6, round(k * 0.05)))})  # fmt: skip
        else:
            levers.append({"levier": "assistantes_maternelles", "commune": code,
                           "annee": int(y), "assistantes": 1})  # fmt: skip
        if i % 7 == 0:
            levers.append({"levier": "alsh", "commune": code, "annee": int(y), "places": 20})
        if i % 10 == 3:
            levers.append({"levier": "assistantes_maternelles", "commune": code,
                           "annee": int(y), "action": "fermer", "assistantes": 1})  # fmt: skip
    return {
        "nom": "Banc d'essai : une France synthétique",
        "territoire": "FRANCE",
        "annee_base": 2024,
        "horizon": [2025, 2029],
        "hypotheses": {
            "taux_occupation": 0.70,
            "investissement_par_place": {"creche_psu": 30000, "alsh": 5000},
            "part_enfants_handicap": 0.03,
        },
        "cofinancements": {"autres_par_place": {"creche_psu": 300}},
        "leviers": levers,
    }


def naive(territory: Territory, scenario: Scenario, sample: list[str]) -> float:
    """Commune by commune: filter, project alone, call the rules per lever and year."""
    params = rules.load_parameters()
    obs = territory.observations
    hyp = scenario.hypotheses
    levers = scenario.leviers
    start = time.perf_counter()
    for code in sample:
        own = obs[obs["commune"] == code]
        proj = project_history(own, pd.Series({code: "x"}), scenario.fin)
        kids = proj.values["pop_0_2"].loc[code]
        base = own[own["annee"] == 2023].set_index("variable")["valeur"]
        mine = levers[levers["commune"] == code]
        for year in scenario.years:
            active = mine[mine["annee"] <= year]
            places = (
                base["places_total"]
                + active["places"]
                .fillna(active["assistantes"] * hyp["places_par_assistante"])
                .sum()
            )
            _ = 100 * places / kids[year]
            for lever in active.itertuples():
                if lever.levier == "creche_psu":
                    rules.simulate_eaje(
                        rules.EajeInput(
                            places=lever.places, heures_ouverture_an=hyp["heures_ouverture_an"],
                            taux_occupation=hyp["taux_occupation"],
                            taux_facturation=hyp["taux_facturation"],
                            cout_par_place=16000.0, participation_horaire=1.3, ctg=True,
                            places_nouvelles=lever.places, part_enfants_aeeh=0.03,
                        ),
                        year, params=params,
                    )  # fmt: skip
                elif lever.levier == "alsh":
                    rules.simulate_alsh(
                        rules.AlshInput(heures_realisees=lever.places * 800, cout_horaire=4.0,
                                        participations_familiales=0.0, places=lever.places),
                        year, params=params,
                    )  # fmt: skip
    return time.perf_counter() - start


def seconds(x: float) -> str:
    return f"{fr_number(x, 2)} s"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--communes", type=int, default=35000)
    ap.add_argument("--echantillon", type=int, default=300)
    args = ap.parse_args()

    t0 = time.perf_counter()
    france = synthetic_france(args.communes)
    doc = scenario_document(france)
    t_build = time.perf_counter() - t0
    params = rules.load_parameters()

    t0 = time.perf_counter()
    scenario = Scenario.from_dict(doc, fichier="banc.yaml")
    t_validate = time.perf_counter() - t0
    n_levers = len(scenario.leviers)

    simulate(france, scenario, params=params)  # warm-up (imports, parameter cache)
    gc.collect()
    t0 = time.perf_counter()
    result = simulate(france, scenario, params=params)
    t_sim = time.perf_counter() - t0

    gc.collect()
    tracemalloc.start()
    simulate(france, scenario, params=params)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "banc.yaml"
        t0 = time.perf_counter()
        save_scenario(scenario, path)
        t_save = time.perf_counter() - t0
        t0 = time.perf_counter()
        back = load_scenario(path)
        t_load = time.perf_counter() - t0
        assert len(back.leviers) == n_levers

    rng = np.random.default_rng(1)
    codes = france.geography.communes["code"].to_numpy()
    sample = list(rng.choice(codes, size=min(args.echantillon, len(codes)), replace=False))
    t_sample = naive(france, scenario, sample)
    t_naive = t_sample * len(codes) / len(sample)

    per = result.territoire().set_index("annee")
    ind = result.indicateurs()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"France synthétique : {fr_number(args.communes)} communes, "
          f"{fr_number(len(france.geography.epcis))} EPCI, {fr_number(len(france.observations))} "
          f"observations ; scénario 2025-2029 de {fr_number(n_levers)} leviers "
          f"(construits en {seconds(t_build)}).")  # fmt: skip
    print(f"Validation du scénario (Scenario.from_dict) : {seconds(t_validate)}")
    print(f"Simulation complète (projection, capacité, couverture, coûts, SPPE) : {seconds(t_sim)}")
    print(f"  mémoire de pointe (tracemalloc) : {fr_number(peak / 2**20)} Mo ; "
          f"processus (ru_maxrss) : {fr_number(rss)} Mo")  # fmt: skip
    print(f"  lignes produites : capacité {fr_number(len(result.capacite))}, coûts "
          f"{fr_number(len(result.couts))}")  # fmt: skip
    print(f"Fichier YAML : écriture {seconds(t_save)}, lecture validée avec les lignes "
          f"{seconds(t_load)}")  # fmt: skip
    print(f"Alternative naïve commune par commune : {seconds(t_sample)} pour "
          f"{fr_number(len(sample))} communes, soit environ {seconds(t_naive)} extrapolées à "
          f"{fr_number(len(codes))} communes — {fr_number(t_naive / t_sim)} fois plus lent.")  # fmt: skip
    print(f"Résultat : taux de couverture {fr_number(per.loc[2024, 'taux_couverture'], 1)} en "
          f"2024 → {fr_number(per.loc[2029, 'taux_couverture'], 1)} en 2029 ; "
          f"{fr_number(ind['places_creees'])} places créées nettes ; financement CAF cumulé "
          f"{fr_number(ind['financement_caf'] / 1e6, 1)} M€ ; reste à charge des communes "
          f"{fr_number(ind['reste_commune'] / 1e6, 1)} M€.")  # fmt: skip


if __name__ == "__main__":
    main()
