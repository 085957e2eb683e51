"""Review rules of the ethics board: who may approve, veto, acknowledge, publish and unpublish.

Theory of operation
-------------------
The board is a state machine driven by log entries (``ethics.entries``). ``Board.apply(entry)``
first evaluates every rule of ``RULES`` that names the entry's kind; if any is broken it raises
``ReviewRuleError`` with the rule's stable code and nothing changes. Otherwise the entry's effect
is applied. The server calls ``apply`` before it appends an entry, so a forbidden step never
reaches the log; ``ethics.verify`` replays an exported log through a fresh ``Board``, so a log
that contains a forbidden step (say, a publish without quorum) is reported.

Replaying a long log must cost the same for its last entry as for its first: ``apply`` looks
up the proposal an entry names once and hands it to every rule, and a proposal keeps each
reviewer's latest review as reviews arrive, so no rule ever scans earlier entries (the work
per entry grows only with the number of board members who reviewed that proposal).

The rules, in words (each is a row of ``RULES``):

* Every step names a staff member, and proposals, reviews, acknowledgements and unpublishes carry
  a written rationale (at least ``Policy.min_rationale`` characters).
* A proposal's first revision opens it; each later revision must change the bundle and becomes
  the current revision. A published proposal is closed.
* The automated checks are recorded once per revision, for its exact bundle hash, and before
  anyone reviews that revision.
* A review names the exact bundle hash of the current revision; a stale hash is refused. Each
  reviewer's latest review counts. Approvals are bound to that hash, so a new revision dismisses
  them. A reviewer answers every checklist item; an approval needs every item ticked.
* Everyone who authored or revised any revision of a proposal (its co-authors) can never approve
  it, acknowledge its flags or publish it.
* A proposal records the bundle it was based on. Publishing is refused while another bundle is
  published than that base (the proposal would silently revert what was published since); the
  author rebases, which is a new revision (it may keep the bundle) and dismisses approvals.
* ``reject`` (request changes) blocks publishing the revision it names. ``veto`` blocks the whole
  proposal, across revisions, until the same member records a later non-veto review.
* A flagged check result needs an explicit acknowledgement (bound to the hash, check id and
  location) by an eligible member. Error-level check results block publishing.
* Publishing needs approvals from at least ``Policy.quorum`` (never fewer than 2) eligible,
  distinct members on the current hash, no standing veto, no rejection of this revision, no
  check error and no unacknowledged flag. The publish entry lists exactly those approvers: one
  person can never publish alone.
* One member may unpublish in an emergency: the current bundle is withdrawn and the previously
  published bundle is served again.
* A key rotation names the key it replaces (none for the first key). A key recovery (the old
  key was lost) additionally lists at least ``Policy.quorum`` distinct approving members.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from ethics.entries import (
    AcknowledgementEntry,
    CheckResultEntry,
    Entry,
    KeyRecoveryEntry,
    KeyRotationEntry,
    ProposalEntry,
    PublishEntry,
    ReviewEntry,
    UnpublishEntry,
)
from ethics.exceptions import ReviewRuleError

#: Checklist every reviewer answers; an approval needs all of them ticked.
CHECKLIST: dict[str, str] = {
    "read_diff": "I read the whole diff in every locale.",
    "read_checks": "I read every automated check result.",
    "no_deception": "Nothing hides who runs this service or pretends to be a fellow player.",
    "no_pressure": "Nothing pressures, rushes or nudges the player towards talking.",
    "safe_for_audience": "The content is safe and respectful for young players.",
}


@dataclass(frozen=True)
class Policy:
    """Board configuration: quorum (at least 2), checklist items, minimum rationale length."""

    quorum: int = 2
    checklist: tuple[str, ...] = tuple(CHECKLIST)
    min_rationale: int = 10

    def __post_init__(self) -> None:
        if self.quorum < 2:
            raise ValueError("quorum must be at least 2: nobody may ever publish alone")
        if not self.checklist:
            raise ValueError("the checklist must have at least one item")

    @cached_property
    def checklist_items(self) -> frozenset[str]:
        """The checklist as a set: every review is compared with it."""
        return frozenset(self.checklist)


@dataclass
class Revision:
    """One version of a proposal's bundle."""

    number: int
    bundle_hash: str
    by: int
    message: str
    base_bundle_hash: str | None


