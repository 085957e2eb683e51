"""Automated transparency checks on a content bundle, run on every proposal and logged.

Each check yields ``CheckResult``s with a stable id, a severity (``error`` blocks publishing,
``warning`` informs the board, ``flag`` needs an explicit board acknowledgement), an
explanation a board member can act on, and a location (``locale:line_id``, a node or an offer).
Word lists live in ``ethics/data/*.yaml`` and can be replaced per deployment. Pure functions:
the caller passes the bundle, the configuration and the organisation's name.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from ethics.exceptions import EthicsError
from game.narrative import Bundle

SEVERITIES = ("error", "warning", "flag")
ORG_PLACEHOLDER = "{organisation}"

#: id -> (severity, what it protects); shown on the board pages and in docs/ETHICS.md.
CHECKS: dict[str, tuple[str, str]] = {
    "offer_names_organisation": ("error", "every offer text names the operating organisation"),
    "offer_says_human": ("error", "every offer says a human counsellor answers"),
    "offer_not_now": ("error", "a 'not now' option exists and is not de-emphasised"),
    "nothing_preselected": ("error", "nothing is pre-selected or pre-ticked"),
    "pressure_language": ("error", "no urgency or pressure language (warning in story lines)"),
    "counsellor_persona": ("error", "no counsellor persona poses as a fellow player"),
    "disclosure_reachable": ("error", "the disclosure is complete and reachable"),
    "helplines": ("error", "helplines exist for every locale"),
    "content_warnings": ("error", "content warnings where tagged (warning if likely missing)"),
    "extremist_code": ("flag", "known extremist slogans and symbols need acknowledgement"),
    "service_text_translated": ("warning", "offer and disclosure are translated in every locale"),
}


@dataclass(frozen=True, order=True)
class CheckResult:
    """One finding of one check."""

    id: str
    severity: str
    location: str
    explanation: str

    def to_dict(self) -> dict[str, str]:
        """JSON form, as stored in the log's check_result entry."""
        return {
            "id": self.id,
            "severity": self.severity,
            "location": self.location,
            "explanation": self.explanation,
        }


@dataclass(frozen=True)
class Slogan:
    """One entry of the extremist slogan/symbol list."""

    match: str
    kind: str  # token | phrase | symbol
    meaning: str

    def pattern(self) -> re.Pattern[str]:
        """Compiled matcher: whole tokens, case-insensitive phrases or raw symbols."""
        if self.kind == "symbol":
            return re.compile(re.escape(self.match))
        if self.kind == "token":
            return re.compile(r"(?<![\w/])" + re.escape(self.match) + r"(?![\w/])")
        return _phrase_re([self.match])


@dataclass(frozen=True)
class CheckConfig:
    """Per-locale word lists and the slogan list."""

    pressure: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    human: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    confirmshaming: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    persona: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sensitive: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    slogans: tuple[Slogan, ...] = ()

    @classmethod
    def from_data(cls, pressure: Any, transparency: Any, slogans: Any) -> CheckConfig:
        """Build from parsed YAML documents; raise EthicsError on a wrong shape."""

        def per_locale(doc: Any, name: str) -> dict[str, tuple[str, ...]]:
            if not isinstance(doc, Mapping):
                raise EthicsError(f"{name}: expected a map of locale -> list of phrases")
            out = {}
            for loc, words in doc.items():
                if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                    raise EthicsError(f"{name}.{loc}: expected a list of phrases")
                out[str(loc)] = tuple(_norm(w) for w in words if w.strip())
            return out

        if not isinstance(transparency, Mapping):
            raise EthicsError("transparency lists: expected a map")
        if not isinstance(slogans, list):
            raise EthicsError("slogan list: expected a list")
        parsed = []
        for i, item in enumerate(slogans):
            if (
                not isinstance(item, Mapping)
                or not isinstance(item.get("match"), str)
                or item.get("kind") not in ("token", "phrase", "symbol")
                or not isinstance(item.get("meaning"), str)
            ):
                raise EthicsError(f"slogan list item {i}: needs match, kind, meaning")
            parsed.append(Slogan(item["match"], item["kind"], item["meaning"]))
        return cls(
            pressure=per_locale(pressure, "pressure"),
            human=per_locale(transparency.get("human", {}), "human"),
            confirmshaming=per_locale(transparency.get("confirmshaming", {}), "confirmshaming"),
            persona=per_locale(transparency.get("persona", {}), "persona"),
            sensitive=per_locale(transparency.get("sensitive", {}), "sensitive"),
            slogans=tuple(parsed),
        )

    @classmethod
    def default(cls) -> CheckConfig:
        """The lists shipped in ``ethics/data``."""
        data = resources.files("ethics") / "data"

        def load(name: str) -> Any:
            return yaml.safe_load((data / name).read_text(encoding="utf-8"))

        return cls.from_data(load("pressure.yaml"), load("transparency.yaml"), load("slogans.yaml"))


