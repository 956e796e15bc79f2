"""Chart builders: specs carry the expected fields, French formats, titles and source lines;
static exports render offline; a map is drawn as shapes, not as a filled frame."""

from __future__ import annotations

import re
import struct
import zlib

import altair as alt
import numpy as np
import pandas as pd
import pytest

from territoire_lib import charts
from territoire_lib.errors import TerritoireError

SOURCE = "Insee, Filosofi (données fictives)"


def _square(code, nom, x0, y0, size=0.1):
    # exterior ring clockwise (as the loader rewinds it for Vega's spherical projections)
    ring = [[x0, y0], [x0, y0 + size], [x0 + size, y0 + size], [x0 + size, y0], [x0, y0]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"code": code, "nom": nom},
    }


def _rhombus(code, nom, cx, cy, r=0.2):
    ring = [[cx, cy - r], [cx - r, cy], [cx, cy + r], [cx + r, cy], [cx, cy - r]]
    return {
        "type": "Feature",
        "geometry": {"type": "Polygon", "coordinates": [ring]},
        "properties": {"code": code, "nom": nom},
    }


@pytest.fixture
def collection():
    return {
        "type": "FeatureCollection",
        "features": [
            _square("96001", "Alpha", 4.9, 46.9),
            _square("96002", "Bêta", 5.0, 46.9),
            _square("96003", "Gamma", 4.9, 47.0),
            _square("96004", "Delta", 5.0, 47.0),
        ],
    }


@pytest.fixture
def values():
    return pd.DataFrame(
        {
            "code": ["96001", "96002", "96003"],
            "valeur": [12.34, 1234.5, np.nan],
            "masque": [False, False, True],
        }
    )


def _texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def _layers(spec: dict) -> list[dict]:
    return spec["layer"]


def _values(spec: dict) -> list[dict]:
    """The rows of a top-level chart's data (inline values or a named dataset)."""
    data = spec["data"]
    return data["values"] if "values" in data else spec["datasets"][data["name"]]


# -- choropleth ---------------------------------------------------------------------------------
def test_choropleth_spec_has_geoshape_lookup_and_french_title(collection, values):
    chart = charts.choropleth(collection, values, "Taux de pauvreté", SOURCE, label="Taux (%)")
    spec = chart.to_dict()
    assert spec["title"]["text"] == "Taux de pauvreté"
    assert spec["title"]["subtitle"] == [f"Source : {SOURCE}"]
    layers = _layers(spec)
    assert all(layer["mark"]["type"] == "geoshape" for layer in layers)
    assert all(layer["projection"]["type"] == "mercator" for layer in layers)
    lookup = next(t for t in layers[0]["transform"] if "lookup" in t)
    assert lookup["lookup"] == "properties.code"
    assert lookup["from"]["key"] == "code"
    assert set(lookup["from"]["fields"]) == {"valeur", "statut"}
    # the values layer: a sequential scheme and the French number format in the legend
    filled = layers[-1]
    color = filled["encoding"]["color"]
    assert color["field"] == "valeur" and color["scale"]["scheme"] == "blues"
    assert color["legend"]["format"] == ",.1f"
    assert {"field": "valeur", "format": ",.1f"}.items() <= next(
        t for t in filled["encoding"]["tooltip"] if t["field"] == "valeur"
    ).items()


def test_choropleth_secret_and_missing_are_grey_with_legend(collection, values):
    # 96003 masked -> « secret statistique »; 96004 absent from values -> « non disponible »
    spec = charts.choropleth(collection, values, "T", SOURCE).to_dict()
    grey = _layers(spec)[0]
    fill = grey["encoding"]["fill"]
    assert fill["field"] == "statut"
    assert fill["scale"]["domain"] == ["secret statistique", "non disponible"]
    lookup = next(t for t in grey["transform"] if "lookup" in t)
    rows = {r["code"]: r for r in lookup["from"]["data"]["values"]}
    assert rows["96003"]["statut"] == "secret statistique" and rows["96003"]["valeur"] is None
    assert rows["96004"]["statut"] == "non disponible"
    assert rows["96001"]["statut"] == "" and rows["96001"]["valeur"] == pytest.approx(12.34)
    svg = charts.to_svg(charts.choropleth(collection, values, "T", SOURCE))
    assert "secret statistique" in _texts(svg) and "non disponible" in _texts(svg)


