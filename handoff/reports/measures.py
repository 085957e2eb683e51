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

import math
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


@dataclass(slots=True)
class OfferCell:
    """Offers made to one kind in one week, and how many were accepted or declined."""

    n: int = 0
    accepted: int = 0
    declined: int = 0

    def merge(self, other: OfferCell) -> None:
        self.n += other.n
        self.accepted += other.accepted
        self.declined += other.declined


@dataclass(slots=True)
class RequestCell:
    """Finished requests asking for one kind (or none) in one week; how many left waiting."""

    n: int = 0
    left: int = 0

    def merge(self, other: RequestCell) -> None:
        self.n += other.n
        self.left += other.left


@dataclass(slots=True)
class ConversationCell:
    """Conversations delivered by one kind in one week, reduced to sums.

    ``waits`` counts first-reply waits by their value rounded to ``WAIT_BIN_SECONDS``, so a
    store can hand over the distribution without every row (the median and 90th percentile are
    then exact to that resolution).
    """

    n: int = 0
    completed: int = 0
    agreed: int = 0
    met: int = 0
    helped_yes: int = 0
    helped_answered: int = 0
    messages: int = 0
    minutes_sum: float = 0.0
    minutes_n: int = 0
    counsellor_messages: int = 0
    answered: int = 0
    waits: dict[float, int] = field(default_factory=dict)

    def merge(self, other: ConversationCell) -> None:
        for name in (
            "n",
            "completed",
            "agreed",
            "met",
            "helped_yes",
            "helped_answered",
            "messages",
            "minutes_sum",
            "minutes_n",
            "counsellor_messages",
            "answered",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for value, count in other.waits.items():
            self.waits[value] = self.waits.get(value, 0) + count


#: First-reply waits are taken to this resolution (seconds).
WAIT_BIN_SECONDS: Final = 10


def wait_bin(seconds: float) -> float:
    """A wait rounded to the nearest ``WAIT_BIN_SECONDS`` (halves up, as stores compute it)."""
    return float(WAIT_BIN_SECONDS * math.floor(seconds / WAIT_BIN_SECONDS + 0.5))


#: (row label, week label) -> cell
Cells = dict[tuple[str, str], Any]


@dataclass(slots=True)
class ReportCells:
    """Everything a report is computed from: one cell per (row, week) and population."""

    offers: dict[tuple[str, str], OfferCell] = field(default_factory=dict)
    requests: dict[tuple[str, str], RequestCell] = field(default_factory=dict)
    conversations: dict[tuple[str, str], ConversationCell] = field(default_factory=dict)


def aggregate(offers: Iterable[OfferRow], requests: Iterable[RequestRow]) -> ReportCells:
    """Reduce rows to cells: the definition every store's aggregation must agree with."""
    cells = ReportCells()
    for o in offers:
        oc = cells.offers.setdefault((o.kind, iso_week(o.at)), OfferCell())
        oc.n += 1
        oc.accepted += o.result == "accepted"
        oc.declined += o.result == "declined"
    for q in requests:
        week = iso_week(q.created_at)
        rc = cells.requests.setdefault((q.wanted_kind or NO_KIND, week), RequestCell())
        rc.n += 1
        rc.left += q.left_waiting
        if not (q.matched and q.kind is not None):
            continue
        c = cells.conversations.setdefault((q.kind, week), ConversationCell())
        c.n += 1
        c.completed += q.completed
        c.agreed += q.objective_agreed
        c.met += q.objective_agreed and q.objective_met
        c.helped_answered += q.helped is not None
        c.helped_yes += q.helped is True
        c.messages += q.messages
        if q.minutes is not None:
            c.minutes_sum += q.minutes
            c.minutes_n += 1
        c.counsellor_messages += q.counsellor_messages
        c.answered += q.answered
        if q.first_reply_seconds is not None:
            b = wait_bin(q.first_reply_seconds)
            c.waits[b] = c.waits.get(b, 0) + 1
    return cells


def _grid(
    cells: dict[tuple[str, str], Any], rows: Sequence[str], weeks: Sequence[str], new: Any
) -> list[list[Any]]:
    """Cells laid out as rows x weeks with margins (last row and column are totals)."""
    grid = [[new() for _ in range(len(weeks) + 1)] for _ in range(len(rows) + 1)]
    r_index = {r: i for i, r in enumerate(rows)}
    w_index = {w: i for i, w in enumerate(weeks)}
    nr, nc = len(rows), len(weeks)
    for (row, week), cell in cells.items():
        r, c = r_index.get(row), w_index.get(week)
        if r is None or c is None:
            continue
        for i, j in ((r, c), (r, nc), (nr, c), (nr, nc)):
            grid[i][j].merge(cell)
    return grid


def _count_figure(key: str, grid: list[list[Any]], rows: tuple[str, ...]) -> Figure:
    table = suppress_table([[cell.n for cell in row[:-1]] for row in grid[:-1]])
    nr, nc = len(rows), len(grid[0]) - 1
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
    return Figure(key, "count", key, rows, values, table)


def _derived(
    key: str,
    unit: Unit,
    population: Figure,
    grid: list[list[Any]],
    fn: Callable[[Any, bool], float | None],
) -> Figure:
    values = tuple(
        tuple(fn(cell, population.values[r][c] is not None) for c, cell in enumerate(row))
        for r, row in enumerate(grid)
    )
    return Figure(key, unit, population.key, population.rows, values)


def _mean(total: float, n: int, published: bool) -> float | None:
    if not published or n < MIN_FOR_PERCENTILE:
        return None
    return total / n


def _quantile(hist: dict[float, int], q: float, published: bool) -> float | None:
    """The ``q`` quantile of a histogram, interpolated like ``statistics.quantiles``'s
    inclusive method (and the median for q = 0.5)."""
    n = sum(hist.values())
    if not published or n < MIN_FOR_PERCENTILE:
        return None
    pos = q * (n - 1)
    rank = int(pos)
    ordered = sorted(hist.items())

    def value_at(k: int) -> float:
        seen = 0
        for value, count in ordered:
            seen += count
            if k < seen:
                return value
        return ordered[-1][0]

    lo, hi = value_at(rank), value_at(min(rank + 1, n - 1))
    return lo + (hi - lo) * (pos - rank)


def build_report(
    offers: Iterable[OfferRow] = (),
    requests: Iterable[RequestRow] = (),
    *,
    start: date,
    end: date,
    scope: str = "all",
    cells: ReportCells | None = None,
) -> Report:
    """Compute every figure for the ISO weeks from ``start`` to ``end``, suppressed.

    Give rows (they are aggregated here) or ready ``cells`` (a store's aggregation). Anything
    outside those weeks is ignored. ``scope`` labels whose figures these are ("all", or a
    counsellor's own); the caller decides which rows go in.
    """
    weeks = weeks_between(start, end)
    if cells is None:
        cells = aggregate(offers, requests)
    og = _grid(cells.offers, KINDS, weeks, OfferCell)
    rg = _grid(cells.requests, REQUEST_ROWS, weeks, RequestCell)
    cg = _grid(cells.conversations, KINDS, weeks, ConversationCell)
    made = _count_figure("offers_made", og, KINDS)
    asked = _count_figure("requests", rg, REQUEST_ROWS)
    delivered = _count_figure("conversations", cg, KINDS)

    def share(part: str, base: str | None = None) -> Callable[[Any, bool], float | None]:
        def fn(cell: Any, published: bool) -> float | None:
            whole = cell.n if base is None else getattr(cell, base)
            return rate(getattr(cell, part), whole, published=published)

        return fn

    figs = [
        made,
        _derived("offers_accepted", "share", made, og, share("accepted")),
        _derived("offers_declined", "share", made, og, share("declined")),
        asked,
        _derived("abandoned_waiting", "share", asked, rg, share("left")),
        delivered,
        _derived(
            "length_messages",
            "messages",
            delivered,
            cg,
            lambda c, p: _mean(c.messages, c.n, p),
        ),
        _derived(
            "length_minutes",
            "minutes",
            delivered,
            cg,
            lambda c, p: _mean(c.minutes_sum, c.minutes_n, p),
        ),
        _derived(
            "response_rate",
            "share",
            delivered,
            cg,
            lambda c, p: (
                c.answered / c.counsellor_messages if p and c.counsellor_messages else None
            ),
        ),
        _derived("completed", "share", delivered, cg, share("completed")),
        _derived("objective_agreed", "share", delivered, cg, share("agreed")),
        _derived("objective_met", "share", delivered, cg, share("met", "agreed")),
        _derived(
            "wait_median_seconds",
            "seconds",
            delivered,
            cg,
            lambda c, p: _quantile(c.waits, 0.5, p),
        ),
        _derived(
            "wait_p90_seconds",
            "seconds",
            delivered,
            cg,
            lambda c, p: _quantile(c.waits, 0.9, p),
        ),
        _derived("helped", "share", delivered, cg, share("helped_yes", "helped_answered")),
    ]
    return Report(start=start, end=end, weeks=weeks, figures={f.key: f for f in figs}, scope=scope)


__all__ = [
    "COMPLETED_OUTCOMES",
    "NO_KIND",
    "OFFER_RESULTS",
    "REQUEST_ROWS",
    "ConversationCell",
    "Figure",
    "MessageSummary",
    "OfferCell",
    "OfferRow",
    "ReportCells",
    "RequestCell",
    "Report",
    "RequestRow",
    "aggregate",
    "build_report",
    "is_small",
    "iso_week",
    "summarise_messages",
    "wait_bin",
    "weeks_between",
]
