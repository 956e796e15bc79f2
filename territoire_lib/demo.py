"""The deterministic fictional demo département ("96"), written in the real publishers' formats.

Everything is generated in memory from fixed seeds (``numpy.random.default_rng``), then written
as the files INSEE, the Cnaf (Cafdata / Onape), the ANCT and IGN-derived GeoJSON publishers ship:
same names, headers, separators, encodings (BOM for Cafdata exports), rounding to 5, secrecy
markers and placeholder rows. The loaders of :mod:`territoire_lib.sources` read them back.

Determinism: no time, locale, set ordering or platform dependence. Every random draw and every
transcendental result is quantised right away (``_q``) so that later arithmetic (IEEE exact
operations only) gives the same bits everywhere; numbers are formatted by this module, never by
pandas; the xlsx is assembled by hand with fixed zip timestamps.

The model behind the files (``build_model()``) is public so tests can check its realism
(under-3 shares, coverage per commune, poverty rates) against what the files publish.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import tempfile
import unicodedata
import zipfile
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd

from .errors import fmt_int

DEMO_DIR = Path(__file__).resolve().parents[1] / "data" / "demo"
DEMO_DEPARTEMENT = "96"
DEMO_DEPARTEMENT_NAME = "Département de démonstration (fictif)"
DEMO_REGION = "96"
DEMO_REGION_NAME = "Région de démonstration (fictive)"
SEED = 96_2024

RP_YEARS = tuple(range(2017, 2022))  # base-ic-evol-struct-pop-YYYY
FAMILY_YEAR = 2021  # base-ic-couples-familles-menages-2021
CAF_YEARS = tuple(range(2020, 2025))  # dtreffre YYYY-12
PE_YEARS = tuple(range(2019, 2024))  # Onape txcouv_pe_* / nbpla_pe_*
MODEL_YEARS = tuple(range(2017, 2025))
NATIONAL_LABEL = "FRANCE ENTIERE HORS MAYOTTE"

# --------------------------------------------------------------------------------------------
# Fictional geography
# --------------------------------------------------------------------------------------------

GRID_W, GRID_H = 12, 11  # cells; the city takes a 2 x 2 block
CITY_CELL = (5, 5)  # lower-left cell of the city block
DROPPED_CELLS = ((0, 0), (1, 0), (0, 1), (11, 0), (11, 1), (0, 10), (1, 10), (10, 10), (11, 10))
LON0, LAT0, CELL_DX, CELL_DY = 4.62, 46.68, 0.055, 0.038  # degrees (WGS84-like)

# (kind, number of communes) of each EPCI, in code order
EPCI_SPECS = (
    ("CA", "CA de Valmont-sur-Loue", 20),
    ("CC", "CC Loue et Coteaux", 25),
    ("CC", "CC du Plateau de Sarce", 25),
    ("CC", "CC du Pays de Brésanne", 25),
    ("CC", "CC des Monts d'Orvanne", 25),
)

EPCI_SHORT = (  # (label, code slug) used to name perimeters
    ("Valmont", "VALMONT"),
    ("Loue et Coteaux", "COTEAUX"),
    ("Plateau de Sarce", "SARCE"),
    ("Pays de Brésanne", "BRESANNE"),
    ("Monts d'Orvanne", "ORVANNE"),
)

# Invented names, in code order (96001 …); the first of each EPCI block is its main commune.
COMMUNE_NAMES = (
    # CA de Valmont-sur-Loue
    "Valmont-sur-Loue", "Saint-Aubin-lès-Valmont", "Bréval-la-Côte", "Charmelieu",
    "Les Essarts-de-Loue", "Montrevaux", "Corvenay", "Sainte-Colombe-sur-Loue",
    "Vauchamps-le-Bas", "Ormeval", "La Brosse-Valmont", "Pontarvel", "Frémincourt",
    "Grandvaux-lès-Valmont", "Bellechaume", "Marcilly-sur-Loue", "Le Plessis-Arvel",
    "Courvessy", "Aulnoy-le-Vieux", "Tréval",
    # CC Loue et Coteaux
    "Montcharvin", "Saint-Genest-des-Coteaux", "Villers-en-Coteaux", "Louvigny-la-Plaine",
    "Les Ormeaux", "Champdorel", "Sarcenay", "Verlhac-sur-Sarce", "Bussières-le-Mont",
    "La Chapelle-Arvel", "Fontenoy-les-Vignes", "Moranges", "Saint-Hilaire-du-Coteau",
    "Plaimbert", "Cernoy-sur-Sarce", "Ambreville", "Le Mesnil-Vergier", "Rochefort-en-Coteaux",
    "Dampvallier", "Épinay-le-Sec", "Gourville-la-Garenne", "Lessard-Bellevue", "Vaurenay",
    "Mazerolles-sur-Sarce", "Orvillers",
    # CC du Plateau de Sarce
    "Sarcey-le-Château", "Les Hauts-de-Sarce", "Arvèze", "Chaumont-le-Bois",
    "Saint-Romain-d'Arvèze", "Brancourt", "La Roche-Mauprat", "Fayolle-Haute", "Mérigny",
    "Vernusse", "Le Crozet-d'Arvèze", "Puyvalade", "Sainte-Foy-du-Plateau", "Chazeuil",
    "Montaigut-le-Froid", "Lachaux-Sarce", "Riolles", "Cheylanne", "La Bessonnière",
    "Tournebise", "Aiglemont-Sarce", "Combe-Noire", "Granval", "Peyrolles-du-Plateau",
    "Lorcenay",
    # CC du Pays de Brésanne
    "Brésanne", "Saint-Martin-de-Brésanne", "Vielchamp", "Les Granges-Brésanne", "Auzolles",
    "Ferrière-la-Petite", "Mauvesin-le-Haut", "Lescure-sur-Brèze", "Pradines-Basses",
    "Calvenac", "Bourg-Sainte-Aigne", "Sauvagnac", "Orlhane", "Montsalvère",
    "Nozières-Brésanne", "La Vernelle", "Cassanel", "Saint-Urbain-de-Brèze",
    "Fraissinet-des-Prés", "Ladignac-sur-Brèze", "Rouffiac-Brésanne", "Le Bouchet-Vieux",
    "Espinasse-les-Champs", "Malbosc-le-Haut", "Védrines-Basses",
    # CC des Monts d'Orvanne
    "Saint-Julien-d'Orvanne", "Hautecombe-d'Orvanne", "Lamourette", "Septfontaines-d'Orvanne",
    "Le Frasnoy", "Bellefosse-Haute", "Chaux-des-Prés", "Mijolles", "La Rivolette",
    "Foncenay", "Cernibois", "Les Planchettes-d'Orvanne", "Prévinel", "Morbelin", "Bois-Joli",
    "Longchâtel", "Lajoux-d'Orvanne", "Saint-Lubin-des-Monts", "La Chapelle-des-Sapins",
    "Moutheval", "Grande-Combe-d'Orvanne", "Les Rousselles", "Bellecombe-d'Orvanne",
    "Crêt-Mouchet", "Le Fortin",
)  # fmt: skip

# commune nouvelle: 96047 "Les Hauts-de-Sarce" = delegated communes Sarcenval (96047) and
# Vergnolles (former code 96121)
COMMUNE_NOUVELLE = ("96047", (("96047", "Sarcenval"), ("96121", "Vergnolles")))

# IRIS of the city: (suffix, name, type, weight in the population, hosts a QPV)
CITY_IRIS = (
    ("0101", "Centre-Ville", "H", 0.110, False),
    ("0102", "Saint-Éloi", "H", 0.100, False),
    ("0103", "Gare", "H", 0.095, False),
    ("0104", "Quai de Loue", "H", 0.100, False),
    ("0201", "Les Hauts de Loue", "H", 0.130, True),
    ("0202", "Bellevue", "H", 0.120, True),
    ("0203", "Les Tilleuls", "H", 0.110, False),
    ("0301", "Faubourg de Loue", "H", 0.115, True),
    ("0302", "Le Parc", "H", 0.117, False),
    ("0303", "Zone d'activités des Prés", "A", 0.003, False),
)

QPV_SPECS = (  # code, name, communes (indexes in code order)
    ("QN09601M", "Les Hauts de Loue", (0, 1)),
    ("QN09602M", "Bellevue - Les Tilleuls", (0,)),
    ("QN09603M", "Faubourg de Loue", (0,)),
)

ZONES_EMPLOI = (("9601", "Valmont-sur-Loue"), ("9602", "Brésanne-Orvanne"))

# national Onape rates (places per 100 children under 3) by component; 2020, 2022 and 2023
# globals are the published values, everything else is invented (see the README)
NATIONAL_RATES = {  # year: (psu, hors_psu, prescol, am, gad)
    2019: (18.3, 2.8, 3.6, 33.1, 1.3),
    2020: (18.6, 3.3, 3.3, 32.3, 1.3),
    2021: (18.9, 3.8, 3.2, 32.0, 1.3),
    2022: (19.0, 4.4, 3.0, 31.8, 1.3),
    2023: (19.2, 5.1, 3.1, 32.2, 1.3),
}
NATIONAL_GLOBAL = {2019: 59.1, 2020: 58.8, 2021: 59.2, 2022: 59.5, 2023: 60.9}
NATIONAL_UNDER3 = {2019: 2_281_000, 2020: 2_243_000, 2021: 2_204_000, 2022: 2_176_000,
                   2023: 2_131_000}  # fmt: skip

KINDS = ("ville", "pole", "ca", "periurbain", "bourg", "rural")  # kinds of commune of the model

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

QF_BANDS = (
    "Moins de 400 euros",
    "Entre 400 et 799 euros",
    "Entre 800 et 1199 euros",
    "Entre 1200 et 1599 euros",
    "Entre 1600 et 1999 euros",
    "Entre 2000 et 3999 euros",
    "4000 euros ou plus",
    "Inconnu",
)
QF_BASE = np.array([0.10, 0.17, 0.18, 0.13, 0.09, 0.14, 0.02, 0.17])
QF_POVERTY_EXPONENT = np.array([1.2, 0.7, 0.2, -0.3, -0.6, -0.9, -1.2, 0.0])
QF_PERSONS = np.array([2.9, 3.1, 2.8, 2.6, 2.4, 2.3, 2.0, 1.3])

S_BEN_COLUMNS = (
    "dtreffre", "numcomdo", "nomcom", "indfoy_ndur", "indnbp_ndur", "indfoy_af", "indfoy_cf",
    "indfoy_asf", "indfoy_ndurpaje", "indfoy_ab", "indfoy_cmg", "indfoy_ndural", "indfoy_apl",
    "indfoy_als", "indfoy_alf", "indfoy_rsa", "indmtt_rsa", "indfoy_ppa", "indmtt_ppa",
    "indfoy_aah", "indfoy_aeeh",
)  # fmt: skip

PE_MODES = ("psu_col", "hors_psu_col", "eaje", "prescol", "am_ind", "gad_ind", "ind")

FRR_LABELS = ("FRR", "FRR+", "Bénéficiaire", "Partiellement classée")

GENERATED_BY = "territoire demo"


# --------------------------------------------------------------------------------------------
# Small deterministic helpers
# --------------------------------------------------------------------------------------------


def _q(values, decimals: int = 9):
    """Quantise (random or transcendental) results so later IEEE arithmetic is reproducible."""
    return np.round(np.asarray(values, dtype=float), decimals)


def _rng(section: int) -> np.random.Generator:
    """One independent generator per section, so editing a section leaves the others alone."""
    return np.random.default_rng([SEED, section])


def _round5(values) -> np.ndarray:
    """Cafdata secrecy: round to the nearest multiple of 5 (half up), as integers."""
    return (np.floor(np.asarray(values, dtype=float) / 5 + 0.5) * 5).astype(np.int64)


def _round_to(values, step: float) -> np.ndarray:
    return np.floor(np.asarray(values, dtype=float) / step + 0.5) * step


def _fmt(values, decimals: int, comma: bool = False) -> list[str]:
    """Fixed-point strings, trailing zeros trimmed ('12.50' -> '12.5', '3.0' -> '3')."""
    out = []
    for v in np.asarray(values, dtype=float):
        s = f"{v:.{decimals}f}"
        if decimals:
            s = s.rstrip("0").rstrip(".")
        if s == "-0":
            s = "0"
        out.append(s.replace(".", ",") if comma else s)
    return out


def _fmt_fixed(values, decimals: int, comma: bool = False) -> list[str]:
    """Fixed-point strings with exactly `decimals` decimals ('57.4', '60.0')."""
    out = [f"{v:.{decimals}f}" for v in np.asarray(values, dtype=float)]
    return [s.replace(".", ",") for s in out] if comma else out


def _fmt_int(values) -> list[str]:
    return [str(int(v)) for v in np.asarray(values, dtype=np.int64)]


def _csv(columns: dict[str, list], sep: str, bom: bool = False) -> bytes:
    """Serialise columns of strings (same length) as CSV bytes, `\\n` line ends."""
    header = list(columns)
    rows = zip(*columns.values(), strict=True)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    text = buf.getvalue()
    return (("\ufeff" if bom else "") + text).encode("utf-8")


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


def _ascii_upper(text: str) -> str:
    plain = unicodedata.normalize("NFD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return plain.upper().replace("-", " ").replace("'", " ")


_ARTICLES = (("Les ", "4"), ("La ", "3"), ("Le ", "2"), ("L'", "5"))


def _cog_names(libelle: str) -> tuple[str, str, str]:
    """(TNCC, NCC, NCCENR) of a commune name, following the COG conventions."""
    for article, tncc in _ARTICLES:
        if libelle.startswith(article):
            rich = libelle[len(article) :]
            return tncc, _ascii_upper(rich), rich
    first = _ascii_upper(libelle[0])
    return ("1" if first in "AEIOUY" else "0"), _ascii_upper(libelle), libelle


# --------------------------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoModel:
    """Everything the files are written from (internal, unrounded values)."""

    communes: pd.DataFrame  # code, nom, epci, kind, cell x/y/w/h, poverty, coverage …
    epcis: pd.DataFrame  # code, nom, nature, nb_com
    units: pd.DataFrame  # IRIS rows: iris, commune, libiris, typ_iris, …
    population: pd.DataFrame  # iris × annee (MODEL_YEARS): pop and fine age groups
    commune_years: pd.DataFrame  # commune × annee (MODEL_YEARS): pop, pop_0_2, …
    places: pd.DataFrame  # commune × annee (PE_YEARS): theoretical places by mode (floats)
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


def _ring(lattice: np.ndarray, x: int, y: int, w: int, h: int) -> list[list[float]]:
    """Counter-clockwise closed ring along the lattice around a w × h block of cells."""
    x0, y0, x1, y1 = 2 * x, 2 * y, 2 * (x + w), 2 * (y + h)
    path = (
        [(i, y0) for i in range(x0, x1 + 1)]
        + [(x1, j) for j in range(y0 + 1, y1 + 1)]
        + [(i, y1) for i in range(x1 - 1, x0 - 1, -1)]
        + [(x0, j) for j in range(y1 - 1, y0 - 1, -1)]
    )
    return [[float(lattice[i, j, 0]), float(lattice[i, j, 1])] for i, j in path]


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
        lattice=_lattice(),
        perimeters=_perimeters(communes),
    )


# --------------------------------------------------------------------------------------------
# Derived tables (still unrounded)
# --------------------------------------------------------------------------------------------

MALE_BROAD = np.array([0.512, 0.503, 0.494, 0.492, 0.472, 0.375])
CS_KIND = {
    "ville": [0.1, 2.8, 12, 15, 17, 10, 22, 21.1],
    "pole": [0.3, 3.2, 9, 15, 17, 13, 25, 17.5],
    "ca": [0.5, 3.5, 11, 17, 15, 11, 28, 14],
    "periurbain": [1.0, 4.0, 9, 17, 16, 13, 27, 13],
    "bourg": [1.5, 4.5, 5, 12, 16, 15, 32, 14],
    "rural": [4.0, 4.5, 4, 11, 14, 16, 34, 12.5],
}
MALE_CS = np.array([0.72, 0.72, 0.58, 0.47, 0.24, 0.8, 0.46, 0.40])
BROAD = ("0014", "1529", "3044", "4559", "6074", "75P")


def _rp_structure(model: DemoModel) -> pd.DataFrame:
    """All columns of base-ic-evol-struct-pop (without prefix), IRIS × model year."""
    rng = _rng(6)
    units = model.units
    pop = model.population
    n_years = len(MODEL_YEARS)
    u = np.repeat(np.arange(len(units)), n_years)  # unit index of each row
    f = {g: pop[g].to_numpy() for g in AGE_GROUPS}
    out = {"POP": pop["pop"].to_numpy()}
    out.update({f"POP{g}": f[g] for g in AGE_GROUPS})
    broad = {
        "0014": f["0002"] + f["0305"] + f["0610"] + f["1117"] * 4 / 7,
        "1529": f["1117"] * 3 / 7 + f["1824"] + f["2539"] * 5 / 15,
        "3044": f["2539"] * 10 / 15 + f["4054"] * 5 / 15,
        "4559": f["4054"] * 10 / 15 + f["5564"] * 5 / 10,
        "6074": f["5564"] * 5 / 10 + f["6579"] * 10 / 15,
        "75P": f["6579"] * 5 / 15 + f["80P"],
    }
    wide = {
        "0019": f["0002"] + f["0305"] + f["0610"] + f["1117"] + f["1824"] * 2 / 7,
        "2064": f["1824"] * 5 / 7 + f["2539"] + f["4054"] + f["5564"],
        "65P": f["6579"] + f["80P"],
    }
    out.update({f"POP{g}": v for g, v in broad.items()})
    out.update({f"POP{g}": v for g, v in wide.items()})
    # sex
    male = _q(MALE_BROAD + rng.normal(0, 0.006, size=(len(units), 6)))[u]
    males = {g: broad[g] * male[:, j] for j, g in enumerate(BROAD)}
    poph = sum(males.values())
    h0019 = wide["0019"] * _q(0.512 + rng.normal(0, 0.005, len(units)))[u]
    h65p = wide["65P"] * _q(0.44 + rng.normal(0, 0.008, len(units)))[u]
    h_all = {**males, "0019": h0019, "2064": poph - h0019 - h65p, "65P": h65p}
    out["POPH"] = poph
    out.update({f"H{g}": h_all[g] for g in (*BROAD, "0019", "2064", "65P")})
    out["POPF"] = out["POP"] - poph
    all_groups = {**broad, **wide}
    out.update({f"F{g}": all_groups[g] - h_all[g] for g in (*BROAD, "0019", "2064", "65P")})
    # socio-professional categories (complementary exploitation, C prefix)
    cs = np.array([CS_KIND[k] for k in units["kind"]]) * _q(
        rng.lognormal(0, 0.1, size=(len(units), 8))
    )
    cs = _q(cs / cs.sum(axis=1, keepdims=True))[u]
    pop15p = out["POP"] - broad["0014"]
    out["C:POP15P"] = pop15p
    for j in range(8):
        out[f"C:POP15P_CS{j + 1}"] = pop15p * cs[:, j]
    h15 = [pop15p * cs[:, j] * MALE_CS[j] for j in range(8)]
    out["C:H15P"] = sum(h15)
    out.update({f"C:H15P_CS{j + 1}": h15[j] for j in range(8)})
    out["C:F15P"] = pop15p - out["C:H15P"]
    out.update({f"C:F15P_CS{j + 1}": pop15p * cs[:, j] - h15[j] for j in range(8)})
    etr_mean = {"ville": 0.08, "pole": 0.06, "ca": 0.03, "periurbain": 0.025, "bourg": 0.03,
                "rural": 0.02}  # fmt: skip
    etr = _q(np.array([etr_mean[k] for k in units["kind"]]) * rng.uniform(0.6, 1.4, len(units)))
    out["POP_FR"] = out["POP"] * (1 - etr[u])
    out["POP_ETR"] = out["POP"] * etr[u]
    out["POP_IMM"] = out["POP"] * (etr[u] + 0.025)
    in_households = np.where(units["kind"] == "ville", 0.975, 0.986)[u]
    out["PMEN"] = out["POP"] * in_households
    out["PHORMEN"] = out["POP"] - out["PMEN"]
    frame = pd.DataFrame(out)
    frame.insert(0, "iris", pop["iris"].to_numpy())
    frame.insert(1, "annee", pop["annee"].to_numpy())
    return frame


PSEUL_RATE = {"1519": 0.01, "2024": 0.12, "2539": 0.15, "4054": 0.13, "5564": 0.18,
              "6579": 0.26, "80P": 0.46}  # fmt: skip
HOUSEHOLD_SIZE = {"ville": 1.95, "pole": 2.1, "ca": 2.25, "periurbain": 2.4, "bourg": 2.15,
                  "rural": 2.25}  # fmt: skip
ALONE_FACTOR = {"ville": 1.45, "pole": 1.2, "ca": 0.95, "periurbain": 0.85, "bourg": 1.15,
                "rural": 1.0}  # fmt: skip
MONO_SHARE = {"ville": 0.22, "pole": 0.18, "ca": 0.13, "periurbain": 0.12, "bourg": 0.14,
              "rural": 0.10}  # fmt: skip


def _families(model: DemoModel, year: int = FAMILY_YEAR) -> pd.DataFrame:
    """Columns of base-ic-couples-familles-menages (without prefix), IRIS of one year."""
    rng = _rng(7)
    units = model.units
    kind = units["kind"].to_numpy()
    pop = model.population[model.population["annee"] == year]
    f = {g: pop[g].to_numpy() for g in AGE_GROUPS}
    total = pop["pop"].to_numpy()
    ages = {
        "1519": f["1117"] * 3 / 7 + f["1824"] * 2 / 7,
        "2024": f["1824"] * 5 / 7,
        "2539": f["2539"],
        "4054": f["4054"],
        "5564": f["5564"],
        "6579": f["6579"],
        "80P": f["80P"],
    }
    alone_factor = np.array([ALONE_FACTOR[k] for k in kind]) * _q(rng.uniform(0.9, 1.1, len(kind)))
    alone = {g: ages[g] * PSEUL_RATE[g] * alone_factor for g in ages}
    pmen = total * np.where(kind == "ville", 0.975, 0.986)
    size = np.array([HOUSEHOLD_SIZE[k] for k in kind]) * _q(rng.uniform(0.96, 1.04, len(kind)))
    men = pmen / size
    menpseul = sum(alone.values())
    menhseul = menpseul * _q(rng.uniform(0.42, 0.48, len(kind)))
    mensfam = men * 0.025
    menfam = men - menpseul - mensfam
    mono = np.array([MONO_SHARE[k] for k in kind]) * _q(rng.uniform(0.85, 1.15, len(kind)))
    mono = mono + np.where(units["qpv"].to_numpy(), 0.08, 0.0)
    mencoupsenf = menfam * _q(rng.uniform(0.40, 0.48, len(kind)))
    menfammono = menfam * mono
    mencoupaenf = menfam - mencoupsenf - menfammono
    p_sfam = mensfam * 2.2
    p_coupsenf = mencoupsenf * 2.04
    p_mono = menfammono * 2.6
    p_fam = pmen - menpseul - p_sfam
    fam = menfam * 1.012
    coupaenf = mencoupaenf * 1.005
    fammono = menfammono * 1.03
    coupsenf = fam - coupaenf - fammono
    with_children = coupaenf + fammono
    out = {
        "C:MEN": men,
        "C:MENPSEUL": menpseul,
        "C:MENHSEUL": menhseul,
        "C:MENFSEUL": menpseul - menhseul,
        "C:MENSFAM": mensfam,
        "C:MENFAM": menfam,
        "C:MENCOUPSENF": mencoupsenf,
        "C:MENCOUPAENF": mencoupaenf,
        "C:MENFAMMONO": menfammono,
        "C:PMEN": pmen,
        "C:PMEN_MENPSEUL": menpseul,
        "C:PMEN_MENHSEUL": menhseul,
        "C:PMEN_MENFSEUL": menpseul - menhseul,
        "C:PMEN_MENSFAM": p_sfam,
        "C:PMEN_MENFAM": p_fam,
        "C:PMEN_MENCOUPSENF": p_coupsenf,
        "C:PMEN_MENCOUPAENF": p_fam - p_coupsenf - p_mono,
        "C:PMEN_MENFAMMONO": p_mono,
        "P:POP15P": sum(ages.values()),
    }
    out.update({f"P:POP{g}": ages[g] for g in ages})
    out["P:POP15P_PSEUL"] = menpseul
    out.update({f"P:POP{g}_PSEUL": alone[g] for g in ages})
    out.update(
        {
            "C:FAM": fam,
            "C:COUPAENF": coupaenf,
            "C:FAMMONO": fammono,
            "C:HMONO": fammono * 0.16,
            "C:FMONO": fammono * 0.84,
            "C:COUPSENF": coupsenf,
            "C:NE24F1": with_children * 0.44,
            "C:NE24F2": with_children * 0.38,
            "C:NE24F3": with_children * 0.13,
            "C:NE24F4P": with_children * 0.05,
        }
    )
    out["C:NE24F0"] = fam - with_children
    frame = pd.DataFrame(out)
    order = [c for c in frame.columns if not c.startswith("C:NE24F")]
    order += ["C:NE24F0", "C:NE24F1", "C:NE24F2", "C:NE24F3", "C:NE24F4P"]
    frame = frame[order]
    frame.insert(0, "iris", pop["iris"].to_numpy())
    frame.insert(1, "commune", pop["commune"].to_numpy())
    return frame


def _filosofi(model: DemoModel) -> pd.DataFrame:
    """Commune-level Filosofi 2021 values (unrounded), plus the 2023 evolution."""
    rng = _rng(8)
    c = model.communes
    fam = _families(model)
    men = fam.groupby("commune", sort=True)["C:MEN"].sum().to_numpy()
    cy = model.commune_years
    pop21 = cy[cy["annee"] == 2021]["pop_totale"].to_numpy()
    poverty = c["poverty"].to_numpy()
    q2 = _q(29_500 - 420 * poverty + rng.normal(0, 600, len(c)))
    spread = _q(rng.uniform(0.95, 1.06, len(c)))
    pov23 = _q(np.clip(poverty + rng.normal(0, 0.6, len(c)), 8.0, 30.0))
    return pd.DataFrame(
        {
            "commune": c["code"],
            "epci": c["epci"],
            "kind": c["kind"],
            "nbmen": np.floor(men * 0.985 + 0.5),
            "nbpers": np.floor(pop21 * 0.975 + 0.5),
            "q2": q2,
            "spread": spread,
            "poverty": poverty,
            "gini": _q(0.26 + 0.004 * (poverty - 8) + rng.normal(0, 0.01, len(c))),
            "med23": _q(q2 * 1.085 + rng.normal(0, 250, len(c))),
            "pov23": pov23,
            "nbmen23": np.floor(men * 0.985 * 1.012 + 0.5),
        }
    )


def _caf(model: DemoModel) -> pd.DataFrame:
    """Exact (unrounded) Cafdata counts per commune and December of CAF_YEARS."""
    rng = _rng(9)
    c = model.communes.set_index("code")
    cy = model.commune_years[model.commune_years["annee"].isin(CAF_YEARS)].reset_index(drop=True)
    code = cy["commune"].to_numpy()
    pov = c.loc[code, "poverty"].to_numpy()
    kind = c.loc[code, "kind"].to_numpy()
    year = cy["annee"].to_numpy()
    pop = cy["pop_totale"].to_numpy()
    kids = cy["pop_0_2"].to_numpy() / pop / 0.03  # 1 for a 3 % under-3 share
    # per commune parameters, repeated over the years
    ncom = len(c)
    rep = np.repeat(np.arange(ncom), len(CAF_YEARS))

    def param(mean, sd):
        return _q(mean + rng.normal(0, sd, ncom))[rep]

    msa = np.where(kind == "rural", 0.88, np.where(kind == "bourg", 0.94, 1.0))
    alloc = pop * (0.15 + 0.004 * (pov - 8) + param(0, 0.008)) * msa
    alloc = alloc * (1 + 0.004 * (year - 2020))
    rsa_year = np.select([year == y for y in CAF_YEARS], [1.08, 1.03, 0.99, 0.98, 1.0])
    ppa_year = np.select([year == y for y in CAF_YEARS], [0.93, 0.95, 0.98, 1.0, 1.02])
    reval = np.select([year == y for y in CAF_YEARS], [1.0, 1.005, 1.045, 1.10, 1.146])
    rsa = alloc * 0.11 * _q((pov / 14) ** 1.3) * rsa_year * param(1, 0.06)
    housing = alloc * 0.42 * (1 + (pov - 14) / 20) * param(1, 0.04)
    paje = alloc * 0.15 * kids * param(1, 0.05) * (1 - 0.02 * (year - 2020))
    cmg_share = np.where((kind == "rural") | (kind == "periurbain"), 0.42, 0.34)
    frame = pd.DataFrame(
        {
            "commune": code,
            "annee": year,
            "indfoy_ndur": alloc,
            "indnbp_ndur": alloc * param(2.35, 0.1),
            "indfoy_af": alloc * 0.36 * kids * param(1, 0.04),
            "indfoy_cf": alloc * 0.055 * kids * param(1, 0.08),
            "indfoy_asf": alloc * 0.05 * (1 + (pov - 14) / 14) * param(1, 0.08),
            "indfoy_ndurpaje": paje,
            "indfoy_ab": paje * 0.72,
            "indfoy_cmg": paje * cmg_share,
            "indfoy_ndural": housing,
            "indfoy_apl": housing * 0.48,
            "indfoy_als": housing * 0.37,
            "indfoy_alf": housing * 0.15,
            "indfoy_rsa": rsa,
            "indmtt_rsa": rsa * 540 * reval,
            "indfoy_ppa": alloc * 0.30 * ppa_year * param(1, 0.05),
            "indmtt_ppa": alloc * 0.30 * ppa_year * 185 * reval,
            "indfoy_aah": alloc * 0.085 * param(1, 0.08),
            "indfoy_aeeh": alloc * 0.028 * param(1, 0.1),
            "rsa_majore_share": np.where(
                kind == "ville", 0.15, np.where(kind == "rural", 0.10, 0.13)
            ),
            "poverty": pov,
        }
    )
    return frame


def _onape(model: DemoModel) -> dict[str, pd.DataFrame]:
    """Published places (integers) and rates (0.1) by level: com (> 10,000), epci, dep."""
    p = model.places.merge(
        model.communes[["code", "epci"]].rename(columns={"code": "commune"}), on="commune"
    )
    pop21 = model.commune_years.query("annee == 2021").set_index("commune")["pop_totale"]
    big = pop21[pop21 > 10_000].index
    base = ["psu_col", "hors_psu_col", "prescol", "am_ind", "gad_ind"]
    levels = {
        "com": p[p["commune"].isin(big)].rename(columns={"commune": "key"}),
        "epci": p.groupby(["epci", "annee"], sort=True)[[*base, "pop_0_2"]]
        .sum()
        .reset_index()
        .rename(columns={"epci": "key"}),
        "dep": p.groupby("annee", sort=True)[[*base, "pop_0_2"]]
        .sum()
        .reset_index()
        .assign(key=DEMO_DEPARTEMENT),
    }
    out = {}
    for level, frame in levels.items():
        frame = frame.sort_values(["annee", "key"]).reset_index(drop=True)
        places = {m: _round_to(frame[m], 1).astype(np.int64) for m in base}
        places["eaje"] = places["psu_col"] + places["hors_psu_col"]
        places["ind"] = places["am_ind"] + places["gad_ind"]
        places["total"] = places["eaje"] + places["prescol"] + places["ind"]
        children = frame["pop_0_2"].to_numpy()
        rates = {m: _round_to(v / children * 100, 0.1) for m, v in places.items()}
        table = pd.DataFrame({"key": frame["key"], "annee": frame["annee"]})
        for m, v in places.items():
            table[f"pl_{m}"] = v
        for m, v in rates.items():
            table[f"tx_{m}"] = v
        table["children"] = children
        out[level] = table
    return out


# --------------------------------------------------------------------------------------------
# Files
# --------------------------------------------------------------------------------------------


def _file_cog(model: DemoModel) -> bytes:
    """INSEE v_commune_2024.csv: `,`, UTF-8, COM rows plus the delegated communes (COMD)."""
    c = model.communes
    tncc, ncc, nccenr = zip(*(_cog_names(n) for n in c["nom"]), strict=True)
    position = c.groupby("epci_idx").cumcount().to_numpy()
    canton = c["epci_idx"].to_numpy() * 2 + position % 2 + 1
    can = [f"{DEMO_DEPARTEMENT}{k:02d}" for k in canton]
    can[0] = f"{DEMO_DEPARTEMENT}99"  # the city spans several cantons (pseudo-canton)
    rows = pd.DataFrame(
        {
            "TYPECOM": "COM",
            "COM": c["code"],
            "REG": DEMO_REGION,
            "DEP": DEMO_DEPARTEMENT,
            "CTCD": f"{DEMO_DEPARTEMENT}D",
            "ARR": np.where(c["epci_idx"] <= 1, f"{DEMO_DEPARTEMENT}1", f"{DEMO_DEPARTEMENT}2"),
            "TNCC": tncc,
            "NCC": ncc,
            "NCCENR": nccenr,
            "LIBELLE": c["nom"],
            "CAN": can,
            "COMPARENT": "",
        }
    )
    parent, delegated = COMMUNE_NOUVELLE
    comd = pd.DataFrame(
        [
            ["COMD", code, "", "", "", "", *_cog_names(name), name, "", parent]
            for code, name in delegated
        ],
        columns=rows.columns,
    )
    rows = pd.concat([rows, comd], ignore_index=True)
    rows = rows.sort_values(["COM", "TYPECOM"], kind="stable")  # COM before COMD
    return _csv({k: rows[k].astype(str).tolist() for k in rows.columns}, sep=",")


def _xlsx(sheets: list[tuple[str, list[list]]], title: str) -> bytes:
    """A minimal, byte-reproducible xlsx (shared strings, fixed zip timestamps)."""
    strings: dict[str, int] = {}

    def col(i: int) -> str:
        return chr(ord("A") + i)

    sheet_xml = []
    for _, rows in sheets:
        width = max(len(r) for r in rows)
        body = []
        for r, row in enumerate(rows, start=1):
            cells = []
            for i, value in enumerate(row):
                ref = f"{col(i)}{r}"
                if value is None or value == "":
                    continue
                if isinstance(value, (int, np.integer)):
                    cells.append(f'<c r="{ref}"><v>{int(value)}</v></c>')
                else:
                    idx = strings.setdefault(str(value), len(strings))
                    cells.append(f'<c r="{ref}" t="s"><v>{idx}</v></c>')
            body.append(f'<row r="{r}">{"".join(cells)}</row>' if cells else f'<row r="{r}"/>')
        sheet_xml.append(
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
            '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
            'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
            f'<dimension ref="A1:{col(width - 1)}{len(rows)}"/>'
            '<sheetViews><sheetView workbookViewId="0"/></sheetViews>'
            '<sheetFormatPr defaultRowHeight="15"/>'
            f"<sheetData>{''.join(body)}</sheetData>"
            '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" '
            'footer="0.3"/></worksheet>'
        )
    main = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
    rel = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    pkg_rel = "http://schemas.openxmlformats.org/package/2006/relationships"
    ct = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    head = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
    sst = "".join(f'<si><t xml:space="preserve">{escape(s)}</t></si>' for s in strings)
    members = {
        "[Content_Types].xml": head
        + '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
        'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/xl/workbook.xml" ContentType="{ct}.sheet.main+xml"/>'
        + "".join(
            f'<Override PartName="/xl/worksheets/sheet{i + 1}.xml" '
            f'ContentType="{ct}.worksheet+xml"/>'
            for i in range(len(sheets))
        )
        + f'<Override PartName="/xl/styles.xml" ContentType="{ct}.styles+xml"/>'
        f'<Override PartName="/xl/sharedStrings.xml" ContentType="{ct}.sharedStrings+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-'
        'package.core-properties+xml"/><Override PartName="/docProps/app.xml" ContentType='
        '"application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>',
        "_rels/.rels": head + f'<Relationships xmlns="{pkg_rel}">'
        f'<Relationship Id="rId1" Type="{rel}/officeDocument" Target="xl/workbook.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/package/2006/'
        'relationships/metadata/core-properties" Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{rel}/extended-properties" Target="docProps/app.xml"/>'
        "</Relationships>",
        "docProps/app.xml": head + '<Properties xmlns="http://schemas.openxmlformats.org/'
        'officeDocument/2006/extended-properties"><Application>Territoire</Application>'
        "</Properties>",
        "docProps/core.xml": head + '<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.'
        'org/package/2006/metadata/core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/"'
        ' xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/'
        f'XMLSchema-instance"><dc:title>{escape(title)}</dc:title>'
        f"<dc:creator>{GENERATED_BY}</dc:creator>"
        '<dcterms:created xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:created>'
        '<dcterms:modified xsi:type="dcterms:W3CDTF">2024-01-01T00:00:00Z</dcterms:modified>'
        "</cp:coreProperties>",
        "xl/workbook.xml": head + f'<workbook xmlns="{main}" xmlns:r="{rel}">'
        "<bookViews><workbookView/></bookViews><sheets>"
        + "".join(
            f'<sheet name="{escape(name)}" sheetId="{i + 1}" r:id="rId{i + 1}"/>'
            for i, (name, _) in enumerate(sheets)
        )
        + "</sheets></workbook>",
        "xl/_rels/workbook.xml.rels": head
        + f'<Relationships xmlns="{pkg_rel}">'
        + "".join(
            f'<Relationship Id="rId{i + 1}" Type="{rel}/worksheet" '
            f'Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(len(sheets))
        )
        + f'<Relationship Id="rId{len(sheets) + 1}" Type="{rel}/styles" Target="styles.xml"/>'
        f'<Relationship Id="rId{len(sheets) + 2}" Type="{rel}/sharedStrings" '
        'Target="sharedStrings.xml"/></Relationships>',
        "xl/styles.xml": head + f'<styleSheet xmlns="{main}">'
        '<fonts count="1"><font><sz val="11"/><name val="Calibri"/></font></fonts>'
        '<fills count="2"><fill><patternFill patternType="none"/></fill>'
        '<fill><patternFill patternType="gray125"/></fill></fills>'
        '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
        '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/>'
        '</cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
        'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" '
        'builtinId="0"/></cellStyles></styleSheet>',
        "xl/sharedStrings.xml": head
        + f'<sst xmlns="{main}" count="{len(strings)}" uniqueCount="{len(strings)}">{sst}</sst>',
    }
    for i, xml in enumerate(sheet_xml):
        members[f"xl/worksheets/sheet{i + 1}.xml"] = xml
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 0
            info.external_attr = 0
            zf.writestr(info, text.encode("utf-8"), compresslevel=6)
    return buf.getvalue()


def _file_epci_xlsx(model: DemoModel) -> bytes:
    """INSEE Intercommunalite_Metropole_au_01-01-2024.xlsx: two sheets, 5 label rows."""
    c, e = model.communes, model.epcis
    fictif = (
        "Données fictives générées par « territoire demo » au format du fichier Insee "
        "(département de démonstration, code 96)"
    )
    source = "Source : format Insee, Code officiel géographique 2024 ; DGCL, Banatic (imités)"
    composition = [
        ["Composition communale des EPCI à fiscalité propre au 1er janvier 2024"],
        [fictif],
        [source],
        [],
        [
            "Code géographique",
            "Libellé géographique",
            "EPCI - Métropole",
            "Libellé de l'EPCI / Métropole",
            "Département",
            "Région",
        ],
        ["CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG"],
    ] + [
        [code, nom, epci, nom_epci, DEMO_DEPARTEMENT, DEMO_REGION]
        for code, nom, epci, nom_epci in zip(
            c["code"], c["nom"], c["epci"], c["nom_epci"], strict=True
        )
    ]
    epcis = [
        ["EPCI à fiscalité propre au 1er janvier 2024"],
        [fictif],
        [source],
        [],
        ["EPCI - Métropole", "Libellé de l'EPCI / Métropole", "Nature d'EPCI",
         "Nombre de communes"],
        ["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"],
    ] + [
        [code, nom, nature, int(nb)]
        for code, nom, nature, nb in zip(e["code"], e["nom"], e["nature"], e["nb_com"], strict=True)
    ]  # fmt: skip
    return _xlsx(
        [("Composition_communale", composition), ("EPCI", epcis)],
        title="Intercommunalités au 1er janvier 2024 (fictif)",
    )


def _unit_geography(model: DemoModel) -> dict[str, list[str]]:
    """The 12 geography columns of the RP IRIS bases, one entry per IRIS."""
    c = model.communes.set_index("code")
    u = model.units
    kind = c.loc[u["commune"], "kind"].to_numpy()
    epci_idx = c.loc[u["commune"], "epci_idx"].to_numpy()
    pop21 = c.loc[u["commune"], "pop21"].to_numpy()
    bourg_rank = c[c["kind"] == "bourg"].index
    bourg_uu = {code: f"{DEMO_DEPARTEMENT}2{i + 1:02d}" for i, code in enumerate(bourg_rank)}
    city_uu = (kind == "ville") | ((epci_idx == 0) & ((kind == "pole") | (pop21 >= 1500)))
    uu = np.where(city_uu, f"{DEMO_DEPARTEMENT}601", f"{DEMO_DEPARTEMENT}000").astype(object)
    uu[(kind == "pole") & (epci_idx == 1)] = f"{DEMO_DEPARTEMENT}301"
    bourgs = kind == "bourg"
    uu[bourgs] = [bourg_uu[x] for x in u["commune"][bourgs]]
    return {
        "IRIS": u["iris"].tolist(),
        "REG": [DEMO_REGION] * len(u),
        "DEP": [DEMO_DEPARTEMENT] * len(u),
        "UU2020": list(uu),
        "COM": u["commune"].tolist(),
        "LIBCOM": c.loc[u["commune"], "nom"].tolist(),
        "TRIRIS": u["triris"].tolist(),
        "GRD_QUART": u["grd_quart"].tolist(),
        "LIBIRIS": u["libiris"].tolist(),
        "TYP_IRIS": u["typ_iris"].tolist(),
        "MODIF_IRIS": ["00"] * len(u),
        "LAB_IRIS": u["lab_iris"].tolist(),
    }


def _prefixed(name: str, yy: str) -> str:
    """'POP0002' -> 'P21_POP0002'; 'C:MEN' -> 'C21_MEN'; 'P:POP15P' -> 'P21_POP15P'."""
    if name[1:2] == ":":
        return f"{name[0]}{yy}_{name[2:]}"
    return f"P{yy}_{name}"


def _file_rp(model: DemoModel, structure: pd.DataFrame, year: int) -> bytes:
    """INSEE base-ic-evol-struct-pop-YYYY.csv: `;`, UTF-8, weighted float counts."""
    yy = f"{year % 100:02d}"
    table = structure[structure["annee"] == year]
    columns = _unit_geography(model)
    for name in table.columns[2:]:
        columns[_prefixed(name, yy)] = _fmt(table[name], 6)
    return _csv(columns, sep=";")


def _file_families(model: DemoModel) -> bytes:
    """INSEE base-ic-couples-familles-menages-2021.csv."""
    yy = f"{FAMILY_YEAR % 100:02d}"
    table = _families(model)
    columns = _unit_geography(model)
    for name in table.columns[2:]:
        columns[_prefixed(name, yy)] = _fmt(table[name], 6)
    return _csv(columns, sep=";")


FILO_DIST_RATIOS = np.array([0.52, 0.66, 0.78, 0.89, 1.11, 1.24, 1.42, 1.78])  # D1-4, D6-9
FILO_MEDIAN_MIN = 50  # fiscal households: median published from here
FILO_DETAIL_MIN = 1000  # fiscal households: distribution and poverty rates published from here


def _filosofi_published(filo: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Masks (median published, detail published) and the 'nd' mask (not available)."""
    median_ok = filo["nbmen"].to_numpy() >= FILO_MEDIAN_MIN
    detail_ok = filo["nbmen"].to_numpy() >= FILO_DETAIL_MIN
    # one CA commune with detail 'nd' and one small commune with median 'nd'
    ca_detail = filo.index[detail_ok & (filo["kind"] == "ca").to_numpy()]
    small = filo.index[median_ok & ~detail_ok & (filo["kind"] == "rural").to_numpy()]
    nd = np.zeros(len(filo), dtype=bool)
    nd[[ca_detail[-1], small[-1]]] = True
    return median_ok, detail_ok, nd


