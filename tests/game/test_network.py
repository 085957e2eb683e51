"""Playing online: organisation and content from the server, the opt-in handoff, the chat,
reconnecting without losing or repeating messages, and booking when the service is closed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import msgpack
import pygame
import pytest

from game.app import GameApp
from game.conversation import Phase
from game.net import NetClient, NetState
from tests.game.driver import (
    finish_text,
    frames,
    key,
    make_app,
    press,
    type_text,
    until,
)
from tests.game.fake_server import FakeServer


def to_offer(game: GameApp) -> None:
    key(game, pygame.K_RETURN)
    finish_text(game)
    key(game, pygame.K_t)
    assert game.top.name == "offer"


def opt_in(game: GameApp, fmt: str = "chat") -> None:
    """Offer -> yes -> choices -> confirm -> send."""
    to_offer(game)
    press(game, "yes")
    assert game.top.name == "preferences"
    press(game, "next")  # language and format are missing: a clear message, no request
    assert game.top.name == "preferences" and game.top.error
    press(game, "kind_former")
    press(game, "insist")
    press(game, "gender_none")
    press(game, "language_en")
    press(game, f"format_{fmt}")
    press(game, "next")
    assert game.top.name == "confirm"
    press(game, "send")
    assert game.top.name == "waiting"


def test_disclosure_shows_the_organisation_from_the_server(online_game: GameApp) -> None:
    """The first screen names the organisation and funder the server reports."""
    until(online_game, lambda: online_game.organisation is not None)
    frames(online_game, 2)
    texts = " ".join(online_game.top.panels()[0].texts())
    assert "Crossroads Exit Network (test)" in texts and "Test Foundation" in texts
    assert "just confirmed" in texts


def test_organisation_is_cached_for_offline_starts(home: Path, server: FakeServer) -> None:
    """After one online start, an offline start still names the organisation, marked as a copy."""
    first = make_app(server.url, home)
    until(first, lambda: first.organisation is not None)
    first.shutdown()
    second = make_app(None, home)
    try:
        texts = " ".join(second.top.panels()[0].texts())
        assert "Crossroads Exit Network (test)" in texts and "copy saved on this device" in texts
    finally:
        second.shutdown()


def test_content_is_verified_and_cached(home: Path, server: FakeServer) -> None:
    """A bundle from the server is kept only if it matches its hash, and is used offline next."""
    game = make_app(server.url, home)
    try:
        until(game, lambda: game.content_source == "server")
        cached = (home / "content" / "bundle.json").read_bytes()
        assert hashlib.sha256(cached).hexdigest() == server.bundle.sha256
    finally:
        game.shutdown()
    offline = make_app(None, home)
    try:
        assert offline.content_source == "cache"
        assert offline.bundle.sha256 == server.bundle.sha256
    finally:
        offline.shutdown()


def test_tampered_content_is_rejected(home: Path) -> None:
    """A bundle whose body does not match X-Content-Hash is refused; the offline copy stays."""
    from game.content import verify_bundle
    from game.exceptions import ContentIntegrityError

    server = FakeServer()
    body = server.bundle.to_bytes()
    try:
        verify_bundle(body.replace(b"Rain", b"Sun!"), server.bundle.sha256)
    except ContentIntegrityError:
        pass
    else:
        raise AssertionError("tampered bundle accepted")
    assert verify_bundle(body, server.bundle.sha256).sha256 == server.bundle.sha256


def test_offer_yes_choices_queue_chat_and_end(online_game: GameApp, server: FakeServer) -> None:
    """Saying yes, choosing, waiting, chatting with a counsellor and ending works end to end."""
    game = online_game
    until(game, lambda: game.organisation is not None)
    opt_in(game)
    until(game, lambda: game.conversation.phase == Phase.QUEUED)
    consent = server.frames_of("consent")[0]
    assert consent["consent"] is True and consent["offer_id"] == "offer.main"
    assert consent["bundle_hash"] == game.bundle.sha256
    assert consent["choices"] == {
        "kind": "former",
        "kind_required": True,
        "gender": None,
        "age_band": None,
        "language": "en",
        "format": "chat",
        "crisis": False,
    }
    frames(game, 2)
    texts = " ".join(game.top.panels()[0].texts())
    assert "number 2" in texts and "4 min" in texts
    server.match()
    until(game, lambda: game.top.name == "chat")
    assert "Alex" in game.top.title() and "former extremist" in game.top.title()
    assert game.sounds.played == ["matched"]  # a chime says someone is there
    server.say("Hi, I am Alex. What is on your mind?")
    until(game, lambda: len(game.conversation.lines) == 1)
    server.typing(True)
    until(game, lambda: game.conversation.counsellor_typing)
    type_text(game, "Hallo, ich bin's — 你好 👋")
    key(game, pygame.K_RETURN)
    until(game, lambda: game.conversation.lines[-1].seq is not None)
    assert server.messages[-1]["text"] == "Hallo, ich bin's — 你好 👋"
    mine = game.conversation.lines[-1]
    assert game.top._meta(mine).endswith("delivered")
    server.read(mine.seq)
    until(game, lambda: game.conversation.read_upto == mine.seq)
    assert game.top._meta(mine).endswith("read")
    press(game, "end")
    until(game, lambda: game.conversation.phase == Phase.ENDED)
    assert not game.top.input.enabled


def test_waiting_player_can_keep_playing_and_leave(
    online_game: GameApp, server: FakeServer
) -> None:
    """While queued the player can go back to the story, sees the queue, and can leave it."""
    game = online_game
    opt_in(game)
    until(game, lambda: game.conversation.phase == Phase.QUEUED)
    press(game, "keep_playing")
    assert game.top.name == "story"
    frames(game, 2)
    _, status = __import__("tests.game.driver", fromlist=["find_button"]).find_button(
        game, "status"
    )
    assert "number 2" in status.texts()[0]
    key(game, pygame.K_c)
    assert game.top.name == "waiting"
    press(game, "leave")
    until(game, lambda: bool(server.frames_of("leave_queue")))
    assert game.conversation.phase == Phase.NONE and game.top.name == "story"


def test_reconnect_resumes_without_gaps_or_duplicates(
    online_game: GameApp, server: FakeServer
) -> None:
    """After the connection drops, missed messages arrive once and unsent ones are sent."""
    game = online_game
    opt_in(game)
    until(game, lambda: game.conversation.phase == Phase.QUEUED)
    server.match()
    until(game, lambda: game.top.name == "chat")
    server.say("first")
    until(game, lambda: len(game.conversation.lines) == 1)
    server.drop()
    until(game, lambda: game.net.state != NetState.ONLINE, timeout=3)
    server.say("missed while offline", deliver=False)
    type_text(game, "sent while offline")
    key(game, pygame.K_RETURN)
    until(game, lambda: game.net.state == NetState.ONLINE, timeout=8)
    until(
        game,
        lambda: (
            len(game.conversation.lines) >= 3
            and all(ln.seq is not None for ln in game.conversation.lines)
        ),
        timeout=5,
    )
    frames(game, 10)
    texts = [ln.text for ln in game.conversation.lines]
    assert texts.count("first") == 1 and texts.count("missed while offline") == 1
    assert texts.count("sent while offline") == 1
    # the server stored the offline message exactly once
    assert [m["text"] for m in server.messages].count("sent while offline") == 1
    resume = server.frames_of("resume")[-1]
    assert resume["conversation_id"] == "c1" and resume["last_seq"] >= 1
    seqs = [ln.seq for ln in game.conversation.lines]
    assert seqs == sorted(seqs)


def test_quick_exit_clears_chat_text(online_game: GameApp, server: FakeServer) -> None:
    """Quick exit from the chat removes every chat line from the screen and from memory."""
    game = online_game
    opt_in(game)
    until(game, lambda: game.conversation.phase == Phase.QUEUED)
    server.match()
    until(game, lambda: game.top.name == "chat")
    server.say("something private")
    until(game, lambda: len(game.conversation.lines) == 1)
    type_text(game, "half-written reply")
    key(game, pygame.K_ESCAPE)
    key(game, pygame.K_ESCAPE)
    assert game.scene_names() == ["neutral"]
    assert game.conversation.lines == []
    assert "something private" not in repr(game.conversation)
    server.say("sent just before you left")  # arrives while the cover page is up
    until(game, lambda: game.conversation.unseen == 1)
    assert game.conversation.lines == []  # counted, but no text kept behind the cover
    key(game, pygame.K_RETURN, mod=pygame.KMOD_CTRL)
    # back in the chat, which is loaded again from the server and says so
    assert game.top.name == "chat"
    until(
        game,
        lambda: (
            [ln.text for ln in game.conversation.lines if ln.sender == "counsellor"]
            == ["something private", "sent just before you left"]
        ),
    )
    assert game.conversation.lines[-1].text == "@reloaded"
    frames(game, 3)
    assert game.conversation.unseen == 0  # the chat is on screen: seen now


def test_closed_service_offers_booking_in_local_time(home: Path) -> None:
    """When the service is closed the player sees free times in local time and can book one."""
    server = FakeServer(open_now=False).start()
    game = make_app(server.url, home)
    try:
        until(game, lambda: game.organisation is not None)
        to_offer(game)
        texts = " ".join(game.top.panels()[0].texts())
        assert "closed right now" in texts and "Opening hours in your time" in texts
        game.pop()
        opt_in(game)
        until(game, lambda: game.conversation.phase == Phase.CLOSED and game.conversation.slots)
        frames(game, 2)
        press(game, "slot_0")
        until(game, lambda: game.conversation.phase == Phase.BOOKED)
        booking = server.frames_of("consent")[-1]
        assert booking["slot"] == "2030-01-07T09:00:00+00:00"
        assert booking["choices"]["format"] == "booking"
    finally:
        game.shutdown()
        server.stop()


def test_a_request_nobody_here_can_serve_is_explained_in_the_players_language(
    home: Path,
) -> None:
    """A German player whose choices nobody on the service can take reads why in German, with
    what to change and the helplines, not the server's English reason."""
    server = FakeServer().start()
    server.refuse_consent = {
        "type": "error",
        "code": "no_counsellor",
        "message": "No counsellor of this service speaks that language. Choose other options.",
        "ref": None,
    }
    game = make_app(server.url, home)
    try:
        game.settings.language = "de"
        game.apply_settings()
        until(game, lambda: game.organisation is not None)
        opt_in(game)
        until(game, lambda: game.conversation.phase == Phase.NONE and game.conversation.error)
        frames(game, 2)
        texts = " ".join(game.top.panels()[0].texts())
        assert game.top.name == "waiting"
        assert "Bei diesem Dienst kann niemand eine Anfrage mit diesen Angaben annehmen" in texts
        assert "ohne auf einer Art zu bestehen" in texts and "Hilfetelefone" in texts
        assert "No counsellor" not in texts and not server.queued
    finally:
        game.shutdown()
        server.stop()


