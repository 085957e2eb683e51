"""Errors raised by the narrative package; each subclass says whose fault it is.

Content problems (the author's fault) carry diagnostics with file:line:column; caller mistakes
(choosing a choice that is not available) and bad bundle bytes get their own classes.
"""

from __future__ import annotations

from collections.abc import Sequence

from .diagnostics import Diagnostic


class ContentError(Exception):
    """Base error of game.narrative."""

    def __init__(self, message: str, diagnostics: Sequence[Diagnostic] = ()) -> None:
        super().__init__(message)
        self.diagnostics: tuple[Diagnostic, ...] = tuple(diagnostics)


class ContentFileError(ContentError):
    """A story file is missing, too large or not valid UTF-8 (the author's files)."""


class ContentSyntaxError(ContentError):
    """A story file is not valid YAML of the supported subset (the author's files)."""


class ContentSchemaError(ContentError):
    """The story has wrong types, unknown keys/tags, duplicate ids or bad references."""


class ExpressionError(ContentError):
    """A condition or effect does not parse or does not type-check."""

    def __init__(self, message: str, position: int = 0) -> None:
        super().__init__(message)
        self.position = position


class BundleError(ContentError):
    """Bundle bytes are not a valid content bundle (corrupt download or wrong producer)."""


class EngineError(ContentError):
    """The caller asked the engine for something impossible (e.g. an unavailable choice)."""


class ChoiceNotAvailable(EngineError):
    """The choice id does not exist at this node or its condition does not hold."""


class BackNotAllowed(EngineError):
    """Going back is impossible: at the start, or it would cross a consent point."""


class TweeImportError(ContentError):
    """A Twee file cannot be read at all (not Twee 3, unreadable)."""


class RouteTestError(ContentError):
    """A route test plan file is malformed (the test author's fault)."""
