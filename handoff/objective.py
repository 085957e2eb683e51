"""The agreed objective of a conversation: what the player wants from the talk.

Theory of operation (the paper: "an agreement over the objectives of the counselling can
serve as the starting point"):

1. The player may (never must) pick an objective in the preferences, with one optional line of
   their own. That pick is the first *proposal*, made by the player.
2. Either side may propose a (revised) objective at any time in the conversation. A new
   proposal replaces one still open.
3. Only the *other* side answers a proposal: accepting makes it the agreed objective,
   declining leaves the previous agreement (if any) standing.
4. When the counsellor ends the conversation they may say whether the agreed objective was met;
   that is recorded only when there is an agreed objective.

:class:`Agreement` is the state of one conversation; its methods return the changed proposal
or raise :class:`~handoff.exceptions.StateError` saying what the caller did wrong.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Final, Literal, get_args

from handoff.exceptions import StateError

ObjectiveCode = Literal["talk", "understand", "leave_group", "help_friend", "other"]
OBJECTIVES: Final[tuple[str, ...]] = get_args(ObjectiveCode)
Side = Literal["player", "counsellor"]
ProposalState = Literal["proposed", "agreed", "declined", "replaced"]
#: The longest line of their own either side may add to an objective.
MAX_NOTE_CHARS: Final = 140


@dataclass(frozen=True, slots=True)
class Proposal:
    """One proposed objective and what became of it."""

    id: str
    objective: ObjectiveCode
    note: str | None
    by: Side
    at: datetime
    state: ProposalState = "proposed"
    answered_at: datetime | None = None


@dataclass(slots=True)
class Agreement:
    """The proposals of one conversation: at most one open, at most one agreed."""

    open: Proposal | None = None
    agreed: Proposal | None = None
    history: list[Proposal] = field(default_factory=list)

    def propose(
        self, proposal_id: str, objective: ObjectiveCode, note: str | None, by: Side, now: datetime
    ) -> tuple[Proposal, Proposal | None]:
        """Rule 2: a new open proposal; returns it and the one it replaced (if any)."""
        if objective not in OBJECTIVES:
            raise StateError(
                f"objective must be one of {', '.join(OBJECTIVES)}", code="invalid_field"
            )
        if note is not None and len(note) > MAX_NOTE_CHARS:
            raise StateError(
                f"the note is longer than {MAX_NOTE_CHARS} characters", code="invalid_field"
            )
        replaced = None
        if self.open is not None:
            replaced = replace(self.open, state="replaced", answered_at=now)
            self.history.append(replaced)
        self.open = Proposal(proposal_id, objective, note or None, by, now)
        return self.open, replaced

    def answer(self, proposal_id: str, by: Side, accept: bool, now: datetime) -> Proposal:
        """Rule 3: the other side accepts or declines the open proposal."""
        if self.open is None or self.open.id != proposal_id:
            raise StateError("there is no such open proposal", code="unknown_proposal")
        if self.open.by == by:
            raise StateError("the other side answers a proposal", code="own_proposal")
        done = replace(self.open, state="agreed" if accept else "declined", answered_at=now)
        self.history.append(done)
        self.open = None
        if accept:
            self.agreed = done
        return done