def _files_filosofi(model: DemoModel) -> tuple[bytes, bytes]:
    """INSEE FILO2021_DISP_COM.csv and FILO2021_DISP_PAUVRES_COM.csv (`;`, secret 's'/'nd')."""
    filo = _filosofi(model)
    median_ok, detail_ok, nd = _filosofi_published(filo)
    q2 = _round_to(filo["q2"], 10)
    spread = filo["spread"].to_numpy()
    pov = filo["poverty"].to_numpy()
    shape = spread * (1 + 0.01 * (pov - 14))
    deciles = _round_to(q2[:, None] * (1 + (FILO_DIST_RATIOS[None, :] - 1) * shape[:, None]), 10)
    q1 = _round_to(q2 * (1 - 0.27 * shape), 10)
    q3 = _round_to(q2 * (1 + 0.32 * shape), 10)
    pact = 72 - 0.4 * (pov - 14)
    ptsa = pact - 8
    pcho = np.full(len(filo), 3.0)
    ppen = np.full(len(filo), 31.0) - 0.2 * (pov - 14)
    ppat = np.full(len(filo), 12.0)
    ppsoc = 5 + 0.35 * (pov - 8)
    pimpot = 100 - (pact + ppen + ppat + ppsoc)

    def masked(values: list[str], ok: np.ndarray) -> list[str]:
        return [v if keep else "s" for v, keep in zip(values, ok, strict=True)]

    def mark_nd(values: list[str], where: np.ndarray) -> list[str]:
        return ["nd" if flag else v for v, flag in zip(values, where, strict=True)]

    nd_detail = nd & detail_ok
    nd_median = nd & ~detail_ok
    disp = {
        "CODGEO": filo["commune"].tolist(),
        "NBMEN21": _fmt_int(filo["nbmen"]),
        "NBPERS21": _fmt_int(filo["nbpers"]),
        "NBUC21": _fmt(filo["nbpers"] * 0.668, 1),
        "Q121": masked(_fmt(q1, 0), detail_ok),
        "Q221": mark_nd(masked(_fmt(q2, 0), median_ok), nd_median | nd_detail),
        "Q321": masked(_fmt(q3, 0), detail_ok),
        "Q3_Q1": masked(_fmt_fixed(q3 / q1, 2), detail_ok),
    }
    for j, d in enumerate((1, 2, 3, 4, 6, 7, 8, 9)):
        disp[f"D{d}21"] = masked(_fmt(deciles[:, j], 0), detail_ok)
    disp["RD"] = masked(_fmt_fixed(deciles[:, 7] / deciles[:, 0], 1), detail_ok)
    disp["S80S2021"] = masked(_fmt_fixed(deciles[:, 7] / deciles[:, 0] * 0.93, 1), detail_ok)
    disp["GI21"] = masked(_fmt_fixed(filo["gini"], 3), detail_ok)
    parts = {
        "PACT21": pact, "PTSA21": ptsa, "PCHO21": pcho, "PBEN21": pact - ptsa - pcho,
        "PPEN21": ppen, "PPAT21": ppat, "PPSOC21": ppsoc, "PPFAM21": ppsoc * 0.3,
        "PPMINI21": ppsoc * 0.35, "PPLOGT21": ppsoc * 0.35, "PIMPOT21": pimpot,
    }  # fmt: skip
    for name, values in parts.items():
        disp[name] = masked(_fmt_fixed(values, 1), detail_ok)
    for name in list(disp)[4:]:
        if name != "Q221":
            disp[name] = mark_nd(disp[name], nd_detail)
    pauvres = {
        "CODGEO": filo["commune"].tolist(),
        "TP6021": mark_nd(masked(_fmt_fixed(pov, 1), detail_ok), nd_detail),
        "TP4021": mark_nd(masked(_fmt_fixed(pov * 0.27, 1), detail_ok), nd_detail),
        "TP5021": mark_nd(masked(_fmt_fixed(pov * 0.58, 1), detail_ok), nd_detail),
    }
    return _csv(disp, sep=";", bom=True), _csv(pauvres, sep=";", bom=True)


