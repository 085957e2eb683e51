"""Playing the game offline: disclosure, story, help point, offer, saves, quick exit, settings."""

from __future__ import annotations

import json
from pathlib import Path

import pygame
import pytest

from game.app import GameApp
from tests.game.driver import (
    finish_text,
    focused_ident,
    frames,
    key,
    make_app,
    press,
    type_text,
)


def start_story(app: GameApp) -> None:
    key(app, pygame.K_RETURN)  # "Start the story" has the focus on the first screen
    assert app.top is not None and app.top.name == "story"
    finish_text(app)


def play_to_help_point(app: GameApp) -> None:
    start_story(app)
    key(app, pygame.K_1)  # start -> chat
    finish_text(app)
    key(app, pygame.K_1)  # ask about the group chat -> group (content note first)
    frames(app, 2)
    key(app, pygame.K_RETURN)  # acknowledge the content note
    finish_text(app)
    key(app, pygame.K_1)  # "Yes, that sounds weird" -> talk (a help point)
    frames(app, 3)


def test_disclosure_is_the_first_screen_and_names_who_runs_it(app: GameApp) -> None:
    """The first thing a player sees says who runs the game, who pays and what is kept."""
    assert app.scene_names() == ["disclosure"]
    texts = " ".join(app.top.panels()[0].texts())
    assert "Who runs this" in texts and "Who pays for it" in texts
    assert "What is kept" in texts and "112" in texts
    # offline and never connected: it says so instead of naming a guess
    assert "no server configured" in texts


def test_disclosure_reachable_from_the_story_with_f1(app: GameApp) -> None:
    """F1 opens the 'who is behind this' page from inside the story and Esc returns."""
    start_story(app)
    key(app, pygame.K_F1)
    assert app.scene_names() == ["story", "disclosure"]
    key(app, pygame.K_ESCAPE)
    frames(app, 40)  # longer than the double-Escape window
    assert app.scene_names() == ["story"]


def test_help_point_offer_not_now_returns_to_the_same_place(app: GameApp) -> None:
    """Declining the offer at a help point puts the player back exactly where they were."""
    play_to_help_point(app)
    assert app.scene_names() == ["story", "offer"]
    story = app.story_scene
    node_before, history_before = story.engine.node.id, story.engine.history
    assert node_before == "talk"
    offer = app.top
    # nothing is pre-selected or focused, and both answers are the same size
    assert focused_ident(app) is None
    _, yes = find(app, "yes")
    _, not_now = find(app, "not_now")
    assert yes.rect.size == not_now.rect.size and yes.kind == not_now.kind
    texts = " ".join(offer.panels()[0].texts())
    assert "human counsellor" in texts and "30 days" in texts and "in danger" in texts
    press(app, "not_now")
    assert app.scene_names() == ["story"]
    assert story.engine.node.id == node_before and story.engine.history == history_before
    # the help point does not nag: the offer is not shown again for the same visit
    frames(app, 10)
    assert app.scene_names() == ["story"]


def find(app: GameApp, ident: str):  # noqa: ANN201
    from tests.game.driver import find_button

    return find_button(app, ident)


def test_talk_button_and_key_open_the_offer_on_every_story_screen(app: GameApp) -> None:
    """'Talk to someone' is always on the story screen, and T opens the offer too."""
    start_story(app)
    find(app, "talk")
    key(app, pygame.K_t)
    assert app.top.name == "offer"
    key(app, pygame.K_ESCAPE)
    frames(app, 40)
    press(app, "talk")
    assert app.top.name == "offer"


def test_offline_copy_says_chat_is_unavailable(app: GameApp) -> None:
    """Without a server, saying yes explains plainly that chat needs a connection."""
    start_story(app)
    key(app, pygame.K_t)
    press(app, "yes")
    assert app.top.name == "offer"
    assert any("helplines" in t for t in app.top.panels()[0].texts())


def test_keyboard_only_play_reaches_an_ending(app: GameApp) -> None:
    """The whole story can be played with Tab, arrows and Enter alone."""
    key(app, pygame.K_RETURN)
    for _ in range(12):
        finish_text(app)
        if app.top.name == "offer":
            key(app, pygame.K_TAB)  # focus the first answer ("Yes")
            key(app, pygame.K_TAB)  # then "Not now"
            assert focused_ident(app) == "not_now"
            key(app, pygame.K_RETURN)
            finish_text(app)
        story = app.story_scene
        if story.engine.at_ending:
            break
        if story.pending_warning():
            key(app, pygame.K_RETURN)
            continue
        key(app, pygame.K_DOWN)
        key(app, pygame.K_UP)
        assert focused_ident(app) == "choice_1"
        key(app, pygame.K_RETURN)
    assert app.story_scene.engine.at_ending
    assert focused_ident(app) == "again"


