"""Scheduling maths on a fixed clock, and the loop that keeps the schedule."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

import pytest

from watchtower.cli.schedule import (
    Cron,
    Interval,
    Scheduler,
    describe_next,
    in_words,
    interval_schedule,
    parse_schedule,
)
from watchtower.errors import ConfigurationError

NOW = datetime(2026, 1, 1, 12, 0, 30, tzinfo=timezone.utc)


def at(hour: int, minute: int, second: int = 0, day: int = 1) -> datetime:
    return datetime(2026, 1, day, hour, minute, second, tzinfo=timezone.utc)


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        # Six fields: seconds first, as Watchtower (not croniter's seconds-last).
        ("0 0 4 * * *", at(4, 0, day=2)),
        ("45 * * * * *", at(12, 0, 45)),
        ("30 * * * * *", at(12, 1, 30)),
        ("0 */15 * * * *", at(12, 15)),
        ("*/10 * * * * *", at(12, 0, 40)),
        # Five fields: minutes first, at second 0.
        ("*/15 * * * *", at(12, 15)),
        ("0 13 * * *", at(13, 0)),
        ("@hourly", at(13, 0)),
        ("@daily", at(0, 0, day=2)),
        ("@every 90s", at(12, 2, 0)),
        ("@every 1h30m", at(13, 30, 30)),
    ],
)
def test_next_run(expression: str, expected: datetime) -> None:
    assert parse_schedule(expression).next_after(NOW) == expected


def test_six_fields_differ_from_croniter_default_order() -> None:
    # "5 4 * * * *" is second 5 of minute 4 of every hour in Watchtower's
    # order; croniter's own order would read minute 5, hour 4, second "*".
    assert parse_schedule("5 4 * * * *").next_after(NOW) == at(12, 4, 5)


def test_interval_counts_from_whole_seconds() -> None:
    moment = NOW + timedelta(microseconds=700)
    assert Interval(timedelta(minutes=5)).next_after(moment) == at(12, 5, 30)


def test_cron_keeps_the_zone_of_the_moment() -> None:
    zone = timezone(timedelta(hours=2))
    result = Cron("0 0 4 * * *", ("0", "0", "4", "*", "*", "*")).next_after(NOW.astimezone(zone))
    assert result == datetime(2026, 1, 2, 4, 0, tzinfo=zone)


@pytest.mark.parametrize(
    ("delta", "words"),
    [
        (timedelta(0), "0 seconds"),
        (timedelta(seconds=1), "1 second"),
        (timedelta(seconds=59.9), "59 seconds"),
        (timedelta(minutes=1, seconds=5), "1 minute, 5 seconds"),
        (timedelta(hours=2), "2 hours"),
        (timedelta(days=1, hours=1, minutes=1, seconds=1), "1 day, 1 hour, 1 minute, 1 second"),
        (timedelta(seconds=-3), "0 seconds"),
    ],
)
def test_in_words(delta: timedelta, words: str) -> None:
    assert in_words(delta) == words


def test_the_startup_message_says_when_in_words() -> None:
    when = parse_schedule("0 0 13 * * *").next_after(NOW)
    assert describe_next(when, NOW) == "2026-01-01 13:00:00 UTC, in 59 minutes, 30 seconds"


class SteppingClock:
    """A clock that jumps to each scheduled time, so the loop never sleeps."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


def test_scheduler_ticks_at_each_scheduled_time_until_stopped() -> None:
    clock = SteppingClock(NOW)
    ticks: list[datetime] = []
    upcoming: list[datetime] = []
    scheduler: Scheduler

    def tick() -> None:
        ticks.append(clock.now)
        if len(ticks) == 3:
            scheduler.stop()

    def on_next(when: datetime) -> None:
        upcoming.append(when)
        clock.now = when  # the time passes until the next tick

    scheduler = Scheduler(parse_schedule("0 */10 * * * *"), tick, clock=clock, on_next=on_next)
    first = scheduler.next_run()
    clock.now = first
    scheduler.run(first)
    assert ticks == [at(12, 10), at(12, 20), at(12, 30)]
    assert upcoming[:2] == [at(12, 20), at(12, 30)]


