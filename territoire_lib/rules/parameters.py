"""The parameters read at a date: one value per parameter, key of a table or tranche.

Owns :class:`ParamValue` (a value in force, with its source and status), :class:`Parameter`
(one file's dated values; a value stays in force until the next dated one) and
:class:`ParameterSet` (look-up by name with French errors, the « à vérifier » status of a
table, the dates at which any rule changes, and the table of every value in force at a date).
Reading the YAML files is :mod:`.loading`'s job.

Layer « règles »: imports the socle (``errors``) and :mod:`.base` only.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import quote
from .base import A_VERIFIER, CONFIRMEE, RulesError, fmt_date, fmt_pct, fmt_valeur, parse_date


@dataclass(frozen=True)
class ParamValue:
    """The value of one parameter (or one key of a table) in force at a date."""

    name: str
    value: Any  # number, str, None (not documented), dict (table) or tuple of (seuil, valeur)
    unit: str
    source: str
    statut: str
    label: str
    since: dt.date

    @property
    def a_verifier(self) -> bool:
        return self.statut != CONFIRMEE


@dataclass(frozen=True)
class _Entry:
    start: dt.date
    value: Any
    reference: str | dict[str, str]
    statut: str | dict[str, str]


@dataclass(frozen=True)
class Parameter:
    """One parameter file: its description and its dated values."""

    name: str
    file: str
    description: str
    unit: str
    kind: str
    entries: tuple[_Entry, ...]
    labels: dict[str, str] = field(default_factory=dict)
    threshold_unit: str = ""
    threshold_label: str = ""
    documentation: str = ""

    @property
    def theme(self) -> str:
        return self.name.split(".", 1)[0]

    def entry_at(self, when: dt.date) -> _Entry | None:
        starts = [e.start for e in self.entries]
        i = bisect.bisect_right(starts, when) - 1
        return self.entries[i] if i >= 0 else None


def _worst(statuts: Iterable[str]) -> str:
    return A_VERIFIER if any(s != CONFIRMEE for s in statuts) else CONFIRMEE


class ParameterSet:
    """All parameters, read at a date. Built by :func:`load_parameters`."""

    def __init__(self, parameters: dict[str, Parameter], directory: Path):
        self._params = dict(sorted(parameters.items()))
        self.directory = directory

    @property
    def names(self) -> list[str]:
        return list(self._params)

    def __contains__(self, name: str) -> bool:
        try:
            self._resolve(name)
        except RulesError:
            return False
        return True

    def __len__(self) -> int:
        return len(self._params)

    def parameter(self, name: str) -> Parameter:
        return self._resolve(name)[0]

    def _resolve(self, name: str) -> tuple[Parameter, str | None]:
        key = name.strip().replace("/", ".").removesuffix(".yaml")
        if key in self._params:
            return self._params[key], None
        head, _, leaf = key.rpartition(".")
        if head in self._params and self._params[head].kind == "table":
            return self._params[head], leaf
        close = difflib.get_close_matches(key, self._params, n=3, cutoff=0.6)
        hint = f" ; paramètres proches : {', '.join(close)}" if close else ""
        raise RulesError(
            f"Paramètre inconnu {quote(name)} : attendu un nom de fichier de "
            f"territoire_lib/parameters, par exemple « psu.taux »{hint}."
        )

    def get(self, name: str, date: Any, default: Any = None) -> ParamValue | Any:
        """The value in force at `date`, or `default` when none is in force yet."""
        param, leaf = self._resolve(name)
        when = parse_date(date)
        entry = param.entry_at(when)
        if entry is None:
            return default
        return self._value(param, leaf, entry)

    def at(self, name: str, date: Any) -> ParamValue:
        """The value in force at `date`; French error when there is none."""
        param, _ = self._resolve(name)
        when = parse_date(date)
        pv = self.get(name, when)
        if pv is None:
            first = param.entries[0].start
            raise RulesError(
                f"Aucune valeur de « {param.description} » ({param.name}) n'est en vigueur au "
                f"{fmt_date(when)} : la première valeur connue date du {fmt_date(first)} "
                f"(fichier {param.file})."
            )
        return pv

    def _value(self, param: Parameter, leaf: str | None, entry: _Entry) -> ParamValue:
        if leaf is None:
            value = entry.value
            if param.kind == "brackets" and value is not None:
                value = tuple((b["threshold"], b["value"]) for b in value)
            statut = entry.statut
            if isinstance(statut, dict):
                statut = _worst(statut.values())
            ref = entry.reference
            if isinstance(ref, dict):
                ref = " ; ".join(f"{k} : {v}" for k, v in ref.items())
            return ParamValue(
                param.name, value, param.unit, ref, statut, param.description, entry.start
            )
        if entry.value is not None and leaf not in entry.value:
            raise RulesError(
                f"La clé {quote(leaf)} de « {param.description} » ({param.name}) n'a pas de "
                f"valeur au {fmt_date(entry.start)} et après : clés disponibles "
                f"{', '.join(entry.value)} (fichier {param.file})."
            )
        value = None if entry.value is None else entry.value[leaf]
        statut = entry.statut[leaf] if isinstance(entry.statut, dict) else entry.statut
        ref = entry.reference[leaf] if isinstance(entry.reference, dict) else entry.reference
        label = f"{param.description} — {param.labels.get(leaf, leaf)}"
        return ParamValue(
            f"{param.name}.{leaf}", value, param.unit, ref, statut, label, entry.start
        )

    def label(self, name: str) -> str:
        """French label of a parameter or of a table key."""
        param, leaf = self._resolve(name)
        if leaf is None:
            return param.description
        return f"{param.description} — {param.labels.get(leaf, leaf)}"

    def describe(self, names: Iterable[str]) -> list[str]:
        """'label (name)' for each name: how outputs list the values « à vérifier »."""
        return [f"{self.label(n)} ({n})" for n in names]

    def change_dates(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Dates strictly between `start` and `end` at which any parameter changes."""
        out = {e.start for p in self._params.values() for e in p.entries if start < e.start < end}
        return sorted(out)

    def list_at(self, date: Any, theme: str | None = None) -> pd.DataFrame:
        """Every parameter value in force at `date`: one row per value, table key or tranche.

        Columns: nom, description, valeur (raw, in `unité`), unité, depuis, source, statut.
        """
        when = parse_date(date)
        rows: list[dict[str, Any]] = []
        for param in self._params.values():
            if theme and param.theme != theme:
                continue
            entry = param.entry_at(when)
            if entry is None:
                continue
            base = {"unité": param.unit, "depuis": entry.start}
            if param.kind == "table" and entry.value is not None:
                for leaf in entry.value:
                    pv = self._value(param, leaf, entry)
                    rows.append(self._row(pv, base))
            elif param.kind == "brackets" and entry.value is not None:
                pv = self._value(param, None, entry)
                for label, (_, value) in zip(
                    _bracket_labels(param, pv.value), pv.value, strict=True
                ):
                    rows.append(
                        {
                            "nom": param.name,
                            "description": f"{param.description} — {label}",
                            "valeur": value,
                            **base,
                            "source": pv.source,
                            "statut": pv.statut,
                        }
                    )
            else:
                rows.append(self._row(self._value(param, None, entry), base))
        columns = ["nom", "description", "valeur", "unité", "depuis", "source", "statut"]
        return pd.DataFrame(rows, columns=columns).astype({"valeur": object})

    @staticmethod
    def _row(pv: ParamValue, base: dict[str, Any]) -> dict[str, Any]:
        return {
            "nom": pv.name,
            "description": pv.label,
            "valeur": pv.value,
            **base,
            "source": pv.source,
            "statut": pv.statut,
        }


def _bracket_labels(param: Parameter, brackets: tuple[tuple[float, float], ...]) -> list[str]:
    """French label of each tranche: '4 à 7 enfants', 'de 1,25 à moins de 1,50 €/h'…"""
    unit = param.threshold_unit
    discrete = unit == "enfants"

    def show(x: float) -> str:
        if unit == "/1":
            return fmt_pct(x)
        text = fmt_valeur(x, unit)
        return f"{text} {unit}" if unit and not discrete else text

    labels = []
    for i, (low, _) in enumerate(brackets):
        high = brackets[i + 1][0] if i + 1 < len(brackets) else None
        if discrete:
            n = int(low)
            if high is None:
                text = f"{n} enfant{'s' if n > 1 else ''} et plus"
            elif high - low == 1:
                text = f"{n} enfant{'s' if n > 1 else ''}"
            else:
                text = f"{n} à {int(high) - 1} enfants"
        elif high is None:
            text = f"{show(low)} et plus"
        elif low == 0:
            text = f"moins de {show(high)}"
        else:
            text = f"de {show(low)} à moins de {show(high)}"
        labels.append(text)
    return labels
