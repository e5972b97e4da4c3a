"""Report pages: parse the filters, call one query, respond."""

from __future__ import annotations

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.core.paginator import Paginator
from django.http import QueryDict
from django.urls import reverse
from django.utils import formats
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from inventory.exports import filters_describe, workbook_response
from inventory.models import Asset
from inventory.views import ListPageMixin
from reports import charts, consumables, queries
from reports import operations as ops
from reports import reconciliation as rules
from reports.excel import (
    consumables_workbook,
    fleet_health_workbook,
    reconciliation_workbook,
    repairs_workbook,
    usage_workbook,
)
from reports.filtersets import ReconciliationAssetFilterSet
from reports.forms import (
    ConsumablesFilterForm,
    FleetHealthFilterForm,
    ReconciliationFilterForm,
    RepairsFilterForm,
    UsageFilterForm,
    selection_from,
)
from reports.tables import ReconciliationAssetTable

# Everyone with a role reads the reports, each within their scope.
REPORT_PERMISSION = "deployments.view_verification"
# Rows of each discrepancy kind on the printable page; the workbook has them all.
PRINT_ROWS = 200


class ReportIndexView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = REPORT_PERMISSION
    template_name = "reports/report_index.html"


def _query(filters: queries.ReportFilters, **params) -> QueryDict:
    query = QueryDict(mutable=True)
    if filters.handover_set:
        query["set"] = filters.handover_set.pk
    if filters.campaign:
        query["campaign"] = filters.campaign.pk
    if filters.region:
        query["region"] = filters.region.pk
    for key, value in params.items():
        if value is not None:
            query[key] = value
    return query


def _link_rows(rows, *, filters: queries.ReportFilters, base: str) -> None:
    """Give each row of the breakdown the URL of the assets behind each stage's figure."""
    for row in rows:
        params = {k: v for k, v in row.params.items() if v}  # 0: no office/region, no link
        complete = all(row.params.values())
        row.cells = [
            (
                stage,
                row.funnel[stage],
                f"{base}?{_query(filters, **params, stage=stage).urlencode()}" if complete else "",
            )
            for stage in rules.STAGES
        ]
        _link_rows(row.children, filters=filters, base=base)


def report_charts(report: queries.Report) -> dict:
    """Return the report's SVG charts: the funnel by quantity and by value, the discrepancies."""
    stages = [(str(rules.STAGE_LABELS[stage]), report.total[stage]) for stage in rules.STAGES]
    return {
        "quantity": charts.hbar_chart(
            title=_("Devices at each stage"),
            description=_("Number of devices that reached each stage."),
            bars=[charts.Bar(label, figure.quantity) for label, figure in stages],
        ),
        "value": charts.hbar_chart(
            title=_("Value at each stage"),
            description=_("Value in US dollars of the devices that reached each stage."),
            bars=[charts.Bar(label, figure.value or 0) for label, figure in stages],
            number=charts.money,
        ),
        "discrepancies": charts.hbar_chart(
            title=_("Discrepancies"),
            description=_("Number of findings of each kind."),
            bars=[charts.Bar(summary.label, summary.size) for summary in report.kinds],
            css_class="chart chart-discrepancies",
        ),
    }


class ReconciliationView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = REPORT_PERMISSION
    template_name = "reports/reconciliation.html"
    first_rows = queries.FIRST_ROWS

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ReconciliationFilterForm(self.request.GET or None, user=self.request.user)
        filters = form.report_filters()
        report = queries.reconciliation_report(
            user=self.request.user, filters=filters, first_rows=self.first_rows
        )
        assets_url = reverse("reconciliation_assets")
        _link_rows(report.rows, filters=filters, base=assets_url)
        query = _query(filters).urlencode()
        context.update(
            form=form,
            report=report,
            charts=report_charts(report),
            stage_labels=[rules.STAGE_LABELS[stage] for stage in rules.STAGES],
            total_cells=[
                (
                    stage,
                    report.total[stage],
                    f"{assets_url}?{_query(filters, stage=stage).urlencode()}",
                )
                for stage in rules.STAGES
            ],
            kind_rows=[
                (
                    summary,
                    f"{assets_url}?{_query(filters, kind=summary.kind).urlencode()}"
                    if summary.has_assets
                    else "",
                    [(asset, rules.asset_reason(summary.kind, asset)) for asset in summary.assets],
                )
                for summary in report.kinds
            ],
            query=query,
            first_rows=self.first_rows,
        )
        return context


