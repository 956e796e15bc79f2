"""CNAF rules read from dated parameter files, and the funding formulas built on them.

Every amount, rate, ceiling and threshold lives in ``territoire_lib/parameters/<theme>/<name>.yaml``
(OpenFisca style: French description, unit, values keyed by date, each with its reference and its
status, « confirmée » or « à vérifier »). A value stays in force until the next dated value;
``value: null`` means "not documented from this date on".

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
  facility per year, per place and per hour, with the remaining charge.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import functools
import math
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import french
from .errors import DataError, Issue, TerritoireError, quote

PARAMETERS_DIR = Path(__file__).with_name("parameters")

CONFIRMEE = "confirmée"
A_VERIFIER = "à vérifier"
STATUTS = (CONFIRMEE, A_VERIFIER)
KINDS = ("scalar", "table", "brackets")
ACCUEILS = ("collectif", "familial")
GESTIONNAIRES = ("public", "prive")
TRANCHES_TERRITOIRE = ("qpv_frr", "intermediaire", "autre")
STRUCTURES_AVS = ("centre_social", "evs")

_FILE_KEYS = {
    "description",
    "unit",
    "type",
    "labels",
    "threshold_unit",
    "threshold_label",
    "documentation",
    "values",
}
_ENTRY_KEYS = {"value", "reference", "statut"}
NNBSP = french.NNBSP


class RulesError(TerritoireError):
    """A rule cannot be applied: unknown parameter, no value at a date, bad input (French)."""


# --------------------------------------------------------------------------------------------
# French formatting of dates, numbers and parameter values


def parse_date(value: Any, what: str = "date") -> dt.date:
    """A date from a `date`, a `datetime`/`Timestamp` or an AAAA-MM-JJ string (French error)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10 and text[4] == "-" and text[7] == "-":
                return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise RulesError(
        f"{what} {quote(value)} invalide : attendu une date réelle au format AAAA-MM-JJ "
        "(par exemple 2025-09-01)."
    )


def fmt_date(d: dt.date) -> str:
    """1 September 2025 -> '1er septembre 2025'."""
    return french.long_date(d)


def fmt_nombre(x: float, decimals: int = 2) -> str:
    """1234.5 -> '1 234,50' (narrow no-break space for thousands, comma for decimals)."""
    return french.number(x, decimals, missing="—")


def fmt_euros(x: float, decimals: int = 2) -> str:
    """1234.5 -> '1 234,50 €'."""
    return french.euros(x, decimals, missing="—")


def fmt_pct(x: float, max_decimals: int = 4) -> str:
    """A fraction as a French percentage with no useless zero: 0.000619 -> '0,0619 %'."""
    text = f"{x * 100:.{max_decimals}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + " %"


_MODE_LABELS = {
    "paliers": "par paliers",
    "lineaire": "linéaire",
    "cout_par_place_x_part": "taux × coût par place × part d'enfants",
    "cout_par_place": "taux × coût par place",
}


def display_unit(unit: str) -> str:
    """Unit as shown to people: fractions ('/1') are shown as percentages."""
    return "%" if unit == "/1" else unit


def fmt_valeur(value: Any, unit: str) -> str:
    """One parameter value, French format, in its display unit (without the unit)."""
    if value is None:
        return "non documentée"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, str):
        return _MODE_LABELS.get(value, value)
    if unit == "/1":
        return fmt_pct(value)[:-2]
    if abs(value - round(value)) < 1e-9:
        return fmt_nombre(value, 0)
    if abs(value * 100 - round(value * 100)) < 1e-9:
        return fmt_nombre(value, 2)
    return fmt_nombre(value, 4).rstrip("0")


# --------------------------------------------------------------------------------------------
# Parameters


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


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


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


# --------------------------------------------------------------------------------------------
# Loading and validating the YAML files


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps dates as text, so that a wrong date gets a French issue with its
    line instead of a bare ValueError from PyYAML's timestamp constructor."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _line_index(text: str) -> dict[tuple[str, ...], int]:
    """1-based line of every key (and list item) of a YAML document, by key path."""
    index: dict[tuple[str, ...], int] = {}
    root = yaml.compose(text, Loader=_Loader)

    def walk(node: yaml.Node, path: tuple[str, ...]) -> None:
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, str(getattr(key, "value", key)))
                index[sub] = key.start_mark.line + 1
                walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, value in enumerate(node.value):
                sub = (*path, str(i + 1))
                index[sub] = value.start_mark.line + 1
                walk(value, sub)

    if root is not None:
        walk(root, ())
    return index


class _FileChecker:
    """Collects the French issues of one parameter file."""

    def __init__(self, rel: str, lines: dict[tuple[str, ...], int]):
        self.rel = rel
        self.lines = lines
        self.issues: list[Issue] = []

    def add(self, path: tuple[Any, ...], found: str, expected: str) -> None:
        keys = tuple(str(p) for p in path)
        line = None
        for n in range(len(keys), 0, -1):
            if keys[:n] in self.lines:
                line = self.lines[keys[:n]]
                break
        column = " › ".join(keys) if keys else None
        self.issues.append(Issue(self.rel, found, expected, line=line, column=column))


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)


def _check_text(chk: _FileChecker, path: tuple, x: Any, what: str) -> bool:
    if not isinstance(x, str) or not x.strip():
        chk.add(path, quote(x) if x is not None else "une valeur vide", what)
        return False
    return True


def _check_statut(chk: _FileChecker, path: tuple, x: Any) -> str | None:
    if isinstance(x, str) and _nfc(x) in STATUTS:
        return _nfc(x)
    chk.add(path, quote(x), "« confirmée » ou « à vérifier »")
    return None


