"""The content model: frozen dataclasses for nodes, choices, offers, helplines and a whole story.

`StoryContent` is what a bundle carries (everything the game needs, all locales); the loader
adds source locations on top of it (`Story` in loader.py).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from .expr import Value
from .scenery import Character, Setting

TypeName = Literal["bool", "int", "str"]

FORMAT_VERSION = 1
DEFAULT_OFFER = "offer.main"
DISCLOSURE_KEYS = ("who_runs", "funded_by", "why", "kept", "help_now")
OFFER_FIELDS = ("title", "body", "stored", "confidentiality", "yes", "not_now")
PLACEHOLDERS = ("organisation", "funder", "retention_days", "confidentiality")
KNOWN_TAGS = frozenset({"help_point", "consent_point", "ending", "disclosure"})
CONTENT_WARNING_PREFIX = "content_warning:"

NODE_ID_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)*\Z")
CHOICE_ID_RE = re.compile(r"[a-z0-9_]+\Z")
NAME_RE = re.compile(r"[a-z][a-z0-9_]*\Z")
STORY_ID_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*\Z")
LOCALE_RE = re.compile(r"[a-z]{2,3}(_[A-Z]{2})?\Z")
LINE_ID_RE = re.compile(r"[a-z][a-z0-9_]*(\.[a-z0-9_]+)+\Z")
TAG_X_RE = re.compile(r"x-[a-z0-9_-]+\Z")

# text budget at 200% text size on a 1280x720 window (docs/CONTENT.md)
TEXT_BUDGET = 420
CHOICE_BUDGET = 120


def tag_ok(tag: str) -> bool:
    """Tags allowed by the format (content warnings are checked against the manifest later)."""
    if tag in KNOWN_TAGS or TAG_X_RE.match(tag):
        return True
    if tag.startswith(CONTENT_WARNING_PREFIX):
        return bool(NAME_RE.match(tag[len(CONTENT_WARNING_PREFIX) :]))
    return False


@dataclass(frozen=True)
class Choice:
    """One option at a node; `text` is a line id, `condition`/`effects` are source strings."""

    id: str
    text: str
    target: str
    condition: str | None = None
    effects: tuple[str, ...] = ()


@dataclass(frozen=True)
class Node:
    """One story beat: who speaks (line id of the speaker name), what is said, what follows."""

    id: str
    text: str
    speaker: str | None = None
    choices: tuple[Choice, ...] = ()
    tags: frozenset[str] = frozenset()
    ending: str | None = None
    replaces: tuple[str, ...] = ()
    offer: str | None = None
    on_enter: tuple[str, ...] = ()

    @property
    def is_help_point(self) -> bool:
        return "help_point" in self.tags

    @property
    def is_consent_point(self) -> bool:
        return "consent_point" in self.tags

    @property
    def is_ending(self) -> bool:
        return "ending" in self.tags

    @property
    def content_warnings(self) -> tuple[str, ...]:
        n = len(CONTENT_WARNING_PREFIX)
        return tuple(sorted(t[n:] for t in self.tags if t.startswith(CONTENT_WARNING_PREFIX)))


@dataclass(frozen=True)
class Offer:
    """The offer of a conversation; every field except id/version is a line id."""

    id: str
    version: int
    title: str
    body: str
    stored: str
    confidentiality: str
    yes: str
    not_now: str

    @property
    def line_ids(self) -> tuple[str, ...]:
        return (self.title, self.body, self.stored, self.confidentiality, self.yes, self.not_now)


@dataclass(frozen=True)
class Helpline:
    """A helpline for one locale; plain strings (each locale lists its own services)."""

    name: str
    phone: str
    url: str
    hours: str
    description: str


@dataclass(frozen=True)
class Variable:
    """A declared story variable with its type and default value."""

    name: str
    type: TypeName
    default: Value


@dataclass(frozen=True)
class StoryContent:
    """A whole story with all locales: what a bundle carries and the engine runs."""

    id: str
    title: str  # line id
    start: str
    source_locale: str
    locales: tuple[str, ...]
    min_age: int
    age_note: str  # line id
    speakers: dict[str, str]  # speaker id -> line id
    content_warnings: dict[str, str]  # topic -> line id
    variables: dict[str, Variable]
    nodes: dict[str, Node]
    offers: dict[str, Offer]
    disclosure: tuple[str, ...]  # line ids in display order
    helplines: dict[str, tuple[Helpline, ...]]
    lines: dict[str, dict[str, str]]  # locale -> line id -> text
    format: int = FORMAT_VERSION
    free_lines: tuple[str, ...] = field(default=())  # ids from `lines:` sections
    # where each node happens (every node once a `settings:` section exists) and what each
    # speaker looks like (scenery.py); both are reviewed with the text
    settings: dict[str, Setting] = field(default_factory=dict)
    characters: dict[str, Character] = field(default_factory=dict)

    def text(self, line_id: str, locale: str | None = None) -> str:
        """Localised text; falls back to the source locale, then to the id itself."""
        if locale is not None:
            table = self.lines.get(locale)
            if table is not None and line_id in table:
                return table[line_id]
        return self.lines.get(self.source_locale, {}).get(line_id, line_id)

    def replacement_map(self) -> dict[str, str]:
        """old node id -> the node that declares `replaces:` for it."""
        out: dict[str, str] = {}
        for node in self.nodes.values():
            for old in node.replaces:
                out.setdefault(old, node.id)
        return out
