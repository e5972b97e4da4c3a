"""Transfers: adding assets (and every refusal), dispatch, receipt, and the asset timeline."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from deployments import services
from deployments.choices import ItemOutcome, TransferStatus
from deployments.models import TransferItem
from deployments.services import ItemCheck
from inventory import services as inventory_services
from inventory.choices import AssetStatus, OfficeKind, Zone
from inventory.selectors import asset_history
from tests.factories import CRServiceFactory, OfficeFactory, make_asset, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def warehouse():
    return OfficeFactory(code="WH-T", kind=OfficeKind.WAREHOUSE)


@pytest.fixture
def destination():
    return OfficeFactory(code="CR-T1")


@pytest.fixture
def officer():
    return make_user("logistics_officer", username="officer", first_name="Nodira", last_name="K")


@pytest.fixture
def transfer(officer, warehouse, destination):
    return services.transfer_create(
        by=officer, origin=warehouse, destination=destination, destination_zone=Zone.FRONT_OFFICE
    )


def stock(warehouse, n=1, **kwargs):
    return [make_asset(status=AssetStatus.IN_STOCK, office=warehouse, **kwargs) for _ in range(n)]


def test_transfer_numbers_count_up_per_year(officer, warehouse, destination, transfer):
    second = services.transfer_create(
        by=officer, origin=warehouse, destination=destination, destination_zone=Zone.BACK_OFFICE
    )
    year = transfer.created_at.year
    assert transfer.number == f"TR-{year}-0001"
    assert second.number == f"TR-{year}-0002"


def test_a_transfer_cannot_go_where_it_starts(officer, warehouse):
    with pytest.raises(ValidationError) as error:
        services.transfer_create(
            by=officer, origin=warehouse, destination=warehouse, destination_zone=Zone.STORAGE
        )
    assert "another office than where it starts" in str(error.value)


def test_add_by_tag_or_serial_as_typed_or_scanned(officer, warehouse, transfer):
    first, second = stock(warehouse, 2)
    result = services.transfer_add_assets(
        transfer=transfer, by=officer, codes=[f"  {first.tag.lower()} ", second.serial.lower()]
    )
    assert [a.pk for a in result.added] == [first.pk, second.pk]
    assert result.refused == []
    assert transfer.items.count() == 2


def test_every_wrong_item_is_refused_with_its_reason(officer, warehouse, destination, transfer):
    elsewhere = make_asset(status=AssetStatus.DEPLOYED, office=destination)
    retired = stock(warehouse)[0]
    inventory_services.asset_retire(asset=retired, by=officer, reason="Broken beyond repair")
    busy = stock(warehouse)[0]
    other = services.transfer_create(
        by=officer, origin=warehouse, destination=OfficeFactory(), destination_zone=Zone.STORAGE
    )
    services.transfer_add_assets(transfer=other, by=officer, codes=[busy.tag])
    good = stock(warehouse)[0]
    services.transfer_add_assets(transfer=transfer, by=officer, codes=[good.tag])

    result = services.transfer_add_assets(
        transfer=transfer,
        by=officer,
        codes=["CR-XX-999999", elsewhere.tag, retired.tag, busy.serial, good.tag],
    )
    assert result.added == []
    reasons = {refusal.code: refusal.reason for refusal in result.refused}
    assert reasons["CR-XX-999999"] == "No asset has the tag or serial number “CR-XX-999999”."
    assert reasons[elsewhere.tag] == f"{elsewhere.tag} is not at WH-T (it is at CR-T1)."
    assert reasons[retired.tag] == f"{retired.tag} is “Retired” and cannot be moved."
    assert reasons[busy.tag] == f"{busy.tag} is already on open transfer {other.number}."
    assert reasons[good.tag] == f"{good.tag} is already on this transfer."


def test_stock_without_a_place_counts_as_at_the_warehouse(officer, warehouse, transfer):
    loose = make_asset(status=AssetStatus.IN_STOCK, office=None)
    result = services.transfer_add_assets(transfer=transfer, by=officer, codes=[loose.tag])
    assert result.added == [loose]


def test_assets_in_repair_cannot_be_sent(officer, warehouse, destination):
    broken = make_asset(status=AssetStatus.IN_REPAIR, office=destination)
    transfer = services.transfer_create(
        by=officer, origin=destination, destination=warehouse, destination_zone=Zone.STORAGE
    )
    result = services.transfer_add_assets(transfer=transfer, by=officer, codes=[broken.tag])
    assert result.refused[0].reason == (
        f"{broken.tag} is “In repair”: only assets in stock or deployed can be sent."
    )


def test_dispatch_puts_every_asset_in_transit_and_on_its_timeline(officer, warehouse, transfer):
    service = CRServiceFactory()
    assets = stock(warehouse, 3, services=[service])
    services.transfer_add_assets(transfer=transfer, by=officer, codes=[a.tag for a in assets])

    services.transfer_dispatch(transfer=transfer, by=officer)

    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.DISPATCHED
    assert transfer.dispatched_by == officer and transfer.dispatched_at is not None
    for asset in assets:
        asset.refresh_from_db()
        assert asset.status == AssetStatus.IN_TRANSIT
        latest = asset_history(asset=asset)[0]
        assert latest.who == "Nodira K"
        assert latest.reason == f"Dispatched on transfer {transfer.number} from WH-T to CR-T1"
        assert [(c.old, c.new) for c in latest.changes] == [("In stock", "In transit")]
        # The services are kept in the new history entry, not shown as removed.
        assert asset.history.latest().services.count() == 1


def test_dispatch_refuses_an_empty_transfer(officer, transfer):
    with pytest.raises(ValidationError) as error:
        services.transfer_dispatch(transfer=transfer, by=officer)
    assert error.value.messages == ["Add at least one asset before dispatching."]


def test_dispatch_checks_again_what_changed_since_adding(officer, warehouse, transfer):
    asset = stock(warehouse)[0]
    services.transfer_add_assets(transfer=transfer, by=officer, codes=[asset.tag])
    inventory_services.asset_retire(asset=asset, by=officer, reason="Dropped")
    with pytest.raises(ValidationError) as error:
        services.transfer_dispatch(transfer=transfer, by=officer)
    assert error.value.messages == [f"{asset.tag} is “Retired” and cannot be moved."]
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.DRAFT


def test_a_dispatched_transfer_takes_no_more_assets(officer, warehouse, transfer):
    first, second = stock(warehouse, 2)
    services.transfer_add_assets(transfer=transfer, by=officer, codes=[first.tag])
    services.transfer_dispatch(transfer=transfer, by=officer)
    with pytest.raises(ValidationError) as error:
        services.transfer_add_assets(transfer=transfer, by=officer, codes=[second.tag])
    assert error.value.messages == [
        f"Transfer {transfer.number} is “Dispatched”: its list of assets can no longer change."
    ]


@pytest.fixture
def dispatched(officer, warehouse, transfer):
    assets = stock(warehouse, 3)
    services.transfer_add_assets(transfer=transfer, by=officer, codes=[a.tag for a in assets])
    services.transfer_dispatch(transfer=transfer, by=officer)
    return transfer, assets


def test_receive_with_one_missing_leaves_it_outstanding(dispatched, destination):
    transfer, (ok, damaged, missing) = dispatched
    head = make_user("office_head", office=destination, first_name="Farrukh", last_name="S")
    services.transfer_receive(
        transfer=transfer,
        by=head,
        checks={
            ok.pk: ItemCheck(ItemOutcome.RECEIVED),
            damaged.pk: ItemCheck(ItemOutcome.DAMAGED, "Cracked lid"),
            missing.pk: ItemCheck(ItemOutcome.MISSING, "Not in the box"),
        },
    )
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PARTLY_RECEIVED
    for asset in (ok, damaged, missing):
        asset.refresh_from_db()
    assert (ok.status, ok.office, ok.zone) == (AssetStatus.DEPLOYED, destination, "front_office")
    assert damaged.status == AssetStatus.DEPLOYED
    assert missing.status == AssetStatus.IN_TRANSIT
    items = {i.asset_id: i for i in TransferItem.objects.filter(transfer=transfer)}
    assert items[missing.pk].is_open and items[missing.pk].note == "Not in the box"
    assert items[damaged.pk].outcome == ItemOutcome.DAMAGED and not items[damaged.pk].is_open
    assert asset_history(asset=damaged)[0].reason == (
        f"Received damaged on transfer {transfer.number} at CR-T1"
    )
    assert asset_history(asset=ok)[0].who == "Farrukh S"

    # The missing one turns up later: the transfer is then fully received.
    services.transfer_receive(
        transfer=transfer, by=head, checks={missing.pk: ItemCheck(ItemOutcome.RECEIVED)}
    )
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.RECEIVED and transfer.received_at is not None


def test_an_asset_cannot_be_received_twice(dispatched, officer):
    transfer, (first, *_rest) = dispatched
    services.transfer_receive(
        transfer=transfer, by=officer, checks={first.pk: ItemCheck(ItemOutcome.RECEIVED)}
    )
    with pytest.raises(ValidationError) as error:
        services.transfer_receive(
            transfer=transfer, by=officer, checks={first.pk: ItemCheck(ItemOutcome.RECEIVED)}
        )
    assert error.value.messages[0].startswith(f"{first.tag} was already received by Nodira K at ")


def test_damage_needs_a_note_and_unknown_assets_are_refused(dispatched, officer, warehouse):
    transfer, (first, *_rest) = dispatched
    stranger = stock(warehouse)[0]
    with pytest.raises(ValidationError) as error:
        services.transfer_receive(
            transfer=transfer,
            by=officer,
            checks={
                first.pk: ItemCheck(ItemOutcome.DAMAGED, "  "),
                stranger.pk: ItemCheck(ItemOutcome.RECEIVED),
            },
        )
    assert error.value.messages == [
        f"Say what is damaged on {first.tag}.",
        f"Asset #{stranger.pk} is not on this transfer.",
    ]
    first.refresh_from_db()
    assert first.status == AssetStatus.IN_TRANSIT


def test_a_draft_cannot_be_received_and_cancel_frees_its_assets(officer, warehouse, transfer):
    asset = stock(warehouse)[0]
    services.transfer_add_assets(transfer=transfer, by=officer, codes=[asset.tag])
    with pytest.raises(ValidationError) as error:
        services.transfer_receive(
            transfer=transfer, by=officer, checks={asset.pk: ItemCheck(ItemOutcome.RECEIVED)}
        )
    assert "there is nothing to receive" in error.value.messages[0]
    services.transfer_cancel(transfer=transfer, by=officer)
    again = services.transfer_create(
        by=officer, origin=warehouse, destination=OfficeFactory(), destination_zone=Zone.STORAGE
    )
    assert services.transfer_add_assets(transfer=again, by=officer, codes=[asset.tag]).added
