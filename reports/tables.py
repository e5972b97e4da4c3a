"""The list of assets behind a figure of the report; its export has the same columns."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from inventory.models import Asset
from reports import queries
from reports import reconciliation as rules

_WIDE_ONLY = {"th": {"class": "wide-only"}, "td": {"class": "wide-only"}}
_NUM = {"th": {"class": "num"}, "td": {"class": "num"}}


class ReconciliationAssetTable(tables.Table):
    tag = tables.Column(verbose_name=_("Asset tag"), attrs={"td": {"class": "nowrap"}})
    serial = tables.Column(verbose_name=_("Serial number"), attrs={"td": {"class": "mono"}})
    asset_model = tables.Column(
        verbose_name=_("Model"),
        order_by=("asset_model__manufacturer__name", "asset_model__name", "tag"),
        attrs=_WIDE_ONLY,
    )
    category = tables.Column(
        verbose_name=_("Category"),
        accessor="asset_model__category",
        order_by=("asset_model__category__sort_order", "tag"),
        attrs=_WIDE_ONLY,
    )
    status = tables.Column(verbose_name=_("Status"))
    office = tables.Column(verbose_name=_("Office"), order_by=("office__code", "tag"))
    region = tables.Column(
        verbose_name=_("Region"),
        accessor="office__region",
        order_by=("office__region__sort_order", "office__code", "tag"),
        attrs=_WIDE_ONLY,
    )
    handover_set = tables.Column(
        verbose_name=_("Handover set"), order_by=("handover_set__code", "tag"), attrs=_WIDE_ONLY
    )
    value = tables.Column(verbose_name=_("Value (USD)"), attrs=_NUM)
    reason = tables.Column(verbose_name=_("Reason"), empty_values=(), orderable=False)

    class Meta:
        model = Asset
        fields = ()
        sequence = (
            "tag",
            "serial",
            "asset_model",
            "category",
            "status",
            "office",
            "region",
            "handover_set",
            "value",
            "reason",
        )
        order_by = ("tag",)
        attrs = {"class": "table"}
        empty_text = _("No assets behind this figure.")

    def __init__(self, *args, kind: str | None = None, **kwargs):
        self.kind = kind
        if kind is None:
            kwargs["exclude"] = (*kwargs.get("exclude", ()), "reason")
        super().__init__(*args, **kwargs)

    def before_render(self, request):
        # Name the other asset of each serial duplicate on this page: one query for the page.
        if self.kind == rules.SERIAL_DUPLICATE and hasattr(self, "page"):
            rows = self.page.object_list
            rows.data = list(rows.data)
            queries.serial_twins_attach(rows.data)

    def render_tag(self, value, record):
        return format_html('<a href="{}">{}</a>', reverse("asset_detail", args=[record.pk]), value)

    def value_tag(self, value):
        return value

    def render_asset_model(self, value):
        return f"{value.manufacturer.name} {value.name}"

    def render_office(self, value, record):
        code = getattr(record, "transit_to_code", None)
        if code:
            return format_html("{} → {}", value.code, code)
        return value.code

    def value_office(self, value, record):
        return self.render_office(value, record)

    def render_handover_set(self, value):
        return value.code

    def render_value(self, value):
        return f"{value:,.2f}"

    def value_value(self, value):
        return value  # a Decimal: the export formats it as money

    def render_reason(self, record):
        return rules.asset_reason(self.kind, record) if self.kind else ""

    def value_reason(self, record):
        return self.render_reason(record)
