"""Key figures of a territory: children by age band and childcare coverage, as ratios of sums.

The coverage rate of CAF year N (Onape method, REPSS Famille indicator 1.4.1) is the sum of
the communes' places in December N divided by the sum of their children under 3 on
1 January N+1 (``enfants_0_2_estimes``, :func:`territoire_lib.demography.estimate_under3`),
times 100 — never the census of an earlier year, never an average of commune rates.

Where the Cnaf publishes the rate of the territory (EPCI, commune over 10,000 inhabitants,
département, France), the published rate is the headline figure and the recomputed one is
shown beside it (:func:`headline`, shared with the indicator table and the batch); comparisons
are like with like: published with published, recomputed with recomputed.

Layer « données »: imports socle (french); its own layer (dataset, demography).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dataset import Territory
from .demography import UNDER3, UNDER3_METHOD
from .french import number as fr_number
from .french import points

AGE_BANDS = {
    "pop_0_2": "0-2 ans",
    "pop_3_5": "3-5 ans",
    "pop_6_10": "6-10 ans",
    "pop_11_17": "11-17 ans",
}


def children_by_age(territory: Territory, code: str, year: int | None = None) -> pd.DataFrame:
    """Children by age band for a territory at one census year (latest by default).

    Columns: tranche, variable, effectif, part (share of the population, %), annee.
    """
    variables = [*AGE_BANDS, "pop_totale"]
    totals = territory.totals(code, variables)
    if totals.empty:
        return pd.DataFrame(columns=["tranche", "variable", "effectif", "part", "annee"])
    if year is None:
        year = int(totals["annee"].max())
    t = totals[totals["annee"] == year].set_index("variable")["valeur"]
    pop = float(t.get("pop_totale", np.nan))
    rows = [
        {
            "tranche": label,
            "variable": var,
            "effectif": float(t.get(var, np.nan)),
            "part": 100 * float(t.get(var, np.nan)) / pop if pop else np.nan,
            "annee": year,
        }
        for var, label in AGE_BANDS.items()
    ]
    return pd.DataFrame(rows)


PUBLISHED = "publiée"
RECOMPUTED = "calculée"
COVERAGE_METHOD = UNDER3_METHOD  # the French text shown beside the figure
LEVEL_REFERENCE = {"commune": "commune", "epci": "epci", "departement": "departement",
                   "region": "region"}  # fmt: skip


def headline(published, recomputed) -> tuple[np.ndarray, np.ndarray]:
    """The figure to show and its source, element-wise: the published value where there is
    one (« publiée »), else the recomputed one (« calculée »)."""
    pub = np.asarray(published, dtype="float64")
    rec = np.asarray(recomputed, dtype="float64")
    has = np.isfinite(pub)
    return np.where(has, pub, rec), np.where(has, PUBLISHED, RECOMPUTED)


def coverage(territory: Territory, code: str) -> pd.DataFrame:
    """Childcare coverage by CAF year N: places of December N, children under 3 on 1 January
    N+1, recomputed rate, the territory's published rate when the Cnaf publishes it, share of
    the places estimated.

    Columns: annee, places, enfants_0_2, annee_enfants (N+1), taux (recomputed),
    taux_publie (NaN where not published), part_estimee.
    """
    code = territory.geography.code(code)  # an int code (Papermill) is accepted
    places = territory.totals(code, ["places_total"])
    children = territory.totals(code, [UNDER3])
    cols = ["annee", "places", "enfants_0_2", "annee_enfants", "taux", "taux_publie",
            "part_estimee"]  # fmt: skip
    if places.empty or children.empty:
        return pd.DataFrame(columns=cols)
    out = places.rename(columns={"valeur": "places", "estime": "part_estimee"})
    out["annee_enfants"] = out["annee"] + 1
    kids = children.set_index("annee")["valeur"]
    out["enfants_0_2"] = out["annee_enfants"].map(kids)
    out["taux"] = 100 * out["places"] / out["enfants_0_2"]
    out["taux_publie"] = out["annee"].map(_published_rate(territory, code))
    out = out[out["enfants_0_2"].notna()]
    return out[cols].sort_values("annee").reset_index(drop=True)


def _published_rate(territory: Territory, code: str) -> pd.Series:
    """The territory's own published coverage rate by year (empty for a perimeter)."""
    geo = territory.geography
    level = geo.level_of(code)
    if level not in LEVEL_REFERENCE:
        return pd.Series(dtype="float64")
    key = code[3:].lstrip(":") if level == "region" else code
    return territory.reference("taux_couverture_publie", LEVEL_REFERENCE[level], key)


