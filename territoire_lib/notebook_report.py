"""A French HTML report of an executed notebook: its text and results, without code.

One self-contained page per notebook: the markdown cells (rendered by mistune, as Jupyter
does), then each code cell's results: tables (the HTML pandas writes), charts (SVG, embedded
as ``data:`` images so that the ids of one chart never clash with another's), printed text,
warnings and errors. No script, no remote resource: the page opens offline and prints.

nbconvert's HTML exporter produces the same content but costs about 0.17 s of CPU per
diagnostic notebook (Jinja templates, BeautifulSoup passes, nbformat validation); this page
costs about 5 ms, which matters when ``territoire batch`` writes one report per commune.

Cells tagged ``remove-cell`` are left out; cells tagged ``remove-output`` show no result. From
three level-2 headings on, a table of contents (« Sommaire ») follows the introduction.

Layer « sorties »: imports socle (territoire_lib).
"""

from __future__ import annotations

import base64
import html
import re
from functools import lru_cache

from . import __version__

# mime types shown, best first (as nbconvert's default priority, for what notebooks here hold)
MIME_ORDER = (
    "text/html",
    "image/svg+xml",
    "image/png",
    "image/jpeg",
    "text/markdown",
    "text/plain",
)
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
# printed text laid out in columns (runs of spaces between words, rules of dashes): shown in a
# monospace font; prose (summaries, lists) in the page's font
_ALIGNED = re.compile(r"\S {2,}\S|[─—-]{3,}|\t")
_SVG_TITLE = re.compile(r'role-title-text"[^>]*>\s*<text[^>]*>([^<]*)</text>')

STYLE = """
:root { color-scheme: light; }
body { font-family: "Liberation Sans", Arial, sans-serif; color: #1a1a1a; background: #fff;
  margin: 0; line-height: 1.45; }
main { max-width: 60rem; margin: 0 auto; padding: 1.5rem 1.25rem 3rem; }
h1 { font-size: 1.8rem; margin: 0.5rem 0 1rem; }
h2 { font-size: 1.35rem; margin: 2rem 0 0.6rem; padding-top: 0.6rem;
  border-top: 2px solid #0072B2; }
h3 { font-size: 1.1rem; margin: 1.4rem 0 0.5rem; }
p, li { max-width: 48rem; }
code { font-family: "Liberation Mono", monospace; font-size: 0.92em; background: #f2f2f2;
  padding: 0 0.2em; }
.resultat { margin: 0.8rem 0; overflow-x: auto; }
.resultat img { max-width: 100%; height: auto; }
pre { font-family: "Liberation Mono", "DejaVu Sans Mono", monospace; }
pre.texte { white-space: pre-wrap; margin: 0; font-family: inherit; font-size: 1rem; }
pre.tableau { font-family: "Liberation Mono", "DejaVu Sans Mono", monospace;
  font-size: 0.9rem; }  /* printed tables keep their columns aligned */
pre.avertissement { white-space: pre-wrap; font-size: 0.85rem; color: #6b4e00;
  background: #fff8e1; border-left: 4px solid #E69F00; padding: 0.4rem 0.6rem; }
pre.erreur { white-space: pre-wrap; font-size: 0.9rem; color: #8a1c00; background: #fdecea;
  border-left: 4px solid #D55E00; padding: 0.4rem 0.6rem; }
table { border-collapse: collapse; font-size: 0.9rem; margin: 0.3rem 0; }
th, td { border: 1px solid #d0d0d0; padding: 0.25rem 0.5rem; vertical-align: top; }
thead th { background: #eef4f9; text-align: left !important; }  /* pandas: inline right */
tbody tr:nth-child(even) { background: #fafafa; }
td { text-align: left; font-variant-numeric: tabular-nums; }
th[scope="row"], tbody th { text-align: left; font-weight: normal; }
nav.sommaire { background: #f4f8fb; border-left: 4px solid #0072B2; padding: 0.5rem 1rem;
  margin: 1rem 0; }
nav.sommaire p { font-weight: bold; margin: 0.2rem 0; }
nav.sommaire ul { margin: 0.2rem 0; padding-left: 0.2rem; list-style: none; }
footer { margin-top: 3rem; font-size: 0.8rem; color: #555; border-top: 1px solid #ddd;
  padding-top: 0.5rem; }
@media print {
  main { max-width: none; padding: 0; }
  h2 { break-after: avoid; }
  .resultat { break-inside: avoid; overflow: visible; }
}
"""


@lru_cache(maxsize=1)
def _markdown():
    import mistune

    # raw HTML kept, as Jupyter shows it; tables and strikethrough as in JupyterLab
    return mistune.create_markdown(escape=False, plugins=["table", "strikethrough"])


