"""`territoire scenario FICHIER.yaml`: simulate a scenario, print French tables, export xlsx.

Layer « applications »: imports données (dataset); socle (errors); scénarios (scenario,
scenario.simulate).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "scenario",
        help="simuler un scénario (places, taux de couverture, coûts par financeur, SPPE)",
        description=(
            "Lit un scénario YAML (leviers : ouvrir ou fermer des places par mode, commune et "
            "année), projette les enfants de moins de 3 ans, calcule année par année la "
            "capacité, le taux de couverture, les coûts par financeur (CAF par dispositif, "
            "familles, commune, autres) et les obligations SPPE. Les montants reposant sur des "
            "valeurs non confirmées sont marqués ⚠ à vérifier."
        ),
    )
    p.add_argument("fichier", metavar="FICHIER.yaml", help="le scénario (voir data/scenarios/)")
    p.add_argument(
        "--sortie", metavar="RESULTATS.xlsx", type=Path, help="classeur Excel des résultats"
    )
    p.add_argument(
        "--ecraser", action="store_true", help="remplacer le classeur de sortie s'il existe"
    )
    p.add_argument(
        "--source",
        metavar="DOSSIER",
        help="données : « demo », un dossier avec manifeste.yaml ou le nom d'une source "
        "importée (défaut : celui du scénario, sinon la source active)",
    )
    p.add_argument(
        "--territoire",
        metavar="CODE",
        help="restreindre les résultats à un autre territoire (EPCI, commune, périmètre)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..dataset import load_territory
    from ..errors import TerritoireError
    from ..scenario import load_scenario, simulate

    if args.sortie is not None and args.sortie.suffix.lower() != ".xlsx":
        raise TerritoireError(
            f"Fichier de sortie « {args.sortie} » : attendu un nom se terminant par .xlsx."
        )
    scenario = load_scenario(args.fichier)
    source = args.source or scenario.source  # neither: the active source
    territory = load_territory(source)
    if territory.fictional:
        print(f"Données : {territory.name} — données fictives.")
    result = simulate(territory, scenario, perimetre=args.territoire)
    print(result.french())
    if args.sortie is not None:
        path = result.to_xlsx(args.sortie, overwrite=args.ecraser)
        print(f"\nRésultats écrits dans « {path} ».")
    return 0
