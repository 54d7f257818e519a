"""Flags to configuration: one test per bad value, with its message, and the mapping."""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest

from tests.support.pki import CertificateAuthority
from watchtower.cli.command import EXIT_USAGE, main
from watchtower.cli.config import Config, load, parse_cooldown
from watchtower.cli.schedule import Cron, Interval
from watchtower.errors import ConfigurationError
from watchtower.params import UpdateParams

TOKEN = ["--http-api-token", "secret"]

BAD: list[tuple[list[str], dict[str, str], str]] = [
    (["--interval", "-5"], {}, "--interval must be a positive number of seconds, got -5."),
    (["--interval", "0"], {}, "--interval must be a positive number of seconds, got 0."),
    (
        ["--schedule", "0 0 * *"],
        {},
        "--schedule '0 0 * *' has 4 fields; a cron expression has 6 (seconds first, as "
        "Watchtower) or 5 (minutes first).",
    ),
    (
        ["--schedule", "0 0 0 * * * *"],
        {},
        "--schedule '0 0 0 * * * *' has 7 fields; a cron expression has 6 (seconds first, as "
        "Watchtower) or 5 (minutes first).",
    ),
    (
        ["--schedule", "0 99 * * * *"],
        {},
        "--schedule '0 99 * * * *': the minute range '99' ends above 59.",
    ),
    (
        ["--schedule", "@sometimes"],
        {},
        "--schedule '@sometimes' is not a known descriptor; use @every <duration>, @hourly, "
        "@daily, @weekly, @monthly or @yearly.",
    ),
    (
        ["--interval", "60", "--schedule", "0 0 4 * * *"],
        {},
        "--interval and --schedule cannot be used together; choose one.",
    ),
    (
        [],
        {"WATCHTOWER_POLL_INTERVAL": "300", "WATCHTOWER_SCHEDULE": "@daily"},
        "--interval and --schedule cannot be used together; choose one.",
    ),
    (
        ["--log-level", "loud"],
        {},
        "--log-level 'loud' is not one of panic, fatal, error, warn, warning, info, debug, trace.",
    ),
    (["--log-format", "xml"], {}, "--log-format 'xml' is not one of auto, logfmt, pretty, json."),
    (["--porcelain", "v2"], {}, "--porcelain 'v2' is not one of v1, json."),
    (
        ["--notifications-level", "trace"],
        {},
        "--notifications-level 'trace' is not one of "
        "panic, fatal, error, warn, warning, info, debug.",
    ),
    (["--notifications-delay", "-1"], {}, "--notifications-delay must not be negative, got -1."),
    (
        ["--cooldown-delay", "3x"],
        {},
        "--cooldown-delay expects a duration such as 24h, 3d, 1w or 1M, got '3x'.",
    ),
    (["--cooldown-delay", "-1d"], {}, "--cooldown-delay must not be negative, got '-1d'."),
    (
        ["--rolling-restart", "--monitor-only"],
        {},
        "--rolling-restart and --monitor-only cannot be used together.",
    ),
    (["--check-concurrency", "0"], {}, "--check-concurrency must be at least 1, got 0."),
    ([], {"WATCHTOWER_SNAPSHOT_KEEP": "0"}, "--snapshot-keep must be at least 1, got 0."),
    (
        ["--registry-timeout", "0s"],
        {},
        "--registry-timeout must be a duration longer than 0, such as 30s or 2m.",
    ),
    (
        [],
        {"WATCHTOWER_REGISTRY_SCAN_TIMEOUT": "0"},
        "--registry-scan-timeout must be a duration longer than 0, such as 30s or 2m.",
    ),
    (
        ["--warn-on-head-failure", "sometimes"],
        {},
        "--warn-on-head-failure 'sometimes' is not one of always, auto, never.",
    ),
    (["--cpu-copy-mode", "half"], {}, "--cpu-copy-mode 'half' is not one of auto, full, none."),
    (
        ["--registry-tls-min-version", "SSL3"],
        {},
        "--registry-tls-min-version 'SSL3' is not one of TLS1.0, TLS1.1, TLS1.2, TLS1.3.",
    ),
    (
        ["--http-api-endpoints", "update,teapot", *TOKEN],
        {},
        "--http-api-endpoints 'teapot' is not an endpoint; choose from health, update, metrics, "
        "containers, check, history, images, config, events, swagger, page or all.",
    ),
    (
        ["--http-api-endpoints", "events", *TOKEN],
        {},
        "The HTTP API endpoint 'events' needs its own token: set --http-api-events-token (or "
        "WATCHTOWER_HTTP_API_EVENTS_TOKEN).",
    ),
    (
        ["--http-api-trusted-proxies", "10.0.0.0/8,proxy.local"],
        {},
        "--http-api-trusted-proxies 'proxy.local' is not an IP address or network.",
    ),
    (
        ["--http-api-cors-origins", "example.org"],
        {},
        "--http-api-cors-origins 'example.org' is not an origin such as https://example.org "
        "(or *).",
    ),
    (
        ["--http-api-endpoints", "all,update", *TOKEN],
        {},
        '--http-api-endpoints: "all" must be the only value.',
    ),
    (
        ["--http-api-update"],
        {},
        "The HTTP API endpoint 'update' needs a token: set --http-api-token (or "
        "WATCHTOWER_HTTP_API_TOKEN).",
    ),
    (
        ["--http-api-endpoints", "metrics"],
        {},
        "The HTTP API endpoint 'metrics' needs a token: set --http-api-token (or "
        "WATCHTOWER_HTTP_API_TOKEN).",
    ),
    (
        ["--http-api-port", "99999"],
        {},
        "--http-api-port '99999' is not a port number from 1 to 65535.",
    ),
    (
        ["--http-api-host", "localhost"],
        {},
        "--http-api-host 'localhost' is not an IP address (leave it empty for all).",
    ),
    (
        ["--http-api-tls-cert", "/etc/hostname"],
        {},
        "--http-api-tls-cert and --http-api-tls-key must be given together.",
    ),
    (
        ["--http-api-tls-cert", "/no/cert.pem", "--http-api-tls-key", "/no/key.pem"],
        {},
        "--http-api-tls-cert '/no/cert.pem' is not a file.",
    ),
    (
        ["--engine-timeout", "0s"],
        {},
        "--engine-timeout must be a duration longer than 0, such as 30s or 2m.",
    ),
    (
        ["--registry-ca", "/no/ca.pem", "--registry-ca-validate"],
        {},
        "--registry-ca: The registry CA bundle /no/ca.pem does not exist or is not a file.",
    ),
    (
        ["--registry-ca-validate"],
        {"WATCHTOWER_REGISTRY_CA_BUNDLE": "/etc/hostname"},
        "--registry-ca-bundle: The registry CA bundle /etc/hostname is not a readable PEM "
        "certificate file (NO_CERTIFICATE_OR_CRL_FOUND).",
    ),
    (
        ["--skip-image-names", "nginx(?!:alpine)"],
        {},
        "The skip_image_names (--skip-image-names) pattern 'nginx(?!:alpine)' uses the group "
        "'(?!', not supported by linear-time matching (RE2 syntax, as in Watchtower).",
    ),
    (
        ["web", "(db)\\1"],
        {},
        "The names (the container names) pattern '(db)\\\\1' uses the escape '\\\\1', "
        "not supported by linear-time matching (RE2 syntax, as in Watchtower).",
    ),
]


