"""Commune boundaries: validation, PLM merge, ring orientation for Vega, restriction."""

from __future__ import annotations

import copy
import gzip
import json
import re

import pytest
from shapely.geometry import shape

from territoire_lib.errors import DataError
from territoire_lib.sources.geometry import read_communes_geojson, signed_area, simplify


def square(x0: float, y0: float, size: float = 1.0) -> list:
    """Counter-clockwise (RFC 7946) ring of a square with lower-left corner (x0, y0)."""
    return [[x0, y0], [x0 + size, y0], [x0 + size, y0 + size], [x0, y0 + size], [x0, y0]]


def feature(code, rings, nom=None, gtype="Polygon") -> dict:
    props = {"code": code}
    if nom is not None:
        props["nom"] = nom
    return {
        "type": "Feature",
        "properties": props,
        "geometry": {"type": gtype, "coordinates": rings},
    }


def write(tmp_path, features, name="communes.geojson") -> object:
    path = tmp_path / name
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), "utf-8")
    return path


def by_code(collection: dict) -> dict:
    return {f["properties"]["code"]: f for f in collection["features"]}


# -- orientation ----------------------------------------------------------------------------
def test_rings_rewound_exterior_clockwise_holes_counter_clockwise(tmp_path):
    outer = square(6.0, 47.0)  # counter-clockwise: shoelace area +1
    hole = [[6.25, 47.25], [6.75, 47.25], [6.75, 47.75], [6.25, 47.75], [6.25, 47.25]]
    assert signed_area(outer) == pytest.approx(1.0)  # before: CCW
    assert signed_area(hole) == pytest.approx(0.25)  # hole given CCW too (wrong for RFC 7946)
    path = write(tmp_path, [feature("90001", [outer, hole], "Andelnans")])
    fc, _ = read_communes_geojson(path)
    rings = fc["features"][0]["geometry"]["coordinates"]
    # after: exterior clockwise (area -1), hole counter-clockwise (+0.25)
    assert signed_area(rings[0]) == pytest.approx(-1.0)
    assert signed_area(rings[1]) == pytest.approx(0.25)


def test_clockwise_input_stays_clockwise(tmp_path):
    cw = list(reversed(square(6.0, 47.0)))
    fc, _ = read_communes_geojson(write(tmp_path, [feature("90001", [cw], "A")]))
    assert signed_area(fc["features"][0]["geometry"]["coordinates"][0]) == pytest.approx(-1.0)


def _frame_filling_subpaths(fc: dict) -> int:
    """Render the collection with Vega (mercator) and count the SVG subpaths of the shapes
    that span more than 90 % of the 200-pixel frame in both directions."""
    vlc = pytest.importorskip("vl_convert")
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 200,
        "height": 200,
        "data": {"values": fc["features"]},
        "mark": {"type": "geoshape", "fill": "red"},
        "projection": {"type": "mercator"},
    }
    svg = vlc.vegalite_to_svg(json.dumps(spec))
    count = 0
    for d in re.findall(r'<path[^>]*d="([^"]+)"[^>]*fill="red"', svg):
        for sub in d.split("M")[1:]:
            pts = [tuple(map(float, p.split(","))) for p in re.split(r"[LZ]", sub) if p]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            if max(xs) - min(xs) > 180 and max(ys) - min(ys) > 180:
                count += 1
    return count


def test_orientation_is_what_vega_spherical_projections_need(tmp_path):
    # two unit squares given counter-clockwise, 3 degrees apart: each covers a small part of
    # the frame once rewound; as given, Vega reads each as "the sphere minus the square"
    raw = [feature("90001", [square(6.0, 47.0)], "A"), feature("90002", [square(9.0, 47.0)], "B")]
    assert _frame_filling_subpaths({"features": raw}) >= 1  # the bug pitfall 9 describes
    fc, _ = read_communes_geojson(write(tmp_path, raw))
    assert _frame_filling_subpaths(fc) == 0


# -- PLM ------------------------------------------------------------------------------------
def test_arrondissements_merged_into_paris(tmp_path):
    feats = [
        feature("75101", [square(2.0, 48.0)], "Paris 1er Arrondissement"),
        feature("75102", [square(3.0, 48.0)], "Paris 2e Arrondissement"),  # shares x = 3 edge
        feature("90001", [square(6.0, 47.0)], "Andelnans"),
    ]
    fc, report = read_communes_geojson(write(tmp_path, feats))
    got = by_code(fc)
    assert set(got) == {"75056", "90001"}
    paris = got["75056"]
    assert paris["properties"] == {"code": "75056", "nom": "Paris"}
    assert paris["geometry"]["type"] == "Polygon"  # adjacent squares → one polygon
    assert shape(paris["geometry"]).area == pytest.approx(2.0)  # 1 + 1
    assert signed_area(paris["geometry"]["coordinates"][0]) == pytest.approx(-2.0)  # clockwise
    assert any("2 arrondissement(s) fusionné(s)" in n for n in report.notes)
    assert report.rows_read == 3 and report.rows_kept == 2


