"""Imports a Twine story in Twee 3 (Harlowe or SugarCube) into the Crossroads YAML format.

Links, link macros, conditions and simple variable assignments are converted; every construct
that cannot be converted (conditional text, scripts, styles, printed variables, markup, ...) is
reported with its passage and line - nothing is dropped silently. Passages are read as a tree
(twee_markup.py), so an effect stays where it happens: a `set` inside a link belongs to that
choice, and one inside a condition is reported rather than made unconditional.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field, replace
from pathlib import Path

from .exceptions import ContentError, TweeImportError
from .expr import RESERVED_WORDS
from .model import KNOWN_TAGS, NAME_RE
from .twee_markup import MNode, scan, split_args, string_literal, tree
from .yamlout import yaml_list, yaml_str

MAX_TWEE_BYTES = 4 * 1024 * 1024

SPECIAL_PASSAGES = {
    "StoryInit",
    "StoryCaption",
    "StoryMenu",
    "StoryBanner",
    "StorySubtitle",
    "StoryAuthor",
    "StoryInterface",
    "StoryShare",
    "PassageReady",
    "PassageDone",
    "PassageHeader",
    "PassageFooter",
}
SPECIAL_TAGS = {
    "script",
    "stylesheet",
    "startup",
    "debug-startup",
    "header",
    "footer",
    "debug-header",
    "debug-footer",
    "widget",
    "Twine.image",
    "init",
}


@dataclass(frozen=True)
class Note:
    """One reported construct: where it is and what happened to it."""

    passage: str
    line: int  # line in the .twee file (1-based)
    message: str
    converted: bool  # True: converted with a change worth checking; False: not converted

    def __str__(self) -> str:
        what = "converted" if self.converted else "NOT converted"
        return f"line {self.line}, passage {self.passage!r}: {what}: {self.message}"


@dataclass
class _Link:
    text: str
    target: str
    line: int
    effects: list[str] = field(default_factory=list)
    condition: str | None = None
    # effects found in a link macro's body, reported once it is known whether it is a choice
    pending: list[tuple[int, str, str, tuple[str, str]]] = field(default_factory=list)
    # where a link macro leads, in order: (conditions inside the macro, passage)
    jumps: list[tuple[tuple[str | None, ...], str]] = field(default_factory=list)
    base: int = 0  # how many conditions were around the macro itself
    base_inside: str = ""


@dataclass(frozen=True)
class _Ctx:
    """Where in a passage's markup tree the walk is."""

    conds: tuple[str | None, ...] = ()  # conditions around this point (None: untranslatable)
    link: _Link | None = None  # inside a link macro: effects and jumps belong to that choice
    inside: str = ""  # inside a macro that is not translated (its source, for reports)
    silent: bool = False  # inside <<silently>>: text is not shown
    env: tuple[tuple[str, object], ...] = ()  # loop variables of an unrolled <<for>>


@dataclass
class _Out:
    """What a passage becomes: choices, on-entry effects and text pieces."""

    links: list[_Link] = field(default_factory=list)
    effects: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)
    temps: dict[str, object] = field(default_factory=dict)  # SugarCube `_x` set to a literal


@dataclass
class _Passage:
    name: str
    tags: list[str]
    line: int  # header line
    body: list[str]
    metadata: str = ""


@dataclass
class ImportResult:
    """The converted story files (relative path -> text) and every report note."""

    title: str
    story_format: str
    files: dict[str, str] = field(default_factory=dict)
    notes: list[Note] = field(default_factory=list)
    nodes: int = 0

    def write(self, out_dir: Path) -> list[Path]:
        """Write the converted files into `out_dir`; returns the paths written."""
        written = []
        for rel, text in self.files.items():
            path = out_dir / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            written.append(path)
        return written


# ---- Twee 3 parsing ---------------------------------------------------------------------------

_HEADER_RE = re.compile(r"^::(?P<rest>.*)$")


def _split_header(rest: str) -> tuple[str, list[str], str]:
    """Split `Name [tags] {meta}` honouring backslash escapes in the name."""
    name_chars: list[str] = []
    i = 0
    rest = rest.strip()
    while i < len(rest):
        ch = rest[i]
        if ch == "\\" and i + 1 < len(rest):
            name_chars.append(rest[i + 1])
            i += 2
            continue
        if ch in "[{":
            break
        name_chars.append(ch)
        i += 1
    tail = rest[i:].strip()
    tags: list[str] = []
    meta = ""
    if tail.startswith("["):
        close = tail.find("]")
        if close == -1:
            raise TweeImportError("unclosed tag list '[' in passage header")
        tags = tail[1:close].split()
        tail = tail[close + 1 :].strip()
    if tail.startswith("{"):
        meta = tail
    elif tail:
        raise TweeImportError(f"unexpected text after passage name: {tail!r}")
    return "".join(name_chars).strip(), tags, meta


def parse_twee(text: str) -> list[_Passage]:
    """Split Twee 3 source into passages; raises TweeImportError if it is not Twee."""
    passages: list[_Passage] = []
    current: _Passage | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        m = _HEADER_RE.match(raw)
        if m is not None:
            try:
                name, tags, meta = _split_header(m.group("rest"))
            except TweeImportError as exc:
                raise TweeImportError(f"line {number}: {exc}") from None
            if not name:
                raise TweeImportError(f"line {number}: passage header without a name")
            current = _Passage(name, tags, number, [], meta)
            passages.append(current)
        elif current is not None:
            current.body.append(raw)
        elif raw.strip():
            raise TweeImportError(
                f"line {number}: text before the first passage header (is this Twee 3?)"
            )
    for p in passages:
        while p.body and not p.body[-1].strip():
            p.body.pop()
    return passages


# ---- conversion -------------------------------------------------------------------------------

