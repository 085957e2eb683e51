"""Twine import: real Harlowe and SugarCube files convert, and nothing is dropped silently."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.narrative import Bundle, load_story
from game.narrative.autoplay import play_exhaustive
from game.narrative.exceptions import TweeImportError
from game.narrative.lint import lint_path
from game.narrative.twee import import_twee, import_twee_text
from tests.unit.narrative.narrative_helpers import TWEE


def _import(name: str, tmp_path: Path) -> tuple[Path, list[str]]:
    result = import_twee(TWEE / name)
    out = tmp_path / "out"
    result.write(out)
    return out, [str(n) for n in result.notes]


def test_harlowe_story_converts_and_plays(tmp_path: Path) -> None:
    """A Harlowe story becomes a loadable story with the same passages, links and ending."""
    out, notes = _import("harlowe_night_bus.twee", tmp_path)
    story = load_story(out)
    nodes = story.nodes
    assert story.start == "bus_stop" and len(nodes) == 8
    assert story.content.text("story.title") == "The Night Bus"
    assert [(c.text, c.target) for c in nodes["bus_stop"].choices] == [
        ("bus_stop.say_hi", "say_hi"),
        ("bus_stop.put_your_headphones_on", "headphones"),
    ]
    assert story.content.text("bus_stop.put_your_headphones_on") == "Put your headphones on"
    laugh = {c.id: c.target for c in nodes["laugh"].choices}
    assert laugh == {"join_the_chat": "invite", "ask_where_it_comes_from": "who_made_it"}
    who = {c.id: c.target for c in nodes["who_made_it"].choices}
    assert who == {"tell_mo_about_the_youth_centre": "youth_centre", "invite": "invite"}
    assert nodes["invite"].choices[0].target == "youth_centre"
    assert nodes["youth_centre"].is_help_point and nodes["youth_centre"].is_consent_point
    assert nodes["say_hi"].on_enter == ("talkedtomo = true", "trust += 1")
    assert nodes["say_hi"].content_warnings == ("exclusion",)
    assert nodes["home"].ending == "home"
    assert story.content.variables["trust"].default == 0
    assert lint_path(out).ok
    report = play_exhaustive(Bundle.from_story(story), max_depth=20)
    assert report.ok and report.endings_reached


def test_harlowe_constructs_that_cannot_convert_are_reported(tmp_path: Path) -> None:
    """Conditionals, printed variables and stylesheets are listed with passage and line."""
    _out, notes = _import("harlowe_night_bus.twee", tmp_path)
    joined = "\n".join(notes)
    assert (
        "line 40, passage 'Headphones': NOT converted: Harlowe macro '(if: $talkedToMo)'" in joined
    )
    assert "line 51, passage 'Who Made It': NOT converted: printed variable '$trust'" in joined
    assert "passage 'Story Stylesheet': NOT converted: stylesheet" in joined
    assert "line 58, passage 'Invite': converted: automatic jump" in joined


def test_sugarcube_story_converts_links_setters_and_init(tmp_path: Path) -> None:
    """SugarCube <<link>>, setter links, <<goto>>, <<set>> and StoryInit are converted."""
    out, notes = _import("sugarcube_football.twee", tmp_path)
    story = load_story(out)
    nodes = story.nodes
    assert story.start == "kickoff"
    assert [c.target for c in nodes["kickoff"].choices] == ["sticker", "match"]
    ask = next(c for c in nodes["sticker"].choices if c.target == "ask_again")
    assert ask.effects == ("mood = 0",)
    assert nodes["sticker"].on_enter == ("mood += 1",)
    assert nodes["ask_again"].choices[0].target == "match"
    assert story.content.variables["mood"].default == 1
    assert story.content.variables["name"].default == "Jo"
    assert nodes["talk"].is_help_point and len(nodes["talk"].choices) == 2
    assert "You do not recognise the symbol." in story.content.text("kickoff.text")
    assert "<span" not in story.content.text("kickoff.text")
    assert lint_path(out).ok
    joined = "\n".join(notes)
    for expected in [
        "'<<if $mood gt 1>>' not converted",
        "'<<timed 2s>>' not converted",
        "passage 'Story JavaScript': NOT converted: script",
        "passage 'StoryCaption': NOT converted",
        "HTML '<span class=\"note\">' removed",
    ]:
        assert expected in joined


@pytest.mark.parametrize(
    ("source", "links"),
    [
        ("[[Go]]", [("Go", "go")]),
        ("[[Leave now->Go]]", [("Leave now", "go")]),
        ("[[Go<-Leave now]]", [("Leave now", "go")]),
        ("[[Leave now|Go]]", [("Leave now", "go")]),
        ('(link-goto: "Leave now", "Go")', [("Leave now", "go")]),
        ('<<link "Leave now" "Go">><</link>>', [("Leave now", "go")]),
        ('<<button "Leave now" "Go">><</button>>', [("Leave now", "go")]),
        ("<<link [[Leave now|Go]]>><</link>>", [("Leave now", "go")]),
        ('(link-reveal-goto: "Leave now", "Go")', [("Leave now", "go")]),
        ('(link: "Leave now")[(goto: "Go")]', [("Leave now", "go")]),
        ('(link-goto: "Go")', [("Go", "go")]),
    ],
)
def test_every_link_syntax_converts(source: str, links: list[tuple[str, str]]) -> None:
    """All Twee link forms and the common link macros become choices."""
    text = f":: Start\nHello.\n{source}\n\n:: Go\nBye.\n"
    result = import_twee_text(text)
    nodes_yaml = result.files["nodes.yaml"]
    for label, target in links:
        assert f'text: "{label}"' in nodes_yaml and f"to: {target}" in nodes_yaml


def test_link_to_a_missing_passage_is_reported() -> None:
    """A link to a passage that does not exist is reported, not silently dropped."""
    result = import_twee_text(":: Start\n[[Nowhere]]\n[[End]]\n\n:: End\nBye.\n")
    assert any("'Nowhere', which is not a passage" in str(n) and n.line == 2 for n in result.notes)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("just some text\n", "before the first passage header"),
        (":: [tag]\nx\n", "without a name"),
        (":: Start [open\nx\n", "unclosed tag list"),
        (":: StoryTitle\nOnly a title\n", "no story passages"),
    ],
)
def test_not_twee_is_a_clear_error(text: str, match: str) -> None:
    """Files that are not Twee 3 give TweeImportError with the line."""
    with pytest.raises(TweeImportError, match=match):
        import_twee_text(text)


def test_binary_file_is_refused(tmp_path: Path) -> None:
    """A non-UTF-8 file is refused with the byte position."""
    bad = tmp_path / "x.twee"
    bad.write_bytes(b":: Start\n\xff\xfe")
    with pytest.raises(TweeImportError, match="not valid UTF-8 at byte 9"):
        import_twee(bad)


def test_urls_survive_and_stray_brackets_are_reported() -> None:
    """Italics markup removal leaves URLs intact; removed brackets are reported."""
    result = import_twee_text(
        ":: Start\nSee https://example.org [soon].\n[[End]]\n\n:: End\nBye.\n"
    )
    assert "See https://example.org soon." in result.files["nodes.yaml"]
    assert any("square brackets" in str(n) and n.line == 2 for n in result.notes)