def test_arrondissements_dropped_when_parent_present(tmp_path):
    feats = [
        feature("75056", [square(2.0, 48.0, 2.0)], "Paris"),
        feature("75101", [square(2.0, 48.0)], "Paris 1er"),
    ]
    fc, report = read_communes_geojson(write(tmp_path, feats))
    assert [f["properties"]["code"] for f in fc["features"]] == ["75056"]
    assert shape(fc["features"][0]["geometry"]).area == pytest.approx(4.0)  # 2 × 2, untouched
    assert report.dropped == {"arrondissement déjà couvert par le contour de sa commune": 1}


# -- restriction to the loaded communes -------------------------------------------------------
def test_missing_polygon_reported_not_fatal(tmp_path):
    feats = [
        feature("90001", [square(6.0, 47.0)], "Andelnans"),
        feature("90999", [square(7.0, 47.0)], "Ancienne commune"),  # same département, unknown
        feature("25001", [square(8.0, 47.0)], "Doubs"),  # another département
    ]
    fc, report = read_communes_geojson(write(tmp_path, feats), communes={"90001", "90002"})
    assert [f["properties"]["code"] for f in fc["features"]] == ["90001"]
    assert report.warnings == [
        "1 commune(s) sans contour : les cartes les laissent en blanc, avec une mention sous la "
        "carte (90002)"
    ]
    assert report.unmatched_codes == ["90999"]
    assert report.dropped["commune hors du territoire chargé"] == 1
    assert "90002" in report.french()


# -- output shape ---------------------------------------------------------------------------
def test_properties_code_nom_only_and_rounding(tmp_path):
    f = feature("90001", [square(6.123456789, 47.0000049)], "Andelnans")
    f["properties"]["population"] = 1200
    fc, _ = read_communes_geojson(write(tmp_path, [f, feature("90002", [square(8, 47)])]))
    got = by_code(fc)
    assert got["90001"]["properties"] == {"code": "90001", "nom": "Andelnans"}
    assert got["90002"]["properties"] == {"code": "90002", "nom": "90002"}  # no name → code
    xs = {p[0] for p in got["90001"]["geometry"]["coordinates"][0]}
    ys = {p[1] for p in got["90001"]["geometry"]["coordinates"][0]}
    assert xs == {6.12346, 7.12346}  # 6.123456789 → 6.12346 ; + 1
    assert ys == {47.0, 48.0}  # 47.0000049 → 47.0
    json.dumps(fc)  # plain JSON-serialisable structure


def test_custom_property_names_and_gzip(tmp_path):
    feats = [
        {
            "type": "Feature",
            "properties": {"INSEE_COM": "2A004", "NOM": "Ajaccio"},
            "geometry": {"type": "MultiPolygon", "coordinates": [[square(8, 41)], [square(9, 41)]]},
        }
    ]
    path = tmp_path / "c.geojson.gz"
    path.write_bytes(
        gzip.compress(json.dumps({"type": "FeatureCollection", "features": feats}).encode())
    )
    fc, _ = read_communes_geojson(path, code_property="INSEE_COM", name_property="NOM")
    f = fc["features"][0]
    assert f["properties"] == {"code": "2A004", "nom": "Ajaccio"}
    assert f["geometry"]["type"] == "MultiPolygon"
    assert [signed_area(p[0]) for p in f["geometry"]["coordinates"]] == [-1.0, -1.0]


def test_simplify_keeps_orientation_and_input(tmp_path):
    ring = [[6, 47], [6.5, 47.0001], [7, 47], [7, 48], [6, 48], [6, 47]]  # near-collinear point
    fc, _ = read_communes_geojson(write(tmp_path, [feature("90001", [ring], "A")]))
    before = copy.deepcopy(fc)
    out = simplify(fc, 0.001)
    new_ring = out["features"][0]["geometry"]["coordinates"][0]
    assert len(new_ring) == 5  # the 0.0001° bump is gone: 4 corners + closing point
    assert signed_area(new_ring) < 0
    assert out["features"][0]["properties"] == {"code": "90001", "nom": "A"}
    assert fc == before


# -- errors ---------------------------------------------------------------------------------
def test_broken_json_french_error_with_position(tmp_path):
    path = tmp_path / "casse.geojson"
    path.write_text('{"type": "FeatureCollection",\n "features": [\n  {"type": "Feature" "a": 1}]}')
    with pytest.raises(DataError) as err:
        read_communes_geojson(path)
    msg = str(err.value)
    # line 3, character 22 is the '"' of "a" right after "Feature" (missing comma)
    assert "« casse.geojson », ligne 3" in msg
    assert "caractère 22" in msg
    assert "virgule" in msg


