"""The loaded territory: demo through the real loaders, values checked against the raw files,
the parquet cache, the manifest and `territoire import` on good and bad folders."""

from __future__ import annotations

import csv
import hashlib
import shutil
import time
from pathlib import Path

import pytest

from territoire_lib.cli import main
from territoire_lib.dataset import DEMO_DIR, load_territory
from territoire_lib.errors import DataError
from territoire_lib.key_figures import children_by_age, compare_coverage, coverage


def _rows(name: str) -> list[dict]:
    with open(DEMO_DIR / name, encoding="utf-8-sig", newline="") as f:
        return list(csv.DictReader(f, delimiter=";"))


@pytest.fixture(scope="module")
def demo():
    return load_territory("demo")


def test_demo_geography(demo):
    g = demo.geography
    assert demo.fictional
    assert len(g.communes) == 120  # 122 COG rows minus the 2 COMD rows
    assert len(g.epcis) == 5
    assert g.departements["code"].tolist() == ["96"]
    assert set(g.perimeters) == {"CTG-VALMONT-COEUR", "CTG-COTEAUX-ORVANNE"}
    assert g.communes["code"].str.len().eq(5).all()


def test_children_0_2_of_an_epci_equal_the_sum_of_its_iris(demo):
    # independent computation from the raw IRIS file with the csv module
    epci = {r["CODGEO"]: r["EPCI"] for r in _epci_composition()}
    code = "296000011"
    expected = sum(
        float(r["P21_POP0002"])
        for r in _rows("base-ic-evol-struct-pop-2021.csv")
        if epci.get(r["COM"]) == code
    )
    ages = children_by_age(demo, code).set_index("variable")
    assert ages.loc["pop_0_2", "effectif"] == pytest.approx(expected, rel=1e-12)
    assert ages.loc["pop_0_2", "annee"] == 2021


def _epci_composition() -> list[dict]:
    import openpyxl

    wb = openpyxl.load_workbook(DEMO_DIR / "Intercommunalite_Metropole_au_01-01-2024.xlsx")
    ws = wb["Composition_communale"]
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[5])  # 5 label rows above the header, as INSEE ships it
    return [dict(zip(header, r, strict=True)) for r in rows[6:]]


def test_departement_coverage_is_a_ratio_of_sums(demo):
    # places: the EPCI totals published for December 2020 (the commune fallback keeps each
    # EPCI sum equal to its published figure); children under 3 on 1 January 2021 (Onape
    # method): the 2021 census exists, so it is every IRIS of the 2021 census
    places = sum(float(r["tot_offre_epci"]) for r in _rows("nbpla_pe_epci.csv")
                 if r["annee"] == "2020" and r["numepci"] != "XX")  # fmt: skip
    children = sum(float(r["P21_POP0002"]) for r in _rows("base-ic-evol-struct-pop-2021.csv"))
    cov = coverage(demo, "96").set_index("annee")
    assert cov.loc[2020, "places"] == pytest.approx(places)
    assert cov.loc[2020, "annee_enfants"] == 2021
    assert cov.loc[2020, "taux"] == pytest.approx(100 * places / children)
    # the département's published rate of 2020, read from txcouv_pe_dep.csv: 59.2
    assert cov.loc[2020, "taux_publie"] == 59.2


def test_perimeter_coverage_differs_from_mean_of_rates(demo):
    per = "CTG-VALMONT-COEUR"
    members = demo.geography.members(per)
    total = coverage(demo, per).set_index("annee").loc[2023, "taux"]
    rates = [coverage(demo, c).set_index("annee").loc[2023, "taux"] for c in members]
    places = [coverage(demo, c).set_index("annee").loc[2023, "places"] for c in members]
    kids = [coverage(demo, c).set_index("annee").loc[2023, "enfants_0_2"] for c in members]
    assert total == pytest.approx(100 * sum(places) / sum(kids))
    assert abs(total - sum(rates) / len(rates)) > 0.1


def test_sentence_in_french(demo):
    s = compare_coverage(demo, "296000011").sentence("CA X")
    assert s.startswith("En 2023, CA X compte ")
    assert "places d'accueil pour 100 enfants de moins de 3 ans" in s


