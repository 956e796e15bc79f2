"""Insee état civil and populations légales of the demo.

Owns the births file ``DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv`` (Melodi format, ``;``, one row
per commune and year, plus one row per year for the département that the loader leaves out)
and the communal file of the populations légales ``donnees_communes.csv`` (``;``, header
``CODREG;REG;CODDEP;CODARR;CODCAN;CODCOM;COM;PMUN;PCAP;PTOT``, the commune code split into
département and commune number). The population comptée à part is drawn per commune; one
commune (:data:`CROSSING_COMMUNE`) has 3 500 inhabitants or fewer in population municipale but
more in population totale: the SPPE band it belongs to depends on the population used.

Layer « données » (demo.*): imports :mod:`.spec`, :mod:`.numbers` and :mod:`.model`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import DemoModel
from .numbers import _csv, _fmt_int, _q, _rng
from .spec import DEMO_DEPARTEMENT, DEMO_REGION, DEMO_REGION_NAME, LEGAL_POPULATION_YEAR

BIRTHS_FILE = "DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv"
LEGAL_FILE = "donnees_communes.csv"
CROSSING_COMMUNE = "96018"  # population municipale ≤ 3 500 < population totale
CROSSING_SHARE = 0.025  # its population comptée à part (boarding school, care home…)


def _file_births(model: DemoModel) -> bytes:
    """Melodi births: EC_MEASURE;FREQ;GEO;GEO_OBJECT;OBS_STATUS;TIME_PERIOD;OBS_VALUE."""
    b = model.births.sort_values(["annee", "commune"], kind="stable")
    years = sorted(b["annee"].unique().tolist())
    dep = b.groupby("annee", sort=True)["naissances"].sum()
    last = years[-1]
    rows = {
        "EC_MEASURE": ["LVB"] * (len(b) + len(years)),
        "FREQ": ["A"] * (len(b) + len(years)),
        "GEO": [*b["commune"], *([DEMO_DEPARTEMENT] * len(years))],
        "GEO_OBJECT": ["COM"] * len(b) + ["DEP"] * len(years),
        # the last year is provisional, as in the real series
        "OBS_STATUS": [
            *np.where(b["annee"].to_numpy() == last, "P", "A"),
            *["P" if y == last else "A" for y in years],
        ],
        "TIME_PERIOD": [*(str(y) for y in b["annee"]), *(str(y) for y in years)],
        "OBS_VALUE": [*_fmt_int(b["naissances"]), *_fmt_int(dep.to_numpy())],
    }
    return _csv(rows, sep=";")


def legal_populations(model: DemoModel) -> pd.DataFrame:
    """PMUN, PCAP, PTOT per commune for the millésime :data:`LEGAL_POPULATION_YEAR`."""
    rng = _rng(12)
    c = model.communes
    cy = model.commune_years
    pop = cy[cy["annee"] == LEGAL_POPULATION_YEAR].set_index("commune")["pop_totale"]
    pmun = np.floor(pop.reindex(c["code"]).to_numpy() + 0.5)
    share = _q(rng.uniform(0.006, 0.02, len(c)))
    share = np.where(c["code"].to_numpy() == CROSSING_COMMUNE, CROSSING_SHARE, share)
    pcap = np.floor(pmun * share + 0.5)
    return pd.DataFrame(
        {
            "code": c["code"].to_numpy(),
            "nom": c["nom"].to_numpy(),
            "PMUN": pmun.astype(np.int64),
            "PCAP": pcap.astype(np.int64),
            "PTOT": (pmun + pcap).astype(np.int64),
        }
    )


def _file_legal_populations(model: DemoModel) -> bytes:
    """Populations légales, communal file of the Insee archive (``donnees_communes.csv``)."""
    p = legal_populations(model)
    n = len(p)
    rows = {
        "CODREG": [DEMO_REGION] * n,
        "REG": [DEMO_REGION_NAME] * n,
        "CODDEP": [DEMO_DEPARTEMENT] * n,
        "CODARR": ["1"] * n,
        "CODCAN": [f"{1 + i // 12:02d}" for i in range(n)],
        "CODCOM": p["code"].str[2:].tolist(),
        "COM": p["nom"].tolist(),
        "PMUN": _fmt_int(p["PMUN"]),
        "PCAP": _fmt_int(p["PCAP"]),
        "PTOT": _fmt_int(p["PTOT"]),
    }
    return _csv(rows, sep=";")
