"""Errors raised by the pygame client shell, each saying whose fault it was.

GameError is the base. Content and network problems are reported to the player in plain words;
these classes let the shell decide which words.
"""

from __future__ import annotations


class GameError(Exception):
    """Base class for errors raised by the game client (not the narrative engine)."""


class ContentUnavailable(GameError):
    """No usable story bundle: neither a cached copy, nor the shipped story, nor the server's."""


class ContentIntegrityError(GameError):
    """The server sent a bundle whose SHA-256 does not match its X-Content-Hash header."""


class ServerError(GameError):
    """The server answered with an error (its fault or a refusal): code and message kept."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message


class NetworkUnavailable(GameError):
    """The server could not be reached (the network's fault, not the player's)."""


class SaveError(GameError):
    """A save file could not be read or written (disk full, corrupt file, wrong bundle)."""
