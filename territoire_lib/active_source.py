"""Which data every entry point reads: the known sources, the active one, and the cache folder.

A *source* is a folder of real files with its ``manifeste.yaml`` (or ``demo``, the fictional
demo shipped in ``data/demo/``, always known). ``territoire import DOSSIER`` records the folder
under a short name and makes it the *active source*; ``territoire source NOM`` switches back and
forth. The CLI, the notebooks whose ``source`` parameter is empty, the dashboard and the batch
then read the active source unless told otherwise.

Where things are kept:

* the cache folder — ``TERRITOIRE_CACHE`` (or the CLI option ``--cache``, which sets it for the
  command and the kernels it starts), by default ``data/cache/`` — holds the parquet cache of
  each loaded folder (written by :mod:`territoire_lib.dataset`, pruned by :func:`prune_cache`:
  the 3 most recent entries of each folder are kept) and the registry of sources,
  ``sources.json``: written atomically (:func:`territoire_lib.files.write_atomic`), never
  inside a user's folder;
* ``TERRITOIRE_SOURCE=NOM`` (or a folder) overrides the active source for one process and
  everything it starts (``make test`` sets it to ``demo``).

Order of precedence when a source is needed: an explicit source (``--source``, a notebook's
``source`` parameter, ``load_territory("…")``), then ``TERRITOIRE_SOURCE``, then the active
source of the registry, then ``demo``.

Layer « données »: imports socle (errors, files).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from .errors import TerritoireError
from .files import write_atomic

REPO_DIR = Path(__file__).resolve().parents[1]
DEMO = "demo"
DEMO_DIR = REPO_DIR / "data" / "demo"
DEFAULT_CACHE_DIR = REPO_DIR / "data" / "cache"
CACHE_ENV = "TERRITOIRE_CACHE"
SOURCE_ENV = "TERRITOIRE_SOURCE"
REGISTRY_NAME = "sources.json"
REGISTRY_FORMAT = 1
NAME_PATTERN = re.compile(r"^[\w][\w.-]*$")
SWITCH_HINT = "territoire source NOM"


def cache_dir() -> Path:
    """The cache folder: ``TERRITOIRE_CACHE`` when set (read at every call), else ``data/cache``."""
    env = os.environ.get(CACHE_ENV, "").strip()
    return Path(env).expanduser() if env else DEFAULT_CACHE_DIR


def registry_path() -> Path:
    return cache_dir() / REGISTRY_NAME


def prune_cache(root: Path, source: str, keep: int = 3) -> list[Path]:
    """Remove the cache entries (``<root>/<checksum>/``) of ``source`` — a folder, as recorded
    in each entry's ``meta.json`` — but the ``keep`` most recently written; entries of other
    folders are left alone. Returns the folders removed.

    Every change to a folder's files makes a new entry (its checksum changes): without this, a
    folder updated every month would keep every old version.
    """
    entries = []
    for meta in root.glob("*/meta.json"):
        try:
            if json.loads(meta.read_text(encoding="utf-8")).get("source") == source:
                entries.append((meta.stat().st_mtime, meta.parent))
        except (OSError, ValueError, AttributeError):
            continue  # being written, or damaged (rebuilt when read): not judged here
    entries.sort(key=lambda e: (e[0], e[1].name), reverse=True)
    for _, folder in entries[keep:]:
        shutil.rmtree(folder, ignore_errors=True)
    return [folder for _, folder in entries[keep:]]


@dataclass(frozen=True)
class KnownSource:
    """One source of the registry (or the demo)."""

    name: str
    folder: Path
    territory_name: str
    imported_at: str  # ISO 8601, "" for the demo
    active: bool

    @property
    def exists(self) -> bool:
        return self.folder.is_dir()

    def imported_french(self) -> str:
        """« 3/12/2026 à 10:22 », or « livrée avec l'outil » for the demo."""
        if not self.imported_at:
            return "livrée avec l'outil"
        try:
            when = dt.datetime.fromisoformat(self.imported_at)
        except ValueError:
            return self.imported_at
        return f"{when:%d/%m/%Y} à {when:%H:%M}"


