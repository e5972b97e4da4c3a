"""The reconciliation report as one Excel workbook, written with openpyxl's write-only mode.

Sheets: "Summary" (what, for whom, by whom and when; the funnel per set × category with totals;
the declared-against-registered line; a native bar chart of the funnel), "By region", "By
office", then one sheet per discrepancy kind with every row. Each table has a bold frozen
header and an auto filter; money is '#,##0.00 "USD"', dates dd.mm.yyyy; text is neutralised
(``inventory.exports.cell_neutralise``) so nothing in a cell runs as a formula.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from inventory.exports import DATE_FORMAT, MONEY_FORMAT, _xlsx_text, local_naive
from reports import consumables, queries
from reports import operations as ops
from reports import reconciliation as rules

# Sheet names may not hold these characters and are at most 31 characters long.
_SHEET_FORBIDDEN = str.maketrans("", "", "[]:*?/\\")
SHEET_NAME_MAX = 31
_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", start_color="DDE4EE")
_TITLE_FONT = Font(bold=True, size=13)
_TOTAL_FONT = Font(bold=True)


def sheet_name(text: str, taken: set[str]) -> str:
    """Return a valid, unique sheet name (≤ 31 characters) for ``text``."""
    name = str(text).translate(_SHEET_FORBIDDEN).strip()[:SHEET_NAME_MAX] or "Sheet"
    base, number = name, 2
    while name.lower() in taken:
        suffix = f" ({number})"
        name = base[: SHEET_NAME_MAX - len(suffix)] + suffix
        number += 1
    taken.add(name.lower())
    return name


def _cell(sheet, value, *, money: bool = False, bold: bool = False):
    if isinstance(value, str):
        value = _xlsx_text(value)
    elif isinstance(value, dt.datetime):
        value = local_naive(value).date()
    cell = WriteOnlyCell(sheet, value=value)
    if money or isinstance(value, Decimal):
        cell.number_format = MONEY_FORMAT
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT
    if bold:
        cell.font = _TOTAL_FONT
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


def _hbar_chart(
    sheet,
    *,
    title: str,
    axis_title: str,
    header_row: int,
    rows: int,
    anchor: str,
    height: float = 8,
    width: float = 18,
) -> None:
    """Add a native horizontal bar chart of the ``rows`` below ``header_row`` (labels in A,
    values in B, the header naming the series), first row on top as on the page."""
    chart = BarChart()
    chart.type = "bar"
    chart.title = title
    chart.y_axis.title = axis_title
    chart.legend = None
    chart.add_data(
        Reference(sheet, min_col=2, min_row=header_row, max_row=header_row + rows),
        titles_from_data=True,
    )
    chart.set_categories(
        Reference(sheet, min_col=1, min_row=header_row + 1, max_row=header_row + rows)
    )
    chart.x_axis.scaling.orientation = "maxMin"
    chart.height = height
    chart.width = width
    sheet.add_chart(chart, anchor)


def _stage_headers() -> list[str]:
    headers = []
    for stage in rules.STAGES:
        label = str(rules.STAGE_LABELS[stage])
        headers += [
            _("%(stage)s (quantity)") % {"stage": label},
            _("%(stage)s (USD)") % {"stage": label},
        ]
    return headers


def _stage_values(funnel: rules.Funnel) -> list:
    values: list = []
    for stage in rules.STAGES:
        figure = funnel[stage]
        values += [figure.quantity, Decimal(figure.value or 0).quantize(Decimal("0.01"))]
    return values


def _money(value) -> Decimal | None:
    return None if value is None else Decimal(value).quantize(Decimal("0.01"))


def _table_sheet(
    workbook, taken, *, title: str, headers: Sequence[str], rows: Iterable[Sequence], widths
) -> int:
    """Add a sheet holding one table: header on row 1, frozen, auto filter. Return rows."""
    sheet = workbook.create_sheet(sheet_name(title, taken))
    _widths(sheet, widths)
    sheet.freeze_panes = "A2"
    sheet.append(_header(sheet, headers))
    count = 0
    for values in rows:
        sheet.append([_cell(sheet, value) for value in values])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    return count


def _produced(user) -> tuple[str, str]:
    when = timezone.localtime(timezone.now(), ZoneInfo(settings.TIME_ZONE))
    who = user.get_full_name() or user.get_username()
    return who, when.strftime("%d.%m.%Y %H:%M")


def _campaign_words(filters: queries.ReportFilters) -> str:
    campaign = filters.campaign
    if campaign is None:
        return _("All verifications (every campaign and ad hoc)")
    words = f"{campaign.number} {campaign.name}"
    if campaign.seed is not None:
        words += " · " + _("sample of %(size)s, seed %(seed)s") % {
            "size": campaign.sample_size,
            "seed": campaign.seed,
        }
    else:
        words += " · " + _("every asset in scope")
    return words


def _summary(workbook, taken, *, report: queries.Report, user) -> None:
    sheet = workbook.create_sheet(sheet_name(_("Summary"), taken))
    headers = [_("Handover set"), _("Category"), _("Declared (quantity)"), _("Declared (USD)")]
    headers += _stage_headers()
    _widths(sheet, [16, 22, 12, 16] + [12, 16] * len(rules.STAGES))
    who, when = _produced(user)
    meta = [
        (_("Handover reconciliation"), None),
        (_("Handover sets"), ", ".join(s.code for s in report.handover_sets) or "—"),
        (_("Verifications"), _campaign_words(report.filters)),
        (_("Region"), str(report.filters.region) if report.filters.region else _("All regions")),
        (_("Produced by"), who),
        (_("Produced on (Asia/Dushanbe)"), when),
    ]
    if not report.national:
        meta.append(
            (_("Scope"), _("Only your offices; declared figures are national and not shown."))
        )
    header_row = len(meta) + 2
    sheet.freeze_panes = f"C{header_row + 1}"
    title = WriteOnlyCell(sheet, value=_xlsx_text(meta[0][0]))
    title.font = _TITLE_FONT
    sheet.append([title])
    for label, value in meta[1:]:
        sheet.append([_cell(sheet, label, bold=True), _cell(sheet, value)])
    sheet.append([])
    sheet.append(_header(sheet, headers))

    count = 0
    for set_row in report.rows:
        for category_row in set_row.children:
            declared = category_row.declared
            sheet.append(
                [
                    _cell(sheet, set_row.handover_set.code),
                    _cell(sheet, str(category_row.category)),
                    declared.quantity if declared else None,
                    _cell(sheet, _money(declared.value)) if declared else None,
                ]
                + [_cell(sheet, v) for v in _stage_values(category_row.funnel)]
            )
            count += 1
        declared = set_row.declared
        sheet.append(
            [
                _cell(sheet, set_row.handover_set.code, bold=True),
                _cell(sheet, _("All categories"), bold=True),
                declared.quantity if declared else None,
                _cell(sheet, _money(declared.value)) if declared else None,
            ]
            + [_cell(sheet, v) for v in _stage_values(set_row.funnel)]
        )
        count += 1
    last_data_row = header_row + count
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{last_data_row}"
    totals = report.totals
    sheet.append(
        [_cell(sheet, _("Total"), bold=True), None]
        + [
            totals.declared_quantity if totals else None,
            _cell(sheet, _money(totals.declared_value)) if totals else None,
        ]
        + [_cell(sheet, v, bold=True) for v in _stage_values(report.total)]
    )
    sheet.append([])
    if totals is not None:
        verdict = (
            _("reconciles")
            if totals.reconciles
            else _("differs by USD %(amount)s") % {"amount": f"{totals.difference:,.2f}"}
        )
        sheet.append(
            [
                _cell(sheet, _("Declared value"), bold=True),
                _cell(sheet, _money(totals.declared_value)),
                _cell(sheet, _("Registered value"), bold=True),
                _cell(sheet, _money(totals.registered_value)),
                _cell(sheet, verdict, bold=True),
            ]
        )
    else:
        sheet.append([])
    # The chart's data: one row per stage (quantity and value), below the tables.
    chart_top = last_data_row + 5
    sheet.append([])
    sheet.append(_header(sheet, [_("Stage"), _("Quantity"), _("USD")]))
    for stage in rules.STAGES:
        figure = report.total[stage]
        sheet.append(
            [
                _cell(sheet, str(rules.STAGE_LABELS[stage])),
                figure.quantity,
                _cell(sheet, _money(figure.value or 0)),
            ]
        )
    _hbar_chart(
        sheet,
        title=_("Devices at each stage"),
        axis_title=_("Devices"),
        header_row=chart_top,
        rows=len(rules.STAGES),
        anchor=f"F{chart_top}",
    )


def _place_rows(report: queries.Report, level: str):
    for row in queries.rows_flat(report.rows, level):
        planned = row.declared.quantity if row.declared else None
        values = [row.handover_set.code, str(row.category)]
        if level == rules.LEVEL_REGION:
            values.append(str(row.region) if row.region else _("No region"))
        else:
            values += [
                str(row.region) if row.region else _("No region"),
                row.office.code if row.office else "",
                row.office.name if row.office else _("No office"),
            ]
        yield [*values, planned, *_stage_values(row.funnel)]


ASSET_HEADERS = (
    gettext_lazy("Asset tag"),
    gettext_lazy("Serial number"),
    gettext_lazy("Model"),
    gettext_lazy("Category"),
    gettext_lazy("Status"),
    gettext_lazy("Office"),
    gettext_lazy("Region"),
    gettext_lazy("Handover set"),
    gettext_lazy("Value (USD)"),
    gettext_lazy("Registered"),
    gettext_lazy("Latest verification"),
    gettext_lazy("Reason"),
)
LINE_HEADERS = (
    gettext_lazy("Handover set"),
    gettext_lazy("Category"),
    gettext_lazy("Asset tag"),
    gettext_lazy("Serial number"),
    gettext_lazy("Declared (quantity)"),
    gettext_lazy("Registered (quantity)"),
    gettext_lazy("Missing"),
    gettext_lazy("Declared (USD)"),
    gettext_lazy("Registered (USD)"),
    gettext_lazy("Difference (USD)"),
    gettext_lazy("Reason"),
)


def _asset_rows(assets: Iterable, kind: str):
    for asset in assets:
        office = asset.office.code if asset.office else ""
        if getattr(asset, "transit_to_code", None):
            office = f"{office} → {asset.transit_to_code}"
        yield [
            asset.tag,
            asset.serial,
            f"{asset.asset_model.manufacturer.name} {asset.asset_model.name}",
            str(asset.asset_model.category),
            str(asset.get_status_display()),
            office,
            str(asset.office.region) if asset.office else "",
            asset.handover_set.code if asset.handover_set else "",
            _money(asset.value),
            asset.created_at,
            asset.latest_at,
            rules.asset_reason(kind, asset),
        ]


def _line_rows(lines: Iterable[rules.LineGap], kind: str, assets: Iterable = ()):
    for line in lines:
        yield [
            line.handover_set.code,
            str(line.category),
            "",
            "",
            line.declared_quantity,
            line.registered_quantity,
            max(line.gap, 0),
            _money(line.declared_value),
            _money(line.registered_value),
            _money(line.value_difference),
            line.reason(kind),
        ]
    for asset in assets:
        yield [
            asset.handover_set.code,
            str(asset.asset_model.category),
            asset.tag,
            asset.serial,
            None,
            None,
            None,
            None,
            None,
            None,
            rules.asset_reason(kind, asset),
        ]


def reconciliation_workbook(file, *, report: queries.Report, user) -> None:
    """Write the report to ``file`` as an .xlsx workbook (every discrepancy row included)."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = _("Handover reconciliation")
    workbook.properties.creator = user.get_full_name() or user.get_username()
    taken: set[str] = set()
    _summary(workbook, taken, report=report, user=user)
    stage_headers = _stage_headers()
    _table_sheet(
        workbook,
        taken,
        title=_("By region"),
        headers=[_("Handover set"), _("Category"), _("Region"), _("Planned"), *stage_headers],
        rows=_place_rows(report, rules.LEVEL_REGION),
        widths=[14, 20, 20, 10] + [12, 16] * len(rules.STAGES),
    )
    _table_sheet(
        workbook,
        taken,
        title=_("By office"),
        headers=[
            _("Handover set"),
            _("Category"),
            _("Region"),
            _("Office code"),
            _("Office"),
            _("Planned"),
            *stage_headers,
        ],
        rows=_place_rows(report, rules.LEVEL_OFFICE),
        widths=[14, 20, 18, 14, 30, 10] + [12, 16] * len(rules.STAGES),
    )
    for summary in report.kinds:
        assets = ()
        if summary.kind in rules.ASSET_KINDS and summary.count:
            rows = queries.discrepancy_queryset(
                user=user, filters=report.filters, kind=summary.kind
            )
            if summary.kind == rules.SERIAL_DUPLICATE:  # few rows: load them to name twins
                assets = list(rows)
                queries.serial_twins_attach(assets)
            else:
                assets = rows.iterator(chunk_size=2000)
        if summary.kind in rules.LINE_KINDS:
            _table_sheet(
                workbook,
                taken,
                title=summary.label,
                headers=[str(text) for text in LINE_HEADERS],
                rows=_line_rows(summary.lines, summary.kind, assets),
                widths=[14, 20, 16, 18, 12, 12, 10, 16, 16, 16, 50],
            )
        else:
            _table_sheet(
                workbook,
                taken,
                title=summary.label,
                headers=[str(text) for text in ASSET_HEADERS],
                rows=_asset_rows(assets, summary.kind),
                widths=[16, 18, 26, 14, 12, 18, 16, 12, 14, 12, 12, 60],
            )
    workbook.save(file)


