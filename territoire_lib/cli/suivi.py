"""`territoire suivi`: where the CTG action plan stands — the status of every fiche action and
the latest value of every follow-up indicator against its baseline and target.

Layer: applications (``cli``). Imports the socle (``french``), ``plan`` (lazily) and the
options of :mod:`.plan`.
"""

from __future__ import annotations

import argparse

from .. import french
from .plan import add_base_option, add_ctg_option


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "suivi",
        help="suivi du plan d'actions : statut des fiches et des indicateurs",
        description=(
            "Affiche, axe par axe, le statut de chaque fiche action (depuis quand, pilote, "
            "budget prévu) et, pour chaque indicateur de suivi, sa valeur de référence, sa "
            "dernière valeur réalisée et sa cible."
        ),
    )
    add_ctg_option(p)
    add_base_option(p)
    p.set_defaults(func=run)


def fmt_value(value, unit: str = "") -> str:
    """French number: no decimals for whole numbers, else one or two."""
    return french.auto_number(value, missing="—")


def _euros(value: float) -> str:
    return french.euros(value)


def _with_year(value, year) -> str:
    text = fmt_value(value)
    if text == "—":
        return text
    return f"{text} ({int(year)})" if year is not None and year == year else text


def _count(n: int, status: str) -> str:
    plural = n > 1 and status.endswith("e")
    return f"{n} {status}{'s' if plural else ''}"


def render(ctg, fiches, indicators) -> str:
    """The French report: one block per axis, fiches then indicators."""
    from ..plan.document import STATUSES
    from .parametres import clip, render_table

    counts = fiches["statut"].value_counts()
    summary = ", ".join(_count(int(counts[s]), s) for s in STATUSES if s in counts)
    territory = (
        f"{ctg.territory_name} ({ctg.territory_code})"
        if ctg.territory_name
        else (ctg.territory_code)
    )
    lines = [
        f"Suivi de la CTG « {ctg.code} » — {ctg.name}",
        f"Territoire : {territory} ; période {ctg.start_year}-{ctg.end_year}.",
        f"{len(fiches)} fiche{'s' if len(fiches) > 1 else ''} action{'s' if len(fiches) > 1 else ''}"
        f" : {summary or 'aucune'}.",
    ]
    for axis in dict.fromkeys(fiches["axe"]):
        part = fiches[fiches["axe"] == axis]
        lines += ["", f"Axe {axis} — {part['axe_intitule'].iloc[0]}"]
        rows = [
            [
                r["fiche"],
                clip(r["intitule"], 52),
                r["statut"],
                f"{r['statut_depuis']:%d/%m/%Y}" if r["statut_depuis"] else "",
                clip(r["pilote"], 28),
                _euros(r["budget_total"]),
            ]
            for r in part.to_dict(orient="records")
        ]
        lines.append(
            render_table(["Fiche", "Intitulé", "Statut", "Depuis", "Pilote", "Budget"], rows, (5,))
        )
        inds = indicators[indicators["axe"] == axis]
        if len(inds):
            rows = [
                [
                    r["fiche"],
                    clip(r["libelle"], 46) + (" *" if r["origine"] == "catalogue" else ""),
                    _with_year(r["valeur_reference"], r["annee_reference"]),
                    _with_year(r["derniere_valeur"], r["derniere_annee"]),
                    _with_year(r["valeur_cible"], r["annee_cible"]),
                    clip(r["unite"], 24),
                ]
                for r in inds.to_dict(orient="records")
            ]
            headers = ["Fiche", "Indicateur", "Référence", "Dernière valeur", "Cible", "Unité"]
            lines += ["", render_table(headers, rows, (2, 3, 4))]
    if len(indicators) and (indicators["origine"] == "catalogue").any():
        lines += [
            "",
            "* indicateur du catalogue, calculé depuis les données (territoire plan calculer).",
        ]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..plan import db, service
    from .plan import open_db

    engine = open_db(args)
    with db.session_scope(engine=engine) as s:
        ctg = service.get_ctg(s, args.ctg)
        fiches = service.plan_status(s, ctg)
        indicators = service.indicator_status(s, ctg)
        print(render(ctg, fiches, indicators))
    return 0