def _file_filosofi_long(model: DemoModel) -> bytes:
    """INSEE DS_FILOSOFI_CC_2023_data.csv (Melodi long format): COM, EPCI and DEP rows."""
    filo = _filosofi(model)
    nbmen = filo["nbmen23"].to_numpy()
    persons = filo["nbpers"].to_numpy()
    med = filo["med23"].to_numpy()
    pov = filo["pov23"].to_numpy()
    groups = {"EPCI": filo["epci"].to_numpy(), "DEP": np.full(len(filo), DEMO_DEPARTEMENT)}
    geo = [filo["commune"].to_numpy()]
    obj = [np.full(len(filo), "COM")]
    values = {"NUM_HH": [nbmen], "NUM_PER": [persons], "MED_SL": [med], "PR_MD60": [pov]}
    for level, keys in groups.items():
        frame = pd.DataFrame(
            {"key": keys, "hh": nbmen, "medw": med * nbmen, "pers": persons, "povw": pov * persons}
        )
        agg = frame.groupby("key", sort=True).sum()
        geo.append(agg.index.to_numpy())
        obj.append(np.full(len(agg), level))
        values["NUM_HH"].append(agg["hh"].to_numpy())
        values["NUM_PER"].append(agg["pers"].to_numpy())
        values["MED_SL"].append(agg["medw"].to_numpy() / agg["hh"].to_numpy())
        values["PR_MD60"].append(agg["povw"].to_numpy() / agg["pers"].to_numpy())
    geo_all = np.concatenate(geo)
    obj_all = np.concatenate(obj)
    hh_all = np.concatenate(values["NUM_HH"])
    is_com = obj_all == "COM"
    measures = {
        "MED_SL": ("EUR_YR", _fmt(_round_to(np.concatenate(values["MED_SL"]), 10), 0),
                   ~is_com | (hh_all >= FILO_MEDIAN_MIN)),
        "NUM_HH": ("HH", _fmt(hh_all, 0), np.ones(len(hh_all), dtype=bool)),
        "NUM_PER": ("IND", _fmt(np.concatenate(values["NUM_PER"]), 0),
                    np.ones(len(hh_all), dtype=bool)),
        "PR_MD60": ("PT", _fmt_fixed(np.concatenate(values["PR_MD60"]), 1),
                    ~is_com | (hh_all >= FILO_DETAIL_MIN)),
    }  # fmt: skip
    parts = []
    for measure, (unit, text, ok) in measures.items():
        parts.append(
            pd.DataFrame(
                {
                    "GEO": geo_all,
                    "GEO_OBJECT": obj_all,
                    "FILOSOFI_MEASURE": measure,
                    "UNIT_MEASURE": unit,
                    "UNIT_MULT": "0",
                    "CONF_STATUS": np.where(ok, "F", "C"),
                    "OBS_STATUS": np.where(ok, "A", "O"),
                    "TIME_PERIOD": "2023",
                    "OBS_VALUE": np.where(ok, text, ""),
                    "order": np.select([obj_all == "COM", obj_all == "EPCI"], [0, 1], 2),
                }
            )
        )
    table = pd.concat(parts, ignore_index=True).sort_values(
        ["order", "GEO", "FILOSOFI_MEASURE"], kind="stable"
    )
    table = table.drop(columns="order")
    return _csv({k: table[k].astype(str).tolist() for k in table.columns}, sep=";")


