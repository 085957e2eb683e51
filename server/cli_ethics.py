"""``crossroads ethics ...`` and ``crossroads content propose``: the log from the command line.

keygen / rotate-key manage the checkpoint signing key; export writes a verifiable directory;
verify checks one (no database needed, so any board member can run it on a copy); sign signs
a checkpoint now; prove-consent shows what a consent record's player agreed to and proves it
was approved. Every user error prints one clear line and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def _fail(message: str) -> Exception:
    from server.cli import CliError

    return CliError(message)


def _settings() -> Any:
    from server.settings import Settings

    try:
        return Settings()
    except ValueError as exc:
        raise _fail(f"invalid settings: {exc}") from exc


def _run(work: Callable[[Any, Any], Awaitable[T]]) -> T:
    """Run ``work(db, settings)`` against the configured database with clear errors."""
    import asyncio

    from sqlalchemy.exc import SQLAlchemyError

    from server.board.service import BoardError
    from server.storage.db import Database

    settings = _settings()

    async def main() -> T:
        db = Database(settings.database_url)
        try:
            return await work(db, settings)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except BoardError as exc:
        raise _fail(exc.message) from exc
    except OSError as exc:  # key directory or export folder not usable
        where = f" ({exc.filename})" if exc.filename else ""
        raise _fail(f"file system error{where}: {exc.strerror or exc}") from exc
    except SQLAlchemyError as exc:
        first = str(exc).splitlines()[0]
        raise _fail(
            f"database error ({first}); is the schema current? run `crossroads db upgrade`"
        ) from exc


def cmd_keygen(args: argparse.Namespace) -> int:
    """Create the first checkpoint signing key."""
    from server.board import service
    from server.storage.types import utcnow

    vkey = _run(lambda db, s: service.keygen(db, s, utcnow()))
    print(f"signing key created; public key:\n{vkey}")
    return 0


def cmd_rotate_key(args: argparse.Namespace) -> int:
    """Replace the signing key (logged; the old key signs the announcement)."""
    from server.board import service
    from server.storage.types import utcnow

    vkey = _run(lambda db, s: service.rotate_key(db, s, utcnow(), reason=args.reason))
    print(f"signing key rotated; new public key:\n{vkey}")
    return 0


def cmd_sign(args: argparse.Namespace) -> int:
    """Sign a checkpoint now if the log grew."""
    from server.board import service
    from server.storage.types import utcnow

    row = _run(lambda db, s: service.sign_checkpoint_now(db, s, utcnow()))
    print(row.note if row else "the newest checkpoint already covers the whole log")
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write entries, checkpoints, keys and published bundles to a directory."""
    from server.board import service
    from server.storage.types import utcnow

    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise _fail(f"{out} exists and is not a directory")
    if out.is_dir() and any(out.iterdir()) and not (out / "entries.jsonl").exists():
        raise _fail(f"{out} is not empty and is not an earlier export; choose another directory")
    try:
        summary = _run(lambda db, s: service.export(db, s, out, utcnow()))
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}") from exc
    print(
        f"exported {summary['entries']} entries and {summary['checkpoints']} checkpoints to "
        f"{out}\nroot {summary['root']}\nverify with: crossroads ethics verify {out}"
    )
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify an export directory; print every problem; exit 1 if there is any."""
    from ethics.checkpoint import Verifier
    from ethics.exceptions import EthicsError, SigningKeyError
    from ethics.exportdir import read_any
    from ethics.review import Policy
    from ethics.verify import verify_export

    try:
        export = read_any(Path(args.dir))
    except EthicsError as exc:
        raise _fail(str(exc)) from exc
    except OSError as exc:
        raise _fail(f"cannot read {args.dir}: {exc.strerror or exc}") from exc
    previous = None
    if args.previous:
        try:
            previous = Path(args.previous).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise _fail(f"cannot read the previous checkpoint {args.previous}: {exc}") from exc
    trusted = []
    for key_file in args.key or []:
        try:
            trusted.append(Verifier.from_vkey(Path(key_file).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, SigningKeyError) as exc:
            raise _fail(f"cannot use key {key_file}: {exc}") from exc
    try:
        policy = Policy(quorum=args.quorum)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    report = verify_export(
        export,
        previous=previous,
        trusted=trusted,
        accept_rotations=args.accept_rotation or [],
        policy=policy,
    )
    if args.json:
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "size": report.size,
                    "root": report.root.hex(),
                    "checkpoints": report.checkpoints,
                    "publishes": report.publishes,
                    "trusted_keys": [v.vkey for v in report.trusted_keys],
                    "notes": report.notes,
                    "problems": [{"where": p.where, "what": p.what} for p in report.problems],
                },
                indent=2,
            )
        )
    else:
        for problem in report.problems:
            print(f"PROBLEM {problem}")
        verdict = "OK" if report.ok else f"FAILED ({len(report.problems)} problem(s))"
        print(
            f"{verdict}: {report.size} entries, root {report.root.hex()}, "
            f"{report.checkpoints} signed checkpoint(s), {report.publishes} publish(es) checked"
        )
        for note in report.notes:
            print(f"NOTE {note}")
    return 0 if report.ok else 1


def cmd_prove_consent(args: argparse.Namespace) -> int:
    """Show the approved text and approvals behind one consent record, with a proof."""
    from server.board import service

    try:
        consent_id = int(args.id)
    except ValueError:
        raise _fail(f"consent id must be a number, got {args.id!r}") from None
    result = _run(lambda db, s: service.prove_consent(db, s, consent_id))
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    c = result["consent"]
    print(f"Consent {c['id']} at {c['at']}: offer {c['offer_id']} v{c['offer_version']}")
    print(f"  bundle {c['bundle_hash']}")
    for loc, texts in result.get("offer_text", {}).items():
        print(f"  offer text ({loc}): {texts['title']} / {texts['body']}")
    if not result["published"]:
        print("  this bundle was never published through the board log")
        return 1
    prop = result.get("proposal", {})
    print(f"  approved proposal {prop.get('id')} rev {prop.get('revision')}: {prop.get('title')}")
    for review in result.get("reviews", []):
        print(f"    {review['decision']} by staff {review['reviewer_id']}: {review['rationale']}")
    inc = result["inclusion"]
    status = "VERIFIED" if inc["verified"] else "NOT VERIFIED"
    print(f"  publish entry {inc['index']} in tree of size {inc['tree_size']}: {status}")
    print(f"  root {inc['root']}")
    for i, node in enumerate(inc["proof"]):
        print(f"    proof[{i}] {node}")
    return 0 if inc["verified"] else 1


def cmd_propose(args: argparse.Namespace) -> int:
    """Propose a story directory (or a bundle file) to the board with a rationale."""
    from sqlmodel import select

    from game.narrative import Bundle, BundleError, ContentError, load_story
    from server.board import service
    from server.storage.models import StaffAccount
    from server.storage.types import utcnow

    path = Path(args.path)
    if not path.exists():
        raise _fail(f"{path} does not exist")
    try:
        if path.is_file() and path.suffix == ".json":
            bundle = Bundle.from_bytes(path.read_bytes())
        else:
            bundle = Bundle.from_story(load_story(path))
    except (ContentError, BundleError) as exc:
        raise _fail(f"the content has errors, fix them first:\n{exc}") from exc
    author = args.author or os.environ.get("CROSSROADS_AUTHOR")
    if not author:
        raise _fail("say who proposes: --author USERNAME (or set CROSSROADS_AUTHOR)")
    if len(args.message.strip()) < 10:
        raise _fail("--message must explain the change in at least 10 characters")

    async def work(db: Any, settings: Any) -> Any:
        async with db.session() as session:
            account = (
                await session.exec(select(StaffAccount).where(StaffAccount.username == author))
            ).first()
        if account is None or not account.active:
            raise _fail(f"no active staff account {author!r}")
        actor = service.Staff(id=account.id, roles=list(account.roles))
        return await service.propose(
            db,
            settings,
            actor=actor,
            bundle_bytes=bundle.to_bytes(),
            message=args.message,
            now=utcnow(),
            proposal_id=args.revise,
        )

    prop = _run(work)
    print(f"proposal p{prop.id} revision {prop.current_revision}: bundle {bundle.sha256}")
    print(f"review it at /board/proposals/{prop.id}")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the ``crossroads ethics`` actions."""
    keygen = subparsers.add_parser("keygen", help="create the checkpoint signing key")
    keygen.set_defaults(func=cmd_keygen)
    rotate = subparsers.add_parser("rotate-key", help="replace the checkpoint signing key")
    rotate.add_argument("--reason", default="scheduled key rotation", help="why (logged)")
    rotate.set_defaults(func=cmd_rotate_key)
    sign = subparsers.add_parser("sign", help="sign a checkpoint now")
    sign.set_defaults(func=cmd_sign)
    export = subparsers.add_parser("export", help="write a verifiable export directory")
    export.add_argument("--out", required=True, help="directory to write")
    export.set_defaults(func=cmd_export)
    verify = subparsers.add_parser("verify", help="verify an export directory")
    verify.add_argument("dir", help="the export directory, or the .tar.gz from /board/export")
    verify.add_argument("--previous", help="a checkpoint file you saw earlier (consistency)")
    verify.add_argument(
        "--key",
        action="append",
        help="a public key file you trust (name+id+base64), as your programme publishes it; "
        "repeatable. Only these keys, and keys they handed over to, are trusted",
    )
    verify.add_argument(
        "--accept-rotation",
        action="append",
        metavar="KEYID",
        help="accept a key rotation or recovery to this key id that the outgoing key did not "
        "endorse (only when the board confirmed it to you out of band); repeatable",
    )
    verify.add_argument("--quorum", type=int, default=2, help="quorum to check (default 2)")
    verify.add_argument("--json", action="store_true", help="machine-readable report")
    verify.set_defaults(func=cmd_verify)
    prove = subparsers.add_parser("prove-consent", help="what a consent record agreed to")
    prove.add_argument("id", help="consent record id")
    prove.add_argument("--json", action="store_true", help="machine-readable output")
    prove.set_defaults(func=cmd_prove_consent)


def register_propose(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``crossroads content propose``."""
    propose = subparsers.add_parser("propose", help="propose content to the ethics board")
    propose.add_argument("path", help="story directory, story.yaml or a bundle .json")
    propose.add_argument("--message", "-m", required=True, help="what changes and why")
    propose.add_argument("--author", help="username of the proposing author")
    propose.add_argument("--revise", type=int, help="add a revision to proposal number N")
    propose.set_defaults(func=cmd_propose)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: crossroads ethics ...")
