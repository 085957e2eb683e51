"""The /reports page in a real browser (Playwright driving Debian's chromium) on a real server.

The database is filled by ``crossroads demo simulate`` (real sockets and store). A
supervisor sees every kind's figures with a chart and a table beside each; the charts load
under the page's strict CSP, stay inside the page at 200% zoom and in forced colours; a
counsellor sees their own figures only.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.browser import launch, require_chromium, screenshot_path, sign_in
from tests.e2e.server_process import ServerProcess

pytestmark = pytest.mark.e2e

require_chromium()

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect


async def test_reports_page_charts_tables_zoom_and_roles(tmp_path: Path) -> None:
    """Charts render (no CSP refusal), each has a table with the same measure, text stays
    readable at 200% zoom and in forced colours, and a counsellor's page is their own."""
    server = ServerProcess(tmp_path)
    server.prepare()
    done = server.cli("demo", "simulate", "--days", "10", "--seed", "4")
    assert done.returncode == 0, done.stderr
    server.start()
    try:
        async with playwright_api.async_playwright() as p:
            browser = await launch(p)
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            refused: list[str] = []
            page.on(
                "console",
                lambda m: refused.append(m.text) if "Content Security" in m.text else None,
            )
            await sign_in(page, server.url, "supervisor1")
            await page.goto(f"{server.url}/reports")
            await expect(page.locator("h1")).to_have_text("Reports")
            await expect(page.locator("#report-scope")).to_contain_text("All counsellors")
            sections = page.locator("section.report-measure")
            assert await sections.count() == 15
            conv = page.locator("#measure-conversations")
            await expect(conv.locator("caption")).to_contain_text("Conversations delivered")
            await expect(conv.locator("tbody tr")).to_have_count(5)
            total = await conv.locator("tbody tr").last.locator("td").last.inner_text()
            assert total != "*" and int(total) >= 10 and int(total) % 5 == 0
            # Every chart image decoded (an SVG the CSP refused would have no natural size).
            widths = await page.eval_on_selector_all(
                "section.report-measure img", "imgs => imgs.map(i => i.complete && i.naturalWidth)"
            )
            assert len(widths) == 15 and all(w and w > 0 for w in widths)
            assert not refused, refused
            await page.screenshot(path=screenshot_path("reports.png"), full_page=False)

            # 200% zoom: a 640-px-wide viewport at device scale 2 (what zooming does to the
            # layout): no horizontal scrolling of the page, the chart scales to the column.
            zoomed = await browser.new_context(
                viewport={"width": 640, "height": 900},
                device_scale_factor=2,
                forced_colors="active",
            )
            zpage = await zoomed.new_page()
            await sign_in(zpage, server.url, "supervisor1")
            await zpage.goto(f"{server.url}/reports")
            overflow = await zpage.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            wide = await zpage.evaluate(
                """[...document.querySelectorAll('body *')]
                .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
                .slice(0, 5).map(e => e.tagName + '.' + e.className)"""
            )
            assert overflow <= 1, wide
            img_box = await zpage.locator("#measure-conversations img").bounding_box()
            assert img_box is not None and img_box["width"] <= 640
            forced = await zpage.evaluate("matchMedia('(forced-colors: active)').matches")
            assert forced is True
            await zpage.screenshot(path=screenshot_path("reports-zoom-forced-colours.png"))

            own = await (await browser.new_context()).new_page()
            await sign_in(own, server.url, "counsellor4")
            await own.goto(f"{server.url}/reports")
            await expect(own.locator("#report-scope")).to_contain_text("Your own figures only")
            await browser.close()
    finally:
        server.stop()