@dataclass
class ProposalState:
    """Everything the board knows about one proposal."""

    id: str
    proposer: int
    revisions: list[Revision] = field(default_factory=list)
    reviews: list[ReviewEntry] = field(default_factory=list)
    checks: dict[int, list[dict[str, str]]] = field(default_factory=dict)
    acknowledged: dict[tuple[int, str, str], int] = field(default_factory=dict)
    published: bool = False
    # Derived state, kept between calls (plain fields, not tuples: a long replay holds one
    # ProposalState per proposal, and every object it holds is one more for the garbage
    # collector to walk).
    _excluded_at: int = field(default=-1, repr=False, compare=False)  # len(revisions) then
    _excluded: dict[int, str] = field(default_factory=dict, repr=False, compare=False)
    _latest_at: int = field(default=0, repr=False, compare=False)  # len(reviews) folded in
    _latest: dict[int, ReviewEntry] = field(default_factory=dict, repr=False, compare=False)

    @property
    def current(self) -> Revision:
        """The latest revision."""
        return self.revisions[-1]

    @property
    def last_reviser(self) -> int:
        """Who made the current revision."""
        return self.current.by

    @property
    def coauthors(self) -> list[int]:
        """Everyone who revised the proposal besides its proposer, in order of first revision."""
        out: list[int] = []
        for rev in self.revisions:
            if rev.by != self.proposer and rev.by not in out:
                out.append(rev.by)
        return out

    def excluded(self) -> dict[int, str]:
        """Who may not approve, acknowledge or publish this proposal, and why (do not modify).

        Kept until the next revision: every review and publish asks, and replaying a long
        log asks a great many times.
        """
        if self._excluded_at == len(self.revisions):
            return self._excluded
        reasons = {self.proposer: "proposed it (revision 1)"}
        for rev in self.revisions[1:]:
            if rev.by not in reasons:
                reasons[rev.by] = f"co-author: wrote revision {rev.number}"
        self._excluded_at, self._excluded = len(self.revisions), reasons
        return reasons

    def conflicted(self, staff_id: int | None) -> bool:
        """True for anyone who authored any revision (separation of duties)."""
        return staff_id is not None and staff_id in self.excluded()

    def _latest_by_reviewer(self) -> dict[int, ReviewEntry]:
        """Each reviewer's latest review (do not modify).

        Reviews only ever get appended, so the ones added since the last call are folded in:
        replaying a proposal with many reviews does not rescan them for every publish.
        """
        reviews, latest = self.reviews, self._latest
        if self._latest_at > len(reviews):  # the list was replaced: start again
            self._latest_at = 0
            latest.clear()
        if self._latest_at < len(reviews):
            for review in reviews[self._latest_at :]:
                if review.actor is not None:
                    latest[review.actor] = review
            self._latest_at = len(reviews)
        return latest

    def latest_reviews(self) -> dict[int, ReviewEntry]:
        """Each reviewer's latest review on this proposal."""
        return dict(self._latest_by_reviewer())

    def approvers(self) -> list[int]:
        """Eligible members whose latest review approves the current bundle hash."""
        cur = self.current
        excluded = self.excluded()
        return sorted(
            who
            for who, r in self._latest_by_reviewer().items()
            if r.decision == "approve"
            and r.bundle_hash == cur.bundle_hash
            and r.revision == cur.number
            and who not in excluded
        )

    def vetoes(self) -> list[int]:
        """Members whose latest review is a veto (vetoes survive new revisions)."""
        return sorted(w for w, r in self._latest_by_reviewer().items() if r.decision == "veto")

    def rejections(self) -> list[int]:
        """Members whose latest review rejects the current revision."""
        cur = self.current.number
        return sorted(
            w
            for w, r in self._latest_by_reviewer().items()
            if r.decision == "reject" and r.revision == cur
        )

    def check_results(self) -> list[dict[str, str]] | None:
        """Check results of the current revision, or None if the checks have not run."""
        return self.checks.get(self.current.number)

    def unacknowledged_flags(self) -> list[dict[str, str]]:
        """Flag results of the current revision that no eligible member acknowledged."""
        cur = self.current.number
        return [
            r
            for r in self.check_results() or []
            if r["severity"] == "flag" and (cur, r["id"], r["location"]) not in self.acknowledged
        ]

    def errors(self) -> list[dict[str, str]]:
        """Error results of the current revision."""
        return [r for r in self.check_results() or [] if r["severity"] == "error"]

    def blockers(self, policy: Policy, approvers: list[int] | None = None) -> list[str]:
        """Why the current revision cannot be published now (empty when it can).

        ``approvers`` is ``self.approvers()`` when the caller has it already.
        """
        reasons = []
        if self.published:
            reasons.append("already published")
        if self.check_results() is None:
            reasons.append("the automated checks have not run on this revision")
        approvals = len(self.approvers() if approvers is None else approvers)
        if approvals < policy.quorum:
            reasons.append(f"{approvals} of {policy.quorum} required approvals")
        vetoes, rejections = len(self.vetoes()), len(self.rejections())
        errors, flags = len(self.errors()), len(self.unacknowledged_flags())
        if vetoes:
            reasons.append(f"vetoed by {vetoes} member(s)")
        if rejections:
            reasons.append(f"changes requested by {rejections} member(s)")
        if errors:
            reasons.append(f"{errors} check error(s)")
        if flags:
            reasons.append(f"{flags} unacknowledged flag(s)")
        return reasons


