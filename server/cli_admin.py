"""``crossroads admin ...``: staff accounts and sign-in policy from the command line.

For the first admin account on a new deployment and for scripted operations:
``create-staff``, ``set-password``, ``list-staff``, ``require-totp``, ``deactivate``,
``add-partner``, and the counsellors' rota: ``rota-add``, ``rota-list``, ``rota-remove``.
Input errors print one clear line and exit 1 (``CliError``).
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from server.storage.models import AGE_BANDS, COUNSELLOR_KINDS, GENDERS, STAFF_ROLES

PASSWORD_ENV = "CROSSROADS_ADMIN_PASSWORD"


class AdminInputError(Exception):
    """The operator's input is wrong; printed as one line, exit status 1."""


def _fail(message: str) -> int:
    # Printed here rather than raised as server.cli.CliError: under `python -m server.cli`
    # that module is __main__, so its except clause would not catch our import of the class.
    print(f"crossroads: {message}", file=sys.stderr)
    return 1


def _settings(args: argparse.Namespace) -> Any:
    from server.cli import _settings as settings_from_args

    return settings_from_args(args)


def _run(args: argparse.Namespace, work: Callable[[Any], Awaitable[int]]) -> int:
    """Open the database, run ``work(session)``; input errors print one line and return 1."""
    from server.service_hours import InvalidServiceHours
    from server.storage.db import Database
    from server.storage.migrate import schema_is_current
    from server.web.staff_service import StaffInputError

    settings = _settings(args)
    if not schema_is_current(settings.database_url):
        return _fail("The database schema is not up to date. Run `crossroads db upgrade` first.")

    async def main() -> int:
        db = Database(settings.database_url)
        try:
            async with db.session() as session:
                return await work(session)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except (StaffInputError, AdminInputError, InvalidServiceHours) as exc:
        return _fail(str(exc))


def _password(args: argparse.Namespace) -> str:
    """From --password-stdin, the environment, or an interactive prompt (never argv)."""
    if getattr(args, "password_stdin", False):
        value = sys.stdin.readline().rstrip("\n")
    elif os.environ.get(PASSWORD_ENV):
        value = os.environ[PASSWORD_ENV]
    elif sys.stdin.isatty():
        value = getpass.getpass("Password (12+ characters): ")
        if getpass.getpass("Again: ") != value:
            raise AdminInputError("The two passwords differ.")
    else:
        raise AdminInputError(
            f"Give the password with --password-stdin or in {PASSWORD_ENV} "
            "(never on the command line)."
        )
    return value


def cmd_create_staff(args: argparse.Namespace) -> int:
    """Create a staff account."""
    from server.storage.types import utcnow
    from server.web import staff_service

    try:
        password = _password(args)
    except AdminInputError as exc:
        return _fail(str(exc))

    async def work(session: Any) -> int:
        account = await staff_service.create_staff(
            session,
            username=args.username,
            display_name=args.display_name or args.username,
            password=password,
            roles=args.roles.split(","),
            kind=args.kind,
            languages=(args.languages or "").split(","),
            gender=args.gender,
            age_band=args.age_band,
            capacity=args.capacity,
            now=utcnow(),
        )
        await session.commit()
        print(f"created {account.username} ({', '.join(account.roles)})")
        return 0

    return _run(args, work)


def cmd_set_password(args: argparse.Namespace) -> int:
    """Set a staff member's password and end their sessions."""
    from server.web import staff_service

    try:
        password = _password(args)
    except AdminInputError as exc:
        return _fail(str(exc))

    async def work(session: Any) -> int:
        account = await staff_service.find_staff(session, username=args.username)
        if account is None:
            raise AdminInputError(f"No staff account named '{args.username}'.")
        await staff_service.set_password(session, account=account, password=password)
        await session.commit()
        print(f"password set for {account.username}; their sessions were ended")
        return 0

    return _run(args, work)


def cmd_list_staff(args: argparse.Namespace) -> int:
    """Print every staff account."""
    from server.web import staff_service

    async def work(session: Any) -> int:
        rows = await staff_service.list_staff(session)
        policies = await staff_service.role_policies(session)
        print(f"{'username':<16} {'display name':<24} {'roles':<30} {'cap':>3}  totp  active")
        for s in rows:
            print(
                f"{s.username:<16} {s.display_name[:24]:<24} {','.join(s.roles)[:30]:<30} "
                f"{s.capacity:>3}  {'on ' if s.totp_secret else 'off'}   "
                f"{'yes' if s.active else 'no'}"
            )
        required = [role for role, on in policies.items() if on]
        print(f"\nTOTP required for: {', '.join(required) if required else 'no role'}")
        return 0

    return _run(args, work)


