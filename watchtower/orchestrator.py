"""Running an update: :func:`execute` carries a plan out, :func:`update` does it all.

It decides; the backends act. All I/O goes through the
:class:`~watchtower.protocols.ContainerClient` and
:class:`~watchtower.protocols.Registry` it is given, and time comes from the
clock it is given, so with in-memory backends a run is deterministic. Each
replacement is a transaction (:mod:`watchtower.replacement`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime

import attrs

from ._approved import named, narrowed
from ._cleanup import cleanup_images
from ._emitter import Emitter
from .approvals import approvals_of, ask_for, with_approvals
from .canaries import follow, with_canary_containers
from .clock import Clock, system_clock
from .errors import EngineError, NotificationError
from .events import Failed, Observer, RunFinished, RunStarted, Step
from .history import History, Hold, held_on
from .history._reading import read_kept
from .lanes import ScheduledClient
from .lifecycle import Hook, run_hook
from .memo import DigestMemo, close_quota, with_quota
from .model import Container
from .params import Policy, UpdateParams
from .planner import in_scope, make_plan
from .plans import Action, Plan
from .protocols import ContainerClient, Notifier, Registry, ServiceClient
from .quarantine import (
    Breaker,
    BreakerGuard,
    quarantines_of,
    record_quarantines,
    superseded,
    with_quarantines,
)
from .quota import QuotaBook
from .repair import repair
from .replacement import Replacer
from .report import ContainerReport, EntryKind, Outcome, Report
from .services import plan_services, roll_out
from .settings import ContainerSettings

__all__ = ["deliver", "execute", "holds_of", "keep", "update", "with_holds"]


def execute(
    plan: Plan,
    client: ContainerClient,
    params: UpdateParams | None = None,
    *,
    observer: Observer | None = None,
    clock: Clock | None = None,
    services: ServiceClient | None = None,
) -> Report:
    """Carry out a plan and report what happened.

    Each unit of the plan is stopped in reverse dependency order and started
    in order; independent units run at most ``params.update_concurrency`` at
    a time (one with rolling restart, which also waits for each replacement
    to be healthy). A unit that holds a watchtower container runs after all
    the others have finished. With ``params.cleanup`` the images the updated
    containers ran before are removed, unless still in use.

    An update to a digest in ``params.quarantined`` is skipped; so is every
    replacement not begun once ``params.max_failures`` failed (see
    :mod:`watchtower.quarantine`). Having no history, it quarantines nothing.

    The plan's services are rolled out by their engine, through ``services``
    (see :func:`watchtower.services.roll_out`), after the containers.

    Its events reach ``observer`` as :func:`update`'s do (see
    :mod:`watchtower.events`), all before it returns.

    This is the bare step: no repair, no hooks, no re-check of the plan
    against the registry, no history and no notifiers. To carry out an
    approved plan with all of those, pass it to :func:`update` as ``plan``.
    """
    params = params or UpdateParams()
    with Emitter(observer, clock or system_clock) as emit:
        breaker = Breaker(params.max_failures, params.quarantined, learns=False)
        report = _execute(plan, client, params, emit, emit.now(), services, breaker)
        if params.cleanup and not report.engine_failure:
            removed, kept = cleanup_images(client, report, emit)
            report = attrs.evolve(
                report, finished_at=emit.now(), removed_images=removed, cleanup_failures=kept
            )
        return report


def _execute(
    plan: Plan,
    client: ContainerClient,
    params: UpdateParams,
    emit: Emitter,
    started: datetime,
    services: ServiceClient | None,
    breaker: Breaker,
    host: str = "",
) -> Report:
    results = {e.name: e.to_report() for e in plan.entries}
    entries = {e.name: e for e in plan.entries}
    # Only an entry with an action is acted on, whatever unit names it.
    acting = [
        [entries[n] for n in unit if entries[n].action is not Action.NONE] for unit in plan.units
    ]
    units = [unit for unit in acting if unit]
    engine = ScheduledClient.around(client)
    workers = 1 if params.rolling_restart else params.update_concurrency
    # Watchtower's own units start only when every other unit has finished:
    # the successor removes this instance once its run is over.
    last = [u for u in units if any(e.settings.is_watchtower for e in u)]
    first = [u for u in units if not any(e.settings.is_watchtower for e in u)]
    guard = BreakerGuard(breaker, host, emit, engine.watch)
    replacers = [
        Replacer(engine, params, emit, first, workers, guard=guard),
        Replacer(engine, params, emit, last, guard=guard),
    ]
    for replacer, at_once in zip(replacers, (workers, 1), strict=True):
        results.update(replacer.run(at_once))
    left = [name for r in replacers for name in r.left]
    repaired: tuple[str, ...] = ()
    failure = engine.watch.sentence(sum(r.not_started for r in replacers))
    if left:
        # One more pass for what was left aside, even after a silence: an engine
        # that answers again gets its containers back now, not at the next run.
        try:
            repaired = repair(engine, params, emit, only=left, done=_finished(results.values()))
        except EngineError as error:
            if failure:
                failure += f" Left aside until the engine answers: {', '.join(left)}."
            else:
                emit(Failed(at=emit.now(), step=Step.REPAIR, reason=str(error)))
    if failure:
        emit(Failed(at=emit.now(), step=Step.ENGINE, reason=failure))
    if services is not None and not failure:
        rolled = roll_out(plan.services, services, params, emit)
    else:
        rolled = [s.to_report() for s in plan.services]
    return Report(
        entries=[*(results[e.name] for e in plan.entries), *rolled],
        started_at=started,
        finished_at=emit.now(),
        repaired=repaired,
        engine_failure=failure,
        quarantined=guard.quarantined,
    )


def _finished(entries: Iterable[ContainerReport]) -> frozenset[str]:
    """The ids of the replacements the run finished: the report calls them updated."""
    done = (Outcome.UPDATED, Outcome.RESTARTED)
    return frozenset(e.new_id for e in entries if e.new_id and e.outcome in done)


def update(
    client: ContainerClient,
    registry: Registry,
    params: UpdateParams | None = None,
    *,
    observer: Observer | None = None,
    clock: Clock | None = None,
    dry_run: bool = False,
    notifiers: Sequence[Notifier] = (),
    services: ServiceClient | None = None,
    history: History | None = None,
    past: History | None = None,
    host: str = "",
    plan: Plan | None = None,
    quota: QuotaBook | None = None,
    breaker: Breaker | None = None,
) -> Report:
    """Bring the containers in scope up to date with their registries.

    Selects the containers, runs their pre-check hooks, plans (see
    :func:`~watchtower.plan`), carries the plan out (see :func:`execute`), runs the
    post-check hooks, removes the replaced images if ``params.cleanup`` and
    delivers the report to each notifier. With ``dry_run`` (or monitor-only)
    nothing is changed and stale containers are reported as stale, as are
    those outside their maintenance windows or between the times of their
    own schedule (:mod:`watchtower.timing`; ``params.ignore_windows``
    replaces them anyway), with when they are next due.

    Before all that, it finishes or undoes the replacements that a killed run
    left half done (:func:`watchtower.repair.repair`, not with ``dry_run`` or
    monitor-only); :attr:`Report.repaired <watchtower.report.Report.repaired>`
    says what it did.

    Args:
        client: The container engine.
        registry: The registry client.
        params: What to do; the defaults are Watchtower's.
        observer: Called with each :mod:`~watchtower.events` event, from
            the run's own delivery thread, in the order they happen; never
            from a thread that stops or starts a container, so a slow
            observer adds no downtime. Every event has reached it before
            ``update()`` returns (``RunFinished`` last). A
            :class:`~watchtower.events.Observers` adds a ``prompt`` lane,
            called before the run goes on (a log line that precedes the
            stop it announces). See :mod:`watchtower.events`.
        clock: The current time (timezone-aware); defaults to the system clock.
        dry_run: Plan only, and report the plan.
        notifiers: Where the report goes at the end. A notifier that raises
            is logged, told as a ``Failed`` event (step ``notify``) and
            counted in :attr:`Report.failed_notifications
            <watchtower.report.Report.failed_notifications>`; it never fails
            the update.
        services: The engine's services, updated through it (see
            :mod:`watchtower.services`); their task containers are never
            replaced as plain containers.
        history: Where the run and its changes are kept (see
            :mod:`watchtower.history`), before the notifiers get the report:
            a notifier that hangs, or a process killed while notifying, does
            not lose what the run did. A history that cannot be written is
            logged and told as a ``Failed`` event (step ``history``); it
            never fails the update. The containers it holds (a rollback,
            :meth:`~watchtower.history.History.holds`) are skipped, as
            ``params.held`` says, and with ``params.cleanup`` the images
            they ran before are kept, ``params.keep_previous`` of each.
            Its approvals apply too (see :mod:`watchtower.approvals`): a
            container of the ``approve`` policy is replaced only with the
            image approved, and the updates that wait are kept there.
        past: A history read for the holds, the approvals and the images
            kept, when the caller records the run itself (a run over several
            engines); the updates that wait for approval are kept there.
        host: The engine's name in the history, for the holds and the images kept.
        plan: A plan the caller already has (from :func:`~watchtower.plan`,
            shown to a person and approved): the run carries out this plan
            and no other, instead of planning again. Nothing is scanned or
            pulled; the registry is asked once per distinct image the plan
            updates to, whether it still serves the plan's digest. The rest
            of the run is the same: the repair first, the hooks, the
            replacements, the cleanup, the history and the notifiers. An
            action whose ground moved since the plan was made is not carried
            out and is reported skipped, with the reason (see
            :func:`watchtower.planner.recheck`): the registry serves another
            digest, the container is gone, another one holds its name, or it
            runs another image. Nothing the plan leaves alone is touched.
            The plan's services are rolled out as planned, through
            ``services``, and are not checked again.
        quota: The book of registry quotas its registry client records
            into (:class:`~watchtower.quota.QuotaBook`), needed with
            ``params.registry_quota_share``: the run spends at most that
            share of what each registry has left, and defers the rest.
        breaker: The run's :class:`~watchtower.quarantine.Breaker`, when
            the caller shares one between the engines of a run (as
            :func:`~watchtower.update_hosts` does): a digest that fails on
            one is not deployed on the next, and ``params.max_failures``
            counts the failures of them all. A run of its own by default.
            With a history (or ``past``), its quarantines apply: a container
            whose new digest is quarantined is skipped with the reason, and
            a failed update quarantines its digest there, for the rest of
            the run and the runs after (see :mod:`watchtower.quarantine`).

    Raises:
        ConfigurationError: A parameter is malformed; nothing was changed.
        EngineError: The containers could not be listed; nothing was changed.
    """
    params = params or UpdateParams()
    scoped = with_quota(registry, params.registry_quota_share, quota)
    try:
        with Emitter(observer, clock or system_clock) as emit:
            return _update(
                client,
                scoped,
                params,
                emit,
                dry_run=dry_run,
                notifiers=notifiers,
                services=services,
                history=history,
                past=past,
                host=host,
                plan=plan,
                breaker=breaker,
            )
    finally:
        if scoped is not registry:  # the run this call opened; a caller's is the caller's
            close_quota(scoped)


def _update(
    client: ContainerClient,
    registry: Registry,
    params: UpdateParams,
    emit: Emitter,
    *,
    dry_run: bool,
    notifiers: Sequence[Notifier],
    services: ServiceClient | None,
    history: History | None,
    past: History | None,
    host: str,
    plan: Plan | None,
    breaker: Breaker | None,
) -> Report:
    """:func:`update`'s run, its events told through ``emit``."""
    started = emit.now()
    emit(RunStarted(at=started))
    past = history or past
    params = with_holds(params, holds_of(past, emit), host)
    quarantines = quarantines_of(past, emit)
    params = with_quarantines(params, quarantines)
    if breaker is None:
        breaker = Breaker(params.max_failures, learns=past is not None)
    breaker.know(params.quarantined)
    client = ScheduledClient.around(client)
    # A run that changes nothing repairs nothing either. One listing serves the
    # repair and the selection, unless the repair changed what it lists.
    listed: Sequence[Container] | None = None
    repaired: tuple[str, ...] = ()
    if not (dry_run or params.monitor_only):
        listed = client.list_containers(include_stopped=True, include_restarting=True)
        repaired = repair(client, params, emit, listed)
    hooks = params.lifecycle_hooks and not dry_run
    if plan is not None:
        if listed is None or repaired:
            listed = client.list_containers(include_stopped=True, include_restarting=True)
        chosen, settings = named(plan, listed)
        if hooks:
            # Before the registry is asked again.
            ids = {c.name: c.id for c in chosen}
            _check_hooks(client, chosen, settings, ids, Hook.PRE_CHECK, emit)
        the_plan = narrowed(plan, client, registry, params, emit, listed)
        if params.monitor_only:
            the_plan = the_plan.without_actions("monitor only")
    else:
        chosen, settings = in_scope(client, params, None if repaired else listed)
        params = with_canary_containers(params, chosen, settings, past, host, emit)
    if any(own.policy is Policy.APPROVE for own in settings.values()):
        params = with_approvals(params, approvals_of(past, emit), host)
    if hooks and plan is None:
        ids = {c.name: c.id for c in chosen}
        _check_hooks(client, chosen, settings, ids, Hook.PRE_CHECK, emit)
    followed = params.canary_promote_at_once and any(s.canary for s in settings.values())
    if plan is None and (services is not None or followed):
        # One digest request per tag: containers and services share it, and the
        # containers that follow the canaries are checked again with it.
        registry = registry if isinstance(registry, DigestMemo) else DigestMemo(registry)
    if plan is None:
        # Services first: an engine that refuses to list them fails the run before any pull.
        service_entries = (
            plan_services(services, registry, params, emit) if services is not None else ()
        )
        the_plan = make_plan(chosen, settings, client, registry, params, emit)
        the_plan = attrs.evolve(the_plan, services=service_entries)
    if dry_run:
        the_plan = the_plan.without_actions("dry run")
    else:
        ask_for(the_plan, params, past, host, emit)
    emit.planned(the_plan)
    report = _execute(the_plan, client, params, emit, started, services, breaker, host)
    if plan is None and not dry_run and not params.monitor_only:

        def then(following: Sequence[Container], gate: UpdateParams) -> tuple[Plan, Report]:
            again = make_plan(following, settings, client, registry, gate, emit)
            return again, _execute(again, client, gate, emit, started, None, breaker, host)

        report = follow(the_plan, report, chosen, params, host, emit.now(), then)
    ended = {} if dry_run or params.monitor_only else superseded(the_plan, quarantines)
    new = record_quarantines(past, report.quarantined, ended, emit)
    if hooks and not report.engine_failure:
        ids = {
            e.name: e.new_id or e.id
            for e in report
            if (e.outcome is not Outcome.FAILED or e.rolled_back) and e.kind is EntryKind.CONTAINER
        }
        running = [c for c in chosen if c.state.is_running and c.name in ids]
        _check_hooks(client, running, settings, ids, Hook.POST_CHECK, emit)
    cleanup = params.cleanup and not dry_run and not report.engine_failure
    removed, kept = (
        cleanup_images(client, report, emit, past, host, params.keep_previous)
        if cleanup
        else ((), ())
    )
    report = attrs.evolve(
        report,
        finished_at=emit.now(),
        removed_images=removed,
        cleanup_failures=kept,
        dry_run=dry_run,
        repaired=repaired + report.repaired,
        quarantined=new,
    )
    keep(history, report, emit)
    report = deliver(notifiers, report, emit)
    emit(
        RunFinished(
            at=report.finished_at,
            duration=report.finished_at - report.started_at,
            scanned=len(report.scanned),
            updated=len(report.updated),
            failed=len(report.failed),
        )
    )
    return report


