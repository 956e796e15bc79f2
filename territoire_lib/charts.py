"""Altair chart builders: they return charts, never display them.

French locale (1 234,5 ; 12,3 %), an accessible palette (Okabe–Ito), a title and a source
line on every chart. Static export goes through vl-convert with the French locale, so charts
render offline (no CDN).

Layer « graphiques »: imports socle (errors, french).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

from . import french

# d3-format locale for fr-FR; the no-break spaces match vl-convert's built-in fr-FR locale
FR_FORMAT_LOCALE = {
    "decimal": ",",
    "thousands": "\u00a0",
    "grouping": [3],
    "currency": ["", "\u00a0€"],
    "percent": "\u202f%",
}
FR_TIME_LOCALE = {
    "dateTime": "%A %e %B %Y à %X",
    "date": "%d/%m/%Y",
    "time": "%H:%M:%S",
    "periods": ["AM", "PM"],
    "days": ["dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi"],
    "shortDays": ["dim.", "lun.", "mar.", "mer.", "jeu.", "ven.", "sam."],
    "months": list(french.MONTHS),
    "shortMonths": [
        "janv.",
        "févr.",
        "mars",
        "avr.",
        "mai",
        "juin",
        "juil.",
        "août",
        "sept.",
        "oct.",
        "nov.",
        "déc.",
    ],  # fmt: skip
}
# Okabe–Ito, readable by people with colour-vision deficiencies and on a projector
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
TERRITORY_COLOR = PALETTE[0]
REFERENCE_COLOR = PALETTE[1]
# Liberation Sans is bundled with vl-convert: static exports look the same on every machine
# (and render faster than with a system font); browsers fall back to Arial.
FONT = "Liberation Sans, Arial, sans-serif"
_AXIS = alt.AxisConfig(labelFontSize=13, titleFontSize=13, grid=True, gridColor="#e0e0e0")
_TITLE = alt.TitleConfig(fontSize=16, anchor="start", subtitleFontSize=12, subtitleColor="#444")


def _config(chart: alt.Chart) -> alt.Chart:
    # one configure() call: each call deep-copies the chart
    return chart.configure(font=FONT, axis=_AXIS, title=_TITLE)


def _title(title: str, source: str | None) -> alt.TitleParams:
    return alt.TitleParams(text=title, subtitle=[f"Source : {source}"] if source else [])


def children_by_age_chart(data: pd.DataFrame, title: str, source: str) -> alt.Chart:
    """Horizontal bars of children by age band (``tranche``, ``effectif``, ``part``)."""
    base = alt.Chart(data).encode(
        y=alt.Y("tranche:N", title=None, sort=list(data["tranche"])),
        x=alt.X("effectif:Q", title="Effectif", axis=alt.Axis(format=",.0f")),
        tooltip=[
            alt.Tooltip("tranche:N", title="Tranche d'âge"),
            alt.Tooltip("effectif:Q", title="Effectif", format=",.0f"),
            alt.Tooltip("part:Q", title="Part de la population (%)", format=",.1f"),
        ],
    )
    bars = base.mark_bar(color=TERRITORY_COLOR)
    labels = base.mark_text(align="left", dx=4, fontSize=13).encode(
        text=alt.Text("effectif:Q", format=",.0f")
    )
    return _config((bars + labels).properties(title=_title(title, source), width=420, height=180))


def coverage_chart(data: pd.DataFrame, title: str, source: str) -> alt.Chart:
    """Coverage rate by year for several series (``annee``, ``taux``, ``serie``)."""
    order = list(dict.fromkeys(data["serie"]))
    color = alt.Color(
        "serie:N",
        title=None,
        sort=order,
        scale=alt.Scale(domain=order, range=PALETTE[: len(order)]),
        legend=alt.Legend(orient="bottom", direction="vertical", labelFontSize=13, labelLimit=400),
    )
    base = alt.Chart(data).encode(
        x=alt.X("annee:O", title="Année (décembre)"),
        y=alt.Y(
            "taux:Q",
            title="Places pour 100 enfants de moins de 3 ans",
            axis=alt.Axis(format=",.0f"),
            scale=alt.Scale(zero=True),
        ),
        color=color,
        tooltip=[
            alt.Tooltip("serie:N", title="Territoire"),
            alt.Tooltip("annee:O", title="Année"),
            alt.Tooltip("taux:Q", title="Taux de couverture", format=",.1f"),
        ],
    )
    lines = base.mark_line(strokeWidth=3) + base.mark_point(size=70, filled=True)
    return _config(lines.properties(title=_title(title, source), width=400, height=240))


def _spec(chart: alt.Chart) -> dict:
    """The Vega-Lite spec to render statically. Schema validation (half the cost of building
    the spec) is left to the chart tests, which call ``to_dict()``; rendering checks it again.

    Label limits are dropped: vl-convert measures a label by laying out its glyphs (about
    3 ms for a 30-character label on the project's machine) and a label under a limit is
    measured once more to be cut, several times when it is cut. A static image has room for
    whole labels; browsers keep the limits of the chart.
    """
    spec = chart.to_dict(validate=False)
    spec = {k: (v if k == "datasets" else _without_label_limits(v)) for k, v in spec.items()}
    config = spec.setdefault("config", {})
    for part in ("axis", "legend", "header"):
        config[part] = {**config.get(part, {}), "labelLimit": 0}
    return spec


def _without_label_limits(node):
    """A copy of a spec fragment with every ``labelLimit`` set to 0 (no limit)."""
    if isinstance(node, dict):
        return {k: (0 if k == "labelLimit" else _without_label_limits(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_without_label_limits(v) for v in node]
    return node


def to_svg(chart: alt.Chart) -> str:
    """Static SVG with the French locale (offline)."""
    return _svg_of(_spec(chart))


def _svg_of(spec: dict) -> str:
    import vl_convert as vlc

    return vlc.vegalite_to_svg(
        spec, format_locale=FR_FORMAT_LOCALE, time_format_locale=FR_TIME_LOCALE
    )


def to_png(chart: alt.Chart, scale: float = 2.0) -> bytes:
    """Static PNG with the French locale (offline)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(
        _spec(chart),
        scale=scale,
        format_locale=FR_FORMAT_LOCALE,
        time_format_locale=FR_TIME_LOCALE,
    )


class StaticChart:
    """A chart rendered to SVG, shown as such by Jupyter (see :func:`svg`).

    IPython's own ``SVG`` object parses the image with minidom to check it, about 15 ms for
    a 50 kB chart; the SVG comes from vl-convert and is shown as it is. Where an image cannot
    be shown, the text is the chart's title.
    """

    def __init__(self, svg_text: str, title: str = ""):
        self.data = svg_text
        self.title = title

    def _repr_mimebundle_(self, include=None, exclude=None):
        label = f"Graphique « {self.title} »" if self.title else "Graphique"
        return {"image/svg+xml": self.data, "text/plain": label}


def svg(chart: alt.Chart) -> StaticChart:
    """The chart as an SVG image for notebooks: renders offline, with the French locale."""
    spec = _spec(chart)
    title = spec.get("title")
    text = title.get("text", "") if isinstance(title, dict) else (title or "")
    if isinstance(text, list):
        text = " ".join(text)
    return StaticChart(_svg_of(spec), str(text))


# -- diagnostic charts: maps, references, series, rankings ------------------------------------
SECRET_LABEL = "secret statistique"
LOW_LABEL = "moins de 5 (donnée confidentielle)"
MISSING_LABEL = "non disponible"
GREYS = {SECRET_LABEL: "#a3a3a3", LOW_LABEL: "#c9c9c9", MISSING_LABEL: "#e3e3e3"}
SHORT_LABELS = {SECRET_LABEL: "secret", LOW_LABEL: "< 5", MISSING_LABEL: "n.d."}
STROKE = "#ffffff"
SEQUENTIAL_SCHEME = "blues"  # ColorBrewer, single hue: readable with colour-vision deficiencies
NEEDS_SCHEME = "oranges"


def _status_of(frame: pd.DataFrame, value: str = "valeur") -> pd.Series:
    """The status of each row: for a masked row, from its ``etiquette`` when given (« < 5 »
    → « moins de 5 (donnée confidentielle) », « n.d. » → « non disponible »), else
    « secret statistique »; « non disponible » for a missing value; "" otherwise."""
    masked = (
        frame["masque"].fillna(False).astype(bool)
        if "masque" in frame
        else pd.Series(False, index=frame.index)
    )
    missing = pd.to_numeric(frame[value], errors="coerce").isna()
    out = pd.Series("", index=frame.index, dtype=object)
    out[missing] = MISSING_LABEL
    label = frame["etiquette"] if "etiquette" in frame else pd.Series("", index=frame.index)
    label = label.fillna("").astype(str).map({"< 5": LOW_LABEL, "n.d.": MISSING_LABEL})
    out[masked] = label[masked].fillna(SECRET_LABEL)
    return out


def _wrap(text: str, width: int = 26) -> list[str]:
    """A legend title on several lines (legend titles are not wrapped by Vega)."""
    import textwrap

    return textwrap.wrap(text, width) or [text]


def _map_rows(collection: dict, values: pd.DataFrame, codes=None) -> tuple[list, pd.DataFrame]:
    """The features to draw and one row per feature (code, valeur, statut)."""
    features = list((collection or {}).get("features") or [])
    if codes is not None:
        keep = {str(c) for c in codes}
        features = [f for f in features if str(f["properties"]["code"]) in keep]
    if not features:
        raise ValueError("aucun contour de commune à dessiner pour ce territoire")
    feat_codes = pd.Index([str(f["properties"]["code"]) for f in features], name="code")
    v = values.assign(code=values["code"].astype(str)).drop_duplicates("code").set_index("code")
    rows = pd.DataFrame(index=feat_codes)
    rows["valeur"] = pd.to_numeric(v["valeur"], errors="coerce").reindex(feat_codes)
    rows["masque"] = (
        v["masque"].reindex(feat_codes).fillna(False).astype(bool) if "masque" in v else False
    )
    if "etiquette" in v:
        rows["etiquette"] = v["etiquette"].reindex(feat_codes).fillna("")
    rows["statut"] = _status_of(rows)
    rows = rows.drop(columns="etiquette", errors="ignore")
    rows["valeur"] = rows["valeur"].where(rows["statut"] == "")
    rows = rows.reset_index()
    rows["valeur"] = rows["valeur"].astype(object).where(rows["valeur"].notna(), None)
    return features, rows


def choropleth(
    collection: dict,
    values: pd.DataFrame,
    title: str,
    source: str,
    *,
    label: str = "Valeur",
    value_format: str = ",.1f",
    codes=None,
    scheme: str = SEQUENTIAL_SCHEME,
    reverse: bool = False,
    domain: tuple[float, float] | None = None,
    projection: str = "mercator",
    width: int = 460,
    height: int = 420,
) -> alt.LayerChart:
    """A map of one value per commune.

    ``collection`` is a GeoJSON FeatureCollection whose features carry ``properties.code`` and
    ``properties.nom`` (``Territory.contours``: rings already wound clockwise for Vega's
    spherical projections). ``values`` has columns ``code`` and ``valeur``, optionally
    ``masque`` (statistical secrecy) and ``etiquette``. Values are joined to the shapes with a
    lookup on ``properties.code``. Masked communes are drawn in dark grey (« secret
    statistique »), or mid grey for a confidential count under 5 (« moins de 5 »), communes
    without a value in light grey (« non disponible »), each with a legend entry.
    ``codes`` restricts the map to some communes (default: every feature). ``projection``:
    ``mercator`` for longitude/latitude, ``identity`` for planar coordinates (Lambert-93), drawn
    with ``reflectY``.
    """
    features, rows = _map_rows(collection, values, codes)
    caption = _gap_caption(features, values, codes)
    lookup = alt.LookupData(
        data=alt.Data(values=rows.to_dict(orient="records")),
        key="code",
        fields=["valeur", "statut"],
    )
    proj = (
        {"type": projection, "reflectY": True} if projection == "identity" else {"type": projection}
    )
    base = (
        alt.Chart(alt.Data(values=features))
        .transform_lookup(lookup="properties.code", from_=lookup)
        .project(**proj)
    )
    tooltip = [
        alt.Tooltip("properties.nom:N", title="Commune"),
        alt.Tooltip("valeur:Q", title=label, format=value_format),
    ]
    scale = alt.Scale(scheme=scheme, reverse=reverse)
    if domain is not None:
        scale = alt.Scale(scheme=scheme, reverse=reverse, domain=list(domain))
    filled = (
        base.transform_filter("datum.statut === ''")
        .mark_geoshape(stroke=STROKE, strokeWidth=0.6)
        .encode(
            color=alt.Color(
                "valeur:Q",
                title=label,
                scale=scale,
                legend=alt.Legend(format=value_format, orient="right", title=_wrap(label)),
            ),
            tooltip=tooltip,
        )
    )
    layers = [filled]
    statuses = [s for s in GREYS if (rows["statut"] == s).any()]
    if statuses:
        grey = (
            base.transform_filter("datum.statut !== ''")
            .mark_geoshape(stroke=STROKE, strokeWidth=0.6)
            .encode(
                fill=alt.Fill(
                    "statut:N",
                    title=None,
                    scale=alt.Scale(domain=statuses, range=[GREYS[s] for s in statuses]),
                    legend=alt.Legend(orient="right", labelFontSize=12, symbolType="square"),
                ),
                tooltip=[
                    alt.Tooltip("properties.nom:N", title="Commune"),
                    alt.Tooltip("statut:N", title=label),
                ],
            )
        )
        layers.insert(0, grey)
    chart = alt.layer(*layers).resolve_scale(color="independent", fill="independent")
    heading = _title(title, source)
    if caption:
        heading = alt.TitleParams(text=title, subtitle=[*heading.subtitle, *caption])
    return _config(chart.properties(title=heading, width=width, height=height)).configure_view(
        stroke=None
    )


def _gap_caption(features: list, values: pd.DataFrame, codes=None) -> list[str]:
    """Subtitle lines naming the communes asked for (``codes``) that have no outline: the map
    shows a blank there, which must not read as « no value »."""
    if codes is None:
        return []
    drawn = {str(f["properties"]["code"]) for f in features}
    gaps = [str(c) for c in dict.fromkeys(codes) if str(c) not in drawn]
    if not gaps:
        return []
    names = (
        values.assign(code=values["code"].astype(str))
        .drop_duplicates("code")
        .set_index("code")["nom"]
        if "nom" in values
        else pd.Series(dtype=str)
    )
    shown = [f"{names[c]} ({c})" if c in names.index else c for c in gaps[:6]]
    more = f" et {len(gaps) - 6} autre(s)" if len(gaps) > 6 else ""
    n = len(gaps)
    lines = _wrap(
        f"{n} commune{'s' if n > 1 else ''} sans contour dans le fichier des contours, "
        f"laissée{'s' if n > 1 else ''} en blanc : " + ", ".join(shown) + more + ".",
        width=90,
    )
    return lines


def needs_index_map(
    collection: dict, values: pd.DataFrame, title: str, source: str, *, codes=None
) -> alt.LayerChart:
    """Map of the needs index (0 to 100, orange: the darker, the greater the needs).

    ``values``: columns ``code`` and ``indice_besoins`` (or ``valeur``)."""
    if "valeur" not in values and "indice_besoins" in values:
        values = values.rename(columns={"indice_besoins": "valeur"})
    return choropleth(
        collection,
        values,
        title,
        source,
        label="Indice de besoins (0 à 100)",
        value_format=",.0f",
        codes=codes,
        scheme=NEEDS_SCHEME,
        domain=(0, 100),
    )


def _bar_text(frame: pd.DataFrame, decimals: int) -> pd.Series:
    status = _status_of(frame)
    text = frame["valeur"].map(lambda v: french.number(float(v), decimals) if pd.notna(v) else "")
    return text.where(status == "", status.replace(SHORT_LABELS))


RELATIVE_BARS_NOTE = "Longueur des barres relative à chaque indicateur ; valeurs inscrites."


def reference_bars(
    data: pd.DataFrame,
    title: str,
    source: str,
    *,
    value_format: str = ",.1f",
    decimals: int = 1,
    width: int = 300,
) -> alt.LayerChart:
    """The territory against the département and France: three bars per indicator.

    ``data`` columns: ``libelle`` (indicator label with its unit), ``serie`` (territory,
    département, France, in that order), ``valeur``, optionally ``masque``. Indicators of
    different units sit together, so each indicator has its own scale: its bars are drawn
    relative to its largest value (column ``_n``, 0 to 1) and every value is written at the
    end of its bar (masked values show « secret » or « < 5 », missing ones « n.d. »; column
    ``etiquette`` when given). The series are
    named once, in a legend in the order of the bars.

    One view with the indicators as rows, not one panel per indicator: a static image
    measures every label with vl-convert (about 0.09 ms per character), and panels repeat
    the series names and an axis each; for seven indicators this renders in half the time.
    """
    data = data.copy()
    data["texte"] = _bar_text(data, decimals)
    data["valeur"] = data["valeur"].where(_status_of(data) == "")
    data["_x"] = data["valeur"].fillna(0.0)
    largest = data.groupby("libelle", sort=False)["_x"].transform("max")
    data["_n"] = (data["_x"] / largest.where(largest > 0)).fillna(0.0)
    order = list(dict.fromkeys(data["serie"]))
    labels = list(dict.fromkeys(data["libelle"]))
    y = alt.Y(
        "libelle:N",
        title=None,
        sort=labels,
        axis=alt.Axis(
            labelFontSize=13,
            labelFontWeight="bold",
            labelLimit=420,
            labelPadding=8,
            domain=False,
            ticks=False,
            grid=False,
        ),
    )
    y_offset = alt.YOffset("serie:N", sort=order, scale=alt.Scale(paddingOuter=0.3))
    x = alt.X("_n:Q", axis=None, scale=alt.Scale(domain=[0, 1.25]))  # room for the labels
    bars = (
        alt.Chart()
        .mark_bar()
        .encode(
            y=y,
            yOffset=y_offset,
            x=x,
            color=alt.Color(
                "serie:N",
                sort=order,
                scale=alt.Scale(domain=order, range=PALETTE[: len(order)]),
                legend=alt.Legend(orient="top", title=None, labelFontSize=13, labelLimit=400),
            ),
            tooltip=[
                alt.Tooltip("libelle:N", title="Indicateur"),
                alt.Tooltip("serie:N", title="Territoire"),
                alt.Tooltip("valeur:Q", title="Valeur", format=value_format),
            ],
        )
    )
    text = (
        alt.Chart()
        .mark_text(align="left", dx=4, fontSize=12)
        .encode(y=y, yOffset=y_offset, x=x, text=alt.Text("texte:N"))
    )
    chart = alt.layer(bars, text, data=data).properties(
        width=width,
        height=alt.Step(20 * len(order)),
        title=alt.TitleParams(
            text=title,
            subtitle=[f"Source : {source}", RELATIVE_BARS_NOTE] if source else [RELATIVE_BARS_NOTE],
        ),
    )
    return _config(chart)


def time_series(
    data: pd.DataFrame,
    title: str,
    source: str,
    *,
    y_title: str = "Valeur",
    value_format: str = ",.1f",
    x_title: str = "Année",
    zero: bool = True,
) -> alt.LayerChart:
    """Values by year for several series (``annee``, ``valeur``, ``serie``).

    Series differ by colour and by dash (readable without colour); the first series is the
    territory, drawn solid."""
    order = list(dict.fromkeys(data["serie"]))
    dashes = [[1, 0], [6, 3], [2, 2], [8, 3, 2, 3], [1, 3]]
    legend = alt.Legend(orient="bottom", direction="vertical", labelFontSize=13, labelLimit=400)
    base = alt.Chart(data).encode(
        x=alt.X("annee:O", title=x_title),
        y=alt.Y(
            "valeur:Q",
            title=y_title,
            axis=alt.Axis(format=value_format),
            scale=alt.Scale(zero=zero),
        ),
        color=alt.Color(
            "serie:N",
            title=None,
            sort=order,
            scale=alt.Scale(domain=order, range=PALETTE[: len(order)]),
            legend=legend,
        ),
        tooltip=[
            alt.Tooltip("serie:N", title="Territoire"),
            alt.Tooltip("annee:O", title="Année"),
            alt.Tooltip("valeur:Q", title=y_title, format=value_format),
        ],
    )
    lines = base.mark_line(strokeWidth=3).encode(
        strokeDash=alt.StrokeDash(
            "serie:N",
            sort=order,
            scale=alt.Scale(domain=order, range=[dashes[i % 5] for i in range(len(order))]),
            legend=None,
        )
    )
    chart = lines + base.mark_point(size=70, filled=True)
    return _config(chart.properties(title=_title(title, source), width=400, height=240))


def ranked_communes(
    data: pd.DataFrame,
    title: str,
    source: str,
    *,
    label: str = "Valeur",
    value_format: str = ",.1f",
    decimals: int = 1,
    reference: float | None = None,
    reference_label: str | None = None,
    width: int = 380,
) -> alt.LayerChart:
    """Communes ranked by a value, highest first (``nom``, ``valeur``, optionally ``masque``).

    Masked or missing communes come last with « secret », « < 5 » or « n.d. » (column
    ``etiquette`` when given) instead of a bar. An
    optional ``reference`` (e.g. the département) is drawn as a dashed vertical line."""
    data = data.copy()
    status = _status_of(data)
    data["texte"] = _bar_text(data, decimals)
    data["valeur"] = data["valeur"].where(status == "")
    data["_x"] = data["valeur"].fillna(0.0)
    data = data.assign(_s=status != "").sort_values(
        ["_s", "valeur", "nom"], ascending=[True, False, True], na_position="last"
    )
    order = list(dict.fromkeys(data["nom"]))
    data = data.drop(columns="_s")
    base = alt.Chart(data).encode(
        y=alt.Y("nom:N", title=None, sort=order, axis=alt.Axis(labelLimit=240)),
    )
    bars = base.mark_bar(color=TERRITORY_COLOR).encode(
        x=alt.X("valeur:Q", title=label, axis=alt.Axis(format=value_format)),
        tooltip=[
            alt.Tooltip("nom:N", title="Commune"),
            alt.Tooltip("valeur:Q", title=label, format=value_format),
        ],
    )
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(
        x=alt.X("_x:Q"),  # masked rows: the label sits at 0 (a null x is not drawn)
        text=alt.Text("texte:N"),
    )
    layers = [bars, text]
    if reference is not None and pd.notna(reference):
        ref = pd.DataFrame({"valeur": [float(reference)], "serie": [reference_label or ""]})
        rule = (
            alt.Chart(ref)
            .mark_rule(color=REFERENCE_COLOR, strokeDash=[6, 3], strokeWidth=2)
            .encode(
                x=alt.X("valeur:Q"),
                tooltip=[
                    alt.Tooltip("serie:N", title="Référence"),
                    alt.Tooltip("valeur:Q", title=label, format=value_format),
                ],
            )
        )
        layers.append(rule)
        if reference_label:
            layers.append(
                alt.Chart(ref)
                .mark_text(align="left", dx=4, dy=-6, color="#7a4f00", fontSize=12, y=0)
                .encode(x=alt.X("valeur:Q"), text=alt.Text("serie:N"))
            )
    chart = alt.layer(*layers).properties(
        title=_title(title, source), width=width, height=max(60, 20 * len(order))
    )
    return _config(chart)


def save(chart: alt.TopLevelMixin, path) -> None:
    """Write a chart as PNG or SVG (by extension), offline, atomically (temp file + rename)."""
    import os
    import tempfile
    from pathlib import Path

    from .errors import TerritoireError

    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".png", ".svg"):
        raise TerritoireError(
            f"Format de graphique non pris en charge : « {path.name} ». "
            "Attendu un fichier .png ou .svg."
        )
    payload = to_png(chart) if suffix == ".png" else to_svg(chart).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


