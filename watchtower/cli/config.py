"""From flags to what a process does: :class:`Config`, built by :func:`load`.

All checking happens here, before anything touches a container: a bad value
is a :class:`~watchtower.errors.ConfigurationError` whose message is one
sentence naming the flag (or the environment variable) and the value.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Mapping, Sequence
from datetime import timedelta, timezone, tzinfo
from pathlib import Path
from typing import Literal, TypeVar, get_args

import attrs
from attrs import field, frozen

from .._text import LOG_LEVELS, LONG_UNITS, parse_duration
from ..errors import ConfigurationError
from ..params import MAX_ID, UpdateParams
from ..porcelain import Format as PorcelainFormat
from ..registry import Platform
from ..registry._tls import TLS_VERSIONS, validate_ca_bundle
from .args import Parsed, parse_args, split_list
from .flags import FLAGS, Split, Support
from .schedule import Cron, Interval, interval_schedule, parse_schedule, parse_zone
from .values import (
    FlagValues,
    NotificationFlags,
    as_mapping,
    default_notification_flags,
    flag_values,
    notification_flags,
)

__all__ = [
    "API_ENDPOINTS",
    "ApiSettings",
    "Config",
    "Endpoint",
    "LogFormat",
    "PorcelainFormat",
    "from_parsed",
    "load",
    "parse_cooldown",
]

LogFormat = Literal["auto", "logfmt", "pretty", "json"]
"""The formats of ``--log-format``; ``auto`` is ``pretty`` on a terminal, else ``logfmt``."""
"""The formats of ``--porcelain``."""
Endpoint = Literal["health", "update", "metrics", "containers", "check", "history"]
"""An HTTP API endpoint group, by its ``--http-api-endpoints`` name."""

LOG_FORMATS: tuple[LogFormat, ...] = get_args(LogFormat)
PORCELAIN: tuple[PorcelainFormat, ...] = get_args(PorcelainFormat)
#: The endpoints served here, by their --http-api-endpoints names.
API_ENDPOINTS: tuple[Endpoint, ...] = get_args(Endpoint)
#: Endpoints of the fork that are not served here: asking for them logs a warning.
UNSERVED_ENDPOINTS = ("images", "config", "events", "swagger")
#: Endpoints that need a token (all but health), as in the fork.
TOKEN_ENDPOINTS: frozenset[Endpoint] = frozenset(API_ENDPOINTS) - {"health"}
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
class ApiSettings:
    """The HTTP API's settings.

    Attributes:
        endpoints: The endpoints served (names of :data:`API_ENDPOINTS`).
        host: The address bound; empty binds every interface.
        port: The port.
        token: The bearer token (already read from its file).
        tls_cert: Certificate file, with ``tls_key``, to serve HTTPS.
        tls_key: Key file.
        periodic_polls: Keep the schedule although /v1/update is served.
    """

    endpoints: frozenset[Endpoint] = frozenset()
    host: str = ""
    port: int = 8080
    token: str = field(default="", repr=False)
    tls_cert: str = ""
    tls_key: str = ""
    periodic_polls: bool = False

    @property
    def enabled(self) -> bool:
        """True when any endpoint is served."""
        return bool(self.endpoints)

    @property
    def update_enabled(self) -> bool:
        """True when /v1/update is served."""
        return "update" in self.endpoints


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
        cooldown_platform: ``os/architecture[/variant]`` whose image age the
            cooldown reads, or empty for this machine's.
        cpu_copy_mode: Which CPU settings a replacement keeps: ``auto``,
            ``full`` or ``none``.
        disable_memory_swappiness: Leave a replacement's memory swappiness to the engine.
        api: The HTTP API's settings.
        notifications: The notification flags' values, by key (``notification_url``...).
        shutdown_timeout: How long a stop signal waits for a running update.
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
    cooldown_platform: str = ""
    cpu_copy_mode: str = "auto"
    disable_memory_swappiness: bool = False
    api: ApiSettings = ApiSettings()
    notifications: NotificationFlags = field(
        factory=default_notification_flags, repr=lambda flags: repr(_without_secrets(flags))
    )
    shutdown_timeout: timedelta = timedelta(seconds=60)
    warnings: tuple[str, ...] = ()
    sources: Mapping[str, str] = field(factory=dict)

    @property
    def scheduled(self) -> bool:
        """True when runs happen on the schedule (not only on API request)."""
        return not self.run_once and (not self.api.update_enabled or self.api.periodic_polls)


_SECRET_KEYS = frozenset(flag.key for flag in FLAGS if flag.secret)


def _without_secrets(values: Mapping[str, object]) -> dict[str, object]:
    """``values`` with the value of each secret flag that is set shown as ``***``."""
    return {k: "***" if k in _SECRET_KEYS and v else v for k, v in values.items()}


def _is_file_path(value: str) -> bool:
    # As Watchtower: a value with a colon other than a drive letter's is
    # never a path (it is a URL or a token), else it is one if it exists.
    colon = value.find(":")
    if colon not in (-1, 1):
        return False
    return os.path.exists(value)


def _read_secret(option: str, value: str) -> str:
    try:
        return Path(value).read_text(encoding="utf-8").strip()
    except OSError as error:
        raise ConfigurationError(
            f"{option} names the file {value!r}, which cannot be read: {error.strerror}."
        ) from None


def _secret_list(option: str, values: Sequence[str]) -> tuple[str, ...]:
    result: list[str] = []
    for value in values:
        if value and _is_file_path(value):
            for line in _read_secret(option, value).splitlines():
                line = line.strip()
                if not line or line.startswith("#"):
                    continue
                if option == "--notification-url" and "://" not in line:
                    raise ConfigurationError(
                        f"{option} file {value!r} has a line that is not a URL: {line!r}."
                    )
                result.extend(split_list(line, Split.URLS) if "," in line else [line])
        else:
            result.append(value)
    return tuple(result)


def _read_secrets(values: FlagValues) -> FlagValues:
    """``values`` with each secret flag that names a file replaced by the file's content."""
    resolved = dict(as_mapping(values))
    for flag in FLAGS:
        if not flag.secret:
            continue
        value = resolved[flag.key]
        if isinstance(value, tuple):
            resolved[flag.key] = _secret_list(flag.option, value)
        elif isinstance(value, str) and value and _is_file_path(value):
            resolved[flag.key] = _read_secret(flag.option, value)
    return flag_values(resolved)


