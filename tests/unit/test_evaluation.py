"""Progress rules of the CTG evaluation, on cases worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from territoire_lib import evaluation as ev
from territoire_lib.errors import TerritoireError

GOOD, WATCH, LATE = ev.ON_TRACK, ev.AT_RISK, ev.LATE


def one(baseline, by, target, ty, realised, ry, direction="hausse", **kw) -> dict:
    return ev.progress(baseline, by, target, ty, realised, ry, direction, **kw).iloc[0].to_dict()


# -- one indicator ------------------------------------------------------------------------------
def test_increasing_target_on_schedule():
    # 20 (2022) → cible 40 (2026), 30 en 2024 : atteint (30−20)/(40−20) = 0,5 ;
    # attendu (2024−2022)/(2026−2022) = 0,5 ; écart 0 → en bonne voie
    r = one(20, 2022, 40, 2026, 30, 2024)
    assert r["part_atteinte"] == pytest.approx(0.5)
    assert r["part_attendue"] == pytest.approx(0.5)
    assert r["ecart_points"] == pytest.approx(0.0)
    assert r["statut"] == GOOD
    assert r["motif"] == ""


def test_decreasing_target_behind():
    # 50 (2022) → cible 30 (2026), baisse favorable ; 45 en 2024 :
    # atteint (45−50)/(30−50) = 0,25 ; attendu 0,5 ; écart −25 points < −20 → en retard
    r = one(50, 2022, 30, 2026, 45, 2024, "baisse")
    assert r["part_atteinte"] == pytest.approx(0.25)
    assert r["ecart_points"] == pytest.approx(-25.0)
    assert r["statut"] == LATE


def test_decreasing_target_ahead_and_wrong_way():
    # 50 → 30 ; 35 en 2024 : (35−50)/(−20) = 0,75 ≥ 0,5 → en bonne voie
    assert one(50, 2022, 30, 2026, 35, 2024, "baisse")["statut"] == GOOD
    # 55 en 2024 (mauvais sens) : (55−50)/(−20) = −0,25 ; écart −75 → en retard
    r = one(50, 2022, 30, 2026, 55, 2024, "baisse")
    assert r["part_atteinte"] == pytest.approx(-0.25)
    assert r["statut"] == LATE


@pytest.mark.parametrize(
    ("realised", "status"),
    [
        # 0 (2020) → 100 (2030), valeur 2025 : attendu 0,5
        (40.0, GOOD),  # écart exactement −10 points : encore en bonne voie
        (39.9, WATCH),  # −10,1 points
        (30.0, WATCH),  # exactement −20 points : encore à surveiller
        (29.9, LATE),  # −20,1 points
        (80.0, GOOD),  # en avance : +30 points
        (120.0, GOOD),  # au-delà de la cible : atteint 1,2
    ],
)
def test_boundaries_of_the_rule(realised, status):
    assert one(0, 2020, 100, 2030, realised, 2025)["statut"] == status


def test_boundary_is_not_lost_to_floating_point():
    # 0 → 10 de 2020 à 2030 ; 7 en 2028 : atteint 0,7, attendu 0,8 ; 0,7 − 0,8 vaut
    # −0,10000000000000009 en virgule flottante mais l'écart est bien −10 points
    r = one(0, 2020, 10, 2030, 7, 2028)
    assert r["statut"] == GOOD
    assert r["ecart_points"] == pytest.approx(-10.0)


def test_expected_share_is_capped_outside_the_period():
    # valeur avant l'année de référence : attendu 0 ; après l'année de la cible : attendu 1
    assert one(10, 2022, 20, 2026, 10, 2021)["part_attendue"] == 0.0
    r = one(10, 2022, 20, 2026, 19, 2027)  # atteint 0,9 ; attendu 1 ; écart −10 → bonne voie
    assert r["part_attendue"] == 1.0
    assert r["statut"] == GOOD
    # année de la cible égale à l'année de référence : tout est attendu
    assert one(10, 2024, 20, 2024, 15, 2024)["part_attendue"] == 1.0


@pytest.mark.parametrize(
    ("realised", "direction", "share", "status"),
    [
        # maintien à 5 (cible = référence), hausse favorable
        (5.5, "hausse", 1.0, GOOD),  # au-dessus : maintenu
        (4.5, "hausse", 0.9, GOOD),  # 1 − 0,5/5 = 0,9 ; écart −10 → bonne voie
        (4.0, "hausse", 0.8, WATCH),  # 1 − 1/5 = 0,8
        (3.5, "hausse", 0.7, LATE),  # 1 − 1,5/5 = 0,7
        (-10.0, "hausse", 0.0, LATE),  # écart relatif > 1 : plancher 0
        # maintien à 5, baisse favorable : 6 est 1/5 au-dessus → 0,8
        (6.0, "baisse", 0.8, WATCH),
        (4.0, "baisse", 1.0, GOOD),
    ],
)
def test_target_equal_to_baseline_is_a_maintenance(realised, direction, share, status):
    r = one(5, 2022, 5, 2026, realised, 2024, direction)
    assert r["part_atteinte"] == pytest.approx(share)
    assert r["part_attendue"] == 1.0
    assert r["statut"] == status


def test_maintenance_of_zero():
    # cible 0 (ex. : aucune fermeture), baisse favorable : 0 → atteint ; 1 → 0 % → en retard
    assert one(0, 2022, 0, 2026, 0, 2024, "baisse")["part_atteinte"] == 1.0
    assert one(0, 2022, 0, 2026, 1, 2024, "baisse")["statut"] == LATE


def test_missing_realised_value():
    r = one(10, 2022, 20, 2026, None, None)
    assert r["statut"] == ev.NO_VALUE
    assert math.isnan(r["part_atteinte"]) and math.isnan(r["ecart_points"])
    assert r["motif"] == "aucune valeur réalisée saisie"


def test_not_evaluable_cases():
    r = one(None, 2022, 20, 2026, 15, 2024)
    assert r["statut"] == ev.NOT_EVALUABLE
    assert r["motif"] == "à compléter : valeur de référence"
    r = one(3, 2021, None, None, 4, 2024)
    assert r["motif"] == "à compléter : cible, année de la cible"
    # hausse favorable mais cible sous la référence : sens à vérifier
    r = one(20, 2022, 10, 2026, 15, 2024, "hausse")
    assert r["statut"] == ev.NOT_EVALUABLE
    assert "sens à vérifier" in r["motif"]
    # maintien sans sens favorable connu
    r = one(5, 2022, 5, 2026, 4, 2024, "stable")
    assert r["statut"] == ev.NOT_EVALUABLE
    # cible différente de la référence : le sens n'est pas nécessaire
    assert one(10, 2022, 20, 2026, 15, 2024, None)["statut"] == GOOD


def test_direction_synonyms():
    assert list(ev.normalise_direction(["Hausse", "BAISSE", "diminution", "+", "x", None])) == [
        "hausse",
        "baisse",
        "baisse",
        "hausse",
        None,
        None,
    ]


def test_tolerance_parameter():
    # écart −10 points : en bonne voie avec 10 points, à surveiller avec 5 (≥ −10),
    # en retard avec 4 (< −8)
    assert one(0, 2020, 100, 2030, 40, 2025, tolerance=0.10)["statut"] == GOOD
    assert one(0, 2020, 100, 2030, 40, 2025, tolerance=0.05)["statut"] == WATCH
    assert one(0, 2020, 100, 2030, 40, 2025, tolerance=0.04)["statut"] == LATE
    with pytest.raises(TerritoireError, match="Tolérance"):
        one(0, 2020, 100, 2030, 40, 2025, tolerance=10)


def test_vectorised_over_series_keeps_the_index():
    frame = pd.DataFrame(
        {
            "valeur_reference": [20.0, 50.0, 5.0],
            "annee_reference": [2022, 2022, 2022],
            "cible": [40.0, 30.0, 5.0],
            "annee_cible": [2026, 2026, 2026],
            "valeur_realisee": [30.0, 45.0, np.nan],
            "annee_realisee": [2024, 2024, np.nan],
            "sens": ["hausse", "baisse", "hausse"],
            "code": ["a", "b", "c"],
        },
        index=[10, 11, 12],
    )
    out = ev.progress_frame(frame)
    assert list(out.index) == [10, 11, 12]
    assert list(out["statut"]) == [GOOD, LATE, ev.NO_VALUE]
    assert list(out["code"]) == ["a", "b", "c"]
    assert "statut" not in frame  # input not modified
    with pytest.raises(TerritoireError, match="« cible »"):
        ev.progress_frame(frame.drop(columns="cible"))


def test_nullable_years_and_text_values():
    # années en Int64 avec <NA> (tables du plan), valeur non numérique → non évaluable
    years = pd.Series([2022, pd.NA], dtype="Int64")
    out = ev.progress([10, 10], years, [20, 20], 2026, [15, "abc"], 2024)
    assert list(out["statut"]) == [GOOD, ev.NOT_EVALUABLE]
    assert out["part_atteinte"].iloc[0] == pytest.approx(0.5)


def test_lengths_must_agree():
    with pytest.raises(TerritoireError, match="même longueur"):
        ev.progress([1, 2], 2020, [3, 4, 5], 2024, 2, 2022)


# -- roll-ups ---------------------------------------------------------------------------------
def _progress_table() -> pd.DataFrame:
    rows = [
        # axe, atteint, attendu, statut (de la règle à 10 points)
        ("A", 0.5, 0.5, GOOD),
        ("A", 1.4, 0.5, GOOD),  # au-delà de la cible : compté 1,0
        ("B", 0.5, 0.5, GOOD),
        ("B", 0.1, 0.5, LATE),
        ("C", 0.9, 0.5, GOOD),
        ("C", 0.25, 0.5, LATE),
        ("D", np.nan, np.nan, ev.NO_VALUE),
        ("E", np.nan, np.nan, ev.NOT_EVALUABLE),
    ]
    return pd.DataFrame(rows, columns=["axe", "part_atteinte", "part_attendue", "statut"])


def test_rollup_per_axis():
    out = ev.rollup(_progress_table(), "axe").set_index("axe")
    # A : moyenne de 0,5 et min(1,4 ; 1) = 0,75 contre 0,5 → +25 points → en bonne voie
    assert out.loc["A", "part_atteinte"] == pytest.approx(0.75)
    assert out.loc["A", "ecart_points"] == pytest.approx(25.0)
    assert out.loc["A", "statut"] == GOOD
    # B : (0,5 + 0,1)/2 = 0,3 contre 0,5 → −20 points → à surveiller
    assert out.loc["B", "part_atteinte"] == pytest.approx(0.3)
    assert out.loc["B", "statut"] == WATCH
    # C : (0,9 + 0,25)/2 = 0,575 contre 0,5 → +7,5 points, mais un indicateur en retard :
    # au mieux à surveiller
    assert out.loc["C", "part_atteinte"] == pytest.approx(0.575)
    assert out.loc["C", "statut"] == WATCH
    assert out.loc["C", "n_en_retard"] == 1 and out.loc["C", "n_en_bonne_voie"] == 1
    # D : rien d'évalué, une valeur manquante ; E : rien d'évaluable
    assert out.loc["D", "statut"] == ev.NO_VALUE
    assert out.loc["D", "n_evalues"] == 0 and out.loc["D", "n_indicateurs"] == 1
    assert out.loc["E", "statut"] == ev.NOT_EVALUABLE
    assert list(out.index) == ["A", "B", "C", "D", "E"]  # order of first appearance


def test_rollup_whole_ctg():
    out = ev.rollup(_progress_table())
    assert len(out) == 1
    row = out.iloc[0]
    # six indicateurs évalués : (0,5 + 1 + 0,5 + 0,1 + 0,9 + 0,25)/6 = 3,25/6 ;
    # attendu 0,5 → écart 100 × (3,25/6 − 0,5) = +4,17 points, deux en retard → à surveiller
    assert row["n_indicateurs"] == 8 and row["n_evalues"] == 6
    assert row["part_atteinte"] == pytest.approx(3.25 / 6)
    assert row["ecart_points"] == pytest.approx(100 * (3.25 / 6 - 0.5))
    assert row["statut"] == WATCH
    assert row["n_en_retard"] == 2 and row["n_non_renseigne"] == 1


# -- budget -------------------------------------------------------------------------------------
def _budget() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "fiche": ["F1", "F1", "F2", "F2"],
            "financeur": ["CAF", "Commune", "CAF", "Commune"],
            "annee": [2023, 2023, 2024, 2024],
            "prevu": [10_000.0, 5_000.0, 20_000.0, 0.0],
            "depense": [8_000.0, 5_000.0, np.nan, 1_000.0],
        }
    )


def test_budget_per_fiche_is_a_ratio_of_sums():
    out = ev.budget_summary(_budget(), "fiche").set_index("fiche")
    # F1 : 13 000 / 15 000 = 0,8667 (et non la moyenne des taux (0,8 + 1)/2 = 0,9)
    assert out.loc["F1", "prevu"] == 15_000 and out.loc["F1", "depense"] == 13_000
    assert out.loc["F1", "taux_execution"] == pytest.approx(13 / 15)
    assert out.loc["F1", "ecart"] == -2_000
    # F2 : dépense manquante comptée 0 ; 1 000 / 20 000 = 0,05
    assert out.loc["F2", "taux_execution"] == pytest.approx(0.05)


def test_budget_per_funder_and_whole():
    out = ev.budget_summary(_budget(), "financeur").set_index("financeur")
    assert out.loc["CAF", "taux_execution"] == pytest.approx(8_000 / 30_000)
    assert out.loc["Commune", "taux_execution"] == pytest.approx(6_000 / 5_000)
    whole = ev.budget_summary(_budget()).iloc[0]
    assert whole["prevu"] == 35_000 and whole["depense"] == 14_000
    assert whole["taux_execution"] == pytest.approx(0.4)
    # rien de prévu : pas de taux
    pair = ev.budget_summary(_budget(), ["fiche", "financeur"]).set_index(["fiche", "financeur"])
    assert math.isnan(pair.loc[("F2", "Commune"), "taux_execution"])
    with pytest.raises(TerritoireError, match="« axe »"):
        ev.budget_summary(_budget(), "axe")


# -- French text ------------------------------------------------------------------------------
def test_rule_text_and_labels():
    text = ev.rule_text()
    assert "10 points" in text and "20 points" in text
    assert "« en bonne voie »" in text and "« en retard »" in text
    assert "20 points" not in ev.rule_text(0.05) and "5 points" in ev.rule_text(0.05)
    assert ev.status_label(LATE) == "✖ en retard"
    assert ev.pct(0.456) == "46\u202f%"
    assert ev.pct(np.nan) == "n.d."


def test_budget_without_any_spending_is_unknown():
    # rien de saisi : dépense inconnue (et non 0), pas de taux d'exécution
    b = _budget().assign(depense=np.nan)
    whole = ev.budget_summary(b).iloc[0]
    assert whole["prevu"] == 35_000
    assert math.isnan(whole["depense"]) and math.isnan(whole["taux_execution"])


# -- a whole plan ---------------------------------------------------------------------------------
def _doc():
    from datetime import date

    from territoire_lib.plan.document import (
        AxisSpec,
        BudgetLine,
        CtgSpec,
        FicheSpec,
        IndicatorSpec,
        PlanDocument,
        StatusChangeSpec,
        ValueSpec,
    )

    def ind(fiche, code, base, target, values=()):
        return IndicatorSpec(
            fiche=fiche,
            code=code,
            label=f"Indicateur {code}",
            unit="u",
            baseline_value=base[0],
            baseline_year=base[1],
            target_value=target[0],
            target_year=target[1],
            values=tuple(ValueSpec(y, v, "bilan", "x") for y, v in values),
        )

    return PlanDocument(
        ctg=CtgSpec("CTG-T", "CTG d'essai", "296000011", 2022, 2025),
        axes=(AxisSpec("1", "Petite enfance"), AxisSpec("2", "Jeunesse")),
        fiches=(
            FicheSpec(
                "1",
                "1.1",
                "Action échue",
                status="en cours",
                start=date(2022, 1, 1),
                end=date(2023, 6, 30),
                budgets=(
                    BudgetLine("Caf", 2022, 10_000.0, spent=9_000.0),
                    BudgetLine("Caf", 2024, 10_000.0, spent=4_000.0),
                    BudgetLine("Caf", 2025, 10_000.0),
                ),
            ),
            FicheSpec(
                "1",
                "1.2",
                "Action pas lancée",
                status="à lancer",
                start=date(2024, 3, 1),
                end=date(2025, 12, 31),
            ),
            FicheSpec(
                "2",
                "2.1",
                "Action réalisée",
                status="réalisée",
                end=date(2023, 12, 31),
                budgets=(BudgetLine("Commune", 2023, 2_000.0, spent=500.0),),
            ),
            FicheSpec(
                "2",
                "2.2",
                "Action abandonnée",
                status="abandonnée",
                budgets=(
                    BudgetLine("Caf", 2022, 1_000.0, spent=1_000.0),
                    BudgetLine("Caf", 2024, 500.0),
                ),
            ),
        ),  # fmt: skip
        history=(StatusChangeSpec("2.2", date(2023, 5, 1), "abandonnée", "en cours"),),
        indicators=(
            ind("1.1", "i1", (10.0, 2022), (30.0, 2026), [(2023, 12.0), (2024, 20.0)]),
            ind("1.1", "i6", (0.0, 2022), (5.0, 2026), [(2025, 3.0)]),
            ind("1.2", "i2", (100.0, 2022), (60.0, 2026), [(2024, 95.0)]),
            ind("2.1", "i3", (5.0, 2022), (5.0, 2026), [(2024, 5.0)]),
            ind("2.1", "i5", (1.0, 2022), (None, None), [(2024, 2.0)]),
            ind("2.2", "i4", (0.0, 2022), (10.0, 2024), [(2023, 2.0)]),
        ),
    )


def test_plan_evaluation_indicators():
    e = ev.evaluate_document(_doc(), 2024)
    i = e.indicators.set_index("indicateur")
    # i1 : (20 − 10)/(30 − 10) = 0,5 ; attendu (2024 − 2022)/(2026 − 2022) = 0,5
    assert i.loc["i1", "part_atteinte"] == pytest.approx(0.5)
    assert i.loc["i1", "statut"] == GOOD
    # i6 : seule valeur en 2025, après l'année évaluée → non renseigné
    assert i.loc["i6", "statut"] == ev.NO_VALUE
    # i2 : baisse 100 → 60 ; 95 en 2024 : 5/40 = 0,125 contre 0,5 → en retard, sens déduit
    assert i.loc["i2", "sens"] == "baisse"
    assert i.loc["i2", "part_atteinte"] == pytest.approx(0.125)
    assert i.loc["i2", "statut"] == LATE
    # i3 : maintien à 5 sans indicateur du catalogue → hausse par défaut, 5 → atteint
    assert i.loc["i3", "sens"] == "hausse" and i.loc["i3", "statut"] == GOOD
    assert i.loc["i5", "statut"] == ev.NOT_EVALUABLE
    assert i.loc["i5", "motif"] == "à compléter : cible, année de la cible"
    assert bool(i.loc["i4", "abandonnee"])
    assert i.loc["i1", "texte"] == "10 (2022) → 20 (2024) ; cible 30 en 2026"


def test_plan_evaluation_fiches_axes_and_whole():
    e = ev.evaluate_document(_doc(), 2024)
    f = e.fiches.set_index("fiche")
    # 1.1 : en cours, échéance 30/06/2023 passée au 31/12/2024 → en retard
    assert f.loc["1.1", "suivi"] == LATE
    assert "échéance du 30/06/2023 dépassée" in f.loc["1.1", "motif"]
    # 1.2 : à lancer, début prévu 01/03/2024 → à surveiller par le calendrier, mais son
    # indicateur i2 est en retard : le pire des deux
    assert f.loc["1.2", "suivi"] == LATE
    assert "pas encore lancée" in f.loc["1.2", "motif"]
    assert f.loc["2.1", "suivi"] == GOOD  # réalisée : le calendrier ne compte plus
    assert f.loc["2.2", "suivi"] == "abandonnée"
    a = e.axes.set_index("axe")
    # axe 1 : i1 0,5 et i2 0,125 → 0,3125 contre 0,5 → −18,75 points → à surveiller
    assert a.loc["1", "part_atteinte"] == pytest.approx(0.3125)
    assert a.loc["1", "statut"] == WATCH
    assert a.loc["1", "n_indicateurs"] == 3 and a.loc["1", "n_evalues"] == 2
    assert a.loc["1", "n_fiches_en_retard"] == 2
    # axe 2 : i4 (fiche abandonnée) laissé de côté ; i3 1,0 contre 1,0 → en bonne voie
    assert a.loc["2", "n_indicateurs"] == 2
    assert a.loc["2", "statut"] == GOOD
    w = e.whole.iloc[0]
    # (0,5 + 0,125 + 1)/3 = 0,5417 contre (0,5 + 0,5 + 1)/3 = 0,6667 → −12,5 points
    assert w["part_atteinte"] == pytest.approx(1.625 / 3)
    assert w["ecart_points"] == pytest.approx(-12.5)
    assert w["statut"] == WATCH


def test_plan_evaluation_budget_and_decisions():
    e = ev.evaluate_document(_doc(), 2024)
    b = e.budget_summary("fiche").set_index("fiche")
    # 1.1 jusqu'en 2024 : 9 000 + 4 000 dépensés sur 20 000 prévus → 65 %
    assert b.loc["1.1", "prevu"] == 20_000 and b.loc["1.1", "taux_execution"] == 0.65
    whole = e.budget_summary(None).iloc[0]
    # 20 000 + 2 000 + 1 500 prévus ; 13 000 + 500 + 1 000 dépensés
    assert whole["prevu"] == 23_500 and whole["depense"] == 14_500
    decisions = e.decisions()
    text = "\n".join(decisions)
    assert "Fiche 1.1 « Action échue » : échéance du 30/06/2023 dépassée" in text
    assert "Fiche 1.2 « Action pas lancée » : début prévu le 01/03/2024" in text
    assert "Indicateur « Indicateur i2 » (fiche 1.2) : 12 % de l'objectif atteint en 2024 " \
        "pour 50 % attendus" in text.replace("\u202f", " ")  # fmt: skip
    assert "Faire saisir la valeur 2024 des indicateurs : « Indicateur i6 » (fiche 1.1)." in text
    assert "« Indicateur i5 » (fiche 2.1 ; à compléter : cible, année de la cible)" in text
    # abandonnée le 01/05/2023 : les 500 € prévus en 2024 sont à réaffecter
    assert "Fiche 2.2 abandonnée : 500\u00a0€ prévus après son abandon" in text
    # 2.1 : 500 / 2 000 = 25 % dépensés
    assert "Fiche 2.1 : 25\u202f% du budget prévu jusqu'en 2024 est dépensé" in text
    assert "i4" not in text  # the abandoned fiche's indicator asks for nothing
    assert e.text().startswith("Évaluation 2024 de la CTG « CTG d'essai » (CTG-T)")


def test_past_year_uses_the_statuses_of_that_time():
    e = ev.evaluate_document(_doc(), 2022)
    f = e.fiches.set_index("fiche")
    # 2.2 abandonnée le 01/05/2023 seulement : fin 2022, son historique n'a pas commencé
    # (« à lancer ») et son indicateur compte encore ; 1.1 sans historique : statut actuel
    assert f.loc["2.2", "statut"] == "à lancer"
    assert f.loc["1.1", "statut"] == "en cours"
    assert not e.indicators["abandonnee"].any()
    assert e.axes.set_index("axe").loc["2", "n_indicateurs"] == 3


def test_default_year_and_year_check():
    assert ev.default_year(_doc()) == 2025  # dernière valeur (2025), dans la période
    assert ev.evaluate_document(_doc()).annee == 2025
    with pytest.raises(TerritoireError, match="Année d'évaluation invalide : « deux »"):
        ev.evaluate_document(_doc(), "deux")


def test_evaluation_charts_build():
    e = ev.evaluate_document(_doc(), 2024)
    for chart in (e.axes_chart(), e.indicators_chart(axe="1"), e.budget_chart("financeur")):
        assert chart.to_dict()["title"]["text"]
    data = e.trajectory_data(fiche="1.1")
    # i1 : référence, 2023, 2024 (réalisé) + référence et cible (attendu) ; i6 : sa valeur
    # 2025 est postérieure à l'année évaluée
    i1 = data[data["indicateur"] == "1.1/i1"]
    assert list(i1.loc[i1["serie"] == "réalisé", "annee"]) == [2022, 2023, 2024]
    assert list(i1.loc[i1["serie"] == "trajectoire attendue", "valeur"]) == [10.0, 30.0]
    assert 2025 not in set(data.loc[data["serie"] == "réalisé", "annee"])


# -- the database and the dashboard (in process) ----------------------------------------------
def test_demo_database_and_dashboard_form(tmp_path):
    from territoire_lib.dashboard.suivi import SuiviApp, parse_value
    from territoire_lib.plan import db, service

    path = tmp_path / "plan.sqlite"
    engine = ev.ensure_demo_database(path)
    ev.ensure_demo_database(path)  # idempotent
    try:
        with db.session_scope(engine=engine) as s:
            assert [c.code for c in service.list_ctgs(s)] == ["CTG-VALMONT-2022"]
        app = SuiviApp(engine, "CTG-VALMONT-2022", 2024)
        app.open_axis("2")
        app.open_fiche("2.1")
        assert app.indicator.value == "enfants_mercredi"
        assert "Valeur enregistrée pour 2024 : 34" in app.current.value
        app.value.value, app.source.value, app.user.value = "trente", "bilan", "Alice"
        assert not app.save_value()
        assert "Valeur réalisée invalide : « trente »" in app.message.value
        # somebody else changes the 2024 value after it was shown: refused, shown
        with db.session_scope(engine=engine, user="Bob") as s:
            ctg = service.get_ctg(s, "CTG-VALMONT-2022")
            ind = service.get_indicator(s, service.get_fiche(s, ctg, "2.1"), "enfants_mercredi")
            service.record_value(s, ind, 2024, 36.0, "bilan Bob", "Bob")
        app.value.value = "37,5"
        assert not app.save_value()
        assert "modifiée par quelqu&#x27;un d&#x27;autre" in app.message.value
        assert "36" in app.current.value and "Bob" in app.current.value
        assert app.save_value()  # seen: the second click replaces it
        with db.session_scope(engine=engine) as s:
            ctg = service.get_ctg(s, "CTG-VALMONT-2022")
            ind = service.get_indicator(s, service.get_fiche(s, ctg, "2.1"), "enfants_mercredi")
            row = next(v for v in ind.values if v.year == 2024)
            assert (row.value, row.entered_by) == (37.5, "Alice")
            trail = service.audit_trail(s, ctg, table="realised_value", row_id=row.id)
            assert list(trail["qui"][:2]) == ["Alice", "Bob"]
        # the page shows the library's evaluation of the stored value: 37,5 / 40 = 94 %
        assert "37,5 (2024)" in app.fiche_html.value
        assert "94\u202f%" in app.fiche_html.value  # (37,5 − 0)/(40 − 0) = 0,9375
        assert parse_value("1 610") == 1610 and parse_value("12,5") == 12.5
    finally:
        db.dispose_engines()
