"""One WebSocket connection: encoding, rate limit, and exactly-once delivery of chat messages.

A connection is keyed by a random id, never by a name. ``deliver`` never sends the same
``seq`` twice on one connection, and while a ``resume`` replays a conversation, live messages
of that conversation are held back and sent after the replay. Outgoing frames are queued and
written together once per event-loop turn (one system call per socket, not one per frame).
"""

from __future__ import annotations

import asyncio
import json
import logging
import struct
import time
import uuid
from typing import Any

import msgpack
from aiohttp import web

from server.gateways.authority import Grant

log = logging.getLogger("crossroads.gateways")

#: Unsent bytes a connection may have queued before it counts as not reading (see _stalled).
MAX_BUFFERED = 512 * 1024
#: aiohttp makes senders wait above this; it is above MAX_BUFFERED, so senders never wait.
WRITER_LIMIT = 2 * MAX_BUFFERED

# One encoder of each kind for every socket: json.dumps with options and msgpack.packb build
# a new encoder per call. Same output as ``json.dumps(..., separators=(",", ":"),
# ensure_ascii=False)`` and ``msgpack.packb(..., use_bin_type=True)``.
_to_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
_to_msgpack = msgpack.Packer(use_bin_type=True).pack

# RFC 6455 section 5.2 headers of unmasked, unfragmented, uncompressed server frames.
_FIN_BINARY = 0x82
_FIN_TEXT = 0x81
_HEADER_7 = struct.Struct("!BB").pack
_HEADER_16 = struct.Struct("!BBH").pack
_HEADER_64 = struct.Struct("!BBQ").pack


def _framed(data: bytes | str) -> bytes:
    """Bytes go out as a binary frame, text as a text frame (as send_bytes/send_str do)."""
    if isinstance(data, bytes):
        return ws_frame(data, _FIN_BINARY)
    # "replace": a string that cannot be UTF-8 (never from a checked frame) must not take the
    # other frames of this write down with it.
    return ws_frame(data.encode("utf-8", "replace"), _FIN_TEXT)


def ws_frame(payload: bytes, first_byte: int) -> bytes:
    """A complete WebSocket frame (header and payload) as a server sends it."""
    n = len(payload)
    if n < 126:
        return _HEADER_7(first_byte, n) + payload
    if n < 65536:
        return _HEADER_16(first_byte, 126, n) + payload
    return _HEADER_64(first_byte, 127, n) + payload


