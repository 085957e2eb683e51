"""The network client: a background thread running asyncio with aiohttp and msgpack.

The frame loop never waits on the network. It calls `send(frame)`, `connect()`,
`fetch_content()` or `fetch_organisation()`, which only enqueue work for the thread, and once
per frame `poll()`, which drains what arrived. Server frames come back unchanged (dicts with a
"type"); the client adds its own events with types starting "net." (state changes, HTTP
results, errors). The WebSocket reconnects by game.reconnect's plan (capped, jittered backoff,
cut short by a healthy `/healthz`); after each `welcome` the
frames queued while offline are flushed, and the caller resumes the conversation from its last
seen seq (see game.conversation).
"""

from __future__ import annotations

import asyncio
import json
import queue
import threading
import uuid
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgpack

from game.paths import atomic_write
from game.reconnect import ReconnectPlan

if TYPE_CHECKING:
    import aiohttp
else:
    aiohttp = None  # imported in the network thread: it costs ~0.3 s, offline play needs none

PROTOCOL_VERSION = 1
MAX_FRAME = 16 * 1024
PROBE_TIMEOUT = 1.0  # a /healthz that takes longer counts as not healthy yet
MAX_BUFFERED = 200
HTTP_TIMEOUT_SECONDS = 20
# close codes after which reconnecting would not help (see docs/PROTOCOL.md)
STOP_CODES = frozenset({1000, 1003, 1007, 1009, 4001, 4005, 4009, 4010, 4030})


class NetState(StrEnum):
    OFFLINE = "offline"  # no server configured: a purely offline copy
    IDLE = "idle"  # a server is known but no socket is open (none needed yet)
    CONNECTING = "connecting"
    ONLINE = "online"  # socket open and `welcome` received
    RECONNECTING = "reconnecting"  # the socket dropped; trying again with backoff


def pack(frame: dict[str, Any]) -> bytes:
    data: bytes = msgpack.packb(frame, use_bin_type=True)
    return data


def unpack(data: bytes) -> dict[str, Any]:
    frame = msgpack.unpackb(data, raw=False, strict_map_key=True)
    if not isinstance(frame, dict) or not isinstance(frame.get("type"), str):
        raise ValueError("frame is not a map with a type")
    return frame


