"""Every write of monitoring: credential profiles, monitored devices, poll outcomes, retention.

A poll round is read by ``monitoring.poller`` (no ORM inside its event loop): the targets are
loaded here before the round (``monitored_device_targets``), and its results saved here after
it (``monitoring_results_save``) in bulk, a fixed number of queries per chunk of devices.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections import Counter
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.debug import sensitive_variables

from inventory import services as inventory_services
from inventory.choices import AssetStatus, Role
from inventory.models import Asset, CRService, UserScope
from inventory.services import network_address_normalise
from monitoring import alert_rules, forecast, poller, rules, selectors
from monitoring.choices import (
    AuthProtocol,
    DeviceKind,
    FaultCategory,
    Health,
    PrivProtocol,
    RepairStatus,
    SnmpVersion,
)
from monitoring.models import (
    FACTS_FIELDS,
    HEALTH_FIELDS,
    RETRIES_MAX,
    TIMEOUT_MAX_S,
    TIMEOUT_MIN_S,
    Alert,
    AlertNotification,
    MonitoredDevice,
    PollOutcome,
    ReadinessPeriod,
    ReadinessRun,
    RepairTicket,
    SnmpProfile,
    SupplyForecast,
    WorkEntry,
)
from monitoring.poller import PollResult
from monitoring.secrets import SecretUnreadable, secret_decrypt, secret_encrypt
from monitoring.snmp.client import SnmpTarget

logger = logging.getLogger(__name__)

# Results saved per chunk: each chunk costs the same few queries (see monitoring_results_save).
SAVE_CHUNK = 500
# SNMPv3 keys shorter than this are refused by agents (RFC 3414 asks for at least 8).
V3_KEY_MIN_LENGTH = 8
# Statuses in which an asset cannot be monitored at all.
UNPOLLED_STATUSES = frozenset({AssetStatus.RETIRED, AssetStatus.LOST})
# Statuses whose devices the rounds poll: in place, connected (or being repaired there). A
# device in stock or on its way would only be reported down; "Poll now" still reaches it.
ROUND_STATUSES = frozenset({AssetStatus.DEPLOYED, AssetStatus.IN_REPAIR})


PollFunction = Callable[..., list[PollResult]]


# --- SNMP profiles ---------------------------------------------------------------------------


@sensitive_variables()
def snmp_profile_fill(
    *,
    profile: SnmpProfile,
    name: str,
    version: str,
    community: str | None = None,
    v3_user: str = "",
    auth_proto: str = "",
    auth_key: str | None = None,
    priv_proto: str = "",
    priv_key: str | None = None,
    context: str = "",
    notes: str = "",
) -> SnmpProfile:
    """Check a profile's values and put them on ``profile`` (not saved), secrets encrypted.

    A secret given as None or "" keeps the one stored. Secrets the version does not use are
    cleared (a v3 profile keeps no community, a v2c one no keys). Raise ValidationError naming
    the field and saying what is wrong.
    """
    name = (name or "").strip()
    v3_user = (v3_user or "").strip()
    context = (context or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = _("Give the profile a name.")
    elif SnmpProfile.objects.filter(name__iexact=name).exclude(pk=profile.pk).exists():
        errors["name"] = _("A profile named “%(name)s” exists already.") % {"name": name}
    if version not in SnmpVersion.values:
        errors["version"] = _("“%(value)s” is not an SNMP version this poller speaks.") % {
            "value": version
        }
    auth_proto = auth_proto or ""
    priv_proto = priv_proto or ""
    if auth_proto not in AuthProtocol.values:
        errors["auth_proto"] = _("“%(value)s” is not an authentication protocol.") % {
            "value": auth_proto
        }
    if priv_proto not in PrivProtocol.values:
        errors["priv_proto"] = _("“%(value)s” is not a privacy protocol.") % {"value": priv_proto}
    if version in (SnmpVersion.V1, SnmpVersion.V2C):
        if not community and not profile.community_encrypted:
            errors["community"] = _("SNMP v1 and v2c need a community.")
        elif community and len(community) > 255:
            errors["community"] = _("A community has at most 255 characters.")
    elif version == SnmpVersion.V3:
        has_auth_key = bool(auth_key) or (
            bool(profile.auth_key_encrypted) and profile.auth_proto == auth_proto
        )
        has_priv_key = bool(priv_key) or (
            bool(profile.priv_key_encrypted) and profile.priv_proto == priv_proto
        )
        if not v3_user:
            errors["v3_user"] = _("SNMP v3 needs a user name.")
        if priv_proto and not auth_proto and "priv_proto" not in errors:
            errors["priv_proto"] = _(
                "Privacy needs authentication: choose an authentication protocol too."
            )
        if auth_proto and not has_auth_key:
            errors["auth_key"] = _("Give the authentication key.")
        elif auth_key and len(auth_key) < V3_KEY_MIN_LENGTH:
            errors["auth_key"] = _("SNMP v3 keys have at least %(n)s characters.") % {
                "n": V3_KEY_MIN_LENGTH
            }
        if priv_proto and not has_priv_key and "priv_proto" not in errors:
            errors["priv_key"] = _("Give the privacy key.")
        elif priv_key and len(priv_key) < V3_KEY_MIN_LENGTH:
            errors["priv_key"] = _("SNMP v3 keys have at least %(n)s characters.") % {
                "n": V3_KEY_MIN_LENGTH
            }
    if errors:
        raise ValidationError(errors)

    secrets_changed = False

    @sensitive_variables()
    def put(attribute: str, value: str | None, keep: bool) -> None:
        nonlocal secrets_changed
        if not keep:
            new = ""
        elif value:
            new = secret_encrypt(value)
        else:
            return
        if new != getattr(profile, attribute):
            setattr(profile, attribute, new)
            secrets_changed = True

    is_v3 = version == SnmpVersion.V3
    put("community_encrypted", community, keep=not is_v3)
    put("auth_key_encrypted", auth_key, keep=is_v3 and bool(auth_proto))
    put("priv_key_encrypted", priv_key, keep=is_v3 and bool(priv_proto))
    profile.name = name
    profile.version = version
    profile.v3_user = v3_user if is_v3 else ""
    profile.auth_proto = auth_proto if is_v3 else ""
    profile.priv_proto = priv_proto if is_v3 else ""
    profile.context = context if is_v3 else ""
    profile.notes = notes or ""
    if secrets_changed:
        profile.secrets_changed_at = timezone.now()
    return profile


def _save_with_history(instance, *, by: AbstractBaseUser | None, reason: str) -> None:
    instance._history_user = by
    instance._change_reason = reason
    instance.save()


@sensitive_variables()
def snmp_profile_create(*, by: AbstractBaseUser | None, **values) -> SnmpProfile:
    """Create a credentials profile (see snmp_profile_fill for the values and the rules)."""
    profile = snmp_profile_fill(profile=SnmpProfile(), **values)
    try:
        with transaction.atomic():
            _save_with_history(profile, by=by, reason=_("Profile created"))
    except IntegrityError as exc:  # the same name saved meanwhile
        raise ValidationError(
            {"name": _("A profile named “%(name)s” exists already.") % {"name": profile.name}}
        ) from exc
    return profile


@sensitive_variables()
def snmp_profile_update(
    *, profile: SnmpProfile, by: AbstractBaseUser | None, reason: str = "", **values
) -> SnmpProfile:
    """Change a profile; a secret left empty keeps the stored one."""
    current = {
        "name": profile.name,
        "version": profile.version,
        "v3_user": profile.v3_user,
        "auth_proto": profile.auth_proto,
        "priv_proto": profile.priv_proto,
        "context": profile.context,
        "notes": profile.notes,
    }
    snmp_profile_fill(profile=profile, **{**current, **values})
    _save_with_history(profile, by=by, reason=reason or _("Profile changed"))
    return profile


# --- Monitored devices -----------------------------------------------------------------------


def _device_values_check(
    *, address: str, port: int, timeout_s: float, retries: int
) -> tuple[str, dict[str, str]]:
    """Return the normalised address and the errors of a device's connection values."""
    errors: dict[str, str] = {}
    try:
        address = network_address_normalise(address)
    except ValidationError as error:
        errors["address"] = error.message_dict["network_address"][0]
    if not address and "address" not in errors:
        errors["address"] = _(
            "Give the device's IP address or host name: the register has no network address "
            "for this asset."
        )
    if not isinstance(port, int) or not 1 <= port <= 65535:
        errors["port"] = _("A UDP port is a number from 1 to 65535.")
    if timeout_s is None or not TIMEOUT_MIN_S <= timeout_s <= TIMEOUT_MAX_S:
        errors["timeout_s"] = _("The timeout is from %(min)s to %(max)s seconds.") % {
            "min": TIMEOUT_MIN_S,
            "max": TIMEOUT_MAX_S,
        }
    if retries is None or not 0 <= retries <= RETRIES_MAX:
        errors["retries"] = _("Retries are from 0 to %(max)s.") % {"max": RETRIES_MAX}
    return address, errors


