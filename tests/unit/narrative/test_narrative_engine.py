"""The engine: playing, going back, consent points, saves, and saves across story updates."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from game.narrative import BackNotAllowed, Bundle, ChoiceNotAvailable, Engine, load_story
from tests.unit.narrative.narrative_helpers import STORY_MIN, min_bundle

BUNDLE = min_bundle()


def test_playthrough_follows_choices_and_effects() -> None:
    """Choosing moves to the target, applies effects and counts visits."""
    e = Engine(BUNDLE)
    assert e.node.id == "start" and [c.id for c in e.choices()] == ["next"]
    e.choose("next")
    e.choose("ask")
    assert e.node.id == "group"
    assert e.variables["trust"] == 1 and e.variables["asked_sam"] is True
    assert e.visits["chat"] == 1 and e.history == ("start", "chat", "group")


def test_conditional_choice_appears_when_condition_holds() -> None:
    """A choice with `if:` is hidden until its condition holds."""
    e = Engine(BUNDLE, start="chat")
    assert [c.id for c in e.choices()] == ["ask", "music"]
    with pytest.raises(ChoiceNotAvailable):
        e.choose("again")
    e.choose("ask")
    e.choose("back_to_chat")
    assert [c.id for c in e.choices()] == ["ask", "music", "again"]


def test_back_undoes_effects_and_visits() -> None:
    """Going back restores node, variables and visit counts."""
    e = Engine(BUNDLE)
    e.choose("next")
    before = (e.node.id, dict(e.variables), dict(e.visits))
    e.choose("ask")
    assert e.can_back()
    e.back()
    assert (e.node.id, dict(e.variables), dict(e.visits)) == before
    assert e.history == ("start", "chat")


def test_back_never_crosses_a_consent_point() -> None:
    """After reaching a consent point the player cannot take the decision back."""
    e = Engine(BUNDLE)
    for cid in ["next", "ask", "weird"]:
        e.choose(cid)
    assert e.node.is_consent_point and e.at_help_point
    assert not e.can_back()
    with pytest.raises(BackNotAllowed, match="consent point"):
        e.back()
    e.choose("home")
    assert e.ending == "home" and not e.can_back() and e.choices() == []


def test_back_at_start_is_refused() -> None:
    """There is nothing to undo at the very start."""
    with pytest.raises(BackNotAllowed, match="nothing to undo"):
        Engine(BUNDLE).back()


def test_texts_are_localised_with_fallback() -> None:
    """The engine shows the chosen locale and falls back to the source language."""
    e = Engine(BUNDLE, "de")
    assert e.text(e.node.text).startswith("Schon wieder Regen")
    assert e.text("speaker.sam") == "Sam"


def test_save_is_json_and_restores_exactly() -> None:
    """A save survives JSON and restores the same game, including 'back'."""
    e = Engine(BUNDLE, "de")
    for cid in ["next", "music", "back_to_chat", "ask"]:
        e.choose(cid)
    data = json.loads(json.dumps(e.to_save()))
    restored, warnings = Engine.from_save(BUNDLE, data)
    assert warnings == []
    assert restored.to_save() == e.to_save()
    restored.back()
    assert restored.node.id == "chat" and restored.locale == "de"


def _variant(tmp: Path, name: str, edits: list[tuple[str, str, str]]) -> Bundle:
    dest = tmp / name
    shutil.copytree(STORY_MIN, dest)
    for rel, pattern, repl in edits:
        path = dest / rel
        text = path.read_text(encoding="utf-8")
        new = re.sub(pattern, repl, text, flags=re.S)
        assert new != text, (name, pattern)
        path.write_text(new, encoding="utf-8")
    return Bundle.from_story(load_story(dest))


@pytest.fixture(scope="module")
def variants(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Bundle]:
    tmp = tmp_path_factory.mktemp("variants")
    return {
        "renamed": _variant(
            tmp,
            "renamed",
            [
                ("nodes.yaml", r"- id: talk\n", "- id: talk_v2\n"),
                ("nodes.yaml", r"to: talk\n", "to: talk_v2\n"),
                ("nodes.yaml", r"replaces: \[old_talk\]", "replaces: [old_talk, talk]"),
            ],
        ),
        "removed": _variant(
            tmp,
            "removed",
            [
                ("nodes.yaml", r"  - id: group\n.*?(?=  - id: talk\n)", ""),
                ("nodes.yaml", r"to: group\n", "to: talk\n"),
            ],
        ),
        "new_variable": _variant(
            tmp,
            "new_variable",
            [("story.yaml", r"variables:\n", "variables:\n  mood: {type: int, default: 3}\n")],
        ),
    }


def test_renamed_node_resolves_through_replaces(variants: dict[str, Bundle]) -> None:
    """A save at a node that was renamed continues at the node that replaces it."""
    e = Engine(BUNDLE)
    for cid in ["next", "ask", "weird"]:
        e.choose(cid)
    restored, warnings = Engine.from_save(variants["renamed"], e.to_save())
    assert restored.node.id == "talk_v2"
    assert any("renamed to 'talk_v2'" in w for w in warnings)
    assert restored.visits["talk_v2"] == 1


def test_removed_node_falls_back_to_last_surviving_node(variants: dict[str, Bundle]) -> None:
    """A save at a deleted node continues at the last node of its history that still exists."""
    e = Engine(BUNDLE)
    e.choose("next")
    e.choose("ask")
    assert e.node.id == "group"
    restored, warnings = Engine.from_save(variants["removed"], e.to_save())
    assert restored.node.id == "chat"
    assert any("no longer exists" in w and "'chat'" in w for w in warnings)


def test_new_variables_get_defaults_and_wrong_types_reset(variants: dict[str, Bundle]) -> None:
    """New variables start at their default; a value of the wrong type is reset and reported."""
    e = Engine(BUNDLE)
    data = e.to_save()
    data["variables"]["trust"] = "lots"
    restored, warnings = Engine.from_save(variants["new_variable"], data)
    assert restored.variables["mood"] == 3 and restored.variables["trust"] == 0
    assert any("mood" in w for w in warnings) and any("trust" in w for w in warnings)


@pytest.mark.parametrize(
    "data",
    [
        None,
        3,
        "save",
        [],
        {},
        {"format": "crossroads-save/1"},
        {
            "format": "crossroads-save/1",
            "node": 5,
            "variables": [],
            "visits": "x",
            "history": 7,
            "undo": [{"node": "chat"}],
        },
        {"format": "crossroads-save/1", "story": "other"},
    ],
)
def test_broken_saves_start_a_new_game_with_a_warning(data: Any) -> None:
    """A corrupt save never crashes the game; the player is told and starts fresh."""
    engine, warnings = Engine.from_save(BUNDLE, data)
    assert engine.node.id in BUNDLE.nodes and warnings


# ---- property tests ---------------------------------------------------------------------------

actions = st.lists(st.integers(min_value=0, max_value=9), max_size=40)


def _walk(bundle: Bundle, steps: list[int]) -> Engine:
    """Play `steps`: 0 = back (if allowed), 1 = save and reload, else choose option k."""
    e = Engine(bundle)
    for step in steps:
        if step == 0 and e.can_back():
            e.back()
        elif step == 1:
            e, _w = Engine.from_save(bundle, json.loads(json.dumps(e.to_save())))
        else:
            options = e.choices()
            if options:
                e.choose(options[step % len(options)].id)
    return e


@settings(max_examples=150, deadline=None)
@given(actions)
def test_save_load_round_trip_is_exact(steps: list[int]) -> None:
    """Saving and loading at any point restores exactly the same game."""
    e = _walk(BUNDLE, steps)
    data = e.to_save()
    restored, warnings = Engine.from_save(BUNDLE, json.loads(json.dumps(data)))
    assert warnings == [] and restored.to_save() == data


@settings(max_examples=150, deadline=None)
@given(actions)
def test_back_never_crosses_consent_point_property(steps: list[int]) -> None:
    """Whatever the player does, history before the last consent point never shrinks."""
    e = Engine(BUNDLE)
    barrier = 0
    for step in steps:
        for i, node_id in enumerate(e.history):
            if BUNDLE.nodes[node_id].is_consent_point:
                barrier = max(barrier, i + 1)
        if step < 3:
            if e.can_back():
                left = e.node
                e.back()
                assert not left.is_consent_point and not e.node.is_consent_point
            else:
                with pytest.raises(BackNotAllowed):
                    e.back()
        else:
            options = e.choices()
            if options:
                e.choose(options[step % len(options)].id)
        assert len(e.history) >= barrier


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=20,
)


@settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    actions,
    st.sampled_from(["renamed", "removed", "new_variable"]),
    st.dictionaries(
        st.sampled_from(
            ["node", "variables", "visits", "history", "undo", "bundle", "locale", "route"]
        ),
        json_values,
        max_size=3,
    ),
)
def test_old_saves_load_on_changed_bundles(
    variants: dict[str, Bundle], steps: list[int], which: str, damage: dict[str, Any]
) -> None:
    """A save from an older (even damaged) bundle always loads into a playable state."""
    data = _walk(BUNDLE, steps).to_save()
    data.update(damage)
    bundle = variants[which]
    engine, _warnings = Engine.from_save(bundle, data)
    assert engine.node.id in bundle.nodes
    for name, var in bundle.variables.items():
        assert type(engine.variables[name]) is type(var.default)
    assert engine.at_ending or engine.choices()
    json.dumps(engine.to_save())
    if engine.can_back():
        engine.back()


def test_save_at_a_node_left_without_choices_moves_to_a_safe_node(tmp_path: Path) -> None:
    """If an update hides every choice of the saved node, play resumes where it can go on."""
    e = Engine(BUNDLE)
    e.choose("next")
    e.choose("ask")
    e.choose("weird")
    assert e.node.id == "talk"
    changed = _variant(
        tmp_path,
        "stuck",
        [
            (
                "nodes.yaml",
                r'        text: "Go home"\n        to: end\n',
                '        text: "Go home"\n        if: "trust >= 50"\n        to: end\n',
            ),
            ("nodes.yaml", r'if: "trust >= 2"', 'if: "trust >= 60"'),
        ],
    )
    restored, warnings = Engine.from_save(changed, e.to_save())
    assert restored.node.id == "group" and restored.choices()
    assert any("no available choice" in w for w in warnings)
