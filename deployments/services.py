"""Every write of deployments: the plan, transfers, handover acts and verification campaigns.

Each service checks its rules, refuses with a message that says why, and records who and
when. Moves of assets go through ``inventory.services.assets_move_bulk``, so each asset's
timeline shows the dispatch and the receipt with the transfer's number.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from deployments import sampling, selectors
from deployments.choices import (
    ARRIVED_OUTCOMES,
    ActStatus,
    AssetCondition,
    CampaignMethod,
    CampaignStatus,
    ItemOutcome,
    MoveProposalStatus,
    TransferStatus,
    VerificationOutcome,
)
from deployments.models import (
    CampaignAsset,
    CampaignChecklist,
    DistributionPlanLine,
    DocumentSeries,
    HandoverAct,
    HandoverActItem,
    MoveProposal,
    Transfer,
    TransferItem,
    Verification,
    VerificationCampaign,
)
from inventory import services as inventory_services
from inventory.access import scope_assets, scope_offices
from inventory.choices import AssetStatus, OfficeKind, Zone
from inventory.models import Asset, Category, HandoverSet, Office, Region

# Statuses in which an asset may leave its place on a transfer.
DISPATCHABLE_STATUSES: frozenset[str] = frozenset({AssetStatus.IN_STOCK, AssetStatus.DEPLOYED})


def document_number_next(*, prefix: str, year: int) -> str:
    """Return the next number of a kind of document in a year, e.g. HA-2026-0042.

    The series row is locked, so two documents made at once never share a number.
    """
    with transaction.atomic():
        series, _created = DocumentSeries.objects.select_for_update().get_or_create(
            prefix=prefix, year=year
        )
        series.last_number += 1
        series.save(update_fields=["last_number"])
    return f"{prefix}-{year}-{series.last_number:04d}"


# The distribution plan ---------------------------------------------------------------------


@transaction.atomic
def plan_save(
    *,
    handover_set: HandoverSet,
    quantities: Mapping[tuple[int, int], int | None],
    by: AbstractBaseUser | None,
    reason: str = "",
) -> dict[str, int]:
    """Set planned quantities of a handover set, keyed by (office id, category id).

    ``None`` or 0 removes a line. Return how many lines were created, changed and removed.
    """
    for (office_id, _category_id), quantity in quantities.items():
        if quantity is not None and quantity < 0:
            office = Office.objects.filter(pk=office_id).values_list("code", flat=True).first()
            raise ValidationError(
                _("A planned quantity cannot be negative (office %(office)s).")
                % {"office": office or office_id}
            )
    existing = {
        (line.office_id, line.category_id): line
        for line in DistributionPlanLine.objects.select_for_update().filter(
            handover_set=handover_set,
            office_id__in={key[0] for key in quantities},
            category_id__in={key[1] for key in quantities},
        )
    }
    counts = {"created": 0, "changed": 0, "removed": 0}
    reason = reason or _("Plan edited")
    for (office_id, category_id), quantity in quantities.items():
        line = existing.get((office_id, category_id))
        if not quantity:
            if line is not None:
                line._history_user = by
                line._change_reason = reason
                line.delete()
                counts["removed"] += 1
            continue
        if line is None:
            line = DistributionPlanLine(
                handover_set=handover_set,
                office_id=office_id,
                category_id=category_id,
                planned_quantity=quantity,
            )
            counts["created"] += 1
        elif line.planned_quantity != quantity:
            line.planned_quantity = quantity
            counts["changed"] += 1
        else:
            continue
        line._history_user = by
        line._change_reason = reason
        line.save()
    return counts


# Transfers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Refusal:
    """A tag or serial that could not go on a transfer, and why."""

    code: str
    reason: str


@dataclass
class AddResult:
    added: list[Asset] = field(default_factory=list)
    refused: list[Refusal] = field(default_factory=list)


def _open_check(transfer: Transfer) -> None:
    if transfer.status != TransferStatus.DRAFT:
        raise ValidationError(
            _("Transfer %(number)s is “%(status)s”: its list of assets can no longer change.")
            % {"number": transfer.number, "status": transfer.get_status_display()}
        )


def _origin_holds(*, origin: Office, asset: Asset) -> bool:
    """Return whether ``asset`` stands at ``origin`` (stock without a place is at the warehouse)."""
    if asset.office_id == origin.pk:
        return True
    return (
        asset.office_id is None
        and asset.status == AssetStatus.IN_STOCK
        and origin.kind == OfficeKind.WAREHOUSE
    )


def transfer_asset_refusal(
    *, asset: Asset, origin: Office, open_transfer_number: str | None, this_number: str
) -> str | None:
    """Return why ``asset`` cannot go on a transfer from ``origin``, or None when it can."""
    if open_transfer_number == this_number:
        return _("%(tag)s is already on this transfer.") % {"tag": asset.tag}
    if open_transfer_number is not None:
        return _("%(tag)s is already on open transfer %(number)s.") % {
            "tag": asset.tag,
            "number": open_transfer_number,
        }
    if asset.status in (AssetStatus.RETIRED, AssetStatus.LOST):
        return _("%(tag)s is “%(status)s” and cannot be moved.") % {
            "tag": asset.tag,
            "status": asset.get_status_display(),
        }
    if asset.status not in DISPATCHABLE_STATUSES:
        return _("%(tag)s is “%(status)s”: only assets in stock or deployed can be sent.") % {
            "tag": asset.tag,
            "status": asset.get_status_display(),
        }
    if not _origin_holds(origin=origin, asset=asset):
        return _("%(tag)s is not at %(origin)s (it is at %(place)s).") % {
            "tag": asset.tag,
            "origin": origin.code,
            "place": asset.office.code if asset.office_id else _("no office"),
        }
    return None


@transaction.atomic
def transfer_create(
    *,
    by: AbstractBaseUser | None,
    origin: Office,
    destination: Office,
    destination_zone: str,
    carrier: str = "",
    notes: str = "",
) -> Transfer:
    """Open a draft transfer from a place to an office and zone."""
    if origin.pk == destination.pk:
        raise ValidationError(
            {"destination": _("A transfer must go to another office than where it starts.")}
        )
    if destination_zone not in Zone.values:
        raise ValidationError({"destination_zone": _("Choose the zone the assets go to.")})
    if not destination.is_active:
        raise ValidationError(
            {"destination": _("Office %(code)s is inactive.") % {"code": destination.code}}
        )
    return Transfer.objects.create(
        number=document_number_next(prefix="TR", year=timezone.localdate().year),
        origin=origin,
        destination=destination,
        destination_zone=destination_zone,
        carrier=carrier.strip(),
        notes=notes.strip(),
        created_by=by,
    )


@transaction.atomic
def transfer_add_assets(
    *, transfer: Transfer, by: AbstractBaseUser | None, codes: Iterable[str] = (), asset_ids=()
) -> AddResult:
    """Put assets on a draft transfer, named by tag or serial (typed or scanned) or by id.

    Each wrong one is refused with its reason (unknown, on another open transfer, retired or
    lost, not at the origin); the others are added. A fixed number of queries.
    """
    transfer = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("origin")
        .get(pk=transfer.pk)
    )
    _open_check(transfer)
    result = AddResult()
    wanted: list[tuple[str, str, str]] = []  # (code as typed, tag form, serial form)
    seen: set[str] = set()
    for raw in codes:
        code = raw.strip()
        if not code or code.upper() in seen:
            continue
        seen.add(code.upper())
        wanted.append(
            (
                code,
                inventory_services.tag_normalise(code),
                inventory_services.serial_normalise(code),
            )
        )
    asset_ids = [int(pk) for pk in asset_ids]
    lookup = Q(pk__in=asset_ids)
    if wanted:
        lookup |= Q(tag__in=[w[1] for w in wanted]) | Q(serial__in=[w[2] for w in wanted])
    found = list(Asset.objects.filter(lookup).select_related("office").order_by("tag"))
    by_tag = {asset.tag: asset for asset in found}
    by_serial = {asset.serial: asset for asset in found}
    open_numbers = dict(
        TransferItem.objects.filter(asset__in=found, is_open=True).values_list(
            "asset_id", "transfer__number"
        )
    )
    chosen: dict[int, Asset] = {}
    for code, tag, serial in wanted:
        asset = by_tag.get(tag) or by_serial.get(serial)
        if asset is None:
            result.refused.append(
                Refusal(
                    code, _("No asset has the tag or serial number “%(code)s”.") % {"code": code}
                )
            )
            continue
        chosen.setdefault(asset.pk, asset)
    by_pk = {asset.pk: asset for asset in found}
    for pk in asset_ids:
        if pk in by_pk:
            chosen.setdefault(pk, by_pk[pk])
    for asset in chosen.values():
        refusal = transfer_asset_refusal(
            asset=asset,
            origin=transfer.origin,
            open_transfer_number=open_numbers.get(asset.pk),
            this_number=transfer.number,
        )
        if refusal:
            result.refused.append(Refusal(asset.tag, refusal))
        else:
            result.added.append(asset)
    if result.added:
        try:
            with transaction.atomic():
                TransferItem.objects.bulk_create(
                    [TransferItem(transfer=transfer, asset=asset) for asset in result.added]
                )
        except IntegrityError as exc:
            raise ValidationError(
                _("Another user put one of these assets on a transfer just now. Try again.")
            ) from exc
    return result


@transaction.atomic
def transfer_remove_assets(
    *, transfer: Transfer, by: AbstractBaseUser | None, asset_ids: Iterable[int]
) -> int:
    """Take assets off a draft transfer; return how many were removed."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    _open_check(transfer)
    deleted, _detail = TransferItem.objects.filter(
        transfer=transfer, asset_id__in=list(asset_ids)
    ).delete()
    return deleted


