"""`crossroads ethics monitor` against a log that misbehaves: fork, rollback, foreign key.

A tiny HTTP server on loopback plays the log's public endpoints from an in-memory model, so a
test can make it lie the way an operator could.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from ethics import entries as E
from ethics.checkpoint import Checkpoint, Signer, sign_checkpoint
from ethics.log import Log
from server.cli import main

ORIGIN = "monitor.example/ethics-log"
T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


class FakeLog:
    """A log whose public endpoints a test can rewrite at will."""

    def __init__(self, signer: Signer) -> None:
        self.signer = signer
        self.log = Log()
        self.add(
            E.KeyRotationEntry,
            key_name=ORIGIN,
            old_key=None,
            new_key=signer.verifier.vkey,
            reason="first signing key",
        )

    def add(self, cls: type[E.Entry], **fields: object) -> None:
        at = T0 + timedelta(seconds=self.log.size)
        self.log.append(cls(index=self.log.size, at=at, actor=None, **fields).to_bytes())

    def routes(self, path: str, query: dict[str, list[str]]) -> tuple[int, bytes]:
        if path == "/api/v1/ethics/checkpoint":
            cp = Checkpoint(ORIGIN, self.log.size, self.log.root)
            return 200, sign_checkpoint(cp, self.signer).encode()
        if path == "/api/v1/ethics/entries":
            start, count = int(query["start"][0]), int(query["count"][0])
            return 200, b"".join(e + b"\n" for e in self.log.entries[start : start + count])
        if path == "/api/v1/ethics/consistency":
            old = int(query["from"][0])
            body = {
                "old_size": old,
                "new_size": self.log.size,
                "new_root": self.log.root.hex(),
                "proof": [h.hex() for h in self.log.consistency_proof(old)],
            }
            return 200, json.dumps(body).encode()
        return 404, b"{}"


@pytest.fixture
def fake() -> Iterator[tuple[FakeLog, str]]:
    signer = Signer.generate(ORIGIN)
    state = {"log": FakeLog(signer)}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the http.server API
            url = urlparse(self.path)
            status, body = state["log"].routes(url.path, parse_qs(url.query))
            self.send_response(status)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    holder = state["log"]
    try:
        yield holder, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _grow(fake: FakeLog, n: int) -> None:
    """Append ``n`` proposals (board steps that need no earlier state)."""
    for _ in range(n):
        i = fake.log.size
        at = T0 + timedelta(seconds=i)
        fake.log.append(
            E.ProposalEntry(
                index=i,
                at=at,
                actor=10,
                proposal=f"p{i}",
                revision=1,
                bundle_hash=f"{i:064x}",
                base_bundle_hash=None,
                message="A proposal for the monitor test.",
                changes={},
            ).to_bytes()
        )


def _monitor(
    url: str, key: Path, state: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int, str]:
    code = main(["ethics", "monitor", url, "--key", str(key), "--state", str(state), "--quiet"])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_monitor_follows_a_growing_log_and_catches_a_fork(
    fake: tuple[FakeLog, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """OK while the log only grows; a rewritten history of the same size is INCONSISTENT."""
    log, url = fake
    key = tmp_path / "log.vkey"
    key.write_text(log.signer.verifier.vkey)
    state = tmp_path / "state"
    code, out = _monitor(url, key, state, capsys)
    assert code == 0 and out.startswith("OK: 1 entries"), out
    _grow(log, 3)
    code, out = _monitor(url, key, state, capsys)
    assert code == 0 and "(3 new)" in out, out
    kept = (state / "entries.jsonl").read_bytes()

    # the operator rewrites entry 2 and re-signs: same size, another root
    entries = log.log.entries
    forged = E.decode_entry(entries[2])
    assert isinstance(forged, E.ProposalEntry)
    from dataclasses import replace

    entries[2] = replace(forged, message="A different proposal, quietly.").to_bytes()
    log.log = Log.from_entries(entries)
    code, out = _monitor(url, key, state, capsys)
    assert code == 1 and "INCONSISTENT" in out, out
    assert (state / "entries.jsonl").read_bytes() == kept  # the state was not updated


def test_monitor_catches_a_rollback_and_a_foreign_key(
    fake: tuple[FakeLog, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A log that shrinks, or one signed by another key than the pinned one, fails plainly."""
    log, url = fake
    key = tmp_path / "log.vkey"
    key.write_text(log.signer.verifier.vkey)
    state = tmp_path / "state"
    _grow(log, 2)
    assert _monitor(url, key, state, capsys)[0] == 0
    log.log = Log.from_entries(log.log.entries[:2])
    code, out = _monitor(url, key, state, capsys)
    assert code == 1 and "rolled back" in out, out

    other = tmp_path / "other.vkey"
    other.write_text(Signer.generate(ORIGIN).verifier.vkey)
    code, out = _monitor(url, other, tmp_path / "fresh", capsys)
    assert code == 1 and "not signed by any key you trust" in out, out
