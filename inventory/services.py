"""Every write to the register, and the rules that span rows.

Each service records who made the change and why: django-simple-history keeps the field
changes, and the ``reason`` given here becomes the history entry's reason.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import ipaddress
import re
import unicodedata
from collections.abc import Iterable
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from inventory.choices import AssetStatus, Zone
from inventory.models import (
    Asset,
    AssetModel,
    Category,
    CRService,
    District,
    HandoverSet,
    Office,
)

# The asset lifecycle: in_stock → in_transit → deployed ⇄ in_repair → retired | lost.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    AssetStatus.IN_STOCK: frozenset(
        {AssetStatus.IN_TRANSIT, AssetStatus.RETIRED, AssetStatus.LOST}
    ),
    AssetStatus.IN_TRANSIT: frozenset(
        {AssetStatus.DEPLOYED, AssetStatus.IN_STOCK, AssetStatus.LOST}
    ),
    AssetStatus.DEPLOYED: frozenset(
        {AssetStatus.IN_REPAIR, AssetStatus.IN_TRANSIT, AssetStatus.RETIRED, AssetStatus.LOST}
    ),
    AssetStatus.IN_REPAIR: frozenset({AssetStatus.DEPLOYED, AssetStatus.RETIRED, AssetStatus.LOST}),
    AssetStatus.RETIRED: frozenset(),
    AssetStatus.LOST: frozenset({AssetStatus.IN_STOCK}),
}

# Statuses an asset may have when it is first registered.
REGISTRATION_STATUSES: frozenset[str] = frozenset(
    {AssetStatus.IN_STOCK, AssetStatus.DEPLOYED, AssetStatus.IN_REPAIR}
)

# Statuses in which an asset stands at an office.
STATUSES_AT_OFFICE: frozenset[str] = frozenset({AssetStatus.DEPLOYED, AssetStatus.IN_REPAIR})

TAG_FORMAT = "CR-{prefix}-{number:06d}"
_WHITESPACE = re.compile(r"\s+")
_HOSTNAME = re.compile(
    r"^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$"
)

# Fields a plain edit may change; status has its own service with the lifecycle rules.
EDITABLE_FIELDS: tuple[str, ...] = (
    "tag",
    "serial",
    "asset_model",
    "handover_set",
    "value",
    "warranty_end",
    "office",
    "zone",
    "custodian",
    "network_address",
    "notes",
)


def serial_normalise(raw: str) -> str:
    """Return a serial number as the register stores it: trimmed, upper case, single spaces.

    Unicode compatibility forms are folded first, so a full-width or non-breaking-space
    spelling of a serial is the same serial as the plain one.
    """
    text = unicodedata.normalize("NFKC", raw or "")
    text = text.replace("\u200b", "").replace("\ufeff", "")
    return _WHITESPACE.sub(" ", text).strip().upper()


def tag_normalise(raw: str) -> str:
    """Return an asset tag as stored: trimmed and upper case."""
    return _WHITESPACE.sub("", unicodedata.normalize("NFKC", raw or "")).upper()


def network_address_normalise(raw: str) -> str:
    """Return a valid IP address or host name, or raise ValidationError saying what is wrong."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        pass
    if _HOSTNAME.match(text) and not text.replace(".", "").isdigit():
        return text.lower()
    raise ValidationError(
        {
            "network_address": _("“%(value)s” is neither an IP address nor a host name.")
            % {"value": text}
        }
    )


def status_label(status: str) -> str:
    """Return the translated label of an asset status."""
    return str(AssetStatus(status).label) if status in AssetStatus.values else status


def transition_check(*, from_status: str, to_status: str) -> None:
    """Raise ValidationError naming both states when the lifecycle forbids the change."""
    if to_status not in AssetStatus.values:
        raise ValidationError({"status": _("Unknown status “%(status)s”.") % {"status": to_status}})
    if to_status == from_status:
        raise ValidationError(
            {
                "status": _("The asset is already “%(status)s”.")
                % {"status": status_label(from_status)}
            }
        )
    if to_status not in ALLOWED_TRANSITIONS[from_status]:
        raise ValidationError(
            {
                "status": _("An asset cannot go from “%(from)s” to “%(to)s”.")
                % {"from": status_label(from_status), "to": status_label(to_status)}
            }
        )


