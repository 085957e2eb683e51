"""Lint: every integrity error plus the quality checks authors and the ethics board rely on.

Dead ends, unreachable nodes, trap cycles, unused variables, conditions that can never (or
always) hold, missing/stale translations, lines over the text budget, no help point/ending.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .diagnostics import Diagnostic, Location, sort_key
from .exceptions import ExpressionError
from .expr import (
    Const,
    Expr,
    Interval,
    Unknown,
    Value,
    nodes_read,
    parse_condition,
    parse_effect,
    partial_evaluate,
    variables_read,
)
from .loader import Story, parse_story
from .model import CHOICE_BUDGET, TEXT_BUDGET, Choice, StoryContent
from .scenery import time_of_clock, unsaid


@dataclass
class LintReport:
    """The result of linting one story."""

    path: str
    diagnostics: list[Diagnostic] = field(default_factory=list)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.is_error]

    @property
    def warnings(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if not d.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def codes(self) -> set[str]:
        return {d.code for d in self.diagnostics}

    def to_json(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "ok": self.ok,
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "diagnostics": [d.to_json() for d in self.diagnostics],
        }


def lint_path(path: Path) -> LintReport:
    """Load and lint a story directory (or manifest)."""
    story, diags = parse_story(path)
    report = LintReport(str(path), list(diags))
    if story is not None:
        report.diagnostics.extend(quality(story))
    report.diagnostics = _dedupe(report.diagnostics)
    report.diagnostics.sort(key=sort_key)
    return report


def _dedupe(diags: list[Diagnostic]) -> list[Diagnostic]:
    seen: set[tuple[str, str, Location | None]] = set()
    out = []
    for d in diags:
        key = (d.code, d.message, d.location)
        if key not in seen:
            seen.add(key)
            out.append(d)
    return out


@dataclass
class Analysis:
    """Static facts about a story's graph, shared by lint and autoplay."""

    constants: dict[str, Value]
    never: set[tuple[str, str]]  # (node, choice) whose condition can never hold
    always: set[tuple[str, str]]
    reachable: set[str]
    can_end: set[str]


def _safe_condition(src: str) -> Expr | None:
    try:
        return parse_condition(src)
    except ExpressionError:
        return None


def analyse(content: StoryContent) -> Analysis:
    """Static facts for lint: constants, decided conditions, reachability, exits."""
    nodes = content.nodes
    written: set[str] = set()
    for node in nodes.values():
        sources = list(node.on_enter)
        for ch in node.choices:
            sources.extend(ch.effects)
        for src in sources:
            try:
                written.add(parse_effect(src).variable)
            except ExpressionError:
                continue
    constants = {n: v.default for n, v in content.variables.items() if n not in written}
    ranges = _int_ranges(content)

    def edges(feasible: Callable[[str, Choice], bool]) -> dict[str, list[str]]:
        return {
            n.id: [c.target for c in n.choices if c.target in nodes and feasible(n.id, c)]
            for n in nodes.values()
            if not n.is_ending
        }

    def reach(graph: dict[str, list[str]], start: str) -> set[str]:
        if start not in nodes:
            return set()
        seen = {start}
        todo = deque([start])
        while todo:
            for nxt in graph.get(todo.popleft(), []):
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return seen

    loose = reach(edges(lambda _n, _c: True), content.start)

    def node_visits(node_id: str) -> int | None:
        return None if node_id in loose else 0

    never: set[tuple[str, str]] = set()
    always: set[tuple[str, str]] = set()
    for node in nodes.values():
        for ch in node.choices:
            if ch.condition is None:
                continue
            expr = _safe_condition(ch.condition)
            if expr is None:
                continue
            value = partial_evaluate(expr, constants, node_visits, ranges, node.id)
            if isinstance(value, Unknown):
                continue
            if value is False:
                never.add((node.id, ch.id))
            elif value is True:
                always.add((node.id, ch.id))
    graph = edges(lambda n, c: (n, c.id) not in never)
    reachable = reach(graph, content.start)
    reverse: dict[str, set[str]] = {}
    for src, targets in graph.items():
        for t in targets:
            reverse.setdefault(t, set()).add(src)
    can_end = {n.id for n in nodes.values() if n.is_ending}
    todo = deque(can_end)
    while todo:
        for prev in reverse.get(todo.popleft(), ()):
            if prev not in can_end:
                can_end.add(prev)
                todo.append(prev)
    return Analysis(constants, never, always, reachable, can_end)


