"""The CTG action plan as database tables (SQLAlchemy 2.0 declarative models).

One CTG (:class:`Ctg`) has its perimeter (:class:`CtgCommune`), its signatories and partners
(:class:`Partner`), its axes (:class:`Axis`, the « enjeux »), its fiches actions
(:class:`Fiche`) with their status history (:class:`FicheStatusChange`), budget by funder and
year (:class:`FicheBudget`), communes concerned (:class:`FicheCommune`) and follow-up
indicators (:class:`FollowUpIndicator`) with realised values by year (:class:`RealisedValue`);
the answers to the evaluation questions of the CNAF référentiel, per axis
(:class:`EvaluationAnswer`), and the log of comité de pilotage decisions
(:class:`CopilDecision`).

Two tables keep what people did: :class:`AuditEntry` (who changed which row, when, before and
after: filled by :mod:`territoire_lib.plan.db` on every flush) and :class:`FicheConflict` (the
version of a fiche that could not be saved because somebody else saved first: both versions
are kept).

Conventions:

* every timestamp is naive UTC (``datetime.now(UTC)`` without tzinfo), the same on SQLite and
  PostgreSQL;
* stored vocabulary is the French word people read: statuses ``à lancer``, ``en cours``,
  ``réalisée``, ``abandonnée``; evaluation questions ``pertinence``, ``cohérence``,
  ``efficacité``, ``efficience`` (see :mod:`territoire_lib.plan.document`);
* ``Fiche.version`` is SQLAlchemy's ``version_id_col``: every UPDATE of a fiche row checks
  the version it read and increments it, so two saves of the same fiche never silently
  overwrite each other (see :func:`territoire_lib.plan.service.save_fiche`).

The schema is created and migrated by Alembic (``migrations/``), never by ``create_all`` in
production code; a test checks that models and migrations agree.

Layer « base partagée »: imports nothing from the library.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

# deterministic constraint names: Alembic migrations and both databases agree on them
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

STATUS_VALUES = ("à lancer", "en cours", "réalisée", "abandonnée")
QUESTION_VALUES = ("pertinence", "cohérence", "efficacité", "efficience")


def utcnow() -> datetime:
    """Now, as naive UTC (the convention of every timestamp column)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: DateTime(), date: Date(), str: Text()}


