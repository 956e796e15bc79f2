"""The territorial diagnostic of one territory (commune, EPCI, département or perimeter).

:func:`diagnose` gathers, for one territory and one year (the latest by default):

* the **context**: population, children, zonings, and a French summary sentence;
* every catalogue indicator against the département and France, **theme by theme**
  (:func:`territoire_lib.indicators.indicator_table`);
* **strengths** (« atouts ») and **points of vigilance** as French sentences, and the limits of
  the data (secrecy, estimates, files not loaded);
* an **inclusion diagnostic** per commune (low-income families, poverty, RSA, single parents,
  children with disabilities, QPV, FRR, childcare coverage) with a **needs index** that ranks
  the communes (method below, shown to users as :attr:`Diagnostic.methode_indice`);
* the **SPPE duties** of each commune by population band (« service public de la petite
  enfance », art. L. 214-1-3 CASF), read from the dated bands of the indicator catalogue
  (``parametres: sppe``), never hard-coded here.

Needs index (0 to 100, higher = greater needs)
-----------------------------------------------
For each component, every commune of the département gets a **percentile rank** among the
communes of the département that have a value: ``100 × (r − 1) / (n − 1)`` where ``r`` is its
average rank (ties share their mean rank) from the lowest to the highest *need* and ``n`` the
number of communes ranked (50 when ``n`` is 1). For the coverage rate the order is reversed
(fewer places per 100 children = greater need). The zonings score 100 (the commune has a QPV, or
is classed FRR: socle, FRR+ or partly) or 0. The index is the weighted mean of the available
scores; the weight of a missing component (secrecy, file not loaded) is shared out over the
others; the index is not computed when less than half of the weight is available.

============================  =========================================  ======
component                     indicator                                  weight
============================  =========================================  ======
couverture (reversed)         taux_couverture_global                     0.25
bas_revenus                   part_qf_moins_800                          0.15
monoparentales                part_familles_monoparentales               0.15
pauvrete                      taux_pauvrete                              0.10
rsa                           part_rsa                                   0.10
aeeh                          part_aeeh                                  0.10
qpv                           zoning: at least one QPV                   0.075
frr                           zoning: FRR (socle, FRR+, partly classed)  0.075
============================  =========================================  ======

Low family quotient (QF < 800 €) stands for "young children in low-income households": the
communal CAFDATA files do not cross the age of the children with the family quotient. Ranks
rather than z-scores: a handful of communes with a QPV or a very small denominator would
otherwise dominate a z-score. The weights are a method choice, to be discussed by the steering
committee; they live in :data:`NEEDS_COMPONENTS` and the French text is built from it.

Everything is vectorised over communes (pivots and group ranks); the only loops run over the
~35 catalogue indicators or the 8 components.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import TerritoireError
from .indicators import cached, compute, indicator_table, load_catalogue_full, sppe_strata
from .indicators.table import format_points, format_value
from .key_figures import fr_number

FRR_CLASSES = ("frr", "frr_plus", "partiel")
FRR_LABELS = {
    "frr": "FRR",
    "frr_plus": "FRR+",
    "partiel": "FRR (partiellement)",
    "beneficiaire": "ex-ZRR bénéficiaire",
    "non": "non",
}
MIN_WEIGHT = 0.5
SECRET_TEXT = "secret"
MISSING_TEXT = "n.d."
VERIFY_TEXT = "à vérifier"
LEVEL_NAMES = {
    "commune": "commune",
    "epci": "EPCI",
    "departement": "département",
    "region": "région",
    "perimetre": "périmètre",
}


@dataclass(frozen=True)
class NeedComponent:
    """One component of the needs index."""

    key: str
    indicator: str | None  # catalogue indicator, or None for a zoning (qpv, frr)
    label: str  # French, as shown in the method text and the tables
    weight: float
    reverse: bool = False  # True: a lower value means greater needs


NEEDS_COMPONENTS: tuple[NeedComponent, ...] = (
    NeedComponent(
        "couverture",
        "taux_couverture_global",
        "taux de couverture global, pris à l'envers : moins de places pour 100 enfants, "
        "plus de besoins",
        0.25,
        reverse=True,
    ),
    NeedComponent(
        "bas_revenus",
        "part_qf_moins_800",
        "part des allocataires au quotient familial inférieur à 800 €",
        0.15,
    ),
    NeedComponent(
        "monoparentales",
        "part_familles_monoparentales",
        "part des familles monoparentales",
        0.15,
    ),
    NeedComponent("pauvrete", "taux_pauvrete", "taux de pauvreté", 0.10),
    NeedComponent("rsa", "part_rsa", "foyers percevant le RSA pour 100 allocataires", 0.10),
    NeedComponent(
        "aeeh",
        "part_aeeh",
        "foyers percevant l'AEEH (enfant handicapé) pour 100 allocataires",
        0.10,
    ),
    NeedComponent("qpv", None, "commune comprenant au moins un quartier prioritaire (QPV)", 0.075),
    NeedComponent(
        "frr", None, "commune classée France Ruralités Revitalisation (FRR, FRR+, partiel)", 0.075
    ),
)

# commune-level indicators shown in the inclusion table (besides the components)
INCLUSION_EXTRA = ("population", "enfants_0_2", "part_asf")


# -- needs index: a pure function, testable by hand ---------------------------------------------
def needs_index(
    components: pd.DataFrame,
    groups: pd.Series | None = None,
    spec: tuple[NeedComponent, ...] = NEEDS_COMPONENTS,
    min_weight: float = MIN_WEIGHT,
) -> pd.DataFrame:
    """Scores (0–100) of every component and the weighted needs index, per commune.

    ``components``: one row per commune (index: commune code), one column per component key
    (raw values, NaN when missing or masked; zonings 0/1). ``groups``: the ranking group of
    each commune (its département); one group when None.

    Returns ``score_<key>`` for each component, ``poids_disponible`` (sum of the weights of the
    available components) and ``indice_besoins`` (NaN when ``poids_disponible < min_weight``).
    """
    if groups is None:
        groups = pd.Series("_", index=components.index)
    groups = groups.reindex(components.index)
    out = pd.DataFrame(index=components.index)
    weights = pd.Series({c.key: c.weight for c in spec})
    for comp in spec:
        if comp.key in components:
            x = pd.to_numeric(components[comp.key], errors="coerce")
        else:
            x = pd.Series(np.nan, index=components.index)
        if comp.indicator is None:  # zoning: 100 or 0
            out[f"score_{comp.key}"] = 100.0 * (x > 0).astype(float).where(x.notna())
            continue
        need = -x if comp.reverse else x
        r = need.groupby(groups).rank(method="average")
        n = need.groupby(groups).transform("count")
        score = 100.0 * (r - 1) / (n - 1)
        out[f"score_{comp.key}"] = score.where(n > 1, 50.0).where(need.notna())
    scores = out[[f"score_{c.key}" for c in spec]].to_numpy()
    w = weights[[c.key for c in spec]].to_numpy()
    avail = ~np.isnan(scores)
    wsum = (avail * w).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.nansum(scores * w, axis=1) / wsum
    out["poids_disponible"] = wsum
    out["indice_besoins"] = np.where(wsum >= min_weight - 1e-9, index, np.nan)
    return out


def needs_method_text(years: dict[str, int] | None = None) -> str:
    """The needs-index method in French (built from :data:`NEEDS_COMPONENTS`)."""
    years = years or {}
    parts = []
    for c in NEEDS_COMPONENTS:
        when = f", {years[c.key]}" if c.key in years else ""
        parts.append(f"{c.label} ({fr_number(100 * c.weight, 1).replace(',0', '')} %{when})")
    return (
        "Indice de besoins (de 0 à 100 ; plus il est élevé, plus les besoins sont marqués). "
        "Pour chaque composante, les communes du département sont classées de la plus faible à "
        "la plus forte valeur et reçoivent leur rang centile (0 pour la plus faible, 100 pour la "
        "plus forte ; à égalité, le rang moyen) ; les zonages valent 100 (commune concernée) "
        "ou 0. L'indice est la moyenne pondérée de ces scores. Composantes et poids : "
        + " ; ".join(parts)
        + ". Quand une composante manque pour une commune (secret statistique, fichier non "
        "chargé), son poids est réparti sur les autres ; l'indice n'est pas calculé si moins "
        f"de {fr_number(100 * MIN_WEIGHT)} % du poids est disponible. La part des allocataires "
        "au quotient familial inférieur à 800 € approche les jeunes enfants des familles à bas "
        "revenus : les fichiers communaux de la Caf ne croisent pas l'âge des enfants et le "
        "quotient familial. Les poids sont un choix de méthode, à discuter en comité de "
        "pilotage ; l'indice classe les communes entre elles, il ne mesure pas un besoin "
        "absolu."
    )


# -- SPPE ---------------------------------------------------------------------------------------
def sppe_band(population: pd.Series | np.ndarray, thresholds: list[float]) -> np.ndarray:
    """Band index (0 = every commune) of each population: the number of thresholds it is
    strictly above (« plus de 3 500 habitants »: 3 500 is not above). NaN stays -1."""
    pop = np.asarray(pd.to_numeric(pd.Series(population), errors="coerce"), dtype="float64")
    th = np.asarray(thresholds, dtype="float64")
    band = (pop[:, None] > th[None, :]).sum(axis=1)
    return np.where(np.isnan(pop), -1, band)


def sppe_duties(communes: pd.DataFrame) -> pd.DataFrame:
    """SPPE duties of each commune from its municipal population (``code``, ``nom``,
    ``population``). Bands and duties come from the catalogue's dated parameter ``sppe``.

    Columns: commune, nom, population, strate, strate_libelle, obligations (list of French
    sentences), nb_obligations.
    """
    strata = sppe_strata()
    band = sppe_band(communes["population"], strata.thresholds())
    codes = np.array([s.code for s in strata.strata] + [""], dtype=object)
    labels = np.array([s.label for s in strata.strata] + ["population inconnue"], dtype=object)
    duties = [list(s.duties) for s in strata.strata] + [[]]
    out = pd.DataFrame(
        {
            "commune": communes["code"].astype(str).to_numpy(),
            "nom": communes["nom"].to_numpy(),
            "population": pd.to_numeric(communes["population"], errors="coerce").to_numpy(),
            "strate": codes[band],
            "strate_libelle": labels[band],
        }
    )
    out["obligations"] = [duties[b] for b in band]
    out["nb_obligations"] = out["obligations"].str.len()
    return out


# -- helpers --------------------------------------------------------------------------------------
def label_with_unit(label: str, unit: str) -> str:
    """« Taux de couverture global (places pour 100 enfants) »; the unit is not repeated when
    the label already holds it."""
    if not unit or unit in label:
        return label
    return f"{label} ({unit})"


def _nan(x: Any) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return bool(np.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def _zoning_loaded(territory, kind: str) -> bool:
    sources = [r.source for r in (territory.reports or [])]
    zon = territory.zonages
    if kind == "qpv":
        return (
            any(s.startswith("Quartiers prioritaires") for s in sources) or len(territory.qpv) > 0
        )
    return any(s.startswith("Zonage FRR") for s in sources) or (
        "frr" in zon and (zon["frr"].astype(str) != "non").any()
    )


def commune_values(
    territory, indicators: list[str], communes: list[str], year: int | None = None
) -> pd.DataFrame:
    """Value of each indicator for each commune at one year per indicator: the latest year
    (not after ``year``) in which at least one of ``communes`` has a shown value.

    Long frame: commune, indicateur, annee, valeur, masque, motif_masque.
    """
    cols = ["commune", "indicateur", "annee", "valeur", "masque", "motif_masque"]
    frame = compute(territory, "commune", indicators)
    if frame.empty:
        return pd.DataFrame(columns=cols)
    f = pd.DataFrame(
        {
            "commune": frame["territoire"].astype(str),
            "indicateur": frame["indicateur"].astype(str),
            "annee": frame["annee"],
            "valeur": frame["valeur"],
            "masque": frame["masque"],
            "motif_masque": frame["motif_masque"].astype(str),
        }
    )
    f = f[f["commune"].isin(set(communes))]
    if year is not None:
        f = f[f["annee"] <= int(year)]
    shown = f[~f["masque"] & f["valeur"].notna()]
    years = shown.groupby("indicateur")["annee"].max()
    f = f[f["annee"] == f["indicateur"].map(years)]
    return f[cols].reset_index(drop=True)


def _source_line(text: str, fictional: bool) -> str:
    return f"{text} (données fictives)" if fictional else text


# -- the indicator table, laid out for people -------------------------------------------------
def _remarks(table: pd.DataFrame, level: str) -> pd.Series:
    """French remarks per indicator row: secrecy, estimates, rounding, partial data."""
    parts = []
    masked = table["masque"].fillna(False).astype(bool)
    parts.append(table["motif_masque"].fillna("").astype(str).where(masked, ""))
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
    own_published = table.get("source_valeur", pd.Series("", index=table.index)).fillna("")
    own_published = own_published.astype(str) == "publiée"
    parts.append(
        (
            "valeur publiée par la source (les communes diffusées ne couvrent que "
            + (100 * cov.fillna(0)).round().astype(int).astype(str)
            + " % du dénominateur)"
        ).where(own_published, "")
    )
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
            published, ""
        )
    )
    joined = pd.concat(parts, axis=1).apply(lambda r: " ; ".join(x for x in r if x), axis=1)
    return joined.astype(object)


def indicator_display(table: pd.DataFrame, formatted: bool = True) -> pd.DataFrame:
    """An :func:`indicator_table` with French headers, for people, files and the CLI.

    ``formatted=True``: every cell is French text (« 1 234,5 », « secret », « n.d. »).
    ``formatted=False``: numbers stay numbers (for XLSX/CSV), masked values become « secret »,
    missing ones « n.d. »; a hidden column ``_decimales`` gives each row's decimals and
    ``attrs`` tell the exporters which columns use it.
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
    status[masked] = SECRET_TEXT
    status[is_cat & t["categorie"].notna()] = ""
    if formatted:
        out["Année"] = t["annee"].map(lambda y: "" if _nan(y) else str(int(y)))
        for col in ("Valeur", "Département", "France"):
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
        out.attrs["row_decimals"] = ["Valeur", "Département", "France"]
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
    "Unité",
    "Département",
    "Écart au département (points)",
    "France",
    "Écart à la France (points)",
    "Évolution",
    "Rang",
    "Remarques",
]


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
        if rule.denominator_min:
            secret.append(f"masqué sous {fr_number(rule.denominator_min)} au dénominateur")
        if rule.numerator_min:
            secret.append(f"masqué sous {fr_number(rule.numerator_min)} au numérateur")
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


