"""Encodings and separators of the files people have (issue 13, item 5).

A CSV resaved by Excel (Windows-1252, « ; ») loads with a remark; only what is truly
ambiguous is refused, with a French message saying what to do.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from territoire_lib import dataset
from territoire_lib.errors import DataError
from territoire_lib.sources.reading import (
    Dialect,
    decode_file,
    detect_separator,
    dialects,
    read_delimited,
)

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, data: bytes, name: str = "f.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def error_of(path: Path, **kwargs) -> str:
    with pytest.raises(DataError) as err:
        read_delimited(path, sep=";", **kwargs)
    return str(err.value)


# -- encodings ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("data", "codec"),
    [
        ("CODGEO;LIBGEO\n90010;Évette\n".encode(), "utf-8"),
        (b"\xef\xbb\xbf" + "CODGEO;LIBGEO\n90010;Évette\n".encode(), "utf-8-sig"),
        ("CODGEO;LIBGEO\n90010;Évette\n".encode("cp1252"), "cp1252"),
        ("CODGEO;LIBGEO\n90010;Évette\n".encode("utf-16"), "utf-16"),  # with its BOM
    ],
)
def test_encodings_read(tmp_path, data, codec):
    text, used = decode_file(write(tmp_path, data))
    assert used == codec
    assert text.splitlines()[1] == "90010;Évette"


def test_windows_1252_keeps_the_euro_sign_and_quotes(tmp_path):
    # 0x80 € and 0x92 ’ exist in Windows-1252, not in ISO-8859-1
    text, used = decode_file(write(tmp_path, b"a;b\nl\x92\xe9t\xe9;12 \x80\n"))
    assert used == "cp1252" and text.splitlines()[1] == "l’été;12 €"


def test_two_encodings_mixed_are_refused(tmp_path):
    # « Évette » in UTF-8 on line 2, « Évette » in Windows-1252 (byte 0xC9) on line 3
    data = "CODGEO;LIBGEO\n90010;Évette\n".encode() + "90011;Évette\n".encode("cp1252")
    assert error_of(write(tmp_path, data)) == (
        "Le fichier ne peut pas être chargé :\n- fichier « f.csv », ligne 3 : trouvé deux "
        "encodages mêlés : « É » écrit en UTF-8 (ligne 2) mais un octet 0xC9 de Windows-1252 "
        "(ligne 3) ; attendu un fichier enregistré d'un seul tenant, en UTF-8 ou en "
        "Windows-1252 ; ou déclarez son encodage dans le manifeste ({fichier: …, encodage: "
        "windows-1252})."
    )


def test_a_workbook_renamed_csv_is_refused(tmp_path):
    msg = error_of(write(tmp_path, b"PK\x03\x04\x14\x00rest of a zip"))
    assert "trouvé un classeur Excel (.xlsx) et non un fichier texte" in msg
    assert "« CSV UTF-8 (délimité par des virgules) »" in msg


def test_utf16_without_bom_is_refused(tmp_path):
    data = "CODGEO;LIBGEO\n".encode("utf-16-le")
    msg = error_of(write(tmp_path, data))
    assert "ligne 1 : trouvé des octets nuls (fichier UTF-16 sans BOM, ou fichier binaire)" in msg


def test_declared_encoding_wins_and_is_checked(tmp_path):
    path = write(tmp_path, "CODGEO;LIBGEO\n90010;Évette\n".encode())
    # ISO-8859-15 reads any byte: the declaration is obeyed (mojibake is the user's choice)
    with dialects({path: Dialect("iso-8859-15")}):
        frame = read_delimited(path, sep=";")
    assert frame.at[0, "LIBGEO"] == "Ã\x89vette"
    cp = write(tmp_path, b"CODGEO;LIBGEO\n90010;\x81\n", "g.csv")
    with dialects({cp: Dialect("windows-1252")}), pytest.raises(DataError) as err:
        read_delimited(cp, sep=";")
    assert "ligne 2 : trouvé un octet 0x81 impossible en Windows-1252 (encodage demandé)" in str(
        err.value
    )


# -- separators -----------------------------------------------------------------------------
def test_only_separator_of_the_header_is_used():
    assert detect_separator("a;b;c\n1;2,5;3\n", ",", []) == ";"
    assert detect_separator("a,b,c\n1,2,3\n", ";", []) == ","
    assert detect_separator("a\tb\n1\t2\n", ";", []) == "\t"
    assert detect_separator("abc\n1\n", ";", []) is None


def test_both_separators_in_the_header_resolved_by_the_required_columns():
    # « nom, prénom » is one column of a « ; » file: splitting on « , » loses CODGEO
    text = "CODGEO;nom, prénom;FRR\n90010;A, B;FRR\n"
    assert detect_separator(text, ",", ["CODGEO", "FRR"]) == ";"


def test_both_separators_resolved_by_regular_lines():
    # header « code;libellé, court »: two fields either way; only « ; » gives every line as
    # many fields as the header (« 90010;Belfort » has no comma)
    text = "code;libellé, court\n90010;Belfort\n90011;Évette, centre\n"
    assert detect_separator(text, ",", []) == ";"


def test_truly_ambiguous_header_is_refused(tmp_path):
    # « a;b,c » with lines « 1;2,3 »: two fields with « ; », two with « , »… and the same
    # count on every line: either reading is possible, nothing says which
    path = write(tmp_path, b"code;nom,pop\n1;A,2\n", "x.csv")
    with pytest.raises(DataError) as err:
        read_delimited(path, sep="\t")
    assert str(err.value) == (
        "Le fichier ne peut pas être chargé :\n- fichier « x.csv », ligne 1 : trouvé un en-tête "
        "que le séparateur point-virgule « ; » et le séparateur virgule « , » découpent chacun "
        "en colonnes, sans que les lignes permettent de choisir ; attendu un seul séparateur "
        'possible ; déclarez-le dans le manifeste, ex. {fichier: x.csv, separateur: "\t"}.'
    )


def test_expected_separator_breaks_the_tie(tmp_path):
    path = write(tmp_path, b"code;nom,pop\n1;A,2\n", "x.csv")
    frame = read_delimited(path, sep=";")
    assert list(frame.columns[:2]) == ["code", "nom,pop"]


def test_declared_separator_is_checked(tmp_path):
    path = write(tmp_path, b"CODGEO,LIBGEO\n90010,A\n")
    with dialects({path: Dialect(separator=";")}), pytest.raises(DataError) as err:
        read_delimited(path, sep=";")
    assert str(err.value) == (
        "Le fichier ne peut pas être chargé :\n- fichier « f.csv », ligne 1 : trouvé le "
        "séparateur virgule « , » ; attendu le séparateur point-virgule « ; » déclaré dans le "
        "manifeste."
    )


# -- a folder resaved by Excel, through the import ------------------------------------------
def test_folder_resaved_by_excel_loads_with_the_same_figures(tmp_path):
    folder = tmp_path / "excel"
    shutil.copytree(REPO / "data" / "demo", folder)
    # Excel « CSV (séparateur : point-virgule) » on a French Windows: the CAFDATA export
    # loses its BOM and becomes Windows-1252; the COG file (« , ») gets « ; »
    sben = folder / "s_ben_com_f.csv"
    sben.write_bytes(sben.read_text(encoding="utf-8-sig").encode("cp1252"))
    cog = folder / "v_commune_2024.csv"
    cog.write_bytes(cog.read_text(encoding="utf-8").replace(",", ";").encode("cp1252"))
    original = dataset.load_folder(REPO / "data" / "demo")
    resaved = dataset.load_folder(folder)
    key = ["commune", "annee", "variable"]
    pd.testing.assert_frame_equal(
        resaved.observations.sort_values(key).reset_index(drop=True),
        original.observations.sort_values(key).reset_index(drop=True),
    )
    assert resaved.geography.communes["nom"].tolist() == (
        original.geography.communes["nom"].tolist()
    )
    notes = {n for r in resaved.reports for n in r.notes}
    assert (
        "« s_ben_com_f.csv » lu en Windows-1252, séparateur point-virgule « ; » (détecté) ; le "
        "fichier publié est en UTF-8 avec le séparateur point-virgule « ; » : encodage "
        "Windows-1252 d'un fichier réenregistré (par un tableur ?), accepté tel quel — vérifiez "
        "que les codes commune ont gardé leur zéro initial."
    ) in notes
    assert (
        "« v_commune_2024.csv » lu en Windows-1252, séparateur point-virgule « ; » (détecté) ; "
        "le fichier publié est en UTF-8 avec le séparateur virgule « , » : encodage "
        "Windows-1252 et séparateur point-virgule « ; » d'un fichier réenregistré (par un "
        "tableur ?), accepté tel quel — vérifiez que les codes commune ont gardé leur zéro "
        "initial."
    ) in notes
