"""Service readiness as Excel workbooks, written with openpyxl's write-only mode.

Two workbooks, in the house style of ``reports/excel.py`` (monitoring may not import reports):
the overview ("Summary" with a native stacked bar chart of offices per state per service, "By
region", "Grid" office × service with each state in words on its colour, "Not ready" with the
reasons), and a month's availability ("Summary" with a bar chart of the mean per service, "By
region", "Grid" with each office × service's percent). Headers are bold and frozen, tables
have an auto filter; text is neutralised so nothing in a cell runs as a formula.
"""

from __future__ import annotations

import datetime as dt
import weakref
from collections.abc import Iterable, Sequence
from copy import copy
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from inventory.exports import DATETIME_FORMAT, _xlsx_text, local_naive
from monitoring.choices import Readiness
from monitoring.selectors import (
    AVAILABILITY_TARGET,
    READINESS_STATES,
    AvailabilityReport,
    PercentCell,
    ReadinessOverview,
    readiness_label,
)

SHEET_NAME_MAX = 31
_SHEET_FORBIDDEN = str.maketrans("", "", "[]:*?/\\")
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", start_color="DDE4EE")
_TITLE_FONT = Font(bold=True, size=13)
_BOLD = Font(bold=True)
PERCENT_FORMAT = "0.0%"

# A state's colour: the cell fill in the grid and the series colour in the chart.
STATE_COLOURS = {
    Readiness.READY: "C6EFCE",
    Readiness.DEGRADED: "FFEB9C",
    Readiness.DOWN: "FFC7CE",
    Readiness.CUT_OFF: "B4A7D6",
    Readiness.UNKNOWN: "D9D9D9",
}
_STATE_FILLS = {
    state: PatternFill("solid", start_color=colour) for state, colour in STATE_COLOURS.items()
}
# Availability at or above the target, near it, and far below (PercentCell.level).
_LEVEL_FILLS = {
    "good": _STATE_FILLS[Readiness.READY],
    "fair": _STATE_FILLS[Readiness.DEGRADED],
    "poor": _STATE_FILLS[Readiness.DOWN],
}


def _sheet_name(text: str, taken: set[str]) -> str:
    """Return a valid, unique sheet name (≤ 31 characters) for ``text``."""
    name = str(text).translate(_SHEET_FORBIDDEN).strip()[:SHEET_NAME_MAX] or "Sheet"
    base, number = name, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        number += 1
    taken.add(name.lower())
    return name


@dataclass(frozen=True)
class Styled:
    """A value for a table row with its fill and number format (rows are made before sheets)."""

    value: object
    fill: PatternFill | None = None
    fmt: str = ""


# Each workbook's styles, each set once on a template cell and then copied: openpyxl hashes a
# style every time one is set, too slow for a grid of 50,000 cells.
_STYLES: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _cell(sheet, value, *, bold: bool = False, fill: PatternFill | None = None, fmt: str = ""):
    """Return a value for a row: text neutralised, a time in local time, styled when asked."""
    if isinstance(value, str):
        value = _xlsx_text(value)
    elif isinstance(value, dt.datetime):
        value = local_naive(value)
        fmt = fmt or DATETIME_FORMAT
    if not (bold or fill is not None or fmt):
        return value
    styles = _STYLES.setdefault(sheet.parent, {})
    key = (fmt, bold, id(fill))
    style = styles.get(key)
    if style is None:
        template = WriteOnlyCell(sheet)
        if fmt:
            template.number_format = fmt
        if bold:
            template.font = _BOLD
        if fill is not None:
            template.fill = fill
        style = styles[key] = template._style
    cell = WriteOnlyCell(sheet, value=value)
    cell._style = copy(style)
    return cell


def _header(sheet, headers: Sequence[str]) -> list:
    cells = []
    for text in headers:
        cell = WriteOnlyCell(sheet, value=_xlsx_text(str(text)))
        cell.font = _HEADER_FONT
        cell.fill = _HEADER_FILL
        cells.append(cell)
    return cells


def _widths(sheet, widths: Sequence[int]) -> None:
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width


def _meta(sheet, title: str, meta: Sequence[tuple[str, object]]) -> int:
    """Write a title, one label and value per row, and a blank row; return the rows written."""
    cell = WriteOnlyCell(sheet, value=_xlsx_text(title))
    cell.font = _TITLE_FONT
    sheet.append([cell])
    for label, value in meta:
        sheet.append([_cell(sheet, label, bold=True), _cell(sheet, value)])
    sheet.append([])
    return len(meta) + 2


def _table(
    workbook,
    taken: set[str],
    *,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    widths: Sequence[int],
    freeze: str = "A2",
) -> int:
    """Add a sheet holding one table: header on row 1, frozen, auto filter. Return its rows."""
    sheet = workbook.create_sheet(_sheet_name(title, taken))
    _widths(sheet, widths)
    sheet.freeze_panes = freeze
    sheet.append(_header(sheet, headers))
    count = 0
    for values in rows:
        sheet.append(
            [
                _cell(sheet, value.value, fill=value.fill, fmt=value.fmt)
                if isinstance(value, Styled)
                else _cell(sheet, value)
                for value in values
            ]
        )
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    return count


