"""The orchestrator: :func:`plan`, :func:`execute` and :func:`update`.

It decides; the backends act. All I/O goes through the
:class:`~watchtower.protocols.ContainerClient` and
:class:`~watchtower.protocols.Registry` it is given, and time comes from the
clock it is given, so with in-memory backends a run is deterministic.

A replacement is a transaction: the old container is stopped and renamed
aside, the replacement is created under its name, started and (when it has a
health check) waited for; only then is the old one removed. If any step
fails the replacement is removed and the old container gets its name back and
is started again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs

from . import labels
from .events import (
    Checked,
    Event,
    Failed,
    HookRan,
    Observer,
    RolledBack,
    RunFinished,
    RunStarted,
    Skipped,
    Started,
    Stopped,
    UpdateAvailable,
    Updated,
)
from .lifecycle import Hook, HookRun, run_hook
from .model import Container
from .params import UpdateParams
from .plan import Action, Plan, PlanEntry, Status
from .protocols import ContainerClient, Registry
from .report import ContainerReport, Outcome, Report
from .selection import select
from .sorter import components, dependency_graph, dependents, sort_by_dependencies
from .staleness import Verdict, assess

__all__ = ["Clock", "execute", "plan", "update"]

Clock = Callable[[], datetime]
"""A source of the current time, timezone-aware."""

DEFAULT_STOP_SIGNAL = "SIGTERM"

_log = logging.getLogger(__name__)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class _Emitter:
    """Stamps events with the clock and hands them to the observer, one at a time."""

    def __init__(self, observer: Observer | None, clock: Clock) -> None:
        self.observer = observer
        self.clock = clock
        self._lock = threading.Lock()

    def __call__(self, kind: type[Event], **fields: Any) -> None:
        if self.observer is None:
            return
        event = kind(at=self.clock(), **fields)
        with self._lock:
            try:
                self.observer(event)
            except Exception:
                # An observer must never break a replacement half-way.
                _log.exception("The observer failed on %s; the run goes on.", event.kind)

    def hook(self, name: str, run: HookRun | None) -> None:
        if run is not None:
            result = run.result
            self(
                HookRan,
                container=name,
                hook=run.hook.value,
                command=run.command,
                exit_code=result.exit_code if result else None,
                output=result.output if result else run.error,
            )


def _list(client: ContainerClient, params: UpdateParams) -> list[Container]:
    return list(
        client.list_containers(
            include_stopped=params.include_stopped,
            include_restarting=params.include_restarting,
        )
    )


def plan(
    client: ContainerClient,
    registry: Registry,
    params: UpdateParams | None = None,
    *,
    observer: Observer | None = None,
    clock: Clock | None = None,
    pull: bool = True,
) -> Plan:
    """Decide what a run would do, changing no container.

    Lists the containers, selects those in scope, checks their images (one
    registry request per distinct image; a pull where the digest differs,
    unless no-pull), orders them by dependency and groups the replacements
    into independent units. With monitor-only every action is dropped.

    With ``pull=False`` the plan is a check only: nothing is pulled, a
    container is stale when the registry serves another digest, and the
    plan has no actions (there is no new image to act with).

    Raises:
        ConfigurationError: A selection parameter is malformed.
        EngineError: The containers could not be listed.
    """
    params = params or UpdateParams()
    emit = _Emitter(observer, clock or _utcnow)
    chosen, _ = select(_list(client, params), params)
    the_plan = _plan(chosen, client, registry, params, emit, pull=pull)
    return the_plan if pull else the_plan.without_actions("check only")


def _plan(
    chosen: Sequence[Container],
    client: ContainerClient,
    registry: Registry,
    params: UpdateParams,
    emit: _Emitter,
    *,
    pull: bool = True,
) -> Plan:
    now = emit.clock()
    verdicts = assess(chosen, client, registry, params, now, pull=pull)
    graph = dependency_graph(chosen, use_compose_depends_on=params.use_compose_depends_on)
    ordering = sort_by_dependencies(graph)
    by_name = {c.name: c for c in chosen}
    cycle_of = {name: cycle for cycle in ordering.cycles for name in cycle}

    def monitor_only(container: Container) -> bool:
        return labels.flag_or_label(
            container, labels.MONITOR_ONLY, params.monitor_only, params.label_precedence
        )

    # Who may be recreated at all: not on a cycle, labels readable, not monitor-only.
    movable = {
        name
        for name in ordering.order
        if not params.no_restart
        and verdicts[name].labels_ok
        and not monitor_only(by_name[name])
    }
    to_update = [n for n in ordering.order if n in movable and verdicts[n].status is Status.STALE]
    movable_graph = {n: graph[n] & movable for n in movable}
    to_restart = dependents(movable_graph, to_update) - set(to_update)
    restarting = set(to_update) | to_restart

    entries: list[PlanEntry] = []
    for name in (*ordering.order, *sorted(cycle_of)):
        entry = _entry(by_name[name], verdicts[name], cycle_of, restarting, to_restart, graph)
        if entry.status is Status.STALE and entry.action is Action.NONE:
            why = "no-restart" if params.no_restart else "monitor only"
            entry = attrs.evolve(entry, reason="; ".join(filter(None, [why, entry.reason])))
        entries.append(entry)
        _announce(emit, entry)

    units = components(graph, restarting) if restarting else ()
    return Plan(entries=entries, units=units, created_at=now)


def _entry(
    container: Container,
    verdict: Verdict,
    cycle_of: dict[str, tuple[str, ...]],
    restarting: Collection[str],
    to_restart: Collection[str],
    graph: dict[str, frozenset[str]],
) -> PlanEntry:
    """The plan for one container, from its verdict and its place in the graph."""
    name = container.name
    if name in cycle_of:
        cycle = ", ".join(cycle_of[name])
        return PlanEntry(
            container=container,
            status=Status.SKIPPED,
            reason=f"it is on a dependency cycle: {cycle}",
            new_image=verdict.image,
        )
    if name in to_restart:
        cause = sorted(d for d in graph[name] if d in restarting)
        return PlanEntry(
            container=container,
            status=verdict.status,
            action=Action.RESTART,
            reason=f"it depends on {', '.join(cause)}, which restarts",
            new_image=verdict.image,
        )
    action = Action.UPDATE if name in restarting else Action.NONE
    return PlanEntry(
        container=container,
        status=verdict.status,
        action=action,
        reason=verdict.reason,
        new_image=verdict.image,
    )


def _announce(emit: _Emitter, entry: PlanEntry) -> None:
    container = entry.container
    emit(
        Checked,
        container=entry.name,
        image=container.image.familiar,
        status=entry.status.value,
        reason=entry.reason,
    )
    if entry.status is Status.STALE and entry.new_image is not None:
        emit(
            UpdateAvailable,
            container=entry.name,
            image=container.image.familiar,
            old_image_id=container.image_id,
            new_image_id=entry.new_image.id,
        )
    elif entry.status is Status.SKIPPED:
        emit(Skipped, container=entry.name, reason=entry.reason)


def _initial_report(entry: PlanEntry) -> ContainerReport:
    container = entry.container
    outcome = {
        Status.FRESH: Outcome.FRESH,
        Status.STALE: Outcome.STALE,
        Status.SKIPPED: Outcome.SKIPPED,
    }[entry.status]
    return ContainerReport(
        id=container.id,
        name=container.name,
        image=container.image.familiar,
        old_image_id=container.image_id,
        new_image_id=entry.new_image.id if entry.new_image else None,
        outcome=outcome,
        reason=entry.reason,
    )


def execute(
    plan: Plan,
    client: ContainerClient,
    params: UpdateParams | None = None,
    *,
    observer: Observer | None = None,
    clock: Clock | None = None,
) -> Report:
    """Carry out a plan and report what happened.

    Each unit of the plan is stopped in reverse dependency order and started
    in order; independent units run at most ``params.update_concurrency`` at
    a time (one with rolling restart, which also waits for each replacement
    to be healthy). Image cleanup is :func:`update`'s job, not this one's.
    """
    params = params or UpdateParams()
    emit = _Emitter(observer, clock or _utcnow)
    started = emit.clock()
    return _execute(plan, client, params, emit, started)


def _execute(
    plan: Plan,
    client: ContainerClient,
    params: UpdateParams,
    emit: _Emitter,
    started: datetime,
) -> Report:
    results = {e.name: _initial_report(e) for e in plan.entries}
    entries = {e.name: e for e in plan.entries}
    units = [[entries[name] for name in unit] for unit in plan.units]
    replacer = _Replacer(client, params, emit)
    workers = 1 if params.rolling_restart else params.update_concurrency
    if workers == 1 or len(units) <= 1:
        outcomes = [replacer.unit(unit) for unit in units]
    else:
        with ThreadPoolExecutor(max_workers=min(workers, len(units))) as pool:
            outcomes = list(pool.map(replacer.unit, units))
    for outcome in outcomes:
        results.update(outcome)
    return Report(
        entries=[results[e.name] for e in plan.entries],
        started_at=started,
        finished_at=emit.clock(),
    )


class _Replacer:
    """Replaces the containers of a unit, one transaction per container."""

    def __init__(self, client: ContainerClient, params: UpdateParams, emit: _Emitter) -> None:
        self.client = client
        self.params = params
        self.emit = emit

    def unit(self, unit: list[PlanEntry]) -> dict[str, ContainerReport]:
        """Stop the unit in reverse order, then replace it in order."""
        done: dict[str, ContainerReport] = {}
        if self.params.rolling_restart:
            for entry in unit:
                if self._prepare(entry, done):
                    done[entry.name] = self._replace(entry)
            return done
        stopped = [entry for entry in reversed(unit) if self._prepare(entry, done)]
        for entry in reversed(stopped):
            done[entry.name] = self._replace(entry)
        return done

    def _report(self, entry: PlanEntry, outcome: Outcome, reason: str, **extra: Any) -> (
        ContainerReport
    ):
        container = entry.container
        return ContainerReport(
            id=container.id,
            name=container.name,
            image=container.image.familiar,
            old_image_id=container.image_id,
            new_image_id=entry.target_image.id,
            outcome=outcome,
            reason=reason,
            **extra,
        )

    def _fail(self, entry: PlanEntry, step: str, reason: str, **extra: Any) -> ContainerReport:
        self.emit(Failed, container=entry.name, step=step, reason=reason)
        return self._report(entry, Outcome.FAILED, reason, **extra)

    def _prepare(self, entry: PlanEntry, done: dict[str, ContainerReport]) -> bool:
        """Run the pre-update hook and stop the container; False when it must not go on."""
        container = entry.container
        if self.params.lifecycle_hooks and container.state.is_running:
            run = run_hook(self.client, container, container.id, Hook.PRE_UPDATE, self.params)
            self.emit.hook(entry.name, run)
            if run is not None and run.asks_skip:
                reason = "the pre-update hook asked to skip the update (exit code 75)"
                self.emit(Skipped, container=entry.name, reason=reason)
                done[entry.name] = self._report(entry, Outcome.SKIPPED, reason)
                return False
            if run is not None and not run.ok:
                done[entry.name] = self._fail(entry, "hook", run.describe())
                return False
        if labels.is_watchtower(container):
            # A running watchtower is never stopped mid-run: its successor removes it.
            return True
        if not container.state.is_running:
            return True
        try:
            signal, timeout = stop_signal(container), stop_timeout(container, self.params)
            self.client.stop_container(container, signal=signal, timeout=timeout)
        except Exception as error:
            done[entry.name] = self._fail(entry, "stop", f"it could not be stopped: {error}")
            return False
        self.emit(Stopped, container=entry.name, container_id=container.id)
        return True

    def _replace(self, entry: PlanEntry) -> ContainerReport:
        """The transaction: rename aside, create, start, wait healthy, remove the old one."""
        container, image = entry.container, entry.target_image
        client = self.client
        was_running = container.state.is_running
        is_watchtower = labels.is_watchtower(container)
        aside = f"{container.name}-watchtower-old-{container.short_id}"
        try:
            client.rename_container(container.id, aside)
        except Exception as error:
            return self._rollback(entry, "rename", f"it could not be renamed: {error}", None, False)
        try:
            new_id = client.create_replacement(container, image)
        except Exception as error:
            reason = f"its replacement could not be created: {error}"
            return self._rollback(entry, "create", reason, None, True)

        if was_running or self.params.revive_stopped:
            try:
                client.start_container(new_id)
            except Exception as error:
                reason = f"its replacement did not start: {error}"
                return self._rollback(entry, "start", reason, new_id, True)
            self.emit(Started, container=entry.name, container_id=new_id)
            unhealthy = self._unhealthy(new_id)
            if unhealthy:
                return self._rollback(entry, "health", unhealthy, new_id, True)

        reason = ""
        if not is_watchtower:
            try:
                client.remove_container(container.id, remove_volumes=self.params.remove_volumes)
            except Exception as error:
                reason = f"the old container is left as {aside}: {error}"
                self.emit(Failed, container=entry.name, step="remove", reason=reason)
        restart_only = entry.action is Action.RESTART
        self.emit(
            Updated,
            container=entry.name,
            old_id=container.id,
            new_id=new_id,
            old_image_id=container.image_id,
            new_image_id=image.id,
            restart_only=restart_only,
        )
        if self.params.lifecycle_hooks and (was_running or self.params.revive_stopped):
            run = run_hook(client, container, new_id, Hook.POST_UPDATE, self.params)
            self.emit.hook(entry.name, run)
            if run is not None and not run.ok:
                reason = "; ".join(filter(None, [reason, run.describe()]))
        outcome = Outcome.RESTARTED if restart_only else Outcome.UPDATED
        return self._report(entry, outcome, reason or entry.reason, new_id=new_id)

    def _unhealthy(self, new_id: str) -> str | None:
        """Why the started replacement is not healthy, or None when it is."""
        timeout = self.params.health_timeout
        try:
            if self.client.wait_until_healthy(new_id, timeout):
                return None
        except Exception as error:
            return f"its replacement's health could not be read: {error}"
        return f"its replacement was not healthy within {timeout.total_seconds():g}s"

    def _rollback(
        self, entry: PlanEntry, step: str, reason: str, new_id: str | None, renamed: bool
    ) -> ContainerReport:
        """Undo a failed replacement: remove the new one, restore and restart the old one."""
        container, client = entry.container, self.client
        self.emit(Failed, container=entry.name, step=step, reason=reason)
        problems: list[str] = []
        if new_id is not None:
            try:
                replacement = client.get_container(new_id)
                client.stop_container(replacement, signal="SIGKILL", timeout=timedelta(0))
                client.remove_container(new_id, remove_volumes=False)
            except Exception as error:
                # Free the name for the old container, at least.
                failed = f"{container.name}-watchtower-failed-{new_id[:12]}"
                problems.append(f"the failed replacement remains as {failed}: {error}")
                try:
                    client.rename_container(new_id, failed)
                except Exception as rename_error:
                    problems[-1] = f"the failed replacement {new_id[:12]} remains: {rename_error}"
        restored = True
        if renamed:
            try:
                client.rename_container(container.id, container.name)
            except Exception as error:
                restored = False
                problems.append(f"the old container could not get its name back: {error}")
        if container.state.is_running and not labels.is_watchtower(container):
            try:
                client.start_container(container.id)
            except Exception as error:
                restored = False
                problems.append(f"the old container could not be started again: {error}")
        summary = reason + (
            "; the old container runs again" if restored and container.state.is_running
            else "; the old container is restored" if restored
            else "; " + "; ".join(problems)
        )
        if restored and problems:
            summary += "; " + "; ".join(problems)
        self.emit(RolledBack, container=entry.name, reason=summary, restored=restored)
        return self._report(entry, Outcome.FAILED, summary, rolled_back=restored)


def stop_signal(container: Container) -> str:
    """The signal that stops ``container``: its label, then its config, then SIGTERM."""
    return (
        container.labels.get(labels.STOP_SIGNAL, "").strip()
        or container.stop_signal
        or DEFAULT_STOP_SIGNAL
    )


def stop_timeout(container: Container, params: UpdateParams) -> timedelta:
    """The grace time before a kill: its label, then its config, then the parameter."""
    return (
        labels.read_duration(container, labels.STOP_TIMEOUT)
        or container.stop_timeout
        or params.stop_timeout
    )


def update(
    client: ContainerClient,
    registry: Registry,
    params: UpdateParams | None = None,
    *,
    observer: Observer | None = None,
    clock: Clock | None = None,
    dry_run: bool = False,
) -> Report:
    """Bring the containers in scope up to date with their registries.

    Selects the containers, runs their pre-check hooks, plans (see
    :func:`plan`), carries the plan out (see :func:`execute`), runs the
    post-check hooks and removes the replaced images if ``params.cleanup``.
    With ``dry_run`` (or monitor-only) nothing is changed and stale
    containers are reported as stale.

    Args:
        client: The container engine.
        registry: The registry client.
        params: What to do; the defaults are Watchtower's.
        observer: Called with each :mod:`~watchtower.events` event.
        clock: The current time (timezone-aware); defaults to the system clock.
        dry_run: Plan only, and report the plan.

    Raises:
        ConfigurationError: A parameter is malformed; nothing was changed.
        EngineError: The containers could not be listed; nothing was changed.
    """
    params = params or UpdateParams()
    emit = _Emitter(observer, clock or _utcnow)
    started = emit.clock()
    emit(RunStarted)
    chosen, _ = select(_list(client, params), params)
    hooks = params.lifecycle_hooks and not dry_run
    if hooks:
        _check_hooks(client, chosen, {c.name: c.id for c in chosen}, Hook.PRE_CHECK, params, emit)
    the_plan = _plan(chosen, client, registry, params, emit)
    if dry_run:
        the_plan = the_plan.without_actions("dry run")
    report = _execute(the_plan, client, params, emit, started)
    if hooks:
        ids = {e.name: e.new_id or e.id for e in report if e.outcome is not Outcome.FAILED
               or e.rolled_back}
        running = [c for c in chosen if c.state.is_running and c.name in ids]
        _check_hooks(client, running, ids, Hook.POST_CHECK, params, emit)
    removed = _cleanup_images(client, report, emit) if params.cleanup and not dry_run else ()
    report = Report(
        entries=report.entries,
        started_at=started,
        finished_at=emit.clock(),
        removed_images=removed,
        dry_run=dry_run,
    )
    emit(
        RunFinished,
        duration=report.finished_at - report.started_at,
        scanned=len(report.scanned),
        updated=len(report.updated),
        failed=len(report.failed),
    )
    return report


def _check_hooks(
    client: ContainerClient,
    containers: Iterable[Container],
    ids: dict[str, str],
    hook: Hook,
    params: UpdateParams,
    emit: _Emitter,
) -> None:
    for container in containers:
        if container.state.is_running:
            run = run_hook(client, container, ids[container.name], hook, params)
            emit.hook(container.name, run)


def _cleanup_images(client: ContainerClient, report: Report, emit: _Emitter) -> tuple[str, ...]:
    """Remove the images that updated containers ran before, unless still in use."""
    candidates = dict.fromkeys(
        e.old_image_id for e in report.updated if e.old_image_id != e.new_image_id
    )
    if not candidates:
        return ()
    in_use = {
        c.image_id for c in client.list_containers(include_stopped=True, include_restarting=True)
    }
    removed: list[str] = []
    for image_id in candidates:
        if image_id in in_use:
            continue
        try:
            client.remove_image(image_id)
        except Exception as error:
            emit(Failed, step="cleanup", reason=f"image {image_id[:19]} was kept: {error}")
            continue
        removed.append(image_id)
    return tuple(removed)

