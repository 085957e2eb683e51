"""The game application: window, scene stack, settings, content, network and quick exit.

`GameApp.step(events, dt)` runs one frame (tests call it with synthetic pygame events);
`GameApp.run()` is the real loop. `main(server_url)` is what `crossroads play` calls.
Keys that work everywhere: Esc twice (quick exit), F1 about this game, F2 settings,
F3 helplines, F6 read the screen aloud.
"""

from __future__ import annotations

import argparse
import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pygame

from game.art import ArtBook
from game.content import (
    ContentStore,
    KeyPin,
    LoadedContent,
    Organisation,
    OrganisationCache,
    proof_problem,
)
from game.conversation import Conversation, Phase
from game.exceptions import ContentUnavailable
from game.i18n import Translator
from game.net import NetClient, NetState
from game.paths import user_data_dir
from game.saves import SaveStore
from game.scenes.base import Scene
from game.settings import Settings
from game.sounds import Sounds
from game.theme import Theme
from game.ui import Button, Clipboard, draw_focus_ring
from game.voice import Voice

log = logging.getLogger("crossroads.game")

SIZE = (1280, 720)
DOUBLE_ESCAPE_SECONDS = 0.6
FPS = 60
WINDOW_CLASS = "notes"
# the booking reminder is longer than other notices and easy to miss: it stays long enough to
# read at a slow pace, then goes like every notice (it never blocks or asks for an answer)
REMINDER_NOTICE_SECONDS = 12.0


