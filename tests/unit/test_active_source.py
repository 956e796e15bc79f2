"""The active source: `territoire import` records the folder and makes it the source every entry
point reads; `territoire source [NOM]` lists and switches; the cache folder (`--cache`,
`TERRITOIRE_CACHE`) holds the registry, never the user's folder.

The folders here declare only `departements: ["90"]`: their geography comes from the national
referential (101 communes in data/referentiel/communes.csv, Belfort = 90010, CA Grand Belfort =
200069052), which loads in a fraction of a second.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import papermill
import pytest

from territoire_lib import active_source, cli, dataset
from territoire_lib.dataset import load_territory
from territoire_lib.errors import TerritoireError

REPO = Path(__file__).resolve().parents[2]
BELFORT_MANIFEST = """\
nom: Territoire de Belfort
departements: ["90"]
fichiers: {}
perimetres:
  CTG-NORD: {nom: "CTG du Nord", communes: ["90010", "90065"]}
"""
DEMO_NAME = "Département de démonstration (fictif)"


@pytest.fixture
def cache(tmp_path, monkeypatch) -> Path:
    """A private cache folder, and no TERRITOIRE_SOURCE (tests/conftest.py sets it to demo)."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("TERRITOIRE_CACHE", str(folder))
    monkeypatch.delenv("TERRITOIRE_SOURCE", raising=False)
    return folder


@pytest.fixture
def run(monkeypatch, capsys):
    # only the subcommands used here: others may be under construction in the same tree
    monkeypatch.setattr(cli, "COMMAND_MODULES", ["import_", "source", "indicateurs", "scenario"])

    def _run(*argv):
        code = cli.main([str(a) for a in argv])
        out, err = capsys.readouterr()
        return code, out, err

    return _run


def belfort(parent: Path, name: str = "belfort", territory: str = "Territoire de Belfort") -> Path:
    folder = parent / name
    folder.mkdir(parents=True)
    text = BELFORT_MANIFEST.replace("Territoire de Belfort", territory)
    (folder / "manifeste.yaml").write_text(text, encoding="utf-8")
    return folder


