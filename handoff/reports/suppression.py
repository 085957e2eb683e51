"""Small-count suppression of a count table with its margins (the rule NHS Digital uses).

Theory of operation. A table has data rows, data columns, a total per row, a total per column
and a grand total. Every entry, totals included, is published either rounded or as a
suppression mark:

1. Primary: a count from 1 to 7 is suppressed. Zero is shown as 0.
2. Secondary: a suppressed entry must not be recoverable from the entries that are shown.
   Each row and column is one linear equation (cells sum to the total). Seen as a graph whose
   nodes are the lines and whose edges are the suppressed entries, a suppressed entry can be
   solved for exactly when it lies on no cycle (it is a *bridge*): so while a bridge exists,
   one more entry is suppressed to close a cycle through it, the smallest count first.
3. Every entry that is shown is rounded to the nearest 5 (0 stays 0), so shown totals need not
   equal the sum of the shown cells.

The proof that rule 2 is enough is tested by an attacker who knows the *exact* value of every
entry left visible (stronger than anyone who only sees rounded figures) and tries linear algebra
on the row and column equations (tests/unit/handoff/test_report_suppression.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

#: The smallest and largest count that is never shown.
SMALL_MIN: Final = 1
SMALL_MAX: Final = 7
#: Shown counts are rounded to a multiple of this.
ROUND_TO: Final = 5


def round_count(value: int) -> int:
    """Round a non-negative count to the nearest multiple of 5 (halves cannot occur)."""
    if value < 0:
        raise ValueError("counts are never negative")
    return ROUND_TO * ((value + ROUND_TO // 2) // ROUND_TO)


def is_small(value: int) -> bool:
    """Whether a count is one that primary suppression hides."""
    return SMALL_MIN <= value <= SMALL_MAX


@dataclass(frozen=True, slots=True)
class SuppressedTable:
    """A published table: ``None`` marks a suppressed entry, every other entry is rounded.

    ``cells[r][c]`` are the data cells, ``row_totals[r]``, ``col_totals[c]`` and ``total`` the
    margins. ``hidden`` is the same grid (with margins: last row and column are totals) of
    which entries are suppressed; rates elsewhere consult it.
    """

    cells: tuple[tuple[int | None, ...], ...]
    row_totals: tuple[int | None, ...]
    col_totals: tuple[int | None, ...]
    total: int | None

    def entry(self, r: int | None, c: int | None) -> int | None:
        """The published entry at data row ``r`` and column ``c`` (None means the total)."""
        if r is None and c is None:
            return self.total
        if r is None:
            assert c is not None
            return self.col_totals[c]
        if c is None:
            return self.row_totals[r]
        return self.cells[r][c]


def _extended(values: Sequence[Sequence[int]]) -> list[list[int]]:
    """The table with a total column and a total row appended."""
    grid = [list(row) + [sum(row)] for row in values]
    ncols = len(grid[0]) if grid else 1
    grid.append([sum(row[c] for row in grid) for c in range(ncols)])
    return grid


def _bridges(hidden: set[tuple[int, int]]) -> list[tuple[int, int]]:
    """Suppressed entries that lie on no cycle of the line graph (these can be solved for).

    Nodes are ``("r", i)`` and ``("c", j)``; each hidden entry (i, j) is an edge between them.
    Tarjan's bridge search (iterative depth-first search with low-links), linear in the
    number of entries.
    """
    adjacent: dict[tuple[str, int], list[tuple[tuple[str, int], tuple[int, int]]]] = {}
    for i, j in hidden:
        adjacent.setdefault(("r", i), []).append((("c", j), (i, j)))
        adjacent.setdefault(("c", j), []).append((("r", i), (i, j)))
    order: dict[tuple[str, int], int] = {}
    low: dict[tuple[str, int], int] = {}
    found: list[tuple[int, int]] = []
    for root in sorted(adjacent):
        if root in order:
            continue
        order[root] = low[root] = len(order)
        stack: list[
            tuple[
                tuple[str, int],
                tuple[int, int] | None,
                Iterator[tuple[tuple[str, int], tuple[int, int]]],
            ]
        ] = [(root, None, iter(adjacent[root]))]
        while stack:
            node, via, edges = stack[-1]
            advanced = False
            for nxt, edge in edges:
                if edge == via:
                    continue
                if nxt in order:
                    low[node] = min(low[node], order[nxt])
                else:
                    order[nxt] = low[nxt] = len(order)
                    stack.append((nxt, edge, iter(adjacent[nxt])))
                    advanced = True
                    break
            if advanced:
                continue
            stack.pop()
            if stack:
                parent = stack[-1][0]
                low[parent] = min(low[parent], low[node])
                if low[node] > order[parent]:
                    assert via is not None
                    found.append(via)
    return sorted(found)


def _component(edges: set[tuple[int, int]], start: tuple[str, int]) -> set[tuple[str, int]]:
    adjacent: dict[tuple[str, int], list[tuple[str, int]]] = {}
    for i, j in edges:
        adjacent.setdefault(("r", i), []).append(("c", j))
        adjacent.setdefault(("c", j), []).append(("r", i))
    seen = {start}
    todo = [start]
    while todo:
        for nxt in adjacent.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _cost(grid: list[list[int]], entry: tuple[int, int]) -> tuple[int, int, int, int]:
    """Order candidates for secondary suppression: data cells before totals, then the smallest
    non-zero count (hiding a zero says little), then position for a stable choice."""
    i, j = entry
    is_total = int(i == len(grid) - 1 or j == len(grid[0]) - 1)
    value = grid[i][j]
    return (is_total, 0 if value > 0 else 1, value, i * len(grid[0]) + j)


def hidden_entries(values: Sequence[Sequence[int]]) -> set[tuple[int, int]]:
    """Which entries of the extended grid (margins last) are suppressed, by rules 1 and 2."""
    grid = _extended(values)
    nrows, ncols = len(grid), len(grid[0])
    hidden = {(i, j) for i in range(nrows) for j in range(ncols) if is_small(grid[i][j])}
    while True:
        bridges = _bridges(hidden)
        if not bridges:
            return hidden
        i, j = bridges[0]
        rest = hidden - {(i, j)}
        side_a = _component(rest, ("r", i))
        side_b = _component(rest, ("c", j))
        # An entry joining the two sides closes a cycle through the bridge.
        closing = [
            (r, c)
            for r in range(nrows)
            for c in range(ncols)
            if (r, c) not in hidden
            and (
                (("r", r) in side_a and ("c", c) in side_b)
                or (("r", r) in side_b and ("c", c) in side_a)
            )
        ]
        if not closing:
            # No single entry closes a cycle yet: widen the bridge's own lines first.
            closing = [(i, c) for c in range(ncols) if (i, c) not in hidden] + [
                (r, j) for r in range(nrows) if (r, j) not in hidden
            ]
        hidden.add(min(closing, key=lambda e: _cost(grid, e)))


def suppress_table(values: Sequence[Sequence[int]]) -> SuppressedTable:
    """Publish a table of true counts: suppress (rules 1 and 2), then round (rule 3).

    ``values`` is a non-empty list of equally long, non-empty rows of non-negative counts.
    """
    if not values or not values[0] or any(len(row) != len(values[0]) for row in values):
        raise ValueError("a table needs at least one row and column, all rows equally long")
    if any(v < 0 for row in values for v in row):
        raise ValueError("counts are never negative")
    grid = _extended(values)
    hidden = hidden_entries(values)
    shown = [
        [None if (i, j) in hidden else round_count(v) for j, v in enumerate(row)]
        for i, row in enumerate(grid)
    ]
    return SuppressedTable(
        cells=tuple(tuple(row[:-1]) for row in shown[:-1]),
        row_totals=tuple(row[-1] for row in shown[:-1]),
        col_totals=tuple(shown[-1][:-1]),
        total=shown[-1][-1],
    )


def rate(numerator: int, denominator: int, *, published: bool) -> float | None:
    """A share shown only over unsuppressed counts.

    ``published`` says whether the denominator's own cell is shown. The share is withheld when
    the numerator or what is left over (``denominator - numerator``) is a small count, so
    multiplying a shown share by a shown count can never bring a count from 1 to 7 to light.
    """
    if not published or denominator <= 0 or is_small(denominator):
        return None
    if is_small(numerator) or is_small(denominator - numerator):
        return None
    return numerator / denominator
