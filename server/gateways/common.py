"""What both sockets share: app keys, the Origin allow-list, the frame loop's error handling."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import WSMsgType, web

from handoff.exceptions import HandoffError, RemoteProtocolError
from handoff.protocol import CloseCode, ErrorCode, error_frame
from server.gateways.connections import WRITER_LIMIT, Connection
from server.gateways.hub import Hub
from server.settings import Settings

log = logging.getLogger("crossroads.gateways")

HUB: web.AppKey[Hub] = web.AppKey("crossroads_handoff_hub", Hub)
#: The server pings a silent socket after this long; a peer that answers no ping is dropped.
HEARTBEAT_SECONDS = 20.0
#: A socket that delivers no complete frame (a pong counts) for this long is closed with 1008.
#: Any byte received postpones the ping, so a peer trickling a partial frame would otherwise
#: hold the socket open for ever; an honest idle peer answers the ping within this time.
FRAME_DEADLINE_SECONDS = 45.0
#: Frames up to this many times the limit are read and answered with ``frame_too_large``
#: before the 1009 close; anything larger is cut off unread (1009 alone), to bound memory.
OVERSIZE_READ_FACTOR = 4


def socket_options(settings: Settings) -> dict[str, Any]:
    """The ``WebSocketResponse`` options both sockets use (read at each upgrade)."""
    return {
        "heartbeat": HEARTBEAT_SECONDS,
        "receive_timeout": FRAME_DEADLINE_SECONDS,
        "max_msg_size": settings.max_frame_bytes * OVERSIZE_READ_FACTOR,
        "compress": False,
        "writer_limit": WRITER_LIMIT,
    }


def origin_allowed(request: web.Request, settings: Settings) -> bool:
    """Browsers send Origin: it must be ours or allow-listed. No Origin = not a browser."""
    origin = request.headers.get("Origin")
    if origin is None:
        return True
    origin = origin.rstrip("/")
    if origin in {o.rstrip("/") for o in settings.allowed_origins}:
        return True
    return origin == f"{request.scheme}://{request.host}"


def rate(settings: Settings) -> tuple[float, int]:
    """(frames per second, burst) for one connection."""
    per_second = float(settings.messages_per_second)
    return per_second, max(1, int(per_second))


async def refuse(
    conn: Connection, code: str, message: str, close: int | None, ref: Any = None
) -> bool:
    """Answer a bad frame with an error frame; close when ``close`` is set. True if closed."""
    await conn.send(error_frame(code, message, ref if isinstance(ref, str) else None))
    if close is not None:
        await conn.close(close, code)
        return True
    return False


async def answer_error(conn: Connection, exc: HandoffError) -> None:
    """An error frame for a core or protocol error (the peer's fault)."""
    await conn.send(error_frame(exc.code, exc.message, exc.ref))


async def rate_limited(conn: Connection) -> bool:
    """Handle a frame over the rate limit. True when the connection was closed (flood)."""
    if conn.flooding:
        log.warning("closing flooding connection %s", conn.id)
        await conn.send(error_frame(ErrorCode.RATE_LIMITED, "too many frames; closing", None))
        await conn.close(CloseCode.RATE_LIMITED, "rate_limited")
        return True
    await conn.send(
        error_frame(ErrorCode.RATE_LIMITED, "too many frames per second; frame dropped", None)
    )
    return False


async def frame_loop(
    conn: Connection,
    *,
    data_type: WSMsgType,
    parse: Callable[[Any], Any],
    handle: Callable[[Any], Awaitable[None]],
    error_ref: Callable[[Any], str | None],
    wrong_type: str,
    who: str,
) -> None:
    """Read frames until the socket closes: rate limit, parse, handle, answer every failure.

    The player and staff sockets differ only in the frame type they accept (binary msgpack or
    JSON text), their parser and their handler. A bad frame gets its error code (or a close
    code); a failure of ours gets ``internal_error``; neither disturbs any other connection.
    """
    try:
        await _read_frames(conn, data_type, parse, handle, error_ref, wrong_type, who)
    except TimeoutError:
        log.info("%s socket %s sent no complete frame in time; closing", who, conn.id)
        await conn.close(CloseCode.POLICY_VIOLATION, "frame_timeout")


async def _read_frames(
    conn: Connection,
    data_type: WSMsgType,
    parse: Callable[[Any], Any],
    handle: Callable[[Any], Awaitable[None]],
    error_ref: Callable[[Any], str | None],
    wrong_type: str,
    who: str,
) -> None:
    ws = conn.ws
    async for msg in ws:
        if conn.revoked:  # authority withdrawn: the close is on its way, read nothing more
            return
        if msg.type == data_type:
            if not conn.allow():
                if await rate_limited(conn):
                    return
                continue
            try:
                frame = parse(msg.data)
            except RemoteProtocolError as exc:
                log.info("%s %s sent a bad frame: %s", who, conn.id, exc.code)
                if await refuse(conn, exc.code, exc.message, exc.close_code, exc.ref):
                    return
                continue
            try:
                await handle(frame)
            except HandoffError as exc:
                exc.ref = exc.ref or error_ref(frame)
                await answer_error(conn, exc)
            except Exception:
                log.exception("%s frame %s failed", who, frame.type)
                await refuse(
                    conn,
                    ErrorCode.INTERNAL_ERROR,
                    "something went wrong on our side; retry",
                    None,
                    getattr(frame, "client_id", None),
                )
            if ws.closed:
                return
        elif msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
            await conn.close(CloseCode.UNSUPPORTED_DATA, wrong_type)
            return
        elif msg.type == WSMsgType.ERROR:
            log.info("%s socket %s error: %s", who, conn.id, ws.exception())
            return
