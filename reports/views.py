"""Report pages: parse the filters, call one query, respond."""

from __future__ import annotations

import tempfile

from django.contrib.auth.mixins import LoginRequiredMixin, PermissionRequiredMixin
from django.http import FileResponse, QueryDict
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import View
from django.views.generic import TemplateView

from inventory.exports import CONTENT_TYPES, XLSX, export_filename, filters_describe
from inventory.models import Asset
from inventory.views import ListPageMixin
from reports import charts, queries
from reports import reconciliation as rules
from reports.excel import reconciliation_workbook
from reports.filtersets import ReconciliationAssetFilterSet
from reports.forms import ReconciliationFilterForm, selection_from
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
        file = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 (the response closes it)
        try:
            reconciliation_workbook(file, report=report, user=request.user)
            file.seek(0)
        except BaseException:
            file.close()
            raise
        response = FileResponse(
            file,
            as_attachment=True,
            filename=export_filename(name="reconciliation", export_format=XLSX),
            content_type=CONTENT_TYPES[XLSX],
        )
        add_never_cache_headers(response)
        return response


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
