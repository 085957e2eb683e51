"""Shared set-up for the real-browser tests: Debian's chromium driven by Playwright.

Locally a missing chromium skips the browser tests with a reason; in CI it is an error,
because ``make test`` installs it and a silent skip would hide a broken set-up.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
#: Flags for a sandbox without a network beyond loopback (see ../shared/DESIGN.md).
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def require_chromium() -> None:
    """Skip the calling test module without chromium, except in CI where that is a failure."""
    if Path(CHROMIUM).exists():
        return
    if os.environ.get("CI"):
        raise RuntimeError("Debian's chromium is missing: `make test` must apt-get install it")
    pytest.skip(
        "Debian's chromium is not installed (make test installs it)", allow_module_level=True
    )


async def launch(playwright: Any) -> Any:
    """A headless chromium browser."""
    return await playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
    )


async def sign_in(page: Any, base: str, username: str) -> None:
    """Sign a demo account in through the real login form (password ``demo-<username>``)."""
    await page.goto(f"{base}/login")
    await page.fill("#username", username)
    await page.fill("#password", f"demo-{username}")
    await page.press("#password", "Enter")
    await page.wait_for_load_state("networkidle")


def screenshot_path(name: str) -> str:
    """Where a test's screenshot goes: ``docs/screenshots`` under ``make screenshots``
    (``CROSSROADS_SCREENSHOTS_DIR``), else a temporary folder, so test runs never rewrite
    the committed pictures."""
    folder = os.environ.get("CROSSROADS_SCREENSHOTS_DIR")
    target = Path(folder) if folder else Path(tempfile.gettempdir()) / "crossroads-screenshots"
    target.mkdir(parents=True, exist_ok=True)
    return str(target / name)
