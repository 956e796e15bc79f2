"""Regenerate ``data/referentiel/`` from the npm package ``@etalab/decoupage-administratif``.

The package (data under Licence Ouverte, code under MIT) ships the INSEE COG (communes,
départements, régions) and the DGCL list of EPCI with own taxation, as JSON. This script:

1. runs ``npm pack @etalab/decoupage-administratif@<PACKAGE_VERSION>`` in a temporary folder
   (or reads a tarball given with ``--archive``) and checks its sha512 against the pinned one;
2. reads ``package/data/{communes,epci,departements,regions}.json`` straight from the tarball;
3. keeps the current communes (``commune-actuelle``) of the 101 départements: no municipal
   arrondissements, associated or delegated communes, and no overseas collectivities
   (975, 977, 978, 98x: outside the INSEE COG commune file, the CAF data and our code rules);
4. keeps the history of mergers: each former code of a current commune (``anciensCodes``:
   communes merged into a commune nouvelle) with the code of the commune it is part of now;
5. checks the result (code formats, unique codes, every commune's EPCI / département / région
   known, every former code leading to a current commune) and writes five CSVs plus
   ``SOURCE.txt``, each through a temporary file and a rename.

Usage: ``.venv/bin/python scripts/build_referentiel.py [--archive X.tgz] [--dossier DIR]``.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import pandas as pd

from territoire_lib.errors import fmt_int
from territoire_lib.geo import COMMUNE_CODE_PATTERN, EPCI_CODE_PATTERN, NO_EPCI

PACKAGE = "@etalab/decoupage-administratif"
PACKAGE_VERSION = "6.0.0"
GEOGRAPHY = "géographie au 1er janvier 2026"  # package README, table "Millésimes"
# `npm view @etalab/decoupage-administratif@6.0.0 dist.integrity`
PACKAGE_INTEGRITY = "sha512-XavYsFlbcM/prKr8hNHPKER94IHw/dsxNM4nxjWMYk6PLFACpEedvn/7wK8Baozm0dCYhWWcf+7bcWpA5pmCaQ=="
LICENCE = "Licence Ouverte 2.0 (Etalab) pour les données ; MIT pour le code du paquet"

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUTPUT = REPO / "data" / "referentiel"

# Package EPCI `type` → INSEE NATURE_EPCI. Unknown values (MET69, Métropole de Lyon) are kept.
NATURES = {"METRO": "ME", "CU": "CU", "CA": "CA", "CC": "CC"}
KEPT_ZONES = ("metro", "drom")  # "com" = overseas collectivities, left out

COMMUNE_COLUMNS = ["code", "nom", "departement", "region", "epci", "population"]
EPCI_COLUMNS = ["code", "nom", "nature", "population_municipale"]
DEPARTEMENT_COLUMNS = ["code", "nom", "region"]
REGION_COLUMNS = ["code", "nom"]
FORMER_COLUMNS = ["ancien_code", "code"]


class BuildError(Exception):
    """A failure of the build, with a French message for the person running it."""


# -- fetching -------------------------------------------------------------------------------------
def fetch_tarball(workdir: Path) -> Path:
    """`npm pack` the pinned version into `workdir`; return the tarball path."""
    npm = shutil.which("npm")
    if npm is None:
        raise BuildError(
            "La commande « npm » est introuvable. Installez Node.js (paquet Debian « npm ») "
            "ou passez une archive déjà téléchargée avec --archive."
        )
    spec = f"{PACKAGE}@{PACKAGE_VERSION}"
    result = subprocess.run(
        [npm, "pack", spec, "--silent"],
        cwd=workdir,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BuildError(
            f"« npm pack {spec} » a échoué (code {result.returncode}) :\n{result.stderr.strip()}"
        )
    tarballs = sorted(workdir.glob("*.tgz"))
    if len(tarballs) != 1:
        raise BuildError(f"« npm pack {spec} » n'a pas produit d'archive .tgz dans {workdir}.")
    return tarballs[0]


def check_integrity(tarball: Path) -> None:
    digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
    if f"sha512-{digest}" != PACKAGE_INTEGRITY:
        raise BuildError(
            f"L'archive « {tarball.name} » n'est pas celle de {PACKAGE}@{PACKAGE_VERSION} : "
            f"empreinte sha512-{digest[:16]}… au lieu de {PACKAGE_INTEGRITY[:23]}…"
        )


def read_package(tarball: Path) -> dict[str, list[dict]]:
    """The four JSON data files of the package, read from the tarball without extracting."""
    out: dict[str, list[dict]] = {}
    with tarfile.open(tarball, "r:gz") as tar:
        manifest = json.load(tar.extractfile("package/package.json"))
        if manifest.get("version") != PACKAGE_VERSION:
            raise BuildError(
                f"L'archive contient la version {manifest.get('version')} au lieu de "
                f"{PACKAGE_VERSION}."
            )
        for name in ("communes", "epci", "departements", "regions"):
            member = f"package/data/{name}.json"
            try:
                handle = tar.extractfile(member)
            except KeyError:
                raise BuildError(f"L'archive ne contient pas « {member} ».") from None
            out[name] = json.load(handle)
    return out


# -- building -------------------------------------------------------------------------------------
def build_frames(raw: dict[str, list[dict]]) -> dict[str, pd.DataFrame]:
    """Turn the package JSON into the four referential tables (sorted by code)."""
    communes = pd.DataFrame(raw["communes"])
    communes = communes[
        (communes["type"] == "commune-actuelle") & communes["zone"].isin(KEPT_ZONES)
    ].copy()
    # former codes (communes merged since) → the current commune that absorbed them
    former = communes[["code", "anciensCodes"]] if "anciensCodes" in communes else None
    if former is not None:
        former = former.dropna(subset=["anciensCodes"]).explode("anciensCodes")
        former = former.rename(columns={"anciensCodes": "ancien_code"})[FORMER_COLUMNS]
        former = former.sort_values("ancien_code").reset_index(drop=True)
    else:
        former = pd.DataFrame(columns=FORMER_COLUMNS)

    # Commune → EPCI from the EPCI member lists (the commune records do not carry it).
    members = pd.DataFrame(
        [(ep["code"], m["code"]) for ep in raw["epci"] for m in ep["membres"]],
        columns=["epci", "commune"],
    )
    twice = members[members["commune"].duplicated(keep=False)]
    if len(twice):
        shown = ", ".join(sorted(set(twice["commune"]))[:10])
        raise BuildError(f"Communes membres de plusieurs EPCI dans le paquet : {shown}.")
    link = members.set_index("commune")["epci"]
    communes["epci"] = communes["code"].map(link).fillna(NO_EPCI)
    communes["population"] = pd.to_numeric(communes["population"], errors="coerce").astype("Int64")
    communes = communes[COMMUNE_COLUMNS].sort_values("code").reset_index(drop=True)

    epci = pd.DataFrame(raw["epci"])
    epci["nature"] = epci["type"].map(NATURES).fillna(epci["type"])
    # Population = sum of the member communes' municipal population (INSEE, the vintage of
    # communes.csv) so that EPCI figures agree with any aggregation of communes.csv. The
    # package's own `populationMunicipale` comes from the DGCL file, one vintage older.
    pop = communes.groupby("epci")["population"].sum(min_count=1)
    epci["population_municipale"] = epci["code"].map(pop).astype("Int64")
    epci = epci[EPCI_COLUMNS].sort_values("code").reset_index(drop=True)

    departements = pd.DataFrame(raw["departements"])
    departements = departements[departements["zone"].isin(KEPT_ZONES)]
    departements = departements[DEPARTEMENT_COLUMNS].sort_values("code").reset_index(drop=True)

    regions = pd.DataFrame(raw["regions"])
    regions = regions[regions["zone"].isin(KEPT_ZONES)]
    regions = regions[REGION_COLUMNS].sort_values("code").reset_index(drop=True)

    return {
        "communes": communes,
        "epci": epci,
        "departements": departements,
        "regions": regions,
        "anciens_codes": former,
    }


def check_frames(frames: dict[str, pd.DataFrame]) -> list[str]:
    """French descriptions of every inconsistency found (empty when all is well)."""
    problems: list[str] = []

    def sample(values: pd.Series) -> str:
        values = sorted(set(values.astype(str)))
        more = f" et {len(values) - 10} autres" if len(values) > 10 else ""
        return ", ".join(values[:10]) + more

    communes, epci = frames["communes"], frames["epci"]
    departements, regions = frames["departements"], frames["regions"]
    former = frames.get("anciens_codes")
    if former is not None:
        dup = former.loc[former["ancien_code"].duplicated(), "ancien_code"]
        if len(dup):
            problems.append(f"anciens_codes.csv : anciens codes en double ({sample(dup)}).")
        alive = former.loc[former["ancien_code"].isin(frames["communes"]["code"]), "ancien_code"]
        if len(alive):
            problems.append(f"anciens_codes.csv : codes encore en vigueur ({sample(alive)}).")
        lost = former.loc[~former["code"].isin(frames["communes"]["code"]), "ancien_code"]
        if len(lost):
            problems.append(f"anciens_codes.csv : commune actuelle inconnue pour {sample(lost)}.")
    for name, frame in frames.items():
        if name == "anciens_codes":
            continue
        dup = frame.loc[frame["code"].duplicated(), "code"]
        if len(dup):
            problems.append(f"{name}.csv : codes en double ({sample(dup)}).")
    bad = communes.loc[~communes["code"].str.fullmatch(COMMUNE_CODE_PATTERN), "code"]
    if len(bad):
        problems.append(f"communes.csv : codes commune mal formés ({sample(bad)}).")
    bad = epci.loc[~epci["code"].str.fullmatch(EPCI_CODE_PATTERN), "code"]
    if len(bad):
        problems.append(f"epci.csv : codes EPCI qui ne sont pas des SIREN ({sample(bad)}).")
    orphan = communes.loc[
        (communes["epci"] != NO_EPCI) & ~communes["epci"].isin(epci["code"]), "code"
    ]
    if len(orphan):
        problems.append(f"communes.csv : EPCI absent de epci.csv pour {sample(orphan)}.")
    empty = epci.loc[~epci["code"].isin(communes["epci"]), "code"]
    if len(empty):
        problems.append(f"epci.csv : EPCI sans commune membre ({sample(empty)}).")
    orphan = communes.loc[~communes["departement"].isin(departements["code"]), "code"]
    if len(orphan):
        problems.append(f"communes.csv : département inconnu pour {sample(orphan)}.")
    orphan = communes.loc[~communes["region"].isin(regions["code"]), "code"]
    if len(orphan):
        problems.append(f"communes.csv : région inconnue pour {sample(orphan)}.")
    orphan = departements.loc[~departements["region"].isin(regions["code"]), "code"]
    if len(orphan):
        problems.append(f"departements.csv : région inconnue pour {sample(orphan)}.")
    return problems


# -- writing --------------------------------------------------------------------------------------
def write_atomic(path: Path, text: str) -> None:
    """Write `text` to a temporary file next to `path`, then rename it over `path`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)  # mkstemp creates 0600; the referential is meant to be shared
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def source_text(frames: dict[str, pd.DataFrame], today: dt.date) -> str:
    no_epci = frames["communes"].loc[frames["communes"]["epci"] == NO_EPCI]
    islands = ", ".join(f"{c} {n}" for c, n in zip(no_epci["code"], no_epci["nom"], strict=True))
    return (
        "Référentiel national des communes, EPCI, départements et régions\n"
        "\n"
        f"Paquet : {PACKAGE}\n"
        f"Version : {PACKAGE_VERSION} ({GEOGRAPHY})\n"
        f"Empreinte de l'archive : {PACKAGE_INTEGRITY}\n"
        f"Date de génération : {today.isoformat()}\n"
        f"Licence : {LICENCE}\n"
        "Producteur : Etalab (DINUM), d'après le Code officiel géographique de l'Insee, les "
        "populations légales de l'Insee et la liste des EPCI à fiscalité propre de la DGCL "
        "(fichier epcicom, anciennement BANATIC).\n"
        "Dépôt d'origine : https://github.com/datagouv/decoupage-administratif\n"
        "\n"
        "Contenu :\n"
        f"- communes.csv : {fmt_int(len(frames['communes']))} communes actuelles des 101 "
        "départements (sans arrondissements municipaux, communes associées ou déléguées, ni "
        "collectivités d'outre-mer 975, 977, 978 et 98x) ;\n"
        f"- epci.csv : {fmt_int(len(frames['epci']))} EPCI à fiscalité propre ;\n"
        f"- departements.csv : {fmt_int(len(frames['departements']))} départements ;\n"
        f"- regions.csv : {fmt_int(len(frames['regions']))} régions ;\n"
        f"- anciens_codes.csv : {fmt_int(len(frames['anciens_codes']))} anciens codes de "
        "communes fusionnées depuis dans une commune nouvelle, avec le code de la commune "
        "actuelle (champ « anciensCodes » du paquet ; sert à réunir les contours d'un millésime "
        "antérieur).\n"
        "\n"
        "Population : population municipale des populations légales Insee fournies par le "
        "paquet ; celle d'un EPCI est la somme de ses communes (le chiffre DGCL du paquet, "
        "d'un millésime antérieur, n'est pas repris).\n"
        f"Communes sans EPCI (code {NO_EPCI}) : {islands}.\n"
        "\n"
        "Régénérer : .venv/bin/python scripts/build_referentiel.py\n"
    )


