"""The manifest of a data folder (``manifeste.yaml``): reading, validation against the published
JSON schema, French errors, and the list of the files it names.

The schema is ``territoire_lib/manifest_schema.json`` (JSON Schema 2020-12, checked with the
``jsonschema`` library; its keys and forms are tabled in ``data/README.md``). Every key the
loaders know is in it, and nothing else: an unknown key (``perimetre:`` for ``perimetres:``)
or a key written twice is an error, never silently ignored. Each error names the key and its
line, what was found, what is expected and an example, all in French.

A manifest saved by a Windows editor in Windows-1252 is read like a CSV would be
(:func:`territoire_lib.sources.reading.decode_file`) and noted in its load report. It is read
with the YAML bounds (size cap, alias bombs: :mod:`territoire_lib.yaml_lines`), and every file
it names must stay in its folder (:func:`check_paths`: no absolute path, no ``..``, no symbolic
link leading out, regular files under the size cap only), checked at every load, before any
file is read or hashed. The names of its list ``confidentiel`` (data that is not public) must
be variables.

Layer « données »: imports socle (errors, input_limits, variables, yaml_lines); sources
(sources.reading).
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import DataError, Issue, LoadReport, quote
from .input_limits import DATA, YAML, OutsideFolder, check_regular, confine
from .sources.reading import Dialect, decode_file
from .yaml_lines import Lines, load_yaml

MANIFEST_NAME = "manifeste.yaml"
SCHEMA_PATH = Path(__file__).with_name("manifest_schema.json")
# frr, contours: a file name or a rubric with its own keys besides « fichier »
_SHAPE_ERRORS = ("type", "const", "enum")


@dataclass(frozen=True)
class FileRef:
    """One file named by a manifest, with the dialect it declares (None: detected)."""

    name: str
    encoding: str | None = None
    separator: str | None = None
    confidential: bool = False  # « confidentiel: true »: data that is not public

    @property
    def dialect(self) -> Dialect:
        return Dialect(self.encoding, self.separator)


@dataclass
class Manifest:
    """A checked manifest: the document, the line of each key, and what reading it noted."""

    data: dict
    lines: Lines = field(default_factory=dict)
    report: LoadReport = field(default_factory=lambda: LoadReport("Manifeste", MANIFEST_NAME))
    text: str = ""

    def line_of(self, name: str) -> int | None:
        """The first line of the manifest that mentions ``name`` (a file name)."""
        for number, line in enumerate(self.text.splitlines(), start=1):
            if name in line:
                return number
        return None


@lru_cache(maxsize=1)
def schema() -> dict:
    """The JSON schema of a manifest (``manifest_schema.json``)."""
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def file_keys() -> list[str]:
    """The keys of the « fichiers » rubric, in the schema's order."""
    return list(schema()["properties"]["fichiers"]["properties"])


# -- reading ------------------------------------------------------------------------------------
def load_manifest(folder: Path) -> Manifest:
    """Read, check and normalise ``folder/manifeste.yaml``; raise :class:`DataError` listing
    every problem (French, with the key and its line). A manifest already checked, unchanged
    since, is not checked again (every load of a territory reads its manifest)."""
    path = Path(folder) / MANIFEST_NAME
    if not path.exists():
        raise DataError(
            Issue(
                MANIFEST_NAME,
                f"aucun manifeste dans le dossier « {folder} »",
                "un fichier manifeste.yaml qui dit quel fichier est quoi (voir le README)",
            )
        )
    try:  # the manifest itself: in its folder, a regular file under the YAML cap
        confine(folder, MANIFEST_NAME)
        check_regular(path, YAML)
    except OutsideFolder as exc:
        raise DataError(
            Issue(MANIFEST_NAME, exc.found, "un manifeste enregistré dans le dossier des données")
        ) from None
    stat = path.stat()
    checked = _checked(str(path.resolve()), stat.st_mtime_ns, stat.st_size)
    issues = check_paths(Path(folder), checked)
    if issues:
        raise DataError(issues)
    return copy.deepcopy(checked)


