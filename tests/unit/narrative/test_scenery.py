"""Scenery: each node's setting and each speaker's character sheet are story data, checked
like text, carried in the bundle, and agree with the words."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from game.narrative import Bundle, load_story
from game.narrative.exceptions import BundleError, ContentError
from game.narrative.lint import lint_path
from game.narrative.scenery import Look, Setting, time_of_clock, unsaid
from tests.unit.narrative.narrative_helpers import SHIPPED, copy_story, edit

SCENERY = """\
settings:
  default: {place: street, time: day}
  scenes:
    - {place: kitchen, time: night, weather: rain, nodes: [start]}
characters:
  sam:
    description: "Sam only appears as an avatar: a purple fox."
    look: {kind: avatar, figure: fox, colour: purple}
"""


def with_scenery(tmp_path: Path, text: str = SCENERY) -> Path:
    story = copy_story(tmp_path)
    (story / "scenery.yaml").write_text(text, encoding="utf-8")
    edit(story / "story.yaml", "  - service.yaml\n", "  - service.yaml\n  - scenery.yaml\n")
    return story


def test_shipped_story_has_a_setting_for_every_node_and_a_sheet_for_every_speaker() -> None:
    """The shipped story says where each node happens and what each speaker looks like."""
    content = load_story(SHIPPED).content
    assert set(content.settings) == set(content.nodes)
    assert set(content.characters) == set(content.speakers)
    assert content.settings["jo_kitchen"] == Setting("kitchen", "night", "clear")
    assert content.settings["alone_night"].place == "bedroom"
    assert content.settings["training"].place == "pitch"
    vex, rook = content.characters["vex"].look, content.characters["rook"].look
    assert (vex.kind, vex.figure, vex.colour) == ("avatar", "fox", "purple")
    assert (rook.kind, rook.figure, rook.colour) == ("avatar", "square", "black")
    assert content.characters["jo"].look != content.characters["mira"].look
    assert "purple fox" in content.text(content.characters["vex"].description)
    assert "lila Fuchs" in content.text(content.characters["vex"].description, "de")
    report = lint_path(SHIPPED)
    assert not {"W501", "W502", "W503"} & report.codes()


def test_settings_and_characters_load_and_travel_in_the_bundle(tmp_path: Path) -> None:
    """A node gets its scene's setting or the default, and the bundle keeps both exactly."""
    story = load_story(with_scenery(tmp_path))
    assert story.content.settings["start"] == Setting("kitchen", "night", "rain")
    others = {s for nid, s in story.content.settings.items() if nid != "start"}
    assert others == {Setting("street", "day", "clear")}
    bundle = Bundle.from_story(story)
    again = Bundle.from_bytes(bundle.to_bytes())
    assert again.content.settings == story.content.settings
    assert again.content.characters == story.content.characters
    assert again.sha256 == bundle.sha256


def test_a_bundle_from_before_scenery_still_loads() -> None:
    """Bundles without settings or characters (made by older versions) load unchanged."""
    bundle = Bundle.from_story(load_story(copy_story_path()))
    doc = json.loads(bundle.to_bytes())
    doc.pop("settings"), doc.pop("characters")
    old = Bundle.from_bytes(json.dumps(doc).encode())
    assert old.content.settings == {} and old.content.characters == {}


def copy_story_path() -> Path:
    from tests.unit.narrative.narrative_helpers import STORY_MIN

    return STORY_MIN


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("settings", {"start": {"place": "moon", "time": "day"}}),
        ("characters", {"sam": {"description": "x", "look": {"kind": "robot"}}}),
    ],
)
def test_a_bundle_with_an_unknown_scenery_value_is_refused(field: str, value: object) -> None:
    """A bundle naming a place or look the game cannot draw is refused with its path."""
    doc = json.loads(Bundle.from_story(load_story(copy_story_path())).to_bytes())
    doc[field] = value
    with pytest.raises(BundleError, match=field):
        Bundle.from_bytes(json.dumps(doc).encode())


@pytest.mark.parametrize(
    ("replace", "code", "message"),
    [
        ("place: kitchen", "E119", "place 'kitchn' is not one of"),
        ("nodes: [start]", "E119", "node 'nowhere', which does not exist"),
        ("  sam:\n", "E112", "character 'nobody' is not declared"),
        ("weather: rain,", "E103", "unknown key `mood`"),
    ],
)
def test_scenery_mistakes_are_clear_errors(
    tmp_path: Path, replace: str, code: str, message: str
) -> None:
    """A typo in a place, an unknown node or speaker, or an unknown key: an error with its line."""
    bad = {
        "place: kitchen": SCENERY.replace("place: kitchen", "place: kitchn"),
        "nodes: [start]": SCENERY.replace("nodes: [start]", "nodes: [start, nowhere]"),
        "  sam:\n": SCENERY.replace("  sam:\n", "  nobody:\n"),
        "weather: rain,": SCENERY.replace("weather: rain,", "weather: rain, mood: sad,"),
    }[replace]
    report = lint_path(with_scenery(tmp_path, bad))
    hits = [d for d in report.diagnostics if d.code == code and message in d.message]
    assert hits and hits[0].location is not None and "scenery.yaml" in str(hits[0].location)
    with pytest.raises(ContentError):
        load_story(with_scenery(tmp_path / "again", bad))


def test_lint_warns_when_a_picture_would_contradict_the_words(tmp_path: Path) -> None:
    """A "1 am" node set in the day, or a portrait the description does not mention, is warned."""
    agreeing = with_scenery(tmp_path / "ok")
    edit(agreeing / "nodes.yaml", "      Rain again.", "      It's 1 am. Rain again.")
    assert not {"W501", "W502"} & lint_path(agreeing).codes()
    story = with_scenery(
        tmp_path / "bad",
        SCENERY.replace("time: night, weather: rain", "time: day, weather: rain").replace(
            "a purple fox", "a red square"
        ),
    )
    edit(story / "nodes.yaml", "      Rain again.", "      It's 1 am. Rain again.")
    report = lint_path(story)
    by_code = {d.code: d.message for d in report.diagnostics}
    assert "says '1 am' (night) but its setting is kitchen at day" in by_code["W501"]
    assert "shows the colour purple, figure fox" in by_code["W502"]
    assert "speaker 'kim' has no character sheet" in by_code["W503"]
    assert report.ok  # warnings: the author decides, the board sees them


def test_clock_times_and_unsaid_looks() -> None:
    """Clock times map to a time of day; a look is checked word by word against its text."""
    assert time_of_clock("It's 1 am and quiet") == ("1 am", "night")
    assert time_of_clock("It's 11 pm.") == ("11 pm", "night")
    assert time_of_clock("at 7am sharp") == ("7am", "morning")
    assert time_of_clock("a 4 pm match") == ("4 pm", "day")
    assert time_of_clock("three in the morning") is None
    fox = Look("avatar", figure="fox", colour="purple")
    assert unsaid(fox, "Vex's avatar is a purple fox.") == []
    assert unsaid(fox, "Vex has a human face.") == ["the colour purple", "figure fox"]
    jo = Look("person", clothes="scrubs", hair_style="ponytail")
    assert unsaid(jo, "Jo: a ponytail and scrubs.") == []
    assert unsaid(jo, "Jo's avatar") != []
