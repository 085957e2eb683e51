"""``crossroads admin ...``: create and manage staff accounts from the command line."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from server.cli import main
from server.settings import Settings


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, seeded_settings: Settings) -> Settings:
    """The CLI pointed at a copy of the seeded demo database."""
    monkeypatch.setenv("CROSSROADS_DEV_MODE", "true")
    monkeypatch.setenv("CROSSROADS_DATABASE_URL", seeded_settings.database_url)
    monkeypatch.setenv("CROSSROADS_ETHICS_KEY_DIR", str(Path(seeded_settings.ethics_key_dir)))
    return seeded_settings


def run(monkeypatch: pytest.MonkeyPatch, *argv: str, stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(["admin", *argv])


def test_create_list_and_set_password(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An operator creates a counsellor, sees it listed, and resets its password."""
    code = run(
        monkeypatch,
        "create-staff", "robin", "--roles", "counsellor", "--kind", "peer",
        "--languages", "en,de", "--display-name", "Robin", "--password-stdin",
        stdin="a-long-password-1\n",
    )  # fmt: skip
    assert code == 0
    assert "created robin (counsellor)" in capsys.readouterr().out
    assert run(monkeypatch, "list-staff") == 0
    assert "robin" in capsys.readouterr().out
    assert (
        run(monkeypatch, "set-password", "robin", "--password-stdin", stdin="new-password-22\n")
        == 0
    )
    assert "password set for robin" in capsys.readouterr().out


def test_bad_input_is_one_clear_line_and_exit_1(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Short passwords, unknown roles, taken names and unknown accounts are explained."""
    cases = [
        (("create-staff", "x1", "--roles", "counsellor", "--kind", "peer", "--languages", "en",
          "--password-stdin"), "short\n", "at least 12 characters"),
        (("create-staff", "x2", "--roles", "wizard", "--password-stdin"), "long-enough-pass\n",
         "Unknown role(s): wizard"),
        (("create-staff", "counsellor1", "--roles", "counsellor", "--kind", "peer",
          "--languages", "en", "--password-stdin"), "long-enough-pass\n", "is taken"),
        (("set-password", "nobody", "--password-stdin"), "long-enough-pass\n", "No staff account"),
        (("add-partner", "Bad Key", "--name", "X"), "", "partner key"),
    ]  # fmt: skip
    for argv, stdin, message in cases:
        assert run(monkeypatch, *argv, stdin=stdin) == 1
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err


def test_require_totp_for_a_role(
    cli_env: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Requiring TOTP for a role shows in the listing, and can be switched off again."""
    assert run(monkeypatch, "require-totp", "supervisor") == 0
    run(monkeypatch, "list-staff")
    assert "TOTP required for: supervisor" in capsys.readouterr().out
    assert run(monkeypatch, "require-totp", "supervisor", "--off") == 0
    run(monkeypatch, "list-staff")
    assert "TOTP required for: no role" in capsys.readouterr().out
