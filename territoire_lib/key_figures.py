"""Key figures of a territory: children by age band and childcare coverage, as ratios of sums.

The coverage of a territory for CAF year N is the sum of its communes' places in December N
divided by the sum of their children under 3 at the most recent census year not after N,
times 100. Never an average of commune rates.

Layer « données »: imports socle (french); its own layer (dataset).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .dataset import Territory
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


def _census_year_for(caf_years: pd.Series, census_years: list[int]) -> pd.Series:
    """Most recent census year not after each CAF year (the first census year otherwise)."""
    census = np.array(sorted(census_years))
    idx = np.searchsorted(census, caf_years.to_numpy(), side="right") - 1
    return pd.Series(census[np.clip(idx, 0, len(census) - 1)], index=caf_years.index)


def coverage(territory: Territory, code: str) -> pd.DataFrame:
    """Childcare coverage by CAF year: places, children under 3, rate, share estimated.

    Columns: annee, places, enfants_0_2, annee_recensement, taux, part_estimee.
    """
    places = territory.totals(code, ["places_total"])
    children = territory.totals(code, ["pop_0_2"])
    cols = ["annee", "places", "enfants_0_2", "annee_recensement", "taux", "part_estimee"]
    if places.empty or children.empty:
        return pd.DataFrame(columns=cols)
    out = places.rename(columns={"valeur": "places", "estime": "part_estimee"})
    out["annee_recensement"] = _census_year_for(out["annee"], children["annee"].tolist())
    kids = children.set_index("annee")["valeur"]
    out["enfants_0_2"] = out["annee_recensement"].map(kids)
    out["taux"] = 100 * out["places"] / out["enfants_0_2"]
    return out[cols].sort_values("annee").reset_index(drop=True)


@dataclass
class CoverageComparison:
    """A territory's coverage against its département (computed and published) and France."""

    annee: int
    taux: float
    taux_departement: float
    taux_departement_publie: float
    taux_france: float
    part_estimee: float
    departement: str

    def sentence(self, name: str) -> str:
        """The key figure in a French sentence, for beside the chart."""
        gap = self.taux - self.taux_departement
        direction = "au-dessus" if gap >= 0 else "en dessous"
        text = (
            f"En {self.annee}, {name} compte {fr_number(self.taux, 1)} places d'accueil pour "
            f"100 enfants de moins de 3 ans, soit {fr_number(abs(gap), 1)} {points(gap)} {direction} "
            f"du département ({fr_number(self.taux_departement, 1)})"
        )
        if not np.isnan(self.taux_france):
            text += f" ; France : {fr_number(self.taux_france, 1)}"
        text += "."
        if self.part_estimee > 0.005:
            text += (
                f" {fr_number(100 * self.part_estimee, 0)} % des places sont estimées "
                "(repli sur l'EPCI pour les communes de moins de 10 000 habitants)."
            )
        return text


def compare_coverage(
    territory: Territory, code: str, year: int | None = None
) -> CoverageComparison:
    geo = territory.geography
    members = geo.members(code)
    dep = geo.communes.loc[geo.communes["code"] == members[0], "departement"].iloc[0]
    own = coverage(territory, code)
    dep_cov = coverage(territory, dep)
    if own.empty:
        raise ValueError(f"pas de données de places pour {code}")
    if year is None:
        year = int(own["annee"].max())
    row = own.set_index("annee").loc[year]
    dep_row = dep_cov.set_index("annee").loc[year]
    published = territory.reference("taux_couverture_publie", "departement", dep)
    france = territory.reference("taux_couverture_publie", "france", "FR")
    return CoverageComparison(
        annee=year,
        taux=float(row["taux"]),
        taux_departement=float(dep_row["taux"]),
        taux_departement_publie=float(published.get(year, np.nan)),
        taux_france=float(france.get(year, np.nan)),
        part_estimee=float(row["part_estimee"]),
        departement=dep,
    )