def test_a_stopped_scheduler_does_not_tick() -> None:
    ticks: list[int] = []
    scheduler = Scheduler(Interval(timedelta(hours=1)), lambda: ticks.append(1), clock=lambda: NOW)
    scheduler.stop()
    scheduler.run()
    assert ticks == []


def test_a_late_tick_does_not_fire_twice() -> None:
    # The run took longer than the period: the next time is after now, not
    # the missed one, so ticks do not pile up.
    clock = SteppingClock(NOW)
    ticks: list[datetime] = []
    scheduler: Scheduler

    def tick() -> None:
        ticks.append(clock.now)
        clock.now += timedelta(minutes=25)  # a long run
        if len(ticks) == 2:
            scheduler.stop()

    scheduler = Scheduler(
        parse_schedule("0 */10 * * * *"),
        tick,
        clock=clock,
        on_next=lambda when: setattr(clock, "now", max(clock.now, when)),
    )
    clock.now = at(12, 10)
    scheduler.run(at(12, 10))
    assert ticks == [at(12, 10), at(12, 40)]


@pytest.mark.parametrize(
    "expression",
    [
        "0 0 0 30 2 *",  # 30 February
        "0 0 31 4 *",  # 31 April, five fields
        "0 0 0 31 11 *",
        "@every 87840h",
        "@every 2562047h",
        "@every 999999999999h",  # beyond what a duration holds
    ],
)
def test_a_schedule_that_never_fires_is_refused_at_start(expression: str) -> None:
    with pytest.raises(ConfigurationError, match="never fires"):
        parse_schedule(expression)


def test_a_leap_day_schedule_is_kept() -> None:
    assert parse_schedule("0 0 0 29 2 *").next_after(NOW) == datetime(
        2028, 2, 29, tzinfo=timezone.utc
    )


@pytest.mark.parametrize("seconds", [0, -5, 10**12, float("nan")])
def test_an_interval_out_of_range_is_refused(seconds: float) -> None:
    with pytest.raises(ConfigurationError, match="--interval must be"):
        interval_schedule(seconds)


def test_the_scheduler_thread_ends_with_a_line_when_the_schedule_runs_out(
    caplog: pytest.LogCaptureFixture,
) -> None:
    ticks: list[int] = []
    late = datetime(9999, 12, 31, 23, 0, tzinfo=timezone.utc)
    scheduler = Scheduler(Interval(timedelta(days=1)), lambda: ticks.append(1), clock=lambda: late)
    scheduler.run(first=late)
    assert ticks == [1]
    assert "The schedule stops: The schedule every 1 day reaches beyond the year 9999." in (
        caplog.text
    )


def test_the_next_run_of_an_interval_stays_put_as_time_passes() -> None:
    now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    scheduler = Scheduler(Interval(timedelta(hours=1)), lambda: None, clock=lambda: now[0])
    first = scheduler.next_run()
    now[0] += timedelta(minutes=20)
    # Asked again (the status page, at each render), it is the time the loop waits for.
    assert scheduler.next_run() == first == datetime(2026, 1, 1, 1, tzinfo=timezone.utc)


def test_the_next_run_is_the_one_the_loop_waits_for() -> None:
    now = [datetime(2026, 1, 1, tzinfo=timezone.utc)]
    ticked = threading.Event()
    scheduler = Scheduler(Interval(timedelta(hours=1)), ticked.set, clock=lambda: now[0])
    first = now[0] + timedelta(seconds=0.2)
    thread = threading.Thread(target=scheduler.run, args=(first,), daemon=True)
    thread.start()
    try:
        assert ticked.wait(5)
        deadline = time.monotonic() + 5
        while scheduler.next_run() == first and time.monotonic() < deadline:
            time.sleep(0.01)
        assert scheduler.next_run() == datetime(2026, 1, 1, 1, tzinfo=timezone.utc)
    finally:
        scheduler.stop()
        thread.join(5)
