"""The reminder shortly before a booked slot: said once, in the player's own time and language,
without pressure; broken reminder frames change nothing; quick exit hides it like everything."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any

import pygame
import pytest

from game.app import REMINDER_NOTICE_SECONDS, GameApp
from game.conversation import Conversation, Phase
from game.net import NetState
from tests.game.driver import click, frames, key, press, until
from tests.game.fake_server import FakeServer
from tests.game.test_network import opt_in

SLOT = "2030-01-07T09:00:00+00:00"  # the fake server's first free slot: a Monday, 10:00 in Berlin
EN_TEXT = (
    "Your booked conversation starts at Mon 07.01. 10:00 (in about 10 min). Open “Talk to "
    "someone” if you still want it; you can also cancel the booking there."
)
DE_TEXT = (
    "Dein gebuchtes Gespräch beginnt am Mo 07.01. 10:00 (in etwa 10 Min.). Öffne „Mit jemandem "
    "reden“, wenn du es noch möchtest; dort kannst du die Buchung auch absagen."
)


def reminder(**overrides: Any) -> dict[str, Any]:
    frame: dict[str, Any] = {
        "type": "booking_reminder",
        "booking_id": "b1",  # what the fake server answers every booking with
        "slot_at": SLOT,
        "starts_in_minutes": 10,
    }
    frame.update(overrides)
    return frame


@pytest.fixture
def berlin() -> Iterator[None]:
    """Play in Berlin time, so the reminder's UTC slot must be converted to be right."""
    old = os.environ.get("TZ")
    os.environ["TZ"] = "Europe/Berlin"
    time.tzset()
    yield
    if old is None:
        os.environ.pop("TZ", None)
    else:
        os.environ["TZ"] = old
    time.tzset()


def book_first_slot(game: GameApp) -> None:
    opt_in(game, fmt="booking")
    until(game, lambda: bool(game.conversation.slots))
    frames(game, 2)
    press(game, "slot_0")
    until(game, lambda: game.conversation.phase == Phase.BOOKED)
    key(game, pygame.K_ESCAPE)  # back to the story: the booking shows in the top bar
    frames(game, 1, dt=REMINDER_NOTICE_SECONDS)  # let the "Booked for" notice go
    assert game.top is not None and game.top.name == "story" and game.notice is None


def send(server: FakeServer, frame: dict[str, Any]) -> None:
    server.call(server.send(frame))


