"""Running one territory's notebook in a warm Jupyter kernel, as Papermill would.

Owns :class:`WarmExecutor` (one kernel kept alive between territories: Papermill's parameter
injection, the namespace reset of :data:`RESET_SOURCE`, cell execution with French errors,
the HTML report without code), the renumbering of Vega's SVG ids (:func:`renumber_svg_ids`)
and :func:`kernel_tables`, which runs *inside* the kernel to write the XLSX tables.

Layer « lot » (11): may import every lower layer (here :mod:`territoire_lib.notebook_report`;
diagnostic, scenario, dataset and exports lazily, inside the kernel). Inside the package it
imports only :mod:`.jobs`.
"""

from __future__ import annotations

import contextlib
import copy
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path

from ..notebook_report import notebook_title, report_html
from .jobs import ONE_THREAD_VARIABLES, RECYCLE_EVERY, BatchConfig, Job, JobResult, _clean, _now

# Run before each territory in the warm kernel: a fresh user namespace (modules stay
# imported), warnings shown again as in a new kernel, execution count back to 1. Like
# ``%reset -f`` without its full garbage collection (0.15 s per territory with the libraries
# loaded; the collector still runs on its own).
RESET_SOURCE = """\
_tb_ip = get_ipython()
_tb_ns = _tb_ip.user_ns
_tb_hidden = _tb_ip.user_ns_hidden
for _tb_k in [k for k in _tb_ns if k not in _tb_hidden and not k.startswith("_tb_")]:
    del _tb_ns[_tb_k]
_tb_ns["_oh"].clear()
_tb_ns["_dh"][:] = _tb_ns["_dh"][:1]
for _tb_k in ("_", "__", "___"):
    _tb_ns[_tb_k] = ""
_tb_ip.displayhook._ = _tb_ip.displayhook.__ = _tb_ip.displayhook.___ = ""
import warnings as _tb_w
_tb_f = list(_tb_w.filters)
_tb_w.resetwarnings()
_tb_w.filters[:] = _tb_f
_tb_ip.execution_count = 1
del _tb_ip, _tb_ns, _tb_hidden, _tb_k, _tb_w, _tb_f
"""


