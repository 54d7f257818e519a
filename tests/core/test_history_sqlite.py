"""The SQLite history on disk: past a restart, a corrupt or newer file, a kill mid-write."""

from __future__ import annotations

import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from watchtower.errors import HistoryError
from watchtower.history import SCHEMA_VERSION, Approval, SqliteHistory, State
from watchtower.report import ContainerReport, Outcome, Report
from watchtower.testing import FixedClock

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
ROOT = Path(__file__).resolve().parents[2]


def one_run(name: str = "web") -> Report:
    return Report(
        entries=[
            ContainerReport(
                id="1",
                name=name,
                image="example.org/web:1",
                old_image_id="sha256:a",
                new_image_id="sha256:b",
                outcome=Outcome.UPDATED,
            )
        ],
        started_at=T0,
        finished_at=T0,
    )


def test_the_history_is_there_after_the_file_is_opened_again(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    with SqliteHistory(path) as history:
        history.record(one_run())
    with SqliteHistory(path) as again:
        assert [c.container for c in again.changes()] == ["web"]
        assert again.previous("web") is not None
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_holds_written_by_one_process_are_read_by_another(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    daemon = SqliteHistory(path)
    with SqliteHistory(path) as command:
        command.hold("web", "", "sha256:a", "1.25.3")
    assert daemon.holds()[("", "web")].version == "1.25.3"
    with SqliteHistory(path, read_only=True) as reader:
        assert set(reader.holds()) == {("", "web")}
    with SqliteHistory(path) as command:
        assert command.release("web")
    assert dict(daemon.holds()) == {}
    daemon.close()


def test_a_file_of_schema_1_gets_the_holds_and_keeps_its_runs(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    with SqliteHistory(path) as history:
        history.record(one_run())
    db = sqlite3.connect(path)
    db.execute("DROP TABLE holds")
    db.execute("PRAGMA user_version = 1")
    db.commit()
    with SqliteHistory(path, read_only=True) as reader:
        assert dict(reader.holds()) == {}
    with SqliteHistory(path) as history:
        assert [c.container for c in history.changes()] == ["web"]
        history.hold("web", "", "sha256:a")
        assert set(history.holds()) == {("", "web")}
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 5
    db.close()


def test_a_file_of_schema_2_gets_the_approvals_and_keeps_its_runs_and_holds(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    with SqliteHistory(path) as history:
        history.record(one_run())
        history.hold("db", "", "sha256:h", "5")
    db = sqlite3.connect(path)
    db.execute("DROP TABLE approvals")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    with SqliteHistory(path, read_only=True) as reader:
        assert dict(reader.approvals()) == {}  # beside a daemon that has not opened it yet
    with SqliteHistory(path, clock=FixedClock(T0)) as history:
        assert [c.container for c in history.changes()] == ["web"]
        assert set(history.holds()) == {("", "db")}
        assert history.ask(Approval(container="web", digest="sha256:" + "c" * 64, asked_at=T0))
        assert set(history.approvals()) == {("", "web")}
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_approvals_survive_a_restart_and_are_shared_with_another_process(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    digest = "sha256:" + "d" * 64
    with SqliteHistory(path, clock=FixedClock(T0)) as daemon:
        daemon.ask(
            Approval(
                container="web",
                image="example.org/web:1",
                digest=digest,
                old_version="1.0",
                new_version="1.1",
                notes="https://example.org/notes",
                summary="a newer image",
                asked_at=T0,
            )
        )
    daemon = SqliteHistory(path, clock=FixedClock(T0))
    with SqliteHistory(path, clock=FixedClock(T0)) as command:
        command.decide("web", "", True, "d" * 12)
    [approval] = daemon.approvals().values()
    assert approval.state is State.APPROVED and approval.decided_at == T0
    assert (approval.old_version, approval.new_version, approval.notes) == (
        "1.0",
        "1.1",
        "https://example.org/notes",
    )
    assert approval.summary == "a newer image" and approval.asked_at == T0
    daemon.close()


def _aside(tmp_path: Path) -> list[str]:
    return sorted(p.name for p in tmp_path.iterdir() if ".corrupt-" in p.name)


def test_a_file_that_is_no_database_is_set_aside_with_one_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "history.db"
    path.write_bytes(b"this is not a database, it is a tale told by an idiot " * 200)
    with caplog.at_level(logging.WARNING, logger="watchtower.history"):
        history = SqliteHistory(path, clock=FixedClock(T0))
    [record] = caplog.records
    assert record.getMessage() == (
        f"The history at {path} is unusable (it is corrupt (file is not a database)); "
        "it was moved to history.db.corrupt-20260101T120000Z and a new one was started."
    )
    assert _aside(tmp_path) == ["history.db.corrupt-20260101T120000Z"]
    assert (tmp_path / "history.db.corrupt-20260101T120000Z").read_bytes().startswith(b"this is")
    history.record(one_run())
    assert len(history.changes()) == 1


def test_a_file_that_is_no_database_is_an_error_when_not_to_be_set_aside(
    tmp_path: Path,
) -> None:
    path = tmp_path / "history.db"
    tale = b"this is not a database, it is a tale told by an idiot " * 200
    path.write_bytes(tale)
    with pytest.raises(HistoryError) as raised:
        SqliteHistory(path, clock=FixedClock(T0), set_aside=False)
    assert str(raised.value) == (
        f"The history at {path} cannot be read: it is corrupt (file is not a database)."
    )
    assert _aside(tmp_path) == [] and path.read_bytes() == tale


def test_a_damaged_database_is_set_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "history.db"
    with SqliteHistory(path) as history:
        for number in range(50):
            history.record(one_run(f"c{number}"))
    db = sqlite3.connect(path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    data = bytearray(path.read_bytes())
    for offset in range(4096, len(data), 97):  # every page but the header's, scrambled
        data[offset] ^= 0x5A
    path.write_bytes(bytes(data))
    with caplog.at_level(logging.WARNING, logger="watchtower.history"):
        history = SqliteHistory(path, clock=FixedClock(T0))
    assert len(caplog.records) == 1 and "is unusable (it is corrupt" in caplog.records[0].message
    assert _aside(tmp_path) == ["history.db.corrupt-20260101T120000Z"]
    assert history.changes() == []


def test_a_database_of_a_newer_version_is_set_aside_not_read(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "history.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE future (x)")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with caplog.at_level(logging.WARNING, logger="watchtower.history"):
        history = SqliteHistory(path, clock=FixedClock(T0))
    [record] = caplog.records
    newer = f"(schema {SCHEMA_VERSION + 1}, this one reads {SCHEMA_VERSION})"
    assert f"written by a newer version of watchtower {newer}" in record.getMessage()
    aside = sqlite3.connect(tmp_path / "history.db.corrupt-20260101T120000Z")
    assert aside.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    aside.close()
    history.record(one_run())
    assert len(history.runs()) == 1


def test_a_second_file_set_aside_in_the_same_second_keeps_the_first(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    for _ in range(2):
        path.write_bytes(b"garbage" * 1000)
        SqliteHistory(path, clock=FixedClock(T0)).close()
    assert _aside(tmp_path) == [
        "history.db.corrupt-20260101T120000Z",
        "history.db.corrupt-20260101T120000Z-2",
    ]


def test_read_only_says_what_is_wrong_and_moves_nothing(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    with pytest.raises(HistoryError, match=f"^There is no history at {path}.$"):
        SqliteHistory(path, read_only=True)
    path.write_bytes(b"garbage" * 1000)
    with pytest.raises(HistoryError, match="cannot be read: it is corrupt"):
        SqliteHistory(path, read_only=True)
    assert _aside(tmp_path) == []


def test_a_directory_that_cannot_hold_the_file_is_one_sentence(tmp_path: Path) -> None:
    path = tmp_path / "missing" / "history.db"
    with pytest.raises(HistoryError, match=f"^The history at {path} cannot be opened: "):
        SqliteHistory(path)


# Killed while writing ----------------------------------------------------------

_WRITER = textwrap.dedent(
    """
    import sys
    from datetime import datetime, timezone
    from watchtower.history import SqliteHistory
    from watchtower.report import ContainerReport, Outcome, Report

    history = SqliteHistory(sys.argv[1])
    at = datetime(2026, 1, 1, tzinfo=timezone.utc)
    number = 0
    while True:
        number += 1
        # Run n changes n % 7 + 1 containers, so that a partial run shows.
        entries = [
            ContainerReport(
                id=str(i), name=f"run{number}-c{i}", image="x:1", old_image_id=f"old{number}",
                new_image_id=f"new{number}", outcome=Outcome.UPDATED, reason="r" * 2000,
            )
            for i in range(number % 7 + 1)
        ]
        history.record(Report(entries=entries, started_at=at, finished_at=at))
        print(number, flush=True)
    """
)


def test_a_kill_while_writing_loses_at_most_the_run_in_progress(tmp_path: Path) -> None:
    path = tmp_path / "history.db"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writer = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(path)], stdout=subprocess.PIPE, env=env, text=True
    )
    assert writer.stdout is not None
    committed = 0
    deadline = time.monotonic() + 60
    while committed < 40 and time.monotonic() < deadline:
        committed = int(writer.stdout.readline())
    # Killed at once after a commit it reported: mostly in the middle of the next run's writes.
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    committed = max([committed, *(int(line) for line in writer.stdout.read().split())])
    assert committed >= 40
    with SqliteHistory(path) as history:
        runs = history.runs(limit=0)
        changes = history.changes(limit=0)
    # Every run it reported, and the one in progress only if its commit landed before the kill.
    assert len(runs) in (committed, committed + 1)
    assert [r.id for r in runs] == list(range(len(runs), 0, -1))
    by_run: dict[int, list[str]] = {}
    for change in changes:
        by_run.setdefault(change.run, []).append(change.container)
    assert set(by_run) == {r.id for r in runs}
    for number, names in by_run.items():
        assert sorted(names) == sorted(f"run{number}-c{i}" for i in range(number % 7 + 1))
