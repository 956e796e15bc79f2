"""`territoire psu`: one crèche's PSU, bonuses and remaining charge from its annual figures,
each with the arithmetic that gives it, for a manager or a CAF adviser to check by hand.

The calculation is :func:`territoire_lib.rules.psu_calculator.psu_calculator` (the notebooks
call the same function); this module only reads the options and prints or writes the result.

Layer « applications »: imports socle (errors); règles (rules, rules.psu_calculator).
"""

from __future__ import annotations

import argparse
import re


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "psu",
        help="calcul de la PSU d'une crèche (taux de facturation, prix plafond, bonus, reste à charge)",  # fmt: skip
        description=(
            "Calcule la prestation de service unique (PSU) d'une crèche pour une année à partir "
            "de ses chiffres annuels : taux de facturation (heures facturées / heures "
            "réalisées), prix de revient par heure facturée, prix plafond PSU retenu, "
            "participation familiale horaire moyenne, PSU (versée sur les heures facturées), "
            "chaque bonus (0 € quand il n'est pas dû), total CAF et reste à charge du "
            "gestionnaire par place et par heure facturée. Chaque ligne montre son calcul ; "
            "les montants qui reposent sur une valeur non confirmée sont marqués ⚠ à vérifier."
        ),
    )
    p.add_argument("--places", required=True, metavar="N", help="nombre de places (agrément)")
    p.add_argument(
        "--heures-realisees", required=True, metavar="H", help="heures réalisées dans l'année"
    )
    p.add_argument(
        "--heures-facturees",
        required=True,
        metavar="F",
        help="heures facturées aux familles dans l'année",
    )
    p.add_argument(
        "--charges", required=True, metavar="C", help="charges de fonctionnement de l'année (€)"
    )
    p.add_argument(
        "--participations",
        required=True,
        metavar="P",
        help="participations familiales facturées dans l'année (€)",
    )
    p.add_argument(
        "--sans-couches-repas",
        action="store_true",
        help="le gestionnaire ne fournit pas les couches et les repas (autre prix plafond)",
    )
    p.add_argument(
        "--prix-plafond",
        metavar="X",
        help="prix plafond horaire à retenir (€/h, ex. celui de la notification CAF) au lieu du "
        "barème daté",
    )
    p.add_argument(
        "--part-regime-general",
        metavar="R",
        help="part des ressortissants du régime général : 0,85 ou 85 %% (défaut : 100 %%)",
    )
    p.add_argument(
        "--enfants-handicap",
        metavar="K",
        help="enfants en situation de handicap accueillis (AEEH, PCO, CAMSP, SESSAD ou SAFEP, "
        "attestation hospitalière ou de PMI) ; avec --enfants-accueillis",
    )
    p.add_argument(
        "--enfants-accueillis", metavar="M", help="enfants accueillis dans l'année (tous)"
    )
    zone = p.add_mutually_exclusive_group()
    zone.add_argument("--qpv", action="store_true", help="crèche en quartier prioritaire (QPV)")
    zone.add_argument(
        "--frr", action="store_true", help="crèche en France ruralités revitalisation (FRR)"
    )
    p.add_argument("--ctg", action="store_true", help="une CTG est signée (bonus territoire)")
    p.add_argument(
        "--nouvelles-places",
        default="0",
        metavar="n",
        help="places nouvelles ouvrant le bonus territoire (défaut : 0)",
    )
    p.add_argument(
        "--date",
        metavar="AAAA-MM-JJ",
        help="règles en vigueur à cette date, appliquées à l'année (défaut : aujourd'hui) ; "
        "une année AAAA : règles de l'année au prorata de leur durée",
    )
    p.add_argument("--sortie", metavar="FICHIER.xlsx", help="classeur Excel du calcul")
    p.add_argument("--ecraser", action="store_true", help="remplacer le classeur s'il existe")
    p.set_defaults(func=run)


def _number(text: str | None, option: str, what: str) -> float | None:
    """A number written the French or the English way: '86400', '86 400', '9,5', '9.5'."""
    from ..errors import quote
    from ..rules import RulesError

    if text is None:
        return None
    clean = re.sub(r"[\s\u202f\u00a0€]", "", str(text)).replace(",", ".")
    try:
        value = float(clean)
    except ValueError:
        value = float("nan")
    if value != value or value in (float("inf"), float("-inf")):
        raise RulesError(f"{option} : trouvé {quote(text)} ; attendu {what}.")
    return value


def _integer(text: str | None, option: str, what: str) -> int | None:
    from ..errors import quote
    from ..rules import RulesError

    value = _number(text, option, what)
    if value is None:
        return None
    if not value.is_integer():
        raise RulesError(f"{option} : trouvé {quote(text)} ; attendu {what}.")
    return int(value)


def _share(text: str | None) -> float:
    """--part-regime-general: '0,85', '0.85', '85 %' (default 100 %)."""
    from ..errors import quote
    from ..rules import RulesError

    if text is None:
        return 1.0
    expected = "une part entre 0 et 1 (0,85) ou un pourcentage entre 0 et 100 (85 %)"
    percent = str(text).strip().endswith("%")
    value = _number(str(text).strip().rstrip("%"), "--part-regime-general", expected)
    if percent:
        value = value / 100
    if not 0 <= value <= 1:
        raise RulesError(f"--part-regime-general : trouvé {quote(text)} ; attendu {expected}.")
    return value


def _date(text: str | None):
    import datetime as dt

    from ..rules import parse_date

    if text is None:
        return dt.date.today()
    if re.fullmatch(r"\d{4}", text.strip()):
        return int(text)
    return parse_date(text, "Date (--date)")


def run(args: argparse.Namespace) -> int:
    from ..rules.psu_calculator import psu_calculator

    count = "un nombre (ex. 86400 ou 86 400)"
    euros = "un montant en euros (ex. 800000 ou 800 000)"
    calc = psu_calculator(
        _number(args.places, "--places", "un nombre de places"),
        _number(args.heures_realisees, "--heures-realisees", count),
        _number(args.heures_facturees, "--heures-facturees", count),
        _number(args.charges, "--charges", euros),
        _number(args.participations, "--participations", euros),
        couches_repas=not args.sans_couches_repas,
        prix_plafond=_number(args.prix_plafond, "--prix-plafond", "un prix en €/h (ex. 10,25)"),
        part_regime_general=_share(args.part_regime_general),
        enfants_handicap=_integer(
            args.enfants_handicap, "--enfants-handicap", "un nombre entier d'enfants"
        ),  # fmt: skip
        enfants_accueillis=_integer(
            args.enfants_accueillis, "--enfants-accueillis", "un nombre entier d'enfants"
        ),  # fmt: skip
        qpv=args.qpv,
        frr=args.frr,
        ctg=args.ctg,
        nouvelles_places=_integer(
            args.nouvelles_places, "--nouvelles-places", "un nombre entier de places"
        ),  # fmt: skip
        date=_date(args.date),
    )
    print(calc.texte())
    if args.sortie:
        path = calc.to_xlsx(args.sortie, overwrite=args.ecraser)
        print()
        print(f"Classeur écrit : {path}")
    return 0