class GameApp:
    """Owns the window, the scene stack and the services scenes use."""

    def __init__(
        self,
        server_url: str | None = None,
        *,
        home: Path | None = None,
        story_path: Path | None = None,
        net: NetClient | None = None,
        voice: Voice | None = None,
        start_scene: bool = True,
        ethics_key: str | None = None,
    ) -> None:
        # a neutral window class from the start: X11 and Wayland set it when the window is
        # created and a taskbar may show it, so it cannot wait for the quick exit (and it is
        # overwritten: importing pygame puts the program's name there)
        os.environ["SDL_VIDEO_X11_WMCLASS"] = WINDOW_CLASS
        os.environ["SDL_VIDEO_WAYLAND_WMCLASS"] = WINDOW_CLASS
        pygame.init()
        self.size = SIZE
        self.screen = pygame.display.set_mode(SIZE)
        pygame.display.set_caption("Crossroads")
        self.home = home or user_data_dir()
        self.settings_path = self.home / "settings.json"
        self.settings = Settings.load(self.settings_path)
        self.tr = Translator(self.settings.language)
        self.theme = Theme(self.settings)
        self.theme_version = 0
        self.voice = voice or Voice(
            self.settings.self_voicing, self.settings.language, self.settings.volume
        )
        self.voice.enabled = self.settings.self_voicing
        self.clipboard = Clipboard()
        self.sounds = Sounds(self.settings.volume)
        self.art = ArtBook()
        self.saves = SaveStore(self.home)
        self.content_store = ContentStore(self.home, story_path)
        policy = os.environ.get("CROSSROADS_ETHICS_POLICY")
        self.key_pin = KeyPin(
            self.home,
            ethics_key or os.environ.get("CROSSROADS_ETHICS_KEY"),
            policy=Path(policy) if policy else None,
        )
        loaded = self.content_store.load_offline()
        self._unconfirmed = False
        if loaded.source == "cache" and proof_problem(
            loaded.bundle.sha256,
            self.content_store.cached_proof,
            self.key_pin.keys,
            self.key_pin.witnesses,
        ):
            # the cached copy's proof no longer holds (or the pin is gone): never show it
            self.content_store.forget()
            loaded = self.content_store.load_offline()
            self._unconfirmed = True
        self.bundle: Any = loaded.bundle
        self.content_source = loaded.source
        self.pending_bundle: LoadedContent | None = None
        self.org_cache = OrganisationCache(self.home)
        self.organisation: Organisation | None = self.org_cache.load()
        self.org_error: str | None = None
        # clock time of the last live answer about who is on duty, and of the pending question
        self.org_live_at: float | None = None
        self._org_asked: float | None = None
        self.net = net or NetClient(server_url, token_path=self.home / "session.json")
        self.conversation = Conversation(self.net)
        self._marks_saved: Any = None
        if self.net.server_url:
            saved = self.net.tokens.get(self.net.server_url).get("marks")
            self.conversation.restore_marks(saved)
            self._marks_saved = saved
        self._active_saved: bool | None = None
        self.engine: Any = None
        self.story_scene: Any = None
        self.scenes: list[Scene] = []
        self.running = True
        self.clock_time = 0.0
        self._last_escape = -10.0
        self._stack_at_escape: list[Scene] = []
        self.quick_exited = False
        self._saved_stack: list[Scene] = []
        self._chat_was_open = False
        self.notice: str | None = None
        self.notice_until = 0.0
        # clock time a booking reminder arrived while the neutral screen was up, to say it on return
        self._reminder_held_at: float | None = None
        self.frames = 0
        self._quick_button = Button(
            lambda: self.tr("app.quick_exit"),
            self.quick_exit,
            kind="danger",
            ident="quick_exit",
            compact=True,
        )
        self._status_button = Button(
            self._status_label, self.open_conversation, ident="status", compact=True
        )
        self._last_spoken: tuple[int, str] | None = None
        self.status_focused = False  # the top bar's conversation button has keyboard focus
        self._layout_top_bar()
        if self.net.available:
            self.net.start()
            self.ask_organisation()
            self.net.fetch_content(self.content_store.cached_hash)
            if self.net.server_url and self.net.tokens.get(self.net.server_url).get("active"):
                # a request or chat was live when the game closed: reconnect and resume it
                self.net.connect()
        if start_scene:
            from game.scenes.disclosure import DisclosureScene

            self.push(DisclosureScene(self, first_run=True))
            if self._unconfirmed:
                self.content_unconfirmed()

    # -- scene stack -----------------------------------------------------------------------
    @property
    def top(self) -> Scene | None:
        return self.scenes[-1] if self.scenes else None

    def scene_names(self) -> list[str]:
        return [s.name for s in self.scenes]

    def push(self, scene: Scene) -> Scene:
        self.scenes.append(scene)
        scene.ensure_built()
        scene.on_enter()
        self._last_spoken = None
        return scene

    def pop(self, scene: Scene | None = None) -> None:
        """Remove the top scene (or `scene`, wherever it is) and resume the one below."""
        if not self.scenes:
            return
        target = scene or self.scenes[-1]
        if target not in self.scenes:
            return
        was_top = target is self.scenes[-1]
        self.scenes.remove(target)
        target.on_leave()
        if was_top and self.scenes:
            self.scenes[-1].ensure_built()
            self.scenes[-1].on_resume()
        self._last_spoken = None

    def replace(self, scene: Scene) -> Scene:
        if self.scenes:
            old = self.scenes.pop()
            old.on_leave()
        return self.push(scene)

    def find(self, name: str) -> Scene | None:
        for scene in reversed(self.scenes):
            if scene.name == name:
                return scene
        return None

    def pop_to(self, name: str) -> None:
        """Pop scenes until `name` is on top (used to return to the story in place)."""
        while self.scenes and self.scenes[-1].name != name and len(self.scenes) > 1:
            self.pop()

    # -- settings and theme ----------------------------------------------------------------
    def apply_settings(self) -> None:
        """Persist settings and rebuild everything that depends on them."""
        self.settings.clamp()
        self.settings.save(self.settings_path)
        self.tr.set_locale(self.settings.language)
        self.theme = Theme(self.settings)
        self.theme_version += 1
        self.voice.enabled = self.settings.self_voicing
        self.voice.language = self.settings.language
        self.voice.volume = self.settings.volume
        self.sounds.volume = self.settings.volume
        if self.engine is not None and self.settings.language in self.bundle.locales:
            self.engine.locale = self.settings.language
        self._layout_top_bar()
        for scene in self.scenes:
            scene.ensure_built()

    @property
    def locale(self) -> str:
        lang = self.settings.language
        return lang if lang in self.bundle.locales else self.bundle.source_locale

    def text(self, line_id: str, bundle: Any = None) -> str:
        """A content line in the player's language with organisation placeholders filled."""
        bundle = bundle or self.bundle
        locale = self.settings.language
        if locale not in bundle.locales:
            locale = bundle.source_locale
        return self.fill(bundle.text(line_id, locale))

    @property
    def offer_bundle(self) -> Any:
        """The newest verified bundle: its offer wording is what the server accepts consent to."""
        return self.pending_bundle.bundle if self.pending_bundle is not None else self.bundle

    def fill(self, raw: str) -> str:
        """Fill the offer's slots from the organisation profile, saying so when it is unknown."""
        from game.content import fill_slots

        return fill_slots(raw, self.organisation, self.tr)

    # -- top bar (quick exit + conversation status) ----------------------------------------
    @property
    def top_bar_height(self) -> int:
        return self._top_bar_h

    def _layout_top_bar(self) -> None:
        theme = self.theme
        margin = theme.px(8)
        qw = self._quick_button.natural_width(theme, 420)
        qh = self._quick_button.layout(theme, qw)
        self._quick_button.rect.topleft = (self.size[0] - qw - margin, margin)
        sw = self._status_button.natural_width(theme, 560)
        self._status_button.layout(theme, sw)
        self._status_button.rect.topleft = (margin, margin)
        self._top_bar_h = qh + 2 * margin

    def _status_label(self) -> str:
        conv = self.conversation
        if conv.phase == Phase.QUEUED:
            pos = conv.position if conv.position is not None else "?"
            return self.tr("status.queued", position=pos)
        if conv.phase == Phase.REQUESTING:
            return self.tr("status.requesting")
        if conv.phase == Phase.MATCHED:
            if conv.unseen:
                return self.tr("status.unread", count=conv.unseen)
            return self.tr("status.chatting")
        if conv.phase == Phase.BOOKED:
            return self.tr("status.booked")
        if conv.phase in (Phase.CHOOSE_SLOT, Phase.CLOSED):
            return self.tr("status.choose_slot")
        return ""

    def status_visible(self) -> bool:
        top = self.top
        return (
            bool(self._status_label())
            and top is not None
            and top.name not in ("chat", "waiting", "neutral", "story")
        )

    def open_conversation(self) -> None:
        from game.scenes.chat import ChatScene
        from game.scenes.waiting import WaitingScene

        conv = self.conversation
        if conv.phase == Phase.MATCHED or conv.phase == Phase.ENDED and conv.lines:
            if self.top is None or self.top.name != "chat":
                existing = self.find("chat")
                if existing is not None:
                    self.scenes.remove(existing)
                self.push(ChatScene(self))
        elif conv.active:
            if self.top is None or self.top.name != "waiting":
                self.push(WaitingScene(self))

    def show_notice(self, text: str, seconds: float = 6.0) -> None:
        """Show `text` at the bottom of every scene for a while, and speak it if self-voicing.

        Nothing is shown or spoken while the quick-exit screen is up: a notice about a chat or
        a booking read aloud there would give away what the player just hid.
        """
        if self.quick_exited:
            return
        self.notice = text
        self.notice_until = self.clock_time + seconds
        self.voice.say(text)

    # -- quick exit ------------------------------------------------------------------------
    def quick_exit(self, restore: list[Scene] | None = None) -> None:
        """Instantly replace the screen with a neutral one and clear chat text from it."""
        from game.scenes.neutral import NeutralScene

        if self.quick_exited:
            return
        self.quick_exited = True
        self.voice.stop()
        self.conversation.clear_screen_text()
        stack = restore if restore else self.scenes
        self._saved_stack = [s for s in stack if not s.sensitive]
        self._chat_was_open = any(s.name == "chat" for s in stack)
        for scene in set(self.scenes) | set(stack):
            scene.on_leave()
        self.scenes = []
        # a fresh theme drops every cached text surface (which held chat lines)
        self.theme = Theme(self.settings)
        self.theme_version += 1
        self.notice = None
        title = self.tr("neutral.window_title")
        pygame.display.set_caption(title, title)
        self.push(NeutralScene(self))
        self._draw()

    def leave_neutral(self) -> None:
        self.quick_exited = False
        self._reminder_held_at, held_at = None, self._reminder_held_at
        pygame.display.set_caption("Crossroads", "Crossroads")
        self.scenes = []
        if self._saved_stack:
            for scene in self._saved_stack:
                self.scenes.append(scene)
            self._saved_stack = []
            self.scenes[-1].ensure_built()
            self.scenes[-1].on_resume()
        else:
            from game.scenes.disclosure import DisclosureScene

            self.push(DisclosureScene(self, first_run=True))
        if self.conversation.reload() and self._chat_was_open:
            self.open_conversation()  # back where the player was, with what arrived meanwhile
        if held_at is not None:
            self._show_booking_reminder(held_at)

    # -- content the game cannot vouch for -------------------------------------------------------
    def content_unconfirmed(self, withdrawn: bool = False) -> None:
        """Say plainly that the story could not be confirmed (or was withdrawn), with helplines."""
        from game.scenes.unconfirmed import UnconfirmedScene

        if self.top is None or self.top.name != "unconfirmed":
            self.push(UnconfirmedScene(self, withdrawn=withdrawn))

    def content_withdrawn(self) -> None:
        """The board withdrew what we showed: drop the cache and stop showing it now."""
        had = self.content_store.cached_hash
        self.content_store.forget()
        self.pending_bundle = None
        if self.content_source not in ("server", "cache") and had is None:
            return  # only the shipped copy was ever shown
        self.bundle, self.content_source = self.content_store.load_shipped(), "shipped"
        self.theme_version += 1
        if self.story_scene is not None and self.story_scene in self.scenes:
            from game.scenes.disclosure import DisclosureScene

            self.engine = None
            self.story_scene = None
            while len(self.scenes) > 1:
                self.pop()
            self.replace(DisclosureScene(self))
        self.content_unconfirmed(withdrawn=True)
        self.refresh_all()

    # -- game flow helpers used by scenes -------------------------------------------------------
    def adopt_pending_bundle(self) -> None:
        """Switch to a newer verified bundle, allowed only while no story is running."""
        if self.pending_bundle is not None and self.engine is None:
            self.bundle = self.pending_bundle.bundle
            self.content_source = self.pending_bundle.source
            self.pending_bundle = None
            self.theme_version += 1

    def start_story(self, slot: str | None = None) -> None:
        """Open the story from a save slot (autosave by default) or from the start."""
        from game.scenes.story import StoryScene

        self.adopt_pending_bundle()
        if self.story_scene is None or self.story_scene not in self.scenes:
            scene = StoryScene(self)
            scene.load(slot)
            self.story_scene = scene
            self.pop_to("disclosure")
            if self.top is not None and self.top.name == "disclosure":
                self.replace(scene)
            else:
                self.push(scene)
        else:
            self.pop_to("story")

    def open_offer(self, offer_id: str | None = None, from_help_point: bool = False) -> None:
        from game.scenes.offer import OfferScene

        if self.conversation.active:
            self.open_conversation()
            return
        self.push(OfferScene(self, offer_id or "offer.main", from_help_point=from_help_point))

    def open_settings(self) -> None:
        from game.scenes.settings import SettingsScene

        if self.top is None or self.top.name != "settings":
            self.push(SettingsScene(self))

    def open_resources(self, crisis: bool = False) -> None:
        from game.scenes.resources import ResourcesScene

        if self.top is None or self.top.name != "resources":
            self.push(ResourcesScene(self, crisis=crisis))

    def open_about(self) -> None:
        from game.scenes.disclosure import DisclosureScene

        if self.top is None or self.top.name != "disclosure":
            self.push(DisclosureScene(self, first_run=False))

    def erase_everything(self) -> None:
        """Erase all the player sent to the service (messages, consent, bookings, session)."""
        self.conversation.reset()
        self.conversation.clear_screen_text()
        self.net.erase_session()
        self.show_notice(self.tr("notice.erasing"))
        chat = self.find("chat")
        if chat is not None:
            self.pop(chat)

    # -- network ---------------------------------------------------------------------------
    def ask_organisation(self) -> None:
        """Ask the server who runs the service and who is on duty now (one request at a time;
        a question unanswered for 10 s counts as lost and is asked again)."""
        pending = self._org_asked is not None and self.clock_time - self._org_asked < 10.0
        if self.net.available and not pending:
            self._org_asked = self.clock_time
            self.net.fetch_organisation()

    def availability_age(self) -> float | None:
        """Seconds since the server last said who is on duty, or None if it has not."""
        return None if self.org_live_at is None else self.clock_time - self.org_live_at

    def _on_net(self, frame: dict[str, Any]) -> None:
        kind = frame.get("type", "")
        if kind == "net.organisation":
            org = Organisation.from_json(frame["data"], fetched_at=time.strftime("%Y-%m-%d %H:%M"))
            self.organisation = org
            self.org_error = None
            self.org_live_at, self._org_asked = self.clock_time, None
            self.org_cache.store(org)
            self.refresh_all()
        elif kind == "net.ethics_key":
            if self.key_pin.offer(str(frame.get("text", ""))):
                self.show_notice(self.tr("content_check.key_changed"), seconds=12.0)
        elif kind == "net.content_none":
            if frame.get("status") == 503:  # nothing is published: what we had was withdrawn
                self.content_withdrawn()
        elif kind == "net.content":
            bundle = frame.get("bundle")
            if bundle is not None and proof_problem(
                bundle.sha256, frame.get("proof"), self.key_pin.keys, self.key_pin.witnesses
            ):
                log.warning("refused content %s: its proof does not hold", bundle.sha256[:12])
                self.content_unconfirmed()
            elif bundle is not None:
                self.content_store.store(frame["body"], frame["hash"], frame.get("proof"))
                if bundle.sha256 == self.bundle.sha256:
                    self.content_source = "server"
                elif self.engine is None:
                    self.bundle, self.content_source = bundle, "server"
                    self.theme_version += 1
                else:
                    self.pending_bundle = LoadedContent(bundle, "server")
                    self.show_notice(self.tr("notice.new_story_version"))
                self.refresh_all()
        elif kind == "net.content_unchanged":
            if self.content_store.cached_hash == self.bundle.sha256:
                self.content_source = "server"
                self.refresh_all()
        elif kind == "net.erased":
            counts = frame.get("erased") or {}
            self.show_notice(self.tr("notice.erased_done", messages=counts.get("messages", 0)))
            self._active_saved = None
            self.refresh_all()
        elif kind == "net.error":
            if frame.get("what") == "erase":
                self.show_notice(self.tr("notice.erase_failed", reason=frame.get("message")))
            if frame.get("what") == "organisation":
                self.org_error = str(frame.get("message"))
                self.org_live_at, self._org_asked = None, None
                if self.organisation is not None:  # who was on duty is no longer known
                    self.organisation.open_now = None
                    self.organisation.kinds_available_now = []
                self.refresh_all()
        elif kind == "net.unavailable":
            self.refresh_all()
        elif kind == "net.state":
            self.refresh_all()
        elif not kind.startswith("net."):
            self._on_server_frame(frame)

    def _on_server_frame(self, frame: dict[str, Any]) -> None:
        # The server is trusted but not infallible: a frame this version cannot make sense of
        # is logged and dropped, and the game (often mid-conversation) carries on.
        try:
            self._apply_server_frame(frame)
        except Exception:  # noqa: BLE001 - the boundary: nothing from the wire may crash the game
            log.warning("ignored a %r frame it could not use", frame.get("type"), exc_info=True)
            self.refresh_all()

    def _apply_server_frame(self, frame: dict[str, Any]) -> None:
        conv = self.conversation
        event = conv.apply(frame)
        server = self.net.server_url
        if server and conv.active != self._active_saved:
            # only whether something is live is kept (to resume after a restart), no text
            self._active_saved = conv.active
            self.net.tokens.put(server, active=True if conv.active else None)
        if event == "welcome_resumed":
            self.show_notice(self.tr("notice.resumed"))

        if event == "matched":
            self.sounds.play("matched")
            top = self.top
            if top is not None and top.name == "waiting":
                from game.scenes.chat import ChatScene

                self.replace(ChatScene(self))
            else:
                name = conv.counsellor.display_name if conv.counsellor else ""
                self.show_notice(self.tr("notice.matched", name=name))
        elif event == "message":
            self.sounds.play("message")
            top = self.top
            if top is None or top.name != "chat":
                self.show_notice(self.tr("notice.new_message"))
        elif event == "ended":
            self.show_notice(self.tr("notice.chat_ended"))
        elif event == "booked":
            from game.scenes.waiting import local_slot

            self.show_notice(
                self.tr("notice.booked", slot=local_slot(self.tr, conv.booked_slot or ""))
            )
        elif event == "booking_reminder":
            if self.quick_exited:
                self._reminder_held_at = self.clock_time
            else:
                self._show_booking_reminder(self.clock_time)
        elif event == "erased":
            self.net.forget_session()
        elif event == "error" and frame.get("code") == "unknown_offer":
            # the published offer wording changed since this copy was made: fetch the new one
            # and ask again, so consent always names the text the player actually read
            self.net.fetch_content(self.content_store.cached_hash)
            self.show_notice(self.tr("notice.offer_changed"))
            if self.top is not None and self.top.name == "waiting":
                self.pop()
        self.refresh_all()

    def _save_marks(self) -> None:
        """Keep the chat's read marks (seq numbers only) for a restart, when they change."""
        marks = self.conversation.marks()
        if self.net.server_url and marks != self._marks_saved:
            self._marks_saved = marks
            self.net.tokens.put(self.net.server_url, marks=marks)

    def _show_booking_reminder(self, received_at: float) -> None:
        """Say once, in the player's own time, that their booked conversation is close.

        Plain information, no pressure: where to go if they still want it and that they can
        cancel; not coming is fine and nothing else happens. `received_at` is when the reminder
        came, so one held behind the quick-exit screen counts the minutes down from there and is
        dropped once the slot has begun or the booking is no longer held.
        """
        conv = self.conversation
        if conv.phase != Phase.BOOKED or conv.reminder_slot is None:
            return
        from game.scenes.waiting import local_slot

        elapsed = int((self.clock_time - received_at) // 60)
        minutes = (conv.reminder_minutes or 0) - elapsed
        if minutes < 0:
            return
        slot = local_slot(self.tr, conv.reminder_slot)
        if minutes == 0:
            text = self.tr("notice.booking_reminder_now", slot=slot)
        else:
            text = self.tr("notice.booking_reminder", slot=slot, minutes=minutes)
        self.show_notice(text, REMINDER_NOTICE_SECONDS)

    def refresh_all(self) -> None:
        for scene in self.scenes:
            refresh = getattr(scene, "refresh", None)
            if refresh is not None:
                refresh()

    @property
    def net_state(self) -> NetState:
        return self.net.state

    # -- the frame -------------------------------------------------------------------------
    def step(self, events: Iterable[pygame.event.Event], dt: float) -> None:
        """Run one frame: input, network, update, draw. Never blocks."""
        self.clock_time += dt
        for event in events:
            self.dispatch(event)
            if not self.running:
                return
        for frame in self.net.poll():
            self._on_net(frame)
        top = self.top
        if top is not None:
            top.ensure_built()
            top.update(dt)
        if self.notice and self.clock_time > self.notice_until:
            self.notice = None
        self._save_marks()
        self._speak_changes()
        self._draw()
        self.frames += 1

    def dispatch(self, event: pygame.event.Event) -> None:
        if event.type == pygame.QUIT:
            self.running = False
            return
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            if self.clock_time - self._last_escape <= DOUBLE_ESCAPE_SECONDS:
                self._last_escape = -10.0
                # the first Escape may have closed a page; coming back restores it
                self.quick_exit(restore=self._stack_at_escape)
                return
            self._last_escape = self.clock_time
            self._stack_at_escape = list(self.scenes)
        top = self.top
        if top is None:
            return
        if self.quick_exited:
            top.handle_event(event)
            return
        if event.type == pygame.MOUSEBUTTONDOWN and event.button == 1:
            if self._quick_button.rect.collidepoint(event.pos):
                self.quick_exit()
                return
            if self.status_visible() and self._status_button.rect.collidepoint(event.pos):
                self.open_conversation()
                return
        if event.type == pygame.KEYDOWN and self._status_key(top, event):
            return
        if top.handle_event(event):
            return
        if event.type == pygame.KEYDOWN:
            if event.key == pygame.K_c and self.status_visible():
                self.open_conversation()  # the label promises "(C)" on every page
            elif event.key == pygame.K_F1:
                self.open_about()
            elif event.key == pygame.K_F2:
                self.open_settings()
            elif event.key == pygame.K_F3:
                self.open_resources()
            elif event.key == pygame.K_F6:
                self.voice.say(top.speech()) if self.voice.enabled else self.show_notice(
                    self.tr("voice.off_hint")
                )

    def _status_key(self, top: Scene, event: pygame.event.Event) -> bool:
        """The top bar's conversation button takes its turn in a page's Tab order.

        Tab from the page's last control (Shift+Tab from its first) moves focus to it, Enter
        or Space opens the conversation, Tab goes back into the page.
        """
        panel = getattr(top, "panel", None)
        if panel is None or not self.status_visible():
            self.status_focused = False
            return False
        shift = bool(event.mod & pygame.KMOD_SHIFT)
        if self.status_focused:
            if event.key in (pygame.K_RETURN, pygame.K_KP_ENTER, pygame.K_SPACE):
                self.status_focused = False
                self.open_conversation()
                return True
            if event.key == pygame.K_TAB:
                self.status_focused = False
                panel.focus(None)
                panel.move_focus(-1 if shift else 1)
                return True
            return False
        if event.key == pygame.K_TAB:
            enabled = [item for item in panel.focusables if item.enabled]
            if not enabled or panel.focused is (enabled[0] if shift else enabled[-1]):
                self.status_focused = True
                panel.focus(None)
                return True
        return False

    def _speak_changes(self) -> None:
        if not self.voice.enabled or self.top is None:
            return
        top = self.top
        key = (id(top), top.speech())
        if self._last_spoken is None or self._last_spoken[0] != key[0]:
            self.voice.say(key[1])
        elif self._last_spoken[1] != key[1]:
            focus = getattr(top, "focus_speech", None)
            self.voice.say(focus() if focus else key[1])
        self._last_spoken = key

    def _draw(self) -> None:
        surface = self.screen
        # draw from the last opaque scene upwards so overlays show what is beneath them
        start = 0
        for i in range(len(self.scenes) - 1, -1, -1):
            if self.scenes[i].opaque:
                start = i
                break
        for scene in self.scenes[start:]:
            scene.ensure_built()
            scene.draw(surface)
        if not self.quick_exited:
            theme = self.theme
            self._quick_button.draw(surface, self._quick_button.rect, theme, False)
            if self.status_visible():
                self._layout_top_bar()
                button = self._status_button
                button.draw(surface, button.rect, theme, self.status_focused)
                if self.status_focused:
                    draw_focus_ring(surface, button.rect, theme, button.fill)
            else:
                self.status_focused = False
            if self.notice:
                self._draw_notice(surface)
        pygame.display.flip()

    def _draw_notice(self, surface: pygame.Surface) -> None:
        theme = self.theme
        pal = theme.palette
        width = min(self.size[0] - theme.px(40), theme.px(760))
        pad = theme.px(12)
        h = theme.text_height(self.notice or "", "body", width - 2 * pad) + 2 * pad
        rect = pygame.Rect((self.size[0] - width) // 2, self.size[1] - h - theme.px(16), width, h)
        pygame.draw.rect(surface, pal.accent, rect, border_radius=theme.px(8))
        theme.draw_text(
            surface, self.notice or "", "body", pal.accent_text, rect.inflate(-2 * pad, -2 * pad)
        )

    def shutdown(self) -> None:
        """Autosave, close the network thread and the window."""
        if self.story_scene is not None:
            self.story_scene.autosave()
        self.voice.stop()
        self.net.stop()
        pygame.display.quit()

    def run(self) -> int:
        clock = pygame.time.Clock()
        try:
            while self.running:
                dt = clock.tick(FPS) / 1000.0
                self.step(pygame.event.get(), dt)
        finally:
            self.shutdown()
        return 0


def main(
    server_url: str | None = None, *, home: Path | None = None, story_path: Path | None = None
) -> int:
    """Open the game window; `crossroads play --server URL` calls this."""
    try:
        app = GameApp(server_url, home=home, story_path=story_path)
    except ContentUnavailable as exc:
        print(f"Crossroads cannot start: {exc}")
        return 1
    return app.run()


def cli(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m game", description="Play Crossroads.")
    parser.add_argument(
        "--server",
        default=os.environ.get("CROSSROADS_SERVER"),
        help="server URL, e.g. http://127.0.0.1:8080 (omit to play offline)",
    )
    parser.add_argument("--home", type=Path, default=None, help="folder for saves and settings")
    parser.add_argument("--story", type=Path, default=None, help="story folder (for authors)")
    args = parser.parse_args(argv)
    return main(args.server, home=args.home, story_path=args.story)
