"""The SQLite chat writer: a child process that encrypts and inserts message batches.

Why a process and not a thread: on SQLite every chat message costs the writer about as much
CPU as the event loop spends validating and relaying it (encryption, binding, two index
inserts). In a thread that work shares the event loop's GIL: each time SQLite hands the GIL
back the writer waits for the busy loop to release it, and batches take twice their CPU
time. In its own process the writer works truly in parallel, on the second core, and the
loop keeps relaying while a batch is committed. (PostgreSQL writes go through asyncpg on the
loop: the database server already does that work in its own processes.)

The child is deliberately small: it imports only ``sqlite3``, ``msgpack`` and the message
cipher (``cryptography``); it gets the database path, the connection pragmas and the transcript key
in its first frame (never on the command line, where ``ps`` would show it); it ignores
SIGINT/SIGTERM and exits when its input closes, so it always finishes the batch in hand and
never outlives the server (a killed server closes the pipe too).

Frames in both directions: a 4-byte big-endian length, then a msgpack array.

- parent -> child: ``["open", {"path", "pragmas", "key"}]``, ``["insert", rows]``,
  ``["load", conversation_ids]``
- child -> parent: ``["ok", result]`` or ``["error", kind, message]`` where ``kind`` is
  ``"integrity"`` (a constraint refused the batch; nothing was written) or ``"failed"``.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import functools
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import IO, Any

import msgpack

from server.chat.message_cipher import MessageCipher

log = logging.getLogger("crossroads.chat.sqlite_writer")

#: Rows per INSERT statement: 6 parameters each, far below SQLite's 32,766 variables.
CHUNK = 500
_HEADER = 4
#: Pipe buffer wanted for batches (Linux allows 1 MiB to unprivileged processes by default).
PIPE_BYTES = 1 << 20
#: The largest frame either side accepts (a batch of 5,000 long messages is ~40 MiB).
MAX_FRAME = 256 * 1024 * 1024

# (conversation_id, seq, sender, client_id, text, at as SQLAlchemy's SQLite text)
Row = Sequence[Any]


class WriterError(Exception):
    """The writer process could not store a batch (the server's side: disk, schema, bug)."""


class WriterIntegrityError(WriterError):
    """A database constraint refused the batch; nothing of it was written."""


class WriterGone(WriterError):
    """The writer process is not running any more (it crashed or was killed)."""


@functools.lru_cache(maxsize=64)
def _insert_sql(n: int) -> str:
    return (
        "INSERT INTO chat_message (conversation_id, seq, sender, client_id, body, at) VALUES "
        + ", ".join(["(?, ?, ?, ?, ?, ?)"] * n)
    )


class Writer:
    """The child's side: one connection, one transaction per batch."""

    def __init__(self, path: str, pragmas: Sequence[str], key: str) -> None:
        self._cipher = MessageCipher(key)
        self._conn = sqlite3.connect(path, isolation_level=None)
        for pragma in pragmas:
            self._conn.execute(pragma)

    def insert(self, rows: Sequence[Row]) -> int:
        """Encrypt and insert the rows in one transaction; returns how many were written."""
        encrypt = self._cipher.encrypt
        params = [(c, q, snd, cid, encrypt(c, text), at) for c, q, snd, cid, text, at in rows]
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            for i in range(0, len(params), CHUNK):
                chunk = params[i : i + CHUNK]
                conn.execute(_insert_sql(len(chunk)), [v for row in chunk for v in row])
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")
        return len(params)

    def load(self, conversation_ids: Sequence[str]) -> dict[str, list[list[Any]]]:
        """Each conversation's stored ``[sender, client_id, seq, at]`` (for the seq cache)."""
        return {
            conversation_id: [
                list(row)
                for row in self._conn.execute(
                    "SELECT sender, client_id, seq, at FROM chat_message"
                    " WHERE conversation_id = ? ORDER BY seq",
                    (conversation_id,),
                )
            ]
            for conversation_id in conversation_ids
        }

    def close(self) -> None:
        self._conn.close()


def _read_frame(stream: IO[bytes]) -> Any | None:
    header = stream.read(_HEADER)
    if len(header) < _HEADER:
        return None
    size = int.from_bytes(header, "big")
    body = stream.read(size)
    if len(body) < size:
        return None
    return msgpack.unpackb(body)


def _write_frame(stream: IO[bytes], value: Any) -> None:
    body = msgpack.packb(value)
    stream.write(len(body).to_bytes(_HEADER, "big") + body)
    stream.flush()


def serve(requests: IO[bytes], replies: IO[bytes]) -> int:
    """The child's loop: answer frames until the input closes."""
    writer: Writer | None = None
    try:
        while (request := _read_frame(requests)) is not None:
            reply: list[Any]
            try:
                op, arg = request
                if op == "open":
                    if writer is not None:
                        writer.close()
                    writer = Writer(arg["path"], arg["pragmas"], arg["key"])
                    reply = ["ok", None]
                elif writer is None:
                    reply = ["error", "failed", f"{op!r} before 'open'"]
                elif op == "insert":
                    reply = ["ok", writer.insert(arg)]
                elif op == "load":
                    reply = ["ok", writer.load(arg)]
                else:
                    reply = ["error", "failed", f"unknown request {op!r}"]
            except sqlite3.IntegrityError as exc:
                reply = ["error", "integrity", str(exc)]
            except Exception as exc:  # noqa: BLE001 - reported to the server, which logs it
                reply = ["error", "failed", f"{type(exc).__name__}: {exc}"]
            _write_frame(replies, reply)
    except BrokenPipeError:
        pass  # the server is gone; what was committed stays committed
    finally:
        if writer is not None:
            writer.close()
    return 0


def main() -> int:
    # Ctrl-C and a service manager's SIGTERM reach the whole process group; the server
    # shuts down cleanly and still needs its writer for the last batch. It closes the pipe
    # when it is done, and that ends this process.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    replies = sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may ever write into the reply pipe
    _widen_pipe(sys.stdin.fileno())
    return serve(sys.stdin.buffer, replies)


class WriterProcess:
    """The server's side: starts the child and exchanges one request at a time with it."""

    def __init__(self, path: str, pragmas: Sequence[str], key: str) -> None:
        self._open = {"path": path, "pragmas": list(pragmas), "key": key}
        self._proc: asyncio.subprocess.Process | None = None
        self._lock = asyncio.Lock()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self.running and self._proc is not None else None

    async def start(self) -> None:
        """Start the child and open its connection (about 50 ms)."""
        self._proc = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            __name__,
            env=_child_environment(),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            limit=MAX_FRAME,
        )
        try:
            await self.call("open", self._open)
        except BaseException:
            await self.stop()  # a writer that cannot open its database is no writer
            raise

    async def call(self, op: str, arg: Any) -> Any:
        """Send one request and wait for its answer; raises a ``WriterError`` on failure."""
        async with self._lock:
            proc = self._proc
            if proc is None or proc.stdin is None or proc.stdout is None:
                raise WriterGone("the chat writer process is not running")
            body = msgpack.packb([op, arg])
            try:
                proc.stdin.write(len(body).to_bytes(_HEADER, "big") + body)
                await proc.stdin.drain()
                size = int.from_bytes(await proc.stdout.readexactly(_HEADER), "big")
                if size > MAX_FRAME:
                    # Out of step with the child: nothing it says can be trusted any more.
                    await self._reap()
                    raise WriterGone(f"the chat writer sent an oversized frame ({size} bytes)")
                reply = msgpack.unpackb(await proc.stdout.readexactly(size))
            except (ConnectionError, asyncio.IncompleteReadError) as exc:
                await self._reap()
                raise WriterGone(
                    f"the chat writer process stopped (exit code {proc.returncode})"
                ) from exc
        if reply[0] == "ok":
            return reply[1]
        kind, message = reply[1], reply[2]
        if kind == "integrity":
            raise WriterIntegrityError(message)
        raise WriterError(message)

    async def stop(self, timeout: float = 10.0) -> None:
        """Close the pipe (the child finishes and exits); kill it if it does not."""
        proc, self._proc = self._proc, None
        if proc is None:
            return
        if proc.stdin is not None:
            proc.stdin.close()
            with contextlib.suppress(ConnectionError):
                await proc.stdin.wait_closed()
        try:
            await asyncio.wait_for(proc.wait(), timeout)
        except TimeoutError:
            log.warning("the chat writer did not exit within %.0f s; killing it", timeout)
            proc.kill()
            await proc.wait()

    async def _reap(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            await proc.wait()


def _child_environment() -> dict[str, str]:
    """The server's environment, with the folder holding the ``server`` package first on the
    module path, so the child imports the same code however the server was started."""
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    return env


def _widen_pipe(fd: int) -> None:
    """Let a whole batch fit into the pipe, so sending it is one write, not several loop turns.

    A batch of 4,000 messages is about 400 KiB; the default pipe holds 64 KiB, and every
    further 64 KiB would wait for the server's event loop to come round again (milliseconds,
    under load). The child widens its own input pipe (a pipe's size is shared by both ends),
    which works whatever event loop the server runs. Linux only; elsewhere the default stays.
    """
    if not hasattr(fcntl, "F_SETPIPE_SZ"):
        return
    for size in (PIPE_BYTES, 1 << 20):
        try:
            fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, size)
            return
        except OSError:
            continue


if __name__ == "__main__":
    sys.exit(main())
