"""The tables of a stored CTG plan, for its evaluation: one row per follow-up indicator (its
definition, its latest realised value up to the evaluation year and its progress), one row
per realised value; the favourable direction of each indicator, inferred from its target.

The direction of an indicator (« hausse » or « baisse » favourable) is not stored in the
plan: it follows from the target (above or below the baseline); for a target equal to its
baseline, it is the catalogue's favourable direction, else « hausse » (keep at least).

Layer « évaluation »; imports indicateurs (the catalogue, lazily), :mod:`.constants`,
:mod:`.status` and :mod:`.wording`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from .constants import (
    _DIRECTIONS,
    AT_RISK,
    DOWN,
    DROPPED,
    LATE,
    NO_VALUE,
    NOT_EVALUABLE,
    ON_TRACK,
    UP,
    _fold,
)
from .status import progress_frame
from .wording import fmt_value

_SEVERITY = {LATE: 4, AT_RISK: 3, ON_TRACK: 2, NO_VALUE: 1, NOT_EVALUABLE: 0}


def _catalogue_directions(ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    from ..indicators import load_catalogue

    cat = load_catalogue()
    return {i: cat[i].direction for i in ids if i in cat}


def infer_direction(baseline: pd.Series, target: pd.Series, catalogue: pd.Series) -> pd.Series:
    """« hausse » when the target is above the baseline, « baisse » below; equal (or missing):
    the catalogue indicator's favourable direction, else « hausse »."""
    b = pd.to_numeric(baseline, errors="coerce")
    t = pd.to_numeric(target, errors="coerce")
    out = pd.Series(np.where(t < b, DOWN, UP), index=baseline.index, dtype=object)
    same = (t == b) & catalogue.fillna("").astype(str).ne("")
    if same.any():
        found = _catalogue_directions(sorted(set(catalogue[same])))
        favourable = catalogue[same].map(found).map(lambda d: _DIRECTIONS.get(_fold(d or "")))
        out[same] = favourable.fillna(UP)
    return out


INDICATOR_COLUMNS = [
    "axe",
    "fiche",
    "indicateur",
    "libelle",
    "unite",
    "catalogue",
    "valeur_reference",
    "annee_reference",
    "cible",
    "annee_cible",
]
VALUE_COLUMNS = ["fiche", "indicateur", "annee", "valeur", "source", "saisi_par", "calcule"]
BUDGET_COLUMNS = ["axe", "fiche", "financeur", "annee", "prevu", "depense"]


def _indicator_frame(
    doc, annee: int, tolerance: float, status_of: dict[str, str]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(one row per indicator with its latest value up to ``annee`` and its progress, one row
    per realised value)."""
    axis_of = {f.code: f.axis for f in doc.fiches}
    ind = pd.DataFrame(
        [
            {
                "axe": axis_of.get(i.fiche, ""),
                "fiche": i.fiche,
                "indicateur": i.code,
                "libelle": i.label,
                "unite": i.unit,
                "catalogue": i.catalogue_id or "",
                "valeur_reference": i.baseline_value,
                "annee_reference": i.baseline_year,
                "cible": i.target_value,
                "annee_cible": i.target_year,
            }
            for i in doc.indicators
        ],
        columns=INDICATOR_COLUMNS,
    )
    values = pd.DataFrame(
        [
            {
                "fiche": i.fiche,
                "indicateur": i.code,
                "annee": v.year,
                "valeur": v.value,
                "source": v.source,
                "saisi_par": v.entered_by,
                "calcule": bool(v.computed),
            }
            for i in doc.indicators
            for v in i.values
        ],
        columns=VALUE_COLUMNS,
    )
    for col in ("valeur_reference", "annee_reference", "cible", "annee_cible"):
        ind[col] = pd.to_numeric(ind[col], errors="coerce").astype(float)
    values["annee"] = pd.to_numeric(values["annee"], errors="coerce").astype(float)
    values["valeur"] = pd.to_numeric(values["valeur"], errors="coerce").astype(float)
    upto = values[values["annee"] <= annee].sort_values(["fiche", "indicateur", "annee"])
    last = upto.groupby(["fiche", "indicateur"], sort=False).tail(1)
    last = last.rename(
        columns={
            "annee": "annee_realisee",
            "valeur": "valeur_realisee",
            "source": "source_valeur",
        }
    )
    ind = ind.merge(
        last[["fiche", "indicateur", "annee_realisee", "valeur_realisee", "source_valeur"]],
        on=["fiche", "indicateur"],
        how="left",
    )
    ind["source_valeur"] = ind["source_valeur"].fillna("").astype(str)
    ind["sens"] = infer_direction(ind["valeur_reference"], ind["cible"], ind["catalogue"])
    ind["statut_fiche"] = ind["fiche"].map(status_of).fillna("")
    ind["abandonnee"] = ind["statut_fiche"].eq(DROPPED)
    ind = progress_frame(ind, tolerance=tolerance)
    ind["texte"] = [
        _values_text(r) for r in ind[["valeur_reference", "annee_reference", "valeur_realisee",
                                     "annee_realisee", "cible", "annee_cible"]].itertuples()
    ]  # fmt: skip
    return ind, values


def _values_text(r) -> str:
    """« 15,8 (2021) → 14,4 (2023) ; cible 30 en 2025 »."""

    def year(y) -> str:
        return "" if pd.isna(y) else f" ({int(y)})"

    start = fmt_value(r.valeur_reference) + year(r.annee_reference)
    now = (
        fmt_value(r.valeur_realisee) + year(r.annee_realisee)
        if pd.notna(r.valeur_realisee)
        else "?"
    )
    target = f"cible {fmt_value(r.cible)}" + (
        "" if pd.isna(r.annee_cible) else f" en {int(r.annee_cible)}"
    )
    return f"{start} → {now} ; {target}"


def _worst(a: pd.Series, b: pd.Series) -> pd.Series:
    sa = a.map(_SEVERITY).fillna(-1)
    sb = b.map(_SEVERITY).fillna(-1)
    return a.where(sa >= sb, b)
