"""Two people saving the same fiche at once never silently overwrite each other — on SQLite
and on a real PostgreSQL server: the second gets a French message naming the fiche and who
saved first, and both versions are kept. The same holds for whole imports racing each other,
in threads (the lost one is run again) and in real ``territoire plan importer`` processes
released at the same instant: only French messages, never a traceback or SQL."""

from __future__ import annotations

import threading

import pytest

from territoire_lib.plan import db, excel, service
from territoire_lib.plan.models import Fiche


@pytest.fixture
def engine(plan_db_url, plan_sample):
    engine = db.open_database(plan_db_url)
    with db.session_scope(engine=engine, user="claire") as s:
        service.import_document(s, plan_sample, "claire")
    return engine


def _fiche_id(engine, code="1.1") -> int:
    with db.session_scope(engine=engine) as s:
        return service.get_fiche(s, service.get_ctg(s, "CTG-TEST"), code).id


def test_second_save_is_refused_and_both_versions_kept(engine):
    fid = _fiche_id(engine)
    # two sessions load the same fiche, at version 1
    alice_s = db.PlanSession(bind=engine, expire_on_commit=False)
    bob_s = db.PlanSession(bind=engine, expire_on_commit=False)
    alice = service.fiche_spec(alice_s.get(Fiche, fid))
    bob = service.fiche_spec(bob_s.get(Fiche, fid))
    assert alice.version == bob.version == 1
    # both modify; alice saves first
    service.save_fiche(alice_s, fid, {"pilot": "Caf"}, alice.version, "alice")
    with pytest.raises(service.ConflictError) as err:
        service.save_fiche(bob_s, fid, {"pilot": "Commune", "public": "Tous"}, bob.version, "bob")
    alice_s.close()
    bob_s.close()
    message = str(err.value)
    assert message.startswith("Enregistrement refusé pour la fiche « 1.1 — Créer une micro-crèche")
    assert "enregistrée par alice" in message
    assert "vous partiez de la version 1, elle est maintenant à la version 2" in message
    assert "conservées à part (conflit n° 1)" in message
    with db.session_scope(engine=engine) as s:
        fiche = s.get(Fiche, fid)
        assert (fiche.pilot, fiche.public, fiche.version) == ("Caf", "Familles", 2)  # alice's
        (conflict,) = service.fiche_conflicts(s, fiche)
        assert (conflict.user, conflict.saved_by, conflict.expected_version) == ("bob", "alice", 1)
        assert conflict.rejected["pilote"] == "Commune" and conflict.rejected["public"] == "Tous"
        assert conflict.current["pilote"] == "Caf"
        # the refused attempt is in the audit trail too
        trail = service.audit_trail(s, table="fiche_conflict")
        assert list(trail["qui"]) == ["bob"]


def test_orm_edits_lose_the_race_too(engine):
    """Editing the mapped objects directly: the database's version check catches it."""
    fid = _fiche_id(engine)
    s1 = db.PlanSession(bind=engine, expire_on_commit=False, info={"user": "alice"})
    s2 = db.PlanSession(bind=engine, expire_on_commit=False, info={"user": "bob"})
    f1, f2 = s1.get(Fiche, fid), s2.get(Fiche, fid)
    f1.title, f2.title = "Titre d'Alice", "Titre de Bob"
    service.commit(s1)
    with pytest.raises(service.ConflictError, match="enregistrée par"):
        service.commit(s2)
    s1.close()
    s2.close()
    with db.session_scope(engine=engine) as s:
        fiche = s.get(Fiche, fid)
        assert (fiche.title, fiche.version) == ("Titre d'Alice", 2)
        assert service.fiche_conflicts(s, fiche)[0].rejected["intitule"] == "Titre de Bob"


