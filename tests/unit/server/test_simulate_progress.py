"""The demo simulator's progress reads well both in a terminal and in a captured log."""

from __future__ import annotations

import io

import pytest

from server.reports import simulate


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_log_gets_whole_lines_every_ten_days(monkeypatch: pytest.MonkeyPatch) -> None:
    """Piped output (``make run``, a service log) holds separate lines, no carriage returns."""
    out = io.StringIO()
    monkeypatch.setattr("sys.stderr", out)
    for day in range(1, 26):
        simulate._progress(day, 25)
    assert out.getvalue().splitlines() == [
        "simulating day 10 of 25",
        "simulating day 20 of 25",
        "simulating day 25 of 25",
    ]
    assert "\r" not in out.getvalue()


def test_a_terminal_sees_one_line_redrawn(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a terminal the line is redrawn in place and ends with a newline on the last day."""
    out = _Terminal()
    monkeypatch.setattr("sys.stderr", out)
    for day in range(1, 4):
        simulate._progress(day, 3)
    assert out.getvalue() == (
        "\rsimulating day 1 of 3\rsimulating day 2 of 3\rsimulating day 3 of 3\n"
    )
