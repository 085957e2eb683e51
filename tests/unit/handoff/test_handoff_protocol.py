"""Unit tests of the wire protocol: parsing at the edge, error codes, codecs."""

from __future__ import annotations

import json

import msgpack
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.exceptions import RemoteProtocolError
from handoff.protocol import (
    PLAYER_TYPES,
    STAFF_TYPES,
    ChatMessage,
    CloseCode,
    ErrorCode,
    PlayerMessage,
    decode_json,
    decode_msgpack,
    encode_json,
    encode_msgpack,
    parse_player_frame,
    parse_player_server_frame,
    parse_staff_frame,
)

CONSENT = {
    "type": "consent",
    "bundle_hash": "ab" * 32,
    "offer_id": "offer.main",
    "offer_version": 1,
    "consent": True,
    "choices": {
        "language": "en",
        "kind": "former",
        "kind_required": False,
        "gender": None,
        "age_band": "18-25",
        "format": "chat",
        "crisis": False,
    },
}


def code_of(obj: object, staff: bool = False) -> str:
    with pytest.raises(RemoteProtocolError) as exc:
        (parse_staff_frame if staff else parse_player_frame)(obj)
    return exc.value.code


def test_valid_frames_parse_to_typed_models() -> None:
    """A well-formed consent and message become typed frames."""
    frame = parse_player_frame(CONSENT)
    assert frame.type == "consent" and frame.choices.kind == "former"  # type: ignore[union-attr]
    msg = parse_player_frame({"type": "message", "client_id": "c1", "text": "hi"})
    assert isinstance(msg, PlayerMessage)


@pytest.mark.parametrize(
    ("obj", "code"),
    [
        ([1, 2], ErrorCode.BAD_FRAME),
        ({"v": 1}, ErrorCode.MISSING_FIELD),
        ({"type": 5}, ErrorCode.INVALID_FIELD),
        ({"type": "launch_missiles"}, ErrorCode.UNKNOWN_TYPE),
        ({"type": "hello", "token": "t"}, ErrorCode.MISSING_FIELD),
        ({"type": "hello", "v": "1", "token": "t"}, ErrorCode.INVALID_FIELD),
        ({"type": "message", "client_id": "c", "text": "x" * 4001}, ErrorCode.TEXT_TOO_LONG),
        ({"type": "message", "client_id": "c", "text": ""}, ErrorCode.INVALID_FIELD),
        ({**CONSENT, "bundle_hash": "nothex"}, ErrorCode.INVALID_FIELD),
        ({**CONSENT, "choices": {"language": "en", "kind": "wizard"}}, ErrorCode.INVALID_FIELD),
        ({k: v for k, v in CONSENT.items() if k != "choices"}, ErrorCode.MISSING_FIELD),
        ({"type": "resume", "conversation_id": "c", "last_seq": -1}, ErrorCode.INVALID_FIELD),
    ],
)
def test_bad_player_frames_get_specific_codes(obj: object, code: str) -> None:
    """Each kind of bad frame is answered with its own stable error code."""
    assert code_of(obj) == code


def test_staff_frames_are_a_separate_vocabulary() -> None:
    """A staff frame type is unknown on the player socket and vice versa."""
    assert code_of({"type": "accept", "offer_id": "o"}) == ErrorCode.UNKNOWN_TYPE
    assert code_of({"type": "consent"}, staff=True) == ErrorCode.UNKNOWN_TYPE
    assert code_of({"type": "end", "conversation_id": "c", "outcome": "bored"}, staff=True) == (
        ErrorCode.INVALID_FIELD
    )


def test_error_carries_the_client_id_as_ref() -> None:
    """An error about a message names the message's client id so the client can match it."""
    with pytest.raises(RemoteProtocolError) as exc:
        parse_player_frame({"type": "message", "client_id": "c-7", "text": 5})
    assert exc.value.ref == "c-7"


def test_msgpack_decoding_errors() -> None:
    """Malformed msgpack, invalid UTF-8 and oversized frames are told apart."""
    with pytest.raises(RemoteProtocolError) as exc:
        decode_msgpack(b"\xc1garbage")
    assert exc.value.code == ErrorCode.BAD_FRAME
    with pytest.raises(RemoteProtocolError) as exc:
        decode_msgpack(b"\x81\xa4type\xa2\xff\xfe")
    assert exc.value.code == ErrorCode.INVALID_UTF8
    with pytest.raises(RemoteProtocolError) as exc:
        decode_msgpack(msgpack.packb({"type": "message", "text": "x" * 20000}))
    assert exc.value.code == ErrorCode.FRAME_TOO_LARGE
    assert exc.value.close_code == CloseCode.MESSAGE_TOO_BIG


def test_json_decoding_errors() -> None:
    """Malformed JSON is a bad frame."""
    with pytest.raises(RemoteProtocolError) as exc:
        decode_json("{not json")
    assert exc.value.code == ErrorCode.BAD_FRAME


def test_server_frames_round_trip_both_codecs() -> None:
    """What the server encodes, a client decodes to the same typed frame (msgpack and JSON)."""
    frame = ChatMessage(
        conversation_id="c",
        seq=3,
        sender="counsellor",
        text="hallo ü",
        at="2026-11-27T10:00:00Z",
        client_id=None,
    )
    assert parse_player_server_frame(decode_msgpack(encode_msgpack(frame))) == frame
    assert parse_player_server_frame(json.loads(encode_json(frame))) == frame


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
KEYS = [
    "type",
    "v",
    "token",
    "client_id",
    "text",
    "choices",
    "consent",
    "conversation_id",
    "last_seq",
    "seq",
    "on",
    "bundle_hash",
    "offer_id",
    "offer_version",
    "slot",
    "status",
]
frame_like = st.dictionaries(st.sampled_from(KEYS), json_values, max_size=8) | st.builds(
    lambda t, rest: {**rest, "type": t},
    st.sampled_from(sorted(PLAYER_TYPES | STAFF_TYPES)),
    st.dictionaries(st.sampled_from(KEYS), json_values, max_size=6),
)


@settings(max_examples=300, deadline=None)
@given(frame_like)
def test_any_decoded_value_is_a_frame_or_a_remote_error(obj: object) -> None:
    """Whatever a client sends, parsing yields a typed frame or a coded RemoteProtocolError."""
    for parse in (parse_player_frame, parse_staff_frame):
        try:
            frame = parse(obj)
        except RemoteProtocolError as exc:
            assert exc.code in {c.value for c in ErrorCode}
        else:
            assert frame.type in PLAYER_TYPES | STAFF_TYPES


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_decode_or_fail_with_a_code(data: bytes) -> None:
    """Random bytes never crash the decoder: a value or bad_frame/invalid_utf8."""
    try:
        decode_msgpack(data)
    except RemoteProtocolError as exc:
        assert exc.code in {ErrorCode.BAD_FRAME, ErrorCode.INVALID_UTF8}
