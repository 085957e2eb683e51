"""Autoplay, route tests, translation round trips and the id fixer."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from game.narrative import Bundle, ContentSchemaError, load_story
from game.narrative.autoplay import play_exhaustive, play_random, replay
from game.narrative.exceptions import ChoiceNotAvailable, RouteTestError
from game.narrative.ids import find_missing_ids, insert_ids
from game.narrative.lint import lint_path
from game.narrative.routetest import collect_route_tests, load_plan, run_route_tests
from game.narrative.translate import export_po, extract_pot, import_po, write_table
from tests.unit.narrative.narrative_helpers import STORY_MIN, copy_story, edit, min_bundle

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


def test_random_autoplay_covers_the_example_story() -> None:
    """Random playthroughs visit every node and choice and reach the ending."""
    report = play_random(min_bundle(), runs=60, seed=3)
    assert report.ok and report.runs == 60
    assert report.nodes_seen == report.nodes_total
    assert report.choices_taken == report.choices_total
    assert set(report.endings_reached) == {"home"} and not report.endings_missed
    assert report.help_points_seen == {"talk"}
    assert min(report.lengths) == 4 and max(report.lengths) > 4


def test_random_autoplay_is_reproducible_by_seed() -> None:
    """The same seed plays the same routes, so failures can be replayed."""
    a = play_random(min_bundle(), runs=5, seed=42).to_json()
    b = play_random(min_bundle(), runs=5, seed=42).to_json()
    assert a == b


def test_exhaustive_autoplay_finds_every_ending() -> None:
    """Bounded exhaustive play reaches every ending and reports paths cut off by depth."""
    report = play_exhaustive(min_bundle(), max_depth=8)
    assert report.ok and not report.endings_missed and report.states > 0
    shallow = play_exhaustive(min_bundle(), max_depth=2)
    assert shallow.endings_missed == {"home"} and shallow.cut_off > 0


def test_failures_carry_seed_and_route(tmp_path: Path) -> None:
    """A playthrough that loops forever is reported with its seed and the route to replay."""
    story = copy_story(tmp_path)
    # a loop the linter cannot see: the exit needs trust >= 99, which is never reached
    edit(
        story / "nodes.yaml",
        '        text: "Go home"\n        to: end\n',
        '        text: "Go home"\n        if: "trust >= 99"\n        to: end\n',
    )
    edit(story / "nodes.yaml", '        if: "trust >= 2"\n        to: end', "        to: chat")
    bundle = Bundle.from_story(load_story(story))
    report = play_random(bundle, runs=3, seed=7, max_steps=50)
    assert not report.ok
    failure = report.failures[0]
    assert failure.seed == 7 and failure.route and "no ending after 50 steps" in str(failure)
    assert "seed 7" in str(failure) and ",".join(failure.route) in str(failure)
    engine = replay(bundle, [s for s in failure.route])
    assert engine.node.id == failure.node


def test_replay_of_an_impossible_route_fails_clearly() -> None:
    """Replaying a route with a choice that is not available says so."""
    with pytest.raises(ChoiceNotAvailable, match="'again'"):
        replay(min_bundle(), ["next", "again"])


def test_route_tests_of_the_example_story_pass() -> None:
    """The example story's scripted routes all pass."""
    results = run_route_tests(STORY_MIN)
    assert len(results) == 2 and all(r.ok for r in results)


def test_failing_route_names_step_and_location(tmp_path: Path) -> None:
    """A failing route says which step failed, where, and the route so far."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(
        "tests:\n  - name: wrong turn\n    steps:\n      - choose: next\n"
        "      - expect_node: group\n",
        encoding="utf-8",
    )
    (result,) = run_route_tests(STORY_MIN, [plan])
    assert not result.ok
    assert f"{plan}:5:9" in result.message and "expected node 'group'" in result.message
    assert "route next" in result.message


def test_pytest_collects_route_cases() -> None:
    """collect_route_tests gives one named, runnable case per route for pytest."""
    cases = collect_route_tests(STORY_MIN)
    assert [c.id for c in cases][0] == "routes.yaml::asking Sam leads to the help point"
    for case in cases:
        case.run()


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("tests: 3\n", "needs `tests:`"),
        ("tests:\n  - name: x\n    steps:\n      - jump: a\n", "unknown step 'jump'"),
        ("tests:\n  - name: x\n    steps:\n      - expect_var: 3\n", "expect_var needs"),
        ("tests:\n  - steps: []\n", "needs `name:`"),
        ("tests: [\n", "E004|expected"),
    ],
)
def test_malformed_plans_are_reported(tmp_path: Path, text: str, match: str) -> None:
    """A broken plan file gives a located RouteTestError, not a traceback."""
    plan = tmp_path / "plan.yaml"
    plan.write_text(text, encoding="utf-8")
    with pytest.raises(RouteTestError, match=match):
        load_plan(plan)


def test_extract_writes_a_pot_with_line_ids_as_context(tmp_path: Path) -> None:
    """The template lists every source line once, with its line id and source location."""
    story = load_story(STORY_MIN)
    out = tmp_path / "story.pot"
    count = extract_pot(story, out, NOW)
    with out.open("rb") as fh:
        catalog = read_po(fh)
    messages = {m.context: m for m in catalog if m.id}
    assert count == len(messages) == len(story.content.lines["en"])
    assert messages["chat.ask"].id == "Ask Sam about the group chat"
    assert messages["chat.ask"].string == ""


def test_po_round_trip_keeps_the_german_table(tmp_path: Path) -> None:
    """Exporting German to .po and importing it back gives the same table."""
    story = load_story(STORY_MIN)
    po = tmp_path / "de.po"
    assert export_po(story, "de", po, NOW) == len(story.content.lines["de"])
    table, notes = import_po(story, "de", po)
    assert notes == [] and table == story.content.lines["de"]


def test_translated_po_updates_the_table_and_lint(tmp_path: Path) -> None:
    """A translator's .po is written into locales/de.yaml; untranslated lines become warnings."""
    story_dir = copy_story(tmp_path)
    story = load_story(story_dir)
    po = tmp_path / "de.po"
    export_po(story, "de", po, NOW)
    text = po.read_text(encoding="utf-8")
    text = text.replace('msgstr "Nach Hause gehen"', 'msgstr "Heimgehen"')
    text = text.replace('msgstr "Jetzt nicht"', 'msgstr ""')
    po.write_text(text, encoding="utf-8")
    table, _notes = import_po(story, "de", po)
    write_table(story, "de", table)
    again = load_story(story_dir)
    assert again.content.text("talk.home", "de") == "Heimgehen"
    assert again.content.text("offer.main.not_now", "de") == "Not now"
    codes = [d for d in lint_path(story_dir).diagnostics if d.code == "W301"]
    assert len(codes) == 1 and "offer.main.not_now" in codes[0].message


