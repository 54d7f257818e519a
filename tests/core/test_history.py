"""The history's contract, held by both implementations: what is kept, in which order, paging."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from watchtower import update, update_hosts
from watchtower.errors import HistoryError
from watchtower.events import Event, Failed, Step
from watchtower.history import (
    CHANGED,
    Change,
    History,
    Hold,
    MemoryHistory,
    Run,
    SqliteHistory,
    held_on,
)
from watchtower.push import PushEvent, update_pushed
from watchtower.report import ContainerReport, Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

WEB = "example.org/web:1"
T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)

Make = Callable[..., History]


@pytest.fixture(params=["memory", "sqlite"])
def make(request: pytest.FixtureRequest, tmp_path: Path) -> Make:
    """A factory of empty histories of one kind; the SQLite ones each in a file of their own."""
    files = iter(range(1_000_000))

    def made(**kwargs: object) -> History:
        if request.param == "memory":
            return MemoryHistory(**kwargs)  # type: ignore[arg-type]
        return SqliteHistory(tmp_path / f"h{next(files)}.db", **kwargs)  # type: ignore[arg-type]

    return made


def entry(
    name: str, outcome: Outcome, *, host: str = "", n: int = 0, **kw: object
) -> ContainerReport:
    return ContainerReport(
        id=f"id-{name}",
        name=name,
        image=f"example.org/{name}:1",
        old_image_id=f"sha256:old{n}",
        new_image_id=f"sha256:new{n}",
        outcome=outcome,
        host=host,
        **kw,  # type: ignore[arg-type]
    )


def report(*entries: ContainerReport, at: datetime = T0, **kw: object) -> Report:
    return Report(entries=entries, started_at=at, finished_at=at + timedelta(seconds=3), **kw)  # type: ignore[arg-type]


# What is kept ---------------------------------------------------------------


def test_a_run_is_kept_with_its_counts_and_the_entries_that_changed(make: Make) -> None:
    history = make()
    history.record(
        report(
            entry("web", Outcome.UPDATED, reason=""),
            entry("db", Outcome.FRESH),
            entry("cache", Outcome.FAILED, reason="start failed", rolled_back=True),
            entry("side", Outcome.RESTARTED),
            entry("odd", Outcome.SKIPPED, reason="no registry"),
            entry("mon", Outcome.STALE),
            trigger="push",
        )
    )
    [run] = history.runs()
    assert run == Run(
        id=run.id,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=3),
        trigger="push",
        scanned=5,
        updated=1,
        failed=1,
        restarted=1,
        skipped=1,
    )
    changes = history.changes()
    assert [c.container for c in changes] == ["side", "cache", "web"]  # newest first
    cache = changes[1]
    assert cache.outcome == "failed" and cache.reason == "start failed" and cache.rolled_back
    assert cache.run == run.id and cache.at == run.finished_at and cache.trigger == "push"
    assert (cache.old_image_id, cache.new_image_id) == ("sha256:old0", "sha256:new0")
    assert (cache.old_version, cache.new_version, cache.notes) == ("", "", "")


def test_a_dry_run_is_a_run_with_no_changes(make: Make) -> None:
    history = make()
    history.record(report(entry("web", Outcome.STALE), dry_run=True))
    [run] = history.runs()
    assert run.dry_run and history.changes() == []


def test_changes_are_filtered_by_container_and_host(make: Make) -> None:
    history = make()
    history.record(
        report(
            entry("web", Outcome.UPDATED, host="a"),
            entry("web", Outcome.UPDATED, host="b"),
            entry("db", Outcome.UPDATED, host="a"),
        )
    )
    assert [(c.container, c.host) for c in history.changes(name="web")] == [
        ("web", "b"),
        ("web", "a"),
    ]
    assert [c.container for c in history.changes(host="a")] == ["db", "web"]
    assert [c.host for c in history.changes(name="web", host="b")] == ["b"]
    assert history.changes(name="nobody") == []


def test_previous_is_the_last_update_that_moved_the_container(make: Make) -> None:
    history = make()
    history.record(report(entry("web", Outcome.UPDATED, n=1)))
    history.record(report(entry("web", Outcome.UPDATED, n=2, host="other")))
    history.record(report(entry("web", Outcome.FAILED, n=3)))
    history.record(report(entry("web", Outcome.RESTARTED, n=4)))
    found = history.previous("web")
    assert found is not None and found.old_image_id == "sha256:old1"
    other = history.previous("web", "other")
    assert other is not None and other.old_image_id == "sha256:old2"
    assert history.previous("db") is None


def test_retention_forgets_runs_that_ended_longer_ago(make: Make) -> None:
    clock = FixedClock(T0)
    history = make(retention=timedelta(days=2), clock=clock)
    history.record(report(entry("old", Outcome.UPDATED), at=T0 - timedelta(days=3)))
    history.record(report(entry("new", Outcome.UPDATED), at=T0 - timedelta(days=1)))
    assert [c.container for c in history.changes()] == ["new"]
    assert len(history.runs()) == 1
    clock.advance(timedelta(days=2))
    history.record(report(at=clock.now))
    assert history.changes() == [] and len(history.runs()) == 1


def test_ids_grow_and_are_not_given_twice_after_retention(make: Make) -> None:
    clock = FixedClock(T0)
    history = make(retention=timedelta(hours=1), clock=clock)
    history.record(report(entry("a", Outcome.UPDATED), at=T0))
    first = history.runs()[0].id
    clock.advance(timedelta(hours=2))
    history.record(report(entry("b", Outcome.UPDATED), at=clock.now))
    [run] = history.runs()
    assert run.id > first
    assert history.changes()[0].run == run.id


def test_update_records_its_report_in_the_history(make: Make) -> None:
    clock = FixedClock()
    registry = MemoryRegistry(clock)
    engine = MemoryEngine(registry)
    registry.publish(WEB)
    engine.run("web", WEB)
    old_image = engine.container("web").image_id
    registry.publish(WEB)
    history = make()
    result = update(engine, registry, clock=clock, history=history)
    [change] = history.changes(name="web")
    assert change.outcome == "updated" and change.old_image_id == old_image
    assert change.new_image_id == engine.container("web").image_id
    assert history.previous("web") == change
    assert history.runs()[0].finished_at == result.finished_at


class _Broken:
    """A history whose writes fail, as a full disk makes them."""

    def record(self, report: Report) -> None:
        raise HistoryError("The run could not be written to the history at x: disk I/O error.")

    def holds(self) -> dict[tuple[str, str], Hold]:
        return {}

    def quarantined(self) -> dict[str, object]:
        return {}


def test_a_history_that_cannot_be_written_never_fails_the_update(
    engine: MemoryEngine, registry: MemoryRegistry
) -> None:
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    events: list[Event] = []
    result = update(engine, registry, history=_Broken(), observer=events.append)  # type: ignore[arg-type]
    assert result.get("web") is not None and result.updated
    [failed] = [e for e in events if isinstance(e, Failed)]
    assert failed.step is Step.HISTORY and "disk I/O error" in failed.reason


# Holds ----------------------------------------------------------------------


def test_a_hold_is_kept_by_host_and_name_until_released(make: Make) -> None:
    history = make(clock=FixedClock(T0))
    assert dict(history.holds()) == {}
    history.hold("web", "", "sha256:" + "a" * 64, "1.25.3")
    history.hold("web", "b", "sha256:" + "b" * 64)
    holds = history.holds()
    assert set(holds) == {("", "web"), ("b", "web")}
    assert holds[("", "web")] == Hold(
        container="web", image_id="sha256:" + "a" * 64, version="1.25.3", at=T0
    )
    assert holds[("", "web")].shown == "1.25.3" and holds[("b", "web")].shown == "b" * 12
    assert held_on(holds, "b") == {"web": "b" * 12}
    assert history.release("web") is True
    assert history.release("web") is False
    assert set(history.holds()) == {("b", "web")}


def test_a_second_hold_replaces_the_first(make: Make) -> None:
    history = make()
    history.hold("web", "", "sha256:a", "1")
    history.hold("web", "", "sha256:b", "2")
    [hold] = history.holds().values()
    assert (hold.image_id, hold.version) == ("sha256:b", "2")


# Paging, as a property --------------------------------------------------------

_OUTCOMES = st.sampled_from(list(Outcome))
_ENTRIES = st.lists(
    st.tuples(st.sampled_from(["web", "db", "cache"]), _OUTCOMES, st.sampled_from(["", "a"])),
    max_size=5,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(runs=st.lists(_ENTRIES, max_size=8), page=st.integers(1, 4))
def test_changes_read_back_in_order_and_paging_never_repeats_or_skips(
    make: Make, runs: list[list[tuple[str, Outcome, str]]], page: int
) -> None:
    history = make()
    recorded: list[tuple[int, str, str, str]] = []
    for number, entries in enumerate(runs):
        at = T0 + timedelta(minutes=number)
        history.record(report(*(entry(n, o, host=h, n=number) for n, o, h in entries), at=at))
        recorded += [(number, n, o.value, h) for n, o, h in entries if o in CHANGED]
    paged: list[Change] = []
    before = None
    while True:
        got = history.changes(limit=page, before=before)
        assert len(got) <= page
        if not got:
            break
        paged += got
        before = got[-1].id
    assert [c.id for c in paged] == sorted({c.id for c in paged}, reverse=True)
    assert paged == history.changes(limit=0)
    seen = [
        (int(c.old_image_id.removeprefix("sha256:old")), c.container, c.outcome, c.host)
        for c in paged
    ]
    assert seen == recorded[::-1]
    all_runs = history.runs(limit=0)
    assert len(all_runs) == len(runs)
    assert [r.finished_at for r in all_runs] == [
        T0 + timedelta(minutes=n, seconds=3) for n in reversed(range(len(runs)))
    ]
    if all_runs:
        assert history.runs(limit=page, before=all_runs[0].id) == all_runs[1 : page + 1]


def test_a_run_over_several_engines_is_kept_once_each_change_naming_its_host() -> None:
    clock = FixedClock()
    registry = MemoryRegistry(clock)
    engines = {"a": MemoryEngine(registry), "b": MemoryEngine(registry)}
    registry.publish(WEB)
    for engine in engines.values():
        engine.run("web", WEB)
    registry.publish(WEB)
    history = MemoryHistory()
    update_hosts(engines, registry, clock=clock, history=history)
    [run] = history.runs()
    assert run.updated == 2
    assert sorted((c.host, c.container) for c in history.changes()) == [("a", "web"), ("b", "web")]
    assert history.previous("web", "b") is not None and history.previous("web") is None


def test_a_pushed_run_is_kept_with_its_trigger() -> None:
    clock = FixedClock()
    registry = MemoryRegistry(clock)
    engine = MemoryEngine(registry)
    registry.publish(WEB)
    engine.run("web", WEB)
    registry.publish(WEB)
    history = MemoryHistory()
    event = PushEvent("example.org/web", "1", None, "generic", clock())
    update_pushed([event], engine, registry, clock=clock, history=history)
    [change] = history.changes()
    assert change.trigger == "push" and history.runs()[0].trigger == "push"
