"""CAFDATA loaders (Cnaf open data, data.caf.fr): see data-formats.md §1 and §2.

Three readers:

* :func:`read_cafdata_communal` reads the Opendatasoft CSV exports of the communal household
  counts ``s_ben_com_f``, ``ndur_s_qf_400_com_f`` (family quotient bands) and
  ``rsa_s_type_com_f`` (RSA by type) and returns observations rounded to 5;
* :func:`read_early_childhood` reads the ONAPE family ``txcouv_pe_*`` / ``nbpla_pe_*`` at
  every level, returns commune observations of childcare places (published for communes over
  10,000 inhabitants, estimated from the EPCI for the others) and the published references;
* :func:`read_tauxcouv_legacy` reads the legacy all-commune ``TAUXCOUV2020/2021.csv`` files
  (references only).

References frames have the columns ``niveau | code | annee | variable | valeur`` where
``niveau`` is one of ``commune``, ``epci``, ``departement``, ``region``, ``france`` (code
``FR``). They hold published figures (rates, place counts) that are never summed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import IssueCollector, LoadReport, TerritoireError, fmt_int, quote
from ..geo import (
    EPCI_CODE_PATTERN,
    NO_EPCI,
    check_commune_codes,
    departement_of,
    fold_arrondissements,
    is_arrondissement,
)
from .reading import (
    LINE,
    STATUT_ARRONDI,
    STATUT_ESTIME,
    STATUT_PUBLIE,
    empty_observations,
    melt_observations,
    normalise_observations,
    read_delimited,
    to_number,
)

SOURCE = "Cnaf, Cafdata"
SOURCE_PE = "Cnaf, Cafdata (Onape) — accueil du jeune enfant"
SOURCE_LEGACY = "Cnaf, data.caf.fr (ancien portail) — taux de couverture"
FRANCE_CODE = "FR"
REFERENCE_COLUMNS = ["niveau", "code", "annee", "variable", "valeur"]
MAX_REPORTED = 50

# --------------------------------------------------------------------------------------------
# Communal household counts (s_ben_com_f, ndur_s_qf_400_com_f, rsa_s_type_com_f)
# --------------------------------------------------------------------------------------------

S_BEN_VARIABLES = {
    "indfoy_ndur": "allocataires",
    "indnbp_ndur": "personnes_couvertes",
    "indfoy_af": "foyers_af",
    "indfoy_cf": "foyers_cf",
    "indfoy_asf": "foyers_asf",
    "indfoy_ndurpaje": "foyers_paje",
    "indfoy_ab": "foyers_ab",
    "indfoy_cmg": "foyers_cmg",
    "indfoy_ndural": "foyers_aide_logement",
    "indfoy_apl": "foyers_apl",
    "indfoy_als": "foyers_als",
    "indfoy_alf": "foyers_alf",
    "indfoy_rsa": "foyers_rsa",
    "indfoy_ppa": "foyers_ppa",
    "indfoy_aah": "foyers_aah",
    "indfoy_aeeh": "foyers_aeeh",
}

# qf_400 labels, normalised by _label_key (lower case, no accents, no spaces, € → euros)
QF_VARIABLES = {
    "moinsde400euros": "allocataires_qf_0_399",
    "entre400et799euros": "allocataires_qf_400_799",
    "entre800et1199euros": "allocataires_qf_800_1199",
    "entre1200et1599euros": "allocataires_qf_1200_1599",
    "entre1600et1999euros": "allocataires_qf_1600_1999",
    "entre2000et3999euros": "allocataires_qf_2000_3999",
    "4000eurosouplus": "allocataires_qf_4000_plus",
    "inconnu": "allocataires_qf_inconnu",
}
QF_LABELS_SHOWN = (
    "Moins de 400 euros, Entre 400 et 799 euros, Entre 800 et 1199 euros, "
    "Entre 1200 et 1599 euros, Entre 1600 et 1999 euros, Entre 2000 et 3999 euros, "
    "4000 euros ou plus, Inconnu"
)

DATASETS = {
    "s_ben": "s_ben_com_f, allocataires par prestation",
    "qf": "ndur_s_qf_400_com_f, allocataires par tranche de quotient familial",
    "rsa": "rsa_s_type_com_f, foyers RSA par type",
}
DROP_NOT_LOCALISED = "foyers non localisés (code commune vide)"
DROP_PLACEHOLDER = "ligne fictive (code commune XX, XXX, XXXXX ou 99999)"
NOT_MULTIPLE_OF_5 = "valeur non multiple de 5 : le fichier n'est peut-être pas un export Cafdata"
LABEL_HEADERS = ("date référence", "numéro commune", "nombre foyers ndur", "nom commune")


def read_cafdata_communal(
    path: str | Path, known_communes: set[str] | None = None
) -> tuple[pd.DataFrame, LoadReport]:
    """Read a CAFDATA communal export: ``s_ben_com_f``, ``ndur_s_qf_400_com_f`` or
    ``rsa_s_type_com_f`` (detected from the columns).

    The file is an Opendatasoft CSV export (``;``, UTF-8 with or without BOM, field names as
    header), long format: one row per ``dtreffre`` (``YYYY-MM``) and ``numcomdo`` (and per
    ``qf_400`` band or ``rsa_type``). The year is the year of ``dtreffre`` (December N → N).

    Returns the observations (``commune | annee | variable | valeur | statut``) with statut
    ``arrondi_5`` (the Cnaf rounds household and person counts to 5; amounts ``indmtt_*`` are
    not kept) and a load report. Rows without a commune (empty code: households not
    localised) and placeholder rows (``XX``, ``XXX``, ``XXXXX``, ``99999``) are dropped and
    reported. Paris, Lyon and Marseille arrondissements are summed into their commune.
    Codes absent from ``known_communes`` (after folding) are kept and listed in the report.
    ``report.blurred_values`` counts the observations returned (all rounded to 5).

    Raises :class:`~territoire_lib.errors.DataError` (French, naming line and column) for a
    wrong separator or encoding, a missing column, a malformed commune code (including a
    lost leading zero), a malformed month, text in a count column, a negative count, an
    unknown band or RSA type, or a commune-year (and band) given twice.
    """
    path = Path(path)
    frame = _lower_columns(read_delimited(path, sep=";"))
    issues = IssueCollector(path)
    if "qf_400" in frame.columns:
        kind, value_columns = "qf", {"indfoy_ndur": None}
        band_column: str | None = "qf_400"
    elif "rsa_type" in frame.columns:
        kind, value_columns = "rsa", {"indfoy_rsa": None}
        band_column = "rsa_type"
    else:
        kind = "s_ben"
        value_columns = {c: v for c, v in S_BEN_VARIABLES.items() if c in frame.columns}
        band_column = None
    required = ["dtreffre", "numcomdo", *(["indfoy_ndur"] if kind == "s_ben" else value_columns)]
    _require_columns(frame, required, issues)
    issues.raise_if_any()

    report = LoadReport(source=f"{SOURCE} ({DATASETS[kind]})", file=path.name)
    report.rows_read = len(frame)
    code = frame["numcomdo"].astype("string").str.strip().fillna("")
    not_localised = code == ""
    placeholder = code.str.fullmatch(r"X+|99999", case=False).fillna(False).astype(bool)
    report.drop(DROP_NOT_LOCALISED, int(not_localised.sum()), _lines(frame[not_localised]))
    report.drop(
        DROP_PLACEHOLDER, int(placeholder.sum()), code[placeholder].drop_duplicates().head(5)
    )
    keep = ~(not_localised | placeholder)
    frame = frame.loc[keep].copy()
    frame["code_brut"] = code[keep]
    report.rows_kept = len(frame)

    valid = check_commune_codes(frame["code_brut"], issues, "numcomdo", frame[LINE])
    frame["annee"] = _year_of_month(frame, "dtreffre", issues, report)

    # band → variable (QF, RSA); duplicates are checked on the raw code, before folding
    if kind == "qf":
        frame["variable"] = _label_key(frame["qf_400"]).map(QF_VARIABLES)
        _unknown_labels(
            frame, "qf_400", issues, f"une tranche de quotient familial Cafdata ({QF_LABELS_SHOWN})"
        )
        dup_keys = ["code_brut", "annee", "variable"]
        what = "commune-année-tranche"
    elif kind == "rsa":
        frame["variable"] = _rsa_variable(frame["rsa_type"])
        _unknown_labels(
            frame, "rsa_type", issues, "un type de RSA « RSA majoré » ou « RSA non majoré »"
        )
        frame["type_brut"] = frame["rsa_type"].astype("string").str.strip()
        dup_keys = ["code_brut", "annee", "type_brut"]
        what = "commune-année-type"
    else:
        dup_keys = ["code_brut", "annee"]
        what = "commune-année"
    checkable = frame[valid & frame["annee"].notna()]
    if band_column is not None:
        checkable = checkable[checkable["variable"].notna()]
    _check_unique(checkable, dup_keys, issues, what, column="numcomdo")

    values = {}
    for column in value_columns:
        values[column], _ = to_number(frame, column, issues)
    issues.raise_if_any()
    for column, series in values.items():
        frame[column] = series

    _note_not_multiple_of_5(frame, list(value_columns), report)

    # fold PLM arrondissements into their commune (sum)
    frame["commune"] = fold_arrondissements(frame["code_brut"]).astype(str)
    frame["arrondissement"] = is_arrondissement(frame["code_brut"])
    group_keys = ["commune", "annee"] + (["variable"] if band_column else [])
    _check_mixed_folding(frame, group_keys, issues, "numcomdo")
    issues.raise_if_any()
    n_arm = int(frame["arrondissement"].sum())
    if n_arm:
        report.note(
            f"{fmt_int(n_arm)} ligne(s) d'arrondissements de Paris, Lyon ou Marseille "
            "additionnée(s) dans leur commune"
        )
    frame["annee"] = frame["annee"].astype("int64")

    if band_column is None:
        wide = (
            frame.groupby(["commune", "annee"], sort=True)[list(value_columns)]
            .sum(min_count=1)
            .reset_index()
        )
        obs = melt_observations(wide, value_columns, statut=STATUT_ARRONDI)
    else:
        (value_column,) = value_columns
        long = (
            frame.groupby(group_keys, sort=True)[value_column]
            .sum(min_count=1)
            .rename("valeur")
            .reset_index()
        )
        long["statut"] = STATUT_ARRONDI
        obs = normalise_observations(long)
    n_empty = int(obs["valeur"].isna().sum())
    if n_empty:
        report.note(f"{fmt_int(n_empty)} valeur(s) vide(s) ignorée(s)")
    obs = obs[obs["valeur"].notna()]
    obs = obs.sort_values(["commune", "annee", "variable"], kind="stable").reset_index(drop=True)
    report.blurred_values = len(obs)
    if known_communes is not None:
        report.unmatched_codes = sorted(set(obs["commune"]) - set(known_communes))
    return obs, report


def _rsa_variable(labels: pd.Series) -> pd.Series:
    key = _label_key(labels)
    out = pd.Series(np.nan, index=labels.index, dtype="object")
    out = out.mask(
        key.str.contains("major", regex=False).fillna(False).astype(bool), "foyers_rsa_majore"
    )
    non = key.str.contains("nonmajor", regex=False).fillna(False).astype(bool)
    return out.mask(non, "foyers_rsa_non_majore")


def _unknown_labels(
    frame: pd.DataFrame, column: str, issues: IssueCollector, expected: str
) -> None:
    bad = frame["variable"].isna()
    for idx in bad[bad].index[:MAX_REPORTED]:
        issues.add(
            quote(frame.at[idx, column]), expected, line=int(frame.at[idx, LINE]), column=column
        )


def _year_of_month(
    frame: pd.DataFrame, column: str, issues: IssueCollector, report: LoadReport
) -> pd.Series:
    """Year of a ``YYYY-MM`` reference month (``YYYY-MM-DD`` accepted); NaN where malformed."""
    raw = frame[column].astype("string").str.strip()
    parts = raw.str.extract(r"^(\d{4})-(\d{2})(?:-\d{2})?$")
    year = pd.to_numeric(parts[0], errors="coerce")
    month = pd.to_numeric(parts[1], errors="coerce")
    bad = year.isna() | ~month.between(1, 12).fillna(False).astype(bool)
    for idx in bad[bad].index[:MAX_REPORTED]:
        issues.add(
            quote(raw.loc[idx]),
            "un mois de référence AAAA-MM (ex. 2023-12)",
            line=int(frame.at[idx, LINE]),
            column=column,
        )
    not_december = ~bad & (month != 12)
    if not_december.any():
        example = raw[not_december].iloc[0]
        report.note(
            f"{fmt_int(int(not_december.sum()))} ligne(s) d'un autre mois que décembre "
            f"(ex. {example}) : l'année retenue est celle du mois"
        )
    return year.where(~bad)


def _note_not_multiple_of_5(frame: pd.DataFrame, columns: list[str], report: LoadReport) -> None:
    total, example = 0, None
    for column in columns:
        values = frame[column]
        off = values.notna() & (np.mod(values, 5) != 0)
        if off.any():
            total += int(off.sum())
            if example is None:
                idx = off[off].index[0]
                example = (
                    f"ligne {int(frame.at[idx, LINE])}, colonne « {column} » : {values.loc[idx]:g}"
                )
    if total:
        report.note(f"{NOT_MULTIPLE_OF_5} ({fmt_int(total)} valeur(s), ex. {example})")


def _check_mixed_folding(
    frame: pd.DataFrame, keys: list[str], issues: IssueCollector, column: str
) -> None:
    """A parent commune given both whole and by arrondissements would be counted twice."""
    arm = frame["arrondissement"]
    any_arm = arm.groupby([frame[k] for k in keys]).transform("any")
    mixed = any_arm & ~arm
    for idx in mixed[mixed].index[:MAX_REPORTED]:
        issues.add(
            f"la commune {quote(frame.at[idx, 'code_brut'])} alors que ses arrondissements "
            "figurent aussi pour la même année",
            "soit la commune entière, soit ses arrondissements (Paris, Lyon, Marseille)",
            line=int(frame.at[idx, LINE]),
            column=column,
        )


# --------------------------------------------------------------------------------------------
# Early childhood: txcouv_pe_* and nbpla_pe_* (ONAPE coverage rate, places)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Level:
    niveau: str
    key: str | None  # code column (None: national file, code FR)
    suffix: str
    pattern: str  # regex of a valid code
    expected: str  # French description of a valid code


PE_LEVELS = {
    "com": _Level(
        "commune", "numcom", "com", r"\d{5}|2[AB]\d{3}", "un code commune de 5 caractères"
    ),
    "epci": _Level(
        "epci",
        "numepci",
        "epci",
        EPCI_CODE_PATTERN.strip("^$"),
        "un code EPCI (SIREN à 9 chiffres)",
    ),
    "dep": _Level(
        "departement", "numdep", "dep", r"\d{2}|2[AB]|97\d", "un code département (ex. 01, 2A, 974)"
    ),
    "reg": _Level("region", "numregi", "reg", r"\d{2}", "un code région de 2 chiffres (ex. 84)"),
    "nat": _Level("france", None, "nat", "", ""),
}

# (mode, candidate stems): the first stem present wins; the national file uses shorter stems
RATE_STEMS = [
    ("eaje_psu", ("txcouv_psu_col", "txcouv_psu")),
    ("eaje_hors_psu", ("txcouv_hors_psu_col", "txcouv_hors_psu")),
    ("eaje", ("txcouv_eaje",)),
    ("prescolarisation", ("txcouv_prescol",)),
    ("assistantes_maternelles", ("txcouv_am_ind", "txcouv_am")),
    ("garde_domicile", ("txcouv_gad_ind", "txcouv_gad")),
    ("accueil_individuel", ("txcouv_ind",)),
    ("total", ("txcouv",)),
]
PLACE_STEMS = [
    ("eaje_psu", ("pl_psu_col", "pl_psu")),
    ("eaje_hors_psu", ("pl_hors_psu_col", "pl_hors_psu")),
    ("eaje", ("pl_eaje",)),
    ("prescolarisation", ("pl_prescol",)),
    ("assistantes_maternelles", ("pl_am_ind", "pl_am")),
    ("garde_domicile", ("pl_gad_ind", "pl_gad")),
    ("accueil_individuel", ("pl_ind",)),
    ("total", ("tot_offre",)),
]
PLACE_VARS = [f"places_{mode}" for mode, _ in PLACE_STEMS]
IND = "places_accueil_individuel"
AM = "places_assistantes_maternelles"
GAD = "places_garde_domicile"
DROP_PE_PLACEHOLDER = "ligne fictive (code XX, XXX… : valeurs hors territoire, à ne pas utiliser)"
FALLBACK_NOTE = "{n} communes sous 10 000 habitants : places estimées par repli sur l'EPCI"


def rate_variable(mode: str) -> str:
    """Name of a published coverage-rate variable (``total`` is the global rate)."""
    return "taux_couverture_publie" if mode == "total" else f"taux_couverture_{mode}_publie"


def read_early_childhood(
    rate_files: Mapping[str, Path | Sequence[Path]],
    place_files: Mapping[str, Path | Sequence[Path]],
    communes: pd.DataFrame,
    children_0_2: pd.DataFrame | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame, LoadReport]:
    """Read the ONAPE family ``txcouv_pe_{com,epci,dep,reg,nat}`` and ``nbpla_pe_*``.

    ``rate_files`` and ``place_files`` map a level (``com``, ``epci``, ``dep``, ``reg``,
    ``nat``; any may be missing) to its CSV export, or to a list of exports (e.g. the
    ``_hist`` file then the current file: for a year present in several files, the last file
    wins). Columns carry the level suffix (``txcouv_psu_col_epci``, ``tot_offre_com``…);
    ``annee`` is an int, or a date (``2023-01-01`` → 2023) in the national file, which is read
    defensively (``txcouv_am_nat`` or ``txcouv_am_ind_nat``). Numbers use ``.`` (``,`` is
    accepted). Placeholder rows (``numepci="XX"``, ``numdep="XXX"``…) are dropped and
    reported. Rates above 100 are kept as published.

    ``communes`` is the geography frame (columns ``code``, ``epci``, ``population``).
    ``children_0_2`` are observations (variable ``pop_0_2``) used to share EPCI places.

    Returns ``(observations, references, report)``:

    1. commune observations of places (``places_eaje_psu`` … ``places_total``) for the
       communes of ``communes``. Communes present in ``nbpla_pe_com`` (over 10,000
       inhabitants) get statut ``publie`` (arrondissements summed into their commune);
       ``places_accueil_individuel``, when not published, is assistantes maternelles + garde
       à domicile with statut ``estime``.

       **Fallback** for every other commune of the geography, per year and per variable: the
       EPCI's published places minus the places of the EPCI's communes that have their own
       rows (their EPCI is the file's ``numepci``, else the geography's) are shared among
       the remaining communes of the EPCI pro rata of their children aged 0–2 (the RP year
       closest to the CAF year; ties go to the earlier RP year), statut ``estime``. The sum
       over the EPCI thus equals the published EPCI figure and each small commune gets the
       EPCI's residual coverage rate. Without ``children_0_2`` the shares follow
       ``population``. A commune without a children count weighs 0; if a whole EPCI residual
       group weighs 0 the places are shared equally. A negative residual (rounding, or a
       geography vintage differing from the file's) is set to 0 and reported. Communes
       without an EPCI (``ZZZZZZZZZ``) or whose EPCI has no published row get no estimate.
       Limitation: when the geography holds only part of an EPCI, the residual is shared
       among the communes it holds.
    2. references (``niveau | code | annee | variable | valeur``): published rates
       (``taux_couverture_publie``, ``taux_couverture_<mode>_publie``) and place counts
       (``places_<mode>``) at every level, as published (arrondissement codes kept as is;
       national code ``FR``).
    """
    for level in [*rate_files, *place_files]:
        if level not in PE_LEVELS:
            raise TerritoireError(
                f"Niveau inconnu « {level} » pour les fichiers d'accueil du jeune enfant : "
                "attendu com, epci, dep, reg ou nat."
            )
    names = [p.name for f in (*rate_files.values(), *place_files.values()) for p in _paths(f)]
    report = LoadReport(source=SOURCE_PE, file=", ".join(names))

    rates = {
        lv: _read_pe_level(f, PE_LEVELS[lv], RATE_STEMS, "txcouv", report)
        for lv, f in rate_files.items()
    }
    places = {
        lv: _read_pe_level(f, PE_LEVELS[lv], PLACE_STEMS, "places", report)
        for lv, f in place_files.items()
    }

    references = _references(rates, places)
    observations = _commune_places(places, communes, children_0_2, report)
    return observations, references, report


def _paths(files: Path | Sequence[Path] | str) -> list[Path]:
    if isinstance(files, (str, Path)):
        return [Path(files)]
    return [Path(f) for f in files]


def _read_pe_level(
    files: Path | Sequence[Path],
    level: _Level,
    stems: list[tuple[str, tuple[str, ...]]],
    kind: str,
    report: LoadReport,
) -> pd.DataFrame:
    """Read the file(s) of one level; returns a wide frame code, annee, [numepci], variables."""
    parts = []
    for path in _paths(files):
        parts.append(_read_pe_file(path, level, stems, kind, report))
    frame = pd.concat(parts, ignore_index=True)
    if len(parts) > 1:
        overlap = frame.duplicated(["code", "annee"], keep="last")
        if overlap.any():
            years = ", ".join(str(y) for y in sorted(frame.loc[overlap, "annee"].unique()))
            report.note(
                f"niveau {level.niveau} : année(s) {years} présente(s) dans plusieurs fichiers, "
                "le dernier fichier donné l'emporte"
            )
        frame = frame[~overlap].reset_index(drop=True)
    return frame


def _read_pe_file(
    path: Path,
    level: _Level,
    stems: list[tuple[str, tuple[str, ...]]],
    kind: str,
    report: LoadReport,
) -> pd.DataFrame:
    frame = _lower_columns(read_delimited(path, sep=";"))
    issues = IssueCollector(path)
    s = level.suffix
    columns: dict[str, str] = {}  # file column → variable
    for mode, candidates in stems:
        found = next((f"{c}_{s}" for c in candidates if f"{c}_{s}" in frame.columns), None)
        if found:
            variable = rate_variable(mode) if kind == "txcouv" else f"places_{mode}"
            columns[found] = variable
    total = f"{stems[-1][1][0]}_{s}"
    required = ["annee", *([level.key] if level.key else []), total]
    _require_columns(frame, required, issues)
    issues.raise_if_any()
    report.rows_read += len(frame)

    if level.key:
        code = frame[level.key].astype("string").str.strip().fillna("")
        placeholder = (code == "") | code.str.fullmatch(r"X+", case=False).fillna(False).astype(
            bool
        )
        report.drop(
            DROP_PE_PLACEHOLDER,
            int(placeholder.sum()),
            (f"{path.name} ligne {n}" for n in frame.loc[placeholder, LINE]),
        )
        frame = frame.loc[~placeholder].copy()
        frame["code"] = code[~placeholder]
        if level.niveau == "commune":
            check_commune_codes(frame["code"], issues, level.key, frame[LINE])
        else:
            _check_codes(frame, level, issues)
    else:
        frame["code"] = FRANCE_CODE
    report.rows_kept += len(frame)

    frame["annee"] = _year_of_annee(frame, issues)
    checkable = frame[frame["annee"].notna()]
    _check_unique(
        checkable, ["code", "annee"], issues, f"{level.niveau}-année", level.key or "annee"
    )
    out = pd.DataFrame({"code": frame["code"].astype(str), "annee": frame["annee"]})
    for column, variable in columns.items():
        decimal = frame[[column, LINE]].copy()
        decimal[column] = decimal[column].astype("string").str.replace(",", ".", regex=False)
        out[variable], _ = to_number(decimal, column, issues)
    if level.niveau == "commune" and "numepci" in frame.columns:
        epci = frame["numepci"].astype("string").str.strip()
        out["numepci"] = epci.where(epci.str.fullmatch(r"\d{9}").fillna(False).astype(bool))
    issues.raise_if_any()
    out["annee"] = out["annee"].astype("int64")
    return out.reset_index(drop=True)


def _year_of_annee(frame: pd.DataFrame, issues: IssueCollector) -> pd.Series:
    """``annee`` as an int: ``2023``, or a date ``2023-01-01`` (national file) → 2023."""
    raw = frame["annee"].astype("string").str.strip()
    year = pd.to_numeric(
        raw.str.extract(r"^(\d{4})(?:-\d{2}(?:-\d{2})?(?:[T ].*)?)?$")[0], errors="coerce"
    )
    for idx in year[year.isna()].index[:MAX_REPORTED]:
        issues.add(
            quote(raw.loc[idx]),
            "une année (ex. 2023) ou une date (ex. 2023-01-01)",
            line=int(frame.at[idx, LINE]),
            column="annee",
        )
    return year


def _check_codes(frame: pd.DataFrame, level: _Level, issues: IssueCollector) -> None:
    codes = frame["code"]
    ok = codes.str.fullmatch(level.pattern).fillna(False).astype(bool)
    for idx in ok[~ok].index[:MAX_REPORTED]:
        text = str(codes.loc[idx])
        found = quote(text)
        if text.isdigit() and len(text) == 1 and level.niveau in ("departement", "region"):
            found += f" (le zéro initial a disparu : {text.zfill(2)} ?)"
        issues.add(found, level.expected, line=int(frame.at[idx, LINE]), column=level.key)


def _references(rates: dict[str, pd.DataFrame], places: dict[str, pd.DataFrame]) -> pd.DataFrame:
    parts = []
    for tables in (rates, places):
        for lv, wide in tables.items():
            value_columns = [c for c in wide.columns if c not in ("code", "annee", "numepci")]
            long = wide.melt(
                id_vars=["code", "annee"],
                value_vars=value_columns,
                var_name="variable",
                value_name="valeur",
            )
            long.insert(0, "niveau", PE_LEVELS[lv].niveau)
            parts.append(long)
    return _normalise_references(pd.concat(parts, ignore_index=True) if parts else None)


def _fill_individual(wide: pd.DataFrame) -> pd.Series:
    """Fill ``places_accueil_individuel`` from am + gad where not published; returns the
    mask of filled rows."""
    if IND not in wide.columns:
        wide[IND] = np.nan
    if AM in wide.columns and GAD in wide.columns:
        missing = wide[IND].isna() & wide[AM].notna() & wide[GAD].notna()
        wide.loc[missing, IND] = wide.loc[missing, AM] + wide.loc[missing, GAD]
    else:
        missing = pd.Series(False, index=wide.index)
    return missing


def _commune_places(
    places: dict[str, pd.DataFrame],
    communes: pd.DataFrame,
    children_0_2: pd.DataFrame | None,
    report: LoadReport,
) -> pd.DataFrame:
    geo = pd.DataFrame(
        {
            "commune": communes["code"].astype(str).to_numpy(),
            "epci": communes["epci"].astype("string").to_numpy(),
            "population": pd.to_numeric(communes["population"], errors="coerce").to_numpy()
            if "population" in communes.columns
            else np.nan,
        }
    )
    geo_codes = set(geo["commune"])
    parts = []

    # 1. communes with their own published rows (arrondissements folded)
    com = places.get("com")
    published = pd.DataFrame(
        {
            "commune": pd.Series([], dtype=str),
            "annee": pd.Series([], dtype="int64"),
            "epci": pd.Series([], dtype=str),
        }
    )
    if com is not None and len(com):
        com = com.copy()
        com["commune"] = fold_arrondissements(com["code"]).astype(str)
        if "numepci" not in com.columns:
            com["numepci"] = pd.NA
        variables = [v for v in PLACE_VARS if v in com.columns]
        folded = com.groupby(["commune", "annee"], sort=True)[variables].sum(min_count=1)
        folded["numepci"] = com.groupby(["commune", "annee"], sort=True)["numepci"].first()
        folded = folded.reset_index()
        filled = _fill_individual(folded)
        variables = [v for v in PLACE_VARS if v in folded.columns]
        in_geo = folded["commune"].isin(geo_codes)
        deps = set(departement_of(geo["commune"]).dropna())
        out_of_geo = folded.loc[~in_geo, "commune"]
        report.unmatched_codes = sorted(
            set(out_of_geo[departement_of(out_of_geo).isin(deps).fillna(False).astype(bool)])
        )
        statut = {v: STATUT_PUBLIE for v in variables}
        obs = melt_observations(folded[in_geo], {v: v for v in variables}, statut=statut)
        # accueil individuel computed as am + gad: estimated
        filled_keys = folded.loc[in_geo & filled, ["commune", "annee"]].assign(variable=IND)
        if len(filled_keys):
            flag = (
                obs.merge(
                    filled_keys.assign(_f=True), on=["commune", "annee", "variable"], how="left"
                )["_f"]
                .fillna(False)
                .astype(bool)
                .to_numpy()
            )
            obs.loc[flag, "statut"] = STATUT_ESTIME
        parts.append(obs)
        geo_epci = geo.set_index("commune")["epci"]
        epci_of = (
            folded["numepci"]
            .astype("string")
            .fillna(folded["commune"].map(geo_epci).astype("string"))
        )
        folded["epci"] = epci_of.astype(str).where(epci_of.notna())
        published = folded

    # 2. fallback: the EPCI residual shared among the other communes of the EPCI
    epci = places.get("epci")
    if epci is None or not len(epci):
        if len(geo):
            report.note(
                "aucun fichier nbpla_pe_epci : les communes sous 10 000 habitants n'ont pas "
                "de places estimées"
            )
    else:
        parts.append(_fallback(epci.copy(), published, geo, children_0_2, report))

    if not parts:
        return empty_observations()
    obs = pd.concat(parts, ignore_index=True)
    obs = obs[obs["valeur"].notna()]
    return normalise_observations(
        obs.sort_values(["commune", "annee", "variable"], kind="stable").reset_index(drop=True)
    )


def _fallback(
    epci: pd.DataFrame,
    published: pd.DataFrame,
    geo: pd.DataFrame,
    children_0_2: pd.DataFrame | None,
    report: LoadReport,
) -> pd.DataFrame:
    _fill_individual(epci)
    variables = [v for v in PLACE_VARS if v in epci.columns]
    epci = epci.rename(columns={"code": "epci"})[["epci", "annee", *variables]]

    # places of the communes with their own rows, summed per EPCI and year
    pub_vars = [v for v in variables if v in published.columns]
    pub_sum = (
        published.dropna(subset=["epci"])
        .groupby(["epci", "annee"])[pub_vars]
        .sum()
        .add_prefix("pub_")
        .reset_index()
        if pub_vars
        else pd.DataFrame({"epci": pd.Series([], dtype=str), "annee": pd.Series([], dtype="int64")})
    )
    pub_sum["epci"] = pub_sum["epci"].astype(str)

    # candidate communes: every commune of the geography, every year, minus published ones
    years = pd.DataFrame({"annee": np.sort(epci["annee"].unique())})
    cand = geo[["commune", "epci", "population"]].merge(years, how="cross")
    own = published[["commune", "annee"]].assign(_own=True)
    cand = cand.merge(own, on=["commune", "annee"], how="left")
    cand = cand[cand["_own"].isna()].drop(columns="_own")
    no_epci = cand["epci"].isna() | (cand["epci"] == NO_EPCI) | (cand["epci"] == "")
    n_no_epci = cand.loc[no_epci, "commune"].nunique()
    if n_no_epci:
        report.note(f"{fmt_int(n_no_epci)} commune(s) sans EPCI : places non estimées")
    cand = cand[~no_epci]
    cand["epci"] = cand["epci"].astype(str)
    epci["epci"] = epci["epci"].astype(str)
    with_epci = cand.merge(
        epci[["epci", "annee"]].assign(_e=True), on=["epci", "annee"], how="left"
    )
    missing = with_epci["_e"].isna().to_numpy()
    if missing.any():
        report.note(
            f"{fmt_int(with_epci.loc[missing, 'commune'].nunique())} commune(s) dont l'EPCI "
            "n'a pas de ligne publiée pour au moins une année : places non estimées"
        )
    cand = cand[~missing]

    cand["poids"] = _weights(cand, children_0_2, report)
    group = ["epci", "annee"]
    total = cand.groupby(group)["poids"].transform("sum")
    size = cand.groupby(group)["commune"].transform("size")
    cand["part"] = np.where(total > 0, cand["poids"] / total.where(total > 0), 1.0 / size)
    equal = cand.loc[total.to_numpy() <= 0, group].drop_duplicates()
    if len(equal):
        report.note(
            f"{fmt_int(len(equal))} EPCI-année(s) sans pondération connue pour les communes à "
            "estimer : places partagées à parts égales"
        )

    merged = cand.merge(epci, on=group, how="left").merge(pub_sum, on=group, how="left")
    negative = pd.Series(False, index=merged.index)
    for v in variables:
        pub = merged[f"pub_{v}"].fillna(0.0) if f"pub_{v}" in merged else 0.0
        residual = merged[v] - pub
        negative |= residual < 0
        merged[v] = residual.clip(lower=0) * merged["part"]
    if negative.any():
        n = merged.loc[negative, group].drop_duplicates().shape[0]
        report.note(
            f"{fmt_int(n)} EPCI-année(s) où les communes de plus de 10 000 habitants ont plus "
            "de places que l'EPCI publié : reste ramené à 0"
        )
    n_communes = merged["commune"].nunique()
    if n_communes:
        report.note(FALLBACK_NOTE.format(n=fmt_int(n_communes)))
    return melt_observations(merged, {v: v for v in variables}, statut=STATUT_ESTIME)


def _weights(
    cand: pd.DataFrame, children_0_2: pd.DataFrame | None, report: LoadReport
) -> pd.Series:
    """Children 0–2 of each candidate commune (RP year closest to the CAF year), or the
    population when no children observations are given."""
    kids = None
    if children_0_2 is not None:
        kids = children_0_2[children_0_2["variable"] == "pop_0_2"]
        if not len(kids):
            report.note("aucun effectif d'enfants de 0 à 2 ans : répartition selon la population")
            kids = None
    if kids is None:
        weights = cand["population"].astype("float64")
        what = "population"
    else:
        rp_years = np.sort(kids["annee"].astype("int64").unique())
        caf_years = np.sort(cand["annee"].unique())
        closest = rp_years[np.abs(caf_years[:, None] - rp_years[None, :]).argmin(axis=1)]
        link = pd.DataFrame({"annee": caf_years, "_rp": closest})
        k = kids.assign(commune=kids["commune"].astype(str), _rp=kids["annee"].astype("int64"))
        k = k.groupby(["commune", "_rp"])["valeur"].sum(min_count=1).rename("_kids").reset_index()
        w = cand[["commune", "annee"]].merge(link, on="annee", how="left")
        w = w.merge(k, on=["commune", "_rp"], how="left")
        weights = pd.Series(w["_kids"].to_numpy(), index=cand.index, dtype="float64")
        what = "effectif d'enfants de 0 à 2 ans"
    missing = weights.isna()
    if missing.any():
        report.note(
            f"{fmt_int(cand.loc[missing, 'commune'].nunique())} commune(s) sans {what} : "
            "comptée(s) pour 0 dans la répartition des places de l'EPCI"
        )
    return weights.fillna(0.0).clip(lower=0)


# --------------------------------------------------------------------------------------------
# Legacy TAUXCOUV2020/2021.csv (all communes, decimal comma)
# --------------------------------------------------------------------------------------------

LEGACY_COLUMNS = {  # canonical name → accepted spellings (lower case)
    "num_com": ("num_com",),
    "nom_com": ("nom_com",),
    "num_epci": ("num_epci",),
    "nom_epci": ("nom_epci",),
    "tauxcouv_com": ("tauxcouv_com", "tauxcouv_comm"),
    "tauxcouv_epci": ("tauxcouv_epci",),
    "tauxcouv_dep": ("tauxcouv_dep",),
    "tauxcouv_reg": ("tauxcouv_reg",),
    "tauxcouv_fe": ("tauxcouv_fe", "tauxcouv_nat"),
}


def read_tauxcouv_legacy(
    path: str | Path,
    known_communes: set[str] | None = None,
    *,
    annee: int | None = None,
    region_of_departement: Mapping[str, str] | None = None,
) -> tuple[pd.DataFrame, LoadReport]:
    """Read a legacy data.caf.fr ``TAUXCOUV2020.csv`` / ``TAUXCOUV2021.csv`` file.

    ``;`` separator, decimal comma (a dot is accepted), header matched case-insensitively;
    the rate columns may be spelled ``tauxcouv_com/epci/dep/reg/fe`` or
    ``TAUXCOUV_COMM/EPCI/DEP/REG/NAT``. The year comes from ``annee`` or else from the file
    name (``TAUXCOUV2021`` → 2021). UTF-8 is expected; a Windows-1252 file (old portal) is
    read as such and noted. Placeholder rows ``99999`` (abroad) and ``XXXXX`` (unknown
    commune) are dropped and reported.

    Returns a references frame (``niveau | code | annee | variable | valeur``, variable
    ``taux_couverture_publie``) with one row per commune, and the EPCI, département, région
    and France rates deduplicated. The file has no région code: région rows are given only
    with ``region_of_departement`` (département code → région code). Commune codes absent
    from ``known_communes`` are kept and listed in the report.
    """
    path = Path(path)
    issues = IssueCollector(path)
    year = annee
    if year is None:
        match = re.search(r"(?<!\d)((?:19|20)\d{2})(?!\d)", path.stem)
        if not match:
            issues.add(
                f"un nom de fichier sans année ({quote(path.name)})",
                "un nom comme TAUXCOUV2021.csv, ou l'année donnée explicitement",
            )
            issues.raise_if_any()
        year = int(match.group(1))
    report = LoadReport(source=SOURCE_LEGACY, file=path.name)
    encoding = "utf-8-sig"
    try:
        path.read_bytes().decode(encoding)
    except UnicodeDecodeError:
        encoding = "cp1252"
        report.note("fichier encodé en Windows-1252 (ancien portail) : lu comme tel")
    except OSError:
        pass  # read_delimited reports a missing file in French
    frame = _lower_columns(read_delimited(path, sep=";", encoding=encoding))
    rename = {}
    for canonical, spellings in LEGACY_COLUMNS.items():
        found = next((s for s in spellings if s in frame.columns), None)
        if found:
            rename[found] = canonical
    frame = frame.rename(columns=rename)
    _require_columns(frame, ["num_com", "tauxcouv_com"], issues)
    issues.raise_if_any()
    report.rows_read = len(frame)

    code = frame["num_com"].astype("string").str.strip().fillna("")
    placeholder = code.str.fullmatch(r"X+|99999", case=False).fillna(False).astype(bool)
    empty = code == ""
    report.drop(
        "ligne fictive (99999 : étranger, XXXXX : commune inconnue)",
        int(placeholder.sum()),
        code[placeholder].drop_duplicates().head(5),
    )
    report.drop("code commune vide", int(empty.sum()), _lines(frame[empty]))
    keep = ~(placeholder | empty)
    frame = frame.loc[keep].copy()
    frame["code"] = code[keep]
    report.rows_kept = len(frame)
    check_commune_codes(frame["code"], issues, "NUM_COM", frame[LINE])
    rate_columns = [c for c in LEGACY_COLUMNS if c.startswith("tauxcouv") and c in frame.columns]
    values = {}
    for column in rate_columns:
        values[column], _ = to_number(frame, column, issues, decimal=",")
    _check_unique(frame, ["code"], issues, "commune", column="NUM_COM")
    issues.raise_if_any()

    parts = [
        pd.DataFrame({"niveau": "commune", "code": frame["code"], "valeur": values["tauxcouv_com"]})
    ]
    if "tauxcouv_epci" in values and "num_epci" in frame.columns:
        epci = frame["num_epci"].astype("string").str.strip()
        ok = epci.str.fullmatch(r"\d{9}").fillna(False).astype(bool)
        parts.append(_dedup_level("epci", epci[ok], values["tauxcouv_epci"][ok], report))
    deps = departement_of(frame["code"])
    if "tauxcouv_dep" in values:
        parts.append(_dedup_level("departement", deps, values["tauxcouv_dep"], report))
    if "tauxcouv_reg" in values:
        if region_of_departement is None:
            report.note(
                "taux régionaux non repris : le fichier ne donne pas le code région "
                "(fournir la correspondance département → région)"
            )
        else:
            regs = deps.map(dict(region_of_departement))
            ok = regs.notna()
            parts.append(_dedup_level("region", regs[ok], values["tauxcouv_reg"][ok], report))
    if "tauxcouv_fe" in values:
        fr = pd.Series(FRANCE_CODE, index=frame.index)
        parts.append(_dedup_level("france", fr, values["tauxcouv_fe"], report))
    refs = pd.concat(parts, ignore_index=True)
    n_empty = int(refs["valeur"].isna().sum())
    if n_empty:
        report.note(f"{fmt_int(n_empty)} taux vide(s) ignoré(s)")
    refs = refs.assign(annee=year, variable="taux_couverture_publie")
    if known_communes is not None:
        report.unmatched_codes = sorted(set(frame["code"]) - set(known_communes))
    return _normalise_references(refs), report


def _dedup_level(
    niveau: str, codes: pd.Series, values: pd.Series, report: LoadReport
) -> pd.DataFrame:
    """One rate per territory; when the communes of a territory disagree, the most frequent
    value wins and the disagreement is noted."""
    frame = pd.DataFrame({"code": codes.astype(str), "valeur": values}).dropna(subset=["valeur"])
    counts = frame.value_counts(["code", "valeur"]).rename("n").reset_index()
    counts = counts.sort_values(["code", "n", "valeur"], ascending=[True, False, True])
    conflicts = counts["code"].duplicated()
    if conflicts.any():
        shown = ", ".join(counts.loc[conflicts, "code"].drop_duplicates().head(5))
        report.note(
            f"niveau {niveau} : taux différents selon les lignes pour {shown} ; "
            "la valeur la plus fréquente est retenue"
        )
    out = counts[~conflicts][["code", "valeur"]]
    return out.assign(niveau=niveau)


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def _lower_columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.rename(columns={c: c.lower() for c in frame.columns if c != LINE})


def _require_columns(frame: pd.DataFrame, required: Iterable[str], issues: IssueCollector) -> None:
    header = [c for c in frame.columns if c != LINE]
    labels = any(c in LABEL_HEADERS for c in header)
    hint = (
        " ; l'en-tête contient des libellés : exporter sans « use_labels » (noms de champs)"
        if labels
        else ""
    )
    for column in required:
        if column not in frame.columns:
            shown = ", ".join(header[:15])
            issues.add(
                f"aucune colonne « {column} » (colonnes présentes : {shown}){hint}",
                f"la colonne « {column} »",
                line=1,
                column=column,
            )


def _check_unique(
    frame: pd.DataFrame, keys: list[str], issues: IssueCollector, what: str, column: str
) -> None:
    """Each repeated key is an issue naming its line and the line where it first appeared."""
    dup = frame.duplicated(keys, keep="first")
    if not dup.any():
        return
    first_line = frame.groupby(keys, sort=False, dropna=False)[LINE].transform("first")
    for idx in dup[dup].index[:MAX_REPORTED]:
        key = " / ".join(_show(frame.at[idx, k]) for k in keys)
        issues.add(
            f"{what} « {key} » en double (déjà ligne {int(first_line.loc[idx])})",
            f"une seule ligne par {what}",
            line=int(frame.at[idx, LINE]),
            column=column,
        )


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _label_key(labels: pd.Series) -> pd.Series:
    """Lower case, no accents, no spaces/hyphens/apostrophes, '€' → 'euros'."""
    text = labels.astype("string").str.lower().str.replace("€", "euros", regex=False)
    text = text.str.normalize("NFKD").str.replace(r"[\u0300-\u036f]", "", regex=True)
    return text.str.replace(r"[\s\-'’_.]+", "", regex=True)


def _lines(frame: pd.DataFrame) -> list[str]:
    return [f"ligne {n}" for n in frame[LINE].head(5)]


def _normalise_references(frame: pd.DataFrame | None) -> pd.DataFrame:
    if frame is None or not len(frame):
        return pd.DataFrame(
            {
                "niveau": pd.Series([], dtype=str),
                "code": pd.Series([], dtype=str),
                "annee": pd.Series([], dtype="int64"),
                "variable": pd.Series([], dtype=str),
                "valeur": pd.Series([], dtype="float64"),
            }
        )
    frame = frame[frame["valeur"].notna()]
    out = pd.DataFrame(
        {
            "niveau": frame["niveau"].astype(str),
            "code": frame["code"].astype(str),
            "annee": frame["annee"].astype("int64"),
            "variable": frame["variable"].astype(str),
            "valeur": frame["valeur"].astype("float64"),
        }
    )
    order = {n: i for i, n in enumerate(("commune", "epci", "departement", "region", "france"))}
    return out.sort_values(
        ["niveau", "code", "annee", "variable"],
        key=lambda s: s.map(order) if s.name == "niveau" else s,
        kind="stable",
    ).reset_index(drop=True)


__all__ = [
    "read_cafdata_communal",
    "read_early_childhood",
    "read_tauxcouv_legacy",
    "rate_variable",
    "REFERENCE_COLUMNS",
]
