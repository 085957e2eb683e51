"""The condition/effect language: what authors can write, and what it refuses."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from game.narrative.exceptions import ExpressionError
from game.narrative.expr import (
    UndefinedVariable,
    apply_effect,
    check_effect,
    evaluate,
    infer_type,
    parse_condition,
    parse_effect,
)

TYPES = {"trust": "int", "met": "bool", "band": "str"}
VARS: dict[str, bool | int | str] = {"trust": 2, "met": True, "band": "x"}


def run(src: str, visits: int = 0) -> object:
    expr = parse_condition(src)
    assert infer_type(expr, TYPES) == "bool"  # type: ignore[arg-type]
    return evaluate(expr, VARS, lambda _n: visits)


@pytest.mark.parametrize(
    ("src", "expected"),
    [
        ("trust >= 2 and met", True),
        ("not met or trust > 5", False),
        ("band == 'x' and band != \"y\"", True),
        ("trust + 1 == 3 and -trust == 0 - 2", True),
        ("visits(ch1.bus) >= 2", True),
        ("visited('ch1.bus')", True),
        ("(met or false) and not (trust < 0)", True),
    ],
)
def test_conditions_evaluate_like_authors_expect(src: str, expected: bool) -> None:
    """Comparisons, and/or/not, arithmetic and visit counts give the intended result."""
    assert run(src, visits=2) is expected


@pytest.mark.parametrize(
    "src",
    [
        "__import__('os').system('x')",
        "trust ==",
        "a b",
        "1 < 2 < 3",
        "x.y",
        "$x",
        "'open",
        "visits(1)",
        "trust = 1",
    ],
)
def test_bad_syntax_is_refused_with_position(src: str) -> None:
    """Anything outside the grammar is an ExpressionError with a character position; no eval."""
    with pytest.raises(ExpressionError) as info:
        parse_condition(src)
    assert 0 <= info.value.position <= len(src)


@pytest.mark.parametrize("src", ["trust + 'a' == 1", "met > 1", "band and met", "trust"])
def test_type_mistakes_are_caught_at_load(src: str) -> None:
    """Mixing types is reported before any player meets it."""
    with pytest.raises(ExpressionError):
        expr = parse_condition(src)
        if infer_type(expr, TYPES) != "bool":  # type: ignore[arg-type]
            raise ExpressionError("not bool")


def test_undefined_variables_are_named() -> None:
    """A typo in a variable name names the unknown variable."""
    with pytest.raises(UndefinedVariable, match="trsut"):
        infer_type(parse_condition("trsut > 1"), TYPES)  # type: ignore[arg-type]


def test_effects_assign_add_and_subtract() -> None:
    """`=`, `+=` and `-=` change variables in order; strings concatenate."""
    variables: dict[str, bool | int | str] = dict(VARS)
    for src in ["trust += 3", "trust -= 1", "met = not met", "band += 'y'"]:
        eff = parse_effect(src)
        check_effect(eff, TYPES)  # type: ignore[arg-type]
        apply_effect(eff, variables, lambda _n: 0)
    assert variables == {"trust": 4, "met": False, "band": "xy"}


@pytest.mark.parametrize("src", ["met += 1", "trust = 'a'", "band -= 'a'", "nope = 1"])
def test_bad_effects_are_refused(src: str) -> None:
    """Effects that would break a variable's type are refused."""
    with pytest.raises(ExpressionError):
        check_effect(parse_effect(src), TYPES)  # type: ignore[arg-type]


def test_huge_numbers_are_clamped() -> None:
    """Endless loops cannot push a counter beyond what saves can store."""
    variables: dict[str, bool | int | str] = {"trust": 2**53}
    apply_effect(parse_effect("trust += 9007199254740992"), variables, lambda _n: 0)
    assert variables["trust"] == 2**53


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_any_input_either_parses_or_is_an_expression_error(src: str) -> None:
    """No input string crashes the parser with anything but ExpressionError."""
    try:
        parse_condition(src)
    except ExpressionError:
        pass


def test_deep_nesting_is_refused() -> None:
    """Pathologically nested conditions are refused instead of exhausting the stack."""
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_condition("(" * 200 + "true" + ")" * 200)
    with pytest.raises(ExpressionError, match="nested too deeply"):
        parse_condition("not " * 100 + "true")