def _int_ranges(content: StoryContent) -> dict[str, Interval]:
    """Bounds of each int variable over every possible playthrough (over-approximated)."""
    ranges: dict[str, Interval] = {}
    for name, var in content.variables.items():
        if var.type == "int":
            assert isinstance(var.default, int)
            ranges[name] = (var.default, var.default)
    inf = float("inf")
    for node in content.nodes.values():
        sources = list(node.on_enter) + [src for ch in node.choices for src in ch.effects]
        for src in sources:
            try:
                eff = parse_effect(src)
            except ExpressionError:
                continue
            if eff.variable not in ranges:
                continue
            lo, hi = ranges[eff.variable]
            if isinstance(eff.value, Const) and isinstance(eff.value.value, int):
                step = eff.value.value
                if eff.op == "=":
                    lo, hi = min(lo, step), max(hi, step)
                elif (eff.op == "+=") == (step >= 0):
                    hi = inf if step else hi
                else:
                    lo = -inf
            else:
                lo, hi = -inf, inf
            ranges[eff.variable] = (lo, hi)
    return ranges


def quality(story: Story) -> list[Diagnostic]:
    """The lint checks beyond integrity (which the loader already ran)."""
    c = story.content
    loc = story.locate
    out: list[Diagnostic] = []
    a = analyse(c)
    nodes = c.nodes

    if not any(n.is_help_point for n in nodes.values()):
        out.append(
            Diagnostic(
                "E202",
                "the story has no `help_point` node: players must be offered a conversation at "
                "honest moments in the story, not only through the menu button",
                story.locate("manifest:start") or Location(str(story.manifest)),
            )
        )
    elif not any(n.is_help_point for n in nodes.values() if n.id in a.reachable):
        out.append(
            Diagnostic(
                "E202",
                "no `help_point` node can be reached from the start: players would never be "
                "offered a conversation inside the story",
                story.locate("manifest:start") or Location(str(story.manifest)),
            )
        )
    if not any(n.is_ending for n in nodes.values()):
        out.append(
            Diagnostic(
                "E203",
                "the story has no ending (`ending:` on a node)",
                story.locate("manifest:start") or Location(str(story.manifest)),
            )
        )

    dead: set[str] = set()
    for node in nodes.values():
        nloc = loc(f"node:{node.id}")
        if node.is_ending:
            if node.choices:
                out.append(
                    Diagnostic(
                        "W205", f"ending {node.id!r} has choices; they are never shown", nloc
                    )
                )
            continue
        takeable = [ch for ch in node.choices if (node.id, ch.id) not in a.never]
        if not takeable:
            dead.add(node.id)
            why = "has no choices" if not node.choices else "has only choices that can never hold"
            out.append(
                Diagnostic(
                    "E201",
                    f"node {node.id!r} {why} and is not an ending: the player would be stuck",
                    nloc,
                )
            )
        elif all(ch.condition is not None and (node.id, ch.id) not in a.always for ch in takeable):
            out.append(
                Diagnostic(
                    "W206",
                    f"every choice of node {node.id!r} has a condition; if none holds the "
                    "player is stuck - add one unconditional choice",
                    nloc,
                )
            )
        for ch in node.choices:
            key = f"{node.id}.{ch.id}"
            if (node.id, ch.id) in a.never:
                out.append(
                    Diagnostic(
                        "W203",
                        f"condition {ch.condition!r} of choice {ch.id!r} in {node.id!r} can never "
                        "hold (its variables are never changed or its nodes are unreachable)",
                        loc(f"if:{key}") or loc(f"choice:{key}"),
                    )
                )
            elif (node.id, ch.id) in a.always:
                out.append(
                    Diagnostic(
                        "W204",
                        f"condition {ch.condition!r} of choice {ch.id!r} in {node.id!r} always "
                        "holds; remove the `if:` or fix it",
                        loc(f"if:{key}") or loc(f"choice:{key}"),
                    )
                )

    for node in nodes.values():
        if node.id not in a.reachable:
            out.append(
                Diagnostic(
                    "W201",
                    f"node {node.id!r} cannot be reached from {c.start!r}",
                    loc(f"node:{node.id}"),
                )
            )
        elif (
            node.id not in a.can_end
            and node.id not in dead
            and all(ch.target in nodes for ch in node.choices)  # else E111 says it already
        ):
            out.append(
                Diagnostic(
                    "E204",
                    f"from node {node.id!r} no ending can be reached: the player loops forever",
                    loc(f"node:{node.id}"),
                )
            )

    read: set[str] = set()
    for node in nodes.values():
        exprs: list[Expr] = []
        for src in node.on_enter:
            try:
                exprs.append(parse_effect(src).value)
            except ExpressionError:
                pass
        for ch in node.choices:
            if ch.condition is not None:
                e = _safe_condition(ch.condition)
                if e is not None:
                    exprs.append(e)
            for src in ch.effects:
                try:
                    exprs.append(parse_effect(src).value)
                except ExpressionError:
                    pass
        for e in exprs:
            read |= variables_read(e)
            _ = nodes_read(e)
    for name in c.variables:
        if name not in read:
            out.append(
                Diagnostic(
                    "W202", f"variable {name!r} is never read by any condition", loc(f"var:{name}")
                )
            )

    out.extend(_help_point_spacing(story))
    out.extend(_fiction(story))
    out.extend(_translations(story))
    out.extend(_lengths(story))
    out.extend(_scenery(story))
    return out


