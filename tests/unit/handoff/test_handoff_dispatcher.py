"""Unit tests of the dispatcher: matching, offers, grace, transfer, referral and ending."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from handoff import (
    CounsellorBack,
    CounsellorLost,
    CounsellorProfile,
    Dispatcher,
    Ended,
    Left,
    Matched,
    OfferExpired,
    OfferMade,
    Preferences,
    Queued,
    Referred,
    Requeued,
    State,
    StateError,
    StatusChanged,
)

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)


def ids() -> object:
    counter = itertools.count(1)
    return lambda: f"id{next(counter)}"


def make(**kw: object) -> Dispatcher:
    return Dispatcher(new_id=ids(), **kw)  # type: ignore[arg-type]


def counsellor(
    cid: int,
    kind: str = "professional",
    langs: str = "en",
    cap: int = 2,
    gender: str | None = None,
    age: str | None = None,
    org: str = "home",
) -> CounsellorProfile:
    return CounsellorProfile(
        id=cid,
        display_name=f"C{cid}",
        kind=kind,
        languages=frozenset(langs.split(",")),  # type: ignore[arg-type]
        gender=gender,
        age_band=age,
        capacity=cap,
        organisation=org,  # type: ignore[arg-type]
    )


def offers(events: list[object]) -> list[OfferMade]:
    return [e for e in events if isinstance(e, OfferMade)]


def test_request_is_offered_to_a_free_counsellor_and_accept_matches() -> None:
    """A consenting player is offered to an available counsellor who can accept the match."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    ev = d.request("r1", "s1", Preferences(language="en"), T0)
    assert isinstance(ev[0], Queued)
    (offer,) = offers(ev)
    assert offer.counsellor_id == 1 and offer.expires_at == T0 + timedelta(seconds=30)
    ev = d.accept(offer.offer_id, 1, T0)
    assert isinstance(ev[0], Matched) and ev[0].conversation_id
    assert d.requests["r1"].state is State.ACTIVE
    d.check_invariants()


def test_language_is_a_hard_preference() -> None:
    """A player asking for German is never offered to a counsellor who speaks only English."""
    d = make()
    d.counsellor_connected(counsellor(1, langs="en"), T0)
    assert offers(d.request("r1", "s1", Preferences(language="de"), T0)) == []
    ev = d.counsellor_connected(counsellor(2, langs="de,en"), T0)
    assert [o.counsellor_id for o in offers(ev)] == [2]


def test_insisted_kind_is_hard_and_plain_kind_is_soft() -> None:
    """A required kind waits for that kind; a preferred kind only breaks ties."""
    d = make()
    d.counsellor_connected(counsellor(1, kind="professional"), T0)
    prefs = Preferences(language="en", kind="former", kind_required=True)
    assert offers(d.request("r1", "s1", prefs, T0)) == []
    ev = d.request("r2", "s2", Preferences(language="en", kind="former"), T0)
    assert [o.counsellor_id for o in offers(ev)] == [1]


def test_soft_preferences_then_least_loaded_choose_the_counsellor() -> None:
    """Among suitable counsellors the one meeting more soft wishes wins, then the least loaded."""
    d = make()
    d.counsellor_connected(counsellor(1, gender="male", cap=3), T0)
    d.counsellor_connected(counsellor(2, gender="female", cap=3), T0)
    ev = d.request("r1", "s1", Preferences(language="en", gender="female"), T0)
    assert offers(ev)[0].counsellor_id == 2
    ev = d.request("r2", "s2", Preferences(language="en"), T0)
    assert offers(ev)[0].counsellor_id == 1  # 1 has load 0, 2 has load 1


def test_capacity_is_never_exceeded() -> None:
    """A counsellor with capacity 1 gets no second offer while holding one."""
    d = make()
    d.counsellor_connected(counsellor(1, cap=1), T0)
    assert len(offers(d.request("r1", "s1", Preferences(language="en"), T0))) == 1
    assert offers(d.request("r2", "s2", Preferences(language="en"), T0)) == []
    d.check_invariants()


def test_crisis_goes_first_then_fifo() -> None:
    """A crisis request is served before earlier normal ones; normal ones in arrival order."""
    d = make()
    for i in range(3):
        d.request(f"n{i}", f"s{i}", Preferences(language="en"), T0 + timedelta(seconds=i))
    d.request("c", "sc", Preferences(language="en", crisis=True), T0 + timedelta(seconds=9))
    ev = d.counsellor_connected(counsellor(1, cap=4), T0 + timedelta(seconds=10))
    assert [o.request_id for o in offers(ev)] == ["c", "n0", "n1", "n2"]


