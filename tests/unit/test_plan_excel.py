"""Plan workbook: the documented template, a round trip that loses nothing, updates, and bad
workbooks reported in French with the sheet, the line and the column."""

from __future__ import annotations

from datetime import date

import pytest
from openpyxl import load_workbook

from territoire_lib.dataset import load_territory
from territoire_lib.errors import DataError
from territoire_lib.plan import db, excel, service

# rows of the sample plan once exported (hand-checked against write_workbook):
# « Axes et fiches »: 1 header, 2 axis 1, 3 fiche 1.1, 4 axis 2, 5 fiche 2.1
# « Budgets »: 1 header, 2 Caf 2023, 3 Commune 2023 (by year, then funder)
# « CTG »: 1 header, then the rubriques in order: 2 code … 6 communes, 7 début, 8 fin
FICHE_11_ROW, FICHE_21_ROW = 3, 5


@pytest.fixture
def workbook(tmp_path, plan_sample):
    return excel.write_workbook(plan_sample, tmp_path / "plan.xlsx")


def _edit(path, sheet: str, row: int, header: str, value) -> None:
    wb = load_workbook(path)
    ws = wb[sheet]
    headers = [c.value for c in ws[1]]
    ws.cell(row=row, column=headers.index(header) + 1).value = value  # None empties the cell
    wb.save(path)


def _error(path, **kwargs) -> str:
    with pytest.raises(DataError) as err:
        excel.read_workbook(path, **kwargs)
    return str(err.value)


def _cells(path) -> dict[str, list[tuple]]:
    wb = load_workbook(path)
    return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb}


def test_round_trip_loses_nothing(tmp_path, plan_sample):
    first = db.open_database(tmp_path / "a.sqlite")
    with db.session_scope(engine=first, user="alice") as s:
        service.import_document(s, plan_sample, "alice")
    a = excel.export_plan("CTG-TEST", tmp_path / "a.xlsx", engine=first)
    second = db.open_database(tmp_path / "b.sqlite")
    excel.import_plan(a, "bob", engine=second, geography=load_territory("demo").geography)
    b = excel.export_plan(None, tmp_path / "b.xlsx", engine=second)
    with db.session_scope(engine=first) as s1, db.session_scope(engine=second) as s2:
        original = service.plan_document(s1)
        copy = service.plan_document(s2)
    assert copy == original == plan_sample.normalised()
    assert excel.read_workbook(a) == original
    # the two workbooks hold exactly the same cells, sheet by sheet
    assert _cells(a) == _cells(b)
    # what the cells hold: codes as text, dates as dates, amounts as numbers, lists with « ; »
    rows = _cells(a)["Axes et fiches"]
    header = rows[0]
    fiche = dict(zip(header, rows[FICHE_11_ROW - 1], strict=True))
    assert (fiche["Fiche"], fiche["Partenaires"], fiche["Communes"]) == (
        "1.1",
        "Caf ; PMI",
        "96006",
    )
    assert fiche["Début"].date() == date(2023, 1, 2) and fiche["Version"] == 1
    assert _cells(a)["Budgets"][1:] == [
        ("1.1", "Caf", 2023, 45000, 44000),
        ("1.1", "Commune", 2023, 1234.56, None),
    ]
    # a text starting with « = » stays a text, not a formula
    assert dict(zip(header, rows[FICHE_21_ROW - 1], strict=True))["Intitulé"].startswith("=Point")


def test_template_is_documented(tmp_path):
    path = excel.write_template(tmp_path / "modele.xlsx")
    wb = load_workbook(path)
    assert wb.sheetnames == [
        "Mode d'emploi",
        "CTG",
        "Axes et fiches",
        "Budgets",
        "Indicateurs et valeurs",
        "Historique des statuts",
        "Évaluation",
        "Comités de pilotage",
    ]
    guide = [tuple(r) for r in wb["Mode d'emploi"].iter_rows(values_only=True)]
    documented = {(r[0], r[1]) for r in guide if r[0] and r[1]}
    for sheet, columns in excel.SHEETS.items():
        assert [c.value for c in wb[sheet][1]] == [c.header for c in columns]
        for c in columns:
            assert (sheet, c.header) in documented
    for r in excel.CTG_ROWS:
        assert ("CTG", r.label) in documented
    # the empty template names what is missing
    message = _error(path)
    assert "feuille « CTG », ligne 2, colonne « Valeur » : trouvé une cellule vide" in message


