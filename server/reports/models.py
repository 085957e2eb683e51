"""Report tables (migration 0009_reports).

``report_offer`` and ``report_request`` hold no text and no player session: only kinds,
times and counts, so aggregates survive a player's erasure without anything of theirs in them.
``objective_step`` records each proposed objective and its answer; it hangs off the
conversation and is erased with it (the optional note is the player's or counsellor's words).
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.storage.types import utc_column


class ReportOffer(SQLModel, table=True):
    """An offer of a waiting request to a counsellor and how it was resolved."""

    __tablename__ = "report_offer"

    offer_id: str = Field(primary_key=True, max_length=32)
    request_id: str = Field(max_length=32, index=True)
    counsellor_id: int = Field(index=True)
    kind: str = Field(max_length=16)
    at: datetime = Field(sa_column=utc_column(index=True))
    #: accepted | declined | expired | withdrawn | left; None while the offer is open.
    result: str | None = Field(default=None, max_length=16)


class ReportRequest(SQLModel, table=True):
    """One finished request reduced to the figures reports need (written when it ends)."""

    __tablename__ = "report_request"

    request_id: str = Field(primary_key=True, max_length=32)
    organisation: str = Field(default="home", max_length=40)
    created_at: datetime = Field(sa_column=utc_column(index=True))
    wanted_kind: str | None = Field(default=None, max_length=16)
    counsellor_id: int | None = Field(default=None, index=True)
    kind: str | None = Field(default=None, max_length=16)
    conversation_id: str | None = Field(default=None, max_length=32, index=True)
    matched: bool = False
    left_waiting: bool = False
    first_reply_seconds: float | None = None
    messages: int = 0
    counsellor_messages: int = 0
    answered: int = 0
    minutes: float | None = None
    completed: bool = False
    objective: str | None = Field(default=None, max_length=32)
    objective_agreed: bool = False
    objective_met: bool = False
    helped: bool | None = None


class ObjectiveStep(SQLModel, table=True):
    """A proposed objective for a conversation and the other side's answer."""

    __tablename__ = "objective_step"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(
        sa_column=sa.Column(
            sa.String(32),
            sa.ForeignKey("conversation.id", ondelete="CASCADE"),
            nullable=False,
            index=True,
        )
    )
    proposal_id: str = Field(max_length=32, unique=True)
    objective: str = Field(max_length=32)
    note: str | None = Field(default=None, max_length=140)
    proposed_by: str = Field(max_length=16)
    #: proposed | agreed | declined | replaced
    state: str = Field(default="proposed", max_length=16)
    proposed_at: datetime = Field(sa_column=utc_column())
    answered_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
