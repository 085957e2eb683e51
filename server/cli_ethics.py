"""``crossroads ethics ...`` and ``crossroads content propose``: the log from the command line.

keygen / rotate-key / recover-key manage the checkpoint signing key; export writes a verifiable
directory; verify checks one (no database needed, so any board member can run it on a copy);
sign signs a checkpoint now and collects witness cosignatures; prove-consent shows what a
consent record's player agreed to and proves it was approved; witness runs a C2SP witness for a
partner programme; monitor follows a live log from cron. Every user error prints one clear line
and exits 1.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Pause Python's cycle collector around a long verification, and restore it however that
    ends. The replay keeps every review in the board it builds but creates no reference
    cycles (reference counting frees what it discards), yet each full collection the growing
    heap triggers walks every object, frees nothing, and took a third of the time of verifying
    100,000 entries. A process-wide setting, so it belongs to these one-shot commands, not to
    the ``ethics`` core that a server could also call."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


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
    """Sign a checkpoint now if the log grew, then collect witness cosignatures."""
    from server.board import service, witnesses
    from server.storage.types import utcnow

    async def work(db: Any, settings: Any) -> tuple[Any, list[str], Any]:
        now = utcnow()
        row = await service.sign_checkpoint_now(db, settings, now)
        cosigned = await witnesses.collect(db, settings, now)
        return row, cosigned, await witnesses.status(db, settings)

    row, cosigned, (policy, states) = _run(work)
    print(row.note if row else "the newest checkpoint already covers the whole log")
    for state in states:
        print(f"witness {state.name}: {state.last_result}")
    if policy is not None:
        now_by = ", ".join(cosigned) or "none"
        print(f"witness policy needs {policy.describe()}; cosigned now: {now_by}")
    return 0


def _staff_ids(db: Any, usernames: list[str], need: str) -> Any:
    from sqlmodel import select

    from server.storage.models import StaffAccount

    async def lookup() -> list[int]:
        ids = []
        async with db.session() as session:
            for name in usernames:
                account = (
                    await session.exec(select(StaffAccount).where(StaffAccount.username == name))
                ).first()
                if account is None or not account.active or account.id is None:
                    raise _fail(f"no active staff account {name!r} ({need})")
                ids.append(account.id)
        return ids

    return lookup()


def cmd_recover_key(args: argparse.Namespace) -> int:
    """Replace a lost signing key on the board's quorum (every verifier must accept it)."""
    from server.board import service
    from server.storage.types import utcnow

    async def work(db: Any, settings: Any) -> str:
        (by,) = await _staff_ids(db, [args.by], "--by")
        approvals = await _staff_ids(db, args.approved_by or [], "--approved-by")
        return await service.recover_key(
            db, settings, utcnow(), reason=args.reason, by=by, approvals=approvals
        )

    vkey = _run(work)
    from ethics.checkpoint import Verifier

    verifier = Verifier.from_vkey(vkey)
    print(f"signing key recovered; new public key:\n{vkey}\nfingerprint {verifier.fingerprint}")
    print(
        "Tell every monitor, witness and partner programme out of band: they must run "
        f"verify/monitor with --accept-rotation {verifier.key_id.hex()} once."
    )
    return 0


def cmd_key(args: argparse.Namespace) -> int:
    """Print the active public key and its fingerprint (what the programme publishes)."""
    from ethics.checkpoint import Verifier
    from server.board import service

    async def work(db: Any, settings: Any) -> Any:
        async with db.session() as session:
            return await service.public_keys(session)

    rows = _run(work)
    if not rows:
        raise _fail("there is no signing key yet; run `crossroads ethics keygen`")
    verifier = Verifier.from_vkey(rows[0].vkey)
    print(verifier.vkey)
    print(f"fingerprint {verifier.fingerprint}")
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


