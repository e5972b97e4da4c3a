"""Alerts with a database: sync after a round (open, de-duplicate, resolve, reopen, fixed query
count), acknowledging, e-mail throttling, the alert list (permissions, scope, filters, query
count) and the menu's count."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from monitoring import services
from monitoring.models import Alert, MonitoredDevice
from tests.factories import DistrictFactory, OfficeFactory, RegionFactory, make_user
from tests.monitoring.test_models_services import make_device, make_profile, monitored_asset
from tests.monitoring.test_rules import printer, result, supply, ups_device

pytestmark = pytest.mark.django_db


def save(devices, facts=None, *, at=None, keep_serial=False, **kwargs):
    """Save one round's results for ``devices`` (``facts=None``: they did not answer). The
    facts report each device's registered serial unless ``keep_serial``."""
    at = at or timezone.now()

    def facts_of(device):
        if facts is None or keep_serial:
            return facts
        return dataclasses.replace(facts, serial=device.asset.serial)

    return services.monitoring_results_save(
        results=[
            result(facts_of(d), key=d.pk, at=at, error=None if facts else "timeout")
            for d in devices
        ],
        sync_alerts=True,
        **kwargs,
    )


def open_alerts(device=None):
    queryset = Alert.objects.filter(is_open=True)
    if device is not None:
        queryset = queryset.filter(device=device)
    return sorted((a.kind, a.key, a.severity) for a in queryset)


def make_printer(office=None, **kwargs):
    return make_device(asset=monitored_asset(office=office) if office else None, **kwargs)


# --- Sync --------------------------------------------------------------------------------------


def test_a_round_opens_alerts_once_and_keeps_them_without_a_flood():
    device = make_printer()
    low = printer(errors=["jammed"], supplies=[supply(percent=4.0)])
    save([device], low)
    assert open_alerts(device) == [
        ("printer_error", "jammed", "critical"),
        ("supply_critical", "1.1", "critical"),
    ]
    first = {a.pk: a.last_seen for a in Alert.objects.all()}
    save([device], low, at=timezone.now() + dt.timedelta(minutes=5))
    assert Alert.objects.count() == 2  # no new rows
    assert all(a.last_seen > first[a.pk] for a in Alert.objects.all())


def test_a_cleared_condition_resolves_and_a_returning_one_is_a_new_alert():
    device = make_printer()
    save([device], printer(errors=["jammed"]))
    jam = Alert.objects.get()
    save([device], printer())
    jam.refresh_from_db()
    assert not jam.is_open and jam.resolved_at is not None
    save([device], printer(errors=["jammed"]))
    assert Alert.objects.count() == 2
    assert Alert.objects.filter(is_open=True).exclude(pk=jam.pk).count() == 1


def test_unreachable_after_thirty_minutes_and_the_old_facts_resolve(settings):
    device = make_printer()
    start = timezone.now() - dt.timedelta(hours=1)
    save([device], printer(supplies=[supply(percent=10.0)]), at=start)
    assert open_alerts(device) == [("supply_low", "1.1", "warning")]
    save([device], None, at=start + dt.timedelta(minutes=1))  # down since then, 59 min ago
    assert open_alerts(device) == [("unreachable", "", "critical")]
    settings.ALERT_UNREACHABLE_MINUTES = 120
    save([device], None)
    assert open_alerts(device) == []


def test_page_counter_going_backwards_stays_open_until_acknowledged():
    device = make_printer()
    save([device], printer(page_count=5000))
    save([device], printer(page_count=10))
    assert open_alerts(device) == [("page_counter_backwards", "", "warning")]
    save([device], printer(page_count=20))
    alert = Alert.objects.get(is_open=True)
    assert alert.message == "The page counter went back from 5000 to 10."
    services.alert_acknowledge(alert=alert, by=make_user("technician"), note="board replaced")
    alert.refresh_from_db()
    assert not alert.is_open and alert.ack_note == "board replaced"


def test_serial_mismatch_and_ups_alerts():
    device = make_device()  # its registered serial is not the one the facts report
    ups = make_device(asset=monitored_asset(category_code="ups"))
    save([device], printer(), keep_serial=True)
    save([ups], ups_device(output_source="battery", charge=30.0), keep_serial=True)
    assert open_alerts(device) == [("serial_mismatch", "", "info")]
    assert open_alerts(ups) == [
        ("serial_mismatch", "", "info"),
        ("ups_charge_low", "", "warning"),
        ("ups_on_battery", "", "warning"),
    ]


def test_an_overloaded_result_changes_no_alert():
    device = make_printer()
    save([device], printer(errors=["jammed"]))
    services.monitoring_results_save(
        results=[result(key=device.pk, overloaded=True)], sync_alerts=True
    )
    assert open_alerts(device) == [("printer_error", "jammed", "critical")]


def test_saving_without_sync_leaves_alerts_alone():
    device = make_printer()
    services.monitoring_results_save(results=[result(printer(errors=["jammed"]), key=device.pk)])
    assert Alert.objects.count() == 0


