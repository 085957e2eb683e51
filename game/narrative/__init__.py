"""Crossroads narrative core: story format, loader, bundle, engine and authoring tools.

Pure Python (no pygame, no I/O beyond reading story files). Public API: see __all__ and
docs/CONTENT.md.
"""

from .bundle import Bundle
from .diagnostics import CODES, Diagnostic, Location
from .engine import Engine
from .exceptions import (
    BackNotAllowed,
    BundleError,
    ChoiceNotAvailable,
    ContentError,
    ContentFileError,
    ContentSchemaError,
    ContentSyntaxError,
    EngineError,
    ExpressionError,
    RouteTestError,
    TweeImportError,
)
from .loader import Story, load_story, parse_story
from .model import (
    CHOICE_BUDGET,
    DEFAULT_OFFER,
    TEXT_BUDGET,
    Choice,
    Helpline,
    Node,
    Offer,
    StoryContent,
    Variable,
)

__all__ = [
    "CHOICE_BUDGET",
    "CODES",
    "DEFAULT_OFFER",
    "TEXT_BUDGET",
    "BackNotAllowed",
    "Bundle",
    "BundleError",
    "Choice",
    "ChoiceNotAvailable",
    "ContentError",
    "ContentFileError",
    "ContentSchemaError",
    "ContentSyntaxError",
    "Diagnostic",
    "Engine",
    "EngineError",
    "ExpressionError",
    "Helpline",
    "Location",
    "Node",
    "Offer",
    "RouteTestError",
    "Story",
    "StoryContent",
    "TweeImportError",
    "Variable",
    "load_story",
    "parse_story",
]
