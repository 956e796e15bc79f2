"""`territoire parametres`: the CNAF parameters in force at a date, with value, unit, source
and status; values « à vérifier » are marked ⚠.

Layer « applications »: imports socle (french); règles (rules).
"""

from __future__ import annotations

import argparse
import datetime as dt

from ..french import render_table  # also imported from here by the other commands

WARN = "⚠ à vérifier"
FOOTNOTE = (
    "⚠ « à vérifier » : chiffre non confirmé par la circulaire CNAF ou caf.fr (estimé, dérivé "
    "ou de source secondaire) ; à contrôler avant toute présentation à un partenaire."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "parametres",
        help="paramètres CNAF en vigueur à une date (valeur, unité, source, statut)",
        description=(
            "Liste les paramètres CNAF (PSU, barème, bonus, investissement, ALSH, AVS, "
            "parentalité) en vigueur à une date, avec leur valeur, leur unité, leur source et "
            "leur statut ; les valeurs « à vérifier » sont signalées par ⚠."
        ),
    )
    p.add_argument("--date", metavar="AAAA-MM-JJ", help="date d'effet (par défaut : aujourd'hui)")
    p.add_argument(
        "--theme",
        metavar="THÈME",
        help="un seul thème : psu, bareme, bonus, investissement, alsh, avs, parentalite",
    )
    p.add_argument(
        "--a-verifier", action="store_true", help="n'afficher que les valeurs à vérifier"
    )
    p.add_argument(
        "--complet", action="store_true", help="descriptions et sources en entier (non tronquées)"
    )
    p.set_defaults(func=run)


def cli_date(text: str | None) -> dt.date:
    """The --date option (AAAA-MM-JJ, French error otherwise); today when absent."""
    from ..rules import parse_date

    return parse_date(text, "Date") if text else dt.date.today()


def clip(text: str, width: int | None) -> str:
    """Shorten to `width` characters; keeps the « — detail » tail (table key, tranche)."""
    text = " ".join(str(text).split())
    if width is None or len(text) <= width:
        return text
    head, sep, tail = text.rpartition(" — ")
    if sep and len(tail) < width // 2:
        return head[: width - len(tail) - 4] + "…" + sep + tail
    return text[: width - 1] + "…"


def run(args: argparse.Namespace) -> int:
    from ..rules import (
        CONFIRMEE,
        RulesError,
        display_unit,
        fmt_date,
        fmt_valeur,
        load_parameters,
    )

    when = cli_date(args.date)
    params = load_parameters()
    themes = sorted({params.parameter(n).theme for n in params.names})
    if args.theme and args.theme not in themes:
        raise RulesError(f"Thème « {args.theme} » inconnu : attendu l'un de {', '.join(themes)}.")
    table = params.list_at(when, theme=args.theme)
    n_all, n_check = len(table), int((table["statut"] != CONFIRMEE).sum())
    if args.a_verifier:
        table = table[table["statut"] != CONFIRMEE]
    scope = f" (thème {args.theme})" if args.theme else ""
    print(
        f"Paramètres CNAF en vigueur au {fmt_date(when)}{scope} : {n_all} valeurs, "
        f"dont {n_check} à vérifier (⚠)."
    )
    if table.empty:
        print("Aucune valeur à afficher à cette date.")
        return 0
    width_desc, width_src = (None, None) if args.complet else (70, 60)
    rows = [
        [
            r.nom,
            clip(r.description, width_desc),
            fmt_valeur(r.valeur, r.unité),
            display_unit(r.unité),
            r.depuis.strftime("%d/%m/%Y"),
            r.statut if r.statut == CONFIRMEE else WARN,
            clip(r.source, width_src),
        ]
        for r in table.itertuples(index=False)
    ]
    headers = ["Nom", "Description", "Valeur", "Unité", "Depuis", "Statut", "Source"]
    print()
    print(render_table(headers, rows, right=(2,)))
    if n_check:
        print()
        print(FOOTNOTE)
    return 0
