"""The indicator table laid out for people, files and the CLI (:func:`indicator_display`:
French headers, French numbers, what stands for a masked value — « secret », « < 5 »,
« n.d. », the engine's ``etiquette`` — remarks on secrecy, values « peu significatif »,
estimates and partial data), and the definitions and sources of its indicators
(:func:`definitions_frame`).

Layer « diagnostic »; imports indicateurs (the catalogue), the socle and :mod:`.common`.
"""

from __future__ import annotations

import pandas as pd

from ..french import number as fr_number
from ..indicators import load_catalogue_full
from .common import MISSING_TEXT, SECRET_TEXT, VERIFY_TEXT, _nan


def masked_label(table: pd.DataFrame) -> pd.Series:
    """What stands for each masked value (« secret », « < 5 », « n.d. »), empty otherwise."""
    masked = table["masque"].fillna(False).astype(bool)
    label = table.get("etiquette", pd.Series("", index=table.index)).astype(object)
    label = label.fillna("").astype(str).replace("", SECRET_TEXT)
    return label.where(masked, "")


def fragile_remark(table: pd.DataFrame) -> pd.Series:
    """« peu significatif : moins de 50 foyers au dénominateur » where a value is shown on a
    small denominator, empty otherwise."""
    fragile = table.get("peu_significatif", pd.Series(False, index=table.index))
    fragile = fragile.fillna(False).astype(bool) & ~table["masque"].fillna(False).astype(bool)
    text = table.get("motif_peu_significatif", pd.Series("", index=table.index))
    return text.fillna("").astype(str).where(fragile, "")


# -- the indicator table, laid out for people -------------------------------------------------
def _remarks(table: pd.DataFrame, level: str) -> pd.Series:
    """French remarks per indicator row: secrecy, small denominators, estimates, rounding,
    partial data."""
    parts = []
    masked = table["masque"].fillna(False).astype(bool)
    parts.append(table["motif_masque"].fillna("").astype(str).where(masked, ""))
    parts.append(fragile_remark(table))
    note = table["note"].fillna("").astype(str)
    parts.append(note)
    est = pd.to_numeric(table["estime"], errors="coerce").fillna(0.0)
    if level in ("commune", "perimetre"):
        text = (
            "part estimée : "
            + (100 * est).round().astype(int).astype(str)
            + " % (places des communes de moins de 10 000 habitants réparties depuis l'EPCI "
            + "au prorata des enfants), "
            + VERIFY_TEXT
        )
        parts.append(text.where((est > 0.005) & ~masked, ""))
    rounded = table["arrondi"].fillna(False).astype(bool)
    parts.append(
        pd.Series("effectifs arrondis à 5 par la source", index=table.index).where(
            rounded & ~masked, ""
        )
    )
    cov = pd.to_numeric(table["couverture"], errors="coerce")
    own_published = (
        table.get("source_valeur", pd.Series("", index=table.index)).astype(object).fillna("")
    )
    own_published = own_published.astype(str) == "publiée"
    cat = load_catalogue_full()
    titled = (
        table["indicateur"]
        .map(lambda i: bool(getattr(cat.indicators.get(str(i)), "published_headline", False)))
        .astype(bool)
    )
    parts.append(
        (
            "valeur publiée par la source (les communes diffusées ne couvrent que "
            + (100 * cov.fillna(0)).round().astype(int).astype(str)
            + " % du dénominateur)"
        ).where(own_published & ~titled, "")
    )
    parts.append(_headline_remarks(table, own_published & titled, titled & ~own_published))
    partial = (table["type"] == "taux") & (cov < 0.995) & ~masked & cov.notna() & ~own_published
    parts.append(
        (
            "calculé sur "
            + (100 * cov.fillna(0)).round().astype(int).astype(str)
            + " % du dénominateur (communes couvertes par le secret exclues)"
        ).where(partial, "")
    )
    published = table["source_departement"].fillna("").astype(str) == "publiée"
    parts.append(
        pd.Series("valeur départementale publiée par la source", index=table.index).where(
            published & ~titled, ""
        )
    )
    joined = pd.concat(parts, axis=1).apply(lambda r: " ; ".join(x for x in r if x), axis=1)
    return joined.astype(object)


