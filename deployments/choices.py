"""Choices of deployments: transfer and handover-act states, receipt outcomes."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TransferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    DISPATCHED = "dispatched", _("Dispatched")
    PARTLY_RECEIVED = "partly_received", _("Partly received")
    RECEIVED = "received", _("Received")
    CANCELLED = "cancelled", _("Cancelled")


class ItemOutcome(models.TextChoices):
    """What the receiving person found for one asset of a transfer."""

    PENDING = "pending", _("Not yet received")
    RECEIVED = "received", _("Received")
    DAMAGED = "damaged", _("Received damaged")
    MISSING = "missing", _("Missing")


# Outcomes that mean the asset arrived at the destination.
ARRIVED_OUTCOMES = frozenset({ItemOutcome.RECEIVED, ItemOutcome.DAMAGED})


class ActStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SIGNED = "signed", _("Signed")
    SUPERSEDED = "superseded", _("Superseded by a correction")


class ActLanguage(models.TextChoices):
    TAJIK = "tg", _("Tajik")
    RUSSIAN = "ru", _("Russian")
    ENGLISH = "en", _("English")


class CampaignMethod(models.TextChoices):
    FULL = "full", _("Every asset in scope")
    SAMPLE = "sample", _("Random sample")


class CampaignStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class VerificationOutcome(models.TextChoices):
    """What the person on site found for one asset."""

    FOUND = "found", _("Found")
    NOT_FOUND = "not_found", _("Not found")
    FOUND_ELSEWHERE = "found_elsewhere", _("Found elsewhere")


# Outcomes that mean the device exists.
SEEN_OUTCOMES = frozenset({VerificationOutcome.FOUND, VerificationOutcome.FOUND_ELSEWHERE})


class AssetCondition(models.TextChoices):
    WORKING = "working", _("Working")
    DAMAGED = "damaged", _("Damaged")
    NOT_WORKING = "not_working", _("Not working")


class MoveProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("Waiting for a logistics officer")
    CONFIRMED = "confirmed", _("Confirmed: the register was changed")
    REJECTED = "rejected", _("Rejected")
