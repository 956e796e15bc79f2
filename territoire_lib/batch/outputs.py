"""What the batch leaves in its output folder: file names, the manifest, the index page.

Owns the safe file name of a code (:func:`_safe`), reading the manifest and the resume rule
(:func:`read_manifest`, :func:`_up_to_date`: same key, every file present with its checksum),
the manifest's bytes (:func:`_dump`) and the French index page (:func:`render_index`; after an
interruption it says so, and lists the territories left to do). Files
are written atomically by :func:`territoire_lib.files.write_atomic`; the reports and tables
themselves are made by :mod:`.executor`.

Layer « lot » (11): may import every lower layer (here :mod:`territoire_lib.french`). Inside the
package it imports only :mod:`.jobs`.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from pathlib import Path

from .. import french
from .jobs import (
    LEVEL_LABELS,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_UP_TO_DATE,
    sha256_file,
)


# -- files ----------------------------------------------------------------------------------------
def _safe(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", code) or "_"


def read_manifest(sortie: Path) -> dict:
    path = Path(sortie) / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged manifest only means everything is redone
    return data if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else {}


def _up_to_date(entry: dict | None, key: dict, sortie: Path) -> bool:
    if not entry or entry.get("statut") not in (STATUS_OK, STATUS_UP_TO_DATE):
        return False
    if entry.get("cle") != key:
        return False
    sums = entry.get("sommes") or {}
    files = entry.get("fichiers") or {}
    if not files or set(files.values()) != set(sums):
        return False
    for rel in files.values():
        path = sortie / rel
        if not path.is_file() or sha256_file(path) != sums.get(rel):
            return False
    return True


def _dump(manifest: dict) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=1, default=str).encode("utf-8")


# -- index.html --------------------------------------------------------------------------------
STATUS_NOT_RUN = "restant"  # shown only: a territory the interrupted run did not redo
STATUS_TEXT = {
    STATUS_OK: "produit",
    STATUS_UP_TO_DATE: "à jour (non recalculé)",
    STATUS_FAILED: "échec",
    STATUS_NOT_RUN: "non traité (exécution interrompue)",
}

INDEX_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:2rem;color:#1a1a1a;line-height:1.4}
h1{font-size:1.6rem}
h2{font-size:1.2rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{border:1px solid #bfbfbf;padding:.35rem .5rem;vertical-align:top}
thead th{background:#dce6f1}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.echec td{background:#fce4d6}
.statut-echec{font-weight:700;color:#8a1c00}
.statut-ok{color:#1d5e20}
a{color:#0b4f9c}
a:focus{outline:3px solid #f5a623}
.note{color:#444;font-size:.9rem}
.alerte{border-left:4px solid #8a1c00;background:#fce4d6;padding:.5rem .75rem}
tr.restant td{background:#f2f2f2}
"""


def _figure_cell(fig: dict | None, decimals: int) -> str:
    if not fig:
        return '<td class="n">n.d.</td>'
    if fig.get("masque"):  # « secret », « < 5 » (a confidential count), « n.d. »
        label = html.escape(fig.get("etiquette") or "secret")
        return f'<td class="n">{label} ({fig.get("annee")})</td>'
    text = f"{french.number(fig.get('valeur'), decimals)} ({fig.get('annee')})"
    if fig.get("peu_significatif"):
        text += '<br><span class="note">peu significatif</span>'
    if fig.get("source") == "publiée" and fig.get("valeur_calculee") is not None:
        # a published headline, with the recomputed value beside it
        text += (
            f'<br><span class="note">publié ; recalculé : '
            f"{french.number(fig['valeur_calculee'], decimals)}</span>"
        )
    return f'<td class="n">{text}</td>'


def _french_time(stamp: str) -> str:
    """« 2026-11-29T13:28:47+00:00 » → « 29 novembre 2026 à 14 h 28 (heure de Paris) »; as it
    is if it is not a date. UTC when the time zone database is missing."""
    try:
        when = dt.datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return str(stamp or "")
    zone = ""
    if when.tzinfo is not None:
        try:
            from zoneinfo import ZoneInfo

            when, zone = when.astimezone(ZoneInfo("Europe/Paris")), "heure de Paris"
        except Exception:  # no tz database: keep the stamp's own offset
            zone = when.strftime("%Z")
    text = f"{french.long_date(when.date())} à {when.hour} h {when.minute:02d}"
    return f"{text} ({zone})" if zone else text


def _territories(n: int) -> str:
    return f"{n} territoire{'s' if n > 1 else ''}"


def _remaining_html(execution: dict, remaining: dict) -> str:
    """The notice of an interrupted run: why it stopped, and the territories left to do."""
    esc = html.escape
    reason = esc(str(execution.get("interruption", "")))
    notice = (
        f'<p class="alerte" role="status"><strong>Exécution interrompue</strong> ({reason}) : '
        f"{_territories(len(remaining))} n'ont pas été traités. Relancez la même commande pour "
        "les terminer : les territoires déjà produits ne sont pas recalculés.</p>"
    )
    if not remaining:
        return notice
    items = "\n".join(
        f'<tr><th scope="row">{esc(str(name))}</th><td>{esc(code)}</td></tr>'
        for code, name in remaining.items()
    )
    return (
        f"{notice}\n<table>\n<caption>Territoires restant à traiter</caption>\n<thead><tr>"
        f'<th scope="col">Territoire</th><th scope="col">Code</th></tr></thead>\n<tbody>\n'
        f"{items}\n</tbody>\n</table>"
    )


