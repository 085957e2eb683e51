"""Colours are readable: every text colour meets WCAG AA contrast in both palettes."""

from __future__ import annotations

import pytest

from game.theme import HIGH_CONTRAST, NORMAL, Palette, contrast


@pytest.mark.parametrize("pal", [NORMAL, HIGH_CONTRAST], ids=["normal", "high_contrast"])
def test_text_colours_meet_wcag_aa(pal: Palette) -> None:
    """Body text, hints, buttons, errors and chat bubbles all reach 4.5:1 or better."""
    danger_fg = pal.accent_text if pal is HIGH_CONTRAST else (255, 255, 255)
    pairs = {
        "text on panel": (pal.text, pal.panel),
        "hint on panel": (pal.muted, pal.panel),
        "heading on panel": (pal.accent, pal.panel),
        "error on panel": (pal.danger_text, pal.panel),
        "button label": (pal.button_text, pal.button),
        "primary button label": (pal.accent_text, pal.accent),
        "quick exit label": (danger_fg, pal.danger),
        "selected option": (pal.selected_text, pal.selected),
        "my message": (pal.text, pal.bubble_me),
        "my message time": (pal.muted, pal.bubble_me),
        "counsellor message": (pal.text, pal.bubble_them),
        "counsellor message time": (pal.muted, pal.bubble_them),
    }
    weak = {
        name: round(contrast(*colours), 2)
        for name, colours in pairs.items()
        if contrast(*colours) < 4.5
    }
    assert weak == {}
    # the focus ring is a non-text indicator: WCAG asks 3:1 against what surrounds it
    assert contrast(pal.focus, pal.panel) >= 3 and contrast(pal.focus, pal.bg) >= 3
