"""The /board pages through the real app: propose, review, publish, log browser and export."""

from __future__ import annotations

import io
import re
import tarfile
from pathlib import Path

from aiohttp import FormData
from aiohttp.test_utils import TestClient

from ethics.exportdir import read_export
from ethics.review import CHECKLIST
from ethics.verify import verify_export
from tests.conftest import staff_login
from tests.integration.test_board_helpers import bundle_bytes

Client = TestClient  # type: ignore[type-arg]


async def _as(client: Client, username: str) -> str:
    client.session.cookie_jar.clear()
    return await staff_login(client, username)


async def _propose(client: Client, csrf: str, body: bytes, message: str) -> int:
    form = FormData()
    form.add_field("csrf_token", csrf)
    form.add_field("message", message)
    form.add_field("bundle", body, filename="bundle.json", content_type="application/json")
    response = await client.post("/board/proposals", data=form, allow_redirects=False)
    assert response.status == 303, await response.text()
    match = re.search(r"/board/proposals/(\d+)", response.headers["Location"])
    assert match
    return int(match.group(1))


async def _review(client: Client, csrf: str, pid: int, decision: str = "approve") -> int:
    page = await (await client.get(f"/board/proposals/{pid}")).text()
    bundle_hash = re.search(r'name="bundle_hash" value="([0-9a-f]{64})"', page)
    assert bundle_hash
    data = {
        "csrf_token": csrf,
        "bundle_hash": bundle_hash.group(1),
        "decision": decision,
        "rationale": "Read every locale and the checks.",
        **{f"check_{item}": "on" for item in CHECKLIST},
    }
    response = await client.post(f"/board/proposals/{pid}/review", data=data, allow_redirects=False)
    return response.status


async def test_board_needs_sign_in(seeded_client: Client) -> None:
    """Anonymous visitors are sent to the sign-in page."""
    response = await seeded_client.get("/board", allow_redirects=False)
    assert response.status == 303
    assert response.headers["Location"].startswith("/login")


async def test_counsellor_cannot_see_the_board(seeded_client: Client) -> None:
    """A counsellor without a board role gets a 403 page."""
    await _as(seeded_client, "counsellor1")
    response = await seeded_client.get("/board")
    assert response.status == 403


