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
]
