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
from yaml.composer import Composer
from yaml.events import AliasEvent, CollectionStartEvent, ScalarEvent
from yaml.parser import Parser
from yaml.reader import Reader
from yaml.resolver import BaseResolver
from yaml.scanner import Scanner

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


class _Loader(Reader, Scanner, Parser, Composer, BaseResolver):
    """Pure-Python composer that refuses anchors, aliases and explicit tags."""

    def __init__(self, stream: str) -> None:
        Reader.__init__(self, stream)
        Scanner.__init__(self)
        Parser.__init__(self)
        Composer.__init__(self)
        BaseResolver.__init__(self)

    def compose_node(self, parent: Any, index: Any) -> Any:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        if isinstance(event, AliasEvent):
            raise _FeatureError(
                "aliases (*name) are not allowed; write the text out", event.start_mark
            )
        if isinstance(event, ScalarEvent | CollectionStartEvent):
            if event.anchor is not None:
                raise _FeatureError(
                    "anchors (&name) are not allowed; write the text out", event.start_mark
                )
            tag = event.tag
            if tag is not None and tag != "!" and tag not in _STD_TAGS:
                raise _FeatureError(f"custom YAML tag {tag!r} is not allowed", event.start_mark)
        return super().compose_node(parent, index)


def _loc(path: str, mark: Any) -> Location:
    if mark is None:
        return Location(path)
    return Location(path, mark.line + 1, mark.column + 1)


def _scalar(node: yaml.ScalarNode) -> Any:
    text: str = node.value
    if node.style is not None:  # quoted or block scalar: always text
        return text
    if text in ("true", "True", "TRUE"):
        return True
    if text in ("false", "False", "FALSE"):
        return False
    if text in ("", "~", "null", "Null", "NULL"):
        return None
    if _INT_RE.match(text):
        return int(text)
    if _FLOAT_RE.match(text):
        return float(text)
    return text


class _Converter:
    def __init__(self, path: str) -> None:
        self.path = path
        self.diagnostics: list[Diagnostic] = []

    def convert(self, node: yaml.Node) -> YValue:
        loc = _loc(self.path, node.start_mark)
        if isinstance(node, yaml.ScalarNode):
            return YValue(_scalar(node), loc)
        if isinstance(node, yaml.SequenceNode):
            return YValue([self.convert(item) for item in node.value], loc)
        assert isinstance(node, yaml.MappingNode)
        out: dict[str, YValue] = {}
        key_locs: dict[str, Location] = {}
        for key_node, value_node in node.value:
            key_loc = _loc(self.path, key_node.start_mark)
            if not isinstance(key_node, yaml.ScalarNode):
                self.diagnostics.append(
                    Diagnostic("E101", "a mapping key must be plain text", key_loc)
                )
                continue
            key = str(key_node.value)
            if key in out:
                self.diagnostics.append(
                    Diagnostic(
                        "E006",
                        f"key {key!r} appears twice in this mapping (first at line "
                        f"{key_locs[key].line}); the second one would silently win",
                        key_loc,
                    )
                )
                continue
            out[key] = self.convert(value_node)
            key_locs[key] = key_loc
        return YValue(out, loc, key_locs)


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
    loader: _Loader | None = None
    try:
        loader = _Loader(text)
        root = loader.get_single_node()
    except _FeatureError as exc:
        return None, [Diagnostic("E005", str(exc), _loc(display, exc.mark))]
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or "invalid YAML"
        if exc.context:
            problem = f"{problem} ({exc.context})"
        return None, [Diagnostic("E004", problem, _loc(display, mark))]
    except yaml.YAMLError as exc:  # ReaderError etc.
        mark = getattr(exc, "position", None)
        msg = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        loc = Location(display)
        if isinstance(mark, int):
            before = text[:mark]
            loc = Location(display, before.count("\n") + 1, mark - (before.rfind("\n") + 1) + 1)
        return None, [Diagnostic("E004", msg, loc)]
    except RecursionError:
        return None, [Diagnostic("E004", "nesting is too deep", Location(display))]
    finally:
        if loader is not None:
            loader.dispose()
    if root is None:
        return YValue(None, Location(display, 1, 1)), []
    conv = _Converter(display)
    try:
        value = conv.convert(root)
    except RecursionError:
        return None, [Diagnostic("E004", "nesting is too deep", Location(display))]
    return value, conv.diagnostics


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
