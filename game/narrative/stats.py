"""Story statistics for authors and the ethics board: size, structure, sensitive parts.

Counts per locale, endings, help and consent points, content warnings and an estimated reading
time per playthrough (from seeded random autoplay, so figures are reproducible).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from .autoplay import play_random
from .bundle import Bundle

WORDS_PER_MINUTE = 180  # calm reading speed of teenagers, rounded down
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass
class StoryStats:
    """Figures about one story (see `story_stats`)."""

    nodes: int
    choices: int
    variables: int
    endings: dict[str, str]  # ending id -> node id
    help_points: list[str]
    consent_points: list[str]
    content_warnings: dict[str, list[str]]  # topic -> node ids
    words: dict[str, int]  # locale -> words in the whole story
    translated: dict[str, float]  # locale -> share of source lines translated
    playthrough_screens: tuple[int, float, int] = (0, 0.0, 0)  # min, mean, max
    playthrough_minutes: tuple[float, float] = (0.0, 0.0)  # min, max (source locale)
    extra: dict[str, Any] = field(default_factory=dict)

    def lines(self) -> list[str]:
        """Human-readable summary lines."""
        out = [
            f"nodes: {self.nodes}, choices: {self.choices}, variables: {self.variables}",
            "endings: " + ", ".join(f"{e} ({n})" for e, n in sorted(self.endings.items())),
            f"help points: {len(self.help_points)} ({', '.join(self.help_points)})",
            f"consent points: {len(self.consent_points)}",
        ]
        for topic, where in sorted(self.content_warnings.items()):
            out.append(
                f"content warning {topic}: {len(where)} nodes ({', '.join(where[:6])}"
                + (" ..." if len(where) > 6 else "")
                + ")"
            )
        for locale, words in self.words.items():
            out.append(f"{locale}: {words} words, {self.translated[locale]:.0%} of lines")
        lo, mean, hi = self.playthrough_screens
        out.append(
            f"one playthrough: {lo}-{hi} screens (mean {mean:.0f}), about "
            f"{self.playthrough_minutes[0]:.0f}-{self.playthrough_minutes[1]:.0f} minutes "
            f"at {WORDS_PER_MINUTE} words per minute"
        )
        return out

    def to_json(self) -> dict[str, Any]:
        """The figures as JSON."""
        return {
            "nodes": self.nodes,
            "choices": self.choices,
            "variables": self.variables,
            "endings": self.endings,
            "help_points": self.help_points,
            "consent_points": self.consent_points,
            "content_warnings": self.content_warnings,
            "words": self.words,
            "translated": self.translated,
            "playthrough_screens": list(self.playthrough_screens),
            "playthrough_minutes": list(self.playthrough_minutes),
        }


def _words(text: str) -> int:
    return len(_WORD.findall(text))


def story_stats(bundle: Bundle, *, runs: int = 200, seed: int = 0) -> StoryStats:
    """Compute the figures; reading time comes from `runs` seeded random playthroughs."""
    c = bundle.content
    nodes = list(c.nodes.values())
    source = c.lines.get(c.source_locale, {})
    words = {loc: sum(_words(c.text(lid, loc)) for lid in source) for loc in c.locales}
    translated = {
        loc: (
            1.0
            if loc == c.source_locale
            else sum(1 for lid in source if lid in c.lines.get(loc, {})) / max(1, len(source))
        )
        for loc in c.locales
    }
    warnings: dict[str, list[str]] = {}
    for node in nodes:
        for topic in node.content_warnings:
            warnings.setdefault(topic, []).append(node.id)
    stats = StoryStats(
        nodes=len(nodes),
        choices=sum(len(n.choices) for n in nodes),
        variables=len(c.variables),
        endings={n.ending or n.id: n.id for n in nodes if n.is_ending},
        help_points=[n.id for n in nodes if n.is_help_point],
        consent_points=[n.id for n in nodes if n.is_consent_point],
        content_warnings=warnings,
        words=words,
        translated=translated,
    )
    report = play_random(bundle, runs=runs, seed=seed, back_probability=0.0, check_saves=False)
    if report.lengths:
        screens = [n + 1 for n in report.lengths]
        stats.playthrough_screens = (min(screens), sum(screens) / len(screens), max(screens))
        per_node = {
            n.id: _words(c.text(n.text)) + sum(_words(c.text(ch.text)) for ch in n.choices)
            for n in nodes
        }
        mean_words = sum(per_node.values()) / max(1, len(per_node))
        stats.playthrough_minutes = (
            min(screens) * mean_words / WORDS_PER_MINUTE,
            max(screens) * mean_words / WORDS_PER_MINUTE,
        )
    return stats
