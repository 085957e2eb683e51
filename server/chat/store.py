"""Durable chat with group commit: one writer task, one transaction per batch.

Every database write of the handoff (messages and state changes) goes through one queue.
The writer takes everything that has arrived, applies it in order (consecutive messages in
one transaction, consecutive state changes in another) and commits; only then are the
callers answered, so a message is acknowledged and relayed only after it is on disk.
Messages get a per-conversation ``seq``; ``(conversation_id, sender, client_id)`` makes
retries idempotent (a retry returns the original ``seq``). If a batch fails, each item is
retried alone so one bad item cannot sink its neighbours. On SQLite the messages themselves
are encrypted and inserted by a child process (``sqlite_writer``), off this process's GIL.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection

from server.chat.message_cipher import MessageCipher
from server.chat.models import ChatMessage
from server.chat.sqlite_writer import WriterIntegrityError, WriterProcess
from server.storage.db import Database, sqlite_pragmas

log = logging.getLogger("crossroads.chat.store")

MESSAGES = ChatMessage.__table__  # type: ignore[attr-defined]
#: Items per group commit. Under saturation batches reach this cap; larger commits cost less
#: per message (an index page dirtied by several messages is written to the WAL once).
MAX_BATCH = 4096
CHECKPOINT_SECONDS = 1.0


@dataclass(frozen=True, slots=True)
class Stored:
    """The outcome of appending a message: its seq and time, and whether it was a retry."""

    conversation_id: str
    seq: int
    at: datetime
    duplicate: bool


@dataclass(slots=True)
class _ConvCache:
    last_seq: int
    by_client: dict[tuple[str, str], tuple[int, datetime]]


@dataclass(slots=True)
class _Append:
    conversation_id: str
    sender: str
    client_id: str
    text: str
    at: datetime
    future: asyncio.Future[Stored] | None
    # Called by the writer right after the commit (None: the write failed), instead of a
    # future: no future and no task wake-up per message.
    done: Callable[[Stored | None], None] | None = None


# (conversation_id, seq, sender, client_id, text, at) of a message to insert
_Row = tuple[str, int, str, str, str, datetime]
# The same with ``at`` as the SQLite column's text, as the writer process takes it
_WireRow = tuple[str, int, str, str, str, str]


@dataclass(slots=True)
class _Op:
    fn: Callable[[AsyncConnection], Awaitable[Any]]
    future: asyncio.Future[Any]


class ChatStore:
    """The single writer of handoff data, plus read helpers (resume, decrypt)."""

    def __init__(
        self, db: Database, transcript_key: str, previous_keys: Sequence[str] = ()
    ) -> None:
        self.db = db
        self._cipher = MessageCipher(transcript_key, previous_keys)
        # The writer's queue: a deque and a wake-up future (an asyncio.Queue costs several
        # times more per message, and nothing here needs its bounds or its many getters).
        self._pending: deque[_Append | _Op | None] = deque()
        self._wakeup: asyncio.Future[None] | None = None
        self._cache: dict[str, _ConvCache] = {}
        self._task: asyncio.Task[None] | None = None
        # The writer keeps one connection: no pool checkout and reset per batch.
        self._conn: AsyncConnection | None = None
        # On SQLite, messages are encrypted and inserted by a child process (sqlite_writer).
        self._transcript_key = transcript_key
        self._process: WriterProcess | None = None
        self._ckpt_executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="chat-ckpt")
        self._ckpt: sqlite3.Connection | None = None
        self._ckpt_task: asyncio.Task[None] | None = None
        self.batches = 0
        self.committed = 0
        #: Why the last write failed, if it failed for a reason of ours (disk, database, the
        #: writer process) rather than because of its data; None once a write succeeds.
        self.problem: str | None = None
        #: Told of each successful commit: ("messages" or "state", items, seconds).
        self.on_commit: Callable[[str, int, float], None] | None = None

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the writer task (inside a running loop)."""
        if self._task is None:
            loop = asyncio.get_running_loop()
            self._task = loop.create_task(self._writer(), name="chat-writer")
            if self.db.dialect == "sqlite":
                self._ckpt_task = loop.create_task(self._checkpointer(), name="chat-ckpt")

    async def stop(self) -> None:
        """Finish everything queued, then stop the writer."""
        if self._task is not None:
            self._put(None)
            await self._task
            self._task = None
        if self._ckpt_task is not None:
            self._ckpt_task.cancel()
            try:
                await self._ckpt_task
            except asyncio.CancelledError:
                pass
            self._ckpt_task = None
        await self._reset()
        if self._process is not None:
            process, self._process = self._process, None
            await process.stop()
        if self._ckpt is not None:
            loop = asyncio.get_running_loop()
            ckpt, self._ckpt = self._ckpt, None
            await loop.run_in_executor(self._ckpt_executor, self._final_checkpoint, ckpt)
        self._ckpt_executor.shutdown(wait=False)

    # ------------------------------------------------------------------ writes
    def encrypt(self, conversation_id: str, text: str) -> bytes:
        """A message's text -> what is stored (see ``message_cipher``)."""
        return self._cipher.encrypt(conversation_id, text)

    def decrypt(self, conversation_id: str, body: bytes) -> str:
        """A stored body -> its text; a placeholder (and a warning in the log) when the key
        that wrote it is not configured any more."""
        return self._cipher.read(conversation_id, body)

    def append(
        self, *, conversation_id: str, sender: str, client_id: str, text: str, at: datetime
    ) -> asyncio.Future[Stored]:
        """Queue a message; the future resolves once it (or its original) is committed."""
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self._put(_Append(conversation_id, sender, client_id, text, at, future))
        return future

    def append_then(
        self,
        *,
        conversation_id: str,
        sender: str,
        client_id: str,
        text: str,
        at: datetime,
        done: Callable[[Stored | None], None],
    ) -> None:
        """Queue a message; ``done(stored)`` is called once it (or its original) is committed,
        in commit order, or ``done(None)`` if it could not be stored."""
        self._put(_Append(conversation_id, sender, client_id, text, at, None, done))

    def submit(self, fn: Callable[[AsyncConnection], Awaitable[Any]]) -> asyncio.Future[Any]:
        """Queue a write ``async fn(conn)``; it runs in order with everything else queued.

        Callers submit synchronously right after changing the core, so the database sees
        changes in the order the core made them.
        """
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._put(_Op(fn, future))
        return future

    def writer_pid(self) -> int | None:
        """The process id of the SQLite writer process while it runs (else None)."""
        return self._process.pid if self._process is not None else None

    def forget(self, conversation_id: str) -> None:
        """Drop the in-memory index of a finished or erased conversation."""
        self._cache.pop(conversation_id, None)

    # ------------------------------------------------------------------ reads
    async def messages_after(
        self, conversation_id: str, last_seq: int, *, limit: int = 10_000
    ) -> list[dict[str, Any]]:
        """Committed messages with ``seq > last_seq``, in order, decrypted."""
        async with self.db.engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        MESSAGES.c.seq,
                        MESSAGES.c.sender,
                        MESSAGES.c.client_id,
                        MESSAGES.c.body,
                        MESSAGES.c.at,
                    )
                    .where(MESSAGES.c.conversation_id == conversation_id)
                    .where(MESSAGES.c.seq > last_seq)
                    .order_by(MESSAGES.c.seq)
                    .limit(limit)
                )
            ).all()
        return [
            {
                "type": "message",
                "conversation_id": conversation_id,
                "seq": r.seq,
                "sender": r.sender,
                "text": self.decrypt(conversation_id, r.body),
                "at": _iso(_aware(r.at)),
                "client_id": r.client_id,
            }
            for r in rows
        ]

    async def last_seq(self, conversation_id: str) -> int:
        """The highest committed seq of a conversation (0 when empty)."""
        cached = self._cache.get(conversation_id)
        if cached is not None:
            return cached.last_seq
        async with self.db.engine.connect() as conn:
            value = (
                await conn.execute(
                    sa.select(sa.func.max(MESSAGES.c.seq)).where(
                        MESSAGES.c.conversation_id == conversation_id
                    )
                )
            ).scalar()
        return int(value or 0)

    # ------------------------------------------------------------------ the writer
    async def _writer(self) -> None:
        if self.db.dialect == "sqlite":
            # Start the writer process now, not with the first player's first message.
            try:
                await self._writer_process()
            except Exception:  # noqa: BLE001 - retried on the first write, which reports it
                log.exception("could not start the chat writer process")
        loop = asyncio.get_running_loop()
        pending = self._pending
        stopping = False
        while not stopping:
            if not pending:
                self._wakeup = loop.create_future()
                await self._wakeup
            batch: list[_Append | _Op] = []
            while pending and len(batch) < MAX_BATCH:
                item = pending.popleft()
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            if batch:
                await self._commit(batch)

    def _put(self, item: _Append | _Op | None) -> None:
        self._pending.append(item)
        wakeup = self._wakeup
        if wakeup is not None:
            self._wakeup = None
            if not wakeup.done():
                wakeup.set_result(None)

    async def _commit(self, batch: list[_Append | _Op]) -> None:
        """Commit a batch as runs: consecutive messages share one transaction, consecutive
        state changes another. Each run's callers are answered right after its commit."""
        run: list[_Append | _Op] = []
        for item in batch:
            if run and isinstance(item, _Append) != isinstance(run[0], _Append):
                await self._commit_run(run)
                run = []
            run.append(item)
        if run:
            await self._commit_run(run)

    async def _commit_run(self, run: list[_Append | _Op]) -> None:
        started = time.perf_counter()
        try:
            if isinstance(run[0], _Append):
                results: list[Any] = await self._append_run(run)  # type: ignore[arg-type]
            else:
                results = await self._op_run(run)  # type: ignore[arg-type]
        except Exception as exc:
            if not _refused_for_its_data(exc):
                self.problem = f"{type(exc).__name__}: {exc}"[:300]
            await self._reset()
            # The in-memory index of these conversations may now be ahead of the database,
            # or behind it (a writer process killed after its commit but before its answer):
            # forget it, and the retry reloads what is really stored. A retried message that
            # was in fact committed is then recognised by its client id, not stored twice.
            for item in run:
                if isinstance(item, _Append):
                    self._cache.pop(item.conversation_id, None)
            if len(run) == 1:
                log.exception("handoff write failed")
                asyncio.get_running_loop().call_soon(_fail, run[0])
                return
            # Retry one by one, isolating the bad item.
            for item in run:
                await self._commit_run([item])
            return
        self.batches += 1
        self.committed += len(run)
        self.problem = None
        if self.on_commit is not None:
            kind = "messages" if isinstance(run[0], _Append) else "state"
            self.on_commit(kind, len(run), time.perf_counter() - started)
        # Answer the callers on the next loop turn, so the writer hands its next batch to
        # the database first: the acks and relays of this batch then overlap that commit.
        asyncio.get_running_loop().call_soon(_resolve_all, run, results)

    async def _reset(self) -> None:
        """Drop connections after a failure (and at stop); reopened on the next write."""
        if self._conn is not None:
            try:
                await self._conn.close()
            except Exception:  # noqa: BLE001 - already broken
                pass
            self._conn = None
        if self._process is not None and not self._process.running:
            self._process = None  # it died; the next write starts a new one

    async def _connection(self) -> AsyncConnection:
        conn = self._conn
        if conn is None or conn.closed:
            conn = self._conn = await self.db.engine.connect()
            if self.db.dialect == "sqlite":
                await conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
                await conn.commit()
        return conn

    async def _op_run(self, run: list[_Op]) -> list[Any]:
        conn = await self._connection()
        results: list[Any] = []
        async with conn.begin():
            for item in run:
                results.append(await item.fn(conn))
        return results

    def _assign(self, run: list[_Append]) -> tuple[list[Stored], list[_Row]]:
        """Give each new message the next seq of its conversation; retries get their
        original seq back and are not inserted again."""
        results: list[Stored] = []
        rows: list[_Row] = []
        cache_of = self._cache
        for item in run:
            conversation_id = item.conversation_id
            cache = cache_of[conversation_id]
            key = (item.sender, item.client_id)
            known = cache.by_client.get(key)
            if known is not None:
                results.append(Stored(conversation_id, known[0], known[1], True))
                continue
            seq = cache.last_seq = cache.last_seq + 1
            cache.by_client[key] = (seq, item.at)
            rows.append((conversation_id, seq, item.sender, item.client_id, item.text, item.at))
            results.append(Stored(conversation_id, seq, item.at, False))
        return results, rows

    async def _append_run(self, run: list[_Append]) -> list[Stored]:
        if self.db.dialect == "sqlite":
            return await self._append_run_sqlite(run)
        conn = await self._connection()
        async with conn.begin():
            for conversation_id in {i.conversation_id for i in run}:
                await self._conv(conn, conversation_id)
            results, rows = self._assign(run)
            if rows:
                await conn.execute(
                    MESSAGES.insert(),
                    [
                        {
                            "conversation_id": c,
                            "seq": q,
                            "sender": snd,
                            "client_id": cid,
                            "body": self.encrypt(c, text),
                            "at": at,
                        }
                        for c, q, snd, cid, text, at in rows
                    ],
                )
        return results

    # SQLite hot path: the rows go to the writer process (see sqlite_writer), which encrypts
    # and inserts them in one transaction on its own core, outside this process's GIL.
    async def _writer_process(self) -> WriterProcess:
        process = self._process
        if process is None or not process.running:
            process = self._process = WriterProcess(
                make_url(self.db.url).database or ":memory:",
                [
                    *sqlite_pragmas(self.db.sqlite_synchronous),
                    # Checkpoints (copying the WAL back into the database, with an fsync)
                    # would stall the commit that triggers them; the store runs them in
                    # the background instead.
                    "PRAGMA wal_autocheckpoint=0",
                    "PRAGMA cache_size=-32768",
                ],
                self._transcript_key,
            )
            await process.start()
        return process

    async def _append_run_sqlite(self, run: list[_Append]) -> list[Stored]:
        process = await self._writer_process()
        missing = {i.conversation_id for i in run if i.conversation_id not in self._cache}
        if missing:
            loaded: dict[str, list[list[Any]]] = await process.call("load", sorted(missing))
            for conversation_id in missing:
                found = loaded.get(conversation_id, [])
                self._cache[conversation_id] = _ConvCache(
                    max((seq for _, _, seq, _ in found), default=0),
                    {
                        (snd, cid): (seq, datetime.fromisoformat(at).replace(tzinfo=UTC))
                        for snd, cid, seq, at in found
                    },
                )
        results, rows = self._assign(run)
        if rows:
            wire: list[_WireRow] = [
                (c, q, snd, cid, text, _sqlite_time(at)) for c, q, snd, cid, text, at in rows
            ]
            await process.call("insert", wire)
        return results

    @staticmethod
    def _final_checkpoint(conn: sqlite3.Connection) -> None:
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()

    def _checkpoint_sync(self) -> None:
        if self._ckpt is None:
            path = make_url(self.db.url).database or ":memory:"
            self._ckpt = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
            self._ckpt.execute("PRAGMA busy_timeout=5000")
        self._ckpt.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def _checkpointer(self) -> None:
        """Every second with new writes, a passive checkpoint on its own thread."""
        loop = asyncio.get_running_loop()
        seen = self.committed
        while True:
            await asyncio.sleep(CHECKPOINT_SECONDS)
            if self.committed == seen:
                continue
            seen = self.committed
            try:
                await loop.run_in_executor(self._ckpt_executor, self._checkpoint_sync)
            except Exception:  # noqa: BLE001 - a busy checkpoint is retried next time
                log.warning("background checkpoint failed", exc_info=True)

    async def _conv(self, conn: AsyncConnection, conversation_id: str) -> _ConvCache:
        cache = self._cache.get(conversation_id)
        if cache is None:
            rows = (
                await conn.execute(
                    sa.select(
                        MESSAGES.c.sender, MESSAGES.c.client_id, MESSAGES.c.seq, MESSAGES.c.at
                    ).where(MESSAGES.c.conversation_id == conversation_id)
                )
            ).all()
            by_client = {(r.sender, r.client_id): (r.seq, _aware(r.at)) for r in rows}
            last = max((r.seq for r in rows), default=0)
            cache = _ConvCache(last, by_client)
            self._cache[conversation_id] = cache
        return cache


