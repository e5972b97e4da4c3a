"""URLs of the monitoring pages."""

from django.urls import path

from monitoring import views

urlpatterns = [
    path("monitoring/", views.MonitoredDeviceListView.as_view(), name="monitoreddevice_list"),
    path("monitoring/add/", views.MonitoredDeviceCreateView.as_view(), name="monitoreddevice_add"),
    path(
        "monitoring/<int:pk>/edit/",
        views.MonitoredDeviceUpdateView.as_view(),
        name="monitoreddevice_edit",
    ),
    path(
        "monitoring/<int:pk>/poll/",
        views.MonitoredDevicePollView.as_view(),
        name="monitoreddevice_poll",
    ),
    # Repairs (issue 6)
    path("repairs/", views.RepairTicketListView.as_view(), name="repairticket_list"),
    path("repairs/add/", views.RepairTicketCreateView.as_view(), name="repairticket_add"),
    path("repairs/<int:pk>/", views.RepairTicketDetailView.as_view(), name="repairticket_detail"),
    path(
        "repairs/<int:pk>/warranty/",
        views.RepairTicketWarrantyView.as_view(),
        name="repairticket_warranty",
    ),
    path("my-work/", views.MyWorkView.as_view(), name="my_work"),
    # Alerts (issue 6)
    path("alerts/", views.AlertListView.as_view(), name="alert_list"),
    path(
        "alerts/<int:pk>/acknowledge/",
        views.AlertAcknowledgeView.as_view(),
        name="alert_acknowledge",
    ),
    # Service readiness (issue 8)
    path("readiness/", views.ReadinessOverviewView.as_view(), name="readiness_overview"),
    path("readiness/readiness.xlsx", views.ReadinessWorkbookView.as_view(), name="readiness_xlsx"),
    path(
        "readiness/recompute/",
        views.ReadinessRecomputeView.as_view(),
        name="readiness_recompute",
    ),
    path(
        "readiness/office/<int:pk>/",
        views.ReadinessOfficeView.as_view(),
        name="readiness_office",
    ),
    path("readiness/impact/", views.ReadinessImpactView.as_view(), name="readiness_impact"),
    path(
        "readiness/availability/",
        views.ReadinessAvailabilityView.as_view(),
        name="readiness_availability",
    ),
    path(
        "readiness/availability.xlsx",
        views.ReadinessAvailabilityWorkbookView.as_view(),
        name="readiness_availability_xlsx",
    ),
]
