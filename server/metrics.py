"""Prometheus metrics at ``GET /metrics`` (prometheus-client), for the operator's monitoring.

What is counted: the queue by organisation, language and kind; waits; offers and what became
of them; matches; conversations that are live and that ended; stored chat messages; the chat
writer's batch sizes and commit latency; open sockets; the ethics log's size and the age of
its last signed checkpoint; scheduler runs and failures.

No player data in any label: labels are organisations (the server's own partner keys),
languages some counsellor speaks (any other is ``other``, so a client cannot mint label
values), counsellor kinds, offer outcomes and job names. Counting is a few counter
increments per handoff event and one histogram observation per writer batch (never per
message); queue and socket figures are read from the hub only when scraped.

Scraping needs ``Authorization: Bearer <CROSSROADS_METRICS_TOKEN>``; without a token set,
``/metrics`` answers 404 and nothing can read it.
"""

from __future__ import annotations

import hmac
import logging
from collections import Counter as Tally
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from aiohttp import web
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from handoff import Ended, HandoffEvent, Matched, OfferExpired, OfferMade, Queued, State
from server.errors import json_error

if TYPE_CHECKING:
    from server.gateways.hub import Hub

log = logging.getLogger("crossroads.metrics")

WAITING = (State.WAITING, State.OFFERED)
LIVE = (State.ACTIVE, State.GRACE)
#: Seconds: from a few seconds' wait to an hour.
WAIT_BUCKETS = (1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600)
#: Items per group commit (the writer's cap is 4,096).
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096)
#: Seconds per commit: an fsync is about a millisecond on a good disk.
COMMIT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)


