"""Small building blocks shared by the dashboard modules: stylesheet, French HTML snippets,
French error messages (no traceback ever reaches the page), figure boxes with PNG export.

Results always go to ``HTML`` widgets: clearing an ``Output`` widget while Voilà first executes
the notebook stalls about one page load in twenty (tech-notes, pitfall 4).

The log, escaping and French error messages live in :mod:`.messages` (below this module and
:mod:`.exports_widget`, which both use them); they stay importable from here. Layer
« applications » (12): may import every lower layer (here errors; charts lazily).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from pathlib import Path

import ipywidgets as widgets

from ..errors import TerritoireError
from .exports_widget import DownloadButton
from .messages import GENERIC_ERROR, LOG, error_html, esc, french_message

CSS = "<style>" + Path(__file__).with_name("style.css").read_text(encoding="utf-8") + "</style>"


__all__ = [
    "CSS",
    "GENERIC_ERROR",
    "LOG",
    "FigureBox",
    "error_html",
    "esc",
    "figure_html",
    "french_message",
    "note_html",
    "slug",
    "table_html",
]


def note_html(message: str) -> str:
    return f'<div class="tdb-note" lang="fr">{esc(message)}</div>'


def slug(text: str) -> str:
    """File-name friendly: « CA de Valmont-sur-Loue » → « ca-de-valmont-sur-loue »."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:60] or "territoire"


def figure_html(svg: str, caption: str, fig_id: str) -> str:
    """An SVG chart with its key figure in a sentence beside it (caption + accessible label)."""
    return (
        f'<figure class="tdb-figure" id="{esc(fig_id)}" role="img" lang="fr" '
        f'aria-label="{esc(caption)}">{svg}<figcaption>{esc(caption)}</figcaption></figure>'
    )


def table_html(
    rows: list[list[str]],
    header: list[str],
    table_id: str = "",
    numeric: set[int] | None = None,
    caption: str = "",
) -> str:
    """A plain accessible HTML table (cells already French text)."""
    numeric = numeric or set()
    head = "".join(f'<th scope="col">{esc(h)}</th>' for h in header)
    body = []
    for row in rows:
        cells = []
        for i, cell in enumerate(row):
            if i == 0:
                cells.append(f'<th scope="row">{cell}</th>')
            else:
                cls = ' class="tdb-nombre"' if i in numeric else ""
                cells.append(f"<td{cls}>{cell}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    ident = f' id="{esc(table_id)}"' if table_id else ""
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<table class="tdb-table"{ident} lang="fr">{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(body)}</tbody></table>"
    )


class FigureBox:
    """A chart shown as inline SVG with its caption sentence, and a PNG export button."""

    def __init__(self, fig_id: str, min_width: str = "480px"):
        self.fig_id = fig_id
        self.chart = None
        self.filename = f"{fig_id}.png"
        self.html = widgets.HTML(layout=widgets.Layout(min_width=min_width))
        self.download = DownloadButton(
            "Exporter le graphique (PNG)", self._png, tooltip="Image PNG du graphique affiché"
        )
        self.download.widget.layout.visibility = "hidden"
        self.widget = widgets.VBox([self.html, self.download.widget])
        self.widget.add_class("tdb-figure-box")
        self.widget.add_class(f"tdb-{fig_id}")

    def show(self, chart, caption: str, filename: str) -> None:
        from .. import charts

        svg = charts.to_svg(chart)
        self.chart = chart
        self.filename = filename
        self.html.value = figure_html(svg, caption, self.fig_id)
        self.download.reset()
        self.download.widget.layout.visibility = "visible"

    def message(self, html_text: str) -> None:
        """No chart: a French note or error instead (and no export)."""
        self.chart = None
        self.html.value = html_text
        self.download.reset()
        self.download.widget.layout.visibility = "hidden"

    def render(self, build: Callable[[], tuple[object, str, str]], what: str) -> None:
        """``build()`` returns (chart, caption, filename); any failure becomes a French note."""
        try:
            chart, caption, filename = build()
            self.show(chart, caption, filename)
        except Exception as exc:
            LOG.exception("graphique %s", self.fig_id)
            self.message(error_html(french_message(exc, what)))

    def _png(self) -> tuple[bytes, str]:
        from .. import charts

        if self.chart is None:
            raise TerritoireError("Aucun graphique à exporter.")
        return charts.to_png(self.chart), self.filename
