"""Distribution plan: the figures and flags, the grid and its save, the export, query counts."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation
from openpyxl import load_workbook
from pypdf import PdfWriter

from deployments import services
from deployments.choices import ItemOutcome
from deployments.models import DistributionPlanLine
from deployments.panels import plan_office_panel
from deployments.selectors import (
    PlanCounts,
    plan_counts,
    plan_office_sets,
    plan_set_summaries,
)
from deployments.services import ItemCheck
from inventory.choices import AssetStatus, OfficeKind, Zone
from inventory.importing import IMPORT_KINDS, import_run
from inventory.models import HandoverSetLine
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

pytestmark = pytest.mark.django_db

ROLES = ["administrator", "logistics_officer", "auditor", "technician", "office_head"]
READ_ONLY_ROLES = ["auditor", "technician", "office_head"]


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    """Keep uploaded scans in a temporary folder."""
    settings.MEDIA_ROOT = tmp_path / "media"


def pdf_bytes() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


ACT_DETAILS = {
    "language": "en",
    "act_date": dt.date(2026, 3, 14),
    "giver_name": "Nodira Karimova",
    "giver_position": "Head of logistics",
    "receiver_name": "Farrukh Saidov",
    "receiver_position": "Head of the CR office",
}


def declare(handover_set, category, quantity):
    HandoverSetLine.objects.create(
        handover_set=handover_set,
        category=category,
        declared_quantity=quantity,
        declared_value=Decimal("100.00") * quantity,
    )


@pytest.fixture
def world():
    """A set declaring 4 laptops and 2 printers, planned for offices A and B, half delivered.

    - plan: A 2 laptops and 1 printer, B 3 laptops (laptops over-, printers under-allocated);
    - a transfer to A of 3 laptops of the set (one received, one damaged, one missing) and
      one laptop of another set (received);
    - a draft transfer to B (not counted) and a signed act at A for what arrived, with a
      draft act beside it (not counted).
    """
    officer = make_user("logistics_officer", username="planner", first_name="Nodira")
    north, south = RegionFactory(code="PN"), RegionFactory(code="PS")
    a = OfficeFactory(
        code="CR-PA", name_en="Aini CR office", district=DistrictFactory(region=north)
    )
    b = OfficeFactory(
        code="CR-PB", name_en="Bokhtar CR office", district=DistrictFactory(region=north)
    )
    c = OfficeFactory(
        code="CR-PC", name_en="Chkalov CR office", district=DistrictFactory(region=south)
    )
    warehouse = OfficeFactory(
        code="WH-P", kind=OfficeKind.WAREHOUSE, district=DistrictFactory(region=north)
    )
    laptop = CategoryFactory(code="laptop", tag_prefix="LT", name_en="Laptop")
    printer = CategoryFactory(code="printer", tag_prefix="PR", name_en="Printer")
    laptop_model = AssetModelFactory(
        manufacturer=ManufacturerFactory(name="Lenovo"), name="ThinkPad E14", category=laptop
    )
    printer_model = AssetModelFactory(
        manufacturer=ManufacturerFactory(name="HP"), name="LaserJet M404", category=printer
    )
    handover_set = HandoverSetFactory(
        code="HS-P1", name_en="CR offices", handover_date=dt.date(2024, 3, 15)
    )
    other_set = HandoverSetFactory(
        code="HS-P2", name_en="Archives", handover_date=dt.date(2024, 3, 16)
    )
    declare(handover_set, laptop, 4)
    declare(handover_set, printer, 2)
    services.plan_save(
        handover_set=handover_set,
        quantities={(a.pk, laptop.pk): 2, (a.pk, printer.pk): 1, (b.pk, laptop.pk): 3},
        by=officer,
    )

    def stock(model, the_set):
        return make_asset(
            status=AssetStatus.IN_STOCK, office=warehouse, asset_model=model, handover_set=the_set
        )

    laptops = [stock(laptop_model, handover_set) for _ in range(3)]
    foreign = stock(laptop_model, other_set)
    transfer = services.transfer_create(
        by=officer, origin=warehouse, destination=a, destination_zone=Zone.FRONT_OFFICE
    )
    services.transfer_add_assets(
        transfer=transfer, by=officer, asset_ids=[x.pk for x in [*laptops, foreign]]
    )
    services.transfer_dispatch(transfer=transfer, by=officer)
    services.transfer_receive(
        transfer=transfer,
        by=officer,
        checks={
            laptops[0].pk: ItemCheck(ItemOutcome.RECEIVED),
            laptops[1].pk: ItemCheck(ItemOutcome.DAMAGED, "Cracked lid"),
            laptops[2].pk: ItemCheck(ItemOutcome.MISSING),
            foreign.pk: ItemCheck(ItemOutcome.RECEIVED),
        },
    )
    draft = services.transfer_create(
        by=officer, origin=warehouse, destination=b, destination_zone=Zone.BACK_OFFICE
    )
    services.transfer_add_assets(
        transfer=draft, by=officer, asset_ids=[stock(printer_model, handover_set).pk]
    )
    act = services.handover_act_for_transfer(transfer=transfer, by=officer, **ACT_DETAILS)
    services.handover_act_sign(
        act=act, by=officer, upload=SimpleUploadedFile("signed.pdf", pdf_bytes())
    )
    services.handover_act_for_office(
        office=a, by=officer, asset_ids=[laptops[0].pk], **ACT_DETAILS
    )  # a draft: signs for nothing
    return SimpleNamespace(
        officer=officer,
        north=north,
        south=south,
        a=a,
        b=b,
        c=c,
        warehouse=warehouse,
        laptop=laptop,
        printer=printer,
        set=handover_set,
        other_set=other_set,
    )


def counts(planned=0, dispatched=0, received=0, signed=0) -> PlanCounts:
    return PlanCounts(planned=planned, dispatched=dispatched, received=received, signed=signed)


# The figures --------------------------------------------------------------------------------


def test_figures_follow_the_definitions(world):
    w = world
    assert plan_counts(handover_set_ids=[w.set.pk, w.other_set.pk]) == {
        # dispatched 3 (the missing one too), received 2 (damaged counts), signed 2
        (w.set.pk, w.a.pk, w.laptop.pk): counts(2, 3, 2, 2),
        (w.set.pk, w.a.pk, w.printer.pk): counts(1),
        # the draft transfer to B counts nothing
        (w.set.pk, w.b.pk, w.laptop.pk): counts(3),
        (w.other_set.pk, w.a.pk, w.laptop.pk): counts(0, 1, 1, 1),
    }


def test_a_set_summary_flags_over_and_under_allocation(world):
    w = world
    summary, other = plan_set_summaries(handover_sets=[w.set, w.other_set])
    laptops, printers = summary.categories
    assert (laptops.category, laptops.declared, laptops.counts) == (w.laptop, 4, counts(5, 3, 2, 2))
    assert (laptops.over_allocated, laptops.under_allocated, laptops.overplanned) == (
        True,
        False,
        1,
    )
    assert (printers.category, printers.declared, printers.counts) == (w.printer, 2, counts(1))
    assert (printers.over_allocated, printers.under_allocated, printers.unplanned) == (
        False,
        True,
        1,
    )
    assert (summary.declared, summary.planned, summary.dispatched) == (6, 6, 3)
    assert (summary.received, summary.signed) == (2, 2)
    assert summary.over_allocated and summary.under_allocated
    # Devices of a set that declares nothing still show, and plan nothing: no flag.
    (line,) = other.categories
    assert (line.declared, line.counts) == (0, counts(0, 1, 1, 1))
    assert not other.over_allocated and not other.under_allocated


def test_a_superseded_act_no_longer_signs_for_its_devices(world):
    w = world
    act = w.a.handover_acts.get(status="signed")
    correction = services.handover_act_correct(act=act, by=w.officer)
    key = (w.set.pk, w.a.pk, w.laptop.pk)
    assert plan_counts(handover_set_ids=[w.set.pk])[key].signed == 2  # the old one still holds
    services.handover_act_sign(
        act=correction, by=w.officer, upload=SimpleUploadedFile("again.pdf", pdf_bytes())
    )
    assert plan_counts(handover_set_ids=[w.set.pk])[key].signed == 2  # counted once, not twice


def test_an_office_sees_its_figures_per_set_and_category(world):
    w = world
    first, second = plan_office_sets(office=w.a)
    assert first.handover_set == w.set
    assert first.lines == [(w.laptop, counts(2, 3, 2, 2)), (w.printer, counts(1))]
    assert first.total == counts(3, 3, 2, 2)
    assert first.lines[0][1].more_than_planned
    assert second.handover_set == w.other_set
    assert second.lines == [(w.laptop, counts(0, 1, 1, 1))]
    assert plan_office_sets(office=w.c) == []


# The pages ----------------------------------------------------------------------------------


def _table_rows(page: str) -> list[str]:
    body = page[page.index("<tbody>") : page.index("</tbody>")]
    return body.split("<tr>")[1:]


def _user(role, w):
    if role == "technician":
        return make_user(role, regions=[w.south])
    if role == "office_head":
        return make_user(role, office=w.a)
    return make_user(role)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reads_the_plan(client, world, role):
    client.force_login(_user(role, world))
    assert client.get(reverse("plan_list")).status_code == 200
    response = client.get(reverse("plan_detail", args=["HS-P1"]))
    assert response.status_code == 200
    page = response.content.decode()
    assert f'href="{reverse("plan_list")}"' in page  # the menu's link
    editable = role in ("administrator", "logistics_officer")
    assert ('id="plan-form"' in page) is editable
    assert ('type="number"' in page) is editable


def test_anonymous_users_are_sent_to_log_in(client, world):
    for url in (reverse("plan_list"), reverse("plan_detail", args=["HS-P1"])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    response = client.post(reverse("plan_detail", args=["HS-P1"]), {})
    assert response.status_code == 302


def test_an_unknown_set_is_not_found(client, world):
    client.force_login(world.officer)
    response = client.get(reverse("plan_detail", args=["HS-NONE"]))
    assert response.status_code == 404
    assert "There is nothing here" in response.content.decode()


def test_the_list_shows_each_set_with_totals_and_flags(client, world):
    client.force_login(_user("technician", world))
    page = client.get(reverse("plan_list")).content.decode()
    rows = {re.search(r">(HS-P\d)</a>", row).group(1): row for row in _table_rows(page)}
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in rows["HS-P1"].split("</td>")]
    # set, name, declared, planned, dispatched, received, signed (whole country), allocation
    assert cells[:8] == [
        "HS-P1",
        "CR offices",
        "6",
        "6",
        "3",
        "2",
        "2",
        "over-allocated under-allocated",
    ]
    assert "as declared" in rows["HS-P2"]


def test_the_grid_shows_the_summary_cells_and_flags(client, world):
    client.force_login(world.officer)
    page = client.get(reverse("plan_detail", args=["HS-P1"])).content.decode()
    assert "over-allocated by 1" in page
    assert "under-allocated: 1 not planned" in page
    cell = page[page.index(f'name="plan-{world.a.pk}-{world.laptop.pk}"') :]
    cell = cell[: cell.index("</td>")]
    assert 'value="2"' in cell
    assert "3 / 2 / 2" in cell
    assert "more than planned" in cell
    # Offices are the active ones but the warehouse.
    assert world.c.code in page
    assert world.warehouse.code not in page


@pytest.mark.parametrize(
    ("role", "shown", "hidden"),
    [("technician", ["c"], ["a", "b"]), ("office_head", ["a"], ["b", "c"])],
)
def test_scoped_users_see_only_their_offices(client, world, role, shown, hidden):
    client.force_login(_user(role, world))
    page = client.get(reverse("plan_detail", args=["HS-P1"])).content.decode()
    grid = page[page.index('id="plan-grid"') :]
    for name in shown:
        assert getattr(world, name).code in grid
    for name in hidden:
        assert getattr(world, name).code not in grid
    # The set's summary stays the whole country's.
    assert "over-allocated by 1" in page


def test_the_grid_filters_by_region_and_by_name_or_code(client, world):
    client.force_login(world.officer)
    url = reverse("plan_detail", args=["HS-P1"])
    page = client.get(url, {"region": world.south.pk}).content.decode()
    grid = page[page.index('id="plan-grid"') :]
    assert world.c.code in grid and world.a.code not in grid
    page = client.get(url, {"q": "bokhtar"}).content.decode()
    grid = page[page.index('id="plan-grid"') :]
    assert world.b.code in grid and world.a.code not in grid and world.c.code not in grid


def _grid_post(world, changes, *, initial=None):
    """Return the POST of the whole grid as the page showed it, with ``changes`` typed in."""
    shown = {
        (world.a, world.laptop): "2",
        (world.a, world.printer): "1",
        (world.b, world.laptop): "3",
    }
    shown.update(initial or {})
    data = {}
    for office in (world.a, world.b, world.c):
        for category in (world.laptop, world.printer):
            name = f"plan-{office.pk}-{category.pk}"
            value = shown.get((office, category), "")
            data[f"initial-{name}"] = value
            data[name] = changes.get((office, category), value)
    return data


def _plan(world):
    return {
        (line.office.code, line.category.code): line.planned_quantity
        for line in DistributionPlanLine.objects.filter(handover_set=world.set).select_related(
            "office", "category"
        )
    }


def test_saving_the_grid_creates_changes_and_removes_lines(client, world):
    w = world
    client.force_login(w.officer)
    url = reverse("plan_detail", args=["HS-P1"])
    data = _grid_post(w, {(w.a, w.laptop): "4", (w.b, w.laptop): "", (w.c, w.printer): "2"})
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"] == url
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Plan of HS-P1 saved. Lines created: 1, changed: 1, removed: 1."
    ]
    assert _plan(w) == {
        ("CR-PA", "laptop"): 4,
        ("CR-PA", "printer"): 1,
        ("CR-PC", "printer"): 2,
    }
    line = DistributionPlanLine.objects.get(office=w.a, category=w.laptop)
    assert line.history.first().history_user == w.officer


def test_saving_an_unchanged_grid_says_so(client, world):
    client.force_login(world.officer)
    response = client.post(reverse("plan_detail", args=["HS-P1"]), _grid_post(world, {}))
    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Nothing to save: no planned quantity was changed."
    ]


def test_only_the_cells_typed_in_are_saved(client, world):
    """Someone else's change to a cell this page did not touch is kept."""
    w = world
    client.force_login(w.officer)
    data = _grid_post(w, {(w.a, w.printer): "5"})  # the page was loaded while B had 3 laptops
    services.plan_save(handover_set=w.set, quantities={(w.b.pk, w.laptop.pk): 7}, by=w.officer)
    client.post(reverse("plan_detail", args=["HS-P1"]), data)
    assert _plan(w)[("CR-PB", "laptop")] == 7
    assert _plan(w)[("CR-PA", "printer")] == 5


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("-1", "A planned quantity cannot be negative."),
        ("two", "Enter a whole number of devices."),
        ("2.5", "Enter a whole number of devices."),
        ("10000", "Plan at most 9999 devices per office and category."),
    ],
)
def test_a_wrong_cell_is_shown_next_to_it_and_nothing_is_saved(client, world, typed, message):
    w = world
    client.force_login(w.officer)
    before = _plan(w)
    data = _grid_post(w, {(w.a, w.laptop): "5", (w.c, w.printer): typed})
    response = client.post(reverse("plan_detail", args=["HS-P1"]), data)
    assert response.status_code == 200
    assert _plan(w) == before
    page = response.content.decode()
    assert "1 quantity is wrong (marked below). Nothing was saved." in page
    cell = page[page.index(f'name="plan-{w.c.pk}-{w.printer.pk}"') :]
    cell = cell[: cell.index("</td>")]
    assert message in cell
    assert f'value="{typed}"' in cell  # what was typed stays, to be corrected
    # The other change typed in is still on the page, not lost.
    assert 'value="5"' in page[page.index(f'name="plan-{w.a.pk}-{w.laptop.pk}"') :][:200]


