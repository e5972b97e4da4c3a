"""Verification campaigns: the draw, checklists, verifications, proposed moves, closing.

Every rule and every refusal, with its message; the register changes only when a logistics
officer confirms a move, and the asset's history then says who and why.
"""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from deployments import selectors, services
from deployments.choices import (
    AssetCondition,
    CampaignMethod,
    CampaignStatus,
    MoveProposalStatus,
    VerificationOutcome,
)
from deployments.models import (
    CampaignAsset,
    CampaignChecklist,
    MoveProposal,
    Verification,
    VerificationCampaign,
)
from inventory import services as inventory_services
from inventory.choices import AssetStatus, OfficeKind, Zone
from inventory.selectors import asset_history
from tests.factories import (
    AssetModelFactory,
    CategoryFactory,
    DistrictFactory,
    HandoverSetFactory,
    OfficeFactory,
    RegionFactory,
    make_asset,
    make_campaign,
    make_user,
    photo_upload,
)

pytestmark = pytest.mark.django_db

FOUND = VerificationOutcome.FOUND
NOT_FOUND = VerificationOutcome.NOT_FOUND
ELSEWHERE = VerificationOutcome.FOUND_ELSEWHERE
WORKING = AssetCondition.WORKING


@pytest.fixture
def world():
    su, gb = RegionFactory(code="SU"), RegionFactory(code="GB")
    khujand = OfficeFactory(code="CR-SU-KHU", district=DistrictFactory(region=su))
    isfara = OfficeFactory(code="CR-SU-ISF", district=DistrictFactory(region=su))
    khorog = OfficeFactory(code="CR-GB-KHO", district=DistrictFactory(region=gb))
    warehouse = OfficeFactory(code="WH-T", kind=OfficeKind.WAREHOUSE, district=khorog.district)
    printer = AssetModelFactory(category=CategoryFactory(code="printer"))
    laptop = AssetModelFactory(name="ThinkPad E14", category=CategoryFactory(code="laptop"))
    march, other = HandoverSetFactory(code="HS-A"), HandoverSetFactory(code="HS-B")
    assets = {
        "khu_printer": make_asset(asset_model=printer, office=khujand, handover_set=march),
        "khu_laptop": make_asset(
            asset_model=laptop, office=khujand, handover_set=march, zone=Zone.FRONT_OFFICE
        ),
        "isf_laptop": make_asset(asset_model=laptop, office=isfara, handover_set=march),
        "kho_printer": make_asset(asset_model=printer, office=khorog, handover_set=other),
        "stock": make_asset(
            asset_model=laptop, status=AssetStatus.IN_STOCK, office=warehouse, handover_set=march
        ),
    }
    retired = make_asset(asset_model=laptop, office=khujand, handover_set=march)
    inventory_services.asset_retire(asset=retired, by=None, reason="Broken beyond repair")
    lost = make_asset(asset_model=printer, office=isfara, handover_set=march)
    inventory_services.asset_change_status(
        asset=lost, by=None, to_status=AssetStatus.LOST, reason="Stolen"
    )
    assets["lost"] = lost
    return {
        "su": su,
        "gb": gb,
        "khujand": khujand,
        "isfara": isfara,
        "khorog": khorog,
        "warehouse": warehouse,
        "printer": printer.category,
        "laptop": laptop.category,
        "march": march,
        "other": other,
        "assets": assets,
        "retired": retired,
        "auditor": make_user("auditor", username="auditor", first_name="Anna", last_name="B"),
        "technician": make_user("technician", username="tech", regions=[su]),
        "logistics": make_user(
            "logistics_officer", username="officer", first_name="Nodira", last_name="K"
        ),
        "head": make_user("office_head", username="head", office=khujand),
    }


def _drawn(campaign) -> set[int]:
    return set(CampaignAsset.objects.filter(campaign=campaign).values_list("asset_id", flat=True))


def _message(error) -> str:
    return " ".join(error.value.messages)


# The draw ------------------------------------------------------------------------------------


