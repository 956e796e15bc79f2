"""`territoire participation`: hourly family participation from the national barème
(PSU), with the plancher and plafond in force at a date (flagged « valeur 2025 reconduite, à
vérifier » past the date up to which they are documented).

Layer « applications »: imports socle (errors); règles (rules); its own layer (cli.parametres).
"""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "participation",
        help="participation familiale horaire en EAJE (barème national PSU)",
        description=(
            "Calcule la participation horaire d'une famille en EAJE PSU : ressources mensuelles "
            "bornées par le plancher et le plafond en vigueur × taux d'effort selon le nombre "
            "d'enfants à charge et le type d'accueil ; un enfant bénéficiaire de l'AEEH donne "
            "le taux d'effort immédiatement inférieur (seule l'AEEH compte ici ; le bonus "
            "inclusion handicap de l'EAJE compte aussi, depuis 2020, les enfants suivis par une "
            "PCO, un CAMSP, un SESSAD ou un SAFEP, ou avec une attestation hospitalière ou de "
            "PMI). Une valeur utilisée au-delà de la période que sa source documente est dite "
            "« reconduite, à vérifier »."
        ),
    )
    p.add_argument(
        "--ressources",
        nargs="+",
        metavar="R",
        help="ressources mensuelles en euros (une ou plusieurs valeurs, ex. 2500 ou 2500,50)",
    )
    p.add_argument("--enfants", default="1", metavar="N", help="enfants à charge (défaut : 1)")
    p.add_argument(
        "--accueil",
        default="collectif",
        metavar="collectif|familial",
        help="type d'accueil (défaut : collectif ; familial inclut le parental)",
    )
    p.add_argument(
        "--aeeh",
        nargs="?",
        const="1",
        default="0",
        metavar="N",
        help="la famille a un enfant bénéficiaire de l'AEEH (ou N enfants) : taux d'effort "
        "immédiatement inférieur ; seule l'AEEH compte pour le barème",
    )
    p.add_argument("--date", metavar="AAAA-MM-JJ", help="date d'effet (par défaut : aujourd'hui)")
    p.set_defaults(func=run)


def _amount(text: str):
    """A French or English written amount: '2500', '2 500', '2500,50', '2500.50'."""
    from ..errors import quote
    from ..rules import RulesError

    clean = text.replace("\u202f", "").replace("\u00a0", "").replace(" ", "").replace("€", "")
    clean = clean.replace(",", ".")
    try:
        value = float(clean)
    except ValueError:
        value = float("nan")
    if not value == value or value < 0:  # NaN or negative
        raise RulesError(
            f"Ressources mensuelles {quote(text)} invalides : attendu un montant positif en "
            "euros par mois (ex. 2500 ou 2500,50)."
        )
    return value


def _count(text: str, what: str, low: int) -> int:
    from ..errors import quote
    from ..rules import RulesError

    try:
        value = int(text)
    except ValueError:
        value = low - 1
    if value < low:
        raise RulesError(f"{what} {quote(text)} invalide : attendu un nombre entier ≥ {low}.")
    return value


def run(args: argparse.Namespace) -> int:
    import numpy as np

    from ..rules import (
        A_VERIFIER,
        CONFIRMEE,
        RulesError,
        family_participation_hourly,
        fmt_date,
        fmt_euros,
        fmt_pct,
        fmt_valeur,
        load_parameters,
    )
    from .parametres import FOOTNOTE, WARN, cli_date, render_table

    if not args.ressources:
        raise RulesError(
            "Ressources mensuelles manquantes : attendu --ressources suivi d'un montant en euros "
            "par mois (ex. --ressources 2500)."
        )
    when = cli_date(args.date)
    resources = np.array([_amount(r) for r in args.ressources])
    children = _count(args.enfants, "Nombre d'enfants à charge", 1)
    aeeh = _count(args.aeeh, "Nombre d'enfants bénéficiaires de l'AEEH", 0)
    params = load_parameters()
    res = family_participation_hourly(resources, children, args.accueil, aeeh, when, params=params)
    d = res.details

    def mark(statut: str, reconduction: str = "") -> str:
        if reconduction:
            return f"  ⚠ {reconduction}"
        return "" if statut == CONFIRMEE else f"  {WARN}"

    enfants = f"{children} enfant{'s' if children > 1 else ''} à charge"
    aeeh_txt = (
        "sans enfant bénéficiaire de l'AEEH"
        if aeeh == 0
        else f"{aeeh} enfant{'s' if aeeh > 1 else ''} bénéficiaire{'s' if aeeh > 1 else ''} "
        "de l'AEEH (taux d'effort immédiatement inférieur)"
    )
    print("Participation familiale horaire — barème national des participations familiales (PSU)")
    print(f"Au {fmt_date(when)} · accueil {d['accueil']} · {enfants} · {aeeh_txt}")
    rate = float(np.atleast_1d(d["taux_effort"])[0])
    print(
        f"Taux d'effort : {fmt_pct(rate)} des ressources mensuelles par heure"
        f"{mark(d['taux_statut'], d['taux_reconduction'])}"
    )
    print(
        f"Plancher de ressources : {fmt_valeur(d['plancher'], '€')} €/mois"
        f"{mark(d['plancher_statut'], d['plancher_reconduction'])} · plafond : "
        f"{fmt_valeur(d['plafond'], '€')} €/mois"
        f"{mark(d['plafond_statut'], d['plafond_reconduction'])}"
    )
    print()
    bornes = {"plancher": "plancher appliqué", "plafond": "plafond appliqué", "": ""}
    rows = [
        [fmt_euros(r), fmt_euros(kept), bornes[str(b)], fmt_euros(v)]
        for r, kept, b, v in zip(
            resources,
            np.atleast_1d(d["ressources_retenues"]),
            np.atleast_1d(d["borne"]),
            np.atleast_1d(res.value),
            strict=True,
        )
    ]
    headers = ["Ressources mensuelles", "Ressources retenues", "Borne", "Participation horaire"]
    print(render_table(headers, rows, right=(0, 1, 3)))
    if res.a_verifier:
        print()
        print(f"Valeurs {A_VERIFIER} utilisées dans ce calcul :")
        for line in params.describe(res.a_verifier, res.date):
            print(f"  ⚠ {line}")
        print(FOOTNOTE)
    return 0
