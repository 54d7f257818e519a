"""A watchtower instance: one run, or runs on schedule, on demand and on push until stopped.

:func:`serve` is everything after the backends exist, a short composition
of named steps: find its own container (and stand down when a successor
replaced it), do the self-update housekeeping, announce itself, then run
once or serve the schedule, the HTTP API and the push receiver until
stopped. Tests run it on the in-memory backends.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING

from .._version import __version__
from ..clock import Clock, system_clock
from ..errors import EngineError

if TYPE_CHECKING:
    from ..events import Event
    from ..fleet import Fleet
    from ..history import History
    from ..model import Container
    from ..protocols import ContainerClient, Registry
    from ..report import Report
    from .api import ApiServer
    from .config import Config
    from .metrics import Metrics
    from .mqtt import MqttBridge
    from .notifications import RunNotifications
    from .push import PushReceiver
    from .runner import Runner
    from .schedule import Scheduler
    from .waiting import WindowWaiter

__all__ = ["serve"]


def _startup_lines(
    config: Config,
    home: ContainerClient | None,
    notifications: RunNotifications | None,
    next_run: datetime | None,
    now: datetime,
) -> list[str]:
    from .schedule import describe_next

    api_version = getattr(home, "api_version", "")
    lines = [
        f"Watchtower {__version__}" + (f" using Docker API v{api_version}" if api_version else "")
    ]
    names = notifications.names if notifications is not None else ()
    lines.append("Using notifications: " + ", ".join(names) if names else "Using no notifications")
    if config.hosts:
        lines.append("Updating the hosts " + ", ".join(h.name for h in config.hosts))
    if config.params.scope:
        lines.append(f"Only checking containers in scope {config.params.scope!r}")
    if config.run_once:
        lines.append("Running a one time update")
        return lines
    if config.update_on_start:
        lines.append("Update on startup enabled: performing an immediate check")
    if config.api.update_enabled:
        lines.append(
            "HTTP API and periodic updates enabled"
            if config.api.periodic_polls
            else "HTTP API enabled and periodic updates disabled"
        )
    if next_run is not None:
        lines.append(f"Next scheduled run: {describe_next(next_run, now)} ({config.schedule})")
    return lines


def serve(
    config: Config,
    fleet: Fleet | ContainerClient,
    registry: Registry,
    *,
    home: ContainerClient | None = None,
    logger: logging.Logger,
    stop: threading.Event,
    stdout: IO[str] | None = None,
    notifications: RunNotifications | None = None,
    metrics: Metrics | None = None,
    clock: Clock = system_clock,
    api_ready: threading.Event | None = None,
    current_id: str | None = None,
    history: History | None = None,
) -> int:
    """Run as ``config`` says until done (``--run-once``) or until ``stop`` is set.

    ``fleet`` is the engines each run covers (:func:`~watchtower.cli.hosts.fleet_of`);
    one client is a fleet of that engine, and its ``home`` too. ``home``
    is the ``--host`` engine, where watchtower's own container is looked
    for (``None``: there is none). ``current_id`` is this process's
    container, when it runs in one: its scope label is the scope when
    ``--scope`` is not given, and the self-update housekeeping spares it
    (see :mod:`~watchtower.cli.selfupdate`). Once a run has replaced that
    container, this instance finishes the run, returns and asks the engine
    to stop its container. Each run is kept in ``history``, when given
    (see :func:`~watchtower.cli.history_settings.open_history`).

    Returns:
        The exit code, 0 or 1 when the HTTP API could not start or a
        ``--run-once`` run failed.
    """
    from ..fleet import Fleet
    from .selfupdate import find_self

    if not isinstance(fleet, Fleet):
        home, fleet = fleet, Fleet.of(fleet)
    own = find_self(home, current_id) if home is not None else None
    if home is not None and own is not None and _stands_down(config, home, own, logger):
        stop.set()
        return 0
    config = _applied(config, own)
    successor = threading.Event()
    after = _after_each_run(config, own, stdout or sys.stdout, logger, successor, stop)
    runner = _runner(config, fleet, registry, notifications, metrics, clock, logger, after)
    runner.history = history
    if config.run_once:
        runner.add_observer(_self_update_skipped(logger))
    for warning in config.warnings:
        logger.warning(warning)
    if home is not None and not config.run_once:
        _housekeeping(config, home, own, logger, clock)
    scheduler = _scheduler(config, runner, logger, clock)
    first = scheduler.next_run() if scheduler is not None else None
    _announce(config, home, notifications, first, logger, clock)
    if config.run_once:
        return 0 if runner.run(trigger="run-once") is not None else 1
    push = _push_receiver(config, runner, logger, clock)
    bridge = _mqtt_bridge(config, runner, logger)
    try:
        server = _api_server(config, runner, scheduler, push, logger)
    except _ApiFailed:
        if push is not None:
            push.stop()
        return 1
    if api_ready is not None:
        api_ready.set()
    waiter = _waiter(runner, clock, logger)
    schedule = _until_stopped(config, runner, scheduler, first, stop, logger)
    waiter.stop()
    if server is not None:
        server.stop()
    if push is not None:
        push.stop()
    if bridge is not None:
        bridge.stop()
    _finish(config, runner, logger)
    if schedule is not None:
        schedule.join(timeout=5)
    if successor.is_set() and home is not None and own is not None:
        _stop_own(home, own, logger)
    return 0


def _stands_down(
    config: Config, home: ContainerClient, own: Container, logger: logging.Logger
) -> bool:
    """True, once its container is stopped, for an instance its successor replaced."""
    from .selfupdate import has_successor, is_aside

    if (
        config.run_once
        or not is_aside(own)
        or not has_successor(home.list_containers(include_stopped=True), own)
    ):
        return False
    logger.info("This watchtower instance was replaced by a newer one; it stands down")
    _stop_own(home, own, logger)
    return True


def _applied(config: Config, own: Container | None) -> Config:
    """``config`` with the scope its container carries, and no self-update in a one-off run."""
    import attrs

    from .selfupdate import effective_scope

    params = attrs.evolve(
        config.params,
        scope=effective_scope(config.params.scope, own),
        self_update=config.params.self_update and not config.run_once,
    )
    return attrs.evolve(config, params=params)


def _runner(
    config: Config,
    fleet: Fleet,
    registry: Registry,
    notifications: RunNotifications | None,
    metrics: Metrics | None,
    clock: Clock,
    logger: logging.Logger,
    after: Callable[[Report], None],
) -> Runner:
    """The runner of ``fleet``: notifications, then ``after`` each run's report."""
    from .metrics import Metrics
    from .runner import Runner

    return Runner(
        fleet,
        registry,
        config.params,
        metrics=metrics if metrics is not None else Metrics(clock=clock),
        logger=logger,
        dry_run=config.dry_run,
        notifiers=(notifications,) if notifications is not None else (),
        on_start=notifications.begin if notifications is not None else None,
        on_report=after,
        clock=clock,
    )


