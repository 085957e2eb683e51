"""Staff sign-in: the one path from credentials to a session, for the form and for JSON.

:func:`sign_in` checks, in this order and the same way for ``POST /login`` and
``POST /auth/login``: the throttle (per account name and per address; a locked key is refused
even with the right password), the password, and the second factor where the account or one
of its roles requires it. Every outcome is audited with the caller's address: ``sign_in``,
``sign_in_failed`` (with the reason and any lockout it caused) and ``sign_in_refused`` (tried
while locked). :func:`second_factor` finishes a form sign-in that stopped for its code.

Errors are :class:`SignInRefused`, typed by a stable code and an HTTP status, so each
endpoint only chooses how to show them.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pyotp
from sqlmodel import col, select
from sqlmodel.ext.asyncio.session import AsyncSession

from server.auth import AuthenticationFailed, LoginResult, authenticate, open_staff_session
from server.storage.db import Database
from server.storage.models import StaffAccount
from server.web import throttle
from server.web.common import audit
from server.web.models import RecoveryCode, RolePolicy, TotpUse


class SignInRefused(Exception):
    """Sign-in did not succeed; ``code`` and ``status`` say why (the caller's fault)."""

    def __init__(self, status: int, code: str, message: str, *, retry_after: int = 0) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.retry_after = retry_after


@dataclass(frozen=True)
class SecondFactorNeeded:
    """The password was right; the account must now give a code (or enrol one first)."""

    account: StaffAccount
    enrolled: bool


def locked_message(seconds: int) -> str:
    """What a locked-out person is told (the same words on every endpoint)."""
    minutes = max(1, (seconds + 59) // 60)
    return (
        "Too many failed sign-in attempts. For your safety, sign-in is paused for about "
        f"{minutes} minute{'s' if minutes != 1 else ''}. Try again later or ask an administrator."
    )


def _locked(seconds: int) -> SignInRefused:
    return SignInRefused(429, "too_many_attempts", locked_message(seconds), retry_after=seconds)


async def totp_required(session: AsyncSession, account: StaffAccount) -> bool:
    """True when the account has TOTP set up or one of its roles requires it."""
    if account.totp_secret:
        return True
    return await role_requires_totp(session, account)


async def role_requires_totp(session: AsyncSession, account: StaffAccount) -> bool:
    """True when one of the account's roles requires two-step sign-in."""
    if not account.roles:
        return False
    rows = await session.exec(
        select(RolePolicy).where(
            col(RolePolicy.role).in_(account.roles), col(RolePolicy.require_totp).is_(True)
        )
    )
    return rows.first() is not None


def totp_step(secret: str, code: str, now: datetime) -> int | None:
    """The time step a six-digit code belongs to (one step of clock drift either way)."""
    code = "".join(ch for ch in code if ch.isdigit())
    if len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


async def use_totp(
    session: AsyncSession, *, staff_id: int, secret: str, code: str, now: datetime
) -> bool:
    """Accept a code once: a replay of the same (or an older) step is refused."""
    step = totp_step(secret, code, now)
    if step is None:
        return False
    row = await session.get(TotpUse, staff_id)
    if row is not None and step <= row.last_step:
        return False
    if row is None:
        row = TotpUse(staff_id=staff_id, last_step=step)
    row.last_step = step
    session.add(row)
    await session.commit()
    return True


#: Recovery codes: ten per set, 10 characters from an unambiguous alphabet (about 50 bits each).
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _normalise_recovery(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _recovery_hash(code: str) -> str:
    return hashlib.sha256(("crossroads-recovery:" + _normalise_recovery(code)).encode()).hexdigest()


async def new_recovery_codes(session: AsyncSession, *, staff_id: int, now: datetime) -> list[str]:
    """Replace the account's recovery codes with a fresh set; the codes are shown once."""
    old = await session.exec(select(RecoveryCode).where(RecoveryCode.staff_id == staff_id))
    for row in old.all():
        await session.delete(row)
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10))
        codes.append(f"{raw[:5]}-{raw[5:]}")
        session.add(RecoveryCode(code_hash=_recovery_hash(raw), staff_id=staff_id, created_at=now))
    return codes


async def unused_recovery_codes(session: AsyncSession, *, staff_id: int) -> int:
    """How many recovery codes of the account are still unused."""
    rows = await session.exec(
        select(RecoveryCode).where(
            RecoveryCode.staff_id == staff_id, col(RecoveryCode.used_at).is_(None)
        )
    )
    return len(rows.all())


async def use_recovery_code(
    session: AsyncSession, *, staff_id: int, code: str, now: datetime
) -> bool:
    """Accept an unused recovery code of this account once (it is then spent)."""
    if len(_normalise_recovery(code)) != 10:
        return False
    row = await session.get(RecoveryCode, _recovery_hash(code))
    if row is None or row.staff_id != staff_id or row.used_at is not None:
        return False
    row.used_at = now
    session.add(row)
    await session.commit()
    return True


async def use_second_factor(
    session: AsyncSession,
    *,
    account: StaffAccount,
    secret: str,
    code: str,
    address: str,
    now: datetime,
) -> bool:
    """A six-digit TOTP code, or else one of the account's recovery codes (audited)."""
    assert account.id is not None
    if await use_totp(session, staff_id=account.id, secret=secret, code=code, now=now):
        return True
    if await use_recovery_code(session, staff_id=account.id, code=code, now=now):
        left = await unused_recovery_codes(session, staff_id=account.id)
        await audit(
            session,
            now=now,
            staff_id=account.id,
            action="recovery_code_used",
            ip=address,
            detail={"left": left},
        )
        await session.commit()
        return True
    return False


async def _fail(
    session: AsyncSession,
    *,
    username: str,
    address: str,
    now: datetime,
    reason: str,
    staff_id: int | None,
    status: int,
    code: str,
    message: str,
) -> SignInRefused:
    """Count a failure against the name and the address, audit it, and say what to tell."""
    await session.rollback()
    locked = await throttle.record_failure(session, username=username, address=address, now=now)
    detail: dict[str, Any] = {"reason": reason}
    if locked:
        detail["locked_seconds"] = locked
    await audit(
        session,
        now=now,
        staff_id=staff_id,
        action="sign_in_failed",
        target=username,
        ip=address,
        detail=detail,
    )
    await session.commit()
    return _locked(locked) if locked else SignInRefused(status, code, message)


async def _check_lock(session: AsyncSession, *, username: str, address: str, now: datetime) -> None:
    locked = await throttle.lockout_seconds(
        session, (throttle.user_key(username), throttle.ip_key(address)), now
    )
    if locked:
        await audit(
            session,
            now=now,
            staff_id=None,
            action="sign_in_refused",
            target=username,
            ip=address,
            detail={"reason": "locked", "locked_seconds": locked},
        )
        await session.commit()
        raise _locked(locked)


async def _open(
    session: AsyncSession,
    account: StaffAccount,
    *,
    address: str,
    now: datetime,
    hours: int,
    via: str,
) -> LoginResult:
    result = await open_staff_session(session, account, now=now, hours=hours)
    await audit(
        session, now=now, staff_id=account.id, action="sign_in", ip=address, detail={"via": via}
    )
    await session.commit()
    await throttle.record_success(session, username=account.username)
    return result


async def sign_in(
    db: Database,
    username: str,
    password: str,
    totp: str | None,
    address: str,
    now: datetime,
    *,
    hours: int,
    via: str,
) -> LoginResult | SecondFactorNeeded:
    """Check throttle, password and second factor; open a session or raise
    :class:`SignInRefused`.

    ``totp`` None means the caller can ask for the code in a second step (the form): an
    account that needs one then gets :class:`SecondFactorNeeded` instead of a session. A
    string (the JSON endpoint; empty when absent) is checked here and now.
    """
    username = username.strip()[:64]
    if not username or not password:
        raise SignInRefused(400, "missing_credentials", "Both username and password are required.")
    async with db.session() as session:
        await _check_lock(session, username=username, address=address, now=now)
        try:
            account = await authenticate(session, username, password)
        except AuthenticationFailed:
            raise await _fail(
                session,
                username=username,
                address=address,
                now=now,
                reason="wrong_password",
                staff_id=None,
                status=401,
                code="invalid_credentials",
                message="Unknown user name or wrong password.",
            ) from None
        await session.commit()  # a rehashed password, if any
        if await totp_required(session, account):
            if totp is None:
                return SecondFactorNeeded(account, enrolled=bool(account.totp_secret))
            if not account.totp_secret:
                raise SignInRefused(
                    403,
                    "totp_enrolment_required",
                    "Your role requires two-step sign-in. Sign in at /login to set it up.",
                )
            assert account.id is not None
            if not await use_second_factor(
                session,
                account=account,
                secret=account.totp_secret,
                code=totp,
                address=address,
                now=now,
            ):
                raise await _fail(
                    session,
                    username=username,
                    address=address,
                    now=now,
                    reason="wrong_code",
                    staff_id=account.id,
                    status=401,
                    code="totp_required",
                    message="Send the current six-digit code as 'totp'.",
                )
        return await _open(session, account, address=address, now=now, hours=hours, via=via)


async def second_factor(
    db: Database,
    staff_id: int,
    code: str,
    address: str,
    now: datetime,
    *,
    hours: int,
    enrol_secret: str | None,
) -> LoginResult:
    """Finish a form sign-in with its code (enrolling ``enrol_secret`` when given)."""
    async with db.session() as session:
        account = await session.get(StaffAccount, staff_id)
        if account is None or not account.active:
            raise SignInRefused(401, "not_signed_in", "Sign in again.")
        await _check_lock(session, username=account.username, address=address, now=now)
        secret = enrol_secret or account.totp_secret or ""
        # While enrolling only the new app's code counts (recovery codes belong to a set-up).
        ok = (
            await use_totp(session, staff_id=staff_id, secret=secret, code=code, now=now)
            if enrol_secret
            else await use_second_factor(
                session, account=account, secret=secret, code=code, address=address, now=now
            )
        )
        if not ok:
            raise await _fail(
                session,
                username=account.username,
                address=address,
                now=now,
                reason="wrong_code",
                staff_id=staff_id,
                status=401,
                code="totp_required",
                message="That code did not match. Try the current one.",
            )
        if enrol_secret:
            account.totp_secret = enrol_secret
            session.add(account)
            await audit(session, now=now, staff_id=staff_id, action="totp_enrolled", ip=address)
        return await _open(session, account, address=address, now=now, hours=hours, via="form")