def monitored_device_add(
    *,
    by: AbstractBaseUser | None,
    asset: Asset,
    profile: SnmpProfile,
    address: str = "",
    port: int = 161,
    enabled: bool = True,
    timeout_s: float = 2.0,
    retries: int = 1,
) -> MonitoredDevice:
    """Start monitoring an asset. The address defaults to the asset's network address."""
    errors: dict[str, str] = {}
    category = asset.asset_model.category
    if MonitoredDevice.objects.filter(asset=asset).exists():
        errors["asset"] = _("%(tag)s is monitored already.") % {"tag": asset.tag}
    elif not category.is_monitored:
        errors["asset"] = _("%(tag)s is a %(category)s: such devices are not polled over SNMP.") % {
            "tag": asset.tag,
            "category": category.name,
        }
    elif asset.status in UNPOLLED_STATUSES:
        errors["asset"] = _("%(tag)s is “%(status)s”: it cannot be monitored.") % {
            "tag": asset.tag,
            "status": asset.get_status_display(),
        }
    address, value_errors = _device_values_check(
        address=(address or "").strip() or asset.network_address,
        port=port,
        timeout_s=timeout_s,
        retries=retries,
    )
    errors.update(value_errors)
    if errors:
        raise ValidationError(errors)
    device = MonitoredDevice(
        asset=asset,
        profile=profile,
        address=address,
        port=port,
        enabled=enabled,
        timeout_s=timeout_s,
        retries=retries,
        # Until the device says what it is, its register category tells.
        kind=category.code if category.code in DeviceKind.values else DeviceKind.OTHER,
    )
    try:
        with transaction.atomic():
            _save_with_history(device, by=by, reason=_("Monitoring started"))
    except IntegrityError as exc:  # another user attached it between the check and the insert
        raise ValidationError(
            {"asset": _("%(tag)s is monitored already.") % {"tag": asset.tag}}
        ) from exc
    return device


# Fields a person may change on a monitored device.
DEVICE_EDITABLE_FIELDS = ("address", "port", "profile", "enabled", "timeout_s", "retries")