@transaction.atomic
def transfer_cancel(*, transfer: Transfer, by: AbstractBaseUser | None) -> Transfer:
    """Cancel a draft transfer: its assets are free to go on another one."""
    transfer = Transfer.objects.select_for_update().get(pk=transfer.pk)
    if transfer.status != TransferStatus.DRAFT:
        raise ValidationError(
            _("Only a draft transfer can be cancelled; %(number)s is “%(status)s”.")
            % {"number": transfer.number, "status": transfer.get_status_display()}
        )
    transfer.items.update(is_open=False)
    transfer.status = TransferStatus.CANCELLED
    transfer.save(update_fields=["status"])
    return transfer


@transaction.atomic
def transfer_dispatch(*, transfer: Transfer, by: AbstractBaseUser | None) -> Transfer:
    """Send a draft transfer: its assets leave the origin and become “in transit”.

    Every asset is checked again under lock (someone may have retired or moved one since it
    was added); one wrong asset stops the dispatch, naming it. A fixed number of queries.
    """
    transfer = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("origin", "destination")
        .get(pk=transfer.pk)
    )
    _open_check(transfer)
    assets = list(
        Asset.objects.select_for_update(of=("self",))
        .filter(transfer_items__transfer=transfer)
        .select_related("office")
        .order_by("tag")
    )
    if not assets:
        raise ValidationError(_("Add at least one asset before dispatching."))
    problems = [
        reason
        for asset in assets
        if (
            reason := transfer_asset_refusal(
                asset=asset, origin=transfer.origin, open_transfer_number=None, this_number=""
            )
        )
    ]
    if problems:
        raise ValidationError(problems)
    inventory_services.assets_move_bulk(
        assets=Asset.objects.filter(transfer_items__transfer=transfer),
        by=by,
        reason=_("Dispatched on transfer %(number)s from %(origin)s to %(destination)s")
        % {
            "number": transfer.number,
            "origin": transfer.origin.code,
            "destination": transfer.destination.code,
        },
        status=AssetStatus.IN_TRANSIT,
        office=transfer.origin,
        zone="",
    )
    transfer.status = TransferStatus.DISPATCHED
    transfer.dispatched_at = timezone.now()
    transfer.dispatched_by = by
    transfer.save(update_fields=["status", "dispatched_at", "dispatched_by"])
    return transfer


