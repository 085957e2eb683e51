"""Crash recovery of the real server: kill -9 during live conversations, restart, reconnect.

Every acknowledged message survives, none is duplicated, and each conversation's sequence
numbers stay gap-free; retries of unacknowledged messages are stored at most once.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
import pytest

from tests.e2e.server_process import ServerProcess, alive

pytestmark = pytest.mark.e2e

PLAYERS = 4
MESSAGES = 40


class Side:
    """One end of a conversation: what it sent, what was acknowledged."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.sent: dict[str, str] = {}  # client_id -> text
        self.acked: dict[str, int] = {}  # client_id -> seq


async def recv_player(ws: aiohttp.ClientWebSocketResponse, timeout: float = 10) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout)
    assert msg.type == aiohttp.WSMsgType.BINARY, (msg.type, msg.data)
    frame: dict[str, Any] = msgpack.unpackb(msg.data)
    return frame


async def recv_staff(ws: aiohttp.ClientWebSocketResponse, timeout: float = 10) -> dict[str, Any]:
    msg = await ws.receive(timeout=timeout)
    assert msg.type == aiohttp.WSMsgType.TEXT, (msg.type, msg.data)
    frame: dict[str, Any] = json.loads(msg.data)
    return frame


async def until(recv: Any, ws: Any, kind: str) -> dict[str, Any]:
    while True:
        frame = await recv(ws)
        if frame["type"] == kind:
            return frame


async def player_hello(http: aiohttp.ClientSession, url: str, token: str) -> tuple[Any, dict]:
    ws = await http.ws_connect(f"{url}/ws/player")
    await ws.send_bytes(msgpack.packb({"type": "hello", "v": 1, "token": token}))
    welcome = await until(recv_player, ws, "welcome")
    return ws, welcome


async def staff_login(url: str, username: str) -> tuple[aiohttp.ClientSession, str]:
    http = aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar())
    resp = await http.post(
        f"{url}/auth/login", json={"username": username, "password": f"demo-{username}"}
    )
    assert resp.status == 200, await resp.text()
    return http, resp.cookies["crossroads_session"].value


async def staff_connect(http: aiohttp.ClientSession, url: str, cookie: str) -> tuple[Any, dict]:
    ws = await http.ws_connect(
        f"{url}/ws/staff", headers={"Cookie": f"crossroads_session={cookie}"}
    )
    welcome = await until(recv_staff, ws, "welcome")
    return ws, welcome


async def read_acks(ws: Any, acks: dict[str, int], *, binary: bool) -> None:
    """Collect acks (by globally unique client id) until the socket dies."""
    async for msg in ws:
        if msg.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
            frame = msgpack.unpackb(msg.data) if binary else json.loads(msg.data)
            if frame["type"] == "ack":
                acks[frame["client_id"]] = frame["seq"]


