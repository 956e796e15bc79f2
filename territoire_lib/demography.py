"""Children projected per commune over a horizon, from the census history (and births if any).

The census (RP) publishes, per commune and year, children aged 0-2 (``pop_0_2``), 3-5
(``pop_3_5``) and 6-10 (``pop_6_10``). It has no 6-11 band: the projection is of 6-10 year
olds, and says so. Births (``naissances``, état civil) are optional.

Method (vectorised over communes; one step per projected year):

1. Start from the last census year ``L``: the three bands per commune.
2. Entries into the 0-2 band.

   - *With births* (a commune with births for the three years before at least one census
     year): the children aged 0-2 on 1 January of year Y were born in Y-1, Y-2 and Y-3, so
     ``P02(Y) = f × (B(Y-1) + B(Y-2) + B(Y-3))``, where the factor ``f`` (migration and
     mortality of the under-threes) is the ratio of sums over the census years. Births after
     the last known year follow ``mean of the last 3 years × (1 + g)^k``.
   - *Without births*: ``P02(Y) = P02(Y-1) × (1 + g)``.

   ``g`` is the annual growth rate of births (or of the 0-2 band without births): the slope
   of a log-linear fit over the census years, per commune, shrunk towards the EPCI's rate.

3. Cohort ageing, with ages spread evenly within a band: each year a third of the 0-2 year
   olds move to 3-5, a third of the 3-5 move to 6-10, a fifth of the 6-10 leave the band::

       P35(Y)  = c35  × (P35(Y-1) × 2/3 + P02(Y-1) / 3)
       P610(Y) = c610 × (P610(Y-1) × 4/5 + P35(Y-1) / 3)

   ``c35`` and ``c610`` are net migration factors: observed counts over what ageing alone
   predicts, ratio of sums over consecutive census years.
4. Small communes: a rate or factor estimated on few children is noisy (the RP of communes
   under 10,000 inhabitants rests on one exhaustive survey every five years), so it is shrunk
   towards the EPCI's: weight of the commune ``w = n / (n + k)``, ``n`` the mean number of
   children of the band, ``k`` = :data:`DEFAULT_SHRINKAGE` by default.
5. Bounds: growth within ±15 % a year, factors within [0.8, 1.25] (``f``: [0.7, 1.3]).
6. The user may override ``g``: one global rate, or rates by EPCI or commune (a commune's own
   rate wins over its EPCI's, which wins over the global one).

The French text of the method is :attr:`Projection.methode`.

The same method gives the denominator of the coverage rate (:func:`estimate_under3`): the
children under 3 on 1 January of year N+1, to which the places of December N are compared
(Onape method, REPSS Famille indicator 1.4.1) — the census of that very date where it exists,
else the births of the three years before times the commune's factor ``f``, else the trend.

Layer « données »: imports socle (errors, geo, errors.LoadReport).
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import LoadReport, TerritoireError, fmt_int, quote
from .geo import NO_EPCI

BANDS = ("pop_0_2", "pop_3_5", "pop_6_10")
BAND_LABELS = {"pop_0_2": "0-2 ans", "pop_3_5": "3-5 ans", "pop_6_10": "6-10 ans"}
BIRTHS = "naissances"
DEFAULT_SHRINKAGE = 100.0  # children: a commune with 100 children of a band weighs 1/2
GROWTH_BOUNDS = (-0.15, 0.15)
FACTOR_BOUNDS = (0.8, 1.25)
BIRTH_FACTOR_BOUNDS = (0.7, 1.3)
OVERRIDE_BOUNDS = (-0.5, 0.5)
OBSERVE = "observé"
PROJETE = "projeté"


class DemographyError(TerritoireError):
    """Bad projection input (French message)."""


@dataclass
class Projection:
    """Children by commune and year: census values, then projected values.

    ``values[band]`` is a frame communes × years (every year from the first census year to the
    end year); ``observed_years`` are the census years. ``hypotheses`` has one row per commune:
    epci, methode_0_2 (« naissances » or « tendance »), taux_commune, taux_epci, poids,
    taux_retenu, origine (« commune », « EPCI », « hypothèse globale », …), facteur_3_5,
    facteur_6_10, facteur_naissances.
    """

    values: dict[str, pd.DataFrame]
    observed_years: list[int]
    end_year: int
    hypotheses: pd.DataFrame
    methode: str
    notes: list[str] = field(default_factory=list)

    @property
    def last_census(self) -> int:
        return max(self.observed_years)

    @property
    def communes(self) -> list[str]:
        return list(self.values[BANDS[0]].index)

    def band(self, variable: str, years: Iterable[int]) -> pd.DataFrame:
        """Communes × `years` for one band; years before the first census take its values."""
        if variable == "pop_3_10":
            return self.band("pop_3_5", years) + self.band("pop_6_10", years)
        frame = self.values[variable]
        first = min(frame.columns)
        cols = [max(int(y), first) for y in years]
        out = frame[cols].copy()
        out.columns = [int(y) for y in years]
        return out

    @property
    def frame(self) -> pd.DataFrame:
        """Long format: commune, annee, variable, valeur, statut (« observé » / « projeté »)."""
        parts = []
        for band in BANDS:
            long = self.values[band].stack().rename("valeur").reset_index()
            long.columns = ["commune", "annee", "valeur"]
            long.insert(2, "variable", band)
            parts.append(long)
        out = pd.concat(parts, ignore_index=True)
        out["statut"] = np.where(out["annee"].isin(self.observed_years), OBSERVE, PROJETE)
        return out.sort_values(["commune", "variable", "annee"], ignore_index=True)

    def totals(self, communes: Iterable[str] | None = None) -> pd.DataFrame:
        """Sums over communes (all by default), by year: annee, pop_0_2, pop_3_5, pop_6_10,
        statut."""
        keep = None if communes is None else list(communes)
        data = {}
        for band in BANDS:
            frame = self.values[band] if keep is None else self.values[band].loc[keep]
            data[band] = frame.sum(axis=0, min_count=1)
        out = pd.DataFrame(data)
        out.index.name = "annee"
        out = out.reset_index()
        out["statut"] = np.where(out["annee"].isin(self.observed_years), OBSERVE, PROJETE)
        return out


# -- estimation helpers -------------------------------------------------------------------------
def _log_trend(values: np.ndarray, years: np.ndarray) -> np.ndarray:
    """Annual growth rate (exp(slope) - 1) of a log-linear fit per row; NaN with < 2 points."""
    ok = np.isfinite(values) & (values > 0)
    n = ok.sum(axis=1)
    logs = np.log(np.where(ok, values, 1.0))
    x = np.broadcast_to(years.astype(float), values.shape)
    with np.errstate(invalid="ignore", divide="ignore"):
        xm = np.where(ok, x, 0.0).sum(axis=1) / n
        ym = np.where(ok, logs, 0.0).sum(axis=1) / n
        dx = np.where(ok, x - xm[:, None], 0.0)
        slope = (dx * np.where(ok, logs - ym[:, None], 0.0)).sum(axis=1) / (dx**2).sum(axis=1)
    rate = np.expm1(slope)
    rate[(n < 2) | ~np.isfinite(rate)] = np.nan
    return rate


def _group_sum(values: np.ndarray, groups: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Column sums by group (rows with any NaN left out); returns (sums, group index)."""
    complete = np.isfinite(values).all(axis=1)
    frame = pd.DataFrame(np.where(complete[:, None], values, 0.0))
    frame["_g"] = groups.to_numpy()
    summed = frame.groupby("_g", sort=True).sum()
    return summed.to_numpy(), summed.index


