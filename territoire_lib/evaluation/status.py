"""The progress rule of the CTG evaluation, vectorised: the share of the objective achieved
by each follow-up indicator, the share expected at its year, its status (:func:`progress`,
:func:`progress_frame`), and the roll-up per group or for the whole CTG (:func:`rollup`).

The rule itself is described in :mod:`territoire_lib.evaluation` (and in French by
:func:`territoire_lib.evaluation.wording.rule_text`). Layer « évaluation »; imports the
socle (errors) and :mod:`.constants`.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from ..errors import TerritoireError
from .constants import (
    _DIRECTIONS,
    AT_RISK,
    CAP,
    DOWN,
    INPUT_COLUMNS,
    LATE,
    NO_VALUE,
    NOT_EVALUABLE,
    ON_TRACK,
    OUTPUT_COLUMNS,
    STATUSES,
    TOLERANCE,
    UP,
    _fold,
)


def normalise_direction(values) -> pd.Series:
    """« hausse » / « baisse » (also « augmentation », « diminution », « + », « - »…); other
    values become missing."""
    s = pd.Series(values, dtype=object)
    out = [None if pd.isna(v) else _DIRECTIONS.get(_fold(v)) for v in s]
    return pd.Series(out, index=s.index, dtype=object)


def _as_series(value, n: int) -> pd.Series:
    if isinstance(value, pd.Series):
        return value.reset_index(drop=True)
    if np.ndim(value) == 0:
        return pd.Series([value] * n, dtype=object)
    return pd.Series(list(value), dtype=object)


def _num(s: pd.Series) -> np.ndarray:
    """Floats with NaN for anything missing or not a number (nullable Int64 years too)."""
    values = pd.to_numeric(s, errors="coerce")
    return pd.Series(values, dtype="Float64").to_numpy(dtype=float, na_value=np.nan)


# -- the rule for one indicator (vectorised) ----------------------------------------------------
def progress(
    baseline,
    baseline_year,
    target,
    target_year,
    realised,
    realised_year,
    direction=UP,
    *,
    tolerance: float = TOLERANCE,
) -> pd.DataFrame:
    """Progress of indicators toward their targets; one row per indicator.

    Every argument is a scalar or an array-like / Series of the same length (Series are read
    by position; the result takes the index of the first Series argument). ``direction`` is
    « hausse » (an increase is favourable) or « baisse ». Returns a DataFrame with columns
    ``part_atteinte`` (share achieved, 1 = target reached), ``part_attendue`` (share expected
    at the realised value's year), ``ecart_points`` (achieved − expected, in points, i.e.
    ×100), ``statut`` (one of :data:`STATUSES`) and ``motif`` (a French reason when the
    indicator is not evaluated, else "").
    """
    if not 0 < tolerance < 1:
        raise TerritoireError(
            f"Tolérance de la règle d'avancement invalide : trouvé {tolerance} ; attendu un "
            "nombre strictement entre 0 et 1 (0,10 pour 10 points)."
        )
    args = (baseline, baseline_year, target, target_year, realised, realised_year, direction)
    index = next((a.index for a in args if isinstance(a, pd.Series)), None)
    lengths = {len(a) for a in args if np.ndim(a) > 0}
    if len(lengths) > 1:
        raise TerritoireError(
            "Les colonnes de l'évaluation n'ont pas la même longueur : "
            f"trouvé {sorted(lengths)} lignes ; attendu le même nombre partout."
        )
    n = lengths.pop() if lengths else 1
    b, yb, t, yt, r, yr = (_num(_as_series(a, n)) for a in args[:6])
    d = normalise_direction(_as_series(direction, n)).to_numpy(dtype=object)
    up = d == UP
    down = d == DOWN

    delta = t - b
    maintain = delta == 0
    with np.errstate(divide="ignore", invalid="ignore"):
        share = np.where(maintain, np.nan, (r - b) / np.where(maintain, 1.0, delta))
        # maintenance: relative shortfall on the unfavourable side of the target
        shortfall = np.clip(np.where(down, r - t, t - r), 0.0, None)
        rel = np.where(t != 0, shortfall / np.abs(np.where(t != 0, t, 1.0)), np.inf)
        keep = np.where(shortfall > 0, np.clip(1.0 - rel, 0.0, None), 1.0)
        share = np.where(maintain, keep, share)
        span = yt - yb
        expected = np.where(
            span > 0, np.clip((yr - yb) / np.where(span > 0, span, 1.0), 0.0, 1.0), 1.0
        )
    expected = np.where(maintain, 1.0, expected)

    missing_def = np.isnan(b) | np.isnan(t) | np.isnan(yb) | np.isnan(yt)
    no_direction = ~(up | down)
    wrong_side = (up & (delta < 0)) | (down & (delta > 0))
    no_value = np.isnan(r) | np.isnan(yr)
    not_eval = missing_def | wrong_side | (maintain & no_direction)

    gap = np.round(share - expected, 9)  # 0.7 − 0.8 must compare equal to −0.1
    status = np.where(
        gap >= -tolerance, ON_TRACK, np.where(gap >= -2 * tolerance, AT_RISK, LATE)
    ).astype(object)
    reason = np.full(n, "", dtype=object)
    status[no_value] = NO_VALUE
    reason[no_value] = "aucune valeur réalisée saisie"
    status[not_eval] = NOT_EVALUABLE
    reason[wrong_side & ~missing_def] = (
        "la cible est du côté défavorable de la valeur de référence (sens à vérifier)"
    )
    reason[maintain & no_direction & ~missing_def] = (
        "cible égale à la valeur de référence sans sens favorable (hausse ou baisse)"
    )
    parts = (
        (np.isnan(b), "valeur de référence"),
        (np.isnan(yb), "année de référence"),
        (np.isnan(t), "cible"),
        (np.isnan(yt), "année de la cible"),
    )
    for k in np.flatnonzero(missing_def):  # only the rows with a gap: a handful
        reason[k] = "à compléter : " + ", ".join(name for mask, name in parts if mask[k])
    blank = no_value | not_eval
    share = np.where(blank, np.nan, share)
    expected = np.where(blank, np.nan, expected)
    out = pd.DataFrame(
        {
            "part_atteinte": share,
            "part_attendue": expected,
            "ecart_points": np.where(blank, np.nan, 100 * gap),
            "statut": status,
            "motif": reason,
        }
    )
    if index is not None:
        out.index = index
    return out


def progress_frame(frame: pd.DataFrame, *, tolerance: float = TOLERANCE) -> pd.DataFrame:
    """:func:`progress` over a frame holding the columns of :data:`INPUT_COLUMNS`
    (``valeur_reference``, ``annee_reference``, ``cible``, ``annee_cible``,
    ``valeur_realisee``, ``annee_realisee``, ``sens``); returns the frame with the progress
    columns added (the input is not modified)."""
    missing = [c for c in INPUT_COLUMNS.values() if c not in frame.columns]
    if missing:
        raise TerritoireError(
            "Tableau d'indicateurs incomplet pour l'évaluation : colonnes manquantes "
            + ", ".join(f"« {c} »" for c in missing)
            + "."
        )
    result = progress(*(frame[INPUT_COLUMNS[k]] for k in INPUT_COLUMNS), tolerance=tolerance)
    base = frame.drop(columns=[c for c in OUTPUT_COLUMNS if c in frame.columns])
    return pd.concat([base, result], axis=1)


def _group_status(out: pd.DataFrame, tol: float) -> np.ndarray:
    gap = (out["part_atteinte"] - out["part_attendue"]).round(9)
    status = np.where(gap >= -tol, ON_TRACK, np.where(gap >= -2 * tol, AT_RISK, LATE))
    late = out["n_en_retard"].to_numpy() > 0
    status = np.where((status == ON_TRACK) & late, AT_RISK, status).astype(object)
    none = (out["n_evalues"] == 0).to_numpy()
    status[none] = np.where(out["n_non_renseigne"].to_numpy()[none] > 0, NO_VALUE, NOT_EVALUABLE)
    return status


def rollup(
    progress_df: pd.DataFrame,
    by: str | Sequence[str] | None = None,
    *,
    tolerance: float = TOLERANCE,
) -> pd.DataFrame:
    """Progress rolled up per group (``by``: a column or columns, e.g. ``"axe"``) or for the
    whole CTG (``by=None``: one row).

    Columns: the ``by`` columns, ``n_indicateurs``, ``n_evalues``, one ``n_<statut>`` count
    per status (``n_en_bonne_voie``, ``n_a_surveiller``, ``n_en_retard``,
    ``n_non_renseigne``, ``n_non_evaluable``), ``part_atteinte`` (mean of the shares achieved
    capped to [0, 1]), ``part_attendue`` (mean share expected), ``ecart_points`` and
    ``statut`` (the module rule; when no indicator of the group is evaluated: « non
    renseigné » if one of them lacks its realised value, else « non évaluable »).
    """
    keys = [] if by is None else [by] if isinstance(by, str) else list(by)
    frame = progress_df.copy()
    evaluated = frame["statut"].isin([ON_TRACK, AT_RISK, LATE])
    frame["_capped"] = frame["part_atteinte"].clip(*CAP).where(evaluated)
    frame["_expected"] = frame["part_attendue"].where(evaluated)
    frame["_eval"] = evaluated.astype(int)
    counts = {}
    for s in STATUSES:
        col = "n_" + _fold(s).replace(" ", "_")
        frame[col] = (frame["statut"] == s).astype(int)
        counts[col] = "sum"
    aggs = {"_eval": "sum", "_capped": "mean", "_expected": "mean", **counts}
    if keys:
        grouped = frame.groupby(keys, sort=False, dropna=False)
        out = grouped.agg(aggs)
        out.insert(0, "n_indicateurs", grouped.size())
        out = out.reset_index()
    else:
        out = frame.agg(aggs).to_frame().T
        out.insert(0, "n_indicateurs", len(frame))
    out = out.rename(
        columns={"_eval": "n_evalues", "_capped": "part_atteinte", "_expected": "part_attendue"}
    )
    for col in ["n_indicateurs", "n_evalues", *counts]:
        out[col] = out[col].astype(int)
    out["part_atteinte"] = out["part_atteinte"].astype(float)
    out["part_attendue"] = out["part_attendue"].astype(float)
    out["ecart_points"] = 100 * (out["part_atteinte"] - out["part_attendue"]).round(9)
    out["statut"] = _group_status(out, tolerance)
    ordered = [*keys, "n_indicateurs", "n_evalues", *counts]
    return out[[*ordered, "part_atteinte", "part_attendue", "ecart_points", "statut"]]
