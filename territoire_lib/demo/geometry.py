"""Contours of the demo: ``communes-96-demo.geojson`` in the france-geojson format.

Owns the rings drawn along the shared lattice of :class:`~.model.DemoModel` (adjacent
communes share their vertices) and the GeoJSON text, one feature per line.

Layer « données » (demo.*): imports :mod:`.model` only.
"""

from __future__ import annotations

import json

import numpy as np

from .model import DemoModel


def _ring(lattice: np.ndarray, x: int, y: int, w: int, h: int) -> list[list[float]]:
    """Counter-clockwise closed ring along the lattice around a w × h block of cells."""
    x0, y0, x1, y1 = 2 * x, 2 * y, 2 * (x + w), 2 * (y + h)
    path = (
        [(i, y0) for i in range(x0, x1 + 1)]
        + [(x1, j) for j in range(y0 + 1, y1 + 1)]
        + [(i, y1) for i in range(x1 - 1, x0 - 1, -1)]
        + [(x0, j) for j in range(y1 - 1, y0 - 1, -1)]
    )
    return [[float(lattice[i, j, 0]), float(lattice[i, j, 1])] for i, j in path]


def _file_geojson(model: DemoModel) -> bytes:
    """communes-96-demo.geojson: schematic polygons sharing vertices, properties code/nom."""
    c = model.communes
    lines = []
    for code, nom, x, y, w, h in zip(c["code"], c["nom"], c["x"], c["y"], c["w"], c["h"],
                                     strict=True):  # fmt: skip
        feature = {
            "type": "Feature",
            "geometry": {"type": "Polygon", "coordinates": [_ring(model.lattice, x, y, w, h)]},
            "properties": {"code": code, "nom": nom},
        }
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    text = '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"
    return text.encode("utf-8")
