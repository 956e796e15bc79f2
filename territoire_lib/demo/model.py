"""The model behind the demo files: communes on a grid, IRIS, populations, childcare places.

Owns :class:`DemoModel` and :func:`build_model` (public so tests can check the realism of what
the files publish), the age profiles, the SIREN of the fictional EPCIs and the jittered lattice
of shared polygon vertices. Everything is unrounded; the publisher modules round and format.

Layer « données » (demo.*): imports :mod:`.spec` and :mod:`.numbers`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from .numbers import _q, _rng
from .spec import (
    BIRTH_YEARS,
    CELL_DX,
    CELL_DY,
    CITY_CELL,
    CITY_IRIS,
    COMMUNE_NAMES,
    DEMO_DEPARTEMENT,
    DROPPED_CELLS,
    EPCI_SHORT,
    EPCI_SPECS,
    GRID_H,
    GRID_W,
    LAT0,
    LON0,
    MODEL_YEARS,
    PE_YEARS,
)

# fine RP age groups, in file order
AGE_GROUPS = ("0002", "0305", "0610", "1117", "1824", "2539", "4054", "5564", "6579", "80P")
AGE_BASE = np.array([3.0, 3.4, 6.0, 8.6, 7.5, 17.5, 19.5, 12.8, 15.2, 6.5]) / 100
AGE_KIND = {  # multipliers of AGE_BASE by kind of commune (the 0-2 share is set separately)
    "ville": [1.0, 1.05, 0.95, 0.9, 1.5, 1.25, 0.9, 0.85, 0.85, 0.95],
    "pole": [1.0, 1.1, 1.05, 1.0, 1.1, 1.1, 0.95, 0.9, 0.9, 0.95],
    "ca": [1.0, 1.05, 1.08, 1.05, 0.85, 0.95, 1.05, 1.02, 0.98, 0.9],
    "periurbain": [1.0, 1.1, 1.12, 1.08, 0.8, 1.0, 1.08, 0.98, 0.92, 0.8],
    "bourg": [1.0, 0.95, 0.95, 0.95, 0.9, 0.92, 0.98, 1.05, 1.1, 1.35],
    "rural": [1.0, 0.9, 0.95, 0.98, 0.8, 0.85, 1.0, 1.15, 1.2, 1.15],
}
AGE_AGING = np.array([0, -0.005, -0.004, -0.002, 0, -0.006, -0.004, 0.004, 0.012, 0.01])


def _luhn_siren(prefix8: str) -> str:
    """Complete an 8-digit prefix into a 9-digit SIREN with a valid Luhn key."""
    for key in "0123456789":
        digits = [int(c) for c in prefix8 + key]
        total = 0
        for pos, d in enumerate(reversed(digits)):
            if pos % 2 == 1:
                d *= 2
                d = d - 9 if d > 9 else d
            total += d
        if total % 10 == 0:
            return prefix8 + key
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class DemoModel:
    """Everything the files are written from (internal, unrounded values)."""

    communes: pd.DataFrame  # code, nom, epci, kind, cell x/y/w/h, poverty, coverage …
    epcis: pd.DataFrame  # code, nom, nature, nb_com
    units: pd.DataFrame  # IRIS rows: iris, commune, libiris, typ_iris, …
    population: pd.DataFrame  # iris × annee (MODEL_YEARS): pop and fine age groups
    commune_years: pd.DataFrame  # commune × annee (MODEL_YEARS): pop, pop_0_2, …
    places: pd.DataFrame  # commune × annee (PE_YEARS): theoretical places by mode (floats)
    births: pd.DataFrame  # commune × annee (BIRTH_YEARS): live births (integers)
    lattice: np.ndarray  # (2W+1, 2H+1, 2) lon/lat of the shared polygon vertices
    perimeters: dict[str, tuple[str, tuple[str, ...]]]


def _layout() -> pd.DataFrame:
    """Grid cells → communes, EPCI blocks (CA core, periurban ring, three rural sectors)."""
    xs, ys = np.meshgrid(np.arange(GRID_W), np.arange(GRID_H), indexing="xy")
    cells = pd.DataFrame({"x": xs.ravel(), "y": ys.ravel()})
    dropped = pd.MultiIndex.from_tuples(DROPPED_CELLS)
    keyed = pd.MultiIndex.from_frame(cells[["x", "y"]])
    cells = cells[~keyed.isin(dropped)]
    cx0, cy0 = CITY_CELL
    in_city = cells["x"].between(cx0, cx0 + 1) & cells["y"].between(cy0, cy0 + 1)
    cells = cells[~in_city].assign(w=1, h=1)
    city = pd.DataFrame({"x": [cx0], "y": [cy0], "w": [2], "h": [2]})
    cells = pd.concat([city, cells], ignore_index=True)
    # exact geometry of the ordering: centres are half-integers, squared distances exact;
    # distances from the centre of the grid (which keeps every EPCI contiguous)
    ccx, ccy = GRID_W / 2, GRID_H / 2
    dx = cells["x"] + cells["w"] / 2 - ccx
    dy = cells["y"] + cells["h"] / 2 - ccy
    cells["d2"] = dx * dx + dy * dy
    cells["angle"] = _diamond_angle(dy.to_numpy(), dx.to_numpy())
    cells["is_city"] = cells.index == 0
    n_ca, n_peri = EPCI_SPECS[0][2], EPCI_SPECS[1][2]
    order = cells.sort_values(["is_city", "d2", "angle"], ascending=[False, True, True])
    order = order.assign(rank=np.arange(len(order)))
    order["epci_idx"] = np.select(
        [order["rank"] < n_ca, order["rank"] < n_ca + n_peri], [0, 1], default=-1
    )
    outer = order[order["epci_idx"] < 0].copy()
    outer["sector_angle"] = (outer["angle"] + 0.35) % 4.0  # start the sectors at the north-east
    outer = outer.sort_values(["sector_angle", "d2"])
    outer["epci_idx"] = 2 + np.arange(len(outer)) // EPCI_SPECS[2][2]
    order.loc[outer.index, "epci_idx"] = outer["epci_idx"]
    # main commune of each block: the city, the nearest periurban cell, the cell of each rural
    # sector nearest to the sector's centre
    cx = order["x"] + order["w"] / 2
    cy = order["y"] + order["h"] / 2
    mx = cx.groupby(order["epci_idx"]).transform("mean")
    my = cy.groupby(order["epci_idx"]).transform("mean")
    order["d2_sector"] = (cx - mx) ** 2 + (cy - my) ** 2
    order["main_key"] = np.where(order["epci_idx"] >= 2, order["d2_sector"], 0.0)
    order = order.sort_values(["epci_idx", "main_key", "d2", "angle"]).reset_index(drop=True)
    order["is_main"] = ~order["epci_idx"].duplicated()
    order["code"] = [f"{DEMO_DEPARTEMENT}{i + 1:03d}" for i in range(len(order))]
    order["nom"] = list(COMMUNE_NAMES)
    sirens = [_luhn_siren(f"2960000{i + 1}") for i in range(len(EPCI_SPECS))]
    order["epci"] = [sirens[i] for i in order["epci_idx"]]
    # kinds: the city; its neighbour (2nd commune of the CA) and the periurban main town are
    # the two other communes over 10,000 inhabitants
    kind = np.select(
        [order["epci_idx"] == 0, order["epci_idx"] == 1], ["ca", "periurbain"], default="rural"
    ).astype(object)
    kind[(order["epci_idx"] >= 2) & order["is_main"]] = "bourg"
    kind[0] = "ville"
    kind[1] = "pole"
    kind[order.index[(order["epci_idx"] == 1) & order["is_main"]][0]] = "pole"
    order["kind"] = kind
    return order[["code", "nom", "epci", "epci_idx", "kind", "x", "y", "w", "h", "d2", "angle"]]


def _diamond_angle(dy: np.ndarray, dx: np.ndarray) -> np.ndarray:
    """A monotone substitute for atan2 in [0, 4), exact for collinear points (no libm)."""
    s = np.abs(dx) + np.abs(dy)
    s = np.where(s == 0, 1.0, s)
    return np.where(
        dy >= 0,
        np.where(dx >= 0, dy / s, 1 - dx / s),
        np.where(dx < 0, 2 - dy / s, 3 + dx / s),
    )


def _lattice() -> np.ndarray:
    """Jittered half-cell lattice of shared vertices, lon/lat rounded to 5 decimals."""
    rng = _rng(1)
    nx, ny = 2 * GRID_W + 1, 2 * GRID_H + 1
    jitter = _q(rng.uniform(-0.3, 0.3, size=(nx, ny, 2)), 6)
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny), indexing="ij")
    lon = LON0 + (ix + jitter[..., 0]) * (CELL_DX / 2)
    lat = LAT0 + (iy + jitter[..., 1]) * (CELL_DY / 2)
    return np.stack([np.round(lon, 5), np.round(lat, 5)], axis=-1)


def _populations(communes: pd.DataFrame) -> pd.DataFrame:
    """2021 population, yearly growth, under-3 share and its trend, poverty per commune."""
    rng = _rng(2)
    n = len(communes)
    kind = communes["kind"].to_numpy()
    d = np.sqrt(communes["d2"].to_numpy())
    draws = {
        "ca": _q(rng.lognormal(np.log(2300), 0.55, n)),
        "periurbain": _q(rng.lognormal(np.log(1150), 0.6, n)),
        "bourg": _q(rng.uniform(2800, 4800, n)),
        "rural": _q(rng.lognormal(0.0, 0.7, n)),
    }
    rural_median = _q(420 * np.exp(-0.12 * (d - 5)))
    pop = np.select(
        [kind == "ca", kind == "periurbain", kind == "bourg", kind == "rural"],
        [
            np.clip(draws["ca"], 700, 6500),
            np.clip(draws["periurbain"], 280, 4200),
            draws["bourg"],
            np.clip(draws["rural"] * rural_median, 60, 1900),
        ],
        default=0.0,
    )
    pop[0] = 50_480.0 + _q(rng.uniform(-300, 300))
    poles = np.flatnonzero(kind == "pole")
    pop[poles] = _q(rng.uniform([12_500, 10_700], [13_000, 11_200]))
    growth_mean = {"ville": -0.002, "pole": 0.003, "ca": 0.006, "periurbain": 0.009,
                   "bourg": -0.002, "rural": -0.004}  # fmt: skip
    growth_sd = {"ville": 0.002, "pole": 0.002, "ca": 0.004, "periurbain": 0.005,
                 "bourg": 0.003, "rural": 0.006}  # fmt: skip
    growth = _q(
        np.array([growth_mean[k] for k in kind])
        + rng.normal(0, 1, n) * np.array([growth_sd[k] for k in kind])
    )
    s0_mean = {"ville": 3.3, "pole": 3.4, "ca": 3.0, "periurbain": 3.3, "bourg": 2.9,
               "rural": 2.6}  # fmt: skip
    s0 = _q(np.clip(np.array([s0_mean[k] for k in kind]) + rng.normal(0, 0.25, n), 2.3, 3.8))
    s0_trend = _q(np.clip(rng.normal(-0.04, 0.04, n), -0.12, 0.06))
    pov_mean = {"ville": 24.5, "pole": 19.0, "ca": 10.5, "periurbain": 9.5, "bourg": 15.5,
                "rural": 14.0}  # fmt: skip
    pov_sd = {"ville": 0.0, "pole": 0.8, "ca": 2.0, "periurbain": 1.5, "bourg": 1.5,
              "rural": 3.0}  # fmt: skip
    poverty = _q(
        np.clip(
            np.array([pov_mean[k] for k in kind])
            + rng.normal(0, 1, n) * np.array([pov_sd[k] for k in kind]),
            8.2,
            29.5,
        ),
        6,
    )
    return communes.assign(
        pop21=_q(pop, 6), growth=growth, s0=s0, s0_trend=s0_trend, poverty=poverty
    )


def _units(communes: pd.DataFrame) -> pd.DataFrame:
    """IRIS: the city in CITY_IRIS, every other commune as one pseudo-IRIS <COM>0000."""
    rng = _rng(3)
    city = communes.iloc[0]
    weights = np.array([w for *_, w, _ in CITY_IRIS])
    weights = _q(weights * _q(rng.uniform(0.95, 1.05, len(weights))))
    weights = _q(weights / weights.sum())
    qpv = np.array([q for *_, q in CITY_IRIS])
    city_units = pd.DataFrame(
        {
            "iris": [city["code"] + s for s, *_ in CITY_IRIS],
            "commune": city["code"],
            "libiris": [name for _, name, *_ in CITY_IRIS],
            "typ_iris": [t for _, _, t, *_ in CITY_IRIS],
            "grd_quart": [city["code"] + s[:2] for s, *_ in CITY_IRIS],
            "triris": [f"{DEMO_DEPARTEMENT}{int(s[:2]):04d}" for s, *_ in CITY_IRIS],
            "lab_iris": "1",
            "pop21": _q(city["pop21"] * weights, 6),
            "growth": _q(city["growth"] + rng.normal(0, 0.003, len(weights))),
            "s0": _q(city["s0"] + np.where(qpv, 0.7, -0.3) + rng.normal(0, 0.1, len(weights))),
            "s0_trend": city["s0_trend"],
            "kind": "ville",
            "qpv": qpv,
        }
    )
    others = communes.iloc[1:]
    other_units = pd.DataFrame(
        {
            "iris": others["code"] + "0000",
            "commune": others["code"],
            "libiris": others["nom"],
            "typ_iris": "Z",
            "grd_quart": others["code"] + "00",
            "triris": "ZZZZZZ",
            "lab_iris": "5",
            "pop21": others["pop21"],
            "growth": others["growth"],
            "s0": others["s0"],
            "s0_trend": others["s0_trend"],
            "kind": others["kind"],
            "qpv": False,
        }
    )
    units = pd.concat([city_units, other_units], ignore_index=True)
    units["s0"] = np.clip(units["s0"], 2.3, 3.9)
    return units


def _population(units: pd.DataFrame) -> pd.DataFrame:
    """Population by fine age group for every IRIS and model year (vectorised)."""
    rng = _rng(4)
    n, years = len(units), np.array(MODEL_YEARS)
    k = years - 2021  # (Y,)
    # population: (1 + g) ** k, quantised
    pop = _q(units["pop21"].to_numpy()[:, None] * (1 + units["growth"].to_numpy()[:, None]) ** k)
    # age profile: kind multipliers × noise, aging trend, then the 0-2 share forced
    kind_mult = np.array([AGE_KIND[kd] for kd in units["kind"]])  # (U, 10)
    noise = _q(rng.lognormal(0.0, 0.06, size=(n, 10)))
    profile = AGE_BASE * kind_mult * noise  # (U, 10)
    profile = profile[:, None, :] * (1 + AGE_AGING[None, None, :] * k[None, :, None])
    s0 = (
        np.clip(
            units["s0"].to_numpy()[:, None] + units["s0_trend"].to_numpy()[:, None] * k, 2.1, 3.9
        )
        / 100
    )  # (U, Y)
    rest = profile[..., 1:]
    rest = rest / rest.sum(axis=-1, keepdims=True) * (1 - s0)[..., None]
    shares = _q(np.concatenate([s0[..., None], rest], axis=-1))
    counts = _q(pop[..., None] * shares, 6)  # (U, Y, 10)
    frame = pd.DataFrame(
        {
            "iris": np.repeat(units["iris"].to_numpy(), len(years)),
            "commune": np.repeat(units["commune"].to_numpy(), len(years)),
            "annee": np.tile(years, n),
        }
    )
    fine = counts.reshape(-1, 10)
    for j, g in enumerate(AGE_GROUPS):
        frame[g] = fine[:, j]
    frame["pop"] = _q(fine.sum(axis=1), 6)
    return frame


def _places(communes: pd.DataFrame, commune_years: pd.DataFrame) -> pd.DataFrame:
    """Theoretical childcare places by mode, commune × year, from a target coverage rate."""
    rng = _rng(5)
    n = len(communes)
    kind = communes["kind"].to_numpy()
    cov_mean = {"ville": 58, "pole": 52, "ca": 62, "periurbain": 66, "bourg": 60, "rural": 55}
    base = _q(np.clip(np.array([cov_mean[k] for k in kind]) + rng.normal(0, 12, n), 33, 86))
    trend = _q(rng.normal(0.6, 0.5, n))
    eaje_mean = {"ville": 0.48, "pole": 0.40, "ca": 0.30, "periurbain": 0.22, "bourg": 0.30,
                 "rural": 0.05}  # fmt: skip
    eaje = _q(np.clip(np.array([eaje_mean[k] for k in kind]) + rng.normal(0, 0.05, n), 0, 0.7))
    prescol = _q(np.clip(rng.normal(0.04, 0.012, n) + np.where(kind == "ville", 0.03, 0), 0, 0.1))
    gad_mean = {"ville": 0.03, "pole": 0.02, "ca": 0.025, "periurbain": 0.01, "bourg": 0.008,
                "rural": 0.006}  # fmt: skip
    gad = _q(np.array([gad_mean[k] for k in kind]) * rng.uniform(0.7, 1.3, n))
    frame = commune_years[commune_years["annee"].isin(PE_YEARS)][
        ["commune", "annee", "pop_0_2"]
    ].reset_index(drop=True)
    idx = np.repeat(np.arange(n), len(PE_YEARS))
    k = frame["annee"].to_numpy() - 2021
    noise = _q(rng.normal(0, 1.0, len(frame)))
    coverage = np.clip(base[idx] + trend[idx] * k + noise, 30.5, 89.5)
    total = _q(coverage * frame["pop_0_2"].to_numpy() / 100, 6)
    hors_share = 0.18 + 0.035 * k  # micro-crèches grow every year
    frame["psu_col"] = _q(total * eaje[idx] * (1 - hors_share), 6)
    frame["hors_psu_col"] = _q(total * eaje[idx] * hors_share, 6)
    frame["prescol"] = _q(total * prescol[idx], 6)
    frame["gad_ind"] = _q(total * gad[idx], 6)
    frame["am_ind"] = _q(
        total - frame["psu_col"] - frame["hors_psu_col"] - frame["prescol"] - frame["gad_ind"], 6
    )
    frame["total"] = total
    frame["coverage"] = _q(total / frame["pop_0_2"] * 100, 6)
    return frame


def _births(communes: pd.DataFrame, commune_years: pd.DataFrame) -> pd.DataFrame:
    """Live births by commune and year, consistent with the children aged 0-2 of the model.

    The children aged 0-2 on 1 January Y+1 were born in Y, Y-1 and Y-2; with births that
    change linearly, B(Y) = P02(Y+2) / (3 × f) gives back P02(Y+1) = f × (B(Y) + B(Y-1) +
    B(Y-2)), ``f`` being the commune's survival and migration factor (0.94 to 1.06). P02 is
    extended outside the model years by the commune's own trend; births are whole numbers
    (stochastic rounding: the expected value plus a uniform draw, floored).
    """
    rng = _rng(11)
    n = len(communes)
    p02 = commune_years.pivot(index="commune", columns="annee", values="pop_0_2")
    p02 = p02.reindex(index=communes["code"]).to_numpy(dtype=float)  # (n, model years)
    first, last = MODEL_YEARS[0], MODEL_YEARS[-1]
    ratio = _q(p02[:, -1] / p02[:, -2])
    ratio0 = _q(p02[:, 1] / p02[:, 0])
    need = np.arange(BIRTH_YEARS[0] + 2, BIRTH_YEARS[-1] + 3)  # P02 years used
    k_after = np.clip(need - last, 0, None)[None, :]
    k_before = np.clip(first - need, 0, None)[None, :]
    inside = np.clip(need, first, last) - first
    ext = _q(p02[:, inside] * ratio[:, None] ** k_after / ratio0[:, None] ** k_before, 6)
    factor = _q(rng.uniform(0.94, 1.06, n))
    expected = _q(ext / (3 * factor[:, None]), 6)
    draws = _q(rng.uniform(0, 1, size=expected.shape))
    births = np.floor(expected + draws)
    years = np.array(BIRTH_YEARS)
    return pd.DataFrame(
        {
            "commune": np.repeat(communes["code"].to_numpy(), len(years)),
            "annee": np.tile(years, n),
            "naissances": births.reshape(-1).astype(np.int64),
            "facteur": np.repeat(factor, len(years)),
        }
    )


def _perimeters(communes: pd.DataFrame) -> dict[str, tuple[str, tuple[str, ...]]]:
    """Two CTG perimeters: the heart of the agglomeration, and a valley across two EPCIs."""
    core = tuple(communes["code"].iloc[:4])
    # the periurban commune farthest from the city, with its grid neighbours outside the CA
    peri = communes[communes["epci_idx"] == 1]
    far = peri.sort_values(["d2", "code"]).iloc[-1]
    x, y = communes["x"], communes["y"]
    touching = (
        (x <= far["x"] + far["w"])
        & (x + communes["w"] >= far["x"])
        & (y <= far["y"] + far["h"])
        & (y + communes["h"] >= far["y"])
    )
    edge = touching & (  # share an edge, not only a corner
        ((x + communes["w"] == far["x"]) | (x == far["x"] + far["w"]))
        ^ ((y + communes["h"] == far["y"]) | (y == far["y"] + far["h"]))
    )
    valley = communes[(edge | (communes["code"] == far["code"])) & (communes["epci_idx"] != 0)]
    codes = tuple(sorted(valley["code"]))
    epci_idx = sorted(valley["epci_idx"].unique())
    label = " – ".join(EPCI_SHORT[i][0] for i in epci_idx)
    slug = "-".join(EPCI_SHORT[i][1] for i in epci_idx)
    return {
        "CTG-VALMONT-COEUR": (f"CTG Valmont, cœur d'agglomération ({len(core)} communes)", core),
        f"CTG-{slug}": (f"CTG {label} ({len(codes)} communes, {len(epci_idx)} EPCI)", codes),
    }


def build_model() -> DemoModel:
    """The fictional département as frames of unrounded values (deterministic)."""
    communes = _populations(_layout())
    units = _units(communes)
    population = _population(units)
    commune_years = (
        population.groupby(["commune", "annee"], sort=True)[["pop", "0002"]]
        .sum()
        .reset_index()
        .rename(columns={"pop": "pop_totale", "0002": "pop_0_2"})
    )
    commune_years["pop_totale"] = _q(commune_years["pop_totale"], 6)
    commune_years["pop_0_2"] = _q(commune_years["pop_0_2"], 6)
    places = _places(communes, commune_years)
    births = _births(communes, commune_years)
    epcis = pd.DataFrame(
        {
            "code": communes.groupby("epci_idx")["epci"].first().to_numpy(),
            "nom": [name for _, name, _ in EPCI_SPECS],
            "nature": [nature for nature, _, _ in EPCI_SPECS],
            "nb_com": communes.groupby("epci_idx").size().to_numpy(),
        }
    )
    epci_names = dict(zip(epcis["code"], epcis["nom"], strict=True))
    communes = communes.assign(nom_epci=communes["epci"].map(epci_names))
    return DemoModel(
        communes=communes,
        epcis=epcis,
        units=units,
        population=population,
        commune_years=commune_years,
        places=places,
        births=births,
        lattice=_lattice(),
        perimeters=_perimeters(communes),
    )