def test_a_wrong_cell_is_explained_in_the_users_language(client, world):
    w = world
    client.force_login(w.officer)
    data = _grid_post(w, {(w.c, w.printer): "-1"})
    response = client.post(reverse("plan_detail", args=["HS-P1"]), data, HTTP_ACCEPT_LANGUAGE="ru")
    assert response.status_code == 200
    assert response.wsgi_request.LANGUAGE_CODE == "ru"
    with translation.override("ru"):
        expected = translation.gettext("A planned quantity cannot be negative.")
    assert expected in response.content.decode()


def test_cells_of_offices_not_listed_are_ignored(client, world):
    """A crafted field for an office outside the filter (or the scope) changes nothing."""
    w = world
    client.force_login(w.officer)
    data = {f"plan-{w.c.pk}-{w.laptop.pk}": "9", f"initial-plan-{w.c.pk}-{w.laptop.pk}": ""}
    url = reverse("plan_detail", args=["HS-P1"]) + f"?region={w.north.pk}"
    response = client.post(url, data)
    assert response.status_code == 302
    assert ("CR-PC", "laptop") not in _plan(w)


@pytest.mark.parametrize("role", READ_ONLY_ROLES)
def test_read_only_users_cannot_save(client, world, role):
    w = world
    client.force_login(_user(role, w))
    data = _grid_post(w, {(w.a, w.laptop): "9"})
    response = client.post(reverse("plan_detail", args=["HS-P1"]), data)
    assert response.status_code == 403
    assert "Your role does not allow this." in response.content.decode()
    assert _plan(w)[("CR-PA", "laptop")] == 2


