"""Writes YAML text by hand in the house style (stable order, readable diffs).

Used by the translation tools, the Twee importer and the id fixer; output reads back through
the strict loader unchanged.
"""

from __future__ import annotations

import json


def yaml_str(value: str, indent: str) -> str:
    """A scalar: JSON-quoted for one line; a literal block for clean multi-line text."""
    if (
        "\n" in value
        and value == value.strip()
        and "\t" not in value
        and "\r" not in value
        and all(ln == ln.rstrip() for ln in value.split("\n"))
    ):
        body = "\n".join(f"{indent}  {ln}" if ln else "" for ln in value.split("\n"))
        return "|-\n" + body
    return json.dumps(value, ensure_ascii=False)


def yaml_list(values: list[str]) -> str:
    """A flow list of JSON-quoted strings."""
    return "[" + ", ".join(json.dumps(v, ensure_ascii=False) for v in values) + "]"
