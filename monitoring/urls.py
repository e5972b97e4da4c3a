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
]
