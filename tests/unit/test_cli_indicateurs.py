"""`territoire indicateurs`: French table, CSV/XLSX output, French errors and exit codes."""

from __future__ import annotations

import openpyxl
import pytest

from territoire_lib import cli
from territoire_lib.dataset import load_territory
from territoire_lib.indicators import indicator_table
from territoire_lib.key_figures import fr_number


@pytest.fixture
def run(monkeypatch, capsys):
    # only our subcommand: others may be under construction in the same repository
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["indicateurs"])

    def _run(*argv):
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def _line(out: str, start: str) -> str:
    return next(line for line in out.splitlines() if line.startswith(start))


def test_epci_table_in_french(run):
    code, out, err = run("indicateurs", "296000011")
    assert code == 0 and err == ""
    assert out.startswith(
        "Données fictives de démonstration.\nIndicateurs — CA de Valmont-sur-Loue"
    )
    assert "(EPCI)" in out.splitlines()[1]
    for theme in ("Contexte", "Petite enfance", "Enfance-jeunesse", "Accès aux droits"):
        assert f"\n{theme}\n" in out
    t = indicator_table(load_territory("demo"), "296000011").set_index("indicateur")
    cov = t.loc["taux_couverture_global"]
    line = _line(out, "Taux de couverture global (places pour 100 enfants)")
    # value and département value as the library computes them, French format
    assert fr_number(cov["valeur"], 1) in line and fr_number(cov["valeur_departement"], 1) in line
    assert str(int(cov["annee"])) in line
    assert "Alertes :" in out


def test_secret_value_is_shown(run):
    # Bréval-la-Côte: Filosofi does not publish its poverty rate
    code, out, _ = run("indicateurs", "96003")
    assert code == 0
    line = _line(out, "Taux de pauvreté (%)")
    assert " secret " in f"{line} "
    assert "- Taux de pauvreté : secret statistique" in out


def test_year_option(run):
    code, out, _ = run("indicateurs", "96", "--annee", "2021")
    assert code == 0
    line = _line(out, "Taux de couverture global")
    assert " 2021 " in line


def test_perimeter_and_departement(run):
    code, out, _ = run("indicateurs", "CTG-VALMONT-COEUR")
    assert code == 0 and "(périmètre)" in out.splitlines()[1]
    code, out, _ = run("indicateurs", "96")
    assert code == 0 and "(département)" in out.splitlines()[1]


def test_csv_output(run, tmp_path):
    path = tmp_path / "valmont.csv"
    code, out, _ = run("indicateurs", "296000011", "--sortie", str(path))
    assert code == 0 and f"Tableau écrit dans « {path} »." in out
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("Thème;Indicateur;Année;Valeur")
    # the user named the file: a second run replaces it
    code, _, _ = run("indicateurs", "296000029", "--sortie", str(path))
    assert code == 0 and "Loue et Coteaux" not in raw.decode("utf-8-sig")


def test_xlsx_output(run, tmp_path):
    path = tmp_path / "valmont.xlsx"
    code, _, _ = run("indicateurs", "296000011", "--sortie", str(path))
    assert code == 0
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Contexte" and wb.sheetnames[-1] == "Définitions et sources"


def test_unknown_code(run):
    code, out, err = run("indicateurs", "96999")
    assert code == 1 and out == ""
    assert err.startswith("Erreur : Territoire inconnu : « 96999 »")


def test_bad_year_and_bad_output(run, tmp_path):
    code, _, err = run("indicateurs", "96", "--annee", "20x")
    assert code == 1 and "Année invalide : « 20x »" in err
    code, _, err = run("indicateurs", "96", "--sortie", str(tmp_path / "t.pdf"))
    assert code == 1 and "« t.pdf »" in err and ".csv ou .xlsx" in err
    code, _, err = run("indicateurs", "96", "--sortie", str(tmp_path / "absent" / "t.csv"))
    assert code == 1 and "n'existe pas" in err


def test_unknown_source_folder(run, tmp_path):
    code, _, err = run("indicateurs", "96", "--source", str(tmp_path / "rien"))
    assert code == 1 and "Dossier introuvable" in err
