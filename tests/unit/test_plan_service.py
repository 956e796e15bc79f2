"""Plan API: building a plan, saving fiches (one save = one version), status history,
values, catalogue indicators computed from the data, follow-up tables, audit trail."""

from __future__ import annotations

import math
from datetime import date

import pytest
from sqlalchemy import func, select

from territoire_lib.dataset import load_territory
from territoire_lib.plan import db, service
from territoire_lib.plan.document import AUTO_USER, AxisSpec, CtgSpec, FicheSpec, IndicatorSpec
from territoire_lib.plan.models import AuditEntry, Fiche


@pytest.fixture
def engine(plan_sqlite_url):
    return db.open_database(plan_sqlite_url)


@pytest.fixture
def plan(engine, plan_sample):
    """The sample plan stored by « alice »; returns the engine."""
    with db.session_scope(engine=engine, user="alice") as s:
        service.import_document(s, plan_sample, "alice")
    return engine


def _fiche(s, code="1.1"):
    return service.get_fiche(s, service.get_ctg(s, "CTG-TEST"), code)


def test_plan_document_round_trip_through_database(plan, plan_sample):
    with db.session_scope(engine=plan) as s:
        doc = service.plan_document(s)
    # 2.1 had no status line for its current status: none missing here, all given
    assert doc == plan_sample.normalised()
    assert [f.version for f in doc.fiches] == [1, 1]


def test_save_fiche_one_version_per_save(plan):
    with db.session_scope(engine=plan) as s:
        fiche = _fiche(s)
        spec = service.fiche_spec(fiche)
    changes = {"pilot": "Caf", "status": "réalisée", "communes": ("96006", "96008")}
    with db.session_scope(engine=plan) as s:
        saved = service.save_fiche(s, fiche.id, changes, spec.version, "bob", on=date(2024, 9, 2))
        assert saved.version == spec.version + 1  # pilot, status and communes: one save
    with db.session_scope(engine=plan) as s:
        fiche = _fiche(s)
        assert (fiche.pilot, fiche.status, fiche.updated_by) == ("Caf", "réalisée", "bob")
        last = fiche.status_changes[-1]
        assert (last.date, last.old_status, last.new_status, last.user) == (
            date(2024, 9, 2),
            "en cours",
            "réalisée",
            "bob",
        )
        # saving the same content again changes nothing, not even the version
        again = service.save_fiche(s, fiche.id, changes, fiche.version, "bob")
        assert again.version == spec.version + 1


def test_change_status_and_bad_values(plan):
    with db.session_scope(engine=plan) as s:
        fiche = service.change_status(s, _fiche(s, "2.1").id, "En cours", "carole")
        assert fiche.status == "en cours"  # case and accents are forgiven
        with pytest.raises(service.PlanError, match="Statut inconnu : « fini »"):
            service.change_status(s, fiche.id, "fini", "carole")
        with pytest.raises(service.PlanError, match="Thème inconnu"):
            service.save_fiche(s, fiche.id, {"theme": "sport"}, fiche.version, "carole")


def test_record_value_keeps_the_previous_one_in_the_audit(plan):
    with db.session_scope(engine=plan, user="marie") as s:
        ind = service.get_indicator(s, _fiche(s), "places")
        service.record_value(s, ind, 2024, 10.0, "Bilan", "marie")  # was 12 (2024)
        service.record_value(s, ind, 2025, 12.0, "Bilan", "marie")
    with db.session_scope(engine=plan) as s:
        ind = service.get_indicator(s, _fiche(s), "places")
        assert [(v.year, v.value) for v in ind.values] == [(2023, 0.0), (2024, 10.0), (2025, 12.0)]
        trail = service.audit_trail(s, table="realised_value")
        upd = trail[trail["action"] == "update"].iloc[0]
        assert upd["qui"] == "marie"
        assert upd["avant"]["value"] == 12.0 and upd["apres"]["value"] == 10.0


def test_fill_catalogue_indicators(plan):
    territory = load_territory("demo")
    obs = territory.observations
    mont = obs[(obs["commune"] == "96006") & obs["variable"].isin(["foyers_rsa", "allocataires"])]
    by = mont.pivot_table(index="annee", columns="variable", values="valeur", aggfunc="sum")
    # the RSA share of the fiche's only commune, worked out directly from the observations:
    # foyers_rsa / allocataires × 100, rounded to 1 decimal as the catalogue publishes it
    expected = {
        int(y): round(r["foyers_rsa"] / r["allocataires"] * 100, 1) for y, r in by.iterrows()
    }
    with db.session_scope(engine=plan, user="alice") as s:
        ind = service.get_indicator(s, _fiche(s), "rsa")
        service.record_value(s, ind, 2022, 99.0, "Saisie manuelle", "alice")
        report = service.fill_catalogue_indicators(s, "CTG-TEST", territory)
    assert set(report["annee"]) == set(expected)
    assert report.set_index("annee").loc[2022, "action"] == "saisie conservée"
    with db.session_scope(engine=plan) as s:
        ind = service.get_indicator(s, _fiche(s), "rsa")
        got = {v.year: v.value for v in ind.values}
        assert got[2022] == 99.0  # a value entered by a person is never overwritten
        assert {y: v for y, v in got.items() if y != 2022} == {
            y: v for y, v in expected.items() if y != 2022
        }
        auto = [v for v in ind.values if v.year != 2022]
        assert all(v.computed and v.entered_by == AUTO_USER for v in auto)
        assert auto[0].source.startswith("Calcul Territoire : Cnaf")
        assert ind.baseline_value == expected[2021]  # empty baseline filled from its year
    # a second run changes nothing
    with db.session_scope(engine=plan) as s:
        again = service.fill_catalogue_indicators(s, None, territory)
    assert set(again["action"]) == {"inchangée", "saisie conservée"}


