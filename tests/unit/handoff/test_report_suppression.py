"""Small-count suppression: no count from 1 to 7 is shown, and no hidden one can be worked out."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.reports.suppression import rate, round_count, suppress_table

COUNTS = st.one_of(st.integers(0, 12), st.integers(0, 60))
TABLES = st.integers(1, 5).flatmap(
    lambda ncols: st.lists(st.lists(COUNTS, min_size=ncols, max_size=ncols), min_size=1, max_size=5)
)


def _published(table):
    """The extended grid as published (last row and column are totals)."""
    rows = [list(r) + [t] for r, t in zip(table.cells, table.row_totals, strict=True)]
    rows.append(list(table.col_totals) + [table.total])
    return rows


def _extended(values):
    grid = [list(r) + [sum(r)] for r in values]
    grid.append([sum(r[c] for r in grid) for c in range(len(grid[0]))])
    return grid


def _determined(values, published) -> set[tuple[int, int]]:
    """An attacker who knows the *exact* value of every shown entry solves the row and column
    equations by Gaussian elimination and returns the hidden entries it pins down."""
    true = _extended(values)
    nr, nc = len(true), len(true[0])
    unknown = [(i, j) for i in range(nr) for j in range(nc) if published[i][j] is None]
    index = {cell: k for k, cell in enumerate(unknown)}
    equations: list[list[Fraction]] = []
    # Each data row: cells - total = 0; each column: cells - total = 0.
    lines = [[(i, j) for j in range(nc)] for i in range(nr)]
    lines += [[(i, j) for i in range(nr)] for j in range(nc)]
    for line in lines:
        coeffs = [Fraction(0)] * (len(unknown) + 1)
        for pos, cell in enumerate(line):
            sign = -1 if pos == len(line) - 1 else 1
            if cell in index:
                coeffs[index[cell]] += sign
            else:
                coeffs[-1] -= sign * true[cell[0]][cell[1]]
        equations.append(coeffs)
    # Reduced row echelon form.
    pivots: list[int] = []
    row = 0
    for col in range(len(unknown)):
        pivot = next((r for r in range(row, len(equations)) if equations[r][col] != 0), None)
        if pivot is None:
            continue
        equations[row], equations[pivot] = equations[pivot], equations[row]
        lead = equations[row][col]
        equations[row] = [v / lead for v in equations[row]]
        for r in range(len(equations)):
            if r != row and equations[r][col] != 0:
                factor = equations[r][col]
                equations[r] = [
                    a - factor * b for a, b in zip(equations[r], equations[row], strict=True)
                ]
        pivots.append(col)
        row += 1
    solved = set()
    for r, col in enumerate(pivots):
        if all(equations[r][k] == 0 for k in range(len(unknown)) if k != col):
            solved.add(unknown[col])
            assert equations[r][-1] == true[unknown[col][0]][unknown[col][1]]
    return solved


@settings(max_examples=300, deadline=None)
@given(TABLES)
def test_no_small_count_is_ever_shown(values):
    """Every published entry, totals included, is suppressed, 0, or a multiple of 5 from 10 up."""
    published = _published(suppress_table(values))
    for row in published:
        for entry in row:
            assert entry is None or entry == 0 or (entry % 5 == 0 and entry >= 10)


@settings(max_examples=300, deadline=None)
@given(TABLES)
def test_no_hidden_entry_can_be_derived_from_totals(values):
    """An attacker knowing every shown entry exactly cannot solve for any suppressed one."""
    published = _published(suppress_table(values))
    assert _determined(values, published) == set()


@settings(max_examples=200, deadline=None)
@given(TABLES)
def test_every_small_count_is_hidden(values):
    """Each true count from 1 to 7, in a cell or a total, is published as suppressed."""
    true = _extended(values)
    published = _published(suppress_table(values))
    for i, row in enumerate(true):
        for j, value in enumerate(row):
            if 1 <= value <= 7:
                assert published[i][j] is None


def test_lone_small_cell_gets_a_partner():
    """A row with one small cell hides a second cell too, so the row total does not give it away."""
    table = suppress_table([[3, 20, 30], [40, 50, 60]])
    assert table.cells[0][0] is None
    assert sum(v is None for v in table.cells[0]) >= 2
    assert sum(v is None for v in (table.cells[0][0], table.cells[1][0])) >= 2


def test_rounding_is_to_the_nearest_five():
    """Shown counts are rounded to the nearest 5: 12 shows as 10 and 13 as 15, 0 stays 0."""
    assert [round_count(v) for v in (0, 8, 12, 13, 22, 23)] == [0, 10, 10, 15, 20, 25]
    assert suppress_table([[12, 13]]).cells == ((10, 15),)


def test_rate_is_withheld_over_small_parts():
    """A share is shown only when its part, its rest and its base are none of them small."""
    assert rate(10, 20, published=True) == 0.5
    assert rate(3, 20, published=True) is None
    assert rate(17, 20, published=True) is None
    assert rate(0, 20, published=True) == 0.0
    assert rate(10, 20, published=False) is None
