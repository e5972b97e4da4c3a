"""List exports: the rows and columns on screen, all pages, as .xlsx and .csv, safely."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal

import django_tables2 as tables
import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.choices import AssetStatus
from inventory.exports import CellReader, cell_neutralise
from inventory.models import Asset
from inventory.tables import AssetTable, OfficeTable
from inventory.views import AssetListView
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

ASSET_HEADERS = [
    "Asset tag",
    "Serial number",
    "Model",
    "Category",
    "Status",
    "Office",
    "Region",
    "Handover set",
]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- helpers ---------------------------------------------------------------------------------


def _body(response) -> bytes:
    assert response.status_code == 200, response.status_code
    # The test client closes a streamed response once its content is read; closing it again
    # would send request_finished, which closes the database connection mid-test.
    return b"".join(response.streaming_content)


def _sheet(response):
    assert response["Content-Type"] == XLSX_TYPE
    workbook = openpyxl.load_workbook(io.BytesIO(_body(response)))
    assert len(workbook.worksheets) == 1
    return workbook.worksheets[0]


def _sheet_rows(sheet) -> list[tuple]:
    """Return the data rows (below the title and header rows)."""
    return list(sheet.iter_rows(min_row=3, values_only=True))


def _csv(response) -> tuple[bytes, list[list[str]]]:
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    body = _body(response)
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"), newline="")))


@pytest.fixture
def officer(db):
    return make_user("logistics_officer", first_name="Farrukh", last_name="Saidov")


@pytest.fixture
def officer_client(client, officer):
    client.force_login(officer)
    return client


# --- the neutraliser -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil","click")', '\'=HYPERLINK("http://evil","click")'),
        ("=1+1", "'=1+1"),
        ("+998 90 123 45 67", "'+998 90 123 45 67"),
        ("-2+3", "'-2+3"),
        ("-", "'-"),
        ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
        ("\t=1+1", "'\t=1+1"),
        ("\rcmd", "'\rcmd"),
        ("'=already quoted", "'=already quoted"),  # starts with a quote: inert already
        ("CR-PR-000001", "CR-PR-000001"),
        ("a=b", "a=b"),
        (" =1+1", " =1+1"),  # a leading space makes it text in Excel already
        ("Душанбе", "Душанбе"),
        ("", ""),
        (None, None),
        (-5, -5),
        (-2.5, -2.5),
        (Decimal("-12.50"), Decimal("-12.50")),
        (0, 0),
        (dt.date(2026, 11, 27), dt.date(2026, 11, 27)),
        (True, True),
    ],
)
def test_cell_neutralise(value, expected):
    assert cell_neutralise(value) == expected
    assert type(cell_neutralise(value)) is type(expected)


# --- the asset list --------------------------------------------------------------------------


def test_xlsx_has_title_bold_frozen_header_filter_and_widths(officer_client):
    region = RegionFactory(code="SU", name_en="Sughd Region")
    office = OfficeFactory(district=DistrictFactory(region=region))
    make_asset(office=office)
    make_asset(office=office)
    make_asset(status=AssetStatus.IN_STOCK)

    response = officer_client.get(
        reverse("asset_list"),
        {"status": "deployed", "region": region.pk, "sort": "-serial", "_export": "xlsx"},
    )
    assert re.fullmatch(
        r'attachment; filename="assets-\d{4}-\d{2}-\d{2}\.xlsx"', response["Content-Disposition"]
    )
    assert "no-store" in response["Cache-Control"]
    sheet = _sheet(response)

    title = sheet["A1"].value
    assert re.fullmatch(
        r"Assets, exported on \d{2}\.\d{2}\.\d{4} \d{2}:\d{2} by Farrukh Saidov\. "
        r"Filters: Status: Deployed; Region: Sughd Region\. "
        r"Sorted by Serial number \(descending\)\.",
        title,
    ), title
    assert sheet["A1"].font.b
    assert [cell.value for cell in sheet[2]] == ASSET_HEADERS
    assert [str(column.header) for column in AssetTable([]).columns] == ASSET_HEADERS
    assert all(cell.font.b for cell in sheet[2])
    assert sheet.freeze_panes == "A3"
    assert sheet.auto_filter.ref == "A2:H4"
    assert len(_sheet_rows(sheet)) == 2
    widths = [sheet.column_dimensions[letter].width for letter in "ABCDEFGH"]
    assert all(6 <= width <= 50 for width in widths)
    assert widths[0] >= len("CR-PR-000001")  # a tag fits
    assert widths[1] >= len("Serial number")  # the header fits


def test_title_says_when_no_filters_are_applied(officer_client):
    make_asset()
    sheet = _sheet(officer_client.get(reverse("asset_list"), {"_export": "xlsx"}))
    assert "No filters: every row you may see. Sorted by Asset tag." in sheet["A1"].value


def test_exports_hold_every_page_of_the_filtered_sorted_rows(officer_client, settings):
    settings.PAGE_SIZE = 5
    assets = [make_asset() for _ in range(12)]
    make_asset(status=AssetStatus.IN_STOCK)  # filtered out
    query = {"status": "deployed", "sort": "-serial"}
    expected = [
        (a.tag, a.serial) for a in sorted(assets, key=lambda asset: asset.serial, reverse=True)
    ]

    page = officer_client.get(reverse("asset_list"), query)
    shown = [row.record.tag for row in page.context["table"].paginated_rows]
    assert shown == [tag for tag, _ in expected[:5]]  # the page shows 5 …

    # The export has every page, whichever page the link was followed from.
    export_query = {**query, "page": "2", "_export": "xlsx"}
    sheet = _sheet(officer_client.get(reverse("asset_list"), export_query))
    assert [(row[0], row[1]) for row in _sheet_rows(sheet)] == expected  # … the export all 12
    assert sheet.auto_filter.ref == "A2:H14"

    _, rows = _csv(officer_client.get(reverse("asset_list"), {**query, "_export": "csv"}))
    assert rows[0] == ASSET_HEADERS
    assert [(row[0], row[1]) for row in rows[1:]] == expected


def test_cells_are_the_text_on_screen_without_markup(officer_client):
    handover_set = HandoverSetFactory(code="HS-2024-01")
    asset = make_asset(handover_set=handover_set)
    html = officer_client.get(reverse("asset_list")).content.decode()
    assert f'<a href="{asset.get_absolute_url()}">{asset.tag}</a>' in html  # HTML unchanged
    assert '<span class="badge status-deployed">Deployed</span>' in html

    sheet = _sheet(officer_client.get(reverse("asset_list"), {"_export": "xlsx"}))
    expected = (
        asset.tag,
        asset.serial,
        "HP LaserJet Pro M404dn",
        "Printer",
        "Deployed",
        asset.office.name_en,
        asset.office.region.name_en,
        "HS-2024-01",
    )
    assert _sheet_rows(sheet) == [expected]
    _, rows = _csv(officer_client.get(reverse("asset_list"), {"_export": "csv"}))
    assert rows[1] == list(expected)


def test_csv_is_utf8_with_bom_header_and_rows_and_no_title(officer_client):
    office = OfficeFactory(name_en="Khujand CR office")
    asset = make_asset(office=office)
    in_stock = make_asset(status=AssetStatus.IN_STOCK)  # no office: empty cells
    response = officer_client.get(reverse("asset_list"), {"_export": "csv"})
    assert re.fullmatch(
        r'attachment; filename="assets-\d{4}-\d{2}-\d{2}\.csv"', response["Content-Disposition"]
    )
    assert response.streaming
    body, rows = _csv(response)
    assert body.startswith(b"\xef\xbb\xbfAsset tag,Serial number,")
    assert b"\r\n" in body
    assert rows[0] == ASSET_HEADERS
    assert rows[1][:2] == [asset.tag, asset.serial]
    assert rows[1][5] == "Khujand CR office"
    assert rows[2][:2] == [in_stock.tag, in_stock.serial]
    assert rows[2][4:] == ["In stock", "", "", ""]
    assert len(rows) == 3


def test_an_unknown_format_is_refused(officer_client):
    response = officer_client.get(reverse("asset_list"), {"_export": "pdf"})
    assert response.status_code == 400
    assert response.content.decode() == "This list cannot be exported as “pdf”."


def test_exports_need_a_login(client, db):
    response = client.get(reverse("asset_list"), {"_export": "csv"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_links_keep_the_filters_and_sort(officer_client):
    make_asset()
    response = officer_client.get(
        reverse("asset_list"), {"status": "deployed", "sort": "serial", "page": "1"}
    )
    html = response.content.decode()
    assert 'href="?status=deployed&amp;sort=serial&amp;_export=xlsx"' in html
    assert 'href="?status=deployed&amp;sort=serial&amp;_export=csv"' in html
    assert ">Excel (.xlsx)</a>" in html
    assert ">CSV</a>" in html
    offices = officer_client.get(reverse("office_list")).content.decode()
    assert 'href="?_export=xlsx"' in offices


def test_xlsx_is_streamed_from_a_temporary_file_closed_once_sent(officer_client, monkeypatch):
    import tempfile

    opened = []
    original = tempfile.TemporaryFile

    def temporary_file(*args, **kwargs):
        opened.append(original(*args, **kwargs))
        return opened[-1]

    monkeypatch.setattr("inventory.exports.tempfile.TemporaryFile", temporary_file)
    make_asset()
    response = officer_client.get(reverse("asset_list"), {"_export": "xlsx"})
    assert response.streaming
    assert int(response["Content-Length"]) > 0
    assert len(opened) == 1 and not opened[0].closed
    _body(response)
    assert opened[0].closed  # an anonymous temporary file: closing it removes it


# --- formula injection -----------------------------------------------------------------------


def test_formulas_are_neutralised_in_both_formats(officer_client):
    make_asset(serial='=HYPERLINK("http://x.example","open")')
    make_asset(serial="+79001234567")
    make_asset(serial="-1+2")
    make_asset(serial="@SUM(A1)")
    make_asset(office=OfficeFactory(name_en="\tTabbed office"))
    make_asset(office=OfficeFactory(name_en="\rReturn office"))
    make_asset(office=OfficeFactory(name_en="=cmd|' /C calc'!A0"))

    sheet = _sheet(officer_client.get(reverse("asset_list"), {"_export": "xlsx"}))
    xlsx_cells = {cell for row in _sheet_rows(sheet) for cell in row[1:6:4]}
    _, rows = _csv(officer_client.get(reverse("asset_list"), {"_export": "csv"}))
    csv_cells = {cell for row in rows[1:] for cell in row[1:6:4]}
    # Without lxml, openpyxl writes a bare carriage return that XML reads back as a line feed.
    xlsx_cells = {c.replace("\n", "\r") if isinstance(c, str) else c for c in xlsx_cells}
    for cells, carriage_return in ((xlsx_cells, "\r"), (csv_cells, "\r")):
        assert {
            '\'=HYPERLINK("HTTP://X.EXAMPLE","OPEN")',
            "'+79001234567",
            "'-1+2",
            "'@SUM(A1)",
            "'\tTabbed office",
            f"'{carriage_return}Return office",
            "'=cmd|' /C calc'!A0",
        } <= cells
        assert not any(
            isinstance(cell, str) and cell[:1] in ("=", "+", "-", "@", "\t", "\r") for cell in cells
        )


# --- typed cells, through a table with money, dates and free text ------------------------


class AssetRegisterTable(AssetTable):
    """The asset list with the value, warranty and free-text columns a register page may add."""

    value = tables.Column(verbose_name="Value (USD)")
    warranty_end = tables.Column(verbose_name="Warranty end")
    custodian = tables.Column(verbose_name="Custodian")
    notes = tables.Column(verbose_name="Notes")
    updated_at = tables.Column(verbose_name="Last changed")

    class Meta(AssetTable.Meta):
        sequence = (
            *AssetTable.Meta.sequence,
            "value",
            "warranty_end",
            "custodian",
            "notes",
            "updated_at",
        )


class AssetRegisterView(AssetListView):
    table_class = AssetRegisterTable


def _register_export(rf, user, export_format: str, **query):
    request = rf.get("/assets/", {**query, "_export": export_format})
    request.user = user
    return AssetRegisterView.as_view()(request)


def test_money_dates_and_integers_are_typed_in_xlsx(rf, officer):
    asset = make_asset(
        value=Decimal("1234.50"),
        warranty_end=dt.date(2027, 3, 15),
        custodian='=HYPERLINK("http://x.example","Payroll")',
        notes="+ remember",
    )
    Asset.objects.filter(pk=asset.pk).update(
        updated_at=dt.datetime(2026, 11, 27, 4, 30, tzinfo=dt.UTC)
    )
    bare = make_asset()  # no value, no warranty
    Asset.objects.filter(pk=bare.pk).update(notes="\tsecret", custodian="-Ivanov")

    sheet = _sheet(_register_export(rf, officer, "xlsx"))
    assert [cell.value for cell in sheet[2]][8:] == [
        "Value (USD)",
        "Warranty end",
        "Custodian",
        "Notes",
        "Last changed",
    ]
    value, warranty, custodian, notes, changed = sheet[3][8:]
    assert value.value == Decimal("1234.50") or value.value == 1234.5
    assert value.data_type == "n"
    assert value.number_format == '#,##0.00 "USD"'
    assert warranty.is_date
    assert warranty.value == dt.datetime(2027, 3, 15)
    assert warranty.number_format == "dd.mm.yyyy"
    assert custodian.value == '\'=HYPERLINK("http://x.example","Payroll")'
    assert custodian.data_type == "s"
    assert notes.value == "'+ remember"
    assert changed.is_date
    assert changed.value == dt.datetime(2026, 11, 27, 9, 30)  # Asia/Dushanbe is UTC+5
    assert changed.number_format == "dd.mm.yyyy hh:mm"
    empty_value, empty_warranty, custodian, notes, _ = sheet[4][8:]
    assert empty_value.value is None and empty_warranty.value is None
    assert (custodian.value, notes.value) == ("'-Ivanov", "'\tsecret")
    assert sheet.column_dimensions["I"].width >= len("1,234.50 USD")

    _, rows = _csv(_register_export(rf, officer, "csv"))
    assert rows[1][8:] == [
        "1234.50",
        "2027-03-15",
        '\'=HYPERLINK("http://x.example","Payroll")',
        "'+ remember",
        "2026-11-27 09:30",
    ]
    assert rows[2][8:12] == ["", "", "'-Ivanov", "'\tsecret"]


def test_integers_stay_numbers(officer_client):
    office = OfficeFactory(code="OF-INT")
    make_asset(office=office)
    make_asset(office=office)
    sheet = _sheet(officer_client.get(reverse("office_list"), {"_export": "xlsx"}))
    assert [cell.value for cell in sheet[2]] == [
        str(column.header) for column in OfficeTable([]).columns
    ]
    (row,) = _sheet_rows(sheet)
    assert row[0] == "OF-INT"
    assert row[-1] == 2
    assert isinstance(row[-1], int)
    _, rows = _csv(officer_client.get(reverse("office_list"), {"_export": "csv"}))
    assert rows[1][0] == "OF-INT"
    assert rows[1][-1] == "2"


# --- the fast cell reader gives what django-tables2 gives ------------------------------------


class ParityTable(AssetRegisterTable):
    """Accessors of every kind the reader handles: choices across a link, callables, properties."""

    zone = tables.Column()  # choices, blank for some
    office_kind = tables.Column(accessor="office__kind")  # choices behind a nullable link
    url = tables.Column(accessor="get_absolute_url")  # a method, called
    category_name = tables.Column(accessor="asset_model__category__name")  # a property
    missing = tables.Column(accessor="office__no_such_attribute")  # an empty cell
    both = tables.Column(accessor="serial", empty_values=())

    class Meta(AssetRegisterTable.Meta):
        sequence = (*AssetRegisterTable.Meta.sequence, "...")

    def value_both(self, value, record, bound_row):
        return f"{record.tag}/{value}/{bound_row.record.pk}"


def test_cell_reader_matches_bound_row(officer):
    from django_tables2.rows import BoundRow

    from inventory.selectors import asset_queryset, office_queryset

    deployed = make_asset(
        value=Decimal("10.00"), warranty_end=dt.date(2027, 1, 1), zone="front_office"
    )
    make_asset(status=AssetStatus.IN_STOCK, handover_set=HandoverSetFactory())
    make_asset(status=AssetStatus.IN_STOCK)
    for table in (
        ParityTable(asset_queryset(user=officer)),
        OfficeTable(office_queryset(user=officer)),
    ):
        readers = [CellReader(table, column.name, table.data.model) for column in table.columns]
        records = list(table.data.data)
        assert records
        for record in records:
            row = BoundRow(record, table=table)
            assert [reader.read(record, row) for reader in readers] == [
                row.get_cell_value(column.name) for column in table.columns
            ]
    table = ParityTable(asset_queryset(user=officer).filter(pk=deployed.pk))
    record = table.data.data.get()
    row = BoundRow(record, table=table)
    cells = {c.name: CellReader(table, c.name, Asset).read(record, row) for c in table.columns}
    assert cells["zone"] == "Front office"
    assert cells["office_kind"] == "District CR office"
    assert cells["url"] == deployed.get_absolute_url()
    assert cells["category_name"] == "Printer"
    assert cells["missing"] is None
    assert cells["both"] == f"{deployed.tag}/{deployed.serial}/{deployed.pk}"
    assert cells["value"] == Decimal("10.00")


# --- scope and language ----------------------------------------------------------------------


def test_a_technician_exports_only_their_regions_assets(client, db):
    north, south = RegionFactory(code="NO"), RegionFactory(code="SO")
    mine = make_asset(office=OfficeFactory(district=DistrictFactory(region=north)))
    make_asset(office=OfficeFactory(district=DistrictFactory(region=south)))
    make_asset(status=AssetStatus.IN_STOCK)  # no office: national staff only
    technician = make_user("technician", regions=[north])
    client.force_login(technician)

    sheet = _sheet(client.get(reverse("asset_list"), {"_export": "xlsx"}))
    assert [row[0] for row in _sheet_rows(sheet)] == [mine.tag]
    _, rows = _csv(client.get(reverse("asset_list"), {"_export": "csv"}))
    assert [row[0] for row in rows[1:]] == [mine.tag]
    _, rows = _csv(client.get(reverse("office_list"), {"_export": "csv"}))
    assert [row[0] for row in rows[1:]] == [mine.office.code]


def test_headers_and_values_are_in_the_users_language(officer_client):
    make_asset()
    ru = {"HTTP_ACCEPT_LANGUAGE": "ru"}
    sheet = _sheet(officer_client.get(reverse("asset_list"), {"_export": "xlsx"}, **ru))
    header = [cell.value for cell in sheet[2]]
    assert header[:2] == ["Инвентарный номер", "Серийный номер"]
    assert header[4] == "Статус"
    (row,) = _sheet_rows(sheet)
    assert row[3:5] == ("Принтер", "Развёрнут")
    assert row[5].startswith("ЗАГС ")  # the office's Russian name

    body, rows = _csv(officer_client.get(reverse("asset_list"), {"_export": "csv"}, **ru))
    assert body.startswith("\ufeffИнвентарный номер,Серийный номер".encode())
    assert rows[1][3:5] == ["Принтер", "Развёрнут"]


# --- a fixed number of queries ---------------------------------------------------------------

# Queries per export for a logistics officer: session, user, roles, the rows (read in chunks of
# 2,000), then per chunk one query per related table the list shows (assets: model,
# manufacturer, category, office, region, handover set; offices: region, district).
# Filtering by region adds the check that the region exists.
EXPECTED_QUERIES = {
    ("asset_list", None): 10,
    ("asset_list", "filtered"): 11,
    ("office_list", None): 6,
}


def _fill(n: int, user):
    regions = [RegionFactory(code=f"Q{i}") for i in range(3)]
    offices = [OfficeFactory(district=DistrictFactory(region=regions[i % 3])) for i in range(5)]
    categories = [CategoryFactory(code=code) for code in ("printer", "laptop")]
    models = [
        AssetModelFactory(
            manufacturer=ManufacturerFactory(name=f"Maker {i}"),
            name=f"Model {i}",
            category=categories[i % 2],
        )
        for i in range(4)
    ]
    sets = [HandoverSetFactory() for _ in range(2)]
    for i in range(n):
        make_asset(
            by=user, asset_model=models[i % 4], office=offices[i % 5], handover_set=sets[i % 2]
        )
    return regions


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("export_format", ["xlsx", "csv"])
@pytest.mark.parametrize(("page", "variant"), list(EXPECTED_QUERIES))
def test_query_count_is_fixed(client, rows, export_format, page, variant):
    user = make_user("logistics_officer")
    regions = _fill(rows, user)
    client.force_login(user)
    query = {"_export": export_format}
    if variant == "filtered":
        query.update({"status": "deployed", "region": regions[0].pk, "sort": "-serial"})
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse(page), query)
        body = _body(response)  # a streamed body runs its queries while it is read
    sql = "\n".join(q["sql"] for q in captured.captured_queries)
    assert len(captured.captured_queries) == EXPECTED_QUERIES[(page, variant)], sql
    assert body
