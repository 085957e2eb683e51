"""Login CSRF in a real browser: a foreign page that posts a sign-in form to the server cannot
switch a signed-in browser to another account."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.browser import launch, require_chromium, sign_in
from tests.e2e.server_process import ServerProcess

require_chromium()
playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect

FOREIGN_PAGE = """<!doctype html><html><body>
<form id="f" method="post" action="{url}/auth/login">
  <input name="username" value="counsellor3"><input name="password" value="demo-counsellor3">
</form>
<script>document.getElementById("f").submit();</script>
</body></html>"""


async def test_a_foreign_page_cannot_switch_the_signed_in_account(tmp_path: Path) -> None:
    """counsellor1 is signed in; a page from elsewhere submits counsellor3's credentials to
    ``/auth/login`` as a form. The server refuses it and the browser stays counsellor1."""
    server = ServerProcess(tmp_path)
    server.prepare()
    server.start()
    try:
        async with playwright_api.async_playwright() as p:
            browser = await launch(p)
            context = await browser.new_context()
            page = await context.new_page()
            await sign_in(page, server.url, "counsellor1")
            attacker = await context.new_page()
            page_file = tmp_path / "attacker.html"
            page_file.write_text(FOREIGN_PAGE.format(url=server.url))
            async with attacker.expect_navigation():
                await attacker.goto(page_file.as_uri())
            refused = await attacker.content()
            # A file:// page sends "Origin: null": refused as a foreign origin (a page on a
            # real foreign site is refused the same way; a form without Origin gets 415).
            assert "origin_not_allowed" in refused or "json_required" in refused, refused
            await page.goto(f"{server.url}/account")
            await expect(page.locator("main")).to_contain_text("counsellor1")
            await expect(page.locator("main")).not_to_contain_text("counsellor3")
            await browser.close()
    finally:
        server.stop()
