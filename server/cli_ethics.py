"""``crossroads ethics ...`` and ``crossroads content propose``: the log from the command line.

keygen / rotate-key manage the checkpoint signing key; export writes a verifiable directory;
verify checks one (no database needed, so any board member can run it on a copy); sign signs
a checkpoint now; prove-consent shows what a consent record's player agreed to and proves it
was approved. Every user error prints one clear line and exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
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
    report = verify_export(export, previous=previous, trusted=trusted, policy=policy)
    if args.json:
        print(
            json.dumps(
                {
                    "ok": report.ok,
                    "size": report.size,
                    "root": report.root.hex(),
                    "checkpoints": report.checkpoints,
                    "publishes": report.publishes,
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
        "--key", action="append", help="a public key file you trust (name+id+base64)"
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


# --- check-text: the rule families on one snippet, for authors and tests -------------------


def _check_one(locale: Any, role: Any, text: Any, accept: Any = None) -> list[dict[str, Any]]:
    """Findings of one snippet as JSON-ready dicts; ValueError names what is wrong."""
    from ethics.checks import ROLES, CheckConfig, Snippet, check_snippet
    from ethics.checks.families import TEXT_FAMILIES

    languages = sorted({lang for f in TEXT_FAMILIES for lang in f.patterns})
    if not isinstance(locale, str) or locale.split("_")[0] not in languages:
        raise ValueError(f"locale must be one of {', '.join(languages)} (got {locale!r})")
    if role not in ROLES:
        raise ValueError(f"'as' must be one of {', '.join(ROLES)} (got {role!r})")
    if not isinstance(text, str):
        raise ValueError("text must be a string")
    if accept is not None and not isinstance(accept, str):
        raise ValueError("accept must be a string")
    global _CHECK_CONFIG
    if _CHECK_CONFIG is None:
        _CHECK_CONFIG = CheckConfig.default()
    findings = check_snippet(Snippet(locale, role, text, "", accept), _CHECK_CONFIG)
    return [f.to_json() for f in findings]


_CHECK_CONFIG: Any = None


def cmd_check_text(args: argparse.Namespace) -> int:
    """Print the findings for TEXT, or one result line per line of ``--jsonl FILE``.

    Findings are never a failure (exit 0 either way); unreadable input is (exit 1), and in
    batch mode every other line is still checked.
    """
    if args.jsonl is None:
        if args.text is None or args.locale is None or args.role is None:
            raise _fail("check-text needs --locale, --as and TEXT (or --jsonl FILE)")
        try:
            print(json.dumps(_check_one(args.locale, args.role, args.text, args.accept)))
        except ValueError as exc:
            raise _fail(str(exc)) from exc
        return 0
    try:
        lines = Path(args.jsonl).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(f"cannot read {args.jsonl}: {exc}") from exc
    status = 0
    for number, raw in enumerate(lines, 1):
        if not raw.strip():
            continue
        try:
            try:
                item = json.loads(raw)
            except json.JSONDecodeError as exc:
                raise ValueError(f"not a JSON object: {exc.msg} at column {exc.colno}") from exc
            if not isinstance(item, dict):
                raise ValueError('each line must be an object {"locale", "as", "text"}')
            result: dict[str, Any] = {
                "line": number,
                "findings": _check_one(
                    item.get("locale"), item.get("as"), item.get("text"), item.get("accept")
                ),
            }
        except ValueError as exc:
            result, status = {"line": number, "error": str(exc)}, 1
        print(json.dumps(result, ensure_ascii=False))
    return status


def register_check_text(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``crossroads ethics check-text``."""
    check = subparsers.add_parser(
        "check-text", help="check a snippet for deception and pressure (JSON findings)"
    )
    check.add_argument("text", nargs="?", help="the snippet to check")
    check.add_argument("--locale", help="language of the snippet: en or de")
    check.add_argument(
        "--as",
        dest="role",
        choices=("offer", "accept", "decline", "story", "disclosure"),
        help="where the text is shown",
    )
    check.add_argument("--accept", help="for --as decline: the accept label beside it")
    check.add_argument("--jsonl", help='batch: a file of {"locale","as","text"} lines')
    check.set_defaults(func=cmd_check_text)


if __name__ == "__main__":  # pragma: no cover
    sys.exit("use: crossroads ethics ...")
