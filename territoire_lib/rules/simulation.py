"""What the facility simulations (EAJE, ALSH, AVS) share.

Owns the French checks of a simulation input (``_Checks``), the per-line « à vérifier » flags,
the base of every funding (``_Funding``: flags, parameters, notes and the table by line), the
fields a funding takes from its trace, and the dating of a simulation: rules at one date, or a
year pro rata temporis of the rules in force (``_dated``).

Layer « règles »: imports the socle (``errors``), :mod:`.base`, :mod:`.parameters` and
:mod:`.formula`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

from ..errors import quote
from .base import RulesError, _is_number, fmt_date, fmt_valeur, parse_date
from .formula import _Trace
from .parameters import ParameterSet


class _Checks:
    """Collects French problems on a simulation input, raised together."""

    def __init__(self, what: str):
        self.what = what
        self.problems: list[str] = []

    def number(
        self,
        label: str,
        x: Any,
        low: float = 0.0,
        high: float | None = None,
        strict: bool = False,
        optional: bool = False,
    ) -> None:
        if x is None and optional:
            return
        ok = _is_number(x) and (x > low if strict else x >= low) and (high is None or x <= high)
        if not ok:
            bound = (
                f"supérieur à {fmt_valeur(low, '')}"
                if strict
                else f"au moins {fmt_valeur(low, '')}"
            )
            rng = f" et au plus {fmt_valeur(high, '')}" if high is not None else ""
            self.problems.append(f"{label} : trouvé {quote(x)} ; attendu un nombre {bound}{rng}")

    def choice(self, label: str, x: Any, allowed: Iterable[str]) -> None:
        if x not in allowed:
            self.problems.append(f"{label} : trouvé {quote(x)} ; attendu {', '.join(allowed)}")

    def fail(self, text: str) -> None:
        self.problems.append(text)

    def raise_if_any(self) -> None:
        if self.problems:
            raise RulesError(
                f"{self.what} : données incorrectes :\n- " + "\n- ".join(self.problems)
            )


def _merge_flags(target: dict[str, list[str]], line: str, names: Iterable[str]) -> None:
    bucket = target.setdefault(line, [])
    for n in names:
        if n not in bucket:
            bucket.append(n)


def _by_year(compute: Callable[[dt.date], Any], year: int, params: ParameterSet) -> Any:
    """Annual result for `year`, pro rata temporis of the rules in force (e.g. 1 September)."""
    start, end = dt.date(year, 1, 1), dt.date(year + 1, 1, 1)
    bounds = [start, *params.change_dates(start, end), end]
    days = (end - start).days
    parts = [(compute(a), (b - a).days / days) for a, b in zip(bounds, bounds[1:], strict=False)]
    if len(parts) == 1:
        out = parts[0][0]
        out.periode = f"année {year}"
        return out
    first = parts[0][0]
    merged: dict[str, Any] = {}
    for f in fields(first):
        vals = [getattr(p, f.name) for p, _ in parts]
        if isinstance(vals[0], float | int) and not isinstance(vals[0], bool):
            merged[f.name] = float(sum(v * w for v, (_, w) in zip(vals, parts, strict=True)))
        elif isinstance(vals[0], list):
            merged[f.name] = list(dict.fromkeys(x for v in vals for x in v))
        elif isinstance(vals[0], dict):
            d: dict[str, list[str]] = {}
            for v in vals:
                for line, names in v.items():
                    _merge_flags(d, line, names)
            merged[f.name] = d
        else:
            merged[f.name] = vals[0]
    pieces = ", ".join(fmt_date(b) for b in bounds[1:-1])
    merged["periode"] = f"année {year} (au prorata des règles, changements au {pieces})"
    return type(first)(**merged)


def _when(date: Any) -> dt.date | int:
    if isinstance(date, int) and not isinstance(date, bool):
        if not 1990 <= date <= 2100:
            raise RulesError(
                f"Année {quote(date)} invalide : attendu une année entre 1990 et 2100."
            )
        return date
    return parse_date(date) if date is not None else dt.date.today()


def _dated(
    simulate_at: Callable[[Any, dt.date, ParameterSet], Any],
    inp: Any,
    date: Any,
    params: ParameterSet,
) -> Any:
    """`simulate_at(inp, date, params)` with the rules in force at `date`; or, when `date` is
    a year (int), the rules pro rata temporis over that year (:func:`_by_year`)."""
    when = _when(date)
    if isinstance(when, int):
        return _by_year(lambda d: simulate_at(inp, d, params), when, params)
    return simulate_at(inp, when, params)


def _traced(t: _Trace, flags: dict[str, list[str]], notes: list[str]) -> dict[str, Any]:
    """The fields of a funding that come from its trace: the date of the rules, the
    parameters used, those « à vérifier » (overall and per line), the notes — among them one
    per value used past its documented date (« … : valeur 2025 reconduite, à vérifier »)."""
    carried = [
        f"{t.params.label(n)} ({n}) : {text}"
        for n in t.used
        if (text := t.params.reconduction(n, t.date))
    ]
    return {
        "periode": f"règles au {fmt_date(t.date)}",
        "a_verifier": list(t.flagged),
        "a_verifier_par_ligne": flags,
        "parametres": list(t.used),
        "notes": notes + [c for c in carried if c not in notes],
    }


@dataclass(kw_only=True)
class _Funding:
    """Base of the annual funding of one facility (EAJE, ALSH, AVS).

    Holds what every funding carries besides its amounts (the parameters used, those
    « à vérifier » overall and per line of :meth:`_tabulate`, the notes) and builds the table
    by line. These fields are keyword-only, so that a subclass's fields without default may
    follow them. A subclass declares its amounts, among them `cout_total`, `cofinancements`
    and `reste_a_charge` (first and last lines of every table).
    """

    a_verifier: list[str] = field(default_factory=list)
    a_verifier_par_ligne: dict[str, list[str]] = field(default_factory=dict)
    parametres: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def _tabulate(
        self, lines: list[tuple[str, str, float]], places: float | None, heures: float | None
    ) -> pd.DataFrame:
        """Cost, `lines` (key, French label, amount per year), other co-financing and remaining
        charge × (par_an, par_place, par_heure per hour performed, a_verifier)."""
        framed = [
            ("cout", "Coût de fonctionnement", self.cout_total),
            *lines,
            ("cofinancements", "Autres cofinancements", self.cofinancements),
            ("reste", "Reste à charge (commune / gestionnaire)", self.reste_a_charge),
        ]
        flags = self.a_verifier_par_ligne
        rows = []
        for key, label, amount in framed:
            rows.append(
                {
                    "ligne": label,
                    "par_an": amount,
                    "par_place": amount / places if places else np.nan,
                    "par_heure": amount / heures if heures else np.nan,
                    "a_verifier": "⚠ à vérifier" if flags.get(key) else "",
                }
            )
        return pd.DataFrame(rows)
