"""A user's own territory, end to end, exactly as the README says (« Charger son propre
territoire »).

The commands and the manifest are read from the README's code blocks, so this test breaks when
the README changes. They run word for word in a scratch folder (``.venv``, ``notebooks`` and
``dashboards`` linked to the repository's) holding ``mon_dossier/``: files in the publishers'
real formats for the Territoire de Belfort (département 90, a real one of
``data/referentiel/``), written by the demo's own writers (``territoire_lib.demo``) from a
model whose communes, EPCI and 2021 populations are the referential's. ``TERRITOIRE_CACHE``
and ``HOME`` point at the scratch folder: nothing is written in the repository's cache.

Hand-worked values, from data/referentiel/communes.csv and epci.csv: département 90 has 101
communes in 3 EPCI; only Belfort (90010, 45 912 inhabitants) reaches 10 000 inhabitants, so the
other 100 communes get their childcare places from their EPCI; the CA Grand Belfort
(200069052) has 52 communes whose populations add up to 101 725 (the census file written
here gives each commune its referential population).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import shlex
import subprocess
import sys
import textwrap
from contextlib import ExitStack
from pathlib import Path
from unittest import mock

import pandas as pd
import papermill as pm
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
SECTION = "## Charger son propre territoire"
IDENTITY = {  # the demo writers' département and région, for these files
    "DEMO_DEPARTEMENT": "90",
    "DEMO_DEPARTEMENT_NAME": "Territoire de Belfort",
    "DEMO_REGION": "27",
    "DEMO_REGION_NAME": "Bourgogne-Franche-Comté",
}
CA_GRAND_BELFORT = "200069052"

pytestmark = pytest.mark.notebook


# -- the README --------------------------------------------------------------------------------
def readme_section() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end > 0 else None]


def code_blocks(section: str, language: str) -> list[str]:
    """Fenced blocks of one language, dedented (they sit inside list items)."""
    pattern = re.compile(rf"^( *)```{language}\n(.*?)^\1```", re.M | re.S)
    return [textwrap.dedent(m.group(2)) for m in pattern.finditer(section)]


def readme_commands(section: str) -> list[str]:
    """Every command of the section's shell blocks, comments removed, continuations joined."""
    out: list[str] = []
    for block in code_blocks(section, "sh"):
        for line in block.replace("\\\n", " ").splitlines():
            line = re.split(r"\s+#", line, maxsplit=1)[0].strip()
            if line:
                out.append(line)
    return out


# -- real-format files of département 90 -----------------------------------------------------
def _referential(name: str) -> pd.DataFrame:
    return pd.read_csv(REPO / "data" / "referentiel" / name, dtype=str)


def departement_90_files() -> dict[str, bytes]:
    """Every file the demo writes, for the communes of département 90.

    The demo's model is built with its layout's first 101 cells given the real communes
    (Belfort first, on the city's cell) and their referential populations; its EPCI table is
    the referential's. The writers then write the files exactly as for the demo.
    """
    from territoire_lib.demo import cafdata, geometry, insee, model, writer, zonages
    from territoire_lib.demo.spec import RP_YEARS

    c = _referential("communes.csv").query("departement == '90'").copy()
    c["population"] = c["population"].astype(float)
    c = c.sort_values(["population", "code"], ascending=[False, True]).reset_index(drop=True)
    layout, populations = model._layout, model._populations

    def layout_90() -> pd.DataFrame:
        cells = layout().iloc[: len(c)].reset_index(drop=True)
        return cells.assign(code=c["code"], nom=c["nom"], epci=c["epci"])

    def populations_90(cells: pd.DataFrame) -> pd.DataFrame:
        return populations(cells).assign(pop21=c["population"].to_numpy())

    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(model, "_layout", layout_90))
        stack.enter_context(mock.patch.object(model, "_populations", populations_90))
        stack.enter_context(mock.patch.object(model, "_perimeters", lambda communes: {}))
        for name, module in list(sys.modules.items()):
            if name.startswith("territoire_lib.demo"):
                for key, value in IDENTITY.items():
                    if hasattr(module, key):
                        stack.enter_context(mock.patch.object(module, key, value))
        m = model.build_model()
        ref = _referential("epci.csv").set_index("code")
        codes = sorted(c["epci"].unique())
        epcis = pd.DataFrame(
            {
                "code": codes,
                "nom": ref.loc[codes, "nom"].tolist(),
                "nature": ref.loc[codes, "nature"].tolist(),
                "nb_com": c.groupby("epci").size().loc[codes].tolist(),
            }
        )
        names = epcis.set_index("code")["nom"]
        m = dataclasses.replace(
            m, epcis=epcis, communes=m.communes.assign(nom_epci=m.communes["epci"].map(names))
        )
        files = dict(cafdata._files_onape(m))
        files.update(zip(writer.CAF_FILES, cafdata._files_cafdata(m), strict=True))
        structure = insee._rp_structure(m)
        for year in RP_YEARS:
            files[writer.rp_file(year)] = insee._file_rp(m, structure, year)
        files[writer.FAMILY_FILE] = insee._file_families(m)
        files[writer.FRR_FILE] = zonages._file_frr(m)
        files["communes.geojson"] = geometry._file_geojson(m)
    return files


