"""Building the diagnostic of one territory (:func:`diagnose`): the indicator table, the
inclusion diagnostic and needs index, the SPPE duties, strengths, points of vigilance and
limits, gathered in a :class:`.model.Diagnostic`.

Layer « diagnostic »; imports indicateurs, the socle and the other submodules.
"""

from __future__ import annotations

import warnings

from ..errors import TerritoireError
from ..french import number as fr_number
from ..geo import TerritoryCodeRemark
from ..indicators import indicator_table, load_catalogue_full, sppe_strata
from .common import VERIFY_TEXT
from .inclusion import _inclusion
from .model import Diagnostic
from .needs import needs_method_text
from .sppe import _sppe_text, sppe_communes, sppe_duties
from .texts import _context, _limits, _summary, strengths


# -- entry point ------------------------------------------------------------------------------
def diagnose(territory, code: str, year: int | None = None) -> Diagnostic:
    """The diagnostic of one territory (commune, EPCI, département, perimeter code).

    ``year``: the diagnostic's year; each indicator takes its latest year not after it
    (``None``: the latest data). An unknown code raises a French error; an int code is
    accepted, and a lost leading zero restored with a remark (in :attr:`Diagnostic.limites`).
    """
    geo = territory.geography
    code, code_remark = geo.resolve_code(code)
    if code_remark:
        warnings.warn(code_remark, TerritoryCodeRemark, stacklevel=2)
    level = geo.level_of(code)
    name = geo.name_of(code)
    members = [str(c) for c in geo.members(code)]
    if year is not None:
        try:
            year = int(year)
        except (TypeError, ValueError):
            raise TerritoireError(
                f"Année invalide : « {year} ». Attendu une année sur 4 chiffres, par exemple 2023."
            ) from None
    cat = load_catalogue_full()
    table = indicator_table(territory, code, year=year)
    dep = table["departement"].dropna()
    dep = str(dep.iloc[0]) if len(dep) else None
    dep_name = geo.name_of(dep) if dep else None
    inclusion, comp_years = _inclusion(territory, members, year)
    vigilances = [s for a in table["alertes"] for s in a]
    ranked = inclusion.dropna(subset=["indice_besoins"])
    if len(members) > 1 and len(ranked):
        top = ranked.head(3)
        names = ", ".join(
            f"{n} ({fr_number(v)})" for n, v in zip(top["nom"], top["indice_besoins"], strict=True)
        )
        vigilances.append(
            f"Communes aux besoins les plus marqués (indice de besoins sur 100) : {names}."
        )
    sppe = sppe_duties(sppe_communes(territory, members, year))
    strata = sppe_strata()
    counts = sppe["strate"].value_counts()
    top_stratum = strata.strata[-1]
    n_top = int(counts.get(top_stratum.code, 0))
    if n_top:
        who = (
            f"commune de {top_stratum.label.lower()}"
            if level == "commune"
            else f"{n_top} commune{'s' if n_top > 1 else ''} de {top_stratum.label.lower()}"
        )
        previous = strata.strata[-2].duties if len(strata.strata) > 1 else ()
        extra = [d[0].lower() + d[1:] for d in top_stratum.duties if d not in previous]
        vigilances.append(
            f"Service public de la petite enfance : {who} ; obligations propres à cette strate : "
            + " ; ".join(extra)
            + "."
        )
    sppe_text = _sppe_text(sppe, strata, level, members, territory, code)
    status = "" if strata.status.startswith("confirm") else f" ({VERIFY_TEXT})"
    return Diagnostic(
        code=code,
        niveau=level,
        nom=name,
        annee=year,
        fictif=bool(territory.fictional),
        departement=dep,
        departement_nom=dep_name,
        communes=members,
        table=table,
        contexte=_context(territory, table, code, level, name, members),
        resume=_summary(table, level, name, len(members)),
        atouts=strengths(table),
        vigilances=vigilances,
        limites=[code_remark, *_limits(table, level, territory)]
        if code_remark
        else _limits(table, level, territory),
        inclusion=inclusion,
        methode_indice=needs_method_text(comp_years),
        sppe=sppe,
        sppe_territoire=sppe_text,
        sppe_source=f"{strata.source} (seuils en vigueur au {strata.date}){status}",
        themes=dict(cat.themes),
        territory=territory,
    )
