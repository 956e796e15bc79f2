"""Altair builders for the evaluation of a CTG: bullet charts of progress toward targets,
trajectories against the expected path, budget planned against spent.

Same conventions as :mod:`territoire_lib.charts` (French locale through ``charts.to_svg``,
Okabe–Ito palette, a title and a source line): the builders return charts, never display
them. Statuses are shown by a symbol and a word as well as a colour.

Layer « évaluation »; imports graphiques (:mod:`territoire_lib.charts`), :mod:`.constants`
and :mod:`.wording` (never :mod:`.core`: the evaluation imports these builders, not the
reverse).
"""

from __future__ import annotations

import altair as alt
import numpy as np
import pandas as pd

from ..charts import PALETTE, REFERENCE_COLOR, TERRITORY_COLOR, _config, _title
from .constants import AT_RISK, LATE, ON_TRACK, TOLERANCE
from .wording import pct, status_label

# light bands behind the bars (the bar itself stays dark: contrast ≥ 4.5 against each band)
BAND_COLORS = {LATE: "#f6d5c4", AT_RISK: "#fbe7bf", ON_TRACK: "#d3eee4"}
DRAW_RANGE = (-0.2, 1.5)  # shares beyond are drawn at the edge; the label gives the true value


def bullet_chart(
    data: pd.DataFrame,
    title: str,
    source: str,
    *,
    tolerance: float = TOLERANCE,
    width: int = 420,
) -> alt.LayerChart:
    """One bullet per row, on the common scale of the share of the objective achieved
    (0 % = baseline, 100 % = target).

    ``data`` columns: ``libelle`` (row label), ``part_atteinte``, ``part_attendue``,
    ``statut``, optionally ``texte`` (the values in words, e.g. « 12 → 20, cible 30 »).
    Behind each bar, bands show the status zones of the rule around the expected share
    (« en retard », « à surveiller », « en bonne voie »); a black tick marks the expected
    share, a dashed line the target (100 %). Rows without a share show their status only.
    """
    frame = data.copy().reset_index(drop=True)
    frame["libelle"] = frame["libelle"].astype(str)
    order = list(dict.fromkeys(frame["libelle"]))
    lo, hi = DRAW_RANGE
    ach = pd.to_numeric(frame["part_atteinte"], errors="coerce")
    exp = pd.to_numeric(frame["part_attendue"], errors="coerce")
    frame["_bar"] = ach.clip(lo, hi)
    frame["_exp"] = exp
    frame["etat"] = frame["statut"].map(status_label)
    frame["_txt"] = frame["etat"] + frame.get("texte", pd.Series("", index=frame.index)).map(
        lambda t: f" — {t}" if isinstance(t, str) and t else ""
    )
    frame["atteinte"] = ach.map(pct)
    frame["attendue"] = exp.map(pct)
    bands = []
    for name, e in zip(frame["libelle"], exp, strict=True):  # three bands per row
        if pd.isna(e):
            continue
        edges = [lo, e - 2 * tolerance, e - tolerance, hi]
        for zone, a, b in zip((LATE, AT_RISK, ON_TRACK), edges[:-1], edges[1:], strict=True):
            a, b = max(a, lo), min(b, hi)
            if b > a:
                bands.append({"libelle": name, "zone": zone, "x": a, "x2": b})
    band_frame = pd.DataFrame(bands, columns=["libelle", "zone", "x", "x2"])
    y = alt.Y("libelle:N", title=None, sort=order, axis=alt.Axis(labelLimit=300, labelFontSize=13))
    x_scale = alt.Scale(domain=[lo, hi], nice=False, clamp=True)
    x_axis = alt.Axis(format=".0%", values=[0, 0.25, 0.5, 0.75, 1.0, 1.25, 1.5], labelFontSize=12)
    zones = [LATE, AT_RISK, ON_TRACK]
    band_layer = (
        alt.Chart(band_frame)
        .mark_bar(height=26)
        .encode(
            y=y,
            x=alt.X(
                "x:Q",
                title="Part de l'objectif atteinte (0 % = référence, 100 % = cible)",
                scale=x_scale,
                axis=x_axis,
            ),  # fmt: skip
            x2=alt.X2("x2:Q"),
            color=alt.Color(
                "zone:N",
                title="Zones de la règle",
                sort=zones,
                scale=alt.Scale(domain=zones, range=[BAND_COLORS[z] for z in zones]),
                legend=alt.Legend(orient="bottom", labelFontSize=12, symbolType="square"),
            ),
        )
    )
    base = alt.Chart(frame).encode(y=y)
    tooltip = [
        alt.Tooltip("libelle:N", title="Indicateur"),
        alt.Tooltip("atteinte:N", title="Part atteinte"),
        alt.Tooltip("attendue:N", title="Part attendue"),
        alt.Tooltip("etat:N", title="Statut"),
    ]
    bar = base.mark_bar(height=10, color="#1a1a1a").encode(
        x=alt.X("_bar:Q", scale=x_scale), x2=alt.X2(datum=0), tooltip=tooltip
    )
    tick = base.mark_tick(color="#000000", thickness=3, size=30).encode(
        x=alt.X("_exp:Q", scale=x_scale), tooltip=tooltip
    )
    target = (
        alt.Chart(pd.DataFrame({"x": [1.0]}))
        .mark_rule(color=TERRITORY_COLOR, strokeDash=[5, 3], strokeWidth=2)
        .encode(x=alt.X("x:Q", scale=x_scale))
    )
    label = base.mark_text(align="left", dx=8, fontSize=12, color="#1a1a1a").encode(
        x=alt.XDatum(hi), text=alt.Text("_txt:N")
    )
    heading = _title(title, source)
    heading.subtitle = [
        *heading.subtitle,
        "Barre noire : part atteinte ; trait vertical noir : part attendue cette année-là ; "
        "tirets bleus : la cible.",
    ]
    chart = alt.layer(band_layer, bar, tick, target, label).properties(
        title=heading, width=width, height=max(60, 34 * len(order))
    )
    return _config(chart).configure_view(stroke=None)


