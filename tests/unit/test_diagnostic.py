"""The diagnostic: needs index worked out by hand, SPPE bands at their boundaries, strengths,
and a whole diagnostic of the demo territories."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from territoire_lib import diagnostic as D
from territoire_lib.dataset import load_territory
from territoire_lib.errors import TerritoireError
from territoire_lib.indicators import indicator_table


@pytest.fixture(scope="module")
def demo():
    return load_territory("demo")


# -- needs index --------------------------------------------------------------------------------
def test_needs_index_by_hand():
    comp = pd.DataFrame(
        {
            "couverture": [40.0, 60.0, 80.0],  # reversed: A has the fewest places
            "bas_revenus": [10.0, 30.0, 20.0],
            "monoparentales": [15.0, 15.0, 5.0],  # A and B tied
            "pauvrete": [20.0, np.nan, 10.0],  # B masked
            "rsa": [5.0, 5.0, 5.0],  # all tied
            "aeeh": [np.nan, np.nan, np.nan],  # not loaded
            "qpv": [1.0, 0.0, 0.0],
            "frr": [0.0, 0.0, 1.0],
        },
        index=["A", "B", "C"],
    )
    out = D.needs_index(comp)
    # percentile rank 100 × (r − 1) / (n − 1), n = 3:
    # couverture (need = −value): C r1 → 0, B r2 → 50, A r3 → 100
    assert out["score_couverture"].tolist() == [100.0, 50.0, 0.0]
    # bas_revenus: A r1 → 0, C r2 → 50, B r3 → 100
    assert out["score_bas_revenus"].tolist() == [0.0, 100.0, 50.0]
    # monoparentales: C r1 → 0; A, B share r2.5 → 75
    assert out["score_monoparentales"].tolist() == [75.0, 75.0, 0.0]
    # pauvrete: n = 2 (B masked): C r1 → 0, A r2 → 100
    assert out["score_pauvrete"].iloc[[0, 2]].tolist() == [100.0, 0.0]
    assert np.isnan(out["score_pauvrete"].iloc[1])
    assert out["score_rsa"].tolist() == [50.0, 50.0, 50.0]  # all share r2 → 50
    assert out["score_aeeh"].isna().all()
    assert out["score_qpv"].tolist() == [100.0, 0.0, 0.0]
    assert out["score_frr"].tolist() == [0.0, 0.0, 100.0]
    # A: weights available 1 − 0.10 (aeeh) = 0.9;
    #    0.25×100 + 0.15×0 + 0.15×75 + 0.10×100 + 0.10×50 + 0.075×100 + 0.075×0 = 58.75
    # B: 0.8 (aeeh, pauvrete missing); 0.25×50 + 0.15×100 + 0.15×75 + 0.10×50 = 43.75
    # C: 0.9; 0.15×50 + 0.10×50 + 0.075×100 = 20
    assert out["poids_disponible"].tolist() == pytest.approx([0.9, 0.8, 0.9])
    assert out["indice_besoins"].tolist() == pytest.approx([58.75 / 0.9, 43.75 / 0.8, 20 / 0.9])


def test_needs_index_ranks_within_each_group_and_needs_half_the_weight():
    comp = pd.DataFrame(
        {"couverture": [50.0, 70.0, 30.0], "qpv": [0.0, 1.0, 0.0]},
        index=["A", "B", "C"],
    )
    groups = pd.Series(["01", "01", "02"], index=["A", "B", "C"])
    out = D.needs_index(comp, groups)
    # group 01: A (50) has fewer places than B (70) → A 100, B 0; C alone in 02 → 50
    assert out["score_couverture"].tolist() == [100.0, 0.0, 50.0]
    # only 0.25 + 0.075 = 0.325 of the weight: under one half → no index
    assert out["poids_disponible"].tolist() == pytest.approx([0.325] * 3)
    assert out["indice_besoins"].isna().all()
    loose = D.needs_index(comp, groups, min_weight=0.3)
    # A: (0.25×100 + 0.075×0) / 0.325
    assert loose["indice_besoins"].iloc[0] == pytest.approx(25 / 0.325)


def test_needs_weights_sum_to_one_and_method_text_lists_them():
    assert sum(c.weight for c in D.NEEDS_COMPONENTS) == pytest.approx(1.0)
    text = D.needs_method_text({"couverture": 2023})
    assert "25 %, 2023" in text and "7,5 %" in text and "rang centile" in text


# -- SPPE ---------------------------------------------------------------------------------------
def test_sppe_band_boundaries():
    # L. 214-1-3 CASF: « plus de 3 500 » and « plus de 10 000 » habitants: 3 500 and 10 000
    # themselves stay in the lower band
    pop = pd.Series([0, 3499, 3500, 3501, 9999, 10000, 10001, np.nan])
    assert D.sppe_band(pop, [3500, 10000]).tolist() == [0, 0, 0, 1, 1, 1, 2, -1]


def test_sppe_duties_from_the_catalogue():
    communes = pd.DataFrame(
        {
            "code": ["96001", "96002", "96003", "96004", "96005"],
            "nom": ["A", "B", "C", "D", "E"],
            "population": [3499, 3500, 3501, 10000, 10001],
        }
    )
    out = D.sppe_duties(communes)
    assert out["strate"].tolist() == [
        "toutes_communes",
        "toutes_communes",
        "plus_3500",
        "plus_3500",
        "plus_10000",
    ]
    # recenser + informer for all; + planifier + qualité above 3 500
    assert out["nb_obligations"].tolist() == [2, 2, 4, 4, 4]
    assert any("Planifier" in d for d in out["obligations"].iloc[2])
    assert not any("Planifier" in d for d in out["obligations"].iloc[1])
    assert any("relais petite enfance" in d for d in out["obligations"].iloc[4])
    assert any("schéma pluriannuel" in d for d in out["obligations"].iloc[4])
    assert not any("relais petite enfance" in d for d in out["obligations"].iloc[3])


# -- strengths --------------------------------------------------------------------------------
def _row(indicateur, valeur, dep, france=np.nan, evolution=np.nan, texte=""):
    return {
        "indicateur": indicateur,
        "disponible": True,
        "masque": False,
        "valeur": valeur,
        "valeur_departement": dep,
        "ecart_departement": valeur - dep,
        "valeur_france": france,
        "ecart_france": valeur - france,
        "annee_france": 2023 if not np.isnan(france) else np.nan,
        "evolution": evolution,
        "evolution_texte": texte,
    }


def test_strengths_mirror_the_alerts():
    table = pd.DataFrame(
        [
            # coverage (hausse favorable): +5 points over the département, +4.1 over France
            _row("taux_couverture_global", 65.0, 60.0, 60.9),
            # poverty (baisse favorable): 3 points under the département
            _row("taux_pauvrete", 12.0, 15.0),
            # a gap under the threshold (1 point) is not a strength
            _row("part_rsa", 13.0, 13.5),
            # neutral direction: never a strength
            _row("part_aeeh", 1.0, 3.0),
            # favourable change beyond the alert threshold (1 point)
            _row(
                "taux_couverture_eaje", 20.0, 20.0, evolution=2.0, texte="en hausse de 2,0 points"
            ),
        ]
    )
    out = D.strengths(table)
    assert out == [
        "Taux de couverture global : 65,0 places pour 100 enfants, 5,0 points au-dessus du "
        "département (60,0) et 4,1 points au-dessus de la référence nationale (60,9 en 2023).",
        "Taux de pauvreté : 12,0\u202f%, 3,0 points sous le département (15,0).",
        "Taux de couverture, accueil collectif (EAJE) : en hausse de 2,0 points.",
    ]


# -- whole diagnostic on the demo -------------------------------------------------------------
def test_diagnose_an_epci(demo):
    geo = demo.geography
    code = "296000011"
    d = D.diagnose(demo, code)
    members = set(geo.members(code))
    assert d.niveau == "epci" and d.nom == geo.name_of(code) and d.fictif
    assert set(d.inclusion["commune"]) == members
    assert set(d.sppe["commune"]) == members
    assert d.departement == "96"
    # the summary uses the indicator table's own figures
    t = indicator_table(demo, code).set_index("indicateur")
    cov = t.loc["taux_couverture_global"]
    expected = f"{cov['valeur']:.1f}".replace(".", ",")
    assert d.resume.startswith(f"{d.nom} (EPCI) : {len(members)} communes")
    assert f"{expected} places pour 100 enfants" in d.resume
    # ranks 1..n by decreasing needs, index within 0–100
    idx = d.inclusion["indice_besoins"]
    assert idx.between(0, 100).all()
    assert idx.is_monotonic_decreasing
    assert d.inclusion["rang"].iloc[0] == 1
    assert d.vigilances and all(s.endswith(".") for s in d.vigilances)
    assert "Indice de besoins" in d.methode_indice
    # themes in the catalogue's order, each table with French headers
    tables = d.theme_tables(formatted=False)
    assert list(tables)[:2] == ["Contexte", "Petite enfance"]
    assert "Écart au département (points)" in tables["Petite enfance"].columns


def test_diagnose_shows_secret_values(demo):
    # Bréval-la-Côte (1 253 inhabitants): Filosofi does not publish its poverty rate
    d = D.diagnose(demo, "96003")
    row = d.table.set_index("indicateur").loc["taux_pauvrete"]
    assert bool(row["masque"])
    ctx = d.theme_table("contexte")
    pov = ctx.loc["Taux de pauvreté"]
    assert pov["Valeur"] == "secret"
    assert "secret statistique" in pov["Remarques"]
    assert any(s.startswith("Taux de pauvreté : secret statistique") for s in d.limites)
    inc = d.inclusion_table()
    assert inc["Taux de pauvreté (%)"].tolist() == ["secret"]


def test_partial_aggregate_uses_the_published_value(demo):
    # CC du Plateau de Sarce: its communes' poverty rates cover too little of its population;
    # the table shows Filosofi's own EPCI figure and says so
    d = D.diagnose(demo, "296000037")
    ctx = d.theme_table("contexte")
    pov = ctx.loc["Taux de pauvreté"]
    row = d.table.set_index("indicateur").loc["taux_pauvrete"]
    assert row["source_valeur"] == "publiée" and not row["masque"]
    assert pov["Valeur"] == f"{row['valeur']:.1f}".replace(".", ",")
    assert pov["Remarques"].startswith("valeur publiée par la source (les communes diffusées")


def test_diagnose_a_perimeter_flags_estimates(demo):
    d = D.diagnose(demo, "CTG-COTEAUX-ORVANNE")
    assert d.niveau == "perimetre" and len(d.inclusion) == 5
    pe = d.theme_table("petite_enfance")
    cov = pe.loc["Taux de couverture global"]
    assert "part estimée" in cov["Remarques"] and "à vérifier" in cov["Remarques"]
    # scores are ranked among the whole département, so the perimeter's ranks are 1..5
    assert sorted(d.inclusion["rang"].tolist()) == [1, 2, 3, 4, 5]
    assert d.inclusion["rang_departement"].max() <= len(demo.geography.communes)


def test_diagnose_a_year(demo):
    d = D.diagnose(demo, "296000011", year=2021)
    t = d.table.set_index("indicateur")
    assert t.loc["taux_couverture_global", "annee"] == 2021
    assert (d.table["annee"].dropna() <= 2021).all()


def test_diagnose_unknown_code_and_bad_year(demo):
    with pytest.raises(TerritoireError, match="Territoire inconnu : « 99999 »"):
        D.diagnose(demo, "99999")
    with pytest.raises(TerritoireError, match="Année invalide : « deux mille »"):
        D.diagnose(demo, "96", year="deux mille")


def test_diagnostic_charts_carry_titles_and_sources(demo):
    d = D.diagnose(demo, "296000029")
    for chart in (
        d.reference_chart("petite_enfance"),
        d.time_series_chart(),
        d.ranked_chart(),
        d.ranked_chart("indice_besoins"),
        d.indicator_map("part_rsa"),
        d.needs_map(),
        d.age_chart(),
    ):
        spec = chart.to_dict()
        assert d.nom in spec["title"]["text"]
        assert spec["title"]["subtitle"][0].startswith("Source : ")
        assert spec["title"]["subtitle"][0].endswith("(données fictives)")
    # a theme without rates (the SPPE counts alone) gives a French message, not an error
    from dataclasses import replace

    counts = d.table[d.table["type"] != "taux"].reset_index(drop=True)
    empty = replace(d, table=counts).reference_chart("petite_enfance").to_dict()
    assert "Aucun taux" in str(empty)


def test_time_series_has_territory_departement_and_france(demo):
    d = D.diagnose(demo, "296000029")
    spec = d.time_series_chart("taux_couverture_global").to_dict()
    series = {r["serie"] for r in spec["datasets"][spec["data"]["name"]]}
    # the coverage rate: the published series beside the recomputed ones, like with like
    assert series == {
        f"{d.nom} (publié)",
        f"{d.nom} (recalculé)",
        f"{d.departement_nom} (publié)",
        f"{d.departement_nom} (recalculé)",
        "France (publié)",
    }
    # a rate without a published headline keeps one line per territory
    spec = d.time_series_chart("part_rsa").to_dict()
    series = {r["serie"] for r in spec["datasets"][spec["data"]["name"]]}
    assert series == {d.nom, d.departement_nom}


def test_synthesis_and_definitions(demo):
    d = D.diagnose(demo, "96")
    syn = d.synthesis_table()
    assert list(syn.columns) == ["Rubrique", "Contenu"]
    assert "Point de vigilance" in set(syn["Rubrique"]) or "Atout" in set(syn["Rubrique"])
    defs = d.definitions()
    assert {"Indice de besoins", "Taux de couverture global"} <= set(defs["Indicateur"])
    assert defs["Source"].str.contains("données fictives").all()
    assert "peu significatif sous 20 au dénominateur" in set(defs["Secret statistique"])


def test_sppe_sentences_come_from_the_catalogue(demo):
    from territoire_lib.indicators import sppe_strata

    top = sppe_strata().strata[-1]
    # Valmont-sur-Loue: population totale 51 121 (donnees_communes.csv: PMUN 50 448 + PCAP 673)
    d = D.diagnose(demo, "96001")
    assert d.sppe["strate"].tolist() == [top.code]
    assert d.sppe_territoire.startswith(
        f"Valmont-sur-Loue (51\u202f121 habitants en population totale) : strate « {top.label} »"
    )
    assert all(duty in d.sppe_territoire for duty in top.duties)
    sentence = next(s for s in d.vigilances if s.startswith("Service public de la petite enfance"))
    assert "relais petite enfance" in sentence and "schéma pluriannuel" in sentence


@pytest.mark.parametrize("formatted", [True, False])
def test_theme_tables_match_one_theme_at_a_time(demo, formatted):
    """The theme tables are sliced from one layout of the whole table: each must be what
    laying out that theme's rows alone gives (remarks, ranks, decimals, export formats)."""
    diag = D.diagnose(demo, "96003", None)  # 1 253 inhabitants: estimated shares, a secret
    for key in diag.themes:
        # its own indicators, then those of other themes it also shows (themes_associes)
        rows = diag.theme_rows(key)
        if rows.empty:
            continue
        alone = D.indicator_display(rows, formatted=formatted).drop(columns="Thème")
        alone = alone.reset_index(drop=True)
        alone = alone.set_index("Indicateur") if formatted else alone
        got = diag.theme_table(key, formatted=formatted)
        pd.testing.assert_frame_equal(got, alone)
        assert got.attrs == alone.attrs
    got = diag.theme_table("petite_enfance", formatted=formatted)
    got.iloc[0, 0] = "modifié"  # a caller's change does not reach the next call
    assert diag.theme_table("petite_enfance", formatted=formatted).iloc[0, 0] != "modifié"


def test_needs_index_of_the_departement_is_computed_once_and_reused(demo):
    from territoire_lib.indicators import clear_cache

    first = D.diagnose(demo, "96003")
    first.inclusion.loc[:, "indice_besoins"] = -1.0  # a caller's edit stays in its copy
    again = D.diagnose(demo, "96011")  # same département: the scores come from the cache
    clear_cache(demo)
    fresh = D.diagnose(demo, "96011")
    pd.testing.assert_frame_equal(again.inclusion, fresh.inclusion)
    assert again.inclusion["indice_besoins"].between(0, 100).all()
    # an EPCI sees the same scores for its communes as each commune alone
    epci = D.diagnose(demo, str(fresh.inclusion["epci"].iloc[0]))
    row = epci.inclusion.set_index("commune").loc["96011"]
    assert row["indice_besoins"] == fresh.inclusion["indice_besoins"].iloc[0]
    assert row["rang_departement"] == fresh.inclusion["rang_departement"].iloc[0]
