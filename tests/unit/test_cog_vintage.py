"""Contours on an older COG than the referential (issue 13, item 7).

The real case: france-geojson's Territoire de Belfort (COG 2018, 102 polygons, in
``tests/fixtures/belfort``) for the 101 communes of 2026. Moval (90073) joined Meroux (90068)
on 1 January 2019 to form Meroux-Moval (90068). The merged commune gets both outlines, nothing
is left blank, and the load report's warning reaches the diagnostic, the batch manifest and
its index page. A map with a gap says so under the map.
"""

from __future__ import annotations

import html
import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from shapely.geometry import shape

from territoire_lib import batch, charts, dataset
from territoire_lib.batch.territories import data_description
from territoire_lib.diagnostic import diagnose
from territoire_lib.indicators import variable_uses
from territoire_lib.sources import referentiel

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "belfort"
CONTOURS = "communes-90-territoire-de-belfort.geojson"
GRAND_BELFORT = "200069052"  # CA du Grand Belfort, holds Meroux-Moval
MERGE_WARNING = (
    "contours d'un millésime antérieur du COG : 1 commune(s) fusionnée(s) depuis, réunie(s) au "
    "contour de leur commune actuelle : 90073 (Moval) → 90068"
)


def _folder(tmp_path: Path, manifest: str, drop: tuple[str, ...] = ()) -> Path:
    folder = tmp_path / "belfort"
    folder.mkdir()
    data = json.loads((FIXTURE / CONTOURS).read_text(encoding="utf-8"))
    if drop:
        data["features"] = [f for f in data["features"] if f["properties"]["code"] not in drop]
        (folder / CONTOURS).write_text(json.dumps(data), encoding="utf-8")
    else:
        shutil.copy(FIXTURE / CONTOURS, folder / CONTOURS)
    (folder / "manifeste.yaml").write_text(manifest, encoding="utf-8")
    return folder


MANIFEST = f'nom: Territoire de Belfort\ndepartements: ["90"]\nfichiers:\n  contours: {CONTOURS}\n'


def _raw_polygon(code: str):
    data = json.loads((FIXTURE / CONTOURS).read_text(encoding="utf-8"))
    return next(shape(f["geometry"]) for f in data["features"] if f["properties"]["code"] == code)


@pytest.fixture(scope="module")
def belfort(tmp_path_factory) -> dataset.Territory:
    return dataset.load_folder(_folder(tmp_path_factory.mktemp("b"), MANIFEST))


def test_the_fixture_is_the_cog_2018_file():
    raw = json.loads((FIXTURE / CONTOURS).read_text(encoding="utf-8"))
    assert (FIXTURE / CONTOURS).stat().st_size == 82_721
    assert len(raw["features"]) == 102
    national = referentiel.load_national_geography().communes
    assert (national["departement"] == "90").sum() == 101
    assert referentiel.load_former_codes()["90073"] == "90068"


def test_one_outline_per_current_commune(belfort):
    features = belfort.contours["features"]
    codes = [f["properties"]["code"] for f in features]
    assert len(codes) == 101  # 102 polygons - Moval, now inside Meroux-Moval
    assert "90073" not in codes
    assert set(codes) == set(belfort.geography.communes["code"])
    merged = next(f for f in features if f["properties"]["code"] == "90068")
    assert merged["properties"]["nom"] == "Meroux-Moval"  # today's name, not « Meroux »
    # the two 2018 communes do not overlap: the union covers the sum of their areas
    expected = _raw_polygon("90068").area + _raw_polygon("90073").area
    assert shape(merged["geometry"]).area == pytest.approx(expected, rel=1e-3)


def test_the_report_says_it_and_leaves_no_code_unmatched(belfort):
    report = next(r for r in belfort.reports if r.file == CONTOURS)
    assert report.rows_read == 102 and report.rows_kept == 101
    assert report.unmatched_codes == []
    assert report.warnings == [MERGE_WARNING]
    assert belfort.warnings() == [f"Contours des communes ({CONTOURS}) : {MERGE_WARNING}"]


