"""The EAJE bonuses per place and the PIAJE investment aid.

Owns one function per bonus (mixité sociale, inclusion handicap, territoire CTG, trajectoire,
attractivité), the French wording of the children counted for the bonus inclusion handicap
(:data:`ENFANTS_HANDICAP`), the tiers of the bonus territoire, the managers of the bonus
attractivité, and :func:`aide_investissement` (PIAJE). A bonus not yet in force at the date counts 0 € with a
French note, through one helper (`_not_yet`).

Layer « règles »: imports the socle (``errors``), :mod:`.base`, :mod:`.parameters` and
:mod:`.formula`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import quote
from .base import RulesError, _nfc, fmt_date
from .formula import Result, _array, _bad_positions, _bracket, _shape_like, _Trace
from .parameters import ParameterSet

GESTIONNAIRES = ("public", "prive")
# who counts as a child with a disability for the bonus inclusion handicap, for labels and help
ENFANTS_HANDICAP = (
    "bénéficiaires de l'AEEH et, depuis le 1er janvier 2020, enfants suivis par une PCO, un "
    "CAMSP, un SESSAD ou un SAFEP, ou avec une attestation hospitalière ou de PMI"
)
TRANCHES_TERRITOIRE = ("qpv_frr", "intermediaire", "autre")


def bonus_mixite_par_place(
    pf_moyenne: Any, date: Any = None, *, params: ParameterSet | None = None
) -> Result:
    """Bonus mixité sociale (€/place/year) from the average family participation per billed
    hour (participations ÷ billed hours). Tranches with their upper bound included, as in
    circ. CNAF 2018-002: ≤ 0.75 → 2 100; ]0.75, 1.00] → 800; ]1.00, 1.25] → 300; above → 0."""
    return _bracket_bonus(
        "bonus.mixite_sociale",
        "bonus mixité sociale",
        pf_moyenne,
        "Participation familiale moyenne par heure facturée",
        date,
        params,
    )


def bonus_handicap_par_place(
    part_enfants_aeeh: Any,
    cout_par_place: Any,
    date: Any = None,
    *,
    params: ParameterSet | None = None,
) -> Result:
    """Bonus inclusion handicap (€/place/year): band rate × cost per place (× share), capped.

    `part_enfants_aeeh` is the share of children with a disability among the children
    accueillis: those receiving AEEH and, since 1 January 2020, also those followed by a PCO,
    a CAMSP, a SESSAD or SAFEP, or with a hospital or PMI attestation (circ. CNAF 2020-011;
    ``bonus.inclusion_handicap_eligibilite``, given in `details["enfants_comptes"]`).
    Triggered from the first such child (share > 0). The formula is read from
    ``bonus.inclusion_handicap_assiette`` (still « à vérifier »).
    """
    t = _Trace(params, date)
    scalar = np.ndim(part_enfants_aeeh) == 0 and np.ndim(cout_par_place) == 0
    what = f"Part d'enfants en situation de handicap ({ENFANTS_HANDICAP})"
    share = _array(part_enfants_aeeh, what)
    cost = _array(cout_par_place, "Coût par place")
    if ((share < 0) | (share > 1)).any():
        raise RulesError(
            f"{what} : trouvé {_bad_positions((share < 0) | (share > 1), share)} ; "
            "attendu une part entre 0 et 1 (0.05 pour 5 %)."
        )
    rates = t.get("bonus.inclusion_handicap_taux")
    if rates is None or not (share > 0).any():
        zero = np.zeros(np.broadcast(share, cost).shape)
        return t.result(_shape_like(zero, part_enfants_aeeh, scalar))
    counted = t.get("bonus.inclusion_handicap_eligibilite")
    cap = float(t.at("bonus.inclusion_handicap_plafond").value)
    mode = str(t.at("bonus.inclusion_handicap_assiette").value)
    rate = _bracket(rates, share)
    if mode == "cout_par_place_x_part":
        raw = rate * cost * share
    elif mode == "cout_par_place":
        raw = rate * cost
    else:
        raise RulesError(
            f"Assiette du bonus inclusion handicap {quote(mode)} inconnue : attendu "
            "« cout_par_place_x_part » ou « cout_par_place »."
        )
    value = np.where(share > 0, np.minimum(raw, cap), 0.0)
    return t.result(
        _shape_like(value, part_enfants_aeeh, scalar),
        taux=rate,
        plafond=cap,
        enfants_comptes=str(counted.value) if counted is not None else "",
    )


def tranche_territoire(qpv: bool = False, frr: bool = False, tranche: str = "autre") -> str:
    """Tier of the bonus territoire: QPV or FRR (ex-ZRR) get the maximum, else `tranche`."""
    if qpv or frr:
        return "qpv_frr"
    if tranche not in TRANCHES_TERRITOIRE:
        raise RulesError(
            f"Tranche du bonus territoire {quote(tranche)} inconnue : attendu "
            f"{', '.join(TRANCHES_TERRITOIRE)}."
        )
    return tranche


def bonus_territoire_par_place(
    tranche: str, date: Any = None, *, params: ParameterSet | None = None
) -> Result:
    """Bonus territoire CTG for a new place (€/place/year) in tier `tranche`."""
    t = _Trace(params, date)
    tranche = tranche_territoire(tranche=tranche)
    return _table_bonus(
        t, "bonus.territoire_nouvelles_places", tranche, "bonus territoire", tranche=tranche
    )


def bonus_trajectoire_par_place(
    croissance: Any, date: Any = None, *, params: ParameterSet | None = None
) -> Result:
    """Bonus trajectoire (€/place/year) from the growth of co-financed places 2023-2027."""
    return _bracket_bonus(
        "bonus.trajectoire",
        "bonus trajectoire",
        croissance,
        "Croissance des places cofinancées",
        date,
        params,
    )


def _bracket_bonus(
    name: str, label: str, x: Any, what: str, date: Any, params: ParameterSet | None
) -> Result:
    """A bonus read from a bracket parameter at ``x`` (scalar or array); 0 € with a note
    while the bonus is not yet in force."""
    t = _Trace(params, date)
    scalar = np.ndim(x) == 0
    arr = _array(x, what)
    pv = t.get(name)
    if pv is None:
        return _not_yet(t, label, _shape_like(np.zeros_like(arr), x, scalar))
    return t.result(_shape_like(_bracket(pv, arr), x, scalar))


def _table_bonus(t: _Trace, name: str, key: str, label: str, **details: Any) -> Result:
    """A bonus read from the key ``key`` of the table parameter ``name`` (€/place/year); 0 €
    with a note while the bonus is not yet in force. `details` go with the amount in force."""
    if t.params.get(name, t.date) is None:
        return _not_yet(t, label)
    return t.result(float(t.at(f"{name}.{key}").value), **details)


def _not_yet(t: _Trace, label: str, zero: Any = 0.0, **details: Any) -> Result:
    """`zero` (0 € by default) with the note that `label` is not yet in force at the date."""
    return t.result(zero, **details, notes=[f"{label} pas encore en vigueur au {fmt_date(t.date)}"])


def bonus_attractivite_par_place(
    gestionnaire: str, date: Any = None, *, params: ParameterSet | None = None
) -> Result:
    """Bonus attractivité (€/place/year) for a public or private manager."""
    t = _Trace(params, date)
    key = _nfc(str(gestionnaire)).lower().replace("é", "e")
    if key not in GESTIONNAIRES:
        raise RulesError(
            f"Gestionnaire {quote(gestionnaire)} inconnu : attendu « public » ou « prive »."
        )
    return _table_bonus(t, "bonus.attractivite", key, "bonus attractivité")


def aide_investissement(
    places_nouvelles: float,
    date: Any = None,
    *,
    qpv_frr: bool = False,
    taux_couverture: float | None = None,
    depense_eligible: float | None = None,
    params: ParameterSet | None = None,
) -> Result:
    """PIAJE investment aid (one-off, €) for new places.

    Per place: base amount + QPV/FRR increase + low-coverage bonus (when `taux_couverture`,
    in places per 100 children under 3, is below the threshold), capped per place; the total
    is capped at the maximum share of the eligible expenditure when that rule is in force.
    `details`: par_place, plafond_depense.
    """
    t = _Trace(params, date)
    if places_nouvelles < 0:
        raise RulesError(
            f"Places nouvelles : trouvé {quote(places_nouvelles)} ; attendu un nombre positif."
        )
    if places_nouvelles == 0:
        return t.result(0.0, par_place=0.0, plafond_depense=None)
    if t.params.get("investissement.piaje_montant_base", t.date) is None:
        return _not_yet(t, "PIAJE", par_place=0.0, plafond_depense=None)
    notes = []
    per_place = float(t.at("investissement.piaje_montant_base").value)
    if qpv_frr:
        pv = t.get("investissement.piaje_majoration_qpv_frr")
        if pv is not None and pv.value is not None:
            per_place += float(pv.value)
        elif pv is not None:
            notes.append("majoration QPV/FRR non documentée à cette date : comptée 0 €")
    if taux_couverture is not None:
        seuil = t.params.get("investissement.piaje_seuil_couverture", t.date)
        if seuil is not None and taux_couverture < seuil.value:
            t.use(seuil)
            per_place += float(t.at("investissement.piaje_bonification_couverture").value)
    per_place = min(per_place, float(t.at("investissement.piaje_plafond_par_place").value))
    total = per_place * places_nouvelles
    cap = None
    share = t.params.get("investissement.piaje_taux_max_depense", t.date)
    if depense_eligible is not None and share is not None:
        t.use(share)
        cap = float(share.value) * depense_eligible
        total = min(total, cap)
    return t.result(total, par_place=per_place, plafond_depense=cap, notes=notes)
