"""Values of catalogue indicators computed from the data and stored in a plan.

:func:`fill_catalogue_indicators` computes every catalogue indicator of a CTG over the
communes of its fiche (else the CTG's territory) and records the values; its building blocks
(:func:`ctg_communes`, :func:`catalogue_values`, :func:`computed_source`) serve the demo CTG
too.

Layer: base partagée (``plan``). Imports the socle (``geo``), ``indicators`` (catalogue,
engine), and within ``plan`` :mod:`.errors`, :mod:`.models`, :mod:`.document`,
:mod:`.reading` and :mod:`.editing`.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Mapping

import pandas as pd
from sqlalchemy.orm import Session

from ..errors import TerritoireError
from .document import AUTO_USER, CtgSpec
from .editing import _catalogue, _set_user, record_value
from .errors import PlanError
from .models import Ctg
from .reading import get_ctg


# -- values computed from the data ---------------------------------------------------------------
def ctg_communes(ctg: Ctg | CtgSpec, geography) -> list[str]:
    """The communes of a CTG: its explicit perimeter, else those of its territory code."""
    communes = [c.commune for c in ctg.communes] if isinstance(ctg, Ctg) else list(ctg.communes)
    if communes:
        return sorted(communes)
    try:
        return list(geography.members(ctg.territory_code))
    except TerritoireError:
        raise PlanError(
            f"Le territoire « {ctg.territory_code} » de la CTG « {ctg.code} » est inconnu des "
            "données chargées : chargez les données de ce territoire (option --source) ou "
            "donnez la liste de ses communes."
        ) from None


def catalogue_values(
    territory, scopes: Mapping[str, Iterable[str]], indicator_ids: Iterable[str]
) -> pd.DataFrame:
    """Catalogue indicators over several sets of communes, every year with data.

    ``scopes`` maps a key to commune codes. One engine call for every scope (each becomes
    a perimeter of a copy of the geography). Returns columns ``perimetre, indicateur,
    annee, valeur, masque, motif_masque``; values as the engine computes them (ratios of
    sums), not rounded.
    """
    from ..geo import Geography, Perimeter
    from ..indicators import compute

    geo = territory.geography
    perimeters = {k: Perimeter(k, k, tuple(v)) for k, v in scopes.items() if tuple(v)}
    ids = sorted(set(indicator_ids))
    if not perimeters or not ids:
        return pd.DataFrame(
            columns=["perimetre", "indicateur", "annee", "valeur", "masque", "motif_masque"]
        )
    copy = Geography(geo.communes, geo.epcis, geo.departements, geo.regions, perimeters)
    view = dataclasses.replace(territory, geography=copy)
    out = compute(view, "perimetre", ids)
    out = out.rename(columns={"territoire": "perimetre"})
    for col in ("perimetre", "indicateur", "motif_masque"):
        out[col] = out[col].astype(str)
    out["annee"] = out["annee"].astype("int64")
    return out[["perimetre", "indicateur", "annee", "valeur", "masque", "motif_masque"]]


def computed_source(indicator, territory) -> str:
    """The source written next to a computed value."""
    tail = " ; données fictives de démonstration" if territory.fictional else ""
    return f"Calcul Territoire : {indicator.source}{tail}"


def fill_catalogue_indicators(
    session: Session, ctg: Ctg | str | int | None, territory, user: str = AUTO_USER
) -> pd.DataFrame:
    """Compute the realised values of every catalogue indicator of a CTG from the data, for
    every year available, and store them (rounded as the catalogue publishes them).

    An indicator is computed over the communes of its fiche when the fiche names some, else
    over the CTG's territory. Values computed earlier are refreshed; values entered by people
    are never overwritten. A baseline value left empty is filled from the data of its year.
    Masked values (statistical secrecy, too small a denominator) are not stored.

    Returns one row per indicator and year: ``fiche, indicateur, annee, valeur, action``
    (``ajoutée``, ``mise à jour``, ``inchangée``, ``saisie conservée``, ``masquée``).
    """
    _set_user(session, user)
    ctg = get_ctg(session, ctg)
    cat = _catalogue()
    geo = territory.geography
    base = ctg_communes(ctg, geo)
    inds = [i for f in ctg.fiches for i in f.indicators if i.catalogue_id]
    unknown = sorted({i.catalogue_id for i in inds} - set(cat))
    if unknown:
        raise PlanError(f"Indicateur(s) inconnu(s) du catalogue : {', '.join(unknown)}.")
    scopes: dict[str, tuple[str, ...]] = {}
    key_of: dict[int, str] = {}
    for ind in inds:
        communes = tuple(sorted(c.commune for c in ind.fiche.communes)) or tuple(base)
        key = "|".join(communes)
        scopes.setdefault(key, communes)
        key_of[ind.id] = key
    values = catalogue_values(territory, scopes, [i.catalogue_id for i in inds])
    by = {k: g for k, g in values.groupby(["perimetre", "indicateur"], observed=True)}
    report = []
    for ind in inds:
        meta = cat[ind.catalogue_id]
        rows = by.get((key_of[ind.id], ind.catalogue_id))
        if rows is None:
            continue
        source = computed_source(meta, territory)
        existing = {v.year: v for v in ind.values}
        for year, value, masked in zip(rows["annee"], rows["valeur"], rows["masque"], strict=True):
            year = int(year)
            entry = {"fiche": ind.fiche.code, "indicateur": ind.code, "annee": year}
            if bool(masked) or pd.isna(value):
                report.append({**entry, "valeur": math.nan, "action": "masquée"})
                continue
            value = round(float(value), meta.decimals)
            if ind.baseline_year == year and ind.baseline_value is None:
                ind.baseline_value = value
            old = existing.get(year)
            if old is not None and not old.computed:
                action = "saisie conservée"
            elif old is not None and old.value == value and old.source == source:
                action = "inchangée"
            else:
                action = "ajoutée" if old is None else "mise à jour"
                record_value(session, ind, year, value, source, AUTO_USER, computed=True)
            report.append({**entry, "valeur": value, "action": action})
    session.flush()
    return pd.DataFrame(report, columns=["fiche", "indicateur", "annee", "valeur", "action"])
