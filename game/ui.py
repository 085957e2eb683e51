"""Widgets for keyboard, mouse and screen-reader-minded play: buttons, options, sliders,
a scrolling panel with a visible focus ring, and a multi-line text input.

Every widget lays itself out for the current Theme (so text at 200 % wraps instead of
overflowing), follows pygame_gui's contract (handle the event, say whether it was consumed),
and reports its visible texts so tests can check nothing overflows and self-voicing can read it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pygame

from game.text import wrap_spans
from game.theme import Color, FocusRing, Theme, contrast

Action = Callable[[], None]
TextSource = str | Callable[[], str]

ACTIVATE_KEYS = (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE)


_RING_CANDIDATES: tuple[Color, ...] = ((255, 255, 255), (0, 0, 0))


def draw_focus_ring(
    surface: pygame.Surface,
    rect: pygame.Rect,
    theme: Theme,
    control: Color,
    clip: pygame.Rect | None = None,
) -> FocusRing:
    """Draw the focus ring around `rect`: two bands, so it shows on any control and backdrop.

    The inner band is the colour that stands out most from the control's fill, the outer band
    the one that stands out most from the pixels around the ring (sampled before drawing), each
    chosen from the palette's focus colour, white and black: a yellow ring on a yellow button,
    or a dark one on a dark page, is what made focus hard to see. Drawn with the screen's clip,
    so a panel's edge never cuts it off.
    """
    band = max(2, theme.px(1.5))
    inner_rect = rect.inflate(2 * band, 2 * band)
    outer_rect = rect.inflate(4 * band, 4 * band)
    bounds = surface.get_rect()
    around: list[Color] = []
    edge = outer_rect.inflate(2, 2)
    for fx in (0.1, 0.5, 0.9):
        for x, y in (
            (edge.left + int(edge.width * fx), edge.top),
            (edge.left + int(edge.width * fx), edge.bottom - 1),
            (edge.left, edge.top + int(edge.height * fx)),
            (edge.right - 1, edge.top + int(edge.height * fx)),
        ):
            if bounds.collidepoint(x, y):
                c = surface.get_at((x, y))
                around.append((c[0], c[1], c[2]))
    around = around or [theme.palette.bg]
    candidates = (theme.palette.focus, *_RING_CANDIDATES)
    outer = max(candidates, key=lambda c: min(contrast(c, a) for a in around))
    inner = max(candidates, key=lambda c: (min(contrast(c, control), 3.0), contrast(c, outer)))
    old_clip = surface.get_clip()
    surface.set_clip(clip)
    radius = theme.px(8)
    pygame.draw.rect(surface, outer, outer_rect, width=band, border_radius=radius + 2 * band)
    pygame.draw.rect(surface, inner, inner_rect, width=band, border_radius=radius + band)
    surface.set_clip(old_clip)
    ring = FocusRing(pygame.Rect(rect), outer_rect, band, inner, outer, control)
    theme.last_ring = ring
    return ring


def _resolve(text: TextSource) -> str:
    return text() if callable(text) else text


class Item:
    """A laid-out element inside a Panel. Coordinates in `rect` are panel-content relative."""

    focusable = False

    def __init__(self) -> None:
        self.rect = pygame.Rect(0, 0, 0, 0)
        self.ident: str | None = None

    @property
    def enabled(self) -> bool:
        return True

    def natural_width(self, theme: Theme, max_width: int) -> int:
        return max_width

    def layout(self, theme: Theme, width: int) -> int:
        """Set rect size for `width` and return the height."""
        self.rect.size = (width, 0)
        return 0

    def children(self) -> Sequence[Item]:
        return ()

    def draw(self, surface: pygame.Surface, at: pygame.Rect, theme: Theme, focused: bool) -> None:
        """Draw at screen rect `at`."""

    def on_key(self, event: pygame.event.Event) -> bool:
        return False

    def activate(self) -> None:
        """Run the item's action (Enter, Space or click)."""

    def on_click(self, local: tuple[int, int]) -> None:
        self.activate()

    def texts(self) -> list[str]:
        return []

    def overflows(self, theme: Theme) -> bool:
        """True if this item's text would draw outside its rect (checked by tests)."""
        return False