def cmd_require_totp(args: argparse.Namespace) -> int:
    """Require (or stop requiring) TOTP for a role."""
    from server.storage.types import utcnow
    from server.web import staff_service

    async def work(session: Any) -> int:
        await staff_service.set_role_totp(
            session, role=args.role, required=not args.off, now=utcnow()
        )
        await session.commit()
        state = "no longer required" if args.off else "required"
        print(f"two-step sign-in is {state} for role {args.role}")
        return 0

    return _run(args, work)


def cmd_deactivate(args: argparse.Namespace) -> int:
    """Deactivate an account and end its sessions."""
    from server.web import staff_service

    async def work(session: Any) -> int:
        account = await staff_service.find_staff(session, username=args.username)
        if account is None:
            raise AdminInputError(f"No staff account named '{args.username}'.")
        account.active = False
        session.add(account)
        await staff_service.end_sessions(session, staff_id=account.id or 0)
        await session.commit()
        print(f"{account.username} deactivated; their sessions were ended")
        return 0

    return _run(args, work)


def cmd_add_partner(args: argparse.Namespace) -> int:
    """Add (or update) a partner organisation for referrals."""
    import re

    from server.storage.types import utcnow
    from server.web import staff_service
    from server.web.models import PartnerOrganisation

    key = args.key.strip().lower()
    if not re.match(r"^[a-z0-9][a-z0-9-]{1,39}$", key):
        return _fail("The partner key is 2-40 lower-case letters, digits or '-' (e.g. exit-north).")
    if args.url and not args.url.startswith(("https://", "http://")):
        return _fail("The partner's website must start with https:// or http://.")

    async def work(session: Any) -> int:
        from sqlmodel import select

        row = (
            await session.exec(select(PartnerOrganisation).where(PartnerOrganisation.key == key))
        ).first()
        created = row is None
        if row is None:
            row = PartnerOrganisation(key=key, name=args.name, created_at=utcnow())
        row.name = args.name.strip()[:200]
        row.description = (args.description or "").strip()[:2000]
        row.contact = (args.contact or "").strip()[:300]
        row.url = (args.url or "").strip()[:300]
        row.languages = staff_service.clean_languages((args.languages or "").split(","))
        row.active = True
        session.add(row)
        await session.commit()
        print(f"partner {key} {'added' if created else 'updated'}: {row.name}")
        return 0

    return _run(args, work)


def cmd_rota_add(args: argparse.Namespace) -> int:
    """Add a weekly shift (``--day``) or a one-off exception (``--date``) to the rota."""
    from datetime import date

    from server.chat import rota_repo
    from server.storage.types import utcnow

    if (args.day is None) == (args.date is None):
        return _fail("Give either --day (a weekly shift) or --date (a one-off change).")
    try:
        on = date.fromisoformat(args.date) if args.date else None
    except ValueError:
        return _fail(f"'{args.date}' is not a date like 2026-12-24.")

    async def work(session: Any) -> int:
        if on is None:
            row: Any = await rota_repo.add_shift(
                session,
                username=args.staff,
                weekday=args.day,
                start=args.start or "",
                end=args.end or "",
                now=utcnow(),
            )
            what = f"{row.weekday} {row.start}-{row.end} every week"
        else:
            row = await rota_repo.add_exception(
                session,
                username=args.staff,
                on=on,
                kind="cancel" if args.cancel else "add",
                start=args.start or "",
                end=args.end or "",
                note=args.note or "",
                now=utcnow(),
            )
            window = f"{row.start}-{row.end}" if row.start else "the whole day"
            what = f"{row.kind} {window} on {row.on_date.isoformat()}"
        await session.commit()
        print(f"rota {'shift' if on is None else 'exception'} {row.id}: {args.staff} {what}")
        return 0

    return _run(args, work)


