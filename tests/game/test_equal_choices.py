"""Wherever the player decides about contact, the choices look equal: size, weight, colour.

Each screen is rendered for real (SDL's dummy driver) at 100% and 200% text size, and the
buttons of one decision are compared by their rectangle, their font role and the colour of
their face as drawn on the screen.
"""

from __future__ import annotations

from unittest import mock

import pytest

from game.app import GameApp
from tests.game.driver import find_button, frames, press, until
from tests.game.fake_server import FakeServer
from tests.game.test_network import to_offer


def face(game: GameApp, ident: str) -> tuple[tuple[int, int], str, tuple[int, int, int]]:
    """(size, font role, face colour on screen) of one button."""
    panel, button = find_button(game, ident)
    panel.ensure_visible(button)
    # no pointer over the window: one left over a button by an earlier test would tint it
    with mock.patch("pygame.mouse.get_focused", return_value=False):
        frames(game, 1)
    rect = panel.screen_rect(button)
    colour = game.screen.get_at((rect.centerx, rect.top + max(3, rect.height // 8)))
    return rect.size, button.role, (colour.r, colour.g, colour.b)


def assert_equal(game: GameApp, *idents: str) -> None:
    faces = {ident: face(game, ident) for ident in idents}
    assert len(set(faces.values())) == 1, faces


def set_scale(game: GameApp, scale: int) -> None:
    game.settings.text_scale = scale
    game.apply_settings()
    frames(game, 2)


def to_confirm(game: GameApp) -> None:
    to_offer(game)
    press(game, "yes")
    for ident in ("kind_none", "gender_none", "language_en", "format_chat", "next"):
        press(game, ident)
    assert game.top is not None and game.top.name == "confirm"


@pytest.mark.parametrize("scale", [100, 200])
def test_offer_yes_and_not_now_are_equal(online_game: GameApp, scale: int) -> None:
    """The offer's two answers are drawn the same."""
    to_offer(online_game)
    set_scale(online_game, scale)
    assert_equal(online_game, "yes", "not_now")


@pytest.mark.parametrize("scale", [100, 200])
def test_confirm_send_and_cancel_are_equal(online_game: GameApp, scale: int) -> None:
    """'Send my request' is not styled louder than 'Cancel' or 'Change my choices'."""
    to_confirm(online_game)
    set_scale(online_game, scale)
    assert_equal(online_game, "send", "change", "cancel")


@pytest.mark.parametrize("scale", [100, 200])
def test_staying_in_and_leaving_the_queue_are_equal(online_game: GameApp, scale: int) -> None:
    """In the queue, carrying on and leaving look the same."""
    game = online_game
    to_confirm(game)
    press(game, "send")
    until(game, lambda: game.top is not None and game.top.name == "waiting")
    set_scale(game, scale)
    assert_equal(game, "keep_playing", "leave")


@pytest.mark.parametrize("scale", [100, 200])
def test_ending_the_chat_and_going_back_are_equal(
    online_game: GameApp, server: FakeServer, scale: int
) -> None:
    """In the chat, 'End chat' is neither hidden nor alarming beside 'Back to the game'."""
    game = online_game
    to_confirm(game)
    press(game, "send")
    until(game, lambda: server.queued)
    server.match()
    until(game, lambda: game.top is not None and game.top.name == "chat")
    set_scale(game, scale)
    assert_equal(game, "back_to_game", "end")