def test_expired_offer_goes_to_the_next_counsellor_and_sets_away() -> None:
    """An unanswered offer expires, that counsellor is set away, and the next one is offered."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    (o1,) = offers(d.request("r1", "s1", Preferences(language="en"), T0))
    d.counsellor_connected(counsellor(2, cap=1), T0)
    ev = d.tick(T0 + timedelta(seconds=31))
    assert any(isinstance(e, OfferExpired) and e.reason == "expired" for e in ev)
    assert StatusChanged(1, "away") in ev
    assert [o.counsellor_id for o in offers(ev)] == [2]
    with pytest.raises(StateError) as exc:
        d.accept(o1.offer_id, 1, T0 + timedelta(seconds=32))
    assert exc.value.code == "offer_gone"


def test_accept_by_the_wrong_counsellor_is_refused() -> None:
    """Only the counsellor an offer was made to can accept it."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    d.counsellor_connected(counsellor(2, langs="de"), T0)
    (o,) = offers(d.request("r1", "s1", Preferences(language="en"), T0))
    with pytest.raises(StateError) as exc:
        d.accept(o.offer_id, 2, T0)
    assert exc.value.code == "not_your_offer"
    assert d.requests["r1"].state is State.OFFERED


def test_decline_moves_on_and_does_not_reoffer_at_once() -> None:
    """A declined request goes to another counsellor, not straight back to the decliner."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    (o,) = offers(d.request("r1", "s1", Preferences(language="en"), T0))
    assert offers(d.decline(o.offer_id, 1, T0)) == []
    ev = d.counsellor_connected(counsellor(2), T0)
    assert [x.counsellor_id for x in offers(ev)] == [2]


def test_decline_cooldown_ends_so_nobody_starves() -> None:
    """After the cooldown the only suitable counsellor is offered the request again."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    (o,) = offers(d.request("r1", "s1", Preferences(language="en"), T0))
    d.decline(o.offer_id, 1, T0)
    ev = d.tick(T0 + timedelta(minutes=3))
    assert [x.counsellor_id for x in offers(ev)] == [1]


def test_one_player_never_gets_two_requests() -> None:
    """A second consent from the same session is refused while the first is live."""
    d = make()
    d.request("r1", "s1", Preferences(language="en"), T0)
    with pytest.raises(StateError) as exc:
        d.request("r2", "s1", Preferences(language="en"), T0)
    assert exc.value.code == "already_queued"


def test_dropped_counsellor_gets_grace_then_player_is_requeued_first() -> None:
    """A counsellor who drops has a grace period; after it the player is back at the front."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    (o,) = offers(d.request("r1", "s1", Preferences(language="en"), T0))
    conv = d.accept(o.offer_id, 1, T0)[0].conversation_id  # type: ignore[union-attr]
    d.request("r2", "s2", Preferences(language="en"), T0)
    ev = d.counsellor_disconnected(1, T0 + timedelta(seconds=5))
    assert any(isinstance(e, CounsellorLost) for e in ev)
    assert d.tick(T0 + timedelta(seconds=64)) == []
    ev = d.tick(T0 + timedelta(seconds=66))
    assert [type(e) for e in ev] == [Requeued]
    d.counsellor_connected(counsellor(2, cap=1), T0 + timedelta(seconds=70))
    req = d.requests["r1"]
    assert req.state is State.OFFERED and req.conversation_id == conv


def test_counsellor_back_within_grace_keeps_the_conversation() -> None:
    """A counsellor reconnecting within the grace period finds the conversation still theirs."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    (o,) = offers(d.request("r1", "s1", Preferences(language="en"), T0))
    d.accept(o.offer_id, 1, T0)
    d.counsellor_disconnected(1, T0)
    ev = d.counsellor_connected(counsellor(1), T0 + timedelta(seconds=10))
    assert any(isinstance(e, CounsellorBack) for e in ev)
    assert d.tick(T0 + timedelta(seconds=100)) == []
    assert d.requests["r1"].state is State.ACTIVE


def test_transfer_moves_the_conversation() -> None:
    """A counsellor can hand a conversation to a colleague with free capacity."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    (o,) = offers(d.request("r1", "s1", Preferences(language="en"), T0))
    conv = d.accept(o.offer_id, 1, T0)[0].conversation_id  # type: ignore[union-attr]
    with pytest.raises(StateError) as exc:
        d.transfer(conv, 2, T0, by=1)
    assert exc.value.code == "transfer_target_unavailable"
    d.counsellor_connected(counsellor(2), T0)
    ev = d.transfer(conv, 2, T0, by=1)
    assert isinstance(ev[0], Matched) and ev[0].transferred_from == 1
    assert d.counsellors[1].load == 0 and d.counsellors[2].load == 1
    d.check_invariants()


def test_referral_ends_and_queues_with_partner() -> None:
    """Referral ends the conversation and queues the player for the partner's counsellors."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    d.counsellor_connected(counsellor(7, org="partner1"), T0)
    (o,) = offers(d.request("r1", "s1", Preferences(language="en"), T0))
    conv = d.accept(o.offer_id, 1, T0)[0].conversation_id  # type: ignore[union-attr]
    ev = d.refer(conv, "partner1", "r2", T0, by=1)
    assert isinstance(ev[0], Referred)
    assert [x.counsellor_id for x in offers(ev)] == [7]
    assert d.request_for_session("s1").id == "r2"  # type: ignore[union-attr]


