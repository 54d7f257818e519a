"""A :class:`~watchtower.history.History` in a SQLite file that outlives the process.

On the standard library's :mod:`sqlite3`, in WAL mode: a run and its changes
are written in one transaction, so a process killed while writing loses at
most that run, and readers (``watchtower history``) never wait for the
writer. The schema's version is the file's ``PRAGMA user_version``. A file
that is not a database, fails SQLite's quick check, or was written by a
newer version of this library is set aside (renamed beside itself) with one
warning, and a new file is started: a history is worth less than a daemon
that starts.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta, timezone
from pathlib import Path
from types import MappingProxyType
from typing import Any, TypeVar

import attrs

from ..clock import Clock, system_clock
from ..errors import HistoryError
from ..report import Outcome, Report
from . import _rows
from ._schema import SCHEMA_VERSION, create
from ._snapshots import Snapshot, pruned, taken_in
from ._values import (
    Approval,
    Change,
    Hold,
    Quarantine,
    Run,
    asks_anew,
    changes_of,
    decided,
    matching,
    run_counts,
)

__all__ = ["SCHEMA_VERSION", "SqliteHistory"]

_log = logging.getLogger("watchtower.history")

_T = TypeVar("_T")


class _SetAside(Exception):
    """The file is unusable; the message says why, in a few words."""


class SqliteHistory:
    """A history in the SQLite file at ``path``, created when missing.

    Args:
        path: The database file. Its directory must exist.
        retention: Runs that ended longer ago than this are deleted, with
            their changes, at each record; ``None`` keeps them all.
        clock: The current time, for the retention and the name of a file set aside.
        read_only: Only read: a missing, corrupt or newer file raises
            :class:`~watchtower.errors.HistoryError` instead of being
            replaced (``watchtower history`` beside a running daemon).
        set_aside: An unusable (corrupt or newer) file is renamed aside and
            a new one started; ``False`` raises
            :class:`~watchtower.errors.HistoryError` instead (a subcommand
            answers from what the daemon kept, never from an empty file).

    Raises:
        HistoryError: The file cannot be opened or created (or, read-only
            or not set aside, is unusable); the sentence names it.
    """

    def __init__(
        self,
        path: str | Path,
        *,
        retention: timedelta | None = None,
        clock: Clock = system_clock,
        read_only: bool = False,
        set_aside: bool = True,
    ) -> None:
        self.path = Path(path)
        self.retention = retention
        self.clock = clock
        self.read_only = read_only
        self.set_aside = set_aside and not read_only
        self._lock = threading.Lock()
        self._db = self._open()

    # Opening ----------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        if self.read_only:
            if not self.path.is_file():
                raise HistoryError(f"There is no history at {self.path}.")
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            db = sqlite3.connect(uri, uri=True, check_same_thread=False, isolation_level=None)
        else:
            db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=10.0
            )
        return db

    def _open(self) -> sqlite3.Connection:
        try:
            db = self._connect()
        except sqlite3.Error as error:
            raise HistoryError(f"The history at {self.path} cannot be opened: {error}.") from None
        try:
            self._prepare(db)
        except _SetAside as why:
            db.close()
            if not self.set_aside:
                raise HistoryError(f"The history at {self.path} cannot be read: {why}.") from None
            return self._fresh(str(why))
        except sqlite3.Error as error:
            db.close()
            raise HistoryError(f"The history at {self.path} cannot be opened: {error}.") from None
        return db

    def _prepare(self, db: sqlite3.Connection) -> None:
        """Check the file and bring it to this schema; :class:`_SetAside` when unusable."""
        try:
            version = db.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise _SetAside(
                    f"it was written by a newer version of watchtower (schema {version}, "
                    f"this one reads {SCHEMA_VERSION})"
                )
            check = db.execute("PRAGMA quick_check").fetchone()[0]
            if check != "ok":
                raise _SetAside(f"it is corrupt ({check})")
            if self.read_only:
                return
            db.execute("PRAGMA journal_mode = WAL")
            # FULL: a run committed is on disk before record() returns.
            db.execute("PRAGMA synchronous = FULL")
            db.execute("PRAGMA foreign_keys = ON")
            if version < SCHEMA_VERSION:
                create(db)
        except sqlite3.DatabaseError as error:
            if isinstance(error, sqlite3.OperationalError) and "locked" in str(error):
                raise
            raise _SetAside(f"it is corrupt ({error})") from None

    def _fresh(self, why: str) -> sqlite3.Connection:
        """Rename the unusable file (and its journal) aside, and start a new one."""
        stamp = self.clock().astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
        aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}")
        number = 1
        while aside.exists():
            number += 1
            aside = self.path.with_name(f"{self.path.name}.corrupt-{stamp}-{number}")
        try:
            os.replace(self.path, aside)
            for suffix in ("-wal", "-shm"):
                # The journal belongs to the old file: left here, it would be read into the new one.
                journal = self.path.with_name(self.path.name + suffix)
                if journal.exists():
                    os.replace(journal, aside.with_name(aside.name + suffix))
        except OSError as error:
            raise HistoryError(
                f"The history at {self.path} is unusable ({why}) and cannot be moved aside: "
                f"{error.strerror or error}."
            ) from None
        _log.warning(
            "The history at %s is unusable (%s); it was moved to %s and a new one was started.",
            self.path,
            why,
            aside.name,
        )
        db = self._connect()
        try:
            self._prepare(db)
        except (_SetAside, sqlite3.Error) as error:
            db.close()
            why = f"A new history at {self.path} cannot be started: {error}."
            raise HistoryError(why) from None
        return db

    def close(self) -> None:
        """Close the file; the history cannot be used after."""
        with self._lock:
            self._db.close()

    def __enter__(self) -> SqliteHistory:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # Writing ------------------------------------------------------------------

    def record(self, report: Report) -> None:
        """Keep ``report``'s run and its changes, in one transaction.

        Raises:
            HistoryError: The file could not be written (the run is not kept).
        """
        counts = run_counts(report)
        counts["started_at"] = _rows.stored(counts["started_at"])
        counts["finished_at"] = _rows.stored(counts["finished_at"])
        changes = [tuple(c[name] for name in _rows.CHANGE_COLUMNS) for c in changes_of(report)]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    cursor = self._db.execute(
                        f"INSERT INTO runs ({', '.join(_rows.RUN_COLUMNS)}) "
                        f"VALUES ({', '.join('?' * len(_rows.RUN_COLUMNS))})",
                        tuple(counts[name] for name in _rows.RUN_COLUMNS),
                    )
                    run_id = cursor.lastrowid
                    self._db.executemany(
                        f"INSERT INTO changes (run, {', '.join(_rows.CHANGE_COLUMNS)}) "
                        f"VALUES (?, {', '.join('?' * len(_rows.CHANGE_COLUMNS))})",
                        [(run_id, *row) for row in changes],
                    )
                    assert run_id is not None  # an INSERT's row
                    self._keep_snapshots(report, run_id)
                    if self.retention is not None:
                        cutoff = _rows.stored(self.clock() - self.retention)
                        self._db.execute("DELETE FROM runs WHERE finished_at < ?", (cutoff,))
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:
                raise HistoryError(
                    f"The run could not be written to the history at {self.path}: {error}."
                ) from None

    def _keep_snapshots(self, report: Report, run_id: int) -> None:
        """The snapshots ``report`` took, each with its change; older ones marked removed."""
        db = self._db
        for host, container, snapshot in taken_in(report):
            db.execute(
                f"INSERT INTO snapshots ({', '.join(_rows.SNAPSHOT_COLUMNS)}) VALUES (?, "
                "(SELECT id FROM changes WHERE run = ? AND host = ? AND container = ?), "
                "?, ?, ?, ?, ?, ?, NULL)",
                (
                    run_id,
                    run_id,
                    host,
                    container,
                    host,
                    container,
                    snapshot.container_id,
                    snapshot.volume,
                    snapshot.name,
                    _rows.stored(snapshot.at),
                ),
            )
            available = db.execute(
                f"SELECT id, {', '.join(_rows.SNAPSHOT_COLUMNS)} FROM snapshots"
                " WHERE host = ? AND volume = ? AND removed_at IS NULL",
                (host, snapshot.volume),
            ).fetchall()
            gone = pruned([_rows.snapshot_of(row) for row in available], snapshot)
            db.executemany(
                "UPDATE snapshots SET removed_at = ? WHERE id = ?",
                [(_rows.stored(snapshot.at), old.id) for old in gone],
            )

    def _write(self, sql: str, args: Sequence[object], what: str) -> int:
        """Run one statement in a transaction of its own; the rows it changed."""
        with self._lock:
            try:
                return self._db.execute(sql, tuple(args)).rowcount
            except sqlite3.Error as error:
                raise HistoryError(
                    f"{what} could not be written to the history at {self.path}: {error}."
                ) from None

    def hold(self, name: str, host: str, image_id: str, version: str = "") -> None:
        """See :meth:`watchtower.history.History.hold`.

        Raises:
            HistoryError: The file could not be written.
        """
        self._write(
            "INSERT OR REPLACE INTO holds (host, container, image_id, version, at)"
            " VALUES (?, ?, ?, ?, ?)",
            (host, name, image_id, version, _rows.stored(self.clock())),
            f"The hold of {name}",
        )

    def release(self, name: str, host: str = "") -> bool:
        """See :meth:`watchtower.history.History.release`.

        Raises:
            HistoryError: The file could not be written.
        """
        changed = self._write(
            "DELETE FROM holds WHERE host = ? AND container = ?",
            (host, name),
            f"The release of {name}",
        )
        return changed > 0

    def _transaction(self, work: Callable[[sqlite3.Connection], _T], what: str) -> _T:
        """``work`` in one write transaction of its own, rolled back if it raises."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    result = work(self._db)
                    self._db.execute("COMMIT")
                except BaseException:
                    self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as error:
                raise HistoryError(
                    f"{what} could not be written to the history at {self.path}: {error}."
                ) from None
            return result

    def _approval(self, db: sqlite3.Connection, host: str, name: str) -> Approval | None:
        row = db.execute(
            f"SELECT {', '.join(_rows.APPROVAL_COLUMNS)} FROM approvals"
            " WHERE host = ? AND container = ?",
            (host, name),
        ).fetchone()
        return _rows.approval_of(row) if row else None

    def ask(self, approval: Approval) -> bool:
        """See :meth:`watchtower.history.History.ask`.

        Raises:
            HistoryError: The file could not be written.
        """

        def work(db: sqlite3.Connection) -> bool:
            kept = self._approval(db, approval.host, approval.container)
            if not asks_anew(kept, approval):
                return False
            self._put(db, approval)
            return True

        return self._transaction(work, f"The update of {approval.container} to approve")

    def decide(self, name: str, host: str, approve: bool, digest: str = "") -> Approval:
        """See :meth:`watchtower.history.History.decide`.

        Raises:
            ApprovalError: Nothing to decide, or it is for another digest.
            HistoryError: The file could not be written.
        """

        def work(db: sqlite3.Connection) -> Approval:
            current = self._approval(db, host, name)
            approval = decided(current, name, host, approve, digest, self.clock())
            self._put(db, approval)
            return approval

        return self._transaction(work, f"The decision on {name}")

    @staticmethod
    def _put(db: sqlite3.Connection, approval: Approval) -> None:
        db.execute(
            f"INSERT OR REPLACE INTO approvals ({', '.join(_rows.APPROVAL_COLUMNS)})"
            f" VALUES ({', '.join('?' * len(_rows.APPROVAL_COLUMNS))})",
            _rows.approval_row(approval),
        )

    def quarantine(self, quarantine: Quarantine) -> bool:
        """See :meth:`watchtower.history.History.quarantine`.

        Raises:
            HistoryError: The file could not be written.
        """

        def work(db: sqlite3.Connection) -> bool:
            row = db.execute(
                "SELECT released_at FROM quarantines WHERE digest = ?", (quarantine.digest,)
            ).fetchone()
            if row is not None and row[0] is None:
                return False
            db.execute(
                f"INSERT OR REPLACE INTO quarantines ({', '.join(_rows.QUARANTINE_COLUMNS)})"
                f" VALUES ({', '.join('?' * len(_rows.QUARANTINE_COLUMNS))})",
                _rows.quarantine_row(quarantine),
            )
            return True

        return self._transaction(work, f"The quarantine of {quarantine.shown}")

    def release_digest(self, digest: str, by: str = "") -> Quarantine:
        """See :meth:`watchtower.history.History.release_digest`.

        Raises:
            QuarantineError: No quarantined digest matches, or several do.
            HistoryError: The file could not be written.
        """

        def work(db: sqlite3.Connection) -> Quarantine:
            rows = db.execute(
                f"SELECT {', '.join(_rows.QUARANTINE_COLUMNS)} FROM quarantines"
                " WHERE released_at IS NULL"
            ).fetchall()
            found = matching({q.digest: q for q in map(_rows.quarantine_of, rows)}, digest)
            released = attrs.evolve(found, released_at=self.clock(), released_by=by)
            assert released.released_at is not None  # set just above
            db.execute(
                "UPDATE quarantines SET released_at = ?, released_by = ? WHERE digest = ?",
                (_rows.stored(released.released_at), by, found.digest),
            )
            return released

        return self._transaction(work, f"The release of {digest.strip()[:80]}")

    # Reading ------------------------------------------------------------------

    def quarantined(self) -> Mapping[str, Quarantine]:
        """See :meth:`watchtower.history.History.quarantined`; read from the file each time."""
        try:
            rows = self._query(f"SELECT {', '.join(_rows.QUARANTINE_COLUMNS)} FROM quarantines", ())
        except HistoryError:
            if self.read_only and not self._query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'quarantines'", ()
            ):
                return MappingProxyType({})  # an older file, read beside an older daemon
            raise
        return MappingProxyType({q.digest: q for q in map(_rows.quarantine_of, rows)})

    def approvals(self) -> Mapping[tuple[str, str], Approval]:
        """See :meth:`watchtower.history.History.approvals`; read from the file each time."""
        try:
            rows = self._query(f"SELECT {', '.join(_rows.APPROVAL_COLUMNS)} FROM approvals", ())
        except HistoryError:
            if self.read_only and not self._query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'approvals'", ()
            ):
                return MappingProxyType({})  # an older file, read beside an older daemon
            raise
        found = {(a.host, a.container): a for a in map(_rows.approval_of, rows)}
        return MappingProxyType(found)

    def holds(self) -> Mapping[tuple[str, str], Hold]:
        """See :meth:`watchtower.history.History.holds`; read from the file each time."""
        try:
            rows = self._query("SELECT host, container, image_id, version, at FROM holds", ())
        except HistoryError:
            if self.read_only and not self._query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'holds'", ()
            ):
                return MappingProxyType({})  # a file of schema 1, read beside an older daemon
            raise
        found = {
            (host, name): Hold(
                host=host,
                container=name,
                image_id=image_id,
                version=version,
                at=_rows.read_time(at),
            )
            for host, name, image_id, version, at in rows
        }
        return MappingProxyType(found)

    def _query(self, sql: str, args: Sequence[object]) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, tuple(args)).fetchall()
            except sqlite3.Error as error:
                raise HistoryError(f"The history at {self.path} cannot be read: {error}.") from None

    def snapshots(
        self,
        *,
        name: str | None = None,
        host: str | None = None,
        removed: bool = False,
        limit: int = 50,
        before: int | None = None,
    ) -> list[Snapshot]:
        """The newest snapshots first; see :meth:`watchtower.history.History.snapshots`."""
        try:
            rows = self._query(
                f"SELECT id, {', '.join(_rows.SNAPSHOT_COLUMNS)} FROM snapshots"
                " WHERE (? IS NULL OR container = ?) AND (? IS NULL OR host = ?)"
                " AND (? OR removed_at IS NULL) AND (? IS NULL OR id < ?)"
                " ORDER BY id DESC LIMIT ?",
                (name, name, host, host, removed, before, before, _rows.limit(limit)),
            )
        except HistoryError:
            if self.read_only and not self._query(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshots'", ()
            ):
                return []  # an older file, read beside an older daemon
            raise
        return [_rows.snapshot_of(row) for row in rows]

    def runs(self, *, limit: int = 50, before: int | None = None) -> list[Run]:
        """The newest runs first; see :meth:`watchtower.history.History.runs`."""
        rows = self._query(
            f"SELECT id, {', '.join(_rows.RUN_COLUMNS)} FROM runs WHERE (? IS NULL OR id < ?) "
            "ORDER BY id DESC LIMIT ?",
            (before, before, _rows.limit(limit)),
        )
        return [_rows.run_of(row) for row in rows]

    def changes(
        self,
        *,
        name: str | None = None,
        host: str | None = None,
        limit: int = 50,
        before: int | None = None,
    ) -> list[Change]:
        """The newest changes first; see :meth:`watchtower.history.History.changes`."""
        rows = self._query(
            _rows.SELECT_CHANGES
            + " WHERE (? IS NULL OR c.container = ?) AND (? IS NULL OR c.host = ?)"
            " AND (? IS NULL OR c.id < ?) ORDER BY c.id DESC LIMIT ?",
            (name, name, host, host, before, before, _rows.limit(limit)),
        )
        return [_rows.change_of(row) for row in rows]

    def previous(self, name: str, host: str = "") -> Change | None:
        """See :meth:`watchtower.history.History.previous`."""
        rows = self._query(
            _rows.SELECT_CHANGES + " WHERE c.container = ? AND c.host = ? AND c.outcome = ?"
            " AND c.new_image_id != '' AND c.old_image_id != c.new_image_id"
            " ORDER BY c.id DESC LIMIT 1",
            (name, host, Outcome.UPDATED.value),
        )
        return _rows.change_of(rows[0]) if rows else None
