"""The self-update on memory: housekeeping, scope from the label, the predecessor's exit."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

import pytest

from watchtower import labels
from watchtower.cli.config import load
from watchtower.cli.daemon import serve
from watchtower.cli.selfupdate import (
    container_id,
    effective_scope,
    has_successor,
    housekeeping,
    is_aside,
)
from watchtower.model import Container, ContainerState
from watchtower.repair import aside_name
from watchtower.report import Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

LOG = logging.getLogger("watchtower.test")
WT = "example.org/watchtower:1"
APP = "example.org/app:1"


def _watchtower(
    engine: MemoryEngine,
    name: str,
    scope: str = "",
    state: ContainerState = ContainerState.RUNNING,
) -> Container:
    tags = {labels.WATCHTOWER: "true", **({labels.SCOPE: scope} if scope else {})}
    return engine.run(name, WT, labels=tags, state=state)


@pytest.fixture
def fleet(engine: MemoryEngine, registry: MemoryRegistry) -> Container:
    """The current instance, leftovers of its scope, and what is not its business."""
    registry.publish(WT)
    current = _watchtower(engine, "watchtower")
    _watchtower(engine, "watchtower-watchtower-old-0123456789ab", state=ContainerState.EXITED)
    _watchtower(engine, "never-started", state=ContainerState.CREATED)
    _watchtower(engine, "sibling")  # another instance of the same scope
    _watchtower(engine, "other-watchtower-old-0123456789ab", scope="elsewhere")
    engine.run("x-watchtower-old-0123456789ab", WT)  # not labelled
    return current


def test_the_current_instance_removes_every_other_one_of_its_scope(
    engine: MemoryEngine, fleet: Container
) -> None:
    removed = housekeeping(engine, "", fleet, wait=timedelta(0))
    assert sorted(removed) == ["never-started", "sibling", "watchtower-watchtower-old-0123456789ab"]
    assert engine.names() == {
        "watchtower",
        "other-watchtower-old-0123456789ab",
        "x-watchtower-old-0123456789ab",
    }
    assert [s[0] for s in engine.stops] == ["sibling"]  # only what ran was stopped


def test_outside_a_container_only_leftovers_are_removed(
    engine: MemoryEngine, fleet: Container
) -> None:
    removed = housekeeping(engine, "", None, wait=timedelta(0))
    assert sorted(removed) == ["never-started", "watchtower-watchtower-old-0123456789ab"]
    assert "sibling" in engine.names()


def test_cleanup_keeps_the_image_the_current_instance_runs(
    engine: MemoryEngine, fleet: Container
) -> None:
    housekeeping(engine, "", fleet, wait=timedelta(0), cleanup=True)
    assert fleet.image_id in engine.images()


def test_a_running_predecessor_is_waited_for_until_it_stops(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WT)
    current = _watchtower(engine, "watchtower")
    old = _watchtower(engine, "watchtower-watchtower-old-0123456789ab")
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        clock.advance(timedelta(seconds=seconds))
        if len(naps) == 3:  # the predecessor ends its run and stops its container
            engine.stop_container(
                engine.get_container(old.id), signal="SIGTERM", timeout=timedelta(0)
            )

    stops_before = len(engine.stops)
    removed = housekeeping(engine, "", current, wait=timedelta(minutes=1), clock=clock, sleep=sleep)
    assert removed == [old.name]
    assert len(naps) == 3
    assert len(engine.stops) == stops_before + 1  # its own stop, none from the successor


def test_the_wait_for_a_predecessor_is_bounded(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WT)
    current = _watchtower(engine, "watchtower")
    _watchtower(engine, "watchtower-watchtower-old-0123456789ab")
    naps: list[float] = []

    def sleep(seconds: float) -> None:
        naps.append(seconds)
        clock.advance(timedelta(seconds=seconds))

    removed = housekeeping(engine, "", current, wait=timedelta(seconds=5), clock=clock, sleep=sleep)
    assert removed == ["watchtower-watchtower-old-0123456789ab"]
    assert sum(naps) == pytest.approx(5)
    assert engine.stops[-1][:2] == ("watchtower-watchtower-old-0123456789ab", "SIGTERM")


@pytest.mark.parametrize(
    ("flag", "label", "scope"),
    [("", "", ""), ("", "blue", "blue"), ("green", "blue", "green"), ("", "none", "")],
)
def test_the_scope_comes_from_the_own_label_without_a_flag(
    engine: MemoryEngine, registry: MemoryRegistry, flag: str, label: str, scope: str
) -> None:
    registry.publish(WT)
    own = _watchtower(engine, "watchtower", scope=label)
    assert effective_scope(flag, own) == scope
    assert effective_scope(flag, None) == flag


def test_a_replaced_instance_finishes_its_run_and_stops_its_container(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WT)
    registry.publish(APP)
    own = _watchtower(engine, "watchtower", scope="blue")
    engine.run("app", APP, labels={labels.SCOPE: "blue"})
    engine.run("elsewhere", APP)  # not in the scope the label gives
    registry.publish(WT)
    registry.publish(APP)
    reports: list[Report] = []

    class Notes:
        names = ("test",)

        def notify(self, report: Report) -> None:
            reports.append(report)

        def begin(self) -> None:
            pass

        def startup(self, message: str) -> None:
            pass

    stop = threading.Event()
    code = serve(
        load(["--update-on-start", "--interval", "3600", "--no-startup-message"], {}),
        engine,
        registry,
        logger=LOG,
        stop=stop,
        clock=clock,
        notifications=Notes(),  # type: ignore[arg-type]
        current_id=own.id,
    )
    assert code == 0  # it returned by itself: the report said it was replaced
    assert [(e.name, e.outcome.value) for e in reports[0]] == [
        ("app", "updated"),
        ("watchtower", "updated"),
    ]
    aside = engine.get_container(own.id)
    assert aside.name.startswith("watchtower-watchtower-old-")
    assert aside.state is ContainerState.EXITED  # stopped through the engine
    assert engine.container("watchtower").state is ContainerState.RUNNING
    assert engine.container("elsewhere").image_id != engine.container("app").image_id


def test_an_instance_renamed_aside_stands_down(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WT)
    old = _watchtower(engine, "watchtower-in-flight")
    engine.rename_container(old.id, aside_name("watchtower", old.id, running=True))
    old = engine.get_container(old.id)
    _watchtower(engine, "watchtower")  # its successor runs
    stop = threading.Event()
    code = serve(
        load(["--interval", "3600"], {}),
        engine,
        registry,
        logger=LOG,
        stop=stop,
        clock=clock,
        current_id=old.id,
    )
    assert code == 0
    assert stop.is_set()
    assert engine.get_container(old.id).state is ContainerState.EXITED


class _Records(logging.Handler):
    """The records logged to LOG, from info up, while in a ``with`` block."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def __enter__(self) -> _Records:
        self.level_before = LOG.level
        LOG.setLevel(logging.INFO)
        LOG.addHandler(self)
        return self

    def __exit__(self, *_exc: object) -> None:
        LOG.removeHandler(self)
        LOG.setLevel(self.level_before)

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


