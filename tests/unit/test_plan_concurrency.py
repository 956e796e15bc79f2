"""Two people saving the same fiche at once never silently overwrite each other — on SQLite
and on a real PostgreSQL server: the second gets a French message naming the fiche and who
saved first, and both versions are kept."""

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
