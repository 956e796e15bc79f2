"""Evaluation of a CTG action plan: progress of each follow-up indicator toward its target,
rolled up per axis and for the whole CTG, and the budget planned against spent.

The rules (shown to readers by :func:`rule_text`):

- **Share achieved** ``(realised − baseline) / (target − baseline)``: 0 at the baseline, 1 (100 %)
  at the target, above 1 beyond it, negative when the indicator moved the wrong way. The same
  formula serves targets that go up (« hausse ») and down (« baisse »): both differences change
  sign together.
- **Target equal to the baseline** (an objective of maintenance): the share achieved is 1 when
  the realised value is at the target or on its favourable side (the ``direction``), otherwise
  1 minus the relative shortfall ``|realised − target| / |target|`` (0 at worst; 0 as soon as it
  falls short of a target of 0). The share expected is always 1.
- **Share expected** at the year of the realised value: linear in time from the baseline year
  (0) to the target year (1), capped to [0, 1].
- **Status** from the gap ``achieved − expected`` (in points of share): « en bonne voie » when
  the gap is at least −tolerance, « à surveiller » down to −2 × tolerance, « en retard » below.
  Default tolerance: 10 points. No realised value: « non renseigné ». Baseline, target or years
  missing, or a target on the unfavourable side of the baseline: « non évaluable ».
- **Roll-up** (per axis, whole CTG): every evaluated indicator weighs the same; the share
  achieved is capped to [0, 1] first (beyond the target counts as 100 %, the wrong way as 0 %:
  one indicator far ahead must not hide another one behind). The group's status is the same
  rule applied to the mean capped share achieved against the mean share expected, but a group
  holding an indicator « en retard » is at best « à surveiller ».
- **Budget**: planned and spent are summed (per fiche, axis, funder or year), then divided:
  the execution rate is a ratio of sums, never a mean of rates.

Everything is vectorised over pandas objects; only :mod:`.access` reads a database (see
:mod:`territoire_lib.plan` for that; :mod:`.access` ties the two together).

Layer « évaluation » (may import socle, graphiques, sources, données, indicateurs and the
shared plan base ``plan.*``; never sorties, lot or applications). This package is a facade:
it re-exports the public names of its submodules, bottom to top:

- :mod:`.constants`: statuses, symbols, tolerance, directions, columns;
- :mod:`.status`: the progress rule and the roll-up (:func:`progress`, :func:`rollup`);
- :mod:`.budget`: planned against spent (:func:`budget_summary`);
- :mod:`.wording`: French text (:func:`rule_text`, :func:`status_label`, :func:`pct`…);
- :mod:`.charts`: the Altair builders (bullet charts, trajectories, budget);
- :mod:`.frames`: the indicator tables of a stored plan (:func:`infer_direction`);
- :mod:`.texts`, :mod:`.tables`, :mod:`.figures`: the French texts, display tables and
  charts of an :class:`Evaluation` (mixins);
- :mod:`.core`: the :class:`Evaluation` of one CTG for one year;
- :mod:`.access`: building it from a plan document, a session or a database
  (:func:`evaluate_plan`, :func:`ensure_demo_database`…).
"""

from .access import (
    check_year,
    default_year,
    ensure_demo_database,
    evaluate,
    evaluate_document,
    evaluate_plan,
    open_plan,
)
from .budget import budget_summary
from .constants import (
    AT_RISK,
    CAP,
    DONE,
    DOWN,
    DROPPED,
    INPUT_COLUMNS,
    LATE,
    NO_VALUE,
    NOT_EVALUABLE,
    NOT_STARTED,
    ON_TRACK,
    OUTPUT_COLUMNS,
    STATUS_SYMBOLS,
    STATUSES,
    TOLERANCE,
    UP,
)
from .core import Evaluation
from .frames import BUDGET_COLUMNS, INDICATOR_COLUMNS, VALUE_COLUMNS, infer_direction
from .status import normalise_direction, progress, progress_frame, rollup
from .wording import euros, fmt_date, fmt_value, pct, rule_text, status_label

__all__ = [
    "TOLERANCE",
    "ON_TRACK",
    "AT_RISK",
    "LATE",
    "NO_VALUE",
    "NOT_EVALUABLE",
    "STATUSES",
    "STATUS_SYMBOLS",
    "CAP",
    "UP",
    "DOWN",
    "INPUT_COLUMNS",
    "OUTPUT_COLUMNS",
    "normalise_direction",
    "progress",
    "progress_frame",
    "rollup",
    "budget_summary",
    "pct",
    "rule_text",
    "status_label",
    "DONE",
    "DROPPED",
    "NOT_STARTED",
    "fmt_value",
    "euros",
    "fmt_date",
    "infer_direction",
    "INDICATOR_COLUMNS",
    "VALUE_COLUMNS",
    "BUDGET_COLUMNS",
    "Evaluation",
    "evaluate_document",
    "check_year",
    "default_year",
    "evaluate",
    "ensure_demo_database",
    "open_plan",
    "evaluate_plan",
]
