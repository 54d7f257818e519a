"""The snapshots a history lists: kept, pruned as the engine prunes them, migrated."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from watchtower.history import (
    SCHEMA_VERSION,
    History,
    MemoryHistory,
    Snapshot,
    SqliteHistory,
)
from watchtower.history._snapshots import pruned
from watchtower.model import VolumeSnapshot
from watchtower.report import ContainerReport, Outcome, Report
from watchtower.testing import FixedClock

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
HERE = Path(__file__).resolve().parent


def run_with(
    at: datetime, *volumes: str, name: str = "db", host: str = "", keep: int = 2
) -> Report:
    """A run that updated ``name``, snapshotting each of ``volumes`` first."""
    taken = [
        VolumeSnapshot(
            volume=v,
            name=f"watchtower-snapshot-{v}-{at:%H%M%S}",
            at=at,
            container_id="c" * 64,
            keep=keep,
        )
        for v in volumes
    ]
    entry = ContainerReport(
        id="c" * 64,
        name=name,
        image="example.org/db:1",
        old_image_id="sha256:a",
        new_image_id="sha256:b",
        outcome=Outcome.UPDATED,
        host=host,
        snapshots=taken,
    )
    return Report(entries=[entry], started_at=at, finished_at=at)


@pytest.fixture(params=["memory", "sqlite"])
def history(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[History]:
    if request.param == "memory":
        yield MemoryHistory(clock=FixedClock(T0))
    else:
        with SqliteHistory(tmp_path / "history.db", clock=FixedClock(T0)) as kept:
            yield kept


def test_each_snapshot_is_listed_with_its_container_volume_and_change(history: History) -> None:
    history.record(run_with(T0, "data", "logs", host="a"))
    (change,) = history.changes()
    found = history.snapshots()
    assert [(s.volume, s.container, s.host) for s in found] == [
        ("logs", "db", "a"),
        ("data", "db", "a"),
    ]
    logs = found[0]
    assert (logs.run, logs.change, logs.at, logs.available) == (change.run, change.id, T0, True)
    assert logs.to_dict() == {
        "id": logs.id,
        "run": change.run,
        "change": change.id,
        "host": "a",
        "container": "db",
        "container_id": "c" * 64,
        "volume": "logs",
        "name": "watchtower-snapshot-logs-120000",
        "at": "2026-01-01T12:00:00Z",
        "available": True,
        "removed_at": None,
    }


def test_a_snapshot_beyond_the_keep_is_marked_removed_not_listed_as_available(
    history: History,
) -> None:
    times = [T0 + timedelta(minutes=m) for m in range(3)]
    for at in times:
        history.record(run_with(at, "data", keep=2))
    history.record(run_with(times[2], "other", name="web", keep=1))  # another volume: apart
    available = history.snapshots(name="db")
    assert [s.at for s in available] == [times[2], times[1]]
    everything = history.snapshots(name="db", removed=True)
    assert [s.at for s in everything] == times[::-1]
    oldest = everything[-1]
    assert not oldest.available and oldest.removed_at == times[2]
    assert oldest.to_dict()["removed_at"] == "2026-01-01T12:02:00Z"
    assert [s.volume for s in history.snapshots(name="web")] == ["other"]


def test_the_same_volume_name_on_two_hosts_is_pruned_apart(history: History) -> None:
    history.record(run_with(T0, "data", host="a", keep=1))
    history.record(run_with(T0 + timedelta(minutes=1), "data", host="b", keep=1))
    assert {s.host for s in history.snapshots()} == {"a", "b"}
    assert [s.host for s in history.snapshots(host="b")] == ["b"]


def test_snapshots_page_by_id_newest_first(history: History) -> None:
    for minute in range(5):
        history.record(run_with(T0 + timedelta(minutes=minute), f"v{minute}"))
    first = history.snapshots(limit=2)
    assert [s.volume for s in first] == ["v4", "v3"]
    after = history.snapshots(limit=2, before=min(s.id for s in first))
    assert [s.volume for s in after] == ["v2", "v1"]
    assert len(history.snapshots(limit=0)) == 5


def test_an_unknown_keep_removes_nothing(history: History) -> None:
    for minute in range(3):
        history.record(run_with(T0 + timedelta(minutes=minute), "data", keep=0))
    assert len(history.snapshots()) == 3


def test_retention_forgets_the_snapshots_with_their_runs(tmp_path: Path) -> None:
    clock = FixedClock(T0 + timedelta(days=10))
    with SqliteHistory(tmp_path / "h.db", retention=timedelta(days=1), clock=clock) as kept:
        kept.record(run_with(T0, "data"))
        kept.record(run_with(T0 + timedelta(days=10), "logs"))
        assert [s.volume for s in kept.snapshots(removed=True)] == ["logs"]
    memory = MemoryHistory(retention=timedelta(days=1), clock=clock)
    memory.record(run_with(T0, "data"))
    memory.record(run_with(T0 + timedelta(days=10), "logs"))
    assert [s.volume for s in memory.snapshots(removed=True)] == ["logs"]


def test_a_real_file_of_schema_4_gets_the_snapshots_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    db = sqlite3.connect(path)
    db.executescript((HERE / "history_v4.sql").read_text())
    db.commit()
    assert db.execute("PRAGMA user_version").fetchone()[0] == 4
    with SqliteHistory(path, read_only=True) as reader:
        assert reader.snapshots() == []  # beside a daemon that has not opened it yet
    with SqliteHistory(path, clock=FixedClock(T0)) as history:
        assert [c.container for c in history.changes()] == ["web"]
        assert set(history.holds()) == {("", "db")}
        assert set(history.approvals()) == {("", "api")}
        assert len(history.quarantined()) == 1
        history.record(run_with(T0 + timedelta(hours=1), "data"))
        (snapshot,) = history.snapshots()
        changes = history.changes()
        assert [c.container for c in changes] == ["db", "web"]
        assert snapshot.change == changes[0].id and snapshot.run == 2
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    db.close()


_TIMES = st.lists(st.integers(min_value=0, max_value=50), min_size=0, max_size=12)


@given(minutes=_TIMES, keep=st.integers(min_value=1, max_value=6))
def test_pruning_keeps_the_newest_keep_and_removes_the_rest(minutes: list[int], keep: int) -> None:
    available = [
        Snapshot(
            id=i + 1,
            run=1,
            container="db",
            volume="data",
            name=f"s{i}",
            at=T0 + timedelta(minutes=m),
        )
        for i, m in enumerate(minutes)
    ]
    taken = VolumeSnapshot(volume="data", name="new", at=T0, keep=keep)
    gone = pruned(available, taken)
    stay = [s for s in available if s not in gone]
    assert len(stay) == min(keep, len(available))
    assert all((s.at, s.id) > (g.at, g.id) for s in stay for g in gone)


def test_what_the_engine_holds_decides_over_the_keep(history: History) -> None:
    """A snapshot removed by hand, or pruned while the history did not count it, is removed."""
    first, second = run_with(T0, "data", keep=3), run_with(T0 + timedelta(minutes=1), "data")
    history.record(first)
    history.record(second)
    kept = second.entries[0].snapshots[0].name
    third = run_with(T0 + timedelta(minutes=2), "data", keep=3)
    (taken,) = third.entries[0].snapshots
    held = attrs.evolve(taken, held=(kept, taken.name))  # the first went by hand
    history.record(attrs.evolve(third, entries=[attrs.evolve(third.entries[0], snapshots=[held])]))
    assert [s.name for s in history.snapshots()] == [taken.name, kept]
    (gone,) = [s for s in history.snapshots(removed=True) if not s.available]
    assert gone.name == first.entries[0].snapshots[0].name and gone.removed_at == taken.at
