"""The demo folder: file names, manifest, README, and the writer that assembles them.

Owns the file names of the demo, :func:`rp_file`, ``manifeste.yaml``, ``README.md``,
:func:`build_demo_files` (every file as bytes, in a fixed order) and :func:`generate_demo`
(written through a temporary folder, each file moved into place atomically).

Layer « données » (demo.*): imports the other demo modules, and :mod:`territoire_lib.errors`
(socle).
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

from ..errors import fmt_int
from .cafdata import _file_caf_qpv, _file_tauxcouv, _files_cafdata, _files_onape
from .cog import _file_cog, _file_epci_xlsx
from .drees import ACM_FILE, ACM_YEAR, FRANCE_COLUMNS, LABEL_COLUMN, _file_acm
from .geometry import _file_geojson
from .insee import (
    FILO_DETAIL_MIN,
    FILO_MEDIAN_MIN,
    QPV_INCOME_FILE,
    _file_families,
    _file_filosofi_long,
    _file_qpv_income,
    _file_rp,
    _files_filosofi,
    _rp_structure,
)
from .model import DemoModel, build_model
from .populations import (
    BIRTHS_FILE,
    CROSSING_COMMUNE,
    LEGAL_FILE,
    _file_births,
    _file_legal_populations,
    legal_populations,
)
from .spec import (
    BIRTH_YEARS,
    CITY_IRIS,
    DEMO_DEPARTEMENT,
    DEMO_DEPARTEMENT_NAME,
    DEMO_DIR,
    DEMO_REGION,
    DEMO_REGION_NAME,
    FAMILY_YEAR,
    GENERATED_BY,
    LEGAL_POPULATION_YEAR,
    QPV_SPECS,
    RP_YEARS,
)
from .zonages import _file_frr, _file_qpv

# --------------------------------------------------------------------------------------------
# Manifest, README, generation
# --------------------------------------------------------------------------------------------

COG_FILE = "v_commune_2024.csv"
EPCI_FILE = "Intercommunalite_Metropole_au_01-01-2024.xlsx"
FAMILY_FILE = f"base-ic-couples-familles-menages-{FAMILY_YEAR}.csv"
FILO_DISP = "FILO2021_DISP_COM.csv"
FILO_PAUVRES = "FILO2021_DISP_PAUVRES_COM.csv"
FILO_LONG = "DS_FILOSOFI_CC_2023_data.csv"
CAF_FILES = ("s_ben_com_f.csv", "ndur_s_qf_400_com_f.csv", "rsa_s_type_com_f.csv")
CAF_QPV_FILE = "ndur_s_qf_400_qpv_f.csv"
TAUXCOUV_FILE = "TAUXCOUV2021.csv"
QPV_FILE = "listeqp2024-cog2024.csv"
FRR_FILE = "frr_communes.csv"
GEOJSON_FILE = f"communes-{DEMO_DEPARTEMENT}-demo.geojson"
MANIFEST_FILE = "manifeste.yaml"
README_FILE = "README.md"


def rp_file(year: int) -> str:
    return f"base-ic-evol-struct-pop-{year}.csv"


def _manifest(model: DemoModel) -> bytes:
    rp = "".join(f"\n    - {rp_file(y)}" for y in RP_YEARS)
    transfer_epci, transfer = _sppe_transfer(model)
    perimeters = "\n".join(
        f"  {code}:\n    nom: {json.dumps(name, ensure_ascii=False)}\n"
        f"    communes: {json.dumps(list(communes))}"
        for code, (name, communes) in model.perimeters.items()
    )
    text = f"""\
# Données fictives : département de démonstration généré par « {GENERATED_BY} ».
# Ne pas modifier à la main : la commande régénère ces fichiers octet pour octet.
nom: {DEMO_DEPARTEMENT_NAME}
fictif: true
departements: ["{DEMO_DEPARTEMENT}"]
noms:
  departements: {{"{DEMO_DEPARTEMENT}": "{DEMO_DEPARTEMENT_NAME}"}}
  regions: {{"{DEMO_REGION}": "{DEMO_REGION_NAME}"}}
