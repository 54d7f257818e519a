"""The engine's rule (watchtower.lanes): no rename of ours beside another rename, stop or start.

The in-memory engine records every call as a span; its steps take real
time here, outside its lock, so calls of parallel units do overlap.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from unittest import mock

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.core.test_no_container_lost import left_aside, scenarios, stage
from watchtower import UpdateParams, update
from watchtower import labels as L
from watchtower.events import Event, Failed, Observers, Stopped
from watchtower.lanes import Lanes
from watchtower.model import ContainerState
from watchtower.report import Outcome
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

SANDBOX = ("rename", "stop", "start")
IMAGES = ["example.org/a:1", "example.org/b:1", "example.org/c:1"]


def fleet(count: int, *, deps: dict[int, list[int]] | None = None) -> MemoryEngine:
    """``count`` running containers c0.. on three images, all stale."""
    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    for image in IMAGES:
        registry.publish(image)
    for n in range(count):
        needs = ",".join(f"c{m}" for m in (deps or {}).get(n, []))
        engine.run(f"c{n}", IMAGES[n % 3], labels={L.DEPENDS_ON: needs} if needs else {})
    for image in IMAGES:
        registry.publish(image)
    return engine


def test_the_recorder_sees_a_rename_beside_a_stop() -> None:
    # Without the lanes, two threads put a rename beside a stop: the check below can fail.
    engine = fleet(2)
    engine.delays.update(stop=0.05, rename=0.05)
    first, second = engine.container("c0"), engine.container("c1")
    stopping = threading.Thread(
        target=engine.stop_container,
        args=(first,),
        kwargs={"signal": "SIGTERM", "timeout": timedelta(0)},
    )
    stopping.start()
    engine.rename_container(second.id, "elsewhere")
    stopping.join()
    assert [(a.step, b.step) for a, b in engine.overlapping(["rename"], SANDBOX)] in (
        [("stop", "rename")],
        [("rename", "stop")],
    )


def test_parallel_replacements_keep_the_rule() -> None:
    engine = fleet(8)
    engine.delays.update(stop=0.02, start=0.01, rename=0.005, create=0.005)
    report = update(engine, engine.registry, UpdateParams(update_concurrency=4))
    assert len(report.updated) == 8
    assert engine.overlapping(["rename"], SANDBOX) == []


def test_a_slow_stop_does_not_hold_the_renames_of_the_units_beside_it() -> None:
    engine = fleet(4)
    engine.delays.update(stop=0.01)
    slow = engine.container("c0")

    original = engine.stop_container

    def stop(container, *, signal, timeout):  # type: ignore[no-untyped-def]
        if container.id == slow.id:
            time.sleep(0.5)  # it ignores its stop signal
        original(container, signal=signal, timeout=timeout)

    engine.stop_container = stop  # type: ignore[method-assign]
    began = time.monotonic()
    report = update(engine, engine.registry, UpdateParams(update_concurrency=4))
    assert len(report.updated) == 4
    # One batch renamed all four before the first stop: the others did not wait for c0's.
    assert time.monotonic() - began < 0.5 + 0.4
    assert engine.overlapping(["rename"], SANDBOX) == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scenarios(),
    st.integers(1, 8),
    st.floats(0, 0.004),
    st.sampled_from([1, 75]),
)
def test_the_rule_holds_and_nothing_is_lost(scenario, concurrency, stop_delay, hook_code) -> None:  # type: ignore[no-untyped-def]
    containers, failures, rolling = scenario
    engine, registry, before = stage(containers, failures, hook_code)
    engine.delays.update(stop=stop_delay, start=0.001, rename=0.0005)
    params = UpdateParams(
        include_stopped=True,
        rolling_restart=rolling,
        update_concurrency=concurrency,
        lifecycle_hooks=True,
    )
    # Stops that outlast the patience lend the engine's turn: stops then overlap too.
    with mock.patch("watchtower.replacement.PATIENCE", stop_delay / 2):
        report = update(engine, registry, params)

    assert engine.overlapping(["rename"], SANDBOX) == [], "a rename ran beside a stop or start"
    after = {c.name: c for c in engine.containers()}
    assert set(before) <= set(after), "a container was lost"
    aside = left_aside(before, after, report)
    assert not aside, f"left aside after the end-of-run repair, unreported: {aside}"
    for name, old in before.items():
        entry = report.get(name)
        assert entry is not None
        if entry.outcome not in (Outcome.UPDATED, Outcome.RESTARTED):
            assert after[name].id == old.id


def test_lanes_a_rename_waits_until_no_stop_is_in_flight() -> None:
    lanes, order = Lanes(), []
    stopping, renaming = threading.Event(), threading.Event()

    def stop(tag: str, hold: float) -> None:
        with lanes.shared():
            order.append(f"{tag} begins")
            stopping.set()
            time.sleep(hold)
            order.append(f"{tag} ends")

    def rename() -> None:
        renaming.set()
        with lanes.alone():
            order.append("rename")

    first = threading.Thread(target=stop, args=("stop 1", 0.1))
    first.start()
    stopping.wait()
    waiting = threading.Thread(target=rename)
    waiting.start()
    renaming.wait()
    time.sleep(0.02)  # the rename is waiting now
    second = threading.Thread(target=stop, args=("stop 2", 0))
    second.start()
    for thread in (first, waiting, second):
        thread.join()
    # Stop 2 came while the rename waited: it went first (its unit may have a container down).
    assert order == ["stop 1 begins", "stop 2 begins", "stop 2 ends", "stop 1 ends", "rename"]


def test_lanes_the_renaming_thread_may_call_again() -> None:
    lanes = Lanes()
    with lanes.alone(), lanes.alone(), lanes.shared():
        pass
    with lanes.shared():  # and the lock is free afterwards
        pass


# -- an engine that stops answering ---------------------------------------------


def test_a_silent_engine_is_noticed_once_and_no_unit_starts_after() -> None:
    engine = fleet(8)
    events: list[Event] = []

    def silence_after_the_first_stop(event: Event) -> None:
        events.append(event)
        if isinstance(event, Stopped) and len([e for e in events if isinstance(e, Stopped)]) == 1:
            engine.stop_answering()

    report = update(
        engine,
        engine.registry,
        UpdateParams(update_concurrency=4),
        # Prompt: the engine goes silent before the run takes its next step.
        observer=Observers(prompt=silence_after_the_first_stop),
    )

    sentence = report.engine_failure
    assert sentence.startswith("The engine at memory stopped answering; ")
    [told] = [e for e in events if isinstance(e, Failed) and e.step == "engine"]
    assert told.reason == sentence
    # Units 0-3 were renamed in one batch; 4-7 never began. Which of 1-3 began is a race.
    not_started = [e.name for e in report.entries if e.reason.startswith("not updated: the engine")]
    assert {"c4", "c5", "c6", "c7"} <= set(not_started) and "c0" not in not_started
    assert f"; {len(not_started)} units not started." in sentence
    left = sentence.partition("Left aside until the engine answers: ")[2].rstrip(".").split(", ")
    assert [name.partition("-watchtower-old-")[0] for name in left if name] != []
    assert {name.partition("-watchtower-old-")[0] for name in left} <= {"c0", "c1", "c2", "c3"}
    # Each unit in flight made at most one unanswered call, and told of it once.
    timeouts = [e for e in events if isinstance(e, Failed) and "did not answer" in e.reason]
    assert 1 <= len(timeouts) <= 4, timeouts
    assert not report.removed_images
    assert engine.names() == {*left, *(f"c{n}" for n in range(4, 8))} | (
        engine.names() & {"c1", "c2", "c3"}
    )

    # The engine answers again: the next run repairs what was left and updates the rest.
    engine.stop_answering(None)
    again = update(engine, engine.registry, UpdateParams(update_concurrency=4))
    assert again.engine_failure == ""
    assert engine.names() == {f"c{n}" for n in range(8)}
    assert all(engine.container(f"c{n}").state is ContainerState.RUNNING for n in range(8))
    assert len(again.updated) + len(again.fresh) == 8


def test_an_engine_that_answers_again_before_the_end_gets_its_containers_back_in_the_run() -> None:
    engine = fleet(4)
    events: list[Event] = []

    def silence_for_one_call(event: Event) -> None:
        events.append(event)
        if isinstance(event, Stopped) and sum(isinstance(e, Stopped) for e in events) == 1:
            engine.stop_answering()
        if isinstance(event, Failed) and "did not answer" in event.reason:
            engine.stop_answering(None)  # it answers again

    report = update(engine, engine.registry, UpdateParams(update_concurrency=4),
                    observer=Observers(prompt=silence_for_one_call))  # fmt: skip

    assert report.engine_failure.startswith("The engine at memory stopped answering; ")
    assert "Left aside" not in report.engine_failure
    assert report.repaired and all("was undone" in line for line in report.repaired)
    assert engine.names() == {"c0", "c1", "c2", "c3"}
    assert all(engine.container(f"c{n}").state is ContainerState.RUNNING for n in range(4))


def test_a_rename_back_that_failed_gets_one_more_pass_at_the_end() -> None:
    engine = fleet(1)
    engine.fail("create", "c0")

    def fail_the_rename_back(event: Event) -> None:
        if isinstance(event, Stopped):
            engine.fail("rename")

    report = update(
        engine, engine.registry, UpdateParams(), observer=Observers(prompt=fail_the_rename_back)
    )

    entry = report.get("c0")
    assert entry is not None and entry.outcome is Outcome.FAILED and not entry.rolled_back
    assert "could not get its name back" in entry.reason
    assert report.repaired == ("c0: an interrupted update was undone; the old container is back "
                               "under its name",)  # fmt: skip
    assert engine.names() == {"c0"} and engine.container("c0").state is ContainerState.RUNNING


@pytest.mark.parametrize("after", [0, 3, 6, 9, 12])
def test_a_silent_engine_leaves_nothing_the_next_run_cannot_repair(after: int) -> None:
    engine = fleet(6, deps={1: [0], 3: [2]})
    engine.stop_answering(after + 1)  # past the listing
    report = update(engine, engine.registry, UpdateParams(update_concurrency=3))
    assert report.engine_failure or len(report.updated) == 6
    engine.stop_answering(None)
    update(engine, engine.registry, UpdateParams(update_concurrency=3))
    assert engine.names() == {f"c{n}" for n in range(6)}
    assert all(engine.container(f"c{n}").state is ContainerState.RUNNING for n in range(6))
