"""What :func:`~territoire_lib.scenario.simulate.simulate` returns, and its French renderings:
:class:`ScenarioResult` (tables by territory, by funder, key figures), the French text summary
(:func:`render_result`) and the Excel workbook (:func:`write_xlsx`, atomic).

Layer: scénarios. Imports the core layer (french, files, xlsx_cells),
:mod:`territoire_lib.demography` (the projection type) and :mod:`.schema`, :mod:`.spec`, :mod:`.costs`.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import french
from ..demography import Projection
from ..files import usual_mode
from ..french import render_table
from ..xlsx_cells import protect_sheet
from .costs import DISPOSITIFS, FUNDERS
from .schema import _UNSOURCED_DEFAULTS, HYPOTHESIS_LABELS, HYPOTHESIS_SOURCES, ScenarioExistsError
from .spec import Scenario

WARN = "⚠ à vérifier"


@dataclass
class ScenarioResult:
    """What :func:`simulate` returns.

    - ``capacite``: :data:`CAPACITY_COLUMNS`, one row per year (base year then horizon) and
      territory (``niveau`` « périmètre » then « commune »);
    - ``couts``: annee, niveau, code, nom and one column per dispositif (:data:`DISPOSITIFS`),
      in euros for the places the scenario opens or closes (closures count negative);
    - ``leviers``: the levers applied, with their effective hypotheses;
    - ``sppe``: SPPE duties per year and commune (:data:`SPPE_COLUMNS`);
    - ``demographie``: the children projection; ``a_verifier``: French labels of every value
      still « à vérifier » that the figures use; ``dispositifs_a_verifier``: dispositif keys
      resting on such values; ``notes``: French remarks.
    """

    scenario: Scenario
    perimetre: str
    nom_perimetre: str
    annee_base: int
    annee_places: int
    capacite: pd.DataFrame
    couts: pd.DataFrame
    leviers: pd.DataFrame
    sppe: pd.DataFrame
    demographie: Projection
    a_verifier: list[str] = field(default_factory=list)
    dispositifs_a_verifier: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def nom(self) -> str:
        return self.scenario.nom

    def territoire(self, code: str | None = None) -> pd.DataFrame:
        """Capacity rows of one territory (the perimeter by default), by year."""
        cap = self.capacite
        return cap[self._rows(cap, code)].reset_index(drop=True)

    def _rows(self, frame: pd.DataFrame, code: str | None) -> pd.Series:
        """Rows of one territory (the perimeter's own rows when `code` is the perimeter, even
        when it is a single commune)."""
        code = code or self.perimetre
        level = "périmètre" if code == self.perimetre else "commune"
        return (frame["code"] == code) & (frame["niveau"] == level)

    def financeurs(self, code: str | None = None) -> pd.DataFrame:
        """Per year: operating cost, CAF, families, commune, others; investment and its
        funding (euros)."""
        c = self.couts[self._rows(self.couts, code)].set_index("annee")
        out = pd.DataFrame(index=c.index)
        out["cout_fonctionnement"] = c["cout_fonctionnement"]
        for funder in FUNDERS:
            keys = [k for k, f, _, n in DISPOSITIFS if f == funder and n == "fonctionnement"]
            out[funder] = c[keys].sum(axis=1)
        out["cout_investissement"] = c["cout_investissement"]
        out["CAF (investissement)"] = c["piaje"]
        out["Commune (investissement)"] = c["investissement_commune"]
        out["Autres (investissement)"] = c["investissement_autres"]
        return out.reset_index()

    def couts_long(self, code: str | None = None) -> pd.DataFrame:
        """annee, financeur, dispositif, nature, montant, a_verifier — for charts."""
        c = self.couts[self._rows(self.couts, code)]
        rows = []
        for key, funder, label, nature in DISPOSITIFS:
            if funder == "Coût":
                continue
            for year, amount in zip(c["annee"], c[key], strict=True):
                rows.append(
                    {
                        "annee": int(year),
                        "financeur": funder,
                        "dispositif": label,
                        "nature": nature,
                        "montant": float(amount),
                        "a_verifier": key in self.dispositifs_a_verifier,
                    }
                )
        return pd.DataFrame(rows)

    def synthese(self) -> pd.DataFrame:
        """The perimeter, year by year: places, children, coverage and costs by funder."""
        cap = self.territoire()[
            [
                "annee",
                "places_total",
                "places_creees",
                "enfants_0_2",
                "taux_couverture",
                "taux_couverture_eaje",
                "places_alsh",
                "taux_alsh",
                "places_bas_revenus",
                "places_handicap",
            ]
        ]
        fin = self.financeurs()
        return cap.merge(fin, on="annee", how="left").fillna(
            {c: 0.0 for c in fin.columns if c != "annee"}
        )

    def indicateurs(self) -> dict[str, float]:
        """Key figures at the end of the horizon and cumulated costs (for comparisons)."""
        per = self.territoire().set_index("annee")
        first, last = self.annee_base, self.scenario.fin
        fin = self.financeurs().set_index("annee")
        sppe = self.sppe[(self.sppe["annee"] == last) & (self.sppe["statut"] == "non satisfaite")]
        created = per.loc[last, "places_creees"]
        commune = float(fin["Commune"].sum()) if len(fin) else 0.0
        return {
            "places_total_debut": float(per.loc[first, "places_total"]),
            "places_total_fin": float(per.loc[last, "places_total"]),
            "places_creees": float(created),
            "enfants_0_2_fin": float(per.loc[last, "enfants_0_2"]),
            "taux_couverture_debut": float(per.loc[first, "taux_couverture"]),
            "taux_couverture_fin": float(per.loc[last, "taux_couverture"]),
            "taux_couverture_eaje_fin": float(per.loc[last, "taux_couverture_eaje"]),
            "places_alsh_fin": float(per.loc[last, "places_alsh"]),
            "places_bas_revenus_fin": float(per.loc[last, "places_bas_revenus"]),
            "places_handicap_fin": float(per.loc[last, "places_handicap"]),
            "cout_fonctionnement": float(fin["cout_fonctionnement"].sum()) if len(fin) else 0.0,
            "financement_caf": float(fin["CAF"].sum()) if len(fin) else 0.0,
            "familles": float(fin["Familles"].sum()) if len(fin) else 0.0,
            "reste_commune": commune,
            "autres": float(fin["Autres financeurs"].sum()) if len(fin) else 0.0,
            "cout_investissement": float(fin["cout_investissement"].sum()) if len(fin) else 0.0,
            "aide_investissement_caf": float(fin["CAF (investissement)"].sum())
            if len(fin)
            else 0.0,  # fmt: skip
            "investissement_commune": float(fin["Commune (investissement)"].sum())
            if len(fin)
            else 0.0,  # fmt: skip
            "obligations_sppe_non_satisfaites": float(len(sppe)),
        }

    def french(self) -> str:
        """A French summary (CLI, notebooks)."""
        return render_result(self)

    def to_xlsx(self, path: str | Path, overwrite: bool = False) -> Path:
        """Write every table to an Excel workbook, atomically."""
        return write_xlsx(self, path, overwrite)


INDICATOR_LABELS = {
    "places_total_debut": "Places d'accueil (année de base)",
    "places_total_fin": "Places d'accueil (fin d'horizon)",
    "places_creees": "Places créées nettes (moins de 3 ans)",
    "enfants_0_2_fin": "Enfants de moins de 3 ans (fin d'horizon, projection)",
    "taux_couverture_debut": "Taux de couverture (année de base)",
    "taux_couverture_fin": "Taux de couverture (fin d'horizon)",
    "taux_couverture_eaje_fin": "Taux de couverture EAJE (fin d'horizon)",
    "places_alsh_fin": "Places d'ALSH (fin d'horizon)",
    "places_bas_revenus_fin": "Places occupées par des enfants de familles à bas revenus",
    "places_handicap_fin": "Places occupées par des enfants en situation de handicap",
    "cout_fonctionnement": "Coût de fonctionnement cumulé (€)",
    "financement_caf": "Financement CAF cumulé (€)",
    "familles": "Participations des familles cumulées (€)",
    "reste_commune": "Reste à charge de la commune cumulé (€)",
    "autres": "Autres financeurs cumulés (€)",
    "cout_investissement": "Coût d'investissement (€)",
    "aide_investissement_caf": "Aide CAF à l'investissement (€)",
    "investissement_commune": "Investissement restant à la commune (€)",
    "obligations_sppe_non_satisfaites": "Obligations SPPE non satisfaites (fin d'horizon)",
}


def fmt(x: float, decimals: int = 0) -> str:
    return fr(x, decimals)


def fr(x: float, decimals: int = 0) -> str:
    return french.number(x, decimals, missing="—")


def render_result(res: ScenarioResult) -> str:
    sc = res.scenario
    out = [
        f"Scénario : {sc.nom}",
        f"Territoire : {res.nom_perimetre} ({res.perimetre}) — base {sc.annee_base} "
        f"(places de décembre {res.annee_places}), horizon {sc.debut}-{sc.fin}",
    ]
    if sc.description:
        out.append(sc.description)
    out += ["", "Capacité et taux de couverture (places pour 100 enfants de moins de 3 ans)"]
    rows = []
    for r in res.territoire().itertuples():
        rows.append(
            [
                str(r.annee),
                fr(r.places_total),
                fr(r.places_creees),
                fr(r.enfants_0_2),
                fr(r.taux_couverture, 1),
                fr(r.taux_couverture_eaje, 1),
                fr(r.places_alsh),
                fr(r.places_bas_revenus),
                fr(r.places_handicap, 1),
            ]
        )
    out.append(
        render_table(
            [
                "Année",
                "Places",
                "dont créées",
                "Enfants 0-2",
                "Couverture",
                "EAJE",
                "ALSH",
                "Bas revenus",
                "Handicap",
            ],
            rows,
            right=range(1, 9),
        )  # fmt: skip
    )
    fin = res.financeurs()
    out += ["", "Coûts des places ouvertes ou fermées par le scénario, par financeur (€ par an)"]
    flagged = set(res.dispositifs_a_verifier)

    per_year = res.couts[res._rows(res.couts, None)].set_index("annee")

    def mark(keys: Iterable[str], year: int) -> str:
        """⚠ when a non-zero amount of the cell rests on a value « à vérifier »."""
        hit = any(k in flagged and abs(per_year.at[year, k]) > 0.5 for k in keys)
        return " ⚠" if hit else ""

    caf_keys = [k for k, f, _, n in DISPOSITIFS if f == "CAF" and n == "fonctionnement"]
    rows = [
        [
            str(r.annee),
            fr(r.cout_fonctionnement),
            fr(r.CAF) + mark(caf_keys, r.annee),
            fr(r.Familles) + mark(["familles"], r.annee),
            fr(r.Commune) + mark(["reste_commune"], r.annee),
            fr(r._6) + mark(["reste_autres", "cofinancements"], r.annee),
            fr(r.cout_investissement),
            fr(r._8) + mark(["piaje"], r.annee),
        ]
        for r in fin.itertuples()
    ]
    if rows:
        out.append(
            render_table(
                [
                    "Année",
                    "Coût",
                    "CAF",
                    "Familles",
                    "Commune",
                    "Autres",
                    "Investissement",
                    "dont CAF",
                ],
                rows,
                right=range(1, 8),
            )  # fmt: skip
        )
        per_caf = res.couts[res._rows(res.couts, None)][caf_keys + ["piaje"]].sum()
        detail = [
            f"{label} : {fr(per_caf[k])} €" + (" ⚠" if k in flagged else "")
            for k, f, label, _ in DISPOSITIFS
            if f == "CAF" and abs(per_caf.get(k, 0.0)) > 0.5
        ]
        if detail:
            out.append("CAF par dispositif, cumul sur l'horizon : " + " ; ".join(detail))
    else:
        out.append("Aucun levier chiffré (crèche PSU ou ALSH).")
    sppe = res.sppe[(res.sppe["annee"] == sc.fin) & (res.sppe["statut"] != "hors scénario")]
    if len(sppe):
        out += ["", f"Obligations SPPE en {sc.fin} (communes de plus de 3 500 habitants)"]
        rows = [[r.nom, r.obligation, r.statut, r.commentaire] for r in sppe.itertuples()]
        out.append(render_table(["Commune", "Obligation", "Statut", "Commentaire"], rows))
    if res.a_verifier:
        out += ["", f"{WARN} : les montants marqués ⚠ reposent sur des valeurs non confirmées :"]
        out += [f"  - {x}" for x in res.a_verifier]
    if res.notes:
        out += ["", "Remarques :"] + [f"  - {n}" for n in res.notes]
    return "\n".join(out)


def _hypothesis_source(key: str, scenario: Scenario) -> str:
    """Where a hypothesis value comes from (for the workbook)."""
    if key in scenario.explicit:
        return "fichier du scénario"
    sources = [v for k, v in HYPOTHESIS_SOURCES.items() if k.split(".")[0] == key]
    if sources:
        return " ; ".join(sources)
    if key in _UNSOURCED_DEFAULTS:
        return f"valeur par défaut non sourcée — {WARN}"
    return "choix par défaut"


def write_xlsx(res: ScenarioResult, path: str | Path, overwrite: bool = False) -> Path:
    """Every table of a result in one workbook (temp file, then renamed)."""
    p = Path(path)
    if p.exists() and not overwrite:
        raise ScenarioExistsError(
            f"Le fichier « {p} » existe déjà : il n'est pas remplacé (option --ecraser pour le "
            "remplacer)."
        )
    p.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{p.stem}.", suffix=".xlsx", dir=p.parent)
    os.close(fd)
    try:
        labels = {k: label for k, _, label, _ in DISPOSITIFS}
        with pd.ExcelWriter(tmp, engine="openpyxl") as xl:
            res.synthese().to_excel(xl, sheet_name="Synthèse", index=False)
            res.capacite.to_excel(xl, sheet_name="Capacité", index=False)
            res.couts.rename(columns=labels).to_excel(xl, sheet_name="Coûts", index=False)
            res.leviers.to_excel(xl, sheet_name="Leviers", index=False)
            hyp = [
                {"hypothèse": HYPOTHESIS_LABELS.get(k, k), "clé": k, "valeur": str(v),
                 "origine": "scénario" if k in res.scenario.explicit else "défaut",
                 "source": _hypothesis_source(k, res.scenario)}
                for k, v in {**res.scenario.hypotheses, **res.scenario.cofinancements}.items()
            ]  # fmt: skip
            pd.DataFrame(hyp).to_excel(xl, sheet_name="Hypothèses", index=False)
            res.sppe.to_excel(xl, sheet_name="SPPE", index=False)
            demo = res.demographie.hypotheses.copy()
            demo.to_excel(xl, sheet_name="Démographie", index=False)
            pd.DataFrame({"méthode": res.demographie.methode.split("\n")}).to_excel(
                xl, sheet_name="Méthode", index=False
            )
            pd.DataFrame(
                {"à vérifier": res.a_verifier or ["—"]},
            ).to_excel(xl, sheet_name="À vérifier", index=False)
            if res.notes:
                pd.DataFrame({"remarque": res.notes}).to_excel(
                    xl, sheet_name="Remarques", index=False
                )
            for ws in xl.book.worksheets:
                protect_sheet(ws)  # a lever or commune named « =… » stays text
        os.chmod(tmp, usual_mode())  # mkstemp makes 0600 files; outputs are shared
        if overwrite:
            os.replace(tmp, p)
        else:
            os.link(tmp, p)
    except FileExistsError:
        raise ScenarioExistsError(
            f"Le fichier « {p} » existe déjà : il n'est pas remplacé."
        ) from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return p
