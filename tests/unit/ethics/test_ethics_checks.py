"""Automated transparency checks find deceptive or pressuring content in real bundles."""

from __future__ import annotations

from pathlib import Path

import pytest

from ethics.checks import CHECKS, CheckConfig, run_checks
from ethics.exceptions import EthicsError
from tests.unit.ethics.story_variants import make_bundle

CONFIG = CheckConfig.default()
BODY = "This service is run by {organisation}. A trained human counsellor answers, not a bot."
DE_BODY = "Dieses Angebot wird von {organisation} betrieben."
NO_ORG_DE = [(DE_BODY, "Dieses Angebot wird betrieben.")]


def _ids(results: list, severity: str | None = None) -> set[tuple[str, str]]:  # type: ignore[type-arg]
    return {(r.id, r.location) for r in results if severity in (None, r.severity)}


def test_clean_story_passes(tmp_path: Path) -> None:
    """The honest example story produces no findings."""
    assert run_checks(make_bundle(tmp_path), CONFIG) == []


def test_offer_must_name_organisation(tmp_path: Path) -> None:
    """An offer that hides who runs the service is an error."""
    bundle = make_bundle(
        tmp_path,
        {
            "service.yaml": [(BODY, "A trained human counsellor answers, not a bot.")],
            "locales/de.yaml": NO_ORG_DE,
        },
    )
    results = run_checks(bundle, CONFIG)
    assert ("offer_names_organisation", "en:offer.main.body") in _ids(results, "error")


def test_organisation_name_is_accepted_instead_of_placeholder(tmp_path: Path) -> None:
    """Writing the organisation's real name satisfies the check."""
    bundle = make_bundle(
        tmp_path,
        {
            "service.yaml": [(BODY, "Run by Exit Network. A trained human counsellor answers.")],
            "locales/de.yaml": NO_ORG_DE,
        },
    )
    ids = _ids(run_checks(bundle, CONFIG, organisation_name="Exit Network"))
    assert ("offer_names_organisation", "en:offer.main.body") not in ids


def test_offer_must_say_a_human_answers(tmp_path: Path) -> None:
    """An offer that does not say a human answers is an error."""
    bundle = make_bundle(
        tmp_path,
        {
            "service.yaml": [
                (BODY, "This service is run by {organisation}."),
                ('title: "Talk to a real person"', 'title: "Talk to us"'),
            ]
        },
    )
    assert ("offer_says_human", "en:offer.main.body") in _ids(run_checks(bundle, CONFIG))


def test_shaming_not_now_is_an_error(tmp_path: Path) -> None:
    """A 'not now' worded to shame the player is reported."""
    bundle = make_bundle(
        tmp_path, {"service.yaml": [('not_now: "Not now"', 'not_now: "No, I don\'t need help"')]}
    )
    results = run_checks(bundle, CONFIG)
    assert ("asymmetric_choice", "en:offer.main.not_now") in _ids(results, "error")


def test_pressure_language_in_offer_is_error_in_story_warning(tmp_path: Path) -> None:
    """Urgency in the offer is an error; in story dialogue it is a warning for the board."""
    bundle = make_bundle(
        tmp_path,
        {
            "service.yaml": [('yes: "Yes, I want to talk"', 'yes: "Last chance: talk now"')],
            "nodes.yaml": [("Kind of weird, right?", "Act fast, it's now or never.")],
        },
    )
    results = run_checks(bundle, CONFIG)
    assert ("time_pressure", "en:offer.main.yes") in _ids(results, "error")
    assert ("time_pressure", "en:group.text") in _ids(results, "warning")


def test_german_pressure_words(tmp_path: Path) -> None:
    """The German list catches 'nur noch heute' in the German offer."""
    bundle = make_bundle(
        tmp_path,
        {
            "locales/de.yaml": [
                (
                    'offer.main.yes: "Ja, ich möchte reden"',
                    'offer.main.yes: "Nur noch heute reden!"',
                )
            ]
        },
    )
    assert ("time_pressure", "de:offer.main.yes") in _ids(run_checks(bundle, CONFIG), "error")


