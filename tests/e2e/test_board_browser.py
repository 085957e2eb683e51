"""The ethics board in a real browser (Playwright driving Debian's chromium) on a real server.

An author uploads a bundle whose story quotes a hate code; two board members acknowledge the
flag and approve with rationale and checklist; one publishes; the content API then serves it;
the log browser shows an inclusion proof; and an export made by the CLI verifies.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.browser import launch, require_chromium, screenshot_path, sign_in
from tests.e2e.server_process import ServerProcess
from tests.integration.test_board_helpers import bundle_bytes

pytestmark = pytest.mark.e2e


require_chromium()

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect


async def approve(page: Any, rationale: str) -> None:
    for box in await page.locator("#review-form input[type=checkbox]").all():
        await box.check()
    await page.check("#decision-approve")
    await page.fill("#rationale", rationale)
    await page.click("#review-form button[type=submit]")
    await expect(page.locator(".alert-ok").first).to_contain_text("decision is recorded")


async def test_board_review_and_publish_in_a_real_browser(tmp_path: Path) -> None:
    """Propose, acknowledge a flag, approve twice, publish, see the proof, verify the export."""
    bundle_file = tmp_path / "bundle.json"
    bundle_file.write_bytes(
        bundle_bytes(tmp_path, ("Kind of weird, right?", "His profile says 88. Weird, right?"))
    )
    server = ServerProcess(tmp_path)
    server.prepare()
    server.start()
    try:
        async with playwright_api.async_playwright() as p:
            browser = await launch(p)
            viewport = {"width": 1280, "height": 900}

            author = await (await browser.new_context(viewport=viewport)).new_page()
            await sign_in(author, server.url, "author1")
            await author.goto(f"{server.url}/board")
            await author.set_input_files("#bundle", str(bundle_file))
            await author.fill("#message", "Group scene: the recruiter's profile shows a code")
            await author.click("#propose-form button[type=submit]")
            await expect(author.locator("#status")).to_have_text("open")
            await expect(author.locator("#checks")).to_contain_text("extremist_code")
            proposal_url = author.url.split("?")[0]
            bundle_hash = (await author.locator("#bundle-hash").inner_text()).strip()

            board1 = await (await browser.new_context(viewport=viewport)).new_page()
            await sign_in(board1, server.url, "board1")
            await board1.goto(proposal_url)
            await expect(board1.locator("#blockers")).to_contain_text("unacknowledged flag")
            await board1.fill(".ack-form input[name=rationale]", "Shown so players learn the code")
            await board1.click(".ack-form button[type=submit]")
            await expect(board1.locator("#checks")).to_contain_text("acknowledged by")
            await approve(board1, "Honest offer, calm tone, flag is intended.")
            await expect(board1.locator("#approvals")).to_contain_text("1 of 2")
            await expect(board1.locator("#publish-form button")).to_be_disabled()

            board2 = await (await browser.new_context(viewport=viewport)).new_page()
            await sign_in(board2, server.url, "board2")
            await board2.goto(proposal_url)
            await approve(board2, "Read both locales; nothing deceptive.")
            await expect(board2.locator("#blockers")).to_contain_text("ready to publish")
            await board2.click("#publish-form button[type=submit]")
            await expect(board2.locator("#status")).to_have_text("published")
            await board2.screenshot(path=screenshot_path("web-board-proposal.png"), full_page=True)

            with urllib.request.urlopen(f"{server.url}/api/v1/content") as response:
                assert response.headers["X-Content-Hash"] == bundle_hash

            await board2.goto(f"{server.url}/board")
            await board2.screenshot(path=screenshot_path("web-board.png"), full_page=True)
            await board2.goto(f"{server.url}/board/log")
            await expect(board2.locator("#log")).to_contain_text("publish")
            await board2.screenshot(path=screenshot_path("web-board-log.png"), full_page=True)
            await board2.click("#log a >> text='0'")
            await expect(board2.locator("#proof-status")).to_have_text(
                "included in the signed checkpoint"
            )
            await board2.screenshot(path=screenshot_path("web-board-proof.png"), full_page=True)
            await browser.close()

        out = tmp_path / "export"
        exported = server.cli("ethics", "export", "--out", str(out))
        assert exported.returncode == 0, exported.stderr
        verified = server.cli("ethics", "verify", str(out), "--json")
        assert verified.returncode == 0, verified.stdout + verified.stderr
        assert json.loads(verified.stdout)["publishes"] == 2  # the demo seed's and ours
    finally:
        server.stop()
