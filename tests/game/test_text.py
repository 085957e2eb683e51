"""Text wrapping: nothing is ever lost, and every line fits its box."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from game.text import summary, wrap_spans, wrap_text


def measure(s: str) -> int:
    # wide characters (CJK) count double, like a real proportional font roughly does
    return sum(20 if ord(c) > 0x2E80 else 10 for c in s)


def test_words_wrap_at_spaces() -> None:
    """A sentence breaks between words, not inside them."""
    assert wrap_text("hello world this is", 100, measure) == ["hello", "world this", "is"]


def test_long_word_is_split_not_cut() -> None:
    """A word wider than the box is split over lines and no letter disappears."""
    lines = wrap_text("Donaudampfschifffahrtsgesellschaft", 100, measure)
    assert "".join(lines) == "Donaudampfschifffahrtsgesellschaft"
    assert all(measure(ln) <= 100 for ln in lines)


def test_url_breaks_after_slash() -> None:
    """A long web address breaks after a slash or dot where possible, so it stays readable."""
    url = "https://example.org/help/for/young/people?lang=en"
    lines = wrap_text(url, 120, measure)
    assert "".join(lines) == url
    assert lines == ["https://", "example.org/", "help/for/", "young/people", "?lang=en"]


def test_cjk_breaks_between_characters() -> None:
    """Chinese or Japanese text without spaces wraps between characters."""
    text = "你好世界这是一个很长的句子没有空格"
    lines = wrap_text(text, 100, measure)
    assert "".join(lines) == text
    assert len(lines) > 1 and all(measure(ln) <= 100 for ln in lines)


def test_newlines_are_kept() -> None:
    """An author's blank line stays a blank line."""
    assert wrap_text("a\n\nb", 100, measure) == ["a", "", "b"]


@settings(max_examples=200, deadline=None)
@given(
    st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=300),
    st.integers(min_value=20, max_value=400),
)
def test_wrap_never_loses_text(text: str, width: int) -> None:
    """Whatever the text and box width, every non-space character is shown, in order."""
    lines = wrap_text(text, width, measure)
    shown = "".join(lines)
    assert [c for c in shown if not c.isspace()] == [c for c in text if not c.isspace()]
    for ln in lines:
        # a line only exceeds the box if it is a single character wider than the box
        assert measure(ln) <= width or len(ln) == 1


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200), st.integers(min_value=20, max_value=300))
def test_input_spans_cover_every_character(text: str, width: int) -> None:
    """The chat input box maps every typed character to exactly one line."""
    spans = wrap_spans(text, width, measure)
    covered = [i for a, b in spans for i in range(a, b)]
    assert covered == [i for i, c in enumerate(text) if c != "\n"]


def test_wrapping_stays_exact_when_a_font_kerns_heavily() -> None:
    """Even if whole lines measure wider than their words added up, no line overflows."""

    def kerned(s: str) -> int:  # every space costs far more inside a line than alone
        return len(s) * 10 + (s.strip().count(" ") * 40 if len(s) > 1 else 0)

    text = "one two three four five six seven eight nine ten eleven twelve"
    lines = wrap_text(text, 200, kerned)
    assert all(kerned(ln) <= 200 for ln in lines)
    assert " ".join(lines).split() == text.split()


def test_phone_numbers_never_break_between_their_digit_groups() -> None:
    """ "116 111" stays on one line however the sentence around it wraps."""
    for width in range(70, 300, 10):
        lines = wrap_text("Call the child helpline on 116 111 for free", width, measure)
        assert any("116 111" in line for line in lines), (width, lines)


def test_summary_ends_on_a_whole_word() -> None:
    """A long label is cut after a whole word and marked with an ellipsis."""
    text = "Four months ago you moved to Lindenfeld with your mum and your sister Jo. New school"
    short = summary(text, 40)
    assert short == "Four months ago you moved to Lindenfeld…"
    assert summary("short text", 40) == "short text"