def allowed_next_statuses(status: str) -> list[str]:
    """Return the statuses an asset in ``status`` may move to, in lifecycle order."""
    allowed = ALLOWED_TRANSITIONS.get(status, frozenset())
    return [value for value in AssetStatus.values if value in allowed]


def place_check(*, status: str, office: Office | None, zone: str) -> None:
    if status in STATUSES_AT_OFFICE and office is None:
        raise ValidationError(
            {
                "office": _("An asset that is “%(status)s” must stand at an office.")
                % {"status": status_label(status)}
            }
        )
    if zone and zone not in Zone.values:
        raise ValidationError({"zone": _("Unknown zone “%(zone)s”.") % {"zone": zone}})
    if zone and office is None:
        raise ValidationError({"zone": _("A zone needs an office.")})


def _serial_unique_check(*, serial: str, exclude_pk: int | None = None) -> None:
    clash = Asset.objects.filter(serial=serial)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    other = clash.values_list("tag", flat=True).first()
    if other is not None:
        raise ValidationError(
            {
                "serial": _("Serial number %(serial)s is already registered as asset %(tag)s.")
                % {"serial": serial, "tag": other}
            }
        )


def _tag_unique_check(*, tag: str, exclude_pk: int | None = None) -> None:
    clash = Asset.objects.filter(tag=tag)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"tag": _("Asset tag %(tag)s is already in use.") % {"tag": tag}})


def asset_tag_next(*, category: Category) -> str:
    """Return the next free generated tag of a category, e.g. CR-LT-000123.

    The counter row is locked, so two registrations at once never get the same tag; numbers
    already taken by hand-typed tags are skipped.
    """
    with transaction.atomic():
        locked = Category.objects.select_for_update().get(pk=category.pk)
        number = locked.last_tag_number
        while True:
            number += 1
            tag = TAG_FORMAT.format(prefix=locked.tag_prefix, number=number)
            if not Asset.objects.filter(tag=tag).exists():
                break
        Category.objects.filter(pk=locked.pk).update(last_tag_number=number)
    return tag


def _save_with_history(*, asset: Asset, by: AbstractBaseUser | None, reason: str) -> None:
    asset._history_user = by
    asset._change_reason = reason
    try:
        with transaction.atomic():
            asset.save()
    except IntegrityError as exc:
        # A concurrent write took the serial or tag between our check and the insert.
        raise ValidationError(
            _("Another user registered the same serial number or tag just now: %(error)s")
            % {"error": exc}
        ) from exc


