"""What every formula shares: its result and the trace of the parameters it read.

Owns :class:`Result` (a value with the parameters used, those « à vérifier », details and
notes), ``_Trace`` (reads parameters at one date and records their use; a value carried
forward past its documented date adds a French note « … : valeur 2025 reconduite, à
vérifier ») and the array helpers of the vectorised formulas (input conversion, French list of
bad positions, tranche look-up with the lower or the upper bound included).

Layer « règles »: imports the socle (``errors``), :mod:`.base`, :mod:`.parameters` and
:mod:`.loading`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import quote
from .base import RulesError, fmt_date, parse_date
from .loading import load_parameters
from .parameters import ParameterSet, ParamValue


@dataclass
class Result:
    """A formula's value with the parameters it used and those still « à vérifier »."""

    value: Any
    date: dt.date
    a_verifier: list[str] = field(default_factory=list)
    parametres: list[str] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


class _Trace:
    """Reads parameters at one date and records which were used and which are to verify."""

    def __init__(self, params: ParameterSet | None, when: Any):
        self.params = params or load_parameters()
        self.date = parse_date(when) if when is not None else dt.date.today()
        self.used: list[str] = []
        self.flagged: list[str] = []
        self.notes: list[str] = []

    def use(self, *values: ParamValue) -> None:
        for pv in values:
            if pv.name not in self.used:
                self.used.append(pv.name)
            if pv.a_verifier and pv.name not in self.flagged:
                self.flagged.append(pv.name)
            if pv.reconduction:
                self.note(f"{pv.label} ({pv.name}) : {pv.reconduction}")

    def note(self, text: str) -> None:
        if text not in self.notes:
            self.notes.append(text)

    def merge(self, result: Result) -> None:
        for n in result.parametres:
            if n not in self.used:
                self.used.append(n)
        for n in result.a_verifier:
            if n not in self.flagged:
                self.flagged.append(n)
        for n in result.notes:
            self.note(n)

    def peek(self, name: str) -> ParamValue:
        """The value, documented, without recording its use."""
        pv = self.params.at(name, self.date)
        if pv.value is None:
            param = self.params.parameter(name)
            raise RulesError(
                f"La valeur de « {pv.label} » ({pv.name}) n'est pas documentée au "
                f"{fmt_date(self.date)} (depuis le {fmt_date(pv.since)}) : à compléter dans "
                f"territoire_lib/parameters/{param.file}."
            )
        return pv

    def at(self, name: str) -> ParamValue:
        pv = self.peek(name)
        self.use(pv)
        return pv

    def get(self, name: str) -> ParamValue | None:
        """The value if one is in force (recorded), else None (not yet in force)."""
        pv = self.params.get(name, self.date)
        if pv is not None:
            self.use(pv)
        return pv

    def result(self, value: Any, **details: Any) -> Result:
        notes = list(self.notes)
        notes += [n for n in details.pop("notes", []) if n not in notes]
        return Result(value, self.date, list(self.flagged), list(self.used), details, notes)


def _array(x: Any, what: str) -> np.ndarray:
    try:
        arr = np.asarray(x, dtype=float)
    except (TypeError, ValueError):
        raise RulesError(f"{what} : trouvé {quote(x)} ; attendu des nombres.") from None
    return arr


def _bad_positions(mask: np.ndarray, values: np.ndarray) -> str:
    idx = np.flatnonzero(mask)[:5]
    if values.ndim == 0:
        return quote(values.item())
    shown = ", ".join(f"{quote(values.flat[i])} (position {i + 1})" for i in idx)
    more = int(mask.sum()) - len(idx)
    return shown + (f" et {more} autre(s)" if more > 0 else "")


def _shape_like(value: np.ndarray, like: Any, scalar: bool) -> Any:
    if scalar:
        return float(value)
    if isinstance(like, pd.Series):
        return pd.Series(value, index=like.index, name=like.name)
    return value


def _bracket(pv: ParamValue, x: np.ndarray) -> np.ndarray:
    """The value of the tranche of each `x`; 0 below the first threshold.

    Lower bound included (default): tranche i covers [seuil_i, seuil_i+1[. Upper bound
    included (``included_bound: upper``): the first tranche covers [seuil_0, seuil_1], the
    next ]seuil_i, seuil_i+1] — e.g. the bonus mixité « ≤ 0,75 € », « > 0,75 et ≤ 1 € ».
    """
    thresholds = np.array([t for t, _ in pv.value], dtype=float)
    values = np.array([v for _, v in pv.value], dtype=float)
    x = np.asarray(x, dtype=float)
    if pv.included_bound == "upper":
        idx = np.searchsorted(thresholds, x, side="left") - 1
        idx = np.where(x >= thresholds[0], np.maximum(idx, 0), -1)
    else:
        idx = np.searchsorted(thresholds, x, side="right") - 1
    return np.where(idx >= 0, values[np.clip(idx, 0, None)], 0.0)