class ReconciliationPrintView(ReconciliationView):
    template_name = "reports/reconciliation_print.html"
    first_rows = PRINT_ROWS


class ReconciliationWorkbookView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = REPORT_PERMISSION

    def get(self, request):
        form = ReconciliationFilterForm(request.GET or None, user=request.user)
        report = queries.reconciliation_report(
            user=request.user, filters=form.report_filters(), first_rows=0
        )
        return workbook_response(
            lambda file: reconciliation_workbook(file, report=report, user=request.user),
            name="reconciliation",
        )


class ReconciliationAssetsView(PermissionRequiredMixin, ListPageMixin):
    """The assets behind one figure of the report: a stage of a cell, or a discrepancy kind."""

    permission_required = REPORT_PERMISSION
    table_class = ReconciliationAssetTable
    filterset_class = ReconciliationAssetFilterSet
    template_name = "reports/reconciliation_assets.html"
    export_name = "reconciliation-assets"

    def get_queryset(self):
        return Asset.objects.none()  # the filter set only names the figure; see get_table_data

    def get_table_data(self):
        filterset = self.filterset
        if filterset.is_bound and not filterset.is_valid():
            return Asset.objects.none()
        data = filterset.form.cleaned_data if filterset.is_bound else {}
        filters, selection = selection_from(data)
        self.selection = selection
        return queries.selection_queryset(
            user=self.request.user, filters=filters, selection=selection
        )

    def get_export_table(self):
        table = super().get_export_table()
        if table.kind == rules.SERIAL_DUPLICATE:  # few rows: load them to name their twins
            records = list(table.data.data)
            queries.serial_twins_attach(records)
            table = self.get_table_class()(data=records, **self.get_table_kwargs())
        return table

    def get_table_kwargs(self):
        kind = self.request.GET.get("kind") or None
        return {"kind": kind if kind in rules.ASSET_KINDS else None}

    def get_export_title(self) -> str:
        return self.figure_title()

    def figure_title(self) -> str:
        kind = self.request.GET.get("kind")
        stage = self.request.GET.get("stage")
        if kind in rules.KIND_LABELS:
            return str(rules.KIND_LABELS[kind])
        if stage in rules.STAGE_LABELS:
            return str(rules.STAGE_LABELS[stage])
        return str(rules.STAGE_LABELS[rules.REGISTERED])

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        query = self.request.GET.copy()
        for key in ("category", "office", "stage", "kind", "page", "sort", "_export"):
            query.pop(key, None)
        context.update(
            figure_title=self.figure_title(),
            figure_filters=filters_describe(self.filterset),
            report_url=f"{reverse('reconciliation')}?{query.urlencode()}",
        )
        return context


# =================================================================================================
# Operations reports (issue 8): fleet health and repairs.
# =================================================================================================


def _fleet_query(filters: queries.FleetFilters) -> QueryDict:
    """Return the report's filters as the page's query string."""
    query = QueryDict(mutable=True)
    for key, value in (
        ("region", filters.region),
        ("category", filters.category),
        ("set", filters.handover_set),
    ):
        if value is not None:
            query[key] = value.pk
    if filters.days != ops.NOT_SEEN_DAYS_DEFAULT:
        query["days"] = filters.days
    return query


def fleet_cells(counts: ops.FleetCounts, *, filters: queries.FleetFilters, params: dict | None):
    """Return a row's figures as (state, count, URL of the asset list showing them).

    The asset list shows a figure where its filters can: the total, and the states that are
    one asset status (in stock, in transit, retired, lost). ``params`` None: no list (no
    office or no region).
    """
    base = QueryDict(mutable=True)
    for key, value in (
        ("region", filters.region),
        ("category", filters.category),
        ("handover_set", filters.handover_set),
    ):
        if value is not None:
            base[key] = value.pk
    if params is not None:
        for key, value in params.items():
            base[key] = value
    asset_list = reverse("asset_list")
    cells = []
    for state in (*ops.FLEET_STATES, None):
        count = counts.total if state is None else counts[state]
        url = ""
        if params is not None and count and (state is None or state in ops.STATE_STATUS):
            query = base.copy()
            if state is not None:
                query["status"] = ops.STATE_STATUS[state]
            url = f"{asset_list}?{query.urlencode()}"
        cells.append((state or "total", count, url))
    return cells


