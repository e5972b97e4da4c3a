"""The register's rules: serials, tags, the status lifecycle, places and history."""

from decimal import Decimal
from itertools import product

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from inventory import services
from inventory.choices import AssetStatus, Zone
from inventory.models import Asset
from inventory.selectors import asset_history
from tests.factories import (
    AssetModelFactory,
    CategoryFactory,
    CRServiceFactory,
    DistrictFactory,
    OfficeFactory,
    make_asset,
    make_user,
)


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("cnb3k12345", "CNB3K12345"),
        ("  CNB3K12345\t", "CNB3K12345"),
        ("cnb  3k\u00a012345", "CNB 3K 12345"),
        ("ＣＮＢ３Ｋ１２３４５", "CNB3K12345"),  # full-width, as some label printers emit
        ("\ufeffabc\u200b123", "ABC123"),
        ("", ""),
    ],
)
def test_serial_normalise(raw, stored):
    assert services.serial_normalise(raw) == stored


@pytest.mark.django_db
def test_two_spellings_of_one_serial_are_one_serial():
    make_asset(serial=" cnb3k12345 ")
    assert Asset.objects.get().serial == "CNB3K12345"
    with pytest.raises(ValidationError) as error:
        make_asset(serial="CNB3K12345\n")
    assert error.value.message_dict["serial"] == [
        "Serial number CNB3K12345 is already registered as asset CR-PR-000001."
    ]
    assert Asset.objects.count() == 1


@pytest.mark.django_db
def test_editing_a_serial_into_another_assets_serial_is_refused():
    make_asset(serial="AAA1")
    second = make_asset(serial="BBB2")
    with pytest.raises(ValidationError) as error:
        services.asset_update(asset=second, by=None, serial=" aaa1")
    assert "AAA1 is already registered" in error.value.message_dict["serial"][0]
    second.refresh_from_db()
    assert second.serial == "BBB2"


@pytest.mark.django_db
def test_tags_are_generated_per_category_in_sequence():
    laptop = AssetModelFactory(
        name="ProBook 450", category=CategoryFactory(code="laptop", tag_prefix="LT")
    )
    printer = AssetModelFactory(name="LaserJet", category=CategoryFactory(code="printer"))
    tags = [
        make_asset(asset_model=laptop).tag,
        make_asset(asset_model=printer).tag,
        make_asset(asset_model=laptop).tag,
    ]
    assert tags == ["CR-LT-000001", "CR-PR-000001", "CR-LT-000002"]


@pytest.mark.django_db
def test_generated_tags_skip_numbers_taken_by_hand():
    make_asset(tag="cr-pr-000001")
    assert make_asset().tag == "CR-PR-000002"


@pytest.mark.django_db
def test_a_given_tag_must_be_free():
    make_asset(tag="OLD-17")
    with pytest.raises(ValidationError) as error:
        make_asset(tag="old-17")
    assert error.value.message_dict["tag"] == ["Asset tag OLD-17 is already in use."]


FORBIDDEN = [
    (src, dst)
    for src, dst in product(AssetStatus.values, AssetStatus.values)
    if dst not in services.ALLOWED_TRANSITIONS[src] and src != dst
]
ALLOWED = [(src, dst) for src in AssetStatus.values for dst in services.ALLOWED_TRANSITIONS[src]]


def _asset_in(status: str):
    """Return an asset brought to ``status`` through allowed steps."""
    paths = {
        AssetStatus.IN_STOCK: [],
        AssetStatus.IN_TRANSIT: [AssetStatus.IN_TRANSIT],
        AssetStatus.DEPLOYED: [AssetStatus.IN_TRANSIT, AssetStatus.DEPLOYED],
        AssetStatus.IN_REPAIR: [
            AssetStatus.IN_TRANSIT,
            AssetStatus.DEPLOYED,
            AssetStatus.IN_REPAIR,
        ],
        AssetStatus.RETIRED: [AssetStatus.RETIRED],
        AssetStatus.LOST: [AssetStatus.LOST],
    }
    office = OfficeFactory()
    asset = make_asset(status=AssetStatus.IN_STOCK, office=office)
    for step in paths[status]:
        asset = services.asset_change_status(asset=asset, by=None, to_status=step, reason="setup")
    assert asset.status == status
    return asset


