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


def test_addresses_are_forgotten_after_the_window() -> None:
    """A client's address is held only for the limiter's window, even when the table is small."""
    limiter = KeyedRateLimiter(rate=10 / 60, burst=10)  # window: one minute
    assert limiter.window == 60
    limiter.allow("203.0.113.7", now=0.0)
    limiter.allow("198.51.100.2", now=30.0)
    assert len(limiter) == 2
    limiter.allow("192.0.2.1", now=61.0)  # any later call sweeps what has expired
    assert len(limiter) == 2 and "203.0.113.7" not in limiter._buckets
    limiter.forget_expired(now=200.0)
    assert len(limiter) == 0


def test_forgetting_does_not_reset_a_limited_client() -> None:
    """A client still within its window keeps its (empty) bucket and stays limited."""
    limiter = KeyedRateLimiter(rate=1 / 60, burst=2)  # window: two minutes
    assert limiter.allow("a", now=0.0) and limiter.allow("a", now=1.0)
    assert not limiter.allow("a", now=5.0)
    limiter.forget_expired(now=10.0)
    assert not limiter.allow("a", now=11.0)