def fleet_charts(report: queries.FleetHealthReport) -> dict:
    """Return the fleet-health page's SVG chart: the states of each category."""
    states = ops.CHART_STATES
    return {
        "states": charts.stacked_bar_chart(
            title=_("Devices by state and category"),
            description=_("Number of devices working, in repair, unreachable, retired and lost."),
            series=[str(ops.STATE_LABELS[state]) for state in states],
            stacks=[
                charts.Stack(row.label, [row.counts[state] for state in states])
                for row in report.by_category
            ],
        )
    }


class FleetHealthView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = REPORT_PERMISSION
    template_name = "reports/fleet_health.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = FleetHealthFilterForm(self.request.GET or None, user=self.request.user)
        filters = form.report_filters()
        report = queries.fleet_health_report(user=self.request.user, filters=filters)

        def linked(rows):
            return [
                (row, fleet_cells(row.counts, filters=filters, params=row.params or None))
                for row in rows
            ]

        context.update(
            form=form,
            report=report,
            charts=fleet_charts(report),
            state_labels=[ops.STATE_LABELS[state] for state in ops.FLEET_STATES],
            category_rows=linked(report.by_category),
            region_rows=linked(report.by_region),
            office_rows=linked(report.by_office),
            total_cells=fleet_cells(report.total, filters=filters, params={}),
            query=_fleet_query(filters).urlencode(),
        )
        return context


class FleetHealthWorkbookView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = REPORT_PERMISSION

    def get(self, request):
        form = FleetHealthFilterForm(request.GET or None, user=request.user)
        report = queries.fleet_health_report(
            user=request.user, filters=form.report_filters(), first_rows=None
        )
        return workbook_response(
            lambda file: fleet_health_workbook(file, report=report, user=request.user),
            name="fleet-health",
        )


def repairs_charts(report: queries.RepairsReport) -> dict:
    """Return the repairs page's SVG charts: faults by category, downtime by office."""
    top = ops.top_rows(
        report.downtime, value=lambda row: row.downtime, limit=ops.DOWNTIME_CHART_OFFICES
    )
    return {
        "faults": charts.hbar_chart(
            title=_("Faults by category"),
            description=_("Number of tickets reported in the period, by kind of fault."),
            bars=[charts.Bar(label, counts.total) for _f, label, counts, _t in report.by_fault],
        ),
        "downtime": charts.hbar_chart(
            title=_("Downtime by office"),
            description=_("Hours devices could not be used in the period, the offices most down."),
            bars=[charts.Bar(row.label, ops.hours(row.downtime) or 0.0) for row in top],
            number=lambda value: _("%(hours)s h") % {"hours": f"{value:,.1f}"},
            css_class="chart chart-discrepancies",
        ),
    }


def _repairs_query(filters: queries.RepairFilters) -> QueryDict:
    query = QueryDict(mutable=True)
    query["date_from"] = filters.date_from.isoformat()
    query["date_to"] = filters.date_to.isoformat()
    if filters.region is not None:
        query["region"] = filters.region.pk
    if filters.category is not None:
        query["category"] = filters.category.pk
    return query


class RepairsReportView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = REPORT_PERMISSION
    template_name = "reports/repairs.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = RepairsFilterForm(self.request.GET or None, user=self.request.user)
        filters = form.report_filters()
        report = queries.repairs_report(user=self.request.user, filters=filters)
        text = ops.duration_text
        context.update(
            form=form,
            report=report,
            charts=repairs_charts(report),
            ttr_mean=text(report.repair_time.mean),
            ttr_median=text(report.repair_time.median),
            downtime_total=text(report.downtime_total),
            downtime_tickets=sum(row.tickets for row in report.downtime),
            downtime_rows=[(row, text(row.downtime)) for row in report.downtime],
            fault_rows=[
                (fault, label, counts, time, text(time.mean), text(time.median))
                for fault, label, counts, time in report.by_fault
            ],
            category_rows=[
                (
                    row,
                    [row.counts.of(fault) for fault in report.faults],
                    text(times.time.mean),
                    text(times.time.median),
                )
                for row, times in zip(
                    report.by_category, report.repair_time_by_category, strict=True
                )
            ],
            model_rows=[
                (row, [row.counts.of(fault) for fault in report.faults]) for row in report.by_model
            ],
            total_faults=[report.total.of(fault) for fault in report.faults],
            query=_repairs_query(filters).urlencode(),
            repeat_window=ops.REPEAT_WINDOW_DAYS,
        )
        return context


