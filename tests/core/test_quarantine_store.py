"""What both histories keep of quarantined digests: once each, by digest, until released."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from watchtower import UpdateParams, update
from watchtower.errors import QuarantineError
from watchtower.history import (
    SCHEMA_VERSION,
    History,
    MemoryHistory,
    Quarantine,
    SqliteHistory,
)
from watchtower.report import ContainerReport, Outcome, Report
from watchtower.testing import FixedClock, MemoryEngine, MemoryRegistry

T0 = datetime(2026, 1, 1, tzinfo=timezone.utc)
D1 = "sha256:" + "1" * 64
D2 = "sha256:" + "1" * 12 + "2" * 52

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


def failing(digest: str = D1, reason: str = "its replacement did not start: exit 1") -> Quarantine:
    return Quarantine(
        digest=digest,
        image="example.org/web:1",
        reason=reason,
        container="web",
        host="a",
        at=T0,
    )


def test_a_digest_is_quarantined_once_and_the_first_failure_is_kept(make: Make) -> None:
    history = make()
    assert history.quarantine(failing())
    assert not history.quarantine(failing(reason="a later failure"))
    [kept] = history.quarantined().values()
    assert kept == failing()
    assert kept.active


def test_release_by_prefix_ends_it_and_says_by_whom(make: Make) -> None:
    later = T0 + timedelta(hours=1)
    history = make(clock=FixedClock(later))
    history.quarantine(failing())
    released = history.release_digest("sha256:111111111111", by="alice")
    assert released.released_at == later and released.released_by == "alice"
    assert history.quarantined()[D1] == released
    assert not released.active


def test_a_released_digest_that_fails_again_is_quarantined_anew(make: Make) -> None:
    history = make()
    history.quarantine(failing())
    history.release_digest(D1)
    assert history.quarantine(failing(reason="again"))
    assert history.quarantined()[D1].reason == "again"
    assert history.quarantined()[D1].active


@pytest.mark.parametrize(
    ("given", "message"),
    [
        ("sha256:1234", "is no digest"),
        ("nothex-nothex-nothex", "is no digest"),
        ("sha256:" + "f" * 12, "No quarantined digest starts with"),
        ("1" * 12, "names 2 quarantined digests"),
    ],
)
def test_release_refuses_what_names_none_or_several(make: Make, given: str, message: str) -> None:
    history = make()
    history.quarantine(failing(D1))
    history.quarantine(failing(D2))
    with pytest.raises(QuarantineError, match=message):
        history.release_digest(given)
    assert all(q.active for q in history.quarantined().values())


def test_a_released_one_is_not_released_again(make: Make) -> None:
    history = make()
    history.quarantine(failing())
    history.release_digest(D1)
    with pytest.raises(QuarantineError, match="No quarantined digest"):
        history.release_digest(D1)


def test_the_skip_reason_names_the_digest_container_host_reason_and_the_way_out() -> None:
    assert failing().skip_reason == (
        "digest sha256:111111111111\u2026 is quarantined: it failed on web at host a: "
        "its replacement did not start: exit 1; release it with watchtower release-digest"
    )
    assert failing().to_dict()["released_at"] is None


# On disk ----------------------------------------------------------------------


def test_the_quarantine_survives_a_restart_and_keeps_the_next_process_off_the_digest(
    tmp_path: Path,
) -> None:
    """A run quarantines a digest; a new process on the same file skips it; release lets it go."""
    path = tmp_path / "history.db"
    clock = FixedClock(T0)
    registry = MemoryRegistry(clock)
    registry.publish("example.org/web:1")
    engine = MemoryEngine(registry)
    engine.run("web", "example.org/web:1")
    registry.publish("example.org/web:1")
    digest, image_id = registry.served("example.org/web:1")
    engine.fail("start", "web")
    with SqliteHistory(path, clock=clock) as history:
        first = update(engine, registry, clock=clock, history=history)
    assert [q.digest for q in first.quarantined] == [digest]

    with SqliteHistory(path, clock=clock) as restarted:
        assert restarted.quarantined()[digest].reason == first.quarantined[0].reason
        second = update(engine, registry, UpdateParams(), clock=clock, history=restarted)
        entry = second.get("web")
        assert entry is not None and entry.outcome is Outcome.SKIPPED
        assert "is quarantined" in entry.reason
        restarted.release_digest(digest)
    with SqliteHistory(path, clock=clock) as again:
        third = update(engine, registry, clock=clock, history=again)
    assert [e.name for e in third.updated] == ["web"]
    assert engine.container("web").image_id == image_id


def test_a_file_of_schema_3_gets_the_quarantines_and_keeps_the_rest(tmp_path: Path) -> None:
    """A v3 file as the previous release wrote it: its runs, holds and approvals stay."""
    path = tmp_path / "history.db"
    with SqliteHistory(path) as history:
        history.record(
            Report(
                entries=[
                    ContainerReport(
                        id="1",
                        name="web",
                        image="example.org/web:1",
                        old_image_id="sha256:a",
                        new_image_id="sha256:b",
                        outcome=Outcome.UPDATED,
                    )
                ],
                started_at=T0,
                finished_at=T0,
            )
        )
        history.hold("db", "", "sha256:h", "5")
    db = sqlite3.connect(path)
    db.execute("DROP TABLE quarantines")
    db.execute("PRAGMA user_version = 3")
    db.commit()
    with SqliteHistory(path, read_only=True) as reader:
        assert dict(reader.quarantined()) == {}  # beside a daemon that has not opened it yet
    with SqliteHistory(path, clock=FixedClock(T0)) as history:
        assert [c.container for c in history.changes()] == ["web"]
        assert set(history.holds()) == {("", "db")}
        assert history.quarantine(failing())
        assert set(history.quarantined()) == {D1}
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    columns = [row[1] for row in db.execute("PRAGMA table_info(quarantines)")]
    assert columns[:2] == ["digest", "image"] and "released_by" in columns
    db.close()