@dataclass
class Board:
    """All proposals, the stack of published bundles and the current signing key."""

    policy: Policy = field(default_factory=Policy)
    proposals: dict[str, ProposalState] = field(default_factory=dict)
    published: list[str] = field(default_factory=list)
    ever_published: set[str] = field(default_factory=set)
    signing_key: str | None = None

    @property
    def current_bundle(self) -> str | None:
        """The bundle the log says players get now (None before the first publish)."""
        return self.published[-1] if self.published else None

    def violations(self, entry: Entry) -> list[tuple[str, str]]:
        """Every broken rule for ``entry`` as (code, message); empty if it is allowed."""
        found = []
        prop = self.proposal_for(entry)  # once per entry: most rules need it
        for rule in _rules_for(type(entry)):
            message = rule.check(self, entry, prop)
            if message:
                found.append((rule.code, message))
                if rule.stop:
                    break
        return found

    def apply(self, entry: Entry) -> None:
        """Apply one entry, or raise ReviewRuleError naming the first broken rule."""
        broken = self.violations(entry)
        if broken:
            code, message = broken[0]
            raise ReviewRuleError(code, message)
        _EFFECTS[type(entry)](self, entry)

    def replay(self, entry: Entry) -> None:
        """Apply an entry already accepted into the log, without re-checking the rules.

        Storage shells use this to rebuild just the state one decision needs (one proposal's
        entries plus every publish, unpublish and key rotation).
        """
        _EFFECTS[type(entry)](self, entry)

    def proposal_for(self, entry: Entry) -> ProposalState | None:
        """The proposal an entry refers to, if it has one and it exists."""
        pid = getattr(entry, "proposal", None)
        return self.proposals.get(pid) if isinstance(pid, str) else None


# --- the rule table -------------------------------------------------------------------------

