"""The ``watchtower`` command: read the flags, build the parts, hand them to :func:`serve`.

The command line only wires: every decision about containers is
:func:`watchtower.update`'s. :func:`main` is the console script; it reads
the configuration, opens the ``--host`` engine and the registry client,
makes the :class:`~watchtower.fleet.Fleet` the runs cover and the
notifications, then runs :func:`~watchtower.cli.daemon.serve` until a
signal stops it.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from .._version import __version__
from ..errors import ConfigurationError, EngineError, WatchtowerError
from .args import format_help, parse_args

if TYPE_CHECKING:
    # The rest is imported where a run needs it, so that ``--help``,
    # ``--version`` and ``--health-check`` load only the flag table.
    from ..docker import DockerClient
    from ..fleet import Fleet
    from ..registry import HttpRegistry
    from .config import Config
    from .notifications import RunNotifications

__all__ = ["EXIT_USAGE", "build_backends", "main"]

#: The exit code of a bad flag or value, before anything touched a container.
EXIT_USAGE = 2


def build_backends(
    config: Config, environ: Mapping[str, str]
) -> tuple[DockerClient | None, HttpRegistry]:
    """The ``--host`` engine's client and the registry client for ``config``.

    Registry logins (``REPO_USER``/``REPO_PASS``, Docker's config.json and
    credential helpers) are shared by both: the registry checks and the
    engine's pulls use the same credentials. With a hosts file the
    ``--host`` engine is needed only to find watchtower's own container:
    when it cannot be reached, the client is ``None``.

    Raises:
        EngineError: The engine cannot be reached (and there is no hosts file).
        ConfigurationError: The CA bundle or a credentials file is unusable.
    """
    from ..docker import DockerClient
    from ..quota import QuotaBook
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
    client: DockerClient | None = None
    try:
        client = DockerClient.from_env(
            environment=env,
            auth=auth,
            timeout=config.engine_timeout.total_seconds(),
            api_version=config.docker_api_version or None,
            cpu_copy_mode=config.cpu_copy_mode,
            disable_memory_swappiness=config.disable_memory_swappiness,
        )
    except EngineError:
        if not config.hosts:
            raise
    registry = HttpRegistry(
        credentials=credentials,
        ca_bundle=config.registry_ca_bundle or None,
        tls_min_version=config.registry_tls_min_version,
        insecure_registries=config.insecure_registries,
        tls_skip_verify=config.registry_tls_skip,
        mirrors=client.registry_mirrors() if client is not None else (),
        lookup_deadline=config.registry_timeout.total_seconds(),
        platform=Platform.parse(config.cooldown_platform) if config.cooldown_platform else None,
        # One book for the process: every run and every engine spends from it.
        quota=QuotaBook(),
    )
    return client, registry


def _notifications(config: Config, logger: logging.Logger) -> RunNotifications | None:
    """The notifications the flags ask for; ``None`` when they ask for none.

    Raises:
        ConfigurationError: A notification flag or URL is unusable.
    """
    from .values import default_notification_flags

    # A run that sends no notification does not load the notification libraries.
    if config.notifications == default_notification_flags():
        return None
    from .notifications import start

    return start(config.notifications, logger)


def _fleet(
    config: Config,
    env: Mapping[str, str],
    home: DockerClient | None,
    current_id: str | None,
    logger: logging.Logger,
) -> Fleet:
    """The engines the runs cover: the ``--host`` engine, or those of the hosts file.

    Self-update applies on the host of the file at ``--host``'s address, and
    only when watchtower's own container (``current_id``) runs there.
    """
    from .hosts import fleet_of, own_host
    from .selfupdate import find_self

    at_home = home is not None and find_self(home, current_id) is not None
    if config.hosts and home is None:
        logger.info(
            "No engine answers at %s: watchtower's own container is not looked for",
            config.docker_host,
        )
    return fleet_of(
        config.hosts,
        environ=env,
        home=home,
        swarm=config.swarm_services,
        own_host=own_host(config.hosts, config.docker_host) if at_home else "",
        engine_timeout=config.engine_timeout,
    )


def _read(path: str) -> str:
    try:
        with open(path, encoding="utf-8", errors="replace") as file:
            return file.read()
    except OSError:
        return ""


def main(argv: Sequence[str] | None = None, environ: Mapping[str, str] | None = None) -> int:
    """The ``watchtower`` command. Returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    env = dict(os.environ if environ is None else environ)
    if args[:1] == ["history"]:
        # Its own options (--json, --limit), which the daemon's flag table does not have.
        from .history import history_command

        return history_command(args[1:], env)
    if args[:1] == ["rollback"]:
        from .rollback import rollback_command

        return rollback_command(args[1:], env)
    if args[:1] == ["release"]:
        from .rollback import release_command

        return release_command(args[1:], env)
    if args[:1] == ["release-digest"]:
        from .quarantine import release_digest_command

        return release_digest_command(args[1:], env)
    if args[:1] in (["approve"], ["reject"]):
        from .approval import decide_command

        return decide_command(args[0], args[1:], env)
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
    from .history_settings import open_history
    from .selfupdate import container_id

    current_id = container_id(_read("/proc/self/mountinfo"), env.get("HOSTNAME"))
    try:
        history = open_history(config.history)
        notifications = _notifications(config, logger)
        home, registry = build_backends(config, env)
        fleet = _fleet(config, env, home, current_id, logger)
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
    from .daemon import serve

    try:
        return serve(
            config,
            fleet,
            registry,
            home=home,
            logger=logger,
            stop=stop,
            notifications=notifications,
            current_id=current_id,
            history=history,
        )
    finally:
        if home is not None:
            home.close()
        if history is not None:
            history.close()
