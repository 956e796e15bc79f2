"""One coverage rate everywhere: places of December N for 100 children under 3 on 1 January
N+1 (Onape method, REPSS Famille indicator 1.4.1), the children estimated from the census and
the births (état civil); the published rate as the headline where the Cnaf publishes it, the
recomputed one beside it, compared like with like.

Every expected value is worked out by hand (in the comment beside it) or recomputed from the
raw demo files with the csv module, independently of the library's code path.
"""

from __future__ import annotations

import csv
import html
import re
from pathlib import Path

import pandas as pd
import pytest

from territoire_lib import scenario as sc
from territoire_lib.batch import key_figures
from territoire_lib.cli import main
from territoire_lib.dataset import DEMO_DIR, load_territory
from territoire_lib.demography import estimate_under3
from territoire_lib.diagnostic import diagnose
from territoire_lib.errors import DataError
from territoire_lib.indicators import compute, indicator_table
from territoire_lib.key_figures import compare_coverage, coverage, headline
from territoire_lib.sources.etat_civil import read_births

EPCI = "296000011"
HEADER = "EC_MEASURE;FREQ;GEO;GEO_OBJECT;OBS_STATUS;TIME_PERIOD;OBS_VALUE"


def write(tmp_path: Path, lines: list[str], name: str = "DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def demo():
    return load_territory("demo")


# -- the births loader (real Insee Melodi format) ------------------------------------------------
def test_births_are_read_in_the_published_format(tmp_path):
    path = write(
        tmp_path,
        [
            HEADER,
            "LVB;A;01001;COM;A;2022;9",
            "LVB;A;01001;COM;P;2023;7",
            "LVB;A;75101;ARM;A;2023;120",  # Paris 1er and 2e: added into Paris (75056)
            "LVB;A;75102;ARM;A;2023;130",
            "LVB;A;01;DEP;A;2023;6500",  # a département row: the communes are summed instead
            "DTH;A;01001;COM;A;2023;4",  # another measure (deaths): left out
        ],
    )
    obs, report = read_births(path, known_communes={"01001", "75056"})
    got = {(r.commune, r.annee): r.valeur for r in obs.itertuples()}
    # 75101 + 75102 = 120 + 130 = 250 births in Paris in 2023
    assert got == {("01001", 2022): 9.0, ("01001", 2023): 7.0, ("75056", 2023): 250.0}
    assert set(obs["variable"]) == {"naissances"} and set(obs["statut"]) == {"publie"}
    assert report.rows_read == 6 and report.rows_dropped == 2
    assert any("provisoire" in n for n in report.notes)  # 2023 is OBS_STATUS=P
    assert report.unmatched_codes == []


def test_columns_are_found_by_name_in_any_order(tmp_path):
    path = write(
        tmp_path, ["GEO;GEO_OBJECT;TIME_PERIOD;OBS_VALUE;EC_MEASURE", "2A004;COM;2021;3;LVB"]
    )
    obs, _ = read_births(path)
    assert obs[["commune", "annee", "valeur"]].values.tolist() == [["2A004", 2021, 3.0]]


def test_births_errors_name_file_line_and_column_in_french(tmp_path):
    path = write(
        tmp_path,
        [
            HEADER,
            "LVB;A;1001;COM;A;2022;9",  # line 2: lost leading zero
            "LVB;A;01002;COM;A;22;4",  # line 3: a 2-digit year
            "LVB;A;01003;COM;A;2022;4,5",  # line 4: not a whole number
            "LVB;A;01004;COM;A;2022;-1",  # line 5: negative
            "LVB;A;01005;COM;A;2022;1",
            "LVB;A;01005;COM;A;2022;2",  # line 7: the same commune-year again
        ],
    )
    with pytest.raises(DataError) as err:
        read_births(path)
    msg = str(err.value)
    name = "fichier « DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv »"
    assert (
        f"{name}, ligne 2, colonne « GEO » : trouvé « 1001 » (le zéro initial a disparu : 01001 ?)"
        in msg
    )
    assert (
        f"{name}, ligne 3, colonne « TIME_PERIOD » : trouvé « 22 » ; attendu une année sur 4 chiffres"
        in msg
    )
    assert f"{name}, ligne 4, colonne « OBS_VALUE » : trouvé « 4,5 »" in msg
    assert (
        f"{name}, ligne 5, colonne « OBS_VALUE » : trouvé « -1 » ; attendu un effectif positif ou nul"
        in msg
    )
    assert f"{name}, ligne 7, colonne « GEO »" in msg and "en double (déjà ligne 6)" in msg


def test_births_file_without_a_column_or_resaved_with_commas(tmp_path):
    path = write(tmp_path, ["EC_MEASURE;GEO;GEO_OBJECT;TIME_PERIOD", "LVB;01001;COM;2022"])
    with pytest.raises(DataError) as err:
        read_births(path)
    assert "ligne 1, colonne « OBS_VALUE » : trouvé aucune colonne « OBS_VALUE »" in str(err.value)
    # resaved by a spreadsheet with « , »: read as it is (the shared reader detects it)
    path = write(tmp_path, [HEADER.replace(";", ","), "LVB,A,01001,COM,A,2022,9"], "b.csv")
    obs, _ = read_births(path)
    assert obs[["commune", "annee", "valeur"]].values.tolist() == [["01001", 2022, 9.0]]


# -- the children under 3 on 1 January, by hand ---------------------------------------------------
def _history() -> tuple[pd.DataFrame, pd.Series]:
    """Three communes of one EPCI: censuses 2019-2021 (1 January), births 2016-2023 for two."""
    rows = []
    census = {"90001": (300, 290, 285), "90002": (30, 33, 30), "90003": (100, 100, 100)}
    for c, values in census.items():
        for year, v in zip((2019, 2020, 2021), values, strict=True):
            for var in ("pop_0_2", "pop_3_5", "pop_6_10"):
                rows.append((c, year, var, float(v), "publie"))
    births = {"90001": (100, 98, 104, 96, 94, 95, 92, 90), "90002": (10, 11, 10, 11, 12, 10, 9, 11)}
    for c, values in births.items():
        for year, v in zip(range(2016, 2024), values, strict=True):
            rows.append((c, year, "naissances", float(v), "publie"))
    history = pd.DataFrame(rows, columns=["commune", "annee", "variable", "valeur", "statut"])
    return history, pd.Series("200000001", index=list(census))


def test_children_on_1_january_from_the_births_by_hand():
    history, epci = _history()
    obs, report = estimate_under3(history, epci, [2021, 2022, 2024], shrinkage=0)
    got = {(r.commune, r.annee): (r.valeur, r.statut) for r in obs.itertuples()}
    # 1 January 2021 is a census date: the census itself
    assert got[("90001", 2021)] == (285.0, "publie")
    # factor of 90001 (ratio of sums over the censuses): children 300 + 290 + 285 = 875 over
    # the births of the three years before each census (2016-2018: 302; 2017-2019: 298;
    # 2018-2020: 294) = 894 → f = 875 / 894 = 0.97875
    f1 = 875 / 894
    # 1 January 2024: births 2021 + 2022 + 2023 = 95 + 92 + 90 = 277 → 0.97875 × 277 = 271.11
    assert got[("90001", 2024)][0] == pytest.approx(f1 * 277) == pytest.approx(271.113, abs=1e-3)
    assert got[("90001", 2024)][1] == "estime"
    # 1 January 2022: births 2019 + 2020 + 2021 = 96 + 94 + 95 = 285 → 278.94
    assert got[("90001", 2022)][0] == pytest.approx(f1 * 285)
    # 90002: (30 + 33 + 30) / (31 + 32 + 33) = 93 / 96 = 0.96875; × (10 + 9 + 11) = 29.0625
    assert got[("90002", 2024)][0] == pytest.approx(29.0625)
    # 90003 has no births: its constant census trend (growth 0) keeps 100
    assert got[("90003", 2024)] == (100.0, "estime")
    assert "1er janvier 2024 : 2 naissances × facteur, 1 tendance (communes)." in report.notes


def test_small_commune_factor_is_brought_towards_the_epci():
    history, epci = _history()
    obs, _ = estimate_under3(history, epci, [2024])  # default: k = 100 children
    got = obs.set_index("commune")["valeur"]
    # 90002: n = mean children 93 / 3 = 31, weight 31 / (31 + 100) = 0.23664; EPCI factor
    # (875 + 93) / (894 + 96) = 968 / 990 = 0.97778 (90003 has no births: left out);
    # f = 0.23664 × 0.96875 + 0.76336 × 0.97778 = 0.97564 → × 30 = 29.269
    w = 31 / 131
    f2 = w * 93 / 96 + (1 - w) * 968 / 990
    assert got["90002"] == pytest.approx(f2 * 30) == pytest.approx(29.2692, abs=1e-4)
    # 90001: n = 875 / 3 = 291.67, weight 0.74468: f = 0.97850 → × 277 = 271.044
    w = (875 / 3) / (875 / 3 + 100)
    assert got["90001"] == pytest.approx((w * 875 / 894 + (1 - w) * 968 / 990) * 277)


def test_rate_of_an_epci_is_places_over_children_of_the_next_january():
    from territoire_lib.dataset import Territory
    from territoire_lib.geo import Geography

    history, epci = _history()
    estimates, _ = estimate_under3(history, epci, [2024], shrinkage=0)
    places = pd.DataFrame(
        {
            "commune": ["90001", "90002", "90003"],
            "annee": 2023,
            "variable": "places_total",
            "valeur": [150.0, 20.0, 60.0],
            "statut": "publie",
        }
    )
    geo = Geography(
        communes=pd.DataFrame(
            {
                "code": ["90001", "90002", "90003"],
                "nom": ["A", "B", "C"],
                "departement": "90",
                "region": "27",
                "epci": "200000001",
                "population": [9000, 1000, 3000],
            }
        ),
        epcis=pd.DataFrame({"code": ["200000001"], "nom": ["CC Test"], "nature": ["CC"]}),
        departements=pd.DataFrame({"code": ["90"], "nom": ["Test"], "region": ["27"]}),
        regions=pd.DataFrame({"code": ["27"], "nom": ["Test"]}),
    )
    refs = pd.DataFrame(
        {"niveau": ["epci"], "code": ["200000001"], "annee": [2023],
         "variable": ["taux_couverture_publie"], "valeur": [57.0]}
    )  # fmt: skip
    t = Territory(
        name="Test", fictional=True, geography=geo,
        observations=pd.concat([history, estimates, places], ignore_index=True),
        references=refs, qpv=pd.DataFrame(columns=["commune", "code_qp", "lib_qp"]),
        zonages=pd.DataFrame({"commune": ["90001", "90002", "90003"], "qpv": 0, "frr": "non"}),
        contours=None,
    )  # fmt: skip
    # recomputed: (150 + 20 + 60) / (271.113 + 29.0625 + 100) × 100 = 230 / 400.1755 = 57.475
    children = 875 / 894 * 277 + 29.0625 + 100
    rate = 230 / children * 100
    assert rate == pytest.approx(57.4748, abs=1e-4)
    row = compute(t, "epci", ["taux_couverture_global"]).iloc[0]
    assert row["valeur"] == pytest.approx(rate) and row["annee_denominateur"] == 2024
    # the published 57.0 is the headline, the recomputed 57.47 beside it
    table = indicator_table(t, "200000001").set_index("indicateur").loc["taux_couverture_global"]
    assert table["valeur"] == 57.0 and table["source_valeur"] == "publiée"
    assert table["valeur_calculee"] == pytest.approx(rate)
    cov = coverage(t, "200000001").set_index("annee").loc[2023]
    assert cov["taux"] == pytest.approx(rate) and cov["taux_publie"] == 57.0
    value, source = headline([57.0, float("nan")], [rate, rate])
    assert value.tolist() == [57.0, pytest.approx(rate)]
    assert source.tolist() == ["publiée", "calculée"]


# -- the demo: the figure recomputed from the raw files ------------------------------------------
def _rows(name: str) -> list[dict]:
    with open(DEMO_DIR / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


def _members(epci: str) -> list[str]:
    import openpyxl

    wb = openpyxl.load_workbook(DEMO_DIR / "Intercommunalite_Metropole_au_01-01-2024.xlsx")
    rows = list(wb["Composition_communale"].iter_rows(values_only=True))
    header = list(rows[5])  # 5 label rows above the header, as the Insee ships it
    return [r[header.index("CODGEO")] for r in rows[6:] if r[header.index("EPCI")] == epci]


def test_demo_epci_rate_2023_from_the_raw_files(demo):
    """CA de Valmont-sur-Loue, December 2023: the published 61.3 (txcouv_pe_epci.csv) and the
    rate recomputed from the census files, the births file and the places file with the
    csv module (the method of the catalogue definition, written out plainly)."""
    members = _members(EPCI)
    census = {}  # commune → year → children 0-2 on 1 January (IRIS summed)
    for year in range(2017, 2022):
        for r in _rows(f"base-ic-evol-struct-pop-{year}.csv"):
            if r["COM"] in members:
                y = census.setdefault(r["COM"], {})
                y[year] = y.get(year, 0.0) + float(r[f"P{year % 100}_POP0002"])
    births = {}
    for r in _rows("DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv"):
        if r["GEO_OBJECT"] == "COM" and r["EC_MEASURE"] == "LVB" and r["GEO"] in members:
            births.setdefault(r["GEO"], {})[int(r["TIME_PERIOD"])] = float(r["OBS_VALUE"])
    num = {c: sum(census[c].values()) for c in members}
    den = {c: sum(births[c][y - k] for y in census[c] for k in (1, 2, 3)) for c in members}
    group = sum(num.values()) / sum(den.values())  # the EPCI's factor (ratio of sums)
    children = 0.0
    for c in members:
        n = num[c] / len(census[c])  # mean children of the commune
        w = n / (n + 100)  # shrinkage towards the EPCI, k = 100 children
        f = min(max(w * num[c] / den[c] + (1 - w) * group, 0.7), 1.3)
        children += f * (births[c][2021] + births[c][2022] + births[c][2023])
    places = next(
        float(r["tot_offre_epci"])
        for r in _rows("nbpla_pe_epci.csv")
        if r["numepci"] == EPCI and r["annee"] == "2023"
    )
    published = next(
        float(r["txcouv_epci"])
        for r in _rows("txcouv_pe_epci.csv")
        if r["numepci"] == EPCI and r["annee"] == "2023"
    )
    # 2 102 places / 3 424.08 children × 100 = 61.39; published: 61.3
    assert places == 2102 and published == 61.3
    assert children == pytest.approx(3424.08, abs=0.01)
    expected = 100 * places / children
    assert expected == pytest.approx(61.39, abs=0.005)
    row = compute(demo, "epci", ["taux_couverture_global"])
    row = row[(row["territoire"] == EPCI) & (row["annee"] == 2023)].iloc[0]
    assert row["valeur"] == pytest.approx(expected, rel=1e-9)
    # before the fix: 2 102 / 3 481.32 children of the 2021 census = 60.38 (« 60,4 ») and the
    # scenarios' 2 102 / 3 464.47 projected children of 1 January 2023 = 60.67 (« 60,7 »)
    census_2021 = sum(census[c][2021] for c in members)
    assert 100 * places / census_2021 == pytest.approx(60.38, abs=0.005)


def test_published_headline_and_recomputed_beside_it(demo):
    """The indicator table every entry point starts from: the published 61,3 as the headline,
    the recomputed 61,4 beside it, each compared like with like."""
    expected = compute(demo, "epci", ["taux_couverture_global"])
    recomputed = float(
        expected[(expected["territoire"] == EPCI) & (expected["annee"] == 2023)]["valeur"].iloc[0]
    )
    assert round(recomputed, 1) == 61.4
    published = 61.3  # txcouv_pe_epci.csv, 2023

    # indicator table (CLI, notebook, dashboard all start from it)
    row = indicator_table(demo, EPCI, 2023).set_index("indicateur").loc["taux_couverture_global"]
    assert row["valeur"] == published and row["source_valeur"] == "publiée"
    assert row["valeur_calculee"] == pytest.approx(recomputed, rel=1e-12)
    assert row["annee_denominateur"] == 2024
    # like with like: published département 61.8 (txcouv_pe_dep.csv), gap −0.5 point
    assert row["valeur_departement"] == 61.8 and row["source_departement"] == "publiée"
    assert row["ecart_departement"] == pytest.approx(61.3 - 61.8)
    # recomputed beside it, compared with the recomputed département (61.92)
    dep = compute(demo, "departement", ["taux_couverture_global"])
    dep = float(dep[dep["annee"] == 2023]["valeur"].iloc[0])
    assert row["valeur_departement_calculee"] == pytest.approx(dep)
    assert row["ecart_departement_calcule"] == pytest.approx(recomputed - dep)


def test_one_figure_cli_notebook_scenario_dashboard_batch(demo, capsys):
    """CLI, notebook 01 (the library calls it makes), scenario base year, dashboard and batch
    give the same figures for the EPCI in 2023: published 61,3, recomputed 61,4."""
    recomputed = (
        indicator_table(demo, EPCI, 2023)
        .set_index("indicateur")
        .loc["taux_couverture_global", "valeur_calculee"]
    )
    # CLI: the row shows the headline and the recomputed value
    assert main(["indicateurs", EPCI, "--annee", "2023", "--source", "demo"]) == 0
    line = next(
        ln for ln in capsys.readouterr().out.splitlines()
        if ln.startswith("Taux de couverture global")
    )  # fmt: skip
    assert re.search(r"2023\s+61,3\s+61,4\s+61,8\s+60,9\s+-0,5", line), line

    # notebook 01: diagnose(load_territory(source), territoire, annee), then print(diag.resume)
    # and the petite enfance table
    diag = diagnose(load_territory("demo"), EPCI, 2023)
    assert "Taux de couverture global en 2023 : 61,3 places pour 100 enfants" in diag.resume
    assert "Taux recalculé par l'outil : 61,4" in diag.resume
    pe = diag.theme_table("petite_enfance").loc["Taux de couverture global"]
    assert (pe["Valeur"], pe["Valeur recalculée"]) == ("61,3", "61,4")
    sentence = compare_coverage(demo, EPCI, 2023).sentence("CA")
    assert "61,3" in sentence and "Taux recalculé par l'outil : 61,4" in sentence

    # the scenarios' base year: the same recomputed rate (the same children)
    doc = {"nom": "x", "territoire": EPCI, "annee_base": 2023, "horizon": [2024, 2026],
           "leviers": []}  # fmt: skip
    res = sc.simulate(demo, sc.Scenario.from_dict(doc))
    assert res.indicateurs()["taux_couverture_debut"] == pytest.approx(recomputed, rel=1e-12)
    assert any("61,3 publié par la Cnaf, 61,4 recalculé" in n for n in res.notes)

    # the dashboard's petite enfance card
    from territoire_lib.dashboard import create_app

    app = create_app("demo", territoire=EPCI)
    app.tabs.selected_index = app.keys.index("petite-enfance")
    cards = app.themes[0].cards.value
    card = re.search(r'id="carte-taux_couverture_global".*?</div></div>', cards, re.S).group(0)
    text = html.unescape(re.sub(r"<[^>]+>", " ", card))
    assert "61,3 places pour 100 enfants" in text
    assert "Recalculé : 61,4 places pour 100 enfants (enfants au 1er janvier 2024)" in text
    assert "Méthode du taux de couverture" in cards

    # the batch's key figures
    fig = key_figures(demo, [(EPCI, "epci")], 2023)[EPCI]["taux_couverture_global"]
    assert fig["valeur"] == 61.3 and fig["source"] == "publiée"
    assert fig["valeur_calculee"] == pytest.approx(recomputed, rel=1e-12)


def test_recomputed_headline_where_the_cnaf_publishes_nothing(demo):
    # a CTG perimeter: no published rate; the recomputed one is compared with the recomputed
    # département, never with the published France
    row = (
        indicator_table(demo, "CTG-VALMONT-COEUR", 2023)
        .set_index("indicateur")
        .loc["taux_couverture_global"]
    )
    dep = compute(demo, "departement", ["taux_couverture_global"])
    dep = dep[dep["annee"] == 2023]["valeur"].iloc[0]
    assert row["source_valeur"] == "calculée" and pd.isna(row["valeur_publiee"])
    assert (
        row["valeur_departement"] == pytest.approx(dep) and row["source_departement"] == "calculée"
    )
    assert pd.isna(row["ecart_france"]) and not pd.isna(row["valeur_france"])
    # the census date 1 January 2021 is the 2020 denominator: 2 034 places of the EPCI over
    # its 3 481.32 children of the 2021 census = 58.43, and the Cnaf published 58.4
    cov = coverage(demo, EPCI).set_index("annee").loc[2020]
    assert cov["annee_enfants"] == 2021 and cov["taux"] == pytest.approx(58.426, abs=1e-3)
    assert cov["taux_publie"] == 58.4
