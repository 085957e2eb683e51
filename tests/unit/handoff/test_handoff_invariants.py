"""Hypothesis state-machine tests: the dispatcher's promises hold over random event sequences.

Capacity is never exceeded, no player has two counsellors, nobody waits while a suitable
counsellor is free, FIFO holds within a priority class, nobody is offered while their game is
away and nobody stays queued long after it went, a counsellor whose role is removed holds
nothing, and every request ends in exactly one terminal state.
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from handoff import (
    CounsellorProfile,
    Dispatcher,
    Ended,
    Left,
    OfferMade,
    Preferences,
    Referred,
    State,
    StateError,
)
from handoff.model import KINDS

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LANGS = ("en", "de")
ORGS = ("home", "partner")

prefs_strategy = st.builds(
    Preferences,
    language=st.sampled_from(LANGS),
    kind=st.sampled_from(KINDS),
    kind_required=st.booleans(),
    gender=st.none() | st.sampled_from(("female", "male", "nonbinary")),
    age_band=st.none() | st.sampled_from(("18-25", "26-40", "41+")),
    crisis=st.booleans(),
)


class DispatcherMachine(RuleBasedStateMachine):
    """Drives one Dispatcher with random players, counsellors and clock jumps."""

    def __init__(self) -> None:
        super().__init__()
        counter = itertools.count(1)
        self.d = Dispatcher(new_id=lambda: f"x{next(counter)}")
        self.now = T0
        self.created: list[str] = []
        self.terminal: Counter[str] = Counter()
        self.n = 0

    def _apply(self, events: list[object]) -> None:
        for e in events:
            if isinstance(e, Ended | Left | Referred):
                self.terminal[e.request_id] += 1
            if isinstance(e, Referred) and e.new_request_id is not None:
                self.created.append(e.new_request_id)
            if isinstance(e, OfferMade):
                self._check_fifo(e)

    def _check_fifo(self, offer: OfferMade) -> None:
        req = self.d.requests[offer.request_id]
        for other in self.d.requests.values():
            if (
                other.state is State.WAITING
                and other.offline_since is None  # a player who is away is skipped, by rule
                and other.bucket == req.bucket
                and other.key < req.key
            ):
                until = other.declined_by.get(offer.counsellor_id)
                assert until is not None and until > self.now, "FIFO broken within priority"

    @rule(
        cid=st.integers(1, 6),
        kind=st.sampled_from(KINDS),
        langs=st.sets(st.sampled_from(LANGS), min_size=1),
        cap=st.integers(0, 3),
        org=st.sampled_from(ORGS),
    )
    def connect(self, cid: int, kind: str, langs: set[str], cap: int, org: str) -> None:
        c = self.d.counsellors.get(cid)
        if c is not None:
            if c.connected:
                return
            profile = c.profile  # same person reconnecting
        else:
            profile = CounsellorProfile(
                id=cid,
                display_name=f"C{cid}",
                kind=kind,  # type: ignore[arg-type]
                languages=frozenset(langs),
                capacity=cap,
                organisation=org,
            )
        self._apply(self.d.counsellor_connected(profile, self.now))

    @rule(cid=st.integers(1, 6))
    def disconnect(self, cid: int) -> None:
        c = self.d.counsellors.get(cid)
        if c is not None and c.connected:
            self._apply(self.d.counsellor_disconnected(cid, self.now))

    @rule(cid=st.integers(1, 6), status=st.sampled_from(("available", "away", "offline")))
    def status(self, cid: int, status: str) -> None:
        if cid in self.d.counsellors:
            self._apply(self.d.set_status(cid, status, self.now))  # type: ignore[arg-type]

    @rule(prefs=prefs_strategy, org=st.sampled_from(ORGS))
    def consent(self, prefs: Preferences, org: str) -> None:
        self.n += 1
        rid = f"r{self.n}"
        self.created.append(rid)
        self._apply(self.d.request(rid, f"s{self.n}", prefs, self.now, organisation=org))

    @rule(data=st.data())
    def leave(self, data: st.DataObject) -> None:
        waiting = [r for r in self.d.requests.values() if r.state in (State.WAITING, State.OFFERED)]
        if waiting:
            req = data.draw(st.sampled_from(sorted(waiting, key=lambda r: r.id)))
            self._apply(self.d.leave(req.id, self.now))

    @rule(data=st.data(), wrong=st.booleans())
    def accept(self, data: st.DataObject, wrong: bool) -> None:
        if not self.d.offers:
            return
        offer = data.draw(st.sampled_from(sorted(self.d.offers.values(), key=lambda o: o.id)))
        if wrong:
            try:
                self.d.accept(offer.id, offer.counsellor_id + 100, self.now)
            except StateError as exc:
                assert exc.code == "not_your_offer"
            else:
                raise AssertionError("accept by the wrong counsellor succeeded")
        else:
            self._apply(self.d.accept(offer.id, offer.counsellor_id, self.now))

    @rule(data=st.data())
    def decline(self, data: st.DataObject) -> None:
        if self.d.offers:
            offer = data.draw(st.sampled_from(sorted(self.d.offers.values(), key=lambda o: o.id)))
            self._apply(self.d.decline(offer.id, offer.counsellor_id, self.now))

    def _live(self) -> list[object]:
        return sorted(
            (r for r in self.d.requests.values() if r.state in (State.ACTIVE, State.GRACE)),
            key=lambda r: r.id,
        )

    @rule(data=st.data(), by_player=st.booleans())
    def end(self, data: st.DataObject, by_player: bool) -> None:
        live = self._live()
        if live:
            req = data.draw(st.sampled_from(live))
            if by_player:
                ev = self.d.end(req.conversation_id, self.now, by="player", outcome="player_ended")  # type: ignore[attr-defined]
            elif req.state is State.ACTIVE:  # type: ignore[attr-defined]
                ev = self.d.end(
                    req.conversation_id,
                    self.now,
                    by="counsellor",
                    outcome="talked",  # type: ignore[attr-defined]
                    counsellor_id=req.counsellor_id,  # type: ignore[attr-defined]
                )
            else:
                return
            self._apply(ev)

    @rule(data=st.data(), to=st.integers(1, 6))
    def transfer(self, data: st.DataObject, to: int) -> None:
        live = self._live()
        if live:
            req: Any = data.draw(st.sampled_from(live))
            # The holder moves an active conversation; a supervisor (by=None) any live one.
            by = req.counsellor_id if req.state is State.ACTIVE else None
            try:
                self._apply(self.d.transfer(req.conversation_id, to, self.now, by=by))
            except StateError as exc:
                assert exc.code == "transfer_target_unavailable"

    @rule(data=st.data())
    def refer(self, data: st.DataObject) -> None:
        live = [r for r in self._live() if r.state is State.ACTIVE]  # type: ignore[attr-defined]
        if live:
            req = data.draw(st.sampled_from(live))
            org = "partner" if req.organisation == "home" else "home"  # type: ignore[attr-defined]
            self.n += 1
            self._apply(
                self.d.refer(req.conversation_id, org, f"r{self.n}", self.now, by=req.counsellor_id)  # type: ignore[attr-defined]
            )

    @rule(data=st.data(), handover=st.booleans())
    def refer_or_hand_over(self, data: st.DataObject, handover: bool) -> None:
        live = [r for r in self._live() if r.state is State.ACTIVE]  # type: ignore[attr-defined]
        if live:
            req: Any = data.draw(st.sampled_from(live))
            org = "partner" if req.organisation == "home" else "home"
            self.n += 1
            new_id = None if handover else f"r{self.n}"
            self._apply(
                self.d.refer(req.conversation_id, org, new_id, self.now, by=req.counsellor_id)
            )
            if handover:
                assert self.d.request_for_session(req.session_id) is None, "handover still queued"

    @rule(data=st.data(), online=st.booleans())
    def player_presence(self, data: st.DataObject, online: bool) -> None:
        reqs = sorted(self.d.requests.values(), key=lambda r: r.id)
        if reqs:
            req = data.draw(st.sampled_from(reqs))
            self._apply(self.d.player_presence(req.session_id, online=online, now=self.now))

    @rule(cid=st.integers(1, 6))
    def revoke(self, cid: int) -> None:
        self._apply(self.d.counsellor_revoked(cid, self.now))
        assert cid not in self.d.counsellors
        for req in self.d.requests.values():
            assert req.counsellor_id != cid, "a revoked counsellor still holds a request"
        assert all(o.counsellor_id != cid for o in self.d.offers.values())

    @rule(data=st.data(), cid=st.integers(1, 6))
    def pick(self, data: st.DataObject, cid: int) -> None:
        waiting = sorted(self.d.requests.values(), key=lambda r: r.id)
        if waiting and cid in self.d.counsellors:
            req = data.draw(st.sampled_from(waiting))
            try:
                self._apply(self.d.pick(req.id, cid, self.now))
            except StateError as exc:
                assert exc.code in ("request_unavailable", "caseload_full")

    @rule(seconds=st.integers(0, 800))
    def advance(self, seconds: int) -> None:
        self.now += timedelta(seconds=seconds)
        self._apply(self.d.tick(self.now))
        limit = self.now - self.d.abandon_after
        for req in self.d.requests.values():
            if req.state in (State.WAITING, State.OFFERED) and req.offline_since is not None:
                assert req.offline_since > limit, "a gone player still waits"

    @invariant()
    def queue_views_show_only_what_the_viewer_can_serve(self) -> None:
        ids: list[int | None] = [None, *self.d.counsellors]
        limit = 3  # small, so the cut-off is exercised too
        for viewer, (reqs, total) in self.d.queue_views(ids, limit).items():
            # The indexed view equals the plain definition, computed the slow way.
            expected = sorted(
                (
                    r
                    for r in self.d.requests.values()
                    if r.state in (State.WAITING, State.OFFERED)
                    and self.d.serviceable(r.prefs, r.organisation)
                    and (
                        viewer is None
                        or (
                            self.d.counsellors[viewer].profile.capacity > 0
                            and self.d.counsellors[viewer].profile.can_serve(
                                r.prefs, r.organisation
                            )
                            and r.offline_since is None
                        )
                    )
                ),
                key=lambda r: r.key,
            )
            assert total == len(expected)
            assert [r.id for r in reqs] == [r.id for r in expected[:limit]]

    @invariant()
    def core_rules(self) -> None:
        self.d.check_invariants()

    @invariant()
    def nobody_waits_while_a_suitable_counsellor_is_free(self) -> None:
        for req in self.d.requests.values():
            if req.state is not State.WAITING or req.offline_since is not None:
                continue
            for c in self.d.counsellors.values():
                if c.takes_new and c.profile.can_serve(req.prefs, req.organisation):
                    until = req.declined_by.get(c.profile.id)
                    assert until is not None and until > self.now, "a request starves"

    @invariant()
    def at_most_one_terminal_state(self) -> None:
        assert all(n == 1 for n in self.terminal.values())

    def teardown(self) -> None:
        # Drain: enough counsellors of every kind everywhere, time moves on, all accepted
        # and ended. Every request ever created must end in exactly one terminal state.
        cid = 1000
        for org in ORGS:
            for kind in KINDS:
                cid += 1
                profile = CounsellorProfile(
                    id=cid,
                    display_name="drain",
                    kind=kind,  # type: ignore[arg-type]
                    languages=frozenset(LANGS),
                    capacity=10_000,
                    organisation=org,
                )
                self._apply(self.d.counsellor_connected(profile, self.now))
        for _ in range(50):
            for c in list(self.d.counsellors.values()):
                if c.profile.id > 1000 and c.status != "available":
                    self._apply(self.d.set_status(c.profile.id, "available", self.now))
            for offer in list(self.d.offers.values()):
                self._apply(self.d.accept(offer.id, offer.counsellor_id, self.now))
            for req in list(self.d.requests.values()):
                if req.state in (State.ACTIVE, State.GRACE):
                    assert req.conversation_id is not None
                    self._apply(
                        self.d.end(
                            req.conversation_id, self.now, by="player", outcome="player_ended"
                        )
                    )
            if not self.d.requests:
                break
            self.now += timedelta(minutes=5)
            self._apply(self.d.tick(self.now))
        assert not self.d.requests, "requests never finished"
        assert sorted(self.terminal) == sorted(set(self.created))
        assert all(n == 1 for n in self.terminal.values())


TestDispatcherInvariants = DispatcherMachine.TestCase
TestDispatcherInvariants.settings = settings(
    max_examples=150,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
