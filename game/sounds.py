"""Short interface sounds (a chime when a counsellor is ready or writes), at the chosen volume.

The sounds are synthesised by `python -m game.sounds` into assets/sounds as WAV files (no
third-party samples, no licence questions). If there is no audio device the game stays silent
and everything else works.
"""

from __future__ import annotations

import argparse
import math
import struct
import wave
from pathlib import Path

from game.paths import SOUNDS

RATE = 22050


def synth_chime(
    path: Path, notes: tuple[float, ...] = (659.25, 987.77), length: float = 0.5
) -> None:
    """Two soft bell-like notes with an exponential decay."""
    frames = bytearray()
    step = length / len(notes)
    for i in range(int(RATE * length)):
        t = i / RATE
        idx = min(len(notes) - 1, int(t / step))
        local = t - idx * step
        env = math.exp(-local * 9.0) * min(1.0, local * 200)
        f = notes[idx]
        sample = env * (0.6 * math.sin(2 * math.pi * f * t) + 0.25 * math.sin(4 * math.pi * f * t))
        frames += struct.pack("<h", int(max(-1.0, min(1.0, sample * 0.5)) * 32767))
    path.parent.mkdir(parents=True, exist_ok=True)
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(bytes(frames))


class Sounds:
    """Plays the interface sounds through pygame.mixer, if an audio device exists."""

    def __init__(self, volume: int) -> None:
        self.volume = volume
        self._cache: dict[str, object] = {}
        self.available = False
        self.played: list[str] = []
        try:
            import pygame

            if not pygame.mixer.get_init():
                pygame.mixer.init()
            self.available = True
        except Exception:  # noqa: BLE001 - no audio device is a normal situation
            self.available = False

    def play(self, name: str) -> None:
        self.played.append(name)
        if not self.available or self.volume <= 0:
            return
        import pygame

        sound = self._cache.get(name)
        if sound is None:
            path = SOUNDS / f"{name}.wav"
            if not path.exists():
                return
            try:
                sound = pygame.mixer.Sound(str(path))
            except pygame.error:
                return
            self._cache[name] = sound
        sound.set_volume(self.volume / 100)  # type: ignore[attr-defined]
        sound.play()  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the interface sounds as WAV files.")
    parser.add_argument("--out", type=Path, default=SOUNDS)
    args = parser.parse_args(argv)
    synth_chime(args.out / "matched.wav", (523.25, 659.25, 783.99), 0.7)
    synth_chime(args.out / "message.wav", (659.25, 987.77), 0.4)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