def test_update_from_an_edited_export(tmp_path, plan_sample):
    engine = db.open_database(tmp_path / "p.sqlite")
    with db.session_scope(engine=engine, user="alice") as s:
        service.import_document(s, plan_sample, "alice")
    path = excel.export_plan(None, tmp_path / "p.xlsx", engine=engine)
    _edit(path, "Axes et fiches", FICHE_21_ROW, "Statut", "en cours")
    wb = load_workbook(path)
    wb["Indicateurs et valeurs"].append(["2.1", "jeunes", None, None, None, None, None, None,
                                         None, 2024, 37, "Bilan", "karim"])  # fmt: skip
    wb.save(path)
    summary = excel.import_plan(path, "bob", engine=engine, update=True)
    assert summary.counts["fiches modifiées"] == 1 and summary.counts["valeurs ajoutées"] == 1
    with db.session_scope(engine=engine) as s:
        ctg = service.get_ctg(s)
        fiche = service.get_fiche(s, ctg, "2.1")
        assert (fiche.status, fiche.version, fiche.updated_by) == ("en cours", 2, "bob")
        last = fiche.status_changes[-1]
        assert (last.old_status, last.new_status, last.user) == ("à lancer", "en cours", "bob")
        ind = service.get_indicator(s, fiche, "jeunes")
        assert [(v.year, v.value, v.entered_by) for v in ind.values] == [(2024, 37.0, "karim")]
        assert service.get_fiche(s, ctg, "1.1").version == 1  # untouched fiche, same version
    # importing again without --mettre-a-jour is refused in French
    with pytest.raises(service.PlanError, match="existe déjà dans la base.*--mettre-a-jour"):
        excel.import_plan(path, "bob", engine=engine)


# -- bad workbooks ---------------------------------------------------------------------------
def test_missing_sheet(workbook):
    wb = load_workbook(workbook)
    del wb["Axes et fiches"]
    wb.save(workbook)
    message = _error(workbook)
    assert "fichier « plan.xlsx », feuille « Axes et fiches » : trouvé aucune feuille" in message
    assert "attendu une feuille « Axes et fiches »" in message
    assert "absente de la feuille" not in message  # no cascade of errors on other sheets


def test_missing_column(workbook):
    _edit(workbook, "Axes et fiches", 1, "Statut", "État")
    message = _error(workbook)
    assert (
        "feuille « Axes et fiches », ligne 1, colonne « Statut » : trouvé aucune colonne de ce "
        "nom dans la ligne d'en-tête" in message
    )


def test_unknown_status(workbook):
    _edit(workbook, "Axes et fiches", FICHE_11_ROW, "Statut", "terminée")
    message = _error(workbook)
    assert (
        "feuille « Axes et fiches », ligne 3, colonne « Statut » : trouvé « terminée » ; attendu "
        "l'un des statuts : à lancer, en cours, réalisée, abandonnée." in message
    )


def test_text_in_a_budget_cell(workbook):
    _edit(workbook, "Budgets", 2, "Montant (€)", "quarante-cinq mille")
    message = _error(workbook)
    assert (
        "feuille « Budgets », ligne 2, colonne « Montant (€) » : trouvé « quarante-cinq mille » "
        "; attendu un montant en euros" in message
    )


def test_french_numbers_are_read(workbook):
    _edit(workbook, "Budgets", 2, "Montant (€)", "45 000,50")
    doc = excel.read_workbook(workbook)
    assert doc.fiche("1.1").budgets[0].amount == 45000.5


