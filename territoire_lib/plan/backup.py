"""Backing up the plan database (``territoire plan sauvegarder F``): a consistent copy taken
while others may be writing.

* SQLite: SQLite's online backup API (:meth:`sqlite3.Connection.backup`) copies the database
  as one snapshot, the changes still in its ``-wal`` log included. The copy is a single
  self-contained file (journal mode ``DELETE``: no ``-wal`` beside it), checked
  (``PRAGMA quick_check``), that ``--base F`` opens as it is.
* PostgreSQL: ``pg_dump`` in its custom format (``pg_restore`` reads it back); the password
  of the URL goes through ``PGPASSWORD``, never on the command line. A missing ``pg_dump`` is
  a French error saying which package to install.

The copy is written to a temporary file next to the target, then renamed; an existing file is
replaced only when asked.

Layer: base partagée (``plan``). Imports the socle (``files``, ``french``), and within ``plan``
:mod:`.db` and :mod:`.errors`.
"""

from __future__ import annotations

import glob
import os
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from ..files import atomic_path, usual_mode
from . import db
from .errors import DatabaseError

PG_DUMP_GLOB = "/usr/lib/postgresql/*/bin/pg_dump"  # Debian / Ubuntu server packages
COUNTED = (("ctg", "CTG"), ("fiche", "fiches"), ("audit_entry", "lignes d'historique"))


@dataclass(frozen=True)
class Backup:
    """What :func:`backup_database` wrote."""

    path: Path
    size: int
    kind: str  # "sqlite" or "pg_dump"
    counts: dict[str, int]

    def french(self) -> str:
        from ..french import number

        size = (
            f"{number(self.size / 1024 / 1024, 1)} Mo"
            if self.size >= 1024 * 1024
            else f"{number(self.size / 1024, 0)} Ko"
        )
        what = " ; ".join(f"{number(n, 0)} {label}" for label, n in self.counts.items())
        if self.kind == "sqlite":
            reuse = f"Pour l'utiliser : --base {self.path} (ou copiez-le à la place de la base)."
        else:
            reuse = (
                f"Pour la restaurer dans une base vide : pg_restore --no-owner --dbname "
                f"postgresql://…/base {self.path}"
            )
        return (
            f"Sauvegarde écrite dans « {self.path} » ({size}"
            + (f" ; {what}" if what else "")
            + f"). {reuse}"
        )


def _target(path: str | os.PathLike, overwrite: bool) -> Path:
    target = Path(path).expanduser()
    if target.is_dir():
        raise DatabaseError(f"« {target} » est un dossier : indiquez le nom du fichier à écrire.")
    if target.exists() and not overwrite:
        raise DatabaseError(
            f"Le fichier « {target} » existe déjà : il n'est pas remplacé. Choisissez un autre "
            "nom, ou ajoutez --ecraser pour le remplacer."
        )
    if not target.parent.is_dir():
        raise DatabaseError(f"Le dossier « {target.parent} » n'existe pas.")
    return target


def backup_database(
    path: str | os.PathLike,
    url: str | os.PathLike | None = None,
    *,
    engine=None,
    overwrite: bool = False,
) -> Backup:
    """Write a consistent copy of the plan database (``url``, ``engine``, else
    ``$TERRITOIRE_DB`` or the default SQLite file) to ``path``; see the module docstring."""
    engine = engine or db.get_engine(url)
    target = _target(path, overwrite)
    if db.is_sqlite(engine):
        return _backup_sqlite(engine, target)
    return _backup_postgresql(engine, target)


