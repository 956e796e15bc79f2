"""ALSH (accueil de loisirs sans hébergement): the annual funding of one facility.

Owns :class:`AlshInput`, :class:`AlshFunding` and :func:`simulate_alsh`: PS ALSH within the
hourly ceiling, Plan mercredi bonus, bonus territoire of the CTG convention, remaining charge.

Layer « règles »: imports :mod:`.base`, :mod:`.parameters`, :mod:`.loading`, :mod:`.formula`
and :mod:`.simulation` (no module outside ``rules``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .base import _is_number, fmt_date
from .formula import _Trace
from .loading import load_parameters
from .parameters import ParameterSet
from .simulation import _Checks, _dated, _Funding, _merge_flags, _traced


@dataclass
class AlshInput:
    """One accueil de loisirs (ALSH). Hours are child-hours actually performed (actes)."""

    heures_realisees: float
    cout_horaire: float | None = None
    cout_total: float | None = None
    participations_familiales: float = 0.0  # annual family payments
    heures_mercredi_nouvelles: float = 0.0  # new Wednesday hours (Plan mercredi)
    plan_mercredi: bool = False  # labelled Plan mercredi (charte qualité)
    ctg: bool = False
    bonus_territoire: float = 0.0  # annual amount of the CTG convention (territory-specific)
    cofinancements: float = 0.0
    part_regime_general: float = 1.0
    places: float | None = None
    nom: str = "ALSH"


@dataclass
class AlshFunding(_Funding):
    nom: str
    periode: str
    places: float
    heures_realisees: float
    cout_total: float
    cout_horaire: float
    participations_familiales: float
    ps_alsh: float
    bonification_plan_mercredi: float
    bonus_territoire: float
    cofinancements: float
    reste_a_charge: float

    def tableau(self) -> pd.DataFrame:
        lines = [
            ("familles", "Participations familiales", self.participations_familiales),
            ("ps_alsh", "Prestation de service ALSH", self.ps_alsh),
            ("plan_mercredi", "Bonification Plan mercredi", self.bonification_plan_mercredi),
            ("bonus_territoire", "Bonus territoire CTG", self.bonus_territoire),
        ]
        return self._tabulate(lines, self.places or None, self.heures_realisees)


def _simulate_alsh_at(inp: AlshInput, when: dt.date, params: ParameterSet) -> AlshFunding:
    t = _Trace(params, when)
    flags: dict[str, list[str]] = {}
    cost = inp.cout_total if inp.cout_total is not None else inp.cout_horaire * inp.heures_realisees
    cost_h = cost / inp.heures_realisees
    rate = t.at("alsh.taux_ps")
    cap = t.at("alsh.montant_horaire_plafond")
    per_hour = min(float(rate.value) * cost_h, float(cap.value))
    ps = per_hour * inp.heures_realisees * inp.part_regime_general
    _merge_flags(flags, "ps_alsh", [n for n in (rate.name, cap.name) if n in t.flagged])
    bonif = 0.0
    notes = []
    if inp.plan_mercredi and inp.heures_mercredi_nouvelles > 0:
        pv = t.get("alsh.plan_mercredi_bonification")
        if pv is None:
            notes.append(f"Plan mercredi pas encore en vigueur au {fmt_date(when)}")
        else:
            bonif = float(pv.value) * inp.heures_mercredi_nouvelles
            _merge_flags(flags, "plan_mercredi", [pv.name] if pv.a_verifier else [])
    territory = inp.bonus_territoire if inp.ctg else 0.0
    if inp.ctg and inp.bonus_territoire == 0:
        notes.append("bonus territoire ALSH : montant propre à la convention CTG, non saisi")
    rest = cost - inp.participations_familiales - ps - bonif - territory - inp.cofinancements
    _merge_flags(flags, "reste", t.flagged)
    return AlshFunding(
        nom=inp.nom,
        places=float(inp.places or 0.0),
        heures_realisees=float(inp.heures_realisees),
        cout_total=float(cost),
        cout_horaire=cost_h,
        participations_familiales=float(inp.participations_familiales),
        ps_alsh=ps,
        bonification_plan_mercredi=bonif,
        bonus_territoire=float(territory),
        cofinancements=float(inp.cofinancements),
        reste_a_charge=rest,
        **_traced(t, flags, notes),
    )


def simulate_alsh(
    inp: AlshInput, date: Any = None, *, params: ParameterSet | None = None
) -> AlshFunding:
    """Funding of one ALSH for a year: PS ALSH (30 % of the hourly cost within the ceiling ×
    hours × share of régime général), Plan mercredi bonus for new labelled Wednesday hours,
    bonus territoire (amount of the CTG convention), remaining charge. `date` as in
    :func:`simulate_eaje`."""
    params = params or load_parameters()
    c = _Checks(f"ALSH « {inp.nom} »")
    c.number("heures réalisées", inp.heures_realisees, strict=True)
    if (inp.cout_horaire is None) == (inp.cout_total is None):
        c.fail(
            "coût : attendu soit cout_horaire (€ par heure réalisée), soit cout_total (€ par an)"
        )
    c.number("coût horaire", inp.cout_horaire, optional=True)
    c.number("coût total", inp.cout_total, optional=True)
    c.number("participations familiales", inp.participations_familiales)
    c.number(
        "heures nouvelles du mercredi",
        inp.heures_mercredi_nouvelles,
        high=inp.heures_realisees if _is_number(inp.heures_realisees) else None,
    )
    c.number("bonus territoire", inp.bonus_territoire)
    c.number("autres cofinancements", inp.cofinancements)
    c.number("part de ressortissants du régime général", inp.part_regime_general, high=1)
    c.number("nombre de places", inp.places, optional=True)
    c.raise_if_any()
    return _dated(_simulate_alsh_at, inp, date, params)
