"""Automated deception and transparency checks, run on every proposal and logged.

Rule families by *kind*, in English and German (``families.py``), the replaceable word lists
(``config.py``), one snippet at a time (``snippets.py``) or over a whole bundle
(``bundle.py``). Each finding names its family, locale, line or node and text span; severity
``error`` blocks publishing, ``warning`` informs the board, ``flag`` needs an explicit board
acknowledgement. Pure functions: the caller passes the bundle, the lists and the
organisation's name.
"""

from __future__ import annotations

from ethics.checks.bundle import CHECKS, SEVERITIES, CheckResult, run_checks
from ethics.checks.config import CheckConfig, Slogan
from ethics.checks.families import TEXT_FAMILIES
from ethics.checks.snippets import ASYMMETRIC, WORD_LIST, UnknownRole, check_snippet
from ethics.checks.text import ROLES, Finding, Snippet

#: Every family a text finding can name, with what it protects.
FAMILIES: dict[str, str] = {f.name: f.summary for f in TEXT_FAMILIES} | {
    ASYMMETRIC: "the decline choice is as short, neutral and prominent as the accept choice",
    WORD_LIST: "the deployment's replaceable pressure, confirmshaming and persona lists",
}
for _name, _summary in FAMILIES.items():
    CHECKS.setdefault(_name, ("error", _summary))

__all__ = [
    "ASYMMETRIC",
    "TEXT_FAMILIES",
    "WORD_LIST",
    "CHECKS",
    "FAMILIES",
    "ROLES",
    "SEVERITIES",
    "CheckConfig",
    "CheckResult",
    "Finding",
    "Slogan",
    "Snippet",
    "UnknownRole",
    "check_snippet",
    "run_checks",
]