def _files_cafdata(model: DemoModel) -> tuple[bytes, bytes, bytes]:
    """Cafdata exports s_ben_com_f, ndur_s_qf_400_com_f, rsa_s_type_com_f (`;`, BOM)."""
    caf = _caf(model)
    names = model.communes.set_index("code")["nom"]
    dtref = [f"{y}-12" for y in caf["annee"]]
    nomcom = names.loc[caf["commune"]].tolist()
    # s_ben_com_f, plus one non-localised row (empty numcomdo) per year
    sben = {"dtreffre": dtref, "numcomdo": caf["commune"].tolist(), "nomcom": nomcom}
    unlocated = {
        "indfoy_ndur": 40, "indnbp_ndur": 65, "indfoy_af": 5, "indfoy_cf": 0, "indfoy_asf": 5,
        "indfoy_ndurpaje": 5, "indfoy_ab": 5, "indfoy_cmg": 0, "indfoy_ndural": 20,
        "indfoy_apl": 10, "indfoy_als": 10, "indfoy_alf": 0, "indfoy_rsa": 10,
        "indmtt_rsa": 5400, "indfoy_ppa": 10, "indmtt_ppa": 1900, "indfoy_aah": 5,
        "indfoy_aeeh": 0,
    }  # fmt: skip
    for name in S_BEN_COLUMNS[3:]:
        values = caf[name].to_numpy()
        rounded = _round_to(values, 100) if name.startswith("indmtt") else _round5(values)
        sben[name] = _fmt_int(rounded)
    extra = {"dtreffre": [f"{y}-12" for y in CAF_YEARS], "numcomdo": [""] * len(CAF_YEARS),
             "nomcom": [""] * len(CAF_YEARS)}  # fmt: skip
    extra.update({k: [str(v)] * len(CAF_YEARS) for k, v in unlocated.items()})
    frame = pd.concat([pd.DataFrame(sben), pd.DataFrame(extra)], ignore_index=True)
    frame["_empty"] = frame["numcomdo"] == ""
    frame = frame.sort_values(["dtreffre", "_empty", "numcomdo"], kind="stable")
    s_ben = _csv({k: frame[k].tolist() for k in S_BEN_COLUMNS}, sep=";", bom=True)
    # ndur_s_qf_400_com_f: 8 bands per commune and year
    pov = caf["poverty"].to_numpy()
    shares = QF_BASE[None, :] * _q((pov[:, None] / 14) ** QF_POVERTY_EXPONENT[None, :])
    shares = shares / shares.sum(axis=1, keepdims=True)
    exact = caf["indfoy_ndur"].to_numpy()[:, None] * shares  # (rows, 8)
    nb = len(QF_BANDS)
    qf = {
        "dtreffre": np.repeat(dtref, nb).tolist(),
        "numcomdo": np.repeat(caf["commune"].to_numpy(), nb).tolist(),
        "nomcom": np.repeat(np.array(nomcom, dtype=object), nb).tolist(),
        "qf_400": list(QF_BANDS) * len(caf),
        "indfoy_ndur": _fmt_int(_round5(exact.ravel())),
        "indnbp_ndur": _fmt_int(_round5((exact * QF_PERSONS[None, :]).ravel())),
    }
    ndur_qf = _csv(qf, sep=";", bom=True)
    # rsa_s_type_com_f: RSA majoré / non majoré
    rsa = caf["indfoy_rsa"].to_numpy()
    share_m = caf["rsa_majore_share"].to_numpy()
    exact = np.stack([rsa * share_m, rsa * (1 - share_m)], axis=1)
    persons = exact * np.array([2.55, 1.65])[None, :]
    rsa_type = {
        "dtreffre": np.repeat(dtref, 2).tolist(),
        "numcomdo": np.repeat(caf["commune"].to_numpy(), 2).tolist(),
        "nomcom": np.repeat(np.array(nomcom, dtype=object), 2).tolist(),
        "rsa_type": ["RSA majoré", "RSA non majoré"] * len(caf),
        "indfoy_rsa": _fmt_int(_round5(exact.ravel())),
        "indnbp_rsa": _fmt_int(_round5(persons.ravel())),
    }
    return s_ben, ndur_qf, _csv(rsa_type, sep=";", bom=True)


