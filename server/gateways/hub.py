"""The hub: the one place where the handoff core meets sockets and the database.

It owns the core :class:`handoff.Dispatcher`, the chat store and the live connections. Every
core call returns events; :meth:`Hub.execute` submits their database writes to the
group-commit writer *synchronously* (so the database sees changes in core order), awaits the
commit, and only then sends frames. A tick drives the core's timers with ``now``.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any

import sqlalchemy as sa

from handoff import (
    HOME_ORG,
    CounsellorBack,
    CounsellorLost,
    CounsellorProfile,
    Dispatcher,
    Ended,
    HandoffEvent,
    Left,
    Matched,
    OfferExpired,
    OfferMade,
    Preferences,
    Queued,
    Referred,
    Requeued,
    State,
    StatusChanged,
)
from handoff.exceptions import StateError
from handoff.model import AGE_BANDS, GENDERS, KINDS
from server.chat import repo
from server.chat.service import Service
from server.chat.store import ChatStore, Stored
from server.gateways.connections import PlayerConnection, StaffConnection
from server.reports.recorder import record as report_record
from server.settings import Settings
from server.storage.db import Database
from server.storage.models import StaffAccount

log = logging.getLogger("crossroads.gateways.hub")

TICK_SECONDS = 0.2
QUEUE_PUSH_SECONDS = 1.0
QUEUE_ITEMS = 50
BOOKING_LATE = timedelta(minutes=30)
#: How long before a booked slot the player's game and the counsellors are reminded.
BOOKING_REMINDER = timedelta(minutes=10)
#: A waiting request whose player has had no socket for this long leaves the queue.
ABANDON_AFTER = timedelta(minutes=10)


def utcnow() -> datetime:
    """The shell's clock (the core never reads one)."""
    return datetime.now(UTC)


def new_id() -> str:
    return uuid.uuid4().hex


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _ack(conversation_id: str, client_id: str, seq: int) -> dict[str, Any]:
    return {"type": "ack", "conversation_id": conversation_id, "client_id": client_id, "seq": seq}


def _reused(client_id: str) -> dict[str, Any]:
    return {
        "type": "error",
        "code": "client_id_reused",
        "message": "this client_id was already used for another text; send it with a new one",
        "ref": client_id,
    }


def _store_failed(client_id: str) -> dict[str, Any]:
    return {
        "type": "error",
        "code": "internal_error",
        "message": "the message could not be stored; retry",
        "ref": client_id,
    }


def profile_for(account: StaffAccount, organisation: str = HOME_ORG) -> CounsellorProfile:
    """The matching profile of a staff account; non-counsellors get capacity 0."""
    kind = account.kind if account.kind in KINDS else None
    counsels = "counsellor" in account.roles and kind is not None and account.active
    assert account.id is not None
    return CounsellorProfile(
        id=account.id,
        display_name=account.display_name,
        kind=kind or "professional",  # type: ignore[arg-type]
        languages=frozenset(account.languages or ["en"]),
        gender=account.gender if account.gender in GENDERS else None,  # type: ignore[arg-type]
        age_band=account.age_band if account.age_band in AGE_BANDS else None,  # type: ignore[arg-type]
        capacity=max(0, account.capacity) if counsels else 0,
        organisation=organisation,
        roles=frozenset(account.roles),
    )