def _shrink(
    own: np.ndarray, size: np.ndarray, group_value: np.ndarray, shrinkage: float, fallback: float
) -> tuple[np.ndarray, np.ndarray]:
    """w × own + (1 − w) × group, w = size / (size + k); NaNs fall back to the group / global."""
    group = np.where(np.isfinite(group_value), group_value, fallback)
    size = np.where(np.isfinite(size), np.maximum(size, 0.0), 0.0)
    w = size / (size + shrinkage) if shrinkage > 0 else np.ones_like(size)
    w = np.where(np.isfinite(own), w, 0.0)
    return w * np.where(np.isfinite(own), own, 0.0) + (1 - w) * group, w


def _ratio_of_sums(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """Row ratio of sums over columns where both are finite; NaN when nothing is usable."""
    ok = np.isfinite(num) & np.isfinite(den)
    n = np.where(ok, num, 0.0).sum(axis=1)
    d = np.where(ok, den, 0.0).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = n / d
    out[(d <= 0) | ~ok.any(axis=1)] = np.nan
    return out


def _grouped_ratio(num: np.ndarray, den: np.ndarray, groups: pd.Series) -> np.ndarray:
    """The ratio of sums per group, mapped back to rows."""
    ok = np.isfinite(num) & np.isfinite(den)
    frame = pd.DataFrame(
        {
            "n": np.where(ok, num, 0.0).sum(axis=1),
            "d": np.where(ok, den, 0.0).sum(axis=1),
            "g": groups.to_numpy(),
        }
    )
    sums = frame.groupby("g")[["n", "d"]].transform("sum")
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (sums["n"] / sums["d"]).to_numpy(dtype=float, copy=True)
    out[sums["d"].to_numpy() <= 0] = np.nan
    return out


def _overall_ratio(num: np.ndarray, den: np.ndarray) -> float:
    ok = np.isfinite(num) & np.isfinite(den)
    d = np.where(ok, den, 0.0).sum()
    return float(np.where(ok, num, 0.0).sum() / d) if d > 0 else 1.0


def _parse_overrides(
    growth: float | Mapping[str, float] | pd.Series | None,
    communes: pd.Index,
    epci: pd.Series,
) -> tuple[np.ndarray, np.ndarray]:
    """User growth rates per commune (NaN where none) and their origin label."""
    n = len(communes)
    rate = np.full(n, np.nan)
    origin = np.full(n, "", dtype=object)
    if growth is None:
        return rate, origin
    lo, hi = OVERRIDE_BOUNDS

    def check(value: Any, where: str) -> float:
        ok = isinstance(value, int | float | np.number) and not isinstance(value, bool)
        if not ok or not np.isfinite(value) or not lo <= float(value) <= hi:
            raise DemographyError(
                f"Taux de croissance {where} : trouvé {quote(value)} ; attendu un taux annuel "
                "entre -0,5 et 0,5 (0.01 pour +1 % par an)."
            )
        return float(value)

    if not isinstance(growth, Mapping | pd.Series):
        rate[:] = check(growth, "global")
        origin[:] = "hypothèse globale"
        return rate, origin
    items = dict(growth.items())
    known_communes = set(communes)
    known_epcis = set(epci.unique())
    by_epci = {k: v for k, v in items.items() if str(k) in known_epcis}
    by_commune = {k: v for k, v in items.items() if str(k) in known_communes}
    unknown = [k for k in items if k not in by_epci and k not in by_commune]
    if unknown:
        shown = ", ".join(quote(k) for k in unknown[:5])
        raise DemographyError(
            f"Taux de croissance : code(s) inconnu(s) {shown} ; attendu un code commune ou un "
            "code EPCI du territoire projeté."
        )
    epci_codes = epci.reindex(communes).to_numpy()
    for code, value in by_epci.items():
        mask = epci_codes == str(code)
        rate[mask] = check(value, f"de l'EPCI {code}")
        origin[mask] = f"hypothèse EPCI {code}"
    positions = pd.Series(np.arange(n), index=communes)
    for code, value in by_commune.items():
        i = positions[str(code)]
        rate[i] = check(value, f"de la commune {code}")
        origin[i] = "hypothèse commune"
    return rate, origin


def _num(x: float) -> str:
    return f"{x:g}".replace(".", ",").replace("-", "\u2212")


def _pct(x: float) -> str:
    return ("+" if x > 0 else "") + _num(round(100 * x, 2)) + "\u202f%"


def _method_text(
    census: list[int], births_used: int, total: int, shrinkage: float, overridden: bool
) -> str:
    years = ", ".join(str(y) for y in census)
    lo, hi = GROWTH_BOUNDS
    entries = (
        "les naissances domiciliées des trois années précédentes (enfants de 0 à 2 ans au "
        "1er janvier), multipliées par un facteur propre à la commune (migrations, estimé "
        "sur les recensements) ; les naissances au-delà de la dernière année connue suivent "
        "la moyenne des trois dernières années, prolongée par le taux de croissance annuel"
        if births_used
        else "l'effectif de l'année précédente multiplié par (1 + taux de croissance annuel "
        "des 0-2 ans)"
    )
    share = f"{births_used} commune(s) sur {total}" if births_used else "aucune commune"
    text = [
        "Méthode de projection des enfants, commune par commune et année par année :",
        f"1. Point de départ : le dernier recensement ({max(census)}), par tranche d'âge "
        "0-2, 3-5 et 6-10 ans. Le recensement ne publie pas de tranche 6-11 ans : la "
        "projection porte sur les 6-10 ans.",
        f"2. Enfants de 0 à 2 ans : {entries}. Naissances utilisées pour {share} ; les "
        "autres suivent la tendance de leurs 0-2 ans.",
        "3. Taux de croissance annuel : pente d'un ajustement log-linéaire sur les "
        f"recensements {years}, borné entre {_pct(lo)} et {_pct(hi)} par an.",
        "4. Vieillissement des cohortes (âges répartis uniformément dans chaque tranche) : "
        "chaque année, un tiers des 0-2 ans passe dans les 3-5 ans, un tiers des 3-5 ans "
        "passe dans les 6-10 ans et un cinquième des 6-10 ans quitte la tranche. Un facteur "
        "de migration par commune (effectifs observés rapportés au vieillissement seul, entre "
        "années de recensement consécutives, borné entre 0,8 et 1,25) corrige arrivées et "
        "départs.",
        "5. Petites communes : taux et facteurs estimés sur peu d'enfants sont rapprochés de "
        "ceux de l'EPCI ; poids de la commune = n / (n + "
        f"{_num(shrinkage)}), n étant le nombre moyen d'enfants de la tranche.",
        "6. Hypothèses modifiables : un taux de croissance annuel global, par EPCI ou par "
        "commune remplace le taux estimé (la valeur de la commune l'emporte sur celle de son "
        "EPCI, qui l'emporte sur la valeur globale)."
        + (" Des hypothèses de l'utilisateur sont appliquées." if overridden else ""),
    ]
    return "\n".join(text)


# -- projection ---------------------------------------------------------------------------------
def project_history(
    history: pd.DataFrame,
    epci: pd.Series,
    end_year: int,
    *,
    growth: float | Mapping[str, float] | pd.Series | None = None,
    shrinkage: float = DEFAULT_SHRINKAGE,
    keep: Iterable[str] | None = None,
) -> Projection:
    """Project the children bands of every commune of `history` to `end_year`.

    `history`: long observations (commune, annee, variable, valeur) with pop_0_2, pop_3_5,
    pop_6_10 and optionally naissances. `epci`: commune code → EPCI code (the shrinkage
    group). `growth`: user annual growth rate (float), or by commune / EPCI code. `keep`: the
    communes to return (the others only serve the EPCI trends).
    """
    if shrinkage < 0:
        raise DemographyError(
            f"Constante de rapprochement {quote(shrinkage)} : attendu un nombre positif ou nul."
        )
    sel = history[history["variable"].isin([*BANDS, BIRTHS])]
    bands = sel[sel["variable"].isin(BANDS)]
    if bands.empty:
        raise DemographyError(
            "Aucun effectif d'enfants par âge (pop_0_2, pop_3_5, pop_6_10) : la projection "
            "a besoin d'au moins un recensement (base infracommunale « évolution et structure "
            "de la population » de l'Insee)."
        )
    wide = bands.pivot_table(
        index="commune", columns=["variable", "annee"], values="valeur", aggfunc="sum"
    )
    communes = wide.index
    census = sorted({int(y) for y in bands.loc[bands["variable"] == BANDS[0], "annee"]})
    if not census:
        raise DemographyError("Aucun effectif d'enfants de 0 à 2 ans (pop_0_2) à projeter.")
    years = np.array(census)
    last = census[-1]
    if end_year < census[0]:
        raise DemographyError(
            f"Année de fin {quote(end_year)} : attendu une année postérieure au premier "
            f"recensement ({census[0]})."
        )

    def matrix(band: str) -> np.ndarray:
        if band not in wide.columns.get_level_values(0):
            return np.full((len(communes), len(census)), np.nan)
        return wide[band].reindex(columns=census).to_numpy(dtype=float)

    p02, p35, p610 = (matrix(b) for b in BANDS)
    groups = epci.reindex(communes)
    groups = groups.where(groups.notna() & (groups != NO_EPCI), "dep:" + communes.str[:2])
    groups = pd.Series(groups.to_numpy(), index=communes).astype(str)
    notes: list[str] = []

    # growth of the 0-2 band, per commune and per EPCI
    own02 = _log_trend(p02, years)
    g_sums, g_index = _group_sum(p02, groups)
    epci_rate = pd.Series(_log_trend(g_sums, years), index=g_index)
    overall = _log_trend(np.nansum(np.where(np.isfinite(p02).all(1)[:, None], p02, 0), 0)[None, :], years)[0]  # fmt: skip
    overall = 0.0 if not np.isfinite(overall) else float(overall)
    group02 = groups.map(epci_rate).to_numpy(dtype=float)
    rate02, w02 = _shrink(own02, np.nanmean(p02, axis=1), group02, shrinkage, overall)

    # births, when present
    births_wide = sel[sel["variable"] == BIRTHS].pivot_table(
        index="commune", columns="annee", values="valeur", aggfunc="sum"
    )
    has_births = not births_wide.empty
    n = len(communes)
    f_birth = np.full(n, np.nan)
    own_b = group_b = rate_b = np.full(n, np.nan)
    w_b = np.zeros(n)
    b_years: list[int] = []
    births = np.zeros((n, 0))
    if has_births:
        b_years = list(range(int(births_wide.columns.min()), int(births_wide.columns.max()) + 1))
        births = births_wide.reindex(index=communes, columns=b_years).to_numpy(dtype=float)
        pos = {y: i for i, y in enumerate(b_years)}
        num = np.full((n, len(census)), np.nan)
        den = np.full((n, len(census)), np.nan)
        for j, y in enumerate(census):
            if all(y - k in pos for k in (1, 2, 3)):
                num[:, j] = p02[:, j]
                den[:, j] = sum(births[:, pos[y - k]] for k in (1, 2, 3))
        f_own = _ratio_of_sums(num, den)
        f_birth, _ = _shrink(
            f_own,
            np.nanmean(p02, axis=1),
            _grouped_ratio(num, den, groups),
            shrinkage,
            _overall_ratio(num, den),
        )
        f_birth = np.where(np.isfinite(f_own), np.clip(f_birth, *BIRTH_FACTOR_BOUNDS), np.nan)
        b_arr = np.array(b_years)
        own_b = _log_trend(births, b_arr)
        bg_sums, bg_index = _group_sum(births, groups)
        group_b = groups.map(pd.Series(_log_trend(bg_sums, b_arr), index=bg_index))
        group_b = group_b.to_numpy(dtype=float)
        # size of the band of births: three years of births ~ the 0-2 band
        rate_b, w_b = _shrink(own_b, np.nanmean(births, axis=1) * 3, group_b, shrinkage, 0.0)
    use_births = np.isfinite(f_birth)

    # which rate drives the entries (births or the 0-2 band), then the user's overrides
    own_commune = np.where(use_births, own_b, own02)
    group_rate = np.where(use_births, group_b, group02)
    weight = np.where(use_births, w_b, w02)
    rate = np.clip(np.where(use_births, rate_b, rate02), *GROWTH_BOUNDS)
    origin = np.where(weight >= 0.5, "commune", "EPCI").astype(object)
    user_rate, user_origin = _parse_overrides(growth, communes, epci)
    overridden = np.isfinite(user_rate)
    rate = np.where(overridden, user_rate, rate)
    origin = np.where(overridden, user_origin, origin)

    # migration factors of the cohort ageing (consecutive census years only)
    pairs = [j for j in range(len(census) - 1) if census[j + 1] - census[j] == 1]
    if pairs:
        j0, j1 = np.array(pairs), np.array(pairs) + 1
        num35, den35 = p35[:, j1], p35[:, j0] * 2 / 3 + p02[:, j0] / 3
        num610, den610 = p610[:, j1], p610[:, j0] * 4 / 5 + p35[:, j0] / 3
        c35, _ = _shrink(
            _ratio_of_sums(num35, den35),
            np.nanmean(p35, axis=1),
            _grouped_ratio(num35, den35, groups),
            shrinkage,
            _overall_ratio(num35, den35),
        )
        c610, _ = _shrink(
            _ratio_of_sums(num610, den610),
            np.nanmean(p610, axis=1),
            _grouped_ratio(num610, den610, groups),
            shrinkage,
            _overall_ratio(num610, den610),
        )
        c35, c610 = np.clip(c35, *FACTOR_BOUNDS), np.clip(c610, *FACTOR_BOUNDS)
    else:
        c35 = c610 = np.ones(n)
        notes.append(
            "pas deux recensements consécutifs : vieillissement des cohortes sans facteur de "
            "migration (facteur 1)"
        )

    # projected births (observed where known, else trend from the last three years' mean)
    def births_at(y: int) -> np.ndarray:
        if not has_births:
            return np.zeros(n)
        last_b = b_years[-1]
        recent = births[:, -3:]
        base = np.nanmean(np.where(np.isfinite(recent), recent, np.nan), axis=1)
        trend = base * (1 + rate) ** (y - (last_b - 1))
        if y in b_years:
            observed = births[:, b_years.index(y)]
            return np.where(np.isfinite(observed), observed, trend)
        return trend

    out_years = list(range(census[0], max(end_year, last) + 1))
    result = {b: np.full((n, len(out_years)), np.nan) for b in BANDS}
    col = {y: i for i, y in enumerate(out_years)}
    observed_years = []
    for j, y in enumerate(census):
        observed_years.append(y)
        for b, m in zip(BANDS, (p02, p35, p610), strict=True):
            result[b][:, col[y]] = m[:, j]
    cur02, cur35, cur610 = p02[:, -1], p35[:, -1], p610[:, -1]
    for y in range(last + 1, end_year + 1):
        with_births = f_birth * (births_at(y - 1) + births_at(y - 2) + births_at(y - 3))
        new02 = np.where(use_births, with_births, cur02 * (1 + rate))
        new35 = c35 * (cur35 * 2 / 3 + cur02 / 3)
        new610 = c610 * (cur610 * 4 / 5 + cur35 / 3)
        cur02, cur35, cur610 = new02, new35, new610
        for b, v in zip(BANDS, (cur02, cur35, cur610), strict=True):
            result[b][:, col[y]] = v
    for b in BANDS:
        frame = pd.DataFrame(result[b], index=communes, columns=out_years)
        missing = [y for y in out_years if y not in census and y <= last]
        if missing:
            frame = frame.T.interpolate(method="index", limit_area="inside").T
        result[b] = frame
    missing_last = ~np.isfinite(p02[:, -1])
    if missing_last.any():
        notes.append(
            f"{int(missing_last.sum())} commune(s) sans effectif de 0-2 ans au recensement "
            f"{last} : pas de projection"
        )

    hyp = pd.DataFrame(
        {
            "commune": communes,
            "epci": groups.to_numpy(),
            "methode_0_2": np.where(use_births, "naissances", "tendance"),
            "taux_commune": own_commune,
            "taux_epci": group_rate,
            "poids": weight,
            "taux_retenu": rate,
            "origine": origin,
            "facteur_3_5": c35,
            "facteur_6_10": c610,
            "facteur_naissances": f_birth,
        }
    )
    if keep is not None:
        present = set(communes)
        kept = [c for c in dict.fromkeys(keep) if c in present]
        result = {b: f.loc[kept] for b, f in result.items()}
        hyp = hyp[hyp["commune"].isin(kept)]
    hyp = hyp.reset_index(drop=True)
    methode = _method_text(
        census, int(hyp["methode_0_2"].eq("naissances").sum()), len(hyp), shrinkage, bool(overridden.any())
    )  # fmt: skip
    return Projection(result, observed_years, end_year, hyp, methode, notes)


def project_children(
    territory: Any,
    end_year: int,
    *,
    communes: Iterable[str] | None = None,
    growth: float | Mapping[str, float] | pd.Series | None = None,
    shrinkage: float = DEFAULT_SHRINKAGE,
) -> Projection:
    """Project children 0-2, 3-5 and 6-10 of a loaded territory's communes to `end_year`.

    `communes` restricts the output (the EPCI trends still use every commune of their EPCIs).
    `growth`: see :func:`project_history`.
    """
    geo_communes = territory.geography.communes
    epci = geo_communes.set_index("code")["epci"]
    obs = territory.observations
    obs = obs[obs["variable"].isin([*BANDS, BIRTHS])]
    keep = None
    if communes is not None:
        keep = list(dict.fromkeys(communes))
        groups = set(epci.reindex(keep).dropna())
        scope = set(epci.index[epci.isin(groups)]) | set(keep)
        if len(scope) < len(epci):  # filtering costs time: only when it removes communes
            obs = obs[obs["commune"].isin(scope)]
    return project_history(obs, epci, end_year, growth=growth, shrinkage=shrinkage, keep=keep)


# -- children under 3 on 1 January (denominator of the coverage rate) ---------------------------
UNDER3 = "enfants_0_2_estimes"
UNDER3_SOURCE = "Estimation des enfants de moins de 3 ans au 1er janvier"
UNDER3_METHOD = (
    "Taux de couverture : places d'accueil de décembre de l'année N pour 100 enfants de moins "
    "de 3 ans au 1er janvier N+1 (méthode de l'Onape, indicateur 1.4.1 du REPSS Famille), "
    "jamais les enfants d'un recensement plus ancien. Enfants au 1er janvier N+1, commune par "
    "commune : le recensement de cette date quand il est chargé ; sinon les naissances "
    "domiciliées des années N−2, N−1 et N (état civil), multipliées par un facteur propre à la "
    "commune qui corrige décès et migrations avant 3 ans (enfants de 0 à 2 ans des "
    "recensements rapportés aux naissances des trois années précédentes, rapproché du facteur "
    "de l'EPCI pour les petites communes, borné entre 0,7 et 1,3) ; sans naissances pour ces "
    "années, la tendance des derniers recensements ou des dernières naissances. Là où la Cnaf "
    "publie le taux (EPCI, communes de plus de 10 000 habitants, département, France), le taux "
    "publié est le chiffre affiché et le taux recalculé figure à côté ; on compare toujours un "
    "taux publié à des taux publiés et un taux recalculé à des taux recalculés."
)
METHOD_CENSUS = "recensement"
METHOD_BIRTHS = "naissances"
METHOD_TREND = "tendance"


def estimate_under3(
    history: pd.DataFrame,
    epci: pd.Series,
    years: Iterable[int],
    *,
    shrinkage: float = DEFAULT_SHRINKAGE,
) -> tuple[pd.DataFrame, LoadReport]:
    """Children aged 0-2 on 1 January of each of ``years``, per commune (Onape denominator).

    ``history``: long observations with ``pop_0_2`` (census, 1 January of ``annee``) and,
    when loaded, ``naissances`` (births of ``annee``); ``epci``: commune → EPCI code. Per
    commune and year Y: the census of year Y when published (statut ``publie``); otherwise
    the projection of :func:`project_history` (statut ``estime``): between two census years
    their interpolation, after the last one ``f × (B(Y-1) + B(Y-2) + B(Y-3))`` where the births
    are known, else the trend. Years before the first census get no value.

    Returns observations (``commune | annee | variable | valeur | statut``, variable
    :data:`UNDER3`) and a load report counting each method.
    """
    report = LoadReport(UNDER3_SOURCE, "")
    wanted = sorted({int(y) for y in years})
    bands = history[history["variable"] == BANDS[0]]
    if bands.empty or not wanted:
        report.note("aucun effectif d'enfants de 0 à 2 ans : pas d'estimation au 1er janvier")
        return _empty_obs(), report
    census = sorted({int(y) for y in bands["annee"]})
    wanted = [y for y in wanted if y >= census[0]]
    if not wanted:
        return _empty_obs(), report
    with warnings.catch_warnings():  # communes without births: NaN means, by design
        warnings.simplefilter("ignore", RuntimeWarning)
        proj = project_history(history, epci, max(max(wanted), census[-1]), shrinkage=shrinkage)
    values = proj.values[BANDS[0]].reindex(columns=wanted)
    communes = values.index
    observed = bands.pivot_table(index="commune", columns="annee", values="valeur", aggfunc="sum")
    observed = observed.reindex(index=communes, columns=wanted)
    is_census = observed.notna().to_numpy()
    # births known up to the year before Y (else the projected births follow the trend)
    births = history[(history["variable"] == BIRTHS) & history["valeur"].notna()]
    last_birth = births.groupby("commune")["annee"].max().reindex(communes).to_numpy(dtype=float)
    use_births = (
        proj.hypotheses.set_index("commune")["methode_0_2"].reindex(communes).eq("naissances")
    ).to_numpy()
    year_arr = np.array(wanted, dtype=float)[None, :]
    after = year_arr > census[-1]
    by_births = ~is_census & after & use_births[:, None] & (year_arr - 1 <= last_birth[:, None])
    grid = values.to_numpy(dtype=float)
    grid = np.where(is_census, observed.to_numpy(dtype=float), grid)
    method = np.where(is_census, METHOD_CENSUS, np.where(by_births, METHOD_BIRTHS, METHOD_TREND))
    frame = pd.DataFrame(
        {
            "commune": np.repeat(communes.to_numpy(dtype=str), len(wanted)),
            "annee": np.tile(np.array(wanted, dtype="int64"), len(communes)),
            "variable": UNDER3,
            "valeur": grid.reshape(-1),
            "statut": np.where(method.reshape(-1) == METHOD_CENSUS, "publie", "estime"),
            "_methode": method.reshape(-1),
        }
    )
    frame = frame[np.isfinite(frame["valeur"])]
    counts = frame.groupby(["annee", "_methode"]).size().unstack(fill_value=0)
    labels = {
        METHOD_CENSUS: "recensement",
        METHOD_BIRTHS: "naissances × facteur",
        METHOD_TREND: "tendance",
    }
    for year, row in counts.iterrows():
        parts = [f"{fmt_int(int(row[m]))} {labels[m]}" for m in labels if row.get(m, 0)]
        report.note(f"1er janvier {year} : " + ", ".join(parts) + " (communes).")
    report.rows_read = report.rows_kept = len(frame)
    out = frame.drop(columns="_methode").reset_index(drop=True)
    return out, report


def _empty_obs() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "commune": pd.Series([], dtype=str),
            "annee": pd.Series([], dtype="int64"),
            "variable": pd.Series([], dtype=str),
            "valeur": pd.Series([], dtype="float64"),
            "statut": pd.Series([], dtype=str),
        }
    )