fichiers:
  cog_communes: {COG_FILE}
  epci_composition: {EPCI_FILE}
  population_age:{rp}
  familles: [{FAMILY_FILE}]
  filosofi: [{{disp: {FILO_DISP}, pauvres: {FILO_PAUVRES}}}]
  filosofi_long: [{FILO_LONG}]
  cafdata: [{", ".join((*CAF_FILES, CAF_QPV_FILE))}]
  naissances: [{BIRTHS_FILE}]
  populations_legales: [{{fichier: {LEGAL_FILE}, millesime: {LEGAL_POPULATION_YEAR}}}]
  petite_enfance:
    taux: {{com: txcouv_pe_com.csv, epci: txcouv_pe_epci.csv, dep: txcouv_pe_dep.csv, \
nat: txcouv_pe_nat.csv}}
    places: {{com: nbpla_pe_com.csv, epci: nbpla_pe_epci.csv, dep: nbpla_pe_dep.csv, \
nat: nbpla_pe_nat.csv}}
  tauxcouv_historique: [{TAUXCOUV_FILE}]
  qpv: {QPV_FILE}
  revenus_qpv: [{QPV_INCOME_FILE}]
  # tableau DREES copié de la page du Panorama statistique : le manifeste dit quelle colonne
  # est quoi (aucun fichier à en-tête fixe n'est publié)
  accueils_mineurs:
    fichier: {ACM_FILE}
    annee: {ACM_YEAR}
    departement: "{DEMO_DEPARTEMENT}"
    colonnes: {{libelle: {LABEL_COLUMN}, departement: "{DEMO_DEPARTEMENT_NAME}", \
france: {FRANCE_COLUMNS[1]}}}
  frr:
    fichier: {FRR_FILE}
    colonnes: {{code: CODGEO, classement: FRR, nom: LIBGEO}}
    valeurs: {{"FRR": frr, "FRR+": frr_plus, "Bénéficiaire": beneficiaire, \
"Partiellement classée": partiel}}
  contours: {GEOJSON_FILE}
perimetres:
{perimeters}
# Communes ayant transféré la compétence « service public de la petite enfance » à leur EPCI
# (art. L. 214-1-3 CASF) : les seuils de population de l'EPCI s'apprécient sur leur seule
# population totale.
competence_sppe:
  "{transfer_epci}": {json.dumps(transfer)}
"""
    return text.encode("utf-8")


def _sppe_transfer(model: DemoModel) -> tuple[str, list[str]]:
    """The demo's SPPE transfer: the second EPCI, for the 5 communes after its main town (the
    town keeps the competence): the EPCI's band then rests on their population totale only."""
    c = model.communes
    code = model.epcis["code"].iloc[1]
    return str(code), c.loc[c["epci"] == code, "code"].iloc[1:6].tolist()


