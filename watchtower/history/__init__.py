"""What ran before: every run and every container change, kept past a restart.

:func:`watchtower.update` (and :func:`~watchtower.update_hosts`,
:func:`~watchtower.push.update_pushed`) give each finished report to the
:class:`History` they are given, as ``update(..., history=...)``. A history
keeps the run (:class:`Run`: when, what started it, its counts) and a
:class:`Change` for each container that was updated, restarted or failed:
its host, its image before and after, the outcome and the reason.
:meth:`History.previous` finds the image a container ran before its last
update; :meth:`History.hold` keeps a container that was rolled back on its
image (a :class:`Hold`) until :meth:`History.release`. The updates that wait
for approval (an :class:`Approval` each, see :doc:`/guides/approval`) are
kept beside them: :meth:`History.ask`, :meth:`History.decide`; and the
digests whose update failed (a :class:`Quarantine` each, see
:doc:`/guides/quarantine`): :meth:`History.quarantine`,
:meth:`History.release_digest`; and the snapshots of protected volumes the
runs took (a :class:`Snapshot` each, see :doc:`/guides/snapshots`):
:meth:`History.snapshots`.

Two implementations ship: :class:`SqliteHistory`, a file that outlives the
process (``watchtower --data-dir``), and :class:`MemoryHistory`, for tests
and for processes that keep nothing::

    from watchtower import update
    from watchtower.history import SqliteHistory

    history = SqliteHistory("/data/history.db", retention=timedelta(days=90))
    update(client, registry, history=history)
    for change in history.changes(name="web", limit=10):
        print(change.at, change.old_image_id, "->", change.new_image_id, change.outcome)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .._lazy import lazy_names
from ._memory import MemoryHistory
from ._snapshots import Snapshot
from ._values import (
    CHANGED,
    Approval,
    Change,
    History,
    Hold,
    Quarantine,
    Run,
    State,
    approvals_on,
    changes_of,
    decided,
    held_on,
    matching,
    run_counts,
)

if TYPE_CHECKING:
    from ._sqlite import SCHEMA_VERSION, SqliteHistory

__all__ = [
    "CHANGED",
    "FILE_NAME",
    "SCHEMA_VERSION",
    "Approval",
    "Change",
    "History",
    "Hold",
    "MemoryHistory",
    "Quarantine",
    "Run",
    "Snapshot",
    "SqliteHistory",
    "State",
    "approvals_on",
    "changes_of",
    "decided",
    "held_on",
    "matching",
    "run_counts",
]

#: The history's file name in the command line's ``--data-dir``.
FILE_NAME = "history.db"

if not TYPE_CHECKING:  # sqlite3 is loaded when a file is used, not by every run
    __getattr__, __dir__ = lazy_names(
        __name__, {"SCHEMA_VERSION": "_sqlite", "SqliteHistory": "_sqlite"}, __all__
    )