XX_EPCI = {  # placeholder EPCI rows of the Cafdata Onape files: year -> global rate
    2019: 176.3, 2020: 188.9, 2021: 201.4, 2022: 190.2, 2023: 195.8,
}  # fmt: skip


def _pe_columns(suffix: str) -> tuple[list[str], list[str]]:
    rates = [f"txcouv_{m}_{suffix}" for m in PE_MODES] + [f"txcouv_{suffix}"]
    places = [f"pl_{m}_{suffix}" for m in PE_MODES] + [f"tot_offre_{suffix}"]
    return rates, places


def _files_onape(model: DemoModel) -> dict[str, bytes]:
    """Cafdata txcouv_pe_{com,epci,dep,nat} and nbpla_pe_* (`;`, BOM)."""
    tables = _onape(model)
    c = model.communes.set_index("code")
    epci_names = model.epcis.set_index("code")["nom"]
    modes = [*PE_MODES, "total"]
    files: dict[str, bytes] = {}

    def write(level: str, ident: dict[str, list[str]], annee: list[str], pl, tx) -> None:
        rate_cols, place_cols = _pe_columns(level)
        rates = {"annee": annee, **ident}
        places = {"annee": annee, **ident}
        for m, rc, pc in zip(modes, rate_cols, place_cols, strict=True):
            rates[rc] = _fmt_fixed(tx[m], 1)
            places[pc] = _fmt_int(pl[m])
        files[f"txcouv_pe_{level}.csv"] = _csv(rates, sep=";", bom=True)
        files[f"nbpla_pe_{level}.csv"] = _csv(places, sep=";", bom=True)

    dep_ident = {"numdep": DEMO_DEPARTEMENT, "nomdep": DEMO_DEPARTEMENT_NAME}
    # communes over 10,000 inhabitants
    t = tables["com"]
    keys = t["key"].to_numpy()
    ident = {
        "numcom": keys.tolist(),
        "nomcom": c.loc[keys, "nom"].tolist(),
        "numepci": c.loc[keys, "epci"].tolist(),
        "nomepci": c.loc[keys, "nom_epci"].tolist(),
        **{k: [v] * len(t) for k, v in dep_ident.items()},
    }
    write(
        "com",
        ident,
        _fmt_int(t["annee"]),
        {m: t[f"pl_{m}"].to_numpy() for m in modes},
        {m: t[f"tx_{m}"].to_numpy() for m in modes},
    )
    # EPCI, plus one placeholder row "XX" per year with extreme values
    t = tables["epci"]
    xx_years = np.array(PE_YEARS)
    xx_places = {"psu_col": 0, "hors_psu_col": 0, "eaje": 0, "prescol": 2, "am_ind": 44,
                 "gad_ind": 1, "ind": 45, "total": 47}  # fmt: skip
    xx_rates = {
        "total": np.array([XX_EPCI[y] for y in PE_YEARS]),
    }
    xx_rates.update({"psu_col": 0.0, "hors_psu_col": 0.0, "eaje": 0.0, "prescol": 8.3,
                     "gad_ind": 4.2})  # fmt: skip
    xx_rates["am_ind"] = xx_rates["total"] - 8.3 - 4.2
    xx_rates["ind"] = xx_rates["total"] - 8.3
    n_xx = len(xx_years)
    keys = t["key"].tolist() + ["XX"] * n_xx
    annee = t["annee"].tolist() + list(xx_years)
    order = np.lexsort((np.array([k == "XX" for k in keys]), np.array(annee)))
    ident = {
        "numepci": keys,
        "nomepci": [epci_names.get(k, "") for k in keys],
        **{k: [v] * len(keys) for k, v in dep_ident.items()},
    }
    pl = {m: np.concatenate([t[f"pl_{m}"].to_numpy(), np.full(n_xx, xx_places[m])]) for m in modes}
    tx = {
        m: np.concatenate([t[f"tx_{m}"].to_numpy(), np.broadcast_to(xx_rates[m], n_xx)])
        for m in modes
    }
    write(
        "epci",
        {k: [v[i] for i in order] for k, v in ident.items()},
        _fmt_int(np.array(annee)[order]),
        {m: v[order] for m, v in pl.items()},
        {m: v[order] for m, v in tx.items()},
    )
    # département
    t = tables["dep"]
    ident = {
        **{k: [v] * len(t) for k, v in dep_ident.items()},
        "numregi": [DEMO_REGION] * len(t),
        "nomregi": [DEMO_REGION_NAME] * len(t),
    }
    write(
        "dep",
        ident,
        _fmt_int(t["annee"]),
        {m: t[f"pl_{m}"].to_numpy() for m in modes},
        {m: t[f"tx_{m}"].to_numpy() for m in modes},
    )
    # national (annee is a date here)
    years = list(PE_YEARS)
    comp = np.array([NATIONAL_RATES[y] for y in years])  # psu, hors, prescol, am, gad
    under3 = np.array([NATIONAL_UNDER3[y] for y in years], dtype=float)
    tx = {
        "psu_col": comp[:, 0],
        "hors_psu_col": comp[:, 1],
        "eaje": comp[:, 0] + comp[:, 1],
        "prescol": comp[:, 2],
        "am_ind": comp[:, 3],
        "gad_ind": comp[:, 4],
        "ind": comp[:, 3] + comp[:, 4],
        "total": np.array([NATIONAL_GLOBAL[y] for y in years]),
    }
    base = ("psu_col", "hors_psu_col", "prescol", "am_ind", "gad_ind")
    pl = {m: _round_to(tx[m] * under3 / 100, 1).astype(np.int64) for m in base}
    pl["eaje"] = pl["psu_col"] + pl["hors_psu_col"]
    pl["ind"] = pl["am_ind"] + pl["gad_ind"]
    pl["total"] = pl["eaje"] + pl["prescol"] + pl["ind"]
    write(
        "nat",
        {"national": [NATIONAL_LABEL] * len(years)},
        [f"{y}-01-01" for y in years],
        pl,
        tx,
    )
    return files


