"""Handoff benchmarks (loopback only, about 2-3 minutes); prints figures.

1. Matching decision time with 10,000 waiting and 500 counsellors (the sans-IO core).
2. A bare aiohttp msgpack relay vs the full Crossroads path (validation, group-committed
   encrypted persistence, relay) in a real ``crossroads serve`` process: messages/s with 8
   messages in flight per sending conversation, once with all 1,000 conversations sending
   and once with 200 (the first session's shape). The goal compares each server at its best
   load: the bare relay does best with few senders (less work for the load generator), the
   full path with many (it acknowledges only after a durable commit, so 200 x 8 messages in
   flight leave it waiting on its clients).
3. Latency p50/p99 at 2,000 msg/s across 1,000 conversations, both servers.
4. Server RSS per idle, authenticated player socket.
5. Metrics cost: two servers, one counting metrics (and scraped every second) and one with
   ``CROSSROADS_METRICS_ENABLED=false``, loaded in turn with 200 conversations x 8 messages in
   flight, three rounds each; the median messages/s of each (goal: under 3% apart).
6. Crash: kill -9 the server under saturating load (200 conversations), restart, reconnect,
   retry what was not acknowledged, read every conversation back: acknowledged messages
   lost or duplicated, seq gaps.

Servers run as child processes, so the load generator (this process) and the server each
have a core. Run: ``.venv/bin/python bench/bench_handoff.py [--quick]``.

Knobs (environment): BENCH_DEBUG=1 prints phase times and CPU per server thread and child
process; BENCH_ONLY_FULL=1 skips the bare relay and the idle sockets; BENCH_SKIP_MATCHING=1
skips part 1, BENCH_SKIP_METRICS=1 part 5 and BENCH_SKIP_CRASH=1 part 6;
BENCH_SATURATING=N lets only the first N conversations send in the saturation phase and
BENCH_WINDOW=W sets the messages each keeps in flight (default all and 8; the first session
measured N=200);
BENCH_SERVER_PREFIX="script.py" runs the server under a wrapper (e.g. a profiler that dumps
its stats on SIGUSR1).
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import os
import random
import secrets
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import msgpack

ROOT = Path(__file__).resolve().parent.parent
#: Messages in flight per sending conversation in the saturation phase.
WINDOW = int(os.environ.get("BENCH_WINDOW", "8"))
#: How many conversations send in the saturation phase (default: all of them).
SATURATING = int(os.environ.get("BENCH_SATURATING", "1000000"))
#: A second, smaller saturation phase: the shape the first session measured.
FEW_SENDERS = 200
sys.path.insert(0, str(ROOT))
from tests.e2e.server_process import alive, child_pids  # noqa: E402 - needs ROOT on sys.path


# --------------------------------------------------------------------------- 1. matching
def bench_matching(waiting: int = 10_000, counsellors: int = 500, decisions: int = 2_000) -> None:
    from handoff import CounsellorProfile, Dispatcher, Matched, OfferMade, Preferences
    from handoff.model import KINDS

    rng = random.Random(7)
    langs = ["en", "de", "fr", "tr", "ar", "ru"]
    now = datetime(2026, 11, 27, 10, tzinfo=UTC)
    d = Dispatcher()
    for cid in range(1, counsellors + 1):
        d.counsellor_connected(
            CounsellorProfile(
                id=cid,
                display_name=f"c{cid}",
                kind=rng.choice(KINDS),
                languages=frozenset(rng.sample(langs, rng.randint(1, 2))),
                gender=rng.choice(("female", "male", "nonbinary")),
                age_band=rng.choice(("18-25", "26-40", "41+")),
                capacity=rng.randint(2, 3),
            ),
            now,
        )

    def prefs() -> Preferences:
        return Preferences(
            language=rng.choice(langs),
            kind=rng.choice(KINDS),
            kind_required=rng.random() < 0.2,
            gender=rng.choice((None, "female", "male")),
            age_band=rng.choice((None, "18-25")),
            crisis=rng.random() < 0.05,
        )

    n = 0
    conversations: list[str] = []

    def settle(events: list[Any]) -> None:
        for e in events:
            if isinstance(e, OfferMade):
                for m in d.accept(e.offer_id, e.counsellor_id, now):
                    if isinstance(m, Matched):
                        conversations.append(m.conversation_id)
                    elif isinstance(m, OfferMade):
                        settle([m])

    # Fill every counsellor to capacity, then 10,000 more wait.
    while len(d.requests) - 0 < waiting + sum(c.profile.capacity for c in d.counsellors.values()):
        n += 1
        settle(d.request(f"r{n}", f"s{n}", prefs(), now))
        if n > 200_000:
            break
    assert d.waiting_count() >= waiting, d.waiting_count()
    arrival, freed = [], []
    for _ in range(decisions):
        # A slot frees: the decision picks the next request and the counsellor for it.
        conv = conversations.pop(rng.randrange(len(conversations)))
        req = d.request_for_conversation(conv)
        assert req is not None
        t = time.perf_counter()
        events = d.end(conv, now, by="player", outcome="player_ended")
        freed.append(time.perf_counter() - t)
        settle(events)
        # A new request arrives while everyone is busy.
        n += 1
        t = time.perf_counter()
        events = d.request(f"r{n}", f"s{n}", prefs(), now)
        arrival.append(time.perf_counter() - t)
        settle(events)
    d.check_invariants()

    def fmt(xs: list[float]) -> str:
        xs = sorted(xs)
        median, p99 = statistics.median(xs) * 1e6, xs[int(len(xs) * 0.99)] * 1e6
        return f"median {median:7.1f} us, p99 {p99:7.1f} us, max {xs[-1] * 1e6:7.1f} us"

    print(f"[matching] {d.waiting_count()} waiting, {counsellors} counsellors, {decisions} each")
    print(f"  slot frees -> next offer : {fmt(freed)}   (goal <= 1000 us)")
    print(f"  new request, all busy    : {fmt(arrival)}")


# --------------------------------------------------------------------------- servers
def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_bare_server(port: int) -> None:
    """A bare aiohttp msgpack relay: decode, forward to the peer, ack the sender."""
    from aiohttp import WSMsgType, web

    staff_of: dict[str, web.WebSocketResponse] = {}

    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=16384)
        await ws.prepare(request)
        async for msg in ws:
            if msg.type != WSMsgType.BINARY:
                continue
            frame = msgpack.unpackb(msg.data)
            if frame["type"] == "hello":
                for conv in frame.get("convs", []):
                    staff_of[conv] = ws
                await ws.send_bytes(msgpack.packb({"type": "welcome"}))
            elif frame["type"] == "message":
                conv = frame["conversation_id"]
                peer = staff_of.get(conv)
                if peer is not None:
                    await peer.send_bytes(
                        msgpack.packb(
                            {
                                "type": "message",
                                "conversation_id": conv,
                                "seq": 0,
                                "sender": "player",
                                "text": frame["text"],
                                "client_id": frame["client_id"],
                            }
                        )
                    )
                await ws.send_bytes(
                    msgpack.packb({"type": "ack", "client_id": frame["client_id"], "seq": 0})
                )
        return ws

    app = web.Application()
    app.router.add_get("/ws", handler)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def wait_port(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on {port} did not start")


class FullServer:
    """``crossroads serve`` on a fresh, seeded SQLite file plus bench staff and tokens."""

    def __init__(self, folder: Path, *, staff: int, tokens: int) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db = folder / "bench.db"
        self.env = {
            **os.environ,
            "CROSSROADS_DEV_MODE": "true",
            "CROSSROADS_DATABASE_URL": f"sqlite+aiosqlite:///{self.db}",
            "CROSSROADS_PORT": str(self.port),
            "CROSSROADS_HOST": "127.0.0.1",
            "CROSSROADS_ETHICS_KEY_DIR": str(folder / "keys"),
            "CROSSROADS_LOG_LEVEL": "WARNING",
            # The per-connection limits protect production; the bench measures the path.
            "CROSSROADS_MESSAGES_PER_SECOND": "1000000",
            "CROSSROADS_MAX_CONNECTIONS_PER_TOKEN": "10",
        }
        self.staff_cookies: list[str] = []
        self.tokens: list[str] = []
        self.n_staff = staff
        self.n_tokens = tokens
        self.proc: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> None:
        r = subprocess.run(
            [sys.executable, "-m", "server.cli", *args],
            env=self.env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if r.returncode != 0:
            raise RuntimeError(f"crossroads {' '.join(args)}: {r.stderr}")

    def prepare(self) -> None:
        self.cli("db", "upgrade")
        self.cli("demo", "seed")
        now = datetime.now(UTC).replace(tzinfo=None)
        ts = now.strftime("%Y-%m-%d %H:%M:%S.%f")
        later = (now + timedelta(hours=6)).strftime("%Y-%m-%d %H:%M:%S.%f")
        con = sqlite3.connect(self.db)
        with con:
            for i in range(self.n_staff):
                cur = con.execute(
                    "INSERT INTO staff_account (username, display_name, kind, capacity, active,"
                    " password_hash, roles, languages, created_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    (
                        f"bench{i}",
                        f"Bench {i}",
                        "professional",
                        20,
                        1,
                        "x",
                        '["counsellor"]',
                        '["xx"]',
                        ts,
                    ),
                )
                token = secrets.token_urlsafe(32)
                con.execute(
                    "INSERT INTO staff_session VALUES (?,?,?,?,?,?)",
                    (
                        hashlib.sha256(token.encode()).hexdigest(),
                        cur.lastrowid,
                        "csrf",
                        ts,
                        later,
                        ts,
                    ),
                )
                self.staff_cookies.append(token)
            rows = []
            for _ in range(self.n_tokens):
                token = secrets.token_urlsafe(32)
                rows.append((str(uuid.uuid4()), hashlib.sha256(token.encode()).hexdigest(), ts, ts))
                self.tokens.append(token)
            con.executemany("INSERT INTO player_session VALUES (?,?,?,?)", rows)
        con.close()

    def start(self) -> None:
        prefix = os.environ.get("BENCH_SERVER_PREFIX", "").split()
        self.proc = subprocess.Popen(
            [sys.executable, *prefix, "-m", "server.cli", "serve"],
            env=self.env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=open(self.folder / "server.log", "wb"),  # noqa: SIM115
        )
        wait_port(self.port)

    def stop(self) -> None:
        if self.proc is not None:
            if os.environ.get("BENCH_SERVER_PREFIX"):
                self.proc.send_signal(10)  # SIGUSR1: a profiling wrapper dumps its stats
                self.proc.wait(timeout=30)
                self.proc = None
                return
            self.proc.send_signal(2)  # SIGINT: aiohttp's clean shutdown
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
            self.proc = None


# --------------------------------------------------------------------------- load
class _Skip(Exception):
    pass


class Load:
    """Players send to counsellors; counsellors record one-way latency from the text."""

    def __init__(self) -> None:
        self.latencies: list[float] = []
        self.delivered = 0
        self.record = False

    def on_message(self, text: str) -> None:
        self.delivered += 1
        if self.record:
            self.latencies.append(time.perf_counter() - float(text.split("|", 1)[0]))


async def full_setup(
    server: FullServer,
    http: aiohttp.ClientSession,
    load: Load,
    conversations: int,
    token_of: dict[str, str] | None = None,
) -> list[tuple[Any, str]]:
    """Staff sockets auto-accepting, players consenting; returns (ws, conversation) per player
    (and fills ``token_of`` with each conversation's player token)."""
    content = await http.get(f"{server.url}/api/v1/content")
    body = json.loads(await content.read())
    bundle = content.headers["X-Content-Hash"]
    version = body["offers"]["offer.main"]["version"]

    async def staff_reader(ws: Any) -> None:
        async for msg in ws:
            frame = json.loads(msg.data)
            t = frame["type"]
            if t == "message":
                load.on_message(frame["text"])
            elif t == "offer":
                await ws.send_str(json.dumps({"type": "accept", "offer_id": frame["offer_id"]}))

    for cookie in server.staff_cookies:
        ws = await http.ws_connect(
            f"{server.url}/ws/staff", headers={"Cookie": f"crossroads_session={cookie}"}
        )
        asyncio.get_running_loop().create_task(staff_reader(ws))

    players: list[tuple[Any, str]] = []

    async def one(token: str) -> None:
        ws = await http.ws_connect(f"{server.url}/ws/player")
        await ws.send_bytes(msgpack.packb({"type": "hello", "v": 1, "token": token}))
        await ws.send_bytes(
            msgpack.packb(
                {
                    "type": "consent",
                    "bundle_hash": bundle,
                    "offer_id": "offer.main",
                    "offer_version": version,
                    "consent": True,
                    "choices": {"language": "xx", "format": "chat"},
                }
            )
        )
        while True:
            frame = msgpack.unpackb((await ws.receive(timeout=60)).data)
            if frame["type"] == "matched":
                break
            if frame["type"] == "error":
                raise RuntimeError(frame)
        players.append((ws, frame["conversation_id"]))
        if token_of is not None:
            token_of[frame["conversation_id"]] = token

    tokens = server.tokens[:conversations]
    for i in range(0, len(tokens), 100):
        await asyncio.gather(*(one(t) for t in tokens[i : i + 100]))
    return players


async def bare_setup(
    url: str, http: aiohttp.ClientSession, load: Load, conversations: int, staff: int
) -> list[tuple[Any, str]]:
    convs = [uuid.uuid4().hex for _ in range(conversations)]

    async def staff_reader(ws: Any) -> None:
        async for msg in ws:
            frame = msgpack.unpackb(msg.data)
            if frame["type"] == "message":
                load.on_message(frame["text"])

    for i in range(staff):
        ws = await http.ws_connect(f"{url}/ws")
        await ws.send_bytes(msgpack.packb({"type": "hello", "convs": convs[i::staff]}))
        await ws.receive()
        asyncio.get_running_loop().create_task(staff_reader(ws))
    players = []
    for conv in convs:
        ws = await http.ws_connect(f"{url}/ws")
        await ws.send_bytes(msgpack.packb({"type": "hello"}))
        await ws.receive()
        players.append((ws, conv))
    return players


async def drive(
    players: list[tuple[Any, str]],
    load: Load,
    *,
    seconds: float,
    window: int | None,
    per_player_rate: float | None,
) -> None:
    """Either saturate (``window`` messages in flight per player) or send at a fixed rate."""
    stop = time.perf_counter() + seconds
    # Fresh per run: acks counted in one phase must not widen the next phase's window.
    acks: list[asyncio.Queue[int]] = [asyncio.Queue() for _ in players]

    async def reader(ws: Any, q: asyncio.Queue[int]) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY and msg.data[:1]:
                frame = msgpack.unpackb(msg.data)
                if frame.get("type") == "ack":
                    q.put_nowait(1)

    async def player(ws: Any, conv: str, q: asyncio.Queue[int]) -> None:
        n = 0
        if per_player_rate:
            await asyncio.sleep(random.random() / per_player_rate)
        inflight = 0
        while time.perf_counter() < stop:
            n += 1
            await ws.send_bytes(
                msgpack.packb(
                    {
                        "type": "message",
                        "conversation_id": conv,
                        "client_id": f"{conv[:8]}-{n}-{random.random()}",
                        "text": f"{time.perf_counter()}|hello, this is a bench message",
                    }
                )
            )
            if window:
                inflight += 1
                if inflight >= window:
                    await q.get()
                    inflight -= 1
            else:
                await asyncio.sleep(1.0 / per_player_rate)  # type: ignore[operator]

    # The load generator's own garbage collection pauses would show up as latency.
    gc.collect()
    gc.disable()
    try:
        readers = [
            asyncio.create_task(reader(ws, q)) for (ws, _), q in zip(players, acks, strict=True)
        ]
        await asyncio.gather(*(player(ws, c, q) for (ws, c), q in zip(players, acks, strict=True)))
        await asyncio.sleep(1.0)
        for r in readers:
            r.cancel()
    finally:
        gc.enable()


async def close_all(players: list[tuple[Any, str]]) -> None:
    await asyncio.gather(*(ws.close() for ws, _ in players), return_exceptions=True)


def log(msg: str) -> None:
    if os.environ.get("BENCH_DEBUG"):
        print(f"    {time.strftime('%H:%M:%S')} {msg}", flush=True)


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))] * 1000 if xs else float("nan")


