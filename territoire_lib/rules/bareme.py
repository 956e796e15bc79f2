"""Barème national des participations familiales (EAJE under PSU).

Owns :func:`family_participation_hourly`: the hourly family participation, vectorised over
families, from the taux d'effort by number of children (collective or family care), resources
bounded by the plancher and the plafond in force (flagged « reconduite, à vérifier » past the
date up to which they are documented), one rank lower per child receiving AEEH.

Layer « règles »: imports the socle (``errors``), :mod:`.base`, :mod:`.parameters` and
:mod:`.formula`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import quote
from .base import RulesError, _nfc
from .formula import Result, _array, _bad_positions, _bracket, _shape_like, _Trace
from .parameters import ParameterSet

ACCUEILS = ("collectif", "familial")


def _accueil(accueil: str) -> str:
    key = _nfc(str(accueil)).lower().replace("-", "_")
    aliases = {"parental": "familial", "micro_creche": "collectif", "micro_crèche": "collectif"}
    key = aliases.get(key, key)
    if key not in ACCUEILS:
        raise RulesError(
            f"Type d'accueil {quote(accueil)} inconnu : attendu « collectif » (y compris "
            "micro-crèche PSU) ou « familial » (y compris parental)."
        )
    return key


def family_participation_hourly(
    resources_monthly: Any,
    children: Any = 1,
    accueil: str = "collectif",
    aeeh: Any = 0,
    date: Any = None,
    *,
    params: ParameterSet | None = None,
) -> Result:
    """Hourly family participation from the national barème (vectorised).

    `resources_monthly` (€/month: annual N-2 resources / 12), `children` (dependent children)
    and `aeeh` (number of children receiving AEEH, or a bool) may be scalars, arrays or
    Series of the same length. Resources are bounded by the plancher and plafond in force at
    `date`; each AEEH child moves the family to the next lower taux d'effort.

    `value` is a float for scalar inputs, a Series for a Series of resources, else an array.
    `details`: taux_effort, ressources_retenues, borne ('plancher', 'plafond' or ''),
    plancher, plafond, the status of each (…_statut) and, for a value carried forward past its
    documented date, « valeur 2025 reconduite, à vérifier » (…_reconduction, else "").
    """
    t = _Trace(params, date)
    kind = _accueil(accueil)
    scalar = all(np.ndim(x) == 0 for x in (resources_monthly, children, aeeh))
    r = _array(resources_monthly, "Ressources mensuelles")
    n = _array(children, "Nombre d'enfants à charge")
    k = _array(aeeh, "Enfants bénéficiaires de l'AEEH")
    try:
        r, n, k = np.broadcast_arrays(r, n, k)
    except ValueError:
        raise RulesError(
            "Ressources, enfants et AEEH : trouvé des listes de longueurs différentes ; "
            "attendu une valeur par famille (ou une seule valeur commune)."
        ) from None
    problems = []
    bad = ~np.isfinite(r) | (r < 0)
    if bad.any():
        problems.append(
            f"ressources mensuelles : trouvé {_bad_positions(bad, r)} ; attendu un montant "
            "positif ou nul en euros par mois"
        )
    bad = ~np.isfinite(n) | (n < 1) | (n != np.round(n))
    if bad.any():
        problems.append(
            f"enfants à charge : trouvé {_bad_positions(bad, n)} ; attendu un nombre entier "
            "d'enfants, au moins 1"
        )
    bad = ~np.isfinite(k) | (k < 0) | (k != np.round(k)) | (k > n)
    if bad.any():
        problems.append(
            f"enfants bénéficiaires de l'AEEH : trouvé {_bad_positions(bad, k)} ; attendu un "
            "nombre entier entre 0 et le nombre d'enfants à charge"
        )
    if problems:
        raise RulesError(
            "Calcul de la participation familiale impossible :\n- " + "\n- ".join(problems)
        )

    rank = n.copy()
    if (k > 0).any():
        step = t.at("bareme.rang_supplementaire_aeeh")
        rank = n + k * float(step.value)
    rates_pv = t.at(f"bareme.taux_effort_{kind}")
    rate = _bracket(rates_pv, rank)
    plancher = t.peek("bareme.plancher_ressources")
    plafond = t.peek("bareme.plafond_ressources")
    low = r < plancher.value
    high = r > plafond.value
    if low.any():
        t.use(plancher)
    if high.any():
        t.use(plafond)
    retained = np.clip(r, plancher.value, plafond.value)
    value = retained * rate
    borne = np.where(low, "plancher", np.where(high, "plafond", ""))
    return t.result(
        _shape_like(value, resources_monthly, scalar),
        taux_effort=_shape_like(rate, resources_monthly, scalar),
        ressources_retenues=_shape_like(retained, resources_monthly, scalar),
        borne=str(borne.item()) if scalar else borne,
        plancher=float(plancher.value),
        plafond=float(plafond.value),
        plancher_statut=plancher.statut,
        plafond_statut=plafond.statut,
        taux_statut=rates_pv.statut,
        plancher_reconduction=plancher.reconduction,
        plafond_reconduction=plafond.reconduction,
        taux_reconduction=rates_pv.reconduction,
        accueil=kind,
    )
