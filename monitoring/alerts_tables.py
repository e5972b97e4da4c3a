"""How the alert list looks and exports. Cheap renderers, no template per cell."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from monitoring.models import Alert

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
        if not record.is_open or record.acknowledged_at is not None:
            return ""
        if not getattr(self, "can_acknowledge", False):
            return ""
        return format_html(
            '<a class="button small" href="{}">{}</a>',
            reverse("alert_acknowledge", args=[record.pk]),
            gettext("Acknowledge"),
        )
