"""Where devices go, and the proof: the plan, transfers, handover acts and verifications.

Events that are more than a field change (a dispatch, a receipt, a signature) are records of
their own here, written by ``deployments.services``; the assets' own history says the same
with who and when.
"""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from deployments.choices import (
    ActLanguage,
    ActStatus,
    AssetCondition,
    CampaignMethod,
    CampaignStatus,
    ItemOutcome,
    MoveProposalStatus,
    TransferStatus,
    VerificationOutcome,
)
from inventory.choices import Zone
from inventory.models import Asset, Category, HandoverSet, Office, Region


class DistributionPlanLine(models.Model):
    """How many devices of one category of a handover set an office is meant to receive."""

    handover_set = models.ForeignKey(
        HandoverSet,
        on_delete=models.PROTECT,
        related_name="plan_lines",
        verbose_name=_("handover set"),
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="plan_lines", verbose_name=_("office")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="plan_lines", verbose_name=_("category")
    )
    planned_quantity = models.PositiveIntegerField(
        _("planned quantity"), validators=[MinValueValidator(0)]
    )
    notes = models.CharField(_("notes"), max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["handover_set", "office__region__sort_order", "office__name_en", "category"]
        verbose_name = _("distribution plan line")
        verbose_name_plural = _("distribution plan lines")
        constraints = [
            models.UniqueConstraint(
                fields=["handover_set", "office", "category"], name="planline_unique"
            )
        ]

    def __str__(self) -> str:
        return (
            f"{self.handover_set.code} → {self.office.code}: "
            f"{self.planned_quantity} × {self.category}"
        )


class DocumentSeries(models.Model):
    """The last number given in a year to a kind of document (TR transfers, HA acts)."""

    prefix = models.CharField(_("prefix"), max_length=4)
    year = models.PositiveSmallIntegerField(_("year"))
    last_number = models.PositiveIntegerField(_("last number"), default=0)

    class Meta:
        verbose_name = _("document number series")
        verbose_name_plural = _("document number series")
        constraints = [
            models.UniqueConstraint(fields=["prefix", "year"], name="documentseries_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.year}: {self.last_number}"


class Transfer(models.Model):
    """A shipment of assets from a place (the warehouse or an office) to an office."""

    number = models.CharField(_("number"), max_length=20, unique=True)
    origin = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        related_name="transfers_out",
        verbose_name=_("from"),
    )
    destination = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        related_name="transfers_in",
        verbose_name=_("to"),
    )
    destination_zone = models.CharField(
        _("zone at destination"), max_length=20, choices=Zone.choices
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=TransferStatus.choices,
        default=TransferStatus.DRAFT,
        db_index=True,
    )
    carrier = models.CharField(_("carrier"), max_length=150, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("created by"),
    )
    dispatched_at = models.DateTimeField(_("dispatched"), null=True, blank=True)
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("dispatched by"),
    )
    received_at = models.DateTimeField(_("fully received"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("transfer")
        verbose_name_plural = _("transfers")
        permissions = [("receive_transfer", _("Can receive a transfer"))]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(origin=models.F("destination")),
                name="transfer_origin_not_destination",
                violation_error_message=_(
                    "A transfer must go to another office than where it starts."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("transfer_detail", args=[self.pk])


class TransferItem(models.Model):
    """One asset on a transfer, and what the receiving person found."""

    transfer = models.ForeignKey(
        Transfer, on_delete=models.CASCADE, related_name="items", verbose_name=_("transfer")
    )
    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="transfer_items", verbose_name=_("asset")
    )
    # True while the asset is on a draft or travelling transfer and has not arrived: an asset
    # is on at most one such line (the constraint below), even under concurrent requests.
    is_open = models.BooleanField(_("open"), default=True)
    outcome = models.CharField(
        _("outcome"), max_length=20, choices=ItemOutcome.choices, default=ItemOutcome.PENDING
    )
    note = models.CharField(_("note"), max_length=255, blank=True)
    added_at = models.DateTimeField(_("added"), auto_now_add=True)
    received_at = models.DateTimeField(_("checked"), null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("checked by"),
    )

    class Meta:
        ordering = ["transfer", "asset__tag"]
        verbose_name = _("transfer item")
        verbose_name_plural = _("transfer items")
        constraints = [
            models.UniqueConstraint(fields=["transfer", "asset"], name="transferitem_unique"),
            models.UniqueConstraint(
                fields=["asset"],
                condition=models.Q(is_open=True),
                name="transferitem_one_open_per_asset",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.transfer.number}: {self.asset.tag}"


class HandoverAct(models.Model):
    """The signed proof that an office received the listed assets.

    Its asset list is a copy taken when the act is made, so later edits of an asset never
    change an act; once the signed scan is uploaded the act is locked, and a correction is a
    new act that replaces it.
    """

    number = models.CharField(_("number"), max_length=20, unique=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ActStatus.choices,
        default=ActStatus.DRAFT,
        db_index=True,
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="handover_acts", verbose_name=_("office")
    )
    transfer = models.ForeignKey(
        Transfer,
        on_delete=models.PROTECT,
        related_name="handover_acts",
        null=True,
        blank=True,
        verbose_name=_("transfer"),
    )
    replaces = models.OneToOneField(
        "self",
        on_delete=models.PROTECT,
        related_name="replaced_by",
        null=True,
        blank=True,
        verbose_name=_("corrects act"),
    )
    language = models.CharField(_("language of the act"), max_length=2, choices=ActLanguage.choices)
    act_date = models.DateField(_("date of the act"))
    place = models.CharField(_("place"), max_length=150, blank=True)
    giver_name = models.CharField(_("handed over by (name)"), max_length=150)
    giver_position = models.CharField(_("handed over by (position)"), max_length=200)
    receiver_name = models.CharField(_("received by (name)"), max_length=150)
    receiver_position = models.CharField(_("received by (position)"), max_length=200)
    donors = models.CharField(_("donors"), max_length=500, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("created by"),
    )
    signed_scan = models.FileField(_("signed scan"), upload_to="acts/%Y/", blank=True)
    signed_scan_type = models.CharField(_("scan type"), max_length=40, blank=True)
    signed_scan_sha256 = models.CharField(_("scan checksum (SHA-256)"), max_length=64, blank=True)
    signed_at = models.DateTimeField(_("signed scan uploaded"), null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("scan uploaded by"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["-act_date", "-number"]
        verbose_name = _("handover act")
        verbose_name_plural = _("handover acts")
        permissions = [("sign_handoveract", _("Can upload the signed scan of a handover act"))]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("handoveract_detail", args=[self.pk])

    @property
    def is_locked(self) -> bool:
        return self.status != ActStatus.DRAFT


class HandoverActItem(models.Model):
    """One asset on an act, copied as it was when the act was made."""

    act = models.ForeignKey(
        HandoverAct, on_delete=models.CASCADE, related_name="items", verbose_name=_("act")
    )
    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="act_items", verbose_name=_("asset")
    )
    tag = models.CharField(_("asset tag"), max_length=32)
    serial = models.CharField(_("serial number"), max_length=100)
    model_name = models.CharField(_("model"), max_length=260)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("category"))
    value = models.DecimalField(
        _("value (USD)"), max_digits=12, decimal_places=2, default=Decimal("0")
    )

    class Meta:
        ordering = ["act", "category__sort_order", "tag"]
        verbose_name = _("act item")
        verbose_name_plural = _("act items")
        constraints = [
            models.UniqueConstraint(fields=["act", "asset"], name="handoveractitem_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.act.number}: {self.tag}"


class VerificationCampaign(models.Model):
    """An audit: which assets are to be checked on site, drawn in full or as a random sample.

    The sample is drawn once, when the campaign is created, stratified by region and category
    from ``seed`` (``deployments.sampling``), so anyone can redraw it and get the same assets.
    """

    number = models.CharField(_("number"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=200)
    status = models.CharField(
        _("status"),
        max_length=10,
        choices=CampaignStatus.choices,
        default=CampaignStatus.OPEN,
        db_index=True,
    )
    method = models.CharField(_("what is checked"), max_length=10, choices=CampaignMethod.choices)
    handover_sets = models.ManyToManyField(
        HandoverSet,
        blank=True,
        related_name="campaigns",
        verbose_name=_("handover sets"),
        help_text=_("None chosen: every handover set."),
    )
    regions = models.ManyToManyField(
        Region,
        blank=True,
        related_name="campaigns",
        verbose_name=_("regions"),
        help_text=_("None chosen: every region."),
    )
    categories = models.ManyToManyField(
        Category,
        blank=True,
        related_name="campaigns",
        verbose_name=_("categories"),
        help_text=_("None chosen: every category."),
    )
    sample_size = models.PositiveIntegerField(_("sample size"), null=True, blank=True)
    seed = models.BigIntegerField(_("sample seed"), null=True, blank=True)
    population_size = models.PositiveIntegerField(_("assets in scope"), default=0)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("created by"),
    )
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("closed by"),
    )

    history = HistoricalRecords(m2m_fields=[handover_sets, regions, categories])

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("verification campaign")
        verbose_name_plural = _("verification campaigns")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(method=CampaignMethod.FULL)
                | models.Q(sample_size__gte=1, seed__isnull=False),
                name="campaign_sample_has_size_and_seed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def get_absolute_url(self) -> str:
        return reverse("campaign_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == CampaignStatus.OPEN


class CampaignChecklist(models.Model):
    """The part of a campaign at one office, assigned to the auditor or technician who goes."""

    campaign = models.ForeignKey(
        VerificationCampaign,
        on_delete=models.CASCADE,
        related_name="checklists",
        verbose_name=_("campaign"),
    )
    office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="checklists", verbose_name=_("office")
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="checklists",
        verbose_name=_("assigned to"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["campaign", "office__region__sort_order", "office__name_en"]
        verbose_name = _("checklist")
        verbose_name_plural = _("checklists")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "office"], name="checklist_unique_office")
        ]

    def __str__(self) -> str:
        return f"{self.campaign.number}: {self.office}"

    def get_absolute_url(self) -> str:
        return reverse("checklist_detail", args=[self.pk])


class CampaignAsset(models.Model):
    """One asset drawn into a campaign, with the stratum and office it was drawn from."""

    campaign = models.ForeignKey(
        VerificationCampaign,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("campaign"),
    )
    checklist = models.ForeignKey(
        CampaignChecklist,
        on_delete=models.CASCADE,
        related_name="items",
        verbose_name=_("checklist"),
    )
    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="campaign_items", verbose_name=_("asset")
    )
    region = models.ForeignKey(Region, on_delete=models.PROTECT, verbose_name=_("region"))
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("category"))

    class Meta:
        ordering = ["checklist", "asset__tag"]
        verbose_name = _("campaign asset")
        verbose_name_plural = _("campaign assets")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "asset"], name="campaignasset_unique")
        ]

    def __str__(self) -> str:
        return f"{self.campaign.number}: {self.asset.tag}"