def write_referentiel(frames: dict[str, pd.DataFrame], folder: Path, today: dt.date) -> None:
    for name, frame in frames.items():
        write_atomic(folder / f"{name}.csv", frame.to_csv(index=False, lineterminator="\n"))
    write_atomic(folder / "SOURCE.txt", source_text(frames, today))


def summary(frames: dict[str, pd.DataFrame], folder: Path) -> str:
    communes = frames["communes"]
    no_epci = int((communes["epci"] == NO_EPCI).sum())
    return (
        f"Référentiel écrit dans {folder} ({PACKAGE}@{PACKAGE_VERSION}) :\n"
        f"  communes : {fmt_int(len(communes))} (dont {no_epci} sans EPCI, code {NO_EPCI})\n"
        f"  EPCI : {fmt_int(len(frames['epci']))}\n"
        f"  départements : {fmt_int(len(frames['departements']))}\n"
        f"  régions : {fmt_int(len(frames['regions']))}\n"
        f"  anciens codes de communes fusionnées : {fmt_int(len(frames['anciens_codes']))}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=f"Régénère data/referentiel/ à partir de {PACKAGE}@{PACKAGE_VERSION}."
    )
    parser.add_argument(
        "--archive",
        type=Path,
        help="archive .tgz du paquet déjà téléchargée (sinon : npm pack)",
    )
    parser.add_argument(
        "--dossier",
        type=Path,
        default=DEFAULT_OUTPUT,
        help=f"dossier de sortie (défaut : {DEFAULT_OUTPUT})",
    )
    args = parser.parse_args(argv)
    try:
        with tempfile.TemporaryDirectory(prefix="referentiel-") as tmp:
            tarball = args.archive or fetch_tarball(Path(tmp))
            if not tarball.exists():
                raise BuildError(f"Archive introuvable : {tarball}")
            check_integrity(tarball)
            raw = read_package(tarball)
        frames = build_frames(raw)
        problems = check_frames(frames)
        if problems:
            raise BuildError("Référentiel incohérent :\n- " + "\n- ".join(problems))
        write_referentiel(frames, args.dossier, dt.date.today())
    except BuildError as exc:
        print(f"Erreur : {exc}", file=sys.stderr)
        return 1
    print(summary(frames, args.dossier))
    return 0


if __name__ == "__main__":
    sys.exit(main())
