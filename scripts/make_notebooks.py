"""Write ``notebooks/01_diagnostic.ipynb`` from the cells below (nbformat, no outputs).

The notebook is thin: a ``parameters`` cell of literals (Papermill), then short cells that each
call the library once or twice; the story is told in French markdown. Charts are shown as SVG
(``charts.svg``): offline, no CDN.

Usage: ``.venv/bin/python scripts/make_notebooks.py`` (then ``ruff format notebooks``).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]

DIAGNOSTIC = [
    (
        "md",
        """# Diagnostic territorial

Ce carnet dresse le diagnostic d'un territoire — une commune, un EPCI, le département ou un
périmètre de CTG — pour préparer ou actualiser une Convention territoriale globale : contexte,
petite enfance, enfance-jeunesse, parentalité, animation de la vie sociale, logement et accès
aux droits, inclusion, obligations du service public de la petite enfance, puis atouts et
points de vigilance.

Chaque chiffre vient de la bibliothèque `territoire_lib` : un indicateur est toujours un
rapport de sommes (numérateur et dénominateur additionnés sur les communes), jamais une
moyenne de taux. Les valeurs couvertes par le secret statistique sont affichées « secret ».

Paramètres : `territoire` (code du territoire), `annee` (`None` : dernières données
disponibles), `source` (`"demo"` ou le dossier de vos fichiers avec son `manifeste.yaml`).""",
    ),
    ("params", 'territoire = "296000011"\nannee = None\nsource = "demo"'),
    (
        "code",
        """from territoire_lib import charts
from territoire_lib.dataset import load_territory
from territoire_lib.diagnostic import diagnose

diag = diagnose(load_territory(source), territoire, annee)
print(diag.resume)""",
    ),
    (
        "md",
        """## 1. Contexte

Population, enfants et jeunes par âge, pauvreté et zonages prioritaires (quartiers de la
politique de la ville, France Ruralités Revitalisation). Les effectifs viennent du dernier
recensement chargé ; le taux de pauvreté de Filosofi n'est publié que pour les communes assez
peuplées.""",
    ),
    ("code", "charts.svg(diag.age_chart())"),
    ("code", 'diag.theme_table("contexte")'),
    (
        "md",
        """## 2. Petite enfance

Le taux de couverture global compte les places d'accueil formel (EAJE, assistantes
maternelles, garde à domicile, école à 2 ans) pour 100 enfants de moins de 3 ans. Pour les
communes de moins de 10 000 habitants, la Cnaf ne publie que le total de l'EPCI : les places
y sont réparties au prorata des enfants, et ces valeurs sont signalées comme estimées.""",
    ),
    ("code", 'print(diag.theme_summary("petite_enfance"))'),
    ("code", 'charts.svg(diag.time_series_chart("taux_couverture_global"))'),
    ("code", 'charts.svg(diag.reference_chart("petite_enfance"))'),
    ("code", 'charts.svg(diag.ranked_chart("taux_couverture_global"))'),
    ("code", 'diag.theme_table("petite_enfance")'),
    (
        "md",
        """## 3. Enfance-jeunesse

Enfants de 3 à 17 ans (tranches du recensement) et foyers percevant l'allocation d'éducation
de l'enfant handicapé (AEEH).""",
    ),
    ("code", 'print(diag.theme_summary("enfance_jeunesse"))'),
    ("code", 'charts.svg(diag.reference_chart("enfance_jeunesse"))'),
    ("code", 'diag.theme_table("enfance_jeunesse")'),
    (
        "md",
        """## 4. Parentalité

Familles monoparentales (recensement) et foyers percevant l'allocation de soutien familial.""",
    ),
    ("code", 'print(diag.theme_summary("parentalite"))'),
    ("code", 'charts.svg(diag.reference_chart("parentalite"))'),
    ("code", 'diag.theme_table("parentalite")'),
    (
        "md",
        """## 5. Animation de la vie sociale

Centres sociaux et espaces de vie sociale : le thème n'est rempli que si le catalogue et les
données chargées en contiennent les indicateurs.""",
    ),
    ("code", 'print(diag.theme_summary("avs"))'),
    (
        "md",
        """## 6. Logement et accès aux droits

Aides au logement, quotient familial des allocataires et revenu de solidarité active, pour
100 foyers allocataires de la Caf (effectifs arrondis à 5 par la Cnaf).""",
    ),
    ("code", 'print(diag.theme_summary("logement"))\nprint(diag.theme_summary("acces_droits"))'),
    ("code", 'charts.svg(diag.reference_chart("logement"))'),
    ("code", 'charts.svg(diag.reference_chart("acces_droits"))'),
    ("code", 'diag.theme_table("logement")'),
    ("code", 'diag.theme_table("acces_droits")'),
    (
        "md",
        """## 7. Inclusion

Enfants des familles pauvres, enfants en situation de handicap, familles monoparentales,
quartiers prioritaires et communes rurales fragiles : commune par commune. L'indice de
besoins classe les communes entre elles ; sa méthode, ses composantes et leurs poids sont
décrits ci-dessous.""",
    ),
    ("code", "print(diag.methode_indice)"),
    ("code", "charts.svg(diag.needs_map())"),
    ("code", 'charts.svg(diag.ranked_chart("indice_besoins"))'),
    ("code", "diag.inclusion_table()"),
    (
        "md",
        """## 8. Service public de la petite enfance

Depuis le 1er janvier 2025, chaque commune est autorité organisatrice de l'accueil du jeune
enfant ; ses compétences obligatoires dépendent de sa population (art. L. 214-1-3 du code de
l'action sociale et des familles).""",
    ),
    ("code", "print(diag.sppe_territoire)"),
    ("code", "diag.sppe_table()"),
    (
        "md",
        """## 9. Atouts et points de vigilance

Les atouts sont les écarts favorables au département ou à la France et les évolutions
favorables ; les points de vigilance, les alertes du catalogue, les communes aux besoins les
plus marqués et les échéances du service public de la petite enfance.""",
    ),
    ("code", "print(diag.text())"),
    (
        "md",
        """## Classeur

Le même diagnostic s'exporte en classeur (une feuille par thème, plus l'inclusion, le service
public de la petite enfance et les définitions et sources) :
`exports.to_xlsx(diag, "diagnostic.xlsx")`, ou en ligne de commande :
`territoire indicateurs CODE --sortie diagnostic.xlsx`.""",
    ),
]


def build(cells) -> nbformat.NotebookNode:
    nb = new_notebook()
    nb.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    for kind, text in cells:
        if kind == "md":
            nb.cells.append(new_markdown_cell(text))
        else:
            cell = new_code_cell(text)
            if kind == "params":
                cell.metadata["tags"] = ["parameters"]
            nb.cells.append(cell)
    for i, cell in enumerate(nb.cells):  # stable ids: no diff noise between runs
        cell["id"] = f"cell-{i:02d}"
    return nb


def write(nb: nbformat.NotebookNode, path: Path) -> None:
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".ipynb", dir=path.parent)
    os.close(fd)
    try:
        nbformat.write(nb, tmp)
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def main() -> None:
    path = REPO / "notebooks" / "01_diagnostic.ipynb"
    write(build(DIAGNOSTIC), path)
    print(f"écrit : {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
