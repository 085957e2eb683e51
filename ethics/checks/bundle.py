"""``run_checks``: every rule family over a whole bundle, as the board records it.

The text families (``families.py``, ``snippets.py``) run on every line a player can see, in
the role the line plays (offer, accept, decline, story, disclosure). The structural families
here look at the bundle's shape: the offer's required slots, the organisation and a human
named, nothing pre-selected, the disclosure and help points reachable, helplines, content
warnings, extremist codes (flags), translations, and story speakers never labelled as the
service. Each is a small pure function taking a ``Ctx`` and yielding ``CheckResult``s.
"""

from __future__ import annotations

import re
import unicodedata
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

from ethics.checks.config import CheckConfig
from ethics.checks.families import FICTION_AS_SERVICE, KIND_LABELS, SERVICE_LABELS
from ethics.checks.snippets import check_snippet
from ethics.checks.text import (
    Finding,
    Snippet,
    compile_pattern,
    is_negated,
    normalise,
    phrase_pattern,
)
from game.narrative import Bundle

SEVERITIES = ("error", "warning", "flag")
ORG_PLACEHOLDER = "{organisation}"
FUNDER_PLACEHOLDER = "{funder}"
#: Offer fields and the placeholders each must keep: filled by the game from live facts (the
#: organisation profile and the server's retention setting), so a bundle cannot drop them.
REQUIRED_SLOTS = {
    "body": (ORG_PLACEHOLDER, FUNDER_PLACEHOLDER),
    "stored": ("{retention_days}",),
    "confidentiality": ("{confidentiality}",),
}


@dataclass(frozen=True, order=True)
class CheckResult:
    """One finding of one check, as stored in the log's check_result entry."""

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

    @classmethod
    def from_finding(cls, finding: Finding, line: str) -> CheckResult:
        """A text family's finding at ``locale:line``, quoting the span it matched."""
        return cls(
            finding.family,
            finding.severity,
            f"{finding.locale}:{line}",
            f"{finding.explanation}: \u201c{finding.excerpt}\u201d "
            f"(characters {finding.start}-{finding.end})",
        )


@dataclass(frozen=True)
class Ctx:
    """What every check needs: the bundle, the lists and the names that count as the operator."""

    bundle: Bundle
    config: CheckConfig
    organisation_name: str | None

    @property
    def locales(self) -> list[str]:
        return list(self.bundle.locales)

    @cached_property
    def roles(self) -> dict[str, tuple[str, str]]:
        """Line id -> (role, what it is) for the service texts; everything else is story."""
        out: dict[str, tuple[str, str]] = {}
        for offer in self.bundle.offers.values():
            for line in offer.line_ids:
                out[line] = ("offer", f"offer {offer.id}")
            out[offer.yes] = ("accept", f"offer {offer.id}")
            out[offer.not_now] = ("decline", f"offer {offer.id}")
        for line in self.bundle.disclosure:
            out[line] = ("disclosure", "disclosure")
        return out

    def names_org(self, text: str) -> bool:
        names = [ORG_PLACEHOLDER] + ([self.organisation_name] if self.organisation_name else [])
        folded = normalise(text)[0]
        return any(normalise(n)[0] in folded for n in names)

    def lines(self, locale: str) -> Iterator[tuple[str, str]]:
        """Every (line id, text) a player of ``locale`` sees, with source-locale fallback."""
        for line in self.bundle.content.lines.get(self.bundle.source_locale, {}):
            yield line, self.bundle.text(line, locale)


Check = Callable[[Ctx], Iterator[CheckResult]]

#: id -> (severity, what it protects); shown on the board pages and in docs/ETHICS.md.
CHECKS: dict[str, tuple[str, str]] = {}
_STRUCTURAL: list[Check] = []


def _register(check_id: str, severity: str, what: str) -> Callable[[Check], Check]:
    def deco(fn: Check) -> Check:
        CHECKS.setdefault(check_id, (severity, what))
        _STRUCTURAL.append(fn)
        return fn

    return deco


