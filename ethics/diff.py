"""Readable, node-level diff between two content bundles, per locale.

A board member reads what players of each locale would see change: for every node, offer,
disclosure text, helpline and story-level text that was added, removed or changed, the fields
that differ with their old and new rendered text. Choices are rendered with their target,
condition and effects, so a changed route is visible too.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from game.narrative import Bundle, Node

SECTIONS = ("story", "node", "offer", "disclosure", "helplines", "variables", "character")


@dataclass(frozen=True)
class FieldChange:
    """One field of one item: its old and new rendering (None when absent)."""

    name: str
    old: str | None
    new: str | None


@dataclass(frozen=True)
class Change:
    """One item that was added, removed or changed."""

    kind: str  # added | removed | changed
    section: str  # one of SECTIONS
    id: str
    fields: tuple[FieldChange, ...]


@dataclass
class BundleDiff:
    """All changes per locale, plus the hashes compared."""

    old_hash: str | None
    new_hash: str
    locales: dict[str, list[Change]] = field(default_factory=dict)

    def summary(self) -> dict[str, int]:
        """Counts of added/removed/changed items (in the locale with the most changes)."""
        counts = {"added": 0, "removed": 0, "changed": 0}
        for changes in self.locales.values():
            local = {"added": 0, "removed": 0, "changed": 0}
            for change in changes:
                local[change.kind] += 1
            for key in counts:
                counts[key] = max(counts[key], local[key])
        return counts

    @property
    def empty(self) -> bool:
        """True when nothing a player could see changed."""
        return not any(self.locales.values())

    def to_dict(self) -> dict[str, Any]:
        """JSON form for storage and the board pages."""
        return {
            "old_hash": self.old_hash,
            "new_hash": self.new_hash,
            "summary": self.summary(),
            "locales": {
                loc: [
                    {
                        "kind": c.kind,
                        "section": c.section,
                        "id": c.id,
                        "fields": [{"name": f.name, "old": f.old, "new": f.new} for f in c.fields],
                    }
                    for c in changes
                ]
                for loc, changes in self.locales.items()
            },
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BundleDiff:
        """Inverse of :meth:`to_dict`."""
        diff = cls(old_hash=data.get("old_hash"), new_hash=data["new_hash"])
        for loc, changes in data.get("locales", {}).items():
            diff.locales[loc] = [
                Change(
                    kind=c["kind"],
                    section=c["section"],
                    id=c["id"],
                    fields=tuple(FieldChange(f["name"], f["old"], f["new"]) for f in c["fields"]),
                )
                for c in changes
            ]
        return diff


def _render_node(bundle: Bundle, node: Node, loc: str) -> dict[str, str]:
    out = {"text": bundle.text(node.text, loc)}
    if node.speaker:
        out["speaker"] = bundle.text(node.speaker, loc)
    for choice in node.choices:
        route = f" -> {choice.target}"
        if choice.condition:
            route += f"  [if {choice.condition}]"
        if choice.effects:
            route += f"  {{{'; '.join(choice.effects)}}}"
        out[f"choice {choice.id}"] = bundle.text(choice.text, loc) + route
    if node.tags:
        out["tags"] = ", ".join(sorted(node.tags))
    if node.ending:
        out["ending"] = node.ending
    if node.offer:
        out["offer"] = node.offer
    if node.replaces:
        out["replaces"] = ", ".join(node.replaces)
    if node.on_enter:
        out["on_enter"] = "; ".join(node.on_enter)
    setting = bundle.content.settings.get(node.id)
    if setting is not None:  # the picture is content too: reviewed with the words
        out["setting"] = f"{setting.place}, {setting.time}, {setting.weather}"
    return out


def _render(bundle: Bundle | None, loc: str) -> dict[tuple[str, str], dict[str, str]]:
    """(section, id) -> field -> rendered text, for one locale."""
    items: dict[tuple[str, str], dict[str, str]] = {}
    if bundle is None:
        return items
    items[("story", "story")] = {
        "title": bundle.text(bundle.title, loc),
        "age guidance": f"{bundle.min_age}+: {bundle.text(bundle.age_note, loc)}",
        "start": bundle.start,
        **{f"warning {t}": bundle.text(line, loc) for t, line in bundle.content_warnings.items()},
        **{f"line {lid}": bundle.text(lid, loc) for lid in bundle.content.free_lines},
    }
    for node in bundle.nodes.values():
        items[("node", node.id)] = _render_node(bundle, node, loc)
    for offer in bundle.offers.values():
        fields_ = {"version": str(offer.version)}
        for name in ("title", "body", "stored", "confidentiality", "yes", "not_now"):
            fields_[name] = bundle.text(getattr(offer, name), loc)
        items[("offer", offer.id)] = fields_
    items[("disclosure", "disclosure")] = {
        line: bundle.text(line, loc) for line in bundle.disclosure
    }
    items[("helplines", loc)] = {
        f"{i + 1}. {h.name}": " | ".join(x for x in (h.phone, h.url, h.hours, h.description) if x)
        for i, h in enumerate(bundle.helplines.get(loc, ()))
    }
    for cid, character in bundle.content.characters.items():
        look = character.look.to_json()
        items[("character", cid)] = {
            "description": bundle.text(character.description, loc),
            "portrait": ", ".join(f"{k}: {v}" for k, v in look.items()),
        }
    items[("variables", "variables")] = {
        v.name: f"{v.type} = {v.default!r}" for v in bundle.variables.values()
    }
    return items


def diff_bundles(old: Bundle | None, new: Bundle) -> BundleDiff:
    """Node-level diff per locale; ``old`` None means everything is new."""
    result = BundleDiff(old_hash=old.sha256 if old else None, new_hash=new.sha256)
    locales = list(new.locales) + [
        loc for loc in (old.locales if old else ()) if loc not in new.locales
    ]
    for loc in locales:
        before = _render(old if old and loc in old.locales else None, loc)
        after = _render(new if loc in new.locales else None, loc)
        changes: list[Change] = []
        keys = list(after) + [k for k in before if k not in after]
        for key in keys:
            a, b = before.get(key), after.get(key)
            if a == b:
                continue
            names = list(b or {}) + [n for n in (a or {}) if n not in (b or {})]
            fields_ = tuple(
                FieldChange(n, (a or {}).get(n), (b or {}).get(n))
                for n in names
                if (a or {}).get(n) != (b or {}).get(n)
            )
            kind = "added" if a is None else "removed" if b is None else "changed"
            if fields_ or kind != "changed":
                changes.append(Change(kind, key[0], key[1], fields_))
        result.locales[loc] = changes
    return result


#: States of one item in a rebase's three-way view.
THREE_WAY_STATES = ("ours", "theirs", "conflict")


@dataclass(frozen=True)
class ThreeWayItem:
    """One item that differs between the old base, the proposal and the new base.

    ``ours``: only the proposal changes it (fine). ``theirs``: it changed in what was published
    since the proposal was written, and the proposal still has the old version, so publishing
    it would undo that change. ``conflict``: both changed it differently. The last two are
    flagged for the author and the reviewers.
    """

    locale: str
    section: str
    id: str
    state: str
    fields: tuple[str, ...]

    @property
    def flagged(self) -> bool:
        """True when publishing the proposal as it is would undo or clash with a change."""
        return self.state != "ours"


def three_way(old_base: Bundle | None, ours: Bundle, new_base: Bundle | None) -> list[ThreeWayItem]:
    """Per-node three-way view of a rebase: old base, the proposal, the new base."""
    out: list[ThreeWayItem] = []
    locales = list(ours.locales)
    for other in (old_base, new_base):
        locales += [loc for loc in (other.locales if other else ()) if loc not in locales]
    for loc in locales:
        base = _render(old_base if old_base and loc in old_base.locales else None, loc)
        mine = _render(ours if loc in ours.locales else None, loc)
        theirs = _render(new_base if new_base and loc in new_base.locales else None, loc)
        keys = list(mine) + [k for k in (*base, *theirs) if k not in mine]
        seen: set[tuple[str, str]] = set()
        for key in keys:
            if key in seen:
                continue
            seen.add(key)
            b, m, t = base.get(key), mine.get(key), theirs.get(key)
            if m == t:
                continue
            if t == b:
                state = "ours"
            elif m == b:
                state = "theirs"
            else:
                state = "conflict"
            names = {*(b or {}), *(m or {}), *(t or {})}
            changed = tuple(
                sorted(
                    n
                    for n in names
                    if len({(b or {}).get(n), (m or {}).get(n), (t or {}).get(n)}) > 1
                )
            )
            out.append(ThreeWayItem(loc, key[0], key[1], state, changed))
    return out
