"""Reference data (load_reference) and the deterministic demo fleet (demo_setup)."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Count, F, Sum
from django.test import override_settings

from inventory.choices import AssetStatus, OfficeKind, Role
from inventory.models import (
    Asset,
    AssetModel,
    Category,
    CRService,
    District,
    FundingSource,
    HandoverSet,
    HandoverSetLine,
    Manufacturer,
    Office,
    Region,
    ServiceRequirement,
    UserScope,
)

DECLARED = {"laptop": 221, "printer": 196, "scanner": 105, "router": 74, "ups": 36, "server": 2}
FAST_HASHER = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REFERENCE_MODELS = (
    Region,
    District,
    CRService,
    ServiceRequirement,
    Category,
    Manufacturer,
    AssetModel,
    Office,
    FundingSource,
    HandoverSet,
    HandoverSetLine,
)


def load_reference(*args: str) -> str:
    out = StringIO()
    call_command("load_reference", *args, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, list[tuple]]:
    """Return every reference row's values, to compare before and after a run."""
    return {
        model.__name__: sorted(model.objects.values_list(), key=repr) for model in REFERENCE_MODELS
    }


@pytest.mark.django_db
def test_load_reference_loads_places_catalogue_and_declared_sets():
    output = load_reference()

    assert Region.objects.count() == 5
    assert District.objects.count() == 68
    assert Office.objects.count() == 73
    assert Category.objects.count() == 6
    assert CRService.objects.count() == 10
    assert ServiceRequirement.objects.count() == 19
    assert "218 added" in output
    lines = HandoverSetLine.objects.values_list("category__code", "declared_quantity")
    assert dict(lines) == DECLARED
    assert HandoverSet.objects.aggregate(total=Sum("declared_value"))["total"] == Decimal(
        "488379.00"
    )
    assert HandoverSetLine.objects.aggregate(total=Sum("declared_value"))["total"] == Decimal(
        "488379.00"
    )
    for handover_set in HandoverSet.objects.all():
        assert set(handover_set.funding_sources.values_list("code", flat=True)) == {"SDC", "EU"}
        lines_total = handover_set.lines.aggregate(total=Sum("declared_value"))["total"]
        assert lines_total == handover_set.declared_value


@pytest.mark.django_db
def test_load_reference_gives_every_district_a_cr_office_in_its_region():
    load_reference()

    assert Office.objects.exclude(region=F("district__region")).count() == 0
    cr_offices = Office.objects.filter(
        kind__in=[OfficeKind.DISTRICT_OFFICE, OfficeKind.CITY_OFFICE]
    )
    assert cr_offices.count() == 68
    assert set(cr_offices.values_list("code", flat=True)) == {
        f"CR-{code}" for code in District.objects.values_list("code", flat=True)
    }
    khujand = Office.objects.get(code="CR-SU-KHU")
    assert khujand.kind == OfficeKind.CITY_OFFICE
    assert khujand.name_ru == "Отдел ЗАГС — город Худжанд"
    assert khujand.latitude == Decimal("40.28330")
    assert khujand.services.count() == 9
    assert list(Office.objects.get(code="WH-DUS").services.all()) == []
    assert set(Office.objects.get(code="ARC-KHO").services.values_list("code", flat=True)) == {
        "digitisation",
        "certificates",
    }
    # loaddata saves raw rows, which simple-history skips; each office still has its entry.
    assert Office.history.filter(history_type="+").count() == 73


@pytest.mark.django_db
def test_load_reference_twice_changes_nothing():
    load_reference()
    before = snapshot()

    output = load_reference()

    assert snapshot() == before
    assert "0 added, 0 rewritten" in output
    assert Office.history.count() == 73


