"""Loading stories: the example story loads, and bad files give located, typed errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.narrative import (
    ContentFileError,
    ContentSchemaError,
    ContentSyntaxError,
    load_story,
    parse_story,
)
from game.narrative.yamlsrc import MAX_FILE_BYTES
from tests.unit.narrative.narrative_helpers import STORY_MIN, copy_story, edit


def codes(path: Path) -> set[str]:
    _story, diags = parse_story(path)
    return {d.code for d in diags}


def test_example_story_loads_with_all_parts() -> None:
    """The documented example story loads with nodes, offer, disclosure and helplines."""
    story = load_story(STORY_MIN)
    c = story.content
    assert c.start == "start" and len(c.nodes) == 5
    assert c.nodes["talk"].is_help_point and c.nodes["talk"].offer == "offer.main"
    assert c.nodes["end"].ending == "home"
    assert c.offers["offer.main"].yes == "offer.main.yes"
    assert c.text("offer.main.yes") == "Yes, I want to talk"
    assert c.disclosure[0] == "disclosure.who_runs"
    assert c.helplines["de"][0].name == "Beispiel-Beratung"
    assert c.text("chat.ask", "de") == "Sam nach dem Gruppenchat fragen"
    assert c.variables["trust"].default == 0


def test_manifest_file_path_is_accepted_too() -> None:
    """Authors may point the tools at story.yaml instead of the directory."""
    assert load_story(STORY_MIN / "story.yaml").content.id == "story-min"


def test_missing_story_is_a_file_error(tmp_path: Path) -> None:
    """A path without a story gives a file error naming the file, not a traceback."""
    with pytest.raises(ContentFileError, match="story.yaml.*no story here"):
        load_story(tmp_path)


def test_yaml_syntax_error_has_line_and_column(tmp_path: Path) -> None:
    """A broken YAML file is reported with file:line:column."""
    story = copy_story(tmp_path)
    edit(story / "nodes.yaml", "    next: chat\n", "    next: [chat\n")
    with pytest.raises(ContentSyntaxError) as info:
        load_story(story)
    loc = info.value.diagnostics[0].location
    assert loc is not None and loc.file.endswith("nodes.yaml") and loc.line > 1 and loc.column > 0


def test_invalid_utf8_is_reported_with_position(tmp_path: Path) -> None:
    """A file saved in the wrong encoding names the line and byte."""
    story = copy_story(tmp_path)
    path = story / "nodes.yaml"
    path.write_bytes(path.read_bytes().replace(b"Rain", b"R\xe4in"))
    with pytest.raises(ContentFileError, match=r"nodes.yaml:8:8: .*not valid UTF-8"):
        load_story(story)


def test_huge_file_is_refused(tmp_path: Path) -> None:
    """A file over the size limit is refused before parsing."""
    story = copy_story(tmp_path)
    with (story / "nodes.yaml").open("a") as fh:
        fh.write("#" * (MAX_FILE_BYTES + 1))
    assert "E002" in codes(story)


def test_anchors_and_custom_tags_are_refused(tmp_path: Path) -> None:
    """YAML aliases and python tags are rejected so reviewers see every text in place."""
    story = copy_story(tmp_path)
    edit(story / "nodes.yaml", '  ui.continue: "Continue"', '  ui.continue: &c "Continue"')
    assert "E005" in codes(story)
    edit(story / "nodes.yaml", '&c "Continue"', '!!python/object:os.system "Continue"')
    assert "E005" in codes(story)


def test_duplicate_keys_are_errors(tmp_path: Path) -> None:
    """A key written twice is reported instead of silently keeping the last one."""
    story = copy_story(tmp_path)
    edit(story / "nodes.yaml", "    next: chat\n", "    next: chat\n    next: group\n")
    _s, diags = parse_story(story)
    dup = [d for d in diags if d.code == "E006"]
    assert dup and dup[0].location is not None and dup[0].location.line == 11


def test_yes_and_no_stay_text() -> None:
    """`yes:` is a normal key and `no` is text (YAML 1.2 booleans)."""
    from game.narrative.yamlsrc import read_yaml_bytes

    value, diags = read_yaml_bytes(b"yes: no\nb: true\nc: 'true'\n", "x.yaml")
    assert not diags and value is not None
    assert value.value["yes"].value == "no"
    assert value.value["b"].value is True and value.value["c"].value == "true"


@pytest.mark.parametrize(
    ("old", "new", "code"),
    [
        ('    text: "They say', '    text: ["They say', "E004"),
        ("format: 1", "format: one", "E101"),
        ("  - id: end\n", "  - id: end\n    colour: blue\n", "E103"),
        ("tags: [content_warning:bullying]", "tags: [content_warning:bullying, spooky]", "E105"),
        ("  - id: end\n", "  - id: chat\n", "E106"),
        ("  - id: end\n", "  - id: End\n", "E104"),
        ("trust: {type: int, default: 0}", "trust: {type: int, default: yes}", "E101"),
        ("trust: {type: int, default: 0}", "trust: {type: float, default: 0}", "E101"),
    ],
)
def test_schema_problems_have_codes(tmp_path: Path, old: str, new: str, code: str) -> None:
    """Wrong types, unknown keys/tags and duplicate ids each have their own code."""
    story = copy_story(tmp_path)
    target = story / ("story.yaml" if "format" in old or "trust" in old else "nodes.yaml")
    edit(target, old, new)
    assert code in codes(story)
    with pytest.raises((ContentSchemaError, ContentSyntaxError)):
        load_story(story)


def test_every_error_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    """Two mistakes in different nodes are both listed, so authors fix them in one pass."""
    story = copy_story(tmp_path)
    edit(
        story / "nodes.yaml",
        '        to: group\n        set: ["trust',
        '        to: grup\n        set: ["trust',
    )
    edit(story / "nodes.yaml", "  - id: end\n", "  - id: end\n    tags: [sparkle]\n")
    with pytest.raises(ContentSchemaError) as info:
        load_story(story)
    assert {d.code for d in info.value.diagnostics} >= {"E111", "E105"}
    assert "more error" in str(info.value)


@pytest.mark.parametrize("path", ["../outside.yaml", "/etc/hostname"])
def test_files_outside_the_story_directory_are_refused(tmp_path: Path, path: str) -> None:
    """A manifest cannot pull in files from elsewhere on the machine."""
    story = copy_story(tmp_path)
    (tmp_path / "outside.yaml").write_text("lines: {x.y: z}\n", encoding="utf-8")
    edit(story / "story.yaml", "  - service.yaml", f"  - service.yaml\n  - {path}")
    _s, diags = parse_story(story)
    assert any(d.code == "E001" and "outside the story directory" in d.message for d in diags)
