"""One run at a time, porcelain output and serve() on memory."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Sequence
from datetime import timedelta

import pytest

from watchtower import update, update_hosts
from watchtower.cli.config import load
from watchtower.cli.daemon import serve
from watchtower.cli.metrics import Metrics, Scan
from watchtower.cli.runner import Runner
from watchtower.errors import ConfigurationError, NotificationError
from watchtower.events import Event
from watchtower.fleet import Fleet
from watchtower.model import Container
from watchtower.params import UpdateParams
from watchtower.porcelain import porcelain
from watchtower.report import Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

from .support import DB, WEB, GatedEngine, make_runner

LOG = logging.getLogger("watchtower.test")


def test_a_tick_during_a_run_is_skipped_and_counted(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    engine = GatedEngine(registry)
    runner = make_runner(engine, registry, clock)
    engine.hold()
    assert runner.start() is True
    assert engine.entered.wait(10)
    assert runner.start() is False  # the scheduled tick finds the run going
    engine.let_go()
    assert runner.wait_idle(timedelta(seconds=30))
    assert runner.metrics.value("watchtower_scans_skipped_total") == 1
    assert runner.metrics.value("watchtower_scans_total") == 2


def test_a_failed_listing_is_logged_not_raised(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    engine.fail("list")
    runner = make_runner(engine, registry, clock)
    assert runner.run() is None
    assert runner.metrics.last is None


def test_notifications_go_through_deliver_and_each_failed_service_is_counted(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    _stale(engine, registry, "web", WEB)
    sent: list[Report] = []
    began: list[int] = []

    class Notes:
        def notify(self, report: Report) -> None:
            sent.append(report)

    class Down:
        def notify(self, report: Report) -> None:
            raise NotificationError("two services are down", failed=2)

    runner = Runner(
        engine,
        registry,
        load([], {}).params,
        metrics=Metrics(clock=clock),
        logger=LOG,
        clock=clock,
        notifiers=[Notes(), Down()],
        on_start=lambda: began.append(1),
    )
    report = runner.run()
    assert report is not None and began == [1]
    assert [r.entries for r in sent] == [report.entries]
    assert [e.name for e in report.updated] == ["web"]
    assert report.failed_notifications == 2
    assert runner.metrics.value("watchtower_notifications_failed_total") == 2
    runner.run()
    assert runner.metrics.value("watchtower_notifications_failed_total") == 4


def _stale(engine: MemoryEngine, registry: MemoryRegistry, name: str, ref: str) -> None:
    registry.publish(ref)
    engine.run(name, ref)
    registry.publish(ref)


def test_porcelain_v1_and_json(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    _stale(engine, registry, "web", WEB)
    registry.publish(DB)
    engine.run("db", DB)
    report = update(engine, registry, load(["-m"], {}).params)
    assert sorted(porcelain(report, "v1").splitlines()) == [
        "db (example.org/db:1): Fresh",
        "web (example.org/web:1): Stale",
    ]
    data = json.loads(porcelain(report, "json"))
    by_name = {c["name"]: c for c in data["containers"]}
    web = by_name["web"]
    assert (web["name"], web["state"], web["update_available"]) == ("web", "Stale", True)
    assert len(web["image_id"]) == 12 and web["image_id"] != web["latest_image_id"]
    assert by_name["db"]["update_available"] is False


def test_porcelain_names_the_host_of_each_entry_over_several(registry: MemoryRegistry) -> None:
    engines = {"a": MemoryEngine(registry), "b": MemoryEngine(registry)}
    for engine in engines.values():
        _stale(engine, registry, "web", WEB)
    report = update_hosts(engines, registry, load(["-m"], {}).params).total
    assert sorted(porcelain(report, "v1").splitlines()) == [
        "a/web (example.org/web:1): Stale",
        "b/web (example.org/web:1): Stale",
    ]
    data = json.loads(porcelain(report, "json"))
    assert sorted((c["host"], c["name"]) for c in data["containers"]) == [
        ("a", "web"),
        ("b", "web"),
    ]


def test_a_run_on_one_host_of_a_fleet_leaves_the_others_alone(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    engines = {"a": MemoryEngine(registry), "b": MemoryEngine(registry)}
    for engine in engines.values():
        _stale(engine, registry, "web", WEB)
    before = {host: engine.container("web").image_id for host, engine in engines.items()}
    runner = Runner(Fleet.of(engines), registry, UpdateParams(), metrics=Metrics(clock=clock),
                    logger=LOG, clock=clock)  # fmt: skip
    report = runner.run(host="b")
    assert report is not None
    assert [(e.host, e.name) for e in report.updated] == [("b", "web")]
    assert engines["a"].container("web").image_id == before["a"]
    assert engines["b"].container("web").image_id != before["b"]
    with pytest.raises(ConfigurationError, match=r"There is no host 'c' \(the hosts: a, b\)\."):
        runner.run(host="c")


def test_porcelain_v1_without_containers(engine: MemoryEngine, registry: MemoryRegistry) -> None:
    assert porcelain(update(engine, registry), "v1") == "no containers matched filter"


def test_run_once_updates_and_prints_porcelain(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    _stale(engine, registry, "web", WEB)
    out = io.StringIO()
    code = serve(
        load(["--run-once", "--porcelain", "v1"], {}),
        engine,
        registry,
        logger=LOG,
        stop=threading.Event(),
        stdout=out,
        clock=clock,
    )
    assert code == 0
    assert out.getvalue() == "web (example.org/web:1): Updated\n"
    assert engine.container("web").image_id == registry.served(WEB)[1]


def test_serve_keeps_the_schedule_until_stopped(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    _stale(engine, registry, "web", WEB)
    stop = threading.Event()
    recorded = threading.Event()

    class SignallingMetrics(Metrics):
        def record(self, report: Report) -> Scan:
            scan = super().record(report)
            recorded.set()
            return scan

    metrics = SignallingMetrics(clock=clock)
    done: list[int] = []
    config = load(["--update-on-start", "--interval", "3600", "--no-startup-message"], {})
    thread = threading.Thread(
        target=lambda: done.append(
            serve(config, engine, registry, logger=LOG, stop=stop, clock=clock, metrics=metrics)
        )
    )
    thread.start()
    try:
        # update-on-start runs at once; the next tick is an hour away on this clock.
        assert recorded.wait(30)
    finally:
        stop.set()
        thread.join(30)
    assert done == [0]
    assert metrics.last is not None and metrics.last.updated == 1


class _Messages(logging.Handler):
    """The messages logged to LOG, from info up, while in a ``with`` block."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[str] = []

    def __enter__(self) -> _Messages:
        self.level_before = LOG.level
        LOG.setLevel(logging.INFO)
        LOG.addHandler(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        LOG.removeHandler(self)
        LOG.setLevel(self.level_before)

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def _serving(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock, args: list[str]
) -> tuple[threading.Thread, threading.Event, list[int]]:
    stop, done = threading.Event(), []
    config = load([*args, "--interval", "3600", "--no-startup-message"], {})
    thread = threading.Thread(
        target=lambda: done.append(
            serve(config, engine, registry, logger=LOG, stop=stop, clock=clock)
        )
    )
    thread.start()
    return thread, stop, done


def test_an_idle_stop_says_it_is_stopping_and_no_more(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    with _Messages() as said:
        thread, stop, done = _serving(engine, registry, clock, [])
        stop.set()
        thread.join(30)
    assert done == [0]
    assert "Stopping" in said.messages
    assert not [m for m in said.messages if "waiting" in m]


class _RunGatedEngine(GatedEngine):
    """Holds the listings of runs only, not those of the start-up's housekeeping."""

    def list_containers(
        self, *, include_stopped: bool = False, include_restarting: bool = False
    ) -> Sequence[Container]:
        if threading.current_thread().name != "watchtower-run":
            return MemoryEngine.list_containers(
                self, include_stopped=include_stopped, include_restarting=include_restarting
            )
        return super().list_containers(
            include_stopped=include_stopped, include_restarting=include_restarting
        )


def test_a_stop_during_a_run_says_it_waits_for_it(
    registry: MemoryRegistry, clock: FixedClock
) -> None:
    engine = _RunGatedEngine(registry)
    _stale(engine, registry, "web", WEB)
    engine.hold()
    with _Messages() as said:
        try:
            thread, stop, done = _serving(engine, registry, clock, ["--update-on-start"])
            assert engine.entered.wait(30)  # the run is under way
            stop.set()
            for _ in range(3000):  # until the stop is told; then the run may end
                if any(m.startswith("Stopping") for m in said.messages):
                    break
                threading.Event().wait(0.01)
        finally:
            engine.let_go()
        thread.join(30)
    assert done == [0]
    assert "Stopping: waiting for a running update to finish" in said.messages
    assert "Stopping" not in said.messages
    assert engine.container("web").image_id == registry.served(WEB)[1]  # the run finished


def test_each_run_says_what_started_it_in_its_report_and_history(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    from watchtower.history import MemoryHistory

    _stale(engine, registry, "web", WEB)
    history = MemoryHistory()
    runner = Runner(
        engine,
        registry,
        load([], {}).params,
        metrics=Metrics(clock=clock),
        logger=LOG,
        clock=clock,
        history=history,
    )
    report = runner.run(trigger="api")
    assert report is not None and report.trigger == "api"
    assert runner.start(trigger="schedule") and runner.wait_idle(timedelta(seconds=30))
    assert [run.trigger for run in history.runs()] == ["schedule", "api"]  # newest first


class _Said(logging.Handler):
    """Each message the runner logs, with when it was logged and how many stops were done."""

    def __init__(self, engine: MemoryEngine) -> None:
        super().__init__(logging.DEBUG)
        self.engine = engine
        self.said: dict[str, tuple[float, int]] = {}

    def emit(self, record: logging.LogRecord) -> None:
        self.said.setdefault(record.getMessage(), (time.monotonic(), len(self.engine.stops)))


def test_log_lines_precede_their_action_and_a_slow_observer_holds_no_container_down(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """The runner logs on the run's own threads; its other observers are told from its queue."""
    _stale(engine, registry, "web", WEB)
    runner = make_runner(engine, registry, clock)
    told: list[str] = []

    def slow(event: Event) -> None:
        time.sleep(0.3)
        told.append(event.kind)

    runner.add_observer(slow)
    said = _Said(engine)
    level = LOG.level
    LOG.addHandler(said)
    LOG.setLevel(logging.DEBUG)
    try:
        report = runner.run()
    finally:
        LOG.removeHandler(said)
        LOG.setLevel(level)

    assert report is not None and len(report.updated) == 1
    _, stops_before = said.said["Stopping container"]
    stopped_at, stops_after = said.said["Container stopped"]
    started_at, _ = said.said["Started new container"]
    assert (stops_before, stops_after) == (0, 1)  # the line came before the stop
    assert started_at - stopped_at < 0.1  # told in line, the observer would add 0.3 s or more
    assert told[-1] == "run_finished" and "stopping" in told  # all of it, before run() returned
