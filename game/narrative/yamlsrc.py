"""Reads one YAML source file into a located value tree, safely.

Enforces the subset documented in docs/CONTENT.md: UTF-8 only, size limit, YAML 1.2 booleans,
no anchors/aliases/custom tags, duplicate keys reported. Every value keeps its file:line:col.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
    StreamStartEvent,
)

from .diagnostics import Diagnostic, Location

MAX_FILE_BYTES = 2 * 1024 * 1024

_INT_RE = re.compile(r"[-+]?(0|[1-9][0-9]*)\Z")
_FLOAT_RE = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?\Z")
_STD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:seq",
    "tag:yaml.org,2002:map",
}


@dataclass
class YValue:
    """A YAML value with its location. `value` is str/int/float/bool/None/list/dict."""

    value: Any
    loc: Location
    # for mappings: key -> location of the key (for "unknown key" messages)
    key_locs: dict[str, Location] = field(default_factory=dict)

    @property
    def kind(self) -> str:
        return type_name(self.value)


def type_name(value: Any) -> str:
    """How a value's type is named in messages for authors."""
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int):
        return "a number"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "text"
    if value is None:
        return "nothing (empty)"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


class _FeatureError(Exception):
    def __init__(self, message: str, mark: Any) -> None:
        super().__init__(message)
        self.mark = mark


# libyaml's C parser when available (about 10x faster); same events, same marks otherwise
_EventLoader: Any = getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader


def _loc(path: str, mark: Any) -> Location:
    if mark is None:
        return Location(path)
    return Location(path, mark.line + 1, mark.column + 1)


def _scalar(value: str, style: str | None) -> Any:
    if style:  # quoted or block scalar: always text
        return value
    if value in ("true", "True", "TRUE"):
        return True
    if value in ("false", "False", "FALSE"):
        return False
    if value in ("", "~", "null", "Null", "NULL"):
        return None
    if _INT_RE.match(value):
        return int(value)
    if _FLOAT_RE.match(value):
        return float(value)
    return value


class _Frame:
    """A mapping or sequence being built from parser events."""

    __slots__ = ("value", "loc", "key_locs", "key", "skip_value")

    def __init__(self, value: Any, loc: Location) -> None:
        self.value = value
        self.loc = loc
        self.key_locs: dict[str, Location] = {}
        self.key: str | None = None  # mapping: the key waiting for its value
        self.skip_value = False  # mapping: drop the next value (bad or duplicate key)


