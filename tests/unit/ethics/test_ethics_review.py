"""Board rules: quorum, separation of duties, hash-bound approvals, veto, flags, unpublish."""

from __future__ import annotations

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from ethics import entries as E
from ethics.exceptions import ReviewRuleError
from ethics.review import RULES, Board, Policy
from tests.unit.ethics.ethics_factories import TICKED, Scenario, bundle_hash

AUTHOR, B1, B2, B3 = 10, 21, 22, 23
FLAG = {"id": "slogan", "severity": "flag", "location": "en:ch1.text", "explanation": "88"}
ERROR = {"id": "not_now", "severity": "error", "location": "offer.main", "explanation": "x"}


def _ready(results: list[dict[str, str]] | None = None) -> Scenario:
    s = Scenario()
    s.propose("p1", AUTHOR, "v1")
    s.checks("p1", results)
    return s


def _code(exc: pytest.ExceptionInfo[ReviewRuleError]) -> str:
    return exc.value.code


def test_two_approvals_allow_publishing() -> None:
    """With two independent approvals the bundle can be published."""
    s = _ready()
    s.review("p1", B1)
    s.review("p1", B2)
    s.publish("p1", B1)
    assert s.board.published == [bundle_hash("v1")]


def test_one_approval_is_not_enough() -> None:
    """Nobody can publish alone: one approval leaves the bundle unpublished."""
    s = _ready()
    s.review("p1", B1)
    with pytest.raises(ReviewRuleError) as exc:
        s.publish("p1", B1)
    assert _code(exc) == "not_publishable" and "1 of 2" in exc.value.message


def test_quorum_below_two_is_refused() -> None:
    """A board cannot be configured so that one person publishes alone."""
    with pytest.raises(ValueError):
        Policy(quorum=1)


def test_configurable_quorum() -> None:
    """A quorum of 3 needs three approvals."""
    s = Scenario(board=Board(policy=Policy(quorum=3)))
    s.propose("p1", AUTHOR, "v1")
    s.checks("p1")
    s.review("p1", B1)
    s.review("p1", B2)
    with pytest.raises(ReviewRuleError):
        s.publish("p1", B1)
    s.review("p1", B3)
    s.publish("p1", B3)


def test_proposer_can_never_approve() -> None:
    """The author of a proposal cannot approve it."""
    s = _ready()
    with pytest.raises(ReviewRuleError) as exc:
        s.review("p1", AUTHOR)
    assert _code(exc) == "own_proposal"


def test_last_reviser_can_never_approve() -> None:
    """A board member who revised the proposal cannot approve or publish it."""
    s = _ready()
    s.propose("p1", B1, "v2", revision=2)
    s.checks("p1")
    with pytest.raises(ReviewRuleError) as exc:
        s.review("p1", B1)
    assert _code(exc) == "own_proposal"
    s.review("p1", B2)
    s.review("p1", B3)
    with pytest.raises(ReviewRuleError):
        s.publish("p1", B1)
    with pytest.raises(ReviewRuleError):
        s.publish("p1", AUTHOR)
    s.publish("p1", B2)


def test_new_revision_dismisses_approvals() -> None:
    """Approvals are bound to the bundle hash; a new revision needs fresh approvals."""
    s = _ready()
    s.review("p1", B1)
    s.review("p1", B2)
    s.propose("p1", AUTHOR, "v2", revision=2)
    s.checks("p1")
    assert s.board.proposals["p1"].approvers() == []
    with pytest.raises(ReviewRuleError):
        s.publish("p1", B1)


def test_review_of_stale_hash_is_refused() -> None:
    """A review naming an older bundle hash is refused as stale."""
    s = _ready()
    s.propose("p1", AUTHOR, "v2", revision=2)
    s.checks("p1")
    stale = E.ReviewEntry(
        index=s.log.size,
        at=s.clock,
        actor=B1,
        proposal="p1",
        revision=1,
        bundle_hash=bundle_hash("v1"),
        decision="approve",
        rationale="Approving the version I read.",
        checklist=dict(TICKED),
    )
    with pytest.raises(ReviewRuleError) as exc:
        s.board.apply(stale)
    assert _code(exc) == "stale_revision"