def test_simultaneous_saves_in_threads(engine):
    fid = _fiche_id(engine)
    barrier = threading.Barrier(2)
    results: dict[str, str] = {}

    def save(user: str) -> None:
        session = db.PlanSession(bind=engine, expire_on_commit=False)
        try:
            version = service.fiche_spec(session.get(Fiche, fid)).version
            barrier.wait(timeout=10)  # both read version 1 before anyone saves
            service.save_fiche(session, fid, {"objective": f"par {user}"}, version, user)
            results[user] = "ok"
        except service.ConflictError:
            results[user] = "conflit"
        finally:
            session.close()

    threads = [threading.Thread(target=save, args=(u,)) for u in ("alice", "bob")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sorted(results.values()) == ["conflit", "ok"]
    winner = next(u for u, r in results.items() if r == "ok")
    loser = next(u for u, r in results.items() if r == "conflit")
    with db.session_scope(engine=engine) as s:
        fiche = s.get(Fiche, fid)
        assert (fiche.objective, fiche.version, fiche.updated_by) == (f"par {winner}", 2, winner)
        (conflict,) = service.fiche_conflicts(s, fiche)
        assert conflict.user == loser and conflict.rejected["objectif"] == f"par {loser}"


def test_workbook_exported_before_a_save_cannot_overwrite_it(engine, tmp_path):
    from openpyxl import load_workbook

    fid = _fiche_id(engine)
    path = excel.export_plan("CTG-TEST", tmp_path / "plan.xlsx", engine=engine)  # version 1
    with db.session_scope(engine=engine) as s:
        service.save_fiche(s, fid, {"pilot": "Caf"}, 1, "alice")  # now version 2
    wb = load_workbook(path)
    ws = wb["Axes et fiches"]
    headers = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[headers.index("Fiche")].value == "1.1")
    row[headers.index("Pilote")].value = "Association"
    wb["Axes et fiches"].cell(row=row[0].row, column=headers.index("Public") + 1, value="Tous")
    wb.save(path)
    with pytest.raises(service.ConflictError) as err:
        excel.import_plan(path, "bob", engine=engine, update=True)
    assert "« 1.1 — Créer une micro-crèche à Montrevaux »" in str(err.value)
    assert "vous partiez de la version 1, elle est maintenant à la version 2" in str(err.value)
    with db.session_scope(engine=engine) as s:
        fiche = s.get(Fiche, fid)
        assert (fiche.pilot, fiche.public) == ("Caf", "Familles")  # nothing applied
        assert service.fiche_conflicts(s, fiche)[0].rejected["pilote"] == "Association"


# -- imports racing each other: the lost one is run again, both versions kept -------------------
def _variant(source, target, pilot: str, fiche: str = "1.1"):
    """A copy of an exported workbook whose fiche ``fiche`` has another pilot."""
    from openpyxl import load_workbook

    wb = load_workbook(source)
    ws = wb["Axes et fiches"]
    headers = [c.value for c in ws[1]]
    row = next(r for r in ws.iter_rows(min_row=2) if r[headers.index("Fiche")].value == fiche)
    row[headers.index("Pilote")].value = pilot
    wb.save(target)
    return target