def _norm(text: str) -> str:
    """Case-fold, unify apostrophes and collapse whitespace, for matching."""
    text = unicodedata.normalize("NFKC", text).replace("\u2019", "'").casefold()
    return " ".join(text.split())


def _phrase_re(phrases: tuple[str, ...] | list[str]) -> re.Pattern[str]:
    alternatives = "|".join(re.escape(_norm(p)) for p in sorted(phrases, key=len, reverse=True))
    return re.compile(r"(?<!\w)(?:" + alternatives + r")(?!\w)")


def _find(phrases: tuple[str, ...], text: str) -> list[str]:
    if not phrases:
        return []
    return sorted({m.group(0) for m in _phrase_re(phrases).finditer(_norm(text))})


def _service_lines(bundle: Bundle) -> dict[str, str]:
    """Offer and disclosure line ids -> what they are."""
    out = {}
    for offer in bundle.offers.values():
        for line in offer.line_ids:
            out[line] = f"offer {offer.id}"
    for line in bundle.disclosure:
        out[line] = "disclosure"
    return out


def _all_lines(bundle: Bundle, locale: str) -> Iterator[tuple[str, str]]:
    """Every (line id, text) a player of ``locale`` can see, with source-locale fallback."""
    ids = list(bundle.content.lines.get(bundle.source_locale, {}))
    for line in ids:
        yield line, bundle.text(line, locale)


def _reachable(bundle: Bundle) -> set[str]:
    seen = {bundle.start}
    queue = deque([bundle.start])
    while queue:
        node = bundle.nodes.get(queue.popleft())
        for choice in node.choices if node else ():
            if choice.target not in seen:
                seen.add(choice.target)
                queue.append(choice.target)
    return seen


def _story_lines(bundle: Bundle) -> set[str]:
    """Line ids of node texts and choices (the story itself, not the service texts)."""
    out = set()
    for node in bundle.nodes.values():
        out.add(node.text)
        out.update(choice.text for choice in node.choices)
    return out