# -- the diagnostic -----------------------------------------------------------------------------
@dataclass
class Diagnostic:
    """Everything the diagnostic shows for one territory. Build it with :func:`diagnose`."""

    code: str
    niveau: str
    nom: str
    annee: int | None
    fictif: bool
    departement: str | None
    departement_nom: str | None
    communes: list[str]
    table: pd.DataFrame  # indicator_table: one row per catalogue indicator
    contexte: pd.DataFrame  # libelle, valeur, texte, annee
    resume: str
    atouts: list[str]
    vigilances: list[str]
    limites: list[str]
    inclusion: pd.DataFrame  # one row per commune of the territory
    methode_indice: str
    sppe: pd.DataFrame  # one row per commune
    sppe_territoire: str
    sppe_source: str
    themes: dict[str, str] = field(default_factory=dict)  # theme id → French label
    territory: Any = field(default=None, repr=False)
    # indicator_display of the whole table, by ``formatted``: laid out once, sliced per theme
    _displays: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    # -- tables ---------------------------------------------------------------------------------
    def _display(self, formatted: bool) -> pd.DataFrame:
        if formatted not in self._displays:
            self._displays[formatted] = indicator_display(self.table, formatted=formatted)
        return self._displays[formatted]

    def theme_table(self, theme: str, formatted: bool = True) -> pd.DataFrame:
        """Indicators of one theme (id or French label) with French headers."""
        key = self._theme_key(theme)
        rows = (self.table["theme"] == key).to_numpy()
        full = self._display(formatted)
        out = full[rows].drop(columns="Thème").reset_index(drop=True)
        out.attrs = dict(full.attrs)
        # for people, the indicator names are the row labels (no 0, 1, 2… index)
        return out.set_index("Indicateur") if formatted else out

    def theme_tables(self, formatted: bool = False) -> dict[str, pd.DataFrame]:
        """French theme label → table, in the catalogue's order (themes with rows only)."""
        out = {}
        for key, label in self.themes.items():
            if (self.table["theme"] == key).any():
                out[label] = self.theme_table(key, formatted=formatted)
        return out

    def theme_summary(self, theme: str) -> str:
        """One French paragraph on a theme: indicators available, then its alerts."""
        key = self._theme_key(theme)
        rows = self.table[self.table["theme"] == key]
        label = self.themes[key]
        shown = int((rows["disponible"] & ~rows["masque"]).sum())
        if rows.empty or not rows["disponible"].any():
            return (
                f"{label} : aucun indicateur de ce thème n'est disponible dans le catalogue et "
                "les données chargées."
            )
        alerts = [s for a in rows["alertes"] for s in a]
        text = f"{label} : {shown} indicateur{'s' if shown > 1 else ''} sur {len(rows)}"
        text += f" ; {len(alerts)} alerte{'s' if len(alerts) > 1 else ''}"
        text += "." if not alerts else " :\n" + "\n".join(f"- {a}" for a in alerts)
        return text

    def _theme_key(self, theme: str) -> str:
        if theme in self.themes:
            return theme
        for key, label in self.themes.items():
            if label == theme:
                return key
        raise TerritoireError(
            f"Thème inconnu : « {theme} ». Thèmes possibles : {', '.join(self.themes)}."
        )

    def inclusion_table(self, formatted: bool = True) -> pd.DataFrame:
        """The inclusion diagnostic per commune, ranked by the needs index (French headers)."""
        inc = self.inclusion
        cols: dict[str, tuple[str, int]] = {
            "population": ("Population", 0),
            "enfants_0_2": ("Enfants de moins de 3 ans", 0),
            "taux_couverture_global": ("Taux de couverture global", 1),
            "part_qf_moins_800": ("Allocataires QF < 800 € (%)", 1),
            "taux_pauvrete": ("Taux de pauvreté (%)", 1),
            "part_rsa": ("Foyers RSA pour 100 allocataires", 1),
            "part_familles_monoparentales": ("Familles monoparentales (%)", 1),
            "part_asf": ("Foyers ASF pour 100 allocataires", 1),
            "part_aeeh": ("Foyers AEEH pour 100 allocataires", 1),
        }
        out = pd.DataFrame(
            {
                "Rang": inc["rang"],
                "Code": inc["commune"],
                "Commune": inc["nom"],
                "EPCI": inc["epci_nom"],
            }
        )
        fmt_cols = []
        for key, (label, d) in cols.items():
            if key not in inc:
                continue
            v = pd.to_numeric(inc[key], errors="coerce")
            m = inc.get(f"{key}_masque", pd.Series(False, index=inc.index)).fillna(False)
            if formatted:
                col = v.map(lambda x, d=d: "" if _nan(x) else fr_number(float(x), d))
            else:
                col = v.astype(object)
                fmt_cols.append((label, d))
            col = col.astype(object)
            col[v.isna()] = MISSING_TEXT
            col[m.astype(bool)] = SECRET_TEXT
            out[label] = col
        out["QPV"] = np.where(inc["qpv"] > 0, inc["qpv"].astype("Int64").astype(str) + " QPV", "")
        out["FRR"] = inc["frr"].map(FRR_LABELS).fillna(inc["frr"]).replace({"non": ""})
        idx = pd.to_numeric(inc["indice_besoins"], errors="coerce")
        if formatted:
            out["Indice de besoins"] = idx.map(lambda x: MISSING_TEXT if _nan(x) else fr_number(x))
            out["Rang"] = inc["rang"].map(lambda x: "" if _nan(x) else str(int(x)))
        else:
            out["Indice de besoins"] = idx.astype(object).where(idx.notna(), MISSING_TEXT)
            out.attrs["formats"] = {
                "Rang": "0",
                "Indice de besoins": "0",
                **{label: "#,##0" if d == 0 else "#,##0.0" for label, d in fmt_cols},
            }
        out = out.reset_index(drop=True)
        if formatted:
            if out["EPCI"].nunique() <= 1:
                out = out.drop(columns="EPCI")
            out = out.set_index("Rang")
        return out

    def sppe_table(self, formatted: bool = True) -> pd.DataFrame:
        """SPPE band and duties of each commune (French headers)."""
        s = self.sppe
        pop = s["population"]
        out = pd.DataFrame(
            {
                "Code": s["commune"],
                "Commune": s["nom"],
                "Population municipale": (
                    pop.map(lambda x: MISSING_TEXT if _nan(x) else fr_number(x))
                    if formatted
                    else pop
                ),
                "Strate": s["strate_libelle"],
                "Compétences obligatoires": s["obligations"].map(lambda d: " ; ".join(d)),
            }
        )
        if not formatted:
            out.attrs["formats"] = {"Population municipale": "#,##0"}
            return out
        return out.set_index("Commune")

    def synthesis_table(self) -> pd.DataFrame:
        """Context, strengths, points of vigilance and data limits, as one two-column table."""
        rows = [("Territoire", f"{self.nom} ({LEVEL_NAMES[self.niveau]})")]
        if self.fictif:
            rows.append(("Données", "fictives (démonstration)"))
        rows.append(("Résumé", self.resume))
        rows += list(zip(self.contexte["libelle"], self.contexte["texte"], strict=True))
        rows += [("Atout", s) for s in self.atouts]
        rows += [("Point de vigilance", s) for s in self.vigilances]
        rows += [("Limite des données", s) for s in self.limites]
        rows.append(("Service public de la petite enfance", self.sppe_territoire))
        return pd.DataFrame(rows, columns=["Rubrique", "Contenu"])

    def definitions(self) -> pd.DataFrame:
        """Definitions and sources of every indicator, the needs index and the SPPE bands."""
        d = definitions_frame(self.table)
        extra = pd.DataFrame(
            [
                {
                    "Thème": "Inclusion",
                    "Indicateur": "Indice de besoins",
                    "Identifiant": "indice_besoins",
                    "Définition": self.methode_indice,
                    "Unité": "score de 0 à 100",
                    "Source": "calcul Territoire à partir des indicateurs du catalogue",
                    "Millésime": "voir les composantes",
                },
                {
                    "Thème": "Service public de la petite enfance",
                    "Indicateur": "Compétences obligatoires par strate de population",
                    "Identifiant": "sppe",
                    "Définition": self.sppe_territoire,
                    "Unité": "strate",
                    "Source": self.sppe_source,
                    "Millésime": "population municipale du référentiel",
                },
            ]
        )
        out = pd.concat([d, extra], ignore_index=True).fillna("")
        if self.fictif:
            out["Source"] = out["Source"] + " — données fictives de démonstration"
        return out

    def text(self) -> str:
        """Strengths, points of vigilance and limits as French text (for print)."""
        blocks = [self.resume, ""]
        blocks.append("Atouts :" if self.atouts else "Atouts : aucun écart favorable marqué.")
        blocks += [f"- {s}" for s in self.atouts]
        blocks.append("")
        blocks.append(
            "Points de vigilance :" if self.vigilances else "Points de vigilance : aucun."
        )
        blocks += [f"- {s}" for s in self.vigilances]
        if self.limites:
            blocks += ["", "Limites des données :"] + [f"- {s}" for s in self.limites]
        return "\n".join(blocks)

    # -- charts ---------------------------------------------------------------------------------
    def _source(self, indicator: str) -> str:
        cat = load_catalogue_full()
        return _source_line(cat.indicators[indicator].source, self.fictif)

    def reference_chart(self, theme: str):
        """The theme's rates: the territory against the département and France."""
        from . import charts

        key = self._theme_key(theme)
        rows = self.table[
            (self.table["theme"] == key) & (self.table["type"] == "taux") & self.table["disponible"]
        ]
        label = self.themes[key]
        title = f"{label} — {self.nom} face au département et à la France"
        if rows.empty:
            return _empty_chart(title, "Aucun taux de ce thème n'est chargé pour ce territoire.")
        libelle = pd.Series(
            [label_with_unit(a, b) for a, b in zip(rows["libelle"], rows["unite"], strict=True)],
            index=rows.index,
        )
        series = [
            pd.DataFrame(
                {
                    "libelle": libelle,
                    "serie": self.nom,
                    "valeur": rows["valeur"],
                    "masque": rows["masque"],
                }
            )
        ]
        if self.niveau != "departement" and self.departement_nom:
            series.append(
                pd.DataFrame(
                    {
                        "libelle": libelle,
                        "serie": self.departement_nom,
                        "valeur": rows["valeur_departement"],
                        "masque": False,
                    }
                )
            )
        series.append(
            pd.DataFrame(
                {
                    "libelle": libelle,
                    "serie": "France",
                    "valeur": rows["valeur_france"],
                    "masque": False,
                }
            )
        )
        data = pd.concat(series, ignore_index=True)
        first = data["serie"] == self.nom
        data = data[first | data["valeur"].notna()]
        year = rows["annee"].dropna()
        when = f", {int(year.max())}" if len(year) else ""
        sources = " ; ".join(dict.fromkeys(rows["source"]))
        return charts.reference_bars(data, title + when, _source_line(sources, self.fictif))

    def time_series_chart(self, indicator: str = "taux_couverture_global"):
        """An indicator by year: the territory, its département and France."""
        from . import charts

        cat = load_catalogue_full()
        ind = cat.indicators[indicator]
        t = self.territory
        own = compute(t, self.niveau, [indicator])
        key = self.code[3:].lstrip(":") if self.niveau == "region" else self.code
        frames = [_series(own, key, self.nom)]
        if self.departement and self.niveau != "departement":
            dep = compute(t, "departement", [indicator])
            frames.append(_series(dep, self.departement, self.departement_nom or ""))
        france = _france_series(t, ind)
        if len(france):
            frames.append(france)
        data = pd.concat(frames, ignore_index=True)
        if self.annee is not None:
            data = data[data["annee"] <= self.annee]
        fmt = ",.0f" if ind.decimals == 0 else f",.{ind.decimals}f"
        return charts.time_series(
            data,
            f"{ind.label} — {self.nom}",
            self._source(indicator),
            y_title=label_with_unit(ind.label, ind.unit),
            value_format=fmt,
            zero=ind.type == "taux",
        )

    def commune_values(self, indicator: str) -> pd.DataFrame:
        """Values of one indicator (or ``indice_besoins``) for the communes of the territory:
        code, nom, valeur, masque, annee."""
        names = self.inclusion.set_index("commune")["nom"]
        if indicator == "indice_besoins":
            inc = self.inclusion
            return pd.DataFrame(
                {
                    "code": inc["commune"],
                    "nom": inc["nom"],
                    "valeur": inc["indice_besoins"],
                    "masque": False,
                    "annee": np.nan,
                }
            )
        v = commune_values(self.territory, [indicator], self.communes, self.annee)
        out = pd.DataFrame({"code": self.communes})
        out["nom"] = out["code"].map(names)
        v = v.set_index("commune")
        out["valeur"] = out["code"].map(v["valeur"])
        out["masque"] = out["code"].map(v["masque"]).fillna(False).astype(bool)
        out["annee"] = out["code"].map(v["annee"])
        return out

    def ranked_chart(self, indicator: str = "taux_couverture_global"):
        """The communes of the territory ranked by an indicator (or by the needs index)."""
        from . import charts

        data = self.commune_values(indicator)
        if indicator == "indice_besoins":
            return charts.ranked_communes(
                data,
                f"Indice de besoins des communes — {self.nom}",
                _source_line("calcul Territoire (Insee, Cnaf, ANCT, DGCL)", self.fictif),
                label="Indice de besoins (0 à 100)",
                value_format=",.0f",
                decimals=0,
            )
        ind = load_catalogue_full().indicators[indicator]
        year = data["annee"].dropna()
        when = f", {int(year.max())}" if len(year) else ""
        row = self.table[self.table["indicateur"] == indicator]
        dep = float(row["valeur_departement"].iloc[0]) if len(row) else math.nan
        fmt = ",.0f" if ind.decimals == 0 else f",.{ind.decimals}f"
        return charts.ranked_communes(
            data,
            f"{ind.label} par commune — {self.nom}{when}",
            self._source(indicator),
            label=f"{ind.label} ({ind.unit})",
            value_format=fmt,
            decimals=ind.decimals,
            reference=None if _nan(dep) else dep,
            reference_label=(
                f"{self.departement_nom} : {fr_number(dep, ind.decimals)}"
                if not _nan(dep) and self.departement_nom
                else None
            ),
        )

    def indicator_map(self, indicator: str = "taux_couverture_global"):
        """Map of one indicator over the communes of the territory."""
        from . import charts

        contours = self._contours()
        data = self.commune_values(indicator)
        ind = load_catalogue_full().indicators[indicator]
        year = data["annee"].dropna()
        when = f", {int(year.max())}" if len(year) else ""
        fmt = ",.0f" if ind.decimals == 0 else f",.{ind.decimals}f"
        return charts.choropleth(
            contours,
            data,
            f"{ind.label} — {self.nom}{when}",
            self._source(indicator),
            label=f"{ind.label} ({ind.unit})",
            value_format=fmt,
            codes=self.communes,
            reverse=False,
        )

    def needs_map(self):
        """Map of the needs index over the communes of the territory."""
        from . import charts

        return charts.needs_index_map(
            self._contours(),
            self.commune_values("indice_besoins"),
            f"Indice de besoins des communes — {self.nom}",
            _source_line("calcul Territoire (Insee, Cnaf, ANCT, DGCL)", self.fictif),
            codes=self.communes,
        )

    def age_chart(self):
        """Children and young people by age band (latest census)."""
        from . import charts
        from .key_figures import children_by_age

        ages = children_by_age(self.territory, self.code)
        year = int(ages["annee"].iloc[0]) if len(ages) else None
        return charts.children_by_age_chart(
            ages,
            f"Enfants et jeunes par âge — {self.nom}" + (f", {year}" if year else ""),
            _source_line("Insee, recensement de la population", self.fictif),
        )

    def _contours(self) -> dict:
        contours = getattr(self.territory, "contours", None)
        if not contours:
            raise TerritoireError(
                "Aucun contour de commune n'est chargé (rubrique « contours » du manifeste) : "
                "la carte ne peut pas être dessinée."
            )
        return contours


