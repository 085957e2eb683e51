"""Loads a story directory (manifest + content files + translation tables) into a Story.

Collects every problem as a Diagnostic with file:line:column instead of stopping at the first;
`load_story` raises a typed ContentError if any error was found, `parse_story` returns them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import validate
from .diagnostics import Diagnostic, Location, sort_key
from .exceptions import ContentError, ContentFileError, ContentSchemaError, ContentSyntaxError
from .expr import Value
from .model import (
    CHOICE_ID_RE,
    DEFAULT_OFFER,
    DISCLOSURE_KEYS,
    LINE_ID_RE,
    LOCALE_RE,
    NAME_RE,
    NODE_ID_RE,
    OFFER_FIELDS,
    STORY_ID_RE,
    Choice,
    Helpline,
    Node,
    Offer,
    StoryContent,
    Variable,
    tag_ok,
)
from .scenery import (
    LOOK_FIELDS,
    SETTING_FIELDS,
    Character,
    Setting,
    bad_value,
    look_from,
    setting_from,
)
from .yamlsrc import YValue, read_yaml_file, type_name

MANIFEST_NAME = "story.yaml"
RESERVED_CHOICE_IDS = frozenset({"text", "speaker"})


@dataclass(frozen=True)
class Story:
    """A loaded story: the content plus where everything came from (for lint and tools)."""

    content: StoryContent
    root: Path
    manifest: Path
    locations: dict[str, Location] = field(default_factory=dict)
    test_files: tuple[Path, ...] = ()
    source_files: tuple[Path, ...] = ()
    translation_files: dict[str, Path] = field(default_factory=dict)
    warnings: tuple[Diagnostic, ...] = ()

    @property
    def nodes(self) -> dict[str, Node]:
        return self.content.nodes

    @property
    def start(self) -> str:
        return self.content.start

    @property
    def locales(self) -> tuple[str, ...]:
        return self.content.locales

    @property
    def source_locale(self) -> str:
        return self.content.source_locale

    def locate(self, key: str) -> Location | None:
        return self.locations.get(key)


def find_manifest(path: Path) -> Path:
    """Accept the story directory or the manifest file itself."""
    return path / MANIFEST_NAME if path.is_dir() else path


class _Builder:
    """Turns located YAML values into the content model, collecting diagnostics."""

    def __init__(self) -> None:
        self.diags: list[Diagnostic] = []
        self.locations: dict[str, Location] = {}
        self.broken_nodes: set[str] = set()

    # -- helpers ---------------------------------------------------------------------------
    def err(self, code: str, message: str, loc: Location | None) -> None:
        self.diags.append(Diagnostic(code, message, loc))

    def mapping(
        self,
        y: YValue,
        what: str,
        required: tuple[str, ...],
        optional: tuple[str, ...] = (),
        *,
        open_keys: bool = False,
    ) -> dict[str, YValue] | None:
        if not isinstance(y.value, dict):
            self.err("E101", f"{what} must be a mapping (key: value), not {y.kind}", y.loc)
            return None
        m: dict[str, YValue] = y.value
        ok = True
        for key in required:
            if key not in m:
                self.err("E102", f"{what} needs `{key}:`", y.loc)
                ok = False
        if not open_keys:
            allowed = set(required) | set(optional)
            for key in m:
                if key not in allowed:
                    hint = ", ".join(sorted(allowed))
                    self.err(
                        "E103", f"unknown key `{key}` in {what} (allowed: {hint})", y.key_locs[key]
                    )
        return m if ok else None

    def string(self, y: YValue, what: str, *, allow_empty: bool = False) -> str | None:
        v = y.value
        if isinstance(v, bool) or not isinstance(v, str | int | float):
            if v is None and allow_empty:
                return ""
            self.err("E101", f"{what} must be text, not {y.kind}", y.loc)
            return None
        text = str(v).strip() if isinstance(v, str) else str(v)
        if not text and not allow_empty:
            self.err("E101", f"{what} must not be empty", y.loc)
            return None
        return text

    def integer(self, y: YValue, what: str) -> int | None:
        if isinstance(y.value, bool) or not isinstance(y.value, int):
            self.err("E101", f"{what} must be a whole number, not {y.kind}", y.loc)
            return None
        if abs(y.value) > 2**53:
            self.err("E101", f"{what} is too large", y.loc)
            return None
        return y.value

    def seq(self, y: YValue, what: str) -> list[YValue] | None:
        if not isinstance(y.value, list):
            self.err("E101", f"{what} must be a list, not {y.kind}", y.loc)
            return None
        return list(y.value)

    def ident(self, y: YValue, what: str, pattern: Any, rule: str) -> str | None:
        s = self.string(y, what)
        if s is None:
            return None
        if not pattern.match(s):
            self.err("E104", f"{what} {s!r} is not a valid id ({rule})", y.loc)
            return None
        return s

    def strings(self, y: YValue, what: str) -> list[tuple[str, Location]]:
        """A list of strings, or a single string accepted as a one-item list."""
        if isinstance(y.value, str):
            return [(y.value.strip(), y.loc)]
        items = self.seq(y, what)
        out: list[tuple[str, Location]] = []
        for item in items or []:
            s = self.string(item, f"each entry of {what}")
            if s is not None:
                out.append((s, item.loc))
        return out


NODE_RULE = "lower-case letters, digits and _ in parts joined by dots, starting with a letter"


class _StoryReader:
    def __init__(self, manifest: Path) -> None:
        self.manifest = manifest
        self.root = manifest.parent
        self.b = _Builder()
        self.lines: dict[str, str] = {}
        self.free_lines: list[str] = []
        self.nodes: dict[str, Node] = {}
        self.offers: dict[str, Offer] = {}
        self.disclosure: tuple[str, ...] | None = None
        self.helplines: dict[str, tuple[Helpline, ...]] = {}
        self.translations: dict[str, dict[str, str]] = {}
        self.translation_files: dict[str, Path] = {}
        self.source_files: list[Path] = []
        self.test_files: list[Path] = []
        self.warnings: list[Diagnostic] = []
        self.setting_default: Setting | None = None
        self.settings: dict[str, Setting] = {}
        self.characters: dict[str, Character] = {}
        self._scenery_seen = False

    def display(self, rel: str | Path) -> str:
        return str(self.root / rel)

    def inside(self, rel: str, loc: Location) -> Path | None:
        """A path from the manifest; it must stay inside the story directory."""
        path = self.root / rel
        try:
            path.resolve().relative_to(self.root.resolve())
        except ValueError:
            self.b.err(
                "E001",
                f"{rel!r} is outside the story directory; every story file must live in it",
                loc,
            )
            return None
        return path

    def add_line(self, line_id: str, text: str, loc: Location) -> None:
        key = f"line:{line_id}"
        if line_id in self.lines:
            first = self.b.locations.get(key)
            self.b.err("E106", f"line id {line_id!r} is defined twice (first at {first})", loc)
            return
        self.lines[line_id] = text
        self.b.locations[key] = loc

    # -- manifest -----------------------------------------------------------------------------
    def read(self) -> StoryContent | None:
        b = self.b
        y, diags = read_yaml_file(self.manifest, str(self.manifest))
        if not self.manifest.exists():
            diags = [
                Diagnostic(
                    "E001",
                    "no story here: expected a story directory containing story.yaml, or the "
                    "manifest file itself",
                    Location(str(self.manifest)),
                )
            ]
        b.diags.extend(diags)
        if y is None:
            return None
        m = b.mapping(
            y,
            "the manifest",
            (
                "format",
                "id",
                "title",
                "start",
                "source_locale",
                "locales",
                "age_guidance",
                "variables",
                "files",
            ),
            ("speakers", "content_warnings", "translations", "tests"),
        )
        if m is None:
            return None
        fmt = b.integer(m["format"], "`format`")
        if fmt is not None and fmt != 1:
            b.err("E101", f"unsupported format {fmt}; this version reads format 1", m["format"].loc)
            return None
        story_id = b.ident(m["id"], "story `id`", STORY_ID_RE, "letters, digits, - and _")
        title = b.string(m["title"], "`title`")
        if title is not None:
            self.add_line("story.title", title, m["title"].loc)
        start = b.ident(m["start"], "`start`", NODE_ID_RE, NODE_RULE)
        if start is not None:
            b.locations["manifest:start"] = m["start"].loc
        source_locale = b.ident(m["source_locale"], "`source_locale`", LOCALE_RE, "like en or de")
        locales: list[str] = []
        for loc_name, loc in b.strings(m["locales"], "`locales`"):
            if not LOCALE_RE.match(loc_name):
                b.err("E104", f"locale {loc_name!r} is not a locale code like en or de", loc)
            elif loc_name in locales:
                b.err("E106", f"locale {loc_name!r} is listed twice", loc)
            else:
                locales.append(loc_name)
        if source_locale and locales and source_locale not in locales:
            b.err("E118", f"source_locale {source_locale!r} is not in `locales`", m["locales"].loc)
        min_age, age_note = 0, "story.age_guidance"
        ag = b.mapping(m["age_guidance"], "`age_guidance`", ("min_age", "note"))
        if ag is not None:
            min_age = b.integer(ag["min_age"], "`age_guidance.min_age`") or 0
            note = b.string(ag["note"], "`age_guidance.note`")
            if note is not None:
                self.add_line(age_note, note, ag["note"].loc)
        speakers = self._named_lines(m.get("speakers"), "speakers", "speaker")
        warnings = self._named_lines(
            m.get("content_warnings"), "content_warnings", "content_warning"
        )
        variables = self._variables(m["variables"])

        for rel, loc in b.strings(m["files"], "`files`"):
            path = self.inside(rel, loc)
            if path is None:
                continue
            if path in self.source_files:
                b.err("E106", f"file {rel!r} is listed twice", loc)
                continue
            self.source_files.append(path)
            self._content_file(path)
        if "translations" in m:
            self._translations(m["translations"], locales, source_locale)
        if "tests" in m:
            for rel, loc in b.strings(m["tests"], "`tests`"):
                path = self.inside(rel, loc)
                if path is not None:
                    self.test_files.append(path)
        # a listed locale without a table is allowed (lint warns): that is how a new
        # translation starts, before `crossroads content translate --write` creates the table
        b.locations["manifest:locales"] = m["locales"].loc
        if self.disclosure is None:
            b.err("E115", "no `disclosure:` section in any content file", m["files"].loc)
        if (
            story_id is None
            or title is None
            or start is None
            or source_locale is None
            or self.disclosure is None
        ):
            return None
        settings: dict[str, Setting] = {}
        if self.setting_default is not None or self.settings:
            # every node gets a setting: its own, or the default (lint notes which)
            for node_id in self.nodes:
                chosen = self.settings.get(node_id, self.setting_default)
                if chosen is not None:
                    settings[node_id] = chosen
            for node_id in self.settings:
                if node_id not in self.nodes:
                    settings[node_id] = self.settings[node_id]  # integrity reports it
        all_lines = {source_locale: dict(self.lines)}
        all_lines.update(self.translations)
        return StoryContent(
            id=story_id,
            title="story.title",
            start=start,
            source_locale=source_locale,
            locales=tuple(locales),
            min_age=min_age,
            age_note=age_note,
            speakers=speakers,
            content_warnings=warnings,
            variables=variables,
            nodes=self.nodes,
            offers=self.offers,
            disclosure=self.disclosure,
            helplines=self.helplines,
            lines=all_lines,
            free_lines=tuple(self.free_lines),
            settings=settings,
            characters=dict(self.characters),
        )

    def _named_lines(self, y: YValue | None, section: str, prefix: str) -> dict[str, str]:
        out: dict[str, str] = {}
        if y is None:
            return out
        m = self.b.mapping(y, f"`{section}`", (), open_keys=True)
        for key, val in (m or {}).items():
            if not NAME_RE.match(key):
                self.b.err("E104", f"{section} key {key!r} is not a valid name", y.key_locs[key])
                continue
            text = self.b.string(val, f"`{section}.{key}`")
            if text is not None:
                line_id = f"{prefix}.{key}"
                self.add_line(line_id, text, val.loc)
                out[key] = line_id
        return out

    def _variables(self, y: YValue) -> dict[str, Variable]:
        b = self.b
        out: dict[str, Variable] = {}
        if y.value is None:
            return out
        m = b.mapping(y, "`variables`", (), open_keys=True)
        for name, spec in (m or {}).items():
            kloc = y.key_locs[name]
            if not NAME_RE.match(name):
                b.err("E104", f"variable name {name!r} must be lower-case letters, digits, _", kloc)
                continue
            sm = b.mapping(spec, f"variable `{name}`", ("type", "default"))
            if sm is None:
                continue
            tname = sm["type"].value
            if tname not in ("bool", "int", "str"):
                b.err("E101", f"variable `{name}` type must be bool, int or str", sm["type"].loc)
                continue
            default: Value | None
            dv = sm["default"].value
            if tname == "bool":
                default = dv if isinstance(dv, bool) else None
            elif tname == "int":
                ok_int = isinstance(dv, int) and not isinstance(dv, bool) and abs(dv) <= 2**53
                default = dv if ok_int else None
            else:
                default = dv if isinstance(dv, str) else ("" if dv is None else None)
            if default is None:
                b.err(
                    "E101",
                    f"default of `{name}` must be {tname}, not {type_name(dv)}",
                    sm["default"].loc,
                )
                continue
            out[name] = Variable(name, tname, default)
            b.locations[f"var:{name}"] = kloc
        return out

    # -- content files --------------------------------------------------------------------
    def _content_file(self, path: Path) -> None:
        b = self.b
        y, diags = read_yaml_file(path, str(path))
        b.diags.extend(diags)
        if y is None or y.value is None:
            return
        m = b.mapping(
            y,
            f"content file {path.name}",
            (),
            ("nodes", "lines", "offers", "disclosure", "helplines", "settings", "characters"),
        )
        if m is None:
            return
        if "lines" in m:
            lm = b.mapping(m["lines"], "`lines`", (), open_keys=True)
            for key, val in (lm or {}).items():
                kloc = m["lines"].key_locs[key]
                if not LINE_ID_RE.match(key):
                    b.err("E104", f"line id {key!r} needs at least one dot, e.g. ui.{key}", kloc)
                    continue
                text = b.string(val, f"line `{key}`")
                if text is not None:
                    self.add_line(key, text, val.loc)
                    self.free_lines.append(key)
        if "nodes" in m:
            for item in b.seq(m["nodes"], "`nodes`") or []:
                self._node(item)
        if "offers" in m:
            for item in b.seq(m["offers"], "`offers`") or []:
                self._offer(item)
        if "disclosure" in m:
            self._disclosure(m["disclosure"])
        if "helplines" in m:
            self._helplines(m["helplines"])
        if "settings" in m:
            self._settings(m["settings"])
        if "characters" in m:
            self._characters(m["characters"])

    # -- scenery (scenery.py): where nodes happen, what speakers look like -----------------
    def _vocab(
        self,
        y: YValue,
        what: str,
        fields: dict[str, tuple[str, ...]],
        required: tuple[str, ...],
        extra: tuple[str, ...] = (),
    ) -> dict[str, object] | None:
        """A mapping whose values come from scenery vocabularies (E119 for any other)."""
        b = self.b
        optional = tuple(f for f in fields if f not in required) + extra
        m = b.mapping(y, what, required, optional)
        if m is None:
            return None
        out: dict[str, object] = {}
        ok = True
        for key, val in m.items():
            if key in extra or key not in fields:
                continue  # an unknown key was reported by mapping()
            why = bad_value(key, val.value, fields[key])
            if why is not None:
                b.err("E119", f"{what}: {why}", val.loc)
                ok = False
            out[key] = val.value
        return out if ok else None

    def _settings(self, y: YValue) -> None:
        b = self.b
        if self._scenery_seen:
            b.err("E106", "`settings:` is defined in more than one file", y.loc)
            return
        self._scenery_seen = True
        m = b.mapping(y, "`settings`", ("default",), ("scenes",))
        if m is None:
            return
        default = self._vocab(
            m["default"], "the default setting", SETTING_FIELDS, ("place", "time")
        )
        if default is not None:
            self.setting_default = setting_from(default)
        scenes = (b.seq(m["scenes"], "`scenes`") or []) if "scenes" in m else []
        for item in scenes:
            values = self._vocab(item, "a scene", SETTING_FIELDS, ("place", "time"), ("nodes",))
            if values is None or not isinstance(item.value, dict) or "nodes" not in item.value:
                if values is not None:
                    b.err("E102", "a scene needs `nodes:` (the nodes that happen there)", item.loc)
                continue
            setting = setting_from(values)
            for node_id, loc in b.strings(item.value["nodes"], "`nodes` of a scene"):
                if node_id in self.settings:
                    first = b.locations.get(f"setting:{node_id}")
                    b.err("E106", f"node {node_id!r} has two settings (first at {first})", loc)
                    continue
                self.settings[node_id] = setting
                b.locations[f"setting:{node_id}"] = loc

    def _characters(self, y: YValue) -> None:
        b = self.b
        m = b.mapping(y, "`characters`", (), open_keys=True)
        for key, val in (m or {}).items():
            kloc = y.key_locs[key]
            if not NAME_RE.match(key):
                b.err("E104", f"character {key!r} is not a valid name", kloc)
                continue
            if key in self.characters:
                b.err("E106", f"character {key!r} is described twice", kloc)
                continue
            cm = b.mapping(val, f"character `{key}`", ("description", "look"))
            if cm is None:
                continue
            text = b.string(cm["description"], f"description of `{key}`")
            look = self._vocab(cm["look"], f"look of `{key}`", LOOK_FIELDS, ("kind",))
            if text is None or look is None:
                continue
            line_id = f"character.{key}"
            self.add_line(line_id, text, cm["description"].loc)
            self.characters[key] = Character(key, line_id, look_from(look))
            b.locations[f"character:{key}"] = kloc

    def _node(self, y: YValue) -> None:
        b = self.b
        m = b.mapping(
            y,
            "a node",
            ("id", "text"),
            ("speaker", "tags", "choices", "next", "ending", "offer", "replaces", "on_enter"),
        )
        if m is None:
            if isinstance(y.value, dict) and "id" in y.value:
                raw = y.value["id"].value
                if isinstance(raw, str):
                    self.b.broken_nodes.add(raw)
            return
        node_id = b.ident(m["id"], "node id", NODE_ID_RE, NODE_RULE)
        if node_id is None:
            return
        if node_id in self.nodes or f"node:{node_id}" in b.locations:
            first = b.locations.get(f"node:{node_id}")
            b.err("E106", f"node id {node_id!r} is used twice (first at {first})", m["id"].loc)
            return
        b.locations[f"node:{node_id}"] = m["id"].loc
        before = len(b.diags)
        text = b.string(m["text"], f"text of node {node_id!r}")
        text_id = f"{node_id}.text"
        if text is not None:
            self.add_line(text_id, text, m["text"].loc)
        speaker = None
        if "speaker" in m:
            sp = b.string(m["speaker"], "`speaker`")
            if sp is not None:
                speaker = f"speaker.{sp}"
                b.locations[f"speaker-ref:{node_id}"] = m["speaker"].loc
        tags: set[str] = set()
        if "tags" in m:
            for tag, loc in b.strings(m["tags"], "`tags`"):
                if not tag_ok(tag):
                    b.err(
                        "E105",
                        f"unknown tag {tag!r} (known: help_point, consent_point, ending, "
                        "disclosure, content_warning:<topic>, x-<own>)",
                        loc,
                    )
                    continue
                tags.add(tag)
                b.locations[f"tag:{node_id}:{tag}"] = loc
        ending = None
        if "ending" in m:
            ending = b.ident(m["ending"], "`ending`", NAME_RE, "lower-case letters, digits, _")
            tags.add("ending")
        elif "ending" in tags:
            ending = node_id.replace(".", "_")
        choices: list[Choice] = []
        if "choices" in m:
            for index, cy in enumerate(b.seq(m["choices"], "`choices`") or [], start=1):
                choice = self._choice(node_id, index, cy, [c.id for c in choices])
                if choice is not None:
                    choices.append(choice)
        if "next" in m:
            if "choices" in m:
                b.err("E103", "a node has either `next:` or `choices:`, not both", m["next"].loc)
            target = b.ident(m["next"], "`next`", NODE_ID_RE, NODE_RULE)
            if target is not None:
                choices.append(Choice("next", "ui.continue", target))
                b.locations[f"choice:{node_id}.next"] = m["next"].loc
                b.locations[f"target:{node_id}.next"] = m["next"].loc
        offer = None
        if "offer" in m:
            offer = b.string(m["offer"], "`offer`")
            b.locations[f"offer-ref:{node_id}"] = m["offer"].loc
        elif "help_point" in tags:
            offer = DEFAULT_OFFER
        replaces: list[str] = []
        if "replaces" in m:
            for old, loc in b.strings(m["replaces"], "`replaces`"):
                if not NODE_ID_RE.match(old):
                    b.err("E104", f"`replaces` entry {old!r} is not a valid node id", loc)
                    continue
                replaces.append(old)
                b.locations[f"replaces:{node_id}:{old}"] = loc
        on_enter: list[str] = []
        if "on_enter" in m:
            for i, (src, loc) in enumerate(b.strings(m["on_enter"], "`on_enter`")):
                on_enter.append(src)
                b.locations[f"on_enter:{node_id}#{i}"] = loc
        if len(b.diags) > before or text is None:
            self.b.broken_nodes.add(node_id)
            if text is None:
                return
        self.nodes[node_id] = Node(
            id=node_id,
            text=text_id,
            speaker=speaker,
            choices=tuple(choices),
            tags=frozenset(tags),
            ending=ending,
            replaces=tuple(replaces),
            offer=offer,
            on_enter=tuple(on_enter),
        )

    def _choice(self, node_id: str, index: int, y: YValue, seen: list[str]) -> Choice | None:
        b = self.b
        m = b.mapping(y, f"a choice of node {node_id!r}", ("text", "to"), ("id", "if", "set"))
        if m is None:
            return None
        if "id" in m:
            cid = b.ident(m["id"], "choice id", CHOICE_ID_RE, "lower-case letters, digits, _")
            if cid is None:
                return None
            if cid in RESERVED_CHOICE_IDS:
                b.err("E104", f"choice id {cid!r} is reserved; pick another", m["id"].loc)
                return None
        else:
            cid = f"c{index}"
            self.warnings.append(
                Diagnostic(
                    "W110",
                    f"choice {index} of node {node_id!r} has no `id:`; using {cid!r}, which "
                    "changes if choices are reordered (run `crossroads content ids --write`)",
                    y.loc,
                )
            )
        if cid in seen:
            b.err("E106", f"choice id {cid!r} is used twice in node {node_id!r}", y.loc)
            return None
        key = f"{node_id}.{cid}"
        b.locations[f"choice:{key}"] = y.loc
        text = b.string(m["text"], f"text of choice {cid!r}")
        if text is not None:
            self.add_line(key, text, m["text"].loc)
        target = b.ident(m["to"], "`to`", NODE_ID_RE, NODE_RULE)
        b.locations[f"target:{key}"] = m["to"].loc
        condition = None
        if "if" in m:
            condition = b.string(m["if"], "`if`")
            b.locations[f"if:{key}"] = m["if"].loc
        effects: list[str] = []
        if "set" in m:
            for i, (src, loc) in enumerate(b.strings(m["set"], "`set`")):
                effects.append(src)
                b.locations[f"set:{key}#{i}"] = loc
        if text is None or target is None:
            return None
        return Choice(cid, key, target, condition, tuple(effects))

    def _offer(self, y: YValue) -> None:
        b = self.b
        m = b.mapping(y, "an offer", ("id", "version", *OFFER_FIELDS))
        if m is None:
            return
        oid = b.ident(m["id"], "offer id", LINE_ID_RE, "like offer.main")
        version = b.integer(m["version"], "offer `version`")
        if oid is None or version is None:
            return
        if oid in self.offers:
            b.err("E106", f"offer {oid!r} is defined twice", m["id"].loc)
            return
        b.locations[f"offer:{oid}"] = m["id"].loc
        ids: dict[str, str] = {}
        for fname in OFFER_FIELDS:
            text = b.string(m[fname], f"offer `{fname}`")
            if text is None:
                return
            ids[fname] = f"{oid}.{fname}"
            self.add_line(ids[fname], text, m[fname].loc)
        self.offers[oid] = Offer(oid, version, **ids)

    def _disclosure(self, y: YValue) -> None:
        b = self.b
        if self.disclosure is not None:
            b.err("E106", "`disclosure:` is defined in more than one file", y.loc)
            return
        m = b.mapping(y, "`disclosure`", DISCLOSURE_KEYS, open_keys=True)
        if m is None:
            self.disclosure = ()
            return
        ids: list[str] = []
        order = list(DISCLOSURE_KEYS) + [k for k in m if k not in DISCLOSURE_KEYS]
        for key in order:
            if not NAME_RE.match(key):
                b.err("E104", f"disclosure key {key!r} is not a valid name", y.key_locs[key])
                continue
            text = b.string(m[key], f"disclosure `{key}`")
            if text is not None:
                self.add_line(f"disclosure.{key}", text, m[key].loc)
                ids.append(f"disclosure.{key}")
        self.disclosure = tuple(ids)

    def _helplines(self, y: YValue) -> None:
        b = self.b
        m = b.mapping(y, "`helplines`", (), open_keys=True)
        for locale, items in (m or {}).items():
            if not LOCALE_RE.match(locale):
                b.err("E104", f"helplines key {locale!r} is not a locale", y.key_locs[locale])
                continue
            if locale in self.helplines:
                b.err("E106", f"helplines for {locale!r} defined twice", y.key_locs[locale])
                continue
            lines: list[Helpline] = []
            for item in b.seq(items, f"helplines for {locale}") or []:
                hm = b.mapping(item, "a helpline", ("name", "phone", "url", "hours", "description"))
                if hm is None:
                    continue
                vals = {
                    k: b.string(
                        hm[k], f"helpline `{k}`", allow_empty=k in ("phone", "url", "hours")
                    )
                    for k in ("name", "phone", "url", "hours", "description")
                }
                if all(v is not None for v in vals.values()):
                    lines.append(Helpline(**{k: v or "" for k, v in vals.items()}))
            self.helplines[locale] = tuple(lines)
            b.locations[f"helplines:{locale}"] = y.key_locs[locale]

    def _translations(self, y: YValue, locales: list[str], source: str | None) -> None:
        b = self.b
        m = b.mapping(y, "`translations`", (), open_keys=True)
        for locale, rel_y in (m or {}).items():
            kloc = y.key_locs[locale]
            if locale not in locales or locale == source:
                b.err(
                    "E118", f"translation table for {locale!r}, which is not a target locale", kloc
                )
                continue
            rel = b.string(rel_y, f"translation file for {locale}")
            if rel is None:
                continue
            path = self.inside(rel, rel_y.loc)
            if path is None:
                continue
            self.translation_files[locale] = path
            table: dict[str, str] = {}
            self.translations[locale] = table
            ty, diags = read_yaml_file(path, str(path))
            b.diags.extend(diags)
            if ty is None:
                continue
            tm = b.mapping(ty, f"translation table {rel}", ("locale", "lines"))
            if tm is None:
                continue
            if tm["locale"].value != locale:
                b.err(
                    "E118",
                    f"table says locale {tm['locale'].value!r}, manifest says {locale!r}",
                    tm["locale"].loc,
                )
            if tm["lines"].value is None:
                continue
            lm = b.mapping(tm["lines"], "`lines`", (), open_keys=True)
            for line_id, val in (lm or {}).items():
                text = b.string(val, f"translation of {line_id}", allow_empty=True)
                if text is None:
                    continue
                if text == "":
                    continue  # an empty entry is an untranslated line
                table[line_id] = text
                b.locations[f"tr:{locale}:{line_id}"] = val.loc


def parse_story(path: Path) -> tuple[Story | None, list[Diagnostic]]:
    """Load a story and return it (None if unusable) with every diagnostic, sorted."""
    manifest = find_manifest(path)
    reader = _StoryReader(manifest)
    content = reader.read()
    diags = list(reader.b.diags)
    story: Story | None = None
    if content is not None:
        story = Story(
            content=content,
            root=reader.root,
            manifest=manifest,
            locations=reader.b.locations,
            test_files=tuple(reader.test_files),
            source_files=tuple(reader.source_files),
            translation_files=reader.translation_files,
            warnings=tuple(reader.warnings),
        )
        locate: Callable[[str], Location | None] = reader.b.locations.get
        diags.extend(validate.integrity(content, locate, broken=reader.b.broken_nodes))
    diags.extend(reader.warnings)
    diags.sort(key=sort_key)
    return story, diags


def raise_for(diags: list[Diagnostic]) -> None:
    """Raise the ContentError subclass that fits the first error, listing all errors."""
    errors = [d for d in diags if d.is_error]
    if not errors:
        return
    first = errors[0]
    extra = len(errors) - 1
    more = f" (and {extra} more error{'s' if extra > 1 else ''})" if extra else ""
    message = f"{first}{more}"
    cls: type[ContentError]
    if first.code in ("E001", "E002", "E003"):
        cls = ContentFileError
    elif first.code in ("E004", "E005", "E006"):
        cls = ContentSyntaxError
    else:
        cls = ContentSchemaError
    raise cls(message, errors)


def load_story(path: Path) -> Story:
    """Load and validate a story; raises a ContentError subclass (file:line:col) on errors."""
    story, diags = parse_story(path)
    raise_for(diags)
    if story is None:  # pragma: no cover - an unusable story always has an error
        raise ContentSchemaError(f"{path}: story could not be loaded")
    return story
