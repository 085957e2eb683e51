"""A referral in the game: to a partner with a queue here the player waits for it; a handover
(no counsellor of the partner on this server) says so and gives the contact, never "wait"."""

from __future__ import annotations

from game.conversation import Conversation, Phase
from game.i18n import load_catalog

PARTNER = {"id": "p", "name": "Exit North", "contact_url": "https://exit-north.example"}


def test_a_handover_ends_the_wait_and_keeps_the_contact() -> None:
    """``referred`` with ``handover: true`` ends the request (nothing to wait for) and keeps
    the partner's contact for the line the player reads."""
    conv = Conversation()
    conv.phase = Phase.MATCHED
    conv.conversation_id = "c1"
    frame = {"type": "referred", "conversation_id": "c1", "organisation": PARTNER}
    assert conv.apply({**frame, "handover": True}) == "referred"
    assert conv.phase == Phase.ENDED and conv.conversation_id is None
    assert conv.referred_to == "Exit North"
    assert conv.referred_contact == "https://exit-north.example"
    assert conv.lines[-1].text == "@handover"


def test_a_referral_with_a_queue_still_waits() -> None:
    """Without ``handover`` the player waits for the partner's ``queued`` as before."""
    conv = Conversation()
    conv.phase = Phase.MATCHED
    frame = {"type": "referred", "conversation_id": "c1", "organisation": PARTNER}
    assert conv.apply({**frame, "handover": False}) == "referred"
    assert conv.phase == Phase.REQUESTING and conv.lines[-1].text == "@referred"


def test_the_handover_line_names_the_contact_in_both_languages() -> None:
    """The handover text says there is no queue and gives the contact (en and de)."""
    for locale in ("en", "de"):
        text = load_catalog(locale)["chat.sys_handover"].format(
            organisation="Exit North", contact="https://exit-north.example"
        )
        assert "https://exit-north.example" in text and "Exit North" in text
