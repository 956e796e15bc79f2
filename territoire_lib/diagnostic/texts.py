"""The French texts of a diagnostic: strengths (« atouts », the mirror of the alerts), the
limits of the data, the context lines and the summary sentence of the territory.

Layer « diagnostic »; imports indicateurs (the catalogue and its value formats), the socle
and :mod:`.common`.
"""

from __future__ import annotations

import math

import pandas as pd

from ..french import number as fr_number
from ..indicators import load_catalogue_full, variable_uses
from ..indicators.table import format_points, format_value
from .common import LEVEL_NAMES, MISSING_TEXT, VERIFY_TEXT, _nan


# -- strengths and vigilance ---------------------------------------------------------------------
def _favourable(direction: str, gap: float) -> bool:
    return (direction == "hausse_favorable" and gap > 0) or (
        direction == "baisse_favorable" and gap < 0
    )


def strengths(table: pd.DataFrame) -> list[str]:
    """French sentences for favourable gaps (département, France) and favourable changes,
    beyond the alert thresholds of each indicator (the mirror of the alerts)."""
    cat = load_catalogue_full()
    out = []
    for r in table.to_dict(orient="records"):
        ind = cat.indicators[r["indicateur"]]
        if (
            not r["disponible"]
            or r["masque"]
            or r.get("peu_significatif", False)
            or _nan(r["valeur"])
            or ind.type == "categorie"
            or ind.direction == "neutre"
        ):
            continue
        shown = format_value(ind, r["valeur"])
        parts = []
        if ind.type == "taux":
            gap = r["ecart_departement"]
            limit = max(ind.alerts.gap_departement or 0.0, 0.05)
            if not _nan(gap) and _favourable(ind.direction, gap) and round(abs(gap), 1) >= limit:
                where = "au-dessus du" if gap > 0 else "sous le"
                dep = fr_number(r["valeur_departement"], ind.decimals)
                parts.append(f"{format_points(gap)} {where} département ({dep})")
            gap = r["ecart_france"]
            limit = max(ind.alerts.gap_france or 0.0, 0.05)
            if not _nan(gap) and _favourable(ind.direction, gap) and round(abs(gap), 1) >= limit:
                where = "au-dessus de la" if gap > 0 else "sous la"
                fr_val = fr_number(r["valeur_france"], ind.decimals)
                year = "" if _nan(r["annee_france"]) else f" en {int(r['annee_france'])}"
                parts.append(f"{format_points(gap)} {where} référence nationale ({fr_val}{year})")
        if parts:
            out.append(f"{ind.label} : {shown}, " + " et ".join(parts) + ".")
        evo = r["evolution"]
        rule = ind.alerts
        if (
            rule.evolution_min is not None
            and not _nan(evo)
            and _favourable(ind.direction, evo)
            and round(abs(evo), 1) >= max(rule.evolution_min, 0.05)
            and r["evolution_texte"]
        ):
            out.append(f"{ind.label} : {r['evolution_texte']}.")
    return out


def _limits(table: pd.DataFrame, level: str, territory=None) -> list[str]:
    """The « Limites des données »: masked, « peu significatif » and unavailable indicators,
    estimated places, and the warnings of the load report (geometry of another COG vintage,
    communes without an outline, columns missing from a file, codes left out)."""
    out = []
    masked = table[table["masque"].fillna(False).astype(bool)]
    for r in masked.to_dict(orient="records"):
        out.append(f"{r['libelle']} : {r['motif_masque']}.")
    flag = table.get("peu_significatif", pd.Series(False, index=table.index))
    fragile = table[flag.fillna(False).astype(bool) & ~table["masque"].fillna(False).astype(bool)]
    for motif, group in fragile.groupby("motif_peu_significatif", sort=False):
        why = str(motif).removeprefix("peu significatif : ")  # one line per reason
        out.append(f"Valeurs peu significatives ({why}) : {' ; '.join(group['libelle'])}.")
    missing = table[~table["disponible"].astype(bool) & table["note"].fillna("").ne("")]
    for r in missing.to_dict(orient="records"):
        out.append(f"{r['libelle']} : indicateur indisponible ({r['note']}).")
    est = pd.to_numeric(table["estime"], errors="coerce").fillna(0)
    if level in ("commune", "perimetre") and (est > 0.005).any():
        share = fr_number(100 * est.max())
        out.append(
            "Places d'accueil : jusqu'à "
            f"{share} % des places sont estimées (les places des communes de moins de 10 000 "
            "habitants sont réparties depuis l'EPCI au prorata des enfants) ; valeurs "
            f"{VERIFY_TEXT} avec les gestionnaires."
        )
    warnings = getattr(territory, "warnings", None)
    if callable(warnings):
        out.extend(f"Données chargées — {w}" for w in warnings(variable_uses()))
    return out


