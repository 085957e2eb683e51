"""Settings: text size, contrast, legible font, text speed, motion, volume, language, voice.

Every control works by keyboard (Tab/arrows to move, Enter/Space to toggle, Left/Right on
sliders) with a visible focus ring. Changes apply at once and are saved immediately.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from game.scenes.base import PageScene
from game.settings import TEXT_SPEEDS
from game.ui import Button, Gap, Item, Row, Slider, Text


class SettingsScene(PageScene):
    name = "settings"
    initial_focus = "text_scale"
    confirm_erase = False

    def _set(self, **values: object) -> Callable[[], None]:
        def apply() -> None:
            for key, value in values.items():
                setattr(self.app.settings, key, value)
            self.app.apply_settings()

        return apply

    def _toggle(self, key: str) -> Callable[[], None]:
        def apply() -> None:
            setattr(self.app.settings, key, not getattr(self.app.settings, key))
            self.app.apply_settings()
            if key == "self_voicing" and self.app.settings.self_voicing:
                self.app.voice.say(self.tr("settings.voice_on"))

        return apply

    def _slider_set(self, key: str) -> Callable[[int], None]:
        def apply(value: int) -> None:
            setattr(self.app.settings, key, value)
            self.app.apply_settings()

        return apply

    def _is(self, key: str, value: object) -> bool:
        return bool(getattr(self.app.settings, key) == value)

    def _data_items(self) -> list[Item]:
        """Erasure of what was sent to the service, in two deliberate steps."""
        if not self.app.net.has_session():
            return []
        label = "settings.erase_confirm" if self.confirm_erase else "settings.erase"
        return [
            Text(self.tr("settings.your_data"), "speaker"),
            Text(self.tr("settings.your_data_note"), "small", "muted"),
            Button(self.tr(label), self._erase, kind="danger", ident="erase"),
        ]

    def _erase(self) -> None:
        if not self.confirm_erase:
            self.confirm_erase = True
        else:
            self.confirm_erase = False
            self.app.erase_everything()
        self.refresh()

    def _voice_status(self) -> str:
        voice = self.app.voice
        if not voice.available:
            return self.tr("settings.voice_missing")
        return self.tr("settings.voice_available", backend=voice.backend or "")

    def items(self) -> list[Item]:
        s = self.app.settings
        tr = self.tr
        speed_buttons: list[Item] = [
            Button(
                tr(f"settings.speed_{speed}"),
                self._set(text_speed=speed),
                marker="radio",
                selected=partial(self._is, "text_speed", speed),
                ident=f"speed_{speed}",
            )
            for speed in TEXT_SPEEDS
        ]
        lang_buttons: list[Item] = [
            Button(
                tr(f"settings.lang_{lang}"),
                self._set(language=lang),
                marker="radio",
                selected=partial(self._is, "language", lang),
                ident=f"lang_{lang}",
            )
            for lang in ("en", "de")
        ]
        return [
            Text(tr("settings.title"), "title"),
            Text(tr("settings.intro"), "body", "muted"),
            Slider(
                lambda: tr("settings.text_size"),
                lambda: self.app.settings.text_scale,
                self._slider_set("text_scale"),
                100,
                200,
                25,
                fmt=lambda v: f"{v} %",
                ident="text_scale",
            ),
            Button(
                tr("settings.high_contrast"),
                self._toggle("high_contrast"),
                marker="check",
                selected=lambda: self.app.settings.high_contrast,
                full_width=True,
                ident="high_contrast",
            ),
            Button(
                tr("settings.legible_font"),
                self._toggle("legible_font"),
                marker="check",
                selected=lambda: self.app.settings.legible_font,
                full_width=True,
                ident="legible_font",
            ),
            Text(tr("settings.text_speed"), "speaker"),
            Row(speed_buttons),
            Button(
                tr("settings.reduced_motion"),
                self._toggle("reduced_motion"),
                marker="check",
                selected=lambda: self.app.settings.reduced_motion,
                full_width=True,
                ident="reduced_motion",
            ),
            Slider(
                lambda: tr("settings.volume"),
                lambda: self.app.settings.volume,
                self._slider_set("volume"),
                0,
                100,
                10,
                fmt=lambda v: f"{v} %",
                ident="volume",
            ),
            Text(tr("settings.language"), "speaker"),
            Row(lang_buttons),
            Button(
                tr("settings.self_voicing"),
                self._toggle("self_voicing"),
                marker="check",
                selected=lambda: self.app.settings.self_voicing,
                full_width=True,
                enabled=self.app.voice.available or s.self_voicing,
                ident="self_voicing",
            ),
            Text(self._voice_status(), "small", "muted"),
            Text(tr("settings.voice_keys"), "small", "muted"),
            *self._data_items(),
            Gap(6),
            Button(tr("common.back"), self.close, kind="primary", ident="back"),
        ]
