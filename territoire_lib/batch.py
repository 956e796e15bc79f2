"""Batch workbooks: one executed notebook, one HTML report and one XLSX workbook per territory.

``territoire batch`` (see :mod:`territoire_lib.cli.batch`) calls :func:`run_batch`, which

1. lists the territories of a level (communes, EPCI, perimeters, départements) or those named;
2. skips those whose outputs are up to date: same parameters, notebook checksum, data
   checksum and library checksum as in the output folder's ``manifeste.json``, and every file
   present with its recorded SHA-256 (``force=True`` redoes them);
3. runs the others, in parallel, each in a *warm* kernel: a worker process starts one Jupyter
   kernel and keeps it; for each territory it injects the parameters as Papermill does
   (:func:`papermill.parameterize.parameterize_notebook`: an ``injected-parameters`` cell after
   the ``parameters`` cell), empties the user namespace (as ``%reset -f`` does; the modules,
   the loaded dataset and the chart renderer stay warm), executes the cells, asks the kernel
   to write the diagnostic tables (:func:`territoire_lib.exports.to_xlsx`) and writes the
   report without code (:mod:`territoire_lib.notebook_report`: no script, charts are SVG);
4. writes each file atomically (temporary file, then rename) from the main process, updates the
   manifest as it goes (at most every ``MANIFEST_EVERY`` seconds, and whenever the batch stops:
   an interrupted batch resumes where it stopped), and writes ``index.html`` (every territory,
   its status, key figures and links; no external resource).

A territory that fails never stops the others: it is listed with its error in French.

Workers are processes (``spawn``, one per core by default) or, with ``dask=ADDRESS``, the
workers of an existing Dask cluster (:mod:`distributed`), each keeping its own warm kernel.
Workers return the files' bytes, so a Dask cluster does not need to see the output folder
(it must see the data folder when the source is not the demo).
"""

from __future__ import annotations

import atexit
import contextlib
import copy
import datetime as dt
import hashlib
import html
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from . import __version__, french
from .errors import TerritoireError
from .notebook_report import notebook_title, report_html

REPO_DIR = Path(__file__).resolve().parents[1]
DEFAULT_NOTEBOOK = REPO_DIR / "notebooks" / "01_diagnostic.ipynb"
MANIFEST_NAME = "manifeste.json"
INDEX_NAME = "index.html"
MANIFEST_FORMAT = 1
STATUS_OK = "ok"
STATUS_FAILED = "echec"
STATUS_UP_TO_DATE = "a_jour"
LEVELS = ("commune", "epci", "perimetre", "departement")
LEVEL_LABELS = {
    "commune": "commune",
    "epci": "EPCI",
    "perimetre": "périmètre",
    "departement": "département",
    "region": "région",
}
KEY_INDICATORS = ("population", "enfants_0_2", "taux_couverture_global")
RECYCLE_EVERY = 200  # territories run in one kernel before it is restarted (bounds memory)
# While a batch runs, the manifest is rewritten at most this often (seconds): every territory
# at once would cost O(n²) bytes (5 000 territories: 5 000 writes of a 7 MB manifest). An
# interrupted batch redoes at most this many seconds of work; the end always writes it.
MANIFEST_EVERY = 2.0
DEFAULT_START_TIMEOUT = 60
DEFAULT_EXECUTION_TIMEOUT = 600
ONE_THREAD_VARIABLES = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)  # OMP_NUM_THREADS also sizes Arrow's thread pool
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")

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


# -- what a worker needs and returns ------------------------------------------------------------
@dataclass(frozen=True)
class BatchConfig:
    """What every worker needs to run territories (picklable, hashable)."""

    notebook: str  # absolute path of the notebook
    cwd: str | None = None  # working directory of the kernels
    kernel_name: str = "python3"
    start_timeout: int = DEFAULT_START_TIMEOUT
    execution_timeout: int = DEFAULT_EXECUTION_TIMEOUT
    xlsx: bool = True  # write the diagnostic tables