# -- context ----------------------------------------------------------------------------------
def _context(territory, table: pd.DataFrame, code: str, level: str, name: str, communes):
    cat = load_catalogue_full()
    rows = table.set_index("indicateur")
    geo = territory.geography
    c = geo.communes[geo.communes["code"].isin(communes)]
    out = []

    def add(label, value, text, year=None):
        out.append({"libelle": label, "valeur": value, "texte": text, "annee": year})

    n = len(c)
    add("Communes", float(n), fr_number(n))
    if level in ("departement", "region"):
        epcis = c["epci"].nunique()
        add("EPCI", float(epcis), fr_number(epcis))
    pm = pd.to_numeric(c["population"], errors="coerce").sum()
    add("Population municipale (référentiel)", float(pm), fr_number(pm))
    for ident in (
        "population",
        "enfants_0_2",
        "part_moins_18_ans",
        "taux_pauvrete",
        "communes_qpv",
        "part_population_communes_qpv",
        "communes_frr",
        "part_population_communes_frr",
        "taux_couverture_global",
    ):
        if ident not in rows.index:
            continue
        r = rows.loc[ident]
        ind = cat.indicators[ident]
        year = None if _nan(r["annee"]) else int(r["annee"])
        if r["masque"]:
            label = r.get("etiquette") or "secret"
            text = "secret statistique" if label == "secret" else label
        elif _nan(r["valeur"]):
            text = MISSING_TEXT
        else:
            text = format_value(ind, r["valeur"])
            if r.get("peu_significatif", False):
                text += ", peu significatif"
        if year is not None:
            text += f" ({year})"
        add(ind.label, float(r["valeur"]) if not _nan(r["valeur"]) else math.nan, text, year)
    return pd.DataFrame(out)


def _summary(table: pd.DataFrame, level: str, name: str, n_communes: int) -> str:
    cat = load_catalogue_full()
    rows = table.set_index("indicateur")
    head = f"{name} ({LEVEL_NAMES[level]})"
    if level != "commune":
        head += f" : {fr_number(n_communes)} commune{'s' if n_communes > 1 else ''}"

    def val(ident):
        if ident not in rows.index:
            return None, None
        r = rows.loc[ident]
        if r["masque"] or _nan(r["valeur"]):
            return None, None
        return float(r["valeur"]), int(r["annee"])

    pop, year = val("population")
    kids, kyear = val("enfants_0_2")
    text = head
    if pop is not None:
        text += f", {fr_number(pop)} habitants en {year}"
        if kids is not None:
            text += f", dont {fr_number(kids)} enfants de moins de 3 ans"
    text += "."
    if "taux_couverture_global" in rows.index:
        r = rows.loc["taux_couverture_global"]
        ind = cat.indicators["taux_couverture_global"]
        if r["masque"]:
            text += f" Taux de couverture global : {r['motif_masque']}."
        elif not _nan(r["valeur"]):
            text += (
                f" Taux de couverture global en {int(r['annee'])} : "
                f"{format_value(ind, r['valeur'])}"
            )
            if r.get("peu_significatif", False):
                text += f", {r['motif_peu_significatif']}"
            # like with like: a published headline beside published references, a recomputed
            # one beside the recomputed département (France is only known as published)
            published = r.get("source_valeur") == "publiée"
            refs = ["taux publié par la Cnaf" if published else "taux recalculé"]
            if level not in ("departement", "region") and not _nan(r["valeur_departement"]):
                refs.append(f"département : {fr_number(r['valeur_departement'], 1)}")
            if published and not _nan(r["valeur_france"]):
                refs.append(f"France : {fr_number(r['valeur_france'], 1)}")
            text += f" ({' ; '.join(refs)})."
            calc = r.get("valeur_calculee")
            if published and not _nan(calc):
                dep_calc = r.get("valeur_departement_calculee")
                text += f" Taux recalculé par l'outil : {fr_number(calc, 1)}" + (
                    f" (département : {fr_number(dep_calc, 1)})."
                    if level not in ("departement", "region") and not _nan(dep_calc)
                    else "."
                )
    return text
