"""From flags to what a process does: :class:`Config`, built by :func:`load`.

All checking happens here, before anything touches a container: a bad value
is a :class:`~watchtower.errors.ConfigurationError` whose message is one
sentence naming the flag (or the environment variable) and the value. The
parameters of each run are read in ``_run_params``, the registry client's
flags in ``_registry_flags``; the checks of one value they share are
``_checks``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import timedelta, timezone, tzinfo
from typing import Literal, get_args

from attrs import field, frozen

from .._text import LOG_LEVELS
from ..errors import ConfigurationError
from ..params import Policy, UpdateParams
from ..porcelain import Format as PorcelainFormat
from ._checks import a_span, choice
from ._registry_flags import cooldown_platform, registry_tls
from ._run_params import POLICIES as POLICIES
from ._run_params import parse_cooldown, run_params
from .api_settings import ApiSettings, api_settings
from .args import Parsed, parse_args
from .flags import FLAGS, Support
from .history_settings import HistorySettings, history_settings
from .hosts import HostEntry, read_hosts_file
from .mqtt import MqttSettings, mqtt_settings
from .push_settings import PushSettings, push_settings
from .schedule import Cron, Interval, interval_schedule, parse_schedule, parse_zone
from .secrets import read_secrets, without_secrets
from .values import (
    FlagValues,
    NotificationFlags,
    as_mapping,
    default_notification_flags,
    notification_flags,
)

__all__ = [
    "Config",
    "LogFormat",
    "PorcelainFormat",
    "from_parsed",
    "load",
    "parse_cooldown",
]

LogFormat = Literal["auto", "logfmt", "pretty", "json"]
"""The formats of ``--log-format``; ``auto`` is ``pretty`` on a terminal, else ``logfmt``."""
"""The formats of ``--porcelain``."""
LOG_FORMATS: tuple[LogFormat, ...] = get_args(LogFormat)
PORCELAIN: tuple[PorcelainFormat, ...] = get_args(PorcelainFormat)
DEFAULT_INTERVAL = 86400


@frozen
class Config:
    """Everything one ``watchtower`` process was asked to do.

    Attributes:
        params: The parameters of each run.
        schedule: When runs happen.
        run_once: Run once and exit.
        update_on_start: Run at startup, then keep the schedule.
        dry_run: Plan and report only.
        health_check: Only answer the container health check.
        porcelain: ``v1``, ``json`` or empty.
        no_startup_message: Send no startup message.
        log_level: ``panic`` ... ``trace``.
        log_format: ``auto``, ``logfmt``, ``pretty`` or ``json``.
        no_color: No colours in the log.
        docker_host: The engine address.
        docker_tls_verify: Use TLS towards the engine and verify it.
        docker_api_version: A fixed engine API version, or empty to negotiate.
        docker_cert_path: Directory of the engine TLS files.
        insecure_registries: Registries spoken to without TLS verification.
        registry_tls_skip: No registry's TLS certificate is verified.
        registry_tls_min_version: The oldest TLS version spoken to registries.
        registry_ca_bundle: CA file trusted for registries besides the system's.
        registry_timeout: How long one image's registry lookup may take in all.
        cooldown_platform: ``os/architecture[/variant]`` whose image age the
            cooldown reads, or empty for this machine's.
        cpu_copy_mode: Which CPU settings a replacement keeps: ``auto``,
            ``full`` or ``none``.
        disable_memory_swappiness: Leave a replacement's memory swappiness to the engine.
        api: The HTTP API's settings.
        push: The push sources' settings (:mod:`~watchtower.cli.push_settings`).
        history: Where the history is kept (:mod:`~watchtower.cli.history_settings`).
        mqtt: The MQTT broker of Home Assistant's entities (:mod:`~watchtower.cli.mqtt`),
            or ``None``.
        notifications: The notification flags' values, by key (``notification_url``...).
        shutdown_timeout: How long a stop signal waits for a running update.
        engine_timeout: How long an engine call may go unanswered (see
            :mod:`watchtower.lanes`).
        hosts: The engines of ``--hosts-file``, updated instead of ``docker_host``'s.
        swarm_services: Also update the swarm services of the engine(s).
        warnings: Sentences to log at startup about flags that have no effect here.
        sources: Where each flag's value came from (see :class:`~watchtower.cli.args.Parsed`).
    """

    params: UpdateParams
    schedule: Interval | Cron
    run_once: bool = False
    update_on_start: bool = False
    dry_run: bool = False
    health_check: bool = False
    porcelain: PorcelainFormat | Literal[""] = ""
    no_startup_message: bool = False
    log_level: str = "info"
    log_format: LogFormat = "auto"
    no_color: bool = False
    docker_host: str = "unix:///var/run/docker.sock"
    docker_tls_verify: bool = False
    docker_api_version: str = ""
    docker_cert_path: str = ""
    insecure_registries: tuple[str, ...] = ()
    registry_tls_skip: bool = False
    registry_tls_min_version: str = "TLS1.2"
    registry_ca_bundle: str = ""
    registry_timeout: timedelta = timedelta(minutes=1)
    cooldown_platform: str = ""
    cpu_copy_mode: str = "auto"
    disable_memory_swappiness: bool = False
    api: ApiSettings = field(factory=ApiSettings)
    push: PushSettings = field(factory=PushSettings)
    history: HistorySettings = field(factory=HistorySettings)
    mqtt: MqttSettings | None = field(default=None, repr=False)
    notifications: NotificationFlags = field(
        factory=default_notification_flags, repr=lambda flags: repr(without_secrets(flags))
    )
    shutdown_timeout: timedelta = timedelta(seconds=60)
    engine_timeout: timedelta = timedelta(seconds=60)
    hosts: tuple[HostEntry, ...] = ()
    swarm_services: bool = False
    warnings: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(factory=dict)

    @property
    def scheduled(self) -> bool:
        """True when runs happen on the schedule (not only on API request)."""
        return not self.run_once and (not self.api.update_enabled or self.api.periodic_polls)


def _zone(tz: str, warnings: list[str]) -> tzinfo:
    """The zone of cron schedules and windows: ``TZ``, or UTC when it is empty or unknown
    (as Go does)."""
    try:
        return parse_zone(tz)
    except ConfigurationError as error:
        warnings.append(f"{error} Schedules read UTC.")
        return timezone.utc


def _schedule(parsed: Parsed, zone: tzinfo) -> Interval | Cron:
    values = parsed.values
    interval = values["interval"]
    schedule = values["schedule"].strip().strip("\"'")
    interval_set = parsed.given("interval") or interval != DEFAULT_INTERVAL
    if schedule and interval_set:
        raise ConfigurationError("--interval and --schedule cannot be used together; choose one.")
    if schedule:
        return parse_schedule(schedule, zone=zone)
    return interval_schedule(interval)


def _ignored(parsed: Parsed, warnings: list[str]) -> None:
    values = parsed.values
    every = as_mapping(values)
    for flag in FLAGS:
        if flag.support is not Support.IGNORED or not parsed.given(flag.name):
            continue
        if every[flag.key] == flag.default:
            continue
        warnings.append(f"{flag.option} has no effect here: {flag.note}")


def _tls_host_warning(host: str, tls_verify: bool, warnings: list[str]) -> None:
    """The fork's warnings for TLS verification towards an engine that cannot use it."""
    if not tls_verify:
        return
    if host.startswith("http://"):
        warnings.append(
            "TLS verification is enabled but DOCKER_HOST uses insecure scheme 'http://'. "
            "Consider using 'https://' or disable TLS verification."
        )
    elif host.startswith("unix://"):
        warnings.append(
            "TLS verification is enabled but DOCKER_HOST uses local socket 'unix://'. "
            "TLS is not applicable for local sockets. Consider disabling TLS verification."
        )