@dataclass
class Job:
    """One territory to run."""

    code: str
    nom: str
    niveau: str
    parametres: dict[str, Any]
    stem: str  # file name without extension, e.g. "296000011_01_diagnostic"


@dataclass
class JobResult:
    """What a worker returns for one territory: the files' bytes, or a French error."""

    code: str
    ok: bool
    erreur: str = ""
    detail: str = ""  # the traceback (no colour codes), for the manifest
    duree: float = 0.0
    notebook: bytes | None = None
    html: bytes | None = None
    xlsx: bytes | None = None
    travailleur: str = ""


@dataclass
class BatchSummary:
    """The outcome of :func:`run_batch`."""

    sortie: Path
    manifest: Path
    index: Path
    faits: list[str] = field(default_factory=list)
    a_jour: list[str] = field(default_factory=list)
    echecs: dict[str, str] = field(default_factory=dict)  # code → French error
    noms: dict[str, str] = field(default_factory=dict)
    duree: float = 0.0
    travailleurs: int = 0
    executeur: str = ""

    @property
    def ok(self) -> bool:
        return not self.echecs

    def french(self) -> str:
        n = len(self.faits) + len(self.a_jour) + len(self.echecs)
        duree = f"{self.duree:.1f}".replace(".", ",")
        lines = [
            f"Classeurs : {n} territoire{'s' if n > 1 else ''} — {len(self.faits)} produit"
            f"{'s' if len(self.faits) > 1 else ''}, {len(self.a_jour)} déjà à jour, "
            f"{len(self.echecs)} en échec ({duree} s, {self.executeur})."
        ]
        for code, err in self.echecs.items():
            lines.append(f"Échec — {self.noms.get(code, code)} ({code}) : {err}")
        lines.append(f"Index : {self.index}")
        lines.append(f"Manifeste : {self.manifest}")
        return "\n".join(lines)


