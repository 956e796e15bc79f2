"""What the batch runs on: the notebook's parameters, the territories, key figures, the data.

Owns :func:`notebook_parameters` (Papermill's inference of the ``parameters`` cell),
:func:`select_territories` (a level or named codes, checked), :func:`key_figures` (the index
page's figures, from the indicator engine) and :func:`data_description` (the data's checksums
and vintages for the manifest).

Layer « lot » (11): may import every lower layer (here errors; dataset, key_figures and
indicators lazily).
Inside the package it imports only :mod:`.jobs`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import TerritoireError
from .jobs import KEY_INDICATORS, LEVEL_LABELS, LEVELS, _clean, sha256_file


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
                code = geo.code(code)  # a lost leading zero restored, with a remark
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
    year (not after ``annee``), from the indicator engine: one vectorised call per level.

    An indicator whose published value is the headline (the coverage rate) gives, as the
    indicator table does (:func:`territoire_lib.key_figures.headline`), ``valeur`` = the
    territory's published value where the Cnaf publishes it, ``source`` (« publiée » or
    « calculée ») and ``valeur_calculee``, the recomputed value beside it."""
    from ..indicators.catalogue import load_catalogue_full
    from ..indicators.engine import compute
    from ..key_figures import headline

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
        latest = _with_headline(territory, latest, level, load_catalogue_full(), headline)
        columns = ["territoire", "indicateur", "annee", "valeur", "masque", "source", "calculee"]
        for rec in latest[[*columns, "etiquette", "peu_significatif"]].itertuples(index=False):
            value = None if rec.masque or rec.valeur != rec.valeur else float(rec.valeur)
            fig = {"valeur": value, "annee": int(rec.annee), "masque": bool(rec.masque)}
            if rec.masque:  # what stands for it: « secret », « < 5 », « n.d. »
                fig["etiquette"] = str(rec.etiquette) or "secret"
            elif rec.peu_significatif:
                fig["peu_significatif"] = True
            if rec.source:
                calc = None if rec.calculee != rec.calculee else float(rec.calculee)
                fig.update(source=rec.source, valeur_calculee=calc)
            out.setdefault(rec.territoire, {})[rec.indicateur] = fig
    return out


def _with_headline(territory, latest, level: str, cat, headline):
    """Columns ``source`` and ``calculee``; ``valeur`` becomes the published value where an
    indicator with a published headline is published for the territory (vectorised)."""
    latest = latest.assign(source="", calculee=latest["valeur"])
    refs = territory.references
    titled = {i.id: i.published_reference for i in cat.indicators.values() if i.published_headline}
    mask = latest["indicateur"].isin(list(titled)).to_numpy()
    if not mask.any():
        return latest
    niveau = {"commune": "commune", "epci": "epci", "departement": "departement"}.get(level)
    pub = pd.Series(float("nan"), index=latest.index)
    if niveau is not None and len(refs):
        sel = refs[refs["niveau"] == niveau]
        key = pd.MultiIndex.from_arrays(
            [sel["code"].astype(str), sel["annee"].astype("int64"), sel["variable"].astype(str)]
        )
        values = pd.Series(sel["valeur"].to_numpy(dtype=float), index=key)
        values = values[~values.index.duplicated(keep="last")]
        want = pd.MultiIndex.from_arrays(
            [
                latest["territoire"].astype(str),
                latest["annee"].astype("int64"),
                latest["indicateur"].map(titled).fillna("").astype(str),
            ]
        )
        pub = pd.Series(values.reindex(want).to_numpy(), index=latest.index)
    value, source = headline(pub.where(mask), latest["valeur"])
    latest["valeur"] = np.where(mask, value, latest["valeur"])
    published = mask & (source == "publiée")
    latest["masque"] = np.where(published, False, latest["masque"])
    latest["peu_significatif"] = np.where(published, False, latest["peu_significatif"])
    latest["source"] = np.where(mask, source, "")
    return latest


def data_description(territory) -> dict[str, Any]:
    """Source, checksum, file checksums and vintages (years by variable) of the data."""
    from ..dataset import DEMO_DIR, _files_of, read_manifest

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
        # the limits of the loaded data (load report), shown on the index page
        "avertissements": _warnings(territory),
    }


def _warnings(territory) -> list[str]:
    from ..indicators.catalogue import variable_uses

    warnings = getattr(territory, "warnings", None)
    return list(warnings(variable_uses())) if callable(warnings) else []
