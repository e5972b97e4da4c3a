"""Spreadsheet imports: preview every row, then write all rows or none, with history."""

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from deployments.models import DistributionPlanLine
from inventory.choices import AssetStatus
from inventory.importing import IMPORT_KINDS, import_run, import_template
from inventory.models import Asset, AssetModel, Office
from tests.factories import (
    AssetModelFactory,
    CategoryFactory,
    DistrictFactory,
    HandoverSetFactory,
    ManufacturerFactory,
    OfficeFactory,
    make_asset,
    make_user,
)

pytestmark = pytest.mark.django_db


def xlsx(rows, *, title_rows=()):
    """Return .xlsx bytes: optional title rows, then the given rows (header first)."""
    workbook = Workbook()
    sheet = workbook.active
    for row in title_rows:
        sheet.append(row)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def run(data: bytes, *, user=None, dry_run=True, filename="packing.xlsx", kind="assets"):
    return import_run(
        kind=IMPORT_KINDS[kind],
        file=io.BytesIO(data),
        filename=filename,
        user=user,
        dry_run=dry_run,
    )


@pytest.fixture
def catalogue():
    printer = CategoryFactory(code="printer", tag_prefix="PR", name_en="Printer")
    model = AssetModelFactory(
        manufacturer=ManufacturerFactory(name="HP"), name="LaserJet Pro M404dn", category=printer
    )
    office = OfficeFactory(code="CR-SU-KHU", name_en="Khujand CR office")
    handover_set = HandoverSetFactory(code="HS-2024-01")
    return {"model": model, "office": office, "set": handover_set, "printer": printer}


PACKING = [
    ["Serial number", "Model", "Office", "Status", "Value (USD)", "Warranty end"],
    [" cnb3k00001 ", "HP LaserJet Pro M404dn", "CR-SU-KHU", "Deployed", "420,00", "15.03.2027"],
    ["CNB3K00002", "laserjet pro m404dn", "Khujand CR office", "deployed", "420.5", "2027-03-15"],
]


def test_preview_writes_nothing_and_confirm_writes_everything_with_history(catalogue):
    officer = make_user("logistics_officer", first_name="Zarina", last_name="Rahimova")
    data = xlsx(PACKING)
    preview = run(data, user=officer)
    assert preview.ok
    assert preview.totals == {"new": 2, "update": 0, "unchanged": 0, "error": 0}
    assert [(r.number, r.outcome, r.key) for r in preview.rows] == [
        (2, "new", "CNB3K00001"),
        (3, "new", "CNB3K00002"),
    ]
    assert not Asset.objects.exists()

    done = run(data, user=officer, dry_run=False)
    assert done.written
    assets = list(Asset.objects.order_by("serial"))
    assert [(a.tag, a.serial, a.value, a.status, a.office) for a in assets] == [
        ("CR-PR-000001", "CNB3K00001", Decimal("420.00"), "deployed", catalogue["office"]),
        ("CR-PR-000002", "CNB3K00002", Decimal("420.50"), "deployed", catalogue["office"]),
    ]
    assert str(assets[0].warranty_end) == "2027-03-15"
    record = assets[0].history.get()
    assert (record.history_user, record.history_change_reason) == (
        officer,
        "Imported from packing.xlsx",
    )


def test_importing_the_same_file_twice_changes_nothing(catalogue):
    data = xlsx(PACKING)
    run(data, dry_run=False)
    history = sum(a.history.count() for a in Asset.objects.all())
    again = run(data, dry_run=False)
    assert again.totals == {"new": 0, "update": 0, "unchanged": 2, "error": 0}
    assert sum(a.history.count() for a in Asset.objects.all()) == history