# -- SQLite ---------------------------------------------------------------------------------------
def _backup_sqlite(engine, target: Path) -> Backup:
    source = Path(engine.url.database or "")
    if not source.is_file():
        raise DatabaseError(f"La base « {source} » n'existe pas : rien à sauvegarder.")
    if target.resolve() == source.resolve():
        raise DatabaseError(
            f"« {target} » est la base elle-même : choisissez un autre fichier pour la copie."
        )
    counts: dict[str, int] = {}
    with atomic_path(target) as tmp:
        try:
            src = sqlite3.connect(source, timeout=db.SQLITE_BUSY_TIMEOUT_MS / 1000)
            try:
                dst = sqlite3.connect(tmp)
                try:
                    src.backup(dst)  # one step: a single consistent snapshot
                    dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
                    check = dst.execute("PRAGMA quick_check").fetchone()[0]
                    if check != "ok":
                        raise DatabaseError(
                            f"La copie de la base « {source} » est incohérente ({check}) : la "
                            "base elle-même est peut-être abîmée. Rien n'a été écrit."
                        )
                    tables = {r[0] for r in dst.execute("SELECT name FROM sqlite_master")}
                    for table, label in COUNTED:
                        if table in tables:
                            counts[label] = dst.execute(f"SELECT count(*) FROM {table}").fetchone()[
                                0
                            ]
                finally:
                    dst.close()
            finally:
                src.close()
        except sqlite3.Error as exc:
            raise DatabaseError(
                f"Sauvegarde impossible de la base « {source} » : "
                + (
                    "elle est occupée par un autre enregistrement ; réessayez dans un instant."
                    if "locked" in str(exc).lower() or "busy" in str(exc).lower()
                    else f"elle n'est pas lisible comme base SQLite ({exc})."
                )
            ) from None
        os.chmod(tmp, usual_mode())
    return Backup(target, target.stat().st_size, "sqlite", counts)


# -- PostgreSQL -----------------------------------------------------------------------------------
def find_pg_dump() -> str | None:
    """``pg_dump`` on the PATH, else the newest one of Debian's server packages."""
    found = shutil.which("pg_dump")
    if found:
        return found
    versions = sorted(
        glob.glob(PG_DUMP_GLOB),
        key=lambda p: [int(x) for x in Path(p).parts[-3].split(".") if x.isdigit()],
    )
    return versions[-1] if versions else None


def _backup_postgresql(engine, target: Path) -> Backup:
    exe = find_pg_dump()
    shown = db.display_url(engine.url.render_as_string(hide_password=False))
    if exe is None:
        raise DatabaseError(
            f"Sauvegarde impossible de la base « {shown} » : la commande pg_dump est "
            "introuvable. Installez les outils clients de PostgreSQL (paquet « postgresql-client »"
            " sous Debian ou Ubuntu, de la version du serveur ou plus récente), puis relancez ; "
            "ou demandez la sauvegarde au service informatique."
        )
    url = engine.url
    plain = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    with atomic_path(target) as tmp:
        try:
            counts, done = _pg_dump(engine, exe, plain, env, tmp)
        except DBAPIError as exc:
            raise db._unreachable(engine, exc) from None
        except OSError as exc:
            raise DatabaseError(
                f"Sauvegarde impossible de la base « {shown} » : pg_dump ne démarre pas "
                f"({exc.strerror})."
            ) from None
        if done.returncode != 0:
            lines = [x for x in (done.stderr or "").strip().splitlines() if x.strip()]
            detail = lines[0] if lines else f"code de sortie {done.returncode}"
            raise DatabaseError(
                f"Sauvegarde impossible de la base « {shown} » : pg_dump a échoué. Vérifiez que "
                "le serveur est accessible et que la version de pg_dump est au moins celle du "
                f"serveur. Détail technique, pour le service informatique : {detail}"
            )
        os.chmod(tmp, usual_mode())
    return Backup(target, target.stat().st_size, "pg_dump", counts)


def _pg_dump(engine, exe: str, plain: str, env: dict, tmp: Path):
    """Run pg_dump on the snapshot of a transaction of ours: the counts are the dump's."""
    with engine.connect() as conn:
        conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            snapshot = conn.execute(text("SELECT pg_export_snapshot()")).scalar()
            counts = _counts(conn)
            done = subprocess.run(
                [exe, "--format=custom", "--no-owner", f"--snapshot={snapshot}",
                 "--file", str(tmp), "--dbname", plain],
                env=env, capture_output=True, text=True, check=False,
            )  # fmt: skip
    return counts, done


def _counts(conn) -> dict[str, int]:
    tables = set(inspect(conn).get_table_names())
    return {
        label: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()
        for table, label in COUNTED
        if table in tables
    }
