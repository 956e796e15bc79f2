"""`territoire batch`: one diagnostic workbook per territory (executed notebook, HTML report
without code, XLSX tables), an ``index.html`` and a manifest; resumable, in parallel, or on a
Dask cluster.

Layer « applications »: imports lot (batch); socle (errors); its own layer (cli.indicateurs).
"""

from __future__ import annotations

import argparse
import signal
import threading


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "batch",
        help="classeurs par territoire : carnet exécuté, rapport HTML et tableaux XLSX",
        description=(
            "Produit pour chaque territoire d'un niveau (ou ceux nommés) le carnet exécuté, un "
            "rapport HTML sans code dont les graphiques s'affichent hors ligne et les tableaux "
            "du diagnostic en XLSX, plus un index.html et un manifeste (paramètres, millésimes "
            "et sommes de contrôle des données, version, durées, échecs). Les territoires déjà "
            "à jour sont passés (sauf --force) ; un territoire en échec n'arrête pas les autres "
            "et la commande se termine alors avec le code 1."
        ),
    )
    p.add_argument(
        "--niveau",
        choices=["commune", "epci", "perimetre", "departement"],
        help="tous les territoires de ce niveau",
    )
    p.add_argument(
        "--territoires",
        metavar="A,B",
        help="codes des territoires, séparés par des virgules (au lieu de tout un niveau)",
    )
    p.add_argument(
        "--notebook",
        metavar="CARNET",
        default=None,
        help="carnet à exécuter (par défaut : notebooks/01_diagnostic.ipynb)",
    )
    p.add_argument(
        "--scenario",
        metavar="FICHIER",
        default=None,
        help="fichier de scénario passé au carnet (paramètre « scenario »)",
    )
    p.add_argument("--sortie", metavar="DOSSIER", required=True, help="dossier des classeurs")
    p.add_argument(
        "--source",
        metavar="DOSSIER",
        default=None,
        help="dossier des données (avec son manifeste.yaml) ou nom d'une source importée ; "
        "par défaut : la source active (voir « territoire source »)",
    )
    p.add_argument("--annee", metavar="A", help="année du diagnostic (par défaut : la dernière)")
    p.add_argument(
        "--processus",
        type=int,
        default=None,
        metavar="N",
        help="nombre de processus de calcul (par défaut : un par cœur)",
    )
    p.add_argument(
        "--dask",
        metavar="ADRESSE",
        default=None,
        help="adresse d'un cluster Dask existant (tcp://hôte:8786) qui exécute les territoires",
    )
    p.add_argument("--force", action="store_true", help="refaire aussi les territoires à jour")
    p.add_argument(
        "--delai",
        type=int,
        default=600,
        metavar="S",
        help="durée maximale d'une cellule du carnet, en secondes (par défaut : 600)",
    )
    p.add_argument(
        "--sans-barre", action="store_true", help="ne pas afficher la barre de progression"
    )
    p.set_defaults(func=run)


def _interrupt(signum, frame) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from ..batch import run_batch
    from ..errors import TerritoireError
    from .indicateurs import _year

    codes = [c.strip() for c in (args.territoires or "").split(",") if c.strip()] or None
    if args.processus is not None and args.processus < 1:
        raise TerritoireError(
            f"Nombre de processus invalide : « {args.processus} ». Attendu un entier ≥ 1."
        )
    if args.delai < 1:
        raise TerritoireError(
            f"Délai invalide : « {args.delai} ». Attendu un nombre de secondes ≥ 1."
        )
    # stopped by a scheduler (SIGTERM): the same as Ctrl-C, the manifest and index are written
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _interrupt) if main_thread else None
    try:
        summary = run_batch(
            args.sortie,
            niveau=args.niveau,
            territoires=codes,
            notebook=args.notebook,
            source=args.source,
            annee=_year(args.annee),
            scenario=args.scenario,
            workers=args.processus,
            dask=args.dask,
            force=args.force,
            progress=not args.sans_barre,
            execution_timeout=args.delai,
        )
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)
    print(summary.french())
    return 0 if summary.ok else 1
