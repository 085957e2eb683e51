"""The id fixer: makes implicit (position-derived) choice ids explicit in the source files.

It inserts `id: cN` - the id the loader already derives - so translations and saves keep
working, and later reordering can no longer change ids. Edits text in place; comments survive.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .loader import Story
from .yamlsrc import YValue, read_yaml_file


@dataclass(frozen=True)
class MissingId:
    file: Path
    line: int
    column: int
    node: str
    choice_id: str


def find_missing_ids(story: Story) -> list[MissingId]:
    """Choices without an explicit `id:` in the story's content files."""
    found: list[MissingId] = []
    for path in story.source_files:
        y, _diags = read_yaml_file(path)
        if y is None or not isinstance(y.value, dict) or "nodes" not in y.value:
            continue
        nodes = y.value["nodes"].value
        if not isinstance(nodes, list):
            continue
        for ny in nodes:
            if not isinstance(ny.value, dict):
                continue
            node_id = ny.value.get("id", YValue("?", ny.loc)).value
            choices = ny.value.get("choices")
            if choices is None or not isinstance(choices.value, list):
                continue
            for index, cy in enumerate(choices.value, start=1):
                if isinstance(cy.value, dict) and "id" not in cy.value:
                    found.append(
                        MissingId(path, cy.loc.line, cy.loc.column, str(node_id), f"c{index}")
                    )
    return found


def insert_ids(missing: list[MissingId]) -> list[Path]:
    """Write the ids into the files; returns the files changed."""
    by_file: dict[Path, list[MissingId]] = {}
    for m in missing:
        by_file.setdefault(m.file, []).append(m)
    changed = []
    for path, items in by_file.items():
        lines = path.read_text(encoding="utf-8").split("\n")
        for m in sorted(items, key=lambda x: (x.line, x.column), reverse=True):
            row = lines[m.line - 1]
            col = m.column - 1
            if row[col : col + 1] == "{":
                lines[m.line - 1] = row[: col + 1] + f"id: {m.choice_id}, " + row[col + 1 :]
            else:
                lines[m.line - 1] = row[:col] + f"id: {m.choice_id}"
                lines.insert(m.line, " " * col + row[col:])
        path.write_text("\n".join(lines), encoding="utf-8")
        changed.append(path)
    return changed
