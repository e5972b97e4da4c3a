"""Choices of the register: office kinds, zones, asset statuses and roles."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class OfficeKind(models.TextChoices):
    DISTRICT_OFFICE = "district_office", _("District CR office")
    CITY_OFFICE = "city_office", _("City CR office")
    ARCHIVE = "archive", _("Archive centre")
    WAREHOUSE = "warehouse", _("Central warehouse")


class DistrictKind(models.TextChoices):
    DISTRICT = "district", _("District")
    CITY = "city", _("City")
    CITY_DISTRICT = "city_district", _("City district")


class Zone(models.TextChoices):
    """Where in an office a device stands."""

    FRONT_OFFICE = "front_office", _("Front office")
    BACK_OFFICE = "back_office", _("Back office")
    ARCHIVE_ROOM = "archive_room", _("Archive / digitisation room")
    STORAGE = "storage", _("Storage")


class AssetStatus(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    IN_TRANSIT = "in_transit", _("In transit")
    DEPLOYED = "deployed", _("Deployed")
    IN_REPAIR = "in_repair", _("In repair")
    RETIRED = "retired", _("Retired")
    LOST = "lost", _("Lost")


class Role(models.TextChoices):
    """The groups users belong to; the value is the group's name."""

    ADMINISTRATOR = "administrator", _("Administrator")
    LOGISTICS_OFFICER = "logistics_officer", _("Logistics officer")
    AUDITOR = "auditor", _("Auditor")
    TECHNICIAN = "technician", _("Technician")
    OFFICE_HEAD = "office_head", _("Office head")