# =================================================================================================
# Operations reports (issue 8): fleet health and repairs, each a Summary with a native chart
# and one sheet per table.
# =================================================================================================


def _state_headers() -> list[str]:
    return [str(ops.STATE_LABELS[state]) for state in ops.FLEET_STATES] + [_("Total")]


def _state_values(counts: ops.FleetCounts) -> list[int]:
    return [counts[state] for state in ops.FLEET_STATES] + [counts.total]


def fleet_health_workbook(file, *, report: queries.FleetHealthReport, user) -> None:
    """Write the fleet-health report to ``file`` as an .xlsx workbook (every row included)."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = _("Fleet health")
    workbook.properties.creator = user.get_full_name() or user.get_username()
    taken: set[str] = set()
    filters = report.filters
    who, when = _produced(user)

    sheet = workbook.create_sheet(sheet_name(_("Summary"), taken))
    headers = [_("Category"), *_state_headers()]
    _widths(sheet, [24] + [12] * (len(headers) - 1))
    meta = [
        (_("Region"), str(filters.region) if filters.region else _("All regions")),
        (_("Category"), str(filters.category) if filters.category else _("All categories")),
        (
            _("Handover set"),
            filters.handover_set.code if filters.handover_set else _("All assets"),
        ),
        (_("Not seen by the poller for (days)"), filters.days),
        (_("Devices not seen"), report.not_seen_count),
        (_("Produced by"), who),
        (_("Produced on (Asia/Dushanbe)"), when),
    ]
    _title_rows(sheet, _("Fleet health"), meta)
    header_row = len(meta) + 3
    sheet.freeze_panes = f"B{header_row + 1}"
    sheet.append(_header(sheet, headers))
    for row in report.by_category:
        sheet.append([_cell(sheet, row.label), *_state_values(row.counts)])
    last_row = header_row + len(report.by_category)
    sheet.append(
        [_cell(sheet, _("Total"), bold=True)]
        + [_cell(sheet, value, bold=True) for value in _state_values(report.total)]
    )
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{last_row}"
    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = _("Devices by state and category")
    chart.y_axis.title = _("Devices")
    for state in ops.CHART_STATES:
        column = ops.FLEET_STATES.index(state) + 2
        chart.add_data(
            Reference(sheet, min_col=column, min_row=header_row, max_row=last_row),
            titles_from_data=True,
        )
    chart.set_categories(Reference(sheet, min_col=1, min_row=header_row + 1, max_row=last_row))
    chart.x_axis.scaling.orientation = "maxMin"  # first category on top, as on the page
    chart.height = 9
    chart.width = 20
    sheet.add_chart(chart, f"A{last_row + 3}")

    _table_sheet(
        workbook,
        taken,
        title=_("By region"),
        headers=[_("Region"), *_state_headers()],
        rows=([row.label, *_state_values(row.counts)] for row in report.by_region),
        widths=[22] + [12] * 8,
    )
    _table_sheet(
        workbook,
        taken,
        title=_("By office"),
        headers=[_("Region"), _("Office code"), _("Office"), *_state_headers()],
        rows=(
            [row.region, row.code, row.label, *_state_values(row.counts)]
            for row in report.by_office
        ),
        widths=[18, 14, 30] + [12] * 8,
    )
    _table_sheet(
        workbook,
        taken,
        title=_("Not seen by the poller"),
        headers=[
            _("Asset tag"),
            _("Model"),
            _("Category"),
            _("Office"),
            _("Region"),
            _("Last answered"),
            _("Days"),
        ],
        rows=(
            [
                device.tag,
                device.model,
                device.category,
                device.office,
                device.region,
                device.last_reachable_at,
                device.days,
            ]
            for device in report.not_seen
        ),
        widths=[16, 28, 14, 28, 18, 14, 8],
    )
    workbook.save(file)


def _repair_time_values(time: ops.RepairTime) -> list:
    return [time.count, ops.hours(time.mean), ops.hours(time.median)]


def _ticket_values(ticket) -> list:
    asset = ticket.asset
    return [
        ticket.number,
        ticket.reported_at,
        asset.tag,
        str(asset.asset_model),
        asset.office.name if asset.office else "",
        str(ticket.get_fault_display()),
        str(ticket.get_status_display()),
        ticket.resolved_at,
    ]


TICKET_HEADERS = (
    gettext_lazy("Ticket"),
    gettext_lazy("Reported"),
    gettext_lazy("Asset tag"),
    gettext_lazy("Model"),
    gettext_lazy("Office"),
    gettext_lazy("Fault"),
    gettext_lazy("Status"),
    gettext_lazy("Closed"),
)


def repairs_workbook(file, *, report: queries.RepairsReport, user) -> None:
    """Write the repairs report to ``file`` as an .xlsx workbook (every row included)."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = _("Repairs")
    workbook.properties.creator = user.get_full_name() or user.get_username()
    taken: set[str] = set()
    filters = report.filters
    total = report.total
    who, when = _produced(user)

    sheet = workbook.create_sheet(sheet_name(_("Summary"), taken))
    _widths(sheet, [30, 12, 12, 14, 10, 16, 18, 18])
    meta = [
        (_("From"), filters.date_from),
        (_("To"), filters.date_to),
        (_("Region"), str(filters.region) if filters.region else _("All regions")),
        (_("Category"), str(filters.category) if filters.category else _("All categories")),
        (_("Tickets reported"), total.total),
        (_("Open"), total.open),
        (_("Resolved"), total.resolved),
        (_("Beyond repair"), total.beyond_repair),
        (_("Warranty claims"), total.warranty_claims),
        (_("Mean time to repair (hours)"), ops.hours(report.repair_time.mean)),
        (_("Median time to repair (hours)"), ops.hours(report.repair_time.median)),
        (_("Downtime (hours)"), ops.hours(report.downtime_total)),
        (_("Assets with repeat failures"), len(report.repeat_failures)),
        (_("Produced by"), who),
        (_("Produced on (Asia/Dushanbe)"), when),
    ]
    _title_rows(sheet, _("Repairs"), meta)
    header_row = len(meta) + 3
    sheet.freeze_panes = f"B{header_row + 1}"
    headers = [
        _("Fault"),
        _("Tickets"),
        _("Resolved"),
        _("Beyond repair"),
        _("Open"),
        _("Warranty claims"),
        _("Mean time to repair (hours)"),
        _("Median time to repair (hours)"),
    ]
    sheet.append(_header(sheet, headers))
    for _fault, label, counts, time in report.by_fault:
        sheet.append(
            [
                _cell(sheet, label),
                counts.total,
                counts.resolved,
                counts.beyond_repair,
                counts.open,
                counts.warranty_claims,
                ops.hours(time.mean),
                ops.hours(time.median),
            ]
        )
    last_row = header_row + len(report.by_fault)
    sheet.append(
        [
            _cell(sheet, _("Total"), bold=True),
            *(
                _cell(sheet, value, bold=True)
                for value in (
                    total.total,
                    total.resolved,
                    total.beyond_repair,
                    total.open,
                    total.warranty_claims,
                    ops.hours(report.repair_time.mean),
                    ops.hours(report.repair_time.median),
                )
            ),
        ]
    )
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{last_row}"
    _hbar_chart(
        sheet,
        title=_("Faults by category"),
        axis_title=_("Tickets"),
        header_row=header_row,
        rows=last_row - header_row,
        anchor=f"J{header_row}",
    )
    # The downtime chart's data: the offices most down, below the faults.
    top = ops.top_rows(
        report.downtime, value=lambda row: row.downtime, limit=ops.DOWNTIME_CHART_OFFICES
    )
    sheet.append([])
    sheet.append([])
    downtime_header = last_row + 3
    sheet.append(_header(sheet, [_("Office"), _("Downtime (hours)")]))
    for row in top:
        sheet.append([_cell(sheet, row.label), ops.hours(row.downtime)])
    _hbar_chart(
        sheet,
        title=_("Downtime by office (the %(count)s most)") % {"count": ops.DOWNTIME_CHART_OFFICES},
        axis_title=_("Hours"),
        header_row=downtime_header,
        rows=len(top),
        anchor=f"J{downtime_header}",
        height=9,
    )

    fault_headers = report.fault_labels
    count_headers = [
        _("Tickets"),
        _("Open"),
        _("Resolved"),
        _("Beyond repair"),
        _("Warranty claims"),
    ]

    def fault_values(counts: ops.FaultCounts) -> list[int]:
        return [
            counts.total,
            counts.open,
            counts.resolved,
            counts.beyond_repair,
            counts.warranty_claims,
            *(counts.of(fault) for fault in report.faults),
        ]

    _table_sheet(
        workbook,
        taken,
        title=_("By category"),
        headers=[_("Category"), *count_headers, *fault_headers],
        rows=([row.label, *fault_values(row.counts)] for row in report.by_category),
        widths=[22] + [12] * (5 + len(fault_headers)),
    )
    _table_sheet(
        workbook,
        taken,
        title=_("By model"),
        headers=[_("Model"), _("Category"), *count_headers, *fault_headers],
        rows=([row.label, row.category, *fault_values(row.counts)] for row in report.by_model),
        widths=[30, 16] + [12] * (5 + len(fault_headers)),
    )
    _table_sheet(
        workbook,
        taken,
        title=_("Time to repair"),
        headers=[
            _("Category"),
            _("Repairs"),
            _("Mean time to repair (hours)"),
            _("Median time to repair (hours)"),
            _("Beyond repair"),
        ],
        rows=(
            [row.label, *_repair_time_values(row.time), row.beyond_repair]
            for row in report.repair_time_by_category
        ),
        widths=[22, 10, 18, 18, 14],
    )
    _table_sheet(
        workbook,
        taken,
        title=_("Downtime by office"),
        headers=[_("Region"), _("Office code"), _("Office"), _("Tickets"), _("Downtime (hours)")],
        rows=(
            [row.region, row.code, row.label, row.tickets, ops.hours(row.downtime)]
            for row in report.downtime
        ),
        widths=[18, 14, 30, 10, 16],
    )
    _table_sheet(
        workbook,
        taken,
        title=_("Warranty claims"),
        headers=[*(str(text) for text in TICKET_HEADERS), _("Supplier's reference")],
        rows=(
            [*_ticket_values(ticket), ticket.supplier_reference]
            for ticket in report.warranty_claims
        ),
        widths=[14, 12, 16, 28, 28, 18, 16, 12, 20],
    )
    _table_sheet(
        workbook,
        taken,
        title=_("Repeat failures"),
        headers=[str(text) for text in TICKET_HEADERS],
        rows=(
            _ticket_values(ticket) for repeat in report.repeat_failures for ticket in repeat.tickets
        ),
        widths=[14, 12, 16, 28, 28, 18, 16, 12],
    )
    workbook.save(file)


