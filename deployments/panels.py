"""What deployments adds to the register's pages (see inventory/panels.py): deliveries,
verifications, the plan and acts."""

from __future__ import annotations

from django.http import HttpRequest

from deployments import selectors
from deployments.selectors import plan_office_sets
from inventory.models import Asset, Office
from inventory.panels import Panel


def asset_deliveries_panel(request: HttpRequest, asset: Asset) -> Panel | None:
    """Show an asset's transfers and handover acts, and whether a signed act covers it."""
    if not request.user.has_perm("deployments.view_transfer"):
        return None
    deliveries = selectors.asset_deliveries(asset=asset)
    return Panel(
        template="deployments/asset_panel.html",
        context={"deliveries": deliveries, "asset": asset},
        order=10,
    )


def plan_office_panel(request: HttpRequest, office: Office) -> Panel | None:
    """Show per handover set and category what the office was planned, sent and signed for.

    The office page has already checked the office is in the user's scope. Nothing is shown
    when the office has no figure in any plan. Three queries then, five otherwise.
    """
    if not request.user.has_perm("deployments.view_distributionplanline"):
        return None
    sets = plan_office_sets(office=office)
    if not sets:
        return None
    return Panel(
        template="deployments/plan_office_panel.html",
        context={"office": office, "sets": sets},
        order=20,
    )


def office_acts_panel(request: HttpRequest, office: Office) -> Panel | None:
    """Show an office's handover acts and transfers still on their way to it (two queries)."""
    if not request.user.has_perm("deployments.view_handoveract"):
        return None
    return Panel(
        template="deployments/office_acts_panel.html",
        context={
            "office": office,
            "acts": selectors.office_recent_acts(office=office),
            "incoming": selectors.office_incoming_transfers(office=office),
        },
        order=30,
    )


def asset_verifications_panel(request: HttpRequest, asset: Asset) -> Panel | None:
    """Show an asset's latest verifications, and a link to record one (one query)."""
    user = request.user
    if not user.has_perm("deployments.view_verification"):
        return None
    return Panel(
        template="deployments/verification_panel.html",
        context={
            "asset": asset,
            "verifications": selectors.asset_verifications(asset=asset),
            "can_verify": user.has_perm("deployments.add_verification"),
        },
        order=15,
    )
