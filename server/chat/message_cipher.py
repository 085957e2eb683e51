"""Chat messages at rest: AES-256-GCM, bound to their conversation, with a key id.

Why not Fernet, which the first version used: Fernet (AES-CBC + HMAC + base64) costs about
5 µs per message in ``cryptography`` and makes a 40-byte message a 140-byte token; on the
chat path that was a third of the database writer's time. AES-GCM from the same library
(``cryptography.hazmat.primitives.ciphers.aead``) costs under 1 µs and adds 33 bytes. What
else the format gives:

- the conversation id is authenticated data: a body copied to another conversation's row
  does not decrypt;
- a key id in every body, so several keys can be configured at once: the current one
  encrypts, previous ones (``CROSSROADS_TRANSCRIPT_KEYS_PREVIOUS``) still decrypt; rotating
  the transcript key therefore never makes stored chats unreadable;
- bodies written by the first version (Fernet tokens) still decrypt with the same keys.

The operator's key stays what it was: a Fernet key (32 random bytes, URL-safe base64). The
AES key is derived from it with HKDF-SHA256, so one secret serves notes (Fernet) and chats.

Body layout: ``0x01 | key id (4) | nonce (12) | ciphertext | tag (16)``. The nonce is random;
NIST's bound for random 96-bit nonces is 2^32 messages per key, far beyond any counselling
service (and a reason more to rotate keys yearly). This module imports nothing but
``cryptography`` and the standard library: the SQLite writer process uses it too.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

log = logging.getLogger("crossroads.chat.cipher")

#: What a reader sees of a message whose key was removed from the configuration.
UNREADABLE = "[this message can no longer be read: its key was removed from the server]"
VERSION = b"\x01"
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12
_HEADER_BYTES = 1 + _KEY_ID_BYTES
_INFO = b"crossroads chat message v1"


class UnreadableMessage(Exception):
    """A stored body cannot be decrypted: its key is not configured here any more, or the
    body (or the row it was moved to) was altered. The deployment's problem, not a user's."""


class _Key:
    __slots__ = ("aead", "id")

    def __init__(self, fernet_key: str) -> None:
        raw = base64.urlsafe_b64decode(fernet_key.encode())
        if len(raw) != 32:
            raise ValueError("a transcript key is 32 bytes in URL-safe base64 (a Fernet key)")
        secret = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(raw)
        self.aead = AESGCM(secret)
        self.id = hashlib.sha256(b"key id " + secret).digest()[:_KEY_ID_BYTES]


class MessageCipher:
    """Encrypts with the current key; decrypts with the current or any previous one."""

    def __init__(self, key: str, previous: Sequence[str] = ()) -> None:
        self._current = _Key(key)
        self._header = VERSION + self._current.id
        self._by_id = {k.id: k for k in (_Key(p) for p in previous)}
        self._by_id[self._current.id] = self._current
        self._legacy = MultiFernet([Fernet(k.encode()) for k in (key, *previous)])

    def encrypt(self, conversation_id: str, text: str) -> bytes:
        """The stored body of one message of ``conversation_id``."""
        nonce = os.urandom(_NONCE_BYTES)
        header = self._header
        sealed = self._current.aead.encrypt(
            nonce, text.encode("utf-8"), header + conversation_id.encode("utf-8")
        )
        return header + nonce + sealed

    def read(self, conversation_id: str, body: bytes) -> str:
        """The text for a reader (player, counsellor, supervisor): ``UNREADABLE`` and a
        warning in the log instead of an error when the body cannot be opened."""
        try:
            return self.decrypt(conversation_id, body)
        except UnreadableMessage as exc:
            log.warning("conversation %s: a message cannot be decrypted: %s", conversation_id, exc)
            return UNREADABLE

    def decrypt(self, conversation_id: str, body: bytes) -> str:
        """The text of a stored body; raises ``UnreadableMessage`` if that is impossible."""
        body = bytes(body)
        if body[:1] != VERSION:
            try:
                return self._legacy.decrypt(body).decode("utf-8")
            except (InvalidToken, UnicodeDecodeError) as exc:
                raise UnreadableMessage("not a message body any configured key can open") from exc
        header = body[:_HEADER_BYTES]
        key = self._by_id.get(body[1:_HEADER_BYTES])
        if key is None or len(body) < _HEADER_BYTES + _NONCE_BYTES + 16:
            raise UnreadableMessage("encrypted with a transcript key this server does not have")
        nonce = body[_HEADER_BYTES : _HEADER_BYTES + _NONCE_BYTES]
        try:
            plain = key.aead.decrypt(
                nonce, body[_HEADER_BYTES + _NONCE_BYTES :], header + conversation_id.encode()
            )
            return plain.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError) as exc:
            raise UnreadableMessage("altered, or stored under another conversation") from exc
