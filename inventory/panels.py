"""Panels other apps add to the register's pages, without the register importing them.

``inventory`` imports no other app (the arrows point one way), yet an asset's page should
show its transfers and handover acts, and an office's page its deliveries. An app registers a
function in its ``AppConfig.ready``; the page calls each one and includes the template it
names. Each function costs a fixed number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.http import HttpRequest

from inventory.models import Asset, Office


@dataclass(frozen=True)
class Panel:
    """A template to include on a page, with its own context."""

    template: str
    context: dict = field(default_factory=dict)
    order: int = 100


AssetPanelFunction = Callable[[HttpRequest, Asset], Panel | None]
OfficePanelFunction = Callable[[HttpRequest, Office], Panel | None]

ASSET_PANELS: list[AssetPanelFunction] = []
OFFICE_PANELS: list[OfficePanelFunction] = []


def asset_panel_register(function: AssetPanelFunction) -> AssetPanelFunction:
    """Show ``function``'s panel on every asset page (used as a decorator)."""
    if function not in ASSET_PANELS:
        ASSET_PANELS.append(function)
    return function


def office_panel_register(function: OfficePanelFunction) -> OfficePanelFunction:
    """Show ``function``'s panel on every office page (used as a decorator)."""
    if function not in OFFICE_PANELS:
        OFFICE_PANELS.append(function)
    return function


def asset_panels(*, request: HttpRequest, asset: Asset) -> list[Panel]:
    """Return the panels other apps show on ``asset``'s page, in their order."""
    panels = [panel for function in ASSET_PANELS if (panel := function(request, asset))]
    return sorted(panels, key=lambda panel: panel.order)


def office_panels(*, request: HttpRequest, office: Office) -> list[Panel]:
    """Return the panels other apps show on ``office``'s page, in their order."""
    panels = [panel for function in OFFICE_PANELS if (panel := function(request, office))]
    return sorted(panels, key=lambda panel: panel.order)
