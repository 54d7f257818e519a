"""The flags' values, typed: :class:`FlagValues` has one key per flag of the table.

:func:`~watchtower.cli.args.parse_args` fills every key with a value of its
flag's :class:`~watchtower.cli.flags.Kind`, so mypy checks each read of a
value by name and type. The table (:data:`~watchtower.cli.flags.FLAGS`) is
the source; the tests hold these declarations to it. Code that loops over
the table reads values through :func:`as_mapping`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import TypedDict, cast

from .flags import FLAGS, FlagValue

__all__ = [
    "FlagValues",
    "NotificationFlags",
    "as_mapping",
    "default_notification_flags",
    "flag_values",
    "notification_flags",
]

# The group of the notification flags in the table.
_NOTIFY = "notify"


class NotificationFlags(TypedDict):
    """The values of the notification flags (the table's ``notify`` group), by key."""

    notification_url: tuple[str, ...]
    notifications_level: str
    notifications_delay: int
    notifications_hostname: str
    notification_template: str
    notification_template_file: str
    notification_report: bool
    notification_title_tag: str
    notification_skip_title: bool
    notification_log_stdout: bool
    notification_split_by_container: bool
    notifications: tuple[str, ...]
    notification_email_from: str
    notification_email_to: str
    notification_email_delay: int
    notification_email_server: str
    notification_email_server_port: int
    notification_email_server_tls_skip_verify: bool
    notification_email_server_user: str
    notification_email_server_password: str
    notification_email_subjecttag: str
    notification_slack_hook_url: str
    notification_slack_identifier: str
    notification_slack_channel: str
    notification_slack_icon_emoji: str
    notification_slack_icon_url: str
    notification_msteams_hook: str
    notification_gotify_url: str
    notification_gotify_token: str
    notification_gotify_tls_skip_verify: bool


class FlagValues(NotificationFlags):
    """Every flag's value by :attr:`~watchtower.cli.flags.Flag.key`."""

    # docker
    host: str
    tlsverify: bool
    api_version: str
    cert_path: str
    # client
    include_stopped: bool
    include_restarting: bool
    revive_stopped: bool
    remove_volumes: bool
    warn_on_head_failure: str
    # schedule
    interval: int
    schedule: str
    update_on_start: bool
    # mode
    run_once: bool
    health_check: bool
    porcelain: str
    no_startup_message: bool
    # update
    cleanup: bool
    no_pull: bool
    no_restart: bool
    monitor_only: bool
    rolling_restart: bool
    max_failures: int
    stop_timeout: timedelta
    cooldown_delay: str
    use_compose_depends_on: bool
    stacks: bool
    label_take_precedence: bool
    update_policy: str
    approval_expiry: str
    mqtt: str
    mqtt_discovery_prefix: str
    mqtt_ca: str
    ephemeral_self_update: bool
    # lifecycle
    enable_lifecycle_hooks: bool
    lifecycle_uid: int
    lifecycle_gid: int
    # filter
    label_enable: bool
    disable_containers: tuple[str, ...]
    monitor_image_names: tuple[str, ...]
    skip_image_names: tuple[str, ...]
    enable_containers_by_label: tuple[str, ...]
    disable_containers_by_label: tuple[str, ...]
    scope: str
    # registry
    registry_tls_skip: bool
    registry_tls_min_version: str
    registry_ca: str
    registry_ca_validate: bool
    # compat
    disable_memory_swappiness: bool
    cpu_copy_mode: str
    # api
    http_api_endpoints: tuple[str, ...]
    http_api_update: bool
    http_api_metrics: bool
    http_api_containers: bool
    http_api_host: str
    http_api_port: str
    http_api_token: str
    http_api_events_token: str
    http_api_periodic_polls: bool
    http_api_rate_limit: int
    http_api_tls_cert: str
    http_api_tls_key: str
    http_api_trusted_proxies: tuple[str, ...]
    http_api_proxy_header: str
    http_api_cors_origins: tuple[str, ...]
    http_api_check_timeout: timedelta
    http_api_update_timeout: timedelta
    # logging
    log_format: str
    log_level: str
    debug: bool
    trace: bool
    no_color: bool
    # added
    dry_run: bool
    health_timeout: timedelta
    soak: timedelta
    canary_soak: timedelta
    canary_promote_at_once: bool
    snapshot_keep: int
    hook_timeout: timedelta
    check_concurrency: int
    update_concurrency: int
    insecure_registry: tuple[str, ...]
    registry_ca_bundle: str
    registry_timeout: timedelta
    registry_scan_timeout: timedelta
    registry_quota_share: str
    shutdown_timeout: timedelta
    engine_timeout: timedelta
    hosts_file: str
    swarm_services: bool
    window: str
    # push
    push_sources: tuple[str, ...]
    push_secret: str
    push_poll_interval: timedelta
    # history
    data_dir: str
    history_retention: str
    keep_previous: int


def flag_values(values: Mapping[str, FlagValue]) -> FlagValues:
    """A copy of ``values`` as :class:`FlagValues`, once checked against the table.

    Raises:
        TypeError: A flag is missing or unknown, or its value is not of the
            flag's kind: a bug in the table or the parser, not bad input.
    """
    unknown = sorted(set(values) - {flag.key for flag in FLAGS})
    if unknown:
        raise TypeError(f"{unknown[0]!r} is not the key of a flag.")
    for flag in FLAGS:
        if flag.key not in values:
            raise TypeError(f"{flag.option} has no value.")
        if not flag.kind.accepts(values[flag.key]):
            raise TypeError(
                f"{flag.option} holds {values[flag.key]!r}, not a value of kind {flag.kind.value}."
            )
    # Checked just above: one value of the declared kind per flag.
    return cast(FlagValues, dict(values))


def as_mapping(values: FlagValues) -> Mapping[str, FlagValue]:
    """``values`` for reading by a key known only at run time (a loop over the table)."""
    return cast("Mapping[str, FlagValue]", values)


def notification_flags(values: FlagValues) -> NotificationFlags:
    """The values of the notification flags alone."""
    every = as_mapping(values)
    return cast(
        NotificationFlags, {flag.key: every[flag.key] for flag in FLAGS if flag.group == _NOTIFY}
    )


def default_notification_flags() -> NotificationFlags:
    """The notification flags at the table's defaults, which are Watchtower's."""
    return notification_flags(flag_values({flag.key: flag.default for flag in FLAGS}))