def test_crisis_button_shows_helplines_at_once(online_game: GameApp) -> None:
    """'I need help now' shows the emergency contacts immediately and marks the request."""
    game = online_game
    to_offer(game)
    press(game, "yes")
    press(game, "crisis")
    assert game.top.name == "resources"
    texts = " ".join(game.top.panels()[0].texts())
    assert "112" in texts and "+44 20 0000 0000" in texts
    key(game, pygame.K_ESCAPE)
    frames(game, 40)
    assert game.top.name == "preferences" and game.top.crisis


def test_netclient_api_without_the_game(server: FakeServer, tmp_path: Path) -> None:
    """The network client can be used on its own: session, hello, consent, queue."""
    net = NetClient(server.url, token_path=tmp_path / "session.json")
    net.start()
    try:
        net.connect()
        net.wait_for(lambda f: f["type"] == "welcome")
        assert net.state == NetState.ONLINE
        net.send(
            {
                "type": "consent",
                "bundle_hash": server.bundle.sha256,
                "offer_id": "offer.main",
                "offer_version": 1,
                "consent": True,
                "choices": {
                    "language": "en",
                    "format": "chat",
                    "kind": None,
                    "kind_required": False,
                    "gender": None,
                    "age_band": None,
                    "crisis": False,
                },
            }
        )
        frames = net.wait_for(lambda f: f["type"] == "queued")
        assert frames[-1]["position"] == 2
    finally:
        net.stop()