def render_index(manifest: dict) -> str:
    """The French index page: every territory, its status, key figures and links."""
    esc = html.escape
    entries = manifest.get("territoires") or {}
    data = manifest.get("donnees") or {}
    execution = manifest.get("execution") or {}
    remaining = execution.get("restants") or {}
    n_fail = sum(
        1 for c, e in entries.items() if e.get("statut") == STATUS_FAILED and c not in remaining
    )
    rows = []
    for code, e in entries.items():
        status = e.get("statut", "")
        if code in remaining:  # an entry of an earlier run, not redone before the interruption
            status = STATUS_NOT_RUN
        figs = e.get("chiffres_cles") or {}
        files = e.get("fichiers") or {}
        links = []
        for kind, label in (
            ("rapport", "rapport HTML"),
            ("tableaux", "tableaux XLSX"),
            ("carnet", "carnet exécuté"),
        ):
            if kind in files:
                links.append(
                    f'<a href="{esc(files[kind])}">{label}<span class="visually-hidden"> — '
                    f"{esc(e.get('nom', code))}</span></a>"
                )
        status_html = f'<span class="statut-{esc(status)}">{STATUS_TEXT.get(status, status)}</span>'
        if status == STATUS_FAILED:
            status_html += f"<br>{esc(e.get('erreur', ''))}"
        elif status == STATUS_NOT_RUN and links:
            status_html += "<br>fichiers d'une exécution précédente"
        duree = e.get("duree_s")
        rows.append(
            f'<tr class="{esc(status)}"><th scope="row">{esc(e.get("nom", code))}<br>'
            f'<span class="note">{esc(code)} — {esc(LEVEL_LABELS.get(e.get("niveau", ""), ""))}'
            f"</span></th>"
            f"<td>{status_html}</td>"
            f"{_figure_cell(figs.get('population'), 0)}"
            f"{_figure_cell(figs.get('enfants_0_2'), 0)}"
            f"{_figure_cell(figs.get('taux_couverture_global'), 1)}"
            f'<td class="n">{french.number(duree, 1) + " s" if duree is not None else "—"}</td>'
            f"<td>{' · '.join(links) or '—'}</td></tr>"
        )
    refused = execution.get("refus") or {}
    refused_html = ""
    if refused:
        items = "\n".join(
            f'<tr><th scope="row">{esc(code)}</th><td>{esc(r.get("erreur", ""))}</td></tr>'
            for code, r in refused.items()
        )
        refused_html = (
            "<table>\n<caption>Codes demandés mais non traités lors de la dernière exécution"
            '</caption>\n<thead><tr><th scope="col">Code</th><th scope="col">Motif</th></tr>'
            f"</thead>\n<tbody>\n{items}\n</tbody>\n</table>"
        )
    n_refused = sum(1 for c in refused if c not in entries)
    n_fail += n_refused
    warnings = data.get("avertissements") or []
    warnings_html = ""
    if warnings:
        items = "\n".join(f"<li>{esc(str(w))}</li>" for w in warnings)
        warnings_html = (
            '<section aria-labelledby="limites">\n<h2 id="limites">Limites des données '
            f'chargées ({len(warnings)})</h2>\n<p class="note">Elles valent pour chaque '
            "rapport et chaque classeur ci-dessous (rapport de chargement de "
            f"<code>territoire import</code>).</p>\n<ul>\n{items}\n</ul>\n</section>\n"
        )
    fictif = " Données fictives (démonstration)." if data.get("fictif") else ""
    when = _french_time(execution.get("fin", ""))
    counts = f"{_territories(len(entries) + n_refused)}, {n_fail} en échec."
    interrupted_html = ""
    if "interruption" in execution:
        total = int(execution.get("selection") or len(entries) + n_refused)
        n_left = len(remaining)
        left = "restant" + ("s" if n_left > 1 else "")
        counts = (
            f"Exécution interrompue avant la fin : {total - n_left} "
            f"territoire{'s' if total - n_left > 1 else ''} traité"
            f"{'s' if total - n_left > 1 else ''} sur {total}, {n_left} {left} à traiter, "
            f"{n_fail} en échec."
        )
        interrupted_html = _remaining_html(execution, remaining)
    head = (
        f"{counts} Données : {esc(str(data.get('nom', '')))} (somme de contrôle "
        f"{esc(str(data.get('somme_controle', '')))}).{fictif} Dernière exécution : "
        f"{esc(when)} ({esc(str(execution.get('executeur', '')))})."
    )
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Classeurs par territoire</title>
<style>{INDEX_CSS}
.visually-hidden{{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap}}</style>
</head>
<body>
<main>
<h1>Classeurs par territoire</h1>
<p>{head}</p>
{warnings_html}{interrupted_html}<p class="note">Chaque ligne renvoie au rapport (sans code, graphiques intégrés), aux tableaux
du diagnostic (classeur XLSX) et au carnet exécuté. Le taux de couverture compte les places
d'accueil formel pour 100 enfants de moins de 3 ans ; entre parenthèses, l'année des données.
Le détail (paramètres, millésimes, sommes de contrôle, durées) est dans
<a href="{MANIFEST_NAME}">{MANIFEST_NAME}</a>.</p>
<table>
<caption>Territoires, état de production et chiffres clés</caption>
<thead><tr><th scope="col">Territoire</th><th scope="col">État</th>
<th scope="col">Population</th><th scope="col">Enfants de moins de 3 ans</th>
<th scope="col">Taux de couverture (places pour 100 enfants)</th>
<th scope="col">Durée</th><th scope="col">Fichiers</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
{refused_html}
</main>
</body>
</html>
"""