#: A rule's check: the board, the entry and the proposal the entry names (None when it names
#: none or an unknown one); returns what is wrong, or None.
Check = Callable[[Board, Entry, ProposalState | None], str | None]


@dataclass(frozen=True)
class Rule:
    """One governance rule: which entry kinds it governs and how it is checked."""

    code: str
    kinds: tuple[type[Entry], ...]
    text: str
    check: Check
    stop: bool = False  # later rules make no sense if this one fails


def _needs_actor(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    return "this step must name the staff member who takes it" if e.actor is None else None


def _rationale(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    text = str(getattr(e, "rationale", None) or getattr(e, "message", None) or "")
    if len(text.strip()) < board.policy.min_rationale:
        return f"a rationale of at least {board.policy.min_rationale} characters is required"
    return None


def _proposal_known(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    if prop is None:
        return f"unknown proposal {getattr(e, 'proposal', None)!r}"
    return None


def _revision_order(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert isinstance(e, ProposalEntry)
    if e.revision == 1:
        return None if prop is None else f"proposal {e.proposal!r} already exists"
    if prop is None:
        return f"unknown proposal {e.proposal!r}"
    if e.revision != prop.current.number + 1:
        return f"revision {e.revision} does not follow revision {prop.current.number}"
    return None


def _revision_changes_bundle(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert isinstance(e, ProposalEntry)
    if prop is not None and e.revision > 1:
        if prop.published:
            return "a published proposal is closed; propose a new one"
        same_base = prop.current.base_bundle_hash == e.base_bundle_hash
        if prop.current.bundle_hash == e.bundle_hash and same_base:
            return "a new revision must change the bundle or rebase it"
    return None


def _current_hash(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert prop is not None
    cur = prop.current
    revision, bundle_hash = getattr(e, "revision", None), str(getattr(e, "bundle_hash", ""))
    if revision != cur.number or bundle_hash != cur.bundle_hash:
        return (
            f"names revision {revision} / bundle {bundle_hash[:12]} but the current "
            f"revision is {cur.number} / {cur.bundle_hash[:12]} (stale)"
        )
    return None


def _checks_once(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert prop is not None and isinstance(e, CheckResultEntry)
    return "checks already recorded for this revision" if e.revision in prop.checks else None


def _checks_first(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert prop is not None
    if prop.check_results() is None:
        return "the automated checks must be recorded before this revision is reviewed"
    return None


def _not_published(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert prop is not None
    return "this proposal is already published and closed" if prop.published else None


def _not_conflicted(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert prop is not None
    if isinstance(e, ReviewEntry) and e.decision != "approve":
        return None
    reason = prop.excluded().get(e.actor) if e.actor is not None else None
    if reason is not None:
        return (
            f"staff {e.actor} {reason}: whoever authored or revised any revision can never "
            "approve, acknowledge or publish it"
        )
    return None


def _checklist(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert isinstance(e, ReviewEntry)
    expected = board.policy.checklist_items
    if e.checklist.keys() != expected:
        given = set(e.checklist)
        missing, unknown = sorted(expected - given), sorted(given - expected)
        return f"checklist must answer exactly: missing {missing}, unknown {unknown}"
    if e.decision == "approve" and not all(e.checklist.values()):
        unticked = sorted(k for k, v in e.checklist.items() if not v)
        return f"an approval needs every checklist item ticked; unticked: {unticked}"
    return None


def _flag_exists(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert prop is not None and isinstance(e, AcknowledgementEntry)
    flags = [
        r
        for r in prop.checks.get(e.revision, [])
        if r["severity"] == "flag" and r["id"] == e.check and r["location"] == e.location
    ]
    if not flags:
        return f"there is no flag {e.check} at {e.location!r} on this revision"
    if (e.revision, e.check, e.location) in prop.acknowledged:
        return "this flag is already acknowledged"
    return None


def _publishable(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert prop is not None and isinstance(e, PublishEntry)
    approvers = prop.approvers()
    blockers = prop.blockers(board.policy, approvers)
    if blockers:
        return "cannot publish: " + "; ".join(blockers)
    if sorted(e.approvals) != approvers:
        return f"publish lists approvers {sorted(e.approvals)} but the log shows {approvers}"
    return None


def stale_base(board: Board, prop: ProposalState) -> str | None:
    """Why the proposal's base is outdated (the published bundle moved on), or None."""
    base, current = prop.current.base_bundle_hash, board.current_bundle
    if base == current:
        return None
    if current is None and base not in board.ever_published:
        return None  # based on content published before the log started
    now = f"bundle {current[:12]} is published now" if current else "nothing is published now"
    was = f"bundle {base[:12]}" if base else "nothing published"
    return (
        f"the proposal was written against {was} but {now}; publishing it would silently "
        "revert what changed since: rebase it first"
    )


def _base_current(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert prop is not None
    return stale_base(board, prop)


def _unpublish_target(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert isinstance(e, UnpublishEntry)
    if not board.published:
        # Content published before the log started (e.g. first installation) may be withdrawn.
        return None
    if e.bundle_hash != board.published[-1]:
        return f"bundle {e.bundle_hash[:12]} is not the one currently published"
    previous = board.published[-2] if len(board.published) > 1 else None
    if previous is not None and e.restored_bundle_hash != previous:
        return "unpublish must restore the previously published bundle"
    return None


def _key_chain(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert isinstance(e, KeyRotationEntry | KeyRecoveryEntry)
    if e.old_key != board.signing_key:
        return "a key rotation must name the key it replaces"
    if e.new_key == e.old_key:
        return "a key rotation must introduce a different key"
    return None


def _recovery_quorum(board: Board, e: Entry, prop: ProposalState | None) -> str | None:
    assert isinstance(e, KeyRecoveryEntry)
    approvals = set(e.approvals)
    if len(approvals) != len(e.approvals):
        return "a key recovery lists each approving member once"
    if len(approvals) < board.policy.quorum:
        return (
            f"a key recovery needs {board.policy.quorum} approving board members, "
            f"it lists {len(approvals)}"
        )
    if e.old_key is None:
        return "a key recovery replaces a key; the first key is a key_rotation"
    return None


_ON_PROPOSAL = (ReviewEntry, AcknowledgementEntry, PublishEntry, CheckResultEntry)
_BY_MEMBER = (
    ProposalEntry,
    ReviewEntry,
    AcknowledgementEntry,
    PublishEntry,
    UnpublishEntry,
    KeyRecoveryEntry,
)

RULES: tuple[Rule, ...] = (
    Rule("actor_required", _BY_MEMBER, "every human step names who took it", _needs_actor),
    Rule(
        "rationale_required",
        (ProposalEntry, ReviewEntry, AcknowledgementEntry, UnpublishEntry),
        "a written rationale",
        _rationale,
    ),
    Rule(
        "revision_order",
        (ProposalEntry,),
        "revisions are numbered 1, 2, ...",
        _revision_order,
        stop=True,
    ),
    Rule(
        "revision_changes_bundle",
        (ProposalEntry,),
        "a revision must change the bundle of an open proposal",
        _revision_changes_bundle,
    ),
    Rule("unknown_proposal", _ON_PROPOSAL, "the proposal must exist", _proposal_known, stop=True),
    Rule(
        "stale_revision",
        _ON_PROPOSAL,
        "bound to the current revision's exact bundle hash",
        _current_hash,
        stop=True,
    ),
    Rule("checks_once", (CheckResultEntry,), "checks recorded once per revision", _checks_once),
    Rule(
        "checks_first",
        (ReviewEntry, AcknowledgementEntry),
        "checks are recorded before review",
        _checks_first,
    ),
    Rule(
        "proposal_closed",
        (ReviewEntry, AcknowledgementEntry, PublishEntry),
        "a published proposal is closed",
        _not_published,
        stop=True,
    ),
    Rule(
        "own_proposal",
        (ReviewEntry, AcknowledgementEntry, PublishEntry),
        "nobody who authored or revised any revision approves, acknowledges or publishes",
        _not_conflicted,
    ),
    Rule("checklist_incomplete", (ReviewEntry,), "every checklist item answered", _checklist),
    Rule(
        "no_such_flag",
        (AcknowledgementEntry,),
        "only an unacknowledged flag can be acknowledged",
        _flag_exists,
    ),
    Rule(
        "stale_base",
        (PublishEntry,),
        "a proposal is published only on top of the bundle it was based on",
        _base_current,
    ),
    Rule(
        "not_publishable",
        (PublishEntry,),
        "quorum, no veto, no rejection, no error, no unacknowledged flag",
        _publishable,
    ),
    Rule(
        "unpublish_target",
        (UnpublishEntry,),
        "unpublish withdraws the current bundle and restores the previous one",
        _unpublish_target,
    ),
    Rule(
        "key_chain",
        (KeyRotationEntry, KeyRecoveryEntry),
        "key rotations form a chain",
        _key_chain,
    ),
    Rule(
        "recovery_quorum",
        (KeyRecoveryEntry,),
        "a lost key is replaced only on the board's quorum",
        _recovery_quorum,
    ),
)


_BY_KIND: dict[type[Entry], tuple[Rule, ...]] = {}


def _rules_for(kind: type[Entry]) -> tuple[Rule, ...]:
    """The rows of RULES that govern one entry kind, in table order (cached)."""
    rules = _BY_KIND.get(kind)
    if rules is None:
        rules = _BY_KIND[kind] = tuple(r for r in RULES if issubclass(kind, r.kinds))
    return rules


# --- effects (only run when no rule is broken) ---------------------------------------------


def _on_proposal(board: Board, e: Entry) -> None:
    assert isinstance(e, ProposalEntry) and e.actor is not None
    rev = Revision(e.revision, e.bundle_hash, e.actor, e.message, e.base_bundle_hash)
    if e.revision == 1:
        board.proposals[e.proposal] = ProposalState(id=e.proposal, proposer=e.actor)
    board.proposals[e.proposal].revisions.append(rev)


def _on_checks(board: Board, e: Entry) -> None:
    assert isinstance(e, CheckResultEntry)
    board.proposals[e.proposal].checks[e.revision] = list(e.results)


def _on_review(board: Board, e: Entry) -> None:
    assert isinstance(e, ReviewEntry)
    board.proposals[e.proposal].reviews.append(e)


def _on_ack(board: Board, e: Entry) -> None:
    assert isinstance(e, AcknowledgementEntry) and e.actor is not None
    board.proposals[e.proposal].acknowledged[(e.revision, e.check, e.location)] = e.actor


def _on_publish(board: Board, e: Entry) -> None:
    assert isinstance(e, PublishEntry)
    prop = board.proposals.get(e.proposal)
    if prop is not None:
        prop.published = True
    board.published.append(e.bundle_hash)
    board.ever_published.add(e.bundle_hash)


def _on_unpublish(board: Board, e: Entry) -> None:
    if board.published:
        board.published.pop()


def _on_key(board: Board, e: Entry) -> None:
    assert isinstance(e, KeyRotationEntry | KeyRecoveryEntry)
    board.signing_key = e.new_key


_EFFECTS: dict[type[Entry], Callable[[Board, Entry], None]] = {
    ProposalEntry: _on_proposal,
    CheckResultEntry: _on_checks,
    ReviewEntry: _on_review,
    AcknowledgementEntry: _on_ack,
    PublishEntry: _on_publish,
    UnpublishEntry: _on_unpublish,
    KeyRotationEntry: _on_key,
    KeyRecoveryEntry: _on_key,
}
