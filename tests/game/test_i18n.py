"""Every label of the game exists in English and German."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from game.i18n import Translator, load_catalog
from game.scenes.preferences import AGE_BANDS, FORMATS, GENDERS, KINDS
from game.settings import TEXT_SPEEDS

GAME = Path(__file__).resolve().parents[2] / "game"
KEY_RE = re.compile(r"""\btr\(\s*["']([a-z_]+\.[a-z0-9_.]+)["']""")


def used_keys() -> set[str]:
    keys: set[str] = set()
    for path in GAME.rglob("*.py"):
        if "narrative" in path.parts:
            continue
        keys |= set(KEY_RE.findall(path.read_text(encoding="utf-8")))
    keys |= {f"kind.{k}" for k in KINDS} | {f"gender.{g}" for g in GENDERS}
    keys |= {f"format.{f}" for f in FORMATS} | {f"lang.{loc}" for loc in ("en", "de")}
    keys |= {f"settings.speed_{s}" for s in TEXT_SPEEDS}
    keys |= {f"prefs.h_{g}" for g in ("kind", "gender", "age_band", "language", "format")}
    keys |= {f"day.{d}" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    keys |= {
        f"chat.sys_{k}"
        for k in (
            "counsellor_lost",
            "counsellor_back",
            "referred",
            "handover",
            "reloaded",
            "cleared",
        )
    }
    assert AGE_BANDS  # shown as they are, no label needed
    return keys


@pytest.mark.parametrize("locale", ["en", "de"])
def test_every_used_label_is_translated(locale: str) -> None:
    """No screen ever shows a raw key such as 'common.no' instead of words."""
    catalog = load_catalog(locale)
    missing = sorted(k for k in used_keys() if k not in catalog and f"{k}.other" not in catalog)
    assert missing == []


@pytest.mark.parametrize(
    ("locale", "n", "expected"),
    [
        ("en", 1, "1 new message (C)"),
        ("en", 2, "2 new messages (C)"),
        ("en", 0, "0 new messages (C)"),
        ("de", 1, "1 neue Nachricht (C)"),
        ("de", 5, "5 neue Nachrichten (C)"),
    ],
)
def test_counts_use_the_language_plural_rules(locale: str, n: int, expected: str) -> None:
    """Counted labels take the singular or plural by the language's rules, never "(s)"."""
    assert Translator(locale)("status.unread", count=n) == expected
    erased = Translator(locale)("notice.erased_done", messages=1)
    assert "(s)" not in erased and "(en)" not in erased


def test_no_label_hedges_its_plural() -> None:
    """No label writes "message(s)" or "Nachricht(en)": plurals come from Babel's rules."""
    for locale in ("en", "de"):
        hedged = {k: v for k, v in load_catalog(locale).items() if re.search(r"\w\((s|en|n)\)", v)}
        assert hedged == {}


def test_both_languages_have_the_same_labels() -> None:
    """German players see every label English players see, and no leftovers."""
    assert set(load_catalog("en")) == set(load_catalog("de"))