def test_a_full_campaign_covers_every_asset_in_scope_exactly_once(world):
    campaign = make_campaign(by=world["auditor"])
    expected = {asset.pk for asset in world["assets"].values()}  # lost and stock stay in
    assert _drawn(campaign) == expected
    assert world["retired"].pk not in _drawn(campaign)
    assert CampaignAsset.objects.filter(campaign=campaign).count() == len(expected)
    assert campaign.population_size == len(expected)
    assert campaign.number.startswith("VC-") and campaign.number.endswith("-0001")
    assert campaign.method == CampaignMethod.FULL and campaign.seed is None
    # One checklist per office, each holding its office's assets.
    offices = {
        checklist.office.code: set(checklist.items.values_list("asset_id", flat=True))
        for checklist in CampaignChecklist.objects.filter(campaign=campaign)
    }
    assert set(offices) == {"CR-SU-KHU", "CR-SU-ISF", "CR-GB-KHO", "WH-T"}
    # The checklists' history says who drew them.
    assert set(
        CampaignChecklist.history.values_list("history_user__username", "history_change_reason")
    ) == {("auditor", "Campaign drawn")}
    khu = world["assets"]
    assert offices["CR-SU-KHU"] == {khu["khu_printer"].pk, khu["khu_laptop"].pk}
    # The stratum is recorded as drawn.
    item = CampaignAsset.objects.get(campaign=campaign, asset=khu["khu_laptop"])
    assert (item.region.code, item.category.code) == ("SU", "laptop")


def test_assets_in_transit_are_left_out(world):
    officer = world["logistics"]
    transfer = services.transfer_create(
        by=officer,
        origin=world["warehouse"],
        destination=world["khujand"],
        destination_zone=Zone.STORAGE,
    )
    services.transfer_add_assets(
        transfer=transfer, by=officer, codes=[world["assets"]["stock"].tag]
    )
    services.transfer_dispatch(transfer=transfer, by=officer)
    assert world["assets"]["stock"].pk not in _drawn(make_campaign(by=world["auditor"]))


def test_the_scope_narrows_by_set_region_and_category(world):
    a = world["assets"]
    by_set = make_campaign(by=world["auditor"], handover_sets=[world["other"]])
    assert _drawn(by_set) == {a["kho_printer"].pk}
    by_region = make_campaign(by=world["auditor"], regions=[world["su"]])
    assert _drawn(by_region) == {
        a["khu_printer"].pk,
        a["khu_laptop"].pk,
        a["isf_laptop"].pk,
        a["lost"].pk,
    }
    both = make_campaign(
        by=world["auditor"],
        regions=[world["su"]],
        categories=[world["laptop"]],
        handover_sets=[world["march"]],
    )
    assert _drawn(both) == {a["khu_laptop"].pk, a["isf_laptop"].pk}
    assert list(both.regions.values_list("code", flat=True)) == ["SU"]


def test_the_same_seed_draws_the_same_sample(world):
    for _ in range(20):
        make_asset(asset_model=world["assets"]["khu_laptop"].asset_model, office=world["isfara"])
    first = make_campaign(by=world["auditor"], method=CampaignMethod.SAMPLE, sample_size=6, seed=42)
    second = make_campaign(
        by=world["auditor"], method=CampaignMethod.SAMPLE, sample_size=6, seed=42
    )
    other = make_campaign(by=world["auditor"], method=CampaignMethod.SAMPLE, sample_size=6, seed=7)
    assert len(_drawn(first)) == 6
    assert _drawn(first) == _drawn(second)
    assert _drawn(first) != _drawn(other)
    assert first.seed == 42 and first.sample_size == 6
    assert services.campaign_redraw_check(campaign=first).matches


def test_a_sample_without_a_seed_gets_a_new_one(world):
    campaign = make_campaign(by=world["auditor"], method=CampaignMethod.SAMPLE, sample_size=2)
    assert 1 <= campaign.seed <= 999_999_999


def test_a_sample_larger_than_the_scope_takes_everyone(world):
    campaign = make_campaign(
        by=world["auditor"], method=CampaignMethod.SAMPLE, sample_size=500, seed=1
    )
    assert _drawn(campaign) == {asset.pk for asset in world["assets"].values()}
    assert campaign.sample_size == 500 and campaign.population_size == 6


def test_redraw_check_says_when_the_register_changed(world):
    campaign = make_campaign(
        by=world["auditor"], method=CampaignMethod.SAMPLE, sample_size=6, seed=3
    )
    inventory_services.asset_retire(asset=world["assets"]["isf_laptop"], by=None, reason="Dropped")
    check = services.campaign_redraw_check(campaign=campaign)
    assert not check.matches
    assert check.missing == [world["assets"]["isf_laptop"].tag]
    assert (check.population_then, check.population_now) == (6, 5)
    full = make_campaign(by=world["auditor"])
    assert services.campaign_redraw_check(campaign=full) is None


