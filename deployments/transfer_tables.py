"""How the transfer lists look and export."""

import django_tables2 as tables
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from deployments.models import Transfer
from inventory.models import Asset

_WIDE_ONLY = {"th": {"class": "wide-only"}, "td": {"class": "wide-only"}}


class TransferTable(tables.Table):
    number = tables.Column(
        verbose_name=_("Number"), linkify=True, attrs={"td": {"class": "nowrap"}}
    )
    created_at = tables.DateColumn(verbose_name=_("Created"), format="d.m.Y", attrs=_WIDE_ONLY)
    origin = tables.Column(verbose_name=_("From"), order_by=("origin__code",), attrs=_WIDE_ONLY)
    destination = tables.Column(verbose_name=_("To"), order_by=("destination__name_en",))
    region = tables.Column(
        verbose_name=_("Region"),
        accessor="destination__region",
        order_by=("destination__region__sort_order", "destination__name_en"),
        attrs=_WIDE_ONLY,
    )
    status = tables.Column(verbose_name=_("Status"))
    item_count = tables.Column(verbose_name=_("Assets"), attrs={"td": {"class": "num"}})
    outstanding_count = tables.Column(
        verbose_name=_("Outstanding"), attrs={"td": {"class": "num"}, "th": {"class": "num"}}
    )
    dispatched_at = tables.DateColumn(
        verbose_name=_("Dispatched"), format="d.m.Y", attrs=_WIDE_ONLY
    )

    class Meta:
        model = Transfer
        fields = ()
        sequence = (
            "number",
            "created_at",
            "origin",
            "destination",
            "region",
            "status",
            "item_count",
            "outstanding_count",
            "dispatched_at",
        )
        order_by = ("-created_at",)
        attrs = {"class": "table"}
        empty_text = _("No transfers match.")

    def render_origin(self, value):
        return value.code

    def value_origin(self, value):
        return value.code

    def render_status(self, record):
        return format_html(
            '<span class="badge transfer-{}">{}</span>', record.status, record.get_status_display()
        )

    def value_status(self, record):
        return record.get_status_display()

    def render_outstanding_count(self, record, value):
        if record.status in ("dispatched", "partly_received") and value:
            return format_html('<strong class="warn">{}</strong>', value)
        return value if record.status != "draft" else "—"

    def value_outstanding_count(self, record, value):
        return value


class TransferPickTable(tables.Table):
    """Assets at the origin that can go on the transfer, with a tick box each."""

    select = tables.CheckBoxColumn(
        accessor="pk",
        attrs={
            "th__input": {"aria-label": _("Select all")},
            "input": {"name": "asset_ids", "form": "pick-form"},
        },
        orderable=False,
    )
    tag = tables.Column(verbose_name=_("Asset tag"))
    serial = tables.Column(verbose_name=_("Serial number"), attrs={"td": {"class": "mono"}})
    asset_model = tables.Column(
        verbose_name=_("Model"), order_by=("asset_model__manufacturer__name", "asset_model__name")
    )
    status = tables.Column(verbose_name=_("Status"), attrs=_WIDE_ONLY)
    zone = tables.Column(verbose_name=_("Zone"), attrs=_WIDE_ONLY)

    class Meta:
        model = Asset
        fields = ()
        sequence = ("select", "tag", "serial", "asset_model", "status", "zone")
        order_by = ("tag",)
        attrs = {"class": "table"}
        empty_text = _("No asset at the origin can go on this transfer.")