# =================================================================================================
# Operations reports (issue 8): consumables forecast and usage, each a Summary with a native
# chart and one sheet per table.
# =================================================================================================


MONTH_FORMAT = "mmm yyyy"


def _title_rows(sheet, title: str, meta: Sequence[tuple[str, object]]) -> int:
    """Write a title, one label and value per row, then a blank row; return the rows written."""
    cell = WriteOnlyCell(sheet, value=_xlsx_text(title))
    cell.font = _TITLE_FONT
    sheet.append([cell])
    for label, value in meta:
        sheet.append([_cell(sheet, label, bold=True), _cell(sheet, value)])
    sheet.append([])
    return len(meta) + 2


def _totals_sheet(
    workbook,
    taken,
    *,
    title: str,
    headers: Sequence[str],
    rows: Iterable[Sequence],
    total: Sequence,
    widths: Sequence[int],
) -> int:
    """Add a sheet holding one table and its bold totals row; return the table's rows."""
    sheet = workbook.create_sheet(sheet_name(title, taken))
    _widths(sheet, widths)
    sheet.freeze_panes = "A2"
    sheet.append(_header(sheet, headers))
    count = 0
    for values in rows:
        sheet.append([_cell(sheet, value) for value in values])
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    sheet.append([_cell(sheet, value, bold=True) for value in total])
    return count


