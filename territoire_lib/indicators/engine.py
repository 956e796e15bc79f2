"""The indicator engine: every catalogue indicator for every territory of a level, every year.

How it works (vectorised, no loop over communes or years):

1. the observations are laid out once per territory as dense arrays, one ``communes × years``
   array of values and one of statuses per variable (cached on the territory object);
2. for each indicator, commune by commune: numerator and denominator summed over their
   variables, the denominator taken at the aligned year (``recensement_au_plus_tard``: the
   latest year not after N; ``annee_suivante``: year N+1, the children on 1 January N+1 of
   the coverage rate), and the pairs where both exist (a commune whose numerator is
   secret leaves the denominator too, so a rate is never diluted by communes without data);
3. one sparse product ``membership (territories × communes) @ components`` sums the
   components of every territory at once, for every year — any level, overlapping
   perimeters included; then values, flags and masks are plain column arithmetic.

Output (:func:`compute`) — one row per indicator, territory and year with data:

``indicateur | niveau | territoire | annee | numerateur | denominateur | valeur | arrondi |
estime | couverture | masque | motif_masque | etiquette | peu_significatif |
motif_peu_significatif | secret | annee_denominateur | categorie``

* ``arrondi``: an input was rounded to 5 by the publisher (CAFDATA);
* ``estime``: share of the numerator resting on estimated commune values (places of small
  communes shared out from their EPCI);
* ``couverture``: share of the denominator of the territory resting on communes that have a
  numerator (taux), or share of the communes with a value (effectif);
* ``masque`` / ``motif_masque``: the value (and numerator) are NaN — the source did not
  publish it (its own statistical secrecy), the data are too partial, or the data are
  confidential and suppressed (:mod:`.masking`) — the reason is a French sentence;
* ``etiquette``: what is shown instead of a masked value: « secret » (the source's secret, or
  a complementary suppression), « < 5 » (a confidential count under the threshold), « n.d. »
  (too partial); empty when the value is shown;
* ``peu_significatif`` / ``motif_peu_significatif``: the value is shown but rests on a
  denominator (or numerator) under the catalogue's minimum (key ``fiabilite``): public data
  the publisher already spreads (Cafdata counts rounded to 5, Insee), flagged, never masked;
* ``secret``: some input of the territory is covered by secrecy;
* ``annee_denominateur``: the year of the denominator actually used (census year);
* ``categorie``: label of the SPPE band (type ``categorie``; ``valeur`` is then the band
  number, 0 for the first).

``indicateur``, ``niveau``, ``territoire``, ``motif_masque``, ``etiquette``,
``motif_peu_significatif`` and ``categorie`` are categorical columns.

Confidential data is suppressed as the last step of :func:`compute`, the one door through
which every figure leaves this layer (:mod:`.masking`): the same cells are hidden in
every output.

Layer « indicateurs »: imports socle (errors, geo); sources (sources.reading); its own layer
(indicators.catalogue, indicators.masking).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ..errors import TerritoireError
from ..geo import NO_EPCI, Geography
from ..sources.reading import STATUT_ARRONDI, STATUT_ESTIME, STATUT_PUBLIE, STATUT_SECRET
from . import masking as masks
from .catalogue import MUNICIPAL_POPULATION, Catalogue, Indicator, load_catalogue_full

LEVELS = ("commune", "epci", "departement", "region", "perimetre", "france")
OUTPUT_COLUMNS = [
    "indicateur",
    "niveau",
    "territoire",
    "annee",
    "numerateur",
    "denominateur",
    "valeur",
    "arrondi",
    "estime",
    "couverture",
    "masque",
    "motif_masque",
    "etiquette",
    "peu_significatif",
    "motif_peu_significatif",
    "secret",
    "annee_denominateur",
    "categorie",
]
_MISSING, _PUBLIE, _ARRONDI, _SECRET, _ESTIME = 0, 1, 2, 3, 4
STATUS_CODES = {STATUT_PUBLIE: _PUBLIE, STATUT_ARRONDI: _ARRONDI, STATUT_SECRET: _SECRET}
STATUS_CODES[STATUT_ESTIME] = _ESTIME
MOTIF_SECRET = "secret statistique : valeur non diffusée par la source"


class UnknownIndicatorError(TerritoireError):
    """An indicator id that is not in the catalogue."""


# -- the observation cube ---------------------------------------------------------------------
@dataclass
class _Cube:
    communes: pd.Index
    years: np.ndarray  # sorted int64
    values: dict[str, np.ndarray]  # variable → (communes, years) float64, NaN when missing
    status: dict[str, np.ndarray]  # variable → (communes, years) int8 status code
    present: dict[str, np.ndarray]  # variable → (years,) bool: a value or a secret exists


def _fingerprint(territory, catalogue: Catalogue) -> tuple:
    geo = territory.geography
    return (
        id(territory.observations),
        len(territory.observations),
        id(geo.communes),
        len(geo.communes),
        id(territory.zonages),
        tuple(sorted(geo.perimeters)),
        tuple((p.code, p.communes) for p in geo.perimeters.values()),
        tuple((k, tuple(v)) for k, v in sorted(_transfers(territory).items())),
        tuple(sorted(masks.confidential_variables(territory))),
        id(catalogue),
    )


def _transfers(territory) -> dict[str, list[str]]:
    """EPCI → communes that transferred the SPPE competence to it (manifest)."""
    return getattr(territory, "competences_sppe", None) or {}


def _cache(territory) -> dict:
    store = territory.__dict__.setdefault("_indicator_cache", {})
    return store


def cached(territory, key: tuple, build):
    """``build()``, computed once per territory state and ``key`` and kept on the territory
    (next to the indicator results; :func:`clear_cache` forgets it). For derived frames that
    every territory of a level shares, such as the needs index of a whole département."""
    full_key = ("derived", *key, _fingerprint(territory, load_catalogue_full()))
    store = _cache(territory)
    if full_key not in store:
        store[full_key] = build()
    return store[full_key]


def clear_cache(territory) -> None:
    """Forget the arrays and results cached on a territory (after editing it in place)."""
    territory.__dict__.pop("_indicator_cache", None)


def _observation_cube(territory, catalogue: Catalogue) -> _Cube:
    key = ("cube", _fingerprint(territory, catalogue))
    store = _cache(territory)
    if key in store:
        return store[key]
    for k in [k for k in store if k[0] == "cube"]:
        del store[k]  # one cube per territory: the previous one is stale
    cube = _build_cube(territory, catalogue)
    store[key] = cube
    return cube


def _needed_variables(catalogue: Catalogue) -> set[str]:
    names: set[str] = set()
    for ind in catalogue.indicators.values():
        names.update(ind.variables)
    for dv in catalogue.derived.values():
        names.add(dv.base)
    names.discard(MUNICIPAL_POPULATION)
    return {n for n in names if n not in catalogue.derived}


def _build_cube(territory, catalogue: Catalogue) -> _Cube:
    geo: Geography = territory.geography
    communes = pd.Index(geo.communes["code"].astype(str).to_numpy())
    obs = territory.observations
    # factorise the string columns of the whole frame (no copy of the strings), then keep
    # the rows of the variables the catalogue uses, by integer codes
    vcodes, vnames = pd.factorize(obs["variable"])
    needed = _needed_variables(catalogue)
    wanted = np.array([v in needed for v in vnames], dtype=bool)
    keep = wanted[vcodes] if len(vnames) else np.zeros(0, dtype=bool)
    ccodes, cnames = pd.factorize(obs["commune"])
    cmap = communes.get_indexer(pd.Index(cnames).astype(str)) if len(cnames) else ccodes
    ci = cmap[ccodes] if len(cnames) else ccodes
    del ccodes
    keep &= ci >= 0
    ci = ci[keep]
    vcodes = (np.cumsum(wanted) - 1)[vcodes[keep]]  # compact codes of the wanted variables
    vnames = vnames[wanted] if len(vnames) else vnames
    # (intermediate arrays are deleted as soon as possible: this runs on millions of rows)
    annee = obs["annee"].to_numpy(dtype="int64")[keep]
    years = np.sort(pd.unique(annee))  # (np.unique is slow on millions of rows)
    if years.size == 0:
        years = np.array([pd.Timestamp.today().year - 1], dtype="int64")
    years = years.astype("int64")
    n_c, n_y = len(communes), len(years)
    yi = np.searchsorted(years, annee)
    scodes, snames = pd.factorize(obs["statut"])
    smap = np.array([STATUS_CODES.get(s, _PUBLIE) for s in snames], dtype="int8")
    st = smap[scodes[keep]] if len(snames) else np.zeros(len(annee), dtype="int8")
    del scodes
    vals = obs["valeur"].to_numpy(dtype="float64")[keep]
    del keep, annee
    flat = (vcodes.astype("int64") * n_c + ci) * n_y + yi
    del vcodes, ci, yi
    size = len(vnames) * n_c * n_y
    values = np.full(size, np.nan)
    status = np.zeros(size, dtype="int8")
    # duplicate check without a full count: write each row's position, read it back
    position = np.full(size, -1, dtype="int64" if len(flat) >= 2**31 else "int32")
    order = np.arange(len(flat), dtype=position.dtype)
    position[flat] = order
    duplicated = bool((position[flat] != order).any())
    del position, order
    if not duplicated:
        values[flat] = vals
        status[flat] = st
    else:  # duplicated observations are summed, as Territory.wide does
        sums = np.bincount(flat, weights=np.nan_to_num(vals), minlength=size)
        present = np.bincount(flat[~np.isnan(vals)], minlength=size)
        values = np.where(present > 0, sums, np.nan)
        np.maximum.at(status, flat, st)
    values = values.reshape(len(vnames), n_c, n_y)
    status = status.reshape(len(vnames), n_c, n_y)
    cube = _Cube(communes, years, {}, {}, {})
    for i, name in enumerate(vnames):
        cube.values[name] = values[i]
        cube.status[name] = status[i]
        cube.present[name] = (~np.isnan(values[i]) | (status[i] == _SECRET)).any(axis=0)
    # municipal population of the geography: one vintage, placed on the last year
    pop = pd.to_numeric(geo.communes["population"], errors="coerce").to_numpy(dtype="float64")
    pm = np.full((n_c, n_y), np.nan)
    pm[:, -1] = pop
    cube.values[MUNICIPAL_POPULATION] = pm
    cube.status[MUNICIPAL_POPULATION] = np.where(np.isnan(pm), _MISSING, _PUBLIE).astype("int8")
    cube.present[MUNICIPAL_POPULATION] = ~np.isnan(pm).all(axis=0)
    _add_derived(cube, territory, catalogue)
    return cube


def _zonage_loaded(territory, kind: str) -> bool:
    sources = [r.source for r in (territory.reports or [])]
    zon = territory.zonages
    if kind == "qpv":
        return (
            any(s.startswith("Quartiers prioritaires") for s in sources)
            or len(territory.qpv) > 0
            or ("qpv" in zon and (pd.to_numeric(zon["qpv"], errors="coerce") > 0).any())
        )
    return any(s == "Zonage FRR" for s in sources) or (
        "frr" in zon and zon["frr"].isin(["frr", "frr_plus", "beneficiaire"]).any()
    )


def _add_derived(cube: _Cube, territory, catalogue: Catalogue) -> None:
    zon = territory.zonages
    zon = zon.set_index(zon["commune"].astype(str)) if len(zon) else None
    for dv in catalogue.derived.values():
        if dv.base not in cube.values:
            continue
        if dv.zonage is not None:
            if (
                zon is None
                or dv.zonage not in zon.columns
                or not _zonage_loaded(territory, dv.zonage)
            ):
                continue
            col = zon[dv.zonage].reindex(cube.communes)
            if dv.zonage == "qpv":
                cond = pd.to_numeric(col, errors="coerce").fillna(0).to_numpy() > 0
            else:
                cond = col.isin(dv.classements).to_numpy()
        else:
            strata = catalogue.strata["sppe"]
            for st in catalogue.strata.values():
                if dv.stratum_min in [s.code for s in st.strata]:
                    strata = st
            # the commune's latest population (a population légale has one millésime)
            pop, _ = _latest(cube.values[dv.base], len(cube.years) - 1)
            band = np.searchsorted(np.array(strata.thresholds()), pop, side="left")
            cond = (band >= strata.index_of(str(dv.stratum_min))) & ~np.isnan(pop)
        base = cube.values[dv.base]
        chosen = np.ones_like(base) if dv.indicator else base
        cube.values[dv.name] = np.where(np.isnan(base), np.nan, np.where(cond[:, None], chosen, 0))
        cube.status[dv.name] = cube.status[dv.base]
        cube.present[dv.name] = cube.present[dv.base]


# -- membership -------------------------------------------------------------------------------
def _membership(geo: Geography, level: str, communes: pd.Index):
    """Territory codes, sparse membership matrix (None for communes) and member counts."""
    from scipy import sparse

    if level == "commune":
        return communes.to_numpy(dtype=object), None, np.ones(len(communes))
    link = geo.membership(level)
    if level == "epci":
        link = link[link["territoire"] != NO_EPCI]
    ci = communes.get_indexer(link["commune"].astype(str))
    ok = ci >= 0
    tcodes, tnames = pd.factorize(link["territoire"].astype(str).to_numpy()[ok], sort=True)
    matrix = sparse.csr_matrix(
        (np.ones(ok.sum()), (tcodes, ci[ok])), shape=(len(tnames), len(communes))
    )
    members = np.asarray(matrix.sum(axis=1)).ravel()
    return np.asarray(tnames, dtype=object), matrix, members


def _aggregate(matrix, components: np.ndarray) -> np.ndarray:
    """Sum (communes, k, years) components to (territories, k, years)."""
    if matrix is None:
        return components
    n_c, k, n_y = components.shape
    out = matrix @ components.reshape(n_c, k * n_y)
    return np.asarray(out).reshape(matrix.shape[0], k, n_y)


# -- terms ------------------------------------------------------------------------------------
def _year_map(years: np.ndarray, present: np.ndarray, alignment: str) -> np.ndarray:
    """For each year index, the year index of the denominator (-1: none)."""
    if alignment == "annee_suivante":
        nxt = np.clip(np.searchsorted(years, years + 1), 0, len(years) - 1)
        ok = (years[nxt] == years + 1) & present[nxt]
        return np.where(ok, nxt, -1)
    idx = np.flatnonzero(present)
    if alignment == "meme_annee" or idx.size == 0:
        return np.where(present, np.arange(len(years)), -1)
    pos = np.searchsorted(years[idx], years, side="right") - 1
    return idx[np.clip(pos, 0, idx.size - 1)]


def _term(cube: _Cube, variables: tuple[str, ...], year_map: np.ndarray | None = None):
    """Commune-level sum of a term: total, present, estimated part, rounded, secret."""
    vals, sts = [], []
    for v in variables:
        a, s = cube.values[v], cube.status[v]
        if year_map is not None:
            safe = np.where(year_map < 0, 0, year_map)
            a, s = a[:, safe], s[:, safe]
            if (year_map < 0).any():
                a = np.where(year_map[None, :] < 0, np.nan, a)
                s = np.where(year_map[None, :] < 0, _MISSING, s)
        vals.append(a)
        sts.append(s)
    if len(vals) == 1:
        total, status = vals[0], sts[0][None]
        present = ~np.isnan(total)
        stacked = total[None]
    else:
        stacked, status = np.stack(vals), np.stack(sts)
        present = ~np.isnan(stacked).all(axis=0)
        total = np.where(present, np.nansum(stacked, axis=0), np.nan)
    estimated = np.where(status == _ESTIME, np.nan_to_num(stacked), 0.0).sum(axis=0)
    rounded = (status == _ARRONDI).any(axis=0)
    secret = (status == _SECRET).any(axis=0)
    return total, present, estimated, rounded, secret


def available(ind: Indicator, cube: _Cube) -> bool:
    return all(v in cube.values for v in ind.variables)


def _present_years(cube: _Cube, variables: tuple[str, ...]) -> np.ndarray:
    out = np.ones(len(cube.years), dtype=bool)
    for v in variables:
        out &= cube.present[v]
    return out


# -- one indicator ----------------------------------------------------------------------------
def _indicator_rows(
    ind: Indicator,
    cube: _Cube,
    matrix,
    members: np.ndarray,
    year_ok: np.ndarray,
    strata,
) -> dict[str, np.ndarray] | None:
    years = cube.years
    if ind.type == "categorie":
        return _category_rows(ind, cube, matrix, year_ok, strata)
    n_tot, n_pres, n_est, n_r, n_s = _term(cube, ind.numerator.variables)
    den_year = None
    if ind.type == "taux":
        den = ind.denominator
        ymap = _year_map(years, _present_years(cube, den.variables), den.alignment)
        d_tot, d_pres, _, d_r, d_s = _term(cube, den.variables, ymap)
        pair = n_pres & d_pres
        comps = np.stack(
            [
                np.where(pair, n_tot, 0.0),
                np.where(pair, d_tot, 0.0),
                np.where(d_pres, d_tot, 0.0),
                pair,
                np.where(pair, n_est, 0.0),
                (n_r | d_r) & pair,
                n_s | d_s,
            ],
            axis=1,
            dtype="float64",
        )
        den_year = np.where(ymap >= 0, years[np.clip(ymap, 0, None)], -1)
    else:
        comps = np.stack(
            [
                np.where(n_pres, n_tot, 0.0),
                n_pres,
                np.where(n_pres, n_est, 0.0),
                n_r & n_pres,
                n_s,
            ],
            axis=1,
            dtype="float64",
        )
    agg = _aggregate(matrix, comps)
    if ind.type == "taux":
        n, d, dall, cnt, e, r, s = (agg[:, i] for i in range(7))
    else:
        n, cnt, e, r, s = (agg[:, i] for i in range(5))
        d = dall = None
    keep = ((cnt > 0) | (s > 0)) & year_ok[None, :]
    tt, yy = np.nonzero(keep)
    n, cnt, e, r, s = n[tt, yy], cnt[tt, yy], e[tt, yy], r[tt, yy], s[tt, yy]
    has = cnt > 0
    with np.errstate(divide="ignore", invalid="ignore"):
        num = np.where(has, n, np.nan)
        if ind.type == "taux":
            d, dall = d[tt, yy], dall[tt, yy]
            den_v = np.where(has, d, np.nan)
            value = np.where(has & (d > 0), n / d * ind.multiplier, np.nan)
            coverage = np.where(dall > 0, d / dall, np.where(has, 1.0, 0.0))
        else:
            den_v = np.full(len(tt), np.nan)
            value = num.copy()
            coverage = cnt / members[tt]
        estimated = np.where(has & (n > 0), e / n, 0.0) if ind.flag_estimated else 0.0 * n
    rule = ind.secrecy
    motif = np.zeros(len(tt), dtype="int8")
    motif[~has & (s > 0)] = 1
    if rule.coverage_min > 0:
        motif[(motif == 0) & (coverage < rule.coverage_min)] = 4
    masked = motif > 0
    value[masked] = np.nan
    num[masked] = np.nan
    # a small denominator or numerator: the value is shown, flagged « peu significatif »
    fragile = np.zeros(len(tt), dtype="int8")
    if ind.type == "taux" and rule.denominator_min > 0:
        fragile[~masked & (den_v < rule.denominator_min)] = 2
    if rule.numerator_min > 0:
        fragile[(fragile == 0) & ~masked & (num < rule.numerator_min)] = 3
    out = {
        "t": tt,
        "annee": years[yy],
        "numerateur": num,
        "denominateur": den_v,
        "valeur": value,
        "arrondi": r > 0,
        "estime": np.asarray(estimated, dtype="float64"),
        "couverture": coverage,
        "masque": masked,
        "motif": motif,
        "fragile": fragile,
        "secret": s > 0,
        "annee_denominateur": den_year[yy] if den_year is not None else np.full(len(tt), -1),
        "categorie": np.full(len(tt), -1, dtype="int64"),
    }
    return out


def _latest(values: np.ndarray, upto: int) -> tuple[np.ndarray, np.ndarray]:
    """Per commune, the latest non-missing value at a year index ≤ ``upto`` and that index
    (-1 and NaN when none)."""
    part = values[:, : upto + 1]
    ok = ~np.isnan(part)
    idx = np.where(ok.any(axis=1), part.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1), -1)
    val = np.where(idx >= 0, part[np.arange(len(part)), np.clip(idx, 0, None)], np.nan)
    return val, idx


def _transfer_matrix(territory, level: str, codes: np.ndarray, matrix, communes: pd.Index):
    """Membership for the SPPE band of EPCIs: an EPCI to which communes transferred the
    competence (manifest « competence_sppe ») counts only those communes (art. L. 214-1-3
    CASF); the other EPCIs keep all their communes."""
    transfers = _transfers(territory)
    if level != "epci" or matrix is None or not transfers:
        return matrix
    from scipy import sparse

    coo = matrix.tocoo()
    epci = np.asarray(codes, dtype=object)[coo.row].astype(str)
    commune = communes.to_numpy(dtype=object)[coo.col].astype(str)
    pairs = pd.MultiIndex.from_arrays([epci, commune])
    allowed = pd.MultiIndex.from_tuples([(e, c) for e, cs in transfers.items() for c in cs])
    keep = ~pd.Index(epci).isin(list(transfers)) | pairs.isin(allowed)
    return sparse.csr_matrix((coo.data[keep], (coo.row[keep], coo.col[keep])), shape=matrix.shape)


def _category_rows(ind, cube, matrix, year_ok, strata) -> dict[str, np.ndarray] | None:
    years = cube.years
    last = np.flatnonzero(year_ok)
    if last.size == 0:
        return None
    base = cube.values[ind.numerator.variables[0]]
    col, idx = _latest(base, last[-1])
    if not (idx >= 0).any():
        return None
    yi = int(idx.max())  # the year of the data (a population légale: its millésime)
    comps = np.stack([np.nan_to_num(col), ~np.isnan(col)], axis=1)[:, :, None].astype("float64")
    agg = _aggregate(matrix, comps)[:, :, 0]
    tt = np.flatnonzero(agg[:, 1] > 0)
    pop = agg[tt, 0]
    band = np.searchsorted(np.array(strata.thresholds()), pop, side="left")
    n = len(tt)
    return {
        "t": tt,
        "annee": np.full(n, years[yi]),
        "numerateur": pop,
        "denominateur": np.full(n, np.nan),
        "valeur": band.astype("float64"),
        "arrondi": np.zeros(n, dtype=bool),
        "estime": np.zeros(n),
        "couverture": np.ones(n),
        "masque": np.zeros(n, dtype=bool),
        "motif": np.zeros(n, dtype="int8"),
        "fragile": np.zeros(n, dtype="int8"),
        "secret": np.zeros(n, dtype=bool),
        "annee_denominateur": np.full(n, -1),
        "categorie": band.astype("int64"),
    }


# -- public API -------------------------------------------------------------------------------
def _select(catalogue: Catalogue, indicators) -> list[Indicator]:
    if indicators is None:
        return list(catalogue.indicators.values())
    if isinstance(indicators, str):
        indicators = [indicators]
    unknown = [i for i in indicators if i not in catalogue.indicators]
    if unknown:
        raise UnknownIndicatorError(
            f"Indicateur inconnu : « {unknown[0]} ». Indicateurs du catalogue : "
            + ", ".join(catalogue.indicators)
            + "."
        )
    return [catalogue.indicators[i] for i in indicators]


def _empty() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "indicateur": pd.Categorical([]),
            "niveau": pd.Categorical([]),
            "territoire": pd.Categorical([]),
            "annee": pd.Series([], dtype="int64"),
            "numerateur": pd.Series([], dtype="float64"),
            "denominateur": pd.Series([], dtype="float64"),
            "valeur": pd.Series([], dtype="float64"),
            "arrondi": pd.Series([], dtype=bool),
            "estime": pd.Series([], dtype="float64"),
            "couverture": pd.Series([], dtype="float64"),
            "masque": pd.Series([], dtype=bool),
            "motif_masque": pd.Categorical([]),
            "etiquette": pd.Categorical([]),
            "peu_significatif": pd.Series([], dtype=bool),
            "motif_peu_significatif": pd.Categorical([]),
            "secret": pd.Series([], dtype=bool),
            "annee_denominateur": pd.Series([], dtype="Int64"),
            "categorie": pd.Categorical([]),
        }
    )


def compute(
    territory,
    level: str,
    indicators: list[str] | str | None = None,
    years: list[int] | None = None,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """Every indicator (or those named) for every territory of ``level`` and every year.

    ``level``: commune, epci, departement, region, perimetre (every perimeter of the
    geography) or france (the whole loaded area, code ``FR``). ``years`` keeps only those
    numerator years. Indicators whose variables are not loaded are skipped (no error).
    Results are cached on the territory (a shallow copy is returned: with pandas
    copy-on-write, editing it never alters the cache). Columns: see the module docstring.
    """
    if level not in LEVELS:
        raise TerritoireError(
            f"Niveau inconnu : « {level} ». Niveaux possibles : {', '.join(LEVELS)}."
        )
    cat = catalogue or load_catalogue_full()
    chosen = _select(cat, indicators)
    ykey = None if years is None else tuple(sorted(int(y) for y in years))
    key = ("result", level, tuple(i.id for i in chosen), ykey, _fingerprint(territory, cat))
    store = _cache(territory)
    if key in store:
        return store[key].copy(deep=False)  # copy-on-write: the cached frame stays intact
    cube = _observation_cube(territory, cat)
    conf = masks.confidential_set(territory, cat)
    codes, matrix, members = _membership(territory.geography, level, cube.communes)
    year_ok = np.ones(len(cube.years), dtype=bool) if ykey is None else np.isin(cube.years, ykey)
    parts, motifs, ind_codes = [], [""], []
    motif_index = {"": 0}
    categories: list[str] = []
    category_index: dict[str, int] = {}
    for pos, ind in enumerate(chosen):
        if not available(ind, cube) or len(codes) == 0:
            continue
        strata = cat.strata.get(ind.strata) if ind.strata else None
        used = matrix
        if ind.type == "categorie":
            used = _transfer_matrix(territory, level, codes, matrix, cube.communes)
        rows = _indicator_rows(ind, cube, used, members, year_ok, strata)
        if rows is None or len(rows["t"]) == 0:
            continue
        if masks.is_confidential(ind, conf):  # suppressed here, for every output alike
            values_of = lambda v, c=cube: _term(c, v)[0]  # noqa: E731
            masks.suppress_rows(rows, ind, level, codes, territory, cube, values_of, conf)
        rows["etiquette"] = masks.LABEL_CODES[rows["motif"]]
        texts = masks.motifs(ind)
        remap = np.zeros(len(texts), dtype="int32")
        used = np.bincount(rows["motif"], minlength=len(texts)) > 0
        used |= np.bincount(rows["fragile"], minlength=len(texts)) > 0
        for i, text in enumerate(texts):
            if not used[i]:
                continue
            if text not in motif_index:
                motif_index[text] = len(motifs)
                motifs.append(text)
            remap[i] = motif_index[text]
        rows["motif"] = remap[rows["motif"]]
        rows["fragile"] = remap[rows["fragile"]]
        if ind.type == "categorie":
            local = np.zeros(len(strata.strata), dtype="int64")
            for i, stratum in enumerate(strata.strata):
                if stratum.label not in category_index:
                    category_index[stratum.label] = len(categories)
                    categories.append(stratum.label)
                local[i] = category_index[stratum.label]
            rows["categorie"] = local[rows["categorie"]]
        parts.append(rows)
        ind_codes.append(np.full(len(rows["t"]), pos, dtype="int32"))
    out = (
        _empty()
        if not parts
        else _frame(parts, ind_codes, chosen, level, codes, motifs, categories)
    )
    store[key] = out
    # keep memory bounded: at most 12 cached result frames per territory
    results = [k for k in store if k[0] == "result"]
    for k in results[:-12]:
        del store[k]
    return out.copy(deep=False)


FLOAT_COLUMNS = ["numerateur", "denominateur", "valeur", "estime", "couverture"]


def _frame(parts, ind_codes, chosen, level, codes, motifs, categories) -> pd.DataFrame:
    """Assemble the output frame; the float columns form one block built in place (no copy)."""
    n = sum(len(p["t"]) for p in parts)

    def cat_(name):  # each part's column is released once copied: lower peak memory
        return np.concatenate([p.pop(name) for p in parts])

    floats = np.empty((len(FLOAT_COLUMNS), n))
    for i, name in enumerate(FLOAT_COLUMNS):
        np.concatenate([p.pop(name) for p in parts], out=floats[i])
    out = pd.DataFrame(floats.T, columns=FLOAT_COLUMNS, copy=False)
    den_year = cat_("annee_denominateur")
    columns = {
        "indicateur": pd.Categorical.from_codes(
            np.concatenate(ind_codes), categories=[i.id for i in chosen]
        ),
        "niveau": pd.Categorical.from_codes(np.zeros(n, dtype="int8"), categories=[level]),
        "territoire": pd.Categorical.from_codes(
            cat_("t"), categories=pd.Index(codes.astype(str), dtype=str)
        ),
        "annee": cat_("annee").astype("int64"),
        "arrondi": cat_("arrondi"),
        "masque": cat_("masque"),
        "motif_masque": pd.Categorical.from_codes(cat_("motif"), categories=motifs),
        "etiquette": pd.Categorical.from_codes(
            cat_("etiquette"), categories=list(masks.LABEL_TEXTS)
        ),
        "motif_peu_significatif": pd.Categorical.from_codes(cat_("fragile"), categories=motifs),
        "secret": cat_("secret"),
        "annee_denominateur": pd.arrays.IntegerArray(
            np.where(den_year < 0, 0, den_year).astype("int64"), den_year < 0
        ),
        "categorie": pd.Categorical.from_codes(cat_("categorie"), categories=categories),
    }
    columns["peu_significatif"] = columns["motif_peu_significatif"].codes > 0
    for pos, name in enumerate(OUTPUT_COLUMNS):
        if name in columns:
            out.insert(pos, name, columns[name])
    return out


def compute_all(
    territory,
    levels: tuple[str, ...] | None = None,
    indicators: list[str] | None = None,
    years: list[int] | None = None,
) -> pd.DataFrame:
    """:func:`compute` for several levels (all by default), concatenated."""
    levels = levels or LEVELS
    frames = [compute(territory, lv, indicators, years) for lv in levels]
    frames = [f for f in frames if len(f)]
    if not frames:
        return _empty()
    out = pd.concat(frames, ignore_index=True)
    for col in ("indicateur", "niveau", "territoire", "motif_masque", "etiquette"):
        out[col] = out[col].astype("category")
    out["motif_peu_significatif"] = out["motif_peu_significatif"].astype("category")
    return out


def available_indicators(territory, catalogue: Catalogue | None = None) -> dict[str, bool]:
    """Whether each indicator's variables are loaded (an absent variable is not an error)."""
    cat = catalogue or load_catalogue_full()
    cube = _observation_cube(territory, cat)
    return {i.id: available(i, cube) for i in cat.indicators.values()}


