"""The content bundle: canonical (RFC 8785) JSON of a whole story with all locales, and its hash.

The server serves bundles, the ethics log refers to them by SHA-256, and the game runs them.
`Bundle.from_bytes` validates structure and integrity, so a corrupt bundle never reaches play.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Any

import rfc8785

from .diagnostics import Diagnostic
from .exceptions import BundleError
from .expr import Effect, Expr, parse_condition, parse_effect
from .loader import Story
from .model import (
    DISCLOSURE_KEYS,
    FORMAT_VERSION,
    OFFER_FIELDS,
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
from .validate import integrity

MAX_BUNDLE_BYTES = 16 * 1024 * 1024


def content_to_json(c: StoryContent) -> dict[str, Any]:
    """The bundle's JSON document (keys get sorted by the canonicaliser)."""
    return {
        "format": c.format,
        "id": c.id,
        "title": c.title,
        "start": c.start,
        "source_locale": c.source_locale,
        "locales": list(c.locales),
        "age_guidance": {"min_age": c.min_age, "note": c.age_note},
        "speakers": dict(c.speakers),
        "content_warnings": dict(c.content_warnings),
        "variables": {v.name: {"type": v.type, "default": v.default} for v in c.variables.values()},
        "nodes": {
            n.id: {
                "text": n.text,
                "speaker": n.speaker,
                "choices": [
                    {
                        "id": ch.id,
                        "text": ch.text,
                        "target": ch.target,
                        "condition": ch.condition,
                        "effects": list(ch.effects),
                    }
                    for ch in n.choices
                ],
                "tags": sorted(n.tags),
                "ending": n.ending,
                "replaces": list(n.replaces),
                "offer": n.offer,
                "on_enter": list(n.on_enter),
            }
            for n in c.nodes.values()
        },
        "node_order": list(c.nodes),
        "offers": {
            o.id: {"version": o.version, **{f: getattr(o, f) for f in OFFER_FIELDS}}
            for o in c.offers.values()
        },
        "disclosure": list(c.disclosure),
        "helplines": {
            loc: [
                {
                    "name": h.name,
                    "phone": h.phone,
                    "url": h.url,
                    "hours": h.hours,
                    "description": h.description,
                }
                for h in hs
            ]
            for loc, hs in c.helplines.items()
        },
        "lines": {loc: dict(table) for loc, table in c.lines.items()},
        "free_lines": list(c.free_lines),
        "settings": {nid: st.to_json() for nid, st in c.settings.items()},
        "characters": {
            cid: {"description": ch.description, "look": ch.look.to_json()}
            for cid, ch in c.characters.items()
        },
    }


class _Reader:
    """Strict reader of the bundle JSON: every wrong shape is a BundleError with a path."""

    def get(self, obj: Any, key: str, kind: type | tuple[type, ...], path: str) -> Any:
        if not isinstance(obj, dict) or key not in obj:
            raise BundleError(f"bundle: missing {path}.{key}")
        value = obj[key]
        if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
            raise BundleError(f"bundle: {path}.{key} has the wrong type")
        return value

    def opt_str(self, obj: dict[str, Any], key: str, path: str) -> str | None:
        value = obj.get(key)
        if value is not None and not isinstance(value, str):
            raise BundleError(f"bundle: {path}.{key} must be a string or null")
        return value

    def str_list(self, obj: dict[str, Any], key: str, path: str) -> tuple[str, ...]:
        items = self.get(obj, key, list, path)
        if not all(isinstance(i, str) for i in items):
            raise BundleError(f"bundle: {path}.{key} must be a list of strings")
        return tuple(items)

    def str_map(self, obj: dict[str, Any], key: str, path: str) -> dict[str, str]:
        m = self.get(obj, key, dict, path)
        if not all(isinstance(v, str) for v in m.values()):
            raise BundleError(f"bundle: {path}.{key} must map to strings")
        return dict(m)