@pytest.mark.parametrize(("argv", "env", "message"), BAD, ids=[b[2][:40] for b in BAD])
def test_bad_value_is_one_sentence(argv: list[str], env: dict[str, str], message: str) -> None:
    with pytest.raises(ConfigurationError) as caught:
        load(argv, env)
    assert str(caught.value) == message


@pytest.mark.parametrize(("argv", "env", "message"), BAD[:6], ids=[b[2][:40] for b in BAD[:6]])
def test_bad_value_exits_2_with_the_sentence(
    argv: list[str], env: dict[str, str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # A docker host that does not exist: the exit must come before any connection.
    code = main([*argv, "--host", "unix:///nonexistent/docker.sock"], env)
    assert code == EXIT_USAGE
    assert capsys.readouterr().err == f"watchtower: {message}\n"


def test_an_unusable_ca_bundle_without_validation_warns_and_keeps_the_system_cas() -> None:
    config = load(["--registry-ca", "/no/ca.pem"], {})
    assert config.registry_ca_bundle == ""
    assert config.warnings == (
        "--registry-ca is not used: The registry CA bundle /no/ca.pem does not exist or is "
        "not a file.",
    )


def test_registry_tls_flags_reach_the_config(tmp_path: Path) -> None:
    bundle = CertificateAuthority.create(tmp_path).cert_path
    config = load(
        ["--registry-ca", str(bundle), "--registry-tls-skip", "--registry-tls-min-version=TLS1.3"],
        {},
    )
    assert config.registry_ca_bundle == str(bundle)
    assert config.registry_tls_skip
    assert config.registry_tls_min_version == "TLS1.3"
    assert any(w.startswith("--registry-tls-skip: no registry's") for w in config.warnings)


def test_the_canary_flags_become_update_params() -> None:
    params = load(["--canary-soak", "90s", "--canary-promote-at-once"], {}).params
    assert params.canary_soak == timedelta(seconds=90)
    assert params.canary_promote_at_once is True
    env = load([], {"WATCHTOWER_CANARY_SOAK": "2m"}).params
    assert env.canary_soak == timedelta(minutes=2) and env.canary_promote_at_once is False


def test_flags_become_update_params() -> None:
    config = load(
        [
            "-c",
            "-S",
            "--include-restarting",
            "--revive-stopped",
            "-m",
            "--no-pull",
            "--no-restart",
            "--label-take-precedence",
            "--enable-lifecycle-hooks",
            "--remove-volumes",
            "-e",
            "-x",
            "old",
            "--scope",
            "prod",
            "-t",
            "45s",
            "--cooldown-delay",
            "1d12h",
            "--monitor-image-names",
            "nginx",
            "--skip-image-names",
            "redis",
            "--enable-containers-by-label",
            "team=a",
            "--disable-containers-by-label",
            "tier=db",
            "--check-concurrency",
            "3",
            "--update-concurrency",
            "2",
            "--health-timeout",
            "2m",
            "--hook-timeout",
            "30s",
            "--snapshot-keep",
            "5",
            "--registry-timeout",
            "20s",
            "--registry-scan-timeout",
            "2m",
            "web",
            "/db",
        ],
        {},
    )
    p = config.params
    assert p.names == ("web", "db")
    assert p.cleanup and p.include_stopped and p.include_restarting and p.revive_stopped
    assert p.monitor_only and p.no_pull and p.no_restart and p.label_precedence
    assert p.lifecycle_hooks and p.remove_volumes and p.label_enable
    assert p.disable_names == ("old",)
    assert p.scope == "prod"
    assert p.stop_timeout == timedelta(seconds=45)
    assert p.cooldown == timedelta(days=1, hours=12)
    assert p.snapshot_keep == 5
    assert p.monitor_image_names == ("nginx",)
    assert p.skip_image_names == ("redis",)
    assert p.enable_labels == ("team=a",)
    assert p.disable_labels == ("tier=db",)
    assert (p.check_concurrency, p.update_concurrency) == (3, 2)
    assert (p.health_timeout, p.hook_timeout) == (timedelta(minutes=2), timedelta(seconds=30))
    assert p.registry_scan_timeout == timedelta(minutes=2)
    assert config.registry_timeout == timedelta(seconds=20)


def test_the_engine_timeout_reaches_the_engine_client(monkeypatch: pytest.MonkeyPatch) -> None:
    from watchtower.cli.command import build_backends
    from watchtower.docker import DockerClient

    seen: list[float] = []

    def from_env(*args: object, timeout: float, **kwargs: object) -> object:
        seen.append(timeout)
        raise ConfigurationError("stop here")

    monkeypatch.setattr(DockerClient, "from_env", from_env)
    assert load([], {}).engine_timeout == timedelta(minutes=1)
    config = load([], {"WATCHTOWER_ENGINE_TIMEOUT": "7s"})
    with pytest.raises(ConfigurationError, match="stop here"):
        build_backends(config, {})
    assert seen == [7.0]


def test_default_schedule_is_a_day() -> None:
    assert load([], {}).schedule == Interval(timedelta(days=1))


def test_schedule_six_fields_keeps_seconds_first() -> None:
    schedule = load(["-s", "30 0 4 * * *"], {}).schedule
    assert isinstance(schedule, Cron) and schedule.fields == ("30", "0", "4", "*", "*", "*")


def test_debug_and_trace_raise_the_log_level() -> None:
    assert load(["--debug"], {}).log_level == "debug"
    assert load(["--debug", "--trace"], {}).log_level == "trace"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", timedelta(0)),
        ("90", timedelta(seconds=90)),
        ("24h", timedelta(hours=24)),
        ("3d", timedelta(days=3)),
        ("1w", timedelta(weeks=1)),
        ("1M", timedelta(days=30)),
        ("1h30m", timedelta(minutes=90)),
        ("500ms", timedelta(milliseconds=500)),
    ],
)
def test_cooldown_units(text: str, expected: timedelta) -> None:
    assert parse_cooldown(text) == expected


