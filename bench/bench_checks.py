"""Deception and pressure checks: recall and false-positive rate per family and language.

Prints figures only (no pass/fail). Goals: recall >= 95% with <= 5% false positives per
family on the labelled corpus (tests/fixtures/check_corpus), and checking the shipped bundle
in under 100 ms. The corpus was written together with the rules, so those figures show that
the rules hold on it; the separate unseen snippets (``unseen-*.yaml``, not used to tune the
rules) estimate how they do on wording nobody anticipated. Run with ``make bench`` or
``python bench/bench_checks.py [--rounds N]``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ethics.checks import CheckConfig, run_checks  # noqa: E402
from ethics.checks.text import normalise  # noqa: E402
from game.narrative import Bundle, load_story  # noqa: E402
from tests.unit.ethics.corpus import found, load, score  # noqa: E402

STORY = Path(__file__).resolve().parents[1] / "assets" / "story"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=20, help="timed runs of the bundle check")
    args = parser.parse_args()
    config = CheckConfig.default()

    print("family                   lang  positives  recall   negatives  false-pos")
    for locale in ("en", "de"):
        items = load(locale)
        for family, s in score(items, config).items():
            print(
                f"{family:<24} {locale:<5} {s.positives:>9}  {s.recall:>6.1%}   "
                f"{s.negatives:>9}  {s.fp_rate:>8.1%}"
            )
        print(f"{'(snippets)':<24} {locale:<5} {len(items):>9}")

    print("\nunseen snippets (written after the rules, not used to tune them):")
    for locale in ("en", "de"):
        items = load(locale, unseen=True)
        rows = score(items, config).values()
        positives = sum(s.positives for s in rows)
        hits = sum(s.hits for s in rows)
        honest = [i for i in items if not i.expected]
        flagged = sum(bool(found(i, config)) for i in honest)
        print(
            f"  {locale}: right family found for {hits} of {positives} labelled findings "
            f"({hits / positives:.0%}); {flagged} of {len(honest)} honest snippets flagged"
        )

    bundle = Bundle.from_story(load_story(STORY))
    normalise.cache_clear()
    start = time.perf_counter()
    findings = run_checks(bundle, config, organisation_name="Exit Network")
    cold = time.perf_counter() - start
    times, cpu = [], []
    for _ in range(args.rounds):
        normalise.cache_clear()  # every round pays for the text normalisation again
        start, start_cpu = time.perf_counter(), time.process_time()
        run_checks(bundle, config, organisation_name="Exit Network")
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
    lines = sum(len(t) for t in bundle.content.lines.values())
    print(
        f"\nshipped bundle: {lines} lines in {len(bundle.locales)} locales, "
        f"{len(findings)} findings"
    )
    print(
        f"check time: first run {cold * 1000:.1f} ms, median {statistics.median(times) * 1000:.1f}"
        f" ms, max {max(times) * 1000:.1f} ms over {args.rounds} runs (goal < 100 ms); "
        f"CPU time median {statistics.median(cpu) * 1000:.1f} ms (wall time includes waiting "
        "for a busy machine's cores)"
    )


if __name__ == "__main__":
    main()