def write_folder(folder: Path, manifest: str) -> None:
    """The user's folder: the README's manifest and every file it names."""
    from territoire_lib.dataset import _files_of

    available = departement_90_files()
    folder.mkdir()
    (folder / "manifeste.yaml").write_text(manifest, encoding="utf-8")
    for name in _files_of(yaml.safe_load(manifest)):
        assert name in available, f"le README annonce « {name} », que ce test ne sait pas écrire"
        (folder / name).write_bytes(available[name])


# -- the walk ----------------------------------------------------------------------------------
def dashboard_of_make_run() -> Path:
    """The notebook `make run` serves (the Makefile's `run` target)."""
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", makefile, re.M).group(1)
    return REPO / re.search(r"voila (\S+\.ipynb)", recipe).group(1)


def widget_text(nb) -> str:
    return json.dumps(nb.metadata.get("widgets", {}), ensure_ascii=False)


@pytest.fixture(scope="module")
def walk(tmp_path_factory):
    """Run the README's commands in order; results keyed by command (and a few extra ones)."""
    work = tmp_path_factory.mktemp("utilisateur")
    for name in (".venv", "notebooks", "dashboards"):
        (work / name).symlink_to(REPO / name)
    (work / "home").mkdir()
    section = readme_section()
    commands = readme_commands(section)
    imports = [c for c in commands if c.startswith(".venv/bin/territoire import ")]
    assert len(imports) == 1, commands
    folder = work / shlex.split(imports[0])[-1]
    write_folder(folder, code_blocks(section, "yaml")[0])
    repo_registry = REPO / "data" / "cache" / "sources.json"
    before = repo_registry.stat().st_mtime_ns if repo_registry.exists() else None
    results: dict[str, object] = {"folder": folder, "work": work, "commands": commands}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TERRITOIRE_CACHE", str(work / "cache"))
        mp.setenv("HOME", str(work / "home"))
        mp.delenv("TERRITOIRE_SOURCE", raising=False)
        mp.chdir(work)

        def shell(command: str) -> subprocess.CompletedProcess:
            return subprocess.run(
                shlex.split(command), cwd=work, capture_output=True, text=True, timeout=900
            )

        for command in commands:
            if command == "make run":
                results[command] = pm.execute_notebook(
                    str(dashboard_of_make_run()), str(work / "tableau_de_bord.ipynb"),
                    kernel_name="python3", cwd=str(work), progress_bar=False,
                    start_timeout=120, execution_timeout=600,
                )  # fmt: skip
                continue
            assert command.startswith(".venv/bin/"), f"commande inattendue : {command}"
            if command == ".venv/bin/territoire source demo":  # the last step: check first
                results["code de la démo, source active"] = shell(
                    ".venv/bin/territoire indicateurs 296000011"
                )
            results[command] = shell(command)
        results["code de la démo, démo active"] = shell(
            ".venv/bin/territoire indicateurs 296000011"
        )
    after = repo_registry.stat().st_mtime_ns if repo_registry.exists() else None
    results["registre du dépôt inchangé"] = before == after
    return results


def _find(walk, start: str):
    found = [c for c in walk["commands"] if c.startswith(start)]
    assert found, f"le README ne montre plus « {start} »"
    result = walk[found[0]]
    assert result.returncode == 0, result.stderr
    return result


# -- the checks, step by step ------------------------------------------------------------------
def test_readme_walks_the_whole_path(walk):
    kinds = [re.sub(r"^\.venv/bin/", "", c).split()[0:2] for c in walk["commands"]]
    assert kinds[0] == ["territoire", "import"]
    for step in (
        ["territoire", "source"],
        ["territoire", "indicateurs"],
        ["papermill", "notebooks/01_diagnostic.ipynb"],
        ["territoire", "batch"],
        ["make", "run"],
    ):
        assert step in kinds, step
    assert walk["commands"][-1] == ".venv/bin/territoire source demo"
    assert walk["registre du dépôt inchangé"]
    # no option the README does not show: no --source, no -p source
    assert not any("--source" in c or "-p source" in c for c in walk["commands"])


