"""``manage.py monitor``: one round with a summary, rounds until SIGTERM (the round in progress
is saved), rounds that never overlap, daily pruning. The poller is replaced by a fake."""

from __future__ import annotations

import datetime as dt
import io
import os
import signal
import threading
import time

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from monitoring import poller
from monitoring.management.commands.monitor import Stopper
from monitoring.models import MonitoredDevice, PollOutcome
from tests.monitoring.test_models_services import make_device, make_profile
from tests.monitoring.test_rules import printer, result, supply

pytestmark = pytest.mark.django_db


class FakePoller:
    """Answers for every target; can send a signal, sleep, or fail in a given round."""

    def __init__(self, *, stop_in_round=None, sleep_s=0.0, fail_in_round=None):
        self.rounds: list[tuple[float, float, list]] = []
        self.kwargs: list[dict] = []
        self.stop_in_round = stop_in_round
        self.sleep_s = sleep_s
        self.fail_in_round = fail_in_round

    def __call__(self, targets, **kwargs):
        number = len(self.rounds) + 1
        started = time.monotonic()
        self.kwargs.append(kwargs)
        if number == self.fail_in_round:
            self.rounds.append((started, time.monotonic(), []))
            raise RuntimeError("the poller broke")
        if number == self.stop_in_round:
            os.kill(os.getpid(), signal.SIGTERM)  # as systemd stops the service, mid-round
        time.sleep(self.sleep_s)
        results = []
        for i, target in enumerate(targets):
            if i % 3 == 2:
                results.append(result(key=target.key, error="timeout", at=timezone.now()))
            else:
                facts = printer(supplies=[supply(percent=5.0 if i % 3 == 1 else 60.0)])
                results.append(result(facts, key=target.key, at=timezone.now()))
        self.rounds.append((started, time.monotonic(), [t.key for t in targets]))
        return results


@pytest.fixture
def devices():
    profile = make_profile()
    return [make_device(profile=profile) for _ in range(6)]


def run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("monitor", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_once_runs_one_round_and_prints_a_summary(monkeypatch, devices):
    fake = FakePoller()
    monkeypatch.setattr(poller, "poll_round", fake, raising=False)
    out, err = run("--once", "--window", "50")
    assert len(fake.rounds) == 1 and fake.kwargs == [{"window": 50}]
    lines = out.splitlines()
    assert lines[0].startswith("Round 1: 6 devices in ")
    assert lines[0].endswith(
        "— 2 up, 2 warning, 2 down, 0 unknown; 0 overloaded; 6 outcomes stored."
    )
    assert lines[1:4] == [
        "Devices polled: 6",
        "Up: 2 · Warning: 2 · Down: 2 · Unknown: 0",
        "Overloaded (the poller's fault, health unchanged): 0",
    ]
    assert lines[4] == "Health changed: 6 · Outcomes stored: 6"
    assert lines[5].startswith("Duration: ") and err == ""
    assert MonitoredDevice.objects.filter(health="warning").count() == 2


def test_once_with_no_devices(monkeypatch):
    fake = FakePoller()
    monkeypatch.setattr(poller, "poll_round", fake, raising=False)
    out, _err = run("--once")
    assert fake.rounds == [] and "Devices polled: 0" in out


def test_once_reports_a_failed_round(monkeypatch, devices):
    monkeypatch.setattr(poller, "poll_round", FakePoller(fail_in_round=1), raising=False)
    with pytest.raises(CommandError) as error:
        run("--once")
    assert str(error.value) == "The round failed: the poller broke"


def test_sigterm_stops_after_the_round_in_progress_is_saved(monkeypatch, devices):
    before = {signum: signal.getsignal(signum) for signum in Stopper.SIGNALS}
    fake = FakePoller(stop_in_round=1)
    monkeypatch.setattr(poller, "poll_round", fake, raising=False)
    # Should the round fail before the fake poller sends SIGTERM, stop anyway after a while.
    failsafe = threading.Timer(20, os.kill, args=(os.getpid(), signal.SIGTERM))
    failsafe.start()
    try:
        out, err = run("--interval", "3600")
    finally:
        failsafe.cancel()
    assert len(fake.rounds) == 1, err
    assert out.splitlines()[-1] == "Stopped after 1 rounds."
    assert PollOutcome.objects.count() == 6  # the round was saved
    assert {signum: signal.getsignal(signum) for signum in Stopper.SIGNALS} == before


def test_rounds_never_overlap_and_a_long_round_starts_the_next_at_once(monkeypatch, devices):
    fake = FakePoller(stop_in_round=3, sleep_s=0.05)
    monkeypatch.setattr(poller, "poll_round", fake, raising=False)
    started = time.monotonic()
    out, err = run("--interval", "0.01")
    assert len(fake.rounds) == 3
    for (_, previous_end, _), (next_start, _, _) in zip(fake.rounds, fake.rounds[1:], strict=False):
        assert next_start >= previous_end
    assert "Warning: round 1 took" in err and "the next round starts now." in err
    assert time.monotonic() - started < 5
    assert [line.split(":")[0] for line in out.splitlines()[1:4]] == [
        "Round 1",
        "Round 2",
        "Round 3",
    ]


def test_the_next_round_waits_for_the_interval(monkeypatch, devices):
    fake = FakePoller(stop_in_round=2)
    monkeypatch.setattr(poller, "poll_round", fake, raising=False)
    run("--interval", "0.3")
    (first_start, _, _), (second_start, _, _) = fake.rounds
    assert second_start - first_start >= 0.29


def test_a_failed_round_does_not_stop_the_loop(monkeypatch, devices):
    fake = FakePoller(fail_in_round=1, stop_in_round=2)
    monkeypatch.setattr(poller, "poll_round", fake, raising=False)
    out, err = run("--interval", "0.01")
    assert "Round 1 failed: the poller broke" in err
    assert "Round 2: 6 devices" in out and PollOutcome.objects.count() == 6


def test_old_outcomes_are_pruned(monkeypatch, devices, settings):
    settings.MONITOR_KEEP_DAYS = 30
    PollOutcome.objects.create(
        device=devices[0],
        polled_at=timezone.now() - dt.timedelta(days=31),
        reachable=True,
        health="up",
        fingerprint="old",
    )
    monkeypatch.setattr(poller, "poll_round", FakePoller(), raising=False)
    out, _err = run("--once")
    assert "Deleted 1 poll outcomes older than 30 days." in out
    assert not PollOutcome.objects.filter(fingerprint="old").exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--interval", "0"], "--interval must be more than 0 seconds."),
        (["--window", "0"], "--window must be at least 1."),
    ],
)
def test_bad_options_say_why(args, message):
    with pytest.raises(CommandError) as error:
        run(*args)
    assert str(error.value) == message


def test_the_stopper_flag():
    stopper = Stopper()
    assert not stopper.stopped and stopper.wait(0.01) is False
    stopper(signal.SIGTERM, None)
    assert stopper.stopped and stopper.wait(60) is True  # returns at once
    with pytest.raises(KeyboardInterrupt):
        stopper(signal.SIGINT, None)  # a second signal: stop now


def test_the_stopper_wakes_a_sleeping_loop_on_a_real_signal():
    stopper = Stopper()
    with stopper.installed():
        previous_alarm = signal.signal(
            signal.SIGALRM, lambda *a: os.kill(os.getpid(), signal.SIGTERM)
        )
        signal.setitimer(signal.ITIMER_REAL, 0.05)
        try:
            started = time.monotonic()
            assert stopper.wait(10) is True
            assert time.monotonic() - started < 5
        finally:
            signal.signal(signal.SIGALRM, previous_alarm)
