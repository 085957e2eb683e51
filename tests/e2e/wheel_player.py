"""A headless player run by the *installed* wheel's Python (see test_wheel_install.py).

It imports nothing from the repository: the game and its assets come from the wheel. It plays
from the disclosure into the story and the offer, opts in, and prints what it saw as JSON.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pygame

import game.paths
from game.app import GameApp
from game.conversation import Phase
from game.voice import Voice

DT = 1 / 60


def until(app: GameApp, predicate: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.step([], DT)
        if predicate():
            return
        time.sleep(0.005)
    raise SystemExit(f"condition not met within {timeout}s; scenes {app.scene_names()}")


def key(app: GameApp, k: int) -> None:
    app.step([pygame.event.Event(pygame.KEYDOWN, key=k, mod=0, unicode="", scancode=0)], DT)


def frames(app: GameApp, n: int) -> None:
    for _ in range(n):
        app.step([], DT)


def press(app: GameApp, ident: str) -> None:
    """Click a control by its id with a real mouse event, as tests/game/driver.py does."""
    top = app.top
    assert top is not None
    for panel in top.panels():
        for item in panel.all_items():
            if item.ident == ident:
                panel.ensure_visible(item)
                pos = panel.screen_rect(item).center
                app.step(
                    [
                        pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=pos),
                        pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=pos),
                    ],
                    DT,
                )
                return
    raise SystemExit(f"no control {ident!r} on {top.name}")


def finish_text(app: GameApp) -> None:
    scene = app.top
    if scene is not None and scene.name == "story" and not scene.revealed:
        if not scene.pending_warning():
            key(app, pygame.K_SPACE)
    frames(app, 2)


def main(server_url: str, home: Path) -> None:
    app = GameApp(server_url, home=home, voice=Voice(enabled=False))
    until(app, lambda: app.organisation is not None and app.content_source == "server")
    app.step([], DT)
    seen: dict[str, object] = {
        "assets": str(game.paths.ASSETS),
        "game": str(Path(sys.modules["game"].__file__ or "").parent),
        "disclosure": " ".join(app.top.panels()[0].texts()) if app.top else "",
        "bundle_sha256": app.bundle.sha256,
    }
    key(app, pygame.K_RETURN)
    finish_text(app)
    seen["first_node"] = app.engine.node.id
    key(app, pygame.K_1)
    finish_text(app)
    seen["second_node"] = app.engine.node.id
    key(app, pygame.K_t)
    seen["offer_scene"] = app.top.name if app.top else None
    press(app, "yes")
    press(app, "kind_professional")
    press(app, "language_en")
    press(app, "format_chat")
    press(app, "next")
    press(app, "send")
    until(app, lambda: app.conversation.phase == Phase.QUEUED)
    seen["phase"] = app.conversation.phase.name
    print(json.dumps(seen))


if __name__ == "__main__":
    main(sys.argv[1], Path(sys.argv[2]))