def test_the_diagnostic_limits_carry_the_warning(belfort):
    diag = diagnose(belfort, GRAND_BELFORT)
    assert f"Données chargées — Contours des communes ({CONTOURS}) : {MERGE_WARNING}" in (
        diag.limites
    )
    assert "Limites des données :" in diag.text()


def test_the_batch_manifest_and_index_carry_the_warning(belfort):
    data = data_description(belfort)
    assert data["avertissements"] == belfort.warnings(variable_uses())
    page = batch.render_index({"donnees": data, "territoires": {}, "execution": {}})
    assert '<h2 id="limites">Limites des données chargées (1)</h2>' in page
    item = html.escape(f"Contours des communes ({CONTOURS}) : {MERGE_WARNING}")
    assert f"<li>{item}</li>" in page  # « d'un » escaped as « d&#x27;un »


def test_manifest_fusions_complete_the_referential(tmp_path, monkeypatch):
    # a referential without its history of mergers: the manifest's mapping does the same
    monkeypatch.setattr(referentiel, "load_former_codes", lambda folder=None: pd.Series())
    manifest = (
        'departements: ["90"]\nfichiers:\n'
        f'  contours: {{fichier: {CONTOURS}, fusions: {{"90073": "90068"}}}}\n'
    )
    territory = dataset.load_folder(_folder(tmp_path, manifest))
    assert len(territory.contours["features"]) == 101
    report = next(r for r in territory.reports if r.file == CONTOURS)
    assert report.warnings == [MERGE_WARNING]


def test_without_any_history_the_old_code_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(referentiel, "load_former_codes", lambda folder=None: pd.Series())
    territory = dataset.load_folder(_folder(tmp_path, MANIFEST))
    report = next(r for r in territory.reports if r.file == CONTOURS)
    assert report.unmatched_codes == ["90073"]
    assert territory.warnings() == [
        f"Contours des communes ({CONTOURS}) : 1 code(s) commune absent(s) du référentiel, non "
        "repris (90073) ; fichier d'un autre millésime du COG ?"
    ]


def test_a_map_with_a_gap_has_a_caption(tmp_path):
    # Belfort (90010) missing from the contours file
    territory = dataset.load_folder(_folder(tmp_path, MANIFEST, drop=("90010",)))
    report = next(r for r in territory.reports if r.file == CONTOURS)
    assert (
        "1 commune(s) sans contour : les cartes les laissent en blanc, avec une mention sous la "
        "carte (90010)"
    ) in report.warnings
    diag = diagnose(territory, GRAND_BELFORT)
    spec = diag.needs_map().to_dict()
    assert spec["title"]["subtitle"][-1] == (
        "1 commune sans contour dans le fichier des contours, laissée en blanc : Belfort (90010)."
    )
    assert any("sans contour" in s for s in diag.limites)


def test_a_map_without_gap_has_no_caption(belfort):
    diag = diagnose(belfort, GRAND_BELFORT)
    subtitle = diag.needs_map().to_dict()["title"]["subtitle"]
    assert not any("sans contour" in s for s in subtitle)


def test_caption_names_several_communes():
    feature = {
        "type": "Feature",
        "properties": {"code": "90001", "nom": "Andelnans"},
        "geometry": {"type": "Polygon", "coordinates": [[[6, 47], [6, 48], [7, 48], [6, 47]]]},
    }
    values = pd.DataFrame(
        {"code": ["90001", "90002", "90003"], "nom": ["A", "Angeot", "Anjoutey"], "valeur": 1.0}
    )
    chart = charts.choropleth(
        {"type": "FeatureCollection", "features": [feature]},
        values,
        "Titre",
        "Source",
        codes=["90001", "90002", "90003"],
    )
    assert chart.to_dict()["title"]["subtitle"] == [
        "Source : Source",
        "2 communes sans contour dans le fichier des contours, laissées en blanc : Angeot (90002),",
        "Anjoutey (90003).",
    ]
