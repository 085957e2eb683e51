"""Durable chat and the handoff's storage: tables, group-commit writer, repositories,
service hours and bookings, erasure and retention jobs."""
