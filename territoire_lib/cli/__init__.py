"""The `territoire` command: French subcommands, French errors, no traceback for users.

Each subcommand lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (a callable taking the parsed
arguments and returning an exit code). ``--cache DOSSIER``, accepted before or after the
subcommand, sets ``TERRITOIRE_CACHE`` for the command and every kernel it starts.

Layer « applications »: imports socle (territoire_lib, errors).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

# module name (in this package) of every subcommand, in the order shown by --help
COMMAND_MODULES = [
    "demo",
    "import_",
    "source",
    "parametres",
    "participation",
    "psu",
    "scenario",
    "indicateurs",
    "batch",
    "plan",
    "suivi",
]


# argparse's own messages, in French (argparse looks its `_` up at call time)
_ARGPARSE_FR = {
    "usage: ": "usage : ",
    "options": "options",
    "positional arguments": "arguments",
    "show this help message and exit": "afficher cette aide et quitter",
    "%(prog)s: error: %(message)s\n": "%(prog)s : erreur : %(message)s\n",
    "the following arguments are required: %s": "arguments obligatoires manquants : %s",
    "unrecognized arguments: %s": "arguments non reconnus : %s",
    "invalid choice: %(value)r (choose from %(choices)s)": (
        "choix invalide : %(value)r (choisir parmi %(choices)s)"
    ),
    "invalid %(type)s value: %(value)r": "valeur invalide (%(type)s) : %(value)r",
    "argument %(argument_name)s: %(message)s": "argument %(argument_name)s : %(message)s",
    "expected one argument": "une valeur attendue",
    "expected at least one argument": "au moins une valeur attendue",
    "expected at most one argument": "au plus une valeur attendue",
    "ambiguous option: %(option)s could match %(matches)s": (
        "option ambiguë : %(option)s peut désigner %(matches)s"
    ),
    "not allowed with argument %s": "incompatible avec l'argument %s",
    "subcommands": "sous-commandes",
    "one of the arguments %s is required": "l'un des arguments %s est obligatoire",
}


def _french(message: str) -> str:
    return _ARGPARSE_FR.get(message, message)


def build_parser() -> argparse.ArgumentParser:
    argparse._ = _french  # type: ignore[attr-defined]
    parser = argparse.ArgumentParser(
        prog="territoire",
        description="Territoire : diagnostic territorial, scénarios et suivi des CTG.",
    )
    parser.add_argument(
        "--version", action="version", version=_version(), help="afficher la version et quitter"
    )
    parser.add_argument("--cache", metavar="DOSSIER", help=CACHE_HELP)
    sub = parser.add_subparsers(dest="commande", metavar="COMMANDE", title="commandes")
    for name in COMMAND_MODULES:
        importlib.import_module(f"{__name__}.{name}").register(sub)
    for command in sub.choices.values():  # also after the subcommand: territoire import --cache
        command.add_argument(
            "--cache", metavar="DOSSIER", default=argparse.SUPPRESS, help=CACHE_HELP
        )
    return parser


CACHE_HELP = (
    "dossier du cache des données et de la liste des sources (par défaut : la variable "
    "TERRITOIRE_CACHE, sinon data/cache/)"
)


def _version() -> str:
    from .. import __version__

    return f"territoire {__version__}"


def main(argv: list[str] | None = None) -> int:
    from ..errors import TerritoireError

    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "cache", None):
        # read at every use by active_source.cache_dir(), inherited by notebook kernels
        os.environ["TERRITOIRE_CACHE"] = str(Path(args.cache).expanduser().resolve())
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except TerritoireError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("Interrompu.", file=sys.stderr)
        return 130
    except OSError as exc:
        print(f"Erreur de fichier : {exc.strerror} ({exc.filename})", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
