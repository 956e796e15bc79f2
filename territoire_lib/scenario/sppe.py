"""SPPE duties of the communes (service public de la petite enfance, loi du 18 décembre 2023,
art. L. 214-1-3 CASF) per year of a scenario: which duty applies to which commune, and whether
the scenario (CTG, RPE opened or existing) satisfies it.

The population bands are those of :mod:`territoire_lib.diagnostic.sppe` (one implementation):
population totale of the populations légales in force each year, strict thresholds (more than
3 500, more than 10 000 inhabitants), and for the communes that transferred the competence to
their EPCI the population totale of all those communes.

Layer: scénarios. Imports :mod:`territoire_lib.indicators.catalogue` (the dated population
strata) and :mod:`territoire_lib.diagnostic.sppe` (the bands); no other module of the package.
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


def _bands(territory: Any, members: list[str], year: int) -> tuple[pd.DataFrame, np.ndarray]:
    """The SPPE population of each commune in force in ``year`` and its band index."""
    from ..diagnostic.sppe import sppe_band, sppe_communes

    pops = sppe_communes(territory, members, year).set_index("code")
    thresholds, _ = _sppe_bands()
    band = sppe_band(pops["population_retenue"].fillna(0.0), thresholds)
    return pops, band


def _sppe(
    territory: Any, members: list[str], levers: pd.DataFrame, horizon: list[int], hyp: dict
) -> pd.DataFrame:
    """SPPE duties (loi du 18 décembre 2023, art. L. 214-1-3 CASF) per commune and year."""
    _, labels = _sppe_bands()
    labels = np.array(labels, dtype=object)
    rpe = levers[levers["levier"] == "rpe"].groupby("commune")["annee"].min()
    existing = set(hyp["rpe_existants"])
    rows = []
    ctg = bool(hyp["ctg"])
    bands = {year: _bands(territory, members, year) for year in horizon}  # a few years
    for duty, level, start in SPPE_DUTIES:
        for year in horizon:
            if year < start:
                continue
            pops, band = bands[year]
            concerned = band >= level
            if not concerned.any():
                continue
            sub = pops[concerned]
            frame = pd.DataFrame(
                {"annee": year, "commune": sub.index, "nom": sub["nom"].to_numpy(),
                 "population": sub["population"].to_numpy(), "strate": labels[band[concerned]],
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
            epci = sub["epci_competent"].to_numpy(dtype=object)
            moved = epci != ""
            if moved.any():  # transferred: the EPCI's band, on its communes' population totale
                frame.loc[moved, "commentaire"] = (
                    "compétence exercée par l'EPCI " + epci[moved].astype(str) + " ; "
                    + frame.loc[moved, "commentaire"].astype(str)
                )  # fmt: skip
            rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=SPPE_COLUMNS)
    return pd.concat(rows, ignore_index=True)[SPPE_COLUMNS]
