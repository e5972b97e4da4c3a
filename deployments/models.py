"""Where devices go: the distribution plan (and, later, transfers and handover acts)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from inventory.models import Category, HandoverSet, Office


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