@dataclass(frozen=True)
class ItemCheck:
    """What the receiving person found for one asset: an ItemOutcome and a note."""

    outcome: str
    note: str = ""


@transaction.atomic
def transfer_receive(
    *,
    transfer: Transfer,
    by: AbstractBaseUser | None,
    checks: Mapping[int, ItemCheck],
) -> Transfer:
    """Record what arrived, keyed by asset id: received, damaged or missing, with a note.

    Arrived assets become “deployed” at the destination's zone; missing ones stay “in
    transit” and stay outstanding on the transfer until a later receipt. The transfer row is
    locked and every asset's line is checked under that lock, so two people receiving at once
    cannot move an asset twice: the second is refused, naming who received it first.
    """
    transfer = (
        Transfer.objects.select_for_update(of=("self",))
        .select_related("origin", "destination")
        .get(pk=transfer.pk)
    )
    if transfer.status not in (TransferStatus.DISPATCHED, TransferStatus.PARTLY_RECEIVED):
        raise ValidationError(
            _("Transfer %(number)s is “%(status)s”: there is nothing to receive.")
            % {"number": transfer.number, "status": transfer.get_status_display()}
        )
    if not checks:
        raise ValidationError(_("Tick at least one asset as received, damaged or missing."))
    items = {
        item.asset_id: item
        for item in TransferItem.objects.select_for_update(of=("self",))
        .filter(transfer=transfer)
        .select_related("asset", "received_by")
    }
    problems = []
    for asset_id, check in checks.items():
        item = items.get(asset_id)
        if item is None:
            problems.append(_("Asset #%(id)s is not on this transfer.") % {"id": asset_id})
        elif check.outcome not in (ItemOutcome.RECEIVED, ItemOutcome.DAMAGED, ItemOutcome.MISSING):
            problems.append(
                _("Say whether %(tag)s was received, damaged or missing.") % {"tag": item.asset.tag}
            )
        elif item.outcome in ARRIVED_OUTCOMES:
            who = item.received_by
            problems.append(
                _("%(tag)s was already received by %(who)s at %(when)s.")
                % {
                    "tag": item.asset.tag,
                    "who": (who.get_full_name() or who.get_username()) if who else _("system"),
                    "when": timezone.localtime(item.received_at).strftime("%d.%m.%Y %H:%M"),
                }
            )
        elif check.outcome == ItemOutcome.DAMAGED and not check.note.strip():
            problems.append(_("Say what is damaged on %(tag)s.") % {"tag": item.asset.tag})
    if problems:
        raise ValidationError(problems)

    now = timezone.now()
    by_outcome: dict[str, list[int]] = {}
    noted: list[TransferItem] = []
    for asset_id, check in checks.items():
        by_outcome.setdefault(check.outcome, []).append(items[asset_id].pk)
        if check.note.strip():
            item = items[asset_id]
            item.note = check.note.strip()[:255]
            noted.append(item)
    reasons = {
        ItemOutcome.RECEIVED: _("Received on transfer %(number)s at %(destination)s"),
        ItemOutcome.DAMAGED: _("Received damaged on transfer %(number)s at %(destination)s"),
    }
    for outcome, reason in reasons.items():
        if outcome in by_outcome:
            inventory_services.assets_move_bulk(
                assets=Asset.objects.filter(transfer_items__pk__in=by_outcome[outcome]),
                by=by,
                reason=reason
                % {"number": transfer.number, "destination": transfer.destination.code},
                status=AssetStatus.DEPLOYED,
                office=transfer.destination,
                zone=transfer.destination_zone,
            )
    for outcome, pks in by_outcome.items():
        TransferItem.objects.filter(pk__in=pks).update(
            outcome=outcome,
            is_open=outcome == ItemOutcome.MISSING,
            received_at=now,
            received_by=by,
        )
    if noted:
        TransferItem.objects.bulk_update(noted, ["note"])
    outstanding = TransferItem.objects.filter(transfer=transfer, is_open=True).exists()
    transfer.status = TransferStatus.PARTLY_RECEIVED if outstanding else TransferStatus.RECEIVED
    transfer.received_at = None if outstanding else now
    transfer.save(update_fields=["status", "received_at"])
    return transfer


# Handover acts ------------------------------------------------------------------------------