def test_no_server_means_plain_offline_state(game: GameApp) -> None:
    """Without a server the client reports that network features are unavailable."""
    assert game.net.state == NetState.OFFLINE
    game.net.connect()
    assert game.net.poll() == [{"type": "net.unavailable", "what": "connect"}]


def test_restart_during_a_chat_resumes_it(home: Path, server: FakeServer) -> None:
    """Closing the game mid-chat and opening it again brings the conversation back."""
    first = make_app(server.url, home)
    opt_in(first)
    until(first, lambda: first.conversation.phase == Phase.QUEUED)
    server.match()
    until(first, lambda: first.top.name == "chat")
    server.say("Still there?")
    until(first, lambda: len(first.conversation.lines) == 1)
    first.shutdown()
    second = make_app(server.url, home)
    try:
        until(second, lambda: second.conversation.phase == Phase.MATCHED)
        until(second, lambda: [ln.text for ln in second.conversation.lines] == ["Still there?"])
        assert "still open" in (second.notice or "")
        key(second, pygame.K_RETURN)  # continue the story; the top bar shows the chat
        finish_text(second)
        key(second, pygame.K_c)
        assert second.top.name == "chat"
    finally:
        second.shutdown()


def test_erase_everything_from_the_chat(
    online_game: GameApp, server: FakeServer, home: Path
) -> None:
    """'Erase what I sent' asks once more, then the service deletes it and the code is gone."""
    game = online_game
    opt_in(game)
    until(game, lambda: game.conversation.phase == Phase.QUEUED)
    server.match()
    until(game, lambda: game.top.name == "chat")
    type_text(game, "please forget this")
    key(game, pygame.K_RETURN)
    until(game, lambda: game.conversation.lines[-1].seq is not None)
    press(game, "erase")
    assert server.erased == [] and "Press again" in game.top.panels()[0].texts()[-1] + " ".join(
        game.top.panels()[0].texts()
    )
    press(game, "erase")
    until(game, lambda: bool(server.erased) and (game.notice or "").startswith("Erased: 1"))
    assert game.top.name != "chat" and game.conversation.lines == []
    assert not game.net.has_session()
    assert "please forget" not in (home / "session.json").read_text()