def test_an_import_that_loses_the_race_is_run_again_and_kept_aside(engine, tmp_path, monkeypatch):
    """Both imports read fiche 1.1 at version 1 before either writes (a barrier before the
    flush that updates it): the one that writes second loses the race in the database, is run
    again on the new state, and then its fiche is refused with both versions kept."""
    from sqlalchemy import event

    exported = excel.export_plan("CTG-TEST", tmp_path / "plan.xlsx", engine=engine)
    books = {
        "alice": _variant(exported, tmp_path / "alice.xlsx", "Association Alice"),
        "bob": _variant(exported, tmp_path / "bob.xlsx", "Mairie de Bob"),
    }
    barrier = threading.Barrier(2)
    waited: set[str] = set()

    def before_flush(session, _context, _instances):
        user = session.info.get("user")
        if user in waited or not any(isinstance(o, Fiche) for o in session.dirty):
            return
        waited.add(user)
        barrier.wait(timeout=30)  # each has read version 1; now both write

    attempts: dict[str, int] = {"alice": 0, "bob": 0}
    real_scope = db.session_scope

    def counting_scope(*args, **kwargs):
        if kwargs.get("user") in attempts:
            attempts[kwargs["user"]] += 1
        return real_scope(*args, **kwargs)

    monkeypatch.setattr(db, "session_scope", counting_scope)
    results: dict[str, str] = {}

    def run(user: str) -> None:
        try:
            excel.import_plan(books[user], user, engine=engine, update=True)
            results[user] = "ok"
        except service.ConflictError as exc:
            results[user] = str(exc)

    event.listen(db.PlanSession, "before_flush", before_flush)
    try:
        threads = [threading.Thread(target=run, args=(u,)) for u in books]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
    finally:
        event.remove(db.PlanSession, "before_flush", before_flush)
    winner = next(u for u, r in results.items() if r == "ok")
    loser = next(u for u in results if u != winner)
    assert results[loser].startswith("Enregistrement refusé pour la fiche « 1.1 — Créer une")
    assert "vous partiez de la version 1, elle est maintenant à la version 2" in results[loser]
    # the loser lost in the database, then ran once more; the winner ran once
    assert attempts == {winner: 1, loser: 2}
    pilots = {"alice": "Association Alice", "bob": "Mairie de Bob"}
    with db.session_scope(engine=engine) as s:
        fiche = service.get_fiche(s, service.get_ctg(s, "CTG-TEST"), "1.1")
        assert (fiche.pilot, fiche.version, fiche.updated_by) == (pilots[winner], 2, winner)
        (conflict,) = service.fiche_conflicts(s, fiche)
        assert (conflict.user, conflict.saved_by) == (loser, winner)
        assert conflict.rejected["pilote"] == pilots[loser]
        assert conflict.current["pilote"] == pilots[winner]


GATE_SCRIPT = """
import os, sys, time
from territoire_lib.cli import main
import territoire_lib.cli.plan, territoire_lib.plan.excel, territoire_lib.plan.service
import territoire_lib.dataset, territoire_lib.sources.referentiel, openpyxl
ready, gate = sys.argv[1:3]
open(ready, "w").close()
while not os.path.exists(gate):
    time.sleep(0.001)
sys.exit(main(sys.argv[3:]))
"""
FOREIGN = ("Traceback", "StaleDataError", "sqlalchemy", "UPDATE ", "INSERT ", "SELECT ", "[SQL")


def _race(
    tmp_path, base: str, books: list, tag: str, update: bool = True
) -> list[tuple[int, str, str]]:
    """Run ``territoire plan importer BOOK [--mettre-a-jour]`` for each book in its own
    process, all released at the same instant once their imports are done; returns
    (code, stdout, stderr) of each."""
    import subprocess
    import sys
    import time
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    gate = tmp_path / f"go-{tag}"
    ready = [tmp_path / f"ready-{tag}-{i}" for i in range(len(books))]
    flags = ["--mettre-a-jour"] if update else []
    procs = []
    for i, book in enumerate(books):
        argv = ["plan", "importer", str(book), *flags, "--source", "demo", "--utilisateur", f"u{i}"]
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    GATE_SCRIPT,
                    str(ready[i]),
                    str(gate),
                    *argv,
                    "--base",
                    base,
                ],
                cwd=repo,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 120
    while not all(r.exists() for r in ready) and time.monotonic() < deadline:
        time.sleep(0.01)  # every process has imported the library and waits at the gate
    gate.touch()
    out = []
    for p in procs:
        stdout, stderr = p.communicate(timeout=180)
        out.append((p.returncode, stdout, stderr))
    return out


ROUNDS = 3


