"""Progress events (Checking, Pulling, Pulled, Planned) and how a run delivers its events.

The delivery contract: one delivery thread per run calls the observer, in
the order the events were emitted, all before the run returns; no thread
that acts on a container waits for it, so a slow observer adds no downtime.
"""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, plan, update, update_hosts
from watchtower import labels as L
from watchtower.errors import EngineError
from watchtower.events import (
    Checked,
    Checking,
    Event,
    Observers,
    Planned,
    Pulled,
    Pulling,
    RunFinished,
    RunStarted,
    Started,
    Stopping,
)
from watchtower.model import Container, Image, ImageRef
from watchtower.testing import IMAGE_SIZE, FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"
DB = "example.org/db:1"
APP = "example.org/app:1"


def stale(engine: MemoryEngine, registry: MemoryRegistry, name: str, image: str, **kw: Any) -> None:
    """Run ``name`` on ``image``, then publish a newer ``image``."""
    registry.publish(image)
    engine.run(name, image, **kw)
    registry.publish(image)


class Timed:
    """An in-memory engine noting, by container name, when each stop ended and each start ended."""

    def __init__(self, engine: MemoryEngine) -> None:
        self.engine = engine
        self.stopped: dict[str, float] = {}
        self.started: dict[str, float] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)

    def stop_container(self, container: Container, *, signal: str, timeout: timedelta) -> None:
        self.engine.stop_container(container, signal=signal, timeout=timeout)
        self.stopped[container.name.partition("-watchtower-")[0]] = time.monotonic()

    def start_container(self, container_id: str) -> None:
        self.engine.start_container(container_id)
        self.started[self.engine.get_container(container_id).name] = time.monotonic()

    def gap(self, name: str) -> float:
        """How long ``name`` was down: from the end of its stop to the end of its start."""
        return self.started[name] - self.stopped[name]


class Recorder:
    """The events in the order emitted (its prompt lane) and in the order delivered (its queue)."""

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.emitted: list[Event] = []
        self.delivered: list[Event] = []
        self.threads: set[str] = set()
        self.lanes = Observers(prompt=self.emitted.append, queued=self._deliver)

    def _deliver(self, event: Event) -> None:
        self.threads.add(threading.current_thread().name)
        if self.delay:
            time.sleep(self.delay)
        self.delivered.append(event)


# -- the new events ---------------------------------------------------------------


