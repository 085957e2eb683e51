"""The ``crossroads`` command: clear refusals, idempotent set-up, no tracebacks."""

from __future__ import annotations

from pathlib import Path

import pytest

from server.cli import main


def _env(monkeypatch: pytest.MonkeyPatch, db_file: Path, *, dev: bool) -> None:
    monkeypatch.setenv("CROSSROADS_DATABASE_URL", f"sqlite+aiosqlite:///{db_file}")
    monkeypatch.setenv("CROSSROADS_DEV_MODE", "true" if dev else "false")
    for name in ("SECRET_KEY", "TRANSCRIPT_KEY", "PUBLIC_URL"):
        monkeypatch.delenv(f"CROSSROADS_{name}", raising=False)


def test_serve_refuses_default_secrets_outside_development(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An operator who forgot the secrets gets a message naming them, not a running server."""
    _env(monkeypatch, tmp_path / "x.db", dev=False)
    assert main(["serve", "--port", "8999"]) == 1
    err = capsys.readouterr().err
    assert "CROSSROADS_SECRET_KEY" in err and "Traceback" not in err


def test_serve_refuses_a_database_that_was_never_migrated(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Starting on an empty database tells the operator to run the migrations first."""
    _env(monkeypatch, tmp_path / "fresh.db", dev=True)
    assert main(["serve", "--port", "8999"]) == 1
    assert "crossroads db upgrade" in capsys.readouterr().err


def test_demo_seed_is_refused_outside_development(
    monkeypatch: pytest.MonkeyPatch, db_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Demo accounts with public passwords never appear on a production database."""
    _env(monkeypatch, db_file, dev=False)
    assert main(["demo", "seed"]) == 1
    assert "development mode" in capsys.readouterr().err


def test_upgrade_and_seed_can_run_twice(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Running `make run` again is safe: migrations and demo data are idempotent."""
    _env(monkeypatch, tmp_path / "var" / "crossroads.db", dev=True)
    assert main(["db", "upgrade"]) == 0
    assert main(["demo", "seed"]) == 0
    first = capsys.readouterr().out
    assert "counsellor1" in first and "demo-counsellor1" in first
    assert main(["db", "upgrade"]) == 0
    assert main(["demo", "seed"]) == 0
    second = capsys.readouterr().out
    assert "created accounts" not in second
    assert "already published" in second


def test_unknown_subcommand_prints_usage(capsys: pytest.CaptureFixture[str]) -> None:
    """A typo in a subcommand shows the usage and exits with status 2."""
    with pytest.raises(SystemExit) as info:
        main(["serv"])
    assert info.value.code == 2
    assert "usage: crossroads" in capsys.readouterr().err
