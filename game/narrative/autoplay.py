"""Autoplay: random (seeded) and bounded exhaustive playthroughs of a bundle.

Reports node and choice coverage and which endings are reachable; every failure carries the
seed and the route (choice ids, `back` for a rollback) so it can be replayed exactly.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any

from .bundle import Bundle
from .engine import Engine
from .exceptions import ContentError

BACK = "back"


@dataclass(frozen=True)
class Failure:
    """A playthrough that went wrong, with everything needed to replay it."""

    reason: str
    node: str
    route: tuple[str, ...]
    seed: int | None = None

    def __str__(self) -> str:
        seed = f"seed {self.seed}: " if self.seed is not None else ""
        route = ",".join(self.route) or "(start)"
        return f"{seed}{self.reason} at node {self.node!r}; route: {route}"


@dataclass
class AutoplayReport:
    """Coverage and failures of a set of playthroughs."""

    mode: str
    runs: int = 0
    steps: int = 0
    nodes_total: set[str] = field(default_factory=set)
    nodes_seen: set[str] = field(default_factory=set)
    choices_total: set[tuple[str, str]] = field(default_factory=set)
    choices_taken: set[tuple[str, str]] = field(default_factory=set)
    endings_total: set[str] = field(default_factory=set)
    endings_reached: dict[str, int] = field(default_factory=dict)
    help_points_seen: set[str] = field(default_factory=set)
    failures: list[Failure] = field(default_factory=list)
    lengths: list[int] = field(default_factory=list)  # choices per finished playthrough
    cut_off: int = 0  # exhaustive: paths stopped by --max-depth
    states: int = 0
    truncated: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def endings_missed(self) -> set[str]:
        return self.endings_total - set(self.endings_reached)

    def summary_lines(self) -> list[str]:
        def pct(a: int, b: int) -> str:
            return f"{a}/{b} ({100 * a // b if b else 100}%)"

        lines = [
            f"mode: {self.mode}, runs: {self.runs}, steps: {self.steps}",
            f"nodes visited: {pct(len(self.nodes_seen), len(self.nodes_total))}",
            f"choices taken: {pct(len(self.choices_taken), len(self.choices_total))}",
            "endings reached: "
            + (", ".join(f"{e} ({n})" for e, n in sorted(self.endings_reached.items())) or "none"),
            f"help points seen: {len(self.help_points_seen)}",
        ]
        if self.lengths:
            mean = sum(self.lengths) / len(self.lengths)
            lines.append(
                f"choices per playthrough: min {min(self.lengths)}, mean {mean:.1f}, "
                f"max {max(self.lengths)}"
            )
        if self.endings_missed:
            lines.append("endings NOT reached: " + ", ".join(sorted(self.endings_missed)))
        if self.mode == "exhaustive":
            lines.append(f"states explored: {self.states}, paths cut off by depth: {self.cut_off}")
            if self.truncated:
                lines.append("state limit reached: exploration incomplete")
        untaken = sorted(f"{n}.{c}" for n, c in self.choices_total - self.choices_taken)
        if untaken:
            shown = ", ".join(untaken[:15]) + (" ..." if len(untaken) > 15 else "")
            lines.append(f"choices never taken: {shown}")
        missed = sorted(self.nodes_total - self.nodes_seen)
        if missed:
            shown = ", ".join(missed[:15]) + (" ..." if len(missed) > 15 else "")
            lines.append(f"nodes never visited: {shown}")
        return lines

    def to_json(self) -> dict[str, Any]:
        return {
            "mode": self.mode,
            "ok": self.ok,
            "runs": self.runs,
            "steps": self.steps,
            "nodes": {
                "seen": len(self.nodes_seen),
                "total": len(self.nodes_total),
                "missed": sorted(self.nodes_total - self.nodes_seen),
            },
            "choices": {
                "taken": len(self.choices_taken),
                "total": len(self.choices_total),
                "missed": sorted(f"{n}.{c}" for n, c in self.choices_total - self.choices_taken),
            },
            "endings": {
                "reached": dict(sorted(self.endings_reached.items())),
                "missed": sorted(self.endings_missed),
            },
            "failures": [
                {"reason": f.reason, "node": f.node, "route": list(f.route), "seed": f.seed}
                for f in self.failures
            ],
            "lengths": {
                "min": min(self.lengths, default=0),
                "max": max(self.lengths, default=0),
                "mean": sum(self.lengths) / len(self.lengths) if self.lengths else 0,
            },
            "cut_off": self.cut_off,
            "states": self.states,
            "truncated": self.truncated,
        }


def _new_report(bundle: Bundle, mode: str) -> AutoplayReport:
    r = AutoplayReport(mode)
    r.nodes_total = set(bundle.nodes)
    r.choices_total = {
        (n.id, c.id) for n in bundle.nodes.values() for c in n.choices if not n.is_ending
    }
    r.endings_total = {n.ending for n in bundle.nodes.values() if n.is_ending and n.ending}
    return r


def _note(report: AutoplayReport, engine: Engine) -> None:
    node = engine.node
    report.nodes_seen.add(node.id)
    if node.is_help_point:
        report.help_points_seen.add(node.id)


def play_random(
    bundle: Bundle,
    *,
    runs: int = 100,
    seed: int = 0,
    max_steps: int = 1000,
    back_probability: float = 0.05,
    check_saves: bool = True,
) -> AutoplayReport:
    """`runs` random playthroughs; run i uses seed `seed + i` (replay it with --runs 1)."""
    report = _new_report(bundle, "random")
    for i in range(runs):
        run_seed = seed + i
        failure = _one_random_run(
            bundle, report, run_seed, max_steps, back_probability, check_saves
        )
        report.runs += 1
        if failure is not None:
            report.failures.append(failure)
    return report


def _one_random_run(
    bundle: Bundle,
    report: AutoplayReport,
    run_seed: int,
    max_steps: int,
    back_probability: float,
    check_saves: bool,
) -> Failure | None:
    rng = random.Random(run_seed)
    engine = Engine(bundle)
    route: list[str] = []
    _note(report, engine)
    try:
        for _ in range(max_steps):
            node = engine.node
            if node.is_ending:
                ending = node.ending or node.id
                report.endings_reached[ending] = report.endings_reached.get(ending, 0) + 1
                report.lengths.append(len(engine.route))
                if check_saves:
                    data = engine.to_save()
                    restored, warnings = Engine.from_save(bundle, data)
                    if warnings or restored.to_save() != data:
                        return Failure(
                            "save/load round trip changed the game", node.id, tuple(route), run_seed
                        )
                return None
            if engine.can_back() and rng.random() < back_probability:
                engine.back()
                route.append(BACK)
                report.steps += 1
                continue
            options = engine.choices()
            if not options:
                return Failure("stuck: no choice available", node.id, tuple(route), run_seed)
            choice = rng.choice(options)
            report.choices_taken.add((node.id, choice.id))
            engine.choose(choice.id)
            route.append(choice.id)
            report.steps += 1
            _note(report, engine)
    except ContentError as exc:
        return Failure(f"engine error: {exc}", engine.node.id, tuple(route), run_seed)
    return Failure(f"no ending after {max_steps} steps", engine.node.id, tuple(route), run_seed)


def replay(bundle: Bundle, route: list[str]) -> Engine:
    """Replay a route printed by autoplay; raises EngineError at the step that fails."""
    engine = Engine(bundle)
    for step in route:
        if step == BACK:
            engine.back()
        else:
            engine.choose(step)
    return engine


def play_exhaustive(
    bundle: Bundle, *, max_depth: int = 30, max_states: int = 200_000
) -> AutoplayReport:
    """Every distinct path up to `max_depth` choices (states are deduplicated)."""
    report = _new_report(bundle, "exhaustive")
    visit_nodes = _visit_sensitive_nodes(bundle)
    # visit counts above every number the story compares with behave the same: cap them so
    # loops do not multiply states
    cap = _largest_int_constant(bundle) + 1
    best: dict[tuple[Any, ...], int] = {}
    start = Engine(bundle)
    stack: list[tuple[Engine, tuple[str, ...]]] = [(start, ())]
    while stack:
        engine, route = stack.pop()
        node = engine.node
        _note(report, engine)
        if node.is_ending:
            ending = node.ending or node.id
            report.endings_reached[ending] = report.endings_reached.get(ending, 0) + 1
            report.lengths.append(len(route))
            report.runs += 1
            continue
        depth = len(route)
        visits = engine.visits
        key = (
            node.id,
            tuple(engine.variables.values()),  # same order in every engine of this bundle
            tuple(min(visits.get(n, 0), cap) for n in visit_nodes),
        )
        if best.get(key, -1) >= max_depth - depth:
            continue
        best[key] = max_depth - depth
        report.states += 1
        if report.states > max_states:
            report.truncated = True
            break
        options = engine.choices()
        if not options:
            report.failures.append(Failure("stuck: no choice available", node.id, route))
            continue
        if depth >= max_depth:
            report.cut_off += 1
            continue
        last = options[0]
        for choice in reversed(options):
            report.choices_taken.add((node.id, choice.id))
            # the parent is not needed afterwards: its last child reuses it instead of a copy
            child = engine if choice is last else engine.clone(with_undo=False)
            child._take(choice)
            report.steps += 1
            stack.append((child, (*route, choice.id)))
    return report


def _largest_int_constant(bundle: Bundle) -> int:
    from .expr import Binary, Const, Expr, Unary

    def walk(e: Expr) -> int:
        if isinstance(e, Const) and isinstance(e.value, int) and not isinstance(e.value, bool):
            return abs(e.value)
        if isinstance(e, Unary):
            return walk(e.operand)
        if isinstance(e, Binary):
            return max(walk(e.left), walk(e.right))
        return 0

    best = 0
    for node in bundle.nodes.values():
        for ch in node.choices:
            if ch.condition is not None:
                best = max(best, walk(bundle.condition(ch.condition)))
    return best


def _visit_sensitive_nodes(bundle: Bundle) -> tuple[str, ...]:
    from .expr import nodes_read

    found: set[str] = set()
    for node in bundle.nodes.values():
        for ch in node.choices:
            if ch.condition is not None:
                found |= nodes_read(bundle.condition(ch.condition))
        for src in node.on_enter:
            found |= nodes_read(bundle.effect(src).value)
        for ch in node.choices:
            for src in ch.effects:
                found |= nodes_read(bundle.effect(src).value)
    return tuple(sorted(found))
