"""Scenarios side by side and under stress: the comparison table of key figures (and its
French formats), coverage trajectories and funding frames for charts, the national reference
rate, and the sensitivity of one indicator to each main hypothesis (tornado chart).

Layer: scénarios. Imports the core layer (errors), :mod:`territoire_lib.demography`,
:mod:`territoire_lib.rules` and :mod:`.schema`, :mod:`.spec`, :mod:`.result`, :mod:`.simulate`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

import pandas as pd

from .. import rules
from ..demography import project_children
from ..errors import quote
from .result import INDICATOR_LABELS, ScenarioResult, fr
from .schema import ScenarioError
from .simulate import simulate
from .spec import Scenario


# -- comparison and sensitivity -------------------------------------------------------------------
def compare(results: Sequence[ScenarioResult] | Mapping[str, ScenarioResult]) -> pd.DataFrame:
    """Scenarios side by side: one row per key figure (French labels), one column each."""
    items = results.items() if isinstance(results, Mapping) else [(r.nom, r) for r in results]
    columns = {}
    for name, res in items:
        label, i = name, 2
        while label in columns:
            label, i = f"{name} ({i})", i + 1
        columns[label] = res.indicateurs()
    frame = pd.DataFrame(columns)
    frame.index = [INDICATOR_LABELS[k] for k in frame.index]
    frame.index.name = "indicateur"
    return frame


def format_comparison(table: pd.DataFrame) -> pd.DataFrame:
    """:func:`compare`'s table with French number formats (rates with one decimal)."""
    out = table.copy().astype(object)
    for label in table.index:
        decimals = 1 if "Taux" in label or "handicap" in label else 0
        out.loc[label] = [fr(v, decimals) for v in table.loc[label]]
    return out


def trajectory(results: Iterable[ScenarioResult], code: str | None = None) -> pd.DataFrame:
    """Coverage by year of each scenario (annee, taux, scenario) for a trajectory chart."""
    frames = []
    for res in results:
        t = res.territoire(code)
        frames.append(
            pd.DataFrame({"annee": t["annee"], "taux": t["taux_couverture"], "scenario": res.nom})
        )
    return pd.concat(frames, ignore_index=True)


def funding_frame(
    results: Iterable[ScenarioResult], nature: str = "fonctionnement"
) -> pd.DataFrame:
    """Costs by funder per year and scenario (annee, financeur, montant, scenario)."""
    frames = []
    for res in results:
        c = res.couts_long()
        frames.append(c[c["nature"] == nature].assign(scenario=res.nom))
    return pd.concat(frames, ignore_index=True)


def france_reference(territory: Any) -> tuple[int, float] | None:
    """The latest published national coverage rate of the loaded data (year, value)."""
    ref = territory.reference("taux_couverture_publie", "france", "FR").dropna()
    if ref.empty:
        return None
    return int(ref.index[-1]), float(ref.iloc[-1])


SENSITIVITY_INDICATORS = {
    "reste_commune": "Reste à charge de la commune cumulé (€)",
    "financement_caf": "Financement CAF cumulé (€)",
    "cout_fonctionnement": "Coût de fonctionnement cumulé (€)",
    "taux_couverture_fin": "Taux de couverture en fin d'horizon",
}
DEFAULT_VARIATIONS = {
    # hypothesis: (kind, low, high) — kind: "absolu" (value added), "facteur" (multiplier),
    # "valeur" (value set)
    "taux_occupation": ("absolu", -0.10, 0.10),
    "cout_par_place": ("facteur", 0.8, 1.2),
    "taux_facturation": ("valeur", 1.00, 1.15),
    "participation_horaire": ("facteur", 0.8, 1.2),
    "croissance_naissances": ("absolu", -0.02, 0.02),
}
SENSITIVITY_LABELS = {
    "taux_occupation": "Taux d'occupation (± 10 points)",
    "cout_par_place": "Coût par place (± 20 %)",
    "taux_facturation": "Taux de facturation (100 % / 115 %)",
    "participation_horaire": "Participation des familles (± 20 %)",
    "croissance_naissances": "Croissance des naissances (± 2 points par an)",
}


