"""Original art drawn with pygame from the story's own words: scenes and portraits.

A scene is drawn from a node's setting (place, time of day, weather) and a portrait from the
speaker's character sheet (game.narrative.scenery), so the 1 am kitchen is a dark kitchen and a
purple fox avatar is a purple fox. Everything is procedural and deterministic (seeded), so the
pictures need no licence and no download, and they change only when the reviewed data does.
`python -m game.art --out DIR` writes every scene and portrait of the shipped story as PNG files
for review; the game draws them on the fly and caches them.
"""

from __future__ import annotations

import argparse
import random
from pathlib import Path

import pygame

from game.narrative.scenery import COLOURS, HAIR_COLOURS, SKINS, Look, Setting

SIZE = (1280, 720)
Colour = tuple[int, int, int]
# pages (disclosure, settings, ...) sit on a darkened night street
BACKDROP = Setting("street", "night", "clear")
# a node of a story without settings, or a speaker without a sheet
FALLBACK_SETTING = Setting("street", "day", "cloudy")
FALLBACK_LOOK = Look("avatar", figure="default", colour="grey")

SKY = {
    "morning": ((250, 196, 150), (170, 200, 232)),
    "day": ((96, 160, 226), (200, 226, 244)),
    "evening": ((70, 60, 120), (236, 140, 96)),
    "night": ((8, 12, 34), (34, 38, 76)),
}
# how bright the inside of a room is at each time (lamp light at night)
ROOM_LIGHT = {"morning": 0.95, "day": 1.0, "evening": 0.75, "night": 0.45}


def _mix(a: Colour, b: Colour, t: float) -> Colour:
    return (
        int(a[0] + (b[0] - a[0]) * t),
        int(a[1] + (b[1] - a[1]) * t),
        int(a[2] + (b[2] - a[2]) * t),
    )


def _shade(c: Colour, k: float) -> Colour:
    return (min(255, int(c[0] * k)), min(255, int(c[1] * k)), min(255, int(c[2] * k)))


def _gradient(size: tuple[int, int], top: Colour, bottom: Colour) -> pygame.Surface:
    w, h = size
    surf = pygame.Surface(size)
    for y in range(h):
        pygame.draw.line(surf, _mix(top, bottom, y / max(1, h - 1)), (0, y), (w, y))
    return surf


