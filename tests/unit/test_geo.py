"""Code rules, membership and aggregation (levels and perimeters alike)."""

from __future__ import annotations

import pandas as pd
import pytest

from territoire_lib.errors import DataError, IssueCollector
from territoire_lib.geo import (
    Geography,
    UnknownTerritoryError,
    check_commune_codes,
    departement_of,
    fold_arrondissements,
    valid_commune_codes,
)


def test_departement_of_code_rules():
    codes = pd.Series(["01001", "2A004", "2B033", "97101", "97617", "75056"])
    assert departement_of(codes).tolist() == ["01", "2A", "2B", "971", "976", "75"]


def test_arrondissements_fold_into_their_commune():
    codes = pd.Series(["75101", "75120", "13201", "13216", "69381", "69389", "75056", "69123"])
    assert fold_arrondissements(codes).tolist() == [
        "75056", "75056", "13055", "13055", "69123", "69123", "75056", "69123",
    ]  # fmt: skip
    # 75121 and 69390 are not arrondissements: unchanged
    assert fold_arrondissements(pd.Series(["75121", "69390"])).tolist() == ["75121", "69390"]


def test_valid_codes():
    codes = pd.Series(["01001", "2A004", "97101", "1001", "2C004", "0100A", "", "123456"])
    assert valid_commune_codes(codes).tolist() == [True, True, True] + [False] * 5


def test_lost_leading_zero_is_named():
    issues = IssueCollector("s_ben_com_f.csv")
    codes = pd.Series(["01001", "1001"])
    check_commune_codes(codes, issues, "numcomdo", lines=pd.Series([2, 3]))
    with pytest.raises(DataError) as exc:
        issues.raise_if_any()
    msg = str(exc.value)
    assert "s_ben_com_f.csv" in msg and "ligne 3" in msg and "numcomdo" in msg
    assert "« 1001 »" in msg and "01001" in msg and "zéro initial" in msg


@pytest.fixture
def geo():
    communes = pd.DataFrame(
        {
            "code": ["96001", "96002", "96003", "96004"],
            "nom": ["Alpha", "Béta", "Gamma", "Delta"],
            "departement": "96",
            "region": "96",
            "epci": ["296000011", "296000011", "296000029", "296000029"],
            "population": [50000, 900, 1200, 300],
        }
    )
    g = Geography(
        communes=communes,
        epcis=pd.DataFrame(
            {
                "code": ["296000011", "296000029"],
                "nom": ["CA Un", "CC Deux"],
                "nature": ["CA", "CC"],
            }
        ),
        departements=pd.DataFrame({"code": ["96"], "nom": ["Démo"], "region": ["96"]}),
        regions=pd.DataFrame({"code": ["96"], "nom": ["Région démo"]}),
    )
    g.add_perimeter("CTG-X", "CTG X", ["96002", "96003"])
    return g


def test_levels_and_members(geo):
    assert geo.level_of("96001") == "commune"
    assert geo.level_of("296000029") == "epci"
    assert geo.level_of("96") == "departement"
    assert geo.level_of("reg:96") == "region"
    assert geo.level_of("CTG-X") == "perimetre"
    assert geo.members("296000011") == ["96001", "96002"]
    assert geo.members("CTG-X") == ["96002", "96003"]
    assert len(geo.members("96")) == 4
    with pytest.raises(UnknownTerritoryError, match="Territoire inconnu"):
        geo.level_of("12345")


def test_perimeter_with_unknown_commune(geo):
    with pytest.raises(UnknownTerritoryError, match="96999"):
        geo.add_perimeter("P", "P", ["96001", "96999"])


def test_aggregate_levels_and_perimeters_alike(geo):
    frame = pd.DataFrame(
        {
            "commune": ["96001", "96002", "96003", "96004"],
            "annee": 2023,
            "places": [600.0, 10.0, 30.0, 2.0],
            "enfants": [1500.0, 40.0, 50.0, 10.0],
        }
    )
    epci = geo.aggregate(frame, "epci", ["places", "enfants"], by=["annee"]).set_index("territoire")
    # CA Un: 600 + 10 = 610 places, 1500 + 40 = 1540 children
    assert epci.loc["296000011", "places"] == 610
    assert epci.loc["296000011", "enfants"] == 1540
    per = geo.aggregate(frame, "perimetre", ["places", "enfants"]).set_index("territoire")
    # CTG X = 96002 + 96003: (10 + 30) / (40 + 50) = 44.4 per 100, whereas the mean of the two
    # commune rates (25 and 60) would be 42.5
    rate = 100 * per.loc["CTG-X", "places"] / per.loc["CTG-X", "enfants"]
    assert rate == pytest.approx(400 / 9)
    assert rate != pytest.approx((25 + 60) / 2)