# -- the CTG ------------------------------------------------------------------------------------
class Ctg(Base):
    """A Convention Territoriale Globale: territory, period, signatories, partners."""

    __tablename__ = "ctg"
    __table_args__ = (CheckConstraint("end_year >= start_year", name="period"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str]
    # code of a commune, an EPCI, a département or a perimeter of the data
    territory_code: Mapped[str] = mapped_column(String(40))
    territory_name: Mapped[str] = mapped_column(default="")
    start_year: Mapped[int]
    end_year: Mapped[int]
    signed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(default="")

    communes: Mapped[list[CtgCommune]] = relationship(
        back_populates="ctg", cascade="all, delete-orphan", order_by="CtgCommune.commune"
    )
    partners: Mapped[list[Partner]] = relationship(
        back_populates="ctg", cascade="all, delete-orphan", order_by="Partner.position"
    )
    axes: Mapped[list[Axis]] = relationship(
        back_populates="ctg", cascade="all, delete-orphan", order_by="Axis.position"
    )
    fiches: Mapped[list[Fiche]] = relationship(
        back_populates="ctg", cascade="all, delete-orphan", order_by="Fiche.position"
    )
    copil_decisions: Mapped[list[CopilDecision]] = relationship(
        back_populates="ctg",
        cascade="all, delete-orphan",
        order_by="[CopilDecision.date, CopilDecision.id]",
    )

    @property
    def signatories(self) -> list[str]:
        return [p.name for p in self.partners if p.signatory]

    @property
    def other_partners(self) -> list[str]:
        return [p.name for p in self.partners if not p.signatory]

    def __repr__(self) -> str:
        return f"Ctg(code={self.code!r}, territory_code={self.territory_code!r})"


class CtgCommune(Base):
    """A commune of an explicit CTG perimeter (empty: the communes of ``territory_code``)."""

    __tablename__ = "ctg_commune"
    __table_args__ = (UniqueConstraint("ctg_id", "commune"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ctg_id: Mapped[int] = mapped_column(ForeignKey("ctg.id", ondelete="CASCADE"), index=True)
    commune: Mapped[str] = mapped_column(String(5))
    ctg: Mapped[Ctg] = relationship(back_populates="communes")


class Partner(Base):
    """A signatory (``signatory=True``) or another partner of the CTG."""

    __tablename__ = "partner"
    __table_args__ = (UniqueConstraint("ctg_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ctg_id: Mapped[int] = mapped_column(ForeignKey("ctg.id", ondelete="CASCADE"), index=True)
    name: Mapped[str]
    signatory: Mapped[bool] = mapped_column(Boolean, default=False)
    position: Mapped[int] = mapped_column(default=0)
    ctg: Mapped[Ctg] = relationship(back_populates="partners")


class Axis(Base):
    """An axis (« enjeu ») of the plan, grouping fiches actions."""

    __tablename__ = "axis"
    __table_args__ = (UniqueConstraint("ctg_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ctg_id: Mapped[int] = mapped_column(ForeignKey("ctg.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str]
    description: Mapped[str] = mapped_column(default="")
    position: Mapped[int] = mapped_column(default=0)

    ctg: Mapped[Ctg] = relationship(back_populates="axes")
    fiches: Mapped[list[Fiche]] = relationship(back_populates="axis", order_by="Fiche.position")
    evaluation_answers: Mapped[list[EvaluationAnswer]] = relationship(
        back_populates="axis", cascade="all, delete-orphan"
    )


# -- fiches actions -----------------------------------------------------------------------------
class Fiche(Base):
    """A fiche action. ``version`` is the optimistic lock (``version_id_col``)."""

    __tablename__ = "fiche"
    __table_args__ = (
        UniqueConstraint("ctg_id", "code"),
        CheckConstraint(_in("status", STATUS_VALUES), name="status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ctg_id: Mapped[int] = mapped_column(ForeignKey("ctg.id", ondelete="CASCADE"), index=True)
    axis_id: Mapped[int] = mapped_column(ForeignKey("axis.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str]
    objective: Mapped[str] = mapped_column(default="")
    theme: Mapped[str] = mapped_column(String(40), default="")
    pilot: Mapped[str] = mapped_column(default="")
    # the fiche's partners, « ; »-separated, in the order given
    partners: Mapped[str] = mapped_column(default="")
    public: Mapped[str] = mapped_column(default="")
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(20), default="à lancer")
    position: Mapped[int] = mapped_column(default=0)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by: Mapped[str] = mapped_column(default="")

    __mapper_args__ = {"version_id_col": version}

    ctg: Mapped[Ctg] = relationship(back_populates="fiches")
    axis: Mapped[Axis] = relationship(back_populates="fiches")
    communes: Mapped[list[FicheCommune]] = relationship(
        back_populates="fiche", cascade="all, delete-orphan", order_by="FicheCommune.commune"
    )
    budgets: Mapped[list[FicheBudget]] = relationship(
        back_populates="fiche",
        cascade="all, delete-orphan",
        order_by="[FicheBudget.year, FicheBudget.funder]",
    )
    status_changes: Mapped[list[FicheStatusChange]] = relationship(
        back_populates="fiche",
        cascade="all, delete-orphan",
        order_by="[FicheStatusChange.date, FicheStatusChange.id]",
    )
    indicators: Mapped[list[FollowUpIndicator]] = relationship(
        back_populates="fiche", cascade="all, delete-orphan", order_by="FollowUpIndicator.position"
    )
    conflicts: Mapped[list[FicheConflict]] = relationship(
        back_populates="fiche", cascade="all, delete-orphan", order_by="FicheConflict.id"
    )

    @property
    def partner_list(self) -> list[str]:
        return [p.strip() for p in self.partners.split(";") if p.strip()]

    def __repr__(self) -> str:
        return f"Fiche(code={self.code!r}, version={self.version!r}, status={self.status!r})"


class FicheCommune(Base):
    """A commune concerned by a fiche (none: the whole CTG territory)."""

    __tablename__ = "fiche_commune"
    __table_args__ = (UniqueConstraint("fiche_id", "commune"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiche_id: Mapped[int] = mapped_column(ForeignKey("fiche.id", ondelete="CASCADE"), index=True)
    commune: Mapped[str] = mapped_column(String(5))
    fiche: Mapped[Fiche] = relationship(back_populates="communes")


class FicheBudget(Base):
    """Budget of a fiche for one funder and one year, in euros: planned (``amount``) and,
    once known, spent (``spent``, None until entered)."""

    __tablename__ = "fiche_budget"
    __table_args__ = (UniqueConstraint("fiche_id", "funder", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiche_id: Mapped[int] = mapped_column(ForeignKey("fiche.id", ondelete="CASCADE"), index=True)
    funder: Mapped[str]
    year: Mapped[int]
    amount: Mapped[float] = mapped_column(Float)
    spent: Mapped[float | None] = mapped_column(Float)
    fiche: Mapped[Fiche] = relationship(back_populates="budgets")


class FicheStatusChange(Base):
    """One change of status of a fiche: on ``date``, ``old_status`` → ``new_status``."""

    __tablename__ = "fiche_status_change"
    __table_args__ = (CheckConstraint(_in("new_status", STATUS_VALUES), name="new_status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiche_id: Mapped[int] = mapped_column(ForeignKey("fiche.id", ondelete="CASCADE"), index=True)
    date: Mapped[date]
    old_status: Mapped[str | None] = mapped_column(String(20))
    new_status: Mapped[str] = mapped_column(String(20))
    user: Mapped[str] = mapped_column(default="")
    comment: Mapped[str] = mapped_column(default="")
    recorded_at: Mapped[datetime] = mapped_column(default=utcnow)
    fiche: Mapped[Fiche] = relationship(back_populates="status_changes")


class FollowUpIndicator(Base):
    """A follow-up indicator of a fiche.

    ``catalogue_id`` names an indicator of ``indicators/catalogue.yaml`` (its realised values
    are computed from the data by :func:`~territoire_lib.plan.service.fill_catalogue_indicators`);
    ``None`` for an indicator specific to the action, whose values partners enter.
    ``code`` identifies the indicator within its fiche.
    """

    __tablename__ = "follow_up_indicator"
    __table_args__ = (UniqueConstraint("fiche_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    fiche_id: Mapped[int] = mapped_column(ForeignKey("fiche.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(80))
    catalogue_id: Mapped[str | None] = mapped_column(String(80))
    label: Mapped[str]
    unit: Mapped[str] = mapped_column(default="")
    baseline_value: Mapped[float | None] = mapped_column(Float)
    baseline_year: Mapped[int | None]
    target_value: Mapped[float | None] = mapped_column(Float)
    target_year: Mapped[int | None]
    position: Mapped[int] = mapped_column(default=0)

    fiche: Mapped[Fiche] = relationship(back_populates="indicators")
    values: Mapped[list[RealisedValue]] = relationship(
        back_populates="indicator", cascade="all, delete-orphan", order_by="RealisedValue.year"
    )

    @property
    def is_catalogue(self) -> bool:
        return self.catalogue_id is not None


class RealisedValue(Base):
    """The realised value of an indicator for one year, with its source.

    ``computed`` is True for values computed from the data (``entered_by`` is then
    :data:`~territoire_lib.plan.document.AUTO_USER`); they are refreshed by the next
    computation, whereas values entered by people are never overwritten by it.
    """

    __tablename__ = "realised_value"
    __table_args__ = (UniqueConstraint("indicator_id", "year"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("follow_up_indicator.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int]
    value: Mapped[float] = mapped_column(Float)
    source: Mapped[str] = mapped_column(default="")
    entered_by: Mapped[str] = mapped_column(default="")
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    computed: Mapped[bool] = mapped_column(Boolean, default=False)
    indicator: Mapped[FollowUpIndicator] = relationship(back_populates="values")


# -- evaluation and steering ----------------------------------------------------------------------
class EvaluationAnswer(Base):
    """The answer to one evaluation question of the CNAF référentiel, for one axis and the
    year of the evaluation (mid-term, final…)."""

    __tablename__ = "evaluation_answer"
    __table_args__ = (
        UniqueConstraint("axis_id", "question", "year"),
        CheckConstraint(_in("question", QUESTION_VALUES), name="question"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    axis_id: Mapped[int] = mapped_column(ForeignKey("axis.id", ondelete="CASCADE"), index=True)
    question: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    answer: Mapped[str]
    author: Mapped[str] = mapped_column(default="")
    answered_on: Mapped[date | None]
    axis: Mapped[Axis] = relationship(back_populates="evaluation_answers")


class CopilDecision(Base):
    """A decision of the comité de pilotage."""

    __tablename__ = "copil_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    ctg_id: Mapped[int] = mapped_column(ForeignKey("ctg.id", ondelete="CASCADE"), index=True)
    date: Mapped[date]
    text: Mapped[str]
    author: Mapped[str] = mapped_column(default="")
    ctg: Mapped[Ctg] = relationship(back_populates="copil_decisions")


# -- what people did ----------------------------------------------------------------------------
class FicheConflict(Base):
    """A save of a fiche refused because somebody else saved it first.

    ``rejected`` is the full content the loser wanted to save, ``current`` the content in
    place when the save was refused (both as :meth:`FicheSpec.as_dict` dictionaries), so both
    versions are kept; ``saved_by`` / ``saved_at`` say who saved first.
    """

    __tablename__ = "fiche_conflict"

    id: Mapped[int] = mapped_column(primary_key=True)
    fiche_id: Mapped[int] = mapped_column(ForeignKey("fiche.id", ondelete="CASCADE"), index=True)
    user: Mapped[str]
    at: Mapped[datetime] = mapped_column(default=utcnow)
    expected_version: Mapped[int | None]
    found_version: Mapped[int]
    saved_by: Mapped[str] = mapped_column(default="")
    saved_at: Mapped[datetime | None]
    rejected: Mapped[dict[str, Any]] = mapped_column(JSON)
    current: Mapped[dict[str, Any]] = mapped_column(JSON)
    fiche: Mapped[Fiche] = relationship(back_populates="conflicts")


class AuditEntry(Base):
    """One change of one row: who, when (UTC), which table and row, what (before / after).

    ``action`` is ``insert`` (``after`` holds the row), ``update`` (``before`` / ``after``
    hold the changed columns only) or ``delete`` (``before`` holds the row). Written by the
    flush hook of :mod:`territoire_lib.plan.db`; never updated.
    """

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    user: Mapped[str]
    table_name: Mapped[str] = mapped_column(String(40))
    row_id: Mapped[int | None]
    ctg_id: Mapped[int | None] = mapped_column(index=True)  # no FK: survives the CTG
    action: Mapped[str] = mapped_column(String(10))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


AUDITED = (
    Ctg,
    CtgCommune,
    Partner,
    Axis,
    Fiche,
    FicheCommune,
    FicheBudget,
    FicheStatusChange,
    FollowUpIndicator,
    RealisedValue,
    EvaluationAnswer,
    CopilDecision,
    FicheConflict,
)