@transaction.atomic
def asset_register(
    *,
    by: AbstractBaseUser | None,
    asset_model: AssetModel,
    serial: str,
    tag: str = "",
    handover_set: HandoverSet | None = None,
    value: Decimal | None = None,
    warranty_end: dt.date | None = None,
    status: str = AssetStatus.IN_STOCK,
    office: Office | None = None,
    zone: str = "",
    custodian: str = "",
    network_address: str = "",
    notes: str = "",
    services: Iterable[CRService] = (),
    reason: str = "",
) -> Asset:
    """Register a new asset, generating its tag when none is given."""
    serial = serial_normalise(serial)
    if not serial:
        raise ValidationError({"serial": _("The serial number is required.")})
    if status not in REGISTRATION_STATUSES:
        raise ValidationError(
            {
                "status": _("A new asset cannot be registered as “%(status)s”.")
                % {"status": status_label(status)}
            }
        )
    if value is not None and value < 0:
        raise ValidationError({"value": _("The value cannot be negative.")})
    place_check(status=status, office=office, zone=zone)
    network_address = network_address_normalise(network_address)
    _serial_unique_check(serial=serial)
    tag = tag_normalise(tag)
    if tag:
        _tag_unique_check(tag=tag)
    else:
        tag = asset_tag_next(category=asset_model.category)
    asset = Asset(
        tag=tag,
        serial=serial,
        asset_model=asset_model,
        handover_set=handover_set,
        value=value,
        warranty_end=warranty_end,
        status=status,
        office=office,
        zone=zone,
        custodian=custodian.strip(),
        network_address=network_address,
        notes=notes.strip(),
    )
    _save_with_history(asset=asset, by=by, reason=reason or _("Registered"))
    service_list = list(services)
    if service_list:
        # One history entry for the registration: the services join the "created" record
        # instead of making a second, "changed" one.
        asset.skip_history_when_saving = True
        try:
            asset.services.set(service_list)
        finally:
            del asset.skip_history_when_saving
        created = asset.history.only("history_id").latest()
        link_model = type(created)._meta.get_field("historicalasset_services").related_model
        link_model.objects.bulk_create(
            [
                link_model(
                    id=row.id, history=created, asset_id=asset.pk, crservice_id=row.crservice_id
                )
                for row in Asset.services.through.objects.filter(asset=asset)
            ]
        )
    return asset


@transaction.atomic
def asset_update(
    *,
    asset: Asset,
    by: AbstractBaseUser | None,
    reason: str = "",
    services: Iterable[CRService] | None = None,
    **changes: object,
) -> Asset:
    """Change an asset's details (not its status), keeping who and why in its history."""
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"asset_update cannot change {sorted(unknown)}")
    if "serial" in changes:
        changes["serial"] = serial_normalise(str(changes["serial"]))
        if not changes["serial"]:
            raise ValidationError({"serial": _("The serial number is required.")})
        _serial_unique_check(serial=changes["serial"], exclude_pk=asset.pk)
    if "tag" in changes:
        changes["tag"] = tag_normalise(str(changes["tag"]))
        if not changes["tag"]:
            raise ValidationError({"tag": _("The asset tag cannot be empty.")})
        _tag_unique_check(tag=changes["tag"], exclude_pk=asset.pk)
    if "network_address" in changes:
        changes["network_address"] = network_address_normalise(str(changes["network_address"]))
    value = changes.get("value")
    if isinstance(value, Decimal) and value < 0:
        raise ValidationError({"value": _("The value cannot be negative.")})
    office = changes.get("office", asset.office)
    zone = changes.get("zone", asset.zone)
    place_check(status=asset.status, office=office, zone=zone)  # type: ignore[arg-type]

    changed = [name for name, new in changes.items() if getattr(asset, name) != new]
    for name in changed:
        setattr(asset, name, changes[name])
    if changed:
        _save_with_history(asset=asset, by=by, reason=reason or _("Details edited"))
    if services is not None:
        new_ids = {service.pk for service in services}
        if new_ids != set(asset.services.values_list("pk", flat=True)):
            asset._history_user = by
            asset._change_reason = reason or _("Services changed")
            asset.services.set(list(new_ids))
    return asset


@transaction.atomic
def asset_change_status(
    *,
    asset: Asset,
    by: AbstractBaseUser | None,
    to_status: str,
    reason: str,
    office: Office | None = None,
    zone: str | None = None,
) -> Asset:
    """Move an asset along its lifecycle, refusing forbidden changes with both states named.

    The asset row is locked first, so two people changing one asset at once cannot both
    apply a change that was only valid from the earlier state.
    """
    locked = Asset.objects.select_for_update().get(pk=asset.pk)
    transition_check(from_status=locked.status, to_status=to_status)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the status changes.")})
    new_office = office if office is not None else locked.office
    new_zone = zone if zone is not None else locked.zone
    if office is not None and zone is None and office != locked.office:
        new_zone = ""
    place_check(status=to_status, office=new_office, zone=new_zone)
    locked.status = to_status
    locked.office = new_office
    locked.zone = new_zone
    _save_with_history(asset=locked, by=by, reason=reason.strip())
    asset.refresh_from_db()
    return locked


