"""The whole road of a delivery, in a real browser: plan → transfer → dispatch → receipt with
one device missing → handover act → signed scan uploaded → the act is signed and locked.

Kept in its own module beside test_flows.py; both share the session's one browser.
"""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from deployments.models import HandoverAct, Transfer
from inventory.choices import AssetStatus, OfficeKind
from inventory.models import Asset, HandoverSetLine, UserScope
from tests.browser.conftest import CHROMIUM
from tests.factories import (
    AssetModelFactory,
    CategoryFactory,
    DistrictFactory,
    HandoverSetFactory,
    OfficeFactory,
    RegionFactory,
    make_asset,
    make_user,
)

pytestmark = [
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(), reason="chromium not installed at /usr/bin/chromium"
    ),
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("L", (200, 280), 255).save(buffer, format="PNG")
    return buffer.getvalue()


def test_plan_dispatch_receive_with_one_missing_then_sign_the_act(page: Page, log_in):
    region = RegionFactory(code="SU")
    warehouse = OfficeFactory(
        code="WH-B", kind=OfficeKind.WAREHOUSE, district=DistrictFactory(region=region)
    )
    office = OfficeFactory(
        code="CR-B1", name_en="Bustan CR office", district=DistrictFactory(region=region)
    )
    laptops = CategoryFactory(code="laptop", name_en="Laptop")
    model = AssetModelFactory(name="ThinkPad E14", category=laptops)
    handover_set = HandoverSetFactory(code="HS-B", declared_value=Decimal("2550"))
    HandoverSetLine.objects.create(
        handover_set=handover_set,
        category=laptops,
        declared_quantity=3,
        declared_value=Decimal("2550"),
    )
    officer = make_user(
        "logistics_officer", username="dilnoza", first_name="Dilnoza", last_name="Karimova"
    )
    UserScope.objects.create(user=officer, position="Logistics officer, Ministry IT")
    assets = [
        make_asset(
            by=officer,
            asset_model=model,
            status=AssetStatus.IN_STOCK,
            office=warehouse,
            handover_set=handover_set,
            value=Decimal("850"),
        )
        for _ in range(3)
    ]
    tags = [asset.tag for asset in assets]
    log_in(page.context, officer)

    # 1. Plan three laptops of the set for the office.
    page.goto(f"/plan/{handover_set.code}/")
    page.get_by_label("Laptop planned for Bustan CR office").fill("3")
    page.get_by_role("button", name="Save the plan").click()
    expect(page.locator(".messages")).to_contain_text("Lines created: 1")

    # 2. Open a transfer from the warehouse (the default origin) to the office.
    page.goto("/transfers/add/")
    page.locator("#id_destination").select_option(str(office.pk))
    page.locator("#id_destination_zone").select_option(label="Front office")
    page.get_by_role("button", name="Open the transfer").click()
    transfer = Transfer.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(transfer.number)

    # 3. Scan the three labels (a scanner types the tag and Enter) plus a wrong one.
    box = page.get_by_label("Tags or serial numbers")
    for code in [*tags, "CR-XX-999999"]:
        box.press_sequentially(code)
        box.press("Enter")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.locator("#refused")).to_contain_text(
        "No asset has the tag or serial number “CR-XX-999999”."
    )
    expect(page.locator("#transfer-items tbody tr")).to_have_count(3)

    # 4. Dispatch: the assets are in transit.
    page.get_by_role("button", name="Dispatch").click()
    expect(page.locator("#transfer-status")).to_have_text("Dispatched")
    assert set(Asset.objects.values_list("status", flat=True)) == {AssetStatus.IN_TRANSIT}

    # 5. Receive: two arrived, one is missing.
    page.get_by_role("link", name="Receive").click()
    page.locator(f'tr[data-tag="{tags[0]}"]').get_by_label("Received").check()
    page.locator(f'tr[data-tag="{tags[1]}"]').get_by_label("Received").check()
    page.locator(f'tr[data-tag="{tags[2]}"]').get_by_label("Missing").check()
    page.locator(f'tr[data-tag="{tags[2]}"]').get_by_role("textbox").fill("Not in the box")
    page.get_by_role("button", name="Save the receipt").click()
    expect(page.locator(".messages")).to_contain_text("still has assets outstanding")
    expect(page.locator("#transfer-status")).to_have_text("Partly received")
    expect(page.locator(f'#transfer-items tr[data-tag="{tags[2]}"]')).to_contain_text("Missing")

    # 6. The handover act for what arrived.
    page.get_by_role("link", name="Make the handover act").click()
    expect(page.get_by_label("Handed over by: name")).to_have_value("Dilnoza Karimova")
    page.get_by_label("Received by: name").fill("Zarina Sharipova")
    page.get_by_label("Received by: position").fill("Head of the Bustan CR office")
    page.get_by_role("button", name="Draft the act").click()
    act = HandoverAct.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(act.number)
    assert act.items.count() == 2

    # 7. Upload the signed scan: the act is signed and locked.
    page.get_by_role("link", name="Upload signed scan").click()
    page.get_by_label("Signed scan (PDF, JPEG or PNG)").set_input_files(
        files=[{"name": "act-signed.png", "mimeType": "image/png", "buffer": _png()}]
    )
    page.get_by_role("button", name="Upload and sign").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Signed")
    expect(page.get_by_role("link", name="Edit")).to_have_count(0)
    expect(page.get_by_role("link", name="Download scan")).to_be_visible()
    page.goto(f"/acts/{act.pk}/edit/")
    expect(page.locator(".messages")).to_contain_text("is signed and locked")

    # The asset page says the device is signed for, and its timeline has both steps.
    page.goto(f"/assets/{assets[0].pk}/")
    expect(page.locator("#signed-act")).to_contain_text(act.number)
    expect(page.locator("#history")).to_contain_text(f"Received on transfer {transfer.number}")
    expect(page.locator("#history")).to_contain_text(f"Dispatched on transfer {transfer.number}")
