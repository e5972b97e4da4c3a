"""The register: places, catalogue, funding, assets, CR services and who sees what."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from inventory.choices import AssetStatus, DistrictKind, OfficeKind, Zone


class CodeManager(models.Manager):
    """Look rows up by their stable code, so fixtures can use natural keys."""

    def get_by_natural_key(self, code: str):
        return self.get(code=code)


class LocalizedNameMixin(models.Model):
    """Names in English, Russian and Tajik; ``name`` follows the active language."""

    name_en = models.CharField(_("name (English)"), max_length=200)
    name_ru = models.CharField(_("name (Russian)"), max_length=200, blank=True)
    name_tg = models.CharField(_("name (Tajik)"), max_length=200, blank=True)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        language = (get_language() or "en")[:2]
        return getattr(self, f"name_{language}", "") or self.name_en


class Region(LocalizedNameMixin):
    code = models.CharField(_("code"), max_length=8, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = CodeManager()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class District(LocalizedNameMixin):
    """A district or city: the level at which civil-registration offices sit."""

    code = models.CharField(_("code"), max_length=12, unique=True)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="districts", verbose_name=_("region")
    )
    kind = models.CharField(_("kind"), max_length=20, choices=DistrictKind.choices)
    admin_centre = models.CharField(_("administrative centre"), max_length=120, blank=True)

    objects = CodeManager()

    class Meta:
        ordering = ["region__sort_order", "name_en"]
        verbose_name = _("district")
        verbose_name_plural = _("districts")

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    natural_key.dependencies = ["inventory.region"]


class CRService(LocalizedNameMixin):
    """A civil-registration service an office offers to citizens."""

    code = models.CharField(_("code"), max_length=40, unique=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)

    objects = CodeManager()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("CR service")
        verbose_name_plural = _("CR services")

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class Office(LocalizedNameMixin):
    """A civil-registration office, an archive centre or the central warehouse."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=OfficeKind.choices)
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="offices", verbose_name=_("region")
    )
    district = models.ForeignKey(
        District, on_delete=models.PROTECT, related_name="offices", verbose_name=_("district")
    )
    address = models.CharField(_("address"), max_length=255, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=8, decimal_places=5, null=True, blank=True
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    connectivity_notes = models.TextField(_("connectivity notes"), blank=True)
    services = models.ManyToManyField(
        CRService, blank=True, related_name="offices", verbose_name=_("services offered")
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = CodeManager()
    history = HistoricalRecords(m2m_fields=[services])

    class Meta:
        ordering = ["region__sort_order", "name_en"]
        verbose_name = _("office")
        verbose_name_plural = _("offices")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__gte=-90, latitude__lte=90)
                | models.Q(latitude__isnull=True),
                name="office_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__gte=-180, longitude__lte=180)
                | models.Q(longitude__isnull=True),
                name="office_longitude_range",
            ),
        ]

    def get_absolute_url(self) -> str:
        return reverse("office_detail", args=[self.pk])

    def natural_key(self) -> tuple[str]:
        return (self.code,)

    natural_key.dependencies = ["inventory.district", "inventory.crservice"]

    def clean(self) -> None:
        if self.district_id and self.region_id and self.district.region_id != self.region_id:
            raise ValidationError(
                {"district": _("The district %(district)s is not in the region %(region)s.")},
                params={"district": self.district, "region": self.region},
            )
        if (self.latitude is None) != (self.longitude is None):
            raise ValidationError(_("Give both latitude and longitude, or neither."))


