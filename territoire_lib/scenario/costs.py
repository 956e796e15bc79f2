"""Costs of the places a scenario opens or closes, by funder and dispositif: the table of
dispositifs (:data:`DISPOSITIFS`), the funding of one place for a year through the CNAF rules
(:func:`_unit_funding`, one code path for crèches PSU and ALSH), its spreading over levers,
communes and years (:func:`_costs`) and the cost frame per territory.

Layer: scénarios. Imports :mod:`territoire_lib.rules` and :mod:`.schema`, :mod:`.spec`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .. import rules
from .schema import DEFAULT_HYPOTHESES, LEVERS
from .spec import Scenario

FRR_FULL = ("frr", "frr_plus", "beneficiaire")

DISPOSITIFS: list[tuple[str, str, str, str]] = [
    # key, funder, French label, nature
    ("cout_fonctionnement", "Coût", "Coût de fonctionnement", "fonctionnement"),
    ("psu", "CAF", "Prestation de service unique (PSU)", "fonctionnement"),
    ("bonus_mixite", "CAF", "Bonus mixité sociale", "fonctionnement"),
    ("bonus_handicap", "CAF", "Bonus inclusion handicap", "fonctionnement"),
    ("bonus_territoire", "CAF", "Bonus territoire CTG", "fonctionnement"),
    ("bonus_trajectoire", "CAF", "Bonus trajectoire", "fonctionnement"),
    ("bonus_attractivite", "CAF", "Bonus attractivité", "fonctionnement"),
    ("ps_alsh", "CAF", "Prestation de service ALSH", "fonctionnement"),
    ("plan_mercredi", "CAF", "Bonification Plan mercredi", "fonctionnement"),
    ("familles", "Familles", "Participations familiales", "fonctionnement"),
    (
        "cofinancements",
        "Autres financeurs",
        "Cofinancements (département, employeurs…)",
        "fonctionnement",
    ),  # fmt: skip
    (
        "reste_autres",
        "Autres financeurs",
        "Reste à charge hors commune (EPCI, gestionnaire)",
        "fonctionnement",
    ),  # fmt: skip
    ("reste_commune", "Commune", "Reste à charge de la commune", "fonctionnement"),
    ("cout_investissement", "Coût", "Coût d'investissement", "investissement"),
    ("piaje", "CAF", "Aide à l'investissement (PIAJE)", "investissement"),
    (
        "investissement_autres",
        "Autres financeurs",
        "Investissement hors commune",
        "investissement",
    ),  # fmt: skip
    (
        "investissement_commune",
        "Commune",
        "Investissement restant à la commune",
        "investissement",
    ),  # fmt: skip
]
DISPOSITIF_KEYS = [d[0] for d in DISPOSITIFS]
FUNDERS = ["CAF", "Familles", "Commune", "Autres financeurs"]
_RULE_LINES = {  # rules' a_verifier_par_ligne keys → dispositifs
    "familles": ["familles"],
    "psu": ["psu"],
    "bonus_mixite": ["bonus_mixite"],
    "bonus_handicap": ["bonus_handicap"],
    "bonus_territoire": ["bonus_territoire"],
    "bonus_trajectoire": ["bonus_trajectoire"],
    "bonus_attractivite": ["bonus_attractivite"],
    "ps_alsh": ["ps_alsh"],
    "plan_mercredi": ["plan_mercredi"],
    "reste": ["reste_commune", "reste_autres"],
}


def _costs(
    levers: pd.DataFrame,
    members: list[str],
    horizon: list[int],
    scenario: Scenario,
    territory: Any,
    capacite: pd.DataFrame,
    params: rules.ParameterSet,
) -> tuple[pd.DataFrame, pd.DataFrame, list[str], set[str], list[str]]:
    """Per commune and year: one column per dispositif. Also the lever table with effective
    hypotheses, parameters « à vérifier », flagged dispositifs and unsourced defaults used."""
    hyp = scenario.hypotheses
    explicit = scenario.explicit
    used_defaults: list[str] = []
    flags: list[str] = []
    line_flags: set[str] = set()
    table = levers.copy()
    table["libelle"] = table["levier"].map({k: v.label for k, v in LEVERS.items()})
    table["places_effectives"] = table["places"].fillna(
        table["assistantes"] * float(hyp["places_par_assistante"])
    )
    if (table["assistantes"].notna()).any() and "places_par_assistante" not in explicit:
        used_defaults.append("places_par_assistante")
    funded = table[table["levier"].isin(["creche_psu", "alsh"])].copy()
    empty = pd.DataFrame(columns=["commune", "annee", *DISPOSITIF_KEYS])
    if funded.empty:
        return empty, table, flags, line_flags, used_defaults

    alsh = hyp["alsh"]
    is_eaje = funded["levier"] == "creche_psu"
    cost_default = hyp["cout_par_place"].get("creche_psu", DEFAULT_HYPOTHESES["cout_par_place"]["creche_psu"])  # fmt: skip
    funded["cout"] = np.where(
        is_eaje,
        funded["cout_par_place"].fillna(cost_default),
        (funded["cout_par_place"] / alsh["heures_par_place"]).fillna(alsh["cout_horaire"]),
    )
    funded["occupation"] = funded["taux_occupation"].fillna(hyp["taux_occupation"])
    funded["facturation"] = funded["taux_facturation"].fillna(hyp["taux_facturation"])
    pf_default = np.where(is_eaje, hyp["participation_horaire"], alsh["participation_horaire"])
    funded["pf"] = funded["participation_horaire"].fillna(pd.Series(pf_default, index=funded.index))
    funded["gest"] = funded["gestionnaire"].fillna(hyp["gestionnaire"])
    inv_map = hyp["investissement_par_place"]
    funded["inv"] = funded["investissement_par_place"].fillna(
        funded["levier"].map(lambda m: inv_map.get(m, np.nan))
    )
    zon = territory.zonages.set_index("commune")
    frr = funded["commune"].map(zon["frr"]).isin(FRR_FULL)
    qpv = funded["en_qpv"].map(lambda x: bool(x) if isinstance(x, bool) else False)
    funded["tier"] = np.where(qpv | frr, "qpv_frr", hyp["tranche_territoire"])
    seuil = params.get("investissement.piaje_seuil_couverture", f"{scenario.debut}-01-01")
    base_rate = capacite[(capacite["niveau"] == "commune") & (capacite["annee"] == scenario.annee_base)]  # fmt: skip
    base_rate = base_rate.set_index("code")["taux_couverture"]
    if seuil is not None:
        funded["couv_basse"] = funded["commune"].map(base_rate).lt(float(seuil.value))
    else:
        funded["couv_basse"] = False
    if is_eaje.any():
        if "heures_ouverture_an" not in explicit:
            used_defaults.append("heures_ouverture_an")
        if (
            hyp["ressources_mensuelles"] is None
            and "participation_horaire" not in explicit
            and funded.loc[is_eaje, "participation_horaire"].isna().any()
        ):
            used_defaults.append("participation_horaire")
    if (~is_eaje).any() and "alsh" not in explicit:
        used_defaults.append("alsh")

    key_cols = [
        "levier", "action", "cout", "occupation", "pf", "gest", "inv", "tier", "couv_basse",
        "facturation",
    ]  # fmt: skip
    keys = funded[key_cols].drop_duplicates().reset_index(drop=True)
    keys["_key"] = np.arange(len(keys))
    funded = funded.merge(keys, on=key_cols, how="left")
    units = []
    for k in keys.itertuples(index=False):
        for year in horizon:
            unit, res = _unit_funding(k, year, scenario, params)
            unit["_key"], unit["annee"] = k._10, year
            units.append(unit)
            for name in res.a_verifier:
                if name not in flags:
                    flags.append(name)
            for line, names in res.a_verifier_par_ligne.items():
                if names:
                    line_flags.update(_RULE_LINES.get(line, []))
                    if line == "investissement":
                        line_flags.update(["piaje", "investissement_commune"])
    unit = pd.DataFrame(units)

    # every lever × every year from its opening year
    n = len(funded)
    yrs = np.array(horizon)
    rep = pd.DataFrame(
        {
            "_row": np.repeat(np.arange(n), len(yrs)),
            "annee": np.tile(yrs, n),
        }
    )
    rep["_start"] = funded["annee"].to_numpy(dtype=int)[rep["_row"]]
    rep = rep[rep["annee"] >= rep["_start"]]
    rep["_key"] = funded["_key"].to_numpy()[rep["_row"]]
    rep["commune"] = funded["commune"].to_numpy()[rep["_row"]]
    sign = np.where(funded["action"].to_numpy() == "fermer", -1.0, 1.0)
    rep["_places"] = (funded["places_effectives"].to_numpy() * sign)[rep["_row"]]
    rep = rep.merge(unit, on=["_key", "annee"], how="left")
    operating = [k for k, _, _, nature in DISPOSITIFS if nature == "fonctionnement"]
    investing = [k for k, _, _, nature in DISPOSITIFS if nature == "investissement"]
    rep[operating] = rep[operating].mul(rep["_places"], axis=0)
    first_year = (rep["annee"] == rep["_start"]) & (rep["_places"] > 0)
    rep[investing] = rep[investing].mul(rep["_places"].where(first_year, 0.0), axis=0)
    per_commune = rep.groupby(["commune", "annee"], sort=False)[DISPOSITIF_KEYS].sum().reset_index()

    # lever table: effective hypotheses and first-year amounts
    first = rep[rep["annee"] == rep["_start"]].set_index("_row")
    eff = funded[["cout", "occupation", "facturation", "pf", "tier", "inv"]].copy()
    eff["cout_premiere_annee"] = first["cout_fonctionnement"].reindex(range(n)).to_numpy()
    eff["caf_premiere_annee"] = (
        first[[k for k, f, _, nat in DISPOSITIFS if f == "CAF" and nat == "fonctionnement"]]
        .sum(axis=1)
        .reindex(range(n))
        .to_numpy()
    )
    eff["commune_premiere_annee"] = first["reste_commune"].reindex(range(n)).to_numpy()
    eff["aide_investissement"] = first["piaje"].reindex(range(n)).to_numpy()
    eff.index = funded.index
    funded_pos = table.index[table["levier"].isin(["creche_psu", "alsh"])]
    for col in eff.columns:
        table.loc[funded_pos, col] = eff[col].to_numpy()
    return per_commune, table, flags, line_flags, used_defaults


# What differs between the two kinds of funded places; the rest of the funding of a place
# (operating cost, families, co-financings, remaining charge, investment) is read alike.
@dataclass(frozen=True)
class _PlaceFunding:
    run: Callable[..., Any]  # (hypotheses, _Place, year, params) → the rules' result
    caf: dict[str, str]  # dispositif key → attribute of the rules' result (CAF lines)
    piaje: bool  # the PIAJE investment aid applies (EAJE only)


@dataclass(frozen=True)
class _Place:
    """One place of a lever, as the rules see it for a year."""

    cost: float  # operating cost (EAJE: per place and year; ALSH: per hour), revalued
    occ: Any  # taux d'occupation: hours performed / hours open (EAJE)
    billing: Any  # taux de facturation: hours billed / hours performed (EAJE)
    pf: Any
    gest: Any
    inv: float | None  # investment per place when it counts (opening, given), else None
    tier: str
    low_cov: bool
    other: float  # co-financings of other funders per place and year
    opening: bool


def _eaje_place(hyp: dict[str, Any], p: _Place, year: int, params: rules.ParameterSet) -> Any:
    inp = rules.EajeInput(
        places=1.0,
        heures_ouverture_an=float(hyp["heures_ouverture_an"]),
        taux_occupation=float(p.occ),
        taux_facturation=float(p.billing),
        cout_par_place=p.cost,
        couches_repas=bool(hyp["couches_repas"]),
        ressources_mensuelles=hyp["ressources_mensuelles"],
        participation_horaire=None if hyp["ressources_mensuelles"] is not None else float(p.pf),
        part_enfants_aeeh=float(hyp["part_enfants_handicap"]),
        qpv=p.tier == "qpv_frr",
        tranche_territoire=p.tier if p.tier != "qpv_frr" else "autre",
        ctg=bool(hyp["ctg"]),
        gestionnaire=str(p.gest),
        places_nouvelles=1.0 if p.opening else 0.0,
        eligible_attractivite=bool(hyp["bonus_attractivite"]),
        cofinancements=p.other,
        part_regime_general=float(hyp["part_regime_general"]),
        depense_investissement=p.inv,
        taux_couverture=0.0 if p.low_cov else 1000.0,  # only the side of the PIAJE threshold
        nom="place",
    )
    return rules.simulate_eaje(inp, year, params=params)


def _alsh_place(hyp: dict[str, Any], p: _Place, year: int, params: rules.ParameterSet) -> Any:
    alsh = hyp["alsh"]
    hours = float(alsh["heures_par_place"])
    new_wed = hours * float(alsh["part_heures_mercredi"]) if alsh["plan_mercredi"] and p.opening else 0.0  # fmt: skip
    return rules.simulate_alsh(
        rules.AlshInput(
            heures_realisees=hours,
            cout_horaire=p.cost,
            participations_familiales=float(p.pf) * hours,
            heures_mercredi_nouvelles=new_wed,
            plan_mercredi=bool(alsh["plan_mercredi"]),
            ctg=False,  # the ALSH bonus territoire is convention-specific: not counted
            cofinancements=p.other,
            part_regime_general=float(hyp["part_regime_general"]),
            places=1.0,
            nom="place",
        ),
        year,
        params=params,
    )


_FUNDING = {
    "creche_psu": _PlaceFunding(
        _eaje_place,
        {
            "psu": "psu",
            "bonus_mixite": "bonus_mixite",
            "bonus_handicap": "bonus_handicap",
            "bonus_territoire": "bonus_territoire",
            "bonus_trajectoire": "bonus_trajectoire",
            "bonus_attractivite": "bonus_attractivite",
        },
        piaje=True,
    ),
    "alsh": _PlaceFunding(
        _alsh_place,
        {"ps_alsh": "ps_alsh", "plan_mercredi": "bonification_plan_mercredi"},
        piaje=False,
    ),
}


def _unit_funding(
    k: Any, year: int, scenario: Scenario, params: rules.ParameterSet
) -> tuple[dict[str, float], Any]:
    """Funding of one place for a year, by dispositif (rules applied pro rata of the year).

    `k`: (levier, action, cost, taux d'occupation, participation horaire, gestionnaire,
    investment per place, tier, coverage under the PIAJE threshold, taux de facturation),
    the order of ``key_cols`` in :func:`_costs`. The PSU of a crèche place is paid on its
    billed hours: heures d'ouverture × taux d'occupation × taux de facturation."""
    hyp, cof = scenario.hypotheses, scenario.cofinancements
    levier, action, cost, occ, pf, gest, inv, tier, low_cov, billing = k[:10]
    growth = (1 + float(hyp["revalorisation_couts"])) ** (year - scenario.annee_base)
    part_commune = float(cof["part_commune"])
    opening = action == "ouvrir"
    has_inv = inv is not None and not (isinstance(inv, float) and math.isnan(inv))
    invest = float(inv) if has_inv and opening else None
    kind = _FUNDING[levier]
    place = _Place(
        cost=float(cost) * growth,
        occ=occ,
        billing=billing,
        pf=pf,
        gest=gest,
        inv=invest,
        tier=tier,
        low_cov=low_cov,
        other=float(cof["autres_par_place"].get(levier, 0.0)),
        opening=opening,
    )
    res = kind.run(hyp, place, year, params)
    out = dict.fromkeys(DISPOSITIF_KEYS, 0.0)
    out["cout_fonctionnement"] = res.cout_total
    for key, attr in kind.caf.items():
        out[key] = getattr(res, attr)
    out["familles"] = res.participations_familiales
    out["cofinancements"] = res.cofinancements
    if invest is not None:
        aid = min(res.aide_investissement, invest) if kind.piaje else 0.0
        out["cout_investissement"] = invest
        out["piaje"] = aid
        out["investissement_commune"] = (invest - aid) * part_commune
        out["investissement_autres"] = (invest - aid) * (1 - part_commune)
    rest = res.reste_a_charge
    out["reste_commune"] = rest * part_commune
    out["reste_autres"] = rest * (1 - part_commune)
    return out, res


def _cost_frame(per_commune: pd.DataFrame, members: list[str], horizon: list[int], code: str, geo: Any) -> pd.DataFrame:  # fmt: skip
    idx = pd.MultiIndex.from_product([horizon, members], names=["annee", "code"])
    frame = per_commune.rename(columns={"commune": "code"}).set_index(["annee", "code"])
    frame = frame.reindex(idx).fillna(0.0).reset_index()
    per = frame.groupby("annee", sort=True)[DISPOSITIF_KEYS].sum().reset_index()
    per.insert(1, "niveau", "périmètre")
    per.insert(2, "code", code)
    per.insert(3, "nom", geo.name_of(code))
    names = geo.communes.set_index("code")["nom"]
    frame.insert(1, "niveau", "commune")
    frame.insert(3, "nom", frame["code"].map(names))
    return pd.concat([per, frame], ignore_index=True)[["annee", "niveau", "code", "nom", *DISPOSITIF_KEYS]]  # fmt: skip