@pytest.mark.parametrize(
    ("kwargs", "field", "message"),
    [
        ({"name": "  "}, "name", "Give the campaign a name."),
        ({"method": "guess"}, "method", "Choose every asset in scope or a random sample."),
        (
            {"method": "sample", "sample_size": 0},
            "sample_size",
            "A sample needs at least one asset.",
        ),
        (
            {"method": "sample", "sample_size": None},
            "sample_size",
            "A sample needs at least one asset.",
        ),
        (
            {"method": "sample", "sample_size": 3, "seed": 0},
            "seed",
            "A seed is a whole number from 1 to 999,999,999.",
        ),
    ],
)
def test_campaign_refusals(world, kwargs, field, message):
    with pytest.raises(ValidationError) as error:
        make_campaign(by=world["auditor"], **kwargs)
    assert error.value.message_dict == {field: [message]}


def test_an_empty_scope_is_refused(world):
    empty_region = RegionFactory(code="KH")
    with pytest.raises(ValidationError) as error:
        make_campaign(by=world["auditor"], regions=[empty_region])
    assert _message(error) == (
        "No asset in this scope stands at an office (retired assets and those in transit are "
        "left out): there is nothing to check. Widen the scope."
    )


def _create_queries(world, extra: int) -> int:
    model = world["assets"]["khu_laptop"].asset_model
    offices = [OfficeFactory(district=DistrictFactory(region=world["gb"])) for _ in range(3)]
    for n in range(extra):
        make_asset(asset_model=model, office=offices[n % 3])
    with CaptureQueriesContext(connection) as queries:
        make_campaign(by=world["auditor"], method=CampaignMethod.SAMPLE, sample_size=1000, seed=5)
    return len(queries)


def test_drawing_costs_the_same_queries_for_few_or_many_assets(world):
    make_campaign(by=world["auditor"])  # the year's number series exists from here on
    few = _create_queries(world, 3)
    many = _create_queries(world, 60)
    assert few == many


# Checklists ----------------------------------------------------------------------------------


def _checklist(campaign, office) -> CampaignChecklist:
    return CampaignChecklist.objects.get(campaign=campaign, office=office)


def test_checklists_go_to_verifiers_whose_scope_covers_the_office(world):
    campaign = make_campaign(by=world["auditor"])
    khujand = _checklist(campaign, world["khujand"])
    khorog = _checklist(campaign, world["khorog"])
    auditor, tech = world["auditor"], world["technician"]
    services.checklist_assign(checklist=khujand, assignee=tech, by=auditor)
    services.checklist_assign(checklist=khorog, assignee=auditor, by=auditor)
    khujand.refresh_from_db()
    assert khujand.assignee == tech
    assert khujand.history.first().history_user == auditor
    with pytest.raises(ValidationError) as error:
        services.checklist_assign(checklist=khorog, assignee=tech, by=auditor)
    assert error.value.message_dict == {"assignee": ["Office CR-GB-KHO is outside tech's regions."]}
    with pytest.raises(ValidationError) as error:
        services.checklist_assign(checklist=khujand, assignee=world["head"], by=auditor)
    assert error.value.message_dict == {"assignee": ["head may not record verifications."]}
    world["technician"].is_active = False
    world["technician"].save()
    with pytest.raises(ValidationError) as error:
        services.checklist_assign(checklist=khorog, assignee=world["technician"], by=auditor)
    assert error.value.message_dict == {"assignee": ["tech's account is disabled."]}
    services.checklist_assign(checklist=khujand, assignee=None, by=auditor)
    khujand.refresh_from_db()
    assert khujand.assignee is None


def test_a_closed_campaign_cannot_be_assigned(world):
    campaign = make_campaign(by=world["auditor"])
    services.campaign_close(campaign=campaign, by=world["auditor"])
    with pytest.raises(ValidationError) as error:
        services.checklist_assign(
            checklist=_checklist(campaign, world["khujand"]),
            assignee=world["auditor"],
            by=world["auditor"],
        )
    assert _message(error) == (
        f"Campaign {campaign.number} is closed: it takes no more verifications or changes."
    )


