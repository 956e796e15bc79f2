"""The demo CTG: a fictional action plan for the demo EPCI 296000011 « CA de Valmont-sur-Loue ».

Three axes, twelve fiches actions with budgets and status histories, follow-up indicators —
catalogue indicators computed from the demo data for every year available, and indicators
specific to the actions with three years (2022–2024) of values entered by partners —, the
mid-term evaluation (2024) and the comité de pilotage decisions. Everything is fictional.

:func:`build_demo_document` is deterministic (same demo data, same plan);
:func:`write_demo_ctg` writes it as ``data/ctg/ctg_demo_valmont.xlsx`` — byte for byte the
same at each generation — which ``territoire plan importer`` loads like any user workbook.

Layer « base partagée »: imports données (dataset); indicateurs (indicators); its own layer
(plan.computed, plan.document, plan.workbook_export).
"""

from __future__ import annotations

import re
import zipfile
from datetime import date
from pathlib import Path

from .document import (
    AUTO_USER,
    AxisSpec,
    BudgetLine,
    CopilSpec,
    CtgSpec,
    EvaluationSpec,
    FicheSpec,
    IndicatorSpec,
    PlanDocument,
    StatusChangeSpec,
    ValueSpec,
)

REPO_DIR = Path(__file__).resolve().parents[2]
DEMO_CTG_PATH = REPO_DIR / "data" / "ctg" / "ctg_demo_valmont.xlsx"
DEMO_CTG_CODE = "CTG-VALMONT-2022"
DEMO_EPCI = "296000011"
SIGNED = date(2022, 3, 15)
ZIP_TIME = (2024, 1, 1, 0, 0, 0)

CAF = "Caf du département de démonstration"
CA = "CA de Valmont-sur-Loue"
RURAL = ("96007", "96009", "96012", "96020")  # Corvenay, Vauchamps-le-Bas, Pontarvel, Tréval

# who enters what (fictional people)
CLAIRE = "Claire Martin (Caf)"
JULIEN = "Julien Roche (CA)"
SOPHIE = "Sophie Lambert (RPE)"
KARIM = "Karim Benali (centre social)"

# code, axis, title, objective, theme, pilot, partners, public, communes, start, end
FICHES = (
    ("1.1", "1", "Créer une micro-crèche PSU de 12 places à Montrevaux",
     "Ouvrir 12 places d'accueil collectif dans le sud de l'agglomération, où l'offre manque",
     "petite enfance", "Commune de Montrevaux", (CAF, "PMI"),
     "Familles avec un enfant de moins de 3 ans", ("96006",), date(2023, 1, 2), date(2024, 9, 2)),
    ("1.2", "1", "Soutenir l'installation d'assistantes maternelles et créer une MAM",
     "Compenser les départs en retraite des assistantes maternelles",
     "petite enfance", "Relais petite enfance de Valmont", (CAF, "PMI", "France Travail"),
     "Futures assistantes maternelles", (), date(2022, 9, 1), date(2025, 12, 31)),
    ("1.3", "1", "Accueillir les enfants en situation de handicap en crèche",
     "Former les équipes et mobiliser le bonus inclusion handicap",
     "handicap", "CA de Valmont-sur-Loue", (CAF, "Pôle ressources handicap"),
     "Enfants bénéficiaires de l'AEEH et leurs parents", (), date(2022, 9, 1), date(2025, 12, 31)),
    ("1.4", "1", "Organiser le service public de la petite enfance : guichet unique",
     "Informer les familles et recenser les besoins d'accueil (obligations SPPE)",
     "pilotage", "CA de Valmont-sur-Loue", (CAF, "Communes membres"),
     "Familles, futurs parents", (), date(2025, 1, 6), date(2025, 12, 31)),
    ("2.1", "2", "Ouvrir un accueil de loisirs le mercredi à Sainte-Colombe-sur-Loue",
     "Offrir un accueil du mercredi labellisé Plan mercredi aux enfants de 3 à 11 ans",
     "enfance", "Commune de Sainte-Colombe-sur-Loue", (CAF, "Éducation nationale"),
     "Enfants de 3 à 11 ans", ("96008",), date(2022, 9, 7), date(2025, 7, 4)),
    ("2.2", "2", "Créer un lieu d'accueil enfants-parents (LAEP) itinérant",
     "Rompre l'isolement des parents de jeunes enfants dans les communes rurales",
     "parentalité", "Centre social des Coteaux", (CAF, "PMI"),
     "Parents et enfants de moins de 6 ans", RURAL, date(2022, 10, 3), date(2023, 6, 30)),
    ("2.3", "2", "Développer les Promeneurs du Net et un accueil jeunes",
     "Aller vers les 11-17 ans en ligne et leur ouvrir un lieu à eux",
     "jeunesse", "Service jeunesse de la CA", (CAF, "Mission locale"),
     "Jeunes de 11 à 17 ans", (), date(2023, 3, 1), date(2025, 12, 31)),
    ("2.4", "2", "Soutenir les actions de parentalité du réseau REAAP",
     "Financer et faire connaître les actions de soutien à la parentalité",
     "parentalité", CAF, ("Associations familiales",),
     "Parents", (), date(2022, 4, 1), date(2025, 12, 31)),
    ("3.1", "3", "Déployer un France services itinérant dans les communes rurales",
     "Accompagner les démarches administratives au plus près des habitants",
     "accès aux droits", "CA de Valmont-sur-Loue", (CAF, "CPAM", "France Travail", "MSA"),
     "Habitants des communes rurales", RURAL, date(2022, 11, 7), date(2025, 12, 31)),
    ("3.2", "3", "Prévenir les impayés de loyer et lutter contre la non-décence",
     "Repérer tôt les impayés et contrôler la décence des logements des allocataires",
     "logement", CAF, ("ADIL", "Bailleurs sociaux", "CCAPEX"),
     "Locataires allocataires", (), date(2022, 6, 1), date(2025, 12, 31)),
    ("3.3", "3", "Créer un espace de vie sociale (EVS) à Sainte-Colombe-sur-Loue",
     "Donner aux habitants un lieu d'initiatives et de rencontre",
     "animation de la vie sociale", "Association Vivre à Sainte-Colombe", (CAF, CA),
     "Habitants", ("96008",), date(2022, 9, 1), date(2023, 12, 31)),
    ("3.4", "3", "Ateliers d'inclusion numérique pour les familles",
     "Rendre les familles autonomes dans leurs démarches en ligne",
     "inclusion numérique", "Centre social des Coteaux", (CAF, "Médiathèque"),
     "Parents peu à l'aise avec le numérique", (), date(2022, 10, 1), date(2024, 6, 30)),
)  # fmt: skip