def trajectory_chart(
    data: pd.DataFrame,
    title: str,
    source: str,
    *,
    columns: int = 2,
    width: int = 300,
    height: int = 170,
) -> alt.TopLevelMixin:
    """Realised values against the expected path from the baseline to the target, one panel
    per indicator (``libelle``), each with its own scale.

    ``data`` columns: ``libelle``, ``annee``, ``valeur``, ``serie`` (« réalisé » or
    « trajectoire attendue »; the latter holds at least the baseline and the target points).
    The realised series is solid with points, the expected path dashed with the target
    marked by a diamond.
    """
    frame = data.copy()
    frame["annee"] = frame["annee"].astype(int)
    series = ["réalisé", "trajectoire attendue"]
    color = alt.Color(
        "serie:N",
        title=None,
        sort=series,
        scale=alt.Scale(domain=series, range=[TERRITORY_COLOR, REFERENCE_COLOR]),
        legend=alt.Legend(orient="bottom", labelFontSize=13),
    )
    dash = alt.StrokeDash(
        "serie:N", sort=series, scale=alt.Scale(domain=series, range=[[1, 0], [6, 4]]), legend=None
    )
    base = alt.Chart().encode(
        x=alt.X("annee:O", title="Année", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("valeur:Q", title=None, scale=alt.Scale(zero=False), axis=alt.Axis(format=",.4~f")),
        color=color,
        tooltip=[
            alt.Tooltip("libelle:N", title="Indicateur"),
            alt.Tooltip("serie:N", title="Série"),
            alt.Tooltip("annee:O", title="Année"),
            alt.Tooltip("valeur:Q", title="Valeur", format=",.4~f"),
        ],
    )
    lines = base.mark_line(strokeWidth=3).encode(strokeDash=dash)
    points = base.transform_filter("datum.serie === 'réalisé'").mark_point(size=70, filled=True)
    target = (
        base.transform_filter("datum.serie === 'trajectoire attendue'")
        .transform_joinaggregate(last="max(annee)", groupby=["libelle"])
        .transform_filter("datum.annee === datum.last")
        .mark_point(shape="diamond", size=130, filled=True)
    )
    layered = alt.layer(lines, points, target, data=frame).properties(width=width, height=height)
    labels = list(dict.fromkeys(frame["libelle"]))
    chart = layered.facet(
        facet=alt.Facet(
            "libelle:N",
            title=None,
            sort=labels,
            header=alt.Header(labelFontSize=13, labelFontWeight="bold", labelLimit=340),
        ),
        columns=columns,
        spacing=18,
    ).resolve_scale(y="independent")
    return _config(chart.properties(title=_title(title, source)))


def trajectory_frame(
    values: pd.DataFrame, indicators: pd.DataFrame, label: str = "libelle"
) -> pd.DataFrame:
    """The input of :func:`trajectory_chart` from realised values (``indicateur``, ``annee``,
    ``valeur``) and indicator definitions (``indicateur``, ``label``, ``valeur_reference``,
    ``annee_reference``, ``cible``, ``annee_cible``). The realised series starts at the
    baseline."""
    ind = indicators.set_index("indicateur")
    path = pd.concat(
        [
            pd.DataFrame(
                {
                    "indicateur": ind.index,
                    "annee": ind["annee_reference"].to_numpy(),
                    "valeur": ind["valeur_reference"].to_numpy(),
                }
            ),
            pd.DataFrame(
                {
                    "indicateur": ind.index,
                    "annee": ind["annee_cible"].to_numpy(),
                    "valeur": ind["cible"].to_numpy(),
                }
            ),
        ]
    ).assign(serie="trajectoire attendue")
    start = path.iloc[: len(ind)].assign(serie="réalisé")
    real = values[["indicateur", "annee", "valeur"]].assign(serie="réalisé")
    real = real[real["indicateur"].isin(ind.index)]
    real = pd.concat([start, real]).drop_duplicates(["indicateur", "annee"], keep="last")
    out = pd.concat([real, path], ignore_index=True)
    out = out.dropna(subset=["annee", "valeur"])
    out["annee"] = out["annee"].astype(int)
    out["valeur"] = out["valeur"].astype(float)
    out["libelle"] = out["indicateur"].map(ind[label])
    return out.sort_values(["indicateur", "serie", "annee"], kind="stable").reset_index(drop=True)


def budget_chart(
    data: pd.DataFrame, title: str, source: str, *, label: str = "libelle", width: int = 380
) -> alt.LayerChart:
    """Planned (light, wide) against spent (dark, narrow) per row (``label`` column, ``prevu``,
    ``depense``, ``taux_execution``), in euros, with the execution rate written beside."""
    frame = data.copy().reset_index(drop=True)
    frame[label] = frame[label].astype(str)
    order = list(dict.fromkeys(frame[label]))
    frame["texte"] = frame["taux_execution"].map(
        lambda v: f"exécuté à {pct(v)}" if pd.notna(v) else ""
    )
    frame.loc[frame["depense"].isna(), "texte"] = "dépenses non saisies"
    frame.loc[frame["prevu"] == 0, "texte"] = "rien de prévu"
    frame["_max"] = np.fmax(frame["prevu"], frame["depense"])
    y = alt.Y(f"{label}:N", title=None, sort=order, axis=alt.Axis(labelLimit=280))
    base = alt.Chart(frame).encode(
        y=y,
        tooltip=[
            alt.Tooltip(f"{label}:N", title="Poste"),
            alt.Tooltip("prevu:Q", title="Prévu (€)", format=",.0f"),
            alt.Tooltip("depense:Q", title="Dépensé (€)", format=",.0f"),
            alt.Tooltip("texte:N", title="Exécution"),
        ],
    )
    long = frame.melt(
        id_vars=[label], value_vars=["prevu", "depense"], var_name="k", value_name="montant"
    )
    long["montant_type"] = long["k"].map({"prevu": "prévu", "depense": "dépensé"})
    kinds = ["prévu", "dépensé"]
    legend_layer = (
        alt.Chart(long)
        .mark_bar(opacity=0)
        .encode(
            y=y,
            x=alt.X("montant:Q", stack=None),
            color=alt.Color(
                "montant_type:N",
                title=None,
                sort=kinds,
                scale=alt.Scale(domain=kinds, range=[PALETTE[5], "#06305a"]),
                legend=alt.Legend(orient="bottom", labelFontSize=13, symbolOpacity=1),
            ),
        )
    )
    planned = base.mark_bar(height=24, color=PALETTE[5]).encode(
        x=alt.X("prevu:Q", title="Euros", axis=alt.Axis(format=",.0f", tickCount=5))
    )
    spent = base.mark_bar(height=10, color="#06305a").encode(x=alt.X("depense:Q"))
    text = base.mark_text(align="left", dx=5, fontSize=12).encode(
        x=alt.X("_max:Q"), text=alt.Text("texte:N")
    )
    chart = alt.layer(legend_layer, planned, spent, text).properties(
        title=_title(title, source), width=width, height=max(60, 34 * len(order))
    )
    return _config(chart)