class Category(LocalizedNameMixin):
    """A kind of device: laptop, printer, scanner, router, UPS, server."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    tag_prefix = models.CharField(
        _("tag prefix"),
        max_length=4,
        unique=True,
        help_text=_("Two letters used in generated asset tags, e.g. LT in CR-LT-000123."),
    )
    is_monitored = models.BooleanField(_("polled over SNMP"), default=False)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    last_tag_number = models.PositiveIntegerField(_("last tag number"), default=0, editable=False)

    objects = CodeManager()

    class Meta:
        ordering = ["sort_order", "code"]
        verbose_name = _("category")
        verbose_name_plural = _("categories")

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class ManufacturerManager(models.Manager):
    def get_by_natural_key(self, name: str):
        return self.get(name=name)


class Manufacturer(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True)

    objects = ManufacturerManager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("manufacturer")
        verbose_name_plural = _("manufacturers")

    def __str__(self) -> str:
        return self.name

    def natural_key(self) -> tuple[str]:
        return (self.name,)


class AssetModelManager(models.Manager):
    def get_by_natural_key(self, manufacturer: str, name: str):
        return self.get(manufacturer__name=manufacturer, name=name)


class AssetModel(models.Model):
    """A make and model of device, e.g. HP LaserJet Pro M404dn."""

    manufacturer = models.ForeignKey(
        Manufacturer,
        on_delete=models.PROTECT,
        related_name="models",
        verbose_name=_("manufacturer"),
    )
    name = models.CharField(_("model"), max_length=150, db_index=True)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="models", verbose_name=_("category")
    )
    part_number = models.CharField(_("part number"), max_length=100, blank=True)

    objects = AssetModelManager()

    class Meta:
        ordering = ["manufacturer__name", "name"]
        verbose_name = _("asset model")
        verbose_name_plural = _("asset models")
        constraints = [
            models.UniqueConstraint(fields=["manufacturer", "name"], name="assetmodel_unique_name")
        ]

    def __str__(self) -> str:
        return f"{self.manufacturer.name} {self.name}"

    def natural_key(self) -> tuple[str, str]:
        return (self.manufacturer.name, self.name)

    natural_key.dependencies = ["inventory.manufacturer", "inventory.category"]


class FundingSource(LocalizedNameMixin):
    """A donor, e.g. Swiss Cooperation or the EU Delegation."""

    code = models.CharField(_("code"), max_length=20, unique=True)

    objects = CodeManager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("funding source")
        verbose_name_plural = _("funding sources")

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class HandoverSet(LocalizedNameMixin):
    """An equipment set delivered by donors, with what its annex declares."""

    code = models.CharField(_("code"), max_length=20, unique=True)
    handover_date = models.DateField(_("handover date"))
    funding_sources = models.ManyToManyField(
        FundingSource, related_name="handover_sets", verbose_name=_("funding sources")
    )
    implementer = models.CharField(_("implementing partner"), max_length=120, blank=True)
    declared_value = models.DecimalField(
        _("declared value (USD)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    notes = models.TextField(_("notes"), blank=True)

    objects = CodeManager()

    class Meta:
        ordering = ["handover_date", "code"]
        verbose_name = _("handover set")
        verbose_name_plural = _("handover sets")

    def natural_key(self) -> tuple[str]:
        return (self.code,)


class HandoverSetLine(models.Model):
    """How many devices of one category a handover set declares, and their value."""

    handover_set = models.ForeignKey(
        HandoverSet, on_delete=models.CASCADE, related_name="lines", verbose_name=_("handover set")
    )
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("category"))
    declared_quantity = models.PositiveIntegerField(_("declared quantity"))
    declared_value = models.DecimalField(
        _("declared value (USD)"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )

    class Meta:
        ordering = ["handover_set", "category__sort_order"]
        verbose_name = _("declared line")
        verbose_name_plural = _("declared lines")
        constraints = [
            models.UniqueConstraint(
                fields=["handover_set", "category"], name="handoversetline_unique_category"
            )
        ]

    def __str__(self) -> str:
        return f"{self.handover_set.code}: {self.declared_quantity} × {self.category}"


class ServiceRequirement(models.Model):
    """What an office needs in one zone for a CR service to run, e.g. one working printer."""

    service = models.ForeignKey(
        CRService, on_delete=models.CASCADE, related_name="requirements", verbose_name=_("service")
    )
    zone = models.CharField(_("zone"), max_length=20, choices=Zone.choices)
    category = models.ForeignKey(Category, on_delete=models.PROTECT, verbose_name=_("category"))
    min_count = models.PositiveSmallIntegerField(
        _("minimum count"), default=1, validators=[MinValueValidator(1)]
    )

    class Meta:
        ordering = ["service__sort_order", "zone", "category__sort_order"]
        verbose_name = _("service requirement")
        verbose_name_plural = _("service requirements")
        constraints = [
            models.UniqueConstraint(
                fields=["service", "zone", "category"], name="servicerequirement_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(min_count__gte=1), name="servicerequirement_min_count_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service}: {self.min_count} × {self.category} ({self.get_zone_display()})"


class Asset(models.Model):
    """One device in the register. Created and changed only through inventory.services."""

    tag = models.CharField(_("asset tag"), max_length=32, unique=True)
    serial = models.CharField(_("serial number"), max_length=100, unique=True)
    asset_model = models.ForeignKey(
        AssetModel, on_delete=models.PROTECT, related_name="assets", verbose_name=_("model")
    )
    handover_set = models.ForeignKey(
        HandoverSet,
        on_delete=models.PROTECT,
        related_name="assets",
        null=True,
        blank=True,
        verbose_name=_("handover set"),
    )
    value = models.DecimalField(
        _("value (USD)"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    warranty_end = models.DateField(_("warranty end"), null=True, blank=True)
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=AssetStatus.choices,
        default=AssetStatus.IN_STOCK,
        db_index=True,
    )
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        related_name="assets",
        null=True,
        blank=True,
        verbose_name=_("office"),
    )
    zone = models.CharField(_("zone"), max_length=20, choices=Zone.choices, blank=True)
    custodian = models.CharField(_("custodian"), max_length=150, blank=True)
    network_address = models.CharField(_("network address"), max_length=255, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    services = models.ManyToManyField(
        CRService, blank=True, related_name="assets", verbose_name=_("CR services supported")
    )
    created_at = models.DateTimeField(_("registered"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True, db_index=True)

    history = HistoricalRecords(m2m_fields=[services])

    class Meta:
        ordering = ["tag"]
        verbose_name = _("asset")
        verbose_name_plural = _("assets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(value__gte=0) | models.Q(value__isnull=True),
                name="asset_value_not_negative",
            ),
            models.CheckConstraint(condition=~models.Q(serial=""), name="asset_serial_not_empty"),
        ]
        indexes = [
            models.Index(fields=["office", "status"], name="asset_office_status"),
            # Covers the dashboard's declared-versus-registered sums without reading the table.
            models.Index(
                fields=["asset_model", "handover_set", "value"], name="asset_model_set_value"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tag} ({self.serial})"

    def get_absolute_url(self) -> str:
        return reverse("asset_detail", args=[self.pk])

    @property
    def category(self) -> Category:
        return self.asset_model.category

    @property
    def under_warranty(self) -> bool | None:
        """Return whether the warranty still runs today, or None when it is not known."""
        from django.utils import timezone

        if self.warranty_end is None:
            return None
        return self.warranty_end >= timezone.localdate()


class UserScope(models.Model):
    """Which part of the country a user works in: regions, or one office for an office head."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="scope",
        verbose_name=_("user"),
    )
    regions = models.ManyToManyField(
        Region, blank=True, related_name="user_scopes", verbose_name=_("regions")
    )
    office = models.ForeignKey(
        Office,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="user_scopes",
        verbose_name=_("office"),
    )
    position = models.CharField(_("position"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("user scope")
        verbose_name_plural = _("user scopes")

    def __str__(self) -> str:
        return str(self.user)
