"""EAJE (crèche) under PSU: the hourly ceiling and the annual funding of one facility.

Owns :func:`psu_prix_plafond` (steps before 2025, linear decrease since the 2025 reform),
:class:`EajeInput`, :class:`EajeFunding` and :func:`simulate_eaje`: families, PSU, each bonus,
other co-financing, remaining charge, and the one-off PIAJE aid for new places.

The PSU is paid on the billed hours (« actes ouvrant droit = actes facturés », CNAF
« Conditions particulières PSU »), and the cost price is the operating cost per billed hour::

    taux de facturation = heures facturées / heures réalisées   (selects the prix plafond)
    prix de revient     = charges / heures facturées
    PSU = (min(prix de revient, prix plafond(taux de facturation)) × 66 % × heures facturées
           − participations familiales) × part du régime général

The share of the régime général multiplies the whole net amount, as the CAF guides list it
last (funding-rules §1.1, [P]); a negative net amount gives a nil PSU.

Layer « règles »: imports the socle (``errors``) and the modules of ``rules`` below it:
:mod:`.base`, :mod:`.parameters`, :mod:`.loading`, :mod:`.formula`, :mod:`.bareme`,
:mod:`.bonus`, :mod:`.simulation`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import quote
from .bareme import family_participation_hourly
from .base import RulesError, _is_number, fmt_nombre
from .bonus import (
    GESTIONNAIRES,
    TRANCHES_TERRITOIRE,
    aide_investissement,
    bonus_attractivite_par_place,
    bonus_handicap_par_place,
    bonus_mixite_par_place,
    bonus_territoire_par_place,
    bonus_trajectoire_par_place,
    tranche_territoire,
)
from .formula import Result, _array, _bad_positions, _shape_like, _Trace
from .loading import load_parameters
from .parameters import ParameterSet
from .simulation import _Checks, _dated, _Funding, _merge_flags, _traced


def psu_prix_plafond(
    taux_facturation: Any,
    couches_repas: bool = True,
    date: Any = None,
    *,
    params: ParameterSet | None = None,
) -> Result:
    """PSU hourly ceiling (€/h) for a taux de facturation (1.10 = 110 %), vectorised.

    Before 2025: three steps (≤ 107 %, 107-117 %, > 117 %). Since 1 January 2025: maximum up to
    107 %, linear decrease to the minimum reached at 120 %, constant beyond.
    """
    t = _Trace(params, date)
    scalar = np.ndim(taux_facturation) == 0
    tf = _array(taux_facturation, "Taux de facturation")
    bad = ~np.isfinite(tf) | (tf <= 0)
    if bad.any():
        raise RulesError(
            f"Taux de facturation : trouvé {_bad_positions(bad, tf)} ; attendu un rapport "
            "heures facturées / heures réalisées positif (1.10 pour 110 %)."
        )
    mode = str(t.at("psu.modulation_tf").value)
    lo = float(t.at("psu.seuil_tf_bas").value)
    hi = float(t.at("psu.seuil_tf_haut").value)
    base = "psu.prix_plafond_" + ("avec" if couches_repas else "sans") + "_couches_repas"
    t.peek(base)  # clear error when the whole table is not documented at this date

    def leaf(key: str) -> float:
        return float(t.at(f"{base}.{key}").value)

    low = tf <= lo
    if mode == "paliers":
        high = tf > hi
        mid = ~low & ~high
        price = np.zeros_like(tf)
        for mask, key in ((low, "maximum"), (mid, "intermediaire"), (high, "minimum")):
            if mask.any():
                price = np.where(mask, leaf(key), price)
    elif mode == "lineaire":
        high = tf >= hi
        mid = ~low & ~high
        price = np.zeros_like(tf)
        if low.any():
            price = np.where(low, leaf("maximum"), price)
        if high.any():
            price = np.where(high, leaf("minimum"), price)
        if mid.any():
            p_max, p_min = leaf("maximum"), leaf("minimum")
            price = np.where(mid, p_max - (tf - lo) / (hi - lo) * (p_max - p_min), price)
    else:
        raise RulesError(
            f"Mode de modulation du prix plafond {quote(mode)} inconnu (psu.modulation_tf) : "
            "attendu « paliers » ou « lineaire »."
        )
    return t.result(_shape_like(price, taux_facturation, scalar), mode=mode, seuils=(lo, hi))


@dataclass
class EajeInput:
    """One EAJE (crèche) under PSU. Amounts in euros, rates as fractions (0.70 = 70 %).

    Hours, two ways each (giving both ways of one is an error, as it would be ambiguous):

    - hours performed (réalisées): `heures_realisees`, or `places` × `heures_ouverture_an` ×
      `taux_occupation`;
    - hours billed to families (facturées, those the PSU pays): `heures_facturees`, or hours
      performed × `taux_facturation`.

    Cost, one of: `charges` (annual operating cost), `cout_par_place` (annual cost per place)
    or `cout_horaire` (cost per hour *performed*: charges = cout_horaire × heures réalisées).
    Whatever the input, the PSU's cost price is charges / heures facturées.

    Families: `ressources_mensuelles` (one value, or one per family, €/month) with `enfants`
    and optional `poids` (share of billed hours of each family), or directly
    `participation_horaire` (average €/h billed, e.g. from Filoué: participations ÷ heures
    facturées). `part_enfants_aeeh` is the share of children with a disability: for the
    bonus inclusion handicap, children receiving AEEH and, since 2020, those followed by a PCO,
    a CAMSP, a SESSAD or SAFEP, or with a hospital or PMI attestation (circ. CNAF 2020-011);
    the barème's lower taux d'effort applies to it too, though only AEEH counts there.
    `prix_plafond` (€/h): a ceiling given by the user (e.g. read on the CAF's notification)
    instead of the dated parameters.
    """

    places: float
    heures_ouverture_an: float | None = None  # hours open in a year, e.g. 11 h × 225 days
    taux_occupation: float | None = None  # heures réalisées / heures ouvertes
    taux_facturation: float | None = None  # heures facturées / heures réalisées (1.10 = 110 %)
    cout_horaire: float | None = None  # € per hour performed
    cout_par_place: float | None = None
    couches_repas: bool = True
    ressources_mensuelles: Any = None
    enfants: Any = 1
    poids: Any = None
    participation_horaire: float | None = None
    accueil: str = "collectif"
    part_enfants_aeeh: float = 0.0
    qpv: bool = False
    frr: bool = False
    tranche_territoire: str = "autre"
    ctg: bool = False
    gestionnaire: str = "public"
    places_nouvelles: float = 0.0
    bonus_territoire_existant_par_place: float | None = None  # ex-CEJ, from the CTG convention
    croissance_places_ctg: float | None = None  # growth of co-financed places 2023→2027
    eligible_attractivite: bool = False  # salary increase applied (bonus attractivité)
    cofinancements: float = 0.0  # other co-financing (département, employers…)
    part_regime_general: float = 1.0
    depense_investissement: float | None = None  # eligible investment expenditure
    taux_couverture: float | None = None  # places per 100 children under 3 (PIAJE)
    nom: str = "EAJE"
    heures_realisees: float | None = None  # hours performed in the year
    heures_facturees: float | None = None  # hours billed to families in the year
    charges: float | None = None  # annual operating cost (charges de fonctionnement)
    prix_plafond: float | None = None  # €/h, given instead of the dated parameters


@dataclass
class EajeFunding(_Funding):
    """Annual funding of one EAJE (euros per year unless stated)."""

    nom: str
    periode: str
    places: float
    heures_ouvertes: float
    heures_realisees: float
    heures_facturees: float
    cout_total: float
    cout_horaire: float  # cost per hour performed (charges / heures réalisées)
    taux_facturation: float  # heures facturées / heures réalisées
    prix_de_revient_horaire: float  # PSU cost price: charges / heures facturées
    participation_horaire_moyenne: float  # € per billed hour
    participations_familiales: float
    prix_plafond_horaire: float
    prix_retenu_horaire: float
    psu: float
    bonus_mixite: float
    bonus_handicap: float
    bonus_territoire: float
    bonus_trajectoire: float
    bonus_attractivite: float
    cofinancements: float
    reste_a_charge: float
    places_nouvelles: float
    aide_investissement: float  # one-off PIAJE aid for the new places

    @property
    def bonus_total(self) -> float:
        return (
            self.bonus_mixite
            + self.bonus_handicap
            + self.bonus_territoire
            + self.bonus_trajectoire
            + self.bonus_attractivite
        )

    @property
    def financement_caf(self) -> float:
        return self.psu + self.bonus_total

    def tableau(self) -> pd.DataFrame:
        """Lines × (par_an, par_place, par_heure per hour performed, par_heure_facturee per
        billed hour, a_verifier)."""
        lines = [
            ("familles", "Participations familiales", self.participations_familiales),
            ("psu", "Prestation de service unique (PSU)", self.psu),
            ("bonus_mixite", "Bonus mixité sociale", self.bonus_mixite),
            ("bonus_handicap", "Bonus inclusion handicap", self.bonus_handicap),
            ("bonus_territoire", "Bonus territoire CTG", self.bonus_territoire),
            ("bonus_trajectoire", "Bonus trajectoire", self.bonus_trajectoire),
            ("bonus_attractivite", "Bonus attractivité", self.bonus_attractivite),
        ]
        table = self._tabulate(lines, self.places, self.heures_realisees)
        billed = self.heures_facturees
        table.insert(4, "par_heure_facturee", table["par_an"] / billed if billed else np.nan)
        return table


def _check_eaje(inp: EajeInput) -> None:
    c = _Checks(f"EAJE « {inp.nom} »")
    c.number("nombre de places", inp.places, strict=True)
    c.number(
        "heures d'ouverture par an", inp.heures_ouverture_an, strict=True, high=8784, optional=True
    )
    c.number("taux d'occupation", inp.taux_occupation, strict=True, high=1, optional=True)
    c.number("taux de facturation", inp.taux_facturation, strict=True, high=3, optional=True)
    c.number("heures réalisées", inp.heures_realisees, strict=True, optional=True)
    c.number("heures facturées", inp.heures_facturees, strict=True, optional=True)
    if inp.heures_realisees is not None and inp.taux_occupation is not None:
        c.fail(
            "heures réalisées : trouvé à la fois heures_realisees et taux_occupation ; attendu "
            "l'un ou l'autre (heures réalisées = places × heures d'ouverture × taux d'occupation)"
        )
    elif inp.heures_realisees is None and (
        inp.taux_occupation is None or inp.heures_ouverture_an is None
    ):
        c.fail(
            "heures réalisées : trouvé "
            + ("ni heures_realisees ni taux_occupation" if inp.taux_occupation is None
               else "un taux d'occupation sans heures d'ouverture")
            + " ; attendu heures_realisees, ou heures_ouverture_an et taux_occupation"
        )  # fmt: skip
    if (inp.heures_facturees is None) == (inp.taux_facturation is None):
        c.fail(
            "heures facturées : trouvé "
            + ("ni heures_facturees ni taux_facturation" if inp.heures_facturees is None
               else "à la fois heures_facturees et taux_facturation")
            + " ; attendu l'un ou l'autre (heures facturées = heures réalisées × taux de "
            "facturation)"
        )  # fmt: skip
    costs = [
        k for k in ("charges", "cout_par_place", "cout_horaire") if getattr(inp, k) is not None
    ]
    if len(costs) != 1:
        c.fail(
            "coût : trouvé "
            + (f"{len(costs)} coûts ({', '.join(costs)})" if costs else "aucun coût")
            + " ; attendu un seul parmi charges (€ par an), cout_par_place (€ par place et par "
            "an) et cout_horaire (€ par heure réalisée)"
        )
    c.number("charges de fonctionnement", inp.charges, optional=True)
    c.number("coût horaire", inp.cout_horaire, optional=True)
    c.number("coût par place", inp.cout_par_place, optional=True)
    c.number("prix plafond fourni", inp.prix_plafond, strict=True, optional=True)
    if inp.participation_horaire is None and inp.ressources_mensuelles is None:
        c.fail(
            "familles : trouvé ni ressources_mensuelles ni participation_horaire ; attendu les "
            "ressources des familles (€/mois) ou une participation horaire moyenne"
        )
    c.number("participation horaire moyenne", inp.participation_horaire, optional=True)
    c.number(
        "part d'enfants en situation de handicap (AEEH ; depuis 2020 aussi PCO, CAMSP, "
        "SESSAD ou SAFEP, attestation hospitalière ou de PMI)",
        inp.part_enfants_aeeh,
        high=1,
    )
    c.choice("gestionnaire", inp.gestionnaire, GESTIONNAIRES)
    c.choice("tranche du bonus territoire", inp.tranche_territoire, TRANCHES_TERRITOIRE)
    c.number(
        "places nouvelles",
        inp.places_nouvelles,
        high=inp.places if _is_number(inp.places) and inp.places > 0 else None,
    )
    c.number(
        "bonus territoire des places existantes",
        inp.bonus_territoire_existant_par_place,
        optional=True,
    )
    c.number("croissance des places cofinancées", inp.croissance_places_ctg, low=-1, optional=True)
    c.number("autres cofinancements", inp.cofinancements)
    c.number("part de ressortissants du régime général", inp.part_regime_general, high=1)
    c.number("dépense d'investissement", inp.depense_investissement, optional=True)
    c.number("taux de couverture", inp.taux_couverture, optional=True)
    c.raise_if_any()
    h_real, h_fact = _hours(inp)
    if not 0 < h_fact / h_real <= 3:
        c.fail(
            f"taux de facturation : trouvé {fmt_nombre(100 * h_fact / h_real, 1)} % (heures "
            "facturées / heures réalisées) ; attendu au plus 300 %"
        )
    c.raise_if_any()


def _hours(inp: EajeInput) -> tuple[float, float]:
    """(heures réalisées, heures facturées) of a checked input."""
    if inp.heures_realisees is not None:
        h_real = float(inp.heures_realisees)
    else:
        h_real = inp.places * inp.heures_ouverture_an * inp.taux_occupation
    if inp.heures_facturees is not None:
        return h_real, float(inp.heures_facturees)
    return h_real, h_real * inp.taux_facturation


def _mean_participation(inp: EajeInput, when: dt.date, params: ParameterSet) -> Result:
    """Average hourly family participation of the EAJE, weighted by `poids`."""
    if inp.participation_horaire is not None:
        return Result(float(inp.participation_horaire), when)
    base = family_participation_hourly(
        inp.ressources_mensuelles, inp.enfants, inp.accueil, 0, when, params=params
    )
    per_family = np.atleast_1d(np.asarray(base.value, dtype=float))
    used, flagged = list(base.parametres), list(base.a_verifier)
    s = float(inp.part_enfants_aeeh)
    if s > 0:
        with_aeeh = family_participation_hourly(
            inp.ressources_mensuelles, inp.enfants, inp.accueil, 1, when, params=params
        )
        per_family = (1 - s) * per_family + s * np.atleast_1d(np.asarray(with_aeeh.value, float))
        used += [n for n in with_aeeh.parametres if n not in used]
        flagged += [n for n in with_aeeh.a_verifier if n not in flagged]
    if inp.poids is None:
        mean = float(per_family.mean())
    else:
        w = _array(inp.poids, "Poids des familles")
        if w.shape != per_family.shape or (w < 0).any() or not w.sum() > 0:
            raise RulesError(
                "Poids des familles : trouvé des poids de longueur ou de valeur incorrecte ; "
                "attendu un poids positif par famille, de somme non nulle."
            )
        mean = float((per_family * w).sum() / w.sum())
    return Result(mean, when, flagged, used)


def _simulate_eaje_at(inp: EajeInput, when: dt.date, params: ParameterSet) -> EajeFunding:
    t = _Trace(params, when)
    flags: dict[str, list[str]] = {}
    notes: list[str] = []

    def take(line: str, res: Result) -> Result:
        t.merge(res)
        _merge_flags(flags, line, res.a_verifier)
        notes.extend(n for n in res.notes if n not in notes)
        return res

    h_real, h_fact = _hours(inp)
    tf = h_fact / h_real
    h_open = inp.places * inp.heures_ouverture_an if inp.heures_ouverture_an is not None else np.nan
    if inp.charges is not None:
        cost = float(inp.charges)
    elif inp.cout_horaire is not None:
        cost = inp.cout_horaire * h_real
    else:
        cost = inp.cout_par_place * inp.places
    cost_h = cost / h_real
    cost_billed = cost / h_fact  # the PSU's prix de revient: per billed hour
    cost_place = cost / inp.places

    pf_h = take("familles", _mean_participation(inp, when, params)).value
    families = pf_h * h_fact

    if inp.prix_plafond is not None:
        ceiling = float(inp.prix_plafond)
        notes.append("prix plafond fourni par l'utilisateur (paramètres CNAF non lus)")
    else:
        ceiling = take("psu", psu_prix_plafond(tf, inp.couches_repas, when, params=params)).value
    rate = t.at("psu.taux")
    _merge_flags(flags, "psu", [rate.name] if rate.a_verifier else [])
    price = min(cost_billed, ceiling)
    psu = max(0.0, price * float(rate.value) * h_fact - families) * inp.part_regime_general
    _merge_flags(flags, "psu", flags.get("familles", []))  # PSU compensates the families' part
    if psu == 0.0:
        notes.append("les participations familiales dépassent le droit PSU : PSU nulle")

    mix = take("bonus_mixite", bonus_mixite_par_place(pf_h, when, params=params)).value
    hand = take(
        "bonus_handicap",
        bonus_handicap_par_place(inp.part_enfants_aeeh, cost_place, when, params=params),
    ).value

    territory = trajectory = 0.0
    if inp.ctg:
        tier = tranche_territoire(inp.qpv, inp.frr, inp.tranche_territoire)
        if inp.places_nouvelles > 0:
            new = take("bonus_territoire", bonus_territoire_par_place(tier, when, params=params))
            territory += new.value * inp.places_nouvelles
        existing = inp.places - inp.places_nouvelles
        if existing > 0:
            if inp.bonus_territoire_existant_par_place is None:
                notes.append(
                    "bonus territoire des places existantes (ex-CEJ lissé, propre au territoire) "
                    "non saisi : compté 0 €"
                )
                _merge_flags(flags, "bonus_territoire", ["montant des places existantes non saisi"])
            else:
                territory += inp.bonus_territoire_existant_par_place * existing
        if inp.croissance_places_ctg is not None:
            trajectory = (
                take(
                    "bonus_trajectoire",
                    bonus_trajectoire_par_place(inp.croissance_places_ctg, when, params=params),
                ).value
                * inp.places
            )
    elif inp.places_nouvelles > 0:
        notes.append("pas de CTG signée : pas de bonus territoire ni de bonus trajectoire")
    attract = 0.0
    if inp.eligible_attractivite:
        attract = (
            take(
                "bonus_attractivite",
                bonus_attractivite_par_place(inp.gestionnaire, when, params=params),
            ).value
            * inp.places
        )

    bonuses = mix * inp.places + hand * inp.places + territory + trajectory + attract
    rest = cost - families - psu - bonuses - inp.cofinancements
    _merge_flags(flags, "reste", t.flagged)
    _merge_flags(flags, "reste", flags.get("bonus_territoire", []))

    invest = 0.0
    if inp.places_nouvelles > 0:
        invest = take(
            "investissement",
            aide_investissement(
                inp.places_nouvelles,
                when,
                qpv_frr=inp.qpv or inp.frr,
                taux_couverture=inp.taux_couverture,
                depense_eligible=inp.depense_investissement,
                params=params,
            ),
        ).value

    return EajeFunding(
        nom=inp.nom,
        places=float(inp.places),
        heures_ouvertes=h_open,
        heures_realisees=h_real,
        heures_facturees=h_fact,
        cout_total=cost,
        cout_horaire=cost_h,
        taux_facturation=tf,
        prix_de_revient_horaire=cost_billed,
        participation_horaire_moyenne=pf_h,
        participations_familiales=families,
        prix_plafond_horaire=float(ceiling),
        prix_retenu_horaire=price,
        psu=psu,
        bonus_mixite=float(mix) * inp.places,
        bonus_handicap=float(hand) * inp.places,
        bonus_territoire=territory,
        bonus_trajectoire=float(trajectory),
        bonus_attractivite=attract,
        cofinancements=float(inp.cofinancements),
        reste_a_charge=rest,
        places_nouvelles=float(inp.places_nouvelles),
        aide_investissement=float(invest),
        **_traced(t, flags, notes),
    )


def simulate_eaje(
    inp: EajeInput, date: Any = None, *, params: ParameterSet | None = None
) -> EajeFunding:
    """Funding of one EAJE for a year: families, PSU, each bonus, remaining charge.

    The PSU is paid on the billed hours at min(charges / heures facturées, prix plafond of
    the taux de facturation) × 66 %, minus the families' participations (module docstring).
    `date`: the rules in force at this date, applied to a whole year; or a year (int): the
    rules pro rata temporis over that year (e.g. plafond 7 000 € for 8 months and 8 500 € for
    4 months in 2025). The remaining charge = cost − families − PSU − bonuses − other
    co-financing. The PIAJE investment aid for the new places is one-off, outside the
    annual balance.
    """
    params = params or load_parameters()
    _check_eaje(inp)
    return _dated(_simulate_eaje_at, inp, date, params)
