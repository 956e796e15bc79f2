"""A CTG action plan as plain, immutable values: what a workbook holds, what the database holds.

:class:`PlanDocument` is the exchange format between the Excel layer
(:mod:`territoire_lib.plan.excel`, which reads and writes it) and the database layer
(:mod:`territoire_lib.plan.service`, which stores it and rebuilds it). Two documents compare
equal when they describe the same plan: database ids, fiche versions and the workbook line
a value came from are ignored (``compare=False``). Collections are tuples in a canonical order,
so a round trip database → workbook → database gives an equal document.

The vocabulary people read is stored as is: statuses (:data:`STATUSES`), evaluation
questions (:data:`QUESTIONS`) and themes (:data:`THEMES`); :func:`match_choice` recognises
them whatever the case and accents.

Layer « base partagée »: imports its own layer (plan.models).
"""

from __future__ import annotations

import dataclasses
import unicodedata
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .models import QUESTION_VALUES, STATUS_VALUES

STATUSES: tuple[str, ...] = STATUS_VALUES  # à lancer, en cours, réalisée, abandonnée
DEFAULT_STATUS = "à lancer"

# the evaluation questions of the CNAF référentiel, as asked for each axis (paraphrased:
# funding-rules.md §9.2 — the exact wording of the référentiel is not confirmed)
QUESTIONS: dict[str, str] = dict(
    zip(
        QUESTION_VALUES,
        (
            "Pertinence : les objectifs de l'axe répondent-ils aux besoins mis en évidence par "
            "le diagnostic partagé ?",
            "Cohérence : les actions de l'axe s'articulent-elles entre elles et avec les autres "
            "dispositifs du territoire (schémas départementaux, contrat de ville, CRTE) ?",
            "Efficacité : les objectifs de l'axe sont-ils atteints ? Les indicateurs ont-ils "
            "progressé de leur valeur de référence vers leur cible ?",
            "Efficience : les résultats obtenus sont-ils à la mesure des moyens engagés "
            "(budgets, personnels, partenariats) ?",
        ),
        strict=True,
    )
)
QUESTION_LABELS = {q: q.capitalize() for q in QUESTION_VALUES}

THEMES: tuple[str, ...] = (
    "petite enfance",
    "enfance",
    "jeunesse",
    "parentalité",
    "animation de la vie sociale",
    "logement",
    "accès aux droits",
    "inclusion numérique",
    "handicap",
    "pilotage",
    "autre",
)

# entered_by of the values computed from the data
AUTO_USER = "calcul automatique"
LIST_SEPARATOR = ";"


def fold(text: object) -> str:
    """Lower case, no accents, single spaces: the key used to recognise a word or a header."""
    t = unicodedata.normalize("NFKD", str(text))
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = t.replace("’", "'").replace("\u00a0", " ").replace("\u202f", " ")
    return " ".join(t.lower().split())


def match_choice(text: object, choices: tuple[str, ...]) -> str | None:
    """The choice ``text`` stands for (case and accents ignored, « réalisé » for
    « réalisée »), or None."""
    key = fold(text).strip(" .")
    for choice in choices:
        c = fold(choice)
        if key == c or (c.endswith("e") and key == c[:-1]):
            return choice
    return None


def split_list(text: object) -> tuple[str, ...]:
    """« A ; B ;; C » → ("A", "B", "C")."""
    if text is None:
        return ()
    return tuple(p.strip() for p in str(text).replace("\n", LIST_SEPARATOR).split(";") if p.strip())


def join_list(items: tuple[str, ...] | list[str]) -> str:
    return f" {LIST_SEPARATOR} ".join(items)


@dataclass(frozen=True)
class CtgSpec:
    """The CTG itself. ``communes``: an explicit perimeter (empty: the communes of
    ``territory_code``). ``signatories`` and ``partners`` keep their order."""

    code: str
    name: str
    territory_code: str
    start_year: int
    end_year: int
    territory_name: str = ""
    communes: tuple[str, ...] = ()
    signed_on: date | None = None
    signatories: tuple[str, ...] = ()
    partners: tuple[str, ...] = ()