# fiche → [(date, new status, by, comment)] after the initial « à lancer » at signature
HISTORY = {
    "1.1": [(date(2023, 1, 16), "en cours", JULIEN, "Travaux lancés"),
            (date(2024, 9, 2), "réalisée", JULIEN, "Ouverture de la micro-crèche")],
    "1.2": [(date(2022, 9, 1), "en cours", SOPHIE, "")],
    "1.3": [(date(2022, 9, 1), "en cours", CLAIRE, "")],
    "2.1": [(date(2022, 9, 7), "en cours", JULIEN, "Premier mercredi d'accueil")],
    "2.2": [(date(2022, 10, 3), "en cours", KARIM, ""),
            (date(2023, 6, 30), "réalisée", KARIM, "Le LAEP circule dans 4 communes")],
    "2.3": [(date(2023, 3, 1), "en cours", JULIEN, "Deux promeneurs du Net recrutés")],
    "2.4": [(date(2022, 4, 1), "en cours", CLAIRE, "")],
    "3.1": [(date(2022, 11, 7), "en cours", JULIEN, "Premières permanences")],
    "3.2": [(date(2022, 6, 1), "en cours", CLAIRE, "")],
    "3.3": [(date(2022, 9, 1), "en cours", KARIM, ""),
            (date(2023, 12, 15), "réalisée", CLAIRE, "EVS agréé par la Caf")],
    "3.4": [(date(2022, 10, 1), "en cours", KARIM, ""),
            (date(2024, 6, 18), "abandonnée", JULIEN,
             "Décision du comité de pilotage : ateliers repris par France services (3.1)")],
}  # fmt: skip