def _points(value: float) -> str:
    text = ("+" if value > 0 else "") + fr_number(float(value), 1).replace("-", "\u2212")
    return f"{text} point" + ("s" if round(abs(value), 1) >= 2 else "")


def _headline_remarks(table: pd.DataFrame, published: pd.Series, recomputed: pd.Series):
    """Remarks of the indicators whose published value is the headline (coverage rates):
    the recomputed value beside the published one, compared like with like."""
    out = pd.Series("", index=table.index, dtype=object)
    for idx in table.index[published | recomputed]:
        r = table.loc[idx]
        kids = r.get("annee_denominateur")
        when = "" if _nan(kids) else f", enfants au 1er janvier {int(kids)}"
        calc, gap = r.get("valeur_calculee"), r.get("ecart_departement_calcule")
        if published.loc[idx]:
            text = "taux publié par la Cnaf, comparé aux taux publiés"
            if not _nan(calc):
                text += f" ; taux recalculé par l'outil : {fr_number(float(calc), 1)}{when}"
                if not _nan(gap):
                    text += f", {_points(float(gap))} par rapport au département recalculé"
        else:
            text = (
                f"taux recalculé par l'outil{when} (la Cnaf ne publie pas ce territoire), "
                "comparé au département recalculé ; la France n'est connue que publiée"
            )
        out.loc[idx] = text
    return out


def indicator_display(table: pd.DataFrame, formatted: bool = True) -> pd.DataFrame:
    """An :func:`indicator_table` with French headers, for people, files and the CLI.

    ``formatted=True``: every cell is French text (« 1 234,5 », « secret », « < 5 »,
    « n.d. »). ``formatted=False``: numbers stay numbers (for XLSX/CSV), masked values become
    their label (« secret », « < 5 », « n.d. »), missing ones « n.d. »; a hidden column
    ``_decimales`` gives each row's decimals and ``attrs`` tell the exporters which columns
    use it. A value « peu significatif » is shown, with its reason in « Remarques ».
    """
    cat = load_catalogue_full()
    t = table.reset_index(drop=True)
    if t.empty:
        return pd.DataFrame(columns=DISPLAY_COLUMNS)
    level = str(t["niveau"].iloc[0])
    decimals = t["indicateur"].map(lambda i: cat.indicators[i].decimals).astype(int)
    masked = t["masque"].fillna(False).astype(bool)
    value = pd.to_numeric(t["valeur"], errors="coerce")
    is_cat = t["type"] == "categorie"
    out = pd.DataFrame(
        {
            "Thème": t["theme_libelle"],
            "Indicateur": t["libelle"],
            "Année": t["annee"],
            "Valeur": value.astype(object),
            "Valeur recalculée": _recomputed_beside(t),
            "Unité": t["unite"],
            "Département": pd.to_numeric(t["valeur_departement"], errors="coerce"),
            "Écart au département (points)": pd.to_numeric(t["ecart_departement"], errors="coerce"),
            "France": pd.to_numeric(t["valeur_france"], errors="coerce"),
            "Écart à la France (points)": pd.to_numeric(t["ecart_france"], errors="coerce"),
            "Évolution": t["evolution_texte"].fillna(""),
            "Rang": _rank_text(t),
            "Remarques": _remarks(t, level),
        }
    )
    status = pd.Series("", index=t.index, dtype=object)
    status[value.isna()] = MISSING_TEXT
    status[masked] = masked_label(t)[masked]
    status[is_cat & t["categorie"].notna()] = ""
    if formatted:
        out["Année"] = t["annee"].map(lambda y: "" if _nan(y) else str(int(y)))
        for col in ("Valeur", "Valeur recalculée", "Département", "France"):
            src = value if col == "Valeur" else out[col]
            out[col] = [
                "" if _nan(v) else fr_number(float(v), int(d))
                for v, d in zip(src, decimals, strict=True)
            ]
        for col in ("Écart au département (points)", "Écart à la France (points)"):
            out[col] = out[col].map(
                lambda v: "" if _nan(v) else ("+" if v > 0 else "") + fr_number(float(v), 1)
            )
    out.loc[status != "", "Valeur"] = status[status != ""]
    cats = t.loc[is_cat, "categorie"].astype(object)
    out.loc[is_cat, "Valeur"] = cats.where(cats.notna(), MISSING_TEXT)
    out["Valeur"] = out["Valeur"].astype(object)
    if not formatted:
        out["_decimales"] = decimals
        out.attrs["row_decimals"] = ["Valeur", "Valeur recalculée", "Département", "France"]
        out.attrs["formats"] = {
            "Écart au département (points)": "+#,##0.0;-#,##0.0;0.0",
            "Écart à la France (points)": "+#,##0.0;-#,##0.0;0.0",
            "Année": "0",
        }
    return out


