"""The neutral screen shown after a quick exit: a plain, empty notes page.

Nothing on it hints at the game or a chat. Ctrl+Enter (documented in the disclosure screen
and docs/GAME.md, not on this screen) returns to where the player was, minus the chat text.
"""

from __future__ import annotations

import pygame

from game.scenes.base import Scene


class NeutralScene(Scene):
    name = "neutral"

    def handle_event(self, event: pygame.event.Event) -> bool:
        if (
            event.type == pygame.KEYDOWN
            and event.key in (pygame.K_RETURN, pygame.K_KP_ENTER)
            and event.mod & pygame.KMOD_CTRL
        ):
            self.app.leave_neutral()
        return True  # swallow everything else: no hotkey may reopen the game by accident

    def draw(self, surface: pygame.Surface) -> None:
        # deliberately plain and always light: it must not look like the game
        w, h = surface.get_size()
        surface.fill((250, 250, 247))
        font = pygame.font.Font(None, 34)
        small = pygame.font.Font(None, 26)
        pygame.draw.rect(surface, (236, 236, 232), (0, 0, w, 56))
        surface.blit(font.render(self.tr("neutral.title"), True, (60, 60, 60)), (28, 16))
        for i in range(14):
            y = 110 + i * 40
            pygame.draw.line(surface, (220, 226, 236), (80, y), (w - 80, y), 1)
        pygame.draw.line(surface, (236, 190, 190), (120, 70), (120, h - 40), 2)
        surface.blit(small.render(self.tr("neutral.empty"), True, (150, 150, 150)), (140, 84))
