"""Fuzzing the loader: any damaged story file gives diagnostics, never a crash."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from game.narrative import ContentError, load_story, parse_story
from game.narrative.yamlsrc import read_yaml_bytes
from tests.unit.narrative.narrative_helpers import STORY_MIN

FILES = ["story.yaml", "nodes.yaml", "service.yaml", "locales/de.yaml"]
ORIGINAL = {name: (STORY_MIN / name).read_text(encoding="utf-8") for name in FILES}

yaml_scalars = st.sampled_from(
    [
        "",
        "~",
        "[]",
        "{}",
        "[1, 2]",
        "{a: 1}",
        "-1",
        "99999999999999999999",
        "true",
        "no",
        '"x"',
        "'",
        "&a x",
        "*a",
        "!!str x",
        "- x",
        "a: b: c",
        "\t",
        "#",
        "{organisation}",
        "visits(",
        "content_warning:",
        "help_point",
    ]
)


@settings(max_examples=120, deadline=None)
@given(
    st.sampled_from(FILES),
    st.integers(min_value=0, max_value=10_000),
    yaml_scalars | st.text(max_size=20),
    st.booleans(),
)
def test_mutated_story_never_crashes(
    name: str, position: int, insert: str, replace_line: bool
) -> None:
    """Overwriting any part of any story file yields diagnostics or a story, never a crash."""
    text = ORIGINAL[name]
    lines = text.split("\n")
    index = position % len(lines)
    if replace_line:
        head, sep, _tail = lines[index].partition(": ")
        lines[index] = f"{head}{sep}{insert}" if sep else insert
    else:
        lines.insert(index, insert)
    with tempfile.TemporaryDirectory() as tmp:
        story = Path(tmp) / "s"
        shutil.copytree(STORY_MIN, story)
        (story / name).write_text("\n".join(lines), encoding="utf-8")
        _story, diags = parse_story(story)
        assert all(str(d) for d in diags)
        try:
            load_story(story)
        except ContentError as exc:
            assert exc.diagnostics


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_crash_the_yaml_reader(data: bytes) -> None:
    """Arbitrary bytes are either read or reported with a diagnostic."""
    value, diags = read_yaml_bytes(data, "x.yaml")
    assert value is not None or diags