class Text(Item):
    """A paragraph of wrapped text."""

    def __init__(
        self, text: TextSource, role: str = "body", color: str = "text", align: str = "left"
    ) -> None:
        super().__init__()
        self.text = text
        self.role = role
        self.color = color
        self.align = align

    def layout(self, theme: Theme, width: int) -> int:
        h = theme.text_height(_resolve(self.text), self.role, width)
        self.rect.size = (width, h)
        return h

    def draw(self, surface: pygame.Surface, at: pygame.Rect, theme: Theme, focused: bool) -> None:
        color: Color = getattr(theme.palette, self.color)
        theme.draw_text(surface, _resolve(self.text), self.role, color, at, align=self.align)

    def texts(self) -> list[str]:
        return [_resolve(self.text)]

    def overflows(self, theme: Theme) -> bool:
        text = _resolve(self.text)
        lines = theme.wrap(text, self.role, self.rect.width)
        too_wide = any(theme.measure(self.role, ln) > self.rect.width for ln in lines)
        return too_wide or len(lines) * theme.line_height(self.role) > self.rect.height


class Gap(Item):
    def __init__(self, height: int = 12) -> None:
        super().__init__()
        self.height = height

    def layout(self, theme: Theme, width: int) -> int:
        h = theme.px(self.height)
        self.rect.size = (width, h)
        return h


class Button(Item):
    """A push button; `marker` draws a radio dot or check box for option buttons."""

    focusable = True

    def __init__(
        self,
        label: TextSource,
        action: Action | None = None,
        *,
        kind: str = "normal",
        selected: Callable[[], bool] | None = None,
        marker: str | None = None,
        enabled: bool | Callable[[], bool] = True,
        ident: str | None = None,
        full_width: bool = False,
        min_width: int = 0,
        compact: bool = False,
    ) -> None:
        super().__init__()
        self.label = label
        self.action = action
        self.kind = kind
        self.selected = selected
        self.marker = marker
        self._enabled = enabled
        self.ident = ident
        self.full_width = full_width
        self.min_width = min_width
        self.compact = compact
        self.hovered = False
        self.role = "hud" if compact else "button"
        self._lines: list[str] = []

    @property
    def enabled(self) -> bool:
        return self._enabled() if callable(self._enabled) else self._enabled

    def _pads(self, theme: Theme) -> tuple[int, int, int]:
        if self.compact:
            k = min(theme.scale, 1.5)
            padx, pady = max(1, round(10 * k)), max(1, round(6 * k))
        else:
            padx, pady = theme.px(16), theme.px(9)
        marker_w = theme.px(30) if self.marker else 0
        return padx, pady, marker_w

    def natural_width(self, theme: Theme, max_width: int) -> int:
        if self.full_width:
            return max_width
        padx, _, marker_w = self._pads(theme)
        label = _resolve(self.label)
        widest = max((theme.measure(self.role, ln) for ln in label.split("\n")), default=0)
        want = widest + 2 * padx + marker_w + 2
        return max(min(max_width, want), min(max_width, theme.px(self.min_width)))

    def layout(self, theme: Theme, width: int) -> int:
        padx, pady, marker_w = self._pads(theme)
        inner = max(1, width - 2 * padx - marker_w)
        self._lines = theme.wrap(_resolve(self.label), self.role, inner)
        h = len(self._lines) * theme.line_height(self.role) + 2 * pady
        self.rect.size = (width, h)
        return h

    def is_selected(self) -> bool:
        return bool(self.selected and self.selected())

    def draw(self, surface: pygame.Surface, at: pygame.Rect, theme: Theme, focused: bool) -> None:
        pal = theme.palette
        padx, pady, marker_w = self._pads(theme)
        bg, fg = pal.button, pal.button_text
        if self.kind == "primary":
            bg, fg = pal.accent, pal.accent_text
        elif self.kind == "danger":
            # white on dark red; black on the light red of the high-contrast palette
            bg, fg = pal.danger, (pal.accent_text if theme.high_contrast else (255, 255, 255))
        if self.is_selected() and self.marker is None:
            bg, fg = pal.selected, pal.selected_text
        if not self.enabled:
            bg = tuple(int(c * 0.6) for c in bg)  # type: ignore[assignment]
            fg = pal.muted
        elif self.hovered and not theme.high_contrast:
            bg = tuple(min(255, int(c + (255 - c) * 0.18)) for c in bg)  # type: ignore[assignment]
        radius = theme.px(8)
        self.fill: Color = bg
        pygame.draw.rect(surface, bg, at, border_radius=radius)
        border = pal.panel_border if not theme.high_contrast else pal.text
        pygame.draw.rect(surface, border, at, width=max(1, theme.px(1.5)), border_radius=radius)
        if self.marker:
            r = theme.px(9)
            cx, cy = at.left + padx + r, at.top + pady + theme.line_height(self.role) // 2
            if self.marker == "radio":
                pygame.draw.circle(surface, fg, (cx, cy), r, width=max(2, theme.px(2)))
                if self.is_selected():
                    pygame.draw.circle(surface, fg, (cx, cy), max(2, r - theme.px(5)))
            else:
                box = pygame.Rect(cx - r, cy - r, 2 * r, 2 * r)
                pygame.draw.rect(surface, fg, box, width=max(2, theme.px(2)))
                if self.is_selected():
                    pts = [
                        (box.left + r * 0.4, cy),
                        (cx - r * 0.15, box.bottom - r * 0.45),
                        (box.right - r * 0.3, box.top + r * 0.35),
                    ]
                    pygame.draw.lines(surface, fg, False, pts, max(2, theme.px(3)))
        y = at.top + pady
        lh = theme.line_height(self.role)
        inner_left = at.left + padx + marker_w
        inner_w = at.width - 2 * padx - marker_w
        for line in self._lines:
            surf = theme.render(line, self.role, fg)
            if self.marker:
                x = inner_left
            else:
                x = inner_left + (inner_w - surf.get_width()) // 2
            surface.blit(surf, (x, y))
            y += lh

    def activate(self) -> None:
        if self.enabled and self.action is not None:
            self.action()

    def texts(self) -> list[str]:
        return [_resolve(self.label)]

    def overflows(self, theme: Theme) -> bool:
        padx, pady, marker_w = self._pads(theme)
        inner = self.rect.width - 2 * padx - marker_w
        lines = theme.wrap(_resolve(self.label), self.role, max(1, inner))
        if any(theme.measure(self.role, ln) > inner for ln in lines):
            return True
        return len(lines) * theme.line_height(self.role) + 2 * pady > self.rect.height


