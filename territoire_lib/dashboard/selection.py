"""Choosing the territory: département, then EPCI or CTG perimeter, then commune.

The territory shown is the most precise choice made: the commune if one is chosen, else the
EPCI or perimeter, else the département. :meth:`TerritorySelector.select` sets the three
lists from any code (a link ``?territoire=CODE``).

Layer « applications » (12): may import every lower layer (here geo). Inside the package it
imports :mod:`.ui` only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import ipywidgets as widgets

from ..geo import Geography, UnknownTerritoryError
from .ui import esc

ALL_DEP = "— tout le département —"
ALL_GROUP = "— toutes les communes —"
LEVEL_NAMES = {
    "commune": "commune",
    "epci": "EPCI",
    "perimetre": "périmètre CTG",
    "departement": "département",
    "region": "région",
}
PERIMETER_PREFIX = "P:"  # group values: EPCI codes as they are, perimeters prefixed


def query_parameters(query: str | None) -> dict[str, str]:
    """``territoire=…&onglet=…`` → {"territoire": …, "onglet": …} (first values)."""
    parsed = parse_qs(query or "", keep_blank_values=False)
    return {k: v[0].strip() for k, v in parsed.items() if v and v[0].strip()}


def request_query() -> str:
    """The page's query string, for a normal or a preheated Voilà kernel.

    A preheated kernel has run the notebook before anyone asked for the page: it waits for
    the request (``voila.utils.wait_for_request``), which then fills ``QUERY_STRING``
    (tech-notes §1.2, pitfall 6). Without preheating the variable is set at kernel start.
    Outside Voilà (Papermill, tests) it is empty.
    """
    if os.environ.get("VOILA_PREHEAT", "False") == "True":
        from voila.utils import wait_for_request

        wait_for_request()
    return os.environ.get("QUERY_STRING", "")


def share_link(code: str) -> str:
    """The dashboard's address preselecting ``code``, from the request the page came from
    (relative when unknown, e.g. outside Voilà)."""
    query = urlencode({"territoire": code})
    host = os.environ.get("SERVER_NAME", "")
    if host:
        port = os.environ.get("SERVER_PORT", "")
        path = os.environ.get("SCRIPT_NAME", "/") or "/"
        netloc = f"{host}:{port}" if port and port not in ("80", "443") else host
        scheme = "https" if port == "443" else "http"
        return urlunsplit((scheme, netloc, path, query, ""))
    base = os.environ.get("VOILA_REQUEST_URL", "")
    if not base:
        return f"?{query}"
    parts = urlsplit(base)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


class TerritorySelector:
    """Three dependent drop-down lists; ``on_change(code)`` fires once per settled choice."""

    def __init__(self, geography: Geography, on_change: Callable[[str], None] | None = None):
        self.geo = geography
        self.on_change = on_change
        self._quiet = False
        style = {"description_width": "initial"}
        deps = geography.choices("departement")
        self.dep = widgets.Dropdown(
            options=deps,
            value=deps[0][1],
            description="Département :",
            style=style,
            layout=widgets.Layout(width="420px"),
        )
        self.group = widgets.Dropdown(
            description="EPCI ou périmètre CTG :",
            style=style,
            layout=widgets.Layout(width="560px"),
        )
        self.commune = widgets.Dropdown(
            description="Commune :", style=style, layout=widgets.Layout(width="460px")
        )
        for w, cls in (
            (self.dep, "tdb-choix-dep"),
            (self.group, "tdb-choix-groupe"),
            (self.commune, "tdb-choix-commune"),
        ):
            w.add_class(cls)
        self._fill_groups()
        self._fill_communes()
        self.dep.observe(self._on_dep, names="value")
        self.group.observe(self._on_group, names="value")
        self.commune.observe(self._on_commune, names="value")
        self.widget = widgets.HBox(
            [self.dep, self.group, self.commune], layout=widgets.Layout(flex_flow="row wrap")
        )
        self.widget.add_class("tdb-selection")

    # -- current choice ----------------------------------------------------------------------
    @property
    def code(self) -> str:
        if self.commune.value:
            return self.commune.value
        if self.group.value:
            return self._group_code(self.group.value)
        return self.dep.value

    @staticmethod
    def _group_code(value: str) -> str:
        return value[len(PERIMETER_PREFIX) :] if value.startswith(PERIMETER_PREFIX) else value

    # -- lists --------------------------------------------------------------------------------
    def _dep_communes(self) -> list[str]:
        c = self.geo.communes
        return c.loc[c["departement"] == self.dep.value, "code"].tolist()

    def _fill_groups(self) -> None:
        geo = self.geo
        communes = geo.communes
        in_dep = set(self._dep_communes())
        epci_codes = set(communes.loc[communes["code"].isin(in_dep), "epci"])
        options = [(ALL_DEP, "")]
        options += [(f"EPCI : {n}", c) for n, c in geo.choices("epci") if c in epci_codes]
        options += [
            (f"Périmètre CTG : {n}", PERIMETER_PREFIX + c)
            for n, c in geo.choices("perimetre")
            if in_dep.intersection(geo.perimeters[c].communes)
        ]
        self.group.options = options
        self.group.value = ""

    def _fill_communes(self) -> None:
        geo = self.geo
        members = (
            set(geo.members(self._group_code(self.group.value)))
            if self.group.value
            else set(self._dep_communes())
        )
        options = [(ALL_GROUP, "")] + [(n, c) for n, c in geo.choices("commune") if c in members]
        self.commune.options = options
        self.commune.value = ""

    # -- events -------------------------------------------------------------------------------
    def _changed(self) -> None:
        if not self._quiet and self.on_change is not None:
            self.on_change(self.code)

    def _on_dep(self, _change) -> None:
        quiet, self._quiet = self._quiet, True
        try:
            self._fill_groups()
            self._fill_communes()
        finally:
            self._quiet = quiet
        self._changed()

    def _on_group(self, _change) -> None:
        quiet, self._quiet = self._quiet, True
        try:
            self._fill_communes()
        finally:
            self._quiet = quiet
        self._changed()

    def _on_commune(self, _change) -> None:
        self._changed()

    # -- preselection -------------------------------------------------------------------------
    def select(self, code: str, notify: bool = True) -> str:
        """Set the lists so that ``code`` is the territory shown; French error if unknown."""
        geo = self.geo
        code = str(code).strip()
        level = geo.level_of(code)  # UnknownTerritoryError (French) for an unknown code
        if level == "region":
            raise UnknownTerritoryError(
                f"Le territoire « {code} » est une région : choisissez un département, "
                "un EPCI, "
                "un périmètre CTG ou une commune."
            )
        c = geo.communes.set_index("code")
        members = geo.members(code)
        if level == "departement":
            dep, group, commune = code, "", ""
        elif level == "epci":
            dep, group, commune = c.loc[members[0], "departement"], code, ""
        elif level == "perimetre":
            deps = c.loc[members, "departement"].value_counts()
            dep, group, commune = deps.index[0], PERIMETER_PREFIX + code, ""
        else:
            dep, group, commune = c.loc[code, "departement"], c.loc[code, "epci"], code
        self._quiet = True
        try:
            if self.dep.value != dep:
                self.dep.value = dep
            if group not in [v for _, v in self.group.options]:
                group = ""
            if self.group.value != group:
                self.group.value = group
            if self.commune.value != commune:
                self.commune.value = commune
        finally:
            self._quiet = False
        if notify:
            self._changed()
        return self.code

    def describe(self, code: str) -> str:
        """« CA de Valmont-sur-Loue (EPCI) »."""
        return f"{self.geo.name_of(code)} ({LEVEL_NAMES[self.geo.level_of(code)]})"

    def link_html(self, code: str) -> str:
        link = share_link(code)
        return (
            '<div class="tdb-lien" lang="fr">Lien à envoyer avant la réunion pour ouvrir '
            f"directement ce territoire : <code>{esc(link)}</code></div>"
        )
