"""Register pages: forms say what is wrong next to the field, and writes go through services."""

import pytest
from django.urls import reverse

from inventory.choices import AssetStatus
from inventory.models import Asset
from tests.factories import AssetModelFactory, DistrictFactory, OfficeFactory, make_asset, make_user


@pytest.fixture
def officer_client(client, db):
    user = make_user("logistics_officer", first_name="Farrukh", last_name="Saidov")
    client.force_login(user)
    client.user = user
    return client


def test_register_an_asset_through_the_form(officer_client):
    model = AssetModelFactory()
    office = OfficeFactory()
    response = officer_client.post(
        reverse("asset_add"),
        {
            "serial": " cnb3k00017 ",
            "asset_model": model.pk,
            "status": AssetStatus.DEPLOYED,
            "office": office.pk,
            "zone": "front_office",
            "value": "420.00",
            "warranty_end": "2027-03-15",
            "network_address": "10.2.3.4",
        },
    )
    asset = Asset.objects.get()
    assert response.status_code == 302
    assert response["Location"] == asset.get_absolute_url()
    assert (asset.tag, asset.serial, asset.office, asset.network_address) == (
        "CR-PR-000001",
        "CNB3K00017",
        office,
        "10.2.3.4",
    )
    assert asset.history.get().history_user == officer_client.user


def test_duplicate_serial_is_shown_next_to_the_field(officer_client):
    make_asset(serial="DUP-1")
    response = officer_client.post(
        reverse("asset_add"),
        {"serial": "dup-1", "asset_model": AssetModelFactory().pk, "status": "in_stock"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "serial": ["Serial number DUP-1 is already registered as asset CR-PR-000001."]
    }
    assert Asset.objects.count() == 1


def test_form_errors_are_in_the_users_language(officer_client):
    officer_client.cookies["django_language"] = "ru"
    response = officer_client.post(
        reverse("asset_add"), {"serial": "", "asset_model": "", "status": "in_stock"}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["serial"] == ["Обязательное поле."]


def test_edit_keeps_the_reason_in_history(officer_client):
    asset = make_asset(serial="EDIT-1")
    response = officer_client.post(
        reverse("asset_edit", args=[asset.pk]),
        {
            "serial": "EDIT-1",
            "tag": asset.tag,
            "asset_model": asset.asset_model_id,
            "office": asset.office_id,
            "custodian": "Registrar M. Karimova",
            "reason": "Handed to the registrar",
        },
    )
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.custodian == "Registrar M. Karimova"
    latest = asset.history.latest()
    assert (latest.history_user, latest.history_change_reason) == (
        officer_client.user,
        "Handed to the registrar",
    )
    page = officer_client.get(asset.get_absolute_url()).content.decode()
    assert "Handed to the registrar" in page
    assert "Registrar M. Karimova" in page
    assert "Farrukh Saidov" in page


def test_status_page_offers_only_allowed_statuses_and_applies_one(officer_client):
    asset = make_asset(status=AssetStatus.DEPLOYED)
    url = reverse("asset_status", args=[asset.pk])
    form = officer_client.get(url).context["form"]
    assert [value for value, _ in form.fields["to_status"].choices] == [
        "in_transit",
        "in_repair",
        "retired",
        "lost",
    ]
    response = officer_client.post(url, {"to_status": "in_repair", "reason": "Paper jam"})
    assert response.status_code == 302
    asset.refresh_from_db()
    assert asset.status == AssetStatus.IN_REPAIR


def test_a_forbidden_status_is_refused_by_the_form(officer_client):
    asset = make_asset(status=AssetStatus.IN_STOCK, office=None)
    response = officer_client.post(
        reverse("asset_status", args=[asset.pk]), {"to_status": "deployed", "reason": "x"}
    )
    assert response.status_code == 200
    assert "Select a valid choice" in response.context["form"].errors["to_status"][0]
    asset.refresh_from_db()
    assert asset.status == AssetStatus.IN_STOCK


def test_exact_serial_search_opens_the_asset(officer_client):
    asset = make_asset(serial="CNB3K99999")
    response = officer_client.get(reverse("asset_list"), {"q": " cnb3k99999 "})
    assert response.status_code == 302
    assert response["Location"] == asset.get_absolute_url()
    partial = officer_client.get(reverse("asset_list"), {"q": "3K999"})
    assert partial.status_code == 200
    assert asset.tag in partial.content.decode()


def test_filters_narrow_the_list(officer_client):
    kept = make_asset(status=AssetStatus.DEPLOYED)
    other = make_asset(status=AssetStatus.IN_STOCK, office=None)
    page = officer_client.get(reverse("asset_list"), {"status": "deployed", "q": ""})
    html = page.content.decode()
    assert kept.tag in html
    assert other.tag not in html


def test_office_form_creates_an_office_in_the_districts_region(officer_client):
    district = DistrictFactory()
    response = officer_client.post(
        reverse("office_add"),
        {"code": "cr-new-1", "kind": "district_office", "district": district.pk, "name_en": "New"},
    )
    assert response.status_code == 302
    page = officer_client.get(response["Location"]).content.decode()
    assert "CR-NEW-1" in page
    assert district.region.name_en in page


def test_office_form_requires_both_coordinates(officer_client):
    response = officer_client.post(
        reverse("office_add"),
        {
            "code": "CR-NEW-2",
            "kind": "district_office",
            "district": DistrictFactory().pk,
            "name_en": "New",
            "latitude": "38.5",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [
        "Give both latitude and longitude, or neither."
    ]


def test_pages_switch_to_russian_and_tajik(officer_client):
    for code, word in (("ru", "Активы"), ("tg", "Дороиҳо")):
        response = officer_client.post(
            reverse("set_language"), {"language": code, "next": reverse("asset_list")}
        )
        assert response.status_code == 302
        html = officer_client.get(reverse("asset_list")).content.decode()
        assert f'<html lang="{code}">' in html
        assert word in html
