"""Playing online: organisation and content from the server, the opt-in handoff, the chat,
reconnecting without losing or repeating messages, and booking when the service is closed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pygame

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


def to_offer(app: GameApp) -> None:
    key(app, pygame.K_RETURN)
    finish_text(app)
    key(app, pygame.K_t)
    assert app.top.name == "offer"


def opt_in(app: GameApp, fmt: str = "chat") -> None:
    """Offer -> yes -> choices -> confirm -> send."""
    to_offer(app)
    press(app, "yes")
    assert app.top.name == "preferences"
    press(app, "next")  # language and format are missing: a clear message, no request
    assert app.top.name == "preferences" and app.top.error
    press(app, "kind_former")
    press(app, "insist")
    press(app, "gender_none")
    press(app, "language_en")
    press(app, f"format_{fmt}")
    press(app, "next")
    assert app.top.name == "confirm"
    press(app, "send")
    assert app.top.name == "waiting"


def test_disclosure_shows_the_organisation_from_the_server(online_app: GameApp) -> None:
    """The first screen names the organisation and funder the server reports."""
    until(online_app, lambda: online_app.organisation is not None)
    frames(online_app, 2)
    texts = " ".join(online_app.top.panels()[0].texts())
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
    app = make_app(server.url, home)
    try:
        until(app, lambda: app.content_source == "server")
        cached = (home / "content" / "bundle.json").read_bytes()
        assert hashlib.sha256(cached).hexdigest() == server.bundle.sha256
    finally:
        app.shutdown()
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


def test_offer_yes_choices_queue_chat_and_end(online_app: GameApp, server: FakeServer) -> None:
    """Saying yes, choosing, waiting, chatting with a counsellor and ending works end to end."""
    app = online_app
    until(app, lambda: app.organisation is not None)
    opt_in(app)
    until(app, lambda: app.conversation.phase == Phase.QUEUED)
    consent = server.frames_of("consent")[0]
    assert consent["consent"] is True and consent["offer_id"] == "offer.main"
    assert consent["bundle_hash"] == app.bundle.sha256
    assert consent["choices"] == {
        "kind": "former",
        "kind_required": True,
        "gender": None,
        "age_band": None,
        "language": "en",
        "format": "chat",
        "crisis": False,
    }
    frames(app, 2)
    texts = " ".join(app.top.panels()[0].texts())
    assert "number 2" in texts and "4 min" in texts
    server.match()
    until(app, lambda: app.top.name == "chat")
    assert "Alex" in app.top.title() and "former extremist" in app.top.title()
    server.say("Hi, I am Alex. What is on your mind?")
    until(app, lambda: len(app.conversation.lines) == 1)
    server.typing(True)
    until(app, lambda: app.conversation.counsellor_typing)
    type_text(app, "Hallo, ich bin's — 你好 👋")
    key(app, pygame.K_RETURN)
    until(app, lambda: app.conversation.lines[-1].seq is not None)
    assert server.messages[-1]["text"] == "Hallo, ich bin's — 你好 👋"
    mine = app.conversation.lines[-1]
    assert app.top._meta(mine).endswith("delivered")
    server.read(mine.seq)
    until(app, lambda: app.conversation.read_upto == mine.seq)
    assert app.top._meta(mine).endswith("read")
    press(app, "end")
    until(app, lambda: app.conversation.phase == Phase.ENDED)
    assert not app.top.input.enabled


def test_waiting_player_can_keep_playing_and_leave(online_app: GameApp, server: FakeServer) -> None:
    """While queued the player can go back to the story, sees the queue, and can leave it."""
    app = online_app
    opt_in(app)
    until(app, lambda: app.conversation.phase == Phase.QUEUED)
    press(app, "keep_playing")
    assert app.top.name == "story"
    frames(app, 2)
    _, status = __import__("tests.game.driver", fromlist=["find_button"]).find_button(app, "status")
    assert "number 2" in status.texts()[0]
    key(app, pygame.K_c)
    assert app.top.name == "waiting"
    press(app, "leave")
    until(app, lambda: bool(server.frames_of("leave_queue")))
    assert app.conversation.phase == Phase.NONE and app.top.name == "story"


def test_reconnect_resumes_without_gaps_or_duplicates(
    online_app: GameApp, server: FakeServer
) -> None:
    """After the connection drops, missed messages arrive once and unsent ones are sent."""
    app = online_app
    opt_in(app)
    until(app, lambda: app.conversation.phase == Phase.QUEUED)
    server.match()
    until(app, lambda: app.top.name == "chat")
    server.say("first")
    until(app, lambda: len(app.conversation.lines) == 1)
    server.drop()
    until(app, lambda: app.net.state != NetState.ONLINE, timeout=3)
    server.say("missed while offline", deliver=False)
    type_text(app, "sent while offline")
    key(app, pygame.K_RETURN)
    until(app, lambda: app.net.state == NetState.ONLINE, timeout=8)
    until(app, lambda: all(ln.seq is not None for ln in app.conversation.lines), timeout=5)
    texts = [ln.text for ln in app.conversation.lines]
    assert texts.count("first") == 1 and texts.count("missed while offline") == 1
    assert texts.count("sent while offline") == 1
    # the server stored the offline message exactly once
    assert [m["text"] for m in server.messages].count("sent while offline") == 1
    resume = server.frames_of("resume")[-1]
    assert resume["conversation_id"] == "c1" and resume["last_seq"] >= 1
    seqs = [ln.seq for ln in app.conversation.lines]
    assert seqs == sorted(seqs)


def test_quick_exit_clears_chat_text(online_app: GameApp, server: FakeServer) -> None:
    """Quick exit from the chat removes every chat line from the screen and from memory."""
    app = online_app
    opt_in(app)
    until(app, lambda: app.conversation.phase == Phase.QUEUED)
    server.match()
    until(app, lambda: app.top.name == "chat")
    server.say("something private")
    until(app, lambda: len(app.conversation.lines) == 1)
    type_text(app, "half-written reply")
    key(app, pygame.K_ESCAPE)
    key(app, pygame.K_ESCAPE)
    assert app.scene_names() == ["neutral"]
    assert app.conversation.lines == []
    key(app, pygame.K_RETURN, mod=pygame.KMOD_CTRL)
    assert "chat" not in app.scene_names()


def test_closed_service_offers_booking_in_local_time(home: Path) -> None:
    """When the service is closed the player sees free times in local time and can book one."""
    server = FakeServer(open_now=False).start()
    app = make_app(server.url, home)
    try:
        until(app, lambda: app.organisation is not None)
        to_offer(app)
        texts = " ".join(app.top.panels()[0].texts())
        assert "closed right now" in texts and "Opening hours in your time" in texts
        app.pop()
        opt_in(app)
        until(app, lambda: app.conversation.phase == Phase.CLOSED and app.conversation.slots)
        frames(app, 2)
        press(app, "slot_0")
        until(app, lambda: app.conversation.phase == Phase.BOOKED)
        booking = server.frames_of("consent")[-1]
        assert booking["slot"] == "2030-01-07T09:00:00+00:00"
        assert booking["choices"]["format"] == "booking"
    finally:
        app.shutdown()
        server.stop()


def test_crisis_button_shows_helplines_at_once(online_app: GameApp) -> None:
    """'I need help now' shows the emergency contacts immediately and marks the request."""
    app = online_app
    to_offer(app)
    press(app, "yes")
    press(app, "crisis")
    assert app.top.name == "resources"
    texts = " ".join(app.top.panels()[0].texts())
    assert "112" in texts and "+44 20 0000 0000" in texts
    key(app, pygame.K_ESCAPE)
    frames(app, 40)
    assert app.top.name == "preferences" and app.top.crisis


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


def test_no_server_means_plain_offline_state(app: GameApp) -> None:
    """Without a server the client reports that network features are unavailable."""
    assert app.net.state == NetState.OFFLINE
    app.net.connect()
    assert app.net.poll() == [{"type": "net.unavailable", "what": "connect"}]
