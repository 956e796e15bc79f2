"""The batch's vocabulary: settings, what a worker needs and returns, the summary, checksums.

Owns the constants of the batch (file names, statuses, levels, timeouts, how often the
manifest is written), the picklable :class:`BatchConfig`, :class:`Job` and :class:`JobResult`
that travel between the batch process and its workers (process pool or Dask: they are pickled
by reference, so they stay in this module), :class:`BatchSummary`, the checksums and the small
text helpers shared by the other modules of the package.

Layer « lot » (11): may import every lower layer; here only the package root (version).
Imported by every other module of :mod:`territoire_lib.batch`; imports none of them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__

REPO_DIR = Path(__file__).resolve().parents[2]
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
    root = Path(__file__).resolve().parents[1]  # the territoire_lib folder
    h = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".yaml", ".css") and "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


# -- text helpers -----------------------------------------------------------------------------------
def _clean(text: str) -> str:
    return _ANSI.sub("", text or "")


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def summary_dict(summary: BatchSummary) -> dict:
    """The summary as plain data (for tests and scripts)."""
    d = asdict(summary)
    return {k: (str(v) if isinstance(v, Path) else v) for k, v in d.items()}
