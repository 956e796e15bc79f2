"""`territoire indicateurs CODE`: the indicator table of one territory (commune, EPCI,
département or perimeter) with its département and France references, in French; optionally
written to a CSV or XLSX file (``--sortie``).

Layer « applications »: imports données (dataset, key_figures); diagnostic (diagnostic); socle
(errors); sorties (exports); indicateurs (indicators); its own layer (cli.parametres).
"""

from __future__ import annotations

import argparse
from pathlib import Path

FORMATS = (".csv", ".xlsx")
ROUNDED = "effectifs arrondis à 5 par la source"


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "indicateurs",
        help="tableau des indicateurs d'un territoire, avec ses références",
        description=(
            "Affiche les indicateurs du diagnostic d'un territoire (commune, EPCI, département "
            "ou périmètre CTG) comparés au département et à la France, thème par thème, avec "
            "les alertes ; écrit le tableau en CSV ou XLSX avec --sortie."
        ),
    )
    p.add_argument("code", metavar="CODE", help="code commune, EPCI, département ou périmètre")
    p.add_argument(
        "--annee", metavar="A", help="année du diagnostic (par défaut : dernières données)"
    )
    p.add_argument(
        "--sortie",
        metavar="FICHIER",
        help="fichier à écrire : .csv (séparateur « ; », pour Excel) ou .xlsx (une feuille par "
        "thème) ; un fichier existant est remplacé",
    )
    p.add_argument(
        "--source",
        metavar="DOSSIER",
        default=None,
        help="dossier des données (avec son manifeste.yaml) ou nom d'une source importée ; "
        "par défaut : la source active (voir « territoire source »)",
    )
    p.set_defaults(func=run)


def _year(text: str | None) -> int | None:
    from ..errors import TerritoireError

    if text is None:
        return None
    t = str(text).strip()
    if not (t.isdigit() and len(t) == 4):
        raise TerritoireError(
            f"Année invalide : « {text} ». Attendu une année sur 4 chiffres, par exemple 2023."
        )
    return int(t)


def _output(text: str | None) -> Path | None:
    from ..errors import TerritoireError

    if not text:
        return None
    path = Path(text)
    if path.suffix.lower() not in FORMATS:
        raise TerritoireError(
            f"Format de fichier non pris en charge : « {path.name} ». Attendu un nom de "
            "fichier finissant par .csv ou .xlsx."
        )
    if not path.parent.exists():
        raise TerritoireError(f"Le dossier « {path.parent} » n'existe pas.")
    return path


def render(table) -> str:
    """The indicator table as aligned French text, one block per theme, then the alerts and
    the remarks (secrecy, estimates, missing data)."""
    from ..diagnostic import LEVEL_NAMES, indicator_display, label_with_unit
    from ..key_figures import fr_number
    from .parametres import clip, render_table

    shown = indicator_display(table, formatted=True)
    first = table.iloc[0]
    head = f"Indicateurs — {first['nom']} ({LEVEL_NAMES.get(first['niveau'], first['niveau'])})"
    dep = first["departement"]
    lines = [head]
    if isinstance(dep, str) and dep:
        lines.append(f"Références : département {dep} et France.")
    headers = ["Indicateur", "Année", "Valeur", "Recalculée", "Département", "France",
               "Écart dép.", "Évolution"]  # fmt: skip
    for theme in dict.fromkeys(shown["Thème"]):
        part = shown[shown["Thème"] == theme]
        rows = [
            [
                clip(label_with_unit(r["Indicateur"], r["Unité"]), 64),
                r["Année"],
                r["Valeur"],
                r["Valeur recalculée"],
                r["Département"],
                r["France"],
                r["Écart au département (points)"],
                clip(r["Évolution"], 40),
            ]
            for r in part.to_dict(orient="records")
        ]
        lines += ["", str(theme), render_table(headers, rows, right=(1, 2, 3, 4, 5, 6))]
    alerts = [s for a in table["alertes"] for s in a]
    lines += ["", "Alertes :" if alerts else "Alertes : aucune."]
    lines += [f"- {s}" for s in alerts]
    parts = shown["Remarques"].str.split(" ; ")
    rounded = parts.map(lambda p: ROUNDED in p)
    remarks = parts.map(lambda p: " ; ".join(x for x in p if x and x != ROUNDED))
    keep = remarks != ""
    if keep.any() or rounded.any():
        lines += ["", "Remarques :"]
        lines += [
            f"- {i} : {r}"
            for i, r in zip(shown.loc[keep, "Indicateur"], remarks[keep], strict=True)
        ]
        if rounded.any():
            lines.append(
                f"- {fr_number(int(rounded.sum()))} indicateurs reposent sur des effectifs "
                "arrondis à 5 par la source (secret statistique de la Cnaf)."
            )
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from ..dataset import load_territory
    from ..exports import write
    from ..indicators import indicator_table

    year = _year(args.annee)
    output = _output(args.sortie)
    territory = load_territory(args.source)
    code, remark = territory.geography.resolve_code(args.code)
    table = indicator_table(territory, code, year=year)
    if territory.fictional:
        print("Données fictives de démonstration.")
    if remark:
        print(f"Remarque : {remark}")
    print(render(table))
    if output is not None:
        write(table, output, overwrite=True)
        print(f"\nTableau écrit dans « {output} ».")
    return 0
