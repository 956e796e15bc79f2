"""The charts of a diagnostic (mixin of :class:`.model.Diagnostic`): the territory against
the département and France, an indicator by year, the communes ranked, maps of an indicator
and of the needs index, children by age. The Altair builders live in
:mod:`territoire_lib.charts` (imported when a chart is drawn).

Layer « diagnostic »; imports graphiques (lazily), données (children by age, lazily),
indicateurs, the socle and :mod:`.common`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..errors import TerritoireError
from ..french import number as fr_number
from ..indicators import compute, load_catalogue_full
from .common import _nan, _source_line, label_with_unit


class DiagnosticFigures:
    """Charts of :class:`~territoire_lib.diagnostic.Diagnostic` (a mixin: it reads the
    diagnostic's fields)."""

    # -- charts ---------------------------------------------------------------------------------
    def _source(self, indicator: str) -> str:
        cat = load_catalogue_full()
        return _source_line(cat.indicators[indicator].source, self.fictif)

    def reference_chart(self, theme: str):
        """The theme's rates: the territory against the département and France."""
        from .. import charts

        key = self._theme_key(theme)
        rows = self.theme_rows(key)
        rows = rows[(rows["type"] == "taux") & rows["disponible"].astype(bool)]
        label = self.themes[key]
        title = f"{label} — {self.nom} face au département et à la France"
        if rows.empty:
            return _empty_chart(title, "Aucun taux de ce thème n'est chargé pour ce territoire.")
        libelle = pd.Series(
            [label_with_unit(a, b) for a, b in zip(rows["libelle"], rows["unite"], strict=True)],
            index=rows.index,
        )
        series = [
            pd.DataFrame(
                {
                    "libelle": libelle,
                    "serie": self.nom,
                    "valeur": rows["valeur"],
                    "masque": rows["masque"],
                    "etiquette": rows["etiquette"],
                }
            )
        ]
        if self.niveau != "departement" and self.departement_nom:
            series.append(
                pd.DataFrame(
                    {
                        "libelle": libelle,
                        "serie": self.departement_nom,
                        "valeur": rows["valeur_departement"],
                        "masque": False,
                    }
                )
            )
        series.append(
            pd.DataFrame(
                {
                    "libelle": libelle,
                    "serie": "France",
                    "valeur": rows["valeur_france"],
                    "masque": False,
                }
            )
        )
        data = pd.concat(series, ignore_index=True)
        first = data["serie"] == self.nom
        data = data[first | data["valeur"].notna()]
        year = rows["annee"].dropna()
        when = f", {int(year.max())}" if len(year) else ""
        sources = " ; ".join(dict.fromkeys(rows["source"]))
        return charts.reference_bars(data, title + when, _source_line(sources, self.fictif))

    def time_series_chart(self, indicator: str = "taux_couverture_global"):
        """An indicator by year: the territory, its département and France."""
        from .. import charts

        cat = load_catalogue_full()
        ind = cat.indicators[indicator]
        t = self.territory
        own = compute(t, self.niveau, [indicator])
        key = self.code[3:].lstrip(":") if self.niveau == "region" else self.code
        # a published headline (coverage rates): published and recomputed series side by side
        pub = _published_series(t, ind, self.niveau, key, self.nom)
        calc = " (recalculé)" if ind.published_headline else ""
        frames = (
            [pub, _series(own, key, self.nom + calc)]
            if len(pub)
            else [_series(own, key, self.nom + calc)]
        )
        if self.departement and self.niveau != "departement":
            dep = compute(t, "departement", [indicator])
            name = self.departement_nom or ""
            dep_pub = _published_series(t, ind, "departement", self.departement, name)
            if len(dep_pub):
                frames.append(dep_pub)
            frames.append(_series(dep, self.departement, name + calc))
        france = _france_series(t, ind)
        if len(france):
            frames.append(france)
        data = pd.concat(frames, ignore_index=True)
        if self.annee is not None:
            data = data[data["annee"] <= self.annee]
        fmt = ",.0f" if ind.decimals == 0 else f",.{ind.decimals}f"
        return charts.time_series(
            data,
            f"{ind.label} — {self.nom}",
            self._source(indicator),
            y_title=label_with_unit(ind.label, ind.unit),
            value_format=fmt,
            zero=ind.type == "taux",
        )

    def ranked_chart(self, indicator: str = "taux_couverture_global"):
        """The communes of the territory ranked by an indicator (or by the needs index)."""
        from .. import charts

        data = self.commune_values(indicator)
        if indicator == "indice_besoins":
            return charts.ranked_communes(
                data,
                f"Indice de besoins des communes — {self.nom}",
                _source_line("calcul Territoire (Insee, Cnaf, ANCT, DGCL)", self.fictif),
                label="Indice de besoins (0 à 100)",
                value_format=",.0f",
                decimals=0,
            )
        ind = load_catalogue_full().indicators[indicator]
        year = data["annee"].dropna()
        when = f", {int(year.max())}" if len(year) else ""
        row = self.table[self.table["indicateur"] == indicator]
        dep = float(row["valeur_departement"].iloc[0]) if len(row) else math.nan
        fmt = ",.0f" if ind.decimals == 0 else f",.{ind.decimals}f"
        return charts.ranked_communes(
            data,
            f"{ind.label} par commune — {self.nom}{when}",
            self._source(indicator),
            label=label_with_unit(ind.label, ind.unit),
            value_format=fmt,
            decimals=ind.decimals,
            reference=None if _nan(dep) else dep,
            reference_label=(
                f"{self.departement_nom} : {fr_number(dep, ind.decimals)}"
                if not _nan(dep) and self.departement_nom
                else None
            ),
        )

    def indicator_map(self, indicator: str = "taux_couverture_global"):
        """Map of one indicator over the communes of the territory."""
        from .. import charts

        contours = self._contours()
        data = self.commune_values(indicator)
        ind = load_catalogue_full().indicators[indicator]
        year = data["annee"].dropna()
        when = f", {int(year.max())}" if len(year) else ""
        fmt = ",.0f" if ind.decimals == 0 else f",.{ind.decimals}f"
        return charts.choropleth(
            contours,
            data,
            f"{ind.label} — {self.nom}{when}",
            self._source(indicator),
            label=label_with_unit(ind.label, ind.unit),
            value_format=fmt,
            codes=self.communes,
            reverse=False,
        )

    def needs_map(self):
        """Map of the needs index over the communes of the territory."""
        from .. import charts

        return charts.needs_index_map(
            self._contours(),
            self.commune_values("indice_besoins"),
            f"Indice de besoins des communes — {self.nom}",
            _source_line("calcul Territoire (Insee, Cnaf, ANCT, DGCL)", self.fictif),
            codes=self.communes,
        )

    def age_bands(self) -> pd.DataFrame:
        """Children and young people by age band (``key_figures.children_by_age``), each count
        hidden where the indicator table hides it (confidential data: same cells)."""
        from ..key_figures import children_by_age

        ages = children_by_age(self.territory, self.code)
        if not len(ages) or not self.table["masque"].any():
            return ages
        cat = load_catalogue_full()
        hidden = {
            (cat.indicators[r["indicateur"]].numerator.variables[0], r["annee"])
            for r in self.table[self.table["masque"]].to_dict(orient="records")
            if cat.indicators[r["indicateur"]].type == "effectif"
            and len(cat.indicators[r["indicateur"]].numerator.variables) == 1
        }
        year = ages["annee"].iloc[0]
        gone = ages["variable"].map(lambda v: (v, year) in hidden)
        if ("pop_totale", year) in hidden:
            ages["part"] = np.nan
        ages.loc[gone, ["effectif", "part"]] = np.nan
        return ages

    def age_chart(self):
        """Children and young people by age band (latest census)."""
        from .. import charts

        ages = self.age_bands()
        year = int(ages["annee"].iloc[0]) if len(ages) else None
        return charts.children_by_age_chart(
            ages,
            f"Enfants et jeunes par âge — {self.nom}" + (f", {year}" if year else ""),
            _source_line("Insee, recensement de la population", self.fictif),
        )

    def _contours(self) -> dict:
        contours = getattr(self.territory, "contours", None)
        if not contours:
            raise TerritoireError(
                "Aucun contour de commune n'est chargé (rubrique « contours » du manifeste) : "
                "la carte ne peut pas être dessinée."
            )
        return contours


def _empty_chart(title: str, message: str):
    import altair as alt

    from .. import charts

    chart = (
        alt.Chart(pd.DataFrame({"texte": [message]}))
        .mark_text(fontSize=14, align="left", x=0, y=20)
        .encode(text=alt.Text("texte:N"))
        .properties(title=charts._title(title, None), width=420, height=40)
    )
    return charts._config(chart)


def _series(frame: pd.DataFrame, code: str, name: str) -> pd.DataFrame:
    sel = frame[(frame["territoire"].astype(str) == str(code)) & ~frame["masque"]]
    sel = sel[sel["valeur"].notna()]
    return pd.DataFrame({"annee": sel["annee"].astype(int), "valeur": sel["valeur"], "serie": name})


def _published_series(territory, ind, level: str, code: str, name: str) -> pd.DataFrame:
    """The published series of a territory (indicators with a published headline), named
    « … (publié) »; empty otherwise."""
    refs = territory.references
    empty = pd.DataFrame(columns=["annee", "valeur", "serie"])
    if not ind.published_headline or refs is None or not len(refs):
        return empty
    sel = refs[
        (refs["niveau"] == level)
        & (refs["code"].astype(str) == str(code))
        & (refs["variable"] == ind.published_reference)
    ]
    sel = sel[sel["valeur"].notna()].sort_values("annee")
    if sel.empty:
        return empty
    return pd.DataFrame(
        {"annee": sel["annee"].astype(int), "valeur": sel["valeur"], "serie": f"{name} (publié)"}
    )


def _france_series(territory, ind) -> pd.DataFrame:
    refs = territory.references
    if ind.published_reference and refs is not None and len(refs):
        sel = refs[(refs["niveau"] == "france") & (refs["variable"] == ind.published_reference)]
        sel = sel[sel["valeur"].notna()]
        if len(sel):
            return pd.DataFrame(
                {
                    "annee": sel["annee"].astype(int),
                    "valeur": sel["valeur"],
                    "serie": "France (publié)" if ind.published_headline else "France",
                }
            ).sort_values("annee")
    if ind.references:
        years = sorted(ind.references)
        return pd.DataFrame(
            {"annee": years, "valeur": [ind.references[y] for y in years], "serie": "France"}
        )
    return pd.DataFrame(columns=["annee", "valeur", "serie"])
