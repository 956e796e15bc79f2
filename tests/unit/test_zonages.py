"""Zonings: QPV list (multi-commune split), QPV perimeters, FRR / ZRR commune lists."""

from __future__ import annotations

import json

import openpyxl
import pytest

from territoire_lib.errors import DataError, TerritoireError
from territoire_lib.sources.geometry import signed_area
from territoire_lib.sources.zonages import read_frr, read_qpv_geojson, read_qpv_list

QPV_HEADER = (
    "code_qp;lib_qp;insee_reg;lib_reg;insee_dep;lib_dep;insee_com;lib_com;siren_epci;lib_epci"
)


def qpv_file(tmp_path, *rows: str):
    path = tmp_path / "listeqp2024-cog2024.csv"
    path.write_text("\ufeff" + "\n".join([QPV_HEADER, *rows]) + "\n", encoding="utf-8")
    return path


def qpv_row(code, lib, communes, names="X", dep="93") -> str:
    return f"{code};{lib};11;Île-de-France;{dep};Dép;{communes};{names};200054781;EPT"


# -- QPV list -------------------------------------------------------------------------------
def test_qpv_spanning_two_communes_counts_for_each(tmp_path):
    path = qpv_file(
        tmp_path,
        qpv_row("QN09301M", "Les Tilleuls", "93001, 93066", "Aubervilliers, Saint-Denis"),
        qpv_row("QN09302M", "La Cité", "93001", "Aubervilliers"),
    )
    frame, report = read_qpv_list(path)
    assert list(frame.columns) == ["commune", "code_qp", "lib_qp"]
    # QN09301M once for 93001 and once for 93066; QN09302M for 93001
    assert frame.values.tolist() == [
        ["93001", "QN09301M", "Les Tilleuls"],
        ["93001", "QN09302M", "La Cité"],
        ["93066", "QN09301M", "Les Tilleuls"],
    ]
    assert frame.groupby("commune").size().to_dict() == {"93001": 2, "93066": 1}
    assert report.rows_read == 2 and report.rows_kept == 2
    assert any("1 QPV" in n and "3 couples QPV × commune" in n for n in report.notes)


def test_qpv_other_separators_and_repeated_commune(tmp_path):
    path = qpv_file(
        tmp_path,
        qpv_row("QN09301M", "A", "93001/93066"),
        qpv_row("QN09303M", "B", "93001 93066  93048"),
        qpv_row("QN97414I", "C", "97414,97414", dep="974"),  # same commune twice: counted once
    )
    frame, _ = read_qpv_list(path)
    got = sorted(map(tuple, frame[["code_qp", "commune"]].values.tolist()))
    assert got == [
        ("QN09301M", "93001"),
        ("QN09301M", "93066"),
        ("QN09303M", "93001"),
        ("QN09303M", "93048"),
        ("QN09303M", "93066"),
        ("QN97414I", "97414"),
    ]


def test_qpv_arrondissements_folded(tmp_path):
    path = qpv_file(tmp_path, qpv_row("QN07501A", "Goutte d'Or", "75118, 75119", dep="75"))
    frame, report = read_qpv_list(path)
    # both arrondissements are Paris: one row for 75056
    assert frame.values.tolist() == [["75056", "QN07501A", "Goutte d'Or"]]
    assert any("2 code(s) d'arrondissement" in n for n in report.notes)


def test_qpv_known_communes(tmp_path):
    path = qpv_file(
        tmp_path,
        qpv_row("QN09301M", "A", "93001, 93066"),
        qpv_row("QN09302M", "B", "93999"),  # a 93 code the referential does not know
        qpv_row("QN01001M", "C", "01053", dep="01"),  # outside the loaded territory
    )
    frame, report = read_qpv_list(path, known_communes={"93001", "93002"})
    assert frame.values.tolist() == [["93001", "QN09301M", "A"]]
    assert report.unmatched_codes == ["93066", "93999"]
    assert report.dropped == {
        "commune hors du territoire chargé": 1,
        "code commune absent du référentiel (autre millésime du COG ?)": 2,
    }
    assert report.rows_kept == 1  # only the first line keeps a commune


def test_qpv_lost_leading_zero(tmp_path):
    path = qpv_file(tmp_path, qpv_row("QN01001M", "Bourg", "1053", dep="01"))
    with pytest.raises(DataError) as err:
        read_qpv_list(path)
    msg = str(err.value)
    assert "ligne 2, colonne « insee_com »" in msg
    assert "« 1053 » (le zéro initial a disparu : 01053 ?)" in msg


def test_qpv_bad_code_and_empty_commune(tmp_path):
    path = qpv_file(
        tmp_path,
        qpv_row("QN09301M", "A", "93001"),
        qpv_row("Q0930", "B", "93001"),
        qpv_row("QN09303M", "C", ""),
    )
    with pytest.raises(DataError) as err:
        read_qpv_list(path)
    msg = str(err.value)
    assert "ligne 3, colonne « code_qp » : trouvé « Q0930 »" in msg
    assert "QN04901M" in msg
    assert "ligne 4, colonne « insee_com » : trouvé une valeur vide" in msg