def monitored_device_update(
    *, device: MonitoredDevice, by: AbstractBaseUser | None, reason: str = "", **changes
) -> MonitoredDevice:
    """Change where and how a device is polled (``DEVICE_EDITABLE_FIELDS``)."""
    unknown = set(changes) - set(DEVICE_EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Not editable: {', '.join(sorted(unknown))}")
    values = {name: changes.get(name, getattr(device, name)) for name in DEVICE_EDITABLE_FIELDS}
    address, errors = _device_values_check(
        address=(values["address"] or "").strip(),
        port=values["port"],
        timeout_s=values["timeout_s"],
        retries=values["retries"],
    )
    if values["enabled"] and device.asset.status in UNPOLLED_STATUSES:
        errors["enabled"] = _("%(tag)s is “%(status)s”: it cannot be polled.") % {
            "tag": device.asset.tag,
            "status": device.asset.get_status_display(),
        }
    if errors:
        raise ValidationError(errors)
    values["address"] = address
    connection_changed = any(
        values[name] != getattr(device, name) for name in ("address", "port", "profile")
    )
    for name, value in values.items():
        setattr(device, name, value)
    if connection_changed:
        # What was seen at the old address or with the old credentials says nothing now.
        device.health = Health.UNKNOWN
        device.health_since = None
    _save_with_history(device, by=by, reason=reason or _("Monitoring settings changed"))
    return device


# --- Targets of a round ----------------------------------------------------------------------


@dataclass(frozen=True)
class Targets:
    """The targets of a round, and the devices left out because their secrets are unreadable."""

    targets: list[SnmpTarget]
    unreadable: list[int] = field(default_factory=list)


@sensitive_variables()  # every local may hold a decrypted secret
def monitored_device_targets(*, device_ids: Iterable[int] | None = None) -> Targets:
    """Return the enabled devices of assets in place (or those named) as targets, decrypted.

    Each profile's secrets are decrypted once. A device whose profile's secrets cannot be
    decrypted (the key changed) is left out and named in ``unreadable``; the log says which
    profile, never a secret.
    """
    devices = MonitoredDevice.objects.select_related("profile").order_by("pk")
    if device_ids is None:
        devices = devices.filter(enabled=True, asset__status__in=ROUND_STATUSES)
    else:
        devices = devices.filter(pk__in=list(device_ids))
    secrets: dict[int, tuple[str, str, str] | None] = {}
    targets: list[SnmpTarget] = []
    unreadable: list[int] = []
    for device in devices:
        profile = device.profile
        if profile.pk not in secrets:
            try:
                secrets[profile.pk] = (
                    secret_decrypt(profile.community_encrypted),
                    secret_decrypt(profile.auth_key_encrypted),
                    secret_decrypt(profile.priv_key_encrypted),
                )
            except SecretUnreadable:
                secrets[profile.pk] = None
                logger.error(
                    "SNMP profile %r (id %s): its secrets cannot be decrypted with the "
                    "configured key; its devices are not polled until they are entered again.",
                    profile.name,
                    profile.pk,
                )
        decrypted = secrets[profile.pk]
        if decrypted is None:
            unreadable.append(device.pk)
            continue
        community, auth_key, priv_key = decrypted
        targets.append(
            SnmpTarget(
                host=device.address,
                port=device.port,
                version=profile.version,
                community=community,
                v3_user=profile.v3_user,
                auth_proto=profile.auth_proto,
                auth_key=auth_key,
                priv_proto=profile.priv_proto,
                priv_key=priv_key,
                context=profile.context,
                timeout=device.timeout_s,
                retries=device.retries,
                key=device.pk,
            )
        )
    return Targets(targets=targets, unreadable=unreadable)


# --- Saving a round's results ----------------------------------------------------------------


@dataclass(frozen=True)
class SaveSummary:
    """What saving a round's results did."""

    results: int = 0  # results given
    saved: int = 0  # devices whose row was updated
    stored: int = 0  # outcomes stored in the history
    overloaded: int = 0  # results the poller could not send in time
    missing: int = 0  # results of devices deleted meanwhile
    health_changed: int = 0
    health: dict[str, int] = field(default_factory=dict)  # devices per health after the save
    # Offices of the devices whose health changed: their readiness is recomputed.
    offices_changed: frozenset[int] = frozenset()

    def __add__(self, other: SaveSummary) -> SaveSummary:
        return SaveSummary(
            results=self.results + other.results,
            saved=self.saved + other.saved,
            stored=self.stored + other.stored,
            overloaded=self.overloaded + other.overloaded,
            missing=self.missing + other.missing,
            health_changed=self.health_changed + other.health_changed,
            health=dict(Counter(self.health) + Counter(other.health)),
            offices_changed=self.offices_changed | other.offices_changed,
        )


def _text(value: str | None, limit: int) -> str:
    """Return text fit for a column: NULs dropped, cut to ``limit`` characters."""
    return (value or "").replace("\x00", "")[:limit]


def _outcome(
    result: PollResult, *, device_id: int, health: str, by: AbstractBaseUser | None
) -> PollOutcome:
    facts = result.facts if result.reachable else None
    printer = facts.printer if facts else None
    return PollOutcome(
        device_id=device_id,
        polled_at=result.polled_at,
        polled_by=by,
        reachable=result.reachable,
        error=_text(result.error, 255),
        overloaded=result.overloaded,
        health=health,
        response_ms=result.response_ms,
        uptime_seconds=facts.uptime_seconds if facts else None,
        device_status=_text(printer.device_status if printer else "", 20),
        printer_status=_text(printer.printer_status if printer else "", 20),
        errors=list(printer.errors) if printer else [],
        page_count=printer.page_count if printer else None,
        supplies=rules.to_json(printer.supplies) if printer else [],
        ups=rules.to_json(facts.ups) if facts else None,
        interfaces=rules.to_json(facts.interfaces) if facts else None,
        serial_seen=_text(facts.serial if facts else "", 255),
        fingerprint=rules.outcome_fingerprint(result),
    )


def _device_facts_apply(device: MonitoredDevice, result: PollResult) -> None:
    """Put what an answering device told on its row."""
    facts = result.facts
    device.last_reachable_at = result.polled_at
    if facts is None:
        return
    printer = facts.printer
    device.kind = facts.kind if facts.kind in DeviceKind.values else DeviceKind.OTHER
    device.sys_name = _text(facts.sys_name, 255)
    device.sys_descr = _text(facts.sys_descr, 4000)
    device.uptime_seconds = facts.uptime_seconds
    device.serial_seen = _text(facts.serial, 255)
    device.serial_mismatch = rules.serial_differs(seen=facts.serial, registered=device.asset.serial)
    device.page_count = printer.page_count if printer else None
    device.device_status = _text(printer.device_status if printer else "", 20)
    device.printer_status = _text(printer.printer_status if printer else "", 20)
    device.errors = list(printer.errors) if printer else []
    device.supplies = rules.to_json(printer.supplies) if printer else []
    device.lowest_supply_percent = (
        rules.lowest_supply_percent(printer.supplies) if printer else None
    )
    device.ups = rules.to_json(facts.ups)
    device.interfaces = rules.to_json(facts.interfaces)


def _results_save_chunk(
    results: Sequence[PollResult],
    *,
    by: AbstractBaseUser | None,
    force_store: bool,
    sample_hours: float,
    sync_alerts: bool = False,
) -> SaveSummary:
    latest = PollOutcome.objects.filter(device_id=OuterRef("pk")).order_by("-polled_at")
    devices = {
        device.pk: device
        for device in MonitoredDevice.objects.filter(pk__in={result.key for result in results})
        .select_related("asset")
        .annotate(
            stored_at=Subquery(latest.values("polled_at")[:1]),
            stored_fingerprint=Subquery(latest.values("fingerprint")[:1]),
        )
    }
    outcomes: list[PollOutcome] = []
    previous_pages: dict[int, int | None] = {}
    polled: dict[int, MonitoredDevice] = {}
    answered: dict[int, MonitoredDevice] = {}
    missing = overloaded = changed = 0
    offices_changed: set[int] = set()
    for result in sorted(results, key=lambda r: r.polled_at):
        device = devices.get(result.key)
        if device is None:
            missing += 1
            continue
        previous = rules.HealthState(health=device.health, since=device.health_since)
        state = rules.health_next(result=result, previous=previous)
        fingerprint = rules.outcome_fingerprint(result)
        if force_store or rules.outcome_store_due(
            fingerprint=fingerprint,
            stored_fingerprint=device.stored_fingerprint,
            stored_at=device.stored_at,
            polled_at=result.polled_at,
            sample_hours=sample_hours,
        ):
            outcomes.append(_outcome(result, device_id=device.pk, health=state.health, by=by))
            device.stored_at, device.stored_fingerprint = result.polled_at, fingerprint
        if result.overloaded:
            overloaded += 1
            continue
        if state.health != previous.health:
            changed += 1
            if device.asset.office_id is not None:
                offices_changed.add(device.asset.office_id)
        device.health, device.health_since = state.health, state.since
        device.last_polled_at = result.polled_at
        device.last_error = _text(result.error, 255)
        device.response_ms = result.response_ms
        polled[device.pk] = device
        if result.reachable:
            previous_pages.setdefault(device.pk, device.page_count)  # for alerts_sync
            _device_facts_apply(device, result)
            answered[device.pk] = device
    with transaction.atomic():
        if outcomes:
            PollOutcome.objects.bulk_create(outcomes)
        if polled:
            MonitoredDevice.objects.bulk_update(list(polled.values()), HEALTH_FIELDS)
        if answered:
            MonitoredDevice.objects.bulk_update(list(answered.values()), FACTS_FIELDS)
    if sync_alerts and polled:
        alerts_sync(devices=list(polled.values()), previous_page_counts=previous_pages)
    with_supplies = {outcome.device_id for outcome in outcomes if outcome.supplies}
    if with_supplies:
        try:
            supply_forecasts_refresh(device_ids=with_supplies)
        except Exception:  # a forecast never stops a round: the next stored outcome retries
            logger.exception("Supply forecasts of %d devices failed", len(with_supplies))
    return SaveSummary(
        results=len(results),
        saved=len(polled),
        stored=len(outcomes),
        overloaded=overloaded,
        missing=missing,
        health_changed=changed,
        health=dict(Counter(device.health for device in devices.values())),
        offices_changed=frozenset(offices_changed),
    )


def monitoring_results_save(
    *,
    results: Sequence[PollResult],
    by: AbstractBaseUser | None = None,
    force_store: bool = False,
    sync_alerts: bool = False,
) -> SaveSummary:
    """Save a round's results: each device's health and latest facts, and the outcomes due.

    Per chunk of up to SAVE_CHUNK results: one query reads the devices (with their last stored
    outcome's time and fingerprint), one stores the outcomes due, and two update the devices.
    An outcome is stored when something changed since the device's last stored one, or when
    that one is older than MONITOR_SAMPLE_HOURS (``force_store``: always, as for "Poll now").
    ``sync_alerts``: then bring the polled devices' alerts up to date (``alerts_sync``, a fixed
    number of queries more per chunk).
    """
    sample_hours = float(getattr(settings, "MONITOR_SAMPLE_HOURS", 6))
    summary = SaveSummary()
    for start in range(0, len(results), SAVE_CHUNK):
        summary += _results_save_chunk(
            results[start : start + SAVE_CHUNK],
            by=by,
            force_store=force_store,
            sample_hours=sample_hours,
            sync_alerts=sync_alerts,
        )
    return summary


def _poll(targets: list[SnmpTarget], *, window: int | None, poll: PollFunction | None):
    """Poll ``targets`` with ``poll``, by default ``monitoring.poller.poll_round``."""
    function = poll or poller.poll_round  # looked up now, so tests can replace it
    if window is None:
        return function(targets)
    return function(targets, window=window)


@dataclass(frozen=True)
class PollNowResult:
    result: PollResult
    device: MonitoredDevice
    summary: SaveSummary


def monitored_device_poll_now(
    *, device: MonitoredDevice, by: AbstractBaseUser | None, poll: PollFunction | None = None
) -> PollNowResult:
    """Poll one device on the spot, save what it found (always stored, with who asked)."""
    loaded = monitored_device_targets(device_ids=[device.pk])
    if not loaded.targets:
        raise ValidationError(
            _(
                "The SNMP profile's secrets of %(tag)s cannot be decrypted with the configured "
                "key. Enter its community or keys again."
            )
            % {"tag": device.asset.tag}
        )
    results = [r for r in _poll(loaded.targets, window=None, poll=poll) if r.key == device.pk]
    if not results:
        raise ValidationError(
            _("The poller returned no result for %(tag)s.") % {"tag": device.asset.tag}
        )
    summary = monitoring_results_save(results=results, by=by, force_store=True, sync_alerts=True)
    device.refresh_from_db()
    return PollNowResult(result=results[0], device=device, summary=summary)


@dataclass(frozen=True)
class RoundSummary:
    """One round of the monitor command: how many devices, what they are now, how long."""

    devices: int
    unreadable: int
    duration_s: float
    poll_s: float
    save: SaveSummary


def monitoring_round_run(
    *, poll: PollFunction | None = None, window: int | None = None
) -> RoundSummary:
    """Run one round: load the targets, poll them (no ORM meanwhile), save the results."""
    started = time.monotonic()
    loaded = monitored_device_targets()
    poll_started = time.monotonic()
    results = _poll(loaded.targets, window=window, poll=poll) if loaded.targets else []
    poll_s = time.monotonic() - poll_started
    summary = monitoring_results_save(results=results, sync_alerts=True)
    alerts_notify()
    try:
        readiness_after_round(offices_changed=summary.offices_changed)
    except Exception:  # readiness never stops the poller: the next round recomputes it
        logger.exception("Recomputing service readiness failed")
    return RoundSummary(
        devices=len(loaded.targets),
        unreadable=len(loaded.unreadable),
        duration_s=time.monotonic() - started,
        poll_s=poll_s,
        save=summary,
    )


# --- Retention -------------------------------------------------------------------------------


def monitoring_outcomes_prune(*, keep_days: int, now: dt.datetime | None = None) -> int:
    """Delete the outcomes older than ``keep_days`` days, in one statement; return how many."""
    if keep_days < 1:
        raise ValidationError(
            _("Poll history is kept at least one day (MONITOR_KEEP_DAYS is %(days)s).")
            % {"days": keep_days}
        )
    cutoff = (now or timezone.now()) - dt.timedelta(days=keep_days)
    deleted, _by_model = PollOutcome.objects.filter(polled_at__lt=cutoff).delete()
    return deleted


# =================================================================================================
# Repairs (issue 6): tickets and their work entries. A ticket moves its asset in and out of
# "in repair"; resolving it closes the alert that opened it.
# =================================================================================================


# The steps a ticket may take; a work entry without a step keeps the status.
REPAIR_STEPS: dict[str, frozenset[str]] = {
    RepairStatus.OPEN: frozenset(
        {
            RepairStatus.IN_PROGRESS,
            RepairStatus.WAITING_PARTS,
            RepairStatus.RESOLVED,
            RepairStatus.BEYOND_REPAIR,
        }
    ),
    RepairStatus.IN_PROGRESS: frozenset(
        {RepairStatus.WAITING_PARTS, RepairStatus.RESOLVED, RepairStatus.BEYOND_REPAIR}
    ),
    RepairStatus.WAITING_PARTS: frozenset(
        {RepairStatus.IN_PROGRESS, RepairStatus.RESOLVED, RepairStatus.BEYOND_REPAIR}
    ),
    RepairStatus.RESOLVED: frozenset(),
    RepairStatus.BEYOND_REPAIR: frozenset(),
}
# Asset statuses a ticket cannot be opened for.
REPAIR_REFUSED_ASSET_STATUSES = frozenset({AssetStatus.RETIRED, AssetStatus.LOST})
# Most minutes one work entry may claim (a week of full days is a typing slip).
WORK_MINUTES_MAX = 24 * 60
REPAIR_PHOTO_MAX_MB_DEFAULT = 8


def repair_status_label(status: str) -> str:
    return str(RepairStatus(status).label) if status in RepairStatus.values else status


def repair_next_statuses(status: str) -> list[str]:
    """Return the statuses a ticket in ``status`` may step to, in workflow order."""
    allowed = REPAIR_STEPS.get(status, frozenset())
    return [value for value in RepairStatus.values if value in allowed]


def repair_step_check(*, from_status: str, to_status: str) -> None:
    """Refuse a step the workflow does not allow, naming both states."""
    if to_status not in RepairStatus.values:
        raise ValidationError(
            {"to_status": _("“%(status)s” is not a ticket status.") % {"status": to_status}}
        )
    if to_status not in REPAIR_STEPS.get(from_status, frozenset()):
        raise ValidationError(
            {
                "to_status": _("A repair ticket cannot go from “%(from)s” to “%(to)s”.")
                % {"from": repair_status_label(from_status), "to": repair_status_label(to_status)}
            }
        )


REPAIR_PHOTO_EXTENSIONS = inventory_services.PHOTO_EXTENSIONS


def repair_photo_check(*, upload, max_bytes: int) -> str:
    """Refuse a photo that is empty, too large, or not an image Pillow can open.

    The content decides, not the name or the browser's content type. Return its extension.
    (The check itself is the register's, shared with verifications.)
    """
    return inventory_services.photo_check(upload=upload, max_bytes=max_bytes, field="photo")


def _ticket_save(ticket: RepairTicket, *, by: AbstractBaseUser | None, reason: str) -> None:
    ticket._history_user = by
    ticket._change_reason = reason
    ticket.save()


def repair_ticket_number_next(*, year: int) -> str:
    """Return the next ticket number of a year, e.g. RT-2026-0042 (numbers never reused)."""
    from django.db.models.functions import Length

    prefix = f"RT-{year}-"
    last = (
        RepairTicket.objects.filter(number__startswith=prefix)
        .annotate(width=Length("number"))
        .order_by("-width", "-number")
        .values_list("number", flat=True)
        .first()
    )
    return f"{prefix}{int(last.rsplit('-', 1)[1]) + 1 if last else 1:04d}"


def _ticket_save_numbered(ticket: RepairTicket, *, by: AbstractBaseUser | None, year: int) -> None:
    """Save a new ticket under the next free number; a number taken meanwhile is skipped."""
    from django.db import IntegrityError

    for _attempt in range(5):
        ticket.number = repair_ticket_number_next(year=year)
        try:
            with transaction.atomic():
                _ticket_save(ticket, by=by, reason=_("Opened"))
            return
        except IntegrityError:
            if RepairTicket.objects.filter(number=ticket.number).exists():
                continue
            raise
    raise ValidationError(_("Another ticket took the same number just now. Try again."))


def _stopped_by_other_ticket(ticket: RepairTicket) -> bool:
    return (
        RepairTicket.objects.filter(asset_id=ticket.asset_id, stops_work=True)
        .exclude(pk=ticket.pk)
        .exclude(status__in=(RepairStatus.RESOLVED, RepairStatus.BEYOND_REPAIR))
        .exists()
    )


@transaction.atomic
def repair_ticket_open(
    *,
    asset: Asset,
    by: AbstractBaseUser | None,
    fault: str,
    description: str = "",
    reported_by: str = "",
    assignee: AbstractBaseUser | None = None,
    stops_work: bool = True,
    alert: Alert | None = None,
    warranty_claim: bool = False,
    supplier_reference: str = "",
    reported_at: dt.datetime | None = None,
) -> RepairTicket:
    """Open a repair ticket; a deployed asset that cannot be used goes to “in repair”."""
    if fault not in FaultCategory.values:
        raise ValidationError({"fault": _("Choose what kind of fault it is.")})
    asset = Asset.objects.select_for_update().get(pk=asset.pk)
    if asset.status in REPAIR_REFUSED_ASSET_STATUSES:
        raise ValidationError(
            {
                "asset": _("%(tag)s is “%(status)s”: it cannot get a repair ticket.")
                % {"tag": asset.tag, "status": asset.get_status_display()}
            }
        )
    if alert is not None:
        if alert.device.asset_id != asset.pk:
            raise ValidationError(
                {
                    "alert": _("That alert is about another device, not %(tag)s.")
                    % {"tag": asset.tag}
                }
            )
        existing = (
            RepairTicket.objects.filter(alert=alert)
            .exclude(status__in=(RepairStatus.RESOLVED, RepairStatus.BEYOND_REPAIR))
            .first()
        )
        if existing is not None:
            raise ValidationError(
                {
                    "alert": _("Ticket %(number)s is already open for this alert.")
                    % {"number": existing.number}
                }
            )
    reported_at = reported_at or timezone.now()
    ticket = RepairTicket(
        asset=asset,
        alert=alert,
        fault=fault,
        description=description.strip(),
        reported_by=reported_by.strip(),
        reported_at=reported_at,
        opened_by=by if by is not None and by.is_authenticated else None,
        assignee=assignee,
        status=RepairStatus.OPEN,
        stops_work=stops_work,
        warranty_claim=warranty_claim,
        supplier_reference=supplier_reference.strip(),
    )
    _ticket_save_numbered(ticket, by=by, year=timezone.localtime(reported_at).year)
    if stops_work and asset.status == AssetStatus.DEPLOYED:
        from inventory.services import asset_change_status

        asset_change_status(
            asset=asset,
            by=by,
            to_status=AssetStatus.IN_REPAIR,
            reason=_("Repair ticket %(number)s opened: %(fault)s")
            % {"number": ticket.number, "fault": ticket.get_fault_display()},
        )
    readiness_refresh_later(office_ids=[asset.office_id])
    return ticket


@transaction.atomic
def repair_ticket_step(
    *,
    ticket: RepairTicket,
    by: AbstractBaseUser | None,
    to_status: str | None = None,
    minutes: int = 0,
    parts: str = "",
    note: str = "",
    photo=None,
    confirm_retire: bool = False,
    at: dt.datetime | None = None,
) -> WorkEntry:
    """Log work on a ticket and, with ``to_status``, take a step of its workflow.

    Resolving moves the asset back to “deployed” (unless another ticket still stops it) and
    closes the alert that opened the ticket. “Beyond repair” retires the asset, and only with
    ``confirm_retire``.
    """
    ticket = RepairTicket.objects.select_for_update().select_related("asset").get(pk=ticket.pk)
    from_status = ticket.status
    if not ticket.is_open:
        raise ValidationError(
            _("Ticket %(number)s is “%(status)s”: no more work can be logged on it.")
            % {"number": ticket.number, "status": ticket.get_status_display()}
        )
    step = to_status if to_status and to_status != from_status else None
    if step is not None:
        repair_step_check(from_status=from_status, to_status=step)
    if minutes is None:
        minutes = 0
    if minutes < 0 or minutes > WORK_MINUTES_MAX:
        raise ValidationError(
            {
                "minutes": _("Minutes spent must be between 0 and %(limit)s.")
                % {"limit": WORK_MINUTES_MAX}
            }
        )
    parts, note = parts.strip(), note.strip()
    if step is None and not (minutes or parts or note or photo):
        raise ValidationError(_("Say what was done: time spent, parts used, a note or a photo."))
    if step == RepairStatus.BEYOND_REPAIR and not confirm_retire:
        raise ValidationError(
            {
                "confirm_retire": _(
                    "Confirm that %(tag)s is beyond repair: it will be retired from the register."
                )
                % {"tag": ticket.asset.tag}
            }
        )
    extension = ""
    if photo:
        max_mb = getattr(settings, "REPAIR_PHOTO_MAX_MB", REPAIR_PHOTO_MAX_MB_DEFAULT)
        extension = repair_photo_check(upload=photo, max_bytes=max_mb * 1024 * 1024)
    now = at or timezone.now()
    entry = WorkEntry(
        ticket=ticket,
        by=by if by is not None and by.is_authenticated else None,
        at=now,
        minutes=minutes,
        parts=parts,
        note=note,
        status_from=from_status if step else "",
        status_to=step or "",
    )
    if photo:
        entry.photo.save(f"{ticket.number}-{now:%Y%m%d%H%M%S}.{extension}", photo, save=False)
    entry.save()
    if step is None:
        return entry
    ticket.status = step
    if step in (RepairStatus.RESOLVED, RepairStatus.BEYOND_REPAIR):
        ticket.resolved_at = now
    _ticket_save(
        ticket,
        by=by,
        reason=_("%(from)s → %(to)s")
        % {"from": repair_status_label(from_status), "to": repair_status_label(step)},
    )
    asset = ticket.asset
    from inventory.services import asset_change_status

    if step == RepairStatus.RESOLVED:
        if asset.status == AssetStatus.IN_REPAIR and not _stopped_by_other_ticket(ticket):
            asset_change_status(
                asset=asset,
                by=by,
                to_status=AssetStatus.DEPLOYED,
                reason=_("Repair ticket %(number)s resolved") % {"number": ticket.number},
            )
        if ticket.alert_id:
            Alert.objects.filter(pk=ticket.alert_id, is_open=True).update(
                is_open=False, resolved_at=now
            )
    elif step == RepairStatus.BEYOND_REPAIR and asset.status != AssetStatus.RETIRED:
        asset_change_status(
            asset=asset,
            by=by,
            to_status=AssetStatus.RETIRED,
            reason=_("Beyond repair (ticket %(number)s)") % {"number": ticket.number},
        )
    readiness_refresh_later(office_ids=[asset.office_id])
    return entry


@transaction.atomic
def repair_ticket_warranty(
    *,
    ticket: RepairTicket,
    by: AbstractBaseUser | None,
    warranty_claim: bool,
    supplier_reference: str,
) -> RepairTicket:
    """Mark a ticket as a warranty claim (or not) with the supplier's reference."""
    ticket = RepairTicket.objects.select_for_update().get(pk=ticket.pk)
    reference = supplier_reference.strip()
    if reference and not warranty_claim:
        raise ValidationError(
            {"supplier_reference": _("A supplier's reference belongs to a warranty claim.")}
        )
    ticket.warranty_claim = warranty_claim
    ticket.supplier_reference = reference
    _ticket_save(ticket, by=by, reason=_("Warranty claim changed"))
    return ticket


# Alerts --------------------------------------------------------------------------------
# Above this many devices, alerts_sync reads all open alerts rather than list the devices' ids
# in the query (SQLite limits the parameters of one statement).
ALERT_SYNC_IN_LIMIT = 500
ACK_NOTE_MAX = 255


@dataclass(frozen=True)
class AlertSyncSummary:
    opened: int = 0
    seen: int = 0
    resolved: int = 0


def alerts_sync(
    *,
    devices: Sequence[MonitoredDevice],
    previous_page_counts: dict[int, int | None] | None = None,
    now: dt.datetime | None = None,
) -> AlertSyncSummary:
    """Bring the alerts of ``devices`` (rows as saved after a round) up to date, in bulk.

    Opens an alert per new condition, updates ``last_seen`` of those still holding, resolves
    those cleared (a condition that comes back opens a new row). Queries: one read, and at most
    one insert, one update of last seen, one of new words, one of resolved, whatever the number
    of devices. ``previous_page_counts``: each device's page counter before this round.
    """
    if not devices:
        return AlertSyncSummary()
    now = now or timezone.now()
    thresholds = alert_rules.thresholds_from_settings(settings)
    previous = previous_page_counts or {}
    ids = {device.pk for device in devices}
    query = Alert.objects.filter(is_open=True)
    if len(ids) <= ALERT_SYNC_IN_LIMIT:
        query = query.filter(device_id__in=ids)
    open_by_device: dict[int, list[alert_rules.OpenAlert]] = {}
    for pk, device_id, kind, key, severity, message in query.values_list(
        "pk", "device_id", "kind", "key", "severity", "message"
    ):
        if device_id in ids:
            open_by_device.setdefault(device_id, []).append(
                alert_rules.OpenAlert(pk, kind, key, severity, message)
            )
    plan = alert_rules.AlertPlan()
    for device in devices:
        state = alert_rules.state_from_device(device, previous_page_count=previous.get(device.pk))
        alert_rules.alert_plan(
            device_id=device.pk,
            open_alerts=open_by_device.get(device.pk, ()),
            conditions=alert_rules.alert_conditions(state, thresholds=thresholds, now=now),
            plan=plan,
        )
    with transaction.atomic():
        if plan.open:
            Alert.objects.bulk_create(
                [
                    Alert(
                        device_id=device_id,
                        kind=c.kind,
                        key=c.key,
                        severity=c.severity,
                        message=c.message,
                        first_seen=now,
                        last_seen=now,
                    )
                    for device_id, c in plan.open
                ],
                ignore_conflicts=True,  # a concurrent sync ("Poll now") opened it first
            )
        if plan.seen:
            Alert.objects.filter(pk__in=plan.seen).update(last_seen=now)
        if plan.reworded:
            Alert.objects.bulk_update(
                [Alert(pk=pk, severity=c.severity, message=c.message) for pk, c in plan.reworded],
                ["severity", "message"],
            )
        if plan.resolve:
            Alert.objects.filter(pk__in=plan.resolve, is_open=True).update(
                is_open=False, resolved_at=now
            )
    return AlertSyncSummary(opened=len(plan.open), seen=len(plan.seen), resolved=len(plan.resolve))


def alert_acknowledge(*, alert: Alert, by: AbstractBaseUser, note: str = "") -> Alert:
    """Record that ``by`` has seen an open alert, with a note. An event alert (a page counter
    that went back) is closed by it: nothing else would close it."""
    note = (note or "").strip()
    if not alert.is_open:
        raise ValidationError(_("This alert is resolved already: there is nothing to acknowledge."))
    if alert.acknowledged_at is not None:
        raise ValidationError(
            _("This alert was acknowledged already, on %(when)s.")
            % {"when": timezone.localtime(alert.acknowledged_at).strftime("%d.%m.%Y %H:%M")}
        )
    if len(note) > ACK_NOTE_MAX:
        raise ValidationError(
            _("Keep the note within %(limit)s characters.") % {"limit": ACK_NOTE_MAX}
        )
    now = timezone.now()
    alert.acknowledged_at, alert.acknowledged_by, alert.ack_note = now, by, note
    fields = ["acknowledged_at", "acknowledged_by", "ack_note"]
    if alert.kind in alert_rules.STICKY_KINDS:
        alert.is_open, alert.resolved_at = False, now
        fields += ["is_open", "resolved_at"]
    updated = Alert.objects.filter(pk=alert.pk, is_open=True, acknowledged_at=None).update(
        **{name: getattr(alert, name) for name in fields}
    )
    if not updated:
        raise ValidationError(_("Someone else acknowledged or resolved this alert meanwhile."))
    return alert


def alerts_notify(*, now: dt.datetime | None = None) -> int:
    """E-mail each technician the new open alerts of their regions, at most one message per
    ALERT_EMAIL_EVERY_MINUTES; return how many were sent. At most five queries.

    "New": first seen after the user's last e-mail (all open, unacknowledged ones before the
    first e-mail). Alerts that appear while a user is throttled go in the next message.
    """
    now = now or timezone.now()
    every = dt.timedelta(minutes=float(getattr(settings, "ALERT_EMAIL_EVERY_MINUTES", 60)))
    users = {
        user.pk: user
        for user in get_user_model()
        .objects.filter(is_active=True, groups__name=Role.TECHNICIAN)
        .exclude(email="")
    }
    if not users:
        return 0
    regions: dict[int, set[int]] = {}
    for user_id, region_id in UserScope.regions.through.objects.filter(
        userscope__user_id__in=users
    ).values_list("userscope__user_id", "region_id"):
        regions.setdefault(user_id, set()).add(region_id)
    if not regions:
        return 0
    last_sent = dict(
        AlertNotification.objects.filter(user_id__in=regions).values_list("user_id", "last_sent_at")
    )
    due = {pk for pk in regions if pk not in last_sent or last_sent[pk] <= now - every}
    if not due:
        return 0
    alerts = Alert.objects.filter(
        is_open=True,
        acknowledged_at=None,
        device__asset__office__region_id__in=set().union(*(regions[pk] for pk in due)),
    ).select_related("device__asset__office")
    if all(pk in last_sent for pk in due):
        alerts = alerts.filter(first_seen__gt=min(last_sent[pk] for pk in due))
    alerts = list(alerts.order_by("first_seen", "pk"))
    messages, sent_to = [], []
    for pk in sorted(due):
        since = last_sent.get(pk)
        new = [
            alert
            for alert in alerts
            if alert.device.asset.office.region_id in regions[pk]
            and (since is None or alert.first_seen > since)
        ]
        if not new:
            continue
        lines = [
            f"[{alert.get_severity_display()}] {alert.device.asset.tag}, "
            f"{alert.device.asset.office}: {alert.message}"
            for alert in new
        ]
        subject = _("%(count)s new alerts in your regions") % {"count": len(new)}
        messages.append(EmailMessage(subject=subject, body="\n".join(lines), to=[users[pk].email]))
        sent_to.append(pk)
    if messages:
        get_connection().send_messages(messages)
        AlertNotification.objects.bulk_create(
            [AlertNotification(user_id=pk, last_sent_at=now) for pk in sent_to],
            update_conflicts=True,
            unique_fields=["user"],
            update_fields=["last_sent_at"],
        )
    return len(messages)


# =================================================================================================
# Service readiness (issue 8): the state of every office's services, kept as periods so that
# the history shows when each changed. Recomputed after every poll round, when a repair
# ticket opens or moves, and on request ("Recompute now", `manage.py readiness_refresh`).
# =================================================================================================


@dataclass(frozen=True)
class ReadinessRefreshSummary:
    """One recomputation: offices computed, periods opened and closed, how long."""

    offices: int
    opened: int
    closed: int
    updated: int
    duration_s: float


def readiness_fingerprint(*, reason_kinds: Sequence[str], asset_ids: Sequence[int]) -> str:
    """Return a short digest of a period's reasons, so a recomputation compares strings."""
    text = json.dumps([list(reason_kinds), list(asset_ids)], separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


def _readiness_refresh_once(
    *, office_ids: Collection[int] | None, now: dt.datetime
) -> tuple[int, int, int, int]:
    computed = selectors.readiness_compute(office_ids=office_ids)
    service_ids = dict(CRService.objects.values_list("code", "pk"))
    open_periods = ReadinessPeriod.objects.filter(until__isnull=True)
    if office_ids is not None:
        open_periods = open_periods.filter(office_id__in=list(computed))
    # Plain tuples, not model instances, and the reasons' digest rather than their JSON: the
    # national recomputation compares 50,000 of them after every poll round.
    current = {
        (office_id, service_id): (pk, state, fingerprint)
        for pk, office_id, service_id, state, fingerprint in open_periods.values_list(
            "pk", "office_id", "service_id", "state", "fingerprint"
        ).iterator(chunk_size=10_000)
    }
    close_ids: list[int] = []
    to_update: list[ReadinessPeriod] = []
    to_open: list[ReadinessPeriod] = []
    seen: set[tuple[int, int]] = set()
    for office_id, states in computed.items():
        for result in states:
            service_id = service_ids.get(result.service)
            if service_id is None:
                continue
            key = (office_id, service_id)
            seen.add(key)
            kinds = list(dict.fromkeys(reason.kind for reason in result.reasons))
            named = sorted(
                {device.asset_id for reason in result.reasons for device in reason.devices}
            )
            fingerprint = readiness_fingerprint(reason_kinds=kinds, asset_ids=named)
            period = current.get(key)
            if period is not None and period[1] == result.state:
                if period[2] != fingerprint:
                    to_update.append(
                        ReadinessPeriod(
                            pk=period[0],
                            reason_kinds=kinds,
                            asset_ids=named,
                            fingerprint=fingerprint,
                        )
                    )
                continue
            if period is not None:
                close_ids.append(period[0])
            to_open.append(
                ReadinessPeriod(
                    office_id=office_id,
                    service_id=service_id,
                    state=result.state,
                    since=now,
                    reason_kinds=kinds,
                    asset_ids=named,
                    fingerprint=fingerprint,
                )
            )
    # A service the office no longer offers (or an office no longer active) ends its period.
    close_ids += [period[0] for key, period in current.items() if key not in seen]
    with transaction.atomic():
        closed = 0
        for start in range(0, len(close_ids), 500):
            closed += ReadinessPeriod.objects.filter(pk__in=close_ids[start : start + 500]).update(
                until=now
            )
        if to_update:
            ReadinessPeriod.objects.bulk_update(
                to_update, ["reason_kinds", "asset_ids", "fingerprint"], batch_size=100
            )
        if to_open:
            ReadinessPeriod.objects.bulk_create(to_open, batch_size=2000)
    return len(computed), len(to_open), closed, len(to_update)


def readiness_refresh(
    *, office_ids: Collection[int] | None = None, now: dt.datetime | None = None
) -> ReadinessRefreshSummary:
    """Recompute readiness of the given offices (all when None) and record what changed.

    A service whose state changed gets its open period closed at ``now`` and a new one opened;
    one whose state stayed has its reasons brought up to date in place. Two recomputations at
    once (the poller's and a repair's) may race on the open period: the loser starts again.
    """
    started = time.monotonic()
    now = now or timezone.now()
    for attempt in range(3):
        try:
            with transaction.atomic():
                offices, opened, closed, updated = _readiness_refresh_once(
                    office_ids=office_ids, now=now
                )
                # Every complete run is recorded ("as of" on the pages); a partial one (a
                # repair's office, a round's changed offices) only when it changed something.
                if office_ids is None or opened or closed:
                    ReadinessRun.objects.create(
                        at=now,
                        offices=offices,
                        changes=opened,
                        duration_s=time.monotonic() - started,
                        complete=office_ids is None,
                    )
            break
        except IntegrityError:
            if attempt == 2:
                raise
    return ReadinessRefreshSummary(
        offices=offices,
        opened=opened,
        closed=closed,
        updated=updated,
        duration_s=time.monotonic() - started,
    )


def readiness_after_round(
    *, offices_changed: Collection[int], now: dt.datetime | None = None
) -> ReadinessRefreshSummary | None:
    """Recompute readiness after a poll round: every office when the last complete
    recomputation is READINESS_FULL_MINUTES old (register changes, moves, new requirements
    show then), else only the offices where a device's health changed; None when neither."""
    now = now or timezone.now()
    full_minutes = float(getattr(settings, "READINESS_FULL_MINUTES", 15))
    last_full = (
        ReadinessRun.objects.filter(complete=True).order_by("-at").values_list("at", flat=True)
    ).first()
    if last_full is None or now - last_full >= dt.timedelta(minutes=full_minutes):
        return readiness_refresh(now=now)
    if offices_changed:
        return readiness_refresh(office_ids=offices_changed, now=now)
    return None


def readiness_refresh_later(*, office_ids: Collection[int]) -> None:
    """Recompute these offices' readiness once the current transaction commits."""
    ids = sorted({pk for pk in office_ids if pk is not None})
    if ids:
        transaction.on_commit(lambda: readiness_refresh(office_ids=ids))


# =================================================================================================
# Consumables (issue 8): each printer supply's run-out forecast, kept per device and supply so
# that the report reads one row per supply. Recomputed for the devices whose poll stored an
# outcome (a change, or the periodic sample), and in full by `manage.py forecasts_refresh`.
# =================================================================================================

# Days of poll history a forecast reads: the fit uses the last 60 days of the current
# cartridge, coarse levels the whole cartridge.
FORECAST_HISTORY_DAYS = 180
FORECAST_CHUNK = 200


def _forecast_rows(
    device: MonitoredDevice,
    history: Sequence[tuple[dt.datetime, list | None, int | None]],
    *,
    now: dt.datetime,
) -> list[SupplyForecast]:
    pages = [(at, count) for at, _supplies, count in history if count is not None]
    levels: dict[str, list[tuple[dt.datetime, float | None]]] = {}
    for at, supplies, _count in history:
        for supply in supplies or ():
            if isinstance(supply, dict) and supply.get("index") is not None:
                levels.setdefault(str(supply["index"]), []).append((at, supply.get("percent")))
    rows = []
    for supply in device.supplies or ():
        if not isinstance(supply, dict) or supply.get("index") is None:
            continue
        if supply.get("supply_class") == "receptacleThatIsFilled":
            continue  # a waste-toner box is emptied, not ordered
        index = str(supply["index"])
        result = forecast.supply_forecast(levels.get(index, []), now=now, pages=pages)
        rows.append(
            SupplyForecast(
                device=device,
                supply_index=index[:20],
                description=_text(supply.get("description") or index, 255),
                supply_type=_text(supply.get("type") or "", 40),
                level=result.level,
                level_at=result.level_at,
                runs_out=result.runs_out,
                earliest=result.earliest,
                latest=result.latest,
                confidence=result.confidence or "",
                method=result.method or "",
                reason=result.reason or "",
                percent_per_day=result.percent_per_day,
                points=result.points,
                cartridge_since=result.cartridge_since,
                computed_at=now,
            )
        )
    return rows


def supply_forecasts_refresh(
    *, device_ids: Iterable[int] | None = None, now: dt.datetime | None = None
) -> int:
    """Recompute the supply forecasts of these devices (every device with supplies when None).

    Per chunk of FORECAST_CHUNK devices, four queries: one reads the devices' supplies, one
    their poll history of the last FORECAST_HISTORY_DAYS, one deletes their old forecasts and
    one stores the new; return how many forecasts were stored.
    """
    now = now or timezone.now()
    devices_qs = MonitoredDevice.objects.exclude(supplies=[]).only("pk", "supplies").order_by()
    if device_ids is None:
        ids = list(devices_qs.values_list("pk", flat=True).order_by("pk"))
    else:
        ids = sorted(set(device_ids))
    since = now - dt.timedelta(days=FORECAST_HISTORY_DAYS)
    stored = 0
    for start in range(0, len(ids), FORECAST_CHUNK):
        chunk = ids[start : start + FORECAST_CHUNK]
        devices = {d.pk: d for d in devices_qs.filter(pk__in=chunk)}
        history: dict[int, list] = {pk: [] for pk in chunk}
        for device_id, at, supplies, count in (
            PollOutcome.objects.filter(
                device_id__in=chunk, polled_at__gte=since, polled_at__lte=now, reachable=True
            )
            .order_by("device_id", "polled_at")
            .values_list("device_id", "polled_at", "supplies", "page_count")
            .iterator(chunk_size=5000)
        ):
            history[device_id].append((at, supplies, count))
        rows = [
            row
            for pk, device in devices.items()
            for row in _forecast_rows(device, history[pk], now=now)
        ]
        with transaction.atomic():
            SupplyForecast.objects.filter(device_id__in=chunk).delete()
            SupplyForecast.objects.bulk_create(rows, batch_size=1000)
        stored += len(rows)
    return stored
