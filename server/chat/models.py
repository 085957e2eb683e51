"""Handoff tables: help requests, conversations, encrypted messages, consent records,
bookings and partner memberships (migration 0002_handoff).

Everything tied to a player hangs off the anonymous ``player_session`` id and is deleted with
it (erasure). Message text is stored only as a Fernet token (``body``), never in clear.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.storage.types import json_column, utc_column

_SESSION_FK = "player_session.id"


def _session_column() -> Any:
    return sa.Column(
        sa.String(36),
        sa.ForeignKey(_SESSION_FK, ondelete="CASCADE"),
        nullable=False,
        index=True,
    )


class HelpRequest(SQLModel, table=True):
    """A player's request for a conversation, from consent to its terminal state."""

    __tablename__ = "help_request"

    id: str = Field(primary_key=True, max_length=32)
    session_id: str = Field(sa_column=_session_column())
    organisation: str = Field(default="home", max_length=40)
    preferences: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    priority: int = 1
    queue_seq: int = 0
    state: str = Field(default="waiting", max_length=16, index=True)
    created_at: datetime = Field(sa_column=utc_column())
    matched_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    ended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
    conversation_id: str | None = Field(default=None, max_length=32)
    counsellor_id: int | None = None
    outcome: str | None = Field(default=None, max_length=32)
    booking_id: str | None = Field(default=None, max_length=32)


class Conversation(SQLModel, table=True):
    """A conversation between one player and (at any time) one counsellor."""

    __tablename__ = "conversation"

    id: str = Field(primary_key=True, max_length=32)
    request_id: str = Field(max_length=32, index=True)
    session_id: str = Field(sa_column=_session_column())
    organisation: str = Field(default="home", max_length=40)
    counsellor_id: int | None = Field(default=None, index=True)
    state: str = Field(default="active", max_length=16, index=True)
    started_at: datetime = Field(sa_column=utc_column())
    ended_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True, index=True))
    outcome: str | None = Field(default=None, max_length=32)
    ended_by: str | None = Field(default=None, max_length=16)


class ChatMessage(SQLModel, table=True):
    """One chat message; ``body`` is the Fernet token of the UTF-8 text."""

    __tablename__ = "chat_message"
    __table_args__ = (
        sa.UniqueConstraint("conversation_id", "seq", name="uq_chat_message_seq"),
        sa.UniqueConstraint(
            "conversation_id", "sender", "client_id", name="uq_chat_message_client_id"
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(
        sa_column=sa.Column(
            sa.String(32), sa.ForeignKey("conversation.id", ondelete="CASCADE"), nullable=False
        )
    )
    seq: int
    sender: str = Field(max_length=16)
    client_id: str = Field(max_length=64)
    body: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    at: datetime = Field(sa_column=utc_column())


class ConsentRecord(SQLModel, table=True):
    """Proof of an explicit opt-in: who (anonymous session), when, which exact offer text,
    which choices. Nothing else about the player."""

    __tablename__ = "consent_record"

    id: int | None = Field(default=None, primary_key=True)
    session_id: str = Field(sa_column=_session_column())
    at: datetime = Field(sa_column=utc_column())
    bundle_hash: str = Field(max_length=64)
    offer_id: str = Field(max_length=64)
    offer_version: int
    choices: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())


class Booking(SQLModel, table=True):
    """An anonymous booked slot, bound only to the player's session (token)."""

    __tablename__ = "booking"

    id: str = Field(primary_key=True, max_length=32)
    session_id: str = Field(sa_column=_session_column())
    organisation: str = Field(default="home", max_length=40)
    slot_at: datetime = Field(sa_column=utc_column(index=True))
    preferences: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    state: str = Field(default="booked", max_length=16, index=True)
    created_at: datetime = Field(sa_column=utc_column())
    request_id: str | None = Field(default=None, max_length=32)
    #: When the player's game was reminded of the slot (None: not yet; migration 0006).
    reminded_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))


class PartnerMembership(SQLModel, table=True):
    """Which partner organisation (by its key) a staff account counsels for; absent = home."""

    __tablename__ = "partner_membership"

    staff_id: int = Field(
        sa_column=sa.Column(
            sa.Integer(),
            sa.ForeignKey("staff_account.id", ondelete="CASCADE"),
            primary_key=True,
        )
    )
    partner_key: str = Field(max_length=40)
