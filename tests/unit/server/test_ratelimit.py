"""Per-address rate limits: bursts pass, floods are refused, honest waiting time."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from server.ratelimit import KeyedRateLimiter


def test_a_burst_passes_then_the_flood_is_refused_until_tokens_refill() -> None:
    """Ten quick requests pass, the eleventh waits about six seconds, then one more passes."""
    limiter = KeyedRateLimiter(rate=10 / 60, burst=10)
    assert all(limiter.allow("1.2.3.4", 0.0) for _ in range(10))
    assert not limiter.allow("1.2.3.4", 0.0)
    assert limiter.retry_after("1.2.3.4", 0.0) == 6
    assert limiter.allow("1.2.3.4", 6.0)


def test_addresses_do_not_share_a_bucket() -> None:
    """One address flooding does not lock out another player."""
    limiter = KeyedRateLimiter(rate=1, burst=1)
    assert limiter.allow("a", 0.0) and not limiter.allow("a", 0.0)
    assert limiter.allow("b", 0.0)


def test_memory_stays_bounded_under_many_addresses() -> None:
    """A flood from many addresses cannot grow the table without limit."""
    limiter = KeyedRateLimiter(rate=1, burst=2, max_keys=100)
    for i in range(1_000):
        limiter.allow(f"10.0.{i // 256}.{i % 256}", float(i) / 1000)
    assert len(limiter._buckets) <= 100


@given(st.lists(st.floats(min_value=0, max_value=0.5), min_size=1, max_size=200))
def test_never_more_than_burst_plus_refill(gaps: list[float]) -> None:
    """Over any period, no key gets more than the burst plus what the rate refilled."""
    limiter = KeyedRateLimiter(rate=2, burst=5)
    now, allowed = 0.0, 0
    for gap in gaps:
        now += gap
        allowed += limiter.allow("k", now)
    assert allowed <= 5 + 2 * now + 1e-9
