"""Writing output files safely: a checked target path, then a temporary file renamed onto it.

Owns the « nothing lost » rule for every writer of the library (exports, plan workbook,
scenario files, batch outputs): an output is written next to its target and renamed only once
complete, and an existing file is replaced only when the caller says so.

Layer: core. Imports only :mod:`territoire_lib.errors`.

Layer « socle »: imports its own layer (errors).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from .errors import TerritoireError

_UMASK: list[int] = []


def usual_mode() -> int:
    """The permissions a new file gets from the process umask (read once, then cached)."""
    if not _UMASK:
        current = os.umask(0o022)
        os.umask(current)
        _UMASK.append(current)
    return 0o666 & ~_UMASK[0]


def output_path(path: str | Path, suffix: str, overwrite: bool) -> Path:
    """Check an output path chosen by the user: its extension, its folder, an existing file."""
    path = Path(path)
    if path.suffix.lower() != suffix:
        raise TerritoireError(
            f"Nom de fichier « {path.name} » inattendu : attendu un fichier {suffix}."
        )
    if path.exists() and not overwrite:
        raise TerritoireError(
            f"Le fichier « {path} » existe déjà : il n'est pas remplacé. Choisissez un autre "
            "nom ou supprimez-le d'abord."
        )
    if not path.parent.exists():
        raise TerritoireError(f"Le dossier « {path.parent} » n'existe pas.")
    return path


@contextlib.contextmanager
def atomic_path(path: Path):
    """Yield a temporary path next to ``path``; rename it onto ``path`` on success, with the
    permissions of any new file (:func:`usual_mode`, not mkstemp's owner-only 0600)."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, usual_mode())  # the writer may have replaced the file: set it last
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, usual_mode())  # mkstemp makes 0600 files; outputs are shared
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
