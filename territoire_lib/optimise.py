"""Where to open how many childcare places for a budget: an integer program solved by HiGHS.

Given candidate communes (children under 3, current places, a needs index, a maximum of new
places, an investment and an operating cost per place), an investment budget and an annual
operating budget, :func:`optimise` chooses a whole number of blocks of places per commune
(``taille_bloc``: 1 for single places, 12 for a micro-crèche) to maximise the coverage gain
weighted by needs::

    maximise   Σ_i  besoin_i × 100 / enfants_i × (y1_i + w × y2_i)
    subject to taille_bloc_i × x_i = y1_i + y2_i             (x_i integer ≥ 0)
               y1_i ≤ places that bring i up to the reference coverage
               places_actuelles_i + taille_bloc_i × x_i ≤ cible × enfants_i / 100
               x_i × taille_bloc_i ≤ places_max_i
               Σ cout_investissement_place_i × taille_bloc_i × x_i ≤ budget d'investissement
               Σ cout_fonctionnement_place_i × taille_bloc_i × x_i ≤ budget de fonctionnement
               (optionally) at most K communes, at least N places in all

The gain is concave: places up to the reference coverage (the territory's, or one given)
count fully, places beyond it count ``w`` (½ by default), none beyond the target coverage —
so the budget goes first where needs are high and coverage is low, not to the single
commune with the best ratio. Solved with ``scipy.optimize.milp`` (HiGHS branch and bound):
an exact optimum, not a greedy heuristic.

:func:`candidates_from_scenario` builds the candidates of a territory from a scenario's
hypotheses: children projected at the end of the horizon, places after the scenario's
levers, and net costs per place from the CNAF rules (investment minus PIAJE aid; the
commune's remaining operating charge).

Layer « scénarios »: imports socle (errors); règles (rules); its own layer (scenario,
scenario.costs, scenario.simulate).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, milp

from .errors import TerritoireError, quote
from .rules import fmt_nombre, fmt_pct

REQUIRED_COLUMNS = {
    "commune": "code commune (5 caractères)",
    "enfants_0_2": "enfants de moins de 3 ans",
    "places_actuelles": "places d'accueil actuelles",
    "indice_besoins": "indice de besoins",
    "places_max": "nombre maximal de places nouvelles",
    "cout_investissement_place": "coût d'investissement par place (€)",
    "cout_fonctionnement_place": "coût de fonctionnement annuel par place (€)",
}
OPTIONAL_COLUMNS = ("nom", "taille_bloc", "couverture_cible", "couverture_reference")
OPTIMAL, NOTHING, INFEASIBLE, LIMIT = "optimal", "aucune place", "infaisable", "limite de temps"


class OptimisationError(TerritoireError):
    """Bad optimiser input (French message)."""


@dataclass
class Proposal:
    """The optimiser's answer.

    ``places``: one row per candidate — commune, nom, indice_besoins, rang_besoins,
    enfants_0_2, places_actuelles, couverture_avant, places_nouvelles, blocs,
    couverture_apres, cout_investissement, cout_fonctionnement, raison (French).
    ``raisons``: one French sentence per commune that gets places, by need rank.
    ``messages``: French remarks (budget left, infeasibility, communes set aside).
    """

    places: pd.DataFrame
    budget_investissement: float
    budget_fonctionnement: float
    investissement_utilise: float
    fonctionnement_utilise: float
    objectif: float
    statut: str
    raisons: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def total_places(self) -> int:
        return int(self.places["places_nouvelles"].sum())

    @property
    def retenues(self) -> pd.DataFrame:
        """The communes that get places."""
        return self.places[self.places["places_nouvelles"] > 0].reset_index(drop=True)

    def french(self) -> str:
        head = (
            f"Proposition ({self.statut}) : {self.total_places} places dans "
            f"{len(self.retenues)} commune(s) ; investissement "
            f"{_eur(self.investissement_utilise)} sur {_eur(self.budget_investissement)}, "
            f"fonctionnement {_eur(self.fonctionnement_utilise)} par an sur "
            f"{_eur(self.budget_fonctionnement)}."
        )
        return "\n".join([head, *[f"- {r}" for r in self.raisons], *self.messages])

    def to_levers(
        self, annee: int, levier: str = "creche_psu", nom: str = "Proposition de l'optimiseur"
    ) -> list[dict[str, Any]]:
        """Scenario levers opening the proposed places in `annee`."""
        return [
            {
                "levier": levier,
                "commune": str(r.commune),
                "annee": int(annee),
                "places": int(r.places_nouvelles),
                "nom": f"{nom} ({r.nom})" if isinstance(r.nom, str) and r.nom else nom,
            }
            for r in self.retenues.itertuples()
        ]


def _eur(x: float) -> str:
    return f"{fmt_nombre(x, 0)} €"


def _num(x: float, decimals: int = 0) -> str:
    return fmt_nombre(x, decimals)


def _rank(n: int) -> str:
    return "1er" if n == 1 else f"{n}e"


def _check(candidates: pd.DataFrame, investment_budget: float, operating_budget: float) -> None:
    problems = []
    if not isinstance(candidates, pd.DataFrame):
        raise OptimisationError(
            "Candidats : attendu un tableau (DataFrame) avec les colonnes "
            + ", ".join(REQUIRED_COLUMNS)
            + "."
        )
    missing = [c for c in REQUIRED_COLUMNS if c not in candidates.columns]
    if missing:
        raise OptimisationError(
            "Candidats : colonne(s) manquante(s) "
            + ", ".join(f"« {c} » ({REQUIRED_COLUMNS[c]})" for c in missing)
            + "."
        )
    for name, budget in (("d'investissement", investment_budget), ("de fonctionnement", operating_budget)):  # fmt: skip
        ok = isinstance(budget, int | float) and not isinstance(budget, bool)
        if not ok or not math.isfinite(budget) or budget < 0:
            problems.append(f"budget {name} : trouvé {quote(budget)} ; attendu un montant positif")
    codes = candidates["commune"].astype(str)
    dup = codes[codes.duplicated()].unique()
    if len(dup):
        problems.append(
            f"commune(s) en double : {', '.join(dup[:5])} ; attendu une ligne par commune"
        )
    checks = {
        "enfants_0_2": "un nombre d'enfants positif ou nul",
        "places_actuelles": "un nombre de places positif ou nul",
        "indice_besoins": "un indice positif ou nul",
        "places_max": "un nombre de places positif ou nul",
        "cout_investissement_place": "un coût positif ou nul",
        "cout_fonctionnement_place": "un coût positif ou nul",
    }
    if "taille_bloc" in candidates:
        checks["taille_bloc"] = "un nombre entier de places par bloc, au moins 1"
    for col, what in checks.items():
        x = pd.to_numeric(candidates[col], errors="coerce")
        bad = x.isna() | (x < 0)
        if col == "taille_bloc":
            bad |= (x < 1) | (x != x.round())
        if bad.any():
            i = bad.to_numpy().argmax()
            problems.append(
                f"colonne « {col} », commune {codes.iloc[i]} : trouvé "
                f"{quote(candidates[col].iloc[i])} ; attendu {what}"
                + (f" (et {int(bad.sum()) - 1} autre(s))" if bad.sum() > 1 else "")
            )
    if problems:
        raise OptimisationError("Optimisation impossible :\n- " + "\n- ".join(problems))


def optimise(
    candidates: pd.DataFrame,
    investment_budget: float,
    operating_budget: float,
    *,
    target_coverage: float | None = 100.0,
    reference_coverage: float | None = None,
    weight_beyond: float = 0.5,
    block: int | None = None,
    max_communes: int | None = None,
    min_places: int | None = None,
    time_limit: float = 30.0,
) -> Proposal:
    """Integer program: where to open how many places (see the module docstring).

    `target_coverage` (places per 100 children, default 100: one place per child; None lifts
    the cap): no commune is taken above it (column ``couverture_cible`` per commune wins). `reference_coverage`: the first, fully weighted
    segment ends there (default: the candidates' overall coverage; column
    ``couverture_reference`` per commune wins). `block`: places per block (column
    ``taille_bloc`` wins; default 1). `max_communes`: at most this many communes get places.
    `min_places`: at least this many places in all (may be infeasible: French message).
    """
    _check(candidates, investment_budget, operating_budget)
    if not 0 <= weight_beyond <= 1:
        raise OptimisationError(
            f"Poids au-delà de la couverture de référence : trouvé {quote(weight_beyond)} ; "
            "attendu un nombre entre 0 et 1."
        )
    c = candidates.copy().reset_index(drop=True)
    c["commune"] = c["commune"].astype(str)
    if "nom" not in c:
        c["nom"] = c["commune"]
    num = {
        k: pd.to_numeric(c[k], errors="coerce").to_numpy(dtype=float)
        for k in REQUIRED_COLUMNS
        if k != "commune"
    }
    kids, current, need = num["enfants_0_2"], num["places_actuelles"], num["indice_besoins"]
    inv, op = num["cout_investissement_place"], num["cout_fonctionnement_place"]
    n = len(c)
    size = (
        pd.to_numeric(c["taille_bloc"], errors="coerce").to_numpy(dtype=float)
        if "taille_bloc" in c
        else np.full(n, float(block or 1))
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        before = np.where(kids > 0, 100 * current / kids, np.nan)
    if reference_coverage is None:
        reference_coverage = 100 * current.sum() / kids.sum() if kids.sum() > 0 else 0.0
    ref = np.full(n, float(reference_coverage))
    if "couverture_reference" in c:
        ref = pd.to_numeric(c["couverture_reference"], errors="coerce").fillna(reference_coverage).to_numpy(float)  # fmt: skip
    target = np.full(n, np.inf if target_coverage is None else float(target_coverage))
    if "couverture_cible" in c:
        col = pd.to_numeric(c["couverture_cible"], errors="coerce").to_numpy(float)
        target = np.where(np.isfinite(col), col, target)

    # room per commune, in places then in blocks
    room = num["places_max"].copy()
    room = np.where(kids > 0, room, 0.0)
    cap_target = np.where(np.isfinite(target), target * kids / 100 - current, np.inf)
    room = np.minimum(room, np.maximum(cap_target, 0.0))
    blocks_max = np.floor(room / size + 1e-9)
    seg1 = np.maximum(ref * kids / 100 - current, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        gain = np.where(kids > 0, need * 100 / kids, 0.0)

    # variables: x (blocks, integer), y1, y2 (places in each segment), z (binary) if needed
    use_z = max_communes is not None
    nv = 3 * n + (n if use_z else 0)
    total_cost = inv * size + op * size
    scale = max(float(total_cost.max()), 1.0) if n else 1.0
    cvec = np.zeros(nv)
    cvec[n : 2 * n] = -gain
    cvec[2 * n : 3 * n] = -gain * weight_beyond
    cvec[:n] = 1e-7 * total_cost / scale  # tie-break: cheaper when the gain is equal
    lb = np.zeros(nv)
    ub = np.concatenate([blocks_max, seg1, np.full(n, np.inf)] + ([np.ones(n)] if use_z else []))
    integrality = np.concatenate([np.ones(n), np.zeros(2 * n)] + ([np.ones(n)] if use_z else []))
    rows, lo, hi = [], [], []

    def row(entries: dict[int, float]) -> np.ndarray:
        r = np.zeros(nv)
        for j, v in entries.items():
            r[j] = v
        return r

    eye = np.eye(n)
    link = np.hstack([eye * size, -eye, -eye] + ([np.zeros((n, n))] if use_z else []))
    rows.append(link)
    lo.append(np.zeros(n))
    hi.append(np.zeros(n))
    budget = np.zeros((2, nv))
    budget[0, :n] = inv * size
    budget[1, :n] = op * size
    rows.append(budget)
    lo.append(np.array([-np.inf, -np.inf]))
    hi.append(np.array([float(investment_budget), float(operating_budget)]))
    if use_z:
        if max_communes < 0:
            raise OptimisationError(
                f"Nombre maximal de communes : trouvé {quote(max_communes)} ; attendu un entier "
                "positif."
            )
        gate = np.hstack([eye, np.zeros((n, 2 * n)), -eye * np.maximum(blocks_max, 0)])
        rows.append(gate)
        lo.append(np.full(n, -np.inf))
        hi.append(np.zeros(n))
        count = np.zeros((1, nv))
        count[0, 3 * n :] = 1
        rows.append(count)
        lo.append(np.array([-np.inf]))
        hi.append(np.array([float(max_communes)]))
    if min_places is not None:
        total = np.zeros((1, nv))
        total[0, :n] = size
        rows.append(total)
        lo.append(np.array([float(min_places)]))
        hi.append(np.array([np.inf]))
    messages: list[str] = []
    if n == 0:
        return _empty(c, investment_budget, operating_budget, ["Aucune commune candidate."])
    res = milp(
        cvec,
        constraints=LinearConstraint(np.vstack(rows), np.concatenate(lo), np.concatenate(hi)),
        integrality=integrality,
        bounds=Bounds(lb, ub),
        options={"time_limit": float(time_limit), "disp": False},
    )
    if res.x is None:
        status = INFEASIBLE
        x = np.zeros(n)
        messages.append(_infeasible_text(res, min_places, size, inv, op, blocks_max, investment_budget, operating_budget))  # fmt: skip
    else:
        x = np.round(res.x[:n])
        status = OPTIMAL if res.status == 0 else LIMIT
        if res.status != 0:
            messages.append(
                "Temps de calcul dépassé : la meilleure solution trouvée est donnée, sans "
                "garantie d'optimalité."
            )
    places = x * size
    after = np.where(kids > 0, 100 * (current + places) / kids, np.nan)
    y1 = np.minimum(places, seg1)
    objective = float((gain * (y1 + weight_beyond * (places - y1))).sum())
    out = pd.DataFrame(
        {
            "commune": c["commune"],
            "nom": c["nom"],
            "indice_besoins": need,
            "enfants_0_2": kids,
            "places_actuelles": current,
            "couverture_avant": before,
            "places_nouvelles": places.astype(int),
            "blocs": x.astype(int),
            "couverture_apres": after,
            "cout_investissement": places * inv,
            "cout_fonctionnement": places * op,
        }
    )
    out["rang_besoins"] = out["indice_besoins"].rank(ascending=False, method="min").astype(int)
    out = out[[
        "commune", "nom", "indice_besoins", "rang_besoins", "enfants_0_2", "places_actuelles",
        "couverture_avant", "places_nouvelles", "blocs", "couverture_apres",
        "cout_investissement", "cout_fonctionnement",
    ]]  # fmt: skip
    used_inv = float(out["cout_investissement"].sum())
    used_op = float(out["cout_fonctionnement"].sum())
    out["raison"] = _reasons(out, blocks_max, size, target, kids, need, inv, op, investment_budget - used_inv, operating_budget - used_op)  # fmt: skip
    out = out.sort_values(["rang_besoins", "commune"]).reset_index(drop=True)
    chosen = out[out["places_nouvelles"] > 0]
    raisons = chosen["raison"].tolist()
    if status == OPTIMAL and chosen.empty:
        status = NOTHING
        messages.append(_nothing_text(out, size, inv, op, blocks_max, investment_budget, operating_budget))  # fmt: skip
    if status in (OPTIMAL, LIMIT):
        messages.append(
            f"Budget restant : {_eur(investment_budget - used_inv)} d'investissement, "
            f"{_eur(operating_budget - used_op)} de fonctionnement par an."
        )
    return Proposal(
        places=out,
        budget_investissement=float(investment_budget),
        budget_fonctionnement=float(operating_budget),
        investissement_utilise=used_inv,
        fonctionnement_utilise=used_op,
        objectif=objective,
        statut=status,
        raisons=raisons,
        messages=messages,
    )


def _empty(c: pd.DataFrame, inv_b: float, op_b: float, messages: list[str]) -> Proposal:
    cols = ["commune", "nom", "indice_besoins", "rang_besoins", "enfants_0_2", "places_actuelles",
            "couverture_avant", "places_nouvelles", "blocs", "couverture_apres",
            "cout_investissement", "cout_fonctionnement", "raison"]  # fmt: skip
    return Proposal(pd.DataFrame(columns=cols), inv_b, op_b, 0.0, 0.0, 0.0, NOTHING, [], messages)


def _reasons(
    out: pd.DataFrame, blocks_max: np.ndarray, size: np.ndarray, target: np.ndarray,
    kids: np.ndarray, need: np.ndarray, inv: np.ndarray, op: np.ndarray,
    inv_left: float, op_left: float,
) -> list[str]:  # fmt: skip
    """French reason of every commune's allocation (or of its absence)."""
    n_total = len(out)
    reasons = []
    for i, r in enumerate(out.itertuples(index=False)):
        rank = f"{_rank(int(r.rang_besoins))} rang sur {n_total}"
        need_txt = f"indice de besoins {_num(r.indice_besoins, 1 if r.indice_besoins < 10 else 0)}"
        cov = f"couverture {_num(r.couverture_avant)} → {_num(r.couverture_apres)}"
        if r.places_nouvelles > 0:
            bloc = f" ({r.blocs} bloc{'s' if r.blocs > 1 else ''} de {int(size[i])})" if size[i] > 1 else ""  # fmt: skip
            reasons.append(
                f"{r.places_nouvelles} places à {r.nom}{bloc} : {need_txt} ({rank}), {cov} ; "
                f"{_eur(r.cout_investissement)} d'investissement, "
                f"{_eur(r.cout_fonctionnement)} de fonctionnement par an."
            )
            continue
        if kids[i] <= 0:
            why = "aucun enfant de moins de 3 ans"
        elif blocks_max[i] < 1:
            if np.isfinite(target[i]) and r.couverture_avant >= target[i] - 1e-9:
                why = f"couverture {_num(r.couverture_avant)} déjà au niveau de la cible ({_num(target[i])})"  # fmt: skip
            elif np.isfinite(target[i]):
                why = f"un bloc de {int(size[i])} places dépasserait la couverture cible ({_num(target[i])})"  # fmt: skip
            else:
                why = "aucune place nouvelle possible (places_max)"
        elif need[i] <= 0:
            why = "indice de besoins nul"
        elif inv[i] * size[i] > inv_left + 1e-6 or op[i] * size[i] > op_left + 1e-6:
            why = "budget épuisé : les places y apportent moins de couverture pondérée par euro"
        else:
            why = "gain pondéré plus faible que celui des communes retenues"
        reasons.append(f"Pas de place à {r.nom} : {need_txt} ({rank}) ; {why}.")
    return reasons


