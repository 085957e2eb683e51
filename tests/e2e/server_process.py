"""The real server as a child process, for end-to-end tests.

Migrates and seeds a fresh SQLite file through the ``crossroads`` CLI, starts
``crossroads serve`` on a free loopback port, waits for ``/healthz``, and stops it with
SIGTERM (or SIGKILL, for crash tests). The same steps a newcomer's ``make run`` takes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from types import TracebackType


def child_pids(pid: int) -> list[int]:
    """Process ids of the children of process ``pid`` (Linux ``/proc``)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    """Whether a process still runs (an exited child of a killed parent is reaped by init)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def free_port() -> int:
    """A TCP port on loopback that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServerProcess:
    """``with ServerProcess(tmp_path) as server:`` gives ``server.url`` of a seeded server."""

    def __init__(
        self, folder: Path, *, seed: bool = True, env: dict[str, str] | None = None
    ) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.db_file = folder / "server.db"
        self.log_file = folder / "server.log"
        self.env = {
            **os.environ,
            "CROSSROADS_DEV_MODE": "true",
            "CROSSROADS_DATABASE_URL": f"sqlite+aiosqlite:///{self.db_file}",
            "CROSSROADS_PORT": str(self.port),
            "CROSSROADS_HOST": "127.0.0.1",
            "CROSSROADS_ETHICS_KEY_DIR": str(folder / "ethics-keys"),
            **(env or {}),
        }
        self.seed = seed
        self.process: subprocess.Popen[bytes] | None = None

    def cli(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a ``crossroads`` subcommand against this server's database."""
        return subprocess.run(
            [sys.executable, "-m", "server.cli", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def prepare(self) -> None:
        """Migrate and (optionally) seed the database, as `make run` does."""
        for args in (("db", "upgrade"), ("demo", "seed")) if self.seed else (("db", "upgrade"),):
            result = self.cli(*args)
            if result.returncode != 0:
                raise RuntimeError(f"crossroads {' '.join(args)} failed:\n{result.stderr}")

    def start(self, timeout: float = 30.0) -> None:
        """Start serving and wait until ``/healthz`` answers 200."""
        with self.log_file.open("ab") as log:  # the child keeps its own descriptor
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "serve"],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited early:\n{self.log_file.read_text()}")
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=1) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError(f"server did not become healthy:\n{self.log_file.read_text()}")

    def children(self) -> list[int]:
        """Process ids of the server's own child processes (the SQLite chat writer)."""
        return child_pids(self.process.pid) if self.process is not None else []

    def stop(self, *, kill: bool = False, timeout: float = 15.0) -> int:
        """Stop with SIGTERM (clean) or SIGKILL (a crash); returns the exit status."""
        if self.process is None:
            return 0
        self.process.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            code = self.process.wait()
        self.process = None
        return code

    def __enter__(self) -> ServerProcess:
        self.prepare()
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
