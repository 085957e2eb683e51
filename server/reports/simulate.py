"""``crossroads demo simulate``: synthetic players and counsellors through the real handoff.

The server runs in this process on a local port; players speak msgpack on ``/ws/player`` and
counsellors (the demo accounts, signed in over HTTP) JSON on ``/ws/staff``, so every request,
offer, message and end goes through the gateways, the dispatcher and the chat store, and the
report rows are written by the same code as in production. Only the shell's clock is
simulated: it starts ``--days`` ago and jumps forward between steps, one conversation at a
time (offers are answered well inside their timeout, so the real ticker never sees a jump
across one).

Counsellor kinds behave the way the 1-2-1 pilot found: professionals are available most and
so deliver the most conversations; survivors' conversations run longest; players answer
former extremists most often, but those conversations are completed least often.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import msgpack
from aiohttp import web

from handoff.objective import OBJECTIVES


@dataclass(frozen=True, slots=True)
class Behaviour:
    """How a counsellor kind's conversations go (probabilities and ranges)."""

    available: float  # chance of being available on a given day
    accept: float  # chance of accepting an offer
    turns: tuple[int, int]  # counsellor messages per conversation
    gap_minutes: tuple[float, float]  # between messages
    answered: float  # chance the player answers a counsellor message
    completes: float  # chance the counsellor ends it with an outcome (else the player leaves)


PILOT: dict[str, Behaviour] = {
    "professional": Behaviour(1.0, 0.95, (4, 8), (1.0, 3.0), 0.55, 0.85),
    "former": Behaviour(0.7, 0.8, (3, 6), (1.0, 3.0), 0.85, 0.45),
    "survivor": Behaviour(0.8, 0.85, (9, 15), (2.0, 5.0), 0.7, 0.75),
    "peer": Behaviour(0.9, 0.9, (3, 7), (1.0, 2.5), 0.65, 0.7),
}
COUNSELLORS = {
    "counsellor1": "professional",
    "counsellor2": "former",
    "counsellor3": "survivor",
    "counsellor4": "peer",
}
OPEN_HOURS_UTC = range(8, 17)
RECV_TIMEOUT = 5.0


class SimClock:
    """The simulated 'now' the server shell reads while the simulator runs."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@contextlib.contextmanager
def shell_clock(clock: Callable[[], datetime]) -> Iterator[None]:
    """Point the gateway shell's clock at ``clock`` (the cores already take ``now``)."""
    import server.gateways.hub as hub
    import server.gateways.player as player
    import server.gateways.staff as staff
    import server.reports.objective as objective

    modules: tuple[Any, ...] = (hub, player, staff, objective)
    saved = [m.utcnow for m in modules]
    for m in modules:
        m.utcnow = clock
    try:
        yield
    finally:
        for m, original in zip(modules, saved, strict=True):
            m.utcnow = original