_LINK_RE = re.compile(r"\[\[(?P<inner>[^\]]*)\](?:\[(?P<setter>[^\]]*)\])?\]")
# Harlowe macros that make a link (normalised names); SugarCube's are <<link>> and <<button>>
_H_LINK_MACROS = frozenset(
    {"link", "linkreveal", "linkrepeat", "linkgoto", "linkrevealgoto", "clickgoto"}
)
_SC_LINK_MACROS = frozenset({"link", "button"})
_WIDGET_DEF = re.compile(
    r"<<widget\s+[\"'](?P<name>[\w-]+)[\"'][^>]*>>(?P<body>.*?)<</widget>>", re.DOTALL
)
_TEMP_REF = re.compile(
    r"(?P<name>_[A-Za-z]\w*)(?P<path>(?:\.\w+|\[\s*(?:\d+|\"[^\"]*\"|'[^']*')\s*\])*)"
)
_TEMP_PART = re.compile(r"\.(?P<attr>\w+)|\[\s*(?:(?P<index>\d+)|[\"'](?P<key>[^\"']*)[\"'])\s*\]")
_FOR_RANGE = re.compile(
    r"(?:(?P<index>_\w+)\s*,\s*)?(?P<item>_\w+)\s+range\s+(?P<expr>.+)", re.DOTALL
)
_ARGS_RE = re.compile(r"[_$]args\[(\d+)\]")
_H_ASSIGN = re.compile(r"(?P<var>[$_][A-Za-z_]\w*)\s+to\s+(?P<value>.+)", re.DOTALL)
_H_PUT = re.compile(r"(?P<value>.+?)\s+into\s+(?P<var>[$_][A-Za-z_]\w*)", re.DOTALL)
_SC_ASSIGN = re.compile(r"(?P<var>[$_][A-Za-z_]\w*)\s*(?:to\b|=(?!=))\s*(?P<value>.+)", re.DOTALL)
_COND_TOKEN = re.compile(
    r"\s*(?:(?P<str>\"[^\"\\]*\"|'[^'\\]*')|(?P<var>\$[A-Za-z_]\w*)|(?P<num>\d+)"
    r"|(?P<op>===|!==|==|!=|>=|<=|&&|\|\||[<>!()+\-])|(?P<word>[A-Za-z_][\w-]*))"
)
_COND_WORDS = {
    "and": "and",
    "or": "or",
    "not": "not",
    "true": "true",
    "false": "false",
    "is": "==",
    "eq": "==",
    "isnot": "!=",
    "neq": "!=",
    "gt": ">",
    "gte": ">=",
    "lt": "<",
    "lte": "<=",
}
_COND_OPS = {"===": "==", "!==": "!=", "&&": "and", "||": "or", "!": "not"}
_H_LAYOUT_LINE = re.compile(r"^\s*(?:=+>|<=+|=+><=+|<=+>|=+\|+|\|+=+|={2,}|-{3,}|\*{3,})\s*$")
_H_HEADING = re.compile(r"^\s*#{1,6}\s+")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_HTML = re.compile(r"</?[a-zA-Z][^<>]*>")
_VAR_PRINT = re.compile(r"(?<![\w$])[$_][A-Za-z_]\w*")
_MARKUP = re.compile(r"''|(?<!:)//|~~|\^\^|\*\*")


def _split_link(inner: str) -> tuple[str, str]:
    if "->" in inner:
        i = inner.rfind("->")
        return inner[:i].strip(), inner[i + 2 :].strip()
    if "<-" in inner:
        i = inner.find("<-")
        return inner[i + 2 :].strip(), inner[:i].strip()
    if "|" in inner:
        i = inner.rfind("|")
        return inner[:i].strip(), inner[i + 1 :].strip()
    return inner.strip(), inner.strip()