def test_token_may_come_from_a_file(tmp_path: Path) -> None:
    secret = tmp_path / "token"
    secret.write_text("s3cret\n")
    config = load(["--http-api-update", "--http-api-token", str(secret)], {})
    assert config.api.token == "s3cret"


def test_notification_urls_may_come_from_a_file(tmp_path: Path) -> None:
    urls = tmp_path / "urls"
    urls.write_text("# comment\n\ngeneric://a.invalid/x\njson://b.invalid/y\n")
    config = load([], {"WATCHTOWER_NOTIFICATION_URL": str(urls)})
    assert config.notifications["notification_url"] == (
        "generic://a.invalid/x",
        "json://b.invalid/y",
    )


def test_a_notification_url_file_with_a_non_url_line_is_refused(tmp_path: Path) -> None:
    urls = tmp_path / "urls"
    urls.write_text("not a url\n")
    with pytest.raises(ConfigurationError) as caught:
        load(["--notification-url", str(urls)], {})
    assert str(caught.value) == (
        f"--notification-url file {str(urls)!r} has a line that is not a URL: 'not a url'."
    )


def test_a_token_that_is_not_a_path_is_the_token() -> None:
    config = load(["--http-api-endpoints", "update", "--http-api-token", "abc:def"], {})
    assert config.api.token == "abc:def"


