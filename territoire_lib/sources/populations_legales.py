"""INSEE « populations légales » by commune → observations.

Owns :func:`read_populations_legales`, the reader of the communal file of the Insee archive
``ensemble.zip`` (« Populations légales AAAA », one archive per millésime):
``donnees_communes.csv``, ``;``-separated, UTF-8, one row per commune (the municipal
arrondissements of Paris, Lyon and Marseille instead of their commune)::

    CODREG;REG;CODDEP;CODARR;CODCAN;CODCOM;COM;PMUN;PCAP;PTOT
    84;Auvergne-Rhône-Alpes;01;1;04;009;Andert-et-Condon;326;9;335

* the commune code is ``CODDEP`` + ``CODCOM`` (``01`` + ``009`` → ``01009``); overseas, the
  3-character département is followed by the last 2 digits of the commune (``971`` + ``01``
  or ``101`` → ``97101``); ``COM`` is the commune's *name*;
* ``PMUN`` population municipale, ``PCAP`` population comptée à part, ``PTOT`` population
  totale = PMUN + PCAP (checked line by line).

The file carries no year: the millésime (census year, e.g. 2022 for the populations légales
in force from 1 January 2025) is given by the manifest. Arrondissements are added into their
commune. Every problem is reported in French with the file, the line and the column.

Layer « sources »: imports socle (errors, geo); its own layer (sources.reading,
sources.insee, sources.plausibility).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataError, Issue, IssueCollector, LoadReport, fmt_int, quote
from ..geo import check_commune_codes, is_arrondissement
from .insee import _fold_arm_observations
from .plausibility import check_values
from .reading import (
    LINE,
    STATUT_PUBLIE,
    check_unique,
    melt_observations,
    read_delimited,
    to_number,
)

SOURCE_LEGALES = "Insee, populations légales"
LEGALES_REQUIRED = ["CODDEP", "CODCOM", "PMUN", "PCAP", "PTOT"]
LEGALES_VARIABLES = {
    "PMUN": "pop_legale_municipale",
    "PCAP": "pop_legale_comptee_a_part",
    "PTOT": "pop_legale_totale",
}
IN_FORCE_LAG = 3  # the populations légales of millésime M are in force from 1 January M + 3
MILLESIME_BOUNDS = (2006, 2100)  # first millésime of the annual census: 2006


def in_force_year(millesime: int) -> int:
    """The year from whose 1 January the populations légales of a millésime apply."""
    return int(millesime) + IN_FORCE_LAG


def check_millesime(value: object, file: str, column: str = "millesime") -> int:
    """The millésime as an int, or a French :class:`DataError` naming the manifest key."""
    ok = isinstance(value, int | np.integer) and not isinstance(value, bool)
    if isinstance(value, str) and value.strip().isdigit():
        value, ok = int(value.strip()), True
    lo, hi = MILLESIME_BOUNDS
    if not ok or not lo <= int(value) <= hi:
        raise DataError(
            Issue(
                file,
                f"le millésime {quote(value)}",
                "l'année du recensement des populations légales sur 4 chiffres (ex. 2022 pour "
                "les populations légales en vigueur au 1er janvier 2025)",
                column=column,
            )
        )
    return int(value)


def _commune_codes(frame: pd.DataFrame, issues: IssueCollector) -> pd.Series:
    """CODDEP + CODCOM → 5-character commune codes (issues for malformed parts)."""
    dep = frame["CODDEP"].str.upper()
    com = frame["CODCOM"]
    for idx in dep[dep.str.fullmatch(r"\d")].index[:50]:
        issues.add(
            f"{quote(dep.loc[idx])} (le zéro initial a disparu : {dep.loc[idx].zfill(2)} ?)",
            "un code département de 2 ou 3 caractères (ex. 01, 2A, 971)",
            line=int(frame.at[idx, LINE]),
            column="CODDEP",
        )
    overseas = dep.str.fullmatch(r"97\d").fillna(False).astype(bool)
    short = com.str.fullmatch(r"\d{1,2}").fillna(False).astype(bool) & ~overseas
    for idx in short[short].index[:50]:
        text = com.loc[idx]
        issues.add(
            f"{quote(text)} (le zéro initial a disparu : {text.zfill(3)} ?)",
            "un code commune sur 3 chiffres dans le département (ex. 009)",
            line=int(frame.at[idx, LINE]),
            column="CODCOM",
        )
    # overseas: 971 + 01 → 97101; 971 + 101 → 97101 (the third digit repeated)
    three = com.str.len() == 3
    same = three & (com.str[0] == dep.str[2])
    bad_overseas = overseas & three & ~same
    for idx in bad_overseas[bad_overseas].index[:50]:
        issues.add(
            f"{quote(com.loc[idx])} dans le département {dep.loc[idx]}",
            f"un code commune de 2 chiffres, ou de 3 chiffres commençant par {dep.loc[idx][2]}",
            line=int(frame.at[idx, LINE]),
            column="CODCOM",
        )
    code = np.where(
        overseas,
        np.where(three, dep.str[:2] + com, dep + com),
        dep + com,
    )
    return pd.Series(code, index=frame.index, dtype=str)


def read_populations_legales(
    path: str | Path, millesime: int, known_communes: Iterable[str] | None = None
) -> tuple[pd.DataFrame, LoadReport]:
    """Read ``donnees_communes.csv`` → observations ``pop_legale_municipale``,
    ``pop_legale_comptee_a_part``, ``pop_legale_totale`` (``annee`` = ``millesime``).

    Raises :class:`~territoire_lib.errors.DataError` (French: file, line, column, found,
    expected) on a missing column, a malformed code, a population that is not a whole
    non-negative number, a population totale different from municipale + comptée à part, or
    a commune present twice.
    """
    path = Path(path)
    year = check_millesime(millesime, path.name)
    frame = read_delimited(path, sep=";", required=LEGALES_REQUIRED, case_insensitive=True)
    report = LoadReport(SOURCE_LEGALES, path.name, rows_read=len(frame))
    issues = IssueCollector(path)
    for col in LEGALES_REQUIRED:
        frame[col] = frame[col].astype(str).str.strip()
    empty = (frame["CODDEP"] == "") & (frame["CODCOM"] == "")
    report.drop(
        "ligne sans code (CODDEP et CODCOM vides)",
        int(empty.sum()),
        (f"ligne {n}" for n in frame.loc[empty, LINE]),
    )
    frame = frame[~empty].copy()
    frame["commune"] = _commune_codes(frame, issues)
    issues.raise_if_any()
    check_commune_codes(frame["commune"], issues, "CODCOM", frame[LINE])
    # a repeated commune is reported on the file's column (CODCOM), with the full code
    check_unique(frame.assign(CODCOM=frame["commune"]), ["CODCOM"], issues, "commune")
    values = {}
    for col in LEGALES_VARIABLES:
        values[col], _ = to_number(frame, col, issues, allow_empty=False)
        check_values(frame, values[col], col, LEGALES_VARIABLES[col], issues, report)
        fraction = values[col].notna() & (values[col] != np.floor(values[col]))
        for idx in fraction[fraction].index[:50]:
            issues.add(
                quote(frame.at[idx, col]),
                "un nombre entier d'habitants",
                line=int(frame.at[idx, LINE]),
                column=col,
            )
    issues.raise_if_any()
    total = values["PMUN"] + values["PCAP"]
    wrong = total != values["PTOT"]
    for idx in wrong[wrong].index[:50]:
        issues.add(
            f"{fmt_int(values['PTOT'].loc[idx])} habitants",
            f"la population municipale plus la population comptée à part "
            f"({fmt_int(values['PMUN'].loc[idx])} + {fmt_int(values['PCAP'].loc[idx])} = "
            f"{fmt_int(total.loc[idx])})",
            line=int(frame.at[idx, LINE]),
            column="PTOT",
        )
    issues.raise_if_any()

    wide = pd.DataFrame({"commune": frame["commune"].to_numpy(), "annee": year})
    for col in LEGALES_VARIABLES:
        wide[col] = values[col].to_numpy()
    obs = melt_observations(wide, LEGALES_VARIABLES, statut=STATUT_PUBLIE)
    n_arm = int(is_arrondissement(frame["commune"]).sum())
    obs = _fold_arm_observations(obs, report, rows=False)
    report.rows_kept = len(frame)
    report.note(
        f"Populations légales millésime {year}, en vigueur au 1er janvier "
        f"{in_force_year(year)} : {fmt_int(len(frame) - n_arm)} commune(s)"
        + (f" et {fmt_int(n_arm)} arrondissement(s) municipal(aux)." if n_arm else ".")
    )
    if known_communes is not None:
        report.unmatched_codes = sorted(set(obs["commune"]) - set(known_communes))
    return obs, report