class RepairsWorkbookView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = REPORT_PERMISSION

    def get(self, request):
        form = RepairsFilterForm(request.GET or None, user=request.user)
        report = queries.repairs_report(
            user=request.user, filters=form.report_filters(), first_rows=None
        )
        return workbook_response(
            lambda file: repairs_workbook(file, report=report, user=request.user),
            name="repairs",
        )


# =================================================================================================
# Operations reports (issue 8): consumables forecast and usage.
# =================================================================================================


def _filters_query(request) -> str:
    """Return the page's filters as a query string (without the page number)."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def consumables_charts(report: queries.ConsumablesReport) -> dict:
    """Return the consumables page's SVG chart: cartridges needed within 90 days."""
    lines = consumables.chart_lines(report.national.lines)
    return {
        "orders": charts.hbar_chart(
            title=_("Cartridges to order within %(days)s days")
            % {"days": consumables.CHART_HORIZON},
            description=_("Number of cartridges of each kind needed, the most needed first."),
            bars=[
                charts.Bar(str(line.key), line.quantities[consumables.CHART_HORIZON])
                for line in lines
            ],
        )
    }


class ConsumablesView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = REPORT_PERMISSION
    template_name = "reports/consumables.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = ConsumablesFilterForm(self.request.GET or None, user=self.request.user)
        report = queries.consumables_report(user=self.request.user, filters=form.report_filters())
        page = Paginator(report.forecasts, queries.FORECAST_ROWS).get_page(
            self.request.GET.get("page")
        )
        rows = [
            (
                forecast,
                consumables.forecast_words(
                    runs_out=forecast.runs_out,
                    confidence=forecast.confidence,
                    method=forecast.method,
                    reason=forecast.reason,
                    level_at=forecast.level_at,
                    now=report.now,
                ),
            )
            for forecast in page
        ]
        context.update(
            form=form,
            report=report,
            page=page,
            rows=rows,
            horizons=consumables.HORIZONS,
            charts=consumables_charts(report),
            stale_days=consumables.STALE_DAYS,
            query=_filters_query(self.request),
        )
        return context


class ConsumablesWorkbookView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = REPORT_PERMISSION

    def get(self, request):
        form = ConsumablesFilterForm(request.GET or None, user=request.user)
        report = queries.consumables_report(
            user=request.user, filters=form.report_filters(), by_office=True
        )
        return workbook_response(
            lambda file: consumables_workbook(file, report=report, user=request.user),
            name="consumables",
        )


def usage_charts(report: queries.UsageReport) -> dict:
    """Return the usage page's SVG chart: pages per month."""
    scanned = report.filters.category == "scanner"
    return {
        "months": charts.hbar_chart(
            title=_("Pages scanned per month") if scanned else _("Pages printed per month"),
            description=_("Pages counted by the devices' page counters, month by month."),
            bars=[
                charts.Bar(formats.date_format(month, "YEAR_MONTH_FORMAT"), pages)
                for month, pages in zip(report.months, report.by_office.month_totals, strict=True)
                if pages is not None  # a month no device was read in: nothing to draw
            ],
        )
    }


class UsageView(LoginRequiredMixin, PermissionRequiredMixin, TemplateView):
    permission_required = REPORT_PERMISSION
    template_name = "reports/usage.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = UsageFilterForm(self.request.GET or None, user=self.request.user)
        report = queries.usage_report(user=self.request.user, filters=form.report_filters())
        context.update(
            form=form,
            report=report,
            scanned=report.filters.category == "scanner",
            charts=usage_charts(report),
            query=_filters_query(self.request),
        )
        return context


class UsageWorkbookView(LoginRequiredMixin, PermissionRequiredMixin, View):
    permission_required = REPORT_PERMISSION

    def get(self, request):
        form = UsageFilterForm(request.GET or None, user=request.user)
        report = queries.usage_report(user=request.user, filters=form.report_filters())
        return workbook_response(
            lambda file: usage_workbook(file, report=report, user=request.user), name="usage"
        )
