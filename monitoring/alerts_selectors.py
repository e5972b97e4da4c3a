"""Alert reads (issue 6): the alert list's rows, one alert, and the menu's count."""

from __future__ import annotations

from django.db.models import QuerySet

from inventory.access import scope_assets, sees_whole_country
from inventory.models import Asset
from monitoring.models import Alert


def alert_queryset(*, user) -> QuerySet[Alert]:
    """Return the alerts the user may see (their devices' assets' scope), for lists."""
    queryset = Alert.objects.select_related(
        "device__asset__office__region", "device__asset__asset_model", "acknowledged_by"
    )
    if sees_whole_country(user):
        return queryset
    return queryset.filter(device__asset__in=scope_assets(user, Asset.objects.all()))


def alert_get(*, user, pk: int) -> Alert:
    """Return one alert in the user's scope, or raise Alert.DoesNotExist."""
    return alert_queryset(user=user).get(pk=pk)


def open_alert_count(*, user) -> int:
    """Return how many open alerts the user may see (one query)."""
    queryset = Alert.objects.filter(is_open=True)
    if not sees_whole_country(user):
        queryset = queryset.filter(device__asset__in=scope_assets(user, Asset.objects.all()))
    return queryset.count()
