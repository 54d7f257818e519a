"""The rows of a :class:`~watchtower.history.SqliteHistory` file and the values they hold."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timezone
from typing import Any

import attrs

from ._snapshots import Snapshot
from ._values import Approval, Change, Quarantine, Run

__all__ = [
    "APPROVAL_COLUMNS",
    "CHANGE_COLUMNS",
    "QUARANTINE_COLUMNS",
    "RUN_COLUMNS",
    "SELECT_CHANGES",
    "SNAPSHOT_COLUMNS",
    "approval_of",
    "approval_row",
    "change_of",
    "limit",
    "quarantine_of",
    "quarantine_row",
    "read_time",
    "run_of",
    "snapshot_of",
    "stored",
]

QUARANTINE_COLUMNS = (
    "digest",
    "image",
    "reason",
    "container",
    "host",
    "at",
    "released_at",
    "released_by",
)

APPROVAL_COLUMNS = (
    "host",
    "container",
    "image",
    "digest",
    "old_version",
    "new_version",
    "notes",
    "summary",
    "state",
    "asked_at",
    "decided_at",
)

CHANGE_COLUMNS = (
    "host",
    "container",
    "kind",
    "image",
    "new_image",
    "old_image_id",
    "new_image_id",
    "old_version",
    "new_version",
    "notes",
    "outcome",
    "reason",
    "rolled_back",
)
RUN_COLUMNS = (
    "started_at",
    "finished_at",
    "trigger",
    "scanned",
    "updated",
    "failed",
    "restarted",
    "skipped",
    "dry_run",
)
SELECT_CHANGES = (
    "SELECT c.id, c.run, r.finished_at, r.trigger, "
    + ", ".join(f"c.{name}" for name in CHANGE_COLUMNS)
    + " FROM changes c JOIN runs r ON r.id = c.run"
)


def stored(value: datetime) -> str:
    """A time as the file keeps it: UTC, fixed width, so that text order is time order."""
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def read_time(value: str) -> datetime:
    """A time the file kept."""
    return datetime.fromisoformat(value)


def run_of(row: Sequence[Any]) -> Run:
    """The :class:`Run` of a row of ``id`` and :data:`RUN_COLUMNS`."""
    values = dict(zip(("id", *RUN_COLUMNS), row, strict=True))
    values["started_at"] = read_time(values["started_at"])
    values["finished_at"] = read_time(values["finished_at"])
    values["dry_run"] = bool(values["dry_run"])
    return Run(**values)


def change_of(row: Sequence[Any]) -> Change:
    """The :class:`Change` of a row of :data:`SELECT_CHANGES`."""
    values = dict(zip(("id", "run", "at", "trigger", *CHANGE_COLUMNS), row, strict=True))
    values["at"] = read_time(values["at"])
    values["rolled_back"] = bool(values["rolled_back"])
    return Change(**values)


def approval_of(row: Sequence[Any]) -> Approval:
    """The :class:`Approval` of a row of :data:`APPROVAL_COLUMNS`."""
    values = dict(zip(APPROVAL_COLUMNS, row, strict=True))
    values["asked_at"] = read_time(values["asked_at"])
    values["decided_at"] = read_time(values["decided_at"]) if values["decided_at"] else None
    return Approval(**values)


def quarantine_of(row: Sequence[Any]) -> Quarantine:
    """The :class:`Quarantine` of a row of :data:`QUARANTINE_COLUMNS`."""
    values = dict(zip(QUARANTINE_COLUMNS, row, strict=True))
    values["at"] = read_time(values["at"])
    values["released_at"] = read_time(values["released_at"]) if values["released_at"] else None
    return Quarantine(**values)


def quarantine_row(quarantine: Quarantine) -> tuple[object, ...]:
    """The row of :data:`QUARANTINE_COLUMNS` that keeps ``quarantine``."""
    values = attrs.asdict(quarantine, recurse=False)
    values["at"] = stored(quarantine.at)
    values["released_at"] = stored(quarantine.released_at) if quarantine.released_at else None
    return tuple(values[name] for name in QUARANTINE_COLUMNS)


def approval_row(approval: Approval) -> tuple[object, ...]:
    """The row of :data:`APPROVAL_COLUMNS` that keeps ``approval``."""
    values = attrs.asdict(approval, recurse=False)
    values["state"] = approval.state.value
    values["asked_at"] = stored(approval.asked_at)
    values["decided_at"] = stored(approval.decided_at) if approval.decided_at else None
    return tuple(values[name] for name in APPROVAL_COLUMNS)


def limit(count: int) -> int:
    """``count``, or SQLite's "no limit" for 0."""
    return count if count > 0 else -1  # SQLite's "no limit"


SNAPSHOT_COLUMNS = (
    "run",
    "change",
    "host",
    "container",
    "container_id",
    "volume",
    "name",
    "at",
    "removed_at",
)


def snapshot_of(row: Sequence[Any]) -> Snapshot:
    """The :class:`Snapshot` of a row of ``id`` and :data:`SNAPSHOT_COLUMNS`."""
    values = dict(zip(("id", *SNAPSHOT_COLUMNS), row, strict=True))
    values["at"] = read_time(values["at"])
    values["removed_at"] = read_time(values["removed_at"]) if values["removed_at"] else None
    return Snapshot(**values)
