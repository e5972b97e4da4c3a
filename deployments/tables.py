"""How the deployment lists look and export: transfers, handover acts, plans."""

from __future__ import annotations

import django_tables2 as tables
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext, gettext_lazy
from django.utils.translation import gettext_lazy as _

from deployments.choices import ActStatus, MoveProposalStatus
from deployments.models import HandoverAct, MoveProposal, Transfer, VerificationCampaign
from deployments.resources import PLAN_LINE_COLUMNS
from deployments.selectors import PlanSetSummary
from inventory.models import Asset

# Columns a 360 px phone can do without; the detail pages show them.
_WIDE_ONLY = {"th": {"class": "wide-only"}, "td": {"class": "wide-only"}}
_NUM = {"th": {"class": "num"}, "td": {"class": "num"}}
_WIDE_ONLY_NUM = {"th": {"class": "num wide-only"}, "td": {"class": "num wide-only"}}


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


# Badge of each state of an act, from the classes app.css has.
ACT_STATUS_BADGES = {
    ActStatus.DRAFT: "badge act-draft",
    ActStatus.SIGNED: "badge act-signed",
    ActStatus.SUPERSEDED: "badge act-superseded",
}


class HandoverActTable(tables.Table):
    number = tables.Column(verbose_name=_("Number"), attrs={"td": {"class": "nowrap"}})
    act_date = tables.DateColumn(
        verbose_name=_("Date"), format="d.m.Y", order_by=("act_date", "number")
    )
    office = tables.Column(verbose_name=_("Office"), order_by=("office__name_en", "number"))
    region = tables.Column(
        verbose_name=_("Region"),
        accessor="office__region",
        order_by=("office__region__sort_order", "office__name_en", "number"),
        attrs=_WIDE_ONLY,
    )
    transfer = tables.Column(
        verbose_name=_("Transfer"), order_by=("transfer__number",), attrs=_WIDE_ONLY
    )
    status = tables.Column(verbose_name=_("Status"))
    item_count = tables.Column(verbose_name=_("Assets"), attrs=_NUM)
    total_value = tables.Column(verbose_name=_("Value (USD)"), attrs=_WIDE_ONLY_NUM)
    signed_at = tables.DateTimeColumn(verbose_name=_("Signed"), format="d.m.Y", attrs=_WIDE_ONLY)

    class Meta:
        model = HandoverAct
        fields = ()
        sequence = (
            "number",
            "act_date",
            "office",
            "region",
            "transfer",
            "status",
            "item_count",
            "total_value",
            "signed_at",
        )
        order_by = ("-act_date",)
        attrs = {"class": "table"}
        empty_text = _("No handover acts match.")

    def render_number(self, value, record):
        return format_html(
            '<a href="{}">{}</a>', reverse("handoveract_detail", args=[record.pk]), value
        )

    def value_number(self, value):
        return value

    def render_transfer(self, value):
        try:
            url = reverse("transfer_detail", args=[value.pk])
        except NoReverseMatch:  # the transfer pages are not installed
            return value.number
        return format_html('<a href="{}">{}</a>', url, value.number)

    def value_transfer(self, value):
        return value.number if value else ""

    def render_status(self, value, record):
        return format_html(
            '<span class="{}">{}</span>', ACT_STATUS_BADGES.get(record.status, "badge"), value
        )

    def value_status(self, value):
        return value  # the status's label, in the user's language

    def value_signed_at(self, value):
        return value

    def render_total_value(self, value):
        return f"{value:,.2f}".replace(",", "\u00a0")

    def value_total_value(self, value):
        return value


def plan_allocation_words(summary: PlanSetSummary) -> list[str]:
    """Return what is wrong with a set's allocation, in words (empty when it matches)."""
    words = []
    if summary.over_allocated:
        words.append(gettext("over-allocated"))
    if summary.under_allocated:
        words.append(gettext("under-allocated"))
    return words


class PlanSetTable(tables.Table):
    """Handover sets with their whole-country plan totals; data is a list of PlanSetSummary."""

    code = tables.Column(verbose_name=gettext_lazy("Handover set"), accessor="handover_set__code")
    name = tables.Column(
        verbose_name=gettext_lazy("Name"),
        accessor="handover_set__name",
        attrs={"th": {"class": "wide-only"}, "td": {"class": "wide-only"}},
    )
    declared = tables.Column(verbose_name=gettext_lazy("Declared"), attrs=_NUM)
    planned = tables.Column(verbose_name=gettext_lazy("Planned"), attrs=_NUM)
    dispatched = tables.Column(verbose_name=gettext_lazy("Dispatched"), attrs=_WIDE_ONLY_NUM)
    received = tables.Column(verbose_name=gettext_lazy("Received"), attrs=_WIDE_ONLY_NUM)
    signed = tables.Column(verbose_name=gettext_lazy("Signed for"), attrs=_NUM)
    allocation = tables.Column(
        verbose_name=gettext_lazy("Allocation"), accessor="handover_set__pk", orderable=False
    )

    class Meta:
        fields = ()
        sequence = (
            "code",
            "name",
            "declared",
            "planned",
            "dispatched",
            "received",
            "signed",
            "allocation",
        )
        attrs = {"class": "table", "id": "plan-sets"}
        empty_text = gettext_lazy("No handover set matches.")

    def render_code(self, value, record):
        return format_html('<a href="{}">{}</a>', reverse("plan_detail", args=[value]), value)

    def value_code(self, value):
        return value

    def render_allocation(self, record):
        words = plan_allocation_words(record)
        if not words:
            return format_html('<span class="badge ok">{}</span>', gettext("as declared"))
        return format_html_join(" ", '<span class="badge warn">{}</span>', ((w,) for w in words))

    def value_allocation(self, record):
        return ", ".join(plan_allocation_words(record)) or gettext("as declared")