def test_follow_up_tables(plan):
    with db.session_scope(engine=plan) as s:
        status = service.plan_status(s)
        inds = service.indicator_status(s)
        values = service.indicator_values(s)
    assert list(status["fiche"]) == ["1.1", "2.1"]
    first = status.iloc[0]
    # 45 000 + 1 234,56 €
    assert first["budget_total"] == pytest.approx(46234.56)
    # spent: only the Caf line is known (44 000 €); nothing entered for 2.1
    assert first["depense_total"] == 44000.0 and math.isnan(status.iloc[1]["depense_total"])
    assert (first["statut"], first["statut_depuis"], first["communes"]) == (
        "en cours",
        date(2023, 1, 16),
        "96006",
    )
    places = inds.set_index("indicateur").loc["places"]
    assert (places["derniere_valeur"], places["derniere_annee"], places["valeur_cible"]) == (
        12.0,
        2024,
        12.0,
    )
    assert inds.set_index("indicateur").loc["rsa", "origine"] == "catalogue"
    assert math.isnan(inds.set_index("indicateur").loc["jeunes", "derniere_valeur"])
    assert list(values["annee"]) == [2023, 2024] and set(values["indicateur"]) == {"places"}


def test_audit_trail_who_when_what(engine):
    with db.session_scope(engine=engine, user="alice") as s:
        ctg = service.create_ctg(s, CtgSpec("C", "CTG", "296000011", 2022, 2025))
        service.add_axis(s, ctg, AxisSpec("1", "Axe"))
        fiche = service.add_fiche(s, ctg, FicheSpec("1", "1.1", "Fiche"))
        service.add_indicator(s, fiche, IndicatorSpec("1.1", "i", "Indicateur"))
    with db.session_scope(engine=engine) as s:
        service.save_fiche(s, fiche.id, {"title": "Fiche renommée"}, 1, "bob")
    with db.session_scope(engine=engine, user="carole") as s:
        s.delete(service.get_indicator(s, _fiche_c(s), "i"))
    with db.session_scope(engine=engine) as s:
        trail = service.audit_trail(s, "C")
    rows = trail.iloc[::-1]  # oldest first
    assert list(rows["action"]).count("insert") >= 5  # ctg, axis, fiche, history, indicator
    update = rows[(rows["table"] == "fiche") & (rows["action"] == "update")].iloc[0]
    assert update["qui"] == "bob"
    # only the changed columns, and the version that moved with them
    assert update["avant"]["title"] == "Fiche" and update["apres"]["title"] == "Fiche renommée"
    assert (update["avant"]["version"], update["apres"]["version"]) == (1, 2)
    assert "pilot" not in update["apres"]
    deleted = rows[rows["action"] == "delete"].iloc[0]
    assert (deleted["qui"], deleted["table"], deleted["avant"]["label"]) == (
        "carole",
        "follow_up_indicator",
        "Indicateur",
    )
    assert trail["quand"].is_monotonic_decreasing


def _fiche_c(s):
    return service.get_fiche(s, service.get_ctg(s, "C"), "1.1")


def test_audit_rolls_back_with_the_change(engine):
    with db.session_scope(engine=engine, user="alice") as s:
        service.create_ctg(s, CtgSpec("C", "CTG", "296000011", 2022, 2025))
    with db.session_scope(engine=engine) as s:
        before = s.scalar(select(func.count()).select_from(AuditEntry))
    with pytest.raises(RuntimeError), db.session_scope(engine=engine, user="x") as s:
        service.add_axis(s, service.get_ctg(s, "C"), AxisSpec("1", "Axe"))  # flushed…
        raise RuntimeError("panne")  # … then rolled back
    with db.session_scope(engine=engine) as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == before
        assert s.scalar(select(func.count()).select_from(Fiche)) == 0


def test_get_ctg_errors(engine):
    with db.session_scope(engine=engine) as s:
        with pytest.raises(service.PlanError, match="Aucune CTG dans la base"):
            service.get_ctg(s)
        service.create_ctg(s, CtgSpec("A", "A", "296000011", 2022, 2025))
        service.create_ctg(s, CtgSpec("B", "B", "296000011", 2022, 2025))
        with pytest.raises(service.PlanError, match="plusieurs CTG.*A, B"):
            service.get_ctg(s)
        with pytest.raises(service.PlanError, match="CTG introuvable : « Z »"):
            service.get_ctg(s, "Z")
        with pytest.raises(service.PlanError, match="existe déjà"):
            service.create_ctg(s, CtgSpec("A", "A", "296000011", 2022, 2025))
