"""Charts as SVG markup, drawn on the server: pure functions, no database, no JavaScript.

Each chart is an ``<svg role="img">`` with a ``<title>`` and a ``<desc>`` that says every
figure in words, so screen readers and printouts get the same as the picture. All text is
escaped here; the result is safe to put in a page as it is.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

# Geometry, in SVG user units (the chart scales to its box: viewBox and width 100%).
WIDTH = 640
VALUE_WIDTH = 110
BAR_HEIGHT = 22
BAR_GAP = 8
PADDING = 8
# Room for the labels: from the longest, at about 7.5 units a character, within bounds.
LABEL_MIN = 80
LABEL_MAX = 300
CHAR_WIDTH = 7.5
BAR_SPACE = WIDTH - 170 - VALUE_WIDTH - 2 * PADDING  # with labels of ~21 characters


def label_width(labels: Sequence[str]) -> float:
    """Return the width the labels need, within LABEL_MIN and LABEL_MAX."""
    longest = max((len(label) for label in labels), default=0)
    return min(LABEL_MAX, max(LABEL_MIN, round(longest * CHAR_WIDTH + 12)))


@dataclass(frozen=True)
class Bar:
    """One bar: its label and its figure (a count or an amount)."""

    label: str
    value: int | float | Decimal


def _plain_number(value: int | float | Decimal) -> str:
    if isinstance(value, Decimal | float):
        return f"{value:,.2f}"
    return f"{value:,}"


def bar_lengths(values: Sequence[int | float | Decimal], space: float = BAR_SPACE) -> list[float]:
    """Return each bar's length: proportional to its value, the largest filling ``space``.

    Negative values draw no bar; all zero (or no values) gives zero lengths.
    """
    largest = max((float(value) for value in values), default=0.0)
    if largest <= 0:
        return [0.0 for _value in values]
    return [round(space * max(float(value), 0.0) / largest, 1) for value in values]


def hbar_chart(
    *,
    title: str,
    description: str,
    bars: Sequence[Bar],
    number: Callable[[int | float | Decimal], str] = _plain_number,
    css_class: str = "chart",
) -> SafeString:
    """Return a horizontal bar chart as SVG markup, each bar labelled with its figure."""
    height = 2 * PADDING + max(len(bars), 1) * (BAR_HEIGHT + BAR_GAP)
    figures = "; ".join(f"{bar.label}: {number(bar.value)}" for bar in bars)
    parts = [
        f'<svg class="{escape(css_class)}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)} {escape(figures)}</desc>",
    ]
    if not bars:
        parts.append(
            f'<text x="{PADDING}" y="{PADDING + BAR_HEIGHT - 6}" class="chart-empty">'
            f"{escape(_('Nothing to show.'))}</text>"
        )
    left = label_width([bar.label for bar in bars])
    space = WIDTH - left - VALUE_WIDTH - 2 * PADDING
    lengths = bar_lengths([bar.value for bar in bars], space=space)
    for index, (bar, length) in enumerate(zip(bars, lengths, strict=True)):
        top = PADDING + index * (BAR_HEIGHT + BAR_GAP)
        middle = top + BAR_HEIGHT / 2 + 5
        parts.append(
            f'<text x="{left - 6}" y="{middle}" text-anchor="end" class="chart-label">'
            f"{escape(bar.label)}</text>"
        )
        parts.append(
            f'<rect x="{left}" y="{top}" width="{length}" height="{BAR_HEIGHT}" '
            f'class="chart-bar chart-bar-{index}"/>'
        )
        parts.append(
            f'<text x="{left + length + 6}" y="{middle}" class="chart-value">'
            f"{escape(number(bar.value))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every piece of text above is escaped)


def money(value: int | float | Decimal) -> str:
    """Return an amount in US dollars as the charts write it, e.g. "USD 1,234.50"."""
    return _("USD %(amount)s") % {"amount": f"{Decimal(value):,.2f}"}


# --- stacked bars (issue 8: fleet health) ---------------------------------------------------

# Fill of each series, as presentation attributes (no stylesheet needed): working green,
# in repair amber, unreachable red, retired grey, lost dark; more series reuse the palette.
STACK_FILLS = ("#1e7b34", "#a15c00", "#b3261e", "#8a939c", "#3d4650", "#0b5394")
LEGEND_HEIGHT = 24


@dataclass(frozen=True)
class Stack:
    """One stacked bar: its label and one figure per series."""

    label: str
    values: Sequence[int]


def stacked_bar_chart(
    *,
    title: str,
    description: str,
    series: Sequence[str],
    stacks: Sequence[Stack],
    css_class: str = "chart chart-stacked",
) -> SafeString:
    """Return a horizontal stacked bar chart as SVG markup, a legend above, totals at the end.

    Each bar's length is its total against the largest total; its segments are its series.
    """
    # The legend: one key per series, wrapped onto more lines when the labels are long.
    keys, x, y = [], PADDING, PADDING
    for index, name in enumerate(series):
        width = 16 + round(len(str(name)) * CHAR_WIDTH) + 16
        if x > PADDING and x + width > WIDTH:
            x, y = PADDING, y + LEGEND_HEIGHT
        fill = STACK_FILLS[index % len(STACK_FILLS)]
        keys.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{fill}" class="chart-key"/>'
            f'<text x="{x + 16}" y="{y + 11}" class="chart-label">{escape(name)}</text>'
        )
        x += width
    top = y + LEGEND_HEIGHT
    height = top + PADDING + max(len(stacks), 1) * (BAR_HEIGHT + BAR_GAP)
    figures = "; ".join(
        f"{stack.label}: "
        + ", ".join(
            f"{name} {_plain_number(value)}"
            for name, value in zip(series, stack.values, strict=True)
        )
        for stack in stacks
    )
    parts = [
        f'<svg class="{escape(css_class)}" role="img" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(description)} {escape(figures)}</desc>",
        *keys,
    ]
    if not stacks:
        parts.append(
            f'<text x="{PADDING}" y="{top + BAR_HEIGHT - 6}" class="chart-empty">'
            f"{escape(_('Nothing to show.'))}</text>"
        )
    left = label_width([stack.label for stack in stacks])
    space = WIDTH - left - VALUE_WIDTH - 2 * PADDING
    totals = [sum(max(value, 0) for value in stack.values) for stack in stacks]
    largest = max(totals, default=0)
    for row, (stack, total) in enumerate(zip(stacks, totals, strict=True)):
        y = top + row * (BAR_HEIGHT + BAR_GAP)
        middle = y + BAR_HEIGHT / 2 + 5
        parts.append(
            f'<text x="{left - 6}" y="{middle}" text-anchor="end" class="chart-label">'
            f"{escape(stack.label)}</text>"
        )
        x = float(left)
        for index, value in enumerate(stack.values):
            length = round(space * max(value, 0) / largest, 1) if largest else 0.0
            if length:
                fill = STACK_FILLS[index % len(STACK_FILLS)]
                parts.append(
                    f'<rect x="{round(x, 1)}" y="{y}" width="{length}" height="{BAR_HEIGHT}" '
                    f'fill="{fill}" class="chart-segment"/>'
                )
            x += length
        parts.append(
            f'<text x="{round(x, 1) + 6}" y="{middle}" class="chart-value">'
            f"{escape(_plain_number(total))}</text>"
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every piece of text above is escaped)