def _parse_value(chk: _FileChecker, path: tuple, kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind == "scalar":
        if _is_number(value) or isinstance(value, str | bool):
            return value
        chk.add(path, quote(value), "un nombre, un texte ou null")
    elif kind == "table":
        if not isinstance(value, dict) or not value:
            chk.add(path, quote(value), "une table « clé: nombre » (ou null)")
            return None
        out = {}
        for k, v in value.items():
            if not isinstance(k, str):
                chk.add((*path, k), f"la clé {quote(k)}", "une clé texte (par ex. « public »)")
            elif v is not None and not _is_number(v):
                chk.add((*path, k), quote(v), "un nombre (ou null si non documenté)")
            else:
                out[k] = v
        return out
    else:  # brackets
        if not isinstance(value, list) or not value:
            chk.add(path, quote(value), "une liste de tranches {threshold: …, value: …}")
            return None
        out = []
        for i, item in enumerate(value, start=1):
            where = (*path, i)
            if not isinstance(item, dict) or set(item) != {"threshold", "value"}:
                chk.add(where, quote(item), "une tranche {threshold: seuil, value: valeur}")
                continue
            if not _is_number(item["threshold"]) or not _is_number(item["value"]):
                chk.add(where, quote(item), "un seuil et une valeur numériques")
                continue
            if out and item["threshold"] <= out[-1]["threshold"]:
                chk.add(
                    where,
                    f"le seuil {quote(item['threshold'])}",
                    f"un seuil strictement supérieur au précédent ({out[-1]['threshold']})",
                )
                continue
            out.append({"threshold": item["threshold"], "value": item["value"]})
        return out
    return None


def _parse_file(path: Path, directory: Path) -> tuple[Parameter | None, list[Issue]]:
    rel = path.relative_to(directory).as_posix()
    name = rel.removesuffix(".yaml").replace("/", ".")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        return None, [Issue(rel, "un caractère non UTF-8", "un fichier YAML encodé en UTF-8")]
    try:
        data = yaml.load(text, Loader=_Loader)
        lines = _line_index(text)
    except (yaml.YAMLError, ValueError) as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "syntaxe invalide"
        return None, [
            Issue(
                rel,
                f"une erreur de syntaxe YAML ({problem})",
                "un YAML valide : « clé: valeur », indentation par espaces, textes contenant "
                "« : » entre guillemets",
                line=mark.line + 1 if mark else None,
                column=f"caractère {mark.column + 1}" if mark else None,
            )
        ]
    chk = _FileChecker(rel, lines)
    if not isinstance(data, dict):
        chk.add((), quote(data), "une table YAML avec description, unit et values")
        return None, chk.issues
    for key in data:
        if key not in _FILE_KEYS:
            chk.add((key,), f"la clé inconnue {quote(key)}", ", ".join(sorted(_FILE_KEYS)))
    description = data.get("description")
    _check_text(chk, ("description",), description, "une description en français")
    unit = data.get("unit")
    _check_text(chk, ("unit",), unit, "une unité (/1, €/h, €/mois, €/place/an, mode…)")
    kind = data.get("type", "scalar")
    if kind not in KINDS:
        chk.add(("type",), quote(kind), "scalar, table ou brackets")
        kind = "scalar"
    labels = data.get("labels") or {}
    if not isinstance(labels, dict):
        chk.add(("labels",), quote(labels), "une table « clé: libellé »")
        labels = {}
    values = data.get("values")
    entries: list[_Entry] = []
    if not isinstance(values, dict) or not values:
        chk.add(("values",), quote(values), "des valeurs datées « AAAA-MM-JJ: {value, …} »")
        values = {}
    for key, entry in values.items():
        where = ("values", key)
        if isinstance(key, dt.datetime) or not isinstance(key, dt.date | str):
            chk.add(where, f"la date {quote(key)}", "une date AAAA-MM-JJ")
            continue
        if isinstance(key, str):
            try:
                key = parse_date(key)
            except RulesError:
                chk.add(where, f"la date {quote(key)}", "une date réelle AAAA-MM-JJ")
                continue
        if not isinstance(entry, dict):
            chk.add(where, quote(entry), "une table avec value, reference et statut")
            continue
        for k in entry:
            if k not in _ENTRY_KEYS:
                chk.add((*where, k), f"la clé inconnue {quote(k)}", "value, reference, statut")
        missing = [k for k in ("value", "reference", "statut") if k not in entry]
        for k in missing:
            chk.add(where, f"aucune clé « {k} »", f"une clé « {k} » pour chaque date")
        if missing:
            continue
        value = _parse_value(chk, (*where, "value"), kind, entry["value"])
        reference, statut = entry["reference"], entry["statut"]
        if kind == "table" and isinstance(value, dict) and isinstance(statut, dict):
            statut = {k: _check_statut(chk, (*where, "statut", k), statut.get(k)) for k in value}
        else:
            statut = _check_statut(chk, (*where, "statut"), statut)
        if kind == "table" and isinstance(value, dict) and isinstance(reference, dict):
            for k in value:
                _check_text(chk, (*where, "reference", k), reference.get(k), "une source")
        else:
            _check_text(chk, (*where, "reference"), reference, "une source (titre, date)")
        entries.append(_Entry(key, value, reference, statut))
    if chk.issues:
        return None, chk.issues
    entries.sort(key=lambda e: e.start)
    param = Parameter(
        name=name,
        file=rel,
        description=_nfc(description),
        unit=unit.strip(),
        kind=kind,
        entries=tuple(entries),
        labels={str(k): str(v) for k, v in labels.items()},
        threshold_unit=str(data.get("threshold_unit") or ""),
        threshold_label=str(data.get("threshold_label") or ""),
        documentation=str(data.get("documentation") or ""),
    )
    return param, []


@functools.lru_cache(maxsize=8)
def _load_cached(directory: str) -> ParameterSet:
    root = Path(directory)
    if not root.is_dir():
        raise DataError(
            Issue(root.name, "aucun dossier de paramètres", "le dossier territoire_lib/parameters")
        )
    params: dict[str, Parameter] = {}
    issues: list[Issue] = []
    for path in sorted(root.rglob("*.yaml")):
        param, found = _parse_file(path, root)
        issues.extend(found)
        if param is not None:
            params[param.name] = param
    if issues:
        raise DataError(issues)
    if not params:
        raise DataError(Issue(root.name, "aucun fichier .yaml", "un fichier par paramètre"))
    return ParameterSet(params, root)


def load_parameters(directory: str | Path | None = None) -> ParameterSet:
    """Read and validate every parameter file (cached). French `DataError` naming file and key."""
    return _load_cached(str(Path(directory or PARAMETERS_DIR).resolve()))


# --------------------------------------------------------------------------------------------
# Formula helpers


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

    def use(self, *values: ParamValue) -> None:
        for pv in values:
            if pv.name not in self.used:
                self.used.append(pv.name)
            if pv.a_verifier and pv.name not in self.flagged:
                self.flagged.append(pv.name)

    def merge(self, result: Result) -> None:
        for n in result.parametres:
            if n not in self.used:
                self.used.append(n)
        for n in result.a_verifier:
            if n not in self.flagged:
                self.flagged.append(n)

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
        notes = details.pop("notes", [])
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
    thresholds = np.array([t for t, _ in pv.value], dtype=float)
    values = np.array([v for _, v in pv.value], dtype=float)
    idx = np.searchsorted(thresholds, x, side="right") - 1
    return np.where(idx >= 0, values[np.clip(idx, 0, None)], 0.0)


def _accueil(accueil: str) -> str:
    key = _nfc(str(accueil)).lower().replace("-", "_")
    aliases = {"parental": "familial", "micro_creche": "collectif", "micro_crèche": "collectif"}
    key = aliases.get(key, key)
    if key not in ACCUEILS:
        raise RulesError(
            f"Type d'accueil {quote(accueil)} inconnu : attendu « collectif » (y compris "
            "micro-crèche PSU) ou « familial » (y compris parental)."
        )
    return key


# --------------------------------------------------------------------------------------------
# Barème des participations familiales


def family_participation_hourly(
    resources_monthly: Any,
    children: Any = 1,
    accueil: str = "collectif",
    aeeh: Any = 0,
    date: Any = None,
    *,
    params: ParameterSet | None = None,
) -> Result:
    """Hourly family participation from the national barème (vectorised).

    `resources_monthly` (€/month: annual N-2 resources / 12), `children` (dependent children)
    and `aeeh` (number of children receiving AEEH, or a bool) may be scalars, arrays or
    Series of the same length. Resources are bounded by the plancher and plafond in force at
    `date`; each AEEH child moves the family to the next lower taux d'effort.

    `value` is a float for scalar inputs, a Series for a Series of resources, else an array.
    `details`: taux_effort, ressources_retenues, borne ('plancher', 'plafond' or ''),
    plancher, plafond.
    """
    t = _Trace(params, date)
    kind = _accueil(accueil)
    scalar = all(np.ndim(x) == 0 for x in (resources_monthly, children, aeeh))
    r = _array(resources_monthly, "Ressources mensuelles")
    n = _array(children, "Nombre d'enfants à charge")
    k = _array(aeeh, "Enfants bénéficiaires de l'AEEH")
    try:
        r, n, k = np.broadcast_arrays(r, n, k)
    except ValueError:
        raise RulesError(
            "Ressources, enfants et AEEH : trouvé des listes de longueurs différentes ; "
            "attendu une valeur par famille (ou une seule valeur commune)."
        ) from None
    problems = []
    bad = ~np.isfinite(r) | (r < 0)
    if bad.any():
        problems.append(
            f"ressources mensuelles : trouvé {_bad_positions(bad, r)} ; attendu un montant "
            "positif ou nul en euros par mois"
        )
    bad = ~np.isfinite(n) | (n < 1) | (n != np.round(n))
    if bad.any():
        problems.append(
            f"enfants à charge : trouvé {_bad_positions(bad, n)} ; attendu un nombre entier "
            "d'enfants, au moins 1"
        )
    bad = ~np.isfinite(k) | (k < 0) | (k != np.round(k)) | (k > n)
    if bad.any():
        problems.append(
            f"enfants bénéficiaires de l'AEEH : trouvé {_bad_positions(bad, k)} ; attendu un "
            "nombre entier entre 0 et le nombre d'enfants à charge"
        )
    if problems:
        raise RulesError(
            "Calcul de la participation familiale impossible :\n- " + "\n- ".join(problems)
        )

    rank = n.copy()
    if (k > 0).any():
        step = t.at("bareme.rang_supplementaire_aeeh")
        rank = n + k * float(step.value)
    rates_pv = t.at(f"bareme.taux_effort_{kind}")
    rate = _bracket(rates_pv, rank)
    plancher = t.peek("bareme.plancher_ressources")
    plafond = t.peek("bareme.plafond_ressources")
    low = r < plancher.value
    high = r > plafond.value
    if low.any():
        t.use(plancher)
    if high.any():
        t.use(plafond)
    retained = np.clip(r, plancher.value, plafond.value)
    value = retained * rate
    borne = np.where(low, "plancher", np.where(high, "plafond", ""))
    return t.result(
        _shape_like(value, resources_monthly, scalar),
        taux_effort=_shape_like(rate, resources_monthly, scalar),
        ressources_retenues=_shape_like(retained, resources_monthly, scalar),
        borne=str(borne.item()) if scalar else borne,
        plancher=float(plancher.value),
        plafond=float(plafond.value),
        plancher_statut=plancher.statut,
        plafond_statut=plafond.statut,
        taux_statut=rates_pv.statut,
        accueil=kind,
    )


# --------------------------------------------------------------------------------------------
# PSU


def psu_prix_plafond(
    taux_facturation: Any,
    couches_repas: bool = True,
    date: Any = None,
    *,
    params: ParameterSet | None = None,
) -> Result:
    """PSU hourly ceiling (€/h) for a taux de facturation (1.10 = 110 %), vectorised.

    Before 2025: three steps (≤ 107 %, 107-117 %, > 117 %). Since 1 January 2025: maximum up to
    107 %, linear decrease to the minimum reached at 120 %, constant beyond.
    """
    t = _Trace(params, date)
    scalar = np.ndim(taux_facturation) == 0
    tf = _array(taux_facturation, "Taux de facturation")
    bad = ~np.isfinite(tf) | (tf <= 0)
    if bad.any():
        raise RulesError(
            f"Taux de facturation : trouvé {_bad_positions(bad, tf)} ; attendu un rapport "
            "heures facturées / heures réalisées positif (1.10 pour 110 %)."
        )
    mode = str(t.at("psu.modulation_tf").value)
    lo = float(t.at("psu.seuil_tf_bas").value)
    hi = float(t.at("psu.seuil_tf_haut").value)
    base = "psu.prix_plafond_" + ("avec" if couches_repas else "sans") + "_couches_repas"
    t.peek(base)  # clear error when the whole table is not documented at this date

    def leaf(key: str) -> float:
        return float(t.at(f"{base}.{key}").value)

    low = tf <= lo
    if mode == "paliers":
        high = tf > hi
        mid = ~low & ~high
        price = np.zeros_like(tf)
        for mask, key in ((low, "maximum"), (mid, "intermediaire"), (high, "minimum")):
            if mask.any():
                price = np.where(mask, leaf(key), price)
    elif mode == "lineaire":
        high = tf >= hi
        mid = ~low & ~high
        price = np.zeros_like(tf)
        if low.any():
            price = np.where(low, leaf("maximum"), price)
        if high.any():
            price = np.where(high, leaf("minimum"), price)
        if mid.any():
            p_max, p_min = leaf("maximum"), leaf("minimum")
            price = np.where(mid, p_max - (tf - lo) / (hi - lo) * (p_max - p_min), price)
    else:
        raise RulesError(
            f"Mode de modulation du prix plafond {quote(mode)} inconnu (psu.modulation_tf) : "
            "attendu « paliers » ou « lineaire »."
        )
    return t.result(_shape_like(price, taux_facturation, scalar), mode=mode, seuils=(lo, hi))


# --------------------------------------------------------------------------------------------
# Bonuses and investment aid


def bonus_mixite_par_place(
    pf_moyenne: Any, date: Any = None, *, params: ParameterSet | None = None
) -> Result:
    """Bonus mixité sociale (€/place/year) from the average hourly family participation."""
    return _bracket_bonus(
        "bonus.mixite_sociale",
        "bonus mixité sociale",
        pf_moyenne,
        "Participation familiale horaire moyenne",
        date,
        params,
    )


def bonus_handicap_par_place(
    part_enfants_aeeh: Any,
    cout_par_place: Any,
    date: Any = None,
    *,
    params: ParameterSet | None = None,
) -> Result:
    """Bonus inclusion handicap (€/place/year): band rate × cost per place (× share), capped.

    Triggered from the first child with a disability (share > 0). The formula is read from
    ``bonus.inclusion_handicap_assiette`` (still « à vérifier »).
    """
    t = _Trace(params, date)
    scalar = np.ndim(part_enfants_aeeh) == 0 and np.ndim(cout_par_place) == 0
    share = _array(part_enfants_aeeh, "Part d'enfants bénéficiaires de l'AEEH")
    cost = _array(cout_par_place, "Coût par place")
    if ((share < 0) | (share > 1)).any():
        raise RulesError(
            f"Part d'enfants bénéficiaires de l'AEEH : trouvé {_bad_positions((share < 0) | (share > 1), share)} ; "
            "attendu une part entre 0 et 1 (0.05 pour 5 %)."
        )
    rates = t.get("bonus.inclusion_handicap_taux")
    if rates is None or not (share > 0).any():
        zero = np.zeros(np.broadcast(share, cost).shape)
        return t.result(_shape_like(zero, part_enfants_aeeh, scalar))
    cap = float(t.at("bonus.inclusion_handicap_plafond").value)
    mode = str(t.at("bonus.inclusion_handicap_assiette").value)
    rate = _bracket(rates, share)
    if mode == "cout_par_place_x_part":
        raw = rate * cost * share
    elif mode == "cout_par_place":
        raw = rate * cost
    else:
        raise RulesError(
            f"Assiette du bonus inclusion handicap {quote(mode)} inconnue : attendu "
            "« cout_par_place_x_part » ou « cout_par_place »."
        )
    value = np.where(share > 0, np.minimum(raw, cap), 0.0)
    return t.result(_shape_like(value, part_enfants_aeeh, scalar), taux=rate, plafond=cap)


def tranche_territoire(qpv: bool = False, frr: bool = False, tranche: str = "autre") -> str:
    """Tier of the bonus territoire: QPV or FRR (ex-ZRR) get the maximum, else `tranche`."""
    if qpv or frr:
        return "qpv_frr"
    if tranche not in TRANCHES_TERRITOIRE:
        raise RulesError(
            f"Tranche du bonus territoire {quote(tranche)} inconnue : attendu "
            f"{', '.join(TRANCHES_TERRITOIRE)}."
        )
    return tranche


def bonus_territoire_par_place(
    tranche: str, date: Any = None, *, params: ParameterSet | None = None
) -> Result:
    """Bonus territoire CTG for a new place (€/place/year) in tier `tranche`."""
    t = _Trace(params, date)
    tranche = tranche_territoire(tranche=tranche)
    if t.params.get("bonus.territoire_nouvelles_places", t.date) is None:
        return t.result(
            0.0, notes=[f"bonus territoire pas encore en vigueur au {fmt_date(t.date)}"]
        )
    pv = t.at(f"bonus.territoire_nouvelles_places.{tranche}")
    return t.result(float(pv.value), tranche=tranche)


def bonus_trajectoire_par_place(
    croissance: Any, date: Any = None, *, params: ParameterSet | None = None
) -> Result:
    """Bonus trajectoire (€/place/year) from the growth of co-financed places 2023-2027."""
    return _bracket_bonus(
        "bonus.trajectoire",
        "bonus trajectoire",
        croissance,
        "Croissance des places cofinancées",
        date,
        params,
    )


def _bracket_bonus(
    name: str, label: str, x: Any, what: str, date: Any, params: ParameterSet | None
) -> Result:
    """A bonus read from a bracket parameter at ``x`` (scalar or array); 0 € with a note
    while the bonus is not yet in force."""
    t = _Trace(params, date)
    scalar = np.ndim(x) == 0
    arr = _array(x, what)
    pv = t.get(name)
    if pv is None:
        return t.result(
            _shape_like(np.zeros_like(arr), x, scalar),
            notes=[f"{label} pas encore en vigueur au {fmt_date(t.date)}"],
        )
    return t.result(_shape_like(_bracket(pv, arr), x, scalar))


def bonus_attractivite_par_place(
    gestionnaire: str, date: Any = None, *, params: ParameterSet | None = None
) -> Result:
    """Bonus attractivité (€/place/year) for a public or private manager."""
    t = _Trace(params, date)
    key = _nfc(str(gestionnaire)).lower().replace("é", "e")
    if key not in GESTIONNAIRES:
        raise RulesError(
            f"Gestionnaire {quote(gestionnaire)} inconnu : attendu « public » ou « prive »."
        )
    if t.params.get("bonus.attractivite", t.date) is None:
        return t.result(
            0.0, notes=[f"bonus attractivité pas encore en vigueur au {fmt_date(t.date)}"]
        )
    return t.result(float(t.at(f"bonus.attractivite.{key}").value))


def aide_investissement(
    places_nouvelles: float,
    date: Any = None,
    *,
    qpv_frr: bool = False,
    taux_couverture: float | None = None,
    depense_eligible: float | None = None,
    params: ParameterSet | None = None,
) -> Result:
    """PIAJE investment aid (one-off, €) for new places.

    Per place: base amount + QPV/FRR increase + low-coverage bonus (when `taux_couverture`,
    in places per 100 children under 3, is below the threshold), capped per place; the total
    is capped at the maximum share of the eligible expenditure when that rule is in force.
    `details`: par_place, plafond_depense.
    """
    t = _Trace(params, date)
    if places_nouvelles < 0:
        raise RulesError(
            f"Places nouvelles : trouvé {quote(places_nouvelles)} ; attendu un nombre positif."
        )
    if places_nouvelles == 0:
        return t.result(0.0, par_place=0.0, plafond_depense=None)
    if t.params.get("investissement.piaje_montant_base", t.date) is None:
        return t.result(
            0.0,
            par_place=0.0,
            plafond_depense=None,
            notes=[f"PIAJE pas encore en vigueur au {fmt_date(t.date)}"],
        )
    notes = []
    per_place = float(t.at("investissement.piaje_montant_base").value)
    if qpv_frr:
        pv = t.get("investissement.piaje_majoration_qpv_frr")
        if pv is not None and pv.value is not None:
            per_place += float(pv.value)
        elif pv is not None:
            notes.append("majoration QPV/FRR non documentée à cette date : comptée 0 €")
    if taux_couverture is not None:
        seuil = t.params.get("investissement.piaje_seuil_couverture", t.date)
        if seuil is not None and taux_couverture < seuil.value:
            t.use(seuil)
            per_place += float(t.at("investissement.piaje_bonification_couverture").value)
    per_place = min(per_place, float(t.at("investissement.piaje_plafond_par_place").value))
    total = per_place * places_nouvelles
    cap = None
    share = t.params.get("investissement.piaje_taux_max_depense", t.date)
    if depense_eligible is not None and share is not None:
        t.use(share)
        cap = float(share.value) * depense_eligible
        total = min(total, cap)
    return t.result(total, par_place=per_place, plafond_depense=cap, notes=notes)


# --------------------------------------------------------------------------------------------
# Facility simulations


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


def _table(
    lines: list[tuple[str, str, float]],
    places: float | None,
    heures: float | None,
    flags: dict[str, list[str]],
) -> pd.DataFrame:
    rows = []
    for key, label, amount in lines:
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


@dataclass
class EajeInput:
    """One EAJE (crèche) under PSU. Amounts in euros, rates as fractions (0.70 = 70 %).

    Cost: `cout_horaire` (prix de revient per hour actually performed) or `cout_par_place`
    (annual cost per place). Families: `ressources_mensuelles` (one value, or one per family,
    €/month) with `enfants` and optional `poids` (share of billed hours of each family), or
    directly `participation_horaire` (average €/h, e.g. from Filoué). `part_enfants_aeeh` is
    the share of children receiving AEEH (lower taux d'effort, bonus inclusion handicap).
    """

    places: float
    heures_ouverture_an: float  # hours open in a year, e.g. 11 h × 225 days = 2 475 h
    taux_occupation: float  # heures réalisées / heures ouvertes
    taux_facturation: float  # heures facturées / heures réalisées (1.10 = 110 %)
    cout_horaire: float | None = None
    cout_par_place: float | None = None
    couches_repas: bool = True
    ressources_mensuelles: Any = None
    enfants: Any = 1
    poids: Any = None
    participation_horaire: float | None = None
    accueil: str = "collectif"
    part_enfants_aeeh: float = 0.0
    qpv: bool = False
    frr: bool = False
    tranche_territoire: str = "autre"
    ctg: bool = False
    gestionnaire: str = "public"
    places_nouvelles: float = 0.0
    bonus_territoire_existant_par_place: float | None = None  # ex-CEJ, from the CTG convention
    croissance_places_ctg: float | None = None  # growth of co-financed places 2023→2027
    eligible_attractivite: bool = False  # salary increase applied (bonus attractivité)
    cofinancements: float = 0.0  # other co-financing (département, employers…)
    part_regime_general: float = 1.0
    depense_investissement: float | None = None  # eligible investment expenditure
    taux_couverture: float | None = None  # places per 100 children under 3 (PIAJE)
    nom: str = "EAJE"


@dataclass
class EajeFunding:
    """Annual funding of one EAJE (euros per year unless stated)."""

    nom: str
    periode: str
    places: float
    heures_ouvertes: float
    heures_realisees: float
    heures_facturees: float
    cout_total: float
    cout_horaire: float
    participation_horaire_moyenne: float
    participations_familiales: float
    prix_plafond_horaire: float
    prix_retenu_horaire: float
    psu: float
    bonus_mixite: float
    bonus_handicap: float
    bonus_territoire: float
    bonus_trajectoire: float
    bonus_attractivite: float
    cofinancements: float
    reste_a_charge: float
    places_nouvelles: float
    aide_investissement: float  # one-off PIAJE aid for the new places
    a_verifier: list[str] = field(default_factory=list)
    a_verifier_par_ligne: dict[str, list[str]] = field(default_factory=dict)
    parametres: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def bonus_total(self) -> float:
        return (
            self.bonus_mixite
            + self.bonus_handicap
            + self.bonus_territoire
            + self.bonus_trajectoire
            + self.bonus_attractivite
        )

    @property
    def financement_caf(self) -> float:
        return self.psu + self.bonus_total

    def tableau(self) -> pd.DataFrame:
        """Lines × (par_an, par_place, par_heure per hour performed, a_verifier)."""
        lines = [
            ("cout", "Coût de fonctionnement", self.cout_total),
            ("familles", "Participations familiales", self.participations_familiales),
            ("psu", "Prestation de service unique (PSU)", self.psu),
            ("bonus_mixite", "Bonus mixité sociale", self.bonus_mixite),
            ("bonus_handicap", "Bonus inclusion handicap", self.bonus_handicap),
            ("bonus_territoire", "Bonus territoire CTG", self.bonus_territoire),
            ("bonus_trajectoire", "Bonus trajectoire", self.bonus_trajectoire),
            ("bonus_attractivite", "Bonus attractivité", self.bonus_attractivite),
            ("cofinancements", "Autres cofinancements", self.cofinancements),
            ("reste", "Reste à charge (commune / gestionnaire)", self.reste_a_charge),
        ]
        return _table(lines, self.places, self.heures_realisees, self.a_verifier_par_ligne)


def _check_eaje(inp: EajeInput) -> None:
    c = _Checks(f"EAJE « {inp.nom} »")
    c.number("nombre de places", inp.places, strict=True)
    c.number("heures d'ouverture par an", inp.heures_ouverture_an, strict=True, high=8784)
    c.number("taux d'occupation", inp.taux_occupation, strict=True, high=1)
    c.number("taux de facturation", inp.taux_facturation, strict=True, high=3)
    if (inp.cout_horaire is None) == (inp.cout_par_place is None):
        c.fail(
            "coût : trouvé "
            + ("aucun coût" if inp.cout_horaire is None else "un coût horaire et un coût par place")
            + " ; attendu soit cout_horaire (€ par heure réalisée), soit cout_par_place (€ par an)"
        )
    c.number("coût horaire", inp.cout_horaire, optional=True)
    c.number("coût par place", inp.cout_par_place, optional=True)
    if inp.participation_horaire is None and inp.ressources_mensuelles is None:
        c.fail(
            "familles : trouvé ni ressources_mensuelles ni participation_horaire ; attendu les "
            "ressources des familles (€/mois) ou une participation horaire moyenne"
        )
    c.number("participation horaire moyenne", inp.participation_horaire, optional=True)
    c.number("part d'enfants bénéficiaires de l'AEEH", inp.part_enfants_aeeh, high=1)
    c.choice("gestionnaire", inp.gestionnaire, GESTIONNAIRES)
    c.choice("tranche du bonus territoire", inp.tranche_territoire, TRANCHES_TERRITOIRE)
    c.number(
        "places nouvelles",
        inp.places_nouvelles,
        high=inp.places if _is_number(inp.places) else None,
    )
    c.number(
        "bonus territoire des places existantes",
        inp.bonus_territoire_existant_par_place,
        optional=True,
    )
    c.number("croissance des places cofinancées", inp.croissance_places_ctg, low=-1, optional=True)
    c.number("autres cofinancements", inp.cofinancements)
    c.number("part de ressortissants du régime général", inp.part_regime_general, high=1)
    c.number("dépense d'investissement", inp.depense_investissement, optional=True)
    c.number("taux de couverture", inp.taux_couverture, optional=True)
    c.raise_if_any()


def _mean_participation(inp: EajeInput, when: dt.date, params: ParameterSet) -> Result:
    """Average hourly family participation of the EAJE, weighted by `poids`."""
    if inp.participation_horaire is not None:
        return Result(float(inp.participation_horaire), when)
    base = family_participation_hourly(
        inp.ressources_mensuelles, inp.enfants, inp.accueil, 0, when, params=params
    )
    per_family = np.atleast_1d(np.asarray(base.value, dtype=float))
    used, flagged = list(base.parametres), list(base.a_verifier)
    s = float(inp.part_enfants_aeeh)
    if s > 0:
        with_aeeh = family_participation_hourly(
            inp.ressources_mensuelles, inp.enfants, inp.accueil, 1, when, params=params
        )
        per_family = (1 - s) * per_family + s * np.atleast_1d(np.asarray(with_aeeh.value, float))
        used += [n for n in with_aeeh.parametres if n not in used]
        flagged += [n for n in with_aeeh.a_verifier if n not in flagged]
    if inp.poids is None:
        mean = float(per_family.mean())
    else:
        w = _array(inp.poids, "Poids des familles")
        if w.shape != per_family.shape or (w < 0).any() or not w.sum() > 0:
            raise RulesError(
                "Poids des familles : trouvé des poids de longueur ou de valeur incorrecte ; "
                "attendu un poids positif par famille, de somme non nulle."
            )
        mean = float((per_family * w).sum() / w.sum())
    return Result(mean, when, flagged, used)


def _simulate_eaje_at(inp: EajeInput, when: dt.date, params: ParameterSet) -> EajeFunding:
    t = _Trace(params, when)
    flags: dict[str, list[str]] = {}
    notes: list[str] = []

    def take(line: str, res: Result) -> Result:
        t.merge(res)
        _merge_flags(flags, line, res.a_verifier)
        notes.extend(n for n in res.notes if n not in notes)
        return res

    h_open = inp.places * inp.heures_ouverture_an
    h_real = h_open * inp.taux_occupation
    h_fact = h_real * inp.taux_facturation
    if inp.cout_horaire is not None:
        cost = inp.cout_horaire * h_real
    else:
        cost = inp.cout_par_place * inp.places
    cost_h = cost / h_real
    cost_place = cost / inp.places

    pf_h = take("familles", _mean_participation(inp, when, params)).value
    families = pf_h * h_fact

    ceiling = take(
        "psu", psu_prix_plafond(inp.taux_facturation, inp.couches_repas, when, params=params)
    ).value
    rate = t.at("psu.taux")
    _merge_flags(flags, "psu", [rate.name] if rate.a_verifier else [])
    price = min(cost_h, ceiling)
    psu = max(0.0, price * float(rate.value) * h_real - families) * inp.part_regime_general
    _merge_flags(flags, "psu", flags.get("familles", []))  # PSU compensates the families' part
    if psu == 0.0:
        notes.append("les participations familiales dépassent le droit PSU : PSU nulle")

    mix = take("bonus_mixite", bonus_mixite_par_place(pf_h, when, params=params)).value
    hand = take(
        "bonus_handicap",
        bonus_handicap_par_place(inp.part_enfants_aeeh, cost_place, when, params=params),
    ).value

    territory = trajectory = 0.0
    if inp.ctg:
        tier = tranche_territoire(inp.qpv, inp.frr, inp.tranche_territoire)
        if inp.places_nouvelles > 0:
            new = take("bonus_territoire", bonus_territoire_par_place(tier, when, params=params))
            territory += new.value * inp.places_nouvelles
        existing = inp.places - inp.places_nouvelles
        if existing > 0:
            if inp.bonus_territoire_existant_par_place is None:
                notes.append(
                    "bonus territoire des places existantes (ex-CEJ lissé, propre au territoire) "
                    "non saisi : compté 0 €"
                )
                _merge_flags(flags, "bonus_territoire", ["montant des places existantes non saisi"])
            else:
                territory += inp.bonus_territoire_existant_par_place * existing
        if inp.croissance_places_ctg is not None:
            trajectory = (
                take(
                    "bonus_trajectoire",
                    bonus_trajectoire_par_place(inp.croissance_places_ctg, when, params=params),
                ).value
                * inp.places
            )
    elif inp.places_nouvelles > 0:
        notes.append("pas de CTG signée : pas de bonus territoire ni de bonus trajectoire")
    attract = 0.0
    if inp.eligible_attractivite:
        attract = (
            take(
                "bonus_attractivite",
                bonus_attractivite_par_place(inp.gestionnaire, when, params=params),
            ).value
            * inp.places
        )

    bonuses = mix * inp.places + hand * inp.places + territory + trajectory + attract
    rest = cost - families - psu - bonuses - inp.cofinancements
    _merge_flags(flags, "reste", t.flagged)
    _merge_flags(flags, "reste", flags.get("bonus_territoire", []))

    invest = 0.0
    if inp.places_nouvelles > 0:
        invest = take(
            "investissement",
            aide_investissement(
                inp.places_nouvelles,
                when,
                qpv_frr=inp.qpv or inp.frr,
                taux_couverture=inp.taux_couverture,
                depense_eligible=inp.depense_investissement,
                params=params,
            ),
        ).value

    return EajeFunding(
        nom=inp.nom,
        periode=f"règles au {fmt_date(when)}",
        places=float(inp.places),
        heures_ouvertes=h_open,
        heures_realisees=h_real,
        heures_facturees=h_fact,
        cout_total=cost,
        cout_horaire=cost_h,
        participation_horaire_moyenne=pf_h,
        participations_familiales=families,
        prix_plafond_horaire=float(ceiling),
        prix_retenu_horaire=price,
        psu=psu,
        bonus_mixite=float(mix) * inp.places,
        bonus_handicap=float(hand) * inp.places,
        bonus_territoire=territory,
        bonus_trajectoire=float(trajectory),
        bonus_attractivite=attract,
        cofinancements=float(inp.cofinancements),
        reste_a_charge=rest,
        places_nouvelles=float(inp.places_nouvelles),
        aide_investissement=float(invest),
        a_verifier=list(t.flagged),
        a_verifier_par_ligne=flags,
        parametres=list(t.used),
        notes=notes,
    )


def simulate_eaje(
    inp: EajeInput, date: Any = None, *, params: ParameterSet | None = None
) -> EajeFunding:
    """Funding of one EAJE for a year: families, PSU, each bonus, remaining charge.

    `date`: the rules in force at this date, applied to a whole year; or a year (int): the
    rules pro rata temporis over that year (e.g. plafond 7 000 € for 8 months and 8 500 € for
    4 months in 2025). The remaining charge = cost − families − PSU − bonuses − other
    co-financing. The PIAJE investment aid for the new places is one-off, outside the
    annual balance.
    """
    params = params or load_parameters()
    _check_eaje(inp)
    when = _when(date)
    if isinstance(when, int):
        return _by_year(lambda d: _simulate_eaje_at(inp, d, params), when, params)
    return _simulate_eaje_at(inp, when, params)


@dataclass
class AlshInput:
    """One accueil de loisirs (ALSH). Hours are child-hours actually performed (actes)."""

    heures_realisees: float
    cout_horaire: float | None = None
    cout_total: float | None = None
    participations_familiales: float = 0.0  # annual family payments
    heures_mercredi_nouvelles: float = 0.0  # new Wednesday hours (Plan mercredi)
    plan_mercredi: bool = False  # labelled Plan mercredi (charte qualité)
    ctg: bool = False
    bonus_territoire: float = 0.0  # annual amount of the CTG convention (territory-specific)
    cofinancements: float = 0.0
    part_regime_general: float = 1.0
    places: float | None = None
    nom: str = "ALSH"


@dataclass
class AlshFunding:
    nom: str
    periode: str
    places: float
    heures_realisees: float
    cout_total: float
    cout_horaire: float
    participations_familiales: float
    ps_alsh: float
    bonification_plan_mercredi: float
    bonus_territoire: float
    cofinancements: float
    reste_a_charge: float
    a_verifier: list[str] = field(default_factory=list)
    a_verifier_par_ligne: dict[str, list[str]] = field(default_factory=dict)
    parametres: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def tableau(self) -> pd.DataFrame:
        lines = [
            ("cout", "Coût de fonctionnement", self.cout_total),
            ("familles", "Participations familiales", self.participations_familiales),
            ("ps_alsh", "Prestation de service ALSH", self.ps_alsh),
            ("plan_mercredi", "Bonification Plan mercredi", self.bonification_plan_mercredi),
            ("bonus_territoire", "Bonus territoire CTG", self.bonus_territoire),
            ("cofinancements", "Autres cofinancements", self.cofinancements),
            ("reste", "Reste à charge (commune / gestionnaire)", self.reste_a_charge),
        ]
        return _table(lines, self.places or None, self.heures_realisees, self.a_verifier_par_ligne)


def _simulate_alsh_at(inp: AlshInput, when: dt.date, params: ParameterSet) -> AlshFunding:
    t = _Trace(params, when)
    flags: dict[str, list[str]] = {}
    cost = inp.cout_total if inp.cout_total is not None else inp.cout_horaire * inp.heures_realisees
    cost_h = cost / inp.heures_realisees
    rate = t.at("alsh.taux_ps")
    cap = t.at("alsh.montant_horaire_plafond")
    per_hour = min(float(rate.value) * cost_h, float(cap.value))
    ps = per_hour * inp.heures_realisees * inp.part_regime_general
    _merge_flags(flags, "ps_alsh", [n for n in (rate.name, cap.name) if n in t.flagged])
    bonif = 0.0
    notes = []
    if inp.plan_mercredi and inp.heures_mercredi_nouvelles > 0:
        pv = t.get("alsh.plan_mercredi_bonification")
        if pv is None:
            notes.append(f"Plan mercredi pas encore en vigueur au {fmt_date(when)}")
        else:
            bonif = float(pv.value) * inp.heures_mercredi_nouvelles
            _merge_flags(flags, "plan_mercredi", [pv.name] if pv.a_verifier else [])
    territory = inp.bonus_territoire if inp.ctg else 0.0
    if inp.ctg and inp.bonus_territoire == 0:
        notes.append("bonus territoire ALSH : montant propre à la convention CTG, non saisi")
    rest = cost - inp.participations_familiales - ps - bonif - territory - inp.cofinancements
    _merge_flags(flags, "reste", t.flagged)
    return AlshFunding(
        nom=inp.nom,
        periode=f"règles au {fmt_date(when)}",
        places=float(inp.places or 0.0),
        heures_realisees=float(inp.heures_realisees),
        cout_total=float(cost),
        cout_horaire=cost_h,
        participations_familiales=float(inp.participations_familiales),
        ps_alsh=ps,
        bonification_plan_mercredi=bonif,
        bonus_territoire=float(territory),
        cofinancements=float(inp.cofinancements),
        reste_a_charge=rest,
        a_verifier=list(t.flagged),
        a_verifier_par_ligne=flags,
        parametres=list(t.used),
        notes=notes,
    )


def simulate_alsh(
    inp: AlshInput, date: Any = None, *, params: ParameterSet | None = None
) -> AlshFunding:
    """Funding of one ALSH for a year: PS ALSH (30 % of the hourly cost within the ceiling ×
    hours × share of régime général), Plan mercredi bonus for new labelled Wednesday hours,
    bonus territoire (amount of the CTG convention), remaining charge. `date` as in
    :func:`simulate_eaje`."""
    params = params or load_parameters()
    c = _Checks(f"ALSH « {inp.nom} »")
    c.number("heures réalisées", inp.heures_realisees, strict=True)
    if (inp.cout_horaire is None) == (inp.cout_total is None):
        c.fail(
            "coût : attendu soit cout_horaire (€ par heure réalisée), soit cout_total (€ par an)"
        )
    c.number("coût horaire", inp.cout_horaire, optional=True)
    c.number("coût total", inp.cout_total, optional=True)
    c.number("participations familiales", inp.participations_familiales)
    c.number(
        "heures nouvelles du mercredi",
        inp.heures_mercredi_nouvelles,
        high=inp.heures_realisees if _is_number(inp.heures_realisees) else None,
    )
    c.number("bonus territoire", inp.bonus_territoire)
    c.number("autres cofinancements", inp.cofinancements)
    c.number("part de ressortissants du régime général", inp.part_regime_general, high=1)
    c.number("nombre de places", inp.places, optional=True)
    c.raise_if_any()
    when = _when(date)
    if isinstance(when, int):
        return _by_year(lambda d: _simulate_alsh_at(inp, d, params), when, params)
    return _simulate_alsh_at(inp, when, params)


@dataclass
class AvsInput:
    """A centre social (PS animation globale et coordination + animation collective familles)
    or an espace de vie sociale (PS animation locale). Expenses are annual eligible expenses."""

    structure: str  # "centre_social" or "evs"
    depenses_animation: float  # AGC (centre social) or animation locale (EVS)
    depenses_famille: float = 0.0  # animation collective familles (centre social only)
    cout_total: float | None = None  # whole budget; default: the two expenses
    cofinancements: float = 0.0
    plafond_animation: float | None = None  # ceilings when known locally
    plafond_famille: float | None = None
    nom: str = "structure AVS"


@dataclass
class AvsFunding:
    nom: str
    periode: str
    structure: str
    cout_total: float
    ps_animation: float
    ps_famille: float
    cofinancements: float
    reste_a_charge: float
    a_verifier: list[str] = field(default_factory=list)
    a_verifier_par_ligne: dict[str, list[str]] = field(default_factory=dict)
    parametres: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def tableau(self) -> pd.DataFrame:
        animation = (
            "PS animation globale et coordination"
            if self.structure == "centre_social"
            else "PS animation locale (EVS)"
        )
        lines = [
            ("cout", "Coût de fonctionnement", self.cout_total),
            ("ps_animation", animation, self.ps_animation),
            ("ps_famille", "PS animation collective familles", self.ps_famille),
            ("cofinancements", "Autres cofinancements", self.cofinancements),
            ("reste", "Reste à charge (commune / gestionnaire)", self.reste_a_charge),
        ]
        return _table(lines, None, None, self.a_verifier_par_ligne)


def _simulate_avs_at(inp: AvsInput, when: dt.date, params: ParameterSet) -> AvsFunding:
    t = _Trace(params, when)
    flags: dict[str, list[str]] = {}
    notes: list[str] = []
    social = inp.structure == "centre_social"

    def ps(
        line: str, rate_name: str, ceiling_key: str, expenses: float, override: float | None
    ) -> float:
        before = list(t.flagged)
        rate = t.at(rate_name)
        if override is not None:
            base = min(expenses, override)
        else:
            pv = t.get(f"avs.plafonds_depenses.{ceiling_key}")
            if pv is None or pv.value is None:
                notes.append(
                    f"plafond {ceiling_key.replace('_', ' ')} non documenté : dépenses "
                    "retenues sans plafond"
                )
                base = expenses
            else:
                base = min(expenses, float(pv.value))
        _merge_flags(flags, line, [n for n in t.flagged if n not in before])
        return base * float(rate.value)

    if social:
        animation = ps(
            "ps_animation",
            "avs.taux_animation_globale",
            "animation_globale",
            inp.depenses_animation,
            inp.plafond_animation,
        )
        family = 0.0
        if inp.depenses_famille > 0:
            family = ps(
                "ps_famille",
                "avs.taux_animation_collective_familles",
                "animation_collective_familles",
                inp.depenses_famille,
                inp.plafond_famille,
            )
    else:
        animation = ps(
            "ps_animation",
            "avs.taux_animation_locale_evs",
            "animation_locale_evs",
            inp.depenses_animation,
            inp.plafond_animation,
        )
        family = 0.0
    cost = (
        inp.cout_total
        if inp.cout_total is not None
        else inp.depenses_animation + inp.depenses_famille
    )
    rest = cost - animation - family - inp.cofinancements
    _merge_flags(flags, "reste", t.flagged)
    return AvsFunding(
        nom=inp.nom,
        periode=f"règles au {fmt_date(when)}",
        structure=inp.structure,
        cout_total=float(cost),
        ps_animation=animation,
        ps_famille=family,
        cofinancements=float(inp.cofinancements),
        reste_a_charge=rest,
        a_verifier=list(t.flagged),
        a_verifier_par_ligne=flags,
        parametres=list(t.used),
        notes=notes,
    )


def simulate_avs(
    inp: AvsInput, date: Any = None, *, params: ParameterSet | None = None
) -> AvsFunding:
    """Funding of a centre social or an EVS for a year: PS at the AVS rates within the
    ceilings (national ceilings not documented: give them in the input when known).
    `date` as in :func:`simulate_eaje`."""
    params = params or load_parameters()
    c = _Checks(f"Structure « {inp.nom} »")
    c.choice("type de structure", inp.structure, STRUCTURES_AVS)
    c.number("dépenses d'animation", inp.depenses_animation)
    c.number("dépenses animation collective familles", inp.depenses_famille)
    if inp.structure == "evs" and inp.depenses_famille:
        c.fail(
            "dépenses animation collective familles : trouvé un montant pour un EVS ; "
            "attendu 0 (prestation réservée aux centres sociaux)"
        )
    c.number("coût total", inp.cout_total, optional=True)
    c.number("autres cofinancements", inp.cofinancements)
    c.number("plafond animation", inp.plafond_animation, optional=True)
    c.number("plafond familles", inp.plafond_famille, optional=True)
    c.raise_if_any()
    when = _when(date)
    if isinstance(when, int):
        return _by_year(lambda d: _simulate_avs_at(inp, d, params), when, params)
    return _simulate_avs_at(inp, when, params)
