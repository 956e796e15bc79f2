"""The SPPE duties (« service public de la petite enfance », art. L. 214-1-3 CASF) of each
commune by population band, read from the dated bands of the indicator catalogue
(``parametres: sppe``), never hard-coded here; and their summary for a territory.

Layer « diagnostic »; imports indicateurs (the SPPE bands), the socle and :mod:`.common`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..french import number as fr_number
from ..indicators import sppe_strata
from .common import _nan


# -- SPPE ---------------------------------------------------------------------------------------
def sppe_band(population: pd.Series | np.ndarray, thresholds: list[float]) -> np.ndarray:
    """Band index (0 = every commune) of each population: the number of thresholds it is
    strictly above (« plus de 3 500 habitants »: 3 500 is not above). NaN stays -1."""
    pop = np.asarray(pd.to_numeric(pd.Series(population), errors="coerce"), dtype="float64")
    th = np.asarray(thresholds, dtype="float64")
    band = (pop[:, None] > th[None, :]).sum(axis=1)
    return np.where(np.isnan(pop), -1, band)


def sppe_duties(communes: pd.DataFrame) -> pd.DataFrame:
    """SPPE duties of each commune from its municipal population (``code``, ``nom``,
    ``population``). Bands and duties come from the catalogue's dated parameter ``sppe``.

    Columns: commune, nom, population, strate, strate_libelle, obligations (list of French
    sentences), nb_obligations.
    """
    strata = sppe_strata()
    band = sppe_band(communes["population"], strata.thresholds())
    codes = np.array([s.code for s in strata.strata] + [""], dtype=object)
    labels = np.array([s.label for s in strata.strata] + ["population inconnue"], dtype=object)
    duties = [list(s.duties) for s in strata.strata] + [[]]
    out = pd.DataFrame(
        {
            "commune": communes["code"].astype(str).to_numpy(),
            "nom": communes["nom"].to_numpy(),
            "population": pd.to_numeric(communes["population"], errors="coerce").to_numpy(),
            "strate": codes[band],
            "strate_libelle": labels[band],
        }
    )
    out["obligations"] = [duties[b] for b in band]
    out["nb_obligations"] = out["obligations"].str.len()
    return out


def _sppe_text(sppe: pd.DataFrame, strata, level: str, members, geo) -> str:
    counts = sppe["strate"].value_counts()
    parts = []
    for s in strata.strata:
        n = int(counts.get(s.code, 0))
        if n:
            parts.append(f"{fr_number(n)} dans la strate « {s.label} »")
    text = "Communes : " + ", ".join(parts) + "." if parts else ""
    if level == "commune" and len(sppe):
        row = sppe.iloc[0]
        pop = (
            "population inconnue"
            if _nan(row["population"])
            else (f"{fr_number(row['population'])} habitants")
        )
        text = (
            f"{row['nom']} ({pop}) : strate « {row['strate_libelle']} ». Compétences "
            "obligatoires : " + " ; ".join(row["obligations"]) + "."
        )
    if level != "commune" and len(members) > 1:
        pop = pd.to_numeric(
            geo.communes.loc[geo.communes["code"].isin(members), "population"], errors="coerce"
        ).sum()
        band = int(sppe_band(pd.Series([pop]), strata.thresholds())[0])
        if band >= 0:
            text += (
                f" Si la compétence était transférée à l'intercommunalité, la strate serait "
                f"appréciée sur la population totale des communes ({fr_number(pop)} habitants) : "
                f"« {strata.strata[band].label} »."
            )
    if strata.note:
        text += f" {strata.note}"
    return text.strip()
