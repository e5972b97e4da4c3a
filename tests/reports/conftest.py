"""A small hand-built fleet where every stage boundary of the reconciliation shows once."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from deployments.choices import (
    ActStatus,
    AssetCondition,
    ItemOutcome,
    TransferStatus,
    VerificationOutcome,
)
from deployments.models import (
    DistributionPlanLine,
    HandoverAct,
    HandoverActItem,
    Transfer,
    TransferItem,
    Verification,
    VerificationCampaign,
)
from inventory import services as inventory_services
from inventory.choices import AssetStatus, OfficeKind
from inventory.models import Asset, HandoverSetLine
from monitoring.choices import Health, RepairStatus
from monitoring.models import MonitoredDevice, RepairTicket, SnmpProfile
from tests.factories import (
    AssetModelFactory,
    CategoryFactory,
    DistrictFactory,
    HandoverSetFactory,
    ManufacturerFactory,
    OfficeFactory,
    RegionFactory,
    make_asset,
    make_user,
)

_numbers = iter(range(1, 100_000))


def transfer_make(*, origin, destination, status, assets, outcome=ItemOutcome.PENDING):
    """Create a transfer row directly (the report reads rows, not the services' steps)."""
    number = f"TR-T-{next(_numbers):05d}"
    dispatched = status != TransferStatus.DRAFT
    transfer = Transfer.objects.create(
        number=number,
        origin=origin,
        destination=destination,
        destination_zone="front_office",
        status=status,
        dispatched_at=timezone.now() if dispatched else None,
    )
    for asset in assets:
        TransferItem.objects.create(
            transfer=transfer,
            asset=asset,
            outcome=outcome,
            is_open=outcome in (ItemOutcome.PENDING, ItemOutcome.MISSING)
            and status != TransferStatus.CANCELLED,
        )
    return transfer


def act_make(*, office, status, assets):
    act = HandoverAct.objects.create(
        number=f"HA-T-{next(_numbers):05d}",
        status=status,
        office=office,
        language="en",
        act_date=dt.date(2024, 4, 1),
        giver_name="Giver",
        giver_position="Warehouse",
        receiver_name="Receiver",
        receiver_position="Head",
    )
    for asset in assets:
        HandoverActItem.objects.create(
            act=act,
            asset=asset,
            tag=asset.tag,
            serial=asset.serial,
            model_name=str(asset.asset_model),
            category=asset.asset_model.category,
            value=asset.value or 0,
        )
    return act


def verify(asset, outcome, *, days_ago=1, campaign=None, condition="", read="", found_office=None):
    matches = None
    if read:
        matches = read == asset.serial
    return Verification.objects.create(
        asset=asset,
        campaign=campaign,
        outcome=outcome,
        register_office=asset.office,
        found_office=found_office,
        register_serial=asset.serial,
        serial_read=read,
        serial_matches=matches,
        condition=condition if outcome != VerificationOutcome.NOT_FOUND else "",
        verified_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def campaign_make(name="Spring audit"):
    return VerificationCampaign.objects.create(
        number=f"VC-2024-{next(_numbers):04d}", name=name, method="full"
    )


@dataclass
class Fleet:
    """The fleet: names of the places and assets the tests look at."""

    set: object
    printer: object
    laptop: object
    north: object
    south: object
    warehouse: object
    office_a: object
    office_b: object
    office_c: object
    assets: dict
    campaign: object
    logistics: object


@pytest.fixture
def fleet(db) -> Fleet:
    """Build the fleet (see each asset's comment for what it shows)."""
    logistics = make_user("logistics_officer", username="logistics")
    north = RegionFactory(code="NO", name_en="North")
    south = RegionFactory(code="SO", name_en="South")
    d_north = DistrictFactory(code="D-NO", region=north)
    d_south = DistrictFactory(code="D-SO", region=south)
    warehouse = OfficeFactory(code="WH-T", kind=OfficeKind.WAREHOUSE, district=d_north)
    office_a = OfficeFactory(code="OF-A", district=d_north)
    office_b = OfficeFactory(code="OF-B", district=d_north)
    office_c = OfficeFactory(code="OF-C", district=d_south)
    printer = CategoryFactory(code="printer", sort_order=1)
    laptop = CategoryFactory(code="laptop", sort_order=2)
    hp = AssetModelFactory(category=printer)
    lenovo = AssetModelFactory(
        manufacturer=ManufacturerFactory(name="Lenovo"), name="E14", category=laptop
    )
    handover_set = HandoverSetFactory(code="HS-T", declared_value=Decimal("4600.00"))
    HandoverSetLine.objects.create(
        handover_set=handover_set,
        category=printer,
        declared_quantity=4,
        declared_value=Decimal("400.00"),
    )
    HandoverSetLine.objects.create(
        handover_set=handover_set,
        category=laptop,
        declared_quantity=3,
        declared_value=Decimal("4200.00"),
    )
    # Plan: A gets 2 printers, B 1 printer and 1 laptop, C 1 laptop.
    for office, category, quantity in (
        (office_a, printer, 2),
        (office_b, printer, 1),
        (office_b, laptop, 1),
        (office_c, laptop, 1),
    ):
        DistributionPlanLine.objects.create(
            handover_set=handover_set, office=office, category=category, planned_quantity=quantity
        )

    def asset(name, model, *, status=AssetStatus.DEPLOYED, office=None, value="100.00"):
        return make_asset(
            by=logistics,
            asset_model=model,
            serial=f"SN-{name.upper()}",
            status=status,
            office=office,
            handover_set=handover_set,
            value=Decimal(value) if value is not None else None,
        )

    assets = {}
    # p_direct: delivered straight to A, deployed, no act: dispatched + received, no signed act.
    assets["p_direct"] = asset("p_direct", hp, office=office_a)
    # p_stock: in the warehouse: registered only.
    assets["p_stock"] = asset("p_stock", hp, status=AssetStatus.IN_STOCK, office=warehouse)
    # p_transit: on its way to B: dispatched, not received, counted under B.
    assets["p_transit"] = asset("p_transit", hp, status=AssetStatus.IN_STOCK, office=warehouse)
    transfer_make(
        origin=warehouse,
        destination=office_b,
        status=TransferStatus.DISPATCHED,
        assets=[assets["p_transit"]],
    )
    Asset.objects.filter(pk=assets["p_transit"].pk).update(status=AssetStatus.IN_TRANSIT)
    # p_signed: at A, on a signed act of A; the latest verification found it working,
    # an earlier one (of the campaign) did not find it.
    assets["p_signed"] = asset("p_signed", hp, office=office_a)
    act_make(office=office_a, status=ActStatus.SIGNED, assets=[assets["p_signed"]])
    # l_received: arrived at B on a received transfer, act signed; a repair stops it working.
    assets["l_received"] = asset("l_received", lenovo, value="1400.00", office=office_b)
    transfer_make(
        origin=warehouse,
        destination=office_b,
        status=TransferStatus.RECEIVED,
        assets=[assets["l_received"]],
        outcome=ItemOutcome.RECEIVED,
    )
    act_make(office=office_b, status=ActStatus.SIGNED, assets=[assets["l_received"]])
    # l_other_act: at C, listed only on a signed act of A and a draft and a superseded act of
    # C: not signed for. Monitoring says it is down.
    assets["l_other_act"] = asset("l_other_act", lenovo, value="1400.00", office=office_c)
    act_make(office=office_a, status=ActStatus.SIGNED, assets=[assets["l_other_act"]])
    act_make(office=office_c, status=ActStatus.DRAFT, assets=[assets["l_other_act"]])
    act_make(office=office_c, status=ActStatus.SUPERSEDED, assets=[assets["l_other_act"]])
    # l_lost: lost from the warehouse: registered, nothing else.
    assets["l_lost"] = asset(
        "l_lost", lenovo, status=AssetStatus.IN_STOCK, office=warehouse, value="1400.00"
    )
    inventory_services.asset_change_status(
        asset=assets["l_lost"], by=logistics, to_status=AssetStatus.LOST, reason="Stolen in May"
    )

    campaign = campaign_make()
    verify(assets["p_signed"], VerificationOutcome.NOT_FOUND, days_ago=10, campaign=campaign)
    verify(assets["p_signed"], VerificationOutcome.FOUND, days_ago=2, condition="working")
    verify(
        assets["p_direct"],
        VerificationOutcome.FOUND,
        days_ago=3,
        campaign=campaign,
        condition=AssetCondition.NOT_WORKING,
        read="SN-P_DIRECT",
    )
    RepairTicket.objects.create(
        number="RT-T-0001",
        asset=assets["l_received"],
        fault="network",
        reported_at=timezone.now(),
        status=RepairStatus.IN_PROGRESS,
        stops_work=True,
    )
    # A resolved ticket and one that does not stop work change nothing.
    RepairTicket.objects.create(
        number="RT-T-0002",
        asset=assets["p_signed"],
        fault="network",
        reported_at=timezone.now(),
        status=RepairStatus.RESOLVED,
        stops_work=True,
    )
    RepairTicket.objects.create(
        number="RT-T-0003",
        asset=assets["p_signed"],
        fault="network",
        reported_at=timezone.now(),
        status=RepairStatus.OPEN,
        stops_work=False,
    )
    profile = SnmpProfile.objects.create(name="Test v2c")
    MonitoredDevice.objects.create(
        asset=assets["l_other_act"], address="10.0.0.9", profile=profile, health=Health.DOWN
    )
    MonitoredDevice.objects.create(
        asset=assets["p_direct"], address="10.0.0.8", profile=profile, health=Health.UP
    )
    for key in assets:
        assets[key].refresh_from_db()
    return Fleet(
        set=handover_set,
        printer=printer,
        laptop=laptop,
        north=north,
        south=south,
        warehouse=warehouse,
        office_a=office_a,
        office_b=office_b,
        office_c=office_c,
        assets=assets,
        campaign=campaign,
        logistics=logistics,
    )