class Connection:
    """Base for player and staff sockets."""

    binary = True

    def __init__(
        self,
        ws: web.WebSocketResponse,
        *,
        rate: float,
        burst: int,
        transport: asyncio.BaseTransport | None = None,
    ) -> None:
        self.id = uuid.uuid4().hex
        self.ws = ws
        self.transport = transport if isinstance(transport, asyncio.WriteTransport) else None
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._stamp = time.monotonic()
        self.dropped = 0
        self.resuming: dict[str, list[dict[str, Any]]] = {}
        self.inflight: set[asyncio.Task[None]] = set()
        self.delivered: dict[str, set[int]] = {}
        self._out: list[bytes | str] = []
        self._flush_handle: asyncio.Handle | None = None
        self.pending = 0  # chat messages read but not yet committed and answered
        self._room: asyncio.Future[None] | None = None
        #: Set when the connection lost its authority and is being closed: read no more.
        self.revoked = False
        self._closing: asyncio.Future[None] | None = None

    def allow(self) -> bool:
        """Token bucket: True when this frame is within the per-connection rate."""
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            if self._tokens >= self.burst - 1:
                self.dropped = 0
            return True
        self.dropped += 1
        return False

    @property
    def flooding(self) -> bool:
        """Far above the allowance: close rather than keep answering."""
        return self.dropped > 3 * self.burst

    def encode(self, frame: dict[str, Any]) -> bytes | str:
        if self.binary:
            data: bytes = _to_msgpack(frame)
            return data
        text: str = _to_json(frame)
        return text

    def _stalled(self) -> bool:
        """True (and the connection dropped) when the peer stopped reading.

        Sending to a peer that does not read would first fill memory and then block the
        sender, and the sender may be serving somebody else. Past ``MAX_BUFFERED`` unsent
        bytes the connection is aborted instead; no close frame, the peer is not reading.
        """
        transport = self.transport
        if transport is None or transport.is_closing():
            return transport is not None
        if transport.get_write_buffer_size() <= MAX_BUFFERED:
            return False
        log.warning("connection %s does not read its frames; dropping it", self.id)
        transport.abort()
        return True

    async def send(self, frame: dict[str, Any]) -> None:
        """Send one frame; a dead socket is ignored (its reader cleans up)."""
        self.push(self.encode(frame))

    def send_nowait(self, frame: dict[str, Any]) -> None:
        """Queue one frame for this loop turn's write; a dead socket is ignored."""
        self.push(self.encode(frame))

    def push(self, data: bytes | str) -> None:
        """Queue a frame already encoded for this socket's codec.

        Frames queued during one event-loop turn leave in one write, in the order queued:
        after a group commit every ack and relayed message for a socket costs one system
        call instead of one each.
        """
        if self.ws.closed:
            return
        self._out.append(data)
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self.flush)

    def flush(self) -> None:
        """Write the queued frames now (also before a close, so they precede it)."""
        if self._flush_handle is not None:
            self._flush_handle.cancel()
            self._flush_handle = None
        out, self._out = self._out, []
        if not out or self.ws.closed or self._stalled():
            return
        transport = self.transport
        if transport is None:  # no raw transport (never under aiohttp's server): slow path
            task = asyncio.ensure_future(self._send_each(out))
            self.inflight.add(task)
            task.add_done_callback(self.inflight.discard)
            return
        if len(out) == 1:
            transport.write(_framed(out[0]))
        else:
            transport.write(b"".join([_framed(d) for d in out]))

    async def _send_each(self, frames: list[bytes | str]) -> None:
        for data in frames:
            try:
                if isinstance(data, bytes):
                    await self.ws.send_bytes(data)
                else:
                    await self.ws.send_str(data)
            except (ConnectionError, RuntimeError) as exc:
                log.debug("send to %s failed: %s", self.id, exc)
                return

    def started(self) -> None:
        """A chat message of this connection was queued for commit."""
        self.pending += 1

    def finished(self) -> None:
        """A chat message of this connection was committed and answered (or failed)."""
        self.pending -= 1
        room = self._room
        if room is not None and not room.done():
            self._room = None
            room.set_result(None)

    async def room(self, limit: int = 64) -> None:
        """Wait while ``limit`` messages are in flight, so the next frame can be read
        meanwhile but one connection cannot queue without bound."""
        while self.pending >= limit:
            room = self._room = asyncio.get_running_loop().create_future()
            await room

    async def send_encoded(self, data: bytes | str) -> None:
        """Send a frame already encoded for this socket's codec (one encoding, many sockets)."""
        self.push(data)

    def mark(self, conversation_id: str, seq: int) -> None:
        """Remember that this connection has ``seq`` (sent, or its own acked message)."""
        self.delivered.setdefault(conversation_id, set()).add(seq)

    async def deliver(self, frame: dict[str, Any]) -> None:
        """Send a chat ``message`` frame at most once, after any replay in progress."""
        self.deliver_nowait(frame)

    def deliver_nowait(self, frame: dict[str, Any], encoded: bytes | str | None = None) -> None:
        """:meth:`deliver` without awaiting; ``encoded`` is the frame in this socket's codec."""
        conv = frame["conversation_id"]
        held = self.resuming.get(conv)
        if held is not None:
            held.append(frame)
            return
        seen = self.delivered.setdefault(conv, set())
        if frame["seq"] in seen:
            return
        seen.add(frame["seq"])
        self.push(self.encode(frame) if encoded is None else encoded)

    async def close(self, code: int, message: str = "") -> None:
        """Close with a WebSocket close code (after any frames still queued).

        May be called from another task than the socket's handler (an authority change,
        an erasure); the handler then waits in :meth:`closing_done` before it returns, as
        returning would end the connection before the close frame is out.
        """
        self.flush()
        if self.ws.closed:
            return
        done = self._closing
        if done is None:
            done = self._closing = asyncio.get_running_loop().create_future()
        try:
            await self.ws.close(code=code, message=message.encode()[:120])
        except (ConnectionError, RuntimeError):
            pass
        finally:
            if not done.done():
                done.set_result(None)

    async def closing_done(self, timeout: float = 5.0) -> None:
        """Wait for a close started elsewhere to finish its handshake (at most ``timeout``)."""
        if self._closing is not None and not self._closing.done():
            try:
                await asyncio.wait_for(asyncio.shield(self._closing), timeout)
            except TimeoutError:
                pass


class PlayerConnection(Connection):
    """A player's msgpack socket, bound to an anonymous session after ``hello``."""

    binary = True

    def __init__(
        self,
        ws: web.WebSocketResponse,
        *,
        rate: float,
        burst: int,
        transport: asyncio.BaseTransport | None = None,
    ) -> None:
        super().__init__(ws, rate=rate, burst=burst, transport=transport)
        self.session_id: str = ""


class StaffConnection(Connection):
    """A signed-in staff member's JSON socket."""

    binary = False

    def __init__(
        self,
        ws: web.WebSocketResponse,
        *,
        rate: float,
        burst: int,
        staff_id: int,
        display_name: str,
        roles: frozenset[str],
        transport: asyncio.BaseTransport | None = None,
        grant: Grant | None = None,
        address: str = "",
    ) -> None:
        super().__init__(ws, rate=rate, burst=burst, transport=transport)
        self.staff_id = staff_id
        self.display_name = display_name
        self.roles = roles
        self.grant = grant  # what the socket was opened with (server.gateways.authority)
        self.address = address  # the peer address, for the audit log

    @property
    def is_supervisor(self) -> bool:
        return "supervisor" in self.roles or "admin" in self.roles
