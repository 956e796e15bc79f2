"""Limits on what is read from a user's files: size caps, regular files only, paths confined to
their folder.

Owns the « hostile input » rules shared by every reader of the library:

* :func:`size_limit` — the cap on one file read: ``données`` files (CSV, XLSX, GeoJSON) up to
  :data:`DEFAULT_DATA_LIMIT` (2 Go), YAML documents written by hand (scenarios, manifests,
  parameters, the indicator catalogue) up to :data:`DEFAULT_YAML_LIMIT` (1 Mo); the
  environment variables ``TERRITOIRE_TAILLE_MAX`` and ``TERRITOIRE_TAILLE_MAX_YAML`` change
  them (« 4G », « 500 Mo », « 2000000 »);
* :func:`read_bounded` — the bytes of a file: a device (``/dev/zero``), a pipe or a folder is
  refused before anything is read, and a file over the cap is refused from its size, never
  read into memory;
* :func:`check_regular` — the same checks without reading (for readers that open the file
  themselves, such as openpyxl);
* :func:`confine` — a file name taken from a manifest, resolved inside the manifest's folder:
  an absolute path, a path climbing out with ``..`` or a symbolic link leading out of the
  folder is refused.

Every refusal is a French :class:`~territoire_lib.errors.DataError`; none ever shows the
content of the file concerned.

Layer « socle »: imports its own layer (errors, french).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path, PurePosixPath, PureWindowsPath

from .errors import DataError, Issue, TerritoireError
from .french import number

DATA = "donnees"
YAML = "yaml"
DEFAULT_DATA_LIMIT = 2 * 1024**3  # 2 Go: a national Insee or Cafdata file is far smaller
DEFAULT_YAML_LIMIT = 1024**2  # 1 Mo: the indicator catalogue, the largest YAML, is 33 Ko
ENV = {DATA: "TERRITOIRE_TAILLE_MAX", YAML: "TERRITOIRE_TAILLE_MAX_YAML"}
DEFAULTS = {DATA: DEFAULT_DATA_LIMIT, YAML: DEFAULT_YAML_LIMIT}
_UNITS = {"": 1, "o": 1, "k": 1024, "ko": 1024, "m": 1024**2, "mo": 1024**2, "g": 1024**3}
_UNITS.update({"go": 1024**3, "t": 1024**4, "to": 1024**4, "b": 1, "kb": 1024, "mb": 1024**2})
_UNITS.update({"gb": 1024**3})
_SIZE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*([a-zA-Z]*)\s*$")


def size_text(size: int) -> str:
    """A size in bytes, in French (« 2 Go », « 1 Mo », « 3,5 Ko », « 812 octets »)."""
    for unit, factor in (("Go", 1024**3), ("Mo", 1024**2), ("Ko", 1024)):
        if size >= factor:
            value = size / factor
            return f"{number(value, 0 if value == int(value) else 1)} {unit}"
    return f"{number(size)} octet{'s' if size > 1 else ''}"


def parse_size(text: str, variable: str) -> int:
    """« 4G », « 500 Mo », « 2000000 » → bytes; a French error naming the variable else."""
    match = _SIZE.match(str(text))
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise TerritoireError(
            f"Variable d'environnement {variable} : « {text} » n'est pas une taille. Attendu un "
            "nombre d'octets, ou un nombre suivi de Ko, Mo ou Go (ex. « 4G », « 500 Mo »)."
        )
    size = int(float(match.group(1).replace(",", ".")) * _UNITS[unit])
    if size <= 0:
        raise TerritoireError(
            f"Variable d'environnement {variable} : « {text} » ; attendu une taille positive."
        )
    return size


def size_limit(kind: str = DATA) -> int:
    """The cap in bytes on one file of this kind (:data:`DATA` or :data:`YAML`), read from
    its environment variable at each call (a test or a server may change it)."""
    raw = os.environ.get(ENV[kind], "").strip()
    return parse_size(raw, ENV[kind]) if raw else DEFAULTS[kind]


def _too_big(name: str, size: int, limit: int, kind: str) -> DataError:
    return DataError(
        Issue(
            name,
            f"un fichier de {size_text(size)}, au-delà de la taille maximale lue "
            f"({size_text(limit)})",
            f"un fichier de {size_text(limit)} au plus ; pour lire un fichier plus gros, "
            f"relevez la limite : variable d'environnement {ENV[kind]} (ex. "
            f"{ENV[kind]}={'4G' if kind == DATA else '5M'})",
        )
    )


def _not_regular(name: str, mode: int) -> DataError:
    if stat.S_ISDIR(mode):
        what = "un dossier"
    elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        what = "un périphérique (comme /dev/zero)"
    elif stat.S_ISFIFO(mode):
        what = "un tube nommé (FIFO)"
    elif stat.S_ISSOCK(mode):
        what = "une socket"
    else:
        what = "un objet qui n'est pas un fichier"
    return DataError(Issue(name, f"{what}, pas un fichier ordinaire", "un fichier ordinaire"))


def _missing(name: str) -> DataError:
    return DataError(Issue(name, "aucun fichier à cet emplacement", "un fichier lisible"))


def check_regular(path: str | Path, kind: str = DATA, name: str | None = None) -> int:
    """Refuse (French :class:`DataError`) a path that is not a regular file or that is over
    the cap of ``kind``; return its size. Nothing is read."""
    path = Path(path)
    name = name or path.name
    try:
        info = path.stat()
    except FileNotFoundError:
        raise _missing(name) from None
    except OSError as exc:
        raise DataError(
            Issue(
                name,
                f"un fichier illisible ({exc.strerror or 'accès refusé'})",
                "un fichier lisible",
            )
        ) from None
    if not stat.S_ISREG(info.st_mode):
        raise _not_regular(name, info.st_mode)
    limit = size_limit(kind)
    if info.st_size > limit:
        raise _too_big(name, info.st_size, limit, kind)
    return info.st_size


def read_bounded(path: str | Path, kind: str = DATA, name: str | None = None) -> bytes:
    """The bytes of a regular file of at most :func:`size_limit` bytes (French
    :class:`DataError` else). The file is opened without blocking (a FIFO never hangs) and
    checked on the open descriptor, so that what is read is what was checked."""
    path = Path(path)
    name = name or path.name
    limit = size_limit(kind)
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        raise _missing(name) from None
    except IsADirectoryError:
        raise _not_regular(name, stat.S_IFDIR) from None
    except OSError as exc:
        raise DataError(
            Issue(
                name,
                f"un fichier illisible ({exc.strerror or 'accès refusé'})",
                "un fichier lisible",
            )
        ) from None
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            raise _not_regular(name, info.st_mode)
        if info.st_size > limit:
            raise _too_big(name, info.st_size, limit, kind)
        data = handle.read(limit + 1)
    if len(data) > limit:  # the file grew while it was read
        raise _too_big(name, len(data), limit, kind)
    return data


def read_text_bounded(path: str | Path, kind: str = YAML, name: str | None = None) -> str:
    """A UTF-8 text file read with :func:`read_bounded` (a BOM is dropped); a byte that is
    not UTF-8 is a French error with its line."""
    raw = read_bounded(path, kind, name)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DataError(
            Issue(
                name or Path(path).name,
                f"un octet 0x{raw[exc.start : exc.start + 1].hex().upper()} qui n'est pas de "
                "l'UTF-8",
                "un fichier texte encodé en UTF-8",
                line=raw.count(b"\n", 0, exc.start) + 1,
            )
        ) from None


class OutsideFolder(TerritoireError):
    """A manifest's file name that leads out of its folder; ``found`` says how, in French
    (the caller makes the issue, with the manifest's key and line)."""

    def __init__(self, found: str):
        self.found = found
        super().__init__(found)


def confine(folder: str | Path, name: str) -> Path:
    """The path of ``name`` (a file name written in a manifest) inside ``folder``.

    Raises :class:`OutsideFolder` for an absolute path, a path climbing out with ``..``, or
    a symbolic link (the file or a folder on its way) leading out of the folder. A path that
    does not exist is returned as is (the caller reports the missing file)."""
    text = str(name)
    if (
        PurePosixPath(text).is_absolute()
        or PureWindowsPath(text).is_absolute()
        or PureWindowsPath(text).drive
        or text.startswith("~")
    ):
        raise OutsideFolder(f"le chemin absolu « {text} », hors du dossier des données")
    if ".." in re.split(r"[\\/]", text):
        raise OutsideFolder(
            f"le chemin « {text} », qui remonte hors du dossier des données (« .. »)"
        )
    root = Path(folder).resolve()
    path = Path(folder) / text
    try:
        resolved = path.resolve()
    except (OSError, RuntimeError):  # a loop of symbolic links
        raise OutsideFolder(f"le lien symbolique « {text} », qui boucle sur lui-même") from None
    if resolved != root and root not in resolved.parents:
        raise OutsideFolder(f"le lien symbolique « {text} », qui mène hors du dossier des données")
    return path


def check_archive(path: str | Path, kind: str = DATA, name: str | None = None) -> None:
    """Refuse a zip container (an ``.xlsx`` workbook) whose members would unpack to more than
    the cap of ``kind`` (a « zip bomb »), from the sizes its directory declares (Python's
    :mod:`zipfile` never reads a member past its declared size). Not a zip: left to the
    reader, which says so in French."""
    import zipfile

    path = Path(path)
    name = name or path.name
    limit = size_limit(kind)
    try:
        with zipfile.ZipFile(path) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError):
        return
    if total > limit:
        raise DataError(
            Issue(
                name,
                f"un classeur qui, décompressé, ferait {size_text(total)} (au-delà de la taille "
                f"maximale lue, {size_text(limit)})",
                f"un classeur de {size_text(limit)} au plus une fois décompressé (variable "
                f"d'environnement {ENV[kind]} pour relever la limite)",
            )
        )


def gunzip_bounded(data: bytes, name: str, kind: str = DATA) -> bytes:
    """Decompress gzip ``data``, refusing (French :class:`DataError`) an output over the cap
    of ``kind`` without ever holding more than the cap in memory. ``OSError``/``EOFError``
    for bytes that are not gzip, as :func:`gzip.decompress` does."""
    import zlib

    limit = size_limit(kind)
    inflater = zlib.decompressobj(wbits=31)
    try:
        out = inflater.decompress(data, limit + 1)
    except zlib.error as exc:
        raise OSError(str(exc)) from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise DataError(
            Issue(
                name,
                f"un fichier compressé qui, décompressé, dépasse la taille maximale lue "
                f"({size_text(limit)})",
                f"un fichier de {size_text(limit)} au plus une fois décompressé (variable "
                f"d'environnement {ENV[kind]} pour relever la limite)",
            )
        )
    if not inflater.eof:
        raise EOFError("gzip stream truncated")
    return out