# -- checksums ----------------------------------------------------------------------------------
def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def library_checksum() -> str:
    """Checksum of the library's code and rule files: a changed formula redoes the outputs."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".yaml", ".css") and "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


# -- the warm-kernel executor -------------------------------------------------------------------
def _clean(text: str) -> str:
    return _ANSI.sub("", text or "")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


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
                "__import__('territoire_lib.batch', fromlist=['kernel_tables'])"
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
    from .diagnostic import Diagnostic, diagnose
    from .exports import to_xlsx

    code = str(namespace.get("territoire", "")).strip()
    values = list(namespace.values())
    diag = next((v for v in values if isinstance(v, Diagnostic) and v.code == code), None)
    if diag is None:
        with contextlib.suppress(ImportError):
            from .scenario import ScenarioResult

            result = next((v for v in values if isinstance(v, ScenarioResult)), None)
            if result is not None:
                result.to_xlsx(path, overwrite=True)
                return
        from .dataset import load_territory

        diag = diagnose(
            load_territory(namespace.get("source", "demo")), code, namespace.get("annee")
        )
    to_xlsx(diag, path, overwrite=True, title=f"Diagnostic — {title or diag.nom}")


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


# -- territories, parameters and key figures -----------------------------------------------------
def notebook_parameters(path: Path) -> dict[str, Any]:
    """Names and defaults of the notebook's ``parameters`` cell (Papermill's inference)."""
    import papermill

    try:
        return dict(papermill.inspect_notebook(str(path)))
    except Exception as exc:
        raise TerritoireError(
            f"Carnet illisible : « {path} » ({type(exc).__name__} : {_clean(str(exc))})."
        ) from None


def select_territories(
    territory, niveau: str | None, codes: Iterable[str] | None
) -> list[tuple[str, str, str, str]]:
    """(code, name, level, error) for each territory to run; error is "" when the code is
    known (and of the level asked, if any)."""
    geo = territory.geography
    if codes:
        out = []
        for raw in codes:
            code = str(raw).strip()
            if not code:
                continue
            try:
                level = geo.level_of(code)
                name = geo.name_of(code)
            except TerritoireError as exc:
                out.append((code, code, niveau or "", str(exc)))
                continue
            err = ""
            if niveau and level != niveau:
                err = (
                    f"« {code} » ({name}) est un territoire de niveau "
                    f"{LEVEL_LABELS.get(level, level)}, pas {LEVEL_LABELS.get(niveau, niveau)}."
                )
            out.append((code, name, level, err))
        return list({c[0]: c for c in out}.values())
    if niveau not in LEVELS:
        raise TerritoireError(
            f"Niveau inconnu : « {niveau} ». Attendu l'un de : {', '.join(LEVELS)}."
        )
    if niveau == "perimetre":
        items = [(k, p.name) for k, p in geo.perimeters.items()]
    else:
        frame = {"commune": geo.communes, "epci": geo.epcis, "departement": geo.departements}[
            niveau
        ]
        items = list(zip(frame["code"].astype(str), frame["nom"].astype(str), strict=True))
    if not items:
        raise TerritoireError(
            f"Aucun territoire de niveau {LEVEL_LABELS[niveau]} dans les données."
        )
    return [(code, name, niveau, "") for code, name in items]


def key_figures(territory, jobs: list[tuple[str, str]], annee: int | None) -> dict[str, dict]:
    """Population, children under 3 and childcare coverage of each (code, level), latest
    year (not after ``annee``), from the indicator engine: one vectorised call per level."""
    from .indicators.engine import compute

    out: dict[str, dict] = {}
    by_level: dict[str, list[str]] = {}
    for code, level in jobs:
        if level:
            by_level.setdefault(level, []).append(code)
    for level, codes in by_level.items():
        try:
            frame = compute(territory, level, list(KEY_INDICATORS))
        except Exception:  # key figures are a convenience: never fail the batch for them
            continue
        frame = frame[frame["territoire"].astype(str).isin(codes)]
        if annee is not None:
            frame = frame[frame["annee"] <= int(annee)]
        frame = frame.assign(
            indicateur=frame["indicateur"].astype(str), territoire=frame["territoire"].astype(str)
        )
        latest = (
            frame.sort_values("annee", kind="stable")
            .groupby(["territoire", "indicateur"], sort=False)
            .tail(1)
        )
        for rec in latest[["territoire", "indicateur", "annee", "valeur", "masque"]].itertuples(
            index=False
        ):
            value = None if rec.masque or rec.valeur != rec.valeur else float(rec.valeur)
            out.setdefault(rec.territoire, {})[rec.indicateur] = {
                "valeur": value,
                "annee": int(rec.annee),
                "masque": bool(rec.masque),
            }
    return out


def data_description(territory) -> dict[str, Any]:
    """Source, checksum, file checksums and vintages (years by variable) of the data."""
    from .dataset import DEMO_DIR, _files_of, read_manifest

    folder = DEMO_DIR if territory.source in ("", "demo") else Path(territory.source)
    files: dict[str, str] = {}
    with contextlib.suppress(Exception):
        manifest = read_manifest(folder)
        for name in sorted(set(_files_of(manifest))):
            path = folder / name
            if path.exists():
                files[name] = sha256_file(path)
    obs = territory.observations
    years = obs.groupby("variable", observed=True)["annee"].unique()
    return {
        "nom": territory.name,
        "fictif": bool(territory.fictional),
        "dossier": str(folder),
        "somme_controle": territory.checksum,
        "fichiers": files,
        "millesimes": {str(k): sorted(int(y) for y in v) for k, v in years.items()},
    }


# -- files ----------------------------------------------------------------------------------------
def _safe(code: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", code) or "_"


_UMASK: list[int] = []


def _umask() -> int:
    if not _UMASK:
        current = os.umask(0o022)
        os.umask(current)
        _UMASK.append(current)
    return _UMASK[0]


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to a temporary file next to ``path``, then rename it onto ``path``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=path.suffix, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600 files; outputs are shared
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def read_manifest(sortie: Path) -> dict:
    path = Path(sortie) / MANIFEST_NAME
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # a damaged manifest only means everything is redone
    return data if isinstance(data, dict) and data.get("format") == MANIFEST_FORMAT else {}


def _up_to_date(entry: dict | None, key: dict, sortie: Path) -> bool:
    if not entry or entry.get("statut") not in (STATUS_OK, STATUS_UP_TO_DATE):
        return False
    if entry.get("cle") != key:
        return False
    sums = entry.get("sommes") or {}
    files = entry.get("fichiers") or {}
    if not files or set(files.values()) != set(sums):
        return False
    for rel in files.values():
        path = sortie / rel
        if not path.is_file() or sha256_file(path) != sums.get(rel):
            return False
    return True


# -- the runner ------------------------------------------------------------------------------------
def run_batch(
    sortie: str | Path,
    *,
    niveau: str | None = None,
    territoires: Iterable[str] | None = None,
    notebook: str | Path | None = None,
    source: str | Path = "demo",
    annee: int | None = None,
    scenario: str | Path | None = None,
    workers: int | None = None,
    dask: str | None = None,
    force: bool = False,
    progress: bool = True,
    start_timeout: int = DEFAULT_START_TIMEOUT,
    execution_timeout: int = DEFAULT_EXECUTION_TIMEOUT,
    xlsx: bool = True,
) -> BatchSummary:
    """Produce every territory's workbook in ``sortie`` (see the module docstring).

    ``niveau``: commune, epci, perimetre or departement (every territory of that level);
    ``territoires``: codes to run instead (checked against ``niveau`` when both are given).
    ``workers``: processes (default: every core); ``dask``: address of a Dask scheduler.
    Returns a :class:`BatchSummary`; raises :class:`TerritoireError` (French) for a bad
    argument. A failing territory is reported in the summary, never raised.
    """
    from .dataset import load_territory

    t_start = time.perf_counter()
    started = _now()
    sortie = Path(sortie).resolve()
    nb_path = Path(notebook or DEFAULT_NOTEBOOK).resolve()
    if not nb_path.is_file():
        raise TerritoireError(f"Carnet introuvable : « {nb_path} ».")
    if nb_path.suffix != ".ipynb":
        raise TerritoireError(f"« {nb_path.name} » n'est pas un carnet Jupyter (.ipynb).")
    if niveau is None and not territoires:
        raise TerritoireError(
            "Aucun territoire choisi : indiquez --niveau (commune, epci, perimetre, "
            "departement) ou --territoires CODE1,CODE2."
        )
    if niveau is not None and niveau not in LEVELS:
        raise TerritoireError(
            f"Niveau inconnu : « {niveau} ». Attendu l'un de : {', '.join(LEVELS)}."
        )
    declared = notebook_parameters(nb_path)
    if "territoire" not in declared:
        raise TerritoireError(
            f"Le carnet « {nb_path.name} » n'a pas de paramètre « territoire » dans sa cellule "
            "« parameters »."
        )
    source_param = "demo" if str(source) == "demo" else str(Path(source).resolve())
    common: dict[str, Any] = {}
    if "source" in declared:
        common["source"] = source_param
    elif source_param != "demo":
        raise TerritoireError(f"Le carnet « {nb_path.name} » n'a pas de paramètre « source ».")
    if annee is not None:
        if "annee" not in declared:
            raise TerritoireError(f"Le carnet « {nb_path.name} » n'a pas de paramètre « annee ».")
        common["annee"] = int(annee)
    scenario_sum = None
    if scenario is not None:
        spath = Path(scenario).resolve()
        if not spath.is_file():
            raise TerritoireError(f"Fichier de scénario introuvable : « {spath} ».")
        if "scenario" not in declared:
            raise TerritoireError(
                f"Le carnet « {nb_path.name} » n'a pas de paramètre « scenario » : choisissez un "
                "carnet de scénarios avec --notebook."
            )
        common["scenario"] = str(spath)
        scenario_sum = sha256_file(spath)

    territory = load_territory(source)
    selected = select_territories(territory, niveau, territoires)
    nb_sum = sha256_file(nb_path)
    lib_sum = library_checksum()
    figures = key_figures(territory, [(c, lv) for c, _, lv, e in selected if not e], annee)

    sortie.mkdir(parents=True, exist_ok=True)
    previous = read_manifest(sortie)
    entries: dict[str, dict] = dict(previous.get("territoires") or {})
    stem_suffix = _safe(nb_path.stem)
    summary = BatchSummary(
        sortie=sortie, manifest=sortie / MANIFEST_NAME, index=sortie / INDEX_NAME
    )
    jobs: list[Job] = []
    keys: dict[str, dict] = {}
    refused: dict[str, dict] = {}
    for code, name, level, error in selected:
        summary.noms[code] = name
        params = {"territoire": code, **common}
        key = {
            "parametres": params,
            "carnet": nb_sum,
            "donnees": territory.checksum,
            "bibliotheque": lib_sum,
            "version": __version__,
            "scenario": scenario_sum,
        }
        keys[code] = key
        base = {"nom": name, "niveau": level, "parametres": params, "cle": key}
        if code in figures:
            base["chiffres_cles"] = figures[code]
        if error:  # unknown code or wrong level: an earlier good entry is left as it was
            summary.echecs[code] = error
            refused[code] = {"nom": name, "erreur": error}
            if (entries.get(code) or {}).get("statut") not in (STATUS_OK, STATUS_UP_TO_DATE):
                entries.pop(code, None)
            continue
        if not force and _up_to_date(entries.get(code), key, sortie):
            entries[code] = {**entries[code], **base, "statut": STATUS_UP_TO_DATE}
            summary.a_jour.append(code)
            continue
        jobs.append(Job(code, name, level, params, f"{_safe(code)}_{stem_suffix}"))

    config = BatchConfig(
        notebook=str(nb_path),
        cwd=os.getcwd(),
        start_timeout=int(start_timeout),
        execution_timeout=int(execution_timeout),
        xlsx=xlsx,
    )
    n_workers = max(1, min(int(workers or os.cpu_count() or 1), max(len(jobs), 1)))
    summary.travailleurs = n_workers
    if not jobs:
        summary.executeur = "aucun calcul"
    elif dask:
        summary.executeur = f"cluster Dask {dask}"
    else:
        summary.executeur = f"{n_workers} processus"
    manifest = {
        "format": MANIFEST_FORMAT,
        "outil": f"territoire {__version__}",
        "bibliotheque": {"version": __version__, "somme_controle": lib_sum},
        "carnet": {"chemin": str(nb_path), "sha256": nb_sum, "parametres_declares": declared},
        "donnees": data_description(territory),
        "scenario": {"chemin": common.get("scenario"), "sha256": scenario_sum},
        "parametres_communs": common,
        "execution": {},
        "territoires": entries,
    }

    last_write = [time.monotonic()]

    def finish_one(job: Job, res: JobResult) -> None:
        folder = sortie / _safe(job.code)
        files: dict[str, str] = {}
        sums: dict[str, str] = {}
        outputs = [("carnet", ".ipynb", res.notebook)]
        if res.ok:
            outputs += [("rapport", ".html", res.html), ("tableaux", ".xlsx", res.xlsx)]
        for kind, suffix, data in outputs:
            if data is None:
                continue
            path = folder / f"{job.stem}{suffix}"
            write_atomic(path, data)
            rel = path.relative_to(sortie).as_posix()
            files[kind] = rel
            sums[rel] = sha256_bytes(data)
        if not res.ok:  # stale report and tables of an earlier success would mislead
            for suffix in (".html", ".xlsx"):
                with contextlib.suppress(FileNotFoundError):
                    (folder / f"{job.stem}{suffix}").unlink()
        entry = {
            "nom": job.nom,
            "niveau": job.niveau,
            "parametres": job.parametres,
            "cle": keys[job.code],
            "statut": STATUS_OK if res.ok else STATUS_FAILED,
            "erreur": "" if res.ok else res.erreur,
            "detail": res.detail,
            "duree_s": round(res.duree, 3),
            "date": _now(),
            "travailleur": res.travailleur,
            "fichiers": files,
            "sommes": sums,
        }
        if job.code in figures:
            entry["chiffres_cles"] = figures[job.code]
        entries[job.code] = entry
        if res.ok:
            summary.faits.append(job.code)
        else:
            summary.echecs[job.code] = res.erreur
        if time.monotonic() - last_write[0] >= MANIFEST_EVERY:
            write_atomic(summary.manifest, _dump(manifest))
            last_write[0] = time.monotonic()

    try:
        if jobs:
            write_atomic(summary.manifest, _dump(manifest))
            runner = _run_dask if dask else _run_processes
            runner(config, jobs, n_workers, finish_one, progress, dask, len(selected))
    finally:
        summary.duree = time.perf_counter() - t_start
        manifest["execution"] = {
            "debut": started,
            "fin": _now(),
            "duree_s": round(summary.duree, 3),
            "executeur": summary.executeur,
            "travailleurs": n_workers,
            "produits": summary.faits,
            "a_jour": summary.a_jour,
            "echecs": summary.echecs,
            "refus": refused,
            "force": bool(force),
        }
        order = [c for c, *_ in selected]
        manifest["territoires"] = {
            **{c: entries[c] for c in order if c in entries},
            **{c: e for c, e in entries.items() if c not in order},
        }
        write_atomic(summary.manifest, _dump(manifest))
        write_atomic(summary.index, render_index(manifest).encode("utf-8"))
    return summary


def _dump(manifest: dict) -> bytes:
    return json.dumps(manifest, ensure_ascii=False, indent=1, default=str).encode("utf-8")


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


# -- index.html --------------------------------------------------------------------------------
STATUS_TEXT = {
    STATUS_OK: "produit",
    STATUS_UP_TO_DATE: "à jour (non recalculé)",
    STATUS_FAILED: "échec",
}

INDEX_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
margin:2rem;color:#1a1a1a;line-height:1.4}
h1{font-size:1.6rem}
table{border-collapse:collapse;width:100%;font-size:.95rem}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{border:1px solid #bfbfbf;padding:.35rem .5rem;vertical-align:top}
thead th{background:#dce6f1}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.echec td{background:#fce4d6}
.statut-echec{font-weight:700;color:#8a1c00}
.statut-ok{color:#1d5e20}
a{color:#0b4f9c}
a:focus{outline:3px solid #f5a623}
.note{color:#444;font-size:.9rem}
"""