def _order_headers(horizons: Sequence[int]) -> list[str]:
    return [
        _("Cartridge"),
        _("Printer model"),
        *(_("Within %(days)s days") % {"days": days} for days in horizons),
        _("Supplies"),
        _("Need unknown"),
    ]


def _order_values(line) -> list:
    return [
        line.key.description,
        line.key.model,
        *line.quantities.values(),
        line.supplies,
        line.unknown,
    ]


def _order_total(table: consumables.OrderTable, *, lead: int = 0) -> list:
    return [_("Total"), *([""] * (lead + 1)), *table.total_cells, table.supplies, table.unknown]


def _place_name(place, *, none: str) -> str:
    return str(place) if place is not None else none


FORECAST_HEADERS = (
    gettext_lazy("Asset tag"),
    gettext_lazy("Office code"),
    gettext_lazy("Office"),
    gettext_lazy("Region"),
    gettext_lazy("Model"),
    gettext_lazy("Supply"),
    gettext_lazy("Level (%)"),
    gettext_lazy("Level read on"),
    gettext_lazy("Runs out"),
    gettext_lazy("Earliest"),
    gettext_lazy("Latest"),
    gettext_lazy("Confidence"),
    gettext_lazy("Method"),
    gettext_lazy("Why no date"),
)


def _forecast_rows(report: queries.ConsumablesReport):
    offices = {office.pk: office for office, _table in report.offices if office is not None}
    # The words depend on the row only through these; each translated once, not per row.
    words_seen: dict[tuple, consumables.ForecastWords] = {}
    for row in queries.consumables_export_rows(report):
        office = offices.get(row.office_id)
        key = (
            row.runs_out is None,
            row.confidence,
            row.method,
            row.reason,
            consumables.is_stale(row.level_at, now=report.now),
        )
        words = words_seen.get(key)
        if words is None:
            words = words_seen[key] = consumables.forecast_words(
                runs_out=row.runs_out,
                confidence=row.confidence,
                method=row.method,
                reason=row.reason,
                level_at=row.level_at,
                now=report.now,
            )
        dated = words.runs_out is not None
        yield [
            row.tag,
            office.code if office else "",
            office.name if office else "",
            office.region.name if office else "",
            f"{row.manufacturer} {row.model}",
            row.description,
            None if row.level is None else round(row.level, 1),
            row.level_at,
            row.runs_out if dated else None,
            row.earliest if dated else None,
            row.latest if dated else None,
            words.confidence,
            words.method,
            words.reason,
        ]


