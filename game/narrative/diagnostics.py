"""Diagnostics: one finding about story content, with a stable code, severity and location.

The table CODES is the single source of the codes documented in docs/CONTENT.md; codes are
stable and never reused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["error", "warning"]

#: code -> (name, severity)
CODES: dict[str, tuple[str, Severity]] = {
    "E001": ("file-not-found", "error"),
    "E002": ("file-too-large", "error"),
    "E003": ("invalid-utf8", "error"),
    "E004": ("yaml-syntax", "error"),
    "E005": ("yaml-feature", "error"),
    "E006": ("duplicate-key", "error"),
    "E101": ("wrong-type", "error"),
    "E102": ("missing-key", "error"),
    "E103": ("unknown-key", "error"),
    "E104": ("bad-id", "error"),
    "E105": ("unknown-tag", "error"),
    "E106": ("duplicate-id", "error"),
    "E107": ("bad-expression", "error"),
    "E108": ("type-error", "error"),
    "E109": ("undefined-variable", "error"),
    "E110": ("unknown-node", "error"),
    "E111": ("unknown-target", "error"),
    "E112": ("unknown-speaker", "error"),
    "E113": ("unknown-offer", "error"),
    "E114": ("bad-replaces", "error"),
    "E115": ("missing-disclosure", "error"),
    "E116": ("unknown-content-warning", "error"),
    "E117": ("bad-placeholder", "error"),
    "E118": ("bad-locale", "error"),
    "E119": ("bad-scenery", "error"),
    "E201": ("dead-end", "error"),
    "E202": ("no-help-point", "error"),
    "E203": ("no-ending", "error"),
    "E204": ("trap-cycle", "error"),
    "E205": ("fiction-as-service", "error"),
    "W110": ("implicit-choice-id", "warning"),
    "W201": ("unreachable-node", "warning"),
    "W202": ("unused-variable", "warning"),
    "W203": ("never-holds", "warning"),
    "W204": ("always-holds", "warning"),
    "W205": ("ending-with-choices", "warning"),
    "W206": ("conditional-dead-end", "warning"),
    "W207": ("help-point-reopens-offer", "warning"),
    "W301": ("missing-translation", "warning"),
    "W302": ("stale-translation", "warning"),
    "W401": ("line-too-long", "warning"),
    "W501": ("setting-contradicts-text", "warning"),
    "W502": ("portrait-not-described", "warning"),
    "W503": ("no-character-sheet", "warning"),
}


@dataclass(frozen=True)
class Location:
    """A place in a source file; line and column are 1-based (0 when unknown)."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        if self.line:
            return f"{self.file}:{self.line}:{self.column}"
        return self.file


@dataclass(frozen=True)
class Diagnostic:
    """One finding: code (see CODES), message and where it is."""

    code: str
    message: str
    location: Location | None = None

    @property
    def name(self) -> str:
        return CODES[self.code][0]

    @property
    def severity(self) -> Severity:
        return CODES[self.code][1]

    @property
    def is_error(self) -> bool:
        return self.severity == "error"

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.severity} {self.code} {self.name}: {self.message}"

    def to_json(self) -> dict[str, Any]:
        loc = self.location
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "message": self.message,
            "file": loc.file if loc else None,
            "line": loc.line if loc and loc.line else None,
            "column": loc.column if loc and loc.column else None,
        }


def sort_key(d: Diagnostic) -> tuple[int, str, int, int, str]:
    """Errors first, then by file position, so output is stable between runs."""
    loc = d.location or Location("")
    return (0 if d.is_error else 1, loc.file, loc.line, loc.column, d.code)
