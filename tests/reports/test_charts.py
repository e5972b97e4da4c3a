"""The SVG charts: pure functions, no database."""

import re
from decimal import Decimal

from reports import charts


def _bar_widths(svg: str) -> list[float]:
    return [float(width) for width in re.findall(r'<rect [^>]*width="([0-9.]+)"', svg)]


def test_bars_are_proportional_to_their_values():
    svg = charts.hbar_chart(
        title="Devices",
        description="Per stage.",
        bars=[charts.Bar("a", 100), charts.Bar("b", 50), charts.Bar("c", 0)],
    )
    space = charts.WIDTH - charts.LABEL_MIN - charts.VALUE_WIDTH - 2 * charts.PADDING
    assert _bar_widths(svg) == [space, space / 2, 0.0]
    assert charts.bar_lengths([Decimal("10"), Decimal("2.5")], space=100) == [100.0, 25.0]


def test_chart_is_accessible_and_escapes_text():
    svg = charts.hbar_chart(
        title='Stages <b>&"',
        description="Figures.",
        bars=[charts.Bar("<script>alert(1)</script>", 3)],
    )
    assert svg.startswith('<svg class="chart" role="img"')
    assert "<title>Stages &lt;b&gt;&amp;&quot;</title>" in svg
    assert "<script>" not in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    # the description says every figure in words
    assert "<desc>Figures. &lt;script&gt;alert(1)&lt;/script&gt;: 3</desc>" in svg


def test_empty_and_all_zero_data():
    empty = charts.hbar_chart(title="T", description="D", bars=[])
    assert "<rect" not in empty
    assert "Nothing to show." in empty
    assert charts.bar_lengths([]) == []
    assert charts.bar_lengths([0, 0]) == [0.0, 0.0]
    assert charts.bar_lengths([-5, 10], space=10) == [0.0, 10.0]


def test_long_labels_get_room_within_bounds():
    assert charts.label_width(["ab"]) == charts.LABEL_MIN
    assert charts.label_width(["x" * 30]) == round(30 * charts.CHAR_WIDTH + 12)
    assert charts.label_width(["x" * 200]) == charts.LABEL_MAX


def test_money_labels():
    svg = charts.hbar_chart(
        title="Value",
        description="",
        bars=[charts.Bar("x", Decimal("1234.5"))],
        number=charts.money,
    )
    assert "USD 1,234.50" in svg
