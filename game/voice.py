"""Self-voicing: read the current screen aloud through the system's text-to-speech.

Uses the espeak-ng program when it is installed (a subprocess, so the frame loop never waits)
or pyttsx3 if that package is present. When neither is, `available` is False and `problem`
says so in words the settings screen shows. A new utterance interrupts the previous one.
"""

from __future__ import annotations

import shutil
import subprocess
import threading
from typing import Any

LANG_VOICES = {"en": "en", "de": "de"}


class Voice:
    """Speaks text without blocking; tests replace it with a recorder."""

    def __init__(self, enabled: bool = False, language: str = "en", volume: int = 70) -> None:
        self.enabled = enabled
        self.language = language
        self.volume = volume
        self.spoken: list[str] = []
        self._proc: subprocess.Popen[bytes] | None = None
        self._engine: Any = None
        self.backend = self._detect()

    def _detect(self) -> str | None:
        if shutil.which("espeak-ng"):
            return "espeak-ng"
        try:
            import pyttsx3  # noqa: F401
        except ImportError:
            return None
        return "pyttsx3"

    @property
    def available(self) -> bool:
        return self.backend is not None

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
        self._proc = None

    def say(self, text: str) -> None:
        """Speak `text` (if self-voicing is on), interrupting what was being said."""
        text = text.strip()
        if not self.enabled or not text:
            return
        self.spoken.append(text)
        self.stop()
        if self.backend == "espeak-ng":
            amplitude = str(int(self.volume * 2))  # espeak-ng amplitude 0-200
            try:
                self._proc = subprocess.Popen(
                    [
                        "espeak-ng",
                        "-v",
                        LANG_VOICES.get(self.language, "en"),
                        "-a",
                        amplitude,
                        "-s",
                        "165",
                        "--",
                        text,
                    ],
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            except OSError:
                self.backend = None
        elif self.backend == "pyttsx3":
            threading.Thread(target=self._pyttsx3_say, args=(text,), daemon=True).start()

    def render_to_file(self, text: str, path: str, timeout: float = 20.0) -> bool:
        """Speak into a WAV file instead of the speakers (used to check speech works)."""
        if self.backend != "espeak-ng":
            return False
        result = subprocess.run(
            ["espeak-ng", "-v", LANG_VOICES.get(self.language, "en"), "-w", path, "--", text],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
        return result.returncode == 0

    def _pyttsx3_say(self, text: str) -> None:
        import pyttsx3

        try:
            if self._engine is None:
                self._engine = pyttsx3.init()
            self._engine.setProperty("volume", self.volume / 100)
            self._engine.say(text)
            self._engine.runAndWait()
        except Exception:  # noqa: BLE001 - a speech failure must never crash the game
            self.backend = None
