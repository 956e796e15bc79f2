"""The SPPE duties (« service public de la petite enfance », art. L. 214-1-3 CASF) of each
commune by population band, read from the dated bands of the indicator catalogue
(``parametres: sppe``), never hard-coded here; and their summary for a territory.

The one implementation of the SPPE bands, used by the diagnostic and the scenarios:

* the population is the **population totale** of the Insee populations légales in force
  (art. R. 2151-1 CGCT): the millésime M applies from 1 January M + 3 (:func:`sppe_communes`);
  without a populations légales file, the municipal population of the geography stands in,
  flagged « à vérifier »;
* the bands are strict: « plus de 3 500 » and « plus de 10 000 » habitants (3 500 and 10 000
  stay in the band below, :func:`sppe_band`);
* for an EPCI exercising the competence (manifest « competence_sppe »), the thresholds apply to
  the population totale of the communes that transferred it (art. L. 214-1-3 III CASF): those
  communes take the EPCI's band (:func:`sppe_communes`, :func:`transfer_population`).

Layer « diagnostic »; imports indicateurs (the SPPE bands), the socle and :mod:`.common`.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ..french import number as fr_number
from ..indicators import sppe_strata
from .common import VERIFY_TEXT, _nan

LEGAL_TOTAL = "pop_legale_totale"
IN_FORCE_LAG = 3  # populations légales of millésime M: in force from 1 January M + 3
BASE_TOTAL = "population totale"
BASE_MUNICIPAL = "population municipale"


# -- SPPE ---------------------------------------------------------------------------------------
def sppe_band(population: pd.Series | np.ndarray, thresholds: list[float]) -> np.ndarray:
    """Band index (0 = every commune) of each population: the number of thresholds it is
    strictly above (« plus de 3 500 habitants »: 3 500 is not above). NaN stays -1."""
    pop = np.asarray(pd.to_numeric(pd.Series(population), errors="coerce"), dtype="float64")
    th = np.asarray(thresholds, dtype="float64")
    band = (pop[:, None] > th[None, :]).sum(axis=1)
    return np.where(np.isnan(pop), -1, band)


def _legal_totals(territory, codes: list[str], year: int | None) -> pd.DataFrame:
    """Per commune, the population totale in force in ``year`` (the latest millésime M with
    M + 3 ≤ year; the latest loaded when none is, or when ``year`` is None) and M."""
    obs = territory.observations
    sel = obs[(obs["variable"] == LEGAL_TOTAL) & obs["commune"].isin(codes)]
    sel = sel[sel["valeur"].notna()].sort_values("annee", kind="stable")
    latest = sel.groupby("commune").tail(1).set_index("commune")
    if year is not None:
        in_force = sel[sel["annee"] + IN_FORCE_LAG <= int(year)]
        latest = in_force.groupby("commune").tail(1).set_index("commune").combine_first(latest)
    return latest[["annee", "valeur"]].rename(columns={"annee": "millesime"})


def transfer_population(territory, epci: str, year: int | None = None) -> tuple[float, list[str]]:
    """Population totale of the communes that transferred the SPPE competence to ``epci``
    (manifest « competence_sppe ») and those communes; ``(nan, [])`` without a transfer."""
    communes = list((getattr(territory, "competences_sppe", None) or {}).get(str(epci), []))
    if not communes:
        return float("nan"), []
    pops = sppe_communes(territory, communes, year, transfers=False)
    return float(pops["population"].sum(min_count=1)), communes


def sppe_communes(
    territory, communes: Iterable[str], year: int | None = None, *, transfers: bool = True
) -> pd.DataFrame:
    """The population that sets the SPPE band of each commune (vectorised).

    Columns: code, nom, population (the commune's own population: totale when the populations
    légales are loaded, else municipale), base (« population totale » / « population
    municipale »), millesime (of the populations légales, NaN otherwise), epci_competent (the
    EPCI exercising the competence for the commune, « » otherwise), population_retenue (the
    population the thresholds apply to: the population totale of the communes that transferred
    the competence to that EPCI, else the commune's own).
    """
    codes = [str(c) for c in dict.fromkeys(communes)]
    geo = territory.geography.communes.set_index("code")
    legal = _legal_totals(territory, codes, year).reindex(codes)
    municipal = pd.to_numeric(geo["population"].reindex(codes), errors="coerce")
    has_total = legal["valeur"].notna()
    out = pd.DataFrame(
        {
            "code": codes,
            "nom": geo["nom"].reindex(codes).to_numpy(),
            "population": legal["valeur"].where(has_total, municipal).to_numpy(dtype=float),
            "base": np.where(has_total, BASE_TOTAL, BASE_MUNICIPAL),
            "millesime": legal["millesime"].to_numpy(dtype=float),
            "epci_competent": "",
        }
    )
    out["population_retenue"] = out["population"]
    if not transfers:
        return out
    spec = getattr(territory, "competences_sppe", None) or {}
    if spec:
        link = pd.Series({c: e for e, cs in spec.items() for c in cs}, dtype=object)
        epci = out["code"].map(link)
        involved = sorted(set(epci.dropna()))
        if involved:
            totals = {e: transfer_population(territory, e, year)[0] for e in involved}
            moved = epci.notna()
            out.loc[moved, "epci_competent"] = epci[moved]
            out.loc[moved, "population_retenue"] = epci[moved].map(totals).astype(float)
    return out


def sppe_duties(communes: pd.DataFrame) -> pd.DataFrame:
    """SPPE duties of each commune (``code``, ``nom``, ``population``; optional
    ``population_retenue``, ``base``, ``millesime``, ``epci_competent`` from
    :func:`sppe_communes`). Bands and duties come from the catalogue's dated parameter
    ``sppe``; the band is that of ``population_retenue`` when given, else of ``population``.

    Columns: commune, nom, population, population_retenue, base, millesime, epci_competent,
    strate, strate_libelle, obligations (list of French sentences), nb_obligations.
    """
    strata = sppe_strata()
    n = len(communes)
    pop = pd.to_numeric(communes["population"], errors="coerce").to_numpy(dtype=float)
    kept = communes.get("population_retenue", pop)
    kept = pd.to_numeric(pd.Series(np.asarray(kept)), errors="coerce").to_numpy(dtype=float)
    band = sppe_band(kept, strata.thresholds())
    codes = np.array([s.code for s in strata.strata] + [""], dtype=object)
    labels = np.array([s.label for s in strata.strata] + ["population inconnue"], dtype=object)
    duties = [list(s.duties) for s in strata.strata] + [[]]

    def column(name: str, default):
        return communes[name].to_numpy() if name in communes else np.full(n, default, dtype=object)

    out = pd.DataFrame(
        {
            "commune": communes["code"].astype(str).to_numpy(),
            "nom": communes["nom"].to_numpy(),
            "population": pop,
            "population_retenue": kept,
            "base": column("base", BASE_MUNICIPAL),
            "millesime": pd.to_numeric(pd.Series(column("millesime", np.nan))).to_numpy(),
            "epci_competent": column("epci_competent", ""),
            "strate": codes[band],
            "strate_libelle": labels[band],
        }
    )
    out["obligations"] = [duties[b] for b in band]
    out["nb_obligations"] = out["obligations"].str.len()
    return out


def _population_source(sppe: pd.DataFrame) -> str:
    """Which population the bands rest on, in French (with « à vérifier » when municipal)."""
    if len(sppe) and (sppe["base"] == BASE_TOTAL).all():
        years = sorted({int(y) for y in sppe["millesime"].dropna()})
        when = f" {', '.join(str(y) for y in years)}" if years else ""
        return f"population totale (populations légales{when} de l'Insee)"
    return (
        "population municipale, faute du fichier des populations légales de l'Insee : la loi "
        f"retient la population totale, strate {VERIFY_TEXT}"
    )


def _sppe_text(sppe: pd.DataFrame, strata, level: str, members, territory, code: str) -> str:
    # communes counted by their own population (the transfers are told apart below)
    own = sppe_band(sppe["population"], strata.thresholds())
    counts = pd.Series(own).value_counts()
    parts = []
    for i, s in enumerate(strata.strata):
        n = int(counts.get(i, 0))
        if n:
            parts.append(f"{fr_number(n)} dans la strate « {s.label} »")
    source = _population_source(sppe)
    text = (
        "Communes selon leur propre population : " + ", ".join(parts)
        + f" (seuils appliqués à la {source})."
    ) if parts else ""  # fmt: skip
    if level == "commune" and len(sppe):
        row = sppe.iloc[0]
        pop = (
            "population inconnue"
            if _nan(row["population"])
            else f"{fr_number(row['population'])} habitants en {row['base']}"
        )
        text = (
            f"{row['nom']} ({pop}) : strate « {row['strate_libelle']} ». Compétences "
            "obligatoires : " + " ; ".join(row["obligations"]) + "."
        )
        if row["epci_competent"]:
            text += (
                f" Compétence transférée à l'EPCI {row['epci_competent']} : strate appréciée sur "
                f"la population totale des communes qui la lui ont transférée "
                f"({fr_number(row['population_retenue'])} habitants)."
            )
        if row["base"] != BASE_TOTAL:
            text += f" Population municipale faute des populations légales : {VERIFY_TEXT}."
    elif level != "commune" and len(members) > 1:
        transferred_pop, transferred = (
            transfer_population(territory, code) if level == "epci" else (float("nan"), [])
        )
        if transferred:
            band = int(sppe_band(pd.Series([transferred_pop]), strata.thresholds())[0])
            text += (
                f" Compétence exercée par l'EPCI pour {fr_number(len(transferred))} commune(s) "
                f"qui la lui ont transférée ({', '.join(transferred[:8])}"
                f"{'…' if len(transferred) > 8 else ''}) : strate appréciée sur leur population "
                f"totale ({fr_number(transferred_pop)} habitants) : "
                f"« {strata.strata[band].label if band >= 0 else 'population inconnue'} »."
            )
        else:
            pop = pd.to_numeric(sppe["population"], errors="coerce").sum()
            band = int(sppe_band(pd.Series([pop]), strata.thresholds())[0])
            if band >= 0:
                text += (
                    " Si toutes les communes transféraient la compétence à "
                    "l'intercommunalité, la strate serait appréciée sur leur population totale "
                    f"({fr_number(pop)} habitants) : « {strata.strata[band].label} »."
                )
    if strata.note:
        text += f" {strata.note}"
    return text.strip()
