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
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from inventory.exports import DATE_FORMAT, MONEY_FORMAT, _xlsx_text, local_naive
from reports import queries
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
    chart = BarChart()
    chart.type = "bar"
    chart.title = _("Devices at each stage")
    chart.y_axis.title = _("Devices")
    chart.legend = None
    data = Reference(sheet, min_col=2, min_row=chart_top, max_row=chart_top + len(rules.STAGES))
    labels = Reference(
        sheet, min_col=1, min_row=chart_top + 1, max_row=chart_top + len(rules.STAGES)
    )
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(labels)
    chart.x_axis.scaling.orientation = "maxMin"  # first stage on top, as on the page
    chart.height = 8
    chart.width = 18
    sheet.add_chart(chart, f"F{chart_top}")


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