def cmd_rota_list(args: argparse.Namespace) -> int:
    """Print the weekly shifts and the exceptions from today on."""
    from server.chat import rota_repo
    from server.storage.types import utcnow

    async def work(session: Any) -> int:
        shifts, exceptions = await rota_repo.list_rota(session, since=utcnow().date())
        print("weekly shifts (organisation's time zone):")
        for s, name in shifts:
            print(f"  shift {s.id:<5} {name:<16} {s.weekday} {s.start}-{s.end}")
        if not shifts:
            print("  none: without a rota, the service hours alone open the chat")
        print("exceptions:")
        for e, name in exceptions:
            window = f"{e.start}-{e.end}" if e.start else "whole day"
            print(f"  exception {e.id:<5} {name:<16} {e.on_date} {e.kind} {window} {e.note}")
        if not exceptions:
            print("  none")
        return 0

    return _run(args, work)


def cmd_rota_remove(args: argparse.Namespace) -> int:
    """Remove a weekly shift (or, with ``--exception``, an exception) by its id."""
    from server.chat import rota_repo

    async def work(session: Any) -> int:
        if args.exception:
            row: Any = await rota_repo.remove_exception(session, exception_id=args.id)
        else:
            row = await rota_repo.remove_shift(session, shift_id=args.id)
        what = "exception" if args.exception else "shift"
        if row is None:
            raise AdminInputError(f"There is no rota {what} {args.id} (see `rota-list`).")
        await session.commit()
        print(f"rota {what} {args.id} removed")
        return 0

    return _run(args, work)


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``admin`` actions to ``crossroads admin``."""
    create = subparsers.add_parser("create-staff", help="create a staff account")
    create.add_argument("username")
    create.add_argument("--roles", required=True, help=f"comma-separated: {','.join(STAFF_ROLES)}")
    create.add_argument("--display-name", help="name players/colleagues see")
    create.add_argument("--kind", choices=COUNSELLOR_KINDS, help="counsellor kind")
    create.add_argument("--languages", help="comma-separated codes, e.g. en,de")
    create.add_argument("--gender", choices=GENDERS)
    create.add_argument("--age-band", choices=AGE_BANDS)
    create.add_argument("--capacity", type=int, default=2, help="caseload cap (default 2)")
    create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    create.set_defaults(func=cmd_create_staff)

    setpw = subparsers.add_parser("set-password", help="set a password (ends their sessions)")
    setpw.add_argument("username")
    setpw.add_argument("--password-stdin", action="store_true")
    setpw.set_defaults(func=cmd_set_password)

    subparsers.add_parser("list-staff", help="list staff accounts").set_defaults(
        func=cmd_list_staff
    )

    totp = subparsers.add_parser("require-totp", help="require two-step sign-in for a role")
    totp.add_argument("role", choices=STAFF_ROLES)
    totp.add_argument("--off", action="store_true", help="stop requiring it")
    totp.set_defaults(func=cmd_require_totp)

    partner = subparsers.add_parser(
        "add-partner", help="add or update a partner organisation for referrals"
    )
    partner.add_argument("key", help="short id, e.g. exit-north (used by the refer frame)")
    partner.add_argument("--name", required=True)
    partner.add_argument("--description")
    partner.add_argument("--contact", help="phone or e-mail shown to the player")
    partner.add_argument("--url", help="website (https://...)")
    partner.add_argument("--languages", help="comma-separated codes, e.g. de,en")
    partner.set_defaults(func=cmd_add_partner)

    deactivate = subparsers.add_parser("deactivate", help="deactivate an account")
    deactivate.add_argument("username")
    deactivate.set_defaults(func=cmd_deactivate)

    rota_add = subparsers.add_parser(
        "rota-add", help="add a weekly shift (--day) or a one-off change (--date) to the rota"
    )
    rota_add.add_argument("--staff", required=True, help="the counsellor's username")
    rota_add.add_argument("--day", help="weekday of a weekly shift: mon..sun")
    rota_add.add_argument("--date", help="date of a one-off change, e.g. 2026-12-24")
    rota_add.add_argument("--start", help="HH:MM in the organisation's time zone")
    rota_add.add_argument("--end", help="HH:MM (24:00 = midnight)")
    rota_add.add_argument(
        "--cancel", action="store_true", help="with --date: cancel (blank window = whole day)"
    )
    rota_add.add_argument("--note", help="why (shown on the rota page)")
    rota_add.set_defaults(func=cmd_rota_add)

    subparsers.add_parser("rota-list", help="list the rota").set_defaults(func=cmd_rota_list)

    rota_remove = subparsers.add_parser("rota-remove", help="remove a rota shift by id")
    rota_remove.add_argument("id", type=int)
    rota_remove.add_argument("--exception", action="store_true", help="the id is an exception")
    rota_remove.set_defaults(func=cmd_rota_remove)
