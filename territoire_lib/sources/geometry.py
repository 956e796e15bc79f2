"""Commune boundaries for maps: GeoJSON FeatureCollections (france-geojson, Etalab contours).

What the loader guarantees (data-formats.md §5, tech-notes.md pitfall 9):

* every feature is a Polygon or MultiPolygon with ``properties`` ``code`` and ``nom`` only;
* Paris, Lyon and Marseille arrondissements (75101…) are merged into their commune (75056…);
* coordinates are rounded to 5 decimals (about 1 m);
* rings are rewound for Vega/Altair: exterior rings **clockwise**, holes counter-clockwise.
  Vega's spherical projections (d3-geo) take the clockwise side as the inside; an RFC 7946
  (counter-clockwise) exterior ring is read as "the whole sphere minus this commune" and fills
  the frame with one colour.

Problems in the file raise :class:`DataError`; a GeoJSON has no meaningful line numbers once
parsed, so issues name the feature (« objet n° 12 », counted from 1).

Layer « sources »: imports socle (errors, geo, input_limits); its own layer (sources.reading).
"""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import MultiPolygon, Polygon, shape
from shapely.geometry.polygon import orient

from ..errors import DataError, Issue, IssueCollector, LoadReport, fmt_int, quote
from ..geo import (
    check_commune_codes,
    departement_of,
    fold_arrondissements,
    is_arrondissement,
    valid_commune_codes,
)
from ..input_limits import gunzip_bounded, read_bounded
from .reading import read_text

DECIMALS = 5
POLYGON_TYPES = ("Polygon", "MultiPolygon")
PLM_NAMES = {"75056": "Paris", "13055": "Marseille", "69123": "Lyon"}
REASON_OUTSIDE = "commune hors du territoire chargé"
REASON_UNKNOWN = "code commune absent du référentiel (autre millésime du COG ?)"

# json.JSONDecodeError messages → French
_JSON_MESSAGES = {
    "Expecting ',' delimiter": "une virgule « , » manquante",
    "Expecting ':' delimiter": "un deux-points « : » manquant",
    "Expecting value": "une valeur manquante ou invalide",
    "Expecting property name enclosed in double quotes": (
        "un nom de propriété sans guillemets doubles, ou une virgule en trop"
    ),
    "Unterminated string starting at": "une chaîne de caractères non terminée",
    "Extra data": "du texte après la fin du document JSON",
    "Invalid control character at": "un caractère de contrôle dans une chaîne",
    "Invalid \\escape": "une séquence d'échappement « \\ » invalide",
}


class FeatureIssueCollector(IssueCollector):
    """Issue collector for GeoJSON features: the ``line`` given is a feature number (from 1),
    shown as « objet n° N » rather than as a line of the file."""

    def add(
        self, found: str, expected: str, line: int | None = None, column: str | None = None
    ) -> None:
        if line is not None:
            found = f"{found} (objet n° {line})"
        super().add(found, expected, None, column)


# -- reading ----------------------------------------------------------------------------------
def load_geojson(path: str | Path) -> dict:
    """Parse a GeoJSON file (``.geojson``, ``.json`` or gzipped ``.gz``) and check it is a
    non-empty FeatureCollection. JSON syntax errors name the line and the character."""
    path = Path(path)
    if path.suffix.lower() == ".gz":
        compressed = read_bounded(path)  # regular, under the size cap
        try:
            raw = gunzip_bounded(compressed, path.name)  # nor a « gzip bomb »
        except (OSError, EOFError):
            raise DataError(
                Issue(path.name, "un fichier .gz illisible", "un GeoJSON compressé par gzip")
            ) from None
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            line = raw.count(b"\n", 0, exc.start) + 1
            raise DataError(
                Issue(path.name, "un caractère non UTF-8", "un GeoJSON encodé en UTF-8", line)
            ) from None
    else:
        text = read_text(path)
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        what = next(
            (fr for en, fr in _JSON_MESSAGES.items() if exc.msg.startswith(en)), quote(exc.msg)
        )
        raise DataError(
            Issue(
                path.name,
                f"une erreur de syntaxe JSON au caractère {exc.colno} : {what}",
                "un fichier GeoJSON bien formé",
                line=exc.lineno,
            )
        ) from None
    expected = "un GeoJSON de type « FeatureCollection » avec une liste « features »"
    if not isinstance(data, dict):
        raise DataError(
            Issue(path.name, f"un document JSON de type {type(data).__name__}", expected)
        )
    kind = data.get("type")
    if kind == "Topology":
        raise DataError(
            Issue(
                path.name,
                "un fichier TopoJSON (type « Topology »)",
                expected + " (convertissez-le, par exemple avec mapshaper : -o format=geojson)",
            )
        )
    if kind != "FeatureCollection" or not isinstance(data.get("features"), list):
        raise DataError(Issue(path.name, f"un objet de type {quote(kind)}", expected))
    if not data["features"]:
        raise DataError(Issue(path.name, "une collection sans aucun objet", "au moins un objet"))
    return data


