"""The deterministic fictional demo département ("96"), written in the real publishers' formats.

Everything is generated in memory from fixed seeds (``numpy.random.default_rng``), then written
as the files INSEE, the Cnaf (Cafdata / Onape), the ANCT and IGN-derived GeoJSON publishers ship:
same names, headers, separators, encodings (BOM for Cafdata exports), rounding to 5, secrecy
markers and placeholder rows. The loaders of :mod:`territoire_lib.sources` read them back.

Determinism: no time, locale, set ordering or platform dependence. Every random draw and every
transcendental result is quantised right away (``_q``) so that later arithmetic (IEEE exact
operations only) gives the same bits everywhere; numbers are formatted by this package, never
by pandas; the xlsx is assembled by hand with fixed zip timestamps.

The model behind the files (``build_model()``) is public so tests can check its realism
(under-3 shares, coverage per commune, poverty rates) against what the files publish.

This facade only re-exports. The package, layer « données » (it imports the socle only):

* :mod:`.spec` — identity, years and fictional geography (constants);
* :mod:`.numbers` — seeded draws, quantising, rounding, fixed-point formatting, CSV bytes;
* :mod:`.model` — :class:`DemoModel` and :func:`build_model`;
* one module per publisher: :mod:`.cog` (COG, EPCI workbook, with :mod:`.xlsx`),
  :mod:`.insee` (RP, Filosofi), :mod:`.cafdata` (Cafdata, Onape, legacy TAUXCOUV),
  :mod:`.zonages` (ANCT QPV, FRR), :mod:`.geometry` (GeoJSON contours), :mod:`.populations`
  (Insee état civil births, populations légales);
* :mod:`.writer` — file names, manifest, README, :func:`build_demo_files`,
  :func:`generate_demo`.
"""

from __future__ import annotations

from .cafdata import (
    NATIONAL_GLOBAL,
    NATIONAL_LABEL,
    NATIONAL_RATES,
    NATIONAL_UNDER3,
    PE_MODES,
    QF_BANDS,
    QF_BASE,
    QF_PERSONS,
    QF_POVERTY_EXPONENT,
    S_BEN_COLUMNS,
    XX_EPCI,
)
from .cog import _cog_names as _cog_names  # reached as demo._cog_names by tests
from .insee import (
    ALONE_FACTOR,
    BROAD,
    CS_KIND,
    FILO_DETAIL_MIN,
    FILO_DIST_RATIOS,
    FILO_MEDIAN_MIN,
    HOUSEHOLD_SIZE,
    MALE_BROAD,
    MALE_CS,
    MONO_SHARE,
    PSEUL_RATE,
)
from .model import (
    AGE_AGING,
    AGE_BASE,
    AGE_GROUPS,
    AGE_KIND,
    DemoModel,
    build_model,
)
from .model import _luhn_siren as _luhn_siren  # reached as demo._luhn_siren by tests
from .numbers import _round5 as _round5  # reached as demo._round5 by tests
from .populations import BIRTHS_FILE, CROSSING_COMMUNE, LEGAL_FILE, legal_populations
from .spec import (
    BIRTH_YEARS,
    CAF_YEARS,
    CELL_DX,
    CELL_DY,
    CITY_CELL,
    CITY_IRIS,
    COMMUNE_NAMES,
    COMMUNE_NOUVELLE,
    DEMO_DEPARTEMENT,
    DEMO_DEPARTEMENT_NAME,
    DEMO_DIR,
    DEMO_REGION,
    DEMO_REGION_NAME,
    DROPPED_CELLS,
    EPCI_SHORT,
    EPCI_SPECS,
    FAMILY_YEAR,
    GENERATED_BY,
    GRID_H,
    GRID_W,
    KINDS,
    LAT0,
    LEGAL_POPULATION_YEAR,
    LON0,
    MODEL_YEARS,
    PE_YEARS,
    QPV_SPECS,
    RP_YEARS,
    SEED,
    ZONES_EMPLOI,
)
from .writer import (
    CAF_FILES,
    COG_FILE,
    EPCI_FILE,
    FAMILY_FILE,
    FILO_DISP,
    FILO_LONG,
    FILO_PAUVRES,
    FRR_FILE,
    GEOJSON_FILE,
    MANIFEST_FILE,
    QPV_FILE,
    README_FILE,
    TAUXCOUV_FILE,
    build_demo_files,
    generate_demo,
    rp_file,
)
from .zonages import FRR_LABELS, frr_classification

__all__ = [
    "AGE_AGING",
    "AGE_BASE",
    "AGE_GROUPS",
    "AGE_KIND",
    "ALONE_FACTOR",
    "BIRTHS_FILE",
    "BIRTH_YEARS",
    "BROAD",
    "CAF_FILES",
    "CAF_YEARS",
    "CELL_DX",
    "CELL_DY",
    "CITY_CELL",
    "CITY_IRIS",
    "COG_FILE",
    "COMMUNE_NAMES",
    "COMMUNE_NOUVELLE",
    "CROSSING_COMMUNE",
    "CS_KIND",
    "DEMO_DEPARTEMENT",
    "DEMO_DEPARTEMENT_NAME",
    "DEMO_DIR",
    "DEMO_REGION",
    "DEMO_REGION_NAME",
    "DROPPED_CELLS",
    "DemoModel",
    "EPCI_FILE",
    "EPCI_SHORT",
    "EPCI_SPECS",
    "FAMILY_FILE",
    "FAMILY_YEAR",
    "FILO_DETAIL_MIN",
    "FILO_DISP",
    "FILO_DIST_RATIOS",
    "FILO_LONG",
    "FILO_MEDIAN_MIN",
    "FILO_PAUVRES",
    "FRR_FILE",
    "FRR_LABELS",
    "GENERATED_BY",
    "GEOJSON_FILE",
    "GRID_H",
    "GRID_W",
    "HOUSEHOLD_SIZE",
    "KINDS",
    "LAT0",
    "LEGAL_FILE",
    "LEGAL_POPULATION_YEAR",
    "LON0",
    "MALE_BROAD",
    "MALE_CS",
    "MANIFEST_FILE",
    "MODEL_YEARS",
    "MONO_SHARE",
    "NATIONAL_GLOBAL",
    "NATIONAL_LABEL",
    "NATIONAL_RATES",
    "NATIONAL_UNDER3",
    "PE_MODES",
    "PE_YEARS",
    "PSEUL_RATE",
    "QF_BANDS",
    "QF_BASE",
    "QF_PERSONS",
    "QF_POVERTY_EXPONENT",
    "QPV_FILE",
    "QPV_SPECS",
    "README_FILE",
    "RP_YEARS",
    "SEED",
    "S_BEN_COLUMNS",
    "TAUXCOUV_FILE",
    "XX_EPCI",
    "ZONES_EMPLOI",
    "build_demo_files",
    "build_model",
    "frr_classification",
    "generate_demo",
    "legal_populations",
    "rp_file",
]