def asset_retire(*, asset: Asset, by: AbstractBaseUser | None, reason: str) -> Asset:
    """Retire an asset: it stays in the register and its history, never deleted."""
    return asset_change_status(asset=asset, by=by, to_status=AssetStatus.RETIRED, reason=reason)


def _office_check(*, code: str, district: District, exclude_pk: int | None = None) -> str:
    code = code.strip().upper()
    if not code:
        raise ValidationError({"code": _("The office code is required.")})
    clash = Office.objects.filter(code=code)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError(
            {"code": _("Office code %(code)s is already in use.") % {"code": code}}
        )
    return code


@transaction.atomic
def office_create(
    *,
    by: AbstractBaseUser | None,
    code: str,
    kind: str,
    district: District,
    name_en: str,
    name_ru: str = "",
    name_tg: str = "",
    address: str = "",
    latitude: Decimal | None = None,
    longitude: Decimal | None = None,
    phone: str = "",
    connectivity_notes: str = "",
    services: Iterable[CRService] = (),
    reason: str = "",
) -> Office:
    """Create an office in a district; its region is the district's."""
    code = _office_check(code=code, district=district)
    office = Office(
        code=code,
        kind=kind,
        district=district,
        region_id=district.region_id,
        name_en=name_en.strip(),
        name_ru=name_ru.strip(),
        name_tg=name_tg.strip(),
        address=address.strip(),
        latitude=latitude,
        longitude=longitude,
        phone=phone.strip(),
        connectivity_notes=connectivity_notes.strip(),
    )
    office.full_clean()
    office._history_user = by
    office._change_reason = reason or _("Created")
    office.save()
    office.services.set(list(services))
    return office


OFFICE_EDITABLE_FIELDS: tuple[str, ...] = (
    "code",
    "kind",
    "district",
    "name_en",
    "name_ru",
    "name_tg",
    "address",
    "latitude",
    "longitude",
    "phone",
    "connectivity_notes",
    "is_active",
)


@transaction.atomic
def office_update(
    *,
    office: Office,
    by: AbstractBaseUser | None,
    reason: str = "",
    services: Iterable[CRService] | None = None,
    **changes: object,
) -> Office:
    """Change an office's details, keeping who and why in its history."""
    unknown = set(changes) - set(OFFICE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"office_update cannot change {sorted(unknown)}")
    district = changes.get("district", office.district)
    if "code" in changes:
        changes["code"] = _office_check(
            code=str(changes["code"]),
            district=district,  # type: ignore[arg-type]
            exclude_pk=office.pk,
        )
    for name, new in changes.items():
        setattr(office, name, new)
    office.region_id = office.district.region_id
    office.full_clean()
    office._history_user = by
    office._change_reason = reason or _("Details edited")
    office.save()
    if services is not None:
        office.services.set(list(services))
    return office


def _bulk_tags(assets: list[Asset]) -> None:
    """Give every asset without a tag the next free tag of its category, in one pass.

    The counters are locked; candidate tags already taken by hand are skipped, checked a few
    thousand at a time rather than by loading every tag.
    """
    wanted: dict[int, list[Asset]] = {}
    for asset in assets:
        if not asset.tag:
            wanted.setdefault(asset.asset_model.category_id, []).append(asset)
    if not wanted:
        return
    in_file = {asset.tag for asset in assets if asset.tag}
    for category in Category.objects.select_for_update().filter(pk__in=list(wanted)):
        pending = wanted[category.pk]
        number = category.last_tag_number
        while pending:
            candidates = [
                TAG_FORMAT.format(prefix=category.tag_prefix, number=number + offset)
                for offset in range(1, len(pending) + 1)
            ]
            number += len(candidates)
            taken = set(in_file)
            for start in range(0, len(candidates), 2000):
                chunk = candidates[start : start + 2000]
                taken.update(Asset.objects.filter(tag__in=chunk).values_list("tag", flat=True))
            free = [tag for tag in candidates if tag not in taken]
            for asset, tag in zip(pending, free, strict=False):
                asset.tag = tag
            pending = pending[len(free) :]
        Category.objects.filter(pk=category.pk).update(last_tag_number=number)