def test_back_one_step_and_history(app: GameApp) -> None:
    """B undoes the last choice, and the history lists what was said and chosen."""
    start_story(app)
    key(app, pygame.K_1)
    finish_text(app)
    assert app.story_scene.engine.node.id == "chat"
    key(app, pygame.K_b)
    assert app.story_scene.engine.node.id == "start"
    key(app, pygame.K_1)
    finish_text(app)
    key(app, pygame.K_h)
    assert app.top.name == "history"
    texts = " ".join(app.top.panels()[0].texts())
    assert "Rain again" in texts and "You chose: Continue" in texts


def test_autosave_continues_where_the_player_left(home: Path) -> None:
    """Closing the game and opening it again offers to continue from the same place."""
    first = make_app(None, home)
    start_story(first)
    key(first, pygame.K_1)
    finish_text(first)
    first.shutdown()
    second = make_app(None, home)
    try:
        _, start = find(second, "start")
        assert "Continue" in start.texts()[0]
        key(second, pygame.K_RETURN)
        assert second.story_scene.engine.node.id == "chat"
    finally:
        second.shutdown()


def test_save_slot_and_load(app: GameApp) -> None:
    """A game saved in a slot can be loaded later and returns to that point."""
    start_story(app)
    key(app, pygame.K_s)
    press(app, "save_1")
    key(app, pygame.K_ESCAPE)
    frames(app, 40)
    key(app, pygame.K_1)
    finish_text(app)
    assert app.story_scene.engine.node.id == "chat"
    key(app, pygame.K_s)
    press(app, "load_1")
    assert app.top.name == "story" and app.story_scene.engine.node.id == "start"


SCENES = ["disclosure", "story", "offer", "settings", "resources", "history", "saves"]


def open_scene(app: GameApp, name: str) -> None:
    if name == "disclosure":
        return
    start_story(app)
    keys = {
        "offer": pygame.K_t,
        "settings": pygame.K_F2,
        "resources": pygame.K_r,
        "history": pygame.K_h,
        "saves": pygame.K_s,
    }
    if name in keys:
        key(app, keys[name])
    assert app.top.name == name


@pytest.mark.parametrize("scene", SCENES)
def test_quick_exit_by_double_escape_from_every_scene(app: GameApp, scene: str) -> None:
    """Pressing Escape twice quickly, anywhere, swaps the game for a plain notes screen."""
    open_scene(app, scene)
    key(app, pygame.K_ESCAPE)
    key(app, pygame.K_ESCAPE)
    assert app.scene_names() == ["neutral"]
    assert pygame.display.get_caption()[0] == "Notes"
    # nothing on the neutral screen brings the game back by accident
    key(app, pygame.K_t)
    key(app, pygame.K_F1)
    assert app.scene_names() == ["neutral"]
    key(app, pygame.K_RETURN, mod=pygame.KMOD_CTRL)
    assert app.scene_names()[-1] == (scene if scene != "offer" else "offer")


@pytest.mark.parametrize("scene", ["disclosure", "story", "settings"])
def test_quick_exit_button_is_visible_and_works(app: GameApp, scene: str) -> None:
    """The red quick exit button in the corner works with one click."""
    open_scene(app, scene)
    rect = app._quick_button.rect
    assert app.screen.get_rect().contains(rect)
    from tests.game.driver import click

    click(app, rect.center)
    assert app.scene_names() == ["neutral"]


def test_settings_persist_between_runs(home: Path) -> None:
    """Text size, contrast, font, speed and language stay as chosen after a restart."""
    first = make_app(None, home)
    key(first, pygame.K_F2)
    assert focused_ident(first) == "text_scale"
    key(first, pygame.K_RIGHT)
    key(first, pygame.K_RIGHT)  # 150 %
    press(first, "high_contrast")
    press(first, "legible_font")
    press(first, "speed_instant")
    press(first, "lang_de")
    assert first.settings.text_scale == 150
    first.shutdown()
    saved = json.loads((home / "settings.json").read_text())
    assert saved["text_scale"] == 150 and saved["language"] == "de"
    second = make_app(None, home)
    try:
        s = second.settings
        assert (s.text_scale, s.high_contrast, s.legible_font, s.text_speed, s.language) == (
            150,
            True,
            True,
            "instant",
            "de",
        )
        assert "Wer das betreibt" in " ".join(second.top.panels()[0].texts())
    finally:
        second.shutdown()


def test_settings_are_keyboard_operable_with_visible_focus(app: GameApp) -> None:
    """Every setting can be reached with Tab and changed with Enter or the arrow keys."""
    key(app, pygame.K_F2)
    seen = []
    for _ in range(20):
        seen.append(focused_ident(app))
        key(app, pygame.K_TAB)
    for ident in (
        "text_scale",
        "high_contrast",
        "legible_font",
        "speed_instant",
        "reduced_motion",
        "volume",
        "lang_de",
        "self_voicing",
        "back",
    ):
        assert ident in seen
    while focused_ident(app) != "volume":
        key(app, pygame.K_TAB)
    key(app, pygame.K_LEFT)
    assert app.settings.volume == 60


