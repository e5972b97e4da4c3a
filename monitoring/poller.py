"""A poll round: read every target concurrently (bounded), decode, never stopped by one device.

CONTRACT (filled in by the poller work):

- ``PollResult``: one device's outcome: ``key`` (the target's key), ``reachable``, ``error``
  (None, "timeout", "auth", or the reason), ``response_ms`` (first answer), ``facts``
  (``DeviceFacts`` when reachable), ``raw`` (``RawDevice``), ``polled_at`` (aware datetime),
  ``overloaded`` (True when the poller itself could not send in time: kept apart from
  "unreachable").
- ``poll_round(targets, *, window=…) -> list[PollResult]``: synchronous; runs its own event
  loop (in a worker thread when the caller's thread already has one). No ORM inside.
- ``poll_round_async(targets, *, window=…)``: the same, awaited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from monitoring.snmp.decode import DeviceFacts, RawDevice


@dataclass(frozen=True)
class PollResult:
    key: object
    reachable: bool
    error: str | None
    response_ms: float | None
    facts: DeviceFacts | None
    raw: RawDevice | None
    polled_at: dt.datetime
    overloaded: bool = False
