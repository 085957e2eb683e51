"""The story engine: current node, variables, visit counts, history, rollback and saves.

Pure and deterministic: no pygame, no clock, no I/O. Rules:
- entering a node counts a visit, then runs its `on_enter` effects;
- `choose` runs the choice's `set` effects, then enters the target;
- `back` undoes one step unless the current node or the one before it is a consent point;
- `from_save` never raises: unknown nodes resolve through `replaces:` or fall back to the most
  recent surviving node of the saved history (else `start`), and every repair is reported.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from .bundle import Bundle
from .exceptions import BackNotAllowed, ChoiceNotAvailable, EngineError
from .expr import Value, apply_effect, evaluate, type_of
from .model import Choice, Node

SAVE_FORMAT = "crossroads-save/1"
UNDO_LIMIT = 100
HISTORY_LIMIT = 10_000
MAX_SAVE_ITEMS = 100_000


@dataclass(frozen=True)
class _Snapshot:
    node: str
    variables: dict[str, Value]
    visits: dict[str, int]
    history_len: int


class Engine:
    """Runs one playthrough of a bundle. See the module docstring for the rules."""

    def __init__(self, bundle: Bundle, locale: str | None = None, *, start: str | None = None):
        self.bundle = bundle
        self.locale = locale if locale is not None else bundle.source_locale
        self._vars: dict[str, Value] = {n: v.default for n, v in bundle.variables.items()}
        self._visits: dict[str, int] = {}
        self._history: list[str] = []
        self._choices_made: list[str] = []
        self._undo: list[_Snapshot] = []
        first = start if start is not None else bundle.start
        if first not in bundle.nodes:
            raise EngineError(f"no node {first!r} to start at")
        self._node_id = first
        self._enter(first)

    # -- state -----------------------------------------------------------------------------
    @property
    def node(self) -> Node:
        """The node the player is at."""
        return self.bundle.nodes[self._node_id]

    @property
    def variables(self) -> Mapping[str, Value]:
        """Current variable values (read-only view)."""
        return MappingProxyType(self._vars)

    @property
    def visits(self) -> Mapping[str, int]:
        """How often each node was entered (read-only view)."""
        return MappingProxyType(self._visits)

    @property
    def history(self) -> tuple[str, ...]:
        """Node ids entered so far, oldest first (the current node last)."""
        return tuple(self._history)

    @property
    def route(self) -> tuple[str, ...]:
        """Choice ids taken so far (for replaying a playthrough)."""
        return tuple(self._choices_made)

    @property
    def at_help_point(self) -> bool:
        """True where the game should offer a conversation (node tagged help_point)."""
        return self.node.is_help_point

    @property
    def at_ending(self) -> bool:
        """True at an ending node."""
        return self.node.is_ending

    @property
    def ending(self) -> str | None:
        """The ending id at an ending node, else None."""
        return self.node.ending if self.node.is_ending else None

    def text(self, line_id: str) -> str:
        """A line in the engine's locale (falling back to the source locale)."""
        return self.bundle.text(line_id, self.locale)

    def _visit_count(self, node_id: str) -> int:
        return self._visits.get(node_id, 0)

    # -- moves -----------------------------------------------------------------------------
    def _enter(self, node_id: str) -> None:
        self._node_id = node_id
        self._visits[node_id] = self._visits.get(node_id, 0) + 1
        self._history.append(node_id)
        if len(self._history) > HISTORY_LIMIT:
            del self._history[: len(self._history) - HISTORY_LIMIT]
        for src in self.bundle.nodes[node_id].on_enter:
            apply_effect(self.bundle.effect(src), self._vars, self._visit_count)

    def is_available(self, choice: Choice) -> bool:
        """True if the choice's condition holds now."""
        if choice.condition is None:
            return True
        return bool(
            evaluate(self.bundle.condition(choice.condition), self._vars, self._visit_count)
        )

    def choices(self) -> list[Choice]:
        """Choices whose condition holds now, in story order (none at an ending)."""
        node = self.node
        if node.is_ending:
            return []
        return [c for c in node.choices if self.is_available(c)]

    def choose(self, choice_id: str) -> Node:
        """Take an available choice; raises ChoiceNotAvailable otherwise. Returns the new node."""
        for choice in self.choices():
            if choice.id == choice_id:
                break
        else:
            raise ChoiceNotAvailable(
                f"choice {choice_id!r} is not available at node {self._node_id!r}"
            )
        return self._take(choice)

    def _take(self, choice: Choice) -> Node:
        """Apply an available choice (callers have checked availability)."""
        self._undo.append(
            _Snapshot(self._node_id, dict(self._vars), dict(self._visits), len(self._history))
        )
        if len(self._undo) > UNDO_LIMIT:
            del self._undo[0]
        for src in choice.effects:
            apply_effect(self.bundle.effect(src), self._vars, self._visit_count)
        self._choices_made.append(choice.id)
        self._enter(choice.target)
        return self.node

    def can_back(self) -> bool:
        """True if one step can be undone without crossing a consent point."""
        if not self._undo:
            return False
        if self.node.is_consent_point:
            return False
        previous = self.bundle.nodes.get(self._undo[-1].node)
        return previous is not None and not previous.is_consent_point

    def back_blocked_by_consent(self) -> bool:
        """True if a step back exists but would cross a consent point (so it is refused)."""
        return bool(self._undo) and not self.can_back()

    def back(self) -> Node:
        """Undo the last choice; raises BackNotAllowed at the start or across a consent point."""
        if not self.can_back():
            reason = "a consent point cannot be undone" if self._undo else "nothing to undo"
            raise BackNotAllowed(f"cannot go back: {reason}")
        snap = self._undo.pop()
        self._node_id = snap.node
        self._vars = dict(snap.variables)
        self._visits = dict(snap.visits)
        del self._history[snap.history_len :]
        if self._choices_made:
            self._choices_made.pop()
        return self.node

    def clone(self, *, with_undo: bool = True) -> Engine:
        """An independent copy of this playthrough (used by exhaustive autoplay)."""
        other = Engine.__new__(Engine)
        other.bundle = self.bundle
        other.locale = self.locale
        other._vars = dict(self._vars)
        other._visits = dict(self._visits)
        other._history = list(self._history)
        other._choices_made = list(self._choices_made)
        other._undo = list(self._undo) if with_undo else []
        other._node_id = self._node_id
        return other

    # -- saves -----------------------------------------------------------------------------
    def to_save(self) -> dict[str, Any]:
        """A JSON-able save; tagged with the bundle hash so updates can be detected."""
        return {
            "format": SAVE_FORMAT,
            "story": self.bundle.id,
            "bundle": self.bundle.sha256,
            "locale": self.locale,
            "node": self._node_id,
            "variables": dict(self._vars),
            "visits": dict(self._visits),
            "history": list(self._history),
            "route": list(self._choices_made),
            "undo": [
                {
                    "node": s.node,
                    "variables": dict(s.variables),
                    "visits": dict(s.visits),
                    "history_len": s.history_len,
                }
                for s in self._undo
            ],
        }

    @classmethod
    def from_save(cls, bundle: Bundle, data: Any) -> tuple[Engine, list[str]]:
        """Restore a save, repairing what a content update broke. Never raises."""
        warnings: list[str] = []
        try:
            return _restore(cls, bundle, data, warnings)
        except Exception as exc:  # noqa: BLE001 - loading a save must never crash the game
            warnings.append(f"the save could not be read ({type(exc).__name__}); new game started")
            return cls(bundle), warnings


