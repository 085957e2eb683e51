"""A staff socket holds only the authority its account and session still have.

A socket is opened with a :class:`Grant`: the session it was opened under and the account's
roles and password hash at that moment. :func:`recheck` compares open sockets with the
database and closes those whose grant no longer holds:

* ``4001`` (``CloseCode.UNAUTHENTICATED``): the session ended (signed out, signed out
  everywhere, ended by a password change or an administrator) or expired, or the account
  was disabled. The console sends the person to sign in.
* ``4011`` (``CloseCode.AUTHORITY_CHANGED``): the session is still good but the account's
  roles or password changed. The console reconnects at once; the upgrade applies the new
  roles (and refuses with 403 when none is left).

When the account may no longer counsel (counsellor role removed, account disabled), the
core forgets the counsellor at once (:meth:`handoff.Dispatcher.counsellor_revoked`): offers
are withdrawn and held conversations go back to the front of the queue with no grace period.

Web handlers call :func:`recheck` right after the change (``server.web.live``), and a watcher
rechecks every ``RECHECK_SECONDS`` so a change made elsewhere (the admin CLI, another
process) reaches the sockets too. One query for the sessions and one for the accounts of
whoever is connected; nothing when nobody is.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiohttp import web
from sqlmodel import col, select

from handoff.protocol import CloseCode
from server.storage.models import StaffAccount, StaffSession
from server.storage.types import utcnow

if TYPE_CHECKING:
    from server.gateways.connections import StaffConnection
    from server.gateways.hub import Hub

log = logging.getLogger("crossroads.gateways.authority")

#: How often open staff sockets are compared with the database (changes made elsewhere).
RECHECK_SECONDS = 0.5


@dataclass(frozen=True, slots=True)
class Grant:
    """What a staff socket was opened with: checked again on every authority change."""

    session_id: str
    roles: frozenset[str]
    password_hash: str
    counsels: bool

    @classmethod
    def of(cls, session: StaffSession, account: StaffAccount) -> Grant:
        """The grant of a socket opened now under ``session``."""
        return cls(session.id, frozenset(account.roles), account.password_hash, counsels(account))


def counsels(account: StaffAccount) -> bool:
    """Whether the account may take conversations (the rule ``profile_for`` applies)."""
    return account.active and "counsellor" in account.roles and bool(account.kind)


async def recheck(hub: Hub, staff_ids: Iterable[int] | None = None) -> int:
    """Close the sockets (of ``staff_ids``, or everyone's) whose grant no longer holds.

    Returns how many sockets were closed. Closing happens concurrently; the core forgets a
    counsellor who may no longer counsel before any close handshake is awaited, so from this
    call on their socket can neither accept, read nor write.
    """
    wanted = set(hub.staff) if staff_ids is None else set(staff_ids) & set(hub.staff)
    conns: list[StaffConnection] = [
        c for sid in wanted for c in list(hub.staff.get(sid, {}).values()) if c.grant is not None
    ]
    if not conns:
        return 0
    session_ids = {c.grant.session_id for c in conns if c.grant is not None}
    async with hub.db.session() as session:
        sessions = {
            row.id: row
            for row in (
                await session.exec(
                    select(StaffSession).where(col(StaffSession.id).in_(session_ids))
                )
            ).all()
        }
        accounts = {
            row.id: row
            for row in (
                await session.exec(select(StaffAccount).where(col(StaffAccount.id).in_(wanted)))
            ).all()
        }
    now = utcnow()
    closing: list[tuple[StaffConnection, int, str]] = []
    revoked: set[int] = set()
    for conn in conns:
        grant = conn.grant
        assert grant is not None
        row = sessions.get(grant.session_id)
        account = accounts.get(conn.staff_id)
        if account is None or not account.active or row is None or row.expires_at <= now:
            closing.append((conn, CloseCode.UNAUTHENTICATED, "session_ended"))
        elif (
            frozenset(account.roles) != grant.roles or account.password_hash != grant.password_hash
        ):
            closing.append((conn, CloseCode.AUTHORITY_CHANGED, "authority_changed"))
        else:
            continue
        if grant.counsels and (account is None or not counsels(account)):
            revoked.add(conn.staff_id)
    for conn, _, _ in closing:
        conn.revoked = True
    for staff_id in sorted(revoked):
        log.info("staff %s may no longer counsel: conversations go back to the queue", staff_id)
        await hub.execute(hub.core.counsellor_revoked(staff_id, now))
    await asyncio.gather(
        *(conn.close(code, reason) for conn, code, reason in closing), return_exceptions=True
    )
    return len(closing)


async def _watch(hub: Hub) -> None:
    while True:
        await asyncio.sleep(RECHECK_SECONDS)
        try:
            if hub.staff:
                await recheck(hub)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("staff authority recheck failed")


def watcher(
    hub_key: web.AppKey[Hub],
) -> Callable[[web.Application], AsyncIterator[None]]:
    """A cleanup context running the periodic recheck while the app runs."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        task = asyncio.get_running_loop().create_task(_watch(app[hub_key]), name="staff-recheck")
        yield
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    return ctx
