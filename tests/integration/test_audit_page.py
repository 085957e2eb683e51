"""The admin's audit log page: filter by action, person, target and dates; page by row id."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from aiohttp.test_utils import TestClient

from server.app import DB
from tests.integration.test_web_support import sign_in, web_client  # noqa: F401

ROW = re.compile(r'<tr data-id="(\d+)">')


async def add_rows(client: TestClient, n: int, action: str, target: str, at: datetime) -> None:  # type: ignore[type-arg]
    async with client.app[DB].engine.begin() as c:
        for i in range(n):
            await c.execute(
                sa.text(
                    "INSERT INTO audit_log (at, staff_id, action, target, ip, detail) "
                    "VALUES (:at, NULL, :a, :t, '10.0.0.1', '{}')"
                ),
                {"at": at + timedelta(seconds=i), "a": action, "t": f"{target}-{i}"},
            )


async def test_audit_log_filters_and_pages(web_client: TestClient) -> None:  # noqa: F811
    """120 rows page as 50, 50 and the rest with no row twice; filters narrow by action,
    target and date; a bad date is a clear 400 on the page."""
    day = datetime(2026, 11, 30, 12, tzinfo=UTC)
    await add_rows(web_client, 120, "transcript_read", "conv", day)
    await add_rows(web_client, 3, "staff_save", "counsellor9", day + timedelta(days=2))
    await sign_in(web_client, "admin1")
    seen: list[int] = []
    url = "/admin/audit?action=transcript_read"
    for expected in (50, 50, 20):
        page = await web_client.get(url)
        assert page.status == 200
        html = await page.text()
        ids = [int(i) for i in ROW.findall(html)]
        assert len(ids) == expected and ids == sorted(ids, reverse=True)
        seen += ids
        older = re.search(r'href="(/admin/audit\?[^"]+)" id="audit-older"', html)
        if expected < 50:
            assert older is None
        else:
            assert older is not None
            url = older.group(1).replace("&amp;", "&")
    assert len(seen) == len(set(seen)) == 120
    narrow = await (await web_client.get("/admin/audit?target=counsellor9")).text()
    assert len(ROW.findall(narrow)) == 3
    dated = await (
        await web_client.get("/admin/audit?action=transcript_read&since=2026-12-01")
    ).text()
    assert ROW.findall(dated) == []
    bad = await web_client.get("/admin/audit?since=yesterday")
    assert bad.status == 400
    assert "must be a date" in await bad.text()


async def test_audit_log_is_for_admins_only(web_client: TestClient) -> None:  # noqa: F811
    """A counsellor cannot open the audit log."""
    await sign_in(web_client, "counsellor1")
    response = await web_client.get("/admin/audit", allow_redirects=False)
    assert response.status == 403