def test_russian_headers_title_rows_and_empty_rows(catalogue):
    data = xlsx(
        [
            ["Серийный  номер:", "Модель", "Стоимость", "Гарантия до", "Примечание"],
            ["SN-RU-1", "HP LaserJet Pro M404dn", "1 234,50", "01.02.2027", "склад"],
            [None, None, None, None, None],
            ["SN-RU-2", "HP LaserJet Pro M404dn", "", "", ""],
        ],
        title_rows=[["Упаковочный лист № 17 — UNDP"], ["Дата: 15.03.2024"], []],
    )
    report = run(data, dry_run=False)
    assert report.ok, report.lines()
    assert [r.number for r in report.rows] == [5, 7]
    first = Asset.objects.get(serial="SN-RU-1")
    assert (first.value, str(first.warranty_end), first.notes, first.status) == (
        Decimal("1234.50"),
        "2027-02-01",
        "склад",
        AssetStatus.IN_STOCK,
    )


def test_every_bad_row_is_reported_and_nothing_is_written(catalogue):
    make_asset(serial="TAKEN-1", tag="CR-PR-000050", asset_model=catalogue["model"])
    data = xlsx(
        [
            ["S/N", "Model", "Asset tag", "Status", "Office", "Value"],
            ["NEW-1", "HP LaserJet Pro M404dn", "", "In stock", "", "10"],
            ["new-1", "HP LaserJet Pro M404dn", "", "In stock", "", "10"],
            ["NEW-2", "Unknown Printer 9000", "", "In stock", "", "10"],
            ["NEW-3", "HP LaserJet Pro M404dn", "CR-PR-000050", "In stock", "", "10"],
            ["NEW-4", "HP LaserJet Pro M404dn", "", "Retired", "", "10"],
            ["NEW-5", "HP LaserJet Pro M404dn", "", "Deployed", "", "ten"],
            ["NEW-6", "HP LaserJet Pro M404dn", "", "In stock", "Nowhere office", "10"],
        ]
    )
    report = run(data, dry_run=False)
    assert not report.ok and not report.written
    errors = {row.number: [(e.column, e.message) for e in row.errors] for row in report.rows}
    assert report.rows[0].outcome == "new"
    assert errors[3] == [("Serial number", "“NEW-1” is also on row 2 of this file.")]
    assert errors[4] == [("Model", "No model “Unknown Printer 9000” in the register.")]
    assert errors[5] == [("Asset tag", "Asset tag CR-PR-000050 is already used by serial TAKEN-1.")]
    assert errors[6] == [("Status", "A new asset cannot be registered as “Retired”.")]
    assert errors[7] == [
        (
            "Value (USD)",
            "“ten” is not an amount. Write digits with a comma or a dot before the decimals, "
            "such as 1234.50 or 1 234,50.",
        )
    ]
    assert errors[8] == [("Office", "No office “Nowhere office” in the register.")]
    assert list(Asset.objects.values_list("serial", flat=True)) == ["TAKEN-1"]


def test_updates_show_their_changes_and_follow_the_lifecycle(catalogue):
    asset = make_asset(
        serial="UPD-1", asset_model=catalogue["model"], office=catalogue["office"], value=Decimal(1)
    )
    retired = make_asset(serial="UPD-2", asset_model=catalogue["model"], status="in_stock")
    from inventory import services

    services.asset_retire(asset=retired, by=None, reason="broken")
    data = xlsx(
        [
            ["Serial number", "Value (USD)", "Status"],
            ["UPD-1", "99.90", "In repair"],
            ["UPD-2", "1", "Deployed"],
        ]
    )
    preview = run(data)
    assert preview.rows[0].outcome == "update"
    assert {(c.column, c.old, c.new) for c in preview.rows[0].changes} == {
        ("Value (USD)", "1.00", "99.90"),
        ("Status", "Deployed", "In repair"),
    }
    assert preview.rows[1].errors[0].message == "An asset cannot go from “Retired” to “Deployed”."
    fixed = xlsx([["Serial number", "Value (USD)", "Status"], ["UPD-1", "99.90", "In repair"]])
    officer = make_user("logistics_officer")
    assert run(fixed, user=officer, dry_run=False).written
    asset.refresh_from_db()
    assert (asset.value, asset.status) == (Decimal("99.90"), AssetStatus.IN_REPAIR)
    latest = asset.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        officer,
        "Imported from packing.xlsx",
    )


