"""Recompute every office's service readiness now and record what changed.

The poller does this after each round; run it after changing the register in bulk (an import,
new service requirements) to see the effect at once.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from monitoring import services


class Command(BaseCommand):
    help = "Recompute every office's service readiness now and record the changes."

    def handle(self, *args, **options) -> None:
        summary = services.readiness_refresh()
        self.stdout.write(
            f"Readiness of {summary.offices} offices: {summary.opened} periods opened, "
            f"{summary.closed} closed, {summary.updated} with new reasons "
            f"({summary.duration_s:.2f} s)."
        )
