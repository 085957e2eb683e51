"""The pilot's measures computed on hand-built histories."""

from __future__ import annotations

import statistics
from datetime import UTC, date, datetime, timedelta

from hypothesis import example, given, settings
from hypothesis import strategies as st

from handoff.reports.measures import (
    OfferRow,
    RequestRow,
    build_report,
    iso_week,
    summarise_messages,
    weeks_between,
)

MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # 2026-W49


def _conv(kind: str, n: int, **kw) -> list[RequestRow]:
    return [RequestRow(created_at=MONDAY, kind=kind, counsellor_id=1, matched=True, **kw)] * n


def test_weeks_cover_the_range():
    """A range from a Monday to the next Wednesday spans two ISO weeks, labelled by ISO 8601."""
    assert weeks_between(date(2026, 11, 30), date(2026, 12, 9)) == ("2026-W49", "2026-W50")
    assert iso_week(date(2027, 1, 1)) == "2026-W53"


def test_conversations_counted_per_kind_and_rounded():
    """Three survivor conversations are hidden, and so are the twelve professional ones (else the
    week's total would give the three away); peers show 20 and the total 35."""
    rows = _conv("professional", 12) + _conv("survivor", 3) + _conv("peer", 20)
    report = build_report([], rows, start=date(2026, 11, 30), end=date(2026, 12, 6))
    fig = report.figures["conversations"]
    assert fig.at("survivor", 0) is None
    assert fig.at("professional", 0) is None
    assert fig.at("peer", None) == 20
    assert fig.at(None, 0) == 35
    assert fig.at("former", 0) == 0


def test_length_response_and_completion():
    """Mean length, response rate and completion follow the rows; completion hides small rests."""
    rows = _conv(
        "survivor",
        10,
        messages=30,
        minutes=40.0,
        counsellor_messages=10,
        answered=5,
        completed=True,
    )
    rows += _conv(
        "survivor",
        10,
        messages=10,
        minutes=20.0,
        counsellor_messages=10,
        answered=9,
        completed=False,
    )
    report = build_report([], rows, start=date(2026, 11, 30), end=date(2026, 12, 6))
    f = report.figures
    assert f["length_messages"].at("survivor", 0) == 20
    assert f["length_minutes"].at("survivor", None) == 30
    assert f["response_rate"].at("survivor", 0) == 0.7
    assert f["completed"].at("survivor", 0) == 0.5
    few_abandoned = _conv("former", 20, completed=True) + _conv("former", 3, completed=False)
    report = build_report([], few_abandoned, start=date(2026, 11, 30), end=date(2026, 12, 6))
    assert report.figures["conversations"].at("former", 0) == 25
    assert report.figures["completed"].at("former", 0) is None


def test_offers_accepted_and_declined_shares():
    """Offer shares are of offers made to that kind: 10 accepted and 10 declined of 20 is half."""
    offers = [OfferRow(MONDAY, 1, "professional", "accepted")] * 10
    offers += [OfferRow(MONDAY, 1, "professional", "declined")] * 10
    report = build_report(offers, [], start=date(2026, 11, 30), end=date(2026, 12, 6))
    assert report.figures["offers_made"].at("professional", 0) == 20
    assert report.figures["offers_accepted"].at("professional", 0) == 0.5
    assert report.figures["offers_declined"].at(None, None) == 0.5


def test_wait_median_and_p90():
    """Waits to the first counsellor message give a median and a 90th percentile over 10 values."""
    rows = [
        RequestRow(MONDAY, kind="peer", counsellor_id=2, matched=True, first_reply_seconds=s)
        for s in range(10, 110, 10)
    ]
    report = build_report([], rows, start=date(2026, 11, 30), end=date(2026, 12, 6))
    assert report.figures["wait_median_seconds"].at("peer", 0) == 55
    assert report.figures["wait_p90_seconds"].at("peer", 0) == 91


def test_abandonment_while_waiting_by_wanted_kind():
    """Requests are grouped by the kind the player asked for; leaving before a match is a share."""
    rows = [RequestRow(MONDAY, wanted_kind=None, left_waiting=True)] * 10
    rows += [RequestRow(MONDAY, wanted_kind=None)] * 30
    report = build_report([], rows, start=date(2026, 11, 30), end=date(2026, 12, 6))
    assert report.figures["requests"].at("none", 0) == 40
    assert report.figures["abandoned_waiting"].at("none", 0) == 0.25


