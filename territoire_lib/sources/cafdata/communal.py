"""CAFDATA communal household counts: ``s_ben_com_f``, ``ndur_s_qf_400_com_f`` (and its QPV level
``ndur_s_qf_400_qpv_f``), ``rsa_s_type_com_f``.

Owns :func:`read_cafdata_communal` and what only it needs: the variables of each export, the
QF bands and RSA types, the reference month, the « rounded to 5 » check (Cnaf secrecy) and the
folding of Paris, Lyon and Marseille arrondissements.

Layer « sources »: imports the socle (:mod:`territoire_lib.errors`, :mod:`territoire_lib.geo`),
:mod:`territoire_lib.sources.reading`, :mod:`territoire_lib.sources.plausibility` (bounds of
the counts, years of the publisher) and :mod:`.common`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ...errors import IssueCollector, LoadReport, fmt_int, quote
from ...geo import check_commune_codes, fold_arrondissements, is_arrondissement
from ..plausibility import ROUNDED_TOLERANCE, check_at_most, check_values, check_years
from ..reading import (
    LINE,
    STATUT_ARRONDI,
    STATUT_PUBLIE,
    melt_observations,
    normalise_observations,
    read_delimited,
    to_number,
)
from .common import (
    MAX_REPORTED,
    SOURCE,
    _check_unique,
    _label_key,
    _lines,
    _lower_columns,
    _require_columns,
)

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

# ndur_s_qf_400_qpv_f: the same bands, households living in a QPV (summed per commune)
QPV_VARIABLES = {
    k: v.replace("allocataires_", "allocataires_qpv_") for k, v in QF_VARIABLES.items()
}

DATASETS = {
    "s_ben": "s_ben_com_f, allocataires par prestation",
    "qf": "ndur_s_qf_400_com_f, allocataires par tranche de quotient familial",
    "qf_qpv": "ndur_s_qf_400_qpv_f, allocataires des QPV par tranche de quotient familial",
    "rsa": "rsa_s_type_com_f, foyers RSA par type",
}
DROP_NOT_LOCALISED = "foyers non localisés (code commune vide)"
DROP_PLACEHOLDER = "ligne fictive (code commune XX, XXX, XXXXX ou 99999)"
NOT_MULTIPLE_OF_5 = "valeur non multiple de 5 : le fichier n'est peut-être pas un export Cafdata"


def read_cafdata_communal(
    path: str | Path, known_communes: set[str] | None = None
) -> tuple[pd.DataFrame, LoadReport]:
    """Read a CAFDATA communal export: ``s_ben_com_f``, ``ndur_s_qf_400_com_f``, its QPV level
    ``ndur_s_qf_400_qpv_f`` (column ``nomqpv``: the QPVs of a commune are summed into
    ``allocataires_qpv_*``, and a known commune absent from the file gets 0) or
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
        if "nomqpv" in frame.columns:  # the QPV level (2024 QPV geography)
            kind = "qf_qpv"
    elif "rsa_type" in frame.columns:
        kind, value_columns = "rsa", {"indfoy_rsa": None}
        band_column = "rsa_type"
    else:
        kind = "s_ben"
        value_columns = {c: v for c, v in S_BEN_VARIABLES.items() if c in frame.columns}
        band_column = None
    required = ["dtreffre", "numcomdo", *(["indfoy_ndur"] if kind == "s_ben" else value_columns)]
    required += ["nomqpv"] if kind == "qf_qpv" else []
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
    month_year = _year_of_month(frame, "dtreffre", issues, report)
    frame["annee"] = check_years(frame, month_year, "dtreffre", issues, ["allocataires"])

    # band → variable (QF, RSA); duplicates are checked on the raw code, before folding
    if kind in ("qf", "qf_qpv"):
        bands = QF_VARIABLES if kind == "qf" else QPV_VARIABLES
        frame["variable"] = _label_key(frame["qf_400"]).map(bands)
        _unknown_labels(
            frame, "qf_400", issues, f"une tranche de quotient familial Cafdata ({QF_LABELS_SHOWN})"
        )
        dup_keys = ["code_brut", "annee", "variable"]
        what = "commune-année-tranche"
        if kind == "qf_qpv":  # one row per QPV and band: the QPVs of a commune are summed
            frame["qpv_brut"] = frame["nomqpv"].astype("string").str.strip()
            dup_keys = ["code_brut", "qpv_brut", "annee", "variable"]
            what = "commune-QPV-année-tranche"
            report.note(
                f"{fmt_int(int(frame['qpv_brut'].nunique()))} quartier(s) prioritaire(s) : "
                "foyers des QPV additionnés par commune et par tranche"
            )
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
        variable = S_BEN_VARIABLES.get(column, "allocataires")
        check_values(frame, values[column], column, variable, issues, report, communes=code)
    # RSA households within all allocataires, allocataires within persons covered
    named = {c: S_BEN_VARIABLES[c] for c in values if c in S_BEN_VARIABLES}
    check_at_most(frame, values, named, issues, tolerance=ROUNDED_TOLERANCE)
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
        if kind == "qf_qpv":
            obs = _with_communes_without_qpv(obs, known_communes, report)
    return obs, report


def _with_communes_without_qpv(
    obs: pd.DataFrame, known_communes: set[str], report: LoadReport
) -> pd.DataFrame:
    """A commune absent from the QPV file has no household in a QPV: 0 for each band and year
    of the file (exact, not rounded), so that a share of households living in a QPV counts
    every commune of a territory, not only those with a QPV."""
    absent = sorted(set(known_communes) - set(obs["commune"]))
    if not absent or obs.empty:
        return obs
    keys = obs[["annee", "variable"]].drop_duplicates()
    zeros = keys.merge(pd.DataFrame({"commune": absent}), how="cross")
    zeros = zeros.assign(valeur=0.0, statut=STATUT_PUBLIE)
    report.note(
        f"{fmt_int(len(absent))} commune(s) absente(s) du fichier des QPV : aucun foyer en "
        "quartier prioritaire (0)"
    )
    out = normalise_observations(pd.concat([obs, zeros[obs.columns]], ignore_index=True))
    return out.sort_values(["commune", "annee", "variable"], kind="stable").reset_index(drop=True)


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
