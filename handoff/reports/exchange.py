"""The exchange format between programmes: versioned JSON (and CSV) of suppressed aggregates.

A document carries only what :mod:`handoff.reports.measures` publishes, after suppression:
figures per counsellor kind and ISO week, ``null`` where withheld. No free text (beyond the
programme's own name), no ids, no timestamps finer than a day. docs/REPORTS.md documents the
format; :func:`parse_document` rejects anything else with a specific message, so one
programme's malformed file cannot silently distort a comparison.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

from handoff.reports.measures import Report
from handoff.reports.suppression import ROUND_TO, SMALL_MAX, SMALL_MIN

FORMAT: Final = "crossroads-report"
VERSION: Final = 1
UNITS: Final = frozenset({"count", "share", "messages", "minutes", "seconds"})
MAX_PROGRAMME_CHARS: Final = 120


class ExportError(ValueError):
    """A report export is malformed; the message says which file and what is wrong."""


@dataclass(frozen=True, slots=True)
class Measure:
    """One measure of a document: rows x (weeks + total), the last row being all rows."""

    unit: str
    population: str
    rows: tuple[str, ...]
    values: tuple[tuple[float | None, ...], ...]

    def total(self, row: str | None) -> float | None:
        """The whole-period figure of a row (None: all rows)."""
        r = len(self.rows) if row is None else self.rows.index(row)
        return self.values[r][-1]


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed export."""

    programme: str
    start: date
    end: date
    weeks: tuple[str, ...]
    measures: dict[str, Measure]


def to_document(report: Report, programme: str) -> dict[str, Any]:
    """The versioned JSON document of a suppressed report."""
    return {
        "format": FORMAT,
        "version": VERSION,
        "programme": programme[:MAX_PROGRAMME_CHARS],
        "from": report.start.isoformat(),
        "to": report.end.isoformat(),
        "weeks": list(report.weeks),
        "suppression": {"hidden": [SMALL_MIN, SMALL_MAX], "round_to": ROUND_TO},
        "measures": {
            key: {
                "unit": fig.unit,
                "population": fig.population,
                "rows": list(fig.rows),
                "values": [list(row) for row in fig.values],
            }
            for key, fig in report.figures.items()
        },
    }


def to_csv(doc: dict[str, Any]) -> str:
    """One line per figure: programme, measure, unit, kind, week, value (empty if withheld).

    ``kind`` and ``week`` are ``all`` for totals.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["programme", "measure", "unit", "kind", "week", "value"])
    weeks = [*doc["weeks"], "all"]
    for key, m in doc["measures"].items():
        rows = [*m["rows"], "all"]
        for r, row in enumerate(m["values"]):
            for c, value in enumerate(row):
                shown = "" if value is None else _plain(value)
                writer.writerow([doc["programme"], key, m["unit"], rows[r], weeks[c], shown])
    return out.getvalue()


def _plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.4f}"


def _fail(source: str, what: str) -> ExportError:
    return ExportError(f"{source}: {what}")


def parse_document(obj: Any, source: str = "export") -> Document:
    """Validate an export (as decoded JSON). Raises :class:`ExportError` naming the fault."""
    if not isinstance(obj, dict):
        raise _fail(source, "not a JSON object")
    if obj.get("format") != FORMAT:
        raise _fail(source, f'"format" must be "{FORMAT}"')
    if obj.get("version") != VERSION:
        raise _fail(source, f"version {obj.get('version')!r} is not supported (only {VERSION})")
    programme = obj.get("programme")
    if not isinstance(programme, str) or not 1 <= len(programme) <= MAX_PROGRAMME_CHARS:
        raise _fail(source, f'"programme" must be a name of 1-{MAX_PROGRAMME_CHARS} characters')
    try:
        start = date.fromisoformat(obj["from"])
        end = date.fromisoformat(obj["to"])
    except (KeyError, TypeError, ValueError):
        raise _fail(source, '"from" and "to" must be dates (YYYY-MM-DD)') from None
    weeks = obj.get("weeks")
    if not isinstance(weeks, list) or not all(isinstance(w, str) for w in weeks) or not weeks:
        raise _fail(source, '"weeks" must be a non-empty list of ISO week labels')
    raw = obj.get("measures")
    if not isinstance(raw, dict) or not raw:
        raise _fail(source, '"measures" must be a non-empty object')
    measures: dict[str, Measure] = {}
    for key, m in raw.items():
        measures[key] = _measure(m, f"{source}: measure {key!r}", len(weeks))
    return Document(programme, start, end, tuple(weeks), measures)


def _measure(m: Any, where: str, nweeks: int) -> Measure:
    if not isinstance(m, dict):
        raise ExportError(f"{where}: not an object")
    unit, rows, values = m.get("unit"), m.get("rows"), m.get("values")
    if unit not in UNITS:
        raise ExportError(f"{where}: unit must be one of {', '.join(sorted(UNITS))}")
    if not isinstance(rows, list) or not all(isinstance(r, str) for r in rows):
        raise ExportError(f"{where}: rows must be a list of kind names")
    if not isinstance(values, list) or len(values) != len(rows) + 1:
        raise ExportError(f"{where}: values needs one list per row plus one for all rows")
    parsed: list[tuple[float | None, ...]] = []
    for row in values:
        if not isinstance(row, list) or len(row) != nweeks + 1:
            raise ExportError(f"{where}: each values row needs one entry per week plus a total")
        for v in row:
            bad = v is not None and (
                isinstance(v, bool)
                or not isinstance(v, int | float)
                or not math.isfinite(v)
                or v < 0
            )
            if bad:
                raise ExportError(f"{where}: values must be non-negative numbers or null")
            if unit == "count" and v is not None and (v % ROUND_TO or SMALL_MIN <= v <= SMALL_MAX):
                raise ExportError(f"{where}: a count of {v} was not suppressed and rounded")
        parsed.append(tuple(None if v is None else float(v) for v in row))
    return Measure(str(unit), str(m.get("population", "")), tuple(rows), tuple(parsed))


@dataclass(frozen=True, slots=True)
class Comparison:
    """Whole-period figures side by side: ``lines`` of (measure, kind, values per programme)."""

    programmes: tuple[str, ...]
    periods: tuple[str, ...]
    lines: tuple[tuple[str, str, tuple[float | None, ...]], ...]


def compare(docs: Sequence[Document]) -> Comparison:
    """Line up several programmes' exports, measure by measure and kind by kind.

    A measure or kind one programme does not report shows as withheld for that programme.
    """
    if not docs:
        raise ExportError("compare needs at least one export")
    keys: list[str] = []
    for d in docs:
        keys += [k for k in d.measures if k not in keys]
    lines = []
    for key in keys:
        kinds: list[str] = []
        for d in docs:
            if key in d.measures:
                kinds += [k for k in d.measures[key].rows if k not in kinds]
        for kind in [*kinds, None]:
            values = tuple(
                (
                    d.measures[key].total(kind)
                    if key in d.measures and (kind is None or kind in d.measures[key].rows)
                    else None
                )
                for d in docs
            )
            lines.append((key, kind or "all", values))
    return Comparison(
        tuple(d.programme for d in docs),
        tuple(f"{d.start.isoformat()}..{d.end.isoformat()}" for d in docs),
        tuple(lines),
    )
