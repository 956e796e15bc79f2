"""The diagnostic of one territory (:class:`Diagnostic`): its fields, its tables with French
headers (themes, inclusion, SPPE, synthesis, definitions), its French texts per theme and
the values of one indicator per commune. Its charts come from the mixin of :mod:`.figures`,
the depth of the six CTG themes from the mixin of :mod:`.themes`.

Layer « diagnostic »; imports the socle, :mod:`.common`, :mod:`.display`, :mod:`.figures`,
:mod:`.inclusion` and :mod:`.themes`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TerritoireError
from ..french import number as fr_number
from .common import FRR_LABELS, LEVEL_NAMES, MISSING_TEXT, SECRET_TEXT, _nan
from .display import definitions_frame, indicator_display
from .figures import DiagnosticFigures
from .inclusion import commune_values
from .themes import DiagnosticThemes


# -- the diagnostic -----------------------------------------------------------------------------
@dataclass
class Diagnostic(DiagnosticFigures, DiagnosticThemes):
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
        """Indicators of one theme (id or French label) with French headers: its own, then
        those of other themes it also shows (:meth:`theme_rows`)."""
        positions = self.table.index.get_indexer(self.theme_rows(theme).index)
        full = self._display(formatted)
        out = full.iloc[positions].drop(columns="Thème").reset_index(drop=True)
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
        rows = self.theme_rows(key)
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
            tag = inc.get(f"{key}_etiquette", pd.Series("", index=inc.index)).fillna("")
            if formatted:
                col = v.map(lambda x, d=d: "" if _nan(x) else fr_number(float(x), d))
            else:
                col = v.astype(object)
                fmt_cols.append((label, d))
            col = col.astype(object)
            col[v.isna()] = MISSING_TEXT
            m = m.astype(bool)
            col[m] = tag[m].astype(str).replace("", SECRET_TEXT)
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
        # the population the thresholds apply to: totale (populations légales) when loaded
        head = (
            "Population totale"
            if "base" in s and (s["base"] == "population totale").all()
            else "Population municipale (à vérifier)"
        )
        kept = s["population_retenue"] if "population_retenue" in s else s["population"]

        def num(col):
            return (
                col.map(lambda x: MISSING_TEXT if _nan(x) else fr_number(x)) if formatted else col
            )

        out = pd.DataFrame(
            {
                "Code": s["commune"],
                "Commune": s["nom"],
                head: num(s["population"]),
                "Population retenue pour les seuils": num(kept),
                "Compétence exercée par": (
                    s["epci_competent"].map(lambda e: f"EPCI {e}" if e else "la commune")
                    if "epci_competent" in s
                    else "la commune"
                ),
                "Strate": s["strate_libelle"],
                "Compétences obligatoires": s["obligations"].map(lambda d: " ; ".join(d)),
            }
        )
        if not formatted:
            out.attrs["formats"] = {head: "#,##0", "Population retenue pour les seuils": "#,##0"}
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

    # -- values per commune (tables, charts and maps) -------------------------------------------
    def commune_values(self, indicator: str) -> pd.DataFrame:
        """Values of one indicator (or ``indice_besoins``) for the communes of the territory:
        code, nom, valeur, masque, annee, etiquette (« secret », « < 5 », « n.d. » for a masked
        value), peu_significatif."""
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
                    "etiquette": "",
                    "peu_significatif": False,
                }
            )
        v = commune_values(self.territory, [indicator], self.communes, self.annee)
        out = pd.DataFrame({"code": self.communes})
        out["nom"] = out["code"].map(names)
        v = v.set_index("commune")
        out["valeur"] = out["code"].map(v["valeur"])
        out["masque"] = out["code"].map(v["masque"]).fillna(False).astype(bool)
        out["annee"] = out["code"].map(v["annee"])
        out["etiquette"] = out["code"].map(v["etiquette"]).fillna("").astype(str)
        out["peu_significatif"] = out["code"].map(v["peu_significatif"]).fillna(False)
        out["peu_significatif"] = out["peu_significatif"].astype(bool)
        return out
