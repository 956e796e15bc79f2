"""Primary and complementary cell suppression of confidential counts over the geographic
hierarchy (commune → EPCI → département → région → France, and the CTG perimeters).

Data that is not public (requests, commissions, surveys, funding per facility, any file or
variable the manifest marks ``confidentiel``) is never printed when a count is under the
threshold, and never recoverable by subtraction from what is printed beside it.

The table protected here is one additive table: one count per commune (one variable or a
sum of variables, one year) and its sums over every territory of every level. Its *cells*
are the communes and the territories; its *equations* say that a parent cell is the sum of
its children:

* an EPCI is the sum of its communes;
* a département, a perimeter: the sum of the EPCIs lying wholly inside it, plus its other
  communes (a perimeter may straddle EPCIs: its equation then holds communes only);
* a région: the sum of its départements; France: the sum of its régions.

Every subtraction a reader can do (a parent total minus some of its children, across levels,
perimeters included) is a linear combination of these equations.

The method (documented in Hundepool et al., *Statistical Disclosure Control*, Wiley 2012,
§ 4.3–4.4; the same scheme as R's ``sdcTable`` "SIMPLEHEURISTIC" and τ-ARGUS "modular"
followed by an audit):

1. **Primary suppression**: every cell whose count is above 0 and under the threshold
   (:data:`THRESHOLD`, 5) is suppressed; it is shown « < 5 ». A zero is shown (nobody).
2. **Complementary suppression, to a fixed point**: an equation holding exactly one
   suppressed cell gives it away by subtraction, so each such equation gets a second one —
   the smallest visible non-zero child, preferring a count strictly above the threshold (a
   lone « < 5 » of 1 beside a complement of exactly 5 would be pinned by their bounds);
   without such a child, the parent itself. A cell suppressed for one equation is a
   suppressed cell in its other equations too, so the passes repeat until no equation
   holds a lone suppressed cell. Complements are shown « secret ».
3. **Audit**: that condition is necessary but not sufficient (three perimeters can pin a
   cell together; a reader also knows that a « < 5 » lies between 1 and 4 and that a
   « secret » complement, being shown neither as a count nor as « < 5 », is at least 5).
   Each suppressed cell is checked exactly: its smallest and largest values compatible
   with every printed total and those bounds (linear programming, HiGHS through SciPy,
   after a rank test that finds the cells the equations alone determine). A cell whose
   range is under one unit is *exposed*: it gets another complement in its smallest
   equation (or, when every cell of its equations is hidden already, in the equations of
   its hidden neighbours, ring after ring), and steps 2–3 repeat. A pinned total « < 5 »
   whose children are all hidden already, or any pinned « < 5 » once nothing is left to
   hide, is given away by the bound « < 5 » itself (a perimeter of 4 whose four communes are
   « < 5 » holds four 1s): it is shown « secret » instead, which says nothing of its size.

The loops are over passes and over the exposed cells of the audit, never over the communes of
a hot path: the passes are sparse-matrix products and sorts over every equation at once. The
audit runs only for confidential data, and works on connected groups of suppressed cells.

Why not a library: no maintained Python package does hierarchical cell suppression (the
reference tools are τ-ARGUS, in Java and C++, and the R packages ``sdcTable`` and
``GaussSuppression``); this module implements their documented heuristic and audit.

Layer « indicateurs »: imports socle (geo); numpy, pandas and scipy.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse

from ..geo import NO_EPCI, Geography

THRESHOLD = 5  # a count of 1 to 4 is never shown: « < 5 »
# a cell's status: shown; « < 5 »; « secret » (a complement, at least the threshold); « secret »
# too for a count under the threshold whose « < 5 » would give it away (see protect)
VISIBLE, PRIMARY, COMPLEMENTARY, MASKED_PRIMARY = 0, 1, 2, 3
PRIMARY_TEXT = "< 5"
COMPLEMENTARY_TEXT = "secret"
# the order of the aggregate levels, finest first (a level's equation uses the one before it)
AGGREGATE_LEVELS = ("epci", "departement", "region", "france", "perimetre")
_CHILD_LEVEL = {"departement": "epci", "region": "departement", "france": "region"}
_CHILD_LEVEL["perimetre"] = "epci"
_TOL = 1e-7


@dataclass
class Hierarchy:
    """The cells and equations of a geography.

    Cells: the communes (in the order of ``communes``), then the territories of each level of
    :data:`AGGREGATE_LEVELS`. ``aggregate`` (cells × communes) sums commune counts to every
    cell. Equation ``e``: cell ``parent[e]`` = sum of the cells of row ``e`` of ``children``.
    """

    communes: pd.Index
    cell_level: np.ndarray  # level name of each cell
    cell_code: np.ndarray  # territory code of each cell (a commune code for communes)
    aggregate: sparse.csr_matrix  # (cells, communes)
    parent: np.ndarray  # (equations,) cell ids
    children: sparse.csr_matrix  # (equations, cells) 0/1

    @property
    def n_cells(self) -> int:
        return len(self.cell_code)

    def cells_of(self, level: str, codes) -> np.ndarray:
        """Cell ids of territories of one level (-1 for an unknown code)."""
        sel = np.flatnonzero(self.cell_level == level)
        index = pd.Index(self.cell_code[sel].astype(str))
        pos = index.get_indexer(pd.Index(np.asarray(codes, dtype=object).astype(str)))
        return np.where(pos >= 0, sel[np.clip(pos, 0, None)], -1)

    def values(self, commune_values: np.ndarray) -> np.ndarray:
        """Count of every cell from commune counts (a missing commune counts 0)."""
        return self.aggregate @ np.nan_to_num(np.asarray(commune_values, dtype="float64"))


def _membership(geo: Geography, level: str, communes: pd.Index):
    """Territory codes and (territories × communes) 0/1 matrix of one level."""
    link = geo.membership(level)
    if level == "epci":
        link = link[link["territoire"] != NO_EPCI]
    ci = communes.get_indexer(link["commune"].astype(str))
    ok = ci >= 0
    codes, names = pd.factorize(link["territoire"].astype(str).to_numpy()[ok], sort=True)
    matrix = sparse.csr_matrix(
        (np.ones(int(ok.sum())), (codes, ci[ok])), shape=(len(names), len(communes))
    )
    matrix.data[:] = 1.0  # a commune listed twice in a perimeter counts once
    return np.asarray(names, dtype=object), matrix


def build_hierarchy(geo: Geography, communes: pd.Index | None = None) -> Hierarchy:
    """The cells and equations of ``geo`` (see the module docstring)."""
    if communes is None:
        communes = pd.Index(geo.communes["code"].astype(str).to_numpy())
    n_c = len(communes)
    levels = [np.full(n_c, "commune", dtype=object)]
    codes = [communes.to_numpy(dtype=object)]
    blocks = [sparse.identity(n_c, format="csr")]
    members: dict[str, tuple[int, sparse.csr_matrix]] = {}
    start = n_c
    for level in AGGREGATE_LEVELS:
        names, matrix = _membership(geo, level, communes)
        levels.append(np.full(len(names), level, dtype=object))
        codes.append(names)
        blocks.append(matrix)
        members[level] = (start, matrix)
        start += len(names)
    n_cells = start
    parents, rows = [], []
    for level in AGGREGATE_LEVELS:
        first, matrix = members[level]
        child_level = _CHILD_LEVEL.get(level)
        if child_level is None:  # EPCI: its communes
            kids = sparse.hstack(
                [matrix, sparse.csr_matrix((matrix.shape[0], n_cells - n_c))], format="csr"
            )
        else:
            c_first, c_matrix = members[child_level]
            size = np.asarray(c_matrix.sum(axis=1)).ravel()
            overlap = (matrix @ c_matrix.T).toarray()
            inside = (overlap >= size[None, :] - _TOL) & (size[None, :] > 0)
            covered = sparse.csr_matrix(inside.astype("float64")) @ c_matrix
            rest = matrix - covered.minimum(1.0)
            rest.eliminate_zeros()
            agg = sparse.csr_matrix((matrix.shape[0], n_cells - n_c))
            agg = sparse.lil_matrix(agg)
            rr, cc = np.nonzero(inside)
            agg[rr, c_first - n_c + cc] = 1.0
            kids = sparse.hstack([rest, agg.tocsr()], format="csr")
        parents.append(first + np.arange(matrix.shape[0]))
        rows.append(kids)
    children = sparse.vstack(rows, format="csr") if rows else sparse.csr_matrix((0, n_cells))
    return Hierarchy(
        communes=communes,
        cell_level=np.concatenate(levels),
        cell_code=np.concatenate(codes),
        aggregate=sparse.vstack(blocks, format="csr"),
        parent=np.concatenate(parents) if parents else np.zeros(0, dtype="int64"),
        children=children,
    )


# -- suppression --------------------------------------------------------------------------------
def primary(values: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """Cells to suppress first: a count above 0 and under the threshold."""
    return (values > _TOL) & (values < threshold - _TOL)


def _suppressed_per_equation(h: Hierarchy, status: np.ndarray) -> np.ndarray:
    hidden = (status > VISIBLE).astype("float64")
    return h.children @ hidden + hidden[h.parent]


def _pick(h: Hierarchy, values, status, equations: np.ndarray, threshold) -> np.ndarray:
    """One complement per equation: its smallest visible non-zero child, those strictly above
    the threshold first; without one, the parent when it is visible."""
    if equations.size == 0:
        return np.zeros(0, dtype="int64")
    sub = h.children[equations].tocoo()
    eq, cell = equations[sub.row], sub.col
    ok = (status[cell] == VISIBLE) & (values[cell] > _TOL)
    eq, cell = eq[ok], cell[ok]
    room = np.where(values[cell] > threshold + _TOL, 0, 1)
    order = np.lexsort((cell, values[cell], room, eq))
    eq, cell = eq[order], cell[order]
    first = np.r_[True, eq[1:] != eq[:-1]] if eq.size else np.zeros(0, dtype=bool)
    chosen = cell[first]
    without = np.setdiff1d(equations, eq[first])
    parents = h.parent[without]
    parents = parents[status[parents] == VISIBLE]
    return np.unique(np.concatenate([chosen, parents]).astype("int64"))


def _complete(h: Hierarchy, values, status, threshold) -> None:
    """Step 2: complements until no equation holds exactly one suppressed cell."""
    while True:
        count = _suppressed_per_equation(h, status)
        lone = np.flatnonzero(np.abs(count - 1) < _TOL)
        added = _pick(h, values, status, lone, threshold)
        added = added[status[added] == VISIBLE]
        if added.size == 0:
            return
        status[added] = COMPLEMENTARY


def _bounds(values, status, threshold, integral: bool):
    """What a reader may know of each suppressed cell: « < 5 » lies in [1, 4] (counts) or
    [0, 5]; a complement is at least the threshold (a count under it would be « < 5 », a zero
    is never hidden) — a reader who assumes so of every « secret » is the strongest one; a
    count under the threshold shown « secret » is only known to be at least 1."""
    small = (status == PRIMARY) | (status == MASKED_PRIMARY)
    low = np.where(small, 1.0 if integral else 0.0, float(threshold))
    high = np.where(status == PRIMARY, threshold - 1.0 if integral else float(threshold), np.inf)
    return low, high


def exposed(
    h: Hierarchy, values: np.ndarray, status: np.ndarray, threshold: float = THRESHOLD
) -> np.ndarray:
    """Suppressed cells a reader can pin to less than one unit from the printed cells (every
    equation, every level, the bounds of :func:`_bounds`). Boolean per cell."""
    from scipy.linalg import null_space
    from scipy.sparse.csgraph import connected_components

    out = np.zeros(h.n_cells, dtype=bool)
    hidden = np.flatnonzero(status > VISIBLE)
    if hidden.size == 0:
        return out
    n_eq = len(h.parent)
    signed = h.children - sparse.csr_matrix(
        (np.ones(n_eq), (np.arange(n_eq), h.parent)), shape=h.children.shape
    )
    known = np.where(status == VISIBLE, values, 0.0)
    rhs = -(signed @ known)
    a = signed[:, hidden].tocsr()
    used = np.flatnonzero(np.diff(a.indptr) > 0)
    a, rhs = a[used], rhs[used]
    integral = bool(np.allclose(values, np.round(values)))
    low, high = _bounds(values[hidden], status[hidden], threshold, integral)
    pattern = (a != 0).astype("int8")
    graph = sparse.bmat([[None, pattern], [pattern.T, None]], format="csr")
    _, labels = connected_components(graph, directed=False)
    eq_label, cell_label = labels[: a.shape[0]], labels[a.shape[0] :]
    for label in np.unique(cell_label):  # one connected group of suppressed cells at a time
        cols = np.flatnonzero(cell_label == label)
        m = a[np.flatnonzero(eq_label == label)][:, cols].toarray()
        b = rhs[eq_label == label]
        # the equations alone fix a cell when no direction of their null space moves it
        free = null_space(m)
        moves = np.abs(free).max(axis=1) > 1e-9 if free.size else np.zeros(len(cols), bool)
        out[hidden[cols[~moves]]] = True
        bounds = [
            (lo, None if np.isinf(hi) else hi) for lo, hi in zip(low[cols], high[cols], strict=True)
        ]
        for j in np.flatnonzero(moves):
            out[hidden[cols[j]]] = _pinned(m, b, bounds, j, values[hidden[cols[j]]])
    return out


def _pinned(m: np.ndarray, b: np.ndarray, bounds: list, j: int, value: float) -> bool:
    """Whether unknown ``j`` of ``m x = b`` within ``bounds`` has a range under one unit: its
    largest value first (enough when it has a unit of room above), then its smallest."""
    from scipy.optimize import linprog

    c = np.zeros(m.shape[1])
    c[j] = -1.0
    top = linprog(c, A_eq=m, b_eq=b, bounds=bounds, method="highs")
    if top.status == 3 or (top.status == 0 and -top.fun >= value + 1 - 1e-6):
        return False  # unbounded above, or at least one unit of room above
    c[j] = 1.0
    bottom = linprog(c, A_eq=m, b_eq=b, bounds=bounds, method="highs")
    if bottom.status != 0 or top.status != 0:
        return False
    return -top.fun - bottom.fun < 1 - 1e-6


def _repair(h: Hierarchy, values, status, cells: np.ndarray, threshold) -> np.ndarray:
    """A complement for each exposed cell: in the smallest equation holding it that has a
    candidate (a visible non-zero child, else a visible parent); when none has one (a
    perimeter whose children are all hidden or zero, yet whose hidden children's sum other
    totals give away), in the equations of the hidden cells next to it, and so on outwards."""
    n_eq = len(h.parent)
    incidence = (
        h.children
        + sparse.csr_matrix((np.ones(n_eq), (np.arange(n_eq), h.parent)), shape=h.children.shape)
    ).tocsr()
    by_cell = incidence.tocsc()
    size = np.diff(incidence.indptr)
    picked = []
    for cell in cells:
        seen_cells, seen_eqs = {int(cell)}, set()
        frontier = [int(cell)]
        while frontier:  # one ring of equations at a time, nearest first
            eqs = sorted(
                {
                    int(e)
                    for c in frontier
                    for e in by_cell.indices[by_cell.indptr[c] : by_cell.indptr[c + 1]]
                }
                - seen_eqs,
                key=lambda e: (size[e], e),
            )
            seen_eqs.update(eqs)
            got = np.zeros(0, dtype="int64")
            for e in eqs:
                got = _pick(h, values, status, np.array([e]), threshold)
                got = got[status[got] == VISIBLE]
                if got.size:
                    break
            if got.size:
                picked.append(got[0])
                break
            ring = {
                int(c)
                for e in eqs
                for c in incidence.indices[incidence.indptr[e] : incidence.indptr[e + 1]]
            }
            frontier = [c for c in ring - seen_cells if status[c] > VISIBLE]
            seen_cells.update(ring)
    return np.unique(np.array(picked, dtype="int64"))


def protect(h: Hierarchy, commune_values: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """Status of every cell of one table: :data:`VISIBLE`, :data:`PRIMARY` (« < 5 »),
    :data:`COMPLEMENTARY` or :data:`MASKED_PRIMARY` (both « secret »). ``commune_values``:
    one count per commune of ``h.communes`` (NaN: no value, counts 0 in the sums)."""
    values = h.values(commune_values)
    status = np.where(primary(values, threshold), PRIMARY, VISIBLE).astype("int8")
    for _ in range(2 * h.n_cells + 1):
        _complete(h, values, status, threshold)
        bad = np.flatnonzero(exposed(h, values, status, threshold))
        if bad.size == 0:
            break
        # a pinned total « < 5 » whose children are all hidden: its bound itself gives them
        # away (a perimeter of 4 whose four communes are « < 5 » holds four 1s), and hiding
        # more would not help: it becomes « secret », which says nothing of its size
        small = bad[(status[bad] == PRIMARY) & (h.cell_level[bad] != "commune")]
        closed = small[np.isin(small, h.parent[_no_candidate(h, values, status, small)])]
        if closed.size:
            status[closed] = MASKED_PRIMARY
            continue
        added = _repair(h, values, status, bad, threshold)
        if added.size:
            status[added] = COMPLEMENTARY
            continue
        # nothing left to hide, yet a cell is pinned: the « < 5 » of the pinned totals (else
        # of the pinned communes) becomes « secret »
        small = bad[status[bad] == PRIMARY]
        totals = small[h.cell_level[small] != "commune"]
        if small.size == 0:
            break
        status[totals if totals.size else small] = MASKED_PRIMARY
    return status


def _no_candidate(h: Hierarchy, values, status, parents: np.ndarray) -> np.ndarray:
    """Equations whose parent is one of ``parents`` and whose children are all hidden or
    zero (no complement can be taken there)."""
    eqs = np.flatnonzero(np.isin(h.parent, parents))
    if eqs.size == 0:
        return eqs
    sub = h.children[eqs]
    open_child = (status == VISIBLE) & (values > _TOL)
    return eqs[np.asarray(sub @ open_child.astype("float64")).ravel() == 0]


def protect_years(h: Hierarchy, commune_values: np.ndarray, threshold=THRESHOLD) -> np.ndarray:
    """:func:`protect` for each column (year) of a (communes, years) array: (cells, years)."""
    values = np.asarray(commune_values, dtype="float64")
    out = np.zeros((h.n_cells, values.shape[1]), dtype="int8")
    for y in range(values.shape[1]):  # one table per year
        if np.isnan(values[:, y]).all():
            continue
        out[:, y] = protect(h, values[:, y], threshold)
    return out
