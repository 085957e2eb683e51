"""Base classes for scenes: `Scene` (the contract) and `PageScene` (a titled scrolling page).

A scene is given the app (for theme, strings, settings, content and network state) and
rebuilds its layout whenever the theme changes (text size, font, contrast, language).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

import pygame

from game.ui import ACTIVATE_KEYS, Item, Panel

if TYPE_CHECKING:
    from game.app import GameApp
    from game.theme import Theme


class Scene:
    """One screen. Subclasses override build/handle_event/update/draw."""

    name = "scene"
    opaque = True  # False for overlays drawn over the scene below
    sensitive = False  # True if the scene shows chat text (quick exit must remove it)

    def __init__(self, app: GameApp) -> None:
        self.app = app
        self._built_for = -1

    @property
    def theme(self) -> Theme:
        return self.app.theme

    def tr(self, key: str, **values: object) -> str:
        return self.app.tr(key, **values)

    def ensure_built(self) -> None:
        if self._built_for != self.app.theme_version:
            self._built_for = self.app.theme_version
            self.build()

    def build(self) -> None:
        """(Re)create widgets and layout for the current theme and language."""

    def on_enter(self) -> None:
        """Called when pushed on the stack."""

    def on_resume(self) -> None:
        """Called when the scene above it was popped."""

    def on_leave(self) -> None:
        """Called when removed from the stack."""

    def handle_event(self, event: pygame.event.Event) -> bool:
        return False

    def update(self, dt: float) -> None:
        pass

    def draw(self, surface: pygame.Surface) -> None:
        pass

    def speech(self) -> str:
        """What self-voicing reads for this screen."""
        return ""

    def panels(self) -> list[Panel]:
        """Panels of this scene (tests check their items never overflow)."""
        return []


class PageScene(Scene, ABC):
    """A page with a heading and a scrolling column of text and controls.

    Escape (or the Back button) closes the page. Subclasses implement `items()`.
    """

    title_key = ""
    closable = True
    initial_focus: str | None = None

    def __init__(self, app: GameApp) -> None:
        super().__init__(app)
        self.panel = Panel(pygame.Rect(0, 0, 10, 10), [])
        self._initial_done = False

    @abstractmethod
    def items(self) -> list[Item]:
        """The page's text and controls, top to bottom (rebuilt when settings change)."""

    def content_rect(self) -> pygame.Rect:
        w, h = self.app.size
        top = self.app.top_bar_height
        margin = self.theme.px(24)
        width = min(w - 2 * margin, max(760, int(900 * min(1.35, self.theme.scale))))
        return pygame.Rect((w - width) // 2, top, width, h - top - margin // 2)

    def build(self) -> None:
        old_scroll = self.panel.scroll
        focused = self.panel.focused
        focused_ident = focused.ident if focused else None
        # keep a focused control that was in view in view; one the player scrolled away from
        # (mouse wheel) stays where the player put the page
        was_in_view = focused is not None and self.panel.in_view(focused)
        self.panel = Panel(self.content_rect(), self.items())
        self.panel.layout(self.theme)
        self.panel.scroll = old_scroll
        self.panel.clamp_scroll()
        if focused_ident:
            # a rebuild (another language, an error above the control) keeps focus in view
            self.panel.focus_by_ident(focused_ident, scroll=was_in_view)
        elif self.initial_focus and not self._initial_done:
            # the page opens at its top so the first thing read is the heading; a control
            # below the fold is not focused from the start (a ring nobody can see), Tab finds it
            self.panel.focus_by_ident(self.initial_focus, scroll=False)
            focused = self.panel.focused
            if focused is not None and not self.panel.in_view(focused):
                self.panel.focus(None)
        self._initial_done = True

    def refresh(self) -> None:
        """Re-layout after a change in text (e.g. network data arrived)."""
        self._built_for = -1

    def close(self) -> None:
        self.app.pop(self)

    def handle_event(self, event: pygame.event.Event) -> bool:
        if (
            event.type == pygame.KEYDOWN
            and event.key in ACTIVATE_KEYS
            and self.panel.focused is None
            and self.initial_focus
        ):
            # the page's main control was below the fold, so it was not focused: Enter still
            # chooses it ("Enter chooses" on every page), bringing it into view first
            item = next(
                (i for i in self.panel.focusables if i.ident == self.initial_focus and i.enabled),
                None,
            )
            if item is not None:
                self.panel.focus(item)
                item.activate()
                return True
        if self.panel.handle_event(event):
            return True
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_BACKSPACE):
            if self.closable:
                self.close()
                return True
        return False

    def draw(self, surface: pygame.Surface) -> None:
        if self.theme.high_contrast:
            surface.fill(self.theme.palette.bg)
        else:
            surface.blit(self.app.art.backdrop(), (0, 0))
        self.panel.draw(surface, self.theme)

    def speech(self) -> str:
        focused = self.panel.focused
        parts = self.panel.texts()
        if focused is not None:
            parts.append(self.tr("voice.focused", label=" ".join(focused.texts())))
        return "\n".join(parts)

    def panels(self) -> list[Panel]:
        return [self.panel]