def test_cache_reloads_fast_and_equal(tmp_path, monkeypatch):
    import territoire_lib.dataset as ds

    monkeypatch.setenv("TERRITOIRE_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(ds, "_MEMORY", {})
    first = ds.load_territory("demo")
    ds._MEMORY.clear()
    start = time.perf_counter()
    second = ds.load_territory("demo")
    elapsed = time.perf_counter() - start
    assert elapsed < 1.0
    assert second.checksum == first.checksum
    assert len(second.observations) == len(first.observations)
    assert second.observations["valeur"].sum() == pytest.approx(first.observations["valeur"].sum())
    assert second.geography.perimeters.keys() == first.geography.perimeters.keys()
    assert second.contours["features"][0] == first.contours["features"][0]


def _copy_demo(tmp_path: Path) -> Path:
    folder = tmp_path / "mes_donnees"
    shutil.copytree(DEMO_DIR, folder)
    return folder


def _digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_import_good_folder(tmp_path, capsys, monkeypatch):

    monkeypatch.setenv("TERRITOIRE_CACHE", str(tmp_path / "cache"))
    folder = _copy_demo(tmp_path)
    before = _digests(folder)
    assert main(["import", str(folder)]) == 0
    out = capsys.readouterr().out
    assert "120 communes" in out and "lignes lues" in out
    assert _digests(folder) == before  # nothing written in the user's folder


def test_import_reports_every_broken_file(tmp_path, capsys, monkeypatch):

    monkeypatch.setenv("TERRITOIRE_CACHE", str(tmp_path / "cache"))
    folder = _copy_demo(tmp_path)
    # a spreadsheet lost the leading zero... here: a code with 4 digits on line 3
    sben = folder / "s_ben_com_f.csv"
    lines = sben.read_text(encoding="utf-8-sig").splitlines()
    lines[2] = lines[2].replace(";96002;", ";9602;", 1)
    sben.write_text("\ufeff" + "\n".join(lines) + "\n", encoding="utf-8")
    # and a census file where a line pasted from another file is in Windows-1252 while the
    # rest is UTF-8 (« Saint-Éloi » on line 3): two encodings in one file, truly ambiguous
    rp = folder / "base-ic-evol-struct-pop-2019.csv"
    rows = rp.read_bytes().split(b"\n")
    rows[3] = rows[3].decode("utf-8").replace("Valmont", "Valmonté").encode("cp1252")
    rp.write_bytes(b"\n".join(rows))
    before = _digests(folder)
    assert main(["import", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "s_ben_com_f.csv" in err and "ligne 3" in err and "numcomdo" in err
    assert "base-ic-evol-struct-pop-2019.csv" in err and "deux encodages mêlés" in err
    assert "Traceback" not in err
    assert _digests(folder) == before


def test_manifest_errors(tmp_path):
    import territoire_lib.dataset as ds

    folder = tmp_path / "vide"
    folder.mkdir()
    with pytest.raises(DataError, match="manifeste"):
        ds.load_folder(folder)
    (folder / "manifeste.yaml").write_text("fichiers:\n  recensement: x.csv\n", encoding="utf-8")
    with pytest.raises(DataError, match="clé inconnue « recensement »"):
        ds.load_folder(folder)
    (folder / "manifeste.yaml").write_text(
        "departements: ['90']\nfichiers:\n  cafdata: [absent.csv]\n", encoding="utf-8"
    )
    with pytest.raises(DataError, match="« absent.csv » annoncé mais absent"):
        ds.load_folder(folder)


def test_folder_with_only_departements_uses_the_national_referential(tmp_path):
    import territoire_lib.dataset as ds

    folder = tmp_path / "belfort"
    folder.mkdir()
    (folder / "manifeste.yaml").write_text(
        "nom: Territoire de Belfort\ndepartements: ['90']\nfichiers: {}\n", encoding="utf-8"
    )
    t = ds.load_folder(folder)
    assert len(t.geography.communes) == 101  # the referential's count for département 90
    assert "200069052" in set(t.geography.epcis["code"])  # CA Grand Belfort
