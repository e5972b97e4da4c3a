"""How the monitored-device list looks and exports. Cheap renderers, no template per cell."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from monitoring.choices import PRINTER_ERROR_LABELS
from monitoring.models import Alert, MonitoredDevice, RepairTicket
from monitoring.rules import SUPPLY_LOW_PERCENT

_WIDE_ONLY = {"th": {"class": "wide-only"}, "td": {"class": "wide-only"}}
_NUM = {"th": {"class": "num"}, "td": {"class": "num"}}
_WIDE_ONLY_NUM = {"th": {"class": "num wide-only"}, "td": {"class": "num wide-only"}}


def error_words(names) -> str:
    """Return RFC 3805 error bit names in words, comma separated."""
    return ", ".join(str(PRINTER_ERROR_LABELS.get(name, name)) for name in names or ())


class MonitoredDeviceTable(tables.Table):
    """Monitored devices. On the page "since" is shown under the health badge; exports have
    it as a column of its own (see MonitoredDeviceListView.get_table_kwargs)."""

    tag = tables.Column(
        verbose_name=_("Asset tag"), accessor="asset__tag", attrs={"td": {"class": "nowrap"}}
    )
    kind = tables.Column(verbose_name=_("Kind"), order_by=("kind", "asset__tag"))
    office = tables.Column(
        verbose_name=_("Office"),
        accessor="asset__office",
        order_by=("asset__office__name_en", "asset__tag"),
    )
    region = tables.Column(
        verbose_name=_("Region"),
        accessor="asset__office__region",
        order_by=("asset__office__region__sort_order", "asset__office__name_en", "asset__tag"),
        attrs=_WIDE_ONLY,
    )
    address = tables.Column(verbose_name=_("Address"), attrs={"td": {"class": "mono"}})
    health = tables.Column(verbose_name=_("Health"), order_by=("health", "-health_since"))
    health_since = tables.DateTimeColumn(
        verbose_name=_("Since"), format="d.m.Y H:i", attrs=_WIDE_ONLY
    )
    last_polled_at = tables.DateTimeColumn(
        verbose_name=_("Last poll"), format="d.m.Y H:i", attrs=_WIDE_ONLY
    )
    lowest_supply_percent = tables.Column(verbose_name=_("Lowest supply"), attrs=_NUM)
    page_count = tables.Column(verbose_name=_("Pages"), attrs=_WIDE_ONLY_NUM)
    errors = tables.Column(
        verbose_name=_("Errors"),
        orderable=False,
        empty_values=(),
        attrs={"td": {"class": "small errors-cell"}},
    )

    class Meta:
        model = MonitoredDevice
        fields = ()
        sequence = (
            "tag",
            "kind",
            "office",
            "region",
            "address",
            "health",
            "health_since",
            "last_polled_at",
            "lowest_supply_percent",
            "page_count",
            "errors",
        )
        order_by = ("tag",)
        attrs = {"class": "table", "id": "monitored-devices"}
        empty_text = _("No monitored devices match.")

    def render_tag(self, value, record):
        return format_html(
            '<a href="{}#monitoring">{}</a>', reverse("asset_detail", args=[record.asset_id]), value
        )

    def value_tag(self, value):
        return value

    def render_kind(self, record):
        return record.get_kind_display()

    def value_kind(self, record):
        return record.get_kind_display()

    def render_address(self, value, record):
        return value if record.port == 161 else f"{value}:{record.port}"

    def value_address(self, value, record):
        return value if record.port == 161 else f"{value}:{record.port}"

    def render_health(self, value, record):
        badge = format_html(
            '<span class="badge health-{}">{}</span>', record.health, record.get_health_display()
        )
        if not record.health_since:
            return badge
        since = date_format(timezone.localtime(record.health_since), "d.m.Y H:i")
        return format_html(
            '{}<br><span class="small muted nowrap">{}</span>',
            badge,
            gettext("since %(when)s") % {"when": since},
        )

    def value_health(self, record):
        return record.get_health_display()

    def value_health_since(self, value):
        return value

    def value_last_polled_at(self, value):
        return value

    def render_lowest_supply_percent(self, value):
        text = f"{value:.0f}\u00a0%"
        if value <= SUPPLY_LOW_PERCENT:
            return format_html('<strong class="warn">{}</strong>', text)
        return text

    def value_lowest_supply_percent(self, value):
        return round(value, 1) if value is not None else None

    def render_page_count(self, value):
        return f"{value:,}".replace(",", "\u00a0")

    def value_page_count(self, value):
        return value

    def render_errors(self, record):
        words = error_words(record.errors)
        if record.serial_mismatch:
            mismatch = gettext("serial differs from the register")
            words = f"{words}, {mismatch}" if words else mismatch
        return words or "—"

    def value_errors(self, record):
        words = error_words(record.errors)
        if record.serial_mismatch:
            mismatch = gettext("serial differs from the register")
            words = f"{words}, {mismatch}" if words else mismatch
        return words


# =================================================================================================
# Repairs (issue 6)
# =================================================================================================


def downtime_words(delta) -> str:
    """Return a duration as "3 d 4 h", "5 h 20 min" or "12 min"."""
    minutes = int(delta.total_seconds() // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return gettext("%(days)s d %(hours)s h") % {"days": days, "hours": hours}
    if hours:
        return gettext("%(hours)s h %(minutes)s min") % {"hours": hours, "minutes": minutes}
    return gettext("%(minutes)s min") % {"minutes": minutes}


class RepairTicketTable(tables.Table):
    number = tables.Column(verbose_name=_("Ticket"), attrs={"td": {"class": "nowrap"}})
    tag = tables.Column(
        verbose_name=_("Asset tag"), accessor="asset__tag", attrs={"td": {"class": "nowrap"}}
    )
    model = tables.Column(
        verbose_name=_("Model"),
        accessor="asset__asset_model",
        order_by=("asset__asset_model__manufacturer__name", "asset__asset_model__name"),
        attrs=_WIDE_ONLY,
    )
    office = tables.Column(
        verbose_name=_("Office"),
        accessor="asset__office",
        order_by=("asset__office__name_en", "-reported_at"),
    )
    region = tables.Column(
        verbose_name=_("Region"),
        accessor="asset__office__region",
        order_by=("asset__office__region__sort_order", "asset__office__name_en"),
        attrs=_WIDE_ONLY,
    )
    fault = tables.Column(verbose_name=_("Fault"))
    status = tables.Column(verbose_name=_("Status"))
    assignee = tables.Column(verbose_name=_("Works on it"), attrs=_WIDE_ONLY)
    reported_at = tables.DateTimeColumn(verbose_name=_("Reported"), format="d.m.Y H:i")
    downtime = tables.Column(
        verbose_name=_("Downtime"), empty_values=(), order_by=("resolved_at",), attrs=_NUM
    )
    warranty_claim = tables.BooleanColumn(verbose_name=_("Warranty claim"), attrs=_WIDE_ONLY)

    class Meta:
        model = RepairTicket
        fields = ()
        sequence = (
            "number",
            "tag",
            "model",
            "office",
            "region",
            "fault",
            "status",
            "assignee",
            "reported_at",
            "downtime",
            "warranty_claim",
        )
        order_by = ("-reported_at",)
        attrs = {"class": "table", "id": "repair-tickets"}
        empty_text = _("No repair tickets match.")

    def render_number(self, value, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), value)

    def value_number(self, value):
        return value

    def render_tag(self, value, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("asset_detail", args=[record.asset_id]), value
        )

    def value_tag(self, value):
        return value

    def render_model(self, value):
        return f"{value.manufacturer.name} {value.name}"

    def value_model(self, value):
        return f"{value.manufacturer.name} {value.name}"

    def render_fault(self, record):
        return record.get_fault_display()

    def value_fault(self, record):
        return record.get_fault_display()

    def render_status(self, record):
        return format_html(
            '<span class="badge repair-{}">{}</span>', record.status, record.get_status_display()
        )

    def value_status(self, record):
        return record.get_status_display()

    def render_assignee(self, value):
        return value.get_full_name() or value.get_username()

    def value_assignee(self, value):
        return value.get_full_name() or value.get_username()

    def value_reported_at(self, value):
        return value

    def render_downtime(self, record):
        words = downtime_words(record.downtime)
        return words if record.resolved_at else format_html("{} …", words)

    def value_downtime(self, record):
        return round(record.downtime.total_seconds() / 3600, 1)


# Alerts --------------------------------------------------------------------------------
_WIDE_ONLY = {"th": {"class": "wide-only"}, "td": {"class": "wide-only"}}
SEVERITY_BADGE = {"critical": "down", "warning": "warning", "info": "unknown"}


class AlertTable(tables.Table):
    severity = tables.Column(verbose_name=_("Severity"), order_by=("severity", "-first_seen"))
    tag = tables.Column(
        verbose_name=_("Asset tag"),
        accessor="device__asset__tag",
        attrs={"td": {"class": "nowrap"}},
    )
    office = tables.Column(
        verbose_name=_("Office"),
        accessor="device__asset__office",
        order_by=("device__asset__office__name_en", "-first_seen"),
    )
    region = tables.Column(
        verbose_name=_("Region"),
        accessor="device__asset__office__region",
        order_by=("device__asset__office__region__sort_order", "-first_seen"),
        attrs=_WIDE_ONLY,
    )
    kind = tables.Column(verbose_name=_("Kind"), attrs=_WIDE_ONLY)
    message = tables.Column(verbose_name=_("Alert"), orderable=False)
    first_seen = tables.DateTimeColumn(verbose_name=_("First seen"), format="d.m.Y H:i")
    last_seen = tables.DateTimeColumn(
        verbose_name=_("Last seen"), format="d.m.Y H:i", attrs=_WIDE_ONLY
    )
    state = tables.Column(
        verbose_name=_("State"), accessor="is_open", order_by=("-is_open", "-first_seen")
    )
    actions = tables.Column(
        verbose_name="", empty_values=(), orderable=False, exclude_from_export=True
    )

    class Meta:
        model = Alert
        fields = ()
        sequence = (
            "severity",
            "tag",
            "office",
            "region",
            "kind",
            "message",
            "first_seen",
            "last_seen",
            "state",
            "actions",
        )
        order_by = ("-first_seen",)
        attrs = {"class": "table"}

    def render_severity(self, record):
        return format_html(
            '<span class="badge health-{}">{}</span>',
            SEVERITY_BADGE.get(record.severity, "unknown"),
            record.get_severity_display(),
        )

    def value_severity(self, record):
        return record.get_severity_display()

    def render_tag(self, record):
        asset = record.device.asset
        return format_html(
            '<a href="{}">{}</a>', reverse("asset_detail", args=[asset.pk]), asset.tag
        )

    def value_tag(self, record):
        return record.device.asset.tag

    def _state(self, record) -> str:
        if not record.is_open:
            return gettext("Resolved")
        if record.acknowledged_at is not None:
            who = record.acknowledged_by.get_username() if record.acknowledged_by else ""
            return gettext("Acknowledged by %(user)s") % {"user": who or "—"}
        return gettext("Open")

    def render_state(self, record):
        if record.acknowledged_at and record.ack_note:
            return format_html("{}<br><small>{}</small>", self._state(record), record.ack_note)
        return self._state(record)

    def value_state(self, record):
        return self._state(record)

    def render_actions(self, record):
        # "Services at risk" (issue 8): what the alert's device puts at risk at its office.
        impact = ""
        if record.is_open and getattr(self, "can_see_impact", False):
            impact = format_html(
                ' <a class="small" href="{}?alert={}">{}</a>',
                reverse("readiness_impact"),
                record.pk,
                gettext("Services at risk"),
            )
        if not record.is_open or record.acknowledged_at is not None:
            return impact
        if not getattr(self, "can_acknowledge", False):
            return impact
        return format_html(
            '<a class="button small" href="{}">{}</a>{}',
            reverse("alert_acknowledge", args=[record.pk]),
            gettext("Acknowledge"),
            impact,
        )