def test_the_lifecycle_table_is_as_designed():
    assert len(FORBIDDEN) + len(ALLOWED) == 30
    assert services.ALLOWED_TRANSITIONS[AssetStatus.RETIRED] == frozenset()
    assert AssetStatus.IN_REPAIR in services.ALLOWED_TRANSITIONS[AssetStatus.DEPLOYED]
    assert AssetStatus.DEPLOYED in services.ALLOWED_TRANSITIONS[AssetStatus.IN_REPAIR]


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), FORBIDDEN)
def test_every_forbidden_transition_is_refused_naming_both_states(src, dst):
    asset = _asset_in(src)
    with pytest.raises(ValidationError) as error:
        services.asset_change_status(asset=asset, by=None, to_status=dst, reason="try")
    src_label = AssetStatus(src).label
    dst_label = AssetStatus(dst).label
    assert error.value.message_dict["status"] == [
        f"An asset cannot go from “{src_label}” to “{dst_label}”."
    ]
    asset.refresh_from_db()
    assert asset.status == src


@pytest.mark.django_db
@pytest.mark.parametrize(("src", "dst"), ALLOWED)
def test_every_allowed_transition_is_applied_and_kept_in_history(src, dst):
    user = make_user("logistics_officer")
    asset = _asset_in(src)
    services.asset_change_status(asset=asset, by=user, to_status=dst, reason="Step under test")
    asset.refresh_from_db()
    assert asset.status == dst
    latest = asset.history.latest()
    assert (latest.status, latest.history_user, latest.history_change_reason) == (
        dst,
        user,
        "Step under test",
    )


@pytest.mark.django_db
def test_refusal_is_translated():
    asset = _asset_in(AssetStatus.RETIRED)
    with translation.override("ru"), pytest.raises(ValidationError) as error:
        services.asset_change_status(
            asset=asset, by=None, to_status=AssetStatus.DEPLOYED, reason="x"
        )
    assert error.value.message_dict["status"] == [
        "Актив не может перейти из состояния «Списан» в состояние «Развёрнут»."
    ]


@pytest.mark.django_db
def test_same_status_and_missing_reason_are_refused():
    asset = _asset_in(AssetStatus.DEPLOYED)
    with pytest.raises(ValidationError) as error:
        services.asset_change_status(
            asset=asset, by=None, to_status=AssetStatus.DEPLOYED, reason="x"
        )
    assert error.value.message_dict["status"] == ["The asset is already “Deployed”."]
    with pytest.raises(ValidationError) as error:
        services.asset_change_status(
            asset=asset, by=None, to_status=AssetStatus.IN_REPAIR, reason="  "
        )
    assert error.value.message_dict["reason"] == ["Say why the status changes."]


@pytest.mark.django_db
def test_deployed_needs_an_office_and_registration_statuses_are_limited():
    with pytest.raises(ValidationError) as error:
        services.asset_register(
            by=None, asset_model=AssetModelFactory(), serial="X1", status=AssetStatus.DEPLOYED
        )
    assert error.value.message_dict["office"] == [
        "An asset that is “Deployed” must stand at an office."
    ]
    with pytest.raises(ValidationError) as error:
        services.asset_register(
            by=None, asset_model=AssetModelFactory(), serial="X1", status=AssetStatus.RETIRED
        )
    assert error.value.message_dict["status"] == ["A new asset cannot be registered as “Retired”."]
    with pytest.raises(ValidationError) as error:
        services.asset_register(
            by=None, asset_model=AssetModelFactory(), serial="X1", zone=Zone.FRONT_OFFICE
        )
    assert error.value.message_dict["zone"] == ["A zone needs an office."]
    assert not Asset.objects.exists()


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("10.1.2.3", "10.1.2.3"), (" Printer-17.cr.local ", "printer-17.cr.local"), ("", "")],
)
def test_network_address_accepts_ips_and_host_names(raw, stored):
    assert services.network_address_normalise(raw) == stored