def _after_each_run(
    config: Config,
    own: Container | None,
    out: IO[str],
    logger: logging.Logger,
    successor: threading.Event,
    stop: threading.Event,
) -> Callable[[Report], None]:
    """What follows each run's report: the porcelain lines, and standing down once replaced."""
    from ..porcelain import porcelain
    from .selfupdate import replaced

    def after(report: Report) -> None:
        if config.porcelain:
            out.write(porcelain(report, config.porcelain) + "\n")
            out.flush()
        if replaced(report, own):
            # The run ended as usual (notifications included); now this instance goes.
            logger.info("Replaced by a new watchtower container; stopping after this run")
            successor.set()
            stop.set()

    return after


RUN_ONCE_SELF_UPDATE = (
    "a one-off run (--run-once) does not update watchtower's own container; "
    "run without --run-once to let it update itself, or update it by hand"
)
"""Why a one-off run leaves a stale watchtower container alone, and what to do."""


def _self_update_skipped(logger: logging.Logger) -> Callable[[Event], None]:
    """In a one-off run, tell why a stale watchtower container is left alone, as it is found.

    In Watchtower's words, which its ``default-legacy`` template knows.
    """
    from ..events import Checked, Status
    from ..planner import SELF_UPDATE_OFF

    def observe(event: Event) -> None:
        if (
            isinstance(event, Checked)
            and event.status is Status.STALE
            and event.reason.startswith(SELF_UPDATE_OFF)
        ):
            where = {"host": event.host} if event.host else {}
            logger.info(
                "Skipping Watchtower self-update in run-once mode",
                extra={"container": event.container, **where, "reason": RUN_ONCE_SELF_UPDATE},
            )

    return observe


def _housekeeping(
    config: Config,
    home: ContainerClient,
    own: Container | None,
    logger: logging.Logger,
    clock: Clock,
) -> None:
    from .selfupdate import housekeeping

    params = config.params
    try:
        housekeeping(
            home,
            params.scope,
            own,
            wait=params.health_timeout + config.shutdown_timeout,
            cleanup=params.cleanup,
            logger=logger,
            clock=clock,
        )
    except EngineError as error:
        logger.warning("Could not look for other watchtower instances: %s", error)


def _scheduler(
    config: Config, runner: Runner, logger: logging.Logger, clock: Clock
) -> Scheduler | None:
    if not config.scheduled:
        return None
    from .schedule import Scheduler, describe_next

    return Scheduler(
        config.schedule,
        lambda: runner.start(wait=False, trigger="schedule"),
        clock=clock,
        on_next=lambda when: logger.debug("Next scheduled run: %s", describe_next(when, clock())),
    )