def _approval_warning(params: UpdateParams, values: FlagValues, warnings: list[str]) -> None:
    """``--update-policy approve`` without a history: nothing could ever be approved."""
    if params.policy is Policy.APPROVE and not values["data_dir"].strip():
        warnings.append(
            "--update-policy approve without --data-dir: approvals are kept in the history's "
            "file, so updates wait and none can be approved."
        )


def _canary_warning(
    hosts: Sequence[HostEntry], params: UpdateParams, values: FlagValues, warnings: list[str]
) -> None:
    """Canary hosts without a history: no run remembers when a canary got an image."""
    if (
        any(host.canary for host in hosts)
        and not values["data_dir"].strip()
        and not params.canary_promote_at_once
    ):
        warnings.append(
            "canary hosts without --data-dir: when a canary got an image is kept in the "
            "history's file, so the other hosts get no new image (unless "
            "--canary-promote-at-once)."
        )


def _cpu_copy_mode(raw: str) -> str:
    # Imported here, as the docker backend is: config is read before any engine is used.
    from ..docker.runtime import CPU_COPY_MODES

    return choice("--cpu-copy-mode", raw, CPU_COPY_MODES)


def _api_version(raw: str) -> str:
    text = raw.strip().strip('"')
    if not text:
        return ""
    # Imported here: the docker backend is loaded only when an engine version is pinned.
    from ..docker.connect import check_api_version

    try:
        return check_api_version(text)
    except ConfigurationError as error:
        raise ConfigurationError(f"--api-version: {error}") from error


