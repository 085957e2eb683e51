"""``crossroads ethics check-text`` prints findings as JSON for authors and scripts."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.cli import main


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_findings_are_printed_as_json_and_exit_zero(capsys: pytest.CaptureFixture[str]) -> None:
    """A pressuring snippet prints its family and span, and the command still exits 0."""
    code, out, _ = run(
        capsys, "ethics", "check-text", "--locale", "de", "--as", "offer", "Nur noch 2 Minuten!"
    )
    findings = json.loads(out)
    assert code == 0
    assert [(f["family"], f["span"], f["text"]) for f in findings] == [
        ("time_pressure", [0, 18], "Nur noch 2 Minuten")
    ]


def test_honest_text_prints_an_empty_list(capsys: pytest.CaptureFixture[str]) -> None:
    """Honest text prints [] and exits 0."""
    code, out, _ = run(
        capsys, "ethics", "check-text", "--locale", "en", "--as", "offer", "There is no time limit."
    )
    assert (code, json.loads(out)) == (0, [])


def test_decline_is_compared_with_its_accept(capsys: pytest.CaptureFixture[str]) -> None:
    """With --accept, a decline quieter than the accept label is reported."""
    argv = ["ethics", "check-text", "--locale", "en", "--as", "decline", "Not now"]
    code, out, _ = run(capsys, *argv, "--accept", "YES, TALK NOW!")
    assert code == 0
    assert [f["family"] for f in json.loads(out)] == ["asymmetric_choice"]


def test_batch_mode_prints_one_line_per_input_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """--jsonl checks every line, reports a bad line by number and exits 1 for it."""
    batch = tmp_path / "snippets.jsonl"
    batch.write_text(
        json.dumps({"locale": "en", "as": "disclosure", "text": "Made by players like you."})
        + "\n{broken\n"
        + json.dumps({"locale": "en", "as": "accept", "text": "Yes, I'd like to talk"})
        + "\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "ethics", "check-text", "--jsonl", str(batch))
    rows = [json.loads(line) for line in out.splitlines()]
    assert code == 1
    assert [r["line"] for r in rows] == [1, 2, 3]
    assert [f["family"] for f in rows[0]["findings"]] == ["disclosure_weakening"]
    assert "not a JSON object" in rows[1]["error"]
    assert rows[2]["findings"] == []


def test_unknown_locale_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """A locale without rules is refused with the list of supported ones."""
    code, _, err = run(capsys, "ethics", "check-text", "--locale", "fr", "--as", "offer", "x")
    assert code == 1
    assert "locale must be one of de, en" in err