def _result(check: str, severity: str, location: str, why: str) -> CheckResult:
    return CheckResult(check, severity, location, why)


@_register("offer_names_organisation", "error", "every offer text names the operating organisation")
def _offer_names_organisation(ctx: Ctx) -> Iterator[CheckResult]:
    if not ctx.bundle.offers:
        yield _result("offer_names_organisation", "error", "offers", "the bundle has no offer")
    for offer in ctx.bundle.offers.values():
        for loc in ctx.locales:
            if not ctx.names_org(ctx.bundle.text(offer.body, loc)):
                yield _result(
                    "offer_names_organisation",
                    "error",
                    f"{loc}:{offer.body}",
                    f"the offer body must name who runs the service ({ORG_PLACEHOLDER})",
                )


@_register("offer_slots", "error", "the offer keeps its live-fact slots (operator, funder, ...)")
def _offer_slots(ctx: Ctx) -> Iterator[CheckResult]:
    for offer in ctx.bundle.offers.values():
        for field_name, slots in REQUIRED_SLOTS.items():
            line = getattr(offer, field_name)
            for loc in ctx.locales:
                text = ctx.bundle.text(line, loc)
                missing = [s for s in slots if s not in text]
                if field_name == "body" and ORG_PLACEHOLDER in missing and ctx.names_org(text):
                    missing.remove(ORG_PLACEHOLDER)  # the real name written out is fine
                if missing:
                    yield _result(
                        "offer_slots",
                        "error",
                        f"{loc}:{line}",
                        f"the offer's {field_name} must keep {', '.join(missing)}: the game fills "
                        "them from the organisation profile, so they cannot be dropped",
                    )


@_register("offer_says_human", "error", "every offer affirms (not denies) that a human answers")
def _offer_says_human(ctx: Ctx) -> Iterator[CheckResult]:
    for offer in ctx.bundle.offers.values():
        for loc in ctx.locales:
            words = ctx.config.human.get(loc, ())
            where = f"{loc}:{offer.body}"
            if not words:
                yield _result(
                    "offer_says_human",
                    "warning",
                    where,
                    f"no list of 'human' words for locale {loc}; a board member must read it",
                )
                continue
            pattern = phrase_pattern(words)
            assert pattern is not None
            text = ctx.bundle.text(offer.title, loc) + ". " + ctx.bundle.text(offer.body, loc)
            norm = normalise(text)[0]
            if not any(not is_negated(norm, m.start(), loc) for m in pattern.finditer(norm)):
                yield _result(
                    "offer_says_human",
                    "error",
                    where,
                    "the offer must say, not deny, that a human counsellor answers (one of: "
                    + ", ".join(words[:4])
                    + ", ...)",
                )


@_register("nothing_preselected", "error", "nothing is pre-selected or pre-ticked")
def _nothing_preselected(ctx: Ctx) -> Iterator[CheckResult]:
    for offer in ctx.bundle.offers.values():
        for loc in ctx.locales:
            for line in offer.line_ids:
                if re.search(r"\[\s*[xX✓✔]\s*\]|[☑☒✅✔✓]", ctx.bundle.text(line, loc)):
                    yield _result(
                        "nothing_preselected",
                        "error",
                        f"{loc}:{line}",
                        "the offer shows a ticked box or check mark: nothing may be pre-selected",
                    )
    for var in ctx.bundle.variables.values():
        if (
            var.type == "bool"
            and var.default is True
            and re.search(r"consent|opt_?in|agree|accept|talk|contact", var.name)
        ):
            yield _result(
                "nothing_preselected",
                "error",
                f"variable:{var.name}",
                f"variable {var.name} starts as true: consent-like choices must start unset",
            )


def _text_results(ctx: Ctx) -> Iterator[CheckResult]:
    """Every text family on every line, in the role that line plays."""
    roles = ctx.roles
    accept_of = {o.not_now: o.yes for o in ctx.bundle.offers.values()}
    for loc in ctx.locales:
        for line, text in ctx.lines(loc):
            role = roles.get(line, ("story", ""))[0]
            accept = ctx.bundle.text(accept_of[line], loc) if line in accept_of else None
            for finding in check_snippet(Snippet(loc, role, text, line, accept), ctx.config):
                yield CheckResult.from_finding(finding, line)


