"""`territoire batch` end to end: the demo's five EPCI in two warm worker processes, a second
run that skips them, failures isolated and reported in French, and the same outputs from a
Dask LocalCluster. About a minute in all."""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
import openpyxl
import papermill as pm
import pytest

from territoire_lib.batch import DEFAULT_NOTEBOOK, run_batch
from territoire_lib.cli import main
from territoire_lib.dataset import load_territory

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.notebook
STEM = DEFAULT_NOTEBOOK.stem


@pytest.fixture(scope="module")
def demo():
    return load_territory("demo")


@pytest.fixture(scope="module")
def epcis(demo):
    return demo.geography.epcis["code"].astype(str).tolist()


@pytest.fixture(scope="module")
def first_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("classeurs")
    summary = run_batch(out, niveau="epci", workers=2, progress=False)
    return out, summary


def _outputs(path: Path) -> list:
    """Every output of every cell, with the kernel's temporary file names blanked and
    consecutive stream outputs merged (a busy kernel may send one print in two messages)."""
    nb = nbformat.read(path, as_version=4)
    found = []
    for i, cell in enumerate(nb.cells):
        merged: list[dict] = []
        for out in cell.get("outputs", []):
            item = {k: v for k, v in out.items() if k != "metadata"}
            last = merged[-1] if merged else {}
            if item["output_type"] == "stream" and last.get("name") == item["name"]:
                last["text"] += item["text"]
            else:
                merged.append(item)
        for item in merged:
            text = json.dumps(item, sort_keys=True, ensure_ascii=False)
            found.append((i, re.sub(r"ipykernel_\d+/\d+\.py", "ipykernel.py", text)))
    return found


def _xlsx_values(path: Path) -> dict:
    wb = openpyxl.load_workbook(path)
    return {ws.title: list(ws.iter_rows(values_only=True)) for ws in wb.worksheets}


def _coverage_by_hand(demo, code: str) -> float:
    # taux de couverture global of an EPCI, recomputed: the sum of its communes' places (CAF
    # year 2023, the latest) over the sum of their children under 3 on 1 January 2024 (Onape
    # method), times 100 — a ratio of sums, never an average of commune rates.
    obs = demo.observations
    members = obs["commune"].isin(demo.geography.members(code))
    places = obs.loc[members & (obs["variable"] == "places_total") & (obs["annee"] == 2023)]
    kids = obs.loc[members & (obs["variable"] == "enfants_0_2_estimes") & (obs["annee"] == 2024)]
    return 100 * places["valeur"].sum() / kids["valeur"].sum()


def _published_rate(code: str) -> float:
    # the rate the Cnaf publishes for the EPCI in 2023, read from txcouv_pe_epci.csv: the
    # headline figure, the recomputed one beside it
    import csv

    from territoire_lib.dataset import DEMO_DIR

    with open(DEMO_DIR / "txcouv_pe_epci.csv", encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f, delimiter=";"))
    return next(
        float(r["txcouv_epci"]) for r in rows if r["numepci"] == code and r["annee"] == "2023"
    )


def test_every_file_with_the_right_figures(first_run, demo, epcis):
    out, summary = first_run
    assert summary.ok and sorted(summary.faits) == sorted(epcis) and not summary.a_jour
    manifest = json.loads((out / "manifeste.json").read_text(encoding="utf-8"))
    index = (out / "index.html").read_text(encoding="utf-8")
    assert manifest["donnees"]["somme_controle"] == demo.checksum
    assert manifest["donnees"]["millesimes"]["places_total"][-1] == 2023
    assert manifest["execution"]["travailleurs"] == 2
    for code in epcis:
        folder = out / code
        paths = {ext: folder / f"{code}_{STEM}.{ext}" for ext in ("ipynb", "html", "xlsx")}
        assert all(p.is_file() for p in paths.values()), code
        entry = manifest["territoires"][code]
        assert entry["statut"] == "ok" and entry["parametres"] == {
            "territoire": code,
            "source": "demo",
        }
        recomputed = _coverage_by_hand(demo, code)
        expected = _published_rate(code)
        rate = entry["chiffres_cles"]["taux_couverture_global"]
        assert rate["annee"] == 2023 and rate["valeur"] == expected
        assert rate["source"] == "publiée"
        assert rate["valeur_calculee"] == pytest.approx(recomputed, rel=1e-9)
        # the same figure, in French, in the notebook, the report and the index
        shown = f"{expected:.1f}".replace(".", ",")
        beside = f"{recomputed:.1f}".replace(".", ",")
        assert f"recalculé : {beside}" in index
        nb = nbformat.read(paths["ipynb"], as_version=4)
        assert nb.metadata.papermill.parameters["territoire"] == code
        assert any("injected-parameters" in c.metadata.get("tags", []) for c in nb.cells)
        text = "".join(o.get("text", "") for c in nb.cells for o in c.get("outputs", []))
        assert f"Taux de couverture global en 2023 : {shown} places" in text
        report = paths["html"].read_text(encoding="utf-8")
        assert f"{shown} places" in report and demo.geography.name_of(code) in report
        assert f"{shown} (2023)" in index
        # and in the tables of the XLSX workbook
        sheet = _xlsx_values(paths["xlsx"])["Petite enfance"]
        header = sheet[0]
        row = next(r for r in sheet if r[0] == "Taux de couverture global")
        assert row[header.index("Valeur")] == pytest.approx(expected, rel=1e-9)
        assert row[header.index("Valeur recalculée")] == pytest.approx(recomputed, rel=1e-9)