@dataclass(frozen=True)
class ResolvedSource:
    """The folder to read, its name, and how it was chosen.

    ``how``: ``explicit`` (an argument), ``variable`` (``TERRITOIRE_SOURCE``), ``active`` (the
    registry) or ``default`` (no registry: the demo).
    """

    name: str
    folder: Path
    how: str

    @property
    def is_demo(self) -> bool:
        return self.folder == DEMO_DIR


# -- the registry ---------------------------------------------------------------------------------
def _empty() -> dict:
    return {"format": REGISTRY_FORMAT, "active": DEMO, "sources": {}}


def read_registry() -> dict:
    """The registry as a dict (``active``, ``sources``: name → {dossier, nom, importe_le});
    an empty one when the file does not exist. A damaged file is a French error."""
    path = registry_path()
    if not path.exists():
        return _empty()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        sources = data["sources"]
        active = str(data.get("active") or DEMO)
        ok = isinstance(sources, dict) and all(
            isinstance(v, dict) and isinstance(v.get("dossier"), str) for v in sources.values()
        )
    except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise TerritoireError(
            f"Liste des sources illisible : « {path} ». Attendu le fichier JSON écrit par "
            "« territoire import ». Supprimez-le (la démonstration redevient la source active) "
            "puis réimportez vos dossiers avec « territoire import DOSSIER »."
        )
    return {"format": REGISTRY_FORMAT, "active": active, "sources": sources}


def _write_registry(data: dict) -> None:
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    write_atomic(registry_path(), text.encode("utf-8"))


def known_sources() -> list[KnownSource]:
    """The demo, then every recorded source by name; ``active`` marks the active one (the
    registry's, not ``TERRITOIRE_SOURCE``)."""
    data = read_registry()
    active = data["active"]
    out = [KnownSource(DEMO, DEMO_DIR, "démonstration (données fictives)", "", active == DEMO)]
    for name in sorted(data["sources"]):
        entry = data["sources"][name]
        out.append(
            KnownSource(
                name,
                Path(entry["dossier"]),
                str(entry.get("nom") or name),
                str(entry.get("importe_le") or ""),
                name == active,
            )
        )
    return out


def _names() -> list[str]:
    return [s.name for s in known_sources()]


def _name_for(folder: Path, sources: dict, wanted: str | None) -> str:
    """The name of a folder: ``wanted``, else the one it already has, else its base name
    (made unique with -2, -3…; ``demo`` is reserved)."""
    if wanted is not None:
        wanted = wanted.strip()
        if not NAME_PATTERN.match(wanted) or wanted == DEMO:
            raise TerritoireError(
                f"Nom de source invalide : « {wanted} ». Attendu des lettres, des chiffres, « _ », "
                "« - » ou « . », sans espace (et pas « demo », réservé à la démonstration)."
            )
        return wanted
    for name, entry in sources.items():
        if Path(entry["dossier"]) == folder:
            return name
    base = re.sub(r"[^\w.-]+", "_", folder.name).strip("_.-") or "source"
    name, k = base, 1
    while name == DEMO or (name in sources and Path(sources[name]["dossier"]) != folder):
        k += 1
        name = f"{base}-{k}"
    return name


