"""Check one snippet of text, as an author would paste it: every text family plus the lists.

``check_snippet`` is what ``crossroads ethics check-text`` prints, what the corpus tests and the
benchmark measure, and what ``run_checks`` applies to every line of a bundle.
"""

from __future__ import annotations

import re
from functools import cache

from ethics.checks.config import CheckConfig
from ethics.checks.families import NEGATIVE_DECLINE, TEXT_FAMILIES
from ethics.checks.text import (
    ROLES,
    SERVICE_ROLES,
    Finding,
    Snippet,
    compile_pattern,
    is_negated,
    normalise,
    phrase_pattern,
)

ASYMMETRIC = "asymmetric_choice"
WORD_LIST = "word_list"
_STYLED_DOWN = re.compile(r"[<>*_~]|^\s*\(.*\)\s*$|^\s*\.\.\.|\.\.\.\s*$|…")


class UnknownRole(ValueError):
    """A snippet named a role that does not exist (the caller's mistake)."""


@cache
def _negative_decline(lang: str) -> re.Pattern[str] | None:
    sources = NEGATIVE_DECLINE.get(lang)
    return compile_pattern("|".join(f"(?:{s})" for s in sources)) if sources else None


def _finding(s: Snippet, family: str, start: int, end: int, severity: str, why: str) -> Finding:
    return Finding(family, s.locale, s.node, start, end, s.text[start:end], severity, why)


def asymmetric_choice(snippet: Snippet) -> list[Finding]:
    """A decline label that is negative, shaming, styled down, or longer than the accept."""
    if snippet.role != "decline":
        return []
    text = snippet.text
    stripped = text.strip()
    out: list[Finding] = []
    if len(stripped) < 2:
        return [
            _finding(
                snippet, ASYMMETRIC, 0, len(text), "error", "the decline option is missing or empty"
            )
        ]
    pattern = _negative_decline(snippet.locale.split("_")[0])
    norm, where = normalise(text)
    if pattern is not None:
        for m in pattern.finditer(norm):
            out.append(
                _finding(
                    snippet,
                    ASYMMETRIC,
                    where[m.start()],
                    where[m.end() - 1] + 1,
                    "error",
                    "the decline label is negative or shaming; it must be as neutral as 'Not now'",
                )
            )
    if _STYLED_DOWN.search(text):
        out.append(
            _finding(
                snippet,
                ASYMMETRIC,
                0,
                len(text),
                "error",
                "the decline label is styled down (markup, brackets, ellipsis); both choices "
                "must be equally prominent",
            )
        )
    accept = (snippet.accept or "").strip()
    if accept:
        if len(stripped) > 1.5 * len(accept) + 6 or len(stripped.split()) > len(accept.split()) + 3:
            out.append(
                _finding(
                    snippet,
                    ASYMMETRIC,
                    0,
                    len(text),
                    "error",
                    "the decline label is much longer than the accept label; keep both short "
                    "and equal",
                )
            )
        loud = accept.endswith("!") or (accept.isupper() and len(accept) > 3)
        if loud and not (stripped.endswith("!") or stripped.isupper()):
            out.append(
                _finding(
                    snippet,
                    ASYMMETRIC,
                    0,
                    len(text),
                    "error",
                    "the accept label is louder (capitals or '!') than the decline label",
                )
            )
    return out


def word_lists(snippet: Snippet, config: CheckConfig) -> list[Finding]:
    """The deployment's replaceable lists: pressure, confirmshaming, persona."""
    loc = snippet.locale
    service = snippet.role in SERVICE_ROLES
    lists: list[tuple[tuple[str, ...], str | None, str]] = [
        (
            config.pressure.get(loc, ()),
            "error" if service else "warning",
            "uses a listed pressure phrase",
        ),
    ]
    if snippet.role == "decline":
        lists.append(
            (config.confirmshaming.get(loc, ()), "error", "uses a listed confirmshaming phrase")
        )
    if snippet.role == "story":
        lists.append(
            (config.persona.get(loc, ()), "error", "a character uses a listed persona phrase")
        )
    out: list[Finding] = []
    norm, where = normalise(snippet.text)
    for words, severity, why in lists:
        pattern = _list_pattern(words)
        if pattern is None or severity is None:
            continue
        for m in pattern.finditer(norm):
            if is_negated(norm, m.start(), loc):
                continue
            out.append(
                _finding(
                    snippet, WORD_LIST, where[m.start()], where[m.end() - 1] + 1, severity, why
                )
            )
    return out


@cache
def _list_pattern(words: tuple[str, ...]) -> re.Pattern[str] | None:
    return phrase_pattern(words)


def check_snippet(snippet: Snippet, config: CheckConfig | None = None) -> list[Finding]:
    """Every finding of every family for one snippet, in text order."""
    if snippet.role not in ROLES:
        raise UnknownRole(f"role {snippet.role!r} is not one of {', '.join(ROLES)}")
    out: list[Finding] = []
    for family in TEXT_FAMILIES:
        out.extend(family.scan(snippet))
    out.extend(asymmetric_choice(snippet))
    if config is not None:
        out.extend(word_lists(snippet, config))
    return sorted(set(out), key=lambda f: (f.start, f.end, f.family))
