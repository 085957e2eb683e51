"""The one JSON error shape of every HTTP endpoint: ``{"error": {"code", "message"}}``.

Codes are stable snake_case strings documented in docs/PROTOCOL.md; clients branch on the
code, people read the message. This module imports nothing of ours, so any area can use it.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The error as a JSON-able dict."""
    return {"error": {"code": code, "message": message, **extra}}


def json_error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    """A JSON error response with a stable, documented ``code``."""
    return web.json_response(error_body(code, message, **extra), status=status)


def json_error_exception(status: int, code: str, message: str) -> web.HTTPException:
    """The same error as an exception, for raising from deep inside a handler."""
    exc = web.HTTPException(
        text=web.json_response(error_body(code, message)).text, content_type="application/json"
    )
    exc.set_status(status)
    return exc
