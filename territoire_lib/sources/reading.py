"""Shared reading helpers for the loaders: dialect and encoding checks, numbers, duplicates,
and the long observation format every loader of observations returns.

Observation format (one row per commune, year and variable)::

    commune (str, 5 chars) | annee (int) | variable (str) | valeur (float) | statut (str)

``statut`` is one of :data:`STATUTS`: a value published as is, rounded to 5 by the
publisher's statistical secrecy, covered by secrecy (``valeur`` is NaN) or estimated by us
(e.g. the commune → EPCI fallback of childcare places).

Layer « sources »: imports socle (errors).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import pandas as pd

from ..errors import DataError, Issue, IssueCollector, quote

LINE = "_ligne"  # column holding the 1-based line number of each row in its file
OBS_COLUMNS = ["commune", "annee", "variable", "valeur", "statut"]
STATUT_PUBLIE = "publie"
STATUT_ARRONDI = "arrondi_5"
STATUT_SECRET = "secret"
STATUT_ESTIME = "estime"
STATUTS = (STATUT_PUBLIE, STATUT_ARRONDI, STATUT_SECRET, STATUT_ESTIME)
STATUT_LABELS = {
    STATUT_PUBLIE: "publiée",
    STATUT_ARRONDI: "arrondie à 5 (secret statistique)",
    STATUT_SECRET: "couverte par le secret statistique",
    STATUT_ESTIME: "estimée",
}
SEPARATOR_NAMES = {";": "point-virgule « ; »", ",": "virgule « , »", "\t": "tabulation"}


def read_text(path: Path, encoding: str = "utf-8-sig") -> str:
    """Read a whole text file, turning a decoding failure into a French issue with its line."""
    path = Path(path)
    if not path.exists():
        raise DataError(Issue(path.name, "aucun fichier à cet emplacement", "un fichier lisible"))
    raw = path.read_bytes()
    try:
        return raw.decode(encoding)
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        byte = raw[exc.start : exc.start + 1].hex().upper()
        raise DataError(
            Issue(
                path.name,
                f"un caractère non UTF-8 (octet 0x{byte}, fichier probablement enregistré en "
                "Windows-1252/Latin-1)",
                "un fichier encodé en UTF-8 (dans Excel : « CSV UTF-8 »)",
                line=line,
            )
        ) from None


def read_delimited(
    path: str | Path,
    *,
    sep: str,
    required: Iterable[str] = (),
    encoding: str = "utf-8-sig",
    case_insensitive: bool = False,
) -> pd.DataFrame:
    """Read a delimited file with every cell as a string, plus a ``_ligne`` column.

    Checks the separator on the header line, the encoding, the presence of the required
    columns (case-insensitively when asked: the returned frame then uses the required
    spelling) and the number of fields of every line.
    """
    path = Path(path)
    text = read_text(path, encoding)
    header = text.split("\n", 1)[0].rstrip("\r")
    required = list(required)
    issues = IssueCollector(path)
    if sep not in header:
        other = [s for s in SEPARATOR_NAMES if s != sep and s in header]
        found = (
            f"le séparateur {SEPARATOR_NAMES[other[0]]}"
            if other
            else f"une ligne d'en-tête sans séparateur ({quote(header)})"
        )
        issues.add(found, f"le séparateur {SEPARATOR_NAMES[sep]}", line=1)
        issues.raise_if_any()
    try:
        frame = pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            quoting=csv.QUOTE_MINIMAL,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        match = re.search(r"Expected (\d+) fields in line (\d+), saw (\d+)", str(exc))
        if match:
            expected, line, saw = match.groups()
            issues.add(
                f"{saw} champs",
                f"{expected} champs comme dans l'en-tête (séparateur {SEPARATOR_NAMES[sep]})",
                line=int(line),
            )
        else:
            issues.add(quote(str(exc)), "un fichier CSV bien formé")
        issues.raise_if_any()
        raise  # pragma: no cover
    frame.columns = [str(c).strip() for c in frame.columns]
    if case_insensitive:
        lower = {c.lower(): c for c in frame.columns}
        frame = frame.rename(columns={lower[r.lower()]: r for r in required if r.lower() in lower})
    missing = [c for c in required if c not in frame.columns]
    for col in missing:
        shown = ", ".join(frame.columns[:15])
        issues.add(
            f"aucune colonne « {col} » (colonnes présentes : {shown})",
            f"la colonne « {col} »",
            line=1,
            column=col,
        )
    issues.raise_if_any()
    frame[LINE] = range(2, len(frame) + 2)
    return frame


def to_number(
    frame: pd.DataFrame,
    column: str,
    issues: IssueCollector,
    *,
    decimal: str = ".",
    allow_negative: bool = False,
    secret_markers: Iterable[str] = (),
    allow_empty: bool = True,
) -> tuple[pd.Series, pd.Series]:
    """Parse a text column as numbers; returns (values, secret_mask).

    Text that is neither a number, empty nor a secret marker, and negative values where counts
    are expected, are recorded as issues naming the line and the column.
    """
    raw = frame[column].astype("string").str.strip().str.replace("\u00a0", "", regex=False)
    markers = {m.lower() for m in secret_markers}
    secret = raw.str.lower().isin(markers).fillna(False).astype(bool)
    empty = raw.isna() | (raw == "")
    cleaned = raw.where(~secret & ~empty)
    if decimal == ",":
        cleaned = cleaned.str.replace(",", ".", regex=False)
    values = pd.to_numeric(cleaned, errors="coerce").astype("float64")
    bad = values.isna() & ~secret & ~empty
    lines = frame[LINE] if LINE in frame else pd.Series(range(2, len(frame) + 2), frame.index)
    what = "un nombre" + (" (virgule décimale)" if decimal == "," else "")
    if markers:
        what += " ou un marqueur de secret (" + ", ".join(sorted(markers)) + ")"
    for idx in bad[bad].index[:50]:
        issues.add(quote(raw.loc[idx]), what, line=int(lines.loc[idx]), column=column)
    if not allow_empty:
        for idx in empty[empty].index[:50]:
            issues.add("une valeur vide", what, line=int(lines.loc[idx]), column=column)
    if not allow_negative:
        neg = values < 0
        for idx in neg[neg].index[:50]:
            issues.add(
                quote(raw.loc[idx]),
                "un effectif positif ou nul",
                line=int(lines.loc[idx]),
                column=column,
            )
    return values, secret


def check_unique(frame: pd.DataFrame, keys: list[str], issues: IssueCollector, what: str) -> None:
    """Record an issue for each row that repeats a key already seen (e.g. a commune-year)."""
    dup = frame.duplicated(keys, keep="first")
    if not dup.any():
        return
    first_line = frame.groupby(keys, sort=False)[LINE].transform("first")
    for idx in dup[dup].index[:50]:
        key = " / ".join(str(frame.at[idx, k]) for k in keys)
        issues.add(
            f"{what} « {key} » en double (déjà ligne {int(first_line.loc[idx])})",
            f"une seule ligne par {what}",
            line=int(frame.at[idx, LINE]),
            column=keys[0],
        )


def melt_observations(
    frame: pd.DataFrame,
    variables: Mapping[str, str],
    *,
    statut: str | Mapping[str, str] = STATUT_PUBLIE,
    secret: Mapping[str, pd.Series] | None = None,
) -> pd.DataFrame:
    """Wide frame (commune, annee, value columns) → long observations.

    ``variables`` maps a value column of ``frame`` to the variable name it becomes.
    ``statut`` is one status for all, or per value column. ``secret`` gives, per value
    column, a boolean mask of secret cells (their status becomes ``secret``).
    """
    parts = []
    for column, variable in variables.items():
        st = statut if isinstance(statut, str) else statut.get(column, STATUT_PUBLIE)
        part = pd.DataFrame(
            {
                "commune": frame["commune"].astype(str).to_numpy(),
                "annee": frame["annee"].astype("int64").to_numpy(),
                "variable": variable,
                "valeur": frame[column].astype("float64").to_numpy(),
                "statut": st,
            }
        )
        if secret is not None and column in secret:
            mask = secret[column].to_numpy()
            part.loc[mask, "statut"] = STATUT_SECRET
        parts.append(part)
    if not parts:
        return empty_observations()
    out = pd.concat(parts, ignore_index=True)
    return normalise_observations(out)


def empty_observations() -> pd.DataFrame:
    return normalise_observations(pd.DataFrame({c: [] for c in OBS_COLUMNS}))


def normalise_observations(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical dtypes of the observation format."""
    return pd.DataFrame(
        {
            "commune": frame["commune"].astype(str),
            "annee": frame["annee"].astype("int64"),
            "variable": frame["variable"].astype(str),
            "valeur": frame["valeur"].astype("float64"),
            "statut": frame["statut"].astype(str),
        }
    )