def _empty_chart(title: str, message: str):
    import altair as alt

    from . import charts

    chart = (
        alt.Chart(pd.DataFrame({"texte": [message]}))
        .mark_text(fontSize=14, align="left", x=0, y=20)
        .encode(text=alt.Text("texte:N"))
        .properties(title=charts._title(title, None), width=420, height=40)
    )
    return charts._config(chart)


def _series(frame: pd.DataFrame, code: str, name: str) -> pd.DataFrame:
    sel = frame[(frame["territoire"].astype(str) == str(code)) & ~frame["masque"]]
    sel = sel[sel["valeur"].notna()]
    return pd.DataFrame({"annee": sel["annee"].astype(int), "valeur": sel["valeur"], "serie": name})


def _france_series(territory, ind) -> pd.DataFrame:
    refs = territory.references
    if ind.published_reference and refs is not None and len(refs):
        sel = refs[(refs["niveau"] == "france") & (refs["variable"] == ind.published_reference)]
        sel = sel[sel["valeur"].notna()]
        if len(sel):
            return pd.DataFrame(
                {"annee": sel["annee"].astype(int), "valeur": sel["valeur"], "serie": "France"}
            ).sort_values("annee")
    if ind.references:
        years = sorted(ind.references)
        return pd.DataFrame(
            {"annee": years, "valeur": [ind.references[y] for y in years], "serie": "France"}
        )
    return pd.DataFrame(columns=["annee", "valeur", "serie"])


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


