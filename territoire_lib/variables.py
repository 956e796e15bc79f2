"""The observation variables every loader produces, with their French labels and their
plausibility bounds.

Variables are *summable* counts unless ``summable`` is False (published rates and medians,
kept as references, never summed across communes).

Every variable carries the bounds a value read from a file is checked against
(:mod:`territoire_lib.sources.plausibility` applies them, with the line and the column):
``minimum`` and ``maximum`` (refused outside), ``commune_maximum`` (refused above, on a
commune's row only: a count of France is larger), ``suspicious_above`` (kept but flagged « à
vérifier », where the publisher's own data can exceed it: a coverage rate over 100),
``at_most`` (a variable of the same row it cannot exceed: children under 3 within the
population) and ``residents`` (people or households living in the commune: compared with its
population). ``first_year`` is the first year its publisher published; no year after the
current one is accepted either (:func:`year_range`). The bounds follow from the unit and the
source (:data:`UNIT_BOUNDS`, :data:`FIRST_YEARS`, :data:`AT_MOST`), so a new variable gets
them by its unit; ``data/README.md`` tables them.

Layer « socle »: imports nothing from the library.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    unit: str
    source: str
    summable: bool = True
    # plausibility bounds (filled from the unit and the source: see the module docstring)
    minimum: float | None = None
    maximum: float | None = None
    commune_maximum: float | None = None
    suspicious_above: float | None = None
    at_most: str | None = None
    residents: bool = False
    first_year: int | None = None


_V = Variable
_TX, _PE = "places pour 100 enfants", "Cnaf, Cafdata (Onape)"  # published rates
_RP, _CAF = "Insee, RP", "Cnaf, Cafdata"
VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in [
        # INSEE RP, base infracommunale (IRIS summed to communes)
        _V("pop_totale", "Population", "habitants", "Insee, RP"),
        _V("pop_0_2", "Enfants de 0 à 2 ans", "enfants", "Insee, RP"),
        _V("pop_3_5", "Enfants de 3 à 5 ans", "enfants", "Insee, RP"),
        _V("pop_6_10", "Enfants de 6 à 10 ans", "enfants", "Insee, RP"),
        _V("pop_11_17", "Jeunes de 11 à 17 ans", "jeunes", "Insee, RP"),
        _V("pop_18_24", "Jeunes de 18 à 24 ans", "jeunes", "Insee, RP"),
        _V("pop_65_plus", "Personnes de 65 ans ou plus", "personnes", "Insee, RP"),
        _V("naissances", "Naissances domiciliées", "naissances", "Insee, état civil"),
        # children under 3 on 1 January of ``annee``: the census where it exists, else
        # estimated from the births of the three previous years (demography.estimate_under3)
        _V(
            "enfants_0_2_estimes",
            "Enfants de moins de 3 ans au 1er janvier (estimation)",
            "enfants",
            "Insee, recensement et état civil (estimation)",
        ),
        # INSEE populations légales (``annee`` = millésime, in force on 1 January annee + 3)
        _V(
            "pop_legale_municipale",
            "Population municipale (populations légales)",
            "habitants",
            "Insee, populations légales",
        ),
        _V(
            "pop_legale_comptee_a_part",
            "Population comptée à part (populations légales)",
            "habitants",
            "Insee, populations légales",
        ),
        _V(
            "pop_legale_totale",
            "Population totale (populations légales)",
            "habitants",
            "Insee, populations légales",
        ),
        _V("menages", "Ménages", "ménages", "Insee, RP"),
        _V("familles", "Familles", "familles", "Insee, RP"),
        _V("familles_monoparentales", "Familles monoparentales", "familles", "Insee, RP"),
        _V("couples_avec_enfants", "Couples avec enfant(s)", "familles", "Insee, RP"),
        _V("menages_une_personne", "Ménages d'une personne", "ménages", "Insee, RP"),
        # RP couples-familles-ménages: families by number of children under 25 (C_NE24F…)
        _V("familles_1_enfant", "Familles avec 1 enfant de moins de 25 ans", "familles", _RP),
        _V("familles_2_enfants", "Familles avec 2 enfants de moins de 25 ans", "familles", _RP),
        _V("familles_3_enfants", "Familles avec 3 enfants de moins de 25 ans", "familles", _RP),
        _V(
            "familles_4_enfants_plus",
            "Familles avec 4 enfants ou plus de moins de 25 ans",
            "familles",
            _RP,
        ),
        # RP couples-familles-ménages: people by age and those living alone (P_POP…_PSEUL)
        _V("pop_65_79", "Personnes de 65 à 79 ans", "personnes", _RP),
        _V("pop_80_plus", "Personnes de 80 ans ou plus", "personnes", _RP),
        _V("personnes_seules_65_79", "Personnes de 65 à 79 ans vivant seules", "personnes", _RP),
        _V(
            "personnes_seules_80_plus",
            "Personnes de 80 ans ou plus vivant seules",
            "personnes",
            _RP,
        ),
        # INSEE Filosofi
        _V("menages_fiscaux", "Ménages fiscaux", "ménages", "Insee, Filosofi"),
        _V(
            "personnes_menages_fiscaux",
            "Personnes des ménages fiscaux",
            "personnes",
            "Insee, Filosofi",
        ),
        _V(
            "personnes_pauvres",
            "Personnes sous le seuil de pauvreté (60 %)",
            "personnes",
            "Insee, Filosofi",
        ),
        _V("taux_pauvrete_publie", "Taux de pauvreté publié (60 %)", "%", "Insee, Filosofi", False),
        _V("niveau_vie_median", "Niveau de vie médian", "€", "Insee, Filosofi", False),
        # CAFDATA s_ben_com_f
        _V("allocataires", "Foyers allocataires", "foyers", "Cnaf, Cafdata"),
        _V("personnes_couvertes", "Personnes couvertes", "personnes", "Cnaf, Cafdata"),
        _V("foyers_af", "Foyers percevant les allocations familiales", "foyers", "Cnaf, Cafdata"),
        _V("foyers_cf", "Foyers percevant le complément familial", "foyers", "Cnaf, Cafdata"),
        _V("foyers_asf", "Foyers percevant l'ASF", "foyers", "Cnaf, Cafdata"),
        _V("foyers_paje", "Foyers percevant la PAJE", "foyers", "Cnaf, Cafdata"),
        _V("foyers_ab", "Foyers percevant l'allocation de base PAJE", "foyers", "Cnaf, Cafdata"),
        _V("foyers_cmg", "Foyers percevant le CMG", "foyers", "Cnaf, Cafdata"),
        _V(
            "foyers_aide_logement",
            "Foyers percevant une aide au logement",
            "foyers",
            "Cnaf, Cafdata",
        ),
        _V("foyers_apl", "Foyers percevant l'APL", "foyers", "Cnaf, Cafdata"),
        _V("foyers_als", "Foyers percevant l'ALS", "foyers", "Cnaf, Cafdata"),
        _V("foyers_alf", "Foyers percevant l'ALF", "foyers", "Cnaf, Cafdata"),
        _V("foyers_rsa", "Foyers percevant le RSA", "foyers", "Cnaf, Cafdata"),
        _V("foyers_ppa", "Foyers percevant la prime d'activité", "foyers", "Cnaf, Cafdata"),
        _V("foyers_aah", "Foyers percevant l'AAH", "foyers", "Cnaf, Cafdata"),
        _V("foyers_aeeh", "Foyers percevant l'AEEH", "foyers", "Cnaf, Cafdata"),
        # CAFDATA ndur_s_qf_400_com_f (households by family quotient band)
        _V("allocataires_qf_0_399", "Allocataires, QF < 400 €", "foyers", "Cnaf, Cafdata"),
        _V("allocataires_qf_400_799", "Allocataires, QF 400–799 €", "foyers", "Cnaf, Cafdata"),
        _V("allocataires_qf_800_1199", "Allocataires, QF 800–1 199 €", "foyers", "Cnaf, Cafdata"),
        _V(
            "allocataires_qf_1200_1599", "Allocataires, QF 1 200–1 599 €", "foyers", "Cnaf, Cafdata"
        ),
        _V(
            "allocataires_qf_1600_1999", "Allocataires, QF 1 600–1 999 €", "foyers", "Cnaf, Cafdata"
        ),
        _V(
            "allocataires_qf_2000_3999", "Allocataires, QF 2 000–3 999 €", "foyers", "Cnaf, Cafdata"
        ),
        _V("allocataires_qf_4000_plus", "Allocataires, QF ≥ 4 000 €", "foyers", "Cnaf, Cafdata"),
        _V("allocataires_qf_inconnu", "Allocataires, QF inconnu", "foyers", "Cnaf, Cafdata"),
        # CAFDATA ndur_s_qf_400_qpv_f (households living in a QPV, summed over the QPVs of
        # each commune, by family quotient band)
        *[
            _V(f"allocataires_qpv_{band}", f"Allocataires en QPV, {text}", "foyers", _CAF)
            for band, text in (
                ("qf_0_399", "QF < 400 €"),
                ("qf_400_799", "QF 400–799 €"),
                ("qf_800_1199", "QF 800–1 199 €"),
                ("qf_1200_1599", "QF 1 200–1 599 €"),
                ("qf_1600_1999", "QF 1 600–1 999 €"),
                ("qf_2000_3999", "QF 2 000–3 999 €"),
                ("qf_4000_plus", "QF ≥ 4 000 €"),
                ("qf_inconnu", "QF inconnu"),
            )
        ],
        # CAFDATA rsa_s_type_com_f
        _V("foyers_rsa_majore", "Foyers RSA majoré", "foyers", "Cnaf, Cafdata"),
        _V("foyers_rsa_non_majore", "Foyers RSA non majoré", "foyers", "Cnaf, Cafdata"),
        # CAFDATA nbpla_pe_* (places in December); commune values below 10,000 inhabitants
        # are estimated from the EPCI (status "estime")
        _V(
            "places_eaje_psu",
            "Places en EAJE financés par la PSU",
            "places",
            "Cnaf, Cafdata (Onape)",
        ),
        _V(
            "places_eaje_hors_psu",
            "Places en EAJE hors PSU (micro-crèches PAJE)",
            "places",
            "Cnaf, Cafdata (Onape)",
        ),
        _V("places_eaje", "Places en EAJE", "places", "Cnaf, Cafdata (Onape)"),
        _V(
            "places_prescolarisation",
            "Places en préscolarisation (2 ans)",
            "places",
            "Cnaf, Cafdata (Onape)",
        ),
        _V(
            "places_assistantes_maternelles",
            "Places chez les assistantes maternelles",
            "places",
            "Cnaf, Cafdata (Onape)",
        ),
        _V(
            "places_garde_domicile", "Places en garde à domicile", "places", "Cnaf, Cafdata (Onape)"
        ),
        _V(
            "places_accueil_individuel",
            "Places en accueil individuel",
            "places",
            "Cnaf, Cafdata (Onape)",
        ),
        _V("places_total", "Places d'accueil formel (total)", "places", "Cnaf, Cafdata (Onape)"),
        # published coverage rates (references, never summed)
        _V(
            "taux_couverture_publie",
            "Taux de couverture global publié",
            "places pour 100 enfants",
            "Cnaf, Cafdata (Onape)",
            False,
        ),
        _V(
            "taux_couverture_eaje_psu_publie",
            "Taux de couverture publié, EAJE PSU",
            _TX,
            _PE,
            False,
        ),
        _V(
            "taux_couverture_eaje_hors_psu_publie",
            "Taux de couverture publié, EAJE hors PSU",
            _TX,
            _PE,
            False,
        ),
        _V("taux_couverture_eaje_publie", "Taux de couverture publié, EAJE", _TX, _PE, False),
        _V(
            "taux_couverture_prescolarisation_publie",
            "Taux de couverture publié, préscolarisation",
            _TX,
            _PE,
            False,
        ),
        _V(
            "taux_couverture_assistantes_maternelles_publie",
            "Taux de couverture publié, assistantes maternelles",
            _TX,
            _PE,
            False,
        ),
        _V(
            "taux_couverture_garde_domicile_publie",
            "Taux de couverture publié, garde à domicile",
            _TX,
            _PE,
            False,
        ),
        _V(
            "taux_couverture_accueil_individuel_publie",
            "Taux de couverture publié, accueil individuel",
            _TX,
            _PE,
            False,
        ),
    ]
}

PLACE_VARIABLES = [
    "places_eaje_psu",
    "places_eaje_hors_psu",
    "places_eaje",
    "places_prescolarisation",
    "places_assistantes_maternelles",
    "places_garde_domicile",
    "places_accueil_individuel",
    "places_total",
]


def label(name: str) -> str:
    v = VARIABLES.get(name)
    return v.label if v else name


# -- plausibility bounds ------------------------------------------------------------------------
# Counts of one commune: Paris, the largest, has 2.1 million inhabitants and 1.1 million
# households; 25 000 births a year; about 60 000 childcare places.
MAX_COMMUNE_PEOPLE = 3_000_000
MAX_COMMUNE_BIRTHS = 100_000
MAX_COMMUNE_PLACES = 500_000
# unit → (minimum, maximum, commune_maximum, suspicious_above, residents)
UNIT_BOUNDS: dict[str, tuple[float | None, float | None, float | None, float | None, bool]] = {
    "habitants": (0, None, MAX_COMMUNE_PEOPLE, None, True),
    "personnes": (0, None, MAX_COMMUNE_PEOPLE, None, True),
    "enfants": (0, None, MAX_COMMUNE_PEOPLE, None, True),
    "jeunes": (0, None, MAX_COMMUNE_PEOPLE, None, True),
    "ménages": (0, None, MAX_COMMUNE_PEOPLE, None, True),
    "familles": (0, None, MAX_COMMUNE_PEOPLE, None, True),
    "foyers": (0, None, MAX_COMMUNE_PEOPLE, None, True),
    "naissances": (0, None, MAX_COMMUNE_BIRTHS, None, True),
    # places may exceed the commune's children (a crèche serving its neighbours)
    "places": (0, None, MAX_COMMUNE_PLACES, None, False),
    # the Cnaf publishes coverage rates over 100 (4 EPCI): kept, flagged « à vérifier »;
    # 10 000 would be 100 places per child
    "places pour 100 enfants": (0, 10_000, None, 100, False),
    "%": (0, 100, None, None, False),
    "€": (0, 1_000_000, None, None, False),
}
# source → first year it published (its data before are refused as a wrong year)
FIRST_YEARS = {
    "Insee, RP": 2006,  # the first annual census results (RP 2006)
    "Insee, populations légales": 2006,
    "Insee, état civil": 1968,
    "Insee, Filosofi": 2012,  # Filosofi replaced the RFL from the 2012 incomes
    "Cnaf, Cafdata": 2009,  # the data.caf.fr communal series begin in 2009
}
# variable → variable of the same row it cannot exceed (same file, same year)
AT_MOST: dict[str, str] = {
    **{
        v: "pop_totale"
        for v in ("pop_0_2", "pop_3_5", "pop_6_10", "pop_11_17", "pop_18_24", "pop_65_plus")
    },
    "familles_monoparentales": "familles",
    "couples_avec_enfants": "familles",
    "menages_une_personne": "menages",
    "personnes_seules_65_79": "pop_65_79",
    "personnes_seules_80_plus": "pop_80_plus",
    "menages_fiscaux": "personnes_menages_fiscaux",
    "allocataires": "personnes_couvertes",
    **{
        v: "allocataires"
        for v in (
            "foyers_af",
            "foyers_cf",
            "foyers_asf",
            "foyers_paje",
            "foyers_ab",
            "foyers_cmg",
            "foyers_aide_logement",
            "foyers_apl",
            "foyers_als",
            "foyers_alf",
            "foyers_rsa",
            "foyers_ppa",
            "foyers_aah",
            "foyers_aeeh",
        )
    },
}
# the populations themselves are not compared with the population
_POPULATIONS = (
    "pop_totale",
    "pop_legale_municipale",
    "pop_legale_comptee_a_part",
    "pop_legale_totale",
)


def _with_bounds(v: Variable) -> Variable:
    low, high, commune_high, suspicious, residents = UNIT_BOUNDS.get(
        v.unit, (None, None, None, None, False)
    )
    first = next((y for src, y in FIRST_YEARS.items() if v.source.startswith(src)), None)
    return dataclasses.replace(
        v,
        minimum=v.minimum if v.minimum is not None else low,
        maximum=v.maximum if v.maximum is not None else high,
        commune_maximum=v.commune_maximum if v.commune_maximum is not None else commune_high,
        suspicious_above=v.suspicious_above if v.suspicious_above is not None else suspicious,
        at_most=v.at_most or (AT_MOST.get(v.name) if AT_MOST.get(v.name) in VARIABLES else None),
        residents=v.residents or (residents and v.name not in _POPULATIONS),
        first_year=v.first_year or first,
    )


VARIABLES = {name: _with_bounds(v) for name, v in VARIABLES.items()}


def latest_year() -> int:
    """The last year a published value may concern: the current year (nothing is published
    about a year to come)."""
    return dt.date.today().year


def year_range(name: str) -> tuple[int, int]:
    """The years a value of ``name`` may concern: from its publisher's first year (1968 when
    unknown) to the current year."""
    v = VARIABLES.get(name)
    return ((v.first_year if v and v.first_year else 1968), latest_year())


def _n(value: float) -> str:
    text = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"
    return text.replace(",", "\u202f").replace(".", ",")


def bounds_text(name: str, commune: bool = True) -> str:
    """The plausible values of ``name`` in French (« un nombre de foyers entre 0 et
    3 000 000 »), for the « attendu » of an error."""
    v = VARIABLES.get(name)
    if v is None:
        return "un nombre fini"
    high = v.commune_maximum if commune and v.commune_maximum is not None else v.maximum
    unit = v.unit
    if v.minimum is not None and high is not None:
        return f"un nombre entre {_n(v.minimum)} et {_n(high)} {unit} ({v.label})"
    if v.minimum is not None:
        return f"un nombre positif ou nul de {unit} ({v.label})"
    return f"un nombre fini ({v.label})"


def unit_bounds(unit: str | None) -> tuple[float | None, float | None]:
    """The plausible range of a value by its unit alone (a follow-up indicator of the CTG
    plan): a rate « pour 100 … » or a percentage from 0 to 100, a count or an amount 0 or
    more; (None, None) for a unit that says nothing."""
    text = (unit or "").strip().lower()
    if "pour 100" in text or text.startswith("%") or text.endswith("%"):
        return 0.0, 100.0
    counts = ("places", "enfants", "foyers", "familles", "personnes", "habitants", "ménages")
    counts += ("jeunes", "naissances", "communes", "allocataires", "€", "euros", "heures")
    counts += ("assistantes", "demandes", "actions", "démarches", "logements", "ateliers")
    counts += ("bénéficiaires", "structures", "équipements", "séances", "participants")
    if any(word in text for word in counts):
        return 0.0, None
    return None, None


def plausible(value: float, low: float | None, high: float | None) -> bool:
    """``value`` is finite and within ``[low, high]`` (a None bound is open)."""
    if value is None or not math.isfinite(float(value)):
        return False
    return (low is None or value >= low) and (high is None or value <= high)
