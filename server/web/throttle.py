"""Sign-in throttling: count failures per user name and per address, lock out for a while.

The rules are pure functions over a :class:`LoginThrottle` row and ``now``; the two async
helpers at the bottom load and store rows. A locked key is refused even with the right
password, so a lockout never turns into a password oracle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from math import ceil

from sqlmodel.ext.asyncio.session import AsyncSession

from server.web.models import LoginThrottle


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failures within ``window`` lock a key, and for how long."""

    max_failures: int
    window: timedelta
    lockout: timedelta


#: Five wrong passwords for one account within 15 minutes lock it for 15 minutes.
USER_POLICY = ThrottlePolicy(5, timedelta(minutes=15), timedelta(minutes=15))
#: One address gets more room (a shared office network) but is locked the same way.
IP_POLICY = ThrottlePolicy(20, timedelta(minutes=15), timedelta(minutes=15))


def user_key(username: str) -> str:
    """Throttle key for an account name (case-insensitive, trimmed)."""
    return "user:" + username.strip().lower()[:150]


def ip_key(address: str) -> str:
    """Throttle key for a client address."""
    return "ip:" + (address or "unknown")[:150]


def retry_after(row: LoginThrottle | None, now: datetime) -> int:
    """Seconds until the key may try again; 0 when it is not locked."""
    if row is None:
        return 0
    locked_until = row.locked_until
    if locked_until is None or locked_until <= now:
        return 0
    return max(1, ceil((locked_until - now).total_seconds()))


def register_failure(row: LoginThrottle, now: datetime, policy: ThrottlePolicy) -> LoginThrottle:
    """Count one failure; start a new window when the old one ran out; lock at the limit."""
    started = row.window_started_at
    locked_until = row.locked_until
    if locked_until is not None and locked_until <= now:
        # A served lockout starts a fresh count.
        row.failures = 0
        row.locked_until = None
        started = None
    if started is None or now - started > policy.window:
        row.failures = 0
        row.window_started_at = now
    row.failures += 1
    if row.failures >= policy.max_failures:
        row.locked_until = now + policy.lockout
    row.updated_at = now
    return row


async def lockout_seconds(session: AsyncSession, keys: Iterable[str], now: datetime) -> int:
    """The longest remaining lockout over ``keys`` (0 when none is locked)."""
    longest = 0
    for key in keys:
        longest = max(longest, retry_after(await session.get(LoginThrottle, key), now))
    return longest


async def record_failure(
    session: AsyncSession, *, username: str, address: str, now: datetime
) -> int:
    """Count a failed sign-in against the account and the address; return any lockout."""
    longest = 0
    for key, policy in ((user_key(username), USER_POLICY), (ip_key(address), IP_POLICY)):
        row = await session.get(LoginThrottle, key)
        if row is None:
            row = LoginThrottle(key=key, failures=0)
        register_failure(row, now, policy)
        session.add(row)
        longest = max(longest, retry_after(row, now))
    await session.commit()
    return longest


async def record_success(session: AsyncSession, *, username: str) -> None:
    """A successful sign-in clears the account's failure count (not the address's)."""
    row = await session.get(LoginThrottle, user_key(username))
    if row is not None:
        await session.delete(row)
        await session.commit()
