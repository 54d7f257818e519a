"""Many engines from one process: one registry answer per image per scan, a report per host.

:func:`update_hosts` runs :func:`~watchtower.update` on each host of a
:class:`~watchtower.fleet.Fleet`, several at once, with one
:class:`DigestMemo` in front of the registry: however many hosts run an
image, its registry is asked once per scan. An engine that is down (or
slower than its client's timeout) is reported and skipped; the others go
on. The result, a :class:`HostsReport`, has each host's report and the whole
run as one :class:`~watchtower.report.Report` whose entries name their host,
which is what the notifiers get.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TypeAlias

import attrs
from attrs import field, frozen

from ._emitter import Emitter, on_host, serially
from .canaries import kept
from .canary import Deployment, Rollout
from .clock import Clock, system_clock
from .errors import ConfigurationError
from .events import Observer
from .fleet import Engine, Fleet, each_host
from .history import History
from .history._reading import read_or
from .memo import DigestMemo, close_quota, with_quota
from .orchestrator import deliver, keep, update
from .params import UpdateParams
from .planner import plan
from .plans import Plan
from .protocols import ContainerClient, Notifier, Registry, ServiceClient
from .quarantine import Breaker
from .quota import QuotaBook, book_of
from .report import ContainerReport, EntryKind, Outcome, Report

_log = logging.getLogger(__name__)

__all__ = [
    "Engines",
    "HostsReport",
    "as_fleet",
    "delivered",
    "engines_by_name",
    "plan_hosts",
    "planned_hosts",
    "rollout_of",
    "run_hosts",
    "update_hosts",
]


def _hosted(value: Mapping[str, Report]) -> Mapping[str, Report]:
    return dict(value)


def _reasons(value: Mapping[str, str]) -> Mapping[str, str]:
    return dict(value)


@frozen(kw_only=True)
class HostsReport:
    """The outcome of one run over several engines.

    Attributes:
        reports: The report of each host that was scanned, by host name.
        failures: Why each host that could not be scanned was skipped.
        started_at: When the run began.
        finished_at: When it ended.
        failed_notifications: How many notifiers could not deliver it.
        trigger: What started it (see :attr:`Report.trigger
            <watchtower.report.Report.trigger>`).
    """

    reports: Mapping[str, Report] = field(converter=_hosted)
    failures: Mapping[str, str] = field(factory=dict, converter=_reasons)
    started_at: datetime
    finished_at: datetime
    failed_notifications: int = 0
    trigger: str = ""

    @property
    def total(self) -> Report:
        """The whole run as one report, with every host's entries, each naming its host.

        A host that could not be scanned is one failed entry of kind ``host``.
        The report of a fleet of one unnamed engine is that engine's report.
        """
        if set(self.reports) == {""} and not self.failures:
            only = self.reports[""]
            return attrs.evolve(
                only,
                failed_notifications=self.failed_notifications,
                trigger=self.trigger or only.trigger,
            )
        entries: list[ContainerReport] = []
        quarantined = [q for report in self.reports.values() for q in report.quarantined]
        removed: list[str] = []
        repaired: list[str] = []
        kept: list[str] = []
        dry_run = False
        for host, report in self.reports.items():
            entries.extend(attrs.evolve(e, host=host) for e in report.entries)
            removed.extend(report.removed_images)
            repaired.extend(f"{host}: {line}" for line in report.repaired)
            kept.extend(f"{host}: {line}" for line in report.cleanup_failures)
            dry_run = dry_run or report.dry_run
        entries.extend(
            ContainerReport(
                id=host,
                name=host,
                image="",
                old_image_id="",
                outcome=Outcome.FAILED,
                reason=reason,
                kind=EntryKind.HOST,
                host=host,
            )
            for host, reason in self.failures.items()
        )
        return Report(
            entries=entries,
            started_at=self.started_at,
            finished_at=self.finished_at,
            removed_images=removed,
            cleanup_failures=kept,
            dry_run=dry_run,
            failed_notifications=self.failed_notifications,
            repaired=repaired,
            trigger=self.trigger,
            quarantined=quarantined,
        )

    def summary(self) -> str:
        """One line: the hosts scanned and skipped, and the counts of the whole run."""
        hosts = f"Hosts {len(self.reports)} scanned, {len(self.failures)} skipped"
        return f"{hosts}; {self.total.summary()}"


def engines_by_name(
    engines: Mapping[str, ContainerClient] | Sequence[ContainerClient],
) -> dict[str, ContainerClient]:
    """The engines by host name; a list's engines are named ``host-1``, ``host-2``, ..."""
    if isinstance(engines, Mapping):
        return dict(engines)
    return {f"host-{number}": engine for number, engine in enumerate(engines, 1)}


