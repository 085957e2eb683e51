"""Parses the body of a Twine passage (Harlowe or SugarCube markup) into a tree.

The Twine importer (twee.py) used to work line by line with regular expressions, which lost the
structure that gives a story its meaning: a `(set:)` inside a `(link:)[...]` hook happens when
that link is clicked, a `<<set>>` may span several lines, a condition may contain `>`. This
module scans the whole passage once, keeping quoted strings and nested brackets intact, and
builds a tree of text, links, macros and the hooks or bodies they own, each with its line.

Theory of operation:
1. `scan()` turns the text into tokens: text, `[[links]]`, Harlowe macros `(name: ...)` (with a
   flag when a hook `[` follows), SugarCube macros `<<name ...>>` and closers `<</name>>`, bare
   hook openers `[` and closers `]`.
2. `tree()` nests them: a Harlowe macro with a hook owns the hook's nodes; a SugarCube container
   macro (`<<if>>`, `<<link>>`, ...) owns everything up to its closer, and `<<elseif>>` /
   `<<else>>` start sibling nodes of the same chain. An unmatched `]` is literal text.
3. Names are normalised (Harlowe ignores case, `-` and `_` in macro names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# SugarCube macros that have a body ending in <</name>>
SC_CONTAINERS = frozenset(
    {
        "if",
        "link",
        "button",
        "for",
        "switch",
        "silently",
        "nobr",
        "widget",
        "repeat",
        "timed",
        "linkreplace",
        "linkappend",
        "linkprepend",
        "append",
        "prepend",
        "replace",
        "script",
        "capture",
        "do",
        "type",
        "cycle",
        "listbox",
        "createplaylist",
        "createaudiogroup",
        "done",
    }
)

# Harlowe macros whose hook may start on the next line
_HOOK_ACROSS_LINES = frozenset(
    {"if", "unless", "elseif", "else", "link", "linkreveal", "linkrepeat", "linkrevealgoto"}
)
_H_MACRO_START = re.compile(r"\((?P<name>[A-Za-z][\w-]*):")
_SC_MACRO_START = re.compile(r"<<(?P<close>/)?(?P<name>[A-Za-z=-][\w-]*)")
_LINK = re.compile(r"\[\[(?P<inner>[^\[\]\n]*)\](?:\[(?P<setter>[^\]\n]*)\])?\]")
_NAMED_HOOK_OPEN = re.compile(r"\|(?P<name>[\w-]+)>\[")
_NAMED_HOOK_CLOSE = re.compile(r"\]<(?P<name>[\w-]+)\|")


def norm(name: str) -> str:
    """A macro name as Harlowe and SugarCube compare it (case, `-` and `_` ignored)."""
    return name.lower().replace("-", "").replace("_", "")


@dataclass
class Tok:
    """One token of passage markup."""

    kind: str  # text | link | hmacro | scmacro | scclose | hopen | hclose
    line: int
    text: str = ""  # text, link inner, or the macro's whole source
    name: str = ""
    args: str = ""
    setter: str | None = None
    hook: bool = False  # hmacro / named hook: a `[` hook follows


@dataclass
class MNode:
    """A node of the passage tree: text, link, macro (with its body), or a bare hook."""

    kind: str  # text | link | macro | hook
    line: int
    text: str = ""
    name: str = ""  # normalised macro name
    args: str = ""
    setter: str | None = None
    harlowe: bool = False
    has_body: bool = False
    body: list[MNode] = field(default_factory=list)
    end_line: int = 0


def _skip_string(src: str, i: int) -> int:
    """Index after the quoted string that starts at `i` (or the end of the text)."""
    quote = src[i]
    j = i + 1
    while j < len(src):
        if src[j] == "\\":
            j += 2
            continue
        if src[j] == quote:
            return j + 1
        j += 1
    return len(src)


def _harlowe_end(src: str, i: int) -> int | None:
    """Index after the `)` matching the `(` at `i`, honouring strings and nesting."""
    depth = 0
    j = i
    while j < len(src):
        ch = src[j]
        if ch in "\"'`":
            j = _skip_string(src, j)
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth == 0:
                return j + 1
        j += 1
    return None


def _sugarcube_end(src: str, i: int) -> int | None:
    """Index after the `>>` that closes the macro starting at `i`, honouring strings."""
    j = i + 2
    while j < len(src):
        ch = src[j]
        if ch in "\"'`":
            j = _skip_string(src, j)
            continue
        if src.startswith(">>", j):
            return j + 2
        j += 1
    return None


def scan(src: str, first_line: int, *, harlowe: bool = True, sugarcube: bool = True) -> list[Tok]:
    """Tokens of a passage body whose first line is `first_line` in the .twee file."""
    toks: list[Tok] = []
    buf: list[str] = []
    buf_line = first_line
    line = first_line
    i = 0

    def flush() -> None:
        nonlocal buf
        if buf:
            toks.append(Tok("text", buf_line, "".join(buf)))
            buf = []

    def attach_hook(j: int, name: str) -> tuple[bool, int]:
        """A hook follows at `j`? -> (found, index after `[`). Spaces may come between, and
        line breaks after a condition or link macro (Harlowe allows both)."""
        k = j
        gap = " \t\r\n" if name in _HOOK_ACROSS_LINES else " \t"
        while k < len(src) and src[k] in gap:
            k += 1
        if k < len(src) and src[k] == "[":
            return True, k + 1
        return False, j

    while i < len(src):
        ch = src[i]
        start_line = line
        if harlowe and ch == "(":
            m = _H_MACRO_START.match(src, i)
            end = _harlowe_end(src, i) if m else None
            if m and end is not None:
                flush()
                whole = src[i:end]
                hook, after = attach_hook(end, norm(m.group("name")))
                toks.append(
                    Tok(
                        "hmacro",
                        start_line,
                        whole,
                        norm(m.group("name")),
                        src[m.end() : end - 1].strip(),
                        hook=hook,
                    )
                )
                line += src.count("\n", i, after)
                i = after
                buf_line = line
                continue
        if sugarcube and src.startswith("<<", i):
            m = _SC_MACRO_START.match(src, i)
            end = _sugarcube_end(src, i) if m else None
            if m and end is not None:
                flush()
                kind = "scclose" if m.group("close") else "scmacro"
                name = m.group("name").lower()
                if name in ("=", "-"):
                    name = "print"
                toks.append(Tok(kind, start_line, src[i:end], name, src[m.end() : end - 2].strip()))
                line += src.count("\n", i, end)
                i = end
                buf_line = line
                continue
        if harlowe and ch == "|":
            m = _NAMED_HOOK_OPEN.match(src, i)
            if m:
                flush()
                toks.append(
                    Tok("hmacro", line, m.group(0)[:-1], "namedhook", m.group("name"), hook=True)
                )
                i = m.end()
                buf_line = line
                continue
        if ch == "[":
            m = _LINK.match(src, i)
            if m:
                flush()
                toks.append(Tok("link", line, m.group("inner"), setter=m.group("setter")))
                i = m.end()
                buf_line = line
                continue
            if harlowe:
                flush()
                toks.append(Tok("hopen", line))
                i += 1
                buf_line = line
                continue
        if ch == "]" and harlowe:
            flush()
            m = _NAMED_HOOK_CLOSE.match(src, i)
            toks.append(Tok("hclose", line, m.group(0) if m else "]"))
            i = m.end() if m else i + 1
            buf_line = line
            continue
        if not buf:
            buf_line = line
        buf.append(ch)
        if ch == "\n":
            line += 1
        i += 1
    flush()
    return toks


@dataclass
class _Open:
    node: MNode | None  # None: the root
    closer: str  # "]" for hooks, a SugarCube macro name for containers, "" for the root
    items: list[MNode]


def tree(toks: list[Tok]) -> tuple[list[MNode], list[tuple[int, str]]]:
    """Nest tokens into a tree; returns the root nodes and problems as (line, message)."""
    root: list[MNode] = []
    stack = [_Open(None, "", root)]
    problems: list[tuple[int, str]] = []
    for t in toks:
        top = stack[-1]
        if t.kind == "text":
            top.items.append(MNode("text", t.line, t.text))
        elif t.kind == "link":
            top.items.append(MNode("link", t.line, t.text, setter=t.setter))
        elif t.kind == "hmacro":
            node = MNode("macro", t.line, t.text, t.name, t.args, harlowe=True, has_body=t.hook)
            top.items.append(node)
            if t.hook:
                stack.append(_Open(node, "]", node.body))
        elif t.kind == "hopen":
            node = MNode("hook", t.line, "[", has_body=True)
            top.items.append(node)
            stack.append(_Open(node, "]", node.body))
        elif t.kind == "hclose":
            if top.closer == "]":
                stack.pop()
            else:
                top.items.append(MNode("text", t.line, t.text))
        elif t.kind == "scmacro":
            name = "elseif" if t.name == "else" and t.args.startswith("if ") else t.name
            args = t.args[3:].strip() if name == "elseif" and t.name == "else" else t.args
            if name in ("elseif", "else"):
                if top.closer == "if" and top.node is not None:
                    stack.pop()
                    node = MNode("macro", t.line, t.text, name, args, has_body=True)
                    stack[-1].items.append(node)
                    stack.append(_Open(node, "if", node.body))
                else:
                    problems.append((t.line, f"{t.text!r} outside an <<if>>; not converted"))
                continue
            node = MNode("macro", t.line, t.text, name, args, has_body=name in SC_CONTAINERS)
            top.items.append(node)
            if name in SC_CONTAINERS:
                stack.append(_Open(node, name, node.body))
        elif t.kind == "scclose":
            name = "if" if t.name == "endif" else t.name
            if any(o.closer == name for o in stack[1:]):
                while stack[-1].closer != name:
                    opened = stack.pop()
                    problems.append((t.line, f"{_what(opened)} is not closed before {t.text!r}"))
                stack.pop()
            else:
                problems.append((t.line, f"{t.text!r} closes nothing; removed"))
    while len(stack) > 1:
        opened = stack.pop()
        problems.append(
            (opened.node.line if opened.node else 0, f"{_what(opened)} is never closed")
        )
    return root, problems


def _what(o: _Open) -> str:
    if o.node is None:
        return "the passage"
    if o.closer == "]":
        return f"the hook of {o.node.text!r}" if o.node.kind == "macro" else "a hook '['"
    return repr(o.node.text)


def split_args(args: str) -> list[str]:
    """Macro arguments split at top-level commas or spaces (SugarCube) with strings kept whole."""
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    i = 0
    while i < len(args):
        ch = args[i]
        if ch in "\"'`":
            j = _skip_string(args, i)
            cur.append(args[i:j])
            i = j
            continue
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if depth == 0 and (ch == "," or ch.isspace()):
            if cur:
                out.append("".join(cur))
                cur = []
            i += 1
            continue
        cur.append(ch)
        i += 1
    if cur:
        out.append("".join(cur))
    return out


def string_literal(arg: str) -> str | None:
    """The value of a quoted string argument, or None if `arg` is not a plain string."""
    if (
        len(arg) >= 2
        and arg[0] == arg[-1]
        and arg[0] in "\"'`"
        and _skip_string(arg, 0) == len(arg)
    ):
        return arg[1:-1].replace("\\" + arg[0], arg[0])
    return None
