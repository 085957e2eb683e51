"""Benchmark of the narrative tools on the shipped story: lint + autoplay time, engine speed.

Run: `.venv/bin/python bench/bench_narrative.py [STORY_DIR]`. Goal (issue 3): lint plus
autoplay under 2 s together. Figures are printed, never asserted.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from game.narrative import Bundle, Engine, load_story  # noqa: E402
from game.narrative.autoplay import play_exhaustive, play_random  # noqa: E402
from game.narrative.lint import lint_path  # noqa: E402
from game.paths import STORY  # noqa: E402


def best_of(n: int, fn: object) -> tuple[float, object]:
    best = float("inf")
    result: object = None
    for _ in range(n):
        t0 = time.perf_counter()
        result = fn()  # type: ignore[operator]
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> int:
    story_dir = Path(sys.argv[1]) if len(sys.argv) > 1 else STORY
    if not (story_dir / "story.yaml").is_file():
        print(f"bench_narrative: no story at {story_dir}")
        return 1
    t_load, story = best_of(3, lambda: load_story(story_dir))
    bundle = Bundle.from_story(story)  # type: ignore[arg-type]
    t_lint, report = best_of(3, lambda: lint_path(story_dir))
    t_random, rnd = best_of(3, lambda: play_random(bundle, runs=200, seed=0))
    t_exh, exh = best_of(1, lambda: play_exhaustive(bundle, max_depth=80))
    t_bundle, _ = best_of(3, lambda: Bundle.from_bytes(Bundle(bundle.content).to_bytes()))

    # engine steps per second: random walks, restarting at endings
    rng = random.Random(1)
    engine = Engine(bundle)
    steps = 0
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 1.0:
        for _ in range(1000):
            options = engine.choices()
            if not options:
                engine = Engine(bundle)
                continue
            engine.choose(rng.choice(options).id)
            steps += 1
    steps_per_s = steps / (time.perf_counter() - t0)

    t_save, _ = best_of(5, lambda: Engine.from_save(bundle, engine.to_save()))

    print(
        f"narrative: story {story_dir} ({len(bundle.nodes)} nodes, "
        f"{len(bundle.to_bytes()) / 1024:.0f} KiB bundle)"
    )
    print(f"  load_story                  {t_load * 1000:8.1f} ms")
    print(
        f"  lint                        {t_lint * 1000:8.1f} ms "
        f"({len(report.errors)} errors, {len(report.warnings)} warnings)"
    )  # type: ignore[attr-defined]
    print(
        f"  autoplay random 200 runs    {t_random * 1000:8.1f} ms "
        f"({rnd.steps} steps, endings {len(rnd.endings_reached)}/{len(rnd.endings_total)})"
    )  # type: ignore[attr-defined]
    print(
        f"  autoplay exhaustive d=80    {t_exh * 1000:8.1f} ms "
        f"({exh.states} states, endings {len(exh.endings_reached)}/{len(exh.endings_total)})"
    )  # type: ignore[attr-defined]
    total = t_lint + t_random
    print(
        f"  lint + random autoplay      {total * 1000:8.1f} ms (goal < 2000 ms: "
        f"{'met' if total < 2 else 'NOT met'})"
    )
    print(f"  lint + exhaustive autoplay  {(t_lint + t_exh) * 1000:8.1f} ms")
    print(f"  bundle to_bytes+from_bytes  {t_bundle * 1000:8.1f} ms")
    print(f"  save + load                 {t_save * 1000:8.3f} ms")
    print(f"  engine steps per second     {steps_per_s:10,.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
