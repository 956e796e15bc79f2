"""Scenarios: open or close childcare places by mode, commune and year; simulate coverage,
costs by funder and SPPE duties over a CTG horizon; compare scenarios; test their sensitivity.

A scenario is a YAML file (French keys, French comments; see ``data/scenarios/``)::

    nom: Scénario A — une crèche à Valmont
    territoire: "296000011"          # EPCI, commune, département or perimeter code
    annee_base: 2024                 # capacity: the places of December of this year
    horizon: [2025, 2029]
    hypotheses:                      # optional: every key has a default (see DEFAULT_HYPOTHESES)
      taux_occupation: 0.70
      cout_par_place: {creche_psu: 17000}
    cofinancements:
      autres_par_place: {creche_psu: 300}
      part_commune: 1.0
    leviers:
      - levier: creche_psu           # creche_psu, micro_creche_paje, mam,
        commune: "96001"             # assistantes_maternelles, alsh, rpe
        annee: 2026
        places: 24                   # always positive; « action: fermer » closes places
        nom: Multi-accueil des Tilleuls

:func:`load_scenario` validates the file and raises a :class:`DataError` listing every
problem with its line (positions come from the YAML nodes). :func:`save_scenario` writes
atomically and never replaces an existing file unless asked. :func:`simulate` computes, per
year and per territory (the perimeter and each of its communes), places by mode, the
taux de couverture (places / projected children 0-2 × 100, a ratio of sums), places used
by children of low-income families or with disabilities, the costs of the new places by
funder (CAF by dispositif through :mod:`rules`, families, commune, others) and the SPPE
duties. Levers take effect on 1 January of their year, for the whole year.

Funding is linear in the number of places for given hypotheses, so :func:`simulate` calls
the rules once per distinct (mode, action, hypotheses, zoning tier, year) and multiplies —
a few dozen calls whatever the number of levers.
"""

from __future__ import annotations

import contextlib
import difflib
import math
import os
import re
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from . import french, rules
from .demography import Projection, project_children
from .errors import DataError, Issue, TerritoireError, quote
from .geo import COMMUNE_CODE_PATTERN, UnknownTerritoryError
from .sources.reading import STATUT_ESTIME

REPO_DIR = Path(__file__).resolve().parents[1]
_COMMUNE_RE = re.compile(COMMUNE_CODE_PATTERN)
WARN = "⚠ à vérifier"


class ScenarioError(TerritoireError):
    """A scenario cannot be simulated (French message)."""


class ScenarioExistsError(TerritoireError, FileExistsError):
    """The target scenario file exists and overwriting was not asked for (French message)."""


# -- levers ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LeverKind:
    label: str
    variable: str | None  # place variable it changes (None: no places)
    under3: bool  # counts in the taux de couverture (children under 3)
    funding: str  # eaje | alsh | none


LEVERS: dict[str, LeverKind] = {
    "creche_psu": LeverKind("Crèche PSU (multi-accueil)", "places_eaje_psu", True, "eaje"),
    "micro_creche_paje": LeverKind("Micro-crèche PAJE", "places_eaje_hors_psu", True, "none"),
    "mam": LeverKind(
        "Maison d'assistants maternels (MAM)", "places_assistantes_maternelles", True, "none"
    ),
    "assistantes_maternelles": LeverKind(
        "Assistantes maternelles", "places_assistantes_maternelles", True, "none"
    ),
    "alsh": LeverKind("Accueil de loisirs (ALSH)", "places_alsh", False, "alsh"),
    "rpe": LeverKind("Relais petite enfance (RPE)", None, False, "none"),
}
ACTIONS = ("ouvrir", "fermer")
LEVER_COLUMNS = [
    "levier",
    "commune",
    "annee",
    "action",
    "places",
    "assistantes",
    "nom",
    "cout_par_place",
    "investissement_par_place",
    "taux_occupation",
    "participation_horaire",
    "gestionnaire",
    "en_qpv",
    "ligne",
    "rang",
]
_LEVER_KEYS = [c for c in LEVER_COLUMNS if c not in ("ligne", "rang")]
PLACE_MODES = [k for k, v in LEVERS.items() if v.variable]
BASE_VARIABLES = [
    "places_eaje_psu",
    "places_eaje_hors_psu",
    "places_assistantes_maternelles",
    "places_prescolarisation",
    "places_garde_domicile",
    "places_total",
]
FRR_FULL = ("frr", "frr_plus", "beneficiaire")

# -- hypotheses -----------------------------------------------------------------------------------
DEFAULT_HYPOTHESES: dict[str, Any] = {
    "taux_occupation": 0.622,
    "taux_facturation": 1.05,
    "heures_ouverture_an": 2475.0,
    "cout_par_place": {"creche_psu": 16000.0},
    "investissement_par_place": {},
    "participation_horaire": 1.30,
    "ressources_mensuelles": None,
    "couches_repas": True,
    "gestionnaire": "public",
    "ctg": True,
    "tranche_territoire": "autre",
    "bonus_attractivite": False,
    "part_regime_general": 1.0,
    "part_enfants_handicap": 0.0,
    "part_enfants_bas_revenus": {
        "creche_psu": 0.18,
        "micro_creche_paje": 0.05,
        "assistantes_maternelles": 0.06,
        "garde_domicile": 0.04,
    },
    "places_par_assistante": 3.5,
    "alsh": {
        "heures_par_place": 800.0,
        "cout_horaire": 4.0,
        "participation_horaire": 0.8,
        "plan_mercredi": False,
        "part_heures_mercredi": 0.4,
    },
    "croissance_naissances": None,
    "revalorisation_couts": 0.0,
    "places_alsh_existantes": {},
    "rpe_existants": [],
}
DEFAULT_COFINANCEMENTS: dict[str, Any] = {"autres_par_place": {}, "part_commune": 1.0}

HYPOTHESIS_LABELS = {
    "taux_occupation": "taux d'occupation des EAJE (heures réalisées / heures ouvertes)",
    "taux_facturation": "taux de facturation (heures facturées / heures réalisées)",
    "heures_ouverture_an": "heures d'ouverture par an et par place",
    "cout_par_place": "coût de fonctionnement par place et par an",
    "investissement_par_place": "coût d'investissement par place nouvelle",
    "participation_horaire": "participation familiale horaire moyenne en EAJE",
    "ressources_mensuelles": "ressources mensuelles moyennes des familles",
    "couches_repas": "couches et repas fournis par le gestionnaire",
    "gestionnaire": "gestionnaire (public ou privé)",
    "ctg": "CTG signée (bonus territoire)",
    "tranche_territoire": "tranche du bonus territoire hors QPV et FRR",
    "bonus_attractivite": "revalorisation salariale ouvrant le bonus attractivité",
    "part_regime_general": "part de ressortissants du régime général",
    "part_enfants_handicap": "part des places d'EAJE occupées par des enfants en situation de "
    "handicap",
    "part_enfants_bas_revenus": "part des places occupées par des enfants de familles à bas "
    "revenus, par mode",
    "places_par_assistante": "places par assistante maternelle",
    "alsh": "accueil de loisirs : heures par place, coût horaire, participation, Plan mercredi",
    "croissance_naissances": "taux de croissance annuel des naissances (ou des 0-2 ans)",
    "revalorisation_couts": "revalorisation annuelle des coûts",
    "places_alsh_existantes": "places d'ALSH existantes par commune",
    "rpe_existants": "communes disposant déjà d'un relais petite enfance",
    "autres_par_place": "cofinancements d'autres financeurs par place et par an",
    "part_commune": "part du reste à charge payée par la commune",
}
# defaults backed by a source; the others, when used, are listed « à vérifier »
HYPOTHESIS_SOURCES = {
    "taux_occupation": "taux d'occupation réel des EAJE hors micro-crèches, 62,2 % des heures "
    "ouvertes (réponse ministérielle, nosdeputes.fr)",
    "cout_par_place.creche_psu": "coût moyen d'une place de crèche, 16 000 € par an (circulaire "
    "CNAF 2021-004)",
    "part_enfants_bas_revenus": "parts d'enfants de familles à bas revenus parmi les enfants "
    "accueillis en 2022 (evaluation.securite-sociale.fr)",
}
_UNSOURCED_DEFAULTS = {
    "taux_facturation": "taux de facturation 105 %",
    "heures_ouverture_an": "2 475 heures d'ouverture par an (11 h × 225 jours)",
    "participation_horaire": "participation familiale moyenne 1,30 €/h",
    "places_par_assistante": "3,5 places par assistante maternelle",
    "alsh": "ALSH : 800 heures par place, 4 €/h de coût, 0,80 €/h payés par les familles",
}

TOP_KEYS = [
    "nom",
    "description",
    "territoire",
    "source",
    "annee_base",
    "horizon",
    "hypotheses",
    "cofinancements",
    "leviers",
]
_REQUIRED_TOP = ["nom", "territoire", "annee_base", "horizon"]
_ALSH_KEYS = list(DEFAULT_HYPOTHESES["alsh"])
_SHARE_KEYS = [
    "creche_psu",
    "micro_creche_paje",
    "assistantes_maternelles",
    "mam",
    "garde_domicile",
]


