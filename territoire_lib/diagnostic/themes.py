"""The six CTG themes of a diagnostic in depth (mixin of :class:`.model.Diagnostic`): the
rows of a theme (its own indicators and those it also shows), its main figure, « Ce qu'il faut
retenir », the QPV against their commune, the DREES context lines on accueils collectifs de
mineurs, the projection of school-age children, and the French notes on what the register of
facilities would add where it is missing.

Layer « diagnostic »; imports graphiques (lazily), données (demography, lazily), indicateurs,
the socle, :mod:`.common` and :mod:`.takeaways`.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from ..french import number as fr_number
from ..indicators import load_catalogue_full
from .common import _nan, _source_line
from .takeaways import FOCUS, takeaways

# the six CTG themes (catalogue ids), in the order of the convention
CTG_THEMES = (
    "petite_enfance",
    "enfance_jeunesse",
    "parentalite",
    "avs",
    "logement",
    "acces_droits",
)
SCHOOL_AGE_HORIZON = 6  # years projected after the last census
ACM_PERIODS = ("mercredi", "periscolaire", "samedi", "toussaint", "noel", "hiver", "printemps",
               "juillet", "aout", "autres_jours")  # fmt: skip
ACM_SOURCE = "DREES, Panorama statistique (Djepva, Injep)"

# What the register of facilities (not loaded yet) would feed, theme by theme, in French.
REGISTER_NOTES: dict[str, str] = {
    "enfance_jeunesse": (
        "Ce qui manque : les places d'accueil de loisirs (ALSH périscolaire, du mercredi et "
        "extrascolaire) et d'accueil de jeunes, commune par commune. Elles viendront du "
        "répertoire des équipements, que Territoire ne charge pas encore ; en attendant, seules "
        "les lignes de contexte départemental de la DREES donnent des places. Pour "
        "le préparer : la liste des accueils déclarés (nom, commune, type, places par période "
        "et par âge) que tiennent le service jeunesse de l'État (SDJES) et la Caf pour la "
        "prestation de service ALSH."
    ),
    "parentalite": (
        "Ce qui manque : les lieux d'accueil enfants-parents (LAEP), les accompagnements à la "
        "scolarité (CLAS) et les actions des réseaux d'écoute et d'appui aux parents (REAAP), "
        "commune par commune. Ils viendront du répertoire des équipements, que Territoire ne "
        "charge pas encore. Pour le préparer : la liste des LAEP publiée par la Cnaf sur "
        "data.gouv.fr (adresses des LAEP percevant une prestation de service) et, pour le CLAS "
        "et le REAAP, les actions financées par la Caf (nom, commune, public, séances)."
    ),
    "avs": (
        "Ce qui manque : la liste des centres sociaux et des espaces de vie sociale (EVS) "
        "agréés par la Caf, avec leur zone de compétence. Sans elle, Territoire ne peut pas "
        "calculer la population ni le taux de pauvreté des communes qui n'ont ni centre social "
        "ni EVS : les chiffres ci-dessus sont ceux qui appellent une structure d'animation de "
        "la vie sociale (pauvreté, isolement des personnes âgées, ménages d'une personne, "
        "foyers en quartier prioritaire). Pour la préparer : pour chaque structure, son nom, "
        "son type (centre social ou EVS), sa commune et les communes de sa zone de compétence "
        "(la Caf les tient pour ses agréments) ; le répertoire des équipements de Territoire, "
        "en préparation, les chargera."
    ),
    "logement": (
        "Ce qui manque : les France services et la distance de chaque commune au plus proche. "
        "Ils viendront du répertoire des équipements (liste publiée des France services), que "
        "Territoire ne charge pas encore."
    ),
    "acces_droits": (
        "Ce qui manque : les France services, les points d'accueil de la Caf et les points "
        "numériques, et la distance de chaque commune au plus proche. Ils viendront du "
        "répertoire des équipements (liste publiée des France services), que Territoire ne "
        "charge pas encore."
    ),
}


def _qpv_value(values: pd.Series | None, variable: str, decimals: int) -> str:
    v = math.nan if values is None else values.get(variable, math.nan)
    return "n.d." if _nan(v) else fr_number(float(v), decimals)


def _per_commune(obs, variable: str, communes: list[str], year, names) -> str:
    """The published value of each commune of a QPV, « n.d. » when secret or missing; with
    the commune's name when the QPV spans several."""
    decimals = 1 if variable == "taux_pauvrete_publie" else 0
    parts = []
    for commune in communes:
        sel = obs[(obs["commune"] == commune) & (obs["variable"] == variable)]
        if year is not None:
            sel = sel[sel["annee"] == year]
        value = sel["valeur"].dropna()
        parts.append("n.d." if value.empty else fr_number(float(value.iloc[-1]), decimals))
    if len(communes) == 1:
        return parts[0]
    return " ; ".join(f"{names.get(c, c)} : {v}" for c, v in zip(communes, parts, strict=True))


