"""``crossroads ethics witness serve``: a C2SP tlog-witness a partner programme runs.

A small aiohttp service with one write endpoint, ``POST /add-checkpoint`` (the decisions are
``ethics.witness``), and ``GET /`` describing itself. It keeps the newest cosigned checkpoint
of every log it witnesses in a JSON state file, written atomically (temporary file, fsync,
rename) *before* answering, under a lock, so two concurrent submissions can never roll it back.
No database, no accounts: the witness's whole memory is that file and its private key.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

from ethics.checkpoint import Verifier
from ethics.cosign import WitnessSigner
from ethics.exceptions import SigningKeyError
from ethics.witness import MAX_BODY, Seen, Witness

STATE_FORMAT = "crossroads-witness-state/1"


class WitnessConfigError(Exception):
    """The witness cannot start: a key or state file is missing or malformed (operator)."""


@dataclass
class WitnessService:
    """The witness core plus where its state lives."""

    core: Witness
    state_file: Path
    lock: asyncio.Lock

    @classmethod
    def open(
        cls, key_file: Path, logs: dict[str, list[Verifier]], state_file: Path
    ) -> WitnessService:
        """Read the key and the state file (created empty if missing)."""
        try:
            signer = WitnessSigner.from_skey(key_file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise WitnessConfigError(f"cannot read the witness key {key_file}: {exc}") from exc
        except SigningKeyError as exc:  # the file is not a witness key
            raise WitnessConfigError(f"{key_file}: {exc}") from exc
        state: dict[str, Seen] = {}
        if state_file.exists():
            try:
                data = json.loads(state_file.read_text(encoding="utf-8"))
                if data.get("format") != STATE_FORMAT:
                    raise ValueError(f"not a {STATE_FORMAT} file")
                state = {origin: Seen.from_json(v) for origin, v in data["logs"].items()}
            except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise WitnessConfigError(
                    f"the witness state {state_file} is unreadable ({exc}); it is the witness's "
                    "memory, so restore it from backup rather than starting afresh"
                ) from exc
        return cls(Witness(signer, logs, state), state_file, asyncio.Lock())

    def _persist(self) -> None:
        data = {
            "format": STATE_FORMAT,
            "logs": {origin: seen.to_json() for origin, seen in self.core.state.items()},
        }
        tmp = self.state_file.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.state_file)

    async def add_checkpoint(self, request: web.Request) -> web.Response:
        """``POST /add-checkpoint`` (C2SP tlog-witness)."""
        body = await request.content.read(MAX_BODY + 1)
        async with self.lock:
            before = dict(self.core.state)
            answer = self.core.add_checkpoint(body, int(time.time()))
            if answer.status == 200:
                try:
                    await asyncio.to_thread(self._persist)
                except OSError as exc:
                    self.core.state = before  # not persisted: not cosigned
                    return web.Response(status=503, text=f"cannot persist the state: {exc}\n")
        return web.Response(
            status=answer.status, text=answer.body, content_type=answer.content_type
        )

    async def about(self, request: web.Request) -> web.Response:
        """``GET /``: the witness key and the logs it witnesses, as plain text."""
        lines = [f"witness {self.core.signer.key.vkey}"]
        for origin in sorted(self.core.logs):
            seen = self.core.state.get(origin)
            lines.append(f"log {origin} cosigned size {seen.size if seen else 0}")
        return web.Response(text="\n".join(lines) + "\n")

    def app(self) -> web.Application:
        """The aiohttp application."""
        app = web.Application(client_max_size=MAX_BODY)
        app.router.add_post("/add-checkpoint", self.add_checkpoint)
        app.router.add_get("/", self.about)
        return app
