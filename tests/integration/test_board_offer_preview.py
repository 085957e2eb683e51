"""The board sees the offer of a proposal as players see it today, with live facts filled in."""

from __future__ import annotations

from aiohttp.test_utils import TestClient

from tests.conftest import staff_login

Client = TestClient  # type: ignore[type-arg]


async def test_offer_preview_fills_todays_facts(seeded_client: Client) -> None:
    """The demo proposal's offer names the operator, funder, retention and confidentiality."""
    await staff_login(seeded_client, "board1")
    response = await seeded_client.get("/board/proposals/1/offer")
    assert response.status == 200, await response.text()
    page = await response.text()
    assert "Crossroads Exit Network (demo)" in page
    assert "Demo Foundation for Civic Education" in page
    assert "until 30 days after the conversation ends" in page
    assert "may contact the emergency services (112)" in page
    assert "Open around the clock, every day." in page  # the demo's 00:00-24:00 hours
    assert "{funder}" not in page and "{confidentiality}" not in page
    assert 'lang="de"' in page and "bezahlt von Demo Foundation" in page


async def test_offer_preview_needs_a_board_role(seeded_client: Client) -> None:
    """A counsellor cannot open the board's pages, this one included."""
    await staff_login(seeded_client, "counsellor1")
    response = await seeded_client.get("/board/proposals/1/offer")
    assert response.status == 403


async def test_offer_preview_of_an_unknown_proposal_is_404(seeded_client: Client) -> None:
    """A proposal that does not exist is a clear 404."""
    await staff_login(seeded_client, "board1")
    assert (await seeded_client.get("/board/proposals/999/offer")).status == 404
