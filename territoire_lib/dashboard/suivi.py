"""The CTG follow-up dashboard for the comité de pilotage (``dashboards/suivi_ctg.ipynb``).

Three tabs: the plan at a glance (the whole CTG and each axis with its rolled-up status, as a
colour, a symbol and words), one axis (its fiches, its indicators' progress) and one fiche
action (status history, indicators with their progress and trajectories, budget by funder
and year, and a form to enter a realised value). Clicking an axis opens it, clicking a fiche
opens it.

Every figure comes from :mod:`territoire_lib.evaluation` (itself reading the plan through
:mod:`territoire_lib.plan.service`); a value entered is saved with
:func:`~territoire_lib.plan.service.record_value` under the name typed in the form, so it
goes to the audit trail. If somebody changed the same value (indicator and year) since it
was shown, the save is refused with a French message and the value now stored is shown
(nothing is overwritten unseen).

URL parameters: ``?ctg=CODE&annee=2024``. Results go to ``HTML`` widgets only (no
``Output`` widget cleared at start-up: tech-notes, pitfall 4); a failure anywhere becomes a
French message in the part concerned, never a traceback.

Layer « applications » (12): may import every lower layer (here evaluation, plan, errors).
Inside the package it imports :mod:`.ui` and :mod:`.selection`.
"""

from __future__ import annotations

import math
import os
from datetime import date

import ipywidgets as widgets
import pandas as pd

from .. import evaluation as ev
from ..errors import TerritoireError
from .ui import CSS, LOG, FigureBox, error_html, esc, french_message, note_html, table_html

TITLE = "Territoire — suivi de la CTG"
STATUS_CSS = {
    ev.ON_TRACK: ("#d3eee4", "#00734f", "#073d2a"),
    ev.AT_RISK: ("#fbe7bf", "#8a5a00", "#4a3000"),
    ev.LATE: ("#f6d5c4", "#a33a00", "#5c1d00"),
    ev.NO_VALUE: ("#ececec", "#555555", "#1a1a1a"),
    ev.NOT_EVALUABLE: ("#ececec", "#555555", "#1a1a1a"),
    ev.DROPPED: ("#ececec", "#555555", "#1a1a1a"),
}
EXTRA_CSS = (
    "<style>"
    ".sv-badge { display: inline-block; padding: 2px 8px; border-radius: 4px; font-weight: bold;"
    " border: 2px solid; font-size: 16px; }"
    ".sv-carte { width: 300px; }"
    ".sv-carte .tdb-valeur { font-size: 22px; }"
    ".sv-ctg { width: 420px; border-width: 3px; }"
    ".sv-app .sv-boutons .jupyter-button { height: auto; min-height: 34px; white-space: normal;"
    " text-align: left; padding: 4px 10px; }"
    ".sv-app .widget-inline-hbox .widget-label { min-width: 150px; }"
    ".sv-form { border: 2px solid #0b4f8a; border-radius: 6px; padding: 8px 12px;"
    " max-width: 760px; }"
    "</style>"
)
GENERIC_SAVE_ERROR = (
    "La valeur n'a pas pu être enregistrée (base de données indisponible ou données "
    "incohérentes). Réessayez ; rien n'a été modifié."
)


def badge(status: str) -> str:
    """A status as a coloured badge with its symbol and its words (readable without colour)."""
    bg, border, fg = STATUS_CSS.get(status, STATUS_CSS[ev.NOT_EVALUABLE])
    return (
        f'<span class="sv-badge" style="background:{bg};border-color:{border};color:{fg}" '
        f'data-statut="{esc(status)}">{esc(ev.status_label(status))}</span>'
    )


def parse_value(text: str) -> float:
    """A number typed in French (« 1 610 », « 12,5 ») or with a point; French error else."""
    raw = str(text or "").strip()
    cleaned = raw.replace("\u00a0", "").replace("\u202f", "").replace(" ", "").replace(",", ".")
    if not cleaned:
        raise TerritoireError("Indiquez la valeur réalisée (un nombre, par exemple 12,5).")
    try:
        value = float(cleaned)
    except ValueError:
        raise TerritoireError(
            f"Valeur réalisée invalide : « {raw} ». Attendu un nombre, par exemple 12,5 ou 1 610."
        ) from None
    if math.isnan(value) or math.isinf(value):
        raise TerritoireError(f"Valeur réalisée invalide : « {raw} ». Attendu un nombre fini.")
    return value


