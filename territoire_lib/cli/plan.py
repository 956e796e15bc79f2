"""`territoire plan …`: the CTG action plan in the shared database, Excel in and out.

Subcommands: ``importer`` (workbook → database), ``exporter`` (database → workbook),
``modele`` (empty documented workbook), ``calculer`` (catalogue indicators from the data),
``historique`` (audit trail), ``conflits`` (refused saves, both versions), ``demo`` (rewrite
the demo CTG workbook), ``migrer`` (create / upgrade the database schema), ``sauvegarder`` (a
consistent copy of the database: SQLite backup API, or pg_dump).
The database: ``--base`` (URL or SQLite file), else ``$TERRITOIRE_DB``, else
``data/ctg/territoire.sqlite``.

The actions are declared in one table (:func:`_actions`): name, French help and description,
the function run, the arguments (the options shared by several actions — ``--base``,
``--utilisateur``, ``--ctg``, ``--source``, the workbook path — are defined once).

Layer: applications (``cli``). Imports lazily ``plan``, ``dataset``, ``key_figures``,
``sources`` and :mod:`.parametres`.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# -- options shared by several actions: flag → keywords of ``add_argument`` ----------------------
_SHARED: dict[str, dict[str, Any]] = {
    "--base": {
        "metavar": "URL",
        "default": None,
        "help": "base de données : adresse postgresql://… ou fichier SQLite (par défaut : "
        "variable TERRITOIRE_DB, sinon data/ctg/territoire.sqlite)",
    },
    "--utilisateur": {
        "metavar": "NOM",
        "default": None,
        "help": "nom inscrit dans l'historique des modifications (par défaut : l'utilisateur du "
        "système)",
    },
    "--ctg": {
        "metavar": "CODE",
        "default": None,
        "help": "code de la CTG (inutile s'il n'y en a qu'une)",
    },
    "--source": {"metavar": "DOSSIER", "default": None},  # help: given by each action
    "fichier": {"metavar": "FICHIER.xlsx", "type": Path},
}


def _add(p: argparse.ArgumentParser, name: str, **keywords: Any) -> None:
    """Add an argument: a shared one of :data:`_SHARED` (``keywords`` complete or override
    its own), or a new one."""
    p.add_argument(name, **{**_SHARED.get(name, {}), **keywords})


def add_base_option(p: argparse.ArgumentParser) -> None:
    _add(p, "--base")


def add_user_option(p: argparse.ArgumentParser) -> None:
    _add(p, "--utilisateur")


def add_ctg_option(p: argparse.ArgumentParser) -> None:
    _add(p, "--ctg")


@dataclass(frozen=True)
class _Action:
    """One ``territoire plan`` action: its name, French help and description, what it runs
    and its arguments in order (a shared flag, or ``(name, keywords)``)."""

    name: str
    help: str
    description: str
    run: Callable[[argparse.Namespace], int]
    arguments: tuple[str | tuple[str, dict[str, Any]], ...] = ()


def _actions() -> tuple[_Action, ...]:
    """The actions, in the order ``territoire plan --help`` lists them."""
    return (
        _Action(
            "importer",
            "importer un plan depuis un classeur Excel",
            "Lit le classeur (modèle : « territoire plan modele »), vérifie chaque feuille et "
            "enregistre le plan dans la base. Toutes les erreurs sont signalées avec la "
            "feuille, la ligne et la colonne ; rien n'est enregistré tant qu'il en reste.",
            run_import,
            (
                "fichier",
                (
                    "--mettre-a-jour",
                    {
                        "action": "store_true",
                        "help": "mettre à jour une CTG déjà dans la base (les fiches modifiées "
                        "entre-temps par d'autres ne sont jamais écrasées)",
                    },
                ),
                (
                    "--source",
                    {
                        "help": "données qui servent à vérifier le territoire et les codes commune "
                        "(par défaut : la source active, puis le référentiel national)"
                    },
                ),
                "--utilisateur",
                "--base",
            ),
        ),
        _Action(
            "exporter",
            "exporter le plan vers un classeur Excel",
            "Écrit le plan d'une CTG dans un classeur Excel que l'import relit à l'identique (un "
            "fichier existant est remplacé).",
            run_export,
            ("fichier", "--ctg", "--base"),
        ),
        _Action(
            "modele",
            "écrire le classeur modèle vide, avec son mode d'emploi",
            "Écrit un classeur vide aux bonnes feuilles et colonnes, avec une feuille « Mode "
            "d'emploi » qui documente chaque colonne.",
            run_template,
            ("fichier",),
        ),
        _Action(
            "calculer",
            "calculer les indicateurs du catalogue depuis les données",
            "Calcule, pour chaque année disponible, les valeurs réalisées des indicateurs du "
            "catalogue suivis par les fiches (sur les communes de la fiche, sinon sur le "
            "territoire de la CTG). Les valeurs saisies par les partenaires ne sont jamais "
            "remplacées.",
            run_compute,
            (
                "--ctg",
                ("--source", {"help": "dossier des données (par défaut : la source active)"}),
                "--utilisateur",
                "--base",
            ),
        ),
        _Action(
            "historique",
            "historique des modifications (qui, quand, quoi)",
            "Affiche les dernières modifications de la base : date (UTC), auteur, table, action, "
            "valeurs avant et après.",
            run_history,
            (
                "--ctg",
                (
                    "--limite",
                    {"type": int, "default": 30, "metavar": "N", "help": "nombre de lignes (30)"},
                ),
                "--base",
            ),
        ),
        _Action(
            "conflits",
            "enregistrements refusés : les deux versions d'une fiche",
            "Affiche les enregistrements de fiches refusés parce qu'une autre personne avait "
            "enregistré la fiche avant : la version refusée et celle en place.",
            run_conflicts,
            ("--ctg", "--base"),
        ),
        _Action(
            "demo",
            "réécrire le classeur de la CTG de démonstration",
            "Écrit data/ctg/ctg_demo_valmont.xlsx : la CTG fictive de la CA de Valmont-sur-Loue "
            "(3 axes, 12 fiches, valeurs 2022-2024), identique octet pour octet à chaque "
            "génération.",
            run_demo,
            (("--sortie", {"metavar": "FICHIER.xlsx", "type": Path, "default": None}),),
        ),
        _Action(
            "migrer",
            "créer ou mettre à jour la structure de la base",
            "Applique les migrations : crée les tables d'une base vide, met à jour une base "
            "ancienne.",
            run_migrate,
            ("--base",),
        ),
        _Action(
            "sauvegarder",
            "copie cohérente de la base dans un fichier",
            "Écrit une copie cohérente de la base, même pendant que d'autres l'utilisent. "
            "SQLite : un seul fichier, les modifications du journal « -wal » comprises, que "
            "--base ouvre tel quel. PostgreSQL : une archive pg_dump (format « custom », relue "
            "par pg_restore) ; il faut la commande pg_dump (paquet postgresql-client).",
            run_backup,
            (
                ("fichier", {"metavar": "FICHIER", "type": Path}),
                ("--ecraser", {"action": "store_true", "help": "remplacer le fichier s'il existe"}),
                "--base",
            ),
        ),
    )


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "plan",
        help="plan d'actions de la CTG : import et export Excel, base partagée",
        description=(
            "Le plan d'actions de la CTG (axes, fiches actions, budgets, indicateurs de suivi, "
            "évaluation, comités de pilotage) dans une base partagée entre partenaires "
            "(SQLite ou PostgreSQL), importé depuis un classeur Excel et exporté vers lui."
        ),
    )
    p.set_defaults(func=lambda _args: (p.print_help(), 2)[1])
    sub = p.add_subparsers(dest="action", metavar="ACTION", title="actions")
    for action in _actions():
        q = sub.add_parser(action.name, help=action.help, description=action.description)
        for argument in action.arguments:
            name, keywords = (argument, {}) if isinstance(argument, str) else argument
            _add(q, name, **keywords)
        q.set_defaults(func=action.run)


def _user(args) -> str:
    from ..plan.db import default_user

    return (args.utilisateur or "").strip() or default_user()


def open_db(args):
    """Migrated engine of ``--base``, and a line saying which base is used."""
    from ..plan import db

    engine = db.open_database(args.base)
    print(f"Base : {db.display_url(args.base)}")
    return engine


def run_import(args: argparse.Namespace) -> int:
    from ..dataset import load_territory
    from ..plan.excel import import_plan
    from ..sources.referentiel import load_national_geography

    def data_geography():
        return load_territory(args.source).geography

    def demo_geography():  # the demo CTG's workbook imports whatever the active source
        return load_territory("demo").geography

    engine = open_db(args)
    summary = import_plan(
        args.fichier,
        _user(args),
        engine=engine,
        geography=[data_geography, demo_geography, load_national_geography],
        update=args.mettre_a_jour,
    )
    print(summary.french())
    print(f"Suivi du plan : territoire suivi --ctg {summary.ctg_code}")
    return 0


def run_export(args: argparse.Namespace) -> int:
    from ..plan.excel import export_plan

    engine = open_db(args)
    path = export_plan(args.ctg, args.fichier, engine=engine)
    print(f"Plan écrit dans « {path} ».")
    return 0


def run_template(args: argparse.Namespace) -> int:
    from ..plan.excel import write_template

    path = write_template(args.fichier, overwrite=True)
    print(f"Modèle de classeur écrit dans « {path} » (voir sa feuille « Mode d'emploi »).")
    return 0


def run_compute(args: argparse.Namespace) -> int:
    from ..dataset import load_territory
    from ..key_figures import fr_number
    from ..plan import db, service

    engine = open_db(args)
    territory = load_territory(args.source)
    report = db.write(
        lambda s: service.fill_catalogue_indicators(s, args.ctg, territory),
        engine=engine,
        user=_user(args),
    )
    if territory.fictional:
        print("Données fictives de démonstration.")
    if report.empty:
        print("Aucun indicateur du catalogue dans les fiches de cette CTG.")
        return 0
    counts = report["action"].value_counts()
    parts = [f"{action} : {fr_number(int(n))}" for action, n in counts.items()]
    print(f"Valeurs des indicateurs du catalogue par année — {' ; '.join(parts)}.")
    return 0


def run_history(args: argparse.Namespace) -> int:
    from ..plan import db, service
    from .parametres import clip, render_table

    engine = open_db(args)
    with db.session_scope(engine=engine) as s:
        ctg = service.get_ctg(s, args.ctg) if args.ctg or len(service.list_ctgs(s)) == 1 else None
        trail = service.audit_trail(s, ctg, limit=max(args.limite, 1))
    if trail.empty:
        print("Aucune modification enregistrée.")
        return 0
    rows = [
        [
            f"{r['quand']:%d/%m/%Y %H:%M}",
            str(r["qui"]),
            ACTIONS.get(r["action"], r["action"]),
            f"{TABLES.get(r['table'], r['table'])} n° {r['ligne']}",
            clip(_change_text(r["avant"], r["apres"]), 70),
        ]
        for r in trail.to_dict(orient="records")
    ]
    print("Dernières modifications (heure UTC) :")
    print(render_table(["Quand", "Qui", "Action", "Élément", "Détail"], rows))
    return 0


ACTIONS = {"insert": "ajout", "update": "modification", "delete": "suppression"}
TABLES = {
    "ctg": "CTG",
    "ctg_commune": "commune du périmètre",
    "partner": "partenaire",
    "axis": "axe",
    "fiche": "fiche",
    "fiche_commune": "commune de fiche",
    "fiche_budget": "budget",
    "fiche_status_change": "statut",
    "follow_up_indicator": "indicateur",
    "realised_value": "valeur",
    "evaluation_answer": "évaluation",
    "copil_decision": "décision de comité",
    "fiche_conflict": "conflit",
}
_HIDDEN = {"id", "updated_at", "updated_by", "created_at", "created_by", "entered_at"}


def _change_text(before: dict | None, after: dict | None) -> str:
    if before and after:
        keys = [k for k in after if k not in _HIDDEN]
        return " ; ".join(f"{k} : {before.get(k)!s} → {after.get(k)!s}" for k in keys)
    row = after or before or {}
    return " ; ".join(
        f"{k} : {v}" for k, v in row.items() if k not in _HIDDEN and not k.endswith("_id")
    )


def run_conflicts(args: argparse.Namespace) -> int:
    from ..plan import db, service
    from ..plan.document import FicheSpec

    engine = open_db(args)
    with db.session_scope(engine=engine) as s:
        ctg = service.get_ctg(s, args.ctg)
        found = [(f, c) for f in ctg.fiches for c in service.fiche_conflicts(s, f)]
        if not found:
            print("Aucun enregistrement refusé.")
            return 0
        for fiche, c in found:
            rejected = FicheSpec.from_dict(c.rejected)
            current = FicheSpec.from_dict(c.current)
            print(
                f"\nConflit n° {c.id} — fiche « {fiche.code} » : version de {c.user} refusée le "
                f"{c.at:%d/%m/%Y à %H:%M} (UTC) ; {c.saved_by or 'une autre personne'} avait "
                f"enregistré la version {c.found_version}."
            )
            diff = _spec_diff(current, rejected)
            if not diff:
                print("  (contenus identiques)")
            for label, mine, theirs in diff:
                print(f"  {label} : en place « {mine} » ; refusé « {theirs} »")
    return 0


SPEC_LABELS = {
    "axis": "Axe",
    "code": "Code",
    "title": "Intitulé",
    "objective": "Objectif",
    "theme": "Thème",
    "pilot": "Pilote",
    "partners": "Partenaires",
    "public": "Public",
    "communes": "Communes",
    "start": "Début",
    "end": "Fin",
    "status": "Statut",
    "budgets": "Budgets",
}


def _spec_diff(a, b) -> list[tuple[str, str, str]]:
    def text(v) -> str:
        if isinstance(v, tuple):
            return " ; ".join(
                f"{x.funder} {x.year} : {x.amount:g} €" if hasattr(x, "funder") else str(x)
                for x in v
            )
        return "" if v is None else str(v)

    return [
        (label, text(getattr(a, key)), text(getattr(b, key)))
        for key, label in SPEC_LABELS.items()
        if getattr(a, key) != getattr(b, key)
    ]


def run_demo(args: argparse.Namespace) -> int:
    from ..plan.demo_ctg import write_demo_ctg

    path = write_demo_ctg(args.sortie)
    print(
        f"CTG de démonstration écrite dans « {path} » (données fictives). Pour la charger : "
        f"territoire plan importer {path}"
    )
    return 0


def run_backup(args: argparse.Namespace) -> int:
    from ..plan import db
    from ..plan.backup import backup_database

    engine = db.get_engine(args.base)  # as it is: a backup comes before any migration
    print(f"Base : {db.display_url(args.base)}")
    print(backup_database(args.fichier, engine=engine, overwrite=args.ecraser).french())
    return 0


def run_migrate(args: argparse.Namespace) -> int:
    from ..plan import db

    revision = db.upgrade(args.base)
    print(f"Base « {db.display_url(args.base)} » à jour (révision {revision}).")
    return 0
