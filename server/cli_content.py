"""`crossroads content ...`: lint, autoplay, route tests, translation, Twine import, bundles.

`register(subparsers)` adds the commands to the lead's CLI; `main(argv)` runs them standalone.
Every command prints `file:line:column: ...` messages, never a traceback, and exits 1 on errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from game.narrative import Bundle, ContentError, load_story
from game.narrative.autoplay import BACK, play_exhaustive, play_random, replay
from game.narrative.ids import find_missing_ids, insert_ids
from game.narrative.lint import lint_path
from game.narrative.routetest import run_route_tests
from game.narrative.scaffold import new_story
from game.narrative.stats import story_stats
from game.narrative.translate import export_po, extract_pot, import_po, write_table
from game.narrative.twee import import_twee

SubParsers = Any  # argparse._SubParsersAction is private


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _err(message: str) -> int:
    print(f"error: {message}", file=sys.stderr)
    return 1


def _load(path: Path) -> Any:
    """Load or print the errors; returns the story or None."""
    try:
        return load_story(path)
    except ContentError as exc:
        for d in exc.diagnostics or ():
            print(d, file=sys.stderr)
        if not exc.diagnostics:
            print(f"error: {exc}", file=sys.stderr)
        print(
            f"{path}: the story has errors; run `crossroads content lint {path}`", file=sys.stderr
        )
        return None


def cmd_lint(args: argparse.Namespace) -> int:
    report = lint_path(Path(args.path))
    if args.json:
        print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
    else:
        for d in report.diagnostics:
            print(d)
        print(
            f"{args.path}: {_count(len(report.errors), 'error')}, "
            f"{_count(len(report.warnings), 'warning')}"
        )
    if args.strict and report.warnings:
        return 1
    return 0 if report.ok else 1


def cmd_autoplay(args: argparse.Namespace) -> int:
    story = _load(Path(args.path))
    if story is None:
        return 1
    bundle = Bundle.from_story(story)
    if args.route is not None:
        route = [s for s in args.route.split(",") if s]
        try:
            engine = replay(bundle, route)
        except ContentError as exc:
            return _err(f"replay failed: {exc}")
        print(
            f"replayed {len(route)} steps; now at node {engine.node.id!r}"
            + (f" (ending {engine.ending!r})" if engine.ending else "")
        )
        print("history: " + " > ".join(engine.history))
        return 0
    if args.exhaustive:
        report = play_exhaustive(bundle, max_depth=args.max_depth)
    else:
        if args.runs < 1:
            return _err("--runs must be at least 1")
        report = play_random(bundle, runs=args.runs, seed=args.seed, max_steps=args.max_steps)
    if args.json:
        print(json.dumps(report.to_json(), indent=2))
    else:
        for line in report.summary_lines():
            print(line)
        for failure in report.failures[:20]:
            print(f"FAIL {failure}")
            replay_cmd = ",".join(s for s in failure.route)
            print(f"  replay: crossroads content autoplay {args.path} --route '{replay_cmd}'")
        if len(report.failures) > 20:
            print(f"... and {len(report.failures) - 20} more failures")
    missed = report.endings_missed and (args.exhaustive and not report.cut_off)
    return 1 if report.failures or missed else 0


def cmd_test(args: argparse.Namespace) -> int:
    plans = [Path(p) for p in args.plan] if args.plan else None
    try:
        results = run_route_tests(Path(args.path), plans)
    except ContentError as exc:
        for d in exc.diagnostics:
            print(d, file=sys.stderr)
        return 1 if exc.diagnostics else _err(str(exc))
    if not results:
        print("no route tests (list plan files under `tests:` in story.yaml, or use --plan)")
        return 1
    failed = 0
    for r in results:
        print(f"{'ok  ' if r.ok else 'FAIL'} {r.name}")
        if not r.ok:
            failed += 1
            print(f"     {r.message}")
    print(f"{len(results) - failed} passed, {failed} failed")
    return 1 if failed else 0


def cmd_extract(args: argparse.Namespace) -> int:
    story = _load(Path(args.path))
    if story is None:
        return 1
    count = extract_pot(story, Path(args.out), datetime.now(UTC))
    print(f"wrote {count} lines to {args.out}")
    return 0


def cmd_translate(args: argparse.Namespace) -> int:
    story = _load(Path(args.path))
    if story is None:
        return 1
    if args.to_po:
        if args.locale not in story.locales:
            return _err(f"{args.locale!r} is not one of the story's locales {story.locales}")
        n = export_po(story, args.locale, Path(args.to_po), datetime.now(UTC))
        total = len(story.content.lines[story.source_locale])
        print(f"wrote {args.to_po}: {n}/{total} lines translated")
        return 0
    if not args.po:
        return _err("give --po FILE to import, or --to-po FILE to export")
    try:
        table, notes = import_po(story, args.locale, Path(args.po))
    except ContentError as exc:
        return _err(str(exc))
    for note in notes:
        print(note)
    total = len(story.content.lines[story.source_locale])
    if args.write:
        path = write_table(story, args.locale, table)
        print(f"wrote {path}: {len(table)}/{total} lines translated")
        if args.locale not in story.translation_files:
            rel = path.relative_to(story.root)
            print(f"now add `{args.locale}: {rel}` under `translations:` in {story.manifest}")
    else:
        print(f"{len(table)}/{total} lines translated (dry run; add --write to update the table)")
    return 0


def cmd_import_twee(args: argparse.Namespace) -> int:
    out = Path(args.out)
    if out.exists() and any(out.iterdir()) and not args.force:
        return _err(f"{out} is not empty; choose another --out or add --force")
    try:
        result = import_twee(Path(args.file), source_locale=args.locale)
    except ContentError as exc:
        return _err(str(exc))
    result.write(out)
    print(f"imported {result.story_format} story {result.title!r}: {result.nodes} nodes -> {out}")
    not_converted = [n for n in result.notes if not n.converted]
    for note in result.notes:
        print(f"{args.file}:{note.line}: {note}")
    print(
        f"{len(result.notes)} notes ({len(not_converted)} constructs NOT converted); "
        f"the list is also in {out / 'import-report.txt'}"
    )
    print(f"next: crossroads content lint {out}")
    return 0


def cmd_bundle(args: argparse.Namespace) -> int:
    report = lint_path(Path(args.path))
    if report.errors:
        for d in report.errors:
            print(d, file=sys.stderr)
        return _err(f"{args.path}: {_count(len(report.errors), 'lint error')}; no bundle built")
    story = _load(Path(args.path))
    if story is None:
        return 1
    bundle = Bundle.from_story(story)
    data = bundle.to_bytes()
    if args.out:
        Path(args.out).write_bytes(data)
        print(f"wrote {len(data)} bytes to {args.out}")
    print(bundle.sha256)
    return 0


def cmd_new(args: argparse.Namespace) -> int:
    locales = [x.strip() for x in args.locales.split(",") if x.strip()]
    try:
        written = new_story(Path(args.dir), story_id=args.id, title=args.title, locales=locales)
    except ValueError as exc:
        return _err(str(exc))
    for path in written:
        print(f"wrote {path}")
    print(f"next: edit {Path(args.dir) / 'nodes.yaml'}, then `crossroads content lint {args.dir}`")
    return 0


def cmd_stats(args: argparse.Namespace) -> int:
    story = _load(Path(args.path))
    if story is None:
        return 1
    stats = story_stats(Bundle.from_story(story))
    if args.json:
        print(json.dumps(stats.to_json(), indent=2, ensure_ascii=False))
    else:
        for line in stats.lines():
            print(line)
    return 0


def cmd_ids(args: argparse.Namespace) -> int:
    story = _load(Path(args.path))
    if story is None:
        return 1
    missing = find_missing_ids(story)
    for m in missing:
        print(
            f"{m.file}:{m.line}:{m.column}: choice of node {m.node!r} has no id "
            f"(derived: {m.choice_id})"
        )
    if not missing:
        print("every choice has an explicit id")
        return 0
    if args.write:
        changed = insert_ids(missing)
        print(f"inserted {len(missing)} ids into {len(changed)} files")
        return 0
    print(f"{len(missing)} choices without id; run again with --write to insert them")
    return 1


def register(subparsers: SubParsers) -> None:
    """Add the content commands to `crossroads content` (the lead's CLI calls this)."""
    path_help = "story directory (with story.yaml) or the manifest file"

    p = subparsers.add_parser(
        "lint",
        help="check a story for errors and warnings",
        description="Check a story: parse errors with file:line:column, "
        "references, dead ends, unreachable nodes, variables, "
        "translations, text length, help points. Exit 1 on errors.",
    )
    p.add_argument("path", help=path_help)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--strict", action="store_true", help="also exit 1 on warnings")
    p.set_defaults(func=cmd_lint)

    p = subparsers.add_parser(
        "autoplay",
        help="play the story automatically",
        description="Random (seeded) or bounded exhaustive playthroughs; "
        "reports coverage and reachable endings; failures print seed and "
        "route.",
    )
    p.add_argument("path", help=path_help)
    p.add_argument("--runs", type=int, default=200, help="random runs (default %(default)s)")
    p.add_argument("--seed", type=int, default=0, help="seed of the first run (run i: seed+i)")
    p.add_argument(
        "--max-steps",
        type=int,
        default=1000,
        help="steps per random run before it counts as a loop (default %(default)s)",
    )
    p.add_argument("--exhaustive", action="store_true", help="explore every path instead")
    p.add_argument(
        "--max-depth",
        type=int,
        default=100,
        help="choices per path in --exhaustive mode (default %(default)s)",
    )
    p.add_argument(
        "--route", help=f"replay a comma-separated route of choice ids ('{BACK}' undoes a step)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_autoplay)

    p = subparsers.add_parser(
        "test",
        help="run the story's route tests",
        description="Run scripted routes (see docs/CONTENT.md).",
    )
    p.add_argument("path", help=path_help)
    p.add_argument("--plan", action="append", help="run this plan file instead (repeatable)")
    p.set_defaults(func=cmd_test)

    p = subparsers.add_parser("extract", help="write a gettext template (.pot) of all lines")
    p.add_argument("path", help=path_help)
    p.add_argument("--out", required=True, help="the .pot file to write")
    p.set_defaults(func=cmd_extract)

    p = subparsers.add_parser(
        "translate",
        help="import a .po into a locale table, or export one as .po",
        description="Import: --locale de --po de.po [--write]. Export: --locale de --to-po "
        "de.po. Translators work on .po files; the YAML tables are generated.",
    )
    p.add_argument("path", help=path_help)
    p.add_argument("--locale", required=True, help="target locale, e.g. de")
    p.add_argument("--po", help=".po file to import")
    p.add_argument("--to-po", help="write the locale's table as this .po file")
    p.add_argument("--write", action="store_true", help="write locales/<locale>.yaml")
    p.set_defaults(func=cmd_translate)

    p = subparsers.add_parser(
        "import-twee",
        help="convert a Twine (Twee 3) story",
        description="Convert Harlowe/SugarCube Twee 3 into the YAML "
        "format; every construct that is not converted is reported.",
    )
    p.add_argument("file", help="the .twee file")
    p.add_argument("--out", required=True, help="directory to write the story into")
    p.add_argument("--locale", default="en", help="language of the story (default en)")
    p.add_argument("--force", action="store_true", help="write into a non-empty directory")
    p.set_defaults(func=cmd_import_twee)

    p = subparsers.add_parser("bundle", help="build the canonical bundle and print its SHA-256")
    p.add_argument("path", help=path_help)
    p.add_argument("--out", help="write the bundle bytes (canonical JSON) to this file")
    p.set_defaults(func=cmd_bundle)

    p = subparsers.add_parser(
        "new",
        help="start a new story from a small, complete template",
        description="Writes manifest, nodes, service texts, translation tables and a route "
        "test that pass lint, ready to be rewritten.",
    )
    p.add_argument("dir", help="directory to create (must not exist or be empty)")
    p.add_argument("--id", required=True, help="story id (letters, digits, - and _)")
    p.add_argument("--title", required=True, help="the story's title")
    p.add_argument(
        "--locales", default="en", help="comma-separated; the first is the source (default en)"
    )
    p.set_defaults(func=cmd_new)

    p = subparsers.add_parser(
        "stats",
        help="size, endings, help points, content warnings, reading time",
        description="Figures for authors and the ethics board.",
    )
    p.add_argument("path", help=path_help)
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=cmd_stats)

    p = subparsers.add_parser("ids", help="list or insert missing choice ids")
    p.add_argument("path", help=path_help)
    p.add_argument("--write", action="store_true", help="insert the ids into the files")
    p.set_defaults(func=cmd_ids)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="crossroads content", description="Story content tools.")
    sub = parser.add_subparsers(dest="content_command", metavar="ACTION", required=True)
    register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a content command standalone; returns the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except OSError as exc:
        return _err(f"{getattr(exc, 'filename', '') or ''}: {exc.strerror or exc}")


if __name__ == "__main__":
    sys.exit(main())
