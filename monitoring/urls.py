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
]