def _plain_sheet(
    workbook, taken, *, title: str, headers: Sequence[str], rows: Iterable[Sequence], widths
) -> int:
    """Add a sheet holding one long table, like ``_table_sheet`` but writing plain values
    (a cell object only for dates): several times faster for tens of thousands of rows."""
    sheet = workbook.create_sheet(sheet_name(title, taken))
    _widths(sheet, widths)
    sheet.freeze_panes = "A2"
    sheet.append(_header(sheet, headers))
    count = 0
    for values in rows:
        cells = []
        for value in values:
            if isinstance(value, str):
                value = _xlsx_text(value)
            elif isinstance(value, dt.datetime):
                value = WriteOnlyCell(sheet, value=local_naive(value).date())
                value.number_format = DATE_FORMAT
            cells.append(value)
        sheet.append(cells)
        count += 1
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(headers))}{count + 1}"
    return count


def consumables_workbook(file, *, report: queries.ConsumablesReport, user) -> None:
    """Write the consumables forecast to ``file`` as an .xlsx workbook (every row included)."""
    workbook = Workbook(write_only=True)
    workbook.properties.title = _("Consumables forecast")
    workbook.properties.creator = user.get_full_name() or user.get_username()
    taken: set[str] = set()
    filters = report.filters
    who, when = _produced(user)
    horizons = consumables.HORIZONS

    sheet = workbook.create_sheet(sheet_name(_("Summary"), taken))
    headers = _order_headers(horizons)
    _widths(sheet, [34, 26] + [14] * (len(headers) - 2))
    meta = [
        (
            _("What to order for"),
            _("Whole country") if report.whole_country else _("All your offices"),
        ),
        (_("Region (forecast list)"), _place_name(filters.region, none=_("All regions"))),
        (_("Office (forecast list)"), filters.office.code if filters.office else _("All offices")),
        (_("Produced by"), who),
        (_("Produced on (Asia/Dushanbe)"), when),
    ]
    header_row = _title_rows(sheet, _("Consumables forecast"), meta) + 1
    sheet.freeze_panes = f"C{header_row + 1}"
    sheet.append(_header(sheet, headers))
    for line in report.national.lines:
        sheet.append([_cell(sheet, value) for value in _order_values(line)])
    last_row = header_row + len(report.national.lines)
    sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(len(headers))}{last_row}"
    sheet.append([_cell(sheet, value, bold=True) for value in _order_total(report.national)])
    # The chart's data: the cartridges needed within 90 days, most first, below the table.
    lines = consumables.chart_lines(report.national.lines)
    sheet.append([])
    chart_top = last_row + 3
    sheet.append(
        _header(
            sheet,
            [_("Cartridge"), _("Within %(days)s days") % {"days": consumables.CHART_HORIZON}],
        )
    )
    for line in lines:
        sheet.append([_cell(sheet, str(line.key)), line.quantities[consumables.CHART_HORIZON]])
    _hbar_chart(  # the most needed on top, as on the page
        sheet,
        title=_("Cartridges to order within %(days)s days") % {"days": consumables.CHART_HORIZON},
        axis_title=_("Cartridges"),
        header_row=chart_top,
        rows=len(lines),
        anchor=f"D{chart_top}",
        height=max(6, 1 + 0.6 * len(lines)),
        width=20,
    )

    all_regions = [line for _region, table in report.regions for line in table.lines]
    _totals_sheet(
        workbook,
        taken,
        title=_("By region"),
        headers=[_("Region"), *headers],
        rows=(
            [_place_name(region, none=_("No office")), *_order_values(line)]
            for region, table in report.regions
            for line in table.lines
        ),
        total=_order_total(
            consumables.OrderTable(key=None, lines=all_regions, horizons=horizons), lead=1
        ),
        widths=[20, 34, 26] + [14] * (len(headers) - 2),
    )
    all_offices = [line for _office, table in report.offices for line in table.lines]
    _totals_sheet(
        workbook,
        taken,
        title=_("By office"),
        headers=[_("Region"), _("Office code"), _("Office"), *headers],
        rows=(
            [
                _place_name(office.region if office else None, none=""),
                office.code if office else "",
                _place_name(office, none=_("No office")),
                *_order_values(line),
            ]
            for office, table in report.offices
            for line in table.lines
        ),
        total=_order_total(
            consumables.OrderTable(key=None, lines=all_offices, horizons=horizons), lead=3
        ),
        widths=[18, 14, 30, 34, 26] + [14] * (len(headers) - 2),
    )
    _plain_sheet(
        workbook,
        taken,
        title=_("Forecasts"),
        headers=[str(text) for text in FORECAST_HEADERS],
        rows=_forecast_rows(report),
        widths=[14, 12, 28, 18, 26, 30, 10, 12, 12, 12, 12, 12, 14, 36],
    )
    workbook.save(file)


