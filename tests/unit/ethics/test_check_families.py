"""The rule families find deception and pressure by kind, in English and German, with spans."""

from __future__ import annotations

from pathlib import Path

import pytest

from ethics.checks import CheckConfig, Snippet, UnknownRole, check_snippet, run_checks
from game.narrative import Bundle, load_story
from tests.unit.ethics.corpus import LABELLED, found, load, score
from tests.unit.ethics.story_variants import make_bundle

CONFIG = CheckConfig.default()
STORY = Path(__file__).resolve().parents[3] / "assets" / "story"


def families(locale: str, role: str, text: str, accept: str | None = None) -> set[str]:
    return {f.family for f in check_snippet(Snippet(locale, role, text, "n", accept), CONFIG)}


@pytest.mark.parametrize(
    ("locale", "role", "text", "family"),
    [
        ("en", "offer", "just another kid on Kickline like you", "false_persona"),
        ("de", "offer", "auch nur ein Kickline-Spieler wie du", "false_persona"),
        ("en", "offer", "Only 2 minutes left to talk!", "time_pressure"),
        ("de", "offer", "Nur noch 2 Minuten zum Reden!", "time_pressure"),
        ("en", "offer", "If you say no you will regret it", "threat_guilt"),
        ("de", "offer", "Wenn du nein sagst, wirst du es bereuen", "threat_guilt"),
        ("en", "offer", "our assistant bot, not a human", "hedged_humanity"),
        ("en", "decline", "No, I'll stay lost and alone", "asymmetric_choice"),
        (
            "en",
            "disclosure",
            "made by players like you. {organisation} only provides the servers",
            "disclosure_weakening",
        ),
        ("en", "offer", "someone is waiting for you right now", "unbacked_availability"),
        ("en", "story", "Hi, I'm Dan, a counsellor here.", "fiction_as_service"),
    ],
)
def test_the_issue_examples_are_found(locale: str, role: str, text: str, family: str) -> None:
    """Each example that once passed with zero findings is now reported by its family."""
    assert family in families(locale, role, text)


@pytest.mark.parametrize(
    ("locale", "text"),
    [
        ("en", "There is no time limit."),
        ("en", "You can leave at any time."),
        ("en", "A trained human counsellor answers, never a bot."),
        ("en", "It's not your fault."),
        ("de", "Es gibt kein Zeitlimit."),
        ("de", "Du kannst jederzeit gehen."),
        ("de", "Eine ausgebildete Fachkraft antwortet, niemals ein Bot."),
    ],
)
def test_hard_negatives_pass(locale: str, text: str) -> None:
    """Honest wording that shares words with manipulation is not reported."""
    assert families(locale, "offer", text) == set()


def test_a_finding_names_family_locale_node_and_span() -> None:
    """A finding points at the exact characters an author has to change."""
    text = "Talk to us. Only 2 minutes left to talk!"
    (finding,) = check_snippet(Snippet("en", "offer", text, "offer.main.body"), CONFIG)
    where = (finding.family, finding.locale, finding.node)
    assert where == ("time_pressure", "en", "offer.main.body")
    assert text[finding.start : finding.end] == finding.excerpt == "Only 2 minutes left"


def test_spans_survive_text_that_changes_length_when_normalised() -> None:
    """Ligatures and curly apostrophes before a match do not shift its span."""
    text = "Oﬃce note \u2014 you\u2019ll regret it."
    (finding,) = check_snippet(Snippet("en", "offer", text), CONFIG)
    assert text[finding.start : finding.end] == "you\u2019ll regret"


def test_story_lines_get_warnings_for_pressure_not_errors() -> None:
    """A recruiter's pressure in the story is a warning for the board; in the offer, an error."""
    story = check_snippet(Snippet("en", "story", "Last chance, now or never."), CONFIG)
    offer = check_snippet(Snippet("en", "offer", "Last chance, now or never."), CONFIG)
    assert {f.severity for f in story} == {"warning"}
    assert {f.severity for f in offer} == {"error"}


def test_decline_longer_or_quieter_than_accept_is_asymmetric() -> None:
    """A decline much longer than, or quieter than, the accept label is reported."""
    long = "No thank you, I think I would rather keep going with the story for now"
    assert "asymmetric_choice" in families("en", "decline", long, "Yes")
    assert "asymmetric_choice" in families("en", "decline", "Not now", "YES, TALK NOW!")
    assert families("en", "decline", "Not now", "Yes, I'd like to talk") == set()


def test_unknown_role_is_refused() -> None:
    """A role that does not exist is the caller's error, not an empty result."""
    with pytest.raises(UnknownRole, match="offer"):
        check_snippet(Snippet("en", "banner", "hi"), CONFIG)