def test_unknown_commune_code(workbook):
    geography = load_territory("demo").geography
    _edit(workbook, "Axes et fiches", FICHE_11_ROW, "Communes", "96006 ; 96999")
    message = _error(workbook, geography=geography)
    assert (
        "feuille « Axes et fiches », ligne 3, colonne « Communes » : trouvé 96999 (code(s) "
        "commune inconnu(s))" in message
    )
    # 96031 exists but belongs to another EPCI
    _edit(workbook, "Axes et fiches", FICHE_11_ROW, "Communes", "96031")
    assert "trouvé 96031 (commune(s) hors du territoire de la CTG)" in _error(
        workbook, geography=geography
    )
    # a spreadsheet ate the leading zero (checked even without data)
    _edit(workbook, "Axes et fiches", FICHE_11_ROW, "Communes", 1001)
    assert (
        "ligne 3, colonne « Communes » : trouvé « 1001 » (le zéro initial a disparu : 01001 ?)"
        in (_error(workbook))
    )


def test_unknown_territory(workbook):
    _edit(workbook, "CTG", 4, "Valeur", "200000000")  # « Territoire » is the 3rd rubrique
    message = _error(workbook, geography=load_territory("demo").geography)
    assert (
        "feuille « CTG », ligne 4, colonne « Valeur » : trouvé « 200000000 » (territoire inconnu "
        "des données chargées)" in message
    )


def test_axis_referenced_but_not_defined(workbook):
    _edit(workbook, "Axes et fiches", FICHE_21_ROW, "Axe", "3")
    message = _error(workbook)
    assert (
        "feuille « Axes et fiches », ligne 5, colonne « Axe » : trouvé l'axe « 3 », qui n'est "
        "défini sur aucune ligne ; attendu un axe défini sur sa propre ligne (colonne « Fiche » "
        "vide) ; axes définis : 1, 2." in message
    )


def test_every_problem_at_once(workbook):
    _edit(workbook, "Axes et fiches", FICHE_11_ROW, "Début", "bientôt")
    _edit(workbook, "CTG", 8, "Valeur", "deux mille")  # « Année de fin »
    _edit(workbook, "Indicateurs et valeurs", 2, "Catalogue", "taux_inconnu")
    _edit(workbook, "Axes et fiches", 2, "Statut", "en cours")  # a status on an axis line
    message = _error(workbook)
    assert message.startswith("Problèmes de données :")
    assert "feuille « Axes et fiches », ligne 3, colonne « Début » : trouvé « bientôt »" in message
    assert (
        "feuille « CTG », ligne 8, colonne « Valeur » : trouvé « deux mille » ; attendu une année"
        in (message)
    )
    assert (
        "feuille « Indicateurs et valeurs », ligne 2, colonne « Catalogue » : trouvé "
        "« taux_inconnu » (absent du catalogue des indicateurs)" in message
    )
    assert "ligne 2, colonne « Statut » : trouvé « en cours » sur la ligne d'un axe" in message


def test_duplicate_fiche_and_missing_value(workbook):
    _edit(workbook, "Axes et fiches", FICHE_21_ROW, "Fiche", "1.1")
    _edit(workbook, "Indicateurs et valeurs", 4, "Valeur réalisée", None)  # places, 2023
    message = _error(workbook)
    assert (
        "feuille « Axes et fiches », ligne 5, colonne « Fiche » : trouvé la fiche « 1.1 » déjà "
        "définie ligne 3" in message
    )
    assert (
        "feuille « Indicateurs et valeurs », ligne 4, colonne « Valeur réalisée » : trouvé une "
        "cellule vide ; attendu la valeur réalisée en 2023" in message
    )


def test_not_a_workbook(tmp_path):
    path = tmp_path / "plan.xlsx"
    path.write_text("axe;fiche\n1;1.1\n", encoding="utf-8")
    assert "trouvé un fichier illisible comme classeur Excel" in _error(path)
    assert "trouvé aucun fichier à cet endroit" in _error(tmp_path / "absent.xlsx")