# -- the warm-kernel executor -------------------------------------------------------------------
class WarmExecutor:
    """Runs territories one after the other in one kernel kept alive between them."""

    def __init__(self, config: BatchConfig):
        from papermill.iorw import load_notebook_node

        self.config = config
        self.template = load_notebook_node(config.notebook)
        self.tmpdir = Path(tempfile.mkdtemp(prefix="territoire-batch-"))
        self.client = None
        self.language_info: dict | None = None
        self.runs = 0

    # kernel lifecycle ---------------------------------------------------------------------
    def _start(self) -> None:
        import nbformat
        from jupyter_client.manager import AsyncKernelManager
        from nbclient import NotebookClient

        # IPC sockets with a connection file of our own: no TCP port race between workers
        # starting kernels at the same time (tech-notes §7.8).
        transport = "ipc" if os.name == "posix" else "tcp"
        # the asynchronous manager and client, as nbclient expects: with a blocking client a
        # kernel that dies mid-cell leaves the worker waiting for its output for ever
        km = AsyncKernelManager(
            kernel_name=self.config.kernel_name,
            transport=transport,
            connection_file=str(self.tmpdir / f"noyau-{os.getpid()}-{threading.get_ident()}.json"),
        )
        cwd = self.config.cwd if self.config.cwd and os.path.isdir(self.config.cwd) else None
        client = NotebookClient(
            nbformat.v4.new_notebook(),
            km=km,
            kernel_name=self.config.kernel_name,
            timeout=self.config.execution_timeout,
            startup_timeout=self.config.start_timeout,
            # one print can reach us as two stream messages when the machine is busy; merged,
            # the outputs (and the HTML) are the same bytes run after run
            coalesce_streams=True,
            resources={"metadata": {"path": cwd}} if cwd else {},
        )
        # one kernel per core: numerical libraries keep to one thread each instead of
        # competing for the cores of the other kernels (unless the user chose otherwise)
        env = dict(os.environ)
        for var in ONE_THREAD_VARIABLES:
            env.setdefault(var, "1")
        client.start_new_kernel(env=env, **({"cwd": cwd} if cwd else {}))
        client.start_new_kernel_client()
        msg_id = client.kc.kernel_info()
        reply = client.wait_for_reply(msg_id)
        self.language_info = (reply or {}).get("content", {}).get("language_info")
        self.client = client
        self.runs = 0

    def close(self) -> None:
        """Stop the kernel and remove the temporary folder."""
        self._stop_kernel()
        shutil.rmtree(self.tmpdir, ignore_errors=True)

    def _restart(self) -> None:
        self._stop_kernel()
        self._start()

    def _stop_kernel(self) -> None:
        """Stop the kernel without the asynchronous machinery of jupyter_client, which may
        already be torn down when this runs at interpreter exit (a graceful shutdown_kernel
        then hangs for ever). The kernel holds no state worth saving: it is killed."""
        client, self.client = self.client, None
        if client is None:
            return
        with contextlib.suppress(Exception):
            client.kc.stop_channels()
        km = client.km
        process = getattr(getattr(km, "provisioner", None), "process", None)
        if process is not None:
            with contextlib.suppress(Exception):
                process.kill()
                process.wait(timeout=10)
        for path in self.tmpdir.glob("noyau-*"):
            with contextlib.suppress(OSError):
                path.unlink()

    # helpers ------------------------------------------------------------------------------
    def _silent(self, source: str) -> dict:
        """Execute code outside the notebook; returns the (throw-away) cell."""
        import nbformat

        cell = nbformat.v4.new_code_cell(source)
        saved = self.client.nb
        self.client.nb = nbformat.v4.new_notebook(cells=[cell])
        try:
            self.client.execute_cell(cell, 0, store_history=False)
        finally:
            self.client.nb = saved
        return cell

    def _is_french_error(self) -> bool:
        """Whether the last exception in the kernel is one of the library's French errors."""
        with contextlib.suppress(Exception):
            cell = self._silent(
                "import sys as _tb_s\n"
                "from territoire_lib.errors import TerritoireError as _tb_e\n"
                "print(isinstance(getattr(_tb_s, 'last_value', None), _tb_e))\n"
                "del _tb_s, _tb_e"
            )
            return any("True" in o.get("text", "") for o in cell.outputs)
        return False

    # one territory ------------------------------------------------------------------------
    def run(self, job: Job) -> JobResult:
        """Execute the notebook for one territory; never raises."""
        start = time.perf_counter()
        result = JobResult(
            code=job.code, ok=False, travailleur=f"{socket.gethostname()}:{os.getpid()}"
        )
        try:
            self._run(job, result)
        except Exception as exc:  # anything else: reported in French, never raised
            result.ok = False
            result.erreur = result.erreur or (
                f"Erreur inattendue du traitement ({type(exc).__name__}) : {_clean(str(exc))}"
            )
            self._stop_kernel()
        result.duree = time.perf_counter() - start
        return result

    def _run(self, job: Job, result: JobResult) -> None:
        import nbformat
        import papermill
        from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
        from papermill.parameterize import parameterize_notebook

        if self.client is None or self.runs >= RECYCLE_EVERY:
            try:
                self._restart()
            except Exception as exc:
                result.erreur = (
                    f"Le noyau Python n'a pas démarré ({type(exc).__name__} : {_clean(str(exc))})."
                )
                self.client = None
                return
        self.runs += 1
        reset = self._silent(RESET_SOURCE)
        if any(o.get("output_type") == "error" for o in reset.outputs):
            raise RuntimeError("namespace reset failed")

        nb = parameterize_notebook(
            copy.deepcopy(self.template),
            job.parametres,
            kernel_name=self.config.kernel_name,
        )
        for cell in nb.cells:  # a fixed id (Papermill draws one): same bytes run after run
            if "injected-parameters" in cell.metadata.get("tags", []):
                cell["id"] = "injected-parameters"
        if self.language_info:
            nb.metadata["language_info"] = self.language_info
        nb.metadata["title"] = f"{notebook_title(nb)} — {job.nom}"
        meta = nb.metadata.papermill
        meta.update(
            {
                "input_path": self.config.notebook,
                "output_path": f"{job.stem}.ipynb",
                "environment_variables": {},
                "version": papermill.__version__,
                "start_time": _now(),
                "exception": None,
            }
        )
        t0 = time.perf_counter()
        client = self.client
        client.nb = nb
        client.reset_execution_trackers()
        failed_at: int | None = None
        for index, cell in enumerate(nb.cells):
            c0 = time.perf_counter()
            started = _now()
            pm_meta = {"exception": None, "start_time": started, "status": "pending"}
            cell.metadata["papermill"] = pm_meta
            if failed_at is not None:
                continue
            try:
                client.execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
            except CellExecutionError as exc:
                failed_at = index
                pm_meta["exception"] = True
                french = self._is_french_error()
                number = cell.get("execution_count") or client.code_cells_executed
                what = _clean(exc.evalue) if french else f"{exc.ename} : {_clean(exc.evalue)}"
                result.erreur = (
                    f"Erreur dans le carnet (cellule [{number}]) : {what}"
                    if french
                    else f"Erreur inattendue dans le carnet (cellule [{number}]) : {what}"
                )
                tb = exc.traceback or ""
                tb = tb if isinstance(tb, str) else "\n".join(tb)
                result.detail = _clean(tb)[-4000:]
            except CellTimeoutError:
                failed_at = index
                pm_meta["exception"] = True
                result.erreur = (
                    f"Délai dépassé : une cellule du carnet a duré plus de "
                    f"{self.config.execution_timeout} s (cellule n° {index + 1})."
                )
                self._stop_kernel()
            except DeadKernelError:
                failed_at = index
                pm_meta["exception"] = True
                result.erreur = (
                    "Le noyau Python s'est arrêté pendant l'exécution du carnet "
                    f"(cellule n° {index + 1}) ; mémoire insuffisante ?"
                )
                self._stop_kernel()
            pm_meta["end_time"] = _now()
            pm_meta["duration"] = round(time.perf_counter() - c0, 3)
            pm_meta["status"] = "failed" if failed_at == index else "completed"
        renumber_svg_ids(nb)
        meta["end_time"] = _now()
        meta["duration"] = round(time.perf_counter() - t0, 3)
        meta["exception"] = failed_at is not None
        result.notebook = nbformat.writes(nb).encode("utf-8")
        if failed_at is not None:
            return

        if self.config.xlsx:
            target = self.tmpdir / f"{job.stem}.xlsx"
            finish = self._silent(
                "__import__('territoire_lib.batch.executor', fromlist=['kernel_tables'])"
                f".kernel_tables(globals(), {str(target)!r}, {job.nom!r})"
            )
            errors = [o for o in finish.outputs if o.get("output_type") == "error"]
            if errors:
                result.erreur = (
                    "Tableaux XLSX non écrits : "
                    f"{_clean(errors[0].get('evalue', ''))} ({errors[0].get('ename', '')})"
                )
                return
            result.xlsx = target.read_bytes()
            target.unlink()
        result.html = report_html(nb).encode("utf-8")
        result.ok = True


