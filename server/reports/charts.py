"""Server-drawn SVG charts of report figures (pygal; docs/ARCHITECTURE.md says why).

One chart per measure: a bar per counsellor kind in each week, withheld figures left out (the
table beside every chart marks them ``*``). Colours are dark on white with contrast of at
least 7:1 against the background, text is large, and the SVG scales without loss, so the
chart stays readable at 200% zoom and in high contrast. No script is embedded.
"""

from __future__ import annotations

import base64
import sys
from typing import Final

import pygal
from pygal.style import Style

from handoff.reports.measures import Figure
from server.reports.present import fmt, kind_label, label

# pygal appends an import hook for its old ``pygal.maps`` plugins (unused here) that has no
# ``find_spec``, so every later import that no other finder resolves warns (an ImportWarning,
# an error under our test settings): take it out again.
sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, pygal.PluginImportFixer)]

#: Dark colours, each at least 7:1 against white (WCAG AAA for text of any size).
COLOURS: Final = ("#0b3d91", "#7a3500", "#00522a", "#5a1a7a", "#333333")

STYLE: Final = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#000000",
    foreground_strong="#000000",
    foreground_subtle="#444444",
    opacity="1",
    opacity_hover="1",
    colors=COLOURS,
    font_family="system-ui, sans-serif",
    label_font_size=18,
    major_label_font_size=18,
    value_font_size=16,
    title_font_size=22,
    legend_font_size=18,
    tooltip_font_size=16,
)


def chart_svg(fig: Figure, weeks: tuple[str, ...]) -> str:
    """The SVG text of one measure's chart."""
    chart = pygal.Bar(
        style=STYLE,
        js=[],
        disable_xml_declaration=True,
        width=900,
        height=520,
        explicit_size=False,
        legend_at_bottom=True,
        legend_at_bottom_columns=2,
        legend_box_size=16,
        print_values=False,
        show_minor_y_labels=False,
        stroke=True,
        margin=12,
        truncate_legend=-1,
        value_formatter=lambda v: fmt(fig.unit, v),
        range=(0, 1) if fig.unit == "share" else None,
    )
    chart.title = label(fig.key)
    chart.x_labels = list(weeks)
    for r, row in enumerate(fig.rows):
        values = [fig.values[r][c] for c in range(len(weeks))]
        if any(v is not None for v in values):
            chart.add(kind_label(row), values)
    if not chart.raw_series:
        chart.add("No figures shown (all withheld or none yet)", [None] * len(weeks))
    svg: str = chart.render(is_unicode=True)
    return svg


def data_uri(svg: str) -> str:
    """An ``<img src>`` for the SVG (the page's CSP allows ``data:`` images, no inline style)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode("utf-8")).decode("ascii")