def test_windows_1251_csv_with_semicolons(catalogue):
    text = "Серийный номер;Модель;Стоимость\r\nCSV-1;HP LaserJet Pro M404dn;420,00\r\n"
    report = run(text.encode("cp1251"), filename="лист.csv", dry_run=False)
    assert report.ok, report.lines()
    assert Asset.objects.get().serial == "CSV-1"
    assert Asset.objects.get().history.get().history_change_reason == "Imported from лист.csv"


def test_a_bad_file_writes_nothing_and_says_why(catalogue):
    report = run(b"\x89PNG\r\n\x1a\n\x00\x00binary", filename="packing.xlsx", dry_run=False)
    assert (
        report.file_error == "This is not a spreadsheet: upload an .xlsx workbook or a .csv file."
    )
    assert not report.written
    report = run(xlsx([["Serial number", "Model"]]), dry_run=False)
    assert report.file_error == "The file has a header but no rows to import."
    assert not Asset.objects.exists()


def test_preview_query_count_does_not_grow_with_rows(catalogue):
    def count(rows: int) -> int:
        data = xlsx(
            [["Serial number", "Model", "Office"]]
            + [[f"Q-{rows}-{i}", "HP LaserJet Pro M404dn", "CR-SU-KHU"] for i in range(rows)]
        )
        with CaptureQueriesContext(connection) as ctx:
            assert run(data).ok
        return len(ctx.captured_queries)

    assert count(1) == count(50)


def test_offices_asset_models_and_plan_lines_import(catalogue):
    district = DistrictFactory(code="SU-ISF", name_en="Isfara")
    offices = xlsx(
        [
            ["Code", "Kind", "District", "Name EN", "Latitude", "Longitude"],
            ["cr-su-isf", "City CR office", "SU-ISF", "Isfara CR office", "40,1167", "70.633"],
        ]
    )
    assert run(offices, kind="offices", dry_run=False).written
    office = Office.objects.get(code="CR-SU-ISF")
    assert (office.region, office.latitude, office.longitude) == (
        district.region,
        Decimal("40.11670"),
        Decimal("70.63300"),
    )
    assert office.history.get().history_change_reason == "Imported from packing.xlsx"

    models = xlsx(
        [
            ["Manufacturer", "Model", "Category", "Part number"],
            ["Canon", "i-SENSYS MF443dw", "Printer", "3514C008"],
            ["HP", "LaserJet Pro M404dn", "printer", ""],
        ]
    )
    report = run(models, kind="asset_models", dry_run=False)
    assert report.totals == {"new": 1, "update": 0, "unchanged": 1, "error": 0}
    assert AssetModel.objects.get(name="i-SENSYS MF443dw").manufacturer.name == "Canon"

    plan = xlsx(
        [
            ["Handover set", "Office", "Category", "Quantity"],
            ["HS-2024-01", "CR-SU-ISF", "Printer", "3"],
            ["HS-2024-01", "CR-SU-KHU", "Printer", "2.5"],
        ]
    )
    report = run(plan, kind="plan_lines", dry_run=False)
    assert report.error_rows[0].errors[0].message == "“2.5” is not a whole number of devices."
    assert not DistributionPlanLine.objects.exists()


def test_template_has_header_drop_downs_and_an_example(catalogue):
    workbook = load_workbook(io.BytesIO(import_template(kind=IMPORT_KINDS["assets"])))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    assert header[:3] == ["Serial number", "Asset tag", "Model"]
    assert sheet["A2"].value == "CNB3K12345"
    validated = {str(v.sqref).split(":")[0][:1] for v in sheet.data_validations.dataValidation}
    letters = {
        key: chr(ord("A") + i)
        for i, key in enumerate(c.key for c in IMPORT_KINDS["assets"].columns)
    }
    for key in ("category", "status", "office", "handover_set"):
        assert letters[key] in validated
    lists = workbook.worksheets[1]
    assert lists.sheet_state == "hidden"
    assert "CR-SU-KHU" in [c.value for c in lists[letters["office"]]]