def _scenery(story: Story) -> list[Diagnostic]:
    """Pictures that would contradict the words (scenery.py): the art must agree with the text."""
    c = story.content
    out: list[Diagnostic] = []
    if c.settings and c.source_locale == "en":
        for node in c.nodes.values():
            setting = c.settings.get(node.id)
            clock = time_of_clock(c.text(node.text))
            if setting is not None and clock is not None and clock[1] != setting.time:
                out.append(
                    Diagnostic(
                        "W501",
                        f"node {node.id!r} says {clock[0]!r} ({clock[1]}) but its setting is "
                        f"{setting.place} at {setting.time}",
                        story.locate(f"setting:{node.id}") or story.locate(f"node:{node.id}"),
                    )
                )
    if c.characters:
        for speaker in c.speakers:
            if speaker not in c.characters:
                out.append(
                    Diagnostic(
                        "W503",
                        f"speaker {speaker!r} has no character sheet; the game shows a plain "
                        "grey avatar",
                        story.locate(f"line:speaker.{speaker}"),
                    )
                )
        if c.source_locale == "en":
            for cid, character in c.characters.items():
                missing = unsaid(character.look, c.text(character.description))
                if missing:
                    out.append(
                        Diagnostic(
                            "W502",
                            f"the portrait of {cid!r} shows {', '.join(missing)}, which its "
                            "description does not say",
                            story.locate(f"character:{cid}"),
                        )
                    )
    return out


#: Help points closer than this many choices would offer again right after an answer.
HELP_POINT_SPACING = 3


def _help_point_spacing(story: Story) -> list[Diagnostic]:
    """W207: a help point met again (a loop) or right after another one.

    After "Not now" the game does not open the offer again in that playthrough, so such a
    help point is silent for a player who declined and pressing for one who did not.
    """
    nodes = story.content.nodes
    out: list[Diagnostic] = []
    for origin in sorted(n.id for n in nodes.values() if n.is_help_point):
        frontier, seen = [origin], {origin}
        for depth in range(1, HELP_POINT_SPACING + 1):
            step: list[str] = []
            for node_id in frontier:
                node = nodes.get(node_id)
                for ch in node.choices if node else ():
                    target = nodes.get(ch.target)
                    if target is not None and target.is_help_point:
                        again = "again" if target.id == origin else f"help point {target.id!r}"
                        out.append(
                            Diagnostic(
                                "W207",
                                f"{depth} choice(s) after help point {origin!r} the player "
                                f"reaches {again}: it would re-open the offer right after an "
                                "answer; move the tag or the node",
                                story.locate(f"node:{target.id}"),
                            )
                        )
                    elif ch.target not in seen:
                        seen.add(ch.target)
                        step.append(ch.target)
            frontier = step
    return out