def notice_is_drawn(game: GameApp) -> bool:
    """The notice box sits at the bottom of the window in the accent colour."""
    point = (game.size[0] // 2, game.size[1] - game.theme.px(16) - 3)
    return bool(game.screen.get_at(point) == pygame.Color(game.theme.palette.accent))


@pytest.mark.parametrize(("language", "expected"), [("en", EN_TEXT), ("de", DE_TEXT)])
def test_booked_player_is_reminded_in_local_time(
    online_game: GameApp, server: FakeServer, berlin: None, language: str, expected: str
) -> None:
    """About ten minutes before the slot a notice names the slot in the player's own time, on
    every screen, and goes by itself; nothing is sent or decided for the player."""
    game = online_game
    game.settings.language = language
    game.apply_settings()
    book_first_slot(game)
    sent_before = len(server.received)
    assert not notice_is_drawn(game)
    send(server, reminder())
    until(game, lambda: game.notice is not None)
    assert game.notice == expected
    assert notice_is_drawn(game)
    key(game, pygame.K_F2)  # another screen shows the same notice
    assert game.top.name == "settings" and game.notice == expected and notice_is_drawn(game)
    key(game, pygame.K_ESCAPE)
    frames(game, 1, dt=REMINDER_NOTICE_SECONDS)
    assert game.notice is None  # not blocking, gone by itself
    assert game.conversation.phase == Phase.BOOKED
    assert len(server.received) == sent_before  # the player is free not to come


def test_reminder_is_spoken_with_self_voicing(
    online_game: GameApp, server: FakeServer, berlin: None
) -> None:
    game = online_game
    game.settings.self_voicing = True
    game.apply_settings()
    book_first_slot(game)
    send(server, reminder(starts_in_minutes=0))
    until(game, lambda: game.notice is not None)
    assert game.notice is not None and game.notice.startswith(
        "Your booked conversation starts now (Mon 07.01. 10:00)."
    )
    assert game.notice in game.voice.spoken


@pytest.mark.parametrize(
    "frame",
    [
        {"type": "booking_reminder"},
        reminder(booking_id=None),
        reminder(booking_id=17),
        reminder(booking_id=""),
        reminder(slot_at=None),
        reminder(slot_at=1_700_000_000),
        reminder(slot_at="tomorrow at two"),
        reminder(slot_at="9999-12-31T23:59:59+00:00"),
        reminder(slot_at=["2030-01-07T09:00:00+00:00"]),
        reminder(starts_in_minutes="10"),
        reminder(starts_in_minutes=None),
        reminder(starts_in_minutes=True),
        reminder(starts_in_minutes=-3),
        reminder(starts_in_minutes=9.5),
        reminder(booking_id="someone-else"),  # a booking this player does not hold
    ],
)
def test_malformed_reminders_are_ignored(
    online_game: GameApp, server: FakeServer, berlin: None, frame: dict[str, Any]
) -> None:
    """A broken reminder shows nothing and changes nothing; the next good one still works."""
    game = online_game
    book_first_slot(game)
    send(server, frame)
    send(server, reminder())
    until(game, lambda: game.notice is not None)
    assert game.notice == EN_TEXT
    assert game.net.state == NetState.ONLINE and game.running


@pytest.mark.parametrize("how", ["double_escape", "button"])
def test_quick_exit_clears_the_reminder(
    online_game: GameApp, server: FakeServer, berlin: None, how: str
) -> None:
    """Quick exit (double Escape or its button) hides the reminder at once, and coming back
    does not bring it back."""
    game = online_game
    book_first_slot(game)
    send(server, reminder())
    until(game, lambda: game.notice is not None)
    if how == "button":
        click(game, game._quick_button.rect.center)
    else:
        key(game, pygame.K_ESCAPE)
        key(game, pygame.K_ESCAPE)
    assert game.scene_names() == ["neutral"] and game.notice is None
    assert not notice_is_drawn(game)
    key(game, pygame.K_RETURN, mod=pygame.KMOD_CTRL)
    assert game.scene_names()[-1] == "story" and game.notice is None


def test_reminder_behind_the_quick_exit_screen_waits(
    online_game: GameApp, server: FakeServer, berlin: None
) -> None:
    """A reminder arriving while the neutral screen is up is neither shown nor spoken there (it
    would give away what the player hid); it is said when the player comes back."""
    game = online_game
    game.settings.self_voicing = True
    game.apply_settings()
    book_first_slot(game)
    key(game, pygame.K_ESCAPE)
    key(game, pygame.K_ESCAPE)
    assert game.scene_names() == ["neutral"]
    spoken = len(game.voice.spoken)
    send(server, reminder(starts_in_minutes=5))
    until(game, lambda: game.conversation.reminder_minutes == 5)
    frames(game, 2)
    assert game.notice is None and not notice_is_drawn(game)
    assert not any("booked" in text for text in game.voice.spoken[spoken:])
    frames(game, 1, dt=125.0)  # the player stays away two minutes
    key(game, pygame.K_RETURN, mod=pygame.KMOD_CTRL)
    assert game.notice is not None and "(in about 3 min)" in game.notice
    assert game.notice in game.voice.spoken


def test_no_notice_is_spoken_behind_the_quick_exit_screen(
    online_game: GameApp, server: FakeServer
) -> None:
    """The same holds for every notice: a counsellor's message arriving while the neutral
    screen is up is not announced there, in writing or aloud."""
    game = online_game
    game.settings.self_voicing = True
    game.apply_settings()
    opt_in(game)
    until(game, lambda: game.conversation.phase == Phase.QUEUED)
    server.match()
    until(game, lambda: game.top.name == "chat")
    key(game, pygame.K_ESCAPE)
    key(game, pygame.K_ESCAPE)
    spoken = len(game.voice.spoken)
    server.say("are you there?")
    until(game, lambda: game.conversation.unseen == 1)
    frames(game, 2)
    assert game.scene_names() == ["neutral"] and game.notice is None
    assert game.voice.spoken[spoken:] == []


# -- the conversation state alone -----------------------------------------------------------


def test_reminder_without_a_booking_here_adopts_it() -> None:
    """If the `booked` frame was missed, the reminder still tells the player about it."""
    conv = Conversation()
    assert conv.apply(reminder(slot_at="2030-01-07T09:00:00Z")) == "booking_reminder"
    assert conv.phase == Phase.BOOKED and conv.booking_id == "b1"
    assert conv.booked_slot == conv.reminder_slot == SLOT
    assert conv.reminder_minutes == 10


def test_reminder_is_said_once_and_only_for_this_booking() -> None:
    conv = Conversation()
    conv.apply({"type": "booked", "booking_id": "b1", "slot": SLOT})
    assert conv.apply(reminder(booking_id="b2")) is None
    assert conv.reminder_slot is None and conv.booking_id == "b1"
    assert conv.apply(reminder()) == "booking_reminder"
    assert conv.apply(reminder(starts_in_minutes=8)) is None  # a repeat: no second notice
    assert conv.reminder_minutes == 8
    conv.apply({"type": "booking_cancelled", "booking_id": "b1"})
    assert conv.reminder_slot is None and conv.phase == Phase.NONE


def test_reminder_never_overrides_a_live_chat() -> None:
    conv = Conversation()
    conv.apply({"type": "matched", "conversation_id": "c1", "counsellor": {}})
    assert conv.apply(reminder()) is None
    assert conv.phase == Phase.MATCHED and conv.booking_id is None


@pytest.mark.parametrize(
    "frame",
    [
        reminder(booking_id={"id": "b1"}),
        reminder(slot_at=b"2030-01-07T09:00:00+00:00"),
        reminder(slot_at=""),
        reminder(starts_in_minutes=[10]),
        {"type": "booking_reminder", "booking_id": "b1"},
    ],
)
def test_malformed_reminder_leaves_state_alone(frame: dict[str, Any]) -> None:
    conv = Conversation()
    assert conv.apply(frame) is None
    assert conv.phase == Phase.NONE and conv.booking_id is None and conv.reminder_slot is None