# fiche → [(funder, year, amount in euros)]
BUDGETS = {
    "1.1": [(CAF, 2023, 45_000), (CAF, 2024, 36_000), ("Commune de Montrevaux", 2023, 60_000),
            ("Commune de Montrevaux", 2024, 42_000)],
    "1.2": [(CAF, y, 8_000) for y in (2022, 2023, 2024, 2025)]
           + [(CA, y, 5_000) for y in (2023, 2024, 2025)],
    "1.3": [(CAF, y, 12_500) for y in (2023, 2024, 2025)],
    "1.4": [(CAF, 2025, 15_000), (CA, 2025, 25_000)],
    "2.1": [(CAF, y, 9_600) for y in (2022, 2023, 2024, 2025)]
           + [("Commune de Sainte-Colombe-sur-Loue", y, 14_000) for y in (2023, 2024, 2025)],
    "2.2": [(CAF, 2022, 6_000), (CAF, 2023, 18_000), ("Conseil départemental", 2023, 5_000)],
    "2.3": [(CAF, y, 21_000) for y in (2023, 2024, 2025)] + [(CA, 2023, 7_500.5)],
    "2.4": [(CAF, y, 15_000) for y in (2022, 2023, 2024, 2025)],
    "3.1": [("État", y, 30_000) for y in (2023, 2024, 2025)]
           + [(CA, y, 22_000) for y in (2023, 2024, 2025)],
    "3.2": [(CAF, y, 4_000) for y in (2022, 2023, 2024, 2025)],
    "3.3": [(CAF, 2022, 10_000), (CAF, 2023, 22_000), ("Commune de Sainte-Colombe-sur-Loue",
            2023, 3_000)],
    "3.4": [(CAF, 2022, 3_000), (CAF, 2023, 6_000)],
}  # fmt: skip

# fiche → share of the planned budget spent, for the years up to 2024 (2025: not yet known)
SPENT = {"1.1": 1.0, "1.2": 0.9, "1.3": 0.6, "2.1": 0.95, "2.2": 1.0, "2.3": 0.7, "2.4": 1.0,
         "3.1": 0.85, "3.2": 0.75, "3.3": 1.0, "3.4": 0.5}  # fmt: skip
LAST_SPENT_YEAR = 2024

# catalogue indicators: (fiche, code, catalogue id, baseline year, target value, target year)
CATALOGUE = (
    ("1.1", "couverture_eaje_psu", "taux_couverture_eaje_psu", 2021, 30.0, 2025),
    ("1.2", "couverture_globale", "taux_couverture_global", 2021, 63.0, 2025),
    ("1.2", "couverture_am", "taux_couverture_assistantes_maternelles", 2021, 40.0, 2025),
    ("1.3", "part_aeeh", "part_aeeh", 2021, None, None),
    ("3.2", "part_aide_logement", "part_aide_logement", 2021, None, None),
)

# specific indicators: (fiche, code, label, unit, baseline (value, year), target (value, year),
#   {year: value}, source, entered by)
SPECIFIC = (
    ("1.1", "places_ouvertes", "Places ouvertes dans la micro-crèche", "places", (0, 2022),
     (12, 2025), {2022: 0, 2023: 0, 2024: 12}, "Agrément PMI", JULIEN),
    ("1.2", "am_actives", "Assistantes maternelles en activité", "assistantes maternelles",
     (412, 2021), (420, 2025), {2022: 405, 2023: 398, 2024: 401}, "Listes de la PMI", SOPHIE),
    ("1.3", "enfants_aeeh_eaje", "Enfants bénéficiaires de l'AEEH accueillis en EAJE",
     "enfants", (6, 2021), (15, 2025), {2022: 7, 2023: 10, 2024: 12}, "Filoué", CLAIRE),
    ("1.4", "demandes_guichet", "Demandes d'accueil enregistrées au guichet unique",
     "demandes", (None, None), (600, 2025), {}, "", ""),
    ("2.1", "enfants_mercredi", "Enfants accueillis le mercredi (moyenne)", "enfants",
     (0, 2021), (40, 2025), {2022: 18, 2023: 29, 2024: 34}, "Bilan de l'accueil de loisirs",
     JULIEN),
    ("2.2", "familles_laep", "Familles accueillies au LAEP", "familles", (0, 2021),
     (60, 2025), {2022: 9, 2023: 38, 2024: 52}, "Bilan d'activité du LAEP", KARIM),
    ("2.3", "jeunes_contactes", "Jeunes en contact avec un promeneur du Net", "jeunes",
     (0, 2022), (150, 2025), {2022: 0, 2023: 85, 2024: 120}, "Rapport Promeneurs du Net",
     JULIEN),
    ("2.4", "actions_reaap", "Actions de parentalité financées", "actions", (8, 2021),
     (12, 2025), {2022: 8, 2023: 11, 2024: 12}, "Comité REAAP", CLAIRE),
    ("3.1", "demarches", "Démarches accompagnées par France services itinérant", "démarches",
     (0, 2021), (1_800, 2025), {2022: 850, 2023: 1_320, 2024: 1_610},
     "Tableau de bord France services", JULIEN),
    ("3.2", "diagnostics_decence", "Diagnostics de décence réalisés", "logements", (35, 2021),
     (60, 2025), {2022: 41, 2023: 48, 2024: 52}, "Caf, service logement", CLAIRE),
    ("3.3", "evs_agrees", "Espaces de vie sociale agréés sur le territoire", "EVS", (1, 2021),
     (2, 2025), {2022: 1, 2023: 2, 2024: 2}, "Agréments AVS de la Caf", CLAIRE),
    ("3.4", "ateliers", "Ateliers numériques organisés", "ateliers", (0, 2021), (24, 2024),
     {2022: 5, 2023: 9, 2024: 2}, "Bilan du centre social", KARIM),
)  # fmt: skip

