"""The reconciliation workbook: sheets, frozen headers, filters, chart, totals, neutralised text."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from reports import reconciliation as rules
from tests.factories import make_asset

pytestmark = pytest.mark.django_db


def _workbook(client, **params):
    response = client.get(reverse("reconciliation_xlsx"), params)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert "reconciliation-" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(b"".join(response.streaming_content)))


def test_workbook_has_every_sheet_with_frozen_filtered_headers(client, fleet):
    client.force_login(fleet.logistics)
    workbook = _workbook(client)
    expected = ["Summary", "By region", "By office"] + [
        str(rules.KIND_LABELS[kind])[:31] for kind in rules.KINDS
    ]
    assert workbook.sheetnames == expected
    assert all(len(name) <= 31 for name in workbook.sheetnames)
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes, sheet.title
        assert sheet.auto_filter.ref, sheet.title
    summary = workbook["Summary"]
    assert len(summary._charts) == 1
    assert workbook["By office"].freeze_panes == "A2"


def _summary_rows(sheet):
    return list(sheet.iter_rows(values_only=True))


def test_summary_has_the_pages_totals_and_who_made_it(client, fleet):
    client.force_login(fleet.logistics)
    page = client.get(reverse("reconciliation"), {"campaign": fleet.campaign.pk}).context["report"]
    workbook = _workbook(client, campaign=fleet.campaign.pk)
    rows = _summary_rows(workbook["Summary"])
    assert rows[0][0] == "Handover reconciliation"
    meta = {row[0]: row[1] for row in rows[1:7]}
    assert meta["Handover sets"] == "HS-T"
    assert meta["Verifications"].startswith(fleet.campaign.number)
    assert meta["Produced by"] == "logistics"
    assert len(meta["Produced on (Asia/Dushanbe)"]) == len("30.11.2026 18:00")
    total = next(row for row in rows if row[0] == "Total")
    quantities = total[4::2][: len(rules.STAGES)]
    assert list(quantities) == [page.total[stage].quantity for stage in rules.STAGES]
    assert total[2] == 7 and total[3] == Decimal("4600")
    line = next(row for row in rows if row[0] == "Declared value")
    assert line[1] == 4600 and line[3] == 4600 and line[4] == "reconciles"
    header = next(row for row in rows if row[0] == "Handover set")
    assert header[4] == "Registered (quantity)"
    # money cells carry the USD format
    sheet = workbook["Summary"]
    money_cells = [c for row in sheet.iter_rows() for c in row if c.number_format.endswith('"USD"')]
    assert money_cells


def test_discrepancy_sheets_hold_every_row_and_neutralise_formulas(client, fleet):
    formula = make_asset(
        by=fleet.logistics,
        asset_model=fleet.assets["p_direct"].asset_model,
        serial="=HYPERLINK(1)",
        office=fleet.office_a,
        handover_set=fleet.set,
        value=None,
        notes="=1+1",
    )
    client.force_login(fleet.logistics)
    workbook = _workbook(client)
    sheet = workbook[str(rules.KIND_LABELS[rules.VALUE_DIFFERENCE])]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Handover set"
    asset_row = next(row for row in rows if row[2] == formula.tag)
    assert asset_row[3] == "'=HYPERLINK(1)"
    assert asset_row[-1] == "No value in the register"
    unsigned = workbook[str(rules.KIND_LABELS[rules.NO_SIGNED_ACT])]
    tags = {row[0] for row in unsigned.iter_rows(min_row=2, values_only=True)}
    assert tags == {fleet.assets["p_direct"].tag, fleet.assets["l_other_act"].tag, formula.tag}
    lost = list(workbook[str(rules.KIND_LABELS[rules.LOST_RETIRED])].iter_rows(values_only=True))
    assert lost[1][-1] == "Lost: Stolen in May"
    assert lost[1][9] is not None  # registered date, typed
    by_region = list(workbook["By region"].iter_rows(values_only=True))
    assert by_region[0][:4] == ("Handover set", "Category", "Region", "Planned")
    assert {row[2] for row in by_region[1:]} == {"North", "South"}
