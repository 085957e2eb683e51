"""The replaceable word lists (``ethics/data/*.yaml``): one rule family among the others.

Deployments may extend the lists without touching code; the rule families in ``families.py``
catch the kinds of wording the lists cannot enumerate.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import yaml

from ethics.checks.text import compile_pattern, normalise
from ethics.exceptions import EthicsError


@dataclass(frozen=True)
class Slogan:
    """One entry of the extremist slogan/symbol list."""

    match: str
    kind: str  # token | phrase | symbol
    meaning: str

    def pattern(self) -> re.Pattern[str]:
        """Compiled matcher: whole tokens, case-insensitive phrases or raw symbols."""
        if self.kind == "symbol":
            return re.compile(re.escape(self.match))
        if self.kind == "token":
            return re.compile(r"(?<![\w/])" + re.escape(self.match) + r"(?![\w/])")
        return compile_pattern(re.escape(normalise(self.match)[0]).replace(r"\ ", " "))


@dataclass(frozen=True)
class CheckConfig:
    """Per-locale word lists and the slogan list."""

    pressure: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    human: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    confirmshaming: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    persona: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    sensitive: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    slogans: tuple[Slogan, ...] = ()

    @classmethod
    def from_data(cls, pressure: Any, transparency: Any, slogans: Any) -> CheckConfig:
        """Build from parsed YAML documents; raise EthicsError on a wrong shape."""

        def per_locale(doc: Any, name: str) -> dict[str, tuple[str, ...]]:
            if not isinstance(doc, Mapping):
                raise EthicsError(f"{name}: expected a map of locale -> list of phrases")
            out = {}
            for loc, words in doc.items():
                if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
                    raise EthicsError(f"{name}.{loc}: expected a list of phrases")
                out[str(loc)] = tuple(" ".join(normalise(w)[0].split()) for w in words if w.strip())
            return out

        if not isinstance(transparency, Mapping):
            raise EthicsError("transparency lists: expected a map")
        if not isinstance(slogans, list):
            raise EthicsError("slogan list: expected a list")
        parsed = []
        for i, item in enumerate(slogans):
            if (
                not isinstance(item, Mapping)
                or not isinstance(item.get("match"), str)
                or item.get("kind") not in ("token", "phrase", "symbol")
                or not isinstance(item.get("meaning"), str)
            ):
                raise EthicsError(f"slogan list item {i}: needs match, kind, meaning")
            parsed.append(Slogan(item["match"], item["kind"], item["meaning"]))
        return cls(
            pressure=per_locale(pressure, "pressure"),
            human=per_locale(transparency.get("human", {}), "human"),
            confirmshaming=per_locale(transparency.get("confirmshaming", {}), "confirmshaming"),
            persona=per_locale(transparency.get("persona", {}), "persona"),
            sensitive=per_locale(transparency.get("sensitive", {}), "sensitive"),
            slogans=tuple(parsed),
        )

    @classmethod
    def default(cls) -> CheckConfig:
        """The lists shipped in ``ethics/data``."""
        data = resources.files("ethics") / "data"

        def load(name: str) -> Any:
            return yaml.safe_load((data / name).read_text(encoding="utf-8"))

        return cls.from_data(load("pressure.yaml"), load("transparency.yaml"), load("slogans.yaml"))