@dataclass(frozen=True)
class AxisSpec:
    code: str
    title: str
    description: str = ""
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class BudgetLine:
    """Amount (euros) planned by one funder for one year, and spent once known (None: not
    entered yet)."""

    funder: str
    year: int
    amount: float
    spent: float | None = None
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class FicheSpec:
    """The editable content of a fiche action.

    ``version`` is the version of the fiche this content was read from (None for a new
    fiche); it is not part of the content (two specs with the same content are equal).
    ``budgets`` are sorted by year then funder, ``communes`` sorted.
    """

    axis: str
    code: str
    title: str
    objective: str = ""
    theme: str = ""
    pilot: str = ""
    partners: tuple[str, ...] = ()
    public: str = ""
    communes: tuple[str, ...] = ()
    start: date | None = None
    end: date | None = None
    status: str = DEFAULT_STATUS
    budgets: tuple[BudgetLine, ...] = ()
    version: int | None = field(default=None, compare=False)
    line: int | None = field(default=None, compare=False)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready content (dates as ISO text), as kept in a :class:`FicheConflict`."""
        return {
            "axe": self.axis,
            "code": self.code,
            "intitule": self.title,
            "objectif": self.objective,
            "theme": self.theme,
            "pilote": self.pilot,
            "partenaires": list(self.partners),
            "public": self.public,
            "communes": list(self.communes),
            "debut": self.start.isoformat() if self.start else None,
            "fin": self.end.isoformat() if self.end else None,
            "statut": self.status,
            "budgets": [
                {"financeur": b.funder, "annee": b.year, "montant": b.amount, "depense": b.spent}
                for b in self.budgets
            ],
            "version": self.version,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FicheSpec:
        """Inverse of :meth:`as_dict`."""

        def day(v):
            return date.fromisoformat(v) if v else None

        return cls(
            axis=data["axe"],
            code=data["code"],
            title=data["intitule"],
            objective=data.get("objectif", ""),
            theme=data.get("theme", ""),
            pilot=data.get("pilote", ""),
            partners=tuple(data.get("partenaires", ())),
            public=data.get("public", ""),
            communes=tuple(data.get("communes", ())),
            start=day(data.get("debut")),
            end=day(data.get("fin")),
            status=data.get("statut", DEFAULT_STATUS),
            budgets=tuple(
                BudgetLine(
                    b["financeur"],
                    int(b["annee"]),
                    float(b["montant"]),
                    None if b.get("depense") is None else float(b["depense"]),
                )
                for b in data.get("budgets", ())
            ),
            version=data.get("version"),
        )

    def normalised(self) -> FicheSpec:
        """Same content in the canonical order (communes and budgets sorted)."""
        return dataclasses.replace(
            self,
            communes=tuple(sorted(dict.fromkeys(self.communes))),
            budgets=tuple(sorted(self.budgets, key=lambda b: (b.year, b.funder))),
        )


@dataclass(frozen=True)
class StatusChangeSpec:
    """One line of a fiche's status history."""

    fiche: str
    date: date
    new_status: str
    old_status: str | None = None
    user: str = ""
    comment: str = ""
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class ValueSpec:
    """A realised value of an indicator for one year."""

    year: int
    value: float
    source: str = ""
    entered_by: str = ""
    computed: bool = False
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class IndicatorSpec:
    """A follow-up indicator of a fiche, with its realised values sorted by year."""

    fiche: str
    code: str
    label: str
    catalogue_id: str | None = None
    unit: str = ""
    baseline_value: float | None = None
    baseline_year: int | None = None
    target_value: float | None = None
    target_year: int | None = None
    values: tuple[ValueSpec, ...] = ()
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class EvaluationSpec:
    """The answer to one evaluation question for one axis, for the evaluation of ``year``."""

    axis: str
    question: str
    year: int
    answer: str
    author: str = ""
    date: date | None = None
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class CopilSpec:
    """A decision of the comité de pilotage."""

    date: date
    text: str
    author: str = ""
    line: int | None = field(default=None, compare=False)


@dataclass(frozen=True)
class PlanDocument:
    """A whole CTG plan. Order: axes, fiches and indicators as in the plan; history by fiche
    then date; evaluations by axis, year, question; copil decisions by date."""

    ctg: CtgSpec
    axes: tuple[AxisSpec, ...] = ()
    fiches: tuple[FicheSpec, ...] = ()
    history: tuple[StatusChangeSpec, ...] = ()
    indicators: tuple[IndicatorSpec, ...] = ()
    evaluations: tuple[EvaluationSpec, ...] = ()
    copil: tuple[CopilSpec, ...] = ()

    def fiche(self, code: str) -> FicheSpec:
        return next(f for f in self.fiches if f.code == code)

    def indicator(self, fiche: str, code: str) -> IndicatorSpec:
        return next(i for i in self.indicators if i.fiche == fiche and i.code == code)

    def normalised(self) -> PlanDocument:
        """The same plan in the canonical order (see the class docstring)."""
        fiche_pos = {f.code: i for i, f in enumerate(self.fiches)}
        axis_pos = {a.code: i for i, a in enumerate(self.axes)}
        q_pos = {q: i for i, q in enumerate(QUESTION_VALUES)}
        history = sorted(
            enumerate(self.history),
            key=lambda p: (fiche_pos.get(p[1].fiche, len(fiche_pos)), p[1].date, p[0]),
        )
        return dataclasses.replace(
            self,
            ctg=dataclasses.replace(self.ctg, communes=tuple(sorted(set(self.ctg.communes)))),
            fiches=tuple(f.normalised() for f in self.fiches),
            history=tuple(h for _, h in history),
            indicators=tuple(
                dataclasses.replace(i, values=tuple(sorted(i.values, key=lambda v: v.year)))
                for i in self.indicators
            ),
            evaluations=tuple(
                sorted(
                    self.evaluations,
                    key=lambda e: (axis_pos.get(e.axis, len(axis_pos)), e.year, q_pos[e.question]),
                )
            ),
            copil=tuple(
                c for _, c in sorted(enumerate(self.copil), key=lambda p: (p[1].date, p[0]))
            ),
        )
