"""factory_boy factories for the register. Assets go through the service, as in real use."""

from __future__ import annotations

from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from inventory import services
from inventory.choices import AssetStatus, DistrictKind, OfficeKind
from inventory.models import (
    AssetModel,
    Category,
    CRService,
    District,
    FundingSource,
    HandoverSet,
    Manufacturer,
    Office,
    Region,
    UserScope,
)


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"R{n}")
    name_en = factory.LazyAttribute(lambda o: f"Region {o.code}")
    name_ru = factory.LazyAttribute(lambda o: f"Область {o.code}")
    name_tg = factory.LazyAttribute(lambda o: f"Вилояти {o.code}")


class DistrictFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = District
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"D-{n:03d}")
    region = factory.SubFactory(RegionFactory)
    kind = DistrictKind.DISTRICT
    name_en = factory.LazyAttribute(lambda o: f"District {o.code}")
    name_ru = factory.LazyAttribute(lambda o: f"Район {o.code}")
    name_tg = factory.LazyAttribute(lambda o: f"Ноҳияи {o.code}")


class OfficeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"OF-{n:03d}")
    kind = OfficeKind.DISTRICT_OFFICE
    district = factory.SubFactory(DistrictFactory)
    region = factory.LazyAttribute(lambda o: o.district.region)
    name_en = factory.LazyAttribute(lambda o: f"CR office {o.code}")
    name_ru = factory.LazyAttribute(lambda o: f"ЗАГС {o.code}")
    name_tg = factory.LazyAttribute(lambda o: f"САҲШ {o.code}")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("code",)

    code = "printer"
    tag_prefix = factory.LazyAttribute(lambda o: o.code[:2].upper())
    name_en = factory.LazyAttribute(lambda o: o.code.title())
    name_ru = factory.LazyAttribute(
        lambda o: {"printer": "Принтер", "laptop": "Ноутбук"}.get(o.code, o.code)
    )
    name_tg = factory.LazyAttribute(
        lambda o: {"printer": "Принтер", "laptop": "Ноутбук"}.get(o.code, o.code)
    )


class ManufacturerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Manufacturer
        django_get_or_create = ("name",)

    name = "HP"


class AssetModelFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AssetModel
        django_get_or_create = ("manufacturer", "name")

    manufacturer = factory.SubFactory(ManufacturerFactory)
    name = "LaserJet Pro M404dn"
    category = factory.SubFactory(CategoryFactory)


class FundingSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingSource
        django_get_or_create = ("code",)

    code = "SDC"
    name_en = "Swiss Cooperation"


class HandoverSetFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = HandoverSet
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"HS-T-{n:02d}")
    name_en = factory.LazyAttribute(lambda o: f"Set {o.code}")
    handover_date = factory.Faker("date_object")
    declared_value = Decimal("1000.00")


class CRServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CRService
        django_get_or_create = ("code",)

    code = "birth"
    name_en = "Birth registration"
    name_ru = "Регистрация рождения"
    name_tg = "Бақайдгирии таваллуд"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.PostGenerationMethodCall("set_password", "pass-for-tests-1")

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if extracted:
            self.groups.add(Group.objects.get(name=extracted))
        self.save()


def make_user(role: str, *, regions=(), office=None, **kwargs):
    """Return a user with a role and, where given, a region or office scope."""
    user = UserFactory(role=role, **kwargs)
    if regions or office:
        scope, _ = UserScope.objects.get_or_create(user=user, defaults={"office": office})
        scope.regions.set(list(regions))
    return user


_serials = iter(range(1, 10_000_000))


def make_asset(
    *, by=None, asset_model=None, serial=None, status=AssetStatus.DEPLOYED, office=None, **kwargs
):
    """Register an asset through the service, with sensible defaults."""
    if office is None and status in services.STATUSES_AT_OFFICE:
        office = OfficeFactory()
    return services.asset_register(
        by=by,
        asset_model=asset_model or AssetModelFactory(),
        serial=serial or f"SN{next(_serials):08d}",
        status=status,
        office=office,
        **kwargs,
    )


# Verification campaigns (issue 7) ---------------------------------------------------------


def photo_upload(name: str = "photo.jpg", *, fmt: str = "JPEG", size=(8, 8)):
    """Return an uploaded image file, as a phone camera sends one."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", size, (20, 120, 200)).save(buffer, format=fmt)
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


def make_campaign(*, by, method: str = "full", name: str = "Spot check", **kwargs):
    """Draw a verification campaign through the service (every asset in scope by default)."""
    from deployments import services as deployment_services

    return deployment_services.campaign_create(by=by, name=name, method=method, **kwargs)
