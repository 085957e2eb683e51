"""Reconnecting after a server restart: the plan in virtual time, and the real client."""

from __future__ import annotations

import random
import time

from hypothesis import given, settings
from hypothesis import strategies as st

from game.conversation import Phase
from game.net import NetState
from game.reconnect import BACKOFF_CAP, ReconnectPlan
from tests.game.driver import frames, until
from tests.game.fake_server import FakeServer
from tests.game.test_network import opt_in

RTT = 0.05  # a connect attempt or a probe takes this long in the simulation


def first_connect_after(down_from: float, down_for: float, seed: int) -> float:
    """Drive the plan like the network thread does; returns when the socket is back."""
    plan = ReconnectPlan(rng=random.Random(seed).random)
    now = down_from
    plan.failed(now)  # the socket dropped when the server went down
    back = down_from + down_for
    for _ in range(100_000):
        kind, at = plan.next_event()
        now = max(now, at) + RTT
        if kind == "connect":
            if now >= back:
                return now
            plan.failed(now)
        else:
            plan.probed(now, healthy=now >= back)
    raise AssertionError("never reconnected")


@settings(max_examples=300, deadline=None)
@given(
    down_for=st.floats(min_value=0.0, max_value=600.0),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_socket_is_back_within_two_seconds_of_the_server(down_for: float, seed: int) -> None:
    """However long the server was down, the game reconnects within 2 s of it being back."""
    reconnected = first_connect_after(100.0, down_for, seed)
    assert reconnected - (100.0 + down_for) <= 2.0


@settings(max_examples=200, deadline=None)
@given(failures=st.integers(min_value=1, max_value=60), seed=st.integers(0, 2**32))
def test_backoff_is_capped_jittered_and_reset_by_health(failures: int, seed: int) -> None:
    """Delays grow but never pass the cap, vary between games, and a healthy probe resets them."""
    plan = ReconnectPlan(rng=random.Random(seed).random)
    for i in range(failures):
        plan.failed(float(i))
    delay = plan.connect_at - (failures - 1)
    assert 0 < delay <= BACKOFF_CAP
    plan.probed(1000.0, healthy=False)
    assert plan.next_event()[0] == "probe" or plan.connect_at <= plan.probe_at
    plan.probed(1000.0, healthy=True)
    assert plan.next_event() == ("connect", 1000.0) and plan.failures == 0
    delays = set()
    for s in range(5):
        other = ReconnectPlan(rng=random.Random(seed + s).random)
        for _ in range(8):
            other.failed(0.0)
        delays.add(round(other.connect_at, 6))
    assert len(delays) > 1  # jitter: games that lost the server together do not retry together


def test_game_reconnects_after_a_server_restart(home, server: FakeServer) -> None:  # noqa: ANN001
    """A chat survives the server going away for a few seconds; /healthz brings it back fast."""
    from tests.game.driver import make_app

    game = make_app(server.url, home)
    try:
        opt_in(game)
        until(game, lambda: game.conversation.phase == Phase.QUEUED)
        server.match()
        until(game, lambda: game.top.name == "chat")
        server.go_down()
        until(game, lambda: game.net.state == NetState.RECONNECTING, timeout=5)
        end = time.monotonic() + 3.0  # long enough for the backoff to have grown
        while time.monotonic() < end:
            frames(game, 1)
            time.sleep(0.01)
        probes_before = server.health_probes
        server.come_back()
        back = time.monotonic()
        until(game, lambda: game.net.state == NetState.ONLINE, timeout=10)
        took = time.monotonic() - back
        print(f"reconnected {took:.2f} s after the server was back")
        assert server.health_probes > probes_before or took < 1.0
        until(game, lambda: bool(server.frames_of("resume")), timeout=5)
        assert server.frames_of("resume")[-1]["conversation_id"] == "c1"
    finally:
        game.shutdown()
