"""The flag table: every option of the command line, as Watchtower names them.

Each :class:`Flag` carries its long and short name, its environment
variables, its default, how its value is read and how this implementation
treats it compared with Watchtower (:class:`Support`). The table is data:
:mod:`~watchtower.cli.args` reads a command line and an environment by it,
:mod:`~watchtower.cli.values` declares the type of each flag's value and
:mod:`~watchtower.cli.config` checks the values.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeAlias

__all__ = [
    "FLAGS",
    "Flag",
    "FlagValue",
    "Kind",
    "Split",
    "Support",
    "by_name",
]

FlagValue: TypeAlias = bool | int | str | timedelta | tuple[str, ...]
"""A flag's value; which of these its :class:`Kind` says."""


class Kind(str, enum.Enum):
    """The type of a flag's value."""

    BOOL = "bool"
    STRING = "string"
    INT = "int"
    DURATION = "duration"
    LIST = "list"
    """A list, to which each occurrence is split (see :class:`Split`) and appended."""

    def accepts(self, value: object) -> bool:
        """True when ``value`` is of this kind (a bool is not an int here)."""
        if self is Kind.LIST:
            return isinstance(value, tuple) and all(isinstance(item, str) for item in value)
        return type(value) is _TYPES[self]


_TYPES: dict[Kind, type] = {
    Kind.BOOL: bool,
    Kind.STRING: str,
    Kind.INT: int,
    Kind.DURATION: timedelta,
}


class Split(str, enum.Enum):
    """How a list flag's text becomes items."""

    COMMA_OR_SPACE = "comma-or-space"
    COMMA = "comma"
    URLS = "urls"
    """Notification URLs, where a comma inside a URL's query stays in that URL."""
    NONE = "none"
    """Every occurrence is one item (an environment value still splits as URLS)."""


class Support(str, enum.Enum):
    """How this implementation treats a flag of Watchtower's."""

    SAME = "same"
    """Same name, variable, default and meaning."""
    DIFFERENT = "different"
    """Accepted; the meaning differs in a way the note explains."""
    IGNORED = "ignored"
    """Accepted so existing setups keep starting; has no effect (a warning says so)."""
    ADDED = "added"
    """Ours only; Watchtower has no such flag."""


# A frozen dataclass, not attrs: `--help` loads this table alone, and attrs
# would add about 30 ms to its start (README, performance).
@dataclass(frozen=True, slots=True)
class Flag:
    """One option of the command line.

    Attributes:
        name: The long name, without dashes (``run-once``).
        kind: The type of its value.
        default: Its value when neither the command line nor the environment set it.
        env: The environment variables read, first set wins.
        short: The one-letter name, or empty.
        help: One line for ``--help``.
        split: How a list flag's text is split.
        secret: Its value may name a file whose content is the value.
        support: How this implementation treats it.
        note: Why, when ``support`` is not ``SAME``.
        deprecated: What to use instead, when Watchtower deprecated it.
        group: The section it belongs to in ``--help`` and the docs.
        bare: The value it takes when given alone (``--name`` with no ``=``),
            pflag's ``NoOptDefVal``; empty when a value must follow.
    """

    name: str
    kind: Kind
    default: FlagValue
    env: tuple[str, ...] = ()
    short: str = ""
    help: str = ""
    split: Split = Split.COMMA_OR_SPACE
    secret: bool = False
    support: Support = Support.SAME
    note: str = ""
    deprecated: str = ""
    group: str = ""
    bare: str = ""

    @property
    def key(self) -> str:
        """The name with underscores, as used in :class:`~watchtower.cli.values.FlagValues`."""
        return self.name.replace("-", "_")

    @property
    def option(self) -> str:
        """``--name``."""
        return f"--{self.name}"


