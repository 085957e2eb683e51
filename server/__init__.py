"""Crossroads server: the aiohttp shell around the handoff and ethics cores.

Everything here does I/O (HTTP, WebSockets, SQL, the clock); the decisions live in the
sans-IO packages ``handoff`` and ``ethics`` and in ``game.narrative``.
"""
