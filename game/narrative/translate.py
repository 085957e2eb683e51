"""Translation tables: gettext template (.pot) extraction and .po import/export via Babel.

msgctxt is the line id (so equal source texts can be translated differently); translators
never touch story logic, and the YAML tables are written back in story order.
"""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

from .exceptions import ContentError
from .loader import Story
from .yamlout import yaml_str


class TranslationError(ContentError):
    """A .po file cannot be read or does not match the story (translator's file)."""


def _ordered_source(story: Story) -> list[tuple[str, str]]:
    c = story.content
    return list(c.lines[c.source_locale].items())


def _comment(story: Story, line_id: str) -> list[str]:
    loc = story.locate(f"line:{line_id}")
    return [str(loc)] if loc else []


def build_catalog(story: Story, now: datetime, locale: str | None = None) -> Catalog:
    """A catalog of every source line; with `locale`, pre-filled from that locale's table."""
    c = story.content
    catalog = Catalog(
        locale=locale,
        project=c.id,
        domain="story",
        charset="utf-8",
        fuzzy=False,
        creation_date=now,
        revision_date=now,
    )
    table = c.lines.get(locale, {}) if locale else {}
    for line_id, text in _ordered_source(story):
        catalog.add(
            text,
            string=table.get(line_id, ""),
            context=line_id,
            auto_comments=[f"line id: {line_id}"],
            locations=[
                (str(loc.file), loc.line)
                for loc in [story.locate(f"line:{line_id}")]
                if loc is not None
            ],
        )
    return catalog


def write_catalog(catalog: Catalog, out: Path) -> None:
    """Write a catalog as a .po/.pot file."""
    buf = io.BytesIO()
    write_po(buf, catalog, width=100, sort_output=False, include_lineno=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(buf.getvalue())


def extract_pot(story: Story, out: Path, now: datetime) -> int:
    """Write the gettext template; returns the number of lines."""
    catalog = build_catalog(story, now)
    write_catalog(catalog, out)
    return len(catalog)


def export_po(story: Story, locale: str, out: Path, now: datetime) -> int:
    """Write a .po of `locale` with current translations filled in; returns #translated."""
    catalog = build_catalog(story, now, locale)
    write_catalog(catalog, out)
    return sum(1 for m in catalog if m.id and m.string)


def import_po(story: Story, locale: str, po_file: Path) -> tuple[dict[str, str], list[str]]:
    """Read a .po into a {line id: text} table; returns the table and notes for the user."""
    c = story.content
    if locale == c.source_locale or locale not in c.locales:
        raise TranslationError(
            f"{locale!r} is not a target locale of this story "
            f"(targets: {', '.join(x for x in c.locales if x != c.source_locale)})"
        )
    try:
        with po_file.open("rb") as fh:
            catalog = read_po(fh, locale=locale, abort_invalid=True)
    except FileNotFoundError as exc:
        raise TranslationError(f"{po_file}: file not found") from exc
    except Exception as exc:  # babel raises several types for broken files
        raise TranslationError(f"{po_file}: cannot read .po file: {exc}") from exc
    source = c.lines[c.source_locale]
    table: dict[str, str] = {}
    notes: list[str] = []
    for message in catalog:
        if not message.id:
            continue
        line_id = message.context
        text = message.string if isinstance(message.string, str) else ""
        if not line_id or line_id not in source:
            notes.append(f"{po_file}: skipped {line_id or message.id!r}: not a line of the story")
            continue
        if message.fuzzy:
            notes.append(f"{po_file}: {line_id} is marked fuzzy; not imported")
            continue
        if message.id != source[line_id]:
            notes.append(
                f"{po_file}: {line_id}: source text changed since the .po was made; "
                "imported, please review"
            )
        if text:
            table[line_id] = text
    ordered = {lid: table[lid] for lid in source if lid in table}
    return ordered, notes


def table_yaml(locale: str, table: dict[str, str]) -> str:
    """The YAML text of a translation table, in story order."""
    out = [
        f"# {locale} translation, keyed by line id. Edit the texts only; ids come from the "
        "story files.",
        f"locale: {locale}",
        "lines:",
    ]
    for line_id, text in table.items():
        out.append(f"  {line_id}: {yaml_str(text, '  ')}")
    return "\n".join(out) + "\n"


def write_table(story: Story, locale: str, table: dict[str, str]) -> Path:
    """Write a locale's table as YAML next to the story; returns the path."""
    path = story.translation_files.get(locale) or story.root / "locales" / f"{locale}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(table_yaml(locale, table), encoding="utf-8")
    return path
