"""The needs index of the inclusion diagnostic: its components and weights
(:data:`NEEDS_COMPONENTS`), the scores and the weighted index per commune
(:func:`needs_index`, a pure function testable by hand), and the method in French
(:func:`needs_method_text`). The method is described in :mod:`territoire_lib.diagnostic`.

Layer « diagnostic »; imports the socle (:mod:`territoire_lib.french`) only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..french import number as fr_number

MIN_WEIGHT = 0.5


@dataclass(frozen=True)
class NeedComponent:
    """One component of the needs index."""

    key: str
    indicator: str | None  # catalogue indicator, or None for a zoning (qpv, frr)
    label: str  # French, as shown in the method text and the tables
    weight: float
    reverse: bool = False  # True: a lower value means greater needs


NEEDS_COMPONENTS: tuple[NeedComponent, ...] = (
    NeedComponent(
        "couverture",
        "taux_couverture_global",
        "taux de couverture global, pris à l'envers : moins de places pour 100 enfants, "
        "plus de besoins",
        0.25,
        reverse=True,
    ),
    NeedComponent(
        "bas_revenus",
        "part_qf_moins_800",
        "part des allocataires au quotient familial inférieur à 800 €",
        0.15,
    ),
    NeedComponent(
        "monoparentales",
        "part_familles_monoparentales",
        "part des familles monoparentales",
        0.15,
    ),
    NeedComponent("pauvrete", "taux_pauvrete", "taux de pauvreté", 0.10),
    NeedComponent("rsa", "part_rsa", "foyers percevant le RSA pour 100 allocataires", 0.10),
    NeedComponent(
        "aeeh",
        "part_aeeh",
        "foyers percevant l'AEEH (enfant handicapé) pour 100 allocataires",
        0.10,
    ),
    NeedComponent("qpv", None, "commune comprenant au moins un quartier prioritaire (QPV)", 0.075),
    NeedComponent(
        "frr", None, "commune classée France Ruralités Revitalisation (FRR, FRR+, partiel)", 0.075
    ),
)


# -- needs index: a pure function, testable by hand ---------------------------------------------
def needs_index(
    components: pd.DataFrame,
    groups: pd.Series | None = None,
    spec: tuple[NeedComponent, ...] = NEEDS_COMPONENTS,
    min_weight: float = MIN_WEIGHT,
) -> pd.DataFrame:
    """Scores (0–100) of every component and the weighted needs index, per commune.

    ``components``: one row per commune (index: commune code), one column per component key
    (raw values, NaN when missing or masked; zonings 0/1). ``groups``: the ranking group of
    each commune (its département); one group when None.

    Returns ``score_<key>`` for each component, ``poids_disponible`` (sum of the weights of the
    available components) and ``indice_besoins`` (NaN when ``poids_disponible < min_weight``).
    """
    if groups is None:
        groups = pd.Series("_", index=components.index)
    groups = groups.reindex(components.index)
    out = pd.DataFrame(index=components.index)
    weights = pd.Series({c.key: c.weight for c in spec})
    for comp in spec:
        if comp.key in components:
            x = pd.to_numeric(components[comp.key], errors="coerce")
        else:
            x = pd.Series(np.nan, index=components.index)
        if comp.indicator is None:  # zoning: 100 or 0
            out[f"score_{comp.key}"] = 100.0 * (x > 0).astype(float).where(x.notna())
            continue
        need = -x if comp.reverse else x
        r = need.groupby(groups).rank(method="average")
        n = need.groupby(groups).transform("count")
        score = 100.0 * (r - 1) / (n - 1)
        out[f"score_{comp.key}"] = score.where(n > 1, 50.0).where(need.notna())
    scores = out[[f"score_{c.key}" for c in spec]].to_numpy()
    w = weights[[c.key for c in spec]].to_numpy()
    avail = ~np.isnan(scores)
    wsum = (avail * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.nansum(scores * w, axis=1) / wsum
    out["poids_disponible"] = wsum
    out["indice_besoins"] = np.where(wsum >= min_weight - 1e-9, index, np.nan)
    return out


def needs_method_text(years: dict[str, int] | None = None) -> str:
    """The needs-index method in French (built from :data:`NEEDS_COMPONENTS`)."""
    years = years or {}
    parts = []
    for c in NEEDS_COMPONENTS:
        when = f", {years[c.key]}" if c.key in years else ""
        parts.append(f"{c.label} ({fr_number(100 * c.weight, 1).replace(',0', '')} %{when})")
    return (
        "Indice de besoins (de 0 à 100 ; plus il est élevé, plus les besoins sont marqués). "
        "Pour chaque composante, les communes du département sont classées de la plus faible à "
        "la plus forte valeur et reçoivent leur rang centile (0 pour la plus faible, 100 pour la "
        "plus forte ; à égalité, le rang moyen) ; les zonages valent 100 (commune concernée) "
        "ou 0. L'indice est la moyenne pondérée de ces scores. Composantes et poids : "
        + " ; ".join(parts)
        + ". Quand une composante manque pour une commune (valeur non diffusée ou masquée, "
        "valeur peu significative faute d'un dénominateur suffisant, fichier non chargé), son "
        "poids est réparti sur les autres ; l'indice n'est pas calculé si moins "
        f"de {fr_number(100 * MIN_WEIGHT)} % du poids est disponible. La part des allocataires "
        "au quotient familial inférieur à 800 € approche les jeunes enfants des familles à bas "
        "revenus : les fichiers communaux de la Caf ne croisent pas l'âge des enfants et le "
        "quotient familial. Les poids sont un choix de méthode, à discuter en comité de "
        "pilotage ; l'indice classe les communes entre elles, il ne mesure pas un besoin "
        "absolu."
    )
