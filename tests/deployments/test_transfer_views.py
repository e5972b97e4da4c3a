"""Transfer pages: who may do what, scanning and picking, dispatch, receipt, query counts."""

from __future__ import annotations

import pytest
from django.urls import reverse

from deployments import services
from deployments.choices import ItemOutcome, TransferStatus
from deployments.services import ItemCheck
from inventory.choices import AssetStatus, OfficeKind, Zone
from tests.factories import (
    DistrictFactory,
    OfficeFactory,
    RegionFactory,
    make_asset,
    make_user,
)

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "administrator", "logistics_officer", "auditor", "technician", "office_head"]

# page: expected status per role, in the order of ROLES (technician and office head are
# scoped to the destination's region and office).
MATRIX = {
    "transfer_list": (302, 200, 200, 200, 200, 200),
    "transfer_add": (302, 200, 200, 403, 403, 403),
    "transfer_detail_in_scope": (302, 200, 200, 200, 200, 200),
    "transfer_detail_out_of_scope": (302, 200, 200, 200, 404, 404),
    "transfer_receive": (302, 200, 200, 403, 200, 200),
}


@pytest.fixture
def world():
    region = RegionFactory(code="SU")
    warehouse = OfficeFactory(
        code="WH-V",
        kind=OfficeKind.WAREHOUSE,
        district=DistrictFactory(region=RegionFactory(code="DU")),
    )
    home = OfficeFactory(code="CR-HOME", district=DistrictFactory(region=region))
    away = OfficeFactory(code="CR-AWAY", district=DistrictFactory(region=RegionFactory(code="GB")))
    officer = make_user("logistics_officer", username="officer", first_name="Nodira", last_name="K")
    assets = [make_asset(status=AssetStatus.IN_STOCK, office=warehouse) for _ in range(3)]
    inbound = services.transfer_create(
        by=officer, origin=warehouse, destination=home, destination_zone=Zone.FRONT_OFFICE
    )
    services.transfer_add_assets(transfer=inbound, by=officer, codes=[a.tag for a in assets])
    services.transfer_dispatch(transfer=inbound, by=officer)
    elsewhere = services.transfer_create(
        by=officer, origin=warehouse, destination=away, destination_zone=Zone.FRONT_OFFICE
    )
    return {
        "warehouse": warehouse,
        "home": home,
        "away": away,
        "officer": officer,
        "assets": assets,
        "inbound": inbound,
        "elsewhere": elsewhere,
    }


def _user(role, world):
    if role == "anonymous":
        return None
    if role == "technician":
        return make_user(role, regions=[world["home"].region])
    if role == "office_head":
        return make_user(role, office=world["home"])
    return make_user(role)


def _url(page, world):
    return {
        "transfer_list": reverse("transfer_list"),
        "transfer_add": reverse("transfer_add"),
        "transfer_detail_in_scope": reverse("transfer_detail", args=[world["inbound"].pk]),
        "transfer_detail_out_of_scope": reverse("transfer_detail", args=[world["elsewhere"].pk]),
        "transfer_receive": reverse("transfer_receive", args=[world["inbound"].pk]),
    }[page]


