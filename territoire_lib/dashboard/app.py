"""The committee dashboard (« comité de pilotage »): one app object, built by :func:`build_app`.

Layout: title, territory choice (département → EPCI or CTG perimeter → commune), a link to
send before the meeting, then one tab per theme and a scenario tab.

URL parameters: ``?territoire=CODE`` preselects a territory, ``&onglet=scenarios`` (or
``petite-enfance``, ``synthese``…) opens a tab. With preheated kernels (``make run``) the
notebook runs before anyone asks for the page: the app is built and the département drawn
first, then the kernel waits for the request and applies its parameters
(:func:`selection.request_query`).

Nothing here computes a figure: the tabs lay out what :func:`diagnostic.diagnose`,
:func:`scenario.simulate` and :mod:`optimise` return. A failure anywhere becomes a French
message in the part concerned; the rest of the page keeps working.

Layer « applications » (12): may import every lower layer (here dataset, diagnostic). Inside
the package it imports the tabs (:mod:`.scenario_tab`, :mod:`.themes`), :mod:`.selection` and
:mod:`.ui`.
"""

from __future__ import annotations

import os

import ipywidgets as widgets

from ..dataset import Territory, load_territory
from ..diagnostic import diagnose
from .scenario_tab import ScenarioTab
from .selection import TerritorySelector, query_parameters, request_query
from .themes import TAB_ALIASES, THEME_TABS, SummaryTab, ThemeTab
from .ui import CSS, LOG, error_html, esc, french_message, note_html

TITLE = "Territoire — comité de pilotage"


class CommitteeApp:
    """Territory choice, theme tabs and scenario tab. ``widget`` is what the page shows."""

    def __init__(
        self, territory: Territory, territoire: str | None = None, onglet: str | None = None
    ):
        self.territory = territory
        geo = territory.geography
        self.diag = None
        banner = (
            ' <span class="tdb-fictif">Données fictives de démonstration</span>'
            if territory.fictional
            else ""
        )
        self.header = widgets.HTML(
            CSS + f'<div lang="fr"><h1>{esc(TITLE)}</h1>'
            f"<div>{esc(', '.join(geo.departements['nom']))}{banner}</div></div>"
        )
        self.notice = widgets.HTML()
        self.status = widgets.HTML()
        self.status.add_class("tdb-etat")
        self.link = widgets.HTML()
        self.selector = TerritorySelector(geo, on_change=self._on_territory)
        self.summary = SummaryTab(territory)
        self.themes = [ThemeTab(spec, territory) for spec in THEME_TABS]
        self.scenarios = ScenarioTab(territory)
        self.pages = [self.summary, *self.themes, self.scenarios]
        self.keys = ["synthese", *(s.key for s in THEME_TABS), "scenarios"]
        titles = ["Synthèse", *(s.title for s in THEME_TABS), "Scénarios"]
        self.tabs = widgets.Tab(children=[p.widget for p in self.pages], titles=titles)
        self.tabs.observe(self._on_tab, names="selected_index")
        self.widget = widgets.VBox(
            [self.header, self.notice, self.selector.widget, self.link, self.status, self.tabs],
            layout=widgets.Layout(padding="6px"),
        )
        self.widget.add_class("tdb-app")
        self.apply(territoire=territoire, onglet=onglet, initial=True)

    # -- URL parameters -------------------------------------------------------------------------
    def apply(
        self, territoire: str | None = None, onglet: str | None = None, initial: bool = False
    ) -> None:
        """Preselect a territory and a tab (link parameters); a bad code becomes a French note
        and the current territory stays."""
        notes = []
        shown = False
        if territoire:  # the territory first: the tab opened next is drawn only once
            try:
                self.selector.select(territoire, notify=False)
            except Exception as exc:
                LOG.warning("lien : territoire %r inconnu", territoire)
                notes.append(
                    f"Le lien demandait le territoire « {territoire} », qui ne peut pas être "
                    f"affiché : {french_message(exc, 'code inconnu.')} Le territoire choisi "
                    "dans les listes est affiché."
                )
            else:
                self._set_territory(self.selector.code)
                shown = True
        if initial and not shown:
            self._set_territory(self.selector.code)
        if onglet:
            onglet = TAB_ALIASES.get(onglet, onglet)
            if onglet in self.keys:
                self.tabs.selected_index = self.keys.index(onglet)
            else:
                notes.append(
                    f"Le lien demandait l'onglet « {onglet} », qui n'existe pas : onglets "
                    f"possibles {', '.join(self.keys)}."
                )
        if shown or initial:
            self._render_current()
        else:
            self.link.value = self.selector.link_html(self.selector.code)
        self.notice.value = "".join(note_html(n) for n in notes)

    # -- events ---------------------------------------------------------------------------------
    def _on_territory(self, code: str) -> None:
        self.show(code)

    def _on_tab(self, _change) -> None:
        self._render_current()

    def _render_current(self) -> None:
        index = self.tabs.selected_index or 0
        page = self.pages[index]
        try:
            page.render()
        except Exception as exc:  # each page guards itself; this is the last net
            LOG.exception("onglet")
            self.status.value = error_html(french_message(exc))

    # -- content --------------------------------------------------------------------------------
    def show(self, code: str) -> None:
        """Diagnose ``code`` and redraw the visible tab (the others when they are opened)."""
        if self._set_territory(code):
            self._render_current()

    def _set_territory(self, code: str) -> bool:
        """Diagnose ``code`` and hand it to every tab (drawn later); False on failure."""
        label = self.selector.describe(code)
        self.status.value = f'<span lang="fr">Calcul en cours : {esc(label)}…</span>'
        try:
            diag = diagnose(self.territory, code)
        except Exception as exc:
            LOG.exception("diagnostic %s", code)
            self.status.value = error_html(
                french_message(
                    exc,
                    f"Les chiffres de « {label} » ne peuvent pas être affichés "
                    "(données manquantes ou incohérentes). Les autres territoires "
                    "restent disponibles.",
                )
            )
            return False
        self.diag = diag
        for page in (self.summary, *self.themes):
            page.set_diagnostic(diag)
        self.scenarios.set_territory(code, diag)
        self.link.value = self.selector.link_html(code)
        self.status.value = (
            f'<span lang="fr" role="status">Territoire affiché : {esc(label)}</span>'
        )
        return True


