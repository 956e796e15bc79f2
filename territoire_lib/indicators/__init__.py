"""Indicators: the catalogue (``catalogue.yaml``) and the engine computing every indicator, as
a ratio of sums, for every territory of any level or perimeter and every year.

Main entry points::

    load_catalogue() -> dict[str, Indicator]
    compute(territory, level, indicators=None, years=None) -> DataFrame
    indicator_table(territory, code, year=None) -> DataFrame
    alerts(row) -> list[str]

Layer « indicateurs »: imports its own layer (indicators.catalogue, indicators.engine,
indicators.table).
"""

from .catalogue import (
    CATALOGUE_PATH,
    AlertRule,
    Catalogue,
    DerivedVariable,
    Indicator,
    SecrecyRule,
    Strata,
    Stratum,
    Term,
    Threshold,
    load_catalogue,
    load_catalogue_full,
    parse_catalogue,
    sppe_strata,
    variable_uses,
)
from .engine import (
    LEVELS,
    OUTPUT_COLUMNS,
    UnknownIndicatorError,
    available_indicators,
    cached,
    clear_cache,
    compute,
    compute_all,
    evolutions,
    missing_variables,
)
from .table import (
    TABLE_COLUMNS,
    alerts,
    evolution_phrase,
    format_points,
    format_value,
    indicator_table,
)

__all__ = [
    "CATALOGUE_PATH",
    "LEVELS",
    "OUTPUT_COLUMNS",
    "TABLE_COLUMNS",
    "AlertRule",
    "Catalogue",
    "DerivedVariable",
    "Indicator",
    "SecrecyRule",
    "Strata",
    "Stratum",
    "Term",
    "Threshold",
    "UnknownIndicatorError",
    "alerts",
    "available_indicators",
    "cached",
    "clear_cache",
    "compute",
    "compute_all",
    "evolution_phrase",
    "evolutions",
    "format_points",
    "format_value",
    "indicator_table",
    "load_catalogue",
    "load_catalogue_full",
    "missing_variables",
    "parse_catalogue",
    "sppe_strata",
    "variable_uses",
]
