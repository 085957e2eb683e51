"""Builders for ethics log entries and a running board, shared by the ethics unit tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ethics import entries as E
from ethics.log import Log
from ethics.review import CHECKLIST, Board, Policy

T0 = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
TICKED = dict.fromkeys(CHECKLIST, True)
RATIONALE = "Read the diff and the checks carefully."


def bundle_hash(label: str) -> str:
    """A deterministic fake bundle hash."""
    return hashlib.sha256(label.encode()).hexdigest()


@dataclass
class Scenario:
    """A board plus the log it writes; each helper validates, applies and appends."""

    board: Board = field(default_factory=lambda: Board(policy=Policy()))
    log: Log = field(default_factory=Log)
    clock: datetime = T0

    def _next(self, cls: type[E.Entry], actor: int | None, **fields: Any) -> E.Entry:
        self.clock += timedelta(seconds=1)
        entry = cls(index=self.log.size, at=self.clock, actor=actor, **fields)
        self.board.apply(entry)
        self.log.append(entry.to_bytes())
        return entry

    def propose(
        self, pid: str, by: int, label: str, revision: int = 1, base: str | None = "published"
    ) -> E.Entry:
        """A proposal (or revision) based on what is published now unless ``base`` is given."""
        return self._next(
            E.ProposalEntry,
            by,
            proposal=pid,
            revision=revision,
            bundle_hash=bundle_hash(label),
            base_bundle_hash=self.board.current_bundle if base == "published" else base,
            message="Adds the bus stop chapter.",
            changes={"added": 1},
        )

    def checks(self, pid: str, results: list[dict[str, str]] | None = None) -> E.Entry:
        cur = self.board.proposals[pid].current
        return self._next(
            E.CheckResultEntry,
            None,
            proposal=pid,
            revision=cur.number,
            bundle_hash=cur.bundle_hash,
            results=results or [],
        )

    def review(
        self, pid: str, by: int, decision: str = "approve", checklist: dict[str, bool] | None = None
    ) -> E.Entry:
        cur = self.board.proposals[pid].current
        return self._next(
            E.ReviewEntry,
            by,
            proposal=pid,
            revision=cur.number,
            bundle_hash=cur.bundle_hash,
            decision=decision,
            rationale=RATIONALE,
            checklist=checklist or dict(TICKED),
        )

    def ack(self, pid: str, by: int, check: str, location: str) -> E.Entry:
        cur = self.board.proposals[pid].current
        return self._next(
            E.AcknowledgementEntry,
            by,
            proposal=pid,
            revision=cur.number,
            bundle_hash=cur.bundle_hash,
            check=check,
            location=location,
            rationale="Quoted in the story to be challenged, not endorsed.",
        )

    def publish(self, pid: str, by: int, approvals: list[int] | None = None) -> E.Entry:
        prop = self.board.proposals[pid]
        return self._next(
            E.PublishEntry,
            by,
            proposal=pid,
            revision=prop.current.number,
            bundle_hash=prop.current.bundle_hash,
            approvals=prop.approvers() if approvals is None else approvals,
            note="",
        )

    def unpublish(self, by: int) -> E.Entry:
        stack = self.board.published
        return self._next(
            E.UnpublishEntry,
            by,
            bundle_hash=stack[-1],
            restored_bundle_hash=stack[-2] if len(stack) > 1 else None,
            rationale="Emergency: a helpline number is wrong.",
        )
