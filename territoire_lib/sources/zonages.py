"""Zonings: QPV 2024 (ANCT list and perimeters), FRR and historical ZRR commune lists.

data-formats.md §4:

* ``listeqp2024-cog2024.csv``: ``;``, UTF-8 with BOM, one line per QPV; a QPV spanning several
  communes lists several codes in ``insee_com``. The QPV then counts for each of them.
* ZRR (ANCT, COG 2021): ``CODGEO``, ``LIBGEO``, ``ZRR_SIMP`` (``C  Classée en ZRR``,
  ``P  Commune partiellement classée en ZRR``, ``NC Non classée``).
* FRR (DGCL, COG 2023): the column names of the consolidated table are **not verified**, so
  the loader takes a column mapping (from the manifest) and maps raw classification values to
  the canonical ones of :data:`CLASSEMENTS`.

Layer « sources »: imports socle (errors, geo, input_limits); its own layer (sources.geometry,
sources.reading).
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Issue, IssueCollector, LoadReport, TerritoireError, fmt_int, quote
from ..geo import check_commune_codes, fold_arrondissements, is_arrondissement
from ..input_limits import check_archive, check_regular
from .geometry import (
    FeatureIssueCollector,
    feature_collection,
    gc_paused,
    geometry_mapping,
    load_geojson,
    parse_features,
    prepare_for_map,
    restrict_to_communes,
)
from .reading import LINE, SEPARATOR_NAMES, check_unique, read_delimited, read_text

# -- QPV ----------------------------------------------------------------------------------------
QPV_CODE_PATTERN = r"^QN[0-9A-Z]{5,6}$"
QPV_COLUMNS = ["commune", "code_qp", "lib_qp"]
# separators between the commune codes of one cell ("93001, 93066", "93001/93066", "93001 93066")
_COMMUNE_LIST_SEP = r"[,;/\s]+"


def read_qpv_list(
    path: str | Path, known_communes: set[str] | None = None
) -> tuple[pd.DataFrame, LoadReport]:
    """ANCT ``listeqp2024-cog2024.csv`` → one row per QPV × commune.

    Returns ``commune, code_qp, lib_qp``. Arrondissement codes (Paris, Lyon, Marseille) are
    folded into their commune. With ``known_communes``, other communes are dropped and those
    of a loaded département but unknown are reported as unmatched.
    """
    path = Path(path)
    raw = read_delimited(
        path, sep=";", required=["code_qp", "lib_qp", "insee_com"], case_insensitive=True
    )
    report = LoadReport("Quartiers prioritaires (QPV 2024, ANCT)", path.name)
    report.rows_read = len(raw)
    issues = IssueCollector(path)
    frame = _qpv_pairs(raw, issues, report, known_communes)
    return frame, report


def read_qpv_geojson(
    path: str | Path, known_communes: set[str] | None = None
) -> tuple[pd.DataFrame, dict, LoadReport]:
    """QP2024 perimeters (``QP2024_France_Hexagonale_Outre_Mer_WGS84.geojson``).

    Returns the same frame as :func:`read_qpv_list` and a FeatureCollection of the kept QPV,
    properties ``code_qp``, ``lib_qp``, ``communes`` (list of commune codes), coordinates
    rounded to 5 decimals and rings rewound for Vega (exterior clockwise).
    """
    path = Path(path)
    report = LoadReport("Périmètres des quartiers prioritaires (QPV 2024, ANCT)", path.name)
    with gc_paused():
        data = load_geojson(path)
        issues = FeatureIssueCollector(path)
        props, geoms = parse_features(
            data["features"], issues, ["code_qp", "lib_qp", "insee_com"], ["code_qp", "insee_com"]
        )
    report.rows_read = len(data["features"])
    issues.raise_if_any()
    props[LINE] = np.arange(1, len(props) + 1)  # feature numbers, shown as « objet n° N »
    codes = props["code_qp"].str.strip().str.upper()
    dup = codes.duplicated(keep="first")
    first = props[LINE].groupby(codes).transform("first")
    for idx in dup[dup].index[:50]:
        issues.add(
            f"le QPV {quote(codes[idx])} en double (déjà objet n° {int(first[idx])})",
            "un seul objet par QPV",
            line=int(props.at[idx, LINE]),
            column="code_qp",
        )
    frame = _qpv_pairs(props, issues, report, known_communes)

    kept = frame.groupby("code_qp", sort=False)["commune"].agg(list)
    mask = props["code_qp"].str.strip().str.upper().isin(kept.index).to_numpy()
    sel = props[mask]
    ready = prepare_for_map(geoms[mask])
    features = [
        {
            "type": "Feature",
            "properties": {"code_qp": code, "lib_qp": lib, "communes": kept[code]},
            "geometry": geometry_mapping(g),
        }
        for code, lib, g in zip(
            sel["code_qp"].str.strip().str.upper(), sel["lib_qp"], ready, strict=True
        )
    ]
    return frame, feature_collection(features), report


def _qpv_pairs(
    raw: pd.DataFrame,
    issues: IssueCollector,
    report: LoadReport,
    known: set[str] | None,
) -> pd.DataFrame:
    """Validate QPV rows (code_qp, lib_qp, insee_com, _ligne) and split them by commune."""
    code = raw["code_qp"].astype("string").str.strip().str.upper()
    bad = ~code.str.fullmatch(QPV_CODE_PATTERN).fillna(False).astype(bool)
    for idx in bad[bad].index[:50]:
        issues.add(
            quote(raw.at[idx, "code_qp"]),
            "un code QPV : « QN » suivi de 5 ou 6 caractères (ex. QN04901M, QN97414I)",
            line=int(raw.at[idx, LINE]),
            column="code_qp",
        )
    cells = raw["insee_com"].astype("string").str.strip()
    for idx in cells[cells == ""].index[:50]:
        issues.add(
            "une valeur vide",
            "au moins un code commune (plusieurs codes séparés par des virgules si le quartier "
            "s'étend sur plusieurs communes)",
            line=int(raw.at[idx, LINE]),
            column="insee_com",
        )
    long = pd.DataFrame(
        {
            "code_qp": code,
            "lib_qp": raw["lib_qp"].astype("string").str.strip(),
            "commune": cells.str.split(_COMMUNE_LIST_SEP, regex=True),
            LINE: raw[LINE],
        }
    ).explode("commune")
    long = long[long["commune"].notna() & (long["commune"] != "")]
    long["commune"] = long["commune"].astype("string")
    long = long.reset_index(drop=True)
    check_commune_codes(long["commune"], issues, "insee_com", long[LINE])

    # the same commune twice in one cell: harmless, counted once; on two lines: an error
    same_line = long.duplicated(["code_qp", "commune", LINE])
    long = long[~same_line].reset_index(drop=True)
    check_unique(long, ["code_qp", "commune"], issues, "QPV / commune")
    issues.raise_if_any()

    arr = is_arrondissement(long["commune"])
    if arr.any():
        long["commune"] = fold_arrondissements(long["commune"])
        report.note(
            f"{fmt_int(int(arr.sum()))} code(s) d'arrondissement (Paris, Lyon, Marseille) "
            "rattaché(s) à leur commune"
        )
        long = long.drop_duplicates(["code_qp", "commune"]).reset_index(drop=True)
    keep = restrict_to_communes(long["commune"], known, report)
    long = long[keep.to_numpy()]

    per_qpv = long.groupby("code_qp")["commune"].nunique()
    multi = int((per_qpv > 1).sum())
    if multi:
        report.note(
            f"{fmt_int(multi)} QPV s'étend(ent) sur plusieurs communes : chacun compte pour "
            f"chacune de ses communes ({fmt_int(len(long))} couples QPV × commune)"
        )
    report.rows_kept = int(long[LINE].nunique())
    out = long[QPV_COLUMNS].sort_values(["commune", "code_qp"]).reset_index(drop=True)
    return out.astype({"commune": "str", "code_qp": "str", "lib_qp": "str"})


# -- FRR / ZRR ----------------------------------------------------------------------------------
CLASSEMENTS = ("frr", "frr_plus", "beneficiaire", "partiel", "zrr", "non")
CLASSEMENT_LABELS = {
    "frr": "FRR (socle)",
    "frr_plus": "FRR+",
    "beneficiaire": "bénéficiaire (ancienne ZRR, effets maintenus)",
    "partiel": "partiellement classée",
    "zrr": "classée en ZRR (2017-2024)",
    "non": "non classée",
}
# Raw values accepted by default, by layout. [?]: the DGCL spelling is not verified.
FRR_VALUES = {
    "FRR": "frr",
    "FRR socle": "frr",
    "Socle": "frr",
    "FRR+": "frr_plus",
    "FRR +": "frr_plus",
    "FRR plus": "frr_plus",
    "Bénéficiaire": "beneficiaire",
    "Bénéficiaire FRR": "beneficiaire",
    "Partiel": "partiel",
    "Partiellement classée": "partiel",
    "Non": "non",
    "Non classée": "non",
    "NC": "non",
}
ZRR_VALUES = {
    "C  Classée en ZRR": "zrr",
    "P  Commune partiellement classée en ZRR": "partiel",
    "NC Non classée": "non",
    "N  Non classée": "non",
    "Classée en ZRR": "zrr",
    "Commune partiellement classée en ZRR": "partiel",
    "Non classée": "non",
    "C": "zrr",
    "P": "partiel",
    "NC": "non",
}
# the values named in error messages (the others are accepted spellings of the same)
ZRR_SHOWN = ("C  Classée en ZRR", "P  Commune partiellement classée en ZRR", "NC Non classée")
FRR_SHOWN = ("FRR", "FRR+", "Bénéficiaire", "Partiel", "Non")
# Default column mappings: the ANCT ZRR file, and a plain CODGEO;LIBGEO;FRR list
LAYOUTS = {
    "zrr": {"code": "CODGEO", "nom": "LIBGEO", "classement": "ZRR_SIMP"},
    "frr": {"code": "CODGEO", "nom": "LIBGEO", "classement": "FRR"},
}
MAPPING_KEYS = ("code", "classement", "nom", "valeurs", "skip", "sheet")


def normalise_label(text: str) -> str:
    """Case, accents and runs of spaces do not matter in classification values."""
    text = unicodedata.normalize("NFKD", str(text))
    text = re.sub(r"[\u0300-\u036f]", "", text)
    return re.sub(r"\s+", " ", text).strip().lower()


def _normalise_series(values: pd.Series) -> pd.Series:
    s = values.astype("string").str.normalize("NFKD")
    s = s.str.replace(r"[\u0300-\u036f]", "", regex=True)
    return s.str.replace(r"\s+", " ", regex=True).str.strip().str.lower()


def read_frr(
    path: str | Path,
    mapping: Mapping | None = None,
    sep: str | None = None,
    known_communes: set[str] | None = None,
    *,
    skip: int | None = None,
    sheet: str | None = None,
) -> tuple[pd.DataFrame, LoadReport]:
    """An FRR (or historical ZRR) commune list → ``commune, classement`` (+ ``nom``).

    ``mapping`` (usually from the manifest): ``code``, ``classement``, optional ``nom`` (column
    names, case-insensitive), ``valeurs`` (raw value → one of :data:`CLASSEMENTS`, added to
    the defaults), and for ``.xlsx`` ``skip`` (rows above the header) and ``sheet``. Without a
    ``classement`` column, ``ZRR_SIMP`` or ``FRR`` is looked for. ``sep`` is sniffed on the
    header line (``;``, ``,`` or tab) when not given. Rows classified ``non`` are kept.
    """
    path = Path(path)
    mapping = dict(mapping or {})
    unknown_keys = [k for k in mapping if k not in MAPPING_KEYS]
    if unknown_keys:
        raise TerritoireError(
            f"Correspondance de colonnes pour « {path.name} » : clé(s) inconnue(s) "
            f"{', '.join(map(quote, unknown_keys))} ; clés acceptées : {', '.join(MAPPING_KEYS)}."
        )
    skip = int(skip if skip is not None else mapping.get("skip", 0) or 0)
    sheet = sheet if sheet is not None else mapping.get("sheet")
    suffix = path.suffix.lower()
    if suffix == ".xls":
        raise DataError(
            Issue(
                path.name,
                "un classeur Excel 97-2003 (.xls), format non pris en charge",
                "un classeur .xlsx ou un CSV UTF-8 (dans Excel : « Enregistrer sous »)",
            )
        )
    if suffix in (".xlsx", ".xlsm"):
        raw = read_xlsx(path, skip=skip, sheet=sheet)
        sep = None
    else:
        given = sep is not None  # a separator given by the caller is checked, not detected
        raw = read_delimited(path, sep=sep if given else sniff_separator(path), detect=not given)

    columns = {c.lower(): c for c in raw.columns if c != LINE}
    classement_col = mapping.get("classement")
    if classement_col is None:
        layout = "zrr" if "zrr_simp" in columns else "frr"
    else:
        layout = "zrr" if "zrr" in str(classement_col).lower() else "frr"
    wanted = {
        **LAYOUTS[layout],
        **{k: mapping[k] for k in ("code", "classement", "nom") if k in mapping},
    }
    issues = IssueCollector(path)
    resolved: dict[str, str] = {}
    for role in ("code", "classement", "nom"):
        name = wanted.get(role)
        if name is None:
            continue
        actual = columns.get(str(name).strip().lower())
        if actual is not None:
            resolved[role] = actual
        elif role != "nom" or "nom" in mapping:
            issues.add(
                _missing_column_text(str(name), list(columns.values()), sep),
                f"la colonne « {name} » (sinon, indiquez le nom de la colonne "
                f"{_ROLE_LABELS[role]} dans le manifeste, clé « {role} »)",
                line=skip + 1,
                column=str(name),
            )
    issues.raise_if_any()

    values = _value_table(layout, mapping.get("valeurs"), path)
    blank = (raw[resolved["code"]].str.strip() == "") & (
        raw[resolved["classement"]].str.strip() == ""
    )
    raw = raw[~blank].reset_index(drop=True)
    report = LoadReport("Zonage ZRR" if layout == "zrr" else "Zonage FRR", path.name)
    report.rows_read = len(raw)

    codes = raw[resolved["code"]].astype("string").str.strip()
    check_commune_codes(codes, issues, resolved["code"], raw[LINE])
    raw = raw.assign(**{resolved["code"]: codes})
    check_unique(raw, [resolved["code"]], issues, "commune")

    col = resolved["classement"]
    canonical = _normalise_series(raw[col]).map(values).astype("string")
    unknown = canonical.isna()
    if unknown.any():
        accepted = ", ".join(quote(v) for v in _display_values(layout, mapping.get("valeurs")))
        for idx in unknown[unknown].index[:50]:
            issues.add(
                quote(raw.at[idx, col]),
                f"une valeur de classement connue ({accepted}, ou directement l'un des "
                f"classements {', '.join(CLASSEMENTS)}) ; pour une autre valeur, associez-la "
                "à l'un de ces classements dans le manifeste (rubrique « valeurs »)",
                line=int(raw.at[idx, LINE]),
                column=col,
            )
    issues.raise_if_any()

    out = pd.DataFrame({"commune": codes.astype("str"), "classement": canonical.astype("str")})
    if "nom" in resolved:
        out["nom"] = raw[resolved["nom"]].astype("string").str.strip().astype("str")
    keep = restrict_to_communes(out["commune"], known_communes, report)
    out = out[keep.to_numpy()].sort_values("commune").reset_index(drop=True)
    report.rows_kept = len(out)
    counts = out["classement"].value_counts()
    if len(counts):
        report.note(
            "classements : "
            + ", ".join(
                f"{CLASSEMENT_LABELS[c]} {fmt_int(int(counts[c]))}"
                for c in CLASSEMENTS
                if c in counts
            )
        )
    return out, report


_ROLE_LABELS = {
    "code": "du code commune",
    "classement": "du classement",
    "nom": "du nom de commune",
}


def _missing_column_text(name: str, present: list[str], sep: str | None) -> str:
    shown = ", ".join(present[:15]) or "aucune"
    text = f"aucune colonne « {name} » (colonnes présentes : {shown})"
    if sep is not None:
        others = [s for s in SEPARATOR_NAMES if s != sep and any(s in c for c in present)]
        if others:
            text += (
                f" ; des noms de colonnes contiennent le caractère {SEPARATOR_NAMES[others[0]]} : "
                f"le séparateur n'est sans doute pas le {SEPARATOR_NAMES[sep]}"
            )
    return text


def _value_table(layout: str, custom: Mapping | None, path: Path) -> dict[str, str]:
    """Normalised raw value → canonical classement (defaults, canonical names, then custom)."""
    table = {
        normalise_label(k): v for k, v in (ZRR_VALUES if layout == "zrr" else FRR_VALUES).items()
    }
    table.update({normalise_label(c): c for c in CLASSEMENTS})
    bad = []
    for raw, target in (custom or {}).items():
        target_norm = normalise_label(target).replace(" ", "_").replace("+", "_plus")
        target_norm = target_norm.replace("__", "_")
        if target_norm not in CLASSEMENTS:
            bad.append(f"{quote(raw)} → {quote(target)}")
            continue
        table[normalise_label("" if raw is None else raw)] = target_norm
    if bad:
        raise TerritoireError(
            f"Correspondance des valeurs de classement pour « {path.name} » : "
            f"{'; '.join(bad)} ; classements acceptés : {', '.join(CLASSEMENTS)}."
        )
    return table


def _display_values(layout: str, custom: Mapping | None) -> list[str]:
    base = list(ZRR_SHOWN if layout == "zrr" else FRR_SHOWN)
    return list(dict.fromkeys(base + [str(k) for k in (custom or {})]))


# -- file helpers -------------------------------------------------------------------------------
def sniff_separator(path: str | Path) -> str:
    """The most frequent of ``;``, ``,`` and tab on the header line (``;`` when none)."""
    header = read_text(Path(path)).split("\n", 1)[0]
    counts = {s: header.count(s) for s in (";", ",", "\t")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ";"


def read_xlsx(path: str | Path, *, skip: int = 0, sheet: str | None = None) -> pd.DataFrame:
    """First (or named) sheet of an ``.xlsx`` as text cells, header on row ``skip + 1``,
    plus a ``_ligne`` column holding the spreadsheet row numbers.

    Numbers become text without a trailing ``.0`` (a code typed as a number loses its leading
    zero; the code check reports it).
    """
    import openpyxl

    path = Path(path)
    check_regular(path)  # a regular file under the size cap, not a device or a pipe
    check_archive(path)  # nor a « zip bomb »
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, OSError, KeyError, ValueError):
        raise DataError(
            Issue(path.name, "un fichier illisible comme classeur Excel", "un classeur .xlsx")
        ) from None
    try:
        if sheet is None:
            ws = book.worksheets[0]
        elif sheet in book.sheetnames:
            ws = book[sheet]
        else:
            raise DataError(
                Issue(
                    path.name,
                    f"aucune feuille {quote(sheet)} (feuilles : {', '.join(book.sheetnames)})",
                    f"la feuille {quote(sheet)}",
                )
            )
        rows = list(ws.iter_rows(values_only=True))
    finally:
        book.close()
    if len(rows) <= skip:
        raise DataError(
            Issue(
                path.name,
                f"{len(rows)} ligne(s) seulement",
                f"une ligne d'en-tête à la ligne {skip + 1} (skip = {skip})",
            )
        )
    header = [_cell_text(v) for v in rows[skip]]
    names: list[str] = []
    for i, h in enumerate(header):
        name = h or f"colonne_{i + 1}"
        while name in names:
            name += "_bis"
        names.append(name)
    body = [[_cell_text(v) for v in r] for r in rows[skip + 1 :]]
    width = len(names)
    body = [(r + [""] * width)[:width] for r in body]
    frame = pd.DataFrame(body, columns=names, dtype="str")
    frame[LINE] = np.arange(skip + 2, skip + 2 + len(frame))
    empty = (frame[names] == "").all(axis=1)
    return frame[~empty].reset_index(drop=True)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value).strip()


__all__ = [
    "CLASSEMENTS",
    "CLASSEMENT_LABELS",
    "FRR_VALUES",
    "QPV_COLUMNS",
    "ZRR_VALUES",
    "normalise_label",
    "read_frr",
    "read_qpv_geojson",
    "read_qpv_list",
    "read_xlsx",
    "sniff_separator",
]
