"""The pilot's measures per counsellor kind and ISO week, from plain rows (no I/O, no clock).

Every measure is defined in docs/REPORTS.md. There are three populations, each published as a
count table that passes :func:`handoff.reports.suppression.suppress_table`:

- offers made to counsellors (rows: the offered counsellor's kind),
- requests for a conversation (rows: the kind the player asked for, or ``none``),
- conversations delivered (rows: the counsellor's kind).

Everything else is a share, mean or percentile *of* one of these populations, shown for a
grid entry only when that population's entry is published, and (for shares) only when
neither the part nor the rest is a small count. No other count is ever published, so no
count can be worked out by subtracting one published table from another.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final, Literal

from handoff.model import KINDS
from handoff.reports.suppression import SuppressedTable, is_small, rate, suppress_table

#: Row label for requests where the player did not ask for a kind.
NO_KIND: Final = "none"
REQUEST_ROWS: Final[tuple[str, ...]] = (*KINDS, NO_KIND)
#: Offer results the dispatcher reports (accepted is recorded on match).
OFFER_RESULTS: Final = ("accepted", "declined", "expired", "withdrawn", "left")
#: The smallest number of values a median or 90th percentile is shown over.
MIN_FOR_PERCENTILE: Final = 8

_Fn = Callable[[list[Any], bool], float | None]
Unit = Literal["count", "share", "messages", "minutes", "seconds"]


@dataclass(frozen=True, slots=True)
class OfferRow:
    """One offer of a waiting request to a counsellor, and how it was resolved."""

    at: datetime
    counsellor_id: int
    kind: str
    result: str


@dataclass(frozen=True, slots=True)
class RequestRow:
    """One request for a conversation, from consent to its end, reduced to what reports need.

    ``kind``/``counsellor_id`` belong to the counsellor who ended the conversation (None when
    never matched). ``first_reply_seconds`` runs from the request to the first counsellor
    message. ``answered`` counts counsellor messages whose next message was the player's.
    """

    created_at: datetime
    wanted_kind: str | None = None
    counsellor_id: int | None = None
    kind: str | None = None
    matched: bool = False
    left_waiting: bool = False
    first_reply_seconds: float | None = None
    messages: int = 0
    counsellor_messages: int = 0
    answered: int = 0
    minutes: float | None = None
    completed: bool = False
    objective_agreed: bool = False
    objective_met: bool = False
    helped: bool | None = None


#: Outcomes that count as a completed conversation (a counsellor ended it with an outcome);
#: every other end (the player left or erased, nobody answered) counts as abandoned.
COMPLETED_OUTCOMES: Final = frozenset({"talked", "referred", "no_response", "safeguarding"})


@dataclass(frozen=True, slots=True)
class MessageSummary:
    """What a conversation's messages contribute to a :class:`RequestRow`."""

    messages: int
    counsellor_messages: int
    answered: int
    first_counsellor_at: datetime | None


def summarise_messages(messages: Iterable[tuple[str, datetime]]) -> MessageSummary:
    """Count a conversation's messages, given ``(sender, at)`` in sequence order.

    A counsellor message counts as answered when the next message is the player's; so of two
    counsellor messages in a row only the second can be answered (the pilot's response rate
    asks whether a message drew a reply).
    """
    total = counsellor = answered = 0
    first: datetime | None = None
    previous: str | None = None
    for sender, at in messages:
        total += 1
        if sender == "counsellor":
            counsellor += 1
            if first is None:
                first = at
        elif sender == "player" and previous == "counsellor":
            answered += 1
        previous = sender
    return MessageSummary(total, counsellor, answered, first)


@dataclass(frozen=True, slots=True)
class Figure:
    """One measure over the grid of rows x weeks; the last row and column are the totals.

    ``values[r][c]`` is None where the figure is withheld. ``table`` is set for count figures.
    """

    key: str
    unit: Unit
    population: str
    rows: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]
    table: SuppressedTable | None = None

    def at(self, row: str | None, week: int | None) -> float | None:
        """The figure for a row label (None: all rows) and week index (None: all weeks)."""
        r = len(self.rows) if row is None else self.rows.index(row)
        c = len(self.values[0]) - 1 if week is None else week
        return self.values[r][c]