def _limits(table: pd.DataFrame, level: str) -> list[str]:
    out = []
    masked = table[table["masque"].fillna(False).astype(bool)]
    for r in masked.to_dict(orient="records"):
        out.append(f"{r['libelle']} : {r['motif_masque']}.")
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
            text = "secret statistique"
        elif _nan(r["valeur"]):
            text = MISSING_TEXT
        else:
            text = format_value(ind, r["valeur"])
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
            refs = []
            if level not in ("departement", "region") and not _nan(r["valeur_departement"]):
                refs.append(f"département : {fr_number(r['valeur_departement'], 1)}")
            if not _nan(r["valeur_france"]):
                refs.append(f"France : {fr_number(r['valeur_france'], 1)}")
            text += f" ({' ; '.join(refs)})." if refs else "."
    return text


# -- inclusion ------------------------------------------------------------------------------------
def _inclusion(territory, communes: list[str], year: int | None) -> tuple[pd.DataFrame, dict]:
    """Per commune of the territory: inclusion indicators, scores and needs index. Scores are
    computed among all the communes of the départements concerned (once per département set
    and year: every commune of a batch shares them)."""
    all_c = territory.geography.communes
    deps = tuple(sorted(set(all_c.loc[all_c["code"].isin(communes), "departement"])))
    out, comp_years = cached(
        territory, ("inclusion", deps, year), lambda: _inclusion_scope(territory, deps, year)
    )
    out = out[out["commune"].isin(set(communes))].copy()
    out["rang"] = out["indice_besoins"].rank(ascending=False, method="min")
    out = out.sort_values(["rang", "nom"], na_position="last").reset_index(drop=True)
    return out, dict(comp_years)