@pytest.mark.django_db
def test_load_reference_keeps_edits_unless_told_to_update():
    load_reference()
    Office.objects.filter(code="CR-SU-KHU").update(name_en="Khujand city CR office", phone="1")
    Category.objects.filter(code="laptop").update(last_tag_number=42)
    HandoverSetLine.objects.filter(category__code="server").update(declared_quantity=3)

    load_reference()

    office = Office.objects.get(code="CR-SU-KHU")
    assert office.name_en == "Khujand city CR office"
    assert HandoverSetLine.objects.get(category__code="server").declared_quantity == 3

    output = load_reference("--update")

    office.refresh_from_db()
    assert office.name_en == "Khujand CR office"
    assert HandoverSetLine.objects.get(category__code="server").declared_quantity == 2
    # The tag counter is not reference data: reloading the categories must not reset it.
    assert Category.objects.get(code="laptop").last_tag_number == 42
    assert "0 added" in output


def test_demo_setup_refuses_when_debug_is_off(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="Refusing to create demo data: DEBUG is off"):
        call_command("demo_setup", stdout=StringIO())


@pytest.fixture(scope="class")
def demo_output(django_db_setup, django_db_blocker):
    """Run demo_setup once for a test class, and roll it back after the class."""
    with (
        django_db_blocker.unblock(),
        override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHER),
        transaction.atomic(),
    ):
        out = StringIO()
        call_command("demo_setup", stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.mark.django_db
@pytest.mark.usefixtures("demo_output")
class TestDemoSetup:
    """One demo fleet for the whole class: it takes a few seconds to register."""

    def test_fleet_is_exactly_the_declared_sets(self):
        assert Asset.objects.count() == 634
        per_category = Asset.objects.values_list("asset_model__category__code").annotate(
            n=Count("id")
        )
        assert dict(per_category) == DECLARED
        assert Asset.objects.aggregate(total=Sum("value"))["total"] == Decimal("488379.00")
        for line in HandoverSetLine.objects.select_related("category", "handover_set"):
            assets = Asset.objects.filter(asset_model__category=line.category)
            assert set(assets.values_list("handover_set", flat=True)) == {line.handover_set_id}
            assert assets.aggregate(total=Sum("value"))["total"] == line.declared_value
        assert Asset.objects.get(tag="CR-SV-000001").value == Decimal("28619.50")

    def test_serials_and_tags_are_unique_and_generated(self):
        serials = list(Asset.objects.values_list("serial", flat=True))
        assert len(set(serials)) == 634
        assert all(serial == serial.strip().upper() for serial in serials)
        assert Asset.objects.filter(tag__startswith="CR-LT-").count() == 221
        assert Category.objects.get(code="printer").last_tag_number == 196

    def test_every_device_has_history_by_the_logistics_officer(self):
        logistics = get_user_model().objects.get(username="logistics")
        created = Asset.history.filter(history_type="+")
        assert created.count() == 634
        assert set(created.values_list("history_user", flat=True)) == {logistics.pk}
        assert set(created.values_list("history_change_reason", flat=True)) == {"Demo data"}
        assert not Asset.history.filter(history_user__isnull=True).exists()

    def test_statuses_cover_the_whole_lifecycle(self):
        statuses = dict(Asset.objects.values_list("status").annotate(n=Count("id")))
        assert statuses == {
            AssetStatus.DEPLOYED: 598,
            AssetStatus.IN_STOCK: 23,
            AssetStatus.IN_REPAIR: 10,
            AssetStatus.RETIRED: 2,
            AssetStatus.LOST: 1,
        }
        assert not Asset.objects.filter(office__isnull=True).exists()
        in_store = Asset.objects.filter(status__in=[AssetStatus.IN_STOCK, AssetStatus.IN_TRANSIT])
        assert set(in_store.values_list("office__code", flat=True)) == {"WH-DUS"}

    def test_devices_stand_where_the_services_need_them(self):
        deployed = Asset.objects.filter(status=AssetStatus.DEPLOYED)
        for office in Office.objects.filter(
            kind__in=[OfficeKind.DISTRICT_OFFICE, OfficeKind.CITY_OFFICE]
        ):
            at_office = Asset.objects.filter(office=office).exclude(status=AssetStatus.IN_STOCK)
            assert at_office.filter(asset_model__category__code="router").count() == 1
            assert at_office.filter(asset_model__category__code="laptop").count() == 3
        assert set(
            Asset.objects.filter(asset_model__category__code="server").values_list(
                "office__code", flat=True
            )
        ) == {"ARC-DUS"}
        scanners = deployed.filter(asset_model__category__code="scanner")
        assert scanners.filter(office__kind=OfficeKind.ARCHIVE).count() == 78
        assert set(
            scanners.filter(office__kind=OfficeKind.ARCHIVE).values_list(
                "services__code", flat=True
            )
        ) == {"digitisation"}
        front = deployed.filter(zone="front_office", asset_model__category__code="printer")
        assert set(front.values_list("services__code", flat=True)) == {
            "birth",
            "death",
            "marriage",
            "divorce",
            "adoption",
            "paternity",
            "name_change",
        }
        monitored = Asset.objects.filter(
            asset_model__category__is_monitored=True,
            status=AssetStatus.DEPLOYED,
        )
        addresses = list(monitored.values_list("network_address", flat=True))
        assert all(address.startswith("10.") for address in addresses)
        assert len(set(addresses)) == len(addresses)
        assert not Asset.objects.filter(asset_model__category__code="laptop").exclude(
            network_address=""
        )

    def test_fleet_is_deterministic(self):
        expected = [
            ("CR-LT-000001", "5CD336LJYK", "ARC-BOK", "deployed"),
            ("CR-PR-000001", "CNB3R64795", "ARC-BOK", "deployed"),
            ("CR-SC-000001", "GZ323104", "ARC-BOK", "deployed"),
            ("CR-RT-000001", "FGL2712YSD9", "ARC-BOK", "deployed"),
            ("CR-UP-000001", "AS2301517367", "ARC-BOK", "deployed"),
            ("CR-SV-000001", "CZJ3510NH1", "ARC-DUS", "deployed"),
            ("CR-SV-000002", "CZJ304NS0P", "ARC-DUS", "deployed"),
            ("CR-LT-000221", "PF44P13R", "WH-DUS", "in_stock"),
        ]
        actual = [
            tuple(
                Asset.objects.filter(tag=tag).values_list(
                    "tag", "serial", "office__code", "status"
                )[0]
            )
            for tag, *_ in expected
        ]
        assert actual == expected
        assert Asset.objects.get(tag="CR-PR-000001").network_address == "10.3.1.30"

    def test_demo_users_have_their_roles_and_scopes(self, demo_output):
        users = get_user_model().objects.filter(
            username__in=["admin", "logistics", "auditor", "technician", "officehead"]
        )
        roles = {user.username: list(user.groups.values_list("name", flat=True)) for user in users}
        assert roles == {
            "admin": [Role.ADMINISTRATOR],
            "logistics": [Role.LOGISTICS_OFFICER],
            "auditor": [Role.AUDITOR],
            "technician": [Role.TECHNICIAN],
            "officehead": [Role.OFFICE_HEAD],
        }
        admin = users.get(username="admin")
        assert admin.is_superuser and admin.is_staff
        assert admin.check_password("demo-admin-2024")
        technician = UserScope.objects.get(user__username="technician")
        assert set(technician.regions.values_list("code", flat=True)) == {"SU", "GB"}
        assert UserScope.objects.get(user__username="officehead").office.code == "CR-SU-KHU"
        assert all(scope.position for scope in UserScope.objects.filter(user__in=users))
        assert "officehead" in demo_output and "demo-officehead-2024" in demo_output
        assert "laptop: 221 registered" in demo_output

    def test_second_run_adds_nothing_but_resets_passwords(self, settings):
        settings.DEBUG = False  # --force lets it run on a non-debug demo machine
        settings.PASSWORD_HASHERS = FAST_HASHER
        before = list(Asset.objects.order_by("tag").values_list("tag", "serial", "office"))
        logistics = get_user_model().objects.get(username="logistics")
        logistics.set_password("changed-by-the-user")
        logistics.save()
        out = StringIO()

        call_command("demo_setup", "--force", stdout=out)

        assert list(Asset.objects.order_by("tag").values_list("tag", "serial", "office")) == before
        assert "no demo devices added" in out.getvalue()
        assert "demo-logistics-2024" in out.getvalue()
        logistics.refresh_from_db()
        assert logistics.check_password("demo-logistics-2024")
