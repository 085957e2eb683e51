"""Our server frames are byte-for-byte what aiohttp's own WebSocket writer sends.

The gateways write data frames straight to the transport (one write per socket per loop
turn); this pins the framing to aiohttp's at every length boundary of RFC 6455.
"""

from __future__ import annotations

from unittest import mock

import pytest
from aiohttp.http_websocket import WebSocketWriter

from server.gateways.connections import ws_frame


@pytest.mark.parametrize("size", [0, 1, 125, 126, 127, 65535, 65536, 70000])
@pytest.mark.parametrize(("opcode", "first_byte"), [(0x1, 0x81), (0x2, 0x82)])
async def test_frames_match_aiohttp_at_every_length_boundary(
    size: int, opcode: int, first_byte: int
) -> None:
    """Counsellors and players receive frames any WebSocket client can read, of any length."""
    written: list[bytes] = []
    transport = mock.Mock()
    transport.write.side_effect = written.append
    transport.is_closing.return_value = False
    protocol = mock.Mock()

    async def drain() -> None:
        return None

    protocol._drain_helper = drain
    payload = bytes(i % 251 for i in range(size))
    await WebSocketWriter(protocol, transport, use_mask=False).send_frame(payload, opcode)
    assert ws_frame(payload, first_byte) == b"".join(written)
