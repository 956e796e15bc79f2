"""Initial schema of the CTG plan database: CTG, partners, perimeter, axes, fiches actions
(status history, budgets, communes), follow-up indicators and realised values, evaluation
answers, comité de pilotage decisions, fiche conflicts and the audit trail.

Revision ID: 0001
Revises: (none)
Create Date: 2025-01-01
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("table_name", sa.String(length=40), nullable=False),
        sa.Column("row_id", sa.Integer(), nullable=True),
        sa.Column("ctg_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=10), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entry")),
    )
    op.create_index(op.f("ix_audit_entry_at"), "audit_entry", ["at"], unique=False)
    op.create_index(op.f("ix_audit_entry_ctg_id"), "audit_entry", ["ctg_id"], unique=False)

    op.create_table(
        "ctg",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("territory_code", sa.String(length=40), nullable=False),
        sa.Column("territory_name", sa.Text(), nullable=False),
        sa.Column("start_year", sa.Integer(), nullable=False),
        sa.Column("end_year", sa.Integer(), nullable=False),
        sa.Column("signed_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.CheckConstraint("end_year >= start_year", name=op.f("ck_ctg_period")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ctg")),
        sa.UniqueConstraint("code", name=op.f("uq_ctg_code")),
    )
    op.create_table(
        "axis",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ctg_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ctg_id"], ["ctg.id"], name=op.f("fk_axis_ctg_id_ctg"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_axis")),
        sa.UniqueConstraint("ctg_id", "code", name=op.f("uq_axis_ctg_id_code")),
    )
    op.create_index(op.f("ix_axis_ctg_id"), "axis", ["ctg_id"], unique=False)

    op.create_table(
        "copil_decision",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ctg_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ctg_id"], ["ctg.id"], name=op.f("fk_copil_decision_ctg_id_ctg"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_copil_decision")),
    )
    op.create_index(op.f("ix_copil_decision_ctg_id"), "copil_decision", ["ctg_id"], unique=False)

    op.create_table(
        "ctg_commune",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ctg_id", sa.Integer(), nullable=False),
        sa.Column("commune", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["ctg_id"], ["ctg.id"], name=op.f("fk_ctg_commune_ctg_id_ctg"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ctg_commune")),
        sa.UniqueConstraint("ctg_id", "commune", name=op.f("uq_ctg_commune_ctg_id_commune")),
    )
    op.create_index(op.f("ix_ctg_commune_ctg_id"), "ctg_commune", ["ctg_id"], unique=False)

    op.create_table(
        "partner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ctg_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("signatory", sa.Boolean(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ctg_id"], ["ctg.id"], name=op.f("fk_partner_ctg_id_ctg"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_partner")),
        sa.UniqueConstraint("ctg_id", "name", name=op.f("uq_partner_ctg_id_name")),
    )
    op.create_index(op.f("ix_partner_ctg_id"), "partner", ["ctg_id"], unique=False)

    op.create_table(
        "evaluation_answer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("axis_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=20), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("author", sa.Text(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.CheckConstraint(
            "question IN ('pertinence', 'cohérence', 'efficacité', 'efficience')",
            name=op.f("ck_evaluation_answer_question"),
        ),
        sa.ForeignKeyConstraint(
            ["axis_id"],
            ["axis.id"],
            name=op.f("fk_evaluation_answer_axis_id_axis"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_answer")),
        sa.UniqueConstraint(
            "axis_id", "question", "year", name=op.f("uq_evaluation_answer_axis_id_question_year")
        ),
    )
    op.create_index(
        op.f("ix_evaluation_answer_axis_id"), "evaluation_answer", ["axis_id"], unique=False
    )

    op.create_table(
        "fiche",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ctg_id", sa.Integer(), nullable=False),
        sa.Column("axis_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("objective", sa.Text(), nullable=False),
        sa.Column("theme", sa.String(length=40), nullable=False),
        sa.Column("pilot", sa.Text(), nullable=False),
        sa.Column("partners", sa.Text(), nullable=False),
        sa.Column("public", sa.Text(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=True),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("updated_by", sa.Text(), nullable=False),
        sa.CheckConstraint(
            "status IN ('à lancer', 'en cours', 'réalisée', 'abandonnée')",
            name=op.f("ck_fiche_status"),
        ),
        sa.ForeignKeyConstraint(["axis_id"], ["axis.id"], name=op.f("fk_fiche_axis_id_axis")),
        sa.ForeignKeyConstraint(
            ["ctg_id"], ["ctg.id"], name=op.f("fk_fiche_ctg_id_ctg"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiche")),
        sa.UniqueConstraint("ctg_id", "code", name=op.f("uq_fiche_ctg_id_code")),
    )
    op.create_index(op.f("ix_fiche_axis_id"), "fiche", ["axis_id"], unique=False)
    op.create_index(op.f("ix_fiche_ctg_id"), "fiche", ["ctg_id"], unique=False)

    op.create_table(
        "fiche_budget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiche_id", sa.Integer(), nullable=False),
        sa.Column("funder", sa.Text(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Float(), nullable=False),
        sa.Column("spent", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["fiche_id"],
            ["fiche.id"],
            name=op.f("fk_fiche_budget_fiche_id_fiche"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiche_budget")),
        sa.UniqueConstraint(
            "fiche_id", "funder", "year", name=op.f("uq_fiche_budget_fiche_id_funder_year")
        ),
    )
    op.create_index(op.f("ix_fiche_budget_fiche_id"), "fiche_budget", ["fiche_id"], unique=False)

    op.create_table(
        "fiche_commune",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiche_id", sa.Integer(), nullable=False),
        sa.Column("commune", sa.String(length=5), nullable=False),
        sa.ForeignKeyConstraint(
            ["fiche_id"],
            ["fiche.id"],
            name=op.f("fk_fiche_commune_fiche_id_fiche"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiche_commune")),
        sa.UniqueConstraint("fiche_id", "commune", name=op.f("uq_fiche_commune_fiche_id_commune")),
    )
    op.create_index(op.f("ix_fiche_commune_fiche_id"), "fiche_commune", ["fiche_id"], unique=False)

    op.create_table(
        "fiche_conflict",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiche_id", sa.Integer(), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("expected_version", sa.Integer(), nullable=True),
        sa.Column("found_version", sa.Integer(), nullable=False),
        sa.Column("saved_by", sa.Text(), nullable=False),
        sa.Column("saved_at", sa.DateTime(), nullable=True),
        sa.Column("rejected", sa.JSON(), nullable=False),
        sa.Column("current", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fiche_id"],
            ["fiche.id"],
            name=op.f("fk_fiche_conflict_fiche_id_fiche"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiche_conflict")),
    )
    op.create_index(
        op.f("ix_fiche_conflict_fiche_id"), "fiche_conflict", ["fiche_id"], unique=False
    )

    op.create_table(
        "fiche_status_change",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiche_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("old_status", sa.String(length=20), nullable=True),
        sa.Column("new_status", sa.String(length=20), nullable=False),
        sa.Column("user", sa.Text(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "new_status IN ('à lancer', 'en cours', 'réalisée', 'abandonnée')",
            name=op.f("ck_fiche_status_change_new_status"),
        ),
        sa.ForeignKeyConstraint(
            ["fiche_id"],
            ["fiche.id"],
            name=op.f("fk_fiche_status_change_fiche_id_fiche"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fiche_status_change")),
    )
    op.create_index(
        op.f("ix_fiche_status_change_fiche_id"), "fiche_status_change", ["fiche_id"], unique=False
    )

    op.create_table(
        "follow_up_indicator",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("fiche_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("catalogue_id", sa.String(length=80), nullable=True),
        sa.Column("label", sa.Text(), nullable=False),
        sa.Column("unit", sa.Text(), nullable=False),
        sa.Column("baseline_value", sa.Float(), nullable=True),
        sa.Column("baseline_year", sa.Integer(), nullable=True),
        sa.Column("target_value", sa.Float(), nullable=True),
        sa.Column("target_year", sa.Integer(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fiche_id"],
            ["fiche.id"],
            name=op.f("fk_follow_up_indicator_fiche_id_fiche"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_up_indicator")),
        sa.UniqueConstraint("fiche_id", "code", name=op.f("uq_follow_up_indicator_fiche_id_code")),
    )
    op.create_index(
        op.f("ix_follow_up_indicator_fiche_id"), "follow_up_indicator", ["fiche_id"], unique=False
    )

    op.create_table(
        "realised_value",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("indicator_id", sa.Integer(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("entered_by", sa.Text(), nullable=False),
        sa.Column("entered_at", sa.DateTime(), nullable=False),
        sa.Column("computed", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["indicator_id"],
            ["follow_up_indicator.id"],
            name=op.f("fk_realised_value_indicator_id_follow_up_indicator"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_realised_value")),
        sa.UniqueConstraint(
            "indicator_id", "year", name=op.f("uq_realised_value_indicator_id_year")
        ),
    )
    op.create_index(
        op.f("ix_realised_value_indicator_id"), "realised_value", ["indicator_id"], unique=False
    )


def downgrade() -> None:
    op.drop_table("realised_value")
    op.drop_table("follow_up_indicator")
    op.drop_table("fiche_status_change")
    op.drop_table("fiche_conflict")
    op.drop_table("fiche_commune")
    op.drop_table("fiche_budget")
    op.drop_table("fiche")
    op.drop_table("evaluation_answer")
    op.drop_table("partner")
    op.drop_table("ctg_commune")
    op.drop_table("copil_decision")
    op.drop_table("axis")
    op.drop_table("ctg")
    op.drop_table("audit_entry")