class Row(Item):
    """Lays children left to right and wraps onto new lines when they do not fit."""

    def __init__(
        self, items: Sequence[Item], gap: int = 12, equal: bool = False, equal_first: int = 0
    ) -> None:
        super().__init__()
        self.items = list(items)
        self.gap = gap
        self.equal = equal
        #: the first N items are as wide as the widest of them (a choice beside other tools)
        self.equal_first = equal_first

    def children(self) -> Sequence[Item]:
        return self.items

    def layout(self, theme: Theme, width: int) -> int:
        gap = theme.px(self.gap)
        widths = [min(width, it.natural_width(theme, width)) for it in self.items]
        if self.equal and widths:
            # equal prominence: every button as wide as the widest one
            w = max(widths)
            if w * len(widths) + gap * (len(widths) - 1) <= width:
                widths = [w] * len(widths)
            else:
                widths = [width] * len(widths)
        elif self.equal_first > 1:
            n = self.equal_first
            widths[:n] = [max(widths[:n])] * len(widths[:n])
        x = y = line_h = 0
        for item, w in zip(self.items, widths, strict=True):
            if x > 0 and x + w > width:
                x = 0
                y += line_h + gap
                line_h = 0
            h = item.layout(theme, w)
            item.rect.topleft = (x, y)
            line_h = max(line_h, h)
            x += w + gap
        if self.equal:
            # align heights within the row so buttons look the same size
            for item in self.items:
                same = [o for o in self.items if o.rect.top == item.rect.top]
                item.rect.height = max(o.rect.height for o in same)
        total = y + line_h
        self.rect.size = (width, total)
        return total


