"""Simulate, export, compare: two programmes' reports exchanged through the real CLI processes.

Each programme is its own database, migrated, seeded and simulated by ``crossroads`` in a
subprocess (the simulator drives the real sockets and store); each exports its suppressed
aggregates, and ``report compare`` lines the two up.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

CLI = [sys.executable, "-m", "server.cli"]


def _run(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*CLI, *args], env=env, capture_output=True, text=True, timeout=240, check=False
    )
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    return done.stdout


def _programme(tmp_path: Path, name: str, seed: int) -> Path:
    env = {
        **os.environ,
        "CROSSROADS_DEV_MODE": "true",
        "CROSSROADS_DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / name}.db",
    }
    today = datetime.now(UTC).date()
    _run(env, "db", "upgrade")
    _run(env, "demo", "seed")
    out = _run(env, "demo", "simulate", "--days", "8", "--seed", str(seed))
    assert "conversations" in out
    target = tmp_path / f"{name}.json"
    _run(
        env,
        "report",
        "export",
        "--from",
        (today - timedelta(days=7)).isoformat(),
        "--to",
        today.isoformat(),
        "--out",
        str(target),
        "--csv",
        str(tmp_path / f"{name}.csv"),
        "--programme",
        name,
    )
    return target


def test_simulate_export_compare(tmp_path: Path) -> None:
    """Two simulated programmes export only suppressed figures, and compare shows them side by
    side; a tampered export with an unsuppressed small count is refused with its file name."""
    a = _programme(tmp_path, "Exit North", 5)
    b = _programme(tmp_path, "Exit South", 6)
    doc = json.loads(a.read_text())
    assert doc["format"] == "crossroads-report" and doc["version"] == 1
    text = a.read_text()
    assert not re.search(r"[0-9a-f]{32}", text), "an id leaked into the export"
    for m in doc["measures"].values():
        if m["unit"] == "count":
            for row in m["values"]:
                assert all(v is None or v == 0 or (v % 5 == 0 and v >= 10) for v in row)
    assert doc["measures"]["conversations"]["values"][-1][-1] >= 10
    csv_lines = (tmp_path / "Exit North.csv").read_text().splitlines()
    assert csv_lines[0] == "programme,measure,unit,kind,week,value"

    env = {**os.environ}
    out = _run(env, "report", "compare", str(a), str(b))
    assert "Exit North" in out and "Exit South" in out
    assert "Conversations delivered" in out and "Survivor" in out

    doc["measures"]["conversations"]["values"][0][0] = 3
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(doc))
    done = subprocess.run(
        [*CLI, "report", "compare", str(a), str(bad)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "bad.json" in done.stderr and "not suppressed" in done.stderr
    assert "Traceback" not in done.stderr
