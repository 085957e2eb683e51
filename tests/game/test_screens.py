"""Every scene, in English and German at 100 % and 200 % text, as a player sees it: no text
leaves its box, and the focused control is on screen with a ring that stands out (3:1) from
both the control and what is around it. Pixels are read back from the drawn frame."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pygame
import pytest

from game.screenshots import make_app, staged_scenes
from game.theme import contrast
from game.ui import Panel

NO_FOCUS = {"quick-exit"}  # the cover page has no controls


class RecordingScreen(pygame.Surface):
    """The frame the game draws into, noting where each text surface lands and the clip."""

    def __init__(self, size: tuple[int, int]) -> None:
        super().__init__(size)
        self.blits: list[tuple[pygame.Surface, pygame.Rect, pygame.Rect]] = []

    def blit(self, source: Any, dest: Any, area: Any = None, special_flags: int = 0) -> Any:
        x, y = (dest.x, dest.y) if isinstance(dest, pygame.Rect) else (dest[0], dest[1])
        w, h = (area[2], area[3]) if area is not None else source.get_size()
        self.blits.append((source, pygame.Rect(x, y, w, h), self.get_clip()))
        return super().blit(source, dest, area, special_flags)


def draw_frame(app: Any) -> RecordingScreen:
    screen = RecordingScreen(app.size)
    app.screen = screen
    app.theme.last_ring = None
    app.step([], 1 / 60)
    return screen


def text_outside_its_box(app: Any, screen: RecordingScreen) -> list[str]:
    """Texts drawn wider than their clip, or off the screen."""
    texts = {id(surf): key[0] for key, surf in app.theme._lines.items()}
    whole = screen.get_rect()
    bad = []
    for source, rect, clip in screen.blits:
        text = texts.get(id(source))
        if text is None or not text.strip():
            continue
        if clip == whole:
            if not whole.contains(rect):
                bad.append(f"off screen: {text!r} at {rect}")
        elif rect.left < clip.left or rect.right > clip.right:
            # a scrolling box may cut text at its top and bottom, never at its sides
            bad.append(f"wider than its box {clip}: {text!r} at {rect}")
    for panel in app.top.panels():
        for item in panel.all_items():
            if item.overflows(app.theme):
                bad.append(f"overflows: {item.texts()}")
    return bad


def ring_problems(app: Any, screen: RecordingScreen) -> list[str]:
    """The focused control must be on screen, in its panel, with a ring that stands out."""
    ring = app.theme.last_ring
    if ring is None:
        return ["no focus ring drawn"]
    whole = screen.get_rect()
    problems = []
    if not whole.contains(ring.outer):
        problems.append(f"ring {ring.outer} is not wholly on screen")
    panels: list[Panel] = app.top.panels()
    owner = next(
        (p for p in panels if p.focused is not None and p.screen_rect(p.focused) == ring.rect),
        None,
    )
    if owner is not None and not owner.rect.contains(ring.rect):
        problems.append(f"focused control {ring.rect} is outside its panel {owner.rect}")
    b = ring.band
    sides = [
        ((ring.outer.centerx, ring.outer.top + b // 2), (ring.outer.centerx, ring.outer.top - 2)),
        (
            (ring.outer.centerx, ring.outer.bottom - 1 - b // 2),
            (ring.outer.centerx, ring.outer.bottom + 1),
        ),
        ((ring.outer.left + b // 2, ring.outer.centery), (ring.outer.left - 2, ring.outer.centery)),
        (
            (ring.outer.right - 1 - b // 2, ring.outer.centery),
            (ring.outer.right + 1, ring.outer.centery),
        ),
    ]
    for band_at, outside_at in sides:
        if not (whole.collidepoint(band_at) and whole.collidepoint(outside_at)):
            continue
        band = tuple(screen.get_at(band_at))[:3]
        outside = tuple(screen.get_at(outside_at))[:3]
        if contrast(band, outside) < 3:  # type: ignore[arg-type]
            problems.append(f"ring {band} vs background {outside}: {contrast(band, outside):.2f}")  # type: ignore[arg-type]
    inner_at = (ring.rect.centerx, ring.rect.top - 1 - b // 2)
    if whole.collidepoint(inner_at):
        inner = tuple(screen.get_at(inner_at))[:3]
        if contrast(inner, ring.control) < 3:  # type: ignore[arg-type]
            problems.append(f"ring {inner} vs control {ring.control}")
    return problems


def focus_something(app: Any) -> RecordingScreen:
    screen = draw_frame(app)
    if app.theme.last_ring is None:
        app.step([pygame.event.Event(pygame.KEYDOWN, key=pygame.K_TAB, mod=0, unicode="")], 1 / 60)
        screen = draw_frame(app)
    return screen


@pytest.fixture(params=[("en", 100), ("en", 200), ("de", 100), ("de", 200)], ids=str)
def staged(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    locale, scale = request.param
    app = make_app(tmp_path, locale=locale, scale=scale)
    yield app
    app.voice.stop()


def test_every_scene_keeps_text_in_its_box_and_focus_visible(staged: Any) -> None:
    """Walk every scene: text stays inside its box, the focus ring is on screen and visible."""
    app = staged
    problems: dict[str, list[str]] = {}
    seen = []
    for name in staged_scenes(app):
        seen.append(name)
        app.refresh_all()
        app.step([], 1 / 60)
        screen = draw_frame(app)
        found = text_outside_its_box(app, screen)
        if name not in NO_FOCUS:
            screen = focus_something(app)
            found += ring_problems(app, screen)
        if found:
            problems[name] = found
    assert "chat-ended" in seen and "story" in seen
    assert problems == {}


def tab_to(app: Any, ident: str, limit: int = 80) -> None:
    """Move focus with Tab, as a keyboard-only player does, until `ident` has it."""
    for _ in range(limit):
        panel = app.top.panels()[0]
        if panel.focused is not None and panel.focused.ident == ident:
            return
        app.step([pygame.event.Event(pygame.KEYDOWN, key=pygame.K_TAB, mod=0, unicode="")], 1 / 60)
    raise AssertionError(f"Tab never reached {ident!r}")


def press_enter(app: Any) -> None:
    app.step([pygame.event.Event(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0, unicode="")], 1 / 60)


@pytest.mark.parametrize("scale", [100, 200])
def test_switching_language_keeps_the_focused_control_on_screen(scale: int, tmp_path: Path) -> None:
    """Choosing German in the settings with the keyboard leaves the ring on the chosen button."""
    app = make_app(tmp_path, scale=scale)
    app.open_settings()
    tab_to(app, "lang_de")
    press_enter(app)
    assert app.settings.language == "de"
    screen = draw_frame(app)
    assert app.top.panels()[0].focused.ident == "lang_de"
    assert ring_problems(app, screen) == []


@pytest.mark.parametrize(("locale", "scale"), [("en", 200), ("de", 200), ("en", 100)])
def test_please_choose_keeps_next_on_screen(locale: str, scale: int, tmp_path: Path) -> None:
    """After "Next" without the required answers, the message shows and Next stays in view."""
    from game.scenes.preferences import PreferencesScene

    app = make_app(tmp_path, locale=locale, scale=scale)
    app.start_story(None)
    app.push(PreferencesScene(app, app.bundle.offers["offer.main"]))
    tab_to(app, "next")
    press_enter(app)
    screen = draw_frame(app)
    assert app.top.error
    assert app.top.panels()[0].focused.ident == "next"
    assert ring_problems(app, screen) == []
    assert text_outside_its_box(app, screen) == []


def test_every_control_shows_a_visible_ring_when_tabbed_to(staged: Any) -> None:
    """Tab through every control of every scene: each ring is whole, on screen and 3:1."""
    app = staged
    problems: dict[str, list[str]] = {}
    for name in staged_scenes(app):
        if name in NO_FOCUS:
            continue
        app.refresh_all()
        app.step([], 1 / 60)
        count = sum(len(p.focusables) for p in app.top.panels()) + 2
        seen: set[tuple[int, int, int, int]] = set()
        for _ in range(count):
            app.step(
                [pygame.event.Event(pygame.KEYDOWN, key=pygame.K_TAB, mod=0, unicode="")], 1 / 60
            )
            screen = draw_frame(app)
            ring = app.theme.last_ring
            if ring is None:
                continue  # the chat's text box has focus: it shows its own border
            seen.add(tuple(ring.rect))
            found = ring_problems(app, screen)
            if found:
                problems.setdefault(name, []).extend(f"{tuple(ring.rect)}: {p}" for p in found)
        if not seen:
            problems.setdefault(name, []).append("Tab never showed a focus ring")
    assert problems == {}


def test_a_refresh_leaves_a_page_the_player_scrolled_where_it_was(tmp_path: Path) -> None:
    """Keeping focus in view never undoes the player's own scrolling with the wheel."""
    app = make_app(tmp_path, scale=200)
    app.open_settings()
    tab_to(app, "text_scale")
    panel = app.top.panels()[0]
    app.step([pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=-3, flipped=False)], 1 / 60)
    app.step([pygame.event.Event(pygame.MOUSEWHEEL, x=0, y=-3, flipped=False)], 1 / 60)
    scrolled = app.top.panels()[0].scroll
    assert scrolled > 0 and not panel.in_view(panel.focused)
    app.refresh_all()  # e.g. the network state changed
    app.step([], 1 / 60)
    assert app.top.panels()[0].scroll == scrolled
