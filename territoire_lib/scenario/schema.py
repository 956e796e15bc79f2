"""What a scenario file may say: the levers and actions, the hypotheses and co-financings with
their defaults, French labels and sources, the top-level keys; the scenario errors.

Owns the vocabulary every other module of :mod:`territoire_lib.scenario` reads; defines no
behaviour beyond :func:`_deep_copy` of the defaults.

Layer: scénarios (bottom of the package). Imports only the core layer
(:mod:`territoire_lib.errors`); no other module of the package.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import TerritoireError


class ScenarioError(TerritoireError):
    """A scenario cannot be simulated (French message)."""


class ScenarioExistsError(TerritoireError, FileExistsError):
    """The target scenario file exists and overwriting was not asked for (French message)."""


# -- levers ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class LeverKind:
    label: str
    variable: str | None  # place variable it changes (None: no places)
    under3: bool  # counts in the taux de couverture (children under 3)
    funding: str  # eaje | alsh | none


LEVERS: dict[str, LeverKind] = {
    "creche_psu": LeverKind("Crèche PSU (multi-accueil)", "places_eaje_psu", True, "eaje"),
    "micro_creche_paje": LeverKind("Micro-crèche PAJE", "places_eaje_hors_psu", True, "none"),
    "mam": LeverKind(
        "Maison d'assistants maternels (MAM)", "places_assistantes_maternelles", True, "none"
    ),
    "assistantes_maternelles": LeverKind(
        "Assistantes maternelles", "places_assistantes_maternelles", True, "none"
    ),
    "alsh": LeverKind("Accueil de loisirs (ALSH)", "places_alsh", False, "alsh"),
    "rpe": LeverKind("Relais petite enfance (RPE)", None, False, "none"),
}
ACTIONS = ("ouvrir", "fermer")
LEVER_COLUMNS = [
    "levier",
    "commune",
    "annee",
    "action",
    "places",
    "assistantes",
    "nom",
    "cout_par_place",
    "investissement_par_place",
    "taux_occupation",
    "taux_facturation",
    "participation_horaire",
    "gestionnaire",
    "en_qpv",
    "ligne",
    "rang",
]
_LEVER_KEYS = [c for c in LEVER_COLUMNS if c not in ("ligne", "rang")]
PLACE_MODES = [k for k, v in LEVERS.items() if v.variable]

# -- hypotheses -----------------------------------------------------------------------------------
DEFAULT_HYPOTHESES: dict[str, Any] = {
    "taux_occupation": 0.622,
    "taux_facturation": 1.08,
    "heures_ouverture_an": 2475.0,
    "cout_par_place": {"creche_psu": 16000.0},
    "investissement_par_place": {},
    "participation_horaire": 1.30,
    "ressources_mensuelles": None,
    "couches_repas": True,
    "gestionnaire": "public",
    "ctg": True,
    "tranche_territoire": "autre",
    "bonus_attractivite": False,
    "part_regime_general": 1.0,
    "part_enfants_handicap": 0.0,
    "part_enfants_bas_revenus": {
        "creche_psu": 0.18,
        "micro_creche_paje": 0.05,
        "assistantes_maternelles": 0.06,
        "garde_domicile": 0.04,
    },
    "places_par_assistante": 3.5,
    "alsh": {
        "heures_par_place": 800.0,
        "cout_horaire": 4.0,
        "participation_horaire": 0.8,
        "plan_mercredi": False,
        "part_heures_mercredi": 0.4,
    },
    "croissance_naissances": None,
    "revalorisation_couts": 0.0,
    "places_alsh_existantes": {},
    "rpe_existants": [],
}
DEFAULT_COFINANCEMENTS: dict[str, Any] = {"autres_par_place": {}, "part_commune": 1.0}

HYPOTHESIS_LABELS = {
    "taux_occupation": "taux d'occupation des EAJE (heures réalisées / heures ouvertes)",
    "taux_facturation": "taux de facturation des EAJE (heures facturées / heures réalisées ; "
    "la PSU est versée sur les heures facturées)",
    "heures_ouverture_an": "heures d'ouverture par an et par place",
    "cout_par_place": "coût de fonctionnement par place et par an",
    "investissement_par_place": "coût d'investissement par place nouvelle",
    "participation_horaire": "participation familiale horaire moyenne en EAJE",
    "ressources_mensuelles": "ressources mensuelles moyennes des familles",
    "couches_repas": "couches et repas fournis par le gestionnaire",
    "gestionnaire": "gestionnaire (public ou privé)",
    "ctg": "CTG signée (bonus territoire)",
    "tranche_territoire": "tranche du bonus territoire hors QPV et FRR",
    "bonus_attractivite": "revalorisation salariale ouvrant le bonus attractivité",
    "part_regime_general": "part de ressortissants du régime général",
    "part_enfants_handicap": "part des places d'EAJE occupées par des enfants en situation de "
    "handicap (bénéficiaires de l'AEEH ou, depuis 2020, suivis par une PCO, un CAMSP, un "
    "SESSAD ou un SAFEP, ou avec une attestation hospitalière ou de PMI ; bonus inclusion "
    "handicap)",
    "part_enfants_bas_revenus": "part des places occupées par des enfants de familles à bas "
    "revenus, par mode",
    "places_par_assistante": "places par assistante maternelle",
    "alsh": "accueil de loisirs : heures par place, coût horaire, participation, Plan mercredi",
    "croissance_naissances": "taux de croissance annuel des naissances (ou des 0-2 ans)",
    "revalorisation_couts": "revalorisation annuelle des coûts",
    "places_alsh_existantes": "places d'ALSH existantes par commune",
    "rpe_existants": "communes disposant déjà d'un relais petite enfance",
    "autres_par_place": "cofinancements d'autres financeurs par place et par an",
    "part_commune": "part du reste à charge payée par la commune",
}
# defaults backed by a source; the others, when used, are listed « à vérifier »
HYPOTHESIS_SOURCES = {
    "taux_occupation": "taux d'occupation réel des EAJE hors micro-crèches, 62,2 % des heures "
    "ouvertes (réponse ministérielle, nosdeputes.fr)",
    "taux_facturation": "taux de facturation 108 % : écart mesuré par la Cnaf entre heures "
    "payées par les familles et heures réalisées (prix de revient de 7,7 € par heure payée et "
    "de 8,3 € par heure réalisée : 8,3 / 7,7 ≈ 1,08 ; l'e-ssentiel n° 61, 2007, données 2004, "
    "via banquedesterritoires.fr « Quel est le prix de revient d'une heure de garde en "
    "crèche ? ») ; mesure ancienne, à remplacer par le taux déclaré à la CAF",
    "cout_par_place.creche_psu": "coût moyen d'une place de crèche, 16 000 € par an (circulaire "
    "CNAF 2021-004)",
    "part_enfants_bas_revenus": "parts d'enfants de familles à bas revenus parmi les enfants "
    "accueillis en 2022 (evaluation.securite-sociale.fr)",
}
_UNSOURCED_DEFAULTS = {
    "heures_ouverture_an": "2 475 heures d'ouverture par an (11 h × 225 jours)",
    "participation_horaire": "participation familiale moyenne 1,30 €/h",
    "places_par_assistante": "3,5 places par assistante maternelle",
    "alsh": "ALSH : 800 heures par place, 4 €/h de coût, 0,80 €/h payés par les familles",
}

# -- bounds of the numbers a scenario holds -------------------------------------------------------
# Checked by validate.py (a value out of bounds is a French issue naming its key and its line):
# no infinite or absurd value reaches the simulation (10¹² places, 1e308 € would print
# « inf € »). key → (low, high, strict_low, what is expected); a None bound is open.
Bound = tuple[float | None, float | None, bool, str]
MAX_PLACES_PER_LEVER = 5_000  # the largest crèches have about 150 places, an ALSH a few hundred
MAX_ASSISTANTES_PER_LEVER = 1_000
MAX_AMOUNT_PER_PLACE = 200_000.0  # € per place and year (a crèche place costs about 16 000 €)
MAX_INVESTMENT_PER_PLACE = 500_000.0  # € per new place (about 20 000 to 40 000 €)
MAX_HOURLY = 50.0  # € per hour (the PSU ceiling price is about 8 to 12 €/h)
MAX_MONTHLY_INCOME = 100_000.0  # € per month (the Cnaf ceiling of resources is about 7 000 €)
MAX_EXISTING_PLACES = 100_000  # places of a commune (Paris has about 60 000 childcare places)
HYPOTHESIS_BOUNDS: dict[str, Bound] = {
    "taux_occupation": (0, 1, True, "un taux entre 0 et 1 (0.70 pour 70 %)"),
    "taux_facturation": (0, 3, True, "un taux positif jusqu'à 3 (1.08 pour 108 %)"),
    "heures_ouverture_an": (0, 8784, True, "un nombre d'heures par an de 1 à 8 784 (ex. 2475)"),
    "participation_horaire": (0, MAX_HOURLY, False, "un montant de 0 à 50 €/h"),
    "ressources_mensuelles": (0, MAX_MONTHLY_INCOME, True, "un montant de 0 à 100 000 €/mois"),
    "part_regime_general": (0, 1, False, "une part entre 0 et 1"),
    "part_enfants_handicap": (0, 1, False, "une part entre 0 et 1 (0.03 pour 3 %)"),
    "places_par_assistante": (0, 6, True, "un nombre de places entre 0 et 6"),
    "revalorisation_couts": (-0.5, 0.5, False, "un taux annuel (0.02 pour +2 % par an)"),
}
# per-place amounts by mode (hypotheses cout_par_place, investissement_par_place; the
# co-financings autres_par_place)
AMOUNT_BOUNDS: dict[str, Bound] = {
    "cout_par_place": (
        0,
        MAX_AMOUNT_PER_PLACE,
        True,
        "un coût de 0 à 200 000 € par place et par an",
    ),
    "investissement_par_place": (
        0,
        MAX_INVESTMENT_PER_PLACE,
        False,
        "un coût de 0 à 500 000 € par place",
    ),
    "autres_par_place": (
        0,
        MAX_AMOUNT_PER_PLACE,
        False,
        "un montant de 0 à 200 000 € par place et par an",
    ),
}
ALSH_BOUNDS: dict[str, Bound] = {
    "heures_par_place": (
        0,
        8784,
        True,
        "un nombre d'heures-enfants par place et par an, au plus 8 784",
    ),
    "cout_horaire": (0, MAX_HOURLY, True, "un coût de 0 à 50 €/h"),
    "participation_horaire": (0, MAX_HOURLY, False, "un montant de 0 à 50 €/h"),
    "part_heures_mercredi": (0, 1, False, "une part entre 0 et 1"),
}
# the optional numbers of one lever (its own cost, rates, family participation)
LEVER_BOUNDS: dict[str, Bound] = {
    "cout_par_place": AMOUNT_BOUNDS["cout_par_place"],
    "investissement_par_place": AMOUNT_BOUNDS["investissement_par_place"],
    "taux_occupation": HYPOTHESIS_BOUNDS["taux_occupation"],
    "taux_facturation": HYPOTHESIS_BOUNDS["taux_facturation"],
    "participation_horaire": HYPOTHESIS_BOUNDS["participation_horaire"],
}
SHARE_BOUND: Bound = (0, 1, False, "une part entre 0 et 1")
GROWTH_BOUND: Bound = (-0.5, 0.5, False, "un taux annuel entre -0.5 et 0.5 (0.01 pour +1 % par an)")
EXISTING_PLACES_BOUND: Bound = (0, MAX_EXISTING_PLACES, False, "un nombre de places de 0 à 100 000")
YEAR_BOUND = (1990, 2100)

TOP_KEYS = [
    "nom",
    "description",
    "territoire",
    "source",
    "annee_base",
    "horizon",
    "hypotheses",
    "cofinancements",
    "leviers",
]
_REQUIRED_TOP = ["nom", "territoire", "annee_base", "horizon"]
_ALSH_KEYS = list(DEFAULT_HYPOTHESES["alsh"])
_SHARE_KEYS = [
    "creche_psu",
    "micro_creche_paje",
    "assistantes_maternelles",
    "mam",
    "garde_domicile",
]


def _deep_copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _deep_copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_deep_copy(v) for v in value]
    return value