def digests(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def test_without_registry_the_demo_is_read(cache):
    assert not (cache / "sources.json").exists()
    assert load_territory().name == DEMO_NAME
    assert load_territory("").name == DEMO_NAME
    assert active_source.resolve_source(None).how == "default"


def test_import_records_the_folder_and_makes_it_active(cache, tmp_path, run):
    folder = belfort(tmp_path / "donnees")
    before = digests(folder)
    code, out, err = run("import", folder)
    assert code == 0, err
    assert "Source active : « belfort » (Territoire de Belfort)." in out
    assert digests(folder) == before  # nothing written in the user's folder
    registry = json.loads((cache / "sources.json").read_text(encoding="utf-8"))
    assert registry["active"] == "belfort"
    assert registry["sources"]["belfort"]["dossier"] == str(folder.resolve())
    assert registry["sources"]["belfort"]["nom"] == "Territoire de Belfort"
    assert not [p for p in cache.iterdir() if p.name.startswith(".tmp-")]  # atomic write
    # every default now reads the folder
    assert load_territory().name == "Territoire de Belfort"
    assert load_territory(None).geography.name_of("90010") == "Belfort"
    # an explicit source still wins
    assert load_territory("demo").name == DEMO_NAME


def test_source_lists_then_switches(cache, tmp_path, run):
    folder = belfort(tmp_path)
    run("import", folder)
    code, out, _ = run("source")
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Sources de données connues (▶ : la source active) :"
    demo_line = next(line for line in lines if " demo " in f" {line} ")
    belfort_line = next(line for line in lines if "belfort" in line)
    assert belfort_line.startswith("▶") and not demo_line.startswith("▶")
    assert "Territoire de Belfort" in belfort_line and str(folder.resolve()) in belfort_line
    assert "livrée avec l'outil" in demo_line
    assert f"« {cache / 'sources.json'} »" in out

    code, out, _ = run("source", "demo")
    assert code == 0 and out.startswith("Source active : « demo »")
    assert load_territory().name == DEMO_NAME
    code, out, _ = run("source", "belfort")
    assert code == 0 and load_territory().name == "Territoire de Belfort"
    # the folder itself designates its source too
    run("source", "demo")
    assert run("source", str(folder))[0] == 0
    assert active_source.read_registry()["active"] == "belfort"


def test_unknown_source_is_a_french_error(cache, tmp_path, run):
    run("import", belfort(tmp_path))
    code, _, err = run("source", "inconnue")
    assert code == 1
    assert err.startswith(
        "Erreur : Source inconnue : « inconnue ». Sources connues : demo, belfort"
    )
    other = tmp_path / "jamais_importe"
    other.mkdir()
    code, _, err = run("source", other)
    assert code == 1 and "n'a pas encore été importé" in err and "territoire import" in err
    code, _, err = run("indicateurs", "90010", "--source", "inconnue")
    assert code == 1 and "Dossier introuvable : « inconnue »" in err
    assert "Sources connues : demo, belfort" in err


def test_territoire_inconnu_names_the_active_source_and_how_to_change(cache, tmp_path, run):
    run("import", belfort(tmp_path))
    code, _, err = run("indicateurs", "296000011")  # a demo code, the active source is Belfort
    assert code == 1
    assert err.startswith("Erreur : Territoire inconnu : « 296000011 ».")
    assert "source active « belfort » (Territoire de Belfort)" in err
    assert "« territoire source NOM » change de source active" in err
    assert "(sources connues : demo, belfort)" in err
    # switched back to the demo, the same code is known
    run("source", "demo")
    code, out, _ = run("indicateurs", "296000011")
    assert code == 0 and "Indicateurs — CA de Valmont-sur-Loue (EPCI)" in out


def test_cli_defaults_read_the_active_source(cache, tmp_path, run, monkeypatch):
    run("import", belfort(tmp_path))
    code, out, err = run("indicateurs", "90010")
    assert code == 0, err
    assert out.startswith("Indicateurs — Belfort (commune)\nRéférences : département 90")
    code, out, _ = run("indicateurs", "CTG-NORD")
    assert code == 0 and "Indicateurs — CTG du Nord (périmètre)" in out
    # told otherwise: --source, or TERRITOIRE_SOURCE for a whole session
    code, _, err = run("indicateurs", "90010", "--source", "demo")
    assert code == 1 and "demandée explicitement" in err
    monkeypatch.setenv("TERRITOIRE_SOURCE", "demo")
    code, _, err = run("indicateurs", "90010")
    assert code == 1 and "choisie par TERRITOIRE_SOURCE" in err
    monkeypatch.delenv("TERRITOIRE_SOURCE")
    # a scenario declaring « source: demo » is read on the demo, whatever the active source
    code, out, err = run("scenario", REPO / "data" / "scenarios" / "scenario_a.yaml")
    assert code == 0, err
    assert out.startswith(f"Données : {DEMO_NAME} — données fictives.")


def test_dashboard_and_batch_default_to_the_active_source(cache, tmp_path, run):
    from territoire_lib.batch.runner import run_batch
    from territoire_lib.dashboard.app import CommitteeApp, create_app

    folder = belfort(tmp_path)
    run("import", folder)
    app = create_app("")  # the dashboard notebook's parameter, left empty
    assert isinstance(app, CommitteeApp)
    assert app.territory.name == "Territoire de Belfort"
    # the batch passes the resolved folder to every notebook; an unknown code fails alone,
    # with the message naming the active source
    summary = run_batch(tmp_path / "lot", territoires=["296000011"], progress=False)
    manifest = json.loads(summary.manifest.read_text(encoding="utf-8"))
    assert manifest["parametres_communs"]["source"] == str(folder.resolve())
    assert manifest["donnees"]["nom"] == "Territoire de Belfort"
    assert "source active « belfort »" in manifest["execution"]["echecs"]["296000011"]


def test_generated_diagnostic_notebook_leaves_source_empty():
    import runpy

    cells = runpy.run_path(str(REPO / "scripts" / "make_notebooks.py"))["DIAGNOSTIC"]
    params = next(text for kind, text in cells if kind == "params")
    assert 'source = ""' in params.splitlines()


@pytest.mark.parametrize(
    "path",
    sorted((REPO / "notebooks").glob("*.ipynb")) + sorted((REPO / "dashboards").glob("*.ipynb")),
    ids=lambda p: p.name,
)
def test_notebook_source_parameter_is_empty(path):
    params = papermill.inspect_notebook(str(path))
    if "source" in params:
        assert params["source"]["default"] == '""', path.name


def test_same_folder_name_twice_and_chosen_names(cache, tmp_path, run):
    first, second = belfort(tmp_path / "a"), belfort(tmp_path / "b", territory="Autre")
    run("import", first)
    code, out, _ = run("import", second)
    assert code == 0 and "Source active : « belfort-2 » (Autre)." in out
    code, out, _ = run("import", first)  # a folder keeps its name when imported again
    assert "Source active : « belfort » (Territoire de Belfort)." in out
    code, out, _ = run("import", second, "--nom", "nord_franche_comte")
    assert "Source active : « nord_franche_comte » (Autre)." in out
    code, _, err = run("import", first, "--nom", "demo")
    assert code == 1 and "Nom de source invalide : « demo »" in err
    code, _, err = run("import", first, "--nom", "deux mots")
    assert code == 1 and "Nom de source invalide : « deux mots »" in err


def test_moved_folder_and_damaged_registry(cache, tmp_path, run):
    folder = belfort(tmp_path)
    run("import", folder)
    shutil.rmtree(folder)
    with pytest.raises(
        TerritoireError, match="celui de la source « belfort » \\(la source active\\)"
    ):
        load_territory()
    code, _, err = run("source", "belfort")
    assert code == 1 and "est introuvable" in err and "territoire import DOSSIER" in err
    code, out, _ = run("source")
    assert "(introuvable)" in out
    (cache / "sources.json").write_text("{ pas du JSON", encoding="utf-8")
    code, _, err = run("source")
    assert code == 1 and err.startswith("Erreur : Liste des sources illisible :")
    with pytest.raises(TerritoireError, match="Liste des sources illisible"):
        load_territory()


def test_cache_option_before_or_after_the_command(cache, tmp_path, run, monkeypatch):
    folder = belfort(tmp_path)
    elsewhere, again = tmp_path / "ailleurs", tmp_path / "encore"
    # main() sets TERRITOIRE_CACHE: monkeypatch restores it after the test
    monkeypatch.setenv("TERRITOIRE_CACHE", str(cache))
    monkeypatch.setattr(dataset, "_MEMORY", {})  # loaded by other tests: read again
    assert run("--cache", elsewhere, "import", folder)[0] == 0
    assert json.loads((elsewhere / "sources.json").read_text())["active"] == "belfort"
    assert len(list(elsewhere.glob("*/meta.json"))) == 1  # the parquet cache is there too
    assert os.environ["TERRITOIRE_CACHE"] == str(elsewhere.resolve())
    assert run("import", folder, "--cache", again)[0] == 0
    assert (again / "sources.json").exists()
    assert not (cache / "sources.json").exists()
