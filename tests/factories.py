"""Factories for test data: consent frames and preference choices a player might send."""

from __future__ import annotations

from typing import Any


def choices(**overrides: Any) -> dict[str, Any]:
    """A complete, valid set of player choices for the offer (no preference where allowed)."""
    value: dict[str, Any] = {
        "kind": None,
        "kind_required": False,
        "gender": None,
        "age_band": None,
        "language": "en",
        "format": "chat",
        "crisis": False,
    }
    value.update(overrides)
    return value


def consent_frame(bundle_hash: str, **choice_overrides: Any) -> dict[str, Any]:
    """The consent frame a player sends after saying yes on the offer screen."""
    return {
        "type": "consent",
        "bundle_hash": bundle_hash,
        "offer_id": "offer.main",
        "offer_version": 1,
        "consent": True,
        "choices": choices(**choice_overrides),
    }