def _read_keys(files: list[str] | None) -> list[Any]:
    from ethics.checkpoint import Verifier
    from ethics.exceptions import SigningKeyError

    out = []
    for key_file in files or []:
        try:
            out.append(Verifier.from_vkey(Path(key_file).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError, SigningKeyError) as exc:
            raise _fail(f"cannot use key {key_file}: {exc}") from exc
    return out


def _witness_policy(args: argparse.Namespace) -> Any:
    """A WitnessPolicy from --policy FILE, or from --witness-key files and --witnesses N."""
    from ethics.cosign import WitnessKey
    from ethics.exceptions import SigningKeyError
    from ethics.policy import PolicyError, Witness, WitnessPolicy

    if getattr(args, "policy", None):
        try:
            return WitnessPolicy.parse(Path(args.policy).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, PolicyError) as exc:
            raise _fail(f"cannot use the witness policy {args.policy}: {exc}") from exc
    files = getattr(args, "witness_key", None) or []
    if not files:
        return None
    found = []
    for i, name in enumerate(files):
        try:
            key = WitnessKey.from_vkey(Path(name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, SigningKeyError) as exc:
            raise _fail(f"cannot use witness key {name}: {exc}") from exc
        found.append(Witness(f"w{i}", key))
    needed = len(found) if args.witnesses is None else args.witnesses
    try:
        return WitnessPolicy.simple(found, needed)
    except PolicyError as exc:
        raise _fail(str(exc)) from exc


def cmd_verify(args: argparse.Namespace) -> int:
    """Verify an export directory; print every problem; exit 1 if there is any."""
    from ethics.exceptions import EthicsError
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
    trusted = _read_keys(args.key)
    try:
        policy = Policy(quorum=args.quorum)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    with cycle_collection_paused():
        report = verify_export(
            export,
            previous=previous,
            trusted=trusted,
            accept_rotations=args.accept_rotation or [],
            policy=policy,
            witnesses=_witness_policy(args),
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


def cmd_witness_keygen(args: argparse.Namespace) -> int:
    """Create a witness key; print the public key a log operator puts in its policy."""
    from ethics.cosign import WitnessSigner
    from ethics.exceptions import SigningKeyError

    out = Path(args.out)
    if out.exists():
        raise _fail(f"{out} exists; a witness key is never overwritten")
    try:
        signer = WitnessSigner.generate(args.name)
    except SigningKeyError as exc:
        raise _fail(f"bad witness name {args.name!r}: {exc}") from exc
    try:
        fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(signer.skey + "\n")
    except OSError as exc:
        raise _fail(f"cannot write {out}: {exc.strerror or exc}") from exc
    print(f"witness key written to {out}; public key (for the log's policy file):")
    print(signer.key.vkey)
    return 0


def cmd_witness_serve(args: argparse.Namespace) -> int:
    """Serve a C2SP tlog-witness until interrupted."""
    from aiohttp import web

    from server.witness import WitnessConfigError, WitnessService

    logs: dict[str, list[Any]] = {}
    for verifier in _read_keys(args.log_key):
        logs.setdefault(verifier.name, []).append(verifier)
    try:
        service = WitnessService.open(Path(args.key), logs, Path(args.state))
    except WitnessConfigError as exc:
        raise _fail(str(exc)) from exc
    print(
        f"witness {service.core.signer.key.vkey}\nwitnessing {', '.join(sorted(logs))} on "
        f"http://{args.host}:{args.port}",
        flush=True,
    )
    web.run_app(service.app(), host=args.host, port=args.port, print=None)
    return 0


class _Progress:
    """A one-line progress bar on stderr, only on a terminal and only for many entries."""

    def __init__(self, total: int, quiet: bool) -> None:
        self.total = total
        self.show = not quiet and total >= 1000 and sys.stderr.isatty()

    def update(self, done: int) -> None:
        if self.show:
            width = 40
            filled = width * done // max(1, self.total)
            bar = "#" * filled + "-" * (width - filled)
            print(f"\r[{bar}] {done}/{self.total} entries", end="", file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.show:
            print(file=sys.stderr)


def _get(url: str) -> bytes:
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - operator's URL
            return bytes(response.read())
    except urllib.error.HTTPError as exc:
        detail = exc.read()[:300].decode("utf-8", "replace").strip()
        raise _fail(f"{url} answered HTTP {exc.code}: {detail}") from exc
    except (urllib.error.URLError, OSError, TimeoutError) as exc:
        raise _fail(f"cannot reach {url}: {exc}") from exc


def cmd_monitor(args: argparse.Namespace) -> int:
    """Fetch the newest checkpoint and the new entries; check everything; keep the state."""
    from ethics import merkle
    from ethics.checkpoint import Checkpoint
    from ethics.exceptions import CheckpointError
    from ethics.exportdir import read_export, write_export
    from ethics.review import Policy
    from ethics.verify import Export, verify_export

    base = args.url.rstrip("/")
    state = Path(args.state)
    trusted = _read_keys(args.key)
    witnesses = _witness_policy(args)
    try:
        policy = Policy(quorum=args.quorum)
    except ValueError as exc:
        raise _fail(str(exc)) from exc
    try:
        kept = read_export(state) if (state / "entries.jsonl").exists() else None
    except Exception as exc:  # EthicsError: the state directory was damaged
        raise _fail(f"the monitor state {state} is unreadable: {exc}") from exc
    old_entries = kept.entries if kept else b""
    old_lines = old_entries.split(b"\n")[:-1] if old_entries else []
    previous = (state / "latest.txt").read_text(encoding="utf-8") if kept else None

    note = _get(f"{base}/api/v1/ethics/checkpoint").decode("utf-8", "replace")
    try:
        text = note.split("\n\n", 1)[0] + "\n"
        checkpoint = Checkpoint.parse_body(text)
    except CheckpointError as exc:
        raise _fail(f"the server's checkpoint is malformed: {exc}") from exc
    if checkpoint.size < len(old_lines):
        raise _fail(
            f"INCONSISTENT: the log now signs {checkpoint.size} entries but you kept "
            f"{len(old_lines)}: it was truncated or rolled back"
        )
    new_lines: list[bytes] = []
    progress = _Progress(checkpoint.size - len(old_lines), args.quiet)
    while len(old_lines) + len(new_lines) < checkpoint.size:
        start = len(old_lines) + len(new_lines)
        count = min(1000, checkpoint.size - start)
        chunk = _get(f"{base}/api/v1/ethics/entries?start={start}&count={count}")
        lines = chunk.split(b"\n")[:-1]
        if not lines:
            raise _fail(
                f"the server sent no entries from {start} though it signs {checkpoint.size}"
            )
        new_lines += lines[:count]
        progress.update(len(new_lines))
    progress.close()
    if len(old_lines):
        proof_body = json.loads(_get(f"{base}/api/v1/ethics/consistency?from={len(old_lines)}"))
        proof = [bytes.fromhex(h) for h in proof_body.get("proof", [])]
        old_root = merkle.root(old_lines)
        new_root = bytes.fromhex(proof_body.get("new_root", ""))
        if not merkle.verify_consistency(
            len(old_lines), int(proof_body.get("new_size", -1)), old_root, new_root, proof
        ):
            raise _fail(
                "INCONSISTENT: the server's consistency proof does not extend what you kept"
            )
    notes = dict(kept.checkpoints) if kept else {}
    notes[f"{checkpoint.size:010d}-{len(notes)}.txt"] = note
    export = Export(entries=b"".join(e + b"\n" for e in old_lines + new_lines), checkpoints=notes)
    with cycle_collection_paused():
        report = verify_export(
            export,
            previous=previous,
            trusted=trusted,
            accept_rotations=args.accept_rotation or [],
            policy=policy,
            witnesses=witnesses,
        )
    if not report.ok or report.newest_checkpoint != checkpoint:
        for problem in report.problems:
            print(f"PROBLEM {problem}")
        if report.ok:
            print("PROBLEM the newest checkpoint the server serves is not the one verified")
        print(f"INCONSISTENT: {len(report.problems)} problem(s); the state was NOT updated")
        return 1
    entries = old_lines + new_lines
    write_export(
        state,
        entries=entries,
        checkpoints=[(int(n[:10]), t) for n, t in sorted(notes.items()) if n[:10].isdigit()],
        keys=[v.vkey for v in report.trusted_keys],
        bundles={},
        origin=checkpoint.origin,
        root=report.root,
    )
    tmp = state / "latest.txt.tmp"
    tmp.write_text(note, encoding="utf-8")
    os.replace(tmp, state / "latest.txt")
    print(
        f"OK: {checkpoint.size} entries ({len(new_lines)} new), root {report.root.hex()}, "
        f"{report.publishes} publish(es) checked"
    )
    for line in report.notes:
        print(f"NOTE {line}")
    return 0


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
    if args.rebase and args.revise is None:
        raise _fail("--rebase needs --revise N: the proposal to move onto the published bundle")

    async def work(db: Any, settings: Any) -> Any:
        async with db.session() as session:
            account = (
                await session.exec(select(StaffAccount).where(StaffAccount.username == author))
            ).first()
        if account is None or not account.active:
            raise _fail(f"no active staff account {author!r}")
        actor = service.Staff(id=account.id, roles=list(account.roles))
        if args.rebase:
            return await service.rebase(
                db,
                settings,
                actor=actor,
                proposal_id=args.revise,
                message=args.message,
                now=utcnow(),
                bundle_bytes=bundle.to_bytes(),
            )
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
    recover = subparsers.add_parser(
        "recover-key", help="replace a LOST signing key on the board's quorum"
    )
    recover.add_argument("--reason", required=True, help="what happened to the old key (logged)")
    recover.add_argument("--by", required=True, help="username of the operator doing it")
    recover.add_argument(
        "--approved-by",
        action="append",
        metavar="USERNAME",
        help="a board member who approved the recovery (repeat; at least the quorum)",
    )
    recover.set_defaults(func=cmd_recover_key)
    key = subparsers.add_parser("key", help="print the public key and its fingerprint")
    key.set_defaults(func=cmd_key)
    sign = subparsers.add_parser("sign", help="sign a checkpoint now, collect cosignatures")
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
    _witness_arguments(verify)
    verify.add_argument("--json", action="store_true", help="machine-readable report")
    verify.set_defaults(func=cmd_verify)
    prove = subparsers.add_parser("prove-consent", help="what a consent record agreed to")
    prove.add_argument("id", help="consent record id")
    prove.add_argument("--json", action="store_true", help="machine-readable output")
    prove.set_defaults(func=cmd_prove_consent)

    witness = subparsers.add_parser("witness", help="run a witness for a partner programme")
    witness_sub = witness.add_subparsers(dest="witness_command", metavar="ACTION", required=True)
    wkeygen = witness_sub.add_parser("keygen", help="create a witness key")
    wkeygen.add_argument("--name", required=True, help="witness name, e.g. partner.example/w1")
    wkeygen.add_argument("--out", required=True, help="private key file to write (mode 0600)")
    wkeygen.set_defaults(func=cmd_witness_keygen)
    serve = witness_sub.add_parser("serve", help="serve C2SP tlog-witness add-checkpoint")
    serve.add_argument("--key", required=True, help="the witness private key file")
    serve.add_argument(
        "--log-key",
        action="append",
        required=True,
        help="public key file of a log to witness (its name is the log origin); repeatable",
    )
    serve.add_argument("--state", required=True, help="state file (the witness's memory)")
    serve.add_argument("--host", default="127.0.0.1", help="address (default %(default)s)")
    serve.add_argument("--port", type=int, default=8090, help="port (default %(default)s)")
    serve.set_defaults(func=cmd_witness_serve)

    monitor = subparsers.add_parser("monitor", help="follow a live log (for cron)")
    monitor.add_argument("url", help="the Crossroads server, e.g. https://chat.example.org")
    monitor.add_argument("--key", action="append", required=True, help="pinned log key file")
    monitor.add_argument("--accept-rotation", action="append", metavar="KEYID", help="as verify")
    monitor.add_argument("--state", required=True, help="directory for what the monitor keeps")
    monitor.add_argument("--quorum", type=int, default=2, help="board quorum to check")
    monitor.add_argument("--quiet", action="store_true", help="no progress bar")
    _witness_arguments(monitor)
    monitor.set_defaults(func=cmd_monitor)


def _witness_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--policy", help="a C2SP tlog-policy file of witnesses and quorum")
    parser.add_argument(
        "--witness-key", action="append", help="a witness public key file (type 0x04); repeatable"
    )
    parser.add_argument(
        "--witnesses",
        type=int,
        help="how many of the --witness-key witnesses must cosign (default: all)",
    )


def register_propose(subparsers: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``crossroads content propose``."""
    propose = subparsers.add_parser("propose", help="propose content to the ethics board")
    propose.add_argument("path", help="story directory, story.yaml or a bundle .json")
    propose.add_argument("--message", "-m", required=True, help="what changes and why")
    propose.add_argument("--author", help="username of the proposing author")
    propose.add_argument("--revise", type=int, help="add a revision to proposal number N")
    propose.add_argument(
        "--rebase",
        action="store_true",
        help="with --revise N: PATH is the merge onto the bundle published now (a rebase)",
    )
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