EVALUATIONS = (
    ("1", "pertinence", "Oui : le diagnostic montrait une couverture inférieure à la référence "
     "nationale et le départ prévu d'assistantes maternelles ; les fiches y répondent."),
    ("1", "efficacité", "Partielle : la micro-crèche est ouverte (12 places), mais le nombre "
     "d'assistantes maternelles continue de baisser ; la couverture stagne."),
    ("1", "efficience", "Coût par place créée conforme aux repères Caf ; le soutien aux "
     "assistantes maternelles mobilise peu de moyens pour un effet encore faible."),
    ("2", "pertinence", "Oui : l'accueil du mercredi et le LAEP répondent à des besoins "
     "exprimés par les familles lors du diagnostic partagé."),
    ("2", "cohérence", "Bonne articulation avec le projet éducatif de territoire et le schéma "
     "départemental des services aux familles."),
    ("2", "efficacité", "Les cibles de fréquentation sont atteintes aux deux tiers à "
     "mi-parcours."),
    ("3", "cohérence", "Les ateliers numériques doublonnaient France services : ils y ont été "
     "intégrés (décision du comité de pilotage de juin 2024)."),
    ("3", "efficacité", "France services itinérant dépasse 1 600 démarches par an ; l'EVS est "
     "agréé."),
)  # fmt: skip

COPIL = (
    (date(2022, 6, 20), "Validation du plan d'actions (3 axes, 12 fiches) et des indicateurs de "
     "suivi ; valeurs de référence : année 2021.", "Secrétariat de la CTG"),
    (date(2023, 6, 15), "Lancement des travaux de la micro-crèche de Montrevaux confirmé ; le "
     "LAEP itinérant circulera dans quatre communes rurales.", "Secrétariat de la CTG"),
    (date(2024, 6, 18), "Abandon de la fiche 3.4 : les ateliers numériques sont repris par "
     "France services itinérant (fiche 3.1).", "Secrétariat de la CTG"),
    (date(2024, 12, 10), "Évaluation à mi-parcours : priorité au guichet unique petite enfance "
     "en 2025 (fiche 1.4) ; cible du taux de couverture maintenue.", "Secrétariat de la CTG"),
)  # fmt: skip


def _catalogue_indicators(territory, fiches: dict[str, FicheSpec]) -> list[IndicatorSpec]:
    from ..indicators import load_catalogue
    from .computed import catalogue_values, computed_source

    cat = load_catalogue()
    members = tuple(territory.geography.members(DEMO_EPCI))
    scopes = {code: (fiches[code].communes or members) for code, *_ in CATALOGUE}
    values = catalogue_values(territory, scopes, [c[2] for c in CATALOGUE])
    out = []
    for fiche, code, cid, base_year, target, target_year in CATALOGUE:
        ind = cat[cid]
        rows = values[(values["perimetre"] == fiche) & (values["indicateur"] == cid)]
        rows = rows[~rows["masque"] & rows["valeur"].notna()].sort_values("annee")
        found = {
            int(y): round(float(v), ind.decimals)
            for y, v in zip(rows["annee"], rows["valeur"], strict=True)
        }
        source = computed_source(ind, territory)
        out.append(
            IndicatorSpec(
                fiche=fiche,
                code=code,
                label=ind.label,
                catalogue_id=cid,
                unit=ind.unit,
                baseline_value=found.get(base_year),
                baseline_year=base_year,
                target_value=target,
                target_year=target_year,
                values=tuple(ValueSpec(y, v, source, AUTO_USER, True) for y, v in found.items()),
            )
        )
    return out


def _spent(fiche: str, year: int, amount: float) -> float | None:
    if year > LAST_SPENT_YEAR or fiche not in SPENT:
        return None
    return float(round(amount * SPENT[fiche]))


