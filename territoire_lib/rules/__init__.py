"""CNAF rules read from dated parameter files, and the funding formulas built on them.

Every amount, rate, ceiling and threshold lives in ``territoire_lib/parameters/<theme>/<name>.yaml``
(OpenFisca style: French description, unit, values keyed by date, each with its reference and its
status, « confirmée » or « à vérifier »). A value stays in force until the next dated value;
``value: null`` means "not documented from this date on". A value used past the date up to
which it is documented (``valid_until``, or the next yearly revision of a parameter with
``revision: annuelle``) is carried forward and flagged « valeur 2025 reconduite, à vérifier ».

Parameter names are the file path without extension, with dots: ``psu.taux``,
``bareme.plafond_ressources``. A key of a table parameter is addressed with one more dot:
``bonus.attractivite.prive``.

Every formula returns the names of the « à vérifier » parameters it actually used
(``a_verifier``), so that any output can flag them.

Formulas:

- :func:`family_participation_hourly`: barème national des participations familiales
  (vectorised over incomes);
- :func:`psu_prix_plafond`: PSU hourly ceiling by taux de facturation and couches-repas,
  steps before 2025, linear decrease since the 2025 reform;
- one function per bonus (:func:`bonus_mixite_par_place`, :func:`bonus_handicap_par_place`,
  :func:`bonus_territoire_par_place`, :func:`bonus_trajectoire_par_place`,
  :func:`bonus_attractivite_par_place`) and :func:`aide_investissement` (PIAJE);
- :func:`simulate_eaje`, :func:`simulate_alsh`, :func:`simulate_avs`: the funding of one
  facility per year, per place and per hour, with the remaining charge (the PSU is paid on
  the billed hours);
- :func:`psu_calculator`: one crèche's PSU step by step from its annual figures (the
  ``territoire psu`` command and the notebooks).

Layout, by job (each module's docstring says what it owns and what it imports):

- :mod:`.base`: the error, the statuses, dates and French display of values;
- :mod:`.parameters`: the values in force at a date (:class:`ParameterSet`);
- :mod:`.loading`: reading and validating the YAML files (:func:`load_parameters`);
- :mod:`.changes`: what changed between two dates (veille, :func:`parameter_changes`);
- :mod:`.formula`: a formula's :class:`Result` and the trace of the parameters it read;
- :mod:`.bareme`: the barème des participations familiales;
- :mod:`.bonus`: the EAJE bonuses per place and the PIAJE investment aid;
- :mod:`.simulation`: what the facility simulations share (checks, table, dating);
- :mod:`.eaje`, :mod:`.alsh`, :mod:`.avs`: one facility's annual funding;
- :mod:`.psu_calculator`: one crèche's PSU with the arithmetic of every figure.

Layer « règles »: imports only the socle (``french``, ``errors``). This facade only re-exports
the public names; the submodules import each other directly, never through it.
"""

from __future__ import annotations

from .alsh import AlshFunding, AlshInput, simulate_alsh
from .avs import STRUCTURES_AVS, AvsFunding, AvsInput, simulate_avs
from .bareme import ACCUEILS, family_participation_hourly
from .base import (
    A_VERIFIER,
    CONFIRMEE,
    NNBSP,
    STATUTS,
    RulesError,
    display_unit,
    fmt_date,
    fmt_euros,
    fmt_nombre,
    fmt_pct,
    fmt_valeur,
    parse_date,
)
from .bonus import (
    ENFANTS_HANDICAP,
    GESTIONNAIRES,
    TRANCHES_TERRITOIRE,
    aide_investissement,
    bonus_attractivite_par_place,
    bonus_handicap_par_place,
    bonus_mixite_par_place,
    bonus_territoire_par_place,
    bonus_trajectoire_par_place,
    tranche_territoire,
)
from .changes import parameter_changes
from .eaje import EajeFunding, EajeInput, psu_prix_plafond, simulate_eaje
from .formula import Result
from .loading import KINDS, PARAMETERS_DIR, load_parameters
from .parameters import Parameter, ParameterSet, ParamValue
from .psu_calculator import PsuCalculation, psu_calculator

__all__ = [
    "ACCUEILS",
    "A_VERIFIER",
    "AlshFunding",
    "AlshInput",
    "AvsFunding",
    "AvsInput",
    "CONFIRMEE",
    "ENFANTS_HANDICAP",
    "EajeFunding",
    "EajeInput",
    "GESTIONNAIRES",
    "KINDS",
    "NNBSP",
    "PARAMETERS_DIR",
    "ParamValue",
    "Parameter",
    "ParameterSet",
    "PsuCalculation",
    "Result",
    "RulesError",
    "STATUTS",
    "STRUCTURES_AVS",
    "TRANCHES_TERRITOIRE",
    "aide_investissement",
    "bonus_attractivite_par_place",
    "bonus_handicap_par_place",
    "bonus_mixite_par_place",
    "bonus_territoire_par_place",
    "bonus_trajectoire_par_place",
    "display_unit",
    "family_participation_hourly",
    "fmt_date",
    "fmt_euros",
    "fmt_nombre",
    "fmt_pct",
    "fmt_valeur",
    "load_parameters",
    "parameter_changes",
    "parse_date",
    "psu_calculator",
    "psu_prix_plafond",
    "simulate_alsh",
    "simulate_avs",
    "simulate_eaje",
    "tranche_territoire",
]