def test_report_is_offline_without_code(first_run, epcis):
    out, _ = first_run
    report = (out / epcis[0] / f"{epcis[0]}_{STEM}.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in report
    assert "<script src" not in report
    for host in ("cdn.jsdelivr", "unpkg.com", "cdnjs.cloudflare"):
        assert host not in report
    assert report.count("data:image/svg+xml;base64") >= 3  # the charts, as SVG images
    assert "hl-ipython3" not in report and "diagnose(" not in report  # no code


def test_index_lists_every_territory(first_run, demo, epcis):
    out, _ = first_run
    index = (out / "index.html").read_text(encoding="utf-8")
    assert '<html lang="fr">' in index and "<caption>" in index and 'scope="col"' in index
    assert "http" not in index.replace("http-equiv", "")
    for code in epcis:
        assert f'href="{code}/{code}_{STEM}.html"' in index
        assert demo.geography.name_of(code).replace("'", "&#x27;") in index
    assert index.count(">produit<") == len(epcis)


def test_same_content_as_papermill(first_run, epcis, tmp_path):
    out, _ = first_run
    code = epcis[1]
    plain = tmp_path / "papermill.ipynb"
    pm.execute_notebook(
        str(DEFAULT_NOTEBOOK), str(plain), parameters={"territoire": code, "source": "demo"},
        kernel_name="python3", progress_bar=False, start_timeout=60, execution_timeout=300,
        cwd=str(REPO),
    )  # fmt: skip
    assert _outputs(out / code / f"{code}_{STEM}.ipynb") == _outputs(plain)


def test_second_run_skips(first_run, epcis):
    out, _ = first_run
    files = sorted(p for p in out.rglob("*") if p.is_file() and p.parent != out)
    before = {p: p.stat().st_mtime_ns for p in files}
    summary = run_batch(out, niveau="epci", workers=2, progress=False)
    assert summary.ok and not summary.faits and sorted(summary.a_jour) == sorted(epcis)
    assert summary.duree < 20
    assert {p: p.stat().st_mtime_ns for p in files} == before
    manifest = json.loads((out / "manifeste.json").read_text(encoding="utf-8"))
    assert {e["statut"] for e in manifest["territoires"].values()} == {"a_jour"}
    assert "à jour (non recalculé)" in (out / "index.html").read_text(encoding="utf-8")


FAILING_CELL = """\
if territoire == "296000029":
    from territoire_lib.errors import TerritoireError
    raise TerritoireError("Panne simulée pour ce territoire.")
if territoire == "296000037":
    1 / 0
"""


def test_failures_are_isolated_and_reported(tmp_path, capsys):
    nb = nbformat.read(REPO / "notebooks" / "00_donnees.ipynb", as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(FAILING_CELL))
    notebook = tmp_path / "carnet.ipynb"
    nbformat.write(nb, notebook)
    out = tmp_path / "sortie"
    args = [
        "batch", "--territoires", "296000011,296000029,296000037,296999999",
        "--notebook", str(notebook), "--sortie", str(out), "--processus", "2",
    ]  # fmt: skip
    assert main(args) == 1
    captured = capsys.readouterr()
    assert "Classeurs" in captured.err  # the progress bar
    assert "4 territoires — 1 produit, 0 déjà à jour, 3 en échec" in captured.out
    assert (
        "Échec — CC Loue et Coteaux (296000029) : Erreur dans le carnet (cellule [6]) : "
        "Panne simulée pour ce territoire." in captured.out
    )
    assert (
        "Erreur inattendue dans le carnet (cellule [6]) : ZeroDivisionError : division by zero"
        in captured.out
    )
    assert "Échec — 296999999 (296999999) : Territoire inconnu : « 296999999 »" in captured.out

    manifest = json.loads((out / "manifeste.json").read_text(encoding="utf-8"))
    entries = manifest["territoires"]
    assert entries["296000011"]["statut"] == "ok"
    assert sorted((out / "296000011").iterdir()) == [
        out / "296000011" / f"296000011_carnet.{ext}" for ext in ("html", "ipynb", "xlsx")
    ]
    assert entries["296000029"]["statut"] == "echec"
    assert "TerritoireError" in entries["296000029"]["detail"]
    # the failed notebook is kept with its error, without a report nor tables
    assert sorted((out / "296000029").iterdir()) == [out / "296000029" / "296000029_carnet.ipynb"]
    failed = nbformat.read(out / "296000029" / "296000029_carnet.ipynb", as_version=4)
    assert failed.cells[-1].outputs[0]["output_type"] == "error"
    assert "296999999" in manifest["execution"]["refus"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "Panne simulée pour ce territoire." in index
    assert "Territoire inconnu : « 296999999 »" in index
    assert "4 territoires, 3 en échec" in index

    # a second run redoes the failures only
    assert main([*args, "--sans-barre"]) == 1
    captured = capsys.readouterr()
    assert "4 territoires — 0 produit, 1 déjà à jour, 3 en échec" in captured.out


def test_dask_local_cluster_gives_the_same_outputs(first_run, epcis, tmp_path):
    distributed = pytest.importorskip("distributed")
    out, _ = first_run
    dask_out = tmp_path / "dask"
    with distributed.LocalCluster(
        n_workers=2, processes=True, threads_per_worker=1, dashboard_address=None
    ) as cluster:
        summary = run_batch(dask_out, niveau="epci", dask=cluster.scheduler_address, progress=False)
    assert summary.ok and sorted(summary.faits) == sorted(epcis)
    assert summary.executeur.startswith("cluster Dask tcp://")
    a = json.loads((out / "manifeste.json").read_text(encoding="utf-8"))["territoires"]
    b = json.loads((dask_out / "manifeste.json").read_text(encoding="utf-8"))["territoires"]
    for code in epcis:
        name = f"{code}/{code}_{STEM}"
        assert _outputs(dask_out / f"{name}.ipynb") == _outputs(out / f"{name}.ipynb")
        assert (dask_out / f"{name}.html").read_bytes() == (out / f"{name}.html").read_bytes()
        assert _xlsx_values(dask_out / f"{name}.xlsx") == _xlsx_values(out / f"{name}.xlsx")
        assert b[code]["chiffres_cles"] == a[code]["chiffres_cles"]
        assert b[code]["cle"] == a[code]["cle"]


CRASHING_CELL = """\
if territoire == "296000029":
    import os
    os._exit(1)
if territoire == "296000037":
    import time
    time.sleep(120)
"""


def test_dead_kernel_and_timeout_are_reported_and_the_worker_recovers(tmp_path):
    nb = nbformat.read(REPO / "notebooks" / "00_donnees.ipynb", as_version=4)
    nb.cells.insert(2, nbformat.v4.new_code_cell(CRASHING_CELL))  # right after the parameters
    notebook = tmp_path / "carnet.ipynb"
    nbformat.write(nb, notebook)
    summary = run_batch(
        tmp_path / "sortie", territoires=["296000029", "296000037", "296000011"],
        notebook=notebook, workers=1, execution_timeout=8, progress=False,
    )  # fmt: skip
    # one worker: the same process restarted its kernel twice, then produced the third one
    assert summary.faits == ["296000011"]
    assert summary.echecs["296000029"].startswith("Le noyau Python s'est arrêté")
    assert summary.echecs["296000037"].startswith(
        "Délai dépassé : une cellule du carnet a duré plus de 8 s"
    )
    assert (tmp_path / "sortie" / "296000011" / "296000011_carnet.html").is_file()


def test_scenario_batch_writes_the_scenario_tables_and_redoes_on_a_new_file(tmp_path):
    scenario = tmp_path / "scenario_a.yaml"
    scenario.write_text(
        (REPO / "data" / "scenarios" / "scenario_a.yaml").read_text(encoding="utf-8"),
        encoding="utf-8",
    )
    notebook = REPO / "notebooks" / "02_scenarios.ipynb"
    out = tmp_path / "scenarios"
    args = ["batch", "--territoires", "296000011", "--notebook", str(notebook)]
    args += ["--scenario", str(scenario), "--sortie", str(out), "--sans-barre"]
    assert main(args) == 0
    folder = out / "296000011"
    stem = "296000011_02_scenarios"
    sheets = _xlsx_values(folder / f"{stem}.xlsx")
    head, *rows = sheets["Synthèse"]
    by_year = {r[head.index("annee")]: r for r in rows}
    places = {y: r[head.index("places_total")] for y, r in by_year.items()}
    # scenario_a.yaml by hand: 2 102 places in the base year; a 24-place PSU crèche in 2026;
    # in 2027 a 12-place MAM opens and six childminders leave (6 × 3,5 places each)
    assert places[2025] == 2102
    assert places[2026] == 2102 + 24
    assert places[2027] == pytest.approx(2102 + 24 + 12 - 6 * 3.5)
    # running costs in 2026: 24 crèche places × 16 000 € + 40 ALSH places × 800 h × 4,50 €
    cost = by_year[2026][head.index("cout_fonctionnement")]
    assert cost == pytest.approx(24 * 16_000 + 40 * 800 * 4.5)
    report = (folder / f"{stem}.html").read_text(encoding="utf-8")
    assert "Scénario A — crèche PSU à Valmont" in report and "528\u202f000" in report
    manifest = json.loads((out / "manifeste.json").read_text(encoding="utf-8"))
    entry = manifest["territoires"]["296000011"]
    assert entry["parametres"]["scenario"] == str(scenario)
    assert manifest["scenario"]["chemin"] == str(scenario)

    # the same file again: up to date; an edited scenario: redone
    assert main(args) == 0
    assert json.loads((out / "manifeste.json").read_text(encoding="utf-8"))["execution"][
        "a_jour"
    ] == ["296000011"]
    scenario.write_text(
        scenario.read_text(encoding="utf-8").replace("places: 24", "places: 30"), encoding="utf-8"
    )
    assert main(args) == 0
    sheets = _xlsx_values(folder / f"{stem}.xlsx")
    head, *rows = sheets["Synthèse"]
    places_2026 = next(r for r in rows if r[0] == 2026)[head.index("places_total")]
    assert places_2026 == 2102 + 30


def test_sigterm_stops_the_batch_at_once_and_keeps_what_is_done(tmp_path):
    """A scheduler stopping the batch (SIGTERM) must not leave it waiting for the territories
    in progress: the workers and their kernels stop at once, and the manifest keeps the
    territories already written. Here every territory but the first takes a minute."""
    import signal
    import subprocess
    import sys
    import time

    import psutil

    nb = nbformat.read(REPO / "notebooks" / "00_donnees.ipynb", as_version=4)
    nb.cells.append(
        nbformat.v4.new_code_cell("import time\ntime.sleep(0 if territoire == '296000011' else 60)")
    )
    notebook = tmp_path / "lent.ipynb"
    nbformat.write(nb, notebook)
    out = tmp_path / "lot"
    cmd = [sys.executable, "-m", "territoire_lib", "batch", "--notebook", str(notebook)]
    cmd += ["--territoires", "296000011,296000029,296000037,296000045,296000052"]
    cmd += ["--sortie", str(out), "--sans-barre", "--processus", "2"]
    proc = subprocess.Popen(
        cmd, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    first = out / "296000011" / "296000011_lent.html"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and proc.poll() is None and not first.is_file():
        time.sleep(0.2)
    time.sleep(1.0)  # both workers busy with a slow territory
    family = psutil.Process(proc.pid).children(recursive=True)
    assert sum("ipykernel" in " ".join(p.cmdline()) for p in family) == 2  # two warm kernels
    sent = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=120)
    stopped_after = time.monotonic() - sent
    assert proc.returncode == 130 and "Interrompu" in stderr
    # not the minute of the territories in progress
    assert stopped_after < 20, f"arrêt en {stopped_after:.1f} s"
    _, alive = psutil.wait_procs(family, timeout=10)
    assert not alive, [" ".join(p.cmdline()) for p in alive]
    manifest = json.loads((out / "manifeste.json").read_text(encoding="utf-8"))
    assert {c: e["statut"] for c, e in manifest["territoires"].items()} == {"296000011": "ok"}
    entry = manifest["territoires"]["296000011"]
    assert all((out / rel).is_file() for rel in entry["fichiers"].values())
    # the index says the run was interrupted, and what is left: 5 asked, 1 done, 4 left
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Exécution interrompue avant la fin : 1 territoire traité sur 5, 4 restants" in page
    assert list(manifest["execution"]["restants"]) == [
        "296000029", "296000037", "296000045", "296000052"
    ]  # fmt: skip
