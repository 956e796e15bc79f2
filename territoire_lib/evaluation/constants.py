"""The words of the CTG evaluation: statuses of the progress rule and their symbols, the
default tolerance, the favourable directions (« hausse », « baisse ») and how they are
spelled, the columns of a progress frame, and the statuses of a fiche action.

The lowest module of :mod:`territoire_lib.evaluation`: every other submodule (the charts
included) reads its constants here. Layer « évaluation »; imports only the standard library.
"""

from __future__ import annotations

import unicodedata

TOLERANCE = 0.10  # 10 points of share: the documented default of the status rule

ON_TRACK = "en bonne voie"
AT_RISK = "à surveiller"
LATE = "en retard"
NO_VALUE = "non renseigné"
NOT_EVALUABLE = "non évaluable"
STATUSES = (ON_TRACK, AT_RISK, LATE, NO_VALUE, NOT_EVALUABLE)
# a symbol with each status: it reads without colour (projector, print, colour blindness)
STATUS_SYMBOLS = {ON_TRACK: "✔", AT_RISK: "⚠", LATE: "✖", NO_VALUE: "?", NOT_EVALUABLE: "–"}
CAP = (0.0, 1.0)  # shares achieved are capped to this range before a roll-up

UP = "hausse"
DOWN = "baisse"
_DIRECTIONS = {
    "hausse": UP,
    "hausse_favorable": UP,
    "augmentation": UP,
    "croissant": UP,
    "increase": UP,
    "up": UP,
    "+": UP,
    "baisse": DOWN,
    "baisse_favorable": DOWN,
    "diminution": DOWN,
    "decroissant": DOWN,
    "decrease": DOWN,
    "down": DOWN,
    "-": DOWN,
}

# Columns of a progress frame (inputs), as produced by the plan service
INPUT_COLUMNS = {
    "baseline": "valeur_reference",
    "baseline_year": "annee_reference",
    "target": "cible",
    "target_year": "annee_cible",
    "realised": "valeur_realisee",
    "realised_year": "annee_realisee",
    "direction": "sens",
}
OUTPUT_COLUMNS = ["part_atteinte", "part_attendue", "ecart_points", "statut", "motif"]


# Statuses of a fiche action (as stored in the plan) that the fiche-level rules read
DONE = "réalisée"
DROPPED = "abandonnée"
NOT_STARTED = "à lancer"


# -- helpers ------------------------------------------------------------------------------------
def _fold(text: object) -> str:
    t = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode()
    return t.strip().lower()
