"""The neutral screen shown after a quick exit: a plain notes page that works like one.

Nothing on it hints at the game or a chat; someone looking over a shoulder sees a notes page,
and typing on it writes notes (Enter for a new line, Backspace, arrows, selection, copy and
paste), so it survives a "show me". The notes live in memory only, never on disk, and go with
the page. Ctrl+Enter (documented in the disclosure screen and docs/GAME.md, not on this
screen) returns to where the player was; no other key, hotkey or click reopens the game.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pygame

from game.scenes.base import Scene
from game.text import wrap_spans
from game.ui import TextInput

if TYPE_CHECKING:
    from game.app import GameApp

PAPER = (250, 250, 247)
HEADER = (236, 236, 232)
INK = (40, 40, 40)
RULE = (220, 226, 236)
MARGIN_RULE = (236, 190, 190)
HINT = (150, 150, 150)
NOTE_LIMIT = 20_000


class NeutralScene(Scene):
    name = "neutral"

    def __init__(self, app: GameApp) -> None:
        super().__init__(app)
        # Enter is handled here (a new line), so the input's submit call is never used
        self.notes = TextInput(
            app.clipboard, lambda _text: None, max_length=NOTE_LIMIT, max_lines=10_000
        )
        self._font: pygame.font.Font | None = None
        self._title_font: pygame.font.Font | None = None

    def _fonts(self) -> tuple[pygame.font.Font, pygame.font.Font]:
        if self._font is None or self._title_font is None:
            # the system's plain default font at a fixed size: not the game's type or scale
            self._font = pygame.font.Font(None, 30)
            self._title_font = pygame.font.Font(None, 34)
        return self._font, self._title_font

    def _text_rect(self, surface: pygame.Surface) -> pygame.Rect:
        w, h = surface.get_size()
        return pygame.Rect(140, 84, w - 140 - 80, h - 84 - 40)

    def handle_event(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            if event.mod & pygame.KMOD_CTRL:
                self.app.leave_neutral()
            else:
                self.notes.insert("\n")
            return True
        if event.type == pygame.KEYDOWN and event.key in (pygame.K_ESCAPE, pygame.K_TAB):
            return True
        self.notes.handle_event(event)
        return True  # swallow everything else: no hotkey may reopen the game by accident

    def draw(self, surface: pygame.Surface) -> None:
        # deliberately plain and always light: it must not look like the game
        w, h = surface.get_size()
        font, title_font = self._fonts()
        surface.fill(PAPER)
        pygame.draw.rect(surface, HEADER, (0, 0, w, 56))
        surface.blit(title_font.render(self.tr("neutral.title"), True, (60, 60, 60)), (28, 16))
        area = self._text_rect(surface)
        lh = max(40, font.get_linesize())
        for i in range((h - 110) // lh + 1):
            y = 110 + i * lh
            pygame.draw.line(surface, RULE, (80, y), (w - 80, y), 1)
        pygame.draw.line(surface, MARGIN_RULE, (120, 70), (120, h - 40), 2)
        text = self.notes.text
        if not text and not self.notes.composition:
            surface.blit(font.render(self.tr("neutral.empty"), True, HINT), (area.left, area.top))
        spans = wrap_spans(text, area.width, lambda s: font.size(s)[0])
        cursor = self.notes.cursor
        visible = max(1, area.height // lh)
        row_of_cursor = next(
            (i for i, (a, b) in enumerate(spans) if a <= cursor <= b), len(spans) - 1
        )
        first = max(0, row_of_cursor - visible + 1)
        for row, (a, b) in enumerate(spans[first : first + visible]):
            y = area.top + row * lh + (lh - font.get_linesize()) // 2
            line = text[a:b].rstrip("\n")
            if line:
                surface.blit(font.render(line, True, INK), (area.left, y))
            if first + row == row_of_cursor:
                x = area.left + font.size(text[a:cursor])[0]
                if self.notes.composition:
                    comp = font.render(self.notes.composition, True, INK)
                    surface.blit(comp, (x, y))
                    x += comp.get_width()
                pygame.draw.line(surface, INK, (x, y + 2), (x, y + font.get_linesize() - 2), 2)