def test_objective_and_feedback_shares():
    """Objective met is a share of those agreed; 'Did this help?' of those who answered."""
    rows = _conv("former", 10, objective_agreed=True, objective_met=True, helped=True)
    rows += _conv("former", 10, objective_agreed=True, helped=False)
    rows += _conv("former", 10)
    report = build_report([], rows, start=date(2026, 11, 30), end=date(2026, 12, 6))
    f = report.figures
    assert round(f["objective_agreed"].at("former", 0), 3) == 0.667
    assert f["objective_met"].at("former", 0) == 0.5
    assert f["helped"].at("former", 0) == 0.5


def test_rows_outside_the_range_are_ignored():
    """A conversation a week before the range does not count."""
    rows = [RequestRow(MONDAY - timedelta(days=7), kind="peer", matched=True)] * 20
    report = build_report([], rows, start=date(2026, 11, 30), end=date(2026, 12, 6))
    assert report.figures["conversations"].at(None, None) == 0


def test_response_counts_a_counsellor_message_answered_by_the_next_one():
    """Of counsellor, counsellor, player, counsellor only the second counsellor message is
    answered; the first counsellor message time is the wait's end."""
    t = [MONDAY + timedelta(minutes=i) for i in range(5)]
    summary = summarise_messages(
        [
            ("player", t[0]),
            ("counsellor", t[1]),
            ("counsellor", t[2]),
            ("player", t[3]),
            ("counsellor", t[4]),
        ]
    )
    assert (summary.messages, summary.counsellor_messages, summary.answered) == (5, 3, 1)
    assert summary.first_counsellor_at == t[1]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.integers(0, 120).map(lambda v: v * 10), min_size=8, max_size=60))
def test_wait_percentiles_from_bins_match_the_exact_ones(waits):
    """The median and 90th percentile taken from binned waits equal those of the raw values."""
    rows = [
        RequestRow(MONDAY, kind="peer", counsellor_id=2, matched=True, first_reply_seconds=w)
        for w in waits
    ] * 2
    report = build_report([], rows, start=date(2026, 11, 30), end=date(2026, 12, 6))
    values = sorted(w for w in waits for _ in range(2))
    assert report.figures["wait_median_seconds"].at("peer", None) == statistics.median(values)
    p90 = statistics.quantiles(values, n=10, method="inclusive")[8]
    assert abs(report.figures["wait_p90_seconds"].at("peer", None) - p90) < 1e-9


ROWS = st.lists(
    st.builds(
        RequestRow,
        created_at=st.sampled_from([MONDAY, MONDAY + timedelta(days=7)]),
        wanted_kind=st.sampled_from([None, "peer", "former"]),
        counsellor_id=st.just(1),
        kind=st.sampled_from(["professional", "former", "survivor", "peer"]),
        matched=st.booleans(),
        left_waiting=st.booleans(),
        first_reply_seconds=st.one_of(st.none(), st.floats(0, 900)),
        messages=st.integers(0, 30),
        counsellor_messages=st.integers(0, 15),
        answered=st.integers(0, 10),
        minutes=st.one_of(st.none(), st.floats(0, 90)),
        completed=st.booleans(),
        objective_agreed=st.booleans(),
        objective_met=st.booleans(),
        helped=st.one_of(st.none(), st.booleans()),
    ),
    max_size=120,
)


#: Three survivor conversations hide themselves and, secondarily, the twelve professional ones:
#: figures over those twelve must be withheld too.
SECONDARY = [
    RequestRow(
        MONDAY,
        kind="survivor",
        counsellor_id=1,
        matched=True,
        messages=4,
        minutes=5.0,
        first_reply_seconds=30.0,
        counsellor_messages=2,
        answered=1,
    )
] * 3 + [
    RequestRow(
        MONDAY,
        kind="professional",
        counsellor_id=1,
        matched=True,
        messages=9,
        minutes=20.0,
        first_reply_seconds=60.0,
        counsellor_messages=4,
        answered=2,
        completed=True,
    )
] * 12


@settings(max_examples=150, deadline=None)
@given(ROWS)
@example(SECONDARY)
def test_no_figure_is_shown_over_a_withheld_population(rows):
    """Whatever happened, no count from 1 to 7 is shown, and every share, mean or percentile
    that is shown sits over a population count that is itself shown (and is at least 8)."""
    report = build_report([], rows, start=date(2026, 11, 30), end=date(2026, 12, 13))
    for fig in report.figures.values():
        if fig.unit == "count":
            assert all(v is None or v == 0 or v >= 10 for row in fig.values for v in row)
            continue
        population = report.figures[fig.population]
        for r, row in enumerate(fig.values):
            for c, value in enumerate(row):
                if value is not None:
                    assert population.values[r][c] is not None and population.values[r][c] >= 10
