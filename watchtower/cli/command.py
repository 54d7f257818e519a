"""The ``watchtower`` command: read the flags, wire the parts, keep the schedule.

The command line only wires: every decision about containers is
:func:`watchtower.update`'s. :func:`main` is the console script;
:func:`serve` is everything after the backends exist, so tests can run it
on the in-memory backends.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import IO, TYPE_CHECKING

from .._version import __version__
from ..clock import Clock, system_clock
from ..errors import ConfigurationError, EngineError, WatchtowerError
from .args import format_help, parse_args

if TYPE_CHECKING:
    # The rest is imported where a run needs it, so that ``--help``,
    # ``--version`` and ``--health-check`` load only the flag table.
    from ..docker import DockerClient
    from ..model import Container
    from ..notify import LogEntry, Notifications
    from ..protocols import ContainerClient, Registry
    from ..registry import HttpRegistry
    from ..report import Report
    from .config import Config
    from .metrics import Metrics

__all__ = ["EXIT_USAGE", "build_backends", "main", "serve"]

#: The exit code of a bad flag or value, before anything touched a container.
EXIT_USAGE = 2


def build_backends(config: Config, environ: Mapping[str, str]) -> tuple[DockerClient, HttpRegistry]:
    """The Docker engine client and the registry client for ``config``.

    Registry logins (``REPO_USER``/``REPO_PASS``, Docker's config.json and
    credential helpers) are shared by both: the registry checks and the
    engine's pulls use the same credentials.

    Raises:
        EngineError: The engine cannot be reached.
        ConfigurationError: The CA bundle or a credentials file is unusable.
    """
    from ..docker import DockerClient
    from ..registry import DockerCredentials, HttpRegistry, Platform, auth_config

    credentials = DockerCredentials(environ=environ)

    def auth(host: str) -> dict[str, str] | None:
        found = credentials.credentials_for(host)
        return auth_config(found, host) if found is not None else None

    env = dict(environ)
    env["DOCKER_HOST"] = config.docker_host
    if config.docker_tls_verify:
        env["DOCKER_TLS_VERIFY"] = "1"
    if config.docker_cert_path:
        env["DOCKER_CERT_PATH"] = config.docker_cert_path
    client = DockerClient.from_env(
        environment=env,
        auth=auth,
        timeout=config.engine_timeout.total_seconds(),
        api_version=config.docker_api_version or None,
        cpu_copy_mode=config.cpu_copy_mode,
        disable_memory_swappiness=config.disable_memory_swappiness,
    )
    registry = HttpRegistry(
        credentials=credentials,
        ca_bundle=config.registry_ca_bundle or None,
        tls_min_version=config.registry_tls_min_version,
        insecure_registries=config.insecure_registries,
        tls_skip_verify=config.registry_tls_skip,
        mirrors=client.registry_mirrors(),
        lookup_deadline=config.registry_timeout.total_seconds(),
        platform=Platform.parse(config.cooldown_platform) if config.cooldown_platform else None,
    )
    return client, registry


def _startup_lines(
    config: Config,
    client: ContainerClient,
    notifications: Notifications | None,
    next_run: datetime | None,
    now: datetime,
) -> list[str]:
    from .schedule import describe_next

    api_version = getattr(client, "api_version", "")
    lines = [
        f"Watchtower {__version__}" + (f" using Docker API v{api_version}" if api_version else "")
    ]
    names = notifications.names if notifications is not None else ()
    lines.append("Using notifications: " + ", ".join(names) if names else "Using no notifications")
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
    client: ContainerClient,
    registry: Registry,
    *,
    logger: logging.Logger,
    stop: threading.Event,
    stdout: IO[str] | None = None,
    notifications: Notifications | None = None,
    collect_entries: Callable[[], Sequence[LogEntry]] | None = None,
    metrics: Metrics | None = None,
    clock: Clock = system_clock,
    api_ready: threading.Event | None = None,
    current_id: str | None = None,
    run: Callable[..., Report] | None = None,
) -> int:
    """Run as ``config`` says until done (``--run-once``) or until ``stop`` is set.

    ``current_id`` is this process's container, when it runs in one: its
    scope label is the scope when ``--scope`` is not given, and the
    self-update housekeeping spares it (see :mod:`~watchtower.cli.selfupdate`).
    Once a run has replaced that container, this instance finishes the run,
    returns and asks the engine to stop its container.

    ``run`` makes each run, as :class:`~watchtower.cli.runner.Runner` says
    (over the engines of ``--hosts-file``, or with swarm services).

    Returns:
        The exit code, 0 or 1 when the HTTP API could not start or a
        ``--run-once`` run failed.
    """
    import attrs

    from ..porcelain import porcelain
    from .metrics import Metrics
    from .runner import Runner
    from .schedule import Scheduler, describe_next
    from .selfupdate import (
        effective_scope,
        find_self,
        has_successor,
        housekeeping,
        is_aside,
        replaced,
    )

    out = stdout if stdout is not None else sys.stdout
    metrics = metrics if metrics is not None else Metrics(clock=clock)
    own = find_self(client, current_id)
    if (
        own is not None
        and is_aside(own)
        and not config.run_once
        and has_successor(client.list_containers(include_stopped=True), own)
    ):
        logger.info("This watchtower instance was replaced by a newer one; it stands down")
        stop.set()
        _stop_own(client, own, logger)
        return 0
    params = attrs.evolve(
        config.params,
        scope=effective_scope(config.params.scope, own),
        self_update=config.params.self_update and not config.run_once,
    )
    config = attrs.evolve(config, params=params)
    successor = threading.Event()

    def print_report(report: Report) -> None:
        if config.porcelain:
            out.write(porcelain(report, config.porcelain) + "\n")
            out.flush()
        if replaced(report, own):
            # The run ends as usual (notifications included), then this instance goes.
            logger.info("Replaced by a new watchtower container; stopping after this run")
            successor.set()
            stop.set()

    runner = Runner(
        client,
        registry,
        config.params,
        metrics=metrics,
        logger=logger,
        dry_run=config.dry_run,
        notifications=notifications,
        collect_entries=collect_entries,
        on_report=print_report,
        clock=clock,
        run=run,
    )
    for warning in config.warnings:
        logger.warning(warning)

    if not config.run_once:
        try:
            housekeeping(
                client,
                params.scope,
                own,
                wait=params.health_timeout + config.shutdown_timeout,
                cleanup=params.cleanup,
                logger=logger,
                clock=clock,
            )
        except EngineError as error:
            logger.warning("Could not look for other watchtower instances: %s", error)

    scheduler = (
        Scheduler(
            config.schedule,
            lambda: runner.start(wait=False),
            clock=clock,
            on_next=lambda when: logger.debug(
                "Next scheduled run: %s", describe_next(when, clock())
            ),
        )
        if config.scheduled
        else None
    )
    first = scheduler.next_run() if scheduler is not None else None
    if not config.no_startup_message:
        lines = _startup_lines(config, client, notifications, first, clock())
        for line in lines:
            logger.info(line)
        if notifications is not None:
            try:
                notifications.startup("\n".join(lines))
            except Exception as error:
                logger.error("Sending the startup message failed: %s", error)

    if config.run_once:
        report = runner.run()
        return 0 if report is not None else 1

    if config.push.enabled:
        from .push import PushReceiver

        runner.push = PushReceiver(runner, config.push)
        runner.push.start()
        logger.info("Accepting push events from: %s", ", ".join(sorted(config.push.sources)))
    server = None
    if config.api.enabled or config.push.enabled:
        from .api import ApiServer, create_app

        app = create_app(
            runner, config.api, next_run=scheduler.next_run if scheduler is not None else None
        )
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
            logger.error(
                "The HTTP API could not start on %s:%s: %s",
                config.api.host or "0.0.0.0",
                config.api.port,
                error,
            )
            return 1
        logger.info(
            "HTTP API listening on %s:%s%s",
            config.api.host or "0.0.0.0",
            server.port,
            " (TLS)" if config.api.tls_cert else "",
        )
    if api_ready is not None:
        api_ready.set()

    if config.update_on_start:
        runner.start(wait=False)
    thread = None
    if scheduler is not None:
        thread = threading.Thread(
            target=scheduler.run, args=(first,), name="watchtower-schedule", daemon=True
        )
        thread.start()
    stop.wait()
    logger.info("Stopping: waiting for a running update to finish")
    if scheduler is not None:
        scheduler.stop()
    if server is not None:
        server.stop()
    if runner.push is not None:
        runner.push.stop()
    if not runner.wait_idle(config.shutdown_timeout):
        logger.warning(
            "A running update did not finish within %s; exiting anyway", config.shutdown_timeout
        )
    if thread is not None:
        thread.join(timeout=5)
    if successor.is_set() and own is not None:
        _stop_own(client, own, logger)
    return 0


def _run_function(config: Config, env: Mapping[str, str]) -> Callable[..., Report] | None:
    """How runs are made with ``--hosts-file`` or ``--swarm-services``; ``None``: the default."""
    if not config.hosts and not config.swarm_services:
        return None
    from .hosts import run_function

    return run_function(
        config.hosts,
        environ=env,
        swarm=config.swarm_services,
        engine_timeout=config.engine_timeout,
    )


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except OSError:
        return ""


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


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The ``watchtower`` command. Returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ if environ is None else environ)
    try:
        parsed = parse_args(args, env)
        if parsed.help:
            sys.stdout.write(format_help())
            return 0
        if parsed.version:
            sys.stdout.write(f"watchtower {__version__}\n")
            return 0
        if parsed.names[:1] == ("notify-upgrade",):
            from .notify_upgrade import notify_upgrade

            args.remove("notify-upgrade")
            return notify_upgrade(args, env)
        from .config import load

        config = load(args, env)
    except ConfigurationError as error:
        sys.stderr.write(f"watchtower: {error}\n")
        return EXIT_USAGE
    from .logs import configure

    logger = configure(config.log_level, config.log_format, no_color=config.no_color)
    if config.health_check:
        if os.getpid() == 1:
            logger.error("The health check flag must never be given to the main watchtower process")
            return 1
        return 0
    from .values import default_notification_flags

    notifications, collect_entries = None, None
    # A run that sends no notification does not load the notification libraries.
    if config.notifications != default_notification_flags():
        from .notifications import start

        try:
            notifications, collector = start(config.notifications, logger)
        except ConfigurationError as error:
            sys.stderr.write(f"watchtower: {error}\n")
            return EXIT_USAGE
        collect_entries = collector.drain
    try:
        client, registry = build_backends(config, env)
    except ConfigurationError as error:
        sys.stderr.write(f"watchtower: {error}\n")
        return EXIT_USAGE
    except WatchtowerError as error:
        logger.error("%s", error)
        return 1

    stop = threading.Event()

    def on_signal(signum: int, _frame: object) -> None:
        if stop.is_set():
            # A second signal, or the engine stopping a replaced instance: go now.
            raise SystemExit(0)
        logger.info("Received %s", signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    from .selfupdate import container_id

    try:
        return serve(
            config,
            client,
            registry,
            logger=logger,
            stop=stop,
            notifications=notifications,
            collect_entries=collect_entries,
            current_id=container_id(_read("/proc/self/mountinfo"), env.get("HOSTNAME")),
            run=_run_function(config, env),
        )
    finally:
        client.close()
