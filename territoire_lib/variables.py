"""The observation variables every loader produces, with their French labels.

Variables are *summable* counts unless ``summable`` is False (published rates and medians,
kept as references, never summed across communes).

Layer « socle »: imports nothing from the library.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Variable:
    name: str
    label: str
    unit: str
    source: str
    summable: bool = True


_V = Variable
_TX, _PE = "places pour 100 enfants", "Cnaf, Cafdata (Onape)"  # published rates
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
