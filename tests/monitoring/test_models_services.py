"""Profiles and their encrypted secrets, attaching devices, saving poll results in bulk
(health transitions, sampling, query counts), targets for the poller, retention, poll now."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.choices import AssetStatus
from monitoring import poller, services
from monitoring.choices import Health
from monitoring.forms import SnmpProfileForm
from monitoring.models import MonitoredDevice, PollOutcome, SnmpProfile
from monitoring.secrets import SecretUnreadable, secret_decrypt, secret_encrypt
from tests.factories import AssetModelFactory, CategoryFactory, make_asset, make_user
from tests.monitoring.test_rules import printer, result, supply, ups_device

COMMUNITY = "kh0r0g-pr1nters"
AUTH_KEY = "auth-key-secret-1"
PRIV_KEY = "priv-key-secret-2"


def make_profile(name="Printers v2c", **values) -> SnmpProfile:
    values = {"version": "2c", "community": COMMUNITY, **values}
    return services.snmp_profile_create(by=None, name=name, **values)


def monitored_category(code="printer"):
    category = CategoryFactory(code=code)
    if not category.is_monitored:
        category.is_monitored = True
        category.save(update_fields=["is_monitored"])
    return category


_addresses = iter(range(1, 60_000))


def monitored_asset(*, category_code="printer", **kwargs):
    category = monitored_category(category_code)
    n = next(_addresses)
    kwargs.setdefault("network_address", f"10.{n // 250 % 250}.{n % 250}.{n % 200 + 1}")
    return make_asset(
        asset_model=AssetModelFactory(name=f"Model {category_code}", category=category), **kwargs
    )


def make_device(*, asset=None, profile=None, **kwargs) -> MonitoredDevice:
    return services.monitored_device_add(
        by=None,
        asset=asset or monitored_asset(),
        profile=profile or SnmpProfile.objects.first() or make_profile(),
        **kwargs,
    )


# --- Secrets ---------------------------------------------------------------------------------


def test_secrets_round_trip_and_empty_stays_empty(settings):
    settings.MONITOR_SECRET_KEY = ""
    token = secret_encrypt(COMMUNITY)
    assert COMMUNITY not in token and secret_decrypt(token) == COMMUNITY
    assert secret_encrypt("") == "" and secret_decrypt("") == ""


def test_a_changed_key_makes_secrets_unreadable_and_rotation_keeps_them(settings):
    settings.MONITOR_SECRET_KEY = "old passphrase"
    token = secret_encrypt(COMMUNITY)
    settings.MONITOR_SECRET_KEY = "new passphrase"
    with pytest.raises(SecretUnreadable) as error:
        secret_decrypt(token)
    assert "cannot be decrypted with the configured key" in str(error.value)
    assert COMMUNITY not in str(error.value) and token not in str(error.value)
    settings.MONITOR_SECRET_KEY = "new passphrase, old passphrase"  # the new first: rotation
    assert secret_decrypt(token) == COMMUNITY


def test_a_fernet_key_is_used_as_it_is(settings):
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    settings.MONITOR_SECRET_KEY = key
    assert Fernet(key.encode()).decrypt(secret_encrypt("x").encode()) == b"x"


@pytest.mark.django_db
def test_secrets_are_encrypted_in_the_database_and_never_shown():
    profile = make_profile(
        name="v3",
        version="3",
        v3_user="monitor",
        auth_proto="SHA",
        auth_key=AUTH_KEY,
        priv_proto="AES",
        priv_key=PRIV_KEY,
    )
    v2 = make_profile()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT community_encrypted, auth_key_encrypted, priv_key_encrypted "
            "FROM monitoring_snmpprofile"
        )
        raw = " ".join(" ".join(row) for row in cursor.fetchall())
    for secret in (COMMUNITY, AUTH_KEY, PRIV_KEY):
        assert secret not in raw
    assert secret_decrypt(profile.auth_key_encrypted) == AUTH_KEY
    assert secret_decrypt(v2.community_encrypted) == COMMUNITY
    # Not in repr, nor in the form that edits the profile, nor in its history.
    assert repr(v2) == f"<SnmpProfile {v2.pk}: 'Printers v2c' v2c>"
    html = SnmpProfileForm(instance=v2).as_p()
    assert COMMUNITY not in html and v2.community_encrypted not in html
    assert "•••• (set)" in html
    history = v2.history.first()
    assert not hasattr(history, "community_encrypted")


@pytest.mark.django_db
def test_an_empty_secret_keeps_the_stored_one_and_a_new_one_replaces_it():
    profile = make_profile()
    token = profile.community_encrypted
    services.snmp_profile_update(profile=profile, by=None, name="Renamed", community="")
    profile.refresh_from_db()
    assert profile.name == "Renamed" and profile.community_encrypted == token
    services.snmp_profile_update(profile=profile, by=None, community="another-one")
    profile.refresh_from_db()
    assert secret_decrypt(profile.community_encrypted) == "another-one"
    assert profile.secrets_changed_at is not None


@pytest.mark.django_db
def test_switching_to_v3_clears_the_community():
    profile = make_profile()
    services.snmp_profile_update(
        profile=profile, by=None, version="3", v3_user="u", auth_proto="SHA", auth_key=AUTH_KEY
    )
    profile.refresh_from_db()
    assert profile.community_encrypted == "" and profile.has_auth_key
    assert profile.security_label == "SNMP v3 authNoPriv SHA"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field", "message"),
    [
        ({"name": " "}, "name", "Give the profile a name."),
        ({"name": "Printers v2c"}, "name", "A profile named “Printers v2c” exists already."),
        ({"version": "4"}, "version", "“4” is not an SNMP version this poller speaks."),
        ({"community": ""}, "community", "SNMP v1 and v2c need a community."),
        ({"version": "3"}, "v3_user", "SNMP v3 needs a user name."),
        (
            {"version": "3", "v3_user": "u", "auth_proto": "SHA"},
            "auth_key",
            "Give the authentication key.",
        ),
        (
            {"version": "3", "v3_user": "u", "auth_proto": "SHA", "auth_key": "short"},
            "auth_key",
            "SNMP v3 keys have at least 8 characters.",
        ),
        (
            {"version": "3", "v3_user": "u", "priv_proto": "AES", "priv_key": PRIV_KEY},
            "priv_proto",
            "Privacy needs authentication: choose an authentication protocol too.",
        ),
        (
            {
                "version": "3",
                "v3_user": "u",
                "auth_proto": "SHA",
                "auth_key": AUTH_KEY,
                "priv_proto": "AES",
            },
            "priv_key",
            "Give the privacy key.",
        ),
        (
            {"version": "3", "v3_user": "u", "auth_proto": "SHA1"},
            "auth_proto",
            "“SHA1” is not an authentication protocol.",
        ),
        (
            {"version": "3", "v3_user": "u", "priv_proto": "3DES"},
            "priv_proto",
            "“3DES” is not a privacy protocol.",
        ),
    ],
)
def test_profile_refusals_say_why(values, field, message):
    make_profile()
    values = {"name": "New", "version": "2c", "community": "", **values}
    with pytest.raises(ValidationError) as error:
        services.snmp_profile_create(by=None, **values)
    assert error.value.message_dict[field] == [message]


# --- Attaching devices -----------------------------------------------------------------------


@pytest.mark.django_db
def test_a_device_defaults_to_the_asset_address_and_its_category_kind():
    asset = monitored_asset(network_address="192.168.10.20")
    device = make_device(asset=asset)
    assert (device.address, device.port, device.kind, device.health) == (
        "192.168.10.20",
        161,
        "printer",
        Health.UNKNOWN,
    )
    assert device.history.first().history_change_reason == "Monitoring started"


@pytest.mark.django_db
def test_attaching_refusals_say_why():
    profile = make_profile()
    device = make_device(profile=profile)
    laptop = make_asset(
        asset_model=AssetModelFactory(name="ThinkPad", category=CategoryFactory(code="laptop"))
    )
    retired = monitored_asset()
    from inventory import services as inventory_services

    inventory_services.asset_change_status(
        asset=retired, by=None, to_status=AssetStatus.RETIRED, reason="broken"
    )
    cases = [
        ({"asset": device.asset}, "asset", f"{device.asset.tag} is monitored already."),
        (
            {"asset": laptop},
            "asset",
            f"{laptop.tag} is a Laptop: such devices are not polled over SNMP.",
        ),
        ({"asset": retired}, "asset", f"{retired.tag} is “Retired”: it cannot be monitored."),
        (
            {"asset": monitored_asset(network_address="")},
            "address",
            "Give the device's IP address or host name: the register has no network address "
            "for this asset.",
        ),
        (
            {"asset": monitored_asset(), "address": "10.0.0.300"},
            "address",
            "“10.0.0.300” is neither an IP address nor a host name.",
        ),
        (
            {"asset": monitored_asset(), "port": 0},
            "port",
            "A UDP port is a number from 1 to 65535.",
        ),
        (
            {"asset": monitored_asset(), "timeout_s": 60.0},
            "timeout_s",
            "The timeout is from 0.2 to 30.0 seconds.",
        ),
        ({"asset": monitored_asset(), "retries": 9}, "retries", "Retries are from 0 to 5."),
    ]
    for kwargs, field, message in cases:
        with pytest.raises(ValidationError) as error:
            services.monitored_device_add(by=None, profile=profile, **kwargs)
        assert error.value.message_dict[field] == [message], kwargs


@pytest.mark.django_db
def test_changing_the_address_starts_health_afresh():
    device = make_device()
    services.monitoring_results_save(results=[result(printer(), key=device.pk)])
    device.refresh_from_db()
    assert device.health == Health.UP
    services.monitored_device_update(device=device, by=None, timeout_s=5.0)
    assert device.health == Health.UP  # how long to wait says nothing about the device
    services.monitored_device_update(device=device, by=None, address="10.9.9.9", reason="moved")
    device.refresh_from_db()
    assert (device.address, device.health, device.health_since) == ("10.9.9.9", "unknown", None)
    assert device.history.first().history_change_reason == "moved"


# --- Targets ---------------------------------------------------------------------------------


@pytest.mark.django_db
def test_targets_carry_the_decrypted_secrets_of_enabled_devices():
    v3 = make_profile(
        name="v3",
        version="3",
        v3_user="monitor",
        auth_proto="SHA256",
        auth_key=AUTH_KEY,
        priv_proto="AES256",
        priv_key=PRIV_KEY,
        context="ctx",
    )
    v2 = make_profile()
    one = make_device(profile=v2, port=1161, timeout_s=1.5, retries=2)
    two = make_device(profile=v3)
    make_device(profile=v2, enabled=False)
    # In stock, it is not connected: rounds leave it out ("Poll now" still reaches it).
    stock = make_device(profile=v2, asset=monitored_asset(status=AssetStatus.IN_STOCK))
    targets = services.monitored_device_targets().targets
    assert [t.key for t in targets] == [one.pk, two.pk]
    assert [t.key for t in services.monitored_device_targets(device_ids=[stock.pk]).targets] == [
        stock.pk
    ]
    first, second = targets
    assert (first.host, first.port, first.version, first.community) == (
        one.address,
        1161,
        "2c",
        COMMUNITY,
    )
    assert (first.timeout, first.retries) == (1.5, 2)
    assert (second.version, second.v3_user, second.auth_proto, second.auth_key) == (
        "3",
        "monitor",
        "SHA256",
        AUTH_KEY,
    )
    assert (second.priv_proto, second.priv_key, second.context) == ("AES256", PRIV_KEY, "ctx")
    assert COMMUNITY not in repr(first)


@pytest.mark.django_db
def test_devices_whose_secrets_are_unreadable_are_left_out_and_logged_without_secrets(
    settings, caplog
):
    settings.MONITOR_SECRET_KEY = "key one"
    device = make_device()
    settings.MONITOR_SECRET_KEY = "key two"
    with caplog.at_level(logging.ERROR, logger="monitoring.services"):
        loaded = services.monitored_device_targets()
    assert loaded.targets == [] and loaded.unreadable == [device.pk]
    assert "'Printers v2c'" in caplog.text and "cannot be decrypted" in caplog.text
    assert COMMUNITY not in caplog.text and device.profile.community_encrypted not in caplog.text


# --- Saving results --------------------------------------------------------------------------


def _devices(n: int) -> list[MonitoredDevice]:
    profile = make_profile()
    return [make_device(profile=profile) for _ in range(n)]


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
def test_saving_a_round_costs_the_same_few_queries_for_1_and_50_devices(rows):
    devices = _devices(rows)
    results = [
        result(printer(errors=["jammed"] if i % 3 == 0 else []), key=d.pk)
        if i % 4
        else result(key=d.pk, error="timeout")
        for i, d in enumerate(devices)
    ]
    if rows == 1:
        results = [result(printer(), key=devices[0].pk)]
    with CaptureQueriesContext(connection) as ctx:
        summary = services.monitoring_results_save(results=results)
    sql = "\n".join(q["sql"] for q in ctx.captured_queries)
    # Read the devices (with their last stored outcome), store the outcomes, update the
    # devices' health, update the facts of those that answered; then the supply forecasts of
    # the printers whose outcome was stored: read their supplies and history, replace their
    # forecasts (monitoring.services.supply_forecasts_refresh).
    statements = [
        q for q in ctx.captured_queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE"))
    ]
    assert len(statements) == 4 + 4, sql
    assert summary.saved == rows and summary.stored == rows


@pytest.mark.django_db
def test_health_transitions_and_facts_are_saved():
    device = make_device()
    t0 = timezone.now().replace(microsecond=0)
    facts = printer(
        errors=["jammed", "lowPaper"],
        supplies=[
            supply(percent=80.0),
            supply(index="1.2", description="Drum", percent=None, level=-3),
        ],
    )
    summary = services.monitoring_results_save(results=[result(facts, key=device.pk, at=t0)])
    assert summary.health == {"warning": 1} and summary.health_changed == 1
    device.refresh_from_db()
    assert (device.health, device.health_since, device.last_polled_at) == ("warning", t0, t0)
    assert device.errors == ["jammed", "lowPaper"]
    assert [s["percent"] for s in device.supplies] == [80.0, None]
    assert device.lowest_supply_percent == 80.0
    assert (device.page_count, device.printer_status, device.sys_name) == (
        12345,
        "idle",
        "prn-front",
    )
    assert device.last_reachable_at == t0 and device.response_ms == 12.0

    # Unreachable: down since then, and the last facts seen are kept.
    t1 = t0 + dt.timedelta(minutes=5)
    services.monitoring_results_save(results=[result(key=device.pk, at=t1, error="timeout")])
    device.refresh_from_db()
    assert (device.health, device.health_since, device.last_error) == ("down", t1, "timeout")
    assert device.response_ms is None and device.last_reachable_at == t0
    assert device.errors == ["jammed", "lowPaper"] and device.page_count == 12345

    # Still down: "since" does not move.
    t2 = t1 + dt.timedelta(minutes=5)
    services.monitoring_results_save(results=[result(key=device.pk, at=t2, error="timeout")])
    device.refresh_from_db()
    assert (device.health_since, device.last_polled_at) == (t1, t2)


@pytest.mark.django_db
def test_an_overloaded_poller_leaves_the_device_as_it_was():
    device = make_device()
    t0 = timezone.now()
    services.monitoring_results_save(results=[result(printer(), key=device.pk, at=t0)])
    later = t0 + dt.timedelta(minutes=5)
    summary = services.monitoring_results_save(
        results=[result(key=device.pk, at=later, overloaded=True, reachable=False)]
    )
    device.refresh_from_db()
    assert summary.overloaded == 1 and summary.saved == 0 and summary.health == {"up": 1}
    assert (device.health, device.health_since, device.last_polled_at) == ("up", t0, t0)
    latest = device.outcomes.first()
    assert latest.overloaded and latest.health == "up"


@pytest.mark.django_db
def test_a_serial_other_than_the_registered_one_is_flagged():
    device = make_device()
    services.monitoring_results_save(results=[result(printer(serial="XYZ999"), key=device.pk)])
    device.refresh_from_db()
    assert device.serial_seen == "XYZ999" and device.serial_mismatch
    good = printer(serial=device.asset.serial.lower())
    services.monitoring_results_save(
        results=[result(good, key=device.pk, at=timezone.now() + dt.timedelta(minutes=1))]
    )
    device.refresh_from_db()
    assert not device.serial_mismatch


@pytest.mark.django_db
def test_history_stores_changes_and_samples_not_every_identical_reading(settings):
    settings.MONITOR_SAMPLE_HOURS = 6
    device = make_device()
    t0 = timezone.now().replace(microsecond=0)

    def save(facts, minutes, **kwargs):
        at = t0 + dt.timedelta(minutes=minutes)
        services.monitoring_results_save(results=[result(facts, key=device.pk, at=at, **kwargs)])

    save(printer(page_count=100), 0)  # first: stored
    for minute in range(5, 60, 5):  # the same state, the counter moving: not stored
        save(printer(page_count=100 + minute), minute)
    save(printer(page_count=200, errors=["jammed"]), 60)  # a change: stored
    save(printer(page_count=200), 65)  # cleared: stored
    save(printer(page_count=210), 65 + 6 * 60)  # six hours on: a sample
    save(None, 65 + 6 * 60 + 5, error="timeout")  # down: stored
    save(None, 65 + 6 * 60 + 10, error="timeout")  # still down: not stored
    stored = list(device.outcomes.order_by("polled_at").values_list("page_count", "health"))
    assert stored == [(100, "up"), (200, "warning"), (200, "up"), (210, "up"), (None, "down")]


@pytest.mark.django_db
def test_results_of_deleted_devices_are_counted_not_saved():
    device = make_device()
    summary = services.monitoring_results_save(
        results=[result(printer(), key=device.pk), result(printer(), key=999_999)]
    )
    assert (summary.results, summary.saved, summary.missing) == (2, 1, 1)


@pytest.mark.django_db
def test_ups_and_router_facts_are_kept():
    ups = make_device(asset=monitored_asset(category_code="ups"))
    services.monitoring_results_save(
        results=[result(ups_device(output_source="battery", charge=55.0), key=ups.pk)]
    )
    ups.refresh_from_db()
    assert ups.health == "warning" and ups.kind == "ups"
    assert ups.ups["output_source"] == "battery" and ups.ups["charge_percent"] == 55.0
    assert ups.supplies == [] and ups.lowest_supply_percent is None


@pytest.mark.django_db
def test_odd_bytes_from_a_device_are_stored_safely():
    device = make_device()
    facts = printer(serial="AB\x00CD")
    facts = type(facts)(**{**facts.__dict__, "sys_descr": "x" * 70_000, "sys_name": "n\x00ame"})
    services.monitoring_results_save(results=[result(facts, key=device.pk)])
    device.refresh_from_db()
    assert device.sys_name == "name" and len(device.sys_descr) == 4000
    assert device.serial_seen == "ABCD"


# --- Retention -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_old_outcomes_are_deleted_in_one_statement():
    device = make_device()
    now = timezone.now()
    PollOutcome.objects.bulk_create(
        PollOutcome(
            device=device,
            polled_at=now - dt.timedelta(days=d),
            reachable=True,
            health="up",
            fingerprint="f",
        )
        for d in (1, 399, 401, 500, 1000)
    )
    with CaptureQueriesContext(connection) as ctx:
        deleted = services.monitoring_outcomes_prune(keep_days=400, now=now)
    assert deleted == 3
    assert len([q for q in ctx.captured_queries if q["sql"].startswith("DELETE")]) == 1
    assert sorted((now - o.polled_at).days for o in PollOutcome.objects.all()) == [1, 399]


@pytest.mark.django_db
def test_history_is_kept_at_least_a_day():
    with pytest.raises(ValidationError) as error:
        services.monitoring_outcomes_prune(keep_days=0)
    assert error.value.messages == [
        "Poll history is kept at least one day (MONITOR_KEEP_DAYS is 0)."
    ]


# --- Poll now --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_poll_now_polls_one_device_and_always_stores_who_asked(monkeypatch):
    device = make_device()
    user = make_user("technician")
    seen = []

    def fake_poll_round(targets, **kwargs):
        seen.extend(targets)
        return [result(printer(), key=t.key, at=timezone.now()) for t in targets]

    monkeypatch.setattr(poller, "poll_round", fake_poll_round, raising=False)
    services.monitoring_results_save(results=[result(printer(), key=device.pk)])
    outcome = services.monitored_device_poll_now(device=device, by=user)
    assert [t.key for t in seen] == [device.pk] and seen[0].community == COMMUNITY
    assert outcome.device.health == "up" and outcome.result.reachable
    # Nothing changed, yet the outcome is stored: a person asked for it.
    latest = device.outcomes.first()
    assert device.outcomes.count() == 2 and latest.polled_by == user


@pytest.mark.django_db
def test_poll_now_with_unreadable_secrets_says_why(settings):
    settings.MONITOR_SECRET_KEY = "key one"
    device = make_device()
    settings.MONITOR_SECRET_KEY = "key two"
    with pytest.raises(ValidationError) as error:
        services.monitored_device_poll_now(device=device, by=None, poll=lambda targets: [])
    assert error.value.messages == [
        f"The SNMP profile's secrets of {device.asset.tag} cannot be decrypted with the "
        "configured key. Enter its community or keys again."
    ]
