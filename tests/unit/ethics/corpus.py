"""The labelled snippet corpus (tests/fixtures/check_corpus) as typed records and scores."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import yaml

from ethics.checks import FAMILIES, WORD_LIST, CheckConfig, Snippet, check_snippet

CORPUS = Path(__file__).resolve().parents[2] / "fixtures" / "check_corpus"
#: Families the corpus labels (the deployment word list is measured only through its overlap).
LABELLED = tuple(sorted(f for f in FAMILIES if f != WORD_LIST))


@dataclass(frozen=True)
class Labelled:
    """One corpus snippet and the families a reviewer says it belongs to."""

    snippet: Snippet
    expected: frozenset[str]


def load(locale: str, *, unseen: bool = False) -> list[Labelled]:
    """The labelled snippets of one locale (``unseen``: the ones not used to write the rules)."""
    name = f"unseen-{locale}.yaml" if unseen else f"{locale}.yaml"
    doc = yaml.safe_load((CORPUS / name).read_text(encoding="utf-8"))
    out = []
    for i, item in enumerate(doc["snippets"]):
        role, expected, text = item[0], item[1], item[2]
        accept = item[3] if len(item) > 3 else None
        out.append(
            Labelled(
                Snippet(locale, role, text, f"corpus.{locale}.{i}", accept),
                frozenset(f for f in expected.split(",") if f),
            )
        )
    return out


def found(item: Labelled, config: CheckConfig) -> set[str]:
    """The labelled families the checks report for one snippet."""
    return {f.family for f in check_snippet(item.snippet, config)} - {WORD_LIST}


@dataclass(frozen=True)
class Score:
    """Recall and false-positive rate of one family on one locale's corpus."""

    family: str
    positives: int
    hits: int
    negatives: int
    false_positives: int

    @property
    def recall(self) -> float:
        return self.hits / self.positives if self.positives else 1.0

    @property
    def fp_rate(self) -> float:
        return self.false_positives / self.negatives if self.negatives else 0.0


def score(items: Iterable[Labelled], config: CheckConfig) -> dict[str, Score]:
    """Per-family recall and false-positive rate."""
    rows = [(item.expected, found(item, config)) for item in items]
    out = {}
    for family in LABELLED:
        pos = [got for exp, got in rows if family in exp]
        neg = [got for exp, got in rows if family not in exp]
        out[family] = Score(
            family,
            len(pos),
            sum(family in got for got in pos),
            len(neg),
            sum(family in got for got in neg),
        )
    return out