# Verifications -------------------------------------------------------------------------------


def test_a_found_device_with_its_serial_read(world):
    campaign = make_campaign(by=world["auditor"])
    asset = world["assets"]["khu_laptop"]
    verification = services.verification_record(
        by=world["technician"],
        asset=asset,
        campaign=campaign,
        outcome=FOUND,
        serial_read=f"  {asset.serial.lower()} ",
        condition=WORKING,
        zone=Zone.BACK_OFFICE,
        note=" On the registrar's desk ",
    )
    assert verification.serial_read == asset.serial
    assert verification.serial_matches is True
    assert verification.register_office == world["khujand"]
    assert verification.register_serial == asset.serial
    assert verification.verified_by == world["technician"]
    assert verification.note == "On the registrar's desk"
    assert verification.found_office is None
    # The register is not touched: the zone seen is only recorded.
    asset.refresh_from_db()
    assert asset.zone == Zone.FRONT_OFFICE


def test_a_serial_not_read_is_neither_match_nor_mismatch_and_a_wrong_one_is_flagged(world):
    asset = world["assets"]["khu_printer"]
    unread = services.verification_record(
        by=world["auditor"], asset=asset, outcome=FOUND, condition=WORKING
    )
    assert unread.serial_matches is None and unread.campaign is None
    wrong = services.verification_record(
        by=world["auditor"], asset=asset, outcome=FOUND, condition=WORKING, serial_read="XYZ 1"
    )
    assert wrong.serial_matches is False and wrong.serial_read == "XYZ 1"


def test_verifications_are_appended_never_changed(world):
    campaign = make_campaign(by=world["auditor"])
    asset = world["assets"]["khu_printer"]
    first = services.verification_record(
        by=world["auditor"], asset=asset, campaign=campaign, outcome=NOT_FOUND
    )
    second = services.verification_record(
        by=world["auditor"],
        asset=asset,
        campaign=campaign,
        outcome=FOUND,
        condition=AssetCondition.DAMAGED,
    )
    assert Verification.objects.filter(asset=asset).count() == 2
    first.refresh_from_db()
    assert first.outcome == NOT_FOUND and first.condition == ""
    assert second.pk != first.pk
    # The latest counts.
    overview = selectors.campaign_overview(campaign=campaign, user=world["auditor"])
    assert overview.results.counts.found == 1 and overview.results.counts.not_found == 0


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"outcome": FOUND},
            {"condition": ["Say whether the device works, is damaged or does not work."]},
        ),
        (
            {"outcome": ELSEWHERE, "condition": WORKING},
            {"found_office": ["Say at which office the device was found."]},
        ),
        (
            {"outcome": FOUND, "condition": WORKING, "zone": "roof"},
            {"zone": ["Unknown zone “roof”."]},
        ),
        (
            {"outcome": "maybe"},
            {"outcome": ["Say whether the device was found, not found or found elsewhere."]},
        ),
    ],
)
def test_verification_field_refusals(world, kwargs, expected):
    with pytest.raises(ValidationError) as error:
        services.verification_record(
            by=world["auditor"], asset=world["assets"]["khu_printer"], **kwargs
        )
    assert error.value.message_dict == expected


def test_found_elsewhere_must_name_another_office_than_the_register(world):
    with pytest.raises(ValidationError) as error:
        services.verification_record(
            by=world["auditor"],
            asset=world["assets"]["khu_printer"],
            outcome=ELSEWHERE,
            found_office=world["khujand"],
            condition=WORKING,
        )
    assert error.value.message_dict == {
        "found_office": ["CR-SU-KHU is where the register has it: choose “Found”."]
    }


@pytest.mark.parametrize(
    "extra",
    [{"serial_read": "ABC"}, {"condition": WORKING}, {"zone": Zone.STORAGE}],
)
def test_not_found_takes_no_serial_condition_or_zone(world, extra):
    with pytest.raises(ValidationError) as error:
        services.verification_record(
            by=world["auditor"], asset=world["assets"]["khu_printer"], outcome=NOT_FOUND, **extra
        )
    assert _message(error) == (
        "A device that was not found has no serial read, condition, zone or office: clear "
        "them, or choose “Found”."
    )