def test_import_po_rejects_the_source_locale(tmp_path: Path) -> None:
    """Translations can only be imported into a target locale."""
    from game.narrative.translate import TranslationError

    with pytest.raises(TranslationError, match="not a target locale"):
        import_po(load_story(STORY_MIN), "en", tmp_path / "x.po")


def test_id_fixer_inserts_the_derived_ids(tmp_path: Path) -> None:
    """`content ids --write` makes implicit ids explicit without changing any line id."""
    story_dir = copy_story(tmp_path)
    edit(story_dir / "nodes.yaml", "      - id: music\n        text", "      - text")
    edit(
        story_dir / "nodes.yaml",
        '      - id: home\n        text: "Go home"\n        to: end',
        '      - {text: "Go home", to: end}',
    )
    before = Bundle.from_story(load_story(story_dir))
    missing = find_missing_ids(load_story(story_dir))
    assert [(m.node, m.choice_id) for m in missing] == [("chat", "c2"), ("talk", "c1")]
    insert_ids(missing)
    after = load_story(story_dir)
    assert find_missing_ids(after) == [] and not after.warnings
    assert [c.id for c in after.nodes["chat"].choices] == ["ask", "c2", "again"]
    assert Bundle.from_story(after).sha256 == before.sha256


def test_load_story_refuses_dangling_targets(tmp_path: Path) -> None:
    """load_story (used by the game and server) refuses a story with a broken link."""
    story_dir = copy_story(tmp_path)
    edit(story_dir / "nodes.yaml", "    next: chat", "    next: chatt")
    with pytest.raises(ContentSchemaError, match="E111"):
        load_story(story_dir)


def test_new_locale_starts_without_a_table(tmp_path: Path) -> None:
    """Adding a language to `locales:` loads with one warning until its table exists."""
    story_dir = copy_story(tmp_path)
    edit(story_dir / "story.yaml", "locales: [en, de]", "locales: [en, de, fr]")
    edit(
        story_dir / "service.yaml",
        "  de:\n",
        "  fr:\n    - {name: SOS, phone: '', url: '', hours: '', description: Aide}\n  de:\n",
    )
    story = load_story(story_dir)
    warnings = [d for d in lint_path(story_dir).diagnostics if d.code == "W301"]
    assert len(warnings) == 1 and "'fr' has no translation table" in warnings[0].message
    po = tmp_path / "fr.po"
    export_po(story, "fr", po, NOW)
    po.write_text(
        po.read_text(encoding="utf-8").replace(
            'msgid "Not now"\nmsgstr ""', 'msgid "Not now"\nmsgstr "Pas maintenant"'
        ),
        encoding="utf-8",
    )
    table, _ = import_po(story, "fr", po)
    path = write_table(story, "fr", table)
    assert path == story_dir / "locales" / "fr.yaml"
    assert 'offer.main.not_now: "Pas maintenant"' in path.read_text(encoding="utf-8")


def test_stats_summarise_the_story_for_reviewers() -> None:
    """Stats list endings, help points, content warnings, word counts and reading time."""
    from game.narrative.stats import story_stats

    stats = story_stats(min_bundle(), runs=30)
    assert stats.nodes == 5 and stats.choices == 9
    assert stats.endings == {"home": "end"} and stats.help_points == ["talk"]
    assert stats.consent_points == ["talk"]
    assert stats.content_warnings == {"bullying": ["group"]}
    assert stats.translated == {"en": 1.0, "de": 1.0}
    assert stats.words["en"] > 100 and stats.words["de"] > 100
    assert stats.playthrough_screens[0] == 5 and stats.playthrough_minutes[1] > 0
    assert any(line.startswith("one playthrough: 5-") for line in stats.lines())