Engines: TypeAlias = Fleet | Mapping[str, ContainerClient] | Sequence[ContainerClient]
"""A :class:`~watchtower.fleet.Fleet`, or the clients a caller opened: by host name, or a list."""


def as_fleet(
    engines: Engines,
    services: Mapping[str, ServiceClient] | None = None,
    concurrency: int | None = None,
) -> Fleet:
    """``engines`` as a fleet, with ``concurrency`` hosts at a time when given.

    Raises:
        ConfigurationError: ``services`` are given beside a fleet (a fleet's
            hosts carry their own), or name a host that is not there.
    """
    if isinstance(engines, Fleet):
        if services:
            raise ConfigurationError("A fleet's hosts carry their services; give no services.")
        fleet = engines
    else:
        fleet = Fleet.of(engines_by_name(engines), services or {})
    return fleet if concurrency is None else attrs.evolve(fleet, concurrency=concurrency)


def _one_at_a_time(observer: Observer | None) -> Callable[[str], Observer | None]:
    """The observer for each host: called from one host's run at a time, with the host named."""
    if observer is None:
        return lambda host: None
    serial = serially(observer)  # its lanes kept apart: a slow one holds no prompt one up
    return lambda host: on_host(serial, host)


def run_hosts(
    fleet: Fleet,
    work: Callable[[Engine, Observer | None, str], Report | None],
    *,
    observer: Observer | None,
    clock: Clock,
) -> HostsReport | None:
    """``work`` on every host of ``fleet`` (see :func:`~watchtower.fleet.each_host`), as one report.

    ``work`` gets the host's engine, its observer, which names the host, and its name.
    A host whose work returns ``None`` ran nothing; when none ran anything
    and none failed, the result is ``None``.
    """
    observer_for = _one_at_a_time(observer)
    started = clock()
    answers, failures = each_host(
        fleet, lambda host, engine: work(engine, observer_for(host), host)
    )
    for reason in failures.values():
        _log.warning("%s", reason)
    reports = {host: report for host, report in answers.items() if report is not None}
    if not reports and not failures:
        return None
    return HostsReport(reports=reports, failures=failures, started_at=started, finished_at=clock())


def update_hosts(
    engines: Engines,
    registry: Registry,
    params: UpdateParams | None = None,
    *,
    services: Mapping[str, ServiceClient] | None = None,
    observer: Observer | None = None,
    clock: Clock | None = None,
    dry_run: bool = False,
    notifiers: Sequence[Notifier] = (),
    concurrency: int | None = None,
    history: History | None = None,
    trigger: str = "",
    plans: Mapping[str, Plan] | None = None,
    quota: QuotaBook | None = None,
) -> HostsReport:
    """Run :func:`~watchtower.update` on every engine, with one registry answer per image.

    ``engines`` is a :class:`~watchtower.fleet.Fleet` (each host opened for
    the run and closed after it), or clients by host name (``services``
    then gives a host's swarm services by the same name). Hosts run
    ``concurrency`` at a time (the fleet's by default), each as
    :func:`~watchtower.update` runs one engine. The registry is asked once
    per distinct reference for the whole scan (a :class:`DigestMemo`). A
    named host whose run raises (its engine is down, or slower than its
    client's timeout) is skipped and reported; the others go on. The
    ``history`` keeps :attr:`HostsReport.total` once (each change names its
    host, and the run its ``trigger``), then the notifiers get it once.

    The hosts share one :class:`~watchtower.quarantine.Breaker`: with a
    ``history``, a digest whose replacement fails on one host is not
    deployed on a host that reaches it later in the run (nor in later
    runs); ``params.max_failures`` counts the failures of every host.

    With ``plans`` (approved plans by host name, as :func:`plan_hosts` made
    them) the run carries out those plans and no other: each host's plan
    goes to :func:`~watchtower.update` as its ``plan`` (re-checked there,
    see :func:`~watchtower.planner.recheck`), and a host with no plan in
    the mapping is not touched, not even opened.

    A fleet with canary hosts (:attr:`Host.canary
    <watchtower.fleet.Host.canary>`) runs them first, then the others, whose
    containers move to a new image of a reference a canary runs only once
    the canaries promoted it (:mod:`watchtower.canary`): it ran on a canary,
    with no failure, for ``params.canary_soak`` (as the ``history`` and this
    run's canary reports tell), or, with ``params.canary_promote_at_once``,
    the canaries were updated to it in this run with no failure.

    With ``params.registry_quota_share`` and the ``quota`` book its registry
    client records into, the scan spends at most that share of each
    registry's quota, all hosts together (one budget), and defers the rest.

    Raises:
        ConfigurationError: ``services`` name no host, or come beside a fleet;
            ``plans`` name a host the fleet does not have, or none at all.
        WatchtowerError: The unnamed host of a fleet of one engine failed,
            as :func:`~watchtower.update` raises.
    """
    clock = clock or system_clock
    fleet = as_fleet(engines, services, concurrency)
    if plans is not None:
        fleet = planned_hosts(fleet, plans)
    share = params.registry_quota_share if params is not None else None
    memo = with_quota(DigestMemo(registry), share, quota)
    breaker = Breaker((params or UpdateParams()).max_failures, learns=history is not None)

    def work(
        engine: Engine, observe: Observer | None, host: str, rollout: Rollout | None = None
    ) -> Report:
        applied = engine.applied(params)
        return update(
            engine.client,
            memo,
            applied if rollout is None else attrs.evolve(applied, canary=rollout),
            observer=observe,
            clock=clock,
            dry_run=dry_run,
            services=engine.services,
            past=history,
            host=host,
            plan=plans[host] if plans is not None else None,
            breaker=breaker,
        )

    try:
        result = _canaries_first(fleet, work, params, history, observer, clock)
    finally:
        close_quota(memo)
    result = attrs.evolve(result, trigger=trigger)
    keep(history, result.total, Emitter(observer, clock))
    return delivered(result, notifiers, observer, clock)


