"""A run and the maintenance windows: checked always, replaced only inside a window."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from watchtower import UpdateParams, plan, update
from watchtower import labels as L
from watchtower.history import MemoryHistory
from watchtower.report import Outcome
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry
from watchtower.windows import is_open, parse_windows

WEB, DB = "example.org/web:1", "example.org/db:1"
UTC = timezone.utc
# 2026-01-01, the fixtures' clock, is a Thursday.
THURSDAY_NOON = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
SATURDAY = UpdateParams(windows=parse_windows("Sat 02:00/4h", zone=UTC))


@pytest.fixture
def clock() -> FixedClock:
    """The fixtures' clock, at noon."""
    return FixedClock(THURSDAY_NOON)


def stale(
    engine: MemoryEngine, registry: MemoryRegistry, name: str, ref: str, **run: object
) -> None:
    registry.publish(ref)
    engine.run(name, ref, **run)  # type: ignore[arg-type]
    registry.publish(ref)


def test_outside_its_window_a_stale_container_is_checked_not_replaced(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """The report says it is stale and when its window opens; the container runs on."""
    stale(engine, registry, "web", WEB)
    before = engine.container("web").id
    entry = update(engine, registry, SATURDAY, clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.STALE
    assert entry.reason == "waits for the window that opens Sat 2026-01-03 02:00 UTC"
    assert entry.next_due == datetime(2026, 1, 3, 2, 0, tzinfo=UTC)
    assert engine.container("web").id == before
    assert engine.count("stop") == 0


def test_inside_its_window_it_is_replaced(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    stale(engine, registry, "web", WEB)
    clock.advance(timedelta(days=1, hours=14, minutes=30))
    assert clock().strftime("%a %H:%M") == "Sat 02:30"
    entry = update(engine, registry, SATURDAY, clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.UPDATED


def test_the_plan_says_when_the_window_opens(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    stale(engine, registry, "web", WEB, labels={L.WINDOW: "TZ=Europe/Berlin Fri 22:00/1h"})
    entry = plan(engine, registry, clock=clock).entry("web")
    assert entry.action.value == "none"
    assert entry.reason == "waits for the window that opens Fri 2026-01-02 22:00 CET"


def test_a_label_window_comes_before_the_flags(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """The label's window replaces the global one; ``always`` lifts it for one container."""
    stale(engine, registry, "web", WEB, labels={L.WINDOW: "Thu 11:00/2h"})
    stale(engine, registry, "db", DB, labels={L.WINDOW: "always"})
    params = UpdateParams(windows=SATURDAY.windows, zone=UTC)
    report = update(engine, registry, params, clock=clock)
    assert report.get("web").outcome is Outcome.UPDATED  # type: ignore[union-attr]
    assert report.get("db").outcome is Outcome.UPDATED  # type: ignore[union-attr]


def test_a_label_window_without_a_zone_reads_the_parameters_zone(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """``TZ`` of the command line (``UpdateParams.zone``) is the zone of label windows."""
    import zoneinfo

    stale(engine, registry, "web", WEB, labels={L.WINDOW: "11:50/20m"})
    # Read in UTC it would be open at noon; in Berlin it closed at 11:10 UTC.
    params = UpdateParams(zone=zoneinfo.ZoneInfo("Europe/Berlin"))
    entry = update(engine, registry, params, clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.STALE
    assert "opens Fri 2026-01-02 11:50 CET" in entry.reason


def test_a_forced_run_replaces_outside_the_window(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    stale(engine, registry, "web", WEB)
    params = UpdateParams(windows=SATURDAY.windows, ignore_windows=True)
    entry = update(engine, registry, params, clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.UPDATED


def test_an_unreadable_window_label_is_one_sentence_and_closes_the_window(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """A typo in a window must not let the container be replaced at any time."""
    stale(engine, registry, "web", WEB, labels={L.WINDOW: "Sut 02:00/4h"})
    entry = update(engine, registry, clock=clock).get("web")
    assert entry is not None and entry.outcome is Outcome.STALE
    assert entry.reason == "waits: its window label cannot be read"
    assert entry.warnings == (
        f"Container 'web' has label {L.WINDOW}='Sut 02:00/4h', which cannot be read "
        "(window 'Sut 02:00/4h': 'Sut' is not a day of the week (Mon to Sun) or a range "
        "of them (Mon-Fri)); it is checked but not replaced until the label is fixed.",
    )


def test_a_dependent_outside_its_window_is_not_restarted(
    engine: MemoryEngine, registry: MemoryRegistry, clock: FixedClock
) -> None:
    """Restarting recreates a container too: outside its window it is left running."""
    stale(engine, registry, "db", DB)
    registry.publish(WEB)
    engine.run("web", WEB, links=["db"], labels={L.WINDOW: "Sat 02:00/4h"})
    before = engine.container("web").id
    report = update(engine, registry, clock=clock)
    assert report.get("db").outcome is Outcome.UPDATED  # type: ignore[union-attr]
    assert report.get("web").outcome is Outcome.FRESH  # type: ignore[union-attr]
    assert engine.container("web").id == before


WINDOW_TEXTS = st.sampled_from(
    [
        "always",
        "Sat 02:00/4h",
        "02:00/30m",
        "Mon-Fri 22:30/90m",
        "Thu 11:00/2h",
        "TZ=Europe/Berlin Thu 12:00/1h",
        "TZ=America/New_York 06:59/1m",
        "Fri-Mon 23:00/2d",
        "Sut 02:00/4h",  # unreadable: closed
    ]
)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.tuples(st.booleans(), st.none() | WINDOW_TEXTS), min_size=1, max_size=4),
    st.none() | st.sampled_from(["Sat 02:00/4h", "12:00/1m", "Wed-Fri 08:00/2d"]),
    st.integers(0, 14 * 24 * 60),
    st.booleans(),
)
def test_a_container_is_never_replaced_outside_its_windows(
    containers: list[tuple[bool, str | None]],
    global_window: str | None,
    minutes: int,
    linked: bool,
) -> None:
    """Whatever the windows, the labels and the time, every container the run replaced
    or restarted had a window open at the run's time, and every stale one inside an
    open window without dependencies was replaced."""
    clock = FixedClock(THURSDAY_NOON + timedelta(minutes=minutes))
    registry = MemoryRegistry(clock)
    engine = MemoryEngine(registry)
    params = UpdateParams(
        windows=parse_windows(global_window, zone=UTC) if global_window else (), zone=UTC
    )
    names = []
    for number, (is_stale, label) in enumerate(containers):
        name, ref = f"c{number}", f"example.org/app{number}:1"
        labels = {L.WINDOW: label} if label else {}
        links = [names[-1]] if linked and names else []
        registry.publish(ref)
        engine.run(name, ref, labels=labels, links=links)
        if is_stale:
            registry.publish(ref)
        names.append(name)
    now = clock()
    report = update(engine, registry, params, clock=clock)
    for (is_stale, label), name in zip(containers, names, strict=True):
        entry = report.get(name)
        assert entry is not None
        if label == "always":
            windows: tuple[object, ...] = ()
        elif label == "Sut 02:00/4h":
            windows = ("closed",)
        elif label:
            windows = parse_windows(label, zone=UTC)
        else:
            windows = params.windows
        opened = windows != ("closed",) and is_open(windows, now)  # type: ignore[arg-type]
        if entry.outcome in (Outcome.UPDATED, Outcome.RESTARTED, Outcome.FAILED):
            assert opened, f"{name} was replaced outside its windows at {now}"
        if is_stale and opened and not linked:
            assert entry.outcome is Outcome.UPDATED
        if is_stale and not opened:
            assert entry.outcome is Outcome.STALE and entry.reason.startswith("waits")


def test_an_approved_update_outside_its_window_runs_when_the_window_opens() -> None:
    """Approval and window together: approved now, replaced only once the window is open."""
    registry = MemoryRegistry()
    engine = MemoryEngine(registry)
    clock = FixedClock()  # Thursday 2026-01-01 00:00 UTC
    registry.publish("example.org/web:1")
    engine.run("web", "example.org/web:1", labels={L.POLICY: "approve", L.WINDOW: "Sat 02:00/4h"})
    registry.publish("example.org/web:1")
    before = engine.container("web").image_id
    history = MemoryHistory(clock=clock)
    params = UpdateParams(zone=timezone.utc)
    first = update(engine, registry, params, history=history, clock=clock).get("web")
    assert first is not None and "waits for approval" in first.reason
    history.decide("web", "", True)
    approved = update(engine, registry, params, history=history, clock=clock).get("web")
    assert approved is not None and approved.outcome is Outcome.STALE
    assert "waits for the window that opens Sat 2026-01-03 02:00 UTC" in approved.reason
    assert engine.container("web").image_id == before
    clock.advance(timedelta(days=2, hours=2, minutes=30))  # Saturday 02:30, inside it
    opened = update(engine, registry, params, history=history, clock=clock).get("web")
    assert opened is not None and opened.outcome is Outcome.UPDATED
    assert engine.container("web").image_id != before