def _nothing_text(
    out: pd.DataFrame, size: np.ndarray, inv: np.ndarray, op: np.ndarray,
    blocks_max: np.ndarray, inv_b: float, op_b: float,
) -> str:  # fmt: skip
    possible = blocks_max >= 1
    if not possible.any():
        return (
            "Aucune place proposée : aucune commune n'a de place possible (places maximales "
            "nulles ou couverture cible déjà atteinte)."
        )
    cheapest_inv = float((inv * size)[possible].min())
    cheapest_op = float((op * size)[possible].min())
    if cheapest_inv > inv_b:
        return (
            f"Aucune place proposée : le plus petit bloc possible coûte {_eur(cheapest_inv)} "
            f"d'investissement, au-delà du budget de {_eur(inv_b)}."
        )
    if cheapest_op > op_b:
        return (
            f"Aucune place proposée : le plus petit bloc possible coûte {_eur(cheapest_op)} de "
            f"fonctionnement par an, au-delà du budget de {_eur(op_b)}."
        )
    return "Aucune place proposée : aucun bloc ne tient dans les deux budgets à la fois."


def _infeasible_text(
    res: Any, min_places: int | None, size: np.ndarray, inv: np.ndarray, op: np.ndarray,
    blocks_max: np.ndarray, inv_b: float, op_b: float,
) -> str:  # fmt: skip
    if min_places is not None:
        # the most places the budgets allow (an upper bound, ignoring blocks' integrality)
        per_place = np.maximum(inv / max(inv_b, 1e-9), op / max(op_b, 1e-9))
        order = np.argsort(per_place)
        cap, used = 0.0, 0.0
        for j in order:
            room = blocks_max[j] * size[j]
            if per_place[j] <= 0:
                cap += room
                continue
            take = min(room, (1 - used) / per_place[j])
            cap += take
            used += take * per_place[j]
            if used >= 1 - 1e-9:
                break
        return (
            f"Problème infaisable : impossible d'ouvrir au moins {min_places} places avec un "
            f"budget de {_eur(inv_b)} d'investissement et {_eur(op_b)} de fonctionnement par "
            f"an (au plus environ {_num(math.floor(cap))} places finançables)."
        )
    return f"Problème infaisable (HiGHS : {res.message})."


