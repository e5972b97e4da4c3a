"""Alert writes (issue 6), re-exported by ``monitoring.services``: keeping them in a module of
their own lets two engineers append to services.py without overwriting each other.

- ``alerts_sync``: after every round's save, open / keep / resolve alerts in bulk.
- ``alert_acknowledge``: a user has seen an alert, with a note.
- ``alerts_notify``: e-mail technicians the new alerts of their regions, throttled per user.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.choices import Role
from inventory.models import UserScope
from monitoring import alert_rules
from monitoring.models import Alert, AlertNotification, MonitoredDevice

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
