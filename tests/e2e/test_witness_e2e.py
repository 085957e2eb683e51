"""Two real witness processes cosign the real server's checkpoints; a monitor follows the log.

The server, both witnesses and the monitor are separate ``crossroads`` processes on loopback.
One witness is stopped half way: publishing goes on, the policy decides whether the newest
checkpoint is good enough, and the stopped witness catches up (with a consistency proof from
what it cosigned before) once it is back.
"""

from __future__ import annotations

import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from ethics.cosign import WitnessKey
from tests.e2e.server_process import ServerProcess, free_port


class WitnessProcess:
    """``crossroads ethics witness serve`` as a child process."""

    def __init__(self, folder: Path, name: str, log_key: Path, env: dict[str, str]) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.key = folder / f"{name}.key"
        self.state = folder / f"{name}.json"
        self.log_key = log_key
        self.env = env
        self.process: subprocess.Popen[bytes] | None = None
        result = subprocess.run(
            [sys.executable, "-m", "server.cli", "ethics", "witness", "keygen"]
            + ["--name", f"partner.example/{name}", "--out", str(self.key)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        self.vkey = WitnessKey.from_vkey(result.stdout.strip().splitlines()[-1]).vkey

    def start(self) -> None:
        with (self.folder / f"{self.port}.log").open("ab") as log:  # the child keeps its own
            self.process = subprocess.Popen(
                [sys.executable, "-m", "server.cli", "ethics", "witness", "serve"]
                + ["--key", str(self.key), "--log-key", str(self.log_key)]
                + ["--state", str(self.state), "--port", str(self.port)],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, "witness exited early"
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1):
                    return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("witness did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None


def _checkpoint(server: ServerProcess) -> str:
    with urllib.request.urlopen(f"{server.url}/api/v1/ethics/checkpoint", timeout=5) as r:
        return str(r.read().decode())


def test_two_witnesses_one_stopped_the_policy_decides(tmp_path: Path) -> None:
    """Both cosign; with one down publishing goes on and only a 1-of-2 policy is satisfied."""
    policy = tmp_path / "policy.txt"
    policy.write_text("quorum none\n", encoding="utf-8")
    with ServerProcess(tmp_path, env={"CROSSROADS_ETHICS_WITNESS_POLICY": str(policy)}) as server:
        with urllib.request.urlopen(f"{server.url}/api/v1/ethics/key", timeout=5) as r:
            log_vkey = r.read().decode().splitlines()[1]
        log_key = tmp_path / "log.vkey"
        log_key.write_text(log_vkey + "\n", encoding="utf-8")
        a = WitnessProcess(tmp_path, "a", log_key, server.env)
        b = WitnessProcess(tmp_path, "b", log_key, server.env)
        a.start()
        b.start()
        try:
            policy.write_text(
                f"log {log_vkey}\nwitness A {a.vkey} {a.url}\nwitness B {b.vkey} {b.url}\n"
                "group both all A B\nquorum both\n",
                encoding="utf-8",
            )
            any_policy = tmp_path / "any.txt"
            any_policy.write_text(
                f"witness A {a.vkey}\nwitness B {b.vkey}\ngroup one any A B\nquorum one\n",
                encoding="utf-8",
            )
            signed = server.cli("ethics", "sign")
            assert signed.returncode == 0, signed.stderr
            note = _checkpoint(server)
            assert "\u2014 partner.example/a " in note and "\u2014 partner.example/b " in note
            state = tmp_path / "monitor"
            monitor = (
                "ethics",
                "monitor",
                server.url,
                "--key",
                str(log_key),
                "--state",
                str(state),
            )
            first = server.cli(*monitor, "--policy", str(policy))
            assert first.returncode == 0, first.stdout + first.stderr
            assert first.stdout.startswith("OK:")

            b.stop()
            # the log grows while B is down: a key rotation, co-signed by the old key
            rotated = server.cli("ethics", "rotate-key", "--reason", "yearly key rotation")
            assert rotated.returncode == 0, rotated.stderr
            signed = server.cli("ethics", "sign")
            assert signed.returncode == 0, signed.stderr
            assert "witness B: unreachable" in signed.stdout
            note = _checkpoint(server)
            assert "\u2014 partner.example/a " in note and "partner.example/b" not in note

            strict = server.cli(*monitor, "--policy", str(policy))
            assert strict.returncode == 1
            assert "not cosigned per the witness policy" in strict.stdout
            assert "state was NOT updated" in strict.stdout
            lenient = server.cli(*monitor, "--policy", str(any_policy))
            assert lenient.returncode == 0, lenient.stdout + lenient.stderr
            assert "new)" in lenient.stdout

            b.start()
            signed = server.cli("ethics", "sign")
            assert signed.returncode == 0, signed.stderr
            assert "partner.example/b" in _checkpoint(server)
            again = server.cli(*monitor, "--policy", str(policy))
            assert again.returncode == 0, again.stdout + again.stderr
        finally:
            a.stop()
            b.stop()
