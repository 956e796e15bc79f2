"""The parameters read at a date: one value per parameter, key of a table or tranche.

Owns :class:`ParamValue` (a value in force, with its source and status), :class:`Parameter`
(one file's dated values; a value stays in force until the next dated one), the carry-forward
rule (a value used after the date up to which it is documented — its ``valid_until``, or the
next yearly revision of a parameter revised every year — is « reconduite » and shown « à
vérifier », never reused silently) and :class:`ParameterSet` (look-up by name with French
errors, the « à vérifier » status of a table, the dates at which any rule or status changes,
the French description of the values used, and the table of every value in force at a date).
Reading the YAML files is :mod:`.loading`'s job; the changes between two dates (veille) are
:mod:`.changes`'.

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

REVISIONS = ("aucune", "annuelle")
BOUNDS = ("lower", "upper")


@dataclass(frozen=True)
class ParamValue:
    """The value of one parameter (or one key of a table) in force at a date.

    `statut` is the status of the value at that date: « à vérifier » when the file says so, and
    also when the value is carried forward past the date up to which it is documented; then
    `reconduction` says so in French (« valeur 2025 reconduite, à vérifier »).
    `included_bound` tells, for tranches, which bound of each tranche is included.
    """

    name: str
    value: Any  # number, str, None (not documented), dict (table) or tuple of (seuil, valeur)
    unit: str
    source: str
    statut: str
    label: str
    since: dt.date
    reconduction: str = ""
    included_bound: str = "lower"

    @property
    def a_verifier(self) -> bool:
        return self.statut != CONFIRMEE


@dataclass(frozen=True)
class _Entry:
    start: dt.date
    value: Any
    reference: str | dict[str, str]
    statut: str | dict[str, str]
    valid_until: dt.date | None = None  # last day the source documents this value


def _next_revision(start: dt.date, month_day: tuple[int, int] | None) -> dt.date:
    """First yearly revision date after `start`: the next `month_day` (month, day) strictly
    after it, or its anniversary when no revision day is given (29 February → 1 March)."""
    if month_day is None:
        try:
            return start.replace(year=start.year + 1)
        except ValueError:
            return dt.date(start.year + 1, 3, 1)
    month, day = month_day
    candidate = dt.date(start.year, month, day)
    return candidate if candidate > start else dt.date(start.year + 1, month, day)


def reconduction_text(entry_start: dt.date, since: dt.date | None = None) -> str:
    """« valeur 2025 reconduite, à vérifier », with « à partir du … » when `since` is given."""
    when = f" à partir du {fmt_date(since)}" if since is not None else ""
    return f"valeur {entry_start.year} reconduite{when}, {A_VERIFIER}"


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
    revision: str = "aucune"  # "annuelle": a new value is expected every year
    revision_date: tuple[int, int] | None = None  # (month, day) of the yearly revision
    included_bound: str = "lower"  # brackets: "lower" [seuil, suivant[ or "upper" ]seuil, suivant]

    @property
    def theme(self) -> str:
        return self.name.split(".", 1)[0]

    def index_at(self, when: dt.date) -> int:
        """Index of the entry in force at `when`, -1 when none is in force yet."""
        starts = [e.start for e in self.entries]
        return bisect.bisect_right(starts, when) - 1

    def entry_at(self, when: dt.date) -> _Entry | None:
        i = self.index_at(when)
        return self.entries[i] if i >= 0 else None

    def end_of(self, i: int) -> dt.date | None:
        """Day on which entry `i` stops being in force (next entry's start), None if last."""
        return self.entries[i + 1].start if i + 1 < len(self.entries) else None

    def carried_from(self, i: int) -> dt.date | None:
        """First day on which entry `i`'s value, still in force, is no longer documented: the
        day after its `valid_until`, or its next yearly revision; None when it never is (no
        periodic revision, not documented, or replaced before)."""
        entry = self.entries[i]
        if entry.value is None:
            return None
        if entry.valid_until is not None:
            start = entry.valid_until + dt.timedelta(days=1)
        elif self.revision == "annuelle":
            start = _next_revision(entry.start, self.revision_date)
        else:
            return None
        end = self.end_of(i)
        return start if end is None or start < end else None

    def reconduction_at(self, when: dt.date) -> str:
        """« valeur 2025 reconduite, à vérifier » when the value in force at `when` is carried
        forward past the date up to which it is documented, else ""."""
        i = self.index_at(when)
        if i < 0:
            return ""
        start = self.carried_from(i)
        return reconduction_text(self.entries[i].start) if start and when >= start else ""

    def reconduction_over(self, first: dt.date, last: dt.date) -> str:
        """The carry-forward of any value in force between `first` and `last` (inclusive),
        « à partir du … » when it begins after `first`; "" when there is none."""
        texts = []
        for i in range(max(self.index_at(first), 0), len(self.entries)):
            if self.entries[i].start > last:
                break
            start = self.carried_from(i)
            if start is None or start > last:
                continue
            end = self.end_of(i)
            if end is not None and end <= first:
                continue
            since = None if start <= first else start
            texts.append(reconduction_text(self.entries[i].start, since))
        return " ; ".join(texts)


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
        return self._value(param, leaf, entry, when)

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

    def _value(
        self, param: Parameter, leaf: str | None, entry: _Entry, when: dt.date | None = None
    ) -> ParamValue:
        """The value of `entry` (or of its key `leaf`), with its status at `when`: a value
        carried forward past its documented date is « à vérifier » (`reconduction`)."""
        carried = param.reconduction_at(when) if when is not None else ""
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
                param.name,
                value,
                param.unit,
                ref,
                A_VERIFIER if carried else statut,
                param.description,
                entry.start,
                carried,
                param.included_bound,
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
            f"{param.name}.{leaf}",
            value,
            param.unit,
            ref,
            A_VERIFIER if carried else statut,
            label,
            entry.start,
            carried,
            param.included_bound,
        )

    def label(self, name: str) -> str:
        """French label of a parameter or of a table key."""
        param, leaf = self._resolve(name)
        if leaf is None:
            return param.description
        return f"{param.description} — {param.labels.get(leaf, leaf)}"

    def reconduction(self, name: str, date: Any, end: Any = None) -> str:
        """« valeur 2025 reconduite, à vérifier » when the value of `name` in force at `date`
        (or at any date from `date` to `end` inclusive) is carried forward, else ""."""
        param, _ = self._resolve(name)
        first = parse_date(date)
        if end is None:
            return param.reconduction_at(first)
        return param.reconduction_over(first, parse_date(end))

    def describe(self, names: Iterable[str], date: Any = None, end: Any = None) -> list[str]:
        """'label (name)' for each name: how outputs list the values « à vérifier ».

        With `date` (and `end` for a period, e.g. a scenario's horizon), a value carried
        forward past its documented date says so: '… (name) : valeur 2025 reconduite, à
        vérifier'. Names that are not parameters (free text) are kept as they are.
        """
        out = []
        for n in names:
            if n not in self:
                out.append(n)
                continue
            text = f"{self.label(n)} ({n})"
            if date is not None:
                note = self.reconduction(n, date, end)
                if note:
                    text += f" : {note}"
            out.append(text)
        return out

    def change_dates(self, start: dt.date, end: dt.date) -> list[dt.date]:
        """Dates strictly between `start` and `end` at which any parameter changes, or at
        which a value in force starts being carried forward (its status becomes « à
        vérifier »)."""
        out = {e.start for p in self._params.values() for e in p.entries if start < e.start < end}
        for p in self._params.values():
            for i in range(len(p.entries)):
                carried = p.carried_from(i)
                if carried is not None and start < carried < end:
                    out.add(carried)
        return sorted(out)

    def list_at(self, date: Any, theme: str | None = None) -> pd.DataFrame:
        """Every parameter value in force at `date`: one row per value, table key or tranche.

        Columns: nom, description, valeur (raw, in `unité`), unité, depuis, source, statut,
        reconduction (« valeur 2025 reconduite, à vérifier » for a value carried forward past
        its documented date, whose statut is then « à vérifier »; else "").
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
                    pv = self._value(param, leaf, entry, when)
                    rows.append(self._row(pv, base))
            elif param.kind == "brackets" and entry.value is not None:
                pv = self._value(param, None, entry, when)
                for label, (_, value) in zip(
                    bracket_labels(param, pv.value), pv.value, strict=True
                ):
                    rows.append(
                        {
                            "nom": param.name,
                            "description": f"{param.description} — {label}",
                            "valeur": value,
                            **base,
                            "source": pv.source,
                            "statut": pv.statut,
                            "reconduction": pv.reconduction,
                        }
                    )
            else:
                rows.append(self._row(self._value(param, None, entry, when), base))
        columns = [
            "nom",
            "description",
            "valeur",
            "unité",
            "depuis",
            "source",
            "statut",
            "reconduction",
        ]
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
            "reconduction": pv.reconduction,
        }


def bracket_labels(param: Parameter, brackets: tuple[tuple[float, float], ...]) -> list[str]:
    """French label of each tranche: '4 à 7 enfants', 'de 1,25 à moins de 1,50 €/h'…, or
    with the upper bound included: 'jusqu'à 0,75 €/h inclus', 'plus de 0,75 €/h et jusqu'à
    1 €/h inclus', 'plus de 1,25 €/h'."""
    unit = param.threshold_unit
    discrete = unit == "enfants"
    upper = param.included_bound == "upper" and not discrete

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
        elif upper:
            if high is None:
                text = f"plus de {show(low)}"
            elif i == 0:
                text = (
                    f"jusqu'à {show(high)} inclus"
                    if low == 0
                    else (f"de {show(low)} à {show(high)} inclus")
                )
            else:
                text = f"plus de {show(low)} et jusqu'à {show(high)} inclus"
        elif high is None:
            text = f"{show(low)} et plus"
        elif low == 0:
            text = f"moins de {show(high)}"
        else:
            text = f"de {show(low)} à moins de {show(high)}"
        labels.append(text)
    return labels