@pytest.mark.parametrize("locale", ["en", "de"])
def test_handoff_screens_never_overflow_at_200_percent(
    online_game: GameApp, server: FakeServer, locale: str
) -> None:
    """At 200 % text the choices, confirmation, waiting and chat screens keep text in its box."""
    from tests.game.test_flows import overflowing

    game = online_game
    game.settings.text_scale = 200
    game.settings.language = locale
    game.apply_settings()
    key(game, pygame.K_RETURN)
    finish_text(game)
    key(game, pygame.K_t)
    problems = overflowing(game)
    press(game, "yes")
    problems += overflowing(game)
    press(game, "language_en")
    press(game, "format_chat")
    press(game, "next")
    problems += overflowing(game)
    press(game, "send")
    until(game, lambda: game.conversation.phase == Phase.QUEUED)
    frames(game, 2)
    problems += overflowing(game)
    server.match()
    until(game, lambda: game.top.name == "chat")
    server.say("Hallo! " + "Donaudampfschifffahrtsgesellschaftskapitän " * 3)
    until(game, lambda: len(game.conversation.lines) == 1)
    frames(game, 2)
    problems += overflowing(game)
    chat = game.top
    assert chat.area.bottom <= chat.input.rect.top and chat.header.rect.bottom <= chat.area.top
    assert problems == []


def test_garbled_server_frames_do_not_break_the_chat(
    online_game: GameApp, server: FakeServer
) -> None:
    """A broken frame from the server is reported and ignored; the chat carries on."""
    game = online_game
    opt_in(game)
    until(game, lambda: game.conversation.phase == Phase.QUEUED)
    server.match()
    until(game, lambda: game.top.name == "chat")
    server.send_raw(b"\xc1\xff not msgpack")
    server.send_raw(b"\x93\x01\x02\x03")  # a list, not a map
    server.say("still here")
    until(game, lambda: [ln.text for ln in game.conversation.lines] == ["still here"])
    assert game.net.state == NetState.ONLINE


