"""The matching engine shared by every rule family: normalised text, spans and negation.

A family is a set of patterns per locale for one *kind* of deception or pressure, not a word
list. Patterns are matched on a lower-cased, apostrophe-unified copy of the text whose
characters map back to the original, so every finding carries the exact span a board member
or an author sees. A match preceded in its clause by a negation ("never a bot", "kein Bot",
"there is no time limit") is honest wording and is skipped when the family says so.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

#: Where a snippet is shown: the offer's texts, its two buttons, the story, the disclosure.
ROLES = ("offer", "accept", "decline", "story", "disclosure")
#: Roles that speak for the real service (never fiction).
SERVICE_ROLES = frozenset({"offer", "accept", "decline", "disclosure"})

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u00b4": "'", "`": "'"})

#: Words that turn a following claim into its opposite or into a mere possibility.
NEGATIONS: Mapping[str, frozenset[str]] = {
    "en": frozenset(
        "no not never nobody nothing none don't doesn't isn't aren't won't "
        "wasn't can't cannot neither nor n't".split()
    ),
    "de": frozenset(
        "kein keine keinen keinem keiner keines nicht nie niemals niemand nichts".split()
    ),
}
_ARTICLES = frozenset("a an the ein eine einen einem einer der die das den dem".split())
#: Negations that deny only the next word or two ("without a time limit"), not a whole clause
#: ("Ohne Hilfe bleibst du allein" is still a threat).
NEAR_NEGATIONS: Mapping[str, frozenset[str]] = {
    "en": frozenset({"without"}),
    "de": frozenset({"ohne"}),
}
#: Words that make a claim conditional rather than asserted ("if someone is free ...").
HEDGES: Mapping[str, frozenset[str]] = {
    "en": frozenset("if whether when unless may might maybe perhaps".split()),
    "de": frozenset("wenn ob falls sobald vielleicht eventuell".split()),
}
_CLAUSE_END = re.compile(r"[.;:!?,\n\u2013\u2014()\"\u201c\u201d\u201e]")
_WORD = re.compile(r"[\w']+")
#: "say no" names the refusal; it does not negate what follows ("if you say no you'll regret").
_SAY_NO = re.compile(r"\b(?:say|says|said|saying|to) no\b")


@lru_cache(maxsize=8192)
def normalise(text: str) -> tuple[str, tuple[int, ...]]:
    """Lower-cased NFKC text with unified apostrophes, and each character's original index.

    Cached: every family of a bundle check reads the same few hundred lines. Most text keeps
    its length through NFKC and lower-casing, so its characters map one to one; only text
    with ligatures, "İ" and the like takes the slow per-character path."""
    quick = unicodedata.normalize("NFKC", text).lower().translate(_APOSTROPHES)
    if len(quick) == len(text) and unicodedata.is_normalized("NFC", text):
        return quick, tuple(range(len(text)))
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for n in unicodedata.normalize("NFKC", ch).lower().translate(_APOSTROPHES):
            out.append(n)
            where.append(i)
    return "".join(out), tuple(where)


def compile_pattern(source: str) -> re.Pattern[str]:
    """A pattern written with plain spaces, matched on whole words, spaces as any whitespace."""
    body = re.sub(r"(?<!\\) ", r"\\s+", source)
    return re.compile(r"(?<![\w])(?:" + body + r")(?![\w])")


def phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str] | None:
    """One matcher for a literal word list (longest phrase first)."""
    items = sorted({normalise(p)[0].strip() for p in phrases if p.strip()}, key=len, reverse=True)
    if not items:
        return None
    return compile_pattern("|".join(re.escape(p).replace(r"\ ", " ") for p in items))


def preceding_words(norm: str, start: int, limit: int = 5) -> list[str]:
    """Up to ``limit`` words before ``start`` inside the same clause."""
    head = norm[:start]
    cut = max((m.end() for m in _CLAUSE_END.finditer(head)), default=0)
    words = _WORD.findall(_SAY_NO.sub(" ", head[cut:]))
    out: list[str] = []
    for w in words[-limit:]:
        out.append(w)
        if w.endswith("n't"):
            out.append("n't")
    return out


def is_negated(norm: str, start: int, locale: str, *, hedges: bool = False) -> bool:
    """True when the clause before ``start`` denies (or, with ``hedges``, doubts) the match."""
    lang = locale.split("_")[0]
    before = preceding_words(norm, start)
    words = set(before)
    if words & NEGATIONS.get(lang, frozenset()):
        return True
    near = NEAR_NEGATIONS.get(lang, frozenset())
    if before[-1:] and before[-1] in near:
        return True
    if len(before) >= 2 and before[-2] in near and before[-1] in _ARTICLES:
        return True
    return hedges and bool(words & HEDGES.get(lang, frozenset()))


@dataclass(frozen=True)
class Snippet:
    """One text a player can see, where it is shown, and (for a decline) its accept label."""

    locale: str
    role: str
    text: str
    node: str = ""
    accept: str | None = None


@dataclass(frozen=True, order=True)
class Finding:
    """One match of one rule family: what, where (locale, node, span) and why it matters."""

    family: str
    locale: str
    node: str
    start: int
    end: int
    excerpt: str
    severity: str
    explanation: str

    def to_json(self) -> dict[str, object]:
        """The form ``crossroads ethics check-text`` prints."""
        return {
            "family": self.family,
            "locale": self.locale,
            "node": self.node,
            "span": [self.start, self.end],
            "text": self.excerpt,
            "severity": self.severity,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class Family:
    """A kind of deception or pressure: patterns per language and where the kind applies.

    ``roles`` says where it is an error; ``story_severity`` (if set) reports it in story lines
    at that severity instead (a story may *show* a recruiter pressuring someone).
    """

    name: str
    summary: str
    explanation: str
    patterns: Mapping[str, tuple[str, ...]]
    roles: frozenset[str] = SERVICE_ROLES
    story_severity: str | None = None
    negatable: bool = True
    hedgeable: bool = False
    _compiled: dict[str, tuple[re.Pattern[str] | None, re.Pattern[str] | None]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def compiled(self, locale: str) -> tuple[re.Pattern[str] | None, re.Pattern[str] | None]:
        """(negatable, absolute) alternatives for ``locale``'s language.

        A source starting with ``!`` is absolute: a negation in front of it is part of the
        manipulation ("don't disappoint your mum"), not a denial of it.
        """
        lang = locale.split("_")[0]
        if lang not in self._compiled:
            sources = self.patterns.get(lang, ())
            plain = [s for s in sources if not s.startswith("!")]
            absolute = [s[1:] for s in sources if s.startswith("!")]
            self._compiled[lang] = (_alternatives(plain), _alternatives(absolute))
        return self._compiled[lang]

    def severity_for(self, role: str) -> str | None:
        """The severity of a finding in ``role``, or None when the family does not apply."""
        if role in self.roles:
            return "error"
        if role == "story":
            return self.story_severity
        return None

    def scan(self, snippet: Snippet) -> list[Finding]:
        """Every non-negated match of this family in the snippet."""
        severity = self.severity_for(snippet.role)
        if severity is None:
            return []
        plain, absolute = self.compiled(snippet.locale)
        out = matches(self, plain, snippet, severity, self.negatable) if plain else []
        if absolute:
            out += matches(self, absolute, snippet, severity, False)
        return out


def _alternatives(sources: list[str]) -> re.Pattern[str] | None:
    return compile_pattern("|".join(f"(?:{s})" for s in sources)) if sources else None


def matches(
    family: Family, pattern: re.Pattern[str], snippet: Snippet, severity: str, negatable: bool
) -> list[Finding]:
    """Findings for each match of ``pattern``, honouring the family's negation rules."""
    norm, where = normalise(snippet.text)
    out = []
    for m in pattern.finditer(norm):
        if m.end() == m.start():
            continue
        if negatable and is_negated(norm, m.start(), snippet.locale, hedges=family.hedgeable):
            continue
        start, end = where[m.start()], where[m.end() - 1] + 1
        out.append(
            Finding(
                family.name,
                snippet.locale,
                snippet.node,
                start,
                end,
                snippet.text[start:end],
                severity,
                family.explanation,
            )
        )
    return out
