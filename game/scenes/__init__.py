"""Scenes of the game: each handles events, updates with dt and draws itself.

The app keeps a stack of scenes; the top one gets input, and scenes below an overlay are
drawn underneath it.
"""
