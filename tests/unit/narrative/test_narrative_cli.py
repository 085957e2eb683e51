"""`crossroads content ...` commands: output, exit codes, and no tracebacks on bad input."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest

from server.cli_content import main
from tests.unit.narrative.narrative_helpers import STORY_MIN, TWEE, copy_story, edit


def test_lint_clean_story_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    """Linting a clean story prints a summary and exits 0."""
    assert main(["lint", str(STORY_MIN)]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().out


def test_lint_errors_exit_1_with_locations(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Errors are printed as file:line:column lines and the command exits 1."""
    story = copy_story(tmp_path)
    edit(story / "nodes.yaml", "    next: chat", "    next: chatt")
    assert main(["lint", str(story)]) == 1
    out = capsys.readouterr().out
    assert f"{story / 'nodes.yaml'}:10:11: error E111 unknown-target" in out


def test_lint_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """--json prints one JSON document with all diagnostics."""
    story = copy_story(tmp_path)
    edit(story / "locales" / "de.yaml", '  talk.home: "Nach Hause gehen"\n', "")
    assert main(["lint", str(story), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ok"] and data["warnings"] == 1
    assert data["diagnostics"][0]["code"] == "W301"
    assert main(["lint", str(story), "--strict"]) == 1


@pytest.mark.parametrize(
    "content",
    [b"\xff\xfe\x00", b"format: [1\n", b"- just\n- a list\n", b"a: &x 1\nb: *x\n"],
)
def test_bad_manifests_never_traceback(
    tmp_path: Path, content: bytes, capsys: pytest.CaptureFixture[str]
) -> None:
    """Malformed files get a located error message and exit 1."""
    (tmp_path / "story.yaml").write_bytes(content)
    assert main(["lint", str(tmp_path)]) == 1
    out = capsys.readouterr().out
    assert re.search(re.escape(str(tmp_path / "story.yaml")) + r":\d+:\d+: error E\d{3}", out)
    assert "Traceback" not in out


def test_autoplay_reports_coverage(capsys: pytest.CaptureFixture[str]) -> None:
    """Autoplay prints node/choice coverage and endings, exit 0 when nothing failed."""
    assert main(["autoplay", str(STORY_MIN), "--runs", "20", "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert "nodes visited: 5/5 (100%)" in out and "endings reached: home (20)" in out
    assert main(["autoplay", str(STORY_MIN), "--exhaustive", "--max-depth", "10", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["endings"]["missed"] == []


def test_autoplay_failure_prints_replay_command(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A failing run prints its seed and a command that replays the route."""
    story = copy_story(tmp_path)
    edit(
        story / "nodes.yaml",
        '        text: "Go home"\n        to: end\n',
        '        text: "Go home"\n        if: "trust >= 99"\n        to: end\n',
    )
    edit(story / "nodes.yaml", '        if: "trust >= 2"\n        to: end', "        to: chat")
    assert main(["autoplay", str(story), "--runs", "1", "--seed", "9", "--max-steps", "30"]) == 1
    out = capsys.readouterr().out
    assert "FAIL seed 9: no ending after 30 steps" in out
    route = out.split("--route '")[1].split("'")[0]
    assert main(["autoplay", str(story), "--route", route]) == 0
    assert "replayed" in capsys.readouterr().out


def test_test_command_runs_routes(capsys: pytest.CaptureFixture[str]) -> None:
    """`content test` runs the manifest's route plans."""
    assert main(["test", str(STORY_MIN)]) == 0
    assert "2 passed, 0 failed" in capsys.readouterr().out


def test_bundle_prints_hash_and_writes_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`content bundle` prints the SHA-256 of exactly the bytes it writes."""
    out_file = tmp_path / "b.json"
    assert main(["bundle", str(STORY_MIN), "--out", str(out_file)]) == 0
    printed = capsys.readouterr().out.strip().splitlines()[-1]
    assert printed == hashlib.sha256(out_file.read_bytes()).hexdigest()


def test_bundle_of_broken_story_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A story with errors is never bundled."""
    story = copy_story(tmp_path)
    edit(story / "nodes.yaml", "    next: chat", "    next: chatt")
    assert main(["bundle", str(story)]) == 1
    assert "E111" in capsys.readouterr().err


def test_extract_and_translate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """extract writes a .pot; translate exports and re-imports a .po into the table."""
    story = copy_story(tmp_path)
    assert main(["extract", str(story), "--out", str(tmp_path / "s.pot")]) == 0
    assert (tmp_path / "s.pot").read_text(encoding="utf-8").count('msgctxt "') == 30
    po = tmp_path / "de.po"
    assert main(["translate", str(story), "--locale", "de", "--to-po", str(po)]) == 0
    assert main(["translate", str(story), "--locale", "de", "--po", str(po), "--write"]) == 0
    assert "30/30 lines translated" in capsys.readouterr().out
    assert main(["translate", str(story), "--locale", "fr", "--po", str(po)]) == 1


def test_import_twee_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """import-twee writes a story and lists every construct it did not convert."""
    out = tmp_path / "imported"
    assert main(["import-twee", str(TWEE / "sugarcube_football.twee"), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "imported SugarCube story 'Away Game': 8 nodes" in text
    assert "NOT converted" in text and (out / "import-report.txt").is_file()
    assert main(["lint", str(out)]) == 0
    assert main(["import-twee", str(TWEE / "sugarcube_football.twee"), "--out", str(out)]) == 1
    assert main(["import-twee", str(tmp_path / "missing.twee"), "--out", str(tmp_path / "o")]) == 1


def test_ids_command(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`content ids` lists missing choice ids (exit 1) and --write inserts them."""
    story = copy_story(tmp_path)
    edit(story / "nodes.yaml", "      - id: music\n        text", "      - text")
    assert main(["ids", str(story)]) == 1
    assert "(derived: c2)" in capsys.readouterr().out
    assert main(["ids", str(story), "--write"]) == 0
    assert main(["ids", str(story)]) == 0


@pytest.mark.parametrize(
    "command",
    [
        "lint",
        "autoplay",
        "test",
        "extract",
        "translate",
        "import-twee",
        "bundle",
        "ids",
        "stats",
        "new",
    ],
)
def test_every_command_has_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    """Each command explains itself with --help."""
    with pytest.raises(SystemExit) as info:
        main([command, "--help"])
    assert info.value.code == 0
    assert "usage: crossroads content " + command in capsys.readouterr().out


def test_commands_are_wired_into_the_crossroads_cli(capsys: pytest.CaptureFixture[str]) -> None:
    """`crossroads content lint` works through the main command line too."""
    from server.cli import main as crossroads_main

    assert crossroads_main(["content", "lint", str(STORY_MIN)]) == 0
    assert "0 errors, 0 warnings" in capsys.readouterr().out


def test_bundle_refuses_a_story_with_lint_errors(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A story that loads but has a dead end is not bundled for review."""
    story = copy_story(tmp_path)
    edit(story / "nodes.yaml", "    ending: home\n", "    next: start\n")
    assert main(["bundle", str(story)]) == 1
    assert "E203" in capsys.readouterr().err


def test_stats_command(capsys: pytest.CaptureFixture[str]) -> None:
    """`content stats` prints the reviewer summary, or JSON with --json."""
    assert main(["stats", str(STORY_MIN)]) == 0
    assert "help points: 1 (talk)" in capsys.readouterr().out
    assert main(["stats", str(STORY_MIN), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["endings"] == {"home": "end"}


def test_new_story_template_is_complete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`content new` writes a story that lints without errors and passes its route test."""
    story = tmp_path / "mine"
    argv = ["new", str(story), "--id", "mine", "--title", "Mine", "--locales", "en,de"]
    assert main(argv) == 0
    assert main(["lint", str(story)]) == 0
    out = capsys.readouterr().out
    assert "0 errors, 1 warning" in out and "'de' has an empty table" in out
    assert main(["test", str(story)]) == 0
    assert main(["autoplay", str(story), "--exhaustive"]) == 0
    assert main(argv) == 1  # never overwrites
    assert main(["new", str(tmp_path / "x"), "--id", "bad id", "--title", "T"]) == 1
