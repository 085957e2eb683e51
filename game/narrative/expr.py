"""The safe condition/effect language: tokenizer, recursive-descent parser, checker, evaluator.

Never uses Python eval. Grammar (see docs/CONTENT.md): or/and/not, comparisons, + and -, ints,
strings, true/false, variables, visits(node) and visited(node). Effects: `var = | += | -= expr`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Literal

from .exceptions import ExpressionError

Value = bool | int | str
TypeName = Literal["bool", "int", "str"]

MAX_EXPR_CHARS = 500
MAX_DEPTH = 40

_TOKEN_RE = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<num>\d+)
  | (?P<str>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
  | (?P<op>==|!=|<=|>=|\+=|-=|[<>=+\-()])
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*)
    """,
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "true", "false", "visits", "visited"}
RESERVED_WORDS = frozenset(_KEYWORDS)  # words that cannot name a variable


@dataclass(frozen=True)
class Token:
    kind: str  # num, str, op, name, kw, end
    text: str
    pos: int


# ---- AST -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Const:
    value: Value


@dataclass(frozen=True)
class Var:
    name: str


@dataclass(frozen=True)
class Visits:
    node: str
    as_bool: bool  # visited(x)


@dataclass(frozen=True)
class Unary:
    op: str  # "not" | "-"
    operand: Expr


@dataclass(frozen=True)
class Binary:
    op: str  # and or == != < <= > >= + -
    left: Expr
    right: Expr


Expr = Const | Var | Visits | Unary | Binary


@dataclass(frozen=True)
class Effect:
    variable: str
    op: str  # "=", "+=", "-="
    value: Expr


# ---- tokenizer / parser ------------------------------------------------------------------------


