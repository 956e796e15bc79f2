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
les six thèmes de la CTG (petite enfance, enfance-jeunesse, parentalité, animation de la vie
sociale, logement, accès aux droits), chacun avec « Ce qu'il faut retenir », une carte, une
série et ses indicateurs face au département et à la France ; puis l'inclusion, les
obligations du service public de la petite enfance, les atouts et points de vigilance.

Chaque chiffre vient de la bibliothèque `territoire_lib` : un indicateur est toujours un
rapport de sommes (numérateur et dénominateur additionnés sur les communes), jamais une
moyenne de taux. Une valeur que la source ne diffuse pas s'affiche « secret » ; un taux sur
un petit dénominateur est affiché et signalé « peu significatif » ; une donnée confidentielle
de moins de 5 s'affiche « < 5 » (voir `data/README.md`, « Secret statistique »).

Paramètres : `territoire` (code du territoire), `annee` (`None` : dernières données
disponibles), `source` (`""` : la source active, celle du dernier `territoire import` ou
choisie avec `territoire source NOM` ; sinon `"demo"`, le nom d'une source importée ou un
dossier avec son `manifeste.yaml`).""",
    ),
    ("params", 'territoire = "296000011"\nannee = None\nsource = ""'),
    (
        "code",
        """from territoire_lib import charts
from territoire_lib.dataset import load_territory
from territoire_lib.diagnostic import diagnose
from territoire_lib.notebook_display import show_whole_tables