@dataclass(frozen=True, slots=True)
class Report:
    """All figures for ``weeks`` (ISO week labels) between ``start`` and ``end``."""

    start: date
    end: date
    weeks: tuple[str, ...]
    figures: dict[str, Figure] = field(default_factory=dict)
    scope: str = "all"


def iso_week(moment: datetime | date) -> str:
    """The ISO 8601 week label of a moment, e.g. ``2026-W49`` (UTC)."""
    if isinstance(moment, datetime):
        moment = moment.astimezone(UTC).date()
    year, week, _ = moment.isocalendar()
    return f"{year}-W{week:02d}"


def weeks_between(start: date, end: date) -> tuple[str, ...]:
    """Every ISO week touching the days from ``start`` up to and including ``end``."""
    if end < start:
        raise ValueError("the end of a report range comes before its start")
    out: list[str] = []
    day = start
    while day <= end:
        label = iso_week(day)
        if label not in out:
            out.append(label)
        day += timedelta(days=1)
    label = iso_week(end)
    if label not in out:
        out.append(label)
    return tuple(out)


class _Grid:
    """Buckets of items per (row, week) entry, margins included (last index = total)."""

    def __init__(self, rows: Sequence[str], weeks: Sequence[str]) -> None:
        self.rows = tuple(rows)
        self.weeks = tuple(weeks)
        self._week_index = {w: i for i, w in enumerate(weeks)}
        self.buckets: list[list[list[Any]]] = [
            [[] for _ in range(len(weeks) + 1)] for _ in range(len(rows) + 1)
        ]

    def add(self, row: str, at: datetime, item: Any) -> None:
        c = self._week_index.get(iso_week(at))
        if c is None or row not in self.rows:
            return
        r = self.rows.index(row)
        nr, nc = len(self.rows), len(self.weeks)
        for i, j in ((r, c), (r, nc), (nr, c), (nr, nc)):
            self.buckets[i][j].append(item)

    def counts(self) -> list[list[int]]:
        return [[len(b) for b in row[:-1]] for row in self.buckets[:-1]]


def _count_figure(key: str, population: str, grid: _Grid) -> Figure:
    table = suppress_table(grid.counts())
    nr, nc = len(grid.rows), len(grid.weeks)
    values = tuple(
        tuple(
            (
                None
                if (v := table.entry(None if r == nr else r, None if c == nc else c)) is None
                else float(v)
            )
            for c in range(nc + 1)
        )
        for r in range(nr + 1)
    )
    return Figure(key, "count", population, grid.rows, values, table)


def _derived(
    key: str,
    unit: Unit,
    population: Figure,
    grid: _Grid,
    fn: _Fn,
) -> Figure:
    values = tuple(
        tuple(
            fn(grid.buckets[r][c], population.values[r][c] is not None)
            for c in range(len(grid.weeks) + 1)
        )
        for r in range(len(grid.rows) + 1)
    )
    return Figure(key, unit, population.key, grid.rows, values)


def _share(test: Callable[[Any], bool], base: Callable[[Any], bool] | None = None) -> _Fn:
    """A share of the items meeting ``test`` among those meeting ``base`` (default: all)."""

    def fn(items: list[Any], published: bool) -> float | None:
        pool = items if base is None else [i for i in items if base(i)]
        if base is not None and not published:
            return None
        part = sum(1 for i in pool if test(i))
        return rate(part, len(pool), published=published)

    return fn


def _mean(get: Callable[[RequestRow], float | None]) -> _Fn:
    def fn(items: list[Any], published: bool) -> float | None:
        vals = [v for i in items if (v := get(i)) is not None]
        if not published or len(vals) < MIN_FOR_PERCENTILE:
            return None
        return statistics.fmean(vals)

    return fn


