"""Twine import: real Harlowe and SugarCube files convert, and nothing is dropped silently."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

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
    guarded = nodes["youth_centre"].choices[-1]
    assert (guarded.id, guarded.condition) == ("tell_dana_about_the_meme", "trust > 0")
    assert story.content.variables["trust"].default == 0
    assert lint_path(out).ok
    report = play_exhaustive(Bundle.from_story(story), max_depth=20)
    assert report.ok and report.endings_reached


def test_harlowe_constructs_that_cannot_convert_are_reported(tmp_path: Path) -> None:
    """Conditionals, printed variables and stylesheets are listed with passage and line."""
    _out, notes = _import("harlowe_night_bus.twee", tmp_path)
    joined = "\n".join(notes)
    assert (
        "line 40, passage 'Headphones': NOT converted: text 'You wave at Mo.' is conditional; "
        "not converted" in joined
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
    assert nodes["talk"].is_help_point
    conditions = {c.id: c.condition for c in nodes["talk"].choices}
    assert conditions == {
        "thanks_maybe_later": None,
        "ask_how_it_works": None,
        "tell_him_about_the_sticker": "mood >= 2",
        "ask_if_he_knows_your_cousin_jo": 'name == "Jo"',
        "ask_his_name": 'not (name == "Jo")',
    }
    assert "You do not recognise the symbol." in story.content.text("kickoff.text")
    assert "<span" not in story.content.text("kickoff.text")
    assert lint_path(out).ok
    joined = "\n".join(notes)
    for expected in [
        "text 'You stay calm.' is conditional; not converted",
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


def test_conditions_it_cannot_translate_are_reported() -> None:
    """A link guarded by a condition outside our language stays, unconditional, and is reported."""
    result = import_twee_text(
        ':: Start\n<<if $inv.includes("key")>>[[Open the door|End]]<</if>>\n[[Leave|End]]\n\n'
        ":: End\nBye.\n"
    )
    assert "to: end" in result.files["nodes.yaml"] and "if:" not in result.files["nodes.yaml"]
    assert any(
        "is not converted; the choice is always shown" in str(n) and n.line == 2
        for n in result.notes
    )


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("$a is 3", "a == 3"),
        ("$a is not 3 and $b", "a != 3 and b"),
        ("$a gte 2 || !$b", "a >= 2 or not b"),
        ("($a === 'x') && $b", '(a == "x") and b'),
        ('$a is "( x )"', 'a == "( x )"'),
    ],
)
def test_twine_conditions_translate(condition: str, expected: str) -> None:
    """Harlowe and SugarCube operators map onto the story language."""
    result = import_twee_text(f":: Start\n(if: {condition})[[[Go|End]]]\n[[End]]\n\n:: End\nBye.\n")
    assert f"if: {json.dumps(expected)}" in result.files["nodes.yaml"]


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                ":: Start",
                ":: End [ending]",
                ':: A [x y] {"position":"1,1"}',
                "[[A]]",
                "[[go->End]]",
                "[[End<-back]]",
                "(if: $a > 1)[",
                "]",
                "(else:)[",
                "<<if $b>>",
                "<<else>>",
                "<</if>>",
                "(set: $a to 2)",
                "<<set $b to true>>",
                '(link-goto: "A")',
                '<<goto "End">>',
                "$a",
                "<b>x</b>",
                "''bold''",
                "[[x|y][$a to 1]]",
                "(if: $a)[[[A]]]",
                '(link: "x")[(set: $a to 1)(goto: "End")]',
                "<<set _c = [",
                "]>>",
                "(if: $a > 2)[",
                "<<if $a > 2>>[[A]]<</if>>",
                "plain text",
                "",
            ]
        )
        | st.text(max_size=15),
        max_size=25,
    )
)
def test_any_twee_text_converts_or_fails_cleanly(lines: list[str]) -> None:
    """Whatever a .twee file contains, the importer returns a result or a TweeImportError."""
    try:
        result = import_twee_text("\n".join(lines))
    except TweeImportError:
        return
    assert "story.yaml" in result.files and "nodes.yaml" in result.files
    noted = {n.passage for n in result.notes if not n.converted}
    for node in yaml.safe_load(result.files["nodes.yaml"])["nodes"] or []:
        if any(mark in node["text"] for mark in ("<<", ">>", "(set:", "$")):
            assert any(name for name in noted), node  # left-over code is always reported


def test_duplicate_names_braces_and_type_clashes_still_give_a_loadable_story(
    tmp_path: Path,
) -> None:
    """Messy Twine input is converted into a story that loads, with each repair reported."""
    text = (
        ":: StoryTitle\nMy {odd} story\n\n:: Start\n(set: $a to 2)\nCSS {color: red}\n"
        '[[Ünïcode ñame]]\n\n:: Ünïcode ñame\n(set: $a to "s")\n[[End]]\n\n:: End\nBye.\n\n'
        ":: End\nAgain.\n"
    )
    result = import_twee_text(text)
    out = tmp_path / "out"
    result.write(out)
    story = load_story(out)
    assert "unicode_name" in story.nodes and story.nodes["start"].on_enter == ("a = 2",)
    assert story.nodes["unicode_name"].on_enter == ()
    notes = "\n".join(str(n) for n in result.notes)
    assert "a second passage with the same name" in notes
    assert "curly braces became round ones" in notes
    assert "used as str here but as int elsewhere" in notes


def _texts(out: Path) -> dict[str, str]:
    story = load_story(out)
    return {nid: story.content.text(node.text) for nid, node in story.nodes.items()}


def test_harlowe_effect_in_a_link_belongs_to_that_choice(tmp_path: Path) -> None:
    """A (set:) inside (link:)[...] happens when that link is taken, never on entering the page."""
    out, notes = _import("harlowe_meaning.twee", tmp_path)
    story = load_story(out)
    cafe = story.nodes["cafe"]
    assert cafe.on_enter == ()
    keep = next(c for c in cafe.choices if c.id == "keep_the_flyer")
    assert (keep.target, keep.effects) == ("street", ("flyer = true", "visits_var += 1"))
    throw = next(c for c in cafe.choices if c.id == "throw_it_away")
    assert throw.effects == ()
    # a reveal link that leads nowhere: its effect is reported, not made unconditional
    joined = "\n".join(notes)
    assert (
        "line 15, passage 'Cafe': NOT converted: '(set: $read to true)' happens only when" in joined
    )
    assert "read" not in story.content.variables
    report = play_exhaustive(Bundle.from_story(story), max_depth=20)
    assert report.ok and report.endings_reached


def test_harlowe_conditions_with_greater_than_are_kept(tmp_path: Path) -> None:
    """Conditions using `>` (inline, on the next line, multi-line hooks, else) guard their links."""
    out, _notes = _import("harlowe_meaning.twee", tmp_path)
    street = {c.id: c.condition for c in load_story(out).nodes["street"].choices}
    assert street == {
        "call_the_number": "visits_var > 0",
        "call_again": "visits_var > 1",
        "look_at_the_flyer_again": "visits_var >= 1 and visits_var < 5",
        "go_home": "not (visits_var >= 1 and visits_var < 5)",
    }


@pytest.mark.parametrize("name", ["harlowe_meaning.twee", "sugarcube_meaning.twee"])
def test_no_code_or_stray_markup_reaches_player_text(name: str, tmp_path: Path) -> None:
    """No node text keeps macro code, `<`/`>`, `$` or brackets; conditional text is reported."""
    out, notes = _import(name, tmp_path)
    for nid, text in _texts(out).items():
        for mark in ("<", ">", "$", "[", "]", "(set:", "_choices", "{"):
            assert mark not in text, (nid, text)
    joined = "\n".join(notes)
    if name.startswith("harlowe"):
        assert "text 'The flyer is in your pocket.' is conditional; not converted" in joined
        assert "The flyer is in your pocket" not in "".join(_texts(out).values())


def test_sugarcube_multiline_set_and_widget_choices(tmp_path: Path) -> None:
    """A multi-line <<set _x = [...]>> is never printed; links a widget builds become choices."""
    out, notes = _import("sugarcube_meaning.twee", tmp_path)
    story = load_story(out)
    chat = story.nodes["chat"]
    assert [(c.text, c.target) for c in chat.choices] == [
        ("chat.scroll_on", "scroll"),
        ("chat.mute_it", "mute"),
        ("chat.mute_the_chat", "mute"),
        ("chat.read_the_rules", "rules"),
    ]
    assert story.content.text("chat.text") == "The group chat is loud tonight."
    joined = "\n".join(notes)
    assert "line 19, passage 'Chat': converted: temporary _choices kept" in joined
    assert "'<<for _c range _choices>>' unrolled over 2 items" in joined
    assert "printed variable" not in joined
    assert "_choices" not in story.content.variables
    scroll = story.nodes["scroll"]
    assert scroll.on_enter == ("anger += 1",)
    shot = next(c for c in scroll.choices if c.id == "screenshot_it")
    assert (shot.target, shot.effects) == ("report", ("proof = true",))
    assert next(c for c in scroll.choices if c.id == "report_the_post").condition == "anger > 0"
    assert "left" not in story.content.variables
    assert "'<<link \"Leave the chat\">>' leads to no passage" in joined
    assert lint_path(out).ok
    report = play_exhaustive(Bundle.from_story(story), max_depth=20)
    assert report.ok and report.endings_reached


def test_unknown_widget_leaving_a_dead_end_is_reported() -> None:
    """A passage whose only links come from an undefined widget is reported as an ending."""
    result = import_twee_text(':: Start\nHi.\n<<choice "Go" "End">>\n\n:: End\nBye.\n')
    joined = "\n".join(str(n) for n in result.notes)
    assert 'SugarCube macro \'<<choice "Go" "End">>\' not converted' in joined
    assert "passage has no links: it became an ending" in joined


def test_effect_inside_a_condition_is_not_made_unconditional() -> None:
    """A (set:) inside an (if:) hook or <<if>> is reported, never made an on-entry effect."""
    for body in ("(if: $a)[(set: $b to true)]", "<<if $a>><<set $b to true>><</if>>"):
        result = import_twee_text(f":: Start\n{body}\n[[End]]\n\n:: End\nBye.\n")
        assert "on_enter" not in result.files["nodes.yaml"]
        assert any("happens only inside a conditional hook" in str(n) for n in result.notes)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ('[{ text: "Go", to: "Park" }, ]', [{"text": "Go", "to": "Park"}]),
        ("['a', 'b']", ["a", "b"]),
        ("{ n: 3, ok: true }", {"n": 3, "ok": True}),
        ("[alert(1)]", None),
        ("$x + 1", None),
        ("{ f: () => 1 }", None),
    ],
)
def test_javascript_literals_are_read_and_code_is_not(source: str, expected: object) -> None:
    """Lists of choices written as JavaScript literals are read; anything with code is not."""
    from game.narrative.twee import js_literal

    assert js_literal(source) == expected


def test_link_labels_get_no_code_either() -> None:
    """A printed variable or markup in a link's text is removed from the choice and reported."""
    result = import_twee_text(":: Start\n[[Visit $name at ''home''->End]]\n\n:: End\nBye.\n")
    assert 'text: "Visit at home"' in result.files["nodes.yaml"]
    assert any("printed variable '$name'" in str(n) and n.line == 2 for n in result.notes)