def _announce(
    config: Config,
    home: ContainerClient | None,
    notifications: RunNotifications | None,
    first: datetime | None,
    logger: logging.Logger,
    clock: Clock,
) -> None:
    """The startup lines, logged and sent as the startup message."""
    if config.no_startup_message:
        return
    lines = _startup_lines(config, home, notifications, first, clock())
    for line in lines:
        logger.info(line)
    if notifications is not None:
        try:
            notifications.startup("\n".join(lines))
        except Exception as error:
            logger.error("Sending the startup message failed: %s", error)


def _push_receiver(
    config: Config, runner: Runner, logger: logging.Logger, clock: Clock
) -> PushReceiver | None:
    if not config.push.enabled:
        return None
    from .push import PushReceiver

    receiver = PushReceiver(runner.run_pushed, config.push, logger=logger, clock=clock)
    receiver.start()
    logger.info("Accepting push events from: %s", ", ".join(sorted(config.push.sources)))
    return receiver


def _mqtt_bridge(config: Config, runner: Runner, logger: logging.Logger) -> MqttBridge | None:
    """Home Assistant's entities on the ``--mqtt`` broker, connecting in the background."""
    if config.mqtt is None:
        return None
    from .mqtt import MqttBridge

    bridge = MqttBridge(config.mqtt, runner, logger=logger)
    runner.add_observer(bridge.observe)
    after = runner.on_report

    def each_report(report: Report) -> None:
        if after is not None:
            after(report)
        bridge.publish_report(report)

    runner.on_report = each_report
    bridge.start()
    logger.info("Publishing Home Assistant's update entities to %s", config.mqtt.host)
    return bridge


class _ApiFailed(Exception):
    """The HTTP API could not start (logged)."""


def _api_server(
    config: Config,
    runner: Runner,
    scheduler: Scheduler | None,
    push: PushReceiver | None,
    logger: logging.Logger,
) -> ApiServer | None:
    """The HTTP API, serving, when it or push is on.

    Raises:
        _ApiFailed: It could not start (the reason is logged).
    """
    if not (config.api.enabled or push is not None):
        return None
    from .api import ApiServer, create_app

    app = create_app(
        runner,
        config.api,
        next_run=scheduler.next_run if scheduler is not None else None,
        extra=(push.blueprint(),) if push is not None else (),
    )
    where = f"{config.api.host or '0.0.0.0'}:{config.api.port}"
    try:
        server = ApiServer(
            app,
            config.api.host,
            config.api.port,
            tls_cert=config.api.tls_cert,
            tls_key=config.api.tls_key,
        )
        server.start()
    except (OSError, ValueError) as error:
        logger.error("The HTTP API could not start on %s: %s", where, error)
        raise _ApiFailed from error
    tls = " (TLS)" if config.api.tls_cert else ""
    logger.info("HTTP API listening on %s:%s%s", config.api.host or "0.0.0.0", server.port, tls)
    return server


def _waiter(runner: Runner, clock: Clock, logger: logging.Logger) -> WindowWaiter:
    """Started: the containers that wait for a maintenance window run when it opens."""
    from .waiting import WindowWaiter

    waiter = WindowWaiter(runner.run_waiting, clock=clock, logger=logger)
    runner.waiter = waiter
    threading.Thread(target=waiter.run, name="watchtower-windows", daemon=True).start()
    return waiter


def _until_stopped(
    config: Config,
    runner: Runner,
    scheduler: Scheduler | None,
    first: datetime | None,
    stop: threading.Event,
    logger: logging.Logger,
) -> threading.Thread | None:
    """Run at startup if asked, then on schedule from ``first``, until ``stop`` is set.

    Returns the schedule's thread, which ends soon after.
    """
    if config.update_on_start:
        runner.start(wait=False, trigger="startup")
    thread = None
    if scheduler is not None:
        thread = threading.Thread(
            target=scheduler.run, args=(first,), name="watchtower-schedule", daemon=True
        )
        thread.start()
    stop.wait()
    if scheduler is not None:
        scheduler.stop()  # first: no tick begins a run after the words below
    if runner.busy:
        logger.info("Stopping: waiting for a running update to finish")
    else:
        logger.info("Stopping")
    return thread


def _finish(config: Config, runner: Runner, logger: logging.Logger) -> None:
    if not runner.wait_idle(config.shutdown_timeout):
        logger.warning(
            "A running update did not finish within %s; exiting anyway", config.shutdown_timeout
        )


def _stop_own(client: ContainerClient, own: Container, logger: logging.Logger) -> None:
    """Have the engine stop this instance's container, so its restart policy leaves it stopped.

    In a container the engine's stop signal ends this process (see :func:`main`).
    """
    try:
        client.stop_container(
            client.get_container(own.id), signal="SIGTERM", timeout=timedelta(seconds=30)
        )
    except EngineError as error:
        logger.warning("Could not stop this watchtower container: %s", error)
