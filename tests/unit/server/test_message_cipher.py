"""Chat messages at rest: only the right conversation and a configured key open a body;
rotating the key keeps old chats readable; bodies from the first (Fernet) format still open."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from server.chat.message_cipher import MessageCipher, UnreadableMessage

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


@given(text=st.text(max_size=4000), conversation=st.text(min_size=1, max_size=40))
def test_any_text_comes_back_exactly(text: str, conversation: str) -> None:
    """Every message a player or counsellor can type (any Unicode) round-trips."""
    cipher = MessageCipher(NEW)
    body = cipher.encrypt(conversation, text)
    assert cipher.decrypt(conversation, body) == text


def test_the_body_hides_the_text_and_never_repeats() -> None:
    """Ciphertext only, and the same text twice gives two different bodies."""
    cipher = MessageCipher(NEW)
    first, second = (cipher.encrypt("c1", "I am scared of them") for _ in range(2))
    assert b"scared" not in first and first != second
    assert len(first) == len("I am scared of them") + 33


def test_a_body_moved_to_another_conversation_does_not_open() -> None:
    """The conversation id is authenticated: copying a row elsewhere is detected."""
    cipher = MessageCipher(NEW)
    with pytest.raises(UnreadableMessage, match="another conversation"):
        cipher.decrypt("c2", cipher.encrypt("c1", "hello"))


def test_an_altered_body_does_not_open() -> None:
    """Flipping one bit anywhere after the header is detected."""
    cipher = MessageCipher(NEW)
    body = bytearray(cipher.encrypt("c1", "hello"))
    body[-1] ^= 1
    with pytest.raises(UnreadableMessage):
        cipher.decrypt("c1", bytes(body))


def test_after_rotation_old_chats_stay_readable_and_new_ones_use_the_new_key() -> None:
    """The rotated-out key still decrypts; only the current key encrypts."""
    before = MessageCipher(OLD).encrypt("c1", "written last year")
    after_rotation = MessageCipher(NEW, previous=[OLD])
    assert after_rotation.decrypt("c1", before) == "written last year"
    fresh = after_rotation.encrypt("c1", "written today")
    assert MessageCipher(NEW).decrypt("c1", fresh) == "written today"
    with pytest.raises(UnreadableMessage, match="does not have"):
        MessageCipher(OLD).decrypt("c1", fresh)


def test_a_removed_key_gives_a_clear_error() -> None:
    """Once a key is dropped from the configuration its bodies are named unreadable."""
    body = MessageCipher(OLD).encrypt("c1", "gone")
    with pytest.raises(UnreadableMessage, match="does not have"):
        MessageCipher(NEW).decrypt("c1", body)


def test_bodies_of_the_first_format_still_open() -> None:
    """Messages stored as Fernet tokens by the first version decrypt with the same keys."""
    legacy = Fernet(OLD.encode()).encrypt(b"from version one")
    assert MessageCipher(OLD).decrypt("c1", legacy) == "from version one"
    assert MessageCipher(NEW, previous=[OLD]).decrypt("c1", legacy) == "from version one"
    with pytest.raises(UnreadableMessage):
        MessageCipher(NEW).decrypt("c1", legacy)


def test_a_key_of_the_wrong_shape_is_refused() -> None:
    """A transcript key must be 32 bytes in URL-safe base64."""
    with pytest.raises(ValueError, match="32 bytes"):
        MessageCipher("c2hvcnQ=")
