"""Repair tickets: the workflow and the asset's status, forbidden steps and their messages,
photos, downtime, scope (another region's ticket is a 404), pages and their query counts."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from inventory.choices import AssetStatus
from monitoring import services
from monitoring.choices import AlertKind, AlertSeverity, FaultCategory, RepairStatus
from monitoring.models import Alert, RepairTicket
from monitoring.tables import downtime_words
from tests.factories import DistrictFactory, OfficeFactory, RegionFactory, make_asset, make_user
from tests.monitoring.test_models_services import make_device, monitored_asset

# --- Pure: the workflow's steps, downtime ------------------------------------------------------


@pytest.mark.parametrize(
    ("from_status", "to_status"),
    [
        ("open", "in_progress"),
        ("open", "resolved"),
        ("in_progress", "waiting_parts"),
        ("waiting_parts", "in_progress"),
        ("waiting_parts", "resolved"),
        ("in_progress", "beyond_repair"),
    ],
)
def test_allowed_steps(from_status, to_status):
    services.repair_step_check(from_status=from_status, to_status=to_status)


@pytest.mark.parametrize(
    ("from_status", "to_status", "message"),
    [
        ("resolved", "in_progress", "A repair ticket cannot go from “Resolved” to “In progress”."),
        ("beyond_repair", "open", "A repair ticket cannot go from “Beyond repair” to “Open”."),
        ("in_progress", "open", "A repair ticket cannot go from “In progress” to “Open”."),
        ("open", "fixed", "“fixed” is not a ticket status."),
    ],
)
def test_forbidden_steps_name_both_states(from_status, to_status, message):
    with pytest.raises(ValidationError) as error:
        services.repair_step_check(from_status=from_status, to_status=to_status)
    assert error.value.message_dict == {"to_status": [message]}


def test_next_statuses_in_workflow_order():
    assert services.repair_next_statuses("open") == [
        "in_progress",
        "waiting_parts",
        "resolved",
        "beyond_repair",
    ]
    assert services.repair_next_statuses("resolved") == []


def test_downtime_from_report_to_resolution_without_database():
    reported = dt.datetime(2026, 3, 1, 9, 0, tzinfo=dt.UTC)
    ticket = RepairTicket(reported_at=reported, resolved_at=reported + dt.timedelta(hours=27))
    assert ticket.downtime == dt.timedelta(hours=27)
    assert downtime_words(ticket.downtime) == "1 d 3 h"
    assert downtime_words(dt.timedelta(minutes=95)) == "1 h 35 min"
    assert downtime_words(dt.timedelta(minutes=7)) == "7 min"
    still_open = RepairTicket(reported_at=timezone.now() - dt.timedelta(hours=2))
    assert dt.timedelta(hours=2) <= still_open.downtime < dt.timedelta(hours=2, minutes=1)


# --- The workflow and the asset's status --------------------------------------------------------

pytestmark_db = pytest.mark.django_db


def _png(size=(8, 8), fmt="PNG") -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 10, 10)).save(buffer, format=fmt)
    return buffer.getvalue()


def _alert(device, **values) -> Alert:
    now = timezone.now()
    values = {
        "kind": AlertKind.PRINTER_ERROR,
        "key": "jammed",
        "severity": AlertSeverity.CRITICAL,
        "message": "Paper jam",
        "first_seen": now,
        "last_seen": now,
        **values,
    }
    return Alert.objects.create(device=device, **values)


@pytest.fixture
def tech(db):
    region = RegionFactory(code="SU")
    office = OfficeFactory(code="CR-HOME", district=DistrictFactory(region=region))
    return make_user("technician", regions=[region]), office


@pytest.mark.django_db
def test_open_moves_a_deployed_asset_to_in_repair_and_numbers_per_year(tech):
    user, office = tech
    asset = make_asset(office=office)
    ticket = services.repair_ticket_open(asset=asset, by=user, fault=FaultCategory.NO_POWER)
    year = timezone.localtime(ticket.reported_at).year
    assert ticket.number == f"RT-{year}-0001"
    asset.refresh_from_db()
    assert asset.status == AssetStatus.IN_REPAIR
    assert asset.history.first().history_change_reason == (
        f"Repair ticket {ticket.number} opened: No power"
    )
    second = services.repair_ticket_open(
        asset=make_asset(office=office), by=user, fault="screen", stops_work=False
    )
    assert second.number == f"RT-{year}-0002"
    assert second.asset.status == AssetStatus.DEPLOYED  # it can still be used
    assert ticket.history.first().history_user == user


@pytest.mark.django_db
def test_full_workflow_resolves_asset_and_closes_the_alert(tech):
    user, office = tech
    device = make_device(asset=monitored_asset(office=office))
    alert = _alert(device)
    ticket = services.repair_ticket_open(
        asset=device.asset, by=user, fault="paper_path", alert=alert
    )
    services.repair_ticket_step(ticket=ticket, by=user, to_status="in_progress", minutes=20)
    services.repair_ticket_step(
        ticket=ticket, by=user, to_status="waiting_parts", parts="pickup roller"
    )
    services.repair_ticket_step(ticket=ticket, by=user, note="called the supplier")
    entry = services.repair_ticket_step(
        ticket=ticket, by=user, to_status="resolved", minutes=35, parts="pickup roller"
    )
    ticket.refresh_from_db()
    assert ticket.status == RepairStatus.RESOLVED
    assert ticket.resolved_at == entry.at
    assert (entry.status_from, entry.status_to) == ("waiting_parts", "resolved")
    assert [e.status_to for e in ticket.entries.all()] == [
        "in_progress",
        "waiting_parts",
        "",
        "resolved",
    ]
    assert ticket.downtime == ticket.resolved_at - ticket.reported_at
    device.asset.refresh_from_db()
    assert device.asset.status == AssetStatus.DEPLOYED
    alert.refresh_from_db()
    assert alert.is_open is False
    assert alert.resolved_at == entry.at


@pytest.mark.django_db
def test_resolving_keeps_in_repair_while_another_ticket_stops_the_asset(tech):
    user, office = tech
    asset = make_asset(office=office)
    first = services.repair_ticket_open(asset=asset, by=user, fault="screen")
    services.repair_ticket_open(asset=asset, by=user, fault="keyboard")
    services.repair_ticket_step(ticket=first, by=user, to_status="resolved", note="new screen")
    asset.refresh_from_db()
    assert asset.status == AssetStatus.IN_REPAIR


@pytest.mark.django_db
def test_beyond_repair_needs_confirmation_then_retires(tech):
    user, office = tech
    asset = make_asset(office=office, tag="TJ-00077")
    ticket = services.repair_ticket_open(asset=asset, by=user, fault="no_power")
    with pytest.raises(ValidationError) as error:
        services.repair_ticket_step(ticket=ticket, by=user, to_status="beyond_repair")
    assert error.value.message_dict == {
        "confirm_retire": [
            "Confirm that TJ-00077 is beyond repair: it will be retired from the register."
        ]
    }
    asset.refresh_from_db()
    assert asset.status == AssetStatus.IN_REPAIR
    services.repair_ticket_step(
        ticket=ticket, by=user, to_status="beyond_repair", confirm_retire=True, note="board dead"
    )
    asset.refresh_from_db()
    assert asset.status == AssetStatus.RETIRED
    ticket.refresh_from_db()
    assert ticket.status == RepairStatus.BEYOND_REPAIR and ticket.resolved_at is not None


@pytest.mark.django_db
def test_refusals_name_what_is_wrong(tech):
    user, office = tech
    asset = make_asset(office=office, tag="TJ-00078")
    ticket = services.repair_ticket_open(asset=asset, by=user, fault="software")
    with pytest.raises(ValidationError) as error:
        services.repair_ticket_step(ticket=ticket, by=user)
    assert error.value.messages == ["Say what was done: time spent, parts used, a note or a photo."]
    with pytest.raises(ValidationError) as error:
        services.repair_ticket_step(ticket=ticket, by=user, minutes=24 * 60 + 1)
    assert error.value.message_dict == {"minutes": ["Minutes spent must be between 0 and 1440."]}
    with pytest.raises(ValidationError) as error:
        services.repair_ticket_open(asset=asset, by=user, fault="broken")
    assert error.value.message_dict == {"fault": ["Choose what kind of fault it is."]}
    services.repair_ticket_step(ticket=ticket, by=user, to_status="resolved", note="reinstalled")
    with pytest.raises(ValidationError) as error:
        services.repair_ticket_step(ticket=ticket, by=user, to_status="in_progress")
    assert error.value.messages == [
        f"Ticket {ticket.number} is “Resolved”: no more work can be logged on it."
    ]
    retired = make_asset(office=office, tag="TJ-00079")
    from inventory.services import asset_retire

    asset_retire(asset=retired, by=user, reason="old")
    with pytest.raises(ValidationError) as error:
        services.repair_ticket_open(asset=retired, by=user, fault="other")
    assert error.value.message_dict == {
        "asset": ["TJ-00079 is “Retired”: it cannot get a repair ticket."]
    }


@pytest.mark.django_db
def test_alert_must_be_the_assets_and_only_one_open_ticket_per_alert(tech):
    user, office = tech
    device = make_device(asset=monitored_asset(office=office))
    other = make_asset(office=office, tag="TJ-00080")
    alert = _alert(device)
    with pytest.raises(ValidationError) as error:
        services.repair_ticket_open(asset=other, by=user, fault="other", alert=alert)
    assert error.value.message_dict == {
        "alert": ["That alert is about another device, not TJ-00080."]
    }
    first = services.repair_ticket_open(asset=device.asset, by=user, fault="other", alert=alert)
    with pytest.raises(ValidationError) as error:
        services.repair_ticket_open(asset=device.asset, by=user, fault="other", alert=alert)
    assert error.value.message_dict == {
        "alert": [f"Ticket {first.number} is already open for this alert."]
    }


@pytest.mark.django_db
def test_warranty_claim_and_reference(tech):
    user, office = tech
    ticket = services.repair_ticket_open(asset=make_asset(office=office), by=user, fault="other")
    with pytest.raises(ValidationError) as error:
        services.repair_ticket_warranty(
            ticket=ticket, by=user, warranty_claim=False, supplier_reference="HP-1"
        )
    assert error.value.message_dict == {
        "supplier_reference": ["A supplier's reference belongs to a warranty claim."]
    }
    ticket = services.repair_ticket_warranty(
        ticket=ticket, by=user, warranty_claim=True, supplier_reference=" HP-CASE-42 "
    )
    assert (ticket.warranty_claim, ticket.supplier_reference) == (True, "HP-CASE-42")


# --- Photos ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_photo_is_checked_by_its_content(tech, settings):
    user, office = tech
    ticket = services.repair_ticket_open(asset=make_asset(office=office), by=user, fault="other")
    entry = services.repair_ticket_step(
        ticket=ticket, by=user, photo=SimpleUploadedFile("p.jpg", _png(), "image/jpeg")
    )
    assert entry.photo.name.endswith(".png")  # the content decides, not the name
    cases = [
        (SimpleUploadedFile("empty.jpg", b"", "image/jpeg"), "The photo is empty."),
        (
            SimpleUploadedFile("fake.jpg", b"not an image at all" * 10, "image/jpeg"),
            "“fake.jpg” is not a photo that can be opened (JPEG, PNG or WebP).",
        ),
        (
            SimpleUploadedFile("anim.png", _png(fmt="GIF"), "image/png"),
            "“anim.png” is a GIF image; send a JPEG, PNG or WebP photo.",
        ),
    ]
    for upload, message in cases:
        with pytest.raises(ValidationError) as error:
            services.repair_ticket_step(ticket=ticket, by=user, note="x", photo=upload)
        assert error.value.message_dict == {"photo": [message]}
    settings.REPAIR_PHOTO_MAX_MB = 1
    big = SimpleUploadedFile("big.jpg", b"\xff" * (1024 * 1024 + 1), "image/jpeg")
    with pytest.raises(ValidationError) as error:
        services.repair_ticket_step(ticket=ticket, by=user, note="x", photo=big)
    assert error.value.message_dict == {"photo": ["The photo is 1.0 MB; the limit is 1 MB."]}


# --- Pages: scope, permissions, flows ------------------------------------------------------------


@pytest.fixture
def two_regions(tech):
    user, home = tech
    away = OfficeFactory(code="CR-AWAY", district=DistrictFactory(region=RegionFactory(code="GB")))
    here = services.repair_ticket_open(asset=make_asset(office=home), by=None, fault="other")
    there = services.repair_ticket_open(asset=make_asset(office=away), by=None, fault="other")
    return {"user": user, "home": home, "away": away, "here": here, "there": there}


@pytest.mark.django_db
def test_technician_cannot_see_or_change_another_regions_ticket(client, two_regions):
    w = two_regions
    client.force_login(w["user"])
    there = w["there"]
    assert client.get(reverse("repairticket_detail", args=[there.pk])).status_code == 404
    response = client.post(
        reverse("repairticket_detail", args=[there.pk]), {"note": "x", "to_status": "resolved"}
    )
    assert response.status_code == 404
    assert client.post(reverse("repairticket_warranty", args=[there.pk])).status_code == 404
    assert client.get(reverse("repairticket_add") + f"?asset={there.asset_id}").status_code == 404
    response = client.post(
        reverse("repairticket_add"), {"asset_text": there.asset.tag, "fault": "other"}
    )
    assert response.context["form"].errors["asset_text"] == [
        f"No asset with the tag or serial “{there.asset.tag}” in your scope."
    ]
    there.refresh_from_db()
    assert there.status == RepairStatus.OPEN
    listed = client.get(reverse("repairticket_list"))
    assert w["here"].number in listed.content.decode()
    assert there.number not in listed.content.decode()
    work = client.get(reverse("my_work")).content.decode()
    assert w["here"].number in work and there.number not in work


@pytest.mark.django_db
def test_office_head_reads_but_cannot_work(client, two_regions):
    head = make_user("office_head", office=two_regions["home"])
    client.force_login(head)
    here = two_regions["here"]
    assert client.get(reverse("repairticket_detail", args=[here.pk])).status_code == 200
    response = client.post(reverse("repairticket_detail", args=[here.pk]), {"note": "x"})
    assert response.status_code == 403
    assert client.get(reverse("repairticket_add")).status_code == 403


@pytest.mark.django_db
def test_open_from_alert_then_step_through_pages(client, tech):
    user, office = tech
    device = make_device(asset=monitored_asset(office=office))
    alert = _alert(device, message="Paper jam in tray 2")
    client.force_login(user)
    page = client.get(reverse("repairticket_add") + f"?alert={alert.pk}")
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["asset_text"] == device.asset.tag
    assert form.initial["description"] == "Paper jam in tray 2"
    assert form.initial["assignee"] == user.pk
    response = client.post(
        reverse("repairticket_add") + f"?alert={alert.pk}",
        {
            "asset_text": device.asset.tag,
            "fault": "paper_path",
            "description": "Paper jam in tray 2",
            "stops_work": "on",
            "assignee": user.pk,
            "alert": alert.pk,
        },
    )
    ticket = RepairTicket.objects.get()
    assert response.status_code == 302 and response["Location"] == ticket.get_absolute_url()
    assert ticket.alert == alert and ticket.assignee == user
    response = client.post(
        ticket.get_absolute_url(), {"minutes": "15", "note": "cleared", "to_status": "in_progress"}
    )
    assert response.status_code == 302
    response = client.post(ticket.get_absolute_url(), {"note": "done", "to_status": "open"})
    assert response.context["form"].non_field_errors() == [
        "A repair ticket cannot go from “In progress” to “Open”."
    ]
    client.post(ticket.get_absolute_url(), {"parts": "roller", "to_status": "resolved"})
    ticket.refresh_from_db()
    device.asset.refresh_from_db()
    alert.refresh_from_db()
    assert ticket.status == RepairStatus.RESOLVED
    assert device.asset.status == AssetStatus.DEPLOYED
    assert alert.is_open is False


@pytest.mark.django_db
def test_asset_page_offers_log_a_repair_and_shows_history(client, tech):
    user, office = tech
    asset = make_asset(office=office)
    ticket = services.repair_ticket_open(asset=asset, by=user, fault="screen")
    client.force_login(user)
    html = client.get(reverse("asset_detail", args=[asset.pk])).content.decode()
    assert f'href="{reverse("repairticket_add")}?asset={asset.pk}"' in html
    assert ticket.number in html
    assert html.index('id="repairs"') < html.index("</main>")


@pytest.mark.django_db
def test_my_work_groups_by_region_then_office_name(client, tech):
    user, home = tech
    from inventory.models import UserScope

    region_b = RegionFactory(code="ZZ", sort_order=9)
    UserScope.objects.get(user=user).regions.add(region_b)
    late = OfficeFactory(code="CR-B", name_en="Aardvark", district=DistrictFactory(region=region_b))
    early = OfficeFactory(
        code="CR-A", name_en="Zebra", district=DistrictFactory(region=home.region)
    )
    home.name_en = "Khujand"
    home.save()
    home.region.sort_order = 1
    home.region.save()
    services.repair_ticket_open(asset=make_asset(office=late), by=None, fault="other")
    services.repair_ticket_open(asset=make_asset(office=early), by=None, fault="other")
    device = make_device(asset=monitored_asset(office=home))
    _alert(device)
    client.force_login(user)
    work = client.get(reverse("my_work")).context["work"]
    # Region SU (order 1) before ZZ (order 9); within SU by office name: Khujand, Zebra.
    assert [group.office.code for group in work.offices] == ["CR-HOME", "CR-A", "CR-B"]
    assert [len(group.alerts) for group in work.offices] == [1, 0, 0]
    assert (work.ticket_count, work.alert_count) == (2, 1)


# --- Query counts: 1 row as 50 -------------------------------------------------------------------


def _fill(n, office, user):
    tickets = []
    for i in range(n):
        device = make_device(asset=monitored_asset(office=office))
        alert = _alert(device, key=f"k{i}")
        ticket = services.repair_ticket_open(asset=device.asset, by=user, fault="other")
        services.repair_ticket_step(ticket=ticket, by=user, note=f"entry {i}")
        tickets.append((ticket, alert))
    return tickets


# session, user, roles, scope, 2 permission lookups (view, menu), the menu's count of open
# alerts, and then:
EXPECTED = {
    # count, rows, the filter choices (regions, offices)
    "list": 12,
    # tickets, alerts
    "my_work": 10,
    # ticket, entries
    "detail": 10,
}


def _count(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["list", "my_work", "detail"])
def test_query_count_is_the_same_for_1_and_50(client, tech, page):
    user, office = tech
    client.force_login(user)
    counts = []
    for n in (1, 49):
        made = _fill(n, office, user)
        ticket = made[-1][0]
        for _ in range(n):  # the detail page: a ticket with as many entries as rows
            services.repair_ticket_step(ticket=ticket, by=user, minutes=1)
        url = {
            "list": reverse("repairticket_list"),
            "my_work": reverse("my_work"),
            "detail": ticket.get_absolute_url(),
        }[page]
        counts.append(_count(client, url))
    assert counts == [EXPECTED[page]] * 2


def test_the_admin_shows_alerts_and_tickets_read_only(client, db):
    from django.urls import reverse

    admin = make_user("administrator", is_staff=True, is_superuser=True)
    client.force_login(admin)
    for name in ("alert", "repairticket"):
        assert client.get(reverse(f"admin:monitoring_{name}_changelist")).status_code == 200
        assert client.get(reverse(f"admin:monitoring_{name}_add")).status_code == 403