class _Peer:
    """One socket with a reader task; ``expect`` waits for a frame type, dropping others."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, *, binary: bool) -> None:
        self.ws = ws
        self.binary = binary
        self.frames: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        async for msg in self.ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                await self.frames.put(msgpack.unpackb(msg.data))
            elif msg.type == aiohttp.WSMsgType.TEXT:
                await self.frames.put(json.loads(msg.data))

    async def send(self, frame: dict[str, Any]) -> None:
        if self.binary:
            await self.ws.send_bytes(msgpack.packb(frame))
        else:
            await self.ws.send_str(json.dumps(frame))

    async def expect(self, *kinds: str, timeout: float = RECV_TIMEOUT) -> dict[str, Any]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            frame = await asyncio.wait_for(self.frames.get(), max(0.01, deadline - loop.time()))
            if frame.get("type") in kinds:
                return frame
            if frame.get("type") == "error":
                raise SimulationError(f"the server refused a simulated frame: {frame}")

    def poll(self, kind: str) -> dict[str, Any] | None:
        """A waiting frame of ``kind`` if one is queued (others are dropped)."""
        while not self.frames.empty():
            frame = self.frames.get_nowait()
            if frame.get("type") == kind:
                return frame
        return None

    async def close(self) -> None:
        await self.ws.close()
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


class SimulationError(RuntimeError):
    """The simulation could not run (e.g. demo accounts missing); the message says why."""


@dataclass(slots=True)
class SimResult:
    """What the simulation did."""

    requests: int = 0
    conversations: int = 0
    left_waiting: int = 0
    messages: int = 0
    by_kind: dict[str, int] = field(default_factory=dict)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _staff(http: aiohttp.ClientSession, base: str, username: str) -> _Peer:
    resp = await http.post(
        f"{base}/auth/login", json={"username": username, "password": f"demo-{username}"}
    )
    if resp.status != 200:
        raise SimulationError(f"cannot sign in {username}: run `crossroads demo seed` first")
    cookie = resp.cookies["crossroads_session"].value
    ws = await http.ws_connect(
        f"{base}/ws/staff", headers={"Cookie": f"crossroads_session={cookie}"}
    )
    peer = _Peer(ws, binary=False)
    await peer.expect("welcome")
    return peer


async def _content(http: aiohttp.ClientSession, base: str) -> tuple[str, str, int]:
    resp = await http.get(f"{base}/api/v1/content")
    if resp.status != 200:
        raise SimulationError("no published content: run `crossroads demo seed` first")
    body = json.loads(await resp.read())
    offer_id = next(iter(body["offers"]))
    return resp.headers["X-Content-Hash"], offer_id, int(body["offers"][offer_id]["version"])


async def simulate(
    settings: Any,
    *,
    days: int,
    seed: int,
    end: datetime | None = None,
    per_day: tuple[int, int] = (6, 14),
    progress: Callable[[int, int], None] | None = None,
) -> SimResult:
    """Run ``days`` simulated days ending at ``end`` (default now) against ``settings``' DB."""
    from server.app import create_app
    from server.gateways.common import HUB

    rng = random.Random(seed)
    end = end or datetime.now(UTC)
    start = (end - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
    clock = SimClock(start)
    port = _free_port()
    app = create_app(settings)
    runner = web.AppRunner(app)
    result = SimResult()
    with shell_clock(clock):
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        base = f"http://127.0.0.1:{port}"
        jar = aiohttp.DummyCookieJar()
        async with aiohttp.ClientSession(cookie_jar=jar) as http:
            try:
                bundle = await _content(http, base)
                staff = {u: await _staff(http, base, u) for u in COUNSELLORS}
                for day in range(days):
                    await _day(
                        app[HUB], http, base, bundle, staff, clock, rng, day, per_day, result
                    )
                    if progress is not None:
                        progress(day + 1, days)
                for peer in staff.values():
                    await peer.close()
            finally:
                await runner.cleanup()
    return result


async def _day(
    hub: Any,
    http: aiohttp.ClientSession,
    base: str,
    bundle: tuple[str, str, int],
    staff: dict[str, _Peer],
    clock: SimClock,
    rng: random.Random,
    day: int,
    per_day: tuple[int, int],
    result: SimResult,
) -> None:
    midnight = clock.now.replace(hour=0, minute=0, second=0, microsecond=0)
    if day:
        midnight += timedelta(days=1)
    clock.now = midnight + timedelta(hours=OPEN_HOURS_UTC.start)
    for username, kind in COUNSELLORS.items():
        status = "available" if rng.random() < PILOT[kind].available else "away"
        await staff[username].send({"type": "status", "status": status})
        await staff[username].expect("status")
    arrivals = sorted(
        rng.uniform(OPEN_HOURS_UTC.start, OPEN_HOURS_UTC.stop - 1)
        for _ in range(rng.randint(*per_day))
    )
    for hour in arrivals:
        at = midnight + timedelta(hours=hour)
        clock.now = max(clock.now, at)
        if not (await hub.service.info(clock.now)).open:
            continue
        await _one_player(http, base, bundle, staff, clock, rng, result)


async def _one_player(
    http: aiohttp.ClientSession,
    base: str,
    bundle: tuple[str, str, int],
    staff: dict[str, _Peer],
    clock: SimClock,
    rng: random.Random,
    result: SimResult,
) -> None:
    for peer in staff.values():
        peer.poll("")  # drop what earlier players left behind (withdrawn offers and the like)
    resp = await http.post(f"{base}/api/v1/sessions")
    token = (await resp.json())["token"]
    player = _Peer(await http.ws_connect(f"{base}/ws/player"), binary=True)
    try:
        await player.send({"type": "hello", "v": 1, "token": token})
        await player.expect("service")
        choices: dict[str, Any] = {"language": "en", "format": "chat"}
        if rng.random() < 0.6:  # a soft preference: any kind may still answer
            choices["kind"] = rng.choice(list(PILOT))
        if rng.random() < 0.6:
            choices["objective"] = rng.choice(OBJECTIVES)
        await player.send(
            {
                "type": "consent",
                "bundle_hash": bundle[0],
                "offer_id": bundle[1],
                "offer_version": bundle[2],
                "consent": True,
                "choices": choices,
            }
        )
        await player.expect("queued")
        result.requests += 1
        leaves = rng.random() < 0.08
        clock.advance(rng.uniform(5, 40))
        matched = None if leaves else await _offers(staff, clock, rng)
        if matched is None:
            await player.send({"type": "leave_queue"})
            await player.expect("left")
            result.left_waiting += 1
            return
        username, conv = matched
        await player.expect("matched")
        await _conversation(
            player,
            staff[username],
            COUNSELLORS[username],
            conv,
            clock,
            rng,
            result,
            has_objective="objective" in choices,
        )
    finally:
        await player.close()


async def _offers(
    staff: dict[str, _Peer], clock: SimClock, rng: random.Random
) -> tuple[str, str] | None:
    """Answer offers as they come until one is accepted (or nobody is offered any more)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 1.5
    while loop.time() < deadline:
        for username, peer in staff.items():
            offer = peer.poll("offer")
            if offer is None:
                continue
            if rng.random() < PILOT[COUNSELLORS[username]].accept:
                await peer.send({"type": "accept", "offer_id": offer["offer_id"]})
                conv = (await peer.expect("matched"))["conversation_id"]
                return username, conv
            await peer.send({"type": "decline", "offer_id": offer["offer_id"]})
            deadline = loop.time() + 1.5
        await asyncio.sleep(0.005)
    return None


async def _conversation(
    player: _Peer,
    counsellor: _Peer,
    kind: str,
    conv: str,
    clock: SimClock,
    rng: random.Random,
    result: SimResult,
    *,
    has_objective: bool,
) -> None:
    b = PILOT[kind]
    result.conversations += 1
    result.by_kind[kind] = result.by_kind.get(kind, 0) + 1
    agreed = False
    if has_objective:
        proposal = await counsellor.expect("objective")
        accept = rng.random() < 0.9
        await counsellor.send(
            {
                "type": "objective_answer",
                "conversation_id": conv,
                "proposal_id": proposal["proposal_id"],
                "accept": accept,
            }
        )
        await counsellor.expect("objective")
        agreed = accept
    clock.advance(rng.uniform(60, 360))
    completes = rng.random() < b.completes
    turns = rng.randint(*b.turns)
    if not completes:
        turns = max(1, turns // 2)
    for i in range(turns):
        await counsellor.send(
            {"type": "message", "conversation_id": conv, "client_id": f"c{i}", "text": "…"}
        )
        await counsellor.expect("ack")
        await player.expect("message")
        result.messages += 1
        clock.advance(60 * rng.uniform(*b.gap_minutes))
        if rng.random() < b.answered:
            await player.send({"type": "message", "client_id": f"p{i}", "text": "…"})
            await player.expect("ack")
            await counsellor.expect("message")
            result.messages += 1
            clock.advance(60 * rng.uniform(*b.gap_minutes))
    if completes:
        frame: dict[str, Any] = {"type": "end", "conversation_id": conv, "outcome": "talked"}
        if agreed:
            frame["objective_met"] = rng.random() < 0.65
        await counsellor.send(frame)
    else:
        await player.send({"type": "end"})
    await player.expect("ended")
    await counsellor.expect("ended")
    if rng.random() < 0.5:
        helped = rng.random() < (0.75 if completes else 0.35)
        await player.send({"type": "feedback", "conversation_id": conv, "helped": helped})
        await player.expect("feedback_recorded")


def cmd_simulate(args: argparse.Namespace) -> int:
    """Run the simulation against the configured database."""
    from server.cli import CliError, _settings

    settings = _settings(args)
    if not settings.dev_mode:
        raise CliError(
            "The simulator signs in the demo accounts and is only run in development mode "
            "(CROSSROADS_DEV_MODE=true)."
        )
    if args.days < 1 or args.days > 366:
        raise CliError("--days must be from 1 to 366")
    settings = settings.model_copy(
        update={
            "sessions_per_minute": 1_000_000,
            "messages_per_second": 10_000.0,
            "scheduler_enabled": False,
        }
    )

    async def run() -> SimResult | None:
        if args.if_empty and await _has_report_rows(settings):
            return None
        return await simulate(settings, days=args.days, seed=args.seed, progress=_progress)

    try:
        result = asyncio.run(run())
    except SimulationError as exc:
        raise CliError(str(exc)) from exc
    if result is None:
        print("Report data already present; nothing simulated (--if-empty).")
        return 0
    kinds = ", ".join(f"{k} {n}" for k, n in sorted(result.by_kind.items()))
    print(
        f"Simulated {args.days} days: {result.requests} requests, {result.conversations} "
        f"conversations ({kinds}), {result.left_waiting} left while waiting, "
        f"{result.messages} messages."
    )
    return 0


def _progress(done: int, total: int) -> None:
    """A line redrawn in place on a terminal; in a log (``make run`` piped, systemd) one line
    per ten days and the last, so the output stays readable."""
    import sys

    if sys.stderr.isatty():
        print(
            f"\rsimulating day {done} of {total}",
            end="" if done < total else "\n",
            file=sys.stderr,
            flush=True,
        )
    elif done % 10 == 0 or done == total:
        print(f"simulating day {done} of {total}", file=sys.stderr, flush=True)


async def _has_report_rows(settings: Any) -> bool:
    import sqlalchemy as sa

    from server.reports.models import ReportRequest
    from server.storage.db import Database

    db = Database(settings.database_url)
    try:
        async with db.engine.connect() as conn:
            table = ReportRequest.__table__  # type: ignore[attr-defined]
            count = (await conn.execute(sa.select(sa.func.count()).select_from(table))).scalar()
        return bool(count)
    finally:
        await db.dispose()


def register(demo_sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``demo simulate``."""
    p = demo_sub.add_parser(
        "simulate", help="drive synthetic players and counsellors through the real handoff"
    )
    p.add_argument("--days", type=int, default=30, help="days to simulate (default 30)")
    p.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    p.add_argument(
        "--if-empty", action="store_true", help="do nothing when report data already exists"
    )
    p.set_defaults(func=cmd_simulate)
