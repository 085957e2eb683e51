"""Original art drawn with pygame: story backgrounds and speaker portraits.

Everything is procedural and deterministic (seeded), so the pictures need no licence and no
download. `python -m game.art --out assets/images` writes them as PNG files, which the game
loads when present (and otherwise draws the same pictures on the fly).
"""

from __future__ import annotations

import argparse
import hashlib
import random
from pathlib import Path

import pygame

from game.paths import IMAGES

BACKGROUNDS = ("street", "room", "park", "night")
SIZE = (1280, 720)


def _gradient(
    size: tuple[int, int], top: tuple[int, int, int], bottom: tuple[int, int, int]
) -> pygame.Surface:
    w, h = size
    surf = pygame.Surface(size)
    for y in range(h):
        t = y / max(1, h - 1)
        color = tuple(int(a + (b - a) * t) for a, b in zip(top, bottom, strict=True))
        pygame.draw.line(surf, color, (0, y), (w, y))
    return surf


def _buildings(
    surf: pygame.Surface,
    rng: random.Random,
    base: int,
    color: tuple[int, int, int],
    lit: tuple[int, int, int],
    density: float,
) -> None:
    w, _ = surf.get_size()
    x = -20
    while x < w:
        bw = rng.randint(70, 160)
        bh = rng.randint(140, 380)
        rect = pygame.Rect(x, base - bh, bw, bh)
        pygame.draw.rect(surf, color, rect)
        for wy in range(rect.top + 16, rect.bottom - 20, 28):
            for wx in range(rect.left + 12, rect.right - 16, 22):
                if rng.random() < density:
                    pygame.draw.rect(surf, lit, (wx, wy, 10, 14))
        x += bw + rng.randint(0, 12)


def draw_background(name: str) -> pygame.Surface:
    """Draw one named background at 1280x720."""
    rng = random.Random(name)
    w, h = SIZE
    if name == "street":
        surf = _gradient(SIZE, (58, 70, 110), (214, 140, 110))
        _buildings(surf, rng, h - 160, (44, 46, 66), (250, 214, 140), 0.35)
        pygame.draw.rect(surf, (52, 54, 62), (0, h - 160, w, 160))
        pygame.draw.rect(surf, (90, 92, 100), (0, h - 170, w, 14))
        for x in range(0, w, 120):
            pygame.draw.rect(surf, (200, 200, 190), (x + 20, h - 80, 60, 8))
        # bus stop shelter and sign
        pygame.draw.rect(surf, (30, 34, 44), (900, h - 330, 12, 175))
        pygame.draw.circle(surf, (240, 200, 60), (906, h - 340), 26)
        pygame.draw.circle(surf, (30, 34, 44), (906, h - 340), 26, 4)
        shelter = pygame.Surface((260, 170), pygame.SRCALPHA)
        shelter.fill((160, 200, 230, 70))
        surf.blit(shelter, (960, h - 330))
        pygame.draw.rect(surf, (30, 34, 44), (960, h - 334, 264, 10))
        for _ in range(70):  # rain
            x0, y0 = rng.randint(0, w), rng.randint(0, h - 170)
            pygame.draw.line(surf, (170, 185, 215), (x0, y0), (x0 - 6, y0 + 18), 1)
    elif name == "room":
        surf = _gradient(SIZE, (92, 84, 110), (60, 54, 74))
        pygame.draw.rect(surf, (72, 58, 52), (0, h - 170, w, 170))
        window = pygame.Rect(120, 110, 340, 260)
        surf.blit(_gradient(window.size, (40, 60, 110), (120, 100, 140)), window)
        pygame.draw.rect(surf, (210, 200, 190), window, 10)
        pygame.draw.line(surf, (210, 200, 190), window.midtop, window.midbottom, 8)
        pygame.draw.rect(surf, (120, 84, 60), (700, h - 300, 420, 24))  # desk
        pygame.draw.rect(surf, (96, 66, 48), (720, h - 276, 20, 140))
        pygame.draw.rect(surf, (96, 66, 48), (1080, h - 276, 20, 140))
        pygame.draw.rect(surf, (30, 30, 36), (820, h - 400, 190, 110), border_radius=6)
        pygame.draw.rect(surf, (90, 150, 220), (830, h - 392, 170, 92), border_radius=4)
        pygame.draw.rect(surf, (30, 30, 36), (900, h - 290, 30, 10))
        for i in range(5):  # posters
            c = (rng.randint(120, 240), rng.randint(90, 200), rng.randint(90, 220))
            pygame.draw.rect(surf, c, (540 + i * 40, 120 + (i % 2) * 30, 34, 48))
    elif name == "park":
        surf = _gradient(SIZE, (130, 190, 230), (220, 236, 210))
        for _ in range(6):
            cx = rng.randint(0, w)
            pygame.draw.ellipse(surf, (245, 248, 250), (cx, rng.randint(40, 160), 180, 50))
        pygame.draw.ellipse(surf, (96, 160, 90), (-200, h - 260, 1000, 400))
        pygame.draw.ellipse(surf, (80, 142, 80), (500, h - 230, 1100, 400))
        for _ in range(7):
            tx = rng.randint(40, w - 40)
            ty = h - rng.randint(160, 230)
            pygame.draw.rect(surf, (100, 72, 50), (tx - 8, ty, 16, 80))
            pygame.draw.circle(surf, (56, 120, 64), (tx, ty - 20), rng.randint(40, 60))
        pygame.draw.rect(surf, (120, 90, 60), (560, h - 150, 200, 14))  # bench
        pygame.draw.rect(surf, (120, 90, 60), (560, h - 190, 200, 12))
    else:  # night
        surf = _gradient(SIZE, (8, 12, 34), (40, 40, 80))
        for _ in range(160):
            pygame.draw.circle(
                surf,
                (230, 230, 255),
                (rng.randint(0, w), rng.randint(0, 380)),
                rng.choice((1, 1, 2)),
            )
        pygame.draw.circle(surf, (240, 236, 210), (1060, 120), 46)
        pygame.draw.circle(surf, (12, 16, 40), (1080, 108), 44)
        _buildings(surf, rng, h - 120, (16, 18, 34), (240, 210, 120), 0.2)
        pygame.draw.rect(surf, (20, 22, 36), (0, h - 120, w, 120))
    return surf