def _text(value) -> str:
    return "".join(value) if isinstance(value, list) else str(value or "")


def _escaped(text: str) -> str:
    """Printed text as HTML content: colour codes removed, quotes left as they are."""
    return html.escape(_ANSI.sub("", text), quote=False)


def _pre(text: str, css: str | None = None) -> str:
    """Printed text as a ``<pre>``; by default « texte », plus « tableau » when it is laid
    out in columns."""
    if css is None:
        css = "texte tableau" if _ALIGNED.search(text) else "texte"
    return f'<pre class="{css}">{_escaped(text)}</pre>'


def _svg_title(svg: str) -> str:
    """The chart's own title (Vega writes it last), for the image's alternative text."""
    found = _SVG_TITLE.findall(svg)
    return html.unescape(found[-1]).strip() if found else "Graphique"


def _rich(data: dict) -> str:
    """The HTML of the best representation of a display or result."""
    mime = next((m for m in MIME_ORDER if m in data), None)
    if mime is None:
        return ""
    value = _text(data[mime])
    if mime == "text/html":
        return value
    if mime == "image/svg+xml":
        encoded = base64.b64encode(value.encode("utf-8")).decode("ascii")
        alt = html.escape(_svg_title(value), quote=True)
        return f'<img src="data:image/svg+xml;base64,{encoded}" alt="{alt}">'
    if mime in ("image/png", "image/jpeg"):
        return f'<img src="data:{mime};base64,{value.strip()}" alt="Image">'
    if mime == "text/markdown":
        return _markdown()(value)
    return _pre(value)


def _output(out: dict) -> str:
    kind = out.get("output_type")
    if kind == "stream":
        text = _text(out.get("text"))
        return _pre(text, "avertissement" if out.get("name") == "stderr" else None)
    if kind in ("display_data", "execute_result"):
        return _rich(out.get("data") or {})
    if kind == "error":
        what = f"{out.get('ename', 'Erreur')} : {out.get('evalue', '')}"
        return _pre(what, "erreur")
    return ""


def notebook_title(nb) -> str:
    """The notebook's ``title`` metadata, else its first level-1 heading, else « Carnet »."""
    title = str((nb.get("metadata") or {}).get("title") or "").strip()
    if title:
        return title
    for cell in nb.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in _text(cell.get("source")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return "Carnet"


_H2 = re.compile(r"<h2>(.*?)</h2>", re.S)
MIN_SECTIONS = 3  # a table of contents from three sections on


def _with_contents(parts: list[str]) -> list[str]:
    """Number the level-2 headings (``id="section-N"``) and put a table of contents linking to
    them after the first block (the notebook's introduction)."""
    titles: list[str] = []

    def anchor(match: re.Match) -> str:
        titles.append(match.group(1))
        return f'<h2 id="section-{len(titles)}">{match.group(1)}</h2>'

    parts = [_H2.sub(anchor, part) for part in parts]
    if len(titles) < MIN_SECTIONS:
        return parts
    items = "\n".join(
        f'<li><a href="#section-{i}">{text}</a></li>' for i, text in enumerate(titles, start=1)
    )
    nav = f'<nav class="sommaire" aria-label="Sommaire">\n<p>Sommaire</p>\n<ul>\n{items}\n</ul>\n</nav>'
    return [parts[0], nav, *parts[1:]]


def report_html(nb) -> str:
    """The report page of an executed notebook (a :mod:`nbformat` node or plain dict)."""
    parts: list[str] = []
    for cell in nb.get("cells", []):
        tags = set((cell.get("metadata") or {}).get("tags") or [])
        if "remove-cell" in tags:
            continue
        kind = cell.get("cell_type")
        if kind == "markdown":
            parts.append(_markdown()(_text(cell.get("source"))))
        elif kind == "code" and "remove-output" not in tags:
            shown = [h for h in (_output(o) for o in cell.get("outputs") or []) if h]
            if shown:
                parts.append('<div class="resultat">' + "\n".join(shown) + "</div>")
    parts = _with_contents(parts)
    title = _escaped(notebook_title(nb))
    body = "\n".join(parts)
    return (
        "<!DOCTYPE html>\n"
        '<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{STYLE}</style>\n</head>\n<body>\n<main>\n"
        f"{body}\n"
        f"<footer>Rapport produit par Territoire {html.escape(__version__)} à partir du carnet "
        "exécuté ; les chiffres et leurs sources sont ceux du carnet.</footer>\n"
        "</main>\n</body>\n</html>\n"
    )