def _sky(size: tuple[int, int], setting: Setting, rng: random.Random) -> pygame.Surface:
    """The sky for a time of day and weather (seen outdoors or through a window)."""
    top, bottom = SKY[setting.time]
    if setting.weather != "clear":
        grey = (96, 100, 112) if setting.time != "night" else (30, 32, 44)
        k = 0.55 if setting.weather == "cloudy" else 0.7
        top, bottom = _mix(top, grey, k), _mix(bottom, grey, k)
    surf = _gradient(size, top, bottom)
    w, h = size
    if setting.time == "night" and setting.weather == "clear":
        for _ in range(max(8, w * h // 6000)):
            pygame.draw.circle(
                surf, (230, 230, 255), (rng.randint(0, w), rng.randint(0, h)), rng.choice((1, 1, 2))
            )
        moon = (int(w * 0.8), int(h * 0.22))
        pygame.draw.circle(surf, (240, 236, 210), moon, max(6, h // 12))
        pygame.draw.circle(
            surf, _mix(top, bottom, 0.2), (moon[0] + h // 40, moon[1] - h // 60), max(6, h // 12)
        )
    elif setting.time in ("day", "morning") and setting.weather == "clear":
        sun = (int(w * 0.78), int(h * (0.5 if setting.time == "morning" else 0.2)))
        pygame.draw.circle(surf, (255, 236, 160), sun, max(8, h // 10))
    if setting.weather in ("cloudy", "rain"):
        cloud = (150, 154, 166) if setting.time != "night" else (44, 46, 60)
        for _ in range(6):
            cx, cy = rng.randint(-40, w), rng.randint(0, max(1, h // 2))
            pygame.draw.ellipse(surf, cloud, (cx, cy, w // 4, h // 6))
    if setting.weather == "rain":
        drop = (170, 185, 215) if setting.time != "night" else (90, 100, 140)
        for _ in range(max(20, w * h // 3000)):
            x0, y0 = rng.randint(0, w), rng.randint(0, h)
            pygame.draw.line(surf, drop, (x0, y0), (x0 - 4, y0 + 14), 1)
    return surf


def _window(
    surf: pygame.Surface, rect: pygame.Rect, setting: Setting, rng: random.Random, frame: Colour
) -> None:
    surf.blit(_sky(rect.size, setting, rng), rect)
    pygame.draw.rect(surf, frame, rect, 10)
    pygame.draw.line(surf, frame, rect.midtop, rect.midbottom, 8)


def _buildings(
    surf: pygame.Surface, rng: random.Random, base: int, colour: Colour, lit: Colour, density: float
) -> None:
    w, _ = surf.get_size()
    x = -20
    while x < w:
        bw, bh = rng.randint(70, 160), rng.randint(140, 380)
        rect = pygame.Rect(x, base - bh, bw, bh)
        pygame.draw.rect(surf, colour, rect)
        for wy in range(rect.top + 16, rect.bottom - 20, 28):
            for wx in range(rect.left + 12, rect.right - 16, 22):
                if rng.random() < density:
                    pygame.draw.rect(surf, lit, (wx, wy, 10, 14))
        x += bw + rng.randint(0, 12)


def _room(setting: Setting, wall: Colour, floor: Colour) -> tuple[pygame.Surface, float]:
    light = ROOM_LIGHT[setting.time]
    surf = _gradient(SIZE, _shade(wall, light), _shade(wall, light * 0.8))
    pygame.draw.rect(surf, _shade(floor, light), (0, SIZE[1] - 170, SIZE[0], 170))
    return surf, light


def _lamp_glow(surf: pygame.Surface, at: tuple[int, int], radius: int) -> None:
    glow = pygame.Surface((radius * 2, radius * 2), pygame.SRCALPHA)
    for r in range(radius, 0, -8):
        pygame.draw.circle(
            glow, (255, 220, 150, int(60 * (1 - r / radius)) + 4), (radius, radius), r
        )
    surf.blit(glow, (at[0] - radius, at[1] - radius))


def draw_scene(setting: Setting) -> pygame.Surface:
    """Draw the picture for one setting at 1280x720."""
    rng = random.Random(f"{setting.place}/{setting.time}/{setting.weather}")
    w, h = SIZE
    place = setting.place
    night = setting.time in ("evening", "night")
    if place in ("street", "pitch", "town_square"):
        surf = _sky(SIZE, setting, rng)
        if place == "street":
            lit = (250, 214, 140) if night else (120, 150, 190)
            _buildings(surf, rng, h - 160, _shade((60, 62, 84), 0.7 if night else 1.1), lit, 0.35)
            pygame.draw.rect(surf, (52, 54, 62), (0, h - 160, w, 160))
            pygame.draw.rect(surf, (90, 92, 100), (0, h - 170, w, 14))
            for x in range(0, w, 120):
                pygame.draw.rect(surf, (200, 200, 190), (x + 20, h - 80, 60, 8))
            pygame.draw.rect(surf, (30, 34, 44), (900, h - 330, 12, 175))  # street lamp
            pygame.draw.circle(
                surf, (250, 220, 140) if night else (200, 200, 190), (906, h - 340), 20
            )
        elif place == "pitch":
            grass = _shade((70, 150, 80), 0.55 if night else 1.0)
            pygame.draw.rect(surf, _shade(grass, 0.9), (0, h - 300, w, 300))
            for i in range(0, w, 160):  # mown stripes
                pygame.draw.rect(surf, grass, (i, h - 300, 80, 300))
            line = _shade((240, 240, 240), 0.7 if night else 1.0)
            pygame.draw.line(surf, line, (0, h - 200), (w, h - 200), 4)
            pygame.draw.ellipse(surf, line, (w // 2 - 160, h - 260, 320, 120), 4)
            goal = pygame.Rect(80, h - 420, 260, 150)
            pygame.draw.rect(surf, line, goal, 8)
            for gx in range(goal.left, goal.right, 20):
                pygame.draw.line(surf, _shade(line, 0.8), (gx, goal.top), (gx, goal.bottom), 1)
            pygame.draw.rect(surf, (120, 90, 60), (860, h - 200, 260, 14))  # bench by the pitch
            pygame.draw.rect(surf, (120, 90, 60), (860, h - 240, 260, 12))
            for fx in range(0, w, 40):  # fence
                pygame.draw.line(surf, (90, 96, 104), (fx, h - 340), (fx, h - 300), 2)
            pygame.draw.line(surf, (90, 96, 104), (0, h - 340), (w, h - 340), 2)
        else:  # town square with the festival stage
            _buildings(surf, rng, h - 170, (150, 120, 100), (250, 214, 140), 0.25 if night else 0.0)
            pygame.draw.rect(surf, (150, 140, 130), (0, h - 170, w, 170))
            for x in range(0, w, 48):  # cobbles
                pygame.draw.line(surf, (130, 120, 112), (x, h - 170), (x - 30, h), 1)
            stage = pygame.Rect(380, h - 330, 520, 160)
            pygame.draw.rect(surf, (40, 40, 48), stage)
            pygame.draw.rect(surf, (70, 70, 80), (stage.left - 20, stage.top - 120, 20, 280))
            pygame.draw.rect(surf, (70, 70, 80), (stage.right, stage.top - 120, 20, 280))
            pygame.draw.rect(
                surf, (70, 70, 80), (stage.left - 20, stage.top - 130, stage.width + 40, 16)
            )
            for i in range(14):  # bunting
                x = 60 + i * 84
                c = list(COLOURS.values())[i % 8]
                pygame.draw.polygon(surf, c, [(x, 120), (x + 40, 120), (x + 20, 150)])
            pygame.draw.line(surf, (80, 80, 80), (40, 120), (w - 40, 120), 2)
            for sx in (80, 1040):  # stalls
                pygame.draw.rect(surf, (200, 60, 60), (sx, h - 260, 160, 30))
                pygame.draw.rect(surf, (230, 220, 200), (sx + 10, h - 230, 140, 60))
        return surf
    if place == "bedroom":
        surf, light = _room(setting, (92, 84, 110), (72, 58, 52))
        _window(surf, pygame.Rect(120, 110, 340, 260), setting, rng, _shade((210, 200, 190), light))
        bed = pygame.Rect(560, h - 300, 520, 150)  # bed with pillow and blanket
        pygame.draw.rect(surf, _shade((110, 80, 60), light), bed.move(0, 110).inflate(0, -110))
        pygame.draw.rect(surf, _shade((70, 90, 150), light), bed, border_radius=14)
        pygame.draw.rect(
            surf,
            _shade((230, 230, 236), light),
            (bed.left + 20, bed.top - 30, 150, 60),
            border_radius=18,
        )
        for i in range(4):  # posters
            c = _shade((rng.randint(120, 240), rng.randint(90, 200), rng.randint(90, 220)), light)
            pygame.draw.rect(surf, c, (600 + i * 110, 130 + (i % 2) * 24, 80, 110))
        pygame.draw.rect(surf, _shade((120, 84, 60), light), (40, h - 260, 60, 110))  # bedside
        pygame.draw.rect(surf, (240, 220, 150) if night else (200, 190, 170), (55, h - 300, 30, 40))
        if night:
            _lamp_glow(surf, (70, h - 300), 150)
        return surf
    if place == "kitchen":
        surf, light = _room(setting, (200, 196, 176), (150, 120, 90))
        for ty in range(300, h - 170, 30):  # tiles behind the counter
            for tx in range(0, w, 30):
                pygame.draw.rect(surf, _shade((220, 224, 226), light), (tx, ty, 28, 28), 1)
        pygame.draw.rect(surf, _shade((170, 130, 90), light), (0, h - 290, 700, 120))  # counter
        _window(surf, pygame.Rect(160, 70, 300, 200), setting, rng, _shade((240, 240, 236), light))
        pygame.draw.rect(
            surf, _shade((230, 232, 236), light), (1040, 120, 180, 430), border_radius=10
        )  # fridge
        pygame.draw.line(surf, _shade((150, 150, 156), light), (1060, 300), (1200, 300), 3)
        table = pygame.Rect(640, h - 240, 340, 20)
        pygame.draw.rect(surf, _shade((140, 100, 70), light), table)
        pygame.draw.rect(
            surf, _shade((120, 84, 60), light), (table.left + 20, table.bottom, 16, 120)
        )
        pygame.draw.rect(
            surf, _shade((120, 84, 60), light), (table.right - 36, table.bottom, 16, 120)
        )
        pygame.draw.ellipse(
            surf, _shade((240, 240, 240), light), (760, table.top - 24, 80, 30)
        )  # bowl
        pygame.draw.line(surf, (60, 60, 60), (810, 0), (810, 140), 2)  # hanging lamp
        pygame.draw.polygon(surf, (60, 60, 70), [(770, 170), (850, 170), (830, 140), (790, 140)])
        if night:
            _lamp_glow(surf, (810, 180), 220)
        return surf
    if place in ("school", "office", "music_room"):
        wall = {"school": (176, 196, 200), "office": (196, 186, 170), "music_room": (120, 100, 96)}[
            place
        ]
        surf, light = _room(setting, wall, (120, 110, 100))
        _window(
            surf, pygame.Rect(w - 380, 90, 300, 220), setting, rng, _shade((230, 230, 230), light)
        )
        if place == "school":
            for i in range(9):  # lockers
                r = pygame.Rect(40 + i * 92, h - 470, 86, 300)
                pygame.draw.rect(surf, _shade((70, 110, 160), light), r)
                pygame.draw.rect(surf, _shade((40, 70, 110), light), r, 3)
                pygame.draw.rect(
                    surf, _shade((200, 200, 200), light), (r.right - 20, r.centery, 8, 24)
                )
        elif place == "office":
            pygame.draw.rect(surf, _shade((120, 84, 60), light), (300, h - 300, 520, 24))  # desk
            pygame.draw.rect(surf, _shade((96, 66, 48), light), (320, h - 276, 20, 110))
            pygame.draw.rect(surf, _shade((96, 66, 48), light), (780, h - 276, 20, 110))
            for i in range(6):  # shelf with folders
                pygame.draw.rect(
                    surf, _shade(list(COLOURS.values())[i + 1], light), (80 + i * 34, 160, 28, 110)
                )
            pygame.draw.rect(surf, _shade((100, 80, 60), light), (60, 270, 240, 12))
            for cx in (420, 640):  # two chairs
                pygame.draw.rect(
                    surf, _shade((60, 70, 90), light), (cx, h - 230, 90, 70), border_radius=8
                )
        else:  # music room: drum kit and an amp
            pygame.draw.ellipse(surf, _shade((200, 40, 40), light), (420, h - 300, 200, 140))
            pygame.draw.ellipse(surf, _shade((240, 240, 240), light), (440, h - 290, 160, 120), 6)
            pygame.draw.ellipse(surf, _shade((200, 40, 40), light), (340, h - 330, 90, 60))
            pygame.draw.ellipse(surf, _shade((200, 40, 40), light), (620, h - 330, 90, 60))
            pygame.draw.ellipse(surf, (220, 190, 80), (280, h - 420, 120, 24))  # cymbals
            pygame.draw.ellipse(surf, (220, 190, 80), (660, h - 430, 120, 24))
            pygame.draw.rect(
                surf, _shade((30, 30, 34), light), (860, h - 360, 200, 190), border_radius=6
            )
            pygame.draw.circle(surf, _shade((70, 70, 76), light), (960, h - 270), 60)
            for i in range(5):  # acoustic panels
                pygame.draw.rect(surf, _shade((90, 70, 70), light), (60 + i * 120, 90, 100, 100))
        return surf
    return draw_scene(FALLBACK_SETTING)


def _frame(size: int, bg: Colour) -> pygame.Surface:
    surf = pygame.Surface((size, size), pygame.SRCALPHA)
    pygame.draw.rect(surf, bg, (0, 0, size, size), border_radius=max(4, size // 8))
    return surf


CLOTHES_COLOURS: dict[str, Colour] = {
    "hoodie": (110, 114, 126),
    "band_shirt": (28, 28, 34),
    "scrubs": (120, 172, 214),
    "work_uniform": (40, 52, 96),
    "tracksuit": (190, 40, 48),
    "cardigan": (180, 140, 60),
    "shirt": (220, 224, 232),
}


def draw_portrait(look: Look, size: int = 300) -> pygame.Surface:
    """A portrait that shows what the character sheet says, at `size` x `size` pixels."""
    s = size / 300

    def sc(*v: float) -> tuple[int, ...]:
        return tuple(int(x * s) for x in v)

    if look.kind == "avatar" and look.figure == "fox":
        colour = COLOURS[look.colour]
        surf = _frame(size, (236, 232, 244))
        ear_l = [sc(70, 130), sc(95, 40), sc(135, 110)]
        ear_r = [sc(230, 130), sc(205, 40), sc(165, 110)]
        for ear in (ear_l, ear_r):
            pygame.draw.polygon(surf, colour, ear)
        pygame.draw.polygon(surf, _shade(colour, 0.6), [sc(88, 118), sc(97, 70), sc(122, 108)])
        pygame.draw.polygon(surf, _shade(colour, 0.6), [sc(212, 118), sc(203, 70), sc(178, 108)])
        head = [sc(60, 120), sc(240, 120), sc(250, 170), sc(150, 270), sc(50, 170)]
        pygame.draw.polygon(surf, colour, head)
        cheek = _mix(colour, (255, 255, 255), 0.7)
        pygame.draw.polygon(surf, cheek, [sc(70, 175), sc(150, 270), sc(120, 190)])
        pygame.draw.polygon(surf, cheek, [sc(230, 175), sc(150, 270), sc(180, 190)])
        for ex in (115, 185):
            pygame.draw.ellipse(surf, (20, 16, 30), (*sc(ex - 10, 150), *sc(20, 14)))
        pygame.draw.circle(surf, (20, 16, 30), sc(150, 262), max(3, int(12 * s)))
        return surf
    if look.kind == "avatar" and look.figure == "square":
        surf = _frame(size, (200, 200, 206))
        pygame.draw.rect(surf, COLOURS[look.colour], (*sc(30, 30), *sc(240, 240)))
        return surf
    if look.kind == "symbol" and look.figure == "chat_bubble":
        colour = COLOURS[look.colour]
        surf = _frame(size, (228, 242, 242))
        pygame.draw.rect(surf, colour, (*sc(40, 60), *sc(220, 150)), border_radius=int(40 * s))
        pygame.draw.polygon(surf, colour, [sc(90, 200), sc(80, 260), sc(140, 205)])
        for dx in (100, 150, 200):
            pygame.draw.circle(surf, (255, 255, 255), sc(dx, 135), max(3, int(14 * s)))
        return surf
    if look.kind != "person":  # the plain default avatar of a chat app
        colour = COLOURS[look.colour]
        surf = _frame(size, _mix(colour, (255, 255, 255), 0.6))
        pygame.draw.circle(surf, colour, sc(150, 115), int(58 * s))
        pygame.draw.ellipse(surf, colour, (*sc(50, 190), *sc(200, 170)))
        return surf
    return _person(look, size)


def _person(look: Look, size: int) -> pygame.Surface:
    s = size / 300

    def sc(*v: float) -> tuple[int, ...]:
        return tuple(int(x * s) for x in v)

    surf = pygame.Surface((size, size), pygame.SRCALPHA)
    skin = SKINS[look.skin]
    hair = HAIR_COLOURS[look.hair]
    if look.age == "older":
        hair = _mix(hair, (200, 200, 200), 0.6)
    cloth = CLOTHES_COLOURS[look.clothes]
    young = look.age in ("child", "teen")
    head = pygame.Rect(
        *sc(92, 52 if young else 46), *sc(116 if young else 120, 132 if young else 140)
    )
    if look.hair_style == "long":
        pygame.draw.ellipse(surf, hair, head.inflate(int(30 * s), int(70 * s)).move(0, int(30 * s)))
    if look.hair_style == "ponytail":
        pygame.draw.ellipse(
            surf, hair, (head.right - int(14 * s), head.top + int(30 * s), int(40 * s), int(90 * s))
        )
    # body and clothes
    pygame.draw.ellipse(surf, cloth, (*sc(40, 190), *sc(220, 200)))
    pygame.draw.rect(
        surf, skin, (head.centerx - int(20 * s), head.bottom - int(8 * s), int(40 * s), int(40 * s))
    )
    if look.clothes == "scrubs":
        pygame.draw.polygon(surf, skin, [sc(125, 205), sc(175, 205), sc(150, 245)])
        pygame.draw.rect(surf, _shade(cloth, 0.8), (*sc(180, 250), *sc(40, 30)), 2)  # pocket
    elif look.clothes == "work_uniform":
        pygame.draw.polygon(
            surf, (230, 230, 236), [sc(120, 200), sc(150, 230), sc(180, 200), sc(150, 212)]
        )
        for by in (240, 265, 290):
            pygame.draw.circle(surf, (220, 200, 120), sc(150, by), max(2, int(4 * s)))
    elif look.clothes == "tracksuit":
        pygame.draw.line(surf, (255, 255, 255), sc(70, 250), sc(110, 300), max(2, int(6 * s)))
        pygame.draw.line(surf, (255, 255, 255), sc(230, 250), sc(190, 300), max(2, int(6 * s)))
        pygame.draw.line(surf, (240, 240, 240), sc(150, 200), sc(150, 300), max(2, int(3 * s)))
    elif look.clothes == "cardigan":
        pygame.draw.polygon(
            surf, (230, 230, 236), [sc(125, 200), sc(175, 200), sc(160, 300), sc(140, 300)]
        )
    elif look.clothes == "band_shirt":
        pygame.draw.circle(surf, (236, 236, 236), sc(150, 262), int(22 * s), max(2, int(4 * s)))
        pygame.draw.line(surf, (236, 236, 236), sc(132, 240), sc(168, 284), max(2, int(3 * s)))
    elif look.clothes == "hoodie":
        pygame.draw.ellipse(surf, _shade(cloth, 0.85), (*sc(90, 185), *sc(120, 50)))
    # head and hair on top
    if look.hair_style == "curly":
        for i in range(9):
            cx = head.left + int((8 + i * 13) * s)
            pygame.draw.circle(surf, hair, (cx, head.top + int(10 * s)), int(20 * s))
        pygame.draw.circle(
            surf, hair, (head.left + int(4 * s), head.top + int(44 * s)), int(18 * s)
        )
        pygame.draw.circle(
            surf, hair, (head.right - int(4 * s), head.top + int(44 * s)), int(18 * s)
        )
    pygame.draw.ellipse(surf, skin, head)
    if look.hair_style in ("short", "long", "ponytail"):
        pygame.draw.ellipse(
            surf, hair, (head.left - 4, head.top - int(12 * s), head.width + 8, int(62 * s))
        )
    elif look.hair_style == "bun":
        pygame.draw.circle(surf, hair, (head.centerx, head.top - int(8 * s)), int(26 * s))
        pygame.draw.ellipse(
            surf, hair, (head.left - 2, head.top - int(6 * s), head.width + 4, int(50 * s))
        )
    elif look.hair_style == "buzz":
        pygame.draw.ellipse(surf, hair, (head.left + 2, head.top - 2, head.width - 4, int(36 * s)))
    elif look.hair_style == "curly":
        pygame.draw.ellipse(
            surf, hair, (head.left - 6, head.top - int(14 * s), head.width + 12, int(50 * s))
        )
    eye_y = head.top + int(76 * s)
    for ex in (head.centerx - int(24 * s), head.centerx + int(24 * s)):
        pygame.draw.circle(surf, (30, 30, 40), (ex, eye_y), max(2, int(6 * s)))
    if look.age in ("adult", "older"):
        for ex in (head.centerx - int(24 * s), head.centerx + int(24 * s)):
            pygame.draw.line(
                surf,
                _shade(skin, 0.75),
                (ex - int(8 * s), eye_y + int(12 * s)),
                (ex + int(8 * s), eye_y + int(12 * s)),
                1,
            )
    pygame.draw.arc(
        surf,
        (120, 60, 60),
        (head.centerx - int(22 * s), head.top + int(92 * s), int(44 * s), int(26 * s)),
        3.5,
        6.0,
        max(2, int(4 * s)),
    )
    if look.prop == "drumsticks":
        for dx in (0, 16):
            pygame.draw.line(
                surf, (200, 160, 100), sc(214 + dx, 300), sc(244 + dx, 196), max(3, int(7 * s))
            )
    elif look.prop == "whistle":
        pygame.draw.line(surf, (40, 40, 40), sc(130, 205), sc(150, 250), 2)
        pygame.draw.line(surf, (40, 40, 40), sc(170, 205), sc(150, 250), 2)
        pygame.draw.rect(surf, (200, 200, 210), (*sc(140, 248), *sc(26, 14)), border_radius=4)
    elif look.prop == "lanyard":
        pygame.draw.line(surf, (60, 120, 200), sc(128, 205), sc(150, 262), max(2, int(4 * s)))
        pygame.draw.line(surf, (60, 120, 200), sc(172, 205), sc(150, 262), max(2, int(4 * s)))
        pygame.draw.rect(surf, (250, 250, 250), (*sc(134, 262), *sc(32, 40)))
    elif look.prop == "headset":
        pygame.draw.arc(
            surf, (40, 40, 40), head.inflate(int(12 * s), 0), 0.2, 2.9, max(2, int(5 * s))
        )
    return surf


class ArtBook:
    """Draws scenes and portraits from settings and looks, and keeps them cached."""

    def __init__(self) -> None:
        self._scenes: dict[Setting, pygame.Surface] = {}
        self._portraits: dict[tuple[Look, int], pygame.Surface] = {}
        self._backdrop: pygame.Surface | None = None

    def scene(self, setting: Setting) -> pygame.Surface:
        surf = self._scenes.get(setting)
        if surf is None:
            surf = draw_scene(setting)
            if pygame.display.get_surface() is not None:
                surf = surf.convert()
            self._scenes[setting] = surf
        return surf

    def backdrop(self) -> pygame.Surface:
        """A night street darkened for pages, so text panels read well on top of it."""
        if self._backdrop is None:
            surf = self.scene(BACKDROP).copy()
            shade = pygame.Surface(surf.get_size(), pygame.SRCALPHA)
            shade.fill((12, 14, 22, 200))
            surf.blit(shade, (0, 0))
            self._backdrop = surf
        return self._backdrop

    def portrait(self, look: Look, size: int) -> pygame.Surface:
        key = (look, size)
        surf = self._portraits.get(key)
        if surf is None:
            surf = draw_portrait(look, size)
            if pygame.display.get_surface() is not None:
                surf = surf.convert_alpha()
            self._portraits[key] = surf
        return surf


def main(argv: list[str] | None = None) -> int:
    """Write every scene and portrait of a story as PNG files, to review the art."""
    from game.narrative import load_story
    from game.paths import STORY

    parser = argparse.ArgumentParser(description="Write the story's generated art as PNG files.")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--story", type=Path, default=STORY)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    content = load_story(args.story).content
    for setting in sorted(
        set(content.settings.values()), key=lambda st: (st.place, st.time, st.weather)
    ):
        name = f"scene-{setting.place}-{setting.time}-{setting.weather}.png"
        pygame.image.save(draw_scene(setting), str(args.out / name))
    for cid, character in sorted(content.characters.items()):
        pygame.image.save(draw_portrait(character.look), str(args.out / f"portrait-{cid}.png"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
