"""Scenarios: open or close childcare places by mode, commune and year; simulate coverage,
costs by funder and SPPE duties over a CTG horizon; compare scenarios; test their sensitivity.

A scenario is a YAML file (French keys, French comments; see ``data/scenarios/``)::

    nom: Scénario A — une crèche à Valmont
    territoire: "296000011"          # EPCI, commune, département or perimeter code
    annee_base: 2024                 # capacity: the places of December of this year
    horizon: [2025, 2029]
    hypotheses:                      # optional: every key has a default (see DEFAULT_HYPOTHESES)
      taux_occupation: 0.70
      cout_par_place: {creche_psu: 17000}
    cofinancements:
      autres_par_place: {creche_psu: 300}
      part_commune: 1.0
    leviers:
      - levier: creche_psu           # creche_psu, micro_creche_paje, mam,
        commune: "96001"             # assistantes_maternelles, alsh, rpe
        annee: 2026
        places: 24                   # always positive; « action: fermer » closes places
        nom: Multi-accueil des Tilleuls

:func:`load_scenario` validates the file and raises a :class:`DataError` listing every
problem with its line (positions come from the YAML nodes). :func:`save_scenario` writes
atomically and never replaces an existing file unless asked. :func:`simulate` computes, per
year and per territory (the perimeter and each of its communes), places by mode, the
taux de couverture (places / projected children 0-2 × 100, a ratio of sums), places used
by children of low-income families or with disabilities, the costs of the new places by
funder (CAF by dispositif through :mod:`rules`, families, commune, others) and the SPPE
duties. Levers take effect on 1 January of their year, for the whole year.

Funding is linear in the number of places for given hypotheses, so :func:`simulate` calls
the rules once per distinct (mode, action, hypotheses, zoning tier, year) and multiplies —
a few dozen calls whatever the number of levers.

The package, by job (each module's docstring says what it owns and may import)::

    schema     levers, hypotheses and their defaults, labels, errors      (imports no sibling)
    validate   YAML reading with lines, French checks of every key        (schema)
    spec       Scenario, load_scenario, save_scenario                     (schema, validate)
    costs      dispositifs, funding of one place by the rules, costs      (schema, spec)
    sppe       SPPE duties per commune and year                           (none)
    result     ScenarioResult, French summary, Excel workbook             (schema, spec, costs)
    simulate   simulate: places, coverage, then costs and SPPE            (all the above)
    compare    compare, trajectories, funding frames, sensitivity         (result, simulate…)

This module is the facade: it only re-exports the public names (layer: scénarios; code
outside the package imports from here, the submodules import each other directly).
"""

from __future__ import annotations

from .compare import (
    DEFAULT_VARIATIONS,
    SENSITIVITY_INDICATORS,
    SENSITIVITY_LABELS,
    compare,
    format_comparison,
    france_reference,
    funding_frame,
    sensitivity,
    trajectory,
)
from .costs import (
    DISPOSITIF_KEYS,
    DISPOSITIFS,
    FRR_FULL,
    FUNDERS,
)
from .result import (
    INDICATOR_LABELS,
    WARN,
    ScenarioResult,
    fmt,
    fr,
    render_result,
    write_xlsx,
)
from .schema import (
    ACTIONS,
    DEFAULT_COFINANCEMENTS,
    DEFAULT_HYPOTHESES,
    HYPOTHESIS_LABELS,
    HYPOTHESIS_SOURCES,
    LEVER_COLUMNS,
    LEVERS,
    PLACE_MODES,
    TOP_KEYS,
    LeverKind,
    ScenarioError,
    ScenarioExistsError,
)
from .simulate import (
    BASE_VARIABLES,
    CAPACITY_COLUMNS,
    simulate,
)
from .spec import (
    REPO_DIR,
    Scenario,
    load_scenario,
    resolve_path,
    save_scenario,
)
from .sppe import (
    SPPE_COLUMNS,
    SPPE_DUTIES,
)

__all__ = [
    "ACTIONS",
    "BASE_VARIABLES",
    "CAPACITY_COLUMNS",
    "DEFAULT_COFINANCEMENTS",
    "DEFAULT_HYPOTHESES",
    "DEFAULT_VARIATIONS",
    "DISPOSITIFS",
    "DISPOSITIF_KEYS",
    "FRR_FULL",
    "FUNDERS",
    "HYPOTHESIS_LABELS",
    "HYPOTHESIS_SOURCES",
    "INDICATOR_LABELS",
    "LEVERS",
    "LEVER_COLUMNS",
    "LeverKind",
    "PLACE_MODES",
    "REPO_DIR",
    "SENSITIVITY_INDICATORS",
    "SENSITIVITY_LABELS",
    "SPPE_COLUMNS",
    "SPPE_DUTIES",
    "Scenario",
    "ScenarioError",
    "ScenarioExistsError",
    "ScenarioResult",
    "TOP_KEYS",
    "WARN",
    "compare",
    "fmt",
    "format_comparison",
    "fr",
    "france_reference",
    "funding_frame",
    "load_scenario",
    "render_result",
    "resolve_path",
    "save_scenario",
    "sensitivity",
    "simulate",
    "trajectory",
    "write_xlsx",
]
