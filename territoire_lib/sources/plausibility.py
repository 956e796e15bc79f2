"""Plausibility of the values read from a file: the bounds of each variable, the years its
publisher covers, the relations within a row, and the counts against the commune's population.

Owns the checks every loader applies once a column is parsed (:func:`check_values`,
:func:`check_at_most`, :func:`check_years`) and the population they compare residents' counts
with (:func:`commune_populations`, set by the dataset while it loads a folder). The bounds
themselves live with the variables (:mod:`territoire_lib.variables`). A value out of its
bounds is an issue naming the file, the physical line, the column, what was found and what is
expected; a value the publisher can legitimately publish beyond a bound (a coverage rate over
100) is kept and flagged « à vérifier » in the load report, which carries it to the
diagnostic's « Limites des données » and to the batch index.

Vectorised: each check is a few column operations; only the reported lines (at most
:data:`MAX_REPORTED` per check) are looped over.

Layer « sources »: imports socle (errors, french, variables); its own layer (sources.reading).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
import pandas as pd

from ..errors import IssueCollector, LoadReport, quote
from ..french import auto_number, number
from ..variables import VARIABLES, bounds_text, year_range
from .reading import LINE

MAX_REPORTED = 50
EXAMPLES = 5
# a count of residents above its commune's population: flagged beyond the population plus
# the Cnaf's rounding to 5; refused beyond twice the population plus 10 (no vintage gap
# nor rounding explains it)
ROUNDING = 5
REFUSED_FACTOR, REFUSED_MARGIN = 2.0, 10
# same-row relations of rounded counts (Cafdata rounds each to 5 separately)
ROUNDED_TOLERANCE = 5.0

_POPULATION: ContextVar[pd.Series | None] = ContextVar("commune_population", default=None)


@contextmanager
def commune_populations(population: pd.Series | None) -> Iterator[None]:
    """Within the block, counts of residents read by :func:`check_values` (with their commune
    codes) are compared with ``population`` (commune code → inhabitants)."""
    token = _POPULATION.set(population)
    try:
        yield
    finally:
        _POPULATION.reset(token)


def population_of(referential: pd.Series, observations: Iterable[pd.DataFrame]) -> pd.Series:
    """Commune → population for :func:`commune_populations`: the larger of the referential's
    population (commune code → inhabitants, NaN when unknown) and the census populations
    (``pop_totale``) of the observations read (a census of another vintage may differ)."""
    parts = [referential.astype("float64").dropna()]
    for frame in observations:
        pop = frame[frame["variable"] == "pop_totale"]
        parts.append(pop.set_index("commune")["valeur"].astype("float64"))
    return pd.concat(parts).groupby(level=0).max()


def _lines(frame: pd.DataFrame) -> pd.Series:
    if LINE in frame:
        return frame[LINE]
    return pd.Series(range(2, len(frame) + 2), index=frame.index)


def _raw(frame: pd.DataFrame, column: str, idx) -> str:
    return str(frame.at[idx, column]).strip() if column in frame else ""


def check_values(
    frame: pd.DataFrame,
    values: pd.Series,
    column: str,
    variable: str,
    issues: IssueCollector,
    report: LoadReport | None = None,
    *,
    communes: pd.Series | None = None,
    commune_rows: pd.Series | None = None,
) -> None:
    """Check the parsed ``values`` of ``column`` (index of ``frame``) against the bounds of
    ``variable``: an issue per value below its minimum or above its maximum (on a commune's
    row, ``commune_rows``, also above its commune maximum), and per count of residents above
    twice its commune's population (``communes``: codes of the rows, compared with
    :func:`commune_populations`); a warning in ``report`` for values kept but to verify
    (above ``suspicious_above``, or above the commune's population)."""
    v = VARIABLES.get(variable)
    if v is None:
        return
    lines = _lines(frame)
    known = values.notna()
    on_commune = (
        pd.Series(True, index=values.index)
        if commune_rows is None
        else commune_rows.reindex(values.index).fillna(False).astype(bool)
    )
    low = v.minimum
    high = pd.Series(np.inf if v.maximum is None else v.maximum, index=values.index)
    if v.commune_maximum is not None:
        high = high.where(~on_commune, min(v.commune_maximum, high.max()))
    out = known & (((values < low) if low is not None else False) | (values > high))
    for idx in out[out].index[:MAX_REPORTED]:
        issues.add(
            f"{quote(_raw(frame, column, idx))}, hors des bornes plausibles",
            bounds_text(variable, bool(on_commune.loc[idx])),
            line=int(lines.loc[idx]),
            column=column,
        )
    if v.suspicious_above is not None and report is not None:
        flagged = known & ~out & (values > v.suspicious_above)
        if flagged.any():
            report.warn(
                f"{number(int(flagged.sum()))} valeur(s) de « {v.label} » au-dessus de "
                f"{auto_number(v.suspicious_above)} {v.unit}, conservée(s) telle(s) que "
                f"publiée(s) mais à vérifier : {_examples(frame, lines, column, flagged)}."
            )
    if v.residents and communes is not None:
        _check_population(frame, values, column, v, issues, report, communes, lines, known & ~out)


def _examples(frame: pd.DataFrame, lines: pd.Series, column: str, mask: pd.Series) -> str:
    shown = [
        f"ligne {int(lines.loc[i])}, colonne « {column} » : {_raw(frame, column, i)}"
        for i in mask[mask].index[:EXAMPLES]
    ]
    more = int(mask.sum()) - len(shown)
    return " ; ".join(shown) + (f" ; et {number(more)} autre(s)" if more > 0 else "")


def _check_population(frame, values, column, v, issues, report, communes, lines, checkable) -> None:
    population = _POPULATION.get()
    if population is None or not len(population):
        return
    pop = communes.reindex(values.index).astype(str).map(population).astype("float64")
    checkable = checkable & pop.notna()
    refused = checkable & (values > REFUSED_FACTOR * pop + REFUSED_MARGIN)
    for idx in refused[refused].index[:MAX_REPORTED]:
        issues.add(
            f"{quote(_raw(frame, column, idx))} {v.unit} pour la commune "
            f"{communes.loc[idx]}, plus du double de sa population "
            f"({number(pop.loc[idx])} habitants)",
            f"au plus la population de la commune ({v.label} y résident)",
            line=int(lines.loc[idx]),
            column=column,
        )
    flagged = checkable & ~refused & (values > pop + ROUNDING)
    if flagged.any() and report is not None:
        report.warn(
            f"{number(int(flagged.sum()))} valeur(s) de « {v.label} » au-dessus de la "
            "population de leur commune (millésimes différents ?), conservée(s) mais à "
            f"vérifier : {_examples(frame, lines, column, flagged)}."
        )


def check_at_most(
    frame: pd.DataFrame,
    values: Mapping[str, pd.Series],
    columns: Mapping[str, str],
    issues: IssueCollector,
    *,
    tolerance: float = 1e-6,
) -> None:
    """An issue per row where a value exceeds the value of the same row it is part of
    (``at_most`` of its variable: children under 3 within the population, RSA households
    within all allocataires). ``columns`` maps each parsed column to its variable;
    ``tolerance`` absorbs the publisher's rounding (:data:`ROUNDED_TOLERANCE` for Cafdata)."""
    by_variable = {var: col for col, var in columns.items()}
    lines = _lines(frame)
    for col, var in columns.items():
        v = VARIABLES.get(var)
        bound_col = by_variable.get(v.at_most) if v and v.at_most else None
        if bound_col is None or col not in values or bound_col not in values:
            continue
        part, whole = values[col], values[bound_col]
        over = part.notna() & whole.notna() & (part > whole + tolerance)
        whole_label = VARIABLES[v.at_most].label
        for idx in over[over].index[:MAX_REPORTED]:
            issues.add(
                f"{quote(_raw(frame, col, idx))}, plus que « {bound_col} » sur la même ligne "
                f"({_raw(frame, bound_col, idx)})",
                f"au plus la valeur de « {bound_col} » ({whole_label}), dont « {v.label} » "
                "fait partie",
                line=int(lines.loc[idx]),
                column=col,
            )


def check_years(
    frame: pd.DataFrame,
    years: pd.Series,
    column: str,
    issues: IssueCollector,
    variables: Iterable[str],
) -> pd.Series:
    """An issue per row whose year (``years``, parsed from ``column``) is outside the years
    its publisher covers: before its first publication, or after the current year
    (``2999-12``). Returns ``years`` with those set to NaN."""
    first, last = _range(variables)
    lines = _lines(frame)
    known = years.notna()
    out = known & ((years < first) | (years > last))
    for idx in out[out].index[:MAX_REPORTED]:
        issues.add(
            f"l'année {int(years.loc[idx])} ({quote(_raw(frame, column, idx))})",
            year_text(variables),
            line=int(lines.loc[idx]),
            column=column,
        )
    return years.where(~out)


def _range(variables: Iterable[str]) -> tuple[int, int]:
    ranges = [year_range(v) for v in variables] or [year_range("")]
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def year_text(variables: Iterable[str]) -> str:
    """« une année de 2009 à 2026 (Cnaf, Cafdata : publié depuis 2009, jamais une année à
    venir) »."""
    variables = list(variables)
    first, last = _range(variables)
    sources = sorted({VARIABLES[v].source for v in variables if v in VARIABLES})
    who = f"{sources[0]} : " if len(sources) == 1 else ""
    return (
        f"une année de {first} à {last} ({who}données publiées depuis {first}, aucune d'une "
        "année à venir)"
    )


def year_in_range(year: int, variables: Iterable[str]) -> bool:
    """``year`` is within the years the publisher of ``variables`` covers."""
    first, last = _range(variables)
    return first <= year <= last
