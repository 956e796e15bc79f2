"""`territoire parametres` and `territoire participation`: French output and errors.

Expected figures are worked out by hand from the parameter files in comments.
"""

from __future__ import annotations

import pytest

from territoire_lib import cli


@pytest.fixture
def run(monkeypatch, capsys):
    # only our subcommands: others may be under construction in the same repository
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["parametres", "participation"])

    def _run(*argv):
        code = cli.main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def _line(out, start):
    return next(line for line in out.splitlines() if line.startswith(start))


def _row(out, text):
    return next(line for line in out.splitlines() if text in line)


def test_parametres_at_a_date(run):
    code, out, err = run("parametres", "--date", "2025-09-01")
    assert code == 0 and err == ""
    assert out.startswith("Paramètres CNAF en vigueur au 1er septembre 2025")
    plafond = _line(out, "bareme.plafond_ressources ")
    assert "8\u202f500" in plafond and "€/mois" in plafond and "01/09/2025" in plafond
    assert "confirmée" in plafond and "caf.fr" in plafond
    plancher = _line(out, "bareme.plancher_ressources ")
    assert "801" in plancher and "⚠ à vérifier" in plancher
    assert "66" in _line(out, "psu.taux ") and "%" in _line(out, "psu.taux ")
    assert "⚠ « à vérifier »" in out  # footnote


def test_parametres_before_1_september_2024(run):
    code, out, _ = run("parametres", "--date", "2024-08-31", "--theme", "bareme")
    assert code == 0
    assert "6\u202f000" in _line(out, "bareme.plafond_ressources ")
    assert "psu.taux" not in out
    # taux d'effort 2022: 0.0619 % for one child
    assert "0,0619" in out


def test_parametres_only_to_verify(run):
    code, out, _ = run("parametres", "--date", "2025-09-01", "--a-verifier")
    assert code == 0
    rows = [line for line in out.splitlines() if line.startswith(("psu.", "bareme.", "bonus."))]
    assert rows and all("⚠ à vérifier" in line for line in rows)
    assert "bareme.plafond_ressources" not in out


@pytest.mark.parametrize("bad", ["2025-13-01", "01/09/2025", "demain"])
def test_parametres_bad_date_is_french(run, bad):
    code, out, err = run("parametres", "--date", bad)
    assert code == 1 and out == ""
    assert err.startswith("Erreur : Date « ")
    assert bad in err and "AAAA-MM-JJ" in err


def test_parametres_unknown_theme(run):
    code, _, err = run("parametres", "--theme", "logement")
    assert code == 1
    assert "Thème « logement » inconnu" in err and "bareme" in err


@pytest.mark.parametrize(
    ("date", "expected"),
    [
        ("2024-08-31", "3,71\u00a0€"),  # 6 000 × 0.0619 % = 3.714
        ("2024-09-01", "4,33\u00a0€"),  # 7 000 × 0.0619 % = 4.333
        ("2025-08-31", "4,33\u00a0€"),
        ("2025-09-01", "5,26\u00a0€"),  # 8 500 × 0.0619 % = 5.2615
    ],
)
def test_participation_at_the_plafond(run, date, expected):
    code, out, err = run("participation", "--ressources", "10000", "--enfants", "1", "--date", date)
    assert code == 0 and err == ""
    row = _row(out, "plafond appliqué")
    assert "10\u202f000,00\u00a0€" in row and "plafond appliqué" in row and row.endswith(expected)
    assert "0,0619 %" in out


def test_participation_at_the_plancher_flags_the_estimate(run):
    # plancher 801.00 € (2025, unsourced estimate, à vérifier) × 0.0619 % = 0.4958 → 0,50 €/h
    code, out, _ = run("participation", "--ressources", "0", "--date", "2025-08-31")
    assert code == 0
    assert "801,00\u00a0€" in out and "plancher appliqué" in out and out.count("0,50\u00a0€") == 1
    assert "⚠ Plancher de ressources" in out and "(bareme.plancher_ressources)" in out


def test_participation_at_the_confirmed_2024_plancher(run):
    # plancher 765.77 € (2024, confirmed: suresnes.fr, Sept 2024) × 0.0619 % = 0.474 → 0,47 €/h
    code, out, _ = run("participation", "--ressources", "0", "--date", "2024-08-31")
    assert code == 0
    assert "765,77\u00a0€" in out and "plancher appliqué" in out and out.count("0,47\u00a0€") == 1
    assert "⚠" not in out  # plancher 2024, plafond 6 000 and rates 2022 are all confirmed


def test_participation_several_incomes_and_aeeh(run):
    # 2 children + 1 AEEH → 3-children rate 0.0413 %: 3 000 × 0.0413 % = 1.239 → 1,24 €;
    # 2 500,50 × 0.0413 % = 1.0327… → 1,03 €
    code, out, _ = run(
        "participation",
        "--ressources",
        "3000",
        "2500,50",
        "--enfants",
        "2",
        "--aeeh",
        "--date",
        "2025-10-01",
    )
    assert code == 0
    assert "1 enfant bénéficiaire de l'AEEH" in out
    assert "0,0413 %" in out
    assert _row(out, "3\u202f000,00\u00a0€").endswith("1,24\u00a0€")
    assert _row(out, "2\u202f500,50\u00a0€").endswith("1,03\u00a0€")


def test_participation_familial(run):
    # familial, 1 child: 0.0516 % (à vérifier) × 3 000 = 1.548 → 1,55 €
    code, out, _ = run(
        "participation", "--ressources", "3000", "--accueil", "familial", "--date", "2025-10-01"
    )
    assert code == 0
    assert "1,55\u00a0€" in out and "⚠ à vérifier" in out and "(bareme.taux_effort_familial)" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--ressources", "abc"], "Ressources mensuelles « abc » invalides"),
        (["--ressources", "-100"], "Ressources mensuelles « -100 » invalides"),
        ([], "Ressources mensuelles manquantes"),
        (["--ressources", "1000", "--enfants", "0"], "Nombre d'enfants à charge « 0 » invalide"),
        (["--ressources", "1000", "--accueil", "domicile"], "Type d'accueil « domicile » inconnu"),
        (["--ressources", "1000", "--date", "2025-02-30"], "Date « 2025-02-30 » invalide"),
    ],
)
def test_participation_errors_are_french(run, argv, message):
    code, out, err = run("participation", *argv)
    assert code == 1 and out == ""
    assert err.startswith("Erreur : ") and message in err
