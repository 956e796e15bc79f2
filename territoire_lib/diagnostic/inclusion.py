"""The inclusion diagnostic per commune: the values of the inclusion indicators at their
latest year (:func:`commune_values`), the zonings (QPV, FRR), the scores and the needs index
of every commune, ranked within its département and within the territory.

Layer « diagnostic »; imports indicateurs (computation and cache), :mod:`.common` and
:mod:`.needs`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..indicators import cached, compute, load_catalogue_full
from .common import FRR_CLASSES
from .needs import NEEDS_COMPONENTS, needs_index

# commune-level indicators shown in the inclusion table (besides the components)
INCLUSION_EXTRA = ("population", "enfants_0_2", "part_asf")


def _zoning_loaded(territory, kind: str) -> bool:
    sources = [r.source for r in (territory.reports or [])]
    zon = territory.zonages
    if kind == "qpv":
        return (
            any(s.startswith("Quartiers prioritaires") for s in sources) or len(territory.qpv) > 0
        )
    return any(s.startswith("Zonage FRR") for s in sources) or (
        "frr" in zon and (zon["frr"].astype(str) != "non").any()
    )


def commune_values(
    territory, indicators: list[str], communes: list[str], year: int | None = None
) -> pd.DataFrame:
    """Value of each indicator for each commune at one year per indicator: the latest year
    (not after ``year``) in which at least one of ``communes`` has a shown value.

    Long frame: commune, indicateur, annee, valeur, masque, motif_masque, etiquette (what
    stands for a masked value: « secret », « < 5 », « n.d. »), peu_significatif.
    """
    cols = ["commune", "indicateur", "annee", "valeur", "masque", "motif_masque", "etiquette"]
    cols.append("peu_significatif")
    frame = compute(territory, "commune", indicators)
    if frame.empty:
        return pd.DataFrame(columns=cols)
    f = pd.DataFrame(
        {
            "commune": frame["territoire"].astype(str),
            "indicateur": frame["indicateur"].astype(str),
            "annee": frame["annee"],
            "valeur": frame["valeur"],
            "masque": frame["masque"],
            "motif_masque": frame["motif_masque"].astype(str),
            "etiquette": frame["etiquette"].astype(str),
            "peu_significatif": frame["peu_significatif"],
        }
    )
    f = f[f["commune"].isin(set(communes))]
    if year is not None:
        f = f[f["annee"] <= int(year)]
    shown = f[~f["masque"] & f["valeur"].notna()]
    years = shown.groupby("indicateur")["annee"].max()
    f = f[f["annee"] == f["indicateur"].map(years)]
    return f[cols].reset_index(drop=True)


# -- inclusion ------------------------------------------------------------------------------------
def _inclusion(territory, communes: list[str], year: int | None) -> tuple[pd.DataFrame, dict]:
    """Per commune of the territory: inclusion indicators, scores and needs index. Scores are
    computed among all the communes of the départements concerned (once per département set
    and year: every commune of a batch shares them)."""
    all_c = territory.geography.communes
    deps = tuple(sorted(set(all_c.loc[all_c["code"].isin(communes), "departement"])))
    out, comp_years = cached(
        territory, ("inclusion", deps, year), lambda: _inclusion_scope(territory, deps, year)
    )
    out = out[out["commune"].isin(set(communes))].copy()
    out["rang"] = out["indice_besoins"].rank(ascending=False, method="min")
    out = out.sort_values(["rang", "nom"], na_position="last").reset_index(drop=True)
    return out, dict(comp_years)


def _inclusion_scope(territory, deps: tuple, year: int | None) -> tuple[pd.DataFrame, dict]:
    """Inclusion indicators, scores, needs index and rank in the département of every commune
    of the départements ``deps``."""
    geo = territory.geography
    all_c = geo.communes
    scope = all_c[all_c["departement"].isin(deps)].copy()
    scope_codes = scope["code"].astype(str).tolist()
    indicators = [c.indicator for c in NEEDS_COMPONENTS if c.indicator] + list(INCLUSION_EXTRA)
    cat = load_catalogue_full()
    indicators = [i for i in dict.fromkeys(indicators) if i in cat.indicators]
    long = commune_values(territory, indicators, scope_codes, year)
    wide = long.pivot(index="commune", columns="indicateur", values="valeur")
    masks = long.pivot(index="commune", columns="indicateur", values="masque")
    labels = long.pivot(index="commune", columns="indicateur", values="etiquette")
    fragile = long.pivot(index="commune", columns="indicateur", values="peu_significatif")
    wide = wide.reindex(index=scope_codes, columns=indicators)
    masks = masks.reindex(index=scope_codes, columns=indicators).astype(object)
    masks = masks.fillna(False).astype(bool)
    labels = labels.reindex(index=scope_codes, columns=indicators).astype(object).fillna("")
    fragile = fragile.reindex(index=scope_codes, columns=indicators).astype(object)
    fragile = fragile.fillna(False).astype(bool)
    years = long.groupby("indicateur")["annee"].max().to_dict()
    comp = pd.DataFrame(index=pd.Index(scope_codes, name="commune"))
    comp_years = {}
    for c in NEEDS_COMPONENTS:
        if c.indicator:  # a value « peu significatif » is shown, but not scored
            comp[c.key] = (
                wide[c.indicator].mask(fragile[c.indicator]) if c.indicator in wide else np.nan
            )
            if c.indicator in years:
                comp_years[c.key] = int(years[c.indicator])
    zon = territory.zonages.assign(commune=territory.zonages["commune"].astype(str))
    zon = zon.set_index("commune").reindex(scope_codes)
    qpv = pd.to_numeric(zon.get("qpv"), errors="coerce").fillna(0)
    frr = zon.get("frr", pd.Series("non", index=zon.index)).fillna("non").astype(str)
    comp["qpv"] = (qpv > 0).astype(float) if _zoning_loaded(territory, "qpv") else np.nan
    comp["frr"] = (
        frr.isin(FRR_CLASSES).astype(float) if _zoning_loaded(territory, "frr") else np.nan
    )
    groups = scope.set_index(scope["code"].astype(str))["departement"]
    scores = needs_index(comp, groups)
    out = pd.DataFrame({"commune": scope_codes})
    base = scope.set_index(scope["code"].astype(str))
    out["nom"] = out["commune"].map(base["nom"])
    epci_names = geo.epcis.set_index("code")["nom"]
    out["epci"] = out["commune"].map(base["epci"])
    out["epci_nom"] = out["epci"].map(epci_names).fillna("")
    out["departement"] = out["commune"].map(base["departement"])
    out["population_municipale"] = out["commune"].map(base["population"])
    for ind in indicators:
        out[ind] = out["commune"].map(wide[ind])
        out[f"{ind}_masque"] = out["commune"].map(masks[ind]).astype(bool)
        out[f"{ind}_etiquette"] = out["commune"].map(labels[ind]).fillna("")
    out["qpv"] = out["commune"].map(qpv).astype("int64")
    out["frr"] = out["commune"].map(frr)
    for col in scores.columns:
        out[col] = out["commune"].map(scores[col])
    out["rang_departement"] = out.groupby("departement")["indice_besoins"].rank(
        ascending=False, method="min"
    )
    return out, comp_years
