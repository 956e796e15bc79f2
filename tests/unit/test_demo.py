"""The fictional demo département: determinism, realism, real formats, read back by loaders."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
import yaml

from territoire_lib import demo
from territoire_lib.cli import main as cli_main

BOM = b"\xef\xbb\xbf"
CAF_COUNT_FILES = ("s_ben_com_f.csv", "ndur_s_qf_400_com_f.csv", "rsa_s_type_com_f.csv")
BOM_FILES = (
    *CAF_COUNT_FILES,
    *(f"{k}_pe_{lv}.csv" for k in ("txcouv", "nbpla") for lv in ("com", "epci", "dep", "nat")),
    "FILO2021_DISP_COM.csv",
    "FILO2021_DISP_PAUVRES_COM.csv",
    "listeqp2024-cog2024.csv",
)


@pytest.fixture(scope="module")
def model() -> demo.DemoModel:
    return demo.build_model()


@pytest.fixture(scope="module")
def files(model) -> dict[str, bytes]:
    return demo.build_demo_files(model)


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("demo") / "demo"
    demo.generate_demo(target)
    return target


def _table(data: bytes, sep: str = ";") -> pd.DataFrame:
    text = data.decode("utf-8-sig")
    return pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)


def _rows(data: bytes, sep: str = ";") -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=sep))


# -- determinism -------------------------------------------------------------------------------


def test_generating_twice_gives_identical_bytes(tmp_path):
    first = demo.generate_demo(tmp_path / "a")
    second = demo.generate_demo(tmp_path / "b")
    assert [p.name for p in first] == [p.name for p in second]
    # 28 files + the births (état civil), the populations légales, the QPV level of Cafdata,
    # the QPV income (Insee) and the DREES accueils collectifs de mineurs
    assert len(first) == 33
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
    # the xlsx is among them (zip timestamps and document properties are fixed)
    assert (tmp_path / "a" / demo.EPCI_FILE).read_bytes()[:2] == b"PK"
    # nothing left behind next to the targets (temporary folder removed)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "b"]


def test_committed_demo_equals_regenerated_files(files):
    for name, data in files.items():
        committed = demo.DEMO_DIR / name
        assert committed.exists(), f"{name} absent de data/demo : lancer « territoire demo »"
        assert committed.read_bytes() == data, f"{name} diffère : lancer « territoire demo »"


def test_generation_keeps_other_files_and_replaces_its_own(tmp_path):
    target = tmp_path / "demo"
    target.mkdir()
    (target / "notes.txt").write_text("à garder", encoding="utf-8")
    (target / demo.COG_FILE).write_text("ancien", encoding="utf-8")
    demo.generate_demo(target)
    assert (target / "notes.txt").read_text(encoding="utf-8") == "à garder"
    assert (target / demo.COG_FILE).read_bytes().startswith(b"TYPECOM,COM,")


# -- small helpers, worked out by hand ---------------------------------------------------------


def test_round5_and_siren_key_and_cog_names():
    # nearest multiple of 5, half up: 7 -> 5, 12 -> 10, 12.5 -> 15, 2.4 -> 0
    assert demo._round5([7, 12, 12.5, 2.4]).tolist() == [5, 10, 15, 0]
    # Luhn on 29600001k: doubled from the right 1->2, 0, 0, 9->18->9; others 0, 6, 2:
    # 2 + 9 + 6 + 2 = 19, so k = 1
    assert demo._luhn_siren("29600001") == "296000011"
    assert demo._cog_names("Les Essarts-de-Loue") == ("4", "ESSARTS DE LOUE", "Essarts-de-Loue")
    assert demo._cog_names("Épinay-le-Sec") == ("1", "EPINAY LE SEC", "Épinay-le-Sec")
    assert demo._cog_names("Saint-Romain-d'Arvèze") == ("0", "SAINT ROMAIN D ARVEZE",
                                                         "Saint-Romain-d'Arvèze")  # fmt: skip


# -- realism -----------------------------------------------------------------------------------


def test_geography_is_realistic(model):
    c = model.communes
    pop = model.commune_years.query("annee == 2021").set_index("commune")["pop_totale"]
    assert 110 <= len(c) <= 130
    assert c["code"].str.fullmatch(r"96\d{3}").all() and c["code"].is_unique
    assert model.epcis["code"].str.fullmatch(r"2960000\d{2}").all()
    assert len(model.epcis) == 5 and sorted(model.epcis["nature"]) == ["CA", "CC", "CC", "CC", "CC"]
    assert (pop < 2000).mean() > 0.6
    assert 40_000 <= pop.iloc[0] <= 60_000  # the city, 96001
    assert 180_000 <= pop.sum() <= 250_000
    assert 2 <= ((pop > 10_000) & (pop < 15_000)).sum() <= 3


def test_children_under_3_are_about_3_percent(model):
    cy = model.commune_years
    share = cy["pop_0_2"] / cy["pop_totale"] * 100
    assert share.between(2, 4).all()
    assert 2.8 <= cy["pop_0_2"].sum() / cy["pop_totale"].sum() * 100 <= 3.3


def test_coverage_per_commune_between_30_and_90(model):
    p = model.places
    coverage = p["total"] / p["pop_0_2"] * 100
    assert coverage.between(30, 90).all()
    assert sorted(p["annee"].unique()) == list(demo.PE_YEARS)
    modes = p[["psu_col", "hors_psu_col", "prescol", "am_ind", "gad_ind"]]
    assert (modes >= 0).all().all()
    np.testing.assert_allclose(modes.sum(axis=1), p["total"], atol=1e-4)


def test_published_poverty_between_8_and_30(files):
    pauvres = _table(files["FILO2021_DISP_PAUVRES_COM.csv"])
    published = pd.to_numeric(pauvres["TP6021"], errors="coerce").dropna()
    assert len(published) >= 10  # the city, the towns and the bigger villages
    assert published.between(8, 30).all()
    assert set(pauvres["TP6021"][pd.to_numeric(pauvres["TP6021"], errors="coerce").isna()]) == {
        "s",
        "nd",
    }


def test_five_years_of_history(files):
    names = [f"base-ic-evol-struct-pop-{y}.csv" for y in range(2017, 2022)]
    for name, year in zip(names, range(2017, 2022), strict=True):
        header = files[name].decode("utf-8").split("\n", 1)[0].split(";")
        assert f"P{year % 100}_POP0002" in header
    caf = _table(files["s_ben_com_f.csv"])
    assert sorted(caf["dtreffre"].unique()) == [f"{y}-12" for y in range(2020, 2025)]
    rates = _table(files["txcouv_pe_epci.csv"])
    assert sorted(rates["annee"].unique()) == [str(y) for y in range(2019, 2024)]


# -- real formats ------------------------------------------------------------------------------


def test_bom_only_where_the_publisher_puts_one(files):
    for name in BOM_FILES:
        assert files[name].startswith(BOM), name
    for name in ("v_commune_2024.csv", "base-ic-evol-struct-pop-2021.csv", "TAUXCOUV2021.csv",
                 "frr_communes.csv", "DS_FILOSOFI_CC_2023_data.csv"):  # fmt: skip
        assert not files[name].startswith(BOM), name


def test_every_cafdata_count_is_a_multiple_of_5(files):
    for name in CAF_COUNT_FILES:
        frame = _table(files[name])
        counts = [c for c in frame.columns if c.startswith(("indfoy_", "indnbp_"))]
        assert counts, name
        values = frame[counts].astype(int).to_numpy()
        assert (values % 5 == 0).all(), name
        amounts = [c for c in frame.columns if c.startswith("indmtt_")]
        assert (frame[amounts].astype(int).to_numpy() % 100 == 0).all(), name


def test_cafdata_counts_are_consistent(files):
    sben = _table(files["s_ben_com_f.csv"])
    sben = sben[sben["numcomdo"] != ""].set_index(["dtreffre", "numcomdo"])
    qf = _table(files["ndur_s_qf_400_com_f.csv"])
    assert list(qf["qf_400"].unique()) == [
        "Moins de 400 euros",
        "Entre 400 et 799 euros",
        "Entre 800 et 1199 euros",
        "Entre 1200 et 1599 euros",
        "Entre 1600 et 1999 euros",
        "Entre 2000 et 3999 euros",
        "4000 euros ou plus",
        "Inconnu",
    ]
    bands = qf.assign(n=qf["indfoy_ndur"].astype(int)).groupby(["dtreffre", "numcomdo"])["n"].sum()
    # 8 bands each rounded by at most 2.5, plus 2.5 on the total: at most 22.5 apart
    gap = (bands - sben["indfoy_ndur"].astype(int)).abs()
    assert gap.max() <= 22.5
    rsa = _table(files["rsa_s_type_com_f.csv"])
    assert set(rsa["rsa_type"]) == {"RSA majoré", "RSA non majoré"}
    types = rsa.assign(n=rsa["indfoy_rsa"].astype(int)).groupby(["dtreffre", "numcomdo"])["n"].sum()
    assert (types - sben["indfoy_rsa"].astype(int)).abs().max() <= 7.5


def test_placeholder_and_secret_rows(files):
    sben = _table(files["s_ben_com_f.csv"])
    empty = sben[sben["numcomdo"] == ""]
    assert sorted(empty["dtreffre"]) == [f"{y}-12" for y in range(2020, 2025)]
    epci = _table(files["txcouv_pe_epci.csv"])
    xx = epci[epci["numepci"] == "XX"]
    assert len(xx) == 5 and "195.8" in set(xx["txcouv_epci"])
    legacy = _rows(files["TAUXCOUV2021.csv"])
    assert [r[0] for r in legacy[1:3]] == ["99999", "XXXXX"]
    cog = _table(files["v_commune_2024.csv"], sep=",")
    assert (cog["TYPECOM"] == "COMD").sum() == 2
    assert set(cog.loc[cog["TYPECOM"] == "COMD", "COMPARENT"]) == {"96047"}
    disp = _table(files["FILO2021_DISP_COM.csv"])
    assert {"s", "nd"} <= set(disp["Q121"]) | set(disp["Q221"])
    long = _table(files["DS_FILOSOFI_CC_2023_data.csv"])
    secret = long[long["CONF_STATUS"] == "C"]
    assert len(secret) > 0 and (secret["OBS_VALUE"] == "").all()
    assert set(long["GEO_OBJECT"]) == {"COM", "EPCI", "DEP"}
    qpv = _table(files["listeqp2024-cog2024.csv"])
    assert qpv["code_qp"].str.fullmatch(r"QN096\d{2}M").all()
    assert "96001, 96002" in set(qpv["insee_com"])


def test_headers_are_the_real_ones(files):
    def header(name: str, sep: str = ";") -> list[str]:
        return _rows(files[name], sep)[0]

    assert header("v_commune_2024.csv", ",") == [
        "TYPECOM", "COM", "REG", "DEP", "CTCD", "ARR", "TNCC", "NCC", "NCCENR", "LIBELLE",
        "CAN", "COMPARENT",
    ]  # fmt: skip
    assert header("DS_FILOSOFI_CC_2023_data.csv") == [
        "GEO", "GEO_OBJECT", "FILOSOFI_MEASURE", "UNIT_MEASURE", "UNIT_MULT", "CONF_STATUS",
        "OBS_STATUS", "TIME_PERIOD", "OBS_VALUE",
    ]  # fmt: skip
    assert header("TAUXCOUV2021.csv") == [
        "NUM_COM", "NOM_COM", "NUM_EPCI", "NOM_EPCI", "NUMZEMPL", "NOMZEMPL", "tauxcouv_com",
        "tauxcouv_epci", "tauxcouv_dep", "tauxcouv_reg", "tauxcouv_fe",
    ]  # fmt: skip
    rp = header("base-ic-evol-struct-pop-2021.csv")
    assert rp[:12] == [
        "IRIS", "REG", "DEP", "UU2020", "COM", "LIBCOM", "TRIRIS", "GRD_QUART", "LIBIRIS",
        "TYP_IRIS", "MODIF_IRIS", "LAB_IRIS",
    ]  # fmt: skip
    for group in ("0002", "0305", "0610", "1117", "1824", "2539", "4054", "5564", "6579", "80P",
                  "0014", "1529", "3044", "4559", "6074", "75P", "0019", "2064", "65P"):  # fmt: skip
        assert f"P21_POP{group}" in rp
    assert header("txcouv_pe_com.csv")[-1] == "txcouv_com"
    assert header("nbpla_pe_epci.csv")[-1] == "tot_offre_epci"
    assert header("frr_communes.csv") == ["CODGEO", "LIBGEO", "FRR"]


def test_iris_counts_are_weighted_floats_and_sum_to_communes(files, model):
    rp = _table(files["base-ic-evol-struct-pop-2021.csv"])
    assert rp["IRIS"].str.len().eq(9).all()
    city = rp[rp["COM"] == "96001"]
    assert len(city) == 10 and city["IRIS"].str.endswith("0000").sum() == 0
    others = rp[rp["COM"] != "96001"]
    assert (others["IRIS"] == others["COM"] + "0000").all()
    assert rp["P21_POP"].str.contains(r"\.\d{3,}").mean() > 0.9  # not integers
    total = pd.to_numeric(rp["P21_POP"]).groupby(rp["COM"]).sum()
    expected = model.commune_years.query("annee == 2021").set_index("commune")["pop_totale"]
    np.testing.assert_allclose(total.loc[expected.index], expected, rtol=1e-8)


def test_early_childhood_files_match_the_internal_places(files, model):
    p = model.places.merge(
        model.communes[["code", "epci"]].rename(columns={"code": "commune"}), on="commune"
    )
    internal = p.groupby(["epci", "annee"])[["total", "pop_0_2"]].sum()
    cy = model.commune_years.merge(
        model.communes[["code", "epci"]].rename(columns={"code": "commune"}), on="commune"
    )
    next_january = cy.groupby(["epci", "annee"])["pop_0_2"].sum()
    places = _table(files["nbpla_pe_epci.csv"])
    rates = _table(files["txcouv_pe_epci.csv"])
    places = places[places["numepci"] != "XX"].set_index(["numepci", "annee"])
    rates = rates[rates["numepci"] != "XX"].set_index(["numepci", "annee"])
    for (epci, annee), row in internal.iterrows():
        published = int(places.loc[(epci, str(annee)), "tot_offre_epci"])
        # five modes each rounded to the unit: at most 2.5 places apart
        assert abs(published - row["total"]) <= 2.5
        rate = float(rates.loc[(epci, str(annee)), "txcouv_epci"])
        # Onape method: places of December N over the children under 3 on 1 January N+1
        kids = next_january.loc[(epci, annee + 1)]
        assert rate == pytest.approx(round(published / kids * 100, 1), abs=0.051)
    com = _table(files["txcouv_pe_com.csv"])
    assert sorted(com["numcom"].unique()) == ["96001", "96002", "96021"]
    nat = _table(files["txcouv_pe_nat.csv"]).set_index("annee")["txcouv_nat"]
    assert nat.to_dict() == {
        "2019-01-01": "59.1",
        "2020-01-01": "58.8",
        "2021-01-01": "59.2",
        "2022-01-01": "59.5",
        "2023-01-01": "60.9",
    }
    assert set(_table(files["txcouv_pe_nat.csv"])["national"]) == {"FRANCE ENTIERE HORS MAYOTTE"}


def test_xlsx_has_five_label_rows_above_the_header(folder):
    path = folder / demo.EPCI_FILE
    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Composition_communale", "EPCI"]
    rows = list(wb["Composition_communale"].iter_rows(values_only=True))
    assert rows[5] == ("CODGEO", "LIBGEO", "EPCI", "LIBEPCI", "DEP", "REG")
    assert "fictives" in rows[1][0]
    epci = pd.read_excel(path, sheet_name="EPCI", skiprows=5, dtype={"EPCI": str})
    assert list(epci.columns) == ["EPCI", "LIBEPCI", "NATURE_EPCI", "NB_COM"]
    assert epci["NB_COM"].sum() == 120
    wb.close()


def test_geojson_tiles_the_departement(files, model):
    shapely = pytest.importorskip("shapely")
    from shapely.geometry import shape
    from shapely.ops import unary_union

    data = json.loads(files[demo.GEOJSON_FILE])
    feats = data["features"]
    assert sorted(f["properties"]["code"] for f in feats) == sorted(model.communes["code"])
    assert all(set(f["properties"]) == {"code", "nom"} for f in feats)
    shapes = {f["properties"]["code"]: shape(f["geometry"]) for f in feats}
    assert all(s.is_valid and s.exterior.is_ccw for s in shapes.values())
    text = files[demo.GEOJSON_FILE].decode("utf-8")
    assert not re.search(r"\d\.\d{6,}", text)  # 5 decimals at most
    whole = unary_union(list(shapes.values()))
    assert whole.geom_type == "Polygon" and not whole.interiors  # no gap between communes
    for _, group in model.communes.groupby("epci"):
        block = unary_union([shapes[c] for c in group["code"]])
        assert block.geom_type == "Polygon"  # each EPCI is one contiguous block
    assert shapes["96001"].area > 2.5 * shapes["96003"].area  # the city is a bigger cell
    assert shapely.__version__


def test_manifest_and_readme(files, model):
    manifest = yaml.safe_load(files[demo.MANIFEST_FILE].decode("utf-8"))
    assert manifest["fictif"] is True and manifest["departements"] == ["96"]
    assert "fictif" in manifest["nom"]
    mentioned = json.dumps(manifest["fichiers"], ensure_ascii=False)
    for name in files:
        if name not in (demo.MANIFEST_FILE, demo.README_FILE):
            assert name in mentioned, name
    codes = set(model.communes["code"])
    epci_of = model.communes.set_index("code")["epci"]
    spans = []
    for spec in manifest["perimetres"].values():
        assert set(spec["communes"]) <= codes
        spans.append(epci_of.loc[spec["communes"]].nunique())
    assert max(spans) >= 2
    readme = files[demo.README_FILE].decode("utf-8")
    assert "Données fictives" in readme and "territoire demo" in readme
    assert "interpolés" in readme


def test_frr_list(files):
    frr = _table(files["frr_communes.csv"])
    counts = frr["FRR"].value_counts().to_dict()
    assert counts == {"FRR": 31, "FRR+": 5, "Bénéficiaire": 3, "Partiellement classée": 1}
    assert frr["CODGEO"].str.slice(0, 3).astype(int).ge(960).all()
    assert (frr["CODGEO"] > "96045").all()  # rural communautés de communes only


def test_cli_writes_and_says_fictional(tmp_path, capsys):
    assert cli_main(["demo", "--dossier", str(tmp_path / "d")]) == 0
    out = capsys.readouterr().out
    assert "fictives" in out and "33 fichiers" in out  # see test_generating_twice…
    assert (tmp_path / "d" / demo.MANIFEST_FILE).exists()


# -- read back through the loaders -------------------------------------------------------------


def test_every_file_reads_back_through_the_loaders(folder):
    from territoire_lib.sources import cafdata, cog, geometry, insee, zonages

    communes, _ = cog.read_cog_communes(folder / demo.COG_FILE)
    assert len(communes) == 120
    known = set(communes["code"])
    comp, epcis, _ = cog.read_epci_composition(folder / demo.EPCI_FILE)
    assert len(comp) == 120 and len(epcis) == 5
    for year in demo.RP_YEARS:
        obs, _ = insee.read_population_age(folder / demo.rp_file(year), known)
        assert set(obs["annee"]) == {year} and obs["commune"].nunique() == 120
    obs, _ = insee.read_families(folder / demo.FAMILY_FILE, known)
    assert "familles_monoparentales" in set(obs["variable"])
    obs, _ = insee.read_filosofi_wide(folder / demo.FILO_DISP, folder / demo.FILO_PAUVRES, known)
    rates = obs[obs["variable"] == "taux_pauvrete_publie"]["valeur"].dropna()
    assert rates.between(8, 30).all() and len(rates) >= 10
    obs, refs, _ = insee.read_filosofi_long(folder / demo.FILO_LONG, known)
    assert set(refs["niveau"]) == {"epci", "departement"}
    # 5 EPCI + 1 département; 4 measures each, plus the poor persons estimated from them
    assert len(refs) == 6 * 5
    secret = obs[(obs["variable"] == "taux_pauvrete_publie") & (obs["statut"] == "secret")]
    assert len(secret) > 50  # communes under 1,000 fiscal households
    for name in demo.CAF_FILES:
        obs, report = cafdata.read_cafdata_communal(folder / name, known)
        assert obs["commune"].nunique() == 120
    sben_report = cafdata.read_cafdata_communal(folder / demo.CAF_FILES[0], known)[1]
    assert sben_report.rows_dropped == 5  # the non-localised rows
    geo = comp[["code", "epci"]].assign(population=1.0)
    pe_rates = {lv: folder / f"txcouv_pe_{lv}.csv" for lv in ("com", "epci", "dep", "nat")}
    pe_places = {lv: folder / f"nbpla_pe_{lv}.csv" for lv in ("com", "epci", "dep", "nat")}
    obs, refs, report = cafdata.read_early_childhood(pe_rates, pe_places, geo)
    # the XX rows: 5 years in the rate file and 5 in the place file
    assert obs["commune"].nunique() == 120 and report.rows_dropped == 10
    refs, report = cafdata.read_tauxcouv_legacy(folder / demo.TAUXCOUV_FILE, known)
    assert report.rows_dropped == 2  # 99999 and XXXXX
    qpv, _ = zonages.read_qpv_list(folder / demo.QPV_FILE, known)
    assert sorted(qpv.loc[qpv["code_qp"] == "QN09601M", "commune"]) == ["96001", "96002"]
    manifest = yaml.safe_load((folder / demo.MANIFEST_FILE).read_text(encoding="utf-8"))
    spec = manifest["fichiers"]["frr"]
    frr, _ = zonages.read_frr(
        folder / spec["fichier"], {**spec["colonnes"], "valeurs": spec["valeurs"]},
        known_communes=known,
    )  # fmt: skip
    assert len(frr) == 40
    contours, report = geometry.read_communes_geojson(folder / demo.GEOJSON_FILE, communes=known)
    assert len(contours["features"]) == 120


def test_the_whole_demo_loads_as_a_territory(folder):
    from territoire_lib import dataset

    territory = dataset.load_folder(folder)
    assert territory.fictional is True
    assert len(territory.geography.communes) == 120
    assert set(territory.geography.perimeters) == set(
        yaml.safe_load((folder / demo.MANIFEST_FILE).read_text(encoding="utf-8"))["perimetres"]
    )
