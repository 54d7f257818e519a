"""Services that their engine rolls out itself: which are stale, and their updates.

A service (a swarm service; a Kubernetes deployment would be another) is
selected, labelled, scoped, monitored-only and cooled down exactly as a
container is: its labels are read as a container's would be. It is stale
when its registry serves another digest for the tag it follows than the
digest in its spec. Its update is the engine's: watchtower points the
service at ``name:tag@digest`` through a
:class:`~watchtower.protocols.ServiceClient` and reports how the rollout
ended. Nothing is pulled here: every node pulls for itself.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import attrs

from . import labels
from ._emitter import Emitter
from .budget import Budget
from .events import (
    Checked,
    Failed,
    LabelIgnored,
    RolledBack,
    Skipped,
    Step,
    UpdateAvailable,
    Updated,
)
from .model import Container, RolloutState, Service
from .params import UpdateParams
from .plans import Action, Status
from .protocols import Registry, ServiceClient
from .report import ContainerReport, Outcome
from .selection import select
from .service_plans import ServiceEntry
from .settings import ContainerSettings
from .staleness import Verdict, _apply_cooldown, remote_digests

__all__ = ["as_container", "is_task", "plan_services", "roll_out", "services_in_scope"]


def is_task(container: Container) -> bool:
    """True for a container that a service runs: its engine replaces it, never watchtower."""
    return labels.SWARM_SERVICE_ID in container.labels


def as_container(service: Service) -> Container:
    """The service as the container rules read it: its name, the tag it follows, its labels."""
    return Container(
        id=service.id,
        name=service.name,
        image=service.followed,
        image_id=service.image.digest or "",
        labels=service.labels,
    )


def services_in_scope(client: ServiceClient, params: UpdateParams) -> list[Service]:
    """The services ``params`` select, as a run selects them.

    Raises:
        ConfigurationError: A selection parameter is malformed.
        EngineError: The services could not be listed.
    """
    services = {s.name: s for s in client.list_services()}
    chosen, _ = select([as_container(s) for s in services.values()], params)
    return [services[subject.name] for subject in chosen]


def plan_services(
    client: ServiceClient,
    registry: Registry,
    params: UpdateParams,
    emit: Emitter,
    *,
    pull: bool = True,
) -> tuple[ServiceEntry, ...]:
    """One entry per service in scope, with one registry request per distinct tag.

    With ``pull=False`` (a check only) stale services get no action.

    Raises:
        ConfigurationError: A selection parameter is malformed.
        EngineError: The services could not be listed.
    """
    now = emit.now()
    services = {s.name: s for s in client.list_services()}
    subjects = [as_container(s) for s in services.values()]
    settings = {c.name: ContainerSettings.read(c, params) for c in subjects}
    chosen, _ = select(subjects, params, settings)
    for subject in chosen:
        for problem in settings[subject.name].problems:
            emit(LabelIgnored(at=emit.now(), container=subject.name, reason=problem))
    verdicts, served = _assess(chosen, settings, services, registry, params, now)
    entries = []
    for subject in chosen:
        own, verdict = settings[subject.name], verdicts[subject.name]
        entry = ServiceEntry(
            service=services[subject.name],
            settings=own,
            status=verdict.status,
            reason=verdict.reason,
            new_digest=served.get(subject.name),
            error=verdict.error,
        )
        if entry.status is Status.STALE:
            if own.monitor_only:
                entry = attrs.evolve(entry, reason="monitor only")
            elif pull:
                entry = attrs.evolve(entry, action=Action.UPDATE)
        entries.append(entry)
        _announce(emit, entry)
    return tuple(entries)


def _assess(
    chosen: Sequence[Container],
    settings: dict[str, ContainerSettings],
    services: dict[str, Service],
    registry: Registry,
    params: UpdateParams,
    now: datetime,
) -> tuple[dict[str, Verdict], dict[str, str]]:
    """The staleness of each service, and the digest its registry serves when it said."""
    verdicts: dict[str, Verdict] = {}
    asked: list[Container] = []
    for subject in chosen:
        if services[subject.name].image.tag is None:
            verdicts[subject.name] = Verdict(
                Status.SKIPPED, reason="its image is pinned to a digest"
            )
        elif settings[subject.name].no_pull:
            verdicts[subject.name] = Verdict(
                Status.SKIPPED, reason="no-pull: a service is checked against its registry only"
            )
        else:
            asked.append(subject)
    # As a plan's containers: the services' lookups share the scan's registry deadline.
    scan = Budget.starting(params.registry_scan_timeout.total_seconds(), time.monotonic())
    digests = remote_digests(
        registry, (c.image for c in asked), params.check_concurrency, scan=scan
    )
    candidates: list[Container] = []
    served: dict[str, str] = {}
    for subject in asked:
        answer = digests[subject.image]
        if not isinstance(answer, str):
            verdicts[subject.name] = Verdict(
                Status.SKIPPED, reason=f"registry check failed: {answer}", error=True
            )
            continue
        served[subject.name] = answer
        if answer == subject.image_id:
            verdicts[subject.name] = Verdict(Status.FRESH)
        else:
            candidates.append(subject)
    fresh_enough = _apply_cooldown(
        candidates, settings, digests, registry, params, now, verdicts, scan
    )
    for subject in fresh_enough:
        why = (
            "the registry serves a newer digest" if subject.image_id else "its spec names no digest"
        )
        verdicts[subject.name] = Verdict(Status.STALE, reason=why)
    return verdicts, served


def _announce(emit: Emitter, entry: ServiceEntry) -> None:
    image = entry.service.followed.familiar
    emit(
        Checked(
            at=emit.now(),
            container=entry.name,
            image=image,
            status=entry.status,
            reason=entry.reason,
        )
    )
    if entry.status is Status.STALE and entry.new_digest:
        emit(
            UpdateAvailable(
                at=emit.now(),
                container=entry.name,
                image=image,
                old_image_id=entry.service.image.digest or "",
                new_image_id=entry.new_digest,
            )
        )
    elif entry.status is Status.SKIPPED:
        emit(Skipped(at=emit.now(), container=entry.name, reason=entry.reason))


def roll_out(
    entries: Sequence[ServiceEntry],
    client: ServiceClient,
    params: UpdateParams,
    emit: Emitter,
) -> list[ContainerReport]:
    """Carry out the service entries: the engine rolls each stale one out; the report of each.

    Rollouts run ``params.update_concurrency`` at a time (one with rolling
    restart). A rollback the engine did is a failure with ``rolled_back``.
    """
    todo = [e for e in entries if e.action is Action.UPDATE]
    workers = 1 if params.rolling_restart else params.update_concurrency

    def one(entry: ServiceEntry) -> ContainerReport:
        return _update(entry, client, emit)

    if workers <= 1 or len(todo) <= 1:
        done = [one(e) for e in todo]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(todo))) as pool:
            done = list(pool.map(one, todo))
    reports = {e.name: e.to_report() for e in entries}
    reports.update((r.name, r) for r in done)
    return [reports[e.name] for e in entries]


def _update(entry: ServiceEntry, client: ServiceClient, emit: Emitter) -> ContainerReport:
    report = entry.to_report()
    service = entry.service
    try:
        rollout = client.update_service(service, entry.target)
    except Exception as error:
        reason = f"the engine refused the update of service {service.name}: {error}"
        emit(Failed(at=emit.now(), container=service.name, step=Step.UPDATE, reason=reason))
        return attrs.evolve(report, outcome=Outcome.FAILED, reason=reason)
    said = f": {rollout.message}" if rollout.message else ""
    if rollout.state is RolloutState.COMPLETED:
        emit(
            Updated(
                at=emit.now(),
                container=service.name,
                old_id=service.id,
                new_id=service.id,
                old_image_id=service.image.digest or "",
                new_image_id=entry.new_digest or "",
            )
        )
        return attrs.evolve(report, outcome=Outcome.UPDATED, new_id=service.id, reason="")
    if rollout.state is RolloutState.ROLLED_BACK:
        reason = f"the new tasks failed and the engine rolled the service back{said}"
        emit(RolledBack(at=emit.now(), container=service.name, reason=reason, restored=True))
        return attrs.evolve(report, outcome=Outcome.FAILED, reason=reason, rolled_back=True)
    if rollout.state is RolloutState.TIMED_OUT:
        reason = f"its rollout had not ended when watchtower stopped waiting{said}"
    else:
        reason = f"its rollout stopped half done{said}"
    emit(Failed(at=emit.now(), container=service.name, step=Step.UPDATE, reason=reason))
    return attrs.evolve(report, outcome=Outcome.FAILED, reason=reason)
