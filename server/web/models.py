"""Tables owned by the staff web area (migration ``0003_staff``).

Login throttling, per-role sign-in policy, canned responses, encrypted private notes, the staff
audit log, partner organisations for referrals, shifts (for break reminders) and debriefs.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from server.storage.types import json_column, utc_column, utcnow

__all__ = ["utcnow"]


def _ts(nullable: bool = False) -> Any:
    return Field(default=None, sa_column=utc_column(nullable=nullable))


class LoginThrottle(SQLModel, table=True):
    """Failed sign-ins for one key (``user:<name>`` or ``ip:<addr>``) and any lockout."""

    __tablename__ = "login_throttle"

    key: str = Field(primary_key=True, max_length=200)
    failures: int = 0
    window_started_at: datetime | None = _ts(nullable=True)
    locked_until: datetime | None = _ts(nullable=True)
    updated_at: datetime | None = _ts(nullable=True)


class RolePolicy(SQLModel, table=True):
    """Per-role sign-in policy set by an admin (today: whether TOTP is required)."""

    __tablename__ = "role_policy"

    role: str = Field(primary_key=True, max_length=32)
    require_totp: bool = False
    updated_at: datetime | None = _ts(nullable=True)


class CannedResponse(SQLModel, table=True):
    """A reusable reply: organisation-wide when ``owner_staff_id`` is None, else personal."""

    __tablename__ = "canned_response"

    id: int | None = Field(default=None, primary_key=True)
    owner_staff_id: int | None = Field(
        default=None, foreign_key="staff_account.id", index=True, ondelete="CASCADE"
    )
    shortcut: str = Field(max_length=40)
    title: str = Field(max_length=120)
    body: str = Field(sa_type=sa.Text)
    language: str = Field(default="en", max_length=8)
    created_at: datetime | None = _ts()
    updated_at: datetime | None = _ts()


class ConversationNote(SQLModel, table=True):
    """A counsellor's private note on a conversation; ``body`` is a Fernet token."""

    __tablename__ = "conversation_note"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(max_length=64, index=True)
    staff_id: int = Field(foreign_key="staff_account.id", index=True)
    body_encrypted: bytes = Field(sa_type=sa.LargeBinary)
    created_at: datetime | None = _ts()


class AuditLog(SQLModel, table=True):
    """Who did what to whom: transcript reads, sign-ins, account and policy changes."""

    __tablename__ = "audit_log"

    id: int | None = Field(default=None, primary_key=True)
    at: datetime | None = _ts()
    staff_id: int | None = Field(default=None, index=True)
    action: str = Field(max_length=64, index=True)
    target: str = Field(default="", max_length=200)
    ip: str = Field(default="", max_length=64)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=json_column())


class PartnerOrganisation(SQLModel, table=True):
    """An organisation counsellors may refer a young person to."""

    __tablename__ = "partner_organisation"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=40, unique=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", sa_type=sa.Text)
    contact: str = Field(default="", max_length=300)
    url: str = Field(default="", max_length=300)
    languages: list[str] = Field(default_factory=list, sa_column=json_column())
    active: bool = True
    created_at: datetime | None = _ts()


class StaffShift(SQLModel, table=True):
    """A counsellor's shift: from going available until going offline; breaks reset the clock."""

    __tablename__ = "staff_shift"

    id: int | None = Field(default=None, primary_key=True)
    staff_id: int = Field(foreign_key="staff_account.id", index=True)
    started_at: datetime | None = _ts()
    ended_at: datetime | None = _ts(nullable=True)
    last_break_at: datetime | None = _ts(nullable=True)
    last_reminder_at: datetime | None = _ts(nullable=True)


class Debrief(SQLModel, table=True):
    """A debrief owed after a safeguarding outcome; open until a supervisor marks it done."""

    __tablename__ = "debrief"

    conversation_id: str = Field(primary_key=True, max_length=64)
    counsellor_id: int | None = Field(default=None, index=True)
    flagged_at: datetime | None = _ts()
    done_at: datetime | None = _ts(nullable=True)
    done_by: int | None = None
    note: str = Field(default="", sa_type=sa.Text)


class SupervisorRequest(SQLModel, table=True):
    """A counsellor asked for a supervisor on a conversation; open until handled or ended."""

    __tablename__ = "supervisor_request"

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(max_length=64, index=True)
    requested_by: int = Field(foreign_key="staff_account.id")
    requested_at: datetime | None = _ts()
    seen_at: datetime | None = _ts(nullable=True)
    seen_by: int | None = None
    handled_at: datetime | None = _ts(nullable=True)
    handled_by: int | None = None


class TotpUse(SQLModel, table=True):
    """The last accepted TOTP time step per account, so a code works only once (ASVS 2.8.4)."""

    __tablename__ = "totp_use"

    staff_id: int = Field(primary_key=True, foreign_key="staff_account.id", ondelete="CASCADE")
    last_step: int = 0


class RecoveryCode(SQLModel, table=True):
    """A one-time code that stands in for a TOTP code (a lost phone); only its SHA-256."""

    __tablename__ = "recovery_code"

    code_hash: str = Field(primary_key=True, max_length=64)
    staff_id: int = Field(foreign_key="staff_account.id", index=True, ondelete="CASCADE")
    created_at: datetime | None = _ts()
    used_at: datetime | None = _ts(nullable=True)
