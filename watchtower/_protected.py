"""Protected volumes through a replacement: snapshotted before the new image runs, restored on undo.

A container's ``snapshot-volumes`` label names the volumes a replacement
protects. Each is snapshotted once the old container is stopped (nothing
writes it then) and before its replacement is created
(:func:`snapshot`); a snapshot that cannot be taken stops that update
alone. A rollback restores them (:func:`restore`) only when a replacement
was created, since only then may the new image have written them, and
before the old container starts again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from attrs import frozen

from .lanes import ScheduledClient
from .model import Container, VolumeSnapshot
from .plans import PlanEntry

__all__ = ["Halted", "restore", "snapshot"]


@frozen
class Halted:
    """Snapshots that stopped short: the update must not go on.

    Attributes:
        taken: Those taken before it stopped (on the engine now: the report tells them).
        error: Why the next one failed; empty when the engine stopped
            answering, and nothing more was asked of it.
    """

    taken: tuple[VolumeSnapshot, ...]
    error: str = ""


def snapshot(
    client: ScheduledClient, entry: PlanEntry, keep: int, now: Callable[[], datetime]
) -> tuple[VolumeSnapshot, ...] | Halted:
    """Snapshots of the volumes ``entry``'s label protects, ``keep`` of each; or where it halted."""
    taken: list[VolumeSnapshot] = []
    for volume in entry.settings.snapshot_volumes:
        if client.watch.silent:
            return Halted(tuple(taken))
        try:
            name = client.snapshot_volume(entry.container, volume, keep)
        except Exception as error:
            return Halted(tuple(taken), f"the snapshot of volume {volume} failed: {error}")
        taken.append(
            VolumeSnapshot(
                volume=volume,
                name=name,
                at=now(),
                container_id=entry.container.id,
                keep=keep,
                held=_held(client, volume),
            )
        )
    return tuple(taken)


def _held(client: ScheduledClient, volume: str) -> tuple[str, ...] | None:
    """The names of ``volume``'s snapshots on the engine; ``None`` when it cannot tell.

    For the history alone: a failure here is no reason to stop the update.
    """
    try:
        held = client.snapshots_of(volume)
    except Exception:
        return None
    return None if held is None else tuple(held)


def restore(
    client: ScheduledClient, container: Container, snapshots: tuple[VolumeSnapshot, ...]
) -> list[str]:
    """``container``'s protected volumes restored from their snapshots; what failed, in words."""
    problems: list[str] = []
    for taken in snapshots:
        try:
            client.restore_volume(container, taken.volume, taken.name)
        except Exception as error:
            problems.append(
                f"volume {taken.volume} could not be restored from {taken.name}: {error}"
            )
    return problems
