"""RFC 6455 section 5.1: a server must close the connection on an unmasked client frame.

aiohttp's frame reader accepts unmasked frames from clients. :func:`require_masked_frames`
puts a small header tracker in front of it: it follows frame boundaries in the byte stream
(headers are at most 14 bytes; payloads are skipped by length, never copied) and, at the
first frame without the MASK bit, stops feeding the reader and closes with 1002 (protocol
error). Everything else goes to aiohttp's reader unchanged.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from aiohttp import web

log = logging.getLogger("crossroads.gateways.masking")
_closing: set[asyncio.Task[None]] = set()  # keeps the close tasks referenced until done


class _MaskTracker:
    """Wraps aiohttp's ``WebSocketReader``; same ``feed_data``/``feed_eof`` interface."""

    def __init__(self, inner: Any, on_unmasked: Callable[[], None]) -> None:
        self._inner = inner
        self._on_unmasked = on_unmasked
        self._header = bytearray()  # bytes of a header not yet complete
        self._skip = 0  # payload bytes still to pass through before the next header
        self._refused = False

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def feed_eof(self) -> None:
        self._inner.feed_eof()

    def feed_data(self, data: bytes) -> tuple[bool, bytes]:
        if self._refused:
            return False, b""
        view = memoryview(data)
        i = 0
        while i < len(view):
            if self._skip:
                step = min(self._skip, len(view) - i)
                self._skip -= step
                i += step
                continue
            self._header.append(view[i])
            i += 1
            need = self._header_size()
            if need is None or len(self._header) < need:
                continue
            if not self._header[1] & 0x80:
                self._refused = True
                good = bytes(view[: i - len(self._header)])
                if good:
                    self._inner.feed_data(good)
                self._on_unmasked()
                return False, b""
            self._skip = self._payload_length()
            self._header.clear()
        return self._inner.feed_data(data)  # type: ignore[no-any-return]

    def _header_size(self) -> int | None:
        if len(self._header) < 2:
            return None
        short = self._header[1] & 0x7F
        size = 2 + (2 if short == 126 else 8 if short == 127 else 0)
        return size + (4 if self._header[1] & 0x80 else 0)

    def _payload_length(self) -> int:
        short = self._header[1] & 0x7F
        if short == 126:
            return int.from_bytes(self._header[2:4], "big")
        if short == 127:
            return int.from_bytes(self._header[2:10], "big")
        return short


def require_masked_frames(
    request: web.Request, close: Callable[[int, str], Coroutine[Any, Any, None]]
) -> bool:
    """After the upgrade: refuse unmasked client frames, closing with ``close(1002, ...)``
    (the connection's own close, so its handler waits for the close handshake).

    False (and nothing enforced) when this aiohttp keeps its reader elsewhere; the socket
    tests then fail, so an upgrade that breaks this cannot pass unnoticed.
    """
    protocol = request.protocol
    inner = getattr(protocol, "_payload_parser", None)
    if inner is None or not hasattr(inner, "feed_data"):
        log.warning("cannot check client frame masking with this aiohttp")
        return False

    def unmasked() -> None:
        log.info("client sent an unmasked frame; closing with 1002")
        task: asyncio.Task[None] = asyncio.get_running_loop().create_task(
            close(1002, "unmasked_frame")
        )
        _closing.add(task)
        task.add_done_callback(_closing.discard)

    protocol._payload_parser = _MaskTracker(inner, unmasked)
    return True