# -- the scenario -------------------------------------------------------------------------------
@dataclass
class Scenario:
    """A validated scenario. `hypotheses` holds every key (defaults filled in); `explicit`
    the keys the user gave. `leviers` has :data:`LEVER_COLUMNS` (one row per lever)."""

    nom: str
    territoire: str
    annee_base: int
    debut: int
    fin: int
    leviers: pd.DataFrame
    hypotheses: dict[str, Any] = field(default_factory=lambda: _deep_copy(DEFAULT_HYPOTHESES))
    cofinancements: dict[str, Any] = field(
        default_factory=lambda: _deep_copy(DEFAULT_COFINANCEMENTS)
    )
    description: str = ""
    source: str | None = None
    fichier: str | None = None
    lignes: dict[tuple, int] = field(default_factory=dict, repr=False)
    explicit: set[str] = field(default_factory=set)

    @property
    def years(self) -> list[int]:
        return list(range(self.debut, self.fin + 1))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], fichier: str = "scénario") -> Scenario:
        """A scenario from a mapping shaped like the YAML file (same French errors)."""
        return _from_document(data, {}, {}, fichier)

    def to_dict(self) -> dict[str, Any]:
        """The YAML document (only the hypotheses the user gave)."""
        out: dict[str, Any] = {"nom": self.nom}
        if self.description:
            out["description"] = self.description
        out["territoire"] = self.territoire
        if self.source:
            out["source"] = self.source
        out["annee_base"] = int(self.annee_base)
        out["horizon"] = [int(self.debut), int(self.fin)]
        hyp = {k: self.hypotheses[k] for k in DEFAULT_HYPOTHESES if k in self.explicit}
        if hyp:
            out["hypotheses"] = _plain(hyp)
        cof = {k: self.cofinancements[k] for k in DEFAULT_COFINANCEMENTS if k in self.explicit}
        if cof:
            out["cofinancements"] = _plain(cof)
        levers = []
        for row in self.leviers.to_dict("records"):
            item = {}
            for key in _LEVER_KEYS:
                value = row.get(key)
                if value is None or (isinstance(value, float) and math.isnan(value)):
                    continue
                if key == "action" and value == "ouvrir":
                    continue
                item[key] = _plain(value)
            levers.append(item)
        out["leviers"] = levers
        return out

    def with_levers(self, levers: Iterable[Mapping[str, Any]], nom: str | None = None) -> Scenario:
        """A copy with more levers (validated like the file's)."""
        doc = self.to_dict()
        doc["leviers"] = [*doc["leviers"], *[dict(x) for x in levers]]
        if nom:
            doc["nom"] = nom
        return Scenario.from_dict(doc, fichier=self.fichier or "scénario")

    def with_hypotheses(self, nom: str | None = None, **changes: Any) -> Scenario:
        """A copy with some hypotheses changed (validated)."""
        doc = self.to_dict()
        hyp = dict(doc.get("hypotheses", {}))
        cof = dict(doc.get("cofinancements", {}))
        for key, value in changes.items():
            (cof if key in DEFAULT_COFINANCEMENTS else hyp)[key] = value
        doc["hypotheses"], doc["cofinancements"] = hyp, cof
        if nom:
            doc["nom"] = nom
        return Scenario.from_dict(doc, fichier=self.fichier or "scénario")


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value


def _plain(value: Any) -> Any:
    """Numpy / pandas scalars to plain Python (for YAML)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.bool_):
        return bool(value)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating | float):
        f = float(value)
        return int(f) if f.is_integer() and abs(f) < 1e15 else f
    return value


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
    loader = _Loader(text)
    lines: dict[tuple, int] = {}
    issues: list[Issue] = []
    try:
        node = loader.get_single_node()

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
        if ok and low is not None and (value <= low if strict_low else value < low):
            ok = False
        if ok and high is not None and value > high:
            ok = False
        if not ok:
            self.add(path, _found(x), what)
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


def _from_document(
    data: Any, lines: dict[tuple, int], issues_in: Iterable[Issue] | None, file: str
) -> Scenario:
    chk = _Checker(file, lines)
    chk.issues.extend(issues_in or [])
    if not isinstance(data, Mapping):
        chk.add(
            (), _found(data), "un scénario YAML : nom, territoire, annee_base, horizon, leviers"
        )
        raise DataError(chk.issues)
    data = dict(data)
    chk.keys((), data, TOP_KEYS, "clés possibles")
    for key in _REQUIRED_TOP:
        if key not in data:
            chk.add((), f"aucune clé « {key} »", f"une clé « {key}: … » en tête du scénario")
    nom = chk.text(("nom",), data["nom"], "un nom de scénario") if "nom" in data else None
    description = data.get("description") or ""
    if not isinstance(description, str):
        chk.add(("description",), _found(description), "un texte")
        description = ""
    territoire = None
    if "territoire" in data:
        raw = data["territoire"]
        territoire = raw.raw if isinstance(raw, _Number) else raw
        if not isinstance(territoire, str) or not territoire.strip():
            chk.add(("territoire",), _found(raw), "un code de territoire entre guillemets")
            territoire = None
        else:
            territoire = territoire.strip()
    source = data.get("source")
    if source is not None and not isinstance(source, str):
        chk.add(("source",), _found(source), "« demo » ou un dossier de données")
        source = None
    base = None
    if "annee_base" in data:
        base = chk.number(
            ("annee_base",), data["annee_base"], 1990, 2100, integer=True,
            what="une année entre 1990 et 2100",
        )  # fmt: skip
    debut = fin = None
    if "horizon" in data:
        debut, fin = _horizon(chk, data["horizon"], base)
    hyp, explicit = _hypotheses(chk, data.get("hypotheses"))
    cof, explicit_cof = _cofinancements(chk, data.get("cofinancements"))
    levers = _levers(chk, data.get("leviers"), debut, fin)
    if chk.issues:
        raise DataError(chk.issues)
    return Scenario(
        nom=nom or "",
        territoire=territoire or "",
        annee_base=int(base),
        debut=int(debut),
        fin=int(fin),
        leviers=levers,
        hypotheses=hyp,
        cofinancements=cof,
        description=description.strip(),
        source=source,
        fichier=file,
        lignes=lines,
        explicit=explicit | explicit_cof,
    )


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
    numbers = {
        # key: (low, high, strict_low, expected)
        "taux_occupation": (0, 1, True, "un taux entre 0 et 1 (0.70 pour 70 %)"),
        "taux_facturation": (0, 3, True, "un taux positif (1.05 pour 105 %)"),
        "heures_ouverture_an": (0, 8784, True, "un nombre d'heures par an (ex. 2475)"),
        "participation_horaire": (0, None, False, "un montant en €/h positif ou nul"),
        "ressources_mensuelles": (0, None, True, "un montant en €/mois positif"),
        "part_regime_general": (0, 1, False, "une part entre 0 et 1"),
        "part_enfants_handicap": (0, 1, False, "une part entre 0 et 1 (0.03 pour 3 %)"),
        "places_par_assistante": (0, 6, True, "un nombre de places entre 0 et 6"),
        "revalorisation_couts": (-0.5, 0.5, False, "un taux annuel (0.02 pour +2 % par an)"),
    }
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
            got = _mode_map(chk, path, value, modes, strict=key == "cout_par_place")
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
    chk: _Checker, path: tuple, value: Any, modes: Sequence[str], strict: bool
) -> dict[str, float] | None:
    if not isinstance(value, Mapping):
        chk.add(path, _found(value), "une table par mode, ex. {creche_psu: 16000}")
        return None
    chk.keys(path, value, modes, "modes possibles")
    out = {}
    for mode, amount in value.items():
        if mode in modes:
            got = chk.number(
                (*path, mode),
                amount,
                0,
                None,
                strict_low=strict,
                what="un montant en euros positif",
            )
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
            got = chk.number((*path, mode), share, 0, 1, what="une part entre 0 et 1")
            if got is not None:
                out[mode] = got
    return out


def _alsh(chk: _Checker, path: tuple, value: Any) -> dict | None:
    if not isinstance(value, Mapping):
        chk.add(path, _found(value), f"une table avec {', '.join(_ALSH_KEYS)}")
        return None
    chk.keys(path, value, _ALSH_KEYS, "clés possibles")
    out = _deep_copy(DEFAULT_HYPOTHESES["alsh"])
    spec = {
        "heures_par_place": (0, None, True, "un nombre d'heures-enfants par place et par an"),
        "cout_horaire": (0, None, True, "un coût en €/h positif"),
        "participation_horaire": (0, None, False, "un montant en €/h positif ou nul"),
        "part_heures_mercredi": (0, 1, False, "une part entre 0 et 1"),
    }
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
    what = "un taux annuel entre -0.5 et 0.5 (0.01 pour +1 % par an)"
    if isinstance(value, Mapping):
        out = {}
        for code, rate in value.items():
            got = chk.number((*path, code), rate, -0.5, 0.5, what=what)
            if got is not None:
                out[str(code)] = got
        return out
    return chk.number(path, value, -0.5, 0.5, what=what + " ou une table par commune / EPCI")


def _commune_map(chk: _Checker, path: tuple, value: Any) -> dict | None:
    if not isinstance(value, Mapping):
        chk.add(path, _found(value), 'une table « "96001": 40 » (places par commune)')
        return None
    out = {}
    for code, places in value.items():
        c = chk.commune((*path, code), code)
        got = chk.number((*path, code), places, 0, None, what="un nombre de places positif")
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
        got = _mode_map(chk, (*root, "autres_par_place"), raw["autres_par_place"], modes, False)
        if got is not None:
            cof["autres_par_place"] = got
            explicit.add("autres_par_place")
    if "part_commune" in raw:
        got = chk.number(
            (*root, "part_commune"), raw["part_commune"], 0, 1, what="une part entre 0 et 1"
        )
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
        optional = {
            "cout_par_place": (0, None, True, "un coût en euros par place et par an positif"),
            "investissement_par_place": (0, None, False, "un coût en euros par place positif"),
            "taux_occupation": (0, 1, True, "un taux entre 0 et 1 (0.70 pour 70 %)"),
            "participation_horaire": (0, None, False, "un montant en €/h positif ou nul"),
        }
        for key, (low, high, strict, what) in optional.items():
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
    for col in ("taux_occupation", "participation_horaire"):
        out[col] = pd.to_numeric(out[col], errors="coerce").astype(float)
    for col in ("levier", "commune", "action", "nom", "gestionnaire"):
        out[col] = out[col].astype(object)
    out["en_qpv"] = out["en_qpv"].astype(object)
    return out.reset_index(drop=True)


def _lever_places(chk: _Checker, path: tuple, item: Mapping, kind: str | None, row: dict) -> None:
    has_places, has_am = "places" in item, "assistantes" in item
    positive = (
        "un nombre entier de places positif ; pour fermer des places, écrire « action: fermer »"
    )

    def read(key: str, what: str) -> int | None:
        raw = item[key]
        value = raw.value if isinstance(raw, _Number) else raw
        if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
            chk.add((*path, key), f"un nombre négatif ({_found(raw)})", what)
            return None
        return chk.number(
            (*path, key), raw, 0, None, strict_low=True, integer=True, what=what.split(" ;")[0]
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
            "un nombre entier d'assistantes maternelles positif ; pour des départs, écrire "
            "« action: fermer »",
        )


# -- load and save ----------------------------------------------------------------------------
def resolve_path(path: str | Path) -> Path:
    """A relative path that does not exist from the working directory is looked up from the
    repository root (notebooks run from ``notebooks/``)."""
    p = Path(path)
    if not p.is_absolute() and not p.exists() and (REPO_DIR / p).exists():
        return REPO_DIR / p
    return p


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario file; `DataError` listing every problem with its line."""
    p = resolve_path(path)
    name = p.name
    if not p.exists():
        raise ScenarioError(f"Fichier de scénario introuvable : « {path} ».")
    try:
        text = p.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(
            Issue(name, "un caractère non UTF-8", "un fichier YAML encodé en UTF-8")
        ) from None
    try:
        data, lines, dup = _read_yaml(text, name)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        problem = getattr(exc, "problem", None) or "syntaxe invalide"
        raise DataError(
            Issue(
                name,
                f"une erreur de syntaxe YAML ({problem})",
                "un YAML valide : « clé: valeur », indentation par espaces, listes en « - »",
                line=mark.line + 1 if mark else None,
                column=f"caractère {mark.column + 1}" if mark else None,
            )
        ) from None
    scenario = _from_document(data, lines, dup, name)
    scenario.fichier = str(p)
    return scenario