def test_one_veto_blocks_across_revisions() -> None:
    """A veto blocks publishing, even after a new revision, until its author lifts it."""
    s = _ready()
    s.review("p1", B3, "veto")
    s.review("p1", B1)
    s.review("p1", B2)
    with pytest.raises(ReviewRuleError, match="vetoed"):
        s.publish("p1", B1)
    s.propose("p1", AUTHOR, "v2", revision=2)
    s.checks("p1")
    s.review("p1", B1)
    s.review("p1", B2)
    with pytest.raises(ReviewRuleError, match="vetoed"):
        s.publish("p1", B1)
    s.review("p1", B3, "approve")
    s.publish("p1", B1)


def test_rejection_blocks_only_its_revision() -> None:
    """Requested changes block this revision; a new revision starts fresh."""
    s = _ready()
    s.review("p1", B3, "reject", checklist={k: False for k in TICKED})
    s.review("p1", B1)
    s.review("p1", B2)
    with pytest.raises(ReviewRuleError, match="changes requested"):
        s.publish("p1", B1)
    s.propose("p1", AUTHOR, "v2", revision=2)
    s.checks("p1")
    s.review("p1", B1)
    s.review("p1", B2)
    s.publish("p1", B1)


def test_flag_needs_acknowledgement() -> None:
    """A flagged line blocks publishing until an eligible member acknowledges it."""
    s = _ready([FLAG])
    s.review("p1", B1)
    s.review("p1", B2)
    with pytest.raises(ReviewRuleError, match="unacknowledged flag"):
        s.publish("p1", B1)
    with pytest.raises(ReviewRuleError) as exc:
        s.ack("p1", AUTHOR, "slogan", "en:ch1.text")
    assert _code(exc) == "own_proposal"
    with pytest.raises(ReviewRuleError) as exc:
        s.ack("p1", B1, "slogan", "de:elsewhere")
    assert _code(exc) == "no_such_flag"
    s.ack("p1", B1, "slogan", "en:ch1.text")
    s.publish("p1", B2)


def test_check_errors_block_publishing() -> None:
    """An error-level check result blocks publishing even with quorum."""
    s = _ready([ERROR])
    s.review("p1", B1)
    s.review("p1", B2)
    with pytest.raises(ReviewRuleError, match="check error"):
        s.publish("p1", B1)


def test_checks_must_run_before_review() -> None:
    """Nobody can review a revision before its automated checks are recorded."""
    s = Scenario()
    s.propose("p1", AUTHOR, "v1")
    with pytest.raises(ReviewRuleError) as exc:
        s.review("p1", B1)
    assert _code(exc) == "checks_first"


def test_rationale_and_checklist_are_required() -> None:
    """A review without rationale or with unticked items cannot approve."""
    s = _ready()
    with pytest.raises(ReviewRuleError) as exc:
        s.review("p1", B1, checklist={**TICKED, "no_pressure": False})
    assert _code(exc) == "checklist_incomplete"
    with pytest.raises(ReviewRuleError) as exc:
        s.review("p1", B1, checklist={"read_diff": True})
    assert _code(exc) == "checklist_incomplete"
    cur = s.board.proposals["p1"].current
    short = E.ReviewEntry(
        index=s.log.size,
        at=s.clock,
        actor=B1,
        proposal="p1",
        revision=1,
        bundle_hash=cur.bundle_hash,
        decision="approve",
        rationale="ok",
        checklist=dict(TICKED),
    )
    with pytest.raises(ReviewRuleError) as exc:
        s.board.apply(short)
    assert _code(exc) == "rationale_required"


def test_publish_must_list_the_real_approvers() -> None:
    """A publish entry claiming other approvers than the log shows is refused."""
    s = _ready()
    s.review("p1", B1)
    s.review("p1", B2)
    with pytest.raises(ReviewRuleError, match="lists approvers"):
        s.publish("p1", B1, approvals=[B1, B3])


