"""Report tables: offers and finished requests reduced to counts, and objective agreements.

Revision ID: 0009_reports
Revises: 0008_recovery_codes
Create Date: 2026-12-04
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.storage.types import UTCDateTime

revision: str = "0009_reports"
down_revision: str | None = "0008_recovery_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "report_offer",
        sa.Column("offer_id", sa.String(32), primary_key=True),
        sa.Column("request_id", sa.String(32), nullable=False),
        sa.Column("counsellor_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("result", sa.String(16), nullable=True),
    )
    op.create_index("ix_report_offer_request_id", "report_offer", ["request_id"])
    op.create_index("ix_report_offer_counsellor_id", "report_offer", ["counsellor_id"])
    op.create_index("ix_report_offer_at", "report_offer", ["at"])
    op.create_table(
        "report_request",
        sa.Column("request_id", sa.String(32), primary_key=True),
        sa.Column("organisation", sa.String(40), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("wanted_kind", sa.String(16), nullable=True),
        sa.Column("counsellor_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(16), nullable=True),
        sa.Column("conversation_id", sa.String(32), nullable=True),
        sa.Column("matched", sa.Boolean(), nullable=False),
        sa.Column("left_waiting", sa.Boolean(), nullable=False),
        sa.Column("first_reply_seconds", sa.Float(), nullable=True),
        sa.Column("messages", sa.Integer(), nullable=False),
        sa.Column("counsellor_messages", sa.Integer(), nullable=False),
        sa.Column("answered", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Float(), nullable=True),
        sa.Column("completed", sa.Boolean(), nullable=False),
        sa.Column("objective", sa.String(32), nullable=True),
        sa.Column("objective_agreed", sa.Boolean(), nullable=False),
        sa.Column("objective_met", sa.Boolean(), nullable=False),
        sa.Column("helped", sa.Boolean(), nullable=True),
    )
    op.create_index("ix_report_request_created_at", "report_request", ["created_at"])
    op.create_index("ix_report_request_counsellor_id", "report_request", ["counsellor_id"])
    op.create_index("ix_report_request_conversation_id", "report_request", ["conversation_id"])
    op.create_table(
        "objective_step",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversation.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("proposal_id", sa.String(32), nullable=False, unique=True),
        sa.Column("objective", sa.String(32), nullable=False),
        sa.Column("note", sa.String(140), nullable=True),
        sa.Column("proposed_by", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("proposed_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_objective_step_conversation_id", "objective_step", ["conversation_id"])


def downgrade() -> None:
    op.drop_table("objective_step")
    op.drop_table("report_request")
    op.drop_table("report_offer")