def test_choropleth_without_grey_has_one_layer(collection):
    v = pd.DataFrame({"code": ["96001", "96002", "96003", "96004"], "valeur": [1, 2, 3, 4.0]})
    spec = charts.choropleth(collection, v, "T", SOURCE).to_dict()
    assert len(spec["layer"]) == 1


def test_choropleth_identity_projection_is_reflected(collection, values):
    spec = charts.choropleth(collection, values, "T", SOURCE, projection="identity").to_dict()
    assert spec["layer"][0]["projection"] == {"type": "identity", "reflectY": True}


def test_choropleth_restricts_to_codes(collection, values):
    spec = charts.choropleth(collection, values, "T", SOURCE, codes=["96001"]).to_dict()
    features = _values(spec)
    assert [f["properties"]["code"] for f in features] == ["96001"]
    with pytest.raises(ValueError):
        charts.choropleth(collection, values, "T", SOURCE, codes=["99999"])


def test_needs_index_map_uses_a_fixed_0_100_domain(collection):
    v = pd.DataFrame({"code": ["96001", "96002"], "indice_besoins": [80.0, 20.0]})
    spec = charts.needs_index_map(collection, v, "Indice", "calcul").to_dict()
    color = spec["layer"][-1]["encoding"]["color"]
    assert color["scale"]["scheme"] == "oranges"
    assert color["scale"]["domain"] == [0, 100]
    assert color["legend"]["format"] == ",.0f"


def _png_pixels(data: bytes) -> np.ndarray:
    """Decode an 8-bit RGBA/RGB PNG (no interlace) into a (h, w, channels) array."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, width = 8, b"", 0
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            width, height, depth, ctype = struct.unpack(">IIBB", body[:10])
            assert depth == 8 and ctype in (2, 6)
            channels = 4 if ctype == 6 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * channels
    out = np.zeros((height, stride), dtype=np.int64)
    prev = np.zeros(stride, dtype=np.int64)
    for y in range(height):
        f = raw[y * (stride + 1)]
        line = np.frombuffer(raw, dtype=np.uint8, count=stride, offset=y * (stride + 1) + 1)
        line = line.astype(np.int64)
        cur = np.zeros(stride, dtype=np.int64)
        for x in range(stride):
            a = cur[x - channels] if x >= channels else 0
            b = prev[x]
            c = prev[x - channels] if x >= channels else 0
            if f == 0:
                pred = 0
            elif f == 1:
                pred = a
            elif f == 2:
                pred = b
            elif f == 3:
                pred = (a + b) // 2
            else:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
            cur[x] = (line[x] + pred) & 0xFF
        out[y] = cur
        prev = cur
    return out.reshape(height, width, channels)


def _fill_ratio(chart) -> float:
    """Share of the map's bounding box painted in blue (legend, on the right, left out)."""
    px = _png_pixels(charts.to_png(chart, scale=1.0))
    rgb = px[..., :3]
    blue = (rgb[..., 2] - rgb[..., 0] > 20) & (px[..., 3] > 0 if px.shape[2] == 4 else True)
    blue[:, int(0.7 * blue.shape[1]) :] = False  # the colour legend
    ys, xs = np.nonzero(blue)
    box = (ys.max() - ys.min() + 1) * (xs.max() - xs.min() + 1)
    return blue.sum() / box