def save_scenario(scenario: Scenario, path: str | Path, overwrite: bool = False) -> Path:
    """Write the scenario as YAML, atomically; an existing file is kept unless `overwrite`."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise ScenarioExistsError(
            f"Le fichier « {p} » existe déjà : il n'est pas remplacé. Choisissez un autre nom "
            "ou demandez explicitement de l'écraser."
        )
    header = (
        f"# Scénario « {scenario.nom} » — fichier écrit par Territoire.\n"
        "# Leviers : creche_psu, micro_creche_paje, mam, assistantes_maternelles, alsh, rpe ;\n"
        "# les places sont toujours positives, « action: fermer » pour fermer.\n"
    )
    body = yaml.dump(
        _quote_codes(scenario.to_dict()),
        Dumper=_Dumper,
        allow_unicode=True,
        sort_keys=False,
        default_flow_style=None,
        width=100,
    )
    _atomic_write(p, (header + body).encode("utf-8"), overwrite)
    return p


def _usual_mode(tmp: str) -> None:
    """mkstemp creates 0600 files: give the temp file the usual permissions (umask)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)


class _Code(str):
    """A commune code, always written between quotes (« "01008" », never a bare number)."""


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):  # libyaml when available
    pass


_Dumper.add_representer(
    _Code, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", str(v), style='"')
)


def _quote_codes(doc: dict[str, Any]) -> dict[str, Any]:
    """Commune codes of levers and hypotheses as :class:`_Code`."""
    for lever in doc.get("leviers", []):
        lever["commune"] = _Code(lever["commune"])
    hyp = doc.get("hypotheses", {})
    if "rpe_existants" in hyp:
        hyp["rpe_existants"] = [_Code(c) for c in hyp["rpe_existants"]]
    for key in ("places_alsh_existantes", "croissance_naissances"):
        if isinstance(hyp.get(key), dict):
            hyp[key] = {_Code(k): v for k, v in hyp[key].items()}
    doc["territoire"] = _Code(doc["territoire"])
    return doc


def _atomic_write(path: Path, data: bytes, overwrite: bool) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        _usual_mode(tmp)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)  # fails if the file appeared meanwhile: never replaced
            except FileExistsError:
                raise ScenarioExistsError(
                    f"Le fichier « {path} » existe déjà : il n'est pas remplacé."
                ) from None
            except OSError:  # file systems without hard links
                if path.exists():
                    raise ScenarioExistsError(
                        f"Le fichier « {path} » existe déjà : il n'est pas remplacé."
                    ) from None
                os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)


# -- simulation -------------------------------------------------------------------------------
DISPOSITIFS: list[tuple[str, str, str, str]] = [
    # key, funder, French label, nature
    ("cout_fonctionnement", "Coût", "Coût de fonctionnement", "fonctionnement"),
    ("psu", "CAF", "Prestation de service unique (PSU)", "fonctionnement"),
    ("bonus_mixite", "CAF", "Bonus mixité sociale", "fonctionnement"),
    ("bonus_handicap", "CAF", "Bonus inclusion handicap", "fonctionnement"),
    ("bonus_territoire", "CAF", "Bonus territoire CTG", "fonctionnement"),
    ("bonus_trajectoire", "CAF", "Bonus trajectoire", "fonctionnement"),
    ("bonus_attractivite", "CAF", "Bonus attractivité", "fonctionnement"),
    ("ps_alsh", "CAF", "Prestation de service ALSH", "fonctionnement"),
    ("plan_mercredi", "CAF", "Bonification Plan mercredi", "fonctionnement"),
    ("familles", "Familles", "Participations familiales", "fonctionnement"),
    (
        "cofinancements",
        "Autres financeurs",
        "Cofinancements (département, employeurs…)",
        "fonctionnement",
    ),  # fmt: skip
    (
        "reste_autres",
        "Autres financeurs",
        "Reste à charge hors commune (EPCI, gestionnaire)",
        "fonctionnement",
    ),  # fmt: skip
    ("reste_commune", "Commune", "Reste à charge de la commune", "fonctionnement"),
    ("cout_investissement", "Coût", "Coût d'investissement", "investissement"),
    ("piaje", "CAF", "Aide à l'investissement (PIAJE)", "investissement"),
    (
        "investissement_autres",
        "Autres financeurs",
        "Investissement hors commune",
        "investissement",
    ),  # fmt: skip
    (
        "investissement_commune",
        "Commune",
        "Investissement restant à la commune",
        "investissement",
    ),  # fmt: skip
]
DISPOSITIF_KEYS = [d[0] for d in DISPOSITIFS]
FUNDERS = ["CAF", "Familles", "Commune", "Autres financeurs"]
_RULE_LINES = {  # rules' a_verifier_par_ligne keys → dispositifs
    "familles": ["familles"],
    "psu": ["psu"],
    "bonus_mixite": ["bonus_mixite"],
    "bonus_handicap": ["bonus_handicap"],
    "bonus_territoire": ["bonus_territoire"],
    "bonus_trajectoire": ["bonus_trajectoire"],
    "bonus_attractivite": ["bonus_attractivite"],
    "ps_alsh": ["ps_alsh"],
    "plan_mercredi": ["plan_mercredi"],
    "reste": ["reste_commune", "reste_autres"],
}

CAPACITY_COLUMNS = [
    "annee",
    "niveau",
    "code",
    "nom",
    "places_eaje_psu",
    "places_eaje_hors_psu",
    "places_assistantes_maternelles",
    "places_prescolarisation",
    "places_garde_domicile",
    "places_total",
    "places_creees",
    "enfants_0_2",
    "taux_couverture",
    "taux_couverture_eaje",
    "places_alsh",
    "enfants_3_10",
    "taux_alsh",
    "places_bas_revenus",
    "places_handicap",
    "places_garanties_insertion",
    "part_estimee",
]
SPPE_COLUMNS = ["annee", "commune", "nom", "population", "strate", "obligation", "statut", "commentaire"]  # fmt: skip