def donors_line(*, assets: Iterable[Asset], language: str) -> str:
    """Return the donors of the assets' handover sets, named in the act's language."""
    from django.utils import translation

    names: dict[str, str] = {}
    with translation.override(language):
        for asset in assets:
            if asset.handover_set is not None:
                for source in asset.handover_set.funding_sources.all():
                    names.setdefault(source.code, source.name)
    return ", ".join(names[code] for code in sorted(names))


@transaction.atomic
def handover_act_create(
    *,
    by: AbstractBaseUser | None,
    office: Office,
    assets: Iterable[Asset],
    language: str,
    act_date: dt.date,
    giver_name: str,
    giver_position: str,
    receiver_name: str,
    receiver_position: str,
    place: str = "",
    notes: str = "",
    transfer: Transfer | None = None,
    replaces: HandoverAct | None = None,
) -> HandoverAct:
    """Make a draft act listing ``assets`` (copied as they are now) for ``office``."""
    asset_list = list(assets)
    if not asset_list:
        raise ValidationError(_("An act must list at least one asset."))
    elsewhere = [asset.tag for asset in asset_list if asset.office_id != office.pk]
    if elsewhere:
        raise ValidationError(
            _("These assets are not at %(office)s: %(tags)s.")
            % {"office": office.code, "tags": ", ".join(sorted(elsewhere))}
        )
    for name, value in (
        ("giver_name", giver_name),
        ("giver_position", giver_position),
        ("receiver_name", receiver_name),
        ("receiver_position", receiver_position),
    ):
        if not value.strip():
            raise ValidationError({name: _("This field is required.")})
    act = HandoverAct(
        number=document_number_next(prefix="HA", year=act_date.year),
        office=office,
        transfer=transfer,
        replaces=replaces,
        language=language,
        act_date=act_date,
        place=place.strip(),
        giver_name=giver_name.strip(),
        giver_position=giver_position.strip(),
        receiver_name=receiver_name.strip(),
        receiver_position=receiver_position.strip(),
        donors=donors_line(assets=asset_list, language=language),
        notes=notes.strip(),
        created_by=by,
    )
    act.full_clean(exclude=["signed_scan"])
    act._history_user = by
    act._change_reason = (
        _("Correction of act %(number)s") % {"number": replaces.number}
        if replaces
        else _("Created")
    )
    act.save()
    HandoverActItem.objects.bulk_create(
        [
            HandoverActItem(
                act=act,
                asset=asset,
                tag=asset.tag,
                serial=asset.serial,
                model_name=str(asset.asset_model),
                category=asset.asset_model.category,
                value=asset.value or Decimal("0"),
            )
            for asset in asset_list
        ]
    )
    return act


def _act_assets(queryset) -> list[Asset]:
    return list(
        queryset.select_related(
            "asset_model__manufacturer", "asset_model__category", "handover_set"
        ).prefetch_related("handover_set__funding_sources")
    )


def handover_act_for_transfer(*, transfer: Transfer, by: AbstractBaseUser | None, **details):
    """Make a draft act for the assets a transfer delivered (received or damaged)."""
    transfer = Transfer.objects.select_related("destination").get(pk=transfer.pk)
    if transfer.status not in (TransferStatus.PARTLY_RECEIVED, TransferStatus.RECEIVED):
        raise ValidationError(
            _("Transfer %(number)s has not been received yet.") % {"number": transfer.number}
        )
    assets = _act_assets(selectors.transfer_assets_for_act(transfer=transfer).order_by("tag"))
    if not assets:
        existing = (
            HandoverAct.objects.filter(transfer=transfer)
            .exclude(status=ActStatus.SUPERSEDED)
            .values_list("number", flat=True)
        )
        raise ValidationError(
            _("Every device that arrived on %(number)s is already on act %(acts)s.")
            % {"number": transfer.number, "acts": ", ".join(existing) or "—"}
        )
    return handover_act_create(
        by=by, office=transfer.destination, assets=assets, transfer=transfer, **details
    )


def handover_act_for_office(
    *,
    office: Office,
    by: AbstractBaseUser | None,
    asset_ids: Iterable[int] | None = None,
    **details,
):
    """Make a draft act for an office's devices (all of them, or those chosen)."""
    queryset = Asset.objects.filter(
        office=office, status__in=list(inventory_services.STATUSES_AT_OFFICE)
    )
    if asset_ids is not None:
        queryset = queryset.filter(pk__in=list(asset_ids))
    return handover_act_create(
        by=by, office=office, assets=_act_assets(queryset.order_by("tag")), **details
    )


ACT_EDITABLE_FIELDS: tuple[str, ...] = (
    "language",
    "act_date",
    "place",
    "giver_name",
    "giver_position",
    "receiver_name",
    "receiver_position",
    "notes",
)


def handover_act_check_editable(*, act: HandoverAct) -> None:
    """Refuse, saying why, when the act is signed (or superseded) and so locked."""
    if act.is_locked:
        raise ValidationError(
            _(
                "Act %(number)s is signed and locked. To correct it, make a correction act "
                "that replaces it."
            )
            % {"number": act.number}
        )