def _figure_cell(fig: dict | None, decimals: int) -> str:
    if not fig:
        return '<td class="n">n.d.</td>'
    if fig.get("masque"):
        return f'<td class="n">secret ({fig.get("annee")})</td>'
    return f'<td class="n">{french.number(fig.get("valeur"), decimals)} ({fig.get("annee")})</td>'


def _french_time(stamp: str) -> str:
    """« 2026-11-29T13:28:47+00:00 » → « 29 novembre 2026 à 14 h 28 (heure de Paris) »; as it
    is if it is not a date. UTC when the time zone database is missing."""
    try:
        when = dt.datetime.fromisoformat(stamp)
    except (TypeError, ValueError):
        return str(stamp or "")
    zone = ""
    if when.tzinfo is not None:
        try:
            from zoneinfo import ZoneInfo

            when, zone = when.astimezone(ZoneInfo("Europe/Paris")), "heure de Paris"
        except Exception:  # no tz database: keep the stamp's own offset
            zone = when.strftime("%Z")
    text = f"{french.long_date(when.date())} à {when.hour} h {when.minute:02d}"
    return f"{text} ({zone})" if zone else text


def render_index(manifest: dict) -> str:
    """The French index page: every territory, its status, key figures and links."""
    esc = html.escape
    entries = manifest.get("territoires") or {}
    data = manifest.get("donnees") or {}
    execution = manifest.get("execution") or {}
    n_fail = sum(1 for e in entries.values() if e.get("statut") == STATUS_FAILED)
    rows = []
    for code, e in entries.items():
        status = e.get("statut", "")
        figs = e.get("chiffres_cles") or {}
        files = e.get("fichiers") or {}
        links = []
        for kind, label in (
            ("rapport", "rapport HTML"),
            ("tableaux", "tableaux XLSX"),
            ("carnet", "carnet exécuté"),
        ):
            if kind in files:
                links.append(
                    f'<a href="{esc(files[kind])}">{label}<span class="visually-hidden"> — '
                    f"{esc(e.get('nom', code))}</span></a>"
                )
        status_html = f'<span class="statut-{esc(status)}">{STATUS_TEXT.get(status, status)}</span>'
        if status == STATUS_FAILED:
            status_html += f"<br>{esc(e.get('erreur', ''))}"
        duree = e.get("duree_s")
        rows.append(
            f'<tr class="{esc(status)}"><th scope="row">{esc(e.get("nom", code))}<br>'
            f'<span class="note">{esc(code)} — {esc(LEVEL_LABELS.get(e.get("niveau", ""), ""))}'
            f"</span></th>"
            f"<td>{status_html}</td>"
            f"{_figure_cell(figs.get('population'), 0)}"
            f"{_figure_cell(figs.get('enfants_0_2'), 0)}"
            f"{_figure_cell(figs.get('taux_couverture_global'), 1)}"
            f'<td class="n">{french.number(duree, 1) + " s" if duree is not None else "—"}</td>'
            f"<td>{' · '.join(links) or '—'}</td></tr>"
        )
    refused = execution.get("refus") or {}
    refused_html = ""
    if refused:
        items = "\n".join(
            f'<tr><th scope="row">{esc(code)}</th><td>{esc(r.get("erreur", ""))}</td></tr>'
            for code, r in refused.items()
        )
        refused_html = (
            "<table>\n<caption>Codes demandés mais non traités lors de la dernière exécution"
            '</caption>\n<thead><tr><th scope="col">Code</th><th scope="col">Motif</th></tr>'
            f"</thead>\n<tbody>\n{items}\n</tbody>\n</table>"
        )
    n_refused = sum(1 for c in refused if c not in entries)
    n_fail += n_refused
    fictif = " Données fictives (démonstration)." if data.get("fictif") else ""
    when = _french_time(execution.get("fin", ""))
    head = (
        f"{len(entries) + n_refused} territoire{'s' if len(entries) + n_refused > 1 else ''}, "
        f"{n_fail} en échec. Données : {esc(str(data.get('nom', '')))} (somme de contrôle "
        f"{esc(str(data.get('somme_controle', '')))}).{fictif} Dernière exécution : "
        f"{esc(when)} ({esc(str(execution.get('executeur', '')))})."
    )
    return f"""<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Classeurs par territoire</title>
<style>{INDEX_CSS}
.visually-hidden{{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);
white-space:nowrap}}</style>
</head>
<body>
<main>
<h1>Classeurs par territoire</h1>
<p>{head}</p>
<p class="note">Chaque ligne renvoie au rapport (sans code, graphiques intégrés), aux tableaux
du diagnostic (classeur XLSX) et au carnet exécuté. Le taux de couverture compte les places
d'accueil formel pour 100 enfants de moins de 3 ans ; entre parenthèses, l'année des données.
Le détail (paramètres, millésimes, sommes de contrôle, durées) est dans
<a href="{MANIFEST_NAME}">{MANIFEST_NAME}</a>.</p>
<table>
<caption>Territoires, état de production et chiffres clés</caption>
<thead><tr><th scope="col">Territoire</th><th scope="col">État</th>
<th scope="col">Population</th><th scope="col">Enfants de moins de 3 ans</th>
<th scope="col">Taux de couverture (places pour 100 enfants)</th>
<th scope="col">Durée</th><th scope="col">Fichiers</th></tr></thead>
<tbody>
{chr(10).join(rows)}
</tbody>
</table>
{refused_html}
</main>
</body>
</html>
"""


def summary_dict(summary: BatchSummary) -> dict:
    """The summary as plain data (for tests and scripts)."""
    d = asdict(summary)
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in d.items()}