def parse_features(
    features: list,
    issues: FeatureIssueCollector,
    properties: list[str],
    required: list[str],
    numbers: Sequence[int] | None = None,
) -> tuple[pd.DataFrame, np.ndarray]:
    """Properties of the features (as text, one column per name in ``properties``) and the
    array of their shapely geometries. Records an issue for a feature that is not an object,
    has no Polygon/MultiPolygon geometry, lacks a required property, or has coordinates that
    are not longitude/latitude degrees (WGS84). ``numbers``: the feature numbers shown in
    messages (1, 2, … by default), when ``features`` is a selection of the file's features."""
    numbers = list(numbers) if numbers is not None else list(range(1, len(features) + 1))
    rows: list[dict] = []
    geoms: list = []
    for i, feat in zip(numbers, features, strict=True):
        if len(issues.issues) >= 50:
            break
        if not isinstance(feat, dict):
            issues.add(quote(feat), "un objet GeoJSON « Feature »", line=i)
            rows.append(dict.fromkeys(properties, ""))
            geoms.append(None)
            continue
        props = feat.get("properties") or {}
        row = {name: _property_text(props.get(name)) for name in properties}
        for name in required:
            if row[name] == "":
                names = ", ".join(list(props)[:15]) or "aucune"
                issues.add(
                    f"aucune valeur pour la propriété « {name} » (propriétés présentes : {names})",
                    f"une propriété « {name} » renseignée",
                    line=i,
                    column=name,
                )
        geom = feat.get("geometry")
        gtype = geom.get("type") if isinstance(geom, dict) else None
        if gtype not in POLYGON_TYPES:
            found = "un objet sans géométrie" if geom is None else f"une géométrie {quote(gtype)}"
            issues.add(found, "une géométrie Polygon ou MultiPolygon", line=i)
            geoms.append(None)
        else:
            try:
                g = shape(geom)
            except (
                ValueError,
                TypeError,
                IndexError,
                AttributeError,
                shapely.errors.GEOSException,
            ):
                issues.add(
                    "des coordonnées mal formées",
                    "des anneaux de paires [longitude, latitude]",
                    line=i,
                )
                g = None
            else:
                if g.is_empty:
                    issues.add("une géométrie vide", "au moins un polygone", line=i)
            geoms.append(g)
        rows.append(row)
    frame = pd.DataFrame(rows, columns=properties, dtype="str")
    arr = object_array(geoms)
    bounds = shapely.bounds(arr)
    outside = (np.abs(bounds[:, [0, 2]]) > 180).any(axis=1) | (np.abs(bounds[:, [1, 3]]) > 90).any(
        axis=1
    )
    for i in np.flatnonzero(outside)[:50]:
        issues.add(
            f"des coordonnées hors des bornes longitude/latitude (x = {bounds[i, 0]:.0f}, "
            f"y = {bounds[i, 1]:.0f} ; fichier en Lambert-93 ?)",
            "des coordonnées WGS84 en degrés (EPSG:4326)",
            line=numbers[int(i)],
        )
    return frame, arr


def object_array(items: list) -> np.ndarray:
    """A 1-d object array of geometries (never broadcast into nested arrays)."""
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


