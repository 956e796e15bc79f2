"""Shared vocabulary of the rules: the error, the statuses of a value, dates, French display.

Owns :class:`RulesError`, the two statuses of a parameter value (« confirmée », « à vérifier »),
the parsing of dates, the French display of dates, numbers, amounts, percentages and parameter
values, and two small checks used by the loader and the formulas (`_is_number`, `_nfc`).

Layer « règles »: imports only the socle (``french``, ``errors``). Every other module of
``rules`` may import it; it imports none of them.
"""

from __future__ import annotations

import datetime as dt
import math
import unicodedata
from typing import Any

from .. import french
from ..errors import TerritoireError, quote

CONFIRMEE = "confirmée"
A_VERIFIER = "à vérifier"
STATUTS = (CONFIRMEE, A_VERIFIER)
NNBSP = french.NNBSP


class RulesError(TerritoireError):
    """A rule cannot be applied: unknown parameter, no value at a date, bad input (French)."""


# --------------------------------------------------------------------------------------------
# French formatting of dates, numbers and parameter values


def parse_date(value: Any, what: str = "date") -> dt.date:
    """A date from a `date`, a `datetime`/`Timestamp` or an AAAA-MM-JJ string (French error)."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            if len(text) == 10 and text[4] == "-" and text[7] == "-":
                return dt.date.fromisoformat(text)
        except ValueError:
            pass
    raise RulesError(
        f"{what} {quote(value)} invalide : attendu une date réelle au format AAAA-MM-JJ "
        "(par exemple 2025-09-01)."
    )


def fmt_date(d: dt.date) -> str:
    """1 September 2025 -> '1er septembre 2025'."""
    return french.long_date(d)


def fmt_nombre(x: float, decimals: int = 2) -> str:
    """1234.5 -> '1 234,50' (narrow no-break space for thousands, comma for decimals)."""
    return french.number(x, decimals, missing="—")


def fmt_euros(x: float, decimals: int = 2) -> str:
    """1234.5 -> '1 234,50 €'."""
    return french.euros(x, decimals, missing="—")


def fmt_pct(x: float, max_decimals: int = 4) -> str:
    """A fraction as a French percentage with no useless zero: 0.000619 -> '0,0619 %'."""
    text = f"{x * 100:.{max_decimals}f}".rstrip("0").rstrip(".")
    return text.replace(".", ",") + " %"


_MODE_LABELS = {
    "paliers": "par paliers",
    "lineaire": "linéaire",
    "cout_par_place_x_part": "taux × coût par place × part d'enfants",
    "cout_par_place": "taux × coût par place",
}


def display_unit(unit: str) -> str:
    """Unit as shown to people: fractions ('/1') are shown as percentages."""
    return "%" if unit == "/1" else unit


def fmt_valeur(value: Any, unit: str) -> str:
    """One parameter value, French format, in its display unit (without the unit)."""
    if value is None:
        return "non documentée"
    if isinstance(value, bool):
        return "oui" if value else "non"
    if isinstance(value, str):
        return _MODE_LABELS.get(value, value)
    if unit == "/1":
        return fmt_pct(value)[:-2]
    if abs(value - round(value)) < 1e-9:
        return fmt_nombre(value, 0)
    if abs(value * 100 - round(value * 100)) < 1e-9:
        return fmt_nombre(value, 2)
    return fmt_nombre(value, 4).rstrip("0")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text).strip()


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x)
