"""A column missing from a file blocks only the indicators that need it (issue 13, item 3).

The real cases: an RP extract without ``P21_POP1824`` (no indicator uses it) and a families
file without ``C21_MENPSEUL`` (the share of one-person households uses it) and without
``C21_FAMMONO`` (the single-parent indicators use it).
"""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pandas as pd
import pytest

from territoire_lib import dataset
from territoire_lib.diagnostic import diagnose
from territoire_lib.indicators import indicator_table, variable_uses

REPO = Path(__file__).resolve().parents[2]
DEMO = REPO / "data" / "demo"


def _drop_columns(path: Path, columns: list[str]) -> None:
    frame = pd.read_csv(path, sep=";", dtype=str, keep_default_na=False)
    frame.drop(columns=columns).to_csv(path, sep=";", index=False, lineterminator="\n")


@pytest.fixture(scope="module")
def extract(tmp_path_factory) -> dataset.Territory:
    folder = tmp_path_factory.mktemp("extrait") / "donnees"
    shutil.copytree(DEMO, folder)
    _drop_columns(folder / "base-ic-evol-struct-pop-2021.csv", ["P21_POP1824"])
    _drop_columns(
        folder / "base-ic-couples-familles-menages-2021.csv", ["C21_MENPSEUL", "C21_FAMMONO"]
    )
    return dataset.load_folder(folder)


def test_the_import_goes_through(extract):
    obs = extract.observations
    year = obs[obs["annee"] == 2021]
    assert "pop_18_24" not in set(year["variable"])
    assert "familles_monoparentales" not in set(year["variable"])
    assert "menages_une_personne" not in set(year["variable"])
    # the rest of both files is loaded: families of the whole département, summed by hand
    # from the demo file (C21_FAM of every IRIS)
    raw = pd.read_csv(DEMO / "base-ic-couples-familles-menages-2021.csv", sep=";", dtype=str)
    expected = pd.to_numeric(raw["C21_FAM"]).sum()
    loaded = year.loc[year["variable"] == "familles", "valeur"].sum()
    assert loaded == pytest.approx(expected)
    assert 2017 in set(obs.loc[obs["variable"] == "pop_18_24", "annee"])  # other years kept


def test_the_load_report_names_the_indicators_disabled(extract):
    text = extract.report_french(uses=variable_uses())
    assert (
        "  remarque : colonne « P21_POP1824 » absente : la variable « Jeunes de 18 à 24 ans » "
        "n'est pas chargée ; aucun indicateur du catalogue ne l'utilise."
    ) in text
    assert (
        "  remarque : colonne « C21_MENPSEUL » absente : la variable « Ménages d'une personne » "
        "n'est pas chargée ; indicateurs désactivés (« n.d. ») : Ménages d'une personne (part)."
    ) in text
    assert (
        "  remarque : colonne « C21_FAMMONO » absente : la variable « Familles monoparentales » "
        "n'est pas chargée ; indicateurs désactivés (« n.d. ») : Familles monoparentales, Part "
        "des familles monoparentales, Familles monoparentales parmi les familles avec enfants."
    ) in text


def test_only_the_indicators_that_need_it_are_nd(extract):
    table = indicator_table(extract, "296000011").set_index("indicateur")
    assert not table.at["part_familles_monoparentales", "disponible"]
    # « familles » is loaded: only the single-parent families are missing
    assert table.at["part_familles_monoparentales", "note"] == (
        "données non chargées : familles_monoparentales (colonne « C21_FAMMONO » absente de "
        "« base-ic-couples-familles-menages-2021.csv »)"
    )
    # every other indicator of the demo is still computed: e.g. children under 3
    assert table.at["enfants_0_2", "disponible"]
    assert table.at["part_moins_18_ans", "disponible"]


def test_the_diagnostic_limits_say_it(extract):
    diag = diagnose(extract, "296000011")
    assert (
        "Données chargées — Insee, RP – couples, familles, ménages (IRIS) "
        "(base-ic-couples-familles-menages-2021.csv) : colonne « C21_FAMMONO » absente : la "
        "variable « Familles monoparentales » n'est pas chargée ; indicateurs désactivés "
        "(« n.d. ») : Familles monoparentales, Part des familles monoparentales, Familles "
        "monoparentales parmi les familles avec enfants."
    ) in diag.limites


def test_import_command_names_the_indicators(tmp_path, capsys, monkeypatch):
    from territoire_lib.cli import main

    monkeypatch.setattr(dataset, "CACHE_DIR", tmp_path / "cache")
    folder = tmp_path / "donnees"
    shutil.copytree(DEMO, folder)
    _drop_columns(folder / "base-ic-couples-familles-menages-2021.csv", ["C21_FAMMONO"])
    assert main(["import", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "indicateurs désactivés (« n.d. ») : Familles monoparentales" in out


def test_variable_uses_follow_the_catalogue():
    uses = variable_uses()
    assert uses["familles_monoparentales"] == [
        "Familles monoparentales",
        "Part des familles monoparentales",
        "Familles monoparentales parmi les familles avec enfants",
    ]
    assert uses["menages_une_personne"] == ["Ménages d'une personne (part)"]
    assert "pop_18_24" not in uses
    # pop_totale feeds the QPV/FRR shares through derived variables
    assert "Population des communes comprenant un QPV (part)" in uses["pop_totale"]


def test_the_csv_helper_keeps_the_demo_format():
    # the helper above rewrites a file with the same dialect (« ; », no index, \n)
    text = (DEMO / "base-ic-couples-familles-menages-2021.csv").read_text(encoding="utf-8")
    frame = pd.read_csv(io.StringIO(text), sep=";", dtype=str, keep_default_na=False)
    out = frame.to_csv(sep=";", index=False, lineterminator="\n")
    assert out == text
