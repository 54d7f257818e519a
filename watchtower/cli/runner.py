"""One run at a time: the :class:`Runner` that the schedule, the HTTP API and
``--run-once`` all go through.

A run takes the lock; a scheduled run or a full API run that finds it taken
is skipped (and counted in ``watchtower_scans_skipped_total``), a targeted API
run waits for it, as in Watchtower. A plan or a check of the API takes it
too (:meth:`Runner.between_runs`), so that its pulls and its share of the
registry quota never overlap a run's; a run that finds one of those going
waits for it rather than being skipped. After each run the report goes to
the metrics, the porcelain output and the notifications.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TypeVar

from ..clock import Clock, system_clock
from ..errors import ConfigurationError, WatchtowerError
from ..events import Event, Observer, Observers
from ..fleet import Fleet
from ..history import History
from ..hosts import update_hosts
from ..params import UpdateParams
from ..plans import Plan
from ..protocols import ContainerClient, Notifier, Registry
from ..push import PushEvent, update_pushed
from ..quota import book_of
from ..report import Report
from .logs import log_event
from .metrics import Metrics
from .waiting import WindowWaiter

__all__ = ["Runner"]

T = TypeVar("T")


class Runner:
    """Runs updates over a fleet one at a time and tells everyone about it.

    Args:
        fleet: The engines, by host (:func:`watchtower.cli.hosts.fleet_of`);
            one client is a fleet of that engine.
        registry: The registry client.
        params: The parameters of a full run.
        metrics: Where scans are counted.
        logger: Where events and errors are logged.
        dry_run: Plan only.
        notifiers: Where each report goes, as :func:`watchtower.update`
            delivers it: a notifier that fails is counted on the report.
        on_start: Called as each run begins (the notifications forget
            the log lines of the time between runs).
        on_report: Called with each report (the porcelain output).
        clock: The current time.
        history: Where each run is kept (``--data-dir``), if anywhere.

    Attributes:
        quota: The registry client's :class:`~watchtower.quota.QuotaBook`
            (``HttpRegistry(quota=...)``), kept across runs and hosts; runs
            spend ``params.registry_quota_share`` of it.
        waiter: Told each report, to run the containers that wait for a
            maintenance window when it opens (the daemon's); ``None`` for none.
    """

    def __init__(
        self,
        fleet: Fleet | ContainerClient,
        registry: Registry,
        params: UpdateParams,
        *,
        metrics: Metrics,
        logger: logging.Logger,
        dry_run: bool = False,
        notifiers: Sequence[Notifier] = (),
        on_start: Callable[[], object] | None = None,
        on_report: Callable[[Report], object] | None = None,
        clock: Clock = system_clock,
        history: History | None = None,
    ) -> None:
        self.fleet = fleet if isinstance(fleet, Fleet) else Fleet.of(fleet)
        self.registry = registry
        self.params = params
        self.metrics = metrics
        self.logger = logger
        self.dry_run = dry_run
        self.notifiers = tuple(notifiers)
        self.on_start = on_start
        self.on_report = on_report
        self.clock = clock
        self.history = history
        # The registry client's book: one budget for every run and every engine.
        self.quota = book_of(registry)
        self.last_report: Report | None = None
        self.waiter: WindowWaiter | None = None
        self._lock = threading.Lock()
        # True while a plan or a check holds the lock: a run waits for it, never skips.
        self._aside = False
        self._threads: list[threading.Thread] = []
        self._observers: list[Observer] = []

    @property
    def busy(self) -> bool:
        """True while a run is going (not a plan or a check, which a run waits for)."""
        return self._lock.locked() and not self._aside

    def _take(self, wait: bool) -> bool:
        """Take the lock: at once, or after a plan or a check going, or after any run with
        ``wait``; ``False`` when a run is going and ``wait`` is false."""
        if self._lock.acquire(blocking=wait):
            return True
        # A plan or a check is short and is no run: the run goes after it.
        return self._aside and self._lock.acquire()

    def between_runs(self, work: Callable[[], T], *, timeout: timedelta) -> Callable[[], T] | None:
        """Hold the runs' lock for ``work`` (a plan, a check), after a run in progress.

        Waits at most ``timeout`` for a run going to end, and returns ``None``
        if it outlasted that: nothing was done, and nothing will be. Otherwise
        the lock is held and the answer is ``work`` to be called once, on any
        thread: it runs with the lock held and lets it go when it returns or
        raises. Meanwhile no run starts; one that comes waits for it (see
        :meth:`run` and :meth:`start`) and :attr:`busy` stays false.
        """
        if not self._lock.acquire(timeout=max(timeout.total_seconds(), 0)):
            return None
        self._aside = True

        def held() -> T:
            try:
                return work()
            finally:
                self._aside = False
                self._lock.release()

        return held

    def add_observer(self, observer: Observer) -> None:
        """Tell ``observer`` each event of every run from now on (the HTTP event stream)."""
        self._observers.append(observer)

    @property
    def _observe(self) -> Observers:
        # The log line is prompt: "Stopping container" is written before the
        # stop begins. The stream, the page and the broker are told from the
        # run's delivery thread: however slow, they hold no container down.
        return Observers(prompt=self._log, queued=self._tell)

    def _log(self, event: Event) -> None:
        log_event(self.logger, event)

    def _tell(self, event: Event) -> None:
        for observer in self._observers:
            observer(event)

    def _report(
        self,
        params: UpdateParams,
        pushed: Sequence[PushEvent],
        trigger: str,
        fleet: Fleet,
        plans: Mapping[str, Plan] | None = None,
    ) -> Report | None:
        if pushed:
            return update_pushed(
                pushed,
                fleet,
                self.registry,
                params,
                observer=self._observe,
                clock=self.clock,
                dry_run=self.dry_run,
                notifiers=self.notifiers,
                history=self.history,
                quota=self.quota,
            )
        return update_hosts(
            fleet,
            self.registry,
            params,
            observer=self._observe,
            clock=self.clock,
            dry_run=self.dry_run,
            notifiers=self.notifiers,
            history=self.history,
            trigger=trigger,
            plans=plans,
            quota=self.quota,
        ).total

    def _run_locked(
        self,
        params: UpdateParams,
        pushed: Sequence[PushEvent] = (),
        trigger: str = "",
        fleet: Fleet | None = None,
        plans: Mapping[str, Plan] | None = None,
    ) -> Report | None:
        if self.on_start is not None:
            self.on_start()
        try:
            report = self._report(params, pushed, trigger, fleet or self.fleet, plans)
        except WatchtowerError as error:
            self.logger.error("The run failed: %s", error)
            return None
        if report is None:
            self.logger.info(
                "No container in scope runs the pushed image: %s",
                ", ".join(sorted({f"{e.repository}:{e.tag}" for e in pushed})),
            )
            return None
        self.last_report = report
        if self.waiter is not None:
            self.waiter.note(report)
        self.metrics.record(report)
        if self.quota is not None:
            self.metrics.record_quota(self.quota)
        self.logger.info(
            "Session done: %s",
            report.summary(),
            extra={
                "scanned": len(report.scanned),
                "updated": len(report.updated),
                "failed": len(report.failed),
                "notify": False,
            },
        )
        if self.on_report is not None:
            self.on_report(report)
        return report

    def run(
        self,
        params: UpdateParams | None = None,
        *,
        wait: bool = True,
        trigger: str = "",
        host: str | None = None,
        plans: Mapping[str, Plan] | None = None,
    ) -> Report | None:
        """Run now, in this thread.

        Args:
            params: This run's parameters; the full run's by default.
            wait: Wait for a run in progress; without it a busy runner skips
                (and counts the skip) and returns ``None``. A plan or a check
                in progress is waited for either way.
            trigger: What started it (``schedule``, ``api``, ...), for the
                report and the history.
            host: Only this host of the fleet (see :meth:`~watchtower.fleet.Fleet.only`);
                every host by default.
            plans: Approved plans by host name (:func:`watchtower.hosts.plan_hosts`):
                the run carries out these and no other, as
                :func:`watchtower.update_hosts` does with its ``plans``; a
                host without one is not touched.

        Raises:
            ConfigurationError: There is no such host.

        Returns:
            The report, or ``None`` when the run was skipped or failed.
        """
        fleet = self.fleet.only(host) if host is not None else None
        if not self._take(wait):
            self.skip()
            return None
        try:
            return self._run_locked(
                params or self.params, trigger=trigger, fleet=fleet, plans=plans
            )
        finally:
            self._lock.release()

    def run_pushed(self, events: Sequence[PushEvent]) -> Report | None:
        """Run for the containers whose image ``events`` name, after a run in progress.

        See :func:`watchtower.push.update_pushed`. Returns ``None`` when no
        container in scope runs a pushed image, or the run failed.
        """
        with self._lock:
            return self._run_locked(self.params, events)

    def run_waiting(self, names: Sequence[str]) -> Report | None:
        """Run for the containers ``names`` whose maintenance window opened (trigger ``window``),
        after a run in progress."""
        params = self.params.only(names)
        return self.run(params, wait=True, trigger="window")

    def start(
        self,
        params: UpdateParams | None = None,
        *,
        wait: bool = False,
        trigger: str = "",
        plans: Mapping[str, Plan] | None = None,
    ) -> bool:
        """Run on a thread of its own; returns at once (``trigger`` and ``plans`` as for
        :meth:`run`).

        Returns:
            ``False`` when a run was in progress and ``wait`` is false: the
            run is skipped (and counted). A plan or a check in progress is
            not skipped for: the run's thread waits for it.
        """
        queued = False
        if not self._lock.acquire(blocking=wait):
            if not self._aside:
                self.skip()
                return False
            queued = True  # behind a plan or a check: the thread waits for it

        def body() -> None:
            if queued:
                self._lock.acquire()
            try:
                self._run_locked(params or self.params, trigger=trigger, plans=plans)
            finally:
                self._lock.release()

        thread = threading.Thread(target=body, name="watchtower-run", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return True

    def skip(self) -> None:
        """Count a run that did not happen because another was in progress."""
        self.logger.info("Skipping update: another update is in progress")
        self.metrics.record_skipped()

    def wait_idle(self, timeout: timedelta) -> bool:
        """Wait for a run in progress to end; ``False`` if it outlasted ``timeout``."""
        if not self._lock.acquire(timeout=max(timeout.total_seconds(), 0)):
            return False
        self._lock.release()
        return True

    def roll_back(self, name: str, *, to: str | None = None, host: str = "") -> Report:
        """Put container ``name`` of ``host`` back on what it ran before, after a run in progress.

        See :func:`watchtower.rollback.rollback`; it takes the runs' lock,
        so it never overlaps a run, and its events go where a run's go.

        Raises:
            ConfigurationError: There is no history (``--data-dir``), or no such host.
            WatchtowerError: It could not be rolled back (the sentence says why).
        """
        from ..rollback import rollback

        history = self.history
        if history is None:
            raise ConfigurationError("A rollback needs the history kept with --data-dir.")
        (only,) = self.fleet.only(host).hosts
        with self._lock:
            engine = only.open()
            try:
                return rollback(
                    engine.client,
                    name,
                    history,
                    to=to,
                    host=host,
                    params=self.params,
                    observer=self._observe,
                    clock=self.clock,
                )
            finally:
                engine.close()
