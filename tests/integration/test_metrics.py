"""``GET /metrics``: protected by its bearer token, and its counters move during a chat with
no player data in any label."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient
from prometheus_client.parser import text_string_to_metric_families

from server import scheduler
from server.app import create_app
from server.metrics import METRICS, Metrics
from server.settings import Settings
from server.storage.types import utcnow
from tests.integration.test_handoff_support import (
    connect_player,
    connect_staff,
    consent_frame,
    published_offer,
)

TOKEN = "scrape-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}


async def scrape(client: TestClient) -> tuple[str, dict[tuple[str, tuple[str, ...]], float]]:  # type: ignore[type-arg]
    """The raw text and every sample as ``(name, sorted label pairs) -> value``."""
    response = await client.get("/metrics", headers=AUTH)
    assert response.status == 200, await response.text()
    text = await response.text()
    samples = {
        (s.name, tuple(f"{k}={v}" for k, v in sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    return text, samples


async def test_metrics_move_during_a_chat_without_player_data(
    aiohttp_client: Callable[..., Awaitable[TestClient]],  # type: ignore[type-arg]
    seeded_settings: Settings,
) -> None:
    """Queue, offers, matches, messages, writer batches and sockets count; labels hold no ids."""
    settings = seeded_settings.model_copy(update={"metrics_token": TOKEN})
    client = await aiohttp_client(create_app(settings))
    _, before = await scrape(client)
    assert before[("crossroads_chat_messages_total", ())] == 0

    bundle = await published_offer(client)
    player = await connect_player(client)
    # a language no counsellor here speaks is refused at once, and never becomes a label
    stranger = await connect_player(client)
    await stranger.send(consent_frame(bundle, language="zz-evil"))
    assert (await stranger.expect("error"))["code"] == "no_counsellor"
    waiter = await connect_player(client)
    await waiter.send(consent_frame(bundle, language="de"))
    await waiter.expect("queued")
    text, waiting = await scrape(client)
    # no counsellor who speaks German is connected yet, so the label does not name it
    assert (
        waiting[("crossroads_queue_length", ("kind=any", "language=other", "organisation=home"))]
        == 1
    )
    assert "zz-evil" not in text
    assert waiting[("crossroads_sockets", ("side=player",))] == 3

    counsellor = await connect_staff(client, "counsellor3")
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
    offer = await counsellor.expect("offer")
    await counsellor.send({"type": "accept", "offer_id": offer["offer_id"]})
    conversation = (await player.expect("matched"))["conversation_id"]
    for i in range(3):
        await player.send({"type": "message", "client_id": f"p{i}", "text": f"secret {i}"})
        await player.expect("ack")
    await counsellor.send(
        {"type": "message", "conversation_id": conversation, "client_id": "c", "text": "hi"}
    )
    await counsellor.expect("ack")

    text, after = await scrape(client)
    assert after[("crossroads_chat_messages_total", ())] == 4
    assert after[("crossroads_matches_total", ("organisation=home",))] == 1
    assert after[("crossroads_offers_total", ("organisation=home",))] >= 1
    assert after[("crossroads_conversations_active", ())] == 1
    assert after[("crossroads_sockets", ("side=staff",))] == 1
    assert after[("crossroads_writer_batch_size_count", ("kind=messages",))] >= 1
    assert after[("crossroads_writer_commit_seconds_count", ("kind=state",))] >= 1
    assert after[("crossroads_wait_seconds_count", ("organisation=home",))] == 1
    assert after[("crossroads_ethics_log_size", ())] >= 1
    assert ("crossroads_ethics_checkpoint_age_seconds", ()) in after
    for secret in (player.token, conversation, "secret", player.welcome["session_id"]):
        assert str(secret) not in text
    await counsellor.close()


async def test_metrics_need_their_token(
    aiohttp_client: Callable[..., Awaitable[TestClient]],  # type: ignore[type-arg]
    settings: Settings,
    client: TestClient,  # type: ignore[type-arg]
) -> None:
    """Without the configured bearer token nobody reads the metrics; with none set, 404."""
    off = await client.get("/metrics", headers=AUTH)
    assert off.status == 404 and (await off.json())["error"]["code"] == "not_found"
    protected = await aiohttp_client(
        create_app(settings.model_copy(update={"metrics_token": TOKEN}))
    )
    assert (await protected.get("/metrics")).status == 401
    wrong = {"Authorization": "Bearer " + "x" * len(TOKEN)}
    assert (await protected.get("/metrics", headers=wrong)).status == 401
    assert (await protected.get("/metrics", headers=AUTH)).status == 200
    host, port = protected.server.host, protected.server.port
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
        + "Authorization: Bearer é€ÿ\r\n\r\n".encode()
    )
    status_line = (await reader.read(100)).split(b"\r\n")[0]
    writer.close()
    assert status_line == b"HTTP/1.1 401 Unauthorized"  # a non-ASCII token, not a 500


@scheduler.job("test.metrics_fails")
async def _fails(app: web.Application) -> None:
    """A job that always fails."""
    raise RuntimeError("the job's own failure")


async def test_scheduler_runs_and_failures_are_counted(settings: Settings) -> None:
    """A scheduled job that fails shows as one run and one failure of that job."""
    app = create_app(settings.model_copy(update={"scheduler_enabled": True}))
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        scheduler.add_job(
            app[scheduler.SCHEDULER],
            "test.metrics_fails",
            "date",
            job_id="fails-1",
            run_date=utcnow() + timedelta(milliseconds=200),
        )
        registry = app[METRICS].registry
        for _ in range(50):
            if registry.get_sample_value(
                "crossroads_scheduler_failures_total", {"job": "test.metrics_fails"}
            ):
                break
            await asyncio.sleep(0.1)
        labels = {"job": "test.metrics_fails"}
        assert registry.get_sample_value("crossroads_scheduler_runs_total", labels) == 1
        assert registry.get_sample_value("crossroads_scheduler_failures_total", labels) == 1
    finally:
        await runner.cleanup()


def test_a_failure_to_count_never_reaches_the_chat(caplog: pytest.LogCaptureFixture) -> None:
    """If counting breaks, the hub and the writer carry on; the failure is logged."""
    metrics = Metrics()

    class BrokenHub:
        core = None  # any attribute access on it fails

    from handoff import OfferMade

    event = OfferMade.__new__(OfferMade)
    object.__setattr__(event, "request_id", "r1")
    metrics.handoff_events(BrokenHub(), [event])  # type: ignore[arg-type]
    metrics.committed("messages", "not a number", 0.1)  # type: ignore[arg-type]
    assert "counting handoff events failed" in caplog.text
    assert "counting a chat writer commit failed" in caplog.text