class Slider(Item):
    """A value stepped with Left/Right (or a click on either half), shown as label and bar."""

    focusable = True

    def __init__(
        self,
        label: TextSource,
        get: Callable[[], int],
        set_: Callable[[int], None],
        lo: int,
        hi: int,
        step: int,
        fmt: Callable[[int], str] = str,
        ident: str | None = None,
    ) -> None:
        super().__init__()
        self.label, self.get, self.set, self.lo, self.hi, self.step = label, get, set_, lo, hi, step
        self.fmt = fmt
        self.ident = ident

    def _caption(self) -> str:
        return f"{_resolve(self.label)}: {self.fmt(self.get())}"

    def layout(self, theme: Theme, width: int) -> int:
        inner = width - 2 * theme.px(12)
        h = theme.text_height(self._caption(), "button", inner) + theme.px(40)
        self.rect.size = (width, h)
        return h

    def change(self, direction: int) -> None:
        value = min(self.hi, max(self.lo, self.get() + direction * self.step))
        self.set(value)

    def on_key(self, event: pygame.event.Event) -> bool:
        if event.key in (pygame.K_LEFT, pygame.K_MINUS, pygame.K_KP_MINUS):
            self.change(-1)
            return True
        if event.key in (pygame.K_RIGHT, pygame.K_PLUS, pygame.K_KP_PLUS, pygame.K_EQUALS):
            self.change(1)
            return True
        return False

    def on_click(self, local: tuple[int, int]) -> None:
        self.change(-1 if local[0] < self.rect.width // 2 else 1)

    def draw(self, surface: pygame.Surface, at: pygame.Rect, theme: Theme, focused: bool) -> None:
        pal = theme.palette
        pygame.draw.rect(surface, pal.button, at, border_radius=theme.px(8))
        pygame.draw.rect(
            surface, pal.panel_border, at, width=max(1, theme.px(1.5)), border_radius=theme.px(8)
        )
        pad = theme.px(12)
        text_rect = pygame.Rect(at.left + pad, at.top + theme.px(6), at.width - 2 * pad, 0)
        used = theme.draw_text(surface, self._caption(), "button", pal.button_text, text_rect)
        bar = pygame.Rect(
            at.left + pad + theme.px(24),
            at.top + theme.px(6) + used + theme.px(12),
            at.width - 2 * pad - theme.px(48),
            max(4, theme.px(6)),
        )
        pygame.draw.rect(surface, pal.muted, bar, border_radius=3)
        frac = (self.get() - self.lo) / max(1, self.hi - self.lo)
        fill = bar.copy()
        fill.width = max(1, int(bar.width * frac))
        pygame.draw.rect(surface, pal.accent, fill, border_radius=3)
        pygame.draw.circle(
            surface, pal.text, (bar.left + int(bar.width * frac), bar.centery), theme.px(9)
        )
        # the '-' and '+' ends tell mouse users where to click
        for sign, x in (("-", at.left + pad), ("+", at.right - pad - theme.measure("button", "+"))):
            glyph = theme.render(sign, "button", pal.button_text)
            surface.blit(glyph, (x, bar.centery - glyph.get_height() // 2))

    def texts(self) -> list[str]:
        return [self._caption()]

    def overflows(self, theme: Theme) -> bool:
        inner = self.rect.width - 2 * theme.px(12)
        lines = theme.wrap(self._caption(), "button", inner)
        return any(theme.measure("button", ln) > inner for ln in lines)


class Panel:
    """A scrolling column of items with keyboard focus (Tab, arrows, Enter) and a focus ring."""

    def __init__(
        self,
        rect: pygame.Rect,
        items: Sequence[Item],
        *,
        padding: int = 24,
        background: bool = True,
    ) -> None:
        self.rect = pygame.Rect(rect)
        self.items = list(items)
        self.padding = padding
        self.background = background
        self.scroll = 0
        self.content_height = 0
        self.focus_index: int | None = None
        self._focusables: list[Item] = []
        self._theme: Theme | None = None
        self._pad = padding

    # -- layout ---------------------------------------------------------------------------
    def layout(self, theme: Theme, rect: pygame.Rect | None = None) -> None:
        if rect is not None:
            self.rect = pygame.Rect(rect)
        focused = self.focused
        self._theme = theme
        self._pad = theme.px(self.padding) if self.padding else 0
        width = self.rect.width - 2 * self._pad - theme.px(10)  # room for the scrollbar
        y = self._pad
        gap = theme.px(10)
        for item in self.items:
            h = item.layout(theme, min(width, item.natural_width(theme, width)))
            item.rect.topleft = (self._pad, y)
            y += h + gap
        self.content_height = y - gap + self._pad
        self._focusables = []
        self._absolute: dict[int, pygame.Rect] = {}
        for item in self.items:
            self._collect(item, item.rect.left, item.rect.top, top=True)
        if focused is not None and focused in self._focusables:
            self.focus_index = self._focusables.index(focused)
        elif self.focus_index is not None and self.focus_index >= len(self._focusables):
            self.focus_index = None
        self.clamp_scroll()

    def _collect(self, item: Item, x: int, y: int, top: bool = False) -> None:
        abs_rect = pygame.Rect(x, y, item.rect.width, item.rect.height)
        self._absolute[id(item)] = abs_rect
        if item.focusable:
            self._focusables.append(item)
        for child in item.children():
            self._collect(child, x + child.rect.left, y + child.rect.top)

    def abs_rect(self, item: Item) -> pygame.Rect:
        """Content-relative rect of any (possibly nested) item."""
        return self._absolute[id(item)]

    def screen_rect(self, item: Item) -> pygame.Rect:
        r = self.abs_rect(item)
        return r.move(self.rect.left, self.rect.top - self.scroll)

    def all_items(self) -> list[Item]:
        out: list[Item] = []

        def walk(it: Item) -> None:
            out.append(it)
            for c in it.children():
                walk(c)

        for it in self.items:
            walk(it)
        return out

    @property
    def view_height(self) -> int:
        return self.rect.height

    @property
    def max_scroll(self) -> int:
        return max(0, self.content_height - self.view_height)

    def clamp_scroll(self) -> None:
        self.scroll = min(self.max_scroll, max(0, self.scroll))

    # -- focus ----------------------------------------------------------------------------
    @property
    def focusables(self) -> list[Item]:
        return self._focusables

    @property
    def focused(self) -> Item | None:
        if self.focus_index is None or self.focus_index >= len(self._focusables):
            return None
        return self._focusables[self.focus_index]

    def focus(self, item: Item | None, scroll: bool = True) -> None:
        if item is None:
            self.focus_index = None
            return
        if item in self._focusables:
            self.focus_index = self._focusables.index(item)
            if scroll:
                self.ensure_visible(item)

    def focus_by_ident(self, ident: str, scroll: bool = True) -> None:
        for item in self._focusables:
            if item.ident == ident:
                self.focus(item, scroll)
                return

    def move_focus(self, delta: int) -> None:
        n = len(self._focusables)
        if n == 0:
            return
        start = self.focus_index
        idx = (0 if delta > 0 else n - 1) if start is None else start + delta
        for _ in range(n):
            idx %= n
            if self._focusables[idx].enabled:
                self.focus(self._focusables[idx])
                return
            idx += 1 if delta > 0 else -1

    def in_view(self, item: Item) -> bool:
        """True if the whole item is inside the visible part of the panel."""
        if id(item) not in self._absolute:
            return False
        r = self.abs_rect(item)
        return r.top >= self.scroll and r.bottom <= self.scroll + self.view_height

    def ensure_visible(self, item: Item) -> None:
        if self._theme is None or id(item) not in self._absolute:
            return
        r = self.abs_rect(item)
        margin = self._theme.px(12)
        if r.top - margin < self.scroll:
            self.scroll = r.top - margin
        elif r.bottom + margin > self.scroll + self.view_height:
            self.scroll = r.bottom + margin - self.view_height
        self.clamp_scroll()

    # -- events ---------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> bool:
        lh = self._theme.line_height("body") if self._theme else 24
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if not self.rect.collidepoint(event.pos):
                return False
            cx, cy = event.pos[0] - self.rect.left, event.pos[1] - self.rect.top + self.scroll
            for item in self._focusables:
                r = self.abs_rect(item)
                if r.collidepoint(cx, cy):
                    self.focus(item)
                    if item.enabled:
                        item.on_click((cx - r.left, cy - r.top))
                    return True
            return True
        if event.type == pygame.MOUSEWHEEL:
            self.scroll -= int(event.y * lh * 3)
            self.clamp_scroll()
            return True
        if event.type != pygame.KEYDOWN:
            return False
        focused = self.focused
        if focused is not None and focused.on_key(event):
            return True
        key = event.key
        shift = bool(event.mod & pygame.KMOD_SHIFT)
        if key == pygame.K_TAB:
            self.move_focus(-1 if shift else 1)
            return True
        if key in (pygame.K_DOWN, pygame.K_RIGHT):
            self.move_focus(1)
            return True
        if key in (pygame.K_UP, pygame.K_LEFT):
            self.move_focus(-1)
            return True
        if key in ACTIVATE_KEYS and focused is not None:
            focused.activate()
            return True
        if key == pygame.K_PAGEDOWN:
            self.scroll += self.view_height - lh
            self.clamp_scroll()
            return True
        if key == pygame.K_PAGEUP:
            self.scroll -= self.view_height - lh
            self.clamp_scroll()
            return True
        if key == pygame.K_HOME:
            self.scroll = 0
            return True
        if key == pygame.K_END:
            self.scroll = self.max_scroll
            return True
        return False

    # -- drawing --------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface, theme: Theme) -> None:
        pal = theme.palette
        if self.background:
            pygame.draw.rect(surface, pal.panel, self.rect, border_radius=theme.px(10))
            pygame.draw.rect(
                surface,
                pal.panel_border,
                self.rect,
                width=max(1, theme.px(1)),
                border_radius=theme.px(10),
            )
        old_clip = surface.get_clip()
        surface.set_clip(self.rect.clip(old_clip) if old_clip else self.rect)
        focused = self.focused
        top, bottom = self.scroll, self.scroll + self.view_height
        mouse = pygame.mouse.get_pos() if pygame.mouse.get_focused() else (-1, -1)
        for item in self.all_items():
            r = self.abs_rect(item)
            if r.bottom < top or r.top > bottom:
                continue
            if isinstance(item, Button):
                item.hovered = self.rect.collidepoint(mouse) and self.screen_rect(
                    item
                ).collidepoint(mouse)
            item.draw(surface, self.screen_rect(item), theme, item is focused)
        surface.set_clip(old_clip)
        if focused is not None:
            at = self.screen_rect(focused)
            if at.colliderect(self.rect):
                fill = getattr(focused, "fill", None) or pal.panel
                # a control scrolled half out of view keeps its ring inside the panel
                inside = self.rect.contains(at)
                draw_focus_ring(surface, at, theme, fill, None if inside else self.rect)
        if self.max_scroll > 0:
            track = pygame.Rect(
                self.rect.right - theme.px(10), self.rect.top + 4, theme.px(6), self.rect.height - 8
            )
            pygame.draw.rect(surface, pal.panel_border, track, border_radius=3)
            frac = self.view_height / self.content_height
            thumb_h = max(theme.px(24), int(track.height * frac))
            pos = int((track.height - thumb_h) * self.scroll / self.max_scroll)
            thumb = pygame.Rect(track.left, track.top + pos, track.width, thumb_h)
            pygame.draw.rect(surface, pal.text, thumb, border_radius=3)

    def texts(self) -> list[str]:
        out: list[str] = []
        for item in self.all_items():
            out.extend(item.texts())
        return out


class Clipboard:
    """System clipboard through pygame.scrap when the video driver has one, else in-process."""

    def __init__(self) -> None:
        self._local = ""

    def put(self, text: str) -> None:
        self._local = text
        try:
            pygame.scrap.put_text(text)
        except (pygame.error, AttributeError):
            pass

    def get(self) -> str:
        try:
            text = pygame.scrap.get_text()
        except (pygame.error, AttributeError):
            text = ""
        return text or self._local


class TextInput:
    """A multi-line input box: typing (TEXTINPUT, so any script and IME), cursor movement,
    selection with Shift and the mouse, word jumps with Ctrl, copy/cut/paste, and a limit."""

    def __init__(
        self,
        clipboard: Clipboard,
        on_submit: Callable[[str], None],
        max_length: int = 4000,
        max_lines: int = 4,
    ) -> None:
        self.text = ""
        self.cursor = 0
        self.anchor: int | None = None
        self.clipboard = clipboard
        self.on_submit = on_submit
        self.max_length = max_length
        self.max_lines = max_lines
        self.rect = pygame.Rect(0, 0, 0, 0)
        self.focused = True
        self.cursor_visible = True  # the chat scene blinks it unless motion is reduced
        self.composition = ""  # IME text being composed, shown underlined at the cursor
        self._dragging = False
        self._spans: list[tuple[int, int]] = [(0, 0)]
        self._first_line = 0
        self._theme: Theme | None = None
        self.enabled = True

    # -- editing --------------------------------------------------------------------------
    def selection(self) -> tuple[int, int] | None:
        if self.anchor is None or self.anchor == self.cursor:
            return None
        return (min(self.anchor, self.cursor), max(self.anchor, self.cursor))

    def selected_text(self) -> str:
        sel = self.selection()
        return self.text[sel[0] : sel[1]] if sel else ""

    def _delete_selection(self) -> bool:
        sel = self.selection()
        if not sel:
            return False
        self.text = self.text[: sel[0]] + self.text[sel[1] :]
        self.cursor = sel[0]
        self.anchor = None
        return True

    def insert(self, s: str) -> None:
        self._delete_selection()
        room = self.max_length - len(self.text)
        s = s[: max(0, room)]
        self.text = self.text[: self.cursor] + s + self.text[self.cursor :]
        self.cursor += len(s)
        self.anchor = None

    def clear(self) -> None:
        self.text, self.cursor, self.anchor = "", 0, None

    def _word_left(self, i: int) -> int:
        while i > 0 and self.text[i - 1].isspace():
            i -= 1
        while i > 0 and not self.text[i - 1].isspace():
            i -= 1
        return i

    def _word_right(self, i: int) -> int:
        n = len(self.text)
        while i < n and self.text[i].isspace():
            i += 1
        while i < n and not self.text[i].isspace():
            i += 1
        return i

    def _move(self, new: int, shift: bool) -> None:
        if shift:
            if self.anchor is None:
                self.anchor = self.cursor
        else:
            sel = self.selection()
            self.anchor = None
            if sel and new in (self.cursor - 1, self.cursor + 1):
                new = sel[0] if new < self.cursor else sel[1]
        self.cursor = max(0, min(len(self.text), new))

    def _line_of(self, index: int) -> int:
        for i, (a, b) in enumerate(self._spans):
            if a <= index <= b and (
                index < b or i == len(self._spans) - 1 or self._spans[i + 1][0] != b
            ):
                return i
        return len(self._spans) - 1

    def _refresh_spans(self) -> None:
        if self._theme is not None and self.rect.width > 0:
            theme = self._theme
            inner = self.rect.width - 2 * theme.px(10)
            self._spans = wrap_spans(self.text, inner, lambda s: theme.measure("body", s))
        else:  # not laid out yet: one line per paragraph
            spans, start = [], 0
            for part in self.text.split("\n"):
                spans.append((start, start + len(part)))
                start += len(part) + 1
            self._spans = spans

    def handle_event(self, event: pygame.event.Event) -> bool:
        if not self.enabled:
            return False
        if event.type == pygame.KEYDOWN:
            self._refresh_spans()
        if event.type == pygame.TEXTEDITING:
            # an input method (e.g. for Chinese or Japanese) is composing: show it, don't insert
            self.composition = event.text
            return True
        if event.type == pygame.TEXTINPUT:
            self.composition = ""
            self.insert(event.text)
            return True
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if self.rect.collidepoint(event.pos):
                self.cursor = self._index_at(event.pos)
                self.anchor = self.cursor
                self._dragging = True
                return True
            return False
        if event.type == pygame.MOUSEMOTION and self._dragging:
            self.cursor = self._index_at(event.pos)
            return True
        if event.type == pygame.MOUSEBUTTONUP and event.button == 1 and self._dragging:
            self._dragging = False
            return True
        if event.type != pygame.KEYDOWN:
            return False
        key, mod = event.key, event.mod
        ctrl = bool(mod & (pygame.KMOD_CTRL | pygame.KMOD_META))
        shift = bool(mod & pygame.KMOD_SHIFT)
        if key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            if shift:
                self.insert("\n")
            elif self.text.strip():
                text = self.text
                self.clear()
                self.on_submit(text)
            return True
        if key == pygame.K_BACKSPACE:
            if not self._delete_selection() and self.cursor > 0:
                start = self._word_left(self.cursor) if ctrl else self.cursor - 1
                self.text = self.text[:start] + self.text[self.cursor :]
                self.cursor = start
            return True
        if key == pygame.K_DELETE:
            if not self._delete_selection() and self.cursor < len(self.text):
                end = self._word_right(self.cursor) if ctrl else self.cursor + 1
                self.text = self.text[: self.cursor] + self.text[end:]
            return True
        if key == pygame.K_LEFT:
            self._move(self._word_left(self.cursor) if ctrl else self.cursor - 1, shift)
            return True
        if key == pygame.K_RIGHT:
            self._move(self._word_right(self.cursor) if ctrl else self.cursor + 1, shift)
            return True
        if key == pygame.K_HOME:
            line = self._spans[self._line_of(self.cursor)]
            self._move(0 if ctrl else line[0], shift)
            return True
        if key == pygame.K_END:
            line = self._spans[self._line_of(self.cursor)]
            self._move(len(self.text) if ctrl else line[1], shift)
            return True
        if key in (pygame.K_UP, pygame.K_DOWN) and len(self._spans) > 1:
            li = self._line_of(self.cursor)
            target = li + (-1 if key == pygame.K_UP else 1)
            if 0 <= target < len(self._spans):
                col = self.cursor - self._spans[li][0]
                a, b = self._spans[target]
                self._move(min(a + col, b), shift)
                return True
            return False
        if ctrl and key == pygame.K_a:
            self.anchor, self.cursor = 0, len(self.text)
            return True
        if ctrl and key in (pygame.K_c, pygame.K_x):
            if self.selected_text():
                self.clipboard.put(self.selected_text())
                if key == pygame.K_x:
                    self._delete_selection()
            return True
        if ctrl and key == pygame.K_v:
            pasted = self.clipboard.get().replace("\r\n", "\n").replace("\x00", "")
            if pasted:
                self.insert(pasted)
            return True
        # printable keys arrive as TEXTINPUT; claim their KEYDOWN so scene hotkeys stay quiet
        return bool(event.unicode and event.unicode.isprintable() and not ctrl)

    # -- layout and drawing ---------------------------------------------------------------
    def layout(self, theme: Theme, rect: pygame.Rect) -> None:
        self._theme = theme
        self.rect = pygame.Rect(rect)

    def height_for(self, theme: Theme, width: int) -> int:
        pad = theme.px(10)
        spans = wrap_spans(self.text, width - 2 * pad, lambda s: theme.measure("body", s))
        lines = min(self.max_lines, max(1, len(spans)))
        return lines * theme.line_height("body") + 2 * pad

    def _index_at(self, pos: tuple[int, int]) -> int:
        if self._theme is None:
            return self.cursor
        theme = self._theme
        pad = theme.px(10)
        lh = theme.line_height("body")
        row = self._first_line + max(0, (pos[1] - self.rect.top - pad) // lh)
        row = min(row, len(self._spans) - 1)
        a, b = self._spans[row]
        x = pos[0] - self.rect.left - pad
        for i in range(a, b + 1):
            if theme.measure("body", self.text[a:i]) >= x:
                return i
        return b

    def draw(self, surface: pygame.Surface, theme: Theme, placeholder: str = "") -> None:
        pal = theme.palette
        pad = theme.px(10)
        lh = theme.line_height("body")
        inner_w = self.rect.width - 2 * pad
        self._spans = wrap_spans(self.text, inner_w, lambda s: theme.measure("body", s))
        pygame.draw.rect(surface, pal.bg, self.rect, border_radius=theme.px(6))
        border = pal.focus if self.focused else pal.panel_border
        pygame.draw.rect(
            surface, border, self.rect, width=max(2, theme.px(2)), border_radius=theme.px(6)
        )
        cur_line = self._line_of(self.cursor)
        visible = max(1, (self.rect.height - 2 * pad) // lh)
        if cur_line < self._first_line:
            self._first_line = cur_line
        elif cur_line >= self._first_line + visible:
            self._first_line = cur_line - visible + 1
        self._first_line = max(0, min(self._first_line, max(0, len(self._spans) - visible)))
        old = surface.get_clip()
        surface.set_clip(self.rect.inflate(-4, -4).clip(old) if old else self.rect.inflate(-4, -4))
        if not self.text and placeholder:
            surface.blit(
                theme.render(placeholder, "body", pal.muted),
                (self.rect.left + pad, self.rect.top + pad),
            )
        sel = self.selection()
        for row in range(self._first_line, min(len(self._spans), self._first_line + visible)):
            a, b = self._spans[row]
            y = self.rect.top + pad + (row - self._first_line) * lh
            x0 = self.rect.left + pad
            if sel and sel[0] < b and sel[1] > a:
                s0, s1 = max(a, sel[0]), min(b, sel[1])
                sx = x0 + theme.measure("body", self.text[a:s0])
                sw = theme.measure("body", self.text[s0:s1])
                pygame.draw.rect(surface, pal.selected, (sx, y, max(2, sw), lh))
            line = self.text[a:b]
            if line:
                surface.blit(theme.render(line, "body", pal.text), (x0, y))
            if row == cur_line and self.focused and self.composition:
                cx = x0 + theme.measure("body", self.text[a : self.cursor])
                comp = theme.render(self.composition, "body", pal.accent)
                surface.blit(comp, (cx, y))
                pygame.draw.line(
                    surface, pal.accent, (cx, y + lh - 3), (cx + comp.get_width(), y + lh - 3), 2
                )
            if row == cur_line and self.focused and self.cursor_visible:
                cx = x0 + theme.measure("body", self.text[a : self.cursor])
                pygame.draw.line(
                    surface, pal.focus, (cx, y + 2), (cx, y + lh - 2), max(2, theme.px(2))
                )
        surface.set_clip(old)