async def test_propose_review_publish_through_pages(seeded_client: Client, tmp_path: Path) -> None:
    """An author proposes, two members approve, one publishes; the content API serves it."""
    client = seeded_client
    csrf = await _as(client, "author1")
    body = bundle_bytes(tmp_path, ("Kind of weird, right?", "Strange, isn't it?"))
    pid = await _propose(client, csrf, body, "Softer wording in the group scene")
    page = await (await client.get(f"/board/proposals/{pid}?locale=en")).text()
    assert "Strange, isn&#39;t it?" in page  # the diff shows the new text
    assert "0 of 2 required approvals" in page
    index = await (await client.get("/board")).text()
    assert f"/board/proposals/{pid}" in index and "0 of 2" in index  # waiting, with its state

    csrf = await _as(client, "board1")
    assert await _review(client, csrf, pid) == 303
    response = await client.post(
        f"/board/proposals/{pid}/publish", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert response.status == 409
    assert "1 of 2 required approvals" in await response.text()

    csrf = await _as(client, "board2")
    assert await _review(client, csrf, pid) == 303
    response = await client.post(
        f"/board/proposals/{pid}/publish", data={"csrf_token": csrf}, allow_redirects=False
    )
    assert response.status == 303
    content = await client.get("/api/v1/content")
    assert content.status == 200
    assert b"Strange, isn't it?" in await content.read()

    log_page = await (await client.get("/board/log")).text()
    assert "publish" in log_page
    entry = await client.get("/board/log/0")
    assert "included in the signed checkpoint" in await entry.text()
    proof = await (await client.get("/board/log/0/proof.json")).json()
    assert proof["verified"] is True and proof["index"] == 0
    checkpoint = await client.get("/api/v1/ethics/checkpoint")
    assert checkpoint.status == 200 and (await checkpoint.text()).count("\n") >= 4

    export = await client.get("/board/export")
    assert export.status == 200
    archive = tarfile.open(fileobj=io.BytesIO(await export.read()), mode="r:gz")
    archive.extractall(tmp_path / "x", filter="data")
    report = verify_export(read_export(tmp_path / "x" / "ethics-export"))
    assert report.ok, [str(p) for p in report.problems]


async def test_missing_csrf_token_is_refused(seeded_client: Client, tmp_path: Path) -> None:
    """A decision posted without the CSRF token changes nothing."""
    client = seeded_client
    csrf = await _as(client, "author1")
    pid = await _propose(client, csrf, bundle_bytes(tmp_path), "A change for the CSRF test")
    await _as(client, "board1")
    response = await client.post(f"/board/proposals/{pid}/review", data={"decision": "veto"})
    assert response.status == 403
    page = await (await client.get(f"/board/proposals/{pid}")).text()
    assert "No reviews yet." in page


async def test_bad_upload_gets_a_clear_error(seeded_client: Client) -> None:
    """Uploading something that is not a bundle re-renders the page with the reason."""
    client = seeded_client
    csrf = await _as(client, "author1")
    form = FormData()
    form.add_field("csrf_token", csrf)
    form.add_field("message", "Not really a bundle")
    form.add_field("bundle", b"{not json", filename="b.json", content_type="application/json")
    response = await client.post("/board/proposals", data=form)
    assert response.status == 422
    assert "not valid" in await response.text()


async def test_unknown_proposal_and_entry_are_404(seeded_client: Client) -> None:
    """Unknown ids answer 404, never a server error."""
    await _as(seeded_client, "board1")
    for path in ("/board/proposals/999", "/board/proposals/abc", "/board/log/999", "/board/log/x"):
        assert (await seeded_client.get(path)).status == 404, path


async def test_emergency_unpublish_by_one_member(seeded_client: Client, tmp_path: Path) -> None:
    """One board member can unpublish; the content API then serves the previous bundle."""
    client = seeded_client
    before = (await client.get("/api/v1/content")).headers["X-Content-Hash"]
    csrf = await _as(client, "author1")
    pid = await _propose(
        client,
        csrf,
        bundle_bytes(tmp_path, ("Tomorrow is another day.", "Bye.")),
        "Shorter ending text",
    )
    for member in ("board1", "board2"):
        csrf = await _as(client, member)
        assert await _review(client, csrf, pid) == 303
    await client.post(f"/board/proposals/{pid}/publish", data={"csrf_token": csrf})
    assert (await client.get("/api/v1/content")).headers["X-Content-Hash"] != before
    response = await client.post(
        "/board/unpublish",
        data={"csrf_token": csrf, "rationale": "Emergency: wrong helpline"},
        allow_redirects=False,
    )
    assert response.status == 303
    assert (await client.get("/api/v1/content")).headers["X-Content-Hash"] == before


async def test_public_consistency_proof_for_witnesses(
    seeded_client: Client, tmp_path: Path
) -> None:
    """Anyone holding an old checkpoint can check that the log only grew since then."""
    import base64

    from ethics import merkle
    from ethics.checkpoint import Checkpoint

    client = seeded_client
    first = Checkpoint.parse_body(
        (await (await client.get("/api/v1/ethics/checkpoint")).text()).split("\n\n")[0] + "\n"
    )
    csrf = await _as(client, "author1")
    await _propose(client, csrf, bundle_bytes(tmp_path), "Grow the log a little")
    csrf = await _as(client, "board1")
    await client.post(
        "/board/unpublish", data={"csrf_token": csrf, "rationale": "Checkpoint needed now"}
    )
    client.session.cookie_jar.clear()  # the endpoint is public
    response = await client.get(f"/api/v1/ethics/consistency?from={first.size}")
    assert response.status == 200
    body = await response.json()
    assert body["new_size"] > first.size
    proof = [bytes.fromhex(h) for h in body["proof"]]
    assert merkle.verify_consistency(
        first.size, body["new_size"], first.root, bytes.fromhex(body["new_root"]), proof
    )
    assert (
        base64.b64encode(first.root).decode()
        in (await (await client.get("/api/v1/ethics/checkpoint")).text())
        or body["old_root"] == first.root.hex()
    )
    for bad in ("", "x", "-1", "999999"):
        assert (await client.get(f"/api/v1/ethics/consistency?from={bad}")).status == 400
