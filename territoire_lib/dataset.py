"""The loaded territory: geography, observations by commune and year, references, zonings,
contours and the load report — from the demo or from a user's folder of real files.

A folder holds the published files as they were downloaded plus a small manifest
(``manifeste.yaml``) saying which file is which (see ``data/demo/manifeste.yaml`` and the
README). :func:`load_territory` reads every file through its loader, collects every error of
every file before failing (one French message listing them all), and caches the result as
parquet under ``<cache>/<checksum>/`` so the next load takes a fraction of a second. The cache
folder and the source read when none is named (the active source) are those of
:mod:`territoire_lib.active_source`; the :data:`CACHE_KEEP` most recent entries of each source
folder are kept, older ones are pruned when a new one is written. Input files are only ever
read. The manifest is checked against its published schema by :mod:`territoire_lib.manifest`
(French errors naming the key and its line); a manifest may declare a file's encoding and
separator, else they are detected (:mod:`.sources.reading`). Every value read is checked
against the plausibility bounds of its variable (:mod:`.sources.plausibility`); counts of
residents are compared with the commune's population (referential or census).

Layer « données »: imports its own layer (active_source, manifest); socle (territoire_lib, errors,
geo); sources (sources.cafdata,
sources.cog, sources.drees, sources.etat_civil, sources.geometry, sources.insee,
sources.insee_qpv, sources.populations_legales, sources.reading, sources.referentiel,
sources.zonages); its own layer (demography: children
under 3 on 1 January, the denominator of the coverage rate).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from . import manifest as manifest_module
from .active_source import DEMO_DIR as DEMO_DIR  # public: dataset.DEMO_DIR
from .active_source import cache_dir, prune_cache, resolve_source, unknown_territory_hint
from .errors import DataError, Issue, LoadReport, TerritoireError, fmt_int
from .geo import NO_EPCI, Geography, Perimeter, departement_of
from .sources import reading
from .sources.plausibility import commune_populations, population_of
from .sources.reading import STATUT_ESTIME, empty_observations, normalise_observations

REPO_DIR = Path(__file__).resolve().parents[1]
CACHE_DIR = cache_dir()  # at import time; the cache in use is active_source.cache_dir()
CACHE_KEEP = 3  # cache entries kept per source folder (the most recent ones; see prune_cache)
MANIFEST_NAME = "manifeste.yaml"
REFERENCE_COLUMNS = ["niveau", "code", "annee", "variable", "valeur"]
CACHE_FORMAT = 2  # 2: reports keep missing columns and warnings; merged contours

MANIFEST_KEYS = {
    "cog_communes": "fichier COG des communes (v_commune_AAAA.csv)",
    "epci_composition": "composition des EPCI (Intercommunalite_Metropole_au_01-01-AAAA.xlsx)",
    "population_age": "population par âge (base-ic-evol-struct-pop-AAAA.csv)",
    "familles": "familles (base-ic-couples-familles-menages-AAAA.csv)",
    "filosofi": "Filosofi, format large ({disp: …, pauvres: …})",
    "filosofi_long": "Filosofi, format long (DS_FILOSOFI_CC_AAAA_data.csv)",
    "cafdata": "exports Cafdata communaux (s_ben_com_f, ndur_s_qf_400_com_f, rsa_s_type_com_f)",
    "naissances": "naissances domiciliées par commune (DS_ETAT_CIVIL_NAIS_COMMUNES_data.csv)",
    "populations_legales": "populations légales ({fichier: donnees_communes.csv, millesime: AAAA})",
    "petite_enfance": "taux et places petite enfance ({taux: {com: …}, places: {com: …}})",
    "tauxcouv_historique": "taux de couverture historiques (TAUXCOUV2021.csv)",
    "qpv": "liste des QPV (listeqp2024-cog2024.csv)",
    "revenus_qpv": "revenus et pauvreté par QPV, Insee (revenu-disponible-qp…_QP.csv)",
    "accueils_mineurs": "accueils collectifs de mineurs, DREES ({fichier: …, annee: …, …})",
    "frr": "communes FRR ({fichier: …, colonnes: …, valeurs: …})",
    "contours": "contours des communes (GeoJSON)",
}


@dataclass
class Territory:
    """Everything loaded for one territory (a département or more)."""

    name: str
    fictional: bool
    geography: Geography
    observations: pd.DataFrame
    references: pd.DataFrame
    qpv: pd.DataFrame
    zonages: pd.DataFrame
    contours: dict | None
    reports: list[LoadReport] = field(default_factory=list)
    source: str = ""
    checksum: str = ""
    # EPCI code → communes that transferred the SPPE competence to it (manifest
    # « competence_sppe »); an EPCI absent here exercises it for none of its communes
    competences_sppe: dict[str, list[str]] = field(default_factory=dict)
    confidential: list[str] = field(default_factory=list)  # not public: indicators.masking

    # -- queries --------------------------------------------------------------------------------
    def years(self, variable: str) -> list[int]:
        obs = self.observations
        return sorted(obs.loc[obs["variable"] == variable, "annee"].unique().tolist())

    def wide(self, variables: list[str] | None = None) -> pd.DataFrame:
        """Observations as a (commune, annee) × variable table."""
        obs = self.observations
        if variables is not None:
            obs = obs[obs["variable"].isin(variables)]
        return obs.pivot_table(
            index=["commune", "annee"], columns="variable", values="valeur", aggfunc="sum"
        ).reset_index()

    def totals(self, code: str, variables: list[str], year: int | None = None) -> pd.DataFrame:
        """Sums of summable variables over the communes of a territory, by year.

        Returns columns annee, variable, valeur, communes (number of communes with a value)
        and estime (share of the value resting on estimated commune values).
        """
        members = self.geography.members(code)
        obs = self.observations
        sel = obs[obs["variable"].isin(variables) & obs["commune"].isin(members)]
        if year is not None:
            sel = sel[sel["annee"] == year]
        sel = sel.assign(_est=sel["valeur"].where(sel["statut"] == STATUT_ESTIME, 0.0))
        out = (
            sel.groupby(["annee", "variable"])
            .agg(
                valeur=("valeur", lambda s: s.sum(min_count=1)),
                communes=("valeur", "count"),
                _est=("_est", "sum"),
            )
            .reset_index()
        )
        out["estime"] = (out["_est"] / out["valeur"]).where(out["valeur"] > 0, 0.0)
        return out.drop(columns="_est")

    def reference(self, variable: str, niveau: str, code: str) -> pd.Series:
        """Published reference values by year (e.g. the département's coverage rate)."""
        r = self.references
        sel = r[(r["variable"] == variable) & (r["niveau"] == niveau) & (r["code"] == code)]
        return sel.set_index("annee")["valeur"].sort_index()

    def report_french(self, uses: dict[str, list[str]] | None = None) -> str:
        """The load report in French; ``uses`` (variable → indicator labels,
        :func:`territoire_lib.indicators.variable_uses`) names the indicators a missing column
        disables."""
        head = f"Chargement : {self.name}" + (" — données fictives" if self.fictional else "")
        g = self.geography
        summary = (
            f"{fmt_int(len(g.communes))} communes, {fmt_int(len(g.epcis))} EPCI, "
            f"{fmt_int(len(g.departements))} département(s), "
            f"{fmt_int(len(self.observations))} observations"
        )
        return "\n\n".join([head, summary, *(r.french(uses) for r in self.reports)])

    def warnings(self, uses: dict[str, list[str]] | None = None) -> list[str]:
        """What every result built on these data must say (« Limites des données », batch
        index and manifest): the loaders' warnings, missing columns, codes left out."""
        out: list[str] = []
        for r in self.reports:
            where = f"{r.source} ({r.file})"
            out.extend(f"{where} : {w}" for w in r.warnings)
            out.extend(f"{where} : {t}" for t in r.missing_column_texts(uses))
            if r.unmatched_codes:
                shown = ", ".join(r.unmatched_codes[:5])
                more = "…" if len(r.unmatched_codes) > 5 else ""
                out.append(
                    f"{where} : {fmt_int(len(r.unmatched_codes))} code(s) commune absent(s) du "
                    f"référentiel, non repris ({shown}{more}) ; fichier d'un autre millésime "
                    "du COG ?"
                )
        return out

    def missing_reason(self, variable: str) -> str | None:
        """Why a variable is not loaded, when a loaded file lacked its column."""
        for r in self.reports:
            for column, var in r.missing_columns.items():
                if var == variable:
                    return f"colonne « {column} » absente de « {r.file} »"
        return None


# -- manifest ---------------------------------------------------------------------------------
def read_manifest(folder: Path) -> dict:
    """The manifest of ``folder``, checked against ``manifest_schema.json`` (French errors
    naming the key and its line: :mod:`territoire_lib.manifest`)."""
    return manifest_module.read_manifest(Path(folder))


def _files_of(manifest: dict) -> list[str]:
    """Every file name mentioned by the manifest (for checksums)."""
    return [ref.name for ref in manifest_module.file_refs(manifest)]


def folder_checksum(folder: Path, manifest: dict) -> str:
    h = hashlib.sha256()
    h.update(f"{CACHE_FORMAT}:{__version__}".encode())
    h.update((folder / MANIFEST_NAME).read_bytes())
    for name in sorted(set(_files_of(manifest))):
        path = folder / name
        h.update(name.encode())
        if path.exists():  # checked by the manifest: in the folder, regular, under the cap
            with path.open("rb") as handle:  # hashed by blocks, never read whole in memory
                h.update(hashlib.file_digest(handle, "sha256").digest())
    return h.hexdigest()[:16]


def _as_list(value: Any) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


# -- loading ----------------------------------------------------------------------------------
class _Loader:
    """Runs every loader of a manifest, collecting all errors before failing."""

    def __init__(self, folder: Path, manifest: dict):
        self.folder = folder
        self.manifest = manifest
        self.files = manifest["fichiers"]
        self.issues: list[Issue] = []
        self.reports: list[LoadReport] = []
        # commune → population, for the plausibility of counts of residents (set once the
        # geography and the census are read: sources.plausibility)
        self.population: pd.Series | None = None
        # encodings and separators the manifest declares ({fichier: …, encodage: …})
        self.declared = {
            self.folder / ref.name: ref.dialect
            for ref in manifest_module.file_refs(manifest)
            if ref.encoding or ref.separator
        }
        self.confidential_files = manifest_module.confidential_paths(manifest, folder)
        self.confidential: set[str] = {str(v) for v in manifest.get("confidentiel") or []}

    def path(self, entry: Any) -> Path:
        """The path of a file entry of the manifest (a name or ``{fichier: …}``)."""
        return self.folder / manifest_module.file_ref(entry).name

    def paths(self, entry: Any) -> Path | list[Path]:
        """One path, or a list of paths for a list of file entries."""
        if isinstance(entry, list):
            return [self.path(e) for e in entry]
        return self.path(entry)

    def run(self, func: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call a loader; keep its report, with how each file was read (encoding, separator);
        on DataError remember the issues and return None; note a confidential file's variables."""
        try:
            with reading.dialects(self.declared) as read, commune_populations(self.population):
                result = func(*args, **kwargs)
        except DataError as exc:
            self.issues.extend(exc.issues)
            return None
        report = result[-1]
        if isinstance(report, LoadReport):
            for entry in read:
                report.note(entry.french())
            self.reports.append(report)
        obs = result[0] if isinstance(result, tuple) else None
        hidden = manifest_module.mentions(self.confidential_files, args, kwargs)
        if hidden and isinstance(obs, pd.DataFrame) and "variable" in obs:
            self.confidential.update(obs["variable"].astype(str).unique())
        return result

    # geography -----------------------------------------------------------------------------
    def geography(self) -> Geography:
        from .sources import cog, referentiel

        national = referentiel.load_national_geography()
        deps = [str(d) for d in _as_list(self.manifest.get("departements"))]
        cog_file = self.files.get("cog_communes")
        epci_file = self.files.get("epci_composition")
        if not cog_file:
            if not deps:
                raise DataError(
                    Issue(
                        MANIFEST_NAME,
                        "ni fichier COG ni liste de départements",
                        '« departements: ["90"] » ou un fichier « cog_communes »',
                    )
                )
            geo = referentiel.geography_for_departements(deps)
            return self._with_perimeters(geo)
        res = self.run(cog.read_cog_communes, self.path(cog_file))
        communes = res[0] if res else None
        epcis = pd.DataFrame(columns=["code", "nom", "nature"])
        if epci_file:
            res = self.run(cog.read_epci_composition, self.path(epci_file))
            if res and communes is not None:
                comp, epcis, _ = res
                communes = communes.merge(comp[["code", "epci"]], on="code", how="left")
        if communes is None:
            raise DataError(self.issues)
        if "epci" not in communes:
            communes["epci"] = NO_EPCI
        communes["epci"] = communes["epci"].fillna(NO_EPCI)
        if deps:
            communes = communes[communes["departement"].isin(deps)]
        ref = national.communes.set_index("code")["population"]
        communes["population"] = communes["code"].map(ref)
        dep_codes = sorted(communes["departement"].unique())
        ref_deps = national.departements.set_index("code")
        names = self.manifest.get("noms", {}) or {}
        dep_names = names.get("departements", {}) or {}
        departements = pd.DataFrame(
            {
                "code": dep_codes,
                "nom": [
                    dep_names.get(d)
                    or (ref_deps.at[d, "nom"] if d in ref_deps.index else f"Département {d}")
                    for d in dep_codes
                ],
                "region": [
                    communes.loc[communes["departement"] == d, "region"].iloc[0] for d in dep_codes
                ],
            }
        )
        reg_codes = sorted(communes["region"].unique())
        ref_regs = national.regions.set_index("code")
        reg_names = names.get("regions", {}) or {}
        regions = pd.DataFrame(
            {
                "code": reg_codes,
                "nom": [
                    reg_names.get(r)
                    or (ref_regs.at[r, "nom"] if r in ref_regs.index else f"Région {r}")
                    for r in reg_codes
                ],
            }
        )
        epcis = epcis[epcis["code"].isin(communes["epci"])][["code", "nom", "nature"]]
        geo = Geography(
            communes=communes[["code", "nom", "departement", "region", "epci", "population"]],
            epcis=epcis.reset_index(drop=True),
            departements=departements,
            regions=regions,
        )
        return self._with_perimeters(geo)

    def _with_perimeters(self, geo: Geography) -> Geography:
        for code, spec in (self.manifest.get("perimetres") or {}).items():
            try:
                geo.add_perimeter(str(code), str(spec.get("nom", code)), spec["communes"])
            except (TerritoireError, KeyError, TypeError, AttributeError) as exc:
                self.issues.append(
                    Issue(
                        MANIFEST_NAME,
                        f"le périmètre « {code} » mal décrit ({exc})",
                        "« nom: … » et « communes: [codes à 5 caractères] »",
                        column="perimetres",
                    )
                )
        return geo

    # observations ----------------------------------------------------------------------------
    def observations(self, geo: Geography) -> tuple[pd.DataFrame, pd.DataFrame]:
        from .sources import cafdata, insee

        known = set(geo.communes["code"])
        obs: list[pd.DataFrame] = []
        refs: list[pd.DataFrame] = []
        referential = geo.communes.set_index("code")["population"]
        self.population = population_of(referential, [])
        for name in _as_list(self.files.get("population_age")):
            res = self.run(insee.read_population_age, self.path(name), known_communes=known)
            if res:
                obs.append(res[0])
        self.population = population_of(referential, obs)
        for name in _as_list(self.files.get("familles")):
            res = self.run(insee.read_families, self.path(name), known_communes=known)
            if res:
                obs.append(res[0])
        for spec in _as_list(self.files.get("filosofi")):
            res = self.run(
                insee.read_filosofi_wide,
                self.path(spec["disp"]) if spec.get("disp") else None,
                self.path(spec["pauvres"]) if spec.get("pauvres") else None,
                known_communes=known,
            )
            if res:
                obs.append(res[0])
        for name in _as_list(self.files.get("filosofi_long")):
            res = self.run(insee.read_filosofi_long, self.path(name), known_communes=known)
            if res:
                obs.append(res[0])
                refs.append(res[1])
        for name in _as_list(self.files.get("cafdata")):
            res = self.run(cafdata.read_cafdata_communal, self.path(name), known_communes=known)
            if res:
                obs.append(res[0])
        self._births_and_legal_populations(obs, known)
        self._context_references(refs)
        pe = self.files.get("petite_enfance")
        if pe:
            all_obs = pd.concat(obs) if obs else empty_observations()
            children = all_obs[all_obs["variable"] == "pop_0_2"]
            res = self.run(
                cafdata.read_early_childhood,
                {k: self.paths(v) for k, v in (pe.get("taux") or {}).items()},
                {k: self.paths(v) for k, v in (pe.get("places") or {}).items()},
                geo.communes,
                children if len(children) else None,
            )
            if res:
                obs.append(res[0])
                refs.append(res[1])
        for name in _as_list(self.files.get("tauxcouv_historique")):
            res = self.run(
                cafdata.read_tauxcouv_legacy,
                self.path(name),
                known_communes=known,
                region_of_departement=dict(
                    zip(geo.departements["code"], geo.departements["region"], strict=True)
                ),
            )
            if res:
                refs.append(res[0])
        observations = (
            normalise_observations(pd.concat(obs, ignore_index=True))
            if obs
            else empty_observations()
        )
        observations = observations[observations["commune"].isin(known)]
        observations = self._with_under3_estimates(observations, geo)
        references = (
            pd.concat(refs, ignore_index=True)[REFERENCE_COLUMNS]
            if refs
            else pd.DataFrame(columns=REFERENCE_COLUMNS)
        )
        references = references.astype(
            {"niveau": str, "code": str, "annee": "int64", "variable": str, "valeur": "float64"}
        ).drop_duplicates(["niveau", "code", "annee", "variable"], keep="last")
        return observations.reset_index(drop=True), references.reset_index(drop=True)

    def _births_and_legal_populations(self, obs: list[pd.DataFrame], known: set[str]) -> None:
        """Births (état civil) and populations légales, appended to ``obs``."""
        from .sources import etat_civil, populations_legales

        for name in _as_list(self.files.get("naissances")):
            res = self.run(etat_civil.read_births, self.path(name), known_communes=known)
            if res:
                obs.append(res[0])
        for spec in _as_list(self.files.get("populations_legales")):
            if not isinstance(spec, dict) or "fichier" not in spec:
                self.issues.append(
                    Issue(
                        MANIFEST_NAME,
                        f"la rubrique populations_legales « {spec} »",
                        "« {fichier: donnees_communes.csv, millesime: 2022} » (le fichier Insee "
                        "ne dit pas son millésime)",
                        column="populations_legales",
                    )
                )
                continue
            res = self.run(
                populations_legales.read_populations_legales,
                self.path(spec["fichier"]),
                spec.get("millesime"),
                known_communes=known,
            )
            if res:
                obs.append(res[0])

    def _context_references(self, refs: list[pd.DataFrame]) -> None:
        """Published values without commune detail, appended to ``refs``: income and poverty
        of each QPV (Insee), accueils collectifs de mineurs of the département (DREES)."""
        from .sources import drees, insee_qpv

        for name in _as_list(self.files.get("revenus_qpv")):
            res = self.run(insee_qpv.read_qpv_income, self.path(name))
            if res:
                refs.append(res[0])
        for spec in _as_list(self.files.get("accueils_mineurs")):
            res = self.run(
                drees.read_acm_table,
                self.path(spec),
                int(spec["annee"]),
                str(spec["departement"]),
                spec.get("colonnes") or {},
            )
            if res:
                refs.append(res[0])

    def _with_under3_estimates(self, observations: pd.DataFrame, geo: Geography) -> pd.DataFrame:
        """Add the children under 3 on 1 January N+1 of every year N with places (the
        denominator of the coverage rate, :func:`demography.estimate_under3`)."""
        from .demography import BANDS, BIRTHS, estimate_under3

        places = observations.loc[observations["variable"] == "places_total", "annee"].unique()
        if not len(places):
            return observations
        history = observations[observations["variable"].isin([*BANDS, BIRTHS])]
        epci = geo.communes.set_index("code")["epci"]
        estimates, report = estimate_under3(history, epci, [int(y) + 1 for y in places])
        self.reports.append(report)
        if estimates.empty:
            return observations
        if self.confidential & {*BANDS, BIRTHS}:  # estimated from confidential counts
            self.confidential.update(estimates["variable"].astype(str).unique())
        return normalise_observations(pd.concat([observations, estimates], ignore_index=True))

    def sppe_transfers(self, geo: Geography) -> dict[str, list[str]]:
        """Manifest « competence_sppe »: EPCI code → communes that transferred the SPPE
        competence to it (a list of codes, or « toutes »)."""
        spec = self.manifest.get("competence_sppe") or {}
        out: dict[str, list[str]] = {}
        if not isinstance(spec, dict):
            self.issues.append(
                Issue(
                    MANIFEST_NAME,
                    f"la rubrique competence_sppe « {spec} »",
                    '« "SIREN de l\'EPCI": [codes des communes qui lui ont transféré la '
                    "compétence] » ou « toutes »",
                    column="competence_sppe",
                )
            )
            return out
        members = geo.communes.groupby("epci")["code"].apply(list).to_dict()
        for code, communes in spec.items():
            code = str(code)
            if code not in members or code == NO_EPCI:
                self.issues.append(
                    Issue(
                        MANIFEST_NAME,
                        f"l'EPCI « {code} », inconnu des données",
                        "le SIREN d'un EPCI du territoire chargé",
                        column="competence_sppe",
                    )
                )
                continue
            if isinstance(communes, str) and communes.strip().lower() == "toutes":
                out[code] = sorted(members[code])
                continue
            listed = [str(c) for c in _as_list(communes)]
            outside = [c for c in listed if c not in set(members[code])]
            if outside or not listed:
                self.issues.append(
                    Issue(
                        MANIFEST_NAME,
                        f"pour l'EPCI « {code} », "
                        + (
                            f"la commune « {outside[0]} » qui n'en est pas membre"
                            if outside
                            else "aucune commune"
                        ),
                        "les codes des communes membres qui lui ont transféré la compétence, "
                        "ou « toutes »",
                        column="competence_sppe",
                    )
                )
                continue
            out[code] = sorted(dict.fromkeys(listed))
        return out

    # zonings and contours --------------------------------------------------------------------
    def zonings(self, geo: Geography) -> tuple[pd.DataFrame, pd.DataFrame, dict | None]:
        from .sources import geometry, zonages

        known = set(geo.communes["code"])
        qpv = pd.DataFrame(columns=["commune", "code_qp", "lib_qp"])
        if self.files.get("qpv"):
            res = self.run(
                zonages.read_qpv_list, self.path(self.files["qpv"]), known_communes=known
            )
            if res:
                qpv = res[0][["commune", "code_qp", "lib_qp"]]
        frr = pd.DataFrame(columns=["commune", "classement"])
        spec = self.files.get("frr")
        if spec:
            if isinstance(spec, str):
                spec = {"fichier": spec}
            mapping = dict(spec.get("colonnes") or {})
            if spec.get("valeurs"):
                mapping["valeurs"] = spec["valeurs"]
            res = self.run(
                zonages.read_frr,
                self.path(spec["fichier"]),
                mapping or None,
                known_communes=known,
            )
            if res:
                frr = res[0][["commune", "classement"]]
        zon = pd.DataFrame({"commune": geo.communes["code"]})
        qpv_count = qpv.groupby("commune")["code_qp"].nunique()
        zon["qpv"] = zon["commune"].map(qpv_count).fillna(0).astype("int64")
        zon["frr"] = zon["commune"].map(
            frr.drop_duplicates("commune").set_index("commune")["classement"]
        )
        zon["frr"] = zon["frr"].astype(object).fillna("non").astype(str)
        contours = None
        spec = self.files.get("contours")
        if spec:
            from .sources import referentiel

            # a file on an older COG: communes merged since get one outline (referential's
            # history of mergers, completed or overridden by the manifest's « fusions »)
            merged = referentiel.load_former_codes().to_dict()
            if isinstance(spec, dict):
                merged.update(spec.get("fusions") or {})
            res = self.run(
                geometry.read_communes_geojson, self.path(spec), communes=known, merged=merged
            )
            if res:
                contours = res[0]
                names = geo.communes.set_index("code")["nom"]
                for feat in contours["features"]:  # today's names (Meroux → Meroux-Moval)
                    code = feat["properties"]["code"]
                    if code in names.index:
                        feat["properties"]["nom"] = str(names.at[code])
        return qpv.reset_index(drop=True), zon, contours


def _fill_population(geo: Geography, observations: pd.DataFrame) -> None:
    """Municipal population from the referential; else the latest census population."""
    pop = observations[observations["variable"] == "pop_totale"]
    if pop.empty:
        geo.communes["population"] = geo.communes["population"].fillna(0)
        return
    latest = pop.sort_values("annee").groupby("commune")["valeur"].last().round()
    filled = geo.communes["population"].fillna(geo.communes["code"].map(latest))
    geo.communes["population"] = filled.fillna(0).astype("int64")


def load_folder(folder: Path) -> Territory:
    folder = Path(folder)
    checked = manifest_module.load_manifest(folder)
    manifest = checked.data
    missing = [n for n in _files_of(manifest) if not (folder / n).exists()]
    if missing:
        raise DataError(
            [
                Issue(
                    MANIFEST_NAME,
                    f"le fichier « {n} » annoncé mais absent du dossier",
                    "un fichier présent à côté du manifeste",
                    line=checked.line_of(n),
                )
                for n in missing
            ]
        )
    loader = _Loader(folder, manifest)
    if checked.report.notes:
        loader.reports.append(checked.report)
    geo = loader.geography()
    if not geo.communes["population"].isna().any():
        geo.communes["population"] = geo.communes["population"].astype("int64")
    observations, references = loader.observations(geo)
    _fill_population(geo, observations)
    qpv, zon, contours = loader.zonings(geo)
    transfers = loader.sppe_transfers(geo)
    if loader.issues:
        raise DataError(loader.issues)
    return Territory(
        name=str(manifest.get("nom") or folder.name),
        fictional=bool(manifest.get("fictif", False)),
        geography=geo,
        observations=observations,
        references=references,
        qpv=qpv,
        zonages=zon,
        contours=contours,
        reports=loader.reports,
        source=str(folder),
        competences_sppe=transfers,
        confidential=sorted(loader.confidential),
    )


# -- parquet cache ----------------------------------------------------------------------------
def _write_cache(territory: Territory, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        g = territory.geography
        for name, frame in {
            "communes": g.communes,
            "epcis": g.epcis,
            "departements": g.departements,
            "regions": g.regions,
            "observations": territory.observations,
            "references": territory.references,
            "qpv": territory.qpv,
            "zonages": territory.zonages,
        }.items():
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        meta = {
            "nom": territory.name,
            "fictif": territory.fictional,
            "source": territory.source,
            "perimetres": {
                k: {"nom": p.name, "communes": list(p.communes)} for k, p in g.perimeters.items()
            },
            "rapports": [_report_to_json(r) for r in territory.reports],
            "competences_sppe": territory.competences_sppe,
            "confidentiel": list(territory.confidential),
        }
        (tmp / "meta.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
        if territory.contours is not None:
            (tmp / "contours.json").write_text(json.dumps(territory.contours), encoding="utf-8")
        if target.exists():
            shutil.rmtree(target)
        tmp.rename(target)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    prune_cache(target.parent, territory.source, keep=CACHE_KEEP)


def _report_to_json(r: LoadReport) -> dict:
    return {
        "source": r.source,
        "file": r.file,
        "rows_read": r.rows_read,
        "rows_kept": r.rows_kept,
        "dropped": r.dropped,
        "dropped_examples": r.dropped_examples,
        "unmatched_codes": r.unmatched_codes,
        "blurred_values": r.blurred_values,
        "secret_values": r.secret_values,
        "notes": r.notes,
        "missing_columns": r.missing_columns,
        "warnings": r.warnings,
    }


def _read_cache(target: Path, checksum: str) -> Territory:
    meta = json.loads((target / "meta.json").read_text(encoding="utf-8"))

    def rd(name: str) -> pd.DataFrame:
        return pd.read_parquet(target / f"{name}.parquet")

    geo = Geography(
        communes=rd("communes"),
        epcis=rd("epcis"),
        departements=rd("departements"),
        regions=rd("regions"),
        perimeters={
            k: Perimeter(k, v["nom"], tuple(v["communes"])) for k, v in meta["perimetres"].items()
        },
    )
    contours_path = target / "contours.json"
    contours = (
        json.loads(contours_path.read_text(encoding="utf-8")) if contours_path.exists() else None
    )
    return Territory(
        name=meta["nom"],
        fictional=meta["fictif"],
        geography=geo,
        observations=rd("observations"),
        references=rd("references"),
        qpv=rd("qpv"),
        zonages=rd("zonages"),
        contours=contours,
        reports=[LoadReport(**r) for r in meta["rapports"]],
        source=meta["source"],
        checksum=checksum,
        competences_sppe={k: list(v) for k, v in (meta.get("competences_sppe") or {}).items()},
        confidential=list(meta.get("confidentiel") or []),
    )


_MEMORY: dict[str, Territory] = {}


def load_territory(source: str | Path | None = None, *, use_cache: bool = True) -> Territory:
    """Load a source: ``None`` or ``""`` → the active source (``territoire source``), ``"demo"``
    → the demo, a known source name or a folder with its manifest; cached as parquet, then in
    memory (see :func:`territoire_lib.active_source.resolve_source`)."""
    resolved = resolve_source(source)
    territory = _load_folder_cached(resolved.folder, use_cache)
    # « Territoire inconnu » says which data were read and how to read others
    territory.geography.unknown_hint = unknown_territory_hint(resolved, territory.name)
    return territory


def _load_folder_cached(folder: Path, use_cache: bool) -> Territory:
    manifest = read_manifest(folder)
    checksum = folder_checksum(folder, manifest)
    if use_cache and checksum in _MEMORY:
        return _MEMORY[checksum]
    target = cache_dir() / checksum
    if use_cache and (target / "meta.json").exists():
        try:
            territory = _read_cache(target, checksum)
        except Exception:  # a damaged cache is rebuilt, never shown to the user
            territory = None
        if territory is not None:
            _MEMORY[checksum] = territory
            return territory
    territory = load_folder(folder)
    territory.checksum = checksum
    if use_cache:
        # a read-only checkout still works, only slower
        with contextlib.suppress(OSError):
            _write_cache(territory, target)
        _MEMORY[checksum] = territory
    return territory


def departement_codes(territory: Territory) -> list[str]:
    return sorted(departement_of(territory.geography.communes["code"]).unique().tolist())