# Vega numbers the gradients and clip paths of the SVG it renders with counters that live as
# long as the kernel: the 10th territory of a warm kernel gets « gradient_9 » where a fresh
# kernel writes « gradient_0 ». Renumbered in order of appearance from Vega's first values,
# the SVG are the bytes a fresh kernel writes, whichever worker ran the territory.
_SVG_ID_START = {"gradient_": 0, "clip": 1}
_SVG_ID_DECL = re.compile(r'id="(gradient_|clip)(\d+)"')


def renumber_svg_ids(nb) -> None:
    """Renumber Vega's gradient and clip ids of the notebook's SVG outputs, in place."""
    mapping: dict[str, dict[str, str]] = {prefix: {} for prefix in _SVG_ID_START}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data") or {}
            svg = data.get("image/svg+xml")
            if not isinstance(svg, str) or 'id="' not in svg:
                continue
            declared = _SVG_ID_DECL.findall(svg)
            if not declared:
                continue
            for prefix, number in declared:
                m = mapping[prefix]
                m.setdefault(number, str(_SVG_ID_START[prefix] + len(m)))
            names = "|".join(re.escape(p + n) for p, n in set(declared))
            data["image/svg+xml"] = re.sub(
                rf"(?<![\w-])({names})(?![\w-])",
                lambda mt: _renamed(mt.group(1), mapping),
                svg,
            )


def _renamed(name: str, mapping: dict[str, dict[str, str]]) -> str:
    prefix = "gradient_" if name.startswith("gradient_") else "clip"
    return prefix + mapping[prefix][name[len(prefix) :]]


def kernel_tables(namespace: dict, path: str, title: str = "") -> None:
    """Run inside the kernel after the notebook: write the territory's tables to ``path``.

    The notebook's :class:`~territoire_lib.diagnostic.Diagnostic` of the territory when there
    is one (every diagnostic sheet); else its first scenario result (a scenarios notebook:
    the tables of the scenario given by ``--scenario``); else the diagnostic built from the
    notebook's parameters.
    """
    from ..diagnostic import Diagnostic, diagnose
    from ..exports import to_xlsx

    code = str(namespace.get("territoire", "")).strip()
    values = list(namespace.values())
    diag = next((v for v in values if isinstance(v, Diagnostic) and v.code == code), None)
    if diag is None:
        with contextlib.suppress(ImportError):
            from ..scenario import ScenarioResult

            result = next((v for v in values if isinstance(v, ScenarioResult)), None)
            if result is not None:
                result.to_xlsx(path, overwrite=True)
                return
        from ..dataset import load_territory

        diag = diagnose(
            load_territory(namespace.get("source") or None), code, namespace.get("annee")
        )
    to_xlsx(diag, path, overwrite=True, title=f"Diagnostic — {title or diag.nom}")
