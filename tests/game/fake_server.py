"""An in-process stand-in for the Crossroads server, speaking the player protocol (msgpack).

Runs an aiohttp app on a free loopback port in its own thread, so the game's frame loop and
network thread run for real against it. Tests script the counsellor side: match, say, type,
read, end, drop every socket. Used where the real gateway would make a test slow or
non-deterministic (exact reconnect timing, replays); the real server is used in the e2e tests.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import msgpack
from aiohttp import WSMsgType, web

from game.narrative import Bundle, load_story

STORY_MIN = Path(__file__).resolve().parent.parent / "fixtures" / "story_min"


def content_proof(signer: Any, bundle_hash: str) -> str:
    """A real offline proof (tlog-proof) that a small log published ``bundle_hash``."""
    from ethics import entries as E
    from ethics.checkpoint import Checkpoint, sign_checkpoint
    from ethics.log import Log
    from ethics.proof import ContentProof

    at = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
    log = Log()
    origin = signer.name
    log.append(
        E.KeyRotationEntry(
            index=0,
            at=at,
            actor=None,
            key_name=origin,
            old_key=None,
            new_key=signer.verifier.vkey,
            reason="first checkpoint signing key",
        ).to_bytes()
    )
    log.append(
        E.PublishEntry(
            index=1,
            at=at,
            actor=21,
            proposal="p1",
            revision=1,
            bundle_hash=bundle_hash,
            approvals=[21, 22],
            note="",
        ).to_bytes()
    )
    note = sign_checkpoint(Checkpoint(origin, log.size, log.root), signer)
    return ContentProof(log.entries[1], 1, log.inclusion_proof(1), note).text()


class FakeServer:
    def __init__(self, *, open_now: bool = True, bundle: Bundle | None = None) -> None:
        from ethics.checkpoint import Signer

        self.bundle = bundle or Bundle.from_story(load_story(STORY_MIN))
        self.open_now = open_now
        #: counsellor kinds on duty while open (a test plays the console by changing it)
        self.kinds = ["former", "professional"]
        self.signer = Signer.generate("fake.crossroads.example/ethics-log")
        self.proof: str | None = None  # None: a genuine proof for the bundle served
        self.withdrawn = False  # True: nothing is published (503), as after an unpublish
        #: an error frame to answer every live consent with (as the real server refuses one)
        self.refuse_consent: dict[str, Any] | None = None
        self.tokens: dict[str, str] = {}
        self.received: list[dict[str, Any]] = []
        #: every HTTP request the game made: method, path, query, header names, body
        self.requests: list[dict[str, Any]] = []
        self.messages: list[dict[str, Any]] = []  # committed chat messages
        self.by_client_id: dict[str, int] = {}
        self.sockets: set[web.WebSocketResponse] = set()
        self.conversation_id: str | None = None
        self.queued = False
        self.hellos = 0
        self.erased: list[str] = []
        self.loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self.url = ""
        self.port = 0
        self.health_probes = 0

    # -- lifecycle ------------------------------------------------------------------------
    def start(self) -> FakeServer:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        assert self._started.wait(5)
        return self

    def _run(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.loop.run_until_complete(self._setup())
        self._started.set()
        self.loop.run_forever()
        self.loop.run_until_complete(self._teardown())
        self.loop.close()

    async def _setup(self) -> None:
        @web.middleware
        async def record(request: web.Request, handler: Any) -> web.StreamResponse:
            body = await request.read()
            self.requests.append(
                {
                    "method": request.method,
                    "path": request.path,
                    "query": request.query_string,
                    "headers": {k.lower() for k in request.headers},
                    "body": body,
                }
            )
            return await handler(request)

        app = web.Application(middlewares=[record])
        app.router.add_post("/api/v1/sessions", self.sessions)
        app.router.add_delete("/api/v1/sessions/me", self.erase)
        app.router.add_get("/api/v1/content", self.content)
        app.router.add_get("/api/v1/ethics/key", self.ethics_key)
        app.router.add_get("/api/v1/organisation", self.organisation)
        app.router.add_get("/ws/player", self.player_ws)
        app.router.add_get("/healthz", self.healthz)
        self._runner = web.AppRunner(app, handle_signals=False)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{self.port}"

    async def _teardown(self) -> None:
        for ws in list(self.sockets):
            await ws.close()
        assert self._runner is not None
        await self._runner.cleanup()

    def go_down(self) -> None:
        """Stop listening, as a server process that restarts (what it stored is kept)."""

        async def down() -> None:
            for ws in list(self.sockets):
                await ws.close(code=1001)  # "going away", as aiohttp's shutdown sends
            await self._teardown()

        self.call(down())

    def come_back(self) -> None:
        """Listen again on the same port, as the restarted server process."""
        self.call(self._setup())

    def stop(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
        if self._thread is not None:
            self._thread.join(5)

    def call(self, coro: Any) -> Any:
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(5)

    # -- HTTP -----------------------------------------------------------------------------
    async def healthz(self, request: web.Request) -> web.Response:
        self.health_probes += 1
        return web.json_response({"status": "ok"})

    async def sessions(self, request: web.Request) -> web.Response:
        token = uuid.uuid4().hex + uuid.uuid4().hex[:11]
        sid = str(uuid.uuid4())
        self.tokens[token] = sid
        return web.json_response({"session_id": sid, "token": token}, status=201)

    async def erase(self, request: web.Request) -> web.Response:
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        if token not in self.tokens:
            return web.json_response(
                {"error": {"code": "unauthenticated", "message": "?"}}, status=401
            )
        del self.tokens[token]
        self.erased.append(token)
        count = len([m for m in self.messages if m["sender"] == "player"])
        self.messages.clear()
        self.conversation_id = None
        for ws in list(self.sockets):
            await ws.close(code=4010)
        return web.json_response({"erased": {"messages": count, "consent_records": 1}})

    async def ethics_key(self, request: web.Request) -> web.Response:
        return web.Response(text=f"{self.signer.name}\n{self.signer.verifier.vkey}\n")

    async def content(self, request: web.Request) -> web.Response:
        if self.withdrawn:
            return web.json_response(
                {"error": {"code": "no_published_content", "message": "withdrawn"}}, status=503
            )
        body = self.bundle.to_bytes()
        digest = hashlib.sha256(body).hexdigest()
        if request.headers.get("If-None-Match") == f'"{digest}"':
            return web.Response(status=304)
        proof = self.proof if self.proof is not None else content_proof(self.signer, digest)
        return web.Response(
            body=body,
            content_type="application/json",
            headers={
                "X-Content-Hash": digest,
                "ETag": f'"{digest}"',
                "X-Ethics-Proof": base64.b64encode(proof.encode()).decode(),
            },
        )

    async def organisation(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "name": "Crossroads Exit Network (test)",
                "funder": "Test Foundation",
                "contact_url": "https://example.org/crossroads",
                "description": "An exit programme.",
                "timezone": "Europe/Berlin",
                "service_hours": {
                    d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")
                },
                "open_now": self.open_now,
                "kinds_available_now": list(self.kinds) if self.open_now else [],
                "next_opening": None,
                "emergency_contact": "the emergency services (112)",
                "shares_identifying_details": False,
                "tells_player_first": True,
                "retention_days": 30,
            }
        )

    # -- WebSocket ------------------------------------------------------------------------
    async def send(self, frame: dict[str, Any]) -> None:
        data = msgpack.packb(frame, use_bin_type=True)
        for ws in list(self.sockets):
            if not ws.closed:
                await ws.send_bytes(data)

    def _state(self) -> dict[str, Any]:
        if self.conversation_id:
            return {
                "phase": "conversation",
                "conversation_id": self.conversation_id,
                "counsellor": {"display_name": "Alex", "kind": "former"},
                "last_seq": len(self.messages),
            }
        if self.queued:
            return {"phase": "queued", "request_id": "r1", "position": 1, "estimate_seconds": 120}
        return {"phase": "idle"}

    async def player_ws(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        hello = False
        async for msg in ws:
            if msg.type != WSMsgType.BINARY:
                continue
            frame = msgpack.unpackb(msg.data, raw=False)
            self.received.append(frame)
            kind = frame.get("type")
            if not hello:
                if kind != "hello" or frame.get("token") not in self.tokens:
                    await ws.close(code=4001)
                    break
                hello = True
                self.hellos += 1
                self.sockets.add(ws)
                await ws.send_bytes(
                    msgpack.packb(
                        {
                            "type": "welcome",
                            "v": 1,
                            "session_id": self.tokens[frame["token"]],
                            "state": self._state(),
                            "limits": {},
                        }
                    )
                )
                await ws.send_bytes(
                    msgpack.packb(
                        {
                            "type": "service",
                            "open": self.open_now,
                            "hours": {},
                            "timezone": "Europe/Berlin",
                            "next_open": None,
                            "slots": ["2030-01-07T09:00:00+00:00", "2030-01-07T09:30:00+00:00"],
                        }
                    )
                )
                continue
            if kind == "consent":
                if frame.get("choices", {}).get("format") == "booking":
                    await ws.send_bytes(
                        msgpack.packb(
                            {"type": "booked", "booking_id": "b1", "slot": frame.get("slot")}
                        )
                    )
                elif self.refuse_consent is not None:
                    await ws.send_bytes(msgpack.packb(self.refuse_consent))
                elif not self.open_now:
                    await ws.send_bytes(
                        msgpack.packb(
                            {
                                "type": "error",
                                "code": "service_closed",
                                "message": "closed",
                                "ref": None,
                            }
                        )
                    )
                else:
                    self.queued = True
                    await ws.send_bytes(
                        msgpack.packb(
                            {
                                "type": "queued",
                                "request_id": "r1",
                                "position": 2,
                                "estimate_seconds": 240,
                                "requeued": False,
                            }
                        )
                    )
            elif kind == "cancel_booking":
                await ws.send_bytes(
                    msgpack.packb(
                        {"type": "booking_cancelled", "booking_id": frame.get("booking_id")}
                    )
                )
            elif kind == "leave_queue":
                self.queued = False
                await ws.send_bytes(msgpack.packb({"type": "left"}))
            elif kind == "message":
                cid = frame["client_id"]
                seq = self.by_client_id.get(cid)
                if seq is None:
                    seq = len(self.messages) + 1
                    self.by_client_id[cid] = seq
                    self.messages.append(
                        {"seq": seq, "sender": "player", "text": frame["text"], "client_id": cid}
                    )
                await ws.send_bytes(
                    msgpack.packb(
                        {
                            "type": "ack",
                            "client_id": cid,
                            "seq": seq,
                            "conversation_id": self.conversation_id,
                        }
                    )
                )
            elif kind == "resume":
                last = int(frame.get("last_seq", 0))
                for m in self.messages:
                    if m["seq"] > last:
                        await ws.send_bytes(msgpack.packb(self._message_frame(m)))
                await ws.send_bytes(
                    msgpack.packb(
                        {
                            "type": "resumed",
                            "last_seq": len(self.messages),
                            "conversation_id": self.conversation_id,
                        }
                    )
                )
            elif kind == "end":
                await self.send(
                    {
                        "type": "ended",
                        "conversation_id": self.conversation_id,
                        "by": "player",
                        "outcome": "player_ended",
                    }
                )
                self.conversation_id = None
        self.sockets.discard(ws)
        return ws

    def _message_frame(self, m: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "message",
            "conversation_id": self.conversation_id,
            "seq": m["seq"],
            "sender": m["sender"],
            "text": m["text"],
            "at": datetime.now(UTC).isoformat(),
            "client_id": m.get("client_id"),
        }

    # -- scripted counsellor ----------------------------------------------------------------
    def match(self) -> None:
        self.conversation_id = "c1"
        self.queued = False
        self.call(
            self.send(
                {
                    "type": "matched",
                    "conversation_id": "c1",
                    "counsellor": {"display_name": "Alex", "kind": "former"},
                    "transferred": False,
                }
            )
        )

    def say(self, text: str, *, deliver: bool = True) -> int:
        seq = len(self.messages) + 1
        m = {"seq": seq, "sender": "counsellor", "text": text, "client_id": f"s{seq}"}
        self.messages.append(m)
        if deliver:
            self.call(self.send(self._message_frame(m)))
        return seq

    def typing(self, on: bool) -> None:
        self.call(self.send({"type": "typing", "conversation_id": "c1", "on": on}))

    def read(self, seq: int) -> None:
        self.call(self.send({"type": "read", "conversation_id": "c1", "seq": seq}))

    def end(self) -> None:
        self.call(
            self.send(
                {"type": "ended", "conversation_id": "c1", "by": "counsellor", "outcome": "talked"}
            )
        )
        self.conversation_id = None

    def drop(self) -> None:
        """Close every player socket as a network failure would (1011)."""

        async def close_all() -> None:
            for ws in list(self.sockets):
                await ws.close(code=1011)

        self.call(close_all())

    def send_raw(self, data: bytes) -> None:
        async def go() -> None:
            for ws in list(self.sockets):
                await ws.send_bytes(data)

        self.call(go())

    def frames_of(self, kind: str) -> list[dict[str, Any]]:
        return [f for f in self.received if f.get("type") == kind]
