"""Benchmark of `territoire batch` against the plain Papermill loop, side by side in one run.

    .venv/bin/python benchmarks/bench_batch.py [--communes 120] [--notebook notebooks/01_diagnostic.ipynb]

On the demo's communes (all 120 by default, or the first N by code, the same for both):

* **the plain loop** a user would write: for each commune, one after the other,
  ``papermill.execute_notebook`` (a fresh kernel that imports pandas, Altair and the library
  and loads the data) then nbconvert's ``HTMLExporter(exclude_input=True)`` (created once) to
  write the report without code;
* **`territoire batch`** with its default settings (one warm kernel per core), run as the
  command a user types, with ``--force`` so every commune is computed. It writes more than
  the loop: the XLSX tables, the index and the manifest as well.

Then the report content is compared commune by commune: every output of every cell of the two
executed notebooks (printed text, tables, SVG charts; consecutive stream outputs merged and the
kernel's temporary file names blanked, see ``tests/notebooks/test_batch.py``).

Prints both times, the time per commune, the ratio and the load average of the machine in
French. The machine is shared: the load average tells whether other work was running.

Measured on the project's 2-core machine (29 November 2026, 120 communes, final code of that
day): Papermill loop 465.5 s (3.88 s per commune), ``territoire batch`` 72.5 s (0.60 s per
commune): 6.4 times faster, report content identical for 120 communes out of 120 (earlier runs
that day: 468.8 s against 74.8 s, 6.3 times; 454.0 s against 78.4 s, 5.8 times, before the
chart layout and needs-index changes). The batch is CPU-bound: each territory costs about
1.2 CPU-seconds (the notebook's own work, mostly Vega rendering SVG through vl-convert, whose
text measurement costs about 0.09 ms per character of every label, plus 0.15 s of XLSX and
0.08 s of report and messages), so two cores give about 0.6 s per commune; what remains of the
loop's 3.9 s per commune is kernel start, imports, data loading and first renders, paid once
per worker by the batch. Three workers on two cores were not faster (72.9 s against 69.7 s).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))


def fr(x: float, decimals: int = 1) -> str:
    return f"{x:,.{decimals}f}".replace(",", "\u202f").replace(".", ",")


def outputs(path: Path) -> list:
    """Every output of every cell (streams merged, kernel file names blanked)."""
    import nbformat

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


def plain_loop(notebook: Path, codes: list[str], folder: Path) -> float:
    import papermill as pm
    from nbconvert import HTMLExporter

    folder.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    exporter = HTMLExporter(exclude_input=True)
    for code in codes:
        out = folder / f"{code}.ipynb"
        nb = pm.execute_notebook(
            str(notebook), str(out), parameters={"territoire": code, "source": "demo"},
            kernel_name="python3", progress_bar=False, start_timeout=60,
            execution_timeout=600, cwd=str(REPO),
        )  # fmt: skip
        body, _ = exporter.from_notebook_node(nb)
        (folder / f"{code}.html").write_text(body, encoding="utf-8")
    return time.perf_counter() - start


def batch_command(notebook: Path, codes: list[str], all_communes: bool, folder: Path) -> float:
    cmd = [sys.executable, "-m", "territoire_lib", "batch", "--notebook", str(notebook)]
    cmd += ["--niveau", "commune"]
    if not all_communes:
        cmd += ["--territoires", ",".join(codes)]
    cmd += ["--sortie", str(folder), "--force", "--sans-barre"]
    start = time.perf_counter()
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    print(done.stdout.strip().splitlines()[0] if done.stdout.strip() else done.stderr[-2000:])
    if done.returncode != 0:
        raise SystemExit(f"territoire batch a échoué (code {done.returncode}).")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--communes", type=int, default=None, help="les N premières communes")
    parser.add_argument("--notebook", default=str(REPO / "notebooks" / "01_diagnostic.ipynb"))
    parser.add_argument("--dossier", default=None, help="dossier de travail (temporaire sinon)")
    args = parser.parse_args()

    from territoire_lib.dataset import load_territory

    notebook = Path(args.notebook).resolve()
    territory = load_territory("demo")
    every = sorted(territory.geography.communes["code"].astype(str))
    codes = every[: args.communes] if args.communes else every
    all_communes = len(codes) == len(every)
    work = Path(args.dossier or tempfile.mkdtemp(prefix="bench-batch-"))
    print(
        f"Banc d'essai : {len(codes)} communes de la démonstration, carnet « {notebook.name} », "
        f"{os.cpu_count()} cœurs ; charge moyenne de la machine au départ : "
        f"{fr(os.getloadavg()[0], 2)}."
    )

    t_batch = batch_command(notebook, codes, all_communes, work / "batch")
    load_mid = os.getloadavg()[0]
    t_plain = plain_loop(notebook, codes, work / "papermill")
    load_end = os.getloadavg()[0]

    stem = notebook.stem
    same = sum(
        outputs(work / "batch" / c / f"{c}_{stem}.ipynb")
        == outputs(work / "papermill" / f"{c}.ipynb")
        for c in codes
    )
    n = len(codes)
    print(
        f"Boucle Papermill (execute_notebook + HTML, une commune après l'autre) : "
        f"{fr(t_plain)} s, soit {fr(t_plain / n, 2)} s par commune."
    )
    print(
        f"territoire batch (réglages par défaut, {os.cpu_count()} processus, noyaux gardés "
        f"chauds, HTML + XLSX + index + manifeste) : {fr(t_batch)} s, soit "
        f"{fr(t_batch / n, 2)} s par commune."
    )
    print(f"Rapport : territoire batch est {fr(t_plain / t_batch)} fois plus rapide.")
    print(f"Contenu des rapports identique pour {same} communes sur {n}.")
    print(
        f"Charge moyenne de la machine (1 min) : {fr(load_mid, 2)} après le lot, "
        f"{fr(load_end, 2)} après la boucle."
    )
    print(f"Fichiers : {work}")


if __name__ == "__main__":
    main()