def _canaries_first(
    fleet: Fleet,
    work: Callable[[Engine, Observer | None, str, Rollout | None], Report],
    params: UpdateParams | None,
    history: History | None,
    observer: Observer | None,
    clock: Clock,
) -> HostsReport:
    """The run of ``work`` on the canary hosts, then on the others behind their gate."""
    canaries = [host for host in fleet.hosts if host.canary]
    rest = [host for host in fleet.hosts if not host.canary]
    if not canaries or not rest:
        whole = run_hosts(
            fleet, lambda e, o, h: work(e, o, h, None), observer=observer, clock=clock
        )
        assert whole is not None  # every host's work returns a report
        return whole
    params = params or UpdateParams()
    first = run_hosts(
        attrs.evolve(fleet, hosts=canaries),
        lambda e, o, h: work(e, o, h, None),
        observer=observer,
        clock=clock,
    )
    assert first is not None
    rollout = rollout_of(first, history, params, clock(), emit=Emitter(observer, clock))
    then = run_hosts(
        attrs.evolve(fleet, hosts=rest),
        lambda e, o, h: work(e, o, h, rollout),
        observer=observer,
        clock=clock,
    )
    assert then is not None
    order = fleet.names
    reports = {**first.reports, **then.reports}
    failures = {**first.failures, **then.failures}
    return HostsReport(
        reports={name: reports[name] for name in order if name in reports},
        failures={name: failures[name] for name in order if name in failures},
        started_at=first.started_at,
        finished_at=then.finished_at,
    )


def rollout_of(
    canaries: HostsReport,
    history: History | None,
    params: UpdateParams,
    now: datetime,
    *,
    emit: Emitter | None = None,
) -> Rollout:
    """What the canary hosts did, from the ``history`` and their reports of this run.

    An image a canary was updated to in this run is soaking from the end of
    its run, or promoted already with ``params.canary_promote_at_once``. A
    history that cannot be read is told through ``emit`` (a ``Failed`` event
    of step ``history``): only this run's reports count then.
    """
    emit = emit or Emitter(None, lambda: now)
    images, deployments = _canary_past(history, [*canaries.reports, *canaries.failures], emit)
    soaked = now - params.canary_soak
    for host, report in canaries.reports.items():
        at = soaked if params.canary_promote_at_once else report.finished_at
        for entry in report.entries:
            if entry.kind is not EntryKind.CONTAINER:
                continue
            images.add(entry.image)
            if entry.new_image_id and entry.outcome in (Outcome.UPDATED, Outcome.FAILED):
                failed = entry.outcome is Outcome.FAILED
                deployments.append(Deployment(host, entry.image, entry.new_image_id, at, failed))
    return Rollout(images=images, deployments=deployments, soak=params.canary_soak, now=now)


def _canary_past(
    history: History | None, hosts: Sequence[str], emit: Emitter
) -> tuple[set[str], list[Deployment]]:
    """The images the canary ``hosts`` ran and their updates, as the ``history`` kept them.

    None when it cannot say: the others wait for what this run's canaries do.
    """

    def read(past: History) -> tuple[set[str], list[Deployment]]:
        found = [kept(past, host) for host in hosts]
        return {i for images, _ in found for i in images}, [d for _, ds in found for d in ds]

    unread = "What the canary hosts did could not be read"
    nothing: tuple[set[str], list[Deployment]] = (set(), [])
    return read_or(history, read, nothing, unread, emit)