def test_legacy_api_flags_and_all() -> None:
    assert load(["--http-api-metrics", *TOKEN], {}).api.endpoints == {"metrics"}
    all_of = ["--http-api-endpoints", "all", *TOKEN, "--http-api-events-token", "e"]
    assert load(all_of, {}).api.endpoints == {
        "health",
        "update",
        "metrics",
        "containers",
        "check",
        "history",
        "images",
        "config",
        "events",
        "swagger",
        "page",
    }


def test_health_alone_needs_no_token() -> None:
    assert load(["--http-api-endpoints", "health"], {}).api.endpoints == {"health"}


def test_the_fork_s_further_endpoints_are_served() -> None:
    config = load(["--http-api-endpoints", "update images", *TOKEN], {})
    assert config.api.endpoints == {"update", "images"}
    assert not any("'images'" in w for w in config.warnings)


def test_ignored_flags_warn() -> None:
    config = load(["--ephemeral-self-update", "--use-compose-depends-on=false"], {})
    assert any(w.startswith("--ephemeral-self-update has no effect here") for w in config.warnings)
    assert not any("use-compose-depends-on" in w for w in config.warnings)
    assert config.params.use_compose_depends_on is False


def test_update_api_alone_turns_off_the_schedule() -> None:
    assert not load(["--http-api-update", *TOKEN], {}).scheduled
    assert load(["--http-api-update", "--http-api-periodic-polls", *TOKEN], {}).scheduled
    assert not load(["--run-once"], {}).scheduled


def test_the_notification_flags_at_their_defaults_send_nothing() -> None:
    from watchtower.cli.notifications import settings_from_flags

    settings = settings_from_flags(load([], {}).notifications, hostname_default="box")
    assert (settings.urls, settings.level, settings.host) == ((), logging.INFO, "box")
    assert (settings.delay, settings.skip_title, settings.split_by_container) == (0, False, False)


def test_notifications_are_built_from_the_flags() -> None:
    import logging

    from watchtower.cli.notifications import settings_from_flags
    from watchtower.notify import Notifications

    config = load(["--notification-url", "logger://", "--notifications-level", "warn"], {})
    notes = Notifications(
        settings_from_flags(config.notifications, hostname_default="host"),
        logger=logging.getLogger("watchtower.test"),
    )
    assert len(notes.names) == 1
    assert notes.level == logging.WARNING