class Verification(models.Model):
    """One physical check of one asset. Never changed: a later check is a new record."""

    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="verifications", verbose_name=_("asset")
    )
    campaign = models.ForeignKey(
        VerificationCampaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="verifications",
        verbose_name=_("campaign"),
    )
    outcome = models.CharField(_("result"), max_length=20, choices=VerificationOutcome.choices)
    register_office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("office in the register"),
    )
    found_office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("found at office"),
    )
    register_serial = models.CharField(_("serial in the register"), max_length=100)
    serial_read = models.CharField(_("serial read on the device"), max_length=100, blank=True)
    serial_matches = models.BooleanField(_("serial matches"), null=True)
    condition = models.CharField(
        _("condition"), max_length=20, choices=AssetCondition.choices, blank=True
    )
    zone = models.CharField(_("zone"), max_length=20, choices=Zone.choices, blank=True)
    photo = models.ImageField(_("photo"), upload_to="verifications/%Y/", blank=True)
    note = models.TextField(_("note"), blank=True)
    verified_at = models.DateTimeField(_("verified"), db_index=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("verified by"),
    )

    class Meta:
        ordering = ["-verified_at", "-pk"]
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")
        indexes = [
            models.Index(fields=["asset", "-verified_at"], name="verification_asset_latest"),
            models.Index(fields=["campaign", "asset"], name="verification_campaign_asset"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(outcome=VerificationOutcome.FOUND_ELSEWHERE)
                | models.Q(found_office__isnull=False),
                name="verification_elsewhere_has_office",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.asset.tag}: {self.get_outcome_display()}"


class MoveProposal(models.Model):
    """A device found at another office than the register says, waiting for logistics to act."""

    verification = models.OneToOneField(
        Verification,
        on_delete=models.PROTECT,
        related_name="move_proposal",
        verbose_name=_("verification"),
    )
    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="move_proposals", verbose_name=_("asset")
    )
    from_office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("from"),
    )
    to_office = models.ForeignKey(
        Office, on_delete=models.PROTECT, related_name="+", verbose_name=_("to")
    )
    to_zone = models.CharField(_("zone"), max_length=20, choices=Zone.choices, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=MoveProposalStatus.choices,
        default=MoveProposalStatus.PROPOSED,
        db_index=True,
    )
    proposed_at = models.DateTimeField(_("proposed"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        verbose_name=_("proposed by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
        verbose_name=_("decided by"),
    )
    decision_note = models.CharField(_("reason"), max_length=255, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("proposed move")
        verbose_name_plural = _("proposed moves")
        permissions = [("decide_moveproposal", _("Can confirm or reject a proposed move"))]

    def __str__(self) -> str:
        return f"{self.asset.tag} → {self.to_office.code}"
