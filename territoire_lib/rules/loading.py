"""Loading and validating the dated parameter files (``territoire_lib/parameters``).

Owns :data:`PARAMETERS_DIR`, the YAML reading (dates kept as text so that a wrong date gets a
French issue with its line), the checks of every file (keys, dates, values, reference, statut,
the periodic revision and the documented end of a value that decide when a value is carried
forward, the included bound of tranches) and :func:`load_parameters`, cached, which raises one
French `DataError` listing every problem with its file, line and key.

Layer « règles »: imports the socle (``errors``, ``input_limits``, ``yaml_lines``: the bounded
YAML reading shared by every reader), :mod:`.base` and :mod:`.parameters`.
"""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

import yaml

from ..errors import DataError, Issue, quote
from ..input_limits import YAML, read_bounded
from ..yaml_lines import bounded_loader, single_node
from .base import STATUTS, RulesError, _is_number, _nfc, parse_date
from .parameters import BOUNDS, REVISIONS, Parameter, ParameterSet, _Entry

# The data folder stays at territoire_lib/parameters, next to this package.
PARAMETERS_DIR = Path(__file__).parent.with_name("parameters")

KINDS = ("scalar", "table", "brackets")

_FILE_KEYS = {
    "description",
    "unit",
    "type",
    "labels",
    "threshold_unit",
    "threshold_label",
    "documentation",
    "revision",
    "revision_date",
    "included_bound",
    "values",
}
_ENTRY_KEYS = {"value", "reference", "statut", "valid_until"}


class _Loader(yaml.SafeLoader):
    """Safe loader that keeps dates as text, so that a wrong date gets a French issue with its
    line instead of a bare ValueError from PyYAML's timestamp constructor."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _read_yaml(text: str, rel: str) -> tuple[Any, dict[tuple[str, ...], int]]:
    """The document and the 1-based line of every key (and list item), by key path; read
    through the bounded part shared by every YAML reader (:mod:`territoire_lib.yaml_lines`:
    size cap, alias bombs, depth)."""
    loader = bounded_loader(text, rel, _Loader)
    try:
        root = single_node(loader, rel)
        data = loader.construct_document(root) if root is not None else None
    finally:
        loader.dispose()
    return data, _line_index(root)


def _line_index(root: yaml.Node | None) -> dict[tuple[str, ...], int]:
    """1-based line of every key (and list item) of a composed YAML document, by key path."""
    index: dict[tuple[str, ...], int] = {}

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


def _parse_day(chk: _FileChecker, path: tuple, x: Any) -> dt.date | None:
    """An AAAA-MM-JJ date (kept as text by the loader); French issue otherwise."""
    try:
        return parse_date(x)
    except RulesError:
        chk.add(path, f"la date {quote(x)}", "une date réelle AAAA-MM-JJ")
        return None


def _parse_revision(chk: _FileChecker, data: dict) -> tuple[str, tuple[int, int] | None]:
    """`revision` (aucune | annuelle) and `revision_date` (MM-JJ of the yearly revision)."""
    revision = data.get("revision", "aucune")
    if revision not in REVISIONS:
        chk.add(("revision",), quote(revision), "« annuelle » ou « aucune »")
        revision = "aucune"
    raw = data.get("revision_date")
    if raw is None:
        return revision, None
    if revision != "annuelle":
        chk.add(
            ("revision_date",), quote(raw), "revision_date seulement avec « revision: annuelle »"
        )
        return revision, None
    text = str(raw).strip()
    try:
        month, day = (int(x) for x in text.split("-"))
        dt.date(2001, month, day)  # a real day of a non-leap year
    except ValueError:
        chk.add(
            ("revision_date",),
            quote(raw),
            "le jour de la revalorisation annuelle au format MM-JJ entre guillemets (« 01-01 »)",
        )
        return revision, None
    return revision, (month, day)


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
        text = read_bounded(path, YAML, rel).decode("utf-8")
    except DataError as exc:  # not a regular file, or over the YAML size cap
        return None, exc.issues
    except UnicodeDecodeError:
        return None, [Issue(rel, "un caractère non UTF-8", "un fichier YAML encodé en UTF-8")]
    try:
        data, lines = _read_yaml(text, rel)
    except DataError as exc:
        return None, exc.issues
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
    revision, revision_date = _parse_revision(chk, data)
    bound = data.get("included_bound", "lower")
    if bound not in BOUNDS or (bound == "upper" and kind != "brackets"):
        chk.add(
            ("included_bound",),
            quote(bound),
            "« lower » (borne basse incluse) ou « upper » (borne haute incluse), pour des tranches",
        )
        bound = "lower"
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
                chk.add(
                    (*where, k),
                    f"la clé inconnue {quote(k)}",
                    "value, reference, statut, valid_until",
                )
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
        valid_until = None
        if entry.get("valid_until") is not None:
            valid_until = _parse_day(chk, (*where, "valid_until"), entry["valid_until"])
            if valid_until is not None and valid_until < key:
                chk.add(
                    (*where, "valid_until"),
                    f"la date {quote(entry['valid_until'])}",
                    f"une date postérieure ou égale au {key.isoformat()}",
                )
        entries.append(_Entry(key, value, reference, statut, valid_until))
    entries.sort(key=lambda e: e.start)
    for entry, after in zip(entries, entries[1:], strict=False):
        if entry.valid_until is not None and entry.valid_until >= after.start:
            chk.add(
                ("values", entry.start.isoformat(), "valid_until"),
                f"la date {entry.valid_until.isoformat()}",
                f"une date antérieure à la valeur suivante ({after.start.isoformat()})",
            )
    if chk.issues:
        return None, chk.issues
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
        revision=revision,
        revision_date=revision_date,
        included_bound=bound,
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