class _Composer:
    """Builds the YValue tree from a flat event stream (no recursion, so no depth limit)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.diagnostics: list[Diagnostic] = []

    def _check(self, event: Any) -> None:
        if isinstance(event, AliasEvent):
            raise _FeatureError(
                "aliases (*name) are not allowed; write the text out", event.start_mark
            )
        if event.anchor is not None:
            raise _FeatureError(
                "anchors (&name) are not allowed; write the text out", event.start_mark
            )
        tag = event.tag
        if tag is not None and tag != "!" and tag not in _STD_TAGS:
            raise _FeatureError(f"custom YAML tag {tag!r} is not allowed", event.start_mark)

    def _attach(self, stack: list[_Frame], item: YValue, is_scalar: bool) -> YValue | None:
        if not stack:
            return item
        top = stack[-1]
        if isinstance(top.value, list):
            top.value.append(item)
            return None
        if top.key is None and not top.skip_value:
            if not is_scalar:
                self.diagnostics.append(
                    Diagnostic("E101", "a mapping key must be plain text", item.loc)
                )
                top.skip_value = True
                return None
            key = "" if item.value is None else str(item.value)
            if key in top.value:
                self.diagnostics.append(
                    Diagnostic(
                        "E006",
                        f"key {key!r} appears twice in this mapping (first at line "
                        f"{top.key_locs[key].line}); the second one would silently win",
                        item.loc,
                    )
                )
                top.skip_value = True
                return None
            top.key = key
            top.key_locs[key] = item.loc
            return None
        if top.skip_value:
            top.skip_value = False
            return None
        assert top.key is not None
        top.value[top.key] = item
        top.key = None
        return None

    def compose(self, text: str) -> YValue | None:
        stack: list[_Frame] = []
        root: YValue | None = None
        documents = 0
        for event in yaml.parse(text, Loader=_EventLoader):
            if isinstance(event, StreamStartEvent | StreamEndEvent | DocumentEndEvent):
                continue
            if isinstance(event, DocumentStartEvent):
                documents += 1
                if documents > 1:
                    raise _FeatureError(
                        "only one YAML document per file (remove `---`)", event.start_mark
                    )
                continue
            if not isinstance(event, MappingEndEvent | SequenceEndEvent):
                self._check(event)
            loc = _loc(self.path, event.start_mark)
            if isinstance(event, ScalarEvent):
                done = self._attach(stack, YValue(_scalar(event.value, event.style), loc), True)
            elif isinstance(event, MappingStartEvent):
                stack.append(_Frame({}, loc))
                continue
            elif isinstance(event, SequenceStartEvent):
                stack.append(_Frame([], loc))
                continue
            else:  # MappingEndEvent | SequenceEndEvent
                frame = stack.pop()
                done = self._attach(stack, YValue(frame.value, frame.loc, frame.key_locs), False)
            if done is not None:
                root = done
        return root


def _utf8_error_location(path: str, data: bytes, offset: int) -> Location:
    before = data[:offset]
    line = before.count(b"\n") + 1
    col = offset - (before.rfind(b"\n") + 1) + 1
    return Location(path, line, col)


def read_yaml_bytes(data: bytes, display: str) -> tuple[YValue | None, list[Diagnostic]]:
    """Parse YAML bytes; return the value tree (None if unusable) and diagnostics."""
    if len(data) > MAX_FILE_BYTES:
        return None, [
            Diagnostic(
                "E002",
                f"file is {len(data)} bytes; the limit is {MAX_FILE_BYTES} bytes - split it",
                Location(display),
            )
        ]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        loc = _utf8_error_location(display, data, exc.start)
        return None, [
            Diagnostic(
                "E003",
                f"not valid UTF-8 (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
                "save the file as UTF-8",
                loc,
            )
        ]
    if text.startswith("\ufeff"):
        text = text[1:]
    composer = _Composer(display)
    try:
        root = composer.compose(text)
    except _FeatureError as exc:
        return None, [Diagnostic("E005", str(exc), _loc(display, exc.mark))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{problem} ({exc.context})"
        return None, [Diagnostic("E004", problem, _loc(display, mark))]
    except yaml.YAMLError as exc:  # ReaderError: characters YAML does not allow
        position = getattr(exc, "position", None)
        msg = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        loc = Location(display)
        if isinstance(position, int):
            before = text[:position]
            loc = Location(display, before.count("\n") + 1, position - (before.rfind("\n") + 1) + 1)
        return None, [Diagnostic("E004", msg, loc)]
    if root is None:
        return YValue(None, Location(display, 1, 1)), composer.diagnostics
    return root, composer.diagnostics


def read_yaml_file(
    path: Path, display: str | None = None
) -> tuple[YValue | None, list[Diagnostic]]:
    """Read and parse one file; a missing or unreadable file is a diagnostic, not an exception."""
    shown = display or str(path)
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            return None, [
                Diagnostic(
                    "E002",
                    f"file is {size} bytes; the limit is {MAX_FILE_BYTES} bytes - split it",
                    Location(shown),
                )
            ]
        data = path.read_bytes()
    except FileNotFoundError:
        return None, [Diagnostic("E001", "file not found", Location(shown))]
    except IsADirectoryError:
        return None, [Diagnostic("E001", "is a directory, expected a YAML file", Location(shown))]
    except OSError as exc:
        return None, [Diagnostic("E001", f"cannot read file: {exc.strerror}", Location(shown))]
    return read_yaml_bytes(data, shown)