def planned_hosts(fleet: Fleet, plans: Mapping[str, Plan]) -> Fleet:
    """``fleet`` narrowed to the hosts ``plans`` has a plan for, in the fleet's order.

    Raises:
        ConfigurationError: ``plans`` names a host the fleet does not have, or none.
    """
    unknown = sorted(set(plans) - set(fleet.names))
    if unknown:
        raise ConfigurationError(f"A plan names the host {unknown[0][:80]!r}, which is no host.")
    if not plans:
        raise ConfigurationError("There is no plan to carry out: it names no host.")
    return attrs.evolve(fleet, hosts=[host for host in fleet.hosts if host.name in plans])


def delivered(
    result: HostsReport, notifiers: Sequence[Notifier], observer: Observer | None, clock: Clock
) -> HostsReport:
    """``result`` once its whole report went to the notifiers, with how many failed counted."""
    if not notifiers:
        return result
    report = deliver(notifiers, result.total, Emitter(observer, clock))
    return attrs.evolve(result, failed_notifications=report.failed_notifications)


def plan_hosts(
    engines: Engines,
    registry: Registry,
    params: UpdateParams | None = None,
    *,
    services: Mapping[str, ServiceClient] | None = None,
    observer: Observer | None = None,
    clock: Clock | None = None,
    pull: bool = True,
    concurrency: int | None = None,
    history: History | None = None,
    quota: QuotaBook | None = None,
) -> tuple[dict[str, Plan], dict[str, str]]:
    """:func:`~watchtower.plan` on every engine, with one registry answer per image.

    ``engines`` is as for :func:`update_hosts`. Returns each host's plan,
    and why each host that could not be planned was skipped. The plans of
    the hosts that are not canaries are behind the canary gate, as the
    ``history`` tells what the canary hosts did (see :func:`update_hosts`):
    an entry that waits for the canaries is skipped, with the reason.

    With ``params.registry_quota_share`` and the ``quota`` book (by default
    the one ``registry`` records into, if any), the plan spends at most that
    share of each registry's quota, as a run does (see :func:`update_hosts`):
    what would exceed it is deferred, skipped with the quota's sentence.
    Without a book the plan is not limited.
    """
    share = params.registry_quota_share if params is not None else None
    book = quota if quota is not None else book_of(registry)
    memo = with_quota(DigestMemo(registry), share if book is not None else None, book)
    observer_for = _one_at_a_time(observer)

    def work(host: str, engine: Engine, rollout: Rollout | None = None) -> Plan:
        applied = engine.applied(params)
        return plan(
            engine.client,
            memo,
            applied if rollout is None else attrs.evolve(applied, canary=rollout),
            observer=observer_for(host),
            clock=clock,
            pull=pull,
            services=engine.services,
            past=history,
            host=host,
        )

    try:
        plans, failures = _plan_canaries_first(
            as_fleet(engines, services, concurrency), work, params, history, observer, clock
        )
    finally:
        close_quota(memo)
    for reason in failures.values():
        _log.warning("%s", reason)
    return plans, failures


def _plan_canaries_first(
    fleet: Fleet,
    work: Callable[..., Plan],
    params: UpdateParams | None,
    history: History | None,
    observer: Observer | None,
    clock: Clock | None,
) -> tuple[dict[str, Plan], dict[str, str]]:
    """The plans of ``work`` on the canary hosts, then on the others behind their gate."""
    canaries = [host for host in fleet.hosts if host.canary]
    rest = [host for host in fleet.hosts if not host.canary]
    if canaries and rest:
        first, failed = each_host(attrs.evolve(fleet, hosts=canaries), work)
        emit = Emitter(observer, clock or system_clock)
        images, deployments = _canary_past(history, [host.name for host in canaries], emit)
        images.update(e.container.image.familiar for p in first.values() for e in p.entries)
        soak = (params or UpdateParams()).canary_soak
        now = emit.now()
        rollout = Rollout(images=images, deployments=deployments, soak=soak, now=now)
        then, then_failed = each_host(
            attrs.evolve(fleet, hosts=rest), lambda host, engine: work(host, engine, rollout)
        )
        found, why = {**first, **then}, {**failed, **then_failed}
        plans = {name: found[name] for name in fleet.names if name in found}
        failures = {name: why[name] for name in fleet.names if name in why}
        return plans, failures
    return each_host(fleet, work)
