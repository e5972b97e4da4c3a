"""Template context of monitoring: the count of open alerts in the menu."""

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from monitoring.selectors import open_alert_count


def alerts(request: HttpRequest) -> dict[str, object]:
    """Return the count of open alerts the user may see, counted only if a page shows it (one
    query), and only for users who may view alerts."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.has_perm("monitoring.view_alert"):
        return {"open_alert_count": 0}
    return {"open_alert_count": SimpleLazyObject(lambda: open_alert_count(user=user))}
