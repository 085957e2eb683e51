"""Colours, fonts and cached text rendering, rebuilt whenever the player changes a setting.

Two palettes (normal and high contrast, both at least WCAG AA for body text), two faces
(DejaVu Sans, or Atkinson Hyperlegible as the legible option), sizes scaled 100-200%.
Rendering text is the slowest thing a frame does, so rendered lines and wrapped blocks are
kept in a bounded LRU cache keyed by text, font and colour.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import pygame

from game.paths import FONTS
from game.settings import Settings
from game.text import wrap_text

Color = tuple[int, int, int]


def luminance(c: Color) -> float:
    """WCAG 2 relative luminance of an sRGB colour."""

    def channel(v: int) -> float:
        x = v / 255
        return x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4

    r, g, b = c[:3]
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast(a: Color, b: Color) -> float:
    """WCAG 2 contrast ratio (1 to 21) between two colours."""
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


@dataclass(frozen=True)
class FocusRing:
    """Where the focus ring was last drawn and in which colours (tests check it is visible)."""

    rect: pygame.Rect  # the focused control
    outer: pygame.Rect  # the ring's outer edge
    band: int  # width of each of the two bands
    inner_colour: Color  # the band touching the control
    outer_colour: Color  # the band touching the background
    control: Color  # the control's own fill


@dataclass(frozen=True)
class Palette:
    bg: Color
    panel: Color
    panel_border: Color
    text: Color
    muted: Color
    accent: Color
    accent_text: Color
    button: Color
    button_text: Color
    focus: Color
    danger: Color  # background of destructive buttons (quick exit, end chat)
    danger_text: Color  # error text on panels
    ok: Color
    selected: Color
    selected_text: Color
    bubble_me: Color
    bubble_them: Color
    bubble_system: Color


NORMAL = Palette(
    bg=(24, 28, 38),
    panel=(36, 42, 56),
    panel_border=(88, 100, 128),
    text=(236, 238, 242),
    muted=(182, 190, 204),
    accent=(255, 196, 87),
    accent_text=(24, 24, 24),
    button=(58, 68, 92),
    button_text=(246, 246, 250),
    focus=(255, 214, 10),
    danger=(184, 44, 44),
    danger_text=(255, 150, 150),
    ok=(110, 200, 140),
    selected=(90, 160, 250),
    selected_text=(10, 16, 30),
    bubble_me=(34, 72, 122),
    bubble_them=(60, 66, 84),
    bubble_system=(44, 48, 60),
)

HIGH_CONTRAST = Palette(
    bg=(0, 0, 0),
    panel=(0, 0, 0),
    panel_border=(255, 255, 255),
    text=(255, 255, 255),
    muted=(235, 235, 235),
    accent=(255, 255, 0),
    accent_text=(0, 0, 0),
    button=(0, 0, 0),
    button_text=(255, 255, 255),
    focus=(0, 255, 255),
    danger=(255, 120, 120),
    danger_text=(255, 140, 140),
    ok=(120, 255, 120),
    selected=(255, 255, 0),
    selected_text=(0, 0, 0),
    bubble_me=(0, 0, 90),
    bubble_them=(30, 30, 30),
    bubble_system=(0, 0, 0),
)

# base pixel sizes at 100 %
ROLE_SIZES = {
    "small": 17,
    "body": 22,
    "button": 21,
    "speaker": 24,
    "title": 34,
    "huge": 48,
    "hud": 18,
}
BOLD_ROLES = {"button", "speaker", "title", "huge", "hud"}
# always-visible controls (top bar) grow less, so that at 200 % they leave room for the story
CHROME_MAX_SCALE = {"hud": 1.5}

FACES = {
    "default": ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf"),
    "legible": ("AtkinsonHyperlegible-Regular.ttf", "AtkinsonHyperlegible-Bold.ttf"),
}

_CJK_RE = re.compile(r"[\u2e80-\u9fff\uac00-\ud7af\uf900-\ufaff\uff00-\uffef]")
_CJK_CANDIDATES = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
)


def _cjk_font_path() -> Path | None:
    for cand in _CJK_CANDIDATES:
        if Path(cand).exists():
            return Path(cand)
    return None


class Theme:
    """Fonts, colours and a text-surface cache for the current settings."""

    CACHE_SIZE = 3000

    def __init__(self, settings: Settings) -> None:
        if not pygame.font.get_init():
            pygame.font.init()
        self.scale = settings.text_scale / 100.0
        self.palette = HIGH_CONTRAST if settings.high_contrast else NORMAL
        self.high_contrast = settings.high_contrast
        self.reduced_motion = settings.reduced_motion
        face = FACES["legible" if settings.legible_font else "default"]
        self._face_paths = tuple(FONTS / name for name in face)
        self._fonts: dict[str, pygame.font.Font] = {}
        self._cjk_path = _cjk_font_path()
        self._cjk_fonts: dict[str, pygame.font.Font] = {}
        self._lines: OrderedDict[tuple[str, str, Color], pygame.Surface] = OrderedDict()
        self._wraps: OrderedDict[tuple[str, str, int], list[str]] = OrderedDict()
        self._widths: dict[tuple[str, str], int] = {}
        self.last_ring: FocusRing | None = None

    def px(self, value: float) -> int:
        """Scale a layout length (padding, gaps) with the text size."""
        return max(1, round(value * self.scale))

    def font(self, role: str) -> pygame.font.Font:
        font = self._fonts.get(role)
        if font is None:
            scale = min(self.scale, CHROME_MAX_SCALE.get(role, self.scale))
            size = max(8, round(ROLE_SIZES[role] * scale))
            path = self._face_paths[1 if role in BOLD_ROLES else 0]
            font = pygame.font.Font(path if path.exists() else None, size)
            self._fonts[role] = font
        return font

    def _font_for(self, role: str, text: str) -> pygame.font.Font:
        if self._cjk_path is not None and _CJK_RE.search(text):
            font = self._cjk_fonts.get(role)
            if font is None:
                font = pygame.font.Font(
                    self._cjk_path, max(8, round(ROLE_SIZES[role] * self.scale))
                )
                self._cjk_fonts[role] = font
            return font
        return self.font(role)

    def line_height(self, role: str) -> int:
        return self.font(role).get_linesize()

    def measure(self, role: str, text: str) -> int:
        if len(text) > 24:
            return int(self._font_for(role, text).size(text)[0])
        # short strings (words, spaces) repeat a lot while wrapping: remember their widths
        key = (role, text)
        width = self._widths.get(key)
        if width is None:
            width = int(self._font_for(role, text).size(text)[0])
            if len(self._widths) > 20000:
                self._widths.clear()
            self._widths[key] = width
        return width

    def render(self, text: str, role: str, color: Color) -> pygame.Surface:
        key = (text, role, color)
        surf = self._lines.get(key)
        if surf is None:
            surf = self._font_for(role, text).render(text, True, color)
            self._lines[key] = surf
            if len(self._lines) > self.CACHE_SIZE:
                self._lines.popitem(last=False)
        else:
            self._lines.move_to_end(key)
        return surf

    def wrap(self, text: str, role: str, width: int) -> list[str]:
        key = (text, role, width)
        lines = self._wraps.get(key)
        if lines is None:
            lines = wrap_text(text, width, lambda s: self.measure(role, s))
            self._wraps[key] = lines
            if len(self._wraps) > self.CACHE_SIZE:
                self._wraps.popitem(last=False)
        else:
            self._wraps.move_to_end(key)
        return lines

    def text_height(self, text: str, role: str, width: int) -> int:
        return len(self.wrap(text, role, width)) * self.line_height(role)

    def draw_text(
        self,
        surface: pygame.Surface,
        text: str,
        role: str,
        color: Color,
        rect: pygame.Rect,
        *,
        align: str = "left",
        max_chars: int | None = None,
    ) -> int:
        """Draw wrapped text inside rect.width starting at rect.top; returns the height used.

        `max_chars` shows only the first n characters (typewriter) while keeping the final
        layout, so lines never jump as letters appear.
        """
        lines = self.wrap(text, role, rect.width)
        lh = self.line_height(role)
        y = rect.top
        remaining = max_chars
        for line in lines:
            shown = line
            if remaining is not None:
                if remaining <= 0:
                    break
                shown = line[:remaining]
                remaining -= len(line) + 1
            if shown:
                surf = self.render(shown, role, color)
                if align == "center":
                    x = rect.left + (rect.width - surf.get_width()) // 2
                elif align == "right":
                    x = rect.right - surf.get_width()
                else:
                    x = rect.left
                surface.blit(surf, (x, y))
            y += lh
        return len(lines) * lh
