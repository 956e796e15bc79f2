"""`territoire parametres`: the CNAF parameters in force at a date, with value, unit, source
and status; values « à vérifier » are marked ⚠, values carried forward past their documented
date say « valeur 2025 reconduite, à vérifier ». With ``--depuis``, the veille: every value
that changed between two dates, old and new, sorted by date.

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
FOOTNOTE_CARRIED = (
    "⚠ « reconduite » : la valeur est utilisée au-delà de la période que sa source documente "
    "(revalorisation annuelle non saisie) ; à contrôler et à compléter dans "
    "territoire_lib/parameters."
)


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "parametres",
        help="paramètres CNAF en vigueur à une date (valeur, unité, source, statut)",
        description=(
            "Liste les paramètres CNAF (PSU, barème, bonus, investissement, ALSH, AVS, "
            "parentalité) en vigueur à une date, avec leur valeur, leur unité, leur source et "
            "leur statut ; les valeurs « à vérifier » sont signalées par ⚠, et une valeur "
            "utilisée au-delà de la période que sa source documente est dite « reconduite, à "
            "vérifier ». Avec --depuis : les changements entre deux dates (veille)."
        ),
    )
    p.add_argument(
        "--date",
        metavar="AAAA-MM-JJ",
        help="date d'effet ; avec --depuis, fin de la période (par défaut : aujourd'hui)",
    )
    p.add_argument(
        "--depuis",
        metavar="AAAA-MM-JJ",
        help="veille : liste chaque paramètre qui a changé de cette date à --date incluses "
        "(ancienne et nouvelle valeur, date, source, statut), par date",
    )
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


def _status(statut: str, reconduction: str) -> str:
    """The Statut cell: « confirmée », « ⚠ à vérifier » or « ⚠ valeur 2025 reconduite, … »."""
    from ..rules import CONFIRMEE

    if reconduction:
        return f"⚠ {reconduction}"
    return statut if statut == CONFIRMEE else WARN


def _themes(params, theme: str | None) -> None:
    from ..rules import RulesError

    themes = sorted({params.parameter(n).theme for n in params.names})
    if theme and theme not in themes:
        raise RulesError(f"Thème « {theme} » inconnu : attendu l'un de {', '.join(themes)}.")


def run(args: argparse.Namespace) -> int:
    from ..rules import (
        CONFIRMEE,
        display_unit,
        fmt_date,
        fmt_valeur,
        load_parameters,
    )

    if args.depuis is not None:
        return _run_changes(args)
    when = cli_date(args.date)
    params = load_parameters()
    _themes(params, args.theme)
    table = params.list_at(when, theme=args.theme)
    n_all, n_check = len(table), int((table["statut"] != CONFIRMEE).sum())
    n_carried = int((table["reconduction"] != "").sum())
    if args.a_verifier:
        table = table[table["statut"] != CONFIRMEE]
    scope = f" (thème {args.theme})" if args.theme else ""
    carried = (
        f", dont {n_carried} valeur{'s' if n_carried > 1 else ''} reconduite"
        f"{'s' if n_carried > 1 else ''}"
        if n_carried
        else ""
    )
    print(
        f"Paramètres CNAF en vigueur au {fmt_date(when)}{scope} : {n_all} valeurs, "
        f"dont {n_check} à vérifier (⚠){carried}."
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
            _status(r.statut, r.reconduction),
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
    if n_carried:
        print(FOOTNOTE_CARRIED)
    return 0


def _run_changes(args: argparse.Namespace) -> int:
    """Veille: every parameter value that changed from --depuis to --date (included)."""
    from ..rules import (
        CONFIRMEE,
        display_unit,
        fmt_date,
        fmt_valeur,
        load_parameters,
        parameter_changes,
        parse_date,
    )

    first = parse_date(args.depuis, "Date de début (--depuis)")
    last = parse_date(args.date, "Date de fin (--date)") if args.date else dt.date.today()
    params = load_parameters()
    _themes(params, args.theme)
    table = parameter_changes(params, first, last, theme=args.theme)
    n_all = len(table)
    n_check = int((table["statut"] != CONFIRMEE).sum())
    if args.a_verifier:
        table = table[table["statut"] != CONFIRMEE]
    scope = f" (thème {args.theme})" if args.theme else ""
    plural = "s" if n_all > 1 else ""
    print(
        f"Changements des paramètres CNAF du {fmt_date(first)} au {fmt_date(last)} inclus"
        f"{scope} : {n_all} changement{plural}, dont {n_check} à vérifier (⚠)."
    )
    if table.empty:
        print("Aucun changement à afficher sur cette période.")
        return 0
    width_desc, width_src = (None, None) if args.complet else (60, 60)

    def show(value, unit: str, nature: str, side: str) -> str:
        if nature == "nouveau paramètre" and side == "ancienne":
            return "— (nouveau)"
        if nature == "reconduction" and side == "nouvelle":
            return "inchangée"
        if nature == "reconduction" and value is None:
            return "—"
        return fmt_valeur(value, unit)

    rows = [
        [
            r.date.strftime("%d/%m/%Y"),
            r.nom,
            clip(r.description, width_desc),
            show(r.ancienne_valeur, r.unité, r.nature, "ancienne"),
            show(r.nouvelle_valeur, r.unité, r.nature, "nouvelle"),
            display_unit(r.unité),
            _status(r.statut, r.reconduction),
            clip(r.source, width_src),
        ]
        for r in table.itertuples(index=False)
    ]
    headers = [
        "Date",
        "Nom",
        "Description",
        "Ancienne valeur",
        "Nouvelle valeur",
        "Unité",
        "Statut",
        "Source",
    ]
    print()
    print(render_table(headers, rows, right=(3, 4)))
    if n_check:
        print()
        print(FOOTNOTE)
    if (table["nature"] == "reconduction").any():
        print(FOOTNOTE_CARRIED)
    return 0
