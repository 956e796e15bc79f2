"""`territoire demo`: (re)generate the fictional demo département, byte for byte.

Layer « applications »: imports données (demo); socle (errors).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "demo",
        help="régénérer le département de démonstration (données fictives)",
        description=(
            "Écrit le « Département de démonstration (fictif) » dans les formats réels des "
            "fichiers publiés (Insee, Cnaf, ANCT, contours). Les données sont fictives et "
            "identiques octet pour octet à chaque génération."
        ),
    )
    p.add_argument(
        "--dossier",
        type=Path,
        default=None,
        help="dossier de destination (par défaut : data/demo du dépôt)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from ..demo import DEMO_DEPARTEMENT_NAME, DEMO_DIR, generate_demo
    from ..errors import fmt_int

    folder = args.dossier if args.dossier is not None else DEMO_DIR
    start = time.perf_counter()
    written = generate_demo(folder)
    elapsed = f"{time.perf_counter() - start:.1f}".replace(".", ",")
    print(f"{DEMO_DEPARTEMENT_NAME} : {len(written)} fichiers écrits dans « {folder} ».")
    for path in written:
        size = fmt_int(path.stat().st_size)
        print(f"  {path.name} ({size} octets)")
    print(
        "Données fictives : communes, populations, allocataires, places d'accueil et contours "
        "sont inventés, au format des fichiers publiés."
    )
    print(f"Génération terminée en {elapsed} s.")
    return 0
