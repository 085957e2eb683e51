"""Line wrapping that never loses text: words, long words, URLs and CJK.

`wrap_text` is pure (it takes a `measure` function returning a pixel width), so it is tested
without a window. Spaces at a break are dropped; every other character appears exactly once and
in order. Words wider than the line are split, preferably after '/', '-', '.', '?', '&', '='
(so URLs break at readable places), otherwise between characters. CJK ideographs and kana are
breakable between any two characters, as in CJK typesetting. Digit groups of a phone number
("116 111") stay on one line. `summary` shortens text at a word boundary.
"""

from __future__ import annotations

import re
from collections.abc import Callable

Measure = Callable[[str], int]

_CJK = (
    "\u2e80-\u2fff\u3000-\u303f\u3040-\u30ff\u3100-\u31ff\u3200-\u9fff"
    "\ua000-\ua4cf\uac00-\ud7af\uf900-\ufaff\ufe30-\ufe4f\uff00-\uffef"
)
# a phone number written in groups ("116 111", "+49 30 1234") is one word: it never breaks
_PHONE = r"\+?\d+(?: \d+)+[^\s" + _CJK + r"]*"
_TOKEN = re.compile(rf"{_PHONE}|[{_CJK}]|[^\s{_CJK}]+|[^\S\n]+")
_SOFT_BREAKS = "/-.?&=_,;:"


def _split_long(word: str, width: int, measure: Measure) -> list[str]:
    """Split a word wider than `width` into pieces that each fit (at least one char each)."""
    pieces: list[str] = []
    rest = word
    while rest and measure(rest) > width:
        # binary search the longest prefix that fits
        lo, hi = 1, len(rest)
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if measure(rest[:mid]) <= width:
                lo = mid
            else:
                hi = mid - 1
        cut = max(1, lo)
        # prefer a soft break in the second half of the fitting prefix
        for i in range(cut - 1, cut // 2, -1):
            if rest[i] in _SOFT_BREAKS:
                cut = i + 1
                break
        pieces.append(rest[:cut])
        rest = rest[cut:]
    if rest:
        pieces.append(rest)
    return pieces


# a line whose summed word widths stay under this share of the box is accepted without
# measuring it whole: kerning between words changes a width by far less than this margin
_SAFE_SHARE = 0.85


def wrap_paragraph(text: str, width: int, measure: Measure) -> list[str]:
    """Wrap one paragraph (no newlines) into lines no wider than `width` pixels."""
    if not text:
        return [""]
    lines: list[str] = []
    line = ""
    line_w = 0  # summed width of the tokens on the line (an estimate of its real width)
    safe = width * _SAFE_SHARE
    for token in _TOKEN.findall(text):
        if token.isspace():
            if line:
                line += token
                line_w += measure(token)
            continue
        token_w = measure(token)
        if line_w + token_w <= safe or measure(line + token) <= width:
            line += token
            line_w += token_w
            continue
        if line.strip():
            lines.append(line.rstrip())
            line, line_w = "", 0
        if token_w <= width:
            line, line_w = token, token_w
        else:
            pieces = _split_long(token, width, measure)
            lines.extend(pieces[:-1])
            line = pieces[-1]
            line_w = measure(line)
    if line.strip() or not lines:
        lines.append(line.rstrip())
    # the estimate is checked once per line; should a font ever break it, wrap exactly
    if any(measure(ln) > width and len(ln) > 1 for ln in lines):
        return _wrap_exact(text, width, measure)
    return lines


def _wrap_exact(text: str, width: int, measure: Measure) -> list[str]:
    """The same wrapping, measuring every candidate line whole (slower, never estimates)."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        if token.isspace():
            if line:
                line += token
            continue
        if measure(line + token) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
            line = ""
        if measure(token) <= width:
            line = token
        else:
            pieces = _split_long(token, width, measure)
            lines.extend(pieces[:-1])
            line = pieces[-1]
    if line.strip() or not lines:
        lines.append(line.rstrip())
    return lines


def wrap_text(text: str, width: int, measure: Measure) -> list[str]:
    """Wrap text with explicit newlines kept as paragraph breaks."""
    width = max(1, width)
    out: list[str] = []
    for paragraph in text.replace("\r\n", "\n").split("\n"):
        out.extend(wrap_paragraph(paragraph, width, measure))
    return out


def wrap_spans(text: str, width: int, measure: Measure) -> list[tuple[int, int]]:
    """Wrap for an editable box: return (start, end) index spans that cover every character.

    Unlike `wrap_text` nothing is dropped (trailing spaces stay on their line), so a cursor
    index maps to exactly one line. Newlines end a span and are not part of either side.
    """
    width = max(1, width)
    spans: list[tuple[int, int]] = []
    start = 0
    n = len(text)
    while True:
        nl = text.find("\n", start)
        para_end = n if nl == -1 else nl
        pos = start
        if pos == para_end:
            spans.append((pos, pos))
        while pos < para_end:
            end = para_end
            if measure(text[pos:end]) > width:
                lo, hi = pos + 1, end
                while lo < hi:
                    mid = (lo + hi + 1) // 2
                    if measure(text[pos:mid]) <= width:
                        lo = mid
                    else:
                        hi = mid - 1
                end = lo
                space = text.rfind(" ", pos, end)
                if space > pos:
                    end = space + 1
            spans.append((pos, end))
            pos = end
        if nl == -1:
            break
        start = nl + 1
    return spans


def summary(text: str, limit: int) -> str:
    """`text` on one line, at most `limit` characters, cut after a whole word with "…"."""
    one = " ".join(text.split())
    if len(one) <= limit:
        return one
    cut = one[: limit - 1]
    space = cut.rfind(" ")
    if one[limit - 1] != " " and space >= limit // 2:  # not already at the end of a word
        cut = cut[:space]
    return cut.rstrip(" ,;:.-") + "…"