async def pump(ws: Any, side: Side, *, binary: bool, conv: str) -> None:
    """Send messages until done or the socket dies (the server is killed)."""
    try:
        for i in range(MESSAGES):
            cid = f"{side.name}-{i}"
            text = f"{side.name} says {i}"
            side.sent[cid] = text
            frame = {"type": "message", "client_id": cid, "text": text}
            if not binary:
                frame["conversation_id"] = conv
            if binary:
                await ws.send_bytes(msgpack.packb(frame))
            else:
                await ws.send_str(json.dumps(frame))
            await asyncio.sleep(0.005)
    except (ConnectionError, RuntimeError):
        pass


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_kill_9_loses_no_acknowledged_message(
    tmp_path: Path, database: str, request: pytest.FixtureRequest
) -> None:
    """kill -9 mid-conversation, restart, reconnect: 0 acked messages lost, 0 duplicates."""
    env = {"CROSSROADS_MESSAGES_PER_SECOND": "1000"}
    if database == "postgresql":
        from tests.postgres import create_database

        env["CROSSROADS_DATABASE_URL"] = create_database(
            request.getfixturevalue("postgres_base_url"), "crash_recovery"
        )
    server = ServerProcess(tmp_path, env=env)
    server.prepare()
    await asyncio.to_thread(server.start)
    url = server.url
    players = aiohttp.ClientSession()
    staff_http: list[tuple[aiohttp.ClientSession, str]] = []
    try:
        for name in ("counsellor1", "counsellor2", "counsellor4"):
            staff_http.append(await staff_login(url, name))
        staff_ws = [await staff_connect(h, url, c) for h, c in staff_http]
        content = await players.get(f"{url}/api/v1/content")
        body = json.loads(await content.read())
        bundle = content.headers["X-Content-Hash"]
        version = body["offers"]["offer.main"]["version"]

        tokens: list[str] = []
        player_ws: list[Any] = []
        for _ in range(PLAYERS):
            resp = await players.post(f"{url}/api/v1/sessions")
            token = (await resp.json())["token"]
            tokens.append(token)
            ws, _ = await player_hello(players, url, token)
            await ws.send_bytes(
                msgpack.packb(
                    {
                        "type": "consent",
                        "bundle_hash": bundle,
                        "offer_id": "offer.main",
                        "offer_version": version,
                        "consent": True,
                        "choices": {"language": "en", "format": "chat"},
                    }
                )
            )
            await until(recv_player, ws, "queued")
            player_ws.append(ws)
        # Counsellors accept whatever they are offered.
        conv_of_player: dict[int, str] = {}
        holder: dict[str, int] = {}

        async def accept_all(i: int) -> None:
            ws = staff_ws[i][0]
            while True:
                try:
                    frame = await recv_staff(ws, timeout=2)
                except TimeoutError:
                    return
                if frame["type"] == "offer":
                    await ws.send_str(json.dumps({"type": "accept", "offer_id": frame["offer_id"]}))
                elif frame["type"] == "matched":
                    holder[frame["conversation_id"]] = i

        await asyncio.gather(*(accept_all(i) for i in range(len(staff_ws))))
        for n, ws in enumerate(player_ws):
            conv_of_player[n] = (await until(recv_player, ws, "matched"))["conversation_id"]
        assert len(holder) == PLAYERS

        # Live traffic both ways, then kill -9 while it flows.
        sides: dict[str, tuple[Side, Side]] = {}
        pumps = []
        acks: dict[str, int] = {}
        readers = [asyncio.create_task(read_acks(ws, acks, binary=True)) for ws in player_ws]
        readers += [asyncio.create_task(read_acks(ws, acks, binary=False)) for ws, _ in staff_ws]
        for n, ws in enumerate(player_ws):
            conv = conv_of_player[n]
            p, c = Side(f"p{n}"), Side(f"c{n}")
            sides[conv] = (p, c)
            pumps.append(pump(ws, p, binary=True, conv=conv))
            pumps.append(pump(staff_ws[holder[conv]][0], c, binary=False, conv=conv))
        pump_task = asyncio.gather(*pumps)
        await asyncio.sleep(0.12)
        writers = server.children()
        assert len(writers) == (1 if database == "sqlite" else 0)
        await asyncio.to_thread(server.stop, kill=True)
        await pump_task
        # The killed server's writer process sees its pipe close and exits by itself.
        for _ in range(100):
            if not any(alive(pid) for pid in writers):
                break
            await asyncio.sleep(0.05)
        assert not any(alive(pid) for pid in writers)
        await asyncio.wait(readers, timeout=10)
        for pair in sides.values():
            for side in pair:
                side.acked = {k: v for k, v in acks.items() if k.startswith(side.name + "-")}
        acked_total = sum(len(s.acked) for pair in sides.values() for s in pair)
        assert acked_total > 0

        await asyncio.to_thread(server.start)
        for ws in player_ws:
            await ws.close()
        for ws, _ in staff_ws:
            await ws.close()
        staff_ws = [await staff_connect(h, url, c) for h, c in staff_http]

        for n, token in enumerate(tokens):
            ws, welcome = await player_hello(players, url, token)
            conv = conv_of_player[n]
            history: list[dict[str, Any]] = []

            async def until_keep(kind: str, ws: Any = ws, history: list[Any] = history) -> Any:
                while True:
                    frame = await recv_player(ws)
                    if frame["type"] == "message":
                        history.append(frame)
                    if frame["type"] == kind:
                        return frame

            assert welcome["state"]["conversation_id"] == conv
            player, counsellor = sides[conv]
            # Retry everything not acknowledged, with the same client ids.
            acked_here: set[str] = set()
            for cid, text in player.sent.items():
                if cid not in player.acked:
                    acked_here.add(cid)
                    await ws.send_bytes(
                        msgpack.packb({"type": "message", "client_id": cid, "text": text})
                    )
                    player.acked[cid] = (await until_keep("ack"))["seq"]
            sws = staff_ws[holder[conv]][0]
            for cid, text in counsellor.sent.items():
                if cid not in counsellor.acked:
                    await sws.send_str(
                        json.dumps(
                            {
                                "type": "message",
                                "conversation_id": conv,
                                "client_id": cid,
                                "text": text,
                            }
                        )
                    )
                    while True:
                        frame = await recv_staff(sws)
                        if frame["type"] == "ack" and frame["client_id"] == cid:
                            counsellor.acked[cid] = frame["seq"]
                            break
            # Full history from the start.
            await ws.send_bytes(
                msgpack.packb({"type": "resume", "conversation_id": conv, "last_seq": 0})
            )
            await until_keep("resumed")
            # Messages acknowledged on this connection are not echoed back to it.
            for cid in acked_here:
                seq = player.acked[cid]
                history.append(
                    {"seq": seq, "sender": "player", "client_id": cid, "text": player.sent[cid]}
                )
            seqs = sorted(m["seq"] for m in history)
            assert seqs == list(range(1, len(seqs) + 1)), "gaps or duplicates in seq"
            by_client = {(m["sender"], m["client_id"]): m for m in history}
            assert len(by_client) == len(history), "a message was stored twice"
            for side, sender in ((player, "player"), (counsellor, "counsellor")):
                for cid, seq in side.acked.items():
                    stored = by_client.get((sender, cid))
                    assert stored is not None, f"acknowledged message {cid} lost"
                    assert stored["seq"] == seq and stored["text"] == side.sent[cid]
            assert len(history) == len(player.sent) + len(counsellor.sent)
            await ws.close()
    finally:
        await players.close()
        for h, _ in staff_http:
            await h.close()
        await asyncio.to_thread(server.stop)
