"""INSEE income and poverty of the quartiers prioritaires (Filosofi by QPV) → references.

The file is the one of INSEE's « Revenus, pauvreté et niveau de vie en 2021 — Quartiers de la
politique de la ville » (data-formats.md §4.1), as it is shipped in its zip:
``revenu-disponible-qp15-2021_QP.csv`` for the 2015 QPV geography (name verified in a public
loader) and the same product on the 2024 geography (insee.fr page 8243167, file name not
verified, read the same way). ``;`` separator, one row per QPV, key ``CODGEO`` (the QPV code:
``QN…`` for the 2024 geography, ``QP…`` for 2015), values ``DISP_MED_A21`` (median standard of
living, €), ``DISP_TP60_A21`` (poverty rate at 60 %, %), and ``DISP_PPSOC_A21``,
``DISP_D1_A21``, ``DISP_D9_A21``… (not read). The year is the column suffix (``A21`` → 2021).
Secret cells are empty or marked ``s`` / ``nd``. Most indicators are not additive: they are
kept as published values of each QPV, never summed.

Returns references (``niveau | code | annee | variable | valeur``) with ``niveau = "qpv"``,
``code`` the QPV code and the variables ``niveau_vie_median`` and ``taux_pauvrete_publie`` (the
names of the communal Filosofi values, so that a QPV compares with its commune).

Layer « sources »: imports the socle (:mod:`territoire_lib.errors`) and
:mod:`territoire_lib.sources.reading`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..errors import IssueCollector, LoadReport, fmt_int, quote
from .reading import LINE, check_unique, read_delimited, to_number

SOURCE = "Insee, Filosofi par quartier prioritaire (QPV)"
QPV_CODE = re.compile(r"^Q[NP][0-9A-Z]{5,6}$")
# variable → column stems (the year follows: DISP_MED_A21), first found wins
STEMS = {
    "niveau_vie_median": ("DISP_MED_A", "DISP_Q2_A"),
    "taux_pauvrete_publie": ("DISP_TP60_A", "DISP_TP60"),
}
SECRET_MARKERS = ("s", "nd", "ns")
REFERENCE_COLUMNS = ["niveau", "code", "annee", "variable", "valeur"]


def _columns(header: list[str]) -> dict[str, tuple[str, int]]:
    """variable → (column, year) for the value columns found in the header."""
    out: dict[str, tuple[str, int]] = {}
    for variable, stems in STEMS.items():
        for stem in stems:
            pattern = re.compile(rf"^{stem}(\d{{2}})$", re.IGNORECASE)
            found = [(c, int(m.group(1))) for c in header if (m := pattern.match(c))]
            if found:
                column, yy = max(found, key=lambda x: x[1])  # the latest year of the file
                out[variable] = (column, 2000 + yy)
                break
    return out


def read_qpv_income(path: str | Path) -> tuple[pd.DataFrame, LoadReport]:
    """Read INSEE's QPV income file (``revenu-disponible-qp…_QP.csv``) → references.

    Raises :class:`~territoire_lib.errors.DataError` (French, naming line and column) for a
    missing ``CODGEO`` or value columns, a malformed QPV code, a QPV given twice or text where a
    number is expected. Rows whose code is not a QPV code (the « ensemble des QPV » row of the
    companion file) are dropped and reported.
    """
    path = Path(path)
    frame = read_delimited(path, sep=";", required=["CODGEO"], case_insensitive=True)
    report = LoadReport(SOURCE, path.name, rows_read=len(frame))
    issues = IssueCollector(path)
    header = [c for c in frame.columns if c != LINE]
    columns = _columns(header)
    if not columns:
        issues.add(
            "aucune colonne DISP_MED_A21 ni DISP_TP60_A21 (colonnes présentes : "
            + ", ".join(header[:12])
            + ")",
            "les colonnes du fichier Insee des revenus par QPV, ex. DISP_MED_A21 (niveau de vie "
            "médian) et DISP_TP60_A21 (taux de pauvreté)",
            line=1,
        )
        issues.raise_if_any()
    for variable in STEMS:
        if variable not in columns:
            report.missing_column(STEMS[variable][0] + "AA", variable)
    code = frame["CODGEO"].astype("string").str.strip().str.upper().fillna("")
    not_qpv = ~code.str.match(QPV_CODE.pattern).fillna(False).astype(bool)
    # « 00 », « ENSQP »… : the whole of the QPV of France, not one QPV
    report.drop(
        "ligne qui n'est pas un quartier (code CODGEO autre qu'un code QN… ou QP…)",
        int(not_qpv.sum()),
        code[not_qpv].head(5),
    )
    for idx in not_qpv[not_qpv & (code != "") & code.str.startswith("Q")].index[:50]:
        issues.add(
            quote(code.loc[idx]),
            "un code de quartier prioritaire (QN + 6 caractères, ex. QN09601M ; QP + 6 pour "
            "les quartiers de 2015)",
            line=int(frame.at[idx, LINE]),
            column="CODGEO",
        )
    frame = frame.loc[~not_qpv].assign(code=code[~not_qpv])
    check_unique(frame, ["code"], issues, "quartier")
    parts = []
    secret = 0
    for variable, (column, year) in columns.items():
        values, masked = to_number(frame, column, issues, secret_markers=SECRET_MARKERS)
        secret += int(masked.sum()) + int((values.isna() & ~masked).sum())
        parts.append(
            pd.DataFrame(
                {
                    "niveau": "qpv",
                    "code": frame["code"].astype(str).to_numpy(),
                    "annee": year,
                    "variable": variable,
                    "valeur": values.to_numpy(),
                }
            )
        )
    issues.raise_if_any()
    refs = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=REFERENCE_COLUMNS)
    report.secret_values = secret
    report.rows_kept = len(frame)
    years = sorted({y for _, y in columns.values()})
    report.note(
        f"{fmt_int(len(frame))} quartier(s), revenus {', '.join(map(str, years))} "
        "(valeurs publiées par quartier, jamais additionnées)"
    )
    refs = refs[refs["valeur"].notna()]
    return refs[REFERENCE_COLUMNS].reset_index(drop=True), report