def _snapshot(row) -> tuple | None:
    """What a stored value looks like when shown (to detect a change made meanwhile)."""
    if row is None:
        return None
    return (float(row.value), row.source, row.entered_by, row.entered_at)


def _table(frame: pd.DataFrame, table_id: str, caption: str = "", numeric=()) -> str:
    rows = [[esc(v) for v in r] for r in frame.astype(str).itertuples(index=False)]
    return table_html(rows, list(frame.columns), table_id, set(numeric), caption)


class SuiviApp:
    """The dashboard of one CTG. ``widget`` is what the page shows."""

    def __init__(self, engine, ctg: str | None = None, annee: int | None = None):
        from ..plan import db, service

        self.engine = engine
        with db.session_scope(engine=engine) as s:
            row = service.get_ctg(s, ctg)
            self.ctg_code = row.code
            self.ctg_codes = [c.code for c in service.list_ctgs(s)]
            self.evaluation = ev.evaluate(s, row, annee)
        doc = self.evaluation.doc
        self.axis: str | None = None
        self.fiche: str | None = None
        self.snapshot: tuple | None = None
        self.header = widgets.HTML(CSS + EXTRA_CSS + self._header_html())
        self.status = widgets.HTML()
        self.status.add_class("tdb-etat")
        first = min(doc.ctg.start_year, self.evaluation.annee)
        last = max(doc.ctg.end_year, self.evaluation.annee)
        self.year = widgets.Dropdown(
            options=list(range(first, last + 1)),
            value=self.evaluation.annee,
            description="Année évaluée",
            style={"description_width": "initial"},
        )
        self.year.observe(self._on_year, names="value")
        # -- overview
        self.overview = widgets.HTML()
        self.axes_figure = FigureBox("suivi-axes")
        self.axis_buttons = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.axis_buttons.add_class("sv-boutons")
        self.rule = widgets.HTML(
            '<details lang="fr"><summary>Comment le statut est-il calculé ?</summary>'
            f"<p>{esc(ev.rule_text(self.evaluation.tolerance))}</p></details>"
        )
        overview = widgets.VBox(
            [
                self.overview,
                widgets.HTML('<div class="tdb-etiquette" lang="fr">Ouvrir un axe :</div>'),
                self.axis_buttons,
                self.axes_figure.widget,
                self.rule,
            ]
        )
        # -- axis
        self.axis_html = widgets.HTML()
        self.fiche_buttons = widgets.HBox(layout=widgets.Layout(flex_flow="row wrap"))
        self.fiche_buttons.add_class("sv-boutons")
        self.axis_figure = FigureBox("suivi-axe-indicateurs")
        axis_page = widgets.VBox(
            [
                self.axis_html,
                widgets.HTML('<div class="tdb-etiquette" lang="fr">Ouvrir une fiche :</div>'),
                self.fiche_buttons,
                self.axis_figure.widget,
            ]
        )
        # -- fiche and the entry form
        self.fiche_html = widgets.HTML()
        self.fiche_figure = FigureBox("suivi-fiche-trajectoires")
        self.form = self._build_form()
        fiche_page = widgets.VBox([self.fiche_html, self.fiche_figure.widget, self.form])
        self.tabs = widgets.Tab(
            children=[overview, axis_page, fiche_page],
            titles=["Le plan en un coup d'œil", "Axe", "Fiche action"],
        )
        self.widget = widgets.VBox(
            [self.header, self.year, self.status, self.tabs],
            layout=widgets.Layout(padding="6px"),
        )
        self.widget.add_class("tdb-app")
        self.widget.add_class("sv-app")
        self.render_all()

    # -- building blocks ------------------------------------------------------------------------
    def _header_html(self) -> str:
        ctg = self.evaluation.ctg
        banner = (
            ' <span class="tdb-fictif">Données fictives de démonstration</span>'
            if self.evaluation.fictional
            else ""
        )
        where = f"{ctg.territory_name} ({ctg.territory_code})" if ctg.territory_name else ""
        return (
            f'<div lang="fr"><h1>{esc(TITLE)}</h1><div><strong>{esc(ctg.name)}</strong> '
            f"— {esc(ctg.code)}{', ' + esc(where) if where else ''}, période "
            f"{ctg.start_year}-{ctg.end_year}{banner}</div></div>"
        )

    def _build_form(self) -> widgets.VBox:
        wide = widgets.Layout(width="560px")
        style = {"description_width": "150px"}
        self.indicator = widgets.Dropdown(
            description="Indicateur", options=[], layout=wide, style=style
        )
        self.value_year = widgets.BoundedIntText(
            description="Année",
            value=self.evaluation.annee,
            min=1990,
            max=2100,
            layout=widgets.Layout(width="260px"),
            style=style,
        )
        self.value = widgets.Text(
            description="Valeur réalisée", placeholder="ex. 12,5", layout=wide, style=style
        )
        self.source = widgets.Text(
            description="Source",
            placeholder="ex. Bilan d'activité 2024",
            layout=wide,
            style=style,
        )
        self.user = widgets.Text(
            description="Votre nom",
            placeholder="Prénom Nom (structure)",
            layout=wide,
            style=style,
        )
        self.save = widgets.Button(
            description="Enregistrer la valeur",
            button_style="primary",
            icon="save",
            tooltip="Enregistrer la valeur réalisée dans la base du plan",
        )
        self.save.layout = widgets.Layout(width="auto", align_self="flex-start")
        # a value out of the plausible range of its unit is saved only once confirmed
        self.confirm = widgets.Button(
            description="Confirmer la valeur",
            button_style="warning",
            icon="check",
            tooltip="Enregistrer telle quelle la valeur hors des bornes plausibles",
        )
        self.confirm.layout = widgets.Layout(width="auto", align_self="flex-start", display="none")
        self.pending: tuple | None = None  # (indicator, year, value) awaiting a confirmation
        self.current = widgets.HTML()
        self.message = widgets.HTML()
        self.indicator.observe(self._on_form_key, names="value")
        self.value_year.observe(self._on_form_key, names="value")
        self.save.on_click(self._on_save)
        self.confirm.on_click(self._on_confirm)
        self.value.observe(lambda _c: self._ask_confirmation(None), names="value")
        box = widgets.VBox(
            [
                widgets.HTML(
                    '<h3 lang="fr">Saisir une valeur réalisée</h3><p lang="fr">La valeur est '
                    "enregistrée dans la base partagée avec votre nom, la date et la valeur "
                    "qu'elle remplace (historique des modifications).</p>"
                ),
                self.indicator,
                self.value_year,
                self.current,
                self.value,
                self.source,
                self.user,
                self.save,
                self.message,
                self.confirm,
            ]
        )
        box.add_class("sv-form")
        return box

    # -- rendering ------------------------------------------------------------------------------
    def render_all(self) -> None:
        self._guard(self.render_overview, "La vue d'ensemble ne peut pas être affichée.")
        if self.axis is not None:
            self._guard(lambda: self.render_axis(self.axis), "L'axe ne peut pas être affiché.")
        else:
            self.axis_html.value = note_html("Choisissez un axe dans la vue d'ensemble.")
        if self.fiche is not None:
            self._guard(
                lambda: self.render_fiche(self.fiche), "La fiche ne peut pas être affichée."
            )
        else:
            self.fiche_html.value = note_html("Choisissez une fiche dans l'onglet « Axe ».")
            self.form.layout.display = "none"
        e = self.evaluation
        self.status.value = (
            f'<span lang="fr" role="status">CTG affichée : {esc(e.ctg.code)} — situation au '
            f"31/12/{e.annee}</span>"
        )

    def _guard(self, draw, what: str) -> None:
        try:
            draw()
        except Exception as exc:
            LOG.exception("suivi : %s", what)
            self.status.value = error_html(french_message(exc, what))

    def render_overview(self) -> None:
        e = self.evaluation
        w = e.whole.iloc[0]
        kept = e.indicators[~e.indicators["abandonnee"]]
        cards = [
            '<div class="tdb-carte sv-carte sv-ctg" role="group" id="sv-ctg" '
            f'aria-label="Toute la CTG : {esc(w["statut"])}">'
            '<div class="tdb-libelle">Toute la CTG</div>'
            f"<div>{badge(w['statut'])}</div>"
            f'<div class="tdb-valeur">{esc(ev.pct(w["part_atteinte"]))} atteint</div>'
            f'<div class="tdb-ref">{esc(ev.pct(w["part_attendue"]))} attendu au '
            f"31/12/{e.annee}</div>"
            f'<div class="tdb-evol">Indicateurs : {esc(e.counts_text(kept))}</div></div>'
        ]
        for r in e.axes.itertuples():
            cards.append(
                f'<div class="tdb-carte sv-carte sv-axe" role="group" id="sv-axe-{esc(r.axe)}" '
                f'data-axe="{esc(r.axe)}" aria-label="{esc(e.axis_label(r.axe, 200))} : '
                f'{esc(r.statut)}"><div class="tdb-libelle">{esc(e.axis_label(r.axe, 90))}</div>'
                f"<div>{badge(r.statut)}</div>"
                f'<div class="tdb-valeur">{esc(ev.pct(r.part_atteinte))} atteint</div>'
                f'<div class="tdb-ref">{esc(ev.pct(r.part_attendue))} attendu ; '
                f"{r.n_evalues} indicateur{'s' if r.n_evalues > 1 else ''} évalué"
                f"{'s' if r.n_evalues > 1 else ''} sur {r.n_indicateurs}</div>"
                f'<div class="tdb-evol">{r.n_fiches} fiches : {r.n_fiches_en_retard} en retard, '
                f"{r.n_fiches_a_surveiller} à surveiller ; budget prévu "
                f"{esc(ev.euros(r.budget_prevu))}</div></div>"
            )
        resume = "".join(
            f'<p class="tdb-phrase">{esc(line)}</p>' for line in e.resume().splitlines()
        )
        self.overview.value = (
            f'<div lang="fr"><h2>Le plan en un coup d\'œil</h2>{resume}'
            f'<div class="tdb-cartes">{"".join(cards)}</div></div>'
        )
        buttons = []
        for r in e.axes.itertuples():
            b = widgets.Button(
                description=f"Axe {r.axe} : {ev.status_label(r.statut)}",
                tooltip=e.axis_label(r.axe, 200),
                layout=widgets.Layout(width="auto", margin="2px 6px 2px 0"),
            )
            b.on_click(lambda _b, code=r.axe: self.open_axis(code))
            buttons.append(b)
        self.axis_buttons.children = buttons
        caption = (
            f"Toute la CTG : {w['statut']}, {ev.pct(w['part_atteinte'])} de l'objectif atteint "
            f"en moyenne pour {ev.pct(w['part_attendue'])} attendus au 31/12/{e.annee}."
        )
        self.axes_figure.render(
            lambda: (e.axes_chart(), caption, f"suivi-axes-{e.annee}.png"),
            "Le graphique des axes ne peut pas être affiché.",
        )

    def render_axis(self, code: str) -> None:
        e = self.evaluation
        row = e.axes[e.axes["axe"] == code]
        if row.empty:
            raise TerritoireError(f"Axe introuvable : « {code} ».")
        r = row.iloc[0]
        fiches = e.fiche_table(code)
        desc = next((a.description for a in e.doc.axes if a.code == code), "")
        self.axis_html.value = (
            f'<div lang="fr" id="sv-axe-detail" data-axe="{esc(code)}">'
            f"<h2>{esc(e.axis_label(code, 300))}</h2>"
            + (f"<p>{esc(desc)}</p>" if desc else "")
            + f'<p class="tdb-phrase">{badge(r["statut"])} {esc(ev.pct(r["part_atteinte"]))} '
            f"de l'objectif atteint en moyenne pour {esc(ev.pct(r['part_attendue']))} attendus."
            "</p><h3>Fiches actions</h3>" + _table(fiches, "sv-fiches", numeric=(7,)) + "</div>"
        )
        buttons = []
        for f in e.fiches[e.fiches["axe"] == code].itertuples():
            b = widgets.Button(
                description=f"Fiche {f.fiche} : {ev.status_label(f.suivi)}",
                tooltip=f.intitule,
                layout=widgets.Layout(width="auto", margin="2px 6px 2px 0"),
            )
            b.on_click(lambda _b, fc=f.fiche: self.open_fiche(fc))
            buttons.append(b)
        self.fiche_buttons.children = buttons
        inds = e.indicators[e.indicators["axe"] == code]
        if inds.empty:
            self.axis_figure.message(note_html("Aucun indicateur de suivi pour cet axe."))
        else:
            self.axis_figure.render(
                lambda: (
                    e.indicators_chart(axe=code),
                    f"Axe {code} : indicateurs {e.counts_text(inds)}.",
                    f"suivi-axe-{code}-{e.annee}.png",
                ),
                "Le graphique de l'axe ne peut pas être affiché.",
            )

    def render_fiche(self, code: str) -> None:
        e = self.evaluation
        row = e.fiches[e.fiches["fiche"] == code]
        if row.empty:
            raise TerritoireError(f"Fiche introuvable : « {code} ».")
        f = row.iloc[0]
        facts = [
            ["Axe", esc(e.axis_label(f["axe"], 200))],
            ["Pilote", esc(f["pilote"] or "non désigné")],
            ["Partenaires", esc(f["partenaires"] or "—")],
            ["Calendrier", esc(f"du {ev.fmt_date(f['debut']) or '?'} au {ev.fmt_date(f['fin']) or '?'}")],
            ["Statut de l'action", esc(f["statut"])],
            ["Suivi", badge(f["suivi"]) + (f" {esc(f['motif'])}" if f["motif"] else "")],
            [
                "Budget prévu",
                esc(f"{ev.euros(f['budget_prevu'])} (dont {ev.euros(f['budget_prevu_a_date'])} "
                    f"jusqu'en {e.annee})"),
            ],
        ]  # fmt: skip
        facts_html = (
            '<table class="tdb-table" id="sv-fiche-infos" lang="fr"><tbody>'
            + "".join(f'<tr><th scope="row">{esc(k)}</th><td>{v}</td></tr>' for k, v in facts)
            + "</tbody></table>"
        )
        budget = e.budget[e.budget["fiche"] == code]
        budget_rows = pd.DataFrame(
            {
                "Financeur": budget["financeur"],
                "Année": budget["annee"].astype(str),
                "Prévu": budget["prevu"].map(ev.euros),
                "Dépensé": budget["depense"].map(
                    lambda v: ev.euros(v) if pd.notna(v) else "non saisi"
                ),
            }
        )
        self.fiche_html.value = (
            f'<div lang="fr" id="sv-fiche-detail" data-fiche="{esc(code)}">'
            f"<h2>Fiche {esc(code)} — {esc(f['intitule'])}</h2>"
            + facts_html
            + "<h3>Indicateurs de suivi</h3>"
            + _table(e.indicator_table(fiche=code), "sv-indicateurs", numeric=(3, 4, 5, 6, 7))
            + "<h3>Historique des statuts</h3>"
            + _table(e.history_table(code), "sv-historique")
            + "<h3>Budget par financeur et par année</h3>"
            + (_table(budget_rows, "sv-budget", numeric=(2, 3)) if len(budget) else "<p>Aucun.</p>")
            + "</div>"
        )
        traj = e.trajectory_data(fiche=code)
        if traj.empty:
            self.fiche_figure.message(
                note_html("Pas de trajectoire : aucun indicateur n'a de référence et de cible.")
            )
        else:
            self.fiche_figure.render(
                lambda: (
                    e.trajectories_chart(fiche=code),
                    f"Fiche {code} : valeurs réalisées face au chemin attendu vers la cible.",
                    f"suivi-fiche-{code}-{e.annee}.png",
                ),
                "Le graphique de la fiche ne peut pas être affiché.",
            )
        inds = e.indicators[e.indicators["fiche"] == code]
        options = [
            (f"{r.libelle}" + (f" ({r.unite})" if r.unite else ""), r.indicateur)
            for r in inds.itertuples()
        ]
        keep = self.indicator.value
        self.indicator.unobserve(self._on_form_key, names="value")
        self.indicator.options = options
        codes = [o[1] for o in options]
        self.indicator.value = keep if keep in codes else (codes[0] if codes else None)
        self.indicator.observe(self._on_form_key, names="value")
        self.form.layout.display = "flex" if options else "none"
        self._show_current()

    # -- navigation -----------------------------------------------------------------------------
    def open_axis(self, code: str) -> None:
        self.axis = str(code)
        self._guard(lambda: self.render_axis(self.axis), "L'axe ne peut pas être affiché.")
        self.tabs.selected_index = 1

    def open_fiche(self, code: str) -> None:
        self.fiche = str(code)
        self.message.value = ""
        self._guard(lambda: self.render_fiche(self.fiche), "La fiche ne peut pas être affichée.")
        self.tabs.selected_index = 2

    def _on_year(self, change) -> None:
        self.reload(int(change["new"]))

    def reload(self, annee: int | None = None) -> None:
        """Read the plan again (after a save, or for another year) and redraw."""
        from ..plan import db

        year = self.evaluation.annee if annee is None else annee
        try:
            with db.session_scope(engine=self.engine) as s:
                self.evaluation = ev.evaluate(s, self.ctg_code, year)
        except Exception as exc:
            LOG.exception("suivi : relecture")
            self.status.value = error_html(
                french_message(exc, "Le plan ne peut pas être relu dans la base de données.")
            )
            return
        self.render_all()

    # -- the entry form -------------------------------------------------------------------------
    def _on_form_key(self, _change=None) -> None:
        self.message.value = ""
        self._ask_confirmation(None)
        self._show_current()

    def _stored(self, session, indicator_code: str, year: int):
        from ..plan import service

        ctg = service.get_ctg(session, self.ctg_code)
        fiche = service.get_fiche(session, ctg, self.fiche)
        ind = service.get_indicator(session, fiche, indicator_code)
        return ind, next((v for v in ind.values if v.year == year), None)

    def _show_current(self) -> None:
        """Show the value stored for the indicator and year chosen, and remember it."""
        from ..plan import db

        code, year = self.indicator.value, self.value_year.value
        if self.fiche is None or code is None or year is None:
            self.current.value = ""
            self.snapshot = None
            return
        try:
            with db.session_scope(engine=self.engine) as s:
                ind, row = self._stored(s, code, int(year))
                self.snapshot = _snapshot(row)
                computed = ind.catalogue_id is not None
                text = self._stored_text(row, int(year))
        except Exception as exc:
            LOG.exception("suivi : valeur enregistrée")
            self.current.value = error_html(french_message(exc))
            return
        if computed:
            text += (
                " Indicateur calculé depuis les données : une valeur saisie ici remplace le "
                "calcul pour cette année."
            )
        self.current.value = note_html(text)

    @staticmethod
    def _stored_text(row, year: int) -> str:
        if row is None:
            return f"Aucune valeur enregistrée pour {year}."
        return (
            f"Valeur enregistrée pour {year} : {ev.fmt_value(row.value)} (source : "
            f"{row.source or 'non précisée'} ; saisie par {row.entered_by or 'inconnu'} le "
            f"{row.entered_at:%d/%m/%Y à %H:%M}, heure UTC)."
        )

    def _on_save(self, _button=None) -> None:
        self.save_value()

    def _on_confirm(self, _button=None) -> None:
        self.save_value(confirmed=True)

    def _ask_confirmation(self, pending: tuple | None) -> None:
        """Show the « Confirmer la valeur » button for ``pending`` (hide it for None)."""
        self.pending = pending
        self.confirm.layout.display = None if pending is not None else "none"

    def save_value(self, confirmed: bool = False) -> bool:
        """Validate the form and save the value; a French message either way. True if saved.
        A value out of the plausible range of its unit (« valeur hors des bornes
        plausibles ») is saved only with ``confirmed``, for the very indicator, year and
        value that were shown for confirmation."""
        from ..plan import db, service
        from ..plan.editing import OutOfBoundsValue

        self.message.value = '<span lang="fr">Enregistrement…</span>'
        try:
            code = self.indicator.value
            if self.fiche is None or code is None:
                raise TerritoireError("Choisissez d'abord une fiche et un indicateur.")
            year = int(self.value_year.value)
            this_year = date.today().year
            if year > this_year:
                raise TerritoireError(
                    f"Année {year} invalide : une valeur réalisée ne peut pas dater d'une année "
                    f"future (au plus {this_year})."
                )
            value = parse_value(self.value.value)
            confirmed = confirmed and self.pending == (code, year, value)
            source = self.source.value.strip()
            if not source:
                raise TerritoireError(
                    "Indiquez la source de la valeur (ex. « Bilan d'activité 2024 »)."
                )
            user = self.user.value.strip()
            if not user:
                raise TerritoireError(
                    "Indiquez votre nom : il est inscrit dans l'historique des modifications."
                )
            with db.session_scope(engine=self.engine, user=user) as s:
                ind, row = self._stored(s, code, year)
                if _snapshot(row) != self.snapshot:
                    label = ind.label
                    now = self._stored_text(row, year)
                    self.snapshot = _snapshot(row)
                    self.current.value = note_html(now)
                    raise TerritoireError(
                        f"Enregistrement refusé : la valeur {year} de l'indicateur « {label} » "
                        "a été modifiée par quelqu'un d'autre pendant votre saisie. "
                        f"{now} Vérifiez-la, puis cliquez de nouveau sur « Enregistrer la "
                        "valeur » pour la remplacer par la vôtre."
                    )
                service.record_value(s, ind, year, value, source, user, confirmed=confirmed)
                label = ind.label
        except OutOfBoundsValue as exc:
            self._ask_confirmation((code, year, value))
            self.message.value = error_html(
                f"{exc} Cliquez sur « Confirmer la valeur » pour l'enregistrer telle quelle."
            )
            return False
        except TerritoireError as exc:
            self._ask_confirmation(None)
            self.message.value = error_html(str(exc))
            return False
        except Exception as exc:
            LOG.exception("suivi : enregistrement")
            self.message.value = error_html(french_message(exc, GENERIC_SAVE_ERROR))
            return False
        self._ask_confirmation(None)
        self.value.value = ""
        self.reload()
        self.message.value = (
            f'<div class="tdb-note" lang="fr" role="status" id="sv-enregistre">Valeur '
            f"enregistrée : « {esc(label)} » = {esc(ev.fmt_value(value))} en {year} (source : "
            f"{esc(source)} ; saisie par {esc(user)}).</div>"
        )
        return True


