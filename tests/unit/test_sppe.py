"""Service public de la petite enfance: the Insee populations légales loader, and the SPPE bands
on the population totale with strict thresholds (more than 3 500, more than 10 000 inhabitants;
CGCT R. 2151-1, CASF L. 214-1-3), for the communes and for an EPCI exercising the competence
(the population totale of the communes that transferred it, L. 214-1-3 III CASF) — one
implementation for the diagnostic, the indicators and the scenarios.

Every expected value is worked out by hand in the comment beside it.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from territoire_lib import scenario as sc
from territoire_lib.dataset import DEMO_DIR, Territory, load_folder, load_territory
from territoire_lib.diagnostic import diagnose, sppe_duties
from territoire_lib.diagnostic.sppe import sppe_communes, transfer_population
from territoire_lib.errors import DataError
from territoire_lib.geo import Geography
from territoire_lib.indicators import compute
from territoire_lib.sources.populations_legales import in_force_year, read_populations_legales

HEADER = "CODREG;REG;CODDEP;CODARR;CODCAN;CODCOM;COM;PMUN;PCAP;PTOT"
NAME = "fichier « donnees_communes.csv »"


def write(tmp_path: Path, lines: list[str]) -> Path:
    path = tmp_path / "donnees_communes.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# -- the populations légales loader -----------------------------------------------------------
def test_populations_legales_in_the_published_format(tmp_path):
    path = write(
        tmp_path,
        [
            HEADER,
            "84;Auvergne-Rhône-Alpes;01;1;04;009;Andert-et-Condon;326;9;335",
            "01;Guadeloupe;971;1;01;01;Les Abymes;53514;1095;54609",  # 971 + 01 → 97101
            "01;Guadeloupe;971;1;02;102;Anse-Bertrand;4260;90;4350",  # 971 + 102 → 97102
            "11;Île-de-France;75;1;01;101;Paris 1er Arrondissement;15917;120;16037",
            "11;Île-de-France;75;1;01;102;Paris 2e Arrondissement;20900;400;21300",
        ],
    )
    obs, report = read_populations_legales(path, 2022, known_communes={"01009", "97101"})
    got = obs.pivot_table(index="commune", columns="variable", values="valeur")
    assert got.loc["01009"].to_dict() == {
        "pop_legale_comptee_a_part": 9.0,
        "pop_legale_municipale": 326.0,
        "pop_legale_totale": 335.0,
    }
    assert got.loc["97101", "pop_legale_totale"] == 54609
    assert got.loc["97102", "pop_legale_totale"] == 4350
    # Paris: its arrondissements added: 16 037 + 21 300 = 37 337 (PMUN 15 917 + 20 900)
    assert got.loc["75056", "pop_legale_totale"] == 37337
    assert got.loc["75056", "pop_legale_municipale"] == 36817
    assert set(obs["annee"]) == {2022} and set(obs["statut"]) == {"publie"}
    assert report.unmatched_codes == ["75056", "97102"]
    # millésime 2022: in force from 1 January 2025
    assert in_force_year(2022) == 2025
    assert any("millésime 2022, en vigueur au 1er janvier 2025" in n for n in report.notes)


def test_populations_legales_errors_in_french(tmp_path):
    path = write(
        tmp_path,
        [
            HEADER,
            "84;ARA;1;1;04;009;Andert;326;9;335",  # line 2: CODDEP lost its zero
            "84;ARA;01;1;04;9;Anglefort;1105;17;1122",  # line 3: CODCOM lost its zeros
        ],
    )
    with pytest.raises(DataError) as err:
        read_populations_legales(path, 2022)
    msg = str(err.value)
    assert (
        f"{NAME}, ligne 2, colonne « CODDEP » : trouvé « 1 » (le zéro initial a disparu : 01 ?)"
        in msg
    )
    assert (
        f"{NAME}, ligne 3, colonne « CODCOM » : trouvé « 9 » (le zéro initial a disparu : 009 ?)"
        in msg
    )
    path = write(
        tmp_path,
        [
            HEADER,
            "84;ARA;01;1;04;009;Andert;326;9;336",  # line 2: 326 + 9 = 335, not 336
            "84;ARA;01;1;04;010;Anglefort;1105,5;17;1122",  # line 3: not a whole number
            "84;ARA;01;1;04;010;Anglefort;1105;17;1122",  # line 4: the same commune again
        ],
    )
    with pytest.raises(DataError) as err:
        read_populations_legales(path, 2022)
    msg = str(err.value)
    assert f"{NAME}, ligne 3, colonne « PMUN » : trouvé « 1105,5 »" in msg
    assert "ligne 4, colonne « CODCOM » : trouvé commune « 01010 » en double (déjà ligne 3)" in msg
    path = write(tmp_path, [HEADER, "84;ARA;01;1;04;009;Andert;326;9;336"])
    with pytest.raises(DataError) as err:
        read_populations_legales(path, 2022)
    assert (
        f"{NAME}, ligne 2, colonne « PTOT » : trouvé 336 habitants ; attendu la population "
        "municipale plus la population comptée à part (326 + 9 = 335)"
    ) in str(err.value)
    path = write(tmp_path, ["CODDEP;CODCOM;COM;PMUN;PTOT", "01;009;Andert;326;335"])
    with pytest.raises(DataError, match="ligne 1, colonne « PCAP » : trouvé aucune colonne"):
        read_populations_legales(path, 2022)
    with pytest.raises(DataError) as err:
        read_populations_legales(path, None)
    assert "colonne « millesime » : trouvé le millésime une valeur vide" in str(err.value)


# -- the bands: population totale, strict thresholds --------------------------------------------
E1, E2 = "200000001", "200000002"
# code, name, EPCI, population municipale of the geography, PMUN, PCAP of the populations légales
COMMUNES = [
    ("90001", "Auxelles", E1, 3480, 3480, 20),  # totale 3 500: not « plus de 3 500 »
    ("90002", "Bavilliers", E1, 3450, 3450, 51),  # totale 3 501 (municipale 3 450)
    ("90003", "Cravanche", E1, 9990, 9990, 10),  # totale 10 000: not « plus de 10 000 »
    ("90004", "Danjoutin", E2, 9950, 9950, 51),  # totale 10 001 (municipale 9 950)
    ("90005", "Essert", E2, 1200, 1180, 20),  # totale 1 200
    ("90006", "Fontaine", E2, 900, 890, 10),  # totale 900
]


def make_territory(transfers: dict | None = None, legal: bool = True) -> Territory:
    rows = []
    if legal:
        for code, _, _, _, pmun, pcap in COMMUNES:
            rows += [
                (code, 2022, "pop_legale_municipale", pmun, "publie"),
                (code, 2022, "pop_legale_comptee_a_part", pcap, "publie"),
                (code, 2022, "pop_legale_totale", pmun + pcap, "publie"),
            ]
    obs = pd.DataFrame(rows, columns=["commune", "annee", "variable", "valeur", "statut"])
    obs = obs.astype({"annee": "int64", "valeur": "float64"})
    geo = Geography(
        communes=pd.DataFrame(
            {
                "code": [c[0] for c in COMMUNES],
                "nom": [c[1] for c in COMMUNES],
                "departement": "90",
                "region": "27",
                "epci": [c[2] for c in COMMUNES],
                "population": [c[3] for c in COMMUNES],
            }
        ),
        epcis=pd.DataFrame({"code": [E1, E2], "nom": ["CA Un", "CC Deux"], "nature": "CC"}),
        departements=pd.DataFrame({"code": ["90"], "nom": ["Test"], "region": ["27"]}),
        regions=pd.DataFrame({"code": ["27"], "nom": ["Test"]}),
    )
    return Territory(
        name="Test",
        fictional=True,
        geography=geo,
        observations=obs,
        references=pd.DataFrame(columns=["niveau", "code", "annee", "variable", "valeur"]),
        qpv=pd.DataFrame(columns=["commune", "code_qp", "lib_qp"]),
        zonages=pd.DataFrame({"commune": [c[0] for c in COMMUNES], "qpv": 0, "frr": "non"}),
        contours=None,
        competences_sppe=transfers or {},
    )


def test_bands_at_3500_3501_10000_10001_on_the_population_totale():
    t = make_territory()
    duties = sppe_duties(sppe_communes(t, [c[0] for c in COMMUNES], 2025)).set_index("commune")
    # totale 3 500 → every commune; 3 501 → more than 3 500 (its municipale, 3 450, would not
    # be); 10 000 → more than 3 500; 10 001 → more than 10 000 (municipale 9 950 would not be)
    assert duties["population"].loc[["90001", "90002", "90003", "90004"]].tolist() == [
        3500, 3501, 10000, 10001
    ]  # fmt: skip
    assert duties["strate"].loc[["90001", "90002", "90003", "90004"]].tolist() == [
        "toutes_communes", "plus_3500", "plus_3500", "plus_10000"
    ]  # fmt: skip
    assert set(duties["base"]) == {"population totale"}
    assert duties.loc["90002", "nb_obligations"] == 4  # + planifier, + soutenir la qualité
    # the indicator engine gives the same bands (the catalogue's strate_sppe)
    com = compute(t, "commune", ["strate_sppe"]).set_index("territoire")
    assert com.loc[["90001", "90002", "90003", "90004"], "valeur"].tolist() == [0, 1, 1, 2]
    assert set(com["annee"]) == {2022}  # the millésime of the populations légales
    # derived counts: communes over 3 500 in the EPCI E1: Bavilliers and Cravanche = 2
    epci = compute(t, "epci", ["communes_sppe_plus_3500", "communes_sppe_plus_10000"])
    got = epci.set_index(["indicateur", "territoire"])["valeur"]
    assert got[("communes_sppe_plus_3500", E1)] == 2
    assert got[("communes_sppe_plus_10000", E2)] == 1  # Danjoutin, 10 001


def test_without_populations_legales_the_municipal_population_is_flagged():
    t = make_territory(legal=False)
    s = sppe_duties(sppe_communes(t, ["90002", "90004"], 2025)).set_index("commune")
    # municipale: 3 450 → every commune; 9 950 → more than 3 500, flagged « à vérifier »
    assert s["strate"].tolist() == ["toutes_communes", "plus_3500"]
    assert set(s["base"]) == {"population municipale"}
    # the indicator is unavailable rather than computed on the wrong population
    assert compute(t, "commune", ["strate_sppe"]).empty


def test_an_epci_with_a_transfer_uses_the_population_of_those_communes():
    # E2's communes Essert and Fontaine transferred the competence: 1 200 + 900 = 2 100
    # inhabitants in population totale → every commune's band for them, whatever E2's whole
    # population (10 001 + 1 200 + 900 = 12 101, « plus de 10 000 »)
    t = make_territory({E2: ["90005", "90006"]})
    pop, communes = transfer_population(t, E2)
    assert pop == 2100 and communes == ["90005", "90006"]
    s = sppe_duties(sppe_communes(t, [c[0] for c in COMMUNES], 2025)).set_index("commune")
    assert s.loc["90005", "population_retenue"] == 2100
    assert s.loc["90005", "epci_competent"] == E2 and s.loc["90004", "epci_competent"] == ""
    assert s.loc["90004", "strate"] == "plus_10000"  # Danjoutin keeps its own competence
    epci = compute(t, "epci", ["strate_sppe"]).set_index("territoire")
    assert epci.loc[E2, "numerateur"] == 2100 and epci.loc[E2, "valeur"] == 0
    # without a transfer the EPCI's band is that of all its communes: E1 3 500 + 3 501 +
    # 10 000 = 17 001 → more than 10 000
    assert epci.loc[E1, "numerateur"] == 17001 and epci.loc[E1, "valeur"] == 2
    # another transfer: Bavilliers and Cravanche to E1 → 3 501 + 10 000 = 13 501 inhabitants,
    # more than 10 000 for both (each alone would be « plus de 3 500 »)
    t2 = make_territory({E1: ["90002", "90003"]})
    s2 = sppe_duties(sppe_communes(t2, ["90002", "90003"], 2025)).set_index("commune")
    assert s2["population_retenue"].tolist() == [13501, 13501]
    assert s2["strate"].tolist() == ["plus_10000", "plus_10000"]


def test_scenario_duties_use_the_same_bands():
    t = make_territory({E2: ["90005", "90006"]})
    doc = {"nom": "x", "territoire": "90", "annee_base": 2024, "horizon": [2025, 2026],
           "leviers": []}  # fmt: skip
    from territoire_lib.scenario.sppe import _sppe

    spec = sc.Scenario.from_dict(doc)
    duties = _sppe(t, [c[0] for c in COMMUNES], pd.DataFrame(columns=["levier", "commune", "annee"]),
                   spec.years, spec.hypotheses)  # fmt: skip
    plan = duties[duties["obligation"].str.startswith("Planifier") & (duties["annee"] == 2025)]
    # planning is due above 3 500: Bavilliers (3 501), Cravanche (10 000), Danjoutin (10 001);
    # not Auxelles (3 500) nor Essert and Fontaine (their EPCI: 2 100)
    assert sorted(plan["commune"]) == ["90002", "90003", "90004"]
    rpe = duties[duties["obligation"].str.startswith("Relais") & (duties["annee"] == 2026)]
    assert rpe["commune"].tolist() == ["90004"]  # more than 10 000: Danjoutin only
    assert rpe["population"].tolist() == [10001]


# -- the demo ---------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo():
    return load_territory("demo")


def test_demo_commune_crossing_3500_in_population_totale(demo):
    # Courvessy: donnees_communes.csv PMUN 3 420 + PCAP 86 = PTOT 3 506 > 3 500
    d = diagnose(demo, "96018")
    assert d.sppe["population"].tolist() == [3506]
    assert d.sppe["strate_libelle"].tolist() == ["Plus de 3 500 habitants"]
    assert d.sppe_territoire.startswith(
        "Courvessy (3\u202f506 habitants en population totale) : strate « Plus de 3 500 habitants »"
    )


def test_demo_epci_with_a_transfer(demo):
    # manifeste.yaml: 96022 to 96026 transferred the competence to the CC Loue et Coteaux;
    # population totale 3 339 + 1 016 + 1 391 + 634 + 1 246 = 7 626 → more than 3 500 (the
    # whole EPCI, 50 021, would be more than 10 000)
    assert demo.competences_sppe == {"296000029": ["96022", "96023", "96024", "96025", "96026"]}
    row = compute(demo, "epci", ["strate_sppe"]).set_index("territoire").loc["296000029"]
    assert row["numerateur"] == 7626 and row["categorie"] == "Plus de 3 500 habitants"
    d = diagnose(demo, "296000029")
    assert "leur population totale (7\u202f626 habitants) : « Plus de 3 500 habitants »" in (
        d.sppe_territoire
    )
    table = d.sppe_table().loc["Les Ormeaux"]  # 634 inhabitants, in the transfer
    assert table["Population retenue pour les seuils"] == "7\u202f626"
    assert table["Compétence exercée par"] == "EPCI 296000029"


def test_manifest_transfer_errors_in_french(tmp_path):
    import shutil

    folder = tmp_path / "donnees"
    shutil.copytree(DEMO_DIR, folder)
    manifest = folder / "manifeste.yaml"
    text = manifest.read_text(encoding="utf-8")
    text = text.replace('"296000029": ["96022",', '"296000029": ["96001", "96022",')
    manifest.write_text(text, encoding="utf-8")
    with pytest.raises(DataError) as err:
        load_folder(folder)
    assert (
        "colonne « competence_sppe » : trouvé pour l'EPCI « 296000029 », la commune « 96001 » "
        "qui n'en est pas membre"
    ) in str(err.value)