@transaction.atomic
def handover_act_update(
    *,
    act: HandoverAct,
    by: AbstractBaseUser | None,
    remove_asset_ids: Iterable[int] = (),
    **changes: object,
) -> HandoverAct:
    """Change a draft act's text or drop assets from it; a signed act is refused."""
    unknown = set(changes) - set(ACT_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"handover_act_update cannot change {sorted(unknown)}")
    act = HandoverAct.objects.select_for_update().get(pk=act.pk)
    handover_act_check_editable(act=act)
    language_before = act.language
    for name, value in changes.items():
        setattr(act, name, value.strip() if isinstance(value, str) else value)
    if act.language != language_before:
        act.donors = donors_line(
            assets=_act_assets(Asset.objects.filter(act_items__act=act)), language=act.language
        )
    act.full_clean(exclude=["signed_scan"])
    remove = list(remove_asset_ids)
    if remove:
        if act.items.exclude(asset_id__in=remove).count() == 0:
            raise ValidationError(_("An act must list at least one asset."))
        act.items.filter(asset_id__in=remove).delete()
    act._history_user = by
    act._change_reason = _("Edited")
    act.save()
    return act


@dataclass(frozen=True)
class ScanKind:
    content_type: str
    extension: str


def scan_kind(*, head: bytes) -> ScanKind | None:
    """Return what a signed scan is from its first bytes (PDF, JPEG or PNG), or None."""
    if head.startswith(b"%PDF-"):
        return ScanKind("application/pdf", "pdf")
    if head.startswith(b"\xff\xd8\xff"):
        return ScanKind("image/jpeg", "jpg")
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ScanKind("image/png", "png")
    return None


def scan_check(*, upload, max_bytes: int) -> ScanKind:
    """Return the kind of an uploaded signed scan, or refuse it saying why.

    The content decides, not the name: the file must start as a PDF, JPEG or PNG does and
    open as one (a PDF is parsed, an image is decoded).
    """
    if upload.size == 0:
        raise ValidationError({"scan": _("The file is empty.")})
    if upload.size > max_bytes:
        raise ValidationError(
            {
                "scan": _("The file is %(size)s MB; the limit is %(limit)s MB.")
                % {
                    "size": f"{upload.size / 1048576:.1f}",
                    "limit": f"{max_bytes / 1048576:.0f}",
                }
            }
        )
    upload.seek(0)
    kind = scan_kind(head=upload.read(16))
    upload.seek(0)
    if kind is None:
        raise ValidationError(
            {
                "scan": _(
                    "“%(name)s” is not a PDF, JPEG or PNG file (whatever its name says). "
                    "Scan the signed act to one of these."
                )
                % {"name": upload.name}
            }
        )
    try:
        if kind.extension == "pdf":
            from pypdf import PdfReader

            pages = len(PdfReader(upload).pages)
            if pages == 0:
                raise ValueError("no pages")
        else:
            from PIL import Image

            with Image.open(upload) as image:
                image.verify()
    except Exception as exc:
        raise ValidationError(
            {
                "scan": _(
                    "“%(name)s” looks like a %(kind)s file but cannot be opened: it is damaged."
                )
                % {"name": upload.name, "kind": kind.extension.upper()}
            }
        ) from exc
    finally:
        upload.seek(0)
    return kind


@transaction.atomic
def handover_act_sign(*, act: HandoverAct, by: AbstractBaseUser | None, upload) -> HandoverAct:
    """Attach the signed paper scan: the act becomes signed and locked.

    When the act corrects an earlier one, that one becomes “superseded”.
    """
    act = HandoverAct.objects.select_for_update().get(pk=act.pk)
    handover_act_check_editable(act=act)
    kind = scan_check(upload=upload, max_bytes=settings.ACT_SCAN_MAX_MB * 1024 * 1024)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    act.signed_scan.save(f"{act.number}-signed.{kind.extension}", upload, save=False)
    act.signed_scan_type = kind.content_type
    act.signed_scan_sha256 = digest.hexdigest()
    act.signed_at = timezone.now()
    act.signed_by = by
    act.status = ActStatus.SIGNED
    act._history_user = by
    act._change_reason = _("Signed scan uploaded")
    act.save()
    if act.replaces_id:
        old = HandoverAct.objects.select_for_update().get(pk=act.replaces_id)
        old.status = ActStatus.SUPERSEDED
        old._history_user = by
        old._change_reason = _("Replaced by act %(number)s") % {"number": act.number}
        old.save()
    return act


@transaction.atomic
def handover_act_correct(*, act: HandoverAct, by: AbstractBaseUser | None) -> HandoverAct:
    """Start a correction of a signed act: a new draft with the same text and assets."""
    act = HandoverAct.objects.select_for_update().get(pk=act.pk)
    if act.status != ActStatus.SIGNED:
        raise ValidationError(
            _("Only a signed act can be corrected; edit the draft %(number)s instead.")
            % {"number": act.number}
            if act.status == ActStatus.DRAFT
            else _("Act %(number)s was already replaced by a correction.") % {"number": act.number}
        )
    if HandoverAct.objects.filter(replaces=act).exists():
        raise ValidationError(
            _("A correction of act %(number)s is already being prepared.") % {"number": act.number}
        )
    assets = _act_assets(
        Asset.objects.filter(act_items__act=act, office=act.office).order_by("tag")
    )
    return handover_act_create(
        by=by,
        office=act.office,
        assets=assets,
        transfer=act.transfer,
        replaces=act,
        language=act.language,
        act_date=timezone.localdate(),
        place=act.place,
        giver_name=act.giver_name,
        giver_position=act.giver_position,
        receiver_name=act.receiver_name,
        receiver_position=act.receiver_position,
        notes=act.notes,
    )


# Verification campaigns ---------------------------------------------------------------------
#
# An auditor draws a campaign (every asset in scope, or a stratified sample from a recorded
# seed), split by office into checklists. Each check on site is a new Verification, never an
# update. A device found at another office becomes a proposed move; only a logistics officer's
# confirmation changes the register (through inventory.services, with the reason).

