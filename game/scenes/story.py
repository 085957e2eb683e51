"""The story scene: background, portrait, speaker, text (typewriter), choices, and the
always-visible controls (talk to someone, history, saves, helplines, settings, about).

Keys: 1-9 pick a choice, arrows + Enter move and pick, Space/Enter show the whole text,
T talk to someone, H history, S saves, R helplines, B or Backspace one step back.
A help point opens the offer once when reached, only after its own text has been shown in
full; declining returns here exactly as it was. After "Not now" no help point opens the offer
again in this playthrough (a small line points to the "Talk to someone" button instead), and
resuming a save never opens it.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import pygame

from game.art import FALLBACK_LOOK, FALLBACK_SETTING
from game.exceptions import SaveError
from game.narrative.scenery import Look, Setting
from game.scenes.base import Scene
from game.text import summary
from game.ui import Button, Item, Panel, Row, Text
from game.ui import _resolve as resolve_text

if TYPE_CHECKING:
    from game.app import GameApp

FADE_SECONDS = 0.4


class RevealText(Item):
    """Node text drawn with the typewriter: layout is final from the first letter."""

    def __init__(self, scene: StoryScene, text: str) -> None:
        super().__init__()
        self.scene = scene
        self.text = text

    def layout(self, theme: Any, width: int) -> int:
        h: int = theme.text_height(self.text, "body", width)
        self.rect.size = (width, h)
        return h

    def draw(self, surface: pygame.Surface, at: pygame.Rect, theme: Any, focused: bool) -> None:
        shown = None if self.scene.revealed else int(self.scene.reveal)
        theme.draw_text(surface, self.text, "body", theme.palette.text, at, max_chars=shown)

    def texts(self) -> list[str]:
        return [self.text]

    def overflows(self, theme: Any) -> bool:
        lines = theme.wrap(self.text, "body", self.rect.width)
        return any(theme.measure("body", ln) > self.rect.width for ln in lines) or (
            len(lines) * theme.line_height("body") > self.rect.height
        )


class StoryScene(Scene):
    name = "story"

    def __init__(self, app: GameApp) -> None:
        super().__init__(app)
        self.engine: Any = None
        self.backlog: list[list[str]] = []  # [speaker, text, chosen]
        self.reveal = 0.0
        self.warning_ack: str | None = None
        self.offered_at: tuple[str, int] | None = None
        #: the player said "Not now" in this playthrough: help points stay quiet from then on
        self.offer_declined = False
        self.hud = Panel(pygame.Rect(0, 0, 10, 10), [], padding=0, background=False)
        self.dialogue = Panel(pygame.Rect(0, 0, 10, 10), [], padding=18)
        self.load_warnings: list[str] = []
        self._node_key: tuple[str, int] | None = None
        self._offer_wait_key: tuple[str, int] | None = None
        self._bg_name: Setting | None = None
        self._bg_prev: Setting | None = None
        self._bg_fade_start = 0.0

    # -- engine and saves --------------------------------------------------------------------
    def load(self, slot: str | None) -> None:
        """Start from a save slot, or a new game if the slot is empty or None."""
        from game.narrative import Engine

        data = None
        if slot is not None:
            try:
                data = self.app.saves.read(slot)
            except SaveError as exc:
                self.load_warnings.append(str(exc))
        if data is not None:
            engine, warnings = Engine.from_save(self.app.bundle, data["engine"])
            self.load_warnings.extend(warnings)
            self.backlog = [list(x) for x in data.get("backlog", []) if isinstance(x, list)]
        else:
            engine = Engine(self.app.bundle, self.app.locale)
            self.backlog = []
        engine.locale = self.app.locale
        self.engine = engine
        self.app.engine = engine
        self.offer_declined = False
        # a resumed save (or a new start) never opens the offer at the node it begins on
        self.offered_at = (engine.node.id, len(engine.history)) if data is not None else None
        if not self.backlog:
            self._log_node()
        self._enter_node()
        if self.load_warnings:
            self.app.show_notice(
                self.tr("story.load_warning", detail="; ".join(self.load_warnings))
            )

    def save(self, slot: str) -> None:
        engine = self.engine
        label = self._speaker_name() or ""
        text = engine.text(engine.node.text).replace("\n", " ")
        label = f"{label}: {text}" if label else text
        self.app.saves.write(
            slot,
            engine_data=engine.to_save(),
            bundle_hash=self.app.bundle.sha256,
            locale=engine.locale,
            label=summary(label, 80),
            backlog=self.backlog,
        )

    def autosave(self) -> None:
        if self.engine is not None:
            try:
                self.save("auto")
            except SaveError as exc:
                self.app.show_notice(self.tr("story.save_failed", detail=str(exc)))

    # -- node state --------------------------------------------------------------------------
    @property
    def node(self) -> Any:
        return self.engine.node

    def _speaker_name(self) -> str | None:
        sp = self.node.speaker
        return self.engine.text(sp) if sp else None

    def _speaker_id(self) -> str | None:
        sp = self.node.speaker
        if not sp:
            return None
        return str(sp.split(".", 1)[1] if sp.startswith("speaker.") else sp)

    def node_text(self) -> str:
        return self.app.fill(self.engine.text(self.node.text))

    @property
    def revealed(self) -> bool:
        cps = self.app.settings.chars_per_second
        return cps <= 0 or self.reveal >= len(self.node_text())

    def pending_warning(self) -> str | None:
        warnings = self.node.content_warnings
        if not warnings or self.warning_ack == self._key():
            return None
        bundle = self.app.bundle
        return "\n".join(
            self.app.text(bundle.content_warnings[w])
            for w in warnings
            if w in bundle.content_warnings
        )

    def _key(self) -> str:
        return f"{self.node.id}#{len(self.engine.history)}"

    def _log_node(self) -> None:
        self.backlog.append([self._speaker_name() or "", self.node_text(), ""])

    def _enter_node(self) -> None:
        self.reveal = 0.0
        self.refresh()

    def choose(self, choice_id: str) -> None:
        choice = next((c for c in self.engine.choices() if c.id == choice_id), None)
        if choice is None:
            return
        if self.backlog:
            self.backlog[-1][2] = self.engine.text(choice.text)
        self.engine.choose(choice_id)
        self._log_node()
        self._enter_node()
        self.autosave()

    def go_back(self) -> None:
        if not self.engine.can_back():
            # say why nothing happened: at the start, or after a choice about talking to
            # someone, which stays made (the engine never undoes a consent point)
            at_consent = self.engine.back_blocked_by_consent()
            self.app.show_notice(
                self.tr("story.back_consent" if at_consent else "story.back_start")
            )
            return
        self.engine.back()
        if len(self.backlog) > 1:
            self.backlog.pop()
            self.backlog[-1][2] = ""
        self.reveal = 1e9  # a page you have seen is shown whole
        self.warning_ack = self._key()
        self.refresh()
        self.autosave()

    def restart(self) -> None:
        self.app.saves.delete("auto")
        self.app.engine = None
        self.app.adopt_pending_bundle()
        self.load(None)

    # -- layout ------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._built_for = -1

    def build(self) -> None:
        if self.engine is None:
            return
        app, theme = self.app, self.theme
        tr = self.tr
        w, h = app.size
        margin = theme.px(12)
        hud_items: list[Item] = [
            Button(
                tr("story.talk"),
                lambda: app.open_offer(),
                kind="primary",
                ident="talk",
                compact=True,
            ),
        ]
        if theme.scale >= 1.5:
            # big text: the other controls move into a menu so the story keeps its room
            hud_items.append(Button(tr("story.menu"), self.open_menu, ident="menu", compact=True))
        else:
            hud_items += [
                Button(tr("story.history"), self.open_history, ident="history", compact=True),
                Button(tr("story.saves"), self.open_saves, ident="saves", compact=True),
                Button(
                    tr("story.helplines"),
                    lambda: app.open_resources(),
                    ident="helplines",
                    compact=True,
                ),
                Button(tr("story.settings"), app.open_settings, ident="settings", compact=True),
                Button(tr("story.about"), app.open_about, ident="about", compact=True),
            ]
        status = app._status_label()
        if status:
            hud_items.insert(
                0,
                Button(status, app.open_conversation, kind="primary", ident="status", compact=True),
            )
        right = app._quick_button.rect.left - margin
        hud_focus = self.hud.focused.ident if self.hud.focused else None
        self.hud = Panel(
            pygame.Rect(margin, margin, right - margin, h),
            [Row(hud_items, 8)],
            padding=0,
            background=False,
        )
        self.hud.layout(theme)
        self.hud.rect.height = self.hud.content_height
        self.hud.layout(theme)
        if hud_focus:
            self.hud.focus_by_ident(hud_focus)
        hud_bottom = max(self.hud.rect.bottom, app.top_bar_height) + margin

        items: list[Item] = []
        speaker = self._speaker_name()
        warning = self.pending_warning()
        if warning:
            items.append(Text(tr("story.content_note"), "speaker", "accent"))
            items.append(Text(warning))
            row: list[Item] = [
                Button(tr("story.warning_continue"), self._ack_warning, kind="primary", ident="ack")
            ]
            if self.engine.can_back():
                row.append(Button(tr("story.back"), self.go_back, ident="back"))
            row.append(Button(tr("story.talk"), lambda: app.open_offer(), ident="talk2"))
            items.append(Row(row))
        else:
            if speaker:
                items.append(Text(speaker, "speaker", "accent"))
            items.append(RevealText(self, self.node_text()))
            if self.revealed:
                if self.engine.at_help_point and self.offer_declined:
                    items.append(Text(tr("story.offer_hint"), "small", "muted"))
                items.extend(self._choice_items())
        dlg_h_max = int(h * (0.42 + 0.2 * (theme.scale - 1)))
        dlg_h_max = min(dlg_h_max, h - hud_bottom - margin)
        width = w - 2 * margin
        if speaker and not warning and theme.scale < 1.6:
            # leave room on the left for the portrait
            portrait = min(theme.px(230), int(h * 0.45))
            self._portrait_size = portrait
        else:
            self._portrait_size = 0
        old_focus = self.dialogue.focused.ident if self.dialogue.focused else None
        old_scroll = self.dialogue.scroll
        node_key = (self.node.id, len(self.engine.history), bool(warning))
        if node_key != getattr(self, "_layout_node", None):
            # a new page starts at its top, whatever was focused on the last one
            self._layout_node = node_key
            old_scroll, old_focus = 0, None
        self.dialogue = Panel(pygame.Rect(margin, 0, width, dlg_h_max), items, padding=18)
        self.dialogue.layout(theme)
        dlg_h = min(dlg_h_max, max(self.dialogue.content_height, theme.px(140)))
        self.dialogue.rect = pygame.Rect(margin, h - dlg_h - margin, width, dlg_h)
        self.dialogue.layout(theme)
        self.dialogue.scroll = old_scroll
        self.dialogue.clamp_scroll()
        if old_focus:
            self.dialogue.focus_by_ident(old_focus, scroll=False)
        if self.hud.focused is not None:
            pass
        elif self.dialogue.focused is None and self.revealed and not warning:
            first = "again" if self.engine.at_ending else "choice_1"
            self.dialogue.focus_by_ident(first, scroll=False)
        elif warning and self.dialogue.focused is None:
            self.dialogue.focus_by_ident("ack", scroll=False)

    def _choice_items(self) -> list[Item]:
        tr = self.tr
        items: list[Item] = []
        if self.engine.at_ending:
            items.append(Text(tr("story.the_end"), "speaker", "accent"))
            items.append(
                Row(
                    [
                        Button(tr("story.play_again"), self.restart, kind="primary", ident="again"),
                        Button(tr("story.talk"), lambda: self.app.open_offer(), ident="talk3"),
                        Button(tr("story.about"), self.app.open_about, ident="about2"),
                    ]
                )
            )
            return items
        for i, choice in enumerate(self.engine.choices(), start=1):
            label = self.engine.text(choice.text)
            prefix = f"{i}. " if i <= 9 else ""
            items.append(
                Button(
                    prefix + label,
                    partial(self.choose, choice.id),
                    full_width=True,
                    ident=f"choice_{i}",
                )
            )
        if self.engine.can_back():
            items.append(Row([Button(tr("story.back"), self.go_back, ident="back")]))
        return items

    def _ack_warning(self) -> None:
        self.warning_ack = self._key()
        self.refresh()

    # -- scene hooks -------------------------------------------------------------------------
    def on_enter(self) -> None:
        self._maybe_offer()

    def on_resume(self) -> None:
        self.refresh()

    def _maybe_offer(self) -> None:
        """A help point opens the offer once per arrival, after its content note and text."""
        if self.engine is None or not self.engine.at_help_point or self.pending_warning():
            return
        if self.offer_declined or not self.revealed:
            return
        key = (self.node.id, len(self.engine.history))
        if self.offered_at == key or self.app.top is not self:
            return
        self.offered_at = key
        self.app.open_offer(self.node.offer or "offer.main", from_help_point=True)

    def offer_was_declined(self) -> None:
        """The player said "Not now": no help point opens the offer again in this playthrough."""
        self.offer_declined = True
        self.refresh()

    def open_menu(self) -> None:
        from game.scenes.menu import MenuScene

        self.app.push(MenuScene(self.app, self))

    def open_history(self) -> None:
        from game.scenes.history import HistoryScene

        self.app.push(HistoryScene(self.app, self.backlog))

    def open_saves(self) -> None:
        from game.scenes.saves import SavesScene

        self.app.push(SavesScene(self.app, self))

    def handle_event(self, event: pygame.event.Event) -> bool:
        if self.engine is None:
            return False
        if event.type in (pygame.MOUSEBUTTONDOWN, pygame.MOUSEWHEEL) and self.hud.rect.collidepoint(
            pygame.mouse.get_pos() if event.type == pygame.MOUSEWHEEL else event.pos
        ):
            self.hud.handle_event(event)
            return True
        if event.type == pygame.KEYDOWN and event.key == pygame.K_TAB:
            self._tab(-1 if event.mod & pygame.KMOD_SHIFT else 1)
            return True
        if event.type == pygame.KEYDOWN and self.hud.focused is not None:
            if event.key in (pygame.K_ESCAPE,):
                self.hud.focus(None)
                return False
            if self.hud.handle_event(event):
                return True
        if event.type == pygame.KEYDOWN:
            key = event.key
            if (
                not self.revealed
                and self.pending_warning() is None
                and key in (pygame.K_SPACE, pygame.K_RETURN, pygame.K_KP_ENTER)
            ):
                self.reveal = 1e9
                self.refresh()
                return True
            if (
                self.pending_warning() is None
                and self.revealed
                and not (event.mod & (pygame.KMOD_CTRL | pygame.KMOD_ALT))
            ):
                if pygame.K_1 <= key <= pygame.K_9 or pygame.K_KP1 <= key <= pygame.K_KP9:
                    n = (key - pygame.K_1 if key <= pygame.K_9 else key - pygame.K_KP1) + 1
                    choices = self.engine.choices()
                    if n <= len(choices):
                        self.choose(choices[n - 1].id)
                    return True
        if (
            event.type == pygame.MOUSEBUTTONDOWN
            and event.button == 1
            and not self.revealed
            and self.pending_warning() is None
        ):
            self.reveal = 1e9
            self.refresh()
            return True
        if self.dialogue.handle_event(event):
            return True
        if event.type == pygame.KEYDOWN and not event.mod & (pygame.KMOD_CTRL | pygame.KMOD_ALT):
            key = event.key
            if key == pygame.K_t:
                self.app.open_offer()
            elif key == pygame.K_h:
                self.open_history()
            elif key == pygame.K_s:
                self.open_saves()
            elif key == pygame.K_r:
                self.app.open_resources()
            elif key in (pygame.K_b, pygame.K_BACKSPACE):
                self.go_back()
            elif key == pygame.K_m:
                self.open_menu()
            elif key == pygame.K_c and self.app.conversation.active:
                self.app.open_conversation()
            else:
                return False
            return True
        return False

    def _tab(self, delta: int) -> None:
        """Tab walks the dialogue's controls, then the top bar, then round again."""
        order = [(self.dialogue, f) for f in self.dialogue.focusables] + [
            (self.hud, f) for f in self.hud.focusables
        ]
        if not order:
            return
        current = self.hud.focused or self.dialogue.focused
        idx = next((i for i, (_, f) in enumerate(order) if f is current), None)
        idx = (0 if delta > 0 else len(order) - 1) if idx is None else (idx + delta) % len(order)
        panel, item = order[idx]
        self.hud.focus(None)
        self.dialogue.focus(None)
        panel.focus(item)

    def update(self, dt: float) -> None:
        if self.engine is None:
            return
        key = (self.node.id, len(self.engine.history))
        if key != self._node_key:
            self._node_key = key
            self._maybe_offer()
        if not self.revealed:
            cps = self.app.settings.chars_per_second
            was = self.revealed
            self.reveal += dt * cps
            if self.revealed != was:
                self.refresh()
        if self.revealed and self._offer_wait_key != key:
            self._offer_wait_key = key
            self._maybe_offer()  # the help point's text has now been shown in full

    # -- drawing -----------------------------------------------------------------------------
    def _setting(self) -> Setting:
        """Where this node happens, from the story's reviewed settings (scenery.py)."""
        setting: Setting = self.engine.bundle.content.settings.get(self.node.id, FALLBACK_SETTING)
        return setting

    def _look(self, speaker: str) -> Look:
        """What the speaker looks like, from the story's character sheet."""
        character = self.engine.bundle.content.characters.get(speaker)
        return character.look if character is not None else FALLBACK_LOOK

    def _draw_background(self, surface: pygame.Surface) -> None:
        """The place's picture; a change of place cross-fades unless motion is reduced."""
        setting = self._setting()
        if setting != self._bg_name:
            self._bg_prev, self._bg_name = self._bg_name, setting
            self._bg_fade_start = self.app.clock_time
        art = self.app.art
        progress = (self.app.clock_time - self._bg_fade_start) / FADE_SECONDS
        if self._bg_prev is None or progress >= 1 or self.theme.reduced_motion:
            surface.blit(art.scene(setting), (0, 0))
            return
        surface.blit(art.scene(self._bg_prev), (0, 0))
        layer = art.scene(setting)
        layer.set_alpha(int(255 * max(0.0, progress)))
        surface.blit(layer, (0, 0))
        layer.set_alpha(None)

    def draw(self, surface: pygame.Surface) -> None:
        if self.engine is None:
            return
        theme = self.theme
        pal = theme.palette
        if theme.high_contrast:
            surface.fill(pal.bg)
        else:
            self._draw_background(surface)
        if self._portrait_size:
            size = self._portrait_size
            img = self.app.art.portrait(self._look(self._speaker_id() or ""), size)
            x = self.dialogue.rect.left + theme.px(12)
            y = self.dialogue.rect.top - size + theme.px(6)
            frame = pygame.Rect(x - 4, y - 4, size + 8, size + 8)
            pygame.draw.rect(surface, pal.panel, frame, border_radius=theme.px(12))
            surface.blit(img, (x, y))
        self.dialogue.draw(surface, theme)
        self.hud.draw(surface, theme)
        if self.app.content_source != "server":
            label = theme.render(self.tr("story.offline_copy"), "small", pal.muted)
            pos = (
                self.dialogue.rect.right - label.get_width() - theme.px(8),
                self.dialogue.rect.top - label.get_height() - theme.px(4),
            )
            bg = label.get_rect(topleft=pos).inflate(theme.px(10), theme.px(4))
            pygame.draw.rect(surface, pal.panel, bg, border_radius=theme.px(6))
            surface.blit(label, pos)

    def speech(self) -> str:
        if self.engine is None:
            return ""
        parts = []
        warning = self.pending_warning()
        if warning:
            return f"{self.tr('story.content_note')}. {warning}"
        if self._speaker_name():
            parts.append(self._speaker_name() or "")
        parts.append(self.node_text())
        for i, choice in enumerate(self.engine.choices(), start=1):
            parts.append(f"{i}. {self.engine.text(choice.text)}")
        return "\n".join(parts)

    def focus_speech(self) -> str:
        f = self.dialogue.focused or self.hud.focused
        return " ".join(resolve_text(t) for t in f.texts()) if f else self.speech()

    def panels(self) -> list[Panel]:
        return [self.hud, self.dialogue]