@pytest.mark.parametrize("raw", ["10.1.2.300", "printer 17", "http://10.1.1.1/"])
def test_network_address_refuses_nonsense(raw):
    with pytest.raises(ValidationError) as error:
        services.network_address_normalise(raw)
    assert (
        "is neither an IP address nor a host name" in error.value.message_dict["network_address"][0]
    )


@pytest.mark.django_db
def test_history_keeps_author_reason_and_changes():
    officer = make_user("logistics_officer", first_name="Zarina", last_name="Rahimova")
    birth = CRServiceFactory()
    asset = make_asset(by=officer, value=Decimal("420.00"))
    services.asset_update(
        asset=asset,
        by=officer,
        reason="Typo on the packing list",
        value=Decimal("415.50"),
        custodian="Front desk",
        services=[birth],
    )
    from inventory.selectors import asset_history

    entries = asset_history(asset=asset)
    assert [entry.kind for entry in entries] == ["changed", "changed", "created"]
    newest = entries[0]
    # The services link is saved after the fields, as its own history entry.
    assert newest.who == "Zarina Rahimova"
    assert newest.reason == "Typo on the packing list"
    assert [(c.label, c.old, c.new) for c in newest.changes] == [
        ("CR services supported", "—", "Birth registration")
    ]
    fields = {c.label: (c.old, c.new) for c in entries[1].changes}
    assert fields == {"value (USD)": ("420.00", "415.50"), "custodian": ("—", "Front desk")}
    assert entries[2].reason == "Registered"


@pytest.mark.django_db
def test_an_edit_that_changes_nothing_writes_no_history():
    asset = make_asset()
    before = asset.history.count()
    services.asset_update(asset=asset, by=None, custodian="", notes="")
    assert asset.history.count() == before


@pytest.mark.django_db
def test_status_cannot_be_changed_by_a_plain_edit():
    asset = make_asset()
    with pytest.raises(ValueError, match="cannot change"):
        services.asset_update(asset=asset, by=None, status=AssetStatus.RETIRED)


@pytest.mark.django_db
def test_office_takes_its_region_from_its_district_and_codes_are_unique():
    district = DistrictFactory()
    office = services.office_create(
        by=None, code=" cr-x-01 ", kind="district_office", district=district, name_en="X"
    )
    assert (office.code, office.region) == ("CR-X-01", district.region)
    with pytest.raises(ValidationError) as error:
        services.office_create(
            by=None, code="CR-X-01", kind="district_office", district=district, name_en="Y"
        )
    assert error.value.message_dict["code"] == ["Office code CR-X-01 is already in use."]
    other = DistrictFactory()
    services.office_update(office=office, by=None, district=other)
    office.refresh_from_db()
    assert office.region == other.region


@pytest.mark.django_db
def test_registration_is_one_history_entry_with_its_services():
    from inventory.selectors import asset_history

    birth = CRServiceFactory()
    asset = make_asset(services=[birth])
    assert asset.history.count() == 1
    assert list(asset.services.all()) == [birth]
    (entry,) = asset_history(asset=asset)
    assert entry.kind == "created"
    assert ("CR services supported", "Birth registration") in [
        (c.label, c.new) for c in entry.changes
    ]


@pytest.mark.django_db
def test_bulk_update_history_keeps_the_services():
    """An imported change records the asset's services too, so none shows as removed."""
    asset = make_asset(services=[CRServiceFactory()])
    asset.notes = "Checked"
    services.assets_update_bulk(assets=[asset], fields=["notes"], by=None, reason="Imported")
    entry = asset_history(asset=asset)[0]
    assert entry.reason == "Imported"
    assert [(c.label, c.old, c.new) for c in entry.changes] == [("notes", "—", "Checked")]