def _extra_insert_batches(rows: int, fields: int = 12) -> int:
    limit = connection.features.max_query_params
    return 0 if not limit else math.ceil(rows * fields / limit) - 1


def _statements(ctx):
    return [q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))]


@pytest.mark.parametrize("rows", [1, 50])
def test_sync_costs_the_same_few_queries_for_1_and_50_devices(rows):
    profile = make_profile()
    devices = [make_printer(profile=profile) for _ in range(rows)]
    save(devices, printer(errors=["jammed"]))  # open a jam on each
    for d in devices:
        d.refresh_from_db()
    loaded = list(
        MonitoredDevice.objects.select_related("asset").filter(pk__in=[d.pk for d in devices])
    )
    # Next round: the jam clears, a supply runs low on each, the others' state is kept.
    for d in loaded:
        d.errors = []
        d.supplies = [supply(percent=3.0).__dict__]
        d.ups = {
            "output_source": "normal",
            "battery_status": "normal",
            "charge_percent": 40.0,
            "minutes_remaining": 10.0,
            "load_percent": 5.0,
            "input_voltage": 220.0,
        }
    with CaptureQueriesContext(connection) as ctx:
        summary = services.alerts_sync(devices=loaded)
    # Read the open alerts, insert the new, resolve the cleared (no alert still holds, so no
    # last-seen update). SQLite caps a statement's parameters, so its INSERT comes in batches.
    assert len(_statements(ctx)) == 3 + _extra_insert_batches(2 * rows), "\n".join(
        q["sql"] for q in ctx.captured_queries
    )
    assert (summary.opened, summary.resolved) == (2 * rows, rows)
    assert Alert.objects.filter(is_open=True, kind="supply_critical").count() == rows


# --- Acknowledging -----------------------------------------------------------------------------


def test_acknowledge_records_who_and_the_note():
    device = make_printer()
    save([device], printer(errors=["jammed"]))
    alert = Alert.objects.get()
    user = make_user("technician")
    services.alert_acknowledge(alert=alert, by=user, note="  driving there  ")
    alert.refresh_from_db()
    assert alert.is_open and alert.acknowledged_by == user and alert.ack_note == "driving there"
    with pytest.raises(Exception) as error:
        services.alert_acknowledge(alert=alert, by=user)
    assert error.value.messages[0].startswith("This alert was acknowledged already, on ")


def test_acknowledge_refuses_resolved_alerts_and_long_notes():
    device = make_printer()
    save([device], printer(errors=["jammed"]))
    alert = Alert.objects.get()
    user = make_user("technician")
    with pytest.raises(Exception) as error:
        services.alert_acknowledge(alert=alert, by=user, note="x" * 256)
    assert error.value.messages == ["Keep the note within 255 characters."]
    save([device], printer())
    alert.refresh_from_db()
    with pytest.raises(Exception) as error:
        services.alert_acknowledge(alert=alert, by=user)
    assert error.value.messages == [
        "This alert is resolved already: there is nothing to acknowledge."
    ]


def test_acknowledge_of_a_stale_copy_says_someone_else_did():
    device = make_printer()
    save([device], printer(errors=["jammed"]))
    stale = Alert.objects.get()
    services.alert_acknowledge(alert=Alert.objects.get(), by=make_user("technician"))
    with pytest.raises(Exception) as error:
        services.alert_acknowledge(alert=stale, by=make_user("administrator"))
    assert error.value.messages == ["Someone else acknowledged or resolved this alert meanwhile."]


# --- E-mail ------------------------------------------------------------------------------------


@pytest.fixture
def regions():
    home = OfficeFactory(code="CR-HOME", district=DistrictFactory(region=RegionFactory(code="SU")))
    away = OfficeFactory(code="CR-AWAY", district=DistrictFactory(region=RegionFactory(code="GB")))
    return home, away


