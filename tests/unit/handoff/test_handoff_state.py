"""Unit tests of the request state table."""

from __future__ import annotations

import pytest

from handoff.exceptions import InvalidTransition
from handoff.state import TERMINAL, TRANSITIONS, Event, State, transition


def test_terminal_states_have_no_way_out() -> None:
    """Once ended, left or referred, nothing can happen to a request any more."""
    for state in TERMINAL:
        for event in Event:
            with pytest.raises(InvalidTransition):
                transition(state, event)


def test_every_non_terminal_state_can_reach_a_terminal_one() -> None:
    """Every request can always still end: each state has a path to a terminal state."""
    for start in State:
        seen, todo = {start}, [start]
        while todo:
            s = todo.pop()
            for (a, _), b in TRANSITIONS.items():
                if a == s and b not in seen:
                    seen.add(b)
                    todo.append(b)
        assert seen & TERMINAL


def test_chat_states_cannot_be_accepted_twice() -> None:
    """An active conversation cannot be accepted again (no double assignment)."""
    with pytest.raises(InvalidTransition):
        transition(State.ACTIVE, Event.ACCEPT)
    assert transition(State.OFFERED, Event.ACCEPT) is State.ACTIVE