class DiagnosticThemes:
    """Theme depth of :class:`~territoire_lib.diagnostic.Diagnostic` (a mixin: it reads the
    diagnostic's fields)."""

    def _memo(self) -> dict:
        return self.__dict__.setdefault("_theme_memo", {})

    # -- rows -----------------------------------------------------------------------------------
    def theme_rows(self, theme: str) -> pd.DataFrame:
        """The indicator rows of a theme (id or French label): its own indicators, then those
        of other themes it also shows (catalogue key ``themes_associes``), in catalogue order."""
        key = self._theme_key(theme)
        cat = load_catalogue_full()
        ids = self.table["indicateur"].astype(str)
        own = (self.table["theme"] == key).to_numpy()
        also = ids.map(lambda i: key in cat.indicators[i].also).to_numpy()
        return pd.concat([self.table[own], self.table[also & ~own]])

    def row(self, indicator: str) -> dict | None:
        """The table row of one indicator, as a dict (None if it is not in the catalogue)."""
        sel = self.table[self.table["indicateur"] == indicator]
        return sel.iloc[0].to_dict() if len(sel) else None

    def focus_indicator(self, theme: str) -> str | None:
        """The theme's main figure (map and series): the first of :data:`FOCUS` shown for this
        territory with at least two years, else the first shown, else the theme's first rate."""
        key = self._theme_key(theme)
        rows = self.theme_rows(key)
        shown = rows[rows["disponible"].astype(bool) & rows["valeur"].notna()]
        preferred = [i for i in FOCUS.get(key, ()) if i in set(shown["indicateur"])]
        for ident in preferred:
            if self._years_of(ident) >= 2:
                return ident
        if preferred:
            return preferred[0]
        rates = shown[shown["type"] == "taux"]
        return str(rates["indicateur"].iloc[0]) if len(rates) else None

    def _years_of(self, indicator: str) -> int:
        from ..indicators import compute

        memo = self._memo()
        if ("years", indicator) not in memo:
            key = self.code[3:].lstrip(":") if self.niveau == "region" else self.code
            frame = compute(self.territory, self.niveau, [indicator])
            own = frame[(frame["territoire"].astype(str) == key) & frame["valeur"].notna()]
            memo[("years", indicator)] = int(own["annee"].nunique())
        return memo[("years", indicator)]

    def takeaways(self, theme: str) -> list[str]:
        """« Ce qu'il faut retenir » of a theme (:func:`.takeaways.takeaways`)."""
        return takeaways(self, self._theme_key(theme))

    def theme_report(self, theme: str) -> str:
        """A theme as French text for a notebook or a report: « Ce qu'il faut retenir », the
        indicators shown and the alerts (:meth:`theme_summary`), the theme's context lines
        and what the register of facilities would add."""
        key = self._theme_key(theme)
        blocks = []
        sentences = self.takeaways(key)
        if sentences:
            blocks.append("Ce qu'il faut retenir :\n" + "\n".join(f"- {s}" for s in sentences))
        blocks.append(self.theme_summary(key))
        if key == "enfance_jeunesse":
            lines = self.acm_context()
            if len(lines):
                blocks.append(
                    "Contexte départemental, accueils collectifs de mineurs (DREES ; chiffres du "
                    "département, sans détail par commune) :\n"
                    + "\n".join(f"- {t}" for t in lines["phrase"])
                )
        note = self.register_note(key)
        if note:
            blocks.append(note)
        return "\n\n".join(blocks)

    def theme_map(self, theme: str):
        """The map of the theme's main figure (:meth:`focus_indicator`)."""
        ident = self.focus_indicator(theme)
        if ident is None:
            from .figures import _empty_chart

            return _empty_chart(self.themes[self._theme_key(theme)], "Aucun taux de ce thème.")
        return self.indicator_map(ident)

    def theme_series(self, theme: str):
        """The series of the theme's main figure: the territory, its département, France."""
        ident = self.focus_indicator(theme)
        if ident is None:
            from .figures import _empty_chart

            return _empty_chart(self.themes[self._theme_key(theme)], "Aucun taux de ce thème.")
        return self.time_series_chart(ident)

    def register_note(self, theme: str) -> str:
        """What the register of facilities would add to the theme, in French (empty when the
        theme does not need it)."""
        return REGISTER_NOTES.get(self._theme_key(theme), "")

    # -- QPV ------------------------------------------------------------------------------------
    def qpv_table(self) -> pd.DataFrame:
        """The quartiers prioritaires of the territory against their commune: poverty rate
        and median standard of living of the QPV (Insee, Filosofi by QPV) and of each of its
        communes (Filosofi, same year). Columns: Quartier, Code, Communes, Année, Taux de
        pauvreté du quartier (%), Taux de pauvreté de la commune (%), Niveau de vie médian du
        quartier (€), Niveau de vie médian de la commune (€). Empty without QPV."""
        t = self.territory
        qpv = t.qpv[t.qpv["commune"].astype(str).isin(self.communes)]
        columns = [
            "Quartier",
            "Code",
            "Communes",
            "Année",
            "Taux de pauvreté du quartier (%)",
            "Taux de pauvreté de la commune (%)",
            "Niveau de vie médian du quartier (€)",
            "Niveau de vie médian de la commune (€)",
        ]
        if qpv.empty:
            return pd.DataFrame(columns=columns)
        refs = t.references
        refs = refs[refs["niveau"] == "qpv"]
        names = t.geography.communes.set_index("code")["nom"]
        obs = t.observations
        obs = obs[
            obs["variable"].isin(["taux_pauvrete_publie", "niveau_vie_median"])
            & obs["commune"].isin(set(qpv["commune"]))
        ]
        rows = []
        for code, group in qpv.groupby("code_qp", sort=True):
            own = refs[refs["code"] == code]
            year = int(own["annee"].max()) if len(own) else None
            values = own[own["annee"] == year].set_index("variable")["valeur"] if year else None
            communes = sorted(group["commune"].astype(str))
            rows.append(
                [
                    str(group["lib_qp"].iloc[0]),
                    str(code),
                    ", ".join(str(names.get(c, c)) for c in communes),
                    "" if year is None else str(year),
                    _qpv_value(values, "taux_pauvrete_publie", 1),
                    _per_commune(obs, "taux_pauvrete_publie", communes, year, names),
                    _qpv_value(values, "niveau_vie_median", 0),
                    _per_commune(obs, "niveau_vie_median", communes, year, names),
                ]
            )
        return pd.DataFrame(rows, columns=columns)

    # -- accueils collectifs de mineurs (DREES) --------------------------------------------------
    def acm_context(self) -> pd.DataFrame:
        """Context lines of the département on accueils collectifs de mineurs (DREES): one row
        per line, columns cle, libelle, departement, france, phrase. Empty without the file or
        for a territory spread over no single département."""
        cols = ["cle", "libelle", "departement", "france", "phrase"]
        dep = self.departement if self.niveau != "departement" else self.code
        refs = self.territory.references
        if dep is None or refs is None or not len(refs):
            return pd.DataFrame(columns=cols)
        acm = refs[refs["variable"].astype(str).str.startswith("acm_")]
        d = acm[(acm["niveau"] == "departement") & (acm["code"].astype(str) == str(dep))]
        if d.empty:
            return pd.DataFrame(columns=cols)
        year = int(d["annee"].max())
        d = d[d["annee"] == year].set_index("variable")["valeur"]
        f = acm[(acm["niveau"] == "france") & (acm["annee"] == year)]
        f = f.set_index("variable")["valeur"]
        rows = []
        total, with_al = d.get("acm_communes_total"), d.get("acm_communes_accueil_loisirs")
        if not _nan(total) and not _nan(with_al) and total:
            share = 100 * with_al / total
            f_total, f_al = f.get("acm_communes_total"), f.get("acm_communes_accueil_loisirs")
            france = 100 * f_al / f_total if not _nan(f_al) and not _nan(f_total) else math.nan
            text = (
                f"Contexte départemental (DREES, {year}) : {fr_number(with_al)} communes sur "
                f"{fr_number(total)} du département ont au moins un accueil de "
                f"loisirs, soit {fr_number(share, 1)}\u202f%"
                + ("" if _nan(france) else f" (France : {fr_number(france, 1)}\u202f%)")
                + "."
            )
            rows.append(
                ["communes_accueil_loisirs", "Communes disposant d'un accueil de loisirs (%)",
                 share, france, text]
            )  # fmt: skip
        children = self._departement_children(str(dep), year)
        from ..sources.drees import SECTION_LABELS

        for period in ACM_PERIODS:
            places = d.get(f"acm_{period}_places")
            if _nan(places):
                continue
            young = d.get(f"acm_{period}_moins_6")
            f_places, f_young = f.get(f"acm_{period}_places"), f.get(f"acm_{period}_moins_6")
            per_child = 100 * places / children if children else math.nan
            text = (
                f"Places en accueil collectif de mineurs {SECTION_LABELS[period]} ({year}) : "
                f"{fr_number(places)} dans le département"
                + (
                    ""
                    if _nan(per_child)
                    else f", soit {fr_number(per_child, 1)} pour 100 enfants de 3 à 17 ans"
                )
            )
            if not _nan(young) and places:
                text += f" ; {fr_number(100 * young / places)}\u202f% pour les moins de 6 ans"
                if not _nan(f_young) and not _nan(f_places) and f_places:
                    text += f" (France : {fr_number(100 * f_young / f_places)}\u202f%)"
            rows.append(
                [f"places_{period}", f"Places {SECTION_LABELS[period]} pour 100 enfants de 3 à 17 ans",
                 per_child, math.nan, text + "."]
            )  # fmt: skip
        return pd.DataFrame(rows, columns=cols)

    def _departement_children(self, dep: str, year: int) -> float:
        """Children aged 3 to 17 of the département at the census of ``year`` (or the latest
        before it, or the first one)."""
        totals = self.territory.totals(dep, ["pop_3_5", "pop_6_10", "pop_11_17"])
        if totals.empty:
            return math.nan
        years = sorted(totals["annee"].unique())
        before = [y for y in years if y <= year]
        chosen = before[-1] if before else years[0]
        return float(totals.loc[totals["annee"] == chosen, "valeur"].sum())

    # -- school-age children ----------------------------------------------------------------------
    def school_age_projection(self) -> pd.DataFrame:
        """Children aged 3-5 and 6-10 of the territory by year: the censuses, then the
        projection of the demography module (:func:`territoire_lib.demography.project_children`)
        for :data:`SCHOOL_AGE_HORIZON` years after the last census. Columns annee, pop_3_5,
        pop_6_10, statut (« observé » / « projeté »)."""
        memo = self._memo()
        if "school_age" not in memo:
            from ..demography import project_children

            years = self.territory.years("pop_3_5")
            if not years:
                memo["school_age"] = pd.DataFrame(
                    columns=["annee", "pop_3_5", "pop_6_10", "statut"]
                )
            else:
                proj = project_children(
                    self.territory, int(max(years)) + SCHOOL_AGE_HORIZON, communes=self.communes
                )
                memo["school_age"] = proj.totals(self.communes)[
                    ["annee", "pop_3_5", "pop_6_10", "statut"]
                ]
        return memo["school_age"].copy()

    def school_age_chart(self):
        """Children aged 3-5 and 6-10, census then projection (one line per band and status)."""
        from .. import charts

        proj = self.school_age_projection()
        parts = []
        for band, label in (("pop_3_5", "3-5 ans"), ("pop_6_10", "6-10 ans")):
            observed = proj[proj["statut"] == "observé"]
            parts.append(
                pd.DataFrame(
                    {"annee": observed["annee"], "valeur": observed[band],
                     "serie": f"{label} (recensement)"}
                )
            )  # fmt: skip
            last = observed["annee"].max() if len(observed) else np.nan
            projected = proj[(proj["statut"] == "projeté") | (proj["annee"] == last)]
            parts.append(
                pd.DataFrame(
                    {"annee": projected["annee"], "valeur": projected[band],
                     "serie": f"{label} (projection)"}
                )
            )  # fmt: skip
        data = pd.concat(parts, ignore_index=True)
        data["annee"] = data["annee"].astype(int)
        return charts.time_series(
            data,
            f"Enfants d'âge scolaire, recensement puis projection — {self.nom}",
            _source_line(
                "Insee, recensement et état civil ; projection Territoire (module de démographie)",
                self.fictif,
            ),
            y_title="Enfants",
            value_format=",.0f",
            zero=True,
        )
