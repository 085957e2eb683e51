"""The ``crossroads`` command line: serve, play, db, demo, content, ethics, admin.

Every subcommand validates its input, prints a clear message and exits 1 on the user's
error; a traceback is a bug. Feature areas add their own subcommands through ``register``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import importlib.util
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # imported lazily: `crossroads ethics verify` must start fast
    from server.settings import Settings


class CliError(Exception):
    """A user-facing error: printed without a traceback, exit status 1."""


def _settings(args: argparse.Namespace) -> Settings:
    from server.settings import Settings

    overrides = {}
    if getattr(args, "host", None):
        overrides["host"] = args.host
    if getattr(args, "port", None):
        overrides["port"] = args.port
    if getattr(args, "database_url", None):
        overrides["database_url"] = args.database_url
    try:
        return Settings(**overrides)
    except ValueError as exc:
        raise CliError(f"invalid settings: {exc}") from exc


#: Young-generation threshold while serving (CPython's default is 700 allocations).
GC_GEN0_THRESHOLD = 20_000


async def _tune_gc(_app: object) -> None:
    """Keep the cyclic garbage collector off the chat path once the server has started.

    Every chat message in flight (task, future, frames) lives a few milliseconds, long enough
    to be promoted to the oldest generation under the default thresholds, and each full
    collection then walks every object of the process (~175 ms pauses, a fifth of the CPU
    under load). Freezing what start-up built and collecting the young generation less often
    keeps collections short; reference counting still frees almost everything at once.
    """
    gc.collect()
    gc.freeze()
    _, gen1, gen2 = gc.get_threshold()
    gc.set_threshold(GC_GEN0_THRESHOLD, gen1, gen2)


def cmd_serve(args: argparse.Namespace) -> int:
    """Serve HTTP and WebSockets until interrupted."""
    from aiohttp import web

    from server.app import create_app
    from server.logs import AccessLogger, configure
    from server.settings import InsecureSettingsError
    from server.storage.migrate import schema_is_current

    settings = _settings(args)
    configure(settings.log_level, settings.log_format)
    try:
        settings.check_production_ready()
    except InsecureSettingsError as exc:
        raise CliError(str(exc)) from exc
    if not schema_is_current(settings.database_url):
        raise CliError("The database schema is not up to date. Run `crossroads db upgrade` first.")
    print(f"Crossroads serving on http://{settings.host}:{settings.port}", flush=True)
    app = create_app(settings)
    app.on_startup.append(_tune_gc)
    web.run_app(
        app,
        host=settings.host,
        port=settings.port,
        print=None,
        shutdown_timeout=5.0,
        access_log_class=AccessLogger,
    )
    return 0


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """Apply every migration."""
    from server.storage.migrate import upgrade

    settings = _settings(args)
    upgrade(settings.database_url, args.revision)
    print(f"database at {args.revision}: {settings.database_url}")
    return 0


def cmd_demo_seed(args: argparse.Namespace) -> int:
    """Seed demo data (development mode only) and print how to sign in."""
    from server.demo import DEMO_STAFF, DemoRefused, seed
    from server.storage.db import Database
    from server.storage.types import utcnow

    settings = _settings(args)

    async def run() -> None:
        db = Database(settings.database_url)
        try:
            report = await seed(settings, db, utcnow())
        finally:
            await db.dispose()
        print("Demo data ready.")
        if report.created_staff:
            print(f"  created accounts: {', '.join(report.created_staff)}")
        print(f"  content: {report.content_note} ({report.published_hash})")

    try:
        asyncio.run(run())
    except DemoRefused as exc:
        raise CliError(str(exc)) from exc
    base = settings.public_url or f"http://{settings.host}:{settings.port}"
    print("\nDemo sign-in (password is demo-<username>):")
    for staff in DEMO_STAFF:
        print(f"  {staff.username:<12} {staff.password:<18} {', '.join(staff.roles)}")
    print(
        f"\nCounsellor console: {base}/console   Supervisor: {base}/supervisor   "
        f"Board: {base}/board   Admin: {base}/admin"
    )
    print("Player: run `make play` in another terminal.")
    return 0


def cmd_play(args: argparse.Namespace) -> int:
    """Open the game window."""
    from game.app import main as game_main

    return int(game_main(server_url=args.server) or 0)


def _register_optional(module: str, attr: str, target: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    if importlib.util.find_spec(module) is None:
        return
    register: Callable[[argparse._SubParsersAction], None] | None = getattr(  # type: ignore[type-arg]
        importlib.import_module(module), attr, None
    )
    if register is not None:
        register(target)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The full argument parser (exposed for tests and ``--help``).

    With ``only`` (the command the user typed), feature modules of the other command groups
    are not imported, so ``crossroads ethics verify`` does not pay for the database models.
    """

    def wanted(group: str) -> bool:
        return only is None or only == group

    parser = argparse.ArgumentParser(
        prog="crossroads",
        description="Crossroads: transparent, opt-in digital exit work.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = sub.add_parser("serve", help="run the server")
    serve.add_argument("--host", help="address to bind (default CROSSROADS_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default CROSSROADS_PORT or 8080)")
    serve.set_defaults(func=cmd_serve)

    play = sub.add_parser("play", help="open the game")
    play.add_argument(
        "--server", default="http://127.0.0.1:8080", help="server URL (default %(default)s)"
    )
    play.set_defaults(func=cmd_play)

    db = sub.add_parser("db", help="database schema")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    upgrade = db_sub.add_parser("upgrade", help="apply migrations")
    upgrade.add_argument("--revision", default="head", help="target revision (default head)")
    upgrade.set_defaults(func=cmd_db_upgrade)

    demo = sub.add_parser("demo", help="demo data (development mode only)")
    demo_sub = demo.add_subparsers(dest="demo_command", metavar="ACTION", required=True)
    demo_sub.add_parser("seed", help="create demo organisation, staff and content").set_defaults(
        func=cmd_demo_seed
    )

    content = sub.add_parser("content", help="story content tools")
    content_sub = content.add_subparsers(dest="content_command", metavar="ACTION", required=True)
    if wanted("content"):
        _register_optional("server.cli_content", "register", content_sub)
        _register_optional("server.cli_ethics", "register_propose", content_sub)

    ethics = sub.add_parser("ethics", help="ethics log: keys, export, verify, proofs")
    ethics_sub = ethics.add_subparsers(dest="ethics_command", metavar="ACTION", required=True)
    if wanted("ethics"):
        _register_optional("server.cli_ethics", "register", ethics_sub)
        _register_optional("server.cli_ethics", "register_check_text", ethics_sub)

    admin = sub.add_parser("admin", help="staff accounts and organisation")
    admin_sub = admin.add_subparsers(dest="admin_command", metavar="ACTION", required=True)
    if wanted("admin"):
        _register_optional("server.cli_admin", "register", admin_sub)
    if only is None:
        _register_optional("server.cli_backup", "register", sub)
        _register_optional("server.reports.cli", "register", sub)
        _register_optional("server.reports.simulate", "register", demo_sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``crossroads`` console script."""
    words = list(sys.argv[1:] if argv is None else argv)
    first = next((w for w in words if not w.startswith("-")), None)
    parser = build_parser(only=first if first in ("content", "ethics", "admin") else None)
    args = parser.parse_args(words)
    try:
        return int(args.func(args) or 0)
    except CliError as exc:
        print(f"crossroads: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    # Run the imported module's main, not this __main__ copy: feature modules raise
    # ``server.cli.CliError``, which is a different class from ``__main__.CliError``.
    from server.cli import main as _main

    sys.exit(_main())
