"""The agreed objective in the counsellor console, in a real browser (German labels).

A scripted player picks an objective with a line of their own; the counsellor sees it on the
offer card, agrees in the chat, proposes a revision the player accepts, and ends with the
objective met; the report row records it.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import aiohttp
import pytest

from tests.e2e.browser import launch, require_chromium, screenshot_path, sign_in
from tests.e2e.server_process import ServerProcess
from tests.e2e.test_console_browser import Player

pytestmark = pytest.mark.e2e

require_chromium()

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

NOTE = '<img src=x onerror="alert(1)"> my cousin'


async def test_objective_agreed_revised_and_met_in_the_console(tmp_path: Path) -> None:
    """The pick shows as text on the offer card; Agree, a revision, and 'met' at the end work."""
    server = ServerProcess(tmp_path)
    server.prepare()
    server.start()
    try:
        async with playwright_api.async_playwright() as p, aiohttp.ClientSession() as http:
            browser = await launch(p)
            ctx = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="de-DE")
            page = await ctx.new_page()
            await sign_in(page, server.url, "counsellor1")
            await expect(page.locator("#conn")).to_have_text("Connected")
            await page.click('button[data-status="available"]')

            player = Player(http, server.url)
            await player.start_session()
            await player.connect()
            from game.narrative import Bundle

            async with http.get(f"{server.url}/api/v1/content") as response:
                bundle = Bundle.from_bytes(await response.read())
            offer = bundle.offers["offer.main"]
            await player.send(
                {
                    "type": "consent",
                    "bundle_hash": bundle.sha256,
                    "offer_id": offer.id,
                    "offer_version": offer.version,
                    "consent": True,
                    "choices": {
                        "language": "en",
                        "objective": "leave_group",
                        "objective_note": NOTE,
                    },
                }
            )
            await player.until("queued")
            card = page.locator(".offer")
            await expect(card.locator(".chip-objective")).to_have_text(
                f"Wünscht sich: Aus einer Gruppe herauskommen: “{NOTE}”"
            )
            assert await card.locator("img").count() == 0
            await card.locator('button[data-action="accept"]').click()
            conv = (await player.until("matched"))["conversation_id"]
            panel = page.locator(f"#panel-{conv}")
            bar = panel.locator(".objective-bar")
            await expect(bar.locator(".objective-open")).to_contain_text("Die Person schlägt vor")
            await page.screenshot(path=screenshot_path("web-console-objective.png"))
            await bar.get_by_role("button", name="Zustimmen").click()
            agreed = await player.until("objective", state="agreed")
            assert agreed["objective"] == "leave_group"
            await expect(bar.locator(".objective-current")).to_contain_text("Vereinbartes Ziel")

            await bar.locator("select").select_option("understand")
            await bar.locator("input").fill("erst einmal verstehen")
            await bar.get_by_role("button", name="Vorschlagen").click()
            revised = await player.until("objective", state="proposed", by="counsellor")
            await player.send(
                {"type": "objective_answer", "proposal_id": revised["proposal_id"], "accept": True}
            )
            await expect(bar.locator(".objective-current")).to_contain_text(
                "Verstehen, was mit mir passiert: “erst einmal verstehen”"
            )

            await panel.locator('button[data-action="end"]').click()
            dialog = page.locator("#end-dialog")
            await dialog.locator('input[value="talked"]').check()
            await expect(dialog.locator("#end-objective")).to_be_visible()
            await dialog.locator("#end-objective input").check()
            await dialog.locator('button[value="confirm"]').click()
            await player.until("ended")
            await browser.close()
        with sqlite3.connect(server.db_file) as c:
            met = c.execute(
                "SELECT objective, objective_agreed, objective_met FROM report_request"
            ).fetchall()
        assert met == [("understand", 1, 1)]
    finally:
        server.stop()
