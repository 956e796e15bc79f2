"""The documented template of the CTG plan workbook: sheet names, columns and « CTG »
rubriques (header, field, kind of value, documentation, example, width), and how a sheet looks
(header style, frozen header, filters, drop-down lists, the « Mode d'emploi » sheet that
documents every column).

Sheets:

* « CTG » — the convention: code, title, territory, perimeter, period, signatories, partners
  (two columns « Rubrique » / « Valeur »);
* « Axes et fiches » — one line per axis (column « Fiche » empty), one line per fiche action;
* « Budgets » — one line per fiche, funder and year;
* « Indicateurs et valeurs » — one line per indicator (column « Année » empty: its baseline
  and target) and one line per realised value (year, value, source, who entered it);
* « Historique des statuts », « Évaluation » (questions of the CNAF référentiel per axis),
  « Comités de pilotage » (decisions).

Reading is in :mod:`.workbook_import`, writing in :mod:`.workbook_export`; both follow the
layout defined here.

Layer: base partagée (``plan``). Imports the socle, and within ``plan`` only
:mod:`.document` (the vocabulary); openpyxl lazily.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from .document import AUTO_USER, QUESTION_LABELS, QUESTIONS, STATUSES, THEMES

SHEET_GUIDE = "Mode d'emploi"
SHEET_CTG = "CTG"
SHEET_FICHES = "Axes et fiches"
SHEET_BUDGETS = "Budgets"
SHEET_INDICATORS = "Indicateurs et valeurs"
SHEET_HISTORY = "Historique des statuts"
SHEET_EVALUATION = "Évaluation"
SHEET_COPIL = "Comités de pilotage"
REQUIRED_SHEETS = (SHEET_CTG, SHEET_FICHES, SHEET_INDICATORS)
MAX_CODE = 40
HEADER_FILL = "DCE6F1"
AXIS_FILL = "EDEDED"


# -- layout ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Column:
    """One column of a sheet: header, field, kind of value, documentation, example."""

    header: str
    key: str
    kind: str
    doc: str
    example: str = ""
    required: bool = False  # the column must be present (values: see each sheet's rules)
    width: int = 14


@dataclass(frozen=True)
class CtgRow:
    """One « Rubrique » of the « CTG » sheet."""

    label: str
    key: str
    kind: str
    doc: str
    example: str = ""
    required: bool = False


CTG_ROWS: tuple[CtgRow, ...] = (
    CtgRow(
        "Code de la CTG",
        "code",
        "code",
        "Identifiant court et unique de la CTG.",
        "CTG-VALMONT-2022",
        True,
    ),
    CtgRow(
        "Intitulé",
        "name",
        "text",
        "Nom de la convention.",
        "CTG de la CA de Valmont-sur-Loue 2022-2025",
        True,
    ),
    CtgRow(
        "Territoire",
        "territory_code",
        "code",
        "Code du territoire couvert : EPCI (SIREN à 9 chiffres), commune (5 caractères), "
        "département ou périmètre déclaré dans les données.",
        "296000011",
        True,
    ),
    CtgRow(
        "Nom du territoire",
        "territory_name",
        "text",
        "Nom en clair du territoire.",
        "CA de Valmont-sur-Loue",
    ),
    CtgRow(
        "Communes du périmètre",
        "communes",
        "communes",
        "Codes des communes séparés par « ; », seulement si le périmètre n'est pas tout le "
        "territoire ci-dessus (vide : toutes ses communes).",
        "96001 ; 96002",
    ),
    CtgRow(
        "Année de début", "start_year", "year", "Première année de la convention.", "2022", True
    ),
    CtgRow("Année de fin", "end_year", "year", "Dernière année de la convention.", "2025", True),
    CtgRow(
        "Date de signature", "signed_on", "date", "Date de signature (JJ/MM/AAAA).", "15/03/2022"
    ),
    CtgRow(
        "Signataires",
        "signatories",
        "list",
        "Signataires séparés par « ; ».",
        "Caf ; CA de Valmont-sur-Loue",
    ),
    CtgRow(
        "Partenaires",
        "partners",
        "list",
        "Autres partenaires associés, séparés par « ; ».",
        "Conseil départemental ; MSA",
    ),
)

FICHE_ONLY = (
    "theme",
    "pilot",
    "partners",
    "public",
    "communes",
    "start",
    "end",
    "status",
    "version",
)

SHEETS: dict[str, tuple[Column, ...]] = {
    SHEET_FICHES: (
        Column("Axe", "axis", "code", "Code de l'axe (enjeu). Une ligne par axe avec la "
               "colonne « Fiche » vide, puis ses fiches.", "1", True, 8),
        Column("Fiche", "code", "code", "Code de la fiche action, unique dans la CTG ; vide "
               "sur la ligne qui définit l'axe.", "1.2", True, 8),
        Column("Intitulé", "title", "text", "Intitulé de l'axe ou de la fiche (obligatoire).",
               "Soutenir l'installation d'assistantes maternelles", True, 45),
        Column("Objectif", "objective", "text", "Enjeu de l'axe, ou objectif de la fiche.",
               "Maintenir le nombre de places chez les assistantes maternelles", False, 45),
        Column("Thème", "theme", "theme", "Thème de la fiche : " + ", ".join(THEMES) + ".",
               "petite enfance", False, 18),
        Column("Pilote", "pilot", "text", "Qui pilote la fiche.", "Relais petite enfance",
               False, 22),
        Column("Partenaires", "partners", "list", "Partenaires de la fiche, séparés par « ; ».",
               "Caf ; PMI", False, 24),
        Column("Public", "public", "text", "Public visé.", "Assistantes maternelles",
               False, 22),
        Column("Communes", "communes", "communes", "Codes des communes concernées séparés par "
               "« ; » ; vide : tout le territoire de la CTG. Les indicateurs du catalogue de la "
               "fiche sont alors calculés sur ces communes.", "96006 ; 96008", False, 16),
        Column("Début", "start", "date", "Début prévu (JJ/MM/AAAA).", "01/09/2023", False, 12),
        Column("Fin", "end", "date", "Fin prévue (JJ/MM/AAAA).", "31/12/2025", False, 12),
        Column("Statut", "status", "status", "Statut de la fiche : " + ", ".join(STATUSES)
               + " (vide : à lancer). Un changement est daté du jour de l'import dans "
               "l'historique.", "en cours", True, 12),
        Column("Version", "version", "version", "Écrit par l'export : ne pas modifier. Protège "
               "les fiches modifiées dans la base depuis l'export.", "3", False, 9),
    ),
    SHEET_BUDGETS: (
        Column("Fiche", "fiche", "code", "Code de la fiche.", "1.2", True, 8),
        Column("Financeur", "funder", "text", "Financeur.", "Caf", True, 28),
        Column("Année", "year", "year", "Année du budget.", "2024", True, 8),
        Column("Montant (€)", "amount", "amount", "Montant prévu en euros (nombre).", "12000",
               True, 14),
        Column("Dépensé (€)", "spent", "amount", "Montant dépensé en euros, une fois connu "
               "(vide : pas encore renseigné).", "11500", False, 14),
    ),
    SHEET_INDICATORS: (
        Column("Fiche", "fiche", "code", "Code de la fiche suivie.", "1.1", True, 8),
        Column("Indicateur", "code", "code", "Code de l'indicateur dans la fiche.",
               "taux_couverture", True, 22),
        Column("Libellé", "label", "text", "Libellé (vide : celui du catalogue).",
               "Taux de couverture global", False, 40),
        Column("Catalogue", "catalogue_id", "catalogue", "Identifiant de l'indicateur du "
               "catalogue, dont les valeurs sont calculées depuis les données (commande "
               "« territoire plan calculer ») ; vide pour un indicateur propre à l'action, "
               "saisi par les partenaires.", "taux_couverture_global", False, 26),
        Column("Unité", "unit", "text", "Unité.", "places pour 100 enfants", False, 16),
        Column("Valeur de référence", "baseline_value", "number", "Valeur avant la CTG.",
               "60,4", False, 12),
        Column("Année de référence", "baseline_year", "year", "Année de la valeur de "
               "référence.", "2021", False, 11),
        Column("Cible", "target_value", "number", "Valeur visée.", "63", False, 10),
        Column("Année cible", "target_year", "year", "Année de la cible.", "2025", False, 10),
        Column("Année", "year", "year", "Vide sur la ligne qui définit l'indicateur ; l'année "
               "de la valeur réalisée sur les lignes suivantes.", "2023", True, 8),
        Column("Valeur réalisée", "value", "number", "Valeur réalisée cette année-là.",
               "61,2", False, 12),
        Column("Source", "source", "text", "D'où vient la valeur.", "Bilan du RPE 2023",
               False, 30),
        Column("Saisi par", "entered_by", "text", "Qui a saisi la valeur (« " + AUTO_USER
               + " » : calculée depuis les données).", "Marie Durand", False, 18),
    ),
    SHEET_HISTORY: (
        Column("Fiche", "fiche", "code", "Code de la fiche.", "1.2", True, 8),
        Column("Date", "date", "date", "Date du changement (JJ/MM/AAAA).", "01/09/2023", True,
               12),
        Column("Ancien statut", "old_status", "status", "Statut avant (vide au départ).",
               "à lancer", False, 14),
        Column("Nouveau statut", "new_status", "status", "Statut après.", "en cours", True, 14),
        Column("Par", "user", "text", "Qui a changé le statut.", "Marie Durand", False, 18),
        Column("Commentaire", "comment", "text", "Pourquoi.", "Validé en comité", False, 40),
    ),
    SHEET_EVALUATION: (
        Column("Axe", "axis", "code", "Code de l'axe évalué.", "1", True, 8),
        Column("Question", "question", "question", "Question du référentiel d'évaluation : "
               + ", ".join(QUESTIONS) + ".", "efficacité", True, 14),
        Column("Année", "year", "year", "Année de l'évaluation (mi-parcours, finale…).",
               "2024", True, 8),
        Column("Réponse", "answer", "text", "Réponse argumentée.", "Objectif atteint à 80 %",
               True, 60),
        Column("Par", "author", "text", "Qui a rédigé la réponse.", "Comité technique", False,
               18),
        Column("Date", "date", "date", "Date de la réponse.", "15/06/2024", False, 12),
    ),
    SHEET_COPIL: (
        Column("Date", "date", "date", "Date du comité de pilotage.", "20/06/2024", True, 12),
        Column("Décision", "text", "text", "Décision prise.", "Report de la fiche 2.3 à 2025",
               True, 70),
        Column("Auteur", "author", "text", "Qui a consigné la décision.", "Secrétariat CTG",
               False, 20),
    ),
}  # fmt: skip

SHEET_DOCS = {
    SHEET_CTG: "La convention : une ligne par rubrique (colonnes « Rubrique » et « Valeur »).",
    SHEET_FICHES: "Les axes (enjeux) et les fiches actions : une ligne par axe (colonne « Fiche "
    "» vide), puis une ligne par fiche.",
    SHEET_BUDGETS: "Le budget prévu de chaque fiche, par financeur et par année.",
    SHEET_INDICATORS: "Les indicateurs de suivi : une ligne qui définit l'indicateur (colonne "
    "« Année » vide : référence et cible), puis une ligne par valeur réalisée.",
    SHEET_HISTORY: "L'historique des statuts de chaque fiche (facultatif).",
    SHEET_EVALUATION: "Les réponses aux questions du référentiel d'évaluation Cnaf, par axe "
    "(facultatif).",
    SHEET_COPIL: "Le relevé des décisions du comité de pilotage (facultatif).",
}


# -- how the sheets look: header style, drop-down lists, the guide sheet -------------------------
def _style_table(ws, columns: Sequence[Column] | None, widths: Sequence[int] = ()) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    fill = PatternFill("solid", fgColor=HEADER_FILL)
    for cell in ws[1]:
        cell.font = Font(bold=True)
        cell.fill = fill
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    ws.freeze_panes = "A2"
    widths = list(widths) or [c.width for c in columns or ()]
    for i, w in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(i)].width = w
    if ws.max_row > 1 or columns:
        ws.auto_filter.ref = f"A1:{get_column_letter(max(len(widths), 1))}{max(ws.max_row, 1)}"


def _validation(ws, columns: Sequence[Column], key: str, choices: Sequence[str], rows: int):
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    idx = next(i for i, c in enumerate(columns, start=1) if c.key == key)
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(choices) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Valeur inconnue",
        error="Choisissez une valeur de la liste (voir la feuille « Mode d'emploi »).",
    )
    letter = get_column_letter(idx)
    dv.add(f"{letter}2:{letter}{max(rows, 200)}")
    ws.add_data_validation(dv)


def _write_guide(wb) -> None:
    from openpyxl.styles import Alignment, Font

    ws = wb.active
    ws.title = SHEET_GUIDE
    lines = [
        ("Plan d'actions de la CTG — mode d'emploi du classeur", "title"),
        ("Ce classeur décrit le plan d'actions d'une Convention territoriale globale : la "
         "convention, ses axes et fiches actions, leurs budgets, leurs indicateurs de suivi et "
         "leurs valeurs, l'historique des statuts, l'évaluation et les décisions du comité de "
         "pilotage.", ""),
        ("Importer : territoire plan importer FICHIER.xlsx (ajoutez --mettre-a-jour pour une CTG "
         "déjà dans la base). Exporter : territoire plan exporter FICHIER.xlsx. Calculer les "
         "indicateurs du catalogue : territoire plan calculer. Suivi : territoire suivi.", ""),
        ("Règles : ne renommez ni les feuilles ni les en-têtes de colonnes ; une ligne par "
         "élément ; les listes (partenaires, communes, signataires) sont séparées par « ; » ; "
         "les dates au format JJ/MM/AAAA ; les codes commune sur 5 caractères (format texte, "
         "pour garder le zéro initial). Les feuilles « CTG », « Axes et fiches » et « Indicateurs "
         "et valeurs » sont obligatoires, les autres facultatives. À l'import, toutes les "
         "erreurs sont signalées avec la feuille, la ligne et la colonne.", ""),
        ("Mise à jour : une fiche modifiée dans la base depuis l'export (colonne « Version » "
         "différente) n'est jamais écrasée : l'import est refusé et votre version conservée à "
         "part. Rien n'est supprimé par un import : pour arrêter une action, donnez-lui le "
         "statut « abandonnée ».", ""),
        ("Statuts : " + ", ".join(STATUSES) + ". Thèmes : " + ", ".join(THEMES) + ".", ""),
        ("", ""),
        ("Questions du référentiel d'évaluation (feuille « Évaluation ») :", "bold"),
    ]  # fmt: skip
    lines += [
        (f"{QUESTION_LABELS[q]} — {text.split(' : ', 1)[1]}", "") for q, text in QUESTIONS.items()
    ]
    lines += [("", ""), ("Colonnes de chaque feuille :", "bold")]
    row = 1
    for text, style in lines:
        cell = ws.cell(row=row, column=1, value=text or None)
        if style == "title":
            cell.font = Font(bold=True, size=14)
        elif style == "bold":
            cell.font = Font(bold=True)
        row += 1
    headers = ("Feuille", "Colonne / rubrique", "Obligatoire", "Contenu", "Exemple")
    for j, h in enumerate(headers, start=1):
        ws.cell(row=row, column=j, value=h).font = Font(bold=True)
    row += 1
    entries = [(SHEET_CTG, r.label, r.required, r.doc, r.example) for r in CTG_ROWS]
    for sheet, cols in SHEETS.items():
        entries.append((sheet, "(feuille)", sheet in REQUIRED_SHEETS, SHEET_DOCS[sheet], ""))
        entries += [(sheet, c.header, c.required, c.doc, c.example) for c in cols]
    for sheet, col, required, doc, example in entries:
        values = (sheet, col, "oui" if required else "non", doc, example)
        for j, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=j, value=value or None)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if j == 5:
                cell.number_format = "@"
        row += 1
    for letter, width in zip("ABCDE", (24, 24, 12, 80, 34), strict=True):
        ws.column_dimensions[letter].width = width
