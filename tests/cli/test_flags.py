"""The flag table against Watchtower's, and how each flag is read."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, get_type_hints

import pytest

from watchtower.cli.args import parse_args
from watchtower.cli.flags import FLAGS, Flag, Kind, Support, by_name
from watchtower.cli.values import FlagValues, NotificationFlags, flag_values
from watchtower.errors import ConfigurationError

W = "WATCHTOWER_"

# name, short, environment variable, default: as the fork's
# internal/flags/*/register.go declares them (and ours at the end).
EXPECTED: list[tuple[str, str, str, Any]] = [
    ("host", "H", "DOCKER_HOST", "unix:///var/run/docker.sock"),
    ("tlsverify", "v", "DOCKER_TLS_VERIFY", False),
    ("api-version", "a", "DOCKER_API_VERSION", ""),
    ("cert-path", "", "DOCKER_CERT_PATH", ""),
    ("include-stopped", "S", W + "INCLUDE_STOPPED", False),
    ("include-restarting", "", W + "INCLUDE_RESTARTING", False),
    ("revive-stopped", "", W + "REVIVE_STOPPED", False),
    ("remove-volumes", "", W + "REMOVE_VOLUMES", False),
    ("warn-on-head-failure", "", W + "WARN_ON_HEAD_FAILURE", ""),
    ("interval", "i", W + "POLL_INTERVAL", 86400),
    ("schedule", "s", W + "SCHEDULE", ""),
    ("update-on-start", "", W + "UPDATE_ON_START", False),
    ("run-once", "R", W + "RUN_ONCE", False),
    ("health-check", "", "", False),
    ("porcelain", "P", W + "PORCELAIN", ""),
    ("no-startup-message", "", W + "NO_STARTUP_MESSAGE", False),
    ("cleanup", "c", W + "CLEANUP", False),
    ("no-pull", "", W + "NO_PULL", False),
    ("no-restart", "", W + "NO_RESTART", False),
    ("monitor-only", "m", W + "MONITOR_ONLY", False),
    ("rolling-restart", "", W + "ROLLING_RESTART", False),
    ("stop-timeout", "t", W + "TIMEOUT", timedelta(seconds=30)),
    ("cooldown-delay", "", W + "COOLDOWN_DELAY", ""),
    ("use-compose-depends-on", "", W + "USE_COMPOSE_DEPENDS_ON", True),
    ("label-take-precedence", "", W + "LABEL_TAKE_PRECEDENCE", False),
    ("ephemeral-self-update", "", W + "EPHEMERAL_SELF_UPDATE", False),
    ("enable-lifecycle-hooks", "", W + "LIFECYCLE_HOOKS", False),
    ("lifecycle-uid", "", W + "LIFECYCLE_UID", 0),
    ("lifecycle-gid", "", W + "LIFECYCLE_GID", 0),
    ("label-enable", "e", W + "LABEL_ENABLE", False),
    ("disable-containers", "x", W + "DISABLE_CONTAINERS", ()),
    ("monitor-image-names", "", W + "MONITOR_IMAGE_NAMES", ()),
    ("skip-image-names", "", W + "SKIP_IMAGE_NAMES", ()),
    ("enable-containers-by-label", "", W + "ENABLE_CONTAINERS_BY_LABEL", ()),
    ("disable-containers-by-label", "", W + "DISABLE_CONTAINERS_BY_LABEL", ()),
    ("scope", "", W + "SCOPE", ""),
    ("registry-tls-skip", "", W + "REGISTRY_TLS_SKIP", False),
    ("registry-tls-min-version", "", W + "REGISTRY_TLS_MIN_VERSION", "TLS1.2"),
    ("registry-ca", "", W + "REGISTRY_CA", ""),
    ("registry-ca-validate", "", W + "REGISTRY_CA_VALIDATE", False),
    ("disable-memory-swappiness", "", W + "DISABLE_MEMORY_SWAPPINESS", False),
    ("cpu-copy-mode", "", W + "CPU_COPY_MODE", "auto"),
    ("http-api-endpoints", "", W + "HTTP_API_ENDPOINTS", ()),
    ("http-api-update", "", W + "HTTP_API_UPDATE", False),
    ("http-api-metrics", "", W + "HTTP_API_METRICS", False),
    ("http-api-containers", "", W + "HTTP_API_CONTAINERS", False),
    ("http-api-host", "", W + "HTTP_API_HOST", ""),
    ("http-api-port", "", W + "HTTP_API_PORT", "8080"),
    ("http-api-token", "", W + "HTTP_API_TOKEN", ""),
    ("http-api-events-token", "", W + "HTTP_API_EVENTS_TOKEN", ""),
    ("http-api-periodic-polls", "", W + "HTTP_API_PERIODIC_POLLS", False),
    ("http-api-rate-limit", "", W + "HTTP_API_RATE_LIMIT", 60),
    ("http-api-tls-cert", "", W + "HTTP_API_TLS_CERT", ""),
    ("http-api-tls-key", "", W + "HTTP_API_TLS_KEY", ""),
    ("http-api-trusted-proxies", "", W + "HTTP_API_TRUSTED_PROXIES", ()),
    ("http-api-proxy-header", "", W + "HTTP_API_PROXY_HEADER", ""),
    ("http-api-cors-origins", "", W + "HTTP_API_CORS_ORIGINS", ()),
    ("http-api-check-timeout", "", W + "HTTP_API_CHECK_TIMEOUT", timedelta(0)),
    ("http-api-update-timeout", "", W + "HTTP_API_UPDATE_TIMEOUT", timedelta(0)),
    ("notification-url", "", W + "NOTIFICATION_URL", ()),
    ("notifications-level", "", W + "NOTIFICATIONS_LEVEL", "info"),
    ("notifications-delay", "", W + "NOTIFICATIONS_DELAY", 0),
    ("notifications-hostname", "", W + "NOTIFICATIONS_HOSTNAME", ""),
    ("notification-template", "", W + "NOTIFICATION_TEMPLATE", ""),
    ("notification-template-file", "", W + "NOTIFICATION_TEMPLATE_FILE", ""),
    ("notification-report", "", W + "NOTIFICATION_REPORT", False),
    ("notification-title-tag", "", W + "NOTIFICATION_TITLE_TAG", ""),
    ("notification-skip-title", "", W + "NOTIFICATION_SKIP_TITLE", False),
    ("notification-log-stdout", "", W + "NOTIFICATION_LOG_STDOUT", False),
    ("notification-split-by-container", "", W + "NOTIFICATION_SPLIT_BY_CONTAINER", False),
    ("notifications", "n", W + "NOTIFICATIONS", ()),
    ("notification-email-from", "", W + "NOTIFICATION_EMAIL_FROM", ""),
    ("notification-email-to", "", W + "NOTIFICATION_EMAIL_TO", ""),
    ("notification-email-delay", "", W + "NOTIFICATION_EMAIL_DELAY", 0),
    ("notification-email-server", "", W + "NOTIFICATION_EMAIL_SERVER", ""),
    ("notification-email-server-port", "", W + "NOTIFICATION_EMAIL_SERVER_PORT", 25),
    (
        "notification-email-server-tls-skip-verify",
        "",
        W + "NOTIFICATION_EMAIL_SERVER_TLS_SKIP_VERIFY",
        False,
    ),
    ("notification-email-server-user", "", W + "NOTIFICATION_EMAIL_SERVER_USER", ""),
    ("notification-email-server-password", "", W + "NOTIFICATION_EMAIL_SERVER_PASSWORD", ""),
    ("notification-email-subjecttag", "", W + "NOTIFICATION_EMAIL_SUBJECTTAG", ""),
    ("notification-slack-hook-url", "", W + "NOTIFICATION_SLACK_HOOK_URL", ""),
    ("notification-slack-identifier", "", W + "NOTIFICATION_SLACK_IDENTIFIER", "watchtower"),
    ("notification-slack-channel", "", W + "NOTIFICATION_SLACK_CHANNEL", ""),
    ("notification-slack-icon-emoji", "", W + "NOTIFICATION_SLACK_ICON_EMOJI", ""),
    ("notification-slack-icon-url", "", W + "NOTIFICATION_SLACK_ICON_URL", ""),
    ("notification-msteams-hook", "", W + "NOTIFICATION_MSTEAMS_HOOK_URL", ""),
    ("notification-gotify-url", "", W + "NOTIFICATION_GOTIFY_URL", ""),
    ("notification-gotify-token", "", W + "NOTIFICATION_GOTIFY_TOKEN", ""),
    ("notification-gotify-tls-skip-verify", "", W + "NOTIFICATION_GOTIFY_TLS_SKIP_VERIFY", False),
    ("log-format", "l", W + "LOG_FORMAT", "auto"),
    ("log-level", "", W + "LOG_LEVEL", "info"),
    ("debug", "d", W + "DEBUG", False),
    ("trace", "", W + "TRACE", False),
    ("no-color", "", "NO_COLOR", False),
    # ours
    ("dry-run", "", W + "DRY_RUN", False),
    ("health-timeout", "", W + "HEALTH_TIMEOUT", timedelta(minutes=1)),
    ("soak", "", W + "SOAK", timedelta(0)),
    ("canary-soak", "", W + "CANARY_SOAK", timedelta(hours=1)),
    ("canary-promote-at-once", "", W + "CANARY_PROMOTE_AT_ONCE", False),
    ("snapshot-keep", "", W + "SNAPSHOT_KEEP", 3),
    ("stacks", "", W + "STACKS", False),
    ("hook-timeout", "", W + "HOOK_TIMEOUT", timedelta(minutes=1)),
    ("check-concurrency", "", W + "CHECK_CONCURRENCY", 8),
    ("update-concurrency", "", W + "UPDATE_CONCURRENCY", 4),
    ("insecure-registry", "", W + "INSECURE_REGISTRY", ()),
    ("registry-ca-bundle", "", W + "REGISTRY_CA_BUNDLE", ""),
    ("registry-timeout", "", W + "REGISTRY_TIMEOUT", timedelta(minutes=1)),
    ("registry-scan-timeout", "", W + "REGISTRY_SCAN_TIMEOUT", timedelta(minutes=5)),
    ("registry-quota-share", "", W + "REGISTRY_QUOTA_SHARE", ""),
    ("shutdown-timeout", "", W + "SHUTDOWN_TIMEOUT", timedelta(seconds=60)),
    ("engine-timeout", "", W + "ENGINE_TIMEOUT", timedelta(seconds=60)),
    ("hosts-file", "", W + "HOSTS_FILE", ""),
    ("swarm-services", "", W + "SWARM_SERVICES", False),
    ("window", "", W + "WINDOW", ""),
    ("push-sources", "", W + "PUSH_SOURCES", ()),
    ("push-secret", "", W + "PUSH_SECRET", ""),
    ("push-poll-interval", "", W + "PUSH_POLL_INTERVAL", timedelta(0)),
    ("data-dir", "", W + "DATA_DIR", ""),
    ("history-retention", "", W + "HISTORY_RETENTION", ""),
    ("keep-previous", "", W + "KEEP_PREVIOUS", 1),
    ("max-failures", "", W + "MAX_FAILURES", 0),
    ("update-policy", "", W + "UPDATE_POLICY", "auto"),
    ("approval-expiry", "", W + "APPROVAL_EXPIRY", ""),
    ("mqtt", "", W + "MQTT", ""),
    ("mqtt-discovery-prefix", "", W + "MQTT_DISCOVERY_PREFIX", "homeassistant"),
    ("mqtt-ca", "", W + "MQTT_CA", ""),
]

# A textual value per kind and what it reads as.
SAMPLE: dict[Kind, tuple[str, Any]] = {
    Kind.BOOL: ("true", True),
    Kind.STRING: ("some-value", "some-value"),
    Kind.INT: ("42", 42),
    Kind.DURATION: ("1m30s", timedelta(seconds=90)),
    Kind.LIST: ("alpha,beta", ("alpha", "beta")),
}
IDS = [row[0] for row in EXPECTED]


def test_the_table_has_exactly_the_expected_flags() -> None:
    assert [f.name for f in FLAGS] == [row[0] for row in EXPECTED]


# The Python type each kind of flag holds.
TYPES: dict[Kind, Any] = {
    Kind.BOOL: bool,
    Kind.STRING: str,
    Kind.INT: int,
    Kind.DURATION: timedelta,
    Kind.LIST: tuple[str, ...],
}


def test_flag_values_declare_one_key_per_flag_with_its_kind_s_type() -> None:
    assert get_type_hints(FlagValues) == {flag.key: TYPES[flag.kind] for flag in FLAGS}


def test_notification_flags_are_the_notify_group() -> None:
    assert list(get_type_hints(NotificationFlags)) == [
        flag.key for flag in FLAGS if flag.group == "notify"
    ]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"cleanup": "yes"}, "--cleanup holds 'yes', not a value of kind bool."),
        ({"interval": True}, "--interval holds True, not a value of kind int."),
        (
            {"disable_containers": ["a"]},
            "--disable-containers holds ['a'], not a value of kind list.",
        ),
        ({"no_such_flag": 1}, "'no_such_flag' is not the key of a flag."),
    ],
)
def test_flag_values_refuse_a_value_of_another_kind(change: dict[str, Any], message: str) -> None:
    values = {**parse_args([], {}).values, **change}
    with pytest.raises(TypeError) as caught:
        flag_values(values)
    assert str(caught.value) == message


def test_flag_values_refuse_a_missing_flag() -> None:
    values = dict(parse_args([], {}).values)
    del values["scope"]
    with pytest.raises(TypeError, match=r"^--scope has no value\.$"):
        flag_values(values)


def test_our_own_flags_are_marked_as_added() -> None:
    ours = {f.name for f in FLAGS if f.support is Support.ADDED}
    assert ours == {
        row[0] for row in EXPECTED[EXPECTED.index(next(r for r in EXPECTED if r[0] == "dry-run")) :]
    }


@pytest.mark.parametrize(("name", "short", "env", "default"), EXPECTED, ids=IDS)
def test_flag_names_environment_and_default(name: str, short: str, env: str, default: Any) -> None:
    flag = by_name(name)
    assert flag.short == short
    assert flag.env == ((env,) if env else ())
    assert flag.default == default
    parsed = parse_args([], {})
    assert parsed.values[flag.key] == default
    assert parsed.sources[flag.key] == "default"


def _sample(flag: Flag) -> tuple[str, Any]:
    if flag.name == "notification-url":
        return "generic://example.invalid/a?x=1,2", ("generic://example.invalid/a?x=1,2",)
    return SAMPLE[flag.kind]


@pytest.mark.parametrize("name", IDS)
def test_each_flag_parses_from_its_long_name(name: str) -> None:
    flag = by_name(name)
    text, value = _sample(flag)
    argv = [flag.option] if flag.kind is Kind.BOOL else [f"{flag.option}={text}"]
    parsed = parse_args(argv, {})
    assert parsed.values[flag.key] == value
    assert parsed.sources[flag.key] == "flag"


@pytest.mark.parametrize("name", [row[0] for row in EXPECTED if row[1]])
def test_each_short_name_parses(name: str) -> None:
    flag = by_name(name)
    text, value = _sample(flag)
    argv = [f"-{flag.short}"] if flag.kind is Kind.BOOL else [f"-{flag.short}", text]
    assert parse_args(argv, {}).values[flag.key] == value


@pytest.mark.parametrize("name", [row[0] for row in EXPECTED if row[2]])
def test_each_environment_variable_parses(name: str) -> None:
    flag = by_name(name)
    text, value = _sample(flag)
    parsed = parse_args([], {flag.env[0]: text})
    assert parsed.values[flag.key] == value
    assert parsed.sources[flag.key] == f"env:{flag.env[0]}"


@pytest.mark.parametrize("name", [row[0] for row in EXPECTED if row[2]])
def test_the_command_line_beats_the_environment(name: str) -> None:
    flag = by_name(name)
    text, value = _sample(flag)
    env_text = {
        Kind.BOOL: "false",
        Kind.STRING: "from-env",
        Kind.INT: "7",
        Kind.DURATION: "5s",
        Kind.LIST: "gamma",
    }[flag.kind]
    if flag.name == "no-color":
        env_text = ""  # presence alone means true; the flag must still win
    if flag.kind is Kind.BOOL:
        argv = [flag.option]
    elif flag.bare:  # alone it takes its bare value, so its own value follows '='
        argv = [f"{flag.option}={text}"]
    else:
        argv = [flag.option, text]
    parsed = parse_args(argv, {flag.env[0]: env_text})
    assert parsed.values[flag.key] == value
    assert parsed.sources[flag.key] == "flag"


def test_a_bool_flag_takes_an_explicit_false() -> None:
    parsed = parse_args(["--cleanup=false"], {"WATCHTOWER_CLEANUP": "true"})
    assert parsed.values["cleanup"] is False


def test_a_bool_flag_does_not_swallow_the_next_argument() -> None:
    parsed = parse_args(["--cleanup", "web", "db"], {})
    assert parsed.values["cleanup"] is True
    assert parsed.names == ("web", "db")


def test_grouped_short_flags() -> None:
    parsed = parse_args(["-Rci", "60"], {})
    assert (parsed.values["run_once"], parsed.values["cleanup"]) == (True, True)
    assert parsed.values["interval"] == 60


def test_positional_names_after_double_dash() -> None:
    assert parse_args(["-c", "--", "--odd-name"], {}).names == ("--odd-name",)


def test_an_empty_variable_counts_as_unset() -> None:
    parsed = parse_args([], {"WATCHTOWER_POLL_INTERVAL": ""})
    assert parsed.sources["interval"] == "default"


def test_no_color_is_set_by_presence() -> None:
    assert parse_args([], {"NO_COLOR": ""}).values["no_color"] is True


def test_list_flags_split_like_the_fork() -> None:
    env = {
        "WATCHTOWER_DISABLE_CONTAINERS": "a, b c",
        "WATCHTOWER_ENABLE_CONTAINERS_BY_LABEL": "team=a b,tier=web",
        "WATCHTOWER_NOTIFICATION_URL": "smtp://h/?to=a,b generic://x/",
    }
    values = parse_args([], env).values
    assert values["disable_containers"] == ("a", "b", "c")
    assert values["enable_containers_by_label"] == ("team=a b", "tier=web")
    assert values["notification_url"] == ("smtp://h/?to=a,b", "generic://x/")


def test_a_repeated_list_flag_appends() -> None:
    parsed = parse_args(["-x", "a,b", "-x", "c"], {})
    assert parsed.values["disable_containers"] == ("a", "b", "c")


def test_durations_accept_bare_seconds_from_the_environment() -> None:
    assert parse_args([], {"WATCHTOWER_TIMEOUT": "12"}).values["stop_timeout"] == timedelta(
        seconds=12
    )


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--no-such-flag"], {}, "Unknown flag --no-such-flag; see watchtower --help."),
        (["-Z"], {}, "Unknown flag -Z; see watchtower --help."),
        (["--schedule"], {}, "--schedule needs a value."),
        (["-s"], {}, "-s (--schedule) needs a value."),
        (["--interval", "often"], {}, "--interval expects a whole number, got 'often'."),
        (["--cleanup=maybe"], {}, "--cleanup expects true or false, got 'maybe'."),
        (
            ["--stop-timeout", "soon"],
            {},
            "--stop-timeout expects a duration such as 30s, 5m or 1h30m, got 'soon'.",
        ),
        (["--stop-timeout=-5s"], {}, "--stop-timeout must not be negative, got '-5s'."),
        (
            [],
            {"WATCHTOWER_CLEANUP": "perhaps"},
            "WATCHTOWER_CLEANUP='perhaps' (--cleanup) expects true or false, got 'perhaps'.",
        ),
    ],
)
def test_unreadable_values(argv: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        parse_args(argv, env)
    assert str(caught.value) == message


def test_the_migration_guide_lists_every_flag_and_variable() -> None:
    from pathlib import Path

    guide = (Path(__file__).resolve().parents[2] / "docs/guides/migration.rst").read_text()
    for flag in FLAGS:
        assert f"``{flag.option}``" in guide, flag.name
        for env in flag.env:
            assert f"``{env}``" in guide, env
