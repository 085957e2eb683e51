"""The dispatcher: queue, matching, offers, grace periods, transfer, referral and ending.

Sans-IO: every method takes ``now`` (timezone-aware UTC) and returns the events the shell must
carry out (persist, then send). Nothing here sleeps, reads a clock or touches a socket.

Matching rules (see docs/PROTOCOL.md and handoff/state.py for the request life cycle):
- hard preferences (language; kind when the player insists) are always honoured;
- the longest-waiting request goes first, crisis requests before all others, FIFO within a
  priority class;
- among suitable counsellors: most soft preferences met, then the least loaded;
- an offer reserves one unit of capacity, so a counsellor is never above capacity, and a
  request has at most one offer or conversation, so no player ever gets two counsellors;
- a counsellor who lets an offer expire is set ``away`` (they are evidently not at the desk),
  and a counsellor who declines is skipped for that request for ``decline_cooldown``.

Speed: counsellors with free capacity are indexed by (organisation, language, kind) and the queue
by bucket, so a decision touches only the buckets that a free counsellor could serve and the
counsellors who speak the language, never the whole queue.
"""

from __future__ import annotations

import heapq
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice

from handoff.estimate import WaitEstimator
from handoff.events import (
    CounsellorBack,
    CounsellorLost,
    Ended,
    HandoffEvent,
    Left,
    Matched,
    OfferExpired,
    OfferMade,
    Queued,
    Referred,
    Requeued,
    StatusChanged,
)
from handoff.exceptions import LocalProtocolError, StateError
from handoff.model import (
    HOME_ORG,
    STAFF_OUTCOMES,
    CounsellorProfile,
    EndedBy,
    Outcome,
    Preferences,
    Status,
)
from handoff.queue import BucketKey, QueueKey, WaitingQueue
from handoff.state import LIVE, Event, State, transition

CRISIS, NORMAL = 0, 1


def _new_id() -> str:
    return uuid.uuid4().hex


@dataclass(slots=True, eq=False)
class Request:
    """One player's request for a conversation, from consent to a terminal state."""

    id: str
    session_id: str
    organisation: str
    prefs: Preferences
    created_at: datetime
    priority: int
    seq: int
    state: State = State.WAITING
    counsellor_id: int | None = None
    offer_id: str | None = None
    conversation_id: str | None = None
    matched_at: datetime | None = None
    grace_until: datetime | None = None
    declined_by: dict[int, datetime] = field(default_factory=dict)
    #: When the player's last socket closed (None while the game is connected). A request
    #: whose player is away is never offered and, once away for ``abandon_after``, leaves.
    offline_since: datetime | None = None

    @property
    def bucket(self) -> BucketKey:
        return (self.organisation, self.prefs.language, self.prefs.required_kind)

    @property
    def key(self) -> QueueKey:
        return (self.priority, self.seq)


@dataclass(slots=True, eq=False)
class Offer:
    """A pending offer of one request to one counsellor."""

    id: str
    request_id: str
    counsellor_id: int
    expires_at: datetime


@dataclass(slots=True, eq=False)
class Counsellor:
    """A counsellor's live state: profile, status, connection and what they hold."""

    profile: CounsellorProfile
    status: Status = "available"
    connected: bool = False
    conversations: set[str] = field(default_factory=set)  # request ids in ACTIVE/GRACE
    offers: set[str] = field(default_factory=set)  # offer ids
    indexed: bool = False

    @property
    def load(self) -> int:
        return len(self.conversations) + len(self.offers)

    @property
    def takes_new(self) -> bool:
        """Whether new offers may go to this counsellor now."""
        return self.connected and self.status == "available" and self.load < self.profile.capacity


