"""Monitoring pages: who may do what, scope, the list's query count, attaching a device,
"Poll now" (the poller replaced by a fake at the service boundary), and the panels."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from monitoring import poller, services
from monitoring.models import MonitoredDevice, PollOutcome
from tests.factories import DistrictFactory, OfficeFactory, RegionFactory, make_user
from tests.monitoring.test_models_services import (
    COMMUNITY,
    make_device,
    make_profile,
    monitored_asset,
)
from tests.monitoring.test_rules import printer, result, router, supply, ups_device

pytestmark = pytest.mark.django_db

ROLES = ["anonymous", "administrator", "logistics_officer", "auditor", "technician", "office_head"]

# page: expected status per role, in the order of ROLES (technician and office head are
# scoped to the home office's region and office).
MATRIX = {
    "list": (302, 200, 200, 200, 200, 200),
    "add": (302, 200, 200, 403, 403, 403),
    "edit_in_scope": (302, 200, 200, 403, 403, 403),
    "poll_in_scope": (302, 302, 302, 403, 302, 403),
    "poll_out_of_scope": (302, 302, 302, 403, 404, 403),
    "asset_panel": (302, 200, 200, 200, 200, 200),
}


@pytest.fixture
def world(monkeypatch):
    home_region = RegionFactory(code="SU")
    home = OfficeFactory(code="CR-HOME", district=DistrictFactory(region=home_region))
    away = OfficeFactory(code="CR-AWAY", district=DistrictFactory(region=RegionFactory(code="GB")))
    profile = make_profile()
    here = make_device(asset=monitored_asset(office=home), profile=profile)
    there = make_device(asset=monitored_asset(office=away), profile=profile)
    calls = []

    def fake_poll_round(targets, **kwargs):
        calls.append([t.key for t in targets])
        return [result(printer(), key=t.key, at=timezone.now()) for t in targets]

    monkeypatch.setattr(poller, "poll_round", fake_poll_round, raising=False)
    return {"home": home, "away": away, "here": here, "there": there, "calls": calls}


def _user(role, world):
    if role == "anonymous":
        return None
    if role == "technician":
        return make_user(role, regions=[world["home"].region])
    if role == "office_head":
        return make_user(role, office=world["home"])
    return make_user(role)


def _request(client, page, world):
    here, there = world["here"], world["there"]
    if page == "list":
        return client.get(reverse("monitoreddevice_list"))
    if page == "add":
        return client.get(reverse("monitoreddevice_add"))
    if page == "edit_in_scope":
        return client.get(reverse("monitoreddevice_edit", args=[here.pk]))
    if page == "poll_in_scope":
        return client.post(reverse("monitoreddevice_poll", args=[here.pk]))
    if page == "poll_out_of_scope":
        return client.post(reverse("monitoreddevice_poll", args=[there.pk]))
    if page == "asset_panel":
        return client.get(reverse("asset_detail", args=[here.asset_id]))
    raise AssertionError(page)


@pytest.mark.parametrize("page", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_role_and_scope_decide_access(client, world, page, role):
    user = _user(role, world)
    if user is not None:
        client.force_login(user)
    response = _request(client, page, world)
    assert response.status_code == MATRIX[page][ROLES.index(role)], (page, role)
    if page == "asset_panel" and user is not None:
        html = response.content.decode()
        assert 'id="monitoring"' in html
        assert ('id="poll-now"' in html) == user.has_perm("monitoring.poll_monitoreddevice")


def test_the_list_follows_the_scope(client, world):
    client.force_login(_user("technician", world))
    response = client.get(reverse("monitoreddevice_list"))
    devices = list(response.context["table"].data)
    assert devices == [world["here"]]


def test_a_device_that_does_not_exist_is_not_found(client, world):
    client.force_login(make_user("logistics_officer"))
    assert client.get(reverse("monitoreddevice_edit", args=[999_999])).status_code == 404


def test_the_menu_shows_monitoring(client, world):
    client.force_login(make_user("auditor"))
    html = client.get(reverse("dashboard")).content.decode()
    assert f'href="{reverse("monitoreddevice_list")}"' in html


# --- The list --------------------------------------------------------------------------------

# session, user, roles, count, rows, region and office filter choices, 2 permission lookups
LIST_QUERIES = 10


@pytest.mark.parametrize("rows", [1, 50])
def test_list_query_count_is_fixed(client, django_assert_num_queries, rows):
    regions = [RegionFactory(code=f"Q{i}") for i in range(3)]
    offices = [OfficeFactory(district=DistrictFactory(region=regions[i % 3])) for i in range(5)]
    profile = make_profile()
    devices = [
        make_device(asset=monitored_asset(office=offices[i % 5]), profile=profile)
        for i in range(rows)
    ]
    services.monitoring_results_save(
        results=[
            result(printer(errors=["jammed"], supplies=[supply(percent=7.0)]), key=d.pk)
            for d in devices
        ]
    )
    client.force_login(make_user("logistics_officer"))
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(reverse("monitoreddevice_list"), {"sort": "lowest_supply_percent"})
    html = response.content.decode()
    assert html.count("<tr>") == rows + 1
    assert "paper jam" in html and "badge health-warning" in html


def test_list_filters_by_health_kind_and_region(client, world):
    services.monitoring_results_save(
        results=[
            result(printer(), key=world["here"].pk),
            result(key=world["there"].pk, error="timeout"),
        ]
    )
    client.force_login(make_user("auditor"))
    url = reverse("monitoreddevice_list")

    def rows(**params):
        return list(client.get(url, params).context["table"].data)

    assert rows(health="down") == [world["there"]]
    assert rows(health=["up", "down"], region=world["home"].region_id) == [world["here"]]
    assert rows(kind="printer", office=world["away"].pk) == [world["there"]]
    assert rows(q=world["here"].address) == [world["here"]]
    assert rows(problem="errors") == []


def test_the_list_exports_what_it_shows(client, world):
    services.monitoring_results_save(
        results=[result(printer(supplies=[supply(percent=7.0)]), key=world["here"].pk)]
    )
    client.force_login(make_user("auditor"))
    response = client.get(reverse("monitoreddevice_list"), {"_export": "csv", "health": "warning"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *lines = text.strip().splitlines()
    assert header.startswith("Asset tag,Kind,Office,Region,Address,Health,Since,Last poll")
    assert len(lines) == 1 and world["here"].asset.tag in lines[0] and ",Warning," in lines[0]
    assert ",7.0," in lines[0]
    xlsx = client.get(reverse("monitoreddevice_list"), {"_export": "xlsx"})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith(
        "application/vnd.openxmlformats"
    )
    assert b"".join(xlsx.streaming_content).startswith(b"PK")


# --- Attaching a device ----------------------------------------------------------------------


def test_attach_an_asset_from_its_page(client, world):
    asset = monitored_asset(office=world["home"], network_address="10.20.30.40")
    client.force_login(make_user("logistics_officer"))
    page = client.get(reverse("monitoreddevice_add"), {"asset": asset.pk})
    form = page.context["form"]
    assert form.initial["asset_text"] == asset.tag and form.initial["address"] == "10.20.30.40"
    response = client.post(
        reverse("monitoreddevice_add"),
        {
            "asset_text": asset.tag.lower(),
            "profile": world["here"].profile_id,
            "address": "",
            "port": 161,
            "timeout_s": 2,
            "retries": 1,
            "enabled": "on",
        },
    )
    device = MonitoredDevice.objects.get(asset=asset)
    assert response.status_code == 302 and response["Location"] == device.get_absolute_url()
    assert device.address == "10.20.30.40" and device.enabled


def test_the_attach_form_says_what_is_wrong(client, world):
    client.force_login(make_user("logistics_officer"))
    data = {"profile": world["here"].profile_id, "port": 161, "timeout_s": 2, "retries": 1}
    response = client.post(reverse("monitoreddevice_add"), {**data, "asset_text": "NOPE-1"})
    assert response.context["form"].errors["asset_text"] == [
        "No asset with the tag or serial “NOPE-1” in your scope."
    ]
    tag = world["here"].asset.tag
    response = client.post(reverse("monitoreddevice_add"), {**data, "asset_text": tag})
    assert response.context["form"].errors["asset_text"] == [f"{tag} is monitored already."]
    asset = monitored_asset(office=world["home"])
    response = client.post(
        reverse("monitoreddevice_add"), {**data, "asset_text": asset.tag, "address": "not an ip!"}
    )
    assert response.context["form"].errors["address"] == [
        "“not an ip!” is neither an IP address nor a host name."
    ]


def test_an_asset_out_of_scope_cannot_be_attached(client, world):
    from django.contrib.auth.models import Permission

    asset = monitored_asset(office=world["away"])
    technician = make_user("technician", regions=[world["home"].region])
    technician.user_permissions.add(Permission.objects.get(codename="add_monitoreddevice"))
    client.force_login(technician)
    assert client.get(reverse("monitoreddevice_add"), {"asset": asset.pk}).status_code == 404
    response = client.post(
        reverse("monitoreddevice_add"),
        {
            "asset_text": asset.tag,
            "profile": world["here"].profile_id,
            "port": 161,
            "timeout_s": 2,
            "retries": 1,
        },
    )
    assert response.context["form"].errors["asset_text"] == [
        f"No asset with the tag or serial “{asset.tag}” in your scope."
    ]


def test_edit_the_settings(client, world):
    device = world["here"]
    client.force_login(make_user("administrator"))
    response = client.post(
        reverse("monitoreddevice_edit", args=[device.pk]),
        {
            "profile": device.profile_id,
            "address": "printer-1.cr.local",
            "port": 1161,
            "timeout_s": 4,
            "retries": 2,
            "reason": "new switch",
        },
    )
    assert response.status_code == 302
    device.refresh_from_db()
    assert (device.address, device.port, device.enabled, device.timeout_s) == (
        "printer-1.cr.local",
        1161,
        False,
        4.0,
    )


def test_the_form_never_shows_a_secret(client, world):
    client.force_login(make_user("administrator"))
    html = client.get(reverse("monitoreddevice_edit", args=[world["here"].pk])).content.decode()
    assert COMMUNITY not in html and world["here"].profile.community_encrypted not in html


# --- Poll now --------------------------------------------------------------------------------


def test_poll_now_shows_the_fresh_result(client, world):
    device = world["here"]
    client.force_login(make_user("technician", regions=[world["home"].region]))
    response = client.post(reverse("monitoreddevice_poll", args=[device.pk]), follow=True)
    assert world["calls"] == [[device.pk]]
    html = response.content.decode()
    assert f"{device.asset.tag} answered in 12 ms: Up." in html
    assert 'id="device-health">Up<' in html
    assert PollOutcome.objects.filter(device=device).count() == 1


def test_poll_now_of_a_silent_device_says_so(client, world, monkeypatch):
    monkeypatch.setattr(
        poller,
        "poll_round",
        lambda targets, **kw: [result(key=t.key, error="timeout") for t in targets],
        raising=False,
    )
    device = world["here"]
    client.force_login(make_user("logistics_officer"))
    response = client.post(reverse("monitoreddevice_poll", args=[device.pk]), follow=True)
    assert (
        f"{device.asset.tag} did not answer: No answer within the timeout and retries."
        in response.content.decode()
    )


def test_poll_now_is_post_only(client, world):
    client.force_login(make_user("administrator"))
    assert client.get(reverse("monitoreddevice_poll", args=[world["here"].pk])).status_code == 405


# --- Panels ----------------------------------------------------------------------------------


def test_asset_panel_shows_health_gauges_words_ups_interfaces_and_the_chart(client, world):
    device = world["here"]
    now = timezone.now()
    supplies = [
        supply(description="Black Toner", percent=7.0),
        supply(index="1.2", description="Cyan Toner", percent=None, level=-3),
        supply(index="1.3", description="Magenta Toner", percent=None, level=-2),
    ]
    for day, pages in ((30, 1000), (20, 1500), (10, 2500)):
        services.monitoring_results_save(
            results=[
                result(
                    printer(
                        page_count=pages, serial="OTHER-SN", errors=["jammed"], supplies=supplies
                    ),
                    key=device.pk,
                    at=now - dt.timedelta(days=day),
                )
            ],
            force_store=True,
        )
    client.force_login(make_user("auditor"))
    html = client.get(reverse("asset_detail", args=[device.asset_id])).content.decode()
    assert 'id="device-health">Warning<' in html
    assert "Printer reports: paper jam" in html and "Black Toner is low: 7 % left." in html
    assert "--w: 7.0%" in html and "some remaining" in html and ">unknown<" in html
    assert html.count('class="gauge-fill"') == 1  # no bar for the special values
    assert 'id="serial-mismatch"' in html and "OTHER-SN" in html
    assert "<polyline" in html and "1,500 pages printed" in html.replace("\u00a0", ",")
    assert 'id="poll-now"' not in html  # an auditor may not poll

    ups = make_device(asset=monitored_asset(category_code="ups", office=world["home"]))
    services.monitoring_results_save(
        results=[result(ups_device(output_source="battery", charge=64.0), key=ups.pk)]
    )
    html = client.get(reverse("asset_detail", args=[ups.asset_id])).content.decode()
    assert "on battery" in html and "The UPS is on battery (64 % charge)." in html

    rtr = make_device(asset=monitored_asset(category_code="router", office=world["home"]))
    services.monitoring_results_save(
        results=[result(router(("Gi0/0/0", True, True), ("Gi0/0/1", True, False)), key=rtr.pk)]
    )
    html = client.get(reverse("asset_detail", args=[rtr.asset_id])).content.decode()
    assert 'id="interfaces"' in html and 'class="row-warn"' in html
    assert "Interface Gi0/0/1 is enabled but down." in html


def test_an_unmonitored_printer_offers_monitoring_to_those_who_may(client, world):
    asset = monitored_asset(office=world["home"])
    client.force_login(make_user("logistics_officer"))
    html = client.get(reverse("asset_detail", args=[asset.pk])).content.decode()
    assert f"{reverse('monitoreddevice_add')}?asset={asset.pk}" in html
    client.force_login(make_user("auditor"))
    html = client.get(reverse("asset_detail", args=[asset.pk])).content.decode()
    assert 'id="monitoring"' not in html


def test_office_panel_counts_its_devices_per_health(client, world):
    home = world["home"]
    second = make_device(asset=monitored_asset(office=home))
    services.monitoring_results_save(
        results=[result(printer(), key=world["here"].pk), result(key=second.pk, error="timeout")]
    )
    client.force_login(make_user("office_head", office=home))
    html = client.get(reverse("office_detail", args=[home.pk])).content.decode()
    assert 'id="office-monitoring"' in html
    assert "Up: 1" in html and "Down: 1" in html
    assert world["there"].asset.tag not in html


# --- Admin -----------------------------------------------------------------------------------


def test_admin_keeps_secrets_write_only(client, django_user_model):
    from monitoring.models import SnmpProfile
    from monitoring.secrets import secret_decrypt

    client.force_login(
        django_user_model.objects.create_superuser("root", "root@example.org", "pw-for-tests-1")
    )
    add = reverse("admin:monitoring_snmpprofile_add")
    response = client.post(
        add,
        {
            "name": "Routers v3",
            "version": "3",
            "v3_user": "mon",
            "auth_proto": "SHA",
            "auth_key": "",
            "priv_proto": "",
            "priv_key": "",
            "community": "",
        },
    )
    assert response.status_code == 200
    assert response.context["adminform"].form.errors["auth_key"] == ["Give the authentication key."]
    response = client.post(
        add,
        {
            "name": "Routers v3",
            "version": "3",
            "v3_user": "mon",
            "auth_proto": "SHA",
            "auth_key": "auth-key-secret-1",
            "priv_proto": "AES",
            "priv_key": "priv-key-secret-2",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    profile = SnmpProfile.objects.get(name="Routers v3")
    assert secret_decrypt(profile.priv_key_encrypted) == "priv-key-secret-2"
    change = reverse("admin:monitoring_snmpprofile_change", args=[profile.pk])
    html = client.get(change).content.decode()
    assert "auth-key-secret-1" not in html and profile.auth_key_encrypted not in html
    assert "•••• (set) — leave empty to keep it." in html
    response = client.post(
        change,
        {
            "name": "Routers v3",
            "version": "3",
            "v3_user": "mon2",
            "auth_proto": "SHA",
            "auth_key": "",
            "priv_proto": "AES",
            "priv_key": "",
        },
    )
    assert response.status_code == 302
    profile.refresh_from_db()
    assert profile.v3_user == "mon2"
    assert secret_decrypt(profile.auth_key_encrypted) == "auth-key-secret-1"
    assert client.get(reverse("admin:monitoring_monitoreddevice_changelist")).status_code == 200
    assert client.get(reverse("admin:monitoring_polloutcome_changelist")).status_code == 200
    assert client.get(reverse("admin:monitoring_snmpprofile_changelist")).status_code == 200
