"""Campaign pages: who may do what, scope (404), forms that say what is wrong, the phone
verification flow, deciding proposed moves, the asset panel, and query counts."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from deployments import services
from deployments.choices import (
    AssetCondition,
    MoveProposalStatus,
    VerificationOutcome,
)
from deployments.models import (
    CampaignChecklist,
    MoveProposal,
    Verification,
    VerificationCampaign,
)
from inventory.choices import Zone
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

ROLES = ["anonymous", "administrator", "logistics_officer", "auditor", "technician", "office_head"]

# page: expected status per role, in the order of ROLES. The technician's scope is the home
# region, the office head's the home office; "away" is another region.
MATRIX = {
    "campaign_list": (302, 200, 200, 200, 200, 200),
    "campaign_create": (302, 200, 403, 200, 403, 403),
    "campaign_detail_in_scope": (302, 200, 200, 200, 200, 200),
    "campaign_detail_out_of_scope": (302, 200, 200, 200, 404, 404),
    "checklist_detail_in_scope": (302, 200, 200, 200, 200, 200),
    "checklist_detail_out_of_scope": (302, 200, 200, 200, 404, 404),
    "checklist_verify": (302, 200, 403, 200, 200, 403),
    "checklist_verify_out_of_scope": (302, 200, 403, 200, 404, 403),
    "asset_verify": (302, 200, 403, 200, 200, 403),
    "asset_verify_out_of_scope": (302, 200, 403, 200, 404, 403),
    "moveproposal_list": (302, 200, 200, 200, 200, 200),
    "moveproposal_decide": (302, 200, 200, 403, 403, 403),
}


@pytest.fixture
def world():
    home_region, away_region = RegionFactory(code="SU"), RegionFactory(code="GB")
    home = OfficeFactory(code="CR-HOME", district=DistrictFactory(region=home_region))
    next_door = OfficeFactory(code="CR-NEXT", district=DistrictFactory(region=home_region))
    away = OfficeFactory(code="CR-AWAY", district=DistrictFactory(region=away_region))
    model = AssetModelFactory(category=CategoryFactory(code="printer"))
    march = HandoverSetFactory(code="HS-M")
    home_assets = [
        make_asset(asset_model=model, office=home, handover_set=march, zone=Zone.FRONT_OFFICE)
        for _ in range(3)
    ]
    away_asset = make_asset(asset_model=model, office=away, handover_set=march)
    auditor = make_user("auditor", username="auditor", first_name="Anna", last_name="B")
    technician = make_user("technician", username="tech", regions=[home_region])
    campaign = make_campaign(by=auditor, name="Spot check")
    away_campaign = make_campaign(by=auditor, name="GBAO only", regions=[away_region])
    services.verification_record(
        by=auditor,
        asset=away_asset,
        campaign=campaign,
        outcome=VerificationOutcome.FOUND_ELSEWHERE,
        found_office=next_door,
        condition=AssetCondition.WORKING,
    )
    return {
        "home": home,
        "next_door": next_door,
        "away": away,
        "home_assets": home_assets,
        "away_asset": away_asset,
        "auditor": auditor,
        "technician": technician,
        "logistics": make_user(
            "logistics_officer", username="officer", first_name="Nodira", last_name="K"
        ),
        "campaign": campaign,
        "away_campaign": away_campaign,
        "home_list": CampaignChecklist.objects.get(campaign=campaign, office=home),
        "away_list": CampaignChecklist.objects.get(campaign=campaign, office=away),
        "proposal": MoveProposal.objects.get(),
    }


def _user(role, world):
    if role == "anonymous":
        return None
    if role == "technician":
        return world["technician"]
    if role == "office_head":
        return make_user(role, office=world["home"])
    if role == "auditor":
        return world["auditor"]
    return make_user(role)


def _url(page, world):
    home_asset = world["home_assets"][0]
    return {
        "campaign_list": reverse("campaign_list"),
        "campaign_create": reverse("campaign_create"),
        "campaign_detail_in_scope": reverse("campaign_detail", args=[world["campaign"].pk]),
        "campaign_detail_out_of_scope": reverse(
            "campaign_detail", args=[world["away_campaign"].pk]
        ),
        "checklist_detail_in_scope": reverse("checklist_detail", args=[world["home_list"].pk]),
        "checklist_detail_out_of_scope": reverse("checklist_detail", args=[world["away_list"].pk]),
        "checklist_verify": reverse(
            "checklist_verify", args=[world["home_list"].pk, home_asset.pk]
        ),
        "checklist_verify_out_of_scope": reverse(
            "checklist_verify", args=[world["away_list"].pk, world["away_asset"].pk]
        ),
        "asset_verify": reverse("asset_verify", args=[home_asset.pk]),
        "asset_verify_out_of_scope": reverse("asset_verify", args=[world["away_asset"].pk]),
        "moveproposal_list": reverse("moveproposal_list"),
        "moveproposal_decide": reverse("moveproposal_decide", args=[world["proposal"].pk]),
    }[page]


@pytest.mark.parametrize("page", list(MATRIX))
@pytest.mark.parametrize("role", ROLES)
def test_role_and_scope_decide_access(client, world, page, role):
    user = _user(role, world)
    if user is not None:
        client.force_login(user)
    response = client.get(_url(page, world))
    assert response.status_code == MATRIX[page][ROLES.index(role)], (page, role)


def _messages(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# Drawing a campaign --------------------------------------------------------------------------


def test_draw_a_sample_and_see_its_seed_and_how_to_redraw(client, world):
    client.force_login(world["auditor"])
    response = client.post(
        reverse("campaign_create"),
        {"name": "November check", "method": "sample", "sample_size": 2, "seed": 77},
    )
    campaign = VerificationCampaign.objects.get(name="November check")
    assert response.status_code == 302 and response["Location"] == campaign.get_absolute_url()
    assert campaign.seed == 77 and campaign.items.count() == 2
    html = client.get(campaign.get_absolute_url()).content.decode()
    assert 'id="campaign-seed">77<' in html
    assert "sample size 2 and seed 77" in html
    html = client.get(campaign.get_absolute_url() + "?redraw=1").content.decode()
    assert "the same sample" in html
    form = client.get(reverse("campaign_create"), {"seed": "77"}).context["form"]
    assert form.initial == {"method": "sample", "seed": 77}


def test_a_sample_larger_than_the_scope_says_everyone_is_checked(client, world):
    client.force_login(world["auditor"])
    response = client.post(
        reverse("campaign_create"),
        {"name": "All of it", "method": "sample", "sample_size": 100},
        follow=True,
    )
    assert any("every asset in scope is to be checked" in m for m in _messages(response))


def test_the_campaign_form_says_what_is_wrong(client, world):
    client.force_login(world["auditor"])
    response = client.post(reverse("campaign_create"), {"name": "x", "method": "sample"})
    assert response.context["form"].errors == {"sample_size": ["Say how many assets to draw."]}
    response = client.post(
        reverse("campaign_create"),
        {"name": "x", "method": "sample", "sample_size": 0},
    )
    assert response.context["form"].errors == {
        "sample_size": ["A sample needs at least one asset."]
    }
    empty = RegionFactory(code="KH")
    response = client.post(
        reverse("campaign_create"), {"name": "x", "method": "full", "regions": [empty.pk]}
    )
    assert response.status_code == 200
    assert "there is nothing to check" in response.context["form"].non_field_errors()[0]
    assert "there is nothing to check" in response.content.decode()


# Assigning -----------------------------------------------------------------------------------


def test_an_auditor_assigns_a_checklist_and_a_wrong_choice_is_explained(client, world):
    client.force_login(world["auditor"])
    url = reverse("checklist_assign", args=[world["home_list"].pk])
    response = client.post(url, {"assignee": world["technician"].pk})
    assert response.status_code == 302
    world["home_list"].refresh_from_db()
    assert world["home_list"].assignee == world["technician"]
    # The technician is not offered for the other region's office.
    response = client.post(
        reverse("checklist_assign", args=[world["away_list"].pk]),
        {"assignee": world["technician"].pk},
    )
    assert any(m.startswith("CR-AWAY: Select a valid choice.") for m in _messages(response))
    page = client.get(world["campaign"].get_absolute_url()).content.decode()
    assert f'action="{url}"' in page
    # A technician may not assign.
    client.force_login(world["technician"])
    assert client.post(url, {"assignee": ""}).status_code == 403


# Verifying on a phone ------------------------------------------------------------------------


def test_verify_from_the_checklist_then_the_next_one_is_highlighted(client, world):
    checklist = world["home_list"]
    first, second, _third = sorted(world["home_assets"], key=lambda a: a.tag)
    client.force_login(world["technician"])
    page = client.get(checklist.get_absolute_url())
    assert page.context["next_item"].asset == first
    html = page.content.decode()
    assert "0 of 3 checked" in html
    form_page = client.get(reverse("checklist_verify", args=[checklist.pk, first.pk]))
    html = form_page.content.decode()
    assert 'capture="environment"' in html and 'id="scan-serial" hidden' in html
    assert "deployments/scan.js" in html
    response = client.post(
        reverse("checklist_verify", args=[checklist.pk, first.pk]),
        {
            "outcome": "found",
            "serial_read": first.serial.lower(),
            "condition": "working",
            "zone": Zone.FRONT_OFFICE,
            "photo": photo_upload(),
        },
    )
    assert (
        response["Location"] == f"{checklist.get_absolute_url()}?done={first.pk}#asset-{first.pk}"
    )
    assert _messages(response) == [f"{first.tag}: found. The serial matches."]
    verification = Verification.objects.get(asset=first)
    assert verification.campaign == world["campaign"] and verification.photo
    page = client.get(response["Location"])
    assert page.context["next_item"].asset == second
    assert "1 of 3 checked" in page.content.decode()
    # The photo is sent to whoever may see the asset, not to others.
    photo_url = reverse("verification_photo", args=[verification.pk])
    assert client.get(photo_url).status_code == 200
    client.force_login(make_user("technician", regions=[RegionFactory(code="KH")]))
    assert client.get(photo_url).status_code == 404


def test_the_verify_form_says_what_is_wrong(client, world):
    checklist = world["home_list"]
    asset = world["home_assets"][0]
    url = reverse("checklist_verify", args=[checklist.pk, asset.pk])
    client.force_login(world["technician"])
    response = client.post(url, {"outcome": "found_elsewhere"})
    errors = response.context["form"].errors
    assert errors["found_office"] == ["Say at which office the device was found."]
    assert errors["condition"] == ["Say whether the device works, is damaged or does not work."]
    response = client.post(url, {"outcome": ""})
    assert response.context["form"].errors["outcome"] == ["This field is required."]
    response = client.post(
        url, {"outcome": "found", "condition": "working", "photo": photo_upload(fmt="GIF")}
    )
    assert (
        response.context["form"]
        .errors["photo"][0]
        .endswith("is a GIF image; send a JPEG, PNG or WebP photo.")
    )
    assert 'id="id_photo_error"' in response.content.decode()
    assert not Verification.objects.filter(asset=asset).exists()


def test_not_found_ignores_what_was_typed_before(client, world):
    checklist = world["home_list"]
    asset = world["home_assets"][1]
    client.force_login(world["technician"])
    response = client.post(
        reverse("checklist_verify", args=[checklist.pk, asset.pk]),
        {"outcome": "not_found", "serial_read": "ABC", "condition": "working", "zone": "storage"},
    )
    assert response.status_code == 302
    assert _messages(response) == [f"{asset.tag}: not found."]
    verification = Verification.objects.get(asset=asset)
    assert (verification.serial_read, verification.condition, verification.zone) == ("", "", "")


def test_found_elsewhere_proposes_a_move_and_logistics_confirms_it(client, world):
    checklist = world["home_list"]
    asset = world["home_assets"][2]
    client.force_login(world["technician"])
    response = client.post(
        reverse("checklist_verify", args=[checklist.pk, asset.pk]),
        {
            "outcome": "found_elsewhere",
            "found_office": world["next_door"].pk,
            "serial_read": "OTHER-1",
            "condition": "damaged",
            "zone": Zone.BACK_OFFICE,
            "propose_move": "on",
        },
    )
    assert _messages(response) == [
        f"{asset.tag}: found at CR-NEXT. The serial read (OTHER-1) differs from the register's "
        f"({asset.serial}). A move in the register was proposed to the logistics officers."
    ]
    proposal = MoveProposal.objects.get(asset=asset)
    # The auditor may not decide; the logistics officer may.
    client.force_login(world["auditor"])
    decide = reverse("moveproposal_decide", args=[proposal.pk])
    assert client.post(decide, {"action": "confirm"}).status_code == 403
    client.force_login(world["logistics"])
    listing = client.get(reverse("moveproposal_list")).content.decode()
    assert decide in listing
    response = client.post(decide, {"action": "reject", "note": ""})
    assert response.status_code == 400
    assert response.context["reject_form"].errors == {"note": ["Say why the move is rejected."]}
    response = client.post(decide, {"action": "confirm", "note": "Checked by phone"})
    assert response.status_code == 302
    assert _messages(response) == [f"{asset.tag} moved in the register to CR-NEXT."]
    asset.refresh_from_db()
    assert asset.office == world["next_door"] and asset.zone == Zone.BACK_OFFICE
    proposal.refresh_from_db()
    assert proposal.status == MoveProposalStatus.CONFIRMED


def test_a_closed_campaign_sends_the_verifier_back(client, world):
    services.campaign_close(campaign=world["campaign"], by=world["auditor"])
    checklist = world["home_list"]
    client.force_login(world["technician"])
    response = client.get(
        reverse("checklist_verify", args=[checklist.pk, world["home_assets"][0].pk])
    )
    assert response.status_code == 302 and response["Location"] == checklist.get_absolute_url()
    assert _messages(response) == [
        f"Campaign {world['campaign'].number} is closed: it takes no more verifications."
    ]
    page = client.get(checklist.get_absolute_url()).content.decode()
    assert "verify-button" not in page


def test_an_asset_not_on_the_checklist_is_a_404(client, world):
    client.force_login(world["auditor"])
    url = reverse("checklist_verify", args=[world["home_list"].pk, world["away_asset"].pk])
    assert client.get(url).status_code == 404


def test_ad_hoc_verification_from_the_asset_page_uses_the_open_campaign(client, world):
    asset = world["home_assets"][0]
    client.force_login(world["auditor"])
    html = client.get(asset.get_absolute_url()).content.decode()
    assert reverse("asset_verify", args=[asset.pk]) in html
    assert "This asset has not been verified on site yet." in html
    response = client.post(
        reverse("asset_verify", args=[asset.pk]), {"outcome": "found", "condition": "working"}
    )
    assert response["Location"] == asset.get_absolute_url()
    assert Verification.objects.get(asset=asset).campaign == world["campaign"]
    # Once the campaign is closed, a check is ad hoc.
    services.campaign_close(campaign=world["campaign"], by=world["auditor"])
    client.post(reverse("asset_verify", args=[asset.pk]), {"outcome": "not_found"})
    assert Verification.objects.filter(asset=asset, campaign__isnull=True).count() == 1
    html = client.get(asset.get_absolute_url()).content.decode()
    assert 'id="asset-verification-list"' in html and "ad hoc" in html
    # An office head reads the verifications but cannot record one.
    client.force_login(make_user("office_head", office=world["home"]))
    html = client.get(asset.get_absolute_url()).content.decode()
    assert 'id="asset-verification-list"' in html
    assert reverse("asset_verify", args=[asset.pk]) not in html


def test_campaign_page_shows_progress_results_and_moves(client, world):
    client.force_login(world["auditor"])
    html = client.get(world["campaign"].get_absolute_url()).content.decode()
    assert 'id="progress"' in html and "CR-HOME" in html and "CR-AWAY" in html
    assert "Found: 100.0 %" in html  # the one check so far found it (elsewhere)
    assert 'id="elsewhere"' in html and world["away_asset"].tag in html
    assert 'id="proposals"' in html
    # A technician sees only the offices of their regions in the progress.
    client.force_login(world["technician"])
    response = client.get(world["campaign"].get_absolute_url())
    offices = [row.checklist.office.code for row, _form in response.context["progress_rows"]]
    assert offices == ["CR-HOME"]
    assert 'id="close-campaign"' not in response.content.decode()


def test_closing_a_campaign(client, world):
    client.force_login(world["auditor"])
    url = reverse("campaign_close", args=[world["campaign"].pk])
    response = client.post(url)
    assert _messages(response) == [
        f"Campaign {world['campaign'].number} closed: its figures are final."
    ]
    response = client.post(url)
    assert _messages(response)[-1:] == [
        f"Campaign {world['campaign'].number} is closed: it takes no more verifications or changes."
    ]


def test_campaign_list_filters_assigned_to_me_and_exports(client, world):
    services.checklist_assign(
        checklist=world["home_list"], assignee=world["technician"], by=world["auditor"]
    )
    client.force_login(world["technician"])
    response = client.get(reverse("campaign_list"), {"mine": "on"})
    assert [c.pk for c in response.context["table"].data] == [world["campaign"].pk]
    client.force_login(world["auditor"])
    response = client.get(reverse("campaign_list"), {"mine": "on"})
    assert list(response.context["table"].data) == []
    response = client.get(reverse("campaign_list"), {"_export": "csv"})
    assert response.status_code == 200
    text = b"".join(response.streaming_content).decode()
    assert world["campaign"].number in text and world["away_campaign"].number in text


def test_the_admin_shows_campaigns_read_only(client, world):
    admin = make_user("administrator", is_staff=True, is_superuser=True)
    client.force_login(admin)
    campaign = world["campaign"]
    page = client.get(reverse("admin:deployments_verificationcampaign_change", args=[campaign.pk]))
    assert page.status_code == 200 and campaign.number in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert client.get(reverse("admin:deployments_verification_changelist")).status_code == 200
    assert client.get(reverse("admin:deployments_moveproposal_add")).status_code == 403


# Query counts --------------------------------------------------------------------------------

# Expected queries for an auditor; the same with 1 row as with 50. Every page also counts the
# open alerts the menu shows (monitoring.context_processors.alerts).
EXPECTED = {
    # session, user, 2 permission lookups, roles, count, region filter choices, rows (with
    # their drawn and verified counts as subqueries), the menu's alerts
    "campaign_list": 9,
    # session, user, 2 permission lookups, roles, campaign, checklists, drawn items, latest
    # checks, strata regions and categories, the notable checks, the people a checklist can be
    # assigned to (users, their groups, scopes and scope regions), the campaign's sets, regions
    # and categories, proposed moves, the menu's alerts
    "campaign_detail": 21,
    # session, user, 2 permission lookups, roles, checklist, assets, latest checks, those
    # checks with who and where, the menu's alerts
    "checklist_detail": 10,
}


def _fill(world, rows: int, page: str):
    auditor = world["auditor"]
    office = OfficeFactory(district=DistrictFactory(region=world["home"].region))
    model = world["home_assets"][0].asset_model
    if page == "campaign_list":
        for n in range(rows - 1):
            make_campaign(by=auditor, name=f"Extra {n}")
        return reverse("campaign_list")
    assets = [make_asset(asset_model=model, office=office) for _ in range(rows)]
    offices = [
        OfficeFactory(district=DistrictFactory(region=world["home"].region)) for _ in range(2)
    ]
    campaign = make_campaign(by=auditor, regions=[world["home"].region])
    for index, asset in enumerate(assets):
        outcome = [
            VerificationOutcome.NOT_FOUND,
            VerificationOutcome.FOUND,
            VerificationOutcome.FOUND_ELSEWHERE,
        ][index % 3]
        kwargs = {}
        if outcome != VerificationOutcome.NOT_FOUND:
            kwargs["condition"] = AssetCondition.WORKING
            kwargs["serial_read"] = "WRONG" if index % 2 else asset.serial
        if outcome == VerificationOutcome.FOUND_ELSEWHERE:
            kwargs["found_office"] = offices[index % 2]
        services.verification_record(
            by=auditor, asset=asset, campaign=campaign, outcome=outcome, **kwargs
        )
    checklist = CampaignChecklist.objects.get(campaign=campaign, office=office)
    if page == "campaign_detail":
        return campaign.get_absolute_url()
    return checklist.get_absolute_url()


@pytest.mark.parametrize("rows", [1, 50])
@pytest.mark.parametrize("page", list(EXPECTED))
def test_query_count_is_fixed(client, django_assert_num_queries, world, page, rows):
    url = _fill(world, rows, page)
    client.force_login(world["auditor"])
    with django_assert_num_queries(EXPECTED[page]):
        response = client.get(url)
    assert response.status_code == 200