def _output(values: FlagValues) -> tuple[str, LogFormat, PorcelainFormat | Literal[""]]:
    """The log level (``--trace`` over ``--debug`` over ``--log-level``), format and porcelain."""
    log_level = choice("--log-level", values["log_level"], tuple(LOG_LEVELS))
    if values["debug"]:
        log_level = "debug"
    if values["trace"]:
        log_level = "trace"
    log_format = choice("--log-format", values["log_format"], LOG_FORMATS)
    porcelain: PorcelainFormat | Literal[""] = ""
    if values["porcelain"].strip():
        porcelain = choice("--porcelain", values["porcelain"], PORCELAIN)
    return log_level, log_format, porcelain


def _check_notifications(values: FlagValues) -> None:
    """Stop on a notification level or delay that cannot be used; the values are read later."""
    choice(
        "--notifications-level",
        values["notifications_level"],
        tuple(n for n in LOG_LEVELS if n != "trace"),
    )
    if values["notifications_delay"] < 0:
        raise ConfigurationError(
            f"--notifications-delay must not be negative, got {values['notifications_delay']}."
        )


def _push_schedule(push: PushSettings, schedule: Interval | Cron) -> Interval | Cron:
    """``schedule``, or the push sources' poll interval when they are on and set one."""
    if push.enabled and push.poll_interval:
        seconds = push.poll_interval.total_seconds()
        return interval_schedule(seconds, option="--push-poll-interval")
    return schedule


def from_parsed(parsed: Parsed, *, environ: Mapping[str, str] | None = None) -> Config:
    """Check a parsed command line and build its :class:`Config`.

    Args:
        parsed: The command line and environment, read.
        environ: The variables that are not flags, as the fork reads them:
            ``TZ`` (the zone ``--schedule`` and the windows read, UTC when
            empty) and
            ``WATCHTOWER_COOLDOWN_PLATFORM_OS``/``_ARCH``/``_VARIANT`` (the
            platform whose image age the cooldown reads).

    Raises:
        ConfigurationError: A value is bad or two values contradict each other.
    """
    values = read_secrets(parsed.values)
    parsed = dataclasses.replace(parsed, values=values)
    # The steps' order is the order of the errors and warnings: the first bad value stops.
    warnings: list[str] = []
    log_level, log_format, porcelain = _output(values)
    _check_notifications(values)
    env = environ or {}
    zone = _zone(env.get("TZ", ""), warnings)
    schedule = _schedule(parsed, zone)
    if values["rolling_restart"] and values["monitor_only"]:
        raise ConfigurationError("--rolling-restart and --monitor-only cannot be used together.")
    _ignored(parsed, warnings)
    insecure, tls_skip, tls_min_version, ca_bundle = registry_tls(values, warnings)
    _tls_host_warning(values["host"], values["tlsverify"], warnings)
    params = run_params(values, parsed.names, zone)
    api = api_settings(values, warnings)
    push = push_settings(values, api.token)
    _approval_warning(params, values, warnings)
    hosts = read_hosts_file(values["hosts_file"]) if values["hosts_file"] else ()
    _canary_warning(hosts, params, values, warnings)
    schedule = _push_schedule(push, schedule)
    return Config(
        params=params,
        schedule=schedule,
        run_once=values["run_once"],
        update_on_start=values["update_on_start"],
        dry_run=values["dry_run"],
        health_check=values["health_check"],
        porcelain=porcelain,
        no_startup_message=values["no_startup_message"],
        log_level=log_level,
        log_format=log_format,
        no_color=values["no_color"],
        docker_host=values["host"],
        docker_tls_verify=values["tlsverify"],
        docker_api_version=_api_version(values["api_version"]),
        docker_cert_path=values["cert_path"],
        insecure_registries=insecure,
        registry_tls_skip=tls_skip,
        registry_tls_min_version=tls_min_version,
        registry_ca_bundle=ca_bundle,
        registry_timeout=a_span("--registry-timeout", values["registry_timeout"]),
        cooldown_platform=cooldown_platform(env),
        cpu_copy_mode=_cpu_copy_mode(values["cpu_copy_mode"]),
        disable_memory_swappiness=values["disable_memory_swappiness"],
        api=api,
        push=push,
        history=history_settings(values),
        mqtt=mqtt_settings(values["mqtt"], values["mqtt_discovery_prefix"], values["mqtt_ca"]),
        notifications=notification_flags(values),
        shutdown_timeout=values["shutdown_timeout"],
        engine_timeout=a_span("--engine-timeout", values["engine_timeout"]),
        hosts=hosts,
        swarm_services=values["swarm_services"],
        warnings=tuple(warnings),
        sources=parsed.sources,
    )


def load(argv: Sequence[str], environ: Mapping[str, str]) -> Config:
    """Parse and check a command line and an environment into a :class:`Config`.

    Raises:
        ConfigurationError: Anything is wrong, in one sentence.
    """
    return from_parsed(parse_args(argv, environ), environ=environ)
