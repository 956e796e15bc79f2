"""Altair chart builders: they return charts, never display them.

French locale (1 234,5 ; 12,3 %), an accessible palette (Okabe–Ito), a title and a source
line on every chart. Static export goes through vl-convert with the French locale, so charts
render offline (no CDN).
"""

from __future__ import annotations

import altair as alt
import pandas as pd

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
    "months": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],  # fmt: skip
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
FONT = "DejaVu Sans, Arial, sans-serif"


def _config(chart: alt.Chart) -> alt.Chart:
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=13, titleFontSize=13, grid=True, gridColor="#e0e0e0")
        .configure_title(fontSize=16, anchor="start", subtitleFontSize=12, subtitleColor="#444")
    )


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


def to_svg(chart: alt.Chart) -> str:
    """Static SVG with the French locale (offline)."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(
        chart.to_json(), format_locale=FR_FORMAT_LOCALE, time_format_locale=FR_TIME_LOCALE
    )


def to_png(chart: alt.Chart, scale: float = 2.0) -> bytes:
    """Static PNG with the French locale (offline)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(
        chart.to_json(),
        scale=scale,
        format_locale=FR_FORMAT_LOCALE,
        time_format_locale=FR_TIME_LOCALE,
    )


def svg(chart: alt.Chart):
    """An IPython SVG object for notebooks: renders offline, with the French locale."""
    from IPython.display import SVG

    return SVG(to_svg(chart))
