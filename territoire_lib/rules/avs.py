"""Animation de la vie sociale: the annual funding of a centre social or an EVS.

Owns :class:`AvsInput`, :class:`AvsFunding` and :func:`simulate_avs`: PS animation globale et
coordination and animation collective familles (centre social) or animation locale (EVS), at
the AVS rates within the expense ceilings, remaining charge.

Layer « règles »: imports :mod:`.parameters`, :mod:`.loading`, :mod:`.formula` and
:mod:`.simulation` (no module outside ``rules``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pandas as pd

from .formula import _Trace
from .loading import load_parameters
from .parameters import ParameterSet
from .simulation import _Checks, _dated, _Funding, _merge_flags, _traced

STRUCTURES_AVS = ("centre_social", "evs")


@dataclass
class AvsInput:
    """A centre social (PS animation globale et coordination + animation collective familles)
    or an espace de vie sociale (PS animation locale). Expenses are annual eligible expenses."""

    structure: str  # "centre_social" or "evs"
    depenses_animation: float  # AGC (centre social) or animation locale (EVS)
    depenses_famille: float = 0.0  # animation collective familles (centre social only)
    cout_total: float | None = None  # whole budget; default: the two expenses
    cofinancements: float = 0.0
    plafond_animation: float | None = None  # ceilings when known locally
    plafond_famille: float | None = None
    nom: str = "structure AVS"


@dataclass
class AvsFunding(_Funding):
    nom: str
    periode: str
    structure: str
    cout_total: float
    ps_animation: float
    ps_famille: float
    cofinancements: float
    reste_a_charge: float

    def tableau(self) -> pd.DataFrame:
        animation = (
            "PS animation globale et coordination"
            if self.structure == "centre_social"
            else "PS animation locale (EVS)"
        )
        lines = [
            ("ps_animation", animation, self.ps_animation),
            ("ps_famille", "PS animation collective familles", self.ps_famille),
        ]
        return self._tabulate(lines, None, None)


def _simulate_avs_at(inp: AvsInput, when: dt.date, params: ParameterSet) -> AvsFunding:
    t = _Trace(params, when)
    flags: dict[str, list[str]] = {}
    notes: list[str] = []
    social = inp.structure == "centre_social"

    def ps(
        line: str, rate_name: str, ceiling_key: str, expenses: float, override: float | None
    ) -> float:
        before = list(t.flagged)
        rate = t.at(rate_name)
        if override is not None:
            base = min(expenses, override)
        else:
            pv = t.get(f"avs.plafonds_depenses.{ceiling_key}")
            if pv is None or pv.value is None:
                notes.append(
                    f"plafond {ceiling_key.replace('_', ' ')} non documenté : dépenses "
                    "retenues sans plafond"
                )
                base = expenses
            else:
                base = min(expenses, float(pv.value))
        _merge_flags(flags, line, [n for n in t.flagged if n not in before])
        return base * float(rate.value)

    if social:
        animation = ps(
            "ps_animation",
            "avs.taux_animation_globale",
            "animation_globale",
            inp.depenses_animation,
            inp.plafond_animation,
        )
        family = 0.0
        if inp.depenses_famille > 0:
            family = ps(
                "ps_famille",
                "avs.taux_animation_collective_familles",
                "animation_collective_familles",
                inp.depenses_famille,
                inp.plafond_famille,
            )
    else:
        animation = ps(
            "ps_animation",
            "avs.taux_animation_locale_evs",
            "animation_locale_evs",
            inp.depenses_animation,
            inp.plafond_animation,
        )
        family = 0.0
    cost = (
        inp.cout_total
        if inp.cout_total is not None
        else inp.depenses_animation + inp.depenses_famille
    )
    rest = cost - animation - family - inp.cofinancements
    _merge_flags(flags, "reste", t.flagged)
    return AvsFunding(
        nom=inp.nom,
        structure=inp.structure,
        cout_total=float(cost),
        ps_animation=animation,
        ps_famille=family,
        cofinancements=float(inp.cofinancements),
        reste_a_charge=rest,
        **_traced(t, flags, notes),
    )


def simulate_avs(
    inp: AvsInput, date: Any = None, *, params: ParameterSet | None = None
) -> AvsFunding:
    """Funding of a centre social or an EVS for a year: PS at the AVS rates within the
    ceilings (national ceilings not documented: give them in the input when known).
    `date` as in :func:`simulate_eaje`."""
    params = params or load_parameters()
    c = _Checks(f"Structure « {inp.nom} »")
    c.choice("type de structure", inp.structure, STRUCTURES_AVS)
    c.number("dépenses d'animation", inp.depenses_animation)
    c.number("dépenses animation collective familles", inp.depenses_famille)
    if inp.structure == "evs" and inp.depenses_famille:
        c.fail(
            "dépenses animation collective familles : trouvé un montant pour un EVS ; "
            "attendu 0 (prestation réservée aux centres sociaux)"
        )
    c.number("coût total", inp.cout_total, optional=True)
    c.number("autres cofinancements", inp.cofinancements)
    c.number("plafond animation", inp.plafond_animation, optional=True)
    c.number("plafond familles", inp.plafond_famille, optional=True)
    c.raise_if_any()
    return _dated(_simulate_avs_at, inp, date, params)