def test_end_with_outcome_and_only_by_the_holder() -> None:
    """Only the counsellor holding a conversation can end it; the player can end their own."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    d.counsellor_connected(counsellor(2), T0)
    (o,) = offers(d.request("r1", "s1", Preferences(language="en"), T0))
    conv = d.accept(o.offer_id, o.counsellor_id, T0)[0].conversation_id  # type: ignore[union-attr]
    other = 2 if o.counsellor_id == 1 else 1
    with pytest.raises(StateError) as exc:
        d.end(conv, T0, by="counsellor", outcome="talked", counsellor_id=other)
    assert exc.value.code == "not_your_conversation"
    ev = d.end(conv, T0, by="counsellor", outcome="talked", counsellor_id=o.counsellor_id)
    assert isinstance(ev[0], Ended) and ev[0].outcome == "talked"
    assert "r1" not in d.requests


def test_leave_while_offered_withdraws_the_offer() -> None:
    """A player leaving while an offer is pending frees the counsellor at once."""
    d = make()
    d.counsellor_connected(counsellor(1, cap=1), T0)
    (o,) = offers(d.request("r1", "s1", Preferences(language="en"), T0))
    d.request("r2", "s2", Preferences(language="en"), T0)
    ev = d.leave("r1", T0)
    assert OfferExpired(o.offer_id, "r1", 1, "left") in ev
    assert any(isinstance(e, Left) for e in ev)
    assert [x.request_id for x in offers(ev)] == ["r2"]


def test_away_counsellor_gets_no_offers_and_pending_offer_is_withdrawn() -> None:
    """Setting status away withdraws a pending offer and stops new ones."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    d.request("r1", "s1", Preferences(language="en"), T0)
    ev = d.set_status(1, "away", T0)
    assert any(isinstance(e, OfferExpired) and e.reason == "withdrawn" for e in ev)
    assert d.requests["r1"].state is State.WAITING
    ev = d.set_status(1, "available", T0)
    assert len(offers(ev)) == 1


def test_restore_puts_back_queue_and_conversations() -> None:
    """After a restart, waiting requests keep their order and conversations await counsellors."""
    d = make()
    p = Preferences(language="en")
    d.restore_waiting("r2", "s2", p, created_at=T0, seq=5)
    d.restore_waiting("r1", "s1", p, created_at=T0, seq=3)
    d.restore_conversation(
        "r3",
        "s3",
        p,
        created_at=T0,
        seq=1,
        conversation_id="c3",
        counsellor=counsellor(1),
        matched_at=T0,
        now=T0,
    )
    ev = d.counsellor_connected(counsellor(1), T0 + timedelta(seconds=1))
    assert any(isinstance(e, CounsellorBack) for e in ev)
    assert [o.request_id for o in offers(ev)] == ["r1"]
    assert d.request("r4", "s4", p, T0)[0].seq > 5  # type: ignore[union-attr]


def test_supervisor_can_move_a_conversation_whose_counsellor_dropped() -> None:
    """During the grace period a supervisor can transfer the player to a colleague at once."""
    d = make()
    d.counsellor_connected(counsellor(1), T0)
    (o,) = offers(d.request("r1", "s1", Preferences(language="en"), T0))
    conv = d.accept(o.offer_id, 1, T0)[0].conversation_id  # type: ignore[union-attr]
    d.counsellor_disconnected(1, T0)
    d.counsellor_connected(counsellor(2), T0)
    ev = d.transfer(conv, 2, T0, by=None)
    assert isinstance(ev[0], Matched) and ev[0].counsellor_id == 2
    assert d.requests["r1"].state is State.ACTIVE
    assert d.tick(T0 + timedelta(minutes=5)) == []  # no re-queue: the grace period is over
    d.check_invariants()


def test_queue_view_lists_a_request_once_after_its_offer_expired() -> None:
    """A request whose offer ran out is back in the queue once: the view shows it once."""
    from datetime import timedelta

    d = Dispatcher(offer_timeout=timedelta(seconds=30))
    d.request("r1", "s1", Preferences(language="en"), T0)
    d.counsellor_connected(
        CounsellorProfile(
            id=1, display_name="c", kind="professional", languages=frozenset({"en"}), capacity=1
        ),
        T0,
    )
    d.tick(T0 + timedelta(seconds=31))  # the offer expires; the counsellor is set away
    ((reqs, total),) = d.queue_views([None], 10).values()
    assert [r.id for r in reqs] == ["r1"] and total == 1
