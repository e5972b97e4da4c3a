"""The report's totals on the demo fleet, against counts made here independently."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db.models import Sum

from deployments.choices import ARRIVED_OUTCOMES, SEEN_OUTCOMES, ActStatus, TransferStatus
from deployments.models import HandoverActItem, TransferItem, Verification
from inventory.choices import AssetStatus, OfficeKind
from inventory.models import Asset, HandoverSet, HandoverSetLine
from monitoring.choices import Health, RepairStatus
from monitoring.models import MonitoredDevice, RepairTicket
from reports import queries

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo(settings):
    settings.DEBUG = True
    call_command("demo_setup", verbosity=0)
    call_command("demo_deployments", verbosity=0)


def _independent_figures() -> dict[str, tuple[int, Decimal]]:
    """Count each stage asset by asset, in Python, from plain rows."""
    assets = list(Asset.objects.filter(handover_set__isnull=False).select_related("office"))
    dispatched_ids = set(
        TransferItem.objects.filter(transfer__dispatched_at__isnull=False)
        .exclude(transfer__status=TransferStatus.CANCELLED)
        .values_list("asset_id", flat=True)
    )
    open_ids = set(
        TransferItem.objects.filter(
            is_open=True,
            transfer__status__in=[TransferStatus.DISPATCHED, TransferStatus.PARTLY_RECEIVED],
        ).values_list("asset_id", flat=True)
    )
    arrived_ids = set(
        TransferItem.objects.filter(outcome__in=ARRIVED_OUTCOMES).values_list("asset_id", flat=True)
    )
    signed_pairs = set(
        HandoverActItem.objects.filter(act__status=ActStatus.SIGNED).values_list(
            "asset_id", "act__office_id"
        )
    )
    latest: dict[int, Verification] = {}
    for check in Verification.objects.order_by("verified_at", "pk"):
        latest[check.asset_id] = check
    repairing = set(
        RepairTicket.objects.filter(stops_work=True)
        .exclude(status__in=[RepairStatus.RESOLVED, RepairStatus.BEYOND_REPAIR])
        .values_list("asset_id", flat=True)
    )
    down = set(
        MonitoredDevice.objects.filter(health=Health.DOWN).values_list("asset_id", flat=True)
    )
    figures = {s: [0, Decimal("0")] for s in queries.rules.STAGES}

    def add(stage, asset):
        figures[stage][0] += 1
        figures[stage][1] += asset.value or 0

    for asset in assets:
        in_transit = asset.status == AssetStatus.IN_TRANSIT or asset.pk in open_ids
        field = asset.office is not None and asset.office.kind != OfficeKind.WAREHOUSE
        check = latest.get(asset.pk)
        add("registered", asset)
        if asset.pk in dispatched_ids or in_transit or field:
            add("dispatched", asset)
        if (field and not in_transit) or asset.pk in arrived_ids:
            add("received", asset)
        if (asset.pk, asset.office_id) in signed_pairs:
            add("signed", asset)
        if check is not None and check.outcome in SEEN_OUTCOMES:
            add("verified_found", asset)
        if (
            asset.status == AssetStatus.DEPLOYED
            and asset.pk not in repairing
            and asset.pk not in down
            and not (check is not None and check.condition == "not_working")
        ):
            add("working", asset)
    return {stage: (q, v) for stage, (q, v) in figures.items()}


def test_demo_totals_reconcile_to_the_declared_value(demo, logistics_user):
    report = queries.reconciliation_report(user=logistics_user, filters=queries.ReportFilters())
    declared = HandoverSetLine.objects.aggregate(n=Sum("declared_quantity"))["n"]
    assert declared == 634
    assert report.totals.declared_quantity == 634
    assert report.totals.declared_value == Decimal("488379.00")
    assert (
        report.totals.declared_value == HandoverSet.objects.aggregate(v=Sum("declared_value"))["v"]
    )
    registered = Asset.objects.filter(handover_set__isnull=False).aggregate(v=Sum("value"))["v"]
    assert report.totals.registered_value == registered
    assert report.totals.reconciles
    expected = _independent_figures()
    assert {
        stage: (report.total[stage].quantity, Decimal(report.total[stage].value or 0))
        for stage in queries.rules.STAGES
    } == expected
    # the demo has something at each delivery stage
    assert 0 < expected["signed"][0] < expected["received"][0] < expected["dispatched"][0]
    # the set rows add up to the totals
    assert sum(row.funnel["registered"].quantity for row in report.rows) == 634