# -- scenarios --
FUNDER_COLORS = {
    "CAF": PALETTE[0],
    "Familles": PALETTE[1],
    "Commune": PALETTE[3],
    "Autres financeurs": PALETTE[2],
}


def scenario_trajectory_chart(
    data: pd.DataFrame,
    title: str,
    source: str,
    reference: float | None = None,
    reference_label: str | None = None,
    y_title: str = "Places pour 100 enfants de moins de 3 ans",
) -> alt.Chart:
    """Coverage trajectory of one or more scenarios (``annee``, ``taux``, ``scenario``), with
    an optional horizontal reference (e.g. France)."""
    order = list(dict.fromkeys(data["scenario"]))
    color = alt.Color(
        "scenario:N",
        title=None,
        sort=order,
        scale=alt.Scale(domain=order, range=PALETTE[: len(order)]),
        legend=alt.Legend(orient="bottom", direction="vertical", labelFontSize=13, labelLimit=500),
    )
    base = alt.Chart(data).encode(
        x=alt.X("annee:O", title="Année (décembre)"),
        y=alt.Y(
            "taux:Q",
            title=y_title,
            axis=alt.Axis(format=",.0f", tickMinStep=1),
            scale=alt.Scale(zero=False),
        ),
        color=color,
        tooltip=[
            alt.Tooltip("scenario:N", title="Scénario"),
            alt.Tooltip("annee:O", title="Année"),
            alt.Tooltip("taux:Q", title="Taux de couverture", format=",.1f"),
        ],
    )
    layers = [base.mark_line(strokeWidth=3), base.mark_point(size=70, filled=True)]
    if reference is not None:
        ref = pd.DataFrame({"taux": [float(reference)], "libelle": [reference_label or ""]})
        layers.append(
            alt.Chart(ref)
            .mark_rule(color="#555555", strokeDash=[6, 4])
            .encode(y=alt.Y("taux:Q"), tooltip=[alt.Tooltip("libelle:N", title="Référence")])
        )
        if reference_label:
            layers.append(
                alt.Chart(ref)
                .mark_text(align="left", x=4, dy=-7, color="#333333", fontSize=12)
                .encode(y=alt.Y("taux:Q"), text=alt.Text("libelle:N"))
            )
    chart = alt.layer(*layers).properties(title=_title(title, source), width=460, height=260)
    return _config(chart)


