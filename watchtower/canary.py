"""Canary rollouts: a new image goes to the canaries first, to the rest once it is promoted.

A host of a fleet marked as a canary (:attr:`Host.canary
<watchtower.fleet.Host.canary>`, ``canary: true`` in the hosts file), or a
container labelled ``com.centurylinklabs.watchtower.canary=true``
(:attr:`ContainerSettings.canary <watchtower.settings.ContainerSettings.canary>`)
is updated as usual. For an image some canary host runs, an update of a
container on any other host to a new image waits until that image is
*promoted*: deployed on a canary and running there, with no failure, for
the soak time (``UpdateParams.canary_soak``). Until then the image is in
the *canary* stage and the container is skipped on purpose, with the
reason. For an image some canary container runs, the same holds for the
other containers of its engine on that image. An image no canary runs has
no gate; a canary container is itself never gated. A failed image is never
promoted (the quarantine skips it too).

:class:`Rollout` is what the canaries did, as the planner reads it; it is
made from the history's changes of the canaries and from the run's own
canary reports (:func:`watchtower.hosts.rollout_of` for hosts,
:mod:`watchtower.canaries` for containers); :func:`stage` is the rule.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta

from attrs import field, frozen

__all__ = ["Deployment", "Rollout", "Stage", "joined", "stage"]


class Stage(str, enum.Enum):
    """Where an image is in a canary rollout."""

    CANARY = "canary"
    PROMOTED = "promoted"


@frozen
class Deployment:
    """A canary (a host, or a container) moved to an image, or failed to.

    Attributes:
        host: The host, a canary one when ``container`` is empty.
        image: The reference the container runs (``nginx:1.25``).
        image_id: The image it was moved to.
        at: When.
        failed: True when the update to it failed there.
        container: The canary container, when the canary is a container
            (of ``host``; of the only engine when ``host`` is empty).
    """

    host: str
    image: str
    image_id: str
    at: datetime
    failed: bool = False
    container: str = ""

    @property
    def where(self) -> str:
        """Where the canary is, in words (``canary host a``, ``canary container web``)."""
        if not self.container:
            return f"canary host {self.host}"
        return f"canary container {self.container}" + (f" of host {self.host}" if self.host else "")


def _frozen(value: Iterable[str]) -> frozenset[str]:
    return frozenset(value)


def _deployments(value: Iterable[Deployment]) -> tuple[Deployment, ...]:
    return tuple(value)


@frozen(kw_only=True)
class Rollout:
    """What the canaries run and did, as the gate of the others reads it.

    Attributes:
        images: The references some canary (a host, or a container) runs:
            an image outside them has no gate.
        deployments: The canaries' updates, in any order.
        soak: How long an image runs on a canary, with no failure, before
            it is promoted.
        now: The time the gate is read at.
    """

    images: frozenset[str] = field(factory=frozenset, converter=_frozen)
    deployments: tuple[Deployment, ...] = field(factory=tuple, converter=_deployments)
    soak: timedelta = timedelta(hours=1)
    now: datetime


def _short(image_id: str) -> str:
    return image_id[:16] + "…" if len(image_id) > 16 else image_id


def _soak_words(soak: timedelta) -> str:
    seconds = int(soak.total_seconds())
    if seconds and seconds % 3600 == 0:
        return f"{seconds // 3600}h"
    if seconds and seconds % 60 == 0:
        return f"{seconds // 60}m"
    return f"{seconds}s"


def stage(rollout: Rollout | None, image: str, image_id: str) -> tuple[Stage | None, str]:
    """The stage of ``image_id`` for a container on ``image`` off the canaries, and why it waits.

    ``(None, "")`` when no gate applies (no rollout, or no canary runs
    ``image``); ``(PROMOTED, "")`` when it may be deployed; ``(CANARY,
    reason)`` when the container waits for the canaries.
    """
    if rollout is None or image not in rollout.images or not image_id:
        return None, ""
    ours = [d for d in rollout.deployments if d.image_id == image_id]
    short = _short(image_id)
    soak = _soak_words(rollout.soak)
    failed = [d for d in ours if d.failed]
    if failed:
        first = min(failed, key=lambda d: d.at)
        return Stage.CANARY, (
            f"waits for the canaries: {short} failed on {first.where}; never promoted"
        )
    deployed = [d for d in ours if not d.failed]
    if not deployed:
        return Stage.CANARY, (
            f"waits for the canaries: {short} is on no canary yet; promoted after {soak} soak"
        )
    first = min(deployed, key=lambda d: d.at)
    if rollout.now - first.at < rollout.soak:
        since = first.at.strftime("%H:%M:%S")
        return Stage.CANARY, (
            f"waits for the canaries: {short} on {first.where} since {since},"
            f" promoted after {soak} soak"
        )
    return Stage.PROMOTED, ""


def joined(
    rollout: Rollout | None,
    images: Iterable[str],
    deployments: Iterable[Deployment],
    soak: timedelta,
    now: datetime,
) -> Rollout:
    """``rollout`` (the canary hosts', if any) with more ``images`` and ``deployments``.

    The gate is read at ``now``, however long ago ``rollout`` was made.
    """
    if rollout is None:
        return Rollout(images=images, deployments=deployments, soak=soak, now=now)
    return Rollout(
        images=rollout.images | frozenset(images),
        deployments=(*rollout.deployments, *deployments),
        soak=rollout.soak,
        now=now,
    )