def query_parameters() -> dict[str, str]:
    """``?ctg=…&annee=…`` of the page (Voilà without preheated kernels: ``QUERY_STRING``)."""
    from .selection import query_parameters as parse

    if os.environ.get("VOILA_PREHEAT", "False") == "True":
        return {}  # a preheated kernel runs before any request: no address to read
    return parse(os.environ.get("QUERY_STRING", ""))


def create_suivi_app(ctg: str | None = None, base=None, annee: int | None = None):
    """The app (or a French message widget when the plan cannot be read). ``ctg`` and
    ``annee`` may come from the page address (``?ctg=…&annee=…``); ``base``: see
    :func:`territoire_lib.evaluation.open_plan`."""
    params = query_parameters()
    ctg = params.get("ctg") or ctg
    notes = []
    if params.get("annee"):
        try:
            annee = ev.check_year(params["annee"])
        except TerritoireError as exc:
            notes.append(str(exc) + " L'année par défaut est affichée.")
    try:
        engine = ev.open_plan(base, ctg)
        app = SuiviApp(engine, ctg, annee)
    except Exception as exc:  # shown to officials: French, no traceback
        LOG.exception("suivi : chargement")
        return widgets.HTML(
            CSS
            + error_html(
                "Le plan d'actions de la CTG ne peut pas être affiché. "
                + french_message(exc, "La base de données du plan est inaccessible.")
            )
        )
    if notes:
        app.status.value = "".join(note_html(n) for n in notes) + app.status.value
    return app


def build_suivi_app(ctg: str | None = None, base=None, annee: int | None = None):
    """The single call of ``dashboards/suivi_ctg.ipynb``: the widget to show."""
    app = create_suivi_app(ctg, base, annee)
    return app.widget if isinstance(app, SuiviApp) else app
