"""Lint: one small broken story per diagnostic, and the report formats authors see."""

from __future__ import annotations

from pathlib import Path

import pytest

from game.narrative.diagnostics import CODES
from game.narrative.lint import lint_path
from tests.unit.narrative.narrative_helpers import STORY_MIN, copy_story, edit

N = "nodes.yaml"
S = "story.yaml"
SV = "service.yaml"
DE = "locales/de.yaml"

# code -> edits that produce it (file, old, new)
SHEET = (
    '\ncharacters:\n  sam:\n    description: "{text}"\n'
    "    look: {{kind: avatar, figure: fox, colour: purple}}\n"
)
CASES: dict[str, list[tuple[str, str, str]]] = {
    "E001": [(S, "  - service.yaml", "  - services.yaml")],
    "E004": [(N, "    next: chat", "    next: chat: now")],
    "E005": [(N, '"Continue"', '&c "Continue"')],
    "E006": [(N, "    next: chat\n", "    next: chat\n    next: group\n")],
    "E101": [(N, "    ending: home", "    ending: [home]")],
    "E102": [
        (
            N,
            "  - id: end\n    ending: home\n",
            "  - id: end\n    ending: home\n    speaker: sam\n  - id: stray\n    next: end\n",
        )
    ],
    "E103": [(N, "    ending: home", "    ending: home\n    mood: calm")],
    "E104": [(N, "      - id: weird", "      - id: Weird!")],
    "E105": [(N, "tags: [content_warning:bullying]", "tags: [content_warning:bullying, scary]")],
    "E106": [(N, "      - id: music", "      - id: ask")],
    "E107": [(N, 'if: "trust >= 2"', 'if: "trust >>= 2"')],
    "E108": [(N, 'if: "trust >= 2"', "if: \"trust >= '2'\"")],
    "E109": [(N, 'if: "trust >= 2"', 'if: "trsut >= 2"')],
    "E110": [(N, "visits(chat)", "visits(chatt)")],
    "E111": [(N, "        to: end\n      - id: thanks", "        to: the_end\n      - id: thanks")],
    "E112": [(N, "    speaker: kim", "    speaker: dana")],
    "E113": [(N, "    offer: offer.main", "    offer: offer.other")],
    "E114": [(N, "replaces: [old_talk]", "replaces: [chat]")],
    "E115": [(SV, "  de:\n    - name", "  fr:\n    - name")],
    "E116": [(N, "content_warning:bullying", "content_warning:violence")],
    "E117": [(N, '"Go home"', '"Go home, {name}"')],
    "E118": [(DE, "locale: de", "locale: fr")],
    "E201": [
        (
            N,
            '      - id: home\n        text: "Go home"\n        to: end\n'
            '      - id: thanks\n        text: "Thank Sam for being honest"\n'
            '        if: "trust >= 2"\n        to: end\n',
            "",
        )
    ],
    "E202": [
        (N, "tags: [help_point, consent_point]", "tags: [consent_point]"),
        (N, "    offer: offer.main\n", ""),
    ],
    "E203": [(N, "    ending: home\n", "    next: start\n")],
    "E204": [
        (N, "        to: end\n      - id: thanks", "        to: chat\n      - id: thanks"),
        (
            N,
            '        if: "trust >= 2"\n        to: end',
            '        if: "trust >= 2"\n        to: chat',
        ),
    ],
    "E205": [(S, '  kim: "Kim"', '  kim: "Kim (counsellor)"')],
    "W110": [(N, "      - id: music\n", "      -\n")],
    "W201": [
        (
            N,
            "  - id: end\n",
            '  - id: lost\n    text: "Nobody comes here."\n    next: end\n\n  - id: end\n',
        )
    ],
    "W202": [(S, "variables:\n", "variables:\n  spare: {type: bool, default: false}\n")],
    "W203": [
        (N, '        if: "trust >= 2"', '        if: "visits(ghost) > 0"'),
        (N, "  - id: end\n", '  - id: ghost\n    text: "Boo."\n    next: end\n\n  - id: end\n'),
    ],
    "W204": [(N, '        if: "trust >= 2"', '        if: "trust >= 2 or true"')],
    "W205": [(N, "    ending: home\n", "    ending: home\n    next: start\n")],
    "W206": [(N, '      - id: home\n        text: "Go home"\n        to: end\n', "")],
    "W207": [
        (
            N,
            "  - id: chat\n    speaker: sam\n",
            "  - id: chat\n    speaker: sam\n    tags: [help_point]\n",
        )
    ],
    "W301": [(DE, '  talk.home: "Nach Hause gehen"\n', "")],
    "W302": [
        (
            DE,
            '  talk.home: "Nach Hause gehen"\n',
            '  talk.home: "Nach Hause gehen"\n  talk.gone: "Weg"\n',
        )
    ],
    "W401": [(N, '"Go home"', '"' + "Go home " * 20 + '"')],
    "E119": [(N, "\nnodes:\n", "\nsettings:\n  default: {place: moon, time: day}\nnodes:\n")],
    "W501": [
        (N, "\nnodes:\n", "\nsettings:\n  default: {place: street, time: day}\nnodes:\n"),
        (N, "      Rain again.", "      It's 1 am. Rain again."),
    ],
    "W502": [(N, "\nnodes:\n", SHEET.format(text="Sam from the club") + "nodes:\n")],
    "W503": [(N, "\nnodes:\n", SHEET.format(text="Sam's avatar: a purple fox") + "nodes:\n")],
}