def _import_label(key: str):
    """Return the import column's label, so an export's headers import back in any language."""
    return next(column.label for column in PLAN_LINE_COLUMNS if column.key == key)


class PlanLineExportTable(tables.Table):
    """A set's plan lines in the columns of the plan_lines import, for an export."""

    handover_set = tables.Column(verbose_name=_import_label("handover_set"))
    office = tables.Column(verbose_name=_import_label("office"))
    category = tables.Column(verbose_name=_import_label("category"))
    planned_quantity = tables.Column(verbose_name=_import_label("planned_quantity"))
    notes = tables.Column(verbose_name=_import_label("notes"), default="")

    class Meta:
        fields = ()
        sequence = ("handover_set", "office", "category", "planned_quantity", "notes")
        orderable = False

    def value_handover_set(self, value):
        return value.code

    def value_office(self, value):
        return value.code

    def value_category(self, value):
        return value.name  # the name in the user's language, as the import template offers it


# Verification campaigns ---------------------------------------------------------------------


class CampaignTable(tables.Table):
    """Campaigns with how far each is; data from ``selectors.campaign_list_queryset``."""

    number = tables.Column(verbose_name=_("Number"), attrs={"td": {"class": "nowrap"}})
    name = tables.Column(verbose_name=_("Name"))
    created_at = tables.DateColumn(verbose_name=_("Drawn"), format="d.m.Y", attrs=_WIDE_ONLY)
    method = tables.Column(verbose_name=_("What is checked"), attrs=_WIDE_ONLY)
    status = tables.Column(verbose_name=_("Status"))
    population_size = tables.Column(verbose_name=_("In scope"), attrs=_WIDE_ONLY_NUM)
    drawn_count = tables.Column(verbose_name=_("Drawn"), attrs=_NUM)
    verified_count = tables.Column(verbose_name=_("Verified"), attrs=_NUM)
    seed = tables.Column(verbose_name=_("Seed"), attrs=_WIDE_ONLY, default="")

    class Meta:
        model = VerificationCampaign
        fields = ()
        sequence = (
            "number",
            "name",
            "created_at",
            "method",
            "status",
            "population_size",
            "drawn_count",
            "verified_count",
            "seed",
        )
        order_by = ("-created_at",)
        attrs = {"class": "table", "id": "campaigns"}
        empty_text = _("No verification campaign matches.")

    def render_number(self, value, record):
        return format_html('<a href="{}">{}</a>', record.get_absolute_url(), value)

    def value_number(self, value):
        return value

    def render_status(self, record):
        return format_html(
            '<span class="badge campaign-{}">{}</span>',
            record.status,
            record.get_status_display(),
        )

    def value_status(self, record):
        return record.get_status_display()

    def value_method(self, record):
        return record.get_method_display()


class MoveProposalTable(tables.Table):
    """Proposed moves; the page adds confirm and reject buttons for logistics officers."""

    proposed_at = tables.DateTimeColumn(verbose_name=_("Proposed"), format="d.m.Y")
    asset = tables.Column(verbose_name=_("Asset"), order_by=("asset__tag",))
    from_office = tables.Column(verbose_name=_("From"), order_by=("from_office__code",))
    to_office = tables.Column(verbose_name=_("To"), order_by=("to_office__code",))
    to_zone = tables.Column(verbose_name=_("Zone"), attrs=_WIDE_ONLY)
    campaign = tables.Column(
        verbose_name=_("Campaign"),
        accessor="verification__campaign",
        order_by=("verification__campaign__number",),
        attrs=_WIDE_ONLY,
        default="",
    )
    proposed_by = tables.Column(verbose_name=_("Found by"), attrs=_WIDE_ONLY)
    status = tables.Column(verbose_name=_("Status"))
    decision_note = tables.Column(verbose_name=_("Reason"), attrs=_WIDE_ONLY, default="")
    decide = tables.Column(
        verbose_name="",
        accessor="pk",
        orderable=False,
        exclude_from_export=True,
    )

    class Meta:
        model = MoveProposal
        fields = ()
        sequence = (
            "proposed_at",
            "asset",
            "from_office",
            "to_office",
            "to_zone",
            "campaign",
            "proposed_by",
            "status",
            "decision_note",
            "decide",
        )
        order_by = ("-proposed_at",)
        attrs = {"class": "table", "id": "move-proposals"}
        empty_text = _("No proposed move matches.")

    def __init__(self, *args, can_decide: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.can_decide = can_decide
        if not can_decide:
            self.columns.hide("decide")

    def render_decide(self, record):
        if record.status != MoveProposalStatus.PROPOSED:
            return ""
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("moveproposal_decide", args=[record.pk]),
            gettext("Confirm or reject"),
        )

    def render_asset(self, value):
        return format_html('<a href="{}">{}</a>', value.get_absolute_url(), value.tag)

    def value_asset(self, value):
        return value.tag

    def render_from_office(self, value):
        return value.code

    def value_from_office(self, value):
        return value.code

    def render_to_office(self, value):
        return value.code

    def value_to_office(self, value):
        return value.code

    def render_campaign(self, value):
        return format_html('<a href="{}">{}</a>', value.get_absolute_url(), value.number)

    def value_campaign(self, value):
        return value.number if value else ""

    def render_proposed_by(self, value):
        return value.get_full_name() or value.get_username()

    def value_proposed_by(self, value):
        return value.get_full_name() or value.get_username() if value else ""

    def render_status(self, record):
        return format_html(
            '<span class="badge move-{}">{}</span>', record.status, record.get_status_display()
        )

    def value_status(self, record):
        return record.get_status_display()
