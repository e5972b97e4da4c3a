"""The funnel and the discrepancy kinds on the hand-built fleet (tests/reports/conftest.py)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from deployments.choices import ActStatus, VerificationOutcome
from deployments.models import DistributionPlanLine
from inventory.choices import AssetStatus
from inventory.models import Asset, HandoverSetLine
from reports import queries
from reports import reconciliation as rules
from tests.factories import AssetModelFactory, CategoryFactory, make_asset
from tests.reports.conftest import act_make, verify

pytestmark = pytest.mark.django_db


def _report(user, **filters):
    return queries.reconciliation_report(user=user, filters=queries.ReportFilters(**filters))


def _figures(funnel) -> dict:
    return {
        stage: (funnel[stage].quantity, Decimal(funnel[stage].value or 0)) for stage in rules.STAGES
    }


def _ids(queryset) -> set[int]:
    return set(queryset.values_list("pk", flat=True))


def test_funnel_totals_on_the_hand_built_fleet(fleet):
    report = _report(fleet.logistics)
    assert _figures(report.total) == {
        "registered": (7, Decimal("4600")),
        # direct to A, in transit to B, signed at A, by transfer to B, at C
        "dispatched": (5, Decimal("3100")),
        # not the one in transit, not the warehouse's, not the lost one
        "received": (4, Decimal("3000")),
        # signed act of its own office; not another office's, not draft, not superseded
        "signed": (2, Decimal("1500")),
        # latest verifications: found (p_signed's earlier not-found does not count)
        "verified_found": (2, Decimal("200")),
        # p_signed only: p_direct's latest check says not working, l_received is in repair,
        # l_other_act is down, the others are not deployed
        "working": (1, Decimal("100")),
    }
    assert report.totals.declared_value == Decimal("4600.00")
    assert report.totals.registered_value == Decimal("4600")
    assert report.totals.reconciles


def test_campaign_filter_counts_only_that_campaigns_verifications(fleet):
    report = _report(fleet.logistics, campaign=fleet.campaign)
    # p_signed: the campaign's check did not find it (the later ad hoc one is ignored).
    assert report.total["verified_found"].quantity == 1
    assert report.kind(rules.NOT_FOUND).count == 1
    assert [a.tag for a in report.kind(rules.NOT_FOUND).assets] == [fleet.assets["p_signed"].tag]
    # p_direct's "not working" is the campaign's; p_signed has no condition in the campaign.
    assert report.total["working"].quantity == 1


def test_in_transit_is_shown_under_the_destination(fleet):
    report = _report(fleet.logistics)
    (set_row,) = report.rows
    printers = next(row for row in set_row.children if row.category == fleet.printer)
    north = next(row for row in printers.children if row.region == fleet.north)
    by_office = {row.office.code: row for row in north.children}
    assert by_office["OF-B"].funnel["dispatched"].quantity == 1
    assert by_office["OF-B"].funnel["received"].quantity == 0
    assert by_office["OF-B"].declared.quantity == 1  # planned
    assert by_office["WH-T"].funnel["registered"].quantity == 1
    assert by_office["OF-A"].funnel["signed"].quantity == 1
    assert north.declared.quantity == 3  # planned for A and B


def test_region_filter_narrows_the_breakdown_not_the_declaration(fleet):
    report = _report(fleet.logistics, region=fleet.south)
    assert report.total["registered"].quantity == 1  # l_other_act at C
    assert report.totals.declared_value == Decimal("4600.00")
    assert report.totals.registered_value == Decimal("4600")


def test_every_stage_list_holds_exactly_the_assets_counted(fleet):
    report = _report(fleet.logistics)
    for stage in rules.STAGES:
        assets = queries.selection_queryset(
            user=fleet.logistics,
            filters=queries.ReportFilters(),
            selection=queries.AssetSelection(stage=stage),
        )
        assert assets.count() == report.total[stage].quantity, stage
    signed = queries.selection_queryset(
        user=fleet.logistics,
        filters=queries.ReportFilters(),
        selection=queries.AssetSelection(stage="signed"),
    )
    assert _ids(signed) == {fleet.assets["p_signed"].pk, fleet.assets["l_received"].pk}
    at_b = queries.selection_queryset(
        user=fleet.logistics,
        filters=queries.ReportFilters(),
        selection=queries.AssetSelection(office_id=fleet.office_b.pk, stage="dispatched"),
    )
    assert _ids(at_b) == {fleet.assets["p_transit"].pk, fleet.assets["l_received"].pk}


# --- discrepancy kinds -----------------------------------------------------------------------


def _kind_ids(fleet, kind, **filters):
    return _ids(
        queries.discrepancy_queryset(
            user=fleet.logistics, filters=queries.ReportFilters(**filters), kind=kind
        )
    )


def _clean(fleet):
    """Make the fleet free of every discrepancy: sign the unsigned, find the lost."""
    assets = fleet.assets
    act_make(office=fleet.office_a, status=ActStatus.SIGNED, assets=[assets["p_direct"]])
    act_make(office=fleet.office_c, status=ActStatus.SIGNED, assets=[assets["l_other_act"]])
    Asset.objects.filter(pk=assets["l_lost"].pk).update(
        status=AssetStatus.DEPLOYED, office=fleet.office_c
    )
    act_make(office=fleet.office_c, status=ActStatus.SIGNED, assets=[assets["l_lost"]])
    DistributionPlanLine.objects.filter(office=fleet.office_c).update(planned_quantity=2)


def test_a_clean_fleet_has_no_discrepancy(fleet):
    _clean(fleet)
    report = _report(fleet.logistics)
    assert {summary.kind: summary.size for summary in report.kinds} == dict.fromkeys(rules.KINDS, 0)
    for kind in rules.ASSET_KINDS:
        assert _kind_ids(fleet, kind) == set(), kind


def _scanner(fleet, n=1, **kwargs):
    scanner = CategoryFactory(code="scanner", sort_order=3)
    model = AssetModelFactory(name="ScanJet", category=scanner)
    return scanner, [
        make_asset(
            by=fleet.logistics,
            asset_model=model,
            office=fleet.office_a,
            handover_set=fleet.set,
            value=Decimal("50.00"),
            **kwargs,
        )
        for _ in range(n)
    ]


def test_not_registered_is_a_count_gap_per_line(fleet):
    _clean(fleet)
    scanner = CategoryFactory(code="scanner", sort_order=3)
    HandoverSetLine.objects.create(
        handover_set=fleet.set, category=scanner, declared_quantity=2, declared_value=100
    )
    summary = _report(fleet.logistics).kind(rules.NOT_REGISTERED)
    assert summary.count == 2
    (line,) = summary.lines
    assert (line.category, line.declared_quantity, line.registered_quantity, line.gap) == (
        scanner,
        2,
        0,
        2,
    )
    assert line.reason(rules.NOT_REGISTERED) == "2 declared, 0 registered: 2 missing"


def test_not_declared_lists_undeclared_and_beyond_the_declared_number(fleet):
    _clean(fleet)
    _scanner_category, (scanner,) = _scanner(fleet)
    extra = make_asset(
        by=fleet.logistics,
        asset_model=fleet.assets["p_direct"].asset_model,
        office=fleet.office_a,
        handover_set=fleet.set,
        value=Decimal("100.00"),
    )
    report = _report(fleet.logistics)
    assert report.kind(rules.NOT_DECLARED).count == 2
    assert _kind_ids(fleet, rules.NOT_DECLARED) == {scanner.pk, extra.pk}
    reasons = {
        a.pk: rules.asset_reason(rules.NOT_DECLARED, a)
        for a in queries.discrepancy_queryset(
            user=fleet.logistics, filters=queries.ReportFilters(), kind=rules.NOT_DECLARED
        )
    }
    assert reasons[scanner.pk] == "Handover set HS-T declares no Scanner"
    assert reasons[extra.pk] == "Registered after the 4 declared Printer of HS-T"


def test_serial_duplicates_in_the_register_and_read_on_site(fleet):
    _clean(fleet)
    # "SN P.DIRECT" and "SN-P_DIRECT" are the same once reduced to letters and digits.
    twin = make_asset(
        by=fleet.logistics,
        asset_model=fleet.assets["p_stock"].asset_model,
        serial="sn p.direct",
        status=AssetStatus.IN_STOCK,
        office=fleet.warehouse,
        handover_set=None,  # outside the population, still in the register
    )
    assert twin.serial == "SN P.DIRECT"
    reader = fleet.assets["l_received"]
    verify(
        reader, VerificationOutcome.FOUND, days_ago=0, read="SN-L_OTHER_ACT", condition="working"
    )
    report = _report(fleet.logistics)
    assert _kind_ids(fleet, rules.SERIAL_DUPLICATE) == {fleet.assets["p_direct"].pk, reader.pk}
    assert report.kind(rules.SERIAL_DUPLICATE).count == 2
    reasons = {
        a.tag: rules.asset_reason(rules.SERIAL_DUPLICATE, a)
        for a in report.kind(rules.SERIAL_DUPLICATE).assets
    }
    assert reasons[fleet.assets["p_direct"].tag] == (
        f"Serial SN-P_DIRECT is also the serial of {twin.tag}"
    )
    assert fleet.assets["l_other_act"].tag in reasons[reader.tag]
    # the read also differs from the register: a serial mismatch too
    assert _kind_ids(fleet, rules.SERIAL_MISMATCH) == {reader.pk}


def test_other_office_against_the_plan_and_found_elsewhere(fleet):
    _clean(fleet)
    model = fleet.assets["p_direct"].asset_model
    third_at_a = make_asset(
        by=fleet.logistics, asset_model=model, office=fleet.office_a, handover_set=fleet.set
    )
    at_c = make_asset(
        by=fleet.logistics, asset_model=model, office=fleet.office_c, handover_set=fleet.set
    )
    elsewhere = fleet.assets["l_received"]
    verify(elsewhere, VerificationOutcome.FOUND_ELSEWHERE, found_office=fleet.office_c)
    report = _report(fleet.logistics)
    a_assets = {fleet.assets["p_direct"].pk, fleet.assets["p_signed"].pk, third_at_a.pk}
    assert _kind_ids(fleet, rules.OTHER_OFFICE) == a_assets | {at_c.pk, elsewhere.pk}
    assert report.kind(rules.OTHER_OFFICE).count == 5
    reasons = {
        a.pk: rules.asset_reason(rules.OTHER_OFFICE, a)
        for a in queries.discrepancy_queryset(
            user=fleet.logistics, filters=queries.ReportFilters(), kind=rules.OTHER_OFFICE
        )
    }
    assert reasons[third_at_a.pk] == "OF-A holds 3, plan says 2"
    assert reasons[at_c.pk] == "The plan of HS-T has no Printer for OF-C"
    assert reasons[elsewhere.pk].startswith("Found at OF-C on ")


def test_no_signed_act_not_found_and_lost(fleet):
    report = _report(fleet.logistics)
    assets = fleet.assets
    assert _kind_ids(fleet, rules.NO_SIGNED_ACT) == {
        assets["p_direct"].pk,
        assets["l_other_act"].pk,
    }
    assert report.kind(rules.NO_SIGNED_ACT).count == 2
    assert _kind_ids(fleet, rules.LOST_RETIRED) == {assets["l_lost"].pk}
    (lost,) = report.kind(rules.LOST_RETIRED).assets
    assert rules.asset_reason(rules.LOST_RETIRED, lost) == "Lost: Stolen in May"
    assert report.kind(rules.NOT_FOUND).count == 0
    verify(assets["p_stock"], VerificationOutcome.NOT_FOUND, days_ago=0)
    assert _kind_ids(fleet, rules.NOT_FOUND) == {assets["p_stock"].pk}
    assert _report(fleet.logistics).kind(rules.NOT_FOUND).count == 1


def test_value_difference_lines_and_assets_without_value(fleet):
    _clean(fleet)
    Asset.objects.filter(pk=fleet.assets["p_stock"].pk).update(value=None)
    report = _report(fleet.logistics)
    summary = report.kind(rules.VALUE_DIFFERENCE)
    assert summary.count == 1  # the asset without a value
    (line,) = summary.lines  # printers: 300 registered against 400 declared
    assert (line.category, line.value_difference) == (fleet.printer, Decimal("-100.00"))
    assert _kind_ids(fleet, rules.VALUE_DIFFERENCE) == {fleet.assets["p_stock"].pk}
    assert not report.totals.reconciles
    assert report.totals.difference == Decimal("-100.00")


def test_serial_mismatch_reads_the_latest_verification(fleet):
    _clean(fleet)
    asset = fleet.assets["p_signed"]
    verify(asset, VerificationOutcome.FOUND, days_ago=1, read="XYZ")
    assert _kind_ids(fleet, rules.SERIAL_MISMATCH) == {asset.pk}
    verify(asset, VerificationOutcome.FOUND, days_ago=0, read=asset.serial)
    assert _kind_ids(fleet, rules.SERIAL_MISMATCH) == set()
    assert _report(fleet.logistics).kind(rules.SERIAL_MISMATCH).count == 0


def test_every_asset_kind_count_matches_its_list(fleet):
    fleet_assets = fleet.assets
    verify(fleet_assets["p_stock"], VerificationOutcome.NOT_FOUND, days_ago=0)
    Asset.objects.filter(pk=fleet_assets["p_stock"].pk).update(value=None)
    report = _report(fleet.logistics)
    for summary in report.kinds:
        if summary.kind in rules.ASSET_KINDS:
            assert summary.count == len(_kind_ids(fleet, summary.kind)), summary.kind


def test_serial_reduce():
    assert rules.serial_reduce(" ab-12.c/d_e\\f ") == "AB12CDEF"
    assert rules.serial_reduce("") == ""
