"""Staff account rules shared by the admin pages and ``crossroads admin``.

Keyword-only functions that take a session, validate, and raise :class:`StaffInputError`
with a message meant for the person at the keyboard.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth import hash_password
from server.storage.models import (
    AGE_BANDS,
    COUNSELLOR_KINDS,
    GENDERS,
    STAFF_ROLES,
    StaffAccount,
    StaffSession,
)
from server.web.models import RolePolicy

USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
LANGUAGE_RE = re.compile(r"^[a-z]{2,3}$")
MIN_PASSWORD_LENGTH = 12


class StaffInputError(ValueError):
    """Invalid input from an administrator (their fault; the message says what to fix)."""


def clean_username(value: str) -> str:
    """Lower-case and check a user name."""
    value = value.strip().lower()
    if not USERNAME_RE.match(value):
        raise StaffInputError(
            "A user name is 2-64 characters: lower-case letters, digits, '.', '_' or '-', "
            "starting with a letter or digit."
        )
    return value


def clean_roles(values: Iterable[str]) -> list[str]:
    """Known roles only, in the canonical order, at least one."""
    wanted = {v.strip() for v in values if v.strip()}
    unknown = wanted - set(STAFF_ROLES)
    if unknown:
        raise StaffInputError(
            f"Unknown role(s): {', '.join(sorted(unknown))}. Roles: {', '.join(STAFF_ROLES)}."
        )
    if not wanted:
        raise StaffInputError("Give at least one role.")
    return [r for r in STAFF_ROLES if r in wanted]


def clean_languages(values: Iterable[str]) -> list[str]:
    """Two- or three-letter language codes, de-duplicated in order."""
    out: list[str] = []
    for value in values:
        code = value.strip().lower()
        if not code:
            continue
        if not LANGUAGE_RE.match(code):
            raise StaffInputError(f"'{value}' is not a language code such as en or de.")
        if code not in out:
            out.append(code)
    return out


def clean_choice(value: str | None, allowed: tuple[str, ...], name: str) -> str | None:
    """An optional value from a closed list."""
    if value is None or value.strip() == "":
        return None
    value = value.strip()
    if value not in allowed:
        raise StaffInputError(f"{name} must be one of: {', '.join(allowed)}.")
    return value


def check_password(password: str) -> str:
    """Passwords are at least 12 characters (ASVS L2 2.1.1)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise StaffInputError(f"A password needs at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > 1024:
        raise StaffInputError("That password is too long (1024 characters at most).")
    return password


def clean_capacity(value: int | str) -> int:
    """A caseload cap between 0 and 10."""
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise StaffInputError("The caseload cap must be a whole number.") from exc
    if not 0 <= number <= 10:
        raise StaffInputError("The caseload cap must be between 0 and 10.")
    return number


async def find_staff(session: AsyncSession, *, username: str) -> StaffAccount | None:
    """The account with this user name (case-insensitive), if any."""
    return (
        await session.exec(
            select(StaffAccount).where(StaffAccount.username == username.strip().lower())
        )
    ).first()


async def create_staff(
    session: AsyncSession,
    *,
    username: str,
    display_name: str,
    password: str,
    roles: Iterable[str],
    now: datetime,
    kind: str | None = None,
    languages: Iterable[str] = (),
    gender: str | None = None,
    age_band: str | None = None,
    capacity: int | str = 2,
) -> StaffAccount:
    """Create an account (the caller commits)."""
    username = clean_username(username)
    display_name = display_name.strip()
    if not display_name or len(display_name) > 120:
        raise StaffInputError("A display name of 1-120 characters is required.")
    if await find_staff(session, username=username) is not None:
        raise StaffInputError(f"The user name '{username}' is taken.")
    roles_clean = clean_roles(roles)
    kind_clean = clean_choice(kind, COUNSELLOR_KINDS, "Counsellor kind")
    languages_clean = clean_languages(languages)
    if "counsellor" in roles_clean and (kind_clean is None or not languages_clean):
        raise StaffInputError("A counsellor needs a kind and at least one language.")
    account = StaffAccount(
        username=username,
        display_name=display_name,
        password_hash=hash_password(check_password(password)),
        roles=roles_clean,
        kind=kind_clean,
        languages=languages_clean,
        gender=clean_choice(gender, GENDERS, "Gender"),
        age_band=clean_choice(age_band, AGE_BANDS, "Age band"),
        capacity=clean_capacity(capacity),
        active=True,
        created_at=now,
    )
    session.add(account)
    return account


async def set_password(session: AsyncSession, *, account: StaffAccount, password: str) -> None:
    """Set a new password and end every session of the account (the caller commits)."""
    account.password_hash = hash_password(check_password(password))
    session.add(account)
    await end_sessions(session, staff_id=account.id or 0)


async def end_sessions(session: AsyncSession, *, staff_id: int) -> None:
    """Delete every session of an account (the caller commits)."""
    rows = await session.exec(select(StaffSession).where(StaffSession.staff_id == staff_id))
    for row in rows.all():
        await session.delete(row)


async def set_role_totp(
    session: AsyncSession, *, role: str, required: bool, now: datetime
) -> RolePolicy:
    """Require (or stop requiring) TOTP for everyone holding ``role``."""
    if role not in STAFF_ROLES:
        raise StaffInputError(f"Unknown role '{role}'. Roles: {', '.join(STAFF_ROLES)}.")
    row = await session.get(RolePolicy, role)
    if row is None:
        row = RolePolicy(role=role)
    row.require_totp = required
    row.updated_at = now
    session.add(row)
    return row


async def role_policies(session: AsyncSession) -> dict[str, bool]:
    """``{role: require_totp}`` for every role."""
    rows = {r.role: r.require_totp for r in (await session.exec(select(RolePolicy))).all()}
    return {role: rows.get(role, False) for role in STAFF_ROLES}


async def list_staff(session: AsyncSession) -> list[StaffAccount]:
    """Every account, by user name."""
    return list(
        (await session.exec(select(StaffAccount).order_by(col(StaffAccount.username)))).all()
    )
