"""The snapshots of protected volumes a history lists: :class:`Snapshot`, and the rules.

Each snapshot a run took (:attr:`ContainerReport.snapshots
<watchtower.report.ContainerReport.snapshots>`) is kept as a row, with its
run and the change of its container. The engine keeps only the newest
``--snapshot-keep`` of each volume, and a person may remove one by hand;
when a run takes a new snapshot of a volume, it asks the engine which
snapshots of that volume it still holds, and the rows of that volume (and
host) that are not among them are marked removed, at the new one's time.
(From an engine that cannot tell, the rows beyond the newest
``--snapshot-keep`` are.) A removed row stays, to say what was there, but
is no longer listed as available.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from attrs import frozen

from ..model import VolumeSnapshot
from ..report import Report

__all__ = ["Snapshot", "pruned", "taken_in"]


def _time(value: datetime) -> str:
    return value.isoformat().replace("+00:00", "Z")


@frozen(kw_only=True)
class Snapshot:
    """A snapshot of a protected volume, as a history keeps it.

    Attributes:
        id: Its number in the history; later snapshots have larger ones.
        run: The :attr:`~watchtower.history.Run.id` of the run that took it.
        change: The :attr:`~watchtower.history.Change.id` of its container's
            change in that run; ``None`` when the run kept none.
        host: The engine it is on; empty for a run over one engine.
        container: The name of the container whose volume it copies.
        container_id: The id of the old container it was taken for.
        volume: The volume it copies.
        name: The snapshot volume's own name (``docker volume inspect`` it).
        at: When it was taken.
        removed_at: When a later snapshot of the same volume made the engine
            remove it (``--snapshot-keep``); ``None`` while it is available.
    """

    id: int
    run: int
    change: int | None = None
    host: str = ""
    container: str
    container_id: str = ""
    volume: str
    name: str
    at: datetime
    removed_at: datetime | None = None

    @property
    def available(self) -> bool:
        """True until a later snapshot of its volume had it removed."""
        return self.removed_at is None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict, as ``watchtower history --snapshots --json`` and the API give it."""
        return {
            "id": self.id,
            "run": self.run,
            "change": self.change,
            "host": self.host,
            "container": self.container,
            "container_id": self.container_id,
            "volume": self.volume,
            "name": self.name,
            "at": _time(self.at),
            "available": self.available,
            "removed_at": _time(self.removed_at) if self.removed_at else None,
        }


def taken_in(report: Report) -> Iterator[tuple[str, str, VolumeSnapshot]]:
    """Each snapshot ``report``'s entries took, as ``(host, container, snapshot)``, in order."""
    for entry in report.entries:
        for snapshot in entry.snapshots:
            yield entry.host, entry.name, snapshot


def pruned(available: Sequence[Snapshot], taken: VolumeSnapshot) -> list[Snapshot]:
    """Of one volume's available snapshots, those gone from the engine once ``taken`` was.

    Those whose name the engine no longer held (:attr:`VolumeSnapshot.held`);
    when it could not tell, all but the newest :attr:`VolumeSnapshot.keep`
    (by time, then id), and none when that is unknown (0) too.
    """
    if taken.held is not None:
        return [s for s in available if s.name not in taken.held]
    keep = taken.keep
    if keep <= 0:
        return []
    newest = sorted(available, key=lambda s: (s.at, s.id), reverse=True)
    return newest[keep:]