def test_qpv_duplicate(tmp_path):
    path = qpv_file(
        tmp_path,
        qpv_row("QN09301M", "A", "93001, 93066"),
        qpv_row("QN09302M", "B", "93001"),
        qpv_row("QN09301M", "A", "93066"),
    )
    with pytest.raises(DataError) as err:
        read_qpv_list(path)
    msg = str(err.value)
    assert "ligne 4, colonne « code_qp »" in msg
    assert "QN09301M / 93066" in msg and "déjà ligne 2" in msg


def test_qpv_comma_separator_is_detected(tmp_path):
    path = tmp_path / "liste.csv"
    path.write_text(QPV_HEADER.replace(";", ",") + "\nQN09301M,A,11,I,93,S,93001,A,1,E\n")
    frame, _ = read_qpv_list(path)
    assert frame.values.tolist() == [["93001", "QN09301M", "A"]]


def test_qpv_geojson(tmp_path):
    ccw = [[2.35, 48.93], [2.36, 48.93], [2.36, 48.94], [2.35, 48.94], [2.35, 48.93]]
    props = {"code_qp": "QN09301M", "lib_qp": "Les Tilleuls", "insee_com": "93001, 93066"}
    data = {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {"type": "Polygon", "coordinates": [ccw]},
            }
        ],
    }
    path = tmp_path / "QP2024.geojson"
    path.write_text(json.dumps(data))
    frame, fc, report = read_qpv_geojson(path)
    assert frame.values.tolist() == [
        ["93001", "QN09301M", "Les Tilleuls"],
        ["93066", "QN09301M", "Les Tilleuls"],
    ]
    f = fc["features"][0]
    assert f["properties"] == {
        "code_qp": "QN09301M",
        "lib_qp": "Les Tilleuls",
        "communes": ["93001", "93066"],
    }
    assert signed_area(ccw) > 0 > signed_area(f["geometry"]["coordinates"][0])  # rewound CW
    assert report.rows_read == 1


def test_qpv_geojson_bad_code_names_object(tmp_path):
    sq = [[[2, 48], [3, 48], [3, 49], [2, 49], [2, 48]]]
    feats = [
        {
            "type": "Feature",
            "properties": {"code_qp": code, "lib_qp": "A", "insee_com": "93001"},
            "geometry": {"type": "Polygon", "coordinates": sq},
        }
        for code in ("QN09301M", "QX1")
    ]
    path = tmp_path / "QP2024.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": feats}))
    with pytest.raises(DataError) as err:
        read_qpv_geojson(path)
    assert "colonne « code_qp » : trouvé « QX1 » (objet n° 2)" in str(err.value)


# -- ZRR / FRR ------------------------------------------------------------------------------
ZRR_CSV = (
    "CODGEO,LIBGEO,ZRR_SIMP,ZONAGE_ZRR\n"
    "01001,L'Abergement-Clémenciat,NC Non classée,x\n"
    "01002,L'Abergement-de-Varey,C  Classée en ZRR,x\n"
    "97414,Saint-Louis,P  Commune partiellement classée en ZRR,x\n"
)


def test_zrr_default_values(tmp_path):
    path = tmp_path / "diffusion-zonages-zrr-cog2021.csv"
    path.write_text(ZRR_CSV, encoding="utf-8")  # comma-separated: sniffed from the header
    frame, report = read_frr(path)
    assert frame.values.tolist() == [
        ["01001", "non", "L'Abergement-Clémenciat"],
        ["01002", "zrr", "L'Abergement-de-Varey"],
        ["97414", "partiel", "Saint-Louis"],
    ]
    assert report.source == "Zonage ZRR"
    assert report.rows_read == 3 and report.rows_kept == 3


def test_zrr_values_ignore_case_accents_and_spaces(tmp_path):
    path = tmp_path / "zrr.csv"
    path.write_text("CODGEO;ZRR_SIMP\n01001;c classee en zrr\n01002;NC   Non Classée\n")
    frame, _ = read_frr(path)
    assert frame["classement"].tolist() == ["zrr", "non"]
    assert list(frame.columns) == ["commune", "classement"]  # no LIBGEO: no nom


def test_frr_default_layout(tmp_path):
    path = tmp_path / "frr.csv"
    path.write_text(
        "CODGEO;LIBGEO;FRR\n01003;A;FRR\n01004;B;FRR+\n01005;C;Bénéficiaire\n01006;D;non\n"
    )
    frame, report = read_frr(path, known_communes={"01003", "01004", "01005"})
    assert frame[["commune", "classement"]].values.tolist() == [
        ["01003", "frr"],
        ["01004", "frr_plus"],
        ["01005", "beneficiaire"],
    ]
    assert report.unmatched_codes == ["01006"]  # same département, not in the referential
    assert any("FRR+ 1" in n for n in report.notes)


def _xlsx(tmp_path, rows, name="Liste communes FRR_juillet2025.xlsx"):
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = "Communes"
    for r in rows:
        ws.append(r)
    path = tmp_path / name
    book.save(path)
    return path


