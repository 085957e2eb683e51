"""Crossroads game client: the pure narrative engine (game.narrative) and the pygame shell.

Importing this package never imports pygame; the pygame parts live in submodules such as
game.app, game.ui and game.scenes, which are imported only when the window is opened.
"""