#: Every frame the server may send the game, with its fields (docs/PROTOCOL.md); ``erased``
#: is left out because its valid meaning ends the session.
SERVER_FRAMES: dict[str, tuple[str, ...]] = {
    "welcome": ("v", "session_id", "state", "limits"),
    "service": ("open", "hours", "timezone", "next_open", "slots"),
    "queued": ("request_id", "position", "estimate_seconds", "requeued", "organisation"),
    "queue_update": ("position", "estimate_seconds"),
    "left": (),
    "matched": ("conversation_id", "counsellor", "transferred"),
    "ack": ("conversation_id", "client_id", "seq"),
    "message": ("conversation_id", "seq", "sender", "text", "at", "client_id"),
    "typing": ("conversation_id", "on"),
    "read": ("conversation_id", "seq"),
    "counsellor_lost": ("conversation_id", "until"),
    "counsellor_back": ("conversation_id",),
    "ended": ("conversation_id", "by", "outcome"),
    "referred": ("conversation_id", "organisation"),
    "booked": ("booking_id", "slot"),
    "booking_cancelled": ("booking_id",),
    "booking_reminder": ("booking_id", "slot_at", "starts_in_minutes"),
    "resumed": ("conversation_id", "last_seq"),
    "error": ("code", "message", "ref", "conversation_id"),
}
JUNK: tuple[object, ...] = (None, True, -1, 2**63, 1.5, "", "x", [], [1, "a"], {}, {"a": [1]})
PHASES = ("idle", "queued", "conversation", "booked", "nonsense")


def junk_frames() -> list[dict[str, object]]:
    """Each frame type with each field set, one at a time, to each kind of wrong value; and
    the welcome state of every phase with each of its fields wrong."""
    out: list[dict[str, object]] = []
    for kind, fields in SERVER_FRAMES.items():
        out.append({"type": kind})
        out += [{"type": kind, field: value} for field in fields for value in JUNK]
    state_fields = ("request_id", "position", "estimate_seconds", "conversation_id")
    state_fields += ("counsellor", "counsellor_present", "last_seq", "booking_id", "slot")
    for phase in PHASES:
        for field in state_fields:
            for value in JUNK:
                out.append({"type": "welcome", "state": {"phase": phase, field: value}})
    return out


def test_wrong_field_types_in_any_server_frame_never_stop_the_game(
    online_game: GameApp, server: FakeServer
) -> None:
    """Over 900 frames whose fields have the wrong type or shape reach the game while it
    waits in the queue; it keeps drawing, stays connected, and a real match and message
    afterwards still work."""
    game = online_game
    opt_in(game)
    until(game, lambda: game.conversation.phase == Phase.QUEUED)
    sweep = junk_frames()
    assert len(sweep) > 900
    for frame in sweep:
        server.send_raw(msgpack.packb(frame))
    server.send_raw(msgpack.packb({"type": "service", "timezone": "Europe/Sentinel"}))
    until(game, lambda: game.conversation.service_timezone == "Europe/Sentinel", timeout=30)
    frames(game, 3)
    assert game.net.state == NetState.ONLINE
    server.match()
    until(game, lambda: game.conversation.phase == Phase.MATCHED)
    server.say("still here")
    until(game, lambda: "still here" in [ln.text for ln in game.conversation.lines])
    frames(game, 3)


def test_book_a_time_and_cancel_it(online_game: GameApp, server: FakeServer) -> None:
    """Choosing 'Book a time' lists free times in local time; a booking can be cancelled."""
    game = online_game
    opt_in(game, fmt="booking")
    until(game, lambda: bool(game.conversation.slots))
    frames(game, 2)
    assert game.conversation.phase == Phase.CHOOSE_SLOT
    assert not server.frames_of("consent")  # nothing is requested before a time is chosen
    press(game, "slot_1")
    until(game, lambda: game.conversation.phase == Phase.BOOKED)
    assert server.frames_of("consent")[-1]["slot"] == "2030-01-07T09:30:00+00:00"
    frames(game, 2)
    assert any("Booked" in t for t in game.top.panels()[0].texts())
    press(game, "cancel_booking")
    until(game, lambda: bool(server.frames_of("cancel_booking")))
    assert game.conversation.phase == Phase.NONE and game.top.name == "story"