def _percentile(get: Callable[[RequestRow], float | None], q: int) -> _Fn:
    def fn(items: list[Any], published: bool) -> float | None:
        vals = sorted(v for i in items if (v := get(i)) is not None)
        if not published or len(vals) < MIN_FOR_PERCENTILE:
            return None
        if q == 50:
            return statistics.median(vals)
        return statistics.quantiles(vals, n=10, method="inclusive")[q // 10 - 1]

    return fn


def _message_rate(items: list[Any], published: bool) -> float | None:
    rows = [i for i in items if isinstance(i, RequestRow)]
    sent = sum(r.counsellor_messages for r in rows)
    if not published or sent == 0:
        return None
    return sum(r.answered for r in rows) / sent


def build_report(
    offers: Iterable[OfferRow],
    requests: Iterable[RequestRow],
    *,
    start: date,
    end: date,
    scope: str = "all",
) -> Report:
    """Compute every figure for the ISO weeks from ``start`` to ``end``, suppressed.

    Rows outside those weeks are ignored. ``scope`` labels whose figures these are ("all", or a
    counsellor's own); the caller decides which rows go in.
    """
    weeks = weeks_between(start, end)
    offer_grid = _Grid(KINDS, weeks)
    for o in offers:
        offer_grid.add(o.kind, o.at, o)
    request_grid = _Grid(REQUEST_ROWS, weeks)
    conv_grid = _Grid(KINDS, weeks)
    for q in requests:
        request_grid.add(q.wanted_kind or NO_KIND, q.created_at, q)
        if q.matched and q.kind is not None:
            conv_grid.add(q.kind, q.created_at, q)

    made = _count_figure("offers_made", "offers", offer_grid)
    asked = _count_figure("requests", "requests", request_grid)
    delivered = _count_figure("conversations", "conversations", conv_grid)
    figs = [
        made,
        _derived(
            "offers_accepted", "share", made, offer_grid, _share(lambda o: o.result == "accepted")
        ),
        _derived(
            "offers_declined", "share", made, offer_grid, _share(lambda o: o.result == "declined")
        ),
        asked,
        _derived(
            "abandoned_waiting", "share", asked, request_grid, _share(lambda q: q.left_waiting)
        ),
        delivered,
        _derived(
            "length_messages", "messages", delivered, conv_grid, _mean(lambda q: float(q.messages))
        ),
        _derived("length_minutes", "minutes", delivered, conv_grid, _mean(lambda q: q.minutes)),
        _derived("response_rate", "share", delivered, conv_grid, _message_rate),
        _derived("completed", "share", delivered, conv_grid, _share(lambda q: q.completed)),
        _derived(
            "objective_agreed", "share", delivered, conv_grid, _share(lambda q: q.objective_agreed)
        ),
        _derived(
            "objective_met",
            "share",
            delivered,
            conv_grid,
            _share(lambda q: q.objective_met, lambda q: q.objective_agreed),
        ),
        _derived(
            "wait_median_seconds",
            "seconds",
            delivered,
            conv_grid,
            _percentile(lambda q: q.first_reply_seconds, 50),
        ),
        _derived(
            "wait_p90_seconds",
            "seconds",
            delivered,
            conv_grid,
            _percentile(lambda q: q.first_reply_seconds, 90),
        ),
        _derived(
            "helped",
            "share",
            delivered,
            conv_grid,
            _share(lambda q: q.helped is True, lambda q: q.helped is not None),
        ),
    ]
    return Report(start=start, end=end, weeks=weeks, figures={f.key: f for f in figs}, scope=scope)


__all__ = [
    "COMPLETED_OUTCOMES",
    "NO_KIND",
    "OFFER_RESULTS",
    "REQUEST_ROWS",
    "Figure",
    "MessageSummary",
    "OfferRow",
    "Report",
    "RequestRow",
    "build_report",
    "is_small",
    "iso_week",
    "summarise_messages",
    "weeks_between",
]