def _choice(option: str, raw: str, allowed: Sequence[_Choice], *, lower: bool = True) -> _Choice:
    value = raw.strip().lower() if lower else raw.strip()
    for choice in allowed:
        if choice == value:
            return choice
    raise ConfigurationError(f"{option} {raw!r} is not one of {', '.join(allowed)}.")


_ENDPOINTS_BY_NAME: Mapping[str, Endpoint] = {name: name for name in API_ENDPOINTS}


def _endpoints(values: FlagValues, warnings: list[str]) -> frozenset[Endpoint]:
    names = [
        n.lower() for part in values["http_api_endpoints"] for n in re.split(r"[,\s]+", part) if n
    ]
    chosen: set[Endpoint] = set()
    if "all" in names:
        if len(names) != 1:
            raise ConfigurationError('--http-api-endpoints: "all" must be the only value.')
        chosen = set(API_ENDPOINTS)
    for name in names:
        if name == "all":
            continue
        if name in UNSERVED_ENDPOINTS:
            warnings.append(
                f"The HTTP API endpoint {name!r} is not served by this "
                "implementation; it is left out."
            )
            continue
        endpoint = _ENDPOINTS_BY_NAME.get(name)
        if endpoint is None:
            raise ConfigurationError(
                f"--http-api-endpoints {name!r} is not an endpoint; choose from "
                f"{', '.join(API_ENDPOINTS)} or all."
            )
        chosen.add(endpoint)
    legacy: Sequence[tuple[bool, Endpoint]] = (
        (values["http_api_update"], "update"),
        (values["http_api_metrics"], "metrics"),
        (values["http_api_containers"], "containers"),
    )
    chosen.update(endpoint for given, endpoint in legacy if given)
    return frozenset(chosen)


def _api(values: FlagValues, warnings: list[str]) -> ApiSettings:
    endpoints = _endpoints(values, warnings)
    host = values["http_api_host"].strip()
    if host:
        try:
            ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            raise ConfigurationError(
                f"--http-api-host {host!r} is not an IP address (leave it empty for all)."
            ) from None
    port_text = values["http_api_port"].strip()
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigurationError(
            f"--http-api-port {port_text!r} is not a port number from 1 to 65535."
        )
    cert, key = values["http_api_tls_cert"].strip(), values["http_api_tls_key"].strip()
    if bool(cert) != bool(key):
        raise ConfigurationError(
            "--http-api-tls-cert and --http-api-tls-key must be given together."
        )
    for option, path in (("--http-api-tls-cert", cert), ("--http-api-tls-key", key)):
        if path and not os.path.isfile(path):
            raise ConfigurationError(f"{option} {path!r} is not a file.")
    token = values["http_api_token"]
    needs_token = sorted(endpoints & TOKEN_ENDPOINTS)
    if needs_token and not token:
        raise ConfigurationError(
            f"The HTTP API endpoint {needs_token[0]!r} needs a token: set "
            "--http-api-token (or WATCHTOWER_HTTP_API_TOKEN)."
        )
    return ApiSettings(
        endpoints=endpoints,
        host=host,
        port=int(port_text),
        token=token,
        tls_cert=cert,
        tls_key=key,
        periodic_polls=values["http_api_periodic_polls"],
    )