def test_a_jump_under_a_condition_inside_a_link_keeps_its_condition() -> None:
    """<<link>> with <<if>>/<<else>> jumps inside gives one choice per case, never the first."""
    text = (
        ':: StoryData\n{"format": "SugarCube", "start": "Start"}\n\n'
        ":: Start\n<<set $brave to true>>Hi.\n"
        '<<link "Knock">><<set $knocked to true>><<if $brave>><<goto "In">>'
        '<<else>><<goto "Out">><</if>><</link>>\n'
        '<<link "Wait">><<if $brave>><<set $waited to true>><</if>><<goto "Out">><</link>>\n\n'
        ":: In\nInside.\n\n:: Out\nOutside.\n"
    )
    result = import_twee_text(text)
    nodes = yaml.safe_load(result.files["nodes.yaml"])["nodes"]
    start = next(n for n in nodes if n["id"] == "start")
    got = [(c["text"], c["to"], c.get("if"), c.get("set")) for c in start["choices"]]
    assert got == [
        ("Knock", "in", "brave", ["knocked = true"]),
        ("Knock", "out", "not (brave)", ["knocked = true"]),
        ("Wait", "out", None, None),
    ]
    joined = "\n".join(str(n) for n in result.notes)
    assert "leads to different passages under conditions: one choice per case" in joined
    assert "'<<set $waited to true>>' happens only under a condition inside a link" in joined


def test_harlowe_layout_lines_leave_no_stray_marks() -> None:
    """Alignment, column and rule lines (==>, =><=, |==, ---) are removed and reported."""
    body = "==>\nRight.\n=><=\nCentred.\n|==\nColumn.\n---\n# Title\n[[End]]"
    result = import_twee_text(
        f':: StoryData\n{{"format": "Harlowe"}}\n\n:: Start\n{body}\n\n:: End\nBye.\n'
    )
    start = yaml.safe_load(result.files["nodes.yaml"])["nodes"][0]
    assert start["text"].split() == ["Right.", "Centred.", "Column.", "Title"]
    joined = "\n".join(str(n) for n in result.notes)
    for mark in ("'==>'", "'=><='", "'|=='", "'---'"):
        assert f"Harlowe layout markup {mark} removed" in joined
