"""What monitoring adds to the register's pages (see inventory/panels.py)."""

from __future__ import annotations

from django.http import HttpRequest

from inventory.models import Asset, Office
from inventory.panels import Panel
from monitoring import selectors
from monitoring.services import UNPOLLED_STATUSES


def asset_monitoring_panel(request: HttpRequest, asset: Asset) -> Panel | None:
    """Show a device's health, supplies, UPS, interfaces and page-counter chart.

    One query for an asset that is not monitored (then, for those who may, an offer to attach
    it), two for one that is (the device, and the chart's outcomes).
    """
    user = request.user
    if not user.has_perm("monitoring.view_monitoreddevice"):
        return None
    device = selectors.asset_monitored_device(asset=asset)
    if device is None:
        category = asset.asset_model.category
        if (
            category.is_monitored
            and asset.status not in UNPOLLED_STATUSES
            and user.has_perm("monitoring.add_monitoreddevice")
        ):
            return Panel(
                template="monitoring/asset_panel_unmonitored.html",
                context={"asset": asset},
                order=5,
            )
        return None
    return Panel(
        template="monitoring/asset_panel.html",
        context={"asset": asset, "monitoring": selectors.asset_monitoring(device=device)},
        order=5,
    )


def office_monitoring_panel(request: HttpRequest, office: Office) -> Panel | None:
    """Show the health of an office's monitored devices: counts per health and the list.

    The office page has already checked the office is in the user's scope.
    """
    if not request.user.has_perm("monitoring.view_monitoreddevice"):
        return None
    summary = selectors.office_monitoring(office=office)
    if summary is None:
        return None
    return Panel(
        template="monitoring/office_panel.html",
        context={"office": office, "summary": summary},
        order=5,
    )


# --- Repairs (issue 6) -------------------------------------------------------------------------


def asset_repairs_panel(request: HttpRequest, asset: Asset) -> Panel | None:
    """Show "Log a repair" (the next tap after scanning a label) and the asset's repair history
    with each ticket's downtime. One query. Shown first, above the monitoring panel.

    The asset page has already checked the asset is in the user's scope.
    """
    from monitoring.services import REPAIR_REFUSED_ASSET_STATUSES
    from monitoring.tables import downtime_words

    user = request.user
    if not user.has_perm("monitoring.view_repairticket"):
        return None
    tickets = selectors.asset_repairs(asset=asset)
    rows = [(ticket, downtime_words(ticket.downtime)) for ticket in tickets]
    return Panel(
        template="monitoring/repair_asset_panel.html",
        context={
            "asset": asset,
            "rows": rows,
            "can_open": user.has_perm("monitoring.add_repairticket")
            and asset.status not in REPAIR_REFUSED_ASSET_STATUSES,
        },
        order=1,
    )


# --- Service readiness (issue 8) ---------------------------------------------------------------

READINESS_PERMISSION = "monitoring.view_readinessperiod"


def asset_readiness_panel(request: HttpRequest, asset: Asset) -> Panel | None:
    """Show "Services at risk": the services at the asset's office that need it, their state
    now and if it stopped working. Only when some do.

    No query for an asset that can matter to no service (not at an office, in a status that
    does not count, or neither a router nor linked to a service); one when no requirement
    names its category and zone for a service it is linked to; otherwise a few more (see
    ``selectors.readiness_asset_impact``).
    """
    from monitoring.readiness import COUNTED_STATUSES

    if not request.user.has_perm(READINESS_PERMISSION):
        return None
    if asset.office_id is None or asset.status not in COUNTED_STATUSES:
        return None
    is_router = asset.asset_model.category.code == selectors.ROUTER_CATEGORY
    if not is_router and not asset.services.all():
        return None
    impact = selectors.readiness_asset_impact(asset=asset)
    if not impact.lines:
        return None
    return Panel(
        template="monitoring/readiness_asset_panel.html",
        context={"asset": asset, "impact": impact},
        order=4,
    )


def office_readiness_panel(request: HttpRequest, office: Office) -> Panel | None:
    """Show the stored state of each service the office offers, linking to its readiness page.

    One query. The office page has already checked the office is in the user's scope.
    """
    if not request.user.has_perm(READINESS_PERMISSION):
        return None
    periods = selectors.office_readiness_periods(office=office)
    if not periods and not office.services.all():
        return None
    return Panel(
        template="monitoring/readiness_office_panel.html",
        context={"office": office, "periods": periods},
        order=4,
    )
