"""The Crossroads wire protocol, version 1: typed frames, codecs, error and close codes.

Frames are maps with a ``type`` string. The player socket carries msgpack in binary frames,
the staff socket JSON in text frames; both use the same frame models. ``parse_*`` validate at
the edge and raise :class:`RemoteProtocolError` with a stable :class:`ErrorCode` (the peer's
fault); ``encode_*`` build bytes/text from a frame model. docs/PROTOCOL.md is the prose twin.
"""

from __future__ import annotations

import json
from enum import IntEnum, StrEnum
from typing import Annotated, Any, Final, Literal, TypeAlias

import msgpack
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError

from handoff.exceptions import LocalProtocolError, RemoteProtocolError
from handoff.model import AgeBand, Format, Gender, Kind
from handoff.objective import MAX_NOTE_CHARS, ObjectiveCode

PROTOCOL_VERSION: Final = 1
MAX_FRAME_BYTES: Final = 16 * 1024
MAX_TEXT_CHARS: Final = 4000
MAX_ID_CHARS: Final = 64


class ErrorCode(StrEnum):
    """Stable error codes of ``error`` frames. Never renamed; new ones may be added."""

    BAD_FRAME = "bad_frame"  # not decodable (malformed msgpack/JSON) or not a map
    UNKNOWN_TYPE = "unknown_type"
    MISSING_FIELD = "missing_field"
    INVALID_FIELD = "invalid_field"  # wrong type or value out of range
    TEXT_TOO_LONG = "text_too_long"
    FRAME_TOO_LARGE = "frame_too_large"
    INVALID_UTF8 = "invalid_utf8"
    RATE_LIMITED = "rate_limited"
    HELLO_REQUIRED = "hello_required"
    UNSUPPORTED_VERSION = "unsupported_version"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    TOO_MANY_CONNECTIONS = "too_many_connections"
    CONSENT_REQUIRED = "consent_required"
    UNKNOWN_OFFER = "unknown_offer"
    ALREADY_QUEUED = "already_queued"
    NOT_QUEUED = "not_queued"
    NOT_IN_CONVERSATION = "not_in_conversation"
    UNKNOWN_CONVERSATION = "unknown_conversation"
    NOT_YOUR_CONVERSATION = "not_your_conversation"
    OFFER_GONE = "offer_gone"
    NOT_YOUR_OFFER = "not_your_offer"
    TRANSFER_TARGET_UNAVAILABLE = "transfer_target_unavailable"
    UNKNOWN_COUNSELLOR = "unknown_counsellor"
    UNKNOWN_ORGANISATION = "unknown_organisation"
    UNKNOWN_BOOKING = "unknown_booking"
    SERVICE_CLOSED = "service_closed"
    SLOT_UNAVAILABLE = "slot_unavailable"
    INVALID_STATE = "invalid_state"
    CLIENT_ID_REUSED = "client_id_reused"  # the client_id was used before for another text
    REQUEST_UNAVAILABLE = "request_unavailable"  # pick: no longer waiting or not yours to serve
    CASELOAD_FULL = "caseload_full"
    NO_COUNSELLOR = "no_counsellor"  # consent: nobody here could ever serve these choices
    INTERNAL_ERROR = "internal_error"


class CloseCode(IntEnum):
    """WebSocket close codes the server uses (RFC 6455 plus 4xxx application codes)."""

    NORMAL = 1000
    GOING_AWAY = 1001  # server shutting down: reconnect and resume
    PROTOCOL_ERROR = 1002
    UNSUPPORTED_DATA = 1003  # text frame on the msgpack socket or binary on the JSON one
    INVALID_PAYLOAD = 1007  # invalid UTF-8 in a text frame
    POLICY_VIOLATION = 1008
    MESSAGE_TOO_BIG = 1009
    INTERNAL_ERROR = 1011
    UNAUTHENTICATED = 4001  # bad or unknown token / session
    FORBIDDEN = 4003  # wrong role
    UNSUPPORTED_VERSION = 4005
    HELLO_TIMEOUT = 4008  # no hello within the time limit
    HELLO_REQUIRED = 4009  # first frame was not a hello
    ERASED = 4010  # the player erased their data; the token is gone
    AUTHORITY_CHANGED = 4011  # staff: roles or password changed; reconnect to get the new rights
    RATE_LIMITED = 4029  # flood: far above the per-connection message rate
    TOO_MANY_CONNECTIONS = 4030


