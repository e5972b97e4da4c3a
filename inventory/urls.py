from django.urls import path

from inventory import views

urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("assets/", views.AssetListView.as_view(), name="asset_list"),
    path("assets/add/", views.AssetCreateView.as_view(), name="asset_add"),
    path("assets/labels/", views.AssetLabelsView.as_view(), name="asset_labels"),
    path("assets/<int:pk>/", views.AssetDetailView.as_view(), name="asset_detail"),
    path("assets/<int:pk>/edit/", views.AssetUpdateView.as_view(), name="asset_edit"),
    path("assets/<int:pk>/status/", views.AssetStatusView.as_view(), name="asset_status"),
    path("offices/", views.OfficeListView.as_view(), name="office_list"),
    path("offices/add/", views.OfficeCreateView.as_view(), name="office_add"),
    path("offices/<int:pk>/", views.OfficeDetailView.as_view(), name="office_detail"),
    path("offices/<int:pk>/edit/", views.OfficeUpdateView.as_view(), name="office_edit"),
    path("import/", views.ImportIndexView.as_view(), name="import_index"),
    path("import/<slug:kind>/", views.ImportView.as_view(), name="import"),
    path(
        "import/<slug:kind>/template.xlsx",
        views.ImportTemplateView.as_view(),
        name="import_template",
    ),
]