class Metrics:
    """The metrics of one app, in a registry of their own (tests run many apps at once)."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.requests = Counter(
            "crossroads_handoff_requests",
            "Requests for a conversation that entered the queue (requeued ones too).",
            ["organisation", "requeued"],
            registry=r,
        )
        self.offers = Counter(
            "crossroads_offers", "Offers made to a counsellor.", ["organisation"], registry=r
        )
        self.offer_outcomes = Counter(
            "crossroads_offer_outcomes",
            "Offers that did not lead to a match, by what happened to them.",
            ["outcome"],
            registry=r,
        )
        self.matches = Counter(
            "crossroads_matches", "Players matched with a counsellor.", ["organisation"], registry=r
        )
        self.waits = Histogram(
            "crossroads_wait_seconds",
            "Time from entering the queue to being matched.",
            ["organisation"],
            buckets=WAIT_BUCKETS,
            registry=r,
        )
        self.ended = Counter(
            "crossroads_conversations_ended",
            "Conversations that ended, by who ended them.",
            ["by"],
            registry=r,
        )
        self.messages = Counter(
            "crossroads_chat_messages",
            "Chat messages stored (rate() of this is messages per second).",
            registry=r,
        )
        self.batch_size = Histogram(
            "crossroads_writer_batch_size",
            "Items per group commit of the chat writer.",
            ["kind"],
            buckets=BATCH_BUCKETS,
            registry=r,
        )
        self.commit_seconds = Histogram(
            "crossroads_writer_commit_seconds",
            "Time per group commit of the chat writer.",
            ["kind"],
            buckets=COMMIT_BUCKETS,
            registry=r,
        )
        self.job_runs = Counter(
            "crossroads_scheduler_runs", "Scheduled job runs.", ["job"], registry=r
        )
        self.job_failures = Counter(
            "crossroads_scheduler_failures", "Scheduled job runs that failed.", ["job"], registry=r
        )
        self.live = LiveCollector()
        r.register(self.live)

    # Hooks, called by the parts they observe. A failure to count is logged and swallowed:
    # it must never stop the chat it observes.
    def handoff_events(self, hub: Hub, events: Iterable[HandoffEvent]) -> None:
        """Count what the handoff core did (called by the hub for every batch of events)."""
        try:
            self._count_events(hub, events)
        except Exception:
            log.exception("counting handoff events failed")

    def _count_events(self, hub: Hub, events: Iterable[HandoffEvent]) -> None:
        for e in events:
            if isinstance(e, Queued):
                self.requests.labels(e.organisation, "yes" if e.requeued else "no").inc()
            elif isinstance(e, OfferMade):
                req = hub.core.requests.get(e.request_id)
                self.offers.labels(req.organisation if req else "unknown").inc()
            elif isinstance(e, OfferExpired):
                self.offer_outcomes.labels(e.reason).inc()
            elif isinstance(e, Matched):
                req = hub.core.requests.get(e.request_id)
                org = req.organisation if req else "unknown"
                self.matches.labels(org).inc()
                if req is not None and e.transferred_from is None:
                    waited = (datetime.now(UTC) - req.created_at).total_seconds()
                    self.waits.labels(org).observe(max(0.0, waited))
            elif isinstance(e, Ended):
                self.ended.labels(str(e.by)).inc()

    def committed(self, kind: str, items: int, seconds: float) -> None:
        """One group commit of the chat writer (``kind``: messages or state)."""
        try:
            self.batch_size.labels(kind).observe(items)
            self.commit_seconds.labels(kind).observe(seconds)
            if kind == "messages":
                self.messages.inc(items)
        except Exception:
            log.exception("counting a chat writer commit failed")

    def job_done(self, name: str, ok: bool) -> None:
        """A scheduled job ran (on the scheduler's thread; the counters are thread-safe)."""
        self.job_runs.labels(name).inc()
        if not ok:
            self.job_failures.labels(name).inc()


class LiveCollector(Collector):
    """Figures read at scrape time: queue, live conversations, sockets, the ethics log."""

    def __init__(self) -> None:
        self.hub: Hub | None = None
        self.log_size: int | None = None
        self.checkpoint_at: datetime | None = None

    def collect(self) -> Iterator[Metric]:
        queue = GaugeMetricFamily(
            "crossroads_queue_length",
            "Players waiting (or being offered), by organisation, language and kind.",
            labels=["organisation", "language", "kind"],
        )
        conversations = GaugeMetricFamily(
            "crossroads_conversations_active", "Live conversations (including grace periods)."
        )
        sockets = GaugeMetricFamily(
            "crossroads_sockets", "Open WebSockets, by side.", labels=["side"]
        )
        counsellors = GaugeMetricFamily(
            "crossroads_counsellors_connected",
            "Connected counsellors, by status.",
            labels=["status"],
        )
        hub = self.hub
        if hub is not None:
            spoken = {lang for c in hub.core.counsellors.values() for lang in c.profile.languages}
            waiting: Tally[tuple[str, str, str]] = Tally()
            live = 0
            for req in list(hub.core.requests.values()):
                if req.state in WAITING:
                    language = req.prefs.language if req.prefs.language in spoken else "other"
                    kind = req.prefs.required_kind or "any"
                    waiting[(req.organisation, language, kind)] += 1
                elif req.state in LIVE:
                    live += 1
            for labels, count in sorted(waiting.items()):
                queue.add_metric(list(labels), count)
            conversations.add_metric([], live)
            sockets.add_metric(["player"], sum(len(c) for c in hub.players.values()))
            sockets.add_metric(["staff"], sum(len(c) for c in hub.staff.values()))
            statuses = Tally(c.status for c in hub.core.counsellors.values() if c.connected)
            for status, count in sorted(statuses.items()):
                counsellors.add_metric([status], count)
        yield from (queue, conversations, sockets, counsellors)
        if self.log_size is not None:
            yield GaugeMetricFamily(
                "crossroads_ethics_log_size", "Entries in the ethics log.", value=self.log_size
            )
        if self.checkpoint_at is not None:
            age = (datetime.now(UTC) - self.checkpoint_at).total_seconds()
            yield GaugeMetricFamily(
                "crossroads_ethics_checkpoint_age_seconds",
                "Seconds since the ethics log's last signed checkpoint.",
                value=max(0.0, age),
            )


METRICS: web.AppKey[Metrics] = web.AppKey("crossroads_metrics", Metrics)


async def _read_ethics_log(app: web.Application, live: LiveCollector) -> None:
    """Refresh the ethics log figures (one small query each, at scrape time)."""
    from server.app import DB

    async with app[DB].engine.connect() as conn:
        size = await conn.scalar(sa.text("SELECT count(*) FROM ethics_log_entry"))
        at = await conn.scalar(sa.text("SELECT max(created_at) FROM ethics_checkpoint"))
    live.log_size = int(size or 0)
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    live.checkpoint_at = at if at is None or at.tzinfo else at.replace(tzinfo=UTC)


async def metrics_handler(request: web.Request) -> web.Response:
    """``GET /metrics``: the Prometheus text format, for a scraper holding the token."""
    from server.app import SETTINGS

    token = request.app[SETTINGS].metrics_token
    if not token:
        return json_error(404, "not_found", "Metrics are off: no CROSSROADS_METRICS_TOKEN is set.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    # As bytes: compare_digest refuses str with non-ASCII characters (a client's choice).
    sent = given.strip().encode("utf-8", "surrogateescape")
    if scheme.lower() != "bearer" or not hmac.compare_digest(sent, token.encode()):
        response = json_error(401, "bad_metrics_token", "Send the metrics bearer token.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    metrics = request.app[METRICS]
    await _read_ethics_log(request.app, metrics.live)
    return web.Response(
        body=generate_latest(metrics.registry),
        headers={"Content-Type": CONTENT_TYPE_LATEST, "Cache-Control": "no-store"},
    )


async def _attach(app: web.Application) -> None:
    """Connect the hooks once the hub exists (cleanup contexts run before on_startup)."""
    from server.gateways.common import HUB

    metrics = app[METRICS]
    if HUB in app:
        hub = app[HUB]
        metrics.live.hub = hub
        hub.on_events.append(lambda events: metrics.handoff_events(hub, events))
        hub.store.on_commit = metrics.committed


def setup(app: web.Application) -> None:
    """Create the app's metrics and serve them at ``/metrics``."""
    from server.app import SETTINGS
    from server.scheduler import JOB_DONE

    app[METRICS] = metrics = Metrics()
    app.router.add_get("/metrics", metrics_handler, name="metrics")
    if app[SETTINGS].metrics_enabled:
        app.on_startup.append(_attach)
        app[JOB_DONE] = metrics.job_done
