"""Evaluation of the handoff, sans-IO: measures per counsellor kind and week, and the
small-count suppression every figure passes before anyone sees or exports it.

Public API: :func:`handoff.reports.measures.build_report` (rows and ``now`` in, a
:class:`~handoff.reports.measures.Report` of suppressed cells out),
:func:`handoff.reports.suppression.suppress_table`, and the exchange format in
:mod:`handoff.reports.exchange`.
"""