def _f(
    group: str,
    name: str,
    kind: Kind,
    default: FlagValue,
    env: str | Sequence[str] = (),
    short: str = "",
    help: str = "",
    *,
    split: Split = Split.COMMA_OR_SPACE,
    secret: bool = False,
    support: Support = Support.SAME,
    note: str = "",
    deprecated: str = "",
    bare: str = "",
) -> Flag:
    envs = (env,) if isinstance(env, str) else tuple(env)
    return Flag(
        name,
        kind,
        default,
        envs,
        short,
        help,
        split,
        secret,
        support,
        note,
        deprecated,
        group,
        bare,
    )


B, S, N, D, L = Kind.BOOL, Kind.STRING, Kind.INT, Kind.DURATION, Kind.LIST
_IGN = Support.IGNORED
_DEP_URL = "Use --notification-url with a service URL."

# One flag a row, as a table reads best.
# fmt: off
#: Every flag, in the order of the fork's ``internal/flags/*/register.go``, then ours.
FLAGS: tuple[Flag, ...] = (
    # docker
    _f("docker", "host", S, "unix:///var/run/docker.sock", "DOCKER_HOST", "H",
       "Daemon socket to connect to."),
    _f("docker", "tlsverify", B, False, "DOCKER_TLS_VERIFY", "v",
       "Use TLS and verify the remote."),
    _f("docker", "api-version", S, "", "DOCKER_API_VERSION", "a",
       "API version to use (omit to negotiate)."),
    _f("docker", "cert-path", S, "", "DOCKER_CERT_PATH", "",
       "Directory of the TLS certificates (ca.pem, cert.pem, key.pem)."),
    # client
    _f("client", "include-stopped", B, False, "WATCHTOWER_INCLUDE_STOPPED", "S",
       "Also include created and exited containers."),
    _f("client", "include-restarting", B, False, "WATCHTOWER_INCLUDE_RESTARTING", "",
       "Also include restarting containers."),
    _f("client", "revive-stopped", B, False, "WATCHTOWER_REVIVE_STOPPED", "",
       "Start the replacement of a stopped container (with --include-stopped)."),
    _f("client", "remove-volumes", B, False, "WATCHTOWER_REMOVE_VOLUMES", "",
       "Remove a replaced container's anonymous volumes."),
    _f("client", "warn-on-head-failure", S, "", "WATCHTOWER_WARN_ON_HEAD_FAILURE", "",
       "When to warn about failed manifest HEAD requests: always, auto or never."),
    # schedule
    _f("schedule", "interval", N, 86400, "WATCHTOWER_POLL_INTERVAL", "i",
       "Poll interval in seconds."),
    _f("schedule", "schedule", S, "", "WATCHTOWER_SCHEDULE", "s",
       "Cron expression (6 fields, seconds first, or 5 fields) of when to update."),
    _f("schedule", "update-on-start", B, False, "WATCHTOWER_UPDATE_ON_START", "",
       "Run an update at startup, then keep the schedule."),
    # mode
    _f("mode", "run-once", B, False, "WATCHTOWER_RUN_ONCE", "R", "Run once now and exit."),
    _f("mode", "health-check", B, False, (), "", "Do a health check and exit."),
    _f("mode", "porcelain", S, "", "WATCHTOWER_PORCELAIN", "P",
       "Write each run's results to stdout in a stable format: v1 or json."),
    _f("mode", "no-startup-message", B, False, "WATCHTOWER_NO_STARTUP_MESSAGE", "",
       "Do not send the startup message."),
    # update
    _f("update", "cleanup", B, False, "WATCHTOWER_CLEANUP", "c",
       "Remove the replaced images after updating."),
    _f("update", "no-pull", B, False, "WATCHTOWER_NO_PULL", "", "Do not pull new images."),
    _f("update", "no-restart", B, False, "WATCHTOWER_NO_RESTART", "",
       "Do not restart any containers."),
    _f("update", "monitor-only", B, False, "WATCHTOWER_MONITOR_ONLY", "m",
       "Only report new images; change no container."),
    _f("update", "rolling-restart", B, False, "WATCHTOWER_ROLLING_RESTART", "",
       "Replace containers one at a time."),
    _f("update", "stop-timeout", D, timedelta(seconds=30), "WATCHTOWER_TIMEOUT", "t",
       "Grace time before a container is killed (30s, 1m)."),
    _f("update", "cooldown-delay", S, "", "WATCHTOWER_COOLDOWN_DELAY", "",
       "Only update to images at least this old (24h, 3d, 1w, 1M)."),
    _f("update", "use-compose-depends-on", B, True, "WATCHTOWER_USE_COMPOSE_DEPENDS_ON", "",
       "Order updates by Docker Compose's depends_on label."),
    _f("update", "label-take-precedence", B, False, "WATCHTOWER_LABEL_TAKE_PRECEDENCE", "",
       "Container labels override the monitor-only and no-pull flags."),
    _f("update", "ephemeral-self-update", B, False, "WATCHTOWER_EPHEMERAL_SELF_UPDATE", "",
       "Use an ephemeral container for self-updates.", support=_IGN,
       note="Self-update through an orchestrator container is not implemented."),
    # lifecycle
    _f("lifecycle", "enable-lifecycle-hooks", B, False, "WATCHTOWER_LIFECYCLE_HOOKS", "",
       "Run the lifecycle hook labels."),
    _f("lifecycle", "lifecycle-uid", N, 0, "WATCHTOWER_LIFECYCLE_UID", "",
       "Default UID of lifecycle hooks (0: the container's user)."),
    _f("lifecycle", "lifecycle-gid", N, 0, "WATCHTOWER_LIFECYCLE_GID", "",
       "Default GID of lifecycle hooks (0: the container's group)."),
    # filter
    _f("filter", "label-enable", B, False, "WATCHTOWER_LABEL_ENABLE", "e",
       "Only containers labelled com.centurylinklabs.watchtower.enable=true."),
    _f("filter", "disable-containers", L, (), "WATCHTOWER_DISABLE_CONTAINERS", "x",
       "Containers never watched (comma or space separated)."),
    _f("filter", "monitor-image-names", L, (), "WATCHTOWER_MONITOR_IMAGE_NAMES", "",
       "Only containers of these images."),
    _f("filter", "skip-image-names", L, (), "WATCHTOWER_SKIP_IMAGE_NAMES", "",
       "Containers of these images are never checked."),
    _f("filter", "enable-containers-by-label", L, (),
       "WATCHTOWER_ENABLE_CONTAINERS_BY_LABEL", "",
       "Only containers with one of these key=value labels.", split=Split.COMMA),
    _f("filter", "disable-containers-by-label", L, (),
       "WATCHTOWER_DISABLE_CONTAINERS_BY_LABEL", "",
       "Containers with one of these key=value labels are left out.", split=Split.COMMA),
    _f("filter", "scope", S, "", "WATCHTOWER_SCOPE", "",
       "Only containers whose scope label has this value."),
    # registry
    _f("registry", "registry-tls-skip", B, False, "WATCHTOWER_REGISTRY_TLS_SKIP", "",
       "Do not verify any registry's TLS certificate; allow plain HTTP (a warning says so)."),
    _f("registry", "registry-tls-min-version", S, "TLS1.2",
       "WATCHTOWER_REGISTRY_TLS_MIN_VERSION", "",
       "Minimum TLS version for registries: TLS1.0 to TLS1.3."),
    _f("registry", "registry-ca", S, "", "WATCHTOWER_REGISTRY_CA", "",
       "PEM file of CA certificates trusted for registries, besides the system's."),
    _f("registry", "registry-ca-validate", B, False, "WATCHTOWER_REGISTRY_CA_VALIDATE", "",
       "Refuse to start when the --registry-ca bundle is unusable."),
    # compat
    _f("compat", "disable-memory-swappiness", B, False,
       "WATCHTOWER_DISABLE_MEMORY_SWAPPINESS", "",
       "Podman compatibility: drop memory swappiness when recreating."),
    _f("compat", "cpu-copy-mode", S, "auto", "WATCHTOWER_CPU_COPY_MODE", "",
       "Podman compatibility: auto, full or none.", support=Support.DIFFERENT,
       note="auto asks the engine's /version first, which finds Podman 4.3 where the "
       "fork's signs take it for Docker."),
    # api
    _f("api", "http-api-endpoints", L, (), "WATCHTOWER_HTTP_API_ENDPOINTS", "",
       "HTTP API endpoints to serve (health, update, metrics, containers, check, "
       "history, images, config, events, swagger, page) or all; empty serves none."),
    _f("api", "http-api-update", B, False, "WATCHTOWER_HTTP_API_UPDATE", "",
       "Serve /v1/update; updates then run on request.",
       deprecated="Use --http-api-endpoints update."),
    _f("api", "http-api-metrics", B, False, "WATCHTOWER_HTTP_API_METRICS", "",
       "Serve the Prometheus metrics.", deprecated="Use --http-api-endpoints metrics."),
    _f("api", "http-api-containers", B, False, "WATCHTOWER_HTTP_API_CONTAINERS", "",
       "Serve /v1/containers.", deprecated="Use --http-api-endpoints containers."),
    _f("api", "http-api-host", S, "", "WATCHTOWER_HTTP_API_HOST", "",
       "Address the HTTP API binds to; empty binds all interfaces."),
    _f("api", "http-api-port", S, "8080", "WATCHTOWER_HTTP_API_PORT", "",
       "Port of the HTTP API."),
    _f("api", "http-api-token", S, "", "WATCHTOWER_HTTP_API_TOKEN", "",
       "Bearer token of the HTTP API (or a file holding it).", secret=True),
    _f("api", "http-api-events-token", S, "", "WATCHTOWER_HTTP_API_EVENTS_TOKEN", "",
       "Token of the /v1/events stream (or a file holding it).", secret=True),
    _f("api", "http-api-periodic-polls", B, False, "WATCHTOWER_HTTP_API_PERIODIC_POLLS", "",
       "Keep the schedule when /v1/update is served."),
    _f("api", "http-api-rate-limit", N, 60, "WATCHTOWER_HTTP_API_RATE_LIMIT", "",
       "Requests per minute from one client address (0: 60); more get 429.",
       support=Support.DIFFERENT,
       note="Health probes and the page's static files are not counted."),
    _f("api", "http-api-tls-cert", S, "", "WATCHTOWER_HTTP_API_TLS_CERT", "",
       "TLS certificate file of the HTTP API."),
    _f("api", "http-api-tls-key", S, "", "WATCHTOWER_HTTP_API_TLS_KEY", "",
       "TLS key file of the HTTP API."),
    _f("api", "http-api-trusted-proxies", L, (), "WATCHTOWER_HTTP_API_TRUSTED_PROXIES", "",
       "Reverse proxies (addresses or networks) whose client header is believed."),
    _f("api", "http-api-proxy-header", S, "", "WATCHTOWER_HTTP_API_PROXY_HEADER", "",
       "Header with the client address behind a trusted proxy (X-Forwarded-For).",
       support=Support.DIFFERENT,
       note="The header's nearest address that is not a trusted proxy is the client."),
    _f("api", "http-api-cors-origins", L, (), "WATCHTOWER_HTTP_API_CORS_ORIGINS", "",
       "Origins allowed to call the API from a browser (* for any); empty: none."),
    _f("api", "http-api-check-timeout", D, timedelta(0), "WATCHTOWER_HTTP_API_CHECK_TIMEOUT",
       "", "Longest wait of a /v1/check request (0: 5m); longer is 504.",
       support=Support.DIFFERENT, note="0 means the fork's default of 5m."),
    _f("api", "http-api-update-timeout", D, timedelta(0),
       "WATCHTOWER_HTTP_API_UPDATE_TIMEOUT", "",
       "Longest wait of a synchronous /v1/update request (0: 10m); longer is 504.",
       support=Support.DIFFERENT, note="The request stops waiting but the run is never cut "
                                       "short: that could leave a container half replaced."),
    # notify
    _f("notify", "notification-url", L, (), "WATCHTOWER_NOTIFICATION_URL", "",
       "Service URL to send notifications to (repeatable, or a file of URLs).",
       split=Split.NONE, secret=True),
    _f("notify", "notifications-level", S, "info", "WATCHTOWER_NOTIFICATIONS_LEVEL", "",
       "Lowest log level sent: panic, fatal, error, warn, info or debug."),
    _f("notify", "notifications-delay", N, 0, "WATCHTOWER_NOTIFICATIONS_DELAY", "",
       "Seconds to wait before sending notifications."),
    _f("notify", "notifications-hostname", S, "", "WATCHTOWER_NOTIFICATIONS_HOSTNAME", "",
       "Host name in notification titles."),
    _f("notify", "notification-template", S, "", "WATCHTOWER_NOTIFICATION_TEMPLATE", "",
       "Template of the messages."),
    _f("notify", "notification-template-file", S, "",
       "WATCHTOWER_NOTIFICATION_TEMPLATE_FILE", "", "File holding the message template."),
    _f("notify", "notification-report", B, False, "WATCHTOWER_NOTIFICATION_REPORT", "",
       "Give templates the run's report."),
    _f("notify", "notification-title-tag", S, "", "WATCHTOWER_NOTIFICATION_TITLE_TAG", "",
       "Prefix of notification titles."),
    _f("notify", "notification-skip-title", B, False, "WATCHTOWER_NOTIFICATION_SKIP_TITLE",
       "", "Send no title."),
    _f("notify", "notification-log-stdout", B, False, "WATCHTOWER_NOTIFICATION_LOG_STDOUT",
       "", "Write logger:// notifications to stdout."),
    _f("notify", "notification-split-by-container", B, False,
       "WATCHTOWER_NOTIFICATION_SPLIT_BY_CONTAINER", "",
       "One notification per updated container."),
    _f("notify", "notifications", L, (), "WATCHTOWER_NOTIFICATIONS", "n",
       "Legacy notification types: email, slack, msteams, gotify.",
       deprecated=_DEP_URL),
    _f("notify", "notification-email-from", S, "", "WATCHTOWER_NOTIFICATION_EMAIL_FROM", "",
       "Sender address.", deprecated=_DEP_URL),
    _f("notify", "notification-email-to", S, "", "WATCHTOWER_NOTIFICATION_EMAIL_TO", "",
       "Recipient address.", deprecated=_DEP_URL),
    _f("notify", "notification-email-delay", N, 0, "WATCHTOWER_NOTIFICATION_EMAIL_DELAY", "",
       "Seconds to wait before sending.", deprecated="Use --notifications-delay."),
    _f("notify", "notification-email-server", S, "",
       "WATCHTOWER_NOTIFICATION_EMAIL_SERVER", "", "SMTP server.", deprecated=_DEP_URL),
    _f("notify", "notification-email-server-port", N, 25,
       "WATCHTOWER_NOTIFICATION_EMAIL_SERVER_PORT", "", "SMTP port.", deprecated=_DEP_URL),
    _f("notify", "notification-email-server-tls-skip-verify", B, False,
       "WATCHTOWER_NOTIFICATION_EMAIL_SERVER_TLS_SKIP_VERIFY", "",
       "Do not verify the SMTP server's certificate.", deprecated=_DEP_URL),
    _f("notify", "notification-email-server-user", S, "",
       "WATCHTOWER_NOTIFICATION_EMAIL_SERVER_USER", "", "SMTP user.", deprecated=_DEP_URL),
    _f("notify", "notification-email-server-password", S, "",
       "WATCHTOWER_NOTIFICATION_EMAIL_SERVER_PASSWORD", "", "SMTP password (or a file).",
       secret=True, deprecated=_DEP_URL),
    _f("notify", "notification-email-subjecttag", S, "",
       "WATCHTOWER_NOTIFICATION_EMAIL_SUBJECTTAG", "", "Subject prefix.",
       deprecated="Use --notification-title-tag."),
    _f("notify", "notification-slack-hook-url", S, "",
       "WATCHTOWER_NOTIFICATION_SLACK_HOOK_URL", "", "Slack hook URL (or a file).",
       secret=True, deprecated=_DEP_URL),
    _f("notify", "notification-slack-identifier", S, "watchtower",
       "WATCHTOWER_NOTIFICATION_SLACK_IDENTIFIER", "", "Name of the sender.",
       deprecated=_DEP_URL),
    _f("notify", "notification-slack-channel", S, "",
       "WATCHTOWER_NOTIFICATION_SLACK_CHANNEL", "", "Channel.", deprecated=_DEP_URL),
    _f("notify", "notification-slack-icon-emoji", S, "",
       "WATCHTOWER_NOTIFICATION_SLACK_ICON_EMOJI", "", "Icon emoji.", deprecated=_DEP_URL),
    _f("notify", "notification-slack-icon-url", S, "",
       "WATCHTOWER_NOTIFICATION_SLACK_ICON_URL", "", "Icon URL.", deprecated=_DEP_URL),
    _f("notify", "notification-msteams-hook", S, "",
       "WATCHTOWER_NOTIFICATION_MSTEAMS_HOOK_URL", "", "Teams hook URL (or a file).",
       secret=True, deprecated=_DEP_URL),
    _f("notify", "notification-gotify-url", S, "", "WATCHTOWER_NOTIFICATION_GOTIFY_URL", "",
       "Gotify URL.", deprecated=_DEP_URL),
    _f("notify", "notification-gotify-token", S, "",
       "WATCHTOWER_NOTIFICATION_GOTIFY_TOKEN", "", "Gotify token (or a file).",
       secret=True, deprecated=_DEP_URL),
    _f("notify", "notification-gotify-tls-skip-verify", B, False,
       "WATCHTOWER_NOTIFICATION_GOTIFY_TLS_SKIP_VERIFY", "",
       "Do not verify Gotify's certificate.", deprecated=_DEP_URL),
    # logging
    _f("logging", "log-format", S, "auto", "WATCHTOWER_LOG_FORMAT", "l",
       "Log format: auto, logfmt, pretty or json."),
    _f("logging", "log-level", S, "info", "WATCHTOWER_LOG_LEVEL", "",
       "Most verbose level logged: panic, fatal, error, warn, info, debug or trace."),
    _f("logging", "debug", B, False, "WATCHTOWER_DEBUG", "d", "Log at debug level."),
    _f("logging", "trace", B, False, "WATCHTOWER_TRACE", "",
       "Log at trace level (may show credentials)."),
    _f("logging", "no-color", B, False, "NO_COLOR", "", "No colours in the log."),
    # ours
    _f("added", "dry-run", B, False, "WATCHTOWER_DRY_RUN", "",
       "Plan and report, change nothing.", support=Support.ADDED),
    _f("added", "health-timeout", D, timedelta(minutes=1), "WATCHTOWER_HEALTH_TIMEOUT", "",
       "How long a replacement may take to become healthy.", support=Support.ADDED),
    _f("added", "soak", D, timedelta(0), "WATCHTOWER_SOAK", "",
       "How long a replacement must keep running, never restarted, before the old "
       "container is removed (0: no soak).", support=Support.ADDED),
    _f("added", "canary-soak", D, timedelta(hours=1), "WATCHTOWER_CANARY_SOAK", "",
       "How long a new image runs on the canaries (hosts of the hosts file, containers "
       "labelled canary), with no failure, before the others get it.",
       support=Support.ADDED),
    _f("added", "canary-promote-at-once", B, False, "WATCHTOWER_CANARY_PROMOTE_AT_ONCE", "",
       "Update the others in the same run once the canaries were updated with no "
       "failure, instead of the first run after --canary-soak.", support=Support.ADDED),
    _f("added", "snapshot-keep", N, 3, "WATCHTOWER_SNAPSHOT_KEEP", "",
       "Snapshots kept of each volume a snapshot-volumes label protects; older ones are "
       "removed.", support=Support.ADDED),
    _f("added", "stacks", B, False, "WATCHTOWER_STACKS", "",
       "Replace the containers of each compose project as one, all updated or all rolled "
       "back (a container's stack label overrides it).", support=Support.ADDED),
    _f("added", "hook-timeout", D, timedelta(minutes=1), "WATCHTOWER_HOOK_TIMEOUT", "",
       "Default timeout of pre-check and post-check hooks.", support=Support.ADDED),
    _f("added", "check-concurrency", N, 8, "WATCHTOWER_CHECK_CONCURRENCY", "",
       "Registry checks and pulls at once.", support=Support.ADDED),
    _f("added", "update-concurrency", N, 4, "WATCHTOWER_UPDATE_CONCURRENCY", "",
       "Independent containers replaced at once (dependent ones keep their order).",
       support=Support.ADDED),
    _f("added", "insecure-registry", L, (), "WATCHTOWER_INSECURE_REGISTRY", "",
       "Registries (=host or =host:port) spoken to without TLS verification; alone, every one.",
       support=Support.ADDED, bare="true",
       note="Hosts follow '=' (--insecure-registry=reg:5000); given alone, or as true, "
            "every registry is insecure, like --registry-tls-skip, as containrrr/watchtower's "
            "later boolean --insecure-registry."),
    _f("added", "registry-ca-bundle", S, "", "WATCHTOWER_REGISTRY_CA_BUNDLE", "",
       "Another name of --registry-ca.", support=Support.ADDED,
       note="Another name of --registry-ca."),
    _f("added", "registry-timeout", D, timedelta(minutes=1), "WATCHTOWER_REGISTRY_TIMEOUT", "",
       "How long one image's registry lookup may take in all (logins, redirects, retries).",
       support=Support.ADDED,
       note="ours: Watchtower puts no bound on a lookup; one past it is skipped, not pulled."),
    _f("added", "registry-scan-timeout", D, timedelta(minutes=5),
       "WATCHTOWER_REGISTRY_SCAN_TIMEOUT", "",
       "How long the registry lookups of one scan may take in all; later images are skipped.",
       support=Support.ADDED,
       note="ours: the registry lookups of a scan (tags, digests, ages) share it; "
       "pulls are not counted."),
    _f("added", "registry-quota-share", S, "", "WATCHTOWER_REGISTRY_QUOTA_SHARE", "",
       "The share of each registry's rate limit quota one run may spend (0.5 or 50%); "
       "the rest of the checks wait for the next run.",
       support=Support.ADDED,
       note="ours: Watchtower has no quota. Read from the ratelimit-remaining header; "
       "one budget for every engine of the process. Default off."),
    _f("added", "shutdown-timeout", D, timedelta(seconds=60), "WATCHTOWER_SHUTDOWN_TIMEOUT",
       "", "How long a stop signal waits for a running update.", support=Support.ADDED),
    _f("added", "engine-timeout", D, timedelta(seconds=60), "WATCHTOWER_ENGINE_TIMEOUT", "",
       "How long an engine call may go unanswered; then the run starts nothing more there.",
       support=Support.ADDED),
    _f("added", "hosts-file", S, "", "WATCHTOWER_HOSTS_FILE", "",
       "A file of engines to update from this one process (NAME ADDRESS [tlsverify] "
       "[cert-path=DIR] [swarm], one a line), instead of --host.", support=Support.ADDED),
    _f("added", "swarm-services", B, False, "WATCHTOWER_SWARM_SERVICES", "",
       "Also update the engine's swarm services, through swarm (it must be a manager).",
       support=Support.ADDED),
    _f("added", "window", S, "", "WATCHTOWER_WINDOW", "",
       "Maintenance windows, such as 'Sat 02:00/4h' or 'TZ=Europe/Berlin 02:00/30m' "
       "(comma or semicolon separated); outside them containers are checked, not replaced.",
       support=Support.ADDED,
       note="ours: a start and a duration, never a cron matched minute by minute; the "
       "window label of a container comes before it."),
    # push
    _f("push", "push-sources", L, (), "WATCHTOWER_PUSH_SOURCES", "",
       "Registry push events the HTTP API accepts: registry, dockerhub, generic.",
       support=Support.ADDED),
    _f("push", "push-secret", S, "", "WATCHTOWER_PUSH_SECRET", "",
       "Secret in Docker Hub's webhook URL, 16 characters or more (or a file holding it).",
       secret=True, support=Support.ADDED),
    _f("push", "push-poll-interval", D, timedelta(0), "WATCHTOWER_PUSH_POLL_INTERVAL", "",
       "With push sources, poll this often instead (0 keeps the schedule).",
       support=Support.ADDED),
    # history
    _f("history", "data-dir", S, "", "WATCHTOWER_DATA_DIR", "",
       "Directory of the history of runs and container changes, kept past a restart "
       "(empty: kept in memory only).", support=Support.ADDED),
    _f("history", "history-retention", S, "", "WATCHTOWER_HISTORY_RETENTION", "",
       "How long runs are kept in the history, such as 90d (empty: every run).",
       support=Support.ADDED),
    _f("history", "keep-previous", N, 1, "WATCHTOWER_KEEP_PREVIOUS", "",
       "With --cleanup and --data-dir, keep this many images each container ran before, "
       "to roll back to (0: remove them at once).", support=Support.ADDED),
    _f("history", "max-failures", N, 0, "WATCHTOWER_MAX_FAILURES", "",
       "Stop a run's replacements once this many failed, over all hosts (0: never stop).",
       support=Support.ADDED),
    _f("approval", "update-policy", S, "auto", "WATCHTOWER_UPDATE_POLICY", "",
       "Whether containers without a policy label are replaced when stale: auto, "
       "approve (once approved) or notify (never).", support=Support.ADDED),
    _f("approval", "approval-expiry", S, "", "WATCHTOWER_APPROVAL_EXPIRY", "",
       "An approval not used within this long lapses, such as 7d (empty: never).",
       support=Support.ADDED),
    # Home Assistant
    _f("home assistant", "mqtt", S, "", "WATCHTOWER_MQTT", "",
       "MQTT broker for Home Assistant's update entities, mqtt://[user:password@]host[:port] "
       "or mqtts://... (or a file holding it).", secret=True, support=Support.ADDED),
    _f("home assistant", "mqtt-discovery-prefix", S, "homeassistant",
       "WATCHTOWER_MQTT_DISCOVERY_PREFIX", "", "Home Assistant's MQTT discovery prefix.",
       support=Support.ADDED),
    _f("home assistant", "mqtt-ca", S, "", "WATCHTOWER_MQTT_CA", "",
       "CA file (PEM) trusted for an mqtts:// broker, besides the system's.",
       support=Support.ADDED),
)
# fmt: on

_BY_NAME = {flag.name: flag for flag in FLAGS}


def by_name(name: str) -> Flag:
    """The flag called ``name`` (without dashes).

    Raises:
        KeyError: There is no such flag.
    """
    return _BY_NAME[name]
