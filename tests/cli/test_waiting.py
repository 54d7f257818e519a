"""Containers waiting for a maintenance window: a push or a request is queued until it opens."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest

from watchtower import labels as L
from watchtower.cli.runner import Runner
from watchtower.cli.waiting import WindowWaiter
from watchtower.params import UpdateParams
from watchtower.push import PushEvent
from watchtower.report import ContainerReport, Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import DB, WEB, make_runner

UTC = timezone.utc
# The fixtures' clock, 2026-01-01 00:00 UTC, is a Thursday.
OPENS = datetime(2026, 1, 3, 2, 0, tzinfo=UTC)


@pytest.fixture
def engine(registry: MemoryRegistry) -> MemoryEngine:
    """``web`` waits for a Saturday window; ``db`` has none. Both are stale."""
    engine = MemoryEngine(registry)
    for name, reference, labels in (
        ("web", WEB, {L.WINDOW: "Sat 02:00/4h"}),
        ("db", DB, {}),
    ):
        registry.publish(reference)
        engine.run(name, reference, labels=labels)
        registry.publish(reference)
    return engine


@pytest.fixture
def runner(engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock) -> Iterator[Runner]:
    runner = make_runner(engine, registry, clock, UpdateParams(zone=UTC))
    waiter = WindowWaiter(runner.run_waiting, clock=clock)
    runner.waiter = waiter
    thread = threading.Thread(target=waiter.run, daemon=True)
    thread.start()
    yield runner
    waiter.stop()
    thread.join(5)
    assert not thread.is_alive()


def _fresh(engine: MemoryEngine, registry: MemoryRegistry, name: str, reference: str) -> bool:
    # Polled while a replacement may have the name renamed aside: absent is not fresh yet.
    return any(
        c.name == name and c.image_id == registry.served(reference)[1] for c in engine.containers()
    )


def _eventually(check: object) -> bool:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return True
        time.sleep(0.01)
    return False


def test_a_run_outside_the_window_queues_the_container_until_it_opens(
    runner: Runner, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    report = runner.run()
    assert report is not None
    web = report.get("web")
    assert web is not None and web.outcome is Outcome.STALE and web.next_due == OPENS
    assert _fresh(engine, registry, "db", DB)
    assert runner.waiter is not None and runner.waiter.waiting == {"web": OPENS}

    clock.advance(OPENS - clock() - timedelta(seconds=1))
    runner.waiter.wake()
    time.sleep(0.1)
    assert not _fresh(engine, registry, "web", WEB)  # not a second early

    clock.advance(timedelta(seconds=1))
    runner.waiter.wake()
    assert _eventually(lambda: _fresh(engine, registry, "web", WEB))
    assert _eventually(lambda: runner.last_report and runner.last_report.trigger == "window")
    assert runner.waiter.waiting == {}


def test_a_push_outside_the_window_is_queued_until_it_opens(
    runner: Runner, engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    push = PushEvent("example.org/web", "1", None, "registry", clock())
    report = runner.run_pushed([push])
    assert report is not None and report.get("web").outcome is Outcome.STALE  # type: ignore[union-attr]
    assert not _fresh(engine, registry, "web", WEB)
    assert runner.waiter is not None and runner.waiter.waiting == {"web": OPENS}
    clock.advance(OPENS - clock())
    runner.waiter.wake()
    assert _eventually(lambda: _fresh(engine, registry, "web", WEB))


def test_a_forced_run_leaves_nothing_waiting(
    runner: Runner, engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    runner.run()
    assert runner.waiter is not None and runner.waiter.waiting
    runner.run(UpdateParams(zone=UTC, ignore_windows=True))
    assert _fresh(engine, registry, "web", WEB)
    assert runner.waiter.waiting == {}


class TestWindowWaiter:
    """The waiter's bookkeeping, without a runner."""

    def test_only_what_is_due_is_returned_and_forgotten(self, clock: FixedClock) -> None:
        waiter = WindowWaiter(lambda names: None, clock=clock)

        def entry(
            name: str, when: datetime | None, outcome: Outcome = Outcome.STALE
        ) -> ContainerReport:
            return ContainerReport(
                id=name, name=name, image="x", old_image_id="i", outcome=outcome, next_due=when
            )

        now = clock()
        waiter.note(
            Report(
                entries=[entry("a", now), entry("b", now + timedelta(hours=1)), entry("c", None)],
                started_at=now,
                finished_at=now,
            )
        )
        assert waiter.next_due() == now
        assert waiter.due(now) == ["a"]
        assert waiter.due(now) == []
        # A later report that finds b replaced forgets it.
        waiter.note(
            Report(
                entries=[entry("b", None, Outcome.UPDATED)],
                started_at=now,
                finished_at=now,
            )
        )
        assert waiter.next_due() is None


def test_a_container_with_its_own_schedule_is_checked_and_replaced_at_its_times(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    """Fresh when the global run checks it, it is looked at again at its own time."""
    engine = MemoryEngine(registry)
    registry.publish(WEB)
    engine.run("web", WEB, labels={L.SCHEDULE: "0 3 * * *"})
    runner = make_runner(engine, registry, clock, UpdateParams(zone=UTC))
    waiter = WindowWaiter(runner.run_waiting, clock=clock)
    runner.waiter = waiter
    thread = threading.Thread(target=waiter.run, daemon=True)
    thread.start()
    try:
        report = runner.run()
        assert report is not None and report.get("web").outcome is Outcome.FRESH  # type: ignore[union-attr]
        at_three = datetime(2026, 1, 1, 3, 0, tzinfo=UTC)
        assert waiter.waiting == {"web": at_three}
        registry.publish(WEB)  # a new image, between the two
        clock.advance(at_three - clock())
        waiter.wake()
        assert _eventually(lambda: _fresh(engine, registry, "web", WEB))
        assert _eventually(lambda: waiter.waiting == {"web": at_three + timedelta(days=1)})
    finally:
        waiter.stop()
        thread.join(5)


def test_the_waiter_reads_the_wall_clock_again_after_a_jump(
    registry: MemoryRegistry, engine: MemoryEngine, clock: FixedClock
) -> None:
    """A suspended machine or a changed system time: the window still opens on time."""
    runner = make_runner(engine, registry, clock, UpdateParams(zone=UTC))
    waiter = WindowWaiter(runner.run_waiting, clock=clock, recheck=timedelta(milliseconds=20))
    runner.waiter = waiter
    thread = threading.Thread(target=waiter.run, daemon=True)
    thread.start()
    try:
        runner.run()
        assert waiter.waiting == {"web": OPENS}
        clock.advance(OPENS - clock())  # no wake(): the clock jumped
        assert _eventually(lambda: _fresh(engine, registry, "web", WEB))
    finally:
        waiter.stop()
        thread.join(5)