def run_checks(
    bundle: Bundle, config: CheckConfig, organisation_name: str | None = None
) -> list[CheckResult]:
    """Run every transparency check; results sorted by severity, id and location."""
    results: list[CheckResult] = []

    def add(check: str, severity: str, location: str, explanation: str) -> None:
        results.append(CheckResult(check, severity, location, explanation))

    locales = list(bundle.locales)
    service = _service_lines(bundle)
    story = _story_lines(bundle)
    org_names = [ORG_PLACEHOLDER] + ([organisation_name] if organisation_name else [])

    def names_org(text: str) -> bool:
        return any(_norm(n) in _norm(text) for n in org_names)

    # Offers: organisation, human, not now, no pre-selection.
    if not bundle.offers:
        add("offer_names_organisation", "error", "offers", "the bundle has no offer at all")
    for offer in bundle.offers.values():
        for loc in locales:
            body = bundle.text(offer.body, loc)
            title = bundle.text(offer.title, loc)
            if not names_org(body):
                add(
                    "offer_names_organisation",
                    "error",
                    f"{loc}:{offer.body}",
                    f"the offer body must name who runs the service ({' or '.join(org_names)})",
                )
            words = config.human.get(loc, ())
            if not words:
                add(
                    "offer_says_human",
                    "warning",
                    f"{loc}:{offer.body}",
                    f"no list of 'human' words for locale {loc}; a board member must read it",
                )
            elif not _find(words, title + " " + body):
                add(
                    "offer_says_human",
                    "error",
                    f"{loc}:{offer.body}",
                    "the offer must say that a human counsellor answers (none of: "
                    + ", ".join(words[:4])
                    + ", ...)",
                )
            not_now = bundle.text(offer.not_now, loc).strip()
            yes = bundle.text(offer.yes, loc).strip()
            where = f"{loc}:{offer.not_now}"
            if len(not_now) < 2:
                add("offer_not_now", "error", where, "the offer needs a visible 'not now' option")
            else:
                shaming = _find(config.confirmshaming.get(loc, ()), not_now)
                if shaming:
                    add(
                        "offer_not_now",
                        "error",
                        where,
                        f"'not now' is worded to shame the player: {', '.join(shaming)}",
                    )
                if re.search(r"[<>*_~]|^\(.*\)$", not_now) or (len(yes) > 3 * len(not_now) + 10):
                    add(
                        "offer_not_now",
                        "warning",
                        where,
                        "'not now' looks styled down or much smaller than 'yes'; "
                        "both must be equally prominent",
                    )
            for line in offer.line_ids:
                text = bundle.text(line, loc)
                if re.search(r"\[\s*[xX✓✔]\s*\]|[☑☒✅✔✓]", text):
                    add(
                        "nothing_preselected",
                        "error",
                        f"{loc}:{line}",
                        "the offer shows a ticked box or check mark: nothing may be pre-selected",
                    )
    for var in bundle.variables.values():
        if (
            var.type == "bool"
            and var.default is True
            and re.search(r"consent|opt_?in|agree|accept|talk|contact", var.name)
        ):
            add(
                "nothing_preselected",
                "error",
                f"variable:{var.name}",
                f"variable {var.name} starts as true: consent-like choices must start unset",
            )

    # Pressure language, persona, slogans: every line in every locale.
    slogan_patterns = [(s, s.pattern()) for s in config.slogans]
    for loc in locales:
        pressure = config.pressure.get(loc, ())
        persona = config.persona.get(loc, ())
        if not pressure:
            add(
                "pressure_language",
                "warning",
                f"{loc}:*",
                f"no pressure-language list for locale {loc}; a board member must read it",
            )
        for line, text in _all_lines(bundle, loc):
            hits = _find(pressure, text)
            if hits:
                in_service = line in service
                add(
                    "pressure_language",
                    "error" if in_service else "warning",
                    f"{loc}:{line}",
                    (
                        f"{service[line]} uses pressure language: {', '.join(hits)}"
                        if in_service
                        else f"story line uses pressure language ({', '.join(hits)}); fine only "
                        "if the story shows it as manipulation"
                    ),
                )
            if line in story:
                posing = _find(persona, text)
                if posing:
                    add(
                        "counsellor_persona",
                        "error",
                        f"{loc}:{line}",
                        f"a character poses as a fellow player ({', '.join(posing)}); "
                        "counsellors only appear openly, through the offer",
                    )
            norm = unicodedata.normalize("NFKC", text)
            for slogan, pattern in slogan_patterns:
                target = norm if slogan.kind != "phrase" else _norm(text)
                if pattern.search(target):
                    add(
                        "extremist_code",
                        "flag",
                        f"{loc}:{line}",
                        f"contains '{slogan.match}' ({slogan.meaning}); acknowledge if intended",
                    )

    # Disclosure: complete, names the organisation, reachable when shown by a node.
    if not bundle.disclosure:
        add("disclosure_reachable", "error", "disclosure", "the bundle has no disclosure texts")
    for loc in locales:
        for line in bundle.disclosure:
            text = bundle.text(line, loc).strip()
            if not text:
                add("disclosure_reachable", "error", f"{loc}:{line}", "disclosure text is empty")
            elif line.endswith("who_runs") and not names_org(text):
                add(
                    "disclosure_reachable",
                    "error",
                    f"{loc}:{line}",
                    "the disclosure must name who runs this game",
                )
    reachable = _reachable(bundle)
    tagged = [n.id for n in bundle.nodes.values() if "disclosure" in n.tags]
    if tagged and not any(n in reachable for n in tagged):
        add(
            "disclosure_reachable",
            "error",
            f"node:{tagged[0]}",
            "no node tagged 'disclosure' can be reached from the start",
        )
    help_points = [n.id for n in bundle.nodes.values() if "help_point" in n.tags]
    if not any(n in reachable for n in help_points):
        add(
            "disclosure_reachable",
            "warning",
            "nodes",
            "no help point is reachable from the start; the offer is only in the menu",
        )

    # Helplines per locale.
    for loc in locales:
        lines = bundle.helplines.get(loc, ())
        if not lines:
            add("helplines", "error", f"helplines:{loc}", f"no helpline for locale {loc}")
        for i, h in enumerate(lines):
            if not h.name.strip() or not (h.phone.strip() or h.url.strip()):
                add(
                    "helplines",
                    "error",
                    f"helplines:{loc}[{i}]",
                    "a helpline needs a name and a phone number or web address",
                )

    # Content warnings.
    for node in bundle.nodes.values():
        topics = node.content_warnings
        for topic in topics:
            warning_line = bundle.content_warnings.get(topic)
            for loc in locales:
                if warning_line is None or not bundle.text(warning_line, loc).strip():
                    add(
                        "content_warnings",
                        "error",
                        f"{loc}:node:{node.id}",
                        f"content warning '{topic}' has no text in {loc}",
                    )
        if topics:
            continue
        for loc in locales:
            hits = _find(config.sensitive.get(loc, ()), bundle.text(node.text, loc))
            if hits:
                add(
                    "content_warnings",
                    "warning",
                    f"{loc}:{node.text}",
                    f"mentions {', '.join(hits)} without a content_warning tag",
                )

    # Service texts should not silently fall back to another language.
    for loc in locales:
        if loc == bundle.source_locale:
            continue
        table = bundle.content.lines.get(loc, {})
        for line in sorted(service):
            if not table.get(line, "").strip():
                add(
                    "service_text_translated",
                    "warning",
                    f"{loc}:{line}",
                    f"{service[line]} text is not translated; players see the source language",
                )

    order = {s: i for i, s in enumerate(SEVERITIES)}
    unique = sorted(set(results), key=lambda r: (order[r.severity], r.id, r.location))
    return unique
