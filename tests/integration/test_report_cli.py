"""``crossroads report``, ``report export`` and ``report compare``: clear errors, no tracebacks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from server.cli import main
from server.storage.migrate import upgrade


@pytest.fixture
def migrated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    db = tmp_path / "r.db"
    url = f"sqlite+aiosqlite:///{db}"
    upgrade(url, "head")
    monkeypatch.setenv("CROSSROADS_DATABASE_URL", url)
    monkeypatch.setenv("CROSSROADS_DEV_MODE", "false")
    return db


def test_report_on_an_empty_database_shows_zeros(migrated: Path, capsys) -> None:
    """A new service reports every measure with zero counts and withheld shares."""
    assert main(["report", "--from", "2026-11-02", "--to", "2026-11-15"]) == 0
    out = capsys.readouterr().out
    assert "Conversations delivered" in out and "2026-W45" in out and "2026-W46" in out
    assert "Did this help? yes" in out


def test_bad_ranges_and_files_get_clear_messages(migrated: Path, tmp_path: Path, capsys) -> None:
    """A reversed range, an unwritable export and unreadable or malformed exports each say what
    is wrong, with exit status 1 and no traceback."""
    assert main(["report", "--from", "2026-12-10", "--to", "2026-12-01"]) == 1
    assert "before --from" in capsys.readouterr().err
    with pytest.raises(SystemExit) as bad_date:
        main(["report", "--from", "10.12.2026"])
    assert bad_date.value.code == 2
    assert "is not a date" in capsys.readouterr().err
    out = tmp_path / "missing-dir" / "x.json"
    assert main(["report", "export", "--out", str(out)]) == 1
    assert "cannot write the export" in capsys.readouterr().err
    assert main(["report", "compare", str(tmp_path / "nope.json")]) == 1
    assert "cannot read" in capsys.readouterr().err
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert main(["report", "compare", str(garbage)]) == 1
    assert "not valid JSON" in capsys.readouterr().err
    other = tmp_path / "other.json"
    other.write_text(json.dumps({"format": "crossroads-report", "version": 2}))
    assert main(["report", "compare", str(other)]) == 1
    err = capsys.readouterr().err
    assert "other.json" in err and "version 2 is not supported" in err and "Traceback" not in err


def test_export_then_compare_round_trip(migrated: Path, tmp_path: Path, capsys) -> None:
    """An export reads back in compare under its programme name; the CSV has a header."""
    target = tmp_path / "a.json"
    args = ["report", "export", "--from", "2026-11-02", "--to", "2026-11-08"]
    assert (
        main(
            [*args, "--out", str(target), "--csv", str(tmp_path / "a.csv"), "--programme", "North"]
        )
        == 0
    )
    capsys.readouterr()
    assert main(["report", "compare", str(target), str(target)]) == 0
    out = capsys.readouterr().out
    assert out.count("North") >= 2 and "Offers made" in out
    assert (tmp_path / "a.csv").read_text().startswith("programme,measure,unit,kind,week,value\n")


def test_simulate_is_refused_outside_development(migrated: Path, capsys) -> None:
    """The simulator signs in the demo accounts, so it never runs on a production database."""
    assert main(["demo", "simulate", "--days", "1"]) == 1
    assert "development mode" in capsys.readouterr().err