def content_from_json(doc: Any) -> StoryContent:
    """Rebuild the content model from bundle JSON; raises BundleError on any wrong shape."""
    r = _Reader()
    if not isinstance(doc, dict):
        raise BundleError("bundle: top level must be a JSON object")
    fmt = r.get(doc, "format", int, "$")
    if fmt != FORMAT_VERSION:
        raise BundleError(f"bundle: unsupported format {fmt}")
    variables: dict[str, Variable] = {}
    for name, spec in r.get(doc, "variables", dict, "$").items():
        t = r.get(spec, "type", str, f"variables.{name}")
        if t not in ("bool", "int", "str") or "default" not in spec:
            raise BundleError(f"bundle: variable {name} is malformed")
        d = spec["default"]
        ok = {
            "bool": isinstance(d, bool),
            "int": isinstance(d, int) and not isinstance(d, bool),
            "str": isinstance(d, str),
        }[t]
        if not ok:
            raise BundleError(f"bundle: default of {name} is not {t}")
        variables[name] = Variable(name, t, d)
    raw_nodes = r.get(doc, "nodes", dict, "$")
    order = r.str_list(doc, "node_order", "$") if "node_order" in doc else tuple(raw_nodes)
    if sorted(order) != sorted(raw_nodes):
        raise BundleError("bundle: node_order does not match nodes")
    nodes: dict[str, Node] = {}
    for nid in order:
        raw = raw_nodes[nid]
        p = f"nodes.{nid}"
        choices = []
        for i, ch in enumerate(r.get(raw, "choices", list, p)):
            cp = f"{p}.choices[{i}]"
            choices.append(
                Choice(
                    id=r.get(ch, "id", str, cp),
                    text=r.get(ch, "text", str, cp),
                    target=r.get(ch, "target", str, cp),
                    condition=r.opt_str(ch, "condition", cp),
                    effects=r.str_list(ch, "effects", cp),
                )
            )
        tags = r.str_list(raw, "tags", p)
        for tag in tags:
            if not tag_ok(tag):
                raise BundleError(f"bundle: unknown tag {tag!r} at {p}")
        ending = r.opt_str(raw, "ending", p)
        nodes[nid] = Node(
            id=nid,
            text=r.get(raw, "text", str, p),
            speaker=r.opt_str(raw, "speaker", p),
            choices=tuple(choices),
            tags=frozenset(tags),
            ending=ending,
            replaces=r.str_list(raw, "replaces", p),
            offer=r.opt_str(raw, "offer", p),
            on_enter=r.str_list(raw, "on_enter", p),
        )
    offers: dict[str, Offer] = {}
    for oid, raw in r.get(doc, "offers", dict, "$").items():
        p = f"offers.{oid}"
        offers[oid] = Offer(
            id=oid,
            version=r.get(raw, "version", int, p),
            **{f: r.get(raw, f, str, p) for f in OFFER_FIELDS},
        )
    helplines: dict[str, tuple[Helpline, ...]] = {}
    for loc, items in r.get(doc, "helplines", dict, "$").items():
        if not isinstance(items, list):
            raise BundleError(f"bundle: helplines.{loc} must be a list")
        helplines[loc] = tuple(
            Helpline(
                **{
                    k: r.get(h, k, str, f"helplines.{loc}")
                    for k in ("name", "phone", "url", "hours", "description")
                }
            )
            for h in items
        )
    lines: dict[str, dict[str, str]] = {}
    for loc, table in r.get(doc, "lines", dict, "$").items():
        if not isinstance(table, dict) or not all(isinstance(v, str) for v in table.values()):
            raise BundleError(f"bundle: lines.{loc} must map line ids to strings")
        lines[loc] = dict(table)
    age = r.get(doc, "age_guidance", dict, "$")
    disclosure = r.str_list(doc, "disclosure", "$")
    missing = [k for k in DISCLOSURE_KEYS if f"disclosure.{k}" not in disclosure]
    if missing:
        raise BundleError(f"bundle: disclosure lacks {', '.join(missing)}")
    source_locale = r.get(doc, "source_locale", str, "$")
    if source_locale not in lines:
        raise BundleError("bundle: no lines for the source locale")
    return StoryContent(
        id=r.get(doc, "id", str, "$"),
        title=r.get(doc, "title", str, "$"),
        start=r.get(doc, "start", str, "$"),
        source_locale=source_locale,
        locales=r.str_list(doc, "locales", "$"),
        min_age=r.get(age, "min_age", int, "age_guidance"),
        age_note=r.get(age, "note", str, "age_guidance"),
        speakers=r.str_map(doc, "speakers", "$"),
        content_warnings=r.str_map(doc, "content_warnings", "$"),
        variables=variables,
        nodes=nodes,
        offers=offers,
        disclosure=disclosure,
        helplines=helplines,
        lines=lines,
        free_lines=r.str_list(doc, "free_lines", "$") if "free_lines" in doc else (),
        settings=_settings_from(r, doc),
        characters=_characters_from(r, doc),
    )


def _checked(r: _Reader, obj: Any, fields: dict[str, tuple[str, ...]], path: str) -> dict[str, str]:
    if not isinstance(obj, dict):
        raise BundleError(f"bundle: {path} must be an object")
    out: dict[str, str] = {}
    for key, value in obj.items():
        if key not in fields or bad_value(key, value, fields[key]) is not None:
            raise BundleError(f"bundle: {path}.{key} is not a known value")
        out[key] = value
    return out


def _settings_from(r: _Reader, doc: dict[str, Any]) -> dict[str, Setting]:
    """Node settings (absent in bundles made before scenery existed: none)."""
    if "settings" not in doc:
        return {}
    out: dict[str, Setting] = {}
    for nid, spec in r.get(doc, "settings", dict, "$").items():
        values = _checked(r, spec, SETTING_FIELDS, f"settings.{nid}")
        if "place" not in values or "time" not in values:
            raise BundleError(f"bundle: settings.{nid} needs place and time")
        out[nid] = setting_from(dict(values))
    return out


