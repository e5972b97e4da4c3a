"""Poll every monitored device in rounds, until stopped.

    python manage.py monitor [--interval S] [--once] [--window N]

A round loads the targets, polls them all (``monitoring.poller``; no ORM meanwhile), and saves
the results in bulk. The next round starts ``--interval`` seconds after the previous one
started, never before it finished: when a round takes longer than the interval, the next one
starts at once and a warning says so. SIGTERM or SIGINT (Ctrl+C) stops the command after the
round in progress is saved; a second one stops it at once. Poll outcomes older than
MONITOR_KEEP_DAYS are deleted once a day. ``--once`` runs one round and prints a summary.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connections
from django.utils.translation import gettext as _

from monitoring import services
from monitoring.choices import Health

logger = logging.getLogger(__name__)

# Seconds between two deletions of old poll outcomes.
PRUNE_EVERY_S = 24 * 60 * 60


def connections_refresh() -> None:
    """Drop database connections that broke or outlived CONN_MAX_AGE, as a request would.

    A long-running process needs this between rounds; a connection inside a transaction (a
    caller's, or a test's) is left alone.
    """
    for connection in connections.all(initialized_only=True):
        if not connection.in_atomic_block:
            connection.close_if_unusable_or_obsolete()


class Stopper:
    """Set by SIGTERM or SIGINT: the loop saves the round in progress, then stops.

    A second signal raises KeyboardInterrupt, for when a round hangs.
    """

    SIGNALS = (signal.SIGTERM, signal.SIGINT)

    def __init__(self) -> None:
        self.event = threading.Event()
        self.signals = 0

    def __call__(self, signum, frame) -> None:
        self.signals += 1
        if self.signals > 1:
            raise KeyboardInterrupt
        self.event.set()

    @property
    def stopped(self) -> bool:
        return self.event.is_set()

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds``; return True at once when a stop was asked for."""
        return self.event.wait(max(0.0, seconds))

    @contextlib.contextmanager
    def installed(self) -> Iterator[Stopper]:
        """Handle the stop signals while inside, then put the previous handlers back."""
        if threading.current_thread() is not threading.main_thread():
            yield self  # signals reach only the main thread; nothing to install
            return
        previous = {signum: signal.signal(signum, self) for signum in self.SIGNALS}
        try:
            yield self
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)


class Command(BaseCommand):
    help = (
        "Poll every monitored device in rounds every --interval seconds until SIGTERM or "
        "SIGINT, saving each round; --once runs one round and prints a summary."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between the starts of two rounds (default MONITOR_INTERVAL_S, 300).",
        )
        parser.add_argument("--once", action="store_true", help="Run one round and stop.")
        parser.add_argument(
            "--window",
            type=int,
            default=None,
            help="Most SNMP requests in flight at once (default: the poller's).",
        )

    def handle(self, *args, **options):
        interval = options["interval"]
        if interval is None:
            interval = float(settings.MONITOR_INTERVAL_S)
        if interval <= 0:
            raise CommandError(_("--interval must be more than 0 seconds."))
        window = options["window"]
        if window is not None and window < 1:
            raise CommandError(_("--window must be at least 1."))
        self.stopper = Stopper()
        with self.stopper.installed():
            if options["once"]:
                self.once(window=window)
            else:
                self.loop(interval=interval, window=window)

    # -- one round ---------------------------------------------------------------------------

    def run_round(self, *, number: int, window: int | None) -> services.RoundSummary:
        connections_refresh()
        summary = services.monitoring_round_run(window=window)
        self.stdout.write(self.round_line(number, summary))
        return summary

    def round_line(self, number: int, summary: services.RoundSummary) -> str:
        health = summary.save.health
        return _(
            "Round %(n)s: %(devices)s devices in %(duration).1f s — %(up)s up, %(warning)s "
            "warning, %(down)s down, %(unknown)s unknown; %(overloaded)s overloaded; "
            "%(stored)s outcomes stored."
        ) % {
            "n": number,
            "devices": summary.devices,
            "duration": summary.duration_s,
            "up": health.get(Health.UP, 0),
            "warning": health.get(Health.WARNING, 0),
            "down": health.get(Health.DOWN, 0),
            "unknown": health.get(Health.UNKNOWN, 0),
            "overloaded": summary.save.overloaded,
            "stored": summary.save.stored,
        }

    def prune(self) -> None:
        keep_days = int(settings.MONITOR_KEEP_DAYS)
        deleted = services.monitoring_outcomes_prune(keep_days=keep_days)
        if deleted:
            self.stdout.write(
                _("Deleted %(n)s poll outcomes older than %(days)s days.")
                % {"n": deleted, "days": keep_days}
            )

    def once(self, *, window: int | None) -> None:
        try:
            summary = self.run_round(number=1, window=window)
        except Exception as exc:
            raise CommandError(_("The round failed: %(error)s") % {"error": exc}) from exc
        self.prune()
        save = summary.save
        lines = [
            _("Devices polled: %(n)s") % {"n": summary.devices},
            _("Up: %(up)s · Warning: %(warning)s · Down: %(down)s · Unknown: %(unknown)s")
            % {
                "up": save.health.get(Health.UP, 0),
                "warning": save.health.get(Health.WARNING, 0),
                "down": save.health.get(Health.DOWN, 0),
                "unknown": save.health.get(Health.UNKNOWN, 0),
            },
            _("Overloaded (the poller's fault, health unchanged): %(n)s") % {"n": save.overloaded},
            _("Health changed: %(n)s · Outcomes stored: %(stored)s")
            % {"n": save.health_changed, "stored": save.stored},
            _("Duration: %(total).1f s (polling %(poll).1f s)")
            % {"total": summary.duration_s, "poll": summary.poll_s},
        ]
        if summary.unreadable:
            lines.insert(
                1,
                _(
                    "Left out: %(n)s devices whose SNMP profile's secrets cannot be decrypted "
                    "with the configured key (enter them again)."
                )
                % {"n": summary.unreadable},
            )
        self.stdout.write("\n".join(lines))

    # -- rounds until stopped ----------------------------------------------------------------

    def loop(self, *, interval: float, window: int | None) -> None:
        self.stdout.write(
            _("Polling every %(interval)s s. Stop with Ctrl+C or SIGTERM.")
            % {"interval": f"{interval:g}"}
        )
        number = 0
        last_prune: float | None = None
        while not self.stopper.stopped:
            number += 1
            started = time.monotonic()
            try:
                self.run_round(number=number, window=window)
            except Exception as exc:  # the next round may well succeed (database back, …)
                logger.exception("Poll round %s failed", number)
                self.stderr.write(_("Round %(n)s failed: %(error)s") % {"n": number, "error": exc})
            if last_prune is None or time.monotonic() - last_prune >= PRUNE_EVERY_S:
                try:
                    self.prune()
                except Exception:
                    logger.exception("Deleting old poll outcomes failed")
                last_prune = time.monotonic()
            if self.stopper.stopped:
                break
            elapsed = time.monotonic() - started
            if elapsed >= interval:
                self.stderr.write(
                    _(
                        "Warning: round %(n)s took %(elapsed).1f s, longer than the interval of "
                        "%(interval)s s: the next round starts now."
                    )
                    % {"n": number, "elapsed": elapsed, "interval": f"{interval:g}"}
                )
                continue
            if self.stopper.wait(interval - elapsed):
                break
        self.stdout.write(_("Stopped after %(n)s rounds.") % {"n": number})
