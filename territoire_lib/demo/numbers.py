"""Deterministic numbers of the demo: seeded draws, quantising, rounding, formatting, CSV bytes.

Owns ``_q`` (quantise random or transcendental results so later IEEE arithmetic is
reproducible), ``_rng`` (one generator per section), Cafdata rounding to 5, fixed-point
formatting (numbers are formatted here, never by pandas) and the CSV serialiser.

Layer « données » (demo.*): imports :mod:`.spec` only.
"""

from __future__ import annotations

import csv
import io

import numpy as np

from .spec import SEED


def _q(values, decimals: int = 9):
    """Quantise (random or transcendental) results so later IEEE arithmetic is reproducible."""
    return np.round(np.asarray(values, dtype=float), decimals)


def _rng(section: int) -> np.random.Generator:
    """One independent generator per section, so editing a section leaves the others alone."""
    return np.random.default_rng([SEED, section])


def _round5(values) -> np.ndarray:
    """Cafdata secrecy: round to the nearest multiple of 5 (half up), as integers."""
    return (np.floor(np.asarray(values, dtype=float) / 5 + 0.5) * 5).astype(np.int64)


def _round_to(values, step: float) -> np.ndarray:
    return np.floor(np.asarray(values, dtype=float) / step + 0.5) * step


def _fmt(values, decimals: int, comma: bool = False) -> list[str]:
    """Fixed-point strings, trailing zeros trimmed ('12.50' -> '12.5', '3.0' -> '3')."""
    out = []
    for v in np.asarray(values, dtype=float):
        s = f"{v:.{decimals}f}"
        if decimals:
            s = s.rstrip("0").rstrip(".")
        if s == "-0":
            s = "0"
        out.append(s.replace(".", ",") if comma else s)
    return out


def _fmt_fixed(values, decimals: int, comma: bool = False) -> list[str]:
    """Fixed-point strings with exactly `decimals` decimals ('57.4', '60.0')."""
    out = [f"{v:.{decimals}f}" for v in np.asarray(values, dtype=float)]
    return [s.replace(".", ",") for s in out] if comma else out


def _fmt_int(values) -> list[str]:
    return [str(int(v)) for v in np.asarray(values, dtype=np.int64)]


def _csv(columns: dict[str, list], sep: str, bom: bool = False) -> bytes:
    """Serialise columns of strings (same length) as CSV bytes, `\\n` line ends."""
    header = list(columns)
    rows = zip(*columns.values(), strict=True)
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(header)
    writer.writerows(rows)
    text = buf.getvalue()
    return (("\ufeff" if bom else "") + text).encode("utf-8")
