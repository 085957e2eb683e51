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

from game.scenes.base import PageScene
from game.ui import Button, Gap, Item, Row, Text

if TYPE_CHECKING:
    from game.app import GameApp

KINDS = ("professional", "former", "survivor", "peer")
GENDERS = ("female", "male", "nonbinary")
AGE_BANDS = ("18-25", "26-40", "41+")
FORMATS = ("chat", "booking", "in_person")
NO_PREF = "__none__"
#: What the player may want from the talk (handoff/objective.py); optional, never pre-selected.
OBJECTIVES = ("talk", "understand", "leave_group", "help_friend", "other")


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
                value=tr(f"objective.{c['objective']}") if c.get("objective") else none,
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
            Row(
                [
                    Button(tr("confirm.send"), self.send, kind="primary", ident="send"),
                    Button(tr("confirm.change"), self.close, ident="change"),
                    Button(tr("confirm.cancel"), self.cancel, ident="cancel"),
                ]
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