def funders_chart(data: pd.DataFrame, title: str, source: str) -> alt.Chart:
    """Stacked bars of costs by funder per year (``annee``, ``financeur``, ``montant``); one
    panel per scenario when a ``scenario`` column is present. Closures count negative."""
    funders = [f for f in FUNDER_COLORS if f in set(data["financeur"])]
    frame = data.groupby(
        [c for c in ("scenario", "annee", "financeur") if c in data], as_index=False
    )["montant"].sum()
    frame["ordre"] = frame["financeur"].map({f: i for i, f in enumerate(funders)})
    enc = {
        "x": alt.X("annee:O", title="Année"),
        "y": alt.Y("sum(montant):Q", title="Euros par an", axis=alt.Axis(format=",.0f")),
        "color": alt.Color(
            "financeur:N",
            title=None,
            sort=funders,
            scale=alt.Scale(domain=funders, range=[FUNDER_COLORS[f] for f in funders]),
            legend=alt.Legend(orient="bottom", labelFontSize=13),
        ),
        "order": alt.Order("ordre:Q"),
        "tooltip": [
            alt.Tooltip("annee:O", title="Année"),
            alt.Tooltip("financeur:N", title="Financeur"),
            alt.Tooltip("sum(montant):Q", title="Montant (€)", format=",.0f"),
        ],
    }
    bars = alt.Chart(frame).mark_bar().encode(**enc)
    if "scenario" in frame:
        chart = bars.properties(width=220, height=240).facet(
            column=alt.Column(
                "scenario:N",
                title=None,
                # « Scénario A — crèche… » on two lines
                header=alt.Header(labelFontSize=13, labelExpr="split(datum.label, ' — ')"),
            )
        )
        return _config(chart.properties(title=_title(title, source)))
    return _config(bars.properties(title=_title(title, source), width=420, height=260))


