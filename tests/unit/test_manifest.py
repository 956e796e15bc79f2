"""The manifest of a data folder: schema, French errors, files it names (issue 13, items 2, 4).

Every mistake of the issue gives one French error naming the key and its line, what was found,
what is expected and an example; nothing is silently ignored.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pytest

from territoire_lib import dataset
from territoire_lib.errors import DataError
from territoire_lib.manifest import (
    SCHEMA_PATH,
    file_keys,
    file_refs,
    load_manifest,
    read_manifest,
    schema,
)
from territoire_lib.yaml_lines import load_yaml

REPO = Path(__file__).resolve().parents[2]


def manifest_error(tmp_path: Path, text: str, encoding: str = "utf-8") -> str:
    (tmp_path / "manifeste.yaml").write_bytes(text.encode(encoding))
    with pytest.raises(DataError) as err:
        load_manifest(tmp_path)
    return str(err.value)


def only_issue(message: str) -> str:
    head = "Le fichier ne peut pas être chargé :\n- "
    assert message.startswith(head), message
    return message[len(head) :]


# -- the mistakes of the issue ----------------------------------------------------------------
def test_filosofi_as_a_bare_file_name(tmp_path):
    # was: TypeError
    msg = manifest_error(tmp_path, "fichiers:\n  filosofi: FILO2021_DISP_COM.csv\n")
    assert only_issue(msg) == (
        "fichier « manifeste.yaml », ligne 2, clé « fichiers → filosofi » : trouvé le nom de "
        "fichier « FILO2021_DISP_COM.csv » ; attendu une rubrique {disp: …, pauvres: …} ou une "
        "liste de rubriques : « disp » le fichier des revenus (FILO20AA_DISP_COM.csv), "
        "« pauvres » celui du taux de pauvreté (FILO20AA_DISP_PAUVRES_COM.csv) ; l'un ou "
        "l'autre suffit ; exemple : « filosofi: [{disp: FILO2021_DISP_COM.csv, pauvres: "
        "FILO2021_DISP_PAUVRES_COM.csv}] »."
    )


def test_petite_enfance_as_a_list(tmp_path):
    # was: AttributeError
    msg = manifest_error(tmp_path, "nom: X\nfichiers:\n  petite_enfance: [a.csv, b.csv]\n")
    assert only_issue(msg) == (
        "fichier « manifeste.yaml », ligne 3, clé « fichiers → petite_enfance » : trouvé une "
        "liste de 2 éléments ; attendu une rubrique {taux: {niveau: fichier}, places: {niveau: "
        "fichier}} : fichiers Onape txcouv_pe_* et nbpla_pe_*, niveaux com, epci, dep, reg, nat "
        "; exemple : « petite_enfance: {taux: {com: txcouv_pe_com.csv, epci: "
        "txcouv_pe_epci.csv}, places: {com: nbpla_pe_com.csv, epci: nbpla_pe_epci.csv}} »."
    )


def test_top_level_typo_is_an_error(tmp_path):
    # was: every perimeter silently dropped, exit 0
    text = (
        "departements: ['90']\n"
        "fichiers:\n"
        "  contours: c.geojson\n"
        "perimetre:\n"
        "  CTG-NORD: {nom: Nord, communes: ['90001']}\n"
    )
    assert only_issue(manifest_error(tmp_path, text)) == (
        "fichier « manifeste.yaml », ligne 4, clé « perimetre » : trouvé la clé inconnue "
        "« perimetre » (vouliez-vous dire « perimetres » ?), qui serait ignorée ; attendu l'une "
        "des clés : nom, fictif, departements, noms, fichiers, perimetres, competence_sppe, confidentiel ; "
        'exemple : « perimetres: {CTG-NORD: {nom: CTG du Nord, communes: ["90001", '
        '"90002"]}} ».'
    )


def test_duplicated_key_is_an_error(tmp_path):
    # was: the first list of files silently dropped
    text = (
        "fichiers:\n  cafdata: [s_ben_com_f.csv]\n  qpv: q.csv\n  cafdata: [rsa_s_type_com_f.csv]\n"
    )
    assert only_issue(manifest_error(tmp_path, text)) == (
        "fichier « manifeste.yaml », ligne 4, clé « fichiers → cafdata » : trouvé la clé "
        "« cafdata » écrite deux fois (déjà ligne 2) : la seconde remplacerait la première sans "
        "prévenir ; attendu chaque clé une seule fois ; réunissez les deux listes sous une seule "
        "clé « cafdata: »."
    )


def test_windows_1252_manifest_is_read(tmp_path):
    # was: UnicodeDecodeError traceback
    (tmp_path / "manifeste.yaml").write_bytes(
        "nom: Département de l'Aisne\nfichiers:\n  cafdata: s.csv\n".encode("cp1252")
    )
    checked = load_manifest(tmp_path)
    assert checked.data["nom"] == "Département de l'Aisne"
    assert checked.report.notes == [
        "manifeste enregistré en Windows-1252 (pas en UTF-8) : lu comme tel."
    ]


def test_unknown_file_key_with_suggestion_and_its_line(tmp_path):
    text = "nom: X\nfichiers:\n  cafdata: s.csv\n  filosophi: [{disp: F.csv}]\n"
    assert only_issue(manifest_error(tmp_path, text)) == (
        "fichier « manifeste.yaml », ligne 4, clé « fichiers → filosophi » : trouvé la clé "
        "inconnue « filosophi » (vouliez-vous dire « filosofi » ?), qui serait ignorée ; attendu "
        "l'une des clés : cog_communes, epci_composition, population_age, familles, filosofi, "
        "filosofi_long, cafdata, naissances, populations_legales, petite_enfance, "
        "tauxcouv_historique, qpv, revenus_qpv, accueils_mineurs, frr, contours ; exemple : "
        "« filosofi: [{disp: "
        "FILO2021_DISP_COM.csv, pauvres: FILO2021_DISP_PAUVRES_COM.csv}] »."
    )


def test_mistake_inside_a_list_names_the_item(tmp_path):
    text = "fichiers:\n  cafdata:\n    - s_ben_com_f.csv\n    - 12\n"
    assert only_issue(manifest_error(tmp_path, text)) == (
        "fichier « manifeste.yaml », ligne 4, clé « fichiers → cafdata → n° 2 » : trouvé le "
        "nombre 12 ; attendu un nom de fichier, ou une rubrique {fichier: …, encodage: …, "
        "separateur: …} ; exemple : « cafdata: [s_ben_com_f.csv, ndur_s_qf_400_com_f.csv, "
        "rsa_s_type_com_f.csv] »."
    )


def test_unknown_encoding(tmp_path):
    text = "fichiers:\n  cafdata: {fichier: s.csv, encodage: ascii}\n"
    assert only_issue(manifest_error(tmp_path, text)) == (
        "fichier « manifeste.yaml », ligne 2, clé « fichiers → cafdata → encodage » : trouvé "
        "le texte « ascii » ; attendu un encodage : utf-8, windows-1252, iso-8859-1, "
        "iso-8859-15 ou utf-16 ; exemple : « encodage: windows-1252 »."
    )


def test_misspelt_fichiers_is_one_error(tmp_path):
    msg = manifest_error(tmp_path, "fichier:\n  cafdata: s.csv\n")
    assert "trouvé la clé inconnue « fichier » (vouliez-vous dire « fichiers » ?)" in msg
    assert "aucune clé « fichiers »" not in msg  # the same mistake, said once


def test_several_mistakes_listed_in_line_order(tmp_path):
    text = "fictif: oui\nfichiers:\n  qpv: [a.csv, b.csv]\nperimetres:\n  P: {nom: P}\n"
    msg = manifest_error(tmp_path, text)
    assert msg.startswith("Problèmes de données :\n")
    lines = msg.splitlines()[1:]
    assert [ln.split(" : ")[0] for ln in lines] == [
        "- fichier « manifeste.yaml », ligne 1, clé « fictif »",
        "- fichier « manifeste.yaml », ligne 3, clé « fichiers → qpv »",
        "- fichier « manifeste.yaml », ligne 5, clé « perimetres → P »",
    ]
    assert "trouvé le texte « oui » ; attendu true ou false" in lines[0]
    assert "trouvé aucune clé « communes »" in lines[2]


def test_yaml_syntax_error_names_the_line(tmp_path):
    msg = manifest_error(tmp_path, "fichiers:\n  cafdata: [a.csv\n  qpv: b.csv\n")
    assert "fichier « manifeste.yaml », ligne " in msg and "un YAML invalide" in msg
    assert "Traceback" not in msg


def test_empty_manifest(tmp_path):
    assert only_issue(manifest_error(tmp_path, "# rien\n")) == (
        "fichier « manifeste.yaml », ligne 1 : trouvé un manifeste vide ; attendu une rubrique "
        "« fichiers » ; exemple : « fichiers: {cog_communes: v_commune_2024.csv} »."
    )


# -- accepted forms ---------------------------------------------------------------------------
def test_codes_written_as_numbers_get_their_zeros_back(tmp_path):
    text = (
        "departements: [1, '90']\n"
        "fichiers:\n  cafdata: s.csv\n"
        "perimetres:\n  P: {nom: P, communes: [01001, 1002, '90010']}\n"
    )
    (tmp_path / "manifeste.yaml").write_text(text, encoding="utf-8")
    checked = load_manifest(tmp_path)
    assert checked.data["departements"] == ["01", "90"]
    # 01001: a leading zero keeps a YAML number as text (not the octal 513)
    assert checked.data["perimetres"]["P"]["communes"] == ["01001", "01002", "90010"]
    assert checked.report.notes == [
        "departements : le code 1 écrit sans guillemets lu « 01 » (zéro initial rétabli).",
        "perimetres → P : le code 1002 écrit sans guillemets lu « 01002 » (zéro initial rétabli).",
    ]


def test_file_refs_with_declared_dialects():
    manifest = {
        "fichiers": {
            "cafdata": [{"fichier": "s.csv", "encodage": "windows-1252", "separateur": ";"}],
            "filosofi": [{"pauvres": "P.csv"}],
            "petite_enfance": {"taux": {"com": ["h.csv", "t.csv"]}, "places": {"epci": "p.csv"}},
            "frr": {
                "fichier": "frr.csv",
                "colonnes": {"code": "CODGEO"},
                "separateur": "tabulation",
            },
            "contours": {"fichier": "c.geojson", "fusions": {"90073": "90068"}},
        }
    }
    refs = [(r.name, r.encoding, r.separator) for r in file_refs(manifest)]
    assert refs == [
        ("s.csv", "windows-1252", ";"),
        ("P.csv", None, None),
        ("h.csv", None, None),
        ("t.csv", None, None),
        ("p.csv", None, None),
        ("frr.csv", None, "\t"),
        ("c.geojson", None, None),
    ]


# -- the schema itself ------------------------------------------------------------------------
def test_schema_is_valid_json_schema_and_knows_every_manifest_key():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema())
    # a key the loaders read but the schema refuses (or the reverse) would be a silent bug
    assert set(file_keys()) == set(dataset.MANIFEST_KEYS)


def test_schema_is_package_data_and_jsonschema_a_dependency():
    project = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert "manifest_schema.json" in project["tool"]["setuptools"]["package-data"]["territoire_lib"]
    assert any(d.startswith("jsonschema>=4") for d in project["project"]["dependencies"])
    assert SCHEMA_PATH.parent.name == "territoire_lib"
    json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def test_data_readme_tables_every_key():
    readme = (REPO / "data" / "README.md").read_text(encoding="utf-8")
    for key in schema()["properties"]:
        assert f"| `{key}` |" in readme, key
    for key in file_keys():
        assert f"| `fichiers → {key}` |" in readme, key


def test_demo_manifest_is_valid():
    data = read_manifest(REPO / "data" / "demo")
    assert data["departements"] == ["96"]
    assert len(file_refs(data)) == len(set(dataset._files_of(data)))


def test_duplicate_keys_refused_in_any_yaml_read_with_lines():
    with pytest.raises(DataError) as err:
        load_yaml("a: 1\nb:\n  c: 1\n  c: 2\n", "catalogue.yaml", "un catalogue YAML valide")
    assert str(err.value) == (
        "Le fichier ne peut pas être chargé :\n- fichier « catalogue.yaml », ligne 4, clé "
        "« b → c » : trouvé la clé « c » écrite deux fois (déjà ligne 3) : la seconde "
        "remplacerait la première sans prévenir ; attendu chaque clé une seule fois ; "
        "réunissez les deux listes sous une seule clé « c: »."
    )


# -- through the import ----------------------------------------------------------------------
def _demo_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "donnees"
    shutil.copytree(REPO / "data" / "demo", folder)
    return folder


def _edit_manifest(folder: Path, old: str, new: str) -> None:
    path = folder / "manifeste.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_import_with_a_typo_fails_in_french(tmp_path, capsys, monkeypatch):
    from territoire_lib.cli import main

    monkeypatch.setattr(dataset, "CACHE_DIR", tmp_path / "cache")
    folder = _demo_copy(tmp_path)
    _edit_manifest(folder, "\nperimetres:\n", "\nperimetre:\n")
    assert main(["import", str(folder)]) == 1
    err = capsys.readouterr().err
    assert "clé « perimetre » : trouvé la clé inconnue « perimetre »" in err
    assert "Traceback" not in err


def test_filosofi_poverty_file_alone_through_the_import(tmp_path):
    # issue 13, item 4: « filosofi: [{pauvres: …}] » was KeyError: 'disp'
    folder = _demo_copy(tmp_path)
    _edit_manifest(
        folder,
        "filosofi: [{disp: FILO2021_DISP_COM.csv, pauvres: FILO2021_DISP_PAUVRES_COM.csv}]",
        "filosofi: [{pauvres: FILO2021_DISP_PAUVRES_COM.csv}]",
    )
    territory = dataset.load_folder(folder)
    obs = territory.observations
    filo = obs[obs["annee"] == 2021]
    assert "taux_pauvrete_publie" in set(filo["variable"])
    assert "niveau_vie_median" not in set(filo["variable"])
    report = next(r for r in territory.reports if r.file == "FILO2021_DISP_PAUVRES_COM.csv")
    assert report.missing_columns == {"NBPERS21": "personnes_menages_fiscaux"}


def test_declared_encoding_and_separator_are_used(tmp_path):
    folder = _demo_copy(tmp_path)
    # a CAFDATA export resaved with tabs, in Windows-1252, and declared as such
    path = folder / "rsa_s_type_com_f.csv"
    text = path.read_text(encoding="utf-8-sig")
    path.write_bytes(text.replace(";", "\t").encode("cp1252"))
    _edit_manifest(
        folder,
        "rsa_s_type_com_f.csv,",
        '{fichier: rsa_s_type_com_f.csv, encodage: windows-1252, separateur: "\\t"},',
    )
    territory = dataset.load_folder(folder)
    report = next(r for r in territory.reports if r.file == "rsa_s_type_com_f.csv")
    assert (
        "« rsa_s_type_com_f.csv » lu en Windows-1252, séparateur tabulation (déclaré dans le "
        "manifeste) ; le fichier publié est en UTF-8 avec le séparateur point-virgule « ; » : "
        "encodage Windows-1252 et séparateur tabulation d'un fichier réenregistré (par un "
        "tableur ?), accepté tel quel — vérifiez que les codes commune ont gardé leur zéro "
        "initial."
    ) in report.notes
    assert "foyers_rsa" in set(territory.observations["variable"])


def test_missing_file_names_its_manifest_line(tmp_path):
    (tmp_path / "manifeste.yaml").write_text(
        "departements: ['90']\nfichiers:\n  qpv: absent.csv\n", encoding="utf-8"
    )
    with pytest.raises(DataError) as err:
        dataset.load_folder(tmp_path)
    assert only_issue(str(err.value)) == (
        "fichier « manifeste.yaml », ligne 3 : trouvé le fichier « absent.csv » annoncé mais "
        "absent du dossier ; attendu un fichier présent à côté du manifeste."
    )
