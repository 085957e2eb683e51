"""Integrity checks that every loadable story and every bundle must pass.

References (targets, speakers, offers, visits), expressions (parse + types), placeholders,
disclosure and helplines. Used by the loader (with source locations) and Bundle.from_bytes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .diagnostics import Diagnostic, Location
from .exceptions import ExpressionError
from .expr import (
    Expr,
    ExprTypeError,
    UndefinedVariable,
    check_effect,
    infer_type,
    nodes_read,
    parse_condition,
    parse_effect,
)
from .model import CONTENT_WARNING_PREFIX, DEFAULT_OFFER, PLACEHOLDERS, StoryContent, TypeName

Locate = Callable[[str], Location | None]
PLACEHOLDER_RE = re.compile(r"\{([^{}]*)\}")


def placeholders(text: str) -> list[str]:
    """The `{name}` placeholders of a text, sorted."""
    return sorted(PLACEHOLDER_RE.findall(text))


def expression_diagnostics(
    source: str,
    kind: str,
    var_types: dict[str, TypeName],
    node_ids: Iterable[str] | set[str],
    loc: Location | None,
    where: str,
) -> tuple[Expr | None, list[Diagnostic]]:
    """Parse and check one condition (kind='if') or effect (kind='set')."""
    out: list[Diagnostic] = []
    try:
        if kind == "if":
            expr = parse_condition(source)
            t = infer_type(expr, var_types)
            if t != "bool":
                out.append(
                    Diagnostic("E108", f"condition {source!r} in {where} is {t}, not bool", loc)
                )
            tree: Expr = expr
        else:
            effect = parse_effect(source)
            check_effect(effect, var_types)
            tree = effect.value
    except UndefinedVariable as exc:
        return None, [Diagnostic("E109", f"{exc} (in {where})", loc)]
    except ExprTypeError as exc:
        return None, [Diagnostic("E108", f"{exc} in {where}: {source!r}", loc)]
    except ExpressionError as exc:
        return None, [
            Diagnostic(
                "E107",
                f"cannot read {source!r} in {where}: {exc} (at character {exc.position + 1})",
                loc,
            )
        ]
    for node in nodes_read(tree):
        if node not in node_ids:
            out.append(Diagnostic("E110", f"visits({node}) names no node (in {where})", loc))
    return tree, out


def integrity(
    content: StoryContent, locate: Locate, *, broken: set[str] | None = None
) -> list[Diagnostic]:
    """Every check whose failure would make the engine misbehave; returns diagnostics."""
    broken = broken or set()
    out: list[Diagnostic] = []
    node_ids = set(content.nodes) | broken
    var_types: dict[str, TypeName] = {n: v.type for n, v in content.variables.items()}
    source_lines = content.lines.get(content.source_locale, {})

    if content.start not in node_ids:
        out.append(
            Diagnostic(
                "E110", f"start node {content.start!r} does not exist", locate("manifest:start")
            )
        )
    if DEFAULT_OFFER not in content.offers:
        out.append(
            Diagnostic(
                "E113",
                f"the story needs an offer with id {DEFAULT_OFFER!r}",
                locate("manifest:start"),
            )
        )

    for node_id in content.settings:
        if node_id not in node_ids:
            out.append(
                Diagnostic(
                    "E119",
                    f"a scene lists node {node_id!r}, which does not exist",
                    locate(f"setting:{node_id}"),
                )
            )
    for char_id, character in content.characters.items():
        if char_id not in content.speakers:
            out.append(
                Diagnostic(
                    "E112",
                    f"character {char_id!r} is not declared under `speakers:` in the manifest",
                    locate(f"character:{char_id}"),
                )
            )
        if character.description not in source_lines:
            out.append(
                Diagnostic(
                    "E115",
                    f"character {char_id!r} has no description text",
                    locate(f"character:{char_id}"),
                )
            )

    claimed: dict[str, str] = {}
    for node in content.nodes.values():
        nloc = locate(f"node:{node.id}")
        where = f"node {node.id!r}"
        if node.speaker is not None and node.speaker.removeprefix("speaker.") not in (
            content.speakers
        ):
            out.append(
                Diagnostic(
                    "E112",
                    f"speaker {node.speaker.removeprefix('speaker.')!r} of {where} is not "
                    "declared under `speakers:` in the manifest",
                    locate(f"speaker-ref:{node.id}") or nloc,
                )
            )
        for tag in node.tags:
            if tag.startswith(CONTENT_WARNING_PREFIX):
                topic = tag[len(CONTENT_WARNING_PREFIX) :]
                if topic not in content.content_warnings:
                    out.append(
                        Diagnostic(
                            "E116",
                            f"{where} uses {tag!r} but the manifest's `content_warnings:` has "
                            f"no {topic!r}",
                            locate(f"tag:{node.id}:{tag}") or nloc,
                        )
                    )
        if node.offer is not None and node.offer not in content.offers:
            out.append(
                Diagnostic(
                    "E113",
                    f"{where} opens offer {node.offer!r}, which does not exist",
                    locate(f"offer-ref:{node.id}") or nloc,
                )
            )
        for old in node.replaces:
            rloc = locate(f"replaces:{node.id}:{old}") or nloc
            if old in content.nodes:
                out.append(
                    Diagnostic("E114", f"{where} replaces {old!r}, but {old!r} still exists", rloc)
                )
            elif old in claimed and claimed[old] != node.id:
                out.append(
                    Diagnostic(
                        "E114",
                        f"{old!r} is replaced by both {claimed[old]!r} and {node.id!r}",
                        rloc,
                    )
                )
            claimed.setdefault(old, node.id)
        for i, src in enumerate(node.on_enter):
            _, diags = expression_diagnostics(
                src,
                "set",
                var_types,
                node_ids,
                locate(f"on_enter:{node.id}#{i}") or nloc,
                f"on_enter of {where}",
            )
            out.extend(diags)
        for choice in node.choices:
            key = f"{node.id}.{choice.id}"
            cloc = locate(f"choice:{key}") or nloc
            cwhere = f"choice {choice.id!r} of {where}"
            if choice.target not in node_ids:
                out.append(
                    Diagnostic(
                        "E111",
                        f"{cwhere} leads to {choice.target!r}, which does not exist",
                        locate(f"target:{key}") or cloc,
                    )
                )
            if choice.text not in source_lines:
                out.append(
                    Diagnostic(
                        "E102",
                        f"{cwhere} uses line {choice.text!r}, which is not defined"
                        + (" (add `ui.continue` under `lines:`)" if choice.id == "next" else ""),
                        cloc,
                    )
                )
            if choice.condition is not None:
                _, diags = expression_diagnostics(
                    choice.condition,
                    "if",
                    var_types,
                    node_ids,
                    locate(f"if:{key}") or cloc,
                    cwhere,
                )
                out.extend(diags)
            for i, src in enumerate(choice.effects):
                _, diags = expression_diagnostics(
                    src, "set", var_types, node_ids, locate(f"set:{key}#{i}") or cloc, cwhere
                )
                out.extend(diags)

    out.extend(_check_service(content, locate))
    out.extend(_check_placeholders(content, locate))
    return out


def _check_service(content: StoryContent, locate: Locate) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    for locale in content.locales:
        if not content.helplines.get(locale):
            out.append(
                Diagnostic(
                    "E115",
                    f"no helplines for locale {locale!r}: players must always see where to get "
                    "help now",
                    locate(f"helplines:{locale}") or locate("manifest:start"),
                )
            )
    for line_id in content.disclosure:
        if line_id not in content.lines.get(content.source_locale, {}):
            out.append(Diagnostic("E115", f"disclosure line {line_id!r} has no text", None))
    return out


def _check_placeholders(content: StoryContent, locate: Locate) -> list[Diagnostic]:
    out: list[Diagnostic] = []
    service_ids = set(content.disclosure)
    for offer in content.offers.values():
        service_ids.update(offer.line_ids)
    source = content.lines.get(content.source_locale, {})
    for line_id, text in source.items():
        found = placeholders(text)
        if not found:
            continue
        loc = locate(f"line:{line_id}")
        if line_id not in service_ids:
            out.append(
                Diagnostic(
                    "E117",
                    f"line {line_id!r} contains {{...}}; placeholders are only allowed in offer "
                    "and disclosure texts",
                    loc,
                )
            )
            continue
        bad = [p for p in found if p not in PLACEHOLDERS]
        if bad:
            out.append(
                Diagnostic(
                    "E117",
                    f"line {line_id!r} uses unknown placeholder(s) "
                    + ", ".join("{" + b + "}" for b in bad)
                    + " (known: {organisation}, {funder})",
                    loc,
                )
            )
    for locale, table in content.lines.items():
        if locale == content.source_locale:
            continue
        for line_id, text in table.items():
            if line_id not in source:
                continue
            if placeholders(text) != placeholders(source[line_id]):
                out.append(
                    Diagnostic(
                        "E117",
                        f"{locale} translation of {line_id!r} has placeholders "
                        f"{placeholders(text)} but the source has {placeholders(source[line_id])}",
                        locate(f"tr:{locale}:{line_id}"),
                    )
                )
    return out
