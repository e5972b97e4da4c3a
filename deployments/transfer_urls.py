"""URLs of transfer pages (merged into urls.py when the issue is done)."""

from django.urls import path

from deployments import transfer_views as views

urlpatterns = [
    path("transfers/", views.TransferListView.as_view(), name="transfer_list"),
    path("transfers/add/", views.TransferCreateView.as_view(), name="transfer_add"),
    path("transfers/<int:pk>/", views.TransferDetailView.as_view(), name="transfer_detail"),
    path(
        "transfers/<int:pk>/receive/",
        views.TransferReceiveView.as_view(),
        name="transfer_receive",
    ),
]
