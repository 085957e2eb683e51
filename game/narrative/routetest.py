"""Route tests: scripted playthroughs ("choose X, expect node Y, expect variable Z").

Plans are YAML (format in docs/CONTENT.md). `crossroads content test` runs them, and pytest
collects them via `collect_route_tests` (one case per scripted route).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .bundle import Bundle
from .diagnostics import Location
from .engine import Engine
from .exceptions import ContentError, RouteTestError
from .loader import load_story
from .yamlsrc import YValue, read_yaml_file

STEP_KINDS = (
    "expect_node",
    "choose",
    "back",
    "expect_var",
    "expect_choices",
    "expect_help_point",
    "expect_consent_point",
    "expect_ending",
    "expect_text",
    "expect_can_back",
)


@dataclass(frozen=True)
class Step:
    kind: str
    arg: Any
    loc: Location


@dataclass(frozen=True)
class RouteTest:
    """One scripted route from a plan file."""

    name: str
    steps: tuple[Step, ...]
    loc: Location
    start: str | None = None
    locale: str | None = None
    initial: dict[str, Any] = field(default_factory=dict)

    def run(self, bundle: Bundle) -> None:
        """Play the route; raises AssertionError naming the failing step and its location."""
        try:
            engine = Engine(bundle, self.locale, start=self.start)
        except ContentError as exc:
            raise AssertionError(f"{self.loc}: {self.name}: {exc}") from None
        for name, value in self.initial.items():
            if name not in bundle.variables:
                raise AssertionError(f"{self.loc}: {self.name}: unknown variable {name!r}")
            engine._vars[name] = value
        for step in self.steps:
            problem = _run_step(engine, step)
            if problem is not None:
                route = ",".join(engine.route) or "(start)"
                raise AssertionError(
                    f"{step.loc}: {self.name}: {problem} (at node {engine.node.id!r}, "
                    f"route {route})"
                )


def _run_step(engine: Engine, step: Step) -> str | None:
    k, arg = step.kind, step.arg
    if k == "choose":
        available = [c.id for c in engine.choices()]
        if arg not in available:
            return f"cannot choose {arg!r}; available: {available}"
        engine.choose(arg)
    elif k == "back":
        if arg and not engine.can_back():
            return "cannot go back here"
        if arg:
            engine.back()
    elif k == "expect_node":
        if engine.node.id != arg:
            return f"expected node {arg!r}, but the player is at {engine.node.id!r}"
    elif k == "expect_var":
        for name, want in arg.items():
            have = engine.variables.get(name, "<undefined>")
            if have != want or type(have) is not type(want):
                return f"expected {name} = {want!r}, got {have!r}"
    elif k == "expect_choices":
        ids = [c.id for c in engine.choices()]
        if ids != list(arg):
            return f"expected choices {list(arg)}, got {ids}"
    elif k == "expect_help_point":
        if engine.at_help_point != arg:
            return f"expected help point = {arg}"
    elif k == "expect_consent_point":
        if engine.node.is_consent_point != arg:
            return f"expected consent point = {arg}"
    elif k == "expect_can_back":
        if engine.can_back() != arg:
            return f"expected can_back = {arg}"
    elif k == "expect_ending":
        if engine.ending != arg:
            return f"expected ending {arg!r}, got {engine.ending!r}"
    elif k == "expect_text":
        text = engine.text(engine.node.text)
        if str(arg) not in text:
            return f"expected text containing {arg!r}, got {text[:80]!r}"
    return None


def _plain(y: YValue) -> Any:
    if isinstance(y.value, list):
        return [_plain(i) for i in y.value]
    if isinstance(y.value, dict):
        return {k: _plain(v) for k, v in y.value.items()}
    return y.value


def load_plan(path: Path) -> list[RouteTest]:
    """Read a plan file; raises RouteTestError with file:line:col for malformed plans."""
    y, diags = read_yaml_file(path)
    if y is None or diags:
        raise RouteTestError(str(diags[0]) if diags else f"{path}: empty plan", diags)

    def fail(msg: str, loc: Location) -> RouteTestError:
        return RouteTestError(f"{loc}: {msg}")

    if not isinstance(y.value, dict) or not isinstance(
        y.value.get("tests", YValue(0, y.loc)).value, list
    ):
        raise fail("a plan needs `tests:` with a list of tests", y.loc)
    tests: list[RouteTest] = []
    for ty in y.value["tests"].value:
        if not isinstance(ty.value, dict):
            raise fail("each test is a mapping with `name:` and `steps:`", ty.loc)
        t = ty.value
        unknown = set(t) - {"name", "steps", "start", "locale", "set"}
        if unknown:
            raise fail(f"unknown key(s) {sorted(unknown)} in a test", ty.loc)
        if not isinstance(t.get("name", YValue(None, ty.loc)).value, str):
            raise fail("a test needs `name:` text", ty.loc)
        if not isinstance(t.get("steps", YValue(None, ty.loc)).value, list):
            raise fail("a test needs `steps:` (a list)", ty.loc)
        steps: list[Step] = []
        for sy in t["steps"].value:
            if not isinstance(sy.value, dict) or len(sy.value) != 1:
                raise fail("each step is one `kind: value` pair", sy.loc)
            ((kind, arg),) = sy.value.items()
            if kind not in STEP_KINDS:
                raise fail(f"unknown step {kind!r} (known: {', '.join(STEP_KINDS)})", sy.loc)
            value = _plain(arg)
            if kind == "expect_var" and not isinstance(value, dict):
                raise fail("expect_var needs a mapping {name: value}", sy.loc)
            if kind == "expect_choices" and not isinstance(value, list):
                raise fail("expect_choices needs a list of choice ids", sy.loc)
            if kind in ("choose", "expect_node", "expect_ending") and not isinstance(value, str):
                raise fail(f"{kind} needs an id", sy.loc)
            steps.append(Step(kind, value, sy.loc))
        initial = _plain(t["set"]) if "set" in t else {}
        if not isinstance(initial, dict):
            raise fail("`set:` needs a mapping {variable: value}", t["set"].loc)
        start = t["start"].value if "start" in t else None
        locale = t["locale"].value if "locale" in t else None
        tests.append(RouteTest(t["name"].value, tuple(steps), ty.loc, start, locale, initial))
    return tests


@dataclass(frozen=True)
class RouteResult:
    name: str
    ok: bool
    message: str = ""


@dataclass(frozen=True)
class RouteCase:
    """A pytest-friendly case: `case.run()` raises AssertionError on failure."""

    id: str
    run: Callable[[], None]


def collect_route_tests(story_path: Path, plans: list[Path] | None = None) -> list[RouteCase]:
    """Cases for pytest.mark.parametrize(ids=...): one per route of every plan of the story."""
    story = load_story(story_path)
    bundle = Bundle.from_story(story)
    cases: list[RouteCase] = []
    for plan in plans if plans is not None else list(story.test_files):
        for test in load_plan(plan):
            cases.append(RouteCase(f"{plan.name}::{test.name}", lambda t=test: t.run(bundle)))  # type: ignore[misc]
    return cases


def run_route_tests(story_path: Path, plans: list[Path] | None = None) -> list[RouteResult]:
    """Run all routes; malformed plans or stories raise ContentError subclasses."""
    results: list[RouteResult] = []
    for case in collect_route_tests(story_path, plans):
        try:
            case.run()
        except AssertionError as exc:
            results.append(RouteResult(case.id, False, str(exc)))
        else:
            results.append(RouteResult(case.id, True))
    return results