def test_not_a_feature_collection(tmp_path):
    path = tmp_path / "topo.json"
    path.write_text('{"type": "Topology", "objects": {}}')
    with pytest.raises(DataError, match="TopoJSON"):
        read_communes_geojson(path)
    path.write_text('{"type": "Feature", "properties": {}, "geometry": null}')
    with pytest.raises(DataError, match="FeatureCollection"):
        read_communes_geojson(path)


def test_missing_code_property_names_object(tmp_path):
    feats = [feature("90001", [square(6, 47)], "A"), feature(None, [square(7, 47)], "B")]
    with pytest.raises(DataError) as err:
        read_communes_geojson(write(tmp_path, feats))
    msg = str(err.value)
    assert "colonne « code »" in msg
    assert "objet n° 2" in msg


def test_bad_geometry_type(tmp_path):
    feats = [
        feature("90001", [square(6, 47)], "A"),
        feature("90003", [6.5, 47.5], "Point", gtype="Point"),
    ]
    with pytest.raises(DataError) as err:
        read_communes_geojson(write(tmp_path, feats))
    msg = str(err.value)
    assert "géométrie « Point » (objet n° 2)" in msg
    assert "Polygon ou MultiPolygon" in msg


def test_duplicate_code(tmp_path):
    feats = [feature("90001", [square(6, 47)], "A"), feature("90001", [square(7, 47)], "B")]
    with pytest.raises(DataError) as err:
        read_communes_geojson(write(tmp_path, feats))
    assert "le code « 90001 » en double (déjà objet n° 1) (objet n° 2)" in str(err.value)


def test_lost_leading_zero_in_numeric_code(tmp_path):
    feats = [feature(1001, [square(5, 46)], "L'Abergement-Clémenciat")]  # number, not text
    with pytest.raises(DataError) as err:
        read_communes_geojson(write(tmp_path, feats))
    msg = str(err.value)
    assert "« 1001 » (le zéro initial a disparu : 01001 ?) (objet n° 1)" in msg
    assert "colonne « code »" in msg


def test_projected_coordinates_rejected(tmp_path):
    feats = [feature("90001", [square(990000.0, 6730000.0, 1000.0)], "Lambert-93")]
    with pytest.raises(DataError) as err:
        read_communes_geojson(write(tmp_path, feats))
    assert "Lambert-93" in str(err.value) and "WGS84" in str(err.value)


def test_other_departements_not_parsed_but_codes_checked(tmp_path):
    feats = [
        feature("90001", [square(6, 47)], "A"),
        feature("25001", [6.5, 47.5], "Point ailleurs", gtype="Point"),  # other département
    ]
    fc, report = read_communes_geojson(write(tmp_path, feats), communes={"90001"})
    assert [f["properties"]["code"] for f in fc["features"]] == ["90001"]
    assert report.dropped == {"commune hors du territoire chargé": 1}
    feats.append(feature("2501", [square(8, 47)], "Code abîmé"))
    with pytest.raises(DataError) as err:
        read_communes_geojson(write(tmp_path, feats), communes={"90001"})
    assert "« 2501 » (le zéro initial a disparu : 02501 ?) (objet n° 3)" in str(err.value)


# -- communes merged since the file's COG (issue 13, item 7) ----------------------------------
def test_merged_commune_gets_one_outline(tmp_path):
    # COG 2018 file of the Territoire de Belfort: Moval (90073) was merged into Meroux
    # (90068, now Meroux-Moval) on 1 January 2019; here two adjacent 1 × 1 squares
    feats = [
        feature("90068", [square(6.0, 47.0)], "Meroux"),
        feature("90073", [square(7.0, 47.0)], "Moval"),
        feature("90001", [square(6.0, 48.0)], "Andelnans"),
    ]
    fc, report = read_communes_geojson(
        write(tmp_path, feats), communes={"90068", "90001"}, merged={"90073": "90068"}
    )
    got = by_code(fc)
    assert sorted(got) == ["90001", "90068"]
    merged = shape(got["90068"]["geometry"])
    assert merged.area == pytest.approx(2.0)  # 1 + 1: both squares, joined along x = 7
    assert merged.geom_type == "Polygon"  # one outline, the shared edge dissolved
    assert merged.bounds == pytest.approx((6.0, 47.0, 8.0, 48.0))
    assert got["90068"]["properties"]["nom"] == "Meroux"
    assert report.unmatched_codes == []  # 90073 is no longer « absent du référentiel »
    assert report.warnings == [
        "contours d'un millésime antérieur du COG : 1 commune(s) fusionnée(s) depuis, "
        "réunie(s) au contour de leur commune actuelle : 90073 (Moval) → 90068"
    ]


def test_merged_mapping_leaves_current_communes_alone(tmp_path):
    # a current file: the former code is absent, the mapping changes nothing
    feats = [feature("90068", [square(6.0, 47.0)], "Meroux-Moval")]
    fc, report = read_communes_geojson(
        write(tmp_path, feats), communes={"90068"}, merged={"90073": "90068"}
    )
    assert shape(fc["features"][0]["geometry"]).area == pytest.approx(1.0)
    assert report.warnings == []