def _check_hooks(
    client: ContainerClient,
    containers: Iterable[Container],
    settings: Mapping[str, ContainerSettings],
    ids: Mapping[str, str],
    hook: Hook,
    emit: Emitter,
) -> None:
    for container in containers:
        if container.state.is_running:
            run = run_hook(client, settings[container.name], ids[container.name], hook)
            emit.hook(container.name, run)


def deliver(notifiers: Sequence[Notifier], report: Report, emit: Emitter) -> Report:
    """``report`` delivered to each notifier, with how many failed counted on it.

    A :class:`~watchtower.errors.NotificationError` counts the services it names.
    """
    failures = 0
    for notifier in notifiers:
        try:
            notifier.notify(report)
        except Exception as error:
            failures += error.failed if isinstance(error, NotificationError) else 1
            emit.failed(
                Step.NOTIFY, f"{type(notifier).__name__} could not deliver the report: {error}"
            )
    return attrs.evolve(report, failed_notifications=failures) if failures else report


def keep(history: History | None, report: Report, emit: Emitter) -> None:
    """``report`` recorded in ``history``; a failure is logged and told, never raised."""
    if history is None:
        return
    try:
        history.record(report)
    except Exception as error:
        emit.failed(Step.HISTORY, f"The run was not kept in the history: {error}")


def holds_of(history: History | None, emit: Emitter) -> Mapping[tuple[str, str], Hold]:
    """The holds ``history`` keeps now; none when it cannot say (logged and told, never raised).

    Read at each run, so that a hold another process wrote (``watchtower
    rollback`` beside a daemon) counts from the next run on.
    """
    unread = "The holds could not be read from the history, so none applies"
    return read_kept(history, lambda kept: kept.holds(), unread, emit)


def with_holds(
    params: UpdateParams, holds: Mapping[tuple[str, str], Hold], host: str = ""
) -> UpdateParams:
    """``params`` with the containers of ``host`` that ``holds`` holds added to ``params.held``."""
    held = held_on(holds, host)
    if not held:
        return params
    return attrs.evolve(params, held={**params.held, **held})
