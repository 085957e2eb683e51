"""The waiting queue: one heap per (organisation, language, required kind) bucket.

Order within a bucket is (priority, seq): crisis (0) before normal (1), then the sequence number
given at enqueue time (FIFO). Re-queued requests get a sequence number below every other one, so
they go to the front of their priority class. Removal is lazy: a stale heap entry is dropped
when it reaches the top, which keeps every operation O(log n).
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator

BucketKey = tuple[str, str, str | None]  # (organisation, language, required kind or None)
QueueKey = tuple[int, int]  # (priority, seq)


class WaitingQueue:
    """Priority queue of waiting request ids, indexed by bucket."""

    def __init__(self) -> None:
        self._heaps: dict[BucketKey, list[tuple[int, int, str]]] = {}
        self._live: dict[str, tuple[BucketKey, int, int]] = {}
        self._sizes: dict[BucketKey, int] = {}  # live entries per bucket

    def __len__(self) -> int:
        return len(self._live)

    def __contains__(self, request_id: object) -> bool:
        return request_id in self._live

    def push(self, bucket: BucketKey, request_id: str, key: QueueKey) -> None:
        """Add (or re-add) a request under ``bucket`` with ``key``."""
        priority, seq = key
        old = self._live.get(request_id)
        if old is not None:
            self._sizes[old[0]] -= 1
        self._live[request_id] = (bucket, priority, seq)
        self._sizes[bucket] = self._sizes.get(bucket, 0) + 1
        heapq.heappush(self._heaps.setdefault(bucket, []), (priority, seq, request_id))

    def remove(self, request_id: str) -> None:
        """Forget a request; its heap entry is discarded lazily."""
        old = self._live.pop(request_id, None)
        if old is not None:
            self._sizes[old[0]] -= 1

    def peek(self, bucket: BucketKey) -> tuple[int, int, str] | None:
        """The first live entry of ``bucket`` without removing it."""
        heap = self._heaps.get(bucket)
        if not heap:
            return None
        live = self._live
        while heap:
            priority, seq, rid = heap[0]
            entry = live.get(rid)
            if (
                entry is not None
                and entry[0] == bucket
                and entry[1] == priority
                and entry[2] == seq
            ):
                return heap[0]
            heapq.heappop(heap)
        return None

    def sizes(self) -> dict[BucketKey, int]:
        """How many requests wait in each bucket (buckets that ever had one)."""
        return self._sizes

    def first(self, bucket: BucketKey, limit: int) -> list[tuple[int, int, str]]:
        """The first ``limit`` live entries of ``bucket`` in order, without changing it.

        Walks the heap as a tree from its root (a node is never smaller than its parent),
        so the cost depends on ``limit`` and the stale entries met, not on the bucket size.
        """
        heap = self._heaps.get(bucket)
        if not heap:
            return []
        live = self._live
        out: list[tuple[int, int, str]] = []
        seen: set[str] = set()  # a request removed and pushed again has two equal entries
        frontier: list[tuple[tuple[int, int, str], int]] = [(heap[0], 0)]
        n = len(heap)
        while frontier and len(out) < limit:
            entry, i = heapq.heappop(frontier)
            known = live.get(entry[2])
            if known is not None and known == (bucket, entry[0], entry[1]) and entry[2] not in seen:
                seen.add(entry[2])
                out.append(entry)
            for child in (2 * i + 1, 2 * i + 2):
                if child < n:
                    heapq.heappush(frontier, (heap[child], child))
        return out

    def items(self) -> Iterator[tuple[str, BucketKey, QueueKey]]:
        """Every waiting request with its bucket and key, in no particular order."""
        for rid, (bucket, priority, seq) in self._live.items():
            yield rid, bucket, (priority, seq)
