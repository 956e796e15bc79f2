"""One territory's indicator table (value, comparisons, evolution, rank, flags, alerts) and
the French alert sentences.

Conventions:

* the year of an indicator is, by default, its latest year with data for the territory; with
  ``year=N`` it is its latest year not after N (a census indicator of 2021 sits beside CAF
  figures of 2023);
* ``valeur_publiee`` is the territory's own published value for the same year when the loaded
  references hold one (CAFDATA coverage rate of an EPCI, Filosofi poverty rate of an EPCI…).
  For an indicator marked ``titre_publie`` (the coverage rates), the published value, where it
  exists, is the headline ``valeur`` (``source_valeur`` = « publiée ») and the recomputed one
  is ``valeur_calculee``, beside it; the comparisons are then like with like: the département
  and France published values for the headline, the département's recomputed value for the
  recomputed one (``ecart_departement_calcule``); a recomputed headline has no France gap,
  France being known only as published. For the other indicators, beyond the commune, when
  the computed value rests on less than 90 % of its denominator (or is masked) and a
  published value exists, ``valeur`` is the published one (the sum stays in
  ``valeur_calculee``);
* the département value is the ratio of sums over the loaded communes of the territory's
  département (the département holding most of its population); when that value is masked or
  rests on less than 90 % of its denominator and a published value exists (Filosofi poverty
  rate, CAFDATA coverage rate), the published value is used instead (``source_departement``);
* the France value is the published national reference of the loaded data
  (``territory.references``, niveau ``france``) for the same year, otherwise the catalogue
  reference of that year or of up to 3 years before;
* gaps are in points and only for rates; evolution is first → last year shown, in points for
  a rate and in % for a count;
* ``rang`` is 1 for the highest value among the territories of the same level in the same
  département (communes, EPCI) or région (départements); ``quintile`` 1 holds the lowest
  20 %, 5 the highest. No rank for a perimeter, a région or France, nor when the territory is
  alone in its group.

Layer « indicateurs »: imports données (key_figures); its own layer (indicators.catalogue,
indicators.engine).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..key_figures import PUBLISHED, fr_number, headline
from .catalogue import Catalogue, Indicator, load_catalogue_full
from .engine import available_indicators, compute, evolutions, missing_variables

PARTIAL = 0.9
TABLE_COLUMNS = [
    "indicateur",
    "libelle",
    "theme",
    "theme_libelle",
    "type",
    "unite",
    "sens",
    "niveau",
    "territoire",
    "nom",
    "disponible",
    "annee",
    "numerateur",
    "denominateur",
    "valeur",
    "source_valeur",
    "valeur_calculee",
    "valeur_publiee",
    "categorie",
    "annee_denominateur",
    "arrondi",
    "estime",
    "couverture",
    "masque",
    "motif_masque",
    "etiquette",
    "peu_significatif",
    "motif_peu_significatif",
    "secret",
    "departement",
    "valeur_departement",
    "valeur_departement_calculee",
    "valeur_departement_publiee",
    "source_departement",
    "ecart_departement",
    "ecart_departement_calcule",
    "valeur_france",
    "annee_france",
    "source_france",
    "ecart_france",
    "annee_debut",
    "valeur_debut",
    "evolution",
    "evolution_unite",
    "evolution_texte",
    "rang",
    "rang_sur",
    "quintile",
    "alertes",
    "note",
    "source",
    "millesime",
    "definition",
]


# -- French formatting ------------------------------------------------------------------------
def _nan(x) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return bool(np.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def format_number(ind: Indicator, value: float) -> str:
    return fr_number(float(value), ind.decimals)


def format_value(ind: Indicator, value: float) -> str:
    """« 42,1 places pour 100 enfants », « 23,4 % », « 1 234 enfants »."""
    if _nan(value):
        return "n.d."
    number = format_number(ind, value)
    if ind.unit == "%":
        return f"{number}\u202f%"
    unit = ind.unit
    if abs(float(value)) < 2 and " " not in unit and unit.endswith("s"):
        unit = unit[:-1]  # French singular under 2: « 0 commune », « 1 enfant »
    return f"{number} {unit}"


def format_points(value: float) -> str:
    """« 12,3 points », « 1,5 point » (singular under 2)."""
    text = fr_number(abs(value), 1)
    return f"{text} point" if round(abs(value), 1) < 2 else f"{text} points"


def _threshold_text(ind: Indicator, value: float) -> str:
    number = fr_number(value, 0 if float(value).is_integer() else 1)
    return f"{number}\u202f%" if ind.unit == "%" else f"{number} {ind.unit}"


def evolution_phrase(ind: Indicator, evolution: float, since: int | float | None) -> str:
    """« en baisse de 3,2 points depuis 2019 », « en hausse de 4,5 % depuis 2017 »."""
    if _nan(evolution) or _nan(since):
        return ""
    since = int(since)
    if ind.type == "taux":
        size = format_points(evolution)
        zero = round(abs(evolution), 1) == 0
    else:
        size = f"{fr_number(abs(evolution), 1)}\u202f%"
        zero = round(abs(evolution), 1) == 0
    if zero:
        return f"stable depuis {since}"
    return f"en {'hausse' if evolution > 0 else 'baisse'} de {size} depuis {since}"


def _unfavourable(direction: str, gap: float) -> bool:
    return (direction == "hausse_favorable" and gap < 0) or (
        direction == "baisse_favorable" and gap > 0
    )


# -- alerts -----------------------------------------------------------------------------------
def alerts(row, catalogue: Catalogue | None = None) -> list[str]:
    """French alert sentences for one row of :func:`indicator_table` (a Series or a dict).

    * unfavourable gap to the département beyond ``alertes.ecart_departement`` points:
      « Taux de couverture global : 42,1 places pour 100 enfants, 12,3 points sous le
      département (54,4). »
    * unfavourable gap to France beyond ``alertes.ecart_france``: « …, 18,8 points sous la
      référence nationale (60,9 en 2023). »
    * change beyond ``alertes.evolution``: « Taux de couverture global : en baisse de 3,2
      points depuis 2019. »
    * threshold crossed: « Taux de pauvreté : 23,4 %, au-dessus du seuil d'alerte de 20 %. »

    A masked or missing value, or a value « peu significatif » (too small a denominator),
    gives no alert.
    """
    cat = catalogue or load_catalogue_full()
    r = row if isinstance(row, dict) else row.to_dict()
    ind = cat.indicators[str(r["indicateur"])]
    value = r.get("valeur")
    if bool(r.get("masque", False)) or _nan(value) or ind.type == "categorie":
        return []
    if bool(r.get("peu_significatif", False)):
        return []
    value = float(value)
    rule = ind.alerts
    label = ind.label
    shown = format_value(ind, value)
    out: list[str] = []
    if ind.type == "taux":
        dep = r.get("valeur_departement")
        if not _nan(dep):
            gap = value - float(dep)
            limit = max(rule.gap_departement or 0.0, 0.05)
            if _unfavourable(ind.direction, gap) and round(abs(gap), 1) >= limit:
                where = "sous le" if gap < 0 else "au-dessus du"
                out.append(
                    f"{label} : {shown}, {format_points(gap)} {where} département "
                    f"({format_number(ind, dep)})."
                )
        fr_val = r.get("valeur_france")
        # like with like: a recomputed headline is not compared with the published France
        recomputed = ind.published_headline and r.get("source_valeur", "publiée") != PUBLISHED
        if not _nan(fr_val) and not recomputed:
            gap = value - float(fr_val)
            limit = max(rule.gap_france or 0.0, 0.05)
            if _unfavourable(ind.direction, gap) and round(abs(gap), 1) >= limit:
                where = "sous la" if gap < 0 else "au-dessus de la"
                year = r.get("annee_france")
                when = "" if _nan(year) else f" en {int(year)}"
                out.append(
                    f"{label} : {shown}, {format_points(gap)} {where} référence nationale "
                    f"({format_number(ind, fr_val)}{when})."
                )
    evo = r.get("evolution")
    if rule.evolution_min is not None and not _nan(evo) and ind.type in ("taux", "effectif"):
        evo = float(evo)
        sense = rule.evolution_sense
        if sense == "defavorable":
            trigger = _unfavourable(ind.direction, evo)
        else:
            trigger = (sense == "baisse" and evo < 0) or (sense == "hausse" and evo > 0)
        if trigger and round(abs(evo), 1) >= max(rule.evolution_min, 0.05):
            phrase = evolution_phrase(ind, evo, r.get("annee_debut"))
            out.append(f"{label} : {phrase}.")
    th = rule.threshold
    if th is not None:
        crossed = value > th.value if th.sense == "au_dessus" else value < th.value
        if crossed:
            where = "au-dessus du" if th.sense == "au_dessus" else "sous le"
            out.append(
                f"{label} : {shown}, {where} {th.label} de {_threshold_text(ind, th.value)}."
            )
    return out


# -- the table --------------------------------------------------------------------------------
def _plain_code(code: str, level: str) -> str:
    code = str(code).strip()
    if level == "region":
        return code[3:].lstrip(":")
    return code


def _main_departement(communes: pd.DataFrame, by: str) -> pd.Series:
    """For each group (EPCI…), the département holding most of its population."""
    c = communes.assign(_pop=pd.to_numeric(communes["population"], errors="coerce").fillna(0))
    sums = c.groupby([by, "departement"], observed=True)["_pop"].sum().reset_index()
    sums = sums.sort_values([by, "_pop", "departement"], ascending=[True, False, True])
    return sums.drop_duplicates(by).set_index(by)["departement"]


def _groups(territory, level: str) -> pd.Series | None:
    """Territory code → comparison group (département, or région for départements)."""
    geo = territory.geography
    c = geo.communes
    if level == "commune":
        return pd.Series(c["departement"].to_numpy(), index=c["code"].astype(str))
    if level == "epci":
        return _main_departement(c, "epci")
    if level == "departement":
        d = geo.departements
        return pd.Series(d["region"].astype(str).to_numpy(), index=d["code"].astype(str))
    return None


def _departement_of(territory, level: str, key: str) -> str | None:
    geo = territory.geography
    if level in ("region", "france"):
        return None
    if level == "departement":
        return key
    members = geo.members(key)
    c = geo.communes[geo.communes["code"].isin(members)]
    return str(_main_departement(c.assign(_g="x"), "_g").iloc[0])


def _published(territory, niveau: str, code: str | None) -> dict[tuple[str, int], float]:
    refs = territory.references
    if code is None or refs is None or not len(refs):
        return {}
    sel = refs[refs["niveau"] == niveau]
    if code != "*":
        sel = sel[sel["code"].astype(str) == code]
    sel = sel[sel["valeur"].notna()]
    return {
        (str(v), int(y)): float(x)
        for v, y, x in zip(sel["variable"], sel["annee"], sel["valeur"], strict=True)
    }


def _ranks(frame: pd.DataFrame, groups: pd.Series, group: str, chosen: pd.DataFrame):
    """Rank (1 = highest) and quintile (1 = lowest 20 %) within a group, per indicator (values
    masked or « peu significatif » are not ranked)."""
    members = groups.index[groups == group]
    sub = frame[frame["territoire"].isin(members) & ~frame["masque"] & frame["valeur"].notna()]
    sub = sub[~sub["peu_significatif"]]
    sub = sub.merge(chosen[["indicateur", "annee"]], on=["indicateur", "annee"])
    if sub.empty:
        return sub.assign(rang=[], rang_sur=[], quintile=[])
    g = sub.groupby("indicateur", observed=True)["valeur"]
    sub = sub.assign(
        rang=g.rank(ascending=False, method="min"),
        _asc=g.rank(ascending=True, method="min"),
        rang_sur=g.transform("size"),
    )
    sub["quintile"] = np.floor((sub["_asc"] - 1) * 5 / sub["rang_sur"]) + 1
    sub = sub[sub["rang_sur"] >= 2]  # a rank among one is no rank
    return sub[["indicateur", "territoire", "rang", "rang_sur", "quintile"]]


def indicator_table(
    territory,
    code: str,
    year: int | None = None,
    indicators: list[str] | None = None,
    catalogue: Catalogue | None = None,
) -> pd.DataFrame:
    """One row per catalogue indicator for one territory (any level or perimeter).

    Columns: :data:`TABLE_COLUMNS`. An indicator whose data is not loaded has
    ``disponible=False`` and a ``note`` naming the missing variables; ``alertes`` is a list
    of French sentences (see :func:`alerts`).
    """
    cat = catalogue or load_catalogue_full()
    geo = territory.geography
    code = geo.code(code)  # an int code (Papermill) is accepted
    level = geo.level_of(code)
    key = _plain_code(code, level)
    chosen_inds = list(cat.indicators) if indicators is None else list(indicators)
    frame = compute(territory, level, chosen_inds, catalogue=cat)
    own = frame[frame["territoire"] == key]
    if year is not None:
        own = own[own["annee"] <= int(year)]
    latest = (
        own.sort_values("annee", kind="stable")
        .groupby("indicateur", observed=True, sort=False)
        .tail(1)
    )
    latest = latest.assign(indicateur=latest["indicateur"].astype(str))
    rows = latest.set_index("indicateur")
    # département values
    dep = _departement_of(territory, level, key)
    dep_rows = pd.DataFrame()
    if dep is not None and level != "departement":
        dep_frame = compute(territory, "departement", chosen_inds, catalogue=cat)
        dep_rows = dep_frame[dep_frame["territoire"] == dep]
        dep_rows = dep_rows.assign(indicateur=dep_rows["indicateur"].astype(str))
        dep_rows = dep_rows.set_index(["indicateur", "annee"])
    dep_pub = _published(territory, "departement", dep)
    own_pub = (
        _published(territory, level, key)
        if level in ("commune", "epci", "departement", "region")
        else {}
    )
    fr_pub = _published(territory, "france", "*")
    # evolution and ranks
    evo = evolutions(own, cat)
    evo = evo.assign(indicateur=evo["indicateur"].astype(str)).set_index("indicateur")
    groups = _groups(territory, level)
    ranks = pd.DataFrame()
    if groups is not None and key in groups.index and len(latest):
        r = _ranks(frame, groups, groups[key], latest)
        r = r[r["territoire"] == key]
        ranks = r.assign(indicateur=r["indicateur"].astype(str)).set_index("indicateur")
    avail = available_indicators(territory, cat)
    name = geo.name_of(code)
    out = []
    for ident in chosen_inds:
        ind = cat.indicators[ident]
        rec: dict = {c: np.nan for c in TABLE_COLUMNS}
        rec.update(
            indicateur=ident,
            libelle=ind.label,
            theme=ind.theme,
            theme_libelle=cat.themes.get(ind.theme, ind.theme),
            type=ind.type,
            unite=ind.unit,
            sens=ind.direction,
            niveau=level,
            territoire=key,
            nom=name,
            departement=dep,
            source=ind.source,
            millesime=ind.vintage,
            definition=ind.definition,
            note=ind.note,
            arrondi=False,
            masque=False,
            secret=False,
            motif_masque="",
            etiquette="",
            peu_significatif=False,
            motif_peu_significatif="",
            categorie=None,
            evolution_texte="",
            evolution_unite="",
            source_departement="",
            source_france="",
            alertes=[],
        )
        rec["disponible"] = bool(avail.get(ident)) and ident in rows.index
        if not avail.get(ident):
            why = getattr(territory, "missing_reason", None)  # a column absent from a file
            missing = ", ".join(
                f"{v} ({reason})" if why and (reason := why(v)) else v
                for v in missing_variables(territory, ident, cat)
            )
            rec["note"] = f"données non chargées : {missing}"
        if ident not in rows.index:
            out.append(rec)
            continue
        row = rows.loc[ident]
        y = int(row["annee"])
        for col in (
            "numerateur",
            "denominateur",
            "valeur",
            "estime",
            "couverture",
        ):
            rec[col] = float(row[col])
        rec.update(
            annee=y,
            arrondi=bool(row["arrondi"]),
            masque=bool(row["masque"]),
            secret=bool(row["secret"]),
            motif_masque=str(row["motif_masque"]),
            etiquette=str(row["etiquette"]),
            peu_significatif=bool(row["peu_significatif"]),
            motif_peu_significatif=str(row["motif_peu_significatif"]),
            categorie=row["categorie"],
            annee_denominateur=row["annee_denominateur"],
        )
        rec["valeur_calculee"], rec["source_valeur"] = rec["valeur"], "calculée"
        if ind.published_reference:
            pub = own_pub.get((ind.published_reference, y), math.nan)
            rec["valeur_publiee"] = pub
            partial = not _nan(rec["couverture"]) and rec["couverture"] < PARTIAL
            if ind.published_headline and not _nan(pub):
                # the publisher's figure is the headline, the recomputed one beside it
                value, source = headline(pub, rec["valeur"])
                rec["valeur"], rec["source_valeur"] = float(value), str(source)
                _unmask(rec)
            elif not _nan(pub) and (partial or rec["masque"]) and level != "commune":
                # the publisher's own figure beats a sum over too few communes
                rec["valeur"], rec["source_valeur"] = pub, "publiée"
                _unmask(rec)
        if ind.type != "categorie":
            _compare(rec, ind, y, dep_rows, dep_pub, fr_pub, level)
        # an evolution ends at the year shown: never beside a masked value (it would say
        # « stable depuis 2015 » of a hidden one) nor from a year « peu significatif »
        ends_here = ident in evo.index and int(evo.loc[ident, "annee_fin"]) == y
        if ends_here and ind.type != "categorie":
            e = evo.loc[ident]
            rec.update(
                annee_debut=int(e["annee_debut"]),
                valeur_debut=float(e["valeur_debut"]),
                evolution=float(e["evolution"]),
                evolution_unite=str(e["evolution_unite"]),
            )
            rec["evolution_texte"] = evolution_phrase(ind, rec["evolution"], rec["annee_debut"])
        if ind.published_headline and rec["source_valeur"] == PUBLISHED:
            _published_evolution(rec, ind, y, own_pub)
        if ident in ranks.index and ind.type != "categorie":
            k = ranks.loc[ident]
            rec.update(
                rang=int(k["rang"]), rang_sur=int(k["rang_sur"]), quintile=int(k["quintile"])
            )
        rec["alertes"] = alerts(rec, cat)
        out.append(rec)
    table = pd.DataFrame(out, columns=TABLE_COLUMNS)
    for col in ("annee", "annee_denominateur", "annee_france", "annee_debut"):
        table[col] = pd.array([None if _nan(v) else int(v) for v in table[col]], dtype="Int64")
    for col in ("rang", "rang_sur", "quintile"):
        table[col] = pd.array([None if _nan(v) else int(v) for v in table[col]], dtype="Int64")
    return table


def _unmask(rec) -> None:
    """The publisher's own figure is shown: no mask, and its reliability is the publisher's."""
    rec.update(masque=False, motif_masque="", etiquette="")
    rec.update(peu_significatif=False, motif_peu_significatif="")


def _published_evolution(rec, ind: Indicator, year: int, own_pub) -> None:
    """Evolution of a published headline over the published series (like with like): from
    its first published year to ``year``."""
    series = {y: v for (var, y), v in own_pub.items() if var == ind.published_reference}
    years = sorted(y for y in series if y <= year and not _nan(series[y]))
    if len(years) < 2 or years[-1] != year:
        rec.update(annee_debut=math.nan, valeur_debut=math.nan, evolution=math.nan)
        rec["evolution_texte"] = ""
        return
    first = years[0]
    rec.update(
        annee_debut=first,
        valeur_debut=series[first],
        evolution=series[year] - series[first],
        evolution_unite="points",
    )
    rec["evolution_texte"] = evolution_phrase(ind, rec["evolution"], first)


def _compare(rec, ind: Indicator, year: int, dep_rows, dep_pub, fr_pub, level: str) -> None:
    """Fill the département and France values and the gaps of one table row."""
    if level not in ("departement", "region", "france"):
        _compare_departement(rec, ind, year, dep_rows, dep_pub)
    fr_val, fr_year, fr_src = math.nan, None, ""
    if ind.published_reference and (ind.published_reference, year) in fr_pub:
        fr_val, fr_year = fr_pub[(ind.published_reference, year)], year
        fr_src = "référence nationale publiée (données chargées)"
    else:
        fr_val, fr_year = ind.reference_for(year)
        if fr_year is not None:
            fr_src = f"{ind.reference_area} — {ind.reference_source}"
    rec.update(valeur_france=fr_val, annee_france=fr_year, source_france=fr_src)
    # like with like: a recomputed headline has no published-France gap
    recomputed = ind.published_headline and rec["source_valeur"] != PUBLISHED
    if ind.type == "taux" and not rec["masque"] and not _nan(rec["valeur"]):
        if not _nan(rec["valeur_departement"]):
            rec["ecart_departement"] = rec["valeur"] - rec["valeur_departement"]
        if not _nan(fr_val) and not recomputed:
            rec["ecart_france"] = rec["valeur"] - fr_val
    calc, dep_calc = rec.get("valeur_calculee"), rec.get("valeur_departement_calculee")
    if ind.type == "taux" and not _nan(calc) and not _nan(dep_calc):
        rec["ecart_departement_calcule"] = float(calc) - float(dep_calc)


def _compare_departement(rec, ind: Indicator, year: int, dep_rows, dep_pub) -> None:
    calc, coverage, masked = math.nan, math.nan, True
    if len(dep_rows) and (ind.id, year) in dep_rows.index:
        d = dep_rows.loc[(ind.id, year)]
        calc, coverage, masked = float(d["valeur"]), float(d["couverture"]), bool(d["masque"])
    published = (
        dep_pub.get((ind.published_reference, year), math.nan)
        if ind.published_reference
        else math.nan
    )
    rec["valeur_departement_calculee"] = calc
    rec["valeur_departement_publiee"] = published
    if ind.published_headline:
        # like with like: published headline ↔ published département, recomputed ↔ recomputed
        if rec["source_valeur"] == PUBLISHED:
            if not _nan(published):
                rec["valeur_departement"], rec["source_departement"] = published, "publiée"
        elif not masked and not _nan(calc):
            rec["valeur_departement"], rec["source_departement"] = calc, "calculée"
        return
    weak = masked or _nan(calc) or (not _nan(coverage) and coverage < PARTIAL)
    if weak and not _nan(published):
        rec["valeur_departement"], rec["source_departement"] = published, "publiée"
    elif not _nan(calc):
        rec["valeur_departement"], rec["source_departement"] = calc, "calculée"
