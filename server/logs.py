"""Structured, private logs: JSON lines (or console lines) with a request id, and an access
log that never records a player's address or token.

Every module logs through the standard library (``logging.getLogger``), as aiohttp,
SQLAlchemy, Alembic and APScheduler do; one formatter on the root handler therefore turns all
of them into JSON lines, with no second logging system to bridge (docs/ARCHITECTURE.md says
why this is not structlog). ``request_id_middleware`` gives each HTTP request and each socket
an id, which every record logged while it is handled carries and the response returns as
``X-Request-Id``.

Privacy (docs/THREAT_MODEL.md): a player's client address is never logged, not even hashed,
and neither is a query string (where a token could travel) or an ``Authorization`` header.
Staff requests keep their address in the access log, for their own audit.
"""

from __future__ import annotations

import contextvars
import json
import logging
import secrets
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import IO, Literal

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

LogFormat = Literal["json", "console"]

#: The id of the request (or socket) being handled, for every record logged meanwhile.
REQUEST_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "crossroads_request_id", default=None
)
REQUEST_ID_KEY: web.RequestKey[str] = web.RequestKey("crossroads_request_id", str)
REQUEST_ID_HEADER = "X-Request-Id"

#: Paths only staff use: their access-log lines keep the client address (staff audit).
#: Every other path (player API, player socket, content, health, static files) never does.
STAFF_PREFIXES = (
    "/console",
    "/supervisor",
    "/board",
    "/admin",
    "/login",
    "/logout",
    "/account",
    "/auth/",
    "/ws/staff",
)

# Attributes every LogRecord has; anything else was passed with ``extra=`` and is logged.
_STANDARD = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
    "request_id",
}


def is_staff_path(path: str) -> bool:
    """True for the staff area, whose access lines may name the client address."""
    return path.startswith(STAFF_PREFIXES)


class RequestIdFilter(logging.Filter):
    """Stamp each record with the current request id (``-`` outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = REQUEST_ID.get() or "-"
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, request id, extras."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        request_id = getattr(record, "request_id", "-")
        if request_id != "-":
            entry["request_id"] = request_id
        for name, value in vars(record).items():
            if name not in _STANDARD and not name.startswith("_"):
                entry[name] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


CONSOLE_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"


def configure(level: str, log_format: LogFormat, stream: IO[str] | None = None) -> None:
    """Send every logger's records to ``stream`` (stderr) as JSON or console lines."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(
        JsonFormatter() if log_format == "json" else logging.Formatter(CONSOLE_FORMAT)
    )
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())


def new_request_id() -> str:
    """A fresh random id; client-sent ids are not trusted (they could forge a trail)."""
    return secrets.token_hex(8)


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def request_id_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Give the request an id that its log records carry and its response returns."""
    request_id = new_request_id()
    request[REQUEST_ID_KEY] = request_id
    token = REQUEST_ID.set(request_id)
    try:
        return await handler(request)
    finally:
        REQUEST_ID.reset(token)


async def request_id_header(request: web.Request, response: web.StreamResponse) -> None:
    """``X-Request-Id`` on every answer (errors and WebSocket upgrades included), so a user's
    report can be matched with the log."""
    request_id = request.get(REQUEST_ID_KEY)
    if request_id is not None:
        response.headers[REQUEST_ID_HEADER] = request_id


class AccessLogger(AbstractAccessLogger):
    """One line per request: method, path without its query, status, size, duration.

    The client address is added for staff paths only; a player's never is.
    """

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        path = request.rel_url.path
        fields: dict[str, object] = {
            "method": request.method,
            "path": path,
            "status": response.status,
            "bytes": response.body_length,
            "duration_ms": round(time * 1000, 2),
            "request_id": request.get(REQUEST_ID_KEY, "-"),
        }
        who = ""
        if is_staff_path(path):
            fields["remote"] = request.remote
            who = f"{request.remote} "
        self.logger.info(f"{who}{request.method} {path} {response.status}", extra=fields)

    @property
    def enabled(self) -> bool:
        return self.logger.isEnabledFor(logging.INFO)