def _zone(tz: str, warnings: list[str]) -> tzinfo:
    """The zone of cron schedules: ``TZ``, or UTC when it is empty or unknown (as Go does)."""
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


def _positive(option: str, value: int) -> int:
    if value < 1:
        raise ConfigurationError(f"{option} must be at least 1, got {value}.")
    return value


def _params(values: FlagValues, names: Sequence[str]) -> UpdateParams:
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
        no_pull=values["no_pull"],
        no_restart=values["no_restart"],
        label_precedence=values["label_take_precedence"],
        rolling_restart=values["rolling_restart"],
        use_compose_depends_on=values["use_compose_depends_on"],
        lifecycle_hooks=values["enable_lifecycle_hooks"],
        lifecycle_uid=_an_id("--lifecycle-uid", values["lifecycle_uid"]),
        lifecycle_gid=_an_id("--lifecycle-gid", values["lifecycle_gid"]),
        cleanup=values["cleanup"],
        remove_volumes=values["remove_volumes"],
        stop_timeout=values["stop_timeout"],
        health_timeout=values["health_timeout"],
        hook_timeout=values["hook_timeout"],
        cooldown=parse_cooldown(values["cooldown_delay"]),
        warn_on_head_failure=_choice(
            "--warn-on-head-failure",
            values["warn_on_head_failure"] or "auto",
            ("always", "auto", "never"),
        ),
        check_concurrency=_positive("--check-concurrency", values["check_concurrency"]),
        update_concurrency=_positive("--update-concurrency", values["update_concurrency"]),
    )


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


def from_parsed(parsed: Parsed, *, environ: Mapping[str, str] | None = None) -> Config:
    """Check a parsed command line and build its :class:`Config`.

    Args:
        parsed: The command line and environment, read.
        environ: The variables that are not flags, as the fork reads them:
            ``TZ`` (the zone ``--schedule`` reads, UTC when empty) and
            ``WATCHTOWER_COOLDOWN_PLATFORM_OS``/``_ARCH``/``_VARIANT`` (the
            platform whose image age the cooldown reads).

    Raises:
        ConfigurationError: A value is bad or two values contradict each other.
    """
    values = _read_secrets(parsed.values)
    parsed = attrs.evolve(parsed, values=values)
    warnings: list[str] = []
    log_level = _choice("--log-level", values["log_level"], tuple(LOG_LEVELS))
    if values["debug"]:
        log_level = "debug"
    if values["trace"]:
        log_level = "trace"
    log_format = _choice("--log-format", values["log_format"], LOG_FORMATS)
    porcelain: PorcelainFormat | Literal[""] = ""
    if values["porcelain"].strip():
        porcelain = _choice("--porcelain", values["porcelain"], PORCELAIN)
    _choice(
        "--notifications-level",
        values["notifications_level"],
        tuple(n for n in LOG_LEVELS if n != "trace"),
    )
    if values["notifications_delay"] < 0:
        raise ConfigurationError(
            f"--notifications-delay must not be negative, got {values['notifications_delay']}."
        )
    env = environ or {}
    schedule = _schedule(parsed, _zone(env.get("TZ", ""), warnings))
    if values["rolling_restart"] and values["monitor_only"]:
        raise ConfigurationError("--rolling-restart and --monitor-only cannot be used together.")
    _ignored(parsed, warnings)
    insecure = tuple(values["insecure_registry"])
    if values["registry_tls_skip"]:
        warnings.append(
            "--registry-tls-skip: no registry's TLS certificate is verified and any may be "
            "spoken to over plain HTTP; prefer --registry-ca."
        )
    tls_min_version = _choice(
        "--registry-tls-min-version",
        values["registry_tls_min_version"],
        tuple(TLS_VERSIONS),
        lower=False,
    )
    ca_bundle = _ca_bundle(values, warnings)
    _tls_host_warning(values["host"], values["tlsverify"], warnings)
    params = _params(values, parsed.names)
    api = _api(values, warnings)
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
        registry_tls_skip=values["registry_tls_skip"],
        registry_tls_min_version=tls_min_version,
        registry_ca_bundle=ca_bundle,
        cooldown_platform=_cooldown_platform(env),
        cpu_copy_mode=_cpu_copy_mode(values["cpu_copy_mode"]),
        disable_memory_swappiness=values["disable_memory_swappiness"],
        api=api,
        notifications=notification_flags(values),
        shutdown_timeout=values["shutdown_timeout"],
        warnings=tuple(warnings),
        sources=parsed.sources,
    )


def load(argv: Sequence[str], environ: Mapping[str, str]) -> Config:
    """Parse and check a command line and an environment into a :class:`Config`.

    Raises:
        ConfigurationError: Anything is wrong, in one sentence.
    """
    return from_parsed(parse_args(argv, environ), environ=environ)
