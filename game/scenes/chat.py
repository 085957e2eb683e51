"""The chat with a counsellor: scrollback, a multi-line input, delivery and read marks, the
counsellor's name and kind, a typing indicator, ending the chat, and a clear state when the
connection drops (messages wait and are sent after the client resumes from its last seq).

Each message bubble is rendered once to a surface and cached by its text, state and width, so
a long scrollback costs only the blits of the bubbles on screen.
"""

from __future__ import annotations

import bisect
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pygame

from game.conversation import ChatLine, Phase
from game.net import NetState
from game.scenes.base import Scene
from game.ui import Button, Item, Panel, Row, Text, TextInput

if TYPE_CHECKING:
    from game.app import GameApp

TYPING_IDLE_SECONDS = 4.0


def _clock(at: str | None) -> str:
    if not at:
        return ""
    try:
        when = datetime.fromisoformat(str(at).replace("Z", "+00:00"))
    except ValueError:
        return ""
    if when.tzinfo is not None:
        when = when.astimezone()
    return when.strftime("%H:%M")


class ChatScene(Scene):
    name = "chat"
    sensitive = True
    confirm_erase = False

    def __init__(self, app: GameApp) -> None:
        super().__init__(app)
        self.input = TextInput(app.clipboard, self.submit)
        self.header = Panel(pygame.Rect(0, 0, 10, 10), [], padding=0, background=False)
        self.focus_on_input = True
        self.scroll_from_bottom = 0
        self._bubbles: dict[tuple[Any, ...], pygame.Surface] = {}
        self._metrics: dict[tuple[Any, ...], tuple[Any, ...]] = {}
        self._offsets: list[int] = []
        self._heights: list[int] = []
        self._layout_key: tuple[Any, ...] | None = None
        self._typing_sent = False
        self._last_edit = 0.0
        self._last_text = ""
        self.area = pygame.Rect(0, 0, 10, 10)
        self._send_button = Button(
            lambda: self.tr("chat.send"), self._send_clicked, kind="primary", ident="send"
        )

    # -- state text ------------------------------------------------------------------------
    def title(self) -> str:
        conv = self.app.conversation
        c = conv.counsellor
        if c is None:
            return self.tr("chat.title_unknown")
        kind = self.tr(f"kind.{c.kind}") if c.kind else self.tr("chat.counsellor")
        return self.tr("chat.title", name=c.display_name or self.tr("chat.counsellor"), kind=kind)

    def state_text(self) -> str:
        conv = self.app.conversation
        state = self.app.net.state
        if conv.phase == Phase.ENDED:
            return self.tr("chat.ended")
        if state == NetState.ONLINE:
            return self.tr("chat.online")
        if state in (NetState.CONNECTING, NetState.RECONNECTING):
            return self.tr("chat.reconnecting")
        return self.tr("chat.offline")

    # -- layout ------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._built_for = -1

    def build(self) -> None:
        app, theme, tr = self.app, self.theme, self.tr
        w, h = app.size
        margin = theme.px(14)
        conv = app.conversation
        buttons: list[Item] = [
            Button(tr("chat.back_to_game"), self.back_to_game, ident="back_to_game", compact=True)
        ]
        if conv.phase != Phase.ENDED:
            # ending the chat and going back to the game are equal choices
            buttons.append(Button(tr("chat.end"), self.end_chat, ident="end", compact=True))
        buttons += self._objective_buttons()
        erase_label = "chat.erase_confirm" if self.confirm_erase else "chat.erase"
        buttons.append(Button(tr(erase_label), self.erase, ident="erase", compact=True))
        buttons.append(
            Button(
                tr("chat.helplines"), lambda: app.open_resources(), ident="helplines", compact=True
            )
        )
        focus_ident = self.header.focused.ident if self.header.focused else None
        top = app.top_bar_height
        self.header = Panel(
            pygame.Rect(margin, top, w - 2 * margin, h),
            [
                Text(self.title, "speaker", "accent"),
                Text(self.state_text, "small", "muted"),
                Row(buttons, 8, equal_first=2 if conv.phase != Phase.ENDED else 0),
                *self._feedback_items(),
            ],
            padding=0,
            background=False,
        )
        self.header.layout(theme)
        self.header.rect.height = self.header.content_height
        self.header.layout(theme)
        if focus_ident:
            self.header.focus_by_ident(focus_ident)
        send_w = self._send_button.natural_width(theme, 300)
        input_w = w - 2 * margin - send_w - theme.px(10)
        input_h = self.input.height_for(theme, input_w)
        input_rect = pygame.Rect(margin, h - margin - input_h, input_w, input_h)
        self.input.layout(theme, input_rect)
        self.input.enabled = conv.phase == Phase.MATCHED
        self._send_button.layout(theme, send_w)
        self._send_button.rect.topleft = (input_rect.right + theme.px(10), input_rect.top)
        # the status line above the input wraps (at 200 % "This chat has ended ..." is wider
        # than the window): room for the longest of them
        self._status_width = w - 2 * margin
        name = conv.counsellor.display_name if conv.counsellor else ""
        statuses = [
            tr("chat.ended_note"),
            tr("chat.scrolled_hint"),
            tr("chat.keys_hint"),
            tr("chat.typing", name=name) + "..",
        ]
        self._status_lines = max(len(theme.wrap(s, "small", self._status_width)) for s in statuses)
        typing_h = self._status_lines * theme.line_height("small") + theme.px(6)
        self.area = pygame.Rect(
            margin,
            self.header.rect.bottom + theme.px(8),
            w - 2 * margin,
            input_rect.top - typing_h - self.header.rect.bottom - theme.px(12),
        )
        self._layout_key = None

    def _bubble_key(self, line: ChatLine, width: int) -> tuple[Any, ...]:
        conv = self.app.conversation
        read = line.sender == "player" and line.seq is not None and line.seq <= conv.read_upto
        return (id(line), line.text, line.seq, line.failed, read, width, self.app.theme_version)

    def _meta(self, line: ChatLine) -> str:
        tr = self.tr
        parts = [_clock(line.at)]
        if line.sender == "player":
            if line.failed:
                parts.append(tr("chat.not_sent", reason=line.failed))
            elif line.seq is None:
                parts.append(tr("chat.sending"))
            elif line.seq <= self.app.conversation.read_upto:
                parts.append(tr("chat.read"))
            else:
                parts.append(tr("chat.delivered"))
        elif line.sender == "counsellor":
            c = self.app.conversation.counsellor
            parts.insert(0, c.display_name if c else tr("chat.counsellor"))
        return " · ".join(p for p in parts if p)

    def _objective_buttons(self) -> list[Item]:
        """Agree or not to the counsellor's suggested objective; suggest one of ours."""
        conv, tr = self.app.conversation, self.tr
        if conv.phase != Phase.MATCHED:
            return []
        if conv.objective_open is not None and conv.objective_open[3] == "counsellor":
            return [
                Button(
                    tr("chat.objective_agree"),
                    self._agree,
                    kind="primary",
                    ident="objective_agree",
                    compact=True,
                ),
                Button(
                    tr("chat.objective_not_now"),
                    self._not_now,
                    ident="objective_not_now",
                    compact=True,
                ),
            ]
        return [
            Button(
                tr("chat.objective_suggest"), self._suggest, ident="objective_suggest", compact=True
            )
        ]

    def _feedback_items(self) -> list[Item]:
        """After the end: the optional, anonymous "Did this help?" (skippable, nothing chosen)."""
        conv, tr = self.app.conversation, self.tr
        if conv.feedback == "sent":
            return [Text(tr("chat.feedback_thanks"), "small", "muted")]
        if conv.feedback != "ask":
            return []
        return [
            Text(tr("chat.feedback_question"), "body"),
            Row(
                [
                    Button(
                        tr("chat.feedback_yes"),
                        lambda: self._feedback(True),
                        ident="feedback_yes",
                        compact=True,
                    ),
                    Button(
                        tr("chat.feedback_no"),
                        lambda: self._feedback(False),
                        ident="feedback_no",
                        compact=True,
                    ),
                    Button(
                        tr("chat.feedback_skip"),
                        lambda: self._feedback(None),
                        ident="feedback_skip",
                        compact=True,
                    ),
                ],
                8,
            ),
        ]

    def _agree(self) -> None:
        self.app.conversation.answer_objective(True)

    def _not_now(self) -> None:
        self.app.conversation.answer_objective(False)

    def _suggest(self) -> None:
        from game.scenes.preferences import ObjectiveScene

        self.app.push(ObjectiveScene(self.app))

    def _feedback(self, helped: bool | None) -> None:
        self.app.conversation.answer_feedback(helped)
        self.refresh()

    def line_text(self, line: ChatLine) -> str:
        """System notes made by the client are i18n keys starting with '@' (an objective note
        carries its objective code and the proposer's line after '|')."""
        if line.sender == "system" and line.text.startswith("@objective_"):
            key, code, note = (line.text[1:].split("|", 2) + ["", ""])[:3]
            what = self.tr(f"objective.{code}") + (f": “{note}”" if note else "")
            return self.tr(f"chat.sys_{key}", objective=what)
        if line.sender == "system" and line.text.startswith("@"):
            org = self.app.conversation.referred_to or ""
            contact = self.app.conversation.referred_contact or ""
            return self.tr(f"chat.sys_{line.text[1:]}", organisation=org, contact=contact)
        return line.text

    def _bubble_layout(self, line: ChatLine, width: int) -> tuple[Any, ...]:
        """Wrapped lines and size of a bubble, without drawing it (cheap, cached)."""
        key = self._bubble_key(line, width)
        cached = self._metrics.get(key)
        if cached is not None:
            return cached
        theme = self.theme
        pad = theme.px(10)
        max_w = int(width * (0.9 if line.sender == "system" else 0.72))
        role = "small" if line.sender == "system" else "body"
        lines = theme.wrap(self.line_text(line), role, max_w - 2 * pad)
        meta = self._meta(line)
        meta_lines = theme.wrap(meta, "small", max_w - 2 * pad) if meta else []
        text_w = max(
            [theme.measure(role, ln) for ln in lines]
            + [theme.measure("small", ln) for ln in meta_lines]
            + [10]
        )
        bw = min(max_w, text_w + 2 * pad)
        bh = (
            len(lines) * theme.line_height(role)
            + len(meta_lines) * theme.line_height("small")
            + 2 * pad
        )
        result = (bw, bh, role, lines, meta_lines)
        if len(self._metrics) > 5000:
            self._metrics.clear()
        self._metrics[key] = result
        return result

    def _render_bubble(self, line: ChatLine, width: int) -> pygame.Surface:
        key = self._bubble_key(line, width)
        surf = self._bubbles.get(key)
        if surf is not None:
            return surf
        theme = self.theme
        pal = theme.palette
        pad = theme.px(10)
        bw, bh, role, lines, meta_lines = self._bubble_layout(line, width)
        surf = pygame.Surface((bw, bh), pygame.SRCALPHA)
        color = {"player": pal.bubble_me, "counsellor": pal.bubble_them}.get(
            line.sender, pal.bubble_system
        )
        pygame.draw.rect(surf, color, surf.get_rect(), border_radius=theme.px(10))
        if theme.high_contrast:
            pygame.draw.rect(surf, pal.text, surf.get_rect(), width=2, border_radius=theme.px(10))
        y = pad
        text_color = pal.muted if line.sender == "system" else pal.text
        for ln in lines:
            if ln:
                surf.blit(theme.render(ln, role, text_color), (pad, y))
            y += theme.line_height(role)
        meta_color = pal.danger_text if line.failed else pal.muted
        for ln in meta_lines:
            surf.blit(theme.render(ln, "small", meta_color), (pad, y))
            y += theme.line_height("small")
        if len(self._bubbles) > 2000:
            self._bubbles.clear()
        self._bubbles[key] = surf
        return surf

    def _layout_messages(self) -> None:
        lines = self.app.conversation.lines
        width = self.area.width - self.theme.px(14)
        conv = self.app.conversation
        key = (
            len(lines),
            width,
            self.app.theme_version,
            conv.read_upto,
            conv.last_seq,
            tuple(self._bubble_key(ln, width) for ln in lines[-3:]),
        )
        if key == self._layout_key:
            return
        gap = self.theme.px(8)
        offsets, heights = [], []
        y = 0
        for line in lines:
            bh = self._bubble_layout(line, width)[1]
            offsets.append(y)
            heights.append(bh)
            y += bh + gap
        self._offsets, self._heights = offsets, heights
        self._content_h = max(0, y - gap)
        self._layout_key = key

    @property
    def max_scroll(self) -> int:
        return max(0, getattr(self, "_content_h", 0) - self.area.height)

    # -- actions -----------------------------------------------------------------------------
    def submit(self, text: str) -> None:
        conv = self.app.conversation
        if conv.send_text(text) is not None:
            self.scroll_from_bottom = 0
            if self._typing_sent:
                self._typing_sent = False  # the server clears typing when a message arrives
        self.refresh()

    def _send_clicked(self) -> None:
        if self.input.text.strip():
            text = self.input.text
            self.input.clear()
            self.submit(text)

    def back_to_game(self) -> None:
        self.app.pop(self)

    def end_chat(self) -> None:
        self.app.conversation.end()
        self.refresh()

    def erase(self) -> None:
        if not self.confirm_erase:
            self.confirm_erase = True  # a second press is needed: erasing cannot be undone
            self.refresh()
            return
        self.app.erase_everything()

    def on_enter(self) -> None:
        # text input (and the IME candidate window) only while the chat is open, so letters
        # stay hotkeys in the story
        pygame.key.start_text_input()
        pygame.key.set_text_input_rect(self.input.rect)

    def on_resume(self) -> None:
        self.on_enter()
        self.refresh()

    def on_leave(self) -> None:
        pygame.key.stop_text_input()
        self._bubbles.clear()
        self._metrics.clear()
        self.input.clear()
        if self._typing_sent:
            self.app.conversation.set_typing(False)
            self._typing_sent = False

    # -- events ------------------------------------------------------------------------------
    def handle_event(self, event: pygame.event.Event) -> bool:
        lh = self.theme.line_height("body")
        if event.type == pygame.KEYDOWN and event.key == pygame.K_TAB:
            self._tab(-1 if event.mod & pygame.KMOD_SHIFT else 1)
            return True
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if self._send_button.rect.collidepoint(event.pos):
                self._send_clicked()
                return True
            if self.input.rect.collidepoint(event.pos):
                self.focus_on_input = True
                self.header.focus(None)
                self.input.focused = True
                return self.input.handle_event(event)
            if self.header.handle_event(event):
                self.focus_on_input = False
                self.input.focused = False
                return True
        if event.type == pygame.MOUSEWHEEL:
            self._scroll(int(event.y * lh * 3))
            return True
        if event.type == pygame.KEYDOWN:
            if event.key == pygame.K_PAGEUP:
                self._scroll(self.area.height - lh)
                return True
            if event.key == pygame.K_PAGEDOWN:
                self._scroll(-(self.area.height - lh))
                return True
            if event.key == pygame.K_END and event.mod & pygame.KMOD_CTRL:
                self.scroll_from_bottom = 0
                return True
        if self.focus_on_input and self.input.enabled:
            if self.input.handle_event(event):
                return True
            if event.type == pygame.KEYDOWN and event.key in (pygame.K_UP, pygame.K_DOWN):
                self._scroll(lh if event.key == pygame.K_UP else -lh)
                return True
        elif self.header.handle_event(event):
            return True
        return False

    def _scroll(self, delta: int) -> None:
        self._layout_messages()
        self.scroll_from_bottom = min(self.max_scroll, max(0, self.scroll_from_bottom + delta))

    def _tab(self, delta: int) -> None:
        order: list[Any] = (["input"] if self.input.enabled else []) + list(self.header.focusables)
        current: Any = (
            "input" if self.focus_on_input and self.input.enabled else (self.header.focused)
        )
        idx = order.index(current) if current in order else -1
        nxt = order[(idx + delta) % len(order)]
        if nxt == "input":
            self.focus_on_input, self.input.focused = True, True
            self.header.focus(None)
        else:
            self.focus_on_input, self.input.focused = False, False
            self.header.focus(nxt)

    def update(self, dt: float) -> None:
        conv = self.app.conversation
        if self.app.top is self and conv.unseen:
            conv.mark_read()
        if self.input.enabled != (conv.phase == Phase.MATCHED):
            self.refresh()
        text = self.input.text
        now = self.app.clock_time
        if text != self._last_text:
            self._last_text = text
            self._last_edit = now
            want = bool(text.strip())
            if want != self._typing_sent:
                self._typing_sent = want
                conv.set_typing(want)
        elif self._typing_sent and now - self._last_edit > TYPING_IDLE_SECONDS:
            self._typing_sent = False
            conv.set_typing(False)

    # -- drawing -----------------------------------------------------------------------------
    def draw(self, surface: pygame.Surface) -> None:
        theme = self.theme
        pal = theme.palette
        surface.fill(pal.bg)
        self.header.draw(surface, theme)
        pygame.draw.rect(
            surface,
            pal.panel,
            self.area.inflate(theme.px(8), theme.px(8)),
            border_radius=theme.px(8),
        )
        self._layout_messages()
        lines = self.app.conversation.lines
        width = self.area.width - self.theme.px(14)
        view_top = self._content_h - self.area.height - self.scroll_from_bottom
        if self._content_h <= self.area.height:
            view_top = -(self.area.height - self._content_h)  # few messages sit at the bottom
        old_clip = surface.get_clip()
        surface.set_clip(self.area)
        first = max(0, bisect.bisect_right(self._offsets, view_top) - 1)
        for i in range(first, len(lines)):
            y = self._offsets[i] - view_top
            if y > self.area.height:
                break
            surf = self._render_bubble(lines[i], width)
            line = lines[i]
            if line.sender == "player":
                x = self.area.left + width - surf.get_width()
            elif line.sender == "system":
                x = self.area.left + (width - surf.get_width()) // 2
            else:
                x = self.area.left
            surface.blit(surf, (x, self.area.top + y))
        surface.set_clip(old_clip)
        if self.max_scroll > 0:
            track = pygame.Rect(
                self.area.right - theme.px(8), self.area.top, theme.px(6), self.area.height
            )
            pygame.draw.rect(surface, pal.panel_border, track, border_radius=3)
            thumb_h = max(theme.px(24), track.height * self.area.height // max(1, self._content_h))
            pos = (
                (track.height - thumb_h)
                * (self.max_scroll - self.scroll_from_bottom)
                // max(1, self.max_scroll)
            )
            pygame.draw.rect(
                surface,
                pal.text,
                (track.left, track.top + pos, track.width, thumb_h),
                border_radius=3,
            )
        conv = self.app.conversation
        lh_small = theme.line_height("small")
        status_y = self.input.rect.top - self._status_lines * lh_small - theme.px(4)
        status = ""
        if conv.counsellor_typing and conv.phase == Phase.MATCHED:
            name = conv.counsellor.display_name if conv.counsellor else ""
            status = self.tr("chat.typing", name=name)
            if not self.theme.reduced_motion:
                # animated dots; with reduced motion the text stays still
                dots = 1 + int(self.app.clock_time * 2) % 3
                status = status.rstrip(".…") + "." * dots
        elif conv.phase == Phase.ENDED:
            status = self.tr("chat.ended_note")
        elif self.scroll_from_bottom > 0:
            status = self.tr("chat.scrolled_hint")
        elif self.input.enabled and not self.input.text:
            status = self.tr("chat.keys_hint")
        if status:
            box = pygame.Rect(self.area.left, status_y, self._status_width, 0)
            theme.draw_text(surface, status, "small", pal.muted, box)
        placeholder = (
            self.tr("chat.placeholder") if self.input.enabled else self.tr("chat.input_closed")
        )
        self.input.focused = self.focus_on_input and self.input.enabled
        since_edit = self.app.clock_time - self._last_edit
        self.input.cursor_visible = (
            self.theme.reduced_motion or since_edit < 0.6 or int(since_edit * 2) % 2 == 0
        )
        self.input.draw(surface, theme, placeholder)
        self._send_button.draw(surface, self._send_button.rect, theme, False)

    def speech(self) -> str:
        conv = self.app.conversation
        last = next((ln for ln in reversed(conv.lines) if ln.sender == "counsellor"), None)
        parts = [self.title(), self.state_text()]
        if last is not None:
            parts.append(last.text)
        return "\n".join(parts)

    def panels(self) -> list[Panel]:
        return [self.header]
