"""Imports a Twine story in Twee 3 (Harlowe or SugarCube) into the Crossroads YAML format.

Links, link macros and simple variable assignments are converted; every construct that cannot
be converted (conditionals, scripts, styles, printed variables, markup, ...) is reported with
its passage and line - nothing is dropped silently.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

from .exceptions import ContentError, TweeImportError
from .model import KNOWN_TAGS, NAME_RE
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
_HARLOWE_LINK_GOTO = re.compile(
    r"\((?:link-goto|link-reveal-goto|click-goto):\s*(?P<a>\"[^\"]*\"|'[^']*')\s*(?:,\s*(?P<b>\"[^\"]*\"|'[^']*')\s*)?\)",
    re.IGNORECASE,
)
_HARLOWE_LINK_HOOK_GOTO = re.compile(
    r"\(link:\s*(?P<a>\"[^\"]*\"|'[^']*')\s*\)\[\s*\(go-?to:\s*(?P<b>\"[^\"]*\"|'[^']*')\s*\)\s*\]",
    re.IGNORECASE,
)
_HARLOWE_GOTO = re.compile(r"\(go-?to:\s*(?P<a>\"[^\"]*\"|'[^']*')\s*\)", re.IGNORECASE)
_HARLOWE_SET = re.compile(r"\(set:\s*\$(?P<var>\w+)\s+to\s+(?P<value>[^)]*)\)", re.IGNORECASE)
_HARLOWE_MACRO = re.compile(r"\((?P<name>[\w-]+):[^)]*\)(?P<hook>\[)?")
_SC_LINK = re.compile(
    r"<<(?:link|button)\s+(?P<a>\"[^\"]*\"|'[^']*')\s+(?P<b>\"[^\"]*\"|'[^']*')\s*>>"
    r"(?P<body>.*?)<</(?:link|button)>>"
)
_SC_LINK_WIKI = re.compile(
    r"<<(?:link|button)\s+\[\[(?P<inner>[^\]]*)\]\]\s*>>(?P<body>.*?)<</(?:link|button)>>"
)
_SC_GOTO = re.compile(r"<<goto\s+(?:(?P<a>\"[^\"]*\"|'[^']*')|\[\[(?P<w>[^\]]*)\]\])\s*>>")
_SC_SET = re.compile(r"<<set\s+\$(?P<var>\w+)\s+(?:to|=)\s+(?P<value>.*?)>>")
_SC_MACRO = re.compile(r"<</?(?P<name>[\w-]+)[^>]*>>")
_SC_IF_LINE = re.compile(r"^\s*<<if\s+(?P<c>(?:(?!>>).)+)>>\s*$")
_SC_ELSEIF_LINE = re.compile(r"^\s*<<else\s*if\s+(?P<c>(?:(?!>>).)+)>>\s*$")
_SC_ELSE_LINE = re.compile(r"^\s*<<else>>\s*$")
_SC_ENDIF_LINE = re.compile(r"^\s*(<</if>>|<<endif>>)\s*$")
_SC_IF_INLINE = re.compile(r"<<if\s+(?P<c>(?:(?!>>).)+)>>(?P<body>(?:(?!<<else|<<if).)*?)<</if>>")
_H_IF_LINE = re.compile(r"^\s*\((?:if|when):\s*(?P<c>[^\[\]]+?)\)\s*\[\s*$", re.IGNORECASE)
_H_ELSEIF_LINE = re.compile(r"^\s*\]\s*\(else-?if:\s*(?P<c>[^\[\]]+?)\)\s*\[\s*$", re.IGNORECASE)
_H_ELSE_LINE = re.compile(r"^\s*\]\s*\(else:\s*\)\s*\[\s*$", re.IGNORECASE)
_H_CLOSE_LINE = re.compile(r"^\s*\]\s*$")
_H_IF_INLINE = re.compile(
    r"\((?:if|when):\s*(?P<c>[^()]*(?:\([^()]*\)[^()]*)*)\)\[(?P<body>(?:\[\[[^\]]*\]\]|[^\[\]])*)\]",
    re.IGNORECASE,
)
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
_HTML = re.compile(r"</?[a-zA-Z][^<>]*>")
_VAR_PRINT = re.compile(r"(?<![\w$])[$_][A-Za-z_]\w*")
_MARKUP = re.compile(r"''|(?<!:)//|~~|\^\^|\*\*")


def _unquote(s: str) -> str:
    return s[1:-1]


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


class _Converter:
    def __init__(self, passages: list[_Passage], source_locale: str) -> None:
        self.passages = passages
        self.locale = source_locale
        self.notes: list[Note] = []
        self.variables: dict[str, tuple[str, str]] = {}  # name -> (type, default source)
        self.warning_topics: set[str] = set()

    def note(self, p: _Passage, line: int, msg: str, converted: bool = False) -> None:
        self.notes.append(Note(p.name, line, msg, converted))

    def convert(self) -> ImportResult:
        """Convert all passages into story files and collect the notes."""
        title = "Untitled story"
        data: dict[str, object] = {}
        story_passages: list[_Passage] = []
        for p in self.passages:
            if p.name == "StoryTitle":
                title = " ".join(line.strip() for line in p.body if line.strip()) or title
                title = title.replace("{", "(").replace("}", ")")
            elif p.name == "StoryData":
                try:
                    parsed = json.loads("\n".join(p.body) or "{}")
                    data = parsed if isinstance(parsed, dict) else {}
                except ValueError:
                    self.note(p, p.line, "StoryData is not valid JSON; ignored")
            elif p.name in SPECIAL_PASSAGES or set(p.tags) & SPECIAL_TAGS:
                self._special(p)
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
            for offset, line in enumerate(p.body, start=1):
                for m in list(_HARLOWE_SET.finditer(line)) + list(_SC_SET.finditer(line)):
                    lit = _literal(m.group("value"), m.group("var"))
                    if lit is None or lit[1].startswith(f"{m.group('var')} "):
                        self.note(
                            p,
                            p.line + offset,
                            f"start value {m.group(0)!r} is not a simple literal",
                        )
                        continue
                    self.variables[m.group("var").lower()] = lit
                    self.note(
                        p,
                        p.line + offset,
                        f"{m.group(0)!r} became the default of variable {m.group('var').lower()!r}",
                        True,
                    )
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
        name = var.lower()
        if not NAME_RE.match(name):
            name = slug(name, "v")
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

    def _links_in(
        self, p: _Passage, ln: int, line: str, links: list[_Link], condition: str | None
    ) -> str:
        """Take every link out of `line` (into `links`); returns the remaining text."""

        def take(text: str, target: str) -> None:
            links.append(_Link(text, target, ln, condition=condition))

        for m in _SC_LINK.finditer(line):
            take(_unquote(m.group("a")), _unquote(m.group("b")))
            if m.group("body").strip():
                self.note(p, ln, f"code inside <<link>> not converted: {m.group('body')!r}")
        line = _SC_LINK.sub("", line)
        for m in _SC_LINK_WIKI.finditer(line):
            take(*_split_link(m.group("inner")))
            if m.group("body").strip():
                self.note(p, ln, f"code inside <<link>> not converted: {m.group('body')!r}")
        line = _SC_LINK_WIKI.sub("", line)
        for m in _HARLOWE_LINK_HOOK_GOTO.finditer(line):
            take(_unquote(m.group("a")), _unquote(m.group("b")))
        line = _HARLOWE_LINK_HOOK_GOTO.sub("", line)
        for m in _HARLOWE_LINK_GOTO.finditer(line):
            a = _unquote(m.group("a"))
            take(a, _unquote(m.group("b")) if m.group("b") else a)
        line = _HARLOWE_LINK_GOTO.sub("", line)
        for m in list(_HARLOWE_GOTO.finditer(line)) + list(_SC_GOTO.finditer(line)):
            target = _unquote(m.group("a")) if m.group("a") else _split_link(m.group("w"))[1]
            take("", target)
            self.note(p, ln, f"automatic jump {m.group(0)!r} became a 'Continue' choice", True)
        line = _SC_GOTO.sub("", _HARLOWE_GOTO.sub("", line))
        for m in _LINK_RE.finditer(line):
            text, target = _split_link(m.group("inner"))
            take(text, target)
            if m.group("setter"):
                links[-1].effects = self._setter(p, ln, m.group("setter"), text)
        return _LINK_RE.sub("", line)

    @staticmethod
    def _joined(conditions: list[str | None]) -> str | None:
        if any(c is None for c in conditions):
            return None
        parts = [c for c in conditions if c]
        if not parts:
            return None
        return " and ".join(f"({c})" if len(parts) > 1 else c for c in parts)

    def _passage(self, p: _Passage, ids: dict[str, str]) -> tuple[str, bool]:
        nid = ids[p.name]
        links: list[_Link] = []
        effects: list[str] = []
        text_lines: list[str] = []
        # open conditional blocks: (condition or None if unconvertible, earlier branches)
        blocks: list[tuple[str | None, list[str | None]]] = []
        for offset, raw in enumerate(p.body, start=1):
            ln = p.line + offset
            line = raw
            m_if = _SC_IF_LINE.match(line) or _H_IF_LINE.match(line)
            m_elif = _SC_ELSEIF_LINE.match(line) or _H_ELSEIF_LINE.match(line)
            if m_if or (m_elif and blocks):
                m = m_if or m_elif
                assert m is not None
                cond = self._condition(p, ln, m.group("c"))
                if m_if:
                    blocks.append((cond, []))
                else:
                    prev, earlier = blocks.pop()
                    blocks.append((cond, [*earlier, prev]))
                continue
            if (_SC_ELSE_LINE.match(line) or _H_ELSE_LINE.match(line)) and blocks:
                prev, earlier = blocks.pop()
                branches = [*earlier, prev]
                neg = (
                    None
                    if any(b is None for b in branches)
                    else " and ".join(f"not ({b})" for b in branches if b)
                )
                blocks.append((neg, branches))
                self.note(p, ln, "else branch: its links get the negated condition", True)
                continue
            if _SC_ENDIF_LINE.match(line) or (_H_CLOSE_LINE.match(line) and blocks):
                if blocks:
                    blocks.pop()
                continue
            outer = [b[0] for b in blocks]
            if blocks and line.strip() and not _LINK_RE.fullmatch(line.strip()):
                self.note(p, ln, "text inside a conditional block is shown always", False)

            def inline_if(m: re.Match[str], ln: int = ln, outer: list[str | None] = outer) -> str:
                found: list[_Link] = []
                rest = self._links_in(p, ln, m.group("body"), found, None)
                if found:
                    cond = self._joined([*outer, self._condition(p, ln, m.group("c"))])
                    for link in found:
                        link.condition = cond
                    links.extend(found)
                if rest.strip():
                    self.note(p, ln, f"conditional text {rest.strip()!r} is shown always")
                return rest

            line = _SC_IF_INLINE.sub(inline_if, line)
            line = _H_IF_INLINE.sub(inline_if, line)
            line = self._links_in(p, ln, line, links, self._joined(outer))

            for m in list(_HARLOWE_SET.finditer(line)) + list(_SC_SET.finditer(line)):
                var = m.group("var")
                lit = _literal(m.group("value"), var)
                if lit is None:
                    self.note(p, ln, f"assignment {m.group(0)!r} is too complex to convert")
                    continue
                name = self._declare(p, ln, var, lit[0])
                if name is None:
                    continue
                src = self._effect_source(var, name, lit[1])
                effects.append(src)
                self.note(p, ln, f"{m.group(0)!r} became on_enter effect {src!r}", True)
            line = _SC_SET.sub("", _HARLOWE_SET.sub("", line))
            hooked = False
            for m in _HARLOWE_MACRO.finditer(line):
                hooked = hooked or bool(m.group("hook"))
                hook = " and its [hook] text kept unconditionally" if m.group("hook") else ""
                self.note(p, ln, f"Harlowe macro {m.group(0).rstrip('[')!r} not converted{hook}")
            line = _HARLOWE_MACRO.sub("", line)
            for m in _SC_MACRO.finditer(line):
                self.note(p, ln, f"SugarCube macro {m.group(0)!r} not converted")
            line = _SC_MACRO.sub("", line)
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
                if not hooked:
                    self.note(
                        p, ln, "square brackets (a Harlowe hook or literal text) removed", True
                    )
                line = line.replace("[", "").replace("]", "")
            text_lines.append(line.rstrip())
        text = re.sub(r"\n{3,}", "\n\n", "\n".join(text_lines)).strip()
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
            label = link.text or "Continue"
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
