"""The demo CTG of the demo EPCI: deterministic, up to date with the demo data, loadable."""

from __future__ import annotations

from territoire_lib.dataset import load_territory
from territoire_lib.indicators import compute
from territoire_lib.plan import db, demo_ctg, excel, service
from territoire_lib.plan.document import STATUSES


def test_committed_workbook_is_the_generated_one(tmp_path):
    territory = load_territory("demo")
    doc = demo_ctg.build_demo_document(territory)
    assert excel.read_workbook(demo_ctg.DEMO_CTG_PATH) == doc
    # byte for byte the same at each generation (fixed timestamps inside the xlsx)
    again = demo_ctg.write_demo_ctg(tmp_path / "demo.xlsx", territory)
    assert again.read_bytes() == demo_ctg.DEMO_CTG_PATH.read_bytes()
    assert "data/ctg/" in demo_ctg.DEMO_CTG_PATH.as_posix()


def test_demo_content():
    territory = load_territory("demo")
    doc = demo_ctg.build_demo_document(territory)
    assert (doc.ctg.territory_code, doc.ctg.territory_name) == (
        "296000011",
        "CA de Valmont-sur-Loue",
    )
    assert len(doc.axes) == 3 and len(doc.fiches) == 12
    assert {f.status for f in doc.fiches} == set(STATUSES)
    specific = [i for i in doc.indicators if not i.catalogue_id and i.values]
    assert all({2022, 2023, 2024} <= {v.year for v in i.values} for i in specific)
    assert len(doc.copil) >= 3 and doc.evaluations
    # catalogue values: those of the engine for the EPCI (fiche 1.2 names no commune)
    ind = doc.indicator("1.2", "couverture_globale")
    ref = compute(territory, "epci", ["taux_couverture_global"])
    ref = ref[ref["territoire"] == "296000011"]
    assert {v.year: v.value for v in ind.values} == {
        int(y): round(float(v), 1) for y, v in zip(ref["annee"], ref["valeur"], strict=True)
    }
    assert all(v.computed for v in ind.values)


def test_demo_loads_with_the_data_checks(tmp_path):
    engine = db.open_database(tmp_path / "demo.sqlite")
    summary = excel.import_plan(
        demo_ctg.DEMO_CTG_PATH,
        "marie",
        engine=engine,
        geography=load_territory("demo").geography,
    )
    assert summary.created_ctg and summary.counts["fiches créées"] == 12
    with db.session_scope(engine=engine) as s:
        status = service.plan_status(s)
    assert len(status) == 12 and status["version"].eq(1).all()
    db.dispose_engines()