def _file_tauxcouv(model: DemoModel) -> bytes:
    """Legacy data.caf.fr TAUXCOUV2021.csv: all communes, `;`, decimal comma, mixed case."""
    year = 2021
    c = model.communes
    tables = _onape(model)
    p = model.places[model.places["annee"] == year].set_index("commune")
    epci_rate = tables["epci"].query("annee == @year").set_index("key")["tx_total"]
    dep_rate = float(tables["dep"].query("annee == @year")["tx_total"].iloc[0])
    ze = np.where(c["epci_idx"] <= 1, 0, 1)
    n = len(c)
    columns = {
        "NUM_COM": ["99999", "XXXXX", *c["code"]],
        "NOM_COM": ["Étranger", "Commune inconnue", *c["nom"]],
        "NUM_EPCI": ["", "", *c["epci"]],
        "NOM_EPCI": ["", "", *c["nom_epci"]],
        "NUMZEMPL": ["", "", *[ZONES_EMPLOI[z][0] for z in ze]],
        "NOMZEMPL": ["", "", *[ZONES_EMPLOI[z][1] for z in ze]],
        "tauxcouv_com": ["", "", *_fmt_fixed(_round_to(p.loc[c["code"], "coverage"], 0.1), 1,
                                             comma=True)],
        "tauxcouv_epci": ["", "", *_fmt_fixed(epci_rate.loc[c["epci"]], 1, comma=True)],
        "tauxcouv_dep": ["", "", *_fmt_fixed(np.full(n, dep_rate), 1, comma=True)],
        "tauxcouv_reg": ["", "", *_fmt_fixed(np.full(n, dep_rate), 1, comma=True)],
        "tauxcouv_fe": _fmt_fixed(np.full(n + 2, NATIONAL_GLOBAL[year]), 1, comma=True),
    }  # fmt: skip
    return _csv(columns, sep=";")