def _readme(model: DemoModel) -> bytes:
    c, e = model.communes, model.epcis
    pop = model.commune_years.query("annee == 2021")["pop_totale"]
    city = c.iloc[0]
    big = c[model.commune_years.query("annee == 2021")["pop_totale"].to_numpy() > 10_000]
    epci_lines = "\n".join(
        f"| {code} | {nom} | {nature} | {nb} |"
        for code, nom, nature, nb in zip(e["code"], e["nom"], e["nature"], e["nb_com"],
                                         strict=True)
    )  # fmt: skip
    rows = [
        (COG_FILE, "Insee, COG : `v_commune_2024.csv`",
         "`,`, UTF-8 ; lignes `COM` et 2 lignes `COMD` (commune nouvelle 96047)"),
        (EPCI_FILE, "Insee, « EPCI au 1er janvier »",
         "feuilles `Composition_communale` et `EPCI`, 5 lignes de titre avant l'en-tête"),
        *[
            (rp_file(y), f"Insee, RP {y}, base infracommunale (IRIS)",
             f"`;`, UTF-8, colonnes `P{y % 100:02d}_…` / `C{y % 100:02d}_…`, "
             "effectifs pondérés décimaux")
            for y in RP_YEARS
        ],
        (FAMILY_FILE, "Insee, RP 2021, couples – familles – ménages (IRIS)", "`;`, UTF-8"),
        (FILO_DISP, "Insee, Filosofi 2021 (format large)",
         "`;`, UTF-8 avec BOM, secret `s` et `nd`"),
        (FILO_PAUVRES, "Insee, Filosofi 2021, taux de pauvreté",
         "`;`, UTF-8 avec BOM, secret `s` et `nd`"),
        (FILO_LONG, "Insee, Filosofi 2 (format long Melodi)",
         "`;`, lignes COM, EPCI, DEP ; `CONF_STATUS=C` sans valeur pour les petites communes"),
        (CAF_FILES[0], "Cnaf, Cafdata `s_ben_com_f`",
         "`;`, UTF-8 avec BOM, effectifs arrondis à 5, montants à 100 € ; une ligne par "
         "année sans code commune (foyers non localisés)"),
        (CAF_FILES[1], "Cnaf, Cafdata `ndur_s_qf_400_com_f`", "8 tranches de QF, arrondis à 5"),
        (CAF_FILES[2], "Cnaf, Cafdata `rsa_s_type_com_f`", "RSA majoré / non majoré"),
        (CAF_QPV_FILE, "Cnaf, Cafdata `ndur_s_qf_400_qpv_f` (niveau QPV)",
         "`;`, UTF-8 avec BOM, `dtreffre;numcomdo;nomcom;nomqpv;qf_400;indfoy_ndur;"
         "indnbp_ndur`, une ligne par commune, quartier et tranche ; arrondis à 5"),
        (QPV_INCOME_FILE, "Insee, revenus et pauvreté 2021 par quartier prioritaire (QPV 2024)",
         "`;`, UTF-8, `CODGEO;DISP_MED_A21;DISP_TP60_A21;…` ; nom du fichier non vérifié "
         "(celui de la géographie 2015 est `revenu-disponible-qp15-2021_QP.csv`)"),
        (ACM_FILE, f"DREES, Panorama statistique {ACM_YEAR}, accueils collectifs de mineurs",
         "`;`, UTF-8, tableau de la page copié tel quel : une colonne de libellés, une par "
         "territoire ; correspondance des colonnes dans le manifeste"),
        (BIRTHS_FILE, "Insee, état civil, naissances domiciliées par commune (format Melodi)",
         "`;`, UTF-8, `EC_MEASURE;FREQ;GEO;GEO_OBJECT;OBS_STATUS;TIME_PERIOD;OBS_VALUE`, "
         f"naissances vivantes (`LVB`) de {BIRTH_YEARS[0]} à {BIRTH_YEARS[-1]} ; une ligne "
         "`DEP` par année (écartée au chargement), dernière année provisoire "
         "(`OBS_STATUS=P`)"),
        (LEGAL_FILE, f"Insee, populations légales {LEGAL_POPULATION_YEAR} (archive "
         "`ensemble.zip`, fichier des communes)",
         "`;`, UTF-8, `CODREG;REG;CODDEP;CODARR;CODCAN;CODCOM;COM;PMUN;PCAP;PTOT` ; "
         "millésime déclaré dans le manifeste"),
        ("txcouv_pe_*.csv, nbpla_pe_*.csv", "Cnaf, Cafdata (Onape), niveaux com, epci, dep, nat",
         "`;`, UTF-8 avec BOM ; communes de plus de 10 000 habitants seulement ; "
         "une ligne `numepci=XX` par année (valeurs extrêmes, à écarter)"),
        (TAUXCOUV_FILE, "ancien data.caf.fr, taux de couverture de toutes les communes",
         "`;`, virgule décimale, en-tête en casse mixte, lignes `99999` et `XXXXX` en tête"),
        (QPV_FILE, "ANCT, liste des QPV 2024",
         "`;`, UTF-8 avec BOM ; un QPV sur deux communes (`insee_com` = « 96001, 96002 »)"),
        (FRR_FILE, "ANCT / DGCL, France Ruralités Revitalisation (colonnes à déclarer)",
         "`;`, UTF-8, `CODGEO;LIBGEO;FRR`"),
        (GEOJSON_FILE, "contours schématiques au format france-geojson",
         "propriétés `code` et `nom`, WGS84, 5 décimales, polygones jointifs"),
        (MANIFEST_FILE, "manifeste du jeu de données",
         "fichiers, périmètres CTG et communes ayant transféré la compétence SPPE"),
    ]  # fmt: skip
    files = "\n".join(f"| `{name}` | {what} | {how} |" for name, what, how in rows)
    perimeters = "\n".join(
        f"- `{code}` : {name} — {', '.join(communes)}"
        for code, (name, communes) in model.perimeters.items()
    )
    n_small = int((pop.to_numpy() < 2000).sum())
    legal = legal_populations(model).set_index("code")
    crossing = legal.loc[CROSSING_COMMUNE]
    crossing_name = crossing["nom"]
    transfer_epci, transfer = _sppe_transfer(model)
    text = f"""\
# Département de démonstration (fictif) — **Données fictives**

> **Toutes les données de ce dossier sont fictives.** Le « {DEMO_DEPARTEMENT_NAME} »
> (code {DEMO_DEPARTEMENT}, qu'aucun département réel n'utilise), ses {len(c)} communes, ses
> {len(e)} EPCI, leurs noms, leurs populations, leurs allocataires, leurs places d'accueil et
> leurs contours sont **inventés**. Toute ressemblance avec des lieux réels est fortuite. Ils
> servent à essayer l'outil, à le montrer et à le tester, jamais à décrire un territoire.

Les fichiers sont écrits **exactement dans les formats des fichiers publiés** (mêmes noms,
mêmes en-têtes, mêmes séparateurs et encodages, BOM des exports Cafdata, arrondis à 5, marques
de secret statistique, lignes « fantômes » à écarter) : ils passent par les mêmes chargeurs
que les vraies données.

## Régénérer

```
territoire demo            # réécrit data/demo/ à l'identique, octet pour octet
territoire demo --dossier AUTRE_DOSSIER
```

La génération est déterministe (graine fixe, aucune dépendance à l'heure ni à la machine).
Ne modifiez pas ces fichiers à la main : un test vérifie qu'ils sont identiques à ceux que la
commande produit.

## Le territoire fictif

- Ville-centre : {city["nom"]} ({city["code"]}), environ {fmt_int(round(float(pop.iloc[0]), -2))}
  habitants, découpée en {len(CITY_IRIS)} IRIS, avec {len(QPV_SPECS)} quartiers prioritaires
  (QPV) dont un à cheval sur {c["nom"].iloc[1]} (96002).
- Communes de plus de 10 000 habitants : {", ".join(big["nom"])}.
- {n_small} communes sur {len(c)} ont moins de 2 000 habitants ; population totale 2021 :
  environ {fmt_int(round(float(pop.sum()), -3))} habitants.
- Communes classées FRR dans les trois communautés de communes rurales.

| EPCI (SIREN fictif) | Nom | Nature | Communes |
|---|---|---|---|
{epci_lines}

Périmètres CTG déclarés dans `manifeste.yaml` :

{perimeters}

## Fichiers

| Fichier | Source imitée | Format |
|---|---|---|
{files}

## Taux de couverture, naissances et populations légales

- Les taux publiés (`txcouv_pe_*.csv`) rapportent les places de décembre de l'année N aux
  enfants de moins de 3 ans **au 1er janvier N+1** (méthode de l'Onape). L'outil recalcule ce
  taux avec les mêmes places et une estimation de ces enfants : le recensement de cette date
  quand il existe (ici jusqu'au 1er janvier 2021), sinon les naissances domiciliées des années
  N−2, N−1 et N (`{BIRTHS_FILE}`) multipliées par un facteur propre à chaque commune (décès et
  migrations avant 3 ans), estimé sur les recensements. Le taux publié est le chiffre affiché
  là où il existe (EPCI, communes de plus de 10 000 habitants, département, France), le taux
  recalculé est donné à côté.
- Les naissances sont tirées pour être cohérentes avec les enfants de 0 à 2 ans du modèle :
  chaque commune a son propre facteur (entre 0,94 et 1,06), que l'outil doit retrouver.
- Populations légales {LEGAL_POPULATION_YEAR} (en vigueur au 1er janvier
  {LEGAL_POPULATION_YEAR + 3}) : population municipale du modèle, population comptée à part
  tirée entre 0,6 % et 2 % ; {crossing_name} ({CROSSING_COMMUNE}) compte
  {fmt_int(crossing["PMUN"])} habitants en population municipale et
  {fmt_int(crossing["PTOT"])} en population totale : c'est la population totale qui compte pour
  les seuils du service public de la petite enfance (plus de 3 500 habitants).
- Compétence SPPE : le manifeste déclare que {len(transfer)} communes de l'EPCI
  {transfer_epci} lui ont transféré la compétence ; les seuils de l'EPCI s'apprécient sur la
  population totale de ces seules communes.

## Ce qui est inventé, en plus des chiffres

- Taux de couverture nationaux (`txcouv_pe_nat.csv`) : les taux globaux 2020 (58,8),
  2022 (59,5) et 2023 (60,9) sont les valeurs publiées par l'Onape ; **2019 (59,1) et
  2021 (59,2) sont interpolés**, et la décomposition par mode d'accueil ainsi que le nombre
  national d'enfants de moins de 3 ans sont inventés.
- Règle de secret imitée pour Filosofi : médiane publiée à partir de {FILO_MEDIAN_MIN} ménages
  fiscaux, distribution et taux de pauvreté à partir de {fmt_int(FILO_DETAIL_MIN)} ménages ; quelques
  valeurs `nd`. Les codes d'unité du format long (`EUR_YR`, `PT`, `HH`, `IND`) sont plausibles mais
  non vérifiés.
- Les noms de colonnes de la liste FRR réelle ne sont pas connus : le fichier suit le format
  « colonnes à déclarer » du manifeste.
- Accueils collectifs de mineurs (`{ACM_FILE}`) : les colonnes « FRANCE métropolitaine » et
  « FRANCE entière » sont les **valeurs réelles** du Panorama statistique {ACM_YEAR} de la
  DREES, sauf les 14-17 ans en périscolaire, obtenus par différence (places moins les deux
  autres tranches d'âge) ; les colonnes de la région et du département sont inventées.
- Niveau QPV des allocataires (`{CAF_QPV_FILE}`) : la part des foyers de la commune qui vivent
  dans chaque quartier et la répartition par tranche de QF sont inventées ; revenus des QPV
  (`{QPV_INCOME_FILE}`) : médiane et taux de pauvreté inventés.
- Les contours sont une grille déformée (placée vers 4,6–5,3° E et 46,7–47,1° N) : ils ne
  représentent aucun lieu.
"""
    return text.encode("utf-8")