def test_import_reports_and_activates(walk):
    out = _find(walk, ".venv/bin/territoire import ").stdout
    communes = _referential("communes.csv").query("departement == '90'")
    assert (len(communes), communes["epci"].nunique()) == (101, 3)
    assert "\n101 communes, 3 EPCI, 1 département(s), " in out
    # Belfort alone has ≥ 10 000 inhabitants and its own rows: 101 − 1 communes estimated
    assert "100 communes sous 10 000 habitants : places estimées par repli sur l'EPCI" in out
    assert "Source active : « mon_dossier » (Territoire de Belfort)." in out
    registry = json.loads((walk["work"] / "cache" / "sources.json").read_text(encoding="utf-8"))
    assert registry["active"] == "demo"  # the README's last step switched back
    assert registry["sources"]["mon_dossier"]["dossier"] == str(walk["folder"].resolve())


def test_source_lists_the_folder_as_active(walk):
    out = _find(walk, ".venv/bin/territoire source").stdout
    active = [line for line in out.splitlines() if line.startswith("▶")]
    assert len(active) == 1 and "mon_dossier" in active[0]
    assert "Territoire de Belfort" in active[0] and str(walk["folder"].resolve()) in active[0]


def test_indicateurs_on_the_active_source(walk):
    out = _find(walk, ".venv/bin/territoire indicateurs ").stdout
    assert out.startswith("Indicateurs — CA Grand Belfort (EPCI)\n")
    assert "Références : département 90 et France." in out
    communes = _referential("communes.csv")
    members = communes[communes["epci"] == CA_GRAND_BELFORT]
    assert len(members) == 52 and members["population"].astype(int).sum() == 101_725
    # the département: 101 725 + 15 049 (CC des Vosges du Sud) + 23 481 (CC du Sud
    # Territoire) = 140 255, the sum of its 101 communes
    assert communes.query("departement == '90'")["population"].astype(int).sum() == 140_255
    population = next(line for line in out.splitlines() if line.startswith("Population ("))
    assert re.search(r" 2021 +101\u202f725 +140\u202f255$", population), population


def test_diagnostic_notebook_with_papermill(walk):
    _find(walk, ".venv/bin/papermill notebooks/01_diagnostic.ipynb")
    target = next(
        a for a in shlex.split(next(c for c in walk["commands"] if "papermill" in c)) if
        a.endswith(".ipynb") and not a.startswith("notebooks/")
    )  # fmt: skip
    nb = json.loads((walk["work"] / target).read_text(encoding="utf-8"))
    text = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    # `-p territoire 200069052` reaches the notebook as an int: accepted
    assert "CA Grand Belfort (EPCI) : 52 communes, 101\u202f725 habitants en 2021" in text
    assert not any(
        o.get("output_type") == "error" for c in nb["cells"] for o in c.get("outputs", [])
    )


def test_batch_on_the_active_source(walk):
    result = _find(walk, ".venv/bin/territoire batch ")
    command = next(c for c in walk["commands"] if c.startswith(".venv/bin/territoire batch "))
    args = shlex.split(command)
    codes = args[args.index("--territoires") + 1].split(",")
    out_dir = walk["work"] / args[args.index("--sortie") + 1]
    assert f"{len(codes)} territoires — {len(codes)} produits" in result.stdout
    manifest = json.loads((out_dir / "manifeste.json").read_text(encoding="utf-8"))
    assert manifest["donnees"]["nom"] == "Territoire de Belfort"
    assert manifest["donnees"]["dossier"] == str(walk["folder"].resolve())
    index = (out_dir / "index.html").read_text(encoding="utf-8")
    assert manifest["execution"]["echecs"] == {}
    assert sorted(manifest["execution"]["produits"]) == sorted(codes)
    for code in codes:
        assert list((out_dir / code).glob("*.html")), code
    assert "Belfort" in index and "CTG du Nord" in index


def test_make_run_dashboard_shows_the_territory(walk):
    nb = walk["make run"]
    assert "Territoire affiché : Territoire de Belfort (département)" in widget_text(nb)


def test_unknown_code_names_the_active_source(walk):
    result = walk["code de la démo, source active"]
    assert result.returncode == 1
    assert result.stderr.startswith("Erreur : Territoire inconnu : « 296000011 ».")
    assert "source active « mon_dossier » (Territoire de Belfort)" in result.stderr
    assert "« territoire source NOM » change de source active" in result.stderr


def test_back_to_the_demo(walk):
    _find(walk, ".venv/bin/territoire source demo")
    result = walk["code de la démo, démo active"]
    assert result.returncode == 0, result.stderr
    assert "Indicateurs — CA de Valmont-sur-Loue (EPCI)" in result.stdout


def test_environment_was_isolated(walk):
    assert os.environ.get("TERRITOIRE_SOURCE") == "demo"  # tests/conftest.py, restored
    assert (walk["work"] / "cache" / "sources.json").exists()