def test_command_reports_rows_and_fails_on_errors(catalogue, tmp_path, capsys):
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx([["Serial number", "Model"], ["CMD-1", "Nope"]]))
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_assets", str(bad))
    assert exit_info.value.code == 1
    out = capsys.readouterr()
    assert "row 2" in out.out and "No model “Nope” in the register." in out.out
    assert "Nothing was written." in out.err

    good = tmp_path / "good.xlsx"
    good.write_bytes(xlsx([["Serial number", "Model"], ["CMD-1", "HP LaserJet Pro M404dn"]]))
    call_command("import_assets", str(good), "--dry-run")
    assert not Asset.objects.exists()
    call_command("import_assets", str(good))
    assert Asset.objects.get().serial == "CMD-1"


def test_web_import_preview_then_confirm(client, catalogue):
    officer = make_user("logistics_officer")
    client.force_login(officer)
    url = reverse("import", args=["assets"])
    upload = io.BytesIO(xlsx(PACKING))
    upload.name = "packing.xlsx"
    page = client.post(url, {"file": upload})
    assert page.status_code == 200
    assert page.context["report"].totals["new"] == 2
    assert not Asset.objects.exists()
    token = page.context["token"]
    done = client.post(url, {"token": token})
    assert done.status_code == 302
    assert done["Location"] == reverse("asset_list")
    assert Asset.objects.count() == 2
    # The token is used up.
    again = client.post(url, {"token": token})
    assert again.status_code == 302
    assert Asset.objects.count() == 2


def test_web_import_with_errors_offers_no_confirmation(client, catalogue):
    client.force_login(make_user("logistics_officer"))
    upload = io.BytesIO(xlsx([["Serial number", "Model"], ["W-1", "Nope"]]))
    upload.name = "bad.xlsx"
    page = client.post(reverse("import", args=["assets"]), {"file": upload})
    assert "token" not in page.context
    assert "No model “Nope” in the register." in page.content.decode()


@pytest.mark.parametrize("role", ["auditor", "technician", "office_head"])
def test_only_those_who_register_may_import(client, catalogue, role):
    client.force_login(make_user(role))
    assert client.get(reverse("import", args=["assets"])).status_code == 403
    assert client.get(reverse("import_index")).status_code == 403
    assert client.get(reverse("import_template", args=["assets"])).status_code == 403


@pytest.mark.parametrize("export_format", ["xlsx", "csv"])
@pytest.mark.parametrize("language", ["en", "ru"])
def test_an_asset_export_imports_back_as_all_unchanged(client, catalogue, export_format, language):
    from inventory import services

    officer = make_user("logistics_officer")
    birth = CategoryFactory(code="laptop", tag_prefix="LT", name_en="Laptop", name_ru="Ноутбук")
    laptop = AssetModelFactory(
        manufacturer=ManufacturerFactory(name="Lenovo"), name="ThinkPad E14", category=birth
    )
    make_asset(asset_model=catalogue["model"], office=catalogue["office"], serial="-RT-1")
    make_asset(asset_model=laptop, office=catalogue["office"], handover_set=catalogue["set"])
    in_stock = make_asset(asset_model=laptop, status=AssetStatus.IN_STOCK, office=None)
    services.asset_change_status(asset=in_stock, by=None, to_status="lost", reason="gone")
    client.force_login(officer)
    client.cookies["django_language"] = language
    response = client.get(reverse("asset_list"), {"_export": export_format})
    body = b"".join(response.streaming_content)
    history = sum(a.history.count() for a in Asset.objects.all())

    report = run(body, filename=f"assets.{export_format}", dry_run=False)

    assert report.ok, report.lines()
    assert report.totals == {"new": 0, "update": 0, "unchanged": 3, "error": 0}
    assert report.ignored_headers  # the region column is shown, not imported
    assert sum(a.history.count() for a in Asset.objects.all()) == history
