"""Helpers that drive a headless GameApp with synthetic input, as a player would."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pygame

from game.app import GameApp
from game.voice import Voice

STORY_MIN = Path(__file__).resolve().parent.parent / "fixtures" / "story_min"
DT = 1 / 60


class SilentVoice(Voice):
    """Records what would be spoken instead of starting espeak-ng."""

    def say(self, text: str) -> None:
        if self.enabled and text.strip():
            self.spoken.append(text.strip())


def make_app(server_url: str | None, home: Path, **kwargs: Any) -> GameApp:
    voice = SilentVoice()
    voice.backend = "test"
    kwargs.setdefault("story_path", STORY_MIN)
    app = GameApp(server_url, home=home, voice=voice, **kwargs)
    app.step([], DT)
    return app


def key(app: GameApp, k: int, mod: int = 0, unicode: str = "", frames: int = 1) -> None:
    app.step([pygame.event.Event(pygame.KEYDOWN, key=k, mod=mod, unicode=unicode, scancode=0)], DT)
    for _ in range(frames - 1):
        app.step([], DT)


def type_text(app: GameApp, text: str) -> None:
    app.step([pygame.event.Event(pygame.TEXTINPUT, text=text)], DT)


def click(app: GameApp, pos: tuple[int, int]) -> None:
    app.step(
        [
            pygame.event.Event(pygame.MOUSEBUTTONDOWN, button=1, pos=pos),
            pygame.event.Event(pygame.MOUSEBUTTONUP, button=1, pos=pos),
        ],
        DT,
    )


def frames(app: GameApp, n: int = 1, dt: float = DT) -> None:
    for _ in range(n):
        app.step([], dt)


def until(app: GameApp, predicate: Callable[[], bool], timeout: float = 5.0) -> None:
    """Step frames (in real time, for the network thread) until predicate holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.step([], DT)
        if predicate():
            return
        time.sleep(0.005)
    raise AssertionError(f"condition not met within {timeout}s; scenes {app.scene_names()}")


def focused_ident(app: GameApp) -> str | None:
    top = app.top
    for panel in top.panels() if top else []:
        if panel.focused is not None:
            return panel.focused.ident
    return None


def find_button(app: GameApp, ident: str) -> tuple[Any, Any]:
    top = app.top
    assert top is not None
    for panel in top.panels():
        for item in panel.all_items():
            if item.ident == ident:
                return panel, item
    raise AssertionError(f"no control {ident!r} on {top.name}")


def press(app: GameApp, ident: str) -> None:
    """Click a control by its id, through a real mouse event at its position on screen."""
    panel, item = find_button(app, ident)
    panel.ensure_visible(item)
    rect = panel.screen_rect(item)
    click(app, rect.center)


def finish_text(app: GameApp) -> None:
    """Show the whole node text (as pressing Space does) and let the scene rebuild."""
    scene = app.top
    if (
        scene is not None
        and scene.name == "story"
        and not scene.revealed
        and not scene.pending_warning()
    ):
        key(app, pygame.K_SPACE)
    frames(app, 2)
