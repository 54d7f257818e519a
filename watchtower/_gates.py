"""The gates a stale container passes before the planner replaces it, in the order applied.

A container the registry serves a newer image for is replaced only if no
gate keeps it. :func:`~watchtower.planner.make_plan` applies them in this
order, and the entry of a container kept says why:

1. a rollback's hold (:func:`hold`): a held container is not even checked;
2. the registry's quota: an image whose check or pull the run's share of
   the quota cannot pay for is deferred (in
   :func:`watchtower.staleness.assess`, :mod:`watchtower.quota`);
3. a quarantined digest, the canary stage, then the update policy, approve
   or notify (:func:`gates`: :mod:`watchtower.quarantine`,
   :func:`watchtower.canary.stage`, :mod:`watchtower.approvals`);
4. its maintenance windows and its own schedule, monitor-only and
   self-update (:func:`movable`: :mod:`watchtower.timing`);
5. its stack, held back by a member that one of these keeps
   (:func:`blockers`, :mod:`watchtower.stacks`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime

import attrs

from .approvals import NOTIFY_REASON, digest_of, gate, waiting_reason
from .canary import Stage, stage
from .model import Container, ImageRef
from .params import Policy, UpdateParams
from .plans import Status
from .settings import ContainerSettings
from .staleness import Verdict
from .timing import Due, due

__all__ = [
    "SELF_UPDATE_OFF",
    "blockers",
    "gates",
    "held_reason",
    "hold",
    "movable",
    "waits_for",
    "why_not",
]


def held_reason(name: str, version: str) -> str:
    """Why a container a rollback holds is skipped, and how to let it update."""
    return f"held on {version} by a rollback; `watchtower release {name}` lets it update"


def hold(
    chosen: Sequence[Container], held: Mapping[str, str], verdicts: dict[str, Verdict]
) -> None:
    """The verdict of each container of ``chosen`` a rollback holds (``held``) made skipped."""
    for container in chosen:
        if container.name in held:
            why = held_reason(container.name, held[container.name])
            verdicts[container.name] = Verdict(Status.SKIPPED, reason=why)


def gates(
    free: Sequence[Container],
    settings: Mapping[str, ContainerSettings],
    verdicts: dict[str, Verdict],
    targets: Mapping[str, ImageRef],
    params: UpdateParams,
    now: datetime,
    stages: dict[str, str],
) -> dict[str, str]:
    """The stale containers their policy keeps as they are, and why (:mod:`watchtower.approvals`).

    The verdict of one that waits for an update asked for already becomes
    skipped, as does that of one whose new digest is quarantined
    (``params.quarantined``, :mod:`watchtower.quarantine`), or not yet
    promoted by the canaries (``params.canary``, :mod:`watchtower.canary`),
    whatever its policy. ``stages`` gets the canary stage of each stale
    container a canary gate applies to.
    """
    kept: dict[str, str] = {}
    for container in free:
        name, policy = container.name, settings[container.name].policy
        if verdicts[name].status is not Status.STALE:
            continue
        digest = digest_of(verdicts[name], targets.get(name, container.image))
        if digest in params.quarantined:
            why = params.quarantined[digest]
            verdicts[name] = attrs.evolve(verdicts[name], status=Status.SKIPPED, reason=why)
            continue
        image = verdicts[name].image
        # A canary container is never gated: it goes first.
        gated = None if settings[name].canary else params.canary
        where, why = stage(gated, container.image.familiar, image.id if image else "")
        if where is not None:
            stages[name] = where.value
            if where is Stage.CANARY:
                verdicts[name] = attrs.evolve(verdicts[name], status=Status.SKIPPED, reason=why)
                continue
        if policy is Policy.AUTO:
            continue
        if policy is Policy.APPROVE:
            verdict = verdicts[name]
            decision = gate(
                verdict, digest, params.approvals.get(name), params.approval_expiry, now
            )
            verdicts[name] = decision.verdict
            if decision.go:
                continue
        kept[name] = NOTIFY_REASON if policy is Policy.NOTIFY else waiting_reason(name)
    return kept


SELF_UPDATE_OFF = "self-update is off: watchtower's own container is not replaced"
"""The reason a stale watchtower container is left as it is (``UpdateParams.self_update`` off).

It names no cause: the command line turns self-update off for a one-time run
and on hosts other than its own, a library caller at will.
"""


def waits_for(settings: ContainerSettings, now: datetime) -> Due:
    """Whether a container may be replaced at ``now`` (its windows and its own schedule),
    and when it is next due (see :mod:`watchtower.timing`)."""
    return due(settings.windows, settings.schedule, now, unreadable=settings.unreadable_timing)


def movable(
    order: Sequence[str],
    settings: Mapping[str, ContainerSettings],
    params: UpdateParams,
    now: datetime,
) -> tuple[dict[str, Due], set[str], set[str]]:
    """When each container of ``order`` is due, those that wait for it, and who may be recreated.

    Who may be recreated at all: not monitor-only, not watchtower itself
    when self-update is off, not outside its windows (unless
    ``params.ignore_windows``).
    """
    timing = {name: waits_for(settings[name], now) for name in order}
    waiting = {name for name, when in timing.items() if not (when or params.ignore_windows)}
    may = {
        name
        for name in order
        if not settings[name].monitor_only
        and (params.self_update or not settings[name].is_watchtower)
        and name not in waiting
    }
    return timing, waiting, may


def why_not(settings: ContainerSettings, waiting: str) -> str:
    """Why a stale container is left as it is."""
    if settings.monitor_only:
        return "monitor only"
    return waiting or SELF_UPDATE_OFF


def blockers(
    chosen: Sequence[Container],
    verdicts: Mapping[str, Verdict],
    to_update: Collection[str],
    by_policy: Mapping[str, str],
    timing: Mapping[str, Due],
    waiting: Collection[str],
    settings: Mapping[str, ContainerSettings],
    held: Collection[str],
) -> dict[str, str]:
    """Why each container that is stale, unchecked or held is not updated.

    Such a container holds its stack back; one skipped for another reason
    (a locally built image, say) does not: it has nothing to update to.
    """
    why: dict[str, str] = {}
    for container in chosen:
        name, verdict = container.name, verdicts[container.name]
        if verdict.status is Status.FAILED:
            why[name] = f"its check failed: {verdict.reason}"
        elif verdict.status is Status.SKIPPED and name in held:
            why[name] = verdict.reason
        elif verdict.status is Status.STALE and name not in timing:
            why[name] = "it is on a dependency cycle"
        elif verdict.status is Status.STALE and name not in to_update:
            waits = timing[name].reason if name in waiting else ""
            why[name] = by_policy.get(name) or why_not(settings[name], waits)
    return why
