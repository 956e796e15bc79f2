"""The shared plan database under contention and at rest: a busy SQLite file gives a French
message (no SQL, no parameters), committed changes are in the ``.sqlite`` file itself (not only
in its ``-wal``), ``territoire plan sauvegarder`` writes a consistent copy (SQLite backup API,
pg_dump), and the schema is checked once per process without Alembic when it is up to date."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from territoire_lib.cli import main
from territoire_lib.plan import backup, db, excel, service
from territoire_lib.plan.errors import BusyError, DatabaseError

REPO = Path(__file__).resolve().parents[2]
SQL_WORDS = ("UPDATE ", "INSERT ", "SELECT ", "[SQL", "parameters", "Traceback", "sqlalchemy")


@pytest.fixture
def sqlite_plan(plan_sqlite_url, plan_sample):
    """A SQLite plan database holding the sample plan (1 CTG, 2 fiches)."""
    engine = db.open_database(plan_sqlite_url)
    with db.session_scope(engine=engine, user="claire") as s:
        service.import_document(s, plan_sample, "claire")
    return Path(plan_sqlite_url)


def _fiches_in(path: Path) -> list[tuple[str, str]]:
    """(code, pilot) of the fiches of a SQLite file, read by the sqlite3 module alone."""
    conn = sqlite3.connect(path)
    try:
        return conn.execute("SELECT code, pilot FROM fiche ORDER BY code").fetchall()
    finally:
        conn.close()


# -- a busy database ------------------------------------------------------------------------------
def test_a_busy_sqlite_file_is_a_french_message(sqlite_plan, tmp_path, monkeypatch, capsys):
    """Another program holds the write lock longer than the wait: the import says so in French,
    names the file, shows no SQL and saves nothing."""
    engine = db.get_engine(sqlite_plan)
    book = excel.export_plan("CTG-TEST", tmp_path / "plan.xlsx", engine=engine)
    db.dispose_engines()
    monkeypatch.setattr(db, "SQLITE_BUSY_TIMEOUT_MS", 300)  # instead of 30 s
    from openpyxl import load_workbook

    wb = load_workbook(book)
    ws = wb["Axes et fiches"]
    headers = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[headers.index("Fiche")].value == "1.1")
    row[headers.index("Pilote")].value = "Association"
    wb.save(book)
    holder = sqlite3.connect(sqlite_plan, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the write lock, kept
    try:
        argv = ["plan", "importer", str(book), "--mettre-a-jour", "--source", "demo"]
        code = main([*argv, "--base", str(sqlite_plan)])
        out, err = capsys.readouterr()
        with pytest.raises(BusyError) as busy, db.session_scope(sqlite_plan, user="bob") as s:
            fiche = service.get_fiche(s, service.get_ctg(s, "CTG-TEST"), "1.1")
            service.save_fiche(s, fiche, {"pilot": "Mairie"}, fiche.version, "bob")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert code == 1
    assert err.startswith(f"Erreur : La base de données « {sqlite_plan} » est occupée par un ")
    assert "rien n'a été enregistré" in err
    assert not any(w in out + err for w in SQL_WORDS), err
    assert str(busy.value).startswith("La base de données « ")
    assert not any(w in str(busy.value) for w in SQL_WORDS)
    # nothing saved: fiche 1.1 still has the sample's pilot
    assert _fiches_in(sqlite_plan)[0] == ("1.1", "Commune de Montrevaux")


def test_a_file_that_is_not_a_database_is_a_french_message(tmp_path, capsys):
    notes = tmp_path / "notes.sqlite"
    notes.write_text("Compte rendu du comité de pilotage\n" * 200, encoding="utf-8")
    assert main(["plan", "historique", "--base", str(notes)]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"Erreur : La base de données « {notes} » ")
    assert "Détail technique, pour le service informatique : file is not a database" in err
    assert not any(w in err for w in SQL_WORDS), err
    assert notes.read_text(encoding="utf-8").startswith("Compte rendu")  # left as it was


# -- the write-ahead log ---------------------------------------------------------------------------
def test_after_a_command_the_sqlite_file_alone_holds_everything(tmp_path):
    """``territoire plan importer`` in its own process: when it ends, no change is left in
    the ``-wal``; the ``.sqlite`` copied alone (as one e-mails it) holds the plan."""
    base = tmp_path / "plan.sqlite"
    done = subprocess.run(
        [sys.executable, "-m", "territoire_lib", "plan", "importer",
         str(REPO / "data" / "ctg" / "ctg_demo_valmont.xlsx"), "--source", "demo",
         "--base", str(base)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    wal = base.with_name(base.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    alone = tmp_path / "copie" / "plan.sqlite"
    alone.parent.mkdir()
    shutil.copyfile(base, alone)  # the file only, no -wal
    fiches = _fiches_in(alone)
    # the demo CTG: 3 axes, 12 fiches (« territoire plan demo »)
    assert len(fiches) == 12


def test_a_dashboard_keeping_the_database_open_leaves_the_file_up_to_date(sqlite_plan, tmp_path):
    """Same process, engine still open (a dashboard): after each commit that wrote, the log is
    copied into the file, so a copy of the file alone already has the change."""
    engine = db.get_engine(sqlite_plan)
    with db.session_scope(engine=engine, user="alice") as s:
        fiche = service.get_fiche(s, service.get_ctg(s, "CTG-TEST"), "2.1")
        service.save_fiche(s, fiche, {"pilot": "Caf"}, fiche.version, "alice")
    alone = tmp_path / "alone.sqlite"
    shutil.copyfile(sqlite_plan, alone)
    assert dict(_fiches_in(alone))["2.1"] == "Caf"


def test_dispose_empties_the_log(sqlite_plan):
    wal = sqlite_plan.with_name(sqlite_plan.name + "-wal")
    db.dispose_engines()
    assert not wal.exists() or wal.stat().st_size == 0


# -- territoire plan sauvegarder ---------------------------------------------------------------------
def test_backup_of_a_sqlite_database_in_use(sqlite_plan, tmp_path, capsys):
    """A change committed, another one in progress in a second connection: the copy has the
    first, not the second; it is one file (no -wal beside it) that --base opens."""
    engine = db.get_engine(sqlite_plan)
    with db.session_scope(engine=engine, user="alice") as s:
        fiche = service.get_fiche(s, service.get_ctg(s, "CTG-TEST"), "1.1")
        service.save_fiche(s, fiche, {"pilot": "Caf"}, fiche.version, "alice")
    writer = sqlite3.connect(sqlite_plan, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("UPDATE fiche SET pilot = 'en cours' WHERE code = '2.1'")
    try:
        target = tmp_path / "sauvegarde.sqlite"
        assert main(["plan", "sauvegarder", str(target), "--base", str(sqlite_plan)]) == 0
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    out = capsys.readouterr().out
    # the sample plan: 1 CTG, 2 fiches
    assert f"Sauvegarde écrite dans « {target} »" in out
    assert "1 CTG ; 2 fiches ;" in out
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("sauvegarde")) == [
        "sauvegarde.sqlite"
    ]
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    conn.close()
    assert _fiches_in(target) == [("1.1", "Caf"), ("2.1", "")]
    # the copy is a plan database as it is
    assert main(["plan", "exporter", str(tmp_path / "copie.xlsx"), "--base", str(target)]) == 0
    # an existing file is kept unless asked
    assert main(["plan", "sauvegarder", str(target), "--base", str(sqlite_plan)]) == 1
    err = capsys.readouterr().err
    assert "existe déjà : il n'est pas remplacé" in err and "--ecraser" in err
    assert main(["plan", "sauvegarder", str(target), "--ecraser", "--base", str(sqlite_plan)]) == 0


def test_backup_errors_are_french(sqlite_plan, tmp_path, capsys):
    missing = tmp_path / "absente.sqlite"
    assert main(["plan", "sauvegarder", str(tmp_path / "x.sqlite"), "--base", str(missing)]) == 1
    assert "n'existe pas : rien à sauvegarder" in capsys.readouterr().err
    assert not missing.exists()  # asking never creates an empty database
    assert main(["plan", "sauvegarder", str(sqlite_plan), "--ecraser", "--base", str(sqlite_plan)])
    assert "est la base elle-même" in capsys.readouterr().err
    nowhere = tmp_path / "absent" / "x.sqlite"
    assert main(["plan", "sauvegarder", str(nowhere), "--base", str(sqlite_plan)]) == 1
    assert f"Le dossier « {nowhere.parent} » n'existe pas." in capsys.readouterr().err


def test_backup_of_a_postgresql_database(plan_pg_url, plan_pg_server, plan_sample, tmp_path):
    """pg_dump's archive, restored with pg_restore into an empty database, gives the same plan."""
    import uuid

    from sqlalchemy.engine import make_url

    from tests.unit.conftest import _admin

    engine = db.open_database(plan_pg_url)
    with db.session_scope(engine=engine, user="claire") as s:
        service.import_document(s, plan_sample, "claire")
    target = tmp_path / "plan.dump"
    done = backup.backup_database(target, engine=engine)
    assert done.kind == "pg_dump" and target.read_bytes()[:5] == b"PGDMP"
    assert done.counts == {
        "CTG": 1,
        "fiches": 2,
        "lignes d'historique": done.counts["lignes d'historique"],
    }
    assert "Sauvegarde écrite dans" in done.french() and "pg_restore" in done.french()
    name = f"plan_restore_{uuid.uuid4().hex[:10]}"
    with _admin(plan_pg_server) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    restored = make_url(db.database_url(plan_pg_url)).set(database=name)
    plain = restored.set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        pg_restore = Path(backup.find_pg_dump()).with_name("pg_restore")
        subprocess.run(
            [str(pg_restore), "--no-owner", "--dbname", plain, str(target)],
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        copy = db.open_database(restored.render_as_string(hide_password=False))
        with db.session_scope(engine=engine) as s1, db.session_scope(engine=copy) as s2:
            assert service.plan_document(s2) == service.plan_document(s1)
    finally:
        db.dispose_engines()
        with _admin(plan_pg_server) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_missing_pg_dump_is_a_french_error(plan_pg_url, tmp_path, monkeypatch):
    engine = db.open_database(plan_pg_url)
    monkeypatch.setattr(backup, "find_pg_dump", lambda: None)
    with pytest.raises(DatabaseError) as err:
        backup.backup_database(tmp_path / "plan.dump", engine=engine)
    assert "la commande pg_dump est introuvable" in str(err.value)
    assert "postgresql-client" in str(err.value)
    assert not (tmp_path / "plan.dump").exists()


# -- opening: the schema checked once, cheaply ------------------------------------------------------
def test_schema_checked_once_per_process(plan_db_url, monkeypatch):
    calls = []
    real = db.stored_revision
    monkeypatch.setattr(db, "stored_revision", lambda e: calls.append(1) or real(e))
    db.open_database(plan_db_url)  # empty: migrated
    db.open_database(plan_db_url)
    db.open_database(plan_db_url)
    assert len(calls) == 1
    # the cheap reads agree with Alembic's
    engine = db.get_engine(plan_db_url)
    assert db.stored_revision(engine) == db.current_revision(engine) == "0001"
    assert db.script_head() == db.head_revision() == "0001"


def test_an_up_to_date_database_opens_without_alembic(sqlite_plan):
    db.dispose_engines()
    code = (
        "import sys\nfrom territoire_lib.plan import db\n"
        f"db.open_database({str(sqlite_plan)!r})\n"
        "print('alembic' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    assert done.stdout.strip() == "False", done.stderr


def test_an_old_schema_is_still_upgraded(plan_sqlite_url):
    """A database whose recorded revision is not the newest script goes through Alembic."""
    engine = db.open_database(plan_sqlite_url)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = '9999'")
    db.dispose_engines()
    with pytest.raises(DatabaseError, match="n'est pas au format attendu"):
        db.open_database(plan_sqlite_url)


# -- the words of each failure ------------------------------------------------------------------------
def test_each_database_failure_has_its_french_words():
    """Built as SQLAlchemy raises them (statement and parameters attached): the message never
    shows them, and says what happened."""
    from sqlalchemy.exc import IntegrityError, OperationalError
    from sqlalchemy.orm.exc import StaleDataError

    from territoire_lib.plan.conflicts import database_error, is_busy, is_race
    from territoire_lib.plan.errors import ConcurrentWriteError

    statement = "UPDATE fiche SET pilot=? WHERE fiche.id = ? AND fiche.version = ?"
    params = ("Caf secrète", 7, 3)

    def wrapped(kind, orig):
        return kind(statement, params, orig)

    cases = [
        (StaleDataError("UPDATE statement on table 'fiche' expected to update 1 row(s)"),
         ConcurrentWriteError, "au même moment"),
        (wrapped(IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed: ctg.code")),
         ConcurrentWriteError, "au même moment"),
        (wrapped(OperationalError, sqlite3.OperationalError("database is locked")),
         BusyError, "est occupée par un autre enregistrement"),
        (wrapped(IntegrityError, sqlite3.IntegrityError("NOT NULL constraint failed: fiche.title")),
         DatabaseError, "Détail technique, pour le service informatique : NOT NULL constraint"),
        (wrapped(OperationalError, sqlite3.OperationalError("disk I/O error")),
         DatabaseError, "Détail technique, pour le service informatique : disk I/O error"),
    ]  # fmt: skip
    for exc, kind, words in cases:
        error = database_error(exc, "/srv/ctg/plan.sqlite")
        assert type(error) is kind, exc
        message = str(error)
        assert message.startswith("La base de données « /srv/ctg/plan.sqlite » ") or (
            message.startswith("Une autre personne a enregistré dans la base « /srv/ctg/")
        )
        assert words in message
        assert "UPDATE" not in message and "Caf secrète" not in message and "?" not in message
    assert is_race(cases[1][0]) and not is_race(cases[3][0]) and is_busy(cases[2][0])