@transaction.atomic
def assets_create_bulk(
    *, assets: list[Asset], by: AbstractBaseUser | None, reason: str, batch_size: int = 500
) -> list[Asset]:
    """Register many validated assets at once (imports), one history entry each.

    The caller has checked every row (serials, tags, statuses, places); the database's
    unique constraints still guard against a concurrent registration.
    """
    from simple_history.utils import bulk_create_with_history

    _bulk_tags(assets)
    for asset in assets:
        asset.serial = serial_normalise(asset.serial)
    return bulk_create_with_history(
        assets,
        Asset,
        batch_size=batch_size,
        default_user=by,
        default_change_reason=reason,
    )


def _history_snapshot(
    *, asset_ids: QuerySet | list[int], by: AbstractBaseUser | None, reason: str, when: dt.datetime
) -> None:
    """Write one history entry per asset, copied from its row as it is now, in two queries.

    The rows and their CR-service links are copied by ``INSERT … SELECT``, so the count of
    queries does not grow with the number of assets, and every entry keeps the services the
    asset supports (django-simple-history's bulk helpers leave them out).
    """
    from django.db import connections, router
    from django.db.models import DateTimeField, IntegerField, OuterRef, Subquery, Value

    history_model = Asset.history.model
    link_model = history_model._meta.get_field("historicalasset_services").related_model
    through = Asset.services.through
    tracked = [field.attname for field in history_model.tracked_fields]
    rows = (
        Asset.objects.filter(pk__in=asset_ids)
        .order_by()
        .annotate(
            _h_date=Value(when, output_field=DateTimeField()),
            _h_user=Value(by.pk if by is not None else None, output_field=IntegerField()),
            _h_reason=Value(reason),
            _h_type=Value("~"),
        )
        .values_list(*tracked, "_h_date", "_h_user", "_h_reason", "_h_type")
    )
    links = (
        through.objects.filter(asset_id__in=asset_ids)
        .order_by()
        .annotate(
            _history=Subquery(
                history_model.objects.filter(
                    id=OuterRef("asset_id"), history_date=when, history_change_reason=reason
                )
                .order_by("-history_id")
                .values("history_id")[:1]
            )
        )
        .values_list("id", "asset_id", "crservice_id", "_history")
    )
    connection = connections[router.db_for_write(Asset)]
    quote = connection.ops.quote_name
    history_columns = [history_model._meta.get_field(name).column for name in tracked] + [
        "history_date",
        "history_user_id",
        "history_change_reason",
        "history_type",
    ]
    link_columns = ["id", "asset_id", "crservice_id", "history_id"]
    with connection.cursor() as cursor:
        for table, columns, query in (
            (history_model._meta.db_table, history_columns, rows),
            (link_model._meta.db_table, link_columns, links),
        ):
            sql, params = query.query.sql_with_params()
            cursor.execute(
                f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) {sql}",
                params,
            )


@transaction.atomic
def assets_move_bulk(
    *,
    assets: QuerySet[Asset],
    by: AbstractBaseUser | None,
    reason: str,
    status: str,
    office: Office | None,
    zone: str,
) -> int:
    """Give many assets one status and place, with a history entry each; return how many.

    The caller has checked the lifecycle and locked the rows (a transfer's dispatch or
    receipt). Three queries, however many assets.
    """
    from django.utils import timezone

    place_check(status=status, office=office, zone=zone)
    ids = assets.values("pk")
    when = timezone.now()
    count = Asset.objects.filter(pk__in=ids).update(
        status=status, office=office, zone=zone, updated_at=when
    )
    if count:
        _history_snapshot(asset_ids=ids, by=by, reason=reason, when=when)
    return count