def _vary(scenario: Scenario, key: str, kind: str, amount: float, central_growth: pd.Series) -> tuple[Scenario, Any]:  # fmt: skip
    """The scenario with one hypothesis moved (levers' own values move alike)."""
    hyp = scenario.hypotheses
    levers = scenario.leviers.copy()
    changes: dict[str, Any] = {}
    growth = None
    if key == "taux_occupation":

        def f(x):  # noqa: E306
            return min(max(x + amount, 0.01), 1.0) if kind == "absolu" else amount

        changes[key] = f(hyp[key])
        levers[key] = levers[key].map(lambda x: f(x) if pd.notna(x) else x)
    elif key == "cout_par_place":
        changes[key] = {m: v * amount for m, v in hyp[key].items()}
        changes["alsh"] = {**hyp["alsh"], "cout_horaire": hyp["alsh"]["cout_horaire"] * amount}
        levers[key] = levers[key] * amount
    elif key == "participation_horaire":
        changes[key] = hyp[key] * amount
        changes["alsh"] = {**hyp["alsh"], "participation_horaire": hyp["alsh"]["participation_horaire"] * amount}  # fmt: skip
        levers[key] = levers[key] * amount
    elif key == "taux_facturation":

        def g(x):  # noqa: E306
            return amount if kind == "valeur" else x * amount

        changes[key] = g(hyp[key])
        levers[key] = levers[key].map(lambda x: g(x) if pd.notna(x) else x)
    elif key == "croissance_naissances":
        growth = (central_growth + amount).clip(-0.5, 0.5)
    else:
        raise ScenarioError(
            f"Hypothèse {quote(key)} inconnue pour l'analyse de sensibilité : attendu "
            f"{', '.join(DEFAULT_VARIATIONS)}."
        )
    new_hyp = {**hyp, **changes}
    varied = replace(scenario, hypotheses=new_hyp, leviers=levers, explicit=scenario.explicit | set(changes))  # fmt: skip
    return varied, growth


def sensitivity(
    territory: Any,
    scenario: Scenario,
    indicateur: str = "reste_commune",
    variations: Mapping[str, tuple[str, float, float]] | None = None,
    *,
    perimetre: str | None = None,
    params: rules.ParameterSet | None = None,
) -> pd.DataFrame:
    """How much `indicateur` moves when each main hypothesis moves (one at a time).

    Returns hypothese, libelle, resultat_bas, resultat_central, resultat_haut, ecart (high −
    low), sorted by |ecart| descending — the bars of a tornado chart.
    """
    if indicateur not in SENSITIVITY_INDICATORS:
        raise ScenarioError(
            f"Indicateur {quote(indicateur)} inconnu : attendu {', '.join(SENSITIVITY_INDICATORS)}."
        )
    params = params or rules.load_parameters()
    variations = dict(variations or DEFAULT_VARIATIONS)
    central = simulate(territory, scenario, perimetre=perimetre, params=params)
    central_value = central.indicateurs()[indicateur]
    growth = central.demographie.hypotheses.set_index("commune")["taux_retenu"]
    rows = []
    for key, (kind, low, high) in variations.items():
        results = []
        for amount in (low, high):
            varied, g = _vary(scenario, key, kind, amount, growth)
            projection = None
            if g is not None:
                members = central.demographie.communes
                projection = project_children(territory, scenario.fin + 1, communes=members, growth=g)  # fmt: skip
            res = simulate(territory, varied, perimetre=perimetre, params=params, projection=projection)  # fmt: skip
            results.append(res.indicateurs()[indicateur])
        rows.append(
            {
                "hypothese": key,
                "libelle": SENSITIVITY_LABELS.get(key, key),
                "resultat_bas": results[0],
                "resultat_central": central_value,
                "resultat_haut": results[1],
                "ecart": results[1] - results[0],
            }
        )
    out = pd.DataFrame(rows)
    out = out.reindex(out["ecart"].abs().sort_values(ascending=False).index).reset_index(drop=True)
    out.attrs["indicateur"] = SENSITIVITY_INDICATORS[indicateur]
    return out