def _file_qpv(model: DemoModel) -> bytes:
    """ANCT listeqp2024-cog2024.csv: `;`, utf-8-sig, multi-commune QPV in one cell."""
    c = model.communes
    rows = []
    for code, name, idx in QPV_SPECS:
        sub = c.iloc[list(idx)]
        rows.append(
            {
                "code_qp": code,
                "lib_qp": name,
                "insee_reg": DEMO_REGION,
                "lib_reg": DEMO_REGION_NAME,
                "insee_dep": DEMO_DEPARTEMENT,
                "lib_dep": DEMO_DEPARTEMENT_NAME,
                "insee_com": ", ".join(sub["code"]),
                "lib_com": ", ".join(sub["nom"]),
                "siren_epci": sub["epci"].iloc[0],
                "lib_epci": sub["nom_epci"].iloc[0],
            }
        )
    frame = pd.DataFrame(rows)
    return _csv({k: frame[k].tolist() for k in frame.columns}, sep=";", bom=True)


def frr_classification(model: DemoModel) -> pd.Series:
    """FRR label of the ~40 classified rural communes (index: commune code)."""
    rng = _rng(10)
    c = model.communes
    rural = c[c["epci_idx"] >= 2]
    # the smaller and the more remote, the more likely classified
    score = _q(np.log(rural["pop21"].to_numpy()) - 0.25 * np.sqrt(rural["d2"].to_numpy()))
    score = score + _q(rng.normal(0, 0.5, len(rural)))
    ranked = rural.assign(score=score).sort_values(["score", "code"])
    frr, frr_plus, beneficiaire, partiel = FRR_LABELS
    labels = [frr_plus] * 5 + [frr] * 31 + [beneficiaire] * 3
    chosen = ranked.iloc[: len(labels)]
    out = pd.Series(labels, index=chosen["code"].to_numpy())
    bourg = c[(c["kind"] == "bourg")]["code"].iloc[-1]
    out[bourg] = partiel
    return out.sort_index()


def _file_frr(model: DemoModel) -> bytes:
    """FRR list (mapped format): `;`, UTF-8, CODGEO;LIBGEO;FRR."""
    frr = frr_classification(model)
    names = model.communes.set_index("code")["nom"]
    return _csv(
        {"CODGEO": list(frr.index), "LIBGEO": names.loc[frr.index].tolist(), "FRR": list(frr)},
        sep=";",
    )


def _file_geojson(model: DemoModel) -> bytes:
    """communes-96-demo.geojson: schematic polygons sharing vertices, properties code/nom."""
    c = model.communes
    lines = []
    for code, nom, x, y, w, h in zip(c["code"], c["nom"], c["x"], c["y"], c["w"], c["h"],
                                     strict=True):  # fmt: skip
        feature = {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [_ring(model.lattice, x, y, w, h)]},
            "properties": {"code": code, "nom": nom},
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    return text.encode("utf-8")


# --------------------------------------------------------------------------------------------
# Manifest, README, generation
# --------------------------------------------------------------------------------------------

COG_FILE = "v_commune_2024.csv"
EPCI_FILE = "Intercommunalite_Metropole_au_01-01-2024.xlsx"
FAMILY_FILE = f"base-ic-couples-familles-menages-{FAMILY_YEAR}.csv"
FILO_DISP = "FILO2021_DISP_COM.csv"
FILO_PAUVRES = "FILO2021_DISP_PAUVRES_COM.csv"
FILO_LONG = "DS_FILOSOFI_CC_2023_data.csv"
CAF_FILES = ("s_ben_com_f.csv", "ndur_s_qf_400_com_f.csv", "rsa_s_type_com_f.csv")
TAUXCOUV_FILE = "TAUXCOUV2021.csv"
QPV_FILE = "listeqp2024-cog2024.csv"
FRR_FILE = "frr_communes.csv"
GEOJSON_FILE = f"communes-{DEMO_DEPARTEMENT}-demo.geojson"
MANIFEST_FILE = "manifeste.yaml"
README_FILE = "README.md"


def rp_file(year: int) -> str:
    return f"base-ic-evol-struct-pop-{year}.csv"


def _manifest(model: DemoModel) -> bytes:
    rp = "".join(f"\n    - {rp_file(y)}" for y in RP_YEARS)
    perimeters = "\n".join(
        f"  {code}:\n    nom: {json.dumps(name, ensure_ascii=False)}\n"
        f"    communes: {json.dumps(list(communes))}"
        for code, (name, communes) in model.perimeters.items()
    )
    text = f"""\
# Données fictives : département de démonstration généré par « {GENERATED_BY} ».
# Ne pas modifier à la main : la commande régénère ces fichiers octet pour octet.
nom: {DEMO_DEPARTEMENT_NAME}
fictif: true
departements: ["{DEMO_DEPARTEMENT}"]
noms:
  departements: {{"{DEMO_DEPARTEMENT}": "{DEMO_DEPARTEMENT_NAME}"}}
  regions: {{"{DEMO_REGION}": "{DEMO_REGION_NAME}"}}
fichiers:
  cog_communes: {COG_FILE}
  epci_composition: {EPCI_FILE}
  population_age:{rp}
  familles: [{FAMILY_FILE}]
  filosofi: [{{disp: {FILO_DISP}, pauvres: {FILO_PAUVRES}}}]
  filosofi_long: [{FILO_LONG}]
  cafdata: [{", ".join(CAF_FILES)}]
  petite_enfance:
    taux: {{com: txcouv_pe_com.csv, epci: txcouv_pe_epci.csv, dep: txcouv_pe_dep.csv, \
nat: txcouv_pe_nat.csv}}
    places: {{com: nbpla_pe_com.csv, epci: nbpla_pe_epci.csv, dep: nbpla_pe_dep.csv, \
nat: nbpla_pe_nat.csv}}
  tauxcouv_historique: [{TAUXCOUV_FILE}]
  qpv: {QPV_FILE}
  frr:
    fichier: {FRR_FILE}
    colonnes: {{code: CODGEO, classement: FRR, nom: LIBGEO}}
    valeurs: {{"FRR": frr, "FRR+": frr_plus, "Bénéficiaire": beneficiaire, \
"Partiellement classée": partiel}}
  contours: {GEOJSON_FILE}
perimetres:
{perimeters}
"""
    return text.encode("utf-8")