def test_unreachable_server_is_said_plainly(home: Path) -> None:
    """With a server configured but down, the offer says so and the game still plays."""
    from tests.e2e.server_process import free_port

    game = make_app(f"http://127.0.0.1:{free_port()}", home)
    try:
        until(game, lambda: game.org_error is not None)
        key(game, pygame.K_RETURN)
        finish_text(game)
        key(game, pygame.K_t)
        assert any("cannot be reached" in t for t in game.top.panels()[0].texts())
        press(game, "not_now")
        key(game, pygame.K_1)
        assert game.top.name == "story"
    finally:
        game.shutdown()


def test_restart_keeps_read_marks_and_the_new_message_button_works(
    home: Path, server: FakeServer
) -> None:
    """After a restart only unread messages count, "read" stays read, and C or Tab+Enter open it."""
    first = make_app(server.url, home)
    opt_in(first)
    until(first, lambda: first.conversation.phase == Phase.QUEUED)
    server.match()
    until(first, lambda: first.top.name == "chat")
    server.say("Hello, I'm Alex.")
    until(first, lambda: len(first.conversation.lines) == 1)
    frames(first, 3)  # the chat is on screen: the message is seen
    assert first.conversation.unseen == 0
    type_text(first, "hi")
    key(first, pygame.K_RETURN)
    until(first, lambda: first.conversation.lines[-1].seq == 2)
    server.read(2)
    until(first, lambda: first.conversation.read_upto == 2)
    frames(first, 2)
    first.shutdown()
    server.say("Take your time.", deliver=False)  # arrives while the game is closed
    second = make_app(server.url, home)
    try:
        conv = second.conversation
        until(second, lambda: len(conv.lines) == 3 and not conv.replaying)
        assert conv.unseen == 1
        assert second.top.name == "disclosure"
        assert second._status_label() == "1 new message (C)"
        from game.scenes.chat import ChatScene

        mine = next(ln for ln in conv.lines if ln.sender == "player")
        assert second.tr("chat.read") in ChatScene(second)._meta(mine)
        key(second, pygame.K_c)
        assert second.top.name == "chat"
        frames(second, 2)
        assert conv.unseen == 0
        key(second, pygame.K_ESCAPE)
        frames(second, 40)
        if second.top.name != "disclosure":
            second.open_about()
            frames(second, 2)
        server.say("One more thing.")
        until(second, lambda: conv.unseen == 1)
        for _ in range(12):  # Tab walks the page, then reaches the top bar's button
            if second.status_focused:
                break
            key(second, pygame.K_TAB)
        assert second.status_focused
        assert second.theme.last_ring is not None
        assert second.theme.last_ring.rect == second._status_button.rect
        key(second, pygame.K_RETURN)
        assert second.top.name == "chat"
    finally:
        second.shutdown()


def test_reload_after_quick_exit_says_only_what_is_true() -> None:
    """A live chat is fetched again on a fresh socket; an ended one says it is not shown again."""
    from game.conversation import ChatLine, Conversation

    class Net:
        reopened = 0

        def reopen(self) -> None:
            self.reopened += 1

    net = Net()
    conv = Conversation(net)  # type: ignore[arg-type]
    conv.phase, conv.conversation_id = Phase.MATCHED, "c1"
    conv.lines.append(ChatLine("counsellor", "hi", seq=1))
    conv.clear_screen_text()
    assert conv.reload() and net.reopened == 1 and conv.replaying
    assert [ln.text for ln in conv.lines] == ["@reloaded"]
    conv.phase = Phase.ENDED
    conv.clear_screen_text()
    assert conv.reload() and net.reopened == 1
    assert [ln.text for ln in conv.lines] == ["@cleared"]
    conv.reset()
    assert not conv.reload()  # nothing was open: nothing to say