def _restore(
    cls: type[Engine], bundle: Bundle, data: Any, warnings: list[str]
) -> tuple[Engine, list[str]]:
    if not isinstance(data, dict):
        warnings.append("the save is not a save file; new game started")
        return cls(bundle), warnings
    if data.get("format") != SAVE_FORMAT:
        warnings.append(f"unknown save format {data.get('format')!r}; new game started")
        return cls(bundle), warnings
    if data.get("story") not in (None, bundle.id):
        warnings.append(f"the save belongs to story {data.get('story')!r}; new game started")
        return cls(bundle), warnings
    same_bundle = data.get("bundle") == bundle.sha256
    replacements = bundle.content.replacement_map()

    def resolve(node_id: Any) -> str | None:
        seen: set[str] = set()
        current = node_id
        while isinstance(current, str) and current not in bundle.nodes:
            if current in seen or current not in replacements:
                return None
            seen.add(current)
            current = replacements[current]
        return current if isinstance(current, str) else None

    def list_of_str(value: Any) -> list[str]:
        if not isinstance(value, list):
            return []
        return [v for v in value[-MAX_SAVE_ITEMS:] if isinstance(v, str)]

    history_raw = list_of_str(data.get("history"))
    locale = data.get("locale")
    if not isinstance(locale, str) or locale not in bundle.locales:
        locale = bundle.source_locale
    engine = cls(bundle, locale)
    # undo the implicit start entry; state is rebuilt from the save below
    engine._history.clear()
    engine._visits.clear()
    engine._vars = {n: v.default for n, v in bundle.variables.items()}

    saved_node = data.get("node")
    node_id = resolve(saved_node)
    if node_id is None:
        fallback = None
        for old in reversed(history_raw):
            candidate = resolve(old)
            if candidate is not None and not bundle.nodes[candidate].is_ending:
                fallback = candidate
                break
        node_id = fallback or bundle.start
        warnings.append(
            f"node {saved_node!r} no longer exists and nothing replaces it; continuing at "
            f"{node_id!r}" + (" (the last surviving node you visited)" if fallback else "")
        )
    elif node_id != saved_node:
        warnings.append(f"node {saved_node!r} was renamed to {node_id!r}")

    variables = data.get("variables")
    if not isinstance(variables, dict):
        variables = {}
        warnings.append("the save has no variables; defaults used")
    for name, var in bundle.variables.items():
        if name not in variables:
            if not same_bundle:
                warnings.append(f"new variable {name!r} starts at its default {var.default!r}")
            continue
        value = variables[name]
        if isinstance(value, bool | int | str) and type_of(value) == var.type:
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 2**53:
                warnings.append(f"variable {name!r} is out of range; reset to default")
                continue
            engine._vars[name] = value
        else:
            warnings.append(f"variable {name!r} changed type; reset to {var.default!r}")
    dropped = sorted(str(n) for n in variables if n not in bundle.variables)
    if dropped:
        warnings.append(f"variables no longer used were dropped: {', '.join(dropped[:10])}")

    visits = data.get("visits")
    if isinstance(visits, dict):
        for old, count in list(visits.items())[:MAX_SAVE_ITEMS]:
            target = resolve(old)
            if target is None or not isinstance(count, int) or isinstance(count, bool):
                continue
            engine._visits[target] = engine._visits.get(target, 0) + max(0, min(count, 2**53))
    history = [h for h in (resolve(x) for x in history_raw) if h is not None]
    if not history or history[-1] != node_id:
        history.append(node_id)
    engine._history = history[-HISTORY_LIMIT:]
    engine._node_id = node_id
    if engine._visits.get(node_id, 0) < 1:
        engine._visits[node_id] = 1
    engine._choices_made = list_of_str(data.get("route"))

    if not engine.node.is_ending and not engine.choices():
        # the updated story's conditions leave this node without a way on: step back to the
        # most recent node of the history that has one (else the start)
        stuck = engine._node_id
        safe = next(
            (
                h
                for h in reversed(engine._history[:-1])
                if not bundle.nodes[h].is_ending and _has_way_on(engine, h)
            ),
            bundle.start,
        )
        engine._node_id = safe
        engine._history.append(safe)
        engine._visits[safe] = engine._visits.get(safe, 0) + 1
        warnings.append(
            f"node {stuck!r} has no available choice after the update; continuing at {safe!r}"
        )
        same_bundle = False  # the undo stack no longer matches

    if same_bundle:
        engine._undo = _restore_undo(bundle, data.get("undo"), len(engine._history))
    elif data.get("undo"):
        warnings.append("the story was updated; 'back' starts fresh from here")
    return engine, warnings


