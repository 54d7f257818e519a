"""Canary containers: the gate their ``canary`` label makes for the others on their image.

A container labelled ``com.centurylinklabs.watchtower.canary=true`` is a
canary of its engine (:attr:`ContainerSettings.canary
<watchtower.settings.ContainerSettings.canary>`): the other containers of
the engine on its reference move to a new image only once the canaries
promoted it, by the one rule of :func:`watchtower.canary.stage`. What the
canaries did comes from the history's changes of those containers (which
containers are canaries is read from their labels at each run, not kept)
and, with ``UpdateParams.canary_promote_at_once``, from this run's own
report: the canaries are replaced first, and the containers they promoted
follow in the same run (:func:`follow`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime

import attrs

from ._emitter import Emitter
from .canary import Deployment, Rollout, Stage, joined, stage
from .history import History
from .history._reading import read_or
from .model import Container
from .params import UpdateParams
from .plans import Action, Plan
from .report import EntryKind, Outcome, Report
from .settings import ContainerSettings

__all__ = ["follow", "kept", "with_canary_containers"]

_log = logging.getLogger(__name__)

_DEPLOYED = (Outcome.UPDATED, Outcome.FAILED)


def with_canary_containers(
    params: UpdateParams,
    chosen: Sequence[Container],
    settings: Mapping[str, ContainerSettings],
    past: History | None,
    host: str,
    emit: Emitter,
) -> UpdateParams:
    """``params`` with the gate the canary containers among ``chosen`` put on the others.

    Their references join ``params.canary`` (the canary hosts' gate, if
    any), and so do their updates ``past`` kept for ``host``. Unchanged
    when no container, or every one, is a canary. Without ``past`` (and
    not promoted at once) the others never get a new image of theirs: that
    is logged as a warning at each run. A history that cannot be read
    promotes nothing either; that is told as a ``Failed`` event (step
    ``history``).
    """
    canaries = [c for c in chosen if settings[c.name].canary]
    if not canaries or len(canaries) == len(chosen):
        return params
    if past is None and not params.canary_promote_at_once:
        _log.warning(
            "Canary containers (%s) without a history: when a canary got an image is not"
            " kept, so the others on their image get no new image (keep a history with"
            " --data-dir, or promote at once with --canary-promote-at-once).",
            ", ".join(c.name for c in canaries),
        )
    names = [c.name for c in canaries]
    unread = f"What canary containers {', '.join(names)} did could not be read"
    # A history that cannot be read promotes nothing: the others wait.
    nothing: tuple[set[str], list[Deployment]] = (set(), [])
    _, deployments = read_or(
        past, lambda history: kept(history, host, names), nothing, unread, emit
    )
    images = {c.image.familiar for c in canaries}
    rollout = joined(params.canary, images, deployments, params.canary_soak, emit.now())
    return attrs.evolve(params, canary=rollout)


def kept(
    past: History, host: str, names: Sequence[str] | None = None
) -> tuple[set[str], list[Deployment]]:
    """The references ``past`` kept changes of on ``host``, and its updates there as deployments.

    Only those of the canary containers ``names``, when given; else every
    container's, the canary being the host.
    """
    images: set[str] = set()
    deployments: list[Deployment] = []
    for name in [None] if names is None else names:
        for change in past.changes(name=name, host=host, limit=0):
            if change.kind != EntryKind.CONTAINER.value or not change.new_image_id:
                continue
            images.add(change.image)
            if change.outcome in (o.value for o in _DEPLOYED):
                failed = change.outcome == Outcome.FAILED.value
                deployments.append(
                    Deployment(
                        host, change.image, change.new_image_id, change.at, failed, name or ""
                    )
                )
    return images, deployments


def follow(
    plan: Plan,
    report: Report,
    chosen: Sequence[Container],
    params: UpdateParams,
    host: str,
    now: datetime,
    then: Callable[[Sequence[Container], UpdateParams], tuple[Plan, Report]],
) -> Report:
    """``report`` with the containers this run's canaries promoted updated after them.

    With ``params.canary_promote_at_once``, a container of ``plan`` that
    waited for the canary containers follows them in the same run once a
    canary was updated to its new image in ``report`` with no failure:
    ``then`` plans and carries out those containers again, through a gate
    that counts this run's canary updates as soaked. The others keep their
    entry, and so do all of them when the engine stopped answering.
    """
    if not params.canary_promote_at_once or params.canary is None or report.engine_failure:
        return report
    canaries = {e.name for e in plan.entries if e.settings.canary}
    soaked = now - params.canary_soak
    ran = [
        Deployment(host, e.image, e.new_image_id, soaked, e.outcome is Outcome.FAILED, e.name)
        for e in report.entries
        if e.name in canaries
        and e.kind is EntryKind.CONTAINER
        and e.new_image_id
        and e.outcome in _DEPLOYED
    ]
    if not ran:
        return report
    rollout: Rollout = joined(params.canary, (), ran, params.canary_soak, now)
    waiting = {
        e.name
        for e in plan.entries
        if e.stage == Stage.CANARY.value
        and e.action is Action.NONE
        and e.new_image is not None
        and stage(rollout, e.container.image.familiar, e.new_image.id)[0] is Stage.PROMOTED
    }
    if not waiting:
        return report
    _, followed = then(
        [c for c in chosen if c.name in waiting], attrs.evolve(params, canary=rollout)
    )
    after = {e.name: e for e in followed.entries if e.kind is EntryKind.CONTAINER}
    return attrs.evolve(
        report,
        entries=[after.get(e.name, e) if e.kind is EntryKind.CONTAINER else e for e in report],
        finished_at=followed.finished_at,
        repaired=(*report.repaired, *followed.repaired),
        engine_failure=followed.engine_failure,
        quarantined=(*report.quarantined, *followed.quarantined),
    )
