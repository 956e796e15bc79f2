"""The French HTML report of an executed notebook (territoire_lib.notebook_report)."""

from __future__ import annotations

import base64
import re

import nbformat
import pandas as pd

from territoire_lib import charts
from territoire_lib.notebook_report import notebook_title, report_html


def _notebook(*cells, title=None):
    nb = nbformat.v4.new_notebook(cells=list(cells))
    if title:
        nb.metadata["title"] = title
    return nb


def _code(*outputs, tags=()):
    cell = nbformat.v4.new_code_cell("secret_code_here = 1")
    cell.outputs = list(outputs)
    if tags:
        cell.metadata["tags"] = list(tags)
    return cell


def test_report_has_no_code_nor_remote_script():
    svg = '<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect/></svg>'
    nb = _notebook(
        nbformat.v4.new_markdown_cell("# Diagnostic territorial\n\nTexte en **français**."),
        _code(nbformat.v4.new_output("display_data", data={"image/svg+xml": svg})),
        title="Diagnostic — Essai",
    )
    body = report_html(nb)
    assert body.startswith("<!DOCTYPE html>") and '<html lang="fr">' in body
    assert "<title>Diagnostic — Essai</title>" in body
    assert "<h1>Diagnostic territorial</h1>" in body
    assert "<p>Texte en <strong>français</strong>.</p>" in body
    assert "secret_code_here" not in body
    assert "<script" not in body and "http" not in body  # no remote resource at all
    encoded = base64.b64encode(svg.encode()).decode()
    assert f'<img src="data:image/svg+xml;base64,{encoded}" alt="Graphique">' in body


def test_chart_alt_text_is_its_title():
    data = pd.DataFrame({"tranche": ["0-2 ans"], "effectif": [12], "part": [3.5]})
    svg = charts.to_svg(charts.children_by_age_chart(data, "Enfants par âge — Essai", "Insee"))
    nb = _notebook(_code(nbformat.v4.new_output("display_data", data={"image/svg+xml": svg})))
    assert 'alt="Enfants par âge — Essai"' in report_html(nb)


def test_outputs_in_order_best_representation_first():
    frame = pd.DataFrame({"Valeur": ["1\u202f234,5"]}, index=["Population"])
    nb = _notebook(
        _code(
            nbformat.v4.new_output("stream", name="stdout", text="Taux < 5 & plus\n"),
            nbformat.v4.new_output("stream", name="stderr", text="\x1b[31mAvertissement\x1b[0m\n"),
            nbformat.v4.new_output(
                "execute_result",
                data={"text/html": frame.to_html(), "text/plain": "texte brut"},
                execution_count=1,
            ),
            nbformat.v4.new_output("display_data", data={"text/markdown": "*note*"}),
            nbformat.v4.new_output("display_data", data={"text/plain": "seulement du texte"}),
        )
    )
    body = report_html(nb)
    # printed text is escaped; ANSI colours of warnings are removed
    assert '<pre class="texte">Taux &lt; 5 &amp; plus\n</pre>' in body
    assert '<pre class="avertissement">Avertissement\n</pre>' in body
    # the table's HTML as pandas wrote it, not its plain text
    assert "<th>Population</th>" in body and "1\u202f234,5" in body
    assert "texte brut" not in body
    assert "<em>note</em>" in body
    assert '<pre class="texte">seulement du texte</pre>' in body
    positions = [body.index(s) for s in ("Taux &lt;", "Avertissement", "Population", "<em>")]
    assert positions == sorted(positions)


def test_error_tags_and_title_fallbacks():
    error = nbformat.v4.new_output(
        "error", ename="TerritoireError", evalue="Territoire inconnu : « 96999 ».", traceback=[]
    )
    kept = nbformat.v4.new_output("stream", name="stdout", text="gardé")
    nb = _notebook(
        nbformat.v4.new_markdown_cell("Texte d'introduction\n\n# Mon carnet"),
        _code(
            nbformat.v4.new_output("stream", name="stdout", text="retiré-1"), tags=["remove-cell"]
        ),
        _code(
            nbformat.v4.new_output("stream", name="stdout", text="retiré-2"), tags=["remove-output"]
        ),
        _code(kept),
        _code(error),
    )
    body = report_html(nb)
    assert "retiré" not in body and "gardé" in body
    assert '<pre class="erreur">TerritoireError : Territoire inconnu : « 96999 ».</pre>' in body
    assert notebook_title(nb) == "Mon carnet" and "<title>Mon carnet</title>" in body
    assert notebook_title(_notebook()) == "Carnet"
    # a title is escaped like any text
    assert "<title>L'Isle &amp; B &lt;i&gt;</title>" in report_html(
        _notebook(title="L'Isle & B <i>")
    )
    # empty results leave no empty block
    assert not re.search(r'<div class="resultat">\s*</div>', report_html(_notebook(_code())))


def test_table_of_contents_from_three_sections():
    sections = [nbformat.v4.new_markdown_cell(f"## {i}. Partie {i}\n\nTexte.") for i in (1, 2, 3)]
    intro = nbformat.v4.new_markdown_cell("# Diagnostic\n\nIntroduction.")
    body = report_html(_notebook(intro, *sections))
    assert '<h2 id="section-2">2. Partie 2</h2>' in body
    nav = body[body.index('<nav class="sommaire"') : body.index("</nav>")]
    assert '<a href="#section-1">1. Partie 1</a>' in nav and '<a href="#section-3">' in nav
    # after the introduction, before the first section
    assert body.index("Introduction.") < body.index("<nav") < body.index('id="section-1"')
    # two sections only: no table of contents
    assert "<nav" not in report_html(_notebook(intro, *sections[:2]))


def test_printed_tables_keep_a_monospace_font_prose_does_not():
    table = "Année  Places  Couverture\n─────  ──────  ──────────\n2024   2 102        60,8\n"
    prose = "Petite enfance : 12 indicateurs sur 13 ; 4 alertes :\n- Enfants de 0 à 2 ans : en baisse.\n"
    nb = _notebook(
        _code(nbformat.v4.new_output("stream", name="stdout", text=table)),
        _code(nbformat.v4.new_output("stream", name="stdout", text=prose)),
    )
    body = report_html(nb)
    assert f'<pre class="texte tableau">{table}</pre>' in body
    assert '<pre class="texte">Petite enfance : 12 indicateurs sur 13 ; 4 alertes :' in body
    assert 'pre.tableau { font-family: "Liberation Mono"' in body