def test_a_closed_campaign_or_an_asset_not_drawn_is_refused(world):
    campaign = make_campaign(by=world["auditor"], regions=[world["gb"]])
    with pytest.raises(ValidationError) as error:
        services.verification_record(
            by=world["auditor"],
            asset=world["assets"]["khu_printer"],
            campaign=campaign,
            outcome=NOT_FOUND,
        )
    tag = world["assets"]["khu_printer"].tag
    assert _message(error) == f"{tag} was not drawn for campaign {campaign.number}."
    closed = services.campaign_close(campaign=campaign, by=world["auditor"])
    assert closed.status == CampaignStatus.CLOSED and closed.closed_by == world["auditor"]
    with pytest.raises(ValidationError) as error:
        services.verification_record(
            by=world["auditor"],
            asset=world["assets"]["kho_printer"],
            campaign=campaign,
            outcome=NOT_FOUND,
        )
    assert _message(error) == (
        f"Campaign {campaign.number} is closed: it takes no more verifications or changes."
    )
    with pytest.raises(ValidationError) as error:
        services.campaign_close(campaign=campaign, by=world["auditor"])
    assert "is closed" in _message(error)
    assert not Verification.objects.exists()


def test_a_technician_verifies_only_in_their_regions(world):
    tag = world["assets"]["kho_printer"].tag
    with pytest.raises(ValidationError) as error:
        services.verification_record(
            by=world["technician"],
            asset=world["assets"]["kho_printer"],
            outcome=FOUND,
            condition=WORKING,
        )
    assert _message(error) == f"{tag} is outside your regions: you cannot verify it."


def test_the_photo_is_checked_by_its_content(world, settings):
    asset = world["assets"]["khu_printer"]
    verification = services.verification_record(
        by=world["auditor"],
        asset=asset,
        outcome=FOUND,
        condition=WORKING,
        photo=photo_upload("label.png", fmt="PNG"),
    )
    assert verification.photo.name.startswith("verifications/")
    assert verification.photo.name.endswith(".png")
    with pytest.raises(ValidationError) as error:
        services.verification_record(
            by=world["auditor"],
            asset=asset,
            outcome=FOUND,
            condition=WORKING,
            photo=SimpleUploadedFile("fake.jpg", b"not an image", "image/jpeg"),
        )
    assert error.value.message_dict == {
        "photo": ["“fake.jpg” is not a photo that can be opened (JPEG, PNG or WebP)."]
    }
    settings.VERIFICATION_PHOTO_MAX_MB = 0
    with pytest.raises(ValidationError) as error:
        services.verification_record(
            by=world["auditor"], asset=asset, outcome=FOUND, condition=WORKING, photo=photo_upload()
        )
    assert "the limit is 0 MB" in error.value.message_dict["photo"][0]


# Proposed moves ------------------------------------------------------------------------------


def _found_elsewhere(world, *, asset=None, campaign=None, propose_move=True, by=None):
    return services.verification_record(
        by=by or world["technician"],
        asset=asset or world["assets"]["khu_laptop"],
        campaign=campaign,
        outcome=ELSEWHERE,
        found_office=world["isfara"],
        condition=WORKING,
        zone=Zone.BACK_OFFICE,
        propose_move=propose_move,
    )


def test_found_elsewhere_proposes_one_move(world):
    campaign = make_campaign(by=world["auditor"])
    verification = _found_elsewhere(world, campaign=campaign)
    proposal = MoveProposal.objects.get()
    assert proposal.verification == verification
    assert (proposal.from_office, proposal.to_office) == (world["khujand"], world["isfara"])
    assert proposal.to_zone == Zone.BACK_OFFICE
    assert proposal.status == MoveProposalStatus.PROPOSED
    assert proposal.proposed_by == world["technician"]
    # A second sighting while the first waits adds no second proposal.
    _found_elsewhere(world, campaign=campaign)
    assert MoveProposal.objects.count() == 1
    assert Verification.objects.count() == 2
    # Without the box ticked, none.
    _found_elsewhere(world, asset=world["assets"]["khu_printer"], propose_move=False)
    assert MoveProposal.objects.count() == 1
    # The register still says Khujand.
    world["assets"]["khu_laptop"].refresh_from_db()
    assert world["assets"]["khu_laptop"].office == world["khujand"]