def register_import(
    folder: str | Path, territory_name: str, name: str | None = None
) -> KnownSource:
    """Record a folder just imported and make it the active source (``demo`` for the demo).

    The folder is stored as an absolute path; re-importing a folder keeps its name and updates
    its date. ``name`` chooses the name (letters, digits, ``_ - .``).
    """
    data = read_registry()
    folder = DEMO_DIR if str(folder) == DEMO else Path(folder).expanduser().resolve()
    if folder == DEMO_DIR.resolve() and name is None:
        data["active"] = DEMO
        _write_registry(data)
        return next(s for s in known_sources() if s.name == DEMO)
    chosen = _name_for(folder, data["sources"], name)
    data["sources"][chosen] = {
        "dossier": str(folder),
        "nom": territory_name,
        "importe_le": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    data["active"] = chosen
    _write_registry(data)
    return next(s for s in known_sources() if s.name == chosen)


def activate(name: str) -> KnownSource:
    """Make a known source (by name, or by its folder) the active one."""
    text = str(name).strip()
    sources = known_sources()
    found = next((s for s in sources if s.name == text), None)
    if found is None and text:
        folder = Path(text).expanduser()
        if folder.is_dir():
            folder = folder.resolve()
            found = next((s for s in sources if s.folder == folder), None)
            if found is None:
                raise TerritoireError(
                    f"Le dossier « {text} » n'a pas encore été importé : lancez d'abord "
                    f"« territoire import {text} », qui en fera la source active."
                )
    if found is None:
        raise TerritoireError(
            f"Source inconnue : « {text} ». Sources connues : {', '.join(_names())} "
            "(« territoire source » les liste ; « territoire import DOSSIER » en ajoute une)."
        )
    if not found.exists:
        raise TerritoireError(
            f"Le dossier de la source « {found.name} » est introuvable : « {found.folder} ». "
            "Réimportez-le à son nouvel emplacement avec « territoire import DOSSIER »."
        )
    data = read_registry()
    data["active"] = found.name
    _write_registry(data)
    return next(s for s in known_sources() if s.name == found.name)


# -- resolution -----------------------------------------------------------------------------------
def resolve_source(source: str | Path | None = None) -> ResolvedSource:
    """The folder to read for ``source``: ``None`` or ``""`` → ``TERRITOIRE_SOURCE``, else the
    active source, else the demo; ``"demo"`` → the demo; a known name → its folder; otherwise
    a folder path. A name or folder that leads nowhere is a French error."""
    text = "" if source is None else str(source).strip()
    how = "explicit"
    if not text:
        env = os.environ.get(SOURCE_ENV, "").strip()
        if env:
            text, how = env, "variable"
        else:
            data = read_registry()
            text = data["active"]
            how = "active" if data["sources"] or registry_path().exists() else "default"
    if text == DEMO:
        return ResolvedSource(DEMO, DEMO_DIR, how)
    sources = read_registry()["sources"]
    path = Path(text).expanduser()
    if path.is_dir() and (how == "explicit" or text not in sources):
        folder = path.resolve()
        if folder == DEMO_DIR.resolve():
            return ResolvedSource(DEMO, DEMO_DIR, how)
        name = next((n for n, e in sources.items() if Path(e["dossier"]) == folder), folder.name)
        return ResolvedSource(name, folder, how)
    if text in sources:
        folder = Path(sources[text]["dossier"])
        if not folder.is_dir():
            raise TerritoireError(
                f"Dossier introuvable : « {folder} », celui de la source « {text} »"
                f"{' (la source active)' if how == 'active' else ''}. Réimportez-le à son "
                "nouvel emplacement (« territoire import DOSSIER ») ou changez de source "
                "(« territoire source demo »)."
            )
        return ResolvedSource(text, folder, how)
    where = {"variable": f" (variable {SOURCE_ENV})", "active": " (la source active)"}.get(how, "")
    raise TerritoireError(
        f"Dossier introuvable : « {text} »{where} n'est ni un dossier ni une source connue. "
        f"Sources connues : {', '.join(_names())} (voir « territoire source »)."
    )


def unknown_territory_hint(resolved: ResolvedSource, territory_name: str) -> str:
    """The sentence added to « Territoire inconnu » : which data were read, and how to read
    other data."""
    label = f"« {resolved.name} » ({territory_name})"
    if resolved.how in ("active", "default"):
        what = f"Les données lues sont celles de la source active {label}."
    elif resolved.how == "variable":
        what = f"Les données lues sont celles de la source {label}, choisie par {SOURCE_ENV}."
    else:
        what = f"Les données lues sont celles de la source {label}, demandée explicitement."
    try:
        names = ", ".join(_names())
    except TerritoireError:
        names = DEMO
    return (
        f"{what} Pour un autre territoire : « {SWITCH_HINT} » change de source active "
        f"(sources connues : {names}) ; « territoire import DOSSIER » en ajoute une ; "
        "« --source » ou le paramètre « source » d'un carnet en choisit une pour une seule "
        "commande."
    )