@transaction.atomic
def assets_update_bulk(
    *,
    assets: list[Asset],
    fields: list[str],
    by: AbstractBaseUser | None,
    reason: str,
    batch_size: int = 500,
) -> None:
    """Save changes to many validated assets at once (imports), one history entry each.

    The entries are copied from the saved rows, with the CR services each asset supports.
    """
    from django.utils import timezone

    now = timezone.now()
    for asset in assets:
        asset.updated_at = now
    Asset.objects.bulk_update(assets, fields=[*fields, "updated_at"], batch_size=batch_size)
    if assets:
        _history_snapshot(asset_ids=[asset.pk for asset in assets], by=by, reason=reason, when=now)


# Uploaded spreadsheets are kept between the preview and the confirmation, per user.
# Photos taken on site (repairs, verifications): the image formats accepted, and the
# file extension each is stored with.
PHOTO_EXTENSIONS: dict[str, str] = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}


def photo_check(*, upload, max_bytes: int, field: str = "photo") -> str:
    """Refuse a photo that is empty, too large, or not an image Pillow can open.

    The content decides, not the name or the browser's content type. Return its extension.
    Errors are given on ``field``.
    """
    if upload.size == 0:
        raise ValidationError({field: _("The photo is empty.")})
    if upload.size > max_bytes:
        raise ValidationError(
            {
                field: _("The photo is %(size)s MB; the limit is %(limit)s MB.")
                % {"size": f"{upload.size / 1048576:.1f}", "limit": f"{max_bytes / 1048576:.0f}"}
            }
        )
    from PIL import Image

    upload.seek(0)
    try:
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except Exception as exc:
        raise ValidationError(
            {
                field: _("“%(name)s” is not a photo that can be opened (JPEG, PNG or WebP).")
                % {"name": upload.name}
            }
        ) from exc
    finally:
        upload.seek(0)
    if kind not in PHOTO_EXTENSIONS:
        raise ValidationError(
            {
                field: _("“%(name)s” is a %(kind)s image; send a JPEG, PNG or WebP photo.")
                % {"name": upload.name, "kind": kind}
            }
        )
    return PHOTO_EXTENSIONS[kind]


IMPORT_UPLOAD_DIR = "imports"
IMPORT_UPLOAD_MAX_AGE = dt.timedelta(hours=24)
_TOKEN = re.compile(r"^[0-9a-f]{32}$")


def _import_upload_path(*, token: str, user: AbstractBaseUser) -> str:
    if not _TOKEN.match(token or ""):
        raise FileNotFoundError(token)
    return f"{IMPORT_UPLOAD_DIR}/{user.pk}-{token}"


def import_upload_keep(*, upload, user: AbstractBaseUser) -> str:
    """Keep an uploaded file until it is confirmed; return its token. Old ones are removed."""
    import uuid

    from django.core.files.storage import default_storage
    from django.utils import timezone

    if default_storage.exists(IMPORT_UPLOAD_DIR):
        cutoff = timezone.now() - IMPORT_UPLOAD_MAX_AGE
        for name in default_storage.listdir(IMPORT_UPLOAD_DIR)[1]:
            path = f"{IMPORT_UPLOAD_DIR}/{name}"
            if default_storage.get_modified_time(path) < cutoff:
                default_storage.delete(path)
    token = uuid.uuid4().hex
    default_storage.save(_import_upload_path(token=token, user=user), upload)
    return token


def import_upload_open(*, token: str, user: AbstractBaseUser):
    """Open a kept upload for reading; raise FileNotFoundError when it is gone."""
    from django.core.files.storage import default_storage

    path = _import_upload_path(token=token, user=user)
    if not default_storage.exists(path):
        raise FileNotFoundError(path)
    return default_storage.open(path, "rb")


def import_upload_discard(*, token: str, user: AbstractBaseUser) -> None:
    """Remove a kept upload once it is imported or refused."""
    from django.core.files.storage import default_storage

    with contextlib.suppress(FileNotFoundError):
        default_storage.delete(_import_upload_path(token=token, user=user))
