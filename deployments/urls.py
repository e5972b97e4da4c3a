"""URLs of the deployment pages: transfers, handover acts, the plan and audits."""

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
    path("audits/", views.CampaignListView.as_view(), name="campaign_list"),
    path("audits/add/", views.CampaignCreateView.as_view(), name="campaign_create"),
    path("audits/<int:pk>/", views.CampaignDetailView.as_view(), name="campaign_detail"),
    path("audits/<int:pk>/close/", views.CampaignCloseView.as_view(), name="campaign_close"),
    path(
        "audits/checklists/<int:pk>/",
        views.ChecklistDetailView.as_view(),
        name="checklist_detail",
    ),
    path(
        "audits/checklists/<int:pk>/assign/",
        views.ChecklistAssignView.as_view(),
        name="checklist_assign",
    ),
    path(
        "audits/checklists/<int:pk>/verify/<int:asset_pk>/",
        views.ChecklistVerifyView.as_view(),
        name="checklist_verify",
    ),
    path("audits/assets/<int:pk>/verify/", views.AssetVerifyView.as_view(), name="asset_verify"),
    path(
        "audits/verifications/<int:pk>/photo/",
        views.VerificationPhotoView.as_view(),
        name="verification_photo",
    ),
    path("audits/moves/", views.MoveProposalListView.as_view(), name="moveproposal_list"),
    path(
        "audits/moves/<int:pk>/",
        views.MoveProposalDecideView.as_view(),
        name="moveproposal_decide",
    ),
]
