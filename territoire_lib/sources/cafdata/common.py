"""Shared pieces of the CAFDATA readers: source labels, column and key checks, references.

Owns the source labels, ``FRANCE_CODE``, ``REFERENCE_COLUMNS``, ``MAX_REPORTED``, and the
helpers every reader uses: lower-cased headers, required columns (with the hint for exports
made with labels instead of field names), duplicate keys reported with their lines, label
normalisation (QF bands, RSA types) and the sorted references frame
(``niveau | code | annee | variable | valeur``).

Layer « sources »: imports the socle (:mod:`territoire_lib.errors`) and
:mod:`territoire_lib.sources.reading`.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from ...errors import IssueCollector
from ..reading import LINE

SOURCE = "Cnaf, Cafdata"
SOURCE_PE = "Cnaf, Cafdata (Onape) — accueil du jeune enfant"
SOURCE_LEGACY = "Cnaf, data.caf.fr (ancien portail) — taux de couverture"
FRANCE_CODE = "FR"
REFERENCE_COLUMNS = ["niveau", "code", "annee", "variable", "valeur"]
MAX_REPORTED = 50


LABEL_HEADERS = ("date référence", "numéro commune", "nombre foyers ndur", "nom commune")


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