def test_self_voicing_reads_the_story(app: GameApp) -> None:
    """With self-voicing on, the current text and the choices are read aloud."""
    app.settings.self_voicing = True
    app.apply_settings()
    start_story(app)
    frames(app, 2)
    spoken = " ".join(app.voice.spoken)
    assert "Rain again" in spoken and "1. Continue" in spoken


def test_self_voicing_missing_is_explained(app: GameApp) -> None:
    """On a computer without text-to-speech, the settings say so in plain words."""
    app.voice.backend = None
    key(app, pygame.K_F2)
    texts = " ".join(app.top.panels()[0].texts())
    assert "Speech is not available" in texts


def test_typewriter_and_instant_text(app: GameApp) -> None:
    """Text appears letter by letter at normal speed, at once on 'instant', and Space skips."""
    key(app, pygame.K_RETURN)
    story = app.story_scene
    assert not story.revealed
    key(app, pygame.K_SPACE)
    assert story.revealed
    app.settings.text_speed = "instant"
    app.apply_settings()
    key(app, pygame.K_1)
    assert story.revealed


def overflowing(app: GameApp) -> list[str]:
    bad = []
    top = app.top
    screen = app.screen.get_rect()
    for panel in top.panels():
        assert screen.contains(panel.rect.clip(screen))
        for item in panel.all_items():
            if item.overflows(app.theme):
                bad.append(f"{top.name}: {item.texts()}")
            r = panel.abs_rect(item)
            if r.right > panel.rect.width:
                bad.append(f"{top.name}: too wide {item.texts()}")
    return bad


@pytest.mark.parametrize("locale", ["en", "de"])
def test_text_never_overflows_at_200_percent(app: GameApp, locale: str) -> None:
    """At 200 % text in either language, no text spills out of its box on any screen."""
    app.settings.text_scale = 200
    app.settings.language = locale
    app.apply_settings()
    frames(app, 2)
    problems = overflowing(app)
    start_story(app)
    problems += overflowing(app)
    for k in (pygame.K_t, pygame.K_F2, pygame.K_r, pygame.K_h, pygame.K_s, pygame.K_F1):
        key(app, k)
        frames(app, 2)
        problems += overflowing(app)
        app.pop()
        frames(app, 2)
    play_on = [pygame.K_1, pygame.K_1]
    for k in play_on:
        key(app, k)
        finish_text(app)
        problems += overflowing(app)
    assert problems == []


def test_unicode_names_render_without_losing_text(app: GameApp) -> None:
    """Very long words, web addresses and CJK text wrap inside the story box."""
    from game.ui import Text

    theme = app.theme
    item = Text("https://example.org/" + "a" * 300 + " 你好世界" * 40)
    item.layout(theme, 600)
    assert not item.overflows(theme)
    joined = "".join(theme.wrap(item.text, "body", 600))
    assert joined.replace(" ", "") == item.text.replace(" ", "")


def test_chat_input_editing_selection_and_paste(app: GameApp) -> None:
    """The message box supports typing, cursor keys, selection, copy and paste."""
    from game.ui import Clipboard, TextInput

    sent: list[str] = []
    box = TextInput(Clipboard(), sent.append)
    ev = pygame.event.Event
    box.handle_event(ev(pygame.TEXTINPUT, text="hello wörld ✓"))
    box.handle_event(ev(pygame.KEYDOWN, key=pygame.K_HOME, mod=0, unicode=""))
    box.handle_event(ev(pygame.KEYDOWN, key=pygame.K_RIGHT, mod=pygame.KMOD_CTRL, unicode=""))
    assert box.cursor == 5
    box.handle_event(ev(pygame.KEYDOWN, key=pygame.K_HOME, mod=pygame.KMOD_SHIFT, unicode=""))
    assert box.selected_text() == "hello"
    box.handle_event(ev(pygame.KEYDOWN, key=pygame.K_c, mod=pygame.KMOD_CTRL, unicode=""))
    box.handle_event(ev(pygame.KEYDOWN, key=pygame.K_END, mod=0, unicode=""))
    box.handle_event(ev(pygame.KEYDOWN, key=pygame.K_v, mod=pygame.KMOD_CTRL, unicode=""))
    assert box.text == "hello wörld ✓hello"
    box.handle_event(ev(pygame.KEYDOWN, key=pygame.K_BACKSPACE, mod=pygame.KMOD_CTRL, unicode=""))
    assert box.text == "hello wörld "
    box.handle_event(ev(pygame.KEYDOWN, key=pygame.K_RETURN, mod=pygame.KMOD_SHIFT, unicode=""))
    box.handle_event(ev(pygame.TEXTINPUT, text="line two"))
    box.handle_event(ev(pygame.KEYDOWN, key=pygame.K_RETURN, mod=0, unicode=""))
    assert sent == ["hello wörld \nline two"] and box.text == ""


def test_type_text_helper_reaches_only_the_chat(app: GameApp) -> None:
    """Typing letters in the story does not type anywhere; letters are hotkeys there."""
    start_story(app)
    type_text(app, "t")
    assert app.top.name == "story"
