"""Protocol edges on real sockets: out-of-range numbers, lone surrogates, oversized frames,
trickled and unmasked frames, reused client ids and resume positions from the future each
get a clear, coded answer, and nothing else on the socket is lost."""

from __future__ import annotations

import asyncio
import json
import os
import struct
from typing import Any

import aiohttp
import msgpack
import pytest
from aiohttp.test_utils import TestClient

import server.gateways.common as gateway_common
from tests.integration.test_handoff_support import (
    Player,
    connect_player,
    connect_staff,
    consent_frame,
    new_token,
    published_offer,
)

HUGE = 2**63


async def matched(client: TestClient) -> tuple[Player, Any, str]:  # type: ignore[type-arg]
    bundle = await published_offer(client)
    staff = await connect_staff(client, "counsellor3")
    player = await connect_player(client)
    await player.send(consent_frame(bundle, kind="survivor", kind_required=True))
    offer = await staff.expect("offer")
    await staff.send({"type": "accept", "offer_id": offer["offer_id"]})
    conv = (await staff.expect("matched"))["conversation_id"]
    await player.expect("matched")
    return player, staff, conv


async def test_numbers_beyond_64_bits_are_invalid_fields(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """``resume`` with last_seq >= 2^63 on both sockets, a staff ``read`` with seq 10^30 and a
    player ``read`` with seq >= 2^63 are refused as ``invalid_field``, never an internal
    error, and the counsellor is not sent the player's bogus read mark."""
    player, staff, conv = await matched(seeded_client)
    await staff.send({"type": "resume", "conversation_id": conv, "last_seq": HUGE})
    assert (await staff.expect("error"))["code"] == "invalid_field"
    await staff.send({"type": "read", "conversation_id": conv, "seq": 10**30})
    assert (await staff.expect("error"))["code"] == "invalid_field"
    await player.send({"type": "resume", "conversation_id": conv, "last_seq": HUGE})
    assert (await player.expect("error"))["code"] == "invalid_field"
    await player.send({"type": "read", "seq": HUGE})
    assert (await player.expect("error"))["code"] == "invalid_field"
    await player.send({"type": "read", "seq": 1})
    assert (await staff.expect("read"))["seq"] == 1  # the first read mark it sees is the good one
    await staff.close()


async def test_a_lone_surrogate_is_refused_and_later_frames_still_answered(
    seeded_client: TestClient,  # type: ignore[type-arg]
) -> None:
    """A staff ``accept`` whose offer_id is the escape ``\\ud800`` gets an ``invalid_utf8``
    error, and the frame sent right after it is answered as usual."""
    staff = await connect_staff(seeded_client, "counsellor1")
    await staff.ws.send_str('{"type": "accept", "offer_id": "\\ud800"}')
    await staff.send({"type": "status", "status": "away"})
    error = await staff.expect("error")
    assert error["code"] == "invalid_utf8" and error["ref"] is None
    assert (await staff.expect("status"))["status"] == "away"
    await staff.close()


async def test_an_oversized_frame_is_named_before_the_close(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """A frame over 16 KiB gets a ``frame_too_large`` error frame, then the 1009 close, as
    docs/PROTOCOL.md says."""
    staff = await connect_staff(seeded_client, "counsellor1")
    await staff.ws.send_str(json.dumps({"type": "status", "status": "x" * 20_000}))
    msg = await staff.ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.TEXT
    assert json.loads(msg.data)["code"] == "frame_too_large"
    msg = await staff.ws.receive(timeout=5)
    assert msg.type == aiohttp.WSMsgType.CLOSE and msg.data == 1009
    await staff.close()


async def test_a_reused_client_id_with_other_text_is_refused(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """Resending a client id with the same text gets the same ack; with a different text it
    gets ``client_id_reused`` and the new text is not silently dropped as a retry."""
    player, staff, conv = await matched(seeded_client)
    await player.send({"type": "message", "client_id": "c1", "text": "first"})
    ack = await player.expect("ack")
    await player.send({"type": "message", "client_id": "c1", "text": "first"})
    assert (await player.expect("ack"))["seq"] == ack["seq"]
    await player.send({"type": "message", "client_id": "c1", "text": "something else"})
    error = await player.expect("error")
    assert error == {
        "type": "error",
        "code": "client_id_reused",
        "message": error["message"],
        "ref": "c1",
    }
    await staff.close()


async def test_resumed_never_echoes_a_future_seq(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """``resume`` from a position the conversation has not reached answers ``resumed`` with
    the real last seq, not the client's number."""
    player, staff, conv = await matched(seeded_client)
    await player.send({"type": "message", "client_id": "m1", "text": "hello"})
    seq = (await player.expect("ack"))["seq"]
    await player.send({"type": "resume", "conversation_id": conv, "last_seq": seq + 500})
    assert (await player.expect("resumed"))["last_seq"] == seq
    await staff.send({"type": "resume", "conversation_id": conv, "last_seq": 10_000})
    assert (await staff.expect("resumed"))["last_seq"] == seq
    await staff.close()


# --- raw sockets: what a hand-written client can do that aiohttp's client never does ----------


async def raw_upgrade(
    client: TestClient, path: str
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:  # type: ignore[type-arg]
    """Open a TCP connection and do the WebSocket upgrade by hand."""
    host, port = client.server.host, client.server.port
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(
        (
            f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
            "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        ).encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 101"), head
    return reader, writer


def client_frame(payload: bytes, *, opcode: int = 0x2, masked: bool = True) -> bytes:
    """One client frame (binary by default), masked as RFC 6455 requires unless told not to."""
    n = len(payload)
    mask_bit = 0x80 if masked else 0
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, mask_bit | n)
    else:
        header = struct.pack("!BBH", 0x80 | opcode, mask_bit | 126, n)
    if not masked:
        return header + payload
    key = os.urandom(4)
    return header + key + bytes(b ^ key[i % 4] for i, b in enumerate(payload))


async def server_frames(reader: asyncio.StreamReader, timeout: float) -> list[tuple[int, bytes]]:
    """Read server frames until the close frame (or EOF): (opcode, payload) each."""
    frames: list[tuple[int, bytes]] = []
    while True:
        try:
            head = await asyncio.wait_for(reader.readexactly(2), timeout)
        except asyncio.IncompleteReadError:
            return frames
        n = head[1] & 0x7F
        if n == 126:
            n = struct.unpack("!H", await reader.readexactly(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", await reader.readexactly(8))[0]
        payload = await reader.readexactly(n)
        frames.append((head[0] & 0x0F, payload))
        if head[0] & 0x0F == 0x8:
            return frames


def close_code_of(frames: list[tuple[int, bytes]]) -> int | None:
    for opcode, payload in frames:
        if opcode == 0x8 and len(payload) >= 2:
            return int(struct.unpack("!H", payload[:2])[0])
    return None


async def test_unmasked_client_frames_close_the_socket(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """An unmasked client frame (RFC 6455 section 5.1) is not read: the socket closes with
    1002 (protocol error) and the frame is not answered."""
    token = await new_token(seeded_client)
    reader, writer = await raw_upgrade(seeded_client, "/ws/player")
    writer.write(
        client_frame(msgpack.packb({"type": "hello", "v": 1, "token": token}), masked=False)
    )
    frames = await server_frames(reader, timeout=5)
    assert close_code_of(frames) == 1002
    assert all(opcode == 0x8 for opcode, _ in frames), "the unmasked hello was answered"
    writer.close()


async def test_a_masked_raw_client_is_served(seeded_client: TestClient) -> None:  # type: ignore[type-arg]
    """The same hello, masked, gets its welcome: the mask check refuses only unmasked frames."""
    token = await new_token(seeded_client)
    reader, writer = await raw_upgrade(seeded_client, "/ws/player")
    writer.write(client_frame(msgpack.packb({"type": "hello", "v": 1, "token": token})))
    head = await asyncio.wait_for(reader.readexactly(2), 5)
    n = head[1] & 0x7F
    if n == 126:
        n = struct.unpack("!H", await reader.readexactly(2))[0]
    assert msgpack.unpackb(await reader.readexactly(n))["type"] == "welcome"
    writer.close()


async def test_a_trickled_partial_frame_does_not_hold_the_socket(
    seeded_client: TestClient,  # type: ignore[type-arg]
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A client that sends one byte of a frame now and then (which postpones every ping) is
    closed with 1008 once no complete frame arrived within the frame deadline."""
    monkeypatch.setattr(gateway_common, "FRAME_DEADLINE_SECONDS", 1.5)
    token = await new_token(seeded_client)
    reader, writer = await raw_upgrade(seeded_client, "/ws/player")
    writer.write(client_frame(msgpack.packb({"type": "hello", "v": 1, "token": token})))
    partial = client_frame(msgpack.packb({"type": "typing", "typing": True}))

    async def trickle() -> None:
        for byte in partial[:-1]:
            writer.write(bytes([byte]))
            await asyncio.sleep(0.3)

    task = asyncio.get_running_loop().create_task(trickle())
    frames = await server_frames(reader, timeout=8)
    task.cancel()
    assert close_code_of(frames) == 1008
    writer.close()
