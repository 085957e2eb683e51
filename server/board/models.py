"""Tables of the ethics board: proposals, revisions, checks, reviews, the log and checkpoints.

The log (``ethics_log_entry``) is the source of truth and is append-only: migration 0004
installs triggers that refuse UPDATE and DELETE on SQLite and PostgreSQL. The other tables are
query-friendly copies for the board pages, written in the same transaction as the log entry.
No table here holds player data.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.storage.types import json_column, utc_column


class EthicsProposal(SQLModel, table=True):
    """A proposed content change; its log id is ``p<id>``."""

    __tablename__ = "ethics_proposal"

    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=200)
    proposer_id: int = Field(foreign_key="staff_account.id", index=True)
    status: str = Field(default="open", max_length=16, index=True)  # open | published
    current_revision: int = Field(default=1)
    created_at: datetime = Field(sa_column=utc_column())
    updated_at: datetime = Field(sa_column=utc_column())

    @property
    def key(self) -> str:
        """The proposal's id in the log."""
        return f"p{self.id}"


class EthicsProposalRevision(SQLModel, table=True):
    """One revision of a proposal: the exact bundle and the diff against the published one."""

    __tablename__ = "ethics_proposal_revision"
    __table_args__ = (sa.UniqueConstraint("proposal_id", "number", name="uq_ethics_revision"),)

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="ethics_proposal.id", index=True)
    number: int
    bundle_hash: str = Field(foreign_key="content_bundle.hash", max_length=64)
    base_bundle_hash: str | None = Field(default=None, max_length=64)
    message: str = Field(max_length=4000)
    by_staff_id: int = Field(foreign_key="staff_account.id")
    diff: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())
    created_at: datetime = Field(sa_column=utc_column())


class EthicsCheckResult(SQLModel, table=True):
    """One finding of the automated transparency checks on one revision."""

    __tablename__ = "ethics_check_result"

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="ethics_proposal.id", index=True)
    revision: int
    bundle_hash: str = Field(max_length=64)
    check_id: str = Field(max_length=64)
    severity: str = Field(max_length=16)
    location: str = Field(max_length=300)
    explanation: str = Field(max_length=4000)
    created_at: datetime = Field(sa_column=utc_column())


class EthicsReview(SQLModel, table=True):
    """A board member's decision on one exact bundle hash."""

    __tablename__ = "ethics_review"

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="ethics_proposal.id", index=True)
    revision: int
    bundle_hash: str = Field(max_length=64)
    reviewer_id: int = Field(foreign_key="staff_account.id")
    decision: str = Field(max_length=16)
    rationale: str = Field(max_length=4000)
    checklist: dict[str, bool] = Field(default_factory=dict, sa_column=json_column())
    log_index: int
    created_at: datetime = Field(sa_column=utc_column())


class EthicsAcknowledgement(SQLModel, table=True):
    """An explicit acknowledgement of one flagged check result."""

    __tablename__ = "ethics_acknowledgement"

    id: int | None = Field(default=None, primary_key=True)
    proposal_id: int = Field(foreign_key="ethics_proposal.id", index=True)
    revision: int
    bundle_hash: str = Field(max_length=64)
    check_id: str = Field(max_length=64)
    location: str = Field(max_length=300)
    by_staff_id: int = Field(foreign_key="staff_account.id")
    rationale: str = Field(max_length=4000)
    log_index: int
    created_at: datetime = Field(sa_column=utc_column())


class EthicsLogEntry(SQLModel, table=True):
    """One entry of the append-only log: its position, canonical bytes and leaf hash."""

    __tablename__ = "ethics_log_entry"

    entry_index: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    kind: str = Field(max_length=32, index=True)
    proposal: str | None = Field(default=None, max_length=32, index=True)
    bundle_hash: str | None = Field(default=None, max_length=64, index=True)
    body: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    leaf_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=utc_column())


class EthicsCheckpoint(SQLModel, table=True):
    """A signed tree head (C2SP signed note) at some log size."""

    __tablename__ = "ethics_checkpoint"

    id: int | None = Field(default=None, primary_key=True)
    size: int = Field(index=True)
    root: str = Field(max_length=64)
    key_id: str = Field(max_length=8)
    note: str = Field(max_length=4000)
    created_at: datetime = Field(sa_column=utc_column())


class EthicsSigningKey(SQLModel, table=True):
    """Public metadata of a checkpoint signing key (the private key stays in the key dir)."""

    __tablename__ = "ethics_signing_key"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    key_id: str = Field(max_length=8, unique=True)
    vkey: str = Field(max_length=300)
    active: bool = Field(default=True)
    created_at: datetime = Field(sa_column=utc_column())
    retired_at: datetime | None = Field(default=None, sa_column=utc_column(nullable=True))
