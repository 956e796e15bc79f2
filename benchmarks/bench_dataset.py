"""Loading the demo: every real-format file through its loader, against the parquet cache.

    python benchmarks/bench_dataset.py [--repetitions 5]

Both ways run side by side in one process; the ratio is what to quote (machines are noisy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time

import territoire_lib.dataset as ds


def timed(func, repetitions: int) -> list[float]:
    out = []
    for _ in range(repetitions):
        start = time.perf_counter()
        func()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repetitions", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TERRITOIRE_CACHE"] = tmp  # read at every load (active_source.cache_dir)
        ds.load_territory("demo")  # warm imports and write the cache once

        def from_files():
            ds.load_folder(ds.DEMO_DIR)

        def from_cache():
            ds._MEMORY.clear()
            ds.load_territory("demo")

        files = timed(from_files, args.repetitions)
        cache = timed(from_cache, args.repetitions)
    f, c = statistics.median(files), statistics.median(cache)
    print(f"Lecture des fichiers réels (médiane de {args.repetitions}) : {f:.3f} s")
    print(f"Relecture du cache parquet (médiane de {args.repetitions}) : {c:.3f} s")
    print(f"Rapport : le cache est {f / c:.1f} fois plus rapide")


if __name__ == "__main__":
    main()
