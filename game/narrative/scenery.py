"""Where each node happens and what each speaker looks like: story data, reviewed like text.

Pictures used to be picked by hashing the node id, so the 1 am kitchen could show a sunny
meadow and a purple fox avatar a human face. Now a content file says it in words the art can
follow and the board can review:

    settings:
      default: {place: bedroom, time: night}
      scenes:
        - {place: kitchen, time: night, nodes: [jo_kitchen, jo_friends]}
    characters:
      vex:
        description: "Vex only ever appears as an avatar: a purple fox."
        look: {kind: avatar, figure: fox, colour: purple}

Every value comes from a small vocabulary below, so the game can draw any of them and a typo is
a lint error, not a wrong picture. `description` is a content line (translated, reviewed); the
look is what the portrait is drawn from, and lint warns where a description names a colour or
figure the look does not have.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

PLACES = (
    "bedroom",
    "kitchen",
    "school",
    "music_room",
    "office",
    "pitch",
    "town_square",
    "street",
)
TIMES = ("morning", "day", "evening", "night")
WEATHERS = ("clear", "cloudy", "rain")

KINDS = ("person", "avatar", "symbol")
# an avatar or symbol is one figure; a person is drawn from the fields below
FIGURES = ("fox", "square", "default", "chat_bubble")
COLOURS = {
    "purple": (128, 72, 190),
    "black": (18, 18, 22),
    "grey": (130, 134, 146),
    "teal": (32, 150, 150),
    "orange": (232, 128, 40),
    "blue": (52, 104, 196),
    "green": (58, 142, 84),
    "red": (186, 52, 52),
    "navy": (34, 44, 86),
    "white": (236, 238, 240),
    "yellow": (236, 196, 60),
}
AGES = ("child", "teen", "young_adult", "adult", "older")
SKINS = {
    "light": (241, 204, 170),
    "medium": (224, 172, 130),
    "tan": (186, 128, 88),
    "brown": (140, 92, 60),
    "dark": (96, 64, 44),
}
HAIR_COLOURS = {
    "black": (28, 24, 22),
    "dark_brown": (70, 46, 28),
    "brown": (110, 72, 40),
    "blond": (214, 178, 104),
    "red": (164, 70, 36),
    "grey": (168, 168, 168),
}
HAIR_STYLES = ("short", "long", "ponytail", "curly", "bun", "buzz")
CLOTHES = ("hoodie", "band_shirt", "scrubs", "work_uniform", "tracksuit", "cardigan", "shirt")
PROPS = ("none", "drumsticks", "whistle", "lanyard", "headset")


@dataclass(frozen=True)
class Setting:
    """Where and when a node happens."""

    place: str
    time: str
    weather: str = "clear"

    def to_json(self) -> dict[str, str]:
        return {"place": self.place, "time": self.time, "weather": self.weather}


@dataclass(frozen=True)
class Look:
    """What a portrait shows; fields that do not apply to the kind keep their defaults."""

    kind: str
    figure: str = "default"
    colour: str = "grey"
    age: str = "adult"
    skin: str = "medium"
    hair: str = "brown"
    hair_style: str = "short"
    clothes: str = "shirt"
    prop: str = "none"

    def to_json(self) -> dict[str, str]:
        return {f: getattr(self, f) for f in LOOK_FIELDS}


@dataclass(frozen=True)
class Character:
    """A speaker's description (a line id) and the look its portrait is drawn from."""

    id: str
    description: str
    look: Look


SETTING_FIELDS = {"place": PLACES, "time": TIMES, "weather": WEATHERS}
LOOK_FIELDS = {
    "kind": KINDS,
    "figure": FIGURES,
    "colour": tuple(COLOURS),
    "age": AGES,
    "skin": tuple(SKINS),
    "hair": tuple(HAIR_COLOURS),
    "hair_style": HAIR_STYLES,
    "clothes": CLOTHES,
    "prop": PROPS,
}


def setting_from(values: dict[str, object]) -> Setting:
    """A Setting from checked values (the caller has validated every field)."""
    return Setting(
        place=str(values["place"]),
        time=str(values["time"]),
        weather=str(values.get("weather") or "clear"),
    )


def look_from(values: dict[str, object]) -> Look:
    """A Look from checked values (the caller has validated every field)."""
    return Look(**{k: str(v) for k, v in values.items() if k in LOOK_FIELDS})


def bad_value(field: str, value: object, allowed: tuple[str, ...]) -> str | None:
    """Why `value` is not allowed for `field`, or None if it is."""
    if isinstance(value, str) and value in allowed:
        return None
    return f"{field} {value!r} is not one of: {', '.join(allowed)}"


_CLOCK_RE = re.compile(r"\b(1[0-2]|[1-9])(?::[0-5][0-9])?\s?(am|pm)\b", re.IGNORECASE)


def time_of_clock(text: str) -> tuple[str, str] | None:
    """The first clock time in English text ("1 am", "11 pm") and the time of day it means."""
    m = _CLOCK_RE.search(text)
    if m is None:
        return None
    hour = int(m.group(1)) % 12 + (12 if m.group(2).lower() == "pm" else 0)
    if hour < 5 or hour >= 21:
        when = "night"
    elif hour < 11:
        when = "morning"
    elif hour < 18:
        when = "day"
    else:
        when = "evening"
    return m.group(0), when


# words a description must contain for what its portrait shows (English source text)
_LOOK_WORDS = {
    ("figure", "fox"): ("fox",),
    ("figure", "square"): ("square",),
    ("figure", "chat_bubble"): ("chat",),
    ("clothes", "scrubs"): ("scrubs",),
    ("clothes", "work_uniform"): ("uniform",),
    ("clothes", "tracksuit"): ("tracksuit",),
    ("clothes", "cardigan"): ("cardigan",),
    ("clothes", "band_shirt"): ("t-shirt", "shirt"),
    ("clothes", "hoodie"): ("hoodie",),
    ("prop", "drumsticks"): ("drumsticks",),
    ("prop", "whistle"): ("whistle",),
    ("prop", "lanyard"): ("lanyard",),
    ("prop", "headset"): ("headset",),
    ("hair_style", "ponytail"): ("ponytail",),
    ("hair_style", "bun"): ("bun",),
    ("hair_style", "curly"): ("curl",),
}


def unsaid(look: Look, description: str) -> list[str]:
    """What the portrait shows that the description does not say (empty: they agree)."""
    text = description.lower()
    missing: list[str] = []
    if look.kind in ("avatar", "symbol"):
        if look.colour not in text and look.figure != "chat_bubble":
            missing.append(f"the colour {look.colour}")
    fields = ("figure",) if look.kind != "person" else ("clothes", "prop", "hair_style")
    for f in fields:
        words = _LOOK_WORDS.get((f, getattr(look, f)))
        if words and not any(w in text for w in words):
            missing.append(f"{f.replace('_', ' ')} {getattr(look, f).replace('_', ' ')}")
    if look.kind == "person" and "avatar" in text:
        missing.append("a person's face (the description says avatar)")
    return missing