# Most assets one campaign may draw: a census larger than this is several campaigns.
CAMPAIGN_SIZE_MAX = 200_000
VERIFICATION_PHOTO_MAX_MB_DEFAULT = 8


def _ids(items: Iterable) -> list[int]:
    return sorted({getattr(item, "pk", item) for item in items})


@transaction.atomic
def campaign_create(
    *,
    by: AbstractBaseUser | None,
    name: str,
    method: str,
    sample_size: int | None = None,
    seed: int | None = None,
    handover_sets: Iterable[HandoverSet] = (),
    regions: Iterable[Region] = (),
    categories: Iterable[Category] = (),
    notes: str = "",
) -> VerificationCampaign:
    """Draw a campaign: the assets to check in scope, split by office into checklists.

    The population is what ``selectors.campaign_population`` returns for the scope. A sample
    is drawn with ``sampling.sample_draw`` stratified by (region, category) from ``seed`` (a
    new one when none is given), so the same seed on the same register draws the same assets.
    A sample at least as large as the scope takes every asset (the campaign then records the
    sample size asked and the population, and the page says so). A fixed number of queries.
    """
    name = name.strip()
    if not name:
        raise ValidationError({"name": _("Give the campaign a name.")})
    if method not in CampaignMethod.values:
        raise ValidationError({"method": _("Choose every asset in scope or a random sample.")})
    if method == CampaignMethod.SAMPLE:
        if sample_size is None or sample_size < 1:
            raise ValidationError({"sample_size": _("A sample needs at least one asset.")})
        if seed is None:
            seed = sampling.seed_new()
        elif not 1 <= seed <= sampling.SEED_MAX:
            raise ValidationError(
                {
                    "seed": _("A seed is a whole number from 1 to %(max)s.")
                    % {"max": f"{sampling.SEED_MAX:,}"}
                }
            )
    else:
        sample_size, seed = None, None
    set_ids, region_ids, category_ids = _ids(handover_sets), _ids(regions), _ids(categories)
    population = selectors.campaign_population(
        handover_sets=set_ids, regions=region_ids, categories=category_ids
    )
    if not population:
        raise ValidationError(
            _(
                "No asset in this scope stands at an office (retired assets and those in "
                "transit are left out): there is nothing to check. Widen the scope."
            )
        )
    if method == CampaignMethod.SAMPLE:
        drawn = sampling.sample_draw(
            ((row.stratum, row.tag, row) for row in population), sample_size, seed
        )
    else:
        drawn = sorted(population, key=lambda row: (row.stratum, row.tag))
    if len(drawn) > CAMPAIGN_SIZE_MAX:
        raise ValidationError(
            _("This campaign would draw %(n)s assets; split it (at most %(max)s each).")
            % {"n": len(drawn), "max": CAMPAIGN_SIZE_MAX}
        )
    campaign = VerificationCampaign(
        number=document_number_next(prefix="VC", year=timezone.localdate().year),
        name=name,
        method=method,
        sample_size=sample_size,
        seed=seed,
        population_size=len(population),
        notes=notes.strip(),
        created_by=by,
    )
    campaign._history_user = by
    campaign._change_reason = _("Campaign drawn")
    campaign.save()
    if set_ids:
        campaign.handover_sets.set(set_ids)
    if region_ids:
        campaign.regions.set(region_ids)
    if category_ids:
        campaign.categories.set(category_ids)
    office_ids = sorted({row.office_id for row in drawn})
    bulk_create_with_history(
        [CampaignChecklist(campaign=campaign, office_id=office_id) for office_id in office_ids],
        CampaignChecklist,
        default_user=by,
        default_change_reason=_("Campaign drawn"),
    )
    checklist_ids = dict(
        CampaignChecklist.objects.filter(campaign=campaign).values_list("office_id", "pk")
    )
    CampaignAsset.objects.bulk_create(
        [
            CampaignAsset(
                campaign=campaign,
                checklist_id=checklist_ids[row.office_id],
                asset_id=row.asset_id,
                region_id=row.region_id,
                category_id=row.category_id,
            )
            for row in drawn
        ],
        batch_size=2000,
    )
    return campaign


@dataclass(frozen=True)
class RedrawCheck:
    """A sample drawn again from the campaign's seed against today's register."""

    matches: bool
    population_now: int
    population_then: int
    missing: list[str]  # tags drawn then but not now
    extra: list[str]  # tags drawn now but not then


def campaign_redraw_check(*, campaign: VerificationCampaign) -> RedrawCheck | None:
    """Redraw a sampled campaign from its seed and scope; say whether the sample matches.

    A difference is explained by changes to the register since the draw (assets registered,
    retired, moved or sent on a transfer). None for a full campaign. Four queries.
    """
    if campaign.method != CampaignMethod.SAMPLE:
        return None
    population = selectors.campaign_population(
        handover_sets=campaign.handover_sets.values_list("pk", flat=True),
        regions=campaign.regions.values_list("pk", flat=True),
        categories=campaign.categories.values_list("pk", flat=True),
    )
    now = {
        row.tag
        for row in sampling.sample_draw(
            ((row.stratum, row.tag, row) for row in population),
            campaign.sample_size or 0,
            campaign.seed or 0,
        )
    }
    then = set(campaign.items.values_list("asset__tag", flat=True))
    return RedrawCheck(
        matches=now == then,
        population_now=len(population),
        population_then=campaign.population_size,
        missing=sorted(then - now),
        extra=sorted(now - then),
    )


