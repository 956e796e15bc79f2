"""What changed in the CNAF parameters between two dates (veille).

Owns :func:`parameter_changes`: one row per value that changed between two dates — a scalar,
a key of a table, a tranche of a scale — with its old and new value, the date of the change,
the source and the status of the new value; and one row per value that starts being carried
forward in that period (a yearly revision not entered, or the end of the period a source
documents), so that an officer briefing elected members sees what changed and what is still
to be checked.

Layer « règles »: imports :mod:`.base` and :mod:`.parameters`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pandas as pd

from .base import A_VERIFIER, RulesError, fmt_date, parse_date
from .parameters import Parameter, ParameterSet, _Entry, bracket_labels, reconduction_text

COLUMNS = [
    "date",
    "nom",
    "description",
    "ancienne_valeur",
    "nouvelle_valeur",
    "unité",
    "nature",  # "changement", "nouveau paramètre" or "reconduction"
    "source",
    "statut",
    "reconduction",
]
CHANGE, NEW, CARRIED = "changement", "nouveau paramètre", "reconduction"


def parameter_changes(
    params: ParameterSet, start: Any, end: Any = None, theme: str | None = None
) -> pd.DataFrame:
    """Every parameter value that changed from `start` to `end` (both included; `end` defaults
    to today), sorted by date then name (:data:`COLUMNS`).

    A change is a dated value whose date lies in the period and that differs from the value in
    force the day before (a table compares key by key, a scale tranche by tranche: the value of
    the tranche that starts at each threshold of either scale). A first value is a « nouveau
    paramètre » (no old value). A value still in force when it stops being documented — its
    yearly revision not entered, or past its ``valid_until`` — gives a « reconduction » row:
    same value, status « à vérifier ». French `RulesError` when `start` is after `end`.
    """
    first = parse_date(start, "Date de début")
    last = parse_date(end, "Date de fin") if end is not None else dt.date.today()
    if first > last:
        raise RulesError(
            f"Période incohérente : la date de début ({fmt_date(first)}) est postérieure à la "
            f"date de fin ({fmt_date(last)}) ; attendu une date de début antérieure ou égale "
            "à la date de fin."
        )
    rows: list[dict[str, Any]] = []
    for name in params.names:
        param = params.parameter(name)
        if theme and param.theme != theme:
            continue
        for i, entry in enumerate(param.entries):
            if first <= entry.start <= last:
                prev = param.entries[i - 1] if i > 0 else None
                rows.extend(_entry_changes(param, prev, entry))
            carried = param.carried_from(i)
            if carried is not None and first <= carried <= last:
                rows.append(_carried_row(param, entry, carried))
    frame = pd.DataFrame(rows, columns=COLUMNS)
    for column in ("ancienne_valeur", "nouvelle_valeur"):  # keep None (no value), not NaN
        frame[column] = pd.Series([r[column] for r in rows], index=frame.index, dtype=object)
    return frame.sort_values(["date", "nom"], kind="stable").reset_index(drop=True)


def _row(
    param: Parameter,
    entry: _Entry,
    name: str,
    label: str,
    old: Any,
    new: Any,
    nature: str,
    source: str,
    statut: str,
) -> dict[str, Any]:
    return {
        "date": entry.start,
        "nom": name,
        "description": label,
        "ancienne_valeur": old,
        "nouvelle_valeur": new,
        "unité": param.unit,
        "nature": nature,
        "source": source,
        "statut": statut,
        "reconduction": "",
    }


def _pick(x: str | dict[str, str], key: str) -> str:
    """The per-key reference or statut of a table entry, or the one given for all keys."""
    return x.get(key, "") if isinstance(x, dict) else x


def _entry_changes(param: Parameter, prev: _Entry | None, entry: _Entry) -> list[dict[str, Any]]:
    """The rows of one dated value against the value in force the day before."""
    nature = NEW if prev is None else CHANGE
    if param.kind == "table":
        return _table_changes(param, prev, entry, nature)
    if param.kind == "brackets":
        return _bracket_changes(param, prev, entry, nature)
    old = prev.value if prev is not None else None
    if prev is not None and old == entry.value:
        return []
    statut = entry.statut if isinstance(entry.statut, str) else A_VERIFIER
    ref = entry.reference if isinstance(entry.reference, str) else str(entry.reference)
    return [
        _row(param, entry, param.name, param.description, old, entry.value, nature, ref, statut)
    ]


def _table_changes(
    param: Parameter, prev: _Entry | None, entry: _Entry, nature: str
) -> list[dict[str, Any]]:
    before = (prev.value or {}) if prev is not None else {}
    after = entry.value or {}
    keys = list(dict.fromkeys([*after, *before]))
    rows = []
    for key in keys:
        old, new = before.get(key), after.get(key)
        if prev is not None and old == new:
            continue
        label = f"{param.description} — {param.labels.get(key, key)}"
        rows.append(
            _row(
                param,
                entry,
                f"{param.name}.{key}",
                label,
                old,
                new,
                nature,
                _pick(entry.reference, key),
                _pick(entry.statut, key),
            )
        )
    return rows


def _scale(entry: _Entry | None) -> tuple[tuple[float, float], ...]:
    if entry is None or entry.value is None:
        return ()
    return tuple((b["threshold"], b["value"]) for b in entry.value)


def _starting_at(scale: tuple[tuple[float, float], ...], threshold: float) -> float | None:
    """Value of the tranche of `scale` that covers values just from `threshold` on."""
    found = None
    for low, value in scale:
        if low <= threshold:
            found = value
    return found


def _bracket_changes(
    param: Parameter, prev: _Entry | None, entry: _Entry, nature: str
) -> list[dict[str, Any]]:
    before, after = _scale(prev), _scale(entry)
    labels_before = dict(zip([t for t, _ in before], bracket_labels(param, before), strict=True))
    labels_after = dict(zip([t for t, _ in after], bracket_labels(param, after), strict=True))
    statut = entry.statut if isinstance(entry.statut, str) else A_VERIFIER
    ref = entry.reference if isinstance(entry.reference, str) else str(entry.reference)
    rows = []
    for threshold in sorted({t for t, _ in before} | {t for t, _ in after}):
        old = _starting_at(before, threshold) if prev is not None else None
        new = _starting_at(after, threshold)
        if prev is not None and old == new:
            continue
        if threshold in labels_after:
            tranche = labels_after[threshold]
        else:
            tranche = f"{labels_before[threshold]} (tranche supprimée)"
        label = f"{param.description} — {tranche}"
        rows.append(_row(param, entry, param.name, label, old, new, nature, ref, statut))
    return rows


def _carried_row(param: Parameter, entry: _Entry, carried: dt.date) -> dict[str, Any]:
    """The value of `entry`, still in force on `carried` but no longer documented."""
    why = (
        "revalorisation annuelle attendue non saisie"
        if entry.valid_until is None
        else f"valeur documentée jusqu'au {fmt_date(entry.valid_until)} seulement"
    )
    scalar = param.kind == "scalar"
    return {
        "date": carried,
        "nom": param.name,
        "description": param.description if scalar else f"{param.description} — toutes les valeurs",
        "ancienne_valeur": entry.value if scalar else None,
        "nouvelle_valeur": entry.value if scalar else None,
        "unité": param.unit,
        "nature": CARRIED,
        "source": f"{why} (territoire_lib/parameters/{param.file})",
        "statut": A_VERIFIER,
        "reconduction": reconduction_text(entry.start),
    }