MAPPING = {
    "code": "Code INSEE",
    "nom": "Commune",
    "classement": "Classement FRR",
    "valeurs": {
        "FRR socle (2024)": "frr",
        "FRR+ renforcée": "frr_plus",
        "Bénéficiaire (ex-ZRR)": "beneficiaire",
        "Partiellement": "partiel",
        "—": "non",
    },
    "skip": 2,
}


def test_frr_custom_mapping_xlsx(tmp_path):
    path = _xlsx(
        tmp_path,
        [
            ["Liste des communes classées en FRR"],  # row 1: title
            [None],  # row 2: blank
            ["Code INSEE", "Commune", "Classement FRR"],  # row 3: header (skip = 2)
            ["2A004", "Ajaccio", "—"],
            ["05001", "Abriès-Ristolas", "FRR+ renforcée"],
            ["04001", "Aiglun", "FRR socle (2024)"],
            ["97414", "Saint-Louis", "partiellement"],  # case does not matter
            ["09001", "Aigues-Juntes", "Bénéficiaire (ex-ZRR)"],
        ],
    )
    frame, report = read_frr(path, mapping=MAPPING)
    assert frame.values.tolist() == [
        ["04001", "frr", "Aiglun"],
        ["05001", "frr_plus", "Abriès-Ristolas"],
        ["09001", "beneficiaire", "Aigues-Juntes"],
        ["2A004", "non", "Ajaccio"],
        ["97414", "partiel", "Saint-Louis"],
    ]
    assert report.source == "Zonage FRR" and report.rows_kept == 5


def test_frr_xlsx_numeric_code_lost_leading_zero(tmp_path):
    path = _xlsx(
        tmp_path,
        [["t"], [None], ["Code INSEE", "Commune", "Classement FRR"], [4001, "Aiglun", "FRR"]],
    )
    with pytest.raises(DataError) as err:
        read_frr(path, mapping=MAPPING)
    msg = str(err.value)
    # header on row 3, so the first data row is spreadsheet row 4
    assert "ligne 4, colonne « Code INSEE »" in msg
    assert "(le zéro initial a disparu : 04001 ?)" in msg


def test_frr_unknown_classification(tmp_path):
    path = tmp_path / "frr.csv"
    path.write_text("CODGEO;LIBGEO;FRR\n01003;A;FRR\n01004;B;Zone montagne\n")
    with pytest.raises(DataError) as err:
        read_frr(path)
    msg = str(err.value)
    assert "ligne 3, colonne « FRR » : trouvé « Zone montagne »" in msg
    assert "« FRR+ »" in msg and "frr_plus" in msg  # accepted values listed
    assert "manifeste" in msg and "« valeurs »" in msg


def test_frr_missing_column_names_mapping_key(tmp_path):
    path = tmp_path / "frr.csv"
    path.write_text("INSEE;NOM;FRR\n01003;A;FRR\n")
    with pytest.raises(DataError) as err:
        read_frr(path)
    msg = str(err.value)
    assert "ligne 1, colonne « CODGEO » : trouvé aucune colonne « CODGEO »" in msg
    assert "INSEE, NOM, FRR" in msg and "clé « code »" in msg
    frame, _ = read_frr(path, mapping={"code": "insee", "nom": "nom"})  # case-insensitive
    assert frame.values.tolist() == [["01003", "frr", "A"]]


def test_frr_wrong_separator_given(tmp_path):
    path = tmp_path / "frr.csv"
    path.write_text("CODGEO,LIBGEO,FRR\n01003,A,FRR\n")
    with pytest.raises(DataError) as err:
        read_frr(path, sep=";")
    assert "ligne 1" in str(err.value) and "virgule" in str(err.value)


def test_frr_duplicate_commune(tmp_path):
    path = tmp_path / "frr.csv"
    path.write_text("CODGEO;FRR\n01003;FRR\n01004;FRR\n01003;FRR+\n")
    with pytest.raises(DataError) as err:
        read_frr(path)
    assert "ligne 4, colonne « CODGEO » : trouvé commune « 01003 » en double (déjà ligne 2)" in str(
        err.value
    )


def test_frr_bad_mapping(tmp_path):
    path = tmp_path / "frr.csv"
    path.write_text("CODGEO;FRR\n01003;FRR\n")
    with pytest.raises(TerritoireError, match="classements acceptés"):
        read_frr(path, mapping={"valeurs": {"X": "super_frr"}})
    with pytest.raises(TerritoireError, match="clé\\(s\\) inconnue\\(s\\)"):
        read_frr(path, mapping={"colonne": "CODGEO"})


def test_frr_xls_refused(tmp_path):
    path = tmp_path / "diffusion-zonages-zrr-cog2021.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataError, match="xlsx"):
        read_frr(path)


def test_frr_mixed_separator_header_hint(tmp_path):
    path = tmp_path / "frr.csv"
    path.write_text("CODGEO,LIBGEO;FRR\n01003,A;FRR\n")
    with pytest.raises(DataError) as err:
        read_frr(path, sep=";")
    msg = str(err.value)
    assert "ligne 1, colonne « CODGEO »" in msg
    assert "virgule « , »" in msg and "point-virgule « ; »" in msg
