"""User-interface strings in English and German, read from assets/i18n/<locale>.yaml.

Story text comes from the content bundle; these files hold only the shell's own labels. A key
missing in one language falls back to English, and a key missing everywhere shows the key
itself, so a gap is visible in screenshots rather than hidden.

A string that depends on a number is a mapping of CLDR plural categories (`one`, `other`, ...)
and the category is chosen by Babel's plural rules for the locale, from the value named
`count` (or else the first whole number passed): "1 new message", "2 new messages".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from babel import Locale

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


_PLURAL_RULES: dict[str, Any] = {}


def plural_form(locale: str, n: int) -> str:
    """The CLDR plural category of `n` in `locale` ("one", "other", ...), by Babel's rules."""
    rule = _PLURAL_RULES.get(locale)
    if rule is None:
        rule = _PLURAL_RULES[locale] = Locale.parse(locale).plural_form
    return str(rule(abs(n)))


def _plural_number(values: dict[str, object]) -> int:
    count = values.get("count")
    if isinstance(count, int) and not isinstance(count, bool):
        return count
    for value in values.values():
        if isinstance(value, int) and not isinstance(value, bool):
            return value
    return 0


class Translator:
    """Looks up UI strings for the current locale with English fallback."""

    def __init__(self, locale: str = "en", folder: Path = I18N) -> None:
        self._folder = folder
        self._catalogs = {loc: load_catalog(loc, folder) for loc in LOCALES}
        self.locale = locale if locale in LOCALES else FALLBACK

    def set_locale(self, locale: str) -> None:
        self.locale = locale if locale in LOCALES else FALLBACK

    def has(self, key: str) -> bool:
        return any(
            key in cat or f"{key}.other" in cat
            for cat in (self._catalogs.get(self.locale, {}), self._catalogs[FALLBACK])
        )

    def _lookup(self, key: str, values: dict[str, object]) -> str:
        for locale in (self.locale, FALLBACK):
            catalog = self._catalogs.get(locale, {})
            if key in catalog:
                return catalog[key]
            if f"{key}.other" in catalog:
                form = plural_form(locale, _plural_number(values))
                return catalog.get(f"{key}.{form}", catalog[f"{key}.other"])
        return key

    def __call__(self, key: str, **values: object) -> str:
        text = self._lookup(key, values)
        if values:
            try:
                return text.format(**values)
            except (KeyError, IndexError, ValueError):
                return text
        return text
