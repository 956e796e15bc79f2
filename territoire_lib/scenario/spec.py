"""The scenario itself: the :class:`Scenario` dataclass (from and to the YAML document, copies
with more levers or other hypotheses), :func:`load_scenario` (French errors naming the line),
:func:`save_scenario` (atomic, never replacing a file unless asked) and :func:`resolve_path`.

Layer: scénarios. Imports the core layer (errors, files, input_limits) and :mod:`.schema`,
:mod:`.validate`.
"""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ..errors import DataError, Issue
from ..files import usual_mode
from ..input_limits import YAML, read_bounded
from .schema import (
    _LEVER_KEYS,
    _REQUIRED_TOP,
    DEFAULT_COFINANCEMENTS,
    DEFAULT_HYPOTHESES,
    TOP_KEYS,
    ScenarioError,
    ScenarioExistsError,
    _deep_copy,
)
from .validate import (
    _Checker,
    _cofinancements,
    _found,
    _horizon,
    _hypotheses,
    _kind,
    _levers,
    _Number,
    _read_yaml,
)

REPO_DIR = Path(__file__).resolve().parents[2]


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


def _from_document(
    data: Any, lines: dict[tuple, int], issues_in: Iterable[Issue] | None, file: str
) -> Scenario:
    chk = _Checker(file, lines)
    chk.issues.extend(issues_in or [])
    if not isinstance(data, Mapping):  # not a scenario: its content is never shown
        chk.add((), _kind(data), "un scénario YAML : nom, territoire, annee_base, horizon, leviers")
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
    try:  # a regular file under the YAML size cap (an upload as well as a file)
        text = read_bounded(p, YAML, name).decode("utf-8")
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
        os.chmod(tmp, usual_mode())  # mkstemp makes 0600 files; outputs are shared
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
