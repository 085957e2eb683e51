"""Honest wait estimates from recent handling times and the counsellors on shift.

The estimate is ``None`` ("unknown") whenever there is no basis: too few recently finished
conversations, or nobody on shift who could take the request. We never invent a number.
"""

from __future__ import annotations

import math
from collections import deque
from datetime import datetime, timedelta


class WaitEstimator:
    """Keeps the last ``window`` handling times (seconds) that ended within ``horizon``."""

    def __init__(
        self, *, window: int = 50, min_samples: int = 3, horizon: timedelta = timedelta(hours=8)
    ) -> None:
        self._samples: deque[tuple[datetime, float]] = deque(maxlen=window)
        self._min_samples = min_samples
        self._horizon = horizon

    def record(self, ended_at: datetime, handling_seconds: float) -> None:
        """Remember how long a finished conversation took."""
        if handling_seconds >= 0:
            self._samples.append((ended_at, handling_seconds))

    def mean_handling(self, now: datetime) -> float | None:
        """Mean handling time of recent conversations, or None without enough samples."""
        recent = [s for at, s in self._samples if now - at <= self._horizon]
        if len(recent) < self._min_samples:
            return None
        return sum(recent) / len(recent)

    def estimate(
        self, *, now: datetime, position: int, capacity_on_shift: int, free_slots: int
    ) -> int | None:
        """Seconds until a counsellor is likely free for the request at ``position`` (1-based).

        ``capacity_on_shift`` is the summed capacity of suitable counsellors who are available;
        ``free_slots`` how much of it is free right now.
        """
        if capacity_on_shift <= 0:
            return None
        if position <= free_slots:
            return 0
        mean = self.mean_handling(now)
        if mean is None:
            return None
        # Slots free up at capacity/mean per second; we need (position - free) of them.
        needed = position - free_slots
        seconds = needed * mean / capacity_on_shift
        # Round up to a whole minute: false precision would be dishonest too.
        return int(math.ceil(seconds / 60.0) * 60)