def thread_cpu(pid: int | None) -> dict[int, float]:
    """CPU seconds per thread of a child process (thread id -> user + system)."""
    out: dict[int, float] = {}
    if pid is None:
        return out
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        out[int(task.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        # and the server's own child processes (the SQLite writer), as negative ids
        try:
            children = (task / "children").read_text().split()
        except OSError:
            children = []
        for child in children:
            out[-int(child)] = server_cpu(int(child))
    return out


def server_cpu(pid: int | None) -> float:
    """CPU seconds (user + system) a child process has used."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def measure(
    players: Any,
    load: Load,
    label: str,
    *,
    seconds: float,
    conversations: int,
    rate_total: float,
    server_pid: int | None = None,
) -> tuple[float, float, float]:
    # Latency at a fixed total rate across all conversations (first, on a quiet server).
    log("latency")
    load.latencies = []
    load.record = True
    await drive(
        players[:conversations],
        load,
        seconds=seconds,
        window=None,
        per_player_rate=rate_total / conversations,
    )
    load.record = False
    # Throughput: every conversation keeps WINDOW messages in flight (the same load for both
    # servers). A server that acknowledges only after a durable commit needs that many
    # senders to be saturated; fewer would measure the client's patience, not the server.
    throughput = await saturate(players[:SATURATING], load, seconds, server_pid)
    # The first session's shape, for comparison: only FEW_SENDERS conversations send.
    few = await saturate(players[:FEW_SENDERS], load, seconds, server_pid)
    p50, p99 = pct(load.latencies, 0.5), pct(load.latencies, 0.99)
    print(
        f"  {label:<10} {throughput:9.0f} msg/s saturated ({few:6.0f} with {FEW_SENDERS} senders)"
        f"   latency @ {rate_total:.0f} msg/s: "
        f"p50 {p50:6.2f} ms, p99 {p99:6.2f} ms ({len(load.latencies)} samples)"
    )
    return throughput, few, p50, p99


async def saturate(
    senders: list[tuple[Any, str]], load: Load, seconds: float, server_pid: int | None
) -> float:
    """Messages/s delivered while each sender keeps WINDOW messages in flight."""
    log(f"throughput, {len(senders)} senders")
    load.delivered = 0
    threads0 = thread_cpu(server_pid)
    t0 = time.perf_counter()
    c0 = time.process_time()
    s0 = server_cpu(server_pid)
    await drive(senders, load, seconds=seconds, window=WINDOW, per_player_rate=None)
    elapsed = time.perf_counter() - t0
    log(
        f"cpu over {elapsed:.1f} s: load generator {time.process_time() - c0:.1f} s, "
        f"server {server_cpu(server_pid) - s0:.1f} s"
    )
    if server_pid is not None and os.environ.get("BENCH_DEBUG"):
        for tid, cpu in thread_cpu(server_pid).items():
            used = cpu - threads0.get(tid, 0.0)
            if used > 0.05:
                kind = "process" if tid < 0 else "thread"
                per = used * 1e6 / max(1, load.delivered)
                log(f"  server {kind} {abs(tid)}: {used:.2f} s CPU, {per:.1f} us/msg")
    return load.delivered / (elapsed - 1.0)


async def bench_relay(conversations: int, seconds: float, idle: int) -> None:
    staff = 50
    connector = aiohttp.TCPConnector(limit=0)
    async with aiohttp.ClientSession(connector=connector) as http:
        print(
            f"[relay] {conversations} conversations, {staff} counsellor sockets, "
            f"1 server process on its own core; saturated = "
            f"{min(SATURATING, conversations)} conversations x {WINDOW} messages in flight"
        )
        bare_tp = bare_few = float("nan")
        port = free_port()
        if os.environ.get("BENCH_ONLY_FULL"):
            port = 0
        bare = (
            None
            if not port
            else subprocess.Popen(
                [sys.executable, __file__, "--bare-server", str(port)],
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
        )
        try:
            if bare is None:
                raise _Skip
            wait_port(port)
            load = Load()
            log("bare setup")
            players = await bare_setup(f"http://127.0.0.1:{port}", http, load, conversations, staff)
            bare_tp, bare_few, _, _ = await measure(
                players,
                load,
                "bare",
                seconds=seconds,
                conversations=conversations,
                rate_total=2000,
                server_pid=bare.pid,
            )
            await close_all(players)
        except _Skip:
            pass
        finally:
            if bare is not None:
                bare.kill()
                bare.wait()

    with tempfile.TemporaryDirectory() as tmp:
        server = FullServer(Path(tmp), staff=staff, tokens=max(conversations, idle // 10 + 1))
        t = time.perf_counter()
        server.prepare()
        server.start()
        print(f"  (full server prepared and started in {time.perf_counter() - t:.1f} s)")
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:
                load = Load()
                log("full setup")
                players = await full_setup(server, http, load, conversations)
                log("full setup done")
                full_tp, full_few, _, p99 = await measure(
                    players,
                    load,
                    "crossroads",
                    seconds=seconds,
                    conversations=conversations,
                    rate_total=2000,
                    server_pid=server.proc.pid if server.proc else None,
                )
                best = max(full_tp, full_few) / max(bare_tp, bare_few) * 100
                print(
                    f"  full path = {best:.0f}% of the bare relay, each at its best load "
                    f"(goal >= 50%): {full_tp / bare_tp * 100:.0f}% with every conversation "
                    f"sending, {full_few / bare_few * 100:.0f}% with {FEW_SENDERS} (too few "
                    f"clients to cover the durable ack); p99 goal <= 5 ms"
                )
                await close_all(players)
                await asyncio.sleep(1.0)
                if not os.environ.get("BENCH_ONLY_FULL"):
                    await bench_idle(server, http, idle)
        finally:
            server.stop()


METRICS_TOKEN = "bench-metrics-token-0123456789"


async def bench_metrics_cost(conversations: int, seconds: float, rounds: int = 3) -> None:
    """Messages/s with and without metrics, the two servers loaded in turn in one run."""
    print(
        f"[metrics] {conversations} conversations x {WINDOW} in flight, {rounds} rounds of "
        f"{seconds:.0f} s per server; the counting server is scraped every second"
    )
    with tempfile.TemporaryDirectory() as tmp:
        servers: dict[str, FullServer] = {}
        for label, enabled in (("without", "false"), ("with", "true")):
            folder = Path(tmp) / label
            folder.mkdir()
            server = FullServer(folder, staff=50, tokens=conversations)
            server.env["CROSSROADS_METRICS_ENABLED"] = enabled
            server.env["CROSSROADS_METRICS_TOKEN"] = METRICS_TOKEN
            server.prepare()
            server.start()
            servers[label] = server
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:
                loads = {label: Load() for label in servers}
                players = {
                    label: await full_setup(server, http, loads[label], conversations)
                    for label, server in servers.items()
                }
                rates: dict[str, list[float]] = {label: [] for label in servers}
                cpu_per: dict[str, list[float]] = {label: [] for label in servers}
                scrapes = 0

                async def scraper(url: str) -> None:
                    nonlocal scrapes
                    headers = {"Authorization": f"Bearer {METRICS_TOKEN}"}
                    while True:
                        async with http.get(f"{url}/metrics", headers=headers) as response:
                            assert response.status == 200, await response.text()
                            await response.read()
                        scrapes += 1
                        await asyncio.sleep(1.0)

                for _ in range(rounds):
                    for label, server in servers.items():
                        task = (
                            asyncio.get_running_loop().create_task(scraper(server.url))
                            if label == "with"
                            else None
                        )
                        pid = server.proc.pid if server.proc else None
                        cpu = server_cpu(pid)
                        rates[label].append(
                            await saturate(players[label], loads[label], seconds, pid)
                        )
                        used = server_cpu(pid) - cpu
                        cpu_per[label].append(used * 1e6 / max(1, loads[label].delivered))
                        if task is not None:
                            task.cancel()
                without = statistics.median(rates["without"])
                with_metrics = statistics.median(rates["with"])
                for label in servers:
                    runs = ", ".join(f"{r:.0f}" for r in rates[label])
                    median = statistics.median(rates[label])
                    per = statistics.median(cpu_per[label])
                    print(
                        f"  {label:<8} metrics: {median:8.0f} msg/s ({runs}); server process "
                        f"{per:.1f} us CPU per message"
                    )
                cpu_without = statistics.median(cpu_per["without"])
                cpu_with = statistics.median(cpu_per["with"])
                print(
                    f"  cost of metrics on the chat path: "
                    f"{(without - with_metrics) / without * 100:+.1f}% msg/s, "
                    f"{(cpu_with - cpu_without) / cpu_without * 100:+.1f}% server CPU per "
                    f"message (goal < 3%; {scrapes} scrapes during the counting server's runs; "
                    "on a shared machine the CPU figure is the steadier one)"
                )
                for label in servers:
                    await close_all(players[label])
        finally:
            for server in servers.values():
                server.stop()


async def bench_idle(server: FullServer, http: aiohttp.ClientSession, count: int) -> None:
    assert server.proc is not None
    pid = server.proc.pid
    before = rss_kib(pid)
    sockets: list[Any] = []

    async def one(token: str) -> None:
        ws = await http.ws_connect(f"{server.url}/ws/player", heartbeat=None)
        await ws.send_bytes(msgpack.packb({"type": "hello", "v": 1, "token": token}))
        await ws.receive(timeout=60)  # welcome
        sockets.append(ws)

    tokens = [server.tokens[i // 10] for i in range(count)]
    t = time.perf_counter()
    for i in range(0, count, 250):
        await asyncio.gather(*(one(tok) for tok in tokens[i : i + 250]))
    took = time.perf_counter() - t
    await asyncio.sleep(2.0)
    after = rss_kib(pid)
    per = (after - before) / max(1, len(sockets))
    print(
        f"[idle] {len(sockets)} authenticated idle player sockets (opened in {took:.1f} s): "
        f"server RSS {before / 1024:.0f} -> {after / 1024:.0f} MiB, {per:.1f} KiB per socket "
        f"(goal <= 40 KiB)"
    )
    await asyncio.gather(*(ws.close() for ws in sockets), return_exceptions=True)


# --------------------------------------------------------------------------- 5. crash
async def player_socket(http: aiohttp.ClientSession, url: str, token: str) -> Any:
    ws = await http.ws_connect(f"{url}/ws/player")
    await ws.send_bytes(msgpack.packb({"type": "hello", "v": 1, "token": token}))
    while True:
        frame = msgpack.unpackb((await ws.receive(timeout=30)).data)
        if frame["type"] == "welcome":
            return ws


async def bench_crash(conversations: int, seconds: float) -> None:
    """kill -9 under saturating load, restart, reconnect, retry what was not acknowledged,
    then read every conversation back: count acknowledged messages lost or duplicated."""
    with tempfile.TemporaryDirectory() as tmp:
        server = FullServer(Path(tmp), staff=20, tokens=conversations)
        # Counsellors do not come back in this bench; their players stay in grace meanwhile.
        server.env["CROSSROADS_GRACE_PERIOD_SECONDS"] = "600"
        server.prepare()
        server.start()
        assert server.proc is not None
        token_of: dict[str, str] = {}
        sent: dict[str, dict[str, str]] = {}
        acked: dict[str, dict[str, int]] = {}
        try:
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as http:
                players = await full_setup(server, http, Load(), conversations, token_of)

                async def pump(ws: Any, conv: str) -> None:
                    mine, got = sent.setdefault(conv, {}), acked.setdefault(conv, {})
                    window: asyncio.Queue[bool] = asyncio.Queue()

                    async def reader() -> None:
                        async for msg in ws:
                            if msg.type == aiohttp.WSMsgType.BINARY:
                                frame = msgpack.unpackb(msg.data)
                                if frame["type"] == "ack":
                                    got[frame["client_id"]] = frame["seq"]
                                    window.put_nowait(True)
                        window.put_nowait(False)  # the server is gone

                    task = asyncio.create_task(reader())
                    n = inflight = 0
                    try:
                        while True:
                            n += 1
                            cid, text = f"{conv[:8]}-{n}", f"message {n} of {conv}"
                            mine[cid] = text
                            frame = {"type": "message", "client_id": cid, "text": text}
                            await ws.send_bytes(msgpack.packb(frame))
                            inflight += 1
                            if inflight >= WINDOW:
                                if not await window.get():
                                    break
                                inflight -= 1
                    except (ConnectionError, RuntimeError):
                        pass
                    await task

                pumps = asyncio.gather(*(pump(ws, conv) for ws, conv in players))
                await asyncio.sleep(seconds)
                writers = child_pids(server.proc.pid)
                server.proc.kill()
                server.proc.wait()
                server.proc = None
                killed = time.perf_counter()
                await asyncio.wait_for(pumps, 30)
                while any(alive(w) for w in writers) and time.perf_counter() - killed < 10:
                    await asyncio.sleep(0.01)
                writer_gone = time.perf_counter() - killed
                acked_total = sum(len(a) for a in acked.values())
                unacked = {c: [k for k in sent[c] if k not in acked[c]] for c in sent}

                t = time.perf_counter()
                server.start()
                restart = time.perf_counter() - t

                async def retry(conv: str) -> None:
                    ws = await player_socket(http, server.url, token_of[conv])
                    for cid in unacked[conv]:
                        frame = {"type": "message", "client_id": cid, "text": sent[conv][cid]}
                        await ws.send_bytes(msgpack.packb(frame))
                        while True:
                            reply = msgpack.unpackb((await ws.receive(timeout=30)).data)
                            if reply["type"] == "ack" and reply["client_id"] == cid:
                                break
                            if reply["type"] == "error":
                                raise RuntimeError(reply)
                    await ws.close()

                async def read_back(conv: str) -> list[tuple[int, str]]:
                    ws = await player_socket(http, server.url, token_of[conv])
                    await ws.send_bytes(
                        msgpack.packb({"type": "resume", "conversation_id": conv, "last_seq": 0})
                    )
                    history: list[tuple[int, str]] = []
                    while True:
                        frame = msgpack.unpackb((await ws.receive(timeout=30)).data)
                        if frame["type"] == "message":
                            history.append((frame["seq"], frame["client_id"]))
                        elif frame["type"] == "resumed":
                            break
                    await ws.close()
                    return history

                convs = list(sent)
                for i in range(0, len(convs), 100):
                    await asyncio.gather(*(retry(c) for c in convs[i : i + 100]))
                histories: dict[str, list[tuple[int, str]]] = {}
                for i in range(0, len(convs), 100):
                    chunk = convs[i : i + 100]
                    for conv, h in zip(
                        chunk, await asyncio.gather(*(read_back(c) for c in chunk)), strict=True
                    ):
                        histories[conv] = h
        finally:
            server.stop()
    lost = duplicated = gaps = unsent = 0
    for conv, history in histories.items():
        seq_of = {cid: seq for seq, cid in history}
        duplicated += len(history) - len(seq_of)
        lost += sum(1 for cid, seq in acked[conv].items() if seq_of.get(cid) != seq)
        unsent += sum(1 for cid in sent[conv] if cid not in seq_of)
        gaps += int(sorted(seq for seq, _ in history) != list(range(1, len(history) + 1)))
    retried = sum(len(u) for u in unacked.values())
    print(
        f"[crash] kill -9 after {seconds:.0f} s of {conversations} conversations x {WINDOW} in "
        f"flight: {acked_total} messages acknowledged, {lost} lost, {duplicated} duplicated, "
        f"{gaps} conversations with a seq gap; {retried} unacknowledged retried with their "
        f"client ids, {unsent} of them missing after the retry"
    )
    print(
        f"  writer process gone {writer_gone * 1000:.0f} ms after the kill; restart to serving "
        f"{restart:.1f} s (goal: 0 lost, 0 duplicated)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller, faster run")
    parser.add_argument("--bare-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        run_bare_server(args.bare_server)
        return
    started = time.perf_counter()
    if not os.environ.get("BENCH_SKIP_MATCHING"):
        bench_matching(decisions=500 if args.quick else 2000)
    asyncio.run(
        bench_relay(
            conversations=200 if args.quick else 1000,
            seconds=3.0 if args.quick else 6.0,
            idle=2000 if args.quick else 10_000,
        )
    )
    if not os.environ.get("BENCH_SKIP_METRICS"):
        asyncio.run(bench_metrics_cost(FEW_SENDERS, seconds=3.0 if args.quick else 5.0))
    if not os.environ.get("BENCH_SKIP_CRASH"):
        asyncio.run(bench_crash(conversations=200, seconds=2.0 if args.quick else 4.0))
    print(f"[bench_handoff] done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
