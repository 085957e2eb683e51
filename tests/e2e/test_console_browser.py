"""The staff pages in a real browser (Playwright driving Debian's chromium) on a real server.

A counsellor signs in, goes available, accepts a scripted player's request, chats (the
player's HTML shows as text), survives a server restart with the typed draft intact, and ends
with an outcome while a supervisor watches the load change. Screenshots of each page go to
docs/screenshots/web-*.png.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import msgpack
import pytest

from tests.e2e.browser import launch, require_chromium, screenshot_path, sign_in
from tests.e2e.server_process import ServerProcess

pytestmark = pytest.mark.e2e

XSS = "<img src=x onerror=alert(1)>"

require_chromium()

playwright_api = pytest.importorskip("playwright.async_api")
expect = playwright_api.expect


class Player:
    """A scripted young player: anonymous session, hello, consent, chat over msgpack."""

    def __init__(self, http: aiohttp.ClientSession, base: str) -> None:
        self.http = http
        self.base = base
        self.ws: aiohttp.ClientWebSocketResponse | None = None
        self.token = ""
        self.frames: list[dict[str, Any]] = []

    async def start_session(self) -> None:
        async with self.http.post(f"{self.base}/api/v1/sessions") as response:
            assert response.status == 201
            self.token = (await response.json())["token"]

    async def connect(self) -> dict[str, Any]:
        self.ws = await self.http.ws_connect(self.base.replace("http", "ws", 1) + "/ws/player")
        await self.send({"type": "hello", "v": 1, "token": self.token})
        return await self.until("welcome")

    async def send(self, frame: dict[str, Any]) -> None:
        assert self.ws is not None
        await self.ws.send_bytes(msgpack.packb(frame, use_bin_type=True))

    async def until(self, kind: str, **match: Any) -> dict[str, Any]:
        assert self.ws is not None
        async with asyncio.timeout(20):
            while True:
                message = await self.ws.receive()
                assert message.type == aiohttp.WSMsgType.BINARY, message
                frame = msgpack.unpackb(message.data, raw=False)
                self.frames.append(frame)
                if frame.get("type") == kind and all(frame.get(k) == v for k, v in match.items()):
                    return dict(frame)

    async def consent(self) -> dict[str, Any]:
        from game.narrative import Bundle

        async with self.http.get(f"{self.base}/api/v1/content") as response:
            bundle = Bundle.from_bytes(await response.read())
        offer = bundle.offers["offer.main"]
        await self.send(
            {
                "type": "consent",
                "bundle_hash": bundle.sha256,
                "offer_id": offer.id,
                "offer_version": offer.version,
                "consent": True,
                "choices": {
                    "kind": None,
                    "kind_required": False,
                    "gender": None,
                    "age_band": None,
                    "language": "en",
                    "format": "chat",
                    "crisis": False,
                },
            }
        )
        return await self.until("queued")


async def check_origin_and_roles(base: str) -> None:
    """The staff socket refuses a foreign Origin; a counsellor gets 403 on /admin."""
    # unsafe=True: the jar must keep cookies from a bare IP address (127.0.0.1).
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http:
        async with http.post(
            f"{base}/auth/login", json={"username": "counsellor2", "password": "demo-counsellor2"}
        ) as response:
            assert response.status == 200
        ws_url = base.replace("http", "ws", 1) + "/ws/staff"
        with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
            await http.ws_connect(ws_url, origin="https://evil.example")
        assert refused.value.status == 403
        ws = await http.ws_connect(ws_url, origin=base)
        assert (await ws.receive_json(timeout=10))["type"] == "welcome"
        await ws.close()
        async with http.get(f"{base}/admin", allow_redirects=False) as response:
            assert response.status == 403


async def test_counsellor_console_in_a_real_browser(tmp_path: Path) -> None:
    """Sign in, go available, accept, chat safely, survive a restart, end; supervisor sees it.

    Also: the staff socket refuses a foreign Origin and a counsellor cannot open /admin.
    """
    server = ServerProcess(tmp_path)
    server.prepare()
    added = server.cli(
        "admin", "add-partner", "exit-north", "--name", "Exit North",
        "--contact", "+49 30 1234567", "--url", "https://exit-north.example",
    )  # fmt: skip
    assert added.returncode == 0, added.stderr
    server.start()
    dialogs: list[str] = []
    page_errors: list[str] = []
    try:
        async with playwright_api.async_playwright() as p, aiohttp.ClientSession() as http:
            browser = await launch(p)
            viewport = {"width": 1440, "height": 900}
            counsellor_ctx = await browser.new_context(viewport=viewport)
            page = await counsellor_ctx.new_page()
            page.on("pageerror", lambda exc: page_errors.append(str(exc)))
            page.on(
                "console",
                lambda m: (
                    page_errors.append(m.text)
                    if m.type == "error"
                    and "WebSocket" not in m.text
                    and "ERR_CONNECTION" not in m.text
                    else None
                ),
            )
            page.on(
                "dialog", lambda d: (dialogs.append(d.message), asyncio.ensure_future(d.dismiss()))
            )

            await page.goto(f"{server.url}/login")
            await page.screenshot(path=screenshot_path("web-login.png"))
            await sign_in(page, server.url, "counsellor1")
            assert page.url.endswith("/console")
            await expect(page.locator("#conn")).to_have_text("Connected")
            await page.click('button[data-status="available"]')
            await expect(page.locator('button[data-status="available"]')).to_have_attribute(
                "aria-pressed", "true"
            )

            player = Player(http, server.url)
            await player.start_session()
            await player.connect()
            await player.consent()

            offer = page.locator(".offer")
            await expect(offer).to_be_visible()
            await expect(page.locator("#queue-count")).not_to_have_text("")
            await page.screenshot(path=screenshot_path("web-console-offer.png"))
            await page.keyboard.press("Alt+Shift+Y")  # accept by keyboard
            matched = await player.until("matched")
            conversation_id = matched["conversation_id"]
            panel = page.locator(f"#panel-{conversation_id}")
            await expect(panel).to_be_visible()
            await expect(page.locator("#queue-count")).to_have_text("0")

            await player.send({"type": "message", "client_id": "p-1", "text": XSS})
            await player.until("ack", client_id="p-1")
            shown = panel.locator(".msg-player .text").last
            await expect(shown).to_have_text(XSS)
            assert await panel.locator(".log img").count() == 0

            reply = panel.locator("textarea")
            await reply.fill("Hello, I'm Sam. Take all the time you need.")
            await reply.press("Enter")
            got = await player.until("message", sender="counsellor")
            assert got["text"] == "Hello, I'm Sam. Take all the time you need."
            await expect(panel.locator(".msg-counsellor .meta").last).to_contain_text("sent")

            # A private note and a personal canned response, inserted by its shortcut.
            await page.fill("#note-text", "Worried about the brother; ask next time.")
            await page.click("#note-form button[type=submit]")
            await expect(page.locator("#notes-list .note")).to_contain_text(["brother"])
            await page.click("details:has(#canned-form) > summary")
            await page.fill("#canned-shortcut", "later")
            await page.fill("#canned-title-input", "Talk later")
            await page.fill("#canned-body", "We can pick this up whenever you like.")
            await page.click("#canned-form button[type=submit]")
            await expect(page.locator("#canned-list")).to_contain_text("Talk later")
            await reply.fill("/later")
            await reply.press("Tab")
            await expect(reply).to_have_value("We can pick this up whenever you like.")
            await reply.fill("")

            await player.send({"type": "typing", "on": True})
            await expect(panel.locator(".typing")).to_have_text("The player is typing…")
            await page.evaluate("window.scrollTo(0, 0)")
            await page.screenshot(path=screenshot_path("web-console-chat.png"))

            # The supervisor sees the counsellor's load.
            sup_ctx = await browser.new_context(viewport=viewport)
            sup = await sup_ctx.new_page()
            sup.on("pageerror", lambda exc: page_errors.append(str(exc)))
            await sign_in(sup, server.url, "supervisor1")
            await sup.goto(f"{server.url}/supervisor")
            sam_row = sup.locator("#counsellors tbody tr", has_text="Sam")
            await expect(sam_row.locator(".load-text")).to_have_text(" 1 of 3")
            await expect(sup.locator("#bookings li")).to_have_text("No bookings.")

            # Asking for a supervisor tells the player and puts the chat on the board.
            await panel.locator('button[data-action="supervisor"]').click()
            notice = await player.until("message", sender="system")
            assert "supervisor" in notice["text"]
            await expect(panel.locator(".msg-system .text").last).to_contain_text("supervisor")
            await sup.reload()  # rather than wait for the next 3-second refresh
            request_row = sup.locator("#requests li", has_text="Sam")
            await expect(request_row).to_be_visible()
            await sup.screenshot(path=screenshot_path("web-supervisor.png"), full_page=True)
            await request_row.locator("a").click()
            await sup.wait_for_load_state("networkidle")
            await expect(sup.locator(".transcript .msg-player .text").first).to_have_text(XSS)
            assert await sup.locator(".transcript img").count() == 0
            await sup.screenshot(path=screenshot_path("web-transcript.png"))
            # The open transcript follows the live conversation.
            await player.send({"type": "message", "client_id": "p-live", "text": "who reads this?"})
            await expect(sup.locator(".transcript .msg-player .text").last).to_have_text(
                "who reads this?"
            )
            await sup.goto(f"{server.url}/supervisor")
            sam_row = sup.locator("#counsellors tbody tr", has_text="Sam")

            # A restart loses nothing: a message sent while the server is down is delivered
            # once it is back (exactly once), and the typed draft stays.
            seen = max(f["seq"] for f in player.frames if f["type"] in ("message", "ack"))
            server.stop()
            await expect(page.locator("#conn")).to_contain_text("reconnecting", ignore_case=True)
            await reply.fill("Sent while the server was away.")
            await reply.press("Enter")
            await expect(panel.locator(".msg-pending")).to_have_count(1)
            draft = "I was going to ask you about"
            await reply.fill(draft)
            server.start()
            await expect(page.locator("#conn")).to_have_text("Connected", timeout=20_000)
            await expect(panel.locator(".msg-pending")).to_have_count(0)
            await expect(reply).to_have_value(draft)
            await page.reload()
            await expect(page.locator("#conn")).to_have_text("Connected")
            panel = page.locator(f"#panel-{conversation_id}")
            await expect(panel.locator("textarea")).to_have_value(draft)
            await expect(panel.locator(".msg-player .text")).to_have_count(2)
            await expect(panel.locator(".msg-counsellor")).to_have_count(2)
            await expect(panel.locator(".msg-system .text")).to_contain_text(["supervisor"])

            welcome = await player.connect()
            assert welcome["state"]["conversation_id"] == conversation_id
            await player.send(
                {"type": "resume", "conversation_id": conversation_id, "last_seq": seen}
            )
            await player.until("resumed")
            missed = [
                f["text"]
                for f in player.frames
                if f["type"] == "message" and f["seq"] > seen and f["sender"] == "counsellor"
            ]
            assert missed == ["Sent while the server was away."]
            await player.send({"type": "message", "client_id": "p-2", "text": "still there?"})
            await expect(panel.locator(".msg-player .text").last).to_have_text("still there?")
            await panel.locator("textarea").fill("")

            await panel.locator('button[data-action="end"]').click()
            await page.locator('#end-dialog input[value="talked"]').check()
            await page.locator('#end-dialog button[value="confirm"]').click()
            ended = await player.until("ended")
            assert ended["outcome"] == "talked"
            await expect(panel.locator(".ended-banner")).to_be_visible()
            await sup.reload()
            await expect(sam_row.locator(".load-text")).to_have_text(" 0 of 3")

            # A second player is referred to the partner organisation.
            second = Player(http, server.url)
            await second.start_session()
            await second.connect()
            await second.consent()
            await expect(page.locator(".offer")).to_be_visible()
            await page.keyboard.press("Alt+Shift+Y")
            second_id = (await second.until("matched"))["conversation_id"]
            second_panel = page.locator(f"#panel-{second_id}")
            await expect(second_panel).to_be_visible()
            await second_panel.locator('button[data-action="refer"]').click()
            await page.select_option("#refer-to", label="Exit North")
            await page.locator('#refer-dialog button[value="confirm"]').click()
            referral = await second.until("message", sender="counsellor")
            assert "Exit North" in referral["text"] and "+49 30 1234567" in referral["text"]
            await second.until("referred")
            await expect(second_panel.locator(".ended-banner")).to_be_visible()

            admin_ctx = await browser.new_context(viewport=viewport)
            admin = await admin_ctx.new_page()
            await sign_in(admin, server.url, "admin1")
            assert admin.url.endswith("/admin")
            await admin.screenshot(path=screenshot_path("web-admin.png"), full_page=True)
            await admin.goto(f"{server.url}/account")
            await admin.screenshot(path=screenshot_path("web-account.png"))
            await browser.close()
        await check_origin_and_roles(server.url)
    finally:
        server.stop()
    assert dialogs == [], "the page ran script from chat text"
    assert page_errors == [], page_errors
