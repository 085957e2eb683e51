"""The JSON log formatter: one parseable object per record, with request id and extras."""

from __future__ import annotations

import io
import json
import logging

import pytest

from server.logs import REQUEST_ID, configure, is_staff_path


@pytest.fixture
def stream() -> io.StringIO:
    """The root logger writing JSON lines into a buffer (restored afterwards)."""
    root = logging.getLogger()
    saved = (list(root.handlers), root.level)
    out = io.StringIO()
    configure("DEBUG", "json", out)
    yield out  # type: ignore[misc]
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def test_a_record_is_one_json_line_with_its_request_id(stream: io.StringIO) -> None:
    """Message, level, logger, request id and ``extra`` fields all land in one JSON object."""
    token = REQUEST_ID.set("abc123")
    try:
        logging.getLogger("crossroads.test").info("hello %s", "there", extra={"status": 201})
    finally:
        REQUEST_ID.reset(token)
    logging.getLogger("crossroads.test").warning('quote " and\nnewline')
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert first["msg"] == "hello there" and first["level"] == "info"
    assert first["logger"] == "crossroads.test" and first["request_id"] == "abc123"
    assert first["status"] == 201
    assert second["msg"] == 'quote " and\nnewline' and "request_id" not in second


def test_exceptions_are_kept_inside_the_json_line(stream: io.StringIO) -> None:
    """A traceback is a field of the record, so the line stays one parseable object."""
    try:
        raise ValueError("broken")
    except ValueError:
        logging.getLogger("crossroads.test").exception("failed")
    (record,) = (json.loads(line) for line in stream.getvalue().splitlines())
    assert "ValueError: broken" in record["exc"]


def test_only_staff_paths_count_as_staff() -> None:
    """The player API, the player socket and look-alike paths are not staff paths."""
    assert is_staff_path("/console/api/canned") and is_staff_path("/ws/staff")
    for path in ("/api/v1/sessions", "/ws/player", "/", "/healthz", "/static/web/app.js"):
        assert not is_staff_path(path)