@_register("fiction_as_service", "error", FICTION_AS_SERVICE.summary)
def _fiction_labels(ctx: Ctx) -> Iterator[CheckResult]:
    """Story speakers never carry service labels; story choices never copy counsellor kinds."""
    speakers = {n.speaker for n in ctx.bundle.nodes.values() if n.speaker}
    choices = {c.text for n in ctx.bundle.nodes.values() for c in n.choices}
    for loc in ctx.locales:
        lang = loc.split("_")[0]
        labels = compile_pattern("|".join(f"(?:{s})" for s in SERVICE_LABELS.get(lang, ("$^",))))
        kinds = compile_pattern("|".join(f"(?:{s})" for s in KIND_LABELS.get(lang, ("$^",))))
        for line in sorted(speakers):
            text = ctx.bundle.text(line, loc)
            if ctx.names_org(text) or labels.search(normalise(text)[0]):
                yield _result(
                    "fiction_as_service",
                    "error",
                    f"{loc}:{line}",
                    f"story speaker \u201c{text}\u201d carries the service's name or a "
                    "counsellor label; fiction must not pass for the real service",
                )
        for line in sorted(choices):
            m = kinds.search(normalise(ctx.bundle.text(line, loc))[0])
            if m:
                yield _result(
                    "fiction_as_service",
                    "error",
                    f"{loc}:{line}",
                    f"story choice copies the real service's counsellor kinds "
                    f"(\u201c{m.group(0)}\u201d); the real choice is made in the offer",
                )


@_register(
    "help_point_narrated",
    "warning",
    "a help point is narrated, not spoken by a character, so the real offer never seems to "
    "come from someone in the story",
)
def _help_point_narrated(ctx: Ctx) -> Iterator[CheckResult]:
    """The offer opens over a help point; a character speaking there lends it a fictional face."""
    for node in ctx.bundle.nodes.values():
        if node.is_help_point and node.speaker:
            for loc in ctx.locales:
                name = ctx.bundle.text(node.speaker, loc)
                yield _result(
                    "help_point_narrated",
                    "warning",
                    f"{loc}:node:{node.id}",
                    f"help point {node.id!r} is spoken by the story character \u201c{name}\u201d; "
                    "the real offer opens over it, so narrate it and let the character speak "
                    "before or after",
                )


@_register("extremist_code", "flag", "known extremist slogans and symbols need acknowledgement")
def _extremist_code(ctx: Ctx) -> Iterator[CheckResult]:
    patterns = [(s, s.pattern()) for s in ctx.config.slogans]
    # one combined search per line first: almost every line has no code at all
    raw_any = _any_of([p for s, p in patterns if s.kind != "phrase"])
    folded_any = _any_of([p for s, p in patterns if s.kind == "phrase"])
    for loc in ctx.locales:
        for line, text in ctx.lines(loc):
            raw = unicodedata.normalize("NFKC", text)
            folded = normalise(text)[0]
            if not (raw_any and raw_any.search(raw)) and not (
                folded_any and folded_any.search(folded)
            ):
                continue
            for slogan, pattern in patterns:
                if pattern.search(folded if slogan.kind == "phrase" else raw):
                    yield _result(
                        "extremist_code",
                        "flag",
                        f"{loc}:{line}",
                        f"contains '{slogan.match}' ({slogan.meaning}); acknowledge if intended",
                    )


def _any_of(patterns: list[re.Pattern[str]]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{p.pattern})" for p in patterns)) if patterns else None


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