def speaker_color(speaker: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(speaker.encode("utf-8")).digest()
    return (90 + digest[0] % 140, 80 + digest[1] % 140, 90 + digest[2] % 140)


def draw_portrait(speaker: str, size: int = 300) -> pygame.Surface:
    """A friendly head-and-shoulders figure, coloured from the speaker id."""
    surf = pygame.Surface((size, size), pygame.SRCALPHA)
    digest = hashlib.sha256(speaker.encode("utf-8")).digest()
    body = speaker_color(speaker)
    skins = [(241, 204, 170), (224, 172, 130), (186, 128, 88), (140, 92, 60), (96, 64, 44)]
    skin = skins[digest[3] % len(skins)]
    hair_colors = [(40, 30, 24), (90, 60, 30), (200, 160, 90), (20, 20, 20), (150, 60, 40)]
    hair = hair_colors[digest[4] % len(hair_colors)]
    s = size / 300
    pygame.draw.ellipse(surf, body, (int(40 * s), int(190 * s), int(220 * s), int(200 * s)))
    pygame.draw.rect(surf, skin, (int(130 * s), int(160 * s), int(40 * s), int(40 * s)))
    head = pygame.Rect(int(90 * s), int(50 * s), int(120 * s), int(136 * s))
    style = digest[5] % 3
    if style == 2:  # long hair behind the head
        pygame.draw.ellipse(surf, hair, head.inflate(int(28 * s), int(60 * s)).move(0, int(24 * s)))
    pygame.draw.ellipse(surf, skin, head)
    if style == 0:
        pygame.draw.ellipse(surf, hair, (head.left - 4, head.top - 10, head.width + 8, 70 * s))
    else:
        pygame.draw.ellipse(surf, hair, (head.left - 6, head.top - 14, head.width + 12, 62 * s))
    eye_y = head.top + int(72 * s)
    for ex in (head.centerx - int(24 * s), head.centerx + int(24 * s)):
        pygame.draw.circle(surf, (30, 30, 40), (ex, eye_y), max(2, int(6 * s)))
    pygame.draw.arc(
        surf,
        (120, 60, 60),
        (head.centerx - int(22 * s), head.top + int(88 * s), int(44 * s), int(26 * s)),
        3.5,
        6.0,
        max(2, int(4 * s)),
    )
    return surf


class ArtBook:
    """Loads the PNGs from assets/images, or draws them, and keeps them scaled and cached."""

    def __init__(self, folder: Path = IMAGES) -> None:
        self.folder = folder
        self._cache: dict[tuple[str, int], pygame.Surface] = {}

    def background(self, name: str) -> pygame.Surface:
        key = (f"bg:{name}", 0)
        surf = self._cache.get(key)
        if surf is None:
            path = self.folder / f"bg-{name}.png"
            surf = pygame.image.load(path) if path.exists() else draw_background(name)
            if pygame.display.get_surface() is not None:
                surf = surf.convert()
            self._cache[key] = surf
        return surf

    def backdrop(self, name: str = "night") -> pygame.Surface:
        """A background darkened for pages, so text panels read well on top of it."""
        key = (f"dim:{name}", 0)
        surf = self._cache.get(key)
        if surf is None:
            surf = self.background(name).copy()
            shade = pygame.Surface(surf.get_size(), pygame.SRCALPHA)
            shade.fill((12, 14, 22, 200))
            surf.blit(shade, (0, 0))
            self._cache[key] = surf
        return surf

    def portrait(self, speaker: str, size: int) -> pygame.Surface:
        key = (f"p:{speaker}", size)
        surf = self._cache.get(key)
        if surf is None:
            path = self.folder / f"portrait-{speaker}.png"
            if path.exists():
                surf = pygame.transform.smoothscale(pygame.image.load(path), (size, size))
            else:
                surf = draw_portrait(speaker, size)
            if pygame.display.get_surface() is not None:
                surf = surf.convert_alpha()
            self._cache[key] = surf
        return surf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write the game's generated art as PNG files.")
    parser.add_argument("--out", type=Path, default=IMAGES)
    parser.add_argument("--speakers", nargs="*", default=[])
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name in BACKGROUNDS:
        pygame.image.save(draw_background(name), str(args.out / f"bg-{name}.png"))
    for speaker in args.speakers:
        pygame.image.save(draw_portrait(speaker), str(args.out / f"portrait-{speaker}.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
