"""Report pages: permissions and scope, the list behind a figure, query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from inventory.choices import AssetStatus
from reports import reconciliation as rules
from tests.factories import (
    AssetModelFactory,
    DistrictFactory,
    HandoverSetFactory,
    OfficeFactory,
    RegionFactory,
    make_asset,
    make_user,
)

pytestmark = pytest.mark.django_db

PAGES = ("report_index", "reconciliation", "reconciliation_print", "reconciliation_assets")


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("administrator", 200),
        ("logistics_officer", 200),
        ("auditor", 200),
        ("technician", 200),
        ("office_head", 200),
        (None, 403),
    ],
)
def test_every_role_reads_the_reports(client, role, expected):
    user = make_user(role) if role else make_user("auditor", username="norole")
    if role is None:
        user.groups.clear()
    client.force_login(user)
    for name in PAGES:
        assert client.get(reverse(name)).status_code == expected, name
    response = client.get(reverse("reconciliation_xlsx"))
    assert response.status_code == expected


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse("reconciliation"))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_technician_sees_only_their_regions_and_no_declared_figures(client, fleet):
    technician = make_user("technician", username="tech", regions=[fleet.south])
    client.force_login(technician)
    response = client.get(reverse("reconciliation"))
    report = response.context["report"]
    assert report.total["registered"].quantity == 1  # l_other_act at C, in the south
    assert report.totals is None
    assert all(row.declared is None for row in report.rows)
    kinds = {summary.kind for summary in report.kinds}
    assert not kinds & rules.NATIONAL_KINDS
    content = response.content.decode()
    assert "This report covers only the offices in your scope." in content
    assert "4,600" not in content  # no declared value anywhere
    # the list behind a figure answers only in scope, and hides national kinds
    listed = client.get(reverse("reconciliation_assets"), {"stage": "registered"})
    assert [a.tag for a in listed.context["table"].data] == [fleet.assets["l_other_act"].tag]
    national = client.get(reverse("reconciliation_assets"), {"kind": "value_difference"})
    assert list(national.context["table"].data) == []


def test_page_shows_totals_charts_and_links(client, fleet):
    client.force_login(fleet.logistics)
    response = client.get(reverse("reconciliation"))
    content = response.content.decode()
    assert "How figures are counted" in content
    assert "reconciles" in content
    assert content.count('role="img"') == 3
    url = reverse("reconciliation_assets")
    assert f'href="{url}?set={fleet.set.pk}&amp;stage=signed"' in content
    assert f"{url}?kind=no_signed_act" in content
    assert reverse("reconciliation_xlsx") in content
    assert reverse("reconciliation_print") in content
    printable = client.get(reverse("reconciliation_print")).content.decode()
    assert 'class="top"' not in printable  # no navigation
    assert "How figures are counted" in printable


def test_drill_down_lists_exactly_the_assets_counted(client, fleet):
    client.force_login(fleet.logistics)
    report = client.get(reverse("reconciliation")).context["report"]
    url = reverse("reconciliation_assets")
    for set_row in report.rows:
        for category_row in set_row.children:
            for stage, figure, link in category_row.cells:
                assert link.startswith(url)
                listed = client.get(link).context["table"].data
                assert len(listed) == figure.quantity, (category_row.label, stage)
    listed = client.get(url, {"kind": "no_signed_act"})
    tags = {a.tag for a in listed.context["table"].data}
    assert tags == {fleet.assets["p_direct"].tag, fleet.assets["l_other_act"].tag}
    assert "no signed act of this office lists it" in listed.content.decode()


def test_drill_down_export_has_the_reason(client, fleet):
    import io

    from openpyxl import load_workbook

    client.force_login(fleet.logistics)
    response = client.get(
        reverse("reconciliation_assets"), {"kind": "lost_retired", "_export": "xlsx"}
    )
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[1][-1] == "Reason"
    assert rows[2][0] == fleet.assets["l_lost"].tag
    assert rows[2][-1] == "Lost: Stolen in May"


# --- query counts ----------------------------------------------------------------------------

# session, user, 2 permission lookups, roles
AUTH = 5
# sets, categories, offices, declared lines, plan lines; the funnel's evidence: assets, the
# rest of the register's serials, dispatched transfer lines, signed act lines,
# verifications, open repairs, devices down; the first rows of every kind (one query)
REPORT = 5 + 7 + 1
# the menu's open alerts, and the filter form's choices: sets, campaigns, regions
PAGE_EXTRA = 1 + 3
# the menu's open alerts, the count and the rows
ASSETS_LIST = AUTH + 1 + 2


def _fill(n: int):
    user = make_user("logistics_officer", username="counter")
    region = RegionFactory(code="QC")
    offices = [OfficeFactory(district=DistrictFactory(region=region)) for _ in range(3)]
    model = AssetModelFactory()
    handover_set = HandoverSetFactory()
    for i in range(n):
        make_asset(
            by=user,
            asset_model=model,
            office=offices[i % 3],
            handover_set=handover_set,
            value=Decimal("10.00"),
            status=AssetStatus.DEPLOYED,
        )
    return user


def _count(client, url, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, params or {})
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize("n", [1, 50])
def test_query_counts_do_not_grow_with_assets(client, n):
    user = _fill(n)
    client.force_login(user)
    counts = {
        "page": _count(client, reverse("reconciliation")),
        "print": _count(client, reverse("reconciliation_print")),
        "stage": _count(client, reverse("reconciliation_assets"), {"stage": "received"}),
        "kind": _count(client, reverse("reconciliation_assets"), {"kind": "no_signed_act"}),
    }
    assert counts == {
        "page": AUTH + REPORT + PAGE_EXTRA,
        "print": AUTH + REPORT,
        "stage": ASSETS_LIST,
        "kind": ASSETS_LIST,
    }


def test_report_queries_with_a_declared_line_exceeded(client, fleet):
    """One more query lists the assets registered beyond a declared line's number."""
    from inventory.models import HandoverSetLine

    HandoverSetLine.objects.filter(category=fleet.printer).update(declared_quantity=2)
    client.force_login(fleet.logistics)
    assert _count(client, reverse("reconciliation_print")) == AUTH + REPORT + 1


def test_serial_duplicate_list_names_the_twin_on_page_and_in_export(client, fleet):
    import io

    from openpyxl import load_workbook

    twin = make_asset(
        by=fleet.logistics,
        asset_model=fleet.assets["p_stock"].asset_model,
        serial="sn p.direct",
        status=AssetStatus.IN_STOCK,
        office=fleet.warehouse,
    )
    client.force_login(fleet.logistics)
    url = reverse("reconciliation_assets")
    page = client.get(url, {"kind": "serial_duplicate"}).content.decode()
    assert f"Serial SN-P_DIRECT is also the serial of {twin.tag}" in page
    response = client.get(url, {"kind": "serial_duplicate", "_export": "xlsx"})
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    reasons = [row[-1] for row in sheet.iter_rows(min_row=3, values_only=True)]
    assert reasons == [f"Serial SN-P_DIRECT is also the serial of {twin.tag}"]