@pytest.mark.parametrize("page", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_role_and_scope_decide_access(client, world, page, role):
    user = _user(role, world)
    if user is not None:
        client.force_login(user)
    response = client.get(_url(page, world))
    assert response.status_code == MATRIX[page][ROLES.index(role)], (page, role)


def test_open_a_transfer_from_the_warehouse(client, world):
    client.force_login(world["officer"])
    page = client.get(reverse("transfer_add"))
    assert page.context["form"].initial["origin"] == world["warehouse"].pk
    response = client.post(
        reverse("transfer_add"),
        {
            "origin": world["warehouse"].pk,
            "destination": world["home"].pk,
            "destination_zone": Zone.BACK_OFFICE,
            "carrier": "Sughd post van",
        },
    )
    transfer = world["home"].transfers_in.order_by("-pk").first()
    assert response.status_code == 302 and response["Location"] == transfer.get_absolute_url()
    assert transfer.carrier == "Sughd post van" and transfer.status == TransferStatus.DRAFT


def test_the_form_says_what_is_wrong(client, world):
    client.force_login(world["officer"])
    response = client.post(
        reverse("transfer_add"),
        {"origin": world["home"].pk, "destination": world["home"].pk, "destination_zone": ""},
    )
    form = response.context["form"]
    assert form.errors["destination_zone"] == ["This field is required."]
    response = client.post(
        reverse("transfer_add"),
        {
            "origin": world["home"].pk,
            "destination": world["home"].pk,
            "destination_zone": Zone.STORAGE,
        },
    )
    assert response.context["form"].errors["destination"] == [
        "A transfer must go to another office than where it starts."
    ]


def test_scanned_codes_are_added_and_wrong_ones_kept_with_their_reason(client, world):
    officer = world["officer"]
    transfer = world["elsewhere"]
    good = make_asset(status=AssetStatus.IN_STOCK, office=world["warehouse"])
    client.force_login(officer)
    response = client.post(
        reverse("transfer_detail", args=[transfer.pk]),
        {"action": "add", "codes": f"{good.tag}\r\nNO-SUCH-TAG\r\n{world['assets'][0].serial}\r\n"},
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "No asset has the tag or serial number “NO-SUCH-TAG”." in html
    assert (
        f"{world['assets'][0].tag} is already on open transfer {world['inbound'].number}." in html
    )
    # The refused codes stay in the box to be corrected; the good one is on the transfer.
    assert response.context["add_form"].initial["codes"] == f"NO-SUCH-TAG\n{world['assets'][0].tag}"
    assert list(transfer.items.values_list("asset__tag", flat=True)) == [good.tag]


def test_pick_from_the_list_remove_and_dispatch(client, world):
    officer = world["officer"]
    transfer = world["elsewhere"]
    stock = [make_asset(status=AssetStatus.IN_STOCK, office=world["warehouse"]) for _ in range(2)]
    client.force_login(officer)
    page = client.get(reverse("transfer_detail", args=[transfer.pk]))
    # Assets already on the open inbound transfer are not offered.
    offered = [row.record.pk for row in page.context["pick_table"].rows]
    assert offered == [a.pk for a in stock]
    url = reverse("transfer_detail", args=[transfer.pk])
    client.post(url, {"action": "pick", "asset_ids": [a.pk for a in stock]})
    assert transfer.items.count() == 2
    client.post(url, {"action": "remove", "asset_ids": [stock[1].pk]})
    assert list(transfer.items.values_list("asset_id", flat=True)) == [stock[0].pk]
    response = client.post(url, {"action": "dispatch"}, follow=True)
    assert "dispatched: its assets are now in transit" in response.content.decode()
    stock[0].refresh_from_db()
    assert stock[0].status == AssetStatus.IN_TRANSIT


def test_a_dispatched_transfer_cannot_be_changed_by_post(client, world):
    client.force_login(world["officer"])
    response = client.post(
        reverse("transfer_detail", args=[world["inbound"].pk]), {"action": "cancel"}
    )
    assert response.status_code == 403


def test_receive_page_with_one_missing(client, world):
    head = make_user("office_head", office=world["home"], first_name="Farrukh", last_name="S")
    ok, damaged, missing = world["assets"]
    client.force_login(head)
    url = reverse("transfer_receive", args=[world["inbound"].pk])
    # Nothing ticked: refused with the reason, nothing written.
    response = client.post(url, {})
    assert "Tick at least one asset as received, damaged or missing." in response.content.decode()
    # Damage without a note: refused next to the form.
    response = client.post(url, {f"outcome_{damaged.pk}": "damaged"})
    assert f"Say what is damaged on {damaged.tag}." in response.content.decode()
    response = client.post(
        url,
        {
            f"outcome_{ok.pk}": "received",
            f"outcome_{damaged.pk}": "damaged",
            f"note_{damaged.pk}": "Cracked lid",
            f"outcome_{missing.pk}": "missing",
        },
        follow=True,
    )
    assert "still has assets outstanding" in response.content.decode()
    transfer = world["inbound"]
    transfer.refresh_from_db()
    assert transfer.status == TransferStatus.PARTLY_RECEIVED
    # The missing asset is still offered for receipt; the others are not.
    page = client.get(url)
    assert [item.asset_id for item in page.context["form"].items] == [missing.pk]


def test_asset_page_shows_transfers_and_whether_signed_for(client, world):
    asset = world["assets"][0]
    client.force_login(world["officer"])
    html = client.get(reverse("asset_detail", args=[asset.pk])).content.decode()
    assert world["inbound"].number in html
    assert "No signed handover act covers this asset." in html


def _many(world, n):
    officer = world["officer"]
    assets = [make_asset(status=AssetStatus.IN_STOCK, office=world["warehouse"]) for _ in range(n)]
    transfer = services.transfer_create(
        by=officer,
        origin=world["warehouse"],
        destination=world["away"],
        destination_zone=Zone.STORAGE,
    )
    services.transfer_add_assets(transfer=transfer, by=officer, codes=[a.tag for a in assets])
    return transfer, assets


# Expected queries for a logistics officer; the same with 1 row as with 50.
EXPECTED = {
    # session, user, roles, count, rows, 3 filter choices, permissions for the menu
    "transfer_list": 11,
    # session, user, 2 permission lookups, roles, transfer, items, acts; a draft adds the pick
    # list's 3 filter choices, count and rows; a dispatched one the destination's scope check
    "transfer_detail_draft": 14,
    "transfer_detail_dispatched": 10,
    "transfer_receive": 9,
}


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("page", list(EXPECTED))
def test_query_count_is_fixed(client, django_assert_num_queries, world, page, rows):
    transfer, assets = _many(world, rows)
    officer = world["officer"]
    if page in ("transfer_detail_dispatched", "transfer_receive"):
        services.transfer_dispatch(transfer=transfer, by=officer)
        services.transfer_receive(
            transfer=transfer, by=officer, checks={assets[0].pk: ItemCheck(ItemOutcome.MISSING)}
        )
    for _ in range(rows - 1 if page == "transfer_list" else 0):
        services.transfer_create(
            by=officer,
            origin=world["warehouse"],
            destination=world["home"],
            destination_zone=Zone.STORAGE,
        )
    if page == "transfer_detail_draft":
        for _ in range(rows):  # stock to pick from
            make_asset(status=AssetStatus.IN_STOCK, office=world["warehouse"])
    client.force_login(officer)
    url = {
        "transfer_list": reverse("transfer_list"),
        "transfer_detail_draft": reverse("transfer_detail", args=[transfer.pk]),
        "transfer_detail_dispatched": reverse("transfer_detail", args=[transfer.pk]),
        "transfer_receive": reverse("transfer_receive", args=[transfer.pk]),
    }[page]
    with django_assert_num_queries(EXPECTED[page]):
        response = client.get(url)
    assert response.status_code == 200


def test_office_page_shows_what_is_on_its_way_and_its_acts(client, world):
    client.force_login(world["officer"])
    html = client.get(reverse("office_detail", args=[world["home"].pk])).content.decode()
    assert world["inbound"].number in html
    assert "3 assets outstanding" in html
    assert "No handover act for this office yet." in html
    assert f"/acts/add/?office={world['home'].pk}" in html
    # An auditor reads the acts but cannot make one.
    client.force_login(make_user("auditor"))
    html = client.get(reverse("office_detail", args=[world["home"].pk])).content.decode()
    assert world["inbound"].number in html
    assert "/acts/add/" not in html


def test_the_admin_shows_transfers_read_only(client, world):
    admin = make_user("administrator", is_staff=True, is_superuser=True)
    client.force_login(admin)
    transfer = world["inbound"]
    assert client.get(reverse("admin:deployments_transfer_changelist")).status_code == 200
    page = client.get(reverse("admin:deployments_transfer_change", args=[transfer.pk]))
    html = page.content.decode()
    assert page.status_code == 200 and transfer.number in html
    assert 'name="_save"' not in html
    assert client.get(reverse("admin:deployments_transfer_add")).status_code == 403