class Hub:
    """Live state of one server process."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self.core = Dispatcher(
            offer_timeout=timedelta(seconds=settings.offer_timeout_seconds),
            grace=timedelta(seconds=settings.grace_period_seconds),
            abandon_after=ABANDON_AFTER,
        )
        self.store = ChatStore(db, settings.transcript_key, settings.transcript_keys_previous)
        self.service = Service(db)
        self.players: dict[str, dict[str, PlayerConnection]] = {}
        self.staff: dict[int, dict[str, StaffConnection]] = {}
        self._sent_positions: dict[str, tuple[int, int | None]] = {}
        self._queue_dirty = True
        self._last_queue_push = 0.0
        self._booking_for: dict[str, str] = {}
        # (slot, organisation) pairs the counsellors were told about (once per process)
        self._slots_announced: set[tuple[datetime, str]] = set()
        self.offer_versions: dict[str, dict[str, int]] = {}
        # staff id -> the staff session its status was chosen under (a new sign-in resets it)
        self.status_sign_in: dict[int, str] = {}
        self._tick_task: asyncio.Task[None] | None = None
        self.closing = False
        self._tasks: set[asyncio.Task[None]] = set()
        #: Observers of every batch of core events (the metrics count them).
        self.on_events: list[Callable[[list[HandoffEvent]], None]] = []

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Start the writer, restore queue and conversations, start the tick."""
        self.store.start()
        await self.restore(utcnow())
        self._tick_task = asyncio.get_running_loop().create_task(self._ticker(), name="hub-tick")

    async def stop(self) -> None:
        """Stop the tick and flush the writer."""
        if self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        if self._tick_task is not None:
            self._tick_task.cancel()
            try:
                await self._tick_task
            except asyncio.CancelledError:
                pass
            self._tick_task = None
        await self.store.stop()

    async def close_all(self, code: int, message: str) -> None:
        """Close every socket (server shutdown: 1001)."""
        self.closing = True
        conns: list[PlayerConnection | StaffConnection] = [
            c for d in self.players.values() for c in d.values()
        ]
        conns += [c for d in self.staff.values() for c in d.values()]
        await asyncio.gather(*(c.close(code, message) for c in conns), return_exceptions=True)

    async def restore(self, now: datetime) -> None:
        """Put back what was waiting or live when the server stopped."""
        rows = await repo.live_requests(self.db)
        accounts: dict[int, StaffAccount | None] = {}
        for row in rows:
            try:
                prefs = Preferences.from_dict(row.preferences)
                if row.state == "waiting":
                    self.core.restore_waiting(
                        row.id,
                        row.session_id,
                        prefs,
                        created_at=row.created_at,
                        seq=row.queue_seq,
                        organisation=row.organisation,
                        conversation_id=row.conversation_id,
                        matched_at=row.matched_at,
                        offline_since=now,  # no game is connected yet after a restart
                    )
                    continue
                cid = row.counsellor_id
                if cid not in accounts:
                    async with self.db.session() as session:
                        accounts[cid] = await session.get(StaffAccount, cid)
                account = accounts[cid]
                if account is None:
                    raise LookupError(f"counsellor {cid} no longer exists")
                partner = await repo.partner_of(self.db, cid)
                self.core.restore_conversation(
                    row.id,
                    row.session_id,
                    prefs,
                    created_at=row.created_at,
                    seq=row.queue_seq,
                    conversation_id=row.conversation_id,
                    counsellor=profile_for(account, partner or HOME_ORG),
                    matched_at=row.matched_at or now,
                    now=now,
                    organisation=row.organisation,
                    offline_since=now,
                )
            except Exception:
                log.exception("could not restore request %s; it stays in the database", row.id)
        if rows:
            log.info("restored %d requests and conversations", len(rows))
        # Wait estimates survive a restart: recent handling times come from the database.
        for ended_at, seconds in await repo.recent_handling_times(
            self.db, since=now - timedelta(hours=8)
        ):
            self.core.estimator.record(ended_at, seconds)

    async def _ticker(self) -> None:
        while True:
            await asyncio.sleep(TICK_SECONDS)
            try:
                await self.execute(self.core.tick(utcnow()))
                if self._queue_dirty and (
                    time.monotonic() - self._last_queue_push >= QUEUE_PUSH_SECONDS
                ):
                    await self.push_queue(utcnow())
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("tick failed")

    def spawn(self, coro: Awaitable[Any]) -> None:
        """Run ``coro`` as a tracked background task (not cancelled with a handler)."""

        async def run() -> None:
            try:
                await coro
            except Exception:
                log.exception("background handoff task failed")

        task = asyncio.get_running_loop().create_task(run())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ connections
    def add_player(self, conn: PlayerConnection) -> None:
        conns = self.players.setdefault(conn.session_id, {})
        conns[conn.id] = conn
        if len(conns) == 1:
            self._player_presence(conn.session_id, online=True)

    def remove_player(self, conn: PlayerConnection) -> None:
        conns = self.players.get(conn.session_id)
        if conns is not None:
            conns.pop(conn.id, None)
            if not conns:
                del self.players[conn.session_id]
                self._player_presence(conn.session_id, online=False)

    def player_online(self, session_id: str) -> bool:
        """Whether the player has at least one open socket."""
        return session_id in self.players

    def _player_presence(self, session_id: str, *, online: bool) -> None:
        """Tell the core (a waiting player who is away is not offered and is dropped after
        ``ABANDON_AFTER``) and the counsellor when their player's game goes or comes back."""
        if not self.closing:
            events = self.core.player_presence(session_id, online=online, now=utcnow())
            if events:
                self.spawn(self.execute(events))
        req = self.core.request_for_session(session_id)
        if req is None or req.counsellor_id is None or req.conversation_id is None:
            return
        if req.state not in (State.ACTIVE, State.GRACE):
            return
        frame = {
            "type": "player_presence",
            "conversation_id": req.conversation_id,
            "online": online,
        }
        if not self.closing:
            self.spawn(self.to_staff(req.counsellor_id, frame))

    def player_connections(self, session_id: str) -> int:
        return len(self.players.get(session_id, {}))

    def add_staff(self, conn: StaffConnection) -> bool:
        """Register; True when this is the staff member's first connection."""
        conns = self.staff.setdefault(conn.staff_id, {})
        conns[conn.id] = conn
        return len(conns) == 1

    def remove_staff(self, conn: StaffConnection) -> bool:
        """Unregister; True when it was the staff member's last connection."""
        conns = self.staff.get(conn.staff_id)
        if conns is None:
            return False
        conns.pop(conn.id, None)
        if conns:
            return False
        del self.staff[conn.staff_id]
        return True

    # Sending only queues the frame on each socket (written at the end of the loop turn),
    # so these need no task per socket.
    async def to_player(self, session_id: str, frame: dict[str, Any]) -> None:
        for c in list(self.players.get(session_id, {}).values()):
            c.send_nowait(frame)

    async def to_staff(self, staff_id: int, frame: dict[str, Any]) -> None:
        for c in list(self.staff.get(staff_id, {}).values()):
            c.send_nowait(frame)

    async def to_supervisors(self, frame: dict[str, Any]) -> None:
        for d in list(self.staff.values()):
            for c in list(d.values()):
                if c.is_supervisor:
                    c.send_nowait(frame)

    def _online_for_request(self, request_id: str) -> bool:
        req = self.core.requests.get(request_id)
        return req is not None and req.session_id in self.players

    def kinds_available(self) -> list[str]:
        """Counsellor kinds a player could reach now (for ``GET /api/v1/organisation``)."""
        return self.core.kinds_available(HOME_ORG)

    def presence(self) -> dict[int, dict[str, Any]]:
        """Who is connected, their status and load (for the console and supervisor pages)."""
        out: dict[int, dict[str, Any]] = {}
        for cid, c in self.core.counsellors.items():
            out[cid] = {
                "connected": c.connected,
                "status": c.status if c.connected else "offline",
                "load": c.load,
                "capacity": c.profile.capacity,
                "kind": c.profile.kind,
                "languages": sorted(c.profile.languages),
                "display_name": c.profile.display_name,
            }
        return out

    # ------------------------------------------------------------------ events -> db -> frames
    async def execute(self, events: list[HandoffEvent]) -> None:
        """Persist the events' changes (in core order), wait for the commit, then notify."""
        if not events:
            return
        for observe in self.on_events:
            observe(events)
        futures = self._persist(events)
        if futures:
            await asyncio.gather(*futures)
        for event in events:
            await self._notify(event)

    def _persist(self, events: Iterable[HandoffEvent]) -> list[Awaitable[Any]]:
        """Submit the database writes for ``events``. Must not await (keeps the order)."""
        out: list[Awaitable[Any]] = []

        def write(fn: Callable[..., Awaitable[Any]], **values: Any) -> None:
            out.append(self.store.submit(partial(fn, **values)))

        now = utcnow()
        for e in events:
            if isinstance(e, Queued):
                req = self.core.requests.get(e.request_id)
                if req is None:
                    continue
                write(
                    repo.insert_request,
                    request_id=e.request_id,
                    session_id=e.session_id,
                    organisation=e.organisation,
                    preferences=req.prefs.to_dict(),
                    priority=e.priority,
                    queue_seq=e.seq,
                    created_at=req.created_at,
                    booking_id=self._booking_for.get(e.request_id),
                )
            elif isinstance(e, Matched):
                req = self.core.requests.get(e.request_id)
                started = req.matched_at if req is not None and req.matched_at else now
                org = req.organisation if req is not None else HOME_ORG
                write(
                    repo.update_request,
                    request_id=e.request_id,
                    state="active",
                    counsellor_id=e.counsellor_id,
                    conversation_id=e.conversation_id,
                    matched_at=started,
                )
                write(
                    repo.upsert_conversation,
                    conversation_id=e.conversation_id,
                    request_id=e.request_id,
                    session_id=e.session_id,
                    organisation=org,
                    counsellor_id=e.counsellor_id,
                    started_at=started,
                )
            elif isinstance(e, CounsellorLost | CounsellorBack):
                state = "grace" if isinstance(e, CounsellorLost) else "active"
                write(
                    repo.update_conversation,
                    conversation_id=e.conversation_id,
                    state=state,
                )
            elif isinstance(e, Requeued):
                write(
                    repo.update_request,
                    request_id=e.request_id,
                    state="waiting",
                    queue_seq=e.seq,
                    counsellor_id=None,
                )
                write(
                    repo.update_conversation,
                    conversation_id=e.conversation_id,
                    state="waiting",
                )
            elif isinstance(e, Ended | Referred):
                outcome = e.outcome if isinstance(e, Ended) else "referred"
                by = e.by if isinstance(e, Ended) else "counsellor"
                final = "ended" if isinstance(e, Ended) else "referred"
                write(
                    repo.update_request,
                    request_id=e.request_id,
                    state=final,
                    ended_at=now,
                    outcome=outcome,
                )
                write(
                    repo.update_conversation,
                    conversation_id=e.conversation_id,
                    state="ended",
                    ended_at=now,
                    outcome=outcome,
                    ended_by=by,
                )
            elif isinstance(e, Left):
                write(
                    repo.update_request,
                    request_id=e.request_id,
                    state="left",
                    ended_at=now,
                    outcome="left",
                )
                if e.conversation_id is not None:
                    write(
                        repo.update_conversation,
                        conversation_id=e.conversation_id,
                        state="ended",
                        ended_at=now,
                        outcome="left",
                        ended_by="player",
                    )
            report_record(e, write, self._kind_of, now)
        return out

    def _kind_of(self, counsellor_id: int) -> str | None:
        """A registered counsellor's kind (for report rows)."""
        c = self.core.counsellors.get(counsellor_id)
        return c.profile.kind if c is not None else None

    async def _notify(self, e: HandoffEvent) -> None:
        now = utcnow()
        if isinstance(e, Queued):
            self._queue_dirty = True
            frame = await self.queued_frame(e.request_id, now, requeued=False)
            if frame is not None:
                await self.to_player(e.session_id, frame)
        elif isinstance(e, Requeued):
            self._queue_dirty = True
            frame = await self.queued_frame(e.request_id, now, requeued=True)
            if frame is not None:
                await self.to_player(e.session_id, frame)
        elif isinstance(e, OfferMade):
            self._queue_dirty = True
            await self.to_staff(
                e.counsellor_id,
                {
                    "type": "offer",
                    "offer_id": e.offer_id,
                    "request_id": e.request_id,
                    "preferences": e.preferences.to_dict(),
                    "waited_seconds": int(e.waited_seconds),
                    "expires_at": e.expires_at.isoformat(),
                    "player_online": self._online_for_request(e.request_id),
                },
            )
        elif isinstance(e, OfferExpired):
            self._queue_dirty = True
            await self.to_staff(
                e.counsellor_id,
                {"type": "offer_expired", "offer_id": e.offer_id, "reason": e.reason},
            )
        elif isinstance(e, Matched):
            self._queue_dirty = True
            c = self.core.counsellors[e.counsellor_id]
            await self.to_player(
                e.session_id,
                {
                    "type": "matched",
                    "conversation_id": e.conversation_id,
                    "counsellor": {"display_name": c.profile.display_name, "kind": c.profile.kind},
                    "transferred": e.transferred_from is not None,
                },
            )
            await self.to_staff(
                e.counsellor_id,
                {
                    "type": "matched",
                    "conversation_id": e.conversation_id,
                    "request_id": e.request_id,
                    "preferences": e.preferences.to_dict(),
                    "transferred_from": e.transferred_from,
                },
            )
            if e.transferred_from is not None:
                await self.to_staff(
                    e.transferred_from,
                    {
                        "type": "transferred",
                        "conversation_id": e.conversation_id,
                        "to_staff_id": e.counsellor_id,
                    },
                )
        elif isinstance(e, CounsellorLost):
            await self.to_player(
                e.session_id,
                {
                    "type": "counsellor_lost",
                    "conversation_id": e.conversation_id,
                    "until": e.until.isoformat(),
                },
            )
        elif isinstance(e, CounsellorBack):
            await self.to_player(
                e.session_id, {"type": "counsellor_back", "conversation_id": e.conversation_id}
            )
        elif isinstance(e, Ended):
            self.store.forget(e.conversation_id)
            frame = {
                "type": "ended",
                "conversation_id": e.conversation_id,
                "by": e.by,
                "outcome": e.outcome,
            }
            await self.to_player(e.session_id, frame)
            await self.to_staff(e.counsellor_id, frame)
        elif isinstance(e, Referred):
            self.store.forget(e.conversation_id)
            frame = {
                "type": "ended",
                "conversation_id": e.conversation_id,
                "by": "counsellor",
                "outcome": "referred",
            }
            await self.to_player(e.session_id, frame)
            await self.to_player(
                e.session_id,
                {
                    "type": "referred",
                    "conversation_id": e.conversation_id,
                    "organisation": await self.partner_info(e.organisation),
                    "handover": e.new_request_id is None,
                },
            )
            await self.to_staff(e.counsellor_id, frame)
        elif isinstance(e, Left):
            self._queue_dirty = True
            await self.to_player(e.session_id, {"type": "left"})
        elif isinstance(e, StatusChanged):
            await self.to_staff(e.counsellor_id, {"type": "status", "status": e.status})

    # ------------------------------------------------------------------ queue reporting
    async def queued_frame(
        self, request_id: str, now: datetime, *, requeued: bool
    ) -> dict[str, Any] | None:
        req = self.core.requests.get(request_id)
        if req is None:
            return None
        position = self.core.position(request_id)
        estimate = self.core.estimate(request_id, now, position=position)
        self._sent_positions[request_id] = (position, estimate)
        frame: dict[str, Any] = {
            "type": "queued",
            "request_id": request_id,
            "position": position,
            "estimate_seconds": estimate,
            "requeued": requeued,
            "organisation": None,
        }
        if req.organisation != HOME_ORG:
            frame["organisation"] = await self.partner_info(req.organisation)
        return frame

    async def push_queue(self, now: datetime) -> None:
        """Send changed positions/estimates to waiting players and the queue to staff."""
        self._queue_dirty = False
        self._last_queue_push = time.monotonic()
        positions = self.core.positions()
        capacity_cache: dict[tuple[str, str, str | None], tuple[int, int]] = {}
        sends: list[Awaitable[None]] = []
        for rid, position in positions.items():
            req = self.core.requests[rid]
            if req.session_id not in self.players:
                continue
            key = req.bucket
            cap = capacity_cache.get(key)
            if cap is None:
                cap = capacity_cache[key] = self.core.shift_capacity(req.prefs, req.organisation)
            estimate = self.core.estimator.estimate(
                now=now, position=position, capacity_on_shift=cap[0], free_slots=cap[1]
            )
            if self._sent_positions.get(rid) != (position, estimate):
                self._sent_positions[rid] = (position, estimate)
                sends.append(
                    self.to_player(
                        req.session_id,
                        {
                            "type": "queue_update",
                            "position": position,
                            "estimate_seconds": estimate,
                        },
                    )
                )
        for rid in [r for r in self._sent_positions if r not in positions]:
            del self._sent_positions[rid]
        if self.staff:
            conns = [c for d in list(self.staff.values()) for c in list(d.values())]
            views = self.queue_snapshots([self.queue_viewer(c) for c in conns], now)
            encoded: dict[int | None, bytes | str] = {}
            for c in conns:
                viewer = self.queue_viewer(c)
                data = encoded.get(viewer)
                if data is None:
                    data = encoded[viewer] = c.encode({"type": "queue", **views[viewer]})
                sends.append(c.send_encoded(data))
        if sends:
            await asyncio.gather(*sends)

    def queue_viewer(self, conn: StaffConnection) -> int | None:
        """Whose queue a socket sees: a supervisor's whole one (None) or a counsellor's own."""
        return None if conn.is_supervisor else conn.staff_id

    def queue_snapshots(
        self, viewers: Iterable[int | None], now: datetime
    ) -> dict[int | None, dict[str, Any]]:
        """The anonymous queue as each viewer sees it (see ``Dispatcher.queue_views``): the
        first items, each with its language and organisation, and the total."""
        out: dict[int | None, dict[str, Any]] = {}
        for viewer, (reqs, total) in self.core.queue_views(viewers, QUEUE_ITEMS).items():
            out[viewer] = {
                "items": [
                    {
                        "request_id": r.id,
                        "organisation": r.organisation,
                        "language": r.prefs.language,
                        "preferences": r.prefs.to_dict(),
                        "waited_seconds": int((now - r.created_at).total_seconds()),
                        "offered": r.state is State.OFFERED,
                        "player_online": r.offline_since is None,
                    }
                    for r in reqs
                ],
                "total": total,
            }
        return out

    async def partner_info(self, key: str) -> dict[str, Any]:
        """Name and contact of a partner organisation (from the staff area's table)."""
        try:
            async with self.db.engine.connect() as conn:
                row = (
                    await conn.execute(
                        sa.text("SELECT key, name, url FROM partner_organisation WHERE key = :k"),
                        {"k": key},
                    )
                ).first()
        except Exception:  # the staff area's table may not exist in a bare database
            row = None
        if row is None:
            return {"id": key, "name": key, "contact_url": None}
        return {"id": row.key, "name": row.name, "contact_url": row.url or None}

    async def partner_exists(self, key: str) -> bool:
        try:
            async with self.db.engine.connect() as conn:
                row = (
                    await conn.execute(
                        sa.text("SELECT key FROM partner_organisation WHERE key = :k AND active"),
                        {"k": key},
                    )
                ).first()
        except Exception:
            return False
        return row is not None

    # ------------------------------------------------------------------ chat
    def send_message(
        self,
        *,
        conversation_id: str,
        sender: str,
        client_id: str,
        text: str,
        origin: PlayerConnection | StaffConnection,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Queue a message for commit now (keeping the sender's order); after its commit the
        sender gets its ``ack`` and the others the message, then ``then()`` runs.

        No future or task per message: the writer calls back in commit order.
        """
        req = self.core.request_for_conversation(conversation_id)
        if req is None:
            raise StateError("the conversation is over", code="not_in_conversation")
        self.store.append_then(
            conversation_id=conversation_id,
            sender=sender,
            client_id=client_id,
            text=text,
            at=utcnow(),
            done=partial(
                self._message_done,
                conversation_id,
                sender,
                client_id,
                text,
                origin,
                then,
                (req.session_id, req.counsellor_id),
            ),
        )

    def submit_message(
        self,
        *,
        conversation_id: str,
        sender: str,
        client_id: str,
        text: str,
        origin: PlayerConnection | StaffConnection,
    ) -> Awaitable[None]:
        """Queue a message for commit now (keeping the sender's order) and return the
        completion (ack the sender, relay to the others), to await or run as a task.

        ``origin`` only needs ``mark`` and an async ``send`` here (the server itself posts
        system messages this way)."""
        req = self.core.request_for_conversation(conversation_id)
        if req is None:
            raise StateError("the conversation is over", code="not_in_conversation")
        future: asyncio.Future[Stored | None] = asyncio.get_running_loop().create_future()

        def done(stored: Stored | None) -> None:
            if not future.done():
                future.set_result(stored)

        self.store.append_then(
            conversation_id=conversation_id,
            sender=sender,
            client_id=client_id,
            text=text,
            at=utcnow(),
            done=done,
        )
        return self._finish_message(
            future,
            conversation_id,
            sender,
            client_id,
            text,
            origin,
            (req.session_id, req.counsellor_id),
        )

    async def _finish_message(
        self,
        future: Awaitable[Stored | None],
        conversation_id: str,
        sender: str,
        client_id: str,
        text: str,
        origin: PlayerConnection | StaffConnection,
        participants: tuple[str | None, int | None],
    ) -> None:
        stored = await future
        if stored is None:
            await origin.send(_store_failed(client_id))
            return
        if stored.conflict:
            await origin.send(_reused(client_id))
            return
        origin.mark(conversation_id, stored.seq)
        await origin.send(_ack(conversation_id, client_id, stored.seq))
        if not stored.duplicate:
            self._relay(conversation_id, sender, client_id, text, origin, stored, participants)

    def _message_done(
        self,
        conversation_id: str,
        sender: str,
        client_id: str,
        text: str,
        origin: PlayerConnection | StaffConnection,
        then: Callable[[], None] | None,
        participants: tuple[str | None, int | None],
        stored: Stored | None,
    ) -> None:
        try:
            if stored is None:
                origin.send_nowait(_store_failed(client_id))
                return
            if stored.conflict:
                origin.send_nowait(_reused(client_id))
                return
            origin.mark(conversation_id, stored.seq)
            origin.send_nowait(_ack(conversation_id, client_id, stored.seq))
            if not stored.duplicate:
                self._relay(conversation_id, sender, client_id, text, origin, stored, participants)
        finally:
            if then is not None:
                then()

    def _relay(
        self,
        conversation_id: str,
        sender: str,
        client_id: str,
        text: str,
        origin: object,
        stored: Stored,
        participants: tuple[str | None, int | None],
    ) -> None:
        """Queue a committed message on every socket of the conversation but the sender's.

        ``participants`` (player session, counsellor) are those of the moment the message was
        accepted: if the conversation ended or was referred while the message was being
        committed, both sides still get it live, not only on their next resume.
        """
        frame = {
            "type": "message",
            "conversation_id": conversation_id,
            "seq": stored.seq,
            "sender": sender,
            "text": text,
            "at": stored.at.isoformat(),
            "client_id": client_id,
        }
        req = self.core.request_for_conversation(conversation_id)
        session_id: str | None
        counsellor_id: int | None
        if req is not None:  # a transfer while committing: the new counsellor gets it
            session_id, counsellor_id = req.session_id, req.counsellor_id
        else:
            session_id, counsellor_id = participants
        targets: list[PlayerConnection | StaffConnection] = []
        if session_id is not None:
            targets += list(self.players.get(session_id, {}).values())
        if counsellor_id is not None:
            targets += list(self.staff.get(counsellor_id, {}).values())
        # Encoded once per codec (msgpack for players, JSON for staff), not once per socket.
        encoded: dict[bool, bytes | str] = {}
        for target in targets:
            if target is not origin:
                data = encoded.get(target.binary)
                if data is None:
                    data = encoded[target.binary] = target.encode(frame)
                target.deliver_nowait(frame, data)

    async def post_message(
        self,
        *,
        conversation_id: str,
        sender: str,
        client_id: str,
        text: str,
        origin: PlayerConnection | StaffConnection,
    ) -> None:
        """Commit a message, ack the sender, relay it to everyone else in the conversation."""
        await self.submit_message(
            conversation_id=conversation_id,
            sender=sender,
            client_id=client_id,
            text=text,
            origin=origin,
        )

    async def resume(
        self, conn: PlayerConnection | StaffConnection, conversation_id: str, last_seq: int
    ) -> None:
        """Send exactly the committed messages after ``last_seq``, then ``resumed``."""
        held: list[dict[str, Any]] = []
        conn.resuming[conversation_id] = held
        try:
            rows = await self.store.messages_after(conversation_id, last_seq)
            seen = conn.delivered.setdefault(conversation_id, set())
            # Never echo a seq the conversation has not reached (a client's future value).
            top = min(last_seq, await self.store.last_seq(conversation_id))
            for frame in rows:
                top = max(top, frame["seq"])
                if frame["seq"] not in seen:
                    seen.add(frame["seq"])
                    await conn.send(frame)
        finally:
            conn.resuming.pop(conversation_id, None)
        for frame in held:
            top = max(top, frame["seq"])
            await conn.deliver(frame)
        await conn.send({"type": "resumed", "conversation_id": conversation_id, "last_seq": top})

    async def relay_transient(
        self, conversation_id: str, frame: dict[str, Any], *, to_player: bool
    ) -> None:
        """Typing and read marks: relayed, never stored."""
        req = self.core.request_for_conversation(conversation_id)
        if req is None or req.state not in (State.ACTIVE, State.GRACE):
            raise StateError("not in a live conversation", code="not_in_conversation")
        if to_player:
            await self.to_player(req.session_id, frame)
        elif req.counsellor_id is not None:
            await self.to_staff(req.counsellor_id, frame)

    # ------------------------------------------------------------------ bookings and erasure
    async def slot_capacity(self, slot: datetime) -> int:
        """How many bookings the slot starting at ``slot`` takes: the capacity of the
        counsellors rostered for all of it, or without a rota every counsellor's (at least 1)."""
        rostered = await self.service.capacity_at(slot)
        if rostered is not None:
            return rostered
        async with self.db.session() as session:
            from sqlmodel import select

            rows = (await session.exec(select(StaffAccount))).all()
        total = sum(a.capacity for a in rows if a.active and a.kind and "counsellor" in a.roles)
        return max(1, total)

    async def enqueue_due_bookings(self, now: datetime, session_id: str | None = None) -> int:
        """Put bookings whose slot has started into the queue at the front."""
        entered = 0
        for b in await repo.bookings_due(self.db, now=now):
            if session_id is not None and b.session_id != session_id:
                continue
            if b.slot_at + BOOKING_LATE < now:
                await self.store.submit(
                    partial(repo.update_booking, booking_id=b.id, state="expired")
                )
                continue
            if b.session_id not in self.players or self.core.request_for_session(b.session_id):
                if b.state != "due":
                    await self.store.submit(
                        partial(repo.update_booking, booking_id=b.id, state="due")
                    )
                continue
            rid = new_id()
            self._booking_for[rid] = b.id
            try:
                events = self.core.request(
                    rid,
                    b.session_id,
                    Preferences.from_dict(b.preferences),
                    now,
                    organisation=b.organisation,
                    front=True,
                )
            except StateError:
                continue
            update = self.store.submit(
                partial(repo.update_booking, booking_id=b.id, state="queued", request_id=rid)
            )
            await self.execute(events)
            await update
            self._booking_for.pop(rid, None)
            entered += 1
        return entered

    async def remind_bookings(self, now: datetime) -> int:
        """About ten minutes before a booked slot: remind each connected player of theirs
        (once; a player who connects later in those minutes is reminded then) and tell the
        counsellors how many booked conversations start at that slot. Returns the number of
        players reminded."""
        until = now + BOOKING_REMINDER
        reminded = 0
        for b in await repo.bookings_to_remind(self.db, now=now, until=until):
            if b.session_id not in self.players:
                continue
            await self.store.submit(partial(repo.update_booking, booking_id=b.id, reminded_at=now))
            minutes = max(0, math.ceil((b.slot_at - now).total_seconds() / 60))
            await self.to_player(
                b.session_id,
                {
                    "type": "booking_reminder",
                    "booking_id": b.id,
                    "slot_at": b.slot_at.astimezone(UTC).isoformat(),
                    "starts_in_minutes": minutes,
                },
            )
            reminded += 1
        slots = [
            (slot, org, count)
            for slot, org, count in await repo.upcoming_bookings(self.db, now=now, until=until)
            if slot > now and (slot, org) not in self._slots_announced
        ]
        for slot, org, count in slots:
            self._slots_announced.add((slot, org))
            frame = {
                "type": "bookings_soon",
                "slot_at": slot.astimezone(UTC).isoformat(),
                "organisation": org,
                "count": count,
            }
            for staff_id in list(self.staff):
                counsellor = self.core.counsellors.get(staff_id)
                if counsellor is None or counsellor.profile.organisation == org:
                    await self.to_staff(staff_id, frame)
        self._slots_announced = {k for k in self._slots_announced if k[0] > now - BOOKING_LATE}
        return reminded

    async def erase(self, session_id: str) -> dict[str, int]:
        """Delete everything tied to a player session; end what is live first."""
        now = utcnow()
        req = self.core.request_for_session(session_id)
        if req is not None:
            if req.state in (State.ACTIVE, State.GRACE) and req.conversation_id is not None:
                await self.execute(
                    self.core.end(req.conversation_id, now, by="player", outcome="erased")
                )
            elif req.state in (State.WAITING, State.OFFERED):
                await self.execute(self.core.leave(req.id, now))
        counts: dict[str, int] = await self.store.submit(
            partial(repo.erase_session, session_id=session_id)
        )
        return counts

    async def purge(self, now: datetime) -> dict[str, int]:
        """Retention: delete ended conversations older than ``retention_days``."""
        cutoff = now - timedelta(days=self.settings.retention_days)
        counts: dict[str, int] = await self.store.submit(partial(repo.purge_before, cutoff=cutoff))
        return counts