def slug(text: str, fallback: str) -> str:
    """An id made from Twine text: ASCII lower case with `_`, starting with a letter."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    s = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")
    if not s or not s[0].isalpha():
        s = f"{fallback}_{s}" if s else fallback
    return s[:40].rstrip("_")


def _literal(value: str, var: str) -> tuple[str, str] | None:
    """A simple assignment value -> (type, expression source) or None if too complex."""
    v = value.strip()
    if re.fullmatch(r"-?\d+", v):
        return "int", str(int(v))
    if v in ("true", "false"):
        return "bool", v
    if re.fullmatch(r"\"[^\"\\]*\"|'[^'\\]*'", v):
        return "str", json.dumps(v[1:-1], ensure_ascii=False)
    m = re.fullmatch(rf"(?:it|\${var})\s*([+-])\s*(\d+)", v)
    if m:
        return "int", f"{var} {m.group(1)}= {m.group(2)}"
    return None


def _var_name(var: str) -> str:
    """The story variable for Twine `$var`: lower case, and never a word of the language."""
    name = var.lower()
    if not NAME_RE.match(name):
        name = slug(name, "v")
    return f"{name}_var" if name in RESERVED_WORDS else name


def js_literal(source: str) -> object:
    """A JavaScript literal of strings, numbers, booleans, lists and objects, or None.

    Enough for the lists of choices stories build (`[{ text: "Go", to: "Park" }, ...]`):
    bare keys and single quotes are allowed, code is not (anything else gives None).
    """
    text = source.strip()
    if not text or re.search(r"[()=;]|=>|\bfunction\b", _STRINGS.sub('""', text)):
        return None
    text = _STRINGS.sub(lambda m: json.dumps(m.group(0)[1:-1]), text)
    text = re.sub(r"(?<=[{,])\s*([A-Za-z_]\w*)\s*:", r'"\1":', text)
    text = re.sub(r",\s*([}\]])", r"\1", text)
    try:
        return json.loads(text)
    except ValueError:
        return None


_STRINGS = re.compile(r"\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*'")


def _short(source: str, limit: int = 60) -> str:
    """Source shown in a report: one line, at most `limit` characters."""
    one = " ".join(source.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


def _top_level_commas(args: str) -> list[str]:
    """`$a to 1, $b to "x, y"` -> the two assignments (commas in strings or brackets kept)."""
    parts: list[str] = []
    depth, start, i = 0, 0, 0
    while i < len(args):
        ch = args[i]
        if ch in "\"'`":
            quote, i = ch, i + 1
            while i < len(args) and args[i] != quote:
                i += 2 if args[i] == "\\" else 1
        elif ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(args[start:i])
            start = i + 1
        i += 1
    parts.append(args[start:])
    return [s.strip() for s in parts if s.strip()]


def _assignments(node: MNode) -> list[tuple[str, str]] | None:
    """(variable with sigil, value source) for each assignment of a set/put macro, or None."""
    out: list[tuple[str, str]] = []
    for part in _top_level_commas(node.args):
        if node.name == "put":
            m = _H_PUT.fullmatch(part)
        else:
            m = (_H_ASSIGN if node.harlowe else _SC_ASSIGN).fullmatch(part)
        if m is None:
            return None
        out.append((m.group("var"), m.group("value").strip()))
    return out or None


def _goto_target(node: MNode) -> str | None:
    """The passage a (goto:) / <<goto>> names, if it is a literal."""
    args = node.args.strip()
    m = _LINK_RE.fullmatch(args)
    if m is not None:
        return _split_link(m.group("inner"))[1]
    return string_literal(args)


class _Converter:
    def __init__(self, passages: list[_Passage], source_locale: str) -> None:
        self.passages = passages
        self.locale = source_locale
        self.notes: list[Note] = []
        self.variables: dict[str, tuple[str, str]] = {}  # name -> (type, default source)
        self.warning_topics: set[str] = set()
        self.dialect = ""  # "harlowe", "sugarcube" or "" (unknown: both markups are read)
        self.widgets: dict[str, str] = {}  # SugarCube widget name -> its body's source

    def note(self, p: _Passage, line: int, msg: str, converted: bool = False) -> None:
        self.notes.append(Note(p.name, line, msg, converted))

    def convert(self) -> ImportResult:
        """Convert all passages into story files and collect the notes."""
        title = "Untitled story"
        data: dict[str, object] = {}
        story_passages: list[_Passage] = []
        for p in self.passages:
            if p.name == "StoryData":
                try:
                    parsed = json.loads("\n".join(p.body) or "{}")
                    data = parsed if isinstance(parsed, dict) else {}
                except ValueError:
                    self.note(p, p.line, "StoryData is not valid JSON; ignored")
        fmt_name = str(data.get("format", "")).lower()
        self.dialect = next((d for d in ("harlowe", "sugarcube") if d in fmt_name), "")
        specials = [
            p for p in self.passages if p.name in SPECIAL_PASSAGES or set(p.tags) & SPECIAL_TAGS
        ]
        # widgets first: a passage may call a widget defined further down the file
        for p in sorted(specials, key=lambda q: "widget" not in q.tags):
            self._special(p)
        for p in self.passages:
            if p.name == "StoryTitle":
                title = " ".join(line.strip() for line in p.body if line.strip()) or title
                title = title.replace("{", "(").replace("}", ")")
            elif p.name == "StoryData" or p in specials:
                continue
            else:
                story_passages.append(p)
        fmt = str(data.get("format", "unknown"))
        if not story_passages:
            raise TweeImportError("the file has no story passages")
        ids: dict[str, str] = {}
        used: set[str] = set()
        unique: list[_Passage] = []
        for p in story_passages:
            if any(q.name == p.name for q in unique):
                self.note(
                    p,
                    p.line,
                    "a second passage with the same name; not converted "
                    "(Twine links can only reach the first)",
                )
            else:
                unique.append(p)
        story_passages = unique
        for p in story_passages:
            base = slug(p.name, "p")
            nid, n = base, 2
            while nid in used:
                nid, n = f"{base}_{n}", n + 1
            used.add(nid)
            ids[p.name] = nid
        start_name = str(data.get("start") or "")
        if start_name not in ids:
            if "Start" in ids:
                start_name = "Start"
            else:
                start_name = story_passages[0].name
                self.notes.append(
                    Note(
                        start_name,
                        story_passages[0].line,
                        "no start passage in StoryData; using the first passage",
                        True,
                    )
                )
        if any(p.metadata for p in story_passages):
            self.notes.append(
                Note(
                    "(all)",
                    1,
                    "passage positions and sizes (Twine editor layout) "
                    "are not story content and were not imported",
                    True,
                )
            )
        node_texts: list[str] = []
        lines_out: dict[str, str] = {"ui.continue": "Continue"}
        has_help = False
        for p in story_passages:
            node_yaml, is_help = self._passage(p, ids)
            has_help = has_help or is_help
            node_texts.append(node_yaml)
        if not has_help:
            self.notes.append(
                Note(
                    "(story)",
                    1,
                    "no passage is tagged help_point; tag the honest "
                    "moments where a conversation is offered (lint requires one)",
                    False,
                )
            )
        result = ImportResult(title, fmt, nodes=len(story_passages))
        result.files["story.yaml"] = self._manifest(title, ids[start_name], data)
        result.files["nodes.yaml"] = (
            f"# Imported from Twine ({fmt}). Review every note in import-report.txt.\n"
            "lines:\n"
            + "".join(f"  {k}: {yaml_str(v, '  ')}\n" for k, v in lines_out.items())
            + "\nnodes:\n"
            + "\n".join(node_texts)
        )
        result.files["service.yaml"] = SERVICE_TEMPLATE.format(locale=self.locale)
        self.notes.append(
            Note(
                "(story)",
                1,
                "service.yaml (offer, disclosure, helplines) was "
                "created from the standard template: check it with your "
                "organisation before review",
                True,
            )
        )
        result.notes = sorted(self.notes, key=lambda n: (n.line, n.message))
        result.files["import-report.txt"] = (
            f"Import of a Twine story (format: {fmt}): {len(story_passages)} passages, "
            f"{len(result.notes)} notes\n" + "".join(f"{n}\n" for n in result.notes)
        )
        return result

    def _special(self, p: _Passage) -> None:
        if p.name == "StoryInit" or {"startup", "init"} & set(p.tags):
            for node in self._body(p):
                if node.kind != "macro" or node.name != "set":
                    if node.kind == "macro":
                        self.note(p, node.line, f"{_short(node.text)!r} in {p.name} not converted")
                    continue
                for var, value in _assignments(node) or [("", "")]:
                    lit = _literal(value, var[1:]) if var.startswith("$") else None
                    if lit is None or lit[1].startswith(f"{var[1:]} "):
                        self.note(
                            p,
                            node.line,
                            f"start value {_short(node.text)!r} is not a simple literal",
                        )
                        continue
                    name = _var_name(var[1:])
                    self.variables[name] = lit
                    self.note(
                        p,
                        node.line,
                        f"{_short(node.text)!r} became the default of variable {name!r}",
                        True,
                    )
            return
        if "widget" in p.tags:
            for m in _WIDGET_DEF.finditer("\n".join(p.body)):
                self.widgets[m.group("name").lower()] = m.group("body")
                self.note(
                    p,
                    p.line,
                    f"widget <<{m.group('name')}>>: each call is expanded where it is used",
                    True,
                )
            if self.widgets:
                return
        kind = ", ".join(sorted(set(p.tags) & SPECIAL_TAGS)) or "special passage"
        self.note(
            p,
            p.line,
            f"{kind} ({len(p.body)} lines) has no equivalent in the story format "
            "(the game's look and behaviour are not part of the story)",
        )

    def _declare(self, p: _Passage, line: int, var: str, typ: str) -> str | None:
        """The story variable for Twine `$var` (declared on first use); None on a type clash."""
        name = _var_name(var)
        if name not in self.variables:
            default = {"int": "0", "bool": "false", "str": '""'}[typ]
            self.variables[name] = (typ, default)
        elif self.variables[name][0] != typ:
            self.note(
                p,
                line,
                f"variable ${var} is used as {typ} here but as {self.variables[name][0]} "
                "elsewhere; this use is not converted",
            )
            return None
        return name

    def _setter(self, p: _Passage, ln: int, setter: str, text: str) -> list[str]:
        """SugarCube link setter `$x to 1; $y to "a"` -> choice effects (or a note)."""
        out: list[str] = []
        for part in setter.split(";"):
            m = re.fullmatch(r"\s*\$(?P<var>\w+)\s+(?:to|=)\s+(?P<value>.+?)\s*", part)
            lit = _literal(m.group("value"), m.group("var")) if m else None
            if m is None or lit is None:
                self.note(
                    p,
                    ln,
                    f"setter {part.strip()!r} on link {text!r} is too complex to "
                    "convert; add a `set:` to the choice",
                )
                continue
            name = self._declare(p, ln, m.group("var"), lit[0])
            if name is None:
                continue
            src = self._effect_source(m.group("var"), name, lit[1])
            out.append(src)
            self.note(p, ln, f"setter {part.strip()!r} on link {text!r} became `set: {src}`", True)
        return out

    @staticmethod
    def _effect_source(var: str, name: str, value: str) -> str:
        # _literal returns either a plain value or "<var> += n" for increments
        if value.startswith(f"{var} ") and ("+=" in value or "-=" in value):
            return name + value[len(var) :]
        return f"{name} = {value}"

    def _condition(self, p: _Passage, ln: int, src: str) -> str | None:
        """Translate a Harlowe/SugarCube condition into ours, or report and return None."""
        out: list[str] = []
        kinds: list[str] = []
        pos = 0
        src = src.strip()
        while pos < len(src):
            m = _COND_TOKEN.match(src, pos)
            if m is None or m.end() == pos:
                break
            pos = m.end()
            if m.group("str"):
                out.append(json.dumps(m.group("str")[1:-1], ensure_ascii=False))
                kinds.append("str")
            elif m.group("var"):
                out.append(m.group("var"))
                kinds.append("var")
            elif m.group("num"):
                out.append(m.group("num"))
                kinds.append("num")
            elif m.group("op"):
                op = m.group("op")
                out.append(_COND_OPS.get(op, op))
                kinds.append("op")
            else:
                word = m.group("word").lower()
                if word == "not" and out and out[-1] == "==":
                    out[-1] = "!="  # Harlowe `is not`
                    continue
                if word not in _COND_WORDS:
                    out = []
                    break
                out.append(_COND_WORDS[word])
                kinds.append("op")
        if pos < len(src) or not out:
            self.note(p, ln, f"condition {src!r} is not converted; the choice is always shown")
            return None
        # declare variables, typed by what they are compared with
        for i, (tok, kind) in enumerate(zip(out, kinds, strict=True)):
            if kind != "var":
                continue
            typ = "bool"
            for j in (i - 2, i + 2):  # `$x > 3` / `3 < $x`: the operand across a comparison
                if 0 <= j < len(out) and out[(i + j) // 2] in ("==", "!=", "<", "<=", ">", ">="):
                    typ = {"num": "int", "str": "str"}.get(kinds[j], typ)
            name = self._declare(p, ln, tok[1:], typ)
            if name is None:
                return None
            out[i] = name
        result = ""
        for i, tok in enumerate(out):
            glue = "" if i == 0 or out[i - 1] in ("(", "not(") or tok == ")" else " "
            result += glue + tok
        try:
            from .expr import infer_type, parse_condition

            types = {n: t for n, (t, _d) in self.variables.items()}
            if infer_type(parse_condition(result), types) != "bool":  # type: ignore[arg-type]
                raise ValueError("not a condition")
        except (ContentError, ValueError) as exc:
            self.note(
                p, ln, f"condition {src!r} is not converted ({exc}); the choice is always shown"
            )
            return None
        self.note(p, ln, f"condition {src!r} became `if: {result}` on the links it guards", True)
        return result

    # ---- passage bodies: walk the markup tree (twee_markup.py) ----------------------------

    def _body(self, p: _Passage) -> list[MNode]:
        """The markup tree of a passage body; nesting problems are reported."""
        toks = scan(
            "\n".join(p.body),
            p.line + 1,
            harlowe=self.dialect != "sugarcube",
            sugarcube=self.dialect != "harlowe",
        )
        nodes, problems = tree(toks)
        for ln, msg in problems:
            self.note(p, ln or p.line, msg)
        return nodes

    def _assign(self, p: _Passage, node: MNode, ctx: _Ctx, out: _Out) -> None:
        """`(set:)`, `(put:)` or `<<set>>`: an effect where it happens, or a report."""
        parts = _assignments(node)
        if parts is None:
            self.note(p, node.line, f"assignment {_short(node.text)!r} is too complex to convert")
            return
        for var, value in parts:
            if var.startswith("_"):
                data = js_literal(value)
                if data is not None and not (ctx.conds or ctx.inside or ctx.link):
                    # a list of choices (or a name) a widget or <<for>> builds links from: kept
                    # for this passage only, never a story variable
                    out.temps[var] = data
                    self.note(
                        p,
                        node.line,
                        f"temporary {var} kept while converting this passage "
                        "(links built from it become choices; it is not a story variable)",
                        True,
                    )
                    continue
                self.note(
                    p,
                    node.line,
                    f"temporary variable in {_short(node.text)!r} not converted "
                    "(the story format has no temporary variables)",
                )
                continue
            var = var[1:]
            lit = _literal(value, var)
            if lit is None:
                self.note(
                    p, node.line, f"assignment {_short(node.text)!r} is too complex to convert"
                )
                continue
            if ctx.link is None and (ctx.conds or ctx.inside):
                where = ctx.inside or "a conditional hook"
                self.note(
                    p,
                    node.line,
                    f"{_short(node.text)!r} happens only inside {where}; not converted "
                    "(as an on-entry effect it would happen always)",
                )
                continue
            if ctx.link is not None:  # declared once the link turns out to be a choice
                if len(ctx.conds) > ctx.link.base or ctx.inside != ctx.link.base_inside:
                    self.note(
                        p,
                        node.line,
                        f"{_short(node.text)!r} happens only under a condition inside a link; "
                        "not converted (as the choice's effect it would happen always)",
                    )
                    continue
                ctx.link.pending.append((node.line, _short(node.text), var, lit))
                continue
            name = self._declare(p, node.line, var, lit[0])
            if name is None:
                continue
            src = self._effect_source(var, name, lit[1])
            out.effects.append(src)
            self.note(p, node.line, f"{_short(node.text)!r} became on_enter effect {src!r}", True)

    def _finish_link(self, p: _Passage, link: _Link, ctx: _Ctx, out: _Out, source: str) -> None:
        """A link macro whose body has been walked: one choice per place it can lead to.

        Jumps run in order and the first that happens wins, as in Twine: a jump inside a
        condition becomes a choice under that condition, each later one also under the
        negation of the earlier ones, and an unconditional jump ends the list.
        """
        if not link.jumps:
            self.note(
                p,
                link.line,
                f"{source!r} leads to no passage (it changes the page in place); not converted",
            )
            self._drop_pending(p, link, source)
            return
        if any(c is None for conds, _t in link.jumps for c in conds):
            self.note(
                p,
                link.line,
                f"where {source!r} leads depends on a condition that is not converted; "
                "the choice is not converted",
            )
            self._drop_pending(p, link, source)
            return
        effects: list[str] = []
        for ln, what, var, lit in link.pending:
            name = self._declare(p, ln, var, lit[0])
            if name is None:
                continue
            src = self._effect_source(var, name, lit[1])
            effects.append(src)
            self.note(p, ln, f"{what!r} in {source!r} became `set: {src}` on that choice", True)
        earlier: list[str] = []
        for conds, target in link.jumps:
            own = self._joined(list(conds))
            parts: list[str | None] = [*ctx.conds, *(f"not ({c})" for c in earlier)]
            if own:
                parts.append(own)
            parts = list(dict.fromkeys(parts))  # an else branch already names the negation
            choice = _Link(link.text, target, link.line, condition=self._joined(parts))
            choice.effects = list(effects)
            out.links.append(choice)
            if not own:
                break  # an unconditional jump: nothing after it can happen
            earlier.append(own)
        if len(link.jumps) > 1 or earlier:
            self.note(
                p,
                link.line,
                f"{source!r} leads to different passages under conditions: one choice per "
                "case (check them)",
                True,
            )

    def _drop_pending(self, p: _Passage, link: _Link, source: str) -> None:
        for ln, what, _var, _lit in link.pending:
            self.note(
                p,
                ln,
                f"{what!r} happens only when {source!r} is clicked; not converted "
                "(as an on-entry effect it would happen always)",
            )

    def _walk(self, p: _Passage, nodes: list[MNode], ctx: _Ctx, out: _Out, depth: int = 0) -> None:
        """Translate a list of sibling nodes under the conditions and link of `ctx`."""
        chain: list[str | None] | None = None  # conditions of the current if/else-if chain
        for node in nodes:
            if node.kind == "text":
                if node.text.strip():
                    chain = None
                self._text(p, node, ctx, out)
                continue
            if node.kind == "link":
                chain = None
                text, target = _split_link(node.text)
                link = _Link(text, target, node.line, condition=self._joined(list(ctx.conds)))
                if node.setter:
                    if ctx.link is None and not ctx.inside:
                        link.effects = self._setter(p, node.line, node.setter, text)
                    else:
                        self.note(p, node.line, f"setter on link {text!r} not converted")
                self._add_link(p, link, ctx, out)
                continue
            if node.kind == "hook":
                self.note(
                    p, node.line, "square brackets (a Harlowe hook or literal text) removed", True
                )
                self._walk(p, node.body, ctx, out, depth)
                continue
            name = node.name
            if name in ("if", "unless", "elseif", "else"):
                if not node.has_body:
                    self.note(p, node.line, f"{node.text!r} has no hook attached; not converted")
                    chain = None
                    continue
                cond: str | None
                if name in ("if", "unless"):
                    cond = self._condition(p, node.line, node.args)
                    if name == "unless" and cond is not None:
                        cond = f"not ({cond})"
                    chain = [cond]
                elif chain is None:
                    self.note(p, node.line, f"{_short(node.text)!r} follows no if; not converted")
                    cond = None
                else:
                    earlier = list(chain)
                    neg = (
                        None
                        if any(c is None for c in earlier)
                        else " and ".join(f"not ({c})" for c in earlier if c)
                    )
                    if name == "elseif":
                        here = self._condition(p, node.line, node.args)
                        chain.append(here)
                        cond = self._joined([neg, here]) if neg is not None else None
                    else:
                        self.note(
                            p, node.line, "else branch: its links get the negated condition", True
                        )
                        cond = neg
                        chain = None
                self._walk(p, node.body, replace(ctx, conds=(*ctx.conds, cond)), out, depth)
                continue
            chain = None
            if name in ("set", "put"):
                self._assign(p, node, ctx, out)
            elif name in ("goto",):
                goto_to = _goto_target(node)
                if goto_to is None:
                    self.note(p, node.line, f"{node.text!r} names no passage; not converted")
                elif ctx.link is not None:
                    extra = ctx.conds[ctx.link.base :]
                    if ctx.inside != ctx.link.base_inside:
                        extra = (*extra, None)  # inside a macro we do not translate
                    ctx.link.jumps.append((extra, goto_to))
                else:
                    self._add_link(
                        p,
                        _Link("", goto_to, node.line, condition=self._joined(list(ctx.conds))),
                        ctx,
                        out,
                    )
                    self.note(
                        p,
                        node.line,
                        f"automatic jump {node.text!r} became a 'Continue' choice",
                        True,
                    )
            elif name in (_H_LINK_MACROS if node.harlowe else _SC_LINK_MACROS):
                self._link_macro(p, node, ctx, out, depth)
            elif name in self.widgets and not node.harlowe and depth < 8:
                self._widget(p, node, ctx, out, depth)
            elif name == "for" and not node.harlowe:
                self._for(p, node, ctx, out, depth)
            elif name in ("namedhook",):
                self.note(p, node.line, f"hook name {node.text!r} removed (its text kept)", True)
                self._walk(p, node.body, ctx, out, depth)
            elif name in ("nobr",):
                self._walk(p, node.body, ctx, out, depth)
            elif name in ("silently",):
                self._walk(p, node.body, replace(ctx, silent=True), out, depth)
            else:
                kind = "Harlowe" if node.harlowe else "SugarCube"
                if node.has_body:
                    self.note(
                        p,
                        node.line,
                        f"{kind} macro {_short(node.text)!r} not converted; "
                        "its text and links are kept, unconditionally",
                    )
                    self._walk(
                        p, node.body, replace(ctx, inside=repr(_short(node.text))), out, depth
                    )
                else:
                    self.note(p, node.line, f"{kind} macro {_short(node.text)!r} not converted")

    @staticmethod
    def _joined(conditions: list[str | None]) -> str | None:
        if any(c is None for c in conditions):
            return None
        parts = [c for c in conditions if c]
        if not parts:
            return None
        return " and ".join(f"({c})" if len(parts) > 1 else c for c in parts)

    def _add_link(self, p: _Passage, link: _Link, ctx: _Ctx, out: _Out) -> None:
        if ctx.link is not None:
            self.note(
                p, link.line, f"link {link.text or link.target!r} inside another link not converted"
            )
            return
        out.links.append(link)

    def _link_macro(self, p: _Passage, node: MNode, ctx: _Ctx, out: _Out, depth: int) -> None:
        """Harlowe (link:), (link-goto:), (click-goto:) ...; SugarCube <<link>>, <<button>>."""
        if ctx.link is not None:
            self.note(p, node.line, f"link {_short(node.text)!r} inside another link not converted")
            return
        args = node.args.strip()
        text: str | None
        target: str | None = None
        if args.startswith("[["):
            m = _LINK_RE.match(args)
            if m is None:
                self.note(p, node.line, f"{_short(node.text)!r} not understood; not converted")
                return
            text, target = _split_link(m.group("inner"))
        else:
            parts = split_args(args)
            found = [self._value(a, ctx, out) for a in parts]
            vals: list[str | None] = [v if isinstance(v, str) else None for v in found]
            if not vals or any(v is None for v in vals[:2]):
                self.note(
                    p,
                    node.line,
                    f"{_short(node.text)!r}: its text or passage is computed; not converted",
                )
                return
            text = vals[0]
            if node.name in ("linkgoto", "linkrevealgoto", "clickgoto"):
                target = vals[1] if len(vals) > 1 else vals[0]
            elif len(vals) > 1:
                target = vals[1]
        assert text is not None
        link = _Link(text, "", node.line, base=len(ctx.conds), base_inside=ctx.inside)
        self._walk(p, node.body, replace(ctx, link=link), out, depth)
        if target:  # <<link "text" "passage">>: the body runs, then the passage opens
            link.jumps.append(((), target))
        self._finish_link(
            p, link, ctx, out, f"<<link {link.text!r}>>" if ctx.env else _short(node.text)
        )

    def _value(self, arg: str, ctx: _Ctx, out: _Out) -> object:
        """A macro argument's value: a string, or `_x`, `_x.key`, `_x[0]`, `_x["key"]` of a
        temporary or loop variable known here; None when it cannot be known without running."""
        lit = string_literal(arg)
        if lit is not None:
            return lit
        m = _TEMP_REF.fullmatch(arg.strip())
        if m is None:
            return None
        env = {**out.temps, **dict(ctx.env)}
        value: object = env.get(m.group("name"))
        for part in _TEMP_PART.finditer(m.group("path") or ""):
            key: object = part.group("attr") or part.group("key")
            if part.group("index") is not None:
                key = int(part.group("index"))
            if isinstance(value, dict) and isinstance(key, str):
                value = value.get(key)
            elif isinstance(value, list) and isinstance(key, int) and 0 <= key < len(value):
                value = value[key]
            else:
                return None
        return value

    def _for(self, p: _Passage, node: MNode, ctx: _Ctx, out: _Out, depth: int) -> None:
        """`<<for _c range _list>>...<</for>>` over a list known here: its body once per item."""
        m = _FOR_RANGE.fullmatch(node.args.strip())
        items = None
        if m is not None:
            items = self._value(m.group("expr"), ctx, out)
            if items is None:
                items = js_literal(m.group("expr"))
        if m is None or not isinstance(items, list) or len(items) > 50 or depth >= 8:
            self.note(
                p,
                node.line,
                f"SugarCube macro {_short(node.text)!r} not converted; "
                "its text and links are kept, unconditionally",
            )
            self._walk(p, node.body, replace(ctx, inside=repr(_short(node.text))), out, depth)
            return
        self.note(p, node.line, f"{_short(node.text)!r} unrolled over {len(items)} items", True)
        for i, item in enumerate(items):
            env = dict(ctx.env)
            env[m.group("item")] = item
            if m.group("index"):
                env[m.group("index")] = i
            self._walk(p, node.body, replace(ctx, env=tuple(env.items())), out, depth + 1)

    def _widget(self, p: _Passage, node: MNode, ctx: _Ctx, out: _Out, depth: int) -> None:
        """A call of a SugarCube widget: its body with the call's arguments put in."""
        args = split_args(node.args)
        body = self.widgets[node.name]

        def arg(m: re.Match[str], quoted: bool) -> str:
            i = int(m.group(1))
            if i >= len(args):
                return "undefined"
            value = args[i]
            lit = string_literal(value)
            return value if quoted or lit is None else lit

        # inside [[...]] the argument is the bare text; elsewhere it keeps its quotes
        def in_link(m: re.Match[str]) -> str:
            return _ARGS_RE.sub(lambda a: arg(a, False), m.group(0))

        source = re.sub(r"\[\[(?:[^\[\]]|\[\d+\])*\]\]", in_link, body)
        source = _ARGS_RE.sub(lambda a: arg(a, True), source)
        toks = scan(source, node.line, harlowe=False, sugarcube=True)
        for t in toks:
            t.line = node.line
        nodes, problems = tree(toks)
        for _ln, msg in problems:
            self.note(p, node.line, f"in widget <<{node.name}>>: {msg}")
        self.note(
            p, node.line, f"widget call {_short(node.text)!r} expanded from its definition", True
        )
        self._walk(p, nodes, ctx, out, depth + 1)

    def _text(self, p: _Passage, node: MNode, ctx: _Ctx, out: _Out) -> None:
        """Plain text: kept, or (when only some players would see it) reported and left out."""
        if ctx.silent or not node.text.strip():
            if not ctx.silent:
                out.text.append(node.text)
            return
        if ctx.link is not None or ctx.conds:
            why = (
                "appears only after a click on the link"
                if ctx.link is not None
                else "is conditional"
            )
            self.note(
                p,
                node.line,
                f"text {_short(node.text.strip())!r} {why}; not converted "
                "(the story format has no conditional text; make it a node of its own)",
            )
            out.text.append("\n" * node.text.count("\n"))
            return
        cleaned: list[str] = []
        for k, line in enumerate(node.text.split("\n")):
            cleaned.append(self._clean(p, node.line + k, line))
        out.text.append("\n".join(cleaned))

    def _clean(self, p: _Passage, ln: int, line: str) -> str:
        """One line of player text: HTML, printed variables and markup out, each reported."""
        if _CONTROL.search(line):
            self.note(p, ln, "control characters removed from the text", True)
            line = _CONTROL.sub("", line)
        if self.dialect != "sugarcube" and _H_LAYOUT_LINE.match(line):
            # Harlowe layout marks on a line of their own: alignment (==> =><= <==),
            # columns (|== ==|) and rules (---); the story format lays text out itself
            self.note(p, ln, f"Harlowe layout markup {line.strip()!r} removed", True)
            return ""
        if self.dialect != "sugarcube" and _H_HEADING.match(line):
            self.note(p, ln, "Harlowe heading mark '#' removed (text kept)", True)
            line = _H_HEADING.sub("", line)
        for m in _HTML.finditer(line):
            self.note(p, ln, f"HTML {m.group(0)!r} removed (text kept)", True)
        line = _HTML.sub("", line)
        for m in _VAR_PRINT.finditer(line):
            self.note(
                p,
                ln,
                f"printed variable {m.group(0)!r} not converted (the format shows fixed text)",
            )
        line = _VAR_PRINT.sub("", line)
        if _MARKUP.search(line):
            self.note(p, ln, "text formatting markup ('' // ~~ ^^ **) removed", True)
            line = _MARKUP.sub("", line)
        if "{" in line or "}" in line:
            self.note(
                p,
                ln,
                "curly braces became round ones ({...} marks placeholders in the story format)",
                True,
            )
            line = line.replace("{", "(").replace("}", ")")
        if "[" in line or "]" in line:
            self.note(p, ln, "square brackets (a Harlowe hook or literal text) removed", True)
            line = line.replace("[", "").replace("]", "")
        for mark in ("<<", ">>", "<", ">"):
            if mark in line:
                self.note(
                    p,
                    ln,
                    f"text still contains {mark!r} (left-over markup?); kept as written, check it",
                )
                break
        return line

    def _passage(self, p: _Passage, ids: dict[str, str]) -> tuple[str, bool]:
        nid = ids[p.name]
        walked = _Out()
        self._walk(p, self._body(p), _Ctx(), walked)
        links, effects = walked.links, walked.effects
        lines = "".join(walked.text).split("\n")
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip()
        if not text:
            text = "..."
            self.note(p, p.line, "passage has no plain text; wrote '...' as its text")

        tags: list[str] = []
        for tag in p.tags:
            if tag in KNOWN_TAGS or (
                tag.startswith("content_warning:") and NAME_RE.match(tag.split(":", 1)[1])
            ):
                tags.append(tag)
                if tag.startswith("content_warning:"):
                    self.warning_topics.add(tag.split(":", 1)[1])
            else:
                new = "x-" + re.sub(r"[^a-z0-9_-]+", "-", tag.lower()).strip("-")
                tags.append(new)
                self.note(p, p.line, f"Twine tag {tag!r} kept as author tag {new!r}", True)
        is_ending = "ending" in tags or not links
        if not links and "ending" not in tags:
            self.note(p, p.line, "passage has no links: it became an ending", True)
        out = [f"  - id: {nid}", f"    text: {yaml_str(text, '    ')}"]
        tags = [t for t in tags if t != "ending"]
        if tags:
            out.append(f"    tags: {yaml_list(tags)}")
        if effects:
            out.append(f"    on_enter: {yaml_list(effects)}")
        if is_ending:
            out.append(f"    ending: {nid.replace('.', '_')}")
            if links:
                self.note(
                    p,
                    p.line,
                    "passage tagged ending has links; they were dropped from "
                    "the ending (endings have no choices)",
                    True,
                )
            return "\n".join(out) + "\n", "help_point" in tags
        out.append("    choices:")
        seen: set[str] = set()
        for link in links:
            if link.target not in ids:
                self.note(
                    p, link.line, f"link to {link.target!r}, which is not a passage: not converted"
                )
                continue
            # a label is player text too: no printed variables or markup in it
            label = " ".join(self._clean(p, link.line, link.text).split()) or "Continue"
            cid = slug(label, "c") if link.text else "next"
            base, n = cid, 2
            while cid in seen or cid in ("text", "speaker"):
                cid, n = f"{base}_{n}", n + 1
            seen.add(cid)
            out.append(f"      - id: {cid}")
            out.append(f"        text: {yaml_str(label, '        ')}")
            out.append(f"        to: {ids[link.target]}")
            if link.condition:
                out.append(f"        if: {json.dumps(link.condition, ensure_ascii=False)}")
            if link.effects:
                out.append(f"        set: {yaml_list(link.effects)}")
        if not seen:
            out.pop()
            out.append(f"    ending: {nid}")
            self.note(
                p, p.line, "no link of this passage could be converted: it became an ending", True
            )
        return "\n".join(out) + "\n", "help_point" in tags

    def _manifest(self, title: str, start: str, data: dict[str, object]) -> str:
        lines = [
            f"# Imported from Twine (IFID {data.get('ifid', 'unknown')}). Review before use.",
            "format: 1",
            f"id: {slug(title, 'story').replace('_', '-')}",
            f"title: {yaml_str(title, '')}",
            f"start: {start}",
            f"source_locale: {self.locale}",
            f"locales: [{self.locale}]",
            "age_guidance:",
            "  min_age: 14",
            '  note: "Imported story: set the age guidance after review."',
        ]
        if self.warning_topics:
            lines.append("content_warnings:")
            for topic in sorted(self.warning_topics):
                lines.append(f'  {topic}: "This part is about {topic.replace("_", " ")}."')
        if self.variables:
            lines.append("variables:")
            for name, (typ, default) in sorted(self.variables.items()):
                lines.append(f"  {name}: {{type: {typ}, default: {default}}}")
        else:
            lines.append("variables: {}")
        lines.append("files: [nodes.yaml, service.yaml]")
        return "\n".join(lines) + "\n"


