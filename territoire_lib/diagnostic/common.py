"""Words and small helpers shared by the diagnostic's submodules: the texts shown for a
secret, missing or to-be-checked value, the French names of the levels and of the FRR
classes, a label with its unit, a missing-value test, the source line of a chart.

The lowest module of :mod:`territoire_lib.diagnostic`. Layer « diagnostic »; imports only
numpy and pandas.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

FRR_CLASSES = ("frr", "frr_plus", "partiel")
FRR_LABELS = {
    "frr": "FRR",
    "frr_plus": "FRR+",
    "partiel": "FRR (partiellement)",
    "beneficiaire": "ex-ZRR bénéficiaire",
    "non": "non",
}
SECRET_TEXT = "secret"
MISSING_TEXT = "n.d."
VERIFY_TEXT = "à vérifier"
LEVEL_NAMES = {
    "commune": "commune",
    "epci": "EPCI",
    "departement": "département",
    "region": "région",
    "perimetre": "périmètre",
}


def label_with_unit(label: str, unit: str) -> str:
    """« Taux de couverture global (places pour 100 enfants) »; the unit is not repeated when
    the label already holds it."""
    if not unit or unit in label:
        return label
    return f"{label} ({unit})"


def _nan(x: Any) -> bool:
    if x is None or x is pd.NA:
        return True
    try:
        return bool(np.isnan(float(x)))
    except (TypeError, ValueError):
        return False


def _source_line(text: str, fictional: bool) -> str:
    return f"{text} (données fictives)" if fictional else text