class TestProgressEvents:
    def test_a_pull_is_told_as_it_begins_and_ends_with_the_size_and_the_waiting_containers(
        self,
    ) -> None:
        """Pulling and Pulled come once per distinct image, naming who waits, with its size."""
        registry = MemoryRegistry(FixedClock())
        engine = MemoryEngine(registry)
        registry.publish(WEB)
        engine.run("web", WEB)
        engine.run("web2", WEB)
        registry.publish(WEB, size=73_000_000)
        clock = FixedClock(step=timedelta(seconds=1))
        events: list[Event] = []

        update(engine, registry, observer=events.append, clock=clock)

        [pulling] = [e for e in events if isinstance(e, Pulling)]
        [pulled] = [e for e in events if isinstance(e, Pulled)]
        assert (pulling.image, pulling.containers) == (WEB, ("web", "web2"))
        assert pulled.image == WEB and pulled.containers == ("web", "web2")
        assert pulled.size == 73_000_000
        assert pulled.image_id == engine.container("web").image_id
        assert pulled.duration == pulled.at - pulling.at == timedelta(seconds=1)
        assert pulled.to_dict()["duration"] == 1.0 and pulled.to_dict()["kind"] == "pulled"
        assert json.loads(json.dumps(pulling.to_dict()))["containers"] == ["web", "web2"]
        assert pulling.describe().endswith(f" pulling (image={WEB}, containers=web web2)")

    def test_every_checked_container_is_told_before_its_check_and_the_plan_before_a_stop(
        self,
    ) -> None:
        registry = MemoryRegistry(FixedClock())
        engine = MemoryEngine(registry)
        stale(engine, registry, "web", WEB)
        registry.publish(DB)
        engine.run("db", DB)
        events: list[Event] = []

        update(engine, registry, observer=events.append)

        kinds = [e.kind for e in events]
        checking = {e.container for e in events if isinstance(e, Checking)}
        assert checking == {"web", "db"}
        last_checking = max(i for i, e in enumerate(events) if isinstance(e, Checking))
        first_checked = min(i for i, e in enumerate(events) if isinstance(e, Checked))
        assert last_checking < kinds.index("pulling") < first_checked
        assert kinds.count("planned") == 1
        assert kinds.index("planned") > max(i for i, k in enumerate(kinds) if k == "checked")
        assert kinds.index("planned") < kinds.index("stopping")
        assert isinstance(events[-1], RunFinished) and isinstance(events[0], RunStarted)

    def test_the_plan_is_told_with_its_totals(self) -> None:
        """Planned counts what the run will do and what its checks found."""
        registry = MemoryRegistry(FixedClock())
        engine = MemoryEngine(registry)
        stale(engine, registry, "db", DB)
        # app depends on db: recreated when db is replaced
        stale(engine, registry, "app", APP, labels={L.DEPENDS_ON: "db"})
        registry.publish(WEB)
        engine.run("web", WEB)  # fresh
        engine.run("pinned", f"{WEB}@sha256:{'0' * 64}")  # skipped
        engine.run("watched", registry.publish("example.org/w:1"),
                   labels={L.MONITOR_ONLY: "true"})  # fmt: skip
        registry.publish("example.org/w:1")  # stale, monitor only
        engine.run("broken", registry.publish("example.org/broken:1"))
        registry.fail("example.org/broken:1", EngineError("no answer"))
        engine.fail("pull", image="example.org/broken:1")  # check and pull fail: failed
        events: list[Event] = []

        report = update(engine, registry, observer=events.append)

        [planned] = [e for e in events if isinstance(e, Planned)]
        assert planned.containers == 6
        assert (planned.to_update, planned.to_restart) == (2, 0)
        assert (planned.fresh, planned.stale, planned.skipped, planned.failed) == (1, 3, 1, 1)
        assert len(report.updated) == 2
        assert planned.to_dict()["to_update"] == 2

    def test_a_dry_run_plans_no_action(self) -> None:
        registry = MemoryRegistry(FixedClock())
        engine = MemoryEngine(registry)
        stale(engine, registry, "web", WEB)
        events: list[Event] = []
        update(engine, registry, observer=events.append, dry_run=True)
        [planned] = [e for e in events if isinstance(e, Planned)]
        assert (planned.to_update, planned.stale) == (0, 1)

    def test_a_restart_for_a_dependency_is_counted(self) -> None:
        registry = MemoryRegistry(FixedClock())
        engine = MemoryEngine(registry)
        stale(engine, registry, "db", DB)
        registry.publish(APP)
        engine.run("app", APP, labels={L.DEPENDS_ON: "db"})
        events: list[Event] = []
        update(engine, registry, observer=events.append)
        [planned] = [e for e in events if isinstance(e, Planned)]
        assert (planned.to_update, planned.to_restart, planned.fresh) == (1, 1, 1)

    def test_plan_tells_its_progress_and_its_totals_before_it_returns(self) -> None:
        registry = MemoryRegistry(FixedClock())
        engine = MemoryEngine(registry)
        stale(engine, registry, "web", WEB)
        events: list[Event] = []

        the_plan = plan(engine, registry, observer=events.append)

        kinds = [e.kind for e in events]
        assert kinds == ["checking", "pulling", "pulled", "checked", "update_available", "planned"]
        assert isinstance(events[-1], Planned) and events[-1].to_update == len(the_plan.actions)
        assert events[2].size == IMAGE_SIZE  # type: ignore[attr-defined]

    def test_a_check_only_plan_pulls_nothing_and_plans_no_action(self) -> None:
        registry = MemoryRegistry(FixedClock())
        engine = MemoryEngine(registry)
        stale(engine, registry, "web", WEB)
        events: list[Event] = []
        plan(engine, registry, observer=events.append, pull=False)
        assert [e.kind for e in events] == [
            "checking", "checked", "planned",
        ]  # fmt: skip
        assert (events[-1].to_update, events[-1].stale) == (0, 1)  # type: ignore[attr-defined]

    def test_a_client_whose_images_carry_no_size_still_works(self) -> None:
        """A ContainerClient of one's own need not know sizes: Pulled says None."""
        registry = MemoryRegistry(FixedClock())
        memory = MemoryEngine(registry)
        stale(memory, registry, "web", WEB)

        class NoSizes:
            def __getattr__(self, name: str) -> Any:
                return getattr(memory, name)

            def pull_image(self, ref: ImageRef) -> Image:
                image = memory.pull_image(ref)
                return Image(image.id, image.repo_digests, image.labels)

        events: list[Event] = []
        report = update(NoSizes(), registry, observer=events.append)  # type: ignore[arg-type]
        [pulled] = [e for e in events if isinstance(e, Pulled)]
        assert pulled.size is None and pulled.to_dict()["size"] is None
        assert len(report.updated) == 1
        assert "size" not in pulled.describe()  # no empty detail in a log line

    def test_a_failed_pull_is_told_as_begun_and_never_as_done(self) -> None:
        registry = MemoryRegistry(FixedClock())
        engine = MemoryEngine(registry)
        stale(engine, registry, "web", WEB)
        engine.fail("pull", image=WEB)
        events: list[Event] = []
        update(engine, registry, observer=events.append)
        kinds = [e.kind for e in events]
        assert "pulling" in kinds and "pulled" not in kinds and "skipped" in kinds


