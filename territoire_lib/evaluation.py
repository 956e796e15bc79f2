"""Evaluation of a CTG action plan: progress of each follow-up indicator toward its target,
rolled up per axis and for the whole CTG, and the budget planned against spent.

The rules (shown to readers by :func:`rule_text`):

- **Share achieved** ``(realised − baseline) / (target − baseline)``: 0 at the baseline, 1 (100 %)
  at the target, above 1 beyond it, negative when the indicator moved the wrong way. The same
  formula serves targets that go up (« hausse ») and down (« baisse »): both differences change
  sign together.
- **Target equal to the baseline** (an objective of maintenance): the share achieved is 1 when
  the realised value is at the target or on its favourable side (the ``direction``), otherwise
  1 minus the relative shortfall ``|realised − target| / |target|`` (0 at worst; 0 as soon as it
  falls short of a target of 0). The share expected is always 1.
- **Share expected** at the year of the realised value: linear in time from the baseline year
  (0) to the target year (1), capped to [0, 1].
- **Status** from the gap ``achieved − expected`` (in points of share): « en bonne voie » when
  the gap is at least −tolerance, « à surveiller » down to −2 × tolerance, « en retard » below.
  Default tolerance: 10 points. No realised value: « non renseigné ». Baseline, target or years
  missing, or a target on the unfavourable side of the baseline: « non évaluable ».
- **Roll-up** (per axis, whole CTG): every evaluated indicator weighs the same; the share
  achieved is capped to [0, 1] first (beyond the target counts as 100 %, the wrong way as 0 %:
  one indicator far ahead must not hide another one behind). The group's status is the same
  rule applied to the mean capped share achieved against the mean share expected, but a group
  holding an indicator « en retard » is at best « à surveiller ».
- **Budget**: planned and spent are summed (per fiche, axis, funder or year), then divided:
  the execution rate is a ratio of sums, never a mean of rates.

Everything is vectorised over pandas objects; nothing here reads a database (see
:mod:`territoire_lib.plan` for that, and the functions at the end of this module that tie
the two together).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import french
from .errors import TerritoireError

TOLERANCE = 0.10  # 10 points of share: the documented default of the status rule

ON_TRACK = "en bonne voie"
AT_RISK = "à surveiller"
LATE = "en retard"
NO_VALUE = "non renseigné"
NOT_EVALUABLE = "non évaluable"
STATUSES = (ON_TRACK, AT_RISK, LATE, NO_VALUE, NOT_EVALUABLE)
# a symbol with each status: it reads without colour (projector, print, colour blindness)
STATUS_SYMBOLS = {ON_TRACK: "✔", AT_RISK: "⚠", LATE: "✖", NO_VALUE: "?", NOT_EVALUABLE: "–"}
CAP = (0.0, 1.0)  # shares achieved are capped to this range before a roll-up

UP = "hausse"
DOWN = "baisse"
_DIRECTIONS = {
    "hausse": UP,
    "hausse_favorable": UP,
    "augmentation": UP,
    "croissant": UP,
    "increase": UP,
    "up": UP,
    "+": UP,
    "baisse": DOWN,
    "baisse_favorable": DOWN,
    "diminution": DOWN,
    "decroissant": DOWN,
    "decrease": DOWN,
    "down": DOWN,
    "-": DOWN,
}

# Columns of a progress frame (inputs), as produced by the plan service
INPUT_COLUMNS = {
    "baseline": "valeur_reference",
    "baseline_year": "annee_reference",
    "target": "cible",
    "target_year": "annee_cible",
    "realised": "valeur_realisee",
    "realised_year": "annee_realisee",
    "direction": "sens",
}
OUTPUT_COLUMNS = ["part_atteinte", "part_attendue", "ecart_points", "statut", "motif"]


# -- helpers ------------------------------------------------------------------------------------
def _fold(text: object) -> str:
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return t.strip().lower()


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


# -- budget -------------------------------------------------------------------------------------
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


# -- French text --------------------------------------------------------------------------------
def pct(share: float, decimals: int = 0) -> str:
    """A share as a French percentage: 0.456 → « 46 % » (narrow no-break space)."""
    return french.share_percent(share, decimals)


def rule_text(tolerance: float = TOLERANCE) -> str:
    """The progress rule in French, for the report and the dashboard."""
    tol = round(100 * tolerance)
    return (
        "Règle d'avancement. Pour chaque indicateur, la part de l'objectif atteinte est "
        "(valeur réalisée − valeur de référence) / (cible − valeur de référence) : 0 % à la "
        "valeur de référence, 100 % à la cible, plus de 100 % au-delà, une part négative si "
        "l'indicateur a évolué dans le mauvais sens. La part attendue croît en ligne droite "
        "de 0 % l'année de référence à 100 % l'année de la cible, lue à l'année de la valeur "
        "réalisée. Un indicateur est « en bonne voie » si sa part atteinte est au plus "
        f"{tol} points sous la part attendue, « à surveiller » jusqu'à {2 * tol} points "
        f"sous elle, « en retard » au-delà. Une cible égale à la valeur de référence est un "
        "objectif de maintien : elle est atteinte à 100 % si la valeur réalisée ne s'en "
        "écarte pas dans le sens défavorable, sinon la part est diminuée de l'écart relatif. "
        "Un axe ou la CTG entière est jugé sur la moyenne des parts atteintes de ses "
        "indicateurs (chacune ramenée entre 0 % et 100 %, pour qu'une avance n'en cache pas "
        "un retard) contre la moyenne des parts attendues, avec la même règle ; un axe qui "
        "compte un indicateur en retard est au mieux « à surveiller ». Le taux d'exécution "
        "du budget est la somme des dépenses divisée par la somme des montants prévus."
    )


def status_label(status: str) -> str:
    """« ✔ en bonne voie », « ⚠ à surveiller »…: readable without colour."""
    return f"{STATUS_SYMBOLS.get(status, '')} {status}".strip()


# == the evaluation of a stored plan =============================================================
# The functions below read a CTG plan (a :class:`~territoire_lib.plan.document.PlanDocument`,
# itself read from the plan database) and apply the rules above. Fiche-level rules:
#
# - a fiche « en retard » by its calendar: not « réalisée » nor « abandonnée » and its planned
#   end before the 31 December of the evaluation year; « à surveiller » when still « à
#   lancer » after its planned start;
# - otherwise (and at worst with the calendar), the roll-up of its indicators;
# - the indicators of an abandoned fiche are shown but left out of the axis and CTG roll-ups
#   (its target is no longer pursued);
# - a fiche's status is the one it had on the 31 December of the evaluation year (its status
#   history), so a past year is evaluated as it stood then; realised values likewise: the
#   latest value of a year up to the evaluation year.
#
# The direction of an indicator (« hausse » or « baisse » favourable) is not stored in the
# plan: it follows from the target (above or below the baseline); for a target equal to its
# baseline, it is the catalogue's favourable direction, else « hausse » (keep at least).

DONE = "réalisée"
DROPPED = "abandonnée"
NOT_STARTED = "à lancer"
_SEVERITY = {LATE: 4, AT_RISK: 3, ON_TRACK: 2, NO_VALUE: 1, NOT_EVALUABLE: 0}


def fmt_value(value, unit: str = "") -> str:
    """French number, no decimals for whole numbers, else up to two."""
    text = french.auto_number(value)
    return f"{text} {unit}" if unit and text != "n.d." else text


def euros(value) -> str:
    """« 183 000 € » (no-break spaces)."""
    return french.euros(value)


def fmt_date(d) -> str:
    """« 02/09/2024 »; "" when missing."""
    return "" if d is None or pd.isna(d) else f"{d:%d/%m/%Y}"


def _catalogue_directions(ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    from .indicators import load_catalogue

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


def _plural(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n < 2 else (plural or singular + 's')}"


def _clip(text: str, width: int) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


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


class Evaluation:
    """The evaluation of one CTG for one year: progress of every indicator, roll-ups per
    fiche, axis and for the whole CTG, actions late or at risk, budget, decisions to take.

    Tables (DataFrames, French column names): ``indicators`` (one row per indicator),
    ``values`` (one row per realised value), ``fiches``, ``axes``, ``whole`` (one row),
    ``budget`` (one row per fiche × funder × year), ``history``, ``copil``, ``answers``.
    Build it with :func:`evaluate_document`, :func:`evaluate` or :func:`evaluate_plan`.
    """

    def __init__(self, doc, annee: int, tolerance: float = TOLERANCE, fictional: bool = False):
        from datetime import date

        self.doc = doc
        self.ctg = doc.ctg
        self.annee = int(annee)
        self.tolerance = tolerance
        self.fictional = fictional
        self.date = date(self.annee, 12, 31)
        self.history = pd.DataFrame(
            [
                {
                    "fiche": h.fiche,
                    "date": h.date,
                    "ancien_statut": h.old_status or "",
                    "nouveau_statut": h.new_status,
                    "par": h.user,
                    "commentaire": h.comment,
                }
                for h in doc.history
            ],
            columns=["fiche", "date", "ancien_statut", "nouveau_statut", "par", "commentaire"],
        )
        self.status_at, self.status_since = self._statuses()
        self.indicators, self.values = _indicator_frame(doc, self.annee, tolerance, self.status_at)
        kept = self.indicators[~self.indicators["abandonnee"]]
        self.whole = rollup(kept, tolerance=tolerance)
        self.budget = pd.DataFrame(
            [
                {
                    "axe": f.axis,
                    "fiche": f.code,
                    "financeur": b.funder,
                    "annee": int(b.year),
                    "prevu": float(b.amount),
                    "depense": getattr(b, "spent", None),
                }
                for f in doc.fiches
                for b in f.budgets
            ],
            columns=BUDGET_COLUMNS,
        )
        self.budget["depense"] = pd.to_numeric(self.budget["depense"], errors="coerce")
        self.fiches = self._fiche_frame()
        self.axes = self._axis_frame(kept)
        self.copil = pd.DataFrame(
            [{"date": c.date, "decision": c.text, "auteur": c.author} for c in doc.copil],
            columns=["date", "decision", "auteur"],
        )
        self.answers = pd.DataFrame(
            [
                {
                    "axe": e.axis,
                    "question": e.question,
                    "annee": e.year,
                    "reponse": e.answer,
                    "auteur": e.author,
                    "date": e.date,
                }
                for e in doc.evaluations
            ],
            columns=["axe", "question", "annee", "reponse", "auteur", "date"],
        )

    # -- tables ---------------------------------------------------------------------------------
    def _statuses(self) -> tuple[dict[str, str], dict[str, object]]:
        """Status of each fiche on the evaluation date, and since when, from its history: a
        past year is evaluated with the statuses of that time. A fiche without history keeps
        its current status; one whose history starts later was « à lancer »."""
        h = self.history
        h = h[pd.to_datetime(h["date"]) <= pd.Timestamp(self.date)].sort_values(
            "date", kind="stable"
        )
        last = h.groupby("fiche").tail(1).set_index("fiche")
        with_history = set(self.history["fiche"])
        status, since = {}, {}
        for f in self.doc.fiches:
            if f.code in last.index:
                status[f.code] = last.loc[f.code, "nouveau_statut"]
                since[f.code] = last.loc[f.code, "date"]
            else:
                status[f.code] = NOT_STARTED if f.code in with_history else f.status
                since[f.code] = None
        return status, since

    def _fiche_frame(self) -> pd.DataFrame:
        doc = self.doc
        titles = {a.code: a.title for a in doc.axes}
        upto = self.budget[self.budget["annee"] <= self.annee].groupby("fiche")["prevu"].sum()
        total = self.budget.groupby("fiche")["prevu"].sum()
        fiches = pd.DataFrame(
            [
                {
                    "axe": f.axis,
                    "axe_intitule": titles.get(f.axis, ""),
                    "fiche": f.code,
                    "intitule": f.title,
                    "pilote": f.pilot,
                    "partenaires": " ; ".join(f.partners),
                    "statut": self.status_at[f.code],
                    "debut": f.start,
                    "fin": f.end,
                }
                for f in doc.fiches
            ],
            columns=["axe", "axe_intitule", "fiche", "intitule", "pilote", "partenaires",
                     "statut", "debut", "fin"],
        )  # fmt: skip
        fiches["statut_depuis"] = fiches["fiche"].map(self.status_since)
        fiches["budget_prevu"] = fiches["fiche"].map(total).fillna(0.0).astype(float)
        fiches["budget_prevu_a_date"] = fiches["fiche"].map(upto).fillna(0.0).astype(float)
        roll = rollup(self.indicators, "fiche", tolerance=self.tolerance).set_index("fiche")
        fiches["n_indicateurs"] = fiches["fiche"].map(roll["n_indicateurs"]).fillna(0).astype(int)
        fiches["part_atteinte"] = fiches["fiche"].map(roll["part_atteinte"]).astype(float)
        fiches["part_attendue"] = fiches["fiche"].map(roll["part_attendue"]).astype(float)
        fiches["statut_indicateurs"] = (
            fiches["fiche"].map(roll["statut"]).fillna(NOT_EVALUABLE).astype(object)
        )
        open_ = ~fiches["statut"].isin([DONE, DROPPED])
        end = pd.to_datetime(fiches["fin"], errors="coerce")
        start = pd.to_datetime(fiches["debut"], errors="coerce")
        limit = pd.Timestamp(self.date)
        overdue = open_ & end.notna() & (end < limit)
        unstarted = fiches["statut"].eq(NOT_STARTED) & start.notna() & (start <= limit)
        calendar = pd.Series(None, index=fiches.index, dtype=object)
        calendar[unstarted] = AT_RISK
        calendar[overdue] = LATE
        suivi = _worst(calendar, fiches["statut_indicateurs"])
        suivi[fiches["statut"].eq(DROPPED)] = DROPPED
        fiches["suivi"] = suivi.astype(object)
        late_inds = self.indicators[self.indicators["statut"] == LATE].groupby("fiche")["libelle"]
        risk_inds = self.indicators[self.indicators["statut"] == AT_RISK].groupby("fiche")[
            "libelle"
        ]
        late_names = late_inds.agg(lambda s: " ; ".join(s))
        risk_names = risk_inds.agg(lambda s: " ; ".join(s))
        reasons = []
        for r in fiches.itertuples():
            parts = []
            if overdue[r.Index]:
                parts.append(f"échéance du {fmt_date(r.fin)} dépassée (action « {r.statut} »)")
            if unstarted[r.Index]:
                parts.append(f"début prévu le {fmt_date(r.debut)}, action pas encore lancée")
            if r.fiche in late_names.index and r.statut != DROPPED:
                parts.append(f"indicateur(s) en retard : {late_names[r.fiche]}")
            if r.fiche in risk_names.index and r.statut != DROPPED:
                parts.append(f"indicateur(s) à surveiller : {risk_names[r.fiche]}")
            reasons.append(" ; ".join(parts))
        fiches["motif"] = reasons
        return fiches

    def _axis_frame(self, kept: pd.DataFrame) -> pd.DataFrame:
        axes = pd.DataFrame(
            [{"axe": a.code, "intitule": a.title} for a in self.doc.axes],
            columns=["axe", "intitule"],
        )
        roll = rollup(kept, "axe", tolerance=self.tolerance)
        out = axes.merge(roll, on="axe", how="left")
        counts = [c for c in roll.columns if c.startswith("n_")]
        out[counts] = out[counts].fillna(0).astype(int)
        out["statut"] = out["statut"].fillna(NOT_EVALUABLE)
        f = self.fiches
        out["n_fiches"] = out["axe"].map(f.groupby("axe").size()).fillna(0).astype(int)
        for key, status in (("n_fiches_en_retard", LATE), ("n_fiches_a_surveiller", AT_RISK)):
            n = f[f["suivi"] == status].groupby("axe").size()
            out[key] = out["axe"].map(n).fillna(0).astype(int)
        for status in ("à lancer", "en cours", DONE, DROPPED):
            n = f[f["statut"] == status].groupby("axe").size()
            out["fiches_" + _fold(status).replace(" ", "_")] = (
                out["axe"].map(n).fillna(0).astype(int)
            )
        out["budget_prevu"] = out["axe"].map(f.groupby("axe")["budget_prevu"].sum()).fillna(0.0)
        return out

    def budget_summary(self, by: str | Sequence[str] | None = "axe", upto: bool = True):
        """Planned against spent (:func:`budget_summary`) per ``by``; ``upto``: the budget
        years up to the evaluation year only (what should be spent by now)."""
        frame = self.budget[self.budget["annee"] <= self.annee] if upto else self.budget
        return budget_summary(frame, by)

    @property
    def spending_known(self) -> bool:
        return bool(self.budget["depense"].notna().any())

    # -- labels ---------------------------------------------------------------------------------
    @property
    def source(self) -> str:
        tail = " ; données fictives de démonstration" if self.fictional else ""
        return f"plan d'actions de la CTG « {self.ctg.code} », valeurs saisies et calculées{tail}"

    def axis_label(self, code: str, width: int = 60) -> str:
        title = next((a.title for a in self.doc.axes if a.code == code), "")
        return _clip(f"Axe {code} — {title}", width)

    def _select(self, frame: pd.DataFrame, axe=None, fiche=None) -> pd.DataFrame:
        if axe is not None:
            frame = frame[frame["axe"] == str(axe)]
        if fiche is not None:
            frame = frame[frame["fiche"] == str(fiche)]
        return frame

    # -- French text ----------------------------------------------------------------------------
    def counts_text(self, frame: pd.DataFrame) -> str:
        """« 6 en bonne voie, 2 à surveiller, 3 en retard, 1 sans valeur, 2 non évaluables »."""
        n = frame["statut"].value_counts()
        parts = []
        for status, word in (
            (ON_TRACK, "en bonne voie"),
            (AT_RISK, "à surveiller"),
            (LATE, "en retard"),
            (NO_VALUE, "sans valeur réalisée"),
            (NOT_EVALUABLE, "non évaluable"),
        ):
            k = int(n.get(status, 0))
            if k:
                parts.append(f"{k} {word}{'s' if k > 1 and word == 'non évaluable' else ''}")
        return ", ".join(parts) or "aucun"

    def resume(self) -> str:
        """The situation in a few French sentences."""
        ctg = self.ctg
        where = f"{ctg.territory_name} ({ctg.territory_code})" if ctg.territory_name else ""
        w = self.whole.iloc[0]
        kept = self.indicators[~self.indicators["abandonnee"]]
        lines = [
            f"Évaluation {self.annee} de la CTG « {ctg.name} » ({ctg.code})"
            + (f", {where}" if where else "")
            + f", période {ctg.start_year}-{ctg.end_year}"
            + (" — données fictives de démonstration." if self.fictional else "."),
            f"Situation au {fmt_date(self.date)} : {_plural(len(kept), 'indicateur')} de suivi des "
            f"actions poursuivies : {self.counts_text(kept)}.",
        ]
        if w["n_evalues"]:
            lines.append(
                f"En moyenne, {pct(w['part_atteinte'])} de l'objectif est atteint pour "
                f"{pct(w['part_attendue'])} attendus à cette date "
                f"({_signed(w['ecart_points'])}) : la CTG est « {w['statut']} »."
            )
        f = self.fiches
        n = f["statut"].value_counts()
        states = ", ".join(
            f"{int(n[s])} {s}{'s' if n[s] > 1 and s != 'à lancer' and s != 'en cours' else ''}"
            for s in ("réalisée", "en cours", "à lancer", "abandonnée")
            if s in n
        )
        late = int((f["suivi"] == LATE).sum())
        risk = int((f["suivi"] == AT_RISK).sum())
        lines.append(
            f"{len(f)} {'fiches actions' if len(f) > 1 else 'fiche action'} : {states} ; "
            f"{_plural(late, 'action')} en retard et {risk} à surveiller."
        )
        return "\n".join(lines)

    def axes_text(self) -> str:
        """One sentence per axis."""
        lines = []
        for r in self.axes.itertuples():
            head = f"{self.axis_label(r.axe, 200)} : {status_label(r.statut)}"
            if r.n_evalues:
                head += (
                    f" ; {pct(r.part_atteinte)} de l'objectif atteint pour "
                    f"{pct(r.part_attendue)} attendus ({r.n_evalues} indicateur"
                    f"{'s' if r.n_evalues > 1 else ''} évalué{'s' if r.n_evalues > 1 else ''}"
                    f" sur {r.n_indicateurs})"
                )
            head += (
                f" ; {_plural(r.n_fiches, 'fiche')}, dont {r.n_fiches_en_retard} en retard et "
                f"{r.n_fiches_a_surveiller} à surveiller ; budget prévu "
                f"{euros(r.budget_prevu)}."
            )
            lines.append(head)
        return "\n".join(lines)

    def late_actions(self) -> pd.DataFrame:
        """The fiches late or at risk, late first, with the reasons."""
        f = self.fiches[self.fiches["suivi"].isin([LATE, AT_RISK])].copy()
        f["_o"] = f["suivi"].map({LATE: 0, AT_RISK: 1})
        return f.sort_values(["_o", "axe", "fiche"], kind="stable").drop(columns="_o")

    def late_text(self) -> str:
        late = self.late_actions()
        if late.empty:
            return f"Aucune action en retard ni à surveiller au {fmt_date(self.date)}."
        lines = [
            f"{status_label(r.suivi)} — fiche {r.fiche} « {r.intitule} » (pilote : "
            f"{r.pilote or 'non désigné'}) : {r.motif}."
            for r in late.itertuples()
        ]
        return "\n".join(lines)

    def decisions(self) -> list[str]:
        """The decisions the comité de pilotage has to take, as French sentences drawn from
        the data (late actions, indicators behind, missing values or targets, budget)."""
        out: list[str] = []
        f = self.fiches
        limit = pd.Timestamp(self.date)
        for r in f.itertuples():
            if r.statut in (DONE, DROPPED):
                continue
            end = pd.to_datetime(r.fin, errors="coerce")
            start = pd.to_datetime(r.debut, errors="coerce")
            if pd.notna(end) and end < limit:
                out.append(
                    f"Fiche {r.fiche} « {r.intitule} » : échéance du {fmt_date(r.fin)} dépassée — "
                    "décider de la prolonger (nouvelle date de fin), de la déclarer réalisée "
                    "ou de l'abandonner."
                )
            elif r.statut == NOT_STARTED and pd.notna(start) and start <= limit:
                out.append(
                    f"Fiche {r.fiche} « {r.intitule} » : début prévu le {fmt_date(r.debut)}, "
                    "action pas encore lancée — confirmer son pilote et son calendrier, ou la "
                    "reporter."
                )
        ind = self.indicators[~self.indicators["abandonnee"]]
        for r in ind[ind["statut"] == LATE].itertuples():
            where = (
                f"en {int(r.annee_realisee)}, il a reculé par rapport à sa valeur de référence "
                f"alors que {pct(r.part_attendue)} du chemin vers la cible était attendu"
                if r.part_atteinte < 0
                else f"{pct(r.part_atteinte)} de l'objectif atteint en {int(r.annee_realisee)} "
                f"pour {pct(r.part_attendue)} attendus"
            )
            out.append(
                f"Indicateur « {r.libelle} » (fiche {r.fiche}) : {where} ({r.texte}) — "
                "renforcer les moyens de l'action ou réviser la cible."
            )
        risk = ind[ind["statut"] == AT_RISK]
        if len(risk):
            names = " ; ".join(f"« {x} » (fiche {y})" for x, y in zip(risk["libelle"],
                               risk["fiche"], strict=True))  # fmt: skip
            out.append(
                f"Indicateurs à surveiller : {names} — faire le point avec les pilotes au "
                "prochain comité technique."
            )
        stale = ind[
            (ind["catalogue"] == "")
            & ind["statut"].isin([ON_TRACK, AT_RISK, LATE, NO_VALUE])
            & (ind["annee_realisee"].isna() | (ind["annee_realisee"] < self.annee))
        ]
        if len(stale):
            names = " ; ".join(f"« {x} » (fiche {y})" for x, y in zip(stale["libelle"],
                               stale["fiche"], strict=True))  # fmt: skip
            out.append(f"Faire saisir la valeur {self.annee} des indicateurs : {names}.")
        undefined = ind[ind["statut"] == NOT_EVALUABLE]
        if len(undefined):
            names = " ; ".join(
                f"« {x} » (fiche {y} ; {m})"
                for x, y, m in zip(
                    undefined["libelle"], undefined["fiche"], undefined["motif"], strict=True
                )
            )
            out.append(f"Compléter la définition des indicateurs : {names}.")
        dropped = self.budget.merge(
            f.loc[f["statut"] == DROPPED, ["fiche", "statut_depuis"]], on="fiche"
        )
        if len(dropped):
            years = pd.to_datetime(dropped["statut_depuis"], errors="coerce").dt.year
            after = dropped[dropped["annee"] > years]
            for fiche, amount in after.groupby("fiche", sort=False)["prevu"].sum().items():
                out.append(
                    f"Fiche {fiche} abandonnée : {euros(amount)} prévus après son abandon sont "
                    "à réaffecter ou à annuler."
                )
        if self.spending_known:
            b = self.budget_summary("fiche")
            low = b[(b["prevu"] > 0) & (b["taux_execution"] < 0.5)]
            for r in low.itertuples():
                out.append(
                    f"Fiche {r.fiche} : {pct(r.taux_execution)} du budget prévu jusqu'en "
                    f"{self.annee} est dépensé — vérifier l'avancement avec les financeurs."
                )
        answered = self.answers[self.answers["annee"] == self.annee]
        if len(answered):
            from .plan.document import QUESTIONS

            for a in self.doc.axes:
                got = set(answered.loc[answered["axe"] == a.code, "question"])
                missing = [q for q in QUESTIONS if q not in got]
                if missing:
                    out.append(
                        f"Axe {a.code} : compléter l'évaluation {self.annee} (questions sans "
                        f"réponse : {', '.join(missing)})."
                    )
        return out

    def decisions_text(self) -> str:
        items = self.decisions()
        if not items:
            return "Aucune décision particulière : le plan se déroule comme prévu."
        return "\n".join(f"{i}. {d}" for i, d in enumerate(items, 1))

    def budget_text(self) -> str:
        total = float(self.budget["prevu"].sum())
        b = self.budget_summary(None).iloc[0]
        lines = [
            f"Budget prévu sur la durée de la CTG : {euros(total)}, dont "
            f"{euros(b['prevu'])} pour les années jusqu'à {self.annee} "
            f"({pct(b['prevu'] / total) if total else 'n.d.'})."
        ]
        funders = self.budget_summary("financeur")
        funders = funders.sort_values("prevu", ascending=False, kind="stable")
        lines.append(
            f"Par financeur, jusqu'en {self.annee} : "
            + " ; ".join(f"{r.financeur} {euros(r.prevu)}" for r in funders.itertuples())
            + "."
        )
        if self.spending_known:
            lines.append(
                f"Dépensé : {euros(b['depense'])}, soit {pct(b['taux_execution'])} du budget "
                f"prévu jusqu'en {self.annee}."
            )
        else:
            lines.append(
                "Les dépenses réalisées ne sont pas enregistrées dans la base du plan : le taux "
                "d'exécution ne peut pas encore être calculé (à demander aux financeurs)."
            )
        return "\n".join(lines)

    def answers_text(self) -> str:
        from .plan.document import QUESTION_LABELS

        answered = self.answers[self.answers["annee"] == self.annee]
        if answered.empty:
            return f"Aucune réponse aux questions d'évaluation pour {self.annee}."
        lines = []
        for a in self.doc.axes:
            part = answered[answered["axe"] == a.code]
            lines.append(self.axis_label(a.code, 200))
            if part.empty:
                lines.append("  (aucune réponse)")
            for r in part.itertuples():
                lines.append(f"  {QUESTION_LABELS.get(r.question, r.question)} : {r.reponse}")
        return "\n".join(lines)

    def text(self) -> str:
        """The whole report as plain French text."""
        return "\n\n".join(
            [
                self.resume(),
                "Axes\n" + self.axes_text(),
                "Actions en retard ou à surveiller\n" + self.late_text(),
                "Budget\n" + self.budget_text(),
                "Décisions à prendre\n" + self.decisions_text(),
            ]
        )

    # -- display tables (French headers, formatted) --------------------------------------------
    def axes_table(self) -> pd.DataFrame:
        a = self.axes
        return pd.DataFrame(
            {
                "Axe": a["axe"].map(lambda c: self.axis_label(c, 70)),
                "Statut": a["statut"].map(status_label),
                "Part atteinte": a["part_atteinte"].map(pct),
                "Part attendue": a["part_attendue"].map(pct),
                "Indicateurs évalués": [
                    f"{e} sur {n}" for e, n in zip(a["n_evalues"], a["n_indicateurs"], strict=True)
                ],
                "Fiches en retard": a["n_fiches_en_retard"],
                "Fiches à surveiller": a["n_fiches_a_surveiller"],
                "Budget prévu": a["budget_prevu"].map(euros),
            }
        )

    def indicator_table(self, axe=None, fiche=None) -> pd.DataFrame:
        i = self._select(self.indicators, axe, fiche)

        def with_year(v, y):
            return fmt_value(v) + ("" if pd.isna(y) else f" ({int(y)})") if pd.notna(v) else "—"

        return pd.DataFrame(
            {
                "Fiche": i["fiche"],
                "Indicateur": i["libelle"],
                "Unité": i["unite"],
                "Référence": [
                    with_year(v, y)
                    for v, y in zip(i["valeur_reference"], i["annee_reference"], strict=True)
                ],
                "Réalisé": [
                    with_year(v, y)
                    for v, y in zip(i["valeur_realisee"], i["annee_realisee"], strict=True)
                ],
                "Cible": [
                    with_year(v, y) for v, y in zip(i["cible"], i["annee_cible"], strict=True)
                ],
                "Part atteinte": i["part_atteinte"].map(pct),
                "Part attendue": i["part_attendue"].map(pct),
                "Statut": i["statut"].map(status_label)
                + i["motif"].map(lambda m: f" ({m})" if m else "")
                + i["abandonnee"].map(lambda d: " — fiche abandonnée" if d else ""),
            }
        ).reset_index(drop=True)

    def fiche_table(self, axe=None) -> pd.DataFrame:
        f = self._select(self.fiches, axe)
        return pd.DataFrame(
            {
                "Fiche": f["fiche"],
                "Intitulé": f["intitule"],
                "Pilote": f["pilote"],
                "Statut de l'action": f["statut"],
                "Échéance": f["fin"].map(fmt_date),
                "Suivi": f["suivi"].map(status_label),
                "Motif": f["motif"],
                "Budget prévu": f["budget_prevu"].map(euros),
            }
        ).reset_index(drop=True)

    def late_table(self) -> pd.DataFrame:
        f = self.late_actions()
        return pd.DataFrame(
            {
                "Fiche": f["fiche"],
                "Intitulé": f["intitule"],
                "Pilote": f["pilote"],
                "Suivi": f["suivi"].map(status_label),
                "Motif": f["motif"],
            }
        ).reset_index(drop=True)

    def budget_table(self, by: str = "financeur") -> pd.DataFrame:
        labels = {"axe": "Axe", "fiche": "Fiche", "financeur": "Financeur", "annee": "Année"}
        b = self.budget_summary(by)
        total = self.budget.groupby(by)["prevu"].sum()
        out = pd.DataFrame(
            {
                labels.get(by, by): b[by],
                "Prévu sur la CTG": b[by].map(total).map(euros),
                f"Prévu jusqu'en {self.annee}": b["prevu"].map(euros),
                "Dépensé": b["depense"].map(lambda v: euros(v) if pd.notna(v) else "non saisi"),
                "Taux d'exécution": b["taux_execution"].map(pct),
            }
        )
        return out.reset_index(drop=True)

    def history_table(self, fiche) -> pd.DataFrame:
        h = self.history[self.history["fiche"] == str(fiche)].sort_values("date", kind="stable")
        return pd.DataFrame(
            {
                "Date": h["date"].map(fmt_date),
                "Statut": [
                    f"{a} → {b}" if a else b
                    for a, b in zip(h["ancien_statut"], h["nouveau_statut"], strict=True)
                ],
                "Par": h["par"],
                "Commentaire": h["commentaire"],
            }
        ).reset_index(drop=True)

    def copil_table(self) -> pd.DataFrame:
        c = self.copil
        return pd.DataFrame(
            {"Date": c["date"].map(fmt_date), "Décision": c["decision"], "Auteur": c["auteur"]}
        )

    # -- charts ---------------------------------------------------------------------------------
    def axes_chart(self):
        """Bullet chart of the axes (mean shares, :func:`rollup`)."""
        from .evaluation_charts import bullet_chart

        a = self.axes
        data = pd.DataFrame(
            {
                "libelle": a["axe"].map(lambda c: self.axis_label(c, 48)),
                "part_atteinte": a["part_atteinte"],
                "part_attendue": a["part_attendue"],
                "statut": a["statut"],
                "texte": [
                    f"{pct(x)} atteint, {pct(y)} attendu" if pd.notna(x) else ""
                    for x, y in zip(a["part_atteinte"], a["part_attendue"], strict=True)
                ],
            }
        )
        return bullet_chart(
            data,
            f"Avancement des axes de la CTG en {self.annee}",
            self.source,
            tolerance=self.tolerance,
        )

    def indicators_chart(self, axe=None, fiche=None):
        """Bullet chart of the indicators (of an axis, a fiche, or all)."""
        from .evaluation_charts import bullet_chart

        i = self._select(self.indicators, axe, fiche)
        data = pd.DataFrame(
            {
                "libelle": [
                    _clip(f"{f} · {x}", 56) for f, x in zip(i["fiche"], i["libelle"], strict=True)
                ],
                "part_atteinte": i["part_atteinte"],
                "part_attendue": i["part_attendue"],
                "statut": i["statut"],
                "texte": i["texte"]
                + i["abandonnee"].map(lambda d: " (fiche abandonnée)" if d else ""),
            }
        )
        where = f" — axe {axe}" if axe is not None else ""
        where = f" — fiche {fiche}" if fiche is not None else where
        return bullet_chart(
            data,
            f"Avancement des indicateurs en {self.annee}{where}",
            self.source,
            tolerance=self.tolerance,
        )

    def trajectory_data(self, axe=None, fiche=None) -> pd.DataFrame:
        from .evaluation_charts import trajectory_frame

        i = self._select(self.indicators, axe, fiche)
        i = i[
            i[["valeur_reference", "annee_reference", "cible", "annee_cible"]].notna().all(axis=1)
        ]
        i = i.assign(
            indicateur=i["fiche"] + "/" + i["indicateur"],
            label=[
                _clip(f"{f} · {x}", 48) + (f" ({u})" if u else "")
                for f, x, u in zip(i["fiche"], i["libelle"], i["unite"], strict=True)
            ],
        )
        v = self.values[self.values["annee"] <= self.annee]
        v = v.assign(indicateur=v["fiche"] + "/" + v["indicateur"])
        return trajectory_frame(v, i, label="label")

    def trajectories_chart(self, axe=None, fiche=None, columns: int = 2):
        """Realised values against the expected path, one panel per indicator."""
        from .evaluation_charts import trajectory_chart

        where = f" — axe {axe}" if axe is not None else ""
        where = f" — fiche {fiche}" if fiche is not None else where
        return trajectory_chart(
            self.trajectory_data(axe, fiche),
            f"Trajectoires des indicateurs jusqu'en {self.annee}{where}",
            self.source,
            columns=columns,
        )

    def budget_chart(self, by: str = "axe"):
        """Planned (up to the evaluation year) against spent, per ``by``."""
        from .evaluation_charts import budget_chart

        b = self.budget_summary(by)
        if by == "axe":
            b["libelle"] = b["axe"].map(lambda c: self.axis_label(c, 44))
        else:
            b["libelle"] = b[by].astype(str)
        return budget_chart(
            b,
            f"Budget prévu jusqu'en {self.annee} et dépensé",
            self.source,
        )


def _signed(points) -> str:
    from .key_figures import fr_number
    from .key_figures import points as word

    if points is None or pd.isna(points):
        return "n.d."
    sign = "+" if points > 0 else "−" if points < 0 else ""
    return f"{sign}{fr_number(abs(float(points)), 0)} {word(float(points))}"


def evaluate_document(
    doc, annee: int | None = None, *, tolerance: float = TOLERANCE, fictional: bool | None = None
) -> Evaluation:
    """The evaluation of a plan (:class:`~territoire_lib.plan.document.PlanDocument`) for
    ``annee`` (None: :func:`default_year`). ``fictional`` (None: the demo CTG is fictional)
    marks every title and source."""
    from .plan.demo_ctg import DEMO_CTG_CODE

    year = default_year(doc) if annee is None else check_year(annee)
    if fictional is None:
        fictional = doc.ctg.code == DEMO_CTG_CODE
    return Evaluation(doc, year, tolerance, fictional)


def check_year(annee) -> int:
    try:
        year = int(annee)
    except (TypeError, ValueError):
        raise TerritoireError(
            f"Année d'évaluation invalide : « {annee} ». Attendu une année, par exemple 2024."
        ) from None
    if not 1990 <= year <= 2100:
        raise TerritoireError(
            f"Année d'évaluation invalide : {year}. Attendu une année entre 1990 et 2100."
        )
    return year


def default_year(doc) -> int:
    """The latest year with a realised value, within the CTG's period (its first year when
    nothing has been entered)."""
    years = [v.year for i in doc.indicators for v in i.values]
    latest = max(years) if years else doc.ctg.start_year
    return int(min(max(latest, doc.ctg.start_year), doc.ctg.end_year))


def evaluate(session, ctg=None, annee: int | None = None, *, tolerance: float = TOLERANCE):
    """The evaluation of a CTG read in an open plan session (code, id or None for the only
    CTG of the database)."""
    from .plan import service

    return evaluate_document(service.plan_document(session, ctg), annee, tolerance=tolerance)


def ensure_demo_database(base=None, user: str = "import de la démonstration"):
    """The engine of the plan database ``base`` (URL or SQLite path; None: ``TERRITOIRE_DB``
    or the default file), migrated, holding the demo CTG — imported from its workbook
    (``data/ctg/ctg_demo_valmont.xlsx``) through the plan API when it is missing."""
    from sqlalchemy import select

    from .plan import db
    from .plan.demo_ctg import DEMO_CTG_CODE, DEMO_CTG_PATH
    from .plan.models import Ctg

    engine = db.open_database(base)

    def present() -> bool:
        with db.session_scope(engine=engine, user=user) as s:
            return s.scalar(select(Ctg.id).where(Ctg.code == DEMO_CTG_CODE)) is not None

    if present():
        return engine
    from .plan import service

    try:
        if DEMO_CTG_PATH.exists():
            from .plan.excel import import_plan

            import_plan(DEMO_CTG_PATH, user, engine=engine)
        else:
            from .plan.demo_ctg import build_demo_document

            with db.session_scope(engine=engine, user=user) as s:
                service.import_document(s, build_demo_document(), user)
    except Exception:
        if not present():  # another process imported it meanwhile: fine
            raise
    return engine


def open_plan(base=None, ctg=None):
    """The engine of the plan database ``base``; the demo CTG is imported first when it is
    the one asked for (``ctg`` = its code) or when ``base`` is ``"demo"`` (a private
    temporary SQLite file holding only the demo)."""
    from .plan import db
    from .plan.demo_ctg import DEMO_CTG_CODE

    if base == "demo":
        import tempfile
        from pathlib import Path

        folder = Path(tempfile.mkdtemp(prefix="territoire-ctg-"))
        return ensure_demo_database(folder / "demo.sqlite")
    if ctg == DEMO_CTG_CODE:
        return ensure_demo_database(base)
    return db.open_database(base)


def evaluate_plan(
    ctg=None, annee: int | None = None, base=None, *, tolerance: float = TOLERANCE
) -> Evaluation:
    """The evaluation of a CTG stored in the plan database ``base`` (see :func:`open_plan`):
    the single call of ``notebooks/03_suivi_evaluation.ipynb``."""
    from .plan import db

    engine = open_plan(base, ctg)
    with db.session_scope(engine=engine) as s:
        return evaluate(s, ctg, annee, tolerance=tolerance)
