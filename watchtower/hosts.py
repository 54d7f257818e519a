"""Many engines from one process: one registry answer per image per scan, a report per host.

:func:`update_hosts` runs :func:`~watchtower.update` on each engine, several
at once, with one :class:`DigestMemo` in front of the registry: however many
hosts run an image, its registry is asked once per scan. An engine that is
down (or slower than its client's timeout) is reported and skipped; the
others go on. The result, a :class:`HostsReport`, has each host's report and
the whole run as one :class:`~watchtower.report.Report` whose entries name
their host, which is what the notifiers get.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import TypeVar

import attrs
from attrs import field, frozen

from ._emitter import Emitter
from .clock import Clock, system_clock
from .events import Event, Observer
from .memo import DigestMemo
from .orchestrator import deliver, update
from .params import UpdateParams
from .planner import plan
from .plans import Plan
from .protocols import ContainerClient, Notifier, Registry, ServiceClient
from .report import ContainerReport, EntryKind, Outcome, Report

__all__ = ["HostsReport", "engines_by_name", "plan_hosts", "update_hosts"]

_log = logging.getLogger(__name__)

T = TypeVar("T")


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
    """

    reports: Mapping[str, Report] = field(converter=_hosted)
    failures: Mapping[str, str] = field(factory=dict, converter=_reasons)
    started_at: datetime
    finished_at: datetime
    failed_notifications: int = 0

    @property
    def total(self) -> Report:
        """The whole run as one report, with every host's entries, each naming its host.

        A host that could not be scanned is one failed entry of kind ``host``.
        """
        entries: list[ContainerReport] = []
        removed: list[str] = []
        repaired: list[str] = []
        dry_run = False
        for host, report in self.reports.items():
            entries.extend(attrs.evolve(e, host=host) for e in report.entries)
            removed.extend(report.removed_images)
            repaired.extend(f"{host}: {line}" for line in report.repaired)
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
            dry_run=dry_run,
            failed_notifications=self.failed_notifications,
            repaired=repaired,
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


def _one_at_a_time(observer: Observer | None) -> Callable[[str], Observer | None]:
    """The observer for each host: called from one host's run at a time, with the host named."""
    if observer is None:
        return lambda host: None
    lock = threading.Lock()

    def for_host(host: str) -> Observer:
        def observe(event: Event) -> None:
            with lock:
                observer(attrs.evolve(event, host=host))

        return observe

    return for_host


def _each_host(
    engines: Mapping[str, ContainerClient],
    work: Callable[[str, ContainerClient], T],
    concurrency: int,
) -> tuple[dict[str, T], dict[str, str]]:
    """``work`` on every host, ``concurrency`` at once: the answers, and why each failure failed."""
    answers: dict[str, T] = {}
    failures: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(engines)))) as pool:
        futures = {host: pool.submit(work, host, engine) for host, engine in engines.items()}
        for host, future in futures.items():
            try:
                answers[host] = future.result()
            except Exception as error:
                failures[host] = f"host {host} was skipped: {error}"
                _log.warning("%s", failures[host])
    return answers, failures


def update_hosts(
    engines: Mapping[str, ContainerClient] | Sequence[ContainerClient],
    registry: Registry,
    params: UpdateParams | None = None,
    *,
    services: Mapping[str, ServiceClient] | None = None,
    observer: Observer | None = None,
    clock: Clock | None = None,
    dry_run: bool = False,
    notifiers: Sequence[Notifier] = (),
    concurrency: int = 8,
) -> HostsReport:
    """Run :func:`~watchtower.update` on every engine, with one registry answer per image.

    Hosts run ``concurrency`` at a time, each as :func:`~watchtower.update`
    runs one engine (``services`` gives a host's services, by the same
    name). The registry is asked once per distinct reference for the whole
    scan (a :class:`DigestMemo`). A host whose run raises (its engine is
    down, or slower than its client's timeout) is skipped and reported; the
    others go on. The notifiers get :attr:`HostsReport.total` once.
    """
    clock = clock or system_clock
    named = engines_by_name(engines)
    memo = DigestMemo(registry)
    observer_for = _one_at_a_time(observer)
    started = clock()

    def work(host: str, engine: ContainerClient) -> Report:
        return update(
            engine,
            memo,
            params,
            observer=observer_for(host),
            clock=clock,
            dry_run=dry_run,
            services=(services or {}).get(host),
        )

    reports, failures = _each_host(named, work, concurrency)
    result = HostsReport(
        reports={h: reports[h] for h in named if h in reports},
        failures=failures,
        started_at=started,
        finished_at=clock(),
    )
    if notifiers:
        delivered = deliver(notifiers, result.total, Emitter(observer, clock))
        result = attrs.evolve(result, failed_notifications=delivered.failed_notifications)
    return result


def plan_hosts(
    engines: Mapping[str, ContainerClient] | Sequence[ContainerClient],
    registry: Registry,
    params: UpdateParams | None = None,
    *,
    services: Mapping[str, ServiceClient] | None = None,
    observer: Observer | None = None,
    clock: Clock | None = None,
    pull: bool = True,
    concurrency: int = 8,
) -> tuple[dict[str, Plan], dict[str, str]]:
    """:func:`~watchtower.plan` on every engine, with one registry answer per image.

    Returns each host's plan, and why each host that could not be planned
    was skipped.
    """
    memo = DigestMemo(registry)
    observer_for = _one_at_a_time(observer)

    def work(host: str, engine: ContainerClient) -> Plan:
        return plan(
            engine,
            memo,
            params,
            observer=observer_for(host),
            clock=clock,
            pull=pull,
            services=(services or {}).get(host),
        )

    return _each_host(engines_by_name(engines), work, concurrency)
