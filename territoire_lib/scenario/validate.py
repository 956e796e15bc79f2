"""Reading a scenario YAML document and checking it key by key, with French issues that name
the line: the YAML loader keeping line numbers, the :class:`_Checker` typed readers and the
readers of the horizon, hypotheses, co-financings and levers.

Builds no :class:`~territoire_lib.scenario.spec.Scenario`: :mod:`.spec` assembles the checked
parts.

Layer: scénarios. Imports the core layer (errors, geo, yaml_lines: the bounded YAML reading
shared by every reader), :mod:`territoire_lib.rules` (the
allowed gestionnaires and tranches) and :mod:`.schema`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import yaml

from .. import rules
from ..errors import Issue, quote
from ..french import number
from ..geo import COMMUNE_CODE_PATTERN
from ..yaml_lines import bounded_loader, single_node
from .schema import (
    _ALSH_KEYS,
    _LEVER_KEYS,
    _SHARE_KEYS,
    ACTIONS,
    ALSH_BOUNDS,
    AMOUNT_BOUNDS,
    DEFAULT_COFINANCEMENTS,
    DEFAULT_HYPOTHESES,
    EXISTING_PLACES_BOUND,
    GROWTH_BOUND,
    HYPOTHESIS_BOUNDS,
    LEVER_BOUNDS,
    LEVER_COLUMNS,
    LEVERS,
    MAX_ASSISTANTES_PER_LEVER,
    MAX_PLACES_PER_LEVER,
    PLACE_MODES,
    SHARE_BOUND,
    Bound,
    _deep_copy,
)

_COMMUNE_RE = re.compile(COMMUNE_CODE_PATTERN)


# -- YAML reading with line numbers ---------------------------------------------------------------
def _no_timestamps(cls: type) -> type:
    cls.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
        for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
    }
    return cls


@_no_timestamps
class _PyLoader(yaml.SafeLoader):
    pass


_Loader: type = _PyLoader
if getattr(yaml, "__with_libyaml__", False):

    @_no_timestamps
    class _CLoader(yaml.CSafeLoader):  # type: ignore[misc,valid-type]
        pass

    _Loader = _CLoader


def _read_yaml(text: str, file: str) -> tuple[Any, dict[tuple, int], list[Issue]]:
    """The document (mapping keys as written, scalars typed, with `.raw` kept for codes), the
    line of every key / list item by path, and the duplicate keys found."""
    loader = bounded_loader(text, file, _Loader)  # size, alias bombs, depth: yaml_lines
    lines: dict[tuple, int] = {}
    issues: list[Issue] = []
    try:
        node = single_node(loader, file)

        def build(n: yaml.Node, path: tuple) -> Any:
            if isinstance(n, yaml.MappingNode):
                out: dict[str, Any] = {}
                for k, v in n.value:
                    key = str(k.value) if isinstance(k, yaml.ScalarNode) else str(k)
                    sub = (*path, key)
                    if key in out:
                        issues.append(
                            Issue(
                                file,
                                f"la clé {quote(key)} en double",
                                "chaque clé une seule fois",
                                line=k.start_mark.line + 1,
                                column=_column(sub),
                            )
                        )
                    lines[sub] = k.start_mark.line + 1
                    out[key] = build(v, sub)
                return out
            if isinstance(n, yaml.SequenceNode):
                items = []
                for i, v in enumerate(n.value, start=1):
                    lines[(*path, i)] = v.start_mark.line + 1
                    items.append(build(v, (*path, i)))
                return items
            value = loader.construct_object(n, deep=True)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return _Number(value, n.value)
            return value

        data = build(node, ()) if node is not None else None
    finally:
        loader.dispose()
    return data, lines, issues


class _Number:
    """A number with its source text (to read commune codes and years as written)."""

    __slots__ = ("value", "raw")

    def __init__(self, value: float, raw: str):
        self.value = value
        self.raw = raw

    def __repr__(self) -> str:
        return self.raw


def _unwrap(value: Any) -> Any:
    if isinstance(value, _Number):
        return value.value
    if isinstance(value, dict):
        return {k: _unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unwrap(v) for v in value]
    return value


def _column(path: Sequence) -> str:
    return " › ".join(str(p) for p in path)


class _Checker:
    """French issues of a scenario document, with the line of the nearest key."""

    def __init__(self, file: str, lines: dict[tuple, int]):
        self.file = file
        self.lines = lines
        self.issues: list[Issue] = []

    def line_of(self, path: Sequence) -> int | None:
        keys = tuple(path)
        for n in range(len(keys), 0, -1):
            if keys[:n] in self.lines:
                return self.lines[keys[:n]]
        return None

    def add(self, path: Sequence, found: str, expected: str) -> None:
        self.issues.append(
            Issue(
                self.file,
                found,
                expected,
                line=self.line_of(path),
                column=_column(path) if path else None,
            )
        )

    # typed readers: return the value or None after recording an issue
    def number(
        self,
        path: Sequence,
        x: Any,
        low: float | None = None,
        high: float | None = None,
        *,
        strict_low: bool = False,
        integer: bool = False,
        what: str = "un nombre",
    ) -> float | None:
        value = x.value if isinstance(x, _Number) else x
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        ok = ok and math.isfinite(value)
        if ok and integer and float(value) != int(value):
            ok = False
        bounded = ok  # a finite number of the right kind: out of bounds if refused below
        if ok and low is not None and (value <= low if strict_low else value < low):
            ok = False
        if ok and high is not None and value > high:
            ok = False
        if not ok:
            non_finite = isinstance(value, float) and not math.isfinite(value)
            found = _found(x)
            if bounded:
                found += ", hors des bornes plausibles"
            elif non_finite:
                found += " (pas un nombre fini)"
            self.add(path, found, what)
            return None
        return int(value) if integer else float(value)

    def boolean(self, path: Sequence, x: Any) -> bool | None:
        if isinstance(x, bool):
            return x
        self.add(path, _found(x), "oui ou non (true / false)")
        return None

    def text(self, path: Sequence, x: Any, what: str = "un texte") -> str | None:
        if isinstance(x, str) and x.strip():
            return x.strip()
        self.add(path, _found(x), what)
        return None

    def choice(self, path: Sequence, x: Any, allowed: Sequence[str], what: str) -> str | None:
        text = x.raw if isinstance(x, _Number) else x
        if isinstance(text, str) and text.strip() in allowed:
            return text.strip()
        hint = ""
        if isinstance(text, str):
            close = difflib.get_close_matches(text.strip(), allowed, n=1, cutoff=0.6)
            hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
        self.add(path, _found(x) + hint, f"{what} : {', '.join(allowed)}")
        return None

    def commune(self, path: Sequence, x: Any) -> str | None:
        text = x.raw if isinstance(x, _Number) else x
        if isinstance(text, str):
            text = text.strip()
            if _COMMUNE_RE.fullmatch(text):
                return text
            if text.isdigit() and len(text) == 4:
                self.add(
                    path,
                    f"{quote(text)} (le zéro initial a disparu : {text.zfill(5)} ?)",
                    'un code commune de 5 caractères entre guillemets (ex. "01001")',
                )
                return None
        self.add(path, _found(x), 'un code commune de 5 caractères (ex. "96001", "2A004")')
        return None

    def keys(self, path: Sequence, mapping: dict, allowed: Sequence[str], what: str) -> None:
        for key in mapping:
            if key not in allowed:
                close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
                hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
                self.add(
                    (*path, key), f"la clé inconnue {quote(key)}{hint}", f"{what} : {', '.join(allowed)}"
                )  # fmt: skip


def _found(x: Any) -> str:
    if x is None:
        return "une valeur vide"
    if isinstance(x, _Number):
        return quote(x.raw)
    if isinstance(x, bool):
        return "« oui »" if x else "« non »"
    if isinstance(x, dict):
        return "une table"
    if isinstance(x, list):
        return "une liste"
    return quote(x)


def _kind(x: Any) -> str:
    """What a document that is not a scenario is, without showing its content (it may be any
    file: a password file read as YAML is one long text)."""
    if x is None:
        return "un document vide"
    if isinstance(x, list):
        return "une liste, pas une table de clés"
    if isinstance(x, _Number | bool):
        return "une valeur seule, pas une table de clés"
    return "un texte, pas une table de clés (ce fichier n'est pas un scénario)"


def _horizon(chk: _Checker, raw: Any, base: int | None) -> tuple[int | None, int | None]:
    path = ("horizon",)
    expected = "deux années [début, fin], par exemple [2025, 2029]"
    if isinstance(raw, str) and "-" in raw:
        parts = raw.replace(" ", "").split("-")
        try:
            raw = [_Number(int(p), p) for p in parts]
        except ValueError:
            chk.add(path, _found(raw), expected)
            return None, None
    if isinstance(raw, Mapping):
        chk.keys(path, raw, ["debut", "fin"], "clés possibles")
        raw = [raw.get("debut"), raw.get("fin")]
    if not isinstance(raw, list) or len(raw) != 2:
        chk.add(path, _found(raw), expected)
        return None, None
    debut = chk.number((*path, 1), raw[0], 1990, 2100, integer=True, what="une année")
    fin = chk.number((*path, 2), raw[1], 1990, 2100, integer=True, what="une année")
    if debut is None or fin is None:
        return None, None
    if fin < debut:
        chk.add(path, f"un horizon de {debut} à {fin}", "une année de fin après l'année de début")
        return None, None
    if fin - debut > 9:
        chk.add(path, f"un horizon de {fin - debut + 1} ans", "un horizon de 10 ans au plus")
        return None, None
    if base is not None and debut <= base:
        chk.add(
            path,
            f"un horizon commençant en {debut}",
            f"un horizon qui commence après l'année de base ({base})",
        )
        return None, None
    return debut, fin


def _hypotheses(chk: _Checker, raw: Any) -> tuple[dict[str, Any], set[str]]:
    hyp = _deep_copy(DEFAULT_HYPOTHESES)
    if raw is None:
        return hyp, set()
    root = ("hypotheses",)
    if not isinstance(raw, Mapping):
        chk.add(root, _found(raw), "une table d'hypothèses « clé: valeur »")
        return hyp, set()
    chk.keys(root, raw, list(DEFAULT_HYPOTHESES), "hypothèses possibles")
    explicit = set()
    numbers = HYPOTHESIS_BOUNDS  # key: (low, high, strict_low, expected), schema.py
    for key, value in raw.items():
        path = (*root, key)
        if key not in DEFAULT_HYPOTHESES:
            continue
        explicit.add(key)
        if key in numbers:
            low, high, strict, what = numbers[key]
            got = chk.number(path, value, low, high, strict_low=strict, what=what)
        elif key in ("couches_repas", "ctg", "bonus_attractivite"):
            got = chk.boolean(path, value)
        elif key == "gestionnaire":
            got = chk.choice(path, value, rules.GESTIONNAIRES, "un gestionnaire")
        elif key == "tranche_territoire":
            got = chk.choice(path, value, rules.TRANCHES_TERRITOIRE, "une tranche")
        elif key in ("cout_par_place", "investissement_par_place"):
            modes = [m for m in PLACE_MODES]
            got = _mode_map(chk, path, value, modes, AMOUNT_BOUNDS[key])
            if got is not None:
                got = {**hyp[key], **got}
        elif key == "part_enfants_bas_revenus":
            got = _share_map(chk, path, value, _SHARE_KEYS)
            if got is not None:
                got = {**hyp[key], **got}
        elif key == "alsh":
            got = _alsh(chk, path, value)
        elif key == "croissance_naissances":
            got = _growth(chk, path, value)
        elif key == "places_alsh_existantes":
            got = _commune_map(chk, path, value)
        elif key == "rpe_existants":
            got = _commune_list(chk, path, value)
        else:  # pragma: no cover - every key is handled above
            got = _unwrap(value)
        if got is not None:
            hyp[key] = got
    return hyp, explicit


def _mode_map(
    chk: _Checker, path: tuple, value: Any, modes: Sequence[str], bound: Bound
) -> dict[str, float] | None:
    if not isinstance(value, Mapping):
        chk.add(path, _found(value), "une table par mode, ex. {creche_psu: 16000}")
        return None
    chk.keys(path, value, modes, "modes possibles")
    out = {}
    for mode, amount in value.items():
        if mode in modes:
            low, high, strict, what = bound
            got = chk.number((*path, mode), amount, low, high, strict_low=strict, what=what)
            if got is not None:
                out[mode] = got
    return out


def _share_map(chk: _Checker, path: tuple, value: Any, keys: Sequence[str]) -> dict | None:
    if not isinstance(value, Mapping):
        chk.add(path, _found(value), "une table par mode, ex. {creche_psu: 0.18}")
        return None
    chk.keys(path, value, keys, "modes possibles")
    out = {}
    for mode, share in value.items():
        if mode in keys:
            low, high, _strict, what = SHARE_BOUND
            got = chk.number((*path, mode), share, low, high, what=what)
            if got is not None:
                out[mode] = got
    return out


def _alsh(chk: _Checker, path: tuple, value: Any) -> dict | None:
    if not isinstance(value, Mapping):
        chk.add(path, _found(value), f"une table avec {', '.join(_ALSH_KEYS)}")
        return None
    chk.keys(path, value, _ALSH_KEYS, "clés possibles")
    out = _deep_copy(DEFAULT_HYPOTHESES["alsh"])
    spec = ALSH_BOUNDS
    for key, raw in value.items():
        if key == "plan_mercredi":
            got = chk.boolean((*path, key), raw)
        elif key in spec:
            low, high, strict, what = spec[key]
            got = chk.number((*path, key), raw, low, high, strict_low=strict, what=what)
        else:
            continue
        if got is not None:
            out[key] = got
    return out


def _growth(chk: _Checker, path: tuple, value: Any) -> float | dict | None:
    low, high, _strict, what = GROWTH_BOUND
    if isinstance(value, Mapping):
        out = {}
        for code, rate in value.items():
            got = chk.number((*path, code), rate, low, high, what=what)
            if got is not None:
                out[str(code)] = got
        return out
    return chk.number(path, value, low, high, what=what + " ou une table par commune / EPCI")


def _commune_map(chk: _Checker, path: tuple, value: Any) -> dict | None:
    if not isinstance(value, Mapping):
        chk.add(path, _found(value), 'une table « "96001": 40 » (places par commune)')
        return None
    out = {}
    for code, places in value.items():
        c = chk.commune((*path, code), code)
        low, high, _strict, what = EXISTING_PLACES_BOUND
        got = chk.number((*path, code), places, low, high, what=what)
        if c is not None and got is not None:
            out[c] = got
    return out


def _commune_list(chk: _Checker, path: tuple, value: Any) -> list | None:
    if not isinstance(value, list):
        chk.add(path, _found(value), 'une liste de codes commune, ex. ["96001"]')
        return None
    out = []
    for i, code in enumerate(value, start=1):
        c = chk.commune((*path, i), code)
        if c is not None:
            out.append(c)
    return out


def _cofinancements(chk: _Checker, raw: Any) -> tuple[dict[str, Any], set[str]]:
    cof = _deep_copy(DEFAULT_COFINANCEMENTS)
    if raw is None:
        return cof, set()
    root = ("cofinancements",)
    if not isinstance(raw, Mapping):
        chk.add(root, _found(raw), "une table : autres_par_place, part_commune")
        return cof, set()
    chk.keys(root, raw, list(DEFAULT_COFINANCEMENTS), "clés possibles")
    explicit = set()
    if "autres_par_place" in raw:
        modes = [m for m, k in LEVERS.items() if k.funding != "none"]
        bound = AMOUNT_BOUNDS["autres_par_place"]
        got = _mode_map(chk, (*root, "autres_par_place"), raw["autres_par_place"], modes, bound)
        if got is not None:
            cof["autres_par_place"] = got
            explicit.add("autres_par_place")
    if "part_commune" in raw:
        low, high, _strict, what = SHARE_BOUND
        got = chk.number((*root, "part_commune"), raw["part_commune"], low, high, what=what)
        if got is not None:
            cof["part_commune"] = got
            explicit.add("part_commune")
    return cof, explicit


def _levers(chk: _Checker, raw: Any, debut: int | None, fin: int | None) -> pd.DataFrame:
    root = ("leviers",)
    if raw is None:
        raw = []
    if not isinstance(raw, list):
        chk.add(root, _found(raw), "une liste de leviers (lignes commençant par « - levier: »)")
        raw = []
    rows = []
    for i, item in enumerate(raw, start=1):
        path = (*root, i)
        if not isinstance(item, Mapping):
            chk.add(path, _found(item), "un levier : levier, commune, annee, places")
            continue
        before = len(chk.issues)
        chk.keys(path, item, _LEVER_KEYS, "clés possibles d'un levier")
        row: dict[str, Any] = {c: None for c in LEVER_COLUMNS}
        row["ligne"] = chk.line_of(path)
        row["rang"] = i
        for key in ("levier", "commune", "annee"):
            if key not in item:
                chk.add(path, f"aucune clé « {key} »", f"une clé « {key}: … » pour chaque levier")
        kind = None
        if "levier" in item:
            kind = chk.choice((*path, "levier"), item["levier"], list(LEVERS), "un levier connu")
            row["levier"] = kind
        if "commune" in item:
            row["commune"] = chk.commune((*path, "commune"), item["commune"])
        if "annee" in item:
            year = chk.number(
                (*path, "annee"), item["annee"], 1990, 2100, integer=True, what="une année"
            )
            if year is not None and debut is not None and not debut <= year <= fin:
                chk.add(
                    (*path, "annee"),
                    f"l'année {year}, hors de l'horizon",
                    f"une année de l'horizon du scénario ({debut} à {fin})",
                )
            row["annee"] = year
        action = "ouvrir"
        if "action" in item:
            action = chk.choice((*path, "action"), item["action"], ACTIONS, "une action")
        row["action"] = action
        _lever_places(chk, path, item, kind, row)
        for key, (low, high, strict, what) in LEVER_BOUNDS.items():
            if key in item:
                row[key] = chk.number((*path, key), item[key], low, high, strict_low=strict, what=what)  # fmt: skip
        if "gestionnaire" in item:
            row["gestionnaire"] = chk.choice(
                (*path, "gestionnaire"), item["gestionnaire"], rules.GESTIONNAIRES, "un gestionnaire"
            )  # fmt: skip
        if "en_qpv" in item:
            row["en_qpv"] = chk.boolean((*path, "en_qpv"), item["en_qpv"])
        if "nom" in item:
            row["nom"] = chk.text((*path, "nom"), _unwrap(item["nom"]), "un nom d'équipement")
        if len(chk.issues) == before:
            rows.append(row)
    frame = pd.DataFrame(rows, columns=LEVER_COLUMNS)
    return _lever_types(frame)


def _lever_types(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for col in ("annee", "ligne", "rang"):
        out[col] = pd.array(out[col], dtype="Int64") if len(out) else out[col].astype("Int64")
    for col in ("places", "assistantes", "cout_par_place", "investissement_par_place"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    for col in ("taux_occupation", "taux_facturation", "participation_horaire"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    for col in ("levier", "commune", "action", "nom", "gestionnaire"):
        out[col] = out[col].astype(object)
    out["en_qpv"] = out["en_qpv"].astype(object)
    return out.reset_index(drop=True)


def _lever_places(chk: _Checker, path: tuple, item: Mapping, kind: str | None, row: dict) -> None:
    has_places, has_am = "places" in item, "assistantes" in item
    positive = (
        f"un nombre entier de places de 1 à {number(MAX_PLACES_PER_LEVER)} par levier ; pour "
        "fermer des places, écrire « action: fermer »"
    )

    def read(key: str, what: str) -> int | None:
        raw = item[key]
        value = raw.value if isinstance(raw, _Number) else raw
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            chk.add((*path, key), f"un nombre négatif ({_found(raw)})", what)
            return None
        high = MAX_PLACES_PER_LEVER if key == "places" else MAX_ASSISTANTES_PER_LEVER
        return chk.number(
            (*path, key), raw, 0, high, strict_low=True, integer=True, what=what.split(" ;")[0]
        )

    if kind == "rpe":
        if has_places or has_am:
            chk.add(
                (*path, "places" if has_places else "assistantes"),
                "un nombre de places pour un relais petite enfance",
                "aucune place (un RPE n'accueille pas d'enfants)",
            )
        return
    if kind == "assistantes_maternelles":
        if has_places == has_am:
            chk.add(
                path,
                "les deux clés « places » et « assistantes »"
                if has_places
                else "ni places ni assistantes",
                "soit « places: N », soit « assistantes: N » (nombre d'assistantes maternelles "
                "qui arrivent ou partent)",
            )
            return
    elif has_am:
        chk.add(
            (*path, "assistantes"),
            "un nombre d'assistantes maternelles",
            "« assistantes » seulement pour le levier assistantes_maternelles",
        )
        return
    elif not has_places:
        if kind is not None:
            chk.add(
                path, "aucune clé « places »", "une clé « places: N » (places ouvertes ou fermées)"
            )
        return
    if has_places:
        row["places"] = read("places", positive)
    if has_am:
        row["assistantes"] = read(
            "assistantes",
            "un nombre entier d'assistantes maternelles de 1 à "
            f"{number(MAX_ASSISTANTES_PER_LEVER)} par levier ; pour des départs, écrire "
            "« action: fermer »",
        )
