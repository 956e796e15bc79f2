"""Benchmark of the committee dashboard as ``make run`` serves it, three people at once.

For each server mode (cold: a kernel started per page; preheated: the ``make run`` pool),
three Chromium contexts open the dashboard at the same moment with a meeting link
(``?territoire=<EPCI>&onglet=scenarios``) and measure:

* request → interactive page: from ``goto`` to the territory shown and its scenario figure
  drawn (the widgets answer);
* slider → updated figure: from a key on the crèche slider (End: 120 places, Home: 0) to the
  coverage figure changed, and to the trajectory chart redrawn with its sentence showing the new
  number of places; five moves per person, all three people moving at the same time.

The Voilà command is the one of ``make run`` (read with ``make -n run``), on a free port;
the cold mode only turns preheating off. Figures are printed in French.

    .venv/bin/python benchmarks/bench_dashboard.py [--moves 5] [--people 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.browser.conftest import (  # noqa: E402
    CHROMIUM_ARGS,
    chromium_path,
    descendants,
    free_port,
    make_run_command,
    wait_kernels_idle,
    wait_listening,
)

EPCI = "296000011"


def start(command: list[str], port: int, log: Path) -> subprocess.Popen:
    fh = open(log, "w")  # noqa: SIM115 (closed with the process)
    proc = subprocess.Popen(
        command, cwd=REPO, stdout=fh, stderr=subprocess.STDOUT, start_new_session=True
    )
    wait_listening(port, proc)
    return proc


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def kernels_memory(proc: subprocess.Popen) -> tuple[int, float]:
    """Number of processes under Voilà and their resident memory (Mo)."""
    total = 0
    pids = descendants(proc.pid)
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return len(pids), total / 1024


async def person(browser, url: str, moves: int, go: asyncio.Event) -> dict:
    context = await browser.new_context(viewport={"width": 1366, "height": 900}, locale="fr-FR")
    page = await context.new_page()
    await go.wait()
    t0 = time.perf_counter()
    await page.goto(f"{url}?territoire={EPCI}&onglet=scenarios", timeout=300_000)
    await page.locator(".tdb-etat", has_text="Territoire affiché").first.wait_for(timeout=300_000)
    await page.locator("#trajectoire-a figcaption").wait_for(timeout=300_000)
    ready = time.perf_counter() - t0
    handle = page.locator(".tdb-scenario-a .tdb-levier-creche_psu .noUi-handle")
    await handle.focus()
    caption = page.locator("#trajectoire-a figcaption")
    figure_moves, chart_moves = [], []
    for i in range(moves):
        # End: the slider's maximum (120 places), Home: back to 0 — every move changes both
        # the coverage figure and the chart
        key, places = ("End", 120) if i % 2 == 0 else ("Home", 0)
        before = await page.locator("#couverture-a").inner_text()
        t1 = time.perf_counter()
        await handle.press(key)
        await page.wait_for_function(
            "b => document.querySelector('#couverture-a').textContent !== b",
            arg=before,
            timeout=120_000,
        )
        figure_moves.append(time.perf_counter() - t1)
        text = f"+{places} places nettes" if places else ") ; 0 places nettes"
        await caption.filter(has_text=text).wait_for(timeout=120_000)
        chart_moves.append(time.perf_counter() - t1)
    await context.close()
    return {"pret": ready, "chiffre": figure_moves, "curseur": chart_moves}


async def session(url: str, people: int, moves: int) -> list[dict]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=chromium_path(), headless=True, args=CHROMIUM_ARGS
        )
        go = asyncio.Event()
        tasks = [asyncio.create_task(person(browser, url, moves, go)) for _ in range(people)]
        await asyncio.sleep(0.5)
        go.set()
        results = await asyncio.gather(*tasks)
        await browser.close()
    return results


def fr(x: float, d: int = 2) -> str:
    return f"{x:.{d}f}".replace(".", ",")


def measure(mode: str, people: int, moves: int, extra: list[str] | None = None) -> dict:
    port = free_port()
    command = make_run_command(port) + list(extra or [])
    if mode == "à froid":
        command = [w for w in command if not w.startswith("--preheat_kernel")]
        command += ["--preheat_kernel=False"]
    log = REPO / "test-artifacts" / f"bench-voila-{port}.log"
    log.parent.mkdir(exist_ok=True)
    t = time.perf_counter()
    proc = start(command, port, log)
    listening = time.perf_counter() - t
    pool = None
    try:
        if mode != "à froid":
            pool_size = next(
                (int(w.split("=")[1]) for w in command if w.startswith("--pool_size=")), 1
            )
            wait_kernels_idle(proc, kernels=pool_size, timeout=300)
            pool = time.perf_counter() - t
        results = asyncio.run(session(f"http://127.0.0.1:{port}/", people, moves))
        n, memory = kernels_memory(proc)
    finally:
        stop(proc)
    ready = [r["pret"] for r in results]
    sliders = [x for r in results for x in r["curseur"]]
    figures = [x for r in results for x in r["chiffre"]]
    return {
        "mode": mode,
        "ecoute": listening,
        "pool": pool,
        "pret": ready,
        "curseur": sliders,
        "chiffre": figures,
        "processus": n,
        "memoire": memory,
    }


def report(m: dict, people: int) -> str:
    who = "1 personne connectée" if people == 1 else f"{people} personnes connectées en même temps"
    lines = [f"Serveur {m['mode']} — {who} :"]
    lines.append(f"  serveur à l'écoute en {fr(m['ecoute'], 1)} s")
    if m["pool"] is not None:
        lines.append(f"  noyaux préchauffés prêts {fr(m['pool'], 1)} s après le lancement")
    ready = sorted(m["pret"])
    lines.append(
        "  requête → page interactive : "
        + " ; ".join(f"{fr(x, 1)} s" for x in ready)
        + f" (médiane {fr(statistics.median(ready), 1)} s)"
    )
    for key, what in (("chiffre", "chiffre de couverture"), ("curseur", "chiffre et graphique")):
        s = sorted(m[key])
        p90 = s[min(len(s) - 1, int(round(0.9 * (len(s) - 1))))]
        lines.append(
            f"  curseur → {what} mis à jour ({len(s)} mouvements) : médiane "
            f"{fr(statistics.median(s))} s, 90 % sous {fr(p90)} s, maximum {fr(s[-1])} s"
        )
    lines.append(
        f"  mémoire des noyaux à la fin : {m['processus']} processus, {fr(m['memoire'], 0)} Mo"
    )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--people", type=int, default=3)
    parser.add_argument("--moves", type=int, default=5)
    parser.add_argument(
        "--modes", default="froid,prechauffe", help="froid, prechauffe ou les deux (virgule)"
    )
    parser.add_argument(
        "--voila",
        action="append",
        default=[],
        metavar="OPTION",
        help="option Voilà ajoutée (essais de réglage), par exemple --voila=--pool_size=2",
    )
    args = parser.parse_args()
    if chromium_path() is None:
        sys.exit("Chromium est introuvable : installer le paquet chromium.")
    print(f"Voilà lancé comme « make run » : {' '.join(make_run_command(8866)[3:])}")
    load = ", ".join(fr(x, 1) for x in os.getloadavg())
    print(f"Machine : {os.cpu_count()} cœurs, charge moyenne avant la mesure {load}\n")
    names = {"froid": "à froid", "prechauffe": "préchauffé"}
    for key in args.modes.split(","):
        m = measure(names[key.strip()], args.people, args.moves, args.voila)
        print(report(m, args.people), flush=True)
        print()


if __name__ == "__main__":
    main()
