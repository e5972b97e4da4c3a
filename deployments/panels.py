"""What deployments adds to the register's pages (see inventory/panels.py)."""

from __future__ import annotations

from django.http import HttpRequest

from deployments import selectors
from inventory.models import Asset
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