def check_paths(folder: Path, checked: Manifest) -> list[Issue]:
    """French issues for the files of the manifest that lead out of ``folder`` (absolute path,
    ``..``, symbolic link), that are not regular files (a device such as ``/dev/zero``, a
    pipe, a folder) or that are over the data size cap: each names the key and its line.
    A missing file is left to the caller (« annoncé mais absent »)."""
    issues: list[Issue] = []
    for ref in dict.fromkeys(file_refs(checked.data)):
        where = _file_key(checked.data.get("fichiers") or {}, ref.name, ("fichiers",))
        line = _line(checked.lines, where) if where else checked.line_of(ref.name)
        key = _key_text(where) if where else None
        expected = (
            "un fichier du dossier du manifeste, nommé sans chemin (ex. v_commune_2024.csv) ou "
            "dans un sous-dossier (ex. insee/v_commune_2024.csv)"
        )
        try:
            path = confine(folder, ref.name)
        except OutsideFolder as exc:
            issues.append(Issue(MANIFEST_NAME, exc.found, expected, line=line, key=key))
            continue
        if not (path.exists() or path.is_symlink()):
            continue
        try:
            check_regular(path, DATA, ref.name)
        except DataError as exc:
            issues.extend(
                Issue(
                    MANIFEST_NAME,
                    f"pour « {ref.name} », {i.found}",
                    i.expected,
                    line=line,
                    key=key,
                )
                for i in exc.issues
            )
    return issues


def _file_key(value: Any, name: str, path: tuple) -> tuple | None:
    """The path of keys under which the manifest names the file ``name``."""
    if isinstance(value, str):
        return path if value == name else None
    if isinstance(value, dict):
        if value.get("fichier") == name:
            return (*path, "fichier")
        items = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, sub in items:
        found = _file_key(sub, name, (*path, key))
        if found:
            return found
    return None


@lru_cache(maxsize=16)
def _checked(path_text: str, mtime_ns: int, size: int) -> Manifest:
    del mtime_ns, size  # only part of the cache key
    path = Path(path_text)
    text, codec = decode_file(path, kind=YAML)
    report = LoadReport("Manifeste", MANIFEST_NAME, rows_read=text.count("\n") + 1)
    if codec not in ("utf-8", "utf-8-sig"):
        report.note(
            f"manifeste enregistré en {'Windows-1252' if codec == 'cp1252' else codec} "
            "(pas en UTF-8) : lu comme tel."
        )
    data, lines = load_yaml(text, MANIFEST_NAME, "un manifeste YAML valide", plain_codes=True)
    issues = validate(data, lines)
    if issues:
        raise DataError(issues)
    data = normalise(data, report)
    report.rows_kept = report.rows_read
    return Manifest(data, lines, report, text)


def read_manifest(folder: Path) -> dict:
    """The checked manifest of ``folder`` as a dict (see :func:`load_manifest`)."""
    return load_manifest(folder).data


# -- validation ---------------------------------------------------------------------------------
def validate(data: Any, lines: Lines, file: str = MANIFEST_NAME) -> list[Issue]:
    """French issues for every way ``data`` departs from the schema (empty when valid)."""
    if data is None:
        return [
            Issue(
                file,
                "un manifeste vide",
                "une rubrique « fichiers » ; exemple : « fichiers: {cog_communes: "
                "v_commune_2024.csv} »",
                line=1,
            )
        ]
    if not isinstance(data, dict):  # not a manifest: its content is never shown
        return [
            Issue(
                file,
                "un document YAML qui n'est pas une rubrique de clés ("
                + ("une liste" if isinstance(data, list) else "un texte ou une valeur seule")
                + ") : ce fichier n'est pas un manifeste",
                "des clés « nom: », « fichiers: »… ; exemple : « fichiers: {cog_communes: "
                "v_commune_2024.csv} »",
                line=1,
            )
        ]
    errors = sorted(_validator().iter_errors(data), key=lambda e: _line(lines, _path(e)))
    # « fichier: » for « fichiers: » is one mistake, not also a missing « fichiers »
    misspelt = {
        (_path(e), match)
        for e in errors
        if e.validator == "additionalProperties" and isinstance(e.instance, dict)
        for extra in e.instance
        for match in difflib.get_close_matches(str(extra), list(e.schema.get("properties") or {}))
    }
    issues: list[Issue] = []
    for error in errors:
        if error.validator == "required" and all(
            (_path(error), k) in misspelt for k in error.validator_value if k not in error.instance
        ):
            continue
        issues.extend(_issues_of(error, lines, file))
    issues.extend(_confidential_issues(data, lines, file))
    unique = list(dict.fromkeys(issues))
    return sorted(unique, key=lambda i: i.line or 0)


def _confidential_issues(data: dict, lines: Lines, file: str) -> list[Issue]:
    """A name of the list « confidentiel » that is no variable: never silently public."""
    from .variables import VARIABLES

    names = data.get("confidentiel")
    if not isinstance(names, list):
        return []
    out = []
    for pos, name in enumerate(names):
        if not isinstance(name, str) or name in VARIABLES:
            continue  # a wrong shape is the schema's
        close = difflib.get_close_matches(name, list(VARIABLES), n=1)
        hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
        out.append(
            Issue(
                file,
                f"la variable inconnue « {name} »{hint}",
                "le nom d'une variable (liste : territoire_lib/variables.py ; voir data/README.md, "
                "« Secret statistique ») ; exemple : « confidentiel: [foyers_rsa] »",
                line=_line(lines, ("confidentiel", pos)),
                key=_key_text(("confidentiel", pos)),
            )
        )
    return out