def test_technicians_get_one_message_with_the_new_alerts_of_their_regions(regions, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    home, away = regions
    here, there = make_printer(office=home), make_printer(office=away)
    tech = make_user("technician", regions=[home.region], email="tech@example.tj")
    make_user("technician", regions=[away.region], email="")  # no address: no e-mail
    make_user("auditor", email="auditor@example.tj")  # not a technician
    save([here, there], printer(errors=["jammed"], supplies=[supply(percent=2.0)]))
    now = timezone.now()
    assert services.alerts_notify(now=now) == 1
    assert [m.to for m in mail.outbox] == [[tech.email]]
    body = mail.outbox[0].body
    assert mail.outbox[0].subject == "2 new alerts in your regions"
    assert here.asset.tag in body and there.asset.tag not in body
    assert "Printer reports: paper jam" in body and "Black Toner is almost empty: 2 % left." in body

    # Within the period: nothing, even with a new alert; after it: only what is new.
    save([here], printer(errors=["jammed", "doorOpen"], supplies=[supply(percent=2.0)]))
    assert services.alerts_notify(now=now + dt.timedelta(minutes=59)) == 0
    assert services.alerts_notify(now=now + dt.timedelta(minutes=60)) == 1
    assert mail.outbox[1].subject == "1 new alerts in your regions"
    assert "door open" in mail.outbox[1].body and "paper jam" not in mail.outbox[1].body
    # Nothing new: no message.
    assert services.alerts_notify(now=now + dt.timedelta(minutes=200)) == 0


def test_notify_costs_a_fixed_number_of_queries(regions, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    home, _away = regions
    for i in range(5):
        make_user("technician", regions=[home.region], email=f"t{i}@example.tj")
    save([make_printer(office=home) for _ in range(5)], printer(errors=["jammed"]))
    with CaptureQueriesContext(connection) as ctx:
        assert services.alerts_notify() == 5
    # Users, their regions, last e-mails, the alerts, the upsert of last e-mails.
    assert len(_statements(ctx)) == 5


# --- Pages -------------------------------------------------------------------------------------

ROLES = ["anonymous", "administrator", "logistics_officer", "auditor", "technician", "office_head"]
LIST_STATUS = (302, 200, 200, 200, 200, 200)
ACK_STATUS = (302, 200, 200, 403, 200, 403)


@pytest.fixture
def world(regions):
    home, away = regions
    here, there = make_printer(office=home), make_printer(office=away)
    save([here, there], printer(errors=["jammed"]))
    return {
        "home": home,
        "away": away,
        "here": Alert.objects.get(device=here),
        "there": Alert.objects.get(device=there),
    }


def _user(role, world):
    if role == "anonymous":
        return None
    if role == "technician":
        return make_user(role, regions=[world["home"].region])
    if role == "office_head":
        return make_user(role, office=world["home"])
    return make_user(role)


@pytest.mark.parametrize("role", ROLES)
def test_role_decides_access(client, world, role):
    user = _user(role, world)
    if user is not None:
        client.force_login(user)
    i = ROLES.index(role)
    assert client.get(reverse("alert_list")).status_code == LIST_STATUS[i]
    ack = reverse("alert_acknowledge", args=[world["here"].pk])
    assert client.get(ack).status_code == ACK_STATUS[i]


def test_the_list_and_acknowledging_follow_the_scope(client, world):
    client.force_login(_user("technician", world))
    response = client.get(reverse("alert_list"))
    assert list(response.context["table"].data) == [world["here"]]
    there = reverse("alert_acknowledge", args=[world["there"].pk])
    assert client.get(there).status_code == 404
    assert client.post(there, {"note": "x"}).status_code == 404


def test_acknowledge_page_saves_and_returns_to_the_list(client, world):
    client.force_login(_user("technician", world))
    url = reverse("alert_acknowledge", args=[world["here"].pk])
    response = client.post(url, {"note": "toner ordered"}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("alert_list")
    assert "Alert acknowledged." in response.content.decode()
    alert = Alert.objects.get(pk=world["here"].pk)
    assert alert.ack_note == "toner ordered" and alert.acknowledged_at is not None
    again = client.post(url, {"note": "again"})
    assert again.status_code == 200
    assert "This alert was acknowledged already, on " in again.content.decode()


def test_list_filters(client, world):
    client.force_login(make_user("auditor"))
    url = reverse("alert_list")

    def rows(**params):
        return list(client.get(url, params).context["table"].data)

    assert rows(region=world["home"].region_id) == [world["here"]]
    assert rows(office=world["away"].pk) == [world["there"]]
    assert len(rows(severity="critical", kind="printer_error")) == 2
    assert rows(severity="info") == []
    services.alert_acknowledge(alert=world["here"], by=make_user("technician"))
    assert rows(state="acknowledged") == [world["here"]]
    assert rows(state="unacknowledged") == [world["there"]]
    assert rows(state="resolved") == []
    assert len(rows(state="open")) == 2


def test_the_menu_shows_the_open_alert_count(client, world):
    client.force_login(make_user("auditor"))
    html = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("alert_list")}"' in html
    assert '<span class="badge health-down">2</span>' in html
    client.force_login(_user("technician", world))
    html = client.get(reverse("dashboard")).content.decode()
    assert '<span class="badge health-down">1</span>' in html


def test_export_has_the_alerts(client, world):
    client.force_login(make_user("auditor"))
    response = client.get(reverse("alert_list"), {"_export": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content if response.streaming else [response.content])
    assert "Printer reports: paper jam" in text.decode("utf-8-sig")


# session, user, 2 permission lookups, roles, the menu's open-alert count, the list's count,
# region and office filter choices, rows
LIST_QUERIES = 10


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_is_the_same_for_1_and_50(client, regions, rows):
    home, away = regions
    profile = make_profile()
    devices = [make_printer(office=(home, away)[i % 2], profile=profile) for i in range(rows)]
    save(devices, printer(errors=["jammed"]))
    services.alert_acknowledge(alert=Alert.objects.first(), by=make_user("technician"), note="n")
    client.force_login(make_user("logistics_officer"))
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(reverse("alert_list"), {"sort": "severity"})
    html = response.content.decode()
    assert html.count("<tr>") == rows + 1
    assert len(ctx.captured_queries) == LIST_QUERIES, "\n".join(
        q["sql"] for q in ctx.captured_queries
    )
