"""The agreed objective and "Did this help?" in the game, against the fake server."""

from __future__ import annotations

import pygame

from game.app import GameApp
from game.conversation import Conversation, Phase
from tests.game.driver import finish_text, frames, key, press, type_text, until
from tests.game.fake_server import FakeServer


def _opt_in_with_objective(game: GameApp) -> None:
    key(game, pygame.K_RETURN)
    finish_text(game)
    key(game, pygame.K_t)
    press(game, "yes")
    press(game, "language_en")
    press(game, "format_chat")
    press(game, "objective_leave_group")
    press(game, "objective_note")
    assert game.top.name == "objective_note"
    type_text(game, "my cousin's  group")
    key(game, pygame.K_RETURN)
    assert game.top.name == "preferences"
    press(game, "next")
    assert game.top.name == "confirm"
    texts = " ".join(game.top.panels()[0].texts())
    assert "What you want from the talk: Get out of a group: “my cousin's group”" in texts
    press(game, "send")


def _texts(game: GameApp) -> str:
    frames(game, 2)
    return " ".join(
        game.top.line_text(line) for line in game.conversation.lines if line.sender == "system"
    )


def test_objective_pick_agree_suggest_and_feedback(
    online_game: GameApp, server: FakeServer
) -> None:
    """The pick goes with the consent; the counsellor's suggestion is agreed with one button; the
    player suggests another; after the end "Did this help?" is answered once."""
    game = online_game
    until(game, lambda: game.organisation is not None)
    _opt_in_with_objective(game)
    until(game, lambda: game.conversation.phase == Phase.QUEUED)
    choices = server.frames_of("consent")[0]["choices"]
    assert (choices["objective"], choices["objective_note"]) == ("leave_group", "my cousin's group")
    server.match()
    until(game, lambda: game.top.name == "chat")

    proposal = {
        "type": "objective", "conversation_id": "c1", "proposal_id": "p2",
        "objective": "understand", "note": "first, what happened", "by": "counsellor",
        "state": "proposed", "at": "2026-12-04T10:00:00+00:00",
    }  # fmt: skip
    server.call(server.send(proposal))
    until(game, lambda: game.conversation.objective_open is not None)
    assert (
        "Your counsellor suggests: Understand what is happening to me: “first, what happened”"
        in _texts(game)
    )
    press(game, "objective_agree")
    until(game, lambda: bool(server.frames_of("objective_answer")))
    assert server.frames_of("objective_answer")[0] == {
        "type": "objective_answer", "proposal_id": "p2", "accept": True,
    }  # fmt: skip
    server.call(server.send({**proposal, "state": "agreed"}))
    until(game, lambda: game.conversation.objective_agreed is not None)
    assert "Agreed: Understand what is happening to me" in _texts(game)

    press(game, "objective_suggest")
    assert game.top.name == "objective"
    press(game, "objective_talk")
    press(game, "send")
    until(game, lambda: bool(server.frames_of("objective_propose")))
    assert server.frames_of("objective_propose")[0]["objective"] == "talk"
    assert game.top.name == "chat"

    server.end()
    until(game, lambda: game.conversation.feedback == "ask")
    frames(game, 2)
    assert "Did this help?" in " ".join(game.top.panels()[0].texts())
    press(game, "feedback_yes")
    until(game, lambda: bool(server.frames_of("feedback")))
    assert server.frames_of("feedback") == [
        {"type": "feedback", "conversation_id": "c1", "helped": True}
    ]
    frames(game, 2)
    assert "Thank you for answering." in " ".join(game.top.panels()[0].texts())
    game.conversation.answer_feedback(False)  # asked once: a second answer sends nothing
    frames(game, 5)
    assert len(server.frames_of("feedback")) == 1


def test_no_objective_means_nothing_extra_is_sent(online_game: GameApp, server: FakeServer) -> None:
    """A player who leaves the objective open sends no objective and cannot add a line."""
    game = online_game
    until(game, lambda: game.organisation is not None)
    key(game, pygame.K_RETURN)
    finish_text(game)
    key(game, pygame.K_t)
    press(game, "yes")
    press(game, "objective_note")  # disabled until an objective is chosen
    assert game.top.name == "preferences"
    press(game, "language_en")
    press(game, "format_chat")
    press(game, "next")
    press(game, "send")
    until(game, lambda: bool(server.frames_of("consent")))
    assert "objective" not in server.frames_of("consent")[0]["choices"]


def test_skipping_feedback_sends_nothing() -> None:
    """Skip is as easy as answering, and leaves no trace on the wire."""

    class Net:
        sent: list[dict[str, object]] = []

        def send(self, frame: dict[str, object]) -> None:
            self.sent.append(frame)

    conv = Conversation(net=Net())  # type: ignore[arg-type]
    conv.conversation_id = "c1"
    conv.feedback = "ask"
    conv.answer_feedback(None)
    assert conv.feedback == "skipped" and Net.sent == []


def test_foreign_or_malformed_objective_frames_are_ignored() -> None:
    """An objective frame for another conversation or with a wrong field changes nothing."""
    conv = Conversation()
    conv.conversation_id = "c1"
    base = {"type": "objective", "conversation_id": "c1", "proposal_id": "p", "objective": "talk",
            "by": "counsellor", "state": "proposed", "at": "x"}  # fmt: skip
    assert conv.apply({**base, "conversation_id": "other"}) is None
    assert conv.apply({**base, "by": "someone"}) is None
    assert conv.apply({**base, "state": "whatever"}) is None
    assert conv.objective_open is None and conv.lines == []
    assert conv.apply(base) == "objective" and conv.objective_open is not None
