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

The package, by job (each module's docstring says what it owns and imports):

* :mod:`.jobs`: settings, :class:`BatchConfig`, :class:`Job`, :class:`JobResult`,
  :class:`BatchSummary`, checksums;
* :mod:`.executor`: one notebook in a warm kernel (Papermill's parameters, the report, the
  tables written inside the kernel);
* :mod:`.scheduling`: the process pool or the Dask cluster, the workers, Ctrl-C and SIGTERM;
* :mod:`.territories`: the notebook's parameters, the territories, key figures, the data;
* :mod:`.outputs`: file names, the manifest and the resume rule, ``index.html``;
* :mod:`.runner`: :func:`run_batch`.

This module is the facade: it only re-exports the public names (``from territoire_lib.batch
import run_batch`` keeps working). Layer « lot » (11): the package may import every lower
layer, never :mod:`territoire_lib.dashboard` nor :mod:`territoire_lib.cli`.
"""

from ..files import write_atomic
from .executor import RESET_SOURCE, WarmExecutor, kernel_tables, renumber_svg_ids
from .jobs import (
    DEFAULT_EXECUTION_TIMEOUT,
    DEFAULT_NOTEBOOK,
    DEFAULT_START_TIMEOUT,
    INDEX_NAME,
    KEY_INDICATORS,
    LEVEL_LABELS,
    LEVELS,
    MANIFEST_EVERY,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    ONE_THREAD_VARIABLES,
    RECYCLE_EVERY,
    REPO_DIR,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_UP_TO_DATE,
    BatchConfig,
    BatchSummary,
    Job,
    JobResult,
    library_checksum,
    sha256_bytes,
    sha256_file,
    summary_dict,
)
from .outputs import INDEX_CSS, STATUS_TEXT, read_manifest, render_index
from .runner import run_batch
from .scheduling import run_job
from .territories import data_description, key_figures, notebook_parameters, select_territories

__all__ = [
    "DEFAULT_EXECUTION_TIMEOUT",
    "DEFAULT_NOTEBOOK",
    "DEFAULT_START_TIMEOUT",
    "INDEX_CSS",
    "INDEX_NAME",
    "KEY_INDICATORS",
    "LEVELS",
    "LEVEL_LABELS",
    "MANIFEST_EVERY",
    "MANIFEST_FORMAT",
    "MANIFEST_NAME",
    "ONE_THREAD_VARIABLES",
    "RECYCLE_EVERY",
    "REPO_DIR",
    "RESET_SOURCE",
    "STATUS_FAILED",
    "STATUS_OK",
    "STATUS_TEXT",
    "STATUS_UP_TO_DATE",
    "BatchConfig",
    "BatchSummary",
    "Job",
    "JobResult",
    "WarmExecutor",
    "data_description",
    "kernel_tables",
    "key_figures",
    "library_checksum",
    "notebook_parameters",
    "read_manifest",
    "render_index",
    "renumber_svg_ids",
    "run_batch",
    "run_job",
    "select_territories",
    "sha256_bytes",
    "sha256_file",
    "summary_dict",
    "write_atomic",
]
