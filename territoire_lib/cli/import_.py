"""`territoire import DOSSIER`: validate and cache a user's folder of real files, then make it
the active source (recorded in the cache folder, never in the user's folder).

Layer « applications »: imports indicateurs (variable_uses); données (active_source, dataset);
socle (errors).
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
        help="dossier des fichiers et du manifeste.yaml (« demo » : la démonstration ; le nom "
        "d'une source déjà importée la relit)",
    )
    p.add_argument("--sans-cache", action="store_true", help="relire tous les fichiers")
    p.add_argument(
        "--nom",
        metavar="NOM",
        help="nom de la source (par défaut : le nom du dossier), pour « territoire source NOM »",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..active_source import register_import, resolve_source
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
    from ..indicators import variable_uses

    # a column missing from a file names the indicators it disables
    print(territory.report_french(uses=variable_uses()))
    print(f"\nImport terminé en {time.perf_counter() - start:.1f} s.".replace(".", ",", 1))
    # the folder given, not territory.source: a copy of another folder shares its cache entry
    chosen = register_import(resolve_source(args.dossier).folder, territory.name, args.nom)
    print(
        f"Source active : « {chosen.name} » ({chosen.territory_name}). Les commandes, les "
        "carnets dont le paramètre « source » est vide, le tableau de bord et le traitement par "
        "lot lisent désormais ce dossier ; « territoire source » liste les sources, "
        "« territoire source demo » revient à la démonstration."
    )
    return 0
