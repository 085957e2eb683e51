"""The console in Chromium: it says plainly that offer sounds need a click, starts each sign-in
available, and is connected again within 2 s of a restarted server being back."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, require_chromium, sign_in
from tests.e2e.server_process import ServerProcess

require_chromium()
playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

#: What a desktop Chromium does by default: no sound before a user gesture on the page.
AUTOPLAY_ARGS = [*LAUNCH_ARGS, "--autoplay-policy=user-gesture-required"]


async def test_sound_note_status_and_reconnect_in_a_real_browser(tmp_path: Path) -> None:
    """Before any click the console shows that offer sounds are off and offers a button that
    turns them on; a fresh sign-in shows Available; after a restart the console is connected
    again within 2 s of the server answering /healthz (the time is printed)."""
    server = ServerProcess(tmp_path)
    server.prepare()
    server.start()
    try:
        async with playwright_api.async_playwright() as p:
            browser = await p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=AUTOPLAY_ARGS
            )
            page = await (await browser.new_context()).new_page()
            await sign_in(page, server.url, "counsellor1")
            await expect(page.locator("#conn")).to_have_text("Connected")
            await expect(page.locator('button[data-status="available"]')).to_have_attribute(
                "aria-pressed", "true"
            )
            note = page.locator("#sound-note")
            await expect(note).to_be_visible()
            await page.click("#sound-enable")
            await expect(note).to_be_hidden()

            server.stop()
            await expect(page.locator("#conn")).to_contain_text("reconnecting", ignore_case=True)
            await page.wait_for_timeout(6000)  # long enough for any backoff to reach its cap
            server.start()  # returns once /healthz answers 200
            back = time.monotonic()
            await expect(page.locator("#conn")).to_have_text("Connected", timeout=10_000)
            seconds = time.monotonic() - back
            print(f"console reconnected {seconds:.2f} s after the server was back")
            assert seconds < 2.0, f"reconnect took {seconds:.2f} s"
            await browser.close()
    finally:
        server.stop()
