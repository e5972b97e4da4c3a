"""Monitoring: SNMP credential profiles, the devices polled, and the outcomes of their polls.

Written only through ``monitoring.services``. A device's row carries the summary of its latest
poll, so lists read one row per device; ``PollOutcome`` keeps the history, small: an outcome is
stored when something changed since the last stored one, or when that one is older than
``MONITOR_SAMPLE_HOURS``.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from inventory.models import Asset
from monitoring.choices import (
    AlertKind,
    AlertSeverity,
    AuthProtocol,
    DeviceKind,
    FaultCategory,
    Health,
    PrivProtocol,
    Readiness,
    RepairStatus,
    SnmpVersion,
)

# Fields that hold encrypted secrets (see monitoring.secrets); never shown, never in history.
SECRET_FIELDS = ("community_encrypted", "auth_key_encrypted", "priv_key_encrypted")

TIMEOUT_MIN_S = 0.2
TIMEOUT_MAX_S = 30.0
RETRIES_MAX = 5


class SnmpProfile(models.Model):
    """A named set of SNMP credentials several devices share, e.g. "Printers, v2c"."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    version = models.CharField(
        _("SNMP version"), max_length=2, choices=SnmpVersion.choices, default=SnmpVersion.V2C
    )
    community_encrypted = models.TextField(_("community (encrypted)"), blank=True, editable=False)
    v3_user = models.CharField(_("SNMPv3 user"), max_length=100, blank=True)
    auth_proto = models.CharField(
        _("authentication protocol"), max_length=8, choices=AuthProtocol.choices, blank=True
    )
    auth_key_encrypted = models.TextField(
        _("authentication key (encrypted)"), blank=True, editable=False
    )
    priv_proto = models.CharField(
        _("privacy protocol"), max_length=8, choices=PrivProtocol.choices, blank=True
    )
    priv_key_encrypted = models.TextField(_("privacy key (encrypted)"), blank=True, editable=False)
    context = models.CharField(_("SNMPv3 context"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    secrets_changed_at = models.DateTimeField(
        _("secrets last changed"), null=True, blank=True, editable=False
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("last changed"), auto_now=True)

    history = HistoricalRecords(excluded_fields=list(SECRET_FIELDS))

    class Meta:
        ordering = ["name"]
        verbose_name = _("SNMP profile")
        verbose_name_plural = _("SNMP profiles")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(version__in=SnmpVersion.values), name="snmpprofile_version"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def __repr__(self) -> str:  # never the secrets, not even encrypted
        return f"<SnmpProfile {self.pk}: {self.name!r} v{self.version}>"

    @property
    def has_community(self) -> bool:
        return bool(self.community_encrypted)

    @property
    def has_auth_key(self) -> bool:
        return bool(self.auth_key_encrypted)

    @property
    def has_priv_key(self) -> bool:
        return bool(self.priv_key_encrypted)

    @property
    def security_label(self) -> str:
        """Return how the profile authenticates, in words, without any secret."""
        if self.version != SnmpVersion.V3:
            return str(self.get_version_display())
        if not self.auth_proto:
            level = "noAuthNoPriv"
        elif not self.priv_proto:
            level = f"authNoPriv {self.auth_proto}"
        else:
            level = f"authPriv {self.auth_proto}/{self.priv_proto}"
        return f"{self.get_version_display()} {level}"


# What the device row takes from each result whose health counts (all but "overloaded") …
HEALTH_FIELDS = ("health", "health_since", "last_polled_at", "last_error", "response_ms")
# … and from each result of a device that answered. Two groups, so each bulk UPDATE stays
# within SQLite's 999 parameters for 50 devices and more (Django batches by parameter count).
FACTS_FIELDS = (
    "kind",
    "last_reachable_at",
    "sys_name",
    "sys_descr",
    "uptime_seconds",
    "serial_seen",
    "serial_mismatch",
    "page_count",
    "device_status",
    "printer_status",
    "errors",
    "supplies",
    "lowest_supply_percent",
    "ups",
    "interfaces",
)


class MonitoredDevice(models.Model):
    """An asset the poller watches, where and how to reach it, and its latest poll's summary."""

    # Configuration, set by people.
    asset = models.OneToOneField(
        Asset, on_delete=models.CASCADE, related_name="monitoring", verbose_name=_("asset")
    )
    address = models.CharField(_("address"), max_length=255)
    port = models.PositiveIntegerField(
        _("UDP port"), default=161, validators=[MinValueValidator(1), MaxValueValidator(65535)]
    )
    profile = models.ForeignKey(
        SnmpProfile,
        on_delete=models.PROTECT,
        related_name="devices",
        verbose_name=_("SNMP profile"),
    )
    enabled = models.BooleanField(_("polled"), default=True, db_index=True)
    timeout_s = models.FloatField(
        _("timeout (seconds)"),
        default=2.0,
        validators=[MinValueValidator(TIMEOUT_MIN_S), MaxValueValidator(TIMEOUT_MAX_S)],
    )
    retries = models.PositiveSmallIntegerField(
        _("retries"), default=1, validators=[MaxValueValidator(RETRIES_MAX)]
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    # Health, set by every poll that is not the poller's own fault (see rules.health_evaluate).
    health = models.CharField(
        _("health"), max_length=10, choices=Health.choices, default=Health.UNKNOWN, db_index=True
    )
    health_since = models.DateTimeField(_("health since"), null=True, blank=True)
    last_polled_at = models.DateTimeField(_("last poll"), null=True, blank=True, db_index=True)
    last_error = models.CharField(_("last error"), max_length=255, blank=True)
    response_ms = models.FloatField(_("response time (ms)"), null=True, blank=True)

    # What the device last told (kept while it does not answer).
    kind = models.CharField(_("kind"), max_length=10, choices=DeviceKind.choices, blank=True)
    last_reachable_at = models.DateTimeField(_("last answered"), null=True, blank=True)
    sys_name = models.CharField(_("system name"), max_length=255, blank=True)
    sys_descr = models.TextField(_("system description"), blank=True)
    uptime_seconds = models.FloatField(_("uptime (seconds)"), null=True, blank=True)
    serial_seen = models.CharField(_("serial seen"), max_length=255, blank=True)
    serial_mismatch = models.BooleanField(_("serial differs from the register"), default=False)
    page_count = models.BigIntegerField(_("page counter"), null=True, blank=True)
    device_status = models.CharField(_("device status"), max_length=20, blank=True)
    printer_status = models.CharField(_("printer status"), max_length=20, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    supplies = models.JSONField(_("supplies"), default=list, blank=True)
    lowest_supply_percent = models.FloatField(
        _("lowest supply (%)"), null=True, blank=True, db_index=True
    )
    ups = models.JSONField(_("UPS"), null=True, blank=True)
    interfaces = models.JSONField(_("interfaces"), null=True, blank=True)

    # The poll state changes every round: kept in PollOutcome, not in the history.
    history = HistoricalRecords(excluded_fields=[*HEALTH_FIELDS, *FACTS_FIELDS])

    class Meta:
        ordering = ["asset__tag"]
        verbose_name = _("monitored device")
        verbose_name_plural = _("monitored devices")
        permissions = [("poll_monitoreddevice", _("Can poll a monitored device now"))]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(port__gte=1, port__lte=65535), name="monitoreddevice_port"
            ),
            models.CheckConstraint(
                condition=models.Q(timeout_s__gte=TIMEOUT_MIN_S, timeout_s__lte=TIMEOUT_MAX_S),
                name="monitoreddevice_timeout",
            ),
            models.CheckConstraint(
                condition=models.Q(retries__lte=RETRIES_MAX), name="monitoreddevice_retries"
            ),
            models.CheckConstraint(
                condition=models.Q(health__in=Health.values), name="monitoreddevice_health"
            ),
        ]
        indexes = [models.Index(fields=["health", "kind"], name="monitoreddevice_health_kind")]

    def __str__(self) -> str:
        return f"{self.asset.tag} ({self.address})"

    def get_absolute_url(self) -> str:
        return reverse("asset_detail", args=[self.asset_id]) + "#monitoring"

    def clean(self) -> None:
        if not (self.address or "").strip():
            raise ValidationError({"address": _("Give the device's IP address or host name.")})


class PollOutcome(models.Model):
    """What one poll of a device found. Stored on change, and as a sample every few hours."""

    device = models.ForeignKey(
        MonitoredDevice,
        on_delete=models.CASCADE,
        related_name="outcomes",
        verbose_name=_("device"),
    )
    polled_at = models.DateTimeField(_("polled at"), db_index=True)
    polled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("polled by"),
        help_text=_("Who asked for this poll with “Poll now”; empty for the poller's rounds."),
    )
    reachable = models.BooleanField(_("answered"))
    error = models.CharField(_("error"), max_length=255, blank=True)
    overloaded = models.BooleanField(
        _("poller overloaded"),
        default=False,
        help_text=_("The poller could not send in time: says nothing about the device."),
    )
    health = models.CharField(_("health"), max_length=10, choices=Health.choices)
    response_ms = models.FloatField(_("response time (ms)"), null=True, blank=True)
    uptime_seconds = models.FloatField(_("uptime (seconds)"), null=True, blank=True)
    device_status = models.CharField(_("device status"), max_length=20, blank=True)
    printer_status = models.CharField(_("printer status"), max_length=20, blank=True)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    page_count = models.BigIntegerField(_("page counter"), null=True, blank=True)
    supplies = models.JSONField(_("supplies"), default=list, blank=True)
    ups = models.JSONField(_("UPS"), null=True, blank=True)
    interfaces = models.JSONField(_("interfaces"), null=True, blank=True)
    serial_seen = models.CharField(_("serial seen"), max_length=255, blank=True)
    # rules.outcome_fingerprint of what this outcome found: the next one is stored if it differs.
    fingerprint = models.CharField(_("fingerprint"), max_length=32, editable=False)

    class Meta:
        ordering = ["-polled_at"]
        verbose_name = _("poll outcome")
        verbose_name_plural = _("poll outcomes")
        indexes = [
            models.Index(fields=["device", "-polled_at"], name="polloutcome_device_latest"),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} @ {self.polled_at:%Y-%m-%d %H:%M}"


# =================================================================================================
# Alerts (issue 6). Written only through monitoring.services (alerts_sync, alert_acknowledge).
# =================================================================================================


class Alert(models.Model):
    """A condition found on a device, open while it lasts; a returning condition is a new row."""

    device = models.ForeignKey(
        MonitoredDevice, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("device")
    )
    kind = models.CharField(_("kind"), max_length=30, choices=AlertKind.choices)
    key = models.CharField(
        _("key"),
        max_length=100,
        blank=True,
        help_text=_("What tells apart alerts of one kind on one device: supply, interface, error."),
    )
    severity = models.CharField(_("severity"), max_length=10, choices=AlertSeverity.choices)
    message = models.CharField(_("message"), max_length=255)
    first_seen = models.DateTimeField(_("first seen"), db_index=True)
    last_seen = models.DateTimeField(_("last seen"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)
    acknowledged_at = models.DateTimeField(_("acknowledged"), null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("acknowledged by"),
    )
    ack_note = models.CharField(_("acknowledgement note"), max_length=255, blank=True)
    is_open = models.BooleanField(_("open"), default=True, db_index=True)

    class Meta:
        ordering = ["-first_seen", "-pk"]
        verbose_name = _("alert")
        verbose_name_plural = _("alerts")
        permissions = [("acknowledge_alert", _("Can acknowledge an alert"))]
        constraints = [
            models.UniqueConstraint(
                fields=["device", "kind", "key"],
                condition=models.Q(is_open=True),
                name="alert_one_open_per_device_kind_key",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=AlertKind.values), name="alert_kind"
            ),
            models.CheckConstraint(
                condition=models.Q(severity__in=AlertSeverity.values), name="alert_severity"
            ),
        ]
        indexes = [models.Index(fields=["is_open", "severity"], name="alert_open_severity")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.key} ({self.device_id})".strip()


class AlertNotification(models.Model):
    """When a user was last e-mailed about new alerts (at most one e-mail per period)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="alert_notification",
        verbose_name=_("user"),
    )
    last_sent_at = models.DateTimeField(_("last e-mail sent"))

    class Meta:
        verbose_name = _("alert e-mail")
        verbose_name_plural = _("alert e-mails")

    def __str__(self) -> str:
        return f"{self.user_id} @ {self.last_sent_at:%Y-%m-%d %H:%M}"


# =================================================================================================
# Repairs (issue 6). Written only through monitoring.services (repair_ticket_open,
# repair_ticket_step).
# =================================================================================================


REPAIR_CLOSED_STATUSES = (RepairStatus.RESOLVED, RepairStatus.BEYOND_REPAIR)


class RepairTicket(models.Model):
    """A fault on an asset and the work to fix it, opened by hand, from an alert or a scan."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    asset = models.ForeignKey(
        Asset, on_delete=models.PROTECT, related_name="repair_tickets", verbose_name=_("asset")
    )
    alert = models.ForeignKey(
        "monitoring.Alert",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repair_tickets",
        verbose_name=_("alert"),
    )
    fault = models.CharField(_("fault"), max_length=20, choices=FaultCategory.choices)
    description = models.TextField(_("description"), blank=True)
    reported_by = models.CharField(
        _("reported by"),
        max_length=150,
        blank=True,
        help_text=_("Who told about the fault, e.g. the office head; empty: whoever opened it."),
    )
    reported_at = models.DateTimeField(_("reported"), db_index=True)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("opened by"),
    )
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repair_tickets",
        verbose_name=_("works on it"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=RepairStatus.choices,
        default=RepairStatus.OPEN,
        db_index=True,
    )
    stops_work = models.BooleanField(
        _("the device cannot be used"),
        default=True,
        help_text=_("The asset goes to “In repair” until the ticket is resolved."),
    )
    warranty_claim = models.BooleanField(_("warranty claim"), default=False)
    supplier_reference = models.CharField(_("supplier's reference"), max_length=100, blank=True)
    resolved_at = models.DateTimeField(_("closed"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-reported_at", "-pk"]
        verbose_name = _("repair ticket")
        verbose_name_plural = _("repair tickets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RepairStatus.values), name="repairticket_status"
            ),
            models.CheckConstraint(
                condition=models.Q(fault__in=FaultCategory.values), name="repairticket_fault"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    def get_absolute_url(self) -> str:
        return reverse("repairticket_detail", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status not in REPAIR_CLOSED_STATUSES

    @property
    def downtime(self):
        """Return the time from report to resolution (to now while open), a timedelta."""
        import datetime as dt

        from django.utils import timezone

        end = self.resolved_at or timezone.now()
        return max(end - self.reported_at, dt.timedelta(0))


class WorkEntry(models.Model):
    """One visit or step on a ticket: time spent, parts used, a note, maybe a photo."""

    ticket = models.ForeignKey(
        RepairTicket, on_delete=models.CASCADE, related_name="entries", verbose_name=_("ticket")
    )
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("by"),
    )
    at = models.DateTimeField(_("at"))
    minutes = models.PositiveIntegerField(_("minutes spent"), default=0)
    parts = models.CharField(_("parts used"), max_length=255, blank=True)
    note = models.TextField(_("note"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="repairs/%Y/", blank=True)
    status_from = models.CharField(
        _("status before"), max_length=20, choices=RepairStatus.choices, blank=True
    )
    status_to = models.CharField(
        _("status after"), max_length=20, choices=RepairStatus.choices, blank=True
    )

    class Meta:
        ordering = ["at", "pk"]
        verbose_name = _("work entry")
        verbose_name_plural = _("work entries")

    def __str__(self) -> str:
        return f"{self.ticket_id} @ {self.at:%Y-%m-%d %H:%M}"


# =================================================================================================
# Service readiness and consumables (issue 8). Written only through monitoring.services
# (readiness_refresh, supply_forecasts_refresh).
# =================================================================================================


class ReadinessPeriod(models.Model):
    """A stretch of time in which a CR service at an office was in one readiness state.

    The open period (``until`` empty) is the state now; a change closes it and opens the next,
    so a month's availability is read from the periods that overlap it.
    """

    office = models.ForeignKey(
        "inventory.Office",
        on_delete=models.CASCADE,
        related_name="readiness_periods",
        verbose_name=_("office"),
    )
    service = models.ForeignKey(
        "inventory.CRService",
        on_delete=models.CASCADE,
        related_name="readiness_periods",
        verbose_name=_("service"),
    )
    state = models.CharField(_("state"), max_length=10, choices=Readiness.choices)
    since = models.DateTimeField(_("since"))
    until = models.DateTimeField(_("until"), null=True, blank=True)
    # What was wrong, language-neutral: ReasonKind values, and the assets the reasons named.
    reason_kinds = models.JSONField(_("reasons"), default=list, blank=True)
    asset_ids = models.JSONField(_("devices named"), default=list, blank=True)
    # readiness_fingerprint of the two above: a recomputation compares it, not the JSON.
    fingerprint = models.CharField(_("fingerprint"), max_length=32, blank=True, editable=False)

    class Meta:
        ordering = ["office", "service", "-since"]
        verbose_name = _("readiness period")
        verbose_name_plural = _("readiness periods")
        constraints = [
            models.UniqueConstraint(
                fields=["office", "service"],
                condition=models.Q(until__isnull=True),
                name="readinessperiod_one_open",
            ),
            models.CheckConstraint(
                condition=models.Q(state__in=Readiness.values), name="readinessperiod_state"
            ),
        ]
        indexes = [
            models.Index(fields=["office", "service", "since"], name="readinessperiod_pair_since"),
            models.Index(fields=["until"], name="readinessperiod_until"),
        ]

    def __str__(self) -> str:
        return f"{self.office_id}/{self.service_id} {self.state} @ {self.since:%Y-%m-%d %H:%M}"


class ReadinessRun(models.Model):
    """One computation of every office's readiness: when, how many offices and changes."""

    at = models.DateTimeField(_("at"), db_index=True)
    offices = models.PositiveIntegerField(_("offices"))
    changes = models.PositiveIntegerField(_("changes"))
    duration_s = models.FloatField(_("duration (seconds)"))
    complete = models.BooleanField(
        _("every office"), default=True, help_text=_("False when only some offices were computed.")
    )

    class Meta:
        ordering = ["-at"]
        verbose_name = _("readiness computation")
        verbose_name_plural = _("readiness computations")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} ({self.offices})"


class SupplyForecast(models.Model):
    """When one supply of one printer runs out, as last computed from its level history."""

    device = models.ForeignKey(
        MonitoredDevice,
        on_delete=models.CASCADE,
        related_name="supply_forecasts",
        verbose_name=_("device"),
    )
    supply_index = models.CharField(_("supply index"), max_length=20)
    description = models.CharField(_("supply"), max_length=255)
    supply_type = models.CharField(_("supply type"), max_length=40, blank=True)
    level = models.FloatField(_("level (%)"), null=True, blank=True)
    level_at = models.DateTimeField(_("level read at"), null=True, blank=True)
    runs_out = models.DateTimeField(_("runs out"), null=True, blank=True, db_index=True)
    earliest = models.DateTimeField(_("earliest"), null=True, blank=True)
    latest = models.DateTimeField(_("latest"), null=True, blank=True)
    confidence = models.CharField(_("confidence"), max_length=10, blank=True)
    method = models.CharField(_("method"), max_length=20, blank=True)
    reason = models.CharField(_("why no date"), max_length=30, blank=True)
    percent_per_day = models.FloatField(_("use per day (%)"), null=True, blank=True)
    points = models.PositiveIntegerField(_("readings used"), default=0)
    cartridge_since = models.DateTimeField(_("cartridge in since"), null=True, blank=True)
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        ordering = ["runs_out", "device", "supply_index"]
        verbose_name = _("supply forecast")
        verbose_name_plural = _("supply forecasts")
        constraints = [
            models.UniqueConstraint(
                fields=["device", "supply_index"], name="supplyforecast_device_supply"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.device_id} {self.description}"