def _has_way_on(engine: Engine, node_id: str) -> bool:
    return any(engine.is_available(c) for c in engine.bundle.nodes[node_id].choices)


def _restore_undo(bundle: Bundle, raw: Any, history_len: int) -> list[_Snapshot]:
    if not isinstance(raw, list):
        return []
    out: list[_Snapshot] = []
    for item in raw[-UNDO_LIMIT:]:
        if not isinstance(item, dict):
            return []
        node = item.get("node")
        variables = item.get("variables")
        visits = item.get("visits")
        hl = item.get("history_len")
        if (
            node not in bundle.nodes
            or not isinstance(variables, dict)
            or not isinstance(visits, dict)
            or not isinstance(hl, int)
            or isinstance(hl, bool)
            or not 0 <= hl <= history_len
        ):
            return []
        vs: dict[str, Value] = {}
        for name, var in bundle.variables.items():
            v = variables.get(name, var.default)
            vs[name] = (
                v if isinstance(v, bool | int | str) and type_of(v) == var.type else (var.default)
            )
        vc = {
            k: c
            for k, c in visits.items()
            if k in bundle.nodes and isinstance(c, int) and not isinstance(c, bool) and c >= 0
        }
        out.append(_Snapshot(str(node), vs, vc, hl))
    return out
