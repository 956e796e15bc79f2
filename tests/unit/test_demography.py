"""Children projection: cohort ageing, trends shrunk towards the EPCI, births, overrides."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from territoire_lib.demography import (
    DemographyError,
    project_children,
    project_history,
)

YEARS = [2017, 2018, 2019, 2020, 2021]


def history(rows: dict[str, dict[str, list[float]]], years=YEARS) -> pd.DataFrame:
    """{commune: {variable: values by year}} → long observations."""
    out = []
    for commune, bands in rows.items():
        for variable, values in bands.items():
            ys = years if variable != "naissances" else list(range(years[-1] - len(values) + 1, years[-1] + 1))  # fmt: skip
            for y, v in zip(ys, values, strict=True):
                out.append({"commune": commune, "annee": y, "variable": variable, "valeur": v})
    return pd.DataFrame(out)


def test_steady_population_stays_steady():
    # 30 children aged 0-2, 30 aged 3-5, 50 aged 6-10 every year: ageing alone gives
    # 3-5: 30 × 2/3 + 30 / 3 = 30 and 6-10: 50 × 4/5 + 30 / 3 = 50, growth 0 → unchanged.
    h = history({"96001": {"pop_0_2": [30] * 5, "pop_3_5": [30] * 5, "pop_6_10": [50] * 5}})
    p = project_history(h, pd.Series({"96001": "E1"}), 2029)
    for band, value in (("pop_0_2", 30), ("pop_3_5", 30), ("pop_6_10", 50)):
        assert p.values[band].loc["96001", 2029] == pytest.approx(value)
    assert p.observed_years == YEARS
    frame = p.frame
    assert set(frame.loc[frame["annee"] <= 2021, "statut"]) == {"observé"}
    assert set(frame.loc[frame["annee"] > 2021, "statut"]) == {"projeté"}


def test_growth_and_cohort_factor_by_hand():
    # 0-2: 100, 110, 121, 133.1, 146.41: +10 % a year exactly (log-linear slope ln 1.1).
    # 3-5 constant 90, 6-10 constant 150.
    h = history(
        {
            "96001": {
                "pop_0_2": [100, 110, 121, 133.1, 146.41],
                "pop_3_5": [90] * 5,
                "pop_6_10": [150] * 5,
            }
        }
    )
    p = project_history(h, pd.Series({"96001": "E1"}), 2023)
    hyp = p.hypotheses.iloc[0]
    assert hyp["taux_retenu"] == pytest.approx(0.10)
    # 0-2 in 2022 and 2023: 146.41 × 1.1 = 161.051, × 1.1 = 177.1561
    assert p.values["pop_0_2"].loc["96001", 2022] == pytest.approx(161.051)
    assert p.values["pop_0_2"].loc["96001", 2023] == pytest.approx(177.1561)
    # migration factor of the 3-5: observed next year / ageing alone, ratio of sums over
    # 2017→2018 … 2020→2021: 4 × 90 / (4 × 90 × 2/3 + (100 + 110 + 121 + 133.1) / 3)
    c35 = 360 / (240 + 464.1 / 3)
    assert hyp["facteur_3_5"] == pytest.approx(c35)
    # 3-5 in 2022: c35 × (90 × 2/3 + 146.41 / 3) = 0.91209 × 108.8033 = 99.238
    assert p.values["pop_3_5"].loc["96001", 2022] == pytest.approx(c35 * (60 + 146.41 / 3))
    assert p.values["pop_3_5"].loc["96001", 2022] == pytest.approx(99.238, abs=1e-3)
    # 6-10: 4 × 150 / (4 × 150 × 4/5 + 4 × 90 / 3) = 600 / 600 = 1 → 150 × 4/5 + 90/3 = 150
    assert hyp["facteur_6_10"] == pytest.approx(1.0)
    assert p.values["pop_6_10"].loc["96001", 2022] == pytest.approx(150)


def test_small_commune_is_shrunk_towards_its_epci():
    # big commune: 1 000 children every year (rate 0); small one: 10 × 0.9^k (rate −10 %).
    small = [10 * 0.9**k for k in range(5)]
    h = history(
        {
            "96001": {"pop_0_2": [1000] * 5, "pop_3_5": [1000] * 5, "pop_6_10": [1600] * 5},
            "96002": {"pop_0_2": small, "pop_3_5": [10] * 5, "pop_6_10": [16] * 5},
        }
    )
    p = project_history(h, pd.Series({"96001": "E1", "96002": "E1"}), 2025, shrinkage=100)
    hyp = p.hypotheses.set_index("commune")
    # EPCI rate: log-linear slope of the summed 0-2 (numpy's polyfit, independent of the code)
    total = np.array([1000 + s for s in small])
    epci_rate = math.expm1(np.polyfit(YEARS, np.log(total), 1)[0])
    # weight of the small commune: mean 0-2 = 10 × (1 + .9 + .81 + .729 + .6561) / 5 = 8.1902
    w = 8.1902 / (8.1902 + 100)
    expected = w * (-0.10) + (1 - w) * epci_rate
    assert hyp.loc["96002", "taux_epci"] == pytest.approx(epci_rate)
    assert hyp.loc["96002", "poids"] == pytest.approx(w, rel=1e-4)
    assert hyp.loc["96002", "taux_retenu"] == pytest.approx(expected, rel=1e-4)
    assert hyp.loc["96002", "origine"] == "EPCI"
    # the big commune keeps (nearly) its own rate: weight 1000 / 1100
    assert hyp.loc["96001", "poids"] == pytest.approx(1000 / 1100)
    assert hyp.loc["96001", "origine"] == "commune"


def test_user_growth_rates_override_by_commune_epci_and_globally():
    h = history(
        {
            c: {"pop_0_2": [100] * 5, "pop_3_5": [100] * 5, "pop_6_10": [160] * 5}
            for c in ("96001", "96002", "96003")
        }
    )
    epci = pd.Series({"96001": "E1", "96002": "E1", "96003": "E2"})
    p = project_history(h, epci, 2023, growth={"E1": 0.02, "96002": -0.05})
    hyp = p.hypotheses.set_index("commune")
    # commune wins over EPCI; the EPCI's rate applies to its other communes; E2 keeps 0
    assert hyp.loc["96001", "taux_retenu"] == pytest.approx(0.02)
    assert hyp.loc["96002", "taux_retenu"] == pytest.approx(-0.05)
    assert hyp.loc["96003", "taux_retenu"] == pytest.approx(0.0)
    assert hyp.loc["96002", "origine"] == "hypothèse commune"
    # 100 × 1.02² = 104.04 in 2023
    assert p.values["pop_0_2"].loc["96001", 2023] == pytest.approx(104.04)
    glob = project_history(h, epci, 2022, growth=0.03)
    assert glob.values["pop_0_2"].loc["96003", 2022] == pytest.approx(103.0)
    assert set(glob.hypotheses["origine"]) == {"hypothèse globale"}
    assert "hypothèses de l'utilisateur" in glob.methode


def test_bad_growth_overrides_are_french_errors():
    h = history({"96001": {"pop_0_2": [10] * 5, "pop_3_5": [10] * 5, "pop_6_10": [10] * 5}})
    epci = pd.Series({"96001": "E1"})
    with pytest.raises(DemographyError, match=r"code\(s\) inconnu\(s\) « 99999 »"):
        project_history(h, epci, 2025, growth={"99999": 0.01})
    with pytest.raises(DemographyError, match=r"trouvé « 2 » ; attendu un taux annuel"):
        project_history(h, epci, 2025, growth=2)
    with pytest.raises(DemographyError, match="Aucun effectif d'enfants"):
        project_history(h[h["variable"] == "naissances"], epci, 2025)


def test_births_drive_the_under_threes_when_present():
    # 40 births a year 2014-2021, 0-2 = 120 = 40 + 40 + 40 → factor f = 1; births trend 0,
    # so 0-2 in 2025 = f × (B2024 + B2023 + B2022) = 120.
    h = history(
        {
            "96001": {
                "pop_0_2": [120] * 5,
                "pop_3_5": [120] * 5,
                "pop_6_10": [200] * 5,
                "naissances": [40] * 8,
            }
        }
    )
    p = project_history(h, pd.Series({"96001": "E1"}), 2025)
    hyp = p.hypotheses.iloc[0]
    assert hyp["methode_0_2"] == "naissances"
    assert hyp["facteur_naissances"] == pytest.approx(1.0)
    assert p.values["pop_0_2"].loc["96001", 2025] == pytest.approx(120)
    # a 10 % rise of births from 2022 on (user hypothesis): B2022 = 40 × 1.1^(2022 − 2020)
    # (trend from the mean of the last three years, centred on 2020) = 48.4, B2023 = 53.24,
    # B2024 = 58.564 → 0-2 in 2025 = 48.4 + 53.24 + 58.564 = 160.204
    up = project_history(h, pd.Series({"96001": "E1"}), 2025, growth=0.10)
    assert up.values["pop_0_2"].loc["96001", 2025] == pytest.approx(160.204)
    assert "naissances domiciliées" in p.methode


def test_method_text_is_french_and_honest_about_6_10():
    h = history({"96001": {"pop_0_2": [30] * 5, "pop_3_5": [30] * 5, "pop_6_10": [50] * 5}})
    p = project_history(h, pd.Series({"96001": "E1"}), 2027)
    assert "pas de tranche 6-11 ans" in p.methode
    assert "6-10 ans" in p.methode
    assert "n / (n + 100)" in p.methode
    assert "2017, 2018, 2019, 2020, 2021" in p.methode


def test_demo_territory_projection_is_vectorised_and_consistent():
    from territoire_lib.dataset import load_territory

    t = load_territory("demo")
    members = t.geography.members("296000045")
    p = project_children(t, 2029, communes=members)
    assert p.communes == members
    assert p.values["pop_0_2"].loc[:, 2021].notna().all()
    totals = p.totals()
    # the totals are sums of the communes (ratio of sums downstream)
    assert totals.set_index("annee").loc[2029, "pop_0_2"] == pytest.approx(
        p.values["pop_0_2"][2029].sum()
    )
    # observed years equal the census values
    obs = t.observations
    census = obs[(obs["variable"] == "pop_0_2") & (obs["annee"] == 2021) & obs["commune"].isin(members)]  # fmt: skip
    assert p.values["pop_0_2"][2021].sum() == pytest.approx(census["valeur"].sum())
    # band() clamps years before the first census to it, and sums 3-10
    band = p.band("pop_3_10", [2015, 2029])
    assert band[2015].sum() == pytest.approx(
        p.values["pop_3_5"][2017].sum() + p.values["pop_6_10"][2017].sum()
    )
