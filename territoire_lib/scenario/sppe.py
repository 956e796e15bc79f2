"""SPPE duties of the communes (service public de la petite enfance, loi du 18 décembre 2023,
art. L. 214-1-3 CASF) per year of a scenario: which duty applies to which commune, and whether
the scenario (CTG, RPE opened or existing) satisfies it.

Layer: scénarios. Imports :mod:`territoire_lib.indicators.catalogue` (the dated population
strata); no other module of the package.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

SPPE_COLUMNS = ["annee", "commune", "nom", "population", "strate", "obligation", "statut", "commentaire"]  # fmt: skip

SPPE_DUTIES = [
    # (obligation, band (0: every commune, 1: first threshold, 2: second), first year)
    ("Recenser les besoins des enfants de moins de 3 ans et l'offre d'accueil", 0, 2025),
    ("Informer et accompagner les familles", 0, 2025),
    ("Planifier le développement des modes d'accueil", 1, 2025),
    ("Soutenir la qualité des modes d'accueil", 1, 2025),
    ("Schéma pluriannuel de maintien et de développement de l'offre", 2, 2025),
    ("Relais petite enfance (RPE)", 2, 2026),
]


def _sppe_bands() -> tuple[list[float], list[str]]:
    """Population thresholds and band labels of the SPPE: the catalogue's dated parameter."""
    from ..indicators.catalogue import sppe_strata

    strata = sppe_strata()
    return strata.thresholds(), [s.label for s in strata.strata]


def _sppe(
    territory: Any, members: list[str], levers: pd.DataFrame, horizon: list[int], hyp: dict
) -> pd.DataFrame:
    """SPPE duties (loi du 18 décembre 2023, art. L. 214-1-3 CASF) per commune and year."""
    c = territory.geography.communes.set_index("code").reindex(members)
    pop = c["population"].fillna(0).astype(float)
    thresholds, labels = _sppe_bands()
    band = (pop.to_numpy()[:, None] > np.array(thresholds)[None, :]).sum(axis=1)
    strate = np.array(labels, dtype=object)[band]
    rpe = levers[levers["levier"] == "rpe"].groupby("commune")["annee"].min()
    existing = set(hyp["rpe_existants"])
    rows = []
    ctg = bool(hyp["ctg"])
    for duty, level, start in SPPE_DUTIES:
        concerned = pd.Series(band >= level, index=pop.index)
        if not concerned.any():
            continue
        for year in horizon:
            if year < start:
                continue
            sub = pop[concerned]
            frame = pd.DataFrame(
                {"annee": year, "commune": sub.index, "nom": c.loc[sub.index, "nom"].to_numpy(),
                 "population": sub.to_numpy(), "strate": strate[concerned.to_numpy()],
                 "obligation": duty}
            )  # fmt: skip
            if duty.startswith("Relais"):
                opened = frame["commune"].map(rpe)
                ok = frame["commune"].isin(existing) | (opened.notna() & (opened <= year))
                frame["statut"] = np.where(ok, "satisfaite", "non satisfaite")
                frame["commentaire"] = np.where(
                    frame["commune"].isin(existing),
                    "RPE existant",
                    np.where(ok, "RPE ouvert par le scénario", "obligatoire depuis le 1er janvier 2026"),
                )  # fmt: skip
            elif duty.startswith(("Schéma", "Planifier")):
                frame["statut"] = "satisfaite" if ctg else "non satisfaite"
                frame["commentaire"] = (
                    "la CTG tient lieu de schéma si son contenu est conforme (art. D. 214-10-1 CASF)"
                    if ctg
                    else "pas de CTG : schéma à élaborer"
                )
            else:
                frame["statut"] = "hors scénario"
                frame["commentaire"] = "mission de la commune, non simulée"
            rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=SPPE_COLUMNS)
    return pd.concat(rows, ignore_index=True)[SPPE_COLUMNS]