def test_a_config_made_in_code_has_the_default_notification_values() -> None:
    config = Config(params=UpdateParams(), schedule=Interval(timedelta(days=1)))
    assert config.notifications == load([], {}).notifications
    assert config.notifications["notification_email_server_port"] == 25


def test_choices_become_their_literal_values() -> None:
    config = load(["--log-format", " JSON ", "--porcelain", "V1"], {})
    assert (config.log_format, config.porcelain) == ("json", "v1")
    assert load([], {}).porcelain == ""


def test_the_configuration_keeps_its_secrets_out_of_repr() -> None:
    config = load(
        [
            "--http-api-update",
            "--http-api-token",
            "api-s3cret",
            "--notification-url",
            "generic://127.0.0.1:9/x?token=url-s3cret",
            "--notification-email-server-password",
            "mail-s3cret",
        ],
        {},
    )
    assert config.api.token == "api-s3cret"
    assert "s3cret" not in repr(config)
    assert "notification_url" in repr(config)


def test_the_hardening_flags_reach_the_api_settings() -> None:
    import ipaddress
    from datetime import timedelta

    config = load(
        [
            "--http-api-rate-limit", "5",
            "--http-api-trusted-proxies", "10.0.0.1, 192.168.0.0/16",
            "--http-api-proxy-header", "X-Real-IP",
            "--http-api-cors-origins", "https://ui.example/",
            "--http-api-check-timeout", "30s",
        ],
        {},
    )  # fmt: skip
    api = config.api
    assert api.rate_limit == 5
    assert api.trusted_proxies == (
        ipaddress.ip_network("10.0.0.1/32"),
        ipaddress.ip_network("192.168.0.0/16"),
    )
    assert (api.proxy_header, api.cors_origins) == ("X-Real-IP", ("https://ui.example",))
    assert (api.check_timeout, api.update_timeout) == (timedelta(seconds=30), timedelta(minutes=10))
    assert not any("--http-api" in w for w in config.warnings)
    assert load(["--http-api-rate-limit", "0"], {}).api.rate_limit == 60


def test_the_update_policy_and_approval_expiry_reach_the_parameters() -> None:
    from watchtower.params import Policy

    config = load(["--update-policy", "Approve", "--approval-expiry", "7d"], {})
    assert config.params.policy is Policy.APPROVE
    assert config.params.approval_expiry == timedelta(days=7)
    config = load([], {"WATCHTOWER_UPDATE_POLICY": "notify"})
    assert config.params.policy is Policy.NOTIFY and config.params.approval_expiry is None
    with pytest.raises(ConfigurationError, match="--update-policy 'later' is not one of"):
        load(["--update-policy", "later"], {})
    with pytest.raises(ConfigurationError, match="--approval-expiry"):
        load(["--approval-expiry", "soon"], {})


def test_the_approve_policy_without_a_data_directory_is_warned_of() -> None:
    warned = load(["--update-policy", "approve"], {}).warnings
    assert any(w.startswith("--update-policy approve without --data-dir") for w in warned)
    kept = load(["--update-policy", "approve", "--data-dir", "/data"], {}).warnings
    assert not any("--update-policy" in w for w in kept)


@pytest.mark.parametrize(
    ("more", "warned"),
    [
        ((), True),
        (("--data-dir", "/data"), False),
        (("--canary-promote-at-once",), False),
    ],
)
def test_canary_hosts_without_a_data_directory_are_warned_of(
    tmp_path: Path, more: tuple[str, ...], warned: bool
) -> None:
    hosts = tmp_path / "hosts"
    hosts.write_text("a unix:///a.sock\nc unix:///c.sock canary\n")
    warnings = load(["--hosts-file", str(hosts), *more], {}).warnings
    assert any(w.startswith("canary hosts without --data-dir") for w in warnings) is warned
    # Without a canary host there is nothing to remember.
    hosts.write_text("a unix:///a.sock\n")
    assert not any("canary" in w for w in load(["--hosts-file", str(hosts)], {}).warnings)
