"""The budget of a CTG: planned against spent, summed per fiche, axis, funder or year; the
execution rate is a ratio of sums, never a mean of rates (:func:`budget_summary`).

Layer « évaluation »; imports the socle (errors) only.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from ..errors import TerritoireError


def budget_summary(budget: pd.DataFrame, by: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Budget planned against spent, summed per group (``by``: e.g. ``"fiche"``, ``"axe"``,
    ``"financeur"``, ``["axe", "financeur"]``; ``None``: the whole CTG).

    ``budget`` has numeric columns ``prevu`` and ``depense``. A missing spending counts 0
    when other lines of the group have one; a group without any spending recorded has no
    ``depense`` (not 0: unknown). Returns the ``by`` columns, ``prevu``, ``depense``,
    ``ecart`` (spent − planned) and ``taux_execution`` (spent / planned, a ratio of sums;
    missing when nothing was planned or nothing recorded).
    """
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    missing = [c for c in ("prevu", "depense", *keys) if c not in budget.columns]
    if missing:
        raise TerritoireError(
            "Tableau de budget incomplet : colonnes manquantes "
            + ", ".join(f"« {c} »" for c in missing)
            + "."
        )
    frame = budget[[*keys, "prevu", "depense"]].copy()
    frame["prevu"] = pd.to_numeric(frame["prevu"], errors="coerce").fillna(0.0).astype(float)
    frame["depense"] = pd.to_numeric(frame["depense"], errors="coerce").astype(float)
    if keys:
        grouped = frame.groupby(keys, sort=False, dropna=False)
        out = grouped["prevu"].sum().to_frame()
        out["depense"] = grouped["depense"].sum(min_count=1)
        out = out.reset_index()
    else:
        out = pd.DataFrame(
            {"prevu": [frame["prevu"].sum()], "depense": [frame["depense"].sum(min_count=1)]}
        )
    out["ecart"] = out["depense"] - out["prevu"]
    planned = out["prevu"].where(out["prevu"] != 0)
    out["taux_execution"] = out["depense"] / planned
    return out
