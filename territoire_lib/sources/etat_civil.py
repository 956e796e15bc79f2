"""INSEE civil registration (état civil): births by commune of residence → observations.

Owns :func:`read_births`, the reader of the Melodi file published by the Insee with the
« Naissances et décès domiciliés » series (insee.fr/fr/statistiques/1893255):
``DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv``, ``;``-separated, UTF-8, one row per territory, measure
and year::

    EC_MEASURE;FREQ;GEO;GEO_OBJECT;OBS_STATUS;TIME_PERIOD;OBS_VALUE
    LVB;A;01001;COM;A;2023;9

* ``EC_MEASURE`` ``LVB``: live births (« naissances vivantes »), counted at the mother's
  place of residence (« naissances domiciliées »); other measures are left out;
* ``GEO_OBJECT`` ``COM`` (commune) and ``ARM`` (municipal arrondissement of Paris, Lyon,
  Marseille, folded into its commune); the other levels (``DEP``, ``REG``, ``FRANCE``…) are
  left out — the communes are summed instead;
* ``TIME_PERIOD`` the year, ``OBS_VALUE`` a count; ``OBS_STATUS`` ``P`` marks a provisional
  value (reported), ``FREQ`` is ``A`` (annual).

Columns are found by name, in any order. Every problem is reported in French with the file,
the line and the column.

Layer « sources »: imports socle (errors, geo); its own layer (sources.reading,
sources.insee, sources.plausibility: bounds of the counts, years of the publisher).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import IssueCollector, LoadReport, fmt_int, quote
from .insee import _fold_arm_observations, check_melodi_rows
from .plausibility import check_values, check_years
from .reading import (
    LINE,
    STATUT_PUBLIE,
    check_unique,
    normalise_observations,
    read_delimited,
    to_number,
)

SOURCE_BIRTHS = "Insee, état civil – naissances domiciliées"
BIRTHS_REQUIRED = ["EC_MEASURE", "GEO", "GEO_OBJECT", "TIME_PERIOD", "OBS_VALUE"]
LIVE_BIRTHS = "LVB"
COMMUNAL_LEVELS = ("COM", "ARM")
PROVISIONAL = ("P",)


def read_births(
    path: str | Path, known_communes: Iterable[str] | None = None
) -> tuple[pd.DataFrame, LoadReport]:
    """Read ``DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv`` → observations ``naissances``.

    One observation per commune and year (``annee`` = year of birth), statut ``publie``;
    arrondissements are added into their commune unless the commune itself is published for
    that year. Codes absent from ``known_communes`` are kept and listed in the report.
    Raises :class:`~territoire_lib.errors.DataError` (French: file, line, column, found,
    expected) on a missing column, a malformed code or year, a count that is not a whole
    non-negative number, or a repeated commune-year.
    """
    path = Path(path)
    frame = read_delimited(path, sep=";", required=BIRTHS_REQUIRED, case_insensitive=True)
    report = LoadReport(SOURCE_BIRTHS, path.name, rows_read=len(frame))
    issues = IssueCollector(path)
    for col in BIRTHS_REQUIRED + [c for c in ("OBS_STATUS", "FREQ") if c in frame.columns]:
        frame[col] = frame[col].astype(str).str.strip()

    measure = frame["EC_MEASURE"].str.upper()
    other = measure != LIVE_BIRTHS
    report.drop(
        "mesure autre que les naissances vivantes (EC_MEASURE différent de LVB)",
        int(other.sum()),
        sorted(set(measure[other]))[:5],
    )
    frame = frame[~other]
    level = frame["GEO_OBJECT"].str.upper()
    supra = ~level.isin(COMMUNAL_LEVELS)
    report.drop(
        "niveau géographique autre que la commune (les communes sont additionnées)",
        int(supra.sum()),
        sorted(set(level[supra]))[:5],
    )
    frame, level = frame[~supra], level[~supra]
    empty = frame["GEO"] == ""
    report.drop(
        "code géographique (GEO) vide",
        int(empty.sum()),
        (f"ligne {n}" for n in frame.loc[empty, LINE]),
    )
    frame, level = frame[~empty], level[~empty]

    bad_year = check_melodi_rows(frame, level, issues, example_year=2023)
    years = pd.to_numeric(frame["TIME_PERIOD"].where(~bad_year), errors="coerce")
    check_years(frame, years, "TIME_PERIOD", issues, ["naissances"])
    values, _ = to_number(frame, "OBS_VALUE", issues, allow_empty=False)
    check_values(frame, values, "OBS_VALUE", "naissances", issues, report, communes=frame["GEO"])
    fraction = values.notna() & (values != np.floor(values))
    for idx in fraction[fraction].index[:50]:
        issues.add(
            quote(frame.at[idx, "OBS_VALUE"]),
            "un nombre entier de naissances (ex. 12)",
            line=int(frame.at[idx, LINE]),
            column="OBS_VALUE",
        )
    check_unique(
        frame,
        ["GEO", "GEO_OBJECT", "TIME_PERIOD"],
        issues,
        "combinaison GEO / GEO_OBJECT / TIME_PERIOD",
    )
    issues.raise_if_any()

    if "OBS_STATUS" in frame.columns:
        provisional = frame["OBS_STATUS"].str.upper().isin(PROVISIONAL)
        if provisional.any():
            years = sorted(set(frame.loc[provisional, "TIME_PERIOD"]))
            report.note(
                f"{fmt_int(int(provisional.sum()))} valeur(s) provisoire(s) (OBS_STATUS=P), "
                f"année(s) {', '.join(years)}."
            )
    obs = normalise_observations(
        pd.DataFrame(
            {
                "commune": frame["GEO"].to_numpy(),
                "annee": pd.to_numeric(frame["TIME_PERIOD"]).astype("int64").to_numpy(),
                "variable": "naissances",
                "valeur": values.to_numpy(),
                "statut": STATUT_PUBLIE,
            }
        )
    )
    obs = _fold_arm_observations(obs, report)
    report.rows_kept = report.rows_read - report.rows_dropped
    years = sorted(obs["annee"].unique().tolist())
    if years:
        report.note(
            f"Naissances domiciliées de {years[0]} à {years[-1]} pour "
            f"{fmt_int(obs['commune'].nunique())} commune(s)."
        )
    if known_communes is not None:
        report.unmatched_codes = sorted(set(obs["commune"]) - set(known_communes))
    return obs.sort_values(["commune", "annee"], ignore_index=True), report
