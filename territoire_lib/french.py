"""French formatting of numbers, amounts, shares, dates and plain-text tables: one place for
every module.

Thousands are separated by a narrow no-break space (U+202F), decimals by a comma; the euro
sign and the percent sign are joined by a no-break space so they never wrap onto a new line.
Missing values (None, NaN) are written ``missing`` (« n.d. » by default).

Layer « socle »: imports nothing from the library.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from typing import Any

NNBSP = "\u202f"  # thousands separator, and before « % »
NBSP = "\u00a0"  # before « € »
MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(float(value))
    except (TypeError, ValueError):
        return False


def number(value: Any, decimals: int = 0, missing: str = "n.d.") -> str:
    """1234.5 → « 1 234,5 » with ``decimals`` digits after the comma."""
    if is_missing(value):
        return missing
    text = f"{float(value):,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", NNBSP)


def auto_decimals(value: float) -> int:
    """0 for a whole number, else 1 or 2 as the value needs."""
    v = float(value)
    if v.is_integer():
        return 0
    return 1 if round(v, 1) == round(v, 2) else 2


def auto_number(value: Any, missing: str = "n.d.") -> str:
    """« 12 », « 12,5 », « 12,25 »: no useless zero."""
    if is_missing(value):
        return missing
    return number(value, auto_decimals(value))


def euros(value: Any, decimals: int | None = None, missing: str = "n.d.") -> str:
    """« 183 000 € »; ``decimals`` None: none for whole amounts, else 2."""
    if is_missing(value):
        return missing
    if decimals is None:
        decimals = 0 if float(value).is_integer() else 2
    return f"{number(value, decimals)}{NBSP}€"


def share_percent(share: Any, decimals: int = 0, missing: str = "n.d.") -> str:
    """A share as a percentage: 0.456 → « 46 % »."""
    if is_missing(share):
        return missing
    return f"{number(100 * float(share), decimals)}{NNBSP}%"


def points(gap: float) -> str:
    """French agreement: « point » below 2 in absolute value, « points » from 2."""
    return "point" if abs(round(gap, 1)) < 2 else "points"


def long_date(d: dt.date) -> str:
    """1 September 2025 → « 1er septembre 2025 »."""
    day = "1er" if d.day == 1 else str(d.day)
    return f"{day} {MONTHS[d.month - 1]} {d.year}"


def render_table(
    headers: Sequence[str], rows: Sequence[Sequence[str]], right: Sequence[int] = ()
) -> str:
    """A plain-text table: columns padded to their widest cell; `right` = right-aligned."""
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(headers)]

    def line(cells: Sequence[str]) -> str:
        out = [
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(out).rstrip()

    sep = "  ".join("─" * w for w in widths)
    return "\n".join([line(headers), sep, *(line(r) for r in rows)])
