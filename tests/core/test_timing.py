"""A container's own schedule: replaced only at its times, inside its windows."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.report import Outcome
from watchtower.schedules import Cron, parse_schedule
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry
from watchtower.timing import SLACK, Due, due
from watchtower.windows import is_open, parse_windows

UTC = timezone.utc
WEB = "example.org/web:1"
# 2026-01-01 is a Thursday.
THURSDAY = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
NIGHTLY = parse_schedule("0 3 * * *", zone=UTC)
assert isinstance(NIGHTLY, Cron)


class TestDue:
    """The rule, without a run."""

    def test_without_windows_or_schedule_any_time_is_due(self) -> None:
        assert due((), None, THURSDAY) == Due()
        assert due((), None, THURSDAY)

    def test_a_schedule_is_due_for_the_slack_after_each_of_its_times(self) -> None:
        at_three = datetime(2026, 1, 2, 3, 0, tzinfo=UTC)
        tomorrow = at_three + timedelta(days=1)
        assert due((), NIGHTLY, at_three) == Due("", tomorrow)
        assert due((), NIGHTLY, at_three + SLACK - timedelta(seconds=1))
        late = due((), NIGHTLY, at_three + SLACK)
        assert not late
        assert late == Due("waits for its schedule, next at Sat 2026-01-03 03:00 UTC", tomorrow)

    def test_before_its_time_it_waits_for_it(self) -> None:
        assert due((), NIGHTLY, THURSDAY) == Due(
            "waits for its schedule, next at Fri 2026-01-02 03:00 UTC",
            datetime(2026, 1, 2, 3, 0, tzinfo=UTC),
        )

    def test_with_windows_only_its_times_inside_them_count(self) -> None:
        hourly = parse_schedule("0 * * * *", zone=UTC)
        assert isinstance(hourly, Cron)
        saturday = parse_windows("Sat 02:00/4h", zone=UTC)
        waiting = due(saturday, hourly, THURSDAY)
        assert waiting.next == datetime(2026, 1, 3, 2, 0, tzinfo=UTC)
        assert waiting.reason == "waits for its schedule, next at Sat 2026-01-03 02:00 UTC"
        # At 03:00 on Saturday both agree; at 06:00 the window has closed.
        assert due(saturday, hourly, datetime(2026, 1, 3, 3, 0, tzinfo=UTC))
        assert not due(saturday, hourly, datetime(2026, 1, 3, 6, 0, tzinfo=UTC))

    def test_a_frequent_schedule_meets_a_rare_window(self) -> None:
        """Every second, and a window once a week: its first second is found."""
        every_second = parse_schedule("* * * * * *", zone=UTC)
        assert isinstance(every_second, Cron)
        waiting = due(parse_windows("Sat 02:00/4h", zone=UTC), every_second, THURSDAY)
        assert waiting.next == datetime(2026, 1, 3, 2, 0, tzinfo=UTC)

    def test_a_schedule_that_never_meets_its_windows_says_so(self) -> None:
        noon = parse_schedule("0 12 * * *", zone=UTC)
        assert isinstance(noon, Cron)
        started = time.monotonic()
        never = due(parse_windows("02:00/1h", zone=UTC), noon, THURSDAY)
        assert never == Due("waits: no time of its schedule falls in its windows")
        assert time.monotonic() - started < 10

    def test_an_unreadable_label_waits_for_ever(self) -> None:
        assert due((), None, THURSDAY, unreadable="schedule") == Due(
            "waits: its schedule label cannot be read"
        )

    def test_the_schedule_reads_its_zone(self) -> None:
        berlin = parse_schedule("CRON_TZ=Europe/Berlin 0 3 * * *")
        assert isinstance(berlin, Cron)
        assert due((), berlin, datetime(2026, 1, 2, 2, 0, tzinfo=UTC))  # 03:00 CET
        assert not due((), berlin, datetime(2026, 1, 2, 3, 0, tzinfo=UTC))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(THURSDAY)


def _stale(engine: MemoryEngine, registry: MemoryRegistry, labels: dict[str, str]) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, labels=labels)
    registry.publish(WEB)


def test_a_container_with_its_own_schedule_is_replaced_at_its_times_only(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    _stale(engine, registry, {L.SCHEDULE: "0 3 * * *"})
    params = UpdateParams(zone=UTC)
    entry = update(engine, registry, params, clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.STALE
    assert entry.reason == "waits for its schedule, next at Fri 2026-01-02 03:00 UTC"
    assert entry.next_due == datetime(2026, 1, 2, 3, 0, tzinfo=UTC)

    clock.advance(timedelta(hours=17, minutes=1))  # Friday 03:01
    entry = update(engine, registry, params, clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.UPDATED
    # Replaced, it is still due at its next time: to be checked then.
    assert entry.next_due == datetime(2026, 1, 3, 3, 0, tzinfo=UTC)


def test_a_fresh_container_with_its_own_schedule_says_when_it_is_next_due(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WEB)
    engine.run("web", WEB, labels={L.SCHEDULE: "TZ=Asia/Tokyo 30 4 * * Sat"})
    entry = update(engine, registry, clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.FRESH and entry.reason == ""
    assert entry.next_due == datetime(2026, 1, 2, 19, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("every night", "schedule 'every night' has 2 fields; a cron expression has 6"),
        ("@every 1h", "an interval (@every) has no times of day; write a cron expression"),
        ("0 3 * * * * *", "has 7 fields"),
        ("TZ=Nowhere 0 3 * * *", "'Nowhere' is not a known time zone"),
        ("0 3 30 2 *", "never fires"),
    ],
)
def test_an_unreadable_schedule_label_is_one_sentence_and_keeps_it_waiting(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock, value: str, why: str
) -> None:
    _stale(engine, registry, {L.SCHEDULE: value})
    entry = update(engine, registry, clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.STALE
    assert entry.reason == "waits: its schedule label cannot be read"
    (warning,) = entry.warnings
    assert warning.startswith(f"Container 'web' has label {L.SCHEDULE}={value!r}, which cannot")
    assert why in warning
    assert warning.endswith("it is checked but not replaced until the label is fixed.")


def test_force_replaces_whatever_the_schedule(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    _stale(engine, registry, {L.SCHEDULE: "0 3 * * *"})
    entry = update(engine, registry, UpdateParams(ignore_windows=True), clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.UPDATED


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from(["0 3 * * *", "*/20 * * * *", "0 0 * * Sat", "30 12 * * Mon-Fri"]),
    st.none() | st.sampled_from(["Sat 02:00/4h", "12:00/45m", "Thu 09:00/2d"]),
    st.integers(0, 10 * 24 * 60),
)
def test_a_container_is_replaced_only_when_its_schedule_is_due_in_a_window(
    expression: str, window: str | None, minutes: int
) -> None:
    """Whatever the schedule, window and time: replaced exactly when one of its times fell
    within the slack before the run and a window is open."""
    clock = FixedClock(THURSDAY + timedelta(minutes=minutes))
    registry = MemoryRegistry(clock)
    engine = MemoryEngine(registry)
    labels = {L.SCHEDULE: expression, **({L.WINDOW: window} if window else {})}
    _stale(engine, registry, labels)
    now = clock()
    entry = update(engine, registry, UpdateParams(zone=UTC), clock=clock).get("web")
    assert entry is not None
    schedule = parse_schedule(expression, zone=UTC)
    windows = parse_windows(window, zone=UTC) if window else ()
    last = schedule.next_after(now - SLACK)
    expected = last <= now and is_open(windows, now)
    assert (entry.outcome is Outcome.UPDATED) == expected
    assert entry.next_due is None or entry.next_due > now
