"""Read-only follow-up tables of a plan (pandas, French column names) for notebooks,
dashboards and the ``territoire suivi`` command: :func:`plan_status` (one row per fiche),
:func:`indicator_status` (one row per indicator), :func:`indicator_values` (one row per
realised value), :func:`audit_trail`.

Layer: base partagée (``plan``). Imports the socle, and within ``plan`` :mod:`.models`,
:mod:`.document` and :mod:`.reading`.
"""

from __future__ import annotations

import math

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from .document import join_list
from .models import AuditEntry, Ctg
from .reading import get_ctg

# -- tables -------------------------------------------------------------------------------------
PLAN_STATUS_COLUMNS = [
    "axe",
    "axe_intitule",
    "fiche",
    "intitule",
    "theme",
    "pilote",
    "statut",
    "statut_depuis",
    "debut",
    "fin",
    "communes",
    "budget_total",
    "depense_total",
    "indicateurs",
    "version",
    "modifiee_le",
    "modifiee_par",
]


def plan_status(session: Session, ctg: Ctg | str | int | None = None) -> pd.DataFrame:
    """One row per fiche, in plan order: axis, fiche, theme, pilot, status and since when,
    calendar, communes (« ; »-joined, empty: whole territory), budget planned and spent (all
    funders and years, euros; spent NaN when nothing entered), number of indicators, version
    and last save (UTC, by whom)."""
    ctg = get_ctg(session, ctg)
    rows = []
    for f in ctg.fiches:
        changes = f.status_changes
        rows.append(
            {
                "axe": f.axis.code,
                "axe_intitule": f.axis.title,
                "fiche": f.code,
                "intitule": f.title,
                "theme": f.theme,
                "pilote": f.pilot,
                "statut": f.status,
                "statut_depuis": changes[-1].date if changes else None,
                "debut": f.start_date,
                "fin": f.end_date,
                "communes": join_list([c.commune for c in f.communes]),
                "budget_total": float(sum(b.amount for b in f.budgets)),
                "depense_total": (
                    float(sum(b.spent for b in f.budgets if b.spent is not None))
                    if any(b.spent is not None for b in f.budgets)
                    else math.nan
                ),
                "indicateurs": len(f.indicators),
                "version": f.version,
                "modifiee_le": f.updated_at,
                "modifiee_par": f.updated_by,
            }
        )
    return pd.DataFrame(rows, columns=PLAN_STATUS_COLUMNS)


INDICATOR_STATUS_COLUMNS = [
    "axe",
    "fiche",
    "indicateur",
    "libelle",
    "origine",
    "catalogue",
    "unite",
    "valeur_reference",
    "annee_reference",
    "valeur_cible",
    "annee_cible",
    "derniere_valeur",
    "derniere_annee",
    "source",
    "nombre_valeurs",
]


def indicator_status(session: Session, ctg: Ctg | str | int | None = None) -> pd.DataFrame:
    """One row per follow-up indicator: baseline, target, last realised value (year, source),
    number of realised values; ``origine`` is ``catalogue`` or ``spécifique``."""
    ctg = get_ctg(session, ctg)
    rows = []
    for f in ctg.fiches:
        for i in f.indicators:
            last = i.values[-1] if i.values else None
            rows.append(
                {
                    "axe": f.axis.code,
                    "fiche": f.code,
                    "indicateur": i.code,
                    "libelle": i.label,
                    "origine": "catalogue" if i.catalogue_id else "spécifique",
                    "catalogue": i.catalogue_id or "",
                    "unite": i.unit,
                    "valeur_reference": _nan(i.baseline_value),
                    "annee_reference": i.baseline_year,
                    "valeur_cible": _nan(i.target_value),
                    "annee_cible": i.target_year,
                    "derniere_valeur": _nan(last.value if last else None),
                    "derniere_annee": last.year if last else None,
                    "source": last.source if last else "",
                    "nombre_valeurs": len(i.values),
                }
            )
    out = pd.DataFrame(rows, columns=INDICATOR_STATUS_COLUMNS)
    for col in ("annee_reference", "annee_cible", "derniere_annee"):
        out[col] = out[col].astype("Int64")
    return out


def _nan(v: float | None) -> float:
    return math.nan if v is None else float(v)


INDICATOR_VALUES_COLUMNS = [
    "axe",
    "fiche",
    "indicateur",
    "libelle",
    "catalogue",
    "unite",
    "annee",
    "valeur",
    "source",
    "saisi_par",
    "calcule",
    "valeur_reference",
    "annee_reference",
    "valeur_cible",
    "annee_cible",
]


def indicator_values(session: Session, ctg: Ctg | str | int | None = None) -> pd.DataFrame:
    """One row per realised value (indicator × year), with the indicator's baseline and
    target repeated on each row — the long table evaluation charts start from. Indicators
    without values have no row (see :func:`indicator_status`)."""
    ctg = get_ctg(session, ctg)
    rows = [
        {
            "axe": f.axis.code,
            "fiche": f.code,
            "indicateur": i.code,
            "libelle": i.label,
            "catalogue": i.catalogue_id or "",
            "unite": i.unit,
            "annee": v.year,
            "valeur": v.value,
            "source": v.source,
            "saisi_par": v.entered_by,
            "calcule": v.computed,
            "valeur_reference": _nan(i.baseline_value),
            "annee_reference": i.baseline_year,
            "valeur_cible": _nan(i.target_value),
            "annee_cible": i.target_year,
        }
        for f in ctg.fiches
        for i in f.indicators
        for v in i.values
    ]
    out = pd.DataFrame(rows, columns=INDICATOR_VALUES_COLUMNS)
    for col in ("annee_reference", "annee_cible"):
        out[col] = out[col].astype("Int64")
    return out


AUDIT_COLUMNS = ["quand", "qui", "table", "ligne", "action", "avant", "apres"]


def audit_trail(
    session: Session,
    ctg: Ctg | str | int | None = None,
    *,
    table: str | None = None,
    row_id: int | None = None,
    limit: int | None = None,
) -> pd.DataFrame:
    """The audit trail, newest first: when (UTC), who, table, row id, action (insert, update,
    delete), before / after (dicts). Filtered by CTG (``None``: every CTG), table, row."""
    q = select(AuditEntry).order_by(AuditEntry.id.desc())
    if ctg is not None:
        q = q.where(AuditEntry.ctg_id == get_ctg(session, ctg).id)
    if table is not None:
        q = q.where(AuditEntry.table_name == table)
    if row_id is not None:
        q = q.where(AuditEntry.row_id == row_id)
    if limit is not None:
        q = q.limit(limit)
    rows = [
        {
            "quand": e.at,
            "qui": e.user,
            "table": e.table_name,
            "ligne": e.row_id,
            "action": e.action,
            "avant": e.before,
            "apres": e.after,
        }
        for e in session.scalars(q)
    ]
    return pd.DataFrame(rows, columns=AUDIT_COLUMNS)