def _unescape(body: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        ch = body[i]
        if ch == "\\" and i + 1 < len(body):
            nxt = body[i + 1]
            if nxt not in "\"'\\":
                raise ExpressionError(f"unknown escape \\{nxt} (only \\\", \\' and \\\\)", i)
            out.append(nxt)
            i += 2
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def tokenize(source: str) -> list[Token]:
    """Split an expression into tokens; raises ExpressionError at the first bad character."""
    if len(source) > MAX_EXPR_CHARS:
        raise ExpressionError(f"expression longer than {MAX_EXPR_CHARS} characters", 0)
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        m = _TOKEN_RE.match(source, pos)
        if m is None:
            raise ExpressionError(f"unexpected character {source[pos]!r}", pos)
        kind = m.lastgroup or ""
        text = m.group()
        if kind == "name" and text in _KEYWORDS:
            kind = "kw"
        if kind != "ws":
            tokens.append(Token(kind, text, pos))
        pos = m.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.i = 0
        self.depth = 0

    @property
    def tok(self) -> Token:
        return self.tokens[self.i]

    def advance(self) -> Token:
        t = self.tokens[self.i]
        self.i += 1
        return t

    def accept(self, kind: str, text: str) -> bool:
        if self.tok.kind == kind and self.tok.text == text:
            self.i += 1
            return True
        return False

    def expect(self, kind: str, text: str) -> None:
        if not self.accept(kind, text):
            self.fail(f"expected {text!r}")

    def fail(self, message: str) -> None:
        t = self.tok
        got = "end of expression" if t.kind == "end" else repr(t.text)
        raise ExpressionError(f"{message} but found {got}", t.pos)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ExpressionError("expression is nested too deeply", self.tok.pos)

    def parse_expr(self) -> Expr:
        self.enter()
        left = self.parse_and()
        while self.accept("kw", "or"):
            left = Binary("or", left, self.parse_and())
        self.depth -= 1
        return left

    def parse_and(self) -> Expr:
        left = self.parse_not()
        while self.accept("kw", "and"):
            left = Binary("and", left, self.parse_not())
        return left

    def parse_not(self) -> Expr:
        if self.accept("kw", "not"):
            self.enter()
            inner = self.parse_not()
            self.depth -= 1
            return Unary("not", inner)
        return self.parse_compare()

    def parse_compare(self) -> Expr:
        left = self.parse_sum()
        t = self.tok
        if t.kind == "op" and t.text in ("==", "!=", "<", "<=", ">", ">="):
            self.advance()
            right = self.parse_sum()
            nxt = self.tok
            if nxt.kind == "op" and nxt.text in ("==", "!=", "<", "<=", ">", ">="):
                self.fail("comparisons cannot be chained; use 'and'")
            return Binary(t.text, left, right)
        return left

    def parse_sum(self) -> Expr:
        left = self.parse_unary()
        while self.tok.kind == "op" and self.tok.text in ("+", "-"):
            op = self.advance().text
            left = Binary(op, left, self.parse_unary())
        return left

    def parse_unary(self) -> Expr:
        if self.accept("op", "-"):
            self.enter()
            inner = self.parse_unary()
            self.depth -= 1
            return Unary("-", inner)
        return self.parse_atom()

    def parse_atom(self) -> Expr:
        t = self.tok
        if t.kind == "num":
            self.advance()
            value = int(t.text)
            if value > 2**53:
                raise ExpressionError("number too large", t.pos)
            return Const(value)
        if t.kind == "str":
            self.advance()
            return Const(_unescape(t.text[1:-1]))
        if t.kind == "kw" and t.text in ("true", "false"):
            self.advance()
            return Const(t.text == "true")
        if t.kind == "kw" and t.text in ("visits", "visited"):
            self.advance()
            self.expect("op", "(")
            arg = self.tok
            if arg.kind == "name":
                node = arg.text
            elif arg.kind == "str":
                node = _unescape(arg.text[1:-1])
            else:
                self.fail(f"{t.text}() needs a node id")
            self.advance()
            self.expect("op", ")")
            return Visits(node, t.text == "visited")
        if t.kind == "name":
            self.advance()
            if "." in t.text:
                raise ExpressionError(
                    f"{t.text!r} is not a variable name (node ids go inside visits(...))", t.pos
                )
            return Var(t.text)
        if self.accept("op", "("):
            inner = self.parse_expr()
            self.expect("op", ")")
            return inner
        self.fail("expected a value")
        raise AssertionError("unreachable")  # pragma: no cover

    def finish(self) -> None:
        if self.tok.kind != "end":
            self.fail("expected end of expression")


def parse_condition(source: str) -> Expr:
    """Parse a condition; raises ExpressionError with a character position."""
    p = _Parser(source)
    expr = p.parse_expr()
    p.finish()
    return expr


def parse_effect(source: str) -> Effect:
    """Parse `name = expr`, `name += expr` or `name -= expr`."""
    p = _Parser(source)
    t = p.tok
    if t.kind != "name" or "." in t.text:
        p.fail("an effect starts with a variable name")
    p.advance()
    op = p.tok
    if op.kind != "op" or op.text not in ("=", "+=", "-="):
        p.fail("expected '=', '+=' or '-='")
    p.advance()
    value = p.parse_expr()
    p.finish()
    return Effect(t.text, op.text, value)


# ---- static checks -----------------------------------------------------------------------------


class ExprTypeError(ExpressionError):
    """The expression parses but mixes types (e.g. `trust + "a"`) or is not bool where needed."""


def infer_type(expr: Expr, var_types: Mapping[str, TypeName]) -> TypeName:
    """Type of an expression; raises ExpressionError (undefined variable or type mismatch)."""
    if isinstance(expr, Const):
        return type_of(expr.value)
    if isinstance(expr, Var):
        if expr.name not in var_types:
            raise UndefinedVariable(expr.name)
        return var_types[expr.name]
    if isinstance(expr, Visits):
        return "bool" if expr.as_bool else "int"
    if isinstance(expr, Unary):
        inner = infer_type(expr.operand, var_types)
        want: TypeName = "bool" if expr.op == "not" else "int"
        if inner != want:
            raise ExprTypeError(f"'{expr.op}' needs {want}, got {inner}")
        return want
    lt = infer_type(expr.left, var_types)
    rt = infer_type(expr.right, var_types)
    op = expr.op
    if op in ("and", "or"):
        if lt != "bool" or rt != "bool":
            raise ExprTypeError(f"'{op}' needs bool on both sides, got {lt} and {rt}")
        return "bool"
    if op in ("==", "!="):
        if lt != rt:
            raise ExprTypeError(f"cannot compare {lt} with {rt} using '{op}'")
        return "bool"
    if op in ("<", "<=", ">", ">="):
        if lt != "int" or rt != "int":
            raise ExprTypeError(f"'{op}' needs int on both sides, got {lt} and {rt}")
        return "bool"
    if op == "+":
        if lt == rt and lt in ("int", "str"):
            return lt
        raise ExprTypeError(f"'+' needs two ints or two strs, got {lt} and {rt}")
    if op == "-":
        if lt == "int" and rt == "int":
            return "int"
        raise ExprTypeError(f"'-' needs int on both sides, got {lt} and {rt}")
    raise ExprTypeError(f"unknown operator {op}")  # pragma: no cover


class UndefinedVariable(ExpressionError):
    """A variable that the manifest does not declare."""

    def __init__(self, name: str) -> None:
        super().__init__(f"variable {name!r} is not declared in the manifest's `variables:`")
        self.name = name


def check_effect(effect: Effect, var_types: Mapping[str, TypeName]) -> None:
    """Type-check an effect against the declared variables."""
    if effect.variable not in var_types:
        raise UndefinedVariable(effect.variable)
    target = var_types[effect.variable]
    value = infer_type(effect.value, var_types)
    if effect.op == "=":
        if value != target:
            raise ExprTypeError(f"cannot assign {value} to {target} variable {effect.variable!r}")
    elif effect.op == "+=":
        if target not in ("int", "str") or value != target:
            raise ExprTypeError(f"'+=' on {target} variable {effect.variable!r} with {value}")
    elif target != "int" or value != "int":
        raise ExprTypeError(f"'-=' needs int variable and value, got {target} and {value}")


def type_of(value: Value) -> TypeName:
    """The story type of a runtime value."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    return "str"


def variables_read(expr: Expr) -> set[str]:
    """Variables an expression reads."""
    if isinstance(expr, Var):
        return {expr.name}
    if isinstance(expr, Unary):
        return variables_read(expr.operand)
    if isinstance(expr, Binary):
        return variables_read(expr.left) | variables_read(expr.right)
    return set()


def nodes_read(expr: Expr) -> set[str]:
    """Node ids an expression reads through visits()/visited()."""
    if isinstance(expr, Visits):
        return {expr.node}
    if isinstance(expr, Unary):
        return nodes_read(expr.operand)
    if isinstance(expr, Binary):
        return nodes_read(expr.left) | nodes_read(expr.right)
    return set()


# ---- evaluation --------------------------------------------------------------------------------

INT_LIMIT = 2**53


def _clamp(value: int) -> int:
    # keeps saves JSON-safe and canonicalisable even in endless loops
    return max(-INT_LIMIT, min(INT_LIMIT, value))


def evaluate(expr: Expr, variables: Mapping[str, Value], visits: Callable[[str], int]) -> Value:
    """Evaluate a type-checked expression (types were checked when the story loaded)."""
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Var):
        return variables[expr.name]
    if isinstance(expr, Visits):
        n = visits(expr.node)
        return n > 0 if expr.as_bool else n
    if isinstance(expr, Unary):
        inner = evaluate(expr.operand, variables, visits)
        if expr.op == "not":
            return not inner
        assert isinstance(inner, int)
        return _clamp(-inner)
    op = expr.op
    if op == "and":
        return bool(evaluate(expr.left, variables, visits)) and bool(
            evaluate(expr.right, variables, visits)
        )
    if op == "or":
        return bool(evaluate(expr.left, variables, visits)) or bool(
            evaluate(expr.right, variables, visits)
        )
    left = evaluate(expr.left, variables, visits)
    right = evaluate(expr.right, variables, visits)
    if op == "==":
        return left == right
    if op == "!=":
        return left != right
    if op == "+":
        if isinstance(left, str) and isinstance(right, str):
            return left + right
        assert isinstance(left, int) and isinstance(right, int)
        return _clamp(left + right)
    assert isinstance(left, int) and isinstance(right, int)
    if op == "-":
        return _clamp(left - right)
    if op == "<":
        return left < right
    if op == "<=":
        return left <= right
    if op == ">":
        return left > right
    return left >= right


def apply_effect(effect: Effect, variables: dict[str, Value], visits: Callable[[str], int]) -> None:
    """Run one (type-checked) effect on `variables` in place."""
    value = evaluate(effect.value, variables, visits)
    if effect.op == "=":
        variables[effect.variable] = value
        return
    current = variables[effect.variable]
    if effect.op == "+=":
        if isinstance(current, str) and isinstance(value, str):
            variables[effect.variable] = current + value
            return
        assert isinstance(current, int) and isinstance(value, int)
        variables[effect.variable] = _clamp(current + value)
        return
    assert isinstance(current, int) and isinstance(value, int)
    variables[effect.variable] = _clamp(current - value)


class Unknown:
    """Marker for partial evaluation: the value is not statically known."""


UNKNOWN = Unknown()
PartialValue = bool | int | str | Unknown


Interval = tuple[float, float]
_ANY: Interval = (float("-inf"), float("inf"))


def interval_of(
    expr: Expr,
    ranges: Mapping[str, Interval],
    node_visits: Callable[[str], int | None],
    current: str | None = None,
) -> Interval:
    """Bounds of an int expression given bounds of variables (visit counts are >= 0, and
    >= 1 for the node whose choices are being evaluated)."""
    if isinstance(expr, Const) and isinstance(expr.value, int) and not isinstance(expr.value, bool):
        return (expr.value, expr.value)
    if isinstance(expr, Var):
        return ranges.get(expr.name, _ANY)
    if isinstance(expr, Visits) and not expr.as_bool:
        n = node_visits(expr.node)
        if n is not None:
            return (n, n)
        return (1 if expr.node == current else 0, float("inf"))
    if isinstance(expr, Unary) and expr.op == "-":
        lo, hi = interval_of(expr.operand, ranges, node_visits, current)
        return (-hi, -lo)
    if isinstance(expr, Binary) and expr.op in ("+", "-"):
        a = interval_of(expr.left, ranges, node_visits, current)
        b = interval_of(expr.right, ranges, node_visits, current)
        if expr.op == "+":
            return (a[0] + b[0], a[1] + b[1])
        return (a[0] - b[1], a[1] - b[0])
    return _ANY


def _compare_intervals(op: str, a: Interval, b: Interval) -> PartialValue:
    if op == "<":
        return True if a[1] < b[0] else False if a[0] >= b[1] else UNKNOWN
    if op == "<=":
        return True if a[1] <= b[0] else False if a[0] > b[1] else UNKNOWN
    if op == ">":
        return _compare_intervals("<", b, a)
    if op == ">=":
        return _compare_intervals("<=", b, a)
    disjoint = a[1] < b[0] or b[1] < a[0]
    same_point = a[0] == a[1] == b[0] == b[1]
    if op == "==":
        return False if disjoint else True if same_point else UNKNOWN
    if op == "!=":
        return True if disjoint else False if same_point else UNKNOWN
    return UNKNOWN


def partial_evaluate(
    expr: Expr,
    constants: Mapping[str, Value],
    node_visits: Callable[[str], int | None],
    ranges: Mapping[str, Interval] | None = None,
    current: str | None = None,
) -> PartialValue:
    """Evaluate with only some values known (for lint: 'condition can never hold').

    `ranges` gives bounds of int variables; comparisons decided by the bounds are decided.
    """
    if isinstance(expr, Const):
        return expr.value
    if isinstance(expr, Var):
        return constants.get(expr.name, UNKNOWN)
    if isinstance(expr, Visits):
        n = node_visits(expr.node)
        if n is None:
            # the node whose choices are shown has been visited at least once
            return True if expr.as_bool and expr.node == current else UNKNOWN
        return n > 0 if expr.as_bool else n
    if isinstance(expr, Unary):
        inner = partial_evaluate(expr.operand, constants, node_visits, ranges, current)
        if isinstance(inner, Unknown):
            return UNKNOWN
        if expr.op == "not":
            return not inner
        assert isinstance(inner, int)
        return -inner
    left = partial_evaluate(expr.left, constants, node_visits, ranges, current)
    right = partial_evaluate(expr.right, constants, node_visits, ranges, current)
    if expr.op == "and":
        if left is False or right is False:
            return False
        if left is True and right is True:
            return True
        return UNKNOWN
    if expr.op == "or":
        if left is True or right is True:
            return True
        if left is False and right is False:
            return False
        return UNKNOWN
    if isinstance(left, Unknown) or isinstance(right, Unknown):
        if ranges is not None and expr.op in ("<", "<=", ">", ">=", "==", "!="):
            a = interval_of(expr.left, ranges, node_visits, current)
            b = interval_of(expr.right, ranges, node_visits, current)
            if a != _ANY or b != _ANY:
                return _compare_intervals(expr.op, a, b)
        return UNKNOWN
    return evaluate(Binary(expr.op, Const(left), Const(right)), {}, lambda _n: 0)
