"""National referential: the committed data/referentiel/ files, their loader and their builder.

Facts about real communes were checked by hand in the package
@etalab/decoupage-administratif 6.0.0 (geography of 1 January 2026), file data/communes.json
and data/epci.json, and against the INSEE COG conventions (data-formats.md §0, §3).
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pandas as pd
import pytest

from territoire_lib import geo
from territoire_lib.errors import DataError
from territoire_lib.sources import referentiel
from territoire_lib.sources.referentiel import (
    REFERENTIEL_DIR,
    geography_for_departements,
    load_national_geography,
)

REPO = Path(__file__).resolve().parents[2]


def _load_build_script():
    spec = importlib.util.spec_from_file_location(
        "build_referentiel", REPO / "scripts" / "build_referentiel.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def national() -> geo.Geography:
    return load_national_geography()


def _row(frame: pd.DataFrame, code: str) -> pd.Series:
    rows = frame.loc[frame["code"] == code]
    assert len(rows) == 1, f"{code}: {len(rows)} lignes"
    return rows.iloc[0]


# -- the committed referential --------------------------------------------------------------------
def test_referentiel_dir_points_at_repo_data():
    assert REFERENTIEL_DIR == REPO / "data" / "referentiel"
    for name in ("communes", "epci", "departements", "regions"):
        assert (REFERENTIEL_DIR / f"{name}.csv").is_file()
    source = (REFERENTIEL_DIR / "SOURCE.txt").read_text(encoding="utf-8")
    assert "@etalab/decoupage-administratif" in source
    assert "Licence Ouverte" in source


def test_loading_is_fast():
    referentiel._parsed_frames.cache_clear()
    start = time.perf_counter()
    load_national_geography()
    first = time.perf_counter() - start
    start = time.perf_counter()
    load_national_geography()
    second = time.perf_counter() - start
    # ~0.15 s parsed and checked, ~0.02 s from the cache on a laptop; generous bounds for CI.
    assert first < 2.0
    assert second < 0.5


def test_sizes_and_types(national):
    # 34,875 communes in the 101 départements on 1 January 2026 (INSEE COG 2026); the package
    # holds 34,969 "commune-actuelle" of which 94 are in the overseas collectivities, left out.
    assert len(national.communes) == 34_875
    assert 1_200 <= len(national.epcis) <= 1_300  # 1,255 EPCI with own taxation in 6.0.0
    assert len(national.departements) == 101
    assert len(national.regions) == 18
    for frame in (national.communes, national.epcis, national.departements, national.regions):
        assert frame["code"].map(type).eq(str).all()
    assert national.communes["code"].str.len().eq(5).all()
    assert national.communes["population"].dtype == "float64"
    assert national.communes["code"].is_unique


def test_ajaccio_corsica(national):
    row = _row(national.communes, "2A004")
    assert row["nom"] == "Ajaccio"
    assert row["departement"] == "2A"
    assert row["region"] == "94"  # Corse
    assert _row(national.regions, "94")["nom"] == "Corse"


def test_overseas_commune_has_three_character_departement(national):
    row = _row(national.communes, "97101")  # Les Abymes, Guadeloupe
    assert row["nom"] == "Les Abymes"
    assert row["departement"] == "971"
    assert row["region"] == "01"


def test_leading_zero_kept(national):
    row = _row(national.communes, "01001")
    assert row["nom"] == "L'Abergement-Clémenciat"
    assert row["departement"] == "01"
    assert "1001" not in set(national.communes["code"])


def test_plm_cities_are_single_communes(national):
    codes = set(national.communes["code"])
    assert {"75056", "13055", "69123"} <= codes  # Paris, Marseille, Lyon
    assert _row(national.communes, "75056")["nom"] == "Paris"
    assert "75101" not in codes  # 1er arrondissement de Paris
    assert not geo.is_arrondissement(national.communes["code"]).any()


def test_territoire_de_belfort_commune_count(national):
    # 101 communes: count of "commune-actuelle" with departement "90" in communes.json of the
    # package 6.0.0 (COG 2026), checked by hand; the three EPCI of the département below have
    # 52 + 22 + 27 = 101 members.
    assert (national.communes["departement"] == "90").sum() == 101


def test_belfort_in_grand_belfort(national):
    # data/epci.json 6.0.0: 90010 Belfort is a member of 200069052 "CA Grand Belfort" (a CA).
    assert _row(national.communes, "90010")["epci"] == "200069052"
    epci = _row(national.epcis, "200069052")
    assert epci["nom"] == "CA Grand Belfort"
    assert epci["nature"] == "CA"


def test_island_communes_without_epci(national):
    # INSEE: 4 island communes belong to no EPCI (data-formats.md §3.2).
    no_epci = national.communes.loc[national.communes["epci"] == geo.NO_EPCI, "code"]
    assert sorted(no_epci) == ["22016", "29083", "29155", "85113"]  # Bréhat, Sein, Ouessant, Yeu


def test_every_epci_is_known_and_natures_are_insee(national):
    epcis = set(national.epcis["code"])
    linked = set(national.communes["epci"]) - {geo.NO_EPCI}
    assert linked <= epcis
    assert set(national.epcis["nature"]) <= {"ME", "CU", "CA", "CC", "MET69"}
    assert _row(national.epcis, "200046977")["nature"] == "MET69"  # Métropole de Lyon
    assert _row(national.epcis, "200054781")["nature"] == "ME"  # Métropole du Grand Paris


def test_epci_population_is_sum_of_its_communes(national):
    # Built that way on purpose (see SOURCE.txt): no contradiction with any aggregation.
    sums = national.communes.groupby("epci")["population"].sum()
    pop = national.epcis.set_index("code")["population_municipale"]
    assert (sums.reindex(pop.index) == pop).all()


def test_cache_returns_independent_copies():
    first = load_national_geography()
    first.communes.loc[0, "nom"] = "Modifiée"
    second = load_national_geography()
    assert second.communes.loc[0, "nom"] != "Modifiée"


# -- geography_for_departements ---------------------------------------------------------------------
def test_geography_for_territoire_de_belfort():
    sub = geography_for_departements(["90"])
    assert len(sub.communes) == 101
    assert set(sub.communes["departement"]) == {"90"}
    # The three EPCI of the Territoire de Belfort (epci.json 6.0.0).
    assert set(sub.epcis["code"]) == {"200069052", "200069060", "249000241"}
    assert list(sub.departements["code"]) == ["90"]
    assert list(sub.regions["code"]) == ["27"]  # Bourgogne-Franche-Comté
    assert len(sub.members("200069052")) == 52


def test_geography_for_several_departements_normalises_codes():
    sub = geography_for_departements(["2a", " 2B ", "1"])
    assert set(sub.communes["departement"]) == {"2A", "2B", "01"}


def test_unknown_departement_raises_french_error():
    with pytest.raises(geo.UnknownTerritoryError) as err:
        geography_for_departements(["90", "99"])
    message = str(err.value)
    assert "Département inconnu : « 99 »" in message
    assert "01" in message and "2A" in message and "971" in message


def test_no_departement_raises_french_error():
    with pytest.raises(geo.UnknownTerritoryError, match="Aucun département demandé"):
        geography_for_departements([])


# -- loader checks on small files -----------------------------------------------------------------
GOOD = {
    "communes.csv": (
        "code,nom,departement,region,epci,population\n"
        "01001,L'Abergement-Clémenciat,01,84,200069193,860\n"
        "2A004,Ajaccio,2A,94,242010056,76320\n"
        "29083,Île-de-Sein,29,53,ZZZZZZZZZ,\n"
    ),
    "epci.csv": (
        "code,nom,nature,population_municipale\n"
        "200069193,CC de la Dombes,CC,860\n"
        '242010056,"CA du Pays Ajaccien, test",CA,76320\n'
    ),
    "departements.csv": "code,nom,region\n01,Ain,84\n29,Finistère,53\n2A,Corse-du-Sud,94\n",
    "regions.csv": "code,nom\n53,Bretagne\n84,Auvergne-Rhône-Alpes\n94,Corse\n",
}


def _write(folder: Path, **overrides: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in {**GOOD, **overrides}.items():
        (folder / name).write_text(text, encoding="utf-8")
    return folder


def test_small_folder_loads(tmp_path):
    g = load_national_geography(_write(tmp_path))
    assert list(g.communes["code"]) == ["01001", "2A004", "29083"]
    assert pd.isna(_row(g.communes, "29083")["population"])
    assert _row(g.communes, "2A004")["population"] == 76320.0
    assert _row(g.epcis, "242010056")["nom"] == "CA du Pays Ajaccien, test"


def test_cache_notices_a_rewritten_file(tmp_path):
    folder = _write(tmp_path)
    assert len(load_national_geography(folder).communes) == 3
    text = GOOD["communes.csv"].rsplit("\n", 2)[0] + "\n"  # drop the 29083 line
    (folder / "communes.csv").write_text(text, encoding="utf-8")
    assert len(load_national_geography(folder).communes) == 2


def test_missing_file_names_it(tmp_path):
    folder = _write(tmp_path)
    (folder / "epci.csv").unlink()
    with pytest.raises(DataError) as err:
        load_national_geography(folder)
    assert "« epci.csv »" in str(err.value)
    assert "build_referentiel.py" in str(err.value)


def test_lost_leading_zero_names_line_and_column(tmp_path):
    bad = GOOD["communes.csv"].replace("01001,L'Ab", "1001,L'Ab")
    with pytest.raises(DataError) as err:
        load_national_geography(_write(tmp_path, **{"communes.csv": bad}))
    message = str(err.value)
    # Line 2 of communes.csv (line 1 is the header), column "code".
    assert "fichier « communes.csv », ligne 2, colonne « code »" in message
    assert "01001" in message  # the suggested fix


def test_wrong_departement_names_line_and_column(tmp_path):
    bad = GOOD["communes.csv"].replace("2A004,Ajaccio,2A", "2A004,Ajaccio,2B")
    with pytest.raises(DataError) as err:
        load_national_geography(_write(tmp_path, **{"communes.csv": bad}))
    assert "communes.csv », ligne 3, colonne « departement »" in str(err.value)


def test_unknown_epci_names_line_and_column(tmp_path):
    bad = GOOD["communes.csv"].replace("200069193", "200000000")
    with pytest.raises(DataError) as err:
        load_national_geography(_write(tmp_path, **{"communes.csv": bad}))
    message = str(err.value)
    assert "communes.csv », ligne 2, colonne « epci »" in message
    assert "« 200000000 », absent du référentiel" in message


def test_malformed_epci_code_names_line_and_column(tmp_path):
    bad = GOOD["epci.csv"].replace("242010056", "24201005")
    with pytest.raises(DataError) as err:
        load_national_geography(_write(tmp_path, **{"epci.csv": bad}))
    assert "epci.csv », ligne 3, colonne « code » : trouvé « 24201005 »" in str(err.value)


def test_duplicate_commune_names_line(tmp_path):
    bad = GOOD["communes.csv"] + "2A004,Ajaccio,2A,94,242010056,76320\n"
    with pytest.raises(DataError) as err:
        load_national_geography(_write(tmp_path, **{"communes.csv": bad}))
    # The repeated row is line 5; its first occurrence is line 3.
    assert "ligne 5, colonne « code »" in str(err.value)
    assert "déjà ligne 3" in str(err.value)


def test_non_numeric_population_names_line_and_column(tmp_path):
    bad = GOOD["communes.csv"].replace(",860\n", ",huit cents\n")
    with pytest.raises(DataError) as err:
        load_national_geography(_write(tmp_path, **{"communes.csv": bad}))
    assert "ligne 2, colonne « population » : trouvé « huit cents »" in str(err.value)


# -- the builder, on a tiny fake package ----------------------------------------------------------
def _fake_package() -> dict[str, list[dict]]:
    def commune(code, nom, dep, reg, type_="commune-actuelle", zone="metro", pop=100):
        out = {"code": code, "nom": nom, "departement": dep, "region": reg}
        out |= {"type": type_, "zone": zone}
        if pop is not None:
            out["population"] = pop
        return out

    return {
        "communes": [
            commune("90010", "Belfort", "90", "27", pop=45912),
            commune("01001", "L'Abergement-Clémenciat", "01", "84", pop=860),
            commune("75101", "Paris 1er", "75", "11", type_="arrondissement-municipal"),
            commune("75056", "Paris", "75", "11", pop=2000),
            commune("01015", "Arbignieu", "01", "84", type_="commune-deleguee"),
            commune("29083", "Île-de-Sein", "29", "53", pop=263),
            commune("97501", "Miquelon-Langlade", "975", "975", zone="com"),
        ],
        "epci": [
            {
                "code": "200069052",
                "nom": "CA Grand Belfort",
                "type": "CA",
                "membres": [{"code": "90010"}],
            },
            {"code": "200069193", "nom": "CC", "type": "CC", "membres": [{"code": "01001"}]},
            {
                "code": "200054781",
                "nom": "Métropole du Grand Paris",
                "type": "METRO",
                "membres": [{"code": "75056"}],
            },
        ],
        "departements": [
            {"code": c, "nom": c, "region": r, "zone": z}
            for c, r, z in [
                ("90", "27", "metro"),
                ("01", "84", "metro"),
                ("75", "11", "metro"),
                ("29", "53", "metro"),
                ("975", "975", "com"),
            ]
        ],
        "regions": [
            {"code": c, "nom": c, "zone": z}
            for c, z in [("27", "metro"), ("84", "metro"), ("11", "metro"), ("53", "metro")]
            + [("975", "com")]
        ],
    }


def test_builder_keeps_current_communes_and_maps_natures(tmp_path):
    build = _load_build_script()
    frames = build.build_frames(_fake_package())
    communes = frames["communes"]
    # Arrondissement 75101, delegated 01015 and the overseas collectivity 97501 are dropped;
    # the rest is sorted by code as text.
    assert list(communes["code"]) == ["01001", "29083", "75056", "90010"]
    assert list(communes["epci"]) == ["200069193", geo.NO_EPCI, "200054781", "200069052"]
    assert dict(zip(frames["epci"]["code"], frames["epci"]["nature"], strict=True)) == {
        "200054781": "ME",  # METRO → INSEE "ME"
        "200069052": "CA",
        "200069193": "CC",
    }
    assert list(frames["departements"]["code"]) == ["01", "29", "75", "90"]
    assert "975" not in set(frames["regions"]["code"])
    assert build.check_frames(frames) == []

    build.write_referentiel(frames, tmp_path, pd.Timestamp("2026-01-15").date())
    text = (tmp_path / "communes.csv").read_text(encoding="utf-8")
    assert text.splitlines()[1] == "01001,L'Abergement-Clémenciat,01,84,200069193,860"
    source = (tmp_path / "SOURCE.txt").read_text(encoding="utf-8")
    assert "2026-01-15" in source and build.PACKAGE_VERSION in source
    assert not list(tmp_path.glob("*.tmp"))  # temporary files renamed away
    g = load_national_geography(tmp_path)  # what the builder writes, the loader reads
    assert _row(g.epcis, "200069052")["population_municipale"] == 45912.0


def test_builder_reports_unknown_epci_link():
    build = _load_build_script()
    frames = build.build_frames(_fake_package())
    frames["epci"] = frames["epci"][frames["epci"]["code"] != "200069052"]
    problems = build.check_frames(frames)
    assert any("EPCI absent de epci.csv pour 90010" in p for p in problems)


# -- history of mergers (anciens_codes.csv) ---------------------------------------------------
def test_builder_keeps_the_former_codes_of_communes_nouvelles(tmp_path):
    build = _load_build_script()
    package = _fake_package()
    # Meroux-Moval (90068) absorbed Moval (90073) on 1 January 2019
    package["communes"].append(
        {"code": "90068", "nom": "Meroux-Moval", "departement": "90", "region": "27"}
        | {"type": "commune-actuelle", "zone": "metro", "population": 1440}
        | {"anciensCodes": ["90073"]}
    )
    package["epci"][0]["membres"].append({"code": "90068"})
    frames = build.build_frames(package)
    assert frames["anciens_codes"].values.tolist() == [["90073", "90068"]]
    assert build.check_frames(frames) == []
    build.write_referentiel(frames, tmp_path, pd.Timestamp("2026-01-15").date())
    assert (tmp_path / "anciens_codes.csv").read_text(encoding="utf-8") == (
        "ancien_code,code\n90073,90068\n"
    )
    assert "anciens_codes.csv : 1 anciens codes" in (tmp_path / "SOURCE.txt").read_text("utf-8")
    assert referentiel.load_former_codes(tmp_path).to_dict() == {"90073": "90068"}


def test_builder_refuses_a_former_code_still_in_use():
    build = _load_build_script()
    frames = build.build_frames(_fake_package())
    frames["anciens_codes"] = pd.DataFrame({"ancien_code": ["01001"], "code": ["90010"]})
    assert build.check_frames(frames) == ["anciens_codes.csv : codes encore en vigueur (01001)."]


def test_repository_former_codes():
    former = referentiel.load_former_codes()
    # 4 240 former codes, each leading to a current commune of communes.csv
    assert len(former) == 4240
    current = set(load_national_geography().communes["code"])
    assert set(former.to_numpy()) <= current
    assert not set(former.index) & current
    assert former["90073"] == "90068"  # Moval → Meroux-Moval


def test_former_codes_absent_gives_an_empty_table(tmp_path):
    assert referentiel.load_former_codes(tmp_path).empty
