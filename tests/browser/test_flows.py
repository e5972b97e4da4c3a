"""The flows a person does in the register, in a real browser (Debian's chromium).

Log in, find a device by its serial, read its page on a phone, switch to Russian, register a
device whose serial is already taken, import a packing list, and take a delivery the whole way:
plan → transfer → dispatch → receipt with one device missing → handover act → signed scan.
One module, so the session's one browser serves every test.
"""

from __future__ import annotations

import io
import re
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
    # Each test flushes the database; the role groups of the migrations come back from the
    # copy serialised when the test database was created.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

PASSWORD = "pass-for-tests-1"
PHONE_WIDTH = 360


@pytest.fixture
def officer():
    return make_user("logistics_officer", username="olga", first_name="Olga")


def test_logging_in_through_the_form_opens_the_dashboard(page: Page, live_server, officer):
    page.goto("/login/")
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.get_by_role("button", name="Log out")).to_be_visible()


def test_a_logged_out_visit_to_the_assets_goes_to_the_login_page(page: Page, live_server):
    page.goto("/assets/")

    expect(page).to_have_url(f"{live_server.url}/login/?next=/assets/")
    expect(page.get_by_label("Username")).to_be_visible()


def test_an_exact_serial_in_the_header_search_opens_the_asset(page: Page, log_in, officer):
    asset = make_asset(by=officer, serial="CNB7K42QX9")
    make_asset(by=officer, serial="CNB7K42QX8")
    log_in(page.context, officer)
    page.goto("/")

    page.get_by_label("Find a device by tag or serial").fill("CNB7K42QX9")
    page.get_by_label("Find a device by tag or serial").press("Enter")

    expect(page).to_have_url(re.compile(rf"/assets/{asset.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(asset.tag)
    expect(page.locator("main")).to_contain_text("CNB7K42QX9")


def test_a_partial_serial_lists_the_matches_and_the_tag_opens_the_asset(
    page: Page, log_in, officer
):
    first = make_asset(by=officer, serial="VCF4410001")
    second = make_asset(by=officer, serial="VCF4410002")
    other = make_asset(by=officer, serial="PHB9990003")
    log_in(page.context, officer)
    page.goto("/")

    page.get_by_label("Find a device by tag or serial").fill("vcf441")
    page.get_by_label("Find a device by tag or serial").press("Enter")

    expect(page).to_have_url(re.compile(r"/assets/\?q=vcf441$"))
    table = page.locator("table.table")
    expect(table.get_by_role("link", name=first.tag, exact=True)).to_be_visible()
    expect(table.get_by_role("link", name=second.tag, exact=True)).to_be_visible()
    expect(table).not_to_contain_text(other.serial)

    table.get_by_role("link", name=second.tag, exact=True).click()

    expect(page).to_have_url(re.compile(rf"/assets/{second.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text(second.tag)
    expect(page.locator("main")).to_contain_text("VCF4410002")


def test_switching_the_language_to_russian(page: Page, log_in, officer):
    log_in(page.context, officer)
    page.goto("/assets/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.locator("#language").select_option(label="Русский")  # submits on change

    expect(page.locator("html")).to_have_attribute("lang", "ru")
    expect(page).to_have_url(re.compile(r"/assets/$"))
    expect(page.get_by_role("navigation").get_by_role("link", name="Активы")).to_be_visible()


@pytest.mark.browser_context_args(viewport={"width": PHONE_WIDTH, "height": 740})
def test_the_asset_page_fits_a_360_px_phone(page: Page, log_in, officer):
    category = CategoryFactory(code="printer", name_en="Multifunction printer")
    asset_model = AssetModelFactory(
        name="i-SENSYS MF445dw with duplex automatic document feeder", category=category
    )
    office = OfficeFactory(name_en="Jabbor Rasulov district civil registration office")
    asset = make_asset(
        by=officer,
        asset_model=asset_model,
        serial="XQD0123456789ABCDEF",
        office=office,
        custodian="Saodat Rahimova, head of the front office",
        network_address="printer-jabbor-rasulov-front-office.cr.local",
        notes="Delivered with two spare toner cartridges; the duplex unit is fitted.",
    )
    log_in(page.context, officer)

    page.goto(asset.get_absolute_url())

    expect(page.get_by_role("heading", level=1)).to_contain_text(asset.tag)
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert scroll_width <= PHONE_WIDTH + 2, (
        f"the page is {scroll_width} px wide on a {PHONE_WIDTH} px screen"
    )


def test_registering_a_taken_serial_shows_the_error_next_to_the_serial(page: Page, log_in, officer):
    existing = make_asset(by=officer, serial="5CD3481XYZ")
    log_in(page.context, officer)
    page.goto("/assets/add/")

    page.get_by_label("Serial number").fill(" 5cd3481xyz ")
    page.get_by_label("Model").select_option(label=str(existing.asset_model))
    page.get_by_role("button", name="Save").click()

    serial_field = page.locator(".field").filter(has=page.get_by_label("Serial number"))
    expect(serial_field.locator(".field-errors")).to_have_text(
        f"Serial number 5CD3481XYZ is already registered as asset {existing.tag}."
    )
    expect(page.get_by_label("Serial number")).to_be_visible()
    # Screen readers announce the error with the field.
    expect(page.get_by_label("Serial number")).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Serial number")).to_have_accessible_description(
        re.compile(r"already registered as asset")
    )
    assert Asset.objects.count() == 1


def _packing_list(path: Path, rows: list[list[str]]) -> Path:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["Packing list No. 7 — UNDP"])
    sheet.append(["Serial number", "Model", "Office", "Status", "Value (USD)"])
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_importing_a_packing_list_with_a_bad_row_then_the_fixed_file(
    page: Page, log_in, officer, tmp_path
):
    printer = CategoryFactory(code="printer", name_en="Printer")
    AssetModelFactory(name="LaserJet Pro M404dn", category=printer)
    OfficeFactory(code="CR-SU-KHU")
    good = ["IMP-0001", "HP LaserJet Pro M404dn", "CR-SU-KHU", "Deployed", "420,00"]
    bad = ["IMP-0002", "HP LaserJet Pro M999", "CR-SU-KHU", "Deployed", "420,00"]
    log_in(page.context, officer)
    page.goto("/")
    page.get_by_role("link", name="Import").click()
    page.get_by_role("link", name="Assets").last.click()

    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(
        str(_packing_list(tmp_path / "packing.xlsx", [good, bad]))
    )
    page.get_by_role("button", name="Preview").click()
    report = page.locator("#import-report")
    expect(report).to_contain_text("1 with errors")
    expect(report).to_contain_text("No model “HP LaserJet Pro M999” in the register.")
    expect(page.locator("#confirm-import")).to_have_count(0)
    assert not Asset.objects.exists()

    fixed = ["IMP-0002", "HP LaserJet Pro M404dn", "CR-SU-KHU", "Deployed", "420,00"]
    page.get_by_label("Spreadsheet (.xlsx or .csv)").set_input_files(
        str(_packing_list(tmp_path / "packing-fixed.xlsx", [good, fixed]))
    )
    page.get_by_role("button", name="Preview").click()
    expect(page.locator("#import-totals")).to_contain_text("2 new")
    assert not Asset.objects.exists()
    page.locator("#confirm-import").click()

    expect(page).to_have_url(re.compile(r"/assets/$"))
    expect(page.locator(".messages")).to_contain_text("2 new")
    expect(page.locator("main table")).to_contain_text("IMP-0001")
    expect(page.locator("main table")).to_contain_text("IMP-0002")
    assert Asset.objects.count() == 2


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


# --- Repairs (issue 6) -------------------------------------------------------------------------


@pytest.mark.browser_context_args(viewport={"width": PHONE_WIDTH, "height": 740})
def test_a_technician_repairs_a_device_from_an_alert_on_a_phone(page: Page, live_server):
    from django.utils import timezone

    from monitoring.models import Alert, RepairTicket
    from tests.monitoring.test_models_services import make_device, monitored_asset

    region = RegionFactory(code="SU", name_en="Sughd")
    office = OfficeFactory(
        name_en="Khujand city CR office", district=DistrictFactory(region=region)
    )
    make_user("technician", regions=[region], username="farrukh", first_name="Farrukh")
    device = make_device(asset=monitored_asset(office=office))
    now = timezone.now()
    alert = Alert.objects.create(
        device=device,
        kind="printer_error",
        key="jammed",
        severity="critical",
        message="Paper jam",
        first_seen=now,
        last_seen=now,
    )

    def fits() -> None:
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE_WIDTH + 2, (
            f"{page.url} is {width} px wide on a {PHONE_WIDTH} px screen"
        )

    # Log in, open "My work": the alert is there, under its office.
    page.goto("/login/")
    page.get_by_label("Username").fill("farrukh")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("link", name="My work").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My work")
    expect(page.locator(".office-work")).to_contain_text("Khujand city CR office")
    expect(page.locator(".office-work")).to_contain_text("Paper jam")
    fits()

    # Open the alert as a ticket: the form comes filled from it.
    page.locator(".office-work").get_by_role("link", name="Log a repair").click()
    expect(page.locator("#ticket-alert")).to_contain_text("Paper jam")
    expect(page.get_by_label("Asset tag or serial")).to_have_value(device.asset.tag)
    fits()
    page.get_by_label("Fault").select_option(label="Paper path")
    page.get_by_role("button", name="Open the ticket").click()
    ticket = RepairTicket.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(ticket.number)
    expect(page.locator("#asset-status")).to_have_text("In repair")
    fits()

    # A work entry that starts the work, then one that resolves the ticket.
    page.get_by_label("Minutes spent").fill("25")
    page.get_by_label("Note").fill("Removed a torn sheet from the fuser")
    page.get_by_role("button", name="In progress").click()
    expect(page.locator("#ticket-status")).to_have_text("In progress")
    page.get_by_label("Parts used").fill("Pickup roller")
    page.get_by_role("button", name="Resolved").click()

    expect(page.locator("#ticket-status")).to_have_text("Resolved")
    expect(page.locator("#asset-status")).to_have_text("Deployed")
    expect(page.locator("#work-entries")).to_contain_text("Pickup roller")
    fits()
    alert.refresh_from_db()
    device.asset.refresh_from_db()
    assert device.asset.status == AssetStatus.DEPLOYED
    assert alert.is_open is False

    # The asset's page has the repair in its history, and the ticket list fits the phone too.
    page.get_by_role("link", name=device.asset.tag).click()
    expect(page.locator("#asset-repairs")).to_contain_text(ticket.number)
    expect(page.locator("#log-repair")).to_be_visible()
    fits()
    page.goto("/repairs/")
    expect(page.locator("#repair-tickets")).to_contain_text(ticket.number)
    fits()


@pytest.mark.browser_context_args(viewport={"width": PHONE_WIDTH, "height": 740})
def test_an_auditor_samples_verifies_three_on_a_phone_and_downloads_the_workbook(
    page: Page, log_in
):
    from openpyxl import load_workbook

    from deployments.models import MoveProposal, Verification, VerificationCampaign

    region = RegionFactory(code="SU", name_en="Sughd")
    office = OfficeFactory(
        code="CR-SU-ISF", name_en="Isfara CR office", district=DistrictFactory(region=region)
    )
    other = OfficeFactory(
        code="CR-SU-KAN", name_en="Konibodom CR office", district=DistrictFactory(region=region)
    )
    laptops = CategoryFactory(code="laptop", name_en="Laptop")
    model = AssetModelFactory(name="ProBook 450", category=laptops)
    handover_set = HandoverSetFactory(code="HS-A", declared_value=Decimal("5000"))
    HandoverSetLine.objects.create(
        handover_set=handover_set,
        category=laptops,
        declared_quantity=5,
        declared_value=Decimal("5000"),
    )
    for _ in range(5):
        make_asset(asset_model=model, office=office, handover_set=handover_set, value=1000)
    auditor = make_user("auditor", username="martin", first_name="Martin", last_name="Keller")
    log_in(page.context, auditor)

    # 1. Draw a random sample of three from a recorded seed.
    page.goto("/audits/add/")
    page.get_by_label("Name").fill("Isfara spot check")
    page.get_by_label("Random sample").check()
    page.get_by_label("Sample size").fill("3")
    page.get_by_label("Sample seed").fill("20261130")
    page.locator("#draw-campaign").click()
    campaign = VerificationCampaign.objects.get()
    expect(page.get_by_role("heading", level=1)).to_contain_text(campaign.number)
    assert campaign.items.count() == 3
    drawn = list(campaign.items.order_by("asset__tag").values_list("asset__serial", flat=True))

    # 2. The office's checklist, then three checks: found, not found, found elsewhere.
    page.get_by_role("link", name="CR-SU-ISF").first.click()
    said = {"Found": "found", "Not found": "not found", "Found elsewhere": "found at CR-SU-KAN"}
    for outcome, message in said.items():
        page.locator("#verify-next").click()
        page.get_by_label(outcome, exact=True).check()
        if outcome == "Found":
            serial = page.locator(".register-serial").first.inner_text().strip()
            page.get_by_label("Serial number read on the device").fill(serial.lower())
            page.get_by_label("Working", exact=True).check()
        elif outcome == "Found elsewhere":
            page.get_by_label("Found at office").select_option(str(other.pk))
            page.get_by_label("Working", exact=True).check()
        page.locator("#save-verification").click()
        expect(page.locator(".messages")).to_contain_text(message)
    expect(page.locator("#checklist-done")).to_be_visible()
    results = dict(Verification.objects.values_list("outcome", "asset__serial"))
    assert set(results) == {"found", "not_found", "found_elsewhere"}
    assert set(results.values()) == set(drawn)
    assert Verification.objects.get(outcome="found").serial_matches is True
    assert MoveProposal.objects.get().to_office == other

    # 3. The report: 5 declared and registered, 2 of them verified found.
    page.goto(f"/reports/reconciliation/?campaign={campaign.pk}")
    total = page.locator("#funnel tfoot tr").first
    expect(total).to_contain_text("5")
    expect(page.locator("#totals")).to_contain_text("reconciles")
    verified_link = page.locator('#funnel tfoot a[data-stage="verified_found"]')
    expect(verified_link).to_have_text("2")
    expect(page.locator("#kind-not_found h3 .badge")).to_have_text("1")

    # 4. The workbook holds the same totals.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Excel workbook").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".xlsx")
    workbook = load_workbook(io.BytesIO(Path(download.path()).read_bytes()))
    summary = workbook.worksheets[0]
    rows = [list(row) for row in summary.iter_rows(values_only=True)]
    header = next(row for row in rows if row and row[0] == "Handover set")
    total_row = next(row for row in rows if row and row[0] == "Total")
    figures = dict(zip(header, total_row, strict=False))
    assert figures["Declared (quantity)"] == 5
    assert figures["Registered (quantity)"] == 5
    assert figures["Verified found (quantity)"] == 2
    assert figures["Registered (USD)"] == 5000
    assert campaign.number in str(rows) and "20261130" in str(rows)


def test_an_officer_finds_why_birth_registration_is_degraded_and_the_toner_to_order(
    page: Page, log_in
):
    """Readiness overview → the office's reasons → the device's services at risk → the
    consumables forecast and its workbook."""
    import datetime as dt

    from django.utils import timezone

    from monitoring import services
    from monitoring.models import PollOutcome
    from tests.factories import CRServiceFactory
    from tests.monitoring.test_readiness_service import device_at, require, set_health

    officer = make_user("logistics_officer", username="olga", first_name="Olga")
    birth = CRServiceFactory(code="birth", name_en="Birth registration", sort_order=1)
    require(birth, min_count=1)
    region = RegionFactory(code="SU", name_en="Sughd")
    office = OfficeFactory(
        code="CR-SU-VAH", name_en="Vahdat CR office", district=DistrictFactory(region=region)
    )
    office.services.set([birth])
    elsewhere = OfficeFactory(
        name_en="Khorog CR office", district=DistrictFactory(region=RegionFactory(code="GB"))
    )
    elsewhere.services.set([birth])
    device_at(elsewhere, services=[birth])
    first = device_at(office, services=[birth], monitored=True)
    second = device_at(office, services=[birth], monitored=True)
    set_health(second, "down")
    # The working printer's toner falls 3 % a day, from 80 % to 53 % yesterday: it runs out in
    # about 17 days, and a new cartridge lasts 33: 1, 2 and 3 cartridges in 30, 60, 90 days.
    device = first.monitoring
    now = timezone.now()
    for day in range(10, 0, -1):
        level = 80.0 - 3 * (10 - day)
        supplies = [
            {
                "index": "1.1",
                "description": "Black Toner TK-3160",
                "supply_class": "supplyThatIsConsumed",
                "type": "toner",
                "unit": "percent",
                "level": int(level),
                "max_capacity": 100,
                "percent": level,
            }
        ]
        PollOutcome.objects.create(
            device=device,
            polled_at=now - dt.timedelta(days=day),
            reachable=True,
            health="up",
            supplies=supplies,
            page_count=1000 + 50 * (10 - day),
            fingerprint=str(day),
        )
    device.supplies = supplies
    device.save(update_fields=["supplies"])
    services.supply_forecasts_refresh()
    services.readiness_refresh()

    log_in(page.context, officer)
    page.goto("/")
    page.get_by_role("link", name="Readiness", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Service readiness")
    expect(page.locator("#national")).to_contain_text("2 offices")
    page.locator("#region-SU").get_by_role("link", name="Show its offices").click()
    grid_cell = page.locator("#readiness-grid td").filter(has_text="Degraded")
    expect(grid_cell).to_have_count(1)
    grid_cell.get_by_role("link").click()

    expect(page.get_by_role("heading", level=1)).to_contain_text("Readiness of Vahdat CR office")
    row = page.locator("#service-birth")
    expect(row).to_contain_text("Degraded")
    expect(row).to_contain_text(second.tag)
    row.get_by_role("link", name=second.tag).click()

    expect(page.locator("#services-at-risk")).to_contain_text("Birth registration")
    page.locator("#services-at-risk").get_by_role("link", name="Details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Impact of a device")
    expect(page.locator("main")).to_contain_text("Birth registration")

    page.get_by_role("link", name="Reports", exact=True).click()
    page.get_by_role("link", name="Consumables forecast").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Consumables forecast")
    expect(page.locator("#forecast-table")).to_contain_text(first.tag)
    order = page.locator("#orders-national tbody tr").filter(has_text="Black Toner TK-3160")
    expect(order.locator("td.num")).to_have_text(["1", "2", "3", "1", "0"])
    with page.expect_download() as download:
        page.get_by_role("link", name="Excel workbook").click()
    assert download.value.suggested_filename.startswith("consumables-")
