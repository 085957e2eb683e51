"""After "Yes": the player's choices (counsellor kind, gender, age band, language, format),
an "I need help now" button that shows crisis contacts at once, and a confirmation page that
says exactly what will be sent before anything is sent.

Nothing is pre-selected. A group left open means "no preference"; only language and format
must be chosen, because matching needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING, Any

import pygame

from game.scenes.base import PageScene, Scene
from game.ui import Button, Gap, Item, Panel, Row, Text, TextInput

if TYPE_CHECKING:
    from game.app import GameApp

KINDS = ("professional", "former", "survivor", "peer")
GENDERS = ("female", "male", "nonbinary")
AGE_BANDS = ("18-25", "26-40", "41+")
FORMATS = ("chat", "booking", "in_person")
NO_PREF = "__none__"
#: What the player may want from the talk (handoff/objective.py); optional, never pre-selected.
OBJECTIVES = ("talk", "understand", "leave_group", "help_friend", "other")
#: The longest line of their own a player may add to the objective (the protocol's limit).
MAX_NOTE_CHARS = 140


class PreferencesScene(PageScene):
    name = "preferences"
    initial_focus = None

    def __init__(self, app: GameApp, offer: Any, bundle: Any = None) -> None:
        super().__init__(app)
        self.offer = offer
        self.bundle = bundle or app.bundle
        # None = not answered yet; NO_PREF = "no preference" chosen explicitly
        self.choice: dict[str, str | None] = {
            "kind": None,
            "gender": None,
            "age_band": None,
            "language": None,
            "format": None,
            "objective": None,
        }
        self.insist = False
        self.crisis = False
        self.error: str | None = None
        self.note: str | None = None  # the player's own line about the objective

    def _pick(self, group: str, value: str) -> Callable[[], None]:
        def apply() -> None:
            self.choice[group] = value
            if group == "kind" and value == NO_PREF:
                self.insist = False
            self.error = None
            self.refresh()

        return apply

    def _group(
        self, group: str, values: tuple[str, ...], label: Callable[[str], str], no_pref: bool = True
    ) -> list[Item]:
        buttons: list[Item] = [
            Button(
                label(v),
                self._pick(group, v),
                marker="radio",
                selected=partial(self._is, group, v),
                ident=f"{group}_{v}",
            )
            for v in values
        ]
        if no_pref:
            buttons.append(
                Button(
                    self.tr("prefs.no_preference"),
                    self._pick(group, NO_PREF),
                    marker="radio",
                    selected=lambda: self.choice[group] == NO_PREF,
                    ident=f"{group}_none",
                )
            )
        return [Text(self.tr(f"prefs.h_{group}"), "speaker"), Row(buttons)]

    def _is(self, group: str, value: str) -> bool:
        return self.choice[group] == value

    def _toggle_insist(self) -> None:
        if self.choice["kind"] not in (None, NO_PREF):
            self.insist = not self.insist
            self.refresh()

    def _open_note(self) -> None:
        self.app.push(NoteScene(self.app, self))

    def _crisis(self) -> None:
        self.crisis = True
        self.refresh()
        self.app.open_resources(crisis=True)

    def languages(self) -> tuple[str, ...]:
        return tuple(self.bundle.locales)

    def items(self) -> list[Item]:
        tr = self.tr
        items: list[Item] = [
            Text(tr("prefs.title"), "title"),
            Text(tr("prefs.intro"), "body", "muted"),
            Button(tr("prefs.crisis"), self._crisis, kind="danger", ident="crisis"),
        ]
        if self.crisis:
            items.append(Text(tr("prefs.crisis_marked"), "body", "accent"))
        items += self._group("kind", KINDS, lambda k: tr(f"kind.{k}"))
        items.append(
            Button(
                tr("prefs.insist"),
                self._toggle_insist,
                marker="check",
                selected=lambda: self.insist,
                enabled=lambda: self.choice["kind"] not in (None, NO_PREF),
                full_width=True,
                ident="insist",
            )
        )
        items += self._group("gender", GENDERS, lambda g: tr(f"gender.{g}"))
        items += self._group("age_band", AGE_BANDS, lambda a: a)
        items += self._group(
            "language", self.languages(), lambda loc: tr(f"lang.{loc}"), no_pref=False
        )
        items += self._group("format", FORMATS, lambda f: tr(f"format.{f}"), no_pref=False)
        items += self._group("objective", OBJECTIVES, lambda o: tr(f"objective.{o}"))
        if self.note:
            items.append(Text(tr("prefs.objective_note_shown", note=self.note), "body"))
        items.append(
            Button(
                tr("prefs.objective_note_change" if self.note else "prefs.objective_note_add"),
                self._open_note,
                enabled=lambda: self.value("objective") is not None,
                ident="objective_note",
            )
        )
        items.append(Gap(6))
        if self.error:
            items.append(Text(self.error, "body", "danger_text"))
        items.append(
            Row(
                [
                    Button(tr("prefs.next"), self.next, kind="primary", ident="next"),
                    Button(tr("prefs.cancel"), self.cancel, ident="cancel"),
                ]
            )
        )
        return items

    def value(self, group: str) -> str | None:
        v = self.choice[group]
        return None if v in (None, NO_PREF) else v

    def choices_payload(self) -> dict[str, Any]:
        kind = self.value("kind")
        payload = {
            "kind": kind,
            "kind_required": bool(kind and self.insist),
            "gender": self.value("gender"),
            "age_band": self.value("age_band"),
            "language": self.value("language") or self.app.locale,
            "format": self.value("format") or "chat",
            "crisis": self.crisis,
        }
        if self.value("objective"):  # sent only when the player picked one
            payload["objective"] = self.value("objective")
            if self.note:
                payload["objective_note"] = self.note
        return payload

    def next(self) -> None:
        missing = [g for g in ("language", "format") if self.choice[g] is None]
        if missing:
            self.error = self.tr(
                "prefs.missing", what=", ".join(self.tr(f"prefs.h_{g}") for g in missing)
            )
            self.refresh()
            return
        self.app.push(ConfirmScene(self.app, self.offer, self.choices_payload(), self))

    def cancel(self) -> None:
        self.close()


class ConfirmScene(PageScene):
    name = "confirm"
    initial_focus = None

    def __init__(
        self, app: GameApp, offer: Any, choices: dict[str, Any], prefs: PreferencesScene
    ) -> None:
        super().__init__(app)
        self.offer = offer
        self.choices = choices
        self.prefs = prefs

    def _summary(self) -> list[str]:
        tr, c = self.tr, self.choices
        none = tr("prefs.no_preference")
        kind = tr(f"kind.{c['kind']}") if c["kind"] else none
        if c["kind_required"]:
            kind = tr("confirm.kind_required", kind=kind)
        return [
            tr("confirm.kind", value=kind),
            tr("confirm.gender", value=tr(f"gender.{c['gender']}") if c["gender"] else none),
            tr("confirm.age_band", value=c["age_band"] or none),
            tr("confirm.language", value=tr(f"lang.{c['language']}")),
            tr("confirm.format", value=tr(f"format.{c['format']}")),
            tr("confirm.crisis", value=tr("common.yes") if c["crisis"] else tr("common.no")),
            tr(
                "confirm.objective",
                value=(
                    tr(f"objective.{c['objective']}")
                    + (f": “{c['objective_note']}”" if c.get("objective_note") else "")
                    if c.get("objective")
                    else none
                ),
            ),
        ]

    def items(self) -> list[Item]:
        tr = self.tr
        items: list[Item] = [Text(tr("confirm.title"), "title")]
        items += [Text("• " + line) for line in self._summary()]
        items += [
            Gap(6),
            Text(tr("confirm.what_is_sent"), "body", "muted"),
            Text(self.app.text(self.offer.stored, self.prefs.bundle), "body", "muted"),
            Gap(6),
            # sending and not sending are equal choices: same size, weight and colour
            Row(
                [
                    Button(tr("confirm.send"), self.send, ident="send"),
                    Button(tr("confirm.change"), self.close, ident="change"),
                    Button(tr("confirm.cancel"), self.cancel, ident="cancel"),
                ],
                equal=True,
            ),
        ]
        return items

    def send(self) -> None:
        from game.scenes.waiting import WaitingScene

        app = self.app
        app.conversation.request(
            bundle_hash=self.prefs.bundle.sha256,
            offer_id=self.offer.id,
            offer_version=self.offer.version,
            choices=self.choices,
        )
        app.pop(self.prefs)
        app.replace(WaitingScene(app))

    def cancel(self) -> None:
        self.app.pop(self.prefs)
        self.close()


class ObjectiveScene(PageScene):
    """In the chat: suggest (again) what the talk is for; the counsellor agrees or not."""

    name = "objective"
    initial_focus = None

    def __init__(self, app: GameApp) -> None:
        super().__init__(app)
        self.chosen: str | None = None

    def _pick(self, value: str) -> Callable[[], None]:
        def apply() -> None:
            self.chosen = value
            self.refresh()

        return apply

    def items(self) -> list[Item]:
        tr = self.tr
        return [
            Text(tr("objective.title"), "title"),
            Text(tr("objective.intro"), "body", "muted"),
            Row(
                [
                    Button(
                        tr(f"objective.{o}"),
                        self._pick(o),
                        marker="radio",
                        selected=partial(lambda v: self.chosen == v, o),
                        ident=f"objective_{o}",
                    )
                    for o in OBJECTIVES
                ]
            ),
            Gap(6),
            Row(
                [
                    Button(
                        tr("objective.send"),
                        self.send,
                        kind="primary",
                        enabled=lambda: self.chosen is not None,
                        ident="send",
                    ),
                    Button(tr("objective.cancel"), self.close, ident="cancel"),
                ]
            ),
        ]

    def send(self) -> None:
        if self.chosen is not None:
            self.app.conversation.propose_objective(self.chosen)
            self.close()


class NoteScene(Scene):
    """One optional line of the player's own about what they want from the talk (140 chars).

    Enter or "Keep this line" keeps it, "Remove the line" clears it, Escape leaves it as it was.
    """

    name = "objective_note"

    def __init__(self, app: GameApp, prefs: PreferencesScene) -> None:
        super().__init__(app)
        self.prefs = prefs
        self.input = TextInput(app.clipboard, self._submit, max_length=MAX_NOTE_CHARS, max_lines=3)
        if prefs.note:
            self.input.insert(prefs.note)
        self.head = Panel(pygame.Rect(0, 0, 10, 10), [], padding=0, background=False)
        self.buttons = Panel(pygame.Rect(0, 0, 10, 10), [], padding=0, background=False)
        self.on_input = True

    def build(self) -> None:
        theme, tr = self.theme, self.tr
        w, _ = self.app.size
        margin = theme.px(24)
        width = min(w - 2 * margin, max(600, int(800 * min(1.35, theme.scale))))
        left = (w - width) // 2
        top = self.app.top_bar_height + theme.px(12)
        self.head = Panel(
            pygame.Rect(left, top, width, 2000),
            [
                Text(tr("prefs.objective_note_title"), "title"),
                Text(tr("prefs.objective_note_intro", limit=MAX_NOTE_CHARS), "body", "muted"),
            ],
            padding=0,
            background=False,
        )
        self.head.layout(theme)
        self.head.rect.height = self.head.content_height
        self.head.layout(theme)
        input_h = self.input.height_for(theme, width)
        input_rect = pygame.Rect(left, self.head.rect.bottom + theme.px(10), width, input_h)
        self.input.layout(theme, input_rect)
        self.buttons = Panel(
            pygame.Rect(left, input_rect.bottom + theme.px(12), width, 2000),
            [
                Row(
                    [
                        Button(
                            tr("prefs.objective_note_keep"),
                            self.keep,
                            kind="primary",
                            ident="note_keep",
                        ),
                        Button(tr("prefs.objective_note_remove"), self.remove, ident="note_remove"),
                    ]
                )
            ],
            padding=0,
            background=False,
        )
        self.buttons.layout(theme)
        self.buttons.rect.height = self.buttons.content_height
        self.buttons.layout(theme)

    def _submit(self, text: str) -> None:
        self.input.clear()
        self.input.insert(text)
        self.keep()

    def keep(self) -> None:
        line = " ".join(self.input.text.split())[:MAX_NOTE_CHARS]
        self.prefs.note = line or None
        self.prefs.refresh()
        self.app.pop(self)

    def remove(self) -> None:
        self.prefs.note = None
        self.prefs.refresh()
        self.app.pop(self)

    def on_enter(self) -> None:
        pygame.key.start_text_input()

    def on_leave(self) -> None:
        pygame.key.stop_text_input()

    def handle_event(self, event: pygame.event.Event) -> bool:
        if event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE:
            self.app.pop(self)
            return True
        if event.type == pygame.KEYDOWN and event.key == pygame.K_TAB:
            self.on_input = not self.on_input
            self.buttons.focus(None if self.on_input else self.buttons.focusables[0])
            return True
        if event.type == pygame.MOUSEBUTTONDOWN and self.buttons.handle_event(event):
            return True
        if self.on_input:
            return self.input.handle_event(event)
        return self.buttons.handle_event(event)

    def draw(self, surface: pygame.Surface) -> None:
        theme = self.theme
        surface.fill(theme.palette.bg)
        self.head.draw(surface, theme)
        self.input.focused = self.on_input
        self.input.draw(surface, theme, self.tr("prefs.objective_note_placeholder"))
        self.buttons.draw(surface, theme)

    def speech(self) -> str:
        return "\n".join([*self.head.texts(), self.input.text])

    def panels(self) -> list[Panel]:
        return [self.head, self.buttons]
