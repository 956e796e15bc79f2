"""What the indicator engine masks or flags, why, and what is shown instead; and the
suppression of confidential data, applied to the engine's rows.

Two kinds of data, two rules (``data/README.md``, « Secret statistique »):

* **public data** — what the publisher already spreads (Cafdata counts rounded to 5, Insee
  files with the Insee's own secrecy, ANCT, DGCL). It is shown. A share on a denominator under
  the catalogue's minimum (key ``fiabilite``) is flagged « peu significatif », never called
  secret: both of its counts are public. Only what the source itself did not publish (Filosofi
  ``s`` / ``nd``) is « secret », and a total resting on too few published communes « n.d. »;
* **confidential data** — a variable of a file the manifest marks ``confidentiel: true``, a
  variable of the manifest's list ``confidentiel``, or an indicator the catalogue marks
  ``confidentiel: true`` (requests, commissions, surveys, funding per facility: not public).
  Its counts go through :mod:`.suppression`: under 5 a count is « < 5 », and complements
  (« secret ») are hidden so that no hidden value can be recovered by subtraction, at any
  level. A rate whose numerator or denominator is hidden is « secret ».

The suppression is applied by :func:`suppress_rows`, the last step of
:func:`~territoire_lib.indicators.engine.compute`, the one door through which every figure
leaves the indicator layer: the indicator table, the diagnostic, the committee dashboard, the
batch, the CLI and the exports all read it, so the same cells are hidden in every output. The
pattern of a table (one set of variables, one year) is computed once per territory over the
whole hierarchy, every level at once, and every indicator using those variables hides the same
cells.

Reason codes (column ``motif`` of the engine's rows): 0 none, 1 the source's secret, 2 / 3 a
small denominator / numerator (« peu significatif », shown), 4 too partial, 5 a confidential
count under the threshold, 6 a complementary suppression, 7 / 8 a rate whose numerator /
denominator is a confidential count under the threshold.

Layer « indicateurs »: imports socle (variables); données (key_figures); its own layer
(indicators.catalogue, indicators.suppression).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..key_figures import fr_number
from ..variables import VARIABLES
from . import suppression
from .catalogue import Catalogue, Indicator

THRESHOLD = suppression.THRESHOLD
MOTIF_SECRET = "secret statistique : valeur non diffusée par la source"
MOTIF_COMPLEMENTARY = (
    f"donnée confidentielle : masquée pour qu'aucune valeur de moins de {THRESHOLD} ne puisse "
    "être retrouvée par différence"
)
FRAGILE_CODES = (2, 3)  # « peu significatif »: the value is shown
# what is shown instead of a masked value, by reason code
LABELS = {1: "secret", 4: "n.d.", 5: suppression.PRIMARY_TEXT, 6: "secret", 7: "secret"}
LABELS[8] = "secret"
LABEL_TEXTS = ("", "secret", "n.d.", suppression.PRIMARY_TEXT)
LABEL_CODES = np.array([LABEL_TEXTS.index(LABELS.get(code, "")) for code in range(9)])


def _unit_of(variables: tuple[str, ...]) -> str:
    v = VARIABLES.get(variables[0]) if variables else None
    return v.unit if v else "unités"


def motifs(ind: Indicator) -> list[str]:
    """The French reasons of an indicator, by reason code (see the module docstring)."""
    r = ind.secrecy
    den_unit = _unit_of(ind.denominator.variables) if ind.denominator else ""
    num_unit = _unit_of(ind.numerator.variables)
    low = fr_number(THRESHOLD)
    return [
        "",
        MOTIF_SECRET,
        f"peu significatif : moins de {fr_number(r.denominator_min)} {den_unit} au dénominateur",
        f"peu significatif : moins de {fr_number(r.numerator_min)} {num_unit} au numérateur",
        f"données trop partielles : moins de {fr_number(100 * r.coverage_min)} % du "
        "dénominateur repose sur des communes dont la valeur est diffusée",
        f"donnée confidentielle : moins de {low} {num_unit}",
        MOTIF_COMPLEMENTARY,
        f"donnée confidentielle : moins de {low} {num_unit} au numérateur",
        f"donnée confidentielle : moins de {low} {den_unit} au dénominateur",
    ]


# -- which data is confidential -----------------------------------------------------------------
def confidential_variables(territory) -> set[str]:
    """Variables the manifest marks ``confidentiel`` (a file's, or a list of variables)."""
    return set(getattr(territory, "confidential", None) or ())


def confidential_set(territory, catalogue: Catalogue) -> frozenset[str]:
    """Confidential variables of a territory, with the derived variables built on them."""
    conf = confidential_variables(territory)
    for dv in catalogue.derived.values():
        if dv.base in conf:
            conf.add(dv.name)
    return frozenset(conf)


def is_confidential(ind: Indicator, confidential: frozenset[str] | set[str]) -> bool:
    """Whether an indicator rests on confidential data (catalogue ``confidentiel: true``, or
    one of its variables marked ``confidentiel`` in the manifest)."""
    if ind.type == "categorie":
        return False
    return ind.confidential or any(v in confidential for v in ind.variables)


# -- suppression ----------------------------------------------------------------------------------
def _store(cube) -> dict:
    """What is computed here lives on the engine's observation cube: it is rebuilt, and this
    forgotten, whenever the territory's data, geography or perimeters change."""
    return cube.__dict__.setdefault("_suppression", {})


def hierarchy(territory, cube) -> suppression.Hierarchy:
    """The cells and equations of the territory's geography (cached on the cube)."""
    store = _store(cube)
    if "hierarchy" not in store:
        store["hierarchy"] = suppression.build_hierarchy(territory.geography, cube.communes)
    return store["hierarchy"]


def pattern(territory, cube, variables: tuple[str, ...], values_of: Callable):
    """Suppression status and count of every cell of the table of ``variables`` (cells ×
    years), computed once per cube: every indicator using these variables hides the same
    cells. ``values_of(variables)``: the (communes × years) commune counts."""
    store = _store(cube)
    if variables not in store:
        h = hierarchy(territory, cube)
        values = values_of(variables)
        status = suppression.protect_years(h, values)
        totals = np.asarray(h.aggregate @ np.nan_to_num(values))
        store[variables] = (status, totals)
    return store[variables]


def suppress_rows(rows: dict, ind: Indicator, level, codes, territory, cube, values_of, conf):
    """Hide, in the engine's rows of one indicator at one level, the values whose count is
    suppressed in its table: a count « < 5 », a complement « secret », a rate whose numerator
    or denominator is hidden « secret ». Edits ``rows`` in place."""
    h = hierarchy(territory, cube)
    cells = h.cells_of(level, codes)[rows["t"]]
    n = len(cells)
    years = cube.years
    at_num = np.searchsorted(years, rows["annee"])
    terms = [(ind.numerator.variables, at_num, "numerateur", 5 if ind.type != "taux" else 7)]
    if ind.type == "taux":
        den_year = np.asarray(rows["annee_denominateur"])
        at_den = np.where(den_year >= 0, np.searchsorted(years, den_year), -1)
        terms.append((ind.denominator.variables, at_den, "denominateur", 8))
    code = np.zeros(n, dtype="int8")
    den_hidden = np.zeros(n, dtype=bool)
    for variables, at, column, primary_code in terms:
        if not (ind.confidential or any(v in conf for v in variables)):
            continue
        status, totals = pattern(territory, cube, variables, values_of)
        ok = (cells >= 0) & (at >= 0) & (at < len(years))
        st = np.zeros(n, dtype="int8")
        st[ok] = status[cells[ok], at[ok]]
        total = np.full(n, np.nan)
        total[ok] = totals[cells[ok], at[ok]]
        # a rate sums its terms over the communes having both: where that sum differs from
        # the table's count, printing it would give the difference away
        shown = np.asarray(rows[column], dtype="float64")
        differs = np.isfinite(shown) & (np.abs(shown - total) > 1e-6)
        code[(code == 0) & (st == suppression.PRIMARY)] = primary_code
        code[(code == 0) & ((st >= suppression.COMPLEMENTARY) | differs | ~ok)] = 6
        if column == "denominateur":
            den_hidden = (st > 0) | differs | ~ok
    hidden = code > 0
    if not hidden.any():
        return
    rows["valeur"][hidden] = np.nan
    rows["numerateur"][hidden] = np.nan
    rows["denominateur"][den_hidden] = np.nan
    rows["couverture"][den_hidden] = np.nan
    rows["estime"] = np.where(hidden, 0.0, rows["estime"])
    rows["fragile"][hidden] = 0
    rows["motif"] = np.where(hidden & (rows["motif"] == 0), code, rows["motif"]).astype("int8")
    rows["masque"] = rows["masque"] | hidden
