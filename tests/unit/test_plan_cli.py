"""`territoire plan …` and `territoire suivi`: French output, French errors, exit codes."""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from territoire_lib import cli
from territoire_lib.plan import db, demo_ctg, excel


@pytest.fixture
def run(monkeypatch, capsys, tmp_path):
    # only our subcommands: others may be under construction in the same repository
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["plan", "suivi"])
    monkeypatch.setenv(db.ENV_VAR, str(tmp_path / "ctg.sqlite"))

    def _run(*argv):
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    yield _run
    db.dispose_engines()


def test_import_follow_export(run, tmp_path):
    code, out, err = run("plan", "importer", demo_ctg.DEMO_CTG_PATH, "--utilisateur", "Marie")
    assert (code, err) == (0, "")
    assert f"Base : {tmp_path / 'ctg.sqlite'}" in out
    assert "CTG « CTG-VALMONT-2022 » créée." in out and "fiches créées : 12" in out

    code, out, _ = run("suivi")
    assert code == 0
    assert "Suivi de la CTG « CTG-VALMONT-2022 »" in out
    assert "12 fiches actions : 1 à lancer, 7 en cours, 3 réalisées, 1 abandonnée." in out
    line = next(x for x in out.splitlines() if x.startswith("1.1    Créer une micro-crèche"))
    # 45 000 + 36 000 + 60 000 + 42 000 = 183 000 €
    assert "réalisée" in line and "02/09/2024" in line and "183\u202f000\u00a0€" in line
    line = next(x for x in out.splitlines() if "Places ouvertes dans la micro-crèche" in x)
    assert "0 (2022)" in line and "12 (2024)" in line and "12 (2025)" in line

    code, out, _ = run("plan", "exporter", tmp_path / "export.xlsx")
    assert code == 0 and "Plan écrit dans" in out
    assert excel.read_workbook(tmp_path / "export.xlsx") == excel.read_workbook(
        demo_ctg.DEMO_CTG_PATH
    )

    code, out, _ = run("plan", "calculer")
    assert code == 0 and "inchangée : " in out  # the demo already holds these values

    code, out, _ = run("plan", "historique", "--limite", "3")
    assert code == 0 and "Marie" in out and "ajout" in out

    code, out, _ = run("plan", "conflits")
    assert code == 0 and "Aucun enregistrement refusé." in out


def test_bad_workbook_is_a_french_error(run, tmp_path):
    path = excel.write_template(tmp_path / "modele.xlsx")
    wb = load_workbook(path)
    del wb["Indicateurs et valeurs"]
    wb.save(path)
    code, out, err = run("plan", "importer", path)
    assert code == 1
    assert err.startswith("Erreur : Problèmes de données :")
    assert "feuille « Indicateurs et valeurs » : trouvé aucune feuille de ce nom" in err
    assert "feuille « CTG », ligne 2, colonne « Valeur »" in err
    assert "Traceback" not in err


def test_template_and_empty_base(run, tmp_path):
    code, out, _ = run("plan", "modele", tmp_path / "m.xlsx")
    assert code == 0 and (tmp_path / "m.xlsx").exists() and "Mode d'emploi" in out
    code, out, err = run("suivi")
    assert code == 1
    assert "Erreur : Aucune CTG dans la base. Importez un plan" in err
    code, out, _ = run("plan", "migrer")
    assert code == 0 and "à jour (révision 0001)" in out


def test_demo_command(run, tmp_path):
    code, out, _ = run("plan", "demo", "--sortie", tmp_path / "demo.xlsx")
    assert code == 0 and "données fictives" in out
    assert (tmp_path / "demo.xlsx").read_bytes() == demo_ctg.DEMO_CTG_PATH.read_bytes()