class _Frame(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


Id = Annotated[str, StringConstraints(min_length=1, max_length=MAX_ID_CHARS)]
Text = Annotated[str, StringConstraints(min_length=1, max_length=MAX_TEXT_CHARS)]
#: Sequence numbers are 64-bit signed integers in the database: anything larger is refused at
#: the edge (``invalid_field``) instead of failing deep inside (an OverflowError on binding).
MAX_SEQ: Final = 2**63 - 1
Seq = Annotated[int, Field(ge=0, le=MAX_SEQ)]
Language = Annotated[str, StringConstraints(min_length=2, max_length=8)]
Outcome = Literal["talked", "referred", "no_response", "safeguarding"]
AnyOutcome = Literal[
    "talked", "referred", "no_response", "safeguarding", "player_ended", "erased", "left"
]
Status = Literal["available", "away", "offline"]
Note = Annotated[str, StringConstraints(min_length=1, max_length=MAX_NOTE_CHARS)]


# --------------------------------------------------------------------------- shared parts
class Choices(_Frame):
    """The choices a player makes when consenting (and the preferences staff see)."""

    language: Language
    kind: Kind | None = None
    kind_required: bool = False
    gender: Gender | None = None
    age_band: AgeBand | None = None
    format: Format = "chat"
    crisis: bool = False
    #: What the player wants from the talk (optional; handoff.objective), and a line of
    #: their own.
    objective: ObjectiveCode | None = None
    objective_note: Note | None = None


class CounsellorInfo(_Frame):
    display_name: str
    kind: Kind


class OrganisationInfo(_Frame):
    id: str
    name: str
    contact_url: str | None = None


# --------------------------------------------------------------------------- player -> server
class Hello(_Frame):
    type: Literal["hello"]
    v: int
    token: Annotated[str, StringConstraints(min_length=1, max_length=128)]


class Consent(_Frame):
    type: Literal["consent"]
    bundle_hash: Annotated[str, StringConstraints(pattern=r"^[0-9a-f]{64}$")]
    offer_id: Id
    offer_version: Annotated[int, Field(ge=1)]
    consent: bool
    choices: Choices
    slot: str | None = None  # ISO 8601 start of the booked slot when choices.format=booking


class LeaveQueue(_Frame):
    type: Literal["leave_queue"]


class PlayerMessage(_Frame):
    type: Literal["message"]
    client_id: Id
    text: Text


class PlayerResume(_Frame):
    type: Literal["resume"]
    conversation_id: Id
    last_seq: Seq


class PlayerTyping(_Frame):
    type: Literal["typing"]
    on: bool


class PlayerRead(_Frame):
    type: Literal["read"]
    seq: Seq


class PlayerEnd(_Frame):
    type: Literal["end"]


class Erase(_Frame):
    type: Literal["erase"]


class CancelBooking(_Frame):
    type: Literal["cancel_booking"]
    booking_id: Id


class ObjectivePropose(_Frame):
    """The player proposes a (revised) objective for their live conversation."""

    type: Literal["objective_propose"]
    objective: ObjectiveCode
    note: Note | None = None


class ObjectiveAnswer(_Frame):
    """The player accepts or declines the counsellor's open proposal."""

    type: Literal["objective_answer"]
    proposal_id: Id
    accept: bool


class Feedback(_Frame):
    """The optional, anonymous answer to "Did this help?" after a conversation ended."""

    type: Literal["feedback"]
    conversation_id: Id
    helped: bool


PlayerFrame: TypeAlias = Annotated[
    Hello
    | Consent
    | LeaveQueue
    | PlayerMessage
    | PlayerResume
    | PlayerTyping
    | PlayerRead
    | PlayerEnd
    | Erase
    | CancelBooking
    | ObjectivePropose
    | ObjectiveAnswer
    | Feedback,
    Field(discriminator="type"),
]


# --------------------------------------------------------------------------- staff -> server
class StaffStatus(_Frame):
    type: Literal["status"]
    status: Status


class Accept(_Frame):
    type: Literal["accept"]
    offer_id: Id


class Decline(_Frame):
    type: Literal["decline"]
    offer_id: Id


class Pick(_Frame):
    """A counsellor takes a waiting request from their queue view themselves."""

    type: Literal["pick"]
    request_id: Id


class StaffMessage(_Frame):
    type: Literal["message"]
    conversation_id: Id
    client_id: Id
    text: Text


class StaffResume(_Frame):
    type: Literal["resume"]
    conversation_id: Id
    last_seq: Seq


class StaffTyping(_Frame):
    type: Literal["typing"]
    conversation_id: Id
    on: bool


class StaffRead(_Frame):
    type: Literal["read"]
    conversation_id: Id
    seq: Seq


class StaffEnd(_Frame):
    type: Literal["end"]
    conversation_id: Id
    outcome: Outcome
    #: Whether the agreed objective was met (recorded only when one was agreed).
    objective_met: bool | None = None


class Transfer(_Frame):
    type: Literal["transfer"]
    conversation_id: Id
    to_staff_id: int


class Refer(_Frame):
    type: Literal["refer"]
    conversation_id: Id
    organisation_id: Id


class RequestSupervisor(_Frame):
    type: Literal["request_supervisor"]
    conversation_id: Id


class StaffObjectivePropose(_Frame):
    """The counsellor proposes a (revised) objective for one of their conversations."""

    type: Literal["objective_propose"]
    conversation_id: Id
    objective: ObjectiveCode
    note: Note | None = None


class StaffObjectiveAnswer(_Frame):
    """The counsellor accepts or declines the player's open proposal."""

    type: Literal["objective_answer"]
    conversation_id: Id
    proposal_id: Id
    accept: bool


StaffFrame: TypeAlias = Annotated[
    StaffStatus
    | Accept
    | Decline
    | Pick
    | StaffMessage
    | StaffResume
    | StaffTyping
    | StaffRead
    | StaffEnd
    | Transfer
    | Refer
    | RequestSupervisor
    | StaffObjectivePropose
    | StaffObjectiveAnswer,
    Field(discriminator="type"),
]


# --------------------------------------------------------------------------- server -> clients
class SessionState(_Frame):
    """What a (re)connecting player needs to pick up where they were."""

    phase: Literal["idle", "queued", "conversation", "booked"]
    request_id: str | None = None
    position: int | None = None
    estimate_seconds: int | None = None
    conversation_id: str | None = None
    counsellor: CounsellorInfo | None = None
    counsellor_present: bool | None = None
    last_seq: int | None = None
    booking_id: str | None = None
    slot: str | None = None


class Limits(_Frame):
    frame_bytes: int = MAX_FRAME_BYTES
    text_chars: int = MAX_TEXT_CHARS
    messages_per_second: int = 10


class Welcome(_Frame):
    type: Literal["welcome"] = "welcome"
    v: int = PROTOCOL_VERSION
    session_id: str
    state: SessionState
    limits: Limits = Limits()


class Queued(_Frame):
    type: Literal["queued"] = "queued"
    request_id: str
    position: int
    estimate_seconds: int | None
    requeued: bool = False
    organisation: OrganisationInfo | None = None


class QueueUpdate(_Frame):
    type: Literal["queue_update"] = "queue_update"
    position: int
    estimate_seconds: int | None


class LeftQueue(_Frame):
    type: Literal["left"] = "left"


class Ack(_Frame):
    type: Literal["ack"] = "ack"
    conversation_id: str
    client_id: str
    seq: int


class PlayerMatched(_Frame):
    type: Literal["matched"] = "matched"
    conversation_id: str
    counsellor: CounsellorInfo
    transferred: bool = False


class ChatMessage(_Frame):
    type: Literal["message"] = "message"
    conversation_id: str
    seq: int
    sender: Literal["counsellor", "player", "system"]
    text: str
    at: str  # ISO 8601 UTC
    client_id: str | None = None


class TypingOut(_Frame):
    type: Literal["typing"] = "typing"
    conversation_id: str
    on: bool


class ReadOut(_Frame):
    type: Literal["read"] = "read"
    conversation_id: str
    seq: int


class EndedOut(_Frame):
    type: Literal["ended"] = "ended"
    conversation_id: str
    by: Literal["player", "counsellor", "system"]
    outcome: AnyOutcome


class CounsellorLostOut(_Frame):
    type: Literal["counsellor_lost"] = "counsellor_lost"
    conversation_id: str
    until: str


class CounsellorBackOut(_Frame):
    type: Literal["counsellor_back"] = "counsellor_back"
    conversation_id: str


class ReferredOut(_Frame):
    type: Literal["referred"] = "referred"
    conversation_id: str
    organisation: OrganisationInfo
    handover: bool = False  # True: no queue here; contact the partner directly


class Service(_Frame):
    type: Literal["service"] = "service"
    open: bool
    hours: dict[str, list[list[str]]]
    timezone: str
    next_open: str | None = None
    slots: list[str] = []


class Booked(_Frame):
    type: Literal["booked"] = "booked"
    booking_id: str
    slot: str


class BookingCancelled(_Frame):
    type: Literal["booking_cancelled"] = "booking_cancelled"
    booking_id: str


class Erased(_Frame):
    type: Literal["erased"] = "erased"


class Resumed(_Frame):
    type: Literal["resumed"] = "resumed"
    conversation_id: str
    last_seq: int


class ErrorOut(_Frame):
    type: Literal["error"] = "error"
    code: str
    message: str
    ref: str | None = None


class StaffInfo(_Frame):
    id: int
    display_name: str
    roles: list[str]
    kind: Kind | None
    status: Status
    signed_in_at: str | None = None


class ConversationInfo(_Frame):
    conversation_id: str
    request_id: str
    preferences: Choices
    state: Literal["active", "grace"]
    started_at: str
    last_seq: int
    player_online: bool = True


class QueueItem(_Frame):
    request_id: str
    organisation: str
    language: str
    preferences: Choices
    waited_seconds: int
    offered: bool
    player_online: bool = True


class StaffWelcome(_Frame):
    type: Literal["welcome"] = "welcome"
    v: int = PROTOCOL_VERSION
    staff: StaffInfo
    conversations: list[ConversationInfo]
    queue: list[QueueItem]
    queue_total: int
    limits: Limits = Limits()


class QueueOut(_Frame):
    type: Literal["queue"] = "queue"
    items: list[QueueItem]
    total: int


class OfferOut(_Frame):
    type: Literal["offer"] = "offer"
    offer_id: str
    request_id: str
    preferences: Choices
    waited_seconds: int
    expires_at: str
    player_online: bool = True


class OfferExpiredOut(_Frame):
    type: Literal["offer_expired"] = "offer_expired"
    offer_id: str
    reason: Literal["expired", "declined", "withdrawn", "left"]


class StaffMatched(_Frame):
    type: Literal["matched"] = "matched"
    conversation_id: str
    request_id: str
    preferences: Choices
    transferred_from: int | None = None


class StatusOut(_Frame):
    type: Literal["status"] = "status"
    status: Status


class TransferredOut(_Frame):
    type: Literal["transferred"] = "transferred"
    conversation_id: str
    to_staff_id: int


class PlayerPresence(_Frame):
    type: Literal["player_presence"] = "player_presence"
    conversation_id: str
    online: bool


class SupervisorRequested(_Frame):
    type: Literal["supervisor_requested"] = "supervisor_requested"
    conversation_id: str
    by_staff_id: int
    by_display_name: str


class ObjectiveOut(_Frame):
    """A proposal or its answer, sent to both sides of the conversation."""

    type: Literal["objective"] = "objective"
    conversation_id: str
    proposal_id: str
    objective: ObjectiveCode
    note: str | None = None
    by: Literal["player", "counsellor"]
    state: Literal["proposed", "agreed", "declined", "replaced"]
    at: str


class FeedbackRecorded(_Frame):
    type: Literal["feedback_recorded"] = "feedback_recorded"
    conversation_id: str


PlayerServerFrame: TypeAlias = Annotated[
    Welcome
    | Queued
    | QueueUpdate
    | LeftQueue
    | Ack
    | PlayerMatched
    | ChatMessage
    | TypingOut
    | ReadOut
    | EndedOut
    | CounsellorLostOut
    | CounsellorBackOut
    | ReferredOut
    | Service
    | Booked
    | BookingCancelled
    | Erased
    | Resumed
    | ObjectiveOut
    | FeedbackRecorded
    | ErrorOut,
    Field(discriminator="type"),
]

StaffServerFrame: TypeAlias = Annotated[
    StaffWelcome
    | QueueOut
    | OfferOut
    | OfferExpiredOut
    | StaffMatched
    | ChatMessage
    | Ack
    | TypingOut
    | ReadOut
    | EndedOut
    | StatusOut
    | TransferredOut
    | SupervisorRequested
    | PlayerPresence
    | Resumed
    | ObjectiveOut
    | ErrorOut,
    Field(discriminator="type"),
]

_PLAYER: TypeAdapter[PlayerFrame] = TypeAdapter(PlayerFrame)
_STAFF: TypeAdapter[StaffFrame] = TypeAdapter(StaffFrame)
_PLAYER_OUT: TypeAdapter[PlayerServerFrame] = TypeAdapter(PlayerServerFrame)
_STAFF_OUT: TypeAdapter[StaffServerFrame] = TypeAdapter(StaffServerFrame)

PLAYER_TYPES: Final = frozenset(
    {
        "hello",
        "consent",
        "leave_queue",
        "message",
        "resume",
        "typing",
        "read",
        "end",
        "erase",
        "cancel_booking",
        "objective_propose",
        "objective_answer",
        "feedback",
    }
)
STAFF_TYPES: Final = frozenset(
    {
        "status",
        "accept",
        "decline",
        "pick",
        "message",
        "resume",
        "typing",
        "read",
        "end",
        "transfer",
        "refer",
        "request_supervisor",
        "objective_propose",
        "objective_answer",
    }
)


# --------------------------------------------------------------------------- codecs
def decode_msgpack(data: bytes, *, max_bytes: int = MAX_FRAME_BYTES) -> Any:
    """Bytes of one binary frame -> Python object, or RemoteProtocolError."""
    if len(data) > max_bytes:
        raise RemoteProtocolError(
            f"frame is {len(data)} bytes, the limit is {max_bytes}",
            code=ErrorCode.FRAME_TOO_LARGE,
            close_code=CloseCode.MESSAGE_TOO_BIG,
        )
    try:
        return msgpack.unpackb(data, raw=False, strict_map_key=True, use_list=True, timestamp=0)
    except UnicodeDecodeError:
        raise RemoteProtocolError(
            "a string in the frame is not valid UTF-8", code=ErrorCode.INVALID_UTF8
        ) from None
    except Exception:  # msgpack raises several unrelated types for malformed input
        raise RemoteProtocolError(
            "the frame is not valid msgpack", code=ErrorCode.BAD_FRAME
        ) from None


def decode_json(text: str, *, max_bytes: int = MAX_FRAME_BYTES) -> Any:
    """Text of one text frame -> Python object, or RemoteProtocolError."""
    if len(text) > max_bytes or len(text.encode("utf-8", "surrogatepass")) > max_bytes:
        raise RemoteProtocolError(
            f"frame is larger than {max_bytes} bytes",
            code=ErrorCode.FRAME_TOO_LARGE,
            close_code=CloseCode.MESSAGE_TOO_BIG,
        )
    try:
        obj = json.loads(text)
    except (ValueError, RecursionError):
        raise RemoteProtocolError("the frame is not valid JSON", code=ErrorCode.BAD_FRAME) from None
    _check_unicode(obj)
    return obj


def _check_unicode(obj: Any) -> None:
    """JSON escapes can spell lone surrogates (``"\\ud800"``), which are not text and cannot
    be stored or sent on: refuse them here, with the frame's reference, as the peer's fault."""
    try:
        json.dumps(obj, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        ref = _ref(obj) if isinstance(obj, dict) else None
        if ref is not None and not _encodable(ref):
            ref = None
        raise RemoteProtocolError(
            "a string in the frame is not valid Unicode (a lone surrogate escape)",
            code=ErrorCode.INVALID_UTF8,
            ref=ref,
        ) from None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _ref(obj: dict[Any, Any]) -> str | None:
    ref = obj.get("client_id", obj.get("offer_id"))
    return ref if isinstance(ref, str) and len(ref) <= MAX_ID_CHARS else None


def _validate(adapter: TypeAdapter[Any], obj: Any, known: frozenset[str]) -> Any:
    if not isinstance(obj, dict):
        raise RemoteProtocolError("a frame must be a map", code=ErrorCode.BAD_FRAME)
    ref = _ref(obj)
    kind = obj.get("type")
    if kind is None:
        raise RemoteProtocolError("the frame has no type", code=ErrorCode.MISSING_FIELD, ref=ref)
    if not isinstance(kind, str):
        raise RemoteProtocolError("type must be a string", code=ErrorCode.INVALID_FIELD, ref=ref)
    if kind not in known:
        raise RemoteProtocolError(
            f"unknown frame type {kind[:40]!r}", code=ErrorCode.UNKNOWN_TYPE, ref=ref
        )
    try:
        return adapter.validate_python(obj)
    except ValidationError as exc:
        raise _from_validation(exc, kind, ref) from None


def _from_validation(exc: ValidationError, kind: str, ref: str | None) -> RemoteProtocolError:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    where = ".".join(str(p) for p in first["loc"][1:]) or kind
    if any(e["type"] == "missing" for e in errors):
        missing = next(e for e in errors if e["type"] == "missing")
        field = ".".join(str(p) for p in missing["loc"][1:])
        return RemoteProtocolError(
            f"{kind}: missing field {field}", code=ErrorCode.MISSING_FIELD, ref=ref
        )
    if first["type"] == "string_too_long" and where == "text":
        return RemoteProtocolError(
            f"text is longer than {MAX_TEXT_CHARS} characters",
            code=ErrorCode.TEXT_TOO_LONG,
            ref=ref,
        )
    return RemoteProtocolError(
        f"{kind}: field {where}: {first['msg']}", code=ErrorCode.INVALID_FIELD, ref=ref
    )


def parse_player_frame(obj: Any) -> PlayerFrame:
    """Validate a decoded player frame (player -> server)."""
    frame: PlayerFrame = _validate(_PLAYER, obj, PLAYER_TYPES)
    return frame


def parse_staff_frame(obj: Any) -> StaffFrame:
    """Validate a decoded staff frame (staff -> server)."""
    frame: StaffFrame = _validate(_STAFF, obj, STAFF_TYPES)
    return frame


def parse_player_server_frame(obj: Any) -> PlayerServerFrame:
    """Validate a frame the server sent to a player (for clients and tests)."""
    if not isinstance(obj, dict):
        raise RemoteProtocolError("a frame must be a map", code=ErrorCode.BAD_FRAME)
    try:
        return _PLAYER_OUT.validate_python(obj)
    except ValidationError as exc:
        raise _from_validation(exc, str(obj.get("type")), None) from None


def parse_staff_server_frame(obj: Any) -> StaffServerFrame:
    """Validate a frame the server sent to staff (for clients and tests)."""
    if not isinstance(obj, dict):
        raise RemoteProtocolError("a frame must be a map", code=ErrorCode.BAD_FRAME)
    try:
        return _STAFF_OUT.validate_python(obj)
    except ValidationError as exc:
        raise _from_validation(exc, str(obj.get("type")), None) from None


def frame_dict(frame: BaseModel) -> dict[str, Any]:
    """A frame model as a plain map (what goes on the wire)."""
    return frame.model_dump(mode="json")


def encode_msgpack(frame: BaseModel | dict[str, Any]) -> bytes:
    """A frame as msgpack bytes (player socket)."""
    data = frame if isinstance(frame, dict) else frame_dict(frame)
    if "type" not in data:
        raise LocalProtocolError("a frame needs a type")
    out: bytes = msgpack.packb(data, use_bin_type=True)
    return out


def encode_json(frame: BaseModel | dict[str, Any]) -> str:
    """A frame as JSON text (staff socket)."""
    data = frame if isinstance(frame, dict) else frame_dict(frame)
    if "type" not in data:
        raise LocalProtocolError("a frame needs a type")
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def error_frame(code: str, message: str, ref: str | None = None) -> dict[str, Any]:
    """An ``error`` frame as a map."""
    return {"type": "error", "code": str(code), "message": message, "ref": ref}
