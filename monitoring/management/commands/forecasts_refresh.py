"""Recompute every printer supply's run-out forecast from its poll history.

The poller recomputes a device's forecasts whenever it stores an outcome of it; run this after
restoring history or changing the forecast settings.
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from monitoring import services


class Command(BaseCommand):
    help = "Recompute every printer supply's run-out forecast from its poll history."

    def handle(self, *args, **options) -> None:
        started = time.monotonic()
        stored = services.supply_forecasts_refresh()
        self.stdout.write(
            f"Supply forecasts: {stored} stored ({time.monotonic() - started:.2f} s)."
        )
