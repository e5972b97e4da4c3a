"""Report pages."""

from django.urls import path

from reports import views

urlpatterns = [
    path("reports/", views.ReportIndexView.as_view(), name="report_index"),
    path("reports/reconciliation/", views.ReconciliationView.as_view(), name="reconciliation"),
    path(
        "reports/reconciliation/assets/",
        views.ReconciliationAssetsView.as_view(),
        name="reconciliation_assets",
    ),
    path(
        "reports/reconciliation/print/",
        views.ReconciliationPrintView.as_view(),
        name="reconciliation_print",
    ),
    path(
        "reports/reconciliation.xlsx",
        views.ReconciliationWorkbookView.as_view(),
        name="reconciliation_xlsx",
    ),
    path("reports/fleet-health/", views.FleetHealthView.as_view(), name="fleet_health"),
    path(
        "reports/fleet-health.xlsx",
        views.FleetHealthWorkbookView.as_view(),
        name="fleet_health_xlsx",
    ),
    path("reports/repairs/", views.RepairsReportView.as_view(), name="repairs_report"),
    path("reports/repairs.xlsx", views.RepairsWorkbookView.as_view(), name="repairs_xlsx"),
    path("reports/consumables/", views.ConsumablesView.as_view(), name="consumables_report"),
    path(
        "reports/consumables.xlsx",
        views.ConsumablesWorkbookView.as_view(),
        name="consumables_xlsx",
    ),
    path("reports/usage/", views.UsageView.as_view(), name="usage_report"),
    path("reports/usage.xlsx", views.UsageWorkbookView.as_view(), name="usage_xlsx"),
]
