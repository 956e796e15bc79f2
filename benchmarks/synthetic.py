"""The geography of a synthetic France, shared by the benchmarks that need one.

101 départements (96 in metropolitan France, 2A and 2B included, and 5 overseas), 18 régions,
about 1 250 EPCI of consecutive communes, and ``n`` communes with valid codes and log-normal
populations. Each benchmark then adds the observations it needs (indicators: every variable of
the catalogue over several years; scenarios: children at five censuses and places by mode).
The random draws happen in a fixed order, so a seed gives the same France every time.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from territoire_lib.geo import Geography

N_EPCI = 1250
N_REGIONS = 18


def departement_codes() -> list[str]:
    metro = [f"{i:02d}" for i in range(1, 96) if i != 20] + ["2A", "2B"]
    return metro + ["971", "972", "973", "974", "976"]  # 96 + 5 = 101


def synthetic_geography(
    rng: np.random.Generator, n: int, overseas_weight: float
) -> tuple[Geography, np.ndarray]:
    """The communes, EPCI, départements and régions of a synthetic France, and the communes'
    populations (floats, whole numbers). ``overseas_weight``: how many communes an overseas
    département gets against a metropolitan one (their codes have two digits left: at most 99
    communes each)."""
    deps = departement_codes()
    weights = np.array([overseas_weight if len(d) == 3 else 1.0 for d in deps])
    dep_of = np.sort(rng.choice(len(deps), size=n, p=weights / weights.sum()))
    counts: dict[int, int] = {}
    codes = []
    for d in dep_of:
        counts[d] = counts.get(d, 0) + 1
        dep = deps[d]
        codes.append(f"{dep}{counts[d]:03d}" if len(dep) == 2 else f"{dep}{counts[d]:02d}")
    assert all(len(c) == 5 for c in codes), "codes commune de 5 caractères"
    region_of = [f"{(i % N_REGIONS) + 1:02d}" for i in range(len(deps))]
    epci_codes = np.array([f"2{i:08d}" for i in range(N_EPCI)], dtype=object)
    epci = epci_codes[np.minimum(np.arange(n) * N_EPCI // n, N_EPCI - 1)]
    population = np.round(rng.lognormal(mean=6.3, sigma=1.3, size=n)) + 20
    communes = pd.DataFrame(
        {
            "code": codes,
            "nom": [f"Commune {c}" for c in codes],
            "departement": [deps[d] for d in dep_of],
            "region": [region_of[d] for d in dep_of],
            "epci": epci.astype(str),
            "population": population.astype("int64"),
        }
    )
    geo = Geography(
        communes=communes,
        epcis=pd.DataFrame(
            {"code": epci_codes.astype(str), "nom": [f"EPCI {c}" for c in epci_codes]}
        ).assign(nature="CC"),
        departements=pd.DataFrame({"code": deps, "nom": [f"Département {d}" for d in deps]}).assign(
            region=region_of
        ),
        regions=pd.DataFrame({"code": [f"{i:02d}" for i in range(1, N_REGIONS + 1)]}).assign(
            nom=lambda f: "Région " + f["code"]
        ),
    )
    return geo, population
