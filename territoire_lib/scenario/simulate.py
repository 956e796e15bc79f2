"""Simulation of a scenario on a loaded territory: the perimeter and its communes, the places
of the base year, the levers year by year (closures checked), the projected children, the
coverage rates, then the costs (:mod:`.costs`) and SPPE duties (:mod:`.sppe`) gathered in a
:class:`~territoire_lib.scenario.result.ScenarioResult`.

Layer: scénarios. Imports the core layer (errors, geo), :mod:`territoire_lib.sources.reading`,
:mod:`territoire_lib.demography`, :mod:`territoire_lib.key_figures` (the published rate),
:mod:`territoire_lib.rules` and :mod:`.schema`, :mod:`.spec`,
:mod:`.costs`, :mod:`.sppe`, :mod:`.result`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .. import rules
from ..demography import UNDER3, Projection, project_children
from ..errors import DataError, Issue, quote
from ..geo import UnknownTerritoryError
from ..sources.reading import STATUT_ESTIME
from .costs import _cost_frame, _costs
from .result import ScenarioResult, fmt
from .schema import _UNSOURCED_DEFAULTS, LEVERS, ScenarioError
from .spec import Scenario
from .sppe import _sppe

BASE_VARIABLES = [
    "places_eaje_psu",
    "places_eaje_hors_psu",
    "places_assistantes_maternelles",
    "places_prescolarisation",
    "places_garde_domicile",
    "places_total",
]

CAPACITY_COLUMNS = [
    "annee",
    "niveau",
    "code",
    "nom",
    "places_eaje_psu",
    "places_eaje_hors_psu",
    "places_assistantes_maternelles",
    "places_prescolarisation",
    "places_garde_domicile",
    "places_total",
    "places_creees",
    "enfants_0_2",
    "taux_couverture",
    "taux_couverture_eaje",
    "places_alsh",
    "enfants_3_10",
    "taux_alsh",
    "places_bas_revenus",
    "places_handicap",
    "places_garanties_insertion",
    "part_estimee",
]


def _perimeter(territory: Any, scenario: Scenario, perimetre: str | None) -> tuple[str, list[str]]:
    code = perimetre or scenario.territoire
    try:
        code = territory.geography.code(code)  # an int code (Papermill) is accepted
        members = territory.geography.members(code)
    except UnknownTerritoryError:
        if perimetre:
            raise
        raise DataError(
            Issue(
                Path(scenario.fichier or "scénario").name,
                f"le territoire {quote(code)}, inconnu des données chargées",
                "un code commune, EPCI, département ou périmètre CTG des données "
                f"« {territory.name} »",
                line=scenario.lignes.get(("territoire",)),
                column="territoire",
            )
        ) from None
    if not members:
        raise ScenarioError(f"Le territoire « {code} » ne contient aucune commune.")
    return code, members


def _base_places(
    territory: Any, members: list[str], base_year: int
) -> tuple[pd.DataFrame, int, pd.Series]:
    """Places of every mode per commune at the latest year ≤ base year; estimated flags."""
    obs = territory.observations
    sel = obs[obs["variable"].isin(BASE_VARIABLES)]
    if len(members) < len(territory.geography.communes):
        sel = sel[sel["commune"].isin(members)]
    years = sorted(sel["annee"].unique().tolist())
    if not years:
        raise ScenarioError(
            "Aucune donnée de places d'accueil (Cafdata, « nbpla_pe ») pour les communes du "
            "scénario : la capacité de départ ne peut pas être établie."
        )
    usable = [y for y in years if y <= base_year]
    year = max(usable) if usable else min(years)
    sel = sel[sel["annee"] == year]
    wide = sel.pivot_table(index="commune", columns="variable", values="valeur", aggfunc="sum")
    wide = wide.reindex(index=members, columns=BASE_VARIABLES).fillna(0.0)
    estimated = sel[sel["statut"] == STATUT_ESTIME].groupby("commune").size()
    flag = pd.Series(members, index=members).isin(estimated.index)
    return wide, int(year), flag


def _lever_years(levers: pd.DataFrame, members: list[str], years: list[int], variable: str, places_am: float) -> pd.DataFrame:  # fmt: skip
    """Cumulated signed places of one variable: communes × years."""
    kinds = [k for k, v in LEVERS.items() if v.variable == variable]
    sel = levers[levers["levier"].isin(kinds)]
    cum = pd.DataFrame(0.0, index=members, columns=years)
    if sel.empty:
        return cum
    places = sel["places"].fillna(sel["assistantes"] * places_am)
    sign = np.where(sel["action"] == "fermer", -1.0, 1.0)
    delta = pd.DataFrame({"commune": sel["commune"], "annee": sel["annee"].astype(int), "d": places * sign})  # fmt: skip
    piv = delta.pivot_table(index="commune", columns="annee", values="d", aggfunc="sum")
    piv = piv.reindex(index=members, columns=years).fillna(0.0)
    return cum.add(piv.cumsum(axis=1), fill_value=0.0)


def simulate(
    territory: Any,
    scenario: Scenario,
    *,
    perimetre: str | None = None,
    params: rules.ParameterSet | None = None,
    projection: Projection | None = None,
) -> ScenarioResult:
    """Simulate a scenario on a loaded territory.

    `perimetre`: another territory code to report on (e.g. a notebook's EPCI); levers outside
    it are then left out with a note. Without it, a lever outside the scenario's territory is
    an error naming its line. `projection`: a precomputed children projection (sensitivity).
    """
    params = params or rules.load_parameters()
    file = Path(scenario.fichier or "scénario").name
    code, members = _perimeter(territory, scenario, perimetre)
    geo = territory.geography
    member_set = set(members)
    known = set(geo.communes["code"])
    notes: list[str] = []
    issues: list[Issue] = []
    hyp = scenario.hypotheses
    lines = scenario.lignes

    # levers: known communes, inside the perimeter
    levers = scenario.leviers.copy()
    if len(levers):
        unknown = ~levers["commune"].isin(known)
        for _, row in levers[unknown].head(50).iterrows():
            issues.append(
                Issue(
                    file,
                    f"la commune {quote(row['commune'])}, inconnue des données « {territory.name} »",
                    "un code commune du territoire du scénario",
                    line=_lever_line(row, "commune", lines),
                    column=f"leviers › {_lever_index(row, levers)} › commune",
                )
            )
        outside = ~unknown & ~levers["commune"].isin(member_set)
        if outside.any() and perimetre is None:
            for _, row in levers[outside].head(50).iterrows():
                issues.append(
                    Issue(
                        file,
                        f"la commune {quote(row['commune'])}, hors du territoire du scénario",
                        f"une commune de « {geo.name_of(code)} » ({len(members)} communes)",
                        line=_lever_line(row, "commune", lines),
                        column=f"leviers › {_lever_index(row, levers)} › commune",
                    )
                )
        elif outside.any():
            notes.append(
                f"{int(outside.sum())} levier(s) hors du territoire « {geo.name_of(code)} » "
                "laissé(s) de côté"
            )
        levers = levers[~unknown & ~outside].reset_index(drop=True)
    for key in ("places_alsh_existantes", "rpe_existants"):
        for c in hyp[key]:
            if c not in known:
                issues.append(
                    Issue(
                        file,
                        f"la commune {quote(c)}, inconnue des données « {territory.name} »",
                        "un code commune du territoire",
                        line=lines.get(("hypotheses", key, c)) or lines.get(("hypotheses", key)),
                        column=f"hypotheses › {key}",
                    )
                )
    growth = hyp["croissance_naissances"]
    if isinstance(growth, dict):
        epcis = set(geo.communes["epci"])
        for c in growth:
            if c not in known and c not in epcis:
                issues.append(
                    Issue(
                        file,
                        f"le code {quote(c)}, ni commune ni EPCI des données",
                        "un code commune ou EPCI du territoire",
                        line=lines.get(("hypotheses", "croissance_naissances", c)),
                        column="hypotheses › croissance_naissances",
                    )
                )
    if issues:
        raise DataError(issues)

    years = [scenario.annee_base, *scenario.years]
    horizon = scenario.years
    base, places_year, estimated = _base_places(territory, members, scenario.annee_base)
    if places_year != scenario.annee_base:
        notes.append(
            f"capacité de départ : places de décembre {places_year} (dernière année publiée "
            f"au plus tard en {scenario.annee_base})"
        )
    if estimated.any():
        notes.append(
            f"places de {int(estimated.sum())} commune(s) estimées par repli sur l'EPCI "
            "(communes de moins de 10 000 habitants, Cafdata) : à vérifier localement"
        )

    # children: the coverage of year Y divides the places of December Y by the children under
    # 3 on 1 January Y+1 (Onape method), as every other coverage figure does
    if projection is None:
        if isinstance(growth, dict):
            growth = {c: r for c, r in growth.items()}
        projection = project_children(territory, scenario.fin + 1, communes=members, growth=growth)  # fmt: skip
    kids02 = _under3_next_january(territory, projection, members, years)
    kids310 = projection.band("pop_3_10", years).reindex(members)
    if projection.last_census < scenario.fin + 1:
        notes.append(
            f"enfants de moins de 3 ans au 1er janvier suivant chaque année : recensement "
            f"{projection.last_census}, puis naissances et projection jusqu'au 1er janvier "
            f"{scenario.fin + 1} (voir la méthode)"
        )
    notes.extend(_published_base_rate(territory, code, places_year, base, kids02))

    # capacities
    places_am = float(hyp["places_par_assistante"])
    cum = {
        var: _lever_years(levers, members, years, var, places_am)
        for var in (
            "places_eaje_psu",
            "places_eaje_hors_psu",
            "places_assistantes_maternelles",
            "places_alsh",
        )  # fmt: skip
    }
    alsh_base = pd.Series(hyp["places_alsh_existantes"], dtype=float).reindex(members).fillna(0.0)
    cap: dict[str, pd.DataFrame] = {}
    for var in ("places_eaje_psu", "places_eaje_hors_psu", "places_assistantes_maternelles"):
        cap[var] = cum[var].add(base[var], axis=0)
    cap["places_alsh"] = cum["places_alsh"].add(alsh_base, axis=0)
    for var in ("places_prescolarisation", "places_garde_domicile"):
        cap[var] = pd.DataFrame(
            np.repeat(base[var].to_numpy()[:, None], len(years), axis=1),
            index=members,
            columns=years,
        )
    created = cum["places_eaje_psu"] + cum["places_eaje_hors_psu"] + cum["places_assistantes_maternelles"]  # fmt: skip
    cap["places_total"] = created.add(base["places_total"], axis=0)
    cap["places_creees"] = created
    cap["_places_am"] = places_am
    _check_closures(levers, cap, lines, file)
    del cap["_places_am"]

    shares = hyp["part_enfants_bas_revenus"]
    am_share = shares.get("assistantes_maternelles", 0.0)
    cap["places_bas_revenus"] = (
        cap["places_eaje_psu"] * shares.get("creche_psu", 0.0)
        + cap["places_eaje_hors_psu"] * shares.get("micro_creche_paje", 0.0)
        + cap["places_assistantes_maternelles"] * am_share
        + cap["places_garde_domicile"] * shares.get("garde_domicile", 0.0)
    )
    if "mam" in shares:  # MAM places: their own share instead of the childminders' one
        mam = _lever_years(levers[levers["levier"] == "mam"], members, years, "places_assistantes_maternelles", places_am)  # fmt: skip
        cap["places_bas_revenus"] += mam * (shares["mam"] - am_share)
    eaje = cap["places_eaje_psu"] + cap["places_eaje_hors_psu"]
    cap["places_handicap"] = eaje * float(hyp["part_enfants_handicap"])
    cap["places_garanties_insertion"] = np.ceil(cap["places_eaje_psu"].clip(lower=0) / 20 - 1e-9)
    if (
        float(hyp["part_enfants_handicap"]) == 0
        and "part_enfants_handicap" not in scenario.explicit
    ):
        notes.append(
            "part des places d'EAJE occupées par des enfants en situation de handicap non "
            "renseignée (hypothèse part_enfants_handicap) : comptée 0"
        )
    cap["enfants_0_2"] = kids02
    cap["enfants_3_10"] = kids310
    cap["places_eaje"] = eaje
    capacite = _capacity_frame(cap, base, estimated, members, years, code, geo)

    # costs of the levers
    couts, lever_table, flags, line_flags, used_defaults = _costs(
        levers, members, horizon, scenario, territory, capacite, params
    )
    couts = _cost_frame(couts, members, horizon, code, geo)
    # over the horizon: a value carried forward past its documented date says so
    period = (f"{horizon[0]}-01-01", f"{horizon[-1]}-12-31") if horizon else ()
    a_verifier = params.describe(flags, *period)
    for key in used_defaults:
        a_verifier.append(f"hypothèse par défaut non sourcée : {_UNSOURCED_DEFAULTS[key]} ({key})")
    if not hyp["ctg"]:
        notes.append("pas de CTG signée : pas de bonus territoire pour les places nouvelles")
    sppe = _sppe(territory, members, levers, horizon, hyp)
    return ScenarioResult(
        scenario=scenario,
        perimetre=code,
        nom_perimetre=geo.name_of(code),
        annee_base=scenario.annee_base,
        annee_places=places_year,
        capacite=capacite,
        couts=couts,
        leviers=lever_table,
        sppe=sppe,
        demographie=projection,
        a_verifier=a_verifier,
        dispositifs_a_verifier=sorted(line_flags),
        notes=notes + projection.notes,
    )


def _under3_next_january(
    territory: Any, projection: Projection, members: list[str], years: list[int]
) -> pd.DataFrame:
    """Children under 3 on 1 January Y+1, communes × years Y: the loaded estimates (the
    coverage denominator of the indicators, :data:`demography.UNDER3`) where they exist, the
    projection beyond — so the base year's rate is the indicators' recomputed rate."""
    kids = projection.band("pop_0_2", [y + 1 for y in years]).reindex(members)
    kids.columns = years
    obs = territory.observations
    est = obs[(obs["variable"] == UNDER3) & obs["commune"].isin(members)]
    if len(est):
        loaded = est.pivot_table(index="commune", columns="annee", values="valeur", aggfunc="sum")
        loaded = loaded.reindex(index=members, columns=[y + 1 for y in years])
        loaded.columns = years
        kids = loaded.where(loaded.notna(), kids)
    return kids


def _published_base_rate(
    territory: Any, code: str, year: int, base: pd.DataFrame, kids02: pd.DataFrame
) -> list[str]:
    """A note giving the Cnaf's published rate of the base year beside the recomputed one."""
    from ..key_figures import _published_rate

    published = _published_rate(territory, code).get(year)
    if published is None or pd.isna(published) or year not in kids02.columns:
        return []
    kids = float(kids02[year].sum())
    if not kids > 0:
        return []
    rate = 100 * float(base["places_total"].sum()) / kids
    return [
        f"taux de couverture de décembre {year} : {fmt(published, 1)} publié par la Cnaf, "
        f"{fmt(rate, 1)} recalculé (enfants au 1er janvier {year + 1}) ; les années du "
        "scénario sont recalculées de la même façon"
    ]


def _lever_line(row: pd.Series, key: str, lines: dict) -> int | None:
    """Line of a lever's key in the file (else of the lever itself)."""
    rank = row.get("rang")
    if rank is not None and not pd.isna(rank) and ("leviers", int(rank), key) in lines:
        return lines[("leviers", int(rank), key)]
    line = row.get("ligne")
    return None if line is None or pd.isna(line) else int(line)


def _lever_index(row: pd.Series, levers: pd.DataFrame) -> int:
    rank = row.get("rang")
    return 0 if rank is None or pd.isna(rank) else int(rank)


def _check_closures(levers: pd.DataFrame, cap: dict, lines: dict, file: str) -> None:
    """A closure may not take a mode below zero places."""
    issues = []
    names = {
        "places_eaje_psu": "places de crèche PSU",
        "places_eaje_hors_psu": "places de micro-crèche PAJE",
        "places_assistantes_maternelles": "places chez les assistantes maternelles et en MAM",
        "places_alsh": "places d'ALSH",
    }
    for var, label in names.items():
        frame = cap[var]
        neg = frame.lt(-1e-6)
        if not neg.to_numpy().any():
            continue
        for commune in frame.index[neg.any(axis=1)][:50]:
            year = int(neg.columns[neg.loc[commune].to_numpy().argmax()])
            kinds = [k for k, v in LEVERS.items() if v.variable == var]
            closing = levers[
                levers["levier"].isin(kinds)
                & (levers["commune"] == commune)
                & (levers["action"] == "fermer")
                & (levers["annee"] <= year)
            ]
            row = closing.iloc[-1] if len(closing) else None
            key = "places" if row is None or pd.notna(row["places"]) else "assistantes"
            left = float(frame.loc[commune, year])
            issues.append(
                Issue(
                    file,
                    f"une fermeture qui laisse {fmt(left, 1)} {label} à {commune} en {year}",
                    "une fermeture d'au plus les places existantes cette année-là "
                    f"({fmt(max(left + _closed(row, cap), 0), 1)})",
                    line=None if row is None else _lever_line(row, key, lines),
                    column=None
                    if row is None
                    else f"leviers › {_lever_index(row, levers)} › {key}",
                )
            )
    if issues:
        raise DataError(issues)


def _closed(row: pd.Series | None, cap: dict) -> float:
    """Places a closing lever removes (childminders × places each)."""
    if row is None:
        return 0.0
    if pd.notna(row["places"]):
        return float(row["places"])
    return float(row["assistantes"]) * cap["_places_am"]


def _capacity_frame(
    cap: dict, base: pd.DataFrame, estimated: pd.Series, members: list[str], years: list[int],
    code: str, geo: Any,
) -> pd.DataFrame:  # fmt: skip
    n, y = len(members), len(years)
    count_cols = [
        "places_eaje_psu",
        "places_eaje_hors_psu",
        "places_assistantes_maternelles",
        "places_prescolarisation",
        "places_garde_domicile",
        "places_total",
        "places_creees",
        "enfants_0_2",
        "places_alsh",
        "enfants_3_10",
        "places_bas_revenus",
        "places_handicap",
        "places_garanties_insertion",
        "places_eaje",
    ]
    # year-major order: every commune for the base year, then the next year…
    data = {"annee": np.repeat(years, n), "code": np.tile(members, y)}
    for col in count_cols:
        data[col] = cap[col].reindex(index=members, columns=years).to_numpy().T.reshape(-1)
    communes = pd.DataFrame(data)
    est_places = base["places_total"].where(estimated, 0.0)
    communes["_est"] = np.tile(est_places.reindex(members).to_numpy(), y)
    per = communes.groupby("annee", sort=True)[[*count_cols, "_est"]].sum(min_count=1).reset_index()
    per.insert(1, "code", code)
    per.insert(1, "niveau", "périmètre")
    per.insert(3, "nom", geo.name_of(code))
    names = geo.communes.set_index("code")["nom"]
    communes.insert(1, "niveau", "commune")
    communes.insert(3, "nom", communes["code"].map(names))
    out = pd.concat([per, communes], ignore_index=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        out["taux_couverture"] = 100 * out["places_total"] / out["enfants_0_2"]
        out["taux_couverture_eaje"] = 100 * out["places_eaje"] / out["enfants_0_2"]
        out["taux_alsh"] = 100 * out["places_alsh"] / out["enfants_3_10"]
        base_total = out["places_total"] - out["places_creees"]
        out["part_estimee"] = (out["_est"] / base_total).where(base_total > 0, 0.0)
    for col in ("taux_couverture", "taux_couverture_eaje", "taux_alsh"):
        out[col] = out[col].replace([np.inf, -np.inf], np.nan)
    return out[CAPACITY_COLUMNS]
