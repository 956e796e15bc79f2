"""Territory codes given as numbers: Papermill turns `-p territoire 296000011` into an int, a
spreadsheet turns 01001 into 1001. Every lookup accepts them; a lost leading zero is restored
when the padded code exists, with a French remark.

Hand-worked references: the demo's CA de Valmont-sur-Loue (296000011) has 20 communes, 96001
is Valmont-sur-Loue (data/demo/README.md); in data/referentiel/communes.csv, 01001 is
L'Abergement-Clémenciat and 01004 Ambérieu-en-Bugey, département 01 is the Ain.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from territoire_lib import cli
from territoire_lib.dataset import load_territory
from territoire_lib.diagnostic import diagnose
from territoire_lib.geo import TerritoryCodeRemark, UnknownTerritoryError
from territoire_lib.indicators import indicator_table
from territoire_lib.scenario import load_scenario, simulate
from territoire_lib.sources.referentiel import geography_for_departements

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def demo():
    return load_territory("demo")


@pytest.fixture(scope="module")
def ain():
    return geography_for_departements(["01"])


def test_int_and_float_codes_of_the_demo(demo):
    geo = demo.geography
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to restore: no remark
        members = geo.members(296000011)
        assert members == geo.members("296000011") and len(members) == 20
        assert geo.level_of(296000011) == "epci"
        assert geo.name_of(96001) == "Valmont-sur-Loue"
        assert geo.level_of(96) == "departement"
        assert geo.level_of(96001.0) == "commune"  # a spreadsheet's float
        assert geo.label(296000011) == "CA de Valmont-sur-Loue (epci)"


def test_codes_that_are_not_codes(demo):
    geo = demo.geography
    for bad in (96001.5, True, None):
        with pytest.raises(UnknownTerritoryError, match="Territoire inconnu"):
            geo.level_of(bad)
    with pytest.raises(UnknownTerritoryError, match="« 296000013 »"):
        geo.members(296000013)  # not a demo EPCI: the README no longer shows it


def test_lost_leading_zero_restored_with_a_remark(ain):
    code, remark = ain.resolve_code(1001)
    assert code == "01001"
    assert remark.startswith("Code « 1001 » lu comme « 01001 » (L'Abergement-Clémenciat, commune)")
    assert "-r territoire 01001" in remark
    assert ain.resolve_code("1001") == (code, remark)  # the same from a spreadsheet's text
    assert ain.resolve_code(1) == ("01", ain.resolve_code(1)[1])
    assert "(Ain, département)" in ain.resolve_code(1)[1]
    with pytest.warns(TerritoryCodeRemark, match="lu comme « 01001 »"):
        assert ain.members(1001) == ["01001"]
    with pytest.warns(TerritoryCodeRemark, match="lu comme « 01 »"):
        assert ain.level_of(1) == "departement"
    # a code that pads to nothing known stays unknown
    assert ain.resolve_code(9999) == ("9999", None)


def test_diagnose_indicators_and_simulate_accept_int_codes(demo):
    diag = diagnose(demo, 296000011)
    assert diag.code == "296000011" and diag.nom == "CA de Valmont-sur-Loue"
    assert len(diag.communes) == 20
    by_int = indicator_table(demo, 296000011)
    by_text = indicator_table(demo, "296000011")
    assert by_int["valeur"].equals(by_text["valeur"])
    scenario = load_scenario(REPO / "data" / "scenarios" / "scenario_a.yaml")
    assert simulate(demo, scenario, perimetre=296000011).nom_perimetre == "CA de Valmont-sur-Loue"


@pytest.fixture
def ain_folder(tmp_path, monkeypatch):
    monkeypatch.setenv("TERRITOIRE_CACHE", str(tmp_path / "cache"))
    folder = tmp_path / "ain"
    folder.mkdir()
    (folder / "manifeste.yaml").write_text(
        'nom: Ain\ndepartements: ["01"]\nfichiers: {}\n', encoding="utf-8"
    )
    return folder


def test_diagnostic_limits_carry_the_remark(ain_folder):
    territory = load_territory(ain_folder)
    with pytest.warns(TerritoryCodeRemark):
        diag = diagnose(territory, 1001)
    assert diag.code == "01001" and diag.nom == "L'Abergement-Clémenciat"
    assert diag.limites[0].startswith("Code « 1001 » lu comme « 01001 »")


def test_cli_prints_the_remark(ain_folder, monkeypatch, capsys):
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["indicateurs"])
    assert cli.main(["indicateurs", "1004", "--source", str(ain_folder)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Remarque : Code « 1004 » lu comme « 01004 » (Ambérieu-en-Bugey")
    assert "Indicateurs — Ambérieu-en-Bugey (commune)" in out
