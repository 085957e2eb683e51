"""Playing the game offline: disclosure, story, help point, offer, saves, quick exit, settings."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pygame
import pytest

from game.app import GameApp
from tests.game.driver import (
    STORY_MIN,
    finish_text,
    focused_ident,
    frames,
    key,
    make_app,
    press,
    type_text,
)


def start_story(game: GameApp) -> None:
    key(game, pygame.K_RETURN)  # "Start the story" has the focus on the first screen
    assert game.top is not None and game.top.name == "story"
    finish_text(game)


def play_to_help_point(game: GameApp) -> None:
    start_story(game)
    key(game, pygame.K_1)  # start -> chat
    finish_text(game)
    key(game, pygame.K_1)  # ask about the group chat -> group (content note first)
    frames(game, 2)
    key(game, pygame.K_RETURN)  # acknowledge the content note
    finish_text(game)
    key(game, pygame.K_1)  # "Yes, that sounds weird" -> talk (a help point)
    frames(game, 3)
    finish_text(game)  # the offer opens once the help point's own text has been shown
    frames(game, 2)


def test_disclosure_is_the_first_screen_and_names_who_runs_it(game: GameApp) -> None:
    """The first thing a player sees says who runs the game, who pays and what is kept."""
    assert game.scene_names() == ["disclosure"]
    texts = " ".join(game.top.panels()[0].texts())
    assert "Who runs this" in texts and "Who pays for it" in texts
    assert "What is kept" in texts and "112" in texts
    # offline and never connected: it says so instead of naming a guess
    assert "no server configured" in texts


def test_disclosure_reachable_from_the_story_with_f1(game: GameApp) -> None:
    """F1 opens the 'who is behind this' page from inside the story and Esc returns."""
    start_story(game)
    key(game, pygame.K_F1)
    assert game.scene_names() == ["story", "disclosure"]
    key(game, pygame.K_ESCAPE)
    frames(game, 40)  # longer than the double-Escape window
    assert game.scene_names() == ["story"]


def test_help_point_offer_not_now_returns_to_the_same_place(game: GameApp) -> None:
    """Declining the offer at a help point puts the player back exactly where they were."""
    play_to_help_point(game)
    assert game.scene_names() == ["story", "offer"]
    story = game.story_scene
    node_before, history_before = story.engine.node.id, story.engine.history
    assert node_before == "talk"
    offer = game.top
    # nothing is pre-selected or focused, and both answers are the same size
    assert focused_ident(game) is None
    _, yes = find(game, "yes")
    _, not_now = find(game, "not_now")
    assert yes.rect.size == not_now.rect.size and yes.kind == not_now.kind
    texts = " ".join(offer.panels()[0].texts())
    assert "human counsellor" in texts
    # offline: how long chats are kept and where confidentiality ends are not guessed
    assert "could not confirm" in texts and "30 days" not in texts
    press(game, "not_now")
    assert game.scene_names() == ["story"]
    assert story.engine.node.id == node_before and story.engine.history == history_before
    # the help point does not nag: the offer is not shown again for the same visit
    frames(game, 10)
    assert game.scene_names() == ["story"]


def find(game: GameApp, ident: str):  # noqa: ANN201
    from tests.game.driver import find_button

    return find_button(game, ident)


def test_talk_button_and_key_open_the_offer_on_every_story_screen(game: GameApp) -> None:
    """'Talk to someone' is always on the story screen, and T opens the offer too."""
    start_story(game)
    find(game, "talk")
    key(game, pygame.K_t)
    assert game.top.name == "offer"
    key(game, pygame.K_ESCAPE)
    frames(game, 40)
    press(game, "talk")
    assert game.top.name == "offer"


def test_offline_copy_says_chat_is_unavailable(game: GameApp) -> None:
    """Without a server, saying yes explains plainly that chat needs a connection."""
    start_story(game)
    key(game, pygame.K_t)
    press(game, "yes")
    assert game.top.name == "offer"
    assert any("helplines" in t for t in game.top.panels()[0].texts())


def test_keyboard_only_play_reaches_an_ending(game: GameApp) -> None:
    """The whole story can be played with Tab, arrows and Enter alone."""
    key(game, pygame.K_RETURN)
    for _ in range(12):
        finish_text(game)
        if game.top.name == "offer":
            key(game, pygame.K_TAB)  # focus the first answer ("Yes")
            key(game, pygame.K_TAB)  # then "Not now"
            assert focused_ident(game) == "not_now"
            key(game, pygame.K_RETURN)
            finish_text(game)
        story = game.story_scene
        if story.engine.at_ending:
            break
        if story.pending_warning():
            key(game, pygame.K_RETURN)
            continue
        key(game, pygame.K_DOWN)
        key(game, pygame.K_UP)
        assert focused_ident(game) == "choice_1"
        key(game, pygame.K_RETURN)
    assert game.story_scene.engine.at_ending
    assert focused_ident(game) == "again"


def test_back_one_step_and_history(game: GameApp) -> None:
    """B undoes the last choice, and the history lists what was said and chosen."""
    start_story(game)
    key(game, pygame.K_1)
    finish_text(game)
    assert game.story_scene.engine.node.id == "chat"
    key(game, pygame.K_b)
    assert game.story_scene.engine.node.id == "start"
    key(game, pygame.K_1)
    finish_text(game)
    key(game, pygame.K_h)
    assert game.top.name == "history"
    texts = " ".join(game.top.panels()[0].texts())
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


def test_save_slot_and_load(game: GameApp) -> None:
    """A game saved in a slot can be loaded later and returns to that point."""
    start_story(game)
    key(game, pygame.K_s)
    press(game, "save_1")
    key(game, pygame.K_ESCAPE)
    frames(game, 40)
    key(game, pygame.K_1)
    finish_text(game)
    assert game.story_scene.engine.node.id == "chat"
    key(game, pygame.K_s)
    press(game, "load_1")
    assert game.top.name == "story" and game.story_scene.engine.node.id == "start"


SCENES = ["disclosure", "story", "offer", "settings", "resources", "history", "saves"]


def open_scene(game: GameApp, name: str) -> None:
    if name == "disclosure":
        return
    start_story(game)
    keys = {
        "offer": pygame.K_t,
        "settings": pygame.K_F2,
        "resources": pygame.K_r,
        "history": pygame.K_h,
        "saves": pygame.K_s,
    }
    if name in keys:
        key(game, keys[name])
    assert game.top.name == name


@pytest.mark.parametrize("scene", SCENES)
def test_quick_exit_by_double_escape_from_every_scene(game: GameApp, scene: str) -> None:
    """Pressing Escape twice quickly, anywhere, swaps the game for a plain notes screen."""
    open_scene(game, scene)
    key(game, pygame.K_ESCAPE)
    key(game, pygame.K_ESCAPE)
    assert game.scene_names() == ["neutral"]
    assert pygame.display.get_caption()[0] == "Notes"
    # nothing on the neutral screen brings the game back by accident
    key(game, pygame.K_t)
    key(game, pygame.K_F1)
    assert game.scene_names() == ["neutral"]
    key(game, pygame.K_RETURN, mod=pygame.KMOD_CTRL)
    assert game.scene_names()[-1] == (scene if scene != "offer" else "offer")


@pytest.mark.parametrize("scene", ["disclosure", "story", "settings"])
def test_quick_exit_button_is_visible_and_works(game: GameApp, scene: str) -> None:
    """The red quick exit button in the corner works with one click."""
    open_scene(game, scene)
    rect = game._quick_button.rect
    assert game.screen.get_rect().contains(rect)
    from tests.game.driver import click

    click(game, rect.center)
    assert game.scene_names() == ["neutral"]


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


def test_settings_are_keyboard_operable_with_visible_focus(game: GameApp) -> None:
    """Every setting can be reached with Tab and changed with Enter or the arrow keys."""
    key(game, pygame.K_F2)
    seen = []
    for _ in range(20):
        seen.append(focused_ident(game))
        key(game, pygame.K_TAB)
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
    while focused_ident(game) != "volume":
        key(game, pygame.K_TAB)
    key(game, pygame.K_LEFT)
    assert game.settings.volume == 60


def test_self_voicing_reads_the_story(game: GameApp) -> None:
    """With self-voicing on, the current text and the choices are read aloud."""
    game.settings.self_voicing = True
    game.apply_settings()
    start_story(game)
    frames(game, 2)
    spoken = " ".join(game.voice.spoken)
    assert "Rain again" in spoken and "1. Continue" in spoken


def test_self_voicing_missing_is_explained(game: GameApp) -> None:
    """On a computer without text-to-speech, the settings say so in plain words."""
    game.voice.backend = None
    key(game, pygame.K_F2)
    texts = " ".join(game.top.panels()[0].texts())
    assert "Speech is not available" in texts


def test_typewriter_and_instant_text(game: GameApp) -> None:
    """Text appears letter by letter at normal speed, at once on 'instant', and Space skips."""
    key(game, pygame.K_RETURN)
    story = game.story_scene
    assert not story.revealed
    key(game, pygame.K_SPACE)
    assert story.revealed
    game.settings.text_speed = "instant"
    game.apply_settings()
    key(game, pygame.K_1)
    assert story.revealed


def overflowing(game: GameApp) -> list[str]:
    bad = []
    top = game.top
    screen = game.screen.get_rect()
    for panel in top.panels():
        assert screen.contains(panel.rect.clip(screen))
        for item in panel.all_items():
            if item.overflows(game.theme):
                bad.append(f"{top.name}: {item.texts()}")
            r = panel.abs_rect(item)
            if r.right > panel.rect.width:
                bad.append(f"{top.name}: too wide {item.texts()}")
    return bad


@pytest.mark.parametrize("locale", ["en", "de"])
def test_text_never_overflows_at_200_percent(game: GameApp, locale: str) -> None:
    """At 200 % text in either language, no text spills out of its box on any screen."""
    game.settings.text_scale = 200
    game.settings.language = locale
    game.apply_settings()
    frames(game, 2)
    problems = overflowing(game)
    start_story(game)
    problems += overflowing(game)
    for k in (pygame.K_t, pygame.K_F2, pygame.K_r, pygame.K_h, pygame.K_s, pygame.K_F1):
        key(game, k)
        frames(game, 2)
        problems += overflowing(game)
        game.pop()
        frames(game, 2)
    play_on = [pygame.K_1, pygame.K_1]
    for k in play_on:
        key(game, k)
        finish_text(game)
        problems += overflowing(game)
    assert problems == []


def test_unicode_names_render_without_losing_text(game: GameApp) -> None:
    """Very long words, web addresses and CJK text wrap inside the story box."""
    from game.ui import Text

    theme = game.theme
    item = Text("https://example.org/" + "a" * 300 + " 你好世界" * 40)
    item.layout(theme, 600)
    assert not item.overflows(theme)
    joined = "".join(theme.wrap(item.text, "body", 600))
    assert joined.replace(" ", "") == item.text.replace(" ", "")


def test_chat_input_editing_selection_and_paste(game: GameApp) -> None:
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


def test_type_text_helper_reaches_only_the_chat(game: GameApp) -> None:
    """Typing letters in the story does not type anywhere; letters are hotkeys there."""
    start_story(game)
    type_text(game, "t")
    assert game.top.name == "story"


def test_input_method_composition_is_shown_not_inserted(game: GameApp) -> None:
    """While an input method composes (e.g. Japanese), the text is only committed at the end."""
    from game.ui import Clipboard, TextInput

    box = TextInput(Clipboard(), lambda _t: None)
    box.layout(game.theme, pygame.Rect(10, 10, 400, 60))
    box.handle_event(pygame.event.Event(pygame.TEXTEDITING, text="にほ", start=0, length=2))
    assert box.text == "" and box.composition == "にほ"
    box.draw(game.screen, game.theme)
    box.handle_event(pygame.event.Event(pygame.TEXTINPUT, text="日本"))
    assert box.text == "日本" and box.composition == ""


def test_system_speech_really_speaks(tmp_path: Path) -> None:
    """Where espeak-ng is installed, self-voicing produces real speech in both languages."""
    import shutil
    import wave

    from game.voice import Voice

    if shutil.which("espeak-ng") is None:
        pytest.skip("espeak-ng is not installed on this machine")
    for lang, text in (("en", "Talk to someone"), ("de", "Mit jemandem reden")):
        voice = Voice(enabled=True, language=lang)
        out = tmp_path / f"{lang}.wav"
        assert voice.render_to_file(text, str(out))
        with wave.open(str(out)) as wav:
            assert wav.getnframes() / wav.getframerate() > 0.5  # at least half a second


def test_game_package_import_stays_light() -> None:
    """Importing the game package (as the server does for the narrative engine) loads no pygame."""
    import subprocess
    import sys

    code = "import game, game.narrative, sys; print('pygame' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_scene_change_fades_unless_motion_is_reduced(game: GameApp) -> None:
    """A new place cross-fades in; with 'reduce motion' it appears at once."""
    start_story(game)
    story = game.story_scene
    from game.narrative.scenery import Setting

    new = story._setting()
    old = Setting("kitchen", "night", "clear")
    assert old != new
    probe = (640, 200)

    def shown_after_change() -> tuple[int, ...]:
        story._bg_name = old  # pretend the previous node was somewhere else
        story._bg_prev = None
        game.step([], 0.0)  # draw the first frame of the change
        return tuple(game.screen.get_at(probe))[:3]

    old_px = tuple(game.art.scene(old).get_at(probe))[:3]
    new_px = tuple(game.art.scene(new).get_at(probe))[:3]
    assert old_px != new_px
    assert shown_after_change() == old_px  # the fade starts from the old place
    game.settings.reduced_motion = True
    game.apply_settings()
    assert shown_after_change() == new_px


def test_cover_notes_page_accepts_typing(game: GameApp) -> None:
    """The quick-exit cover behaves like a notes page: typing, new lines and Backspace work."""
    start_story(game)
    key(game, pygame.K_ESCAPE)
    key(game, pygame.K_ESCAPE)
    cover = game.top
    assert cover.name == "neutral"
    type_text(game, "milk, ")
    type_text(game, "bread")
    key(game, pygame.K_RETURN)
    type_text(game, "tea")
    key(game, pygame.K_BACKSPACE)
    key(game, pygame.K_t, unicode="t")  # the game's "Talk" hotkey: here it only types
    type_text(game, "t")
    assert cover.notes.text == "milk, bread\ntet"
    assert game.scene_names() == ["neutral"]
    before = pygame.image.tobytes(game.screen, "RGB")
    type_text(game, "!")
    assert pygame.image.tobytes(game.screen, "RGB") != before  # what is typed is drawn
    key(game, pygame.K_RETURN, mod=pygame.KMOD_CTRL)
    assert game.top.name == "story"


@pytest.mark.skipif(shutil.which("Xvfb") is None, reason="needs Xvfb (install-system-deps.sh)")
def test_window_class_and_title_are_neutral_in_a_real_x_window(tmp_path: Path) -> None:
    """In a real X window the class never names the game, and after quick exit the title is
    "Notes" too, so a taskbar or window list shows nothing telling."""
    display = f":{90 + os.getpid() % 100}"
    xvfb = subprocess.Popen(["Xvfb", display, "-screen", "0", "1280x720x24", "-nolisten", "tcp"])
    try:
        time.sleep(0.5)
        snippet = (
            "import os, subprocess, sys\n"
            "from pathlib import Path\n"
            "import pygame\n"
            "from game.app import GameApp\n"
            f"home, story = Path({str(tmp_path)!r}), Path({str(STORY_MIN)!r})\n"
            "app = GameApp(None, home=home, story_path=story)\n"
            "app.step([], 1 / 60)\n"
            "wid = str(pygame.display.get_wm_info()['window'])\n"
            "def props():\n"
            "    names = ['WM_CLASS', 'WM_NAME', '_NET_WM_NAME']\n"
            "    return subprocess.run(['xprop', '-id', wid, *names],"
            " capture_output=True, text=True).stdout\n"
            "print('BEFORE', props())\n"
            "app.quick_exit()\n"
            "app.step([], 1 / 60)\n"
            "print('AFTER', props())\n"
        )
        env = {**os.environ, "DISPLAY": display, "SDL_VIDEODRIVER": "x11"}
        env.pop("SDL_VIDEO_X11_WMCLASS", None)
        out = subprocess.run(
            [sys.executable, "-c", snippet], env=env, capture_output=True, text=True, timeout=60
        )
        assert out.returncode == 0, out.stderr
        before, after = out.stdout.split("AFTER")
        assert 'WM_CLASS(STRING) = "notes", "notes"' in before
        assert "crossroads" not in after.lower()
        assert (
            'WM_NAME(STRING) = "Notes"' in after or '_NET_WM_NAME(UTF8_STRING) = "Notes"' in after
        )
    finally:
        xvfb.terminate()
        xvfb.wait(5)


def test_scenes_and_portraits_follow_the_story_data(home: Path) -> None:
    """The 1 am kitchen is drawn as the kitchen at night, and Jo's portrait is Jo's sheet."""
    from game.narrative.scenery import Setting
    from game.paths import STORY

    game = make_app(None, home, story_path=STORY)
    try:
        game.start_story(None)
        story = game.story_scene
        story.engine = type(story.engine)(game.bundle, "en", start="jo_kitchen")
        story.refresh()
        frames(game, 2)
        assert story._setting() == Setting("kitchen", "night", "clear")
        assert story._bg_name == Setting("kitchen", "night", "clear")
        story.engine = type(story.engine)(game.bundle, "en", start="jo_friends")
        story.refresh()
        frames(game, 2)
        assert story._speaker_id() == "jo"
        assert story._look("jo").clothes == "scrubs"
        assert story._look("vex").figure == "fox"
    finally:
        game.shutdown()


def test_back_at_a_consent_point_says_why_nothing_happened(game: GameApp) -> None:
    """B at a consent point is refused with a plain reason, never silently ignored."""
    play_to_help_point(game)
    press(game, "not_now")
    story = game.story_scene
    assert story.engine.node.is_consent_point
    key(game, pygame.K_b)
    assert story.engine.node.id == "talk"
    assert game.notice == game.tr("story.back_consent")
    game.notice = None
    fresh = make_app(None, game.home / "fresh")
    try:
        start_story(fresh)
        key(fresh, pygame.K_b)  # at the very start there is nothing to undo
        assert fresh.notice == fresh.tr("story.back_start")
    finally:
        fresh.shutdown()


def test_small_texts_read_right(home: Path) -> None:
    """The age line says "from 14" once, and the autosave label ends on a whole word."""
    from game.paths import STORY

    game = make_app(None, home, story_path=STORY)
    try:
        texts = " ".join(game.top.panels()[0].texts())
        assert texts.count("14") == 1
        start_story(game)
        game.story_scene.autosave()
        label = game.saves.info("auto").label
        assert label.endswith("…") and len(label) <= 80
        assert label[:-1].rstrip() in game.story_scene.node_text().replace("\n", " ")
    finally:
        game.shutdown()
