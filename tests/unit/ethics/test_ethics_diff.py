"""The board reads a node-level diff per locale between the published and proposed bundle."""

from __future__ import annotations

from pathlib import Path

from ethics.diff import BundleDiff, diff_bundles
from tests.unit.ethics.story_variants import make_bundle


def test_first_proposal_shows_everything_added(tmp_path: Path) -> None:
    """Without a published bundle every node is listed as added."""
    new = make_bundle(tmp_path)
    diff = diff_bundles(None, new)
    kinds = {(c.kind, c.section, c.id) for c in diff.locales["en"]}
    assert ("added", "node", "chat") in kinds and ("added", "offer", "offer.main") in kinds
    assert diff.old_hash is None and diff.new_hash == new.sha256


def test_changed_line_shows_old_and_new_text_in_its_locale(tmp_path: Path) -> None:
    """A changed English line appears in the English diff with old and new text."""
    old = make_bundle(tmp_path)
    new = make_bundle(tmp_path, {"nodes.yaml": [("Kind of weird, right?", "Strange, no?")]})
    diff = diff_bundles(old, new)
    (change,) = diff.locales["en"]
    assert (change.kind, change.section, change.id) == ("changed", "node", "group")
    (field,) = change.fields
    assert field.name == "text"
    assert field.old is not None and "Kind of weird" in field.old
    assert field.new is not None and "Strange, no?" in field.new
    assert diff.locales["de"] == []  # the German text did not change
    assert diff.summary() == {"added": 0, "removed": 0, "changed": 1}


def test_changed_route_is_visible(tmp_path: Path) -> None:
    """Changing where a choice leads shows in the choice's rendering."""
    old = make_bundle(tmp_path)
    new = make_bundle(
        tmp_path,
        {
            "nodes.yaml": [
                (
                    '        text: "Change the subject"\n        to: chat',
                    '        text: "Change the subject"\n        to: talk',
                )
            ]
        },
    )
    change = next(c for c in diff_bundles(old, new).locales["de"] if c.id == "group")
    field = next(f for f in change.fields if f.name == "choice back_to_chat")
    assert field.old is not None and field.old.endswith("-> chat")
    assert field.new is not None and field.new.endswith("-> talk")


def test_identical_bundles_have_an_empty_diff(tmp_path: Path) -> None:
    """Proposing the published bundle again shows no change."""
    a, b = make_bundle(tmp_path), make_bundle(tmp_path)
    assert diff_bundles(a, b).empty


def test_diff_round_trips_through_json(tmp_path: Path) -> None:
    """A stored diff reads back identically."""
    old = make_bundle(tmp_path)
    new = make_bundle(
        tmp_path, {"service.yaml": [('not_now: "Not now"', 'not_now: "Maybe later"')]}
    )
    diff = diff_bundles(old, new)
    again = BundleDiff.from_dict(diff.to_dict())
    assert again.to_dict() == diff.to_dict()
    assert again.locales["en"][0].section == "offer"


def test_three_way_view_flags_what_a_stale_proposal_would_undo(tmp_path: Path) -> None:
    """A fix published since is 'theirs' (the proposal would undo it); both edits: conflict."""
    from ethics.diff import three_way

    album = "Hey, did you hear the new album?"
    weird = "Kind of weird, right?"
    old = make_bundle(tmp_path)
    fix = make_bundle(tmp_path, {"nodes.yaml": [(album, "Hey, heard the new record?")]})
    ours = make_bundle(
        tmp_path,
        {"nodes.yaml": [(weird, "Strange, no?"), (album, "Hey, the album, heard it?")]},
    )
    view = three_way(old, ours, fix)
    states = {(i.section, i.state) for i in view if i.locale == "en"}
    assert ("node", "conflict") in states
    only_ours = make_bundle(tmp_path, {"nodes.yaml": [(weird, "Strange, no?")]})
    view = three_way(old, only_ours, fix)
    by_state = {i.state for i in view if i.locale == "en"}
    assert by_state == {"ours", "theirs"}
    assert all(i.flagged == (i.state != "ours") for i in view)
    assert three_way(old, fix, fix) == []


def test_scenery_changes_show_in_the_review_diff(tmp_path: Path) -> None:
    """Moving a node to another place or redrawing a portrait is a change the board sees."""
    from game.narrative import Bundle, load_story
    from tests.unit.narrative.narrative_helpers import copy_story, edit

    def bundle(place: str, colour: str) -> Bundle:
        story = copy_story(tmp_path / f"{place}-{colour}")
        (story / "scenery.yaml").write_text(
            f"settings:\n  default: {{place: {place}, time: day}}\ncharacters:\n  sam:\n"
            f'    description: "Sam: a {colour} fox avatar."\n'
            f"    look: {{kind: avatar, figure: fox, colour: {colour}}}\n",
            encoding="utf-8",
        )
        edit(story / "story.yaml", "  - service.yaml\n", "  - service.yaml\n  - scenery.yaml\n")
        return Bundle.from_story(load_story(story))

    diff = diff_bundles(bundle("street", "purple"), bundle("kitchen", "orange"))
    changes = {(c.section, c.id): c for c in diff.locales["en"]}
    start = {f.name: (f.old, f.new) for f in changes[("node", "start")].fields}
    assert start["setting"] == ("street, day, clear", "kitchen, day, clear")
    sam = {f.name: (f.old, f.new) for f in changes[("character", "sam")].fields}
    assert "colour: orange" in sam["portrait"][1] and "orange fox" in sam["description"][1]
