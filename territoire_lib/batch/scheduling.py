"""Running the jobs in parallel: the process pool or a Dask cluster, and stopping cleanly.

Owns the worker side (one :class:`~.executor.WarmExecutor` per worker process and thread,
:func:`run_job`, the pool initializer: Ctrl-C ignored in workers, SIGTERM and a dead parent stop
the kernel) and the batch side (:func:`_run_processes`, :func:`_run_dask`: submit, collect,
progress bar; on Ctrl-C or SIGTERM the workers are terminated, nothing more is drained).
Spawned workers and Dask pickle :func:`run_job` and :func:`_init_worker` by reference: they
live here, importable as ``territoire_lib.batch.scheduling``.

Layer « lot » (11): may import every lower layer (here errors only). Inside the package it
imports :mod:`.jobs` and :mod:`.executor`.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import sys
import threading
import time
from collections.abc import Callable

from ..errors import TerritoireError
from .executor import WarmExecutor
from .jobs import BatchConfig, Job, JobResult, _clean

# -- worker entry points (process pool and Dask) -------------------------------------------------
_EXECUTORS: dict[tuple, WarmExecutor] = {}
_EXECUTORS_LOCK = threading.Lock()


def _close_executors() -> None:
    with _EXECUTORS_LOCK:
        executors = list(_EXECUTORS.values())
        _EXECUTORS.clear()
    for ex in executors:
        ex.close()


atexit.register(_close_executors)


def _executor_for(config: BatchConfig) -> WarmExecutor:
    """The warm executor of this process and thread for this configuration (kept warm)."""
    key = (config, os.getpid(), threading.get_ident())
    with _EXECUTORS_LOCK:
        ex = _EXECUTORS.get(key)
    if ex is None:
        ex = WarmExecutor(config)
        with _EXECUTORS_LOCK:
            _EXECUTORS[key] = ex
    return ex


def _on_terminate(signum, frame) -> None:  # pragma: no cover - runs in worker processes
    _close_executors()
    os._exit(128 + signum)


def _watch_parent(parent: int) -> None:  # pragma: no cover - runs in worker processes
    """A worker whose batch process died (killed, crashed) stops its kernel and exits: nobody
    would read its results, and a kernel must not be left behind."""
    while True:
        time.sleep(1.0)
        if os.getppid() != parent:
            _close_executors()
            os._exit(1)


def _init_worker(parent: int) -> None:
    """Initializer of the process pool's workers."""
    import signal

    # Ctrl-C reaches the whole process group: the batch process decides, the workers follow
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _on_terminate)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def run_job(config: BatchConfig, job: Job) -> JobResult:
    """Worker task: run one territory in this worker's warm kernel (never raises)."""
    try:
        ex = _executor_for(config)
    except Exception as exc:
        return JobResult(
            code=job.code,
            ok=False,
            erreur=f"Le carnet n'a pas pu être lu ({type(exc).__name__} : {_clean(str(exc))}).",
        )
    return ex.run(job)


# -- the batch side: process pool and Dask --------------------------------------------------------
def _progress_bar(total: int, initial: int, enabled: bool):
    from tqdm.auto import tqdm

    return tqdm(
        total=total,
        initial=initial,
        desc="Classeurs",
        unit="territoire",
        file=sys.stderr,
        disable=not enabled,
        dynamic_ncols=True,
    )


def _run_processes(
    config: BatchConfig,
    jobs: list[Job],
    n_workers: int,
    finish_one: Callable[[Job, JobResult], None],
    progress: bool,
    _address: str | None,
    total: int,
) -> None:
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor, as_completed
    from concurrent.futures.process import BrokenProcessPool

    bar = _progress_bar(total, total - len(jobs), progress)
    failures = 0
    # spawn, not fork: a forked copy of a process holding zmq sockets and threads can hang
    # (tech-notes, pitfall 3); every kernel has its start and execution timeouts
    pool = ProcessPoolExecutor(
        max_workers=n_workers,
        mp_context=mp.get_context("spawn"),
        initializer=_init_worker,
        initargs=(os.getpid(),),
    )
    try:
        futures = {pool.submit(run_job, config, job): job for job in jobs}
        for fut in as_completed(futures):
            job = futures[fut]
            try:
                res = fut.result()
            except BrokenProcessPool:
                res = JobResult(
                    code=job.code,
                    ok=False,
                    erreur="Le processus de calcul s'est arrêté brutalement "
                    "(mémoire insuffisante ?).",
                )
            except Exception as exc:
                res = JobResult(
                    code=job.code,
                    ok=False,
                    erreur=f"Erreur du processus de calcul ({type(exc).__name__} : {exc}).",
                )
            finish_one(job, res)
            bar.update(1)
            if not res.ok:
                failures += 1
                bar.set_postfix_str(f"{failures} en échec", refresh=False)
    except BaseException:
        # Ctrl-C or SIGTERM: do not drain the queue; the workers stop their kernels and exit.
        # The processes are listed before shutdown(), which forgets them.
        workers = list((getattr(pool, "_processes", None) or {}).values())
        pool.shutdown(wait=False, cancel_futures=True)
        for proc in workers:
            with contextlib.suppress(Exception):
                proc.terminate()
        for proc in workers:
            with contextlib.suppress(Exception):
                proc.join(timeout=15)
        raise
    finally:
        pool.shutdown(wait=True)
        bar.close()


def _run_dask(
    config: BatchConfig,
    jobs: list[Job],
    _n_workers: int,
    finish_one: Callable[[Job, JobResult], None],
    progress: bool,
    address: str | None,
    total: int,
) -> None:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise TerritoireError(
            "Dask n'est pas installé : « pip install 'dask[distributed]' » puis relancez."
        ) from None
    try:
        client = Client(address, timeout=30, set_as_default=False)
    except Exception as exc:
        raise TerritoireError(
            f"Impossible de joindre le cluster Dask « {address} » "
            f"({type(exc).__name__} : {_clean(str(exc))})."
        ) from None
    bar = _progress_bar(total, total - len(jobs), progress)
    failures = 0
    try:
        token = hashlib.sha256(repr(config).encode()).hexdigest()[:8]
        futures = {}
        for job in jobs:
            fut = client.submit(
                run_job, config, job, key=f"territoire-{token}-{job.code}-{time.time_ns()}",
                pure=False,
            )  # fmt: skip
            futures[fut] = job
        for fut in as_completed(list(futures), loop=client.loop):
            job = futures[fut]
            try:
                res = fut.result()
            except Exception as exc:
                res = JobResult(
                    code=job.code,
                    ok=False,
                    erreur=f"Erreur du travailleur Dask ({type(exc).__name__} : {exc}).",
                )
            finish_one(job, res)
            bar.update(1)
            if not res.ok:
                failures += 1
                bar.set_postfix_str(f"{failures} en échec", refresh=False)
            fut.release()
    finally:
        bar.close()
        client.close()
