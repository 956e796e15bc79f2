"""French wording of the CTG evaluation: the progress rule as a paragraph
(:func:`rule_text`), statuses with their symbol (:func:`status_label`), percentages, values,
euros and dates, and the small text helpers shared by the report, its tables and its charts.

Layer « évaluation »; imports the socle (:mod:`territoire_lib.french`) and :mod:`.constants`.
"""

from __future__ import annotations

import pandas as pd

from .. import french
from .constants import STATUS_SYMBOLS, TOLERANCE


def pct(share: float, decimals: int = 0) -> str:
    """A share as a French percentage: 0.456 → « 46 % » (narrow no-break space)."""
    return french.share_percent(share, decimals)


def rule_text(tolerance: float = TOLERANCE) -> str:
    """The progress rule in French, for the report and the dashboard."""
    tol = round(100 * tolerance)
    return (
        "Règle d'avancement. Pour chaque indicateur, la part de l'objectif atteinte est "
        "(valeur réalisée − valeur de référence) / (cible − valeur de référence) : 0 % à la "
        "valeur de référence, 100 % à la cible, plus de 100 % au-delà, une part négative si "
        "l'indicateur a évolué dans le mauvais sens. La part attendue croît en ligne droite "
        "de 0 % l'année de référence à 100 % l'année de la cible, lue à l'année de la valeur "
        "réalisée. Un indicateur est « en bonne voie » si sa part atteinte est au plus "
        f"{tol} points sous la part attendue, « à surveiller » jusqu'à {2 * tol} points "
        f"sous elle, « en retard » au-delà. Une cible égale à la valeur de référence est un "
        "objectif de maintien : elle est atteinte à 100 % si la valeur réalisée ne s'en "
        "écarte pas dans le sens défavorable, sinon la part est diminuée de l'écart relatif. "
        "Un axe ou la CTG entière est jugé sur la moyenne des parts atteintes de ses "
        "indicateurs (chacune ramenée entre 0 % et 100 %, pour qu'une avance n'en cache pas "
        "un retard) contre la moyenne des parts attendues, avec la même règle ; un axe qui "
        "compte un indicateur en retard est au mieux « à surveiller ». Le taux d'exécution "
        "du budget est la somme des dépenses divisée par la somme des montants prévus."
    )


def status_label(status: str) -> str:
    """« ✔ en bonne voie », « ⚠ à surveiller »…: readable without colour."""
    return f"{STATUS_SYMBOLS.get(status, '')} {status}".strip()


def fmt_value(value, unit: str = "") -> str:
    """French number, no decimals for whole numbers, else up to two."""
    text = french.auto_number(value)
    return f"{text} {unit}" if unit and text != "n.d." else text


def euros(value) -> str:
    """« 183 000 € » (no-break spaces)."""
    return french.euros(value)


def fmt_date(d) -> str:
    """« 02/09/2024 »; "" when missing."""
    return "" if d is None or pd.isna(d) else f"{d:%d/%m/%Y}"


def _plural(n: int, singular: str, plural: str | None = None) -> str:
    return f"{n} {singular if n < 2 else (plural or singular + 's')}"


def _clip(text: str, width: int) -> str:
    text = str(text)
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


def _signed(points) -> str:
    if points is None or pd.isna(points):
        return "n.d."
    sign = "+" if points > 0 else "−" if points < 0 else ""
    return f"{sign}{french.number(abs(float(points)), 0)} {french.points(float(points))}"
