"""Bundles: canonical bytes, stable hashes, and validation of what the client downloads."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
import rfc8785

from game.narrative import Bundle, BundleError, load_story
from tests.unit.narrative.narrative_helpers import STORY_MIN, copy_story, edit, min_bundle


def test_bundle_bytes_are_canonical_and_hash_matches() -> None:
    """to_bytes is RFC 8785 JSON and sha256 is the hash of exactly those bytes."""
    bundle = min_bundle()
    data = bundle.to_bytes()
    assert rfc8785.dumps(json.loads(data)) == data
    assert bundle.sha256 == hashlib.sha256(data).hexdigest()


def test_round_trip_keeps_hash_and_text() -> None:
    """A bundle read back from its bytes is the same bundle with the same texts."""
    bundle = min_bundle()
    again = Bundle.from_bytes(bundle.to_bytes())
    assert again.sha256 == bundle.sha256 and again == bundle
    assert again.text("chat.text", "de").startswith("Hey, hast du")
    assert list(again.nodes) == list(bundle.nodes)
    assert again.offers["offer.main"].version == 1
    assert again.helplines["en"][0].phone == "+44 20 0000 0000"


def test_hash_is_independent_of_formatting(tmp_path: Path) -> None:
    """Reformatting YAML (comments, quoting) does not change the hash the board approved."""
    story = copy_story(tmp_path)
    edit(story / "nodes.yaml", '  ui.continue: "Continue"', "  # label\n  ui.continue: Continue")
    assert Bundle.from_story(load_story(story)).sha256 == min_bundle().sha256


def test_any_text_change_changes_the_hash(tmp_path: Path) -> None:
    """Changing one German word gives a different bundle hash."""
    story = copy_story(tmp_path)
    edit(story / "locales" / "de.yaml", '"Jetzt nicht"', '"Nicht jetzt"')
    assert Bundle.from_story(load_story(story)).sha256 != min_bundle().sha256


def test_text_falls_back_to_source_locale(tmp_path: Path) -> None:
    """A line missing from a translation shows the source text."""
    story = copy_story(tmp_path)
    edit(story / "locales" / "de.yaml", '  talk.home: "Nach Hause gehen"\n', "")
    bundle = Bundle.from_story(load_story(story))
    assert bundle.text("talk.home", "de") == "Go home"
    assert bundle.text("talk.home", "fr") == "Go home"


@pytest.mark.parametrize(
    "mutate",
    [
        lambda d: d.pop("nodes"),
        lambda d: d["nodes"]["chat"]["choices"][0].update(target="nowhere"),
        lambda d: d["nodes"]["chat"]["choices"][0].update(condition="trust >"),
        lambda d: d["nodes"]["chat"].update(tags=["bogus"]),
        lambda d: d["variables"]["trust"].update(default="zero"),
        lambda d: d.update(format=99),
        lambda d: d["disclosure"].pop(),
        lambda d: d["offers"].pop("offer.main"),
    ],
)
def test_corrupt_bundles_are_rejected(mutate: object) -> None:
    """A damaged or hand-edited bundle never reaches the engine."""
    doc = json.loads(min_bundle().to_bytes())
    mutate(doc)  # type: ignore[operator]
    with pytest.raises(BundleError):
        Bundle.from_bytes(json.dumps(doc).encode())


@pytest.mark.parametrize("data", [b"", b"\xff\xfe", b"[]", b"{}", b"null", b"[" * 100000])
def test_garbage_bytes_are_rejected(data: bytes) -> None:
    """Bytes that are not a bundle give BundleError, never another exception."""
    with pytest.raises(BundleError):
        Bundle.from_bytes(data)


def test_story_min_fixture_path_exists() -> None:
    """The documented example story ships with the tests."""
    assert (STORY_MIN / "story.yaml").is_file()


def test_require_canonical_refuses_reformatted_bytes() -> None:
    """Where hashes are recorded, bytes that are not canonical are refused."""
    bundle = min_bundle()
    pretty = json.dumps(json.loads(bundle.to_bytes()), indent=2).encode()
    assert Bundle.from_bytes(pretty).sha256 == bundle.sha256
    assert Bundle.from_bytes(bundle.to_bytes(), require_canonical=True) == bundle
    with pytest.raises(BundleError, match="canonical"):
        Bundle.from_bytes(pretty, require_canonical=True)


def test_line_ids_do_not_move_when_other_lines_change(tmp_path: Path) -> None:
    """Inserting a node and a choice elsewhere leaves every existing line id and text as it was."""
    story = copy_story(tmp_path)
    edit(
        story / "nodes.yaml",
        "    choices:\n      - id: ask\n",
        '    choices:\n      - id: wave\n        text: "Wave"\n        to: group\n'
        "      - id: ask\n",
    )
    edit(
        story / "nodes.yaml",
        "  - id: end\n",
        '  - id: extra\n    text: "An extra beat."\n    next: end\n\n  - id: end\n',
    )
    before = min_bundle().content.lines["en"]
    after = Bundle.from_story(load_story(story)).content.lines["en"]
    assert {k: after[k] for k in before} == before
    assert set(after) - set(before) == {"chat.wave", "extra.text"}