def test_published_proposal_is_closed() -> None:
    """After publishing, the proposal takes no more reviews or revisions."""
    s = _ready()
    s.review("p1", B1)
    s.review("p1", B2)
    s.publish("p1", B1)
    with pytest.raises(ReviewRuleError) as exc:
        s.review("p1", B3)
    assert _code(exc) == "proposal_closed"
    with pytest.raises(ReviewRuleError):
        s.propose("p1", AUTHOR, "v9", revision=2)


def test_emergency_unpublish_restores_previous_bundle() -> None:
    """One member alone can unpublish; the previous published bundle is served again."""
    s = _ready()
    s.review("p1", B1)
    s.review("p1", B2)
    s.publish("p1", B1)
    s.propose("p2", AUTHOR, "v2")
    s.checks("p2")
    s.review("p2", B1)
    s.review("p2", B2)
    s.publish("p2", B2)
    entry = s.unpublish(B3)
    assert isinstance(entry, E.UnpublishEntry)
    assert entry.restored_bundle_hash == bundle_hash("v1")
    assert s.board.published == [bundle_hash("v1")]


def test_unpublish_must_restore_the_previous_bundle() -> None:
    """An unpublish that names another bundle to restore is refused."""
    s = _ready()
    s.review("p1", B1)
    s.review("p1", B2)
    s.publish("p1", B1)
    s.propose("p2", AUTHOR, "v2")
    s.checks("p2")
    s.review("p2", B1)
    s.review("p2", B2)
    s.publish("p2", B2)
    bad = E.UnpublishEntry(
        index=s.log.size,
        at=s.clock,
        actor=B3,
        bundle_hash=bundle_hash("v2"),
        restored_bundle_hash=bundle_hash("other"),
        rationale="Emergency rollback now.",
    )
    with pytest.raises(ReviewRuleError) as exc:
        s.board.apply(bad)
    assert _code(exc) == "unpublish_target"


def test_rule_table_is_documented() -> None:
    """Every rule has a stable code and a one-line description for the board pages."""
    codes = [r.code for r in RULES]
    assert len(codes) == len(set(codes))
    assert all(r.text for r in RULES)


MEMBERS = [AUTHOR, B1, B2, B3]
actions = st.lists(
    st.tuples(
        st.sampled_from(["review"] * 5 + ["publish"] * 3 + ["revise", "ack", "ack", "checks"]),
        st.sampled_from(MEMBERS),
        st.sampled_from(["approve"] * 6 + ["reject", "veto"]),
        st.sampled_from([True] * 5 + [False]),
    ),
    max_size=25,
)


@settings(max_examples=150, deadline=None)
@given(actions, st.booleans())
def test_every_publish_is_backed_by_quorum(
    steps: list[tuple[str, int, str, bool]], flag: bool
) -> None:
    """Whatever members try, a publish only happens with quorum, no veto and no open flag."""
    s = Scenario()
    s.propose("p1", AUTHOR, "v1")
    s.checks("p1", [FLAG] if flag else [])
    revision = 1
    for kind, who, decision, ticked in steps:
        try:
            if kind == "review":
                checklist = dict(TICKED) if ticked else {k: False for k in TICKED}
                s.review("p1", who, decision, checklist)
            elif kind == "revise":
                revision += 1
                s.propose("p1", who, f"v{revision}", revision=revision)
            elif kind == "checks":
                s.checks("p1", [FLAG] if flag else [])
            elif kind == "ack":
                s.ack("p1", who, "slogan", "en:ch1.text")
            else:
                before = s.board.proposals["p1"]
                approvers = before.approvers()
                vetoes = before.vetoes()
                open_flags = before.unacknowledged_flags()
                s.publish("p1", who)
                event("published")
                assert len(approvers) >= 2 and not vetoes and not open_flags
                assert who not in (before.proposer, before.last_reviser)
                assert all(a not in (before.proposer, before.last_reviser) for a in approvers)
        except ReviewRuleError:
            if kind == "revise":
                revision -= 1
    # Replaying the log through a fresh board accepts exactly the same history.
    fresh = Board()
    from ethics.entries import decode_entry

    for data in s.log.entries:
        fresh.apply(decode_entry(data))
    assert fresh.published == s.board.published
