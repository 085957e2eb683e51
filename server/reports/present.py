"""How report figures are named and written for people (the page, the CLI, compare).

One home for each measure's label and for the formatting of each unit, so the page, the
terminal report and the comparison of programmes say the same thing in the same words.
"""

from __future__ import annotations

from typing import Final

#: (label, definition) per measure key, in the order reports show them. docs/REPORTS.md has
#: the full definitions and the pilot's findings beside them.
MEASURES: Final[dict[str, tuple[str, str]]] = {
    "offers_made": ("Offers made", "requests offered to a counsellor of this kind"),
    "offers_accepted": ("Offers accepted", "share of offers the counsellor accepted"),
    "offers_declined": ("Offers declined", "share of offers the counsellor declined"),
    "requests": ("Requests", "finished requests, by the kind the player asked for"),
    "abandoned_waiting": ("Left while waiting", "share of requests that left before a match"),
    "conversations": ("Conversations delivered", "finished requests that reached a counsellor"),
    "length_messages": ("Length (messages)", "mean messages per conversation"),
    "length_minutes": ("Length (minutes)", "mean minutes from match to end"),
    "response_rate": ("Response rate", "share of counsellor messages the player answered"),
    "completed": ("Completed", "share ended by the counsellor with an outcome"),
    "objective_agreed": ("Objective agreed", "share of conversations with an agreed objective"),
    "objective_met": ("Objective met", "share of agreed objectives the counsellor marked met"),
    "wait_median_seconds": ("Wait, median", "request to first counsellor message"),
    "wait_p90_seconds": ("Wait, 90th percentile", "request to first counsellor message"),
    "helped": ("Did this help? yes", "share of 'yes' among players who answered"),
}

KIND_LABELS: Final[dict[str, str]] = {
    "professional": "Professional counsellor",
    "former": "Former extremist",
    "survivor": "Survivor",
    "peer": "Peer",
    "none": "No kind asked for",
}

#: What a withheld figure shows as, and what it means (for the page's legend).
WITHHELD: Final = "*"
WITHHELD_MEANING: Final = (
    "* withheld: a count from 1 to 7, a figure that would reveal one, "
    "or a share over such a count. Counts are rounded to the nearest 5."
)


def label(key: str) -> str:
    """A measure's human name (its key if unknown, e.g. from a newer export)."""
    return MEASURES.get(key, (key, ""))[0]


def kind_label(kind: str) -> str:
    """A row's human name; ``all`` for the total row."""
    return "All" if kind == "all" else KIND_LABELS.get(kind, kind)


def fmt(unit: str, value: float | None) -> str:
    """A figure as text: counts whole, shares as percent, seconds as m:ss."""
    if value is None:
        return WITHHELD
    if unit == "count":
        return f"{int(value)}"
    if unit == "share":
        return f"{value * 100:.0f}%"
    if unit == "seconds":
        minutes, seconds = divmod(int(round(value)), 60)
        return f"{minutes}:{seconds:02d}"
    return f"{value:.1f}"
