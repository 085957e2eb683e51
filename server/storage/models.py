"""Foundation tables: organisation, staff accounts and sessions, anonymous player sessions,
content bundles and their publications.

Table models never cross the API boundary: each public shape has its own ``...Public`` model.
Feature areas (handoff, staff web, ethics) define their tables in their own modules on the
same ``SQLModel.metadata``; Alembic migrations ``0001``..``0004`` create them in that order.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.storage.types import json_column, utc_column

COUNSELLOR_KINDS = ("professional", "former", "survivor", "peer")
STAFF_ROLES = ("counsellor", "supervisor", "author", "reviewer", "admin")
GENDERS = ("female", "male", "nonbinary")
AGE_BANDS = ("18-25", "26-40", "41+")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class OrganisationBase(SQLModel):
    """What the game's disclosure screen shows about who runs the service."""

    name: str = Field(max_length=200)
    funder: str = Field(max_length=300)
    contact_url: str = Field(default="", max_length=500)
    description: str = Field(default="", max_length=2000)
    timezone: str = Field(default="Europe/Berlin", max_length=64)
    #: Where confidentiality ends, shown in every offer: who may be contacted when a life is in
    #: immediate danger ("" = nobody), whether details that identify the player are passed on,
    #: and whether the player is told before.
    emergency_contact: str = Field(default="", max_length=300)
    shares_identifying_details: bool = False
    tells_player_first: bool = True


class Organisation(OrganisationBase, table=True):
    """The operating organisation (one row per deployment; partners live elsewhere)."""

    __tablename__ = "organisation"

    id: int | None = Field(default=None, primary_key=True)
    service_hours: dict[str, list[list[str]]] = Field(default_factory=dict, sa_column=json_column())
    updated_at: datetime = Field(sa_column=utc_column())


class OrganisationPublic(OrganisationBase):
    """The organisation as served to anyone at ``GET /api/v1/organisation``."""

    service_hours: dict[str, list[list[str]]]
    open_now: bool
    kinds_available_now: list[str]
    #: When the service opens next (ISO 8601, UTC); None while open or with no hours set.
    next_opening: str | None = None
    #: Days chat messages are kept after a conversation ends (the server's setting).
    retention_days: int | None = None


class StaffAccountBase(SQLModel):
    """The parts of a staff account that are safe to show to colleagues."""

    username: str = Field(max_length=64)
    display_name: str = Field(max_length=120)
    kind: str | None = Field(default=None, max_length=32)
    gender: str | None = Field(default=None, max_length=32)
    age_band: str | None = Field(default=None, max_length=16)
    capacity: int = Field(default=2, ge=0, le=20)
    active: bool = True


class StaffAccount(StaffAccountBase, table=True):
    """A counsellor, supervisor, author, reviewer or admin."""

    __tablename__ = "staff_account"
    __table_args__ = (sa.UniqueConstraint("username", name="uq_staff_account_username"),)

    id: int | None = Field(default=None, primary_key=True)
    password_hash: str = Field(max_length=255)
    roles: list[str] = Field(default_factory=list, sa_column=json_column())
    languages: list[str] = Field(default_factory=list, sa_column=json_column())
    totp_secret: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=utc_column())

    def has_role(self, *roles: str) -> bool:
        """True when the account holds at least one of ``roles`` (admins hold every role)."""
        return "admin" in self.roles or any(role in self.roles for role in roles)


class StaffAccountPublic(StaffAccountBase):
    """A staff account as shown in pages and frames (never the hash or TOTP secret)."""

    id: int
    roles: list[str]
    languages: list[str]


class StaffSession(SQLModel, table=True):
    """A server-side staff session; the cookie holds a token whose SHA-256 is ``id``."""

    __tablename__ = "staff_session"

    id: str = Field(primary_key=True, max_length=64)
    staff_id: int = Field(foreign_key="staff_account.id", index=True)
    csrf_token: str = Field(max_length=64)
    created_at: datetime = Field(sa_column=utc_column())
    expires_at: datetime = Field(sa_column=utc_column())
    last_seen_at: datetime = Field(sa_column=utc_column())


class PlayerSession(SQLModel, table=True):
    """An anonymous player: a random id and the hash of the bearer token. Nothing else."""

    __tablename__ = "player_session"

    id: str = Field(primary_key=True, max_length=36)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(sa_column=utc_column())
    last_seen_at: datetime = Field(sa_column=utc_column())


class ContentBundle(SQLModel, table=True):
    """An immutable content bundle, addressed by the SHA-256 of its canonical bytes."""

    __tablename__ = "content_bundle"

    hash: str = Field(primary_key=True, max_length=64)
    body: bytes = Field(sa_column=sa.Column(sa.LargeBinary(), nullable=False))
    created_at: datetime = Field(sa_column=utc_column())


class Publication(SQLModel, table=True):
    """One publish or unpublish; the newest effective publish is what players get."""

    __tablename__ = "publication"

    id: int | None = Field(default=None, primary_key=True)
    bundle_hash: str = Field(foreign_key="content_bundle.hash", max_length=64, index=True)
    action: str = Field(max_length=16)
    at: datetime = Field(sa_column=utc_column(index=True))
    by_staff_id: int | None = Field(default=None, foreign_key="staff_account.id")
    note: str = Field(default="", max_length=2000)


def public_staff(account: StaffAccount) -> dict[str, Any]:
    """The JSON-safe public view of a staff account."""
    assert account.id is not None
    return StaffAccountPublic.model_validate(account, from_attributes=True).model_dump()
