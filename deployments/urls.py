"""URLs of the deployment pages: transfers, handover acts and the distribution plan."""

from django.urls import path

from deployments import views

urlpatterns = [
    path("transfers/", views.TransferListView.as_view(), name="transfer_list"),
    path("transfers/add/", views.TransferCreateView.as_view(), name="transfer_add"),
    path("transfers/<int:pk>/", views.TransferDetailView.as_view(), name="transfer_detail"),
    path(
        "transfers/<int:pk>/receive/",
        views.TransferReceiveView.as_view(),
        name="transfer_receive",
    ),
    path("acts/", views.HandoverActListView.as_view(), name="handoveract_list"),
    path("acts/add/", views.HandoverActCreateView.as_view(), name="handoveract_add"),
    path("acts/<int:pk>/", views.HandoverActDetailView.as_view(), name="handoveract_detail"),
    path("acts/<int:pk>/edit/", views.HandoverActUpdateView.as_view(), name="handoveract_edit"),
    path("acts/<int:pk>/print/", views.HandoverActPrintView.as_view(), name="handoveract_print"),
    path("acts/<int:pk>/pdf/", views.HandoverActPdfView.as_view(), name="handoveract_pdf"),
    path("acts/<int:pk>/sign/", views.HandoverActSignView.as_view(), name="handoveract_sign"),
    path(
        "acts/<int:pk>/correct/",
        views.HandoverActCorrectView.as_view(),
        name="handoveract_correct",
    ),
    path("acts/<int:pk>/scan/", views.HandoverActScanView.as_view(), name="handoveract_scan"),
    path("plan/", views.PlanListView.as_view(), name="plan_list"),
    path("plan/<str:code>/", views.PlanDetailView.as_view(), name="plan_detail"),
]
