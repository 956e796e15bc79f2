"""Legacy data.caf.fr coverage rates: ``TAUXCOUV2020.csv`` / ``TAUXCOUV2021.csv`` (references).

Owns :func:`read_tauxcouv_legacy`: accepted spellings of the columns, decimal comma,
Windows-1252 fallback, placeholder rows, and one rate per EPCI, département, région and France
(the most frequent value when the commune rows disagree).

Layer « sources »: imports the socle (:mod:`territoire_lib.errors`, :mod:`territoire_lib.geo`,
:mod:`territoire_lib.input_limits`),
:mod:`territoire_lib.sources.reading`, :mod:`territoire_lib.sources.plausibility` (bounds of
the rates, years of the publisher) and :mod:`.common`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

import pandas as pd

from ...errors import IssueCollector, LoadReport, fmt_int, quote
from ...geo import check_commune_codes, departement_of
from ...input_limits import read_bounded
from ..plausibility import check_values, year_in_range, year_text
from ..reading import LINE, read_delimited, to_number
from .common import (
    FRANCE_CODE,
    SOURCE_LEGACY,
    _check_unique,
    _lines,
    _lower_columns,
    _normalise_references,
    _require_columns,
)

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
    if not year_in_range(year, ["taux_couverture_publie"]):
        issues.add(
            f"l'année {year}",
            year_text(["taux_couverture_publie"]),
            column="annee" if annee is not None else "nom du fichier",
        )
        issues.raise_if_any()
    report = LoadReport(source=SOURCE_LEGACY, file=path.name)
    encoding = "utf-8-sig"
    try:
        read_bounded(path).decode(encoding)  # a regular file under the size cap
    except UnicodeDecodeError:
        encoding = "cp1252"
        report.note("fichier encodé en Windows-1252 (ancien portail) : lu comme tel")
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
        check_values(frame, values[column], column, "taux_couverture_publie", issues, report)
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