def build_demo_document(territory=None) -> PlanDocument:
    """The demo CTG as a :class:`PlanDocument` (catalogue values computed from ``territory``,
    default: the demo data)."""
    if territory is None:
        from ..dataset import load_territory

        territory = load_territory("demo")
    fiches = {}
    for code, axis, title, obj, theme, pilot, partners, public, communes, start, end in FICHES:
        history = HISTORY.get(code, [])
        fiches[code] = FicheSpec(
            axis=axis,
            code=code,
            title=title,
            objective=obj,
            theme=theme,
            pilot=pilot,
            partners=partners,
            public=public,
            communes=communes,
            start=start,
            end=end,
            status=history[-1][1] if history else "à lancer",
            budgets=tuple(
                BudgetLine(f, y, float(a), _spent(code, y, a)) for f, y, a in BUDGETS.get(code, [])
            ),
        )
    history = []
    for code in fiches:
        history.append(
            StatusChangeSpec(code, SIGNED, "à lancer", None, CLAIRE, "Signature de la CTG")
        )
        previous = "à lancer"
        for day, status, who, comment in HISTORY.get(code, []):
            history.append(StatusChangeSpec(code, day, status, previous, who, comment))
            previous = status
    indicators = _catalogue_indicators(territory, fiches)
    for fiche, code, label, unit, base, target, values, source, who in SPECIFIC:
        indicators.append(
            IndicatorSpec(
                fiche=fiche,
                code=code,
                label=label,
                unit=unit,
                baseline_value=None if base[0] is None else float(base[0]),
                baseline_year=base[1],
                target_value=None if target[0] is None else float(target[0]),
                target_year=target[1],
                values=tuple(ValueSpec(y, float(v), source, who) for y, v in values.items()),
            )
        )
    position = {code: i for i, code in enumerate(fiches)}
    indicators.sort(key=lambda i: position[i.fiche])  # stable: catalogue ones first
    return PlanDocument(
        ctg=CtgSpec(
            code=DEMO_CTG_CODE,
            name="Convention territoriale globale de la CA de Valmont-sur-Loue 2022-2025 (fictive)",
            territory_code=DEMO_EPCI,
            territory_name=territory.geography.name_of(DEMO_EPCI),
            start_year=2022,
            end_year=2025,
            signed_on=SIGNED,
            signatories=(CAF, CA, "Ville de Valmont-sur-Loue"),
            partners=(
                "Conseil départemental",
                "MSA",
                "Éducation nationale",
                "Centre social des Coteaux",
            ),
        ),
        axes=(
            AxisSpec(
                "1",
                "Petite enfance : un mode d'accueil pour chaque enfant de moins de 3 ans",
                "La couverture (60 places pour 100 enfants en 2021) reste sous la référence "
                "nationale et les assistantes maternelles partent en retraite.",
            ),
            AxisSpec(
                "2",
                "Enfance, jeunesse et parentalité",
                "Des loisirs le mercredi, des lieux pour les parents et les adolescents.",
            ),
            AxisSpec(
                "3",
                "Accès aux droits, logement et vie sociale",
                "Les démarches et l'entraide au plus près des habitants des communes rurales.",
            ),
        ),  # fmt: skip
        fiches=tuple(fiches.values()),
        history=tuple(history),
        indicators=tuple(indicators),
        evaluations=tuple(
            EvaluationSpec(a, q, 2024, text, "Comité technique de la CTG", date(2024, 11, 28))
            for a, q, text in EVALUATIONS
        ),
        copil=tuple(CopilSpec(d, t, a) for d, t, a in COPIL),
    ).normalised()


def _reproducible(path: Path) -> None:
    """Fixed timestamps inside the xlsx (zip entries, document properties): same bytes at
    each generation."""
    with zipfile.ZipFile(path) as z:
        entries = [(i.filename, z.read(i.filename)) for i in z.infolist()]
    tmp = path.with_name(path.name + ".tmp")
    with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in entries:
            if name == "docProps/core.xml":
                data = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)",
                    rb"\g<1>2024-01-01T00:00:00Z\g<2>",
                    data,
                )
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, data)
    tmp.replace(path)


def write_demo_ctg(path: str | Path | None = None, territory=None) -> Path:
    """Write the demo CTG workbook (default ``data/ctg/ctg_demo_valmont.xlsx``)."""
    from .workbook_export import write_workbook

    target = Path(path) if path is not None else DEMO_CTG_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    written = write_workbook(build_demo_document(territory), target, overwrite=True)
    _reproducible(written)
    return written