def _refused_for_its_data(exc: Exception) -> bool:
    """A constraint refused the write (a conversation erased meanwhile, a duplicate): the
    caller's data, not the store's health."""
    return isinstance(exc, sa.exc.IntegrityError | WriterIntegrityError)


def _resolve_all(run: list[_Append | _Op], results: list[Any]) -> None:
    for item, result in zip(run, results, strict=True):
        _resolve(item, result)


def _resolve(item: _Append | _Op, result: Any) -> None:
    if isinstance(item, _Append) and item.done is not None:
        try:
            item.done(result)
        except Exception:  # noqa: BLE001 - one caller's bug must not stop the writer
            log.exception("message completion failed")
    elif item.future is not None and not item.future.done():
        item.future.set_result(result)


def _fail(item: _Append | _Op) -> None:
    if isinstance(item, _Append) and item.done is not None:
        try:
            item.done(None)
        except Exception:  # noqa: BLE001 - one caller's bug must not stop the writer
            log.exception("message completion failed")
    elif item.future is not None and not item.future.done():
        item.future.set_exception(RuntimeError("the write failed"))


def _sqlite_time(value: datetime) -> str:
    """A time as SQLAlchemy's SQLite DateTime stores it (naive UTC, microseconds).

    The same text as ``strftime("%Y-%m-%d %H:%M:%S.%f")`` at half the cost."""
    return value.astimezone(UTC).isoformat(" ", "microseconds")[:26]


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _iso(value: datetime) -> str:
    return value.isoformat()
