"""The theme tabs (synthesis, and the six CTG themes: petite enfance, enfance-jeunesse,
parentalité, vie sociale, logement, accès aux droits): « Ce qu'il faut retenir », key-figure
cards against the département and France, the map and the time series of a chosen indicator
(the theme's main figure first), alerts in French sentences, the theme's own blocks (DREES
context lines and school-age projection, the QPV against their commune, what the register of
facilities would add), PNG and XLSX exports.

Every number comes from :func:`territoire_lib.diagnostic.diagnose` (itself built on
``indicators.indicator_table``); this module only lays it out. A tab is drawn when it is
shown (the others wait until they are opened).

Layer « applications » (12): may import every lower layer (here charts, diagnostic,
indicators, key_figures). Inside the package it imports :mod:`.exports_widget` and :mod:`.ui`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import ipywidgets as widgets
import pandas as pd

from .. import charts
from ..diagnostic import commune_values, definitions_frame, label_with_unit
from ..indicators import load_catalogue_full
from ..indicators.table import format_value
from ..key_figures import COVERAGE_METHOD, fr_number
from .exports_widget import DownloadButton, xlsx_bytes
from .ui import LOG, FigureBox, error_html, esc, french_message, note_html, slug, table_html


@dataclass(frozen=True)
class ThemeSpec:
    key: str  # tab identifier (URL ``onglet=``, CSS classes)
    title: str
    themes: tuple[str, ...]  # catalogue themes shown together


THEME_TABS = (
    ThemeSpec("petite-enfance", "Petite enfance", ("petite_enfance",)),
    ThemeSpec("enfance-jeunesse", "Enfance-jeunesse", ("enfance_jeunesse",)),
    ThemeSpec("parentalite", "Parentalité", ("parentalite",)),
    ThemeSpec("vie-sociale", "Vie sociale", ("avs",)),
    ThemeSpec("logement", "Logement", ("logement",)),
    ThemeSpec("acces-droits", "Accès aux droits", ("acces_droits",)),
)
# former tab keys still accepted in a link (``?onglet=logement-droits``)
TAB_ALIASES = {"logement-droits": "logement"}


def _nan(x) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return False


def _source(ind, fictional: bool) -> str:
    return f"{ind.source} (données fictives)" if fictional else ind.source


# -- cards --------------------------------------------------------------------------------------
def value_text(row: dict, ind) -> str:
    """The value as shown on a card: formatted, « secret statistique », « < 5 » (a
    confidential count), a band, « n.d. »."""
    if row["masque"]:
        label = row.get("etiquette") or "secret"
        return "secret statistique" if label == "secret" else label
    if ind.type == "categorie":
        return str(row["categorie"]) if row.get("categorie") else "n.d."
    return format_value(ind, row["valeur"])


def card_html(row: dict, ind) -> str:
    """One key-figure card: value, département, France, evolution, rank, quality flags."""
    alerts = list(row.get("alertes") or [])
    year = "" if _nan(row["annee"]) else f" ({int(row['annee'])})"
    refs = []
    if ind.type != "categorie":
        if row["niveau"] != "departement" and not _nan(row["valeur_departement"]):
            refs.append(f"Département : {esc(format_value(ind, row['valeur_departement']))}")
        if not _nan(row["valeur_france"]):
            when = "" if _nan(row["annee_france"]) else f" ({int(row['annee_france'])})"
            refs.append(f"France{when} : {esc(format_value(ind, row['valeur_france']))}")
    lines = [
        f'<div class="tdb-libelle">{esc(ind.label)}{esc(year)}</div>',
        f'<div class="tdb-valeur">{esc(value_text(row, ind))}</div>',
    ]
    if refs:
        lines.append('<div class="tdb-ref">' + "<br>".join(refs) + "</div>")
    headline = _headline_line(row, ind)
    if headline:
        lines.append(headline)
    if row.get("evolution_texte"):
        lines.append(f'<div class="tdb-evol">{esc(row["evolution_texte"])}</div>')
    if not _nan(row.get("rang")) and not _nan(row.get("rang_sur")):
        lines.append(
            f'<div class="tdb-evol">Rang {int(row["rang"])} sur {int(row["rang_sur"])} '
            "(1 = valeur la plus haute)</div>"
        )
    badges = []
    if row["masque"] and row.get("motif_masque"):
        badges.append(f'<span class="tdb-badge tdb-secret">{esc(row["motif_masque"])}</span>')
    if not row["masque"] and row.get("peu_significatif") and row.get("motif_peu_significatif"):
        badges.append(
            f'<span class="tdb-badge tdb-secret">{esc(row["motif_peu_significatif"])}</span>'
        )
    est = row.get("estime")
    if not _nan(est) and float(est) > 0.005:
        badges.append(
            '<span class="tdb-badge tdb-averifier">⚠ à vérifier : '
            f"{fr_number(100 * float(est))} % estimé</span>"
        )
    if row.get("source_valeur") == "publiée" and not ind.published_headline:
        badges.append('<span class="tdb-badge tdb-secret">valeur publiée par la source</span>')
    if badges:
        lines.append("<div>" + "".join(badges) + "</div>")
    cls = "tdb-carte tdb-alerte" if alerts else "tdb-carte"
    return (
        f'<div class="{cls}" id="carte-{esc(row["indicateur"])}" role="group" '
        f'aria-label="{esc(ind.label)}" data-indicateur="{esc(row["indicateur"])}">'
        + "".join(lines)
        + "</div>"
    )


def _headline_line(row: dict, ind) -> str:
    """For a coverage rate: « taux publié par la Cnaf » with the recomputed rate beside it
    (like with like), or « taux recalculé » where the Cnaf publishes nothing."""
    if not getattr(ind, "published_headline", False) or row["masque"] or _nan(row["valeur"]):
        return ""
    kids = row.get("annee_denominateur")
    when = "" if _nan(kids) else f" (enfants au 1er janvier {int(kids)})"
    if row.get("source_valeur") == "publiée":
        text = "Taux publié par la Cnaf, comparé aux taux publiés."
        calc = row.get("valeur_calculee")
        if not _nan(calc):
            text += f" Recalculé : {format_value(ind, calc)}{when}"
            dep = row.get("valeur_departement_calculee")
            if row["niveau"] != "departement" and not _nan(dep):
                text += f", département recalculé : {format_value(ind, dep)}"
            text += "."
    else:
        text = f"Taux recalculé{when} : la Cnaf ne publie pas ce territoire."
    return f'<div class="tdb-evol tdb-recalcule">{esc(text)}</div>'


def cards_html(rows: pd.DataFrame, catalogue) -> str:
    shown = rows[rows["disponible"].astype(bool)]
    if shown.empty:
        return ""
    cards = [card_html(r, catalogue.indicators[r["indicateur"]]) for r in shown.to_dict("records")]
    return '<div class="tdb-cartes" lang="fr">' + "".join(cards) + "</div>"


def alerts_html(rows: pd.DataFrame) -> str:
    alerts = [a for lst in rows["alertes"] for a in (lst or [])]
    if not alerts:
        return '<p class="tdb-phrase" lang="fr">Aucune alerte sur ce thème.</p>'
    items = "".join(f"<li>{esc(a)}</li>" for a in alerts)
    n = len(alerts)
    return (
        f'<h3 lang="fr">Alertes ({n})</h3><ul class="tdb-alertes" lang="fr" '
        f'aria-label="Alertes">{items}</ul>'
    )


def takeaways_html(sentences: list[str]) -> str:
    """« Ce qu'il faut retenir »: the theme's sentences drawn from the figures by rules."""
    if not sentences:
        return ""
    items = "".join(f"<li>{esc(s)}</li>" for s in sentences)
    return (
        '<div class="tdb-retenir" lang="fr"><h3>Ce qu\'il faut retenir</h3>'
        f'<ul aria-label="Ce qu\'il faut retenir">{items}</ul></div>'
    )


def context_html(diag, theme: str) -> str:
    """The theme's own blocks: DREES context lines (enfance-jeunesse), the QPV against their
    commune (vie sociale, accès aux droits), and what the register of facilities would add."""
    out = []
    if theme == "enfance_jeunesse":
        lines = diag.acm_context()
        if len(lines):
            items = "".join(f"<li>{esc(t)}</li>" for t in lines["phrase"])
            out.append(
                '<h3 lang="fr">Contexte départemental : accueils collectifs de mineurs '
                '(DREES)</h3><ul class="tdb-contexte" lang="fr">'
                + items
                + '</ul><p class="tdb-phrase" lang="fr">Ces chiffres sont ceux du '
                "département : ils ne disent rien des communes du territoire.</p>"
            )
    if theme in ("avs", "acces_droits"):
        qpv = diag.qpv_table()
        if len(qpv):
            numeric = {4, 6}  # the QPV's own figures (the communes' may list several)
            out.append(
                '<h3 lang="fr">Les quartiers prioritaires face à leur commune</h3>'
                + table_html(
                    [[esc(str(v)) for v in row] for row in qpv.itertuples(index=False)],
                    list(qpv.columns),
                    table_id=f"qpv-{theme}",
                    numeric=numeric,
                    caption="Insee, revenus et pauvreté par quartier (Filosofi) et par commune",
                )
            )
    note = diag.register_note(theme)
    if note:
        out.append(note_html(note))
    return "".join(out)


def _method_note(rows: pd.DataFrame, catalogue) -> str:
    """The French method of the coverage rate, under the cards of a tab that shows one."""
    titled = [i for i in rows["indicateur"] if catalogue.indicators[i].published_headline]
    if not titled:
        return ""
    return (
        '<details class="tdb-methode" lang="fr"><summary>Méthode du taux de couverture'
        f"</summary><p>{esc(COVERAGE_METHOD)}</p></details>"
    )


# -- chart captions -------------------------------------------------------------------------------
def map_caption(values: pd.DataFrame, ind, name: str, row: dict | None) -> str:
    """The map's key figure in a sentence: the territory's value, the lowest and the highest
    commune."""
    shown = values[~values["masque"].astype(bool) & values["valeur"].notna()]
    parts = []
    if row is not None and not row["masque"] and not _nan(row["valeur"]):
        parts.append(f"{name} : {format_value(ind, row['valeur'])}")
    if len(shown) >= 2:
        low = shown.loc[shown["valeur"].idxmin()]
        high = shown.loc[shown["valeur"].idxmax()]
        parts.append(
            f"selon les communes, de {format_value(ind, low['valeur'])} ({low['nom']}) à "
            f"{format_value(ind, high['valeur'])} ({high['nom']})"
        )
    masked = values["masque"].astype(bool)
    labels = values.get("etiquette", pd.Series("", index=values.index)).fillna("").astype(str)
    for label, words in (
        ("secret", "sous secret statistique"),
        ("< 5", "à moins de 5 (données confidentielles)"),
        ("n.d.", "aux données trop partielles"),
    ):
        n = int((masked & (labels.replace("", "secret") == label)).sum())
        if n:
            parts.append(f"{n} commune{'s' if n > 1 else ''} {words}")
    fragile = values.get("peu_significatif", pd.Series(False, index=values.index))
    n = int((fragile.fillna(False).astype(bool) & ~masked).sum())
    if n:
        parts.append(f"{n} valeur{'s' if n > 1 else ''} peu significative{'s' if n > 1 else ''}")
    if not parts:
        parts.append("aucune valeur communale diffusée")
    return f"{ind.label} — " + " ; ".join(parts) + "."


def series_caption(row: dict, ind, name: str) -> str:
    if row["masque"] or _nan(row["valeur"]):
        reason = row.get("motif_masque") or "n.d."
        return f"{ind.label} — {name} : valeur non diffusée ({reason})."
    text = f"{ind.label} — {name} : {format_value(ind, row['valeur'])} en {int(row['annee'])}"
    if row.get("evolution_texte"):
        text += f", {row['evolution_texte']}"
    refs = []
    if row["niveau"] != "departement" and not _nan(row["valeur_departement"]):
        refs.append(f"département : {format_value(ind, row['valeur_departement'])}")
    if not _nan(row["valeur_france"]):
        refs.append(f"France : {format_value(ind, row['valeur_france'])}")
    if refs:
        text += " (" + " ; ".join(refs) + ")"
    return text + "."


# -- tabs -----------------------------------------------------------------------------------------
class _DiagnosticTab:
    """What the theme tabs and the summary share: ``set_diagnostic`` marks the tab to redraw,
    ``render`` draws it only when it is due (a new diagnostic not drawn yet). The tab's
    ``__init__`` sets ``diag`` to None and ``dirty`` to False."""

    def set_diagnostic(self, diag) -> None:
        self.diag = diag
        self.dirty = True

    def _due(self) -> bool:
        """Whether there is a new diagnostic to draw; if so, it counts as drawn from now on."""
        if not self.dirty or self.diag is None:
            return False
        self.dirty = False
        return True


class ThemeTab(_DiagnosticTab):
    """One theme tab. ``set_diagnostic`` marks it to redraw; ``render`` draws it."""

    def __init__(self, spec: ThemeSpec, territory):
        self.spec = spec
        self.territory = territory
        self.diag = None
        self.dirty = False
        self.header = widgets.HTML()
        self.retenir = widgets.HTML()
        self.cards = widgets.HTML()
        self.alerts = widgets.HTML()
        self.context = widgets.HTML()
        self.status = widgets.HTML()
        # enfance-jeunesse: the school-age children, census then projection
        self.projection = (
            FigureBox(f"projection-{spec.key}") if "enfance_jeunesse" in spec.themes else None
        )
        self.indicator = widgets.Dropdown(
            description="Indicateur de la carte et de la série :",
            style={"description_width": "initial"},
            layout=widgets.Layout(width="720px"),
        )
        self.indicator.add_class(f"tdb-indicateur-{spec.key}")
        self.map = FigureBox(f"carte-{spec.key}")
        self.series = FigureBox(f"serie-{spec.key}")
        self.xlsx = DownloadButton(
            "Exporter le tableau du thème (XLSX)",
            self._xlsx,
            tooltip="Indicateurs du thème, comparaisons et définitions (Excel, LibreOffice)",
        )
        self.indicator.observe(self._on_indicator, names="value")
        self._quiet = False
        figures = [self.map.widget, self.series.widget]
        if self.projection is not None:
            figures.append(self.projection.widget)
        charts_box = widgets.HBox(figures, layout=widgets.Layout(flex_flow="row wrap"))
        self.widget = widgets.VBox(
            [
                self.header,
                self.status,
                self.retenir,
                self.cards,
                self.alerts,
                self.indicator,
                charts_box,
                self.context,
                self.xlsx.widget,
            ]
        )
        self.widget.add_class(f"tdb-onglet-{spec.key}")

    # -- data ---------------------------------------------------------------------------------
    def rows(self) -> pd.DataFrame:
        """The tab's indicators: those of its themes and those they also show."""
        d = self.diag
        parts = [d.theme_rows(t) for t in self.spec.themes if t in d.themes]
        return pd.concat(parts) if parts else d.table.iloc[0:0]

    def render(self) -> None:
        if not self._due():
            return
        cat = load_catalogue_full()
        d = self.diag
        self.status.value = ""
        try:
            rows = self.rows()
            available = rows[rows["disponible"].astype(bool)]
            self.header.value = f'<h2 lang="fr">{esc(self.spec.title)} — {esc(d.nom)}</h2>' + (
                "" if available.empty else self._intro(available)
            )
            if available.empty:
                texts = [d.theme_summary(t) for t in self.spec.themes if t in d.themes]
                text = " ".join(texts) or f"{self.spec.title} : aucun indicateur disponible."
                self.cards.value = note_html(text)
                self.alerts.value = ""
            else:
                self.cards.value = cards_html(rows, cat) + _method_note(available, cat)
                self.alerts.value = alerts_html(available)
            themes = [t for t in self.spec.themes if t in d.themes]
            self.retenir.value = takeaways_html([s for t in themes for s in d.takeaways(t)])
            self.context.value = "".join(context_html(d, t) for t in themes)
            rates = available[available["type"] == "taux"]
            options = [(r["libelle"], r["indicateur"]) for r in rates.to_dict("records")]
            focus = next((d.focus_indicator(t) for t in themes), None)
            ids = [o[1] for o in options]
            self._quiet = True
            try:
                self.indicator.options = options
                self.indicator.value = (
                    focus if focus in ids else (options[0][1] if options else None)
                )
            finally:
                self._quiet = False
            self.indicator.layout.display = None if options else "none"
            self._draw_charts()
            if self.projection is not None:
                self.projection.render(
                    self._projection, "La projection des enfants ne peut pas être dessinée."
                )
        except Exception as exc:
            LOG.exception("onglet %s", self.spec.key)
            self.status.value = error_html(french_message(exc))

    def _intro(self, available: pd.DataFrame) -> str:
        n = len(available)
        alerts = sum(len(a or []) for a in available["alertes"])
        return (
            f'<p class="tdb-phrase" lang="fr">{n} indicateur{"s" if n > 1 else ""} '
            f"face au département et à la France ; {alerts} alerte{'s' if alerts > 1 else ''}."
            "</p>"
        )

    def _on_indicator(self, _change) -> None:
        if not self._quiet:
            self._draw_charts()

    def _projection(self):
        d = self.diag
        proj = d.school_age_projection()
        observed = proj[proj["statut"] == "observé"]
        first, last = observed.iloc[-1], proj.iloc[-1]
        caption = (
            f"{d.nom} : {fr_number(first['pop_3_5'] + first['pop_6_10'])} enfants de 3 à 10 "
            f"ans au recensement de {int(first['annee'])}, "
            f"{fr_number(last['pop_3_5'] + last['pop_6_10'])} projetés pour {int(last['annee'])}."
        )
        return d.school_age_chart(), caption, f"projection-3-10-ans-{slug(d.nom)}.png"

    def _draw_charts(self) -> None:
        ident = self.indicator.value
        if not ident:
            note = note_html("Aucun taux de ce thème n'est disponible pour ce territoire.")
            self.map.message(note)
            self.series.message("")
            return
        cat = load_catalogue_full()
        ind = cat.indicators[ident]
        self.map.render(lambda: self._map(ind), "La carte ne peut pas être dessinée.")
        self.series.render(lambda: self._series(ind), "La série ne peut pas être dessinée.")

    def _row(self, ident: str) -> dict | None:
        t = self.diag.table
        sel = t[t["indicateur"] == ident]
        return sel.iloc[0].to_dict() if len(sel) else None

    def map_scope(self) -> list[str]:
        """Communes drawn: the territory's, or for a commune those of its EPCI."""
        d = self.diag
        geo = self.territory.geography
        if d.niveau == "commune":
            epci = geo.communes.loc[geo.communes["code"] == d.code, "epci"]
            if len(epci) and epci.iloc[0] in set(geo.epcis["code"]):
                return geo.members(epci.iloc[0])
        return list(d.communes)

    def _map(self, ind):
        d = self.diag
        geo = self.territory.geography
        scope = self.map_scope()
        if scope == list(d.communes):
            data = d.commune_values(ind.id)
            chart = d.indicator_map(ind.id)
        else:
            v = commune_values(self.territory, [ind.id], scope, d.annee)
            data = pd.DataFrame({"code": scope})
            data["nom"] = data["code"].map(geo.communes.set_index("code")["nom"])
            v = v.set_index("commune")
            data["valeur"] = data["code"].map(v["valeur"])
            data["masque"] = data["code"].map(v["masque"]).fillna(False).astype(bool)
            data["etiquette"] = data["code"].map(v["etiquette"]).fillna("")
            data["peu_significatif"] = data["code"].map(v["peu_significatif"]).fillna(False)
            fmt = ",.0f" if ind.decimals == 0 else f",.{ind.decimals}f"
            epci_name = geo.name_of(geo.communes.set_index("code").loc[d.code, "epci"])
            chart = charts.choropleth(
                self.territory.contours,
                data,
                f"{ind.label} — {d.nom} et {epci_name}",
                _source(ind, d.fictif),
                label=label_with_unit(ind.label, ind.unit),
                value_format=fmt,
                codes=scope,
            )
        caption = map_caption(data, ind, d.nom, self._row(ind.id))
        return chart, caption, f"carte-{slug(ind.id)}-{slug(d.nom)}.png"

    def _series(self, ind):
        d = self.diag
        row = self._row(ind.id)
        chart = d.time_series_chart(ind.id)
        caption = series_caption(row, ind, d.nom) if row else ind.label
        return chart, caption, f"serie-{slug(ind.id)}-{slug(d.nom)}.png"

    def _xlsx(self) -> tuple[bytes, str]:
        d = self.diag
        sheets = {}
        for theme in self.spec.themes:
            if theme in d.themes and (d.table["theme"] == theme).any():
                sheets[d.themes[theme]] = d.theme_table(theme, formatted=False)
        rows = self.rows()
        if rows.empty:
            sheets["Tableau"] = pd.DataFrame({"Remarque": ["Aucun indicateur de ce thème."]})
        else:
            sheets["Définitions et sources"] = definitions_frame(rows)
        title = f"{self.spec.title} — {d.nom}"
        return xlsx_bytes(sheets, title=title), f"{slug(self.spec.key)}-{slug(d.nom)}.xlsx"