def _characters_from(r: _Reader, doc: dict[str, Any]) -> dict[str, Character]:
    """Character sheets (absent in older bundles: none, the game draws a plain figure)."""
    if "characters" not in doc:
        return {}
    out: dict[str, Character] = {}
    for cid, spec in r.get(doc, "characters", dict, "$").items():
        description = r.get(spec, "description", str, f"characters.{cid}")
        look = _checked(
            r, r.get(spec, "look", dict, f"characters.{cid}"), LOOK_FIELDS, f"characters.{cid}.look"
        )
        if "kind" not in look:
            raise BundleError(f"bundle: characters.{cid}.look needs a kind")
        out[cid] = Character(cid, description, look_from(dict(look)))
    return out


class Bundle:
    """A whole story, all locales, in canonical form; immutable once built."""

    def __init__(self, content: StoryContent) -> None:
        self._content = content
        self._conditions: dict[str, Expr] = {}
        self._effects: dict[str, Effect] = {}

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_story(cls, story: Story) -> Bundle:
        """The bundle of a loaded (already validated) story."""
        return cls(story.content)

    @classmethod
    def from_bytes(cls, data: bytes, *, require_canonical: bool = False) -> Bundle:
        """Parse and validate bundle bytes; raises BundleError with a reason.

        With `require_canonical`, bytes that are not exactly the canonical form are refused,
        so `sha256(data) == bundle.sha256` is guaranteed (use it where hashes are recorded).
        """
        if len(data) > MAX_BUNDLE_BYTES:
            raise BundleError(f"bundle is larger than {MAX_BUNDLE_BYTES} bytes")
        try:
            doc = json.loads(data.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError) as exc:
            raise BundleError(f"bundle is not valid UTF-8 JSON: {exc}") from exc
        try:
            content = content_from_json(doc)
        except BundleError:
            raise
        except (TypeError, AttributeError, KeyError) as exc:
            raise BundleError(f"bundle is malformed: {exc}") from exc
        errors: list[Diagnostic] = [d for d in integrity(content, lambda _k: None) if d.is_error]
        if errors:
            raise BundleError(f"bundle failed validation: {errors[0].message}", errors)
        bundle = cls(content)
        if require_canonical and bundle.to_bytes() != data:
            raise BundleError("bundle bytes are not in canonical form (RFC 8785)")
        return bundle

    # -- canonical form ----------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        """The bundle as a JSON-able document (before canonicalisation)."""
        return content_to_json(self._content)

    @cached_property
    def _bytes(self) -> bytes:
        return rfc8785.dumps(self.to_json())

    def to_bytes(self) -> bytes:
        """The canonical RFC 8785 bytes; the same story always gives the same bytes."""
        return self._bytes

    @cached_property
    def sha256(self) -> str:
        """Hex SHA-256 of `to_bytes()`: the id the server and the ethics log use."""
        return hashlib.sha256(self._bytes).hexdigest()

    # -- accessors ---------------------------------------------------------------------------
    @property
    def content(self) -> StoryContent:
        return self._content

    @property
    def id(self) -> str:
        return self._content.id

    @property
    def start(self) -> str:
        return self._content.start

    @property
    def title(self) -> str:
        return self._content.title

    @property
    def min_age(self) -> int:
        return self._content.min_age

    @property
    def age_note(self) -> str:
        return self._content.age_note

    @property
    def locales(self) -> tuple[str, ...]:
        return self._content.locales

    @property
    def source_locale(self) -> str:
        return self._content.source_locale

    @property
    def nodes(self) -> dict[str, Node]:
        return self._content.nodes

    @property
    def offers(self) -> dict[str, Offer]:
        return self._content.offers

    @property
    def disclosure(self) -> tuple[str, ...]:
        return self._content.disclosure

    @property
    def helplines(self) -> dict[str, tuple[Helpline, ...]]:
        return self._content.helplines

    @property
    def variables(self) -> dict[str, Variable]:
        return self._content.variables

    @property
    def speakers(self) -> dict[str, str]:
        return self._content.speakers

    @property
    def content_warnings(self) -> dict[str, str]:
        return self._content.content_warnings

    def text(self, line_id: str, locale: str | None = None) -> str:
        """Text of a line in `locale`, falling back to the source locale."""
        return self._content.text(line_id, locale)

    def helplines_for(self, locale: str) -> tuple[Helpline, ...]:
        """Helplines of a locale, falling back to the source locale's."""
        return self.helplines.get(locale) or self.helplines.get(self.source_locale, ())

    # -- compiled expressions (cached; validated at load, so parsing cannot fail here) -------
    def condition(self, source: str) -> Expr:
        """The parsed condition (cached)."""
        expr = self._conditions.get(source)
        if expr is None:
            expr = self._conditions[source] = parse_condition(source)
        return expr

    def effect(self, source: str) -> Effect:
        """The parsed effect (cached)."""
        eff = self._effects.get(source)
        if eff is None:
            eff = self._effects[source] = parse_effect(source)
        return eff

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Bundle) and other.sha256 == self.sha256

    def __hash__(self) -> int:
        return hash(self.sha256)

    def __repr__(self) -> str:
        return f"<Bundle {self.id} {self.sha256[:12]} nodes={len(self.nodes)}>"