def _path(error) -> tuple:
    return tuple(error.absolute_path)


def _key_text(path: tuple) -> str | None:
    if not path:
        return None
    return " → ".join(f"n° {p + 1}" if isinstance(p, int) else str(p) for p in path)


def _line(lines: Lines, path: tuple) -> int:
    keys = tuple(str(p) for p in path)
    for n in range(len(keys), -1, -1):
        if keys[:n] in lines:
            return lines[keys[:n]]
    return 1


def _key_schema(path: tuple) -> dict | None:
    """The schema of the manifest key (top level, or under « fichiers ») holding ``path``."""
    props = schema()["properties"]
    if not path or path[0] not in props:
        return None
    if path[0] == "fichiers" and len(path) > 1:
        return props["fichiers"]["properties"].get(path[1])
    return props[path[0]]


def _example(path: tuple, node: dict) -> str:
    """An example: of the manifest key, or of the sub-key in error (« encodage: … »)."""
    key = (_key_schema(path) or {}).get("examples") or []
    own = node.get("examples") or []
    sub_key = len(path) > (2 if path and path[0] == "fichiers" else 1) and isinstance(path[-1], str)
    examples = (own or key) if sub_key else (key or own)
    return f" ; exemple : « {examples[0]} »" if examples else ""


def _expected(path: tuple, node: dict) -> str:
    key = _key_schema(path)
    top = len(path) <= (2 if path and path[0] == "fichiers" else 1)
    if top and key is not None and key.get("description"):
        return key["description"]
    return node.get("description") or (key or {}).get("description") or "une valeur valide"


def describe(value: Any) -> str:
    """What was found, in French (« le nom de fichier « x.csv » », « une liste de 2 éléments »)."""
    if value is None:
        return "une valeur vide"
    if isinstance(value, bool):
        return f"la valeur {'true' if value else 'false'}"
    if isinstance(value, int | float):
        return f"le nombre {value}"
    if isinstance(value, str):
        if not value.strip():
            return "un texte vide"
        kind = "le nom de fichier" if "." in value and " " not in value.strip() else "le texte"
        return f"{kind} {quote(value)}"
    if isinstance(value, list):
        if not value:
            return "une liste vide"
        return f"une liste de {len(value)} élément{'s' if len(value) > 1 else ''}"
    if isinstance(value, dict):
        if not value:
            return "une rubrique vide"
        keys = ", ".join(str(k) for k in list(value)[:6])
        return f"une rubrique (clés : {keys})"
    return quote(value)


def _shallow(error) -> bool:
    """The instance has the wrong shape for this alternative (not a deeper mistake)."""
    if list(error.relative_path):
        return False
    if error.validator in _SHAPE_ERRORS:
        return True
    if error.validator == "oneOf":
        return all(_shallow(c) for c in error.context or [])
    return False


def _issues_of(error, lines: Lines, file: str) -> list[Issue]:
    path = _path(error)
    if error.validator == "oneOf":
        by_alt: dict[int, list] = {}
        for c in error.context or []:
            by_alt.setdefault(c.schema_path[0], []).append(c)
        fitting = [errs for errs in by_alt.values() if not any(_shallow(c) for c in errs)]
        if len(fitting) == 1:  # the right shape with a mistake inside: report the mistake
            return [i for c in fitting[0] for i in _issues_of(c, lines, file)]
    node = error.schema if isinstance(error.schema, dict) else {}

    def issue(found: str, at: tuple = path, expected: str | None = None) -> Issue:
        return Issue(
            file,
            found,
            (expected or _expected(at, node)) + _example(at, node),
            line=_line(lines, at),
            key=_key_text(at),
        )

    instance = error.instance
    if error.validator == "additionalProperties" and isinstance(instance, dict):
        allowed = list(node.get("properties") or {})
        out = []
        for extra in [k for k in instance if k not in allowed]:
            close = difflib.get_close_matches(str(extra), allowed, n=1, cutoff=0.6)
            hint = f" (vouliez-vous dire « {close[0]} » ?)" if close else ""
            at = (*path, extra)
            expected = "l'une des clés : " + ", ".join(allowed)
            shown = (*path, close[0]) if close else path
            out.append(
                Issue(
                    file,
                    f"la clé inconnue « {extra} »{hint}, qui serait ignorée",
                    expected + _example(shown, node),
                    line=_line(lines, at),
                    key=_key_text(at),
                )
            )
        return out
    if error.validator == "required" and isinstance(instance, dict):
        missing = [k for k in error.validator_value if k not in instance]
        return [issue(f"aucune clé « {k} »") for k in missing[:1]]
    if error.validator == "propertyNames":
        return [issue(f"la clé {quote(instance)}")]
    if error.validator == "minProperties":
        return [issue("une rubrique vide")]
    if error.validator == "minItems":
        return [issue("une liste vide")]
    return [issue(describe(instance))]


