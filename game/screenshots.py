"""Render every scene to PNG for the docs: `python -m game.screenshots --out docs/screenshots`.

Each scene is drawn at 1280x720 at 100 % text (game-<scene>.png) and at 200 % text
(game-<scene>-200.png) under SDL's dummy video driver. Network state is staged with a stub
client and demo organisation data, so the pictures show what a player would see online.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from game.paths import ROOT, STORY

DEMO_ORG = {
    "name": "Crossroads Exit Network (demo)",
    "funder": "Demo Foundation for Civic Education",
    "contact_url": "https://crossroads.example.org",
    "description": "A small exit programme: trained counsellors, former extremists and "
    "survivors who talk with young people.",
    "timezone": "Europe/Berlin",
    "service_hours": {d: [["10:00", "18:00"]] for d in ("mon", "tue", "wed", "thu", "fri")},
    "open_now": True,
    "kinds_available_now": ["former", "peer", "professional"],
    "emergency_contact": "the emergency services (112)",
    "shares_identifying_details": False,
    "tells_player_first": True,
    "retention_days": 30,
}


def _stub_net() -> Any:
    from game.net import NetClient, NetState

    class StubNet(NetClient):
        """Looks online, sends nothing: for pictures only."""

        def __init__(self) -> None:
            super().__init__("http://screenshots.invalid")
            self.sent: list[dict[str, Any]] = []

        @property
        def state(self) -> NetState:
            return NetState.ONLINE

        def start(self, server_url: str | None = None) -> None:
            pass

        def stop(self, timeout: float = 3.0) -> None:
            pass

        def _command(self, name: str, arg: Any) -> None:
            if name == "send":
                self.sent.append(arg)

    return StubNet()


def make_app(home: Path, story: Path | None = None, locale: str = "en", scale: int = 100) -> Any:
    """A game with a stub network and demo organisation data, ready for `staged_scenes`."""
    os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
    os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
    from game.app import GameApp
    from game.content import Organisation

    story_path = story or (
        STORY if (STORY / "story.yaml").exists() else ROOT / "tests" / "fixtures" / "story_min"
    )
    app = GameApp(None, home=home, story_path=story_path, net=_stub_net())
    app.settings.text_speed = "instant"
    app.settings.text_scale = scale
    app.settings.language = locale
    app.apply_settings()
    app.organisation = Organisation.from_json(DEMO_ORG, fetched_at="today")
    app.content_source = "server"
    return app


def staged_scenes(app: Any) -> Iterator[str]:
    """Bring `app` to every scene in turn and yield its name while it is on screen.

    The screenshot tool saves a picture at each step; the screen tests check each one for text
    that leaves its box and for a visible focus ring.
    """
    from game.conversation import ChatLine, Counsellor, Phase

    yield "disclosure"
    app.start_story(None)
    story_scene = app.story_scene
    # walk a few steps in so a speaker and choices are on screen
    for _ in range(6):
        if story_scene.pending_warning():
            story_scene._ack_warning()
        elif story_scene.node.speaker and len(story_scene.engine.choices()) > 1:
            break
        elif story_scene.engine.choices():
            story_scene.choose(story_scene.engine.choices()[0].id)
        while app.top is not story_scene:
            app.pop()
    yield "story"
    app.open_offer()
    app.org_live_at = app.clock_time  # as if the server had just said who is on duty
    yield "offer"
    from game.scenes.preferences import ConfirmScene, PreferencesScene

    offer = app.bundle.offers["offer.main"]
    prefs = PreferencesScene(app, offer)
    app.replace(prefs)
    prefs.choice.update(kind="former", language="en", format="chat", gender="__none__")
    prefs.insist = True
    yield "preferences"
    app.push(ConfirmScene(app, offer, prefs.choices_payload(), prefs))
    yield "confirm"
    conv = app.conversation
    conv.request(
        bundle_hash=app.bundle.sha256,
        offer_id=offer.id,
        offer_version=offer.version,
        choices=prefs.choices_payload(),
    )
    conv.phase, conv.position, conv.estimate_seconds = Phase.QUEUED, 2, 360
    app.pop()
    from game.scenes.waiting import WaitingScene

    app.replace(WaitingScene(app))
    yield "waiting"
    conv.phase = Phase.CLOSED
    conv.slots = [
        "2030-01-07T09:00:00+00:00",
        "2030-01-07T09:30:00+00:00",
        "2030-01-07T10:00:00+00:00",
        "2030-01-08T13:00:00+00:00",
    ]
    conv.next_open = "2030-01-07T09:00:00+00:00"
    yield "booking"
    conv.phase = Phase.MATCHED
    conv.counsellor = Counsellor("Alex", "former")
    conv.conversation_id = "demo"
    script = [
        (
            "counsellor",
            "Hi, I'm Alex. I used to be part of a group like the one in the "
            "story, and now I talk with people who are where I was. What's on your mind?",
        ),
        (
            "player",
            "My friend keeps sending me stuff from a group chat and I don't know "
            "what to say to him.",
        ),
        ("counsellor", "That sounds hard. What kind of stuff is it?"),
        ("player", "Memes at first. Now it's more like 'they' are against 'us'."),
    ]
    for seq, (sender, text) in enumerate(script, start=1):
        conv.lines.append(
            ChatLine(
                sender,
                text,
                seq=seq,
                client_id=f"demo{seq}",
                at=f"2026-11-27T16:0{seq}:00+00:00",
            )
        )
    conv.last_seq = conv.read_upto = 3
    conv.counsellor_typing = True
    from game.scenes.chat import ChatScene

    app.replace(ChatScene(app))
    yield "chat"
    conv.phase = Phase.ENDED
    conv.counsellor_typing = False
    app.refresh_all()
    yield "chat-ended"
    app.pop()
    app.open_resources(crisis=True)
    yield "resources"
    app.pop()
    app.open_settings()
    yield "settings"
    app.pop()
    story_scene.open_history()
    yield "history"
    app.pop()
    story_scene.open_saves()
    yield "saves"
    app.pop()
    app.settings.high_contrast = True
    app.apply_settings()
    yield "story-contrast"
    app.settings.high_contrast = False
    app.apply_settings()
    app.quick_exit()
    yield "quick-exit"


def render_all(out: Path, story: Path | None = None, locale: str = "en") -> list[Path]:
    """Save every staged scene at 100 % and 200 % text as PNG files in `out`."""
    import pygame

    out.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for scale in (100, 200):
        home = Path(tempfile.mkdtemp(prefix="crossroads-shots-"))
        app = make_app(home, story, locale, scale)
        suffix = ("" if scale == 100 else "-200") + ("" if locale == "en" else f"-{locale}")
        for name in staged_scenes(app):
            app.refresh_all()
            for _ in range(3):
                app.step([], 1 / 60)
            path = out / f"game-{name}{suffix}.png"
            pygame.image.save(app.screen, str(path))
            written.append(path)
        app.voice.stop()
        pygame.display.quit()
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Render the game's scenes to PNG files.")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    parser.add_argument("--story", type=Path, default=None)
    parser.add_argument("--locale", default="en", choices=("en", "de"))
    args = parser.parse_args(argv)
    for path in render_all(args.out, args.story, args.locale):
        print(path)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
