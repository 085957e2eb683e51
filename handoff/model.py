"""Value types of the handoff domain: what a player asks for and who a counsellor is.

Plain frozen dataclasses with validation in ``__post_init__`` so a bad value never enters the
queue. Kinds, genders, age bands, formats and statuses are the closed vocabularies of the
protocol (see docs/PROTOCOL.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final, Literal, get_args

from handoff.exceptions import RemoteProtocolError
from handoff.objective import OBJECTIVES

Kind = Literal["professional", "former", "survivor", "peer"]
Gender = Literal["female", "male", "nonbinary"]
AgeBand = Literal["18-25", "26-40", "41+"]
Format = Literal["chat", "booking", "in_person"]
Status = Literal["available", "away", "offline"]
Outcome = Literal[
    "talked", "referred", "no_response", "safeguarding", "player_ended", "erased", "left"
]
EndedBy = Literal["player", "counsellor", "system"]

KINDS: Final[tuple[str, ...]] = get_args(Kind)
GENDERS: Final[tuple[str, ...]] = get_args(Gender)
AGE_BANDS: Final[tuple[str, ...]] = get_args(AgeBand)
FORMATS: Final[tuple[str, ...]] = get_args(Format)
STATUSES: Final[tuple[str, ...]] = get_args(Status)
STAFF_OUTCOMES: Final[tuple[str, ...]] = ("talked", "referred", "no_response", "safeguarding")

#: The organisation key of the operating organisation; partner organisations use their own keys.
HOME_ORG: Final = "home"


def _check(value: object, allowed: tuple[str, ...], name: str, *, optional: bool) -> None:
    if value is None and optional:
        return
    if value not in allowed:
        raise RemoteProtocolError(
            f"{name} must be one of {', '.join(allowed)}", code="invalid_field"
        )


@dataclass(frozen=True, slots=True)
class Preferences:
    """A player's choices at consent time.

    Hard: ``language`` always; ``kind`` only when ``kind_required``. Soft: ``gender``,
    ``age_band`` and a non-required ``kind``. ``crisis`` puts the request at the front.
    """

    language: str
    kind: Kind | None = None
    kind_required: bool = False
    gender: Gender | None = None
    age_band: AgeBand | None = None
    format: Format = "chat"
    crisis: bool = False
    #: What the player wants from the talk (handoff.objective.OBJECTIVES), and a line of their
    #: own; both optional, shown to the counsellor on the offer card.
    objective: str | None = None
    objective_note: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.language, str) or not (2 <= len(self.language) <= 8):
            raise RemoteProtocolError("language must be a 2-8 letter code", code="invalid_field")
        _check(self.kind, KINDS, "kind", optional=True)
        _check(self.gender, GENDERS, "gender", optional=True)
        _check(self.age_band, AGE_BANDS, "age_band", optional=True)
        _check(self.format, FORMATS, "format", optional=False)
        _check(self.objective, OBJECTIVES, "objective", optional=True)
        if self.objective_note is not None and self.objective is None:
            raise RemoteProtocolError("objective_note needs an objective", code="invalid_field")
        if self.kind_required and self.kind is None:
            raise RemoteProtocolError("kind_required needs a kind", code="invalid_field")

    @property
    def required_kind(self) -> Kind | None:
        """The kind a counsellor must have, or None when any kind will do."""
        return self.kind if self.kind_required else None

    def to_dict(self) -> dict[str, Any]:
        """JSON/msgpack-friendly form (the ``choices`` map of the consent frame)."""
        return {
            "language": self.language,
            "kind": self.kind,
            "kind_required": self.kind_required,
            "gender": self.gender,
            "age_band": self.age_band,
            "format": self.format,
            "crisis": self.crisis,
            "objective": self.objective,
            "objective_note": self.objective_note,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Preferences:
        """Build from a ``choices`` map (already type-checked by the protocol layer)."""
        return cls(
            language=data["language"],
            kind=data.get("kind"),
            kind_required=bool(data.get("kind_required", False)),
            gender=data.get("gender"),
            age_band=data.get("age_band"),
            format=data.get("format", "chat"),
            crisis=bool(data.get("crisis", False)),
            objective=data.get("objective"),
            objective_note=data.get("objective_note"),
        )


@dataclass(frozen=True, slots=True)
class CounsellorProfile:
    """Who a counsellor is, as far as matching needs to know. ``id`` is the staff account id."""

    id: int
    display_name: str
    kind: Kind
    languages: frozenset[str]
    gender: Gender | None = None
    age_band: AgeBand | None = None
    capacity: int = 2
    organisation: str = HOME_ORG
    roles: frozenset[str] = field(default_factory=lambda: frozenset({"counsellor"}))

    def __post_init__(self) -> None:
        _check(self.kind, KINDS, "kind", optional=False)
        _check(self.gender, GENDERS, "gender", optional=True)
        _check(self.age_band, AGE_BANDS, "age_band", optional=True)
        if self.capacity < 0:
            raise ValueError("capacity must be >= 0")

    def can_serve(self, prefs: Preferences, organisation: str) -> bool:
        """Whether the hard preferences allow this counsellor at all."""
        if organisation != self.organisation or prefs.language not in self.languages:
            return False
        required = prefs.required_kind
        return required is None or required == self.kind

    def soft_score(self, prefs: Preferences) -> int:
        """How many soft preferences this counsellor meets (higher is better)."""
        score = 0
        if prefs.kind is not None and prefs.kind == self.kind:
            score += 1
        if prefs.gender is not None and prefs.gender == self.gender:
            score += 1
        if prefs.age_band is not None and prefs.age_band == self.age_band:
            score += 1
        return score