def _month_label(month: dt.date) -> str:
    return formats.date_format(month, "M Y")


def usage_workbook(file, *, report: queries.UsageReport, user) -> None:
    """Write the usage report to ``file`` as an .xlsx workbook (every office and device)."""
    scanned = report.filters.category == "scanner"
    title = _("Usage: pages scanned") if scanned else _("Usage: pages printed")
    workbook = Workbook(write_only=True)
    workbook.properties.title = title
    workbook.properties.creator = user.get_full_name() or user.get_username()
    taken: set[str] = set()
    filters = report.filters
    who, when = _produced(user)
    months = report.months

    sheet = workbook.create_sheet(sheet_name(_("Summary"), taken))
    _widths(sheet, [34, 16])
    meta = [
        (_("Devices"), _("Scanners") if scanned else _("Printers")),
        (_("From month"), _month_label(months[0])),
        (_("To month"), _month_label(months[-1])),
        (_("Region"), _place_name(filters.region, none=_("All regions"))),
        (_("Office"), filters.office.code if filters.office else _("All offices")),
        (_("Devices counted"), report.devices - report.not_counted),
        (_("Not counted: no page counter reading"), report.not_counted),
        (_("Produced by"), who),
        (_("Produced on (Asia/Dushanbe)"), when),
    ]
    header_row = _title_rows(sheet, title, meta) + 1
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.append(_header(sheet, [_("Month"), _("Pages")]))
    totals = report.by_office.month_totals
    for month, pages in zip(months, totals, strict=True):
        cell = WriteOnlyCell(sheet, value=month)
        cell.number_format = MONTH_FORMAT
        sheet.append([cell, pages])
    last_row = header_row + len(months)
    sheet.append(
        [
            _cell(sheet, _("Total"), bold=True),
            _cell(sheet, sum(pages for pages in totals if pages is not None), bold=True),
        ]
    )
    chart = BarChart()
    chart.type = "col"
    chart.title = _("Pages scanned per month") if scanned else _("Pages printed per month")
    chart.y_axis.title = _("Pages")
    chart.legend = None
    chart.add_data(
        Reference(sheet, min_col=2, min_row=header_row, max_row=last_row), titles_from_data=True
    )
    chart.set_categories(Reference(sheet, min_col=1, min_row=header_row + 1, max_row=last_row))
    chart.x_axis.number_format = MONTH_FORMAT
    chart.height = 8
    chart.width = 22
    sheet.add_chart(chart, f"D{header_row}")

    month_headers = [_month_label(month) for month in months]
    _totals_sheet(
        workbook,
        taken,
        title=_("By office"),
        headers=[
            _("Region"),
            _("Office code"),
            _("Office"),
            _("Devices"),
            *month_headers,
            _("Total"),
        ],
        rows=(
            [
                _place_name(line.label.region if line.label else None, none=""),
                line.label.code if line.label else "",
                _place_name(line.label, none=_("No office")),
                line.devices,
                *line.pages,
                line.total,
            ]
            for line in report.by_office.lines
        ),
        total=[_("Total"), "", "", report.by_office.devices, *totals, report.by_office.total],
        widths=[18, 14, 30, 10] + [11] * (len(months) + 1),
    )
    if scanned:
        _totals_sheet(
            workbook,
            taken,
            title=_("By scanner"),
            headers=[_("Asset tag"), _("Model"), _("Office code"), *month_headers, _("Total")],
            rows=(
                [
                    line.label.tag,
                    line.label.model,
                    line.label.office.code if line.label.office else "",
                    *line.pages,
                    line.total,
                ]
                for line in report.by_device.lines
            ),
            total=[_("Total"), "", "", *report.by_device.month_totals, report.by_device.total],
            widths=[16, 28, 14] + [11] * (len(months) + 1),
        )
    workbook.save(file)