def create_app(
    source: str | None = None, territoire: str | None = None, onglet: str | None = None
) -> CommitteeApp | widgets.Widget:
    """The app for ``source`` (``None`` or ``""``: the active source; ``demo``, a source name
    or a data folder); link parameters read from the request when served by Voilà. A loading
    failure returns a French message widget."""
    try:
        territory = load_territory(source or None)
    except Exception as exc:  # shown to officials: French, no traceback
        LOG.exception("chargement")
        message = "Les données du territoire ne peuvent pas être chargées. "
        return widgets.HTML(CSS + error_html(message + french_message(exc, "")))
    preheated = os.environ.get("VOILA_PREHEAT", "False") == "True"
    params = {} if preheated else query_parameters(os.environ.get("QUERY_STRING", ""))
    app = CommitteeApp(
        territory,
        territoire=territoire or params.get("territoire"),
        onglet=onglet or params.get("onglet"),
    )
    if preheated:  # built before anyone asked for the page: wait for the request
        try:
            params = query_parameters(request_query())
        except Exception:
            LOG.exception("paramètres de l'adresse")
            params = {}
        app.apply(
            territoire=territoire or params.get("territoire"),
            onglet=onglet or params.get("onglet"),
        )
    return app


def build_app(
    source: str | None = None, territoire: str | None = None, onglet: str | None = None
) -> widgets.Widget:
    """The dashboard's single call from ``dashboards/comite_pilotage.ipynb``: the widget to show."""
    app = create_app(source, territoire=territoire, onglet=onglet)
    return app.widget if isinstance(app, CommitteeApp) else app
