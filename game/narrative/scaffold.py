"""`crossroads content new`: writes a small, complete, lint-clean story to start from.

It contains every required part (manifest, a help point that is also a consent point, an
ending, offer, disclosure, helplines, a route test) so authors change text instead of
learning the structure from an empty page.
"""

from __future__ import annotations

import json
from pathlib import Path

from .model import LOCALE_RE, STORY_ID_RE
from .twee import SERVICE_TEMPLATE

_NODES = """\
# Story nodes. Line ids are derived: <node>.text and <node>.<choice> (see docs/CONTENT.md).
lines:
  ui.continue: "Continue"

nodes:
  - id: start
    text: "This is where your story begins. Replace this text."
    next: question

  - id: question
    speaker: friend
    text: "A friend asks you something. What do you answer?"
    choices:
      - id: honest
        text: "Answer honestly"
        to: talk
        set: ["trust += 1"]
      - id: joke
        text: "Make a joke"
        to: talk

  - id: talk
    tags: [help_point, consent_point]
    text: "Someone you trust says: if anything worries you, you can talk to a real person."
    choices:
      - id: thanks
        text: "Say thanks"
        if: "trust >= 1"
        to: end
      - id: home
        text: "Go home"
        to: end

  - id: end
    ending: home
    text: "The end of this short story. Write your own ending here."
"""

_ROUTES = """\
# Route tests: run them with `crossroads content test .`
tests:
  - name: an honest answer opens the thank-you choice
    steps:
      - choose: next
      - choose: honest
      - expect_var: {trust: 1}
      - expect_help_point: true
      - expect_choices: [thanks, home]
      - choose: thanks
      - expect_ending: home
"""


def new_story(out: Path, *, story_id: str, title: str, locales: list[str]) -> list[Path]:
    """Write a new story into `out` (must not exist or be empty); returns the files written.

    The first locale is the source language; the others get empty translation tables.
    """
    if not STORY_ID_RE.match(story_id):
        raise ValueError(f"story id {story_id!r}: use letters, digits, - and _")
    if not locales or any(not LOCALE_RE.match(x) for x in locales):
        raise ValueError("locales must be codes like en or de")
    if len(set(locales)) != len(locales):
        raise ValueError("a locale is listed twice")
    if out.exists() and any(out.iterdir()):
        raise ValueError(f"{out} is not empty")
    source, targets = locales[0], locales[1:]
    manifest = [
        "# The story manifest (docs/CONTENT.md).",
        "format: 1",
        f"id: {story_id}",
        f"title: {json.dumps(title, ensure_ascii=False)}",
        "start: start",
        f"source_locale: {source}",
        f"locales: [{', '.join(locales)}]",
        "age_guidance:",
        "  min_age: 14",
        '  note: "Describe who the story is for and what it deals with."',
        "speakers:",
        '  friend: "Friend"',
        "variables:",
        "  trust: {type: int, default: 0}",
        "files: [nodes.yaml, service.yaml]",
    ]
    if targets:
        manifest.append("translations:")
        manifest.extend(f"  {loc}: locales/{loc}.yaml" for loc in targets)
    manifest.append("tests: [tests/routes.yaml]")
    files: dict[str, str] = {
        "story.yaml": "\n".join(manifest) + "\n",
        "nodes.yaml": _NODES,
        "service.yaml": SERVICE_TEMPLATE.format(locale=source)
        + "".join(
            f"  {loc}:\n"
            '    - name: "Emergency services"\n'
            '      phone: "112"\n'
            '      url: ""\n'
            '      hours: "24/7"\n'
            '      description: "For immediate danger."\n'
            for loc in targets
        ),
        "tests/routes.yaml": _ROUTES,
    }
    for loc in targets:
        files[f"locales/{loc}.yaml"] = (
            f"# {loc} translation, keyed by line id. Fill it with `crossroads content translate`.\n"
            f"locale: {loc}\nlines: {{}}\n"
        )
    written = []
    for rel, text in files.items():
        path = out / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
