"""Per-key token buckets for HTTP endpoints anyone can call (anonymous session creation).

Time is passed in, so tests need no sleeping. A key is usually a player's address, so it is
held only in memory and only for the limiter's window (the time a bucket takes to refill
completely): a full bucket carries no information and is dropped at the next call after
that, and the table never grows past ``max_keys``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass
class _Bucket:
    tokens: float
    stamp: float


class KeyedRateLimiter:
    """``rate`` events per second per key, with bursts up to ``burst``."""

    def __init__(self, *, rate: float, burst: int, max_keys: int = 50_000) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("rate must be positive and burst at least 1")
        self.rate = rate
        self.burst = float(burst)
        self.max_keys = max_keys
        #: seconds after its last use that a key is forgotten
        self.window = self.burst / rate
        self._buckets: dict[str, _Bucket] = {}
        self._swept = -math.inf

    def __len__(self) -> int:
        """How many keys are held right now."""
        return len(self._buckets)

    def _refilled(self, bucket: _Bucket, now: float) -> float:
        return min(self.burst, bucket.tokens + (now - bucket.stamp) * self.rate)

    def allow(self, key: str, now: float) -> bool:
        """Take one token for ``key`` at monotonic time ``now``; False when none is left."""
        if now - self._swept >= min(1.0, self.window):
            self.forget_expired(now)
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) >= self.max_keys:
                self._prune(now)
            bucket = self._buckets[key] = _Bucket(self.burst, now)
        bucket.tokens = self._refilled(bucket, now)
        bucket.stamp = now
        if bucket.tokens < 1.0:
            return False
        bucket.tokens -= 1.0
        return True

    def retry_after(self, key: str, now: float) -> int:
        """Whole seconds until ``key`` may try again (at least 1)."""
        bucket = self._buckets.get(key)
        if bucket is None:
            return 1
        missing = 1.0 - self._refilled(bucket, now)
        return max(1, math.ceil(missing / self.rate))

    def forget_expired(self, now: float) -> None:
        """Drop every key unused for a whole window (its bucket is full again)."""
        self._swept = now
        expired = [k for k, b in self._buckets.items() if now - b.stamp >= self.window]
        for key in expired:
            del self._buckets[key]

    def _prune(self, now: float) -> None:
        full = [k for k, b in self._buckets.items() if self._refilled(b, now) >= self.burst]
        for key in full:
            del self._buckets[key]
        if len(self._buckets) >= self.max_keys:  # everyone is busy: forget the oldest half
            for key in sorted(self._buckets, key=lambda k: self._buckets[k].stamp)[
                : self.max_keys // 2
            ]:
                del self._buckets[key]