def test_concurrent_cli_imports_give_french_messages_and_keep_both_versions(
    engine, plan_db_url, tmp_path
):
    """Two ``territoire plan importer --mettre-a-jour`` processes with different pilots for
    fiche 1.1, released together, three rounds: each time one succeeds and the other says in
    French that the fiche was saved first, its version kept aside as a conflict."""
    for r in range(1, ROUNDS + 1):
        exported = excel.export_plan("CTG-TEST", tmp_path / f"plan{r}.xlsx", engine=engine)
        pilots = [f"Pilote A{r}", f"Pilote B{r}"]
        books = [_variant(exported, tmp_path / f"{p}.xlsx", p) for p in pilots]
        results = _race(tmp_path, plan_db_url, books, str(r))
        for _code, stdout, stderr in results:
            assert not any(w in stdout + stderr for w in FOREIGN), stderr
        assert sorted(code for code, _, _ in results) == [0, 1], results
        win = next(i for i, (code, _, _) in enumerate(results) if code == 0)
        lose = 1 - win
        stderr = results[lose][2]
        assert stderr.startswith("Erreur : Enregistrement refusé pour la fiche « 1.1 — "), stderr
        # fiche 1.1 was at version r (one save per earlier round); the winner made it r + 1
        assert f"vous partiez de la version {r}, elle est maintenant à la version {r + 1}" in stderr
        assert "CTG « CTG-TEST » mise à jour." in results[win][1]
        with db.session_scope(engine=engine) as s:
            fiche = service.get_fiche(s, service.get_ctg(s, "CTG-TEST"), "1.1")
            assert (fiche.pilot, fiche.version) == (pilots[win], r + 1)
            conflicts = service.fiche_conflicts(s, fiche)
            assert len(conflicts) == r  # one kept per round, none lost
            latest = max(conflicts, key=lambda c: c.id)
            assert latest.rejected["pilote"] == pilots[lose]
            assert latest.current["pilote"] == pilots[win]
            assert latest.user == f"u{lose}" and latest.saved_by == f"u{win}"


def test_the_same_workbook_imported_twice_at_once_succeeds_twice(engine, plan_db_url, tmp_path):
    """Two people importing the same edited workbook at once: the second finds the content in
    place (« fiches inchangées »), no conflict, both commands succeed."""
    exported = excel.export_plan("CTG-TEST", tmp_path / "plan.xlsx", engine=engine)
    book = _variant(exported, tmp_path / "same.xlsx", "Pilote commun")
    results = _race(tmp_path, plan_db_url, [book, book], "same")
    for code, _stdout, stderr in results:
        assert code == 0 and stderr == "", stderr
    with db.session_scope(engine=engine) as s:
        fiche = service.get_fiche(s, service.get_ctg(s, "CTG-TEST"), "1.1")
        assert (fiche.pilot, fiche.version) == ("Pilote commun", 2)
        assert service.fiche_conflicts(s, fiche) == []


def test_two_first_imports_into_a_new_database(plan_db_url, plan_sample, tmp_path):
    """Two processes open a new, empty database at the same instant: both see no schema and
    migrate, both create the CTG. The schema is made once, the CTG once; the other one is told
    in French that the CTG exists already."""
    book = excel.write_workbook(plan_sample, tmp_path / "plan.xlsx")
    results = _race(tmp_path, plan_db_url, [book, book], "new", update=False)
    for _code, stdout, stderr in results:
        assert not any(w in stdout + stderr for w in FOREIGN), stderr
    assert sorted(code for code, _, _ in results) == [0, 1], results
    win = next(i for i, (code, _, _) in enumerate(results) if code == 0)
    assert "CTG « CTG-TEST » créée." in results[win][1]
    # The loser is told the CTG exists already; on a brand-new SQLite file (rollback journal
    # until the first migration switches it to WAL) SQLite may instead refuse its write at once
    # to avoid a lock deadlock: it then gets the French « occupée » message, nothing saved
    # (seen once in CI; see the closing note of stop 10).
    assert results[1 - win][2].startswith(
        (
            "Erreur : La CTG « CTG-TEST » existe déjà dans la base.",
            "Erreur : La base de données « ",
        )
    ), results[1 - win][2]
    if results[1 - win][2].startswith("Erreur : La base de données « "):
        assert "rien n'a été enregistré" in results[1 - win][2]
    engine = db.open_database(plan_db_url)
    assert db.stored_revision(engine) == "0001"
    with db.session_scope(engine=engine) as s:
        assert [c.code for c in service.list_ctgs(s)] == ["CTG-TEST"]
        assert len(service.get_ctg(s, "CTG-TEST").fiches) == 2