UNTESTED_HERE = {"E002", "E003"}  # covered in test_narrative_loader (need byte-level files)


def test_every_code_has_a_case() -> None:
    """Each documented diagnostic code is exercised by a fixture here or in the loader tests."""
    assert set(CODES) == set(CASES) | UNTESTED_HERE


def test_example_story_is_clean() -> None:
    """The example story has no errors and no warnings."""
    report = lint_path(STORY_MIN)
    assert report.ok and report.diagnostics == []


@pytest.mark.parametrize("code", sorted(CASES))
def test_each_diagnostic_is_reported(tmp_path: Path, code: str) -> None:
    """A story with one specific mistake gets that diagnostic with a file location."""
    story = copy_story(tmp_path)
    for rel, old, new in CASES[code]:
        edit(story / rel, old, new)
    report = lint_path(story)
    found = [d for d in report.diagnostics if d.code == code]
    assert found, [str(d) for d in report.diagnostics]
    assert all(d.severity == CODES[code][1] for d in found)
    located = [d for d in found if d.location is not None and d.location.file]
    assert located, f"{code} has no location"
    assert report.ok == (not report.errors)


def test_json_report_is_machine_readable(tmp_path: Path) -> None:
    """--json output carries code, name, severity and file:line:column for each finding."""
    story = copy_story(tmp_path)
    edit(story / N, "      - id: weird", "      - id: Weird!")
    data = lint_path(story).to_json()
    assert data["ok"] is False and data["errors"] >= 1
    first = data["diagnostics"][0]
    assert set(first) == {"code", "name", "severity", "message", "file", "line", "column"}
    assert first["code"] == "E104" and first["name"] == "bad-id" and first["line"] > 0


def test_diagnostics_print_as_file_line_column(tmp_path: Path) -> None:
    """The text form starts with file:line:column so editors can jump to it."""
    story = copy_story(tmp_path)
    edit(
        story / N, "        to: end\n      - id: thanks", "        to: the_end\n      - id: thanks"
    )
    line = str(next(d for d in lint_path(story).diagnostics if d.code == "E111"))
    assert line.startswith(f"{story / N}:")
    assert "error E111 unknown-target" in line and "'the_end'" in line


def test_trap_cycle_names_the_looping_nodes(tmp_path: Path) -> None:
    """A loop without an exit is an error naming the nodes involved."""
    story = copy_story(tmp_path)
    for rel, old, new in CASES["E204"]:
        edit(story / rel, old, new)
    messages = [d.message for d in lint_path(story).diagnostics if d.code == "E204"]
    assert any("'talk'" in m for m in messages) and any("'chat'" in m for m in messages)


def test_bounds_of_counters_decide_conditions(tmp_path: Path) -> None:
    """A counter that only ever goes up can never be below its start value."""
    story = copy_story(tmp_path)
    edit(story / N, 'if: "trust >= 2"', 'if: "trust < 0"')
    found = [d for d in lint_path(story).diagnostics if d.code == "W203"]
    assert found and "'trust < 0'" in found[0].message
    edit(story / N, 'if: "trust < 0"', 'if: "trust >= 0"')
    assert "W204" in lint_path(story).codes()


def test_unreachable_help_point_is_an_error(tmp_path: Path) -> None:
    """A help point nobody can reach does not count as a help point."""
    story = copy_story(tmp_path)
    nodes = story / N
    nodes.write_text(nodes.read_text(encoding="utf-8").replace("to: talk\n", "to: end\n"))
    report = lint_path(story)
    assert any(d.code == "E202" and "reached" in d.message for d in report.diagnostics)


def test_visits_of_the_current_node_are_at_least_one(tmp_path: Path) -> None:
    """`visits(here) == 0` on a choice of node `here` can never hold, and lint says so."""
    story = copy_story(tmp_path)
    edit(story / N, 'if: "asked_sam and visits(chat) >= 2"', 'if: "visits(chat) == 0"')
    found = [d for d in lint_path(story).diagnostics if d.code == "W203"]
    assert found and "visits(chat) == 0" in found[0].message
    edit(story / N, 'if: "visits(chat) == 0"', 'if: "visited(chat)"')
    assert "W204" in lint_path(story).codes()
