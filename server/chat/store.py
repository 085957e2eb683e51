"""Durable chat with group commit: one writer task, one transaction per batch.

Every database write of the handoff (messages and state changes) goes through one asyncio
queue. The writer takes everything that has arrived, applies it in order inside a single
transaction and commits once; only then are the callers' futures resolved, so a message is
acknowledged and relayed only after it is on disk. Messages get a per-conversation ``seq``;
``(conversation_id, sender, client_id)`` makes retries idempotent (a retry returns the
original ``seq``). If a batch fails, each item is retried alone so one bad item cannot sink
its neighbours.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from cryptography.fernet import Fernet
from sqlalchemy.ext.asyncio import AsyncConnection

from server.chat.models import ChatMessage
from server.storage.db import Database

log = logging.getLogger("crossroads.chat.store")

MESSAGES = ChatMessage.__table__  # type: ignore[attr-defined]
MAX_BATCH = 512


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
    body: bytes
    at: datetime
    future: asyncio.Future[Stored]


@dataclass(slots=True)
class _Op:
    fn: Callable[[AsyncConnection], Awaitable[Any]]
    future: asyncio.Future[Any]


@dataclass(slots=True)
class _Batch:
    items: list[_Append | _Op] = field(default_factory=list)


class ChatStore:
    """The single writer of handoff data, plus read helpers (resume, decrypt)."""

    def __init__(self, db: Database, transcript_key: str) -> None:
        self.db = db
        self._fernet = Fernet(
            transcript_key.encode() if isinstance(transcript_key, str) else transcript_key
        )
        self._queue: asyncio.Queue[_Append | _Op | None] = asyncio.Queue()
        self._cache: dict[str, _ConvCache] = {}
        self._task: asyncio.Task[None] | None = None
        self.batches = 0
        self.committed = 0

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        """Start the writer task (inside a running loop)."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._writer(), name="chat-writer")

    async def stop(self) -> None:
        """Finish everything queued, then stop the writer."""
        if self._task is not None:
            await self._queue.put(None)
            await self._task
            self._task = None

    # ------------------------------------------------------------------ writes
    def encrypt(self, text: str) -> bytes:
        """Text -> Fernet token (what is stored)."""
        return self._fernet.encrypt(text.encode("utf-8"))

    def decrypt(self, body: bytes) -> str:
        """Fernet token -> text."""
        return self._fernet.decrypt(body).decode("utf-8")

    def append(
        self, *, conversation_id: str, sender: str, client_id: str, text: str, at: datetime
    ) -> asyncio.Future[Stored]:
        """Queue a message; the future resolves once it (or its original) is committed."""
        future: asyncio.Future[Stored] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(
            _Append(conversation_id, sender, client_id, self.encrypt(text), at, future)
        )
        return future

    def submit(self, fn: Callable[[AsyncConnection], Awaitable[Any]]) -> asyncio.Future[Any]:
        """Queue a write ``async fn(conn)``; it runs in order with everything else queued.

        Callers submit synchronously right after changing the core, so the database sees
        changes in the order the core made them.
        """
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._queue.put_nowait(_Op(fn, future))
        return future

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
                "text": self.decrypt(r.body),
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
        stopping = False
        while not stopping:
            first = await self._queue.get()
            if first is None:
                break
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = self._queue.get_nowait()
                except asyncio.QueueEmpty:
                    break
                if item is None:
                    stopping = True
                    break
                batch.append(item)
            await self._commit(batch)

    async def _commit(self, batch: list[_Append | _Op]) -> None:
        snapshot = {k: (v.last_seq, dict(v.by_client)) for k, v in self._cache.items()}
        try:
            results = await self._apply(batch)
        except Exception:
            # Restore the in-memory index and retry one by one, isolating the bad item.
            for key, (last, by_client) in snapshot.items():
                self._cache[key] = _ConvCache(last, by_client)
            for key in list(self._cache):
                if key not in snapshot:
                    del self._cache[key]
            if len(batch) == 1:
                log.exception("handoff write failed")
                item = batch[0]
                if not item.future.done():
                    item.future.set_exception(RuntimeError("the write failed"))
                return
            for item in batch:
                await self._commit([item])
            return
        self.batches += 1
        self.committed += len(batch)
        for item, result in zip(batch, results, strict=True):
            if not item.future.done():
                item.future.set_result(result)

    async def _apply(self, batch: list[_Append | _Op]) -> list[Any]:
        results: list[Any] = []
        pending: list[dict[str, Any]] = []
        async with self.db.engine.begin() as conn:
            for item in batch:
                if isinstance(item, _Op):
                    if pending:
                        await conn.execute(MESSAGES.insert(), pending)
                        pending = []
                    results.append(await item.fn(conn))
                    continue
                cache = await self._conv(conn, item.conversation_id)
                key = (item.sender, item.client_id)
                known = cache.by_client.get(key)
                if known is not None:
                    results.append(Stored(item.conversation_id, known[0], known[1], True))
                    continue
                cache.last_seq += 1
                cache.by_client[key] = (cache.last_seq, item.at)
                pending.append(
                    {
                        "conversation_id": item.conversation_id,
                        "seq": cache.last_seq,
                        "sender": item.sender,
                        "client_id": item.client_id,
                        "body": item.body,
                        "at": item.at,
                    }
                )
                results.append(Stored(item.conversation_id, cache.last_seq, item.at, False))
            if pending:
                await conn.execute(MESSAGES.insert(), pending)
        return results

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


def _aware(value: datetime) -> datetime:
    from datetime import UTC

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _iso(value: datetime) -> str:
    return value.isoformat()