def _produced(user) -> list[tuple[str, object]]:
    who = user.get_full_name() or user.get_username()
    return [
        (_("Produced by"), who),
        (_("Produced on (Asia/Dushanbe)"), local_naive(timezone.now()).strftime("%d.%m.%Y %H:%M")),
    ]


def _state_headers() -> list[str]:
    return [readiness_label(state) for state in READINESS_STATES]


def _office_values(office) -> list:
    return [str(office.region), office.code, office.name]


# --- The overview -------------------------------------------------------------------------------


def readiness_workbook(file, *, overview: ReadinessOverview, user) -> None:
    """Write the overview to ``file`` as an .xlsx workbook (every office the filters pick).

    ``overview`` should come from ``readiness_overview(with_details=True)`` for the devices'
    tags on the "Not ready" sheet.
    """
    workbook = Workbook(write_only=True)
    workbook.properties.title = _("Service readiness")
    workbook.properties.creator = user.get_full_name() or user.get_username()
    taken: set[str] = set()
    filters = overview.filters
    states = _state_headers()

    sheet = workbook.create_sheet(_sheet_name(_("Summary"), taken))
    _widths(sheet, [30] + [12] * (len(states) + 1))
    run = overview.run
    meta = [
        (_("Region"), str(filters.region) if filters.region else _("All regions")),
        (_("District"), str(filters.district) if filters.district else _("All districts")),
        (_("CR service"), str(filters.service) if filters.service else _("All services")),
        (
            _("State"),
            (
                readiness_label(filters.state)
                if filters.state in READINESS_STATES
                else _("Any service not ready")
            )
            if filters.state
            else _("Any state"),
        ),
        (_("Office"), filters.q or _("All offices")),
        (_("Offices"), len(overview.rows)),
        (
            _("As of (last computation of every office)"),
            local_naive(run.at).strftime("%d.%m.%Y %H:%M") if run else _("never"),
        ),
        *_produced(user),
    ]
    header_row = _meta(sheet, _("Service readiness"), meta) + 1
    sheet.freeze_panes = f"B{header_row + 1}"
    sheet.append(_header(sheet, [_("CR service"), *states, _("Offices")]))
    for line in overview.by_service:
        sheet.append(
            [
                _cell(sheet, str(line.service)),
                *(line.counts[state] for state in READINESS_STATES),
                line.counts.total,
            ]
        )
    last_row = header_row + len(overview.by_service)
    sheet.append(
        [
            _cell(sheet, _("Offices, by their worst service"), bold=True),
            *(_cell(sheet, overview.worst[state], bold=True) for state in READINESS_STATES),
            _cell(sheet, overview.worst.total, bold=True),
        ]
    )
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(states) + 2)}{last_row}"
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = _("Offices in each state, per service")
    chart.y_axis.title = _("Offices")
    for column, state in enumerate(READINESS_STATES, start=2):
        chart.add_data(
            Reference(sheet, min_col=column, min_row=header_row, max_row=last_row),
            titles_from_data=True,
        )
        series = chart.series[-1]
        series.graphicalProperties.solidFill = STATE_COLOURS[state]
        series.graphicalProperties.line.solidFill = STATE_COLOURS[state]
    chart.set_categories(Reference(sheet, min_col=1, min_row=header_row + 1, max_row=last_row))
    chart.x_axis.scaling.orientation = "maxMin"  # first service on top, as on the page
    chart.height = 10
    chart.width = 22
    sheet.add_chart(chart, f"A{last_row + 3}")

    _table(
        workbook,
        taken,
        title=_("By region"),
        headers=[_("Region"), _("CR service"), *states, _("Offices")],
        rows=(
            [
                str(region.region),
                str(line.service),
                *(line.counts[state] for state in READINESS_STATES),
                line.counts.total,
            ]
            for region in overview.regions
            for line in region.by_service
        ),
        widths=[20, 28] + [12] * (len(states) + 1),
    )

    grid = workbook.create_sheet(_sheet_name(_("Grid"), taken))
    services = overview.services
    _widths(grid, [18, 14, 30, 14] + [14] * len(services))
    grid.freeze_panes = "D2"
    grid.append(
        _header(
            grid,
            [_("Region"), _("Office code"), _("Office"), _("Worst"), *(str(s) for s in services)],
        )
    )
    for row in overview.rows:
        grid.append(
            [
                *(_cell(grid, value) for value in _office_values(row.office)),
                _cell(grid, row.worst_label, fill=_STATE_FILLS.get(row.worst)),
                *(
                    _cell(grid, cell.label or "—", fill=_STATE_FILLS.get(cell.state))
                    for cell in row.cells
                ),
            ]
        )
    grid.auto_filter.ref = f"A1:{get_column_letter(4 + len(services))}{len(overview.rows) + 1}"

    def not_ready():
        for row in overview.rows:
            for service, cell in zip(services, row.cells, strict=True):
                if cell.state is None or cell.state == Readiness.READY:
                    continue
                yield [
                    *_office_values(row.office),
                    str(service),
                    Styled(cell.label, fill=_STATE_FILLS.get(cell.state)),
                    cell.since,
                    cell.reasons,
                    ", ".join(overview.tags.get(pk, str(pk)) for pk in cell.asset_ids),
                ]

    _table(
        workbook,
        taken,
        title=_("Not ready"),
        headers=[
            _("Region"),
            _("Office code"),
            _("Office"),
            _("CR service"),
            _("State"),
            _("Since"),
            _("Reasons"),
            _("Devices named"),
        ],
        rows=not_ready(),
        widths=[18, 14, 30, 26, 12, 16, 50, 40],
    )
    workbook.save(file)


