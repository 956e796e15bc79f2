"""`territoire import DOSSIER`: validate and cache a user's folder of real files.

Layer « applications »: imports données (dataset); socle (errors).
"""

from __future__ import annotations

import argparse
import sys
import time


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="valider et mettre en cache un dossier de fichiers réels (avec son manifeste.yaml)",
        description=(
            "Lit chaque fichier annoncé par le manifeste.yaml du dossier, vérifie son format et "
            "affiche le rapport de chargement. Les fichiers du dossier ne sont jamais modifiés."
        ),
    )
    p.add_argument(
        "dossier",
        help="dossier des fichiers et du manifeste.yaml (« demo » : la démonstration)",
    )
    p.add_argument("--sans-cache", action="store_true", help="relire tous les fichiers")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..dataset import load_territory
    from ..errors import DataError

    start = time.perf_counter()
    try:
        territory = load_territory(args.dossier, use_cache=not args.sans_cache)
    except DataError as exc:
        print(f"Import impossible : {len(exc.issues)} problème(s).", file=sys.stderr)
        print(exc.french(), file=sys.stderr)
        print("Aucun fichier du dossier n'a été modifié.", file=sys.stderr)
        return 1
    print(territory.report_french())
    print(f"\nImport terminé en {time.perf_counter() - start:.1f} s.".replace(".", ",", 1))
    return 0