def build_demo_files(model: DemoModel | None = None) -> dict[str, bytes]:
    """Every file of the demo as bytes, keyed by file name (deterministic)."""
    model = build_model() if model is None else model
    files: dict[str, bytes] = {
        COG_FILE: _file_cog(model),
        EPCI_FILE: _file_epci_xlsx(model),
    }
    structure = _rp_structure(model)
    for year in RP_YEARS:
        files[rp_file(year)] = _file_rp(model, structure, year)
    files[FAMILY_FILE] = _file_families(model)
    files[FILO_DISP], files[FILO_PAUVRES] = _files_filosofi(model)
    files[FILO_LONG] = _file_filosofi_long(model)
    files[CAF_FILES[0]], files[CAF_FILES[1]], files[CAF_FILES[2]] = _files_cafdata(model)
    files[CAF_QPV_FILE] = _file_caf_qpv(model)
    files[BIRTHS_FILE] = _file_births(model)
    files[LEGAL_FILE] = _file_legal_populations(model)
    files.update(_files_onape(model))
    files[TAUXCOUV_FILE] = _file_tauxcouv(model)
    files[QPV_FILE] = _file_qpv(model)
    files[QPV_INCOME_FILE] = _file_qpv_income(model)
    files[ACM_FILE] = _file_acm(model)
    files[FRR_FILE] = _file_frr(model)
    files[GEOJSON_FILE] = _file_geojson(model)
    files[MANIFEST_FILE] = _manifest(model)
    files[README_FILE] = _readme(model)
    return files


def generate_demo(folder: Path = DEMO_DIR) -> list[Path]:
    """Write the fictional demo département into `folder`; return the paths written.

    All files are first written into a temporary folder next to the target, then moved into
    place one by one (each move is atomic). Other files of `folder` are left alone.
    """
    folder = Path(folder)
    files = build_demo_files()
    folder.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    written = []
    try:
        for name, data in files.items():
            (tmp / name).write_bytes(data)
        for name in files:
            target = folder / name
            os.replace(tmp / name, target)
            written.append(target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return written
