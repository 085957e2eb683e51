"""``crossroads report``: the evaluation report in the terminal, ``report export`` for the
exchange between programmes, and ``report compare`` to line several exports up."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from handoff.reports.exchange import ExportError, compare, parse_document, to_csv, to_document
from handoff.reports.measures import Report
from server.cli import CliError, _settings
from server.reports.present import fmt, kind_label, label

DEFAULT_DAYS = 28


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def _range(args: argparse.Namespace) -> tuple[date, date]:
    end = args.to or datetime.now(UTC).date()
    start = args.from_ or end - timedelta(days=DEFAULT_DAYS - 1)
    if end < start:
        raise CliError(f"--to {end} is before --from {start}")
    return start, end


def _progress(done: int, total: int) -> None:
    if total > 1 and sys.stderr.isatty() or total > 4:
        print(
            f"\rreading week {done} of {total}",
            end="" if done < total else "\n",
            file=sys.stderr,
            flush=True,
        )


async def _load(args: argparse.Namespace, start: date, end: date) -> tuple[Report, str]:
    from server.content_api import get_organisation
    from server.reports.queries import load_report
    from server.storage.db import Database

    settings = _settings(args)
    db = Database(settings.database_url)
    try:
        counsellor_id = None
        if getattr(args, "counsellor", None):
            counsellor_id = await _staff_id(db, args.counsellor)
        report = await load_report(
            db, start=start, end=end, counsellor_id=counsellor_id, progress=_progress
        )
        async with db.session() as session:
            org = await get_organisation(session)
        name = (
            args.programme
            if getattr(args, "programme", None)
            else (org.name if org is not None else "Crossroads")
        )
        return report, name
    finally:
        await db.dispose()


async def _staff_id(db: Any, username: str) -> int:
    from sqlmodel import select

    from server.storage.models import StaffAccount

    async with db.session() as session:
        row = (
            await session.exec(select(StaffAccount).where(StaffAccount.username == username))
        ).first()
    if row is None or row.id is None:
        raise CliError(f"no staff account {username!r}")
    return int(row.id)


def render_report(report: Report) -> str:
    """The report as plain text: one block per measure, kinds down, weeks across."""
    lines = [f"Crossroads report {report.start} to {report.end} ({report.scope})", ""]
    head = ["", *report.weeks, "all weeks"]
    for key, fig in report.figures.items():
        lines.append(label(key))
        table = [head]
        for r, name in enumerate([*fig.rows, "all"]):
            table.append([kind_label(name), *(fmt(fig.unit, v) for v in fig.values[r])])
        widths = [max(len(row[c]) for row in table) for c in range(len(head))]
        for cells in table:
            lines.append("  " + "  ".join(c.rjust(w) for c, w in zip(cells, widths, strict=True)))
        lines.append("")
    lines.append(
        "* withheld (a count from 1 to 7, or a figure that would reveal one); "
        "counts rounded to the nearest 5"
    )
    return "\n".join(lines)


def cmd_report(args: argparse.Namespace) -> int:
    """Print the suppressed report for a range."""
    start, end = _range(args)
    report, _ = asyncio.run(_load(args, start, end))
    print(render_report(report))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Write the versioned JSON (and optionally CSV) of suppressed aggregates."""
    start, end = _range(args)
    report, name = asyncio.run(_load(args, start, end))
    doc = to_document(report, name)
    text = json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    try:
        if args.out == "-":
            sys.stdout.write(text)
        else:
            Path(args.out).write_text(text, encoding="utf-8")
        if args.csv:
            Path(args.csv).write_text(to_csv(doc), encoding="utf-8")
    except OSError as exc:
        raise CliError(f"cannot write the export: {exc}") from exc
    if args.out != "-":
        print(f"wrote {args.out}" + (f" and {args.csv}" if args.csv else ""))
    return 0


def render_comparison(paths: list[str]) -> str:
    """Several exports side by side (whole-period figures), or a CliError naming the file."""
    docs = []
    for path in paths:
        try:
            obj = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise CliError(f"{path}: cannot read: {exc.strerror}") from None
        except ValueError:
            raise CliError(f"{path}: not valid JSON") from None
        try:
            docs.append(parse_document(obj, path))
        except ExportError as exc:
            raise CliError(str(exc)) from None
    cmp = compare(docs)
    units = {k: m.unit for d in docs for k, m in d.measures.items()}
    head = ["measure", "kind", *cmp.programmes]
    table = [head, ["", "", *cmp.periods]]
    for key, kind, values in cmp.lines:
        table.append([label(key), kind_label(kind), *(fmt(units[key], v) for v in values)])
    widths = [max(len(row[c]) for row in table) for c in range(len(head))]
    out = [
        "  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
        for row in table
    ]
    out.append("")
    out.append("* withheld by the programme's own suppression; counts rounded to the nearest 5")
    return "\n".join(out)


def cmd_compare(args: argparse.Namespace) -> int:
    """Print several programmes' exports side by side."""
    print(render_comparison(args.exports))
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add ``report`` (with ``export`` and ``compare``) to the top-level command line."""
    report = sub.add_parser("report", help="evaluation report (suppressed figures only)")

    def add_range(p: argparse.ArgumentParser) -> None:
        p.add_argument("--from", dest="from_", type=_day, help="first day (default 4 weeks ago)")
        p.add_argument("--to", type=_day, help="last day, inclusive (default today)")
        p.add_argument("--counsellor", metavar="USERNAME", help="only this counsellor's figures")

    add_range(report)
    report.set_defaults(func=cmd_report)
    actions = report.add_subparsers(dest="report_command", metavar="ACTION")
    export = actions.add_parser("export", help="write a versioned JSON of suppressed aggregates")
    add_range(export)
    export.add_argument("--out", default="-", help="JSON file to write (default: stdout)")
    export.add_argument("--csv", help="also write the same figures as CSV to this file")
    export.add_argument(
        "--programme", help="programme name in the export (default: the organisation's)"
    )
    export.set_defaults(func=cmd_export)
    cmp = actions.add_parser("compare", help="several programmes' exports side by side")
    cmp.add_argument("exports", nargs="+", metavar="EXPORT", help="JSON files from report export")
    cmp.set_defaults(func=cmd_compare)
