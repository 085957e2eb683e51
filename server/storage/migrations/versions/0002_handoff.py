"""Handoff: help requests, conversations, encrypted chat messages, consent records, bookings,
partner memberships.

Revision ID: 0002_handoff
Revises: 0001_foundation
Create Date: 2026-11-27
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.storage.types import UTCDateTime

revision: str = "0002_handoff"
down_revision: str | None = "0001_foundation"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _session_fk() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "session_id",
        sa.String(36),
        sa.ForeignKey("player_session.id", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "help_request",
        sa.Column("id", sa.String(32), primary_key=True),
        _session_fk(),
        sa.Column("organisation", sa.String(40), nullable=False),
        sa.Column("preferences", sa.JSON(), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("queue_seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("matched_at", UTCDateTime(), nullable=True),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("conversation_id", sa.String(32), nullable=True),
        sa.Column("counsellor_id", sa.Integer(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("booking_id", sa.String(32), nullable=True),
    )
    op.create_index("ix_help_request_session_id", "help_request", ["session_id"])
    op.create_index("ix_help_request_state", "help_request", ["state"])
    op.create_table(
        "conversation",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("request_id", sa.String(32), nullable=False),
        _session_fk(),
        sa.Column("organisation", sa.String(40), nullable=False),
        sa.Column("counsellor_id", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("ended_at", UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(32), nullable=True),
        sa.Column("ended_by", sa.String(16), nullable=True),
    )
    op.create_index("ix_conversation_request_id", "conversation", ["request_id"])
    op.create_index("ix_conversation_session_id", "conversation", ["session_id"])
    op.create_index("ix_conversation_counsellor_id", "conversation", ["counsellor_id"])
    op.create_index("ix_conversation_state", "conversation", ["state"])
    op.create_index("ix_conversation_ended_at", "conversation", ["ended_at"])
    op.create_table(
        "chat_message",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "conversation_id",
            sa.String(32),
            sa.ForeignKey("conversation.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("sender", sa.String(16), nullable=False),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=False),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("conversation_id", "seq", name="uq_chat_message_seq"),
        sa.UniqueConstraint(
            "conversation_id", "sender", "client_id", name="uq_chat_message_client_id"
        ),
    )
    op.create_table(
        "consent_record",
        sa.Column("id", sa.Integer(), primary_key=True),
        _session_fk(),
        sa.Column("at", UTCDateTime(), nullable=False),
        sa.Column("bundle_hash", sa.String(64), nullable=False),
        sa.Column("offer_id", sa.String(64), nullable=False),
        sa.Column("offer_version", sa.Integer(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
    )
    op.create_index("ix_consent_record_session_id", "consent_record", ["session_id"])
    op.create_table(
        "booking",
        sa.Column("id", sa.String(32), primary_key=True),
        _session_fk(),
        sa.Column("organisation", sa.String(40), nullable=False),
        sa.Column("slot_at", UTCDateTime(), nullable=False),
        sa.Column("preferences", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("request_id", sa.String(32), nullable=True),
    )
    op.create_index("ix_booking_session_id", "booking", ["session_id"])
    op.create_index("ix_booking_slot_at", "booking", ["slot_at"])
    op.create_index("ix_booking_state", "booking", ["state"])
    op.create_table(
        "partner_membership",
        sa.Column(
            "staff_id",
            sa.Integer(),
            sa.ForeignKey("staff_account.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("partner_key", sa.String(40), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("partner_membership")
    op.drop_table("booking")
    op.drop_table("consent_record")
    op.drop_table("chat_message")
    op.drop_table("conversation")
    op.drop_table("help_request")