def _readme(model: DemoModel) -> bytes:
    c, e = model.communes, model.epcis
    pop = model.commune_years.query("annee == 2021")["pop_totale"]
    city = c.iloc[0]
    big = c[model.commune_years.query("annee == 2021")["pop_totale"].to_numpy() > 10_000]
    epci_lines = "\n".join(
        f"| {code} | {nom} | {nature} | {nb} |"
        for code, nom, nature, nb in zip(e["code"], e["nom"], e["nature"], e["nb_com"],
                                         strict=True)
    )  # fmt: skip
    rows = [
        (COG_FILE, "Insee, COG : `v_commune_2024.csv`",
         "`,`, UTF-8 ; lignes `COM` et 2 lignes `COMD` (commune nouvelle 96047)"),
        (EPCI_FILE, "Insee, « EPCI au 1er janvier »",
         "feuilles `Composition_communale` et `EPCI`, 5 lignes de titre avant l'en-tête"),
        *[
            (rp_file(y), f"Insee, RP {y}, base infracommunale (IRIS)",
             f"`;`, UTF-8, colonnes `P{y % 100:02d}_…` / `C{y % 100:02d}_…`, "
             "effectifs pondérés décimaux")
            for y in RP_YEARS
        ],
        (FAMILY_FILE, "Insee, RP 2021, couples – familles – ménages (IRIS)", "`;`, UTF-8"),
        (FILO_DISP, "Insee, Filosofi 2021 (format large)",
         "`;`, UTF-8 avec BOM, secret `s` et `nd`"),
        (FILO_PAUVRES, "Insee, Filosofi 2021, taux de pauvreté",
         "`;`, UTF-8 avec BOM, secret `s` et `nd`"),
        (FILO_LONG, "Insee, Filosofi 2 (format long Melodi)",
         "`;`, lignes COM, EPCI, DEP ; `CONF_STATUS=C` sans valeur pour les petites communes"),
        (CAF_FILES[0], "Cnaf, Cafdata `s_ben_com_f`",
         "`;`, UTF-8 avec BOM, effectifs arrondis à 5, montants à 100 € ; une ligne par "
         "année sans code commune (foyers non localisés)"),
        (CAF_FILES[1], "Cnaf, Cafdata `ndur_s_qf_400_com_f`", "8 tranches de QF, arrondis à 5"),
        (CAF_FILES[2], "Cnaf, Cafdata `rsa_s_type_com_f`", "RSA majoré / non majoré"),
        ("txcouv_pe_*.csv, nbpla_pe_*.csv", "Cnaf, Cafdata (Onape), niveaux com, epci, dep, nat",
         "`;`, UTF-8 avec BOM ; communes de plus de 10 000 habitants seulement ; "
         "une ligne `numepci=XX` par année (valeurs extrêmes, à écarter)"),
        (TAUXCOUV_FILE, "ancien data.caf.fr, taux de couverture de toutes les communes",
         "`;`, virgule décimale, en-tête en casse mixte, lignes `99999` et `XXXXX` en tête"),
        (QPV_FILE, "ANCT, liste des QPV 2024",
         "`;`, UTF-8 avec BOM ; un QPV sur deux communes (`insee_com` = « 96001, 96002 »)"),
        (FRR_FILE, "ANCT / DGCL, France Ruralités Revitalisation (colonnes à déclarer)",
         "`;`, UTF-8, `CODGEO;LIBGEO;FRR`"),
        (GEOJSON_FILE, "contours schématiques au format france-geojson",
         "propriétés `code` et `nom`, WGS84, 5 décimales, polygones jointifs"),
        (MANIFEST_FILE, "manifeste du jeu de données", "fichiers et périmètres CTG"),
    ]  # fmt: skip
    files = "\n".join(f"| `{name}` | {what} | {how} |" for name, what, how in rows)
    perimeters = "\n".join(
        f"- `{code}` : {name} — {', '.join(communes)}"
        for code, (name, communes) in model.perimeters.items()
    )
    n_small = int((pop.to_numpy() < 2000).sum())
    text = f"""\
# Département de démonstration (fictif) — **Données fictives**

> **Toutes les données de ce dossier sont fictives.** Le « {DEMO_DEPARTEMENT_NAME} »
> (code {DEMO_DEPARTEMENT}, qu'aucun département réel n'utilise), ses {len(c)} communes, ses
> {len(e)} EPCI, leurs noms, leurs populations, leurs allocataires, leurs places d'accueil et
> leurs contours sont **inventés**. Toute ressemblance avec des lieux réels est fortuite. Ils
> servent à essayer l'outil, à le montrer et à le tester, jamais à décrire un territoire.

Les fichiers sont écrits **exactement dans les formats des fichiers publiés** (mêmes noms,
mêmes en-têtes, mêmes séparateurs et encodages, BOM des exports Cafdata, arrondis à 5, marques
de secret statistique, lignes « fantômes » à écarter) : ils passent par les mêmes chargeurs
que les vraies données.

## Régénérer

```
territoire demo            # réécrit data/demo/ à l'identique, octet pour octet
territoire demo --dossier AUTRE_DOSSIER
```

La génération est déterministe (graine fixe, aucune dépendance à l'heure ni à la machine).
Ne modifiez pas ces fichiers à la main : un test vérifie qu'ils sont identiques à ceux que la
commande produit.

## Le territoire fictif

- Ville-centre : {city["nom"]} ({city["code"]}), environ {fmt_int(round(float(pop.iloc[0]), -2))}
  habitants, découpée en {len(CITY_IRIS)} IRIS, avec {len(QPV_SPECS)} quartiers prioritaires
  (QPV) dont un à cheval sur {c["nom"].iloc[1]} (96002).
- Communes de plus de 10 000 habitants : {", ".join(big["nom"])}.
- {n_small} communes sur {len(c)} ont moins de 2 000 habitants ; population totale 2021 :
  environ {fmt_int(round(float(pop.sum()), -3))} habitants.
- Communes classées FRR dans les trois communautés de communes rurales.

| EPCI (SIREN fictif) | Nom | Nature | Communes |
|---|---|---|---|
{epci_lines}

Périmètres CTG déclarés dans `manifeste.yaml` :

{perimeters}

## Fichiers

| Fichier | Source imitée | Format |
|---|---|---|
{files}

## Ce qui est inventé, en plus des chiffres

- Taux de couverture nationaux (`txcouv_pe_nat.csv`) : les taux globaux 2020 (58,8),
  2022 (59,5) et 2023 (60,9) sont les valeurs publiées par l'Onape ; **2019 (59,1) et
  2021 (59,2) sont interpolés**, et la décomposition par mode d'accueil ainsi que le nombre
  national d'enfants de moins de 3 ans sont inventés.
- Règle de secret imitée pour Filosofi : médiane publiée à partir de {FILO_MEDIAN_MIN} ménages
  fiscaux, distribution et taux de pauvreté à partir de {fmt_int(FILO_DETAIL_MIN)} ménages ; quelques
  valeurs `nd`. Les codes d'unité du format long (`EUR_YR`, `PT`, `HH`, `IND`) sont plausibles mais
  non vérifiés.
- Les noms de colonnes de la liste FRR réelle ne sont pas connus : le fichier suit le format
  « colonnes à déclarer » du manifeste.
- Les contours sont une grille déformée (placée vers 4,6–5,3° E et 46,7–47,1° N) : ils ne
  représentent aucun lieu.
"""
    return text.encode("utf-8")


def build_demo_files(model: DemoModel | None = None) -> dict[str, bytes]:
    """Every file of the demo as bytes, keyed by file name (deterministic)."""
    model = build_model() if model is None else model
    files: dict[str, bytes] = {
        COG_FILE: _file_cog(model),
        EPCI_FILE: _file_epci_xlsx(model),
    }
    structure = _rp_structure(model)
    for year in RP_YEARS:
        files[rp_file(year)] = _file_rp(model, structure, year)
    files[FAMILY_FILE] = _file_families(model)
    files[FILO_DISP], files[FILO_PAUVRES] = _files_filosofi(model)
    files[FILO_LONG] = _file_filosofi_long(model)
    files[CAF_FILES[0]], files[CAF_FILES[1]], files[CAF_FILES[2]] = _files_cafdata(model)
    files.update(_files_onape(model))
    files[TAUXCOUV_FILE] = _file_tauxcouv(model)
    files[QPV_FILE] = _file_qpv(model)
    files[FRR_FILE] = _file_frr(model)
    files[GEOJSON_FILE] = _file_geojson(model)
    files[MANIFEST_FILE] = _manifest(model)
    files[README_FILE] = _readme(model)
    return files


def generate_demo(folder: Path = DEMO_DIR) -> list[Path]:
    """Write the fictional demo département into `folder`; return the paths written.

    All files are first written into a temporary folder next to the target, then moved into
    place one by one (each move is atomic). Other files of `folder` are left alone.
    """
    folder = Path(folder)
    files = build_demo_files()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    written = []
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        for name in files:
            target = folder / name
            os.replace(tmp / name, target)
            written.append(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written
