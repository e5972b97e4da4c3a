"""How register lists look: columns, links and sort keys. Cheap renderers, no template per cell.

Exports (inventory.exports) take the same columns. A ``render_<column>`` that returns markup has a
``value_<column>`` giving the export its plain or typed value (Decimal, date, int).
"""

import django_tables2 as tables
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from inventory.models import Asset, Office

_STATUS_CLASS = "badge status-{}"
# Columns a 360 px phone can do without; the asset page shows them.
_WIDE_ONLY = {"th": {"class": "wide-only"}, "td": {"class": "wide-only"}}


class AssetTable(tables.Table):
    # Ticks for "Print labels for selected": sent as ``ids`` by the list's form, never exported.
    # Hidden until the table is rendered on a page (see before_render), so a table built in
    # code, for an export or a test, has only the register's columns.
    select = tables.CheckBoxColumn(
        accessor="pk",
        exclude_from_export=True,
        visible=False,
        attrs={
            "th": {"class": "select"},
            "td": {"class": "select"},
            "th__input": {
                "aria-label": _("Select all rows on this page"),
                "onclick": "for (const box of this.closest('table')"
                ".querySelectorAll('tbody input[name=ids]')) box.checked = this.checked;",
            },
            "td__input": {
                "name": "ids",
                "aria-label": lambda record: gettext("Select %(tag)s") % {"tag": record.tag},
            },
        },
    )
    tag = tables.Column(verbose_name=_("Asset tag"), attrs={"td": {"class": "nowrap"}})
    serial = tables.Column(verbose_name=_("Serial number"), attrs={"td": {"class": "mono"}})
    asset_model = tables.Column(
        verbose_name=_("Model"),
        order_by=("asset_model__manufacturer__name", "asset_model__name"),
    )
    category = tables.Column(
        verbose_name=_("Category"),
        accessor="asset_model__category",
        order_by=("asset_model__category__sort_order", "tag"),
        attrs=_WIDE_ONLY,
    )
    status = tables.Column(verbose_name=_("Status"))
    office = tables.Column(verbose_name=_("Office"), order_by=("office__name_en", "tag"))
    region = tables.Column(
        verbose_name=_("Region"),
        accessor="office__region",
        order_by=("office__region__sort_order", "office__name_en", "tag"),
        attrs=_WIDE_ONLY,
    )
    handover_set = tables.Column(
        verbose_name=_("Handover set"), order_by=("handover_set__code", "tag"), attrs=_WIDE_ONLY
    )

    class Meta:
        model = Asset
        fields = ()
        sequence = (
            "select",
            "tag",
            "serial",
            "asset_model",
            "category",
            "status",
            "office",
            "region",
            "handover_set",
        )
        order_by = ("tag",)
        attrs = {"class": "table"}
        empty_text = _("No assets match.")

    # Set False where the table is shown outside a form that sends the ticked ``ids``.
    selectable = True

    def before_render(self, request):
        if self.selectable:
            self.columns.show("select")

    def render_tag(self, value, record):
        return format_html('<a href="{}">{}</a>', reverse("asset_detail", args=[record.pk]), value)

    def value_tag(self, value):
        return value

    def render_asset_model(self, value):
        return f"{value.manufacturer.name} {value.name}"

    def render_status(self, value, record):
        return format_html('<span class="{}">{}</span>', _STATUS_CLASS.format(record.status), value)

    def value_status(self, value):
        return value  # the status's label, in the user's language

    def render_handover_set(self, value):
        return value.code


class OfficeTable(tables.Table):
    code = tables.Column(verbose_name=_("Code"))
    name = tables.Column(verbose_name=_("Name"), accessor="name", order_by=("name_en",))
    kind = tables.Column(verbose_name=_("Kind"), attrs=_WIDE_ONLY)
    region = tables.Column(verbose_name=_("Region"), order_by=("region__sort_order", "name_en"))
    district = tables.Column(
        verbose_name=_("District"), order_by=("district__name_en",), attrs=_WIDE_ONLY
    )
    asset_count = tables.Column(verbose_name=_("Devices"), attrs={"td": {"class": "num"}})

    class Meta:
        model = Office
        fields = ()
        sequence = ("code", "name", "kind", "region", "district", "asset_count")
        order_by = ("region", "name")
        attrs = {"class": "table"}
        empty_text = _("No offices match.")

    def render_name(self, value, record):
        return format_html('<a href="{}">{}</a>', reverse("office_detail", args=[record.pk]), value)

    def value_name(self, value):
        return value