def test_map_png_draws_shapes_not_a_filled_frame():
    # two rhombi fill half of their bounding box; a ring wound the wrong way round paints the
    # whole frame in one colour (tech-notes, pitfall 9): the ratio would be about 1
    features = [_rhombus("96001", "A", 5.0, 47.0), _rhombus("96002", "B", 5.4, 47.0)]
    v = pd.DataFrame({"code": ["96001", "96002"], "valeur": [10.0, 20.0]})
    coll = {"type": "FeatureCollection", "features": features}
    chart = charts.choropleth(coll, v, "T", "S", width=200, height=100)
    assert len(charts.to_png(chart)) > 1000
    assert 0.35 < _fill_ratio(chart) < 0.65
    # the same shapes wound counter-clockwise (RFC 7946) do fill the frame
    wrong = [
        {
            **f,
            "geometry": {"type": "Polygon", "coordinates": [f["geometry"]["coordinates"][0][::-1]]},
        }
        for f in features
    ]
    bad = charts.choropleth({"type": "FeatureCollection", "features": wrong}, v, "T", "S")
    assert _fill_ratio(bad) > 0.95


# -- other builders -----------------------------------------------------------------------------
def test_reference_bars_spec_and_secret_label():
    data = pd.DataFrame(
        {
            "libelle": ["Taux (%)"] * 3 + ["Part (%)"] * 3,
            "serie": ["Territoire", "Département", "France"] * 2,
            "valeur": [12.345, 10.0, 11.0, np.nan, 20.0, np.nan],
            "masque": [False, False, False, True, False, False],
        }
    )
    chart = charts.reference_bars(data, "Petite enfance", "Cnaf")
    spec = chart.to_dict()
    assert spec["title"]["subtitle"] == ["Source : Cnaf", charts.RELATIVE_BARS_NOTE]
    bars = spec["layer"][0]
    assert bars["encoding"]["y"]["sort"] == ["Taux (%)", "Part (%)"]  # rows in given order
    assert bars["encoding"]["yOffset"]["sort"] == ["Territoire", "Département", "France"]
    assert bars["encoding"]["color"]["scale"]["domain"] == ["Territoire", "Département", "France"]
    assert bars["encoding"]["x"]["field"] == "_n" and bars["encoding"]["x"]["axis"] is None
    rows = _values(spec)
    texts = [r["texte"] for r in rows]
    assert texts == ["12,3", "10,0", "11,0", "secret", "20,0", "n.d."]  # French decimals
    # each indicator's bars relative to its largest value: 10 / 12,345 = 0,8100…
    expected = [1.0, 10 / 12.345, 11 / 12.345, 0.0, 1.0, 0.0]
    assert [r["_n"] for r in rows] == pytest.approx(expected)
    svg = charts.to_svg(chart)
    assert {"secret", "12,3", "n.d.", "Territoire", "France"} <= set(_texts(svg))
    assert _texts(svg).count("Territoire") == 1  # the series are named once, in the legend


def test_static_images_show_whole_labels_browsers_keep_the_limits():
    long = (
        "Part des enfants de moins de 3 ans accueillis par un établissement d'accueil du jeune "
        "enfant financé par la prestation de service unique (%)"
    )
    data = pd.DataFrame(
        {"libelle": [long] * 2, "serie": ["Territoire", "France"], "valeur": [1.0, 2.0]}
    )
    chart = charts.reference_bars(data, "Titre", "Cnaf")
    # the chart keeps its limit (420 px) for the browser
    assert chart.to_dict()["layer"][0]["encoding"]["y"]["axis"]["labelLimit"] == 420
    spec = charts._spec(chart)
    assert spec["layer"][0]["encoding"]["y"]["axis"]["labelLimit"] == 0
    assert spec["layer"][0]["encoding"]["color"]["legend"]["labelLimit"] == 0
    assert all(spec["config"][part]["labelLimit"] == 0 for part in ("axis", "legend", "header"))
    texts = _texts(charts.to_svg(chart))
    assert long in texts  # about 1 000 px wide: Vega would have cut it at 420 px with « … »
    assert not any("…" in t for t in texts)


