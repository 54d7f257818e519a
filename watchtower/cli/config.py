"""From flags to what a process does: :class:`Config`, built by :func:`load`.

All checking happens here, before anything touches a container: a bad value
is a :class:`~watchtower.errors.ConfigurationError` whose message is one
sentence naming the flag (or the environment variable) and the value.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta, timezone, tzinfo
from typing import Literal, TypeVar, get_args

from attrs import field, frozen

from .._text import LOG_LEVELS, LONG_UNITS, parse_duration
from ..errors import ConfigurationError
from ..params import MAX_ID, Policy, UpdateParams
from ..porcelain import Format as PorcelainFormat
from ..registry import Platform
from ..registry._tls import TLS_VERSIONS, validate_ca_bundle
from ..windows import parse_windows
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

_Choice = TypeVar("_Choice", bound=str)


def parse_cooldown(text: str, *, option: str = "--cooldown-delay") -> timedelta:
    """A cooldown: Go durations plus ``d`` (days), ``w`` (weeks) and ``M`` (30 days).

    A bare number is seconds; an empty text is no cooldown.

    Raises:
        ConfigurationError: Not such a duration, or negative.
    """
    raw = text.strip()
    if not raw:
        return timedelta(0)
    if raw.startswith("-"):
        raise ConfigurationError(f"{option} must not be negative, got {text!r}.")
    try:
        return parse_duration(raw, units=LONG_UNITS)
    except ValueError as error:
        raise ConfigurationError(f"{option} {error}.") from None


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


def _choice(option: str, raw: str, allowed: Sequence[_Choice], *, lower: bool = True) -> _Choice:
    value = raw.strip().lower() if lower else raw.strip()
    for choice in allowed:
        if choice == value:
            return choice
    raise ConfigurationError(f"{option} {raw!r} is not one of {', '.join(allowed)}.")


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


def _an_id(option: str, value: int) -> int:
    if not 0 <= value <= MAX_ID:
        raise ConfigurationError(f"{option} must be from 0 to {MAX_ID}, got {value}.")
    return value


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


#: The values of ``--update-policy``.
POLICIES = tuple(p.value for p in Policy)


def _positive(option: str, value: int) -> int:
    if value < 1:
        raise ConfigurationError(f"{option} must be at least 1, got {value}.")
    return value


def _a_span(option: str, value: timedelta) -> timedelta:
    if value <= timedelta(0):
        raise ConfigurationError(f"{option} must be a duration longer than 0, such as 30s or 2m.")
    return value


def _a_share(option: str, value: str) -> float | None:
    """``0.5`` or ``50%``: a fraction more than 0 and at most 1; empty is off."""
    text = value.strip()
    if not text:
        return None
    percent = text.endswith("%")
    try:
        share = float(text.removesuffix("%").strip()) / (100 if percent else 1)
    except ValueError:
        share = float("nan")
    if not 0 < share <= 1:  # nan too
        raise ConfigurationError(
            f"{option} must be a fraction more than 0 and at most 1, or a percentage "
            f"(0.5 or 50%), not {value.strip()[:40]!r}."
        )
    return share


def _params(values: FlagValues, names: Sequence[str], zone: tzinfo) -> UpdateParams:
    window = values["window"].strip().strip("\"'")
    return UpdateParams(
        names=tuple(n.strip().lstrip("/") for n in names if n.strip()),
        disable_names=values["disable_containers"],
        label_enable=values["label_enable"],
        enable_labels=values["enable_containers_by_label"],
        disable_labels=values["disable_containers_by_label"],
        monitor_image_names=values["monitor_image_names"],
        skip_image_names=values["skip_image_names"],
        scope=values["scope"].strip(),
        include_stopped=values["include_stopped"],
        include_restarting=values["include_restarting"],
        revive_stopped=values["revive_stopped"],
        monitor_only=values["monitor_only"],
        policy=Policy(_choice("--update-policy", values["update_policy"], POLICIES)),
        approval_expiry=parse_cooldown(values["approval_expiry"], option="--approval-expiry")
        or None,
        no_pull=values["no_pull"],
        no_restart=values["no_restart"],
        label_precedence=values["label_take_precedence"],
        rolling_restart=values["rolling_restart"],
        max_failures=_an_id("--max-failures", values["max_failures"]),
        use_compose_depends_on=values["use_compose_depends_on"],
        lifecycle_hooks=values["enable_lifecycle_hooks"],
        lifecycle_uid=_an_id("--lifecycle-uid", values["lifecycle_uid"]),
        lifecycle_gid=_an_id("--lifecycle-gid", values["lifecycle_gid"]),
        cleanup=values["cleanup"],
        keep_previous=_an_id("--keep-previous", values["keep_previous"]),
        remove_volumes=values["remove_volumes"],
        stop_timeout=values["stop_timeout"],
        health_timeout=values["health_timeout"],
        soak=values["soak"],
        canary_soak=values["canary_soak"],
        canary_promote_at_once=values["canary_promote_at_once"],
        snapshot_keep=_positive("--snapshot-keep", values["snapshot_keep"]),
        stacks=values["stacks"],
        hook_timeout=values["hook_timeout"],
        cooldown=parse_cooldown(values["cooldown_delay"]),
        warn_on_head_failure=_choice(
            "--warn-on-head-failure",
            values["warn_on_head_failure"] or "auto",
            ("always", "auto", "never"),
        ),
        check_concurrency=_positive("--check-concurrency", values["check_concurrency"]),
        update_concurrency=_positive("--update-concurrency", values["update_concurrency"]),
        registry_scan_timeout=_a_span("--registry-scan-timeout", values["registry_scan_timeout"]),
        registry_quota_share=_a_share("--registry-quota-share", values["registry_quota_share"]),
        windows=parse_windows(window, zone=zone) if window else (),
        zone=zone,
    )


# A registry's address (``host:5000``) can never be a container's name, which has no colon.
_REGISTRY_ADDRESS = re.compile(r"[A-Za-z0-9.-]+:[0-9]+")


def _checked_selection(params: UpdateParams) -> UpdateParams:
    """``params``, once their name and image patterns and label pairs are known to be readable."""
    for name in params.names:
        if _REGISTRY_ADDRESS.fullmatch(name):
            raise ConfigurationError(
                f"{name!r} is a registry's address, not a container name; to trust that "
                f"registry without TLS write --insecure-registry={name}."
            )
    # Checked at start, not at the first run: a pattern that cannot be used stops the command.
    if any(
        (
            params.names,
            params.disable_names,
            params.monitor_image_names,
            params.skip_image_names,
            params.enable_labels,
            params.disable_labels,
        )
    ):
        from ..selection import Selector

        Selector.from_params(params)
    return params


def _cooldown_platform(environ: Mapping[str, str]) -> str:
    """``os/architecture[/variant]`` from the fork's variables; the host's for the parts not set."""
    given = [
        environ.get(f"WATCHTOWER_COOLDOWN_PLATFORM_{key}", "").strip()
        for key in ("OS", "ARCH", "VARIANT")
    ]
    if not any(given):
        return ""
    host = Platform.host()
    # The host's variant belongs to the host's architecture only.
    variant = given[2] or (host.variant if not given[1] else None)
    text = f"{given[0] or host.os}/{given[1] or host.architecture}" + (
        f"/{variant}" if variant else ""
    )
    try:
        return str(Platform.parse(text))
    except ConfigurationError as error:
        raise ConfigurationError(f"WATCHTOWER_COOLDOWN_PLATFORM_*: {error}") from error


def _cpu_copy_mode(raw: str) -> str:
    # Imported here, as the docker backend is: config is read before any engine is used.
    from ..docker.runtime import CPU_COPY_MODES

    return _choice("--cpu-copy-mode", raw, CPU_COPY_MODES)


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


def _ca_bundle(values: FlagValues, warnings: list[str]) -> str:
    """The registry CA bundle; an unusable one stops the start if validation is asked, or warns."""
    option = "--registry-ca"
    bundle = values["registry_ca"].strip()
    if not bundle and values["registry_ca_bundle"].strip():
        option, bundle = "--registry-ca-bundle", values["registry_ca_bundle"].strip()
    if not bundle:
        return ""
    try:
        return str(validate_ca_bundle(bundle))
    except ConfigurationError as error:
        if values["registry_ca_validate"]:
            raise ConfigurationError(f"{option}: {error}") from error
        # As the fork: without validation a bad bundle is reported, and the system's CAs stay.
        warnings.append(f"{option} is not used: {error}")
        return ""


def _output(values: FlagValues) -> tuple[str, LogFormat, PorcelainFormat | Literal[""]]:
    """The log level (``--trace`` over ``--debug`` over ``--log-level``), format and porcelain."""
    log_level = _choice("--log-level", values["log_level"], tuple(LOG_LEVELS))
    if values["debug"]:
        log_level = "debug"
    if values["trace"]:
        log_level = "trace"
    log_format = _choice("--log-format", values["log_format"], LOG_FORMATS)
    porcelain: PorcelainFormat | Literal[""] = ""
    if values["porcelain"].strip():
        porcelain = _choice("--porcelain", values["porcelain"], PORCELAIN)
    return log_level, log_format, porcelain


def _check_notifications(values: FlagValues) -> None:
    """Stop on a notification level or delay that cannot be used; the values are read later."""
    _choice(
        "--notifications-level",
        values["notifications_level"],
        tuple(n for n in LOG_LEVELS if n != "trace"),
    )
    if values["notifications_delay"] < 0:
        raise ConfigurationError(
            f"--notifications-delay must not be negative, got {values['notifications_delay']}."
        )


def _registry_tls(
    values: FlagValues, warnings: list[str]
) -> tuple[tuple[str, ...], bool, str, str]:
    """The insecure registries, whether every one is, the oldest TLS version, the CA bundle."""
    # --insecure-registry alone (or =true) is containrrr/watchtower's boolean: every registry.
    items = [item for item in values["insecure_registry"] if item.lower() != "false"]
    every = any(item.lower() == "true" for item in items)
    insecure = tuple(item for item in items if item.lower() != "true")
    if values["registry_tls_skip"] or every:
        option = "--registry-tls-skip" if values["registry_tls_skip"] else "--insecure-registry"
        warnings.append(
            f"{option}: no registry's TLS certificate is verified and any may be "
            "spoken to over plain HTTP; prefer --registry-ca."
        )
    tls_min_version = _choice(
        "--registry-tls-min-version",
        values["registry_tls_min_version"],
        tuple(TLS_VERSIONS),
        lower=False,
    )
    skip = values["registry_tls_skip"] or every
    return insecure, skip, tls_min_version, _ca_bundle(values, warnings)


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
    insecure, tls_skip, tls_min_version, ca_bundle = _registry_tls(values, warnings)
    _tls_host_warning(values["host"], values["tlsverify"], warnings)
    params = _checked_selection(_params(values, parsed.names, zone))
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
        registry_timeout=_a_span("--registry-timeout", values["registry_timeout"]),
        cooldown_platform=_cooldown_platform(env),
        cpu_copy_mode=_cpu_copy_mode(values["cpu_copy_mode"]),
        disable_memory_swappiness=values["disable_memory_swappiness"],
        api=api,
        push=push,
        history=history_settings(values),
        mqtt=mqtt_settings(values["mqtt"], values["mqtt_discovery_prefix"], values["mqtt_ca"]),
        notifications=notification_flags(values),
        shutdown_timeout=values["shutdown_timeout"],
        engine_timeout=_a_span("--engine-timeout", values["engine_timeout"]),
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