DISPLAY_COLUMNS = [
    "Thème",
    "Indicateur",
    "Année",
    "Valeur",
    "Valeur recalculée",
    "Unité",
    "Département",
    "Écart au département (points)",
    "France",
    "Écart à la France (points)",
    "Évolution",
    "Rang",
    "Remarques",
]


def _recomputed_beside(t: pd.DataFrame) -> pd.Series:
    """The recomputed value beside a published headline (coverage rates), else NaN."""
    cat = load_catalogue_full()
    titled = (
        t["indicateur"]
        .map(lambda i: bool(getattr(cat.indicators.get(str(i)), "published_headline", False)))
        .astype(bool)
    )
    source = t.get("source_valeur", pd.Series("", index=t.index)).astype(object)
    published = source.fillna("") == "publiée"
    calc = pd.to_numeric(t.get("valeur_calculee"), errors="coerce")
    return calc.where(titled & published)


def _rank_text(t: pd.DataFrame) -> pd.Series:
    rank = t["rang"].astype("Float64")
    of = t["rang_sur"].astype("Float64")
    text = rank.astype("Int64").astype(str) + " sur " + of.astype("Int64").astype(str)
    return text.where(rank.notna() & of.notna(), "").astype(object)


def definitions_frame(table: pd.DataFrame) -> pd.DataFrame:
    """Definitions and sources of the indicators of a table (French headers)."""
    cat = load_catalogue_full()
    rows = []
    for ident in table["indicateur"]:
        ind = cat.indicators[str(ident)]
        rule = ind.secrecy
        secret = []
        if getattr(ind, "confidential", False):
            secret.append(
                "donnée confidentielle : effectifs de moins de 5 affichés « < 5 », d'autres "
                "masqués « secret » pour qu'aucun ne puisse être retrouvé par différence"
            )
        if rule.denominator_min:
            secret.append(
                f"peu significatif sous {fr_number(rule.denominator_min)} au dénominateur"
            )
        if rule.numerator_min:
            secret.append(f"peu significatif sous {fr_number(rule.numerator_min)} au numérateur")
        if rule.coverage_min:
            secret.append(
                f"masqué si moins de {fr_number(100 * rule.coverage_min)} % du dénominateur "
                "est diffusé"
            )
        rows.append(
            {
                "Thème": cat.themes.get(ind.theme, ind.theme),
                "Indicateur": ind.label,
                "Identifiant": ind.id,
                "Définition": ind.definition,
                "Unité": ind.unit,
                "Source": ind.source,
                "Millésime": ind.vintage,
                "Secret statistique": " ; ".join(secret),
                "Référence nationale": (
                    f"{ind.reference_area} — {ind.reference_source}" if ind.references else ""
                ),
            }
        )
    return pd.DataFrame(rows)
