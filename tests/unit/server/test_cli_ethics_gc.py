"""``crossroads ethics verify`` and ``monitor`` pause the cycle collector only while verifying."""

from __future__ import annotations

import gc

import pytest

from server.cli_ethics import cycle_collection_paused


def test_the_collector_is_paused_inside_and_restored_after_success_or_failure() -> None:
    """A long verify runs without cycle collections, and the process gets its collector back
    whether the verification finished or raised."""
    assert gc.isenabled()
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(RuntimeError), cycle_collection_paused():
        raise RuntimeError("broken export")
    assert gc.isenabled()


def test_a_collector_that_was_off_stays_off() -> None:
    """A caller that had switched the collector off does not find it switched on."""
    gc.disable()
    try:
        with cycle_collection_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