# -- delivery -----------------------------------------------------------------------


def fleet(
    count: int, registry: MemoryRegistry | None = None
) -> tuple[MemoryEngine, MemoryRegistry]:
    registry = registry or MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    for index in range(count):
        stale(engine, registry, f"c{index}", f"example.org/app{index}:1")
    return engine, registry


class TestDelivery:
    def test_a_slow_observer_gets_every_event_in_the_order_emitted_before_update_returns(
        self,
    ) -> None:
        engine, registry = fleet(6)
        seen = Recorder(delay=0.01)

        report = update(engine, registry, UpdateParams(update_concurrency=3), observer=seen.lanes)

        assert len(report.updated) == 6
        assert seen.delivered == seen.emitted
        assert isinstance(seen.delivered[-1], RunFinished)
        assert len(seen.delivered) > 6 * 4  # checks, pulls, stops and starts of six

    def test_no_thread_that_acts_on_a_container_calls_the_observer(self) -> None:
        engine, registry = fleet(4)
        seen = Recorder()
        update(engine, registry, UpdateParams(update_concurrency=4), observer=seen.lanes)
        assert seen.threads == {"watchtower-events"}
        assert threading.current_thread().name != "watchtower-events"

    def test_a_slow_observer_adds_no_downtime(self) -> None:
        """The stop-to-start gap stays the engine's own with an observer taking 0.3 s an event."""
        gaps = {}
        for delay in (0.0, 0.3):
            memory, registry = fleet(1)
            engine = Timed(memory)
            observer = Recorder(delay).lanes.queued
            update(engine, registry, observer=observer)  # type: ignore[arg-type]
            gaps[delay] = engine.gap("c0")
        # Stopped is told inside the window: told in line, it would add 0.3 s.
        assert gaps[0.3] < 0.1, gaps
        assert gaps[0.3] < gaps[0.0] + 0.1, gaps

    def test_the_prompt_lane_hears_of_a_stop_before_it_begins(self) -> None:
        engine, registry = fleet(1)
        stops_when_told: list[int] = []

        def prompt(event: Event) -> None:
            if isinstance(event, Stopping):
                stops_when_told.append(len(engine.stops))

        update(engine, registry, observer=Observers(prompt=prompt))
        assert stops_when_told == [0]

    def test_the_prompt_lane_is_not_held_up_by_a_slow_queued_one(self) -> None:
        engine, registry = fleet(1)
        told: dict[str, float] = {}

        def prompt(event: Event) -> None:
            told.setdefault(event.kind, time.monotonic())

        def slow(event: Event) -> None:
            time.sleep(0.2)

        update(engine, registry, observer=Observers(prompt=prompt, queued=slow))
        assert told["started"] - told["stopping"] < 0.2 * 3

    def test_an_observer_that_fails_is_logged_once_per_run(self, caplog: Any) -> None:
        engine, registry = fleet(2)

        def broken(event: Event) -> None:
            raise RuntimeError("observer bug")

        report = update(engine, registry, observer=broken)
        assert len(report.updated) == 2
        assert sum("The observer failed" in r.getMessage() for r in caplog.records) == 1

    def test_events_emitted_outside_a_run_are_told_at_once(self) -> None:
        """An emitter that is not opened for a run calls the observer in line, as before."""
        from watchtower._emitter import Emitter

        seen: list[tuple[str, str]] = []
        emit = Emitter(
            lambda e: seen.append((e.kind, threading.current_thread().name)), FixedClock()
        )
        emit(RunStarted(at=emit.now()))
        assert seen == [("run_started", threading.current_thread().name)]

    def test_the_delivery_thread_ends_with_the_run(self) -> None:
        engine, registry = fleet(2)
        update(engine, registry, observer=lambda event: None)
        plan(engine, registry, observer=lambda event: None)
        assert not [t for t in threading.enumerate() if t.name == "watchtower-events"]


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    count=st.integers(min_value=0, max_value=6),
    stale_ones=st.sets(st.integers(min_value=0, max_value=5)),
    depends=st.dictionaries(
        st.integers(min_value=1, max_value=5), st.integers(min_value=0, max_value=4), max_size=3
    ),
    failing=st.sets(st.sampled_from(["pull", "stop", "create", "start"]), max_size=2),
    concurrency=st.integers(min_value=1, max_value=4),
    delays=st.lists(st.sampled_from([0.0, 0.0, 0.001]), min_size=1, max_size=4),
    dry_run=st.booleans(),
)
def test_the_observer_sees_exactly_the_emitted_sequence(
    count: int,
    stale_ones: set[int],
    depends: dict[int, int],
    failing: set[str],
    concurrency: int,
    delays: list[float],
    dry_run: bool,
) -> None:
    """For random fleets, plans, faults and observer speeds, nothing is lost, added or reordered."""
    registry = MemoryRegistry(FixedClock())
    engine = MemoryEngine(registry)
    for index in range(count):
        image = f"example.org/app{index}:1"
        registry.publish(image)
        on = depends.get(index)
        labels = {L.DEPENDS_ON: f"c{on}"} if on is not None and on < index else {}
        engine.run(f"c{index}", image, labels=labels)
        if index in stale_ones:
            registry.publish(image)
    for step in failing:
        if count and step == "pull":
            engine.fail("pull", image="example.org/app0:1")
        elif count:
            engine.fail(step, f"c{count - 1}")
    calls = iter(range(10**6))
    emitted: list[Event] = []
    delivered: list[Event] = []

    def queued(event: Event) -> None:
        delay = delays[next(calls) % len(delays)]
        if delay:
            time.sleep(delay)
        delivered.append(event)

    update(
        engine,
        registry,
        UpdateParams(update_concurrency=concurrency),
        observer=Observers(prompt=emitted.append, queued=queued),
        dry_run=dry_run,
    )

    assert delivered == emitted
    assert isinstance(delivered[0], RunStarted) and isinstance(delivered[-1], RunFinished)
    assert sum(isinstance(e, Planned) for e in delivered) == 1
    # Each start is told after the plan, never before it.
    planned_at = next(i for i, e in enumerate(delivered) if isinstance(e, Planned))
    assert all(i > planned_at for i, e in enumerate(delivered) if isinstance(e, Started))


def test_a_run_over_hosts_keeps_the_lanes_apart_and_names_each_host() -> None:
    """Each host's events reach both lanes with the host named, in each host's own order."""
    registry = MemoryRegistry(FixedClock())
    engines = {}
    for host in ("one", "two"):
        engines[host], _ = fleet(2, registry)
    seen = Recorder(delay=0.005)

    result = update_hosts(engines, registry, observer=seen.lanes, concurrency=2)

    assert len(result.total.updated) == 4
    for host in ("one", "two"):
        emitted = [e for e in seen.emitted if e.host == host]
        assert emitted and emitted == [e for e in seen.delivered if e.host == host]
        assert isinstance(emitted[-1], RunFinished)
    assert all(e.host for e in seen.delivered)