def _feature_code(feat: object, name: str) -> str:
    props = feat.get("properties") if isinstance(feat, dict) else None
    return _property_text(props.get(name)) if isinstance(props, dict) else ""


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while millions of small lists are built (parsing a
    national GeoJSON): it halves the load time. Restores the previous state."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _property_text(value: object) -> str:
    """A property value as text: numbers without a trailing '.0', None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# -- restriction to the loaded communes -------------------------------------------------------
def restrict_to_communes(codes: pd.Series, known: set[str] | None, report: LoadReport) -> pd.Series:
    """Mask of the codes to keep: those in ``known`` (all when ``known`` is None).

    Codes of a département that ``known`` covers but absent from it are listed in
    ``report.unmatched_codes`` (usually another COG vintage: merged communes); codes of other
    départements are simply outside the loaded territory. Both are dropped and counted.
    """
    if known is None:
        return pd.Series(True, index=codes.index)
    codes = codes.astype("string")
    keep = codes.isin(known).fillna(False).astype(bool)
    deps = set(departement_of(pd.Series(sorted(known), dtype="string")).dropna())
    same_dep = departement_of(codes).isin(deps).fillna(False).astype(bool)
    unknown = ~keep & same_dep
    outside = ~keep & ~same_dep
    report.drop(REASON_OUTSIDE, int(outside.sum()), codes[outside].drop_duplicates().head(5))
    report.drop(REASON_UNKNOWN, int(unknown.sum()), codes[unknown].drop_duplicates().head(5))
    for code in sorted(set(codes[unknown]) - set(report.unmatched_codes)):
        report.unmatched_codes.append(code)
    return keep


# -- geometry helpers -------------------------------------------------------------------------
def round_coordinates(geoms: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    """Round every coordinate (vectorised over an array of geometries)."""
    return shapely.transform(np.asarray(geoms, dtype=object), lambda c: np.round(c, decimals))


def orient_for_vega(geoms: np.ndarray) -> np.ndarray:
    """Exterior rings clockwise, holes counter-clockwise (Vega/d3-geo spherical convention).

    Same result as ``shapely.geometry.polygon.orient(p, sign=-1.0)`` on every polygon.
    """
    geoms = np.asarray(geoms, dtype=object)
    if hasattr(shapely, "orient_polygons"):  # shapely >= 2.1, vectorised
        return shapely.orient_polygons(geoms, exterior_cw=True)
    out = np.empty(len(geoms), dtype=object)  # pragma: no cover - shapely 2.0
    for i, g in enumerate(geoms):  # pragma: no cover
        if isinstance(g, Polygon):
            out[i] = orient(g, sign=-1.0)
        elif isinstance(g, MultiPolygon):
            out[i] = MultiPolygon([orient(p, sign=-1.0) for p in g.geoms])
        else:
            out[i] = g
    return out


def prepare_for_map(geoms: np.ndarray, decimals: int = DECIMALS) -> np.ndarray:
    """Round the coordinates, then rewind the rings (rounding may flip a tiny ring)."""
    return orient_for_vega(round_coordinates(geoms, decimals))


def geometry_mapping(geom) -> dict:
    """GeoJSON mapping of a (Multi)Polygon with plain lists of [lon, lat]."""
    polygons = _polygons(geom)
    coords = [
        [np.asarray(r.coords)[:, :2].tolist() for r in (p.exterior, *p.interiors)] for p in polygons
    ]
    if len(coords) == 1:
        return {"type": "Polygon", "coordinates": coords[0]}
    return {"type": "MultiPolygon", "coordinates": coords}


def _polygons(geom) -> list[Polygon]:
    if isinstance(geom, Polygon):
        return [geom] if not geom.is_empty else []
    if hasattr(geom, "geoms"):  # MultiPolygon or GeometryCollection from a union
        return [p for g in geom.geoms for p in _polygons(g)]
    return []


def signed_area(ring: list) -> float:
    """Shoelace signed area of a ring in the (lon, lat) plane: > 0 counter-clockwise."""
    xy = np.asarray(ring, dtype=float)[:, :2]
    x, y = xy[:, 0], xy[:, 1]
    return float((x * np.roll(y, -1) - np.roll(x, -1) * y).sum() / 2)


def feature_collection(features: list[dict]) -> dict:
    return {"type": "FeatureCollection", "features": features}


# -- communes ---------------------------------------------------------------------------------
def read_communes_geojson(
    path: str | Path,
    communes: set[str] | None = None,
    code_property: str = "code",
    name_property: str = "nom",
    merged: Mapping[str, str] | None = None,
) -> tuple[dict, LoadReport]:
    """Commune boundaries as a FeatureCollection ready for Altair (see the module docstring).

    ``communes``: the codes of the loaded territory (arrondissements folded, as in
    :class:`~territoire_lib.geo.Geography`). ``merged``: former code → current code of the
    communes merged since (the referential's ``anciens_codes.csv``, or the manifest's
    ``fusions``): a file on an older COG gets the polygons of a commune nouvelle joined into
    one. Features of other codes are dropped and counted; communes without a feature are a
    warning of the report (the map leaves them blank, with a caption), not fatal.
    """
    path = Path(path)
    report = LoadReport("Contours des communes", path.name)
    with gc_paused():
        data = load_geojson(path)
        feats = data["features"]
        report.rows_read = len(feats)
        issues = FeatureIssueCollector(path)
        codes = pd.Series([_feature_code(f, code_property) for f in feats], dtype="string")
        objects = pd.Series(np.arange(1, len(codes) + 1))
        # only the features of the loaded départements are parsed (a national file holds
        # 35,000 communes); malformed codes are always parsed, to be reported
        if communes is None:
            selected = pd.Series(True, index=codes.index)
        else:
            folded = fold_arrondissements(codes)
            deps = set(departement_of(pd.Series(sorted(communes), dtype="string")).dropna())
            selected = (
                ~valid_commune_codes(codes)
                | folded.isin(communes).fillna(False).astype(bool)
                | departement_of(folded).isin(deps).fillna(False).astype(bool)
            )
        index = np.flatnonzero(selected.to_numpy())
        props, geoms = parse_features(
            [feats[k] for k in index],
            issues,
            [code_property, name_property],
            [code_property],
            numbers=index + 1,
        )
        issues.raise_if_any()
        check_commune_codes(codes, issues, code_property, objects)
        dup = codes.duplicated(keep="first")
        first = objects.groupby(codes).transform("first")
        for idx in dup[dup].index[:50]:
            issues.add(
                f"le code {quote(codes[idx])} en double (déjà objet n° {int(first[idx])})",
                "un seul objet par commune",
                line=int(objects[idx]),
                column=code_property,
            )
        issues.raise_if_any()
        outside = codes[~selected]
        report.drop(REASON_OUTSIDE, len(outside), outside.head(5))
        return _communes_collection(
            props, geoms, communes, code_property, name_property, report, merged
        )


def _communes_collection(
    props: pd.DataFrame,
    geoms: np.ndarray,
    communes: set[str] | None,
    code_property: str,
    name_property: str,
    report: LoadReport,
    merged: Mapping[str, str] | None = None,
) -> tuple[dict, LoadReport]:
    codes = props[code_property].astype("string")
    names = props[name_property].astype("string")
    names = names.where(names != "", codes)
    codes, names, geoms = _merge_arrondissements(codes, names, geoms, report)
    if merged:
        codes, names, geoms = _merge_former_communes(codes, names, geoms, merged, communes, report)

    keep = restrict_to_communes(codes, communes, report)
    codes, names, geoms = codes[keep], names[keep], geoms[keep.to_numpy()]
    if communes is not None:
        missing = sorted(set(communes) - set(codes))
        if missing:
            shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
            report.warn(
                f"{fmt_int(len(missing))} commune(s) sans contour : les cartes les laissent en "
                f"blanc, avec une mention sous la carte ({shown})"
            )

    order = np.argsort(codes.to_numpy(), kind="stable")
    geoms = prepare_for_map(geoms[order])
    features = [
        {
            "type": "Feature",
            "properties": {"code": str(c), "nom": str(n)},
            "geometry": geometry_mapping(g),
        }
        for c, n, g in zip(codes.iloc[order], names.iloc[order], geoms, strict=True)
    ]
    report.rows_kept = len(features)
    return feature_collection(features), report


def _merge_arrondissements(
    codes: pd.Series, names: pd.Series, geoms: np.ndarray, report: LoadReport
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Union the PLM arrondissement features into one feature per parent commune.

    When the parent commune already has its own feature, the arrondissements are dropped.
    """
    codes = codes.reset_index(drop=True)
    names = names.reset_index(drop=True)
    arr = is_arrondissement(codes)
    if not arr.any():
        return codes, names, geoms
    parents = fold_arrondissements(codes)
    present = set(codes[~arr])
    redundant = arr & parents.isin(present)
    if redundant.any():
        report.drop(
            "arrondissement déjà couvert par le contour de sa commune",
            int(redundant.sum()),
            codes[redundant].head(5),
        )
    merge = arr & ~redundant
    keep_rows = ~arr
    out_codes = list(codes[keep_rows])
    out_names = list(names[keep_rows])
    out_geoms = list(geoms[keep_rows.to_numpy()])
    for parent, idx in parents[merge].groupby(parents[merge]).groups.items():
        parts = geoms[np.asarray(idx)]
        try:
            union = shapely.union_all(parts)
        except shapely.errors.GEOSException:  # invalid input rings: keep them side by side
            union = MultiPolygon([p for g in parts for p in _polygons(g)])
        out_codes.append(str(parent))
        out_names.append(PLM_NAMES.get(str(parent), str(parent)))
        out_geoms.append(union)
        report.note(
            f"{PLM_NAMES.get(str(parent), parent)} : {len(idx)} arrondissement(s) fusionné(s) "
            f"en une commune ({parent})"
        )
    return (
        pd.Series(out_codes, dtype="string"),
        pd.Series(out_names, dtype="string"),
        object_array(out_geoms),
    )


