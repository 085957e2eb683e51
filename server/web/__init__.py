"""Staff web pages: sign-in, counsellor console, supervisor board and administration.

``setup(app)`` (called by ``server.app.create_app``) installs the security headers and the
CSRF and sign-in guards, the Jinja2 templates (under their own app key, so other areas can use
aiohttp-jinja2 too), the static files under ``/static/web/`` and every page route.
"""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


async def _root(request: web.Request) -> web.StreamResponse:
    """``GET /``: staff land on their home page (or the sign-in form)."""
    from server.auth import current_staff
    from server.web.login import home_for

    account = await current_staff(request)
    raise web.HTTPSeeOther(home_for(account) if account else "/login")


def setup(app: web.Application) -> None:
    """Wire the staff web area into ``app``."""
    import aiohttp_jinja2
    import jinja2

    from server.chat.jobs import register_announce
    from server.reports import web as reports_web
    from server.web import (
        admin,
        audit_page,
        console,
        history,
        login,
        rota,
        security,
        shifts,
        supervisor,
    )
    from server.web.common import JINJA_KEY

    aiohttp_jinja2.setup(
        app,
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        app_key=JINJA_KEY,
    )
    app.on_response_prepare.append(security.add_security_headers)
    # Inside the lead's error middleware: CSRF. (Idle sessions are ended where every request
    # reads its session: server.auth.staff_session_for_cookie.)
    app.middlewares.append(security.csrf_middleware)
    app.router.add_static("/static/web", STATIC, name="web_static", append_version=False)
    if "web_root" not in app.router.named_resources() and not any(
        getattr(r, "canonical", None) == "/" for r in app.router.resources()
    ):
        app.router.add_get("/", _root, name="web_root")
    login.setup_routes(app)
    console.setup_routes(app)
    app.router.add_get("/console/api/shift", shifts.shift_handler)
    supervisor.setup_routes(app)
    admin.setup_routes(app)
    audit_page.setup_routes(app)
    history.setup_routes(app)
    rota.setup_routes(app)
    reports_web.setup_routes(app)
    shifts.register_job()
    register_announce()  # service frames when the rota or hours open/close the chat