def _campaign_open_check(campaign: VerificationCampaign) -> None:
    if not campaign.is_open:
        raise ValidationError(
            _("Campaign %(number)s is closed: it takes no more verifications or changes.")
            % {"number": campaign.number}
        )


@transaction.atomic
def campaign_close(
    *, campaign: VerificationCampaign, by: AbstractBaseUser | None
) -> VerificationCampaign:
    """Close a campaign: its figures are final and it takes no more verifications."""
    campaign = VerificationCampaign.objects.select_for_update().get(pk=campaign.pk)
    _campaign_open_check(campaign)
    campaign.status = CampaignStatus.CLOSED
    campaign.closed_at = timezone.now()
    campaign.closed_by = by
    campaign._history_user = by
    campaign._change_reason = _("Campaign closed")
    campaign.save()
    return campaign


def user_display(user: AbstractBaseUser | None) -> str:
    """Return a user's full name, or their login when they have none."""
    if user is None:
        return _("system")
    return user.get_full_name() or user.get_username()


@transaction.atomic
def checklist_assign(
    *,
    checklist: CampaignChecklist,
    assignee: AbstractBaseUser | None,
    by: AbstractBaseUser | None,
) -> CampaignChecklist:
    """Assign a checklist to whoever goes to the office; None leaves it unassigned.

    The assignee must be an active user who may record verifications and whose scope covers
    the office: auditors anywhere, technicians in their regions.
    """
    checklist = (
        CampaignChecklist.objects.select_for_update(of=("self",))
        .select_related("campaign", "office")
        .get(pk=checklist.pk)
    )
    _campaign_open_check(checklist.campaign)
    if assignee is not None:
        who = user_display(assignee)
        if not assignee.is_active:
            raise ValidationError({"assignee": _("%(who)s's account is disabled.") % {"who": who}})
        if not assignee.has_perm("deployments.add_verification"):
            raise ValidationError(
                {"assignee": _("%(who)s may not record verifications.") % {"who": who}}
            )
        if not scope_offices(assignee, Office.objects.filter(pk=checklist.office_id)).exists():
            raise ValidationError(
                {
                    "assignee": _("Office %(office)s is outside %(who)s's regions.")
                    % {"office": checklist.office.code, "who": who}
                }
            )
    if checklist.assignee_id == (assignee.pk if assignee is not None else None):
        return checklist
    checklist.assignee = assignee
    checklist._history_user = by
    checklist._change_reason = (
        _("Assigned to %(who)s") % {"who": user_display(assignee)}
        if assignee is not None
        else _("Unassigned")
    )
    checklist.save()
    return checklist


@transaction.atomic
def verification_record(
    *,
    by: AbstractBaseUser | None,
    asset: Asset,
    outcome: str,
    campaign: VerificationCampaign | None = None,
    found_office: Office | None = None,
    serial_read: str = "",
    condition: str = "",
    zone: str = "",
    photo=None,
    note: str = "",
    propose_move: bool = True,
) -> Verification:
    """Record one check of one asset on site: a new record, never a change to an earlier one.

    Snapshots the register's office and serial; the serial read on the device is normalised
    and compared with it. A device found at another office, with ``propose_move``, becomes a
    proposed move for a logistics officer (unless one is already waiting for the asset). The
    register itself is not changed.
    """
    asset = Asset.objects.select_related("office").get(pk=asset.pk)
    if campaign is not None:
        campaign = VerificationCampaign.objects.select_for_update().get(pk=campaign.pk)
        _campaign_open_check(campaign)
        if not CampaignAsset.objects.filter(campaign=campaign, asset=asset).exists():
            raise ValidationError(
                _("%(tag)s was not drawn for campaign %(number)s.")
                % {"tag": asset.tag, "number": campaign.number}
            )
    if by is not None and not scope_assets(by, Asset.objects.filter(pk=asset.pk)).exists():
        raise ValidationError(
            _("%(tag)s is outside your regions: you cannot verify it.") % {"tag": asset.tag}
        )
    if outcome not in VerificationOutcome.values:
        raise ValidationError(
            {"outcome": _("Say whether the device was found, not found or found elsewhere.")}
        )
    serial_read = inventory_services.serial_normalise(serial_read)
    note = note.strip()
    errors: dict[str, str] = {}
    if outcome == VerificationOutcome.NOT_FOUND:
        if serial_read or condition or zone or found_office is not None:
            raise ValidationError(
                _(
                    "A device that was not found has no serial read, condition, zone or "
                    "office: clear them, or choose “Found”."
                )
            )
    else:
        if condition not in AssetCondition.values:
            errors["condition"] = _("Say whether the device works, is damaged or does not work.")
        if zone and zone not in Zone.values:
            errors["zone"] = _("Unknown zone “%(zone)s”.") % {"zone": zone}
    if outcome == VerificationOutcome.FOUND_ELSEWHERE:
        if found_office is None:
            errors["found_office"] = _("Say at which office the device was found.")
        elif found_office.pk == asset.office_id:
            errors["found_office"] = _(
                "%(office)s is where the register has it: choose “Found”."
            ) % {"office": found_office.code}
    elif outcome == VerificationOutcome.FOUND:
        found_office = None
    if errors:
        raise ValidationError(errors)
    extension = ""
    if photo:
        max_mb = getattr(settings, "VERIFICATION_PHOTO_MAX_MB", VERIFICATION_PHOTO_MAX_MB_DEFAULT)
        extension = inventory_services.photo_check(
            upload=photo, max_bytes=max_mb * 1024 * 1024, field="photo"
        )
    now = timezone.now()
    verification = Verification(
        asset=asset,
        campaign=campaign,
        outcome=outcome,
        register_office=asset.office,
        found_office=found_office,
        register_serial=asset.serial,
        serial_read=serial_read,
        serial_matches=(serial_read == asset.serial) if serial_read else None,
        condition=condition if outcome != VerificationOutcome.NOT_FOUND else "",
        zone=zone if outcome != VerificationOutcome.NOT_FOUND else "",
        note=note,
        verified_at=now,
        verified_by=by,
    )
    if photo:
        verification.photo.save(f"{asset.tag}-{now:%Y%m%d%H%M%S}.{extension}", photo, save=False)
    verification.save()
    if (
        outcome == VerificationOutcome.FOUND_ELSEWHERE
        and propose_move
        and not MoveProposal.objects.filter(
            asset=asset, status=MoveProposalStatus.PROPOSED
        ).exists()
    ):
        proposal = MoveProposal(
            verification=verification,
            asset=asset,
            from_office=asset.office,
            to_office=found_office,
            to_zone=zone,
            proposed_at=now,
            proposed_by=by,
        )
        proposal._history_user = by
        proposal._change_reason = _("Proposed by verification")
        proposal.save()
    return verification