def test_a_logistics_officer_confirms_and_the_register_moves_with_its_reason(world):
    campaign = make_campaign(by=world["auditor"])
    _found_elsewhere(world, campaign=campaign)
    proposal = MoveProposal.objects.get()
    services.move_proposal_confirm(proposal=proposal, by=world["logistics"], note="Agreed")
    asset = world["assets"]["khu_laptop"]
    asset.refresh_from_db()
    assert asset.office == world["isfara"] and asset.zone == Zone.BACK_OFFICE
    proposal.refresh_from_db()
    assert proposal.status == MoveProposalStatus.CONFIRMED
    assert proposal.decided_by == world["logistics"] and proposal.decision_note == "Agreed"
    entry = asset_history(asset=asset)[0]
    assert entry.who == "Nodira K"
    assert entry.reason.startswith("Found at CR-SU-ISF by tech on ")
    assert entry.reason.endswith(f"(campaign {campaign.number}); move confirmed")
    # Decided once only.
    with pytest.raises(ValidationError) as error:
        services.move_proposal_reject(proposal=proposal, by=world["logistics"], note="No")
    assert _message(error) == (
        "This proposed move was already decided: “Confirmed: the register was changed”."
    )


def test_an_auditor_cannot_confirm_a_move(world):
    _found_elsewhere(world, by=world["auditor"])
    proposal = MoveProposal.objects.get()
    for decide in (
        lambda: services.move_proposal_confirm(proposal=proposal, by=world["auditor"]),
        lambda: services.move_proposal_reject(proposal=proposal, by=world["auditor"], note="x"),
    ):
        with pytest.raises(ValidationError) as error:
            decide()
        assert _message(error) == "Only a logistics officer can confirm or reject a proposed move."
    proposal.refresh_from_db()
    assert proposal.status == MoveProposalStatus.PROPOSED


def test_confirming_is_refused_when_the_register_changed_since(world):
    _found_elsewhere(world)
    proposal = MoveProposal.objects.get()
    asset = world["assets"]["khu_laptop"]
    inventory_services.asset_update(
        asset=asset, by=world["logistics"], office=world["khorog"], reason="Sent by hand"
    )
    with pytest.raises(ValidationError) as error:
        services.move_proposal_confirm(proposal=proposal, by=world["logistics"])
    assert _message(error) == (
        f"The register has changed since the move was proposed: {asset.tag} is now at "
        "CR-GB-KHO, not CR-SU-KHU. Reject this proposal, or verify the asset again."
    )


def test_confirming_is_refused_while_the_asset_is_on_an_open_transfer(world):
    _found_elsewhere(world)
    officer = world["logistics"]
    transfer = services.transfer_create(
        by=officer, origin=world["khujand"], destination=world["khorog"], destination_zone="storage"
    )
    asset = world["assets"]["khu_laptop"]
    services.transfer_add_assets(transfer=transfer, by=officer, codes=[asset.tag])
    with pytest.raises(ValidationError) as error:
        services.move_proposal_confirm(proposal=MoveProposal.objects.get(), by=officer)
    assert _message(error) == (
        f"{asset.tag} is on open transfer {transfer.number}: finish or cancel it first."
    )


def test_a_rejection_needs_a_reason_and_leaves_the_register(world):
    _found_elsewhere(world)
    proposal = MoveProposal.objects.get()
    with pytest.raises(ValidationError) as error:
        services.move_proposal_reject(proposal=proposal, by=world["logistics"], note="  ")
    assert error.value.message_dict == {"note": ["Say why the move is rejected."]}
    services.move_proposal_reject(
        proposal=proposal, by=world["logistics"], note="On loan for a week"
    )
    proposal.refresh_from_db()
    assert proposal.status == MoveProposalStatus.REJECTED
    assert proposal.decision_note == "On loan for a week"
    world["assets"]["khu_laptop"].refresh_from_db()
    assert world["assets"]["khu_laptop"].office == world["khujand"]
    # Once rejected, a new sighting may propose again.
    _found_elsewhere(world)
    assert MoveProposal.objects.filter(status=MoveProposalStatus.PROPOSED).count() == 1


# Progress and results ------------------------------------------------------------------------


