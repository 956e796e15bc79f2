"""The batch itself: :func:`run_batch` checks its arguments, skips what is up to date, runs the
rest and keeps the manifest and index written, even when it is interrupted.

Owns the order of the work (see the package docstring): the job keys (parameters, notebook,
data, library and scenario checksums) that decide what is redone, the manifest written as the
territories finish (at most every :data:`~.jobs.MANIFEST_EVERY` seconds) and, whatever happens
(Ctrl-C, SIGTERM, an error), the final manifest and ``index.html``. An interrupted run is
recorded as such in the manifest (``execution.interruption``, and ``execution.restants``: the
territories not run, code → name), so that the index says so and counts what is left.

Layer « lot » (11): may import every lower layer (here errors, files; active_source and
dataset lazily). Inside the package it imports :mod:`.jobs`, :mod:`.territories`,
:mod:`.outputs` and :mod:`.scheduling`.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import TerritoireError
from ..files import write_atomic
from .jobs import (
    DEFAULT_EXECUTION_TIMEOUT,
    DEFAULT_NOTEBOOK,
    DEFAULT_START_TIMEOUT,
    INDEX_NAME,
    LEVELS,
    MANIFEST_EVERY,
    MANIFEST_FORMAT,
    MANIFEST_NAME,
    STATUS_FAILED,
    STATUS_OK,
    STATUS_UP_TO_DATE,
    BatchConfig,
    BatchSummary,
    Job,
    JobResult,
    _now,
    library_checksum,
    sha256_bytes,
    sha256_file,
)
from .outputs import _dump, _safe, _up_to_date, read_manifest, render_index
from .scheduling import _run_dask, _run_processes
from .territories import data_description, key_figures, notebook_parameters, select_territories


# -- the runner ------------------------------------------------------------------------------------
def run_batch(
    sortie: str | Path,
    *,
    niveau: str | None = None,
    territoires: Iterable[str] | None = None,
    notebook: str | Path | None = None,
    source: str | Path | None = None,
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
    ``source``: ``None`` (the active source), ``demo``, a known source name or a folder; the
    notebooks receive it as ``demo`` or as the folder's absolute path.
    ``workers``: processes (default: every core); ``dask``: address of a Dask scheduler.
    Returns a :class:`BatchSummary`; raises :class:`TerritoireError` (French) for a bad
    argument. A failing territory is reported in the summary, never raised.
    """
    from ..active_source import resolve_source
    from ..dataset import load_territory

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
    resolved = resolve_source(source)
    source_param = "demo" if resolved.is_demo else str(resolved.folder)
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

    territory = load_territory(source)  # as given: « Territoire inconnu » names the source
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

    finished = set()  # the jobs that got a result in this run
    interruption = ""  # why the run stopped before the end (empty when it did not)

    def finish_and_count(job: Job, res: JobResult) -> None:
        finish_one(job, res)
        finished.add(job.code)

    try:
        if jobs:
            write_atomic(summary.manifest, _dump(manifest))
            runner = _run_dask if dask else _run_processes
            runner(config, jobs, n_workers, finish_and_count, progress, dask, len(selected))
    except BaseException as exc:
        interruption = (
            "arrêt demandé (Ctrl-C ou signal d'arrêt)"
            if isinstance(exc, KeyboardInterrupt)
            else str(exc) or type(exc).__name__
        )
        raise
    finally:
        summary.duree = time.perf_counter() - t_start
        remaining = {j.code: j.nom for j in jobs if j.code not in finished}
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
            "selection": len(selected),
        }
        if interruption:  # the index says so, and what is left to do
            manifest["execution"]["interruption"] = interruption
            manifest["execution"]["restants"] = remaining
        order = [c for c, *_ in selected]
        manifest["territoires"] = {
            **{c: entries[c] for c in order if c in entries},
            **{c: e for c, e in entries.items() if c not in order},
        }
        write_atomic(summary.manifest, _dump(manifest))
        write_atomic(summary.index, render_index(manifest).encode("utf-8"))
    return summary
