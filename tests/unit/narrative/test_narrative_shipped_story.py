"""The shipped story (assets/story) lints clean, reaches every ending and passes its routes."""

from __future__ import annotations

import json
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.narrative import Bundle, Engine, load_story
from game.narrative.autoplay import play_exhaustive, play_random
from game.narrative.lint import lint_path
from game.narrative.routetest import RouteCase, collect_route_tests
from tests.unit.narrative.narrative_helpers import SHIPPED


@cache
def _shipped_bundle() -> Bundle:
    return Bundle.from_story(load_story(SHIPPED))


def _cases() -> list[RouteCase]:
    return collect_route_tests(SHIPPED)


def test_shipped_story_lints_without_errors() -> None:
    """The story players get has zero lint errors."""
    report = lint_path(SHIPPED)
    assert report.errors == [], "\n".join(str(d) for d in report.errors)


def test_shipped_story_meets_the_brief() -> None:
    """At least 60 nodes, 4 endings and 3 help points, in English and German."""
    story = load_story(SHIPPED)
    nodes = story.nodes.values()
    assert len(story.nodes) >= 60
    assert len({n.ending for n in nodes if n.is_ending}) >= 4
    assert sum(1 for n in nodes if n.is_help_point) >= 3
    assert set(story.locales) >= {"en", "de"}


def test_autoplay_reaches_every_ending() -> None:
    """Exhaustive autoplay reaches every ending without getting stuck."""
    bundle = Bundle.from_story(load_story(SHIPPED))
    report = play_exhaustive(bundle, max_depth=80)
    assert report.failures == [], [str(f) for f in report.failures[:3]]
    assert report.endings_missed == set()
    random_report = play_random(bundle, runs=100, seed=0)
    assert random_report.failures == [], [str(f) for f in random_report.failures[:3]]


@pytest.mark.parametrize("case", _cases(), ids=lambda c: c.id)
def test_route(case: RouteCase) -> None:
    """Each scripted route of the shipped story passes."""
    case.run()


@settings(max_examples=30, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=20), max_size=80))
def test_saves_round_trip_anywhere_in_the_shipped_story(steps: list[int]) -> None:
    """Anywhere in the real story, a save restores exactly and back never crosses consent."""
    bundle = _shipped_bundle()
    engine = Engine(bundle)
    for step in steps:
        if step == 0 and engine.can_back():
            left = engine.node
            engine.back()
            assert not left.is_consent_point and not engine.node.is_consent_point
        elif engine.choices():
            options = engine.choices()
            engine.choose(options[step % len(options)].id)
    data = json.loads(json.dumps(engine.to_save()))
    restored, warnings = Engine.from_save(bundle, data)
    assert warnings == [] and restored.to_save() == data