def _merge_former_communes(
    codes: pd.Series,
    names: pd.Series,
    geoms: np.ndarray,
    merged: Mapping[str, str],
    communes: set[str] | None,
    report: LoadReport,
) -> tuple[pd.Series, pd.Series, np.ndarray]:
    """Join the polygons of communes merged since the file's COG into their current commune.

    A feature is absorbed when its code is a former code (``merged``) and is not itself a
    commune of the loaded territory; its polygons are unioned with those of the current
    commune (and of the other communes absorbed with it), in one vectorised union.
    """
    codes = codes.reset_index(drop=True)
    names = names.reset_index(drop=True)
    target = codes.map(pd.Series(merged, dtype="string")).astype("string")
    absorbed = target.notna().to_numpy(dtype=bool, copy=True)
    if communes is not None:
        known = codes.isin(communes).fillna(False).to_numpy()
        absorbed = absorbed & ~known & target.isin(communes).fillna(False).to_numpy(dtype=bool)
    if not absorbed.any():
        return codes, names, geoms
    new_code = codes.where(~absorbed, target)
    groups = new_code[new_code.isin(set(target[absorbed]))]
    # one row per current commune, its parts side by side (None-padded): union along axis 1
    rank = groups.groupby(groups, sort=True).cumcount().to_numpy()
    keys = sorted(set(groups))
    row = pd.Index(keys).get_indexer(groups)
    table = np.full((len(keys), int(rank.max()) + 1), None, dtype=object)
    table[row, rank] = geoms[groups.index.to_numpy()]
    try:
        unions = shapely.union_all(table, axis=1)
    except shapely.errors.GEOSException:  # invalid rings: keep the parts side by side
        unions = object_array(
            [MultiPolygon([p for g in r if g is not None for p in _polygons(g)]) for r in table]
        )
    own = dict(zip(codes[~absorbed], names[~absorbed], strict=True))
    first_name = names[absorbed].groupby(target[absorbed]).first()
    keep = ~new_code.isin(keys).to_numpy()
    out_codes = pd.concat([codes[keep], pd.Series(keys, dtype="string")], ignore_index=True)
    out_names = pd.concat(
        [
            names[keep],
            pd.Series([own.get(k, first_name.get(k, k)) for k in keys], dtype="string"),
        ],
        ignore_index=True,
    )
    out_geoms = object_array([*geoms[keep], *unions])
    pairs = sorted(zip(codes[absorbed], names[absorbed], target[absorbed], strict=True))
    shown = ", ".join(f"{old} ({name}) → {new}" for old, name, new in pairs[:8])
    more = f" et {len(pairs) - 8} autre(s)" if len(pairs) > 8 else ""
    report.warn(
        f"contours d'un millésime antérieur du COG : {fmt_int(len(pairs))} commune(s) "
        f"fusionnée(s) depuis, réunie(s) au contour de leur commune actuelle : {shown}{more}"
    )
    return out_codes, out_names, out_geoms


def simplify(collection: dict, tolerance: float) -> dict:
    """A simplified copy of a FeatureCollection (``tolerance`` in degrees; 0.001 ≈ 100 m).

    Topology is preserved within each feature (no self-intersection), not across features:
    neighbouring communes may show thin gaps at large tolerances. Rings are rewound again.
    The input collection is not modified.
    """
    if not tolerance >= 0:
        raise ValueError(f"tolérance de simplification invalide : {tolerance!r} (attendu ≥ 0)")
    feats = collection.get("features", [])
    geoms = object_array([shape(f["geometry"]) for f in feats])
    geoms = prepare_for_map(shapely.simplify(geoms, tolerance, preserve_topology=True))
    return feature_collection(
        [
            {**f, "properties": dict(f.get("properties") or {}), "geometry": geometry_mapping(g)}
            for f, g in zip(feats, geoms, strict=True)
        ]
    )


__all__ = [
    "FeatureIssueCollector",
    "feature_collection",
    "gc_paused",
    "geometry_mapping",
    "load_geojson",
    "object_array",
    "orient_for_vega",
    "parse_features",
    "prepare_for_map",
    "read_communes_geojson",
    "restrict_to_communes",
    "round_coordinates",
    "signed_area",
    "simplify",
]
