"""ANCT zoning files of the demo: the QPV list and the FRR classification.

Owns ``listeqp2024-cog2024.csv`` (one QPV spanning two communes) and the FRR list
``frr_communes.csv`` with :func:`frr_classification` (which communes are classified, and how).

Layer « données » (demo.*): imports :mod:`.spec`, :mod:`.numbers` and :mod:`.model`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .model import DemoModel
from .numbers import _csv, _q, _rng
from .spec import DEMO_DEPARTEMENT, DEMO_DEPARTEMENT_NAME, DEMO_REGION, DEMO_REGION_NAME, QPV_SPECS

FRR_LABELS = ("FRR", "FRR+", "Bénéficiaire", "Partiellement classée")


def _file_qpv(model: DemoModel) -> bytes:
    """ANCT listeqp2024-cog2024.csv: `;`, utf-8-sig, multi-commune QPV in one cell."""
    c = model.communes
    rows = []
    for code, name, idx in QPV_SPECS:
        sub = c.iloc[list(idx)]
        rows.append(
            {
                "code_qp": code,
                "lib_qp": name,
                "insee_reg": DEMO_REGION,
                "lib_reg": DEMO_REGION_NAME,
                "insee_dep": DEMO_DEPARTEMENT,
                "lib_dep": DEMO_DEPARTEMENT_NAME,
                "insee_com": ", ".join(sub["code"]),
                "lib_com": ", ".join(sub["nom"]),
                "siren_epci": sub["epci"].iloc[0],
                "lib_epci": sub["nom_epci"].iloc[0],
            }
        )
    frame = pd.DataFrame(rows)
    return _csv({k: frame[k].tolist() for k in frame.columns}, sep=";", bom=True)


def frr_classification(model: DemoModel) -> pd.Series:
    """FRR label of the ~40 classified rural communes (index: commune code)."""
    rng = _rng(10)
    c = model.communes
    rural = c[c["epci_idx"] >= 2]
    # the smaller and the more remote, the more likely classified
    score = _q(np.log(rural["pop21"].to_numpy()) - 0.25 * np.sqrt(rural["d2"].to_numpy()))
    score = score + _q(rng.normal(0, 0.5, len(rural)))
    ranked = rural.assign(score=score).sort_values(["score", "code"])
    frr, frr_plus, beneficiaire, partiel = FRR_LABELS
    labels = [frr_plus] * 5 + [frr] * 31 + [beneficiaire] * 3
    chosen = ranked.iloc[: len(labels)]
    out = pd.Series(labels, index=chosen["code"].to_numpy())
    bourg = c[(c["kind"] == "bourg")]["code"].iloc[-1]
    out[bourg] = partiel
    return out.sort_index()


def _file_frr(model: DemoModel) -> bytes:
    """FRR list (mapped format): `;`, UTF-8, CODGEO;LIBGEO;FRR."""
    frr = frr_classification(model)
    names = model.communes.set_index("code")["nom"]
    return _csv(
        {"CODGEO": list(frr.index), "LIBGEO": names.loc[frr.index].tolist(), "FRR": list(frr)},
        sep=";",
    )