def test_the_office_page_shows_the_plan_panel(client, world):
    client.force_login(_user("office_head", world))
    page = client.get(reverse("office_detail", args=[world.a.pk])).content.decode()
    panel = page[page.rindex('id="plan-panel"') :]
    assert "HS-P1" in panel and "HS-P2" in panel
    assert "more than planned" in panel
    client.force_login(world.officer)
    page = client.get(reverse("office_detail", args=[world.c.pk])).content.decode()
    assert 'id="plan-panel"' not in page  # nothing planned, sent or signed there


# The export ---------------------------------------------------------------------------------


def _export_body(response) -> bytes:
    # The test client closes a streamed response once read; closing it again would send
    # request_finished, which closes the database connection mid-test.
    return b"".join(response.streaming_content)


@pytest.mark.parametrize("language", ["en", "ru"])
@pytest.mark.parametrize("export_format", ["xlsx", "csv"])
def test_an_exported_plan_imports_back_as_all_unchanged(client, world, export_format, language):
    w = world
    DistributionPlanLine.objects.filter(office=w.a, category=w.printer).update(notes="Front desk")
    client.force_login(w.officer)
    with translation.override(language):
        url = reverse("plan_detail", args=["HS-P1"])
    response = client.get(url, {"_export": export_format}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    body = _export_body(response)
    with translation.override(language):
        report = import_run(
            kind=IMPORT_KINDS["plan_lines"],
            file=io.BytesIO(body),
            filename=f"plan.{export_format}",
            user=w.officer,
            dry_run=True,
        )
    assert report.ok, report.lines()
    assert report.ignored_headers == []
    assert report.totals == {"new": 0, "update": 0, "unchanged": 3, "error": 0}


def test_the_export_has_the_import_columns_and_the_page_filters(client, world):
    client.force_login(world.officer)
    url = reverse("plan_detail", args=["HS-P1"])
    response = client.get(url, {"_export": "csv", "q": "CR-PA"})
    rows = list(csv.reader(io.StringIO(_export_body(response).decode("utf-8-sig"))))
    assert rows == [
        ["Handover set", "Office", "Category", "Planned quantity", "Notes"],
        ["HS-P1", "CR-PA", "Laptop", "2", ""],
        ["HS-P1", "CR-PA", "Printer", "1", ""],
    ]
    response = client.get(url, {"_export": "xlsx", "region": world.north.pk})
    sheet = load_workbook(io.BytesIO(_export_body(response))).active
    assert sheet.freeze_panes == "A3"
    assert "Distribution plan HS-P1" in sheet["A1"].value
    assert [cell.value for cell in sheet[2]] == [
        "Handover set",
        "Office",
        "Category",
        "Planned quantity",
        "Notes",
    ]
    assert sheet["A2"].font.bold
    assert [[cell.value for cell in row] for row in sheet.iter_rows(min_row=3)] == [
        ["HS-P1", "CR-PA", "Laptop", 2, None],
        ["HS-P1", "CR-PA", "Printer", 1, None],
        ["HS-P1", "CR-PB", "Laptop", 3, None],
    ]


def test_the_export_neutralises_formulas_and_follows_the_scope(client, world):
    w = world
    DistributionPlanLine.objects.filter(office=w.b).update(notes="=HYPERLINK(1)")
    client.force_login(w.officer)
    url = reverse("plan_detail", args=["HS-P1"])
    body = _export_body(client.get(url, {"_export": "csv"})).decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in body
    client.force_login(_user("office_head", w))
    body = _export_body(client.get(url, {"_export": "csv"})).decode("utf-8-sig")
    assert "CR-PA" in body and "CR-PB" not in body


def test_an_unknown_export_format_is_refused(client, world):
    client.force_login(world.officer)
    response = client.get(reverse("plan_detail", args=["HS-P1"]), {"_export": "pdf"})
    assert response.status_code == 400
    assert "cannot be exported as “pdf”" in response.content.decode()


def test_the_list_exports_its_rows(client, world):
    client.force_login(world.officer)
    response = client.get(reverse("plan_list"), {"_export": "csv"})
    rows = list(csv.reader(io.StringIO(_export_body(response).decode("utf-8-sig"))))
    assert rows[0][:3] == ["Handover set", "Name", "Declared"]
    assert rows[1] == [
        "HS-P1",
        "CR offices",
        "6",
        "6",
        "3",
        "2",
        "2",
        "over-allocated, under-allocated",
    ]


# Query counts -------------------------------------------------------------------------------

# Expected queries for a logistics officer; the same with 1 office as with 50.
# session, user, 2 permission lookups (cached for the menu), roles, the set, the regions of
# the filter, the offices, categories, declared lines, and plan lines, transfer items and
# act items grouped per office and category.
# … and the open-alert count in the menu.
PLAN_DETAIL_QUERIES = 14
# session, user, 2 permission lookups, the sets, the three grouped counts, declared lines,
# categories, and the roles (for the name shown in the header).
PLAN_LIST_QUERIES = 12
# plan lines, transfer items and act items of the office, then its sets and categories.
PLAN_PANEL_QUERIES = 5


def _fill(n: int, world):
    """Give the set a plan line per category for n more offices, half of them in the south."""
    offices = [
        OfficeFactory(district=DistrictFactory(region=world.north if i % 2 else world.south))
        for i in range(n)
    ]
    services.plan_save(
        handover_set=world.set,
        quantities={
            (office.pk, category.pk): i + 1
            for i, office in enumerate(offices)
            for category in (world.laptop, world.printer)
        },
        by=world.officer,
    )
    return offices


@pytest.mark.parametrize("rows", [1, 50])
def test_plan_detail_runs_a_fixed_number_of_queries(client, world, django_assert_num_queries, rows):
    _fill(rows, world)
    client.force_login(world.officer)
    with django_assert_num_queries(PLAN_DETAIL_QUERIES):
        response = client.get(reverse("plan_detail", args=["HS-P1"]))
    assert response.content.decode().count('class="plan-qty"') == 2 * (rows + 3)


@pytest.mark.parametrize("rows", [1, 50])
def test_plan_detail_post_runs_a_fixed_number_of_queries(client, world, rows):
    offices = _fill(rows, world)
    client.force_login(world.officer)
    data = {}
    for office in offices:
        for category in (world.laptop, world.printer):
            name = f"plan-{office.pk}-{category.pk}"
            data[name], data[f"initial-{name}"] = "-1", "1"  # every cell wrong: re-rendered
    with CaptureQueriesContext(connection) as context:
        response = client.post(reverse("plan_detail", args=["HS-P1"]), data)
    assert response.status_code == 200
    assert len(context.captured_queries) == PLAN_DETAIL_QUERIES


@pytest.mark.parametrize("rows", [1, 50])
def test_plan_list_runs_a_fixed_number_of_queries(client, world, django_assert_num_queries, rows):
    _fill(rows, world)
    for i in range(rows):
        HandoverSetFactory(code=f"HS-Q{i:02d}")
    client.force_login(world.officer)
    with django_assert_num_queries(PLAN_LIST_QUERIES):
        response = client.get(reverse("plan_list"))
    assert response.content.decode().count("<tr>") == 1 + min(rows + 2, 50)


@pytest.mark.parametrize("rows", [1, 50])
def test_the_office_panel_runs_a_fixed_number_of_queries(world, django_assert_num_queries, rows):
    office = world.a
    categories = [world.laptop, world.printer]
    for i in range(rows):
        other = HandoverSetFactory(code=f"HS-R{i:02d}")
        services.plan_save(
            handover_set=other,
            quantities={(office.pk, category.pk): 1 for category in categories},
            by=world.officer,
        )
    request = RequestFactory().get("/")
    request.user = world.officer
    request.user.has_perm("deployments.view_distributionplanline")  # the page already asked
    with django_assert_num_queries(PLAN_PANEL_QUERIES):
        panel = plan_office_panel(request, office)
    assert len(panel.context["sets"]) == rows + 2