# -- candidates from a scenario ---------------------------------------------------------------------
def candidates_from_scenario(
    territory: Any,
    scenario: Any,
    needs: pd.Series,
    *,
    annee: int | None = None,
    levier: str = "creche_psu",
    places_max: float = 60,
    taille_bloc: int = 12,
    couverture_cible: float | None = None,
    communes: Iterable[str] | None = None,
    perimetre: str | None = None,
) -> tuple[pd.DataFrame, list[str]]:
    """Candidates of a scenario's territory, with net costs from the CNAF rules.

    Children: projected at the end of the horizon. Current places: after the scenario's
    levers. Investment per place: the scenario's ``investissement_par_place`` minus the PIAJE
    aid (tier and coverage of each commune). Operating cost per place: the commune's
    remaining charge for a new place opened in `annee` (default: the horizon's first year),
    the PSU being paid on the place's billed hours (heures d'ouverture × taux d'occupation ×
    taux de facturation of the hypotheses);
    both are the commune's share (``part_commune``), as its budgets are the constraints.
    `needs`: the needs index by commune code (e.g. the diagnostic's); communes without one are
    left out. Returns (candidates, French notes).
    """
    from . import rules
    from .scenario import FRR_FULL, simulate
    from .scenario.costs import _unit_funding

    if levier != "creche_psu":
        raise OptimisationError(
            f"Levier {quote(levier)} : les coûts nets par place ne sont calculés que pour les "
            "crèches PSU (creche_psu)."
        )
    inv_cost = scenario.hypotheses["investissement_par_place"].get(levier)
    if inv_cost is None:
        raise OptimisationError(
            "Coût d'investissement par place manquant : ajoutez « investissement_par_place: "
            "{creche_psu: …} » aux hypothèses du scénario."
        )
    params = rules.load_parameters()
    result = simulate(territory, scenario, perimetre=perimetre, params=params)
    year = int(annee or scenario.debut)
    cap = result.capacite
    fin = cap[(cap["niveau"] == "commune") & (cap["annee"] == scenario.fin)].set_index("code")
    base = cap[(cap["niveau"] == "commune") & (cap["annee"] == scenario.annee_base)]
    base = base.set_index("code")["taux_couverture"]
    codes = list(fin.index if communes is None else [c for c in communes if c in fin.index])
    notes = []
    needs = pd.Series(needs)
    needs.index = needs.index.astype(str)
    missing = [c for c in codes if c not in needs.index or pd.isna(needs.get(c))]
    if missing:
        notes.append(
            f"{len(missing)} commune(s) sans indice de besoins laissée(s) de côté "
            f"({', '.join(missing[:5])}{'…' if len(missing) > 5 else ''})"
        )
        codes = [c for c in codes if c not in missing]
    hyp = scenario.hypotheses
    frr = territory.zonages.set_index("commune")["frr"].reindex(codes).isin(FRR_FULL)
    seuil = params.get("investissement.piaje_seuil_couverture", f"{year}-01-01")
    low = base.reindex(codes).lt(float(seuil.value)) if seuil is not None else pd.Series(False, index=codes)  # fmt: skip
    units: dict[tuple[str, bool], dict[str, float]] = {}
    for tier_key in {(("qpv_frr" if f else hyp["tranche_territoire"]), bool(lo)) for f, lo in zip(frr, low, strict=True)}:  # fmt: skip
        tier, low_cov = tier_key
        key = (levier, "ouvrir", hyp["cout_par_place"].get(levier, 16000.0), hyp["taux_occupation"],
               hyp["participation_horaire"], hyp["gestionnaire"], float(inv_cost), tier, low_cov,
               hyp["taux_facturation"])  # fmt: skip
        units[tier_key], _ = _unit_funding(key, year, scenario, params)
    tiers = [("qpv_frr" if f else hyp["tranche_territoire"], bool(lo)) for f, lo in zip(frr, low, strict=True)]  # fmt: skip
    out = pd.DataFrame(
        {
            "commune": codes,
            "nom": fin.loc[codes, "nom"].to_numpy(),
            "enfants_0_2": fin.loc[codes, "enfants_0_2"].to_numpy(),
            "places_actuelles": fin.loc[codes, "places_total"].to_numpy(),
            "indice_besoins": needs.reindex(codes).to_numpy(dtype=float),
            "places_max": float(places_max),
            "taille_bloc": int(taille_bloc),
            "cout_investissement_place": [units[t]["investissement_commune"] for t in tiers],
            "cout_fonctionnement_place": [units[t]["reste_commune"] for t in tiers],
        }
    )
    if couverture_cible is not None:
        out["couverture_cible"] = float(couverture_cible)
    notes.append(
        f"coûts nets pour la commune d'une place de crèche PSU ouverte en {year} : "
        "investissement moins l'aide PIAJE, fonctionnement moins familles, PSU (versée sur les "
        f"heures facturées, taux de facturation {fmt_pct(float(hyp['taux_facturation']))}), "
        "bonus et cofinancements (règles CNAF datées ; certaines valeurs sont « à vérifier »)"
    )
    return out, notes