@dataclass
class CoverageComparison:
    """A territory's coverage against its département and France, like with like.

    ``taux`` is the headline (``source`` « publiée » or « calculée »); ``taux_departement``
    is the département's value of the same source (published with published, recomputed
    with recomputed); ``taux_recalcule`` and ``taux_departement_recalcule`` are always the
    recomputed values (places over children on 1 January N+1).
    """

    annee: int
    taux: float
    source: str
    taux_publie: float
    taux_recalcule: float
    taux_departement: float
    taux_departement_publie: float
    taux_departement_recalcule: float
    taux_france: float
    part_estimee: float
    departement: str
    annee_enfants: int
    niveau: str = ""

    def sentence(self, name: str) -> str:
        """The key figure in a French sentence, for beside the chart."""
        gap = self.taux - self.taux_departement
        direction = "au-dessus" if gap >= 0 else "en dessous"
        published = self.source == PUBLISHED
        text = (
            f"En {self.annee}, {name} compte {fr_number(self.taux, 1)} places d'accueil pour "
            "100 enfants de moins de 3 ans"
            + (" (taux publié par la Cnaf" if published else " (taux recalculé")
            + f", enfants au 1er janvier {self.annee_enfants})"
        )
        if not np.isnan(self.taux_departement) and self.niveau != "departement":
            text += (
                f", soit {fr_number(abs(gap), 1)} {points(gap)} {direction} du département "
                f"({fr_number(self.taux_departement, 1)}"
                + (", publié)" if published else ", recalculé)")
            )
        if published and not np.isnan(self.taux_france):
            text += f" ; France : {fr_number(self.taux_france, 1)}"
        text += "."
        if published and not np.isnan(self.taux_recalcule):
            text += (
                f" Taux recalculé par l'outil : {fr_number(self.taux_recalcule, 1)}"
                + (
                    f" (département : {fr_number(self.taux_departement_recalcule, 1)})"
                    if not np.isnan(self.taux_departement_recalcule)
                    else ""
                )
                + "."
            )
        if not published and not np.isnan(self.taux_france):
            text += f" France (taux publié) : {fr_number(self.taux_france, 1)}."
        if self.part_estimee > 0.005:
            text += (
                f" {fr_number(100 * self.part_estimee, 0)} % des places sont estimées "
                "(repli sur l'EPCI pour les communes de moins de 10 000 habitants)."
            )
        return text


def compare_coverage(
    territory: Territory, code: str, year: int | None = None
) -> CoverageComparison:
    """The coverage of a territory in CAF year ``year`` (latest by default) with its
    département and France, like with like (see :class:`CoverageComparison`)."""
    geo = territory.geography
    code = geo.code(code)  # an int code (Papermill) is accepted
    members = geo.members(code)
    dep = geo.communes.loc[geo.communes["code"] == members[0], "departement"].iloc[0]
    own = coverage(territory, code)
    dep_cov = coverage(territory, dep)
    if own.empty:
        raise ValueError(f"pas de données de places pour {code}")
    if year is None:
        year = int(own["annee"].max())
    row = own.set_index("annee").loc[year]
    dep_row = dep_cov.set_index("annee").reindex([year]).iloc[0]
    value, source = headline(row["taux_publie"], row["taux"])
    # like with like: a published figure beside the published département, else recomputed
    dep_value = dep_row["taux_publie"] if source == PUBLISHED else dep_row["taux"]
    france = territory.reference("taux_couverture_publie", "france", "FR")
    return CoverageComparison(
        annee=year,
        taux=float(value),
        source=str(source),
        taux_publie=float(row["taux_publie"]),
        taux_recalcule=float(row["taux"]),
        taux_departement=float(dep_value),
        taux_departement_publie=float(dep_row["taux_publie"]),
        taux_departement_recalcule=float(dep_row["taux"]),
        taux_france=float(france.get(year, np.nan)),
        part_estimee=float(row["part_estimee"]),
        departement=dep,
        annee_enfants=int(row["annee_enfants"]),
        niveau=geo.level_of(code),
    )