def _inclusion_scope(territory, deps: tuple, year: int | None) -> tuple[pd.DataFrame, dict]:
    """Inclusion indicators, scores, needs index and rank in the département of every commune
    of the départements ``deps``."""
    geo = territory.geography
    all_c = geo.communes
    scope = all_c[all_c["departement"].isin(deps)].copy()
    scope_codes = scope["code"].astype(str).tolist()
    indicators = [c.indicator for c in NEEDS_COMPONENTS if c.indicator] + list(INCLUSION_EXTRA)
    cat = load_catalogue_full()
    indicators = [i for i in dict.fromkeys(indicators) if i in cat.indicators]
    long = commune_values(territory, indicators, scope_codes, year)
    wide = long.pivot(index="commune", columns="indicateur", values="valeur")
    masks = long.pivot(index="commune", columns="indicateur", values="masque")
    wide = wide.reindex(index=scope_codes, columns=indicators)
    masks = masks.reindex(index=scope_codes, columns=indicators).fillna(False).astype(bool)
    years = long.groupby("indicateur")["annee"].max().to_dict()
    comp = pd.DataFrame(index=pd.Index(scope_codes, name="commune"))
    comp_years = {}
    for c in NEEDS_COMPONENTS:
        if c.indicator:
            comp[c.key] = wide.get(c.indicator, np.nan)
            if c.indicator in years:
                comp_years[c.key] = int(years[c.indicator])
    zon = territory.zonages.assign(commune=territory.zonages["commune"].astype(str))
    zon = zon.set_index("commune").reindex(scope_codes)
    qpv = pd.to_numeric(zon.get("qpv"), errors="coerce").fillna(0)
    frr = zon.get("frr", pd.Series("non", index=zon.index)).fillna("non").astype(str)
    comp["qpv"] = (qpv > 0).astype(float) if _zoning_loaded(territory, "qpv") else np.nan
    comp["frr"] = (
        frr.isin(FRR_CLASSES).astype(float) if _zoning_loaded(territory, "frr") else np.nan
    )
    groups = scope.set_index(scope["code"].astype(str))["departement"]
    scores = needs_index(comp, groups)
    out = pd.DataFrame({"commune": scope_codes})
    base = scope.set_index(scope["code"].astype(str))
    out["nom"] = out["commune"].map(base["nom"])
    epci_names = geo.epcis.set_index("code")["nom"]
    out["epci"] = out["commune"].map(base["epci"])
    out["epci_nom"] = out["epci"].map(epci_names).fillna("")
    out["departement"] = out["commune"].map(base["departement"])
    out["population_municipale"] = out["commune"].map(base["population"])
    for ind in indicators:
        out[ind] = out["commune"].map(wide[ind])
        out[f"{ind}_masque"] = out["commune"].map(masks[ind]).astype(bool)
    out["qpv"] = out["commune"].map(qpv).astype("int64")
    out["frr"] = out["commune"].map(frr)
    for col in scores.columns:
        out[col] = out["commune"].map(scores[col])
    out["rang_departement"] = out.groupby("departement")["indice_besoins"].rank(
        ascending=False, method="min"
    )
    return out, comp_years


