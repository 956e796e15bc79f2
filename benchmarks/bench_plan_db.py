"""Opening the plan database: the schema check of every process, before and after.

    python benchmarks/bench_plan_db.py [--repetitions 7] [--pg URL | --pg auto]

« Avant » is what ``open_database`` did at every opening: ask Alembic for the database's
revision (``MigrationContext``) and for the newest script (``ScriptDirectory``), which imports
Alembic and parses every migration. « Après » is ``open_database`` now: the revision read by
plain SQL, the newest script read from the files, Alembic imported only when they differ, and
the check done once per process.

Each opening runs in a fresh Python process (what a command or a dashboard pays), both ways
alternated, on the same up-to-date database; the figure is the time from the engine's creation
to the schema known to be up to date (the library already imported), and the whole process
too. A second opening in the same process is timed as well. ``--pg auto`` starts a throwaway
PostgreSQL server with Debian's binaries (as the tests do); without ``--pg`` only SQLite is
measured. The ratio is what to quote (machines are noisy).
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, sys, time
from territoire_lib.plan import db
url, way = sys.argv[1], sys.argv[2]

def before(url):
    engine = db.get_engine(url)
    if db.current_revision(engine) != db.head_revision():
        db.upgrade(engine=engine)
    return engine

def after(url):
    return db.open_database(url)

opening = before if way == "avant" else after
t0 = time.perf_counter()
opening(url)
t1 = time.perf_counter()
opening(url)
t2 = time.perf_counter()
print(json.dumps({"premiere": t1 - t0, "seconde": t2 - t1, "alembic": "alembic" in sys.modules}))
"""


def one(url: str, way: str) -> dict:
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", CHILD, url, way], cwd=REPO, capture_output=True, text=True
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"Échec de la mesure ({way}) :\n{done.stderr}")
    return {**json.loads(done.stdout), "processus": wall}


def measure(url: str, repetitions: int) -> dict[str, list[dict]]:
    runs: dict[str, list[dict]] = {"avant": [], "après": []}
    one(url, "après")  # warm the file cache of both ways once
    one(url, "avant")
    for _ in range(repetitions):
        for way in ("avant", "après"):
            runs[way].append(one(url, way))
    return runs


def report(name: str, runs: dict[str, list[dict]], repetitions: int) -> None:
    def med(way: str, key: str) -> float:
        return statistics.median(r[key] for r in runs[way])

    print(f"\n{name} (médianes de {repetitions} processus)")
    print(f"{'':34}{'avant':>10}{'après':>10}{'rapport':>10}")
    for key, label in (
        ("premiere", "vérification du schéma"),
        ("seconde", "seconde ouverture, même processus"),
        ("processus", "processus entier (python -c …)"),
    ):
        a, b = med("avant", key), med("après", key)
        ratio = f"{a / b:.0f}×" if b > 0 and a / b >= 10 else f"{a / b:.1f}×" if b > 0 else "—"
        print(f"{label:34}{a * 1000:>8.1f} ms{b * 1000:>7.1f} ms{ratio:>10}")
    imported = {w: any(r["alembic"] for r in runs[w]) for w in runs}
    print(
        f"Alembic importé : avant {'oui' if imported['avant'] else 'non'}, "
        f"après {'oui' if imported['après'] else 'non'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repetitions", type=int, default=7)
    parser.add_argument("--pg", default=None, help="URL PostgreSQL, ou « auto »")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from territoire_lib.plan import db

    with tempfile.TemporaryDirectory() as tmp:
        url = str(Path(tmp) / "plan.sqlite")
        db.open_database(url)
        db.dispose_engines()
        report("SQLite", measure(url, args.repetitions), args.repetitions)
    if not args.pg:
        return
    stop = None
    pg = args.pg
    if pg == "auto":
        from tests.unit.conftest import _start_server

        started, reason = _start_server()
        if started is None:
            print(f"\nPostgreSQL non mesuré : {reason}")
            return
        pg, stop = started
    try:
        db.open_database(pg)
        db.dispose_engines()
        report("PostgreSQL", measure(pg, args.repetitions), args.repetitions)
    finally:
        if stop is not None:
            stop()


if __name__ == "__main__":
    main()