def missing_variables(territory, indicator: str, catalogue: Catalogue | None = None) -> list[str]:
    cat = catalogue or load_catalogue_full()
    cube = _observation_cube(territory, cat)
    return [v for v in cat.indicators[indicator].variables if v not in cube.values]


def evolutions(frame: pd.DataFrame, catalogue: Catalogue | None = None) -> pd.DataFrame:
    """First → last year with a shown value, per indicator and territory.

    Columns: indicateur, niveau, territoire, annee_debut, valeur_debut, annee_fin,
    valeur_fin, evolution (points for a rate, % for a count), evolution_unite.

    Years before a series break (``ruptures`` of the catalogue, e.g. Filosofi 1 → 2) are left
    out when the last year is after the break: an evolution never spans a break.
    """
    cat = catalogue or load_catalogue_full()
    ok = frame[~frame["masque"] & frame["valeur"].notna()]
    if "peu_significatif" in ok:  # no evolution from or to a value « peu significatif »
        ok = ok[~ok["peu_significatif"].astype(bool)]
    for ind in cat.indicators.values():
        if not ind.breaks:
            continue
        sel = ok["indicateur"] == ind.id
        if not sel.any():
            continue
        keys = ["niveau", "territoire"]
        last = ok.loc[sel].groupby(keys, observed=True)["annee"].transform("max")
        start = np.zeros(len(last), dtype="int64")
        for b in ind.breaks:
            start = np.where(last.to_numpy() >= b, b, start)
        drop = ok.loc[sel, "annee"].to_numpy() < start
        ok = ok.drop(index=ok.index[sel.to_numpy()][drop])
    ok = ok.sort_values("annee", kind="stable")
    keys = ["indicateur", "niveau", "territoire"]
    g = ok.groupby(keys, observed=True, sort=False)
    first = (
        g[["annee", "valeur"]]
        .first()
        .rename(columns={"annee": "annee_debut", "valeur": "valeur_debut"})
    )
    last = (
        g[["annee", "valeur"]].last().rename(columns={"annee": "annee_fin", "valeur": "valeur_fin"})
    )
    out = first.join(last).reset_index()
    kind = out["indicateur"].astype(str).map({i: x.type for i, x in cat.indicators.items()})
    diff = out["valeur_fin"] - out["valeur_debut"]
    with np.errstate(divide="ignore", invalid="ignore"):
        pct = 100 * (out["valeur_fin"] / out["valeur_debut"] - 1)
    pct = pct.where(out["valeur_debut"] != 0)
    out["evolution"] = np.where(kind == "taux", diff, np.where(kind == "effectif", pct, np.nan))
    out["evolution_unite"] = np.where(
        kind == "taux", "points", np.where(kind == "effectif", "%", "")
    )
    out.loc[out["annee_debut"] == out["annee_fin"], "evolution"] = math.nan
    return out