# -- entry point ------------------------------------------------------------------------------
def diagnose(territory, code: str, year: int | None = None) -> Diagnostic:
    """The diagnostic of one territory (commune, EPCI, département, perimeter code).

    ``year``: the diagnostic's year; each indicator takes its latest year not after it
    (``None``: the latest data). An unknown code raises a French error.
    """
    code = str(code).strip()
    geo = territory.geography
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
    sppe = sppe_duties(geo.communes[geo.communes["code"].isin(members)])
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
    sppe_text = _sppe_text(sppe, strata, level, members, geo)
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
        limites=_limits(table, level),
        inclusion=inclusion,
        methode_indice=needs_method_text(comp_years),
        sppe=sppe,
        sppe_territoire=sppe_text,
        sppe_source=f"{strata.source} (seuils en vigueur au {strata.date}){status}",
        themes=dict(cat.themes),
        territory=territory,
    )


def _sppe_text(sppe: pd.DataFrame, strata, level: str, members, geo) -> str:
    counts = sppe["strate"].value_counts()
    parts = []
    for s in strata.strata:
        n = int(counts.get(s.code, 0))
        if n:
            parts.append(f"{fr_number(n)} dans la strate « {s.label} »")
    text = "Communes : " + ", ".join(parts) + "." if parts else ""
    if level == "commune" and len(sppe):
        row = sppe.iloc[0]
        pop = (
            "population inconnue"
            if _nan(row["population"])
            else (f"{fr_number(row['population'])} habitants")
        )
        text = (
            f"{row['nom']} ({pop}) : strate « {row['strate_libelle']} ». Compétences "
            "obligatoires : " + " ; ".join(row["obligations"]) + "."
        )
    if level != "commune" and len(members) > 1:
        pop = pd.to_numeric(
            geo.communes.loc[geo.communes["code"].isin(members), "population"], errors="coerce"
        ).sum()
        band = int(sppe_band(pd.Series([pop]), strata.thresholds())[0])
        if band >= 0:
            text += (
                f" Si la compétence était transférée à l'intercommunalité, la strate serait "
                f"appréciée sur la population totale des communes ({fr_number(pop)} habitants) : "
                f"« {strata.strata[band].label} »."
            )
    if strata.note:
        text += f" {strata.note}"
    return text.strip()