def test_counsellor_posing_as_player_is_an_error(tmp_path: Path) -> None:
    """A story character claiming to be a fellow player is reported."""
    bundle = make_bundle(
        tmp_path, {"nodes.yaml": [("Kind of weird, right?", "I'm a player too, trust me.")]}
    )
    assert ("false_persona", "en:group.text") in _ids(run_checks(bundle, CONFIG), "error")


def test_preticked_offer_is_an_error(tmp_path: Path) -> None:
    """A check mark in the offer is reported as pre-selection."""
    bundle = make_bundle(
        tmp_path,
        {"service.yaml": [('yes: "Yes, I want to talk"', 'yes: "[x] Yes, I want to talk"')]},
    )
    assert ("nothing_preselected", "en:offer.main.yes") in _ids(run_checks(bundle, CONFIG))


def test_extremist_code_is_flagged_not_blocked(tmp_path: Path) -> None:
    """A known hate code in a line is a flag that needs acknowledgement, never an error."""
    bundle = make_bundle(
        tmp_path, {"nodes.yaml": [("Kind of weird, right?", "Their profile says 1488. Weird.")]}
    )
    results = run_checks(bundle, CONFIG)
    flags = [r for r in results if r.id == "extremist_code"]
    assert [(r.severity, r.location) for r in flags] == [("flag", "en:group.text")]
    assert "14 words" in flags[0].explanation or "1488" in flags[0].explanation


def test_numbers_inside_other_numbers_are_not_flagged(tmp_path: Path) -> None:
    """'88' inside a longer number such as 1988 is not flagged."""
    bundle = make_bundle(
        tmp_path, {"nodes.yaml": [("Kind of weird, right?", "Born in 1988, like my dad.")]}
    )
    assert not [r for r in run_checks(bundle, CONFIG) if r.id == "extremist_code"]


def test_missing_helpline_text_is_an_error(tmp_path: Path) -> None:
    """A helpline without phone or web address is an error for that locale."""
    bundle = make_bundle(
        tmp_path,
        {
            "service.yaml": [
                ('phone: "+49 30 0000000"', 'phone: ""'),
                ('url: "https://example.org/hilfe"', 'url: ""'),
            ]
        },
    )
    assert ("helplines", "helplines:de[0]") in _ids(run_checks(bundle, CONFIG), "error")


def test_sensitive_topic_without_warning_is_a_warning(tmp_path: Path) -> None:
    """A node mentioning suicide without a content warning tag gets a warning."""
    bundle = make_bundle(
        tmp_path, {"nodes.yaml": [("Tomorrow is another day.", "He talked about suicide.")]}
    )
    assert ("content_warnings", "en:end.text") in _ids(run_checks(bundle, CONFIG), "warning")


def test_every_check_id_is_documented(tmp_path: Path) -> None:
    """Every finding uses a documented check id and a valid severity."""
    bundle = make_bundle(
        tmp_path,
        {
            "nodes.yaml": [("Kind of weird, right?", "HH 88, last chance. I'm a player too.")],
            "service.yaml": [(BODY, "Talk now.")],
            "locales/de.yaml": NO_ORG_DE,
        },
    )
    results = run_checks(bundle, CONFIG)
    assert results
    assert all(r.id in CHECKS and r.severity in ("error", "warning", "flag") for r in results)
    assert all(r.explanation and r.location for r in results)


def test_bad_word_list_is_a_clear_error() -> None:
    """A malformed configuration file is refused with a message naming the list."""
    with pytest.raises(EthicsError, match="pressure"):
        CheckConfig.from_data(["not", "a", "map"], {}, [])
    with pytest.raises(EthicsError, match="slogan"):
        CheckConfig.from_data({}, {}, [{"match": "x"}])