# --- Availability -------------------------------------------------------------------------------


def _percent_fill(value: float | None) -> PatternFill | None:
    return _LEVEL_FILLS.get(PercentCell(value).level)


def availability_workbook(file, *, report: AvailabilityReport, user) -> None:
    """Write a month's availability to ``file`` as an .xlsx workbook (every office)."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = _("Service availability")
    workbook.properties.creator = user.get_full_name() or user.get_username()
    taken: set[str] = set()
    filters = report.filters
    target = f"{AVAILABILITY_TARGET:.0%}"

    sheet = workbook.create_sheet(_sheet_name(_("Summary"), taken))
    _widths(sheet, [30, 12, 20, 20])
    meta = [
        (_("Month"), filters.month.strftime("%m.%Y")),
        (_("From"), local_naive(report.start).strftime("%d.%m.%Y %H:%M")),
        (_("To"), local_naive(report.end).strftime("%d.%m.%Y %H:%M")),
        (
            _("Complete"),
            _("yes") if report.complete else _("no: the month is under way"),
        ),
        (_("Region"), str(filters.region) if filters.region else _("All regions")),
        (_("CR service"), str(filters.service) if filters.service else _("All services")),
        (_("Target"), target),
        (_("Offices"), len(report.rows)),
        *_produced(user),
    ]
    header_row = _meta(sheet, _("Service availability"), meta) + 1
    sheet.freeze_panes = f"B{header_row + 1}"
    below = _("Offices below %(target)s") % {"target": target}
    sheet.append(_header(sheet, [_("CR service"), _("Offices"), _("Mean availability"), below]))
    for line in report.by_service:
        sheet.append(
            [
                _cell(sheet, str(line.service)),
                line.offices,
                _cell(sheet, line.mean, fmt=PERCENT_FORMAT, fill=_percent_fill(line.mean)),
                line.below,
            ]
        )
    last_row = header_row + len(report.by_service)
    sheet.auto_filter.ref = f"A{header_row}:D{last_row}"
    chart = BarChart()
    chart.type = "bar"
    chart.title = _("Mean availability per service")
    chart.y_axis.title = _("Share of the month ready")
    chart.y_axis.scaling.min = 0
    chart.y_axis.scaling.max = 1
    chart.y_axis.number_format = "0%"
    chart.legend = None
    chart.add_data(
        Reference(sheet, min_col=3, min_row=header_row, max_row=last_row), titles_from_data=True
    )
    chart.set_categories(Reference(sheet, min_col=1, min_row=header_row + 1, max_row=last_row))
    chart.x_axis.scaling.orientation = "maxMin"
    chart.height = 9
    chart.width = 18
    sheet.add_chart(chart, f"F{header_row}")

    _table(
        workbook,
        taken,
        title=_("By region"),
        headers=[_("Region"), _("CR service"), _("Offices"), _("Mean availability"), below],
        rows=(
            [
                str(region.region),
                str(line.service),
                line.offices,
                Styled(line.mean, fill=_percent_fill(line.mean), fmt=PERCENT_FORMAT),
                line.below,
            ]
            for region in report.regions
            for line in region.by_service
        ),
        widths=[20, 28, 10, 18, 18],
    )

    services = report.services
    grid = workbook.create_sheet(_sheet_name(_("Grid"), taken))
    _widths(grid, [18, 14, 30] + [14] * len(services))
    grid.freeze_panes = "D2"
    grid.append(_header(grid, [_("Region"), _("Office code"), _("Office"), *map(str, services)]))
    for row in report.rows:
        grid.append(
            [
                *(_cell(grid, value) for value in _office_values(row.office)),
                *(
                    _cell(grid, value, fmt=PERCENT_FORMAT, fill=_percent_fill(value))
                    for value in row.values
                ),
            ]
        )
    grid.auto_filter.ref = f"A1:{get_column_letter(3 + len(services))}{len(report.rows) + 1}"
    workbook.save(file)