@pytest.mark.parametrize("locale", ["en", "de"])
def test_corpus_has_enough_snippets_with_hard_negatives(locale: str) -> None:
    """The corpus has at least 150 snippets per language, a fifth of them honest."""
    items = load(locale)
    assert len(items) >= 150
    assert sum(not i.expected for i in items) >= 30
    for family in LABELLED:
        assert sum(family in i.expected for i in items) >= 10, family


@pytest.mark.parametrize("locale", ["en", "de"])
@pytest.mark.parametrize("family", LABELLED)
def test_family_meets_recall_and_false_positive_goal(locale: str, family: str) -> None:
    """Each family finds at least 95% of its snippets with at most 5% false positives."""
    s = score(load(locale), CONFIG)[family]
    assert s.recall >= 0.95, (s.hits, s.positives)
    assert s.fp_rate <= 0.05, (s.false_positives, s.negatives)


@pytest.mark.parametrize("locale", ["en", "de"])
def test_honest_corpus_snippets_have_no_findings(locale: str) -> None:
    """Every snippet labelled honest passes with no finding at all."""
    noisy = [i.snippet.text for i in load(locale) if not i.expected and found(i, CONFIG)]
    assert noisy == []


def test_the_issue_bundle_fails_where_it_once_passed(tmp_path: Path) -> None:
    """The bundle that was published with zero findings now fails on every planted example."""
    bundle = make_bundle(
        tmp_path,
        {
            "service.yaml": [
                (
                    "This service is run by {organisation}. A trained human counsellor answers, "
                    "not a bot.",
                    "just another kid on Kickline like you. {organisation}: our assistant bot, "
                    "not a human. Only 2 minutes left to talk! If you say no you will regret it.",
                ),
                ('not_now: "Not now"', 'not_now: "No, I\'ll stay lost and alone"'),
                ('title: "Talk to a real person"', 'title: "Talk to us"'),
                (
                    'who_runs: "This game is made by {organisation}."',
                    'who_runs: "made by players like you, {organisation} only provides the '
                    'servers"',
                ),
            ],
            "locales/de.yaml": [
                (
                    "Dieses Angebot wird von {organisation} betrieben.",
                    "auch nur ein Kickline-Spieler wie du, {organisation}. Nur noch 2 Minuten "
                    "zum Reden! Wenn du nein sagst, wirst du es bereuen.",
                )
            ],
        },
    )
    errors = {(r.id, r.location) for r in run_checks(bundle, CONFIG) if r.severity == "error"}
    for expected in [
        ("false_persona", "en:offer.main.body"),
        ("hedged_humanity", "en:offer.main.body"),
        ("offer_says_human", "en:offer.main.body"),
        ("time_pressure", "en:offer.main.body"),
        ("threat_guilt", "en:offer.main.body"),
        ("asymmetric_choice", "en:offer.main.not_now"),
        ("disclosure_weakening", "en:disclosure.who_runs"),
        ("false_persona", "de:offer.main.body"),
        ("time_pressure", "de:offer.main.body"),
        ("threat_guilt", "de:offer.main.body"),
    ]:
        assert expected in errors


def test_offer_without_its_funder_slot_fails(tmp_path: Path) -> None:
    """An offer body that drops the {funder} slot is an error: the slot is not optional."""
    bundle = make_bundle(
        tmp_path,
        {
            "service.yaml": [(" Funded by {funder}.", "")],
            "locales/de.yaml": [(" Gefördert von {funder}.", "")],
        },
    )
    errors = {(r.id, r.location) for r in run_checks(bundle, CONFIG) if r.severity == "error"}
    assert ("offer_slots", "en:offer.main.body") in errors


def test_story_speaker_labelled_as_the_service_fails(tmp_path: Path) -> None:
    """A story character whose name carries a counsellor label is fiction posing as service."""
    bundle = make_bundle(tmp_path, {"story.yaml": [('"Sam"', '"Sam (counsellor)"')]})
    ids = {r.id for r in run_checks(bundle, CONFIG) if r.severity == "error"}
    assert "fiction_as_service" in ids


def test_shipped_story_passes_every_check() -> None:
    """The story the game ships has no finding of any severity."""
    bundle = Bundle.from_story(load_story(STORY))
    assert run_checks(bundle, CONFIG, organisation_name="Exit Network") == []


def test_help_point_spoken_by_a_character_is_a_warning(tmp_path: Path) -> None:
    """A help point voiced by a story character is reported: the offer would wear its face."""
    bundle = make_bundle(
        tmp_path, {"nodes.yaml": [("  - id: talk\n", "  - id: talk\n    speaker: kim\n")]}
    )
    found = {(r.id, r.severity, r.location) for r in run_checks(bundle, CONFIG)}
    assert ("help_point_narrated", "warning", "en:node:talk") in found