def _fiction(story: Story) -> list[Diagnostic]:
    """E205: a story character carries the service's role labels or speaks as the service.

    The rule is the ethics board's ``fiction_as_service`` family; lint runs it for authors.
    """
    from ethics.checks import Snippet, check_snippet
    from ethics.checks.families import SERVICE_LABELS
    from ethics.checks.text import compile_pattern, normalise

    c = story.content
    out: list[Diagnostic] = []
    for locale in c.locales:
        lang = locale.split("_")[0]
        labels = compile_pattern("|".join(f"(?:{s})" for s in SERVICE_LABELS.get(lang, ("$^",))))
        for sid, line in sorted(c.speakers.items()):
            name = c.text(line, locale)
            if labels.search(normalise(name)[0]):
                out.append(
                    Diagnostic(
                        "E205",
                        f"speaker {sid!r} is called {name!r} in {locale}: story characters never "
                        "carry the service's role labels",
                        story.locate(f"speaker:{sid}") or story.locate("manifest:start"),
                    )
                )
        for node in c.nodes.values():
            text = c.text(node.text, locale)
            for f in check_snippet(Snippet(locale, "story", text, node.id)):
                if f.family == "fiction_as_service":
                    out.append(
                        Diagnostic(
                            "E205",
                            f"node {node.id!r} ({locale}) speaks as the service: "
                            f"{f.excerpt!r}; point to the real 'Talk to someone' button instead",
                            story.locate(f"node:{node.id}"),
                        )
                    )
    return out


def _translations(story: Story) -> list[Diagnostic]:
    c = story.content
    out: list[Diagnostic] = []
    source = c.lines.get(c.source_locale, {})
    for locale in c.locales:
        if locale == c.source_locale:
            continue
        table = c.lines.get(locale, {})
        file = story.translation_files.get(locale)
        if file is None or not table:
            why = "no translation table under `translations:`" if file is None else "an empty table"
            out.append(
                Diagnostic(
                    "W301",
                    f"locale {locale!r} has {why}: all {len(source)} lines show in "
                    f"{c.source_locale}",
                    Location(str(file)) if file else story.locate("manifest:locales"),
                )
            )
            continue
        floc = Location(str(file))
        for line_id in source:
            if line_id not in table:
                out.append(
                    Diagnostic(
                        "W301",
                        f"no {locale} translation for {line_id!r}; players see the "
                        f"{c.source_locale} text",
                        floc or story.locate(f"line:{line_id}"),
                    )
                )
        for line_id in table:
            if line_id not in source:
                out.append(
                    Diagnostic(
                        "W302",
                        f"{locale} table has {line_id!r}, which the story no longer has",
                        story.locate(f"tr:{locale}:{line_id}") or floc,
                    )
                )
    return out


def _lengths(story: Story) -> list[Diagnostic]:
    c = story.content
    out: list[Diagnostic] = []
    budgets: dict[str, int] = {}
    speaker_of: dict[str, str | None] = {}
    for node in c.nodes.values():
        budgets[node.text] = TEXT_BUDGET
        speaker_of[node.text] = node.speaker
        for ch in node.choices:
            budgets.setdefault(ch.text, CHOICE_BUDGET)
    for offer in c.offers.values():
        for lid in offer.line_ids:
            budgets[lid] = CHOICE_BUDGET if lid in (offer.yes, offer.not_now) else TEXT_BUDGET
    for lid in c.disclosure:
        budgets[lid] = TEXT_BUDGET
    for locale in c.locales:
        for line_id, budget in budgets.items():
            text = c.lines.get(locale, {}).get(line_id)
            if text is None:
                continue
            speaker = speaker_of.get(line_id)
            size = len(text) + (len(c.text(speaker, locale)) + 2 if speaker else 0)
            if size > budget:
                where = (
                    story.locate(f"line:{line_id}")
                    if locale == c.source_locale
                    else story.locate(f"tr:{locale}:{line_id}")
                )
                out.append(
                    Diagnostic(
                        "W401",
                        f"{locale} line {line_id!r} has {size} characters; at 200% text size "
                        f"only {budget} fit - shorten it or split the node",
                        where,
                    )
                )
    return out