def tornado_chart(data: pd.DataFrame, title: str, source: str, axis_title: str) -> alt.Chart:
    """Tornado chart of a sensitivity analysis (``libelle``, ``resultat_bas``,
    ``resultat_central``, ``resultat_haut``): one bar per hypothesis from the central result
    to the result with the low value and with the high value, largest swing on top."""
    order = list(data["libelle"])
    rows = []
    for r in data.itertuples():
        for side, value in (("valeur basse", r.resultat_bas), ("valeur haute", r.resultat_haut)):
            rows.append(
                {
                    "libelle": r.libelle,
                    "cote": side,
                    "central": float(r.resultat_central),
                    "resultat": float(value),
                }
            )
    frame = pd.DataFrame(rows)
    bars = (
        alt.Chart(frame)
        .mark_bar(height=18)
        .encode(
            y=alt.Y("libelle:N", title=None, sort=order, axis=alt.Axis(labelLimit=320)),
            x=alt.X(
                "central:Q",
                title=axis_title,
                axis=alt.Axis(format=",.0f"),
                scale=alt.Scale(zero=False),
            ),
            x2=alt.X2("resultat:Q"),
            color=alt.Color(
                "cote:N",
                title="Hypothèse",
                scale=alt.Scale(
                    domain=["valeur basse", "valeur haute"], range=[PALETTE[5], PALETTE[3]]
                ),
                legend=alt.Legend(orient="bottom", labelFontSize=13),
            ),
            tooltip=[
                alt.Tooltip("libelle:N", title="Hypothèse"),
                alt.Tooltip("cote:N", title="Valeur"),
                alt.Tooltip("resultat:Q", title="Résultat", format=",.1f"),
                alt.Tooltip("central:Q", title="Résultat central", format=",.1f"),
            ],
        )
    )
    central = float(data["resultat_central"].iloc[0]) if len(data) else 0.0
    rule = (
        alt.Chart(pd.DataFrame({"central": [central]}))
        .mark_rule(color="#000000")
        .encode(x=alt.X("central:Q"))
    )
    chart = alt.layer(bars, rule).properties(
        title=_title(title, source), width=440, height=max(80, 34 * len(order))
    )
    return _config(chart)