class Dispatcher:
    """All queues, counsellors, offers and live conversations of one server."""

    def __init__(
        self,
        *,
        offer_timeout: timedelta = timedelta(seconds=30),
        grace: timedelta = timedelta(seconds=60),
        decline_cooldown: timedelta = timedelta(minutes=2),
        abandon_after: timedelta = timedelta(minutes=10),
        new_id: Callable[[], str] = _new_id,
        estimator: WaitEstimator | None = None,
    ) -> None:
        self.offer_timeout = offer_timeout
        self.grace = grace
        self.decline_cooldown = decline_cooldown
        self.abandon_after = abandon_after
        self._new_id = new_id
        self.estimator = estimator if estimator is not None else WaitEstimator()
        self.requests: dict[str, Request] = {}  # only non-terminal requests
        self.counsellors: dict[int, Counsellor] = {}
        self.offers: dict[str, Offer] = {}
        self._by_session: dict[str, str] = {}
        self._by_conversation: dict[str, str] = {}
        self._queue = WaitingQueue()
        # (organisation, language) -> kind -> ids of counsellors who take new offers now
        self._free: dict[tuple[str, str], dict[str, set[int]]] = {}
        self._grace: set[str] = set()
        self._away: set[str] = set()  # requests whose player has no socket now
        self._next_seq = 1
        self._next_front = 0

    # ----------------------------------------------------------------- look-ups
    def request_for_session(self, session_id: str) -> Request | None:
        """The live (non-terminal) request of a player session, if any."""
        rid = self._by_session.get(session_id)
        return self.requests.get(rid) if rid is not None else None

    def request_for_conversation(self, conversation_id: str) -> Request | None:
        """The live request that owns a conversation, if the conversation is not over."""
        rid = self._by_conversation.get(conversation_id)
        return self.requests.get(rid) if rid is not None else None

    def waiting_count(self) -> int:
        """How many requests wait (without an offer)."""
        return len(self._queue)

    # ----------------------------------------------------------------- counsellors
    def counsellor_connected(
        self, profile: CounsellorProfile, now: datetime, *, status: Status | None = None
    ) -> list[HandoffEvent]:
        """A counsellor's first connection opened: they take offers again, grace ends."""
        c = self.counsellors.get(profile.id)
        events: list[HandoffEvent] = []
        if c is None:
            c = Counsellor(profile=profile, status=status or "available")
            self.counsellors[profile.id] = c
        else:
            self._unindex(c)
            c.profile = profile
            if status is not None:
                c.status = status
        c.connected = True
        for rid in sorted(c.conversations):
            req = self.requests[rid]
            if req.state is State.GRACE:
                req.state = transition(req.state, Event.COUNSELLOR_BACK)
                req.grace_until = None
                self._grace.discard(rid)
                assert req.conversation_id is not None
                events.append(CounsellorBack(rid, req.conversation_id, req.session_id, profile.id))
        self._reindex(c)
        events.extend(self._dispatch(now))
        return events

    def counsellor_disconnected(self, counsellor_id: int, now: datetime) -> list[HandoffEvent]:
        """A counsellor's last connection closed: offers are withdrawn, grace periods start."""
        c = self._counsellor(counsellor_id)
        c.connected = False
        self._unindex(c)
        events: list[HandoffEvent] = []
        for oid in sorted(c.offers):
            events.append(self._drop_offer(oid, Event.WITHDRAW, "withdrawn", now))
        until = now + self.grace
        for rid in sorted(c.conversations):
            req = self.requests[rid]
            if req.state is State.ACTIVE:
                req.state = transition(req.state, Event.COUNSELLOR_LOST)
                req.grace_until = until
                self._grace.add(rid)
                assert req.conversation_id is not None
                events.append(
                    CounsellorLost(rid, req.conversation_id, req.session_id, c.profile.id, until)
                )
        events.extend(self._dispatch(now))
        return events

    def set_status(self, counsellor_id: int, status: Status, now: datetime) -> list[HandoffEvent]:
        """A counsellor chose a status; leaving ``available`` withdraws pending offers."""
        c = self._counsellor(counsellor_id)
        events: list[HandoffEvent] = []
        c.status = status
        if status != "available":
            for oid in sorted(c.offers):
                events.append(self._drop_offer(oid, Event.WITHDRAW, "withdrawn", now))
        self._reindex(c)
        events.append(StatusChanged(counsellor_id, status))
        events.extend(self._dispatch(now))
        return events

    def counsellor_revoked(self, counsellor_id: int, now: datetime) -> list[HandoffEvent]:
        """The account may no longer counsel (role removed, account disabled): it is forgotten.

        Unlike a dropped connection there is no grace period, as nobody may come back to these
        conversations: pending offers are withdrawn and every conversation it held goes back
        to the front of the queue at once (``Requeued``), so the player is never left talking
        to, or waiting for, someone who lost the right to answer.
        """
        c = self.counsellors.get(counsellor_id)
        if c is None:
            return []
        events: list[HandoffEvent] = []
        for oid in sorted(c.offers):
            events.append(self._drop_offer(oid, Event.WITHDRAW, "withdrawn", now))
        c.connected = False
        self._unindex(c)
        for rid in sorted(c.conversations):
            req = self.requests[rid]
            if req.state is State.ACTIVE:
                req.state = transition(req.state, Event.COUNSELLOR_LOST)
            req.state = transition(req.state, Event.GRACE_EXPIRED)
            self._grace.discard(rid)
            req.grace_until = None
            req.counsellor_id = None
            req.seq = self._take_front()
            req.declined_by.pop(counsellor_id, None)
            self._enqueue(req)
            assert req.conversation_id is not None
            events.append(
                Requeued(rid, req.conversation_id, req.session_id, counsellor_id, req.seq)
            )
        c.conversations.clear()
        del self.counsellors[counsellor_id]
        events.extend(self._dispatch(now))
        return events

    # ----------------------------------------------------------------- players
    def player_presence(
        self, session_id: str, *, online: bool, now: datetime
    ) -> list[HandoffEvent]:
        """The player's game connected (``online``) or its last socket closed.

        A waiting player who is away is parked: never offered (an offer out to them is
        withdrawn, freeing the counsellor for someone who is there) and, after
        ``abandon_after`` away, removed by :meth:`tick` like any waiting player who left.
        A conversation is not touched here; if it is re-queued while its player is away,
        the same rule applies from the moment the player went away.
        """
        req = self.request_for_session(session_id)
        if req is None:
            return []
        events: list[HandoffEvent] = []
        if online:
            if req.offline_since is None:
                return []
            req.offline_since = None
            self._away.discard(req.id)
            if req.state is State.WAITING:
                self._queue.push(req.bucket, req.id, req.key)
        else:
            if req.offline_since is not None:
                return []
            req.offline_since = now
            self._away.add(req.id)
            if req.state is State.WAITING:
                self._queue.remove(req.id)
            elif req.state is State.OFFERED:
                assert req.offer_id is not None
                events.append(self._drop_offer(req.offer_id, Event.WITHDRAW, "player_gone", now))
        events.extend(self._dispatch(now))
        return events

    def _abandon(self, now: datetime) -> list[HandoffEvent]:
        """Requests whose player has been away for ``abandon_after`` leave the queue."""
        limit = now - self.abandon_after
        events: list[HandoffEvent] = []
        for rid in sorted(self._away):
            req = self.requests.get(rid)
            if req is None or req.offline_since is None or req.offline_since > limit:
                continue
            if req.state in (State.WAITING, State.OFFERED):
                events.extend(self.leave(rid, now))
        return events

    def request(
        self,
        request_id: str,
        session_id: str,
        prefs: Preferences,
        now: datetime,
        *,
        organisation: str = HOME_ORG,
        front: bool = False,
    ) -> list[HandoffEvent]:
        """A consenting player joins the queue (``front`` for a booking whose slot is due)."""
        if session_id in self._by_session:
            raise StateError("this session already has a request", code="already_queued")
        if request_id in self.requests:
            raise LocalProtocolError(f"duplicate request id {request_id}")
        seq = self._take_front() if front else self._take_seq()
        req = Request(
            id=request_id,
            session_id=session_id,
            organisation=organisation,
            prefs=prefs,
            created_at=now,
            priority=CRISIS if prefs.crisis else NORMAL,
            seq=seq,
        )
        self._admit(req)
        events: list[HandoffEvent] = [
            Queued(request_id, session_id, organisation, req.priority, seq)
        ]
        events.extend(self._dispatch(now))
        return events

    def leave(self, request_id: str, now: datetime) -> list[HandoffEvent]:
        """The player leaves the queue before (re-)matching."""
        req = self._request(request_id)
        if req.state not in (State.WAITING, State.OFFERED):
            raise StateError("not waiting in a queue", code="not_queued")
        events: list[HandoffEvent] = []
        if req.state is State.OFFERED:
            assert req.offer_id is not None
            events.append(self._drop_offer(req.offer_id, Event.LEAVE, "left", now))
        else:
            req.state = transition(req.state, Event.LEAVE)
            self._queue.remove(req.id)
        self._retire(req)
        events.append(Left(req.id, req.session_id, req.conversation_id))
        events.extend(self._dispatch(now))
        return events

    # ----------------------------------------------------------------- offers
    def accept(self, offer_id: str, counsellor_id: int, now: datetime) -> list[HandoffEvent]:
        """The offered counsellor accepts: the conversation becomes live."""
        offer = self._offer_for(offer_id, counsellor_id)
        c = self.counsellors[counsellor_id]
        req = self.requests[offer.request_id]
        req.state = transition(req.state, Event.ACCEPT)
        del self.offers[offer_id]
        c.offers.discard(offer_id)
        c.conversations.add(req.id)
        req.offer_id = None
        req.counsellor_id = counsellor_id
        if req.conversation_id is None:
            req.conversation_id = self._new_id()
            req.matched_at = now
        self._by_conversation[req.conversation_id] = req.id
        self._reindex(c)
        events: list[HandoffEvent] = [
            Matched(req.id, req.conversation_id, req.session_id, counsellor_id, req.prefs)
        ]
        events.extend(self._dispatch(now))
        return events

    def pick(self, request_id: str, counsellor_id: int, now: datetime) -> list[HandoffEvent]:
        """A counsellor takes a waiting request from the queue themselves.

        Only a request that is waiting (not offered to a colleague), whose player is there,
        that this counsellor may serve (hard preferences) and with a free slot: the same
        rules as an offer, minus the offer.
        """
        req = self.requests.get(request_id)
        c = self._counsellor(counsellor_id)
        if req is None or req.state is not State.WAITING or req.offline_since is not None:
            raise StateError(
                "that request is no longer waiting for a counsellor", code="request_unavailable"
            )
        if not c.connected or not c.profile.can_serve(req.prefs, req.organisation):
            raise StateError("you cannot serve this request", code="request_unavailable")
        if c.load >= c.profile.capacity:
            raise StateError("your caseload is full", code="caseload_full")
        self._queue.remove(req.id)
        req.state = transition(transition(req.state, Event.OFFER), Event.ACCEPT)
        c.conversations.add(req.id)
        req.counsellor_id = counsellor_id
        if req.conversation_id is None:
            req.conversation_id = self._new_id()
            req.matched_at = now
        self._by_conversation[req.conversation_id] = req.id
        self._reindex(c)
        events: list[HandoffEvent] = [
            Matched(req.id, req.conversation_id, req.session_id, counsellor_id, req.prefs)
        ]
        events.extend(self._dispatch(now))
        return events

    def decline(self, offer_id: str, counsellor_id: int, now: datetime) -> list[HandoffEvent]:
        """The offered counsellor declines: the request goes to the next counsellor."""
        offer = self._offer_for(offer_id, counsellor_id)
        req = self.requests[offer.request_id]
        req.declined_by[counsellor_id] = now + self.decline_cooldown
        events: list[HandoffEvent] = [self._drop_offer(offer_id, Event.DECLINE, "declined", now)]
        events.extend(self._dispatch(now))
        return events

    # ----------------------------------------------------------------- conversations
    def transfer(
        self, conversation_id: str, to_counsellor_id: int, now: datetime, *, by: int | None
    ) -> list[HandoffEvent]:
        """Hand a live conversation to another counsellor who can take it now.

        ``by`` is the counsellor asking (must hold the conversation), or None for a supervisor,
        who may also move a conversation whose counsellor dropped (GRACE) without waiting.
        """
        req = self._live_conversation(conversation_id, by)
        if req.state not in (State.ACTIVE, State.GRACE):
            raise StateError("the conversation is not live", code="invalid_state")
        target = self.counsellors.get(to_counsellor_id)
        if (
            target is None
            or to_counsellor_id == req.counsellor_id
            or not target.takes_new
            or not target.profile.can_serve(req.prefs, req.organisation)
        ):
            raise StateError(
                "that counsellor cannot take this conversation now",
                code="transfer_target_unavailable",
            )
        old_id = req.counsellor_id
        assert old_id is not None
        req.state = transition(req.state, Event.TRANSFER)
        req.grace_until = None
        self._grace.discard(req.id)
        old = self.counsellors[old_id]
        old.conversations.discard(req.id)
        target.conversations.add(req.id)
        req.counsellor_id = to_counsellor_id
        self._reindex(old)
        self._reindex(target)
        events: list[HandoffEvent] = [
            Matched(
                req.id,
                conversation_id,
                req.session_id,
                to_counsellor_id,
                req.prefs,
                transferred_from=old_id,
            )
        ]
        events.extend(self._dispatch(now))
        return events

    def refer(
        self,
        conversation_id: str,
        organisation: str,
        new_request_id: str | None,
        now: datetime,
        *,
        by: int | None,
    ) -> list[HandoffEvent]:
        """End a live conversation as ``referred`` and queue the player with a partner.

        ``new_request_id`` None is a handover: the partner has nobody on this server, so
        the player is given the partner's contact instead of a place in a queue nobody
        serves (the shell decides which, as only it knows the partner's accounts).
        """
        req = self._live_conversation(conversation_id, by)
        if req.state is not State.ACTIVE:
            raise StateError("the conversation is not active", code="invalid_state")
        if organisation == req.organisation:
            raise StateError("refer to a different organisation", code="invalid_field")
        counsellor_id = req.counsellor_id
        assert counsellor_id is not None
        req.state = transition(req.state, Event.REFER)
        self._release(req, now)
        self._retire(req)
        events: list[HandoffEvent] = [
            Referred(
                req.id,
                conversation_id,
                req.session_id,
                counsellor_id,
                organisation,
                new_request_id,
            )
        ]
        if new_request_id is None:
            events.extend(self._dispatch(now))
            return events
        events.extend(
            self.request(new_request_id, req.session_id, req.prefs, now, organisation=organisation)
        )
        if req.offline_since is not None:  # still away: parked, and away since then
            events.extend(self.player_presence(req.session_id, online=False, now=now))
            self.requests[new_request_id].offline_since = req.offline_since
        return events

    def end(
        self,
        conversation_id: str,
        now: datetime,
        *,
        by: EndedBy,
        outcome: Outcome,
        counsellor_id: int | None = None,
    ) -> list[HandoffEvent]:
        """End a conversation. A counsellor must hold it; the player may end their own."""
        if by == "counsellor" and outcome not in STAFF_OUTCOMES:
            raise StateError(f"unknown outcome {outcome}", code="invalid_field")
        req = self._live_conversation(
            conversation_id, counsellor_id if by == "counsellor" else None
        )
        if req.state in (State.WAITING, State.OFFERED):
            # Re-queued after a dropped counsellor: ending means leaving the queue.
            return self.leave(req.id, now)
        held_by = req.counsellor_id
        assert held_by is not None
        req.state = transition(req.state, Event.END)
        if req.matched_at is not None:
            self.estimator.record(now, (now - req.matched_at).total_seconds())
        self._release(req, now)
        self._retire(req)
        events: list[HandoffEvent] = [
            Ended(req.id, conversation_id, req.session_id, held_by, by, outcome)
        ]
        events.extend(self._dispatch(now))
        return events

    # ----------------------------------------------------------------- time
    def tick(self, now: datetime) -> list[HandoffEvent]:
        """Expire offers and grace periods that are due, then match again."""
        events: list[HandoffEvent] = []
        due = [o for o in self.offers.values() if o.expires_at <= now]
        for offer in sorted(due, key=lambda o: (o.expires_at, o.id)):
            c = self.counsellors[offer.counsellor_id]
            events.append(self._drop_offer(offer.id, Event.OFFER_EXPIRED, "expired", now))
            if c.status == "available":
                c.status = "away"
                self._reindex(c)
                events.append(StatusChanged(c.profile.id, "away"))
        for rid in sorted(self._grace):
            req = self.requests[rid]
            assert req.grace_until is not None
            if req.grace_until > now:
                continue
            previous = req.counsellor_id
            assert previous is not None and req.conversation_id is not None
            req.state = transition(req.state, Event.GRACE_EXPIRED)
            self._grace.discard(rid)
            req.grace_until = None
            c = self.counsellors[previous]
            c.conversations.discard(rid)
            self._reindex(c)
            req.counsellor_id = None
            req.seq = self._take_front()
            req.declined_by.pop(previous, None)
            self._enqueue(req)
            events.append(Requeued(rid, req.conversation_id, req.session_id, previous, req.seq))
        events.extend(self._abandon(now))
        events.extend(self._dispatch(now))
        return events

    def next_deadline(self) -> datetime | None:
        """The earliest offer expiry or grace end, for shells that sleep until then."""
        times = [o.expires_at for o in self.offers.values()]
        times += [self.requests[r].grace_until for r in self._grace]  # type: ignore[misc]
        return min(times) if times else None

    # ----------------------------------------------------------------- restore
    def restore_waiting(
        self,
        request_id: str,
        session_id: str,
        prefs: Preferences,
        *,
        created_at: datetime,
        seq: int,
        organisation: str = HOME_ORG,
        conversation_id: str | None = None,
        matched_at: datetime | None = None,
        offline_since: datetime | None = None,
    ) -> None:
        """Put back a request that was waiting (or offered) when the server stopped.

        ``offline_since`` is when the shell last knew the player there (after a restart no
        game is connected yet): the request is parked until the player's game is back."""
        req = Request(
            id=request_id,
            session_id=session_id,
            organisation=organisation,
            prefs=prefs,
            created_at=created_at,
            priority=CRISIS if prefs.crisis else NORMAL,
            seq=seq,
            conversation_id=conversation_id,
            matched_at=matched_at,
            offline_since=offline_since,
        )
        self._bump_counters(seq)
        self._admit(req)

    def restore_conversation(
        self,
        request_id: str,
        session_id: str,
        prefs: Preferences,
        *,
        created_at: datetime,
        seq: int,
        conversation_id: str,
        counsellor: CounsellorProfile,
        matched_at: datetime,
        now: datetime,
        organisation: str = HOME_ORG,
        offline_since: datetime | None = None,
    ) -> None:
        """Put back a live conversation; its counsellor has ``grace`` from ``now`` to return."""
        c = self.counsellors.get(counsellor.id)
        if c is None:
            c = Counsellor(profile=counsellor, status="available", connected=False)
            self.counsellors[counsellor.id] = c
        if session_id in self._by_session:
            raise LocalProtocolError(f"session {session_id} restored twice")
        req = Request(
            id=request_id,
            session_id=session_id,
            organisation=organisation,
            prefs=prefs,
            created_at=created_at,
            priority=CRISIS if prefs.crisis else NORMAL,
            seq=seq,
            state=State.GRACE,
            counsellor_id=counsellor.id,
            conversation_id=conversation_id,
            matched_at=matched_at,
            grace_until=now + self.grace,
            offline_since=offline_since,
        )
        self._bump_counters(seq)
        self.requests[request_id] = req
        if offline_since is not None:
            self._away.add(request_id)
        self._by_session[session_id] = request_id
        self._by_conversation[conversation_id] = request_id
        self._grace.add(request_id)
        c.conversations.add(request_id)

    # ----------------------------------------------------------------- reporting
    def positions(self) -> dict[str, int]:
        """1-based position of every waiting/offered request among those sharing its
        organisation and language (the people actually ahead of the player)."""
        groups: dict[tuple[str, str], list[Request]] = {}
        for req in self.requests.values():
            if req.state in (State.WAITING, State.OFFERED) and req.offline_since is None:
                groups.setdefault((req.organisation, req.prefs.language), []).append(req)
        result: dict[str, int] = {}
        for reqs in groups.values():
            reqs.sort(key=lambda r: r.key)
            for i, r in enumerate(reqs, start=1):
                result[r.id] = i
        return result

    def position(self, request_id: str) -> int:
        """1-based position of one request (see ``positions``; players who are away are
        skipped when offers are made, so they are not counted as ahead of anyone)."""
        req = self._request(request_id)
        ahead = 0
        for other in self.requests.values():
            if (
                other.state in (State.WAITING, State.OFFERED)
                and other.offline_since is None
                and other.organisation == req.organisation
                and other.prefs.language == req.prefs.language
                and other.key < req.key
            ):
                ahead += 1
        return ahead + 1

    def estimate(
        self, request_id: str, now: datetime, *, position: int | None = None
    ) -> int | None:
        """Honest wait estimate in seconds for a waiting request, or None when unknown."""
        req = self._request(request_id)
        if req.state not in (State.WAITING, State.OFFERED):
            return None
        if position is None:
            position = self.position(request_id)
        capacity, free = self.shift_capacity(req.prefs, req.organisation)
        return self.estimator.estimate(
            now=now, position=position, capacity_on_shift=capacity, free_slots=free
        )

    def shift_capacity(self, prefs: Preferences, organisation: str) -> tuple[int, int]:
        """(summed capacity, free slots) of available counsellors who could take ``prefs``."""
        capacity = free = 0
        for c in self.counsellors.values():
            if c.connected and c.status == "available" and c.profile.can_serve(prefs, organisation):
                capacity += c.profile.capacity
                free += max(0, c.profile.capacity - c.load)
        return capacity, free

    def kinds_available(self, organisation: str = HOME_ORG) -> list[str]:
        """Counsellor kinds connected, available and with capacity in an organisation."""
        return sorted(
            {
                c.profile.kind
                for c in self.counsellors.values()
                if c.connected
                and c.status == "available"
                and c.profile.capacity > 0
                and c.profile.organisation == organisation
            }
        )

    def waiting(self, limit: int | None = None) -> list[Request]:
        """Waiting and offered requests in serving order (crisis first, then oldest)."""
        reqs = [r for r in self.requests.values() if r.state in (State.WAITING, State.OFFERED)]
        reqs.sort(key=lambda r: r.key)
        return reqs if limit is None else reqs[:limit]

    def queue_views(
        self, viewers: Iterable[int | None], limit: int
    ) -> dict[int | None, tuple[list[Request], int]]:
        """What each viewer's queue shows: (first ``limit`` requests, how many in all).

        A counsellor (their id) sees only what they could serve (organisation, language,
        a required kind) and whose player is there; ``None`` (a supervisor) sees every
        request that some counsellor known here could serve, players who are away included.
        A request nobody here can serve is shown to nobody: the shell must hand it over.
        Waiting requests come from the queue's buckets (only the first ``limit`` of each is
        read), offered and parked ones, few by nature, from their own indexes.
        """
        sizes = self._queue.sizes()
        buckets = [b for b, n in sizes.items() if n > 0]
        offered = [self.requests[o.request_id] for o in self.offers.values()]
        parked = [
            r
            for rid in self._away
            if (r := self.requests.get(rid)) is not None and r.state is State.WAITING
        ]
        serving = [c.profile for c in self.counsellors.values() if c.profile.capacity > 0]
        heads: dict[BucketKey, list[Request]] = {}
        out: dict[int | None, tuple[list[Request], int]] = {}
        for viewer in viewers:
            if viewer in out:
                continue
            c = self.counsellors.get(viewer) if viewer is not None else None
            if viewer is not None and (c is None or c.profile.capacity <= 0):
                out[viewer] = ([], 0)
                continue
            profiles = [c.profile] if c is not None else serving

            def served(bucket: BucketKey, profiles: list[CounsellorProfile] = profiles) -> bool:
                return any(_bucket_served(p, bucket) for p in profiles)

            mine = [b for b in buckets if served(b)]
            lists: list[list[Request]] = []
            for b in mine:
                head = heads.get(b)
                if head is None:
                    head = heads[b] = [self.requests[e[2]] for e in self._queue.first(b, limit)]
                lists.append(head)
            extra = [r for r in offered if served(r.bucket)]
            if c is None:
                extra += [r for r in parked if served(r.bucket)]
            extra.sort(key=_serving_order)
            total = sum(sizes[b] for b in mine) + len(extra)
            first = list(islice(heapq.merge(*lists, extra, key=_serving_order), limit))
            out[viewer] = (first, total)
        return out

    def serviceable(self, prefs: Preferences, organisation: str) -> bool:
        """Whether any counsellor known here could ever serve such a request."""
        return any(
            c.profile.capacity > 0 and c.profile.can_serve(prefs, organisation)
            for c in self.counsellors.values()
        )

    def check_invariants(self) -> None:
        """Raise AssertionError if any rule of the core is broken (used by tests)."""
        held: dict[str, int] = {}
        for c in self.counsellors.values():
            assert c.load <= c.profile.capacity, "capacity exceeded"
            for rid in c.conversations:
                assert rid not in held, "request held by two counsellors"
                held[rid] = c.profile.id
                assert self.requests[rid].state in LIVE
            for oid in c.offers:
                rid = self.offers[oid].request_id
                assert rid not in held, "request offered and held"
                held[rid] = c.profile.id
        sessions: set[str] = set()
        for req in self.requests.values():
            assert req.session_id not in sessions, "session with two live requests"
            sessions.add(req.session_id)
            in_queue = req.id in self._queue
            parked = req.offline_since is not None
            assert in_queue == (req.state is State.WAITING and not parked), (
                f"queue mismatch {req.state} parked={parked}"
            )
            assert not (parked and req.state is State.OFFERED), "offer to a player who is away"
            assert (req.id in self._away) == parked, "away index out of step"
            if req.state in LIVE or req.state is State.OFFERED:
                assert held.get(req.id) == (
                    req.counsellor_id
                    if req.state in LIVE
                    else self.offers[req.offer_id].counsellor_id  # type: ignore[index]
                )

    # ----------------------------------------------------------------- internals
    def _counsellor(self, counsellor_id: int) -> Counsellor:
        c = self.counsellors.get(counsellor_id)
        if c is None:
            raise StateError("unknown counsellor", code="unknown_counsellor")
        return c

    def _request(self, request_id: str) -> Request:
        req = self.requests.get(request_id)
        if req is None:
            raise StateError("no such live request", code="unknown_request")
        return req

    def _live_conversation(self, conversation_id: str, counsellor_id: int | None) -> Request:
        req = self.request_for_conversation(conversation_id)
        if req is None:
            raise StateError("no such live conversation", code="unknown_conversation")
        if counsellor_id is not None and req.counsellor_id != counsellor_id:
            raise StateError("this conversation is not yours", code="not_your_conversation")
        return req

    def _offer_for(self, offer_id: str, counsellor_id: int) -> Offer:
        offer = self.offers.get(offer_id)
        if offer is None:
            raise StateError("the offer has expired or was withdrawn", code="offer_gone")
        if offer.counsellor_id != counsellor_id:
            raise StateError("this offer was made to somebody else", code="not_your_offer")
        return offer

    def _take_seq(self) -> int:
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def _take_front(self) -> int:
        seq = self._next_front
        self._next_front -= 1
        return seq

    def _bump_counters(self, seq: int) -> None:
        self._next_seq = max(self._next_seq, seq + 1)
        self._next_front = min(self._next_front, seq - 1)

    def _admit(self, req: Request) -> None:
        self.requests[req.id] = req
        self._by_session[req.session_id] = req.id
        if req.conversation_id is not None:
            self._by_conversation[req.conversation_id] = req.id
        if req.offline_since is not None:
            self._away.add(req.id)
        self._enqueue(req)

    def _enqueue(self, req: Request) -> None:
        """Put a WAITING request into its bucket, unless its player is away (parked)."""
        if req.offline_since is None:
            self._queue.push(req.bucket, req.id, req.key)

    def _retire(self, req: Request) -> None:
        """Forget a request that reached a terminal state."""
        self.requests.pop(req.id, None)
        if self._by_session.get(req.session_id) == req.id:
            del self._by_session[req.session_id]
        if req.conversation_id is not None:
            self._by_conversation.pop(req.conversation_id, None)
        self._grace.discard(req.id)
        self._away.discard(req.id)
        self._queue.remove(req.id)

    def _release(self, req: Request, now: datetime) -> None:
        """Free the counsellor slot a live conversation held."""
        if req.counsellor_id is not None:
            c = self.counsellors[req.counsellor_id]
            c.conversations.discard(req.id)
            self._reindex(c)
        req.grace_until = None

    def _drop_offer(self, offer_id: str, event: Event, reason: str, now: datetime) -> OfferExpired:
        offer = self.offers.pop(offer_id)
        c = self.counsellors[offer.counsellor_id]
        c.offers.discard(offer_id)
        req = self.requests[offer.request_id]
        req.state = transition(req.state, event)
        req.offer_id = None
        if req.state is State.WAITING:
            self._enqueue(req)
        self._reindex(c)
        return OfferExpired(offer_id, req.id, c.profile.id, reason)

    def _unindex(self, c: Counsellor) -> None:
        if not c.indexed:
            return
        p = c.profile
        for lang in p.languages:
            kinds = self._free.get((p.organisation, lang))
            if kinds is None:
                continue
            ids = kinds.get(p.kind)
            if ids is not None:
                ids.discard(p.id)
                if not ids:
                    del kinds[p.kind]
            if not kinds:
                del self._free[(p.organisation, lang)]
        c.indexed = False

    def _reindex(self, c: Counsellor) -> None:
        if c.takes_new == c.indexed:
            return
        if c.indexed:
            self._unindex(c)
            return
        p = c.profile
        for lang in p.languages:
            self._free.setdefault((p.organisation, lang), {}).setdefault(p.kind, set()).add(p.id)
        c.indexed = True

    def _next_candidate(self) -> Request | None:
        """The first request in serving order that some free counsellor could take."""
        best: tuple[int, int, str] | None = None
        peek = self._queue.peek
        for (org, lang), kinds in self._free.items():
            head = peek((org, lang, None))
            if head is not None and (best is None or head < best):
                best = head
            for kind in kinds:
                head = peek((org, lang, kind))
                if head is not None and (best is None or head < best):
                    best = head
        return None if best is None else self.requests[best[2]]

    def _best_counsellor(self, req: Request, now: datetime) -> Counsellor | None:
        kinds = self._free.get((req.organisation, req.prefs.language))
        if not kinds:
            return None
        required = req.prefs.required_kind
        pools: Iterable[set[int]]
        if required is not None:
            pool = kinds.get(required)
            pools = (pool,) if pool else ()
        else:
            pools = kinds.values()
        declined = req.declined_by
        prefs = req.prefs
        best: Counsellor | None = None
        best_key: tuple[int, float, int] | None = None
        for pool in pools:
            for cid in pool:
                if declined:
                    until = declined.get(cid)
                    if until is not None and until > now:
                        continue
                c = self.counsellors[cid]
                key = (-c.profile.soft_score(prefs), c.load / c.profile.capacity, cid)
                if best_key is None or key < best_key:
                    best, best_key = c, key
        return best

    def _dispatch(self, now: datetime) -> list[HandoffEvent]:
        """Offer waiting requests to free counsellors until no more offers can be made."""
        events: list[HandoffEvent] = []
        skipped: list[Request] = []
        while True:
            req = self._next_candidate()
            if req is None:
                break
            self._queue.remove(req.id)
            c = self._best_counsellor(req, now)
            if c is None:  # every free suitable counsellor declined it recently
                skipped.append(req)
                continue
            req.state = transition(req.state, Event.OFFER)
            offer = Offer(self._new_id(), req.id, c.profile.id, now + self.offer_timeout)
            self.offers[offer.id] = offer
            req.offer_id = offer.id
            c.offers.add(offer.id)
            self._reindex(c)
            events.append(
                OfferMade(
                    offer.id,
                    req.id,
                    c.profile.id,
                    req.prefs,
                    (now - req.created_at).total_seconds(),
                    offer.expires_at,
                )
            )
        for req in skipped:
            self._queue.push(req.bucket, req.id, req.key)
        return events


def _serving_order(req: Request) -> QueueKey:
    return req.key


def _bucket_served(profile: CounsellorProfile, bucket: BucketKey) -> bool:
    organisation, language, kind = bucket
    return (
        organisation == profile.organisation
        and language in profile.languages
        and (kind is None or kind == profile.kind)
    )