SERVICE_TEMPLATE = """\
# Service texts from the standard template. The ethics board reviews these with the story.
offers:
  - id: offer.main
    version: 1
    title: "Talk to a real person"
    body: >-
      This service is run by {{organisation}}, funded by {{funder}}. A trained human
      counsellor answers, not a bot.
    stored: >-
      Your messages are kept for {{retention_days}} days after the chat ends, then deleted.
      You can erase them any time.
    confidentiality: "What you say stays with the service. {{confidentiality}}"
    yes: "Yes, I want to talk"
    not_now: "Not now"

disclosure:
  who_runs: "This game is made by {{organisation}}."
  funded_by: "It is funded by {{funder}}."
  why: "It helps young people think about online groups, and talk to someone if they want."
  kept: >-
    Your progress stays on this device. At start the game asks the service for the story and
    who is on duty; nothing you write is sent unless you choose to talk.
  help_now: "In danger right now? Call the emergency number 112."

helplines:
  {locale}:
    - name: "Emergency services"
      phone: "112"
      url: ""
      hours: "24/7"
      description: "For immediate danger."
"""


def import_twee_text(text: str, *, source_locale: str = "en") -> ImportResult:
    """Convert Twee 3 source text; raises TweeImportError if it is not Twee at all."""
    return _Converter(parse_twee(text), source_locale).convert()


def import_twee(path: Path, *, source_locale: str = "en") -> ImportResult:
    """Read and convert a .twee file (UTF-8, at most 4 MiB)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise TweeImportError(f"{path}: cannot read: {exc.strerror}") from exc
    if len(data) > MAX_TWEE_BYTES:
        raise TweeImportError(f"{path}: larger than {MAX_TWEE_BYTES} bytes")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TweeImportError(f"{path}: not valid UTF-8 at byte {exc.start}") from exc
    try:
        return import_twee_text(text, source_locale=source_locale)
    except TweeImportError as exc:
        raise TweeImportError(f"{path}: {exc}") from None