class SummaryTab(_DiagnosticTab):
    """« Synthèse »: summary, context, children by age, needs index, strengths and points of
    vigilance, data limits; the whole diagnostic as XLSX."""

    spec = ThemeSpec("synthese", "Synthèse", ())

    def __init__(self, territory):
        self.territory = territory
        self.diag = None
        self.dirty = False
        self.header = widgets.HTML()
        self.status = widgets.HTML()
        self.context = widgets.HTML()
        self.lists = widgets.HTML()
        self.ages = FigureBox("figure-ages")
        self.needs = FigureBox("figure-besoins")
        self.xlsx = DownloadButton(
            "Exporter tout le diagnostic (XLSX)",
            self._xlsx,
            tooltip="Synthèse, un onglet par thème, inclusion, SPPE, définitions et sources",
        )
        figures = widgets.HBox(
            [self.ages.widget, self.needs.widget], layout=widgets.Layout(flex_flow="row wrap")
        )
        self.widget = widgets.VBox(
            [self.header, self.status, self.context, figures, self.lists, self.xlsx.widget]
        )
        self.widget.add_class("tdb-onglet-synthese")

    def render(self) -> None:
        if not self._due():
            return
        d = self.diag
        self.status.value = ""
        try:
            self.header.value = (
                f'<h2 lang="fr">Synthèse — {esc(d.nom)}</h2>'
                f'<p class="tdb-phrase" id="resume" lang="fr">{esc(d.resume)}</p>'
            )
            ctx = d.contexte
            cards = "".join(
                f'<div class="tdb-carte"><div class="tdb-libelle">{esc(r["libelle"])}</div>'
                f'<div class="tdb-valeur">{esc(r["texte"])}</div></div>'
                for r in ctx.to_dict("records")
            )
            self.context.value = (
                f'<div class="tdb-cartes tdb-cartes-contexte" lang="fr">{cards}</div>'
            )
            self.ages.render(self._ages, "Le graphique des âges ne peut pas être dessiné.")
            self._needs()
            self.lists.value = self._lists()
        except Exception as exc:
            LOG.exception("synthèse")
            self.status.value = error_html(french_message(exc))

    def _ages(self):
        d = self.diag
        ages = d.age_bands()  # a confidential count is hidden as in the indicator table
        under3 = ages.loc[ages["variable"] == "pop_0_2", "effectif"].iloc[0]
        year = int(ages["annee"].iloc[0])
        caption = (
            f"{d.nom} compte {fr_number(under3)} enfants de moins de 3 ans et "
            f"{fr_number(ages['effectif'].sum())} enfants et jeunes de 0 à 17 ans ({year})."
        )
        if ages["effectif"].isna().any():
            caption = f"{d.nom} : enfants et jeunes par âge ({year}), données confidentielles."
        return d.age_chart(), caption, f"ages-{slug(d.nom)}.png"

    def _needs(self) -> None:
        d = self.diag
        inc = d.inclusion
        if d.niveau == "commune":
            r = inc.iloc[0] if len(inc) else None
            if r is None or _nan(r["indice_besoins"]):
                text = f"Indice de besoins de {d.nom} : non calculable (données insuffisantes)."
            else:
                text = (
                    f"Indice de besoins de {d.nom} : {fr_number(r['indice_besoins'])} sur 100, "
                    f"rang {int(r['rang_departement'])} parmi les communes du département "
                    "(1 = besoins les plus marqués)."
                )
            self.needs.message(f'<p class="tdb-phrase" lang="fr">{esc(text)}</p>')
            return

        def build():
            ranked = inc.dropna(subset=["indice_besoins"]).head(3)
            names = ", ".join(
                f"{n} ({fr_number(v)})"
                for n, v in zip(ranked["nom"], ranked["indice_besoins"], strict=True)
            )
            caption = (
                f"Communes aux besoins les plus marqués (indice sur 100) : {names}."
                if names
                else "Indice de besoins non calculable (données insuffisantes)."
            )
            return d.needs_map(), caption, f"indice-besoins-{slug(d.nom)}.png"

        self.needs.render(build, "La carte de l'indice de besoins ne peut pas être dessinée.")

    def _lists(self) -> str:
        d = self.diag

        def block(title: str, items: list[str], empty: str) -> str:
            if not items:
                return f'<h3>{esc(title)}</h3><p lang="fr">{esc(empty)}</p>'
            lis = "".join(f"<li>{esc(s)}</li>" for s in items)
            return f'<h3>{esc(title)}</h3><ul lang="fr">{lis}</ul>'

        out = [
            block("Atouts", d.atouts, "Aucun écart favorable marqué."),
            block("Points de vigilance", d.vigilances, "Aucun point de vigilance."),
            "<h3>Service public de la petite enfance</h3>"
            f'<p lang="fr">{esc(d.sppe_territoire)}</p>',
        ]
        if d.limites:
            lis = "".join(f"<li>{esc(s)}</li>" for s in d.limites)
            out.append(
                f"<details><summary>Limites des données ({len(d.limites)})</summary>"
                f'<ul lang="fr">{lis}</ul></details>'
            )
        return "".join(out)

    def _xlsx(self) -> tuple[bytes, str]:
        d = self.diag
        return xlsx_bytes(d, title=f"Diagnostic — {d.nom}"), f"diagnostic-{slug(d.nom)}.xlsx"
