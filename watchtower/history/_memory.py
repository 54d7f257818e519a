"""A :class:`~watchtower.history.History` in memory, for tests and processes that keep none."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from datetime import timedelta
from types import MappingProxyType

import attrs

from ..clock import Clock, system_clock
from ..report import Report
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

__all__ = ["MemoryHistory"]


def _page(
    items: list[Run] | list[Change] | list[Snapshot], limit: int, before: int | None
) -> list[int]:
    """The positions of the newest ``limit`` items (0: all) whose id is below ``before``."""
    found = [i for i in range(len(items) - 1, -1, -1) if before is None or items[i].id < before]
    return found[:limit] if limit > 0 else found


class MemoryHistory:
    """A history held in this process, gone when it ends; the same answers as the SQLite one.

    Args:
        retention: Runs that ended longer ago than this are forgotten at
            the next record; ``None`` keeps them all.
        clock: The current time, for the retention.
    """

    def __init__(self, *, retention: timedelta | None = None, clock: Clock = system_clock) -> None:
        self.retention = retention
        self.clock = clock
        self._lock = threading.Lock()
        self._runs: list[Run] = []
        self._changes: list[Change] = []
        self._next_run = 1
        self._next_change = 1
        self._holds: dict[tuple[str, str], Hold] = {}
        self._approvals: dict[tuple[str, str], Approval] = {}
        self._quarantines: dict[str, Quarantine] = {}
        self._snapshots: list[Snapshot] = []
        self._next_snapshot = 1

    def record(self, report: Report) -> None:
        """Keep ``report``'s run and its changes."""
        with self._lock:
            run = Run(id=self._next_run, **run_counts(report))
            self._next_run += 1
            self._runs.append(run)
            for columns in changes_of(report):
                change = Change(
                    id=self._next_change,
                    run=run.id,
                    at=run.finished_at,
                    trigger=run.trigger,
                    **columns,
                )
                self._next_change += 1
                self._changes.append(change)
            self._keep_snapshots(report, run)
            if self.retention is not None:
                cutoff = self.clock() - self.retention
                kept = {r.id for r in self._runs if r.finished_at >= cutoff}
                self._runs = [r for r in self._runs if r.id in kept]
                self._changes = [c for c in self._changes if c.run in kept]
                self._snapshots = [s for s in self._snapshots if s.run in kept]

    def _keep_snapshots(self, report: Report, run: Run) -> None:
        """The snapshots ``report`` took, each with its change; older ones marked removed."""
        ids = {(c.host, c.container): c.id for c in self._changes if c.run == run.id}
        for host, container, taken in taken_in(report):
            self._snapshots.append(
                Snapshot(
                    id=self._next_snapshot,
                    run=run.id,
                    change=ids.get((host, container)),
                    host=host,
                    container=container,
                    container_id=taken.container_id,
                    volume=taken.volume,
                    name=taken.name,
                    at=taken.at,
                )
            )
            self._next_snapshot += 1
            available = [
                s
                for s in self._snapshots
                if s.host == host and s.volume == taken.volume and s.available
            ]
            gone = {s.id for s in pruned(available, taken)}
            self._snapshots = [
                attrs.evolve(s, removed_at=taken.at) if s.id in gone else s for s in self._snapshots
            ]

    def runs(self, *, limit: int = 50, before: int | None = None) -> list[Run]:
        """The newest runs first; see :meth:`watchtower.history.History.runs`."""
        with self._lock:
            return [self._runs[i] for i in _page(self._runs, limit, before)]

    def changes(
        self,
        *,
        name: str | None = None,
        host: str | None = None,
        limit: int = 50,
        before: int | None = None,
    ) -> list[Change]:
        """The newest changes first; see :meth:`watchtower.history.History.changes`."""
        with self._lock:
            chosen = [
                c
                for c in self._changes
                if (name is None or c.container == name) and (host is None or c.host == host)
            ]
        return [chosen[i] for i in _page(chosen, limit, before)]

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
        with self._lock:
            chosen = [
                s
                for s in self._snapshots
                if (name is None or s.container == name)
                and (host is None or s.host == host)
                and (removed or s.available)
            ]
        return [chosen[i] for i in _page(chosen, limit, before)]

    def previous(self, name: str, host: str = "") -> Change | None:
        """See :meth:`watchtower.history.History.previous`."""
        with self._lock:
            return next(
                (
                    c
                    for c in reversed(self._changes)
                    if c.container == name and c.host == host and c.moved
                ),
                None,
            )

    def hold(self, name: str, host: str, image_id: str, version: str = "") -> None:
        """See :meth:`watchtower.history.History.hold`."""
        hold = Hold(host=host, container=name, image_id=image_id, version=version, at=self.clock())
        with self._lock:
            self._holds[(host, name)] = hold

    def release(self, name: str, host: str = "") -> bool:
        """See :meth:`watchtower.history.History.release`."""
        with self._lock:
            return self._holds.pop((host, name), None) is not None

    def holds(self) -> Mapping[tuple[str, str], Hold]:
        """See :meth:`watchtower.history.History.holds`."""
        with self._lock:
            return MappingProxyType(dict(self._holds))

    def ask(self, approval: Approval) -> bool:
        """See :meth:`watchtower.history.History.ask`."""
        key = (approval.host, approval.container)
        with self._lock:
            kept = self._approvals.get(key)
            if not asks_anew(kept, approval):
                return False
            self._approvals[key] = approval
            return True

    def decide(self, name: str, host: str, approve: bool, digest: str = "") -> Approval:
        """See :meth:`watchtower.history.History.decide`."""
        with self._lock:
            approval = decided(
                self._approvals.get((host, name)), name, host, approve, digest, self.clock()
            )
            self._approvals[(host, name)] = approval
            return approval

    def approvals(self) -> Mapping[tuple[str, str], Approval]:
        """See :meth:`watchtower.history.History.approvals`."""
        with self._lock:
            return MappingProxyType(dict(self._approvals))

    def quarantine(self, quarantine: Quarantine) -> bool:
        """See :meth:`watchtower.history.History.quarantine`."""
        with self._lock:
            kept = self._quarantines.get(quarantine.digest)
            if kept is not None and kept.active:
                return False
            self._quarantines[quarantine.digest] = quarantine
            return True

    def quarantined(self) -> Mapping[str, Quarantine]:
        """See :meth:`watchtower.history.History.quarantined`."""
        with self._lock:
            return MappingProxyType(dict(self._quarantines))

    def release_digest(self, digest: str, by: str = "") -> Quarantine:
        """See :meth:`watchtower.history.History.release_digest`."""
        with self._lock:
            found = matching(self._quarantines, digest)
            released = attrs.evolve(found, released_at=self.clock(), released_by=by)
            self._quarantines[found.digest] = released
            return released