# -- normalisation ------------------------------------------------------------------------------
def _code(value: Any, width: int, report: LoadReport, key: str) -> str:
    """A code as text; a number written without quotes gets its leading zeros back."""
    if isinstance(value, int) and not isinstance(value, bool):
        text = str(value).zfill(width)
        if len(str(value)) < width:
            report.note(
                f"{key} : le code {value} écrit sans guillemets lu « {text} » (zéro initial "
                "rétabli)."
            )
        return text
    return str(value).strip()


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def normalise(data: dict, report: LoadReport | None = None) -> dict:
    """The valid manifest with codes as text and list-or-one keys as lists where the loaders
    expect lists (departements, filosofi, populations_legales)."""
    report = report if report is not None else LoadReport("Manifeste", MANIFEST_NAME)
    out = dict(data)
    if "departements" in out:
        out["departements"] = [
            _code(d, 2, report, "departements") for d in _as_list(out["departements"])
        ]
    files = dict(out.get("fichiers") or {})
    for key in ("filosofi", "populations_legales"):
        if key in files:
            files[key] = _as_list(files[key])
    if "accueils_mineurs" in files:
        files["accueils_mineurs"] = [
            {**spec, "departement": _code(spec["departement"], 2, report, "accueils_mineurs")}
            for spec in _as_list(files["accueils_mineurs"])
        ]
    out["fichiers"] = files
    if "perimetres" in out:
        out["perimetres"] = {
            str(code): {
                **spec,
                "communes": [_code(c, 5, report, f"perimetres → {code}") for c in spec["communes"]],
            }
            for code, spec in (out["perimetres"] or {}).items()
        }
    if isinstance(out.get("competence_sppe"), dict):
        out["competence_sppe"] = {
            str(epci): (
                communes
                if isinstance(communes, str)
                else [_code(c, 5, report, f"competence_sppe → {epci}") for c in communes]
            )
            for epci, communes in out["competence_sppe"].items()
        }
    spec = files.get("contours")
    if isinstance(spec, dict) and spec.get("fusions"):
        spec = dict(spec)
        spec["fusions"] = {
            str(old): _code(new, 5, report, "contours → fusions")
            for old, new in spec["fusions"].items()
        }
        files["contours"] = spec
    return out


# -- the files a manifest names -----------------------------------------------------------------
def _ref(value: Any) -> FileRef | None:
    if isinstance(value, str):
        return FileRef(value)
    if isinstance(value, dict) and isinstance(value.get("fichier"), str):
        sep = value.get("separateur")
        return FileRef(
            value["fichier"],
            value.get("encodage"),
            "\t" if sep == "tabulation" else sep,
            value.get("confidentiel") is True,
        )
    return None


def confidential_paths(manifest: dict, folder: Path) -> set[Path]:
    """Resolved paths of the files a (valid) manifest marks ``confidentiel: true``."""
    return {(Path(folder) / r.name).resolve() for r in file_refs(manifest) if r.confidential}


def mentions(paths: set[Path], *values: Any) -> bool:
    """Whether loader arguments (paths, or lists, tuples and dicts of them) name one of
    ``paths`` (resolved)."""
    for value in values:
        if isinstance(value, Path) and value.resolve() in paths:
            return True
        items = value.values() if isinstance(value, dict) else value
        if isinstance(value, list | tuple | dict) and mentions(paths, *items):
            return True
    return False


def file_ref(value: Any) -> FileRef:
    """The :class:`FileRef` of one file entry (a name, or ``{fichier: …, encodage: …}``)."""
    ref = _ref(value)
    if ref is None:
        raise TypeError(f"not a file entry: {value!r}")
    return ref


def file_refs(manifest: dict) -> list[FileRef]:
    """Every file named by a (valid) manifest, in the order of its keys."""
    files = manifest.get("fichiers") or {}
    out: list[FileRef] = []

    def add(value: Any) -> None:
        for item in _as_list(value):
            ref = _ref(item)
            if ref is not None:
                out.append(ref)

    for key, value in files.items():
        if key == "filosofi":
            for pair in _as_list(value):
                for part in ("disp", "pauvres"):
                    add((pair or {}).get(part))
        elif key == "petite_enfance":
            for kind in ("taux", "places"):
                for level_files in ((value or {}).get(kind) or {}).values():
                    add(level_files)
        else:
            add(value)
    return out