def test_time_series_french_axis_format():
    data = pd.DataFrame(
        {
            "annee": [2019, 2020, 2021] * 2,
            "valeur": [1000.0, 2000.0, 3000.0, 1500.0, 2500.0, 3500.0],
            "serie": ["A"] * 3 + ["B"] * 3,
        }
    )
    chart = charts.time_series(data, "Population", "Insee", y_title="Habitants")
    spec = chart.to_dict()
    enc = spec["layer"][0]["encoding"]
    assert enc["x"]["field"] == "annee" and enc["y"]["field"] == "valeur"
    assert enc["y"]["axis"]["format"] == ",.1f"
    assert enc["strokeDash"]["field"] == "serie"
    assert spec["title"] == {"text": "Population", "subtitle": ["Source : Insee"]}
    texts = _texts(charts.to_svg(chart))
    # d3 fr-FR: no-break space for thousands, decimal comma
    assert "2\u00a0000,0" in texts and "Source : Insee" in texts


def test_locale_percent_and_thousands():
    frame = pd.DataFrame({"p": [0.123], "n": [1234.5]})
    pct = alt.Chart(frame).mark_text().encode(text=alt.Text("p:Q", format=".1%"))
    num = alt.Chart(frame).mark_text().encode(text=alt.Text("n:Q", format=",.1f"))
    assert _texts(charts.to_svg(pct)) == ["12,3\u202f%"]
    assert _texts(charts.to_svg(num)) == ["1\u00a0234,5"]


def test_ranked_communes_order_reference_and_masked_last():
    data = pd.DataFrame(
        {
            "nom": ["B", "A", "C", "D"],
            "valeur": [10.0, 30.0, np.nan, 20.0],
            "masque": [False, False, True, False],
        }
    )
    spec = charts.ranked_communes(
        data, "Couverture", "Cnaf", label="Taux", reference=15.0, reference_label="Dép. : 15,0"
    ).to_dict()
    bars = spec["layer"][0]
    assert bars["encoding"]["y"]["sort"] == ["A", "D", "B", "C"]  # highest first, secret last
    rows = {r["nom"]: r for r in spec["datasets"][bars["data"]["name"]]}
    assert rows["C"]["texte"] == "secret" and rows["A"]["texte"] == "30,0"
    assert rows["C"]["valeur"] is None
    rule = spec["layer"][2]
    assert rule["mark"]["type"] == "rule"


def test_children_and_coverage_charts_still_work():
    ages = pd.DataFrame(
        {"tranche": ["0-2 ans", "3-5 ans"], "effectif": [100.0, 120.0], "part": [3.0, 3.5]}
    )
    assert charts.to_svg(charts.children_by_age_chart(ages, "Âges", "Insee")).startswith("<svg")
    cov = pd.DataFrame({"annee": [2022, 2023], "taux": [55.0, 56.0], "serie": ["X", "X"]})
    assert "Source : Cnaf" in charts.to_svg(charts.coverage_chart(cov, "Couverture", "Cnaf"))


def test_save_writes_png_and_svg_atomically(tmp_path, collection, values):
    chart = charts.choropleth(collection, values, "T", SOURCE)
    charts.save(chart, tmp_path / "carte.png")
    charts.save(chart, tmp_path / "carte.svg")
    assert (tmp_path / "carte.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "carte.svg").read_text(encoding="utf-8").startswith("<svg")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["carte.png", "carte.svg"]
    with pytest.raises(TerritoireError, match=r"carte\.pdf.*\.png ou \.svg"):
        charts.save(chart, tmp_path / "carte.pdf")


def test_svg_for_notebooks_is_the_rendered_image_with_its_title_as_text():
    from IPython.core.formatters import DisplayFormatter
    from IPython.display import SVG

    ages = pd.DataFrame({"tranche": ["0-2 ans", "3-5 ans"], "effectif": [10, 20], "part": [1, 2]})
    chart = charts.children_by_age_chart(ages, "Âges — Essai", "Insee")
    shown, _ = DisplayFormatter().format(charts.svg(chart))
    assert set(shown) == {"image/svg+xml", "text/plain"}
    assert shown["text/plain"] == "Graphique « Âges — Essai »"
    # the same image as IPython's SVG object would show, without its minidom pass
    assert shown["image/svg+xml"] == SVG(charts.to_svg(chart)).data