show_whole_tables()  # remarks and tables shown whole, not cut by pandas
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
maternelles, garde à domicile, école à 2 ans) de décembre de l'année N pour 100 enfants de
moins de 3 ans au 1er janvier N+1 (méthode de l'Onape), jamais les enfants d'un recensement
plus ancien. Là où la Cnaf publie le taux (EPCI, communes de plus de 10 000 habitants,
département, France), le taux publié est le chiffre affiché, comparé aux taux publiés ; le taux
recalculé par l'outil est donné à côté (colonne « Valeur recalculée ») et se compare aux taux
recalculés. Pour le recalcul, les enfants au 1er janvier N+1 sont ceux du recensement de cette
date quand il est chargé, sinon les naissances domiciliées des années N−2, N−1 et N (état
civil) multipliées par un facteur propre à la commune (décès et migrations avant 3 ans, estimé
sur les recensements). Pour les communes de moins de 10 000 habitants, la Cnaf ne publie que
le total de l'EPCI : les places y sont réparties au prorata des enfants, et ces valeurs sont
signalées comme estimées.

Les obligations du service public de la petite enfance (plus bas) suivent la population totale
des populations légales de l'Insee : strictement plus de 3 500 et plus de 10 000 habitants.""",
    ),
    ("code", 'print(diag.theme_report("petite_enfance"))'),
    ("code", 'charts.svg(diag.theme_map("petite_enfance"))'),
    ("code", 'charts.svg(diag.theme_series("petite_enfance"))'),
    ("code", 'charts.svg(diag.reference_chart("petite_enfance"))'),
    ("code", 'charts.svg(diag.ranked_chart("taux_couverture_global"))'),
    ("code", 'diag.theme_table("petite_enfance")'),
    (
        "md",
        """## 3. Enfance-jeunesse

Enfants de 3 à 5, 6 à 10 et 11 à 17 ans (tranches de la base infracommunale du recensement)
et leur évolution, leur part dans la population, la projection des enfants d'âge scolaire
(3 à 10 ans) par le module de démographie, et les foyers percevant l'allocation d'éducation de
l'enfant handicapé (AEEH). Les accueils collectifs de mineurs ne sont connus que pour le
département (tableaux de la DREES) : ce sont des lignes de contexte, pas des chiffres du
territoire.""",
    ),
    ("code", 'print(diag.theme_report("enfance_jeunesse"))'),
    ("code", 'charts.svg(diag.theme_map("enfance_jeunesse"))'),
    ("code", 'charts.svg(diag.theme_series("enfance_jeunesse"))'),
    ("code", 'charts.svg(diag.reference_chart("enfance_jeunesse"))'),
    ("code", "charts.svg(diag.school_age_chart())"),
    ("code", 'diag.theme_table("enfance_jeunesse")'),
    (
        "md",
        """## 4. Parentalité

Familles monoparentales, parmi toutes les familles et parmi les familles avec enfants ;
familles nombreuses (3 enfants ou plus de moins de 25 ans) ; naissances et taux de natalité ;
foyers percevant l'allocation de soutien familial (ASF : parent isolé sans pension
alimentaire), les allocations familiales et le complément familial.""",
    ),
    ("code", 'print(diag.theme_report("parentalite"))'),
    ("code", 'charts.svg(diag.theme_map("parentalite"))'),
    ("code", 'charts.svg(diag.theme_series("parentalite"))'),
    ("code", 'charts.svg(diag.reference_chart("parentalite"))'),
    ("code", 'diag.theme_table("parentalite")'),
    (
        "md",
        """## 5. Animation de la vie sociale

Les chiffres qui appellent une structure d'animation de la vie sociale (centre social, espace
de vie sociale) : population, pauvreté, isolement des personnes âgées (personnes de 65 ans ou
plus et de 80 ans ou plus vivant seules), ménages d'une personne, foyers allocataires vivant
en quartier prioritaire. La liste des centres sociaux et des EVS n'est pas encore chargée : la
note ci-dessous dit ce qui manque.""",
    ),
    ("code", 'print(diag.theme_report("avs"))'),
    ("code", 'charts.svg(diag.theme_map("avs"))'),
    ("code", 'charts.svg(diag.theme_series("avs"))'),
    ("code", 'charts.svg(diag.reference_chart("avs"))'),
    ("code", 'diag.theme_table("avs")'),
    (
        "md",
        """## 6. Logement

Aides au logement (APL, ALS, ALF) pour 100 foyers allocataires et pour 100 ménages, ménages
d'une personne. Les effectifs de la Cnaf sont arrondis à 5.""",
    ),
    ("code", 'print(diag.theme_report("logement"))'),
    ("code", 'charts.svg(diag.theme_map("logement"))'),
    ("code", 'charts.svg(diag.theme_series("logement"))'),
    ("code", 'charts.svg(diag.reference_chart("logement"))'),
    ("code", 'diag.theme_table("logement")'),
    (
        "md",
        """## 7. Accès aux droits

Quotient familial des foyers allocataires, tranche par tranche (la tranche « Inconnu » est
exclue du dénominateur, comme dans les publications de la Cnaf), et dans les quartiers
prioritaires ; RSA (majoré ou non), prime d'activité, AAH ; personnes couvertes par la Caf.
Le tableau des quartiers prioritaires compare leur taux de pauvreté et leur niveau de vie
médian (Insee) à ceux de leur commune.""",
    ),
    ("code", 'print(diag.theme_report("acces_droits"))'),
    ("code", 'charts.svg(diag.theme_map("acces_droits"))'),
    ("code", 'charts.svg(diag.theme_series("acces_droits"))'),
    ("code", 'charts.svg(diag.reference_chart("acces_droits"))'),
    ("code", "diag.qpv_table()"),
    ("code", 'diag.theme_table("acces_droits")'),
    (
        "md",
        """## 8. Inclusion

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
        """## 9. Service public de la petite enfance

Depuis le 1er janvier 2025, chaque commune est autorité organisatrice de l'accueil du jeune
enfant ; ses compétences obligatoires dépendent de sa population (art. L. 214-1-3 du code de
l'action sociale et des familles).""",
    ),
    ("code", "print(diag.sppe_territoire)"),
    ("code", "diag.sppe_table()"),
    (
        "md",
        """## 10. Atouts et points de vigilance

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


# -- 03_suivi_evaluation: the annual evaluation report of a CTG ----------------------------------
# Written by ``write_suivi()`` only (``main()`` above keeps writing 01_diagnostic):
#   .venv/bin/python -c "import runpy; runpy.run_path('scripts/make_notebooks.py')['write_suivi']()"
#   .venv/bin/ruff format notebooks/03_suivi_evaluation.ipynb
SUIVI = [
    (
        "md",
        """# Suivi et évaluation de la CTG

Ce carnet rédige le rapport d'évaluation annuel d'une Convention territoriale globale à partir
de son plan d'actions enregistré dans la base partagée : avancement de chaque indicateur de
suivi vers sa cible, regroupé par axe et pour toute la CTG, actions en retard ou à surveiller,
budget prévu et dépensé, réponses aux questions d'évaluation et décisions à soumettre au
comité de pilotage.

Chaque chiffre vient de la bibliothèque `territoire_lib` (`evaluation.evaluate_plan`) ; la
règle d'avancement est rappelée ci-dessous et documentée dans `territoire_lib/evaluation/` (docstring du paquet).

Paramètres : `ctg` (code de la CTG dans la base ; la CTG fictive de démonstration
`CTG-VALMONT-2022` est importée automatiquement si elle manque), `annee` (année évaluée :
valeurs réalisées et statuts des fiches au 31 décembre), `base` (`None` : la base désignée par la variable
`TERRITOIRE_DB`, sinon `data/ctg/territoire.sqlite` ; `"demo"` : une base temporaire avec la
seule démonstration ; sinon une adresse `postgresql://…` ou le chemin d'un fichier SQLite).""",
    ),
    ("params", 'ctg = "CTG-VALMONT-2022"\nannee = 2024\nbase = None'),
    (
        "code",
        """from territoire_lib import charts, evaluation
from territoire_lib.notebook_display import show_whole_tables

show_whole_tables()  # remarks and tables shown whole, not cut by pandas
suivi = evaluation.evaluate_plan(ctg, annee, base=base)
print(suivi.resume())""",
    ),
    (
        "md",
        """## Règle d'avancement

La même règle sert au rapport, au tableau de bord du comité de pilotage et aux tests.""",
    ),
    ("code", "print(evaluation.rule_text(suivi.tolerance))"),
    (
        "md",
        """## 1. Les axes en un coup d'œil

Pour chaque axe, la barre noire est la part moyenne de l'objectif atteinte par ses
indicateurs, le trait vertical la part attendue à cette date ; les zones colorées sont celles
de la règle (en retard, à surveiller, en bonne voie). Les indicateurs des fiches abandonnées
ne comptent pas.""",
    ),
    ("code", "charts.svg(suivi.axes_chart())"),
    ("code", "print(suivi.axes_text())"),
    ("code", "suivi.axes_table()"),
    (
        "md",
        """## 2. Les indicateurs de suivi

Valeur de référence, dernière valeur réalisée connue à la fin de l'année évaluée, cible ;
un indicateur sans cible ou sans valeur de référence n'est pas évaluable.""",
    ),
    ("code", "charts.svg(suivi.indicators_chart())"),
    ("code", "suivi.indicator_table()"),
    (
        "md",
        """## 3. Trajectoires

Les valeurs réalisées (trait plein) face au chemin attendu de la valeur de référence à la
cible (tirets, la cible marquée d'un losange).""",
    ),
    ("code", "charts.svg(suivi.trajectories_chart())"),
    (
        "md",
        """## 4. Actions en retard ou à surveiller

Une action est en retard quand son échéance est passée sans qu'elle soit réalisée, ou quand
ses indicateurs le sont ; à surveiller quand elle n'est pas lancée à la date prévue, ou quand
ses indicateurs le sont.""",
    ),
    ("code", "print(suivi.late_text())"),
    ("code", "suivi.fiche_table()"),
    (
        "md",
        """## 5. Budget prévu et dépensé

Le taux d'exécution rapporte la somme des dépenses à la somme des montants prévus pour les
années écoulées jusqu'à l'année évaluée.""",
    ),
    ("code", 'charts.svg(suivi.budget_chart("axe"))'),
    ("code", "print(suivi.budget_text())"),
    ("code", 'suivi.budget_table("financeur")'),
    (
        "md",
        """## 6. Questions d'évaluation

Réponses des partenaires aux questions du référentiel d'évaluation de la Cnaf (pertinence,
cohérence, efficacité, efficience), axe par axe, pour l'année évaluée.""",
    ),
    ("code", "print(suivi.answers_text())"),
    (
        "md",
        """## 7. Décisions à prendre

Propositions rédigées à partir des données, à discuter en comité de pilotage.""",
    ),
    ("code", "print(suivi.decisions_text())"),
    ("md", "## Décisions déjà prises par le comité de pilotage"),
    ("code", "suivi.copil_table()"),
]


def write_suivi() -> None:
    path = REPO / "notebooks" / "03_suivi_evaluation.ipynb"
    write(build(SUIVI), path)
    print(f"écrit : {path.relative_to(REPO)}")


if __name__ == "__main__":
    write_suivi()