def test_progress_and_results_count_the_latest_check_per_asset(world):
    campaign = make_campaign(by=world["auditor"])
    a = world["assets"]
    auditor = world["auditor"]

    def check(asset, outcome, **kwargs):
        if outcome != NOT_FOUND:
            kwargs.setdefault("condition", WORKING)
        services.verification_record(
            by=auditor, asset=asset, campaign=campaign, outcome=outcome, **kwargs
        )

    check(a["khu_printer"], FOUND, serial_read="WRONG")
    check(a["khu_laptop"], NOT_FOUND)
    check(a["khu_laptop"], NOT_FOUND)  # twice: counted once
    check(a["isf_laptop"], ELSEWHERE, found_office=world["khujand"])
    check(a["kho_printer"], FOUND, serial_read=a["kho_printer"].serial)
    overview = selectors.campaign_overview(campaign=campaign, user=auditor)
    by_office = {row.checklist.office.code: row.counts for row in overview.progress}
    khu = by_office["CR-SU-KHU"]
    assert (khu.drawn, khu.verified, khu.remaining) == (2, 2, 0)
    assert (khu.found, khu.not_found, khu.mismatches) == (1, 1, 1)
    isf = by_office["CR-SU-ISF"]
    assert (isf.drawn, isf.verified, isf.elsewhere) == (2, 1, 1)
    results = overview.results
    assert (results.counts.drawn, results.counts.verified) == (6, 4)
    assert [v.asset for v in results.mismatches] == [a["khu_printer"]]
    assert [v.asset for v in results.not_found] == [a["khu_laptop"]]
    assert [v.asset for v in results.elsewhere] == [a["isf_laptop"]]
    # Full campaign: the exact rate of what was checked (3 of 4 seen).
    assert results.rate.rate == pytest.approx(0.75) and results.rate.is_exact
    assert overview.strata.total == 6
    # A technician sees only the checklists in their regions.
    tech_view = selectors.campaign_overview(campaign=campaign, user=world["technician"])
    assert {row.checklist.office.code for row in tech_view.progress} == {"CR-SU-KHU", "CR-SU-ISF"}


def test_a_sample_reports_a_confidence_interval(world):
    campaign = make_campaign(
        by=world["auditor"], method=CampaignMethod.SAMPLE, sample_size=3, seed=11
    )
    drawn = CampaignAsset.objects.filter(campaign=campaign).select_related("asset")
    for item in drawn:
        services.verification_record(
            by=world["auditor"],
            asset=item.asset,
            campaign=campaign,
            outcome=FOUND,
            condition=WORKING,
        )
    rate = selectors.campaign_overview(campaign=campaign, user=world["auditor"]).results.rate
    assert rate.rate == 1.0 and rate.checked == 3 and rate.population == 6
    assert rate.high == 1.0 and rate.low < 1.0


# The demo audit ------------------------------------------------------------------------------


def test_demo_audit_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG is off"):
        call_command("demo_audit", stdout=StringIO())


def test_demo_audit_draws_the_november_spot_check_half_verified(settings):
    settings.DEBUG = True
    call_command("load_reference", verbosity=0, stdout=StringIO())
    call_command("demo_setup", stdout=StringIO())
    call_command("demo_deployments", stdout=StringIO())
    out = StringIO()
    call_command("demo_audit", stdout=out)
    campaign = VerificationCampaign.objects.get()
    assert campaign.name == "Spot check, November 2026"
    assert (campaign.seed, campaign.sample_size, campaign.items.count()) == (20261127, 60, 60)
    assert campaign.created_by.username == "auditor"
    assert set(campaign.handover_sets.values_list("code", flat=True)) == {
        "HS-2024-01",
        "HS-2024-02",
    }
    checks = Verification.objects.filter(campaign=campaign)
    assert checks.count() == 30
    assert checks.filter(outcome=NOT_FOUND).count() == 2
    assert checks.filter(serial_matches=False).count() == 1
    assert checks.filter(outcome=ELSEWHERE).count() == 1
    assert MoveProposal.objects.get().status == MoveProposalStatus.PROPOSED
    technician_list = CampaignChecklist.objects.get(
        campaign=campaign, assignee__username="technician"
    )
    assert technician_list.office.region.code in ("SU", "GB")
    assert checks.filter(verified_by__username="technician").exists()
    assert services.campaign_redraw_check(campaign=campaign).matches
    assert "30 verified" in out.getvalue()
    again = StringIO()
    call_command("demo_audit", stdout=again)
    assert "no demo audit added" in again.getvalue()
    assert VerificationCampaign.objects.count() == 1
