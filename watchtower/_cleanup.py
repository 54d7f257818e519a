"""Cleanup after a run: the images replaced containers ran before, removed unless kept.

With ``UpdateParams.cleanup`` an update removes the image its container ran
before, unless a container still uses it; with a history the newest
``UpdateParams.keep_previous`` of them stay, to roll back to.
"""

from __future__ import annotations

import logging

from ._emitter import Emitter
from .events import Failed, Step
from .history import History
from .model import short_id
from .protocols import ContainerClient
from .report import EntryKind, Report

__all__ = ["cleanup_images"]

# Its lines are the run's: logged as the orchestrator's.
_log = logging.getLogger("watchtower.orchestrator")


def _ran_before(past: History | None, name: str, host: str, replaced: str, now: str) -> list[str]:
    """The images ``name`` ran before ``now``, newest first: ``replaced``, then the history's."""
    ran = [replaced]
    if past is not None:
        try:
            changes = past.changes(name=name, host=host, limit=100)
        except Exception as error:  # then only what this run replaced is known
            _log.warning("The images %s ran before could not be read: %s", name, error)
            changes = []
        for change in changes:
            ran += [change.new_image_id, change.old_image_id]
    return [image for image in dict.fromkeys(ran) if image and image != now]


def cleanup_images(
    client: ContainerClient,
    report: Report,
    emit: Emitter,
    past: History | None = None,
    host: str = "",
    keep: int = 0,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Remove the images that updated containers ran before, unless still in use or kept.

    With a history, the ``keep`` newest images each one ran before stay (to
    roll back to), and the older ones it ran are removed now, if still there.
    Returns the ids of the images removed, and a sentence for each one that
    could not be.
    """
    kept: set[str] = set()
    candidates: dict[str, None] = {}
    for e in report.updated:
        if e.old_image_id == e.new_image_id or e.kind is not EntryKind.CONTAINER:
            continue
        ran = _ran_before(past, e.name, host, e.old_image_id, e.new_image_id or "")
        held = ran[:keep] if past is not None else []
        kept.update(held)
        candidates.update(dict.fromkeys(ran[len(held) :]))
    candidates = {i: None for i in candidates if i not in kept}
    if kept:
        _log.info("Kept to roll back to: %s", ", ".join(short_id(i) for i in kept))
    if not candidates:
        return (), ()
    in_use = {
        c.image_id for c in client.list_containers(include_stopped=True, include_restarting=True)
    }
    just_replaced = {e.old_image_id for e in report.updated}
    removed: list[str] = []
    failures: list[str] = []
    for image_id in candidates:
        if image_id in in_use:
            continue
        if image_id not in just_replaced and client.inspect_image(image_id) is None:
            continue  # an older one, removed already
        try:
            client.remove_image(image_id)
        except Exception as error:
            reason = f"image {short_id(image_id)} was kept: {error}"
            emit(Failed(at=emit.now(), step=Step.CLEANUP, reason=reason))
            failures.append(reason)
            continue
        removed.append(image_id)
    if removed:
        _log.info("Removed the images containers ran before: %s", ", ".join(map(short_id, removed)))
    return tuple(removed), tuple(failures)
