"""Evaluation reports (the shell around :mod:`handoff.reports`): the report tables and their
writes from hub events, the queries that feed the core, the ``/reports`` page with its SVG
charts, the ``crossroads report`` commands, the agreed objective and the end-of-chat
feedback. docs/REPORTS.md defines every measure.
"""
