"""The console in Chromium: it says plainly that offer sounds need a click, starts each sign-in
available, is connected again within 2 s of a restarted server being back, cues unread
messages in the title, favicon and (opt-in) desktop notifications without chat text, shows
past conversations and searches canned responses, and sets an idle counsellor away."""

from __future__ import annotations

import time
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.browser import CHROMIUM, LAUNCH_ARGS, require_chromium, sign_in
from tests.e2e.server_process import ServerProcess
from tests.e2e.test_console_browser import Player

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


#: Records the page's desktop notifications instead of showing them (the browser API itself
#: is real in the page; only the constructor is wrapped so the test can read what was shown).
RECORD_NOTIFICATIONS = """
window.__notes = [];
const RealNotification = window.Notification;
class RecordingNotification extends RealNotification {
  constructor(title, options) {
    super(title, options);
    window.__notes.push({ title, body: (options && options.body) || "" });
  }
}
window.Notification = RecordingNotification;
"""


async def test_unread_cues_notifications_and_auto_away(tmp_path: Path) -> None:
    """With the console not in front, a player's message shows as "(1)" in the title, a dot
    on the favicon and an opted-in desktop notification that carries no chat text; a
    counsellor idle for the chosen time is set Away and told why."""
    server = ServerProcess(tmp_path)
    server.prepare()
    server.start()
    try:
        async with playwright_api.async_playwright() as p, aiohttp.ClientSession() as http:
            browser = await p.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
            )
            context = await browser.new_context()
            await context.grant_permissions(["notifications"], origin=server.url)
            await context.add_init_script(RECORD_NOTIFICATIONS)
            page = await context.new_page()
            await sign_in(page, server.url, "counsellor1")
            await expect(page.locator("#conn")).to_have_text("Connected")
            await page.check("#notify-on")
            await expect(page.locator("#notify-on")).to_be_checked()

            player = Player(http, server.url)
            await player.start_session()
            await player.connect()
            await player.consent()
            await page.locator('.offer button[data-action="accept"]').click()
            conversation_id = (await player.until("matched"))["conversation_id"]
            await expect(page.locator(f"#panel-{conversation_id}")).to_be_visible()

            # The counsellor switches to another window: the page is hidden and unfocused.
            await page.evaluate(
                "Object.defineProperty(document, 'hidden', { get: () => true });"
                "document.hasFocus = () => false;"
            )
            await player.send({"type": "message", "client_id": "p-1", "text": "my secret"})
            await player.until("ack", client_id="p-1")
            await expect(page).to_have_title("(1) Console · Crossroads staff")
            await expect(page.locator("html")).to_have_attribute("data-attention", "yes")
            icon = await page.get_attribute('link[rel="icon"]', "href")
            assert icon is not None and icon.startswith("data:image/svg+xml")
            notes = await page.evaluate("window.__notes")
            assert "Chat 1: new message" in [n["title"] for n in notes], notes
            assert all("secret" not in n["title"] + n["body"] for n in notes)

            # History and canned search are on the page (nothing ended yet for this counsellor).
            await expect(page.locator("#history-list")).to_contain_text("No ended conversations")
            visible = page.locator("#canned-list li:not(.hidden)")
            total = await visible.count()
            assert total > 1
            await page.fill("#canned-search", "zzzz-no-such-response")
            await expect(visible).to_have_count(0)
            await page.fill("#canned-search", "")
            await expect(visible).to_have_count(total)

            # Idle: the shortest choice is minutes in real use; 2 s here (an option the test adds).
            await page.evaluate(
                "const s = document.getElementById('auto-away');"
                "s.append(new Option('2 s', String(2 / 60))); s.value = String(2 / 60);"
                "s.dispatchEvent(new Event('change'));"
            )
            await expect(page.locator('button[data-status="away"]')).to_have_attribute(
                "aria-pressed", "true", timeout=10_000
            )
            await expect(page.locator("#global-alert")).to_contain_text("without activity")
            await browser.close()
    finally:
        server.stop()
