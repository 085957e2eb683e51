"""Ethics log benchmarks: verify 100,000 entries, append rates, proof sizes.

Prints figures only (no pass/fail). Run with ``make bench`` or
``python bench/bench_ethics.py [--entries N]``. The log is a realistic mix: each proposal
cycle is proposal, check_result, two reviews and a publish.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ethics import entries as E  # noqa: E402
from ethics import merkle  # noqa: E402
from ethics.checkpoint import Checkpoint, Signer, sign_checkpoint  # noqa: E402
from ethics.exportdir import read_export, write_export  # noqa: E402
from ethics.log import Log  # noqa: E402
from ethics.review import CHECKLIST  # noqa: E402
from ethics.verify import verify_export  # noqa: E402
from server.cli_ethics import cycle_collection_paused  # noqa: E402

ORIGIN = "bench.crossroads.example/ethics"
T0 = datetime(2026, 1, 1, tzinfo=UTC)
TICKED = dict.fromkeys(CHECKLIST, True)
PROPOSALS = 20


def build_log(count: int, signer: Signer) -> list[bytes]:
    """``count`` entries: a key announcement, then full proposal cycles."""
    out: list[bytes] = []
    at = T0

    def add(entry_cls: type[E.Entry], actor: int | None, **fields: object) -> None:
        nonlocal at
        at += timedelta(seconds=1)
        out.append(entry_cls(index=len(out), at=at, actor=actor, **fields).to_bytes())

    add(
        E.KeyRotationEntry,
        None,
        key_name=ORIGIN,
        old_key=None,
        new_key=signer.verifier.vkey,
        reason="benchmark key",
    )
    n = 0
    while len(out) < count:
        n += 1
        pid = f"p{n}"
        digest = f"{n:064x}"
        add(
            E.ProposalEntry,
            10,
            proposal=pid,
            revision=1,
            bundle_hash=digest,
            base_bundle_hash=f"{n - 1:064x}" if n > 1 else None,  # on top of the last publish
            message="Rewrites the bus stop scene and the German offer text.",
            changes={"added": 1, "removed": 0, "changed": 3},
        )
        add(E.CheckResultEntry, None, proposal=pid, revision=1, bundle_hash=digest, results=[])
        for reviewer in (21, 22):
            add(
                E.ReviewEntry,
                reviewer,
                proposal=pid,
                revision=1,
                bundle_hash=digest,
                decision="approve",
                rationale="Read every locale and all check results; honest and calm.",
                checklist=dict(TICKED),
            )
        add(
            E.PublishEntry,
            21,
            proposal=pid,
            revision=1,
            bundle_hash=digest,
            approvals=[21, 22],
            note="",
        )
    return out[:count]


def timed(label: str, fn, *args):  # type: ignore[no-untyped-def]
    """Run ``fn``; print wall-clock and CPU seconds (CPU is what a quiet machine would see)."""
    start, cpu = time.perf_counter(), time.process_time()
    result = fn(*args)
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    print(f"  {label:<58} {elapsed:8.3f} s wall {used:8.3f} s cpu")
    return result, min(elapsed, used) if used > 0 else elapsed


def bench_db_appends(count: int) -> None:
    """Appends through the real service on SQLite (reviews on one proposal)."""
    from server.board import service
    from server.settings import Settings
    from server.storage.db import Database
    from server.storage.migrate import upgrade
    from server.storage.models import StaffAccount

    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{tmp}/bench.db"
        upgrade(url)
        settings = Settings(dev_mode=True, database_url=url, ethics_key_dir=Path(tmp) / "keys")

        async def run() -> float:
            db = Database(url)
            try:
                ids = []
                async with db.session() as session:
                    for name, roles in (("a", ["author"]), ("r", ["reviewer"])):
                        row = StaffAccount(
                            username=name,
                            display_name=name,
                            password_hash="x",
                            roles=roles,
                            languages=[],
                            created_at=T0,
                        )
                        session.add(row)
                        await session.flush()
                        ids.append(row.id)
                    await session.commit()
                from game.narrative import Bundle, load_story
                from game.paths import STORY

                body = Bundle.from_story(load_story(STORY)).to_bytes()
                assert ids[0] is not None and ids[1] is not None
                author = service.Staff(id=ids[0], roles=["author"])
                reviewer = service.Staff(id=ids[1], roles=["reviewer"])
                proposals = []
                start = time.perf_counter()
                for i in range(PROPOSALS):
                    prop = await service.propose(
                        db,
                        settings,
                        actor=author,
                        bundle_bytes=body,
                        message=f"benchmark proposal {i}",
                        now=T0,
                    )
                    view = await service.proposal_view(db, settings, prop.id or 0)
                    proposals.append((prop.id or 0, view.current.bundle_hash))
                propose_s = time.perf_counter() - start
                print(
                    f"  {'service propose (store, diff, checks, 2 entries; SQLite)':<58} "
                    f"{PROPOSALS / propose_s:8.1f} proposals/s"
                )
                start = time.perf_counter()
                for i in range(count):
                    pid, digest = proposals[i % PROPOSALS]
                    await service.review(
                        db,
                        settings,
                        actor=reviewer,
                        proposal_id=pid,
                        bundle_hash=digest,
                        decision="reject" if i % 2 else "approve",
                        rationale="Benchmark review with a rationale.",
                        checklist=dict(TICKED),
                        now=T0 + timedelta(seconds=i),
                    )
                return time.perf_counter() - start
            finally:
                await db.dispose()

        elapsed = asyncio.run(run())
        print(
            f"  {'service append (SQLite, one transaction each)':<58} "
            f"{count / elapsed:8.0f} entries/s  ({count} reviews over {PROPOSALS} proposals)"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--entries", type=int, default=100_000)
    parser.add_argument("--db-appends", type=int, default=300)
    args = parser.parse_args()
    count = args.entries
    signer = Signer.generate(ORIGIN)

    print(f"ethics log benchmark, {count:,} entries")
    entries, build_s = timed("build and encode entries (canonical JSON)", build_log, count, signer)
    size_mb = sum(len(e) for e in entries) / 1e6
    print(f"  {'average entry size':<58} {size_mb * 1e6 / count:8.0f} B")

    # Append rates.
    tree = merkle.CompactTree()
    _, tree_s = timed(
        "append to the Merkle tree only (CompactTree)", lambda: [tree.append(e) for e in entries]
    )
    log = Log()
    _, log_s = timed(
        "append to the validated log model (parse + checks + tree)",
        lambda: [log.append(e) for e in entries],
    )
    print(f"  {'  -> tree append rate':<58} {count / tree_s:8.0f} entries/s")
    print(f"  {'  -> validated log append rate':<58} {count / log_s:8.0f} entries/s")
    bench_db_appends(args.db_appends)

    # Verification.
    root = log.root
    checkpoints = {count: sign_checkpoint(Checkpoint(ORIGIN, count, root), signer)}
    _, merkle_s = timed("recompute root over all entries (RFC 6962)", merkle.root, entries)
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "export"
        write_export(
            out,
            entries=entries,
            checkpoints=checkpoints,
            keys=[signer.verifier.vkey],
            bundles={},
            origin=ORIGIN,
            root=root,
        )
        export, read_s = timed("read the export directory", read_export, out)
        with cycle_collection_paused():  # as `crossroads ethics verify` runs it
            report, verify_s = timed(
                "full verify: tree, signature, every entry, quorum replay", verify_export, export
            )
    assert report.ok, report.problems[:3]
    print(f"  {'  -> verified publishes':<58} {report.publishes:8d}")

    # Proof sizes.
    print("proof sizes (32-byte hashes)")
    hashes = log.leaf_hashes
    for n in (1_000, 10_000, count):
        inc = merkle.inclusion_proof_from_hashes(n // 3, hashes[:n])
        con = merkle.consistency_proof_from_hashes(n // 2 + 1, hashes[:n])
        print(
            f"  tree of {n:>7,}: inclusion {len(inc):2d} hashes ({len(inc) * 32:4d} B), "
            f"consistency {len(con):2d} hashes ({len(con) * 32:4d} B)"
        )
    start = time.perf_counter()
    proof = merkle.inclusion_proof_from_hashes(count // 2, hashes)
    gen_s = time.perf_counter() - start
    start = time.perf_counter()
    for _ in range(1000):
        merkle.verify_inclusion(count // 2, count, hashes[count // 2], proof, root)
    ver_us = (time.perf_counter() - start) * 1000
    print(
        f"  inclusion proof generation at {count:,}: {gen_s * 1000:.0f} ms; "
        f"verification: {ver_us:.0f} us"
    )
    print(f"  signed checkpoint note: {len(checkpoints[count].encode())} B")
    print(
        f"summary: verify {count:,} entries in {verify_s:.2f} s CPU; Merkle root alone "
        f"{merkle_s:.2f} s; ratio {verify_s / merkle_s:.1f}x (goal <= 8x); build {build_s:.1f} s"
    )
    bench_startup()
    bench_game_proof(signer)


def bench_startup() -> None:
    """``crossroads ethics verify --help`` in a fresh interpreter, against an empty one."""
    import statistics
    import subprocess

    def run(*args: str) -> float:
        times = []
        for _ in range(5):
            start = time.perf_counter()
            subprocess.run([sys.executable, *args], check=True, capture_output=True)
            times.append(time.perf_counter() - start)
        return statistics.median(times)

    bare = run("-c", "pass")
    full = run("-m", "server.cli", "ethics", "verify", "--help")
    print("start-up (median of 5, fresh interpreter)")
    print(f"  {'python -c pass':<58} {bare:8.3f} s")
    print(f"  {'crossroads ethics verify --help':<58} {full:8.3f} s")
    print(f"  {'  -> imports and parser beyond the bare interpreter':<58} {full - bare:8.3f} s")


def bench_game_proof(signer: Signer) -> None:
    """What checking the content proof costs the game: warm, and cold in a fresh process."""
    import subprocess

    from ethics.proof import ContentProof

    log = Log()
    log.append(
        E.KeyRotationEntry(
            index=0,
            at=T0,
            actor=None,
            key_name=ORIGIN,
            old_key=None,
            new_key=signer.verifier.vkey,
            reason="benchmark key",
        ).to_bytes()
    )
    digest = "ab" * 32
    for i in range(1, 5000):  # a publish deep in a log of 5,000 entries (13-hash proof)
        log.append(
            E.PublishEntry(
                index=i,
                at=T0 + timedelta(seconds=i),
                actor=21,
                proposal=f"p{i}",
                revision=1,
                bundle_hash=digest if i == 2500 else f"{i:064x}",
                approvals=[21, 22],
                note="",
            ).to_bytes()
        )
    note = sign_checkpoint(Checkpoint(ORIGIN, log.size, log.root), signer)
    proof = ContentProof(log.entries[2500], 2500, log.inclusion_proof(2500), note).text()
    from game.content import proof_problem

    runs = 200
    start = time.perf_counter()
    for _ in range(runs):
        assert proof_problem(digest, proof, [signer.verifier]) is None
    warm_ms = (time.perf_counter() - start) / runs * 1000
    # what the game adds to its own start-up: it has imported itself (pygame, the story model)
    # already; the proof check then imports the verifier (cryptography) and checks once
    script = (
        "import os, sys, time; os.environ['SDL_VIDEODRIVER'] = 'dummy'; "
        "import game.app; from game.content import KeyPin, proof_problem; "
        "p = open(sys.argv[1]).read(); t = time.perf_counter(); "
        "from ethics.checkpoint import Verifier; k = [Verifier.from_vkey(sys.argv[2])]; "
        "assert proof_problem(sys.argv[3], p, k) is None; "
        "print(time.perf_counter() - t)"
    )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bundle.tlog-proof"
        path.write_text(proof)

        def cold(env: dict[str, str], runs: int) -> float:
            times = [
                float(
                    subprocess.run(
                        [sys.executable, "-c", script, str(path), signer.verifier.vkey, digest],
                        check=True,
                        capture_output=True,
                        text=True,
                        cwd=Path(__file__).resolve().parents[1],
                        env=env,
                    ).stdout.split()[-1]
                )
                for _ in range(runs)
            ]
            return sorted(times)[runs // 2]

        # As this shell runs Python; with PYTHONDONTWRITEBYTECODE set, every module the check
        # imports is compiled from source each time. An installed game has its bytecode
        # (pip compiles it), so that figure is measured too, with a cache warmed once.
        as_is = cold(dict(os.environ), 5)
        cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached_env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        cold(cached_env, 1)
        cached = cold(cached_env, 5)
    compiled = " (compiling from source)" if os.environ.get("PYTHONDONTWRITEBYTECODE") else ""
    print("game: checking the content proof (log of 5,000 entries)")
    print(f"  {'one check, warm (signature + 13-hash inclusion proof)':<58} {warm_ms:8.2f} ms")
    print(
        f"  {'first check at game start-up, verifier imports incl. (median)':<58} "
        f"{as_is * 1000:8.1f} ms{compiled} (goal < 20 ms)"
    )
    print(
        f"  {'  the same with bytecode cached, as an installed game':<58} "
        f"{cached * 1000:8.1f} ms (goal < 20 ms)"
    )


if __name__ == "__main__":
    main()