SKIPPING = "Skipping Watchtower self-update in run-once mode"  # Watchtower's words


def test_run_once_neither_replaces_watchtower_nor_removes_instances_and_says_why(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    registry.publish(WT)
    registry.publish(APP)
    own = _watchtower(engine, "watchtower")
    _watchtower(engine, "sibling")
    engine.run("app", APP)
    registry.publish(WT)
    registry.publish(APP)
    with _Records() as logged:
        code = serve(
            load(["--run-once"], {}),
            engine,
            registry,
            logger=LOG,
            stop=threading.Event(),
            clock=clock,
            current_id=own.id,
        )
    assert code == 0
    assert engine.names() == {"watchtower", "sibling", "app"}
    assert engine.container("watchtower").id == own.id
    assert engine.container("app").image_id == registry.served(APP)[1]  # the others are updated
    said = [r for r in logged.records if r.getMessage() == SKIPPING]
    assert sorted(vars(r)["container"] for r in said) == ["sibling", "watchtower"]
    assert all(r.levelno == logging.INFO for r in said)
    assert {vars(r)["reason"] for r in said} == {
        "a one-off run (--run-once) does not update watchtower's own container; "
        "run without --run-once to let it update itself, or update it by hand"
    }


ID = "4f1c" * 16


@pytest.mark.parametrize(
    ("mountinfo", "hostname", "expected"),
    [
        (
            f"612 590 0:45 /var/lib/docker/containers/{ID}/hostname /etc/hostname rw - ext4 x rw\n",
            "myhost",
            ID,
        ),
        (f"1 2 8:1 /data/containers/{ID}/resolv.conf /etc/resolv.conf rw - ext4 x rw\n", None, ID),
        ("25 1 0:22 / /proc rw - proc proc rw\n", "0123456789ab", "0123456789ab"),
        ("", "", None),
        (f"1 2 8:1 /containers/{ID}/data /data rw - ext4 x rw\n", None, None),
    ],
)
def test_the_own_container_id_comes_from_the_mount_table(
    mountinfo: str, hostname: str | None, expected: str | None
) -> None:
    assert container_id(mountinfo, hostname) == expected


def test_an_instance_aside_without_a_successor_was_cut_short_and_stays(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    # Killed in the middle of its own replacement: the repair gives it its name back.
    registry.publish(WT)
    old = _watchtower(engine, "watchtower-in-flight")
    engine.rename_container(old.id, aside_name("watchtower", old.id, running=True))
    old = engine.get_container(old.id)
    assert is_aside(old)
    assert not has_successor(engine.containers(), old)
    successor = _watchtower(engine, "watchtower", state=ContainerState.EXITED)
    assert not has_successor(engine.containers(), old)  # not running: no successor
    engine.start_container(successor.id)
    assert has_successor(engine.containers(), old)
