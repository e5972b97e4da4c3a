"""Role × page: every page checks the role and the region or office scope."""

import pytest
from django.urls import reverse

from tests.factories import DistrictFactory, OfficeFactory, RegionFactory, make_asset, make_user

ROLES = ["anonymous", "administrator", "logistics_officer", "auditor", "technician", "office_head"]

# page: expected status per role, in the order of ROLES.
MATRIX = {
    "dashboard": (302, 200, 200, 200, 200, 200),
    "asset_list": (302, 200, 200, 200, 200, 200),
    "asset_detail_in_scope": (302, 200, 200, 200, 200, 200),
    "asset_detail_out_of_scope": (302, 200, 200, 200, 404, 404),
    "asset_add": (302, 200, 200, 403, 403, 403),
    "asset_edit": (302, 200, 200, 403, 403, 403),
    "asset_status": (302, 200, 200, 403, 403, 403),
    "office_list": (302, 200, 200, 200, 200, 200),
    "office_detail_in_scope": (302, 200, 200, 200, 200, 200),
    "office_detail_out_of_scope": (302, 200, 200, 200, 404, 404),
    "office_add": (302, 200, 200, 403, 403, 403),
    "office_edit": (302, 200, 200, 403, 403, 403),
    "asset_labels_in_scope": (302, 200, 200, 200, 200, 200),
    "asset_labels_out_of_scope": (302, 200, 200, 200, 404, 404),
}


@pytest.fixture
def world(db):
    home = OfficeFactory(district=DistrictFactory(region=RegionFactory(code="SU")))
    away = OfficeFactory(district=DistrictFactory(region=RegionFactory(code="GB")))
    return {
        "home": home,
        "away": away,
        "asset_in": make_asset(office=home),
        "asset_out": make_asset(office=away),
    }


def _user(role, world):
    if role == "anonymous":
        return None
    if role == "technician":
        return make_user(role, regions=[world["home"].region])
    if role == "office_head":
        return make_user(role, office=world["home"])
    return make_user(role)


def _url(page, world):
    return {
        "dashboard": reverse("dashboard"),
        "asset_list": reverse("asset_list"),
        "asset_detail_in_scope": reverse("asset_detail", args=[world["asset_in"].pk]),
        "asset_detail_out_of_scope": reverse("asset_detail", args=[world["asset_out"].pk]),
        "asset_add": reverse("asset_add"),
        "asset_edit": reverse("asset_edit", args=[world["asset_in"].pk]),
        "asset_status": reverse("asset_status", args=[world["asset_in"].pk]),
        "office_list": reverse("office_list"),
        "office_detail_in_scope": reverse("office_detail", args=[world["home"].pk]),
        "office_detail_out_of_scope": reverse("office_detail", args=[world["away"].pk]),
        "office_add": reverse("office_add"),
        "office_edit": reverse("office_edit", args=[world["home"].pk]),
        "asset_labels_in_scope": f"{reverse('asset_labels')}?ids={world['asset_in'].pk}",
        "asset_labels_out_of_scope": f"{reverse('asset_labels')}?ids={world['asset_out'].pk}",
    }[page]


CELLS = [
    (page, role, expected)
    for page, statuses in MATRIX.items()
    for role, expected in zip(ROLES, statuses, strict=True)
]


@pytest.mark.parametrize(("page", "role", "expected"), CELLS)
def test_role_page_matrix(client, world, page, role, expected):
    user = _user(role, world)
    if user is not None:
        client.force_login(user)
    response = client.get(_url(page, world))
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role", ["technician", "office_head"])
def test_scoped_roles_see_only_their_rows(client, world, role):
    client.force_login(_user(role, world))
    listing = client.get(reverse("asset_list")).content.decode()
    assert world["asset_in"].tag in listing
    assert world["asset_out"].tag not in listing
    offices = client.get(reverse("office_list")).content.decode()
    assert world["home"].code in offices
    assert world["away"].code not in offices
    # Out-of-scope assets are not found by an exact search either.
    response = client.get(reverse("asset_list"), {"q": world["asset_out"].serial})
    assert response.status_code == 200
    assert world["asset_out"].tag not in response.content.decode()


def test_a_user_with_a_role_but_no_scope_sees_nothing(client, world):
    client.force_login(make_user("technician"))
    listing = client.get(reverse("asset_list")).content.decode()
    assert world["asset_in"].tag not in listing
    assert "No assets match." in listing


def test_auditor_cannot_post_changes(client, world):
    client.force_login(make_user("auditor"))
    url = reverse("asset_status", args=[world["asset_in"].pk])
    response = client.post(url, {"to_status": "in_repair", "reason": "x"})
    assert response.status_code == 403
    world["asset_in"].refresh_from_db()
    assert world["asset_in"].status == "deployed"