class TokenStore:
    """Keeps the anonymous session token per server in the user data directory.

    The token is the only thing that lets the player resume or erase a conversation; it is
    random and carries no personal data.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._mem: dict[str, dict[str, Any]] = {}
        # the network thread (tokens) and the frame loop (read marks) both write the file
        self._write_lock = threading.Lock()

    def _load(self) -> dict[str, dict[str, Any]]:
        if self.path is None:
            return self._mem
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return data if isinstance(data, dict) else {}
        except (OSError, ValueError):
            return {}

    def get(self, server: str) -> dict[str, Any]:
        entry = self._load().get(server)
        return dict(entry) if isinstance(entry, dict) else {}

    def put(self, server: str, **values: Any) -> None:
        with self._write_lock:
            self._put(server, values)

    def _put(self, server: str, values: dict[str, Any]) -> None:
        data = self._load()
        found = data.get(server)
        entry: dict[str, Any] = dict(found) if isinstance(found, dict) else {}
        entry.update(values)
        data[server] = {k: v for k, v in entry.items() if v is not None}
        if self.path is None:
            self._mem = data
        else:
            atomic_write(self.path, json.dumps(data, indent=2).encode("utf-8"))

    def forget(self, server: str) -> None:
        with self._write_lock:
            self._forget(server)

    def _forget(self, server: str) -> None:
        data = self._load()
        data.pop(server, None)
        if self.path is None:
            self._mem = data
        else:
            atomic_write(self.path, json.dumps(data, indent=2).encode("utf-8"))


class NetClient:
    """Thread-backed client for the player's HTTP API and WebSocket.

    Usage from the frame loop::

        net = NetClient("http://127.0.0.1:8080", token_path=home / "session.json")
        net.start()
        net.connect()                      # opens a session if needed, then the socket
        net.send({"type": "consent", ...})
        for frame in net.poll(): ...       # never blocks
        net.stop()
    """

    def __init__(
        self,
        server_url: str | None,
        *,
        token_path: Path | None = None,
        verify_content: bool = True,
    ) -> None:
        self.server_url = server_url.rstrip("/") if server_url else None
        self.tokens = TokenStore(token_path)
        self.verify_content = verify_content
        self._inbox: queue.SimpleQueue[dict[str, Any]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._commands: asyncio.Queue[tuple[str, Any]] | None = None
        self._ready = threading.Event()
        self._state = NetState.OFFLINE if self.server_url is None else NetState.IDLE
        self._lock = threading.Lock()
        self.session_id: str | None = None
        self.last_error: str | None = None

    # -- thread-safe API for the frame loop ------------------------------------------------
    @property
    def state(self) -> NetState:
        with self._lock:
            return self._state

    @property
    def available(self) -> bool:
        return self.server_url is not None

    def start(self, server_url: str | None = None) -> None:
        """Start the background thread (idempotent). A URL given here replaces the old one."""
        if server_url:
            self.server_url = server_url.rstrip("/")
            self._set_state(NetState.IDLE)
        if self._thread is not None or self.server_url is None:
            return
        self._thread = threading.Thread(target=self._run, name="crossroads-net", daemon=True)
        self._thread.start()
        self._ready.wait(5.0)

    def stop(self, timeout: float = 3.0) -> None:
        """Close the socket and the HTTP session and end the thread."""
        if self._thread is None:
            return
        self._command("stop", None)
        self._thread.join(timeout)
        self._thread = None

    def connect(self) -> None:
        """Open the player WebSocket (creating an anonymous session first if needed)."""
        self._command("connect", None)

    def reopen(self) -> None:
        """Close the socket and open a fresh one at once (keeping queued frames): on a new
        connection the server replays a resumed chat in full."""
        self._command("reopen", None)

    def disconnect(self) -> None:
        """Close the socket on purpose; no reconnect follows."""
        self._command("disconnect", None)

    def send(self, frame: dict[str, Any]) -> None:
        """Queue a frame. Sent at once when online, else after the next `welcome`."""
        self._command("send", dict(frame))

    def send_message(self, text: str, client_id: str | None = None) -> str:
        """Send a chat message and return its client id (the ack carries it back)."""
        cid = client_id or uuid.uuid4().hex
        self.send({"type": "message", "client_id": cid, "text": text})
        return cid

    def fetch_content(self, etag: str | None = None) -> None:
        """GET /api/v1/content; the verified result arrives as a `net.content` event."""
        self._command("fetch_content", etag)

    def fetch_organisation(self) -> None:
        """GET /api/v1/organisation; arrives as `net.organisation`."""
        self._command("fetch_organisation", None)

    def has_session(self) -> bool:
        """True if this device holds an anonymous session token for the server."""
        return bool(self.server_url and self.tokens.get(self.server_url).get("token"))

    def erase_session(self) -> None:
        """DELETE /api/v1/sessions/me: the server erases everything this token sent.

        Arrives as `net.erased` (with the server's counts) or `net.error` (what="erase").
        """
        self._command("erase_session", None)

    def forget_session(self) -> None:
        """Drop the stored token (after an erase): the next connect opens a new session."""
        if self.server_url:
            self.tokens.forget(self.server_url)

    def poll(self) -> list[dict[str, Any]]:
        """Everything that arrived since the last call, oldest first. Never blocks."""
        out: list[dict[str, Any]] = []
        while True:
            try:
                out.append(self._inbox.get_nowait())
            except queue.Empty:
                return out

    def wait_for(self, predicate: Any, timeout: float = 5.0) -> list[dict[str, Any]]:
        """For tests and tools (not the frame loop): poll until a frame matches predicate."""
        import time

        seen: list[dict[str, Any]] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                frame = self._inbox.get(timeout=0.05)
            except queue.Empty:
                continue
            seen.append(frame)
            if predicate(frame):
                return seen
        raise TimeoutError(f"no matching frame within {timeout}s; saw {seen!r}")

    # -- internals -------------------------------------------------------------------------
    def _emit(self, frame: dict[str, Any]) -> None:
        self._inbox.put(frame)

    def _set_state(self, state: NetState) -> None:
        with self._lock:
            changed = state != self._state
            self._state = state
        if changed:
            self._emit({"type": "net.state", "state": str(state)})

    def _command(self, name: str, arg: Any) -> None:
        if self.server_url is None:
            if name in ("connect", "send", "fetch_content", "fetch_organisation"):
                self._emit({"type": "net.unavailable", "what": name})
            return
        if self._thread is None:
            self.start()
        loop, commands = self._loop, self._commands
        if loop is None or commands is None:
            return
        try:
            loop.call_soon_threadsafe(commands.put_nowait, (name, arg))
        except RuntimeError:  # loop already closed during shutdown
            pass

    def _run(self) -> None:
        global aiohttp
        import aiohttp as _aiohttp

        aiohttp = _aiohttp
        self._http_timeout = aiohttp.ClientTimeout(total=HTTP_TIMEOUT_SECONDS, connect=5)
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()
            self._loop = None

    async def _main(self) -> None:
        self._commands = asyncio.Queue()
        self._buffer: list[dict[str, Any]] = []
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._want_socket = False
        self._ws_task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._welcomed = False
        self._auth_retried = False
        self._reopen_now = False
        # no total timeout on the session: a chat socket lives for hours; HTTP calls get one
        timeout = aiohttp.ClientTimeout(total=None, connect=5)
        async with aiohttp.ClientSession(timeout=timeout) as http:
            self._http = http
            self._ready.set()
            tasks: set[asyncio.Task[None]] = set()
            while True:
                name, arg = await self._commands.get()
                if name == "stop":
                    break
                try:
                    await self._dispatch(name, arg, tasks)
                except Exception as exc:  # noqa: BLE001 - the thread must outlive any bug
                    self._emit(
                        {
                            "type": "net.error",
                            "what": name,
                            "message": f"{type(exc).__name__}: {exc}",
                        }
                    )
            self._want_socket = False
            self._wake.set()
            if self._ws is not None:
                await self._ws.close()
            if self._ws_task is not None:
                self._ws_task.cancel()
                try:
                    await self._ws_task
                except (asyncio.CancelledError, Exception):  # noqa: BLE001
                    pass
            for task in list(tasks):
                task.cancel()
        self._set_state(NetState.IDLE)

    async def _dispatch(self, name: str, arg: Any, tasks: set[asyncio.Task[None]]) -> None:
        if name == "send":
            await self._send_or_buffer(arg)
        elif name == "connect":
            self._want_socket = True
            if self._ws_task is None or self._ws_task.done():
                self._ws_task = asyncio.create_task(self._socket_loop())
            else:
                self._wake.set()
        elif name == "reopen":
            self._want_socket = True
            if self._ws is not None and not self._ws.closed:
                self._reopen_now = True
                await self._ws.close()
            elif self._ws_task is None or self._ws_task.done():
                self._ws_task = asyncio.create_task(self._socket_loop())
            else:
                self._wake.set()
        elif name == "disconnect":
            self._want_socket = False
            self._buffer.clear()
            self._wake.set()
            if self._ws is not None:
                await self._ws.close()
        elif name in ("fetch_content", "fetch_organisation", "erase_session"):
            if name == "fetch_content":
                coro = self._fetch_content(arg)
            elif name == "fetch_organisation":
                coro = self._fetch_org()
            else:
                coro = self._erase()
            task = asyncio.create_task(coro)
            tasks.add(task)
            task.add_done_callback(tasks.discard)

    async def _send_or_buffer(self, frame: dict[str, Any]) -> None:
        if self._ws is not None and not self._ws.closed and self.state == NetState.ONLINE:
            try:
                await self._ws.send_bytes(pack(frame))
                return
            except (aiohttp.ClientError, ConnectionError, RuntimeError):
                pass
        if len(self._buffer) < MAX_BUFFERED:
            self._buffer.append(frame)
        else:
            self._emit({"type": "net.error", "what": "send", "message": "offline buffer full"})
        if not self._want_socket:
            self._want_socket = True
            if self._ws_task is None or self._ws_task.done():
                self._ws_task = asyncio.create_task(self._socket_loop())

    async def _ensure_token(self) -> str:
        assert self.server_url is not None
        stored = self.tokens.get(self.server_url)
        if stored.get("token"):
            self.session_id = stored.get("session_id")
            return str(stored["token"])
        async with self._http.post(
            f"{self.server_url}/api/v1/sessions", json={}, timeout=self._http_timeout
        ) as resp:
            data = await resp.json(content_type=None)
            if resp.status != 201 or not isinstance(data, dict) or "token" not in data:
                raise _HttpFailure(resp.status, data)
        self.session_id = str(data.get("session_id"))
        self.tokens.put(self.server_url, token=data["token"], session_id=self.session_id)
        return str(data["token"])

    def _ws_url(self) -> str:
        assert self.server_url is not None
        url = self.server_url
        if url.startswith("https://"):
            url = "wss://" + url[len("https://") :]
        elif url.startswith("http://"):
            url = "ws://" + url[len("http://") :]
        return url + "/ws/player"

    async def _socket_loop(self) -> None:
        plan = ReconnectPlan()
        first = True
        while self._want_socket:
            self._set_state(NetState.CONNECTING if first else NetState.RECONNECTING)
            try:
                token = await self._ensure_token()
                async with self._http.ws_connect(
                    self._ws_url(),
                    heartbeat=20.0,
                    max_msg_size=MAX_FRAME * 4,
                ) as ws:
                    self._ws = ws
                    await ws.send_bytes(
                        pack({"type": "hello", "v": PROTOCOL_VERSION, "token": token})
                    )
                    await self._read(ws)
            except _HttpFailure as exc:
                self.last_error = str(exc)
                self._emit({"type": "net.error", "what": "session", "message": str(exc)})
            except (aiohttp.ClientError, OSError, TimeoutError) as exc:
                self.last_error = str(exc) or type(exc).__name__
                self._emit({"type": "net.error", "what": "websocket", "message": self.last_error})
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - keep reconnecting whatever went wrong
                self.last_error = f"{type(exc).__name__}: {exc}"
                self._emit({"type": "net.error", "what": "websocket", "message": self.last_error})
            finally:
                self._ws = None
            first = False
            if not self._want_socket:
                break
            if self._reopen_now:
                self._reopen_now = False
                self._welcomed = False
                continue
            self._set_state(NetState.RECONNECTING)
            if self._welcomed:
                plan.connected()  # it was up: the next loss starts from the short delays
            self._welcomed = False
            await self._wait_to_retry(plan)
        self._set_state(NetState.IDLE)

    async def _wait_to_retry(self, plan: ReconnectPlan) -> None:
        """Wait until the plan says to try again, probing /healthz meanwhile (game.reconnect)."""
        loop = asyncio.get_running_loop()
        self._wake.clear()
        plan.failed(loop.time())
        while self._want_socket:
            kind, at = plan.next_event()
            left = at - loop.time()
            if left > 0:
                try:
                    await asyncio.wait_for(self._wake.wait(), timeout=left)
                    return  # connect() or a frame to send: try now
                except TimeoutError:
                    pass
            if kind == "connect":
                return
            plan.probed(loop.time(), await self._healthy())

    async def _healthy(self) -> bool:
        """True if `GET /healthz` answers 200 (the server is up and can store messages)."""
        try:
            async with self._http.get(
                f"{self.server_url}/healthz", timeout=aiohttp.ClientTimeout(total=PROBE_TIMEOUT)
            ) as resp:
                return resp.status == 200
        except (aiohttp.ClientError, OSError, TimeoutError):
            return False

    async def _read(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type == aiohttp.WSMsgType.BINARY:
                try:
                    frame = unpack(msg.data)
                except (ValueError, msgpack.UnpackException, TypeError) as exc:
                    self._emit({"type": "net.error", "what": "frame", "message": str(exc)})
                    continue
                if frame["type"] == "welcome":
                    self._auth_retried = False
                    if frame.get("session_id"):
                        self.session_id = str(frame["session_id"])
                    self._welcomed = True
                    self._set_state(NetState.ONLINE)
                    self._emit(frame)
                    pending, self._buffer = self._buffer, []
                    for out in pending:
                        await ws.send_bytes(pack(out))
                    continue
                if frame["type"] == "error" and frame.get("code") in (
                    "invalid_token",
                    "unknown_session",
                ):
                    # the server forgot us (erased or expired): start a fresh session next time
                    self.forget_session()
                self._emit(frame)
            elif msg.type == aiohttp.WSMsgType.TEXT:
                self._emit(
                    {"type": "net.error", "what": "frame", "message": "unexpected text frame"}
                )
            elif msg.type in (aiohttp.WSMsgType.ERROR, aiohttp.WSMsgType.CLOSE):
                break
        code = ws.close_code
        if self._reopen_now:
            return  # we closed it to open a fresh one (reopen)
        if code == 4001 and not self._auth_retried:
            # the server does not know our token (e.g. its database was reset): open a new
            # anonymous session once and try again; the buffered frames are kept
            self._auth_retried = True
            self.forget_session()
            return
        if code in STOP_CODES:
            # the server told us not to come back with this token (erased, refused, bad client)
            self._want_socket = False
            if code in (4001, 4010):
                self.forget_session()
            self._buffer.clear()
            self._emit({"type": "net.closed", "code": code})

    async def _fetch_content(self, etag: str | None) -> None:
        assert self.server_url is not None
        headers = {"If-None-Match": f'"{etag}"'} if etag else {}
        try:
            # the log key first, so the game can pin it before it checks the content's proof
            async with self._http.get(
                f"{self.server_url}/api/v1/ethics/key", timeout=self._http_timeout
            ) as resp:
                if resp.status == 200:
                    self._emit({"type": "net.ethics_key", "text": (await resp.text())[:4000]})
        except (aiohttp.ClientError, OSError, TimeoutError, UnicodeDecodeError):
            pass  # without it the content's proof decides (and fails if nothing is pinned)
        try:
            async with self._http.get(
                f"{self.server_url}/api/v1/content", headers=headers, timeout=self._http_timeout
            ) as resp:
                if resp.status == 304:
                    self._emit({"type": "net.content_unchanged"})
                    return
                body = await resp.read()
                if resp.status != 200:
                    self._emit({"type": "net.content_none", "status": resp.status})
                    return
                header_hash = resp.headers.get("X-Content-Hash")
                proof = _decode_proof(resp.headers.get("X-Ethics-Proof"))
        except (aiohttp.ClientError, OSError, TimeoutError) as exc:
            self._emit(
                {"type": "net.error", "what": "content", "message": str(exc) or type(exc).__name__}
            )
            return
        if not self.verify_content:
            self._emit(
                {
                    "type": "net.content",
                    "body": body,
                    "hash": header_hash,
                    "bundle": None,
                    "proof": proof,
                }
            )
            return
        from game.content import verify_bundle
        from game.exceptions import ContentIntegrityError

        try:
            # parsing a big bundle takes a few ms: keep it off the frame loop, in a worker
            bundle = await asyncio.get_running_loop().run_in_executor(
                None, verify_bundle, body, header_hash
            )
        except ContentIntegrityError as exc:
            self._emit({"type": "net.error", "what": "content_integrity", "message": str(exc)})
            return
        self._emit(
            {
                "type": "net.content",
                "body": body,
                "hash": bundle.sha256,
                "bundle": bundle,
                "proof": proof,
            }
        )

    async def _fetch_org(self) -> None:
        assert self.server_url is not None
        try:
            async with self._http.get(
                f"{self.server_url}/api/v1/organisation", timeout=self._http_timeout
            ) as resp:
                data = await resp.json(content_type=None)
                if resp.status != 200 or not isinstance(data, dict):
                    raise _HttpFailure(resp.status, data)
        except (_HttpFailure, aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            self._emit(
                {
                    "type": "net.error",
                    "what": "organisation",
                    "message": str(exc) or type(exc).__name__,
                }
            )
            return
        self._emit({"type": "net.organisation", "data": data})

    async def _erase(self) -> None:
        assert self.server_url is not None
        token = self.tokens.get(self.server_url).get("token")
        if not token:
            self._emit({"type": "net.erased", "erased": {}})
            return
        self._want_socket = False
        self._buffer.clear()
        try:
            async with self._http.delete(
                f"{self.server_url}/api/v1/sessions/me",
                headers={"Authorization": f"Bearer {token}"},
                timeout=self._http_timeout,
            ) as resp:
                data = await resp.json(content_type=None)
                # 401: the server no longer knows the token, so nothing is left to erase
                if resp.status not in (200, 401):
                    raise _HttpFailure(resp.status, data)
        except (_HttpFailure, aiohttp.ClientError, OSError, TimeoutError, ValueError) as exc:
            self._emit(
                {"type": "net.error", "what": "erase", "message": str(exc) or type(exc).__name__}
            )
            return
        self.forget_session()
        if self._ws is not None:
            await self._ws.close()
        erased = data.get("erased", {}) if isinstance(data, dict) else {}
        self._emit({"type": "net.erased", "erased": erased})


class _HttpFailure(Exception):
    def __init__(self, status: int, data: Any) -> None:
        message = ""
        if isinstance(data, dict) and isinstance(data.get("error"), dict):
            message = f"{data['error'].get('code')}: {data['error'].get('message')}"
        super().__init__(f"HTTP {status} {message}".strip())
        self.status = status


def _decode_proof(header: str | None) -> str | None:
    """The tlog-proof text from the X-Ethics-Proof header (base64), or None."""
    import base64
    import binascii

    if not header:
        return None
    try:
        return base64.b64decode(header, validate=True).decode("utf-8")
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return "unreadable"
