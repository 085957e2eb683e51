"""The aiohttp application factory: one ``create_app(settings)`` for tests and ``serve``.

The app is a thin shell. It owns the database and the scheduler (opened and closed in
``cleanup_ctx``), turns every error into a JSON body with a stable code, and lets each feature
area plug in through its own ``setup(app)``: staff web pages, the player and staff gateways,
and the ethics board.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable

from aiohttp import web, web_response

from server import auth, content_api
from server.errors import error_body, json_error, json_error_exception
from server.logs import request_id_header, request_id_middleware
from server.settings import Settings
from server.storage.db import Database

log = logging.getLogger("crossroads.server")

SETTINGS: web.AppKey[Settings] = web.AppKey("crossroads_settings", Settings)
DB: web.AppKey[Database] = web.AppKey("crossroads_db", Database)

#: A part of the server that can report trouble: ``() -> (name, problem or None)``.
HealthCheck = Callable[[], tuple[str, str | None]]
#: Feature areas add their checks here; ``GET /healthz`` reports each one.
HEALTH_CHECKS: web.AppKey[list[HealthCheck]] = web.AppKey("crossroads_health_checks", list)

#: Feature areas, in the order they are set up. Each module exposes ``setup(app)``.
FEATURES = ("server.web", "server.gateways", "server.board", "server.metrics", "server.openapi")

__all__ = [
    "DB",
    "HEALTH_CHECKS",
    "SETTINGS",
    "create_app",
    "error_body",
    "json_error",
    "json_error_exception",
]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


_STATUS_CODES = {
    400: "bad_request",
    401: "not_signed_in",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
    429: "too_many_requests",
}


def _wants_json(request: web.Request) -> bool:
    return request.path.startswith(("/api/", "/ws/", "/auth/", "/healthz")) or (
        "application/json" in request.headers.get("Accept", "")
    )


@web.middleware
async def error_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer every failure with a specific JSON error; never leak a traceback."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.content_type == "application/json" or not _wants_json(request):
            raise
        if exc.status < 400:
            raise
        code = _STATUS_CODES.get(exc.status, "http_error")
        return json_error(exc.status, code, exc.reason or code, **({"path": request.path}))
    except Exception:
        reference = uuid.uuid4().hex[:12]
        log.exception("unhandled error %s on %s %s", reference, request.method, request.path)
        if not _wants_json(request):
            return web.Response(
                status=500,
                text=f"Something went wrong on our side (reference {reference}).",
            )
        return json_error(
            500, "internal_error", "Something went wrong on our side.", reference=reference
        )


async def health_handler(request: web.Request) -> web.Response:
    """``GET /healthz``: 200 when the database answers and no part reports a problem, 503
    (with what is wrong) otherwise, for a load balancer or a monitor."""
    ok = await request.app[DB].ping()
    body = {"status": "ok", "database": "ok" if ok else "unreachable"}
    for check in request.app[HEALTH_CHECKS]:
        name, problem = check()
        body[name] = problem or "ok"
        ok = ok and problem is None
    if not ok:
        body["status"] = "degraded"
    return web.json_response(body, status=200 if ok else 503)


#: The ``Server:`` header: the product only. aiohttp's default names the aiohttp and Python
#: versions, which helps nobody but someone matching the server against known flaws.
SERVER_HEADER = "Crossroads"


def _hide_versions() -> None:
    """Make aiohttp's default ``Server:`` value ours, for every response of this process.

    A response signal would miss the answers aiohttp gives to malformed requests (400 before
    any route or signal runs), so the default itself is replaced. aiohttp reads it from
    ``aiohttp.web_response`` on each response; its HTTP client keeps its own copy.
    """
    web_response.SERVER_SOFTWARE = SERVER_HEADER  # type: ignore[attr-defined]


def _database_ctx(settings: Settings) -> Callable[[web.Application], AsyncIterator[None]]:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        db = Database(settings.database_url, sqlite_synchronous=settings.sqlite_synchronous)
        app[DB] = db
        yield
        await db.dispose()

    return ctx


def _scheduler_ctx(app: web.Application) -> AsyncIterator[None]:
    from server.scheduler import scheduler_ctx

    return scheduler_ctx(app)


def create_app(settings: Settings | None = None) -> web.Application:
    """Build the whole server for ``settings`` (read from the environment when omitted)."""
    settings = settings or Settings()
    settings.check_production_ready()
    # Request bodies up to 16 MiB: the largest is a content bundle uploaded on /board (the
    # narrative loader's own limit). WebSocket frames have their own, much smaller limit.
    app = web.Application(
        middlewares=[request_id_middleware, error_middleware], client_max_size=16 * 1024**2
    )
    app[SETTINGS] = settings
    app[HEALTH_CHECKS] = []
    _hide_versions()
    app.on_response_prepare.append(request_id_header)
    app.cleanup_ctx.append(_database_ctx(settings))
    app.router.add_get("/healthz", health_handler, name="healthz")
    auth.setup(app)
    content_api.setup(app)
    for name in FEATURES:
        if importlib.util.find_spec(name) is not None:
            module = importlib.import_module(name)
            setup = getattr(module, "setup", None)
            if setup is not None:
                setup(app)
    if settings.scheduler_enabled:
        app.cleanup_ctx.append(_scheduler_ctx)
    return app
