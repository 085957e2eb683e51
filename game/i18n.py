"""User-interface strings in English and German, read from assets/i18n/<locale>.yaml.

Story text comes from the content bundle; these files hold only the shell's own labels. A key
missing in one language falls back to English, and a key missing everywhere shows the key
itself, so a gap is visible in screenshots rather than hidden.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from game.paths import I18N

LOCALES = ("en", "de")
FALLBACK = "en"


def _flatten(prefix: str, node: Any, out: dict[str, str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(f"{prefix}.{key}" if prefix else str(key), value, out)
    else:
        out[prefix] = str(node)


def load_catalog(locale: str, folder: Path = I18N) -> dict[str, str]:
    """Load one locale's strings as a flat {dotted.key: text} dict."""
    path = folder / f"{locale}.yaml"
    if not path.exists():
        return {}
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out: dict[str, str] = {}
    _flatten("", data, out)
    return out


class Translator:
    """Looks up UI strings for the current locale with English fallback."""

    def __init__(self, locale: str = "en", folder: Path = I18N) -> None:
        self._folder = folder
        self._catalogs = {loc: load_catalog(loc, folder) for loc in LOCALES}
        self.locale = locale if locale in LOCALES else FALLBACK

    def set_locale(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else FALLBACK

    def has(self, key: str) -> bool:
        return key in self._catalogs.get(self.locale, {}) or key in self._catalogs[FALLBACK]

    def __call__(self, key: str, **values: object) -> str:
        text = self._catalogs.get(self.locale, {}).get(key)
        if text is None:
            text = self._catalogs[FALLBACK].get(key, key)
        if values:
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError):
                return text
        return text
