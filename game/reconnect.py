"""When the game tries its WebSocket again after losing it: a plan with no I/O and no clock.

A server restart used to cost a player 13 to 28 seconds: the backoff doubled up to 15 s while
the server was down and then waited it out in full, although the server was back after 6 s.
The plan keeps the backoff (so a thousand games do not hammer a server that is down) but caps
it, jitters it (so they do not come back in step), and between attempts asks the cheap
`GET /healthz` every 0.4-0.8 s: the first healthy answer resets the backoff and the socket is
tried at once, so the game is back within about a second of the server.

Theory of operation (time is passed in; the network thread feeds it `loop.time()`):
1. `failed(now)`: a connection attempt failed. The next attempt is due after the backoff
   (0.25 s doubling to at most `cap`, each delay scaled by a random factor in [0.5, 1]); the
   next health probe is due after one probe interval.
2. `next_event()`: ("connect", t) or ("probe", t), whichever is earlier.
3. `probed(now, healthy)`: a healthy answer resets the backoff and makes the attempt due now;
   otherwise the next probe is due one interval later.
4. `connected()`: the socket is open and welcomed: the backoff starts again from its start.
"""

from __future__ import annotations

import random
from collections.abc import Callable

BACKOFF_START = 0.25
BACKOFF_CAP = 5.0
PROBE_MIN = 0.4
PROBE_MAX = 0.8


class ReconnectPlan:
    """Capped, jittered backoff between socket attempts, cut short by a healthy /healthz."""

    def __init__(
        self,
        *,
        start: float = BACKOFF_START,
        cap: float = BACKOFF_CAP,
        probe: tuple[float, float] = (PROBE_MIN, PROBE_MAX),
        rng: Callable[[], float] = random.random,
    ) -> None:
        self.start = start
        self.cap = cap
        self.probe_range = probe
        self._rng = rng
        self.failures = 0
        self.connect_at = 0.0
        self.probe_at = float("inf")

    def delay(self) -> float:
        """The backoff before the next attempt after `failures` failed ones (jittered)."""
        base = min(self.cap, self.start * 2.0 ** min(30, max(0, self.failures - 1)))
        return base * (0.5 + self._rng() / 2)

    def _probe_interval(self) -> float:
        lo, hi = self.probe_range
        return lo + (hi - lo) * self._rng()

    def failed(self, now: float) -> None:
        self.failures += 1
        self.connect_at = now + self.delay()
        self.probe_at = now + self._probe_interval()

    def probed(self, now: float, healthy: bool) -> None:
        if healthy:
            self.failures = 0
            self.connect_at = now
            self.probe_at = float("inf")
        else:
            self.probe_at = now + self._probe_interval()

    def connected(self) -> None:
        self.failures = 0
        self.connect_at = 0.0
        self.probe_at = float("inf")

    def next_event(self) -> tuple[str, float]:
        if self.connect_at <= self.probe_at:
            return "connect", self.connect_at
        return "probe", self.probe_at
