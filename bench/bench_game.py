"""Benchmark of the pygame client at 1280x720 under SDL's dummy driver.

Prints the frame time (median and p99) of the story scene, of the chat scene with 500 messages
of scrollback (resting and while scrolling), and the time from process start to the first
frame. Goal: median frame under 4 ms. Run: `python bench/bench_game.py [--frames N]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("SDL_VIDEODRIVER", "dummy")
os.environ.setdefault("SDL_AUDIODRIVER", "dummy")
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from game.paths import STORY  # noqa: E402

FIRST_FRAME_SNIPPET = """
import time, sys, tempfile
t0 = time.perf_counter()
sys.path.insert(0, {root!r})
from pathlib import Path
from game.app import GameApp
app = GameApp(None, home=Path({home!r}), story_path=Path({story!r}))
app.step([], 1 / 60)
print(time.perf_counter() - t0)
"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def time_frames(app, n: int, before_each=None) -> list[float]:  # noqa: ANN001
    times = []
    for i in range(n):
        if before_each is not None:
            before_each(i)
        t = time.perf_counter()
        app.step([], 1 / 60)
        times.append((time.perf_counter() - t) * 1000)
    return times


def report(name: str, times: list[float]) -> None:
    print(
        f"{name:<38} median {statistics.median(times):6.2f} ms   "
        f"p99 {percentile(times, 0.99):6.2f} ms   ({len(times)} frames)"
    )


def story_path() -> Path:
    shipped = STORY
    return (
        shipped
        if (shipped / "story.yaml").exists()
        else (ROOT / "tests" / "fixtures" / "story_min")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--frames", type=int, default=600)
    args = parser.parse_args()

    from game.app import GameApp
    from game.conversation import ChatLine, Counsellor, Phase
    from game.scenes.chat import ChatScene

    story = story_path()
    print(
        f"Crossroads game benchmark, 1280x720, SDL_VIDEODRIVER="
        f"{os.environ['SDL_VIDEODRIVER']}, story {story.relative_to(ROOT)}"
    )
    app = GameApp(None, home=Path(tempfile.mkdtemp()), story_path=story)
    app.settings.text_speed = "instant"
    app.apply_settings()
    app.start_story(None)
    for _ in range(30):  # warm caches
        app.step([], 1 / 60)
    report("story scene", time_frames(app, args.frames))

    app.settings.text_speed = "normal"
    app.apply_settings()
    story_scene = app.story_scene

    def restart_typewriter(i: int) -> None:
        if i % 120 == 0:
            story_scene.reveal = 0.0
            story_scene.refresh()

    report("story scene, typewriter running", time_frames(app, args.frames, restart_typewriter))

    conv = app.conversation
    conv.phase = Phase.MATCHED
    conv.counsellor = Counsellor("Alex", "former")
    for seq in range(1, 501):
        sender = "counsellor" if seq % 2 else "player"
        text = f"Message {seq}: " + "this is a line of scrollback text that wraps a little " * (
            1 + seq % 3
        )
        conv.lines.append(
            ChatLine(sender, text, seq=seq, client_id=f"c{seq}", at="2026-11-27T10:00:00+00:00")
        )
    conv.last_seq = conv.read_upto = 500
    t = time.perf_counter()
    app.push(ChatScene(app))
    app.step([], 1 / 60)
    print(
        f"{'chat scene, first frame (500 messages)':<38} {1000 * (time.perf_counter() - t):6.2f} ms"
    )
    for _ in range(30):
        app.step([], 1 / 60)
    report("chat scene, 500 messages", time_frames(app, args.frames))
    chat = app.top
    assert isinstance(chat, ChatScene)

    def scroll(i: int) -> None:
        chat._scroll(37 if (i // 200) % 2 == 0 else -37)

    report("chat scene, 500 messages, scrolling", time_frames(app, args.frames, scroll))
    app.shutdown()

    home = tempfile.mkdtemp()
    runs = []
    for _ in range(4):
        code = FIRST_FRAME_SNIPPET.format(root=str(ROOT), story=str(story), home=home)
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=os.environ
        )
        runs.append(float(out.stdout.strip().splitlines()[-1]) * 1000)
    print(f"{'start to first frame, first run':<38} {runs[0]:6.0f} ms (compiles the story)")
    print(
        f"{'start to first frame, later runs':<38} median {statistics.median(runs[1:]):6.0f} ms"
        f"   (runs: {', '.join(f'{r:.0f}' for r in runs[1:])})"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