@dataclass
class ScenarioResult:
    """What :func:`simulate` returns.

    - ``capacite``: :data:`CAPACITY_COLUMNS`, one row per year (base year then horizon) and
      territory (``niveau`` « périmètre » then « commune »);
    - ``couts``: annee, niveau, code, nom and one column per dispositif (:data:`DISPOSITIFS`),
      in euros for the places the scenario opens or closes (closures count negative);
    - ``leviers``: the levers applied, with their effective hypotheses;
    - ``sppe``: SPPE duties per year and commune (:data:`SPPE_COLUMNS`);
    - ``demographie``: the children projection; ``a_verifier``: French labels of every value
      still « à vérifier » that the figures use; ``dispositifs_a_verifier``: dispositif keys
      resting on such values; ``notes``: French remarks.
    """

    scenario: Scenario
    perimetre: str
    nom_perimetre: str
    annee_base: int
    annee_places: int
    capacite: pd.DataFrame
    couts: pd.DataFrame
    leviers: pd.DataFrame
    sppe: pd.DataFrame
    demographie: Projection
    a_verifier: list[str] = field(default_factory=list)
    dispositifs_a_verifier: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def nom(self) -> str:
        return self.scenario.nom

    def territoire(self, code: str | None = None) -> pd.DataFrame:
        """Capacity rows of one territory (the perimeter by default), by year."""
        cap = self.capacite
        return cap[self._rows(cap, code)].reset_index(drop=True)

    def _rows(self, frame: pd.DataFrame, code: str | None) -> pd.Series:
        """Rows of one territory (the perimeter's own rows when `code` is the perimeter, even
        when it is a single commune)."""
        code = code or self.perimetre
        level = "périmètre" if code == self.perimetre else "commune"
        return (frame["code"] == code) & (frame["niveau"] == level)

    def financeurs(self, code: str | None = None) -> pd.DataFrame:
        """Per year: operating cost, CAF, families, commune, others; investment and its
        funding (euros)."""
        c = self.couts[self._rows(self.couts, code)].set_index("annee")
        out = pd.DataFrame(index=c.index)
        out["cout_fonctionnement"] = c["cout_fonctionnement"]
        for funder in FUNDERS:
            keys = [k for k, f, _, n in DISPOSITIFS if f == funder and n == "fonctionnement"]
            out[funder] = c[keys].sum(axis=1)
        out["cout_investissement"] = c["cout_investissement"]
        out["CAF (investissement)"] = c["piaje"]
        out["Commune (investissement)"] = c["investissement_commune"]
        out["Autres (investissement)"] = c["investissement_autres"]
        return out.reset_index()

    def couts_long(self, code: str | None = None) -> pd.DataFrame:
        """annee, financeur, dispositif, nature, montant, a_verifier — for charts."""
        c = self.couts[self._rows(self.couts, code)]
        rows = []
        for key, funder, label, nature in DISPOSITIFS:
            if funder == "Coût":
                continue
            for year, amount in zip(c["annee"], c[key], strict=True):
                rows.append(
                    {
                        "annee": int(year),
                        "financeur": funder,
                        "dispositif": label,
                        "nature": nature,
                        "montant": float(amount),
                        "a_verifier": key in self.dispositifs_a_verifier,
                    }
                )
        return pd.DataFrame(rows)

    def synthese(self) -> pd.DataFrame:
        """The perimeter, year by year: places, children, coverage and costs by funder."""
        cap = self.territoire()[
            [
                "annee",
                "places_total",
                "places_creees",
                "enfants_0_2",
                "taux_couverture",
                "taux_couverture_eaje",
                "places_alsh",
                "taux_alsh",
                "places_bas_revenus",
                "places_handicap",
            ]
        ]
        fin = self.financeurs()
        return cap.merge(fin, on="annee", how="left").fillna(
            {c: 0.0 for c in fin.columns if c != "annee"}
        )

    def indicateurs(self) -> dict[str, float]:
        """Key figures at the end of the horizon and cumulated costs (for comparisons)."""
        per = self.territoire().set_index("annee")
        first, last = self.annee_base, self.scenario.fin
        fin = self.financeurs().set_index("annee")
        sppe = self.sppe[(self.sppe["annee"] == last) & (self.sppe["statut"] == "non satisfaite")]
        created = per.loc[last, "places_creees"]
        commune = float(fin["Commune"].sum()) if len(fin) else 0.0
        return {
            "places_total_debut": float(per.loc[first, "places_total"]),
            "places_total_fin": float(per.loc[last, "places_total"]),
            "places_creees": float(created),
            "enfants_0_2_fin": float(per.loc[last, "enfants_0_2"]),
            "taux_couverture_debut": float(per.loc[first, "taux_couverture"]),
            "taux_couverture_fin": float(per.loc[last, "taux_couverture"]),
            "taux_couverture_eaje_fin": float(per.loc[last, "taux_couverture_eaje"]),
            "places_alsh_fin": float(per.loc[last, "places_alsh"]),
            "places_bas_revenus_fin": float(per.loc[last, "places_bas_revenus"]),
            "places_handicap_fin": float(per.loc[last, "places_handicap"]),
            "cout_fonctionnement": float(fin["cout_fonctionnement"].sum()) if len(fin) else 0.0,
            "financement_caf": float(fin["CAF"].sum()) if len(fin) else 0.0,
            "familles": float(fin["Familles"].sum()) if len(fin) else 0.0,
            "reste_commune": commune,
            "autres": float(fin["Autres financeurs"].sum()) if len(fin) else 0.0,
            "cout_investissement": float(fin["cout_investissement"].sum()) if len(fin) else 0.0,
            "aide_investissement_caf": float(fin["CAF (investissement)"].sum())
            if len(fin)
            else 0.0,  # fmt: skip
            "investissement_commune": float(fin["Commune (investissement)"].sum())
            if len(fin)
            else 0.0,  # fmt: skip
            "obligations_sppe_non_satisfaites": float(len(sppe)),
        }

    def french(self) -> str:
        """A French summary (CLI, notebooks)."""
        return render_result(self)

    def to_xlsx(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write every table to an Excel workbook, atomically."""
        return write_xlsx(self, path, overwrite)


INDICATOR_LABELS = {
    "places_total_debut": "Places d'accueil (année de base)",
    "places_total_fin": "Places d'accueil (fin d'horizon)",
    "places_creees": "Places créées nettes (moins de 3 ans)",
    "enfants_0_2_fin": "Enfants de moins de 3 ans (fin d'horizon, projection)",
    "taux_couverture_debut": "Taux de couverture (année de base)",
    "taux_couverture_fin": "Taux de couverture (fin d'horizon)",
    "taux_couverture_eaje_fin": "Taux de couverture EAJE (fin d'horizon)",
    "places_alsh_fin": "Places d'ALSH (fin d'horizon)",
    "places_bas_revenus_fin": "Places occupées par des enfants de familles à bas revenus",
    "places_handicap_fin": "Places occupées par des enfants en situation de handicap",
    "cout_fonctionnement": "Coût de fonctionnement cumulé (€)",
    "financement_caf": "Financement CAF cumulé (€)",
    "familles": "Participations des familles cumulées (€)",
    "reste_commune": "Reste à charge de la commune cumulé (€)",
    "autres": "Autres financeurs cumulés (€)",
    "cout_investissement": "Coût d'investissement (€)",
    "aide_investissement_caf": "Aide CAF à l'investissement (€)",
    "investissement_commune": "Investissement restant à la commune (€)",
    "obligations_sppe_non_satisfaites": "Obligations SPPE non satisfaites (fin d'horizon)",
}


def _perimeter(territory: Any, scenario: Scenario, perimetre: str | None) -> tuple[str, list[str]]:
    code = perimetre or scenario.territoire
    try:
        members = territory.geography.members(code)
    except UnknownTerritoryError:
        if perimetre:
            raise
        raise DataError(
            Issue(
                Path(scenario.fichier or "scénario").name,
                f"le territoire {quote(code)}, inconnu des données chargées",
                "un code commune, EPCI, département ou périmètre CTG des données "
                f"« {territory.name} »",
                line=scenario.lignes.get(("territoire",)),
                column="territoire",
            )
        ) from None
    if not members:
        raise ScenarioError(f"Le territoire « {code} » ne contient aucune commune.")
    return code, members


def _base_places(
    territory: Any, members: list[str], base_year: int
) -> tuple[pd.DataFrame, int, pd.Series]:
    """Places of every mode per commune at the latest year ≤ base year; estimated flags."""
    obs = territory.observations
    sel = obs[obs["variable"].isin(BASE_VARIABLES)]
    if len(members) < len(territory.geography.communes):
        sel = sel[sel["commune"].isin(members)]
    years = sorted(sel["annee"].unique().tolist())
    if not years:
        raise ScenarioError(
            "Aucune donnée de places d'accueil (Cafdata, « nbpla_pe ») pour les communes du "
            "scénario : la capacité de départ ne peut pas être établie."
        )
    usable = [y for y in years if y <= base_year]
    year = max(usable) if usable else min(years)
    sel = sel[sel["annee"] == year]
    wide = sel.pivot_table(index="commune", columns="variable", values="valeur", aggfunc="sum")
    wide = wide.reindex(index=members, columns=BASE_VARIABLES).fillna(0.0)
    estimated = sel[sel["statut"] == STATUT_ESTIME].groupby("commune").size()
    flag = pd.Series(members, index=members).isin(estimated.index)
    return wide, int(year), flag


def _lever_years(levers: pd.DataFrame, members: list[str], years: list[int], variable: str, places_am: float) -> pd.DataFrame:  # fmt: skip
    """Cumulated signed places of one variable: communes × years."""
    kinds = [k for k, v in LEVERS.items() if v.variable == variable]
    sel = levers[levers["levier"].isin(kinds)]
    cum = pd.DataFrame(0.0, index=members, columns=years)
    if sel.empty:
        return cum
    places = sel["places"].fillna(sel["assistantes"] * places_am)
    sign = np.where(sel["action"] == "fermer", -1.0, 1.0)
    delta = pd.DataFrame({"commune": sel["commune"], "annee": sel["annee"].astype(int), "d": places * sign})  # fmt: skip
    piv = delta.pivot_table(index="commune", columns="annee", values="d", aggfunc="sum")
    piv = piv.reindex(index=members, columns=years).fillna(0.0)
    return cum.add(piv.cumsum(axis=1), fill_value=0.0)


def simulate(
    territory: Any,
    scenario: Scenario,
    *,
    perimetre: str | None = None,
    params: rules.ParameterSet | None = None,
    projection: Projection | None = None,
) -> ScenarioResult:
    """Simulate a scenario on a loaded territory.

    `perimetre`: another territory code to report on (e.g. a notebook's EPCI); levers outside
    it are then left out with a note. Without it, a lever outside the scenario's territory is
    an error naming its line. `projection`: a precomputed children projection (sensitivity).
    """
    params = params or rules.load_parameters()
    file = Path(scenario.fichier or "scénario").name
    code, members = _perimeter(territory, scenario, perimetre)
    geo = territory.geography
    member_set = set(members)
    known = set(geo.communes["code"])
    notes: list[str] = []
    issues: list[Issue] = []
    hyp = scenario.hypotheses
    lines = scenario.lignes

    # levers: known communes, inside the perimeter
    levers = scenario.leviers.copy()
    if len(levers):
        unknown = ~levers["commune"].isin(known)
        for _, row in levers[unknown].head(50).iterrows():
            issues.append(
                Issue(
                    file,
                    f"la commune {quote(row['commune'])}, inconnue des données « {territory.name} »",
                    "un code commune du territoire du scénario",
                    line=_lever_line(row, "commune", lines),
                    column=f"leviers › {_lever_index(row, levers)} › commune",
                )
            )
        outside = ~unknown & ~levers["commune"].isin(member_set)
        if outside.any() and perimetre is None:
            for _, row in levers[outside].head(50).iterrows():
                issues.append(
                    Issue(
                        file,
                        f"la commune {quote(row['commune'])}, hors du territoire du scénario",
                        f"une commune de « {geo.name_of(code)} » ({len(members)} communes)",
                        line=_lever_line(row, "commune", lines),
                        column=f"leviers › {_lever_index(row, levers)} › commune",
                    )
                )
        elif outside.any():
            notes.append(
                f"{int(outside.sum())} levier(s) hors du territoire « {geo.name_of(code)} » "
                "laissé(s) de côté"
            )
        levers = levers[~unknown & ~outside].reset_index(drop=True)
    for key in ("places_alsh_existantes", "rpe_existants"):
        for c in hyp[key]:
            if c not in known:
                issues.append(
                    Issue(
                        file,
                        f"la commune {quote(c)}, inconnue des données « {territory.name} »",
                        "un code commune du territoire",
                        line=lines.get(("hypotheses", key, c)) or lines.get(("hypotheses", key)),
                        column=f"hypotheses › {key}",
                    )
                )
    growth = hyp["croissance_naissances"]
    if isinstance(growth, dict):
        epcis = set(geo.communes["epci"])
        for c in growth:
            if c not in known and c not in epcis:
                issues.append(
                    Issue(
                        file,
                        f"le code {quote(c)}, ni commune ni EPCI des données",
                        "un code commune ou EPCI du territoire",
                        line=lines.get(("hypotheses", "croissance_naissances", c)),
                        column="hypotheses › croissance_naissances",
                    )
                )
    if issues:
        raise DataError(issues)

    years = [scenario.annee_base, *scenario.years]
    horizon = scenario.years
    base, places_year, estimated = _base_places(territory, members, scenario.annee_base)
    if places_year != scenario.annee_base:
        notes.append(
            f"capacité de départ : places de décembre {places_year} (dernière année publiée "
            f"au plus tard en {scenario.annee_base})"
        )
    if estimated.any():
        notes.append(
            f"places de {int(estimated.sum())} commune(s) estimées par repli sur l'EPCI "
            "(communes de moins de 10 000 habitants, Cafdata) : à vérifier localement"
        )

    # children
    if projection is None:
        if isinstance(growth, dict):
            growth = {c: r for c, r in growth.items()}
        projection = project_children(territory, scenario.fin, communes=members, growth=growth)
    kids02 = projection.band("pop_0_2", years).reindex(members)
    kids310 = projection.band("pop_3_10", years).reindex(members)
    if projection.last_census < scenario.fin:
        notes.append(
            f"enfants de moins de 3 ans : recensement {projection.last_census}, projetés "
            f"jusqu'en {scenario.fin} (voir la méthode)"
        )

    # capacities
    places_am = float(hyp["places_par_assistante"])
    cum = {
        var: _lever_years(levers, members, years, var, places_am)
        for var in (
            "places_eaje_psu",
            "places_eaje_hors_psu",
            "places_assistantes_maternelles",
            "places_alsh",
        )  # fmt: skip
    }
    alsh_base = pd.Series(hyp["places_alsh_existantes"], dtype=float).reindex(members).fillna(0.0)
    cap: dict[str, pd.DataFrame] = {}
    for var in ("places_eaje_psu", "places_eaje_hors_psu", "places_assistantes_maternelles"):
        cap[var] = cum[var].add(base[var], axis=0)
    cap["places_alsh"] = cum["places_alsh"].add(alsh_base, axis=0)
    for var in ("places_prescolarisation", "places_garde_domicile"):
        cap[var] = pd.DataFrame(
            np.repeat(base[var].to_numpy()[:, None], len(years), axis=1),
            index=members,
            columns=years,
        )
    created = cum["places_eaje_psu"] + cum["places_eaje_hors_psu"] + cum["places_assistantes_maternelles"]  # fmt: skip
    cap["places_total"] = created.add(base["places_total"], axis=0)
    cap["places_creees"] = created
    cap["_places_am"] = places_am
    _check_closures(levers, cap, lines, file)
    del cap["_places_am"]

    shares = hyp["part_enfants_bas_revenus"]
    am_share = shares.get("assistantes_maternelles", 0.0)
    cap["places_bas_revenus"] = (
        cap["places_eaje_psu"] * shares.get("creche_psu", 0.0)
        + cap["places_eaje_hors_psu"] * shares.get("micro_creche_paje", 0.0)
        + cap["places_assistantes_maternelles"] * am_share
        + cap["places_garde_domicile"] * shares.get("garde_domicile", 0.0)
    )
    if "mam" in shares:  # MAM places: their own share instead of the childminders' one
        mam = _lever_years(levers[levers["levier"] == "mam"], members, years, "places_assistantes_maternelles", places_am)  # fmt: skip
        cap["places_bas_revenus"] += mam * (shares["mam"] - am_share)
    eaje = cap["places_eaje_psu"] + cap["places_eaje_hors_psu"]
    cap["places_handicap"] = eaje * float(hyp["part_enfants_handicap"])
    cap["places_garanties_insertion"] = np.ceil(cap["places_eaje_psu"].clip(lower=0) / 20 - 1e-9)
    if (
        float(hyp["part_enfants_handicap"]) == 0
        and "part_enfants_handicap" not in scenario.explicit
    ):
        notes.append(
            "part des places d'EAJE occupées par des enfants en situation de handicap non "
            "renseignée (hypothèse part_enfants_handicap) : comptée 0"
        )
    cap["enfants_0_2"] = kids02
    cap["enfants_3_10"] = kids310
    cap["places_eaje"] = eaje
    capacite = _capacity_frame(cap, base, estimated, members, years, code, geo)

    # costs of the levers
    couts, lever_table, flags, line_flags, used_defaults = _costs(
        levers, members, horizon, scenario, territory, capacite, params
    )
    couts = _cost_frame(couts, members, horizon, code, geo)
    a_verifier = params.describe(flags)
    for key in used_defaults:
        a_verifier.append(f"hypothèse par défaut non sourcée : {_UNSOURCED_DEFAULTS[key]} ({key})")
    if not hyp["ctg"]:
        notes.append("pas de CTG signée : pas de bonus territoire pour les places nouvelles")
    sppe = _sppe(territory, members, levers, horizon, hyp)
    return ScenarioResult(
        scenario=scenario,
        perimetre=code,
        nom_perimetre=geo.name_of(code),
        annee_base=scenario.annee_base,
        annee_places=places_year,
        capacite=capacite,
        couts=couts,
        leviers=lever_table,
        sppe=sppe,
        demographie=projection,
        a_verifier=a_verifier,
        dispositifs_a_verifier=sorted(line_flags),
        notes=notes + projection.notes,
    )


def _lever_line(row: pd.Series, key: str, lines: dict) -> int | None:
    """Line of a lever's key in the file (else of the lever itself)."""
    rank = row.get("rang")
    if rank is not None and not pd.isna(rank) and ("leviers", int(rank), key) in lines:
        return lines[("leviers", int(rank), key)]
    line = row.get("ligne")
    return None if line is None or pd.isna(line) else int(line)


def _lever_index(row: pd.Series, levers: pd.DataFrame) -> int:
    rank = row.get("rang")
    return 0 if rank is None or pd.isna(rank) else int(rank)


def _check_closures(levers: pd.DataFrame, cap: dict, lines: dict, file: str) -> None:
    """A closure may not take a mode below zero places."""
    issues = []
    names = {
        "places_eaje_psu": "places de crèche PSU",
        "places_eaje_hors_psu": "places de micro-crèche PAJE",
        "places_assistantes_maternelles": "places chez les assistantes maternelles et en MAM",
        "places_alsh": "places d'ALSH",
    }
    for var, label in names.items():
        frame = cap[var]
        neg = frame.lt(-1e-6)
        if not neg.to_numpy().any():
            continue
        for commune in frame.index[neg.any(axis=1)][:50]:
            year = int(neg.columns[neg.loc[commune].to_numpy().argmax()])
            kinds = [k for k, v in LEVERS.items() if v.variable == var]
            closing = levers[
                levers["levier"].isin(kinds)
                & (levers["commune"] == commune)
                & (levers["action"] == "fermer")
                & (levers["annee"] <= year)
            ]
            row = closing.iloc[-1] if len(closing) else None
            key = "places" if row is None or pd.notna(row["places"]) else "assistantes"
            left = float(frame.loc[commune, year])
            issues.append(
                Issue(
                    file,
                    f"une fermeture qui laisse {fmt(left, 1)} {label} à {commune} en {year}",
                    "une fermeture d'au plus les places existantes cette année-là "
                    f"({fmt(max(left + _closed(row, cap), 0), 1)})",
                    line=None if row is None else _lever_line(row, key, lines),
                    column=None
                    if row is None
                    else f"leviers › {_lever_index(row, levers)} › {key}",
                )
            )
    if issues:
        raise DataError(issues)


def _closed(row: pd.Series | None, cap: dict) -> float:
    """Places a closing lever removes (childminders × places each)."""
    if row is None:
        return 0.0
    if pd.notna(row["places"]):
        return float(row["places"])
    return float(row["assistantes"]) * cap["_places_am"]


def _capacity_frame(
    cap: dict, base: pd.DataFrame, estimated: pd.Series, members: list[str], years: list[int],
    code: str, geo: Any,
) -> pd.DataFrame:  # fmt: skip
    n, y = len(members), len(years)
    count_cols = [
        "places_eaje_psu",
        "places_eaje_hors_psu",
        "places_assistantes_maternelles",
        "places_prescolarisation",
        "places_garde_domicile",
        "places_total",
        "places_creees",
        "enfants_0_2",
        "places_alsh",
        "enfants_3_10",
        "places_bas_revenus",
        "places_handicap",
        "places_garanties_insertion",
        "places_eaje",
    ]
    # year-major order: every commune for the base year, then the next year…
    data = {"annee": np.repeat(years, n), "code": np.tile(members, y)}
    for col in count_cols:
        data[col] = cap[col].reindex(index=members, columns=years).to_numpy().T.reshape(-1)
    communes = pd.DataFrame(data)
    est_places = base["places_total"].where(estimated, 0.0)
    communes["_est"] = np.tile(est_places.reindex(members).to_numpy(), y)
    per = communes.groupby("annee", sort=True)[[*count_cols, "_est"]].sum(min_count=1).reset_index()
    per.insert(1, "code", code)
    per.insert(1, "niveau", "périmètre")
    per.insert(3, "nom", geo.name_of(code))
    names = geo.communes.set_index("code")["nom"]
    communes.insert(1, "niveau", "commune")
    communes.insert(3, "nom", communes["code"].map(names))
    out = pd.concat([per, communes], ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["taux_couverture"] = 100 * out["places_total"] / out["enfants_0_2"]
        out["taux_couverture_eaje"] = 100 * out["places_eaje"] / out["enfants_0_2"]
        out["taux_alsh"] = 100 * out["places_alsh"] / out["enfants_3_10"]
        base_total = out["places_total"] - out["places_creees"]
        out["part_estimee"] = (out["_est"] / base_total).where(base_total > 0, 0.0)
    for col in ("taux_couverture", "taux_couverture_eaje", "taux_alsh"):
        out[col] = out[col].replace([np.inf, -np.inf], np.nan)
    return out[CAPACITY_COLUMNS]


def _costs(
    levers: pd.DataFrame,
    members: list[str],
    horizon: list[int],
    scenario: Scenario,
    territory: Any,
    capacite: pd.DataFrame,
    params: rules.ParameterSet,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], set[str], list[str]]:
    """Per commune and year: one column per dispositif. Also the lever table with effective
    hypotheses, parameters « à vérifier », flagged dispositifs and unsourced defaults used."""
    hyp = scenario.hypotheses
    explicit = scenario.explicit
    used_defaults: list[str] = []
    flags: list[str] = []
    line_flags: set[str] = set()
    table = levers.copy()
    table["libelle"] = table["levier"].map({k: v.label for k, v in LEVERS.items()})
    table["places_effectives"] = table["places"].fillna(
        table["assistantes"] * float(hyp["places_par_assistante"])
    )
    if (table["assistantes"].notna()).any() and "places_par_assistante" not in explicit:
        used_defaults.append("places_par_assistante")
    funded = table[table["levier"].isin(["creche_psu", "alsh"])].copy()
    empty = pd.DataFrame(columns=["commune", "annee", *DISPOSITIF_KEYS])
    if funded.empty:
        return empty, table, flags, line_flags, used_defaults

    alsh = hyp["alsh"]
    is_eaje = funded["levier"] == "creche_psu"
    cost_default = hyp["cout_par_place"].get("creche_psu", DEFAULT_HYPOTHESES["cout_par_place"]["creche_psu"])  # fmt: skip
    funded["cout"] = np.where(
        is_eaje,
        funded["cout_par_place"].fillna(cost_default),
        (funded["cout_par_place"] / alsh["heures_par_place"]).fillna(alsh["cout_horaire"]),
    )
    funded["occupation"] = funded["taux_occupation"].fillna(hyp["taux_occupation"])
    pf_default = np.where(is_eaje, hyp["participation_horaire"], alsh["participation_horaire"])
    funded["pf"] = funded["participation_horaire"].fillna(pd.Series(pf_default, index=funded.index))
    funded["gest"] = funded["gestionnaire"].fillna(hyp["gestionnaire"])
    inv_map = hyp["investissement_par_place"]
    funded["inv"] = funded["investissement_par_place"].fillna(
        funded["levier"].map(lambda m: inv_map.get(m, np.nan))
    )
    zon = territory.zonages.set_index("commune")
    frr = funded["commune"].map(zon["frr"]).isin(FRR_FULL)
    qpv = funded["en_qpv"].map(lambda x: bool(x) if isinstance(x, bool) else False)
    funded["tier"] = np.where(qpv | frr, "qpv_frr", hyp["tranche_territoire"])
    seuil = params.get("investissement.piaje_seuil_couverture", f"{scenario.debut}-01-01")
    base_rate = capacite[(capacite["niveau"] == "commune") & (capacite["annee"] == scenario.annee_base)]  # fmt: skip
    base_rate = base_rate.set_index("code")["taux_couverture"]
    if seuil is not None:
        funded["couv_basse"] = funded["commune"].map(base_rate).lt(float(seuil.value))
    else:
        funded["couv_basse"] = False
    if is_eaje.any():
        if "taux_facturation" not in explicit:
            used_defaults.append("taux_facturation")
        if "heures_ouverture_an" not in explicit:
            used_defaults.append("heures_ouverture_an")
        if (
            hyp["ressources_mensuelles"] is None
            and "participation_horaire" not in explicit
            and funded.loc[is_eaje, "participation_horaire"].isna().any()
        ):
            used_defaults.append("participation_horaire")
    if (~is_eaje).any() and "alsh" not in explicit:
        used_defaults.append("alsh")

    key_cols = ["levier", "action", "cout", "occupation", "pf", "gest", "inv", "tier", "couv_basse"]
    keys = funded[key_cols].drop_duplicates().reset_index(drop=True)
    keys["_key"] = np.arange(len(keys))
    funded = funded.merge(keys, on=key_cols, how="left")
    units = []
    for k in keys.itertuples(index=False):
        for year in horizon:
            unit, res = _unit_funding(k, year, scenario, params)
            unit["_key"], unit["annee"] = k._9, year
            units.append(unit)
            for name in res.a_verifier:
                if name not in flags:
                    flags.append(name)
            for line, names in res.a_verifier_par_ligne.items():
                if names:
                    line_flags.update(_RULE_LINES.get(line, []))
                    if line == "investissement":
                        line_flags.update(["piaje", "investissement_commune"])
    unit = pd.DataFrame(units)

    # every lever × every year from its opening year
    n = len(funded)
    yrs = np.array(horizon)
    rep = pd.DataFrame(
        {
            "_row": np.repeat(np.arange(n), len(yrs)),
            "annee": np.tile(yrs, n),
        }
    )
    rep["_start"] = funded["annee"].to_numpy(dtype=int)[rep["_row"]]
    rep = rep[rep["annee"] >= rep["_start"]]
    rep["_key"] = funded["_key"].to_numpy()[rep["_row"]]
    rep["commune"] = funded["commune"].to_numpy()[rep["_row"]]
    sign = np.where(funded["action"].to_numpy() == "fermer", -1.0, 1.0)
    rep["_places"] = (funded["places_effectives"].to_numpy() * sign)[rep["_row"]]
    rep = rep.merge(unit, on=["_key", "annee"], how="left")
    operating = [k for k, _, _, nature in DISPOSITIFS if nature == "fonctionnement"]
    investing = [k for k, _, _, nature in DISPOSITIFS if nature == "investissement"]
    rep[operating] = rep[operating].mul(rep["_places"], axis=0)
    first_year = (rep["annee"] == rep["_start"]) & (rep["_places"] > 0)
    rep[investing] = rep[investing].mul(rep["_places"].where(first_year, 0.0), axis=0)
    per_commune = rep.groupby(["commune", "annee"], sort=False)[DISPOSITIF_KEYS].sum().reset_index()

    # lever table: effective hypotheses and first-year amounts
    first = rep[rep["annee"] == rep["_start"]].set_index("_row")
    eff = funded[["cout", "occupation", "pf", "tier", "inv"]].copy()
    eff["cout_premiere_annee"] = first["cout_fonctionnement"].reindex(range(n)).to_numpy()
    eff["caf_premiere_annee"] = (
        first[[k for k, f, _, nat in DISPOSITIFS if f == "CAF" and nat == "fonctionnement"]]
        .sum(axis=1)
        .reindex(range(n))
        .to_numpy()
    )
    eff["commune_premiere_annee"] = first["reste_commune"].reindex(range(n)).to_numpy()
    eff["aide_investissement"] = first["piaje"].reindex(range(n)).to_numpy()
    eff.index = funded.index
    funded_pos = table.index[table["levier"].isin(["creche_psu", "alsh"])]
    for col in eff.columns:
        table.loc[funded_pos, col] = eff[col].to_numpy()
    return per_commune, table, flags, line_flags, used_defaults


def _unit_funding(
    k: Any, year: int, scenario: Scenario, params: rules.ParameterSet
) -> tuple[dict[str, float], Any]:
    """Funding of one place for a year, by dispositif (rules applied pro rata of the year)."""
    hyp, cof = scenario.hypotheses, scenario.cofinancements
    levier, action, cost, occ, pf, gest, inv, tier, low_cov = k[:9]
    growth = (1 + float(hyp["revalorisation_couts"])) ** (year - scenario.annee_base)
    other = float(cof["autres_par_place"].get(levier, 0.0))
    part_commune = float(cof["part_commune"])
    opening = action == "ouvrir"
    out = dict.fromkeys(DISPOSITIF_KEYS, 0.0)
    if levier == "creche_psu":
        has_inv = inv is not None and not (isinstance(inv, float) and math.isnan(inv))
        inp = rules.EajeInput(
            places=1.0,
            heures_ouverture_an=float(hyp["heures_ouverture_an"]),
            taux_occupation=float(occ),
            taux_facturation=float(hyp["taux_facturation"]),
            cout_par_place=float(cost) * growth,
            couches_repas=bool(hyp["couches_repas"]),
            ressources_mensuelles=hyp["ressources_mensuelles"],
            participation_horaire=None if hyp["ressources_mensuelles"] is not None else float(pf),
            part_enfants_aeeh=float(hyp["part_enfants_handicap"]),
            qpv=tier == "qpv_frr",
            tranche_territoire=tier if tier != "qpv_frr" else "autre",
            ctg=bool(hyp["ctg"]),
            gestionnaire=str(gest),
            places_nouvelles=1.0 if opening else 0.0,
            eligible_attractivite=bool(hyp["bonus_attractivite"]),
            cofinancements=other,
            part_regime_general=float(hyp["part_regime_general"]),
            depense_investissement=float(inv) if has_inv and opening else None,
            taux_couverture=0.0 if low_cov else 1000.0,  # only the side of the PIAJE threshold
            nom="place",
        )
        res = rules.simulate_eaje(inp, year, params=params)
        out.update(
            cout_fonctionnement=res.cout_total,
            psu=res.psu,
            bonus_mixite=res.bonus_mixite,
            bonus_handicap=res.bonus_handicap,
            bonus_territoire=res.bonus_territoire,
            bonus_trajectoire=res.bonus_trajectoire,
            bonus_attractivite=res.bonus_attractivite,
            familles=res.participations_familiales,
            cofinancements=res.cofinancements,
        )
        rest = res.reste_a_charge
        if has_inv and opening:
            aid = min(res.aide_investissement, float(inv))
            out["cout_investissement"] = float(inv)
            out["piaje"] = aid
            out["investissement_commune"] = (float(inv) - aid) * part_commune
            out["investissement_autres"] = (float(inv) - aid) * (1 - part_commune)
    else:  # alsh
        alsh = hyp["alsh"]
        hours = float(alsh["heures_par_place"])
        new_wed = hours * float(alsh["part_heures_mercredi"]) if alsh["plan_mercredi"] and opening else 0.0  # fmt: skip
        res = rules.simulate_alsh(
            rules.AlshInput(
                heures_realisees=hours,
                cout_horaire=float(cost) * growth,
                participations_familiales=float(pf) * hours,
                heures_mercredi_nouvelles=new_wed,
                plan_mercredi=bool(alsh["plan_mercredi"]),
                ctg=False,  # the ALSH bonus territoire is convention-specific: not counted
                cofinancements=other,
                part_regime_general=float(hyp["part_regime_general"]),
                places=1.0,
                nom="place",
            ),
            year,
            params=params,
        )
        out.update(
            cout_fonctionnement=res.cout_total,
            ps_alsh=res.ps_alsh,
            plan_mercredi=res.bonification_plan_mercredi,
            familles=res.participations_familiales,
            cofinancements=res.cofinancements,
        )
        rest = res.reste_a_charge
        if inv is not None and not (isinstance(inv, float) and math.isnan(inv)) and opening:
            out["cout_investissement"] = float(inv)
            out["investissement_commune"] = float(inv) * part_commune
            out["investissement_autres"] = float(inv) * (1 - part_commune)
    out["reste_commune"] = rest * part_commune
    out["reste_autres"] = rest * (1 - part_commune)
    return out, res


def _cost_frame(per_commune: pd.DataFrame, members: list[str], horizon: list[int], code: str, geo: Any) -> pd.DataFrame:  # fmt: skip
    idx = pd.MultiIndex.from_product([horizon, members], names=["annee", "code"])
    frame = per_commune.rename(columns={"commune": "code"}).set_index(["annee", "code"])
    frame = frame.reindex(idx).fillna(0.0).reset_index()
    per = frame.groupby("annee", sort=True)[DISPOSITIF_KEYS].sum().reset_index()
    per.insert(1, "niveau", "périmètre")
    per.insert(2, "code", code)
    per.insert(3, "nom", geo.name_of(code))
    names = geo.communes.set_index("code")["nom"]
    frame.insert(1, "niveau", "commune")
    frame.insert(3, "nom", frame["code"].map(names))
    return pd.concat([per, frame], ignore_index=True)[["annee", "niveau", "code", "nom", *DISPOSITIF_KEYS]]  # fmt: skip


SPPE_DUTIES = [
    # (obligation, band (0: every commune, 1: first threshold, 2: second), first year)
    ("Recenser les besoins des enfants de moins de 3 ans et l'offre d'accueil", 0, 2025),
    ("Informer et accompagner les familles", 0, 2025),
    ("Planifier le développement des modes d'accueil", 1, 2025),
    ("Soutenir la qualité des modes d'accueil", 1, 2025),
    ("Schéma pluriannuel de maintien et de développement de l'offre", 2, 2025),
    ("Relais petite enfance (RPE)", 2, 2026),
]


def _sppe_bands() -> tuple[list[float], list[str]]:
    """Population thresholds and band labels of the SPPE: the catalogue's dated parameter."""
    from .indicators.catalogue import sppe_strata

    strata = sppe_strata()
    return strata.thresholds(), [s.label for s in strata.strata]


def _sppe(
    territory: Any, members: list[str], levers: pd.DataFrame, horizon: list[int], hyp: dict
) -> pd.DataFrame:
    """SPPE duties (loi du 18 décembre 2023, art. L. 214-1-3 CASF) per commune and year."""
    c = territory.geography.communes.set_index("code").reindex(members)
    pop = c["population"].fillna(0).astype(float)
    thresholds, labels = _sppe_bands()
    band = (pop.to_numpy()[:, None] > np.array(thresholds)[None, :]).sum(axis=1)
    strate = np.array(labels, dtype=object)[band]
    rpe = levers[levers["levier"] == "rpe"].groupby("commune")["annee"].min()
    existing = set(hyp["rpe_existants"])
    rows = []
    ctg = bool(hyp["ctg"])
    for duty, level, start in SPPE_DUTIES:
        concerned = pd.Series(band >= level, index=pop.index)
        if not concerned.any():
            continue
        for year in horizon:
            if year < start:
                continue
            sub = pop[concerned]
            frame = pd.DataFrame(
                {"annee": year, "commune": sub.index, "nom": c.loc[sub.index, "nom"].to_numpy(),
                 "population": sub.to_numpy(), "strate": strate[concerned.to_numpy()],
                 "obligation": duty}
            )  # fmt: skip
            if duty.startswith("Relais"):
                opened = frame["commune"].map(rpe)
                ok = frame["commune"].isin(existing) | (opened.notna() & (opened <= year))
                frame["statut"] = np.where(ok, "satisfaite", "non satisfaite")
                frame["commentaire"] = np.where(
                    frame["commune"].isin(existing),
                    "RPE existant",
                    np.where(ok, "RPE ouvert par le scénario", "obligatoire depuis le 1er janvier 2026"),
                )  # fmt: skip
            elif duty.startswith(("Schéma", "Planifier")):
                frame["statut"] = "satisfaite" if ctg else "non satisfaite"
                frame["commentaire"] = (
                    "la CTG tient lieu de schéma si son contenu est conforme (art. D. 214-10-1 CASF)"
                    if ctg
                    else "pas de CTG : schéma à élaborer"
                )
            else:
                frame["statut"] = "hors scénario"
                frame["commentaire"] = "mission de la commune, non simulée"
            rows.append(frame)
    if not rows:
        return pd.DataFrame(columns=SPPE_COLUMNS)
    return pd.concat(rows, ignore_index=True)[SPPE_COLUMNS]


# -- comparison and sensitivity -------------------------------------------------------------------
def compare(results: Sequence[ScenarioResult] | Mapping[str, ScenarioResult]) -> pd.DataFrame:
    """Scenarios side by side: one row per key figure (French labels), one column each."""
    items = results.items() if isinstance(results, Mapping) else [(r.nom, r) for r in results]
    columns = {}
    for name, res in items:
        label, i = name, 2
        while label in columns:
            label, i = f"{name} ({i})", i + 1
        columns[label] = res.indicateurs()
    frame = pd.DataFrame(columns)
    frame.index = [INDICATOR_LABELS[k] for k in frame.index]
    frame.index.name = "indicateur"
    return frame


def format_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare`'s table with French number formats (rates with one decimal)."""
    out = table.copy().astype(object)
    for label in table.index:
        decimals = 1 if "Taux" in label or "handicap" in label else 0
        out.loc[label] = [fr(v, decimals) for v in table.loc[label]]
    return out


def trajectory(results: Iterable[ScenarioResult], code: str | None = None) -> pd.DataFrame:
    """Coverage by year of each scenario (annee, taux, scenario) for a trajectory chart."""
    frames = []
    for res in results:
        t = res.territoire(code)
        frames.append(
            pd.DataFrame({"annee": t["annee"], "taux": t["taux_couverture"], "scenario": res.nom})
        )
    return pd.concat(frames, ignore_index=True)


def funding_frame(
    results: Iterable[ScenarioResult], nature: str = "fonctionnement"
) -> pd.DataFrame:
    """Costs by funder per year and scenario (annee, financeur, montant, scenario)."""
    frames = []
    for res in results:
        c = res.couts_long()
        frames.append(c[c["nature"] == nature].assign(scenario=res.nom))
    return pd.concat(frames, ignore_index=True)


def france_reference(territory: Any) -> tuple[int, float] | None:
    """The latest published national coverage rate of the loaded data (year, value)."""
    ref = territory.reference("taux_couverture_publie", "france", "FR").dropna()
    if ref.empty:
        return None
    return int(ref.index[-1]), float(ref.iloc[-1])


SENSITIVITY_INDICATORS = {
    "reste_commune": "Reste à charge de la commune cumulé (€)",
    "financement_caf": "Financement CAF cumulé (€)",
    "cout_fonctionnement": "Coût de fonctionnement cumulé (€)",
    "taux_couverture_fin": "Taux de couverture en fin d'horizon",
}
DEFAULT_VARIATIONS = {
    # hypothesis: (kind, low, high) — kind: "absolu" (value added), "facteur" (multiplier),
    # "valeur" (value set)
    "taux_occupation": ("absolu", -0.10, 0.10),
    "cout_par_place": ("facteur", 0.8, 1.2),
    "taux_facturation": ("valeur", 1.00, 1.15),
    "participation_horaire": ("facteur", 0.8, 1.2),
    "croissance_naissances": ("absolu", -0.02, 0.02),
}
SENSITIVITY_LABELS = {
    "taux_occupation": "Taux d'occupation (± 10 points)",
    "cout_par_place": "Coût par place (± 20 %)",
    "taux_facturation": "Taux de facturation (100 % / 115 %)",
    "participation_horaire": "Participation des familles (± 20 %)",
    "croissance_naissances": "Croissance des naissances (± 2 points par an)",
}


def _vary(scenario: Scenario, key: str, kind: str, amount: float, central_growth: pd.Series) -> tuple[Scenario, Any]:  # fmt: skip
    """The scenario with one hypothesis moved (levers' own values move alike)."""
    hyp = scenario.hypotheses
    levers = scenario.leviers.copy()
    changes: dict[str, Any] = {}
    growth = None
    if key == "taux_occupation":

        def f(x):  # noqa: E306
            return min(max(x + amount, 0.01), 1.0) if kind == "absolu" else amount

        changes[key] = f(hyp[key])
        levers[key] = levers[key].map(lambda x: f(x) if pd.notna(x) else x)
    elif key == "cout_par_place":
        changes[key] = {m: v * amount for m, v in hyp[key].items()}
        changes["alsh"] = {**hyp["alsh"], "cout_horaire": hyp["alsh"]["cout_horaire"] * amount}
        levers[key] = levers[key] * amount
    elif key == "participation_horaire":
        changes[key] = hyp[key] * amount
        changes["alsh"] = {**hyp["alsh"], "participation_horaire": hyp["alsh"]["participation_horaire"] * amount}  # fmt: skip
        levers[key] = levers[key] * amount
    elif key == "taux_facturation":
        changes[key] = amount if kind == "valeur" else hyp[key] * amount
    elif key == "croissance_naissances":
        growth = (central_growth + amount).clip(-0.5, 0.5)
    else:
        raise ScenarioError(
            f"Hypothèse {quote(key)} inconnue pour l'analyse de sensibilité : attendu "
            f"{', '.join(DEFAULT_VARIATIONS)}."
        )
    new_hyp = {**hyp, **changes}
    varied = replace(scenario, hypotheses=new_hyp, leviers=levers, explicit=scenario.explicit | set(changes))  # fmt: skip
    return varied, growth


def sensitivity(
    territory: Any,
    scenario: Scenario,
    indicateur: str = "reste_commune",
    variations: Mapping[str, tuple[str, float, float]] | None = None,
    *,
    perimetre: str | None = None,
    params: rules.ParameterSet | None = None,
) -> pd.DataFrame:
    """How much `indicateur` moves when each main hypothesis moves (one at a time).

    Returns hypothese, libelle, resultat_bas, resultat_central, resultat_haut, ecart (high −
    low), sorted by |ecart| descending — the bars of a tornado chart.
    """
    if indicateur not in SENSITIVITY_INDICATORS:
        raise ScenarioError(
            f"Indicateur {quote(indicateur)} inconnu : attendu {', '.join(SENSITIVITY_INDICATORS)}."
        )
    params = params or rules.load_parameters()
    variations = dict(variations or DEFAULT_VARIATIONS)
    central = simulate(territory, scenario, perimetre=perimetre, params=params)
    central_value = central.indicateurs()[indicateur]
    growth = central.demographie.hypotheses.set_index("commune")["taux_retenu"]
    rows = []
    for key, (kind, low, high) in variations.items():
        results = []
        for amount in (low, high):
            varied, g = _vary(scenario, key, kind, amount, growth)
            projection = None
            if g is not None:
                members = central.demographie.communes
                projection = project_children(territory, scenario.fin, communes=members, growth=g)
            res = simulate(territory, varied, perimetre=perimetre, params=params, projection=projection)  # fmt: skip
            results.append(res.indicateurs()[indicateur])
        rows.append(
            {
                "hypothese": key,
                "libelle": SENSITIVITY_LABELS.get(key, key),
                "resultat_bas": results[0],
                "resultat_central": central_value,
                "resultat_haut": results[1],
                "ecart": results[1] - results[0],
            }
        )
    out = pd.DataFrame(rows)
    out = out.reindex(out["ecart"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    out.attrs["indicateur"] = SENSITIVITY_INDICATORS[indicateur]
    return out


# -- French output --------------------------------------------------------------------------------
def fmt(x: float, decimals: int = 0) -> str:
    return fr(x, decimals)


def fr(x: float, decimals: int = 0) -> str:
    return french.number(x, decimals, missing="—")


def render_result(res: ScenarioResult) -> str:
    from .cli.parametres import render_table

    sc = res.scenario
    out = [
        f"Scénario : {sc.nom}",
        f"Territoire : {res.nom_perimetre} ({res.perimetre}) — base {sc.annee_base} "
        f"(places de décembre {res.annee_places}), horizon {sc.debut}-{sc.fin}",
    ]
    if sc.description:
        out.append(sc.description)
    out += ["", "Capacité et taux de couverture (places pour 100 enfants de moins de 3 ans)"]
    rows = []
    for r in res.territoire().itertuples():
        rows.append(
            [
                str(r.annee),
                fr(r.places_total),
                fr(r.places_creees),
                fr(r.enfants_0_2),
                fr(r.taux_couverture, 1),
                fr(r.taux_couverture_eaje, 1),
                fr(r.places_alsh),
                fr(r.places_bas_revenus),
                fr(r.places_handicap, 1),
            ]
        )
    out.append(
        render_table(
            [
                "Année",
                "Places",
                "dont créées",
                "Enfants 0-2",
                "Couverture",
                "EAJE",
                "ALSH",
                "Bas revenus",
                "Handicap",
            ],
            rows,
            right=range(1, 9),
        )  # fmt: skip
    )
    fin = res.financeurs()
    out += ["", "Coûts des places ouvertes ou fermées par le scénario, par financeur (€ par an)"]
    flagged = set(res.dispositifs_a_verifier)

    per_year = res.couts[res._rows(res.couts, None)].set_index("annee")

    def mark(keys: Iterable[str], year: int) -> str:
        """⚠ when a non-zero amount of the cell rests on a value « à vérifier »."""
        hit = any(k in flagged and abs(per_year.at[year, k]) > 0.5 for k in keys)
        return " ⚠" if hit else ""

    caf_keys = [k for k, f, _, n in DISPOSITIFS if f == "CAF" and n == "fonctionnement"]
    rows = [
        [
            str(r.annee),
            fr(r.cout_fonctionnement),
            fr(r.CAF) + mark(caf_keys, r.annee),
            fr(r.Familles) + mark(["familles"], r.annee),
            fr(r.Commune) + mark(["reste_commune"], r.annee),
            fr(r._6) + mark(["reste_autres", "cofinancements"], r.annee),
            fr(r.cout_investissement),
            fr(r._8) + mark(["piaje"], r.annee),
        ]
        for r in fin.itertuples()
    ]
    if rows:
        out.append(
            render_table(
                [
                    "Année",
                    "Coût",
                    "CAF",
                    "Familles",
                    "Commune",
                    "Autres",
                    "Investissement",
                    "dont CAF",
                ],
                rows,
                right=range(1, 8),
            )  # fmt: skip
        )
        per_caf = res.couts[res._rows(res.couts, None)][caf_keys + ["piaje"]].sum()
        detail = [
            f"{label} : {fr(per_caf[k])} €" + (" ⚠" if k in flagged else "")
            for k, f, label, _ in DISPOSITIFS
            if f == "CAF" and abs(per_caf.get(k, 0.0)) > 0.5
        ]
        if detail:
            out.append("CAF par dispositif, cumul sur l'horizon : " + " ; ".join(detail))
    else:
        out.append("Aucun levier chiffré (crèche PSU ou ALSH).")
    sppe = res.sppe[(res.sppe["annee"] == sc.fin) & (res.sppe["statut"] != "hors scénario")]
    if len(sppe):
        out += ["", f"Obligations SPPE en {sc.fin} (communes de plus de 3 500 habitants)"]
        rows = [[r.nom, r.obligation, r.statut, r.commentaire] for r in sppe.itertuples()]
        out.append(render_table(["Commune", "Obligation", "Statut", "Commentaire"], rows))
    if res.a_verifier:
        out += ["", f"{WARN} : les montants marqués ⚠ reposent sur des valeurs non confirmées :"]
        out += [f"  - {x}" for x in res.a_verifier]
    if res.notes:
        out += ["", "Remarques :"] + [f"  - {n}" for n in res.notes]
    return "\n".join(out)


def _hypothesis_source(key: str, scenario: Scenario) -> str:
    """Where a hypothesis value comes from (for the workbook)."""
    if key in scenario.explicit:
        return "fichier du scénario"
    sources = [v for k, v in HYPOTHESIS_SOURCES.items() if k.split(".")[0] == key]
    if sources:
        return " ; ".join(sources)
    if key in _UNSOURCED_DEFAULTS:
        return f"valeur par défaut non sourcée — {WARN}"
    return "choix par défaut"


def write_xlsx(res: ScenarioResult, path: str | Path, overwrite: bool = False) -> Path:
    """Every table of a result in one workbook (temp file, then renamed)."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise ScenarioExistsError(
            f"Le fichier « {p} » existe déjà : il n'est pas remplacé (option --ecraser pour le "
            "remplacer)."
        )
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.stem}.", suffix=".xlsx", dir=p.parent)
    os.close(fd)
    try:
        labels = {k: label for k, _, label, _ in DISPOSITIFS}
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            res.synthese().to_excel(xl, sheet_name="Synthèse", index=False)
            res.capacite.to_excel(xl, sheet_name="Capacité", index=False)
            res.couts.rename(columns=labels).to_excel(xl, sheet_name="Coûts", index=False)
            res.leviers.to_excel(xl, sheet_name="Leviers", index=False)
            hyp = [
                {"hypothèse": HYPOTHESIS_LABELS.get(k, k), "clé": k, "valeur": str(v),
                 "origine": "scénario" if k in res.scenario.explicit else "défaut",
                 "source": _hypothesis_source(k, res.scenario)}
                for k, v in {**res.scenario.hypotheses, **res.scenario.cofinancements}.items()
            ]  # fmt: skip
            pd.DataFrame(hyp).to_excel(xl, sheet_name="Hypothèses", index=False)
            res.sppe.to_excel(xl, sheet_name="SPPE", index=False)
            demo = res.demographie.hypotheses.copy()
            demo.to_excel(xl, sheet_name="Démographie", index=False)
            pd.DataFrame({"méthode": res.demographie.methode.split("\n")}).to_excel(
                xl, sheet_name="Méthode", index=False
            )
            pd.DataFrame(
                {"à vérifier": res.a_verifier or ["—"]},
            ).to_excel(xl, sheet_name="À vérifier", index=False)
            if res.notes:
                pd.DataFrame({"remarque": res.notes}).to_excel(
                    xl, sheet_name="Remarques", index=False
                )
        _usual_mode(tmp)
        if overwrite:
            os.replace(tmp, p)
        else:
            os.link(tmp, p)
    except FileExistsError:
        raise ScenarioExistsError(
            f"Le fichier « {p} » existe déjà : il n'est pas remplacé."
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return p