@_register("disclosure_reachable", "error", "the disclosure is complete and reachable")
def _disclosure(ctx: Ctx) -> Iterator[CheckResult]:
    bundle = ctx.bundle
    if not bundle.disclosure:
        yield _result("disclosure_reachable", "error", "disclosure", "the bundle has no disclosure")
    for loc in ctx.locales:
        for line in bundle.disclosure:
            text = bundle.text(line, loc).strip()
            if not text:
                yield _result(
                    "disclosure_reachable", "error", f"{loc}:{line}", "disclosure text is empty"
                )
            elif line.endswith("who_runs") and not ctx.names_org(text):
                yield _result(
                    "disclosure_reachable",
                    "error",
                    f"{loc}:{line}",
                    "the disclosure must name who runs this game",
                )
    reachable = _reachable(bundle)
    tagged = [n.id for n in bundle.nodes.values() if "disclosure" in n.tags]
    if tagged and not any(n in reachable for n in tagged):
        yield _result(
            "disclosure_reachable",
            "error",
            f"node:{tagged[0]}",
            "no node tagged 'disclosure' can be reached from the start",
        )
    help_points = [n.id for n in bundle.nodes.values() if "help_point" in n.tags]
    if not any(n in reachable for n in help_points):
        yield _result(
            "disclosure_reachable",
            "warning",
            "nodes",
            "no help point is reachable from the start; the offer is only in the menu",
        )


@_register("helplines", "error", "helplines exist for every locale")
def _helplines(ctx: Ctx) -> Iterator[CheckResult]:
    for loc in ctx.locales:
        lines = ctx.bundle.helplines.get(loc, ())
        if not lines:
            yield _result("helplines", "error", f"helplines:{loc}", f"no helpline for {loc}")
        for i, h in enumerate(lines):
            if not h.name.strip() or not (h.phone.strip() or h.url.strip()):
                yield _result(
                    "helplines",
                    "error",
                    f"helplines:{loc}[{i}]",
                    "a helpline needs a name and a phone number or web address",
                )


@_register("content_warnings", "error", "content warnings where tagged (warning if likely missing)")
def _content_warnings(ctx: Ctx) -> Iterator[CheckResult]:
    bundle = ctx.bundle
    for node in bundle.nodes.values():
        for topic in node.content_warnings:
            warning_line = bundle.content_warnings.get(topic)
            for loc in ctx.locales:
                if warning_line is None or not bundle.text(warning_line, loc).strip():
                    yield _result(
                        "content_warnings",
                        "error",
                        f"{loc}:node:{node.id}",
                        f"content warning '{topic}' has no text in {loc}",
                    )
        if node.content_warnings:
            continue
        for loc in ctx.locales:
            pattern = phrase_pattern(ctx.config.sensitive.get(loc, ()))
            hits = pattern.findall(normalise(bundle.text(node.text, loc))[0]) if pattern else []
            if hits:
                yield _result(
                    "content_warnings",
                    "warning",
                    f"{loc}:{node.text}",
                    f"mentions {', '.join(sorted(set(hits)))} without a content_warning tag",
                )


@_register("service_text_translated", "warning", "offer and disclosure are translated everywhere")
def _translated(ctx: Ctx) -> Iterator[CheckResult]:
    for loc in ctx.locales:
        if loc == ctx.bundle.source_locale:
            continue
        table = ctx.bundle.content.lines.get(loc, {})
        for line, (_role, what) in sorted(ctx.roles.items()):
            if not table.get(line, "").strip():
                yield _result(
                    "service_text_translated",
                    "warning",
                    f"{loc}:{line}",
                    f"{what} text is not translated; players see the source language",
                )


def run_checks(
    bundle: Bundle, config: CheckConfig, organisation_name: str | None = None
) -> list[CheckResult]:
    """Run every rule family; results sorted by severity, id and location, without repeats."""
    ctx = Ctx(bundle, config, organisation_name)
    results: list[CheckResult] = list(_text_results(ctx))
    for check in _STRUCTURAL:
        results.extend(check(ctx))
    order = {s: i for i, s in enumerate(SEVERITIES)}
    return sorted(set(results), key=lambda r: (order[r.severity], r.id, r.location, r.explanation))
