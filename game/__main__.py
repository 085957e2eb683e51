"""`python -m game [--server URL]` opens the game window (same as `crossroads play`)."""

from game.app import cli

raise SystemExit(cli())
