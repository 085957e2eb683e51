"""The built wheel works on its own: installed outside the repository, it migrates, seeds,
serves (logging JSON lines) and is played by the headless game, from a directory that is not
the checkout.

To stay fast and offline (only PyPI may be reached, for the build backend), the fresh virtual
environment gets the wheel with ``--no-deps`` and borrows the already installed dependencies
of the project's environment through a ``.pth`` line. Such a line adds a folder to the module
path but does not run the folder's own ``.pth`` files, so the project's editable install of
Crossroads stays invisible: every ``server``, ``game`` and asset file comes from the wheel.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import time
import urllib.request
from pathlib import Path

import pytest

from tests.e2e.server_process import free_port

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PLAYER = Path(__file__).with_name("wheel_player.py")


def _run(cmd: list[str], *, cwd: Path, env: dict[str, str]) -> str:
    result = subprocess.run(
        cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )
    assert result.returncode == 0, f"{cmd} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def _clean_copy(target: Path) -> Path:
    """The checkout's files that git knows of (tracked, or new and not ignored), as a release
    build sees them: a ``build/`` folder left by an earlier build in the checkout would put its
    stale files (a renamed migration, say) into the wheel."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        if (REPO / name).is_file():
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target / name)
    return target


def test_wheel_installs_seeds_serves_and_is_played(tmp_path: Path) -> None:
    """A newcomer's install of the wheel serves the demo and the installed game plays it."""
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    source = _clean_copy(tmp_path / "source")
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(source)],
        cwd=outside,
        env=env,
    )
    (wheel,) = tmp_path.glob("crossroads-*.whl")

    venv = tmp_path / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=outside, env=env)
    python = venv / "bin" / "python"
    site = Path(
        _run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            cwd=outside,
            env=env,
        ).strip()
    )
    (site / "_project_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
        + [str(wheel)],
        cwd=outside,
        env=env,
    )
    where = _run(
        [str(python), "-c", "import server, crossroads_assets; print(server.__file__)"],
        cwd=outside,
        env=env,
    )
    assert Path(where.strip()).is_relative_to(venv), where

    port = free_port()
    env |= {
        "CROSSROADS_DEV_MODE": "true",
        "CROSSROADS_DATABASE_URL": f"sqlite+aiosqlite:///{outside / 'crossroads.db'}",
        "CROSSROADS_PORT": str(port),
        "CROSSROADS_ETHICS_KEY_DIR": str(outside / "ethics-keys"),
        "CROSSROADS_LOG_FORMAT": "json",
        "SDL_VIDEODRIVER": "dummy",
        "SDL_AUDIODRIVER": "dummy",
    }
    crossroads = str(venv / "bin" / "crossroads")
    _run([crossroads, "db", "upgrade"], cwd=outside, env=env)
    seeded = _run([crossroads, "demo", "seed"], cwd=outside, env=env)
    assert "Demo data ready." in seeded

    url = f"http://127.0.0.1:{port}"
    log = (outside / "server.log").open("wb")
    server = subprocess.Popen(
        [crossroads, "serve"], cwd=outside, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert server.poll() is None, (outside / "server.log").read_text()
            try:
                with urllib.request.urlopen(f"{url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                assert time.monotonic() < deadline, "the installed server never became healthy"
                time.sleep(0.2)
        with urllib.request.urlopen(f"{url}/api/v1/content") as response:
            published = hashlib.sha256(response.read()).hexdigest()

        seen = json.loads(
            _run([str(python), str(PLAYER), url, str(outside / "player")], cwd=outside, env=env)
            .strip()
            .splitlines()[-1]
        )
    finally:
        server.terminate()
        server.wait(15)
        log.close()

    assert Path(seen["assets"]).is_relative_to(venv)
    assert Path(seen["game"]).is_relative_to(venv)
    assert "Crossroads Exit Network (demo)" in seen["disclosure"]
    assert seen["bundle_sha256"] == published
    assert seen["first_node"] != seen["second_node"]
    assert seen["offer_scene"] == "offer"
    assert seen["phase"] == "QUEUED"
    # The installed server logged JSON lines; the player's requests name no address.
    lines = (outside / "server.log").read_text().splitlines()
    records = [json.loads(line) for line in lines if line.startswith("{")]
    access = [r for r in records if r["logger"] == "aiohttp.access"]
    assert {"/api/v1/sessions", "/api/v1/content", "/ws/player"} <= {r["path"] for r in access}
    assert all("remote" not in r for r in access)
