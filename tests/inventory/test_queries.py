"""Lists and pages run a fixed number of queries, whatever the number of rows."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inventory import services
from monitoring import services as monitoring_services
from monitoring.poller import PollResult
from monitoring.snmp.decode import DeviceFacts, PrinterFacts
from tests.factories import (
    AssetModelFactory,
    CategoryFactory,
    CRServiceFactory,
    DistrictFactory,
    HandoverSetFactory,
    ManufacturerFactory,
    OfficeFactory,
    RegionFactory,
    make_asset,
    make_user,
)

# Expected queries per page for a logistics officer. The count is the same with 1 row as with 50.
# Every page also counts the open alerts the menu shows (monitoring.context_processors.alerts).
MENU_ALERT_COUNT = 1
EXPECTED = {
    # session, user, roles, count, rows, 5 filter choices, 2 permission lookups for the menu
    "asset_list": 12,
    # the same, plus the check that the chosen region exists
    "asset_list_filtered": 13,
    # ... asset, services, history, history services, names of models/offices/sets/services,
    # the deployments panel: its transfers and its handover acts, and the monitoring panel:
    # the monitored device with its profile, and its page-counter history, and the repairs
    # panel: the asset's repair tickets, and the verifications panel: its latest verifications,
    # and the services-at-risk panel: whether a requirement names the asset's category and zone
    "asset_detail": 20,
    "dashboard": 12,
    "office_list": 9,
    # ... and the deployments panels: plan lines, deliveries and signed acts per category,
    # the office's newest acts and the transfers on their way to it, and the monitoring panel:
    # its devices per health, and the devices, and the readiness panel: its open periods
    "office_detail": 17,
    # session, user, 2 permission lookups, roles, assets, their donors
    "asset_labels": 7,
    # the same, plus the check that the chosen region exists
    "asset_labels_from_list": 8,
}


def _fill(n: int, user):
    """Create n assets spread over offices, regions, models, sets and services, with history."""
    regions = [RegionFactory(code=f"Q{i}") for i in range(3)]
    offices = [OfficeFactory(district=DistrictFactory(region=regions[i % 3])) for i in range(5)]
    categories = [CategoryFactory(code=code) for code in ("printer", "laptop")]
    categories[0].is_monitored = True  # printers are polled (see _monitor)
    categories[0].save()
    models = [
        AssetModelFactory(
            manufacturer=ManufacturerFactory(name=f"Maker {i}"),
            name=f"Model {i}",
            category=categories[i % 2],
        )
        for i in range(4)
    ]
    sets = [HandoverSetFactory() for _ in range(2)]
    birth = CRServiceFactory()
    assets = []
    for i in range(n):
        asset = make_asset(
            by=user,
            asset_model=models[i % 4],
            office=offices[i % 5],
            handover_set=sets[i % 2],
            services=[birth],
        )
        assets.append(asset)
    _monitor(assets, n)
    return assets, offices


def _monitor(assets, n: int) -> None:
    """Monitor the printers, with n polls of the first one in its history."""
    profile = monitoring_services.snmp_profile_create(
        by=None, name="Printers", version="2c", community="public"
    )
    printers = [a for a in assets if a.asset_model.category.code == "printer"]
    devices = [
        monitoring_services.monitored_device_add(
            by=None, asset=asset, profile=profile, address=f"10.0.{i // 250}.{i % 250 + 1}"
        )
        for i, asset in enumerate(printers)
    ]
    now = timezone.now()
    monitoring_services.monitoring_results_save(
        results=[
            PollResult(
                key=devices[0].pk,
                reachable=True,
                error=None,
                response_ms=9.0,
                facts=DeviceFacts(
                    sys_descr="printer",
                    sys_object_id=None,
                    sys_name="",
                    uptime_seconds=60.0,
                    serial=None,
                    kind="printer",
                    printer=PrinterFacts("running", "idle", (), 1000 + 10 * i, ()),
                ),
                raw=None,
                polled_at=now - dt.timedelta(hours=i),
            )
            for i in range(n)
        ],
        force_store=True,
    )


def _count(client, url, data=None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, data or {})
    assert response.status_code == 200
    return len(ctx.captured_queries), response


def _pages(assets, offices):
    asset = assets[0]
    return {
        "asset_list": (reverse("asset_list"), None),
        "asset_list_filtered": (
            reverse("asset_list"),
            {"status": "deployed", "region": offices[0].region_id, "sort": "-serial"},
        ),
        "asset_detail": (reverse("asset_detail", args=[asset.pk]), None),
        "dashboard": (reverse("dashboard"), None),
        "office_list": (reverse("office_list"), None),
        "office_detail": (reverse("office_detail", args=[offices[0].pk]), None),
        "asset_labels": (reverse("asset_labels"), {"ids": [a.pk for a in assets]}),
        "asset_labels_from_list": (
            reverse("asset_labels"),
            {"from_list": "1", "region": offices[0].region_id, "sort": "-serial"},
        ),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("page", list(EXPECTED))
def test_query_count_is_fixed(client, django_assert_num_queries, page, rows):
    user = make_user("logistics_officer")
    assets, offices = _fill(rows, user)
    # Give the first asset a long history, so the detail page is tested with many entries.
    for i in range(rows):
        services.asset_update(asset=assets[0], by=user, notes=f"note {i}", reason=f"edit {i}")
    client.force_login(user)
    url, data = _pages(assets, offices)[page]
    with django_assert_num_queries(EXPECTED[page] + MENU_ALERT_COUNT):
        response = client.get(url, data or {})
    assert response.status_code == 200
    if page == "asset_list":
        assert response.content.decode().count("<tr>") == min(rows, 50) + 1
