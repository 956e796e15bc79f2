"""`territoire source [NOM]`: list the known data sources, or make one the active source.

The active source is what every command, the notebooks whose ``source`` parameter is empty,
the dashboard and the batch read (see :mod:`territoire_lib.active_source`).

Layer « applications »: imports données (active_source); socle (french).
"""

from __future__ import annotations

import argparse
import os


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "source",
        help="lister les sources de données connues, ou changer de source active",
        description=(
            "Sans argument : liste les sources de données connues (la démonstration et chaque "
            "dossier importé avec « territoire import »), avec leur dossier, leur date "
            "d'import et la source active. Avec un NOM (ou le dossier d'une source importée) : "
            "en fait la source active, que lisent ensuite les commandes, les carnets dont le "
            "paramètre « source » est vide, le tableau de bord (make run) et le traitement par "
            "lot."
        ),
    )
    p.add_argument(
        "nom",
        nargs="?",
        metavar="NOM",
        help="nom de la source à activer (« demo » : la démonstration)",
    )
    p.set_defaults(func=run)


def render(sources, registry: str, override: str = "") -> str:
    """The known sources as a French table, the active one marked with « ▶ »."""
    from ..french import render_table

    rows = [
        [
            "▶" if s.active else "",
            s.name,
            s.territory_name,
            s.imported_french(),
            str(s.folder) + ("" if s.exists else " (introuvable)"),
        ]
        for s in sources
    ]
    lines = [
        "Sources de données connues (▶ : la source active) :",
        "",
        render_table(["", "Nom", "Territoire", "Importée le", "Dossier"], rows),
        "",
        "Changer de source active : territoire source NOM ; en ajouter une : "
        "territoire import DOSSIER.",
        f"Liste enregistrée dans « {registry} ».",
    ]
    if override:
        lines.append(
            f"Attention : la variable TERRITOIRE_SOURCE={override} impose une autre source à "
            "cette session ; la source active ne sert que sans elle."
        )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..active_source import SOURCE_ENV, activate, known_sources, registry_path

    override = os.environ.get(SOURCE_ENV, "").strip()
    if args.nom:
        chosen = activate(args.nom)
        print(
            f"Source active : « {chosen.name} » — {chosen.territory_name} ({chosen.folder}).\n"
            "Les commandes, les carnets dont le paramètre « source » est vide, le tableau de "
            "bord et le traitement par lot lisent désormais cette source (relancez « make run » "
            "s'il est déjà ouvert)."
        )
        if override:
            print(
                f"Attention : la variable TERRITOIRE_SOURCE={override} impose une autre source à "
                "cette session."
            )
        return 0
    print(render(known_sources(), str(registry_path()), override))
    return 0