def _proposal_locked(proposal: MoveProposal) -> MoveProposal:
    proposal = (
        MoveProposal.objects.select_for_update(of=("self",))
        .select_related("to_office", "from_office", "verification__campaign")
        .get(pk=proposal.pk)
    )
    if proposal.status != MoveProposalStatus.PROPOSED:
        raise ValidationError(
            _("This proposed move was already decided: “%(status)s”.")
            % {"status": proposal.get_status_display()}
        )
    return proposal


def _decide_check(by: AbstractBaseUser | None) -> None:
    if by is not None and not by.has_perm("deployments.decide_moveproposal"):
        raise ValidationError(_("Only a logistics officer can confirm or reject a proposed move."))


@transaction.atomic
def move_proposal_confirm(
    *, proposal: MoveProposal, by: AbstractBaseUser | None, note: str = ""
) -> MoveProposal:
    """Confirm a proposed move: the asset moves in the register to where it was found.

    Refused when the register has changed since the proposal (the asset is at another office
    now, or on an open transfer). The asset's history names the verification and who confirmed.
    """
    _decide_check(by)
    proposal = _proposal_locked(proposal)
    asset = (
        Asset.objects.select_for_update(of=("self",))
        .select_related("office")
        .get(pk=proposal.asset_id)
    )
    if asset.office_id != proposal.from_office_id:
        raise ValidationError(
            _(
                "The register has changed since the move was proposed: %(tag)s is now at "
                "%(now)s, not %(then)s. Reject this proposal, or verify the asset again."
            )
            % {
                "tag": asset.tag,
                "now": asset.office.code if asset.office_id else _("no office"),
                "then": proposal.from_office.code if proposal.from_office_id else _("no office"),
            }
        )
    if asset.status in (AssetStatus.IN_TRANSIT, AssetStatus.RETIRED):
        raise ValidationError(
            _("%(tag)s is “%(status)s” now and cannot be moved.")
            % {"tag": asset.tag, "status": asset.get_status_display()}
        )
    open_number = (
        TransferItem.objects.filter(asset=asset, is_open=True)
        .values_list("transfer__number", flat=True)
        .first()
    )
    if open_number:
        raise ValidationError(
            _("%(tag)s is on open transfer %(number)s: finish or cancel it first.")
            % {"tag": asset.tag, "number": open_number}
        )
    campaign = proposal.verification.campaign
    verification = proposal.verification
    reason = (
        _("Found at %(office)s by %(who)s on %(date)s (campaign %(number)s); move confirmed")
        % {
            "office": proposal.to_office.code,
            "who": user_display(verification.verified_by),
            "date": timezone.localtime(verification.verified_at).strftime("%d.%m.%Y"),
            "number": campaign.number,
        }
        if campaign is not None
        else _("Found at %(office)s by %(who)s on %(date)s; move confirmed")
        % {
            "office": proposal.to_office.code,
            "who": user_display(verification.verified_by),
            "date": timezone.localtime(verification.verified_at).strftime("%d.%m.%Y"),
        }
    )
    inventory_services.asset_update(
        asset=asset,
        by=by,
        reason=reason,
        office=proposal.to_office,
        zone=proposal.to_zone or asset.zone,
    )
    return _proposal_decide(proposal, by=by, status=MoveProposalStatus.CONFIRMED, note=note.strip())


@transaction.atomic
def move_proposal_reject(
    *, proposal: MoveProposal, by: AbstractBaseUser | None, note: str
) -> MoveProposal:
    """Reject a proposed move, saying why; the register is left as it is."""
    _decide_check(by)
    note = note.strip()
    if not note:
        raise ValidationError({"note": _("Say why the move is rejected.")})
    proposal = _proposal_locked(proposal)
    return _proposal_decide(proposal, by=by, status=MoveProposalStatus.REJECTED, note=note)


def _proposal_decide(
    proposal: MoveProposal, *, by: AbstractBaseUser | None, status: str, note: str
) -> MoveProposal:
    proposal.status = status
    proposal.decided_at = timezone.now()
    proposal.decided_by = by
    proposal.decision_note = note[:255]
    proposal._history_user = by
    proposal._change_reason = str(MoveProposalStatus(status).label)
    proposal.save()
    return proposal
